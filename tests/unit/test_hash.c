/* FNV-1a (common/hash.h): its values are stored and shared (shard assignment, file names), so
 * they are pinned here, from the published test vectors and an independent computation. */
#include "common/hash.h"

#include <string.h>

#include "testutil.h"

static void fnv1a_32_matches_the_published_vectors(void **state)
{
    (void)state;
    assert_int_equal(wc_fnv1a32("", 0), 0x811c9dc5u);
    assert_int_equal(wc_fnv1a32("a", 1), 0xe40c292cu);
    assert_int_equal(wc_fnv1a32("foobar", 6), 0xbf9cf968u);
    /* bytes over 0x7f count as unsigned, whatever char is */
    const char *s = "\xc3\xa9-widget 7.next";
    assert_int_equal(wc_fnv1a32(s, strlen(s)), 0x7d18cae4u);
    /* n bytes, not up to a NUL */
    assert_int_equal(wc_fnv1a32("foobar!", 6), 0xbf9cf968u);
    assert_int_not_equal(wc_fnv1a32("a\0b", 3), wc_fnv1a32("a", 1));
}

static void fnv1a_64_matches_the_published_vectors(void **state)
{
    (void)state;
    assert_true(wc_fnv1a64("", 0) == 0xcbf29ce484222325ull);
    assert_true(wc_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(wc_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
    const char *s = "\xc3\xa9-widget 7.next";
    assert_true(wc_fnv1a64(s, strlen(s)) == 0xd435fe2fd5eb6884ull);
    assert_true(wc_fnv1a64("foobar!", 6) == 0x85944171f73967e8ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fnv1a_32_matches_the_published_vectors),
        cmocka_unit_test(fnv1a_64_matches_the_published_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
