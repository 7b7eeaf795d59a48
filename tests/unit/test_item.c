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

static void update_uses_placeholders_only(void **state)
{
    wc_request *r =
        req("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"w1\",\"owner\":"
            "\"Sue Smith\",\"label\":\"\",\"description\":\"D\",\"otherAttributes\":"
            "[{\"name\":\"a) OR (b\",\"value\":\"x\"},{\"name\":\"size\",\"value\":\"\"},"
            "{\"name\":\"id\",\"value\":\"1\"}]}");
    json_t *u = wc_item_update(r, "id");
    char *text = dump(u);
    assert_string_equal(
        text,
        "{\"ConditionExpression\":\"attribute_exists(#k)\","
        "\"ExpressionAttributeNames\":{\"#k\":\"id\",\"#n0\":\"label\",\"#n1\":\"description\","
        "\"#n2\":\"a) OR (b\",\"#n3\":\"size\",\"#n4\":\"attr_id\"},"
        "\"ExpressionAttributeValues\":{\":v1\":{\"S\":\"D\"},\":v2\":{\"S\":\"x\"},"
        "\":v4\":{\"S\":\"1\"}},"
        "\"UpdateExpression\":\"SET #n1 = :v1, #n2 = :v2, #n4 = :v4 REMOVE #n0, #n3\"}");
    free(text);
    json_decref(u);
    wc_request_free(r);
}

static void update_with_nothing_to_change_still_checks_existence(void **state)
{
    wc_request *r = req("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"w1\",\"owner\":"
                        "\"Sue Smith\"}");
    json_t *u = wc_item_update(r, "id");
    char *text = dump(u);
    assert_string_equal(text, "{\"ConditionExpression\":\"attribute_exists(#k)\","
                              "\"ExpressionAttributeNames\":{\"#k\":\"id\",\"#o\":\"owner\"},"
                              "\"UpdateExpression\":\"SET #o = #o\"}");
    free(text);
    json_decref(u);
    wc_request_free(r);
}

static void update_later_mention_wins(void **state)
{
    wc_request *r = req("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"w1\",\"owner\":"
                        "\"Sue Smith\",\"otherAttributes\":[{\"name\":\"c\",\"value\":\"1\"},"
                        "{\"name\":\"c\",\"value\":\"2\"}]}");
    json_t *u = wc_item_update(r, "id");
    assert_string_equal(json_string_value(json_object_get(u, "UpdateExpression")), "SET #n0 = :v0");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(u, "ExpressionAttributeValues"), ":v0"), "S")),
        "2");
    json_decref(u);
    wc_request_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_escape_collisions_and_round_trip),
        cmocka_unit_test(item_is_flat_strings),
        cmocka_unit_test(item_without_owner_is_an_error),
        cmocka_unit_test(update_uses_placeholders_only),
        cmocka_unit_test(update_with_nothing_to_change_still_checks_existence),
        cmocka_unit_test(update_later_mention_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
