/* sqs_source.h - a request source on an SQS queue (by name or URL). The body of a message is the
 * bare request JSON. ReceiveMessage takes up to 10 messages with long polling (-qwt) and hides
 * them for the visibility timeout (-qvt); they are kept and handed out one at a time.
 *   ack:         delete by receipt handle once applied, in batches of up to 10
 *                (DeleteMessageBatch; a batch goes out before the next receive, and at the end);
 *   defer:       ChangeMessageVisibility to the retry delay: the message stays in the queue and
 *                comes back (its ApproximateReceiveCount is the attempt count). Until it is due
 *                (and a little after), an empty receive is reported as WC_RECEIVE_WAIT, not
 *                as an empty poll, so a consumer does not stop while its deferred messages are
 *                hidden;
 *   release:     ChangeMessageVisibility 0: back at once (shutdown, store failure);
 *   dead_letter: SendMessage to the dead-letter queue with the reason as the message attribute
 *                "reason", then DeleteMessage. Without --dead-letter-queue, a queue with its own
 *                redrive policy (found at start-up) gets the message back at once, and SQS moves
 *                it after its maxReceiveCount; a queue with neither hides it for 12 hours. Either
 *                way the reason is logged, and a message is never deleted unapplied.
 * SNS: a body that is an SNS envelope (a topic's delivery without raw delivery) is unwrapped as
 * the config's envelope mode says (sources/sns_envelope.h), in receive.
 * Heartbeat: a message handed out whose request is still in flight (store retries, a slow store)
 * is hidden again for the whole visibility timeout at half of it (ChangeMessageVisibilityBatch,
 * counted from when the message arrived), and again every half timeout until it ends: it is not
 * delivered to a second consumer, nor does it count an extra receive toward a redrive policy.
 */
#ifndef WC_SQS_SOURCE_H
#define WC_SQS_SOURCE_H

#include "aws/client.h"
#include "common/clock.h"
#include "sources/source.h"

typedef struct {
    wc_aws *aws;
    const char *queue;             /* name or URL */
    const char *dead_letter_queue; /* name or URL, or NULL */
    int wait_s;                    /* long poll, 0..20 */
    int visibility_s;
    size_t max_body;
    wc_clock *clock; /* NULL: the system clock */
    /* Requests applied as delivered (--order classic): on a standard queue one ReceiveMessage at
     * a time, so messages are handed out in the order SQS gave them. */
    int classic_order;
    int envelope; /* wc_sns_envelope_mode (sources/sns_envelope.h): 0 = auto */
} wc_sqs_source_config;

/* Opens the source, resolving the queue (and dead-letter queue): a missing one is a one-line
 * error naming it and the AWS error, e.g.  request queue "requests": QueueDoesNotExist: …
 * A dead-letter queue that is the request queue itself (by name or URL, whatever the URL's host)
 * is refused: WC_ERR_INVALID. */
wc_result wc_sqs_source_open(const wc_sqs_source_config *config, wc_source *out, wc_error *err);

/* Reads one message of a ReceiveMessage answer's "Messages" into msg: MessageId (key), Body,
 * ReceiptHandle (handle, a new string: the caller frees it), the attempts from the attribute
 * ApproximateReceiveCount, and too_large when the body is over max_body (kept all the same: it
 * goes to the dead letters). WC_ERR_PARSE: MessageId, Body or ReceiptHandle is missing. */
wc_result wc_sqs_message_read(json_t *m, size_t max_body, wc_message *msg, wc_error *err);

/* How many visibility extensions the heartbeat has sent (a message handed out and not ended at
 * half its visibility timeout is hidden again for the whole timeout, and so on). */
unsigned long long wc_sqs_source_extended(const wc_source *source);

/* The work of keeping those messages (hashed slots and list entries examined so far): for tests
 * that count work, not time. */
unsigned long long wc_sqs_source_held_work(const wc_source *source);

#endif
