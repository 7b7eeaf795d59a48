/* Tests of the AWS client (client.c) against the scripted fake transport: signing with the
 * injected time, retries with backoff on a fake clock, what each kind of error answer means, the
 * body cap, cancelling and abandoning calls. No network. */
#include "aws/client.h"
#include "fake_transport.h"

typedef struct {
    fake_aws a;
} fixture;

static time_t fixed_time(void)
{
    return 1440938160; /* 2015-08-30T12:36:00Z */
}

/* Full jitter at its top: the waits are the caps themselves, so the test can add them up. */
static uint64_t all_of_it(void *state, uint64_t n)
{
    return n;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fake_aws_init(&f->a, "AKIDCLIENTTEST", fixed_time, all_of_it);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fake_aws_cleanup(&f->a);
    free(f);
    return 0;
}

/* One JSON call, waited for; the answer's text in *out (freed by the caller) when asked. */
static wc_result json_call(fixture *f, const char *target, wc_error *err)
{
    wc_aws_error aerr;
    json_t *answer = NULL;
    wc_result r = wc_aws_json(f->a.aws, "sqs", target, json_pack("{s:s}", "QueueUrl", "q"), &answer,
                              &aerr, err);
    json_decref(answer);
    return r;
}

static void signs_with_the_injected_time_and_credentials(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "{}"});
    assert_int_equal(json_call(f, "AmazonSQS.GetQueueAttributes", NULL), WC_OK);
    assert_int_equal(f->a.fake.n_requests, 1);
    const char *sent = f->a.fake.requests[0];
    assert_non_null(strstr(sent, "POST http://127.0.0.1:1/\n"));
    assert_non_null(strstr(sent, "X-Amz-Date: 20150830T123600Z\n"));
    assert_non_null(strstr(sent, "Credential=AKIDCLIENTTEST/20150830/us-east-1/sqs/aws4_request"));
    assert_non_null(strstr(sent, "X-Amz-Target: AmazonSQS.GetQueueAttributes\n"));
    assert_non_null(strstr(sent, "\n\n{\"QueueUrl\":\"q\"}"));
}

static void throttling_and_5xx_are_retried_with_backoff_then_succeed(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.status = 400,
                                          .body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                                                  "ProvisionedThroughputExceededException\","
                                                  "\"message\":\"slow down\"}"});
    fake_script(&f->a.fake, (fake_answer){.status = 503, .body = ""});
    fake_script(&f->a.fake, (fake_answer){.status = 500, .body = "{\"__type\":\"InternalError\"}"});
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "{}"});
    uint64_t t0 = f->a.t.now;
    assert_int_equal(json_call(f, "AmazonSQS.ReceiveMessage", NULL), WC_OK);
    assert_int_equal(f->a.fake.n_requests, 4);
    /* Each retry waited on a timer of the loop, 50, 100 and 200 ms (the fake clock moved to each;
     * nothing slept). */
    assert_int_equal(f->a.t.now - t0, 350);
    assert_int_equal(wc_aws_get_stats(f->a.aws)->retries, 3);
    assert_int_equal(wc_aws_get_stats(f->a.aws)->sent, 4);
}

static void s3_slowdown_in_xml_is_retried(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake,
                (fake_answer){.status = 503,
                              .body = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
                                      "<Message>Reduce your request rate.</Message></Error>"});
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "x"});
    wc_aws_request req = {"s3", "GET", "http://127.0.0.1:1", "/b/k", NULL, 0, NULL, 0, NULL, 0, 0,
                          0,    0};
    wc_http_response resp;
    wc_aws_error aerr;
    assert_int_equal(wc_aws_send(f->a.aws, &req, &resp, &aerr, NULL), WC_OK);
    assert_string_equal(resp.body, "x");
    wc_http_response_cleanup(&resp);
    assert_int_equal(f->a.fake.n_requests, 2);
}

/* What an answer means: "not there" only from the answers that say so about the object named. */
static void each_error_answer_means_what_it_says(void **state)
{
    fixture *f = *state;
    struct {
        const char *service;
        long status;
        const char *body;
        wc_result want;
    } cases[] = {
        {"s3", 404, "<Error><Code>NoSuchKey</Code><Message>m</Message></Error>", WC_ERR_NOT_FOUND},
        {"s3", 404, "<Error><Code>NoSuchBucket</Code><Message>m</Message></Error>", WC_ERR_IO},
        {"s3", 403, "<Error><Code>AccessDenied</Code><Message>m</Message></Error>", WC_ERR_IO},
        {"s3", 412, "<Error><Code>PreconditionFailed</Code></Error>", WC_ERR_CONFLICT},
        {"s3", 400, "<Error><Code>KeyTooLongError</Code></Error>", WC_ERR_REJECTED},
        {"dynamodb", 400,
         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\"}", WC_ERR_IO},
        {"dynamodb", 400,
         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\"}",
         WC_ERR_CONFLICT},
        {"dynamodb", 400, "{\"__type\":\"com.amazon.coral.validate#ValidationException\"}",
         WC_ERR_REJECTED},
        {"sqs", 400, "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\"}", WC_ERR_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_script(&f->a.fake, (fake_answer){.status = cases[i].status, .body = cases[i].body});
        wc_aws_request req = {cases[i].service,
                              "GET",
                              "http://127.0.0.1:1",
                              "/x",
                              NULL,
                              0,
                              NULL,
                              0,
                              NULL,
                              0,
                              0,
                              0,
                              0};
        wc_http_response resp;
        wc_aws_error aerr;
        wc_error err;
        wc_result r = wc_aws_send(f->a.aws, &req, &resp, &aerr, &err);
        if (r != cases[i].want)
            fail_msg("case %zu (%s): got %s, want %s (%s)", i, cases[i].body, wc_result_name(r),
                     wc_result_name(cases[i].want), err.msg);
    }
    /* Client errors are not retried: one request each. */
    assert_int_equal(f->a.fake.n_requests, sizeof(cases) / sizeof(cases[0]));
}

static void network_failures_are_retried_then_reported(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 5; i++)
        fake_script(&f->a.fake, (fake_answer){.net_error = 1});
    wc_error err;
    assert_int_equal(json_call(f, "AmazonSQS.ReceiveMessage", &err), WC_ERR_IO);
    assert_int_equal(f->a.fake.n_requests, 5); /* the default: five tries in all */
    assert_non_null(strstr(err.msg, "NetworkError"));
    assert_non_null(strstr(err.msg, "Connection reset by peer"));
}

static void an_answer_over_the_cap_is_an_error_not_retried(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "0123456789"});
    wc_aws_request req = {"s3", "GET", "http://127.0.0.1:1", "/b/k", NULL, 0, NULL, 0, NULL, 0, 0,
                          0,    5};
    wc_http_response resp;
    wc_aws_error aerr;
    assert_int_equal(wc_aws_send(f->a.aws, &req, &resp, &aerr, NULL), WC_ERR_TOO_LARGE);
    assert_int_equal(f->a.fake.n_requests, 1);
}

static void malformed_json_answers_are_parse_errors(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "{\"Messages\": ["});
    wc_error err;
    assert_int_equal(json_call(f, "AmazonSQS.ReceiveMessage", &err), WC_ERR_PARSE);
    assert_non_null(strstr(err.msg, "answer is not JSON"));
}

static int called;
static void count_call(void *ctx, wc_result r, json_t *answer, const wc_aws_error *aerr,
                       const wc_error *err)
{
    called++;
}

static void a_cancelled_call_never_calls_back(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.hang = 1});
    wc_aws_call *call = NULL;
    called = 0;
    assert_int_equal(wc_aws_json_start_h(f->a.aws, "sqs", "AmazonSQS.ReceiveMessage",
                                         json_pack("{s:s}", "QueueUrl", "q"), count_call, NULL,
                                         &call, NULL),
                     WC_OK);
    assert_int_equal(wc_aws_in_flight(f->a.aws), 1);
    wc_aws_cancel(f->a.aws, call);
    assert_int_equal(wc_aws_in_flight(f->a.aws), 0);
    assert_int_equal(f->a.fake.in_flight, 0);
    for (int i = 0; i < 3; i++)
        wc_loop_turn(f->a.loop, 0);
    assert_int_equal(called, 0);
}

/* Calls still in flight when the client is freed are dropped with all they hold (valgrind and
 * LeakSanitizer check that nothing is left), their callbacks never called. */
static void freeing_the_client_drops_its_calls(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.hang = 1});
    fake_script(&f->a.fake, (fake_answer){.status = 503}); /* then waits for a retry */
    called = 0;
    for (int i = 0; i < 2; i++)
        assert_int_equal(wc_aws_json_start(f->a.aws, "sqs", "AmazonSQS.ReceiveMessage",
                                           json_pack("{s:s}", "QueueUrl", "q"), count_call, NULL,
                                           NULL),
                         WC_OK);
    wc_loop_turn(f->a.loop, 0);
    assert_int_equal(wc_aws_in_flight(f->a.aws), 2);
    wc_aws_free(f->a.aws);
    f->a.aws = NULL;
    assert_int_equal(called, 0);
}

static wc_result abandoned_result;
static void record_result(void *ctx, wc_result r, json_t *answer, const wc_aws_error *aerr,
                          const wc_error *err)
{
    called++;
    abandoned_result = r;
}

static void abandoning_ends_every_call_through_its_callback(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.hang = 1});
    fake_script(&f->a.fake, (fake_answer){.status = 503}); /* then waits for a retry */
    called = 0;
    for (int i = 0; i < 2; i++)
        assert_int_equal(wc_aws_json_start(f->a.aws, "sqs", "AmazonSQS.ReceiveMessage",
                                           json_pack("{s:s}", "QueueUrl", "q"), record_result, NULL,
                                           NULL),
                         WC_OK);
    wc_loop_turn(f->a.loop, 0); /* the 503 comes: a retry waits on a timer */
    assert_int_equal(wc_aws_in_flight(f->a.aws), 2);
    wc_aws_abandon(f->a.aws);
    assert_int_equal(called, 2);
    assert_int_equal(abandoned_result, WC_ERR_IO);
    assert_int_equal(wc_aws_in_flight(f->a.aws), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(signs_with_the_injected_time_and_credentials),
        T(throttling_and_5xx_are_retried_with_backoff_then_succeed),
        T(s3_slowdown_in_xml_is_retried),
        T(each_error_answer_means_what_it_says),
        T(network_failures_are_retried_then_reported),
        T(an_answer_over_the_cap_is_an_error_not_retried),
        T(malformed_json_answers_are_parse_errors),
        T(a_cancelled_call_never_calls_back),
        T(abandoning_ends_every_call_through_its_callback),
        T(freeing_the_client_drops_its_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
