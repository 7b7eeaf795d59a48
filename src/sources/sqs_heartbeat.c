/* sqs_heartbeat.c - the SQS source's heartbeat: a message whose request is still in flight at half
 * its visibility timeout is hidden again for the whole timeout, so that no other consumer receives
 * it meanwhile (and no receive counts toward a redrive policy's maxReceiveCount)
 * (sqs_state.h).
 *
 * Cost: the messages held are found by receipt in a hashed map (one lookup an end, however many
 * are in flight), and linked in the order they are due. Messages are handed out in the order they
 * arrived, stamped on one monotonic clock, and an extended one is due after every other, so each
 * goes in at the end of the list: a hold, an end and an extension are O(1) expected, and the
 * heartbeat examines only what is due and the first entry that is not. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sources/sqs_source.h"
#include "sources/sqs_state.h"

typedef sqs_held held;

#define HELD(l) WC_LIST_ENTRY(l, held, link)

static void heartbeat(void *ctx);

/* The timer at the first entry's extend_at, or stopped when nothing is held. */
static void heartbeat_arm(sqs_source *s)
{
    if (!s->held.first) {
        wc_loop_timer_stop(s->loop, &s->heartbeat);
        return;
    }
    uint64_t now = s->clock->now_ms(s->clock), first = HELD(s->held.first)->extend_at;
    wc_loop_timer_start(s->loop, &s->heartbeat, first > now ? first - now : 0, heartbeat, s);
}

/* Links h in the order of extend_at, looking from the end: where it goes at once, as messages are
 * held in the order they arrived (see the top); one held out of order walks back past those due
 * after it. */
static void link_held(sqs_source *s, held *h)
{
    wc_link *before = s->held.last;
    while (before && HELD(before)->extend_at > h->extend_at) {
        s->held_walked++;
        before = before->prev;
    }
    wc_list_insert_after(&s->held, before, &h->link);
}

static void heartbeat(void *ctx)
{
    sqs_source *s = ctx;
    uint64_t now = s->clock->now_ms(s->clock);
    uint64_t half = (uint64_t)s->visibility_s * 500; /* > 0: nothing is held otherwise */
    held *h;
    while ((h = HELD(s->held.first)) && h->extend_at <= now) {
        s->held_walked++;
        char *copy = strdup(h->receipt);
        if (copy) {
            wc_debug("heartbeat: visibility of a message in flight extended by %d s",
                     s->visibility_s);
            sqs_hide_later(s, copy, s->visibility_s);
            s->extended++;
        }
        wc_list_remove(&s->held, &h->link);
        h->extend_at = now + half;
        link_held(s, h);
    }
    heartbeat_arm(s);
}

static void held_free(held *h)
{
    if (h)
        free(h->receipt);
    free(h);
}

/* A message handed out: watched from when it arrived (its visibility timeout started then). */
void sqs_hold(sqs_source *s, const char *receipt, uint64_t received_ms)
{
    if (s->visibility_s <= 0) /* visible again at once anyway: nothing to keep */
        return;
    /* Out of memory anywhere below: it may be delivered again, as without a heartbeat. */
    if (!s->held_by_receipt && !(s->held_by_receipt = wc_strmap_new(sizeof(held *))))
        return;
    held *h = calloc(1, sizeof(*h));
    if (!h || !(h->receipt = strdup(receipt))) {
        held_free(h);
        return;
    }
    int added = 0;
    held **slot = wc_strmap_put(s->held_by_receipt, receipt, &added);
    if (!slot || !added) { /* out of memory, or held already (a receipt is one delivery's) */
        held_free(h);
        return;
    }
    *slot = h;
    h->extend_at = received_ms + (uint64_t)s->visibility_s * 500;
    link_held(s, h);
    if (s->held.first == &h->link)
        heartbeat_arm(s);
}

/* The message's end (ack, defer, release, dead letter, forget): no more heartbeats for it. */
void sqs_unhold(sqs_source *s, const char *receipt)
{
    if (!receipt || !s->held_by_receipt)
        return;
    held **slot = wc_strmap_get(s->held_by_receipt, receipt);
    if (!slot)
        return;
    held *h = *slot;
    wc_strmap_remove(s->held_by_receipt, receipt);
    int was_first = s->held.first == &h->link;
    wc_list_remove(&s->held, &h->link);
    held_free(h);
    if (was_first)
        heartbeat_arm(s);
}

char *sqs_let_go(sqs_source *s, wc_message *msg)
{
    char *receipt = msg->handle;
    msg->handle = NULL;
    sqs_unhold(s, receipt);
    return receipt;
}

unsigned long long wc_sqs_source_extended(const wc_source *source)
{
    return ((const sqs_source *)source->self)->extended;
}

unsigned long long wc_sqs_source_held_work(const wc_source *source)
{
    const sqs_source *s = source->self;
    return s->held_walked + (s->held_by_receipt ? wc_strmap_probes(s->held_by_receipt) : 0);
}

void sqs_held_free(sqs_source *s)
{
    if (s->loop)
        wc_loop_timer_stop(s->loop, &s->heartbeat);
    while (s->held.first)
        held_free(HELD(wc_list_pop(&s->held)));
    wc_strmap_free(s->held_by_receipt);
    s->held_by_receipt = NULL;
}
