/* verify.h - compares what a store holds with an expected state.
 *
 * Every widget is one of: matching (same data at the right key), missing (expected, not found),
 * unexpected (found, not expected, or at another key than its owner and id give), different
 * (found at its key, other data), unreadable (found, not a widget). A few examples of each are
 * kept for the summary.
 */
#ifndef WC_VERIFY_H
#define WC_VERIFY_H

#include <stdio.h>

#include "common/error.h"
#include "producer/expected.h"
#include "stores/store.h"

#define WC_VERIFY_EXAMPLES 5

typedef struct {
    size_t expected, found;
    size_t matching, missing, unexpected, different, unreadable;
    size_t ignored;                            /* present, data not compared */
    char examples[4][WC_VERIFY_EXAMPLES][256]; /* missing, unexpected, different, unreadable */
} wc_verify_report;

wc_result wc_verify_store(wc_store *store, const char *key_prefix, const wc_widget_map *expected,
                          wc_verify_report *report, wc_error *err);

/* The same, but widgets whose id is in ignore_values (sorted ids) count as matching whatever
 * their data, as long as they are there: for runs whose updates were reordered on purpose. */
wc_result wc_verify_store_ignoring(wc_store *store, const char *key_prefix,
                                   const wc_widget_map *expected, char **ignore_values,
                                   size_t n_ignore, wc_verify_report *report, wc_error *err);

/* Whether the store equals the expected state. */
int wc_verify_ok(const wc_verify_report *report);

/* One summary line, then the examples. */
void wc_verify_print(const wc_verify_report *report, FILE *out);

#endif
