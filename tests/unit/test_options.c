#include "common/clock.h"
#include "common/options.h"
#include "testutil.h"

typedef struct {
    const char *bucket;
    const char *region;
    uint64_t runtime;
    int quiet, help;
} cfg;

/* The rows of both tables: without --help (table) and with it, under WC_T_ (ptable). */
/* clang-format off */
#define ROWS                                                                                       \
    WC_STR_OPT("request-bucket", "rb", "BUCKET", NULL, offsetof(cfg, bucket), "b"),                \
    {"region", "r", WC_OPT_STRING, "REGION", "us-east-1", "WC_TEST_REGION", offsetof(cfg, region), "r"}, \
    WC_UINT_OPT("max-runtime", "mrt", "MS", "0", offsetof(cfg, runtime), "m"),                     \
    WC_FLAG_OPT("quiet", "q", offsetof(cfg, quiet), "q")
static const wc_option table[] = {ROWS, WC_OPTIONS_END};
static const wc_option ptable[] = {ROWS, WC_FLAG_OPT("help", "h", offsetof(cfg, help), "h"), WC_OPTIONS_END};
/* clang-format on */

static wc_result parse(cfg *c, wc_error *err, int *npos, const char **pos, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    memset(c, 0, sizeof(*c));
    return wc_options_parse_env(table, NULL, c, argc, argv, pos, 4, npos, err);
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
    wc_options_help_env(table, NULL, f);
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

static wc_result pparse(cfg *c, wc_error *err, char **argv)
{
    int argc = 0, n;
    const char *pos[4];
    while (argv[argc])
        argc++;
    memset(c, 0, sizeof(*c));
    return wc_options_parse_env(ptable, "WC_T_", c, argc, argv, pos, 4, &n, err);
}

static void clear_program_env(void)
{
    unsetenv("WC_T_REQUEST_BUCKET");
    unsetenv("WC_T_REGION");
    unsetenv("WC_TEST_REGION");
    unsetenv("WC_T_MAX_RUNTIME");
    unsetenv("WC_T_QUIET");
    unsetenv("WC_T_HELP");
}

/* Every option from PREFIX + its long name; then the option's own variable; argv wins. */
static void every_option_from_the_program_environment(void **state)
{
    cfg c;
    wc_error err;
    clear_program_env();
    setenv("WC_T_REQUEST_BUCKET", "from-env", 1);
    setenv("WC_T_MAX_RUNTIME", "2500", 1);
    setenv("WC_TEST_REGION", "eu-west-1", 1);
    setenv("WC_T_QUIET", "TRUE", 1);
    setenv("WC_T_HELP", "1", 1); /* never from the environment */
    char *argv1[] = {"prog", NULL};
    assert_int_equal(pparse(&c, &err, argv1), WC_OK);
    assert_string_equal(c.bucket, "from-env");
    assert_int_equal(c.runtime, 2500);
    assert_string_equal(c.region, "eu-west-1"); /* the option's own variable */
    assert_int_equal(c.quiet, 1);
    assert_int_equal(c.help, 0);
    setenv("WC_T_REGION", "ap-south-1", 1); /* the program's variable beats the option's own */
    setenv("WC_T_QUIET", "off", 1);
    setenv("WC_T_MAX_RUNTIME", "", 1); /* empty: unset */
    assert_int_equal(pparse(&c, &err, argv1), WC_OK);
    assert_string_equal(c.region, "ap-south-1");
    assert_int_equal(c.quiet, 0);
    assert_int_equal(c.runtime, 0);
    char *argv2[] = {"prog", "-rb", "from-argv", "--region=us-west-2", "-mrt", "7", "-q", NULL};
    assert_int_equal(pparse(&c, &err, argv2), WC_OK);
    assert_string_equal(c.bucket, "from-argv");
    assert_string_equal(c.region, "us-west-2");
    assert_int_equal(c.runtime, 7);
    assert_int_equal(c.quiet, 1);
    setenv("WC_T_MAX_RUNTIME", "soon", 1);
    assert_int_equal(pparse(&c, &err, argv1), WC_ERR_INVALID);
    assert_string_equal(err.msg, "WC_T_MAX_RUNTIME: \"soon\" is not a whole number");
    unsetenv("WC_T_MAX_RUNTIME");
    setenv("WC_T_QUIET", "maybe", 1);
    assert_int_equal(pparse(&c, &err, argv1), WC_ERR_INVALID);
    assert_string_equal(err.msg, "WC_T_QUIET: \"maybe\" is not true or false");
    clear_program_env();
    /* Without a prefix, only the options' own variables. */
    setenv("WC_T_REQUEST_BUCKET", "ignored", 1);
    cfg plain;
    int n;
    const char *pos[4];
    memset(&plain, 0, sizeof(plain));
    assert_int_equal(wc_options_parse_env(table, NULL, &plain, 1, argv1, pos, 4, &n, NULL), WC_OK);
    assert_null(plain.bucket);
    clear_program_env();
}

static void help_names_the_program_variables(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    wc_options_help_env(ptable, "WC_T_", f);
    fclose(f);
    assert_non_null(strstr(buf, "-rb, --request-bucket BUCKET"));
    assert_non_null(strstr(buf, " b [env WC_T_REQUEST_BUCKET]\n"));
    assert_non_null(strstr(buf, "(default: us-east-1) [env WC_T_REGION, WC_TEST_REGION]\n"));
    assert_non_null(strstr(buf, " h\n")); /* --help has none */
    free(buf);
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
        cmocka_unit_test(every_option_from_the_program_environment),
        cmocka_unit_test(help_names_the_program_variables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
