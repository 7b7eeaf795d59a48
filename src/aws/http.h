/* http.h - the HTTP transport: libcurl's multi interface.
 *
 * Requests are started (wc_http_start) and complete later, each calling its callback from
 * wc_http_run(); many can be in flight at once on one wc_http, and connections are kept alive
 * and reused between requests. wc_http_do() is the synchronous convenience: start one request
 * and drive the loop until it is done (other requests in flight progress meanwhile).
 *
 * Every response body has a size cap (max_body); https always verifies the peer's certificate
 * and host name (never turned off).
 */
#ifndef WC_HTTP_H
#define WC_HTTP_H

#include <stddef.h>

#include "aws/sigv4.h"
#include "common/error.h"

typedef struct wc_http wc_http;

typedef struct {
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* whole request, default 30000 (long polls add their wait) */
    size_t max_body;         /* response body cap, default 8 MiB */
} wc_http_config;

typedef struct {
    const char *method; /* GET, PUT, POST, DELETE, HEAD */
    const char *url;
    const wc_param *headers; /* "Name: value" each */
    size_t n_headers;
    const char *body;
    size_t body_len;
    long timeout_ms; /* 0: the transport's */
    size_t max_body; /* 0: the transport's */
} wc_http_request;

typedef struct {
    long status; /* 0 when no HTTP answer came (see curl_code/error) */
    char *body;  /* NUL-terminated, owned; "" when none */
    size_t len;
    int too_large;    /* the body passed max_body: cut, and the request failed */
    char *request_id; /* x-amz-request-id or x-amzn-RequestId, owned, or NULL */
    char *etag;       /* owned, or NULL */
    int curl_code;    /* CURLcode, 0 when the exchange worked */
    char error[256];  /* curl's words when curl_code is set */
} wc_http_response;

typedef void (*wc_http_done)(void *ctx, wc_http_response *response);

/* NULL: out of memory or libcurl could not start. */
wc_http *wc_http_new(const wc_http_config *config);
void wc_http_free(wc_http *http);

/* Starts a request: everything in req is copied, so it may go out of scope. `done` is called
 * once, from wc_http_run, with a response that the callback owns (wc_http_response_cleanup). */
wc_result wc_http_start(wc_http *http, const wc_http_request *req, wc_http_done done, void *ctx,
                        wc_error *err);

/* Drives transfers for up to wait_ms, calling callbacks of those that finish. Returns how many
 * requests are still in flight. */
int wc_http_run(wc_http *http, int wait_ms);

/* Sends one request and waits for it. The response is the caller's (cleanup). WC_OK when an HTTP
 * answer came (of any status); WC_ERR_TOO_LARGE when its body passed the cap; WC_ERR_IO (curl's
 * words in err) when no answer came. */
wc_result wc_http_do(wc_http *http, const wc_http_request *req, wc_http_response *response,
                     wc_error *err);

void wc_http_response_cleanup(wc_http_response *response);

#endif
