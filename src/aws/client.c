#include "aws/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct wc_aws {
    char *region;
    char *endpoint_url;
    wc_http *http;
    wc_credential_chain *credentials;
    wc_retry_policy retry;
    wc_clock *clock;
    wc_endpoint endpoints[3]; /* s3, sqs, dynamodb, resolved on first use */
    int resolved[3];
};

wc_aws *wc_aws_new(const wc_aws_config *config, wc_error *err)
{
    wc_aws *aws = calloc(1, sizeof(*aws));
    if (!aws) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    aws->region = config->region && *config->region ? strdup(config->region)
                                                    : wc_profile_region(config->profile);
    aws->endpoint_url = config->endpoint_url ? strdup(config->endpoint_url) : NULL;
    aws->http = wc_http_new(&config->http);
    aws->credentials = aws->http ? wc_credential_chain_new(config->profile, aws->http) : NULL;
    aws->retry = config->retry;
    if (!aws->retry.max_attempts)
        aws->retry.max_attempts = 5;
    aws->clock = config->clock ? config->clock : wc_clock_system();
    if (!aws->http || !aws->credentials) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        wc_aws_free(aws);
        return NULL;
    }
    if (!aws->region && !aws->endpoint_url) {
        /* A custom endpoint does not need a region to be found, only to sign: us-east-1 then. */
        wc_error_set(err, WC_ERR_INVALID,
                     "no AWS region: use --region, AWS_REGION, AWS_DEFAULT_REGION or a profile's "
                     "region");
        wc_aws_free(aws);
        return NULL;
    }
    if (!aws->region)
        aws->region = strdup("us-east-1");
    return aws;
}

void wc_aws_free(wc_aws *aws)
{
    if (!aws)
        return;
    for (int i = 0; i < 3; i++)
        wc_endpoint_cleanup(&aws->endpoints[i]);
    wc_credential_chain_free(aws->credentials);
    wc_http_free(aws->http);
    free(aws->region);
    free(aws->endpoint_url);
    free(aws);
}

const char *wc_aws_region(const wc_aws *aws)
{
    return aws->region;
}

wc_http *wc_aws_http(wc_aws *aws)
{
    return aws->http;
}

const wc_endpoint *wc_aws_endpoint(wc_aws *aws, const char *service, wc_error *err)
{
    int i = strcmp(service, "s3") == 0 ? 0 : strcmp(service, "sqs") == 0 ? 1 : 2;
    if (!aws->resolved[i]) {
        if (wc_endpoint_resolve(service, aws->region, aws->endpoint_url, &aws->endpoints[i], err) !=
            WC_OK)
            return NULL;
        aws->resolved[i] = 1;
    }
    return &aws->endpoints[i];
}

static wc_result result_of(const wc_aws_error *e)
{
    if (e->status == 404 || strstr(e->code, "NotFound") || strncmp(e->code, "NoSuch", 6) == 0 ||
        strcmp(e->code, "QueueDoesNotExist") == 0 ||
        strcmp(e->code, "AWS.SimpleQueueService.NonExistentQueue") == 0)
        return WC_ERR_NOT_FOUND;
    if (e->status == 412 || strcmp(e->code, "ConditionalCheckFailedException") == 0)
        return WC_ERR_CONFLICT;
    return WC_ERR_IO;
}

/* Signs and sends once. */
static wc_result send_once(wc_aws *aws, const wc_aws_request *req, wc_http_response *resp,
                           wc_error *err)
{
    const wc_credentials *creds;
    wc_result result = wc_credentials_get(aws->credentials, time(NULL), &creds, err);
    if (result != WC_OK)
        return result;
    const char *host = strstr(req->base, "://");
    host = host ? host + 3 : req->base;
    char date[17], hash[65];
    time_t now = time(NULL);
    wc_sigv4_amz_date(now, date);
    if (req->unsigned_payload)
        snprintf(hash, sizeof(hash), "UNSIGNED-PAYLOAD");
    else
        wc_sha256_hex(req->body ? req->body : "", req->body_len, hash);

    size_t n = 0, cap = req->n_headers + 5;
    wc_param *headers = calloc(cap, sizeof(*headers));
    if (!headers)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    headers[n++] = (wc_param){"Host", host};
    headers[n++] = (wc_param){"X-Amz-Date", date};
    headers[n++] = (wc_param){"X-Amz-Content-SHA256", hash};
    if (creds->session_token)
        headers[n++] = (wc_param){"X-Amz-Security-Token", creds->session_token};
    for (size_t i = 0; i < req->n_headers; i++)
        headers[n++] = req->headers[i];

    wc_sigv4_request sreq = {req->method, req->path, req->query, req->n_query,
                             headers, n, hash};
    wc_sigv4_signer signer = {creds->access_key_id, creds->secret_access_key, aws->region,
                              req->service, now, strcmp(req->service, "s3") != 0};
    char *auth = wc_sigv4_authorization(&signer, &sreq);
    char *path = wc_uri_encode(req->path, 1);
    char *query = wc_sigv4_query(req->query, req->n_query);
    char *url = NULL;
    if (auth && path && query) {
        size_t len = strlen(req->base) + strlen(path) + strlen(query) + 2;
        url = malloc(len);
        if (url)
            snprintf(url, len, "%s%s%s%s", req->base, path, query[0] ? "?" : "", query);
    }
    if (!url) {
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else {
        headers[n++] = (wc_param){"Authorization", auth};
        wc_http_request hreq = {req->method, url,         headers,         n,
                                req->body,   req->body_len, req->timeout_ms, req->max_body};
        result = wc_http_do(aws->http, &hreq, resp, err);
    }
    free(url);
    free(query);
    free(path);
    free(auth);
    free(headers);
    return result;
}

wc_result wc_aws_send(wc_aws *aws, const wc_aws_request *req, wc_http_response *resp,
                      wc_aws_error *aerr, wc_error *err)
{
    memset(aerr, 0, sizeof(*aerr));
    for (unsigned attempt = 0;; attempt++) {
        memset(resp, 0, sizeof(*resp));
        wc_result result = send_once(aws, req, resp, err);
        if (result == WC_OK && resp->status >= 200 && resp->status < 300)
            return WC_OK;
        if (result == WC_OK) {
            wc_aws_error_decode(req->service, resp->status, resp->body, resp->len,
                                resp->request_id, aerr);
        } else if (result == WC_ERR_IO) {
            snprintf(aerr->service, sizeof(aerr->service), "%s", req->service);
            snprintf(aerr->code, sizeof(aerr->code), "NetworkError");
            snprintf(aerr->message, sizeof(aerr->message), "%s", err->msg);
        } else {
            wc_http_response_cleanup(resp);
            return result; /* no credentials, too large, out of memory: retrying will not help */
        }
        wc_http_response_cleanup(resp);
        if (!wc_retry_is_retryable(aerr) || attempt + 1 >= aws->retry.max_attempts) {
            char text[640];
            wc_error_set(err, result_of(aerr), "%s", wc_aws_error_text(aerr, text, sizeof(text)));
            return aerr->status ? result_of(aerr) : WC_ERR_IO;
        }
        aws->clock->sleep_ms(aws->clock, wc_retry_delay_full_jitter(&aws->retry, attempt));
    }
}

wc_result wc_aws_resource_error(wc_error *err, wc_result result, const char *what, const char *name,
                                const wc_aws_error *aerr, const wc_error *detail)
{
    char text[640];
    return wc_error_set(err, result, "%s \"%s\": %s", what, name,
                        aerr->code[0] ? wc_aws_error_text(aerr, text, sizeof(text)) : detail->msg);
}

wc_result wc_aws_json(wc_aws *aws, const char *service, const char *target, json_t *body,
                      json_t **out, wc_aws_error *aerr, wc_error *err)
{
    memset(aerr, 0, sizeof(*aerr));
    if (out)
        *out = NULL;
    const wc_endpoint *ep = wc_aws_endpoint(aws, service, err);
    char *text = body && ep ? json_dumps(body, JSON_COMPACT) : NULL;
    long timeout = 0;
    json_t *wait = json_object_get(body, "WaitTimeSeconds");
    if (json_is_integer(wait))
        timeout = (long)json_integer_value(wait) * 1000 + 15000; /* a long poll takes its time */
    json_decref(body);
    if (!ep)
        return WC_ERR_INVALID;
    if (!text)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_param headers[] = {{"Content-Type", "application/x-amz-json-1.0"},
                          {"X-Amz-Target", target}};
    wc_aws_request req = {service, "POST", ep->base, "/", NULL, 0, headers, 2, text, strlen(text),
                          0, timeout, 0};
    wc_http_response resp;
    wc_result result = wc_aws_send(aws, &req, &resp, aerr, err);
    free(text);
    if (result != WC_OK)
        return result;
    if (out && resp.len > 0) {
        json_error_t jerr;
        *out = json_loadb(resp.body, resp.len, 0, &jerr);
        if (!*out)
            result = wc_error_set(err, WC_ERR_PARSE, "%s %s: answer is not JSON: %s", service,
                                  target, jerr.text);
    }
    wc_http_response_cleanup(&resp);
    return result;
}
