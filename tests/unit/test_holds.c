/* Holds (consumer/holds.c): a widget waits behind its requests put back, each counted once, until
 * they are released or their hold runs out; misses counted with the time of the first; and the
 * work of many holds and misses, counted (map slots examined), not timed. */
#include "consumer/holds.h"
#include "common/clock.h"
#include "testutil.h"

#define KEPT 3600000

static void a_widget_waits_for_each_request_put_back(void **state)
{
    (void)state;
    wc_holds *h = wc_holds_new(KEPT);
    assert_non_null(h);
    assert_false(wc_holds_busy(h, "w1", 0));
    assert_int_equal(wc_holds_hold(h, "m1", "w1", 5000, 0), WC_OK);
    assert_int_equal(wc_holds_hold(h, "m1", "w1", 6000, 100), WC_OK); /* again: counted once */
    assert_int_equal(wc_holds_hold(h, "m2", "w1", 7000, 200), WC_OK);
    assert_int_equal(wc_holds_held(h), 2);
    assert_true(wc_holds_busy(h, "w1", 6999));
    assert_false(wc_holds_busy(h, "w1", 7000)); /* its hold ran out */
    assert_false(wc_holds_busy(h, "w2", 0));
    wc_holds_release(h, "m1", "w1");
    assert_true(wc_holds_busy(h, "w1", 300)); /* m2 still put back */
    wc_holds_release(h, "m1", "w1");          /* twice: nothing more */
    assert_true(wc_holds_busy(h, "w1", 300));
    wc_holds_release(h, "m2", "w1");
    assert_false(wc_holds_busy(h, "w1", 300));
    assert_int_equal(wc_holds_held(h), 0);
    assert_int_equal(wc_holds_records(h), 0);
    wc_holds_release(h, "never", "w9"); /* never held: nothing */
    wc_holds_free(h);
}

static void misses_count_from_the_first(void **state)
{
    (void)state;
    wc_holds *h = wc_holds_new(KEPT);
    uint64_t first = 0;
    assert_int_equal(wc_holds_miss(h, "m1", 1000, &first), 1);
    assert_int_equal(first, 1000);
    assert_int_equal(wc_holds_miss(h, "m1", 5000, &first), 2);
    assert_int_equal(first, 1000);
    /* A hold of the same request keeps its misses; its release forgets both. */
    assert_int_equal(wc_holds_hold(h, "m1", "w1", 9000, 5000), WC_OK);
    assert_int_equal(wc_holds_miss(h, "m1", 6000, &first), 3);
    wc_holds_forget_misses(h, "m1"); /* dead-lettered: the hold stays until released */
    assert_true(wc_holds_busy(h, "w1", 6000));
    assert_int_equal(wc_holds_miss(h, "m1", 7000, &first), 1);
    assert_int_equal(first, 7000);
    wc_holds_release(h, "m1", "w1");
    assert_int_equal(wc_holds_records(h), 0);
    assert_int_equal(wc_holds_miss(h, "m1", 8000, &first), 1);
    wc_holds_forget_misses(h, "m1");
    assert_int_equal(wc_holds_records(h), 0);
    wc_holds_free(h);
}

#define MANY 100000

/* Requests another consumer took are never released here: their records go once their time ran
 * out, in walks that cost O(1) amortized a call, so memory stays bounded and no call scans. */
static void what_ran_out_is_forgotten_at_bounded_cost(void **state)
{
    (void)state;
    wc_holds *h = wc_holds_new(1000);
    char key[32], widget[32];
    uint64_t first;
    for (int i = 0; i < MANY; i++) {
        snprintf(key, sizeof(key), "m%d", i);
        snprintf(widget, sizeof(widget), "w%d", i % 5000);
        uint64_t now = (uint64_t)i; /* one ms apart; holds and misses last 1 s */
        assert_int_equal(wc_holds_hold(h, key, widget, now + 1000, now), WC_OK);
        assert_int_equal(wc_holds_miss(h, key, now, &first), 1);
        assert_true(wc_holds_busy(h, widget, now));
    }
    /* Live: the last second's 1000 requests and their widgets; kept: at most twice that and the
     * floor. */
    assert_true(wc_holds_records(h) <= 2 * 2000 + 1000);
    assert_true(wc_holds_held(h) <= wc_holds_records(h));
    /* Those still live are still held. */
    assert_true(wc_holds_busy(h, "w4999", MANY - 1));
    /* Work: the hashed lookups, a few slots each, and the walks, amortized: a small constant a
     * call (a scan per call would be ~10^10). */
    assert_true(wc_holds_probes(h) <= 20 * (uint64_t)MANY);
    wc_holds_free(h);
}

/* What fn got, in order, as "k1 k2 ..." (issue 16); it stops after stop_after keys. */
static char woken[256];
static int stop_after;
static int note(void *ctx, const char *key)
{
    (void)ctx;
    strcat(woken, woken[0] ? " " : "");
    strcat(woken, key);
    return --stop_after != 0;
}

/* Requests waiting for their widget are handed over once, oldest first, when it is written; those
 * applied or whose hold ran out since are not; a widget's record going frees its list. */
static void requests_waiting_for_a_widget_are_woken_in_order_once(void **state)
{
    (void)state;
    wc_holds *h = wc_holds_new(KEPT);
    assert_int_equal(wc_holds_wait(h, "m0", "w1"), WC_ERR_NOT_FOUND); /* not held */
    for (int i = 1; i <= 4; i++) {
        char key[8];
        snprintf(key, sizeof(key), "m%d", i);
        assert_int_equal(wc_holds_hold(h, key, "w1", 5000, 0), WC_OK);
        assert_int_equal(wc_holds_wait(h, key, "w1"), WC_OK);
    }
    assert_int_equal(wc_holds_wait(h, "m2", "w1"), WC_OK); /* again: remembered once */
    wc_holds_release(h, "m3", "w1");                       /* applied meanwhile */
    woken[0] = '\0';
    stop_after = -1;
    assert_int_equal(wc_holds_wake(h, "w1", note, NULL), 3);
    assert_string_equal(woken, "m1 m2 m4");
    woken[0] = '\0';
    assert_int_equal(wc_holds_wake(h, "w1", note, NULL), 0); /* forgotten */
    assert_int_equal(wc_holds_wake(h, "w2", note, NULL), 0);
    /* fn stops the walk: the rest are forgotten all the same (they wait for their time). */
    assert_int_equal(wc_holds_wait(h, "m1", "w1"), WC_OK);
    assert_int_equal(wc_holds_wait(h, "m2", "w1"), WC_OK);
    stop_after = 1;
    assert_int_equal(wc_holds_wake(h, "w1", note, NULL), 1);
    assert_string_equal(woken, "m1");
    assert_int_equal(wc_holds_wake(h, "w1", note, NULL), 0);
    /* A hold that ran out is no longer waiting (swept with what ran out). */
    assert_int_equal(wc_holds_wait(h, "m4", "w1"), WC_OK);
    for (int i = 0; i < 2000; i++) {
        char key[16];
        snprintf(key, sizeof(key), "x%d", i);
        assert_int_equal(wc_holds_hold(h, key, key, 6000, 6000), WC_OK);
    }
    assert_int_equal(wc_holds_wake(h, "w1", note, NULL), 0);
    wc_holds_free(h); /* lists still kept are freed (valgrind) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_widget_waits_for_each_request_put_back),
        cmocka_unit_test(misses_count_from_the_first),
        cmocka_unit_test(requests_waiting_for_a_widget_are_woken_in_order_once),
        cmocka_unit_test(what_ran_out_is_forgotten_at_bounded_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
