#include "sources/s3_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "common/buf.h"
#include "common/list.h"
#include "common/log.h"
#include "sources/deferrals.h"

#define MAX_LOOK_AHEAD 1000       /* keys of one listing page, at most */
#define MAX_FETCHES    256        /* GetObject calls in flight or read and not yet handed out */
#define AHEAD_BYTES    (1u << 20) /* default bytes of bodies read ahead (see s3_source.h) */
#define MIN_GUESS      256        /* what a GetObject in flight counts before any body is seen */

/* A key on its way to the consumer: its GetObject in flight or done. Handed out in key order. */
typedef struct fetch {
    char *key;
    int state; /* GETTING, READY or GONE (taken by another consumer, or another shard's) */
    char *body;
    size_t len;
    size_t held; /* what this fetch counts in s->ahead_bytes once read */
    int too_large;
    wc_error err; /* code not WC_OK: a GetObject that failed (then handed out as an error) */
    struct s3_source *s;
    wc_link link; /* on s->fetches */
} fetch;

#define FETCH(l) WC_LIST_ENTRY(l, fetch, link)

enum { GETTING, READY, GONE };

/* An object call of the source in flight (a delete, a dead letter's copy and delete). */
typedef struct object_call {
    struct s3_source *s;
    char *key;
    char *target; /* a dead letter's key */
    wc_source_done done;
    void *ctx;
} object_call;

typedef struct s3_source {
    wc_s3_bucket requests;
    wc_s3_bucket dead;
    char *prefix;
    char *dead_prefix;
    size_t max_body;
    int look_ahead;
    wc_clock *clock;
    wc_deferrals *deferrals;
    wc_deferrals *in_hand; /* keys fetched or handed out and not yet finished: never taken twice */
    wc_deferrals *foreign; /* keys of other shards: not read again */
    wc_shard shard;
    /* The walk through the listing: keys listed and not yet fetched, the next page's token. */
    char **keys;
    size_t n_keys, next_key, cap_keys;
    char *token;
    int listing;    /* a page is being listed */
    int walked;     /* the walk reached the end of the listing */
    int walk_found; /* keys (of ours, or deferred) the walk has seen */
    int walk_new;   /* keys the walk queued for fetching */
    int walk_ended; /* a walk just ended, not yet told (an empty poll when it found nothing) */
    int list_failed;
    wc_error list_err;
    wc_list fetches; /* in key order */
    unsigned n_fetches;
    unsigned n_getting;  /* of which in flight */
    size_t ahead_bytes;  /* bodies read and not yet handed out */
    size_t ahead_limit;  /* at most this much read ahead, in flight counted by guess */
    size_t largest_body; /* the guess for a body in flight: the largest seen lately */
    unsigned calls;      /* deletes and dead letters in flight */
    wc_source_notifier notifier;
    int stopping;
} s3_source;

/* --- the walk: ListObjectsV2 pages fetched ahead as the keys of the last one run low --- */

/* The walk reached the end: forget what no longer is there (finished by another consumer). */
static void end_walk(s3_source *s)
{
    wc_deferrals_sweep(s->deferrals);
    wc_deferrals_sweep(s->foreign);
    s->walked = 1;
    s->walk_ended = 1;
}

static void listed(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                   const wc_error *err)
{
    s3_source *s = ctx;
    s->listing = 0;
    wc_s3_listing l;
    wc_error e = *err;
    if (result == WC_OK)
        result = wc_s3_listing_parse(s->requests.bucket, resp->body, resp->len, &l, &e);
    if (resp)
        wc_http_response_cleanup(resp);
    if (result != WC_OK) {
        s->list_failed = 1;
        s->list_err = e;
        wc_error_prefix(&s->list_err, "listing request bucket \"%s\": ", s->requests.bucket);
        free(s->token);
        s->token = NULL; /* the next walk starts again from the smallest key */
        wc_source_tell(&s->notifier);
        return;
    }
    uint64_t now = s->clock->now_ms(s->clock);
    if (s->next_key > 0) { /* keep the keys still to fetch at the front */
        memmove(s->keys, s->keys + s->next_key, (s->n_keys - s->next_key) * sizeof(*s->keys));
        s->n_keys -= s->next_key;
        s->next_key = 0;
    }
    for (size_t i = 0; i < l.n; i++) {
        const char *key = l.keys[i];
        wc_deferrals_mark(s->deferrals, key);
        wc_deferrals_mark(s->foreign, key);
        if (wc_deferrals_attempts(s->foreign, key))
            continue; /* another shard's */
        s->walk_found = 1;
        if (wc_deferrals_waiting(s->deferrals, key, now) || wc_deferrals_attempts(s->in_hand, key))
            continue;
        char **room = wc_array_room(s->keys, s->n_keys, &s->cap_keys, sizeof(*room), 16);
        if (room) { /* else it is listed again on the next walk */
            s->keys = room;
            s->keys[s->n_keys++] = l.keys[i];
            l.keys[i] = NULL;
            s->walk_new++;
        }
    }
    free(s->token);
    s->token = NULL;
    if (l.truncated && l.next_token) {
        s->token = l.next_token; /* more pages: the walk goes on when these keys run low */
        l.next_token = NULL;
    } else {
        end_walk(s);
    }
    wc_s3_listing_cleanup(&l);
    wc_source_tell(&s->notifier);
}

static void list_next_page(s3_source *s)
{
    if (s->listing || s->stopping)
        return;
    if (s->walked && !s->token) { /* a new walk, from the smallest key */
        s->walked = 0;
        s->walk_found = 0;
        s->walk_new = 0;
        wc_deferrals_unmark_all(s->deferrals);
        wc_deferrals_unmark_all(s->foreign);
    }
    wc_error err;
    if (wc_s3_list_start(&s->requests, s->prefix, "/", s->token, s->look_ahead, listed, s, &err) !=
        WC_OK) {
        s->list_failed = 1;
        s->list_err = err;
        return;
    }
    s->listing = 1;
}

/* --- fetches: GetObject of many keys at once, handed out in key order --- */

static void fetched(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                    const wc_error *err)
{
    fetch *f = ctx;
    s3_source *s = f->s;
    s->n_getting--;
    if (result == WC_ERR_NOT_FOUND) { /* gone meanwhile: another consumer took it */
        f->state = GONE;
    } else if (result == WC_ERR_TOO_LARGE) {
        f->too_large = 1;
        f->state = READY;
    } else if (result != WC_OK) {
        f->err = *err;
        f->err.code = result;
        wc_error_prefix(&f->err, "GetObject of %s: ", f->key);
        f->state = READY;
    } else {
        f->body = resp->body;
        f->len = resp->len;
        resp->body = NULL;
        f->state = READY;
        f->held = f->len;
        s->ahead_bytes += f->held;
        /* The guess follows the bodies: the largest, decaying halfway to each smaller one seen. */
        s->largest_body = f->len > s->largest_body ? f->len : (s->largest_body + f->len) / 2;
        if (!wc_shard_owns(&s->shard, f->key, f->body, f->len)) {
            /* Another consumer's widget: leave it, and do not read it again. */
            wc_deferrals_defer(s->foreign, f->key, 1, UINT64_MAX);
            f->state = GONE;
        }
    }
    if (resp)
        wc_http_response_cleanup(resp);
    wc_source_tell(&s->notifier);
}

static void fetch_free(fetch *f)
{
    free(f->key);
    free(f->body);
    free(f);
}

static int start_fetch(s3_source *s)
{
    char *key = s->keys[s->next_key];
    fetch *f = calloc(1, sizeof(*f));
    if (!f || wc_deferrals_defer(s->in_hand, key, 1, 0) != WC_OK) {
        free(f);
        return 0;
    }
    s->keys[s->next_key++] = NULL;
    f->key = key;
    f->s = s;
    f->state = GETTING;
    s->n_getting++;
    wc_error err;
    if (wc_s3_start(&s->requests, "GET", key, NULL, 0, NULL, 0, s->max_body, fetched, f, &err) !=
        WC_OK) {
        f->err = err;
        f->err.code = err.code ? err.code : WC_ERR_IO;
        f->state = READY;
        s->n_getting--;
    }
    wc_list_append(&s->fetches, &f->link);
    s->n_fetches++;
    return 1;
}

static fetch *pop_fetch(s3_source *s)
{
    fetch *f = FETCH(wc_list_pop(&s->fetches));
    s->n_fetches--;
    if (f->state == GETTING)
        s->n_getting--; /* abandoned (destroy) */
    s->ahead_bytes -= f->held;
    f->held = 0;
    return f;
}

/* Whether one more GetObject may start: the bodies read ahead and the guess for those in flight
 * stay within the limit (one is always allowed, so that a body larger than the limit still
 * comes). */
static int room_ahead(const s3_source *s)
{
    size_t guess = s->largest_body > MIN_GUESS ? s->largest_body : MIN_GUESS;
    return s->n_fetches == 0 || s->ahead_bytes + (s->n_getting + 1) * guess <= s->ahead_limit;
}

static wc_receive_status s3_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    s3_source *s = self;
    memset(msg, 0, sizeof(*msg));
    /* What is read, in key order. */
    while (s->fetches.first && FETCH(s->fetches.first)->state != GETTING) {
        fetch *f = pop_fetch(s);
        if (f->state == GONE) {
            wc_deferrals_forget(s->in_hand, f->key);
            fetch_free(f);
            continue;
        }
        if (f->err.code != WC_OK) {
            wc_receive_failed(err, &f->err);
            wc_deferrals_forget(s->in_hand, f->key);
            fetch_free(f);
            return WC_RECEIVE_FAILED;
        }
        msg->key = f->key;
        f->key = NULL;
        /* its place: the key after the prefix all requests share (13-digit epoch ms) */
        size_t plen = strlen(s->prefix);
        wc_message_set_place_epoch_ms(
            msg, strncmp(msg->key, s->prefix, plen) == 0 ? msg->key + plen : msg->key,
            "key (after the request prefix)");
        msg->attempts = wc_deferrals_attempts(s->deferrals, msg->key);
        wc_message_take_body(msg, &f->body, f->len, f->too_large, s->max_body);
        fetch_free(f);
        return WC_RECEIVE_READY;
    }
    if (s->list_failed) {
        s->list_failed = 0;
        return wc_receive_failed(err, &s->list_err);
    }
    if (s->stopping)
        return WC_RECEIVE_WAIT;
    /* Read ahead: GetObject of the next keys, as many as the consumer could take. */
    while (s->next_key < s->n_keys && s->n_fetches < want && s->n_fetches < MAX_FETCHES &&
           room_ahead(s))
        if (!start_fetch(s))
            break;
    size_t left = s->n_keys - s->next_key;
    if (s->listing)
        return WC_RECEIVE_WAIT;
    /* List ahead: the walk's next page when the keys in hand run low. */
    size_t low = (size_t)s->look_ahead > want ? (size_t)s->look_ahead : want;
    if (s->token && left < low) {
        list_next_page(s);
        return WC_RECEIVE_WAIT;
    }
    if (left > 0 || s->n_fetches > 0)
        return WC_RECEIVE_WAIT;
    /* Nothing left of this walk. One that found nothing to take is an empty poll, unless
     * requests are waiting (deferred, or in other consumers' hands); the next call walks again. */
    if (s->walk_ended) {
        s->walk_ended = 0;
        if (s->walk_new == 0)
            return s->walk_found || wc_deferrals_count(s->in_hand) ? WC_RECEIVE_WAIT
                                                                   : WC_RECEIVE_EMPTY;
    }
    list_next_page(s);
    return WC_RECEIVE_WAIT;
}

/* --- ends of a message: deletes and dead letters on the loop --- */

static void call_end(object_call *c, wc_result result, const wc_error *err)
{
    s3_source *s = c->s;
    /* Only now may a walk take the key again: the object is gone, or its end failed. */
    wc_deferrals_forget(s->in_hand, c->key);
    s->calls--;
    if (c->done)
        c->done(c->ctx, result, err);
    free(c->key);
    free(c->target);
    free(c);
    wc_source_tell(&s->notifier);
}

static void deleted(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                    const wc_error *err)
{
    object_call *c = ctx;
    s3_source *s = c->s;
    if (resp)
        wc_http_response_cleanup(resp);
    wc_error e = *err;
    if (result == WC_OK) {
        wc_deferrals_forget(s->deferrals, c->key);
    } else if (c->target) {
        wc_error_prefix(&e, "dead-lettering %s (copied to %s/%s, not deleted): ", c->key,
                        s->dead.bucket, c->target);
    } else {
        wc_errorlog("request=%s applied but not removed from the source: %s (it will be applied "
                    "again)",
                    c->key, e.msg);
    }
    call_end(c, result, &e);
}

static wc_result start_delete(object_call *c, wc_error *err)
{
    return wc_s3_start(&c->s->requests, "DELETE", c->key, NULL, 0, NULL, 0, 0, deleted, c, err);
}

static void copied(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                   const wc_error *err)
{
    object_call *c = ctx;
    wc_error e = *err;
    result = wc_s3_copy_answer(result, resp, &e);
    /* Copy first, delete after: a failure in between leaves the request in place, never lost. */
    if (result == WC_OK && (result = start_delete(c, &e)) == WC_OK)
        return;
    wc_error_prefix(&e, "dead-lettering %s to %s/%s: ", c->key, c->s->dead.bucket, c->target);
    call_end(c, result, &e);
}

/* The end of msg's object: its delete, or with a reason (a dead letter) its copy to the dead
 * letters first. Anything but WC_OK: nothing started, and the key is no longer in hand. */
static wc_result start_end(s3_source *s, wc_message *msg, const char *reason, wc_source_done done,
                           void *ctx, wc_error *err)
{
    object_call *c = calloc(1, sizeof(*c));
    size_t len = strlen(s->dead_prefix) + strlen(msg->key) + 1;
    if (c) {
        *c = (object_call){s, strdup(msg->key), reason ? malloc(len) : NULL, done, ctx};
        if (c->target)
            snprintf(c->target, len, "%s%s", s->dead_prefix, msg->key);
    }
    wc_result result;
    if (!c || !c->key || (reason && !c->target)) {
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else if (reason) {
        char safe[1025];
        wc_s3_header_safe(reason, safe, sizeof(safe));
        wc_param meta = {"reason", safe};
        result = wc_s3_copy_start(&s->dead, s->requests.bucket, c->key, c->target, &meta, 1, copied,
                                  c, err);
    } else {
        result = start_delete(c, err);
    }
    if (result != WC_OK) {
        wc_deferrals_forget(s->in_hand, msg->key);
        if (c) {
            free(c->key);
            free(c->target);
        }
        free(c);
        return result;
    }
    s->calls++;
    return WC_OK;
}

static wc_result s3_ack(void *self, wc_message *msg, wc_error *err)
{
    return start_end(self, msg, NULL, NULL, NULL, err);
}

static wc_result s3_dead_letter(void *self, wc_message *msg, const char *reason,
                                wc_source_done done, void *ctx, wc_error *err)
{
    return start_end(self, msg, reason ? reason : "", done, ctx, err);
}

static wc_result s3_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    s3_source *s = self;
    wc_deferrals_forget(s->in_hand, msg->key);
    /* The object stays where it is; only its next try is remembered. */
    if (wc_deferrals_defer(s->deferrals, msg->key, msg->attempts + 1,
                           s->clock->now_ms(s->clock) + delay_ms) != WC_OK)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    return WC_OK;
}

/* Due now: the next walk offers it again. */
static wc_result s3_hurry(void *self, const char *key)
{
    s3_source *s = self;
    return wc_deferrals_hurry(s->deferrals, key, s->clock->now_ms(s->clock)) ? WC_OK
                                                                             : WC_ERR_NOT_FOUND;
}

/* Nothing was taken from the bucket (the handle is NULL): only the key is no longer in hand. */
static void s3_forget(void *self, wc_message *msg)
{
    s3_source *s = self;
    wc_deferrals_forget(s->in_hand, msg->key);
}

static wc_result s3_release(void *self, wc_message *msg, wc_error *err)
{
    s3_forget(self, msg); /* the object is still in the bucket */
    return WC_OK;
}

static void s3_set_notify(void *self, wc_source_notify notify, void *ctx)
{
    s3_source *s = self;
    s->notifier = (wc_source_notifier){notify, ctx};
}

static unsigned s3_flush(void *self)
{
    return ((s3_source *)self)->calls;
}

static void s3_stop(void *self)
{
    s3_source *s = self;
    s->stopping = 1; /* nothing is taken from a bucket until it is applied: nothing to hand back */
}

static void s3_destroy(void *self)
{
    s3_source *s = self;
    if (!s)
        return;
    for (size_t i = s->next_key; i < s->n_keys; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->token);
    /* Fetches still on the wire are abandoned with the client (their callbacks never run). */
    while (s->fetches.first)
        fetch_free(pop_fetch(s));
    wc_deferrals_free(s->deferrals);
    wc_deferrals_free(s->in_hand);
    wc_deferrals_free(s->foreign);
    wc_s3_bucket_cleanup(&s->requests);
    wc_s3_bucket_cleanup(&s->dead);
    free(s->prefix);
    free(s->dead_prefix);
    free(s);
}

static const wc_source_ops s3_source_ops = {
    .kind = "s3",
    .receive = s3_receive,
    .ack = s3_ack,
    .defer = s3_defer,
    .hurry = s3_hurry,
    .dead_letter = s3_dead_letter,
    .release = s3_release,
    .forget = s3_forget,
    .set_notify = s3_set_notify,
    .flush = s3_flush,
    .stop = s3_stop,
    .destroy = s3_destroy,
};

wc_result wc_s3_source_open(const wc_s3_source_config *c, wc_source *out, wc_error *err)
{
    s3_source *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->walked = 1; /* the first receive starts a walk */
    s->prefix = strdup(c->prefix ? c->prefix : "");
    s->dead_prefix = strdup(c->dead_letter_prefix ? c->dead_letter_prefix : "dead-letter/");
    s->max_body = c->max_body;
    s->look_ahead = c->look_ahead > 0 && c->look_ahead <= MAX_LOOK_AHEAD ? c->look_ahead : 100;
    s->ahead_limit = c->look_ahead_bytes ? c->look_ahead_bytes : AHEAD_BYTES;
    s->clock = c->clock ? c->clock : wc_clock_system();
    s->deferrals = wc_deferrals_new();
    s->in_hand = wc_deferrals_new();
    s->foreign = wc_deferrals_new();
    s->shard = c->shard;
    wc_result result =
        (!s->prefix || !s->dead_prefix || !s->deferrals || !s->in_hand || !s->foreign)
            ? wc_error_set(err, WC_ERR_NOMEM, "out of memory")
            : WC_OK;
    if (result == WC_OK)
        result = wc_s3_bucket_init(&s->requests, c->aws, c->bucket, err);
    if (result == WC_OK)
        result = wc_s3_bucket_init(&s->dead, c->aws,
                                   c->dead_letter_bucket ? c->dead_letter_bucket : c->bucket, err);
    /* Listing with the delimiter "/" hides the dead letters only when they sit in a folder of
     * their own. */
    size_t dlen = strlen(s->dead_prefix);
    if (result == WC_OK && !c->dead_letter_bucket &&
        (dlen == 0 || s->dead_prefix[dlen - 1] != '/' || strcmp(s->prefix, s->dead_prefix) == 0))
        result = wc_error_set(err, WC_ERR_INVALID,
                              "dead-letter prefix \"%s\" must end with '/' and differ from the "
                              "request prefix",
                              s->dead_prefix);
    /* Start-up check: both buckets answer a listing. */
    const char *names[2] = {"request bucket", "dead-letter bucket"};
    wc_s3_bucket *buckets[2] = {&s->requests, &s->dead};
    for (int i = 0; result == WC_OK && i < (c->dead_letter_bucket ? 2 : 1); i++) {
        wc_s3_listing l;
        wc_aws_error aerr;
        wc_error e;
        result = wc_s3_list(buckets[i], NULL, "/", NULL, NULL, 1, &l, &aerr, &e);
        if (result == WC_OK) {
            wc_s3_listing_cleanup(&l);
        } else {
            wc_aws_resource_error(err, result, names[i], buckets[i]->bucket, &aerr, &e);
        }
    }
    if (result != WC_OK) {
        s3_destroy(s);
        return result;
    }
    out->ops = &s3_source_ops;
    out->self = s;
    return WC_OK;
}
