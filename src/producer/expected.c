#include "producer/expected.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

/* widget id -> wc_widget * (owned), in the hashed map of common/strmap.h. */
struct wc_widget_map {
    wc_strmap *by_id;
};

wc_widget_map *wc_widget_map_new(void)
{
    wc_widget_map *m = malloc(sizeof(*m));
    if (m && !(m->by_id = wc_strmap_new(sizeof(wc_widget *)))) {
        free(m);
        return NULL;
    }
    return m;
}

void wc_widget_map_free(wc_widget_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < wc_strmap_count(m->by_id); i++)
        wc_widget_free(*(wc_widget **)wc_strmap_value_at(m->by_id, i));
    wc_strmap_free(m->by_id);
    free(m);
}

wc_widget *wc_widget_map_get(const wc_widget_map *m, const char *id)
{
    wc_widget **w = wc_strmap_get(m->by_id, id);
    return w ? *w : NULL;
}

wc_result wc_widget_map_put(wc_widget_map *m, wc_widget *w)
{
    int added;
    wc_widget **slot = wc_strmap_put(m->by_id, w->id, &added);
    if (!slot) {
        wc_widget_free(w);
        return WC_ERR_NOMEM;
    }
    if (!added)
        wc_widget_free(*slot);
    *slot = w;
    return WC_OK;
}

int wc_widget_map_remove(wc_widget_map *m, const char *id)
{
    wc_widget **slot = wc_strmap_get(m->by_id, id);
    wc_widget *w = slot ? *slot : NULL;
    if (w) /* out of the map first: id may be w's own */
        wc_strmap_remove(m->by_id, id);
    wc_widget_free(w);
    return w != NULL;
}

size_t wc_widget_map_size(const wc_widget_map *m)
{
    return wc_strmap_count(m->by_id);
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(wc_widget *const *)a)->id, (*(wc_widget *const *)b)->id);
}

wc_widget **wc_widget_map_sorted(const wc_widget_map *m)
{
    size_t n = wc_strmap_count(m->by_id);
    wc_widget **all = malloc((n ? n : 1) * sizeof(*all));
    for (size_t i = 0; all && i < n; i++)
        all[i] = *(wc_widget **)wc_strmap_value_at(m->by_id, i);
    if (all)
        qsort(all, n, sizeof(*all), by_id);
    return all;
}

wc_result wc_widget_map_save(const wc_widget_map *m, const char *path, wc_error *err)
{
    wc_widget **all = wc_widget_map_sorted(m);
    FILE *f = all ? fopen(path, "w") : NULL;
    if (!f) {
        free(all);
        return wc_error_set(err, WC_ERR_IO, "expected-state file \"%s\": cannot write", path);
    }
    fputs("[\n", f);
    size_t n = wc_widget_map_size(m);
    for (size_t i = 0; i < n; i++) {
        char *json = wc_widget_to_json(all[i]);
        fprintf(f, "%s%s\n", json ? json : "null", i + 1 < n ? "," : "");
        free(json);
    }
    fputs("]\n", f);
    free(all);
    if (fclose(f) != 0)
        return wc_error_set(err, WC_ERR_IO, "expected-state file \"%s\": write failed", path);
    return WC_OK;
}

wc_result wc_widget_map_load(const char *path, wc_widget_map **out, wc_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return wc_error_set(err, WC_ERR_PARSE, "expected-state file \"%s\": %s (line %d)", path,
                            jerr.text, jerr.line);
    wc_widget_map *m = wc_widget_map_new();
    wc_result result = m ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK && !json_is_array(root))
        result = wc_error_set(err, WC_ERR_INVALID,
                              "expected-state file \"%s\": not a JSON array of widgets", path);
    size_t i;
    json_t *item;
    json_array_foreach(root, i, item)
    {
        if (result != WC_OK)
            break;
        char *text = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);
        wc_widget *w = NULL;
        char name[64];
        snprintf(name, sizeof(name), "#%zu in %s", i, "expected state");
        result = text ? wc_widget_from_json(name, text, strlen(text), &w, err)
                      : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        free(text);
        if (result == WC_OK && wc_widget_map_put(m, w) != WC_OK)
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    json_decref(root);
    if (result != WC_OK) {
        wc_widget_map_free(m);
        return result;
    }
    *out = m;
    return WC_OK;
}
