/* credentials_http.c - the JSON credentials of the metadata endpoints and credential_process,
 * and the provider the metadata endpoints and STS are made of (credentials_private.h). */
#include "aws/credentials.h"
#include "aws/credentials_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CREDENTIALS_ANSWER 65536 /* body cap of an endpoint's answer */

wc_result wc_cred_from_json_object(const json_t *root, const char *token_key, const char *what,
                                   const char *source, wc_credentials *out, wc_error *err)
{
    const char *id = json_string_value(json_object_get(root, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(root, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(root, token_key));
    json_t *exp = json_object_get(root, "Expiration");
    memset(out, 0, sizeof(*out));
    if (!id || !secret)
        return wc_error_set(err, WC_ERR_INVALID, "%s: the %s has no AccessKeyId/SecretAccessKey",
                            source, what);
    if (exp && !json_is_string(exp)) /* a number or null: not "never expires" either */
        return wc_error_set(err, WC_ERR_INVALID, "%s: Expiration is not a string", source);
    return wc_cred_fill(out, id, secret, token, json_string_value(exp), source, err);
}

wc_result wc_credentials_from_json(const char *body, const char *source, wc_credentials *out,
                                   wc_error *err)
{
    json_t *root = json_loads(body, 0, NULL);
    wc_result result = wc_cred_from_json_object(root, "Token", "answer", source, out, err);
    json_decref(root);
    return result;
}

void wc_cred_http_provider_cancel(wc_credential_provider *self)
{
    wc_cred_http_provider *p = (wc_cred_http_provider *)self;
    if (p->on_wire)
        p->cx->transport.ops->cancel(p->cx->transport.self, p->on_wire);
    p->on_wire = NULL;
    p->done = NULL;
    p->ctx = NULL;
}

void wc_cred_http_provider_finish(wc_cred_http_provider *p, wc_http_response *resp,
                                  wc_result result, wc_credentials *creds, const wc_error *err)
{
    if (resp && resp->body) /* the credentials' text (the transport's growth of it is its own) */
        explicit_bzero(resp->body, resp->len);
    if (resp)
        wc_http_response_cleanup(resp);
    wc_credentials_done done = p->done;
    void *ctx = p->ctx;
    p->base.cancel(&p->base);
    wc_credentials none;
    memset(&none, 0, sizeof(none));
    done(ctx, result, result == WC_OK ? creds : &none, err);
}

int wc_cred_http_provider_fail(wc_cred_http_provider *p, wc_http_response *resp, wc_result result,
                               wc_error *err)
{
    if (result == WC_OK)
        return 0;
    wc_error_prefix(err, "%s", p->what);
    err->code = result == WC_ERR_REJECTED ? result : WC_ERR_IO;
    wc_cred_http_provider_finish(p, resp, err->code, NULL, err);
    return 1;
}

/* WC_OK when an HTTP answer came (of any status); otherwise why not (the answer callback's
 * result, credentials_private.h). */
static wc_result answered(const wc_http_response *resp, const char *method, const char *url,
                          wc_error *err)
{
    if (resp->curl_code != 0 && resp->tls_refused) {
        char text[WC_ERROR_MAX];
        wc_tls_refusal_text(text, sizeof(text), url, resp->ca_bundle, resp->error);
        wc_error_set(err, WC_ERR_REJECTED, "TLSError: %s", text); /* as a call's (client.c) */
        err->tls_refused = 1; /* the fact, for the chain and the client (never the words) */
        return WC_ERR_REJECTED;
    }
    if (resp->too_large)
        return wc_error_set(err, WC_ERR_TOO_LARGE, "%s %s: %s", method, url, resp->error);
    if (resp->curl_code != 0)
        return wc_error_set(err, WC_ERR_IO, "%s %s: %s", method, url, resp->error);
    return WC_OK;
}

static void on_http_answer(void *ctx, wc_http_response *resp)
{
    wc_cred_http_provider *p = ctx;
    p->on_wire = NULL;
    wc_error err;
    wc_error_clear(&err);
    wc_result result = answered(resp, p->method, p->url, &err);
    p->answer(p, resp, result, &err);
}

wc_result wc_cred_http_provider_send(wc_cred_http_provider *p, const char *method,
                                     const wc_param *headers, size_t n_headers, const char *body,
                                     long timeout_ms, wc_error *err)
{
    /* secret: the answer (and IMDSv2's session token) is scrubbed by finish or its provider */
    wc_http_request req = {.method = method,
                           .url = p->url,
                           .headers = headers,
                           .n_headers = n_headers,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .timeout_ms = timeout_ms,
                           .max_body = MAX_CREDENTIALS_ANSWER,
                           .secret = 1};
    p->method = method;
    const wc_transport *t = &p->cx->transport;
    return t->ops->start(t->self, &req, on_http_answer, p, &p->on_wire, err);
}

static void http_provider_destroy(wc_credential_provider *self)
{
    self->cancel(self);
    free(self);
}

wc_credential_provider *wc_cred_http_provider_new(
    size_t size, const char *name, const char *what, const wc_cred_context *cx,
    wc_result (*start)(wc_credential_provider *, wc_credentials_done, void *, wc_error *),
    void (*answer)(wc_cred_http_provider *, wc_http_response *, wc_result, wc_error *))
{
    wc_cred_http_provider *p = calloc(1, size);
    if (!p)
        return NULL;
    p->base = (wc_credential_provider){name, NULL, start, wc_cred_http_provider_cancel,
                                       http_provider_destroy};
    p->answer = answer;
    snprintf(p->what, sizeof(p->what), "%s", what);
    p->cx = cx;
    return &p->base;
}
