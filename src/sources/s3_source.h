/* s3_source.h - a request source on an S3 bucket ("Bucket 2"): objects whose keys are 13-digit
 * epoch milliseconds, so key order is production order. The smallest key first, one at a time:
 * ListObjectsV2 pages of a few keys (a small look-ahead, never the whole bucket), GetObject,
 * and DeleteObject once applied.
 *
 * Several consumers share a bucket by sharding (--shard K/N, see shard.h): each reads the keys in
 * order and takes the requests of its own widgets, so none is applied by two at once and each
 * widget's requests keep their order.
 *
 * Listing uses the delimiter "/", so only keys directly under the request prefix are work: the
 * dead letters, kept under their own prefix (default "dead-letter/") in the same bucket or in a
 * bucket of their own, are never listed as requests. A dead letter is a server-side copy of the
 * request with the reason as object metadata (x-amz-meta-reason), then the request is deleted.
 */
#ifndef WC_S3_SOURCE_H
#define WC_S3_SOURCE_H

#include "aws/client.h"
#include "common/clock.h"
#include "sources/shard.h"
#include "sources/source.h"

typedef struct {
    wc_aws *aws;
    const char *bucket;
    const char *prefix;             /* requests are PREFIX + key; "" by default */
    const char *dead_letter_bucket; /* NULL: the request bucket */
    const char *dead_letter_prefix; /* "dead-letter/" */
    size_t max_body;
    int look_ahead; /* keys per listing, default 10 */
    wc_clock *clock;
    wc_shard shard; /* several consumers: which requests are this one's */
    /* Bytes of request bodies read ahead (GetObject done, not yet handed out, plus a guess for
     * each in flight: the largest body seen lately), default 1 MiB: a GetObject starts only
     * while they fit, one at least. */
    size_t look_ahead_bytes;
} wc_s3_source_config;

/* Opens the source and checks the bucket can be listed: otherwise a one-line error naming the
 * bucket and the AWS error, e.g.  request bucket "usu-requests": NoSuchBucket: … */
wc_result wc_s3_source_open(const wc_s3_source_config *config, wc_source *out, wc_error *err);

#endif
