#include "stores/s3_store.h"

#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"

#define MAX_WIDGET_BYTES (4u << 20)

typedef struct {
    wc_s3_bucket bucket;
    char *prefix;
} s3_store;

static wc_result put_widget(s3_store *s, const wc_widget *w, wc_error *err)
{
    char *key = wc_widget_key(s->prefix, w->owner, w->id);
    char *json = key ? wc_widget_to_json(w) : NULL;
    wc_result result;
    if (!json) {
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else {
        wc_aws_error aerr;
        result = wc_s3_put(&s->bucket, key, json, strlen(json), "application/json", NULL, 0,
                           &aerr, err);
    }
    free(json);
    free(key);
    return result;
}

static wc_result s3_create(void *self, const wc_widget *w, wc_error *err)
{
    return put_widget(self, w, err);
}

static wc_result s3_update(void *self, const wc_request *req, wc_error *err)
{
    s3_store *s = self;
    char *key = wc_widget_key(s->prefix, req->owner, req->widget_id);
    if (!key)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_http_response resp;
    wc_aws_error aerr;
    wc_widget *w = NULL;
    wc_result result = wc_s3_get(&s->bucket, key, MAX_WIDGET_BYTES, &resp, &aerr, err);
    if (result == WC_ERR_NOT_FOUND)
        wc_error_set(err, result, "widget %s (owner \"%s\") not found", req->widget_id,
                     req->owner);
    if (result == WC_OK) {
        result = wc_widget_from_json(key, resp.body, resp.len, &w, err);
        wc_http_response_cleanup(&resp);
    }
    if (result == WC_OK && wc_widget_apply_update(w, req) != WC_OK)
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK)
        result = put_widget(s, w, err);
    wc_widget_free(w);
    free(key);
    return result;
}

static wc_result s3_remove(void *self, const wc_request *req, wc_error *err)
{
    s3_store *s = self;
    char *key = wc_widget_key(s->prefix, req->owner, req->widget_id);
    if (!key)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_aws_error aerr;
    /* S3 deletes answer 204 either way: ask first, so a missing widget can be warned about. */
    wc_result result = wc_s3_head(&s->bucket, key, &aerr, err);
    if (result == WC_ERR_NOT_FOUND)
        wc_error_set(err, result, "widget %s (owner \"%s\") not found", req->widget_id,
                     req->owner);
    if (result == WC_OK)
        result = wc_s3_delete(&s->bucket, key, &aerr, err);
    free(key);
    return result;
}

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
