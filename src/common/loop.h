/* loop.h - the one event loop: timers and file descriptors.
 *
 * Every piece of asynchronous work in the consumer is a callback registered here: the HTTP
 * transport's sockets and its timeout (libcurl's multi socket interface), retries waiting for
 * their time, the poller's next step, SQS batches waiting to go out, the shutdown deadline. Nothing
 * else sleeps or polls. main() owns the loop and turns it; a tool that wants a blocking call runs
 * the loop until its own callback fired (wc_loop_wait, the one place where that is written).
 *
 * Time comes from an injectable wc_clock: with a fake clock and no file descriptors watched, a
 * turn that would wait advances the fake clock to the next timer instead of sleeping, so tests of
 * retries and backoff run instantly.
 *
 * Timers are caller-owned structs (wc_timer): starting one that is running moves it, stopping one
 * that is not running is harmless, so no handle ever dangles.
 */
#ifndef WC_LOOP_H
#define WC_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/error.h"

typedef struct wc_loop wc_loop;

typedef void (*wc_loop_fn)(void *ctx);

typedef struct wc_timer {
    uint64_t due_ms; /* on the loop's clock */
    uint64_t seq;    /* start order: timers due at the same time run in it */
    size_t slot;     /* index in the loop's heap + 1; 0 when not running */
    wc_loop_fn fn;
    void *ctx;
} wc_timer;

enum { WC_LOOP_READ = 1, WC_LOOP_WRITE = 2, WC_LOOP_ERROR = 4 };

typedef void (*wc_loop_io_fn)(void *ctx, int fd, int events);

/* A new loop on clock (NULL: the system clock). NULL: out of memory. */
wc_loop *wc_loop_new(wc_clock *clock);
/* Frees the loop; timers still running are forgotten (their structs are their owners'). */
void wc_loop_free(wc_loop *loop);

wc_clock *wc_loop_clock(wc_loop *loop);
uint64_t wc_loop_now(wc_loop *loop);

/* Runs fn(ctx) once, delay_ms from now (0: on the next turn). A running timer is moved. */
wc_result wc_loop_timer_start(wc_loop *loop, wc_timer *t, uint64_t delay_ms, wc_loop_fn fn,
                              void *ctx);
/* Stops a timer (harmless when it is not running). */
void wc_loop_timer_stop(wc_loop *loop, wc_timer *t);
int wc_loop_timer_running(const wc_timer *t);

/* Watches fd for events (WC_LOOP_READ | WC_LOOP_WRITE); fn gets what happened (ERROR included).
 * Watching an fd again replaces its events and callback; events 0 stops watching it. */
wc_result wc_loop_watch(wc_loop *loop, int fd, int events, wc_loop_io_fn fn, void *ctx);

/* One turn: waits at most max_wait_ms (-1: as long as the next timer allows) for watched fds or
 * the next timer, then runs the callbacks of what is ready and the timers that are due. Returns
 * how many callbacks ran. A wake-up (wc_loop_wake, a signal) ends the wait early. */
int wc_loop_turn(wc_loop *loop, int max_wait_ms);

/* Turns the loop until *done is non-zero. The blocking helpers of the tools are built on this. */
void wc_loop_wait(wc_loop *loop, const volatile int *done);

/* Whether anything is left that could run a callback (timers or watched fds). */
int wc_loop_alive(wc_loop *loop);

/* Ends a turn's wait at once; async-signal-safe (a signal handler may call it). */
void wc_loop_wake(wc_loop *loop);

#endif
