#include "common/clock.h"
#include "sources/dir_source.h"
#include "sources/shard.h"
#include "testutil.h"

static void parse_k_of_n(void **state)
{
    wc_shard s;
    assert_int_equal(wc_shard_parse("2/3", &s, NULL), WC_OK);
    assert_int_equal(s.index, 2);
    assert_int_equal(s.count, 3);
    const char *bad[] = {"3/3", "1", "/3", "a/3", "1/0", "0/2000", "1/3x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wc_error err;
        assert_int_equal(wc_shard_parse(bad[i], &s, &err), WC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "expected K/N"));
    }
}

static void one_widget_one_shard_and_every_request_one_owner(void **state)
{
    wc_shard shards[3] = {{0, 3}, {1, 3}, {2, 3}};
    int per_shard[3] = {0};
    for (int w = 0; w < 300; w++) {
        char body[64], key[32];
        snprintf(body, sizeof(body), "{\"widgetId\":\"widget-%d\",\"type\":\"create\"}", w);
        int owners = 0, owner = -1;
        for (int k = 0; k < 3; k++) {
            snprintf(key, sizeof(key), "%013d", w * 7 + k); /* the key does not matter */
            if (wc_shard_owns(&shards[k], key, body, strlen(body))) {
                owners++;
                owner = k;
            }
        }
        assert_int_equal(owners, 1);
        per_shard[owner]++;
    }
    for (int k = 0; k < 3; k++)
        assert_in_range(per_shard[k], 70, 130); /* spread evenly enough */
    /* Not JSON: by key, still exactly one owner. */
    int owners = 0;
    for (int k = 0; k < 3; k++)
        owners += wc_shard_owns(&shards[k], "1615728964574", "not json", 8);
    assert_int_equal(owners, 1);
    wc_shard none = {0, 1};
    assert_true(wc_shard_owns(&none, "k", NULL, 0));
}

/* The owner is FNV-1a 32 of the widgetId (else the key) mod N, a value every consumer of a
 * fleet must agree on, before and after an upgrade: pinned. */
static void the_owner_is_fnv1a_of_the_widget_id_mod_n(void **state)
{
    const char *a = "{\"widgetId\":\"a\"}", *foobar = "{\"widgetId\":\"foobar\"}";
    wc_shard s300 = {300, 1024}, s360 = {360, 1024}, s1 = {1, 3}, s0 = {0, 3};
    assert_true(wc_shard_owns(&s300, "k", a, strlen(a)));           /* 0xe40c292c % 1024 */
    assert_true(wc_shard_owns(&s360, "k", foobar, strlen(foobar))); /* 0xbf9cf968 % 1024 */
    assert_true(wc_shard_owns(&s1, "k", foobar, strlen(foobar)));
    assert_true(wc_shard_owns(&s360, "foobar", "not json", 8)); /* by key */
    assert_true(wc_shard_owns(&s0, "8123f304", NULL, 0));       /* 0x123d063e % 3 */
}

static void two_directory_consumers_split_by_widget(void **state)
{
    char *dir = make_temp_dir(), *dead = make_temp_dir();
    char name[32], body[96];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "%013d", i);
        snprintf(body, sizeof(body), "{\"widgetId\":\"w%d\"}", i % 10); /* 4 requests a widget */
        write_text(dir, name, body);
    }
    fake_time t = {0};
    FAKE_CLOCK(clock, t);
    wc_source a, b;
    wc_dir_source_config ca = {dir, dead, 1024, &clock, {0, 2}, 0, NULL, NULL};
    wc_dir_source_config cb = {dir, dead, 1024, &clock, {1, 2}, 0, NULL, NULL};
    assert_int_equal(wc_dir_source_open(&ca, &a, NULL), WC_OK);
    assert_int_equal(wc_dir_source_open(&cb, &b, NULL), WC_OK);
    char owner_of[10] = {0};
    int taken = 0;
    wc_source *both[2] = {&a, &b};
    for (int round = 0; round < 100; round++) {
        for (int k = 0; k < 2; k++) {
            wc_message m;
            if (both[k]->ops->receive(both[k]->self, &m, 1, NULL) != WC_RECEIVE_READY)
                continue;
            int w = m.body[strlen(m.body) - 3] - '0';
            if (!owner_of[w])
                owner_of[w] = (char)('A' + k);
            assert_int_equal(owner_of[w], 'A' + k); /* a widget stays with one consumer */
            both[k]->ops->ack(both[k]->self, &m, NULL);
            wc_message_cleanup(&m);
            taken++;
        }
    }
    assert_int_equal(taken, 40);
    assert_int_equal(count_entries(dir), 0);
    wc_source_destroy(&a);
    wc_source_destroy(&b);
    rm_rf(dir);
    rm_rf(dead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_k_of_n),
        cmocka_unit_test(one_widget_one_shard_and_every_request_one_owner),
        cmocka_unit_test(the_owner_is_fnv1a_of_the_widget_id_mod_n),
        cmocka_unit_test(two_directory_consumers_split_by_widget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
