#include "sources/s3_events_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_error.h"
#include "aws/s3.h"
#include "common/list.h"
#include "common/log.h"
#include "sources/s3_events.h"

#define MAX_NOTES   16   /* messages of notifications in hand at once */
#define MAX_GETS    16   /* GetObject calls in flight plus bodies fetched, not handed out */
#define MAX_BUCKETS 4    /* distinct buckets the notifications may name */
#define RETRY_MS    1000 /* a message whose record failed (GET, delete) comes back this soon */

typedef struct ev_source ev_source;
typedef struct note note;

typedef struct rec rec;

/* What msg->handle points to, for every message this source hands out: a record's own (in the
 * record), or for an SQS message handed out as it is, a wrapper of the inner source's handle
 * (owned by this source: each end of the message frees it). */
typedef struct {
    rec *r;      /* the record; NULL: a message passed through */
    void *inner; /* a message passed through: the inner source's handle */
} ev_handle;

typedef enum { R_WAITING, R_GETTING, R_READY, R_OUT, R_ENDED } rec_state;
/* How a record ended, and so its message, by the strongest of its records' ends: a hand back
 * over a deferral over a forget (a shutdown) over a delete. */
typedef enum { END_DONE, END_FORGET, END_DEFER, END_RELEASE } rec_end_how;

struct rec {
    note *n;
    const wc_s3_event_record *r; /* in n->ev */
    wc_s3_bucket *bucket;        /* in s->buckets */
    rec_state state;
    char *body; /* owned, READY only */
    size_t len;
    int too_large;
    wc_link ready_link; /* on s->ready */
    ev_handle handle;   /* while handed out: {this record, NULL} */
    /* a dead letter under way */
    char *target;
    wc_source_done done;
    void *ctx;
};

struct note {
    ev_source *s;
    wc_message inner; /* the SQS message: its handle is held until every record has ended */
    wc_s3_events ev;
    rec *recs; /* ev.n of them */
    size_t next_get, ended;
    rec_end_how how;
    uint64_t delay_ms;
    wc_link link; /* on s->notes */
};

#define NOTE(l) WC_LIST_ENTRY(l, note, link)

struct ev_source {
    wc_source inner;
    wc_aws *aws;
    int force;
    char *dead_bucket_name; /* NULL: the record's bucket */
    char *dead_prefix;
    size_t max_body;
    wc_s3_bucket buckets[MAX_BUCKETS];
    size_t n_buckets;
    wc_s3_bucket dead;
    wc_list notes;           /* of note, in the order received */
    note *cursor;            /* the first note with records not yet fetched */
    size_t n_notes, pending; /* pending: records not yet handed out nor ended */
    wc_list ready;           /* of rec, in the order fetched */
    unsigned gets, calls, n_ready;
    int stopping, failed;
    wc_error failure;
    wc_source_notifier notifier;
    wc_s3_events_counts counts;
};

static wc_s3_bucket *bucket_of(ev_source *s, const char *name, wc_error *err)
{
    for (size_t i = 0; i < s->n_buckets; i++)
        if (strcmp(s->buckets[i].bucket, name) == 0)
            return &s->buckets[i];
    if (s->n_buckets == MAX_BUCKETS) {
        wc_error_set(err, WC_ERR_INVALID, "notifications name more than %d buckets", MAX_BUCKETS);
        return NULL;
    }
    if (wc_s3_bucket_init(&s->buckets[s->n_buckets], s->aws, name, err) != WC_OK) {
        wc_s3_bucket_cleanup(&s->buckets[s->n_buckets]);
        return NULL;
    }
    return &s->buckets[s->n_buckets++];
}

/* --- the end of a message: once every record has ended --- */

static void note_free(note *n)
{
    for (size_t i = 0; i < n->ev.n; i++) {
        free(n->recs[i].body);
        free(n->recs[i].target);
    }
    free(n->recs);
    wc_s3_events_cleanup(&n->ev);
    if (n->inner.handle) /* never ended (a destroy): dropped, it comes back */
        wc_source_forget(&n->s->inner, &n->inner);
    wc_message_cleanup(&n->inner);
    free(n);
}

static void note_unlink(ev_source *s, note *n)
{
    if (s->cursor == n)
        s->cursor = NOTE(n->link.next);
    wc_list_remove(&s->notes, &n->link);
    s->n_notes--;
}

static void note_finish(note *n)
{
    ev_source *s = n->s;
    note_unlink(s, n);
    wc_error err;
    wc_result result;
    const char *what;
    if (n->how == END_RELEASE) {
        what = "hand back";
        result = s->inner.ops->release(s->inner.self, &n->inner, &err);
    } else if (n->how == END_DEFER) {
        what = "defer";
        result = s->inner.ops->defer(s->inner.self, &n->inner, n->delay_ms, &err);
    } else if (n->how == END_FORGET) {
        /* a record still in hand at a shutdown: its message comes back */
        wc_source_forget(&s->inner, &n->inner);
        note_free(n);
        wc_source_tell(&s->notifier);
        return;
    } else {
        what = "delete";
        result = s->inner.ops->ack(s->inner.self, &n->inner, &err);
    }
    if (result != WC_OK)
        wc_errorlog("notification message %s: %s failed: %s (it comes back)", n->inner.key, what,
                    err.msg);
    n->inner.handle = NULL; /* taken over by the op whatever its result */
    note_free(n);
    wc_source_tell(&s->notifier);
}

static void rec_end(rec *r, rec_end_how how, uint64_t delay_ms)
{
    note *n = r->n;
    if (r->state == R_ENDED)
        return;
    if (r->state != R_OUT)
        r->n->s->pending--;
    r->state = R_ENDED;
    free(r->body);
    r->body = NULL;
    if (how > n->how)
        n->how = how;
    if (delay_ms > n->delay_ms)
        n->delay_ms = delay_ms;
    if (++n->ended == n->ev.n)
        note_finish(n);
}

/* --- fetching the objects, ahead of need --- */

/* A GetObject that failed: said by the next receive; the record's message comes back soon. */
static void get_failed(ev_source *s, rec *r, const wc_error *err)
{
    s->failed = 1;
    s->failure = *err;
    wc_error_prefix(&s->failure, "GetObject of %s/%s: ", r->r->bucket, r->r->key);
    rec_end(r, END_DEFER, RETRY_MS);
}

static void got(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                const wc_error *err)
{
    rec *r = ctx;
    ev_source *s = r->n->s;
    s->gets--;
    if (result == WC_OK) {
        r->body = resp->body;
        r->len = resp->len;
        resp->body = NULL;
    }
    if (resp)
        wc_http_response_cleanup(resp);
    if (result == WC_ERR_NOT_FOUND) {
        /* Gone: taken already (a notification delivered twice, or its message came back). */
        s->counts.gone++;
        wc_debug("request=%s (bucket %s): object already gone, skipped", r->r->key, r->r->bucket);
        rec_end(r, END_DONE, 0);
    } else if (result != WC_OK && result != WC_ERR_TOO_LARGE) {
        get_failed(s, r, err);
    } else if (s->stopping) {
        rec_end(r, END_RELEASE, 0);
    } else {
        r->too_large = result == WC_ERR_TOO_LARGE;
        r->state = R_READY;
        wc_list_append(&s->ready, &r->ready_link);
        s->n_ready++;
    }
    wc_source_tell(&s->notifier);
}

static void start_get(ev_source *s, rec *r)
{
    wc_error err;
    r->state = R_GETTING;
    /* A dead letter's own notification (a notification configured on the whole bucket) names no
     * request: skipped, never applied again. */
    if ((!s->dead_bucket_name || strcmp(s->dead_bucket_name, r->r->bucket) == 0) &&
        strncmp(r->r->key, s->dead_prefix, strlen(s->dead_prefix)) == 0) {
        s->counts.skipped++;
        wc_debug("request=%s: under the dead-letter prefix, skipped", r->r->key);
        rec_end(r, END_DONE, 0);
        return;
    }
    r->bucket = bucket_of(s, r->r->bucket, &err);
    if (r->bucket && wc_s3_start(r->bucket, "GET", r->r->key, NULL, 0, NULL, 0, s->max_body, got, r,
                                 &err) == WC_OK) {
        s->gets++;
        return;
    }
    get_failed(s, r, &err);
}

static void fetch_ahead(ev_source *s, unsigned want)
{
    /* Bodies in memory: at most MAX_GETS (each up to max_body) beside those handed out. */
    while (s->cursor && s->gets + s->n_ready < MAX_GETS && s->gets < (want ? want : 1)) {
        note *n = s->cursor;
        rec *r = &n->recs[n->next_get++];
        if (n->next_get == n->ev.n)
            s->cursor = NOTE(n->link.next);
        start_get(s, r); /* may end the note (a failure): the cursor has moved on already */
    }
}

/* --- receiving --- */

static void dead_lettered(void *ctx, wc_result result, const wc_error *err)
{
    char *key = ctx;
    if (result == WC_OK)
        wc_warn("notification message %s dead-lettered", key);
    else if (result != WC_ERR_BUSY)
        wc_errorlog("notification message %s: dead letter failed: %s", key, err->msg);
    free(key);
}

/* A message read as notifications: WC_RECEIVE_READY and *out when it is a request as it is;
 * WC_RECEIVE_WAIT when it was taken (a note, skipped, or dead-lettered). */
static wc_receive_status take(ev_source *s, wc_message *m, wc_message *out, wc_error *err)
{
    wc_s3_events ev;
    wc_error perr;
    wc_result result = WC_OK;
    memset(&ev, 0, sizeof(ev));   /* WC_S3_EVENTS_NONE */
    if (m->too_large && s->force) /* auto: handed out, and dead-lettered as too large */
        result = wc_error_set(&perr, WC_ERR_PARSE, "message body over %zu bytes", s->max_body);
    else if (!m->too_large && wc_message_doc(m)) /* parsed once for every reader */
        result = wc_s3_events_read(wc_message_doc(m), s->force, &ev, &perr);
    else if (!m->too_large) /* not JSON: the parse says why when it must be a notification */
        result = wc_s3_events_parse(m->body, m->len, s->force, &ev, &perr);
    if (result == WC_OK && ev.kind == WC_S3_EVENTS_NONE) {
        /* Handed out as it is: its ends go to the SQS source, with its own handle. */
        ev_handle *h = malloc(sizeof(*h));
        if (!h) {
            s->inner.ops->release(s->inner.self, m, err);
            wc_message_cleanup(m);
            return wc_receive_fail(err, WC_ERR_NOMEM, "out of memory");
        }
        *h = (ev_handle){NULL, m->handle};
        *out = *m;
        out->handle = h;
        return WC_RECEIVE_READY;
    }
    wc_message_drop_doc(m); /* read: a note need not keep it */
    if (result != WC_OK) {
        char reason[512];
        snprintf(reason, sizeof(reason), "bad S3 event notification: %s", perr.msg);
        wc_warn("notification message %s: %s", m->key, perr.msg);
        char *key = strdup(m->key);
        if (!key ||
            s->inner.ops->dead_letter(s->inner.self, m, reason, dead_lettered, key, err) != WC_OK)
            free(key);
        wc_message_cleanup(m);
        return WC_RECEIVE_WAIT;
    }
    if (ev.n == 0) {
        s->counts.skipped++;
        wc_info("notification message %s: %s, skipped", m->key,
                ev.kind == WC_S3_EVENTS_TEST ? "s3:TestEvent" : "no object created");
        wc_s3_events_cleanup(&ev);
        s->inner.ops->ack(s->inner.self, m, err);
        wc_message_cleanup(m);
        return WC_RECEIVE_WAIT;
    }
    note *n = calloc(1, sizeof(*n));
    rec *recs = n ? calloc(ev.n, sizeof(*recs)) : NULL;
    if (!recs) {
        free(n);
        wc_s3_events_cleanup(&ev);
        s->inner.ops->release(s->inner.self, m, err);
        wc_message_cleanup(m);
        return wc_receive_fail(err, WC_ERR_NOMEM, "out of memory");
    }
    *n = (note){.s = s, .inner = *m, .ev = ev, .recs = recs};
    for (size_t i = 0; i < ev.n; i++)
        recs[i] = (rec){.n = n, .r = &n->ev.records[i], .state = R_WAITING};
    wc_list_append(&s->notes, &n->link);
    if (!s->cursor)
        s->cursor = n;
    s->n_notes++;
    s->pending += ev.n;
    wc_debug("notification message %s: %zu records", m->key, ev.n);
    return WC_RECEIVE_WAIT;
}

/* The first ready record, taken off the list (NULL: none). */
static rec *pop_ready(ev_source *s)
{
    rec *r = WC_LIST_ENTRY(wc_list_pop(&s->ready), rec, ready_link);
    if (r)
        s->n_ready--;
    return r;
}

/* Record r, taken off the ready list, as a message; its key may be NULL: out of memory. */
static void hand_out(ev_source *s, rec *r, wc_message *msg)
{
    r->state = R_OUT;
    s->pending--;
    msg->key = strdup(r->r->key);
    msg->attempts = r->n->inner.attempts;
    /* its place: the key after its last '/', as a request bucket's keys (epoch ms first) */
    const char *slash = strrchr(r->r->key, '/');
    wc_message_set_place_epoch_ms(msg, slash ? slash + 1 : r->r->key,
                                  "object key (after its last '/')");
    wc_message_take_body(msg, &r->body, r->len, r->too_large, s->max_body);
    r->handle = (ev_handle){r, NULL};
    msg->handle = &r->handle;
}

static wc_receive_status ev_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    ev_source *s = self;
    memset(msg, 0, sizeof(*msg));
    for (;;) {
        rec *r = pop_ready(s);
        if (r) {
            hand_out(s, r, msg);
            if (!msg->key) {
                msg->handle = NULL;
                rec_end(r, END_RELEASE, 0);
                wc_message_cleanup(msg);
                return wc_receive_fail(err, WC_ERR_NOMEM, "out of memory");
            }
            fetch_ahead(s, want > 0 ? want - 1 : 0);
            return WC_RECEIVE_READY;
        }
        if (s->failed) {
            s->failed = 0;
            return wc_receive_failed(err, &s->failure);
        }
        if (s->stopping)
            return WC_RECEIVE_WAIT;
        fetch_ahead(s, want);
        if ((want > 0 && s->pending >= want) || s->n_notes >= MAX_NOTES)
            return WC_RECEIVE_WAIT;
        wc_message m;
        unsigned more = want > s->pending ? want - (unsigned)s->pending : 0;
        wc_receive_status status = s->inner.ops->receive(s->inner.self, &m, more, err);
        if (status != WC_RECEIVE_READY) /* an empty look while records are pending: wait */
            return s->pending && status == WC_RECEIVE_EMPTY ? WC_RECEIVE_WAIT : status;
        status = take(s, &m, msg, err);
        if (status != WC_RECEIVE_WAIT)
            return status;
    }
}

/* --- ends of a record --- */

/* The record of a message this source handed out, or NULL for a message passed through, whose
 * msg->handle is then the inner source's again (its wrapper freed). */
static rec *unwrap(wc_message *msg)
{
    ev_handle *h = msg->handle;
    rec *r = h ? h->r : NULL;
    msg->handle = h ? h->inner : NULL;
    if (!r)
        free(h);
    return r;
}

/* The end of r's object is over (a failure: its message comes back soon, with the object). */
static void object_ended(rec *r, wc_result result, const wc_error *err)
{
    ev_source *s = r->n->s;
    s->calls--;
    if (r->done) /* the end of a dead letter */
        r->done(r->ctx, result, err);
    if (result == WC_OK)
        s->counts.records++;
    rec_end(r, result == WC_OK ? END_DONE : END_DEFER, result == WC_OK ? 0 : RETRY_MS);
    wc_source_tell(&s->notifier);
}

static void deleted(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                    const wc_error *err)
{
    rec *r = ctx;
    if (resp)
        wc_http_response_cleanup(resp);
    wc_error e = *err;
    if (result != WC_OK && r->done)
        wc_error_prefix(&e, "dead-lettering %s (copied to %s, not deleted): ", r->r->key,
                        r->target);
    else if (result != WC_OK)
        wc_errorlog("request=%s applied but not removed from bucket %s: %s (its notification "
                    "comes back and it is applied again)",
                    r->r->key, r->r->bucket, err->msg);
    object_ended(r, result, &e);
}

static wc_result start_delete(rec *r, wc_error *err)
{
    return wc_s3_start(r->bucket, "DELETE", r->r->key, NULL, 0, NULL, 0, 0, deleted, r, err);
}

/* The end of r's object started (counted in calls until object_ended), or could not: r ends at
 * once, and its message comes back soon. */
static wc_result started(rec *r, wc_result result)
{
    if (result == WC_OK) {
        r->n->s->calls++;
    } else {
        r->done = NULL;
        rec_end(r, END_DEFER, RETRY_MS);
    }
    return result;
}

static wc_result ev_ack(void *self, wc_message *msg, wc_error *err)
{
    ev_source *s = self;
    rec *r = unwrap(msg);
    if (!r)
        return s->inner.ops->ack(s->inner.self, msg, err);
    return started(r, start_delete(r, err));
}

static wc_result ev_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    ev_source *s = self;
    rec *r = unwrap(msg);
    if (!r)
        return s->inner.ops->defer(s->inner.self, msg, delay_ms, err);
    rec_end(r, END_DEFER, delay_ms);
    return WC_OK;
}

/* A request message (not a notification) kept in hand by the queue's source is offered at once;
 * a notification's records are never hurried (their message waits for its time). */
static wc_result ev_hurry(void *self, const char *key)
{
    ev_source *s = self;
    return s->inner.ops->hurry ? s->inner.ops->hurry(s->inner.self, key) : WC_ERR_NOT_FOUND;
}

static wc_result ev_release(void *self, wc_message *msg, wc_error *err)
{
    ev_source *s = self;
    rec *r = unwrap(msg);
    if (!r)
        return s->inner.ops->release(s->inner.self, msg, err);
    rec_end(r, END_RELEASE, 0);
    return WC_OK;
}

static void ev_forget(void *self, wc_message *msg)
{
    ev_source *s = self;
    rec *r = unwrap(msg);
    if (!r)
        wc_source_forget(&s->inner, msg);
    else
        rec_end(r, END_FORGET, 0);
}

static void copied(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                   const wc_error *err)
{
    rec *r = ctx;
    wc_error e = *err;
    result = wc_s3_copy_answer(result, resp, &e);
    /* Copy first, delete after: a failure in between leaves the request in place, never lost. */
    if (result == WC_OK && (result = start_delete(r, &e)) == WC_OK)
        return;
    wc_error_prefix(&e, "dead-lettering %s to %s: ", r->r->key, r->target);
    object_ended(r, result, &e);
}

static wc_result ev_dead_letter(void *self, wc_message *msg, const char *reason,
                                wc_source_done done, void *ctx, wc_error *err)
{
    ev_source *s = self;
    rec *r = unwrap(msg);
    if (!r)
        return s->inner.ops->dead_letter(s->inner.self, msg, reason, done, ctx, err);
    wc_s3_bucket *dead = s->dead_bucket_name ? &s->dead : r->bucket;
    char safe[1025];
    wc_s3_header_safe(reason, safe, sizeof(safe));
    size_t len = strlen(s->dead_prefix) + strlen(r->r->key) + 1;
    wc_param meta = {"reason", safe};
    r->done = done;
    r->ctx = ctx;
    if ((r->target = malloc(len)))
        snprintf(r->target, len, "%s%s", s->dead_prefix, r->r->key);
    return started(r, r->target ? wc_s3_copy_start(dead, r->r->bucket, r->r->key, r->target, &meta,
                                                   1, copied, r, err)
                                : wc_error_set(err, WC_ERR_NOMEM, "out of memory"));
}

static void ev_set_notify(void *self, wc_source_notify notify, void *ctx)
{
    ev_source *s = self;
    s->notifier = (wc_source_notifier){notify, ctx};
    if (s->inner.ops->set_notify)
        s->inner.ops->set_notify(s->inner.self, notify, ctx);
}

static unsigned ev_flush(void *self)
{
    ev_source *s = self;
    unsigned inner = s->inner.ops->flush ? s->inner.ops->flush(s->inner.self) : 0;
    return inner + s->gets + s->calls;
}

/* A shutdown: records not handed out are handed back (their messages once all have ended). */
static void ev_stop(void *self)
{
    ev_source *s = self;
    s->stopping = 1;
    for (rec *r; (r = pop_ready(s));)
        rec_end(r, END_RELEASE, 0);
    /* Records never fetched: ended at once; a note may end with them. */
    for (note *n = s->cursor, *next; n; n = next) {
        next = NOTE(n->link.next);
        s->cursor = NULL;
        size_t left = n->ev.n - n->next_get;
        for (size_t i = n->next_get; i < n->ev.n; i++)
            n->recs[i].state = R_ENDED;
        n->next_get = n->ev.n;
        s->pending -= left;
        n->how = END_RELEASE;
        n->ended += left;
        if (left && n->ended == n->ev.n)
            note_finish(n);
    }
    if (s->inner.ops->stop)
        s->inner.ops->stop(s->inner.self);
}

static void ev_destroy(void *self)
{
    ev_source *s = self;
    if (!s)
        return;
    if (s->counts.records || s->counts.gone || s->counts.skipped)
        wc_info("S3 event notifications: %llu requests ended, %llu objects already gone, %llu "
                "messages skipped",
                s->counts.records, s->counts.gone, s->counts.skipped);
    /* GETs, deletes and copies still on the wire are abandoned with the client. */
    for (note *n; (n = NOTE(s->notes.first));) {
        note_unlink(s, n);
        note_free(n);
    }
    wc_source_destroy(&s->inner);
    for (size_t i = 0; i < s->n_buckets; i++)
        wc_s3_bucket_cleanup(&s->buckets[i]);
    wc_s3_bucket_cleanup(&s->dead);
    free(s->dead_bucket_name);
    free(s->dead_prefix);
    free(s);
}

static const wc_source_ops ev_source_ops = {
    .kind = "sqs",
    .receive = ev_receive,
    .ack = ev_ack,
    .defer = ev_defer,
    .dead_letter = ev_dead_letter,
    .release = ev_release,
    .hurry = ev_hurry,
    .forget = ev_forget,
    .set_notify = ev_set_notify,
    .flush = ev_flush,
    .stop = ev_stop,
    .destroy = ev_destroy,
};

wc_result wc_s3_events_source_wrap(const wc_s3_events_source_config *c, wc_source *inner,
                                   wc_source *out, wc_error *err)
{
    ev_source *s = calloc(1, sizeof(*s));
    if (!s) {
        wc_source_destroy(inner);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    s->inner = *inner;
    *inner = (wc_source){NULL, NULL}; /* taken over */
    s->aws = c->aws;
    s->force = c->force;
    s->max_body = c->max_body;
    s->dead_prefix = strdup(c->dead_letter_prefix ? c->dead_letter_prefix : "dead-letter/");
    s->dead_bucket_name = c->dead_letter_bucket ? strdup(c->dead_letter_bucket) : NULL;
    wc_result result = WC_OK;
    if (!s->dead_prefix || (c->dead_letter_bucket && !s->dead_bucket_name))
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK && s->dead_bucket_name)
        result = wc_s3_bucket_init(&s->dead, c->aws, s->dead_bucket_name, err);
    if (result != WC_OK) {
        ev_destroy(s);
        return result;
    }
    out->ops = &ev_source_ops;
    out->self = s;
    return WC_OK;
}

wc_s3_events_counts wc_s3_events_source_counts(const wc_source *source)
{
    return ((const ev_source *)source->self)->counts;
}
