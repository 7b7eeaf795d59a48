#include "producer/notify.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/sqs.h"
#include "common/clock.h"

struct wc_notifier {
    wc_aws *aws;
    char *url, *bucket, *region;
    size_t per_message;
    unsigned long long sequence;
    json_t *pending; /* Records waiting */
};

char *wc_s3_event_key_encode(const char *key)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t len = strlen(key);
    char *out = malloc(3 * len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)key; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-_.~/", *c)) {
            out[o++] = (char)*c;
        } else if (*c == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = hexd[*c >> 4];
            out[o++] = hexd[*c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

static void iso_time(uint64_t ms, char *out, size_t cap)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char day[32];
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

static wc_result send(wc_notifier *n, json_t *doc, wc_error *err)
{
    char *body = json_dumps(doc, JSON_COMPACT);
    if (!body)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_aws_error aerr;
    wc_result result = wc_sqs_send(n->aws, n->url, body, NULL, NULL, NULL, NULL, &aerr, err);
    free(body);
    if (result != WC_OK)
        wc_error_prefix(err, "notification to %s: ", n->url);
    return result;
}

wc_notifier *wc_notifier_new(wc_aws *aws, const char *queue, const char *bucket, const char *region,
                             size_t per_message, wc_error *err)
{
    wc_notifier *n = calloc(1, sizeof(*n));
    if (!n) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    n->aws = aws;
    n->per_message = per_message;
    n->bucket = strdup(bucket);
    n->region = strdup(region ? region : "us-east-1");
    n->pending = json_array();
    wc_aws_error aerr;
    wc_error e;
    wc_result result = !n->bucket || !n->region || !n->pending
                           ? wc_error_set(err, WC_ERR_NOMEM, "out of memory")
                           : WC_OK;
    if (result == WC_OK && (result = wc_sqs_queue_url(aws, queue, &n->url, &aerr, &e)) != WC_OK)
        result = wc_aws_resource_error(err, result, "notification queue", queue, &aerr, &e);
    if (result == WC_OK) {
        /* What S3 sends when a notification is configured (the same page). */
        char when[40];
        iso_time(wc_epoch_ms(), when, sizeof(when));
        json_t *test = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Service", "Amazon S3", "Event",
                                 "s3:TestEvent", "Time", when, "Bucket", bucket, "RequestId",
                                 "WIDGETPRODUCER00", "HostId", "widget-producer");
        result = test ? send(n, test, err) : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        json_decref(test);
    }
    if (result != WC_OK) {
        wc_notifier_free(n);
        return NULL;
    }
    return n;
}

wc_result wc_notifier_add(wc_notifier *n, const char *key, const char *body, size_t len,
                          wc_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char etag[2 * EVP_MAX_MD_SIZE + 1] = "";
    /* A single-part PUT's ETag: the MD5 of the body, in hex. */
    if (EVP_Digest(body, len, md, &mdlen, EVP_md5(), NULL))
        for (unsigned i = 0; i < mdlen; i++)
            snprintf(etag + 2 * i, 3, "%02x", md[i]);
    uint64_t now = wc_epoch_ms();
    char when[40], sequencer[40], arn[128], request_id[24];
    iso_time(now, when, sizeof(when));
    /* increasing per object, as S3's (a hexadecimal string) */
    snprintf(sequencer, sizeof(sequencer), "%016llX",
             (unsigned long long)now * 1000 + (n->sequence++ % 1000));
    snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", n->bucket);
    snprintf(request_id, sizeof(request_id), "WP%014llX", n->sequence);
    char *encoded = wc_s3_event_key_encode(key);
    json_t *rec =
        encoded ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}, "
                            "s:{s:s, s:s, s:{s:s, s:{s:s}, s:s}, s:{s:s, s:I, s:s, s:s}}}",
                            "eventVersion", "2.1", "eventSource", "aws:s3", "awsRegion", n->region,
                            "eventTime", when, "eventName", "ObjectCreated:Put", "userIdentity",
                            "principalId", "widget-producer", "requestParameters",
                            "sourceIPAddress", "127.0.0.1", "responseElements", "x-amz-request-id",
                            request_id, "x-amz-id-2", "widget-producer", "s3", "s3SchemaVersion",
                            "1.0", "configurationId", "widget-producer", "bucket", "name",
                            n->bucket, "ownerIdentity", "principalId", "widget-producer", "arn",
                            arn, "object", "key", encoded, "size", (json_int_t)len, "eTag", etag,
                            "sequencer", sequencer)
                : NULL;
    free(encoded);
    if (!rec || json_array_append_new(n->pending, rec) != 0)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    return json_array_size(n->pending) >= n->per_message ? wc_notifier_flush(n, err) : WC_OK;
}

wc_result wc_notifier_flush(wc_notifier *n, wc_error *err)
{
    size_t count = json_array_size(n->pending);
    if (count == 0)
        return WC_OK;
    json_t *doc = json_pack("{s:O}", "Records", n->pending);
    wc_result result = doc ? send(n, doc, err) : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    json_decref(doc);
    if (result == WC_OK)
        json_array_clear(n->pending);
    return result;
}

void wc_notifier_free(wc_notifier *n)
{
    if (!n)
        return;
    json_decref(n->pending);
    free(n->url);
    free(n->bucket);
    free(n->region);
    free(n);
}
