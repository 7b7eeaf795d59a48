#include "aws/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trimmed_copy(const char *url)
{
    char *copy = strdup(url);
    if (copy) {
        size_t len = strlen(copy);
        while (len > 0 && copy[len - 1] == '/')
            copy[--len] = '\0';
    }
    return copy;
}

wc_result wc_endpoint_resolve(const char *service, const char *region, const char *override,
                              wc_endpoint *out, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    char var[64];
    snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s",
             strcmp(service, "s3") == 0    ? "S3"
             : strcmp(service, "sqs") == 0 ? "SQS"
                                           : "DYNAMODB");
    const char *url = override && *override ? override : NULL;
    if (!url && getenv(var) && *getenv(var))
        url = getenv(var);
    if (!url && getenv("AWS_ENDPOINT_URL") && *getenv("AWS_ENDPOINT_URL"))
        url = getenv("AWS_ENDPOINT_URL");
    if (url) {
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
            return wc_error_set(err, WC_ERR_INVALID,
                                "endpoint \"%s\" must start with http:// or https://", url);
        out->base = trimmed_copy(url);
        out->custom = 1;
    } else {
        if (!region || !*region)
            return wc_error_set(err, WC_ERR_INVALID,
                                "no AWS region: use --region, AWS_REGION or a profile's region");
        size_t len = strlen(service) + strlen(region) + 40;
        out->base = malloc(len);
        if (out->base)
            snprintf(out->base, len, "https://%s.%s.amazonaws.com", service, region);
    }
    return out->base ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
}

void wc_endpoint_cleanup(wc_endpoint *e)
{
    free(e->base);
    e->base = NULL;
}

wc_result wc_endpoint_s3_bucket(const wc_endpoint *e, const char *bucket, char **base,
                                char **path_prefix, wc_error *err)
{
    *base = *path_prefix = NULL;
    size_t len = strlen(e->base) + strlen(bucket) + 8;
    char *b = malloc(len), *p = malloc(strlen(bucket) + 3);
    if (!b || !p) {
        free(b);
        free(p);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (e->custom || strchr(bucket, '.')) {
        snprintf(b, len, "%s", e->base);
        snprintf(p, strlen(bucket) + 3, "/%s/", bucket);
    } else {
        const char *host = strstr(e->base, "://") + 3;
        snprintf(b, len, "%.*s%s.%s", (int)(host - e->base), e->base, bucket, host);
        snprintf(p, 2, "/");
    }
    *base = b;
    *path_prefix = p;
    return WC_OK;
}
