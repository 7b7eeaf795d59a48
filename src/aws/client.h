/* client.h - one AWS call: endpoint, credentials, SigV4, the HTTP transport, error decoding and
 * retries, put together. The S3, SQS and DynamoDB modules are thin layers over wc_aws_send.
 *
 * Credentials come from the chain of credentials.h, read on the first call (not at wc_aws_new).
 * The ECS and IMDSv2 fetches go out on the client's own transport and loop, one at a time: a call
 * that finds no valid credentials waits (parked, counted in wc_aws_in_flight) for the fetch under
 * way and is sent when it ends, or ends with its error; while the current ones are valid, a due
 * refresh runs in the background and calls go on with them. */
#ifndef WC_CLIENT_H
#define WC_CLIENT_H

#include <jansson.h>

#include "aws/aws_error.h"
#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/transport.h"
#include "common/loop.h"
#include "aws/retry.h"
#include "common/clock.h"

typedef struct {
    const char *region;       /* NULL: the profile's region */
    const char *profile;      /* NULL: AWS_PROFILE or "default" */
    const char *endpoint_url; /* --endpoint-url, or NULL */
    wc_retry_policy retry;
    wc_http_config http;
    wc_clock *clock; /* for a loop of its own (below); NULL: the system clock. The loop's clock
                      * (this one, or that of the loop given) is the client's: its wall clock
                      * dates signatures and credential expiry. */
    wc_loop *loop;   /* the loop its calls run on; NULL: a loop of its own */
    const wc_transport *transport; /* NULL: libcurl (http.c) on that loop; tests give a fake.
                                    * The credential endpoints are asked on it too. */
} wc_aws_config;

/* What the client has done, for the log and metrics. */
typedef struct {
    unsigned long long sent;         /* requests put on the wire, retries included */
    unsigned long long retries;      /* of those, retries */
    unsigned long long tls_refusals; /* calls, and credential fetches (STS, ECS, IMDS), whose
                                      * endpoint's certificate was refused */
} wc_aws_stats;

typedef struct wc_aws wc_aws;

/* NULL on failure (err says why: no region, a bad endpoint, out of memory). */
wc_aws *wc_aws_new(const wc_aws_config *config, wc_error *err);
/* Calls under way are dropped, their done never called; a credential fetch under way is
 * cancelled. */
void wc_aws_free(wc_aws *aws);

wc_loop *wc_aws_loop(wc_aws *aws);
const wc_aws_stats *wc_aws_get_stats(const wc_aws *aws);
/* Credentials fetched so far (the first time and each refresh). */
unsigned wc_aws_credential_fetches(const wc_aws *aws);
/* Connections (TCP and TLS handshakes) the libcurl transport opened so far. */
unsigned long long wc_aws_connections_opened(const wc_aws *aws);

/* One HTTP call ended (for metrics): its service, operation (the X-Amz-Target's action, or for S3
 * one named from the method: GetObject, PutObject, DeleteObject, HeadObject, ListObjectsV2),
 * HTTP status (0: a network error), whether it was a retry, and how long it took. */
typedef struct {
    const char *service;
    const char *operation;
    int status;
    int retry;
    double ms;
} wc_aws_call_report;
typedef void (*wc_aws_observer)(void *ctx, const wc_aws_call_report *report);
/* Calls fn(ctx, report) at the end of every HTTP call from now on (NULL: none). */
void wc_aws_observe(wc_aws *aws, wc_aws_observer fn, void *ctx);
/* STS refused the credentials for good (wc_credentials_get's WC_ERR_REJECTED: a revoked role, a
 * bad web identity token): calls fail as in an outage (WC_ERR_IO, nothing is a request's fault),
 * and fn(ctx, err) is called once, with STS's words, so that the program can stop. */
void wc_aws_on_refused(wc_aws *aws, void (*fn)(void *ctx, const wc_error *err), void *ctx);
/* That refusal, or NULL. */
const wc_error *wc_aws_refused(const wc_aws *aws);
/* Calls started and not yet done (on the wire or waiting for a retry). */
int wc_aws_in_flight(const wc_aws *aws);

/* The endpoint of a service (resolved once, then kept). */
const wc_endpoint *wc_aws_endpoint(wc_aws *aws, const char *service, wc_error *err);

typedef struct {
    const char *service; /* "s3", "sqs", "dynamodb" */
    const char *method;
    const char *base; /* scheme://host[:port] */
    const char *path; /* decoded; encoded once on the wire and in the signature */
    const wc_param *query;
    size_t n_query;
    const wc_param *headers; /* extra headers, all signed */
    size_t n_headers;
    const char *body;
    size_t body_len;
    int unsigned_payload; /* S3: x-amz-content-sha256: UNSIGNED-PAYLOAD */
    long timeout_ms;      /* 0: the transport's */
    size_t max_body;      /* response body cap; 0: the transport's */
} wc_aws_request;

/* Signs and sends, retrying throttling, 5xx and network failures with backoff, and waits (for
 * the tools: it turns the loop). WC_OK: a 2xx answer in *resp (the caller cleans it up).
 * Otherwise *aerr holds the AWS error and err its text, and the result says what it means:
 *   WC_ERR_NOT_FOUND  the object named is not there (NoSuchKey, QueueDoesNotExist) - never a
 *                     missing bucket or table, which is an outage;
 *   WC_ERR_CONFLICT   a failed condition (412, ConditionalCheckFailedException) or S3's 409
 *                     ConditionalRequestConflict (a concurrent write of the key): a lost race;
 *   WC_ERR_REJECTED   the request itself can never succeed (ValidationException, KeyTooLong, ...);
 *   WC_ERR_TOO_LARGE  an answer over the body cap (not retried);
 *   WC_ERR_IO         the service is not usable now: network, throttling and 5xx after every
 *                     retry, a missing resource, a permission or credential problem.
 * When no credentials can be had, the call ends with the credential fetch's error (WC_ERR_IO:
 * none anywhere, an endpoint that fails; WC_ERR_INVALID: a broken source, an unreadable
 * Expiration) and *aerr has no code. */
wc_result wc_aws_send(wc_aws *aws, const wc_aws_request *req, wc_http_response *resp,
                      wc_aws_error *aerr, wc_error *err);

/* The asynchronous form. done is called exactly once, from the client's loop (never from inside
 * wc_aws_start), with the outcome wc_aws_send would have returned; on WC_OK it owns *resp (clean
 * it up). req is copied. Retries wait on timers that the loop serves, so nothing sleeps. */
typedef void (*wc_aws_done)(void *ctx, wc_result result, wc_http_response *resp,
                            const wc_aws_error *aerr, const wc_error *err);
wc_result wc_aws_start(wc_aws *aws, const wc_aws_request *req, wc_aws_done done, void *ctx,
                       wc_error *err);

/* A call under way, to cancel it (valid until its done is called). */
typedef struct wc_aws_call wc_aws_call;

/* Abandons a call under way (on the wire, waiting to retry, or waiting for credentials): its done
 * is never called (a long poll at a shutdown). A credential fetch under way goes on. */
void wc_aws_cancel(wc_aws *aws, wc_aws_call *call);

/* Ends every call under way at once, each done called with WC_ERR_IO "abandoned at shutdown"
 * (so every layer above frees what it holds): for a shutdown that cannot wait any longer. Calls
 * waiting for credentials included; the credential fetch under way is cancelled too. A done may
 * cancel or start other calls (those it starts are ended too). */
void wc_aws_abandon(wc_aws *aws);

/* A call of an AWS JSON 1.0 protocol (SQS, DynamoDB): POST / with X-Amz-Target = target.
 * Takes body (NULL: out of memory while building it). *out, when out is not NULL, gets the
 * decoded answer (a new reference; NULL when the body is empty). */
wc_result wc_aws_json(wc_aws *aws, const char *service, const char *target, json_t *body,
                      json_t **out, wc_aws_error *aerr, wc_error *err);

/* The asynchronous form: done gets the decoded answer (borrowed: freed when done returns; NULL
 * when the body is empty). *handle, when handle is not NULL, names the call for wc_aws_cancel
 * until done is called. */
typedef void (*wc_aws_json_done)(void *ctx, wc_result result, json_t *answer,
                                 const wc_aws_error *aerr, const wc_error *err);
wc_result wc_aws_json_start(wc_aws *aws, const char *service, const char *target, json_t *body,
                            wc_aws_json_done done, void *ctx, wc_aws_call **handle, wc_error *err);

/* wc_aws_json_start with one more member of body, name (a plain key: letters, digits, ':', '_')
 * with value_text, the compact JSON text of its value as json_dumps wrote it (body must hold at
 * least one member): for a value the caller already wrote out and keeps (DynamoDB's item). */
wc_result wc_aws_json_start_with(wc_aws *aws, const char *service, const char *target, json_t *body,
                                 const char *name, const char *value_text, wc_aws_json_done done,
                                 void *ctx, wc_error *err);

/* The one-line message of a failed check of a resource: `what "name": ` and the AWS error (or,
 * when no AWS answer came, detail's words), e.g.  widget bucket "usu-widgets": NoSuchBucket: … */
wc_result wc_aws_resource_error(wc_error *err, wc_result result, const char *what, const char *name,
                                const wc_aws_error *aerr, const wc_error *detail);

#endif
