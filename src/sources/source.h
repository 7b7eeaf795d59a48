/* source.h - where Widget Requests come from: the Retriever's side of the consumer.
 *
 * A source is a table of functions plus the backend's state. The poller only ever talks to this
 * interface; the directory source (dir_source.c) fills it today, S3 and SQS come next.
 *
 * The life of one message: receive() hands it out (claimed: no other consumer gets it), then
 * exactly one of ack(), defer(), dead_letter() or release() ends it. Each of those frees the
 * backend's handle whatever its result; the caller then calls wc_message_cleanup().
 */
#ifndef WC_SOURCE_H
#define WC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct {
    char *key;         /* the request's name in its source: file name, S3 key, message id */
    char *body;        /* NUL-terminated; NULL when the body was over the size cap and the
                          source did not have to read it whole (SQS always has it) */
    size_t len;        /* body length, or its real size when over the cap */
    int too_large;     /* the body was over the cap: it was not read, only its size is known */
    int len_at_least;  /* with too_large: len is only how much was seen, not the whole size */
    unsigned attempts; /* how many times it was deferred before (0 the first time) */
    void *handle;      /* the backend's own: a claimed path, a receipt handle */
} wc_message;

typedef struct {
    const char *kind; /* "directory", "s3", "sqs" */
    /* The next request. WC_OK: *msg filled. WC_EMPTY: nothing there. WC_WAIT: nothing ready,
     * but deferred requests will be (not an empty poll). Anything else: an error in err.
     * may_wait: the consumer is idle, so the source may wait for work (an SQS long poll); when
     * not set it answers at once. */
    wc_result (*receive)(void *self, wc_message *msg, int may_wait, wc_error *err);
    /* The request was applied: remove it from the source for good. */
    wc_result (*ack)(void *self, wc_message *msg, wc_error *err);
    /* Not applicable yet (its widget is not there): leave it in the source, offer it again no
     * sooner than delay_ms from now, and count the attempt. */
    wc_result (*defer)(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err);
    /* A bad or given-up request: move it to the dead-letter location with the reason.
     * WC_ERR_BUSY: handed back for the queue's own redrive policy to move (SQS). */
    wc_result (*dead_letter)(void *self, wc_message *msg, const char *reason, wc_error *err);
    /* Not handled (a transient failure, a shutdown): give it back untouched, at once. */
    wc_result (*release)(void *self, wc_message *msg, wc_error *err);
    void (*destroy)(void *self);
} wc_source_ops;

typedef struct {
    const wc_source_ops *ops;
    void *self;
} wc_source;

/* Frees the key and body of a message (not its handle: the source's ops do that). */
void wc_message_cleanup(wc_message *msg);

/* Destroys the backend state (NULL-safe). */
void wc_source_destroy(wc_source *source);

#endif
