#include "stores/s3_store.h"

#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"

#define MAX_WIDGET_BYTES (4u << 20)

typedef struct {
    wc_s3_bucket bucket;
    char *prefix;
} s3_store;

static wc_result s3_scan(void *self, wc_store_visit visit, void *ctx, wc_error *err)
{
    s3_store *s = self;
    char *token = NULL;
    wc_result result = WC_OK;
    do {
        wc_s3_listing l;
        wc_aws_error aerr;
        result = wc_s3_list(&s->bucket, s->prefix, NULL, NULL, token, 1000, &l, &aerr, err);
        free(token);
        token = NULL;
        if (result != WC_OK)
            break;
        for (size_t i = 0; i < l.n; i++) {
            wc_http_response resp;
            wc_error e;
            wc_widget *w = NULL;
            if (wc_s3_get(&s->bucket, l.keys[i], MAX_WIDGET_BYTES, &resp, &aerr, &e) == WC_OK) {
                wc_widget_from_json(l.keys[i], resp.body, resp.len, &w, &e);
                wc_http_response_cleanup(&resp);
            }
            visit(ctx, l.keys[i], w, w ? NULL : e.msg);
            wc_widget_free(w);
        }
        if (l.truncated && l.next_token) {
            token = l.next_token;
            l.next_token = NULL;
        }
        wc_s3_listing_cleanup(&l);
    } while (token);
    return result;
}

/* One request applied asynchronously: a small state machine over the S3 calls.
 *   create: PUT                         -> done
 *   update: GET -> (apply the rules) -> PUT, with If-Match: the ETag read (S3 refuses the PUT if
 *           another writer changed the widget meanwhile: then read again, up to 3 times)
 *   delete: GET -> DELETE               (GET tells whether the widget was there: NoSuchKey, unlike
 *           a HEAD's bodiless 404, is never confused with a missing bucket) */
typedef struct {
    s3_store *s;
    const wc_request *req;
    char *key;
    char *json;
    char *etag;
    int step, tries;
    wc_store_done done;
    void *ctx;
} op;

static void op_next(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                    const wc_error *err);

static void op_end(op *o, wc_result result, const wc_error *err)
{
    wc_store_done done = o->done;
    void *ctx = o->ctx;
    free(o->key);
    free(o->json);
    free(o->etag);
    free(o);
    done(ctx, result, err);
}

static wc_result op_send(op *o, const char *method, wc_error *err)
{
    wc_param headers[2];
    size_t n = 0;
    if (o->json)
        headers[n++] = (wc_param){"Content-Type", "application/json"};
    if (o->json && o->etag)
        headers[n++] = (wc_param){"If-Match", o->etag};
    else if (o->json && o->req->type == WC_REQ_CREATE)
        headers[n++] = (wc_param){"If-None-Match", "*"};
    return wc_s3_start(&o->s->bucket, method, o->key, headers, n, o->json,
                       o->json ? strlen(o->json) : 0, MAX_WIDGET_BYTES, op_next, o, err);
}

enum { STEP_PUT, STEP_GET, STEP_PROBE, STEP_DELETE };

static void op_next(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                    const wc_error *err)
{
    op *o = ctx;
    wc_error e = *err;
    const wc_request *req = o->req;
    if (result == WC_OK && o->step == STEP_GET) {
        wc_widget *w = NULL;
        result = wc_widget_from_json(o->key, resp->body, resp->len, &w, &e);
        if (result == WC_OK && wc_widget_apply_update(w, req) != WC_OK)
            result = wc_error_set(&e, WC_ERR_NOMEM, "out of memory");
        free(o->etag);
        o->etag = resp->etag ? strdup(resp->etag) : NULL;
        o->json = result == WC_OK ? wc_widget_to_json(w) : NULL;
        wc_widget_free(w);
        wc_http_response_cleanup(resp);
        if (result == WC_OK && !o->json)
            result = wc_error_set(&e, WC_ERR_NOMEM, "out of memory");
        if (result == WC_OK && (result = op_send(o, "PUT", &e)) == WC_OK) {
            o->step = STEP_PUT;
            return;
        }
        op_end(o, result, &e);
        return;
    }
    if (resp)
        wc_http_response_cleanup(resp);
    if (result == WC_ERR_CONFLICT && req->type == WC_REQ_CREATE)
        result = WC_OK; /* the widget is there already: a create delivered again */
    if (result == WC_OK && o->step == STEP_PROBE) {
        if ((result = op_send(o, "DELETE", &e)) == WC_OK) {
            o->step = STEP_DELETE;
            return;
        }
    } else if (result == WC_ERR_CONFLICT && req->type == WC_REQ_UPDATE && ++o->tries < 3) {
        /* Another writer changed the widget between our read and our write: read it again. */
        free(o->json);
        o->json = NULL;
        if ((result = op_send(o, "GET", &e)) == WC_OK) {
            o->step = STEP_GET;
            return;
        }
    } else if (result == WC_ERR_NOT_FOUND) {
        wc_error_set(&e, result, "widget %s (owner \"%s\") not found", req->widget_id, req->owner);
    }
    op_end(o, result, &e);
}

/* Starts the state machine of one request at its first step. */
static wc_result op_begin(s3_store *s, const wc_request *req, const wc_widget *w, int step,
                          wc_store_done done, void *ctx, wc_error *err)
{
    op *o = calloc(1, sizeof(*o));
    if (!o)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    *o = (op){.s = s, .req = req, .step = step, .done = done, .ctx = ctx};
    o->key = wc_widget_key(s->prefix, req->owner, req->widget_id);
    if (w)
        o->json = wc_widget_to_json(w);
    wc_result result =
        o->key && (o->json || !w) ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK)
        result = op_send(o, step == STEP_PUT ? "PUT" : "GET", err);
    if (result != WC_OK) {
        free(o->key);
        free(o->json);
        free(o);
    }
    return result;
}

static wc_result s3_create(void *self, const wc_request *req, const wc_widget *w,
                           wc_store_done done, void *ctx, wc_error *err)
{
    return op_begin(self, req, w, STEP_PUT, done, ctx, err);
}

static wc_result s3_update(void *self, const wc_request *req, wc_store_done done, void *ctx,
                           wc_error *err)
{
    return op_begin(self, req, NULL, STEP_GET, done, ctx, err);
}

static wc_result s3_remove(void *self, const wc_request *req, wc_store_done done, void *ctx,
                           wc_error *err)
{
    return op_begin(self, req, NULL, STEP_PROBE, done, ctx, err);
}

static void s3_destroy(void *self)
{
    s3_store *s = self;
    if (!s)
        return;
    wc_s3_bucket_cleanup(&s->bucket);
    free(s->prefix);
    free(s);
}

static const wc_store_ops s3_store_ops = {
    .kind = "s3",
    .ordered = 1,
    .create = s3_create,
    .update = s3_update,
    .remove = s3_remove,
    .scan = s3_scan,
    .destroy = s3_destroy,
};

wc_result wc_s3_store_open(const wc_s3_store_config *c, wc_store *out, wc_error *err)
{
    wc_result result = wc_store_check_prefix(c->key_prefix, err);
    if (result != WC_OK)
        return result;
    s3_store *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->prefix = strdup(c->key_prefix);
    result = s->prefix ? wc_s3_bucket_init(&s->bucket, c->aws, c->bucket, err)
                       : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK) {
        wc_s3_listing l;
        wc_aws_error aerr;
        wc_error e;
        result = wc_s3_list(&s->bucket, s->prefix, "/", NULL, NULL, 1, &l, &aerr, &e);
        if (result == WC_OK) {
            wc_s3_listing_cleanup(&l);
        } else {
            wc_aws_resource_error(err, result, "widget bucket", c->bucket, &aerr, &e);
        }
    }
    if (result != WC_OK) {
        s3_destroy(s);
        return result;
    }
    out->ops = &s3_store_ops;
    out->self = s;
    return WC_OK;
}
