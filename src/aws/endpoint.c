#include "aws/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The DNS suffix of a region's partition (botocore's endpoints.json, regionRegex of each). */
static const char *dns_suffix(const char *region)
{
    static const struct {
        const char *prefix, *suffix;
    } partitions[] = {
        {"cn-", "amazonaws.com.cn"},    /* aws-cn */
        {"us-isob-", "sc2s.sgov.gov"},  /* aws-iso-b */
        {"us-isof-", "csp.hci.ic.gov"}, /* aws-iso-f */
        {"us-iso-", "c2s.ic.gov"},      /* aws-iso */
        {"eu-isoe-", "cloud.adc-e.uk"}, /* aws-iso-e */
        {"eusc-", "amazonaws.eu"},      /* aws-eusc */
    };
    for (size_t i = 0; i < sizeof(partitions) / sizeof(partitions[0]); i++)
        if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0)
            return partitions[i].suffix;
    return "amazonaws.com"; /* aws, aws-us-gov */
}

/* AWS_USE_FIPS_ENDPOINT: true or false (either case; unset or empty: false), else an error. */
static wc_result use_fips(int *out, wc_error *err)
{
    const char *v = getenv("AWS_USE_FIPS_ENDPOINT");
    *out = 0;
    if (!v || !*v || strcasecmp(v, "false") == 0)
        return WC_OK;
    if (strcasecmp(v, "true") == 0) {
        *out = 1;
        return WC_OK;
    }
    return wc_error_set(err, WC_ERR_INVALID, "AWS_USE_FIPS_ENDPOINT \"%s\" is not true or false",
                        v);
}

/* The endpoint of a service in a region: https://service.region.suffix, or with FIPS
 * service-fips.region.suffix, except SQS and DynamoDB in GovCloud, whose regular hosts are the
 * FIPS ones (as botocore's endpoint rule sets resolve them). */
static char *public_host(const char *service, const char *region, int fips)
{
    const char *suffix = dns_suffix(region);
    if (fips && strncmp(region, "us-gov-", 7) == 0 && strcmp(service, "s3") != 0)
        fips = 0;
    size_t len = strlen(service) + strlen(region) + strlen(suffix) + 24;
    char *host = malloc(len);
    if (host)
        snprintf(host, len, "https://%s%s.%s.%s", service, fips ? "-fips" : "", region, suffix);
    return host;
}

wc_result wc_endpoint_resolve(const char *service, const char *region, const char *override,
                              wc_endpoint *out, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    char var[64];
    snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", service); /* AWS_ENDPOINT_URL_SQS */
    for (char *c = var; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    const char *url = override;
    if (!url || !*url)
        url = getenv(var);
    if (!url || !*url)
        url = getenv("AWS_ENDPOINT_URL");
    if (url && !*url)
        url = NULL;
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
        int fips;
        if (use_fips(&fips, err) != WC_OK)
            return WC_ERR_INVALID;
        if (fips && strcmp(service, "s3") == 0 && strncmp(region, "cn-", 3) == 0)
            return wc_error_set(err, WC_ERR_INVALID,
                                "AWS_USE_FIPS_ENDPOINT: S3 has no FIPS endpoint in the China "
                                "regions (%s)",
                                region);
        out->base = public_host(service, region, fips);
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
