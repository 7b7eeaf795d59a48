#include "common/clock.h"
#include "stores/store.h"
#include "producer/generator.h"
#include "producer/verify.h"
#include "stores/dir_store.h"
#include "testutil.h"

static void same_seed_same_stream_other_seed_other_stream(void **state)
{
    wc_generator *a = wc_generator_new(42), *b = wc_generator_new(42), *c = wc_generator_new(43);
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        wc_request *ra = wc_generator_next(a), *rb = wc_generator_next(b),
                   *rc = wc_generator_next(c);
        char *ja = wc_request_to_json(ra), *jb = wc_request_to_json(rb),
             *jc = wc_request_to_json(rc);
        assert_string_equal(ja, jb);
        differ += strcmp(ja, jc) != 0;
        free(ja);
        free(jb);
        free(jc);
        wc_request_free(ra);
        wc_request_free(rb);
        wc_request_free(rc);
    }
    assert_true(differ > 190);
    wc_generator_free(a);
    wc_generator_free(b);
    wc_generator_free(c);
}

static void every_request_is_valid_and_the_mix_is_realistic(void **state)
{
    wc_generator *g = wc_generator_new(7);
    size_t counts[3] = {0}, n = 20000;
    for (size_t i = 0; i < n; i++) {
        wc_request *r = wc_generator_next(g);
        char *json = wc_request_to_json(r);
        wc_request *back = NULL;
        wc_error err;
        if (wc_request_parse("gen", json, strlen(json), &back, &err) != WC_OK)
            fail_msg("generated a bad request: %s: %s", json, err.msg);
        counts[back->type]++;
        if (back->type != WC_REQ_CREATE)
            assert_non_null(back->widget_id); /* aimed at an earlier widget: checked below */
        wc_request_free(back);
        free(json);
        wc_request_free(r);
    }
    /* About 86% create, 10% update, 4% delete. */
    assert_in_range(counts[WC_REQ_CREATE] * 1000 / n, 845, 875);
    assert_in_range(counts[WC_REQ_UPDATE] * 1000 / n, 90, 110);
    assert_in_range(counts[WC_REQ_DELETE] * 1000 / n, 32, 48);
    assert_int_equal(wc_widget_map_size(wc_generator_expected(g)),
                     counts[WC_REQ_CREATE] - counts[WC_REQ_DELETE]);
    wc_generator_free(g);
}

/* Applying the stream in order through a real store gives exactly the expected state, and
 * every update/delete finds its widget (it was created earlier and not deleted). */
static void expected_state_is_what_applying_the_stream_gives(void **state)
{
    char *dir = make_temp_dir();
    wc_store s;
    wc_dir_store_config c = {dir, "widgets/", 0, 0};
    assert_int_equal(wc_dir_store_open(&c, &s, NULL), WC_OK);
    wc_generator *g = wc_generator_new(99);
    for (int i = 0; i < 1500; i++) {
        wc_request *r = wc_generator_next(g);
        wc_error err;
        if (wc_store_apply_wait(&s, NULL, r, &err) != WC_OK)
            fail_msg("request %d (%s of %s): %s", i, wc_request_type_name(r->type), r->widget_id,
                     err.msg);
        wc_request_free(r);
    }
    wc_verify_report report;
    assert_int_equal(wc_verify_store(&s, "widgets/", wc_generator_expected(g), &report, NULL),
                     WC_OK);
    assert_true(wc_verify_ok(&report));
    assert_int_equal(report.matching, wc_widget_map_size(wc_generator_expected(g)));
    wc_generator_free(g);
    wc_store_destroy(&s);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_stream_other_seed_other_stream),
        cmocka_unit_test(every_request_is_valid_and_the_mix_is_realistic),
        cmocka_unit_test(expected_state_is_what_applying_the_stream_gives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
