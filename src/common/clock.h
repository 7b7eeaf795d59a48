/* clock.h - time, injectable: the one clock of the program.
 *
 * Nothing that keeps time calls the system clock directly: the loop, the poller, retries and
 * timeouts ask a wc_clock for monotonic time; signing, credential expiry and tombstone expiry
 * ask it for the wall clock (wc_clock_epoch_ms). Tests run with a fake clock that advances
 * instantly instead of sleeping, and whose wall clock follows it.
 */
#ifndef WC_CLOCK_H
#define WC_CLOCK_H

#include <stdint.h>
#include <time.h>

typedef struct wc_clock {
    /* Monotonic milliseconds, for intervals and deadlines. */
    uint64_t (*now_ms)(struct wc_clock *self);
    /* Sleeps up to ms; may return early (a signal). */
    void (*sleep_ms)(struct wc_clock *self, uint64_t ms);
    void *state;
    /* Wall-clock epoch milliseconds; NULL: the system's (wc_epoch_ms). */
    uint64_t (*epoch_ms)(struct wc_clock *self);
} wc_clock;

/* The wall clock of clock (NULL, or one without epoch_ms: the system's), in epoch milliseconds
 * and in seconds. */
uint64_t wc_clock_epoch_ms(wc_clock *clock);
time_t wc_clock_epoch_s(wc_clock *clock);

/* The real clock: CLOCK_MONOTONIC and nanosleep, CLOCK_REALTIME for the wall clock. */
wc_clock *wc_clock_system(void);

/* The system's wall-clock epoch milliseconds (request keys, log timestamps); what is injected
 * asks wc_clock_epoch_ms. */
uint64_t wc_epoch_ms(void);

/* Monotonic nanoseconds, for measuring how long a request took. */
uint64_t wc_monotonic_ns(void);

#endif
