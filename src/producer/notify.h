/* notify.h - widget-producer --notify QUEUE (with -rb): after each PUT, the S3 event notification
 * S3 itself would send to an SQS queue, built field for field from the S3 user guide's "Event
 * message structure" page (eventVersion 2.1; the key URL-encoded, '+' for a space), one or more
 * records per message; and first, the s3:TestEvent S3 sends when a notification is configured. */
#ifndef WC_NOTIFY_H
#define WC_NOTIFY_H

#include <stddef.h>

#include "aws/client.h"

typedef struct wc_notifier wc_notifier;

/* Resolves queue and sends the s3:TestEvent for bucket. per_message: records a message (1..100).
 * NULL on failure (err says why). Free with wc_notifier_free. */
wc_notifier *wc_notifier_new(wc_aws *aws, const char *queue, const char *bucket, const char *region,
                             size_t per_message, wc_error *err);

/* The notification of a PUT of key (body of len bytes): sent once per_message are waiting. */
wc_result wc_notifier_add(wc_notifier *n, const char *key, const char *body, size_t len,
                          wc_error *err);

/* Sends the records waiting. */
wc_result wc_notifier_flush(wc_notifier *n, wc_error *err);

void wc_notifier_free(wc_notifier *n);

/* A key as S3 writes it in a notification: unreserved characters and '/' as they are, a space
 * as '+', every other byte %XX. A new string (the caller frees it), NULL when out of memory. */
char *wc_s3_event_key_encode(const char *key);

#endif
