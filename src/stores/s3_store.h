/* s3_store.h - a widget store on an S3 bucket ("Bucket 3"): each widget is the object
 * PREFIX{owner}/{widgetId} (default prefix "widgets/") holding its canonical JSON.
 * Classic order (store.h: a save without a ledger): a create is one PutObject If-None-Match: *;
 * an update GetObject, the rules, PutObject If-Match the ETag read; a delete GetObject (NoSuchKey,
 * then no tombstone either: not there), then DeleteObject. No metadata, no tombstone.
 * Exact order (the default; core/ledger.h): the widget object keeps exactly the spec's JSON and
 * its ledger rides in its metadata (x-amz-meta-wc-ledger, base64 of the ledger's JSON); a write
 * is on the condition of the ETag read (If-Match; If-None-Match: * where there was none); a write
 * that would keep the body, and so its ETag (the body's MD5), ends it with a newline. A
 * deleted widget leaves a tombstone, the object WC_S3_TOMBSTONES + its key holding the ledger:
 * an S3 lifecycle rule on that prefix decides how long deleted widgets are remembered.
 * A ledger too long for S3's 2 KB of metadata (over 1,900 characters of base64: 1,425 bytes of
 * JSON) is spilled: first PUT as the object WC_S3_LEDGERS + the SHA-256 hex of its JSON (its
 * JSON as the body), and the widget's metadata names it (x-amz-meta-wc-ledger-ref); the widget's
 * conditional PUT is still the one commit point. After a commit the ledger object the widget
 * named before is deleted (best effort); a load that finds the named one gone reads again.
 * An exact-order create on nothing read is blind: its PUT If-None-Match: *, marked
 * x-amz-meta-wc-blind, goes with the GET of its tombstone, one round trip. Beside a tombstone
 * the widget written lacks the tombstone's ledger: it is deleted again (DeleteObject If-Match
 * the ETag written) by its creator, or by the first load that meets it marked (a load of a
 * marked widget reads its tombstone too), and the create is read and decided as after any lost
 * race. So no writer ever decides on a marked widget beside a tombstone; any later write of the
 * widget goes unmarked.
 */
#ifndef WC_S3_STORE_H
#define WC_S3_STORE_H

#include "aws/client.h"
#include "stores/store.h"

#define WC_S3_TOMBSTONES      "wc-tombstones/"
#define WC_S3_LEDGER_META     "wc-ledger"
#define WC_S3_LEDGERS         "wc-ledgers/"
#define WC_S3_LEDGER_REF_META "wc-ledger-ref"
#define WC_S3_BLIND_META      "wc-blind"

typedef struct {
    wc_aws *aws;
    const char *bucket;
    const char *key_prefix;
    /* Exact order: memory (bytes) for the widgets this consumer last read or wrote (body, ledger
     * and ETag), so that an update of one is one PUT If-Match the remembered ETag (0: none). */
    size_t remember_bytes;
    /* Exact order: a create PUT blind (If-None-Match: *, marked, its tombstone read beside it)
     * instead of reading the widget and its tombstone first. OFF in the consumer: a review found
     * two interleavings of several writers that end wrong (a create delivered again PUTs the
     * very body, so the ETag, of its first life, which a stale remembered If-Match then passes;
     * and a tombstone GET sent beside the PUT proves nothing about a delete written between the
     * two), to be mended before it is turned on. The unit tests exercise it. */
    int blind_create;
} wc_s3_store_config;

/* Opens the store and checks the bucket answers: otherwise a one-line error such as
 *   widget bucket "usu-widgets": NoSuchBucket: … */
wc_result wc_s3_store_open(const wc_s3_store_config *config, wc_store *out, wc_error *err);

#endif
