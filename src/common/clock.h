/* clock.h - time, injectable.
 *
 * The poller never calls the system clock directly: it asks a wc_clock, so tests can run the
 * loop with a fake clock that advances instantly instead of sleeping.
 */
#ifndef WC_CLOCK_H
#define WC_CLOCK_H

#include <stdint.h>

typedef struct wc_clock {
    /* Monotonic milliseconds, for intervals and deadlines. */
    uint64_t (*now_ms)(struct wc_clock *self);
    /* Sleeps up to ms; may return early (a signal). */
    void (*sleep_ms)(struct wc_clock *self, uint64_t ms);
    void *state;
} wc_clock;

/* The real clock: CLOCK_MONOTONIC and nanosleep. */
wc_clock *wc_clock_system(void);

/* Wall-clock epoch milliseconds (request keys, log timestamps). */
uint64_t wc_epoch_ms(void);

/* Monotonic nanoseconds, for measuring how long a request took. */
uint64_t wc_monotonic_ns(void);

#endif
