#include "common/clock.h"
#include "common/options.h"
#include "testutil.h"

typedef struct {
    const char *bucket;
    const char *region;
    uint64_t runtime;
    int quiet;
} cfg;

static const wc_option table[] = {
    {"request-bucket", "rb", WC_OPT_STRING, "BUCKET", NULL, NULL, offsetof(cfg, bucket), "b"},
    {"region", "r", WC_OPT_STRING, "REGION", "us-east-1", "WC_TEST_REGION", offsetof(cfg, region),
     "r"},
    {"max-runtime", "mrt", WC_OPT_UINT, "MS", "0", NULL, offsetof(cfg, runtime), "m"},
    {"quiet", "q", WC_OPT_FLAG, NULL, NULL, NULL, offsetof(cfg, quiet), "q"},
    WC_OPTIONS_END,
};

static wc_result parse(cfg *c, wc_error *err, int *npos, const char **pos, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    memset(c, 0, sizeof(*c));
    return wc_options_parse(table, c, argc, argv, pos, 4, npos, err);
}

static void defaults_apply(void **state)
{
    cfg c;
    int n;
    const char *pos[4];
    unsetenv("WC_TEST_REGION");
    char *argv[] = {"prog", NULL};
    assert_int_equal(parse(&c, NULL, &n, pos, argv), WC_OK);
    assert_null(c.bucket);
    assert_string_equal(c.region, "us-east-1");
    assert_int_equal(c.runtime, 0);
    assert_int_equal(c.quiet, 0);
}

static void short_long_and_equals_forms(void **state)
{
    cfg c;
    int n;
    const char *pos[4];
    char *argv[] = {"prog", "-rb",      "requests",  "--max-runtime=2500",
                    "-q",   "--region", "eu-west-1", NULL};
    assert_int_equal(parse(&c, NULL, &n, pos, argv), WC_OK);
    assert_string_equal(c.bucket, "requests");
    assert_int_equal(c.runtime, 2500);
    assert_int_equal(c.quiet, 1);
    assert_string_equal(c.region, "eu-west-1");
}

static void environment_beats_default_and_argument_beats_environment(void **state)
{
    cfg c;
    int n;
    const char *pos[4];
    setenv("WC_TEST_REGION", "ap-south-1", 1);
    char *argv1[] = {"prog", NULL};
    assert_int_equal(parse(&c, NULL, &n, pos, argv1), WC_OK);
    assert_string_equal(c.region, "ap-south-1");
    char *argv2[] = {"prog", "-r", "us-west-2", NULL};
    assert_int_equal(parse(&c, NULL, &n, pos, argv2), WC_OK);
    assert_string_equal(c.region, "us-west-2");
    unsetenv("WC_TEST_REGION");
}

static void positional_arguments_are_gathered(void **state)
{
    cfg c;
    int n;
    const char *pos[4];
    char *argv[] = {"prog", "s3", "b1", "-q", "dynamodb", "--", "-t", NULL};
    assert_int_equal(parse(&c, NULL, &n, pos, argv), WC_OK);
    assert_int_equal(n, 4);
    assert_string_equal(pos[0], "s3");
    assert_string_equal(pos[2], "dynamodb");
    assert_string_equal(pos[3], "-t");
}

static void bad_usage_is_named(void **state)
{
    cfg c;
    int n;
    const char *pos[4];
    wc_error err;
    char *a1[] = {"prog", "--bogus", NULL};
    assert_int_equal(parse(&c, &err, &n, pos, a1), WC_ERR_INVALID);
    assert_string_equal(err.msg, "unknown option \"--bogus\" (see --help)");
    char *a2[] = {"prog", "-rb", NULL};
    assert_int_equal(parse(&c, &err, &n, pos, a2), WC_ERR_INVALID);
    assert_string_equal(err.msg, "option -rb needs a value (BUCKET)");
    char *a3[] = {"prog", "-mrt", "12x", NULL};
    assert_int_equal(parse(&c, &err, &n, pos, a3), WC_ERR_INVALID);
    assert_string_equal(err.msg, "-mrt: \"12x\" is not a whole number");
    char *a4[] = {"prog", "--quiet=yes", NULL};
    assert_int_equal(parse(&c, &err, &n, pos, a4), WC_ERR_INVALID);
    assert_string_equal(err.msg, "option --quiet takes no value");
    char *a5[] = {"prog", "-mrt", "-5", NULL};
    assert_int_equal(parse(&c, &err, &n, pos, a5), WC_ERR_INVALID);
}

static void help_lists_every_option_with_default(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    wc_options_help(table, f);
    fclose(f);
    assert_non_null(strstr(buf, "-rb, --request-bucket BUCKET"));
    assert_non_null(strstr(buf, "(default: us-east-1) [env WC_TEST_REGION]"));
    assert_non_null(strstr(buf, "-mrt, --max-runtime MS"));
    assert_non_null(strstr(buf, "-q, --quiet"));
    free(buf);
}

static void parse_uint_is_strict(void **state)
{
    uint64_t v;
    assert_int_equal(wc_parse_uint("42", &v), WC_OK);
    assert_int_equal(v, 42);
    assert_int_equal(wc_parse_uint("", &v), WC_ERR_INVALID);
    assert_int_equal(wc_parse_uint(" 1", &v), WC_ERR_INVALID);
    assert_int_equal(wc_parse_uint("+1", &v), WC_ERR_INVALID);
    assert_int_equal(wc_parse_uint("99999999999999999999999", &v), WC_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_apply),
        cmocka_unit_test(short_long_and_equals_forms),
        cmocka_unit_test(environment_beats_default_and_argument_beats_environment),
        cmocka_unit_test(positional_arguments_are_gathered),
        cmocka_unit_test(bad_usage_is_named),
        cmocka_unit_test(help_lists_every_option_with_default),
        cmocka_unit_test(parse_uint_is_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
