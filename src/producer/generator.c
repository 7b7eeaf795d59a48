#include "producer/generator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/widget.h"

static const char *const owners[] = {
    "Mary Matthews", "John Jones",  "Henry Hops",   "Sue Smith",    "Ann Archer", "Bob Baker",
    "Carla Cruz",    "Dan Dorsey",  "Eve Evans",    "Frank Fields", "Gina Gray",  "Hal Hughes",
    "Ivy Ingram",    "Jack Jensen", "Kim Kowalski", "Lou Larsen",
};
static const char *const attr_names[] = {
    "color",  "size",        "size-unit", "height", "height-unit", "width",  "width-unit",
    "length", "length-unit", "rating",    "price",  "quantity",    "vendor", "note",
};
static const char *const colors[] = {"red", "green", "blue", "black", "white", "yellow", "teal"};
static const char *const units[] = {"cm", "mm", "m", "in", "ft"};
static const char *const vendors[] = {"Acme", "Globex", "Initech", "Umbrella", "Hooli"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    char *id;
    const char *owner;
} live_widget;

struct wc_generator {
    uint64_t state;
    live_widget *live;
    size_t n_live, cap_live;
    wc_widget_map *expected;
};

/* splitmix64: small, fast, and the same numbers for the same seed on every machine. */
static uint64_t next_u64(wc_generator *g)
{
    uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t wc_generator_random(wc_generator *g, uint64_t n)
{
    return n ? next_u64(g) % n : 0;
}

static char *uuid(wc_generator *g)
{
    uint64_t a = next_u64(g), b = next_u64(g);
    char *s = malloc(37);
    if (!s)
        return NULL;
    snprintf(s, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffull));
    return s;
}

static char *upper_string(wc_generator *g, size_t min, size_t max)
{
    size_t len = min + wc_generator_random(g, max - min + 1);
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('A' + wc_generator_random(g, 26));
    s[len] = '\0';
    return s;
}

static char *attr_value(wc_generator *g, const char *name)
{
    char buf[64];
    if (strcmp(name, "color") == 0)
        snprintf(buf, sizeof(buf), "%s", colors[wc_generator_random(g, N_OF(colors))]);
    else if (strstr(name, "-unit"))
        snprintf(buf, sizeof(buf), "%s", units[wc_generator_random(g, N_OF(units))]);
    else if (strcmp(name, "vendor") == 0)
        snprintf(buf, sizeof(buf), "%s", vendors[wc_generator_random(g, N_OF(vendors))]);
    else if (strcmp(name, "note") == 0)
        return upper_string(g, 5, 40);
    else if (strcmp(name, "quantity") == 0)
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)wc_generator_random(g, 1000));
    else
        snprintf(buf, sizeof(buf), "%llu.%06llu", (unsigned long long)wc_generator_random(g, 100),
                 (unsigned long long)wc_generator_random(g, 1000000));
    return strdup(buf);
}

wc_generator *wc_generator_new(uint64_t seed)
{
    wc_generator *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->state = seed;
    g->expected = wc_widget_map_new();
    if (!g->expected) {
        free(g);
        return NULL;
    }
    return g;
}

void wc_generator_free(wc_generator *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_live; i++)
        free(g->live[i].id);
    free(g->live);
    wc_widget_map_free(g->expected);
    free(g);
}

const wc_widget_map *wc_generator_expected(const wc_generator *g)
{
    return g->expected;
}

static int add_attr(wc_request *r, char *name, char *value)
{
    wc_attr *bigger = realloc(r->attrs, (r->n_attrs + 1) * sizeof(*bigger));
    if (!bigger || !name || !value) {
        free(name);
        free(value);
        if (bigger)
            r->attrs = bigger;
        return -1;
    }
    r->attrs = bigger;
    r->attrs[r->n_attrs].name = name;
    r->attrs[r->n_attrs].value = value;
    r->n_attrs++;
    return 0;
}

/* Sets an optional field: a new value (pct_set %), a clear "" (pct_clear %), or absent. */
static void maybe_field(wc_generator *g, wc_field *f, unsigned pct_set, unsigned pct_clear,
                        size_t min, size_t max)
{
    uint64_t roll = wc_generator_random(g, 100);
    if (roll < pct_set) {
        f->present = 1;
        f->value = upper_string(g, min, max);
    } else if (roll < pct_set + pct_clear) {
        f->present = 1;
        f->value = strdup("");
    }
}

static int fill_create(wc_generator *g, wc_request *r)
{
    r->widget_id = uuid(g);
    r->owner = strdup(owners[wc_generator_random(g, N_OF(owners))]);
    maybe_field(g, &r->label, 95, 0, 3, 8);
    maybe_field(g, &r->description, 85, 0, 10, 300);
    size_t n = wc_generator_random(g, 6);
    size_t first = wc_generator_random(g, N_OF(attr_names));
    for (size_t i = 0; i < n; i++) {
        const char *name = attr_names[(first + i * 3) % N_OF(attr_names)];
        if (add_attr(r, strdup(name), attr_value(g, name)) != 0)
            return -1;
    }
    return r->widget_id && r->owner ? 0 : -1;
}

static int fill_update(wc_generator *g, wc_request *r, const wc_widget *current)
{
    maybe_field(g, &r->label, 40, 10, 3, 8);
    maybe_field(g, &r->description, 30, 10, 10, 300);
    size_t n = 1 + wc_generator_random(g, 3);
    for (size_t i = 0; i < n; i++) {
        uint64_t roll = wc_generator_random(g, 100);
        if (current->n_attrs > 0 && roll < 50) { /* change one */
            const char *name = current->attrs[wc_generator_random(g, current->n_attrs)].name;
            if (add_attr(r, strdup(name), attr_value(g, name)) != 0)
                return -1;
        } else if (current->n_attrs > 0 && roll < 70) { /* remove one */
            const char *name = current->attrs[wc_generator_random(g, current->n_attrs)].name;
            if (add_attr(r, strdup(name), strdup("")) != 0)
                return -1;
        } else { /* add one (or change it, when it is there already) */
            const char *name = attr_names[wc_generator_random(g, N_OF(attr_names))];
            if (add_attr(r, strdup(name), attr_value(g, name)) != 0)
                return -1;
        }
    }
    return 0;
}

wc_request *wc_generator_next(wc_generator *g)
{
    wc_request *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->request_id = uuid(g);
    uint64_t roll = wc_generator_random(g, 100);
    r->type = g->n_live == 0 || roll < 86 ? WC_REQ_CREATE
              : roll < 96                 ? WC_REQ_UPDATE
                                          : WC_REQ_DELETE;
    int ok = r->request_id != NULL;
    if (ok && r->type == WC_REQ_CREATE) {
        ok = fill_create(g, r) == 0;
        wc_widget *w = ok ? wc_widget_from_create(r) : NULL;
        if (g->n_live == g->cap_live) {
            size_t cap = g->cap_live ? g->cap_live * 2 : 64;
            live_widget *bigger = realloc(g->live, cap * sizeof(*bigger));
            if (bigger) {
                g->live = bigger;
                g->cap_live = cap;
            }
        }
        char *id = w ? strdup(w->id) : NULL;
        ok = w && id && g->n_live < g->cap_live;
        if (ok) {
            for (size_t i = 0; i < N_OF(owners); i++)
                if (strcmp(owners[i], r->owner) == 0)
                    g->live[g->n_live].owner = owners[i];
            g->live[g->n_live++].id = id;
            ok = wc_widget_map_put(g->expected, w) == WC_OK;
        } else {
            free(id);
            wc_widget_free(w);
        }
    } else if (ok) {
        size_t pick = wc_generator_random(g, g->n_live);
        live_widget target = g->live[pick];
        r->widget_id = strdup(target.id);
        r->owner = strdup(target.owner);
        wc_widget *current = wc_widget_map_get(g->expected, target.id);
        ok = r->widget_id && r->owner && current;
        if (ok && r->type == WC_REQ_UPDATE) {
            ok = fill_update(g, r, current) == 0 && wc_widget_apply_update(current, r) == WC_OK;
        } else if (ok) {
            wc_widget_map_remove(g->expected, target.id);
            free(target.id);
            g->live[pick] = g->live[--g->n_live];
        }
    }
    if (!ok) {
        wc_request_free(r);
        return NULL;
    }
    return r;
}
