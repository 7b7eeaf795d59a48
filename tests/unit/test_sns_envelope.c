/* The SNS envelope (sns_envelope.c): a topic's delivery to SQS without raw delivery unwrapped into
 * its request and place; malformed envelopes and, by mode, bodies that are or are not envelopes
 * rejected with a reason; large messages. */
#include <jansson.h>

#include "common/clock.h"
#include "core/place.h"
#include "sources/sns_envelope.h"
#include "testutil.h"

#define REQUEST                                                                                    \
    "{\"type\":\"create\",\"requestId\":\"r1\",\"widgetId\":\"w1\",\"owner\":\"Mary Matthews\"}"
#define ARN "arn:aws:sns:us-east-1:000000000000:requests"

/* A message as the SQS source reads it: its body whole. */
static wc_message message_of(const char *body, size_t max_body)
{
    wc_message m;
    memset(&m, 0, sizeof(m));
    m.key = strdup("sqs-id");
    m.body = strdup(body);
    m.len = strlen(body);
    m.too_large = m.len > max_body;
    m.place = strdup("1700000000000.?~sqsplace0000");
    return m;
}

/* An envelope as SNS writes it; fields NULL are left out; attrs is the MessageAttributes JSON. */
static char *envelope(const char *type, const char *id, const char *message, const char *timestamp,
                      const char *attrs)
{
    json_t *e = json_object();
    if (type)
        json_object_set_new(e, "Type", json_string(type));
    if (id)
        json_object_set_new(e, "MessageId", json_string(id));
    json_object_set_new(e, "TopicArn", json_string(ARN));
    json_object_set_new(e, "Subject", json_null());
    if (message)
        json_object_set_new(e, "Message", json_string(message));
    if (timestamp)
        json_object_set_new(e, "Timestamp", json_string(timestamp));
    json_object_set_new(e, "SignatureVersion", json_string("1"));
    json_object_set_new(e, "Signature", json_string("EXAMPLE"));
    if (attrs)
        json_object_set_new(e, "MessageAttributes", json_loads(attrs, 0, NULL));
    char *text = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    return text;
}

static void unwrap_ok(wc_message *m, wc_sns_envelope_mode mode, size_t max_body)
{
    assert_int_equal(wc_sns_envelope_unwrap(m, mode, max_body), WC_OK);
}

static void the_sequence_attribute_is_the_place(void **state)
{
    (void)state;
    char *body =
        envelope("Notification", "sns-1", REQUEST, "2025-12-03T11:29:33.123Z",
                 "{\"sequence\":{\"Type\":\"String\",\"Value\":\"1764761373123-0000000042\"}}");
    wc_message m = message_of(body, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
    assert_null(m.reject_why);
    assert_string_equal(m.body, REQUEST);
    assert_int_equal(m.len, strlen(REQUEST));
    assert_false(m.too_large);
    assert_string_equal(m.place, "1764761373123-0000000042");
    assert_string_equal(m.key, "sqs-id"); /* still the SQS message's: deferrals go by it */
    wc_message_cleanup(&m);
    free(body);
}

static void timestamp_and_message_id_make_the_place(void **state)
{
    (void)state;
    char *body = envelope("Notification", "sns-1", REQUEST, "2025-12-03T11:29:33.123Z", "{}");
    wc_message m = message_of(body, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_SNS, 1 << 20);
    assert_null(m.reject_why);
    char want[64];
    assert_true(wc_place_of_message(1764761373123ULL, "sns-1", want, sizeof(want)));
    assert_string_equal(m.place, want);
    assert_int_equal(strncmp(m.place, "1764761373123.?~", 16), 0);
    assert_string_equal(m.body, REQUEST);
    wc_message_cleanup(&m);
    free(body);
    /* no MessageAttributes at all: the same */
    body = envelope("Notification", "sns-1", REQUEST, "2025-12-03T11:29:33.123Z", NULL);
    m = message_of(body, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
    assert_string_equal(m.place, want);
    wc_message_cleanup(&m);
    free(body);
}

/* The body is parsed once for its readers (wc_message_doc); unwrapping replaces the body, and
 * the parse read after it is the request's, not the envelope's. A request is left as it is,
 * its parse kept for the next reader. */
static void the_parsed_body_follows_the_body(void **state)
{
    (void)state;
    char *body = envelope("Notification", "sns-1", REQUEST, "2025-12-03T11:29:33.123Z", NULL);
    wc_message m = message_of(body, 1 << 20);
    json_t *doc = wc_message_doc(&m);
    assert_non_null(json_object_get(doc, "Message")); /* the envelope */
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
    doc = wc_message_doc(&m);
    assert_null(json_object_get(doc, "Message"));
    assert_string_equal(json_string_value(json_object_get(doc, "widgetId")), "w1");
    wc_message_cleanup(&m);
    free(body);

    m = message_of(REQUEST, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
    assert_ptr_equal(m.doc, wc_message_doc(&m)); /* parsed by the unwrap, kept */
    assert_string_equal(json_string_value(json_object_get(m.doc, "widgetId")), "w1");
    wc_message_cleanup(&m);

    m = message_of("{oops", 1 << 20); /* not JSON: no parse, the request parser says why */
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
    assert_null(wc_message_doc(&m));
    assert_null(m.reject_why);
    wc_message_cleanup(&m);
}

static void timestamps(void **state)
{
    (void)state;
    uint64_t ms = 0;
    assert_true(wc_sns_timestamp_ms("1970-01-01T00:00:00.000Z", &ms));
    assert_int_equal(ms, 0);
    assert_true(wc_sns_timestamp_ms("2025-12-03T11:29:33.123Z", &ms));
    assert_int_equal(ms, 1764761373123ULL);
    assert_true(wc_sns_timestamp_ms("2025-12-03T11:29:33Z", &ms));
    assert_int_equal(ms, 1764761373000ULL);
    assert_true(wc_sns_timestamp_ms("2025-12-03T11:29:33.5Z", &ms));
    assert_int_equal(ms, 1764761373500ULL);
    assert_true(wc_sns_timestamp_ms("2025-12-03T11:29:33.123999Z", &ms));
    assert_int_equal(ms, 1764761373123ULL);
    assert_true(wc_sns_timestamp_ms("2024-02-29T23:59:59.999Z", &ms));
    const char *bad[] = {"",
                         "2026-12-03 11:29:33.123Z",
                         "2025-12-03T11:29:33.123",
                         "2025-12-03T11:29:33.123+01:00",
                         "2025-12-03T11:29:33.Z",
                         "2025-12-03T11:29:33.123Zx",
                         "2026-02-30T00:00:00.000Z",
                         "2025-02-29T00:00:00.000Z",
                         "2026-13-01T00:00:00.000Z",
                         "2026-12-03T24:00:00.000Z",
                         "1969-12-31T23:59:59.999Z",
                         "2026-1-03T11:29:33.123Z",
                         "+2025-12-03T11:29:33.123Z",
                         "9999-12-31T23:59:59.999Z"}; /* past 13 digits of milliseconds */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (wc_sns_timestamp_ms(bad[i], &ms))
            fail_msg("\"%s\" was taken", bad[i]);
    assert_false(wc_sns_timestamp_ms(NULL, &ms));
}

/* A malformed envelope: rejected with reason (the words), its body whole. */
static void rejected(const char *body, const char *words)
{
    wc_message m = message_of(body, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
    assert_non_null(m.reject_why);
    if (!strstr(m.reject_why, words))
        fail_msg("reason \"%s\" does not say \"%s\"", m.reject_why, words);
    assert_string_equal(m.body, body);
    assert_string_equal(m.place, "1700000000000.?~sqsplace0000");
    wc_message_cleanup(&m);
}

static void malformed_envelopes_are_rejected_with_a_reason(void **state)
{
    (void)state;
    const char *ts = "2025-12-03T11:29:33.123Z";
    char *b;
    rejected(b = envelope("Notification", "id", NULL, ts, NULL), "without a Message string");
    free(b);
    rejected("{\"Type\":\"Notification\",\"MessageId\":\"i\",\"TopicArn\":\"" ARN
             "\",\"Timestamp\":\"2025-12-03T11:29:33.123Z\",\"Message\":{\"type\":\"create\"}}",
             "without a Message string");
    rejected(b = envelope("Notification", "id", "", ts, NULL), "with an empty Message");
    free(b);
    rejected(b = envelope("Notification", NULL, REQUEST, ts, NULL), "without a MessageId");
    free(b);
    rejected(b = envelope("Notification", "", REQUEST, ts, NULL), "without a MessageId");
    free(b);
    rejected("{\"Type\":\"Notification\",\"MessageId\":\"i\",\"Message\":\"x\",\"Timestamp\":"
             "\"2025-12-03T11:29:33.123Z\"}",
             "without a TopicArn");
    rejected(b = envelope("Notification", "id", REQUEST, NULL, NULL),
             "Timestamp \"(missing or not a string)\"");
    free(b);
    rejected(b = envelope("Notification", "id", REQUEST, "yesterday", NULL),
             "Timestamp \"yesterday\" is not ISO 8601");
    free(b);
    rejected(
        b = envelope("Notification", "id", REQUEST, ts, "{\"sequence\":{\"Type\":\"Number\"}}"),
        "sequence has no string Value");
    free(b);
    rejected(b = envelope("SubscriptionConfirmation", "id", "You have chosen", ts, NULL),
             "Type \"SubscriptionConfirmation\" is not a Notification");
    free(b);
    rejected(b = envelope("Notification", "id", REQUEST, "2025\n\x01-12-03T11:29:33.123Z", NULL),
             "Timestamp \"2025\?\?-12-03T11:29:33.123Z\" is not");
    free(b);
    rejected("{\"Type\":7}", "Type is not a string");
    rejected("{\"Type\":null,\"type\":\"create\"}", "Type is not a string");
}

static void modes(void **state)
{
    (void)state;
    /* a request: untouched in auto and none, rejected in sns */
    wc_message m = message_of(REQUEST, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
    assert_null(m.reject_why);
    assert_string_equal(m.body, REQUEST);
    assert_string_equal(m.place, "1700000000000.?~sqsplace0000");
    unwrap_ok(&m, WC_SNS_ENVELOPE_NONE, 1 << 20);
    assert_null(m.reject_why);
    unwrap_ok(&m, WC_SNS_ENVELOPE_SNS, 1 << 20);
    assert_non_null(strstr(m.reject_why, "not an SNS envelope"));
    assert_non_null(strstr(m.reject_why, "--sqs-envelope is sns"));
    assert_string_equal(m.body, REQUEST);
    wc_message_cleanup(&m);
    /* not JSON, an array, duplicate members: bad requests in auto (the parser says so), rejected in
     * sns */
    const char *others[] = {"not json", "[1,2]", "", "{\"type\":\"create\"}",
                            "{\"Type\":\"Notification\",\"Message\":\"a\",\"Message\":\"b\"}"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        m = message_of(others[i], 1 << 20);
        unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 1 << 20);
        assert_null(m.reject_why);
        assert_string_equal(m.body, others[i]);
        unwrap_ok(&m, WC_SNS_ENVELOPE_SNS, 1 << 20);
        assert_non_null(m.reject_why);
        wc_message_cleanup(&m);
    }
    /* an envelope with none: left as it is, to be a bad request */
    char *body = envelope("Notification", "sns-1", REQUEST, "2025-12-03T11:29:33.123Z", NULL);
    m = message_of(body, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_NONE, 1 << 20);
    assert_null(m.reject_why);
    assert_string_equal(m.body, body);
    wc_message_cleanup(&m);
    free(body);
    wc_sns_envelope_mode mode;
    assert_true(wc_sns_envelope_mode_parse("sns", &mode));
    assert_int_equal(mode, WC_SNS_ENVELOPE_SNS);
    assert_true(wc_sns_envelope_mode_parse("none", &mode));
    assert_int_equal(mode, WC_SNS_ENVELOPE_NONE);
    assert_true(wc_sns_envelope_mode_parse("auto", &mode));
    assert_int_equal(mode, WC_SNS_ENVELOPE_AUTO);
    assert_false(wc_sns_envelope_mode_parse("SNS", &mode));
    assert_false(wc_sns_envelope_mode_parse(NULL, &mode));
}

/* A request of n bytes whose description is full of characters JSON escapes. */
static char *large_request(size_t n)
{
    const char *head =
        "{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"Mo\","
        "\"description\":\"";
    char *r = malloc(n + 1);
    size_t h = strlen(head);
    memcpy(r, head, h);
    for (size_t i = h; i < n - 2; i++)
        r[i] = i % 7 == 0 ? '/' : 'a' + (char)(i % 26);
    memcpy(r + n - 2, "\"}", 3);
    return r;
}

static void large_messages(void **state)
{
    (void)state;
    size_t cap = 262144;
    char *inner = large_request(200000);
    char *body = envelope("Notification", "big", inner, "2025-12-03T11:29:33.123Z", NULL);
    assert_true(strlen(body) > 200000 && strlen(body) <= cap);
    wc_message m = message_of(body, cap);
    unwrap_ok(&m, WC_SNS_ENVELOPE_SNS, cap);
    assert_null(m.reject_why);
    assert_int_equal(m.len, 200000);
    assert_memory_equal(m.body, inner, 200000);
    assert_false(m.too_large);
    wc_message_cleanup(&m);
    free(body);
    free(inner);
    /* an envelope over the cap is not read: too large, dead-lettered unread as any such body */
    inner = large_request(cap);
    body = envelope("Notification", "big", inner, "2025-12-03T11:29:33.123Z", NULL);
    m = message_of(body, cap);
    assert_true(m.too_large);
    unwrap_ok(&m, WC_SNS_ENVELOPE_SNS, cap);
    assert_null(m.reject_why);
    assert_true(m.too_large);
    assert_string_equal(m.body, body);
    wc_message_cleanup(&m);
    free(body);
    free(inner);
    /* an inner message over a smaller cap than its envelope's (not from the SQS source, whose
     * cap is one): too large */
    body = envelope("Notification", "big", REQUEST, "2025-12-03T11:29:33.123Z", NULL);
    m = message_of(body, 1 << 20);
    unwrap_ok(&m, WC_SNS_ENVELOPE_AUTO, 10);
    assert_true(m.too_large);
    wc_message_cleanup(&m);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_sequence_attribute_is_the_place),
        cmocka_unit_test(timestamp_and_message_id_make_the_place),
        cmocka_unit_test(the_parsed_body_follows_the_body),
        cmocka_unit_test(timestamps),
        cmocka_unit_test(malformed_envelopes_are_rejected_with_a_reason),
        cmocka_unit_test(modes),
        cmocka_unit_test(large_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
