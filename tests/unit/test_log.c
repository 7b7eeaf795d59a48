#include "common/clock.h"
#include "common/log.h"
#include "testutil.h"

#include <jansson.h>

/* Opens a fresh log file in a new directory (stderr off). */
static char *open_log(char **dir, wc_log_format format)
{
    *dir = make_temp_dir();
    char *path = wc_path_join(*dir, "consumer.log");
    wc_log_to_stderr(0);
    wc_log_set_format(format);
    assert_int_equal(wc_log_open(WC_LOG_INFO, path, NULL), WC_OK);
    return path;
}

/* Closes the log and returns its text. */
static char *close_log(char *dir, char *path)
{
    wc_log_close();
    wc_log_set_format(WC_LOG_TEXT);
    wc_log_to_stderr(1);
    free(path);
    char *text = read_text(dir, "consumer.log");
    assert_non_null(text);
    return text;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

#define FORGED "Sue\n2026-11-21T14:30:00.123Z INFO  request=fake outcome=applied"

/* The regression: a value with a newline and a line of its own in it stays on one line. */
static void a_value_cannot_forge_a_line_in_text(void **state)
{
    char *dir, *path = open_log(&dir, WC_LOG_TEXT);
    wc_log_kv(WC_LOG_INFO, NULL, WC_LF_S("request", "k1"), WC_LF_S("owner", FORGED),
              WC_LF_S("outcome", "dead-lettered"), WC_LF_Q("reason", "owner \"" FORGED "\""));
    wc_info("free text: %s", FORGED); /* the free text of a message too */
    char *text = close_log(dir, path);
    assert_int_equal(count_lines(text), 2);
    assert_non_null(strstr(text,
                           "INFO  request=k1 owner=\"Sue\\n2026-11-21T14:30:00.123Z INFO  "
                           "request=fake outcome=applied\" outcome=dead-lettered reason=\"owner "
                           "\\\"Sue\\n2026"));
    assert_non_null(
        strstr(text, "INFO  free text: Sue\\n2026-11-21T14:30:00.123Z INFO  request=fake"));
    /* No line starts with the forged one. */
    assert_null(strstr(text, "\n2026-11-21T14:30:00.123Z INFO  request=fake"));
    free(text);
    rm_rf(dir);
}

static void text_values_are_bare_only_when_plain(void **state)
{
    char *dir, *path = open_log(&dir, WC_LOG_TEXT);
    wc_log_kv(WC_LOG_WARN, NULL, WC_LF_S("a", "plain-Value_1.2"), WC_LF_S("b", "two words"),
              WC_LF_S("c", "k=v"), WC_LF_S("d", ""), WC_LF_S("e", "back\\slash"),
              WC_LF_S("f", "tab\tcr\rbell\a"), WC_LF_S("g", "line\xe2\x80\xa8sep"),
              WC_LF_S("h", "c1\xc2\x85"), WC_LF_S("i", "caf\xc3\xa9"), WC_LF_S("skipped", NULL),
              WC_LF_U("n", 42), WC_LF_MS("ms", 0.1056), WC_LF_R("rate", 12.34, 1));
    char *text = close_log(dir, path);
    assert_non_null(strstr(text, " WARN  a=plain-Value_1.2 b=\"two words\" c=\"k=v\" d=\"\" "
                                 "e=\"back\\\\slash\" f=\"tab\\tcr\\rbell\\x07\" "
                                 "g=\"line\\u2028sep\" h=\"c1\\u0085\" i=caf\xc3\xa9 n=42 ms=0.106 "
                                 "rate=12.3\n"));
    assert_null(strstr(text, "skipped"));
    free(text);
    rm_rf(dir);
}

/* JSON: one object a line, through jansson; the same fields, numbers as numbers. */
static void json_lines_hold_the_same_fields(void **state)
{
    char *dir, *path = open_log(&dir, WC_LOG_JSON);
    wc_log_kv(WC_LOG_INFO, NULL, WC_LF_S("request", "k1"), WC_LF_S("requestId", "r1"),
              WC_LF_S("owner", FORGED), WC_LF_S("outcome", "applied"), WC_LF_U("attempt", 3),
              WC_LF_MS("ms", 0.106), WC_LF_S("none", NULL));
    wc_warn("careful: %s", "bad \xff byte");
    wc_debug("hidden");
    char *text = close_log(dir, path);
    assert_int_equal(count_lines(text), 2);
    char *second = strchr(text, '\n') + 1;
    second[-1] = '\0';
    json_error_t jerr;
    json_t *a = json_loads(text, 0, &jerr);
    assert_non_null(a);
    assert_int_equal(json_object_size(a), 8);
    assert_string_equal(json_string_value(json_object_get(a, "level")), "INFO");
    const char *time = json_string_value(json_object_get(a, "time"));
    assert_non_null(time);
    assert_int_equal(strlen(time), 24);
    assert_int_equal(time[23], 'Z');
    assert_null(json_object_get(a, "msg"));
    assert_string_equal(json_string_value(json_object_get(a, "request")), "k1");
    assert_string_equal(json_string_value(json_object_get(a, "owner")), FORGED);
    assert_int_equal(json_integer_value(json_object_get(a, "attempt")), 3);
    assert_true(json_is_real(json_object_get(a, "ms")));
    assert_non_null(strstr(text, "\"ms\":0.106}"));
    assert_null(json_object_get(a, "none"));
    json_t *b = json_loads(second, 0, &jerr);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "level")), "WARN");
    assert_string_equal(json_string_value(json_object_get(b, "msg")), "careful: bad ? byte");
    json_decref(a);
    json_decref(b);
    free(text);
    rm_rf(dir);
}

static void format_names_parse(void **state)
{
    wc_log_format format;
    assert_int_equal(wc_log_format_parse("json", &format, NULL), WC_OK);
    assert_int_equal(format, WC_LOG_JSON);
    assert_int_equal(wc_log_format_parse("text", &format, NULL), WC_OK);
    assert_int_equal(format, WC_LOG_TEXT);
    wc_error err;
    assert_int_equal(wc_log_format_parse("xml", &format, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg, "log format \"xml\" is not text or json");
}

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

/* A requestId of 6,000 characters (issue 15): capped with a marker, the line never cut. JSON:
 * every line parses and keeps its fields after the long one; text: the line ends with them. */
static void a_long_field_is_capped_not_the_line(void **state)
{
    char *id = malloc(6001);
    memset(id, 'a', 6000);
    id[6000] = '\0';
    char *ctl = malloc(3001); /* every byte escaped: \x01 is four bytes in a text line */
    memset(ctl, 1, 3000);
    ctl[3000] = '\0';
    for (int json = 1; json >= 0; json--) {
        char *dir, *path = open_log(&dir, json ? WC_LOG_JSON : WC_LOG_TEXT);
        wc_log_kv(WC_LOG_INFO, NULL, WC_LF_S("request", "k1"), WC_LF_S("requestId", id),
                  WC_LF_Q("reason", ctl), WC_LF_S("outcome", "dead-lettered"), WC_LF_MS("ms", 1.5));
        char *text = close_log(dir, path);
        assert_int_equal(count_lines(text), 1);
        if (json) {
            json_error_t jerr;
            json_t *o = json_loads(text, 0, &jerr);
            if (!o)
                fail_msg("not JSON: %s", jerr.text);
            assert_string_equal(json_string_value(json_object_get(o, "outcome")), "dead-lettered");
            const char *rid = json_string_value(json_object_get(o, "requestId"));
            assert_int_equal(strncmp(rid, id, 1024), 0);
            assert_string_equal(rid + 1024, "\xe2\x80\xa6(6000 bytes)");
            json_decref(o);
        } else {
            assert_non_null(strstr(text, " outcome=dead-lettered ms=1.500\n"));
        }
        assert_non_null(strstr(text, "\xe2\x80\xa6(6000 bytes)"));
        assert_non_null(strstr(text, "\xe2\x80\xa6(3000 bytes)"));
        free(text);
        rm_rf(dir);
    }
    free(id);
    free(ctl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(level_names_parse),
        cmocka_unit_test(lines_go_to_the_file_with_timestamp_and_level),
        cmocka_unit_test(lines_that_are_off_cost_nothing),
        cmocka_unit_test(unwritable_log_file_is_an_error),
        cmocka_unit_test(a_value_cannot_forge_a_line_in_text),
        cmocka_unit_test(text_values_are_bare_only_when_plain),
        cmocka_unit_test(json_lines_hold_the_same_fields),
        cmocka_unit_test(format_names_parse),
        cmocka_unit_test(a_long_field_is_capped_not_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
