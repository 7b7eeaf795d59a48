/* DynamoDB answers as the DynamoDB store reads them (src/stores/dynamodb_store.c: a Scan's
 * "Items", a DeleteItem's old "Attributes"; src/core/item.c maps each item to a widget). An item
 * that reads as a widget writes back as an item that reads as the same widget (the same values:
 * DynamoDB keeps no order, and an item written by hand may escape a name the consumer would not,
 * "attr_x" for "x", which changes the sorted order once); written and read again, it stays the
 * same, order included. */
#include <jansson.h>
#include <string.h>

#include "core/item.h"
#include "core/widget.h"
#include "fuzz.h"

static void read_item(json_t *item, const char *key_name)
{
    wc_widget *w = NULL;
    wc_error err;
    if (wc_item_to_widget(item, key_name, &w, &err) != WC_OK) {
        FUZZ_CHECK(w == NULL);
        return;
    }
    FUZZ_CHECK(w->id && w->owner);
    json_t *back = wc_item_from_widget(w, key_name);
    FUZZ_CHECK(back);
    wc_widget *again = NULL;
    FUZZ_CHECK(wc_item_to_widget(back, key_name, &again, &err) == WC_OK);
    FUZZ_CHECK(wc_widget_equal(w, again, 0));
    json_t *back2 = wc_item_from_widget(again, key_name);
    wc_widget *third = NULL;
    FUZZ_CHECK(back2 && wc_item_to_widget(back2, key_name, &third, &err) == WC_OK);
    FUZZ_CHECK(wc_widget_equal(again, third, 1));
    wc_widget_free(third);
    json_decref(back2);
    char *key = wc_widget_key("widgets/", w->owner, w->id);
    FUZZ_CHECK(key);
    free(key);
    wc_widget_free(again);
    json_decref(back);
    wc_widget_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *answer = json_loadb((const char *)data, size, 0, NULL); /* as client.c reads it */
    if (!answer)
        return 0;
    const char *key_name = size % 2 ? "id" : "pk";
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(answer, "Items"), i, item) read_item(item, key_name);
    if (json_object_get(answer, "Attributes"))
        read_item(json_object_get(answer, "Attributes"), key_name);
    if (json_object_get(answer, "Item"))
        read_item(json_object_get(answer, "Item"), key_name);
    read_item(answer, key_name); /* a bare item, as the unit tests have them */
    json_decref(answer);
    return 0;
}
