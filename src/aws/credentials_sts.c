/* credentials_sts.c - credentials from STS: AssumeRole (signed with a source's credentials) and
 * AssumeRoleWithWebIdentity (unsigned; the token read from its file at every fetch). Query
 * protocol: a form-encoded POST to the STS endpoint, an XML answer read with expat. Each fetch
 * runs on the chain's transport and loop: the source's credentials first (at once or
 * asynchronously), then one STS call. */
#include "aws/credentials_private.h"

#include <expat.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/endpoint.h"
#include "common/buf.h"

#define MAX_TOKEN_FILE 65536
#define STS_TIMEOUT_MS 10000
/* The form of a call: the web token encoded (at most three bytes a byte) and short fields. */
#define MAX_STS_REQUEST (4 * MAX_TOKEN_FILE)
#define STS_FIELD_MAX   8192 /* a session token is a few hundred to a few thousand bytes */

/* --- the XML answer --- */

enum { F_ID, F_SECRET, F_TOKEN, F_EXPIRATION, F_CODE, F_MESSAGE, F_N };

typedef struct {
    char fields[F_N][STS_FIELD_MAX]; /* secrets: cleansed when dropped */
    size_t len[F_N];
    int target; /* the field the current element fills, or -1 (set as each one starts) */
    int in_credentials, in_error;
    int overflow;
} sts_xml;

/* The elements read: those of Credentials, then those of Error (in the order of F_*). */
static const char *const field_names[F_N] = {
    "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Code", "Message"};

static void XMLCALL xml_start(void *p, const XML_Char *name, const XML_Char **attrs)
{
    sts_xml *x = p;
    (void)attrs;
    x->target = -1;
    if (strcmp(name, "Credentials") == 0)
        x->in_credentials = 1;
    else if (strcmp(name, "Error") == 0)
        x->in_error = 1;
    for (int i = 0; i < F_N; i++)
        if ((i < F_CODE ? x->in_credentials : x->in_error) && strcmp(name, field_names[i]) == 0)
            x->target = i;
}

static void XMLCALL xml_end(void *p, const XML_Char *name)
{
    sts_xml *x = p;
    x->target = -1;
    if (strcmp(name, "Credentials") == 0)
        x->in_credentials = 0;
    else if (strcmp(name, "Error") == 0)
        x->in_error = 0;
}

static void XMLCALL sts_text(void *p, const XML_Char *s, int len)
{
    sts_xml *x = p;
    if (x->target < 0)
        return;
    size_t have = x->len[x->target];
    if (have + (size_t)len >= STS_FIELD_MAX) {
        x->overflow = 1;
        return;
    }
    memcpy(x->fields[x->target] + have, s, (size_t)len);
    x->len[x->target] = have + (size_t)len;
    x->fields[x->target][have + (size_t)len] = '\0';
}

wc_result wc_credentials_from_sts_xml(const char *body, size_t len, const char *source,
                                      wc_credentials *out, char *code, size_t code_size,
                                      wc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (code && code_size)
        code[0] = '\0';
    sts_xml *x = calloc(1, sizeof(*x));
    wc_result result = x ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    XML_Parser parser = result == WC_OK ? XML_ParserCreate("UTF-8") : NULL;
    if (result == WC_OK && !parser)
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK) {
        XML_SetUserData(parser, x);
        XML_SetElementHandler(parser, xml_start, xml_end);
        XML_SetCharacterDataHandler(parser, sts_text);
        if (XML_Parse(parser, body, (int)len, 1) == XML_STATUS_ERROR)
            result = wc_error_set(err, WC_ERR_INVALID, "%s: STS's answer is not XML (%s)", source,
                                  XML_ErrorString(XML_GetErrorCode(parser)));
        else if (x->overflow)
            result =
                wc_error_set(err, WC_ERR_TOO_LARGE, "%s: a field of STS's answer passes %d bytes",
                             source, STS_FIELD_MAX);
        else if (x->len[F_CODE]) {
            result = wc_error_set(err, WC_ERR_IO, "%s: STS says %s: %.300s", source,
                                  x->fields[F_CODE], x->fields[F_MESSAGE]);
            if (code && code_size)
                snprintf(code, code_size, "%s", x->fields[F_CODE]);
        } else if (!x->len[F_ID] || !x->len[F_SECRET] || !x->len[F_TOKEN] || !x->len[F_EXPIRATION])
            result = wc_error_set(err, WC_ERR_INVALID,
                                  "%s: STS's answer lacks AccessKeyId, SecretAccessKey, "
                                  "SessionToken or Expiration",
                                  source);
        else
            result = wc_cred_fill(out, x->fields[F_ID], x->fields[F_SECRET], x->fields[F_TOKEN],
                                  x->fields[F_EXPIRATION], source, err);
    }
    if (parser)
        XML_ParserFree(parser);
    if (x)
        OPENSSL_cleanse(x, sizeof(*x));
    free(x);
    return result;
}

/* --- the provider --- */

typedef struct {
    wc_cred_http_provider http; /* the STS call: the chain's context, the request out, done/ctx */
    char source_name[64];
    int web_identity;
    int from_env; /* web identity from AWS_WEB_IDENTITY_TOKEN_FILE etc., read at each fetch */
    char *role_arn, *session_name, *external_id, *token_file;
    long duration_seconds;
    /* AssumeRole: whose credentials sign it, source (owned) or else keys */
    wc_credential_provider *source;
    wc_credentials keys;
    int source_fetching;
} sts_provider;

static wc_result no_source(const sts_provider *p, wc_error *err)
{
    return wc_error_set(err, WC_ERR_INVALID, "%s: its source has no credentials", p->source_name);
}

/* Whether STS's error code (the Code of its ErrorResponse, "" when it sent none) refuses these
 * credentials for good (a bad or expired token, a role that may not be assumed, a malformed
 * request): asking again will not help. Throttling, STS's own failures (5xx),
 * IDPCommunicationError and codes not known here are an outage: tried again. */
static int sts_refusal(long status, const char *code)
{
    static const char *const codes[] = {"AccessDenied",
                                        "AccessDeniedException",
                                        "InvalidIdentityToken",
                                        "ExpiredToken",
                                        "ExpiredTokenException",
                                        "IDPRejectedClaim",
                                        "InvalidClientTokenId",
                                        "UnrecognizedClientException",
                                        "SignatureDoesNotMatch",
                                        "IncompleteSignature",
                                        "MalformedPolicyDocument",
                                        "PackedPolicyTooLarge",
                                        "RegionDisabledException",
                                        "ValidationError",
                                        "InvalidParameterValue",
                                        "InvalidParameterCombination",
                                        "MissingParameter",
                                        "InvalidAction",
                                        "OptInRequired"};
    if (status < 400 || status > 499 || status == 429 || !code[0])
        return 0;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(code, codes[i]) == 0)
            return 1;
    return 0;
}

static void sts_answer(wc_cred_http_provider *h, wc_http_response *resp, wc_result result,
                       wc_error *err)
{
    sts_provider *p = (sts_provider *)h;
    if (wc_cred_http_provider_fail(h, resp, result, err)) /* a refused certificate: for good */
        return;
    wc_credentials creds;
    char code[WC_STS_CODE_MAX]; /* STS's error Code: "" when it sent no ErrorResponse */
    result = wc_credentials_from_sts_xml(resp->body, resp->len, p->source_name, &creds, code,
                                         sizeof(code), err);
    if (resp->status != 200) {
        /* STS's own error ("STS says Code: Message") when it gave one. */
        wc_credentials_cleanup(&creds);
        if (!code[0])
            wc_error_set(err, WC_ERR_IO, "%s: STS answered HTTP %ld", p->source_name, resp->status);
        else
            wc_error_prefix(err, "HTTP %ld: ", resp->status);
        result = sts_refusal(resp->status, code) ? WC_ERR_REJECTED : WC_ERR_IO;
    } else if (result != WC_OK) {
        result = WC_ERR_IO; /* the chain reports it; a refresh is tried again */
    }
    wc_cred_http_provider_finish(h, resp, result, &creds, err);
}

/* Appends "&name=value" (value form-encoded) to the body; nothing when value is NULL. WC_OK, or
 * the body's error. */
static wc_result form_add(wc_buf *body, const char *name, const char *value)
{
    if (!value)
        return body->error;
    char *enc = wc_uri_encode(value, 0);
    wc_result result = enc ? wc_buf_printf(body, "&%s=%s", name, enc) : WC_ERR_NOMEM;
    wc_cred_scrub_free(enc);
    return result;
}

static wc_result sts_url(sts_provider *p, wc_error *err)
{
    const char *region = p->http.cx->region ? p->http.cx->region : "us-east-1";
    const char *override = wc_cred_env("AWS_ENDPOINT_URL_STS");
    if (!override)
        override = p->http.cx->endpoint_url;
    wc_endpoint e;
    wc_result result = wc_endpoint_resolve("sts", region, override, &e, err);
    if (result != WC_OK)
        return result;
    snprintf(p->http.url, sizeof(p->http.url), "%s/", e.base);
    wc_endpoint_cleanup(&e);
    return WC_OK;
}

/* Sends the STS call; signed with src when it is not NULL (AssumeRole). */
static wc_result sts_send(sts_provider *p, const wc_credentials *src, const char *web_token,
                          wc_error *err)
{
    wc_result result = sts_url(p, err);
    if (result != WC_OK)
        return result;
    char session[64];
    if (p->session_name)
        snprintf(session, sizeof(session), "%s", p->session_name);
    else
        snprintf(session, sizeof(session), "widget-consumer-%lld",
                 (long long)wc_clock_epoch_s(p->http.cx->clock));
    char duration[24];
    snprintf(duration, sizeof(duration), "%ld", p->duration_seconds);
    wc_buf form;
    wc_buf_init_secret(&form, MAX_STS_REQUEST); /* the web token */
    wc_buf_addstr(&form, web_token ? "Action=AssumeRoleWithWebIdentity" : "Action=AssumeRole");
    form_add(&form, "Version", "2011-06-15");
    form_add(&form, "RoleArn", p->role_arn);
    form_add(&form, "RoleSessionName", session);
    form_add(&form, "ExternalId", p->external_id);
    form_add(&form, "DurationSeconds", p->duration_seconds ? duration : NULL);
    /* Every add after a failure returns the same error: one check. */
    int ok = form_add(&form, "WebIdentityToken", web_token) == WC_OK;
    char *body = wc_buf_take(&form, NULL); /* holds the web token: scrubbed below */
    ok = ok && body;
    const char *ctype = "application/x-www-form-urlencoded; charset=utf-8";
    char *auth = NULL, date[17], host[512];
    /* Host is signed but not sent (libcurl sends it); the date and after only when signed */
    wc_param headers[5] = {{"Host", host}, {"Content-Type", ctype}, {"X-Amz-Date", date}};
    size_t n = 2;
    if (ok && src) {
        const char *h = strstr(p->http.url, "://") + 3;
        snprintf(host, sizeof(host), "%.*s", (int)strcspn(h, "/"), h);
        time_t now = wc_clock_epoch_s(p->http.cx->clock);
        char hash[65];
        wc_sigv4_amz_date(now, date);
        wc_sha256_hex(body, strlen(body), hash);
        n = 3;
        if (src->session_token)
            headers[n++] = (wc_param){"X-Amz-Security-Token", src->session_token};
        wc_sigv4_request sreq = {"POST", "/", NULL, 0, headers, n, hash};
        wc_sigv4_signer signer = {src->access_key_id,
                                  src->secret_access_key,
                                  p->http.cx->region ? p->http.cx->region : "us-east-1",
                                  "sts",
                                  now,
                                  1,
                                  NULL};
        auth = wc_sigv4_authorization(&signer, &sreq);
        ok = auth != NULL;
        headers[n++] = (wc_param){"Authorization", auth};
    }
    if (ok)
        result = wc_cred_http_provider_send(&p->http, "POST", headers + 1, n - 1, body,
                                            STS_TIMEOUT_MS, err);
    else
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_cred_scrub_free(body);
    free(auth);
    return result;
}

/* The source's credentials came (asynchronously): the STS call goes out. */
static void on_source(void *ctx, wc_result result, wc_credentials *creds, const wc_error *serr)
{
    sts_provider *p = ctx;
    p->source_fetching = 0;
    wc_error err;
    wc_error_clear(&err);
    if (result == WC_OK) {
        result = sts_send(p, creds, NULL, &err);
        wc_credentials_cleanup(creds);
    } else if (result == WC_ERR_NOT_FOUND) {
        result = no_source(p, &err);
    } else {
        err = *serr;
        wc_error_prefix(&err, "%s: source: ", p->source_name);
    }
    if (result != WC_OK)
        wc_cred_http_provider_finish(
            &p->http, NULL,
            result == WC_ERR_INVALID || result == WC_ERR_REJECTED ? result : WC_ERR_IO, NULL, &err);
}

/* Web identity: the variables (from the environment, at each fetch) and the token file. */
static wc_result web_identity_token(sts_provider *p, char **token, wc_error *err)
{
    if (p->from_env) {
        const char *file = wc_cred_env("AWS_WEB_IDENTITY_TOKEN_FILE");
        const char *role = wc_cred_env("AWS_ROLE_ARN");
        if (!file && !role)
            return WC_ERR_NOT_FOUND;
        if (!file || !role)
            return wc_error_set(err, WC_ERR_INVALID, "%s is set but %s is not",
                                file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
                                file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE");
        free(p->role_arn);
        free(p->token_file);
        free(p->session_name);
        if (wc_cred_dup(&p->role_arn, role) + wc_cred_dup(&p->token_file, file) +
            wc_cred_dup(&p->session_name, wc_cred_env("AWS_ROLE_SESSION_NAME")))
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (!p->http.cx->has_transport)
        return wc_error_set(err, WC_ERR_INVALID, "%s: no HTTP transport to ask STS with",
                            p->source_name);
    if (wc_cred_read_token(p->token_file, MAX_TOKEN_FILE, "\r\n ", token, err) != WC_OK) {
        wc_error_prefix(err, "%s: token file %s: ", p->source_name, p->token_file);
        return WC_ERR_INVALID;
    }
    if (!**token) {
        wc_cred_scrub_free(*token);
        *token = NULL;
        return wc_error_set(err, WC_ERR_INVALID, "%s: token file %s is empty", p->source_name,
                            p->token_file);
    }
    return WC_OK;
}

static wc_result sts_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                           wc_error *err)
{
    sts_provider *p = (sts_provider *)self;
    wc_result result;
    p->http.done = done;
    p->http.ctx = ctx;
    if (p->web_identity) {
        char *token = NULL;
        result = web_identity_token(p, &token, err);
        if (result == WC_OK)
            result = sts_send(p, NULL, token, err);
        wc_cred_scrub_free(token);
    } else if (!p->source) {
        result = sts_send(p, &p->keys, NULL, err);
    } else if (p->source->fetch) { /* the environment: read at once */
        wc_credentials src;
        result = p->source->fetch(p->source, &src, err);
        if (result == WC_OK) {
            result = sts_send(p, &src, NULL, err);
            wc_credentials_cleanup(&src);
        }
    } else {
        result = p->source->start(p->source, on_source, p, err);
        p->source_fetching = result == WC_OK;
    }
    if (result == WC_ERR_NOT_FOUND && !p->web_identity)
        result = no_source(p, err);
    if (result != WC_OK)
        wc_cred_http_provider_cancel(self);
    return result;
}

static void sts_cancel(wc_credential_provider *self)
{
    sts_provider *p = (sts_provider *)self;
    wc_cred_http_provider_cancel(self);
    if (p->source_fetching && p->source->cancel)
        p->source->cancel(p->source);
    p->source_fetching = 0;
}

static void sts_destroy(wc_credential_provider *self)
{
    sts_provider *p = (sts_provider *)self;
    sts_cancel(self);
    if (p->source)
        p->source->destroy(p->source);
    wc_credentials_cleanup(&p->keys);
    free(p->role_arn);
    free(p->session_name);
    free(p->external_id);
    free(p->token_file);
    free(p);
}

wc_credential_provider *wc_credentials_sts_new(const wc_cred_context *cx, const char *source_name,
                                               const wc_role_config *role,
                                               wc_credential_provider *source,
                                               const wc_credentials *keys)
{
    char what[80];
    snprintf(what, sizeof(what), "%s: ", source_name);
    sts_provider *p = (sts_provider *)wc_cred_http_provider_new(sizeof(sts_provider), "STS", what,
                                                                cx, sts_start, sts_answer);
    if (!p) {
        if (source)
            source->destroy(source);
        return NULL;
    }
    p->http.base.cancel = sts_cancel;
    p->http.base.destroy = sts_destroy;
    p->source = source;
    snprintf(p->source_name, sizeof(p->source_name), "%s", source_name);
    p->from_env = !role;
    p->web_identity = !role || role->token_file;
    if (role) {
        p->duration_seconds = role->duration_seconds;
        if (wc_cred_dup(&p->role_arn, role->role_arn) +
                wc_cred_dup(&p->session_name, role->session_name) +
                wc_cred_dup(&p->external_id, role->external_id) +
                wc_cred_dup(&p->token_file, role->token_file) ||
            (!p->web_identity && !source &&
             wc_cred_fill(&p->keys, keys->access_key_id, keys->secret_access_key,
                          keys->session_token, NULL, keys->source, NULL) != WC_OK)) {
            sts_destroy(&p->http.base);
            return NULL;
        }
    }
    return &p->http.base;
}
