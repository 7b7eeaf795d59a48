#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char *key;
    uint64_t hash;
} entry;

struct wc_strmap {
    unsigned char seed[16];
    size_t value_size;
    entry *entries; /* dense: 0..n-1 */
    unsigned char *values;
    size_t n, cap;
    size_t *slots; /* entry index + 1, 0 when empty; nslots is a power of two */
    size_t nslots;
    uint64_t *probes; /* apart, so that lookups on a const map can count */
};

/* --- SipHash-2-4 (Aumasson and Bernstein), as in the reference implementation --- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t wc_siphash(const unsigned char key[16], const void *data, size_t len)
{
    const unsigned char *in = data;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
    uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
    const unsigned char *end = in + len - (len % 8);
    for (; in != end; in += 8) {
        uint64_t m = load_le64(in);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)in[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* --- the map --- */

wc_strmap *wc_strmap_new_seeded(size_t value_size, const unsigned char seed[16])
{
    wc_strmap *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    memcpy(m->seed, seed, sizeof(m->seed));
    m->value_size = value_size ? value_size : 1;
    m->probes = calloc(1, sizeof(*m->probes));
    if (!m->probes) {
        free(m);
        return NULL;
    }
    return m;
}

/* The process's key, drawn once (a map per update or per widget compared would otherwise cost a
 * getrandom each); each map's seed is it with the count of maps made mixed in. The programs are
 * single-threaded (one event loop). */
wc_strmap *wc_strmap_new(size_t value_size)
{
    static unsigned char key[16];
    static uint64_t made;
    if (made++ == 0 && getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        /* No entropy source: still unknown to whoever writes the keys, if less so. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t a = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
        uint64_t b = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)key;
        memcpy(key, &a, 8);
        memcpy(key + 8, &b, 8);
    }
    unsigned char seed[16];
    memcpy(seed, key, sizeof(seed));
    for (int i = 0; i < 8; i++)
        seed[i] ^= (unsigned char)(made >> (8 * i));
    return wc_strmap_new_seeded(value_size, seed);
}

void wc_strmap_free(wc_strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->entries[i].key);
    free(m->entries);
    free(m->values);
    free(m->slots);
    free(m->probes);
    free(m);
}

size_t wc_strmap_count(const wc_strmap *m)
{
    return m->n;
}

/* The slot holding key (hash h), or the empty slot where it would go. nslots > 0. */
static size_t find_slot(const wc_strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        (*m->probes)++;
        size_t e = m->slots[i];
        if (e == 0)
            return i;
        if (m->entries[e - 1].hash == h && strcmp(m->entries[e - 1].key, key) == 0)
            return i;
    }
}

/* The slot that holds entry index e. */
static size_t slot_of(const wc_strmap *m, size_t e)
{
    size_t mask = m->nslots - 1;
    size_t i = (size_t)m->entries[e].hash & mask;
    while (m->slots[i] != e + 1)
        i = (i + 1) & mask;
    return i;
}

static uint64_t hash_of(const wc_strmap *m, const char *key)
{
    return wc_siphash(m->seed, key, strlen(key));
}

void *wc_strmap_get(const wc_strmap *m, const char *key)
{
    if (m->n == 0)
        return NULL;
    size_t e = m->slots[find_slot(m, key, hash_of(m, key))];
    return e ? m->values + (e - 1) * m->value_size : NULL;
}

/* Doubles the table (at most half full), placing every entry again. */
static int grow_slots(wc_strmap *m)
{
    size_t nslots = m->nslots ? m->nslots * 2 : 16;
    size_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return -1;
    free(m->slots);
    m->slots = slots;
    m->nslots = nslots;
    for (size_t e = 0; e < m->n; e++) {
        size_t i = (size_t)m->entries[e].hash & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = e + 1;
    }
    return 0;
}

void *wc_strmap_put(wc_strmap *m, const char *key, int *added)
{
    if (added)
        *added = 0;
    uint64_t h = hash_of(m, key);
    if (m->n > 0) {
        size_t e = m->slots[find_slot(m, key, h)];
        if (e)
            return m->values + (e - 1) * m->value_size;
    }
    if ((m->n + 1) * 2 > m->nslots && grow_slots(m) != 0)
        return NULL;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        entry *entries = realloc(m->entries, cap * sizeof(*entries));
        if (!entries)
            return NULL;
        m->entries = entries;
        unsigned char *values = realloc(m->values, cap * m->value_size);
        if (!values)
            return NULL;
        m->values = values;
        m->cap = cap;
    }
    char *copy = strdup(key);
    if (!copy)
        return NULL;
    size_t e = m->n++;
    m->entries[e].key = copy;
    m->entries[e].hash = h;
    m->slots[find_slot(m, key, h)] = e + 1;
    void *value = m->values + e * m->value_size;
    memset(value, 0, m->value_size);
    if (added)
        *added = 1;
    return value;
}

/* Empties slot i, shifting back the entries after it that probed past it (no tombstones). */
static void clear_slot(wc_strmap *m, size_t i)
{
    size_t mask = m->nslots - 1;
    m->slots[i] = 0;
    for (size_t j = (i + 1) & mask; m->slots[j]; j = (j + 1) & mask) {
        size_t home = (size_t)m->entries[m->slots[j] - 1].hash & mask;
        /* It stays when its home lies cyclically in (i, j]. */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            m->slots[i] = m->slots[j];
            m->slots[j] = 0;
            i = j;
        }
    }
}

void wc_strmap_remove_at(wc_strmap *m, size_t e)
{
    clear_slot(m, slot_of(m, e));
    free(m->entries[e].key);
    size_t last = --m->n;
    if (e != last) { /* the last entry fills the hole */
        m->slots[slot_of(m, last)] = e + 1;
        m->entries[e] = m->entries[last];
        memcpy(m->values + e * m->value_size, m->values + last * m->value_size, m->value_size);
    }
}

int wc_strmap_remove(wc_strmap *m, const char *key)
{
    if (m->n == 0)
        return 0;
    size_t e = m->slots[find_slot(m, key, hash_of(m, key))];
    if (!e)
        return 0;
    wc_strmap_remove_at(m, e - 1);
    return 1;
}

const char *wc_strmap_key_at(const wc_strmap *m, size_t i)
{
    return m->entries[i].key;
}

void *wc_strmap_value_at(const wc_strmap *m, size_t i)
{
    return m->values + i * m->value_size;
}

uint64_t wc_strmap_probes(const wc_strmap *m)
{
    return *m->probes;
}
