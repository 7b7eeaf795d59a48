/* credentials_http.c - the JSON credentials of the metadata endpoints, and the provider both
 * endpoints are made of (credentials_http.h). */
#include "aws/credentials_http.h"

#include "aws/credentials.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CREDENTIALS_ANSWER 65536 /* body cap of a metadata endpoint's answer */

/* Endpoints that answer with JSON credentials, asked on the caller's transport: each
 * fetch is a small state machine driven by the transport's callbacks (ECS: one GET; IMDSv2: PUT
 * a session token, GET the role, GET its credentials). */

wc_result wc_credentials_from_json(const char *body, const char *source, wc_credentials *out,
                                   wc_error *err)
{
    json_t *root = json_loads(body, 0, NULL);
    const char *id = json_string_value(json_object_get(root, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(root, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(root, "Token"));
    json_t *exp = json_object_get(root, "Expiration");
    const char *expiration = json_string_value(exp);
    wc_result result;
    if (!id || !secret)
        result = wc_error_set(err, WC_ERR_INVALID,
                              "%s: the answer has no AccessKeyId/SecretAccessKey", source);
    else if (exp && !expiration) /* a number or null: not "never expires" either */
        result = wc_error_set(err, WC_ERR_INVALID, "%s: Expiration is not a string", source);
    else
        result = wc_cred_fill(out, id, secret, token, source, err);
    if (result == WC_OK && expiration && wc_parse_iso8601(expiration, &out->expiration) != WC_OK) {
        /* Not "never expires": credentials whose end is unknown are not used. */
        wc_credentials_cleanup(out);
        result =
            wc_error_set(err, WC_ERR_INVALID, "%s: Expiration \"%.64s\" is not an ISO 8601 time",
                         source, expiration);
    }
    json_decref(root);
    return result;
}

void wc_cred_http_provider_reset(wc_cred_http_provider *p)
{
    if (p->on_wire)
        p->transport.ops->cancel(p->transport.self, p->on_wire);
    p->on_wire = NULL;
    p->done = NULL;
    p->ctx = NULL;
    wc_cred_scrub_free(p->token);
    p->token = NULL;
}

/* Ends the fetch under way: done is called last (it may start another one). */
void wc_cred_http_provider_finish(wc_cred_http_provider *p, wc_result result, wc_credentials *creds,
                                  const wc_error *err)
{
    wc_credentials_done done = p->done;
    void *ctx = p->ctx;
    wc_cred_http_provider_reset(p);
    wc_credentials none;
    memset(&none, 0, sizeof(none));
    done(ctx, result, result == WC_OK ? creds : &none, err);
}

static void on_http_answer(void *ctx, wc_http_response *resp);

/* Sends one request of the fetch; req is copied by the transport. */
wc_result wc_cred_http_provider_send(wc_cred_http_provider *p, const char *method,
                                     const wc_param *headers, size_t n_headers, const char *body,
                                     long timeout_ms, wc_error *err)
{
    wc_http_request req = {method, p->url, headers,    n_headers,
                           body,   0,      timeout_ms, MAX_CREDENTIALS_ANSWER};
    return p->transport.ops->start(p->transport.self, &req, on_http_answer, p, &p->on_wire, err);
}

/* How a refused certificate's words begin (wc_cred_http_answered), after what fetched. */
#define TLS_REFUSAL "TLSError: "

int wc_cred_http_tls_refusal(const wc_error *err)
{
    return strstr(err->msg, TLS_REFUSAL) != NULL;
}

/* WC_OK when an HTTP answer came (of any status); otherwise why not (credentials_http.h). */
wc_result wc_cred_http_answered(const wc_http_response *resp, const char *method, const char *url,
                                wc_error *err)
{
    if (resp->curl_code != 0 && resp->tls_refused) {
        char text[WC_ERROR_MAX];
        wc_tls_refusal_text(text, sizeof(text), url, resp->ca_bundle, resp->error);
        return wc_error_set(err, WC_ERR_REJECTED, "%s%s", TLS_REFUSAL, text);
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
    p->answer(p, resp);
}

static void wc_cred_http_provider_cancel(wc_credential_provider *self)
{
    wc_cred_http_provider_reset((wc_cred_http_provider *)self);
}

static void wc_cred_http_provider_destroy(wc_credential_provider *self)
{
    wc_cred_http_provider_reset((wc_cred_http_provider *)self);
    free(self);
}

wc_credential_provider *wc_cred_http_provider_new(
    const char *name, const wc_transport *transport,
    wc_result (*start)(wc_credential_provider *, wc_credentials_done, void *, wc_error *),
    void (*answer)(wc_cred_http_provider *, wc_http_response *))
{
    wc_cred_http_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base.name = name;
    p->base.start = start;
    p->answer = answer;
    p->base.cancel = wc_cred_http_provider_cancel;
    p->base.destroy = wc_cred_http_provider_destroy;
    if (transport) {
        p->transport = *transport;
        p->has_transport = 1;
    }
    return &p->base;
}
