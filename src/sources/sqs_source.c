#include "sources/sqs_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sqs.h"
#include "core/ledger.h"
#include "common/log.h"
#include "sources/deferrals.h"
#include "sources/kept.h"
#include "sources/sns_envelope.h"

#define HIDE_UNDEAD_S 43200 /* 12 hours: the longest SQS allows */
#define DUE_GRACE_MS  2000  /* how long after its due time a deferred message is waited for */
#define BATCH         10    /* entries of one DeleteMessageBatch / ChangeMessageVisibilityBatch */
/* ReceiveMessage calls in flight at once, while the queue is busy (the last answer brought
 * messages): once an answer came back empty, one long poll until messages come again. A FIFO queue
 * keeps each group's order itself (it gives no message of a group while an earlier one is in
 * flight), and in exact order the places decide (core/place.h), so receives may overlap; a standard
 * queue in classic order takes them one at a time (overlapping receives would hand messages out in
 * the order their calls came back), the next sent while the last batch is applied. */
#define MAX_RECEIVES  8
#define STOP_GRACE_MS 1000 /* at a stop, the wait for receives under way */
#define BATCH_TRIES   6    /* a failed batch is tried again this many times (0.5 s doubling) */
/* A deferral shorter than SQS's grain (a visibility timeout is whole seconds) is kept in hand
 * (sources/kept.h), its visibility extended by the heartbeat: offered again on time, or at once
 * when hurried. At most this many messages and bytes of bodies; longer deferrals, and those past
 * the bounds, become visibility changes (other consumers may take them). */
#define KEEP_BELOW_MS 1000
#define KEEP_MAX      512
#define KEEP_BYTES    (8u << 20)

/* Receipts waiting to go out in one batch call. */
typedef struct {
    char *receipts[BATCH];
    int seconds[BATCH]; /* visibility changes only */
    size_t n;
} batch;

typedef struct sqs_source sqs_source;

/* A message handed out and not yet ended (acked, deferred, released, dead-lettered): its
 * visibility is extended before it runs out, for as long as its request is in flight. */
typedef struct held {
    char *receipt;
    uint64_t extend_at; /* on the source's clock */
    struct held *next;
} held;

#define RECEIVED_AT "wc:receivedMs" /* stamped on each message as it arrives */

/* One receive in flight. */
typedef struct receiving {
    sqs_source *s;
    wc_aws_call *call;
    struct receiving *prev, *next;
} receiving;

struct sqs_source {
    wc_aws *aws;
    wc_loop *loop;
    char *url;
    char *dead_url;
    int wait_s, visibility_s;
    size_t max_body;
    int envelope; /* wc_sns_envelope_mode */
    wc_clock *clock;
    json_t *buffer; /* received messages not yet handed out, from index next */
    size_t next;
    receiving *receives; /* ReceiveMessage calls in flight */
    unsigned n_receives;
    int came_empty; /* an answer with no message, not yet reported */
    int failed;     /* a failed receive, not yet reported */
    wc_error failure;
    wc_source_notify notify;
    void *notify_ctx;
    batch deletes, hides;
    wc_timer flush_timer;
    wc_timer grace_timer; /* at a stop: how long receives under way are waited for */
    struct batch_call *batch_calls;
    unsigned calls;         /* batch calls and dead letters in flight */
    wc_deferrals *deferred; /* by MessageId: ours, hidden until due */
    wc_kept *kept;          /* ours, deferred briefly and kept in hand until due */
    int redrive;            /* the queue has its own redrive policy (a dead-letter queue) */
    unsigned max_receives;  /* in flight at once when busy: several, or one (classic, standard) */
    int busy;               /* the last answer brought messages (or none came yet) */
    int stopping;
    held *held;                  /* messages handed out, whose visibility the heartbeat extends */
    wc_timer heartbeat;          /* at the earliest extend_at */
    unsigned long long extended; /* visibility extensions sent (for the log and tests) */
};

static void tell(sqs_source *s)
{
    if (s->notify)
        s->notify(s->notify_ctx);
}

/* --- batches: deletes of applied messages, visibility changes of deferred and handed-back ones,
 * sent when ten are waiting or at the end of the loop's turn, without stopping anything --- */

typedef struct batch_call {
    sqs_source *s;
    batch b;
    int hide;                       /* a ChangeMessageVisibilityBatch (else DeleteMessageBatch) */
    unsigned tries;                 /* calls of this batch that failed */
    wc_timer retry;                 /* the next try, after a failure */
    struct batch_call *prev, *next; /* every batch call under way or waiting to be tried again */
} batch_call;

static void batch_clear(batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->receipts[i]);
    b->n = 0;
}

static void batch_call_free(batch_call *c)
{
    sqs_source *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->batch_calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    wc_loop_timer_stop(s->loop, &c->retry);
    batch_clear(&c->b);
    free(c);
}

static void batch_done(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                       const wc_error *err);

static wc_result batch_send(batch_call *c, wc_error *err)
{
    sqs_source *s = c->s;
    json_t *body = wc_sqs_batch_body(s->url, c->b.receipts, c->hide ? c->b.seconds : NULL, c->b.n);
    if (!body)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    return wc_sqs_start(s->aws, c->hide ? "ChangeMessageVisibilityBatch" : "DeleteMessageBatch",
                        body, batch_done, c, err);
}

/* A failed batch goes out again after a growing pause (its receipts stay valid until the
 * messages' visibility timeout ends): an outage of SQS does not turn into redeliveries. */
static void batch_again(void *ctx)
{
    batch_call *c = ctx;
    wc_error err;
    if (batch_send(c, &err) != WC_OK) {
        wc_errorlog("%s of %zu messages could not start: %s",
                    c->hide ? "ChangeMessageVisibilityBatch" : "DeleteMessageBatch", c->b.n,
                    err.msg);
        sqs_source *s = c->s;
        batch_call_free(c);
        s->calls--;
        tell(s);
    }
}

static void batch_done(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                       const wc_error *err)
{
    batch_call *c = ctx;
    sqs_source *s = c->s;
    const char *what = c->hide ? "ChangeMessageVisibilityBatch" : "DeleteMessageBatch";
    const char *then = c->hide ? "they come back when their visibility timeout ends"
                               : "they will be delivered and applied again";
    size_t failed = json_array_size(json_object_get(answer, "Failed"));
    if (result != WC_OK && result != WC_ERR_NOMEM && c->tries < BATCH_TRIES) {
        uint64_t pause = 500u << c->tries++;
        wc_warn("%s of %zu messages failed: %s (trying again in %llu ms)", what, c->b.n, err->msg,
                (unsigned long long)pause);
        wc_loop_timer_start(s->loop, &c->retry, pause, batch_again, c);
        return;
    }
    if (result != WC_OK)
        wc_errorlog("%s of %zu messages failed: %s (%s)", what, c->b.n, err->msg, then);
    else if (failed)
        wc_errorlog("%s: %zu of %zu messages not done (%s)", what, failed, c->b.n, then);
    batch_call_free(c);
    s->calls--;
    tell(s);
}

static void send_batch(sqs_source *s, batch *b, int hide)
{
    if (b->n == 0)
        return;
    batch_call *c = calloc(1, sizeof(*c));
    wc_error err;
    json_t *body =
        c ? wc_sqs_batch_body(s->url, b->receipts, hide ? b->seconds : NULL, b->n) : NULL;
    wc_result result = body ? WC_OK : wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK) {
        c->s = s;
        c->b = *b;
        c->hide = hide;
        b->n = 0;
        result = wc_sqs_start(s->aws, hide ? "ChangeMessageVisibilityBatch" : "DeleteMessageBatch",
                              body, batch_done, c, &err);
        body = NULL;
        if (result == WC_OK) {
            s->calls++;
            c->next = s->batch_calls; /* on the list, for destroy to free what never ended */
            if (c->next)
                c->next->prev = c;
            s->batch_calls = c;
            return;
        }
        *b = c->b;
    }
    json_decref(body);
    free(c);
    wc_errorlog("%s of %zu messages could not start: %s", hide ? "visibility change" : "delete",
                b->n, err.msg);
    batch_clear(b);
}

static void flush_now(void *ctx)
{
    sqs_source *s = ctx;
    send_batch(s, &s->deletes, 0);
    send_batch(s, &s->hides, 1);
}

/* Adds a receipt (taken) to a batch: out when full, else at the end of this turn. */
static void enqueue(sqs_source *s, batch *b, char *receipt, int seconds, int hide)
{
    if (!receipt)
        return; /* out of memory: the message comes back after its visibility timeout */
    b->receipts[b->n] = receipt;
    b->seconds[b->n] = seconds;
    if (++b->n == BATCH)
        send_batch(s, b, hide);
    else if (!wc_loop_timer_running(&s->flush_timer))
        wc_loop_timer_start(s->loop, &s->flush_timer, 0, flush_now, s);
}

/* --- the heartbeat: a message whose request is still in flight at half its visibility timeout
 * is hidden again for the whole timeout, so that no other consumer receives it meanwhile (and
 * no receive counts toward a redrive policy's maxReceiveCount) --- */

static void heartbeat(void *ctx);

static void heartbeat_arm(sqs_source *s)
{
    uint64_t first = UINT64_MAX;
    for (held *h = s->held; h; h = h->next)
        if (h->extend_at < first)
            first = h->extend_at;
    if (first == UINT64_MAX) {
        wc_loop_timer_stop(s->loop, &s->heartbeat);
        return;
    }
    uint64_t now = s->clock->now_ms(s->clock);
    wc_loop_timer_start(s->loop, &s->heartbeat, first > now ? first - now : 0, heartbeat, s);
}

static void enqueue(sqs_source *s, batch *b, char *receipt, int seconds, int hide);

static void heartbeat(void *ctx)
{
    sqs_source *s = ctx;
    uint64_t now = s->clock->now_ms(s->clock);
    uint64_t half = (uint64_t)s->visibility_s * 500;
    for (held *h = s->held; h; h = h->next) {
        if (h->extend_at > now)
            continue;
        char *copy = strdup(h->receipt);
        if (copy) {
            wc_debug("heartbeat: visibility of a message in flight extended by %d s",
                     s->visibility_s);
            enqueue(s, &s->hides, copy, s->visibility_s, 1);
            s->extended++;
        }
        h->extend_at = now + half;
    }
    heartbeat_arm(s);
}

/* A message handed out: watched from when it arrived (its visibility timeout started then). */
static void hold(sqs_source *s, const char *receipt, uint64_t received_ms)
{
    if (s->visibility_s <= 0) /* visible again at once anyway: nothing to keep */
        return;
    held *h = calloc(1, sizeof(*h));
    if (!h || !(h->receipt = strdup(receipt))) {
        free(h);
        return; /* out of memory: it may be delivered again, as without a heartbeat */
    }
    h->extend_at = received_ms + (uint64_t)s->visibility_s * 500;
    h->next = s->held;
    s->held = h;
    heartbeat_arm(s);
}

/* The message's end (ack, defer, release, dead letter): no more heartbeats for it. */
static void unhold(sqs_source *s, const char *receipt)
{
    if (!receipt)
        return;
    for (held **link = &s->held; *link; link = &(*link)->next)
        if (strcmp((*link)->receipt, receipt) == 0) {
            held *h = *link;
            *link = h->next;
            free(h->receipt);
            free(h);
            break;
        }
    if (!s->held)
        wc_loop_timer_stop(s->loop, &s->heartbeat);
}

unsigned long long wc_sqs_source_extended(const wc_source *source)
{
    return ((const sqs_source *)source->self)->extended;
}

/* --- receiving: calls kept in flight ahead of need --- */

static void hand_back_buffer(sqs_source *s)
{
    for (; s->buffer && s->next < json_array_size(s->buffer); s->next++) {
        const char *receipt =
            json_string_value(json_object_get(json_array_get(s->buffer, s->next), "ReceiptHandle"));
        char *copy = receipt ? strdup(receipt) : NULL;
        if (copy)
            enqueue(s, &s->hides, copy, 0, 1);
    }
}

static void received(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                     const wc_error *err)
{
    receiving *r = ctx;
    sqs_source *s = r->s;
    if (r->prev)
        r->prev->next = r->next;
    else
        s->receives = r->next;
    if (r->next)
        r->next->prev = r->prev;
    s->n_receives--;
    free(r);
    if (result != WC_OK) {
        s->failed = 1;
        s->failure = *err;
        wc_error_prefix(&s->failure, "ReceiveMessage: ");
    } else {
        json_t *list = json_object_get(answer, "Messages");
        size_t n = json_array_size(list);
        /* the last answer tells: messages after an empty answer are no empty poll */
        s->came_empty = n == 0;
        s->busy = n > 0;
        if (n > 0 && !s->buffer)
            s->buffer = json_array();
        json_int_t now = (json_int_t)s->clock->now_ms(s->clock);
        for (size_t i = 0; i < n; i++)
            json_object_set_new(json_array_get(list, i), RECEIVED_AT, json_integer(now));
        if (s->buffer)
            json_array_extend(s->buffer, list);
    }
    if (s->stopping)
        hand_back_buffer(s);
    tell(s);
}

static void start_receive(sqs_source *s, int max)
{
    receiving *r = calloc(1, sizeof(*r));
    json_t *body = r ? wc_sqs_receive_body(s->url, max, s->wait_s, s->visibility_s) : NULL;
    wc_error err;
    if (!body) {
        free(r);
        s->failed = 1;
        wc_error_set(&s->failure, WC_ERR_NOMEM, "ReceiveMessage: out of memory");
        return;
    }
    r->s = s;
    if (wc_aws_json_start_h(s->aws, "sqs", "AmazonSQS.ReceiveMessage", body, received, r, &r->call,
                            &err) != WC_OK) {
        free(r);
        s->failed = 1;
        s->failure = err;
        wc_error_prefix(&s->failure, "ReceiveMessage: ");
        return;
    }
    r->next = s->receives;
    if (s->receives)
        s->receives->prev = r;
    s->receives = r;
    s->n_receives++;
}

/* Whether a message this consumer deferred is still to come back. Forgets those long overdue
 * (another consumer took them). */
static int waiting_for_deferred(sqs_source *s)
{
    uint64_t now = s->clock->now_ms(s->clock);
    wc_deferrals_unmark_all(s->deferred);
    int waiting = 0;
    for (size_t i = 0; i < wc_deferrals_count(s->deferred); i++) {
        const char *key = wc_deferrals_key(s->deferred, i);
        if (wc_deferrals_waiting(s->deferred, key, now)) {
            wc_deferrals_mark(s->deferred, key);
            waiting = 1;
        }
    }
    wc_deferrals_sweep(s->deferred);
    return waiting;
}

wc_result wc_sqs_message_read(json_t *m, size_t max_body, wc_message *msg, wc_error *err)
{
    const char *id = json_string_value(json_object_get(m, "MessageId"));
    const char *body = json_string_value(json_object_get(m, "Body"));
    const char *receipt = json_string_value(json_object_get(m, "ReceiptHandle"));
    const char *count = json_string_value(
        json_object_get(json_object_get(m, "Attributes"), "ApproximateReceiveCount"));
    if (!id || !body || !receipt)
        return wc_error_set(err, WC_ERR_PARSE,
                            "ReceiveMessage answered a message without MessageId, Body or "
                            "ReceiptHandle");
    msg->key = strdup(id);
    msg->handle = strdup(receipt);
    /* Its place: the producer's sequence, else when SQS got it, ranked by type within one
     * millisecond once the body is read (core/place.h). */
    const char *sequence = json_string_value(json_object_get(
        json_object_get(json_object_get(m, "MessageAttributes"), WC_SQS_SEQUENCE), "StringValue"));
    const char *sent =
        json_string_value(json_object_get(json_object_get(m, "Attributes"), "SentTimestamp"));
    if (sequence) {
        wc_message_set_place(msg, sequence, "message attribute " WC_SQS_SEQUENCE);
    } else if (sent) {
        /* epoch milliseconds: up to 13 digits, nothing else */
        char place[WC_PLACE_MAX + 1];
        size_t digits = strspn(sent, "0123456789");
        int ok = digits > 0 && digits <= 13 && sent[digits] == '\0' &&
                 wc_place_of_message(strtoull(sent, NULL, 10), id, place, sizeof(place));
        wc_message_set_place(msg, ok ? place : NULL, "SentTimestamp and MessageId");
    } else {
        wc_message_set_place(msg, NULL,
                             "message: neither a " WC_SQS_SEQUENCE
                             " attribute nor a SentTimestamp, so it");
    }
    long times = count ? strtol(count, NULL, 10) : 1;
    msg->attempts = times > 1 ? (unsigned)(times - 1) : 0;
    msg->len = strlen(body);
    /* An oversized body is not read as a request, but it is kept: it goes to the dead letters. */
    msg->too_large = msg->len > max_body;
    msg->body = strdup(body);
    if (!msg->key || !msg->handle || !msg->body) {
        free(msg->handle);
        wc_message_cleanup(msg);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    return WC_OK;
}

static wc_result take(sqs_source *s, wc_message *msg, wc_error *err)
{
    json_t *m = json_array_get(s->buffer, s->next++);
    if (s->next == json_array_size(s->buffer)) {
        json_decref(s->buffer);
        s->buffer = NULL;
        s->next = 0;
    }
    wc_result result = wc_sqs_message_read(m, s->max_body, msg, err);
    /* An SNS notification: the request inside, and its place (sources/sns_envelope.h). */
    if (result == WC_OK && wc_sns_envelope_unwrap(msg, s->envelope, s->max_body) != WC_OK) {
        free(msg->handle); /* it comes back after its visibility timeout */
        wc_message_cleanup(msg);
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (result == WC_ERR_PARSE) {
        const char *receipt = json_string_value(json_object_get(m, "ReceiptHandle"));
        if (receipt) /* not ours to judge: back it goes, for the queue's own redrive policy */
            enqueue(s, &s->hides, strdup(receipt), s->visibility_s, 1);
        return result;
    }
    /* It came back (MessageId is there: read above). */
    wc_deferrals_forget(s->deferred, json_string_value(json_object_get(m, "MessageId")));
    if (result == WC_OK)
        hold(s, msg->handle, (uint64_t)json_integer_value(json_object_get(m, RECEIVED_AT)));
    return result;
}

/* Receives in flight for what the consumer could take (want), beyond what is in the buffer; but
 * after an empty answer, none until that empty poll is told. */
static void fetch_ahead(sqs_source *s, unsigned want)
{
    size_t buffered = s->buffer ? json_array_size(s->buffer) - s->next : 0;
    unsigned most = s->busy ? s->max_receives : 1;
    while (!s->stopping && !s->came_empty && !s->failed && want > buffered &&
           s->n_receives < most && s->n_receives * BATCH < want - buffered) {
        unsigned before = s->n_receives;
        start_receive(s, BATCH);
        if (s->n_receives == before)
            break;
    }
}

static wc_result sqs_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    sqs_source *s = self;
    memset(msg, 0, sizeof(*msg));
    if (wc_kept_take(s->kept, msg)) { /* a deferred message now due, first */
        fetch_ahead(s, want > 0 ? want - 1 : 0);
        return WC_OK;
    }
    json_incref(s->buffer); /* take() may drop the buffer while it reads a message of it */
    json_t *holding = s->buffer;
    wc_result result = WC_WAIT;
    if (s->buffer && s->next < json_array_size(s->buffer))
        result = take(s, msg, err);
    json_decref(holding);
    if (result == WC_OK) {
        /* The next receive goes out while the last messages of this one are applied (want
         * counted the one just taken). */
        fetch_ahead(s, want > 0 ? want - 1 : 0);
        return WC_OK;
    }
    if (result != WC_WAIT)
        return result;
    if (s->failed) {
        s->failed = 0;
        if (err)
            *err = s->failure;
        return s->failure.code ? s->failure.code : WC_ERR_IO;
    }
    if (s->came_empty && s->n_receives == 0) {
        s->came_empty = 0;
        return waiting_for_deferred(s) || wc_kept_count(s->kept) ? WC_WAIT : WC_EMPTY;
    }
    fetch_ahead(s, want);
    return WC_WAIT;
}

static wc_result sqs_ack(void *self, wc_message *msg, wc_error *err)
{
    sqs_source *s = self;
    unhold(s, msg->handle);
    /* Batched: a crash before the batch goes out means a redelivery, and applying a request
     * again leaves the same state. */
    enqueue(s, &s->deletes, msg->handle, 0, 0);
    msg->handle = NULL;
    return WC_OK;
}

/* --- deferrals kept in hand (sources/kept.h) --- */

static void kept_due(void *ctx)
{
    tell(ctx);
}

/* Whether msg, deferred for delay_ms, is kept in hand (its handle taken, its heartbeat going on)
 * rather than hidden in the queue. */
static int keep_in_hand(sqs_source *s, wc_message *msg, uint64_t delay_ms)
{
    return !s->stopping && s->visibility_s > 0 && delay_ms > 0 && delay_ms < KEEP_BELOW_MS &&
           wc_kept_keep(s->kept, msg, msg->attempts + 1, delay_ms) == WC_OK;
}

/* Its widget's create was applied: a deferred message kept in hand is offered at once. One hidden
 * in the queue already stays hidden until its time (nothing to do). */
static wc_result sqs_hurry(void *self, const char *key)
{
    sqs_source *s = self;
    return wc_kept_hurry(s->kept, key) ? WC_OK : WC_ERR_NOT_FOUND;
}

/* At a stop: what is kept goes back to the queue, hidden for the rest of its delay. */
static void hand_back_kept(sqs_source *s)
{
    wc_message m;
    uint64_t left;
    while (wc_kept_take_any(s->kept, &m, &left)) {
        unhold(s, m.handle);
        enqueue(s, &s->hides, m.handle, (int)((left + 999) / 1000), 1);
        m.handle = NULL;
        wc_message_cleanup(&m);
    }
}

static wc_result sqs_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    sqs_source *s = self;
    if (keep_in_hand(s, msg, delay_ms))
        return WC_OK;
    uint64_t secs = (delay_ms + 999) / 1000;
    if (secs > HIDE_UNDEAD_S)
        secs = HIDE_UNDEAD_S;
    unhold(s, msg->handle);
    wc_deferrals_defer(s->deferred, msg->key, msg->attempts + 1,
                       s->clock->now_ms(s->clock) + secs * 1000 + DUE_GRACE_MS);
    enqueue(s, &s->hides, msg->handle, (int)secs, 1);
    msg->handle = NULL;
    return WC_OK;
}

static wc_result sqs_release(void *self, wc_message *msg, wc_error *err)
{
    sqs_source *s = self;
    unhold(s, msg->handle);
    enqueue(s, &s->hides, msg->handle, 0, 1);
    msg->handle = NULL;
    return WC_OK;
}

/* A dead letter on its way: SendMessage to the dead-letter queue, then the delete. */
typedef struct {
    sqs_source *s;
    char *receipt;
    char *key;
    wc_source_done done;
    void *ctx;
} dead_letter;

static void dead_letter_sent(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                             const wc_error *err)
{
    dead_letter *d = ctx;
    sqs_source *s = d->s;
    wc_error e = *err;
    if (result == WC_OK) {
        enqueue(s, &s->deletes, d->receipt, 0, 0); /* sent first, deleted after: never lost */
        d->receipt = NULL;
    } else {
        wc_error_prefix(&e, "dead-lettering %s: ", d->key);
        /* It stays in the queue, hidden for a while, and comes back to be tried again. */
        enqueue(s, &s->hides, d->receipt, s->visibility_s, 1);
        d->receipt = NULL;
    }
    s->calls--;
    d->done(d->ctx, result, &e);
    free(d->key);
    free(d);
    tell(s);
}

static wc_result sqs_dead_letter(void *self, wc_message *msg, const char *reason,
                                 wc_source_done done, void *ctx, wc_error *err)
{
    sqs_source *s = self;
    wc_error e;
    wc_error_clear(&e);
    unhold(s, msg->handle);
    if (!s->dead_url && s->redrive) {
        /* The queue's own redrive policy moves it after its maxReceiveCount: hand it back. */
        enqueue(s, &s->hides, msg->handle, 0, 1);
        msg->handle = NULL;
        done(ctx, WC_ERR_BUSY, &e);
        return WC_OK;
    }
    if (!s->dead_url) {
        wc_errorlog("request=%s has no dead-letter queue to go to (--dead-letter-queue): hidden "
                    "for 12 hours, still in the queue",
                    msg->key);
        enqueue(s, &s->hides, msg->handle, HIDE_UNDEAD_S, 1);
        msg->handle = NULL;
        done(ctx, WC_OK, &e);
        return WC_OK;
    }
    dead_letter *d = calloc(1, sizeof(*d));
    json_t *body = d ? wc_sqs_send_body(s->dead_url, msg->body ? msg->body : "", NULL, NULL, reason,
                                        msg->place) /* redriven, it keeps its place */
                     : NULL;
    if (d)
        d->key = strdup(msg->key);
    if (!body || !d->key) {
        json_decref(body);
        if (d)
            free(d->key);
        free(d);
        enqueue(s, &s->hides, msg->handle, 0, 1);
        msg->handle = NULL;
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    *d = (dead_letter){s, msg->handle, d->key, done, ctx};
    msg->handle = NULL;
    wc_result result = wc_sqs_start(s->aws, "SendMessage", body, dead_letter_sent, d, err);
    if (result != WC_OK) {
        enqueue(s, &s->hides, d->receipt, 0, 1);
        free(d->key);
        free(d);
        return result;
    }
    s->calls++;
    return WC_OK;
}

static void sqs_set_notify(void *self, wc_source_notify notify, void *ctx)
{
    sqs_source *s = self;
    s->notify = notify;
    s->notify_ctx = ctx;
}

static unsigned sqs_flush(void *self)
{
    sqs_source *s = self;
    wc_loop_timer_stop(s->loop, &s->flush_timer);
    flush_now(s);
    return s->calls + s->n_receives;
}

static void cancel_receives(sqs_source *s)
{
    while (s->receives) {
        receiving *r = s->receives;
        s->receives = r->next;
        wc_aws_cancel(s->aws, r->call);
        free(r);
    }
    s->n_receives = 0;
}

/* The grace for receives under way at a stop has passed: what is still under way is an idle long
 * poll (a busy queue answers at once). It is abandoned; should SQS have picked a message for it
 * after all, that message comes back after its visibility timeout, as after a crash. */
static void grace_over(void *ctx)
{
    sqs_source *s = ctx;
    cancel_receives(s);
    tell(s);
}

static void sqs_stop(void *self)
{
    sqs_source *s = self;
    s->stopping = 1;
    /* Receives under way are waited for a moment, and what they bring is handed back at once. */
    if (s->n_receives)
        wc_loop_timer_start(s->loop, &s->grace_timer, STOP_GRACE_MS, grace_over, s);
    hand_back_buffer(s);
    hand_back_kept(s);
}

static void sqs_destroy(void *self)
{
    sqs_source *s = self;
    if (!s)
        return;
    if (s->loop) {
        wc_loop_timer_stop(s->loop, &s->flush_timer);
        wc_loop_timer_stop(s->loop, &s->grace_timer);
        wc_loop_timer_stop(s->loop, &s->heartbeat);
    }
    while (s->held) {
        held *h = s->held;
        s->held = h->next;
        free(h->receipt);
        free(h);
    }
    cancel_receives(s);
    if (s->deletes.n || s->hides.n)
        wc_warn("%zu deletes and %zu visibility changes of the request queue were not sent (the "
                "messages come back)",
                s->deletes.n, s->hides.n);
    batch_clear(&s->deletes);
    batch_clear(&s->hides);
    /* Batches still under way (abandoned with the client) or waiting to be tried again. */
    while (s->batch_calls)
        batch_call_free(s->batch_calls);
    json_decref(s->buffer);
    wc_deferrals_free(s->deferred);
    wc_kept_free(s->kept);
    free(s->url);
    free(s->dead_url);
    free(s);
}

static const wc_source_ops sqs_source_ops = {
    .kind = "sqs",
    .receive = sqs_receive,
    .ack = sqs_ack,
    .defer = sqs_defer,
    .dead_letter = sqs_dead_letter,
    .release = sqs_release,
    .hurry = sqs_hurry,
    .set_notify = sqs_set_notify,
    .flush = sqs_flush,
    .stop = sqs_stop,
    .destroy = sqs_destroy,
};

static wc_result resolve(wc_aws *aws, const char *what, const char *queue, char **url,
                         wc_error *err)
{
    wc_aws_error aerr;
    wc_error e;
    wc_result result = wc_sqs_queue_url(aws, queue, url, &aerr, &e);
    return result == WC_OK ? WC_OK : wc_aws_resource_error(err, result, what, queue, &aerr, &e);
}

/* Whether two queue URLs name one queue: the same path (/account/name), whatever the host
 * (sqs.us-east-1.amazonaws.com, queue.amazonaws.com, a proxy in front of a stand-in). */
static int same_queue(const char *a, const char *b)
{
    const char *pa = strstr(a, "://"), *pb = strstr(b, "://");
    pa = pa ? strchr(pa + 3, '/') : NULL;
    pb = pb ? strchr(pb + 3, '/') : NULL;
    if (!pa || !pb)
        return strcmp(a, b) == 0;
    size_t la = strlen(pa), lb = strlen(pb);
    while (la > 1 && pa[la - 1] == '/')
        la--;
    while (lb > 1 && pb[lb - 1] == '/')
        lb--;
    return la == lb && strncmp(pa, pb, la) == 0;
}

wc_result wc_sqs_source_open(const wc_sqs_source_config *c, wc_source *out, wc_error *err)
{
    sqs_source *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->aws = c->aws;
    s->loop = wc_aws_loop(c->aws);
    s->wait_s = c->wait_s;
    s->visibility_s = c->visibility_s;
    s->max_body = c->max_body;
    s->envelope = c->envelope;
    s->clock = c->clock ? c->clock : wc_clock_system();
    s->deferred = wc_deferrals_new();
    s->kept = wc_kept_new(s->loop, KEEP_MAX, KEEP_BYTES, kept_due, s);
    if (!s->deferred || !s->kept) {
        sqs_destroy(s);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    wc_result result = resolve(c->aws, "request queue", c->queue, &s->url, err);
    size_t ulen = s->url ? strlen(s->url) : 0;
    s->busy = 1;
    int fifo = ulen > 5 && strcmp(s->url + ulen - 5, ".fifo") == 0;
    s->max_receives = fifo || !c->classic_order ? MAX_RECEIVES : 1;
    if (result == WC_OK && c->dead_letter_queue)
        result = resolve(c->aws, "dead-letter queue", c->dead_letter_queue, &s->dead_url, err);
    /* A dead letter sent to the request queue comes back as a request, fails again and goes round
     * for ever (once 598,000 times in 10 minutes). */
    if (result == WC_OK && c->dead_letter_queue && same_queue(s->url, s->dead_url))
        result = wc_error_set(err, WC_ERR_INVALID,
                              "--dead-letter-queue \"%s\" is the request queue itself (%s): bad "
                              "requests would come back as requests for ever; name another queue",
                              c->dead_letter_queue, s->url);
    if (result == WC_OK && !c->dead_letter_queue) {
        char *policy = NULL;
        wc_aws_error aerr;
        wc_error e;
        if (wc_sqs_redrive_policy(c->aws, s->url, &policy, &aerr, &e) == WC_OK && policy[0]) {
            s->redrive = 1;
            wc_info("request queue \"%s\" has a redrive policy (%s): bad requests are left to it",
                    c->queue, policy);
        } else {
            wc_warn("request queue \"%s\" has no dead-letter queue (--dead-letter-queue) and no "
                    "redrive policy: bad requests will be hidden in it for 12 hours",
                    c->queue);
        }
        free(policy);
    }
    if (result != WC_OK) {
        sqs_destroy(s);
        return result;
    }
    out->ops = &sqs_source_ops;
    out->self = s;
    return WC_OK;
}
