#include "common/clock.h"
#include "core/item.h"
#include "testutil.h"

static char *dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

static void names_escape_collisions_and_round_trip(void **state)
{
    const char *cases[][2] = {
        {"color", "color"},
        {"id", "attr_id"},
        {"owner", "attr_owner"},
        {"label", "attr_label"},
        {"description", "attr_description"},
        {"attr_x", "attr_attr_x"},
        {"widgetKey", "attr_widgetKey"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *item = wc_item_attr_name(cases[i][0], "widgetKey");
        assert_string_equal(item, cases[i][1]);
        char *back = wc_item_other_name(item, "widgetKey");
        assert_string_equal(back, cases[i][0]);
        free(item);
        free(back);
    }
    assert_null(wc_item_other_name("owner", "id"));
    assert_null(wc_item_other_name("id", "id"));
}

static void item_is_flat_strings(void **state)
{
    wc_request *r = req("{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w1\",\"owner\":"
                        "\"Sue Smith\",\"label\":\"L\",\"otherAttributes\":[{\"name\":\"color\","
                        "\"value\":\"red\"},{\"name\":\"owner\",\"value\":\"evil\"}]}");
    wc_widget *w = wc_widget_from_create(r);
    json_t *item = wc_item_from_widget(w, "id");
    char *text = dump(item);
    assert_string_equal(text, "{\"attr_owner\":{\"S\":\"evil\"},\"color\":{\"S\":\"red\"},"
                              "\"id\":{\"S\":\"w1\"},\"label\":{\"S\":\"L\"},"
                              "\"owner\":{\"S\":\"Sue Smith\"}}");
    wc_widget *back = NULL;
    assert_int_equal(wc_item_to_widget(item, "id", &back, NULL), WC_OK);
    assert_true(wc_widget_equal(w, back, 0));
    assert_string_equal(wc_widget_attr(back, "owner"), "evil");
    assert_string_equal(back->owner, "Sue Smith");
    free(text);
    json_decref(item);
    wc_widget_free(back);
    wc_widget_free(w);
    wc_request_free(r);
}

static void item_without_owner_is_an_error(void **state)
{
    json_t *item = json_pack("{s:{s:s}}", "id", "S", "w1");
    wc_widget *w = NULL;
    wc_error err;
    assert_int_equal(wc_item_to_widget(item, "id", &w, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg, "item has no string attribute \"owner\"");
    json_decref(item);
}

/* An update's item (classic and exact order alike): the stored widget changed by the rules, then
 * written whole (PutItem): a hostile name is only ever a name in the item's JSON, never in an
 * expression; "" removes; a core name is escaped. */
static json_t *updated_item(const char *update)
{
    wc_request *c = req("{\"type\":\"create\",\"requestId\":\"c\",\"widgetId\":\"w1\",\"owner\":"
                        "\"Sue Smith\",\"label\":\"L\",\"otherAttributes\":[{\"name\":\"size\","
                        "\"value\":\"9\"}]}");
    wc_request *u = req(update);
    wc_widget *w = wc_widget_from_create(c);
    assert_non_null(w);
    assert_int_equal(wc_widget_apply_update(w, u), WC_OK);
    json_t *item = wc_item_from_widget(w, "id");
    wc_widget_free(w);
    wc_request_free(c);
    wc_request_free(u);
    return item;
}

static void update_names_are_item_names_only(void **state)
{
    json_t *item =
        updated_item("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"w1\",\"owner\":"
                     "\"Sue Smith\",\"label\":\"\",\"description\":\"D\",\"otherAttributes\":"
                     "[{\"name\":\"a) OR (b\",\"value\":\"x\"},{\"name\":\"size\",\"value\":\"\"},"
                     "{\"name\":\"id\",\"value\":\"1\"}]}");
    char *text = dump(item);
    assert_string_equal(text, "{\"a) OR (b\":{\"S\":\"x\"},\"attr_id\":{\"S\":\"1\"},"
                              "\"description\":{\"S\":\"D\"},\"id\":{\"S\":\"w1\"},"
                              "\"owner\":{\"S\":\"Sue Smith\"}}");
    free(text);
    json_decref(item);
}

static void update_with_nothing_to_change_keeps_the_item(void **state)
{
    json_t *item = updated_item("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"w1\","
                                "\"owner\":\"Sue Smith\"}");
    char *text = dump(item);
    assert_string_equal(text, "{\"id\":{\"S\":\"w1\"},\"label\":{\"S\":\"L\"},"
                              "\"owner\":{\"S\":\"Sue Smith\"},\"size\":{\"S\":\"9\"}}");
    free(text);
    json_decref(item);
}

static void update_later_mention_wins(void **state)
{
    json_t *item = updated_item("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"w1\","
                                "\"owner\":\"Sue Smith\",\"otherAttributes\":[{\"name\":\"c\","
                                "\"value\":\"1\"},{\"name\":\"c\",\"value\":\"2\"}]}");
    assert_string_equal(json_string_value(json_object_get(json_object_get(item, "c"), "S")), "2");
    json_decref(item);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_escape_collisions_and_round_trip),
        cmocka_unit_test(item_is_flat_strings),
        cmocka_unit_test(item_without_owner_is_an_error),
        cmocka_unit_test(update_names_are_item_names_only),
        cmocka_unit_test(update_with_nothing_to_change_keeps_the_item),
        cmocka_unit_test(update_later_mention_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
