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
void wc_generator_free(wc_generator *g);

/* The next request (caller frees with wc_request_free), already applied to the expected state.
 * NULL: out of memory. */
wc_request *wc_generator_next(wc_generator *g);

/* The expected state after every request generated so far (owned by the generator). */
const wc_widget_map *wc_generator_expected(const wc_generator *g);

/* A deterministic random number in [0, n). */
uint64_t wc_generator_random(wc_generator *g, uint64_t n);

#endif
