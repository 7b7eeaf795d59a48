#include "aws/aws_error.h"
#include "common/clock.h"
#include "testutil.h"

static void s3_xml_error(void **state)
{
    const char *body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
        "<Message>The specified bucket does not exist</Message>"
        "<BucketName>usu-widgets</BucketName><RequestId>4442587FB7D0A2F9</RequestId>"
        "</Error>";
    wc_aws_error e;
    wc_aws_error_decode("s3", 404, body, strlen(body), NULL, &e);
    assert_string_equal(e.service, "s3");
    assert_string_equal(e.code, "NoSuchBucket");
    assert_string_equal(e.message, "The specified bucket does not exist");
    assert_string_equal(e.request_id, "4442587FB7D0A2F9");
    assert_int_equal(e.status, 404);
    char text[512];
    assert_string_equal(wc_aws_error_text(&e, text, sizeof(text)),
                        "NoSuchBucket: The specified bucket does not exist (HTTP 404, request id "
                        "4442587FB7D0A2F9)");
}

static void json_errors_of_dynamodb_and_sqs(void **state)
{
    const char *d = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
                    "\"message\":\"Requested resource not found\"}";
    wc_aws_error e;
    wc_aws_error_decode("dynamodb", 400, d, strlen(d), "RID1", &e);
    assert_string_equal(e.code, "ResourceNotFoundException");
    assert_string_equal(e.message, "Requested resource not found");
    assert_string_equal(e.request_id, "RID1");
    const char *q =
        "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The specified "
        "queue does not exist.\"}";
    wc_aws_error_decode("sqs", 400, q, strlen(q), NULL, &e);
    assert_string_equal(e.code, "QueueDoesNotExist");
    const char *plain = "{\"__type\":\"ThrottlingException\",\"Message\":\"Rate exceeded\"}";
    wc_aws_error_decode("sqs", 400, plain, strlen(plain), NULL, &e);
    assert_string_equal(e.code, "ThrottlingException");
    assert_string_equal(e.message, "Rate exceeded");
}

static void empty_or_broken_bodies_fall_back_to_the_status(void **state)
{
    wc_aws_error e;
    wc_aws_error_decode("s3", 404, "", 0, NULL, &e); /* HEAD */
    assert_string_equal(e.code, "NotFound");
    wc_aws_error_decode("s3", 503, "<Error><Co", 10, NULL, &e);
    assert_string_equal(e.code, "ServiceUnavailable");
    wc_aws_error_decode("dynamodb", 500, "{not json", 9, NULL, &e);
    assert_string_equal(e.code, "InternalError");
    char big[2000];
    memset(big, 'x', sizeof(big));
    wc_aws_error_decode("s3", 502, big, sizeof(big), NULL, &e);
    assert_string_equal(e.code, "ServerError");
}

/* One decoder, its parser reset between answers: each answer decoded as a fresh parser would,
 * whatever came before (a broken body, a JSON one, another XML error). */
static void a_decoder_reads_answer_after_answer(void **state)
{
    (void)state;
    wc_aws_error_decoder *d = wc_aws_error_decoder_new();
    assert_non_null(d);
    const char *key =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>NoSuchKey</Code>"
        "\n  <Message>The specified key does not exist.</Message>\n  "
        "<RequestId>R1</RequestId>\n</Error>";
    const char *bucket = "<Error><Code>NoSuchBucket</Code><RequestId>R2</RequestId></Error>";
    const char *broken = "<Error><Code>Slow";
    const char *json = "{\"__type\":\"x#Throttling\"}";
    const char *bodies[] = {key, broken, bucket, json, key, key};
    const char *codes[] = {"NoSuchKey",  "Slow",      "NoSuchBucket",
                           "Throttling", "NoSuchKey", "NoSuchKey"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        wc_aws_error e, fresh;
        wc_aws_error_decode_by(d, "s3", 404, bodies[i], strlen(bodies[i]), NULL, &e);
        wc_aws_error_decode("s3", 404, bodies[i], strlen(bodies[i]), NULL, &fresh);
        assert_string_equal(e.code, codes[i]);
        assert_memory_equal(&e, &fresh, sizeof(e));
    }
    wc_aws_error e;
    wc_aws_error_decode_by(d, "s3", 404, key, strlen(key), NULL, &e);
    assert_string_equal(e.message, "The specified key does not exist.");
    assert_string_equal(e.request_id, "R1");
    wc_aws_error_decoder_free(d);
    wc_aws_error_decoder_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(s3_xml_error),
        cmocka_unit_test(json_errors_of_dynamodb_and_sqs),
        cmocka_unit_test(empty_or_broken_bodies_fall_back_to_the_status),
        cmocka_unit_test(a_decoder_reads_answer_after_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
