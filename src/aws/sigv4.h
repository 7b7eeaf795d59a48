/* sigv4.h - AWS Signature Version 4, header form.
 *
 * Input is the request as the caller means it: the decoded path ("/bucket/my key"), decoded query
 * parameters in any order, and the headers to sign (host included). The signer builds the
 * canonical request (path URI-encoded once, optionally normalized; query parameters encoded and
 * sorted; header names lower-cased, values trimmed and inner white space folded, repeated names
 * joined with ','), the string to sign, and the signature.
 *
 * The same encoding gives the wire form of path and query (wc_uri_encode, wc_sigv4_query), so
 * what is sent is exactly what was signed. A caller that builds that wire form anyway (the
 * client, for its URL) hands it to the signer (wc_sigv4_wire) instead of the decoded path and
 * query, so each call encodes and sorts them once. Proven by AWS's own test
 * suite (tests/data/aws-sigv4-test-suite, both ways) and, live, by botocore in the integration
 * tests.
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

/* The same encoding written at out (at most 3 bytes a byte of s, no NUL; the caller sized it),
 * returning the end of what it wrote: for a caller that encodes into a block of its own. */
char *wc_uri_encode_to(char *out, const char *s, int keep_slash);

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

/* A request's path and query in their wire form, as the caller built them for the URL it sends
 * (borrowed, e.g. views into that URL): the path as wc_uri_encode(path, 1) gives it (path_len
 * bytes, no NUL needed) and the canonical query as wc_sigv4_query gives it (NUL-terminated; ""
 * when none). The path is encoded once, S3's as every other service's; normalize_path works on
 * the encoded path as on the decoded one (encoding keeps '/' and '.', and writes neither for any
 * other byte), so the signature is the one the decoded request gets. */
typedef struct {
    const char *path;
    size_t path_len;
    const char *query;
} wc_sigv4_wire;

/* wc_sigv4_canonical_request and wc_sigv4_authorization on the wire form: req's path, query and
 * n_query are not read, so a call encodes and sorts them once, for the URL and the signature. */
char *wc_sigv4_canonical_request_wire(const wc_sigv4_request *req, const wc_sigv4_wire *wire,
                                      int normalize_path, char **signed_headers);
char *wc_sigv4_authorization_wire(const wc_sigv4_signer *s, const wc_sigv4_request *req,
                                  const wc_sigv4_wire *wire);

/* Hex SHA-256 of data into out[65]. */
void wc_sha256_hex(const void *data, size_t len, char out[65]);

/* The SHA-256 of data (libcrypto's algorithm fetched once, see sigv4.c). */
void wc_sha256(const void *data, size_t len, unsigned char out[32]);

/* A digest's 32 bytes as 64 lower-case hex digits and a NUL. */
void wc_hex32(const unsigned char in[32], char out[65]);

#endif
