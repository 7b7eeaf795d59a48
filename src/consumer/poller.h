/* poller.h - the Poller: the consumer's loop.
 *
 * Take a request from the source; if there is one, parse it, apply it to the store and go
 * straight back; if not, wait (poll_interval_ms) and try again. For each request exactly one
 * outcome, logged on one line with its requestId, widgetId, type and time taken:
 *   applied       - done, and removed from the source;
 *   deferred      - an update/delete whose widget is not there yet (its create may still be on
 *                   its way): left in the source and tried again later, with a growing delay;
 *   warning       - still not there after max_attempts tries: given up with the warning the spec
 *                   asks for, and the request is moved to the dead-letter location;
 *   dead-lettered - not a valid request (not JSON, breaks a rule, too large): moved to the
 *                   dead-letter location with the reason;
 *   failed        - the store or source failed (I/O): the request is handed back untouched.
 * Stops after max_empty_polls consecutive empty polls (0 = never), max_requests finished
 * requests (0 = no limit), max_runtime_ms (0 = none), or when *stop becomes non-zero (a signal):
 * it stops receiving, finishes what is in flight (for at most shutdown_timeout_ms), and hands
 * back what was received but not started.
 *
 * Concurrency: with a store that applies asynchronously (wc_store_ops.start) up to `concurrency`
 * requests are in flight at once on the transport, which the driver moves along. Requests of one
 * widget are applied strictly in the order the source delivered them: a request whose widget has
 * one in flight waits behind it.
 */
#ifndef WC_POLLER_H
#define WC_POLLER_H

#include <signal.h>
#include <stdint.h>

#include "common/clock.h"
#include "sources/source.h"
#include "stores/store.h"

typedef struct {
    uint64_t poll_interval_ms;
    uint64_t max_empty_polls;
    uint64_t max_requests;
    uint64_t max_runtime_ms;
    uint64_t max_attempts;        /* tries of an update/delete whose widget is missing */
    uint64_t retry_delay_ms;      /* first deferral delay; doubles each time, up to 20x */
    size_t max_body;              /* for the message of an oversized request */
    unsigned concurrency;         /* requests in flight at once, 1..256 (0 counts as 1) */
    uint64_t shutdown_timeout_ms; /* after a stop request, the longest wait for in-flight work */
} wc_poller_config;

/* What moves asynchronous work along (the AWS transport): runs it for up to wait_ms. */
typedef struct {
    int (*run)(void *self, int wait_ms);
    void *self;
} wc_driver;

typedef struct {
    uint64_t applied, warnings, dead_lettered, deferred, failed;
    uint64_t empty_polls;   /* all of them, not just consecutive */
    uint64_t busy_ns;       /* time with requests in hand */
    uint64_t released;      /* received but handed back unstarted at a stop */
    uint64_t redriven;      /* bad requests left to the queue's own redrive policy */
    const char *stopped_by; /* "empty polls", "max requests", "max runtime", "signal" */
} wc_poller_stats;

/* Runs the loop until a stop condition. WC_OK on a normal stop; an error only when the source
 * itself cannot be read (err says why). */
wc_result wc_poller_run(const wc_poller_config *config, wc_source *source, wc_store *store,
                        wc_clock *clock, volatile sig_atomic_t *stop, wc_poller_stats *stats,
                        wc_error *err);

/* The same, with a driver for stores that apply asynchronously (NULL: none). */
wc_result wc_poller_run_driven(const wc_poller_config *config, wc_source *source, wc_store *store,
                               wc_clock *clock, const wc_driver *driver,
                               volatile sig_atomic_t *stop, wc_poller_stats *stats, wc_error *err);

/* The delay before the (attempts+1)-th try: base * 2^attempts, at most 20 * base. */
uint64_t wc_retry_delay_ms(uint64_t base_ms, unsigned attempts);

#endif
