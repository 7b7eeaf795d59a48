#include "aws/endpoint.h"
#include "common/clock.h"
#include "testutil.h"

static void clear_env(void)
{
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ENDPOINT_URL_SQS");
    unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
}

static void aws_public_endpoints(void **state)
{
    clear_env();
    wc_endpoint e;
    assert_int_equal(wc_endpoint_resolve("sqs", "eu-west-1", NULL, &e, NULL), WC_OK);
    assert_string_equal(e.base, "https://sqs.eu-west-1.amazonaws.com");
    assert_false(e.custom);
    wc_endpoint_cleanup(&e);
    assert_int_equal(wc_endpoint_resolve("dynamodb", "us-east-1", NULL, &e, NULL), WC_OK);
    assert_string_equal(e.base, "https://dynamodb.us-east-1.amazonaws.com");
    wc_endpoint_cleanup(&e);
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
    assert_int_equal(wc_endpoint_resolve("sqs", "us-east-1", NULL, &e, NULL), WC_OK);
    assert_string_equal(e.base, "http://127.0.0.1:2000");
    assert_true(e.custom);
    wc_endpoint_cleanup(&e);
    assert_int_equal(wc_endpoint_resolve("dynamodb", "us-east-1", NULL, &e, NULL), WC_OK);
    assert_string_equal(e.base, "http://127.0.0.1:1000"); /* trailing '/' dropped */
    wc_endpoint_cleanup(&e);
    assert_int_equal(wc_endpoint_resolve("sqs", "us-east-1", "http://localhost:3000", &e, NULL),
                     WC_OK);
    assert_string_equal(e.base, "http://localhost:3000");
    wc_endpoint_cleanup(&e);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aws_public_endpoints),
        cmocka_unit_test(overrides_in_sdk_order),
        cmocka_unit_test(s3_addressing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
