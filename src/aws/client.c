#include "aws/client.h"
#include "aws/client_private.h"
#include "common/list.h"
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
    int tls_said;           /* a TLS refusal was logged, and no call has been answered since */
    wc_transport transport; /* where calls go, and the credential fetches too */
    wc_credential_chain *credentials;
    wc_list parked; /* calls waiting for the credential fetch, in order */
    unsigned wave;  /* bumped when a fetch ends: the calls parked before it are served */
    wc_retry_policy retry;
    wc_clock *clock;          /* the loop's: its wall clock dates the signatures */
    wc_endpoint endpoints[4]; /* s3, sqs, dynamodb, sns (base NULL until resolved) */
    int in_flight;            /* calls started and not yet done */
    wc_list calls; /* every call not yet done (on the wire or waiting for a retry), oldest first */
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
    char *ca_bundle = NULL;
    wc_result result = WC_ERR_NOMEM;
    if (!aws)
        goto fail;
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
    ca_bundle = http.ca_bundle ? NULL : wc_ca_bundle(config->profile);
    if (ca_bundle)
        http.ca_bundle = ca_bundle;
    if (http.ca_bundle && access(http.ca_bundle, R_OK) != 0) {
        result = wc_error_set(err, WC_ERR_INVALID, "CA bundle %s (AWS_CA_BUNDLE or ca_bundle): %s",
                              http.ca_bundle, strerror(errno));
        goto fail;
    }
    if (!aws->loop || !(aws->http = wc_http_new(&http, aws->loop)))
        goto fail;
    aws->transport = config->transport ? *config->transport : wc_http_transport(aws->http);
    aws->errors = wc_aws_error_decoder_new(); /* NULL: slower, not wrong */
    aws->retry = config->retry;
    if (!aws->retry.max_attempts)
        aws->retry.max_attempts = 5;
    aws->clock = wc_loop_clock(aws->loop);
    /* The credentials are fetched on the same transport, loop and clock as the calls. */
    aws->credentials = wc_credential_chain_new(config->profile, &aws->transport, aws->clock);
    if (!aws->credentials)
        goto fail;
    wc_credential_chain_listen(aws->credentials, on_credentials, aws);
    if (!aws->region && !aws->endpoint_url) {
        /* A custom endpoint does not need a region to be found, only to sign: us-east-1 then. */
        result = wc_error_set(err, WC_ERR_INVALID,
                              "no AWS region: use --region, AWS_REGION, AWS_DEFAULT_REGION or a "
                              "profile's region");
        goto fail;
    }
    if (!aws->region)
        aws->region = strdup("us-east-1");
    if (aws->region &&
        wc_credential_chain_set_sts(aws->credentials, aws->region, aws->endpoint_url) == WC_OK) {
        free(ca_bundle);
        return aws;
    }
fail:
    if (result == WC_ERR_NOMEM)
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    free(ca_bundle);
    wc_aws_free(aws);
    return NULL;
}

static void drop_calls(wc_aws *aws);

void wc_aws_free(wc_aws *aws)
{
    if (!aws)
        return;
    drop_calls(aws);
    for (int i = 0; i < 4; i++)
        wc_endpoint_cleanup(&aws->endpoints[i]);
    wc_credential_chain_free(aws->credentials); /* a fetch under way is cancelled */
    wc_http_free(aws->http);
    if (aws->own_loop)
        wc_loop_free(aws->loop);
    free(aws->region);
    free(aws->endpoint_url);
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
    return wc_http_connections_opened(aws->http);
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
    static const char *const services[] = {"s3", "sqs", "dynamodb", "sns"};
    size_t i = 0;
    while (i < 4 && strcmp(service, services[i]) != 0)
        i++;
    if (i == 4) {
        wc_error_set(err, WC_ERR_INVALID, "unknown AWS service \"%s\"", service);
        return NULL;
    }
    wc_endpoint *ep = &aws->endpoints[i];
    if (!ep->base && wc_endpoint_resolve(service, aws->region, aws->endpoint_url, ep, err) != WC_OK)
        return NULL;
    return ep;
}

/* What an AWS error code says of a call (any other: WC_ERR_IO, the service is not usable now:
 * throttling and 5xx after every retry, a missing resource, a permission, an expired
 * credential). */
static const struct {
    const char *code;
    wc_result result;
} meanings[] = {
    /* "Not there" comes only from the answers that mean it for the object named: a missing
     * bucket, table or queue is an outage of the store or source, never a missing widget. */
    {"NoSuchKey", WC_ERR_NOT_FOUND},
    {"QueueDoesNotExist", WC_ERR_NOT_FOUND},
    {"AWS.SimpleQueueService.NonExistentQueue", WC_ERR_NOT_FOUND},
    /* A lost race: a failed condition (also any 412), or S3's 409 ConditionalRequestConflict
     * (another write of the same key was under way: read again, then write again). */
    {"ConditionalCheckFailedException", WC_ERR_CONFLICT},
    {"ConditionalRequestConflict", WC_ERR_CONFLICT},
    /* The request itself can never succeed (not the service or its set-up). */
    {"ValidationException", WC_ERR_REJECTED}, /* DynamoDB: an item over 400 KB, a bad attribute */
    {"SerializationException", WC_ERR_REJECTED}, /* DynamoDB, SQS */
    {"KeyTooLongError", WC_ERR_REJECTED},        /* S3 */
    {"EntityTooLarge", WC_ERR_REJECTED},         /* S3 */
    {"MetadataTooLarge", WC_ERR_REJECTED},       /* S3 */
    {"InvalidMessageContents", WC_ERR_REJECTED}, /* SQS: characters a message may not hold */
    {"InvalidParameterValue", WC_ERR_REJECTED},  /* SQS */
    {"InvalidAttributeValue", WC_ERR_REJECTED},  /* SQS */
};

static wc_result result_of(const wc_aws_error *e)
{
    for (size_t i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
        if (strcmp(e->code, meanings[i].code) == 0)
            return meanings[i].result;
    return e->status == 412 ? WC_ERR_CONFLICT : WC_ERR_IO;
}

/* One call in flight: our copy of the request, and where it stands. */
typedef struct call {
    wc_aws *aws;
    wc_aws_request req; /* its arrays and strings in the call's own block, after it; its path
                         * not kept (NULL): the URL holds it, encoded */
    /* The URL sent (base, encoded path, '?' and canonical query when there is one), built once
     * in the call's block for every attempt, and the wire forms the signer takes from it: the
     * encoded path (path_len bytes at path) and the canonical query (its tail, or ""). */
    const char *url, *path, *query;
    size_t path_len;
    unsigned attempt;
    wc_timer retry;    /* a retry waiting for its time */
    void *on_wire;     /* the transport's handle while a request is out */
    uint64_t sent_ns;  /* when it went on the wire (for the observer) */
    unsigned wave;     /* aws->wave when it was parked */
    wc_link park_link; /* on aws->parked, while waiting for credentials */
    wc_aws_done done;
    void *ctx;
    void (*forget)(void *ctx); /* frees ctx when the call is cancelled (or NULL) */
    wc_link link;              /* on aws->calls */
} call;

/* Takes a call off the list of those waiting for credentials (harmless when it is not on it). */
static void unpark(wc_aws *aws, call *c)
{
    if (wc_list_linked(&aws->parked, &c->park_link))
        wc_list_remove(&aws->parked, &c->park_link);
}

/* Stops what a call has under way (its retry timer, its request on the wire): it is done. */
static void stop(call *c)
{
    wc_aws *aws = c->aws;
    wc_loop_timer_stop(aws->loop, &c->retry);
    if (c->on_wire)
        aws->transport.ops->cancel(aws->transport.self, c->on_wire);
    aws->in_flight--;
}

/* Takes a call out of the client, to be freed. */
static void detach(call *c)
{
    wc_aws *aws = c->aws;
    wc_list_remove(&aws->calls, &c->link);
    unpark(aws, c);
    stop(c);
}

/* A call dropped (cancelled, or its client freed): its done is never called. */
static void forget_call(call *c)
{
    detach(c);
    if (c->forget)
        c->forget(c->ctx);
    free(c);
}

/* Ends a call: its callback, then it is gone. */
static void finish_call(call *c, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                        const wc_error *err)
{
    detach(c);
    wc_aws_done done = c->done;
    void *ctx = c->ctx;
    free(c);
    done(ctx, result, resp, aerr, err);
}

void wc_aws_cancel(wc_aws *aws, wc_aws_call *handle)
{
    (void)aws; /* the call knows its client */
    if (handle)
        forget_call((call *)handle);
}

void wc_aws_abandon(wc_aws *aws)
{
    wc_aws_error aerr;
    memset(&aerr, 0, sizeof(aerr));
    snprintf(aerr.code, sizeof(aerr.code), "Abandoned");
    wc_error err;
    wc_error_set(&err, WC_ERR_IO, "abandoned at shutdown");
    /* One at a time from the head, the list read anew after each callback: a callback may cancel
     * or end another call, or start one (at the tail: the calls under way now end first). One
     * that starts a call at every end would never let go: at most 16 ends for each call under
     * way now. */
    for (int left = 16 * aws->in_flight; aws->calls.first && left > 0; left--)
        finish_call(WC_LIST_ENTRY(aws->calls.first, call, link), WC_ERR_IO, NULL, &aerr, &err);
    /* Nothing waits for a credential fetch any more: it is not left running on the loop. */
    if (!aws->parked.first)
        wc_credentials_cancel(aws->credentials);
}

/* Calls never finished: their callers are gone with the client. */
static void drop_calls(wc_aws *aws)
{
    while (aws->calls.first)
        forget_call(WC_LIST_ENTRY(aws->calls.first, call, link));
}

/* Parameter i of a request: its query's, then its headers'. */
static const wc_param *param_at(const wc_aws_request *r, size_t i)
{
    return i < r->n_query ? &r->query[i] : &r->headers[i - r->n_query];
}

/* Copies s to *p, moved past it; returns the copy. */
static const char *keep(char **p, const char *s)
{
    size_t n = strlen(s) + 1;
    const char *at = memcpy(*p, s, n);
    *p += n;
    return at;
}

/* Copies a request so that it outlives the caller's stack: the call, the request's arrays and
 * every string of it in one block (freed with the call), and last the URL, whose encoded path
 * and canonical query are built here once for the signer and the wire (and every retry). The
 * path is encoded straight into the block, sized for the worst case (3 bytes a byte): no pass
 * to measure it first. */
static call *call_new(wc_aws *aws, const wc_aws_request *r)
{
    size_t n = r->n_query + r->n_headers, total = r->body_len + 1;
    const char *fixed[3] = {r->service, r->method, r->base};
    for (int i = 0; i < 3; i++)
        total += strlen(fixed[i]) + 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(param_at(r, i)->name) + strlen(param_at(r, i)->value) + 2;
    /* The query's encoded pairs are sorted, so it is built apart, then copied in (owned here). */
    char *query = r->n_query ? wc_sigv4_query(r->query, r->n_query) : NULL;
    size_t base_len = strlen(r->base), query_len = query ? strlen(query) : 0;
    total += base_len + 3 * strlen(r->path) + (query_len ? 1 + query_len : 0) + 1;
    /* malloc, not calloc: the call's fields are zeroed below, and every byte after them is
     * written before it is read (zeroing the rest cost about 470 instructions a DynamoDB call,
     * its item's body, and 250 an S3 call). */
    call *c = r->n_query && !query ? NULL : malloc(sizeof(*c) + n * sizeof(wc_param) + total);
    if (!c)
        goto done;
    memset(c, 0, sizeof(*c));
    wc_param *params = (wc_param *)(c + 1);
    char *p = (char *)(params + n);
    c->req = *r;
    c->req.service = keep(&p, r->service);
    c->req.method = keep(&p, r->method);
    c->req.base = keep(&p, r->base);
    c->req.path = NULL;
    for (size_t i = 0; i < n; i++) {
        params[i].name = keep(&p, param_at(r, i)->name);
        params[i].value = keep(&p, param_at(r, i)->value);
    }
    if (r->body) {
        memcpy(p, r->body, r->body_len);
        p[r->body_len] = '\0';
        c->req.body = p;
        p += r->body_len + 1;
    }
    c->url = p;
    p = (char *)memcpy(p, r->base, base_len) + base_len;
    c->path = p;
    p = wc_uri_encode_to(p, r->path, 1);
    c->path_len = (size_t)(p - c->path);
    if (query_len) {
        *p++ = '?';
        p = (char *)memcpy(p, query, query_len) + query_len;
    }
    *p = '\0';
    c->query = c->path + c->path_len + (query_len ? 1 : 0); /* the NUL ending the URL when none */
    c->req.query = params;
    c->req.headers = params + r->n_query;
    c->aws = aws;
done:
    free(query);
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
        c->wave = aws->wave;
        wc_list_append(&aws->parked, &c->park_link);
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

    /* The path and query as the URL has them, encoded once for every attempt (call_new). */
    wc_sigv4_request sreq = {req->method, NULL, NULL, 0, headers, n, hash};
    wc_sigv4_wire wire = {c->path, c->path_len, c->query};
    wc_sigv4_signer signer = {creds->access_key_id,
                              creds->secret_access_key,
                              aws->region,
                              req->service,
                              now,
                              strcmp(req->service, "s3") != 0,
                              &aws->keys};
    char *auth = wc_sigv4_authorization_wire(&signer, &sreq, &wire);
    if (!auth) {
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else {
        headers[n++] = (wc_param){"Authorization", auth};
        wc_http_request hreq = {.method = req->method,
                                .url = c->url,
                                .headers = headers,
                                .n_headers = n,
                                .body = req->body,
                                .body_len = req->body_len,
                                .timeout_ms = req->timeout_ms,
                                .max_body = req->max_body};
        result = aws->transport.ops->start(aws->transport.self, &hreq, on_http_done, c, &c->on_wire,
                                           err);
        if (result == WC_OK) {
            aws->stats.sent++;
            c->sent_ns = wc_monotonic_ns();
        }
    }
    free(auth);
    free(headers);
    return result;
}

/* Ends a call that got no answer: no credentials came, or it could not be sent again. */
static void fail_unsent(call *c, wc_result result, const wc_error *err)
{
    wc_aws_error aerr;
    memset(&aerr, 0, sizeof(aerr));
    snprintf(aerr.service, sizeof(aerr.service), "%s", c->req.service);
    finish_call(c, result, NULL, &aerr, err);
}

/* A retry whose time has come goes out again (signed anew: the time is part of the signature). */
static void resend(void *ctx)
{
    wc_error err;
    wc_result result = send_call(ctx, &err);
    if (result != WC_OK)
        fail_unsent(ctx, result, &err);
}

/* A credential fetch ended: the calls parked before it go out, or fail with its error. */
static void on_credentials(void *ctx, wc_result result, const wc_error *err)
{
    wc_aws *aws = ctx;
    unsigned wave = ++aws->wave;
    if (err->tls_refused) /* the fetch's endpoint refused: counted as a call's refusal is */
        aws->stats.tls_refusals++;
    if (result == WC_ERR_REJECTED) /* a refresh in the background too */
        note_refusal(aws, err);
    /* One at a time from the head: a callback may cancel a parked call, or park a new one (at
     * the tail, of the new wave: it waits for the next fetch). */
    call *c;
    while ((c = WC_LIST_ENTRY(aws->parked.first, call, park_link)) && c->wave < wave) {
        unpark(aws, c);
        wc_error e;
        wc_result r;
        if (result == WC_OK) {
            r = send_call(c, &e);
        } else {
            e = *err;
            r = credential_failure(aws, result, &e);
        }
        if (r != WC_OK)
            fail_unsent(c, r, &e);
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
    } else {
        snprintf(aerr.service, sizeof(aerr.service), "%s", c->req.service);
        snprintf(aerr.code, sizeof(aerr.code), "%s",
                 resp->tls_refused ? "TLSError" : "NetworkError");
        /* A refused certificate (the endpoint's, or our CA bundle): no retry mends it. */
        if (resp->tls_refused)
            wc_tls_refusal_text(aerr.message, sizeof(aerr.message), c->req.base, resp->ca_bundle,
                                resp->error);
        else
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
    err.tls_refused = tls_refused;
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
        free(c);
        return result;
    }
    aws->in_flight++;
    wc_list_append(&aws->calls, &c->link);
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
