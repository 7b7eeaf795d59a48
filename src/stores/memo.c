#include "stores/memo.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strmap.h"

#define MAX_ITEMS 4096

/* One entry: its strings in one allocation after it (key, version, a, b). */
typedef struct entry {
    struct entry *newer, *older;
    size_t bytes;
    const char *key, *version, *a, *b; /* into the allocation; b NULL when none */
} entry;

struct wc_memo {
    wc_strmap *map; /* key -> entry * (owned) */
    entry *newest, *oldest;
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

static void unlink_entry(wc_memo *m, entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        m->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        m->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void push_newest(wc_memo *m, entry *e)
{
    e->older = m->newest;
    if (m->newest)
        m->newest->newer = e;
    else
        m->oldest = e;
    m->newest = e;
}

static void drop(wc_memo *m, entry *e)
{
    unlink_entry(m, e);
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
    while (m->oldest)
        drop(m, m->oldest);
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
    while (m->oldest && (m->bytes + bytes > m->max_bytes || wc_strmap_count(m->map) >= MAX_ITEMS))
        drop(m, m->oldest);
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
    e->newer = e->older = NULL;
    push_newest(m, e);
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
    unlink_entry(m, e);
    push_newest(m, e);
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
