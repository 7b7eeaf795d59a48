/* sigv4.h - AWS Signature Version 4, header form.
 *
 * Input is the request as the caller means it: the decoded path ("/bucket/my key"), decoded query
 * parameters in any order, and the headers to sign (host included). The signer builds the
 * canonical request (path URI-encoded once, optionally normalized; query parameters encoded and
 * sorted; header names lower-cased, values trimmed and inner white space folded, repeated names
 * joined with ','), the string to sign, and the signature.
 *
 * The same encoding gives the wire form of path and query (wc_uri_encode, wc_sigv4_query), so
 * what is sent is exactly what was signed. Proven by AWS's own test suite
 * (tests/data/aws-sigv4-test-suite) and, live, by botocore in the integration tests.
 */
#ifndef WC_SIGV4_H
#define WC_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "common/error.h"

typedef struct {
    const char *name;
    const char *value;
} wc_param;

typedef struct {
    const char *method;
    const char *path;      /* decoded */
    const wc_param *query; /* decoded; value "" for a key with no value */
    size_t n_query;
    const wc_param *headers; /* headers to sign, host among them */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
} wc_sigv4_request;

/* Derived signing keys (the four HMACs of date, region, service and "aws4_request"), kept so
 * that a key is derived once a day per region and service, not at every call. Keyed by a SHA-256
 * of the secret, never the secret itself. Caller-owned; zero it to start. */
typedef struct {
    struct {
        char day[9], region[32], service[16];
        unsigned char secret_hash[32];
        unsigned char key[32];
        int used;
    } slots[4];
    unsigned next;
    unsigned long long hits, misses;
} wc_sigv4_key_cache;

typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;
    const char *service; /* "s3", "sqs", "dynamodb" */
    time_t when;
    int normalize_path;        /* remove dot segments and repeated '/' (not for S3) */
    wc_sigv4_key_cache *cache; /* NULL: derive the key at every signature */
} wc_sigv4_signer;

/* RFC 3986 encoding as SigV4 wants it: unreserved bytes (A-Z a-z 0-9 - . _ ~) stay, every other
 * byte becomes %XX (upper-case hex); '/' stays when keep_slash is set. Caller frees. */
char *wc_uri_encode(const char *s, int keep_slash);

/* The canonical query string: encoded pairs sorted by name then value, joined with '&'. This is
 * also the wire form. Caller frees. */
char *wc_sigv4_query(const wc_param *query, size_t n);

/* "20150830T123600Z" into out[17]. */
void wc_sigv4_amz_date(time_t when, char out[17]);

/* The canonical request; *signed_headers gets "host;x-amz-date". Both heap strings, caller frees.
 */
char *wc_sigv4_canonical_request(const wc_sigv4_request *req, int normalize_path,
                                 char **signed_headers);

/* The string to sign for a canonical request. Caller frees. */
char *wc_sigv4_string_to_sign(const wc_sigv4_signer *s, const char *canonical_request);

/* The hex signature of a string to sign, into out[65]. */
void wc_sigv4_signature(const wc_sigv4_signer *s, const char *string_to_sign, char out[65]);

/* The whole Authorization header value. Caller frees. NULL: out of memory. */
char *wc_sigv4_authorization(const wc_sigv4_signer *s, const wc_sigv4_request *req);

/* Hex SHA-256 of data into out[65]. */
void wc_sha256_hex(const void *data, size_t len, char out[65]);

/* The SHA-256 of data (libcrypto's algorithm fetched once, see sigv4.c). */
void wc_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
