/* The hashed string map (common/strmap.c): SipHash against its reference vector, put, get and
 * remove, walking by index while removing, and the work of lookups counted (slots examined), not
 * timed. */
#include "common/strmap.h"
#include "common/clock.h"
#include "testutil.h"

static const unsigned char SEED[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* The reference vector of the SipHash paper (Appendix A): key 00..0f, message 00..0e. */
static void siphash_matches_the_reference_vector(void **state)
{
    (void)state;
    unsigned char msg[15];
    for (int i = 0; i < 15; i++)
        msg[i] = (unsigned char)i;
    assert_true(wc_siphash(SEED, msg, sizeof(msg)) == 0xa129ca6149be45e5ull);
    unsigned char other[16] = {1};
    assert_true(wc_siphash(other, msg, sizeof(msg)) != 0xa129ca6149be45e5ull);
}

static void put_get_remove(void **state)
{
    (void)state;
    wc_strmap *m = wc_strmap_new(sizeof(int));
    assert_non_null(m);
    assert_null(wc_strmap_get(m, "a"));
    assert_int_equal(wc_strmap_remove(m, "a"), 0);
    int added = -1;
    int *v = wc_strmap_put(m, "a", &added);
    assert_non_null(v);
    assert_int_equal(added, 1);
    assert_int_equal(*v, 0); /* zeroed */
    *v = 7;
    v = wc_strmap_put(m, "a", &added);
    assert_int_equal(added, 0);
    assert_int_equal(*v, 7);
    *(int *)wc_strmap_put(m, "", NULL) = 9; /* the empty key is a key */
    assert_int_equal(wc_strmap_count(m), 2);
    assert_int_equal(*(int *)wc_strmap_get(m, ""), 9);
    assert_int_equal(wc_strmap_remove(m, "a"), 1);
    assert_null(wc_strmap_get(m, "a"));
    assert_int_equal(*(int *)wc_strmap_get(m, ""), 9);
    assert_int_equal(wc_strmap_count(m), 1);
    wc_strmap_free(m);
    wc_strmap_free(NULL);
}

#define MANY 100000

/* 100,000 keys shaped like request keys: every one found with its value, half removed (by key
 * and by index), the rest still there; a lookup examines about one or two slots, whatever n. */
static void many_keys_cost_a_few_probes_each(void **state)
{
    (void)state;
    wc_strmap *m = wc_strmap_new_seeded(sizeof(size_t), SEED);
    char key[64];
    for (size_t i = 0; i < MANY; i++) {
        snprintf(key, sizeof(key), "requests/%013zu", 1615728964574 + i);
        *(size_t *)wc_strmap_put(m, key, NULL) = i;
    }
    assert_int_equal(wc_strmap_count(m), MANY);
    uint64_t before = wc_strmap_probes(m);
    for (size_t i = 0; i < MANY; i++) {
        snprintf(key, sizeof(key), "requests/%013zu", 1615728964574 + i);
        size_t *v = wc_strmap_get(m, key);
        assert_non_null(v);
        assert_int_equal(*v, i);
    }
    uint64_t hits = wc_strmap_probes(m) - before;
    before = wc_strmap_probes(m);
    for (size_t i = 0; i < MANY; i++) {
        snprintf(key, sizeof(key), "others/%013zu", 1615728964574 + i);
        assert_null(wc_strmap_get(m, key));
    }
    uint64_t misses = wc_strmap_probes(m) - before;
    /* At most half full with linear probing: about 1.5 slots a hit and 2.5 a miss on average. */
    assert_true(hits <= 3 * MANY);
    assert_true(misses <= 5 * MANY);
    /* Remove the odd ones by key, then walk by index removing every third of what is left. */
    for (size_t i = 1; i < MANY; i += 2) {
        snprintf(key, sizeof(key), "requests/%013zu", 1615728964574 + i);
        assert_int_equal(wc_strmap_remove(m, key), 1);
    }
    assert_int_equal(wc_strmap_count(m), MANY / 2);
    size_t removed = 0;
    for (size_t i = 0; i < wc_strmap_count(m);) {
        size_t v = *(size_t *)wc_strmap_value_at(m, i);
        snprintf(key, sizeof(key), "requests/%013zu", 1615728964574 + v);
        assert_string_equal(wc_strmap_key_at(m, i), key);
        if (v % 3 == 0) {
            wc_strmap_remove_at(m, i);
            removed++;
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < MANY; i++) {
        snprintf(key, sizeof(key), "requests/%013zu", 1615728964574 + i);
        size_t *v = wc_strmap_get(m, key);
        if (i % 2 == 1 || i % 3 == 0) {
            assert_null(v);
        } else {
            assert_non_null(v);
            assert_int_equal(*v, i);
        }
    }
    assert_int_equal(wc_strmap_count(m), MANY / 2 - removed);
    wc_strmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(siphash_matches_the_reference_vector),
        cmocka_unit_test(put_get_remove),
        cmocka_unit_test(many_keys_cost_a_few_probes_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
