/* endpoint.h - where a service is: an override, or AWS's public endpoint for the region.
 *
 * Order, as the AWS SDKs use it: --endpoint-url, AWS_ENDPOINT_URL_<SERVICE> (S3, SQS, DYNAMODB),
 * AWS_ENDPOINT_URL, then AWS's public endpoint https://<service>.<region>.<suffix> (S3:
 * https://s3.<region>.…), the suffix that of the region's partition: amazonaws.com (also
 * GovCloud, us-gov-*), amazonaws.com.cn (cn-*), c2s.ic.gov (us-iso-*), sc2s.sgov.gov
 * (us-isob-*), csp.hci.ic.gov (us-isof-*), cloud.adc-e.uk (eu-isoe-*), amazonaws.eu (eusc-*).
 * AWS_USE_FIPS_ENDPOINT=true picks the FIPS hosts, as botocore's endpoint rule sets resolve
 * them: sqs-fips, dynamodb-fips and s3-fips.<region>.<suffix>, except SQS and DynamoDB in
 * GovCloud, whose regular hosts are the FIPS ones; S3 has none in China (an error). An override
 * always wins over FIPS.
 * A custom endpoint (any override) addresses S3 buckets path-style (http://host/bucket/key);
 * AWS's own uses virtual-hosted style (https://bucket.s3.region.amazonaws.com/key) unless the
 * bucket name has a dot (TLS would not match), where it falls back to path style.
 */
#ifndef WC_ENDPOINT_H
#define WC_ENDPOINT_H

#include "common/error.h"

typedef struct {
    char *base; /* "https://sqs.us-east-1.amazonaws.com", no trailing '/'; owned */
    int custom; /* an override: path-style S3 */
} wc_endpoint;

/* service: "s3", "sqs", "sns", "sts" or "dynamodb". override: --endpoint-url, or NULL. */
wc_result wc_endpoint_resolve(const char *service, const char *region, const char *override,
                              wc_endpoint *out, wc_error *err);

void wc_endpoint_cleanup(wc_endpoint *e);

/* The URL base and path prefix of a bucket: with virtual-hosted style *base is
 * "https://bucket.s3.region.amazonaws.com" and *path_prefix "/"; with path style the endpoint's
 * base and "/bucket/". Both heap strings. */
wc_result wc_endpoint_s3_bucket(const wc_endpoint *e, const char *bucket, char **base,
                                char **path_prefix, wc_error *err);

#endif
