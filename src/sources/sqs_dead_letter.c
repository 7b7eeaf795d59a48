/* sqs_dead_letter.c - the SQS source's dead letters: SendMessage to the dead-letter queue with the
 * reason, then the delete; or, without a dead-letter queue, back to the queue's own redrive policy
 * or hidden for 12 hours (sqs_state.h). */
#include <stdlib.h>
#include <string.h>

#include "aws/sqs.h"
#include "common/log.h"
#include "sources/sqs_state.h"

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
        sqs_delete_later(s, d->receipt); /* sent first, deleted after: never lost */
        d->receipt = NULL;
    } else {
        wc_error_prefix(&e, "dead-lettering %s: ", d->key);
        /* It stays in the queue, hidden for a while, and comes back to be tried again. */
        sqs_hide_later(s, d->receipt, s->visibility_s);
        d->receipt = NULL;
    }
    s->calls--;
    d->done(d->ctx, result, &e);
    free(d->key);
    free(d);
    wc_source_tell(&s->notifier);
}

wc_result sqs_dead_letter(void *self, wc_message *msg, const char *reason, wc_source_done done,
                          void *ctx, wc_error *err)
{
    sqs_source *s = self;
    wc_error e;
    wc_error_clear(&e);
    char *receipt = sqs_let_go(s, msg);
    if (!s->dead_url && s->redrive) {
        /* The queue's own redrive policy moves it after its maxReceiveCount: hand it back. */
        sqs_hide_later(s, receipt, 0);
        done(ctx, WC_ERR_BUSY, &e);
        return WC_OK;
    }
    if (!s->dead_url) {
        wc_errorlog("request=%s has no dead-letter queue to go to (--dead-letter-queue): hidden "
                    "for 12 hours, still in the queue",
                    msg->key);
        sqs_hide_later(s, receipt, HIDE_UNDEAD_S);
        done(ctx, WC_OK, &e);
        return WC_OK;
    }
    dead_letter *d = calloc(1, sizeof(*d));
    json_t *body = d ? wc_sqs_send_body(s->dead_url, msg->body ? msg->body : "", NULL, NULL, reason,
                                        msg->place) /* redriven, it keeps its place */
                     : NULL;
    if (d)
        *d = (dead_letter){s, receipt, strdup(msg->key), done, ctx};
    wc_result result;
    if (!body || !d->key) {
        json_decref(body);
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else {
        result = wc_sqs_start(s->aws, "SendMessage", body, dead_letter_sent, d, NULL, err);
    }
    if (result != WC_OK) { /* back in the queue at once */
        sqs_hide_later(s, receipt, 0);
        if (d)
            free(d->key);
        free(d);
        return result;
    }
    s->calls++;
    return WC_OK;
}
