#include "fake_transport.h"

#include "aws/http.h"
#include "aws/sigv4.h"
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TURNS 100000

typedef enum { ANSWER_HTTP, ANSWER_NETWORK, ANSWER_HANG } answer_kind;

struct fake_answer {
    char *pattern; /* NULL: any request */
    answer_kind kind;
    long status;
    char *body;
    int curl_code;
    char *message;
    char *etag;
    wc_http_response meta; /* only its x-amz-meta-* headers */
    char *request_id;
    uint64_t delay_ms;
    unsigned times; /* requests it answers; FAKE_FOREVER: any number */
    unsigned used;
};

/* A request waiting for its answer. */
typedef struct pending {
    fake_transport *f;
    fake_request *req;
    const fake_answer *answer;
    wc_http_done done;
    void *ctx;
    wc_timer timer;
    struct pending *prev, *next;
} pending;

struct fake_transport {
    wc_transport table;
    wc_loop *loop;
    size_t max_body;
    fake_answer **answers;
    size_t n_answers;
    fake_request **requests;
    size_t n_requests;
    pending *pending;
    int in_flight;
};

static char *copy_of(const char *s)
{
    char *c = strdup(s ? s : "");
    assert_non_null(c);
    return c;
}

/* --- matching --- */

static const char *const methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};

/* Splits "[METHOD ]TEXT" into the method (or NULL) and the text. */
static const char *split_pattern(const char *pattern, char method[8])
{
    method[0] = '\0';
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t n = strlen(methods[i]);
        if (strncmp(pattern, methods[i], n) == 0 && pattern[n] == ' ') {
            snprintf(method, 8, "%s", methods[i]);
            return pattern + n + 1;
        }
    }
    return pattern;
}

static int fits(const char *pattern, const char *method, const char *url, const char *target,
                const char *body)
{
    if (!pattern)
        return 1;
    char want_method[8];
    const char *text = split_pattern(pattern, want_method);
    if (want_method[0] && strcmp(want_method, method) != 0)
        return 0;
    return strstr(url, text) || (target && strstr(target, text)) || strstr(body, text);
}

static const char *header_of(const wc_param *headers, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(headers[i].name, name) == 0)
            return headers[i].value;
    return NULL;
}

static int request_fits(const fake_request *r, const char *pattern)
{
    return fits(pattern, r->method, r->url, header_of(r->headers, r->n_headers, "X-Amz-Target"),
                r->body);
}

static const char *kind_name(const fake_answer *a)
{
    return a->kind == ANSWER_HTTP ? "reply" : a->kind == ANSWER_NETWORK ? "network error" : "hang";
}

/* The answers still to use, one a line, for failure messages. */
static void describe_unused(const fake_transport *f, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < f->n_answers && o + 1 < cap; i++) {
        const fake_answer *a = f->answers[i];
        if (a->times != FAKE_FOREVER && a->used >= a->times)
            continue;
        int n = snprintf(out + o, cap - o, "\n    #%zu %s %ld for \"%s\" (used %u of %s%u)", i,
                         kind_name(a), a->status, a->pattern ? a->pattern : "(any)", a->used,
                         a->times == FAKE_FOREVER ? "forever " : "",
                         a->times == FAKE_FOREVER ? 0 : a->times);
        if (n < 0)
            break;
        o += (size_t)n < cap - o ? (size_t)n : cap - o - 1;
    }
    if (!out[0])
        snprintf(out, cap, " none");
}

/* --- the transport's functions --- */

static void pending_unlink(fake_transport *f, pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        f->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    f->in_flight--;
}

static void deliver(void *ctx)
{
    pending *p = ctx;
    fake_transport *f = p->f;
    const fake_answer *a = p->answer;
    pending_unlink(f, p);
    p->req->answered = 1;
    wc_http_response r;
    memset(&r, 0, sizeof(r));
    if (a->kind == ANSWER_NETWORK) {
        r.curl_code = a->curl_code;
        r.tls_refused = wc_http_is_tls_refusal(a->curl_code); /* as the libcurl transport says */
        snprintf(r.error, sizeof(r.error), "%s", a->message);
        r.body = copy_of("");
    } else {
        /* As http.c: the body received into a buffer capped at the request's max_body, secret
         * (zeroed as it grows and on failure) when the request says so, and handed over. */
        size_t cap = p->req->max_body ? p->req->max_body : f->max_body;
        wc_buf received;
        if (p->req->secret)
            wc_buf_init_secret(&received, cap);
        else
            wc_buf_init(&received, cap);
        wc_result added = wc_buf_add(&received, a->body, strlen(a->body));
        assert_true(added == WC_OK || added == WC_ERR_TOO_LARGE);
        p->req->answer_secret = received.secret;
        if (added == WC_ERR_TOO_LARGE) {
            /* As http.c: the transfer stops at the cap, with a write error; the failed buffer
             * dropped (zeroed) what it held, so the body is empty. */
            r.too_large = 1;
            r.curl_code = 23;
            snprintf(r.error, sizeof(r.error), "response body over the %zu-byte limit", cap);
        } else {
            r.status = a->status;
        }
        r.body = wc_buf_take(&received, &r.len);
        if (!r.body)
            r.body = copy_of("");
        r.etag = a->etag ? copy_of(a->etag) : NULL;
        r.request_id = a->request_id ? copy_of(a->request_id) : NULL;
        for (size_t i = 0; i < a->meta.n_meta; i++)
            assert_true(
                wc_http_response_add_meta(&r, a->meta.meta[i].name, strlen(a->meta.meta[i].name),
                                          a->meta.meta[i].value, strlen(a->meta.meta[i].value)));
    }
    wc_http_done done = p->done;
    void *done_ctx = p->ctx;
    free(p);
    done(done_ctx, &r);
}

static fake_request *record(fake_transport *f, const wc_http_request *req)
{
    fake_request *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->method = copy_of(req->method);
    r->url = copy_of(req->url);
    r->headers = calloc(req->n_headers + 1, sizeof(*r->headers));
    assert_non_null(r->headers);
    for (size_t i = 0; i < req->n_headers; i++) {
        r->headers[i].name = copy_of(req->headers[i].name);
        r->headers[i].value = copy_of(req->headers[i].value);
    }
    r->n_headers = req->n_headers;
    r->body = malloc(req->body_len + 1);
    assert_non_null(r->body);
    if (req->body_len)
        memcpy(r->body, req->body, req->body_len);
    r->body[req->body_len] = '\0';
    r->body_len = req->body_len;
    r->timeout_ms = req->timeout_ms;
    r->max_body = req->max_body;
    r->secret = req->secret;
    r->at_ms = wc_loop_now(f->loop);
    fake_request **bigger = realloc(f->requests, (f->n_requests + 1) * sizeof(*bigger));
    assert_non_null(bigger);
    f->requests = bigger;
    f->requests[f->n_requests++] = r;
    return r;
}

static wc_result fake_start(void *self, const wc_http_request *req, wc_http_done done, void *ctx,
                            void **handle, wc_error *err)
{
    fake_transport *f = self;
    fake_request *r = record(f, req);
    fake_answer *a = NULL;
    for (size_t i = 0; i < f->n_answers && !a; i++) {
        fake_answer *candidate = f->answers[i];
        if ((candidate->times == FAKE_FOREVER || candidate->used < candidate->times) &&
            request_fits(r, candidate->pattern))
            a = candidate;
    }
    if (!a) {
        char left[2048];
        describe_unused(f, left, sizeof(left));
        const char *target = fake_request_header(r, "X-Amz-Target");
        fail_msg("fake transport: no scripted answer fits request #%zu: %s %s%s%s\n  body: %.400s\n"
                 "  answers left:%s",
                 f->n_requests - 1, r->method, r->url, target ? "\n  X-Amz-Target: " : "",
                 target ? target : "", r->body, left);
    }
    a->used++;
    pending *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    *p = (pending){.f = f, .req = r, .answer = a, .done = done, .ctx = ctx};
    p->next = f->pending;
    if (f->pending)
        f->pending->prev = p;
    f->pending = p;
    f->in_flight++;
    if (a->kind != ANSWER_HANG)
        assert_int_equal(wc_loop_timer_start(f->loop, &p->timer, a->delay_ms, deliver, p), WC_OK);
    if (handle)
        *handle = p;
    return WC_OK;
}

static void fake_cancel(void *self, void *handle)
{
    fake_transport *f = self;
    pending *p = handle;
    if (!p)
        return;
    wc_loop_timer_stop(f->loop, &p->timer);
    p->req->cancelled = 1;
    pending_unlink(f, p);
    free(p);
}

static const wc_transport_ops fake_ops = {fake_start, fake_cancel};

/* --- life --- */

fake_transport *fake_transport_new(wc_loop *loop)
{
    fake_transport *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->loop = loop;
    f->max_body = 8u << 20;
    f->table = (wc_transport){&fake_ops, f, loop};
    return f;
}

void fake_transport_free(fake_transport *f)
{
    if (!f)
        return;
    while (f->pending) {
        pending *p = f->pending;
        wc_loop_timer_stop(f->loop, &p->timer);
        pending_unlink(f, p);
        free(p);
    }
    for (size_t i = 0; i < f->n_answers; i++) {
        fake_answer *a = f->answers[i];
        free(a->pattern);
        free(a->body);
        free(a->message);
        free(a->etag);
        free(a->request_id);
        wc_http_response_cleanup(&a->meta);
        free(a);
    }
    free(f->answers);
    for (size_t i = 0; i < f->n_requests; i++) {
        fake_request *r = f->requests[i];
        for (size_t h = 0; h < r->n_headers; h++) {
            free((char *)r->headers[h].name);
            free((char *)r->headers[h].value);
        }
        free(r->headers);
        free(r->method);
        free(r->url);
        free(r->body);
        free(r);
    }
    free(f->requests);
    free(f);
}

const wc_transport *fake_transport_table(fake_transport *f)
{
    return &f->table;
}

void fake_set_max_body(fake_transport *f, size_t max_body)
{
    f->max_body = max_body;
}

/* --- the script --- */

static fake_answer *add_answer(fake_transport *f, const char *pattern, answer_kind kind)
{
    fake_answer *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->pattern = pattern ? copy_of(pattern) : NULL;
    a->kind = kind;
    a->body = copy_of("");
    a->message = copy_of("");
    a->times = 1;
    fake_answer **bigger = realloc(f->answers, (f->n_answers + 1) * sizeof(*bigger));
    assert_non_null(bigger);
    f->answers = bigger;
    f->answers[f->n_answers++] = a;
    return a;
}

fake_answer *fake_reply(fake_transport *f, const char *pattern, long status, const char *body)
{
    fake_answer *a = add_answer(f, pattern, ANSWER_HTTP);
    a->status = status;
    free(a->body);
    a->body = copy_of(body);
    return a;
}

fake_answer *fake_network_error(fake_transport *f, const char *pattern, int curl_code,
                                const char *message)
{
    assert_int_not_equal(curl_code, 0);
    fake_answer *a = add_answer(f, pattern, ANSWER_NETWORK);
    a->curl_code = curl_code;
    free(a->message);
    a->message = copy_of(message);
    return a;
}

fake_answer *fake_hang(fake_transport *f, const char *pattern)
{
    return add_answer(f, pattern, ANSWER_HANG);
}

fake_answer *fake_header(fake_answer *a, const char *name, const char *value)
{
    char **slot = NULL;
    if (strcasecmp(name, "ETag") == 0)
        slot = &a->etag;
    else if (strcasecmp(name, "x-amz-request-id") == 0 || strcasecmp(name, "x-amzn-RequestId") == 0)
        slot = &a->request_id;
    if (strncasecmp(name, "x-amz-meta-", 11) == 0)
        assert_true(wc_http_response_add_meta(&a->meta, name + 11, strlen(name) - 11, value,
                                              strlen(value)));
    if (slot) { /* other headers: ignored, as http.c ignores them */
        free(*slot);
        *slot = copy_of(value);
    }
    return a;
}

fake_answer *fake_delay(fake_answer *a, uint64_t ms)
{
    a->delay_ms = ms;
    return a;
}

fake_answer *fake_times(fake_answer *a, unsigned n)
{
    a->times = n;
    return a;
}

size_t fake_unused(const fake_transport *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_answers; i++)
        if (f->answers[i]->times != FAKE_FOREVER && f->answers[i]->used < f->answers[i]->times)
            n++;
    return n;
}

void fake_assert_all_used(const fake_transport *f)
{
    if (fake_unused(f) == 0)
        return;
    char left[2048];
    describe_unused(f, left, sizeof(left));
    fail_msg("fake transport: scripted answers never used:%s", left);
}

/* --- what was sent --- */

size_t fake_count(const fake_transport *f)
{
    return f->n_requests;
}

const fake_request *fake_request_at(const fake_transport *f, size_t i)
{
    if (i >= f->n_requests)
        fail_msg("fake transport: no request #%zu (%zu were sent)", i, f->n_requests);
    return f->requests[i];
}

const fake_request *fake_last(const fake_transport *f)
{
    if (f->n_requests == 0)
        fail_msg("fake transport: no request was sent");
    return f->requests[f->n_requests - 1];
}

size_t fake_count_matching(const fake_transport *f, const char *pattern)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_requests; i++)
        n += request_fits(f->requests[i], pattern) ? 1 : 0;
    return n;
}

const fake_request *fake_find(const fake_transport *f, const char *pattern, size_t nth)
{
    for (size_t i = 0; i < f->n_requests; i++)
        if (request_fits(f->requests[i], pattern) && nth-- == 0)
            return f->requests[i];
    fail_msg("fake transport: no request #%zu fits \"%s\" (%zu were sent)", nth,
             pattern ? pattern : "(any)", f->n_requests);
    return NULL;
}

const char *fake_request_header(const fake_request *r, const char *name)
{
    return header_of(r->headers, r->n_headers, name);
}

json_t *fake_request_json(const fake_request *r)
{
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
    if (!j)
        fail_msg("fake transport: body of %s %s is not JSON (%s): %.200s", r->method, r->url,
                 jerr.text, r->body);
    return j;
}

int fake_in_flight(const fake_transport *f)
{
    return f->in_flight;
}

/* --- a whole test set-up --- */

/* The fake world's wall clock: FAKE_WALL_TIME at the start, and it follows the fake clock. */
static uint64_t fake_epoch_ms(wc_clock *self)
{
    const fake_time *t = self->state;
    return (uint64_t)FAKE_WALL_TIME * 1000u + (t->now - FAKE_START_MS);
}

/* Retry waits without chance: always the longest the policy allows. */
static uint64_t longest(void *state, uint64_t n)
{
    (void)state;
    return n;
}

fake_world *fake_world_new(const char *endpoint_url)
{
    fake_world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->time.now = FAKE_START_MS;
    w->clock = (wc_clock){fake_now, fake_sleep, &w->time, fake_epoch_ms};
    w->loop = wc_loop_new(&w->clock);
    assert_non_null(w->loop);
    w->fake = fake_transport_new(w->loop);
    /* Credentials from the environment; nothing else is ever asked (no files, no metadata),
     * whatever the developer's environment holds. */
    cred_env_clear();
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    wc_aws_config config = {
        .region = "us-east-1",
        .endpoint_url = endpoint_url,
        .retry = {.max_attempts = 5, .base_ms = 50, .cap_ms = 5000, .random = longest},
        .loop = w->loop,
        .transport = fake_transport_table(w->fake),
    };
    wc_error err;
    w->aws = wc_aws_new(&config, &err);
    if (!w->aws)
        fail_msg("wc_aws_new: %s", err.msg);
    return w;
}

void fake_world_free(fake_world *w)
{
    if (!w)
        return;
    wc_aws_free(w->aws);
    fake_transport_free(w->fake);
    wc_loop_free(w->loop);
    free(w);
}

void fake_run(fake_world *w)
{
    int turns = 0;
    while (wc_loop_alive(w->loop)) {
        if (++turns > MAX_TURNS)
            fail_msg("the loop is still busy after %d turns", MAX_TURNS);
        wc_loop_turn(w->loop, -1);
    }
}

void fake_run_until(fake_world *w, const int *flag)
{
    int turns = 0;
    while (!*flag) {
        if (++turns > MAX_TURNS)
            fail_msg("still waiting after %d turns of the loop", MAX_TURNS);
        if (!wc_loop_alive(w->loop))
            fail_msg("waiting for something that cannot come: nothing is left on the loop");
        wc_loop_turn(w->loop, -1);
    }
}

void fake_advance_s(fake_world *w, unsigned s)
{
    w->time.now += (uint64_t)s * 1000;
}

void fake_assert_signed_with(const fake_request *r, const char *key, const char *token)
{
    const char *auth = fake_request_header(r, "Authorization");
    const char *p = auth ? strstr(auth, "Credential=") : NULL;
    if (!p)
        fail_msg("%s %s is not signed", r->method, r->url);
    else {
        p += strlen("Credential=");
        char got[128];
        snprintf(got, sizeof(got), "%.*s", (int)strcspn(p, "/"), p);
        if (strcmp(got, key) != 0)
            fail_msg("%s %s is signed with %s, not %s", r->method, r->url, got, key);
    }
    const char *have = fake_request_header(r, "X-Amz-Security-Token");
    if (token)
        assert_string_equal(have, token);
    else
        assert_null(have);
}

/* The Authorization header is the signature of what was sent: path (decoded) and headers. */
void fake_assert_signed_as_sent(const fake_request *r, const char *decoded_path,
                                const wc_param *query, size_t n_query)
{
    wc_param headers[16];
    size_t n = 0;
    for (size_t i = 0; i < r->n_headers && n < 16; i++)
        if (strcmp(r->headers[i].name, "Authorization") != 0)
            headers[n++] = r->headers[i];
    wc_sigv4_request sreq = {r->method,
                             decoded_path,
                             query,
                             n_query,
                             headers,
                             n,
                             fake_request_header(r, "X-Amz-Content-SHA256")};
    wc_sigv4_signer signer = {"AKIDEXAMPLE",
                              "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                              "us-east-1",
                              "s3",
                              FAKE_WALL_TIME,
                              0,
                              NULL};
    char *expected = wc_sigv4_authorization(&signer, &sreq);
    assert_string_equal(fake_request_header(r, "Authorization"), expected);
    free(expected);
}
