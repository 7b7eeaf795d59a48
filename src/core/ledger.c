#include "core/ledger.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

wc_ledger *wc_ledger_new(void)
{
    return calloc(1, sizeof(wc_ledger));
}

static void mark_cleanup(wc_mark *m)
{
    free(m->field);
    free(m->last);
    free(m->since);
    free(m->cleared);
}

static void clear_marks(wc_ledger *l)
{
    for (size_t i = 0; i < l->n_marks; i++)
        mark_cleanup(&l->marks[i]);
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

/* Notes in the ledger the first tie (place.h) met: a, tied with b. */
static void note_tie(wc_ledger *l, const char *a, const char *b)
{
    if (!l->tied && wc_place_tied(a, b)) {
        l->tied = 1;
        snprintf(l->tied_with, sizeof(l->tied_with), "%s", b);
    }
}

/* Orders places (place.h: NULL first, counted); a tie met on the way is noted in the ledger. */
static int order(wc_ledger *l, const char *a, const char *b)
{
    note_tie(l, a, b);
    return wc_place_compare(a, b);
}

/* Where a run began: a place, then the position in its request. */
static int since_order(const char *a, size_t a_pos, const char *b, size_t b_pos)
{
    int c = wc_place_compare(a, b);
    if (c != 0 || !a)
        return c;
    return (a_pos > b_pos) - (a_pos < b_pos);
}

/* strcmp(field, prefix + name), without making the string (counted as a comparison). */
static int field_cmp(const char *field, const char *prefix, const char *name)
{
    (void)wc_place_compare(NULL, NULL);
    size_t n = strlen(prefix);
    int c = strncmp(field, prefix, n);
    return c ? c : strcmp(field + n, name);
}

static int is_attr_field(const char *field)
{
    return field[0] == 'a' && field[1] == ':';
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

/* --- sorted indexes: every lookup by name is a binary search --- */

/* qsort has no context argument: the array being sorted is set here for the comparators. */
static const wc_mark *sort_marks;

static int by_field(const void *a, const void *b)
{
    (void)wc_place_compare(NULL, NULL);
    return strcmp(sort_marks[*(const size_t *)a].field, sort_marks[*(const size_t *)b].field);
}

/* Indexes of the marks sorted by field. NULL: out of memory (or no marks). */
static size_t *marks_by_field(const wc_ledger *l)
{
    size_t n = l->n_marks, *idx = n ? malloc(n * sizeof(*idx)) : NULL;
    for (size_t i = 0; idx && i < n; i++)
        idx[i] = i;
    sort_marks = l->marks;
    if (idx)
        qsort(idx, n, sizeof(*idx), by_field);
    return idx;
}

/* The mark of field prefix + name ("" and "label" or "description", "a:" and an attribute's
 * name) among the n indexed marks, or SIZE_MAX. */
static size_t find_mark(const wc_ledger *l, const size_t *idx, size_t n, const char *prefix,
                        const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = field_cmp(l->marks[idx[mid]].field, prefix, name);
        if (c == 0)
            return idx[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* The first of the n indexed attributes named name, or SIZE_MAX. */
static size_t find_attr(const wc_attr *attrs, const size_t *idx, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        (void)wc_place_compare(NULL, NULL);
        if (strcmp(attrs[idx[mid]].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(attrs[idx[lo]].name, name) == 0 ? idx[lo] : SIZE_MAX;
}

/* A new mark for field, with nothing known: its index, or SIZE_MAX (out of memory). Takes field. */
static size_t add_mark(wc_ledger *l, char *field)
{
    if (!field)
        return SIZE_MAX;
    wc_mark *marks = wc_array_room(l->marks, l->n_marks, &l->cap_marks, sizeof(*marks), 8);
    if (!marks) {
        free(field);
        return SIZE_MAX;
    }
    l->marks = marks;
    l->marks[l->n_marks] = (wc_mark){field, NULL, NULL, 0, NULL};
    return l->n_marks++;
}

/* --- the rules --- */

/* Whether one of the writes of an update is marked with its own place: it was applied before
 * (a widget is written whole, with its ledger, so a request is in it entirely or not at all). */
static int marked_with(const wc_ledger *l, const size_t *idx, const wc_request *req,
                       const char *place)
{
    size_t m;
    if (req->label.present && (m = find_mark(l, idx, l->n_marks, "", "label")) != SIZE_MAX &&
        wc_place_compare(l->marks[m].last, place) == 0)
        return 1;
    if (req->description.present &&
        (m = find_mark(l, idx, l->n_marks, "", "description")) != SIZE_MAX &&
        wc_place_compare(l->marks[m].last, place) == 0)
        return 1;
    for (size_t i = 0; i < req->n_attrs; i++)
        if ((m = find_mark(l, idx, l->n_marks, "a:", req->attrs[i].name)) != SIZE_MAX &&
            wc_place_compare(l->marks[m].last, place) == 0)
            return 1;
    return 0;
}

/* Label or description: written when the request is not older than the field's last write. */
static wc_result write_text(wc_ledger *l, const size_t *idx, size_t n_idx, const char *field,
                            char **slot, const wc_field *f, const char *place)
{
    if (!f->present)
        return WC_OK;
    size_t m = find_mark(l, idx, n_idx, "", field);
    if (m == SIZE_MAX && (m = add_mark(l, strdup(field))) == SIZE_MAX)
        return WC_ERR_NOMEM;
    if (order(l, place, l->marks[m].last) < 0)
        return WC_OK; /* a later write is there */
    if (!wc_text_replace(slot, f->value[0] ? f->value : NULL) ||
        !wc_text_replace(&l->marks[m].last, place))
        return WC_ERR_NOMEM;
    return WC_OK;
}

/* One write of an attribute (value "" removes it) at place, position pos in its request, given
 * its mark m and its slot on the widget (*at, SIZE_MAX: none yet). Runs begin at the place of
 * their set and, for sets in one request, their position in it, so attributes first set by one
 * request keep that request's order whatever the order the requests came in. */
static wc_result write_attr(wc_widget *w, wc_ledger *l, size_t m, size_t *at, const wc_attr *a,
                            const char *place, size_t pos)
{
    wc_mark *mk = &l->marks[m];
    int removal = a->value[0] == '\0';
    int exists = *at != SIZE_MAX && w->attrs[*at].value != NULL;
    if (order(l, place, mk->last) >= 0) { /* the latest write of this field so far */
        if (!wc_text_replace(&mk->last, place))
            return WC_ERR_NOMEM;
        if (removal) {
            if (exists) {
                free(w->attrs[*at].value);
                w->attrs[*at].value = NULL;
            }
            mk->since_pos = 0;
            return wc_text_replace(&mk->cleared, place) && wc_text_replace(&mk->since, NULL)
                       ? WC_OK
                       : WC_ERR_NOMEM;
        }
        /* A new one is appended; a removed one keeps its slot with a NULL value until settle(),
         * so indexes stay valid while a request is applied. */
        if (*at == SIZE_MAX) {
            if (wc_widget_append_attr(w, a->name, a->value) != WC_OK)
                return WC_ERR_NOMEM;
            *at = w->n_attrs - 1;
        } else if (!wc_text_replace(&w->attrs[*at].value, a->value)) {
            return WC_ERR_NOMEM;
        }
        if (!exists) {
            mk->since_pos = pos;
            return wc_text_replace(&mk->since, place) ? WC_OK : WC_ERR_NOMEM;
        }
        return WC_OK;
    }
    /* Older than the field's last write: its value stays, but the order may learn from it. */
    if (removal) {
        if (order(l, place, mk->cleared) > 0 && !wc_text_replace(&mk->cleared, place))
            return WC_ERR_NOMEM;
        /* removed after the run we thought it had: the run began with a later set */
        if (exists && mk->since && wc_place_compare(mk->cleared, mk->since) > 0) {
            mk->since_pos = 0;
            if (!wc_text_replace(&mk->since, mk->last))
                return WC_ERR_NOMEM;
        }
    } else if (exists && mk->since && wc_place_compare(place, mk->cleared) > 0 &&
               since_order(place, pos, mk->since, mk->since_pos) < 0) {
        mk->since_pos = pos; /* set earlier in the same run */
        if (!wc_text_replace(&mk->since, place))
            return WC_ERR_NOMEM;
    }
    return WC_OK;
}

/* An attribute on the widget without a mark was set by the create and not written since: its
 * mark is implied (last and since: the create's place; what a store keeps stays a few places
 * for a widget as created, whatever its size). Its position in the create is implied too:
 * that of the explicit mark with the create's place before it on the widget, or 0 (equal
 * positions keep the widget's order). pos[i] for the first n attributes of w. */
static wc_result implied_positions(const wc_widget *w, size_t n, const wc_ledger *l,
                                   const size_t *midx, size_t n_midx, size_t **pos)
{
    *pos = malloc((n ? n : 1) * sizeof(**pos));
    if (!*pos)
        return WC_ERR_NOMEM;
    size_t now = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m = find_mark(l, midx, n_midx, "a:", w->attrs[i].name);
        if (m != SIZE_MAX && l->marks[m].since && l->created &&
            strcmp(l->marks[m].since, l->created) == 0)
            now = l->marks[m].since_pos;
        (*pos)[i] = now;
    }
    return WC_OK;
}

/* The mark an attribute without one has: implied when it is on the widget (at), else nothing
 * known. Its index, or SIZE_MAX (out of memory). */
static size_t new_mark(wc_ledger *l, const char *name, size_t at, const size_t *implied)
{
    size_t m = add_mark(l, attr_field(name));
    if (m == SIZE_MAX || at == SIZE_MAX || !l->created)
        return m;
    if (!wc_text_replace(&l->marks[m].last, l->created) ||
        !wc_text_replace(&l->marks[m].since, l->created))
        return SIZE_MAX;
    l->marks[m].since_pos = implied[at];
    return m;
}

/* The request's attribute writes, grouped by name (sorted): one lookup of the mark and of the
 * widget's attribute per name, the writes of one name in the request's order. */
static wc_result write_attrs(wc_widget *w, wc_ledger *l, const size_t *midx, size_t n_midx,
                             const wc_request *req, const char *place)
{
    size_t n_old = w->n_attrs, *implied = NULL;
    size_t *aidx = wc_attrs_by_name(w->attrs, n_old);
    size_t *ridx = wc_attrs_by_name(req->attrs, req->n_attrs);
    wc_result result = (n_old && !aidx) || (req->n_attrs && !ridx) ? WC_ERR_NOMEM : WC_OK;
    for (size_t g = 0; result == WC_OK && g < req->n_attrs;) {
        const char *name = req->attrs[ridx[g]].name;
        size_t at = find_attr(w->attrs, aidx, n_old, name);
        size_t m = find_mark(l, midx, n_midx, "a:", name);
        if (m == SIZE_MAX && at != SIZE_MAX && !implied &&
            implied_positions(w, n_old, l, midx, n_midx, &implied) != WC_OK) {
            result = WC_ERR_NOMEM;
            break;
        }
        if (m == SIZE_MAX && (m = new_mark(l, name, at, implied)) == SIZE_MAX) {
            result = WC_ERR_NOMEM;
            break;
        }
        for (; result == WC_OK && g < req->n_attrs && strcmp(req->attrs[ridx[g]].name, name) == 0;
             g++)
            result = write_attr(w, l, m, &at, &req->attrs[ridx[g]], place, ridx[g]);
    }
    free(implied);
    free(aidx);
    free(ridx);
    return result;
}

/* What orders one attribute on the widget (at: its place there), and the attribute. */
typedef struct {
    const char *since;
    size_t pos, at;
    wc_attr attr;
} rank;

/* The ledger being settled and the place of the request applied: a tie between the run this
 * request began and another's decides the order of attributes, so it is noted too. */
static wc_ledger *ranking;
static const char *ranking_place;

static int by_rank(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    if (ranking_place && x->since && strcmp(x->since, ranking_place) == 0)
        note_tie(ranking, x->since, y->since);
    else if (ranking_place && y->since && strcmp(y->since, ranking_place) == 0)
        note_tie(ranking, y->since, x->since);
    int c = since_order(x->since, x->pos, y->since, y->pos);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Says only "set by the create and not written since": implied, not kept (implied_positions). */
static int set_by_create_only(const wc_ledger *l, const wc_mark *m)
{
    return l->created && is_attr_field(m->field) && !m->cleared && m->last && m->since &&
           strcmp(m->last, l->created) == 0 && strcmp(m->since, l->created) == 0;
}

/* Oldest last write first; equal ones by field, so every consumer forgets the same. */
static int by_last(const void *a, const void *b)
{
    const wc_mark *x = &sort_marks[*(const size_t *)a], *y = &sort_marks[*(const size_t *)b];
    int c = wc_place_compare(x->last, y->last);
    return c ? c : strcmp(x->field, y->field);
}

/* Ends a write: removed attributes leave the widget, the rest are ordered by where their runs
 * began (ties keep their order), and removal marks past the bound are forgotten, oldest first. */
static wc_result settle(wc_widget *w, wc_ledger *l, const char *place)
{
    wc_widget_drop_holes(w);
    size_t n = w->n_attrs;
    size_t *midx = marks_by_field(l);
    rank *ranks = n ? malloc(n * sizeof(*ranks)) : NULL;
    unsigned char *live = l->n_marks ? calloc(l->n_marks, 1) : NULL;
    if ((l->n_marks && (!midx || !live)) || (n && !ranks)) {
        free(midx);
        free(ranks);
        free(live);
        return WC_ERR_NOMEM;
    }
    size_t implied = 0; /* see implied_positions */
    int dropping = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m = find_mark(l, midx, l->n_marks, "a:", w->attrs[i].name);
        ranks[i] = (rank){l->created, implied, i, w->attrs[i]};
        if (m != SIZE_MAX) {
            ranks[i].since = l->marks[m].since;
            ranks[i].pos = l->marks[m].since_pos;
            if (l->created && ranks[i].since && strcmp(ranks[i].since, l->created) == 0)
                implied = ranks[i].pos;
            live[m] = set_by_create_only(l, &l->marks[m]) ? 2 : 1; /* 2: implied, not kept */
            dropping |= live[m] == 2;
        }
    }
    if (n) {
        ranking = l;
        ranking_place = place;
        qsort(ranks, n, sizeof(*ranks), by_rank);
        ranking = NULL;
        ranking_place = NULL;
    }
    for (size_t i = 0; i < n; i++)
        w->attrs[i] = ranks[i].attr;
    free(ranks);

    /* Removal marks (attribute marks whose attribute is not there), listed in midx now that the
     * lookups are done: past the bound, the oldest are forgotten. */
    size_t removals = 0, bound = n > WC_LEDGER_REMOVALS_MIN ? n : WC_LEDGER_REMOVALS_MIN;
    for (size_t i = 0; i < l->n_marks; i++)
        if (is_attr_field(l->marks[i].field) && !live[i])
            midx[removals++] = i;
    if (removals > bound) {
        dropping = 1;
        sort_marks = l->marks;
        qsort(midx, removals, sizeof(*midx), by_last);
        for (size_t k = 0; k < removals - bound; k++)
            live[midx[k]] = 2; /* forgotten */
    }
    free(midx);
    if (dropping) {
        size_t kept = 0;
        for (size_t i = 0; i < l->n_marks; i++) {
            if (live[i] == 2)
                mark_cleanup(&l->marks[i]);
            else
                l->marks[kept++] = l->marks[i];
        }
        l->n_marks = kept;
    }
    free(live);
    return WC_OK;
}

/* The request's writes, given the marks indexed by field (midx: the first n_midx marks; the
 * marks added meanwhile are the request's own, one per field). */
static wc_result write_fields(wc_widget *w, wc_ledger *l, const wc_request *req, const char *place,
                              const size_t *midx, size_t n_midx)
{
    wc_result result = write_text(l, midx, n_midx, "label", &w->label, &req->label, place);
    if (result == WC_OK)
        result =
            write_text(l, midx, n_midx, "description", &w->description, &req->description, place);
    if (result == WC_OK)
        result = write_attrs(w, l, midx, n_midx, req, place);
    return result == WC_OK ? settle(w, l, place) : result;
}

/* Not there: superseded when the widget was deleted after the request, else absent. */
static wc_fate when_absent(wc_ledger *l, const char *place)
{
    return l->deleted && order(l, place, l->deleted) < 0 ? WC_FATE_SUPERSEDED : WC_FATE_ABSENT;
}

static wc_result create(wc_widget **w, wc_ledger *l, const wc_request *req, const char *place,
                        wc_fate *fate)
{
    if (*w) { /* older than its create: of an earlier life; newer: another create, left as is */
        int c = l->created ? order(l, place, l->created) : 1;
        *fate = c == 0 ? WC_FATE_ALREADY : c < 0 ? WC_FATE_SUPERSEDED : WC_FATE_UNCHANGED;
        return WC_OK;
    }
    if (l->deleted && order(l, place, l->deleted) <= 0) {
        *fate = WC_FATE_SUPERSEDED;
        return WC_OK;
    }
    clear_marks(l); /* a new life: what was known of the old one is older than this create */
    wc_widget *nw = calloc(1, sizeof(*nw));
    if (!nw || !(nw->id = strdup(req->widget_id)) || !(nw->owner = strdup(req->owner)) ||
        !wc_text_replace(&l->created, place) || write_fields(nw, l, req, place, NULL, 0) != WC_OK) {
        wc_widget_free(nw);
        return WC_ERR_NOMEM;
    }
    *w = nw;
    *fate = WC_FATE_APPLIED;
    return WC_OK;
}

static wc_result update(wc_widget **w, wc_ledger *l, const wc_request *req, const char *place,
                        wc_fate *fate)
{
    if (!*w || (l->created && order(l, place, l->created) < 0)) {
        *fate = when_absent(l, place);
        return WC_OK;
    }
    /* one index of the marks, for the check and the writes */
    size_t n_midx = l->n_marks, *midx = marks_by_field(l);
    if (n_midx && !midx)
        return WC_ERR_NOMEM;
    wc_result result = WC_OK;
    if (marked_with(l, midx, req, place)) {
        *fate = WC_FATE_ALREADY;
    } else {
        *fate = WC_FATE_APPLIED;
        result = write_fields(*w, l, req, place, midx, n_midx);
    }
    free(midx);
    return result;
}

static wc_result delete (wc_widget **w, wc_ledger *l, const char *place, wc_fate *fate)
{
    if (l->deleted && order(l, place, l->deleted) == 0) {
        *fate = WC_FATE_ALREADY;
        return WC_OK;
    }
    if (*w && l->created && order(l, place, l->created) < 0) {
        /* the delete of an earlier life, come after the widget was created again: only
         * remembered, so that what that life's requests still bring is superseded */
        if (order(l, place, l->deleted) < 0) {
            *fate = WC_FATE_SUPERSEDED;
            return WC_OK;
        }
        *fate = WC_FATE_APPLIED;
        return wc_text_replace(&l->deleted, place) ? WC_OK : WC_ERR_NOMEM;
    }
    if (!*w) {
        *fate = when_absent(l, place);
        return WC_OK;
    }
    if (!wc_text_replace(&l->deleted, place))
        return WC_ERR_NOMEM;
    /* A tombstone: what is older than the delete is superseded by its place alone, and a new
     * life starts afresh, so the marks can no longer decide anything. */
    clear_marks(l);
    wc_widget_free(*w);
    *w = NULL;
    *fate = WC_FATE_APPLIED;
    return WC_OK;
}

wc_result wc_ledger_apply(wc_widget **w, wc_ledger *l, const wc_request *req, const char *place,
                          wc_fate *fate)
{
    l->tied = 0;
    l->tied_with[0] = '\0';
    switch (req->type) {
    case WC_REQ_CREATE:
        return create(w, l, req, place, fate);
    case WC_REQ_UPDATE:
        return update(w, l, req, place, fate);
    case WC_REQ_DELETE:
        return delete (w, l, place, fate);
    }
    return WC_ERR_INVALID;
}

/* --- JSON --- */

static int by_text(const void *a, const void *b)
{
    return wc_place_compare(*(const char *const *)a, *(const char *const *)b);
}

/* The index of place in the sorted table (which holds every place), or null for NULL. */
static json_t *index_or_null(const char *const *table, size_t n, const char *place)
{
    const char *const *hit = place ? bsearch(&place, table, n, sizeof(*table), by_text) : NULL;
    return hit ? json_integer((json_int_t)(hit - table)) : json_null();
}

static int set_place(json_t *root, const char *key, const char *const *table, size_t n,
                     const char *place)
{
    return !place || json_object_set_new(root, key, index_or_null(table, n, place)) == 0;
}

/* One attribute mark: [name, last, since, pos, cleared] without its trailing nulls. */
static json_t *attr_mark_json(const wc_mark *m, const char *const *table, size_t n)
{
    json_t *one = json_pack("[s,o]", m->field + 2, index_or_null(table, n, m->last));
    if (one && (m->since || m->cleared) &&
        (json_array_append_new(one, index_or_null(table, n, m->since)) != 0 ||
         json_array_append_new(one, json_integer((json_int_t)m->since_pos)) != 0))
        goto fail;
    if (one && m->cleared && json_array_append_new(one, index_or_null(table, n, m->cleared)) != 0)
        goto fail;
    return one;
fail:
    json_decref(one);
    return NULL;
}

char *wc_ledger_to_json(const wc_ledger *l)
{
    /* every place once: all of them, sorted, the repeats left out */
    size_t cap = 2 + 3 * l->n_marks, n = 0;
    const char **table = malloc(cap * sizeof(*table));
    if (!table)
        return NULL;
    const char *const fixed[2] = {l->created, l->deleted};
    for (size_t i = 0; i < 2; i++)
        if (fixed[i])
            table[n++] = fixed[i];
    for (size_t i = 0; i < l->n_marks; i++) {
        const char *const each[3] = {l->marks[i].last, l->marks[i].since, l->marks[i].cleared};
        for (size_t j = 0; j < 3; j++)
            if (each[j])
                table[n++] = each[j];
    }
    qsort(table, n, sizeof(*table), by_text);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || strcmp(table[unique - 1], table[i]) != 0)
            table[unique++] = table[i];
    n = unique;

    char *text = NULL;
    json_t *root = json_pack("{s:i}", "v", 2);
    json_t *places = json_array();
    json_t *attrs = json_array();
    int ok = root && places && attrs;
    for (size_t i = 0; ok && i < n; i++)
        ok = json_array_append_new(places, json_string(table[i])) == 0;
    ok = ok && json_object_set(root, "p", places) == 0 &&
         set_place(root, "c", table, n, l->created) && set_place(root, "d", table, n, l->deleted);
    for (size_t i = 0; ok && i < l->n_marks; i++) {
        const wc_mark *m = &l->marks[i];
        if (is_attr_field(m->field)) {
            json_t *one = attr_mark_json(m, table, n);
            ok = one && json_array_append_new(attrs, one) == 0;
        } else {
            ok = set_place(root, strcmp(m->field, "label") == 0 ? "l" : "s", table, n, m->last);
        }
    }
    if (ok && json_array_size(attrs) > 0)
        ok = json_object_set(root, "a", attrs) == 0;
    if (ok)
        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(places);
    json_decref(attrs);
    json_decref(root);
    free(table);
    return text;
}

/* A place read back into *slot: v absent or null leaves it; else v is the place (a first-version
 * ledger, table NULL) or its index in table. 0: not a valid place (1..WC_PLACE_MAX printable
 * ASCII characters) or index, or out of memory. */
static int read_place(json_t *v, json_t *table, char **slot)
{
    if (!v || json_is_null(v))
        return 1;
    if (table && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                  (size_t)json_integer_value(v) >= json_array_size(table)))
        return 0;
    const char *place =
        json_string_value(table ? json_array_get(table, (size_t)json_integer_value(v)) : v);
    return wc_place_is_valid(place) && wc_text_replace(slot, place);
}

/* A first-version since: "PLACE#NNNN". */
static int read_v1_since(json_t *v, wc_mark *m)
{
    if (!v || json_is_null(v))
        return 1;
    const char *s = json_string_value(v);
    const char *hash = s ? strrchr(s, '#') : NULL;
    if (!s || !hash || hash == s || strlen(hash + 1) != 4 || strspn(hash + 1, "0123456789") != 4 ||
        (size_t)(hash - s) > WC_PLACE_MAX)
        return 0;
    m->since = strndup(s, (size_t)(hash - s));
    m->since_pos = (size_t)strtoul(hash + 1, NULL, 10);
    return m->since && wc_place_is_valid(m->since);
}

static wc_result read_v1(const char *name, json_t *root, wc_ledger *l, wc_error *err)
{
    json_t *marks = json_object_get(root, "m");
    if (!read_place(json_object_get(root, "c"), NULL, &l->created) ||
        !read_place(json_object_get(root, "d"), NULL, &l->deleted) || !json_is_array(marks))
        return wc_error_set(err, WC_ERR_PARSE, "%s: ledger has no valid c, d and m", name);
    size_t i;
    json_t *one;
    json_array_foreach(marks, i, one)
    {
        const char *field = json_string_value(json_array_get(one, 0));
        const char *last = json_string_value(json_array_get(one, 1));
        size_t m;
        if (!json_is_array(one) || json_array_size(one) != 4 || !field || !last ||
            (strcmp(field, "label") != 0 && strcmp(field, "description") != 0 &&
             !is_attr_field(field)) ||
            (m = add_mark(l, strdup(field))) == SIZE_MAX ||
            !read_place(json_array_get(one, 1), NULL, &l->marks[m].last) ||
            !read_v1_since(json_array_get(one, 2), &l->marks[m]) ||
            !read_place(json_array_get(one, 3), NULL, &l->marks[m].cleared))
            return wc_error_set(err, WC_ERR_PARSE, "%s: ledger mark %zu is not valid", name, i);
    }
    return WC_OK;
}

static wc_result read_v2(const char *name, json_t *root, wc_ledger *l, wc_error *err)
{
    json_t *table = json_object_get(root, "p");
    json_t *attrs = json_object_get(root, "a");
    if (!json_is_array(table) || (attrs && !json_is_array(attrs)))
        return wc_error_set(err, WC_ERR_PARSE, "%s: ledger has no valid p and a", name);
    size_t i;
    json_t *one;
    json_array_foreach(table, i, one)
    {
        if (!wc_place_is_valid(json_string_value(one)))
            return wc_error_set(err, WC_ERR_PARSE, "%s: ledger place %zu is not valid", name, i);
    }
    static const char *const texts[2][2] = {{"l", "label"}, {"s", "description"}};
    if (!read_place(json_object_get(root, "c"), table, &l->created) ||
        !read_place(json_object_get(root, "d"), table, &l->deleted))
        return wc_error_set(err, WC_ERR_PARSE, "%s: ledger has no valid c and d", name);
    for (size_t t = 0; t < 2; t++) {
        json_t *v = json_object_get(root, texts[t][0]);
        size_t m;
        if (v && ((m = add_mark(l, strdup(texts[t][1]))) == SIZE_MAX ||
                  !read_place(v, table, &l->marks[m].last) || !l->marks[m].last))
            return wc_error_set(err, WC_ERR_PARSE, "%s: ledger field %s is not valid", name,
                                texts[t][0]);
    }
    json_array_foreach(attrs, i, one)
    {
        size_t n = json_array_size(one), m;
        const char *attr = json_string_value(json_array_get(one, 0));
        json_t *pos = json_array_get(one, 3);
        if (!json_is_array(one) || (n != 2 && n != 4 && n != 5) || !attr ||
            (m = add_mark(l, attr_field(attr))) == SIZE_MAX ||
            !read_place(json_array_get(one, 1), table, &l->marks[m].last) || !l->marks[m].last ||
            !read_place(json_array_get(one, 2), table, &l->marks[m].since) ||
            (pos && (!json_is_integer(pos) || json_integer_value(pos) < 0)) ||
            !read_place(json_array_get(one, 4), table, &l->marks[m].cleared))
            return wc_error_set(err, WC_ERR_PARSE, "%s: ledger mark %zu is not valid", name, i);
        l->marks[m].since_pos = pos ? (size_t)json_integer_value(pos) : 0;
    }
    return WC_OK;
}

/* No field marked twice (sorted, then neighbours compared). */
static int fields_unique(const wc_ledger *l)
{
    size_t *idx = marks_by_field(l);
    int unique = l->n_marks == 0 || idx != NULL;
    for (size_t i = 1; unique && i < l->n_marks; i++)
        unique = strcmp(l->marks[idx[i - 1]].field, l->marks[idx[i]].field) != 0;
    free(idx);
    return unique;
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
    json_t *version = json_object_get(root, "v");
    wc_result result;
    if (!l)
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    else if (!json_is_object(root))
        result = wc_error_set(err, WC_ERR_PARSE, "%s: ledger is not a JSON object", name);
    else if (!version)
        result = read_v1(name, root, l, err);
    else if (json_is_integer(version) && json_integer_value(version) == 2)
        result = read_v2(name, root, l, err);
    else
        result = wc_error_set(err, WC_ERR_PARSE, "%s: ledger version is not 2", name);
    if (result == WC_OK && !fields_unique(l))
        result = wc_error_set(err, WC_ERR_PARSE, "%s: ledger marks a field twice", name);
    json_decref(root);
    if (result != WC_OK) {
        wc_ledger_free(l);
        return result;
    }
    *out = l;
    return WC_OK;
}
