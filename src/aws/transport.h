/* transport.h - how an HTTP request reaches a server: a small table of functions.
 *
 * The AWS client (client.c) only talks to this table, so the same client, S3, SQS, DynamoDB,
 * sources and stores run on libcurl (http.c, the real one) or on a scripted fake in the unit
 * tests (tests/unit/fake_transport.h), as hiredis does with its context functions.
 *
 * A request is started and completes later: its callback runs from the event loop (wc_loop),
 * never from inside start().
 */
#ifndef WC_TRANSPORT_H
#define WC_TRANSPORT_H

#include <stddef.h>

#include "aws/sigv4.h"
#include "common/error.h"
#include "common/loop.h"

typedef struct {
    const char *method; /* GET, PUT, POST, DELETE, HEAD */
    const char *url;
    const wc_param *headers; /* "Name: value" each */
    size_t n_headers;
    const char *body;
    size_t body_len;
    long timeout_ms; /* 0: the transport's */
    size_t max_body; /* 0: the transport's */
    int secret; /* the answer holds secrets (a credential fetch's): the transport leaves no copy
                 * of its body in memory it frees (wc_buf_init_secret); the body handed to
                 * the callback is the callback's to scrub */
} wc_http_request;

#define WC_HTTP_MAX_META 4

typedef struct {
    long status; /* 0 when no HTTP answer came (see curl_code/error) */
    char *body;  /* NUL-terminated, owned; "" when none */
    size_t len;
    int too_large;    /* the body passed max_body: dropped, and the request failed */
    char *request_id; /* x-amz-request-id or x-amzn-RequestId, owned, or NULL */
    char *etag;       /* owned, or NULL */
    /* S3 user metadata (x-amz-meta-NAME headers, NAME in lower case), owned; at most
     * WC_HTTP_MAX_META kept */
    struct wc_http_meta {
        char *name, *value;
    } meta[WC_HTTP_MAX_META];
    size_t n_meta;
    int curl_code;   /* non-zero when no answer came (libcurl's code; a fake uses any) */
    int tls_refused; /* with curl_code: the server's certificate (or our CA bundle) was refused,
                      * a configuration error that no retry mends */
    const char *ca_bundle; /* with tls_refused: the CA bundle the transport trusts (borrowed from
                            * it); NULL: the system's */
    char error[256];       /* what went wrong when curl_code is set */
} wc_http_response;

/* Called once per request with a response that the callback owns (wc_http_response_cleanup). */
typedef void (*wc_http_done)(void *ctx, wc_http_response *response);

typedef struct {
    /* Starts a request: everything in req is copied. *handle (when handle is not NULL) names it
     * for cancel() until done is called. */
    wc_result (*start)(void *self, const wc_http_request *req, wc_http_done done, void *ctx,
                       void **handle, wc_error *err);
    /* Abandons a request in flight: its done is never called. */
    void (*cancel)(void *self, void *handle);
} wc_transport_ops; /* the transport's owner frees it */

typedef struct {
    const wc_transport_ops *ops;
    void *self;
    wc_loop *loop; /* where its callbacks run */
} wc_transport;

void wc_http_response_cleanup(wc_http_response *response);

/* Keeps one x-amz-meta-NAME header (name without the prefix) in response, when there is room.
 * 0: out of memory or no room. */
int wc_http_response_add_meta(wc_http_response *response, const char *name, size_t name_len,
                              const char *value, size_t value_len);

/* The value of the metadata NAME, or NULL. */
const char *wc_http_response_meta(const wc_http_response *response, const char *name);

/* The words of a refused certificate, the same for every call and credential fetch: "TLS
 * verification of https://HOST:PORT failed (certificate refused, CA bundle: BUNDLE): why", the
 * origin of url (its scheme and authority), ca_bundle NULL saying "the system's". Into out
 * (size bytes, cut to fit). */
void wc_tls_refusal_text(char *out, size_t size, const char *url, const char *ca_bundle,
                         const char *why);

#endif
