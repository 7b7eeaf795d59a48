#include "core/ledger.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wc_ledger *wc_ledger_new(void)
{
    return calloc(1, sizeof(wc_ledger));
}

static void clear_marks(wc_ledger *l)
{
    for (size_t i = 0; i < l->n_marks; i++) {
        free(l->marks[i].field);
        free(l->marks[i].last);
        free(l->marks[i].since);
        free(l->marks[i].cleared);
    }
    l->n_marks = 0;
}

void wc_ledger_free(wc_ledger *l)
{
    if (!l)
        return;
    clear_marks(l);
    free(l->marks);
    free(l->created);
    free(l->deleted);
    free(l);
}

int wc_place_is_valid(const char *place)
{
    size_t len = place ? strlen(place) : 0;
    if (len == 0 || len > WC_PLACE_MAX)
        return 0;
    for (const char *c = place; *c; c++)
        if (*c < 0x21 || *c > 0x7e)
            return 0;
    return 1;
}

const char *wc_fate_name(wc_fate fate)
{
    switch (fate) {
    case WC_FATE_APPLIED:
        return "applied";
    case WC_FATE_UNCHANGED:
        return "unchanged";
    case WC_FATE_ALREADY:
        return "already-applied";
    case WC_FATE_SUPERSEDED:
        return "superseded";
    case WC_FATE_ABSENT:
        return "absent";
    }
    return "?";
}

/* Replaces *slot with a copy of value (NULL clears). 0: out of memory. */
static int put(char **slot, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return 0;
    free(*slot);
    *slot = copy;
    return 1;
}

/* Orders places; NULL (unknown) comes before every place. */
static int order(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static wc_mark *find_mark(const wc_ledger *l, const char *field)
{
    for (size_t i = 0; i < l->n_marks; i++)
        if (strcmp(l->marks[i].field, field) == 0)
            return &l->marks[i];
    return NULL;
}

/* The mark of field, added (with nothing known) when it has none. NULL: out of memory. */
static wc_mark *mark_of(wc_ledger *l, const char *field)
{
    wc_mark *m = find_mark(l, field);
    if (m)
        return m;
    if (l->n_marks == l->cap_marks) {
        size_t cap = l->cap_marks ? l->cap_marks * 2 : 8;
        wc_mark *bigger = realloc(l->marks, cap * sizeof(*bigger));
        if (!bigger)
            return NULL;
        l->marks = bigger;
        l->cap_marks = cap;
    }
    m = &l->marks[l->n_marks];
    *m = (wc_mark){strdup(field), NULL, NULL, NULL};
    if (!m->field)
        return NULL;
    l->n_marks++;
    return m;
}

/* "a:" + name. Caller frees. */
static char *attr_field(const char *name)
{
    size_t len = strlen(name) + 3;
    char *field = malloc(len);
    if (field)
        snprintf(field, len, "a:%s", name);
    return field;
}

/* Whether one of the writes of an update is marked with its own place: it was applied before
 * (a widget is written whole, with its ledger, so a request is in it entirely or not at all). */
static int marked_with(const wc_ledger *l, const wc_request *req, const char *place)
{
    const wc_mark *m;
    if (req->label.present && (m = find_mark(l, "label")) && order(m->last, place) == 0)
        return 1;
    if (req->description.present && (m = find_mark(l, "description")) && order(m->last, place) == 0)
        return 1;
    for (size_t i = 0; i < req->n_attrs; i++) {
        char *field = attr_field(req->attrs[i].name);
        m = field ? find_mark(l, field) : NULL;
        free(field);
        if (m && order(m->last, place) == 0)
            return 1;
    }
    return 0;
}

/* Label or description: written when the request is not older than the field's last write. */
static wc_result write_text(wc_ledger *l, const char *field, char **slot, const wc_field *f,
                            const char *place)
{
    if (!f->present)
        return WC_OK;
    wc_mark *m = mark_of(l, field);
    if (!m)
        return WC_ERR_NOMEM;
    if (order(place, m->last) < 0)
        return WC_OK; /* a later write is there */
    if (!put(slot, f->value[0] ? f->value : NULL) || !put(&m->last, place))
        return WC_ERR_NOMEM;
    return WC_OK;
}

/* Where an attribute's run begins: the place of its set and, for sets in one request, their
 * position in it ("PLACE#0002"), so attributes first set by one request keep that request's
 * order whatever the order the requests came in. */
#define SINCE_MAX (WC_PLACE_MAX + 6)

static wc_result write_attr(wc_widget *w, wc_ledger *l, const wc_attr *a, const char *place,
                            size_t index)
{
    char since[SINCE_MAX + 1];
    snprintf(since, sizeof(since), "%s#%04zu", place, index % 10000);
    char *field = attr_field(a->name);
    wc_mark *m = field ? mark_of(l, field) : NULL;
    free(field);
    if (!m)
        return WC_ERR_NOMEM;
    int removal = a->value[0] == '\0';
    int exists = wc_widget_attr(w, a->name) != NULL;
    if (order(place, m->last) >= 0) { /* the latest write of this field so far */
        if (wc_widget_set_attr(w, a->name, removal ? NULL : a->value) != WC_OK ||
            !put(&m->last, place))
            return WC_ERR_NOMEM;
        if (removal)
            return put(&m->cleared, place) && put(&m->since, NULL) ? WC_OK : WC_ERR_NOMEM;
        if (!exists && !put(&m->since, since))
            return WC_ERR_NOMEM;
        return WC_OK;
    }
    /* Older than the field's last write: its value stays, but the order may learn from it. */
    if (removal) {
        if (order(place, m->cleared) > 0 && !put(&m->cleared, place))
            return WC_ERR_NOMEM;
        /* removed after the run we thought it had: the run began with a later set */
        if (exists && m->since && order(m->cleared, m->since) > 0 && !put(&m->since, m->last))
            return WC_ERR_NOMEM;
    } else if (exists && m->since && order(place, m->cleared) > 0 && order(since, m->since) < 0) {
        if (!put(&m->since, since)) /* set earlier in the same run */
            return WC_ERR_NOMEM;
    }
    return WC_OK;
}

static const char *since_of(const wc_ledger *l, const char *name)
{
    char *field = attr_field(name);
    const wc_mark *m = field ? find_mark(l, field) : NULL;
    free(field);
    return m ? m->since : NULL;
}

/* Attributes in the order their runs began (stable: ties keep their order). */
static void order_attrs(wc_widget *w, const wc_ledger *l)
{
    for (size_t i = 1; i < w->n_attrs; i++) {
        wc_attr a = w->attrs[i];
        const char *since = since_of(l, a.name);
        size_t j = i;
        while (j > 0 && order(since_of(l, w->attrs[j - 1].name), since) > 0) {
            w->attrs[j] = w->attrs[j - 1];
            j--;
        }
        w->attrs[j] = a;
    }
}

static wc_result write_fields(wc_widget *w, wc_ledger *l, const wc_request *req, const char *place)
{
    wc_result result = write_text(l, "label", &w->label, &req->label, place);
    if (result == WC_OK)
        result = write_text(l, "description", &w->description, &req->description, place);
    for (size_t i = 0; result == WC_OK && i < req->n_attrs; i++)
        result = write_attr(w, l, &req->attrs[i], place, i);
    if (result == WC_OK)
        order_attrs(w, l);
    return result;
}

/* Not there: superseded when the widget was deleted after the request, else absent. */
static wc_fate when_absent(const wc_ledger *l, const char *place)
{
    return l->deleted && order(place, l->deleted) < 0 ? WC_FATE_SUPERSEDED : WC_FATE_ABSENT;
}

static wc_result create(wc_widget **w, wc_ledger *l, const wc_request *req, const char *place,
                        wc_fate *fate)
{
    if (*w) {
        if (l->created && order(place, l->created) == 0)
            *fate = WC_FATE_ALREADY;
        else if (l->created && order(place, l->created) < 0)
            *fate = WC_FATE_SUPERSEDED; /* a create of an earlier life of this widget */
        else
            *fate = WC_FATE_UNCHANGED; /* another create of a widget there: left as it is */
        return WC_OK;
    }
    if (l->deleted && order(place, l->deleted) <= 0) {
        *fate = WC_FATE_SUPERSEDED;
        return WC_OK;
    }
    clear_marks(l); /* a new life: what was known of the old one is older than this create */
    wc_widget *nw = calloc(1, sizeof(*nw));
    if (!nw || !(nw->id = strdup(req->widget_id)) || !(nw->owner = strdup(req->owner)) ||
        !put(&l->created, place) || write_fields(nw, l, req, place) != WC_OK) {
        wc_widget_free(nw);
        return WC_ERR_NOMEM;
    }
    *w = nw;
    *fate = WC_FATE_APPLIED;
    return WC_OK;
}

wc_result wc_ledger_apply(wc_widget **w, wc_ledger *l, const wc_request *req, const char *place,
                          wc_fate *fate)
{
    switch (req->type) {
    case WC_REQ_CREATE:
        return create(w, l, req, place, fate);
    case WC_REQ_UPDATE:
        if (!*w || (l->created && order(place, l->created) < 0)) {
            *fate = when_absent(l, place);
            return WC_OK;
        }
        if (marked_with(l, req, place)) {
            *fate = WC_FATE_ALREADY;
            return WC_OK;
        }
        *fate = WC_FATE_APPLIED;
        return write_fields(*w, l, req, place);
    case WC_REQ_DELETE:
        if (l->deleted && order(place, l->deleted) == 0) {
            *fate = WC_FATE_ALREADY;
            return WC_OK;
        }
        if (*w && l->created && order(place, l->created) < 0) {
            /* the delete of an earlier life, come after the widget was created again: only
             * remembered, so that what that life's requests still bring is superseded */
            if (order(place, l->deleted) < 0) {
                *fate = WC_FATE_SUPERSEDED;
                return WC_OK;
            }
            *fate = WC_FATE_APPLIED;
            return put(&l->deleted, place) ? WC_OK : WC_ERR_NOMEM;
        }
        if (!*w) {
            *fate = when_absent(l, place);
            return WC_OK;
        }
        if (!put(&l->deleted, place))
            return WC_ERR_NOMEM;
        wc_widget_free(*w);
        *w = NULL;
        *fate = WC_FATE_APPLIED;
        return WC_OK;
    }
    return WC_ERR_INVALID;
}

/* JSON: {"c":created|null,"d":deleted|null,"m":[[field,last,since,cleared],...]} */

static json_t *maybe(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *wc_ledger_to_json(const wc_ledger *l)
{
    json_t *marks = json_array();
    for (size_t i = 0; marks && i < l->n_marks; i++) {
        const wc_mark *m = &l->marks[i];
        json_t *one =
            json_pack("[s,o,o,o]", m->field, maybe(m->last), maybe(m->since), maybe(m->cleared));
        if (!one || json_array_append_new(marks, one) != 0) {
            json_decref(marks);
            return NULL;
        }
    }
    json_t *root = marks ? json_pack("{s:o,s:o,s:o}", "c", maybe(l->created), "d",
                                     maybe(l->deleted), "m", marks)
                         : NULL;
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

/* A place or null from JSON into *slot. 0: neither (or out of memory). */
static int read_place(json_t *v, char **slot)
{
    if (json_is_null(v) || !v)
        return 1;
    const char *s = json_string_value(v);
    size_t len = s ? strlen(s) : 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return 0;
    return len > 0 && len <= SINCE_MAX && put(slot, s); /* a place, or a since */
}

wc_result wc_ledger_from_json(const char *name, const char *text, size_t len, wc_ledger **out,
                              wc_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return wc_error_set(err, WC_ERR_PARSE, "%s: ledger is not JSON: %s", name, jerr.text);
    wc_ledger *l = wc_ledger_new();
    wc_result result = l ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    json_t *marks = json_object_get(root, "m");
    if (result == WC_OK &&
        (!json_is_object(root) || !read_place(json_object_get(root, "c"), &l->created) ||
         !read_place(json_object_get(root, "d"), &l->deleted) || !json_is_array(marks)))
        result = wc_error_set(err, WC_ERR_PARSE, "%s: ledger has no valid c, d and m", name);
    size_t i;
    json_t *one;
    json_array_foreach(marks, i, one)
    {
        if (result != WC_OK)
            break;
        const char *field = json_string_value(json_array_get(one, 0));
        const char *last = json_string_value(json_array_get(one, 1));
        wc_mark *m = NULL;
        if (!json_is_array(one) || json_array_size(one) != 4 || !field || !last ||
            find_mark(l, field) || !(m = mark_of(l, field)) ||
            !read_place(json_array_get(one, 1), &m->last) ||
            !read_place(json_array_get(one, 2), &m->since) ||
            !read_place(json_array_get(one, 3), &m->cleared))
            result = wc_error_set(err, WC_ERR_PARSE, "%s: ledger mark %zu is not valid", name, i);
    }
    json_decref(root);
    if (result != WC_OK) {
        wc_ledger_free(l);
        return result;
    }
    *out = l;
    return WC_OK;
}
