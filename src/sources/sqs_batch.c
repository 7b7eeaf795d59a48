/* sqs_batch.c - the SQS source's batches: deletes of applied messages, visibility changes of
 * deferred and handed-back ones, sent when ten are waiting or at the end of the loop's turn,
 * without stopping anything (sqs_state.h). */
#include <stdlib.h>

#include "aws/sqs.h"
#include "common/log.h"
#include "sources/sqs_state.h"

struct sqs_batch_call {
    sqs_source *s;
    sqs_batch b;
    int hide;       /* a ChangeMessageVisibilityBatch (else DeleteMessageBatch) */
    unsigned tries; /* calls of this batch that failed */
    wc_timer retry; /* the next try, after a failure */
    wc_link link;   /* on s->batch_calls */
};

typedef sqs_batch_call batch_call;

static void batch_clear(sqs_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->receipts[i]);
    b->n = 0;
}

static void batch_call_free(batch_call *c)
{
    sqs_source *s = c->s;
    wc_list_remove(&s->batch_calls, &c->link);
    wc_loop_timer_stop(s->loop, &c->retry);
    batch_clear(&c->b);
    free(c);
}

/* A batch call is over (done, or given up): no longer under way. */
static void batch_end(batch_call *c)
{
    sqs_source *s = c->s;
    batch_call_free(c);
    s->calls--;
    wc_source_tell(&s->notifier);
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
                        body, batch_done, c, NULL, err);
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
        batch_end(c);
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
    batch_end(c);
}

/* Sends what b holds as one call (b is emptied: the call owns its receipts); a call that cannot
 * start is logged and its receipts dropped (the messages come back after their visibility). */
static void send_batch(sqs_source *s, sqs_batch *b, int hide)
{
    if (b->n == 0)
        return;
    batch_call *c = calloc(1, sizeof(*c));
    wc_error err;
    wc_result result = c ? WC_OK : wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK) {
        c->s = s;
        c->b = *b;
        c->hide = hide;
        result = batch_send(c, &err);
    }
    if (result == WC_OK) {
        b->n = 0;
        s->calls++;
        wc_list_append(&s->batch_calls, &c->link); /* for destroy to free what never ended */
        return;
    }
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
static void enqueue(sqs_source *s, sqs_batch *b, char *receipt, int seconds, int hide)
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

void sqs_delete_later(sqs_source *s, char *receipt)
{
    enqueue(s, &s->deletes, receipt, 0, 0);
}

void sqs_hide_later(sqs_source *s, char *receipt, int seconds)
{
    enqueue(s, &s->hides, receipt, seconds, 1);
}

void sqs_batches_send(sqs_source *s)
{
    wc_loop_timer_stop(s->loop, &s->flush_timer);
    flush_now(s);
}

void sqs_batches_free(sqs_source *s)
{
    if (s->loop)
        wc_loop_timer_stop(s->loop, &s->flush_timer);
    if (s->deletes.n || s->hides.n)
        wc_warn("%zu deletes and %zu visibility changes of the request queue were not sent (the "
                "messages come back)",
                s->deletes.n, s->hides.n);
    batch_clear(&s->deletes);
    batch_clear(&s->hides);
    /* Batches still under way (abandoned with the client) or waiting to be tried again. */
    while (s->batch_calls.first)
        batch_call_free(WC_LIST_ENTRY(s->batch_calls.first, batch_call, link));
}
