#include "aws/http.h"

#include "common/buf.h"
#include "common/list.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Bytes of libcurl's receive buffer per transfer, its minimum (16 KiB by default: 1.3 MB of
 * the heap at -c 64, and S3 -> S3 has up to ~250 calls in flight). AWS answers are mostly under
 * 1 KiB; a larger body takes more reads (no measurable CPU on the bench's streams). */
#define WC_HTTP_RECV_BUFFER 1024L

/* Easy handles kept for reuse: creating and destroying one per call was 5% of the consumer's CPU
 * on S3 -> S3. Never more than were in flight at once (a handle is kept only when its transfer
 * ends), each with its receive buffer: at most 256 x ~10 KiB. */
#define WC_HTTP_IDLE_HANDLES 256

typedef struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    char *body; /* our copy of the request body */
    size_t body_len;
    int secret; /* a credential fetch's: what it sent (body, header lines) zeroed when freed */
    wc_http_response response; /* its body is in received until the transfer ends */
    wc_buf received; /* the response body, capped at the request's max_body; secret when the
                      * request says so */
    wc_http_done done;
    void *ctx;
    wc_link link; /* on the transfers in flight */
} transfer;

struct wc_http {
    CURLM *multi;
    wc_http_config config;
    char *ca_bundle; /* config.ca_bundle points here */
    wc_loop *loop;
    wc_timer timer;                   /* libcurl's next timeout */
    wc_list active;                   /* transfers in flight */
    unsigned long long connects;      /* connections opened (CURLINFO_NUM_CONNECTS, summed) */
    CURL *idle[WC_HTTP_IDLE_HANDLES]; /* easy handles of ended transfers, reset, for the next */
    int n_idle;
};

static int curl_ready;

static void collect(wc_http *h);

/* libcurl says which events of a socket it waits for: the loop watches them. */
static void on_ready(void *ctx, int fd, int events)
{
    wc_http *h = ctx;
    int flags = ((events & WC_LOOP_READ) ? CURL_CSELECT_IN : 0) |
                ((events & WC_LOOP_WRITE) ? CURL_CSELECT_OUT : 0) |
                ((events & WC_LOOP_ERROR) ? CURL_CSELECT_ERR : 0);
    int running;
    curl_multi_socket_action(h->multi, fd, flags, &running);
    collect(h);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    wc_http *h = userp;
    int events = what == CURL_POLL_REMOVE ? 0
                                          : ((what & CURL_POLL_IN) ? WC_LOOP_READ : 0) |
                                                ((what & CURL_POLL_OUT) ? WC_LOOP_WRITE : 0);
    return wc_loop_watch(h->loop, fd, events, on_ready, h) == WC_OK ? 0 : -1;
}

static void on_timeout(void *ctx)
{
    wc_http *h = ctx;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect(h);
}

/* libcurl's timeout: a loop timer (never acted on from inside this callback). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    wc_http *h = userp;
    if (timeout_ms < 0)
        wc_loop_timer_stop(h->loop, &h->timer);
    else
        wc_loop_timer_start(h->loop, &h->timer, (uint64_t)timeout_ms, on_timeout, h);
    return 0;
}

wc_http *wc_http_new(const wc_http_config *config, wc_loop *loop)
{
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        curl_ready = 1;
    }
    wc_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    if (config)
        h->config = *config;
    if (!h->config.connect_timeout_ms)
        h->config.connect_timeout_ms = 3000;
    if (!h->config.timeout_ms)
        h->config.timeout_ms = 30000;
    if (!h->config.max_body)
        h->config.max_body = 8u << 20;
    h->loop = loop;
    h->multi = curl_multi_init();
    if (!h->multi || (h->config.ca_bundle && !(h->ca_bundle = strdup(h->config.ca_bundle)))) {
        wc_http_free(h);
        return NULL;
    }
    h->config.ca_bundle = h->ca_bundle;
    /* Keep-alive: connections are reused by every later request. The cache holds enough for
     * every call in flight at the highest --concurrency on each service (a connection closed for
     * want of room costs a new handshake, a round trip on a real network). */
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 300L);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 600L);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    return h;
}

/* An easy handle for a new transfer: an idle one, or a new one. */
static CURL *easy_get(wc_http *h)
{
    return h->n_idle > 0 ? h->idle[--h->n_idle] : curl_easy_init();
}

/* Ends the use of an easy handle (out of the multi handle): reset (no option of the transfer
 * survives, its pointers into the transfer included) and kept, or freed. */
static void easy_put(wc_http *h, CURL *e)
{
    if (h->n_idle < WC_HTTP_IDLE_HANDLES) {
        curl_easy_reset(e);
        h->idle[h->n_idle++] = e;
    } else {
        curl_easy_cleanup(e);
    }
}

/* A transfer (it always has its easy handle: http_start) is gone. */
static void transfer_free(wc_http *h, transfer *t)
{
    easy_put(h, t->easy);
    if (t->secret) { /* a token in a header or the form: not left in freed memory */
        for (struct curl_slist *l = t->headers; l; l = l->next)
            OPENSSL_cleanse(l->data, strlen(l->data));
        if (t->body)
            OPENSSL_cleanse(t->body, t->body_len);
    }
    curl_slist_free_all(t->headers);
    free(t->body);
    wc_buf_free(&t->received);
    wc_http_response_cleanup(&t->response);
    free(t);
}

void wc_http_free(wc_http *h)
{
    if (!h)
        return;
    /* Transfers still in flight are abandoned, their callbacks never called. */
    wc_link *l;
    while ((l = wc_list_pop(&h->active)) != NULL) {
        transfer *t = WC_LIST_ENTRY(l, transfer, link);
        curl_multi_remove_handle(h->multi, t->easy);
        transfer_free(h, t);
    }
    while (h->n_idle > 0)
        curl_easy_cleanup(h->idle[--h->n_idle]);
    curl_multi_cleanup(h->multi);
    wc_loop_timer_stop(h->loop, &h->timer);
    free(h->ca_bundle);
    free(h);
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
    transfer *t = p;
    size_t len = size * n;
    wc_result result = wc_buf_add(&t->received, data, len);
    if (result == WC_ERR_TOO_LARGE)
        t->response.too_large = 1;
    return result == WC_OK ? len : 0; /* 0: curl stops the transfer (CURLE_WRITE_ERROR) */
}

/* Keeps the few response headers we use: their values, blanks and the line's end trimmed. */
static size_t on_header(char *line, size_t size, size_t n, void *p)
{
    transfer *t = p;
    size_t len = size * n;
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return len;
    size_t name_len = (size_t)(colon - line), vlen = len - name_len - 1;
    const char *v = colon + 1;
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    char **slot = NULL;
    if ((name_len == 16 && strncasecmp(line, "x-amz-request-id", 16) == 0) ||
        (name_len == 16 && strncasecmp(line, "x-amzn-requestid", 16) == 0))
        slot = &t->response.request_id;
    else if (name_len == 4 && strncasecmp(line, "etag", 4) == 0)
        slot = &t->response.etag;
    else if (name_len >= 11 && strncasecmp(line, "x-amz-meta-", 11) == 0)
        wc_http_response_add_meta(&t->response, line + 11, name_len - 11, v, vlen);
    if (slot) {
        free(*slot);
        *slot = strndup(v, vlen);
    }
    return len;
}

/* Every socket libcurl opens is close-on-exec from its creation: libcurl 7.88 opens them without,
 * and a credential_process child (a shell, and whatever it runs) would inherit live connections to
 * AWS. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)clientp;
    (void)purpose;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static wc_result http_start(void *self, const wc_http_request *req, wc_http_done done, void *ctx,
                            void **handle, wc_error *err)
{
    wc_http *h = self;
    transfer *t = calloc(1, sizeof(*t));
    if (!t || !(t->easy = easy_get(h))) {
        free(t);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    t->done = done;
    t->ctx = ctx;
    t->secret = req->secret;
    size_t max_body = req->max_body ? req->max_body : h->config.max_body;
    if (req->secret)
        wc_buf_init_secret(&t->received, max_body);
    else
        wc_buf_init(&t->received, max_body);
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    /* The path as signed: libcurl would otherwise remove "." and ".." segments, so an S3 key
     * such as "in/.." would be asked for as "in/" (another object, and a signature that no
     * longer matches). The other services' paths are "/" or already normal (sigv4.h). */
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->response.error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->config.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     req->timeout_ms ? req->timeout_ms : h->config.timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_bundle) /* a private CA: verification stays on, with these certificates */
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_bundle);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, WC_HTTP_RECV_BUFFER);
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    }
    int ok = 1;
    if (req->body || strcmp(req->method, "PUT") == 0 || strcmp(req->method, "POST") == 0) {
        t->body_len = req->body_len;
        ok = (t->body = malloc(req->body_len + 1)) != NULL;
        if (ok && req->body_len)
            memcpy(t->body, req->body, req->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    /* No "Expect: 100-continue" round trip, and no content type curl would invent; then ours. */
    static const char *const blanks[] = {"Expect:", "Accept:", "Content-Type:"};
    wc_buf line;
    if (req->secret) /* a header line may hold a token */
        wc_buf_init_secret(&line, SIZE_MAX);
    else
        wc_buf_init(&line, SIZE_MAX);
    for (size_t i = 0; ok && i < 3 + req->n_headers; i++) {
        wc_buf_reset(&line);
        const wc_param *hd = i < 3 ? NULL : &req->headers[i - 3]; /* no printf: every call's */
        int built = hd ? wc_buf_addstr(&line, hd->name) == WC_OK &&
                             wc_buf_add(&line, ": ", 2) == WC_OK &&
                             wc_buf_addstr(&line, hd->value) == WC_OK
                       : wc_buf_addstr(&line, blanks[i]) == WC_OK;
        struct curl_slist *more = built ? curl_slist_append(t->headers, line.s) : NULL;
        if (more)
            t->headers = more;
        ok = more != NULL;
    }
    wc_buf_free(&line);
    if (!ok) {
        transfer_free(h, t);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        transfer_free(h, t);
        return wc_error_set(err, WC_ERR_IO, "HTTP: could not start %s %s", req->method, req->url);
    }
    wc_list_append(&h->active, &t->link);
    if (handle)
        *handle = t;
    return WC_OK;
}

static void unlink_transfer(wc_http *h, transfer *t)
{
    curl_multi_remove_handle(h->multi, t->easy);
    wc_list_remove(&h->active, &t->link);
}

static void http_cancel(void *self, void *handle)
{
    if (!handle)
        return;
    unlink_transfer(self, handle);
    transfer_free(self, handle);
}

static const wc_transport_ops http_ops = {http_start, http_cancel};

wc_transport wc_http_transport(wc_http *h)
{
    wc_transport t = {&http_ops, h, h->loop};
    return t;
}

/* The failures of certificate verification and of the CA bundle: a wrong CA, a certificate for
 * another host name, an expired one, an unreadable bundle. Configuration, not an outage. A failed
 * handshake (CURLE_SSL_CONNECT_ERROR) is not among them: a connection reset mid-handshake ends
 * that way too. */
int wc_http_is_tls_refusal(int curl_code)
{
    switch (curl_code) {
    case CURLE_PEER_FAILED_VERIFICATION: /* unknown CA, wrong host name, expired */
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return 1;
    default:
        return 0;
    }
}

static void finish(wc_http *h, CURLMsg *msg)
{
    transfer *t = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    CURLcode code = msg->data.result;
    unlink_transfer(h, t);
    wc_http_response r = t->response;
    memset(&t->response, 0, sizeof(t->response));
    r.body = wc_buf_take(&t->received, &r.len);
    r.curl_code = (int)code;
    r.tls_refused = wc_http_is_tls_refusal(r.curl_code);
    if (r.tls_refused)
        r.ca_bundle = h->ca_bundle;
    if (r.curl_code == CURLE_OK)
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
    else if (!r.error[0])
        snprintf(r.error, sizeof(r.error), "%s", curl_easy_strerror(code));
    if (r.too_large)
        snprintf(r.error, sizeof(r.error), "response body over the %zu-byte limit",
                 t->received.max);
    if (!r.body)
        r.body = calloc(1, 1);
    long connects = 0; /* 0 when the transfer reused a kept-alive connection */
    if (curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        h->connects += (unsigned long long)connects;
    wc_http_done done = t->done;
    void *ctx = t->ctx;
    transfer_free(h, t);
    done(ctx, &r);
}

/* Hands finished transfers to their callbacks. */
static void collect(wc_http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE)
            finish(h, msg);
}

unsigned long long wc_http_connections_opened(const wc_http *h)
{
    return h->connects;
}
