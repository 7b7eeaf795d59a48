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
    if (result == WC_OK && (!w->id || !w->owner))
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

/* One clause of the update: "#n3 = :v3" into SET, or "#n3" into REMOVE. */
static void add_clause(json_t *names, json_t *values, char *set, char *remove, size_t cap,
                       size_t *n, const char *item_name, const char *value)
{
    char ph[32];
    snprintf(ph, sizeof(ph), "#n%zu", *n);
    json_object_set_new(names, ph, json_string(item_name));
    char *list = value ? set : remove;
    size_t len = strlen(list);
    if (value) {
        char vph[32];
        snprintf(vph, sizeof(vph), ":v%zu", *n);
        json_object_set_new(values, vph, string_value(value));
        snprintf(list + len, cap - len, "%s%s = %s", len ? ", " : "", ph, vph);
    } else {
        snprintf(list + len, cap - len, "%s%s", len ? ", " : "", ph);
    }
    (*n)++;
}

json_t *wc_item_update(const wc_request *req, const char *key_name)
{
    /* Each clause is at most ~30 bytes: size the expression buffers from the request. */
    size_t cap = 64 + 32 * (req->n_attrs + 2);
    char *set = calloc(1, cap), *remove = calloc(1, cap);
    json_t *names = json_object(), *values = json_object(), *out = NULL;
    if (!set || !remove || !names || !values)
        goto done;
    size_t n = 0;
    const wc_field *fields[2] = {&req->label, &req->description};
    const char *field_names[2] = {"label", "description"};
    for (int f = 0; f < 2; f++)
        if (fields[f]->present)
            add_clause(names, values, set, remove, cap, &n, field_names[f],
                       fields[f]->value[0] ? fields[f]->value : NULL);
    for (size_t i = 0; i < req->n_attrs; i++) {
        int later = 0; /* a later mention of the same name wins: skip this one */
        for (size_t j = i + 1; j < req->n_attrs && !later; j++)
            later = strcmp(req->attrs[i].name, req->attrs[j].name) == 0;
        if (later)
            continue;
        char *item_name = wc_item_attr_name(req->attrs[i].name, key_name);
        if (!item_name)
            goto done;
        add_clause(names, values, set, remove, cap, &n, item_name,
                   req->attrs[i].value[0] ? req->attrs[i].value : NULL);
        free(item_name);
    }
    json_object_set_new(names, "#k", json_string(key_name));
    if (!set[0] && !remove[0]) {
        /* Nothing to change: still prove the widget exists. (DynamoDB rejects unused names, so
         * #o is only declared here.) */
        json_object_set_new(names, "#o", json_string("owner"));
        snprintf(set, cap, "#o = #o");
    }
    size_t elen = strlen(set) + strlen(remove) + 16;
    char *expr = malloc(elen);
    if (!expr)
        goto done;
    snprintf(expr, elen, "%s%s%s%s%s", set[0] ? "SET " : "", set, set[0] && remove[0] ? " " : "",
             remove[0] ? "REMOVE " : "", remove);
    out = json_pack("{s:s, s:s, s:O}", "UpdateExpression", expr, "ConditionExpression",
                    "attribute_exists(#k)", "ExpressionAttributeNames", names);
    if (out && json_object_size(values) > 0)
        json_object_set(out, "ExpressionAttributeValues", values);
    free(expr);
done:
    free(set);
    free(remove);
    json_decref(names);
    json_decref(values);
    return out;
}
