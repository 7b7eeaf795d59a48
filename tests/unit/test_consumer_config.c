#include "common/clock.h"
#include "consumer/consumer_config.h"
#include "testutil.h"

static wc_result parse(wc_consumer_config *c, wc_error *err, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return wc_consumer_config_parse(c, argc, argv, err);
}

static void defaults_are_the_spec_defaults(void **state)
{
    wc_consumer_config c;
    char *argv[] = {"widget-consumer", "--request-dir", "in", "--widget-dir", "out", NULL};
    assert_int_equal(parse(&c, NULL, argv), WC_OK);
    assert_int_equal(c.poll_interval_ms, 100);
    assert_int_equal(c.max_empty_polls, 5);
    assert_int_equal(c.max_requests, 0);
    assert_int_equal(c.max_runtime_ms, 0);
    assert_string_equal(c.key_prefix, "widgets/");
    wc_poller_config p = wc_consumer_poller_config(&c);
    assert_int_equal(p.max_body, 262144);
    assert_int_equal(p.max_attempts, 8);
}

static void four_parameter_form(void **state)
{
    wc_consumer_config c;
    wc_error err;
    char *argv[] = {"widget-consumer", "dir", "in", "dir", "out", "-mrt", "500", NULL};
    assert_int_equal(parse(&c, &err, argv), WC_OK);
    assert_string_equal(c.request_dir, "in");
    assert_string_equal(c.widget_dir, "out");
    assert_int_equal(c.max_runtime_ms, 500);
    char *bad[] = {"widget-consumer", "ftp", "in", "dir", "out", NULL};
    assert_int_equal(parse(&c, &err, bad), WC_ERR_INVALID);
    assert_string_equal(err.msg, "source type \"ftp\" is not s3, sqs or dir");
    char *three[] = {"widget-consumer", "s3", "in", "dynamodb", NULL};
    assert_int_equal(parse(&c, &err, three), WC_ERR_INVALID);
    assert_string_equal(err.msg, "expected four parameters (e.g. s3 BUCKET dynamodb TABLE), got 3");
}

static void original_four_parameters_name_aws_resources(void **state)
{
    wc_consumer_config c;
    wc_error err;
    char *a1[] = {"widget-consumer", "s3", "requests", "dynamodb", "widgets", NULL};
    assert_int_equal(parse(&c, &err, a1), WC_OK);
    assert_string_equal(c.request_bucket, "requests");
    assert_string_equal(c.widget_table, "widgets");
    char *a2[] = {"widget-consumer", "sqs", "q", "s3", "wbucket", NULL};
    assert_int_equal(parse(&c, &err, a2), WC_OK);
    assert_string_equal(c.request_queue, "q");
    assert_string_equal(c.widget_bucket, "wbucket");
    assert_string_equal(c.dead_letter_prefix, "dead-letter/");
}

static void exactly_one_source_and_store(void **state)
{
    wc_consumer_config c;
    wc_error err;
    char *none[] = {"widget-consumer", "--widget-dir", "out", NULL};
    assert_int_equal(parse(&c, &err, none), WC_ERR_INVALID);
    assert_string_equal(err.msg, "name exactly one request source: --request-dir, -rb or -rq");
    char *two[] = {"widget-consumer", "--request-dir", "a", "-rq", "q", "--widget-dir", "o", NULL};
    assert_int_equal(parse(&c, &err, two), WC_ERR_INVALID);
    char *nostore[] = {"widget-consumer", "--request-dir", "a", NULL};
    assert_int_equal(parse(&c, &err, nostore), WC_ERR_INVALID);
    assert_string_equal(err.msg, "name exactly one widget store: --widget-dir, -wb or -dwt");
}

static void bad_values_are_named(void **state)
{
    wc_consumer_config c;
    wc_error err;
    char *a1[] = {"widget-consumer", "dir", "a", "dir", "b", "--max-attempts", "0", NULL};
    assert_int_equal(parse(&c, &err, a1), WC_ERR_INVALID);
    assert_string_equal(err.msg, "--max-attempts must be at least 1");
    char *a2[] = {"widget-consumer", "dir", "a", "dir", "b", "-wkp", "../x/", NULL};
    assert_int_equal(parse(&c, &err, a2), WC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "widget key prefix \"../x/\""));
    char *a3[] = {"widget-consumer", "dir", "a", "dir", "b", "-qwt", "30", NULL};
    assert_int_equal(parse(&c, &err, a3), WC_ERR_INVALID);
    assert_string_equal(err.msg, "-qwt/--queue-wait-timeout: at most 20 seconds");
}

static void region_falls_back_to_aws_default_region(void **state)
{
    wc_consumer_config c;
    unsetenv("AWS_REGION");
    setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
    char *argv[] = {"widget-consumer", "dir", "a", "dir", "b", NULL};
    assert_int_equal(parse(&c, NULL, argv), WC_OK);
    assert_string_equal(c.region, "eu-central-1");
    setenv("AWS_REGION", "us-west-1", 1);
    assert_int_equal(parse(&c, NULL, argv), WC_OK);
    assert_string_equal(c.region, "us-west-1");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
}

static void help_lists_the_options_users_know(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    wc_consumer_usage(f);
    fclose(f);
    const char *want[] = {"-rb, --request-bucket",
                          "-rq, --request-queue",
                          "-wb, --widget-bucket",
                          "-dwt, --dynamodb-widget-table",
                          "-wkp, --widget-key-prefix",
                          "-p, --profile",
                          "-r, --region",
                          "-mrt, --max-runtime",
                          "-qwt, --queue-wait-timeout",
                          "-qvt, --queue-visibility-timeout",
                          "--request-dir",
                          "--widget-dir",
                          "--dead-letter-dir",
                          "--max-empty-polls N",
                          "(default: 5)",
                          "--max-requests",
                          "--log-file",
                          "(default: widgets/)"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(buf, want[i]))
            fail_msg("--help lacks \"%s\"", want[i]);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_spec_defaults),
        cmocka_unit_test(four_parameter_form),
        cmocka_unit_test(original_four_parameters_name_aws_resources),
        cmocka_unit_test(exactly_one_source_and_store),
        cmocka_unit_test(bad_values_are_named),
        cmocka_unit_test(region_falls_back_to_aws_default_region),
        cmocka_unit_test(help_lists_the_options_users_know),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
