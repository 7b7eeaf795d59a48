#include "consumer/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "widget_consumer_"

static const char *const outcomes[] = {
    "applied", "superseded",    "already-applied", "deferred",
    "warning", "dead-lettered", "failed",          "left-to-redrive-policy"};
#define N_OUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))
static const char *const types[] = {"create", "update", "delete", "unknown"};
#define N_TYPES 4
static const char *const parts[] = {"source", "store", "dead-letter location"};
#define N_PARTS 3
static const char *const statuses[] = {"2xx", "3xx", "4xx", "5xx", "network"};
#define N_STATUSES 5

/* Upper bounds in seconds; the last bucket (+Inf) is the count. */
static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                0.25,  0.5,    1,     2.5,  5,     10,   30};
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

typedef struct {
    uint64_t buckets[N_BOUNDS]; /* each its own, made cumulative when rendered */
    uint64_t count;
    double sum;
} histogram;

#define MAX_SERIES 48 /* (service, operation) pairs: the consumer makes about a dozen */

typedef struct {
    char service[16];
    char operation[40];
    char labels[160]; /* service="sqs",operation="ReceiveMessage" */
    uint64_t calls[N_STATUSES];
    uint64_t retries;
    histogram latency;
} aws_series;

struct wc_metrics {
    uint64_t requests[N_OUTCOMES][N_TYPES];
    histogram request_latency[N_OUTCOMES];
    unsigned in_flight, waiting, held;
    int failing[N_PARTS];
    int opened;
    aws_series aws[MAX_SERIES];
    size_t n_aws;
    wc_metrics_aws_totals totals;
    uint64_t ties;
};

wc_metrics *wc_metrics_new(void)
{
    return calloc(1, sizeof(wc_metrics));
}

void wc_metrics_free(wc_metrics *m)
{
    free(m);
}

static size_t index_of(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return n;
}

static void observe(histogram *h, double seconds)
{
    if (seconds < 0)
        seconds = 0;
    for (size_t i = 0; i < N_BOUNDS; i++)
        if (seconds <= bounds[i]) {
            h->buckets[i]++;
            break;
        }
    h->count++;
    h->sum += seconds;
}

void wc_metrics_request(wc_metrics *m, const char *outcome, const char *type, double ms)
{
    if (!m)
        return;
    size_t o = index_of(outcomes, N_OUTCOMES, outcome);
    if (o == N_OUTCOMES)
        return;
    size_t t = index_of(types, N_TYPES - 1, type); /* anything else: unknown */
    m->requests[o][t]++;
    observe(&m->request_latency[o], ms / 1000.0);
}

void wc_metrics_gauges(wc_metrics *m, unsigned in_flight, unsigned waiting, unsigned held)
{
    if (!m)
        return;
    m->in_flight = in_flight;
    m->waiting = waiting;
    m->held = held;
}

void wc_metrics_failing(wc_metrics *m, const char *part, int failing)
{
    size_t i = index_of(parts, N_PARTS, part);
    if (m && i < N_PARTS)
        m->failing[i] = failing != 0;
}

void wc_metrics_opened(wc_metrics *m)
{
    if (m)
        m->opened = 1;
}

int wc_metrics_ready(const wc_metrics *m)
{
    if (!m || !m->opened)
        return 0;
    for (size_t i = 0; i < N_PARTS; i++)
        if (m->failing[i])
            return 0;
    return 1;
}

/* A series' labels as text, each value escaped as the text format wants (\\, " and newline);
 * they fit: at most twice the service and operation, and the names. */
static void series_labels(aws_series *s)
{
    const char *pieces[] = {"service=\"", s->service, "\",operation=\"", s->operation, "\""};
    size_t n = 0;
    for (int k = 0; k < 5; k++) {
        for (const char *p = pieces[k]; *p && n + 3 < sizeof(s->labels); p++) {
            int escaped = k % 2 && (*p == '\\' || *p == '"' || *p == '\n');
            if (escaped)
                s->labels[n++] = '\\';
            s->labels[n++] = escaped && *p == '\n' ? 'n' : *p;
        }
    }
    s->labels[n] = '\0';
}

void wc_metrics_aws_call(wc_metrics *m, const char *service, const char *operation, int status,
                         int retry, double ms)
{
    if (!m)
        return;
    aws_series *s = NULL;
    for (size_t i = 0; i < m->n_aws && !s; i++)
        if (strcmp(m->aws[i].service, service) == 0 && strcmp(m->aws[i].operation, operation) == 0)
            s = &m->aws[i];
    if (!s && m->n_aws < MAX_SERIES) {
        s = &m->aws[m->n_aws++];
        snprintf(s->service, sizeof(s->service), "%s", service);
        snprintf(s->operation, sizeof(s->operation), "%s", operation);
        series_labels(s);
    }
    if (!s) /* the table is full (never with the consumer's own calls): the last one counts it */
        s = &m->aws[MAX_SERIES - 1];
    size_t k = status >= 200 && status < 600 ? (size_t)(status / 100 - 2) : N_STATUSES - 1;
    s->calls[k]++;
    if (retry)
        s->retries++;
    observe(&s->latency, ms / 1000.0);
}

void wc_metrics_tie(wc_metrics *m)
{
    if (m)
        m->ties++;
}

void wc_metrics_set_aws_totals(wc_metrics *m, const wc_metrics_aws_totals *totals)
{
    if (m)
        m->totals = *totals;
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

/* A metric of one value, without labels. */
static void scalar(FILE *out, const char *name, const char *type, const char *help, uint64_t value)
{
    head(out, name, type, help);
    fprintf(out, PREFIX "%s %llu\n", name, (unsigned long long)value);
}

/* The lines of one histogram; labels: the series' own, "" for none (then `le` alone). */
static void render_histogram(FILE *out, const char *name, const char *labels, const histogram *h)
{
    const char *sep = labels[0] ? "," : "";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N_BOUNDS; i++) {
        cumulative += h->buckets[i];
        fprintf(out, PREFIX "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds[i],
                (unsigned long long)cumulative);
    }
    fprintf(out, PREFIX "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
            (unsigned long long)h->count);
    fprintf(out, PREFIX "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "", labels,
            labels[0] ? "}" : "", h->sum);
    fprintf(out, PREFIX "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
            labels[0] ? "}" : "", (unsigned long long)h->count);
}

char *wc_metrics_render(const wc_metrics *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    head(out, "requests_total", "counter", "Requests concluded, by outcome and type.");
    for (size_t o = 0; o < N_OUTCOMES; o++)
        for (size_t t = 0; t < N_TYPES; t++)
            fprintf(out, PREFIX "requests_total{outcome=\"%s\",type=\"%s\"} %llu\n", outcomes[o],
                    types[t], (unsigned long long)m->requests[o][t]);
    head(out, "request_duration_seconds", "histogram",
         "Time from a request's receipt to its outcome.");
    for (size_t o = 0; o < N_OUTCOMES; o++) {
        char labels[64];
        snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcomes[o]);
        render_histogram(out, "request_duration_seconds", labels, &m->request_latency[o]);
    }
    uint64_t dead = 0;
    for (size_t t = 0; t < N_TYPES; t++)
        dead += m->requests[index_of(outcomes, N_OUTCOMES, "warning")][t] +
                m->requests[index_of(outcomes, N_OUTCOMES, "dead-lettered")][t];
    scalar(out, "dead_letters_total", "counter",
           "Requests moved to the dead-letter location (warnings and dead-lettered).", dead);
    scalar(out, "requests_in_flight", "gauge", "Requests being applied or dead-lettered now.",
           m->in_flight);
    scalar(out, "requests_waiting", "gauge", "Requests received and waiting for their turn.",
           m->waiting);
    scalar(out, "requests_held", "gauge",
           "Requests deferred or failed, left in the source until they are due again.", m->held);
    head(out, "up", "gauge", "1 when the part was opened and its last call succeeded.");
    for (size_t i = 0; i < N_PARTS; i++)
        fprintf(out, PREFIX "up{part=\"%s\"} %d\n", parts[i], m->opened && !m->failing[i]);
    head(out, "aws_calls_total", "counter",
         "HTTP calls to AWS (retries included), by service, operation and status class.");
    for (size_t i = 0; i < m->n_aws; i++)
        for (size_t k = 0; k < N_STATUSES; k++)
            if (m->aws[i].calls[k])
                fprintf(out, PREFIX "aws_calls_total{%s,status=\"%s\"} %llu\n", m->aws[i].labels,
                        statuses[k], (unsigned long long)m->aws[i].calls[k]);
    head(out, "aws_retries_total", "counter", "HTTP calls to AWS that were retries.");
    for (size_t i = 0; i < m->n_aws; i++)
        fprintf(out, PREFIX "aws_retries_total{%s} %llu\n", m->aws[i].labels,
                (unsigned long long)m->aws[i].retries);
    head(out, "aws_call_duration_seconds", "histogram", "Time of each HTTP call to AWS.");
    for (size_t i = 0; i < m->n_aws; i++)
        render_histogram(out, "aws_call_duration_seconds", m->aws[i].labels, &m->aws[i].latency);
    scalar(out, "credential_fetches_total", "counter",
           "Credentials fetched (the first time and each refresh).", m->totals.credential_fetches);
    scalar(
        out, "connections_opened_total", "counter",
        "Connections opened to AWS (TCP, with the TLS handshake on https); kept alive and reused.",
        m->totals.connections_opened);
    scalar(out, "tls_refusals_total", "counter",
           "AWS calls and credential fetches refused by TLS verification (the endpoint's "
           "certificate not trusted, or not for its host name).",
           m->totals.tls_refusals);
    scalar(out, "ties_total", "counter",
           "Exact order: ties broken arbitrarily (two requests of one widget and type in one "
           "millisecond without a sequence attribute).",
           m->ties);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
