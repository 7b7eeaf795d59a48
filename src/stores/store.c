#include "stores/store.h"

#include <stdlib.h>
#include <string.h>

void wc_store_destroy(wc_store *store)
{
    if (store && store->ops)
        store->ops->destroy(store->self);
    if (store) {
        store->ops = NULL;
        store->self = NULL;
    }
}

wc_result wc_store_check_prefix(const char *prefix, wc_error *err)
{
    if (prefix[0] == '/')
        return wc_error_set(err, WC_ERR_INVALID, "widget key prefix \"%s\" must not start with '/'",
                            prefix);
    const char *part = prefix;
    while (*part) {
        const char *slash = strchr(part, '/');
        size_t len = slash ? (size_t)(slash - part) : strlen(part);
        if ((len == 0 && slash) || (len == 1 && part[0] == '.') ||
            (len == 2 && part[0] == '.' && part[1] == '.'))
            return wc_error_set(
                err, WC_ERR_INVALID,
                "widget key prefix \"%s\" must not have empty, \".\" or \"..\" parts", prefix);
        part += len + (slash ? 1 : 0);
    }
    return WC_OK;
}

wc_outcome wc_store_outcome(wc_result result)
{
    switch (result) {
    case WC_OK:
        return WC_APPLIED;
    case WC_ERR_NOT_FOUND:
        return WC_MISSING;
    case WC_ERR_PARSE:   /* the stored widget cannot be read: a refusal of this request, */
    case WC_ERR_INVALID: /* never an outage of the whole store */
    case WC_ERR_TOO_LARGE:
    case WC_ERR_REJECTED:
        return WC_REFUSED;
    case WC_ERR_CONFLICT:
        return WC_CONTENDED;
    default:
        return WC_FAILED;
    }
}

void wc_stored_cleanup(wc_stored *stored)
{
    wc_widget_free(stored->widget);
    wc_ledger_free(stored->ledger);
    free(stored->version);
    memset(stored, 0, sizeof(*stored));
}

/* --- one engine over load and save: exact order (the ledger's rules) or classic order --- */

/* How many times one request is read and written again when other writers got there first. */
#define MAX_TRIES 8

/* One request being applied, by either policy: what was loaded and what it becomes. */
typedef struct {
    wc_store *store;
    const wc_request *req;
    wc_store_applied applied;
    void *ctx;
    wc_stored base; /* what was loaded */
    wc_widget *w;   /* the widget after the request (NULL: not there) */
    wc_ledger *l;
    unsigned tries;
    int classic; /* classic order (no place): the rules as the requests come, no ledger */
    /* The last apply met a tie (core/place.h), told once the request ends for good. */
    int tied;
    char tied_with[WC_PLACE_MAX + 1];
} applying;

static void apply_reset(applying *x)
{
    wc_stored_cleanup(&x->base);
    wc_widget_free(x->w);
    wc_ledger_free(x->l);
    x->w = NULL;
    x->l = NULL;
}

static void apply_end(applying *x, wc_outcome outcome, const wc_error *err)
{
    /* Once per request: not for an apply read again after a lost race or tried again later. */
    if (x->tied && x->store->tied &&
        (outcome == WC_APPLIED || outcome == WC_SUPERSEDED || outcome == WC_ALREADY))
        x->store->tied(x->store->tied_ctx, x->req, x->tied_with);
    wc_store_applied applied = x->applied;
    void *ctx = x->ctx;
    apply_reset(x);
    free(x);
    applied(ctx, outcome, err);
}

static void apply_load(applying *x);

static void apply_saved(void *ctx, wc_result result, const wc_error *err)
{
    applying *x = ctx;
    if (result == WC_ERR_CONFLICT && ++x->tries < MAX_TRIES) {
        apply_reset(x); /* another writer got there first: read it again */
        apply_load(x);
        return;
    }
    wc_error e;
    if (result == WC_ERR_CONFLICT) {
        wc_error_set(&e, WC_ERR_CONFLICT, "widget %s: other writers changed it %u times in a row",
                     x->req->widget_id, MAX_TRIES);
        err = &e;
    }
    apply_end(x, wc_store_outcome(result), err);
}

/* Decided on a remembered state with no save to check it: forgets it and reads the store, then
 * decides again. 1 when it did. */
static int read_again_if_cached(applying *x)
{
    if (!x->base.cached || !x->store->ops->forget)
        return 0;
    x->store->ops->forget(x->store->self, x->req);
    apply_reset(x);
    apply_load(x);
    return 1;
}

static void not_found(applying *x)
{
    wc_error err;
    wc_error_set(&err, WC_ERR_NOT_FOUND, "widget %s (owner \"%s\") not found", x->req->widget_id,
                 x->req->owner);
    apply_end(x, WC_MISSING, &err);
}

/* The request applied to what was loaded, then saved when anything changed. */
static void exact_apply(applying *x)
{
    const wc_request *req = x->req;
    wc_error err;
    wc_error_clear(&err);
    x->w = x->base.widget;
    x->base.widget = NULL;
    x->l = x->base.ledger ? x->base.ledger : wc_ledger_new();
    x->base.ledger = NULL;
    wc_fate fate = WC_FATE_ABSENT;
    if (!x->l || wc_ledger_apply(&x->w, x->l, req, req->place, &fate) != WC_OK) {
        wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
        apply_end(x, WC_FAILED, &err);
        return;
    }
    if (fate != WC_FATE_APPLIED && read_again_if_cached(x))
        return;
    x->tied = x->l->tied;
    memcpy(x->tied_with, x->l->tied_with, sizeof(x->tied_with));
    switch (fate) {
    case WC_FATE_APPLIED: {
        wc_result result =
            x->store->ops->save(x->store->self, req, &x->base, x->w, x->l, apply_saved, x, &err);
        if (result != WC_OK)
            apply_end(x, wc_store_outcome(result), &err);
        return;
    }
    case WC_FATE_UNCHANGED:
        apply_end(x, WC_APPLIED, &err);
        return;
    case WC_FATE_ALREADY:
        wc_error_set(&err, WC_OK, "request %s (place %s) was applied before", req->request_id,
                     req->place);
        apply_end(x, WC_ALREADY, &err);
        return;
    case WC_FATE_SUPERSEDED:
        wc_error_set(&err, WC_OK,
                     "widget %s was deleted by a later request (place %s) than this one (place %s)",
                     req->widget_id, x->l->deleted ? x->l->deleted : "?", req->place);
        apply_end(x, WC_SUPERSEDED, &err);
        return;
    case WC_FATE_ABSENT:
        break;
    }
    if (req->type != WC_REQ_CREATE) {
        not_found(x);
        return;
    }
    wc_error_set(&err, WC_ERR_NOT_FOUND,
                 "widget %s was created earlier (place %s) and its delete has not come yet",
                 req->widget_id, x->l->created ? x->l->created : "?");
    apply_end(x, WC_MISSING, &err);
}

/* Classic order: the request applied as it comes to what was loaded (nothing, for a create's
 * first try: a blind save where no widget is), and saved without a ledger. */
static void classic_apply(applying *x)
{
    const wc_request *req = x->req;
    wc_error err;
    wc_error_clear(&err);
    int there = x->base.widget != NULL;
    if ((req->type == WC_REQ_CREATE) == there) { /* a create of one there, or a change of none */
        if (read_again_if_cached(x))
            return;
        if (there) /* a create delivered again must not undo the updates applied since */
            apply_end(x, WC_APPLIED, &err);
        else
            not_found(x);
        return;
    }
    wc_result result = WC_OK;
    if (req->type == WC_REQ_CREATE) {
        if (!(x->w = wc_widget_from_create(req)))
            result = wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
    } else if (req->type == WC_REQ_UPDATE) {
        x->w = x->base.widget;
        x->base.widget = NULL;
        if (wc_widget_apply_update(x->w, req) != WC_OK)
            result = wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
    } /* a delete: nothing at all is saved */
    if (result == WC_OK)
        result =
            x->store->ops->save(x->store->self, req, &x->base, x->w, NULL, apply_saved, x, &err);
    if (result != WC_OK)
        apply_end(x, wc_store_outcome(result), &err);
}

/* The widget's state is in hand (x->base): the request is applied by the order's rules. */
static void decide(applying *x)
{
    if (x->classic)
        classic_apply(x);
    else
        exact_apply(x);
}

static void apply_loaded(void *ctx, wc_result result, wc_stored *stored, const wc_error *err)
{
    applying *x = ctx;
    if (result != WC_OK) {
        apply_end(x, wc_store_outcome(result), err);
        return;
    }
    x->base = *stored;
    memset(stored, 0, sizeof(*stored));
    decide(x);
}

static void apply_load(applying *x)
{
    const wc_store_ops *ops = x->store->ops;
    /* Most creates find nothing: saved on the condition that it is so (classic order: that no
     * widget is there). A remembered state is decided on at once; its save's condition checks
     * it. */
    if ((x->tries == 0 && x->req->type == WC_REQ_CREATE && (x->classic || ops->blind_create)) ||
        (ops->recall && ops->recall(x->store->self, x->req, &x->base))) {
        decide(x);
        return;
    }
    wc_error err;
    wc_error_clear(&err);
    wc_result result = ops->load(x->store->self, x->req, apply_loaded, x, &err);
    if (result != WC_OK)
        apply_end(x, wc_store_outcome(result), &err);
}

wc_result wc_store_apply(wc_store *store, const wc_request *req, wc_store_applied applied,
                         void *ctx, wc_error *err)
{
    if (req->type != WC_REQ_CREATE && req->type != WC_REQ_UPDATE && req->type != WC_REQ_DELETE)
        return wc_error_set(err, WC_ERR_INVALID, "unknown request type");
    applying *x = calloc(1, sizeof(*x));
    if (!x)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    x->store = store;
    x->req = req;
    x->applied = applied;
    x->ctx = ctx;
    x->classic = req->place == NULL;
    apply_load(x);
    return WC_OK;
}

typedef struct {
    int done;
    wc_outcome outcome;
    wc_error err;
} waited;

static void wait_done(void *ctx, wc_outcome outcome, const wc_error *err)
{
    waited *w = ctx;
    w->outcome = outcome;
    if (err)
        w->err = *err;
    w->done = 1;
}

wc_outcome wc_store_apply_wait(wc_store *store, wc_loop *loop, const wc_request *req, wc_error *err)
{
    waited w;
    memset(&w, 0, sizeof(w));
    wc_result result = wc_store_apply(store, req, wait_done, &w, err);
    if (result != WC_OK)
        return wc_store_outcome(result);
    if (!w.done && loop)
        wc_loop_wait(loop, &w.done);
    if (w.outcome != WC_APPLIED && err)
        *err = w.err;
    return w.outcome;
}
