#include "producer/expected.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"

/* A chained hash table: small, and plenty for the hundreds of thousands of widgets a run makes. */
typedef struct entry {
    wc_widget *w;
    struct entry *next;
} entry;

struct wc_widget_map {
    entry **buckets;
    size_t n_buckets, size;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

wc_widget_map *wc_widget_map_new(void)
{
    wc_widget_map *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->n_buckets = 1024;
    m->buckets = calloc(m->n_buckets, sizeof(*m->buckets));
    if (!m->buckets) {
        free(m);
        return NULL;
    }
    return m;
}

void wc_widget_map_free(wc_widget_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_buckets; i++) {
        for (entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            wc_widget_free(e->w);
            free(e);
        }
    }
    free(m->buckets);
    free(m);
}

wc_widget *wc_widget_map_get(const wc_widget_map *m, const char *id)
{
    for (entry *e = m->buckets[hash(id) % m->n_buckets]; e; e = e->next)
        if (strcmp(e->w->id, id) == 0)
            return e->w;
    return NULL;
}

static void grow(wc_widget_map *m)
{
    size_t n = m->n_buckets * 4;
    entry **buckets = calloc(n, sizeof(*buckets));
    if (!buckets)
        return; /* keep the longer chains: slower, still right */
    for (size_t i = 0; i < m->n_buckets; i++) {
        for (entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t b = hash(e->w->id) % n;
            e->next = buckets[b];
            buckets[b] = e;
        }
    }
    free(m->buckets);
    m->buckets = buckets;
    m->n_buckets = n;
}

wc_result wc_widget_map_put(wc_widget_map *m, wc_widget *w)
{
    entry **slot = &m->buckets[hash(w->id) % m->n_buckets];
    for (entry *e = *slot; e; e = e->next) {
        if (strcmp(e->w->id, w->id) == 0) {
            wc_widget_free(e->w);
            e->w = w;
            return WC_OK;
        }
    }
    entry *e = malloc(sizeof(*e));
    if (!e) {
        wc_widget_free(w);
        return WC_ERR_NOMEM;
    }
    e->w = w;
    e->next = *slot;
    *slot = e;
    if (++m->size > m->n_buckets * 2)
        grow(m);
    return WC_OK;
}

int wc_widget_map_remove(wc_widget_map *m, const char *id)
{
    for (entry **p = &m->buckets[hash(id) % m->n_buckets]; *p; p = &(*p)->next) {
        if (strcmp((*p)->w->id, id) == 0) {
            entry *e = *p;
            *p = e->next;
            wc_widget_free(e->w);
            free(e);
            m->size--;
            return 1;
        }
    }
    return 0;
}

size_t wc_widget_map_size(const wc_widget_map *m)
{
    return m->size;
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(wc_widget *const *)a)->id, (*(wc_widget *const *)b)->id);
}

wc_widget **wc_widget_map_sorted(const wc_widget_map *m)
{
    wc_widget **all = malloc((m->size ? m->size : 1) * sizeof(*all));
    if (!all)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < m->n_buckets; i++)
        for (entry *e = m->buckets[i]; e; e = e->next)
            all[k++] = e->w;
    qsort(all, k, sizeof(*all), by_id);
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
    for (size_t i = 0; i < m->size; i++) {
        char *json = wc_widget_to_json(all[i]);
        fprintf(f, "%s%s\n", json ? json : "null", i + 1 < m->size ? "," : "");
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
