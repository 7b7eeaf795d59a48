#include "consumer/poller.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/list.h"
#include "common/log.h"
#include "common/strmap.h"
#include "core/request.h"
#include "consumer/holds.h"

#define MAX_CONCURRENCY 256
#define MAX_BACKOFF_MS  30000 /* the longest pause of a failing store or source */

/* base doubled n times, at most cap. */
static uint64_t doubled(uint64_t base, unsigned n, uint64_t cap)
{
    uint64_t delay = base;
    for (unsigned i = 0; i < n && delay < cap; i++)
        delay *= 2;
    return delay < cap ? delay : cap;
}

uint64_t wc_retry_delay_ms(uint64_t base_ms, unsigned attempts)
{
    return doubled(base_ms, attempts, base_ms * 20);
}

/* One request in hand, from its receipt to its end. */
enum { WAITING, IN_FLIGHT, APPLIED, ENDING, ENDED };

typedef struct job {
    struct pipeline *p;
    wc_message msg;
    wc_request *req; /* NULL for a request that is not valid (it only goes to the dead letters) */
    uint64_t t0;
    int state;
    wc_outcome outcome; /* of the store (APPLIED) */
    wc_result result;   /* of the dead-lettering (ENDED) */
    wc_error err;
    int why;      /* of a dead-lettering: BAD, GIVEN_UP or REFUSED */
    char *reason; /* of a dead-lettering */
    wc_link link; /* in the list of jobs in hand, in the order received */
    wc_link same; /* in its widget's list of jobs in hand, oldest first (with a request) */
} job;
#define JOB(l) WC_LIST_ENTRY(l, job, link)

enum { BAD, GIVEN_UP, REFUSED };

/* A store or source that fails: since when, how often in a row. */
typedef struct {
    uint64_t since_ms;
    unsigned failures;
} outage;

typedef struct pipeline {
    const wc_poller_config *config;
    wc_source *source;
    wc_store *store;
    wc_loop *loop;
    volatile sig_atomic_t *stop;
    wc_poller_stats *stats;
    wc_list jobs;       /* every job in hand, oldest first */
    wc_strmap *widgets; /* widget id -> wc_list of its jobs in hand (job.same) */
    unsigned in_flight, waiting, ending;
    uint64_t finished;
    /* The requests put back and the widgets waiting behind them, so that a retry does not let
     * a later request overtake an earlier one; and how many times each request's widget was not
     * there. Only misses count toward --max-attempts: the tries an outage of the store made fail
     * do not (a request that failed through an outage must not be given up the first time its
     * widget is missing after it). */
    wc_holds *holds;
    wc_timer step;       /* the next step, as soon as the loop can */
    wc_timer later;      /* the next step at a time: a poll, the end of a pause, a deadline */
    uint64_t receive_at; /* no receive before (after an empty poll, a wait, a failure) */
    uint64_t start_at;   /* no start before (a failing store's pause) */
    uint64_t empty_in_a_row;
    outage store_down, source_down, dead_down; /* the store, receiving, dead-lettering */
    uint64_t started_ms, stop_ms, busy_since_ns;
    wc_timer progress;          /* the next progress line */
    uint64_t progress_ms;       /* when the last one was written (or the start) */
    uint64_t progress_finished; /* requests finished by then */
    int done;
    wc_result result;
    wc_error *err;
} pipeline;

static void step(void *ctx);

/* What became of a request in the end, as its line and its metric say it (from the store's
 * wc_outcome, or from the dead-lettering). */
typedef enum {
    OUT_APPLIED,
    OUT_SUPERSEDED,    /* exact order: nothing to do, older than its widget's delete */
    OUT_ALREADY,       /* exact order: nothing to do, applied before */
    OUT_DEFERRED,      /* put back: behind its widget, or its widget not there yet */
    OUT_FAILED,        /* the store failed or refused it: put back */
    OUT_GIVEN_UP,      /* its widget never came: dead-lettered, as a warning */
    OUT_DEAD_LETTERED, /* not valid, or refused too often */
    OUT_REDRIVEN,      /* left to the queue's own redrive policy */
    OUT_UNMOVED        /* the dead-lettering failed: it stays in the source */
} conclusion;

#define STAT(f) offsetof(wc_poller_stats, f)

/* Each outcome's line: its name (also the metric's label), level, which fields it has, and its
 * count in the stats. */
static const struct {
    const char *name;
    wc_log_level level;
    unsigned ids : 1;   /* requestId, widgetId, type */
    unsigned retry : 1; /* attempt, retry_ms */
    unsigned ms : 1;    /* time since receipt */
    unsigned error : 1; /* the text is an error, not a reason */
    size_t counter;     /* offsetof the uint64_t in wc_poller_stats */
} outcomes[] = {
    [OUT_APPLIED] = {"applied", WC_LOG_INFO, 1, 0, 1, 0, STAT(applied)},
    [OUT_SUPERSEDED] = {"superseded", WC_LOG_INFO, 1, 0, 1, 0, STAT(superseded)},
    [OUT_ALREADY] = {"already-applied", WC_LOG_INFO, 1, 0, 1, 0, STAT(already)},
    [OUT_DEFERRED] = {"deferred", WC_LOG_INFO, 1, 1, 1, 0, STAT(deferred)},
    [OUT_FAILED] = {"failed", WC_LOG_ERROR, 1, 1, 1, 1, STAT(failed)},
    [OUT_GIVEN_UP] = {"warning", WC_LOG_WARN, 1, 0, 1, 0, STAT(warnings)},
    [OUT_DEAD_LETTERED] = {"dead-lettered", WC_LOG_ERROR, 0, 0, 1, 0, STAT(dead_lettered)},
    [OUT_REDRIVEN] = {"left-to-redrive-policy", WC_LOG_ERROR, 0, 0, 0, 0, STAT(redriven)},
    [OUT_UNMOVED] = {"failed", WC_LOG_ERROR, 0, 0, 0, 1, STAT(failed)},
};

/* The one place an outcome is told: its log line, its metric and its count in the stats, together
 * (so the metrics equal the lines). retry_ms: for those put back; text: the reason or error (NULL:
 * none). */
static void log_outcome(pipeline *p, const job *j, conclusion o, uint64_t retry_ms,
                        const char *text)
{
    const wc_request *req = j->req;
    double ms = (double)(wc_monotonic_ns() - j->t0) / 1e6;
    wc_log_field f[10];
    size_t n = 0;
    f[n++] = WC_LF_S("request", j->msg.key);
    if (outcomes[o].ids && req) {
        f[n++] = WC_LF_S("requestId", req->request_id);
        f[n++] = WC_LF_S("widgetId", req->widget_id);
        f[n++] = WC_LF_S("type", wc_request_type_name(req->type));
    }
    f[n++] = WC_LF_S("outcome", outcomes[o].name);
    if (outcomes[o].retry) {
        f[n++] = WC_LF_U("attempt", j->msg.attempts + 1);
        f[n++] = WC_LF_U("retry_ms", retry_ms);
    }
    if (outcomes[o].ms)
        f[n++] = WC_LF_MS("ms", ms);
    f[n++] = WC_LF_Q(outcomes[o].error ? "error" : "reason", text);
    if (wc_log_enabled(outcomes[o].level))
        wc_log_fields(outcomes[o].level, NULL, f, n);
    wc_metrics_request(p->config->metrics, outcomes[o].name,
                       req ? wc_request_type_name(req->type) : NULL, ms);
    (*(uint64_t *)((char *)p->stats + outcomes[o].counter))++;
}

/* Two requests of one widget in one millisecond, of one type, without a producer's sequence:
 * their order is arbitrary (core/place.h). Counted, and said once per tie. */
static void on_tie(void *ctx, const wc_request *req, const char *at_place)
{
    pipeline *p = ctx;
    p->stats->ties++;
    wc_metrics_tie(p->config->metrics);
    wc_log_kv(WC_LOG_WARN, NULL, WC_LF_S("requestId", req->request_id),
              WC_LF_S("widgetId", req->widget_id), WC_LF_S("type", wc_request_type_name(req->type)),
              WC_LF_S("place", req->place), WC_LF_S("tied_with", at_place),
              WC_LF_Q("reason", "two requests of this widget in one millisecond without a "
                                "sequence attribute: ordered arbitrarily (by message id)"));
}

/* Something changed: take the next step on the next turn of the loop (never from inside a
 * callback of the source or store, which may be on their own stacks). */
static void kick(pipeline *p)
{
    if (!wc_loop_timer_running(&p->step))
        wc_loop_timer_start(p->loop, &p->step, 0, step, p);
}

/* The next step at a given time (the earliest asked for wins). */
static void step_at(pipeline *p, uint64_t when)
{
    uint64_t now = wc_loop_now(p->loop);
    if (wc_loop_timer_running(&p->later) && p->later.due_ms <= when)
        return;
    wc_loop_timer_start(p->loop, &p->later, when > now ? when - now : 0, step, p);
}

static void on_source_news(void *ctx)
{
    pipeline *p = ctx;
    if (!p->source_down.failures && !p->dead_down.failures) /* news never cut a backoff short */
        p->receive_at = 0;
    kick(p);
}

/* Puts a job with a request at the end of its widget's list. */
static wc_result link_widget(pipeline *p, job *j)
{
    wc_list *w = wc_strmap_put(p->widgets, j->req->widget_id, NULL);
    if (!w)
        return WC_ERR_NOMEM;
    wc_list_append(w, &j->same);
    return WC_OK;
}

static void free_job(job *j)
{
    wc_request_free(j->req);
    wc_message_cleanup(&j->msg);
    free(j->reason);
    free(j);
}

/* Ends a job in hand: O(1). A job with a request is on its widget's list (take keeps a request
 * only once it is linked). */
static void drop(pipeline *p, job *j)
{
    wc_list *w = j->req ? wc_strmap_get(p->widgets, j->req->widget_id) : NULL;
    if (w) {
        wc_list_remove(w, &j->same);
        if (!w->first)
            wc_strmap_remove(p->widgets, j->req->widget_id);
    }
    wc_list_remove(&p->jobs, &j->link);
    free_job(j);
}

static void stop_with(pipeline *p, const char *by)
{
    if (p->stats->stopped_by)
        return;
    p->stats->stopped_by = by;
    p->stop_ms = wc_loop_now(p->loop);
    if (p->source->ops->stop)
        p->source->ops->stop(p->source->self);
    if (p->config->shutdown_timeout_ms)
        step_at(p, p->stop_ms + p->config->shutdown_timeout_ms);
}

/* A store or source failed again: pause, and give up when it has lasted too long. */
static uint64_t failing(pipeline *p, outage *o, const char *what, const wc_error *err)
{
    uint64_t now = wc_loop_now(p->loop);
    if (o->failures++ == 0) {
        o->since_ms = now;
        wc_metrics_failing(p->config->metrics, what, 1);
        wc_errorlog("%s is failing: %s (backing off; requests stay in the source)", what, err->msg);
    }
    /* The pause after the n-th failure in a row: 100 ms doubling, at most 30 s. */
    uint64_t pause = doubled(100, o->failures - 1, MAX_BACKOFF_MS);
    if (p->config->max_outage_ms && now - o->since_ms >= p->config->max_outage_ms &&
        p->result == WC_OK) {
        p->result = wc_error_set(p->err, WC_ERR_IO, "%s failing for %.1f s (--max-outage): %s",
                                 what, (double)(now - o->since_ms) / 1000.0, err->msg);
        stop_with(p, "outage");
    }
    return pause;
}

static void recovered(pipeline *p, outage *o, const char *what)
{
    if (o->failures == 0)
        return;
    wc_info("%s works again after %.1f s", what,
            (double)(wc_loop_now(p->loop) - o->since_ms) / 1000.0);
    o->failures = 0;
    wc_metrics_failing(p->config->metrics, what, 0);
}

/* --- the end of a request --- */

static void dead_lettered(void *ctx, wc_result result, const wc_error *err)
{
    job *j = ctx;
    j->state = ENDED;
    j->result = result;
    j->err = *err;
    kick(j->p);
}

/* Moves a request to the dead-letter location (the source's call may take a while). */
static void send_to_dead_letters(pipeline *p, job *j, int why, char *reason)
{
    wc_holds_forget_misses(p->holds, j->msg.key);
    j->why = why;
    j->reason = reason;
    j->state = ENDING;
    p->ending++;
    wc_error err;
    wc_result result = reason ? p->source->ops->dead_letter(p->source->self, &j->msg, reason,
                                                            dead_lettered, j, &err)
                              : wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
    if (result != WC_OK)
        dead_lettered(j, result, &err);
}

/* A dead-lettering ended: its line, and the request is done (or stays in the source). */
static void conclude_dead_letter(pipeline *p, job *j)
{
    p->ending--;
    if (j->result == WC_OK) {
        recovered(p, &p->dead_down, "dead-letter location");
        p->finished++;
        if (j->why == GIVEN_UP) {
            char reason[96];
            snprintf(reason, sizeof(reason),
                     "widget not found after %u attempts; moved to dead letters",
                     j->msg.attempts + 1);
            log_outcome(p, j, OUT_GIVEN_UP, 0, reason);
        } else {
            log_outcome(p, j, OUT_DEAD_LETTERED, 0, j->reason);
        }
        if (j->req) /* its widget waits for one less (see conclude) */
            wc_holds_release(p->holds, j->msg.key, j->req->widget_id);
    } else if (j->result == WC_ERR_BUSY) { /* handed back to the queue's own redrive policy */
        log_outcome(p, j, OUT_REDRIVEN, 0, j->reason);
    } else {
        /* It stays in the source and comes back; a dead-letter location that keeps failing is an
         * outage of the source. */
        log_outcome(p, j, OUT_UNMOVED, 0, j->err.msg);
        p->receive_at =
            wc_loop_now(p->loop) + failing(p, &p->dead_down, "dead-letter location", &j->err);
    }
    drop(p, j);
}

/* Leaves a request in the source for later, its widget's later requests behind it; waiting: it
 * waits for its widget (missing, or behind an earlier request of it), and is offered again as
 * soon as a request of it is applied. */
static uint64_t put_back(pipeline *p, job *j, uint64_t delay, int waiting)
{
    const wc_request *req = j->req;
    uint64_t now = wc_loop_now(p->loop);
    /* Later requests of this widget wait until this one is applied or given up (then it is
     * forgotten), or, should another consumer take it, for a while: twice its delay and two
     * seconds, as SQS rounds a hiding time up to whole seconds. */
    uint64_t until = now + 2 * delay + 2000;
    if (wc_holds_hold(p->holds, j->msg.key, req->widget_id, until, now) != WC_OK)
        wc_errorlog("out of memory: request %s is not held", j->msg.key);
    else if (waiting && p->source->ops->hurry)
        wc_holds_wait(p->holds, j->msg.key, req->widget_id); /* else: it waits for its time */
    wc_error err;
    if (p->source->ops->defer(p->source->self, &j->msg, delay, &err) != WC_OK)
        wc_log_kv(WC_LOG_ERROR, "could not defer a request", WC_LF_S("request", j->msg.key),
                  WC_LF_Q("error", err.msg));
    return delay;
}

/* A request waiting for its widget is offered again now: in classic order, the next only when
 * this one could be (one left to its time must not be overtaken by a later one). */
static int hurry(void *ctx, const char *key)
{
    pipeline *p = ctx;
    if (p->source->ops->hurry(p->source->self, key) != WC_OK)
        return !p->config->classic_order;
    p->stats->hurried++;
    on_source_news(p); /* a receive now */
    return 1;
}

/* How long a miss is remembered (for the first miss's time), and the least time a request waits
 * for its widget before it is given up: longer than the longest an outage keeps a failed request
 * hidden (its backoff, up to 30 s), so a create that failed in another consumer, which then
 * stopped, comes back before its widget's later requests are given up. */
#define MISS_KEPT_MS (3600 * 1000)
#define MISS_WAIT_MS (40 * 1000)

/* Whether a request whose widget is missing has been tried often enough to give up: its widget
 * was missing --max-attempts times in this consumer (an outage's failed tries do not count) over
 * MISS_WAIT_MS at least, or the source counts eight times as many deliveries (other consumers saw
 * it missing too, or this one restarted). Counts one more miss. */
static int missing_too_often(pipeline *p, job *j)
{
    uint64_t max = p->config->max_attempts;
    uint64_t now = wc_loop_now(p->loop);
    uint64_t first;
    unsigned missing = wc_holds_miss(p->holds, j->msg.key, now, &first);
    return (missing >= max && now - first >= MISS_WAIT_MS) || j->msg.attempts + 1 >= 8 * max;
}

/* The outcome of an applied (or not) request: logged, and the source told. */
static void conclude(pipeline *p, job *j)
{
    const wc_poller_config *config = p->config;
    wc_source *source = p->source;
    wc_message *msg = &j->msg;
    wc_request *req = j->req;
    const char *type = wc_request_type_name(req->type);
    p->in_flight--;
    wc_outcome o = j->outcome;
    if (o == WC_MISSING || o == WC_REFUSED || o == WC_APPLIED || o == WC_SUPERSEDED ||
        o == WC_ALREADY)
        recovered(p, &p->store_down, "store"); /* it answered */
    if (o == WC_APPLIED || o == WC_SUPERSEDED || o == WC_ALREADY) {
        /* The line first, then the removal: a crash between them means a redelivery and a
         * second line, never a request gone without its line. */
        if (o == WC_APPLIED)
            log_outcome(p, j, OUT_APPLIED, 0, NULL);
        else
            log_outcome(p, j, o == WC_SUPERSEDED ? OUT_SUPERSEDED : OUT_ALREADY, 0, j->err.msg);
        wc_error ack_err;
        if (source->ops->ack(source->self, msg, &ack_err) != WC_OK)
            wc_log_kv(WC_LOG_WARN, "applied but not removed from the source",
                      WC_LF_S("request", msg->key), WC_LF_Q("error", ack_err.msg));
        p->finished++;
        /* Put back before, it is done: its widget waits for one less; when none is left, its
         * later requests go ahead. Its misses are forgotten. */
        wc_holds_release(p->holds, msg->key, req->widget_id);
        /* Its widget is there: the requests that waited for it are offered again now. */
        if (source->ops->hurry)
            wc_holds_wake(p->holds, req->widget_id, hurry, p);
    } else if (o == WC_CONTENDED || (o == WC_MISSING && !missing_too_often(p, j))) {
        uint64_t delay =
            put_back(p, j, wc_retry_delay_ms(config->retry_delay_ms, msg->attempts), 1);
        /* contended: what happened (behind an earlier request, or other writers won) */
        log_outcome(p, j, OUT_DEFERRED, delay, o == WC_CONTENDED ? j->err.msg : NULL);
    } else if (o == WC_MISSING ||
               (o == WC_REFUSED &&
                msg->attempts + 1 >= (config->reject_tries ? config->reject_tries : 3))) {
        char *reason = malloc(WC_ERROR_MAX + 64);
        if (reason && o == WC_MISSING)
            snprintf(reason, WC_ERROR_MAX + 64,
                     "request %s: %s of widget %s: not found after %u attempts", msg->key, type,
                     req->widget_id, msg->attempts + 1);
        else if (reason)
            snprintf(reason, WC_ERROR_MAX + 64, "request %s: the store refused it %u times: %s",
                     msg->key, msg->attempts + 1, j->err.msg);
        send_to_dead_letters(p, j, o == WC_MISSING ? GIVEN_UP : REFUSED, reason);
        return;
    } else {
        /* A refusal tried again a little later, or an outage of the store: the request stays in
         * the source; while the store fails, the pipeline pauses. */
        uint64_t delay;
        if (o == WC_REFUSED) {
            delay = wc_retry_delay_ms(config->retry_delay_ms, msg->attempts);
        } else {
            delay = failing(p, &p->store_down, "store", &j->err);
            uint64_t until = wc_loop_now(p->loop) + delay;
            if (until > p->start_at)
                p->start_at = until;
        }
        put_back(p, j, delay, 0);
        log_outcome(p, j, OUT_FAILED, delay, j->err.msg);
    }
    drop(p, j);
}

/* --- starting requests --- */

/* Called by the store when an apply ends: only records it (it may run inside the store's call);
 * the next step concludes it. */
static void on_applied(void *ctx, wc_outcome outcome, const wc_error *err)
{
    job *j = ctx;
    j->state = APPLIED;
    j->outcome = outcome;
    j->err = *err;
    kick(j->p);
}

static void start(pipeline *p, job *j)
{
    j->state = IN_FLIGHT;
    p->in_flight++;
    p->waiting--;
    wc_error err;
    wc_error_clear(&err);
    if (j->req->type != WC_REQ_CREATE && j->msg.attempts == 0 &&
        wc_holds_busy(p->holds, j->req->widget_id, wc_loop_now(p->loop))) {
        wc_error_set(&err, WC_ERR_BUSY, "behind an earlier request of widget %s",
                     j->req->widget_id);
        on_applied(j, WC_CONTENDED, &err); /* deferred without being tried */
        return;
    }
    if (wc_store_apply(p->store, j->req, on_applied, j, &err) != WC_OK)
        on_applied(j, wc_store_outcome(err.code ? err.code : WC_ERR_IO), &err);
}

/* A received message: sent to the dead letters if it is not a valid request, else queued. */
static wc_result take(pipeline *p, wc_message *msg)
{
    job *j = calloc(1, sizeof(*j));
    if (!j) {
        p->source->ops->release(p->source->self, msg, NULL);
        wc_message_cleanup(msg);
        return WC_ERR_NOMEM;
    }
    j->p = p;
    j->msg = *msg;
    j->t0 = wc_monotonic_ns();
    wc_list_append(&p->jobs, &j->link);
    wc_error err;
    if (msg->reject_why)
        wc_error_set(&err, WC_ERR_INVALID, "request %s: %s", msg->key, msg->reject_why);
    else if (msg->too_large && msg->len_at_least)
        wc_error_set(&err, WC_ERR_TOO_LARGE, "request %s: body is over the %zu-byte limit",
                     msg->key, p->config->max_body);
    else if (msg->too_large)
        wc_error_set(&err, WC_ERR_TOO_LARGE,
                     "request %s: body is %zu bytes, over the %zu-byte limit", msg->key, msg->len,
                     p->config->max_body);
    else if (!p->config->classic_order && !msg->place)
        wc_error_set(&err, WC_ERR_INVALID, "request %s: no place in production order: %s", msg->key,
                     msg->place_why ? msg->place_why : "its source did not give one");
    else if (wc_message_doc(&j->msg)) /* parsed once for every reader of the message */
        wc_request_from_json(msg->key, wc_message_doc(&j->msg), &j->req, &err);
    else /* not JSON: the parse says why */
        wc_request_parse(msg->key, msg->body, msg->len, &j->req, &err);
    wc_message_drop_doc(&j->msg); /* read: not kept while the request is in flight */
    if (j->req && !p->config->classic_order &&
        !(j->req->place = wc_place_with_type(msg->place, j->req->type))) {
        wc_request_free(j->req);
        j->req = NULL;
        wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
    }
    if (j->req && link_widget(p, j) != WC_OK) {
        wc_request_free(j->req);
        j->req = NULL;
        wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
    }
    if (!j->req) {
        send_to_dead_letters(p, j, BAD, strdup(err.msg));
        return WC_OK;
    }
    j->state = WAITING;
    p->waiting++;
    return WC_OK;
}

/* The progress line of a long run: rate since the last one, in hand, totals. */
static void progress(void *ctx)
{
    pipeline *p = ctx;
    const wc_poller_stats *st = p->stats;
    uint64_t now = wc_loop_now(p->loop);
    double secs = (double)(now - p->progress_ms) / 1000.0;
    double rate = secs > 0 ? (double)(p->finished - p->progress_finished) / secs : 0.0;
    wc_log_kv(WC_LOG_INFO, "progress", WC_LF_R("rate_per_s", rate, 1),
              WC_LF_U("in_flight", p->in_flight + p->ending), WC_LF_U("waiting", p->waiting),
              WC_LF_U("applied", st->applied), WC_LF_U("warnings", st->warnings),
              WC_LF_U("dead_lettered", st->dead_lettered), WC_LF_U("deferred", st->deferred),
              WC_LF_U("failed", st->failed));
    p->progress_ms = now;
    p->progress_finished = p->finished;
    wc_loop_timer_start(p->loop, &p->progress, p->config->progress_interval_ms, progress, p);
}

/* --- the step: conclude, start, stop, receive --- */

/* At a stop: what was received but not started goes back to the source. */
static void hand_back_waiting(pipeline *p)
{
    for (job *j = JOB(p->jobs.first), *next; j; j = next) {
        next = JOB(j->link.next);
        if (j->state != WAITING)
            continue;
        wc_error err;
        if (p->source->ops->release(p->source->self, &j->msg, &err) != WC_OK)
            wc_log_kv(WC_LOG_ERROR, "could not hand a request back", WC_LF_S("request", j->msg.key),
                      WC_LF_Q("error", err.msg));
        else
            wc_log_kv(WC_LOG_INFO, NULL, WC_LF_S("request", j->msg.key),
                      WC_LF_S("requestId", j->req->request_id), WC_LF_S("outcome", "handed-back"));
        p->stats->released++;
        p->waiting--;
        drop(p, j);
    }
}

/* Concludes the jobs whose store call or dead-lettering ended. */
static void conclude_finished(pipeline *p)
{
    for (job *j = JOB(p->jobs.first), *next; j; j = next) {
        next = JOB(j->link.next);
        if (j->state == APPLIED)
            conclude(p, j);
        else if (j->state == ENDED)
            conclude_dead_letter(p, j);
    }
}

static void start_what_may(pipeline *p)
{
    if (wc_loop_now(p->loop) < p->start_at) {
        step_at(p, p->start_at);
        return;
    }
    /* While the store fails, one request at a time probes it. */
    unsigned limit = p->store_down.failures ? 1 : p->config->concurrency;
    for (job *j = JOB(p->jobs.first); j && p->in_flight < limit; j = JOB(j->link.next))
        if (j->state == WAITING && !j->same.prev) /* else an earlier one of its widget goes first */
            start(p, j);
}

static void receive_what_may(pipeline *p)
{
    const wc_poller_config *config = p->config;
    for (unsigned taken = 0;; taken++) {
        conclude_finished(p);
        start_what_may(p);
        conclude_finished(p); /* a local store is done at once */
        if (p->stats->stopped_by || (p->stop && *p->stop))
            return;
        if (taken == 256) { /* a local source and store never wait: let the loop breathe */
            kick(p);
            return;
        }
        uint64_t in_hand = p->in_flight + p->waiting + p->ending;
        uint64_t cap = (uint64_t)config->concurrency * 2; /* a batch ahead, no more */
        if (config->max_requests) {
            uint64_t left =
                config->max_requests > p->finished ? config->max_requests - p->finished : 0;
            if (left < cap)
                cap = left;
        }
        if (in_hand >= cap)
            return;
        uint64_t now = wc_loop_now(p->loop);
        if (now < p->receive_at) {
            step_at(p, p->receive_at);
            return;
        }
        wc_message msg;
        wc_error err;
        wc_error_clear(&err);
        wc_receive_status r =
            p->source->ops->receive(p->source->self, &msg, (unsigned)(cap - in_hand), &err);
        if (r == WC_RECEIVE_READY) {
            recovered(p, &p->source_down, "source");
            p->empty_in_a_row = 0;
            if (take(p, &msg) != WC_OK) {
                p->receive_at = now + config->poll_interval_ms;
                return;
            }
            continue;
        }
        if (r == WC_RECEIVE_EMPTY || r == WC_RECEIVE_WAIT) {
            /* A look that came back empty is an answer; a fetch under way (WAIT) is not. */
            if (r == WC_RECEIVE_EMPTY)
                recovered(p, &p->source_down, "source");
            if (r == WC_RECEIVE_EMPTY && in_hand == 0) {
                p->stats->empty_polls++;
                if (config->max_empty_polls && ++p->empty_in_a_row >= config->max_empty_polls) {
                    stop_with(p, "empty polls");
                    return;
                }
            }
            /* Asked again after the poll interval, or sooner when the source has news. */
            p->receive_at = now + config->poll_interval_ms;
            step_at(p, p->receive_at);
            return;
        }
        p->stats->source_failures++;
        uint64_t pause = failing(p, &p->source_down, "source", &err);
        if (p->source_down.failures > 1)
            wc_warn("source still failing (%u times in a row): %s; next try in %llu ms",
                    p->source_down.failures, err.msg, (unsigned long long)pause);
        p->receive_at = now + pause;
        step_at(p, p->receive_at);
        return;
    }
}

static void step(void *ctx)
{
    pipeline *p = ctx;
    if (p->done)
        return;
    const wc_poller_config *config = p->config;
    conclude_finished(p);
    uint64_t now = wc_loop_now(p->loop);
    if (p->stop && *p->stop)
        stop_with(p, "signal");
    else if (config->max_requests && p->finished >= config->max_requests)
        stop_with(p, "max requests");
    else if (config->max_runtime_ms && now - p->started_ms >= config->max_runtime_ms)
        stop_with(p, "max runtime");
    if (p->stats->stopped_by) {
        hand_back_waiting(p);
        unsigned source_calls = p->source->ops->flush ? p->source->ops->flush(p->source->self) : 0;
        if (p->in_flight == 0 && p->ending == 0 && source_calls == 0) {
            p->done = 1;
        } else if (config->shutdown_timeout_ms && now - p->stop_ms >= config->shutdown_timeout_ms) {
            wc_warn("stopping with %u requests and %u calls of the source still under way "
                    "(--shutdown-timeout): they stay in the source and will be applied again",
                    p->in_flight + p->ending, source_calls);
            p->done = 1;
            if (config->abandon) /* their callbacks come now: every layer frees its part */
                config->abandon(config->abandon_ctx);
        } else if (config->shutdown_timeout_ms) {
            step_at(p, p->stop_ms + config->shutdown_timeout_ms);
        }
        return;
    }
    start_what_may(p);
    receive_what_may(p);
    start_what_may(p);
    if (config->max_runtime_ms)
        step_at(p, p->started_ms + config->max_runtime_ms);
    if (p->stats->stopped_by)
        kick(p);
    wc_metrics_gauges(config->metrics, p->in_flight + p->ending, p->waiting,
                      (unsigned)wc_holds_held(p->holds));
    /* Busy time: while requests are in hand. */
    int busy = p->jobs.first != NULL;
    if (busy && !p->busy_since_ns)
        p->busy_since_ns = wc_monotonic_ns();
    else if (!busy && p->busy_since_ns) {
        p->stats->busy_ns += wc_monotonic_ns() - p->busy_since_ns;
        p->busy_since_ns = 0;
    }
}

wc_result wc_poller_run(const wc_poller_config *config, wc_source *source, wc_store *store,
                        wc_loop *loop, volatile sig_atomic_t *stop, wc_poller_stats *stats,
                        wc_error *err)
{
    wc_poller_config cfg = *config;
    if (cfg.concurrency == 0)
        cfg.concurrency = 1;
    if (cfg.concurrency > MAX_CONCURRENCY)
        cfg.concurrency = MAX_CONCURRENCY;
    pipeline p;
    memset(&p, 0, sizeof(p));
    p.config = &cfg;
    p.source = source;
    p.store = store;
    p.loop = loop;
    p.stop = stop;
    p.stats = stats;
    p.err = err;
    p.holds = wc_holds_new(MISS_KEPT_MS);
    p.widgets = wc_strmap_new(sizeof(wc_list));
    if (!p.holds || !p.widgets) {
        wc_holds_free(p.holds);
        wc_strmap_free(p.widgets);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (source->ops->set_notify)
        source->ops->set_notify(source->self, on_source_news, &p);
    store->tied = on_tie;
    store->tied_ctx = &p;
    p.started_ms = wc_loop_now(loop);
    p.progress_ms = p.started_ms;
    if (cfg.progress_interval_ms)
        wc_loop_timer_start(loop, &p.progress, cfg.progress_interval_ms, progress, &p);
    kick(&p);
    while (!p.done) {
        wc_loop_turn(loop, -1);
        if (stop && *stop && !stats->stopped_by)
            kick(&p);
    }
    if (p.busy_since_ns)
        stats->busy_ns += wc_monotonic_ns() - p.busy_since_ns;
    wc_loop_timer_stop(loop, &p.step);
    wc_loop_timer_stop(loop, &p.later);
    wc_loop_timer_stop(loop, &p.progress);
    if (source->ops->set_notify)
        source->ops->set_notify(source->self, NULL, NULL);
    store->tied = NULL;
    store->tied_ctx = NULL;
    /* Whatever is still in hand (the shutdown timeout) stays in the source: calls still under
     * way are abandoned (the caller destroys the source, store and client without turning the
     * loop again, so their callbacks never come), and the source delivers those requests again. */
    for (job *j = JOB(p.jobs.first), *next; j; j = next) {
        next = JOB(j->link.next);
        if (j->state != ENDING && j->state != ENDED) /* not ended yet: the source drops it */
            wc_source_forget(source, &j->msg);
        free_job(j);
    }
    wc_holds_free(p.holds);
    wc_strmap_free(p.widgets);
    return p.result;
}
