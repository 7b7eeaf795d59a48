#include "stores/dynamodb_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "core/item.h"
#include "stores/memo.h"

/* The items this consumer last read or wrote, by widget id (memo.h, as compact JSON: a parsed
 * item costs several times its text): an update or delete of a widget remembered is applied to
 * the remembered item and written on the condition that the version is still the remembered one
 * (one PutItem or DeleteItem instead of GetItem + the write). The version (wc:version) goes up
 * by one at every write, in either order, so the condition holding proves the item is exactly
 * the remembered one;
 * when it fails the entry is forgotten and the engine reads the item (store.c). */

typedef struct {
    wc_aws *aws;
    char *table;
    char *key_name;
    char *prefix;
    uint64_t tombstone_ttl_s;
    wc_memo *memo; /* NULL: none */
} dynamo_store;

/* Remembers item as the widget id's; best effort. An item without a version (written before
 * ledgers) is not remembered: its save's condition could not tell a change since. */
static void cache_put(dynamo_store *s, const char *id, json_t *item)
{
    char *text =
        s->memo && json_object_get(item, WC_ITEM_VERSION) ? json_dumps(item, JSON_COMPACT) : NULL;
    wc_memo_put(s->memo, id, "", text, NULL);
    free(text);
}

static json_t *key_of(dynamo_store *s, const char *id)
{
    return json_pack("{s:{s:s}}", s->key_name, "S", id);
}

/* --- load and save: the item (with its ledger in exact order), written on its version --- */

typedef struct {
    dynamo_store *s;
    const wc_request *req;
    wc_store_loaded loaded;
    wc_store_done done;
    void *ctx;
    char *item_text; /* a save's item as its PutItem wrote it, remembered once written (ours) */
} exact_call;

static exact_call *exact_call_new(dynamo_store *s, const wc_request *req, void *ctx)
{
    exact_call *c = calloc(1, sizeof(*c));
    if (c) {
        c->s = s;
        c->req = req;
        c->ctx = ctx;
    }
    return c;
}

/* What an item holds: the widget (none on a tombstone: it has no owner), its ledger, version. */
static wc_result read_item(dynamo_store *s, json_t *item, wc_stored *out, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!item)
        return WC_OK;
    const char *id = json_string_value(json_object_get(json_object_get(item, s->key_name), "S"));
    const char *version =
        json_string_value(json_object_get(json_object_get(item, WC_ITEM_VERSION), "N"));
    const char *ledger =
        json_string_value(json_object_get(json_object_get(item, WC_ITEM_LEDGER), "S"));
    wc_result result = WC_OK;
    if (ledger)
        result = wc_ledger_from_json(id ? id : "?", ledger, strlen(ledger), &out->ledger, err);
    if (result == WC_OK && wc_item_is_widget(item))
        result = wc_item_to_widget(item, s->key_name, &out->widget, err);
    if (result == WC_OK && !(out->version = strdup(version ? version : "legacy")))
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_ERR_INVALID)
        result = WC_ERR_PARSE; /* a stored item we cannot read: a refusal of this request */
    if (result != WC_OK)
        wc_stored_cleanup(out);
    return result;
}

static void loaded_item(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                        const wc_error *err)
{
    exact_call *c = ctx;
    wc_stored stored;
    wc_error e = *err;
    json_t *item = json_object_get(answer, "Item");
    if (result == WC_OK)
        result = read_item(c->s, item, &stored, &e);
    if (result == WC_OK && item)
        cache_put(c->s, c->req->widget_id, item);
    c->loaded(c->ctx, result, result == WC_OK ? &stored : NULL, &e);
    free(c);
}

/* A remembered item (cache_put, saved_item): its compact JSON. */
static wc_result read_remembered(void *self, const char *key, const char *version, const char *text,
                                 const char *b, wc_stored *out, wc_error *err)
{
    (void)key;
    (void)version;
    (void)b;
    json_t *item = json_loads(text, 0, NULL);
    wc_result result = item ? read_item(self, item, out, err) : WC_ERR_PARSE;
    json_decref(item);
    return result;
}

static int dynamo_recall(void *self, const wc_request *req, wc_stored *out)
{
    return wc_memo_recall(((dynamo_store *)self)->memo, req->widget_id, read_remembered, self, out);
}

static wc_result dynamo_load(void *self, const wc_request *req, wc_store_loaded loaded, void *ctx,
                             wc_error *err)
{
    dynamo_store *s = self;
    exact_call *c = exact_call_new(s, req, ctx);
    json_t *body = c ? json_pack("{s:s, s:o, s:b}", "TableName", s->table, "Key",
                                 key_of(s, req->widget_id), "ConsistentRead", 1)
                     : NULL;
    if (!body) {
        free(c);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    c->loaded = loaded;
    wc_result result = wc_aws_json_start(s->aws, "dynamodb", "DynamoDB_20120810.GetItem", body,
                                         loaded_item, c, NULL, err);
    if (result != WC_OK)
        free(c);
    return result;
}

static void saved_item(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                       const wc_error *err)
{
    exact_call *c = ctx;
    /* Written: the item is what the table holds now (none after a DeleteItem). Else
     * (ConditionalCheckFailed is WC_ERR_CONFLICT: read again; an outage may or may not have
     * written) forgotten. */
    wc_memo_put(c->s->memo, c->req->widget_id, "", result == WC_OK ? c->item_text : NULL, NULL);
    free(c->item_text);
    c->done(c->ctx, result, err);
    free(c);
}

/* The condition that the item is still the one base was read as: none (a NULL version), one
 * written before versions ("legacy"), or its version. Adds it to body; 0: out of memory. */
static int add_condition(dynamo_store *s, json_t *body, const wc_stored *base)
{
    json_t *cond;
    if (!base->version)
        cond = json_pack("{s:s, s:{s:s}}", "ConditionExpression", "attribute_not_exists(#k)",
                         "ExpressionAttributeNames", "#k", s->key_name);
    else if (strcmp(base->version, "legacy") == 0)
        cond = json_pack("{s:s, s:{s:s, s:s}}", "ConditionExpression",
                         "attribute_exists(#k) AND attribute_not_exists(#v)",
                         "ExpressionAttributeNames", "#k", s->key_name, "#v", WC_ITEM_VERSION);
    else
        cond = json_pack("{s:s, s:{s:s}, s:{s:{s:s}}}", "ConditionExpression", "#v = :v",
                         "ExpressionAttributeNames", "#v", WC_ITEM_VERSION,
                         "ExpressionAttributeValues", ":v", "N", base->version);
    int ok = cond && body && json_object_update(body, cond) == 0;
    json_decref(cond);
    return ok;
}

/* PutItem of the widget (with its ledger, or alone in classic order) or of its tombstone, with
 * the next version; or (classic order, neither) DeleteItem. On the condition that the item is
 * still the one loaded. */
static wc_result dynamo_save(void *self, const wc_request *req, const wc_stored *base,
                             const wc_widget *w, const wc_ledger *l, wc_store_done done, void *ctx,
                             wc_error *err)
{
    dynamo_store *s = self;
    unsigned long long next = base->version && strcmp(base->version, "legacy") != 0
                                  ? strtoull(base->version, NULL, 10) + 1
                                  : 1;
    char version[24], expires[24];
    snprintf(version, sizeof(version), "%llu", next);
    snprintf(expires, sizeof(expires), "%llu",
             (unsigned long long)wc_clock_epoch_s(wc_loop_clock(wc_aws_loop(s->aws))) +
                 s->tombstone_ttl_s);
    char *ledger = l ? wc_ledger_to_json(l) : NULL;
    json_t *item = w ? wc_item_from_widget(w, s->key_name) : l ? json_object() : NULL;
    exact_call *c = exact_call_new(s, req, ctx);
    json_t *body = NULL;
    char *item_text = NULL; /* the PutItem's item, written once: the request's and the memory's */
    const char *action = item ? "DynamoDB_20120810.PutItem" : "DynamoDB_20120810.DeleteItem";
    if (c && (w || l ? item && (ledger || !l) : 1)) {
        if (!item) {
            body = json_pack("{s:s, s:o}", "TableName", s->table, "Key", key_of(s, req->widget_id));
        } else {
            if (!w)
                json_object_set_new(item, s->key_name, json_pack("{s:s}", "S", req->widget_id));
            if (l)
                json_object_set_new(item, WC_ITEM_LEDGER, json_pack("{s:s}", "S", ledger));
            json_object_set_new(item, WC_ITEM_VERSION, json_pack("{s:s}", "N", version));
            if (!w)
                json_object_set_new(item, WC_ITEM_EXPIRES, json_pack("{s:s}", "N", expires));
            item_text = json_dumps(item, JSON_COMPACT);
            body = item_text ? json_pack("{s:s}", "TableName", s->table) : NULL;
        }
        if (!add_condition(s, body, base)) {
            json_decref(body);
            body = NULL;
        }
    }
    free(ledger);
    json_decref(item);
    if (!body) {
        free(item_text);
        free(c);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    c->item_text = item_text; /* ours now (NULL: a delete, nothing to remember) */
    c->done = done;
    wc_result result =
        item_text ? wc_aws_json_start_with(s->aws, "dynamodb", action, body, "Item", item_text,
                                           saved_item, c, err)
                  : wc_aws_json_start(s->aws, "dynamodb", action, body, saved_item, c, NULL, err);
    if (result != WC_OK) {
        wc_memo_forget(s->memo, req->widget_id);
        free(c->item_text);
        free(c);
    }
    return result;
}

static void dynamo_forget(void *self, const wc_request *req)
{
    wc_memo_forget(((dynamo_store *)self)->memo, req->widget_id);
}

static wc_result dynamo_scan(void *self, wc_store_visit visit, void *ctx, wc_error *err)
{
    dynamo_store *s = self;
    json_t *start = NULL;
    wc_result result;
    do {
        json_t *body = json_pack("{s:s}", "TableName", s->table);
        if (body && start)
            json_object_set(body, "ExclusiveStartKey", start);
        json_decref(start);
        start = NULL;
        json_t *answer = NULL;
        wc_aws_error aerr;
        result =
            wc_aws_json(s->aws, "dynamodb", "DynamoDB_20120810.Scan", body, &answer, &aerr, err);
        if (result != WC_OK)
            break;
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(answer, "Items"), i, item)
        {
            wc_widget *w = NULL;
            wc_error e;
            if (!wc_item_is_widget(item))
                continue; /* docs/guarantees.md's rule: no owner, no widget (a tombstone, say) */
            const char *id =
                json_string_value(json_object_get(json_object_get(item, s->key_name), "S"));
            wc_item_to_widget(item, s->key_name, &w, &e);
            char *key = w ? wc_widget_key(s->prefix, w->owner, w->id) : NULL;
            visit(ctx, key ? key : (id ? id : "?"), w, w ? NULL : e.msg);
            free(key);
            wc_widget_free(w);
        }
        start = json_incref(json_object_get(answer, "LastEvaluatedKey"));
        json_decref(answer);
    } while (start);
    return result;
}

static void dynamo_destroy(void *self)
{
    dynamo_store *s = self;
    if (!s)
        return;
    wc_memo_free(s->memo, "dynamodb", "table");
    free(s->table);
    free(s->key_name);
    free(s->prefix);
    free(s);
}

static const wc_store_ops dynamo_store_ops = {
    .kind = "dynamodb",
    .ordered = 0,
    .load = dynamo_load,
    .save = dynamo_save,
    .blind_create = 1,
    .recall = dynamo_recall,
    .forget = dynamo_forget,
    .scan = dynamo_scan,
    .destroy = dynamo_destroy,
};

/* DescribeTable: the table exists, and its partition key is the one we write. */
static wc_result check_table(dynamo_store *s, wc_error *err)
{
    json_t *answer = NULL;
    wc_aws_error aerr;
    wc_error e;
    wc_result result = wc_aws_json(s->aws, "dynamodb", "DynamoDB_20120810.DescribeTable",
                                   json_pack("{s:s}", "TableName", s->table), &answer, &aerr, &e);
    if (result != WC_OK)
        return wc_aws_resource_error(err, result, "widget table", s->table, &aerr, &e);
    size_t i;
    json_t *k;
    const char *hash = NULL;
    json_array_foreach(json_object_get(json_object_get(answer, "Table"), "KeySchema"), i, k)
    {
        const char *type = json_string_value(json_object_get(k, "KeyType"));
        if (type && strcmp(type, "HASH") == 0)
            hash = json_string_value(json_object_get(k, "AttributeName"));
    }
    if (hash && strcmp(hash, s->key_name) != 0)
        result = wc_error_set(err, WC_ERR_INVALID,
                              "widget table \"%s\": its partition key is \"%s\", not \"%s\" (use "
                              "--dynamodb-key %s)",
                              s->table, hash, s->key_name, hash);
    json_decref(answer);
    return result;
}

wc_result wc_dynamodb_store_open(const wc_dynamodb_store_config *c, wc_store *out, wc_error *err)
{
    dynamo_store *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->aws = c->aws;
    s->table = strdup(c->table);
    s->key_name = strdup(c->key_name ? c->key_name : "id");
    s->prefix = strdup(c->key_prefix ? c->key_prefix : "widgets/");
    s->tombstone_ttl_s = c->tombstone_ttl_s ? c->tombstone_ttl_s : 7 * 24 * 3600;
    s->memo = wc_memo_new(c->remember_bytes);
    wc_result result = (!s->table || !s->key_name || !s->prefix || (c->remember_bytes && !s->memo))
                           ? wc_error_set(err, WC_ERR_NOMEM, "out of memory")
                           : check_table(s, err);
    if (result != WC_OK) {
        dynamo_destroy(s);
        return result;
    }
    out->ops = &dynamo_store_ops;
    out->self = s;
    return WC_OK;
}
