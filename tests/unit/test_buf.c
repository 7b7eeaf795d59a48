/* The capped growing buffer (common/buf.h): growth past its first allocation, the NUL after the
 * bytes, the cap to the byte and the error that stays until reset, printf, take, secret buffers. */
#include "common/buf.h"
#include "testutil.h"

static void empty_is_an_empty_string(void **state)
{
    (void)state;
    wc_buf b;
    wc_buf_init(&b, 100);
    assert_string_equal(wc_buf_str(&b), "");
    assert_int_equal(b.len, 0);
    size_t len = 99;
    assert_null(wc_buf_take(&b, &len));
    assert_int_equal(len, 0);
    wc_buf_free(&b);
}

static void grows_and_stays_nul_terminated(void **state)
{
    (void)state;
    wc_buf b;
    wc_buf_init(&b, 1 << 20);
    char expect[10001];
    for (int i = 0; i < 10000; i++) {
        char c = (char)('a' + i % 26);
        assert_int_equal(wc_buf_add(&b, &c, 1), WC_OK);
        expect[i] = c;
        assert_int_equal(b.s[b.len], '\0');
    }
    expect[10000] = '\0';
    assert_int_equal(b.len, 10000);
    assert_true(b.alloc >= 10001);
    assert_true(b.alloc <= 2 * 10001); /* doubling: never more than twice what is used */
    assert_string_equal(wc_buf_str(&b), expect);
    wc_buf_free(&b);
    assert_null(b.s);
    assert_int_equal(b.len, 0);
}

static void the_cap_to_the_byte(void **state)
{
    (void)state;
    wc_buf b;
    wc_buf_init(&b, 8);
    assert_int_equal(wc_buf_addstr(&b, "1234"), WC_OK);
    assert_int_equal(wc_buf_addstr(&b, "5678"), WC_OK); /* exactly the cap */
    assert_string_equal(wc_buf_str(&b), "12345678");
    assert_true(b.alloc <= 9); /* never more than the cap can use */
    assert_int_equal(wc_buf_addstr(&b, ""), WC_OK);
    assert_int_equal(wc_buf_addstr(&b, "9"), WC_ERR_TOO_LARGE);
    /* Failed: the bytes are gone and every add says so until reset. */
    assert_null(b.s);
    assert_string_equal(wc_buf_str(&b), "");
    assert_int_equal(wc_buf_addstr(&b, "x"), WC_ERR_TOO_LARGE);
    assert_int_equal(wc_buf_printf(&b, "%d", 1), WC_ERR_TOO_LARGE);
    assert_null(wc_buf_take(&b, NULL));
    wc_buf_reset(&b);
    assert_int_equal(wc_buf_addstr(&b, "again"), WC_OK);
    assert_string_equal(wc_buf_str(&b), "again");
    wc_buf_free(&b);
}

static void one_add_over_the_cap_fails_whole(void **state)
{
    (void)state;
    wc_buf b;
    wc_buf_init(&b, 5);
    assert_int_equal(wc_buf_add(&b, "abcdef", 6), WC_ERR_TOO_LARGE);
    assert_int_equal(b.error, WC_ERR_TOO_LARGE);
    assert_int_equal(b.len, 0);
    wc_buf_free(&b);
    assert_int_equal(b.error, WC_OK);
}

static void printf_appends(void **state)
{
    (void)state;
    wc_buf b;
    wc_buf_init(&b, 4096);
    assert_int_equal(wc_buf_printf(&b, "%s=%d", "n", 42), WC_OK);
    assert_int_equal(wc_buf_printf(&b, ";%.3s", "abcdef"), WC_OK);
    assert_string_equal(wc_buf_str(&b), "n=42;abc");
    assert_int_equal(b.len, 8);
    char big[1000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(wc_buf_printf(&b, "%s", big), WC_OK); /* past the first allocation */
    assert_int_equal(b.len, 8 + 999);
    assert_int_equal(b.s[b.len], '\0');
    assert_int_equal(wc_buf_printf(&b, "%s%s%s%s", big, big, big, big), WC_ERR_TOO_LARGE);
    wc_buf_free(&b);
}

static void reset_keeps_memory_and_take_hands_over(void **state)
{
    (void)state;
    wc_buf b;
    wc_buf_init(&b, 64);
    assert_int_equal(wc_buf_addstr(&b, "first"), WC_OK);
    char *kept = b.s;
    wc_buf_reset(&b);
    assert_ptr_equal(b.s, kept);
    assert_string_equal(wc_buf_str(&b), "");
    assert_int_equal(wc_buf_add(&b, "a\0b", 3), WC_OK); /* bytes, NULs included */
    size_t len = 0;
    char *s = wc_buf_take(&b, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "a\0b", 4);
    assert_null(b.s);
    assert_int_equal(b.len, 0);
    free(s);
    wc_buf_free(&b);
}

/* A secret buffer (credentials): what it holds after growing past its first blocks, and its
 * reset zeroes the whole block it keeps. (That the blocks it left were zeroed before being freed
 * cannot be seen from here.) */
static void a_secret_buffer_grows_whole_and_zeroes_on_reset(void **state)
{
    (void)state;
    wc_buf b;
    wc_buf_init_secret(&b, 8192);
    char expect[5001];
    for (int i = 0; i < 5000; i++)
        expect[i] = (char)('A' + i % 26);
    expect[5000] = '\0';
    for (int i = 0; i < 5000; i += 100) /* through 256, 512, ... 8192 */
        assert_int_equal(wc_buf_add(&b, expect + i, 100), WC_OK);
    assert_int_equal(b.len, 5000);
    assert_string_equal(wc_buf_str(&b), expect);
    assert_true(b.alloc <= 2 * 5001);
    char *kept = b.s;
    size_t alloc = b.alloc;
    wc_buf_reset(&b);
    assert_ptr_equal(b.s, kept);
    for (size_t i = 0; i < alloc; i++)
        assert_int_equal(kept[i], 0);
    assert_int_equal(wc_buf_addstr(&b, "again"), WC_OK);
    assert_string_equal(wc_buf_str(&b), "again");
    /* A failure and a free leave it secret. */
    assert_int_equal(wc_buf_add(&b, expect, 5000), WC_OK);
    assert_int_equal(wc_buf_add(&b, expect, 5000), WC_ERR_TOO_LARGE);
    assert_null(b.s);
    wc_buf_free(&b);
    assert_true(b.secret);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_is_an_empty_string),
        cmocka_unit_test(grows_and_stays_nul_terminated),
        cmocka_unit_test(the_cap_to_the_byte),
        cmocka_unit_test(one_add_over_the_cap_fails_whole),
        cmocka_unit_test(printf_appends),
        cmocka_unit_test(reset_keeps_memory_and_take_hands_over),
        cmocka_unit_test(a_secret_buffer_grows_whole_and_zeroes_on_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
