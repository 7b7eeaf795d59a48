#include "aws/client.h"
#include "aws/client_private.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

struct wc_aws {
    char *region;
    char *endpoint_url;
    wc_loop *loop;
    int own_loop;
    wc_http *http;          /* libcurl on the loop: the default transport */
    char *ca_bundle;        /* owned: the CA bundle the calls trust (for messages), or NULL */
    int tls_said;           /* a TLS refusal was logged, and no call has been answered since */
    wc_transport transport; /* where calls go, and the credential fetches too */
    wc_credential_chain *credentials;
    struct call *parked, *parked_tail; /* calls waiting for the credential fetch, in order */
    unsigned wave; /* bumped when a fetch ends: the calls parked before it are served */
    wc_retry_policy retry;
    wc_clock *clock;          /* the loop's: its wall clock dates the signatures */
    wc_endpoint endpoints[3]; /* s3, sqs, dynamodb, resolved on first use */
    int resolved[3];
    int in_flight;      /* calls started and not yet done */
    struct call *calls; /* every call not yet done: on the wire or waiting for a retry */
    wc_aws_stats stats;
    wc_sigv4_key_cache keys;
    wc_aws_error_decoder *errors; /* owned: decodes the error answers (NULL: each its own) */
    wc_aws_observer observer;
    void *observer_ctx;
    int refused; /* the credentials were refused for good (wc_aws_refused) */
    wc_error refusal;
    void (*on_refused)(void *ctx, const wc_error *err);
    void *on_refused_ctx;
};

static void on_credentials(void *ctx, wc_result result, const wc_error *err);

wc_aws *wc_aws_new(const wc_aws_config *config, wc_error *err)
{
    wc_aws *aws = calloc(1, sizeof(*aws));
    if (!aws) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    aws->region = config->region && *config->region ? strdup(config->region)
                                                    : wc_profile_region(config->profile);
    aws->endpoint_url = config->endpoint_url ? strdup(config->endpoint_url) : NULL;
    aws->loop = config->loop;
    if (!aws->loop) {
        aws->loop = wc_loop_new(config->clock);
        aws->own_loop = 1;
    }
    /* AWS_CA_BUNDLE or the profile's ca_bundle: every call (and credential fetch) trusts it. */
    wc_http_config http = config->http;
    char *ca_bundle = http.ca_bundle ? NULL : wc_ca_bundle(config->profile);
    if (ca_bundle)
        http.ca_bundle = ca_bundle;
    if (http.ca_bundle && access(http.ca_bundle, R_OK) != 0) {
        wc_error_set(err, WC_ERR_INVALID, "CA bundle %s (AWS_CA_BUNDLE or ca_bundle): %s",
                     http.ca_bundle, strerror(errno));
        free(ca_bundle);
        wc_aws_free(aws);
        return NULL;
    }
    aws->http = aws->loop ? wc_http_new(&http, aws->loop) : NULL;
    if (http.ca_bundle && !(aws->ca_bundle = strdup(http.ca_bundle))) {
        wc_http_free(aws->http);
        aws->http = NULL; /* reported below as out of memory */
    }
    free(ca_bundle);
    if (aws->http)
        aws->transport = config->transport ? *config->transport : wc_http_transport(aws->http);
    aws->errors = wc_aws_error_decoder_new(); /* NULL: slower, not wrong */
    aws->retry = config->retry;
    if (!aws->retry.max_attempts)
        aws->retry.max_attempts = 5;
    aws->clock = aws->loop ? wc_loop_clock(aws->loop) : NULL;
    /* The credentials are fetched on the same transport, loop and clock as the calls. */
    aws->credentials =
        aws->http ? wc_credential_chain_new(config->profile, &aws->transport, aws->clock) : NULL;
    if (aws->credentials)
        wc_credential_chain_listen(aws->credentials, on_credentials, aws);
    if (!aws->http || !aws->credentials) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        wc_aws_free(aws);
        return NULL;
    }
    if (!aws->region && !aws->endpoint_url) {
        /* A custom endpoint does not need a region to be found, only to sign: us-east-1 then. */
        wc_error_set(err, WC_ERR_INVALID,
                     "no AWS region: use --region, AWS_REGION, AWS_DEFAULT_REGION or a profile's "
                     "region");
        wc_aws_free(aws);
        return NULL;
    }
    if (!aws->region)
        aws->region = strdup("us-east-1");
    if (!aws->region ||
        wc_credential_chain_set_sts(aws->credentials, aws->region, aws->endpoint_url) != WC_OK) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        wc_aws_free(aws);
        return NULL;
    }
    return aws;
}

static void drop_calls(wc_aws *aws);

void wc_aws_free(wc_aws *aws)
{
    if (!aws)
        return;
    drop_calls(aws);
    for (int i = 0; i < 3; i++)
        wc_endpoint_cleanup(&aws->endpoints[i]);
    wc_credential_chain_free(aws->credentials); /* a fetch under way is cancelled */
    wc_http_free(aws->http);
    if (aws->own_loop)
        wc_loop_free(aws->loop);
    free(aws->region);
    free(aws->endpoint_url);
    free(aws->ca_bundle);
    wc_aws_error_decoder_free(aws->errors);
    free(aws);
}

wc_loop *wc_aws_loop(wc_aws *aws)
{
    return aws->loop;
}

const wc_aws_stats *wc_aws_get_stats(const wc_aws *aws)
{
    return &aws->stats;
}

unsigned wc_aws_credential_fetches(const wc_aws *aws)
{
    return wc_credentials_fetches(aws->credentials);
}

unsigned long long wc_aws_connections_opened(const wc_aws *aws)
{
    return aws->http ? wc_http_connections_opened(aws->http) : 0;
}

void wc_aws_observe(wc_aws *aws, wc_aws_observer fn, void *ctx)
{
    aws->observer = fn;
    aws->observer_ctx = ctx;
}

void wc_aws_on_refused(wc_aws *aws, void (*fn)(void *ctx, const wc_error *err), void *ctx)
{
    aws->on_refused = fn;
    aws->on_refused_ctx = ctx;
}

const wc_error *wc_aws_refused(const wc_aws *aws)
{
    return aws->refused ? &aws->refusal : NULL;
}

const wc_endpoint *wc_aws_endpoint(wc_aws *aws, const char *service, wc_error *err)
{
    int i = strcmp(service, "s3") == 0 ? 0 : strcmp(service, "sqs") == 0 ? 1 : 2;
    if (!aws->resolved[i]) {
        if (wc_endpoint_resolve(service, aws->region, aws->endpoint_url, &aws->endpoints[i], err) !=
            WC_OK)
            return NULL;
        aws->resolved[i] = 1;
    }
    return &aws->endpoints[i];
}

/* Codes that say the request itself can never succeed (not the service or its set-up). */
static const char *const rejected_codes[] = {
    "ValidationException",    /* DynamoDB: an item over 400 KB, a bad attribute */
    "SerializationException", /* DynamoDB, SQS */
    "KeyTooLongError",        /* S3 */
    "EntityTooLarge",         /* S3 */
    "MetadataTooLarge",       /* S3 */
    "InvalidMessageContents", /* SQS: characters a message may not hold */
    "InvalidParameterValue",  /* SQS */
    "InvalidAttributeValue",  /* SQS */
};

static wc_result result_of(const wc_aws_error *e)
{
    /* "Not there" comes only from the answers that mean it for the object named: a missing
     * bucket, table or queue is an outage of the store or source, never a missing widget. */
    if (strcmp(e->code, "NoSuchKey") == 0 || strcmp(e->code, "QueueDoesNotExist") == 0 ||
        strcmp(e->code, "AWS.SimpleQueueService.NonExistentQueue") == 0)
        return WC_ERR_NOT_FOUND;
    /* A lost race: a failed condition (412), or S3's 409 ConditionalRequestConflict (another
     * write of the same key was under way: read again, then write again). */
    if (e->status == 412 || strcmp(e->code, "ConditionalCheckFailedException") == 0 ||
        strcmp(e->code, "ConditionalRequestConflict") == 0)
        return WC_ERR_CONFLICT;
    for (size_t i = 0; i < sizeof(rejected_codes) / sizeof(rejected_codes[0]); i++)
        if (strcmp(e->code, rejected_codes[i]) == 0)
            return WC_ERR_REJECTED;
    /* Throttling and 5xx after every retry, a missing resource, a permission, an expired
     * credential: the service is not usable now. */
    return WC_ERR_IO;
}

/* One call in flight: our copy of the request, and where it stands. */
typedef struct call {
    wc_aws *aws;
    wc_aws_request req;
    wc_param *query, *headers; /* copies of req's arrays */
    char *strings;             /* one block holding every string of the request */
    unsigned attempt;
    wc_timer retry;   /* a retry waiting for its time */
    void *on_wire;    /* the transport's handle while a request is out */
    uint64_t sent_ns; /* when it went on the wire (for the observer) */
    int parked;       /* waiting for credentials (in aws->parked) */
    unsigned wave;    /* aws->wave when it was parked */
    struct call *park_next;
    wc_aws_done done;
    void *ctx;
    void (*forget)(void *ctx); /* frees ctx when the call is cancelled (or NULL) */
    struct call *prev, *next;  /* aws->calls */
} call;

static void call_free(call *c)
{
    if (!c)
        return;
    free(c->query);
    free(c->headers);
    free(c->strings);
    free(c);
}

static void unlink_call(call *c);

/* Takes a call off the list of those waiting for credentials (harmless when it is not on it). */
static void unpark(wc_aws *aws, call *c)
{
    if (!c->parked)
        return;
    call *prev = NULL;
    for (call *p = aws->parked; p && p != c; p = p->park_next)
        prev = p;
    if (prev)
        prev->park_next = c->park_next;
    else
        aws->parked = c->park_next;
    if (aws->parked_tail == c)
        aws->parked_tail = prev;
    c->park_next = NULL;
    c->parked = 0;
}

void wc_aws_cancel(wc_aws *aws, wc_aws_call *handle)
{
    call *c = (call *)handle;
    if (!c)
        return;
    unlink_call(c);
    unpark(aws, c);
    wc_loop_timer_stop(aws->loop, &c->retry);
    if (c->on_wire)
        aws->transport.ops->cancel(aws->transport.self, c->on_wire);
    aws->in_flight--;
    if (c->forget)
        c->forget(c->ctx);
    call_free(c);
}

void wc_aws_abandon(wc_aws *aws)
{
    wc_aws_error aerr;
    memset(&aerr, 0, sizeof(aerr));
    snprintf(aerr.code, sizeof(aerr.code), "Abandoned");
    wc_error err;
    wc_error_set(&err, WC_ERR_IO, "abandoned at shutdown");
    /* A callback may start another call: go on until none is left (a few rounds at most). */
    for (int round = 0; aws->calls && round < 16; round++) {
        call *list = aws->calls; /* detach them all, then end them one by one */
        aws->calls = NULL;
        aws->parked = aws->parked_tail = NULL; /* they are all in list */
        while (list) {
            call *c = list;
            list = c->next;
            c->prev = c->next = NULL;
            c->parked = 0;
            c->park_next = NULL;
            wc_loop_timer_stop(aws->loop, &c->retry);
            if (c->on_wire)
                aws->transport.ops->cancel(aws->transport.self, c->on_wire);
            aws->in_flight--;
            wc_aws_done done = c->done;
            void *ctx = c->ctx;
            call_free(c);
            done(ctx, WC_ERR_IO, NULL, &aerr, &err);
        }
    }
    /* Nothing waits for a credential fetch any more: it is not left running on the loop. */
    if (!aws->parked)
        wc_credentials_cancel(aws->credentials);
}

static void unlink_call(call *c)
{
    wc_aws *aws = c->aws;
    if (c->prev)
        c->prev->next = c->next;
    else
        aws->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* Calls never finished: their callers are gone with the client. */
static void drop_calls(wc_aws *aws)
{
    aws->parked = aws->parked_tail = NULL; /* every parked call is in aws->calls */
    while (aws->calls) {
        call *c = aws->calls;
        unlink_call(c);
        wc_loop_timer_stop(aws->loop, &c->retry);
        if (c->on_wire)
            aws->transport.ops->cancel(aws->transport.self, c->on_wire);
        if (c->forget)
            c->forget(c->ctx);
        call_free(c);
    }
}

/* Copies a request so that it outlives the caller's stack. */
static call *call_new(wc_aws *aws, const wc_aws_request *r)
{
    size_t total = 0;
    const char *fixed[4] = {r->service, r->method, r->base, r->path};
    for (int i = 0; i < 4; i++)
        total += strlen(fixed[i]) + 1;
    for (size_t i = 0; i < r->n_query; i++)
        total += strlen(r->query[i].name) + strlen(r->query[i].value) + 2;
    for (size_t i = 0; i < r->n_headers; i++)
        total += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 2;
    total += r->body_len + 1;
    call *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->strings = malloc(total);
    c->query = calloc(r->n_query + 1, sizeof(*c->query));
    c->headers = calloc(r->n_headers + 1, sizeof(*c->headers));
    if (!c->strings || !c->query || !c->headers) {
        call_free(c);
        return NULL;
    }
    char *p = c->strings;
#define COPY(dst, src)                                                                             \
    do {                                                                                           \
        size_t n_ = strlen(src) + 1;                                                               \
        memcpy(p, src, n_);                                                                        \
        (dst) = p;                                                                                 \
        p += n_;                                                                                   \
    } while (0)
    c->req = *r;
    COPY(c->req.service, r->service);
    COPY(c->req.method, r->method);
    COPY(c->req.base, r->base);
    COPY(c->req.path, r->path);
    for (size_t i = 0; i < r->n_query; i++) {
        COPY(c->query[i].name, r->query[i].name);
        COPY(c->query[i].value, r->query[i].value);
    }
    for (size_t i = 0; i < r->n_headers; i++) {
        COPY(c->headers[i].name, r->headers[i].name);
        COPY(c->headers[i].value, r->headers[i].value);
    }
#undef COPY
    if (r->body) {
        memcpy(p, r->body, r->body_len);
        p[r->body_len] = '\0';
        c->req.body = p;
    }
    c->req.query = c->query;
    c->req.headers = c->headers;
    c->aws = aws;
    return c;
}

static void on_http_done(void *ctx, wc_http_response *resp);

/* The credentials were refused for good: said once, to whoever listens (the consumer stops). */
static void note_refusal(wc_aws *aws, const wc_error *err)
{
    if (aws->refused)
        return;
    aws->refused = 1;
    if (err)
        aws->refusal = *err;
    else
        wc_error_set(&aws->refusal, WC_ERR_REJECTED, "the AWS credentials were refused");
    if (aws->on_refused)
        aws->on_refused(aws->on_refused_ctx, &aws->refusal);
}

/* What a call gets when no credentials can be had: a credential problem is an outage of the
 * service (WC_ERR_IO), never "the object is not there", nor a refusal of this request (a refusal
 * of the credentials is told apart, to stop the consumer: note_refusal). */
static wc_result credential_failure(wc_aws *aws, wc_result result, wc_error *err)
{
    if (result == WC_ERR_REJECTED)
        note_refusal(aws, err);
    if (result == WC_ERR_NOT_FOUND || result == WC_ERR_REJECTED) {
        result = WC_ERR_IO;
        if (err)
            err->code = result;
    }
    return result;
}

/* Signs the call now and hands it to the transport; while credentials are being fetched, it is
 * parked instead (WC_OK) and sent when the fetch ends (on_credentials). */
static wc_result send_call(call *c, wc_error *err)
{
    wc_aws *aws = c->aws;
    const wc_aws_request *req = &c->req;
    const wc_credentials *creds;
    wc_result result = wc_credentials_get(aws->credentials, &creds, err);
    if (result == WC_OK && !creds) { /* a fetch under way */
        c->parked = 1;
        c->wave = aws->wave;
        c->park_next = NULL;
        if (aws->parked_tail)
            aws->parked_tail->park_next = c;
        else
            aws->parked = c;
        aws->parked_tail = c;
        return WC_OK;
    }
    if (result != WC_OK)
        return credential_failure(aws, result, err);
    time_t now = wc_clock_epoch_s(aws->clock);
    const char *host = strstr(req->base, "://");
    host = host ? host + 3 : req->base;
    char date[17], hash[65];
    wc_sigv4_amz_date(now, date);
    if (req->unsigned_payload)
        snprintf(hash, sizeof(hash), "UNSIGNED-PAYLOAD");
    else
        wc_sha256_hex(req->body ? req->body : "", req->body_len, hash);

    size_t n = 0, cap = req->n_headers + 5;
    wc_param *headers = calloc(cap, sizeof(*headers));
    if (!headers)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    headers[n++] = (wc_param){"Host", host};
    headers[n++] = (wc_param){"X-Amz-Date", date};
    headers[n++] = (wc_param){"X-Amz-Content-SHA256", hash};
    if (creds->session_token)
        headers[n++] = (wc_param){"X-Amz-Security-Token", creds->session_token};
    for (size_t i = 0; i < req->n_headers; i++)
        headers[n++] = req->headers[i];

    wc_sigv4_request sreq = {req->method, req->path, req->query, req->n_query, headers, n, hash};
    wc_sigv4_signer signer = {creds->access_key_id,
                              creds->secret_access_key,
                              aws->region,
                              req->service,
                              now,
                              strcmp(req->service, "s3") != 0,
                              &aws->keys};
    char *auth = wc_sigv4_authorization(&signer, &sreq);
    char *path = wc_uri_encode(req->path, 1);
    char *query = wc_sigv4_query(req->query, req->n_query);
    char *url = NULL;
    if (auth && path && query) {
        size_t len = strlen(req->base) + strlen(path) + strlen(query) + 2;
        url = malloc(len);
        if (url)
            snprintf(url, len, "%s%s%s%s", req->base, path, query[0] ? "?" : "", query);
    }
    if (!url) {
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else {
        headers[n++] = (wc_param){"Authorization", auth};
        wc_http_request hreq = {req->method, url,           headers,         n,
                                req->body,   req->body_len, req->timeout_ms, req->max_body};
        result = aws->transport.ops->start(aws->transport.self, &hreq, on_http_done, c, &c->on_wire,
                                           err);
        if (result == WC_OK) {
            aws->stats.sent++;
            c->sent_ns = wc_monotonic_ns();
        }
    }
    free(url);
    free(query);
    free(path);
    free(auth);
    free(headers);
    return result;
}

/* Ends a call: its callback, then it is gone. */
static void finish_call(call *c, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                        const wc_error *err)
{
    c->aws->in_flight--;
    unlink_call(c);
    wc_aws_done done = c->done;
    void *ctx = c->ctx;
    call_free(c);
    done(ctx, result, resp, aerr, err);
}

/* A retry whose time has come goes out again (signed anew: the time is part of the signature). */
static void resend(void *ctx)
{
    call *c = ctx;
    wc_error err;
    if (send_call(c, &err) != WC_OK) {
        wc_aws_error aerr;
        memset(&aerr, 0, sizeof(aerr));
        finish_call(c, err.code ? err.code : WC_ERR_IO, NULL, &aerr, &err);
    }
}

/* A credential fetch ended: the calls parked before it go out, or fail with its error. */
static void on_credentials(void *ctx, wc_result result, const wc_error *err)
{
    wc_aws *aws = ctx;
    unsigned wave = ++aws->wave;
    if (result == WC_ERR_REJECTED) /* a refresh in the background too */
        note_refusal(aws, err);
    /* One at a time from the head: a callback may cancel a parked call, or park a new one (at
     * the tail, of the new wave: it waits for the next fetch). */
    while (aws->parked && aws->parked->wave < wave) {
        call *c = aws->parked;
        unpark(aws, c);
        wc_error e;
        wc_result r;
        if (result == WC_OK) {
            r = send_call(c, &e);
        } else {
            e = *err;
            r = credential_failure(aws, result, &e);
        }
        if (r != WC_OK) {
            wc_aws_error aerr;
            memset(&aerr, 0, sizeof(aerr));
            snprintf(aerr.service, sizeof(aerr.service), "%s", c->req.service);
            finish_call(c, r, NULL, &aerr, &e);
        }
    }
}

/* The operation a call is, for the observer: the JSON protocols name it in X-Amz-Target; S3's
 * is named from the method. */
static const char *operation_of(const wc_aws_request *req)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, "X-Amz-Target") == 0) {
            const char *dot = strrchr(req->headers[i].value, '.');
            return dot ? dot + 1 : req->headers[i].value;
        }
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].name, "list-type") == 0)
            return "ListObjectsV2";
    static const char *const names[][2] = {{"GET", "GetObject"},
                                           {"PUT", "PutObject"},
                                           {"DELETE", "DeleteObject"},
                                           {"HEAD", "HeadObject"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(req->method, names[i][0]) == 0)
            return names[i][1];
    return req->method;
}

static void observe(call *c, const wc_http_response *resp)
{
    wc_aws *aws = c->aws;
    if (!aws->observer)
        return;
    wc_aws_call_report r = {c->req.service, operation_of(&c->req),
                            resp->curl_code ? 0 : (int)resp->status, c->attempt > 0,
                            (double)(wc_monotonic_ns() - c->sent_ns) / 1e6};
    aws->observer(aws->observer_ctx, &r);
}

static void on_http_done(void *ctx, wc_http_response *resp)
{
    call *c = ctx;
    wc_aws *aws = c->aws;
    c->on_wire = NULL;
    observe(c, resp);
    wc_aws_error aerr;
    wc_error err;
    memset(&aerr, 0, sizeof(aerr));
    wc_error_clear(&err);
    if (resp->curl_code == 0)
        aws->tls_said = 0; /* an answer: the endpoint's certificate was accepted */
    if (resp->curl_code == 0 && !resp->too_large && resp->status >= 200 && resp->status < 300) {
        finish_call(c, WC_OK, resp, &aerr, &err);
        return;
    }
    if (resp->too_large) {
        wc_error_set(&err, WC_ERR_TOO_LARGE, "%s", resp->error);
        wc_http_response_cleanup(resp);
        finish_call(c, WC_ERR_TOO_LARGE, NULL, &aerr, &err);
        return;
    }
    if (resp->curl_code == 0) {
        wc_aws_error_decode_by(aws->errors, c->req.service, resp->status, resp->body, resp->len,
                               resp->request_id, &aerr);
    } else if (resp->tls_refused) {
        /* The endpoint's certificate was refused (or our CA bundle): no retry mends it. */
        snprintf(aerr.service, sizeof(aerr.service), "%s", c->req.service);
        snprintf(aerr.code, sizeof(aerr.code), "TLSError");
        wc_tls_refusal_text(aerr.message, sizeof(aerr.message), c->req.base, aws->ca_bundle,
                            resp->error);
    } else {
        snprintf(aerr.service, sizeof(aerr.service), "%s", c->req.service);
        snprintf(aerr.code, sizeof(aerr.code), "NetworkError");
        snprintf(aerr.message, sizeof(aerr.message), "%s %s: %s", c->req.method, c->req.base,
                 resp->error);
    }
    int tls_refused = resp->tls_refused;
    wc_http_response_cleanup(resp);
    if (tls_refused) {
        aws->stats.tls_refusals++;
        /* Said once, whatever else is failing too (a refused connection first, say), then again
         * only after an answer came in between. */
        if (!aws->tls_said)
            wc_errorlog("%s %s: TLSError: %s", c->req.service, operation_of(&c->req), aerr.message);
        aws->tls_said = 1;
    }
    if (!tls_refused && wc_retry_is_retryable(&aerr) && c->attempt + 1 < aws->retry.max_attempts) {
        /* Try again later, on a timer of the loop. */
        aws->stats.retries++;
        if (wc_loop_timer_start(aws->loop, &c->retry,
                                wc_retry_delay_full_jitter(&aws->retry, c->attempt), resend,
                                c) == WC_OK) {
            c->attempt++;
            return;
        }
    }
    char text[640];
    wc_result result = aerr.status ? result_of(&aerr) : WC_ERR_IO;
    wc_error_set(&err, result, "%s", wc_aws_error_text(&aerr, text, sizeof(text)));
    finish_call(c, result, NULL, &aerr, &err);
}

wc_result wc_aws_start_call(wc_aws *aws, const wc_aws_request *req, wc_aws_done done, void *ctx,
                            void (*forget)(void *), wc_aws_call **handle, wc_error *err)
{
    call *c = call_new(aws, req);
    if (!c)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    c->done = done;
    c->ctx = ctx;
    c->forget = forget;
    wc_result result = send_call(c, err);
    if (result != WC_OK) {
        call_free(c);
        return result;
    }
    aws->in_flight++;
    c->next = aws->calls;
    if (aws->calls)
        aws->calls->prev = c;
    aws->calls = c;
    if (handle)
        *handle = (wc_aws_call *)c;
    return WC_OK;
}

wc_result wc_aws_start(wc_aws *aws, const wc_aws_request *req, wc_aws_done done, void *ctx,
                       wc_error *err)
{
    return wc_aws_start_call(aws, req, done, ctx, NULL, NULL, err);
}

int wc_aws_in_flight(const wc_aws *aws)
{
    return aws->in_flight;
}

wc_result wc_aws_resource_error(wc_error *err, wc_result result, const char *what, const char *name,
                                const wc_aws_error *aerr, const wc_error *detail)
{
    char text[640];
    return wc_error_set(err, result, "%s \"%s\": %s", what, name,
                        aerr->code[0] ? wc_aws_error_text(aerr, text, sizeof(text)) : detail->msg);
}
