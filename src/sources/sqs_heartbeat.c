/* sqs_heartbeat.c - the SQS source's heartbeat: a message whose request is still in flight at half
 * its visibility timeout is hidden again for the whole timeout, so that no other consumer receives
 * it meanwhile (and no receive counts toward a redrive policy's maxReceiveCount)
 * (sqs_source_private.h). */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sources/sqs_source.h"
#include "sources/sqs_source_private.h"

typedef sqs_held held;

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
            sqs_hide_later(s, copy, s->visibility_s);
            s->extended++;
        }
        h->extend_at = now + half;
    }
    heartbeat_arm(s);
}

/* A message handed out: watched from when it arrived (its visibility timeout started then). */
void sqs_hold(sqs_source *s, const char *receipt, uint64_t received_ms)
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

/* The message's end (ack, defer, release, dead letter, forget): no more heartbeats for it. */
void sqs_unhold(sqs_source *s, const char *receipt)
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

void sqs_held_free(sqs_source *s)
{
    if (s->loop)
        wc_loop_timer_stop(s->loop, &s->heartbeat);
    while (s->held) {
        held *h = s->held;
        s->held = h->next;
        free(h->receipt);
        free(h);
    }
}
