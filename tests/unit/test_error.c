#include "common/clock.h"
#include "common/error.h"
#include "testutil.h"

static void set_fills_code_and_message(void **state)
{
    wc_error err;
    assert_int_equal(wc_error_set(&err, WC_ERR_INVALID, "owner \"%s\" is bad", "J0hn"),
                     WC_ERR_INVALID);
    assert_int_equal(err.code, WC_ERR_INVALID);
    assert_string_equal(err.msg, "owner \"J0hn\" is bad");
}

static void set_accepts_null(void **state)
{
    assert_int_equal(wc_error_set(NULL, WC_ERR_IO, "x"), WC_ERR_IO);
    wc_error_prefix(NULL, "y");
}

static void prefix_prepends(void **state)
{
    wc_error err;
    wc_error_set(&err, WC_ERR_INVALID, "type is missing");
    wc_error_prefix(&err, "request %s: ", "1615728964574");
    assert_string_equal(err.msg, "request 1615728964574: type is missing");
}

static void prefix_cuts_the_end_not_the_start(void **state)
{
    wc_error err;
    char longmsg[WC_ERROR_MAX + 100];
    memset(longmsg, 'x', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    wc_error_set(&err, WC_ERR_INVALID, "%s", longmsg);
    wc_error_prefix(&err, "request 7: ");
    assert_int_equal(strlen(err.msg), WC_ERROR_MAX - 1);
    assert_memory_equal(err.msg, "request 7: xxx", 14);
}

/* The refused-certificate fact belongs to the error it came with: kept by a prefix and a copy,
 * gone with a new error or a clear. */
static void tls_refused_is_kept_by_prefix_and_cleared_by_a_new_error(void **state)
{
    wc_error err;
    wc_error_set(&err, WC_ERR_REJECTED, "TLSError: TLS verification of https://x failed");
    assert_false(err.tls_refused);
    err.tls_refused = 1;
    wc_error_prefix(&err, "ECS container credentials: ");
    wc_error copy = err;
    assert_true(copy.tls_refused);
    wc_error_set(&err, WC_ERR_IO, "TLSError: only words");
    assert_false(err.tls_refused);
    copy.tls_refused = 1;
    wc_error_clear(&copy);
    assert_false(copy.tls_refused);
}

static void result_names(void **state)
{
    assert_string_equal(wc_result_name(WC_OK), "ok");
    assert_string_equal(wc_result_name(WC_ERR_NOT_FOUND), "not-found");
    assert_string_equal(wc_result_name(WC_ERR_TOO_LARGE), "too-large");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_fills_code_and_message),
        cmocka_unit_test(set_accepts_null),
        cmocka_unit_test(prefix_prepends),
        cmocka_unit_test(prefix_cuts_the_end_not_the_start),
        cmocka_unit_test(tls_refused_is_kept_by_prefix_and_cleared_by_a_new_error),
        cmocka_unit_test(result_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
