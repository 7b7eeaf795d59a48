/* ledger.h - what a store remembers of a widget so that requests may come in any order, any
 * number of times, and still leave the state of applying each once in production order.
 *
 * Every request has a place in production order (a string: its S3 key or file name, 13-digit
 * epoch milliseconds first, or the producer's `sequence` on SQS; see docs/guarantees.md).
 * Places compare as byte strings. Per widget the ledger keeps:
 *   created  the place of the create that made the widget,
 *   deleted  the place of its latest delete (a tombstone: kept after the widget is gone),
 *   marks    per field (label, description, each other attribute): the place of the last write
 *            (a set or a clear), and for attributes where their current run began (their place
 *            in the order of attributes) and the latest removal known. An attribute on the
 *            widget without a mark was set by the create and not written since: its mark is
 *            implied, so a widget as created keeps a ledger of a few places whatever its size.
 * Then:
 *   - a field is written only by a request later than its last write: an older update never
 *     overwrites a newer field; an update whose writes are already marked with its own place
 *     was applied before (WC_FATE_ALREADY);
 *   - a create or update older than the widget's delete is superseded (WC_FATE_SUPERSEDED);
 *     a delete delivered again is WC_FATE_ALREADY;
 *   - an update or delete of a widget that is not there (and not deleted later) is
 *     WC_FATE_ABSENT: the caller defers it, and warns in the end, as the spec asks; another
 *     create of a widget that is there leaves it as it is (WC_FATE_UNCHANGED); a delete of an
 *     earlier life that comes after the widget was created again is only remembered;
 *   - attributes are ordered by the place where their current run began.
 * Known limits: an attribute removed and set again by different requests, delivered out of
 * order, may take another place in the order of attributes than the sequential one (its values
 * are always right). A widgetId created again after its delete (the spec's ids are UUIDs, never
 * used again) is exact only when that delete comes before the new life's requests: a create or
 * an update of the new life that comes while the old life is still there is applied to the old
 * one (the create leaves it as it is). Past max(WC_LEDGER_REMOVALS_MIN, n) removals of
 * attributes no longer there, the oldest removal marks are forgotten: a set older than such a
 * forgotten removal, delivered after it, brings the attribute back.
 * Pure functions, no I/O.
 */
#ifndef WC_LEDGER_H
#define WC_LEDGER_H

#include <stddef.h>

#include "common/error.h"
#include "core/place.h"
#include "core/request.h"
#include "core/widget.h"

typedef struct {
    char *field;      /* "label", "description", or "a:" + an other attribute's name */
    char *last;       /* place of the last write */
    char *since;      /* attributes: where the current run began; NULL when absent or unknown */
    size_t since_pos; /* with since: the attribute's position in that request */
    char *cleared;    /* attributes: the latest removal known, or NULL */
} wc_mark;

typedef struct {
    char *created; /* NULL: unknown (a widget stored before ledgers) */
    char *deleted; /* NULL: never deleted */
    wc_mark *marks;
    size_t n_marks, cap_marks;
    /* Not stored: the last wc_ledger_apply met a tie broken arbitrarily (place.h), with the
     * place tied_with. */
    int tied;
    char tied_with[WC_PLACE_MAX + 1];
} wc_ledger;

/* Removal marks (attributes not on the widget whose removal is remembered) kept at most: the
 * larger of this and the number of the widget's attributes; the oldest go first. */
#define WC_LEDGER_REMOVALS_MIN 64

typedef enum {
    WC_FATE_APPLIED,    /* the widget changed (or was deleted): write it */
    WC_FATE_UNCHANGED,  /* nothing to write, nothing wrong: a create of a widget already there */
    WC_FATE_ALREADY,    /* this very request was applied before */
    WC_FATE_SUPERSEDED, /* older than the widget's delete (or newer create): nothing to do */
    WC_FATE_ABSENT      /* the widget is not there (yet): defer */
} wc_fate;

/* A new empty ledger (a widget never seen). NULL: out of memory. */
wc_ledger *wc_ledger_new(void);
void wc_ledger_free(wc_ledger *l);

/* Compact JSON of a ledger, each place once:
 *   {"v":2,"p":[place,...],"c":P,"d":P,"l":P,"s":P,"a":[[name,last,since,pos,cleared],...]}
 * P an index into "p"; "c" created, "d" deleted, "l" and "s" the last writes of label and
 * description (each left out when unknown); "a" the attribute marks, trailing nulls left out
 * (since null: pos 0). Caller frees. NULL: out of memory. */
char *wc_ledger_to_json(const wc_ledger *l);

/* Reads a ledger written by wc_ledger_to_json, or by the first version ({"c","d","m"} with
 * places written out in full). `name` names it in errors (WC_ERR_PARSE). */
wc_result wc_ledger_from_json(const char *name, const char *text, size_t len, wc_ledger **out,
                              wc_error *err);

/* Applies req, produced at place, to the widget *w (NULL: not there) and its ledger l, both
 * changed in place: a create sets *w, a delete frees it and sets it to NULL. *fate says what
 * happened; l->tied whether a tie was broken arbitrarily. WC_ERR_NOMEM is the only failure
 * (then *w and l are unusable).
 * Cost: O((n + m + k) log(n + m + k)) comparisons for a widget of n attributes, a ledger of m
 * marks and a request of k attributes (sorted indexes, no scan per attribute).
 * Size: what is kept is bounded by the widget's live attributes n: at most n + 2 marks for
 * the attributes there, label and description, plus max(WC_LEDGER_REMOVALS_MIN, n) removal
 * marks; a delete keeps only the places of the create and the delete (a tombstone), and a
 * create of a new life starts afresh. */
wc_result wc_ledger_apply(wc_widget **w, wc_ledger *l, const wc_request *req, const char *place,
                          wc_fate *fate);

#endif
