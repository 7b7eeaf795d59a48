#include "aws/endpoint.h"
#include "common/clock.h"
#include "testutil.h"

static void clear_env(void)
{
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ENDPOINT_URL_SQS");
    unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
    unsetenv("AWS_USE_FIPS_ENDPOINT");
}

/* service in region (with the url given, or NULL) resolves to base, custom or not. */
static void assert_resolves(const char *service, const char *region, const char *url,
                            const char *base, int custom)
{
    wc_endpoint e;
    assert_int_equal(wc_endpoint_resolve(service, region, url, &e, NULL), WC_OK);
    assert_string_equal(e.base, base);
    assert_int_equal(e.custom, custom);
    wc_endpoint_cleanup(&e);
}

static void aws_public_endpoints(void **state)
{
    clear_env();
    wc_endpoint e;
    assert_resolves("sqs", "eu-west-1", NULL, "https://sqs.eu-west-1.amazonaws.com", 0);
    assert_resolves("dynamodb", "us-east-1", NULL, "https://dynamodb.us-east-1.amazonaws.com", 0);
    wc_error err;
    assert_int_equal(wc_endpoint_resolve("s3", NULL, NULL, &e, &err), WC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no AWS region"));
}

static void overrides_in_sdk_order(void **state)
{
    clear_env();
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1000/", 1);
    setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:2000", 1);
    wc_endpoint e;
    assert_resolves("sqs", "us-east-1", NULL, "http://127.0.0.1:2000", 1);
    assert_resolves("dynamodb", "us-east-1", NULL, "http://127.0.0.1:1000",
                    1); /* trailing '/' dropped */
    assert_resolves("sqs", "us-east-1", "http://localhost:3000", "http://localhost:3000", 1);
    wc_error err;
    assert_int_equal(wc_endpoint_resolve("sqs", "us-east-1", "localhost:3000", &e, &err),
                     WC_ERR_INVALID);
    assert_string_equal(err.msg, "endpoint \"localhost:3000\" must start with http:// or https://");
    clear_env();
}

static void s3_addressing(void **state)
{
    clear_env();
    wc_endpoint e;
    char *base, *prefix;
    assert_int_equal(wc_endpoint_resolve("s3", "us-west-2", NULL, &e, NULL), WC_OK);
    assert_int_equal(wc_endpoint_s3_bucket(&e, "usu-widgets", &base, &prefix, NULL), WC_OK);
    assert_string_equal(base, "https://usu-widgets.s3.us-west-2.amazonaws.com");
    assert_string_equal(prefix, "/");
    free(base);
    free(prefix);
    assert_int_equal(wc_endpoint_s3_bucket(&e, "my.dotted.bucket", &base, &prefix, NULL), WC_OK);
    assert_string_equal(base, "https://s3.us-west-2.amazonaws.com");
    assert_string_equal(prefix, "/my.dotted.bucket/");
    free(base);
    free(prefix);
    wc_endpoint_cleanup(&e);
    assert_int_equal(wc_endpoint_resolve("s3", "us-west-2", "http://127.0.0.1:4566", &e, NULL),
                     WC_OK);
    assert_int_equal(wc_endpoint_s3_bucket(&e, "usu-widgets", &base, &prefix, NULL), WC_OK);
    assert_string_equal(base, "http://127.0.0.1:4566");
    assert_string_equal(prefix, "/usu-widgets/");
    free(base);
    free(prefix);
    wc_endpoint_cleanup(&e);
}

/* Every partition's hosts, with and without FIPS: as botocore 1.43's endpoint rule sets resolve
 * them (GetQueueUrl, DescribeTable, HeadBucket with use_fips_endpoint). */
static void every_partition_and_fips(void **state)
{
    static const struct {
        const char *region;
        int fips;
        const char *sqs, *dynamodb, *s3;
    } cases[] = {
        {"eu-west-1", 0, "sqs.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com",
         "s3.eu-west-1.amazonaws.com"},
        {"us-east-1", 1, "sqs-fips.us-east-1.amazonaws.com",
         "dynamodb-fips.us-east-1.amazonaws.com", "s3-fips.us-east-1.amazonaws.com"},
        {"cn-north-1", 0, "sqs.cn-north-1.amazonaws.com.cn", "dynamodb.cn-north-1.amazonaws.com.cn",
         "s3.cn-north-1.amazonaws.com.cn"},
        {"cn-northwest-1", 1, "sqs-fips.cn-northwest-1.amazonaws.com.cn",
         "dynamodb-fips.cn-northwest-1.amazonaws.com.cn", NULL},
        {"us-gov-west-1", 0, "sqs.us-gov-west-1.amazonaws.com",
         "dynamodb.us-gov-west-1.amazonaws.com", "s3.us-gov-west-1.amazonaws.com"},
        {"us-gov-west-1", 1, "sqs.us-gov-west-1.amazonaws.com",
         "dynamodb.us-gov-west-1.amazonaws.com", "s3-fips.us-gov-west-1.amazonaws.com"},
        {"us-iso-east-1", 0, "sqs.us-iso-east-1.c2s.ic.gov", "dynamodb.us-iso-east-1.c2s.ic.gov",
         "s3.us-iso-east-1.c2s.ic.gov"},
        {"us-iso-east-1", 1, "sqs-fips.us-iso-east-1.c2s.ic.gov",
         "dynamodb-fips.us-iso-east-1.c2s.ic.gov", "s3-fips.us-iso-east-1.c2s.ic.gov"},
        {"us-isob-east-1", 0, "sqs.us-isob-east-1.sc2s.sgov.gov",
         "dynamodb.us-isob-east-1.sc2s.sgov.gov", "s3.us-isob-east-1.sc2s.sgov.gov"},
        {"us-isof-south-1", 1, "sqs-fips.us-isof-south-1.csp.hci.ic.gov",
         "dynamodb-fips.us-isof-south-1.csp.hci.ic.gov", "s3-fips.us-isof-south-1.csp.hci.ic.gov"},
        {"eu-isoe-west-1", 0, "sqs.eu-isoe-west-1.cloud.adc-e.uk",
         "dynamodb.eu-isoe-west-1.cloud.adc-e.uk", "s3.eu-isoe-west-1.cloud.adc-e.uk"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clear_env();
        if (cases[i].fips)
            setenv("AWS_USE_FIPS_ENDPOINT", i % 2 ? "TRUE" : "true", 1);
        const char *services[] = {"sqs", "dynamodb", "s3"};
        const char *want[] = {cases[i].sqs, cases[i].dynamodb, cases[i].s3};
        for (int k = 0; k < 3; k++) {
            wc_endpoint e;
            wc_error err;
            wc_result r = wc_endpoint_resolve(services[k], cases[i].region, NULL, &e, &err);
            if (!want[k]) {
                assert_int_equal(r, WC_ERR_INVALID);
                assert_string_equal(err.msg, "AWS_USE_FIPS_ENDPOINT: S3 has no FIPS endpoint in "
                                             "the China regions (cn-northwest-1)");
                continue;
            }
            assert_int_equal(r, WC_OK);
            char url[256];
            snprintf(url, sizeof(url), "https://%s", want[k]);
            assert_string_equal(e.base, url);
            assert_false(e.custom);
            wc_endpoint_cleanup(&e);
        }
    }
    clear_env();
}

static void fips_setting_and_overrides(void **state)
{
    clear_env();
    wc_endpoint e;
    char *base, *prefix;
    setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
    assert_int_equal(wc_endpoint_resolve("s3", "us-west-2", NULL, &e, NULL), WC_OK);
    assert_int_equal(wc_endpoint_s3_bucket(&e, "usu-widgets", &base, &prefix, NULL), WC_OK);
    assert_string_equal(base, "https://usu-widgets.s3-fips.us-west-2.amazonaws.com");
    free(base);
    free(prefix);
    wc_endpoint_cleanup(&e);
    /* An override wins over FIPS. */
    assert_resolves("sqs", "us-east-1", "http://127.0.0.1:9", "http://127.0.0.1:9", 1);
    setenv("AWS_USE_FIPS_ENDPOINT", "False", 1);
    assert_resolves("sqs", "us-east-1", NULL, "https://sqs.us-east-1.amazonaws.com", 0);
    setenv("AWS_USE_FIPS_ENDPOINT", "1", 1);
    wc_error err;
    assert_int_equal(wc_endpoint_resolve("sqs", "us-east-1", NULL, &e, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg, "AWS_USE_FIPS_ENDPOINT \"1\" is not true or false");
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aws_public_endpoints),
        cmocka_unit_test(overrides_in_sdk_order),
        cmocka_unit_test(s3_addressing),
        cmocka_unit_test(every_partition_and_fips),
        cmocka_unit_test(fips_setting_and_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
