/* fake_transport.h - a scripted HTTP transport for the unit tests of the AWS layer (header-only).
 *
 * It fills the transport table (src/aws/transport.h) so the real client, S3, SQS, sources and
 * stores run without a network: each request is recorded as text ("METHOD URL", the headers, a
 * blank line, the body) and answered from a script, from a timer of the loop (never inside
 * start), after an optional delay on the loop's clock. An answer is taken by the first unused
 * script line whose `match` the request's text contains (NULL matches anything); a request that
 * no line answers fails the test.
 */
#ifndef WC_FAKE_TRANSPORT_H
#define WC_FAKE_TRANSPORT_H

#include "aws/client.h"
#include "aws/transport.h"
#include "common/loop.h"
#include "testutil.h"

typedef struct {
    const char *match; /* a substring of the request's text, or NULL */
    long status;       /* the HTTP status (ignored with net_error) */
    const char *body;  /* NULL: empty */
    const char *etag;  /* an ETag header, or NULL */
    int net_error;     /* no answer at all: a reset connection */
    uint64_t delay_ms; /* the answer comes this much later */
    int hang;          /* never answers (until cancelled) */
} fake_answer;

#define FAKE_MAX 64

typedef struct fake_transport fake_transport;

typedef struct fake_call {
    fake_transport *f;
    wc_timer timer;
    wc_http_done done;
    void *ctx;
    const fake_answer *answer;
    size_t max_body;
    struct fake_call *next;
} fake_call;

struct fake_transport {
    wc_loop *loop;
    fake_answer script[FAKE_MAX];
    int used[FAKE_MAX];
    size_t n_script;
    char *requests[256]; /* what was sent, in order */
    size_t n_requests;
    fake_call *calls;
    int in_flight;
};

static inline void fake_script(fake_transport *f, fake_answer a)
{
    assert_true(f->n_script < FAKE_MAX);
    f->script[f->n_script++] = a;
}

static inline void fake_unlink(fake_transport *f, fake_call *c)
{
    for (fake_call **link = &f->calls; *link; link = &(*link)->next)
        if (*link == c) {
            *link = c->next;
            break;
        }
    f->in_flight--;
}

static inline void fake_answer_now(void *ctx)
{
    fake_call *c = ctx;
    fake_transport *f = c->f;
    const fake_answer *a = c->answer;
    wc_http_response r;
    memset(&r, 0, sizeof(r));
    const char *body = a->body ? a->body : "";
    if (a->net_error) {
        r.curl_code = 56;
        snprintf(r.error, sizeof(r.error), "Connection reset by peer (fake)");
        r.body = strdup("");
    } else if (c->max_body && strlen(body) > c->max_body) {
        r.too_large = 1;
        r.curl_code = 23;
        snprintf(r.error, sizeof(r.error), "response body over the %zu-byte limit", c->max_body);
        r.body = strdup("");
    } else {
        r.status = a->status;
        r.body = strdup(body);
        r.len = strlen(body);
        r.request_id = strdup("fake-request-id");
        r.etag = a->etag ? strdup(a->etag) : NULL;
    }
    fake_unlink(f, c);
    wc_http_done done = c->done;
    void *done_ctx = c->ctx;
    free(c);
    done(done_ctx, &r);
}

static inline wc_result fake_start(void *self, const wc_http_request *req, wc_http_done done,
                                   void *ctx, void **handle, wc_error *err)
{
    fake_transport *f = self;
    size_t len = strlen(req->method) + strlen(req->url) + req->body_len + 8;
    for (size_t i = 0; i < req->n_headers; i++)
        len += strlen(req->headers[i].name) + strlen(req->headers[i].value) + 4;
    char *text = malloc(len);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, len, "%s %s\n", req->method, req->url);
    for (size_t i = 0; i < req->n_headers; i++)
        o += (size_t)snprintf(text + o, len - o, "%s: %s\n", req->headers[i].name,
                              req->headers[i].value);
    o += (size_t)snprintf(text + o, len - o, "\n");
    if (req->body_len)
        memcpy(text + o, req->body, req->body_len);
    text[o + req->body_len] = '\0';
    assert_true(f->n_requests < 256);
    f->requests[f->n_requests++] = text;
    const fake_answer *a = NULL;
    for (size_t i = 0; i < f->n_script && !a; i++)
        if (!f->used[i] && (!f->script[i].match || strstr(text, f->script[i].match))) {
            f->used[i] = 1;
            a = &f->script[i];
        }
    if (!a)
        fail_msg("fake transport: no answer scripted for:\n%s", text);
    fake_call *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    *c = (fake_call){.f = f, .done = done, .ctx = ctx, .answer = a, .max_body = req->max_body};
    c->next = f->calls;
    f->calls = c;
    f->in_flight++;
    if (!a->hang)
        wc_loop_timer_start(f->loop, &c->timer, a->delay_ms, fake_answer_now, c);
    if (handle)
        *handle = c;
    return WC_OK;
}

static inline void fake_cancel(void *self, void *handle)
{
    fake_transport *f = self;
    fake_call *c = handle;
    wc_loop_timer_stop(f->loop, &c->timer);
    fake_unlink(f, c);
    free(c);
}

static inline int fake_in_flight(void *self)
{
    return ((fake_transport *)self)->in_flight;
}

static inline void fake_destroy(void *self)
{
    fake_transport *f = self;
    while (f->calls) {
        fake_call *c = f->calls;
        f->calls = c->next;
        wc_loop_timer_stop(f->loop, &c->timer);
        free(c);
    }
    for (size_t i = 0; i < f->n_requests; i++)
        free(f->requests[i]);
    f->n_requests = 0;
}

static const wc_transport_ops fake_ops = {"fake", fake_start, fake_cancel, fake_in_flight,
                                          fake_destroy};

static inline wc_transport fake_transport_of(fake_transport *f)
{
    wc_transport t = {&fake_ops, f, f->loop};
    return t;
}

/* How many recorded requests contain needle. */
static inline int fake_count(const fake_transport *f, const char *needle)
{
    int n = 0;
    for (size_t i = 0; i < f->n_requests; i++)
        if (strstr(f->requests[i], needle))
            n++;
    return n;
}

/* An AWS client on a fake clock and the fake transport, credentials from the environment
 * (key_id), region us-east-1, every service at http://127.0.0.1:1. wall and random may be NULL. */
typedef struct {
    fake_time t;
    wc_clock clock;
    wc_loop *loop;
    fake_transport fake;
    wc_transport transport;
    wc_aws *aws;
} fake_aws;

static inline void fake_aws_init(fake_aws *a, const char *key_id, time_t (*wall)(void),
                                 uint64_t (*random)(void *, uint64_t))
{
    a->t.now = 1000;
    a->clock = (wc_clock){fake_now, fake_sleep, &a->t};
    a->loop = wc_loop_new(&a->clock);
    a->fake.loop = a->loop;
    a->transport = fake_transport_of(&a->fake);
    setenv("AWS_ACCESS_KEY_ID", key_id, 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    unsetenv("AWS_SESSION_TOKEN");
    wc_aws_config c = {.region = "us-east-1",
                       .endpoint_url = "http://127.0.0.1:1",
                       .loop = a->loop,
                       .transport = &a->transport,
                       .wall_time = wall};
    c.retry.random = random;
    a->aws = wc_aws_new(&c, NULL);
    assert_non_null(a->aws);
}

static inline void fake_aws_cleanup(fake_aws *a)
{
    wc_aws_free(a->aws);
    fake_destroy(&a->fake);
    wc_loop_free(a->loop);
}

#endif
