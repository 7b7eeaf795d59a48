#include "producer/generator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
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
    const char *last_cleared; /* realistic: a name of the pool this widget's updates cleared */
} live_widget;

/* Realistic mode: made-up attribute names besides the spec's. */
#define MADE_UP_NAMES 48

struct wc_generator {
    uint64_t state;
    live_widget *live;
    size_t n_live, cap_live;
    wc_widget_map *expected;
    int realistic;
    uint64_t n_ids;               /* ids made: a suffix that keeps non-UUID ids unique */
    char *made_up[MADE_UP_NAMES]; /* realistic: 20-60 bytes each */
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
    for (size_t i = 0; i < MADE_UP_NAMES; i++)
        free(g->made_up[i]);
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
        /* change one (roll < 50) or remove one (< 70); else add one (or change it, when it is
         * there already) */
        int existing = current->n_attrs > 0 && roll < 70;
        const char *name = existing ? current->attrs[wc_generator_random(g, current->n_attrs)].name
                                    : attr_names[wc_generator_random(g, N_OF(attr_names))];
        char *value = existing && roll >= 50 ? strdup("") : attr_value(g, name);
        if (add_attr(r, strdup(name), value) != 0)
            return -1;
    }
    return 0;
}

/* --- realistic mode --- */

/* Pieces of text, each valid UTF-8 on its own, so that any sequence of them is. Only characters
 * of the Basic Multilingual Plane: real SQS takes #x10000-#x10FFFF too, but fauxqs 1.9.2 answers
 * InvalidMessageContents for them (an emoji, say). */
static const char *const pieces[] = {
    "a", "b", "c", "d", "e", "f", "g", "h", "k",    "m",    "n", "o", "r", "s",  "t",  "u",
    "w", "x", "y", "z", "A", "Q", "Z", "0", "1",    "7",    "9", " ", " ", " ",  "-",  "_",
    ".", ",", ":", ";", "!", "?", "(", ")", "[",    "]",    "{", "}", "'", "\"", "\\", "/",
    "+", "=", "*", "&", "#", "%", "@", "~", "<",    ">",    "|", "$", "é", "ü",  "ß",  "ø",
    "ñ", "ç", "€", "°", "µ", "—", "…", "✓", "日本", "部品", "Ω", "☃",
};
static const char *const words[] = {
    "tolerance", "finish",  "batch",  "warehouse", "certified",         "supplier", "lead time",
    "coating",   "grade",   "origin", "Prüfung",   "matériau",          "寸法",     "packaging",
    "max load",  "voltage", "notes",  "revision",  "color (secondary)", "size/fit",
};

/* Text of between min and max pieces (never cut inside a UTF-8 character). Caller frees. */
static char *piece_string(wc_generator *g, size_t min, size_t max)
{
    size_t n = min + wc_generator_random(g, max - min + 1), longest = 0;
    for (size_t i = 0; i < N_OF(pieces); i++)
        longest = strlen(pieces[i]) > longest ? strlen(pieces[i]) : longest;
    char *s = malloc(n * longest + 1), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *piece = pieces[wc_generator_random(g, N_OF(pieces))];
        size_t len = strlen(piece);
        memcpy(p, piece, len);
        p += len;
    }
    *p = '\0';
    return s;
}

/* A made-up attribute name of 20-60 bytes: words, punctuation and non-ASCII text. */
static char *made_up_name(wc_generator *g, size_t k)
{
    static const char *const starts[] = {"",    "",      "",          "",      "x-",
                                         "wc:", "attr_", "Vendor's ", "ÜBER ", " "};
    char buf[128];
    size_t want = 20 + wc_generator_random(g, 41), len;
    static const char *const separators[] = {" ", "-", "_", ".", ": ", "/", ""};
    snprintf(buf, sizeof(buf), "%s%s%s%zu", starts[wc_generator_random(g, N_OF(starts))],
             words[k % N_OF(words)], separators[wc_generator_random(g, N_OF(separators))], k);
    while ((len = strlen(buf)) < want) {
        const char *piece = wc_generator_random(g, 3) ? pieces[wc_generator_random(g, N_OF(pieces))]
                                                      : words[wc_generator_random(g, N_OF(words))];
        if (len + strlen(piece) > 60)
            break;
        memcpy(buf + len, piece, strlen(piece) + 1);
    }
    while (strlen(buf) < 20) /* the last piece did not fit: ASCII padding */
        strcat(buf, "z");
    return strdup(buf);
}

int wc_generator_set_realistic(wc_generator *g)
{
    g->realistic = 1;
    for (size_t k = 0; k < MADE_UP_NAMES; k++)
        if (!(g->made_up[k] = made_up_name(g, k)))
            return 0;
    return 1;
}

/* A widget id of one of many shapes, unique in the run: mostly UUIDs, else short ids, dots
 * (".next", ".lock"), '%', spaces, unicode, a leading '.', punctuation, long ones. */
static char *realistic_id(wc_generator *g)
{
    uint64_t n = ++g->n_ids, roll = wc_generator_random(g, 100);
    char buf[WC_MAX_ID_LEN + 1];
    /* The run's counter between a prefix and a suffix: { prefix, suffix } by shape. */
    static const char *const shapes[][2] = {
        {"", ""},
        {"w", ""},
        {"", ".next"},
        {"v1.2.", ""},
        {"", ".lock"},
        {"", "."},
        {"a.b.c.", ""},
        {"", ".tmp-1-2-x"},
        {"50%off-", ""},
        {"%2E", ""},
        {"%", ""},
        {"", "%25"},
        {"blue widget  ", " "},
        {"wïdgét-", ""},
        {"部品-", ""},
        {"ünïcødé ✓ ", ""},
        {"", "-☃"},
        {".w", ""},
        {".ledger", ""},
        {".lock-", ""},
        {"..", ""},
        {"a+b=c*?#[", "]&'\"\\;~"},
    };
    if (roll < 50)
        return uuid(g);
    if (roll < 98) {
        size_t k = (size_t)wc_generator_random(g, N_OF(shapes));
        snprintf(buf, sizeof(buf), "%s%llu%s", shapes[k][0], (unsigned long long)n, shapes[k][1]);
    } else { /* long: up to the 256 bytes a widgetId may have */
        int len = snprintf(buf, sizeof(buf), "long-%llu-", (unsigned long long)n);
        size_t want = 100 + wc_generator_random(g, WC_MAX_ID_LEN - 100 + 1);
        while ((size_t)len + 2 <= want) /* "é" is 2 bytes, "x" 1: whole characters only */
            len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s",
                            wc_generator_random(g, 4) ? "x" : "é");
    }
    return strdup(buf);
}

/* A value: for the spec's names mostly what real producers send; else from empty to a few
 * hundred characters of any kind. */
static char *realistic_value(wc_generator *g, const char *name, int spec_name)
{
    uint64_t roll = wc_generator_random(g, 100);
    if (roll < 6)
        return strdup("");
    if (spec_name && roll < 80)
        return attr_value(g, name);
    if (roll < 50)
        return piece_string(g, 1, 20);
    if (roll < 90)
        return piece_string(g, 20, 100);
    return piece_string(g, 100, 400);
}

/* An attribute name of the pool: the spec's 14, then the made-up ones. */
static const char *pool_name(const wc_generator *g, size_t k, int *spec_name)
{
    *spec_name = k < N_OF(attr_names);
    return *spec_name ? attr_names[k] : g->made_up[k - N_OF(attr_names)];
}

static int is_spec(const char *name)
{
    for (size_t k = 0; k < N_OF(attr_names); k++)
        if (strcmp(name, attr_names[k]) == 0)
            return 1;
    return 0;
}

static int mentioned(const wc_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_attrs; i++)
        if (strcmp(r->attrs[i].name, name) == 0)
            return 1;
    return 0;
}

static int fill_create_realistic(wc_generator *g, wc_request *r)
{
    r->widget_id = realistic_id(g);
    r->owner = strdup(owners[wc_generator_random(g, N_OF(owners))]);
    maybe_field(g, &r->label, 90, 5, 3, 8);
    maybe_field(g, &r->description, 80, 5, 10, 300);
    size_t pool = N_OF(attr_names) + MADE_UP_NAMES, order[N_OF(attr_names) + MADE_UP_NAMES];
    for (size_t k = 0; k < pool; k++)
        order[k] = k;
    size_t n = 10 + wc_generator_random(g, 31);
    for (size_t i = 0; i < n; i++) { /* n distinct names: a partial Fisher-Yates */
        size_t j = i + (size_t)wc_generator_random(g, pool - i), t = order[i];
        order[i] = order[j];
        order[j] = t;
        int spec;
        const char *name = pool_name(g, order[i], &spec);
        if (add_attr(r, strdup(name), realistic_value(g, name, spec)) != 0)
            return -1;
    }
    return r->widget_id && r->owner ? 0 : -1;
}

/* The pool's own copy of a name (stable for the generator's life), or NULL. */
static const char *in_pool(const wc_generator *g, const char *name)
{
    int spec;
    for (size_t k = 0; k < N_OF(attr_names) + MADE_UP_NAMES; k++)
        if (strcmp(pool_name(g, k, &spec), name) == 0)
            return pool_name(g, k, &spec);
    return NULL;
}

static int fill_update_realistic(wc_generator *g, wc_request *r, const wc_widget *current,
                                 live_widget *target)
{
    maybe_field(g, &r->label, 30, 15, 3, 8);
    maybe_field(g, &r->description, 25, 15, 10, 300);
    size_t n = 1 + wc_generator_random(g, 6);
    for (size_t i = 0; i < n; i++) {
        uint64_t roll = wc_generator_random(g, 100);
        const char *name;
        char *value = NULL; /* NULL: a value drawn for the name */
        int spec;
        if (current->n_attrs > 0 && roll < 65) { /* change one (< 40) or clear one */
            name = current->attrs[wc_generator_random(g, current->n_attrs)].name;
            if (roll >= 40)
                value = strdup("");
            if (roll >= 40 && !mentioned(r, name))
                target->last_cleared = in_pool(g, name);
        } else if (roll < 80 && target->last_cleared &&
                   !wc_widget_attr(current, target->last_cleared)) { /* set again */
            name = target->last_cleared;
        } else { /* set one of the pool: new, or set again after a clear */
            name = pool_name(g, (size_t)wc_generator_random(g, N_OF(attr_names) + MADE_UP_NAMES),
                             &spec);
        }
        if (mentioned(r, name)) { /* one mention of a name per request */
            free(value);
            continue;
        }
        if (!value)
            value = realistic_value(g, name, is_spec(name));
        if (add_attr(r, strdup(name), value) != 0)
            return -1;
    }
    return 0;
}

/* The next request: of the type (-1: drawn, about 86% create, 10% update, 4% delete) and, for
 * an update or delete, of the live widget target (NULL: drawn). */
static wc_request *next_request(wc_generator *g, int type, const char *target_id)
{
    wc_request *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->request_id = uuid(g);
    uint64_t roll = wc_generator_random(g, 100);
    r->type = type >= 0                     ? (wc_request_type)type
              : g->n_live == 0 || roll < 86 ? WC_REQ_CREATE
              : roll < 96                   ? WC_REQ_UPDATE
                                            : WC_REQ_DELETE;
    size_t pick = g->n_live;
    for (size_t i = g->n_live; target_id && r->type != WC_REQ_CREATE && i-- > 0;)
        if (strcmp(g->live[i].id, target_id) == 0) {
            pick = i;
            break;
        }
    if (r->type != WC_REQ_CREATE && (g->n_live == 0 || (target_id && pick == g->n_live))) {
        wc_request_free(r); /* nothing alive to aim at */
        return NULL;
    }
    int ok = r->request_id != NULL;
    if (ok && r->type == WC_REQ_CREATE) {
        ok = (g->realistic ? fill_create_realistic(g, r) : fill_create(g, r)) == 0;
        wc_widget *w = ok ? wc_widget_from_create(r) : NULL;
        live_widget *live = wc_array_room(g->live, g->n_live, &g->cap_live, sizeof(*live), 64);
        if (live)
            g->live = live;
        char *id = w ? strdup(w->id) : NULL;
        ok = w && id && g->n_live < g->cap_live;
        if (ok) {
            for (size_t i = 0; i < N_OF(owners); i++)
                if (strcmp(owners[i], r->owner) == 0)
                    g->live[g->n_live].owner = owners[i];
            g->live[g->n_live].last_cleared = NULL;
            g->live[g->n_live++].id = id;
            ok = wc_widget_map_put(g->expected, w) == WC_OK;
        } else {
            free(id);
            wc_widget_free(w);
        }
    } else if (ok) {
        if (!target_id && g->realistic && g->n_live > 16 && wc_generator_random(g, 2))
            pick = g->n_live - 1 - wc_generator_random(g, 16); /* a recent one, often again */
        else if (!target_id)
            pick = wc_generator_random(g, g->n_live);
        live_widget target = g->live[pick];
        r->widget_id = strdup(target.id);
        r->owner = strdup(target.owner);
        wc_widget *current = wc_widget_map_get(g->expected, target.id);
        ok = r->widget_id && r->owner && current;
        if (ok && r->type == WC_REQ_UPDATE) {
            ok = (g->realistic ? fill_update_realistic(g, r, current, &g->live[pick])
                               : fill_update(g, r, current)) == 0 &&
                 wc_widget_apply_update(current, r) == WC_OK;
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

wc_request *wc_generator_next(wc_generator *g)
{
    return next_request(g, -1, NULL);
}

wc_request *wc_generator_next_of(wc_generator *g, wc_request_type type, const char *widget_id)
{
    return next_request(g, (int)type, widget_id);
}
