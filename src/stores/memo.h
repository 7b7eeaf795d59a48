/* memo.h - what a store last read or wrote of its widgets, kept in memory by widget key: a
 * version token and two texts (what the store needs to rebuild a wc_stored without a read).
 *
 * Bounded by entries and by bytes (the texts, keys and a fixed cost per entry); the least
 * recently used go first. A store answers a load from it only where its save's condition then
 * proves the store still holds exactly that version (see store.h: wc_stored.cached, forget).
 */
#ifndef WC_MEMO_H
#define WC_MEMO_H

#include <stddef.h>

typedef struct wc_memo wc_memo;

/* A memo of at most max_bytes and max_items. NULL: max_bytes is 0 (no memo) or out of memory;
 * every function takes a NULL memo as an empty one that keeps nothing. */
wc_memo *wc_memo_new(size_t max_bytes, size_t max_items);
void wc_memo_free(wc_memo *m);

/* Remembers key's version and texts (copied; b may be NULL), replacing what was there; best
 * effort (an entry larger than a quarter of the memo is not kept, and key is then forgotten). */
void wc_memo_put(wc_memo *m, const char *key, const char *version, const char *a, const char *b);

/* 1 and the remembered strings (valid until the next put or forget on m) when key is there, now
 * the most recent; else 0. */
int wc_memo_get(wc_memo *m, const char *key, const char **version, const char **a, const char **b);

void wc_memo_forget(wc_memo *m, const char *key);

/* Lookups that found their key, and that did not. */
void wc_memo_counts(const wc_memo *m, unsigned long long *hits, unsigned long long *misses);

#endif
