/* Deferred messages kept in hand (sources/kept.c, issue 16): due on their timers in due order, at
 * once when hurried (after those due already), bounded by count and bytes, copied field by field
 * with their handle taken over, and handed back whole at a stop. */
#include <jansson.h>

#include "common/loop.h"
#include "sources/kept.h"
#include "testutil.h"

static int dues;
static void on_due(void *ctx)
{
    (void)ctx;
    dues++;
}

/* A message as a source hands it out (heap strings, a heap handle). */
static wc_message message(const char *key, const char *body)
{
    wc_message m;
    memset(&m, 0, sizeof(m));
    m.key = strdup(key);
    m.body = strdup(body);
    m.len = strlen(body);
    m.place = strdup("1700000000000-0000000001");
    m.handle = strdup(key);
    return m;
}

static void keep(wc_kept *k, const char *key, const char *body, uint64_t delay, wc_result want)
{
    wc_message m = message(key, body);
    assert_int_equal(wc_kept_keep(k, &m, 1, delay), want);
    if (want == WC_OK)
        assert_null(m.handle); /* taken over */
    free(m.handle);
    wc_message_cleanup(&m);
}

static void take(wc_kept *k, const char *key)
{
    wc_message m;
    assert_int_equal(wc_kept_take(k, &m), 1);
    assert_string_equal(m.key, key);
    assert_string_equal(m.handle, key);
    assert_string_equal(m.place, "1700000000000-0000000001");
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.len, strlen(m.body));
    free(m.handle);
    wc_message_cleanup(&m);
}

typedef struct {
    fake_time t;
    wc_clock clock;
    wc_loop *loop;
    wc_kept *k;
} fixture;

static const wc_source_notifier notifier = {on_due, NULL};

/* A set of at most 3 messages and 20 bytes of bodies, on a loop whose fake clock reads 1000. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->t.now = 1000;
    f->clock = (wc_clock){fake_now, fake_sleep, &f->t, NULL};
    f->loop = wc_loop_new(&f->clock);
    f->k = wc_kept_new(f->loop, 3, 20, &notifier);
    dues = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_kept_free(f->k);
    wc_loop_free(f->loop);
    free(f);
    return 0;
}

static void due_in_order_hurried_first_bounded_and_handed_back(void **state)
{
    fixture *f = *state;
    wc_kept *k = f->k;
    keep(k, "a", "0123456789", 300, WC_OK);
    keep(k, "b", "01234", 100, WC_OK);
    keep(k, "b", "01234", 100, WC_ERR_BUSY);      /* kept already */
    keep(k, "c", "0123456789", 100, WC_ERR_BUSY); /* 25 bytes: over 20 */
    keep(k, "c", "01234", 200, WC_OK);
    keep(k, "d", "", 100, WC_ERR_BUSY); /* three kept already */
    assert_int_equal(wc_kept_count(k), 3);
    wc_message m;
    assert_int_equal(wc_kept_take(k, &m), 0); /* none due */
    /* Hurried: due now, no timer waited for. */
    assert_int_equal(wc_kept_hurry(k, "c"), 1);
    assert_int_equal(wc_kept_hurry(k, "c"), 0); /* due already */
    assert_int_equal(wc_kept_hurry(k, "x"), 0); /* not kept */
    take(k, "c");
    assert_int_equal(f->t.now, 1000);
    /* The others when their time comes, telling the source. */
    while (dues == 0)
        wc_loop_turn(f->loop, -1);
    assert_int_equal(f->t.now, 1100);
    take(k, "b");
    assert_int_equal(wc_kept_take(k, &m), 0);
    keep(k, "e", "01234", 500, WC_OK); /* room again: bytes and count given back */
    /* A stop: the rest handed back with the time each had left. */
    uint64_t left = 0;
    int n = 0;
    while (wc_kept_take_any(k, &m, &left)) {
        assert_int_equal(left, strcmp(m.key, "a") == 0 ? 200 : 500);
        free(m.handle);
        wc_message_cleanup(&m);
        n++;
    }
    assert_int_equal(n, 2);
    assert_int_equal(wc_kept_count(k), 0);
    keep(k, "f", "x", 100, WC_OK); /* freed with the set (valgrind: nothing lost) */
    /* The parsed body stays the caller's (freed by its cleanup): the kept copy parses again. */
    wc_message d = message("g", "{\"n\":1}");
    json_t *doc = wc_message_doc(&d);
    assert_non_null(doc);
    assert_int_equal(wc_kept_keep(k, &d, 1, 100), WC_OK);
    assert_ptr_equal(d.doc, doc);
    wc_message_cleanup(&d);
    assert_int_equal(wc_kept_hurry(k, "g"), 1);
    assert_int_equal(wc_kept_take(k, &m), 1);
    assert_string_equal(m.key, "g");
    assert_null(m.doc);
    assert_int_equal(m.doc_tried, 0);
    assert_int_equal(json_integer_value(json_object_get(wc_message_doc(&m), "n")), 1);
    free(m.handle);
    wc_message_cleanup(&m);
}

/* A message delivered again while a copy of it is kept: the copy is taken out by its key, due or
 * not, and no longer comes due. */
static void a_copy_is_taken_out_by_its_key(void **state)
{
    fixture *f = *state;
    wc_kept *k = f->k;
    keep(k, "a", "{}", 100, WC_OK);
    keep(k, "b", "{}", 100, WC_OK);
    wc_message m;
    assert_int_equal(wc_kept_take_key(k, "c", &m), 0);
    assert_int_equal(wc_kept_take_key(k, "a", &m), 1);
    assert_string_equal(m.key, "a");
    assert_string_equal(m.handle, "a");
    free(m.handle);
    wc_message_cleanup(&m);
    assert_int_equal(wc_kept_count(k), 1);
    assert_int_equal(wc_kept_take_key(k, "a", &m), 0);
    f->t.now += 100;
    wc_loop_turn(f->loop, 0);
    assert_int_equal(dues, 1); /* b alone */
    take(k, "b");
    assert_int_equal(wc_kept_take(k, &m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(due_in_order_hurried_first_bounded_and_handed_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_copy_is_taken_out_by_its_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
