/* kept.h - deferred messages a source keeps in hand until they are due, instead of handing them
 * back to where they came from (an SQS visibility change, rounded up to whole seconds, and a
 * receive to fetch them again).
 *
 * A kept message is offered again when its delay ends, or at once when the source is asked to
 * hurry it (its widget's create was just applied: source.h, hurry). Due messages come out oldest
 * due first. One record per message, in a hashed map by key (common/strmap.h), each with its own
 * timer on the loop: keep, hurry and take are O(log n) (the loop's timer heap), memory bounded by
 * max messages and max_bytes of bodies (past either, keep refuses and the source defers as it
 * otherwise would).
 */
#ifndef WC_KEPT_H
#define WC_KEPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/loop.h"
#include "sources/source.h"

typedef struct wc_kept wc_kept;

/* At most max messages and max_bytes of their bodies; when one comes due, the loop tells notifier
 * (the source's own: borrowed, it must outlive the set). NULL: out of memory. Free with
 * wc_kept_free. */
wc_kept *wc_kept_new(wc_loop *loop, size_t max, size_t max_bytes,
                     const wc_source_notifier *notifier);
/* Frees the kept messages and their handles (free(3)); NULL-safe. */
void wc_kept_free(wc_kept *k);

/* Keeps a copy of msg, offered again delay_ms from now with attempts tries counted. WC_OK: kept,
 * and msg->handle taken over (set to NULL); the caller still cleans msg up (its parsed body, doc,
 * is not copied: the kept copy parses again when read). WC_ERR_BUSY: full, or
 * a message of that key is kept already; WC_ERR_NOMEM: out of memory; then nothing is kept and
 * msg is untouched. */
wc_result wc_kept_keep(wc_kept *k, wc_message *msg, unsigned attempts, uint64_t delay_ms);

/* The message kept longest among those due, moved into *msg (the caller owns it and its handle):
 * 1, or 0 when none is due. */
int wc_kept_take(wc_kept *k, wc_message *msg);

/* Any kept message, due or not, moved into *msg, and how long it had left to wait (*left_ms):
 * 1, or 0 when none is kept. For a stop: what is kept is handed back. */
int wc_kept_take_any(wc_kept *k, wc_message *msg, uint64_t *left_ms);

/* Makes the message of key due now (after those due already): 1, or 0 when it is not kept or
 * is due already. */
int wc_kept_hurry(wc_kept *k, const char *key);

/* The message of key, due or not, moved into *msg (the caller owns it and its handle): 1, or 0
 * when it is not kept. For a message delivered again while a copy of it is kept (its visibility
 * ran out): the copy is stale. */
int wc_kept_take_key(wc_kept *k, const char *key, wc_message *msg);

/* Messages kept, due or not. */
size_t wc_kept_count(const wc_kept *k);

#endif
