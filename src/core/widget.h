/* widget.h - the widget, its canonical JSON, the update rules and the S3 key rule.
 *
 * Pure functions: no I/O. Every store (directory, S3, DynamoDB) builds on these, so the rules
 * are written once:
 *   create: id = widgetId, owner, label, description and every other attribute; an empty ""
 *           label/description/attribute value means "no value" and is left out.
 *   update: absent or null keeps; "" clears label/description and removes an attribute; any other
 *           value sets; new attributes are appended, so attributes keep the order in which they
 *           were first set; id and owner never change.
 */
#ifndef WC_WIDGET_H
#define WC_WIDGET_H

#include <stddef.h>

#include "common/error.h"
#include "core/request.h"

typedef struct {
    char *id;
    char *owner;
    char *label;       /* NULL: absent */
    char *description; /* NULL: absent */
    wc_attr *attrs;    /* in the order first set */
    size_t n_attrs;
    size_t cap_attrs;
} wc_widget;

/* A new widget from a create request. Caller frees with wc_widget_free(). NULL: out of memory. */
wc_widget *wc_widget_from_create(const wc_request *req);

/* Applies an update request to w in place. WC_ERR_NOMEM is the only failure. */
wc_result wc_widget_apply_update(wc_widget *w, const wc_request *req);

void wc_widget_free(wc_widget *w);

/* The attribute value for name, or NULL. */
const char *wc_widget_attr(const wc_widget *w, const char *name);

/* Sets (appends or replaces) or, with value NULL, removes an attribute. */
wc_result wc_widget_set_attr(wc_widget *w, const char *name, const char *value);

/* Replaces *slot (freed) with a copy of value, or with NULL for a NULL value. 0: out of memory
 * (*slot as it was). */
int wc_text_replace(char **slot, const char *value);

/* Appends an attribute without looking for one of the same name: O(1). Where names may repeat,
 * call wc_widget_dedupe_attrs once after the last. */
wc_result wc_widget_append_attr(wc_widget *w, const char *name, const char *value);

/* Drops the attributes whose value is NULL (holes, left while a request is applied, so that
 * indexes stay valid; their names are freed), the others keeping their order: O(n). */
void wc_widget_drop_holes(wc_widget *w);

/* Indexes 0..n-1 of attrs sorted by name, equal names in their order (a stable sort): lookups by
 * name become binary searches. O(n log n). Caller frees; NULL: out of memory (or n == 0). */
size_t *wc_attrs_by_name(const wc_attr *attrs, size_t n);

/* Where a name repeats, keeps its first place and its last value, as wc_widget_set_attr one
 * after the other would: O(n log n). */
wc_result wc_widget_dedupe_attrs(wc_widget *w);

/* Canonical compact JSON, as stored in S3:
 *   {"id":…,"owner":…,"label":…,"description":…,"otherAttributes":[{"name":…,"value":…},…]}
 * label/description left out when absent. Caller frees. NULL: out of memory. */
char *wc_widget_to_json(const wc_widget *w);

/* Parses a stored widget (the canonical JSON). `name` names it in errors. */
wc_result wc_widget_from_json(const char *name, const char *text, size_t len, wc_widget **out,
                              wc_error *err);

/* 1 when both widgets hold the same data. With ordered set, attribute order counts too. */
int wc_widget_equal(const wc_widget *a, const wc_widget *b, int ordered);

/* The owner as it appears in keys: spaces to dashes, all lower case ("Mary Matthews" ->
 * "mary-matthews"). Caller frees. */
char *wc_owner_key(const char *owner);

/* The S3 key of a widget: prefix + owner key + "/" + widgetId, e.g.
 * "widgets/mary-matthews/8123f304-…". Caller frees. */
char *wc_widget_key(const char *prefix, const char *owner, const char *widget_id);

#endif
