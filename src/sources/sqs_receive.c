/* sqs_receive.c - the SQS source's receiving: ReceiveMessage calls kept in flight ahead of need,
 * their messages handed out one at a time (sqs_state.h). */
#include <stdlib.h>
#include <string.h>

#include "aws/sqs.h"
#include "core/ledger.h"
#include "sources/sns_envelope.h"
#include "sources/sqs_source.h"
#include "sources/sqs_state.h"

typedef sqs_receiving receiving;

static void hand_back_buffer(sqs_source *s)
{
    for (; s->buffer && s->next < json_array_size(s->buffer); s->next++) {
        const char *receipt =
            json_string_value(json_object_get(json_array_get(s->buffer, s->next), "ReceiptHandle"));
        char *copy = receipt ? strdup(receipt) : NULL;
        if (copy)
            sqs_hide_later(s, copy, 0);
    }
}

/* At a stop: what is kept goes back to the queue, hidden for the rest of its delay. */
static void hand_back_kept(sqs_source *s)
{
    wc_message m;
    uint64_t left;
    while (wc_kept_take_any(s->kept, &m, &left)) {
        sqs_unhold(s, m.handle);
        sqs_hide_later(s, m.handle, (int)((left + 999) / 1000));
        m.handle = NULL;
        wc_message_cleanup(&m);
    }
}

static void received(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                     const wc_error *err)
{
    receiving *r = ctx;
    sqs_source *s = r->s;
    wc_list_remove(&s->receives, &r->link);
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
    wc_source_tell(&s->notifier);
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
    if (wc_sqs_start(s->aws, "ReceiveMessage", body, received, r, &r->call, &err) != WC_OK) {
        free(r);
        s->failed = 1;
        s->failure = err;
        wc_error_prefix(&s->failure, "ReceiveMessage: ");
        return;
    }
    wc_list_append(&s->receives, &r->link);
    s->n_receives++;
}

/* wc_sqs_message_read, which also hands back the MessageId and ReceiptHandle it found, borrowed
 * from m (NULL where missing), for its caller to use without looking them up again. */
static wc_result message_read(json_t *m, size_t max_body, wc_message *msg, const char **id_out,
                              const char **receipt_out, wc_error *err)
{
    const char *id = *id_out = json_string_value(json_object_get(m, "MessageId"));
    const char *body = json_string_value(json_object_get(m, "Body"));
    const char *receipt = *receipt_out = json_string_value(json_object_get(m, "ReceiptHandle"));
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

wc_result wc_sqs_message_read(json_t *m, size_t max_body, wc_message *msg, wc_error *err)
{
    const char *id, *receipt;
    return message_read(m, max_body, msg, &id, &receipt, err);
}

static wc_result take(sqs_source *s, wc_message *msg, wc_error *err)
{
    json_t *m = json_array_get(s->buffer, s->next++);
    if (s->next == json_array_size(s->buffer)) {
        json_decref(s->buffer);
        s->buffer = NULL;
        s->next = 0;
    }
    const char *id, *receipt; /* m's, which the caller holds */
    wc_result result = message_read(m, s->max_body, msg, &id, &receipt, err);
    /* An SNS notification: the request inside, and its place (sources/sns_envelope.h). */
    if (result == WC_OK && wc_sns_envelope_unwrap(msg, s->envelope, s->max_body) != WC_OK) {
        free(msg->handle); /* it comes back after its visibility timeout */
        wc_message_cleanup(msg);
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (result == WC_ERR_PARSE) {
        if (receipt) /* not ours to judge: back it goes, for the queue's own redrive policy */
            sqs_hide_later(s, strdup(receipt), s->visibility_s);
        return result;
    }
    /* It came back (MessageId is there: read above). A copy kept in hand is stale (its
     * visibility ran out, an extension failed): dropped, so that it is not applied twice. */
    wc_deferrals_forget(s->deferred, id);
    wc_message stale;
    if (id && s->kept && wc_kept_take_key(s->kept, id, &stale)) {
        free(sqs_let_go(s, &stale));
        wc_message_cleanup(&stale);
    }
    if (result == WC_OK)
        sqs_hold(s, msg->handle, (uint64_t)json_integer_value(json_object_get(m, RECEIVED_AT)));
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

wc_receive_status sqs_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    sqs_source *s = self;
    memset(msg, 0, sizeof(*msg));
    int ready = wc_kept_take(s->kept, msg); /* a deferred message now due, first */
    if (!ready && s->buffer && s->next < json_array_size(s->buffer)) {
        json_incref(s->buffer); /* take() may drop the buffer while it reads a message of it */
        json_t *holding = s->buffer;
        wc_result result = take(s, msg, err);
        json_decref(holding);
        if (result != WC_OK)
            return WC_RECEIVE_FAILED;
        ready = 1;
    }
    if (ready) {
        /* The next receive goes out while the last messages of this one are applied (want
         * counted the one just taken). */
        fetch_ahead(s, want > 0 ? want - 1 : 0);
        return WC_RECEIVE_READY;
    }
    if (s->failed) {
        s->failed = 0;
        return wc_receive_failed(err, &s->failure);
    }
    if (s->came_empty && s->n_receives == 0) {
        s->came_empty = 0;
        /* A message this consumer deferred may still come back; those long overdue are
         * forgotten (another consumer took them). */
        uint64_t now = s->clock->now_ms(s->clock);
        return wc_deferrals_drop_due(s->deferred, now) || wc_kept_count(s->kept) ? WC_RECEIVE_WAIT
                                                                                 : WC_RECEIVE_EMPTY;
    }
    fetch_ahead(s, want);
    return WC_RECEIVE_WAIT;
}

void sqs_cancel_receives(sqs_source *s)
{
    receiving *r;
    while ((r = WC_LIST_ENTRY(wc_list_pop(&s->receives), receiving, link))) {
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
    sqs_cancel_receives(s);
    wc_source_tell(&s->notifier);
}

void sqs_stop(void *self)
{
    sqs_source *s = self;
    s->stopping = 1;
    /* Receives under way are waited for a moment, and what they bring is handed back at once. */
    if (s->n_receives)
        wc_loop_timer_start(s->loop, &s->grace_timer, STOP_GRACE_MS, grace_over, s);
    hand_back_buffer(s);
    hand_back_kept(s);
}
