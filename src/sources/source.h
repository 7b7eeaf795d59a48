/* source.h - where Widget Requests come from: the Retriever's side of the consumer.
 *
 * A source is a table of functions plus the backend's state; sqs_source.c, s3_source.c and
 * dir_source.c fill it. The poller only ever talks to this interface, and no function of it ever
 * waits on the network: a source on AWS keeps its calls in flight on the event loop (receives
 * ahead of need, deletes and visibility changes in batches) and says when it has news.
 *
 * The life of one message: receive() hands it out (claimed: no other consumer gets it), then
 * exactly one of ack(), defer(), dead_letter(), release() or forget() ends it. Each of those takes
 * over the backend's handle whatever its result (the handle is the source's alone: nobody else
 * frees it); the caller then calls wc_message_cleanup(). ack,
 * defer and release may finish later on the loop: a failure then is logged by the source and
 * never loses the request (it stays in, or comes back to, the source).
 */
#ifndef WC_SOURCE_H
#define WC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct json_t; /* jansson's */

typedef struct {
    char *key;         /* the request's name in its source: file name, S3 key, message id */
    char *body;        /* NUL-terminated; NULL when the body was over the size cap and the
                          source did not have to read it whole (SQS always has it) */
    size_t len;        /* body length, or its real size when over the cap */
    int too_large;     /* the body was over the cap: it was not read, only its size is known */
    int len_at_least;  /* with too_large: len is only how much was seen, not the whole size */
    unsigned attempts; /* how many times it was deferred before (0 the first time) */
    void *handle;      /* the backend's own: a claimed path, a receipt handle */
    char *place;       /* its place in production order (core/ledger.h): the S3 key, the file
                          name, the producer's sequence or SentTimestamp; NULL when the source
                          could not tell (why: place_why) */
    char *place_why;   /* NULL, or why the message has no valid place */
    char *reject_why;  /* NULL, or why the source cannot hand it over as a request (its file
                          name cannot be claimed): the consumer dead-letters it with this */
    /* The body as parsed by wc_message_doc, owned; NULL until then, or when the body is not
     * JSON (doc_tried). Whoever changes body drops it (wc_message_drop_doc). */
    struct json_t *doc;
    int doc_tried;
} wc_message;

/* Called when a dead-lettering ends: WC_OK (moved), WC_ERR_BUSY (handed back for the queue's own
 * redrive policy to move), or a failure (the request stays in the source) with err's words. */
typedef void (*wc_source_done)(void *ctx, wc_result result, const wc_error *err);

/* Called from the loop when the source has news for receive(): messages came, a look came back
 * empty, or a fetch failed. */
typedef void (*wc_source_notify)(void *ctx);

/* Who a source on the loop tells when it has news (set by its set_notify). */
typedef struct {
    wc_source_notify fn;
    void *ctx;
} wc_source_notifier;

static inline void wc_source_tell(const wc_source_notifier *n)
{
    if (n->fn)
        n->fn(n->ctx);
}

/* What receive found: only WC_RECEIVE_FAILED is a failure; a wait and an empty look are answers. */
typedef enum {
    WC_RECEIVE_READY, /* *msg filled */
    WC_RECEIVE_WAIT,  /* nothing ready: a fetch is under way (notify follows), or deferred
                         requests will be due (ask again later) */
    WC_RECEIVE_EMPTY, /* a look found nothing: one empty poll (the next call looks again) */
    WC_RECEIVE_FAILED /* a fetch failed: err says why (err->code its wc_result); the caller backs
                         off and asks again */
} wc_receive_status;

typedef struct {
    const char *kind; /* "directory", "s3", "sqs" */
    /* The next request, never waiting. want: how many more the consumer could take now; the
     * source fetches ahead for that many (0: fetch nothing). */
    wc_receive_status (*receive)(void *self, wc_message *msg, unsigned want, wc_error *err);
    /* The request was applied: remove it from the source for good. */
    wc_result (*ack)(void *self, wc_message *msg, wc_error *err);
    /* Not applicable yet (its widget is not there, or the store is failing): leave it in the
     * source, offer it again no sooner than delay_ms from now, and count the attempt. */
    wc_result (*defer)(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err);
    /* A bad or given-up request: move it to the dead-letter location with the reason. WC_OK: the
     * move is under way and done will be called once (perhaps before this returns). Anything
     * else: it could not start (done is not called) and the request stays in the source. */
    wc_result (*dead_letter)(void *self, wc_message *msg, const char *reason, wc_source_done done,
                             void *ctx, wc_error *err);
    /* Not handled (a shutdown): give it back untouched, at once. */
    wc_result (*release)(void *self, wc_message *msg, wc_error *err);
    /* Optional: the request of key, deferred before (defer), may be offered again now rather than
     * when its delay ends (what it waited for, its widget, was just written). WC_OK: the next
     * receive() may hand it out (it comes after those due already). Anything else: it stays
     * deferred as it was, nothing is done (a source that cannot reach it, such as a message already
     * hidden in a queue). Never waits; O(1) or O(log n). */
    wc_result (*hurry)(void *self, const char *key);
    /* Still in hand when the consumer gives up waiting (the shutdown timeout; the source is
     * destroyed next): drop the handle without any call. The message stays claimed until its
     * visibility timeout or lease runs out, or until the source gives it back, and is delivered
     * again. Optional for a source whose handles are always NULL. */
    void (*forget)(void *self, wc_message *msg);
    /* Optional: who to tell when there is news (a source on the loop). */
    void (*set_notify)(void *self, wc_source_notify notify, void *ctx);
    /* Optional: sends what waits for a batch now, and says how many of the source's own calls
     * (deletes, visibility changes, dead letters) are still under way: the consumer waits for
     * them before it exits. */
    unsigned (*flush)(void *self);
    /* Optional: fetch nothing more (a shutdown): a receive under way is abandoned, and messages
     * that come or came ahead of need are handed back. */
    void (*stop)(void *self);
    void (*destroy)(void *self);
} wc_source_ops;

typedef struct {
    const wc_source_ops *ops;
    void *self;
} wc_source;

/* A receive that failed with `failure`: copied to err (when not NULL; a code of WC_OK becomes
 * WC_ERR_IO). Returns WC_RECEIVE_FAILED. */
wc_receive_status wc_receive_failed(wc_error *err, const wc_error *failure);

/* A receive that failed now: sets err (when not NULL) as wc_error_set does. Returns
 * WC_RECEIVE_FAILED. */
wc_receive_status wc_receive_fail(wc_error *err, wc_result code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short fixed name of a status ("ready", "wait", "empty", "failed"), for logs and tests. */
const char *wc_receive_status_name(wc_receive_status status);

/* Hands a fetched body to msg: *body taken over (set to NULL) with its len, or when it was over
 * the cap (too_large: not read) only that it is larger than max_body. */
void wc_message_take_body(wc_message *msg, char **body, size_t len, int too_large, size_t max_body);

/* Frees the key and body of a message (not its handle: the source's ops do that). */
void wc_message_cleanup(wc_message *msg);

/* The body parsed as JSON (JSON_REJECT_DUPLICATES), once for every reader of the message (an
 * SNS envelope, S3 event notifications, the request): borrowed, valid until the body changes
 * (wc_message_drop_doc) or the message is cleaned up. NULL: no body, over the cap, or not JSON
 * (or no memory): a reader that must say why parses the body itself. */
struct json_t *wc_message_doc(wc_message *msg);

/* Forgets the parsed body (to be called when the body is replaced). */
void wc_message_drop_doc(wc_message *msg);

/* Sets msg->place to a copy of place when it can be one (core/ledger.h), else says in
 * msg->place_why that the source's `what` ("key", "file name", ...) cannot. */
void wc_message_set_place(wc_message *msg, const char *place, const char *what);

/* The same for a place that must start with 13-digit epoch milliseconds (an S3 key after the
 * request prefix, a file name): anything else, such as "zz...", would outrank every real write
 * for ever, so it gets no place (place_why says why) and is dead-lettered. */
void wc_message_set_place_epoch_ms(wc_message *msg, const char *place, const char *what);

/* Ends a message with the source's forget (see wc_source_ops): the handle is dropped, no call. */
void wc_source_forget(wc_source *source, wc_message *msg);

/* Destroys the backend state (NULL-safe). */
void wc_source_destroy(wc_source *source);

#endif
