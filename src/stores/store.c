#include "stores/store.h"

#include <stdlib.h>
#include <string.h>

void wc_store_destroy(wc_store *store)
{
    if (store && store->ops)
        store->ops->destroy(store->self);
    if (store) {
        store->ops = NULL;
        store->self = NULL;
    }
}

wc_result wc_store_check_prefix(const char *prefix, wc_error *err)
{
    if (prefix[0] == '/')
        return wc_error_set(err, WC_ERR_INVALID, "widget key prefix \"%s\" must not start with '/'",
                            prefix);
    const char *part = prefix;
    while (*part) {
        const char *slash = strchr(part, '/');
        size_t len = slash ? (size_t)(slash - part) : strlen(part);
        if ((len == 0 && slash) || (len == 1 && part[0] == '.') ||
            (len == 2 && part[0] == '.' && part[1] == '.'))
            return wc_error_set(
                err, WC_ERR_INVALID,
                "widget key prefix \"%s\" must not have empty, \".\" or \"..\" parts", prefix);
        part += len + (slash ? 1 : 0);
    }
    return WC_OK;
}

/* A create's widget lives as long as its call. */
typedef struct {
    wc_widget *w;
    wc_store_done done;
    void *ctx;
} creating;

static void created(void *ctx, wc_result result, const wc_error *err)
{
    creating *c = ctx;
    wc_store_done done = c->done;
    void *done_ctx = c->ctx;
    wc_widget_free(c->w);
    free(c);
    done(done_ctx, result, err);
}

wc_result wc_store_apply(wc_store *store, const wc_request *req, wc_store_done done, void *ctx,
                         wc_error *err)
{
    switch (req->type) {
    case WC_REQ_CREATE: {
        creating *c = malloc(sizeof(*c));
        wc_widget *w = c ? wc_widget_from_create(req) : NULL;
        if (!w) {
            free(c);
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        }
        *c = (creating){w, done, ctx};
        wc_result result = store->ops->create(store->self, req, w, created, c, err);
        if (result != WC_OK) {
            wc_widget_free(w);
            free(c);
        }
        return result;
    }
    case WC_REQ_UPDATE:
        return store->ops->update(store->self, req, done, ctx, err);
    case WC_REQ_DELETE:
        return store->ops->remove(store->self, req, done, ctx, err);
    }
    return wc_error_set(err, WC_ERR_INVALID, "unknown request type");
}

typedef struct {
    int done;
    wc_result result;
    wc_error err;
} waited;

static void wait_done(void *ctx, wc_result result, const wc_error *err)
{
    waited *w = ctx;
    w->result = result;
    if (err)
        w->err = *err;
    w->done = 1;
}

wc_result wc_store_apply_wait(wc_store *store, wc_loop *loop, const wc_request *req, wc_error *err)
{
    waited w;
    memset(&w, 0, sizeof(w));
    wc_result result = wc_store_apply(store, req, wait_done, &w, err);
    if (result != WC_OK)
        return result;
    if (!w.done && loop)
        wc_loop_wait(loop, &w.done);
    if (w.result != WC_OK && err)
        *err = w.err;
    return w.result;
}
