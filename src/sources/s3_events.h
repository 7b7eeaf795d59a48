/* s3_events.h - S3 event notifications read from an SQS message body: which request objects a
 * message names. Three shapes are recognised (and nothing else is taken for one):
 *   - S3's own notification to SQS (eventVersion 2.x): {"Records":[{"eventSource":"aws:s3",
 *     "eventName":"ObjectCreated:Put","s3":{"bucket":{"name":…},"object":{"key":…,"size":…,
 *     "sequencer":…}}},…]}, several records per message; the key is URL-encoded ('+' for a space,
 *     %XX for other bytes). Source: the S3 user guide, "Event message structure"
 *     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
 *   - the test message S3 sends when a notification is configured:
 *     {"Service":"Amazon S3","Event":"s3:TestEvent",…} (same page): acknowledged and skipped;
 *   - EventBridge's "Object Created" event: {"detail-type":"Object Created","source":"aws.s3",
 *     "detail":{"bucket":{"name":…},"object":{"key":…,"size":…,"sequencer":…}}} (S3 user guide,
 *     "EventBridge event message structure"); its key is taken as it is: AWS does not say it is
 *     encoded, and its examples show keys with ':' unencoded (an SQS notification has %3A).
 * Records of other events (ObjectRemoved:*, ...) name no request: they are counted and skipped.
 */
#ifndef WC_S3_EVENTS_H
#define WC_S3_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* At most this many records in one message (S3 sends one per message; more is refused). */
#define WC_S3_EVENTS_MAX_RECORDS 100
/* A decoded key is at most this long (S3's limit is 1,024 bytes). */
#define WC_S3_EVENTS_MAX_KEY 1024

typedef enum {
    WC_S3_EVENTS_NONE,    /* not a notification: a request as it is (auto mode only) */
    WC_S3_EVENTS_RECORDS, /* records (perhaps none left after the skipped ones) */
    WC_S3_EVENTS_TEST     /* s3:TestEvent */
} wc_s3_events_kind;

typedef struct {
    char *bucket;    /* owned */
    char *key;       /* owned, decoded */
    char *sequencer; /* owned, or NULL */
    int64_t size;    /* -1 when not given */
} wc_s3_event_record;

typedef struct {
    wc_s3_events_kind kind;
    wc_s3_event_record *records; /* owned, n of them */
    size_t n;
    size_t skipped; /* records of events that are not an object's creation */
} wc_s3_events;

/* Reads body (len bytes). force: the body must be a notification (anything else is an error);
 * else a body of another shape is WC_S3_EVENTS_NONE. WC_ERR_PARSE with err saying what is wrong
 * (bad JSON when forced, a record without its bucket or key, a key that does not decode, more
 * than WC_S3_EVENTS_MAX_RECORDS records). On success the caller frees out with
 * wc_s3_events_cleanup; on failure out is empty. */
wc_result wc_s3_events_parse(const char *body, size_t len, int force, wc_s3_events *out,
                             wc_error *err);

struct json_t; /* jansson's */

/* The same from a body already parsed (borrowed; NULL: not JSON, which is WC_S3_EVENTS_NONE
 * even when forced: the caller parses the body itself to say why). */
wc_result wc_s3_events_read(struct json_t *doc, int force, wc_s3_events *out, wc_error *err);
void wc_s3_events_cleanup(wc_s3_events *events);

/* Decodes an S3 notification key: '+' is a space, %XX a byte. *out is a new string (the caller
 * frees it). WC_ERR_PARSE for a bad or truncated %, a NUL byte, or a result over
 * WC_S3_EVENTS_MAX_KEY. */
wc_result wc_s3_key_decode(const char *in, char **out, wc_error *err);

#endif
