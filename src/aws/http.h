/* http.h - the real HTTP transport: libcurl's multi socket interface on the event loop.
 *
 * libcurl tells which sockets to watch and when its next timeout is (CURLMOPT_SOCKETFUNCTION,
 * CURLMOPT_TIMERFUNCTION); the loop watches them and hands readiness back
 * (curl_multi_socket_action), so many requests are in flight at once on one thread and nothing
 * waits. Connections are kept alive and reused between requests.
 *
 * Every response body has a size cap (max_body); https always verifies the peer's certificate
 * and host name (never turned off).
 */
#ifndef WC_HTTP_H
#define WC_HTTP_H

#include "aws/transport.h"

typedef struct wc_http wc_http;

typedef struct {
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* whole request, default 30000 (long polls add their wait) */
    size_t max_body;         /* response body cap, default 8 MiB */
    const char *ca_bundle;   /* CA certificates to verify servers with (CURLOPT_CAINFO; copied);
                              * NULL: the system's */
} wc_http_config;

/* A transport on loop. NULL: out of memory or libcurl could not start. */
wc_http *wc_http_new(const wc_http_config *config, wc_loop *loop);
/* Transfers still in flight are abandoned, their callbacks never called. */
void wc_http_free(wc_http *http);

/* The table of functions over it (the wc_http stays the owner). */
wc_transport wc_http_transport(wc_http *http);

/* Connections opened so far (TCP, with their TLS handshake on https): kept-alive ones are
 * reused, so far fewer than the requests. */
unsigned long long wc_http_connections_opened(const wc_http *http);
/* Whether a libcurl code is a refusal of TLS verification (the server's certificate: unknown CA,
 * another host name, expired; or an unusable CA bundle): a configuration error, never retried. */
int wc_http_is_tls_refusal(int curl_code);

#endif
