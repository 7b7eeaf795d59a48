/* credentials_ecs.c - the ECS/EKS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 * _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE); one GET. */
#include "aws/credentials.h"
#include "aws/credentials_private.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void ecs_answer(wc_cred_http_provider *p, wc_http_response *resp, wc_result result,
                       wc_error *err)
{
    if (result == WC_OK && resp->status != 200)
        result = wc_error_set(err, WC_ERR_IO, "%s answered HTTP %ld", p->url, resp->status);
    if (wc_cred_http_provider_fail(p, resp, result, err))
        return;
    wc_credentials creds;
    result = wc_credentials_from_json(resp->body, "ECS container", &creds, err);
    wc_cred_http_provider_finish(p, resp, result, &creds, err);
}

wc_result wc_container_uri_check(const char *url, wc_error *err)
{
    if (strncasecmp(url, "https://", 8) == 0)
        return WC_OK;
    int ok = 0;
    if (strncasecmp(url, "http://", 7) == 0) {
        const char *auth = url + 7;
        size_t alen = strcspn(auth, "/?#");
        const char *at = memchr(auth, '@', alen); /* user info is no part of the host */
        if (at) {
            alen -= (size_t)(at + 1 - auth);
            auth = at + 1;
        }
        char host[256] = "";
        if (auth[0] == '[') { /* [IPv6]:port */
            const char *close = memchr(auth, ']', alen);
            if (close && (size_t)(close - auth - 1) < sizeof(host))
                snprintf(host, sizeof(host), "%.*s", (int)(close - auth - 1), auth + 1);
        } else {
            size_t hlen = strcspn(auth, ":/?#");
            if (hlen > alen)
                hlen = alen;
            if (hlen < sizeof(host))
                snprintf(host, sizeof(host), "%.*s", (int)hlen, auth);
        }
        unsigned char a4[4], a6[16], ecs6[16], loop6[16];
        inet_pton(AF_INET6, "fd00:ec2::23", ecs6);
        inet_pton(AF_INET6, "::1", loop6);
        if (inet_pton(AF_INET, host, a4) == 1)
            ok = a4[0] == 127 || strcmp(host, "169.254.170.2") == 0 ||
                 strcmp(host, "169.254.170.23") == 0;
        else if (inet_pton(AF_INET6, host, a6) == 1)
            ok = memcmp(a6, loop6, 16) == 0 || memcmp(a6, ecs6, 16) == 0;
        else
            ok = strcasecmp(host, "localhost") == 0;
    }
    if (ok)
        return WC_OK;
    return wc_error_set(err, WC_ERR_INVALID,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%s\": plain http is allowed only to "
                        "a loopback address (127.0.0.0/8, [::1], localhost) or the ECS/EKS "
                        "agent (169.254.170.2, 169.254.170.23, [fd00:ec2::23]); else https",
                        url);
}

static wc_result ecs_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                           wc_error *err)
{
    wc_cred_http_provider *p = (wc_cred_http_provider *)self;
    const char *relative = wc_cred_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = wc_cred_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full)
        return WC_ERR_NOT_FOUND;
    if (!p->cx->has_transport)
        return wc_error_set(err, WC_ERR_INVALID, "%sno HTTP transport to ask them with", p->what);
    if (relative)
        snprintf(p->url, sizeof(p->url), "http://169.254.170.2%s", relative);
    else if (wc_container_uri_check(full, err) != WC_OK)
        return WC_ERR_INVALID; /* as the AWS SDKs: the credentials never cross a network in clear */
    else
        snprintf(p->url, sizeof(p->url), "%s", full);
    char *token = NULL;
    const char *token_file = wc_cred_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (token_file) {
        if (wc_cred_read_token(token_file, 16384, "\r\n", &token, err) != WC_OK) {
            wc_error_prefix(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: ");
            return WC_ERR_INVALID;
        }
    } else {
        wc_cred_dup(&token, wc_cred_env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    }
    p->done = done;
    p->ctx = ctx;
    wc_param auth = {"Authorization", token};
    wc_result result =
        wc_cred_http_provider_send(p, "GET", token ? &auth : NULL, token ? 1 : 0, NULL, 2000, err);
    wc_cred_scrub_free(token);
    if (result != WC_OK) {
        wc_cred_http_provider_cancel(self);
        wc_error_prefix(err, "%s", p->what);
        if (err)
            err->code = WC_ERR_IO;
        return WC_ERR_IO;
    }
    return WC_OK;
}

wc_credential_provider *wc_credentials_from_ecs(const wc_cred_context *cx)
{
    return wc_cred_http_provider_new(sizeof(wc_cred_http_provider), "ECS container",
                                     "ECS container credentials: ", cx, ecs_start, ecs_answer);
}
