#include "core/item.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wc_item_is_widget(json_t *item)
{
    return json_object_get(item, "owner") != NULL;
}

int wc_item_is_consumers(const char *item_name)
{
    return strncmp(item_name, WC_ITEM_RESERVED, strlen(WC_ITEM_RESERVED)) == 0;
}

static int is_core(const char *name, const char *key_name)
{
    return wc_item_is_consumers(name) || strcmp(name, "id") == 0 || strcmp(name, key_name) == 0 ||
           strcmp(name, "owner") == 0 || strcmp(name, "label") == 0 ||
           strcmp(name, "description") == 0;
}

static int has_escape(const char *name)
{
    return strncmp(name, WC_ITEM_ESCAPE, strlen(WC_ITEM_ESCAPE)) == 0;
}

char *wc_item_attr_name(const char *name, const char *key_name)
{
    if (!is_core(name, key_name) && !has_escape(name))
        return strdup(name);
    size_t len = strlen(WC_ITEM_ESCAPE) + strlen(name) + 1;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s%s", WC_ITEM_ESCAPE, name);
    return out;
}

char *wc_item_other_name(const char *item_name, const char *key_name)
{
    if (has_escape(item_name))
        return strdup(item_name + strlen(WC_ITEM_ESCAPE));
    if (is_core(item_name, key_name))
        return NULL;
    return strdup(item_name);
}

static json_t *string_value(const char *s)
{
    return json_pack("{s:s}", "S", s);
}

json_t *wc_item_from_widget(const wc_widget *w, const char *key_name)
{
    json_t *item = json_object();
    if (!item)
        return NULL;
    json_object_set_new(item, key_name, string_value(w->id));
    json_object_set_new(item, "owner", string_value(w->owner));
    if (w->label)
        json_object_set_new(item, "label", string_value(w->label));
    if (w->description)
        json_object_set_new(item, "description", string_value(w->description));
    for (size_t i = 0; i < w->n_attrs; i++) {
        char *name = wc_item_attr_name(w->attrs[i].name, key_name);
        if (!name) {
            json_decref(item);
            return NULL;
        }
        json_object_set_new(item, name, string_value(w->attrs[i].value));
        free(name);
    }
    return item;
}

static const char *item_string(json_t *item, const char *name)
{
    return json_string_value(json_object_get(json_object_get(item, name), "S"));
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

wc_result wc_item_to_widget(json_t *item, const char *key_name, wc_widget **out, wc_error *err)
{
    *out = NULL;
    const char *id = item_string(item, key_name);
    const char *owner = item_string(item, "owner");
    if (!id || !owner)
        return wc_error_set(err, WC_ERR_INVALID, "item has no string attribute \"%s\"",
                            id ? "owner" : key_name);
    wc_widget *w = calloc(1, sizeof(*w));
    if (!w)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    w->id = strdup(id);
    w->owner = strdup(owner);
    const char *label = item_string(item, "label");
    const char *description = item_string(item, "description");
    w->label = label ? strdup(label) : NULL;
    w->description = description ? strdup(description) : NULL;
    /* Sorted names, so that the same item always gives the same widget. */
    size_t n = json_object_size(item), k = 0;
    const char **names = calloc(n ? n : 1, sizeof(*names));
    wc_result result = names ? WC_OK : WC_ERR_NOMEM;
    if (names) {
        const char *name;
        json_t *value;
        json_object_foreach(item, name, value) names[k++] = name;
    }
    if (k > 1)
        qsort(names, k, sizeof(*names), by_text);
    for (size_t i = 0; result == WC_OK && i < k; i++) {
        char *other = wc_item_other_name(names[i], key_name);
        const char *s = item_string(item, names[i]);
        if (other && s)
            result = wc_widget_append_attr(w, other, s);
        else if (other && !s)
            result = wc_error_set(err, WC_ERR_INVALID, "item attribute \"%s\" is not a string",
                                  names[i]);
        free(other);
    }
    free(names);
    if (result == WC_OK)
        result = wc_widget_dedupe_attrs(w);
    if (result == WC_OK &&
        (!w->id || !w->owner || (label && !w->label) || (description && !w->description)))
        result = WC_ERR_NOMEM;
    if (result != WC_OK) {
        if (result == WC_ERR_NOMEM)
            wc_error_set(err, result, "out of memory");
        wc_widget_free(w);
        return result;
    }
    *out = w;
    return WC_OK;
}
