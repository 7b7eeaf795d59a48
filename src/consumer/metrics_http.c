#include "consumer/metrics_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>

#include "common/clock.h"

#define TICK_MS       1000  /* the liveness stamp */
#define STALE_MS      10000 /* /healthz: a stamp older than this means the loop is stuck */
#define MAX_WAIT_MS   1000  /* the longest between two MHD_run, whatever MHD says */
#define MAX_CLIENTS   16    /* a scraper and two probes need few */
#define CLIENT_IDLE_S 10    /* an idle connection is closed after this */

struct wc_metrics_http {
    struct MHD_Daemon *daemon;
    wc_loop *loop;
    wc_metrics *metrics;
    void (*collect)(void *ctx, wc_metrics *m);
    void *ctx;
    int epoll_fd;
    unsigned port;
    wc_timer run_timer; /* MHD's own timeouts */
    wc_timer tick;      /* the liveness stamp */
    uint64_t alive_ns;  /* monotonic time of the last tick */
};

wc_result wc_metrics_addr_parse(const char *addr, char *host, size_t host_size, unsigned *port,
                                wc_error *err)
{
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    if (!colon)
        return wc_error_set(err, WC_ERR_INVALID, "--metrics-addr \"%s\": not HOST:PORT",
                            addr ? addr : "");
    size_t len = (size_t)(colon - addr);
    const char *start = addr;
    if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') { /* [::1]:9090 */
        start++;
        len -= 2;
    }
    if (len == 0) {
        start = "127.0.0.1";
        len = strlen(start);
    }
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || p > 65535 || colon[1] == '-' || colon[1] == '+')
        return wc_error_set(err, WC_ERR_INVALID, "--metrics-addr \"%s\": bad port", addr);
    if (len >= host_size)
        return wc_error_set(err, WC_ERR_INVALID, "--metrics-addr \"%s\": host too long", addr);
    memcpy(host, start, len);
    host[len] = '\0';
    *port = (unsigned)p;
    return WC_OK;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type,
                              char *body, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result result = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return result;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    wc_metrics_http *h = cls;
    static const char *const text = "text/plain; charset=utf-8";
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, "only GET\n",
                      MHD_RESPMEM_PERSISTENT);
    if (*upload_size) { /* a GET with a body: ignored */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") == 0) {
        if (h->collect)
            h->collect(h->ctx, h->metrics);
        char *body = wc_metrics_render(h->metrics);
        if (!body)
            return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "out of memory\n",
                          MHD_RESPMEM_PERSISTENT);
        return answer(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
                      MHD_RESPMEM_MUST_FREE);
    }
    if (strcmp(url, "/healthz") == 0) {
        int alive = wc_monotonic_ns() - h->alive_ns <= (uint64_t)STALE_MS * 1000000u;
        return answer(conn, alive ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text,
                      alive ? "ok\n" : "the event loop is stuck\n", MHD_RESPMEM_PERSISTENT);
    }
    if (strcmp(url, "/readyz") == 0) {
        int ready = wc_metrics_ready(h->metrics);
        return answer(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text,
                      ready ? "ready\n" : "not ready: the source or store is failing\n",
                      MHD_RESPMEM_PERSISTENT);
    }
    return answer(conn, MHD_HTTP_NOT_FOUND, text, "not found: /metrics, /healthz, /readyz\n",
                  MHD_RESPMEM_PERSISTENT);
}

static void run_mhd(void *ctx);

/* After every run: the next one at MHD's timeout (0 when it has work ready), at most 1 s away. */
static void schedule(wc_metrics_http *h)
{
    MHD_UNSIGNED_LONG_LONG timeout = MAX_WAIT_MS;
    if (MHD_get_timeout(h->daemon, &timeout) != MHD_YES || timeout > MAX_WAIT_MS)
        timeout = MAX_WAIT_MS;
    wc_loop_timer_start(h->loop, &h->run_timer, (uint64_t)timeout, run_mhd, h);
}

static void run_mhd(void *ctx)
{
    wc_metrics_http *h = ctx;
    MHD_run(h->daemon);
    schedule(h);
}

static void on_epoll(void *ctx, int fd, int events)
{
    run_mhd(ctx);
}

static void tick(void *ctx)
{
    wc_metrics_http *h = ctx;
    h->alive_ns = wc_monotonic_ns();
    wc_loop_timer_start(h->loop, &h->tick, TICK_MS, tick, h);
}

wc_metrics_http *wc_metrics_http_new(const char *addr, wc_loop *loop, wc_metrics *m, wc_error *err)
{
    char host[256];
    unsigned port;
    if (wc_metrics_addr_parse(addr, host, sizeof(host), &port, err) != WC_OK)
        return NULL;
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[8];
    snprintf(service, sizeof(service), "%u", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0) {
        wc_error_set(err, WC_ERR_INVALID, "--metrics-addr \"%s\": %s", addr, gai_strerror(rc));
        return NULL;
    }
    wc_metrics_http *h = calloc(1, sizeof(*h));
    if (!h) {
        freeaddrinfo(ai);
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    h->loop = loop;
    h->metrics = m;
    h->alive_ns = wc_monotonic_ns();
    /* No thread of MHD's own: epoll, driven from the loop (MHD_run when its fd is readable). */
    unsigned flags = MHD_USE_EPOLL | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->daemon =
        MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                         ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CLIENTS,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CLIENT_IDLE_S, MHD_OPTION_END);
    freeaddrinfo(ai);
    const union MHD_DaemonInfo *info =
        h->daemon ? MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    const union MHD_DaemonInfo *bound =
        h->daemon ? MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info || !bound) {
        wc_error_set(err, WC_ERR_IO, "--metrics-addr \"%s\": cannot listen there (in use?)", addr);
        wc_metrics_http_free(h);
        return NULL;
    }
    h->epoll_fd = info->epoll_fd;
    h->port = bound->port;
    if (wc_loop_watch(loop, h->epoll_fd, WC_LOOP_READ, on_epoll, h) != WC_OK) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        wc_metrics_http_free(h);
        return NULL;
    }
    tick(h);
    schedule(h);
    return h;
}

void wc_metrics_http_free(wc_metrics_http *h)
{
    if (!h)
        return;
    if (h->daemon) {
        if (h->epoll_fd > 0)
            wc_loop_watch(h->loop, h->epoll_fd, 0, NULL, NULL);
        MHD_stop_daemon(h->daemon);
    }
    wc_loop_timer_stop(h->loop, &h->run_timer);
    wc_loop_timer_stop(h->loop, &h->tick);
    free(h);
}

void wc_metrics_http_collect(wc_metrics_http *h, void (*collect)(void *ctx, wc_metrics *m),
                             void *ctx)
{
    h->collect = collect;
    h->ctx = ctx;
}

unsigned wc_metrics_http_port(const wc_metrics_http *h)
{
    return h->port;
}
