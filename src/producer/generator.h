/* generator.h - realistic Widget Request streams, deterministic for a seed.
 *
 * About 86% create, 10% update, 4% delete; owners from a list of realistic names; labels short
 * upper-case strings; descriptions up to a few hundred characters; attributes with the names real
 * producers use. Every update and delete names a widget created earlier in the same stream and
 * still alive. The generator keeps the expected final state as it goes.
 */
#ifndef WC_GENERATOR_H
#define WC_GENERATOR_H

#include <stdint.h>

#include "core/request.h"
#include "producer/expected.h"

typedef struct wc_generator wc_generator;

/* NULL: out of memory. */
wc_generator *wc_generator_new(uint64_t seed);

/* Realistic data from here on (call before the first request): creates carry 10-40 attributes,
 * the spec's names and made-up ones of 20-60 bytes (non-ASCII UTF-8, spaces, punctuation, some
 * starting with "wc:" or "attr_"), values from empty to a few hundred characters; updates set,
 * clear ("") and set again attributes, labels and descriptions; widget ids of many shapes (UUIDs,
 * short ids, dots, '%', spaces, unicode, a leading '.', punctuation, up to the 256 bytes the
 * consumer accepts), every one valid and unique. 0: out of memory. */
int wc_generator_set_realistic(wc_generator *g);
void wc_generator_free(wc_generator *g);

/* The next request (caller frees with wc_request_free), already applied to the expected state.
 * NULL: out of memory. */
wc_request *wc_generator_next(wc_generator *g);

/* The next request of this type; an update or delete aims at the live widget widget_id (NULL:
 * one drawn). NULL: out of memory, or no such widget alive. */
wc_request *wc_generator_next_of(wc_generator *g, wc_request_type type, const char *widget_id);

/* The expected state after every request generated so far (owned by the generator). */
const wc_widget_map *wc_generator_expected(const wc_generator *g);

/* A deterministic random number in [0, n). */
uint64_t wc_generator_random(wc_generator *g, uint64_t n);

#endif
