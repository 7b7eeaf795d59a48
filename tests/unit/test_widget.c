#include "common/clock.h"
#include "core/widget.h"
#include "testutil.h"

#define HEAD(type)                                                                                 \
    "{\"type\":\"" type "\",\"requestId\":\"r\",\"widgetId\":\"w1\",\"owner\":\"Mary Matthews\""

static wc_widget *created(void)
{
    wc_request *r =
        req(HEAD("create") ",\"label\":\"JWJYY\",\"description\":\"THBR\","
                           "\"otherAttributes\":[{\"name\":\"color\",\"value\":\"red\"},"
                           "{\"name\":\"size\",\"value\":\"4\"}]}");
    wc_widget *w = wc_widget_from_create(r);
    wc_request_free(r);
    return w;
}

static void assert_json(const wc_widget *w, const char *want)
{
    char *got = wc_widget_to_json(w);
    assert_string_equal(got, want);
    free(got);
}

static wc_widget *updated(const char *update_json)
{
    wc_widget *w = created();
    wc_request *r = req(update_json);
    assert_int_equal(wc_widget_apply_update(w, r), WC_OK);
    wc_request_free(r);
    return w;
}

static void create_holds_everything_in_canonical_json(void **state)
{
    wc_widget *w = created();
    assert_json(w, "{\"id\":\"w1\",\"owner\":\"Mary Matthews\",\"label\":\"JWJYY\","
                   "\"description\":\"THBR\",\"otherAttributes\":[{\"name\":\"color\","
                   "\"value\":\"red\"},{\"name\":\"size\",\"value\":\"4\"}]}");
    wc_widget_free(w);
}

static void create_leaves_out_absent_and_empty(void **state)
{
    wc_request *r = req(HEAD("create") ",\"label\":\"\",\"otherAttributes\":"
                                       "[{\"name\":\"note\",\"value\":\"\"}]}");
    wc_widget *w = wc_widget_from_create(r);
    assert_json(w, "{\"id\":\"w1\",\"owner\":\"Mary Matthews\",\"otherAttributes\":[]}");
    wc_widget_free(w);
    wc_request_free(r);
}

static void update_absent_and_null_keep(void **state)
{
    wc_widget *w = updated(HEAD("update") ",\"label\":null}");
    assert_json(w, "{\"id\":\"w1\",\"owner\":\"Mary Matthews\",\"label\":\"JWJYY\","
                   "\"description\":\"THBR\",\"otherAttributes\":[{\"name\":\"color\","
                   "\"value\":\"red\"},{\"name\":\"size\",\"value\":\"4\"}]}");
    wc_widget_free(w);
}

static void update_empty_clears_label_and_description(void **state)
{
    wc_widget *w = updated(HEAD("update") ",\"label\":\"\",\"description\":\"\"}");
    assert_null(w->label);
    assert_null(w->description);
    assert_json(w, "{\"id\":\"w1\",\"owner\":\"Mary Matthews\",\"otherAttributes\":[{\"name\":"
                   "\"color\",\"value\":\"red\"},{\"name\":\"size\",\"value\":\"4\"}]}");
    wc_widget_free(w);
}

static void update_sets_values(void **state)
{
    wc_widget *w = updated(HEAD("update") ",\"label\":\"NEW\",\"description\":\"D2\"}");
    assert_string_equal(w->label, "NEW");
    assert_string_equal(w->description, "D2");
    wc_widget_free(w);
}

static void update_attributes_change_remove_and_append_in_order(void **state)
{
    wc_widget *w =
        updated(HEAD("update") ",\"otherAttributes\":[{\"name\":\"vendor\",\"value\":"
                               "\"Acme\"},{\"name\":\"color\",\"value\":\"\"},{\"name\":\"size\","
                               "\"value\":\"5\"}]}");
    assert_json(w, "{\"id\":\"w1\",\"owner\":\"Mary Matthews\",\"label\":\"JWJYY\","
                   "\"description\":\"THBR\",\"otherAttributes\":[{\"name\":\"size\","
                   "\"value\":\"5\"},{\"name\":\"vendor\",\"value\":\"Acme\"}]}");
    wc_widget_free(w);
}

static void update_removing_a_missing_attribute_changes_nothing(void **state)
{
    wc_widget *w =
        updated(HEAD("update") ",\"otherAttributes\":[{\"name\":\"price\",\"value\":\"\"}]}");
    assert_int_equal(w->n_attrs, 2);
    assert_null(wc_widget_attr(w, "price"));
    wc_widget_free(w);
}

static void update_never_changes_id_or_owner(void **state)
{
    wc_widget *w = updated("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"other\","
                           "\"owner\":\"John Jones\",\"label\":\"X\"}");
    assert_string_equal(w->id, "w1");
    assert_string_equal(w->owner, "Mary Matthews");
    assert_string_equal(w->label, "X");
    wc_widget_free(w);
}

static void update_applied_twice_is_the_same(void **state)
{
    const char *u = HEAD("update") ",\"label\":\"\",\"otherAttributes\":[{\"name\":\"color\","
                                   "\"value\":\"blue\"},{\"name\":\"size\",\"value\":\"\"}]}";
    wc_widget *once = updated(u);
    wc_widget *twice = updated(u);
    wc_request *r = req(u);
    wc_widget_apply_update(twice, r);
    wc_request_free(r);
    assert_true(wc_widget_equal(once, twice, 1));
    wc_widget_free(once);
    wc_widget_free(twice);
}

static void json_round_trip(void **state)
{
    wc_widget *w = created();
    char *json = wc_widget_to_json(w);
    wc_widget *back = NULL;
    assert_int_equal(wc_widget_from_json("k", json, strlen(json), &back, NULL), WC_OK);
    assert_true(wc_widget_equal(w, back, 1));
    free(json);
    wc_widget_free(back);
    wc_widget_free(w);
}

static void stored_widget_errors(void **state)
{
    wc_widget *w = NULL;
    wc_error err;
    assert_int_equal(wc_widget_from_json("widgets/a/b", "{", 1, &w, &err), WC_ERR_PARSE);
    assert_non_null(strstr(err.msg, "widget widgets/a/b: not valid JSON"));
    const char *noid = "{\"owner\":\"A\"}";
    assert_int_equal(wc_widget_from_json("widgets/a/b", noid, strlen(noid), &w, &err),
                     WC_ERR_INVALID);
    assert_string_equal(err.msg, "widget widgets/a/b: id is missing");
    assert_null(w);
}

static void equal_ordered_and_unordered(void **state)
{
    wc_widget *a = created();
    wc_widget *b = created();
    wc_widget_set_attr(b, "color", NULL);
    wc_widget_set_attr(b, "color", "red");
    assert_false(wc_widget_equal(a, b, 1));
    assert_true(wc_widget_equal(a, b, 0));
    wc_widget_set_attr(b, "color", "blue");
    assert_false(wc_widget_equal(a, b, 0));
    wc_widget_free(a);
    wc_widget_free(b);
}

/* A widget of n attributes "attr00000".. with values "v0".., the other way round when reversed. */
static wc_widget *wide(size_t n, int reversed)
{
    wc_widget *w = created();
    while (w->n_attrs) /* created()'s own attributes out */
        wc_widget_set_attr(w, w->attrs[0].name, NULL);
    append_wide(w, n, reversed);
    return w;
}

/* 10,000 attributes (the map's path): the same in another order are equal unless order counts;
 * one value changed, or one name, and they are not. */
static void equal_unordered_of_many_attributes(void **state)
{
    enum { N = 10000 };
    wc_widget *a = wide(N, 0);
    wc_widget *b = wide(N, 1);
    assert_true(wc_widget_equal(a, b, 0));
    assert_true(wc_widget_equal(b, a, 0));
    assert_false(wc_widget_equal(a, b, 1));
    assert_int_equal(wc_text_replace(&b->attrs[1234].value, "other"), 1);
    assert_false(wc_widget_equal(a, b, 0));
    assert_int_equal(wc_text_replace(&b->attrs[1234].value, a->attrs[N - 1 - 1234].value), 1);
    assert_true(wc_widget_equal(a, b, 0));
    assert_int_equal(wc_text_replace(&b->attrs[N - 1].name, "zzz"), 1); /* attr00000's name */
    assert_false(wc_widget_equal(a, b, 0));
    assert_false(wc_widget_equal(b, a, 0));
    wc_widget_free(a);
    wc_widget_free(b);
}

static void s3_key_rule(void **state)
{
    char *k = wc_widget_key("widgets/", "Mary Matthews", "8123f304-f23f-440b-a6d3-80e979fa4cd6");
    assert_string_equal(k, "widgets/mary-matthews/8123f304-f23f-440b-a6d3-80e979fa4cd6");
    free(k);
    k = wc_widget_key("", "Henry  HOPS", "x");
    assert_string_equal(k, "henry--hops/x");
    free(k);
    k = wc_owner_key("Sue Smith");
    assert_string_equal(k, "sue-smith");
    free(k);
}

/* The request's attributes applied together give what wc_widget_set_attr one after the other
 * gives, on random runs of sets, clears and re-sets of a few names (fixed seed). */
static void update_is_set_attr_one_after_the_other(void **state)
{
    unsigned seed = 12345;
    for (int round = 0; round < 300; round++) {
        char text[4096];
        size_t len = 0;
        wc_widget *want = calloc(1, sizeof(*want));
        want->id = strdup("w1");
        want->owner = strdup("Mary Matthews");
        wc_widget *got = NULL;
        for (int step = 0; step < 2; step++) {
            len = (size_t)snprintf(text, sizeof(text), "%s,\"otherAttributes\":[",
                                   step ? HEAD("update") : HEAD("create"));
            unsigned n = (seed = seed * 1103515245u + 12345u) >> 16 &
                         63; /* up to 6 names by 63: the map path */
            for (unsigned i = 0; i < n; i++) {
                unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
                char name[2] = {(char)('a' + (r >> 4) % 6), 0}, value[8];
                snprintf(value, sizeof(value), r % 3 ? "v%u" : "", r % 100);
                len += (size_t)snprintf(text + len, sizeof(text) - len,
                                        "%s{\"name\":\"%s\",\"value\":\"%s\"}", i ? "," : "", name,
                                        value);
                assert_int_equal(wc_widget_set_attr(want, name, value[0] ? value : NULL), WC_OK);
            }
            snprintf(text + len, sizeof(text) - len, "]}");
            wc_request *r = req(text);
            if (step)
                assert_int_equal(wc_widget_apply_update(got, r), WC_OK);
            else
                got = wc_widget_from_create(r);
            wc_request_free(r);
        }
        char *a = wc_widget_to_json(want), *b = wc_widget_to_json(got);
        assert_string_equal(b, a);
        free(a);
        free(b);
        wc_widget_free(want);
        wc_widget_free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_holds_everything_in_canonical_json),
        cmocka_unit_test(create_leaves_out_absent_and_empty),
        cmocka_unit_test(update_absent_and_null_keep),
        cmocka_unit_test(update_empty_clears_label_and_description),
        cmocka_unit_test(update_sets_values),
        cmocka_unit_test(update_attributes_change_remove_and_append_in_order),
        cmocka_unit_test(update_removing_a_missing_attribute_changes_nothing),
        cmocka_unit_test(update_never_changes_id_or_owner),
        cmocka_unit_test(update_applied_twice_is_the_same),
        cmocka_unit_test(update_is_set_attr_one_after_the_other),
        cmocka_unit_test(json_round_trip),
        cmocka_unit_test(stored_widget_errors),
        cmocka_unit_test(equal_ordered_and_unordered),
        cmocka_unit_test(equal_unordered_of_many_attributes),
        cmocka_unit_test(s3_key_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
