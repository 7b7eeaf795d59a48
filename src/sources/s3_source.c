#include "sources/s3_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "common/log.h"
#include "sources/deferrals.h"

#define MAX_LOOK_AHEAD     100
#define MAX_PAGES_PER_POLL 20 /* pages of deferred keys skipped in one poll, at most */

typedef struct {
    wc_s3_bucket requests;
    wc_s3_bucket dead;
    char *prefix;
    char *dead_prefix;
    size_t max_body;
    int look_ahead;
    wc_clock *clock;
    wc_deferrals *deferrals;
    wc_deferrals *in_hand; /* keys handed out and not yet finished: never handed out twice */
    wc_deferrals *foreign; /* keys of other shards: not read again */
    wc_shard shard;
    char *keys[MAX_LOOK_AHEAD];
    size_t n_keys, next_key;
} s3_source;

static void clear_keys(s3_source *s)
{
    for (size_t i = 0; i < s->n_keys; i++)
        free(s->keys[i]);
    s->n_keys = s->next_key = 0;
}

/* Forgets entries of keys the listing walked past without seeing (finished by another consumer
 * meanwhile): all unseen ones when the walk reached the end of the listing. */
static void forget_unseen(wc_deferrals *d, const char *last_seen, int complete)
{
    for (size_t i = 0; i < wc_deferrals_count(d);) {
        const char *key = wc_deferrals_key(d, i);
        if (!wc_deferrals_marked(d, key) &&
            (complete || (last_seen && strcmp(key, last_seen) <= 0)))
            wc_deferrals_forget(d, key); /* the entry at i is now another: look again */
        else
            i++;
    }
}

/* Fills the look-ahead with the smallest keys that are ready. */
static wc_result refill(s3_source *s, wc_error *err)
{
    clear_keys(s);
    char *token = NULL, *last_seen = NULL;
    int complete = 0;
    uint64_t now = s->clock->now_ms(s->clock);
    wc_result result = WC_OK;
    wc_deferrals_unmark_all(s->deferrals);
    wc_deferrals_unmark_all(s->foreign);
    for (int page = 0; page < MAX_PAGES_PER_POLL && s->n_keys == 0; page++) {
        wc_s3_listing l;
        wc_aws_error aerr;
        result =
            wc_s3_list(&s->requests, s->prefix, "/", NULL, token, s->look_ahead, &l, &aerr, err);
        free(token);
        token = NULL;
        if (result != WC_OK) {
            wc_error_prefix(err, "listing request bucket \"%s\": ", s->requests.bucket);
            break;
        }
        for (size_t i = 0; i < l.n; i++) {
            wc_deferrals_mark(s->deferrals, l.keys[i]);
            wc_deferrals_mark(s->foreign, l.keys[i]);
        }
        if (l.n > 0) {
            free(last_seen);
            last_seen = strdup(l.keys[l.n - 1]);
        }
        complete = !l.truncated;
        for (size_t i = 0; i < l.n && s->n_keys < MAX_LOOK_AHEAD; i++) {
            if (wc_deferrals_waiting(s->deferrals, l.keys[i], now) ||
                wc_deferrals_attempts(s->in_hand, l.keys[i]) ||
                wc_deferrals_attempts(s->foreign, l.keys[i]))
                continue;
            s->keys[s->n_keys++] = l.keys[i];
            l.keys[i] = NULL;
        }
        if (l.truncated && l.next_token) {
            token = l.next_token;
            l.next_token = NULL;
        }
        wc_s3_listing_cleanup(&l);
        if (!token)
            break;
    }
    if (result == WC_OK) {
        forget_unseen(s->deferrals, last_seen, complete);
        forget_unseen(s->foreign, last_seen, complete);
    }
    free(last_seen);
    free(token);
    return result;
}

static wc_result s3_receive(void *self, wc_message *msg, int may_wait, wc_error *err)
{
    s3_source *s = self;
    memset(msg, 0, sizeof(*msg));
    for (int refilled = 0;;) {
        if (s->next_key == s->n_keys) {
            if (refilled) /* every listed key went to another consumer, or is another shard's */
                return WC_WAIT; /* not an empty poll: the next call lists again */
            wc_result result = refill(s, err);
            if (result != WC_OK)
                return result;
            refilled = 1;
            if (s->n_keys == 0)
                return wc_deferrals_count(s->deferrals) ? WC_WAIT : WC_EMPTY;
        }
        char *key = s->keys[s->next_key];
        s->keys[s->next_key++] = NULL;
        wc_http_response resp;
        wc_aws_error aerr;
        wc_error get_err;
        wc_result result = wc_s3_get(&s->requests, key, s->max_body, &resp, &aerr, &get_err);
        if (result == WC_ERR_NOT_FOUND) { /* gone meanwhile: another consumer took it */
            free(key);
            continue;
        }
        msg->key = key;
        msg->attempts = wc_deferrals_attempts(s->deferrals, key);
        if (wc_deferrals_defer(s->in_hand, key, 1, 0) != WC_OK) {
            wc_message_cleanup(msg);
            if (result == WC_OK)
                wc_http_response_cleanup(&resp);
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        }
        if (result == WC_ERR_TOO_LARGE) {
            msg->too_large = 1;
            msg->len_at_least = 1;
            msg->len = s->max_body + 1;
            return WC_OK;
        }
        if (result != WC_OK) {
            wc_message_cleanup(msg);
            return wc_error_set(err, result, "GetObject of %s: %s", key, get_err.msg);
        }
        msg->body = resp.body;
        msg->len = resp.len;
        resp.body = NULL;
        wc_http_response_cleanup(&resp);
        if (!wc_shard_owns(&s->shard, key, msg->body, msg->len)) {
            /* Another consumer's widget: leave it, and do not read it again. */
            wc_deferrals_forget(s->in_hand, key);
            wc_deferrals_defer(s->foreign, key, 1, UINT64_MAX);
            wc_message_cleanup(msg);
            continue;
        }
        return WC_OK;
    }
}

static wc_result s3_ack(void *self, wc_message *msg, wc_error *err)
{
    s3_source *s = self;
    wc_aws_error aerr;
    wc_deferrals_forget(s->deferrals, msg->key);
    wc_deferrals_forget(s->in_hand, msg->key);
    return wc_s3_delete(&s->requests, msg->key, &aerr, err);
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

static wc_result s3_release(void *self, wc_message *msg, wc_error *err)
{
    s3_source *s = self;
    wc_deferrals_forget(s->in_hand, msg->key);
    return WC_OK; /* nothing was taken: the object is still in the bucket */
}

/* An HTTP header value: printable ASCII only, at most 1,024 bytes. */
static void header_safe(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)in; *c && o + 1 < cap; c++)
        out[o++] = (*c >= 0x20 && *c < 0x7f) ? (char)*c : '?';
    out[o] = '\0';
}

static wc_result s3_dead_letter(void *self, wc_message *msg, const char *reason, wc_error *err)
{
    s3_source *s = self;
    wc_deferrals_forget(s->in_hand, msg->key);
    char safe[1025];
    header_safe(reason, safe, sizeof(safe));
    size_t len = strlen(s->dead_prefix) + strlen(msg->key) + 1;
    char *target = malloc(len);
    if (!target)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    snprintf(target, len, "%s%s", s->dead_prefix, msg->key);
    wc_param meta = {"reason", safe};
    wc_aws_error aerr;
    /* Copy first, delete after: a failure in between leaves the request in place, never lost. */
    wc_result result =
        wc_s3_copy(&s->dead, s->requests.bucket, msg->key, target, &meta, 1, &aerr, err);
    if (result == WC_OK)
        result = wc_s3_delete(&s->requests, msg->key, &aerr, err);
    if (result == WC_OK)
        wc_deferrals_forget(s->deferrals, msg->key);
    else
        wc_error_prefix(err, "dead-lettering %s to %s/%s: ", msg->key, s->dead.bucket, target);
    free(target);
    return result;
}

static void s3_destroy(void *self)
{
    s3_source *s = self;
    if (!s)
        return;
    clear_keys(s);
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
    .dead_letter = s3_dead_letter,
    .release = s3_release,
    .destroy = s3_destroy,
};

wc_result wc_s3_source_open(const wc_s3_source_config *c, wc_source *out, wc_error *err)
{
    s3_source *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->prefix = strdup(c->prefix ? c->prefix : "");
    s->dead_prefix = strdup(c->dead_letter_prefix ? c->dead_letter_prefix : "dead-letter/");
    s->max_body = c->max_body;
    s->look_ahead = c->look_ahead > 0 && c->look_ahead <= MAX_LOOK_AHEAD ? c->look_ahead : 10;
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
