#include "sources/kept.h"

#include <stdlib.h>
#include <string.h>

#include "common/list.h"
#include "common/strmap.h"

/* One kept message: waiting for its timer, or on the list of those due. */
typedef struct entry {
    wc_kept *k;
    wc_message msg; /* owned, with its handle */
    wc_timer timer; /* running while it waits */
    wc_link link;   /* on the due list (oldest due first) once due */
} entry;

struct wc_kept {
    wc_loop *loop;
    wc_strmap *by_key; /* message key -> entry * */
    size_t max, max_bytes, bytes;
    wc_list due; /* of entry, by link */
    const wc_source_notifier *notifier;
};

wc_kept *wc_kept_new(wc_loop *loop, size_t max, size_t max_bytes,
                     const wc_source_notifier *notifier)
{
    wc_kept *k = calloc(1, sizeof(*k));
    if (!k || !(k->by_key = wc_strmap_new(sizeof(entry *)))) {
        free(k);
        return NULL;
    }
    k->loop = loop;
    k->max = max;
    k->max_bytes = max_bytes;
    k->notifier = notifier;
    return k;
}

static void entry_free(entry *e)
{
    free(e->msg.handle);
    wc_message_cleanup(&e->msg);
    free(e);
}

void wc_kept_free(wc_kept *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < wc_strmap_count(k->by_key); i++) {
        entry *e = *(entry **)wc_strmap_value_at(k->by_key, i);
        wc_loop_timer_stop(k->loop, &e->timer);
        entry_free(e);
    }
    wc_strmap_free(k->by_key);
    free(k);
}

size_t wc_kept_count(const wc_kept *k)
{
    return wc_strmap_count(k->by_key);
}

/* Puts e at the end of the due list. */
static void make_due(wc_kept *k, entry *e)
{
    wc_loop_timer_stop(k->loop, &e->timer);
    wc_list_append(&k->due, &e->link);
}

static void timer_fired(void *ctx)
{
    entry *e = ctx;
    wc_kept *k = e->k;
    make_due(k, e);
    wc_source_tell(k->notifier);
}

/* A copy of s (NULL stays NULL); 0 when out of memory. */
static int copy(char **to, const char *s)
{
    *to = s ? strdup(s) : NULL;
    return !s || *to;
}

wc_result wc_kept_keep(wc_kept *k, wc_message *msg, unsigned attempts, uint64_t delay_ms)
{
    size_t len = msg->body ? strlen(msg->body) : 0;
    if (wc_kept_count(k) >= k->max || k->bytes + len > k->max_bytes ||
        wc_strmap_get(k->by_key, msg->key))
        return WC_ERR_BUSY;
    entry *e = calloc(1, sizeof(*e));
    wc_result result = e ? WC_OK : WC_ERR_NOMEM;
    if (result == WC_OK) {
        /* Field by field, never the struct: whatever else a message owns stays the caller's,
         * its parsed body (doc) too: the kept copy has none and parses again when read. */
        e->k = k;
        e->msg.len = msg->len;
        e->msg.too_large = msg->too_large;
        e->msg.len_at_least = msg->len_at_least;
        if (!copy(&e->msg.key, msg->key) || !copy(&e->msg.body, msg->body) ||
            !copy(&e->msg.place, msg->place) || !copy(&e->msg.place_why, msg->place_why) ||
            !copy(&e->msg.reject_why, msg->reject_why))
            result = WC_ERR_NOMEM;
    }
    entry **slot = result == WC_OK ? wc_strmap_put(k->by_key, msg->key, NULL) : NULL;
    if (result == WC_OK && !slot)
        result = WC_ERR_NOMEM;
    if (result != WC_OK) {
        if (e) {
            wc_message_cleanup(&e->msg); /* copies made before the failure: NULL or owned */
            free(e);
        }
        return result;
    }
    *slot = e;
    e->msg.attempts = attempts;
    e->msg.handle = msg->handle;
    msg->handle = NULL;
    k->bytes += len;
    if (wc_loop_timer_start(k->loop, &e->timer, delay_ms, timer_fired, e) != WC_OK)
        make_due(k, e); /* no timer: offered again at once rather than never */
    return WC_OK;
}

/* Takes e off the due list (when it is on it) and out of the map; its message into *msg. */
static void unkeep(wc_kept *k, entry *e, wc_message *msg)
{
    if (wc_list_linked(&k->due, &e->link))
        wc_list_remove(&k->due, &e->link);
    wc_loop_timer_stop(k->loop, &e->timer);
    k->bytes -= e->msg.body ? strlen(e->msg.body) : 0;
    wc_strmap_remove(k->by_key, e->msg.key);
    *msg = e->msg;
    free(e);
}

int wc_kept_take(wc_kept *k, wc_message *msg)
{
    entry *e = WC_LIST_ENTRY(k->due.first, entry, link);
    if (e)
        unkeep(k, e, msg);
    return e != NULL;
}

int wc_kept_take_any(wc_kept *k, wc_message *msg, uint64_t *left_ms)
{
    if (wc_kept_count(k) == 0)
        return 0;
    entry *e = *(entry **)wc_strmap_value_at(k->by_key, 0);
    uint64_t now = wc_loop_now(k->loop);
    *left_ms =
        !wc_list_linked(&k->due, &e->link) && e->timer.due_ms > now ? e->timer.due_ms - now : 0;
    unkeep(k, e, msg);
    return 1;
}

int wc_kept_hurry(wc_kept *k, const char *key)
{
    entry **slot = wc_strmap_get(k->by_key, key);
    if (!slot || wc_list_linked(&k->due, &(*slot)->link))
        return 0;
    make_due(k, *slot);
    return 1;
}

int wc_kept_take_key(wc_kept *k, const char *key, wc_message *msg)
{
    entry **slot = wc_strmap_get(k->by_key, key);
    if (!slot)
        return 0;
    unkeep(k, *slot, msg);
    return 1;
}
