/* sqs.h - the SQS calls widget-consumer makes (AWS JSON 1.0 protocol, X-Amz-Target
 * AmazonSQS.*). Every call names the queue by its URL in the body and is POSTed to the SQS
 * endpoint's "/", as the SDKs do. */
#ifndef WC_SQS_H
#define WC_SQS_H

#include "aws/client.h"

/* A queue URL from a name (GetQueueUrl) or a URL (checked with GetQueueAttributes). Caller frees
 * *url. WC_ERR_NOT_FOUND: no such queue. */
wc_result wc_sqs_queue_url(wc_aws *aws, const char *name_or_url, char **url, wc_aws_error *aerr,
                           wc_error *err);

/* The message attribute with a request's place in production order (core/ledger.h), which
 * widget-producer sets: "<13-digit epoch ms of production>-<10-digit counter>". */
#define WC_SQS_SEQUENCE "sequence"

/* SendMessage. group_id and dedup_id are for FIFO queues (NULL otherwise); reason and sequence,
 * when set, go as the string message attributes "reason" and WC_SQS_SEQUENCE. */
wc_result wc_sqs_send(wc_aws *aws, const char *url, const char *body, const char *group_id,
                      const char *dedup_id, const char *reason, const char *sequence,
                      wc_aws_error *aerr, wc_error *err);

/* One message of a SendMessageBatch (the arguments of wc_sqs_send, borrowed). */
typedef struct {
    const char *body, *group_id, *dedup_id, *sequence;
} wc_sqs_entry;

/* SendMessageBatch limits: 10 messages, and their bodies (attributes included) 256 KiB in all. */
#define WC_SQS_BATCH_MAX       10
#define WC_SQS_BATCH_MAX_BYTES (256u * 1024u)

/* SendMessageBatch of up to 10 messages, entry ids "m0".."m9", sent in one call, so that SQS
 * stamps them alike (SentTimestamp). A message SQS did not take is an error naming its entry,
 * code and message (*failed: how many; the others were sent). */
wc_result wc_sqs_send_batch(wc_aws *aws, const char *url, const wc_sqs_entry *entries, size_t n,
                            size_t *failed, wc_aws_error *aerr, wc_error *err);

/* GetQueueAttributes: the queue's RedrivePolicy ("" when none); caller frees *policy. */
wc_result wc_sqs_redrive_policy(wc_aws *aws, const char *url, char **policy, wc_aws_error *aerr,
                                wc_error *err);

/* The asynchronous calls the SQS source makes on the loop: action ("ReceiveMessage",
 * "DeleteMessageBatch", ...) with a body made by one of the builders below (taken); *handle
 * (NULL: not wanted) as wc_aws_json_start's, to cancel it. */
wc_result wc_sqs_start(wc_aws *aws, const char *action, json_t *body, wc_aws_json_done done,
                       void *ctx, wc_aws_call **handle, wc_error *err);

/* ReceiveMessage's body: with ApproximateReceiveCount and every message attribute. */
json_t *wc_sqs_receive_body(const char *url, int max, int wait_s, int visibility_s);

/* SendMessage's body (see wc_sqs_send). */
json_t *wc_sqs_send_body(const char *url, const char *body, const char *group_id,
                         const char *dedup_id, const char *reason, const char *sequence);

/* A batch of up to 10 receipt handles, entry ids "m0".."m9": DeleteMessageBatch's body, or with
 * seconds (one each) ChangeMessageVisibilityBatch's. */
json_t *wc_sqs_batch_body(const char *url, char *const *receipts, const int *seconds, size_t n);

#endif
