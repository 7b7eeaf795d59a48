#include "stores/s3_store.h"

#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"

#include <openssl/evp.h>
#include <stdio.h>

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
            if (strncmp(l.keys[i], WC_S3_TOMBSTONES, strlen(WC_S3_TOMBSTONES)) == 0)
                continue; /* a deleted widget remembered (an empty prefix lists them too) */
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

/* --- exact order: the ledger in the object's metadata, tombstones beside the widgets --- */

/* What S3 allows of user metadata in all, less room for the name. */
#define MAX_META_BYTES 1900

/* One load or save, a small state machine:
 *   load: GET widget -> (NoSuchKey) GET tombstone
 *   save: PUT widget with its ledger, If-Match the ETag read (If-None-Match: * when no widget
 *         was read); or, for a delete, PUT tombstone -> DELETE widget */
typedef struct {
    s3_store *s;
    const wc_request *req;
    char *key, *tomb_key;
    char *body, *meta; /* what a PUT sends */
    char *cond_name, *cond_value;
    int step;
    wc_store_loaded loaded;
    wc_store_done done;
    void *ctx;
    wc_stored stored;
    struct got { /* a load's GETs: the widget, the tombstone */
        int done;
        wc_result result;
        wc_error err;
        wc_http_response resp;
    } w, t;
    int both; /* a create's load: both GETs at once (most creates find neither) */
} xop;

enum { X_PUT, X_PUT_TOMBSTONE, X_DELETE };

static void xop_free(xop *o)
{
    free(o->key);
    free(o->tomb_key);
    free(o->body);
    free(o->meta);
    free(o->cond_name);
    free(o->cond_value);
    wc_stored_cleanup(&o->stored);
    wc_http_response_cleanup(&o->w.resp);
    wc_http_response_cleanup(&o->t.resp);
    free(o);
}

static xop *xop_new(s3_store *s, const wc_request *req, void *ctx)
{
    xop *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->s = s;
    o->req = req;
    o->ctx = ctx;
    o->key = wc_widget_key(s->prefix, req->owner, req->widget_id);
    size_t len = o->key ? strlen(WC_S3_TOMBSTONES) + strlen(o->key) + 1 : 0;
    o->tomb_key = len ? malloc(len) : NULL;
    if (!o->tomb_key) {
        xop_free(o);
        return NULL;
    }
    snprintf(o->tomb_key, len, "%s%s", WC_S3_TOMBSTONES, o->key);
    return o;
}

static void xop_next(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                     const wc_error *err);

static wc_result xop_send(xop *o, int step, wc_error *err)
{
    o->step = step;
    int put = step == X_PUT || step == X_PUT_TOMBSTONE;
    wc_param headers[3];
    size_t n = 0;
    if (put)
        headers[n++] = (wc_param){"Content-Type", "application/json"};
    if (step == X_PUT) {
        headers[n++] = (wc_param){"x-amz-meta-" WC_S3_LEDGER_META, o->meta};
        headers[n++] = (wc_param){o->cond_name, o->cond_value};
    }
    const char *method = put ? "PUT" : "DELETE";
    const char *key = step == X_PUT_TOMBSTONE ? o->tomb_key : o->key;
    return wc_s3_start(&o->s->bucket, method, key, headers, n, put ? o->body : NULL,
                       put ? strlen(o->body) : 0, MAX_WIDGET_BYTES, xop_next, o, err);
}

/* "w:ETAG" or "t:ETAG": which object was read, and its ETag. NULL: out of memory. */
static char *version_of(char kind, const char *etag)
{
    size_t len = (etag ? strlen(etag) : 0) + 3;
    char *v = malloc(len);
    if (v)
        snprintf(v, len, "%c:%s", kind, etag ? etag : "");
    return v;
}

static wc_result read_meta_ledger(const char *key, const char *meta, wc_ledger **out, wc_error *err)
{
    size_t len = strlen(meta);
    unsigned char *json = malloc(len / 4 * 3 + 4);
    if (!json)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    int n = len % 4 == 0 ? EVP_DecodeBlock(json, (const unsigned char *)meta, (int)len) : -1;
    for (size_t i = len; n > 0 && i > 0 && meta[i - 1] == '='; i--)
        n--; /* DecodeBlock counts the padding */
    wc_result result =
        n < 0 ? wc_error_set(err, WC_ERR_PARSE, "%s: its ledger metadata is not base64", key)
              : wc_ledger_from_json(key, (const char *)json, (size_t)n, out, err);
    free(json);
    return result;
}

/* The end of a load: what was read goes to the engine. */
static void xop_loaded(xop *o, wc_result result, const wc_error *err)
{
    o->loaded(o->ctx, result, result == WC_OK ? &o->stored : NULL, err);
    xop_free(o);
}

static void xop_next(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                     const wc_error *err)
{
    xop *o = ctx;
    wc_error e = *err;
    if (resp)
        wc_http_response_cleanup(resp);
    if (o->step == X_PUT_TOMBSTONE && result == WC_OK) {
        if ((result = xop_send(o, X_DELETE, &e)) == WC_OK)
            return;
    }
    if (o->step == X_PUT && result == WC_ERR_NOT_FOUND) /* If-Match on a widget gone meanwhile */
        result = wc_error_set(&e, WC_ERR_CONFLICT, "widget %s changed since it was read",
                              o->req->widget_id);
    wc_store_done done = o->done;
    void *done_ctx = o->ctx;
    xop_free(o);
    done(done_ctx, result, &e);
}

/* What the GETs found: the widget with the ledger in its metadata; else the tombstone's ledger;
 * else nothing at all. */
static void load_decide(xop *o)
{
    wc_error e;
    wc_error_clear(&e);
    wc_result result = o->w.result;
    if (result == WC_OK) {
        wc_http_response *r = &o->w.resp;
        const char *meta = wc_http_response_meta(r, WC_S3_LEDGER_META);
        result = wc_widget_from_json(o->key, r->body, r->len, &o->stored.widget, &e);
        if (result == WC_OK && meta)
            result = read_meta_ledger(o->key, meta, &o->stored.ledger, &e);
        if (result == WC_OK && !(o->stored.version = version_of('w', r->etag)))
            result = wc_error_set(&e, WC_ERR_NOMEM, "out of memory");
    } else if (result == WC_ERR_NOT_FOUND) {
        wc_http_response *r = &o->t.resp;
        result = o->t.result;
        if (result == WC_OK) {
            result = wc_ledger_from_json(o->tomb_key, r->body, r->len, &o->stored.ledger, &e);
            if (result == WC_OK && !(o->stored.version = version_of('t', r->etag)))
                result = wc_error_set(&e, WC_ERR_NOMEM, "out of memory");
        } else if (result == WC_ERR_NOT_FOUND) {
            result = WC_OK; /* nothing stored at all */
        } else {
            e = o->t.err;
        }
    } else {
        e = o->w.err;
    }
    xop_loaded(o, result, &e);
}

static void got(struct got *g, wc_result result, wc_http_response *resp, const wc_error *err)
{
    g->done = 1;
    g->result = result;
    g->err = *err;
    if (resp) {
        g->resp = *resp; /* ours now */
        memset(resp, 0, sizeof(*resp));
    }
}

static void got_tombstone(void *ctx, wc_result result, wc_http_response *resp,
                          const wc_aws_error *aerr, const wc_error *err)
{
    xop *o = ctx;
    got(&o->t, result, resp, err);
    if (o->w.done)
        load_decide(o);
}

static wc_result get_tombstone(xop *o, wc_error *err)
{
    return wc_s3_start(&o->s->bucket, "GET", o->tomb_key, NULL, 0, NULL, 0, MAX_WIDGET_BYTES,
                       got_tombstone, o, err);
}

static void got_widget(void *ctx, wc_result result, wc_http_response *resp,
                       const wc_aws_error *aerr, const wc_error *err)
{
    xop *o = ctx;
    got(&o->w, result, resp, err);
    if (o->both) {
        if (o->t.done)
            load_decide(o);
        return;
    }
    wc_error e;
    if (result == WC_ERR_NOT_FOUND && get_tombstone(o, &e) != WC_OK) /* no widget: a tombstone? */
        got(&o->t, e.code ? e.code : WC_ERR_IO, NULL, &e);
    else if (result == WC_ERR_NOT_FOUND)
        return;
    load_decide(o);
}

static wc_result s3_load(void *self, const wc_request *req, wc_store_loaded loaded, void *ctx,
                         wc_error *err)
{
    xop *o = xop_new(self, req, ctx);
    if (!o)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    o->loaded = loaded;
    o->both = req->type == WC_REQ_CREATE;
    wc_result result = wc_s3_start(&o->s->bucket, "GET", o->key, NULL, 0, NULL, 0, MAX_WIDGET_BYTES,
                                   got_widget, o, err);
    if (result != WC_OK) {
        xop_free(o);
        return result;
    }
    if (o->both && get_tombstone(o, &o->t.err) != WC_OK) {
        o->t.done = 1; /* the widget's GET decides when it ends */
        o->t.result = o->t.err.code ? o->t.err.code : WC_ERR_IO;
    }
    return WC_OK;
}

/* The ledger as S3 metadata: base64 of its JSON (any attribute name survives a header). */
static char *meta_of(const wc_ledger *l)
{
    char *json = wc_ledger_to_json(l);
    size_t len = json ? strlen(json) : 0;
    char *meta = json ? malloc(4 * ((len + 2) / 3) + 1) : NULL;
    if (meta)
        EVP_EncodeBlock((unsigned char *)meta, (const unsigned char *)json, (int)len);
    free(json);
    return meta;
}

static wc_result s3_save(void *self, const wc_request *req, const wc_stored *base,
                         const wc_widget *w, const wc_ledger *l, wc_store_done done, void *ctx,
                         wc_error *err)
{
    xop *o = xop_new(self, req, ctx);
    if (!o)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    o->done = done;
    int widget_read = base->version && base->version[0] == 'w';
    wc_result result = WC_OK;
    if (w) {
        o->body = wc_widget_to_json(w);
        o->meta = meta_of(l);
        o->cond_name = strdup(widget_read ? "If-Match" : "If-None-Match");
        o->cond_value = strdup(widget_read ? base->version + 2 : "*");
        if (!o->body || !o->meta || !o->cond_name || !o->cond_value)
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        else if (strlen(o->meta) > MAX_META_BYTES)
            result = wc_error_set(err, WC_ERR_REJECTED,
                                  "widget %s: its ledger (%zu bytes as metadata) is over what S3 "
                                  "keeps of an object's metadata (2 KB)",
                                  req->widget_id, strlen(o->meta));
        else
            result = xop_send(o, X_PUT, err);
    } else {
        o->body = wc_ledger_to_json(l);
        result = o->body ? xop_send(o, X_PUT_TOMBSTONE, err)
                         : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (result != WC_OK)
        xop_free(o);
    return result;
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
    .load = s3_load,
    .save = s3_save,
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
