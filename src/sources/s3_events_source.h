/* s3_events_source.h - requests named by S3 event notifications on an SQS queue (-rq with
 * --sqs-messages s3-events, or auto: recognised by their shape, see s3_events.h).
 *
 * It wraps the SQS source: each message is read as notifications; a message that is none (auto)
 * is handed out as the request it is. Each record of a message is one request: its object is
 * fetched (GetObject, on the loop, ahead of need; at most 16 GETs in flight and bodies not yet
 * handed out together, each body capped at --max-request-bytes) and handed out with its place taken
 * from the key after its last '/' (13-digit epoch milliseconds first, as the S3 source's keys).
 * The ends of a record: ack deletes its object (DeleteObject); defer leaves the object, and its
 * message is deferred (its visibility) once all its records have ended, so they come back
 * together (those already applied are gone); release leaves the object, and its message is handed
 * back once all its records have ended; dead_letter copies the object to the S3 source's
 * dead-letter place (--dead-letter-bucket, else the record's bucket, under --dead-letter-prefix)
 * with the reason as x-amz-meta-reason, then deletes it.
 * Once every record of a message has ended, the message is deleted (or deferred, or handed
 * back, as above). An object already gone (NoSuchKey) is a request already taken (a message
 * delivered twice, or another consumer's deletion): skipped, counted, logged at debug. A failed
 * GetObject, DeleteObject or dead letter defers the message: its records come back.
 * s3:TestEvent messages and records of other events (ObjectRemoved:*) are deleted and skipped. A
 * message that cannot be read as notifications (s3-events: anything; auto: bad records) goes to
 * the SQS source's dead letters with the reason.
 * Bounded: at most 16 messages of notifications in hand, WC_S3_EVENTS_MAX_RECORDS (100) records
 * each, 4 distinct buckets named.
 */
#ifndef WC_S3_EVENTS_SOURCE_H
#define WC_S3_EVENTS_SOURCE_H

#include "aws/client.h"
#include "sources/source.h"

typedef struct {
    wc_aws *aws;
    int force;                      /* every message must be notifications (else auto) */
    const char *dead_letter_bucket; /* NULL: the record's own bucket */
    const char *dead_letter_prefix; /* "dead-letter/" */
    size_t max_body;
} wc_s3_events_source_config;

/* Wraps inner (an SQS source, taken over: destroyed with the result, or at once on failure). */
wc_result wc_s3_events_source_wrap(const wc_s3_events_source_config *config, wc_source *inner,
                                   wc_source *out, wc_error *err);

/* Counts, for tests and the log: records applied or dead-lettered, objects already gone, and
 * messages skipped (s3:TestEvent, or only records of other events). */
typedef struct {
    unsigned long long records, gone, skipped;
} wc_s3_events_counts;
wc_s3_events_counts wc_s3_events_source_counts(const wc_source *source);

#endif
