/* The SQS calls (sqs.c) against scripted answers: the bodies of ReceiveMessage, the batches and
 * SendMessage, and how their answers are read. */
#include "aws/sqs.h"
#include "fake_transport.h"

#define QUEUE "https://sqs.us-east-1.amazonaws.com/123456789012/requests"

static int setup(void **state)
{
    *state = fake_world_new(NULL);
    return 0;
}

static int teardown(void **state)
{
    fake_world_free(*state);
    return 0;
}

/* The request's body must equal the JSON text expected (compared as JSON, not as text). */
static void assert_body(const fake_request *r, const char *expected)
{
    json_t *got = fake_request_json(r);
    json_error_t jerr;
    json_t *want = json_loads(expected, 0, &jerr);
    if (!want)
        fail_msg("bad expected JSON: %s", jerr.text);
    if (!json_equal(got, want)) {
        char *text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("body %s\n  wanted %s", text, expected);
    }
    json_decref(got);
    json_decref(want);
}

/* What a call's done callback was given (the answer: a new reference, or NULL). */
typedef struct {
    int done;
    wc_result result;
    json_t *answer;
} answered;

static void on_answer(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                      const wc_error *err)
{
    answered *a = ctx;
    (void)aerr;
    (void)err;
    a->done = 1;
    a->result = result;
    a->answer = answer ? json_incref(answer) : NULL;
}

static void receive_asks_for_counts_and_attributes_with_a_long_poll(void **state)
{
    fake_world *w = *state;
    fake_header(fake_reply(w->fake, "AmazonSQS.ReceiveMessage", 200,
                           "{\"Messages\":[{\"MessageId\":\"m1\",\"ReceiptHandle\":\"r1\","
                           "\"Body\":\"{}\",\"Attributes\":{\"ApproximateReceiveCount\":\"2\"}}]}"),
                "x-amzn-RequestId", "REQ");
    fake_reply(w->fake, "AmazonSQS.ReceiveMessage", 200, "{}");
    answered a = {0}, b = {0};
    wc_error err;
    assert_int_equal(wc_sqs_start(w->aws, "ReceiveMessage", wc_sqs_receive_body(QUEUE, 10, 20, 30),
                                  on_answer, &a, NULL, &err),
                     WC_OK);
    fake_run(w);
    assert_int_equal(a.result, WC_OK);
    json_t *messages = json_object_get(a.answer, "Messages");
    assert_int_equal(json_array_size(messages), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(messages, 0), "Body")),
                        "{}");
    json_decref(a.answer);
    const fake_request *r = fake_last(w->fake);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->url, "https://sqs.us-east-1.amazonaws.com/");
    assert_string_equal(fake_request_header(r, "X-Amz-Target"), "AmazonSQS.ReceiveMessage");
    assert_string_equal(fake_request_header(r, "Content-Type"), "application/x-amz-json-1.0");
    assert_int_equal(r->timeout_ms, 35000); /* the 20 s wait on top of the usual 15 s */
    assert_body(r, "{\"QueueUrl\":\"" QUEUE "\",\"MaxNumberOfMessages\":10,"
                   "\"WaitTimeSeconds\":20,\"VisibilityTimeout\":30,"
                   "\"AttributeNames\":[\"ApproximateReceiveCount\",\"SentTimestamp\"],"
                   "\"MessageSystemAttributeNames\":[\"ApproximateReceiveCount\","
                   "\"SentTimestamp\"],"
                   "\"MessageAttributeNames\":[\"All\"]}");
    /* No wait: the usual timeout. */
    assert_int_equal(wc_sqs_start(w->aws, "ReceiveMessage", wc_sqs_receive_body(QUEUE, 1, 0, 5),
                                  on_answer, &b, NULL, &err),
                     WC_OK);
    fake_run(w);
    assert_int_equal(b.result, WC_OK);
    json_decref(b.answer);
    assert_int_equal(fake_last(w->fake)->timeout_ms, 15000);
}

static void batch_bodies_number_their_entries(void **state)
{
    (void)state;
    char *receipts[3] = {"r-a", "r-b", "r-c"};
    int seconds[3] = {1, 0, 43200};
    json_t *del = wc_sqs_batch_body(QUEUE, receipts, NULL, 3);
    json_t *hide = wc_sqs_batch_body(QUEUE, receipts, seconds, 3);
    json_t *want_del = json_loads(
        "{\"QueueUrl\":\"" QUEUE "\",\"Entries\":[{\"Id\":\"m0\",\"ReceiptHandle\":\"r-a\"},"
        "{\"Id\":\"m1\",\"ReceiptHandle\":\"r-b\"},{\"Id\":\"m2\",\"ReceiptHandle\":\"r-c\"}]}",
        0, NULL);
    json_t *want_hide =
        json_loads("{\"QueueUrl\":\"" QUEUE "\",\"Entries\":["
                   "{\"Id\":\"m0\",\"ReceiptHandle\":\"r-a\",\"VisibilityTimeout\":1},"
                   "{\"Id\":\"m1\",\"ReceiptHandle\":\"r-b\",\"VisibilityTimeout\":0},"
                   "{\"Id\":\"m2\",\"ReceiptHandle\":\"r-c\",\"VisibilityTimeout\":43200}]}",
                   0, NULL);
    assert_true(json_equal(del, want_del));
    assert_true(json_equal(hide, want_hide));
    json_decref(del);
    json_decref(hide);
    json_decref(want_del);
    json_decref(want_hide);
}

static void send_carries_fifo_ids_and_the_reason(void **state)
{
    fake_world *w = *state;
    fake_times(fake_reply(w->fake, "AmazonSQS.SendMessage", 200, "{\"MessageId\":\"x\"}"), 2);
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_sqs_send(w->aws, QUEUE ".fifo", "{\"a\":1}", "widget-1", "req-1", NULL,
                                 NULL, &aerr, &err),
                     WC_OK);
    assert_body(fake_last(w->fake), "{\"QueueUrl\":\"" QUEUE ".fifo\",\"MessageBody\":"
                                    "\"{\\\"a\\\":1}\",\"MessageGroupId\":\"widget-1\","
                                    "\"MessageDeduplicationId\":\"req-1\"}");
    assert_int_equal(
        wc_sqs_send(w->aws, QUEUE, "bad body", NULL, NULL, "not JSON", NULL, &aerr, &err), WC_OK);
    assert_body(fake_last(w->fake),
                "{\"QueueUrl\":\"" QUEUE "\",\"MessageBody\":\"bad body\",\"MessageAttributes\":"
                "{\"reason\":{\"DataType\":\"String\",\"StringValue\":\"not JSON\"}}}");
    assert_string_equal(fake_request_header(fake_last(w->fake), "X-Amz-Target"),
                        "AmazonSQS.SendMessage");
}

/* SendMessageBatch: each entry is SendMessage's body with an id and without the queue; a
 * message SQS did not take is an error that names it. */
static void send_batch_numbers_entries_and_reports_what_failed(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, "AmazonSQS.SendMessageBatch", 200,
               "{\"Successful\":[{\"Id\":\"m0\",\"MessageId\":\"a\"},{\"Id\":\"m1\",\"MessageId\":"
               "\"b\"}]}");
    fake_reply(w->fake, "AmazonSQS.SendMessageBatch", 200,
               "{\"Successful\":[{\"Id\":\"m0\",\"MessageId\":\"a\"}],\"Failed\":[{\"Id\":\"m1\","
               "\"SenderFault\":true,\"Code\":\"InvalidMessageContents\",\"Message\":\"bad\"}]}");
    wc_sqs_entry e[2] = {{"{\"a\":1}", NULL, NULL, NULL}, {"two", "g", "d", "0000000000001-1"}};
    size_t failed = 9;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_sqs_send_batch(w->aws, QUEUE, e, 2, &failed, &aerr, &err), WC_OK);
    assert_int_equal(failed, 0);
    assert_string_equal(fake_request_header(fake_last(w->fake), "X-Amz-Target"),
                        "AmazonSQS.SendMessageBatch");
    assert_body(fake_last(w->fake),
                "{\"QueueUrl\":\"" QUEUE "\",\"Entries\":[{\"Id\":\"m0\",\"MessageBody\":"
                "\"{\\\"a\\\":1}\"},{\"Id\":\"m1\",\"MessageBody\":\"two\",\"MessageGroupId\":"
                "\"g\",\"MessageDeduplicationId\":\"d\",\"MessageAttributes\":{\"sequence\":"
                "{\"DataType\":\"String\",\"StringValue\":\"0000000000001-1\"}}}]}");
    assert_int_equal(wc_sqs_send_batch(w->aws, QUEUE, e, 2, &failed, &aerr, &err), WC_ERR_REJECTED);
    assert_int_equal(failed, 1);
    assert_string_equal(err.msg, "SendMessageBatch: 1 of 2 messages not sent; entry m1: "
                                 "InvalidMessageContents: bad");
}

static void a_queue_is_found_by_name_or_checked_by_url(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, "AmazonSQS.GetQueueUrl", 200, "{\"QueueUrl\":\"" QUEUE "\"}");
    fake_reply(w->fake, "AmazonSQS.GetQueueAttributes", 200,
               "{\"Attributes\":{\"QueueArn\":\"arn:aws:sqs:us-east-1:123456789012:requests\"}}");
    fake_reply(w->fake, "AmazonSQS.GetQueueUrl", 400,
               "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The specified "
               "queue does not exist.\"}");
    fake_reply(w->fake, "AmazonSQS.GetQueueUrl", 200, "{}");
    char *url = NULL;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_sqs_queue_url(w->aws, "requests", &url, &aerr, &err), WC_OK);
    assert_string_equal(url, QUEUE);
    free(url);
    assert_body(fake_last(w->fake), "{\"QueueName\":\"requests\"}");
    assert_int_equal(wc_sqs_queue_url(w->aws, QUEUE, &url, &aerr, &err), WC_OK);
    assert_string_equal(url, QUEUE);
    free(url);
    assert_body(fake_last(w->fake),
                "{\"QueueUrl\":\"" QUEUE "\",\"AttributeNames\":[\"QueueArn\"]}");
    assert_int_equal(wc_sqs_queue_url(w->aws, "nope", &url, &aerr, &err), WC_ERR_NOT_FOUND);
    assert_null(url);
    assert_string_equal(aerr.code, "QueueDoesNotExist");
    assert_int_equal(wc_sqs_queue_url(w->aws, "odd", &url, &aerr, &err), WC_ERR_PARSE);
    assert_null(url);
    fake_assert_all_used(w->fake);
}

static void the_redrive_policy_is_read_from_the_attributes(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, "RedrivePolicy", 200,
               "{\"Attributes\":{\"RedrivePolicy\":\"{\\\"maxReceiveCount\\\":\\\"5\\\"}\"}}");
    fake_reply(w->fake, "RedrivePolicy", 200, "{\"Attributes\":{}}");
    char *policy = NULL;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_sqs_redrive_policy(w->aws, QUEUE, &policy, &aerr, &err), WC_OK);
    assert_string_equal(policy, "{\"maxReceiveCount\":\"5\"}");
    free(policy);
    assert_int_equal(wc_sqs_redrive_policy(w->aws, QUEUE, &policy, &aerr, &err), WC_OK);
    assert_string_equal(policy, "");
    free(policy);
    assert_body(fake_last(w->fake),
                "{\"QueueUrl\":\"" QUEUE "\",\"AttributeNames\":[\"RedrivePolicy\"]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(receive_asks_for_counts_and_attributes_with_a_long_poll,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(batch_bodies_number_their_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(send_carries_fifo_ids_and_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(send_batch_numbers_entries_and_reports_what_failed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_queue_is_found_by_name_or_checked_by_url, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_redrive_policy_is_read_from_the_attributes, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
