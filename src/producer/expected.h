/* expected.h - a set of widgets keyed by id: the producer's expected final state, and what the
 * verifier compares a store with. Saved as a JSON array of canonical widgets, one per line,
 * sorted by id.
 */
#ifndef WC_EXPECTED_H
#define WC_EXPECTED_H

#include <stddef.h>

#include "common/error.h"
#include "core/widget.h"

typedef struct wc_widget_map wc_widget_map;

wc_widget_map *wc_widget_map_new(void);
void wc_widget_map_free(wc_widget_map *m);

/* The widget with this id, or NULL. Still owned by the map. */
wc_widget *wc_widget_map_get(const wc_widget_map *m, const char *id);

/* Adds w, replacing (and freeing) a widget of the same id. The map owns w from now on, also on
 * failure. */
wc_result wc_widget_map_put(wc_widget_map *m, wc_widget *w);

/* Removes and frees the widget with this id; 0 when there was none. */
int wc_widget_map_remove(wc_widget_map *m, const char *id);

size_t wc_widget_map_size(const wc_widget_map *m);

/* All widgets sorted by id, in a new array (the widgets stay the map's). Caller frees the array. */
wc_widget **wc_widget_map_sorted(const wc_widget_map *m);

wc_result wc_widget_map_save(const wc_widget_map *m, const char *path, wc_error *err);
wc_result wc_widget_map_load(const char *path, wc_widget_map **out, wc_error *err);

#endif
