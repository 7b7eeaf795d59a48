#include "consumer/poller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "consumer/processor.h"
#include "core/request.h"
#include "sources/deferrals.h"

#define MAX_CONCURRENCY 256

uint64_t wc_retry_delay_ms(uint64_t base_ms, unsigned attempts)
{
    uint64_t cap = base_ms * 20;
    uint64_t delay = base_ms;
    for (unsigned i = 0; i < attempts && delay < cap; i++)
        delay *= 2;
    return delay < cap ? delay : cap;
}

/* One request in hand: received, parsed, and waiting for its widget, in flight, or finished. */
typedef struct job {
    wc_message msg;
    wc_request *req;
    uint64_t t0;
    int in_flight, finished;
    wc_result result;
    wc_error err;
    struct job *next; /* in the list of jobs in hand, in the order received */
} job;

typedef struct {
    const wc_poller_config *config;
    wc_source *source;
    wc_store *store;
    wc_clock *clock;
    const wc_driver *driver;
    wc_poller_stats *stats;
    job *jobs, **tail; /* every job in hand, oldest first */
    unsigned in_flight, held;
    uint64_t finished;
    /* Widgets with a deferred request, until it is due again: their later updates and deletes
     * wait behind it, so that a deferral does not let a later request overtake an earlier one. */
    wc_deferrals *behind;
} pipeline;

static double ms_since(uint64_t start_ns)
{
    return (double)(wc_monotonic_ns() - start_ns) / 1e6;
}

/* Moves a request to the dead-letter location; on failure it stays in the source. */
static int dead_letter(pipeline *p, wc_message *msg, const char *reason)
{
    wc_error err;
    wc_result result = p->source->ops->dead_letter(p->source->self, msg, reason, &err);
    if (result == WC_OK)
        return 1;
    if (result == WC_ERR_BUSY) { /* handed back to the queue's own redrive policy */
        wc_errorlog("request=%s outcome=left-to-redrive-policy reason=\"%s\"", msg->key, reason);
        p->stats->redriven++;
        return 0;
    }
    wc_errorlog("request=%s outcome=failed error=\"%s\"", msg->key, err.msg);
    p->stats->failed++;
    return 0;
}

/* A request that is not valid: dead-lettered with the reason, at once. */
static void reject(pipeline *p, wc_message *msg, const wc_error *why, uint64_t t0)
{
    if (dead_letter(p, msg, why->msg)) {
        p->stats->dead_lettered++;
        p->finished++;
        wc_errorlog("request=%s outcome=dead-lettered ms=%.3f reason=\"%s\"", msg->key,
                    ms_since(t0), why->msg);
    }
}

/* The outcome of an applied (or not) request: logged, and the source told. */
static void conclude(pipeline *p, job *j)
{
    const wc_poller_config *config = p->config;
    wc_source *source = p->source;
    wc_message *msg = &j->msg;
    wc_request *req = j->req;
    const char *type = wc_request_type_name(req->type);
    if (j->result == WC_OK) {
        /* The line first, then the removal: a crash between them means a redelivery and a
         * second line, never a request gone without its line. */
        wc_info("request=%s requestId=%s widgetId=%s type=%s outcome=applied ms=%.3f", msg->key,
                req->request_id, req->widget_id, type, ms_since(j->t0));
        wc_error ack_err;
        if (source->ops->ack(source->self, msg, &ack_err) != WC_OK)
            wc_warn("request=%s applied but not removed from the source: %s", msg->key,
                    ack_err.msg);
        p->stats->applied++;
        p->finished++;
        if (msg->attempts > 0)
            wc_deferrals_forget(p->behind, req->widget_id);
    } else if (j->result == WC_ERR_BUSY ||
               (j->result == WC_ERR_NOT_FOUND && msg->attempts + 1 < config->max_attempts)) {
        uint64_t delay = wc_retry_delay_ms(config->retry_delay_ms, msg->attempts);
        uint64_t now = p->clock->now_ms(p->clock);
        /* Later requests of this widget wait until this one is applied or given up (then it is
         * forgotten), or, should another consumer take it, for a while: twice its delay and two
         * seconds, as SQS rounds a hiding time up to whole seconds. */
        uint64_t until = now + 2 * delay + 2000;
        if (!wc_deferrals_waiting(p->behind, req->widget_id, until))
            wc_deferrals_defer(p->behind, req->widget_id, 1, until);
        wc_error defer_err;
        if (source->ops->defer(source->self, msg, delay, &defer_err) != WC_OK)
            wc_errorlog("request=%s could not be deferred: %s", msg->key, defer_err.msg);
        p->stats->deferred++;
        wc_info("request=%s requestId=%s widgetId=%s type=%s outcome=deferred attempt=%u "
                "retry_ms=%llu ms=%.3f%s",
                msg->key, req->request_id, req->widget_id, type, msg->attempts + 1,
                (unsigned long long)delay, ms_since(j->t0),
                j->result == WC_ERR_BUSY ? " reason=\"behind an earlier request of its widget\""
                                         : "");
    } else if (j->result == WC_ERR_NOT_FOUND) {
        char reason[WC_ERROR_MAX + 64];
        snprintf(reason, sizeof(reason), "request %s: %s of widget %s: not found after %u attempts",
                 msg->key, type, req->widget_id, msg->attempts + 1);
        if (dead_letter(p, msg, reason)) {
            p->stats->warnings++;
            p->finished++;
            wc_deferrals_forget(p->behind, req->widget_id);
            wc_warn("request=%s requestId=%s widgetId=%s type=%s outcome=warning ms=%.3f "
                    "reason=\"widget not found after %u attempts; moved to dead letters\"",
                    msg->key, req->request_id, req->widget_id, type, ms_since(j->t0),
                    msg->attempts + 1);
        }
    } else {
        wc_error release_err;
        if (source->ops->release(source->self, msg, &release_err) != WC_OK)
            wc_errorlog("request=%s could not be handed back: %s", msg->key, release_err.msg);
        p->stats->failed++;
        wc_errorlog("request=%s requestId=%s widgetId=%s type=%s outcome=failed ms=%.3f "
                    "error=\"%s\"",
                    msg->key, req->request_id, req->widget_id, type, ms_since(j->t0), j->err.msg);
    }
}

/* Called by the store when an asynchronous apply ends: only records it (this may run inside
 * another call's wait); the loop concludes it. */
static void on_applied(void *ctx, wc_result result, const wc_error *err)
{
    job *j = ctx;
    j->finished = 1;
    j->result = result;
    j->err = *err;
}

/* Whether an earlier job of the same widget is still in hand (then j must wait its turn). */
static int widget_busy(pipeline *p, job *j)
{
    for (job *k = p->jobs; k && k != j; k = k->next)
        if (strcmp(k->req->widget_id, j->req->widget_id) == 0)
            return 1;
    return 0;
}

static void start(pipeline *p, job *j)
{
    j->in_flight = 1;
    p->in_flight++;
    p->held--;
    if (j->req->type != WC_REQ_CREATE && j->msg.attempts == 0 &&
        wc_deferrals_waiting(p->behind, j->req->widget_id, p->clock->now_ms(p->clock))) {
        wc_error err;
        wc_error_set(&err, WC_ERR_BUSY, "behind an earlier request of widget %s",
                     j->req->widget_id);
        on_applied(j, WC_ERR_BUSY, &err); /* deferred without being tried */
        return;
    }
    if (p->store->ops->start) {
        wc_error err;
        if (p->store->ops->start(p->store->self, j->req, on_applied, j, &err) != WC_OK)
            on_applied(j, err.code ? err.code : WC_ERR_IO, &err);
        return;
    }
    wc_error err;
    wc_error_clear(&err);
    wc_result result = wc_process(p->store, j->req, &err);
    on_applied(j, result, &err);
}

static void drop(pipeline *p, job *j)
{
    job **link = &p->jobs;
    while (*link != j)
        link = &(*link)->next;
    *link = j->next;
    if (p->tail == &j->next)
        p->tail = link;
    wc_request_free(j->req);
    wc_message_cleanup(&j->msg);
    free(j);
}

/* Concludes finished jobs and starts the waiting ones whose turn has come. */
static void advance(pipeline *p)
{
    for (int progress = 1; progress;) {
        progress = 0;
        for (job *j = p->jobs, *next; j; j = next) {
            next = j->next;
            if (j->in_flight && j->finished) {
                conclude(p, j);
                p->in_flight--;
                drop(p, j);
                progress = 1;
            }
        }
        for (job *j = p->jobs; j; j = j->next) {
            if (!j->in_flight && p->in_flight < p->config->concurrency && !widget_busy(p, j)) {
                start(p, j);
                progress = 1;
            }
        }
    }
}

/* A received message: rejected at once if it is not a valid request, else queued in order. */
static wc_result take(pipeline *p, wc_message *msg)
{
    uint64_t t0 = wc_monotonic_ns();
    wc_error err;
    wc_request *req = NULL;
    if (msg->too_large && msg->len_at_least)
        wc_error_set(&err, WC_ERR_TOO_LARGE, "request %s: body is over the %zu-byte limit",
                     msg->key, p->config->max_body);
    else if (msg->too_large)
        wc_error_set(&err, WC_ERR_TOO_LARGE,
                     "request %s: body is %zu bytes, over the %zu-byte limit", msg->key, msg->len,
                     p->config->max_body);
    else
        wc_request_parse(msg->key, msg->body, msg->len, &req, &err);
    if (!req) {
        reject(p, msg, &err, t0);
        wc_message_cleanup(msg);
        return WC_OK;
    }
    job *j = calloc(1, sizeof(*j));
    if (!j) {
        wc_request_free(req);
        p->source->ops->release(p->source->self, msg, NULL);
        wc_message_cleanup(msg);
        return WC_ERR_NOMEM;
    }
    j->msg = *msg;
    j->req = req;
    j->t0 = t0;
    *p->tail = j;
    p->tail = &j->next;
    p->held++;
    advance(p);
    return WC_OK;
}

/* Lets asynchronous work move for up to ms (or just waits, when there is none). */
static void wait_a_little(pipeline *p, uint64_t ms)
{
    if (p->driver && p->in_flight > 0)
        p->driver->run(p->driver->self, (int)ms);
    else if (ms > 0)
        p->clock->sleep_ms(p->clock, ms);
}

/* At a stop: what was received but not started goes back to the source. */
static void hand_back_waiting(pipeline *p)
{
    for (job *j = p->jobs, *next; j; j = next) {
        next = j->next;
        if (j->in_flight)
            continue;
        wc_error err;
        if (p->source->ops->release(p->source->self, &j->msg, &err) != WC_OK)
            wc_errorlog("request=%s could not be handed back: %s", j->msg.key, err.msg);
        else
            wc_info("request=%s requestId=%s outcome=handed-back", j->msg.key, j->req->request_id);
        p->stats->released++;
        p->held--;
        drop(p, j);
    }
}

wc_result wc_poller_run_driven(const wc_poller_config *config, wc_source *source, wc_store *store,
                               wc_clock *clock, const wc_driver *driver,
                               volatile sig_atomic_t *stop, wc_poller_stats *stats, wc_error *err)
{
    wc_poller_config cfg = *config;
    if (cfg.concurrency == 0)
        cfg.concurrency = 1;
    if (cfg.concurrency > MAX_CONCURRENCY)
        cfg.concurrency = MAX_CONCURRENCY;
    pipeline p = {&cfg, source, store, clock, driver, stats, NULL, NULL, 0, 0, 0, NULL};
    p.tail = &p.jobs;
    p.behind = wc_deferrals_new();
    if (!p.behind)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    uint64_t start_ms = clock->now_ms(clock), stop_ms = 0;
    uint64_t empty_in_a_row = 0;
    wc_result result = WC_OK;
    for (;;) {
        advance(&p);
        if (!stats->stopped_by) {
            if (stop && *stop)
                stats->stopped_by = "signal";
            else if (cfg.max_requests && p.finished >= cfg.max_requests)
                stats->stopped_by = "max requests";
            else if (cfg.max_runtime_ms && clock->now_ms(clock) - start_ms >= cfg.max_runtime_ms)
                stats->stopped_by = "max runtime";
            if (stats->stopped_by)
                stop_ms = clock->now_ms(clock);
        }
        if (stats->stopped_by) {
            hand_back_waiting(&p);
            if (p.in_flight == 0)
                break;
            if (cfg.shutdown_timeout_ms &&
                clock->now_ms(clock) - stop_ms >= cfg.shutdown_timeout_ms) {
                wc_warn("stopping with %u requests still in flight (--shutdown-timeout): they stay "
                        "in the source and will be applied again",
                        p.in_flight);
                break;
            }
            wait_a_little(&p, 50);
            continue;
        }
        /* Room for more? Not beyond max_requests, and not more than one batch ahead. */
        uint64_t in_hand = p.in_flight + p.held;
        int room = in_hand < cfg.concurrency * 2 &&
                   (!cfg.max_requests || p.finished + in_hand < cfg.max_requests);
        if (!room) {
            wait_a_little(&p, 50);
            continue;
        }
        wc_message msg;
        uint64_t t0 = wc_monotonic_ns();
        wc_result r = source->ops->receive(source->self, &msg, in_hand == 0, err);
        if (r == WC_OK) {
            empty_in_a_row = 0;
            uint64_t failed_before = stats->failed;
            if ((result = take(&p, &msg)) != WC_OK)
                break;
            advance(&p);
            stats->busy_ns += wc_monotonic_ns() - t0;
            if (p.in_flight == 0 && p.held == 0 && failed_before != stats->failed &&
                (!stop || !*stop))
                clock->sleep_ms(clock, cfg.poll_interval_ms); /* do not spin on a failure */
            continue;
        }
        if (r == WC_EMPTY && in_hand == 0) {
            stats->empty_polls++;
            if (cfg.max_empty_polls && ++empty_in_a_row >= cfg.max_empty_polls) {
                stats->stopped_by = "empty polls";
                continue;
            }
        } else if (r != WC_EMPTY && r != WC_WAIT) {
            result = r;
            break;
        }
        if (in_hand > 0) {
            uint64_t t1 = wc_monotonic_ns();
            wait_a_little(&p, 20);
            stats->busy_ns += wc_monotonic_ns() - t1;
        } else if (!stop || !*stop) {
            clock->sleep_ms(clock, cfg.poll_interval_ms);
        }
    }
    /* Whatever is still in hand (an error, or the shutdown timeout) stays in the source. */
    for (job *j = p.jobs, *next; j; j = next) {
        next = j->next;
        if (!j->in_flight)
            source->ops->release(source->self, &j->msg, NULL);
        else
            j->msg.handle = NULL; /* in flight: left to the source's own redelivery */
        p.jobs = next;
        wc_request_free(j->req);
        wc_message_cleanup(&j->msg);
        free(j);
    }
    wc_deferrals_free(p.behind);
    return result;
}

wc_result wc_poller_run(const wc_poller_config *config, wc_source *source, wc_store *store,
                        wc_clock *clock, volatile sig_atomic_t *stop, wc_poller_stats *stats,
                        wc_error *err)
{
    return wc_poller_run_driven(config, source, store, clock, NULL, stop, stats, err);
}
