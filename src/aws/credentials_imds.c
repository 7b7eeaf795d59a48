/* credentials_imds.c - EC2 instance metadata, IMDSv2 only: a session token, the role, its
 * credentials. */
#include "aws/credentials.h"
#include "aws/credentials_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* IMDSv2, one answer at a time: the token, then the role, then its credentials. */
static void imds_answer(wc_cred_http_provider *p, wc_http_response *resp, wc_result result,
                        wc_error *err)
{
    /* A refused certificate (an https endpoint): for good, never "not on EC2". */
    if (result == WC_ERR_REJECTED && wc_cred_http_provider_fail(p, resp, result, err))
        return;
    if (p->step == IMDS_TOKEN) {
        if (result != WC_OK || resp->status != 200) {
            /* Not on EC2 (or metadata is off): no credentials here (the chain asks the next
             * source, or says that there is none: these words are not shown). */
            wc_error_set(err, WC_ERR_NOT_FOUND, "%sno session token", p->what);
            wc_cred_http_provider_finish(p, resp, WC_ERR_NOT_FOUND, NULL, err);
            return;
        }
        p->token = resp->body;
        resp->body = NULL;
        wc_http_response_cleanup(resp);
        p->step = IMDS_ROLE;
        snprintf(p->url, sizeof(p->url), "%s/latest/meta-data/iam/security-credentials/",
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
        if (wc_cred_http_provider_fail(p, resp, result, err))
            return;
        wc_http_response_cleanup(resp);
        p->step = IMDS_CREDENTIALS;
        snprintf(p->url, sizeof(p->url), "%s/latest/meta-data/iam/security-credentials/%s",
                 p->base_url, p->role);
    } else {
        if (result == WC_OK && resp->status != 200)
            result = wc_error_set(err, WC_ERR_IO, "credentials of role %s: HTTP %ld", p->role,
                                  resp->status);
        if (wc_cred_http_provider_fail(p, resp, result, err))
            return;
        wc_credentials creds;
        result = wc_credentials_from_json(resp->body, "EC2 IMDSv2", &creds, err);
        wc_cred_http_provider_finish(p, resp, result, &creds, err);
        return;
    }
    /* The next step, with the session token. */
    wc_param tok = {"X-aws-ec2-metadata-token", p->token};
    result = wc_cred_http_provider_send(p, "GET", &tok, 1, NULL, 1000, err);
    wc_cred_http_provider_fail(p, NULL, result, err); /* when it could not be sent */
}

static wc_result imds_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                            wc_error *err)
{
    wc_cred_http_provider *p = (wc_cred_http_provider *)self;
    const char *disabled = wc_cred_env("AWS_EC2_METADATA_DISABLED");
    if ((disabled && strcasecmp(disabled, "true") == 0) || !p->cx->has_transport)
        return WC_ERR_NOT_FOUND;
    const char *base = wc_cred_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base)
        base = "http://169.254.169.254";
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    snprintf(p->base_url, sizeof(p->base_url), "%.*s", (int)blen, base);
    snprintf(p->url, sizeof(p->url), "%s/latest/api/token", p->base_url);
    p->step = IMDS_TOKEN;
    p->done = done;
    p->ctx = ctx;
    wc_param ttl = {"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
    wc_error ignored;
    if (wc_cred_http_provider_send(p, "PUT", &ttl, 1, "", 1000, &ignored) != WC_OK) {
        wc_cred_http_provider_cancel(self);
        return WC_ERR_NOT_FOUND; /* cannot even ask: no credentials here */
    }
    return WC_OK;
}
wc_credential_provider *wc_credentials_from_imds(const wc_cred_context *cx)
{
    return wc_cred_http_provider_new(sizeof(wc_cred_http_provider), "EC2 IMDSv2",
                                     "EC2 instance metadata: ", cx, imds_start, imds_answer);
}
