/* store.h - where widgets live: the Processor's side of the consumer.
 *
 * A store is a table of functions plus the backend's state. The directory store (dir_store.c)
 * fills it today; S3 and DynamoDB come next. The rules of what a create, update or delete does
 * are in core/widget.h; a store only keeps widgets.
 */
#ifndef WC_STORE_H
#define WC_STORE_H

#include "common/error.h"
#include "core/request.h"
#include "core/widget.h"

/* Called by scan() for every widget: its key in the store and the widget, or NULL and why it
 * could not be read. The widget is the store's: copy what you keep. */
typedef void (*wc_store_visit)(void *ctx, const char *key, const wc_widget *w, const char *why);

/* Called once when an asynchronous apply ends: WC_OK, WC_ERR_NOT_FOUND (an update or delete
 * whose widget is not there), or a failure with err's words. */
typedef void (*wc_store_done)(void *ctx, wc_result result, const wc_error *err);

typedef struct {
    const char *kind; /* "directory", "s3", "dynamodb" */
    int ordered;      /* whether the store keeps the order of attributes */
    /* Stores a new widget. A widget with this id already there is left as it is and counts as
     * done: a create delivered again must not undo the updates applied since. */
    wc_result (*create)(void *self, const wc_widget *w, wc_error *err);
    /* Applies an update request (wc_widget_apply_update's rules). WC_ERR_NOT_FOUND when the
     * widget is not there. */
    wc_result (*update)(void *self, const wc_request *req, wc_error *err);
    /* Deletes the widget. WC_ERR_NOT_FOUND when it was not there. */
    wc_result (*remove)(void *self, const wc_request *req, wc_error *err);
    /* Optional, for stores on the network: starts applying a valid request (create, update or
     * delete by the rules above) and returns at once; done is called later, from the driver of
     * the transport (wc_aws_run). req must live until then. NULL: the store is synchronous. */
    wc_result (*start)(void *self, const wc_request *req, wc_store_done done, void *ctx,
                       wc_error *err);
    /* Visits every widget in the store (the verifier uses it). */
    wc_result (*scan)(void *self, wc_store_visit visit, void *ctx, wc_error *err);
    void (*destroy)(void *self);
} wc_store_ops;

typedef struct {
    const wc_store_ops *ops;
    void *self;
} wc_store;

/* Destroys the backend state (NULL-safe). */
void wc_store_destroy(wc_store *store);

/* Checks a key prefix such as "widgets/": relative, no "." or ".." parts, no empty parts. */
wc_result wc_store_check_prefix(const char *prefix, wc_error *err);

#endif
