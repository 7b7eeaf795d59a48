/* sqs_source.c - the SQS source's table of ops, its opening and the simple ends of a message (ack,
 * defer, release); the other jobs are in sqs_receive.c, sqs_batch.c, sqs_heartbeat.c and
 * sqs_dead_letter.c (sqs_state.h). */
#include "sources/sqs_source.h"

#include <stdlib.h>
#include <string.h>

#include "aws/sqs.h"
#include "common/log.h"
#include "sources/sqs_state.h"

static wc_result sqs_ack(void *self, wc_message *msg, wc_error *err)
{
    /* Batched: a crash before the batch goes out means a redelivery, and applying a request
     * again leaves the same state. */
    sqs_delete_later(self, sqs_let_go(self, msg));
    return WC_OK;
}

/* --- deferrals kept in hand (sources/kept.h) --- */

/* Its widget's create was applied: a deferred message kept in hand is offered at once. One hidden
 * in the queue already stays hidden until its time (nothing to do). */
static wc_result sqs_hurry(void *self, const char *key)
{
    sqs_source *s = self;
    return wc_kept_hurry(s->kept, key) ? WC_OK : WC_ERR_NOT_FOUND;
}

static wc_result sqs_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    sqs_source *s = self;
    /* A short deferral is kept in hand (its handle taken, its heartbeat going on) rather than
     * hidden in the queue. */
    if (!s->stopping && s->visibility_s > 0 && delay_ms > 0 && delay_ms < KEEP_BELOW_MS &&
        wc_kept_keep(s->kept, msg, msg->attempts + 1, delay_ms) == WC_OK)
        return WC_OK;
    uint64_t secs = (delay_ms + 999) / 1000;
    if (secs > HIDE_UNDEAD_S)
        secs = HIDE_UNDEAD_S;
    wc_deferrals_defer(s->deferred, msg->key, msg->attempts + 1,
                       s->clock->now_ms(s->clock) + secs * 1000 + DUE_GRACE_MS);
    sqs_hide_later(s, sqs_let_go(s, msg), (int)secs);
    return WC_OK;
}

static wc_result sqs_release(void *self, wc_message *msg, wc_error *err)
{
    sqs_hide_later(self, sqs_let_go(self, msg), 0);
    return WC_OK;
}

/* No call: the message comes back when its visibility timeout ends. */
static void sqs_forget(void *self, wc_message *msg)
{
    free(sqs_let_go(self, msg));
}

static void sqs_set_notify(void *self, wc_source_notify notify, void *ctx)
{
    sqs_source *s = self;
    s->notifier = (wc_source_notifier){notify, ctx};
}

static unsigned sqs_flush(void *self)
{
    sqs_source *s = self;
    sqs_batches_send(s);
    return s->calls + s->n_receives;
}

static void sqs_destroy(void *self)
{
    sqs_source *s = self;
    if (!s)
        return;
    if (s->loop)
        wc_loop_timer_stop(s->loop, &s->grace_timer);
    sqs_held_free(s);
    sqs_cancel_receives(s);
    sqs_batches_free(s);
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
    .forget = sqs_forget,
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
    s->kept = wc_kept_new(s->loop, KEEP_MAX, KEEP_BYTES, &s->notifier);
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
