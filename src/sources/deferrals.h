/* deferrals.h - the requests a source was told to try again later: how many tries each had and
 * when it may be offered again. Kept in memory by the sources whose store of requests cannot
 * hold that (a directory, an S3 bucket); SQS keeps it in the queue itself. With --shard the same
 * structure holds every key of the other shards (skipped without a read): tens of thousands, all
 * looked up at each listing, so it is a hashed map. */
#ifndef WC_DEFERRALS_H
#define WC_DEFERRALS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct wc_deferrals wc_deferrals;

wc_deferrals *wc_deferrals_new(void);
void wc_deferrals_free(wc_deferrals *d);

/* Tries so far of key (0 when it was never deferred). */
unsigned wc_deferrals_attempts(const wc_deferrals *d, const char *key);

/* Whether key is deferred and not due before now_ms. */
int wc_deferrals_waiting(const wc_deferrals *d, const char *key, uint64_t now_ms);

/* Records a try of key, to be offered again at not_before_ms. */
wc_result wc_deferrals_defer(wc_deferrals *d, const char *key, unsigned attempts,
                             uint64_t not_before_ms);

/* Makes key, deferred and not due before now_ms, due at now_ms (its tries stay counted): 1, or 0
 * when it is not waiting. */
int wc_deferrals_hurry(wc_deferrals *d, const char *key, uint64_t now_ms);

/* Forgets key (applied or dead-lettered). */
void wc_deferrals_forget(wc_deferrals *d, const char *key);

size_t wc_deferrals_count(const wc_deferrals *d);

/* Forgets every key due by now_ms (the source no longer waits for it): how many still wait. */
size_t wc_deferrals_drop_due(wc_deferrals *d, uint64_t now_ms);

/* Mark and sweep, for a source that lists all its requests: unmark all, mark what the listing
 * shows, sweep forgets the rest (finished by another consumer). */
void wc_deferrals_unmark_all(wc_deferrals *d);
void wc_deferrals_mark(wc_deferrals *d, const char *key);
void wc_deferrals_sweep(wc_deferrals *d);

/* How many entries lookups have examined so far (a lookup by key is a hash, never a scan): for
 * tests that count work, not time. */
uint64_t wc_deferrals_probes(const wc_deferrals *d);

#endif
