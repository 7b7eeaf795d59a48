/* metrics.h - what the consumer has done, counted for /metrics (Prometheus text format).
 *
 * The poller reports each request's outcome, what it holds and whether the store or source is
 * failing; the AWS client reports each HTTP call (client.h wc_aws_observe). Everything is kept in
 * fixed tables (a bounded number of series: the label values are the consumer's own words, never
 * a request's), and wc_metrics_render writes them out. Every function is NULL-safe on m, so a
 * consumer without --metrics-addr passes NULL and pays nothing.
 *
 * Metric names (all prefixed widget_consumer_):
 *   requests_total{outcome,type}            counter  one per concluded request
 *   request_duration_seconds{outcome}       histogram from receipt to outcome
 *   requests_in_flight, requests_waiting, requests_held   gauges
 *   dead_letters_total                      counter  (warnings and dead-lettered)
 *   aws_calls_total{service,operation,status}  counter  status: 2xx 3xx 4xx 5xx network
 *   aws_retries_total{service,operation}    counter  calls that were retries
 *   aws_call_duration_seconds{service,operation}  histogram, per HTTP call
 *   credential_fetches_total                counter
 *   connections_opened_total                counter  TCP connections (TLS handshakes) to AWS
 *   tls_refusals_total                      counter  calls and credential fetches refused by TLS
 *   up{part}                                gauge    1 when the part's last call succeeded
 */
#ifndef WC_METRICS_H
#define WC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct wc_metrics wc_metrics;

/* NULL: out of memory. */
wc_metrics *wc_metrics_new(void);
void wc_metrics_free(wc_metrics *m);

/* A request concluded: outcome is one of "applied", "superseded", "already-applied",
 * "deferred", "warning", "dead-lettered", "failed", "left-to-redrive-policy"; type "create",
 * "update", "delete" or NULL (a request that could not be read). */
void wc_metrics_request(wc_metrics *m, const char *outcome, const char *type, double ms);

/* What the poller holds now. */
void wc_metrics_gauges(wc_metrics *m, unsigned in_flight, unsigned waiting, unsigned held);

/* Whether a part ("source", "store", "dead-letter location") is failing now. */
void wc_metrics_failing(wc_metrics *m, const char *part, int failing);

/* The source and store were opened (readiness needs it). */
void wc_metrics_opened(wc_metrics *m);

/* Ready: opened, and neither the source, the store nor the dead-letter location failing. */
int wc_metrics_ready(const wc_metrics *m);

/* One HTTP call of the AWS client ended: status is the HTTP status, 0 for a network error;
 * retry: it was a retry of an earlier call. */
void wc_metrics_aws_call(wc_metrics *m, const char *service, const char *operation, int status,
                         int retry, double ms);

/* Exact order met a tie broken arbitrarily (core/place.h). */
void wc_metrics_tie(wc_metrics *m);

/* The AWS client's totals so far, set before rendering (main.c's collect). */
typedef struct {
    uint64_t credential_fetches; /* credentials fetched: the first time and each refresh */
    uint64_t connections_opened; /* connections to AWS opened */
    uint64_t tls_refusals;       /* calls and credential fetches refused by TLS verification */
} wc_metrics_aws_totals;
void wc_metrics_set_aws_totals(wc_metrics *m, const wc_metrics_aws_totals *totals);

/* The text exposition of everything, in a new string (NULL: out of memory; free() it). */
char *wc_metrics_render(const wc_metrics *m);

#endif
