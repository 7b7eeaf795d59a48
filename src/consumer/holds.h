/* holds.h - what the consumer holds back, so that a retry never lets a later request of a widget
 * overtake an earlier one, and how often a request found its widget missing.
 *
 * One record per message (the request put back, until when; its widget's misses, since when) and
 * one per widget (how many of its requests are put back, until when, and which of them wait for
 * it to be written), each in a hashed map (common/strmap.h): every call is O(1) expected (a wake
 * is O(1) per request it wakes). Records whose time ran out (a request another
 * consumer took, a miss older than miss_kept_ms) are forgotten in one walk once more than 1000 are
 * kept and twice as many as after the last walk: O(1) amortized a call, memory bounded by twice
 * what is live.
 */
#ifndef WC_HOLDS_H
#define WC_HOLDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct wc_holds wc_holds;

/* Misses are remembered for miss_kept_ms after the first one. NULL: out of memory. Free with
 * wc_holds_free. */
wc_holds *wc_holds_new(uint64_t miss_kept_ms);
void wc_holds_free(wc_holds *h);

/* Puts request key (of widget) back until until_ms: the widget's later requests wait until then,
 * or until every request of it put back is released. A request held again is counted once. */
wc_result wc_holds_hold(wc_holds *h, const char *key, const char *widget, uint64_t until_ms,
                        uint64_t now_ms);

/* Whether the widget's later requests wait at now_ms (one of its requests is held). */
int wc_holds_busy(const wc_holds *h, const char *widget, uint64_t now_ms);

/* Request key (of widget) is done (applied or dead-lettered): its widget waits for one less,
 * and its misses are forgotten. */
void wc_holds_release(wc_holds *h, const char *key, const char *widget);

/* Counts one more miss of key's widget at now_ms: how many so far, this one included, and
 * (*first_ms) when the first was. Out of memory, it is not remembered: 1, and now_ms. */
unsigned wc_holds_miss(wc_holds *h, const char *key, uint64_t now_ms, uint64_t *first_ms);

/* Forgets key's misses (it goes to the dead letters). */
void wc_holds_forget_misses(wc_holds *h, const char *key);

/* Request key, put back (wc_holds_hold), waits for its widget: to be written (it was missing) or
 * to be free of an earlier request. Remembered (once, up to 64 a widget) until wc_holds_wake, or
 * until the widget's record goes (its requests released, its wait over). */
wc_result wc_holds_wait(wc_holds *h, const char *key, const char *widget);

/* A request of widget was written: hands each request waiting for it, still held, to fn in the
 * order they began to wait, until fn returns 0; all are forgotten. Returns how many fn got. */
size_t wc_holds_wake(wc_holds *h, const char *widget, int (*fn)(void *ctx, const char *key),
                     void *ctx);

/* How many requests are held now (the gauge requests_held). */
size_t wc_holds_held(const wc_holds *h);

/* How many records are kept (messages and widgets), and how many map slots lookups examined:
 * for tests that count work, not time. */
size_t wc_holds_records(const wc_holds *h);
uint64_t wc_holds_probes(const wc_holds *h);

#endif
