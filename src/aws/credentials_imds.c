/* credentials_imds.c - EC2 instance metadata, IMDSv2 only: a session token, the role, its
 * credentials. */
#include "aws/credentials.h"
#include "aws/credentials_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An IMDSv2 provider: the HTTP provider (credentials_private.h) and the steps of its fetch. */
typedef enum { IMDS_TOKEN, IMDS_ROLE, IMDS_CREDENTIALS } imds_step;

typedef struct {
    wc_cred_http_provider http; /* the chain's context, the request out, done/ctx */
    imds_step step;
    char base_url[1024];
    char *token; /* the session token of the fetch under way (owned; scrubbed when freed) */
    char role[256];
} imds_provider;

/* IMDSv2, one answer at a time: the token, then the role, then its credentials. */
static void imds_answer(wc_cred_http_provider *h, wc_http_response *resp, wc_result result,
                        wc_error *err)
{
    imds_provider *p = (imds_provider *)h;
    /* A refused certificate (an https endpoint): for good, never "not on EC2". */
    if (result == WC_ERR_REJECTED && wc_cred_http_provider_fail(h, resp, result, err))
        return;
    if (p->step == IMDS_TOKEN) {
        if (result != WC_OK || resp->status != 200) {
            /* Not on EC2 (or metadata is off): no credentials here (the chain asks the next
             * source, or says that there is none: these words are not shown). */
            wc_error_set(err, WC_ERR_NOT_FOUND, "%sno session token", h->what);
            wc_cred_http_provider_finish(h, resp, WC_ERR_NOT_FOUND, NULL, err);
            return;
        }
        p->token = resp->body;
        resp->body = NULL;
        wc_http_response_cleanup(resp);
        p->step = IMDS_ROLE;
        snprintf(h->url, sizeof(h->url), "%s/latest/meta-data/iam/security-credentials/",
                 p->base_url);
    } else if (p->step == IMDS_ROLE) {
        if (result == WC_OK && resp->status != 200)
            result = wc_error_set(err, WC_ERR_IO, "no IAM role (HTTP %ld)", resp->status);
        if (result == WC_OK) {
            snprintf(p->role, sizeof(p->role), "%.*s", (int)strcspn(resp->body, "\r\n"),
                     resp->body);
            if (!p->role[0])
                result = wc_error_set(err, WC_ERR_IO, "no IAM role");
        }
        if (wc_cred_http_provider_fail(h, resp, result, err))
            return;
        wc_http_response_cleanup(resp);
        p->step = IMDS_CREDENTIALS;
        snprintf(h->url, sizeof(h->url), "%s/latest/meta-data/iam/security-credentials/%s",
                 p->base_url, p->role);
    } else {
        if (result == WC_OK && resp->status != 200)
            result = wc_error_set(err, WC_ERR_IO, "credentials of role %s: HTTP %ld", p->role,
                                  resp->status);
        if (wc_cred_http_provider_fail(h, resp, result, err))
            return;
        wc_credentials creds;
        result = wc_credentials_from_json(resp->body, "EC2 IMDSv2", &creds, err);
        wc_cred_http_provider_finish(h, resp, result, &creds, err);
        return;
    }
    /* The next step, with the session token. */
    wc_param tok = {"X-aws-ec2-metadata-token", p->token};
    result = wc_cred_http_provider_send(h, "GET", &tok, 1, NULL, 1000, err);
    wc_cred_http_provider_fail(h, NULL, result, err); /* when it could not be sent */
}

static wc_result imds_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                            wc_error *err)
{
    imds_provider *p = (imds_provider *)self;
    wc_cred_http_provider *h = &p->http;
    const char *disabled = wc_cred_env("AWS_EC2_METADATA_DISABLED");
    if ((disabled && strcasecmp(disabled, "true") == 0) || !h->cx->has_transport)
        return WC_ERR_NOT_FOUND;
    const char *base = wc_cred_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base)
        base = "http://169.254.169.254";
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    snprintf(p->base_url, sizeof(p->base_url), "%.*s", (int)blen, base);
    snprintf(h->url, sizeof(h->url), "%s/latest/api/token", p->base_url);
    p->step = IMDS_TOKEN;
    h->done = done;
    h->ctx = ctx;
    wc_param ttl = {"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
    wc_error ignored;
    if (wc_cred_http_provider_send(h, "PUT", &ttl, 1, "", 1000, &ignored) != WC_OK) {
        self->cancel(self);
        return WC_ERR_NOT_FOUND; /* cannot even ask: no credentials here */
    }
    return WC_OK;
}

/* Drops the fetch under way (also at its end: wc_cred_http_provider_finish) and its token. */
static void imds_cancel(wc_credential_provider *self)
{
    imds_provider *p = (imds_provider *)self;
    wc_cred_http_provider_cancel(self);
    wc_cred_scrub_free(p->token);
    p->token = NULL;
}

wc_credential_provider *wc_credentials_from_imds(const wc_cred_context *cx)
{
    wc_credential_provider *self =
        wc_cred_http_provider_new(sizeof(imds_provider), "EC2 IMDSv2",
                                  "EC2 instance metadata: ", cx, imds_start, imds_answer);
    if (self)
        self->cancel = imds_cancel; /* the shared destroy calls it */
    return self;
}
