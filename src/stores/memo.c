#include "stores/memo.h"

#include <stdlib.h>
#include <string.h>

#include "common/list.h"
#include "common/log.h"
#include "common/strmap.h"

#define MAX_ITEMS 4096

/* One entry: its strings in one allocation after it (key, version, a, b). */
typedef struct entry {
    wc_link link; /* on the memo's list, oldest first */
    size_t bytes;
    const char *key, *version, *a, *b; /* into the allocation; b NULL when none */
} entry;

struct wc_memo {
    wc_strmap *map;  /* key -> entry * (owned) */
    wc_list entries; /* least recently used first: the first to go */
    size_t bytes, max_bytes;
    unsigned long long hits, misses;
};

wc_memo *wc_memo_new(size_t max_bytes)
{
    if (max_bytes == 0)
        return NULL;
    wc_memo *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->map = wc_strmap_new(sizeof(entry *));
    if (!m->map) {
        free(m);
        return NULL;
    }
    m->max_bytes = max_bytes;
    return m;
}

static entry *oldest(wc_memo *m)
{
    return WC_LIST_ENTRY(m->entries.first, entry, link);
}

static void drop(wc_memo *m, entry *e)
{
    wc_list_remove(&m->entries, &e->link);
    wc_strmap_remove(m->map, e->key);
    m->bytes -= e->bytes;
    free(e);
}

void wc_memo_free(wc_memo *m, const char *kind, const char *where)
{
    wc_debug("%s store: %llu exact-order reads answered from memory, %llu from the %s", kind,
             m ? m->hits : 0, m ? m->misses : 0, where);
    if (!m)
        return;
    while (m->entries.first)
        drop(m, oldest(m));
    wc_strmap_free(m->map);
    free(m);
}

void wc_memo_forget(wc_memo *m, const char *key)
{
    entry **slot = m ? wc_strmap_get(m->map, key) : NULL;
    if (slot)
        drop(m, *slot);
}

void wc_memo_put(wc_memo *m, const char *key, const char *version, const char *a, const char *b)
{
    wc_memo_forget(m, key);
    if (!m || !version || !a)
        return;
    size_t lk = strlen(key) + 1, lv = strlen(version) + 1, la = strlen(a) + 1,
           lb = b ? strlen(b) + 1 : 0;
    /* the strings, the entry, and the map's copy of the key and its slot */
    size_t bytes = sizeof(entry) + lk + lv + la + lb + lk + 32;
    if (bytes > m->max_bytes / 4)
        return;
    while (m->entries.first &&
           (m->bytes + bytes > m->max_bytes || wc_strmap_count(m->map) >= MAX_ITEMS))
        drop(m, oldest(m));
    entry *e = malloc(sizeof(*e) + lk + lv + la + lb);
    entry **slot = e ? wc_strmap_put(m->map, key, NULL) : NULL;
    if (!slot) {
        free(e);
        return;
    }
    char *p = (char *)(e + 1);
    e->key = memcpy(p, key, lk);
    e->version = memcpy(p + lk, version, lv);
    e->a = memcpy(p + lk + lv, a, la);
    e->b = b ? memcpy(p + lk + lv + la, b, lb) : NULL;
    e->bytes = bytes;
    wc_list_append(&m->entries, &e->link);
    m->bytes += bytes;
    *slot = e;
}

int wc_memo_recall(wc_memo *m, const char *key, wc_memo_read read, void *self, wc_stored *out)
{
    entry **slot = m ? wc_strmap_get(m->map, key) : NULL;
    if (m && !slot)
        m->misses++;
    if (!slot)
        return 0;
    entry *e = *slot;
    wc_list_remove(&m->entries, &e->link);
    wc_list_append(&m->entries, &e->link);
    m->hits++;
    wc_error err;
    if (read(self, key, e->version, e->a, e->b, out, &err) != WC_OK) {
        wc_stored_cleanup(out);
        drop(m, e);
        return 0;
    }
    out->cached = 1;
    return 1;
}

void wc_memo_count_read(wc_memo *m)
{
    if (m)
        m->misses++;
}
