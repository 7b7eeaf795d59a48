#include "producer/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

enum { EX_MISSING, EX_UNEXPECTED, EX_DIFFERENT, EX_UNREADABLE };
static const char *const example_names[] = {"missing", "unexpected", "different", "unreadable"};

typedef struct {
    wc_verify_report *r;
    wc_widget **sorted;
    unsigned char *seen;
    size_t n;
    const char *prefix;
    int ordered;
    char **ignore;
    size_t n_ignore;
} verify_ctx;

static int by_string(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(char *const *)elem);
}

static void example(wc_verify_report *r, int kind, size_t count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void example(wc_verify_report *r, int kind, size_t count, const char *fmt, ...)
{
    if (count > WC_VERIFY_EXAMPLES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->examples[kind][count - 1], sizeof(r->examples[kind][0]), fmt, ap);
    va_end(ap);
}

static const char *or_absent(const char *s)
{
    return s ? s : "(absent)";
}

/* A map from each attribute name of w to its value (borrowed from w), the first of a name as
 * wc_widget_attr finds it. NULL: out of memory. The caller frees it (wc_strmap_free). */
static wc_strmap *attr_map(const wc_widget *w)
{
    wc_strmap *m = wc_strmap_new(sizeof(const char *));
    for (size_t i = 0; m && i < w->n_attrs; i++) {
        int added = 0;
        const char **value = wc_strmap_put(m, w->attrs[i].name, &added);
        if (!value) {
            wc_strmap_free(m);
            m = NULL;
        } else if (added) {
            *value = w->attrs[i].value;
        }
    }
    return m;
}

/* The attributes' part of describe_difference: the first of want's attributes (in its order)
 * that got lacks or holds otherwise, else the first of got's that want lacks, else their order.
 * Each side's names are looked up in a map of the other's: O(n + m), where a scan of the other
 * per name was O(n * m) (seconds for a widget of 10,000 attributes). */
static void describe_attrs(const wc_widget *want, const wc_widget *got, int ordered, char *out,
                           size_t cap)
{
    wc_strmap *in_got = attr_map(got);
    wc_strmap *in_want = in_got ? attr_map(want) : NULL;
    int said = 0;
    if (!in_want) {
        snprintf(out, cap, "attributes differ (out of memory to say how)");
        said = 1;
    }
    for (size_t i = 0; !said && i < want->n_attrs; i++) {
        const char *const *found = wc_strmap_get(in_got, want->attrs[i].name);
        const char *v = found ? *found : NULL;
        if (!v || strcmp(v, want->attrs[i].value) != 0) {
            snprintf(out, cap, "attribute %s \"%s\", expected \"%s\"", want->attrs[i].name,
                     or_absent(v), want->attrs[i].value);
            said = 1;
        }
    }
    for (size_t i = 0; !said && i < got->n_attrs; i++) {
        if (!wc_strmap_get(in_want, got->attrs[i].name)) {
            snprintf(out, cap, "attribute %s not expected", got->attrs[i].name);
            said = 1;
        }
    }
    if (!said)
        snprintf(out, cap, "%s", ordered ? "attributes in another order" : "differs");
    wc_strmap_free(in_got);
    wc_strmap_free(in_want);
}

/* Says how two widgets of one id differ, first difference only. */
static void describe_difference(const wc_widget *want, const wc_widget *got, int ordered, char *out,
                                size_t cap)
{
    if (strcmp(want->owner, got->owner) != 0) {
        snprintf(out, cap, "owner \"%s\", expected \"%s\"", got->owner, want->owner);
    } else if (!want->label != !got->label || (want->label && strcmp(want->label, got->label))) {
        snprintf(out, cap, "label \"%s\", expected \"%s\"", or_absent(got->label),
                 or_absent(want->label));
    } else if (!want->description != !got->description ||
               (want->description && strcmp(want->description, got->description))) {
        snprintf(out, cap, "description differs");
    } else {
        describe_attrs(want, got, ordered, out, cap);
    }
}

static int by_id(const void *key, const void *elem)
{
    return strcmp((const char *)key, (*(wc_widget *const *)elem)->id);
}

static void visit(void *p, const char *key, const wc_widget *w, const char *why)
{
    verify_ctx *c = p;
    wc_verify_report *r = c->r;
    r->found++;
    if (!w) {
        r->unreadable++;
        example(r, EX_UNREADABLE, r->unreadable, "%s: %s", key, why);
        return;
    }
    wc_widget **hit = bsearch(w->id, c->sorted, c->n, sizeof(*c->sorted), by_id);
    char *want_key = hit ? wc_widget_key(c->prefix, (*hit)->owner, (*hit)->id) : NULL;
    if (!hit || !want_key || strcmp(want_key, key) != 0 || c->seen[hit - c->sorted]) {
        r->unexpected++;
        example(r, EX_UNEXPECTED, r->unexpected, "%s", key);
        free(want_key);
        return;
    }
    free(want_key);
    c->seen[hit - c->sorted] = 1;
    if (c->n_ignore && bsearch(w->id, c->ignore, c->n_ignore, sizeof(*c->ignore), by_string)) {
        r->matching++;
        r->ignored++;
        return;
    }
    if (wc_widget_equal(*hit, w, c->ordered)) {
        r->matching++;
        return;
    }
    r->different++;
    if (r->different > WC_VERIFY_EXAMPLES)
        return; /* only the first few are described */
    char what[200];
    describe_difference(*hit, w, c->ordered, what, sizeof(what));
    example(r, EX_DIFFERENT, r->different, "%s: %s", key, what);
}

wc_result wc_verify_store(wc_store *store, const char *key_prefix, const wc_widget_map *expected,
                          wc_verify_report *report, wc_error *err)
{
    return wc_verify_store_ignoring(store, key_prefix, expected, NULL, 0, report, err);
}

wc_result wc_verify_store_ignoring(wc_store *store, const char *key_prefix,
                                   const wc_widget_map *expected, char **ignore, size_t n_ignore,
                                   wc_verify_report *report, wc_error *err)
{
    memset(report, 0, sizeof(*report));
    verify_ctx c = {
        .r = report,
        .sorted = wc_widget_map_sorted(expected),
        .n = wc_widget_map_size(expected),
        .prefix = key_prefix,
        .ordered = store->ops->ordered,
        .ignore = ignore,
        .n_ignore = n_ignore,
    };
    c.seen = calloc(c.n ? c.n : 1, 1);
    wc_result result = WC_OK;
    if (!c.sorted || !c.seen)
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK)
        result = store->ops->scan(store->self, visit, &c, err);
    report->expected = c.n;
    for (size_t i = 0; result == WC_OK && i < c.n; i++) {
        if (!c.seen[i]) {
            report->missing++;
            example(report, EX_MISSING, report->missing, "%s (owner \"%s\")", c.sorted[i]->id,
                    c.sorted[i]->owner);
        }
    }
    free(c.sorted);
    free(c.seen);
    return result;
}

int wc_verify_ok(const wc_verify_report *r)
{
    return r->missing == 0 && r->unexpected == 0 && r->different == 0 && r->unreadable == 0;
}

void wc_verify_print(const wc_verify_report *r, FILE *out)
{
    fprintf(out,
            "%s: %zu expected, %zu found: %zu matching, %zu missing, %zu unexpected, "
            "%zu different, %zu unreadable\n",
            wc_verify_ok(r) ? "OK" : "DIFFERENCES", r->expected, r->found, r->matching, r->missing,
            r->unexpected, r->different, r->unreadable);
    if (r->ignored)
        fprintf(out, "  (%zu of the matching have reordered updates: present, data not compared)\n",
                r->ignored);
    const size_t counts[4] = {r->missing, r->unexpected, r->different, r->unreadable};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < counts[k] && i < WC_VERIFY_EXAMPLES; i++)
            fprintf(out, "  %s: %s\n", example_names[k], r->examples[k][i]);
}
