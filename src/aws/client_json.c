/* client_json.c - the AWS JSON 1.0 protocol (SQS, DynamoDB) over a call: POST / with
 * X-Amz-Target, the body written and the answer read with jansson. */
#include "aws/client.h"
#include "aws/client_private.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    wc_aws_json_done done;
    void *ctx;
    char *target;
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
    free(j->target);
    free(j);
}

static void json_forget(void *ctx)
{
    json_call *j = ctx;
    free(j->target);
    free(j);
}

wc_result wc_aws_json_start(wc_aws *aws, const char *service, const char *target, json_t *body,
                            wc_aws_json_done done, void *ctx, wc_error *err)
{
    return wc_aws_json_start_h(aws, service, target, body, done, ctx, NULL, err);
}

/* The call of a body's text (ours; timeout 0: the default). */
static wc_result start_text(wc_aws *aws, const char *service, const wc_endpoint *ep,
                            const char *target, char *text, long timeout, wc_aws_json_done done,
                            void *ctx, wc_aws_call **handle, wc_error *err)
{
    json_call *j = text ? calloc(1, sizeof(*j)) : NULL;
    if (j)
        j->target = strdup(target);
    if (!j || !j->target) {
        free(text);
        if (j)
            free(j);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    j->done = done;
    j->ctx = ctx;
    wc_param headers[] = {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", target}};
    wc_aws_request req = {service, "POST", ep->base,     "/", NULL,    0, headers,
                          2,       text,   strlen(text), 0,   timeout, 0};
    wc_result result = wc_aws_start_call(aws, &req, json_done, j, json_forget, handle, err);
    free(text);
    if (result != WC_OK) {
        free(j->target);
        free(j);
    }
    return result;
}

wc_result wc_aws_json_start_h(wc_aws *aws, const char *service, const char *target, json_t *body,
                              wc_aws_json_done done, void *ctx, wc_aws_call **handle, wc_error *err)
{
    const wc_endpoint *ep = wc_aws_endpoint(aws, service, err);
    char *text = body && ep ? json_dumps(body, JSON_COMPACT) : NULL;
    long timeout = 0;
    json_t *wait = json_object_get(body, "WaitTimeSeconds");
    if (json_is_integer(wait))
        timeout = (long)json_integer_value(wait) * 1000 + 15000; /* a long poll takes its time */
    json_decref(body);
    if (!ep)
        return WC_ERR_INVALID;
    return start_text(aws, service, ep, target, text, timeout, done, ctx, handle, err);
}

wc_result wc_aws_json_start_with(wc_aws *aws, const char *service, const char *target, json_t *body,
                                 const char *name, const char *value_text, wc_aws_json_done done,
                                 void *ctx, wc_error *err)
{
    const wc_endpoint *ep = wc_aws_endpoint(aws, service, err);
    char *rest = body && ep && json_object_size(body) > 0 ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!ep) {
        free(rest);
        return WC_ERR_INVALID;
    }
    /* {"name":value_text,  and rest after its '{' (rest is a non-empty object's text, name a key
     * jansson writes as it is: see client.h) */
    size_t ln = strlen(name), lv = strlen(value_text), lr = rest ? strlen(rest) : 0;
    char *text = rest ? malloc(ln + lv + lr + 5) : NULL;
    if (text) {
        char *p = text;
        *p++ = '{';
        *p++ = '"';
        memcpy(p, name, ln);
        p += ln;
        *p++ = '"';
        *p++ = ':';
        memcpy(p, value_text, lv);
        p += lv;
        *p++ = ',';
        memcpy(p, rest + 1, lr); /* with its '\0' */
    }
    free(rest);
    return start_text(aws, service, ep, target, text, 0, done, ctx, NULL, err);
}
