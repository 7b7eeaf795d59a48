#include "consumer/holds.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/strmap.h"

#define SWEEP_FLOOR 1000 /* records kept before the first walk */
#define WAITING_MAX 64   /* requests remembered waiting for one widget */

/* What is known of one request. */
typedef struct {
    int held;            /* put back, and counted in its widget's record */
    uint64_t held_until; /* when that hold runs out */
    unsigned misses;     /* times its widget was not there */
    uint64_t first_miss; /* when the first of them was */
    int waiting;         /* on its widget's list of requests waiting for it */
} message;

/* What is known of one widget. */
typedef struct {
    unsigned held;  /* its requests put back and not released */
    uint64_t until; /* its later requests wait until then */
    char **waiting; /* owned: keys of requests waiting for it, oldest first */
    size_t n_waiting, cap_waiting;
} widget;

struct wc_holds {
    wc_strmap *messages; /* by message key */
    wc_strmap *widgets;  /* by widget id */
    uint64_t miss_kept_ms;
    size_t held;     /* messages with held set */
    size_t sweep_at; /* records kept when the next walk comes */
};

static void widget_cleanup(widget *w)
{
    for (size_t i = 0; i < w->n_waiting; i++)
        free(w->waiting[i]);
    free(w->waiting);
    w->waiting = NULL;
    w->n_waiting = w->cap_waiting = 0;
}

/* Removes the record of widget_id (and what it owns). */
static void remove_widget(wc_holds *h, const char *widget_id)
{
    widget *w = wc_strmap_get(h->widgets, widget_id);
    if (!w)
        return;
    widget_cleanup(w);
    wc_strmap_remove(h->widgets, widget_id);
}

wc_holds *wc_holds_new(uint64_t miss_kept_ms)
{
    wc_holds *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->messages = wc_strmap_new(sizeof(message));
    h->widgets = wc_strmap_new(sizeof(widget));
    if (!h->messages || !h->widgets) {
        wc_holds_free(h);
        return NULL;
    }
    h->miss_kept_ms = miss_kept_ms;
    h->sweep_at = SWEEP_FLOOR;
    return h;
}

void wc_holds_free(wc_holds *h)
{
    if (!h)
        return;
    for (size_t i = 0; h->widgets && i < wc_strmap_count(h->widgets); i++)
        widget_cleanup(wc_strmap_value_at(h->widgets, i));
    wc_strmap_free(h->messages);
    wc_strmap_free(h->widgets);
    free(h);
}

size_t wc_holds_records(const wc_holds *h)
{
    return wc_strmap_count(h->messages) + wc_strmap_count(h->widgets);
}

/* Drops what ran out by now_ms: holds of requests another consumer took, misses kept long enough,
 * widgets whose wait is over. A record with nothing left goes. */
static void sweep(wc_holds *h, uint64_t now_ms)
{
    for (size_t i = 0; i < wc_strmap_count(h->messages);) {
        message *m = wc_strmap_value_at(h->messages, i);
        if (m->held && m->held_until <= now_ms) {
            m->held = 0;
            m->waiting = 0; /* it waits for its own time */
            h->held--;
        }
        if (m->misses && m->first_miss + h->miss_kept_ms <= now_ms)
            m->misses = 0;
        if (!m->held && !m->misses)
            wc_strmap_remove_at(h->messages, i); /* the last record moves to i */
        else
            i++;
    }
    for (size_t i = 0; i < wc_strmap_count(h->widgets);) {
        widget *w = wc_strmap_value_at(h->widgets, i);
        if (w->until <= now_ms) {
            widget_cleanup(w);
            wc_strmap_remove_at(h->widgets, i);
        } else {
            i++;
        }
    }
    size_t left = wc_holds_records(h);
    h->sweep_at = left * 2 > SWEEP_FLOOR ? left * 2 : SWEEP_FLOOR;
}

/* Before a record is added: the walk, when it is due (amortized O(1) a record). */
static void maybe_sweep(wc_holds *h, uint64_t now_ms)
{
    if (wc_holds_records(h) >= h->sweep_at)
        sweep(h, now_ms);
}

wc_result wc_holds_hold(wc_holds *h, const char *key, const char *widget_id, uint64_t until_ms,
                        uint64_t now_ms)
{
    maybe_sweep(h, now_ms);
    message *m = wc_strmap_put(h->messages, key, NULL);
    if (!m)
        return WC_ERR_NOMEM;
    int first_time = !m->held;
    m->held = 1;
    m->held_until = until_ms;
    if (first_time)
        h->held++;
    widget *w = wc_strmap_put(h->widgets, widget_id, NULL);
    if (!w)
        return WC_ERR_NOMEM;
    if (first_time || !w->held)
        w->held++;
    w->until = until_ms;
    return WC_OK;
}

int wc_holds_busy(const wc_holds *h, const char *widget_id, uint64_t now_ms)
{
    const widget *w = wc_strmap_get(h->widgets, widget_id);
    return w && w->until > now_ms;
}

void wc_holds_release(wc_holds *h, const char *key, const char *widget_id)
{
    message *m = wc_strmap_get(h->messages, key);
    if (!m)
        return;
    int was_held = m->held;
    if (was_held)
        h->held--;
    wc_strmap_remove(h->messages, key); /* its hold and its misses */
    if (!was_held)
        return;
    widget *w = wc_strmap_get(h->widgets, widget_id);
    if (w && w->held > 1)
        w->held--; /* the same deadline, one less to wait for */
    else
        remove_widget(h, widget_id);
}

wc_result wc_holds_wait(wc_holds *h, const char *key, const char *widget_id)
{
    message *m = wc_strmap_get(h->messages, key);
    widget *w = wc_strmap_get(h->widgets, widget_id);
    if (!m || !w || m->waiting)
        return m && w ? WC_OK : WC_ERR_NOT_FOUND; /* not held, or remembered already */
    if (w->n_waiting == WAITING_MAX)
        return WC_ERR_BUSY; /* it waits for its own time */
    char **more = wc_array_room(w->waiting, w->n_waiting, &w->cap_waiting, sizeof(*more), 4);
    char *copy = strdup(key);
    if (more)
        w->waiting = more;
    if (!more || !copy) {
        free(copy);
        return WC_ERR_NOMEM;
    }
    w->waiting[w->n_waiting++] = copy;
    m->waiting = 1;
    return WC_OK;
}

size_t wc_holds_wake(wc_holds *h, const char *widget_id, int (*fn)(void *ctx, const char *key),
                     void *ctx)
{
    widget *w = wc_strmap_get(h->widgets, widget_id);
    if (!w || !w->n_waiting)
        return 0;
    char **keys = w->waiting; /* taken: fn may not touch holds, but a record can move */
    size_t n = w->n_waiting;
    w->waiting = NULL;
    w->n_waiting = w->cap_waiting = 0;
    size_t told = 0;
    int go_on = 1;
    for (size_t i = 0; i < n; i++) {
        message *m = wc_strmap_get(h->messages, keys[i]);
        int live = m && m->waiting && m->held; /* not applied or given up since */
        if (m)
            m->waiting = 0;
        if (live && go_on) {
            told++;
            go_on = fn(ctx, keys[i]);
        }
        free(keys[i]);
    }
    free(keys);
    return told;
}

unsigned wc_holds_miss(wc_holds *h, const char *key, uint64_t now_ms, uint64_t *first_ms)
{
    maybe_sweep(h, now_ms);
    message *m = wc_strmap_put(h->messages, key, NULL);
    if (!m) { /* not remembered: counted as a first miss */
        *first_ms = now_ms;
        return 1;
    }
    if (m->misses++ == 0)
        m->first_miss = now_ms;
    *first_ms = m->first_miss;
    return m->misses;
}

void wc_holds_forget_misses(wc_holds *h, const char *key)
{
    message *m = wc_strmap_get(h->messages, key);
    if (!m)
        return;
    m->misses = 0;
    if (!m->held)
        wc_strmap_remove(h->messages, key);
}

size_t wc_holds_held(const wc_holds *h)
{
    return h->held;
}

uint64_t wc_holds_probes(const wc_holds *h)
{
    return wc_strmap_probes(h->messages) + wc_strmap_probes(h->widgets);
}
