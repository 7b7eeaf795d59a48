/* memo.h - what a store last read or wrote of its widgets, kept in memory by widget key: a
 * version token and two texts (what the store needs to rebuild a wc_stored without a read).
 *
 * Bounded by entries and by bytes (the texts, keys and a fixed cost per entry); the least
 * recently used go first. A store answers a load from it only where its save's condition then
 * proves the store still holds exactly that version (store.h: recall, forget).
 */
#ifndef WC_MEMO_H
#define WC_MEMO_H

#include <stddef.h>

#include "stores/store.h"

typedef struct wc_memo wc_memo;

/* A memo of at most max_bytes and 4,096 entries. NULL: max_bytes is 0 (no memo) or out of memory;
 * every function takes a NULL memo as an empty one that keeps nothing. */
wc_memo *wc_memo_new(size_t max_bytes);
/* Frees m after a debug line of its lookups ("KIND store: H exact-order reads answered from
 * memory, M from the WHERE"), written for a NULL memo too. */
void wc_memo_free(wc_memo *m, const char *kind, const char *where);

/* Remembers key's version and texts (copied; b may be NULL), replacing what was there; best
 * effort (an entry larger than a quarter of the memo is not kept, and key is then forgotten).
 * version or a NULL (say, out of memory while making them): key forgotten. */
void wc_memo_put(wc_memo *m, const char *key, const char *version, const char *a, const char *b);

void wc_memo_forget(wc_memo *m, const char *key);

/* A store's reading of what it remembered (the strings of a put) back into *out. */
typedef wc_result (*wc_memo_read)(void *self, const char *key, const char *version, const char *a,
                                  const char *b, wc_stored *out, wc_error *err);

/* A store's load answered from memory (store.h: recall): 1 when key is there (now the most
 * recent) and read reads it into *out, marked cached; else 0, *out empty, and the store is read.
 * What fails to read (it cannot happen: it was read or written so) is forgotten. */
int wc_memo_recall(wc_memo *m, const char *key, wc_memo_read read, void *self, wc_stored *out);

/* Counts a load the store does without asking the memo (an S3 create the engine loads: its
 * widget and tombstone read, never answered from memory; a blind create's tombstone GET is not
 * a load and is not counted) among the free's line's reads from the store. */
void wc_memo_count_read(wc_memo *m);

#endif
