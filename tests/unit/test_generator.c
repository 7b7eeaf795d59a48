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
    wc_dir_store_config c = {dir, "widgets/", 0, 0, NULL};
    assert_int_equal(wc_dir_store_open(&c, &s, NULL), WC_OK);
    wc_generator *g = wc_generator_new(99);
    for (int i = 0; i < 1500; i++) {
        wc_request *r = wc_generator_next(g);
        wc_error err;
        if (wc_store_apply_wait(&s, NULL, r, &err) != WC_APPLIED)
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

static int has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

static int is_spec_name(const char *name)
{
    static const char *const spec[] = {
        "color",  "size",        "size-unit", "height", "height-unit", "width",  "width-unit",
        "length", "length-unit", "rating",    "price",  "quantity",    "vendor", "note"};
    for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++)
        if (strcmp(name, spec[i]) == 0)
            return 1;
    return 0;
}

/* --realistic: every request valid and read back the same from its JSON; the same seed gives the
 * same stream; creates carry 10-40 attributes, the spec's names and made-up ones of 20-60 bytes
 * (non-ASCII, spaces, punctuation), values from empty to hundreds of characters; updates set,
 * clear and set again; ids of every shape, unique; and the expected state is what applying the
 * requests read back from their JSON, in order, gives. */
static void realistic_streams_have_every_shape_and_an_exact_expected_state(void **state)
{
    wc_generator *g = wc_generator_new(7), *twin = wc_generator_new(7);
    assert_true(wc_generator_set_realistic(g));
    assert_true(wc_generator_set_realistic(twin));
    wc_widget_map *replay = wc_widget_map_new();
    wc_widget_map *cleared = wc_widget_map_new(); /* per widget: the attributes it cleared */
    size_t n = 4000, creates = 0, spec = 0, made_up = 0, made_up_short = 0, non_ascii_name = 0,
           spaced_name = 0, empty_value = 0, long_value = 0, clears = 0, set_again = 0,
           label_cleared = 0, description_cleared = 0;
    size_t uuid_ids = 0, dotted = 0, percent = 0, spaced = 0, unicode = 0, leading_dot = 0,
           long_ids = 0, short_ids = 0;
    for (size_t i = 0; i < n; i++) {
        wc_request *r = wc_generator_next(g), *t = wc_generator_next(twin);
        char *json = wc_request_to_json(r), *tjson = wc_request_to_json(t);
        assert_string_equal(json, tjson);
        wc_request *back = NULL;
        wc_error err;
        if (wc_request_parse("gen", json, strlen(json), &back, &err) != WC_OK)
            fail_msg("generated a bad request: %s: %s", json, err.msg);
        const char *id = back->widget_id;
        if (back->type == WC_REQ_CREATE) {
            creates++;
            assert_null(wc_widget_map_get(replay, id)); /* ids are unique */
            assert_in_range(back->n_attrs, 10, 40);
            size_t len = strlen(id);
            uuid_ids += len == 36 && id[8] == '-' && id[14] == '4';
            short_ids += len <= 4;
            dotted += strchr(id, '.') != NULL && id[0] != '.';
            percent += strchr(id, '%') != NULL;
            spaced += strchr(id, ' ') != NULL;
            unicode += has_non_ascii(id);
            leading_dot += id[0] == '.';
            long_ids += len > 200;
            assert_true(len <= WC_MAX_ID_LEN);
            for (size_t k = 0; k < back->n_attrs; k++) {
                const char *name = back->attrs[k].name;
                size_t nlen = strlen(name);
                if (is_spec_name(name)) {
                    spec++;
                } else {
                    made_up++;
                    made_up_short += nlen < 20 || nlen > 60;
                    non_ascii_name += has_non_ascii(name);
                    spaced_name += strchr(name, ' ') != NULL;
                }
                empty_value += back->attrs[k].value[0] == '\0';
                long_value += strlen(back->attrs[k].value) > 200;
            }
            wc_widget *w = wc_widget_from_create(back);
            assert_int_equal(wc_widget_map_put(replay, w), WC_OK);
        } else if (back->type == WC_REQ_UPDATE) {
            wc_widget *w = wc_widget_map_get(replay, id);
            assert_non_null(w);
            wc_widget *gone = wc_widget_map_get(cleared, id);
            for (size_t k = 0; k < back->n_attrs; k++) {
                const char *name = back->attrs[k].name, *value = back->attrs[k].value;
                if (value[0] == '\0' && wc_widget_attr(w, name)) {
                    clears++;
                    if (!gone) {
                        gone = calloc(1, sizeof(*gone));
                        gone->id = strdup(id);
                        gone->owner = strdup(back->owner);
                        assert_int_equal(wc_widget_map_put(cleared, gone), WC_OK);
                    }
                    assert_int_equal(wc_widget_set_attr(gone, name, "x"), WC_OK);
                } else if (value[0] && gone && wc_widget_attr(gone, name) &&
                           !wc_widget_attr(w, name)) {
                    set_again++;
                }
            }
            label_cleared += back->label.present && back->label.value[0] == '\0' && w->label;
            description_cleared +=
                back->description.present && back->description.value[0] == '\0' && w->description;
            assert_int_equal(wc_widget_apply_update(w, back), WC_OK);
        } else {
            assert_non_null(wc_widget_map_get(replay, id));
            assert_int_equal(wc_widget_map_remove(replay, id), 1);
        }
        wc_request_free(back);
        free(json);
        free(tjson);
        wc_request_free(r);
        wc_request_free(t);
    }
    /* the expected state is exact: the same widgets, attribute order included */
    const wc_widget_map *expected = wc_generator_expected(g);
    assert_int_equal(wc_widget_map_size(expected), wc_widget_map_size(replay));
    wc_widget **all = wc_widget_map_sorted(replay);
    for (size_t i = 0; i < wc_widget_map_size(replay); i++) {
        const wc_widget *want = wc_widget_map_get(expected, all[i]->id);
        assert_non_null(want);
        assert_true(wc_widget_equal(want, all[i], 1));
    }
    free(all);
    print_message("realistic, %zu requests: %zu creates; ids: %zu UUID, %zu short, %zu dotted, "
                  "%zu with %%, %zu with spaces, %zu unicode, %zu with a leading dot, %zu over "
                  "200 bytes; attributes: %zu spec, %zu made up (%zu non-ASCII, %zu with "
                  "spaces), %zu empty, %zu over 200 chars; updates: %zu clears, %zu set again, "
                  "%zu labels and %zu descriptions cleared\n",
                  n, creates, uuid_ids, short_ids, dotted, percent, spaced, unicode, leading_dot,
                  long_ids, spec, made_up, non_ascii_name, spaced_name, empty_value, long_value,
                  clears, set_again, label_cleared, description_cleared);
    assert_int_equal(made_up_short, 0);
    size_t counts[] = {
        uuid_ids,    short_ids,  dotted, percent,   spaced,         unicode,
        leading_dot, long_ids,   spec,   made_up,   non_ascii_name, spaced_name,
        empty_value, long_value, clears, set_again, label_cleared,  description_cleared};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        if (counts[i] < 5)
            fail_msg("shape %zu seen only %zu times", i, counts[i]);
    assert_in_range(uuid_ids * 100 / creates, 40, 60);
    wc_widget_map_free(replay);
    wc_widget_map_free(cleared);
    wc_generator_free(g);
    wc_generator_free(twin);
}

/* --pattern: a create, then an update and a delete aimed at its widget; nothing is aimed at a
 * widget that is not alive. */
static void requests_of_a_given_type_aim_at_the_widget_named(void **state)
{
    wc_generator *g = wc_generator_new(3);
    wc_request *c = wc_generator_next_of(g, WC_REQ_CREATE, NULL);
    wc_request *other = wc_generator_next_of(g, WC_REQ_CREATE, NULL);
    wc_request *u = wc_generator_next_of(g, WC_REQ_UPDATE, c->widget_id);
    assert_int_equal(u->type, WC_REQ_UPDATE);
    assert_string_equal(u->widget_id, c->widget_id);
    assert_string_equal(u->owner, c->owner);
    wc_request *d = wc_generator_next_of(g, WC_REQ_DELETE, c->widget_id);
    assert_int_equal(d->type, WC_REQ_DELETE);
    assert_string_equal(d->widget_id, c->widget_id);
    assert_null(wc_generator_next_of(g, WC_REQ_UPDATE, c->widget_id)); /* deleted */
    assert_null(wc_generator_next_of(g, WC_REQ_DELETE, "no such widget"));
    assert_int_equal(wc_widget_map_size(wc_generator_expected(g)), 1);
    assert_non_null(wc_widget_map_get(wc_generator_expected(g), other->widget_id));
    wc_request_free(c);
    wc_request_free(other);
    wc_request_free(u);
    wc_request_free(d);
    wc_generator_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_stream_other_seed_other_stream),
        cmocka_unit_test(every_request_is_valid_and_the_mix_is_realistic),
        cmocka_unit_test(expected_state_is_what_applying_the_stream_gives),
        cmocka_unit_test(realistic_streams_have_every_shape_and_an_exact_expected_state),
        cmocka_unit_test(requests_of_a_given_type_aim_at_the_widget_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
