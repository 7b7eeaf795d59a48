#include "sources/deferrals.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    unsigned attempts;
    uint64_t not_before_ms;
    int marked;
} entry;

/* A plain array: deferred requests are few (a handful waiting for their create at a time). */
struct wc_deferrals {
    entry *e;
    size_t n, cap;
};

wc_deferrals *wc_deferrals_new(void)
{
    return calloc(1, sizeof(wc_deferrals));
}

void wc_deferrals_free(wc_deferrals *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->e[i].key);
    free(d->e);
    free(d);
}

static entry *find(const wc_deferrals *d, const char *key)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->e[i].key, key) == 0)
            return &d->e[i];
    return NULL;
}

unsigned wc_deferrals_attempts(const wc_deferrals *d, const char *key)
{
    entry *e = find(d, key);
    return e ? e->attempts : 0;
}

int wc_deferrals_waiting(const wc_deferrals *d, const char *key, uint64_t now_ms)
{
    entry *e = find(d, key);
    return e && e->not_before_ms > now_ms;
}

wc_result wc_deferrals_defer(wc_deferrals *d, const char *key, unsigned attempts,
                             uint64_t not_before_ms)
{
    entry *e = find(d, key);
    if (!e) {
        if (d->n == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : 16;
            entry *bigger = realloc(d->e, cap * sizeof(*bigger));
            if (!bigger)
                return WC_ERR_NOMEM;
            d->e = bigger;
            d->cap = cap;
        }
        char *copy = strdup(key);
        if (!copy)
            return WC_ERR_NOMEM;
        e = &d->e[d->n++];
        e->key = copy;
    }
    e->attempts = attempts;
    e->not_before_ms = not_before_ms;
    e->marked = 1;
    return WC_OK;
}

static void remove_at(wc_deferrals *d, size_t i)
{
    free(d->e[i].key);
    d->e[i] = d->e[--d->n];
}

void wc_deferrals_forget(wc_deferrals *d, const char *key)
{
    entry *e = find(d, key);
    if (e)
        remove_at(d, (size_t)(e - d->e));
}

size_t wc_deferrals_count(const wc_deferrals *d)
{
    return d->n;
}

const char *wc_deferrals_key(const wc_deferrals *d, size_t i)
{
    return d->e[i].key;
}

void wc_deferrals_unmark_all(wc_deferrals *d)
{
    for (size_t i = 0; i < d->n; i++)
        d->e[i].marked = 0;
}

void wc_deferrals_mark(wc_deferrals *d, const char *key)
{
    entry *e = find(d, key);
    if (e)
        e->marked = 1;
}

int wc_deferrals_marked(const wc_deferrals *d, const char *key)
{
    entry *e = find(d, key);
    return e && e->marked;
}

void wc_deferrals_sweep(wc_deferrals *d)
{
    for (size_t i = 0; i < d->n;) {
        if (!d->e[i].marked)
            remove_at(d, i);
        else
            i++;
    }
}

uint64_t wc_deferrals_due(const wc_deferrals *d, const char *key)
{
    entry *e = find(d, key);
    return e ? e->not_before_ms : 0;
}

void wc_deferrals_forget_due(wc_deferrals *d, uint64_t now_ms)
{
    for (size_t i = 0; i < d->n;) {
        if (d->e[i].not_before_ms <= now_ms) {
            free(d->e[i].key);
            d->e[i] = d->e[--d->n];
        } else {
            i++;
        }
    }
}
