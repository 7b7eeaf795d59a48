/* store.h - where widgets live: the Processor's side of the consumer.
 *
 * A store is a table of functions plus the backend's state; dynamodb_store.c, s3_store.c and
 * dir_store.c fill it. Applying a request is asynchronous: the backend starts its calls on the
 * event loop and calls done when they end (a local store may call it at once). Which of create,
 * update and delete a request needs is decided in one place, wc_store_apply(). The rules of what
 * each does are in core/widget.h; a store only keeps widgets.
 *
 * One model: every store loads a widget with its ledger and saves both on the condition that
 * nothing changed since (load/save below); wc_store_apply is the one engine over them, with two
 * policies. Exact order (core/ledger.h), for a request that knows its place in production order
 * (req->place): read, apply the ledger's rules, write conditionally, and read again when another
 * writer got there first. Classic order, for a request without a place (`--order classic`): the
 * rules of core/widget.h as the requests come, never a ledger or a tombstone written: a create
 * is saved where no widget is (one blind save; a widget already there is left as it is); an
 * update is loaded, changed (wc_widget_apply_update) and saved on condition; a delete is loaded
 * and saved as nothing at all; an update or delete whose widget is not there is WC_MISSING.
 * Either reads again after a lost race, up to a bound.
 */
#ifndef WC_STORE_H
#define WC_STORE_H

#include "common/error.h"
#include "core/ledger.h"
#include "core/request.h"
#include "core/widget.h"
#include "common/loop.h"

/* Called by scan() for every widget: its key in the store and the widget, or NULL and why it
 * could not be read. The widget is the store's: copy what you keep. */
typedef void (*wc_store_visit)(void *ctx, const char *key, const wc_widget *w, const char *why);

/* Called once when a backend's call ends: WC_OK; WC_ERR_NOT_FOUND (an update or delete whose
 * widget is not there); WC_ERR_REJECTED (the store refuses this request for good: too large, a
 * bad name), as are WC_ERR_PARSE, WC_ERR_INVALID and WC_ERR_TOO_LARGE (the stored widget cannot
 * be read); WC_ERR_CONFLICT (another writer changed the widget); or WC_ERR_IO (the store is not
 * usable now), each with err's words. wc_store_outcome says what each means for the request. */
typedef void (*wc_store_done)(void *ctx, wc_result result, const wc_error *err);

/* What became of a request given to the store (wc_store_apply): an outcome, not an error. Only
 * WC_FAILED is the store failing; the others are answers about the request. */
typedef enum {
    WC_APPLIED = 0, /* done (or nothing to change: a create whose widget is already there) */
    WC_SUPERSEDED,  /* exact order: nothing to do, the request is older than its widget's delete */
    WC_ALREADY,     /* exact order: nothing to do, this very request was applied before */
    WC_MISSING,     /* its widget is not there (yet): wait for it */
    WC_CONTENDED,   /* not now: other writers kept changing its widget (or, in the consumer, an
                     * earlier request of it goes first): try again a little later */
    WC_REFUSED, /* the store refuses it for good (too large, a bad name, an unreadable widget) */
    WC_FAILED   /* the store is not usable now (an outage) */
} wc_outcome;

/* Called once when an apply ends, with err's words (err->code: the backend's wc_result). */
typedef void (*wc_store_applied)(void *ctx, wc_outcome outcome, const wc_error *err);

/* The outcome a backend's result means: the one place its synonyms are read. */
wc_outcome wc_store_outcome(wc_result result);

/* What a store holds of one widget, as load() read it: the base of a save(). */
typedef struct {
    wc_widget *widget; /* NULL: not there (never was, or deleted: see ledger) */
    wc_ledger *ledger; /* NULL: none kept (nothing stored, or stored before ledgers) */
    char *version;     /* the store's token for what was read; NULL: nothing at all is stored */
    int cached; /* read from the store's memory of its last read or write, not from the store:
                 * exact only where the save's condition holds (see forget below) */
} wc_stored;

void wc_stored_cleanup(wc_stored *stored);

/* Called once when a load ends; on WC_OK the callee takes what is in *stored. */
typedef void (*wc_store_loaded)(void *ctx, wc_result result, wc_stored *stored,
                                const wc_error *err);

typedef struct {
    const char *kind; /* "directory", "s3", "dynamodb" */
    int ordered;      /* whether the store keeps the order of attributes */
    /* Each starts a call and returns at once; WC_OK: its callback will be called once (perhaps
     * before it returns); anything else: it did not start (the callback is not called). req,
     * base, w and l must live until the callback. */
    /* Reads the widget of req (its id and owner) and its ledger (a tombstone: no widget). */
    wc_result (*load)(void *self, const wc_request *req, wc_store_loaded loaded, void *ctx,
                      wc_error *err);
    /* Writes, on the condition that what is stored is still what base was loaded as (else done
     * gets WC_ERR_CONFLICT):
     *   w and l:     the widget with its ledger (exact order);
     *   NULL and l:  the widget deleted, l kept as its tombstone (exact order);
     *   w, l NULL:   the widget alone, as classic order writes it: no ledger kept with it;
     *   NULL, NULL:  nothing: the widget and what was kept with it removed entirely (classic
     *                order; the store writes no tombstone; S3's DELETE goes without a condition,
     *                as classic order's always did).
     * base->version NULL: on the condition that nothing at all is stored for this widget, ledger
     * or tombstone (with l NULL: that no widget is there). A store may move a version of its own
     * on at every save (DynamoDB's wc:version), so that every save's condition holds. */
    wc_result (*save)(void *self, const wc_request *req, const wc_stored *base, const wc_widget *w,
                      const wc_ledger *l, wc_store_done done, void *ctx, wc_error *err);
    /* Whether save with a NULL base version and a ledger checks for tombstones too, so that an
     * exact-order create may be saved without a load first: atomically (DynamoDB, directory),
     * or (S3) with the tombstone's GET at the same time, a widget written beside a tombstone
     * deleted again on its ETag and WC_ERR_CONFLICT, so that the engine reads and decides. (A
     * classic create, l NULL, is always saved so: its condition is only that no widget is
     * there.) */
    int blind_create;
    /* Optional, together: a store that remembers what it last read or wrote of its widgets
     * (memo.h). recall: what it remembers of req's widget, in *out (marked cached) without a call,
     * 1; else 0, and the engine loads. forget: forgets it, so that the next load reads the store.
     * The engine forgets when a remembered state decided anything other than a save (already
     * applied, superseded, not found, unchanged): only a save's condition proves the remembered
     * state is still current. */
    int (*recall)(void *self, const wc_request *req, wc_stored *out);
    void (*forget)(void *self, const wc_request *req);
    /* Visits every widget in the store (the verifier uses it; it waits). */
    wc_result (*scan)(void *self, wc_store_visit visit, void *ctx, wc_error *err);
    void (*destroy)(void *self);
} wc_store_ops;

typedef struct {
    const wc_store_ops *ops;
    void *self;
    /* Optional, the consumer's: told when an exact-order apply met a tie broken arbitrarily
     * (core/place.h: two requests of one widget in one millisecond, of one type, without a
     * producer's sequence); at_place is the other request's place. */
    void (*tied)(void *ctx, const wc_request *req, const char *at_place);
    void *tied_ctx;
} wc_store;

/* Destroys the backend state (NULL-safe). */
void wc_store_destroy(wc_store *store);

/* Starts applying a valid request: exact order when it has a place, else classic (see the top
 * of this file); the one place that picks create, update or delete by its type. WC_OK: applied will
 * be called once (perhaps before this returns). req must live until then. */
wc_result wc_store_apply(wc_store *store, const wc_request *req, wc_store_applied applied,
                         void *ctx, wc_error *err);

/* Applies a request and waits for it, turning loop (NULL for a local store): for tools and tests.
 * A call that did not start has the outcome of its result (err says why). */
wc_outcome wc_store_apply_wait(wc_store *store, wc_loop *loop, const wc_request *req,
                               wc_error *err);

/* Checks a key prefix such as "widgets/": relative, no "." or ".." parts, no empty parts. */
wc_result wc_store_check_prefix(const char *prefix, wc_error *err);

#endif
