#include "sources/deferrals.h"

#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

typedef struct {
    unsigned attempts;
    uint64_t not_before_ms;
    int marked;
} entry;

/* A hashed map (common/strmap.h): with --shard, a listing checks every key of the other shards
 * against the set of them, so a plain array was O(n^2) per listing for n keys. */
struct wc_deferrals {
    wc_strmap *map;
};

wc_deferrals *wc_deferrals_new(void)
{
    wc_deferrals *d = calloc(1, sizeof(*d));
    if (d && !(d->map = wc_strmap_new(sizeof(entry)))) {
        free(d);
        d = NULL;
    }
    return d;
}

void wc_deferrals_free(wc_deferrals *d)
{
    if (!d)
        return;
    wc_strmap_free(d->map);
    free(d);
}

unsigned wc_deferrals_attempts(const wc_deferrals *d, const char *key)
{
    const entry *e = wc_strmap_get(d->map, key);
    return e ? e->attempts : 0;
}

int wc_deferrals_waiting(const wc_deferrals *d, const char *key, uint64_t now_ms)
{
    const entry *e = wc_strmap_get(d->map, key);
    return e && e->not_before_ms > now_ms;
}

wc_result wc_deferrals_defer(wc_deferrals *d, const char *key, unsigned attempts,
                             uint64_t not_before_ms)
{
    entry *e = wc_strmap_put(d->map, key, NULL);
    if (!e)
        return WC_ERR_NOMEM;
    e->attempts = attempts;
    e->not_before_ms = not_before_ms;
    e->marked = 1;
    return WC_OK;
}

int wc_deferrals_hurry(wc_deferrals *d, const char *key, uint64_t now_ms)
{
    entry *e = wc_strmap_get(d->map, key);
    if (!e || e->not_before_ms <= now_ms)
        return 0;
    e->not_before_ms = now_ms;
    return 1;
}

void wc_deferrals_forget(wc_deferrals *d, const char *key)
{
    wc_strmap_remove(d->map, key);
}

size_t wc_deferrals_count(const wc_deferrals *d)
{
    return wc_strmap_count(d->map);
}

size_t wc_deferrals_drop_due(wc_deferrals *d, uint64_t now_ms)
{
    for (size_t i = 0; i < wc_strmap_count(d->map);) {
        if (((entry *)wc_strmap_value_at(d->map, i))->not_before_ms <= now_ms)
            wc_strmap_remove_at(d->map, i); /* the last entry moves to i */
        else
            i++;
    }
    return wc_strmap_count(d->map);
}

void wc_deferrals_unmark_all(wc_deferrals *d)
{
    for (size_t i = 0; i < wc_strmap_count(d->map); i++)
        ((entry *)wc_strmap_value_at(d->map, i))->marked = 0;
}

void wc_deferrals_mark(wc_deferrals *d, const char *key)
{
    entry *e = wc_strmap_get(d->map, key);
    if (e)
        e->marked = 1;
}

void wc_deferrals_sweep(wc_deferrals *d)
{
    for (size_t i = 0; i < wc_strmap_count(d->map);) {
        if (!((entry *)wc_strmap_value_at(d->map, i))->marked)
            wc_strmap_remove_at(d->map, i); /* the last entry moves to i */
        else
            i++;
    }
}

uint64_t wc_deferrals_probes(const wc_deferrals *d)
{
    return wc_strmap_probes(d->map);
}
