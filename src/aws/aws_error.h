/* aws_error.h - one error value for every AWS service: S3's XML errors and the JSON __type/message
 * of SQS and DynamoDB decode into the same fields. */
#ifndef WC_AWS_ERROR_H
#define WC_AWS_ERROR_H

#include <stddef.h>

typedef struct {
    char service[16]; /* "s3", "sqs", "dynamodb" */
    char code[128];   /* "NoSuchBucket", "ResourceNotFoundException", ... ("" when none) */
    char message[384];
    long status; /* HTTP status, 0 when no answer */
    char request_id[128];
} wc_aws_error;

/* Decodes an error response. A body that says nothing (HEAD, an empty 5xx) gives a code from the
 * status (e.g. 404 -> "NotFound", 403 -> "Forbidden"). */
void wc_aws_error_decode(const char *service, long status, const char *body, size_t len,
                         const char *request_id, wc_aws_error *out);

/* What decodes the answers of one client one after another: its XML parser made once and reset
 * for each answer (not shared between threads). NULL: out of memory. */
typedef struct wc_aws_error_decoder wc_aws_error_decoder;
wc_aws_error_decoder *wc_aws_error_decoder_new(void);
void wc_aws_error_decoder_free(wc_aws_error_decoder *d);

/* wc_aws_error_decode with d's parser (d NULL: one made for this answer). */
void wc_aws_error_decode_by(wc_aws_error_decoder *d, const char *service, long status,
                            const char *body, size_t len, const char *request_id,
                            wc_aws_error *out);

/* "NoSuchBucket: The specified bucket does not exist (HTTP 404, request id X)" into buf. */
const char *wc_aws_error_text(const wc_aws_error *e, char *buf, size_t cap);

#endif
