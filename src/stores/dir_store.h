/* dir_store.h - a widget store on a local directory, laid out like the widget bucket: each widget
 * is the file DIR/<its S3 key> (e.g. out/widgets/mary-matthews/8123f304-…) holding the same JSON
 * as the S3 object. Files are replaced atomically (write aside, rename), so a reader never sees
 * half a widget. A widgetId starting with '.' is stored as "%2E" + the rest (else it would be a
 * hidden file, unseen by scans and widget-verify), one starting with '%' as "%25" + the rest.
 *
 * Classic order writes the widget file alone (under the widget's lock, on the condition of the
 * file's hash). Exact order keeps each widget's ledger in DIR/.ledger/<its key> (see dir_store.c);
 * a deleted widget's ledger stays as its tombstone until swept at an open once expired: its expiry
 * is written in it at delete time (tombstone_ttl_s of the deleting consumer), so consumers with
 * different TTLs sharing one directory each keep their own tombstones as long as they asked.
 *
 * Names from requests cannot escape DIR: the owner key has only letters and dashes, a widgetId
 * has no '/' and is not "." or ".." (core/request.c checks both), and the prefix is checked here.
 */
#ifndef WC_DIR_STORE_H
#define WC_DIR_STORE_H

#include <stdint.h>

#include "common/clock.h"
#include "stores/store.h"

typedef struct {
    const char *dir;          /* created when missing */
    const char *key_prefix;   /* "widgets/" */
    int durable;              /* fsync each widget before it counts as stored */
    uint64_t tombstone_ttl_s; /* exact order: the tombstones this consumer writes expire this
                                 long after the delete (0: never); any open sweeps expired ones */
    wc_clock *clock;          /* its wall clock dates tombstones (borrowed; NULL: the system's) */
} wc_dir_store_config;

wc_result wc_dir_store_open(const wc_dir_store_config *config, wc_store *out, wc_error *err);

/* The file of a widget in a store directory. Caller frees. */
char *wc_dir_store_path(const char *dir, const char *prefix, const char *owner,
                        const char *widget_id);

#endif
