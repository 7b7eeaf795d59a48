/* S3 event notifications (sources/s3_events.c): the shapes S3 sends to SQS (the S3 user guide's
 * "Event message structure"), the test event, EventBridge's "Object Created", key decoding, and
 * what is refused. */
#include "producer/notify.h"
#include "sources/s3_events.h"
#include "common/clock.h"
#include "testutil.h"

#define REC(name, key)                                                                             \
    "{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"us-east-1\","            \
    "\"eventTime\":\"2026-12-03T11:00:00.000Z\",\"eventName\":\"" name "\","                       \
    "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"bucket\":{\"name\":\"reqs\"},"                          \
    "\"object\":{\"key\":\"" key "\",\"size\":42,\"eTag\":\"abc\",\"sequencer\":\"0A1B\"}}}"

static wc_result parse(const char *body, int force, wc_s3_events *ev, wc_error *err)
{
    return wc_s3_events_parse(body, strlen(body), force, ev, err);
}

static void several_records_decoded(void **state)
{
    (void)state;
    wc_s3_events ev;
    wc_error err;
    const char *body =
        "{\"Records\":[" REC("ObjectCreated:Put", "in/1700000000000-a+b%2Bc") "," REC(
            "ObjectRemoved:Delete", "in/x") "," REC("ObjectCreated:Copy", "%C3%A9t%C3%A9/1") "]}";
    assert_int_equal(parse(body, 0, &ev, &err), WC_OK);
    assert_int_equal(ev.kind, WC_S3_EVENTS_RECORDS);
    assert_int_equal(ev.n, 2);
    assert_int_equal(ev.skipped, 1);
    assert_string_equal(ev.records[0].bucket, "reqs");
    assert_string_equal(ev.records[0].key, "in/1700000000000-a b+c");
    assert_string_equal(ev.records[0].sequencer, "0A1B");
    assert_int_equal(ev.records[0].size, 42);
    assert_string_equal(ev.records[1].key, "\xc3\xa9t\xc3\xa9/1");
    wc_s3_events_cleanup(&ev);
}

static void test_event_and_requests(void **state)
{
    (void)state;
    wc_s3_events ev;
    wc_error err;
    const char *test = "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":"
                       "\"2026-12-03T11:00:00.000Z\",\"Bucket\":\"reqs\",\"RequestId\":\"R\","
                       "\"HostId\":\"H\"}";
    assert_int_equal(parse(test, 1, &ev, &err), WC_OK);
    assert_int_equal(ev.kind, WC_S3_EVENTS_TEST);
    assert_int_equal(ev.n, 0);
    /* a request, and a body that is no JSON, are no notification in auto mode */
    assert_int_equal(parse("{\"type\":\"create\",\"widgetId\":\"w\"}", 0, &ev, &err), WC_OK);
    assert_int_equal(ev.kind, WC_S3_EVENTS_NONE);
    assert_int_equal(parse("not json", 0, &ev, &err), WC_OK);
    assert_int_equal(ev.kind, WC_S3_EVENTS_NONE);
    /* forced, they are errors */
    assert_int_equal(parse("{\"type\":\"create\"}", 1, &ev, &err), WC_ERR_PARSE);
    assert_non_null(strstr(err.msg, "not an S3 event notification"));
    assert_int_equal(parse("not json", 1, &ev, &err), WC_ERR_PARSE);
    assert_non_null(strstr(err.msg, "not JSON"));
}

static void eventbridge(void **state)
{
    (void)state;
    wc_s3_events ev;
    wc_error err;
    const char *body = "{\"version\":\"0\",\"id\":\"i\",\"detail-type\":\"Object Created\","
                       "\"source\":\"aws.s3\",\"detail\":{\"version\":\"0\",\"bucket\":{\"name\":"
                       "\"reqs\"},\"object\":{\"key\":\"a+b/1700000000001\",\"size\":7,"
                       "\"sequencer\":\"FF\"},\"reason\":\"PutObject\"}}";
    assert_int_equal(parse(body, 0, &ev, &err), WC_OK);
    assert_int_equal(ev.kind, WC_S3_EVENTS_RECORDS);
    assert_int_equal(ev.n, 1);
    assert_string_equal(ev.records[0].key, "a+b/1700000000001"); /* not encoded */
    assert_int_equal(ev.records[0].size, 7);
    wc_s3_events_cleanup(&ev);
    const char *deleted = "{\"detail-type\":\"Object Deleted\",\"source\":\"aws.s3\","
                          "\"detail\":{\"bucket\":{\"name\":\"reqs\"},\"object\":{\"key\":\"k\"}}}";
    assert_int_equal(parse(deleted, 0, &ev, &err), WC_OK);
    assert_int_equal(ev.n, 0);
    assert_int_equal(ev.skipped, 1);
    wc_s3_events_cleanup(&ev);
}

static void key_decoding(void **state)
{
    (void)state;
    char *k;
    wc_error err;
    assert_int_equal(wc_s3_key_decode("red+flower.jpg", &k, &err), WC_OK);
    assert_string_equal(k, "red flower.jpg");
    free(k);
    assert_int_equal(wc_s3_key_decode("a%2bb%20c%25", &k, &err), WC_OK);
    assert_string_equal(k, "a+b c%");
    free(k);
    const char *bad[] = {"a%", "a%2", "a%zz", "%00x", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(wc_s3_key_decode(bad[i], &k, &err), WC_ERR_PARSE);
        assert_null(k);
    }
    char *lng = malloc(1026);
    memset(lng, 'k', 1025);
    lng[1025] = '\0';
    assert_int_equal(wc_s3_key_decode(lng, &k, &err), WC_ERR_PARSE);
    lng[1024] = '\0';
    assert_int_equal(wc_s3_key_decode(lng, &k, &err), WC_OK);
    free(k);
    free(lng);
}

/* The producer's encoding (producer/notify.c) is what the parser decodes, byte for byte. */
static void encode_decode_round_trip(void **state)
{
    (void)state;
    const char *keys[] = {"in box/a+b/1764760000000-0000000001", "x=y&z*%~_.-", "\xc3\xa9 \t!"};
    char *enc = wc_s3_event_key_encode(keys[0]);
    assert_string_equal(enc, "in+box/a%2Bb/1764760000000-0000000001");
    free(enc);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *dec = NULL;
        enc = wc_s3_event_key_encode(keys[i]);
        wc_error err;
        assert_int_equal(wc_s3_key_decode(enc, &dec, &err), WC_OK);
        assert_string_equal(dec, keys[i]);
        free(enc);
        free(dec);
    }
}

static void malformed(void **state)
{
    (void)state;
    wc_s3_events ev;
    wc_error err;
    const char *bad[] = {
        "{\"Records\":[]}",
        "{\"Records\":{}}",
        "{\"Records\":[{\"eventSource\":\"aws:sqs\",\"eventName\":\"ObjectCreated:Put\","
        "\"s3\":{}}]}",
        "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
        "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{}}}]}",
        "{\"Records\":[" REC("ObjectCreated:Put", "k%zz") "]}",
        "{\"Records\":[" REC("ObjectCreated:Put", "ok") ",{\"eventSource\":\"aws:s3\"}]}",
        "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
        "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\",\"size\":\"9\"}}}]}",
        "{\"source\":\"aws.s3\",\"detail-type\":\"Object Created\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], 0, &ev, &err), WC_ERR_PARSE);
        assert_int_equal(ev.n, 0);
        assert_null(ev.records);
    }
    /* more records than the cap */
    size_t cap = (WC_S3_EVENTS_MAX_RECORDS + 1) * (sizeof(REC("ObjectCreated:Put", "k")) + 1) + 32;
    char *many = malloc(cap);
    size_t o = (size_t)snprintf(many, cap, "{\"Records\":[");
    for (int i = 0; i <= WC_S3_EVENTS_MAX_RECORDS; i++)
        o += (size_t)snprintf(many + o, cap - o, "%s" REC("ObjectCreated:Put", "k"), i ? "," : "");
    snprintf(many + o, cap - o, "]}");
    assert_int_equal(parse(many, 0, &ev, &err), WC_ERR_PARSE);
    assert_non_null(strstr(err.msg, "at most"));
    free(many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(several_records_decoded),
        cmocka_unit_test(test_event_and_requests),
        cmocka_unit_test(eventbridge),
        cmocka_unit_test(key_decoding),
        cmocka_unit_test(malformed),
        cmocka_unit_test(encode_decode_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
