/* poller.h - the Poller: the consumer's loop, as callbacks on the event loop.
 *
 * Take requests from the source; apply each to the store; when the source has nothing, wait
 * (poll_interval_ms) and ask again. Nothing here waits on the network: the source and the store
 * start their calls on the loop and call back, and the poller moves on (up to `concurrency`
 * requests in flight, the source fetching ahead for what could be taken).
 *
 * For each request exactly one outcome, logged on one line with its requestId, widgetId, type
 * and time taken:
 *   applied       - done, and removed from the source;
 *   deferred      - an update/delete whose widget is not there yet (its create may still be on
 *                   its way): left in the source and tried again later, with a growing delay;
 *   warning       - still not there after max_attempts tries: given up with the warning the spec
 *                   asks for, and the request is moved to the dead-letter location;
 *   dead-lettered - not a valid request (not JSON, breaks a rule, too large), or one the store
 *                   refused for good (WC_ERR_REJECTED) reject_tries times: moved to the
 *                   dead-letter location with the reason;
 *   failed        - the store is failing (an outage: network, throttling, 5xx, a missing table,
 *                   a full disk): the request is left in the source and tried again after a
 *                   backoff. While the store fails, the poller backs off (one request at a time,
 *                   growing pauses); past max_outage_ms it stops with an error (exit 1).
 * A request whose widget has a deferred or failed request waits behind it (its widget's order).
 * A source that fails is asked again after a growing pause, with the same limit.
 *
 * Every progress_interval_ms a progress line (info): the rate since the last one, what is in
 * flight and waiting, and the totals so far:
 *   progress rate_per_s=812.4 in_flight=8 waiting=8 applied=40210 warnings=0 dead_lettered=2
 *   deferred=31 failed=0
 *
 * Stops after max_empty_polls consecutive empty polls (0 = never), max_requests finished
 * requests (0 = no limit), max_runtime_ms (0 = none), or when *stop becomes non-zero (a signal):
 * it stops receiving, hands back what was received but not started, and finishes what is in
 * flight and the source's own calls (deletes, visibility changes) for at most
 * shutdown_timeout_ms, whatever the network does.
 */
#ifndef WC_POLLER_H
#define WC_POLLER_H

#include <signal.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/loop.h"
#include "consumer/metrics.h"
#include "sources/source.h"
#include "stores/store.h"

typedef struct {
    uint64_t poll_interval_ms;
    uint64_t max_empty_polls;
    uint64_t max_requests;
    uint64_t max_runtime_ms;
    uint64_t max_attempts;         /* tries of an update/delete whose widget is missing */
    uint64_t retry_delay_ms;       /* first deferral delay; doubles each time, up to 20x */
    size_t max_body;               /* for the message of an oversized request */
    unsigned concurrency;          /* requests in flight at once, 1..256 (0 counts as 1) */
    uint64_t shutdown_timeout_ms;  /* after a stop request, the longest wait for in-flight work */
    uint64_t max_outage_ms;        /* a store or source failing this long stops it (0: never) */
    unsigned reject_tries;         /* tries of a request the store refuses (0 counts as 3) */
    uint64_t progress_interval_ms; /* a progress line at info level this often (0: none) */
    int classic_order;             /* apply requests as delivered: no places, no ledgers */
    /* Called when the shutdown timeout ends with calls under way: ends them at once, their
     * callbacks called (wc_aws_abandon). NULL: they are left as they are. */
    void (*abandon)(void *ctx);
    void *abandon_ctx;
    wc_metrics *metrics; /* counts every outcome, what is held, outages (NULL: none) */
} wc_poller_config;

typedef struct {
    uint64_t applied, warnings, dead_lettered, deferred, failed;
    uint64_t superseded, already; /* exact order: nothing to do (see core/ledger.h) */
    uint64_t empty_polls;         /* all of them, not just consecutive */
    uint64_t busy_ns;             /* time with requests in hand */
    uint64_t released;            /* received but handed back unstarted at a stop */
    uint64_t redriven;            /* bad requests left to the queue's own redrive policy */
    uint64_t source_failures;     /* failed fetches of the source */
    uint64_t ties;                /* exact order: ties broken arbitrarily (core/place.h) */
    uint64_t hurried;       /* deferred requests offered again early: what they waited for came */
    const char *stopped_by; /* "empty polls", "max requests", "max runtime", "signal", "outage" */
} wc_poller_stats;

/* Runs the loop until a stop condition. WC_OK on a normal stop; an error (err says why) when
 * the store or source failed for longer than max_outage_ms. The source and store must run their
 * calls on loop. Calls still under way at the end of the shutdown timeout are ended through
 * config->abandon; without it, destroy the source, store and client without turning the loop
 * again. */
wc_result wc_poller_run(const wc_poller_config *config, wc_source *source, wc_store *store,
                        wc_loop *loop, volatile sig_atomic_t *stop, wc_poller_stats *stats,
                        wc_error *err);

/* The delay before the (attempts+1)-th try: base * 2^attempts, at most 20 * base. */
uint64_t wc_retry_delay_ms(uint64_t base_ms, unsigned attempts);

#endif
