/* s3.h - the S3 calls widget-consumer makes, on one bucket: list (ListObjectsV2), get, put,
 * copy; any other object call (DELETE, a conditional PUT) through wc_s3_start. Keys are given
 * decoded; they are encoded once on the wire (spaces, '+', '=', '*', '%' and unicode included). */
#ifndef WC_S3_H
#define WC_S3_H

#include "aws/client.h"

typedef struct {
    wc_aws *aws;
    char *bucket;
    char *base;        /* URL base for this bucket */
    char *path_prefix; /* "/" (virtual-hosted) or "/bucket/" (path style) */
} wc_s3_bucket;

wc_result wc_s3_bucket_init(wc_s3_bucket *b, wc_aws *aws, const char *bucket, wc_error *err);
void wc_s3_bucket_cleanup(wc_s3_bucket *b);

typedef struct {
    char **keys;
    size_t n;
    char **prefixes; /* CommonPrefixes, with a delimiter */
    size_t n_prefixes;
    int truncated;
    char *next_token;
} wc_s3_listing;

void wc_s3_listing_cleanup(wc_s3_listing *l);

/* ListObjectsV2: up to max_keys keys after start_after (or from token), under prefix; with
 * delimiter "/", deeper keys are rolled into prefixes. Any of the strings may be NULL. */
wc_result wc_s3_list(wc_s3_bucket *b, const char *prefix, const char *delimiter,
                     const char *start_after, const char *token, int max_keys, wc_s3_listing *out,
                     wc_aws_error *aerr, wc_error *err);

/* GetObject: the body (and ETag) in *resp. WC_ERR_NOT_FOUND for NoSuchKey; WC_ERR_TOO_LARGE
 * when the body passes max_body (0: the transport's cap). */
wc_result wc_s3_get(wc_s3_bucket *b, const char *key, size_t max_body, wc_http_response *resp,
                    wc_aws_error *aerr, wc_error *err);

/* PutObject, with optional metadata (x-amz-meta-NAME headers) and content type. */
wc_result wc_s3_put(wc_s3_bucket *b, const char *key, const char *body, size_t len,
                    const char *content_type, const wc_param *metadata, size_t n_metadata,
                    wc_aws_error *aerr, wc_error *err);

/* Any object call, asynchronously (see wc_aws_start). */
wc_result wc_s3_start(wc_s3_bucket *b, const char *method, const char *key, const wc_param *headers,
                      size_t n_headers, const char *body, size_t len, size_t max_body,
                      wc_aws_done done, void *ctx, wc_error *err);

/* ListObjectsV2, asynchronously: done gets the answer; read it with wc_s3_listing_parse. */
wc_result wc_s3_list_start(wc_s3_bucket *b, const char *prefix, const char *delimiter,
                           const char *token, int max_keys, wc_aws_done done, void *ctx,
                           wc_error *err);

/* Reads a ListObjectsV2 answer (bucket names it in errors). WC_ERR_PARSE on bad XML. */
wc_result wc_s3_listing_parse(const char *bucket, const char *xml, size_t len, wc_s3_listing *out,
                              wc_error *err);

/* Decodes S3's URL encoding of a key (a listing's with encoding-type=url, an event
 * notification's) from in to out (out may be in: decoding never lengthens): %XX is a byte, '+' a
 * space (S3 writes a '+' as %2B). Returns the length decoded, or -1 when in does not decode (a
 * '%' without two hex digits after it, %00), out then untouched and *bad the offset of the '%'. */
long wc_s3_url_decode(const char *in, char *out, size_t *bad);

/* CopyObject from from_bucket/from_key to to_key in b, replacing the metadata with metadata,
 * asynchronously. Its done callback reads the answer with wc_s3_copy_answer. */
wc_result wc_s3_copy_start(wc_s3_bucket *b, const char *from_bucket, const char *from_key,
                           const char *to_key, const wc_param *metadata, size_t n_metadata,
                           wc_aws_done done, void *ctx, wc_error *err);

/* What a CopyObject's answer means: result as given, except that S3 may fail a copy after
 * answering 200 OK, the error then being the body: WC_ERR_IO, e filled from that body. Releases
 * resp's contents (wc_http_response_cleanup; resp may be NULL): the done callback's last use. */
wc_result wc_s3_copy_answer(wc_result result, wc_http_response *resp, wc_error *e);

/* A value S3 takes as an x-amz-meta- header: printable ASCII only (others become '?'), at most
 * cap - 1 bytes (S3 allows 2 KiB of metadata in all). */
void wc_s3_header_safe(const char *in, char *out, size_t cap);

#endif
