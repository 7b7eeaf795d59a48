/* client_blocking.c - the blocking forms of a call (wc_aws_send, wc_aws_json), for the tools:
 * the asynchronous call, and the client's loop turned until its done has come. */
#include "aws/client.h"

#include <string.h>

/* A call waited for, and where its outcome goes. */
typedef struct {
    int done;
    wc_result result;
    wc_http_response *resp; /* wc_aws_send's */
    json_t **out;           /* wc_aws_json's (NULL: not wanted) */
    wc_aws_error *aerr;
    wc_error *err;
} sync_call;

static void settle(sync_call *s, wc_result result, const wc_aws_error *aerr, const wc_error *err)
{
    s->done = 1;
    s->result = result;
    *s->aerr = *aerr;
    if (s->err)
        *s->err = *err;
}

static void sync_done(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                      const wc_error *err)
{
    sync_call *s = ctx;
    if (resp)
        *s->resp = *resp;
    settle(s, result, aerr, err);
}

static void sync_json_done(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                           const wc_error *err)
{
    sync_call *s = ctx;
    if (s->out)
        *s->out = json_incref(answer);
    settle(s, result, aerr, err);
}

/* The outcome of a call started (started: what its start returned). */
static wc_result wait_for(wc_aws *aws, wc_result started, sync_call *s)
{
    if (started != WC_OK)
        return started;
    wc_loop_wait(wc_aws_loop(aws), &s->done);
    return s->result;
}

wc_result wc_aws_send(wc_aws *aws, const wc_aws_request *req, wc_http_response *resp,
                      wc_aws_error *aerr, wc_error *err)
{
    memset(aerr, 0, sizeof(*aerr));
    memset(resp, 0, sizeof(*resp));
    sync_call s = {0, WC_OK, resp, NULL, aerr, err};
    return wait_for(aws, wc_aws_start(aws, req, sync_done, &s, err), &s);
}

wc_result wc_aws_json(wc_aws *aws, const char *service, const char *target, json_t *body,
                      json_t **out, wc_aws_error *aerr, wc_error *err)
{
    memset(aerr, 0, sizeof(*aerr));
    if (out)
        *out = NULL;
    sync_call s = {0, WC_OK, NULL, out, aerr, err};
    return wait_for(
        aws, wc_aws_json_start(aws, service, target, body, sync_json_done, &s, NULL, err), &s);
}
