#include "aws/retry.h"
#include "common/clock.h"
#include "testutil.h"

static wc_aws_error err_of(long status, const char *code)
{
    wc_aws_error e;
    memset(&e, 0, sizeof(e));
    e.status = status;
    snprintf(e.code, sizeof(e.code), "%s", code);
    return e;
}

static void what_is_retried(void **state)
{
    wc_aws_error e;
    e = err_of(0, "NetworkError");
    assert_true(wc_retry_is_retryable(&e));
    e = err_of(500, "InternalError");
    assert_true(wc_retry_is_retryable(&e));
    e = err_of(503, "SlowDown");
    assert_true(wc_retry_is_retryable(&e));
    e = err_of(429, "TooManyRequests");
    assert_true(wc_retry_is_retryable(&e));
    e = err_of(400, "ProvisionedThroughputExceededException");
    assert_true(wc_retry_is_retryable(&e));
    e = err_of(400, "ThrottlingException");
    assert_true(wc_retry_is_retryable(&e));
    /* Client errors are final. */
    e = err_of(400, "ValidationException");
    assert_false(wc_retry_is_retryable(&e));
    e = err_of(404, "NoSuchBucket");
    assert_false(wc_retry_is_retryable(&e));
    e = err_of(403, "SignatureDoesNotMatch");
    assert_false(wc_retry_is_retryable(&e));
    e = err_of(400, "ConditionalCheckFailedException");
    assert_false(wc_retry_is_retryable(&e));
}

/* Injected randomness: the highest and the lowest value, to see the ceilings. */
static uint64_t highest(void *s, uint64_t n)
{
    (void)s;
    return n;
}
static uint64_t lowest(void *s, uint64_t n)
{
    (void)s;
    (void)n;
    return 0;
}

static void backoff_is_capped_exponential_with_full_jitter(void **state)
{
    wc_retry_policy p = {.base_ms = 50, .cap_ms = 1000, .random = highest};
    assert_int_equal(wc_retry_delay_full_jitter(&p, 0), 50);
    assert_int_equal(wc_retry_delay_full_jitter(&p, 1), 100);
    assert_int_equal(wc_retry_delay_full_jitter(&p, 3), 400);
    assert_int_equal(wc_retry_delay_full_jitter(&p, 5), 1000);
    assert_int_equal(wc_retry_delay_full_jitter(&p, 40), 1000);
    p.random = lowest;
    assert_int_equal(wc_retry_delay_full_jitter(&p, 5), 0);
    /* Without injection: always within [0, ceiling]. */
    p.random = NULL;
    for (int i = 0; i < 1000; i++)
        assert_in_range(wc_retry_delay_full_jitter(&p, 2), 0, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(what_is_retried),
        cmocka_unit_test(backoff_is_capped_exponential_with_full_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
