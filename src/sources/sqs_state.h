/* sqs_state.h - what the files of the SQS source share inside src/sources/; not for
 * callers of sqs_source.h. One file per job:
 *   sqs_source.c       the table of ops, opening, ack/defer/release, flush, destroy;
 *   sqs_receive.c      ReceiveMessage calls kept in flight ahead of need, and handing out;
 *   sqs_batch.c        DeleteMessageBatch / ChangeMessageVisibilityBatch, tried again on failure;
 *   sqs_heartbeat.c    the visibility of messages handed out, extended while they are in flight;
 *   sqs_dead_letter.c  SendMessage to the dead-letter queue, then the delete;
 *   kept.c             short deferrals kept in hand until due or hurried (sources/kept.h).
 */
#ifndef WC_SQS_STATE_H
#define WC_SQS_STATE_H

#include <jansson.h>
#include <stdint.h>

#include "aws/client.h"
#include "common/clock.h"
#include "common/list.h"
#include "common/loop.h"
#include "common/strmap.h"
#include "sources/deferrals.h"
#include "sources/kept.h"
#include "sources/source.h"

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
#define RECEIVED_AT   "wc:receivedMs" /* stamped on each message as it arrives */
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
} sqs_batch;

typedef struct sqs_source sqs_source;
typedef struct sqs_batch_call sqs_batch_call;

/* A message handed out and not yet ended (acked, deferred, released, dead-lettered): its
 * visibility is extended before it runs out, for as long as its request is in flight. Owned by the
 * source: found by receipt in held_by_receipt (whose values point here), and linked in the order
 * of extend_at, so that an end is one hashed lookup and the heartbeat walks only what is due. */
typedef struct sqs_held {
    char *receipt;      /* owned */
    uint64_t extend_at; /* on the source's clock */
    wc_link link;
} sqs_held;

/* One receive in flight. */
typedef struct sqs_receiving {
    sqs_source *s;
    wc_aws_call *call;
    wc_link link;
} sqs_receiving;

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
    wc_list receives; /* ReceiveMessage calls in flight (sqs_receiving) */
    unsigned n_receives;
    int came_empty; /* an answer with no message, not yet reported */
    int failed;     /* a failed receive, not yet reported */
    wc_error failure;
    wc_source_notifier notifier;
    sqs_batch deletes, hides;
    wc_timer flush_timer;
    wc_timer grace_timer;   /* at a stop: how long receives under way are waited for */
    wc_list batch_calls;    /* sqs_batch_call: under way or waiting to be tried again */
    unsigned calls;         /* batch calls and dead letters in flight */
    wc_deferrals *deferred; /* by MessageId: ours, hidden until due */
    wc_kept *kept;          /* ours, deferred briefly and kept in hand until due */
    int redrive;            /* the queue has its own redrive policy (a dead-letter queue) */
    unsigned max_receives;  /* in flight at once when busy: several, or one (classic, standard) */
    int busy;               /* the last answer brought messages (or none came yet) */
    int stopping;
    /* Messages handed out, whose visibility the heartbeat extends: by receipt (values: sqs_held *,
     * made at the first hold), and from the earliest extend_at to the latest. */
    wc_strmap *held_by_receipt;
    wc_list held;
    uint64_t held_walked;        /* list entries examined (for tests that count work) */
    wc_timer heartbeat;          /* at the earliest extend_at */
    unsigned long long extended; /* visibility extensions sent (for the log and tests) */
};

/* --- sqs_batch.c --- */

/* Adds a receipt (taken; NULL: out of memory, the message comes back after its visibility
 * timeout) to the batch of deletes, or of visibility changes to `seconds`: out when ten are
 * waiting, else at the end of the loop's turn. */
void sqs_delete_later(sqs_source *s, char *receipt);
void sqs_hide_later(sqs_source *s, char *receipt, int seconds);
/* Sends what waits for a batch now. */
void sqs_batches_send(sqs_source *s);
/* Frees what waits and the batch calls under way or waiting to be tried again (at destroy: their
 * calls are abandoned with the client). */
void sqs_batches_free(sqs_source *s);

/* --- sqs_heartbeat.c --- */

/* A message handed out: watched from when it arrived (its visibility timeout started then). */
void sqs_hold(sqs_source *s, const char *receipt, uint64_t received_ms);
/* The message's end (ack, defer, release, dead letter, forget): no more heartbeats for it. */
void sqs_unhold(sqs_source *s, const char *receipt);
/* The same for msg, whose receipt is handed over: returned (the caller's), msg->handle NULL. */
char *sqs_let_go(sqs_source *s, wc_message *msg);
/* Stops the heartbeat and frees what it watches (at destroy). */
void sqs_held_free(sqs_source *s);

/* --- sqs_receive.c --- */

wc_receive_status sqs_receive(void *self, wc_message *msg, unsigned want, wc_error *err);
void sqs_stop(void *self);
/* Abandons the receives in flight (at destroy, or when the grace of a stop is over). */
void sqs_cancel_receives(sqs_source *s);

/* --- sqs_dead_letter.c --- */

wc_result sqs_dead_letter(void *self, wc_message *msg, const char *reason, wc_source_done done,
                          void *ctx, wc_error *err);

#endif
