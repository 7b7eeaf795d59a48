/* Deferrals (sources/deferrals.c): the tries and due times of deferred keys, mark and sweep, and
 * the work of a sharded listing, counted (entries examined), not timed. */
#include "sources/deferrals.h"
#include "common/clock.h"
#include "testutil.h"

static void defer_wait_mark_and_sweep(void **state)
{
    (void)state;
    wc_deferrals *d = wc_deferrals_new();
    assert_int_equal(wc_deferrals_attempts(d, "k1"), 0);
    assert_int_equal(wc_deferrals_defer(d, "k1", 1, 1000), WC_OK);
    assert_int_equal(wc_deferrals_defer(d, "k2", 2, 3000), WC_OK);
    assert_int_equal(wc_deferrals_defer(d, "k1", 3, 2000), WC_OK); /* again: updated */
    assert_int_equal(wc_deferrals_count(d), 2);
    assert_int_equal(wc_deferrals_attempts(d, "k1"), 3);
    assert_true(wc_deferrals_waiting(d, "k1", 1999));
    assert_false(wc_deferrals_waiting(d, "k1", 2000));
    assert_true(wc_deferrals_waiting(d, "k2", 2999));
    assert_false(wc_deferrals_waiting(d, "k2", 3000));
    wc_deferrals_unmark_all(d);
    wc_deferrals_mark(d, "k2");
    wc_deferrals_mark(d, "absent"); /* marks nothing: not added */
    wc_deferrals_sweep(d);
    assert_int_equal(wc_deferrals_count(d), 1);
    assert_int_equal(wc_deferrals_attempts(d, "k2"), 2);
    wc_deferrals_forget(d, "k2");
    assert_int_equal(wc_deferrals_count(d), 0);
    assert_int_equal(wc_deferrals_defer(d, "k3", 1, 1), WC_OK);
    wc_deferrals_forget(d, "k3");
    assert_int_equal(wc_deferrals_attempts(d, "k3"), 0);
    wc_deferrals_free(d);
}

#define FOREIGN 20000

/* Issue 15 item 7: with --shard, every listing checks each key of the other shards against the
 * set of them (dir_source.c, s3_source.c: attempts, then mark, then sweep). A plain array made
 * that O(n^2): 20,000 foreign keys cost 400 million comparisons a listing. Hashed, it examines a
 * few entries a key. */
static void a_sharded_listing_examines_a_few_entries_a_key(void **state)
{
    (void)state;
    wc_deferrals *foreign = wc_deferrals_new();
    char key[32];
    for (int i = 0; i < FOREIGN; i++) {
        snprintf(key, sizeof(key), "%013d", 1615728964 + i);
        assert_int_equal(wc_deferrals_defer(foreign, key, 1, UINT64_MAX), WC_OK);
    }
    uint64_t before = wc_deferrals_probes(foreign);
    wc_deferrals_unmark_all(foreign);
    for (int i = 0; i < FOREIGN; i++) { /* one listing, as dir_source.c's scan does it */
        snprintf(key, sizeof(key), "%013d", 1615728964 + i);
        assert_int_equal(wc_deferrals_attempts(foreign, key), 1);
        wc_deferrals_mark(foreign, key);
    }
    wc_deferrals_sweep(foreign);
    uint64_t examined = wc_deferrals_probes(foreign) - before;
    assert_int_equal(wc_deferrals_count(foreign), FOREIGN);
    assert_true(examined <= 2 * 3 * (uint64_t)FOREIGN); /* two lookups a key, a few entries each */
    wc_deferrals_free(foreign);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defer_wait_mark_and_sweep),
        cmocka_unit_test(a_sharded_listing_examines_a_few_entries_a_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
