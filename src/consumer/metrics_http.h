/* metrics_http.h - /metrics, /healthz and /readyz over HTTP (libmicrohttpd), on the consumer's
 * own event loop.
 *
 * libmicrohttpd runs in its "external" mode with epoll: the loop watches the one epoll file
 * descriptor MHD gives, calls MHD_run when it is readable, and keeps a timer for MHD's own
 * timeouts; nothing runs on another thread, so the handlers read the counters without locks.
 *   /metrics  the text of wc_metrics_render (collect is called first, to bring totals kept
 *             elsewhere up to date);
 *   /healthz  200 while the loop turns: a timer of the loop stamps the time every second, and
 *             the answer is 503 when the stamp is older than 10 s;
 * Slow clients cannot take the probes' place: a connection that has not sent a whole request
 * within 2 s of its start (or of its last answer) is closed, and when more than 16 are open
 * the one waiting longest is closed for the newcomer (MHD itself takes up to 64).
 *   /readyz   200 when wc_metrics_ready, else 503.
 */
#ifndef WC_METRICS_HTTP_H
#define WC_METRICS_HTTP_H

#include "common/error.h"
#include "common/loop.h"
#include "consumer/metrics.h"

typedef struct wc_metrics_http wc_metrics_http;

/* Parses HOST:PORT (":PORT" means 127.0.0.1; "[::1]:PORT" for IPv6) into host and port. */
wc_result wc_metrics_addr_parse(const char *addr, char *host, size_t host_size, unsigned *port,
                                wc_error *err);

/* Listens on addr (see above; port 0: a free one, see wc_metrics_http_port), answering from m
 * (which it does not own). NULL on failure (err says why). */
wc_metrics_http *wc_metrics_http_new(const char *addr, wc_loop *loop, wc_metrics *m, wc_error *err);
/* collect(ctx, m) is called before each /metrics answer (NULL: none). */
void wc_metrics_http_collect(wc_metrics_http *h, void (*collect)(void *ctx, wc_metrics *m),
                             void *ctx);
/* Stops listening; NULL-safe. */
void wc_metrics_http_free(wc_metrics_http *h);

/* /healthz answers 503 when the loop's stamp is older than ms (default 10,000; tests set less). */
void wc_metrics_http_set_stale_ms(wc_metrics_http *h, unsigned ms);

/* The port listened on. */
unsigned wc_metrics_http_port(const wc_metrics_http *h);

#endif
