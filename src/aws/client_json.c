/* client_json.c - the AWS JSON 1.0 protocol (SQS, DynamoDB) over a call: POST / with
 * X-Amz-Target, the body written and the answer read with jansson. */
#include "aws/client.h"
#include "aws/client_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    wc_aws_json_done done;
    void *ctx;
    char target[]; /* for the messages */
} json_call;

static void json_done(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                      const wc_error *err)
{
    json_call *j = ctx;
    json_t *answer = NULL;
    wc_error perr = *err;
    if (result == WC_OK && resp->len > 0) {
        json_error_t jerr;
        answer = json_loadb(resp->body, resp->len, 0, &jerr);
        if (!answer)
            result = wc_error_set(&perr, WC_ERR_PARSE, "%s: answer is not JSON: %s", j->target,
                                  jerr.text);
    }
    if (resp)
        wc_http_response_cleanup(resp);
    j->done(j->ctx, result, answer, aerr, &perr);
    json_decref(answer);
    free(j);
}

/* The call of body (taken) with, when name is not NULL, one more member first: name with
 * value_text (see wc_aws_json_start_with). */
static wc_result start_json(wc_aws *aws, const char *service, const char *target, json_t *body,
                            const char *name, const char *value_text, wc_aws_json_done done,
                            void *ctx, wc_aws_call **handle, wc_error *err)
{
    const wc_endpoint *ep = wc_aws_endpoint(aws, service, err);
    char *text =
        body && ep && (!name || json_object_size(body) > 0) ? json_dumps(body, JSON_COMPACT) : NULL;
    long timeout = 0; /* the default */
    json_t *wait = json_object_get(body, "WaitTimeSeconds");
    if (json_is_integer(wait))
        timeout = (long)json_integer_value(wait) * 1000 + 15000; /* a long poll takes its time */
    json_decref(body);
    if (!ep) {
        free(text);
        return WC_ERR_INVALID;
    }
    if (name && text) {
        /* {"name":value_text,  and text after its '{' (text is a non-empty object's, name a key
         * jansson writes as it is: see client.h) */
        size_t len = strlen(name) + strlen(value_text) + strlen(text) + 5;
        char *with = malloc(len);
        if (with)
            snprintf(with, len, "{\"%s\":%s,%s", name, value_text, text + 1);
        free(text);
        text = with;
    }
    size_t n = strlen(target) + 1;
    json_call *j = text ? malloc(sizeof(*j) + n) : NULL;
    wc_result result = j ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (j) {
        j->done = done;
        j->ctx = ctx;
        memcpy(j->target, target, n);
        wc_param headers[] = {{"Content-Type", "application/x-amz-json-1.0"},
                              {"X-Amz-Target", target}};
        wc_aws_request req = {service, "POST", ep->base,     "/", NULL,    0, headers,
                              2,       text,   strlen(text), 0,   timeout, 0};
        result = wc_aws_start_call(aws, &req, json_done, j, free, handle, err);
        if (result != WC_OK)
            free(j);
    }
    free(text);
    return result;
}

wc_result wc_aws_json_start(wc_aws *aws, const char *service, const char *target, json_t *body,
                            wc_aws_json_done done, void *ctx, wc_aws_call **handle, wc_error *err)
{
    return start_json(aws, service, target, body, NULL, NULL, done, ctx, handle, err);
}

wc_result wc_aws_json_start_with(wc_aws *aws, const char *service, const char *target, json_t *body,
                                 const char *name, const char *value_text, wc_aws_json_done done,
                                 void *ctx, wc_error *err)
{
    return start_json(aws, service, target, body, name, value_text, done, ctx, NULL, err);
}
