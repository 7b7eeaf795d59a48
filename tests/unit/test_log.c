#include "common/clock.h"
#include "common/log.h"
#include "testutil.h"

static void level_names_parse(void **state)
{
    wc_log_level level;
    assert_int_equal(wc_log_level_parse("warn", &level, NULL), WC_OK);
    assert_int_equal(level, WC_LOG_WARN);
    wc_error err;
    assert_int_equal(wc_log_level_parse("loud", &level, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg, "log level \"loud\" is not one of debug, info, warn, error, off");
}

static void lines_go_to_the_file_with_timestamp_and_level(void **state)
{
    char *dir = make_temp_dir();
    char path[4096];
    snprintf(path, sizeof(path), "%s/consumer.log", dir);
    wc_log_to_stderr(0);
    assert_int_equal(wc_log_open(WC_LOG_INFO, path, NULL), WC_OK);
    wc_debug("hidden %d", 1);
    wc_info("request=%s outcome=applied", "1615728964574");
    wc_warn("careful");
    wc_log_close();
    char *text = read_text(dir, "consumer.log");
    assert_non_null(text);
    assert_null(strstr(text, "hidden"));
    /* 2026-11-21T14:30:00.123Z INFO  request=... */
    assert_int_equal(text[4], '-');
    assert_int_equal(text[10], 'T');
    assert_int_equal(text[23], 'Z');
    assert_non_null(strstr(text, "Z INFO  request=1615728964574 outcome=applied\n"));
    assert_non_null(strstr(text, "Z WARN  careful\n"));
    free(text);
    rm_rf(dir);
}

static int evaluated;
static const char *costly(void)
{
    evaluated++;
    return "x";
}

/* A line below the level is not formatted: its arguments are not even evaluated. */
static void lines_that_are_off_cost_nothing(void **state)
{
    wc_log_to_stderr(0);
    assert_int_equal(wc_log_open(WC_LOG_WARN, NULL, NULL), WC_OK);
    evaluated = 0;
    wc_debug("%s", costly());
    wc_info("%s", costly());
    assert_int_equal(evaluated, 0);
    wc_warn("%s", costly());
    assert_int_equal(evaluated, 1);
    wc_log_close();
    wc_log_to_stderr(1);
}

static void unwritable_log_file_is_an_error(void **state)
{
    wc_error err;
    assert_int_equal(wc_log_open(WC_LOG_INFO, "/nonexistent-dir/x.log", &err), WC_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.log"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(level_names_parse),
        cmocka_unit_test(lines_go_to_the_file_with_timestamp_and_level),
        cmocka_unit_test(lines_that_are_off_cost_nothing),
        cmocka_unit_test(unwritable_log_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
