#include "sources/s3_events.h"

#include "aws/s3.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wc_result wc_s3_key_decode(const char *in, char **out, wc_error *err)
{
    size_t len = strlen(in);
    *out = NULL;
    if (len > 3 * WC_S3_EVENTS_MAX_KEY)
        return wc_error_set(err, WC_ERR_PARSE, "object key over %d bytes", WC_S3_EVENTS_MAX_KEY);
    char *k = malloc(len + 1); /* decoding never lengthens */
    if (!k)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    size_t bad;
    long n = wc_s3_url_decode(in, k, &bad);
    wc_result result = WC_OK;
    if (n < 0)
        result = wc_error_set(err, WC_ERR_PARSE, "object key \"%.64s\": bad %%-escape at byte %zu",
                              in, bad);
    else if (n == 0 || n > WC_S3_EVENTS_MAX_KEY)
        result = wc_error_set(err, WC_ERR_PARSE, "object key of %ld bytes (1 to %d)", n,
                              WC_S3_EVENTS_MAX_KEY);
    if (result == WC_OK)
        *out = k;
    else
        free(k);
    return result;
}

void wc_s3_events_cleanup(wc_s3_events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->records[i].bucket);
        free(ev->records[i].key);
        free(ev->records[i].sequencer);
    }
    free(ev->records);
    memset(ev, 0, sizeof(*ev));
}

/* One record from its bucket and object objects (which = "Records[3]" or "detail", for errors). */
static wc_result read_record(json_t *bucket, json_t *object, const char *which, int encoded,
                             wc_s3_event_record *r, wc_error *err)
{
    const char *name = json_string_value(json_object_get(bucket, "name"));
    const char *key = json_string_value(json_object_get(object, "key"));
    json_t *size = json_object_get(object, "size");
    const char *sequencer = json_string_value(json_object_get(object, "sequencer"));
    if (!name || !*name || !key)
        return wc_error_set(err, WC_ERR_PARSE, "%s: no bucket name or object key", which);
    if (size && !json_is_integer(size))
        return wc_error_set(err, WC_ERR_PARSE, "%s: object size is not a number", which);
    wc_result result = WC_OK;
    if (encoded)
        result = wc_s3_key_decode(key, &r->key, err);
    else if (!*key || strlen(key) > WC_S3_EVENTS_MAX_KEY)
        result = wc_error_set(err, WC_ERR_PARSE, "object key of %zu bytes (1 to %d)", strlen(key),
                              WC_S3_EVENTS_MAX_KEY);
    else if (!(r->key = strdup(key)))
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result != WC_OK) {
        wc_error_prefix(err, "%s: ", which);
        return result;
    }
    r->bucket = strdup(name);
    r->sequencer = sequencer ? strdup(sequencer) : NULL;
    r->size = size ? (int64_t)json_integer_value(size) : -1;
    if (!r->bucket || (sequencer && !r->sequencer))
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    return WC_OK;
}

static wc_result read_records(json_t *list, wc_s3_events *out, wc_error *err)
{
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0)
        return wc_error_set(err, WC_ERR_PARSE, "\"Records\" is not a list of records");
    if (n > WC_S3_EVENTS_MAX_RECORDS)
        return wc_error_set(err, WC_ERR_PARSE, "%zu records in one message (at most %d)", n,
                            WC_S3_EVENTS_MAX_RECORDS);
    out->records = calloc(n, sizeof(*out->records));
    if (!out->records)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *rec = json_array_get(list, i);
        char which[32];
        snprintf(which, sizeof(which), "Records[%zu]", i);
        const char *source = json_string_value(json_object_get(rec, "eventSource"));
        const char *name = json_string_value(json_object_get(rec, "eventName"));
        json_t *s3 = json_object_get(rec, "s3");
        if (!source || strcmp(source, "aws:s3") != 0 || !name || !json_is_object(s3))
            return wc_error_set(err, WC_ERR_PARSE,
                                "%s: not an S3 event record (eventSource \"aws:s3\", eventName, "
                                "s3)",
                                which);
        if (strncmp(name, "ObjectCreated:", 14) != 0) {
            out->skipped++;
            continue;
        }
        wc_result result = read_record(json_object_get(s3, "bucket"), json_object_get(s3, "object"),
                                       which, 1, &out->records[out->n], err);
        out->n++; /* counted even when half read: cleanup frees what it holds */
        if (result != WC_OK)
            return result;
    }
    return WC_OK;
}

static wc_result read_eventbridge(json_t *doc, wc_s3_events *out, wc_error *err)
{
    const char *type = json_string_value(json_object_get(doc, "detail-type"));
    json_t *detail = json_object_get(doc, "detail");
    if (!type || !json_is_object(detail))
        return wc_error_set(err, WC_ERR_PARSE, "EventBridge event without detail-type or detail");
    if (strcmp(type, "Object Created") != 0) {
        out->skipped = 1;
        return WC_OK;
    }
    out->records = calloc(1, sizeof(*out->records));
    if (!out->records)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    out->n = 1;
    return read_record(json_object_get(detail, "bucket"), json_object_get(detail, "object"),
                       "detail", 0, &out->records[0], err);
}

wc_result wc_s3_events_parse(const char *body, size_t len, int force, wc_s3_events *out,
                             wc_error *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    wc_result result;
    if (!doc && force) {
        memset(out, 0, sizeof(*out));
        result = wc_error_set(err, WC_ERR_PARSE, "not JSON: %s (line %d)", jerr.text, jerr.line);
    } else
        result = wc_s3_events_read(doc, force, out, err);
    json_decref(doc);
    return result;
}

wc_result wc_s3_events_read(json_t *doc, int force, wc_s3_events *out, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    wc_result result = WC_OK;
    const char *event = json_string_value(json_object_get(doc, "Event"));
    const char *source = json_string_value(json_object_get(doc, "source"));
    if (!doc)
        out->kind = WC_S3_EVENTS_NONE;
    else if (json_object_get(doc, "Records")) {
        out->kind = WC_S3_EVENTS_RECORDS;
        result = read_records(json_object_get(doc, "Records"), out, err);
    } else if (event && strcmp(event, "s3:TestEvent") == 0)
        out->kind = WC_S3_EVENTS_TEST;
    else if (source && strcmp(source, "aws.s3") == 0) {
        out->kind = WC_S3_EVENTS_RECORDS;
        result = read_eventbridge(doc, out, err);
    } else if (force)
        result = wc_error_set(err, WC_ERR_PARSE,
                              "not an S3 event notification (no \"Records\", s3:TestEvent or "
                              "EventBridge aws.s3 event)");
    else
        out->kind = WC_S3_EVENTS_NONE;
    if (result != WC_OK)
        wc_s3_events_cleanup(out);
    return result;
}
