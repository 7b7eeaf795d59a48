#include "sources/sqs_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sqs.h"
#include "common/log.h"
#include "sources/deferrals.h"

#define HIDE_UNDEAD_S 43200 /* 12 hours: the longest SQS allows */
#define DUE_GRACE_MS  2000  /* how long after its due time a deferred message is waited for */

typedef struct {
    wc_aws *aws;
    char *url;
    char *dead_url;
    int wait_s, visibility_s;
    size_t max_body;
    json_t *cache; /* received messages not yet handed out */
    size_t next;
    wc_clock *clock;
    wc_deferrals *deferred; /* by MessageId: ours, hidden until due */
    char *done[10];         /* receipts of applied messages, deleted in one batch */
    size_t n_done;
    int redrive; /* the queue has its own redrive policy (a dead-letter queue) */
} sqs_source;

/* Deletes the applied messages waiting for their batch. */
static void flush_deletes(sqs_source *s)
{
    if (s->n_done == 0)
        return;
    size_t failed = 0;
    wc_aws_error aerr;
    wc_error err;
    if (wc_sqs_delete_batch(s->aws, s->url, s->done, s->n_done, &failed, &aerr, &err) != WC_OK)
        wc_errorlog("DeleteMessageBatch of %zu applied messages failed: %s (they will be "
                    "delivered and applied again)",
                    s->n_done, err.msg);
    else if (failed)
        wc_errorlog("DeleteMessageBatch: %zu of %zu applied messages not deleted (they will be "
                    "delivered and applied again)",
                    failed, s->n_done);
    for (size_t i = 0; i < s->n_done; i++)
        free(s->done[i]);
    s->n_done = 0;
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

static wc_result sqs_receive(void *self, wc_message *msg, int may_wait, wc_error *err)
{
    sqs_source *s = self;
    memset(msg, 0, sizeof(*msg));
    if (!s->cache || s->next >= json_array_size(s->cache)) {
        /* Before asking for more, the applied ones leave: on a FIFO queue their group waits. */
        flush_deletes(s);
        json_decref(s->cache);
        s->cache = NULL;
        s->next = 0;
        wc_aws_error aerr;
        wc_result result = wc_sqs_receive(s->aws, s->url, 10, may_wait ? s->wait_s : 0,
                                          s->visibility_s, &s->cache, &aerr, err);
        if (result != WC_OK) {
            wc_error_prefix(err, "ReceiveMessage: ");
            return result;
        }
        if (json_array_size(s->cache) == 0)
            return waiting_for_deferred(s) ? WC_WAIT : WC_EMPTY;
    }
    json_t *m = json_array_get(s->cache, s->next++);
    const char *id = json_string_value(json_object_get(m, "MessageId"));
    const char *body = json_string_value(json_object_get(m, "Body"));
    const char *receipt = json_string_value(json_object_get(m, "ReceiptHandle"));
    const char *count = json_string_value(
        json_object_get(json_object_get(m, "Attributes"), "ApproximateReceiveCount"));
    if (!id || !body || !receipt)
        return wc_error_set(err, WC_ERR_PARSE,
                            "ReceiveMessage answered a message without "
                            "MessageId, Body or ReceiptHandle");
    wc_deferrals_forget(s->deferred, id); /* it came back */
    msg->key = strdup(id);
    msg->handle = strdup(receipt);
    long received = count ? strtol(count, NULL, 10) : 1;
    msg->attempts = received > 1 ? (unsigned)(received - 1) : 0;
    msg->len = strlen(body);
    /* An oversized body is not read as a request, but it is kept: it goes to the dead letters. */
    msg->too_large = msg->len > s->max_body;
    msg->body = strdup(body);
    if (!msg->key || !msg->handle || !msg->body) {
        free(msg->handle);
        wc_message_cleanup(msg);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    return WC_OK;
}

static wc_result finish(sqs_source *s, wc_message *msg, wc_result result)
{
    free(msg->handle);
    msg->handle = NULL;
    return result;
}

static wc_result sqs_ack(void *self, wc_message *msg, wc_error *err)
{
    sqs_source *s = self;
    /* Batched: a crash before the batch goes out means a redelivery, and applying a request
     * again leaves the same state. */
    s->done[s->n_done++] = msg->handle;
    msg->handle = NULL;
    if (s->n_done == 10)
        flush_deletes(s);
    return WC_OK;
}

static wc_result sqs_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    sqs_source *s = self;
    wc_aws_error aerr;
    uint64_t secs = (delay_ms + 999) / 1000;
    if (secs > HIDE_UNDEAD_S)
        secs = HIDE_UNDEAD_S;
    wc_deferrals_defer(s->deferred, msg->key, msg->attempts + 1,
                       s->clock->now_ms(s->clock) + secs * 1000 + DUE_GRACE_MS);
    return finish(s, msg,
                  wc_sqs_change_visibility(s->aws, s->url, msg->handle, (int)secs, &aerr, err));
}

static wc_result sqs_release(void *self, wc_message *msg, wc_error *err)
{
    sqs_source *s = self;
    wc_aws_error aerr;
    return finish(s, msg, wc_sqs_change_visibility(s->aws, s->url, msg->handle, 0, &aerr, err));
}

static wc_result sqs_dead_letter(void *self, wc_message *msg, const char *reason, wc_error *err)
{
    sqs_source *s = self;
    wc_aws_error aerr;
    if (!s->dead_url && s->redrive) {
        /* The queue's own redrive policy moves it after its maxReceiveCount: hand it back. */
        wc_result result = wc_sqs_change_visibility(s->aws, s->url, msg->handle, 0, &aerr, err);
        return finish(s, msg, result == WC_OK ? WC_ERR_BUSY : result);
    }
    if (!s->dead_url) {
        wc_errorlog("request=%s has no dead-letter queue to go to (--dead-letter-queue): hidden "
                    "for 12 hours, still in the queue",
                    msg->key);
        return finish(
            s, msg,
            wc_sqs_change_visibility(s->aws, s->url, msg->handle, HIDE_UNDEAD_S, &aerr, err));
    }
    /* Send first, delete after: a failure in between leaves the request in the queue. */
    wc_result result = wc_sqs_send(s->aws, s->dead_url, msg->body, NULL, NULL, reason, &aerr, err);
    if (result == WC_OK)
        result = wc_sqs_delete(s->aws, s->url, msg->handle, &aerr, err);
    else
        wc_error_prefix(err, "dead-lettering %s: ", msg->key);
    return finish(s, msg, result);
}

static void sqs_destroy(void *self)
{
    sqs_source *s = self;
    if (!s)
        return;
    flush_deletes(s);
    /* Messages received but never handed out go back to the queue at once. */
    for (size_t i = s->next; s->cache && i < json_array_size(s->cache); i++) {
        const char *receipt =
            json_string_value(json_object_get(json_array_get(s->cache, i), "ReceiptHandle"));
        wc_aws_error aerr;
        if (receipt)
            wc_sqs_change_visibility(s->aws, s->url, receipt, 0, &aerr, NULL);
    }
    json_decref(s->cache);
    wc_deferrals_free(s->deferred);
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

wc_result wc_sqs_source_open(const wc_sqs_source_config *c, wc_source *out, wc_error *err)
{
    sqs_source *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->aws = c->aws;
    s->wait_s = c->wait_s;
    s->visibility_s = c->visibility_s;
    s->max_body = c->max_body;
    s->clock = c->clock ? c->clock : wc_clock_system();
    s->deferred = wc_deferrals_new();
    if (!s->deferred) {
        sqs_destroy(s);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    wc_result result = resolve(c->aws, "request queue", c->queue, &s->url, err);
    if (result == WC_OK && c->dead_letter_queue)
        result = resolve(c->aws, "dead-letter queue", c->dead_letter_queue, &s->dead_url, err);
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
