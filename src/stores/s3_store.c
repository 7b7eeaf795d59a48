#include "stores/s3_store.h"

#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "aws/sigv4.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "stores/memo.h"

#include <openssl/evp.h>
#include <stdio.h>

#define MAX_WIDGET_BYTES (4u << 20)

typedef struct {
    wc_store_ops ops; /* its blind_create as configured */
    wc_s3_bucket bucket;
    char *prefix;
    /* The widgets last read or written (memo.h), by key: version "w:ETAG", the sealed body, the
     * ledger's JSON; only widgets with their ledger inline. An update of one is applied to it and
     * PUT If-Match the remembered ETag: the seal makes the ETag stand for widget and ledger both,
     * so a PUT that S3 accepts was made on exactly the remembered state; a 412 forgets it and the
     * engine reads. A delete of one is applied to it too: its tombstone PUT, then the widget's
     * DELETE If-Match the remembered ETag, the delete's commit point (a 412 or 404: the same). */
    wc_memo *memo; /* NULL: none */
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
            if (strncmp(l.keys[i], WC_S3_TOMBSTONES, strlen(WC_S3_TOMBSTONES)) == 0 ||
                strncmp(l.keys[i], WC_S3_LEDGERS, strlen(WC_S3_LEDGERS)) == 0)
                continue; /* a deleted widget remembered, a spilled ledger (an empty prefix
                           * lists them too) */
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

/* --- load and save: the ledger (exact order) in the object's metadata, tombstones beside the
 * widgets; classic order's widgets are the plain JSON, with neither --- */

/* What S3 allows of user metadata in all (2 KB: names and values), less room for the name: a
 * ledger whose base64 is longer is spilled to its own object (WC_S3_LEDGERS). */
#define MAX_META_BYTES 1900

/* How many times a load reads the widget again when the ledger object it names is gone (another
 * writer replaced the widget and deleted its old ledger between our two GETs). */
#define LEDGER_REREADS 5

/* One load or save, a small state machine:
 *   load: GET widget -> (NoSuchKey) GET tombstone; a widget whose ledger was spilled
 *         (x-amz-meta-wc-ledger-ref) -> GET wc-ledgers/REF (NoSuchKey: GET the widget again)
 *   load of a widget marked x-amz-meta-wc-blind: GET tombstone too; one there -> DELETE the
 *         widget If-Match its ETag (then the tombstone is what was read; 412/404: GET again)
 *   save: PUT widget with its ledger, If-Match the ETag read (If-None-Match: * when no widget
 *         was read; on nothing read at all, blind: marked, with GET tombstone at once; a
 *         tombstone there -> DELETE widget If-Match the ETag written, and WC_ERR_CONFLICT so
 *         that the engine reads), the ledger inline or, when too long, first PUT as
 * wc-ledgers/SHA256 (the widget's PUT stays the one commit point); or, for a delete, PUT tombstone
 * -> DELETE widget If-Match the ETag read, the delete's commit point (412/404: WC_ERR_CONFLICT,
 *         and the engine reads again; the tombstone PUT is then written again from the new
 *         state); in classic order (no ledger) the PUT of the widget alone, or for a delete
 *         DELETE widget without a condition. Then the ledger object the widget named before is
 *         deleted (best effort).
 * A tombstone beside a widget that is there (its delete's DELETE lost to another writer's
 * change, or never came) is harmless: a load that finds an unmarked widget decides by it alone
 * and never reads the tombstone; only a widget marked x-amz-meta-wc-blind is checked against
 * its tombstone, and no writer marks a widget once another writer has read it (only a blind
 * create, If-None-Match: *, marks, and every other write replaces the metadata). The tombstone
 * PUT has no condition: a tombstone holds only the places of its life's create and of the
 * delete, so two deliveries of one delete write the same body, and a blind create's
 * delete-again never writes it. What it does not cover: two different deletes of one life
 * (the spec's runs delete a widget once) racing on one state may leave the tombstone of the
 * one whose DELETE lost. */
typedef struct {
    s3_store *s;
    const wc_request *req;
    char *key, *tomb_key;
    char *body, *meta; /* what a PUT sends */
    const char *meta_name;
    const char *cond_name; /* the condition of a PUT or DELETE of the widget, or NULL */
    char *cond_value;
    char *ledger_json; /* a save's ledger: in the widget's metadata (remembered with the body once
                        * PUT), or spilled, the body of its object; a tombstone's body */
    char ref[65];      /* a spilled ledger's name (SHA-256 hex), "" when inline */
    char *old_ref;     /* the ledger object the widget named when read, or NULL */
    char *ledger_key;  /* WC_S3_LEDGERS + a ref: the object a step reads or writes */
    int step;
    unsigned rereads;
    wc_store_loaded loaded;
    wc_store_done done;
    void *ctx;
    wc_stored stored;
    struct got { /* a load's GETs (the widget, the tombstone, a spilled ledger), a blind PUT */
        int done;
        wc_result result;
        wc_error err;
        wc_http_response resp;
    } w, t, lg, put;
    int both; /* a create's load: both GETs at once (most creates find neither) */
    /* A blind save (a create on nothing read): the widget's PUT If-None-Match: * marked
     * x-amz-meta-wc-blind, with the GET of the tombstone (o->t) at the same time; the PUT's end
     * waits for it (blind_decide). */
    int blind;
} xop;

enum { X_PUT, X_PUT_LEDGER, X_PUT_TOMBSTONE, X_DELETE, X_DELETE_OLD, X_UNDO };

static void got_reset(struct got *g)
{
    wc_http_response_cleanup(&g->resp);
    memset(g, 0, sizeof(*g));
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

static void xop_free(xop *o)
{
    free(o->key);
    free(o->tomb_key);
    free(o->body);
    free(o->meta);
    free(o->cond_value);
    free(o->ledger_json);
    free(o->old_ref);
    free(o->ledger_key);
    wc_stored_cleanup(&o->stored);
    got_reset(&o->w);
    got_reset(&o->t);
    got_reset(&o->lg);
    got_reset(&o->put);
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
    o->tomb_key = o->key ? wc_path_join(WC_S3_TOMBSTONES, o->key) : NULL; /* its "/" once */
    if (!o->tomb_key) {
        xop_free(o);
        return NULL;
    }
    return o;
}

/* Points o->ledger_key at the ledger object named ref. */
static wc_result set_ledger_key(xop *o, const char *ref, wc_error *err)
{
    free(o->ledger_key);
    o->ledger_key = wc_path_join(WC_S3_LEDGERS, ref);
    return o->ledger_key ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
}

/* Starts a GET of key for o: cb gets its answer. */
static wc_result xop_get(xop *o, const char *key, wc_aws_done cb, wc_error *err)
{
    return wc_s3_start(&o->s->bucket, "GET", key, NULL, 0, NULL, 0, MAX_WIDGET_BYTES, cb, o, err);
}

static void xop_next(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                     const wc_error *err);

static wc_result xop_send(xop *o, int step, wc_error *err)
{
    o->step = step;
    int put = step == X_PUT || step == X_PUT_LEDGER || step == X_PUT_TOMBSTONE;
    wc_param headers[4];
    size_t n = 0;
    if (put)
        headers[n++] = (wc_param){"Content-Type", "application/json"};
    if (step == X_PUT && o->meta) /* none on a widget saved alone (classic order) */
        headers[n++] = (wc_param){o->meta_name, o->meta};
    if (step == X_PUT && o->blind)
        headers[n++] = (wc_param){"x-amz-meta-" WC_S3_BLIND_META, "1"};
    if (step == X_PUT || step == X_UNDO || (step == X_DELETE && o->cond_name))
        headers[n++] = (wc_param){o->cond_name, o->cond_value};
    const char *method = put ? "PUT" : "DELETE";
    const char *key = step == X_PUT_TOMBSTONE                        ? o->tomb_key
                      : step == X_PUT_LEDGER || step == X_DELETE_OLD ? o->ledger_key
                                                                     : o->key;
    const char *body = !put ? NULL : step == X_PUT ? o->body : o->ledger_json;
    return wc_s3_start(&o->s->bucket, method, key, headers, n, body, body ? strlen(body) : 0,
                       MAX_WIDGET_BYTES, xop_next, o, err);
}

/* The token of what a load read: "w:ETAG" (a widget, its ledger inline), "w:ETAG|REF" (a
 * widget whose ledger is the object WC_S3_LEDGERS REF) or "t:ETAG" (a tombstone). NULL: out of
 * memory. */
static char *version_of(char kind, const char *etag, const char *ref)
{
    size_t len = (etag ? strlen(etag) : 0) + (ref ? strlen(ref) + 1 : 0) + 3;
    char *v = malloc(len);
    if (v)
        snprintf(v, len, "%c:%s%s%s", kind, etag ? etag : "", ref ? "|" : "", ref ? ref : "");
    return v;
}

/* Whether ref names a ledger object: the 64 lower-case hex digits of a SHA-256. */
static int is_ref(const char *ref)
{
    size_t n = strspn(ref, "0123456789abcdef");
    return n == 64 && ref[n] == '\0';
}

/* Reads an inline ledger, meta (x-amz-meta-wc-ledger: base64 of its JSON), into *out. With text,
 * also hands back the JSON it read in *text (caller frees; NULL on an error), for the memo, so
 * that it is not encoded again (JSON that parsed holds no NUL byte: *text is the whole of it). */
static wc_result read_meta_ledger(const char *key, const char *meta, wc_ledger **out, char **text,
                                  wc_error *err)
{
    if (text)
        *text = NULL;
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
    if (result == WC_OK && text) {
        json[n] = '\0'; /* room: DecodeBlock writes len / 4 * 3 bytes at most */
        *text = (char *)json;
        json = NULL;
    }
    free(json);
    return result;
}

/* Remembers the widget as stored with etag: body and its inline ledger's JSON (ledger NULL: not
 * remembered, forgotten). Best effort. */
static void remember(xop *o, const char *etag, const char *body, const char *ledger)
{
    char *version = ledger && etag ? version_of('w', etag, NULL) : NULL;
    wc_memo_put(o->s->memo, o->key, version, body, ledger);
    free(version);
}

/* The end of a load (what was read goes to the engine) or of a save (done is told). */
static void xop_end(xop *o, wc_result result, const wc_error *err)
{
    if (o->loaded)
        o->loaded(o->ctx, result, result == WC_OK ? &o->stored : NULL, err);
    else
        o->done(o->ctx, result, err);
    xop_free(o);
}

/* A blind save whose PUT and tombstone's GET have both ended. No tombstone: the create is
 * saved (and remembered). A tombstone (or none known): the widget written may lack what the
 * tombstone remembers, so it is deleted again If-Match the ETag written (X_UNDO), and the
 * engine reads and decides as for any lost race. A PUT that failed (412: a widget is there) is
 * a lost race or an error as it is. */
static void blind_decide(xop *o)
{
    wc_error e = o->put.err;
    if (o->put.result != WC_OK) {
        xop_end(o, o->put.result, &e);
        return;
    }
    if (o->t.result == WC_ERR_NOT_FOUND) {
        remember(o, o->put.resp.etag, o->body, o->ref[0] ? NULL : o->ledger_json);
        xop_end(o, WC_OK, &e);
        return;
    }
    o->cond_name = "If-Match";
    free(o->cond_value);
    o->cond_value = o->put.resp.etag ? strdup(o->put.resp.etag) : NULL;
    wc_result result;
    if (!o->cond_value) /* no ETag (or out of memory) to undo on: the next load undoes it */
        result = wc_error_set(&e, WC_ERR_CONFLICT, "widget %s: created blind beside a tombstone",
                              o->req->widget_id);
    else if ((result = xop_send(o, X_UNDO, &e)) == WC_OK)
        return;
    xop_end(o, result, &e);
}

static void xop_next(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                     const wc_error *err)
{
    xop *o = ctx;
    wc_error e = *err;
    if (o->step == X_UNDO) {
        if (resp)
            wc_http_response_cleanup(resp);
        /* Deleted again (or another writer changed or deleted it since: its load undid or
         * merged it): read and decide; an outage is an outage. */
        if (result == WC_OK || result == WC_ERR_CONFLICT || result == WC_ERR_NOT_FOUND) {
            if (o->t.result == WC_OK)
                result = wc_error_set(&e, WC_ERR_CONFLICT,
                                      "widget %s: a tombstone was found beside its blind create",
                                      o->req->widget_id);
            else
                result = o->t.result, e = o->t.err;
        }
        xop_end(o, result, &e);
        return;
    }
    if (o->step == X_PUT && o->blind) /* its answer (the ETag) for blind_decide, ended below */
        got(&o->put, result, resp, err);
    if (o->step == X_PUT && result == WC_OK && !o->blind && resp)
        remember(o, resp->etag, o->body, o->ref[0] ? NULL : o->ledger_json);
    if (resp)
        wc_http_response_cleanup(resp);
    if (result == WC_OK && (o->step == X_PUT_TOMBSTONE || o->step == X_PUT_LEDGER)) {
        if ((result = xop_send(o, o->step == X_PUT_LEDGER ? X_PUT : X_DELETE, &e)) == WC_OK)
            return;
    } else if (result == WC_OK && (o->step == X_PUT || o->step == X_DELETE) && o->old_ref &&
               strcmp(o->old_ref, o->ref) != 0) {
        /* Committed: the ledger object the widget named before is no one's now. */
        if (set_ledger_key(o, o->old_ref, &e) == WC_OK && xop_send(o, X_DELETE_OLD, &e) == WC_OK)
            return;
        wc_debug("widget %s: its old ledger object %s%s not deleted: %s", o->req->widget_id,
                 WC_S3_LEDGERS, o->old_ref, e.msg);
        wc_error_clear(&e);
    } else if (o->step == X_DELETE_OLD) {
        if (result != WC_OK) /* an orphan; a reader that meets the 404 reads the widget again */
            wc_debug("widget %s: its old ledger object %s not deleted: %s", o->req->widget_id,
                     o->ledger_key, e.msg);
        result = WC_OK;
        wc_error_clear(&e);
    } else if ((o->step == X_PUT || (o->step == X_DELETE && o->cond_name)) &&
               (result == WC_ERR_NOT_FOUND || result == WC_ERR_CONFLICT)) {
        /* If-Match on a widget changed (412) or deleted (S3 answers NoSuchKey) meantime */
        result = wc_error_set(&e, WC_ERR_CONFLICT, "widget %s changed since it was read",
                              o->req->widget_id);
    }
    if (o->blind) { /* the PUT's end waits for the tombstone's GET */
        got(&o->put, result, NULL, &e);
        if (o->t.done)
            blind_decide(o);
        return;
    }
    xop_end(o, result, &e);
}

/* What the GETs found: the widget with the ledger in its metadata or in the ledger object it
 * names; else the tombstone's ledger; else nothing at all. */
static void load_decide(xop *o);

/* The tombstone's GET has ended: a load decides once the widget's GET has too, a blind save once
 * its PUT has. */
static void got_tombstone(void *ctx, wc_result result, wc_http_response *resp,
                          const wc_aws_error *aerr, const wc_error *err)
{
    xop *o = ctx;
    got(&o->t, result, resp, err);
    if (o->blind && o->put.done)
        blind_decide(o);
    else if (!o->blind && o->w.done)
        load_decide(o);
}

/* Starts the GET of the tombstone: 1; else 0, and its not starting is its answer (o->t). */
static int get_tombstone(xop *o)
{
    if (xop_get(o, o->tomb_key, got_tombstone, &o->t.err) == WC_OK)
        return 1;
    o->t.done = 1;
    o->t.result = o->t.err.code ? o->t.err.code : WC_ERR_IO;
    return 0;
}

static void got_widget(void *ctx, wc_result result, wc_http_response *resp,
                       const wc_aws_error *aerr, const wc_error *err)
{
    xop *o = ctx;
    got(&o->w, result, resp, err);
    if (o->both && !o->t.done)
        return; /* both GETs at once: decided once the tombstone's has ended too */
    if (!o->both && result == WC_ERR_NOT_FOUND && get_tombstone(o))
        return; /* no widget: is there a tombstone? decided when its GET ends */
    load_decide(o);
}

/* Reads the widget again (another writer changed it between two calls of a load), up to
 * LEDGER_REREADS times. */
static void reread(xop *o, const char *why)
{
    wc_error e;
    wc_result result;
    if (++o->rereads >= LEDGER_REREADS) {
        wc_error_set(&e, WC_ERR_CONFLICT,
                     "widget %s: %s %u times in a row (other writers kept replacing it)",
                     o->req->widget_id, why, LEDGER_REREADS);
        xop_end(o, WC_ERR_CONFLICT, &e);
        return;
    }
    got_reset(&o->w);
    got_reset(&o->t);
    got_reset(&o->lg);
    o->both = 0;
    if ((result = xop_get(o, o->key, got_widget, &e)) != WC_OK)
        xop_end(o, result, &e);
}

static void got_ledger(void *ctx, wc_result result, wc_http_response *resp,
                       const wc_aws_error *aerr, const wc_error *err)
{
    xop *o = ctx;
    if (result != WC_ERR_NOT_FOUND) {
        got(&o->lg, result, resp, err);
        load_decide(o);
        return;
    }
    /* Another writer replaced the widget and deleted the ledger object it named: read again. */
    reread(o, "the ledger object it named was gone");
}

/* The DELETE If-Match of a widget created blind beside a tombstone has ended. */
static void got_undone(void *ctx, wc_result result, wc_http_response *resp,
                       const wc_aws_error *aerr, const wc_error *err)
{
    xop *o = ctx;
    if (resp)
        wc_http_response_cleanup(resp);
    if (result == WC_OK) { /* gone: what is stored is the tombstone */
        got_reset(&o->w);
        o->w.done = 1;
        o->w.result = WC_ERR_NOT_FOUND;
        load_decide(o);
    } else if (result == WC_ERR_CONFLICT || result == WC_ERR_NOT_FOUND) {
        reread(o, "the widget created blind beside its tombstone changed");
    } else {
        xop_end(o, result, err);
    }
}

/* A widget marked x-amz-meta-wc-blind was PUT by a create that had not read its tombstone: it
 * stands only when there is none. Beside a tombstone it is deleted again, If-Match the ETag
 * read (whichever writer meets it first: its creator or a load), and the tombstone is what is
 * stored. 1 when a call was started (or the load ended); *result otherwise. */
static int load_blind(xop *o, wc_result *result, wc_error *e)
{
    wc_http_response *r = &o->w.resp;
    if (!wc_http_response_meta(r, WC_S3_BLIND_META))
        return 0;
    if (!o->t.done && get_tombstone(o))
        return 1; /* got_tombstone decides again */
    if (o->t.result == WC_ERR_NOT_FOUND)
        return 0; /* no tombstone: the widget stands */
    if (o->t.result != WC_OK) {
        *result = o->t.result;
        *e = o->t.err;
        return 0;
    }
    if (!r->etag) {
        *result = wc_error_set(e, WC_ERR_PARSE, "%s: no ETag", o->key);
        return 0;
    }
    wc_param cond = {"If-Match", r->etag};
    if ((*result = wc_s3_start(&o->s->bucket, "DELETE", o->key, &cond, 1, NULL, 0, MAX_WIDGET_BYTES,
                               got_undone, o, e)) == WC_OK)
        return 1;
    return 0;
}

static void load_decide(xop *o)
{
    wc_error e;
    wc_error_clear(&e);
    wc_result result = o->w.result;
    if (result == WC_OK && load_blind(o, &result, &e))
        return;
    if (result == WC_OK) {
        wc_http_response *r = &o->w.resp;
        char *ledger_json = NULL; /* an inline ledger's JSON, for the memo; ours */
        const char *meta = wc_http_response_meta(r, WC_S3_LEDGER_META);
        const char *ref = wc_http_response_meta(r, WC_S3_LEDGER_REF_META);
        if (ref && !is_ref(ref)) {
            result =
                wc_error_set(&e, WC_ERR_PARSE, "%s: its ledger reference is not a SHA-256", o->key);
        } else if (ref && !o->lg.done) { /* the ledger was spilled: read it */
            if ((result = set_ledger_key(o, ref, &e)) == WC_OK &&
                (result = xop_get(o, o->ledger_key, got_ledger, &e)) == WC_OK)
                return;
        } else if (ref && (result = o->lg.result) != WC_OK) {
            e = o->lg.err;
        }
        if (result == WC_OK)
            result = wc_widget_from_json(o->key, r->body, r->len, &o->stored.widget, &e);
        if (result == WC_OK && ref)
            result = wc_ledger_from_json(o->ledger_key, o->lg.resp.body, o->lg.resp.len,
                                         &o->stored.ledger, &e);
        else if (result == WC_OK && meta) /* the JSON read is remembered as it is */
            result = read_meta_ledger(o->key, meta, &o->stored.ledger,
                                      o->s->memo ? &ledger_json : NULL, &e);
        if (result == WC_OK && !(o->stored.version = version_of('w', r->etag, ref)))
            result = wc_error_set(&e, WC_ERR_NOMEM, "out of memory");
        if (result == WC_OK && ledger_json)
            remember(o, r->etag, r->body, ledger_json);
        free(ledger_json);
    } else if (result == WC_ERR_NOT_FOUND) {
        wc_http_response *r = &o->t.resp;
        result = o->t.result;
        if (result == WC_OK) {
            result = wc_ledger_from_json(o->tomb_key, r->body, r->len, &o->stored.ledger, &e);
            if (result == WC_OK && !(o->stored.version = version_of('t', r->etag, NULL)))
                result = wc_error_set(&e, WC_ERR_NOMEM, "out of memory");
        } else if (result == WC_ERR_NOT_FOUND) {
            result = WC_OK; /* nothing stored at all */
        } else {
            e = o->t.err;
        }
    } else if (o->w.result != WC_OK) {
        e = o->w.err;
    }
    xop_end(o, result, &e);
}

static wc_result s3_load(void *self, const wc_request *req, wc_store_loaded loaded, void *ctx,
                         wc_error *err)
{
    xop *o = xop_new(self, req, ctx);
    if (!o)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    o->loaded = loaded;
    o->both = req->type == WC_REQ_CREATE;
    wc_result result = xop_get(o, o->key, got_widget, err);
    if (result != WC_OK) {
        xop_free(o);
        return result;
    }
    if (o->both)
        get_tombstone(o); /* not started: the widget's GET decides when it ends */
    return WC_OK;
}

/* base64 of text (any attribute name survives a header). NULL: out of memory. */
static char *base64_of(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);
    return out;
}

/* The ledger for the widget's PUT: base64 of its JSON (o->ledger_json) in x-amz-meta-wc-ledger
 * when it fits, else the JSON to be spilled, named o->ref by its SHA-256 (md, the save's one
 * hash of it), and the name in x-amz-meta-wc-ledger-ref. */
static wc_result ledger_meta(xop *o, const unsigned char md[32], wc_error *err)
{
    size_t len = strlen(o->ledger_json);
    if (4 * ((len + 2) / 3) <= MAX_META_BYTES) { /* base64's length, known before it is made */
        o->meta = base64_of(o->ledger_json);
        o->meta_name = "x-amz-meta-" WC_S3_LEDGER_META;
        return o->meta ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    wc_hex32(md, o->ref);
    o->meta = strdup(o->ref);
    o->meta_name = "x-amz-meta-" WC_S3_LEDGER_REF_META;
    if (!o->meta)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    return set_ledger_key(o, o->ref, err);
}

/* The body of a widget with its ledger: the widget's JSON, then a newline and 64 blanks (space
 * 0, tab 1) spelling the first 64 bits of the SHA-256 of the ledger's JSON (still JSON; a plain
 * reader sees the spec's widget). S3's ETag is the MD5 of the body alone and If-Match compares
 * ETags, so the ETag must change whenever the widget or its ledger does, and never come back to
 * one a writer may still hold: a write that changed only the ledger (the same value set again,
 * a clear of an absent field) would keep it, and a widget set back to an earlier value by a
 * later update would bring an old one back (A-B-A), and a writer If-Match what it read before
 * would win and overwrite what the others wrote. With the ledger's hash in the body the ETag
 * stands for the whole state: a write on an ETag that is current again is a write on the very
 * state it read. md: the SHA-256 of the ledger's JSON. Frees json; NULL: out of memory. */
static char *seal(char *json, const unsigned char md[32])
{
    size_t len = json ? strlen(json) : 0;
    char *out = json ? realloc(json, len + 1 + 64 + 1) : NULL;
    if (!out) {
        free(json);
        return NULL;
    }
    out[len] = '\n';
    for (int bit = 0; bit < 64; bit++)
        out[len + 1 + bit] = (md[bit / 8] >> (7 - bit % 8)) & 1 ? '\t' : ' ';
    out[len + 65] = '\0';
    return out;
}

static wc_result s3_save(void *self, const wc_request *req, const wc_stored *base,
                         const wc_widget *w, const wc_ledger *l, wc_store_done done, void *ctx,
                         wc_error *err)
{
    xop *o = xop_new(self, req, ctx);
    if (!o)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    o->done = done;
    wc_memo_forget(o->s->memo, o->key); /* remembered again once this PUT is done */
    int widget_read = base->version && base->version[0] == 'w';
    const char *etag = widget_read ? base->version + 2 : NULL;
    const char *old_ref = etag ? strchr(etag, '|') : NULL;
    wc_result result = WC_OK;
    /* On the condition of what was read: the ETag read, else that there is none; a delete
     * (saved only on a widget read, or remembered: ledger.h) If-Match, a classic one without. */
    if (widget_read && (w || l)) {
        o->cond_name = "If-Match";
        o->cond_value = strndup(etag, strcspn(etag, "|"));
    } else if (w) {
        o->cond_name = "If-None-Match";
        o->cond_value = strdup("*");
    }
    if ((old_ref && !(o->old_ref = strdup(old_ref + 1))) || (o->cond_name && !o->cond_value) ||
        (l && !(o->ledger_json = wc_ledger_to_json(l))))
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK && w) {
        unsigned char md[32]; /* the ledger's SHA-256, once: the seal's and a spilled one's name */
        if (l)
            wc_sha256(o->ledger_json, strlen(o->ledger_json), md);
        o->body = l ? seal(wc_widget_to_json(w), md) : wc_widget_to_json(w);
        if (!o->body)
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        if (result == WC_OK && l)
            result = ledger_meta(o, md, err);
        /* On nothing read (the engine's blind create, or a load that found nothing): the
         * tombstone is read at the same time (blind_decide). */
        o->blind = l && !base->version && o->s->ops.blind_create;
        if (result == WC_OK)
            result = xop_send(o, o->ref[0] ? X_PUT_LEDGER : X_PUT, err);
        /* a tombstone's GET not started: not known, undone once the PUT ends */
        if (result == WC_OK && o->blind && !get_tombstone(o) && o->put.done)
            blind_decide(o);
    } else if (result == WC_OK && !l) {
        /* Classic order's delete: the widget (a DELETE without condition, as classic order's
         * always was), then the ledger object it named, if any. */
        result = xop_send(o, X_DELETE, err);
    } else if (result == WC_OK) {
        /* Exact order's delete: the tombstone, then the widget If-Match the ETag read. */
        result = xop_send(o, X_PUT_TOMBSTONE, err);
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
    wc_memo_free(s->memo, "s3", "bucket");
    wc_s3_bucket_cleanup(&s->bucket);
    free(s->prefix);
    free(s);
}

/* A remembered widget (remember): "w:ETAG", the sealed body, the inline ledger's JSON. */
static wc_result read_remembered(void *self, const char *key, const char *version, const char *body,
                                 const char *ledger, wc_stored *out, wc_error *err)
{
    (void)self;
    wc_result result = wc_widget_from_json(key, body, strlen(body), &out->widget, err);
    if (result == WC_OK)
        result = wc_ledger_from_json(key, ledger, strlen(ledger), &out->ledger, err);
    if (result == WC_OK && !(out->version = strdup(version)))
        result = WC_ERR_NOMEM;
    return result;
}

/* Only an update's or a delete's load: a create's reads the widget and its tombstone at once
 * (counted all the same among the memo's reads from the bucket: the engine loads next). */
static int s3_recall(void *self, const wc_request *req, wc_stored *out)
{
    s3_store *s = self;
    if (req->type == WC_REQ_CREATE)
        wc_memo_count_read(s->memo);
    char *key = s->memo && req->type != WC_REQ_CREATE
                    ? wc_widget_key(s->prefix, req->owner, req->widget_id)
                    : NULL;
    int found = key && wc_memo_recall(s->memo, key, read_remembered, NULL, out);
    free(key);
    return found;
}

static void s3_forget(void *self, const wc_request *req)
{
    s3_store *s = self;
    char *key = wc_widget_key(s->prefix, req->owner, req->widget_id);
    if (key)
        wc_memo_forget(s->memo, key);
    free(key);
}

wc_result wc_s3_store_open(const wc_s3_store_config *c, wc_store *out, wc_error *err)
{
    wc_result result = wc_store_check_prefix(c->key_prefix, err);
    if (result != WC_OK)
        return result;
    s3_store *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->prefix = strdup(c->key_prefix);
    s->ops = (wc_store_ops){.kind = "s3",
                            .ordered = 1,
                            .load = s3_load,
                            .save = s3_save,
                            .blind_create = c->blind_create, /* off in the consumer (s3_store.h) */
                            .recall = s3_recall,
                            .forget = s3_forget,
                            .scan = s3_scan,
                            .destroy = s3_destroy};
    s->memo = wc_memo_new(c->remember_bytes);
    result = s->prefix && (s->memo || !c->remember_bytes)
                 ? wc_s3_bucket_init(&s->bucket, c->aws, c->bucket, err)
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
    out->ops = &s->ops;
    out->self = s;
    return WC_OK;
}
