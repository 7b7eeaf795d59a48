/* client_blocking.c - the blocking forms of a call (wc_aws_send, wc_aws_json), for the tools:
 * the asynchronous call, and the client's loop turned until its done has come. */
#include "aws/client.h"

#include <string.h>

typedef struct {
    int done;
    wc_result result;
    wc_http_response *resp;
    wc_aws_error *aerr;
    wc_error *err;
} sync_call;

static void sync_done(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                      const wc_error *err)
{
    sync_call *s = ctx;
    s->done = 1;
    s->result = result;
    if (resp)
        *s->resp = *resp;
    *s->aerr = *aerr;
    if (s->err)
        *s->err = *err;
}

wc_result wc_aws_send(wc_aws *aws, const wc_aws_request *req, wc_http_response *resp,
                      wc_aws_error *aerr, wc_error *err)
{
    memset(aerr, 0, sizeof(*aerr));
    memset(resp, 0, sizeof(*resp));
    sync_call s = {0, WC_OK, resp, aerr, err};
    wc_result result = wc_aws_start(aws, req, sync_done, &s, err);
    if (result != WC_OK)
        return result;
    wc_loop_wait(wc_aws_loop(aws), &s.done);
    return s.result;
}

typedef struct {
    int done;
    wc_result result;
    json_t **out;
    wc_aws_error *aerr;
    wc_error *err;
} sync_json;

static void sync_json_done(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                           const wc_error *err)
{
    sync_json *s = ctx;
    s->done = 1;
    s->result = result;
    if (s->out)
        *s->out = json_incref(answer);
    *s->aerr = *aerr;
    if (s->err)
        *s->err = *err;
}

wc_result wc_aws_json(wc_aws *aws, const char *service, const char *target, json_t *body,
                      json_t **out, wc_aws_error *aerr, wc_error *err)
{
    memset(aerr, 0, sizeof(*aerr));
    if (out)
        *out = NULL;
    sync_json s = {0, WC_OK, out, aerr, err};
    wc_result result = wc_aws_json_start(aws, service, target, body, sync_json_done, &s, err);
    if (result != WC_OK)
        return result;
    wc_loop_wait(wc_aws_loop(aws), &s.done);
    return s.result;
}
