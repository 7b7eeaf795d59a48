#include "core/widget.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/strmap.h"

void wc_widget_free(wc_widget *w)
{
    if (!w)
        return;
    free(w->id);
    free(w->owner);
    free(w->label);
    free(w->description);
    for (size_t i = 0; i < w->n_attrs; i++) {
        free(w->attrs[i].name);
        free(w->attrs[i].value);
    }
    free(w->attrs);
    free(w);
}

const char *wc_widget_attr(const wc_widget *w, const char *name)
{
    for (size_t i = 0; i < w->n_attrs; i++)
        if (strcmp(w->attrs[i].name, name) == 0)
            return w->attrs[i].value;
    return NULL;
}

wc_result wc_widget_set_attr(wc_widget *w, const char *name, const char *value)
{
    for (size_t i = 0; i < w->n_attrs; i++) {
        if (strcmp(w->attrs[i].name, name) != 0)
            continue;
        if (!value) {
            free(w->attrs[i].name);
            free(w->attrs[i].value);
            memmove(&w->attrs[i], &w->attrs[i + 1], (w->n_attrs - i - 1) * sizeof(*w->attrs));
            w->n_attrs--;
            return WC_OK;
        }
        return wc_text_replace(&w->attrs[i].value, value) ? WC_OK : WC_ERR_NOMEM;
    }
    if (!value)
        return WC_OK;
    return wc_widget_append_attr(w, name, value);
}

int wc_text_replace(char **slot, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return 0;
    free(*slot);
    *slot = copy;
    return 1;
}

wc_result wc_widget_append_attr(wc_widget *w, const char *name, const char *value)
{
    wc_attr *attrs = wc_array_room(w->attrs, w->n_attrs, &w->cap_attrs, sizeof(*attrs), 8);
    if (!attrs)
        return WC_ERR_NOMEM;
    w->attrs = attrs;
    wc_attr a = {strdup(name), strdup(value)};
    if (!a.name || !a.value) {
        free(a.name);
        free(a.value);
        return WC_ERR_NOMEM;
    }
    w->attrs[w->n_attrs++] = a;
    return WC_OK;
}

void wc_widget_drop_holes(wc_widget *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n_attrs; i++) {
        if (w->attrs[i].value)
            w->attrs[n++] = w->attrs[i];
        else
            free(w->attrs[i].name);
    }
    w->n_attrs = n;
}

/* qsort has no context: the attributes being sorted. */
static const wc_attr *sorting;

static int by_name_then_place(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sorting[i].name, sorting[j].name);
    return c ? c : (i > j) - (i < j);
}

size_t *wc_attrs_by_name(const wc_attr *attrs, size_t n)
{
    size_t *idx = n ? malloc(n * sizeof(*idx)) : NULL;
    for (size_t i = 0; idx && i < n; i++)
        idx[i] = i;
    if (idx) {
        sorting = attrs;
        qsort(idx, n, sizeof(*idx), by_name_then_place);
    }
    return idx;
}

wc_result wc_widget_dedupe_attrs(wc_widget *w)
{
    if (w->n_attrs < 2)
        return WC_OK;
    size_t *idx = wc_attrs_by_name(w->attrs, w->n_attrs);
    if (!idx)
        return WC_ERR_NOMEM;
    for (size_t k = 1; k < w->n_attrs; k++) {
        wc_attr *first = &w->attrs[idx[k - 1]], *again = &w->attrs[idx[k]];
        if (strcmp(first->name, again->name) != 0)
            continue;
        /* the first place, the last value; the repeat, a hole now, is dropped below */
        free(first->value);
        first->value = again->value;
        again->value = NULL;
        idx[k] = idx[k - 1]; /* a third one folds into the first as well */
    }
    free(idx);
    wc_widget_drop_holes(w);
    return WC_OK;
}

/* "" and absent both mean "no value". */
static wc_result set_text(char **slot, const wc_field *f)
{
    return !f->present || wc_text_replace(slot, f->value[0] ? f->value : NULL) ? WC_OK
                                                                               : WC_ERR_NOMEM;
}

/* The request's attributes one after the other, as wc_widget_set_attr would apply them (a set
 * replaces a value in its place or appends, a clear removes), but in O(n + m), not O(n * m): a map
 * from name to place, the removed left as holes dropped once at the end. w holds each name once,
 * as every widget this module and the item and ledger readers make does. */
static wc_result apply_attrs(wc_widget *w, const wc_request *req)
{
    wc_strmap *at = wc_strmap_new(sizeof(size_t));
    if (!at)
        return WC_ERR_NOMEM;
    wc_result result = WC_OK;
    for (size_t i = 0; i < w->n_attrs && result == WC_OK; i++) {
        size_t *place = wc_strmap_put(at, w->attrs[i].name, NULL);
        if (place)
            *place = i;
        else
            result = WC_ERR_NOMEM;
    }
    for (size_t i = 0; i < req->n_attrs && result == WC_OK; i++) {
        const wc_attr *a = &req->attrs[i];
        size_t *place = wc_strmap_get(at, a->name);
        if (place) { /* "" removes: a hole, dropped at the end */
            if (!wc_text_replace(&w->attrs[*place].value, a->value[0] ? a->value : NULL)) {
                result = WC_ERR_NOMEM;
                break;
            }
            if (!a->value[0])
                wc_strmap_remove(at, a->name);
        } else if (a->value[0]) {
            size_t end = w->n_attrs;
            if ((result = wc_widget_append_attr(w, a->name, a->value)) == WC_OK) {
                if ((place = wc_strmap_put(at, a->name, NULL)))
                    *place = end;
                else
                    result = WC_ERR_NOMEM;
            }
        }
    }
    wc_strmap_free(at);
    wc_widget_drop_holes(w);
    return result;
}

wc_result wc_widget_apply_update(wc_widget *w, const wc_request *req)
{
    wc_result result;
    if ((result = set_text(&w->label, &req->label)) != WC_OK ||
        (result = set_text(&w->description, &req->description)) != WC_OK)
        return result;
    if ((size_t)w->n_attrs * req->n_attrs > 64) /* a map pays for itself */
        return apply_attrs(w, req);
    for (size_t i = 0; i < req->n_attrs && result == WC_OK; i++)
        result = wc_widget_set_attr(w, req->attrs[i].name,
                                    req->attrs[i].value[0] ? req->attrs[i].value : NULL);
    return result;
}

wc_widget *wc_widget_from_create(const wc_request *req)
{
    wc_widget *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->id = strdup(req->widget_id);
    w->owner = strdup(req->owner);
    /* A create is an update of an empty widget: the same rules for "" hold. */
    if (!w->id || !w->owner || wc_widget_apply_update(w, req) != WC_OK) {
        wc_widget_free(w);
        return NULL;
    }
    return w;
}

char *wc_widget_to_json(const wc_widget *w)
{
    json_t *o = json_object();
    json_t *list = wc_attrs_to_json(w->attrs, w->n_attrs);
    char *text = NULL;
    if (!o || !list) {
        json_decref(list);
        goto done;
    }
    json_object_set_new(o, "id", json_string(w->id));
    json_object_set_new(o, "owner", json_string(w->owner));
    if (w->label)
        json_object_set_new(o, "label", json_string(w->label));
    if (w->description)
        json_object_set_new(o, "description", json_string(w->description));
    json_object_set_new(o, "otherAttributes", list);
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
    json_decref(o);
    return text;
}

static wc_result widget_fields(json_t *root, wc_widget *w, wc_error *err)
{
    if (!json_is_object(root))
        return wc_error_set(err, WC_ERR_INVALID, "not a JSON object");
    wc_result result;
    if ((result = wc_json_take_string(root, "id", 1, &w->id, err)) != WC_OK ||
        (result = wc_json_take_string(root, "owner", 1, &w->owner, err)) != WC_OK ||
        (result = wc_json_take_string(root, "label", 0, &w->label, err)) != WC_OK ||
        (result = wc_json_take_string(root, "description", 0, &w->description, err)) != WC_OK)
        return result;
    json_t *list = json_object_get(root, "otherAttributes");
    if (!list || json_is_null(list))
        return WC_OK;
    if (!json_is_array(list))
        return wc_error_set(err, WC_ERR_INVALID, "otherAttributes must be an array");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *name = json_string_value(json_object_get(item, "name"));
        const char *value = json_string_value(json_object_get(item, "value"));
        if (!name || !value)
            return wc_error_set(err, WC_ERR_INVALID,
                                "otherAttributes[%zu] needs a string name and value", i);
        if (wc_widget_append_attr(w, name, value) != WC_OK)
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    return wc_widget_dedupe_attrs(w) == WC_OK ? WC_OK
                                              : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
}

wc_result wc_widget_from_json(const char *name, const char *text, size_t len, wc_widget **out,
                              wc_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root)
        return wc_error_set(err, WC_ERR_PARSE, "widget %s: not valid JSON: %s", name, jerr.text);
    wc_widget *w = calloc(1, sizeof(*w));
    wc_result result =
        w ? widget_fields(root, w, err) : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    json_decref(root);
    if (result != WC_OK) {
        wc_error_prefix(err, "widget %s: ", name);
        wc_widget_free(w);
        return result;
    }
    *out = w;
    return WC_OK;
}

static int same_text(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Whether each of a's attributes has its value in b, in any order (b's first of a name, as
 * wc_widget_attr finds it). Up to 32 by wc_widget_attr (a new map costs an allocation a
 * name, more than such a scan); more through a map of b's names, O(n), where a
 * scan of b per name was O(n * n): widget-verify compares every widget of a DynamoDB table so,
 * attributes coming back in any order. Without memory for the map, the scan. */
static int same_attrs_unordered(const wc_widget *a, const wc_widget *b)
{
    wc_strmap *in_b = a->n_attrs > 32 ? wc_strmap_new(sizeof(const char *)) : NULL; /* owned */
    for (size_t i = 0; in_b && i < b->n_attrs; i++) {
        int added = 0;
        const char **value = wc_strmap_put(in_b, b->attrs[i].name, &added);
        if (!value) {
            wc_strmap_free(in_b);
            in_b = NULL;
        } else if (added) {
            *value = b->attrs[i].value; /* borrowed from b */
        }
    }
    int same = 1;
    for (size_t i = 0; same && i < a->n_attrs; i++) {
        const char *const *found = in_b ? wc_strmap_get(in_b, a->attrs[i].name) : NULL;
        const char *value = !in_b ? wc_widget_attr(b, a->attrs[i].name) : found ? *found : NULL;
        same = same_text(a->attrs[i].value, value);
    }
    wc_strmap_free(in_b);
    return same;
}

int wc_widget_equal(const wc_widget *a, const wc_widget *b, int ordered)
{
    if (!same_text(a->id, b->id) || !same_text(a->owner, b->owner) ||
        !same_text(a->label, b->label) || !same_text(a->description, b->description) ||
        a->n_attrs != b->n_attrs)
        return 0;
    if (!ordered)
        return same_attrs_unordered(a, b);
    for (size_t i = 0; i < a->n_attrs; i++)
        if (!same_text(a->attrs[i].name, b->attrs[i].name) ||
            !same_text(a->attrs[i].value, b->attrs[i].value))
            return 0;
    return 1;
}

char *wc_owner_key(const char *owner)
{
    char *key = strdup(owner);
    if (!key)
        return NULL;
    for (char *p = key; *p; p++) {
        if (*p == ' ')
            *p = '-';
        else if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return key;
}

char *wc_widget_key(const char *prefix, const char *owner, const char *widget_id)
{
    char *owner_key = wc_owner_key(owner);
    if (!owner_key)
        return NULL;
    size_t len = strlen(prefix) + strlen(owner_key) + strlen(widget_id) + 2;
    char *key = malloc(len);
    if (key)
        snprintf(key, len, "%s%s/%s", prefix, owner_key, widget_id);
    free(owner_key);
    return key;
}
