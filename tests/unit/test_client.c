/* The AWS client (client.c) against scripted answers: signing, retries with backoff on the fake
 * clock, what each kind of answer means, size caps, bad JSON, cancelling. */
#include "aws/client.h"
#include "aws/http.h"
#include "cred_calls.h"

#define S3_BASE "https://s3.us-east-1.amazonaws.com"

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

static int starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* What a call waited for gave. */
typedef struct {
    wc_http_response resp; /* an S3 call's */
    json_t *out;           /* a JSON call's answer (or NULL) */
    wc_aws_error aerr;
    wc_error err;
} waited;

/* One S3 call, waited for. */
static wc_result s3_call(fake_world *w, const char *method, const char *path, const char *body,
                         size_t max_body, waited *a)
{
    wc_aws_request req = {.service = "s3",
                          .method = method,
                          .base = S3_BASE,
                          .path = path,
                          .body = body,
                          .body_len = body ? strlen(body) : 0,
                          .max_body = max_body};
    return wc_aws_send(w->aws, &req, &a->resp, &a->aerr, &a->err);
}

/* One AWS JSON call, waited for; *out gets the answer (or NULL). */
static wc_result json_call(fake_world *w, const char *service, const char *target, waited *a)
{
    return wc_aws_json(w->aws, service, target, json_pack("{s:s}", "TableName", "widgets"), &a->out,
                       &a->aerr, &a->err);
}

#define S3_ERROR(code, message)                                                                    \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" code "</Code><Message>" message    \
    "</Message><RequestId>XMLREQ</RequestId></Error>"

#define DYNAMO_ERROR(code, message)                                                                \
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#" code "\",\"message\":\"" message "\"}"

/* --- signing --- */

static void signs_with_the_injected_wall_time(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, "GET /bucket/a%20key", 200, "hello");
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/a key", NULL, 0, &a), WC_OK);
    assert_string_equal(a.resp.body, "hello");
    wc_http_response_cleanup(&a.resp);

    const fake_request *r = fake_last(w->fake);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->url, S3_BASE "/bucket/a%20key");
    assert_string_equal(fake_request_header(r, "X-Amz-Date"), "20150830T123600Z");
    assert_string_equal(fake_request_header(r, "Host"), "s3.us-east-1.amazonaws.com");
    assert_string_equal(fake_request_header(r, "X-Amz-Content-SHA256"),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *auth = fake_request_header(r, "Authorization");
    assert_true(starts_with(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/"
                                  "aws4_request, SignedHeaders=host;x-amz-content-sha256;"
                                  "x-amz-date, Signature="));
    assert_null(fake_request_header(r, "X-Amz-Security-Token"));

    /* The signature is the one of exactly the headers that were sent. */
    fake_assert_signed_as_sent(r, "/bucket/a key", NULL, 0);
}

static void signs_the_body(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, "PUT /bucket/k", 200, "");
    waited a;
    assert_int_equal(s3_call(w, "PUT", "/bucket/k", "body", 0, &a), WC_OK);
    wc_http_response_cleanup(&a.resp);
    const fake_request *r = fake_last(w->fake);
    assert_string_equal(r->body, "body");
    assert_int_equal(r->body_len, 4);
    char hash[65];
    wc_sha256_hex("body", 4, hash);
    assert_string_equal(fake_request_header(r, "X-Amz-Content-SHA256"), hash);
}

static void signs_the_session_token_when_there_is_one(void **state)
{
    fake_world *w = *state;
    /* The credentials are read on the first call: a token set before it is used. */
    setenv("AWS_SESSION_TOKEN", "TOKEN/with+chars=", 1);
    fake_reply(w->fake, "dynamodb", 200, "{}");
    waited a;
    assert_int_equal(json_call(w, "dynamodb", "DynamoDB_20120810.DescribeTable", &a), WC_OK);
    json_decref(a.out);
    unsetenv("AWS_SESSION_TOKEN");
    const fake_request *r = fake_last(w->fake);
    assert_string_equal(fake_request_header(r, "X-Amz-Security-Token"), "TOKEN/with+chars=");
    const char *auth = fake_request_header(r, "Authorization");
    assert_non_null(strstr(auth, "/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=content-"
                                 "type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;"
                                 "x-amz-target, Signature="));
    assert_string_equal(r->url, "https://dynamodb.us-east-1.amazonaws.com/");
    assert_string_equal(fake_request_header(r, "X-Amz-Target"), "DynamoDB_20120810.DescribeTable");
    assert_string_equal(fake_request_header(r, "Content-Type"), "application/x-amz-json-1.0");
    assert_string_equal(r->body, "{\"TableName\":\"widgets\"}");
}

static void a_retry_is_signed_anew_at_its_own_time(void **state)
{
    fake_world *w = *state;
    fake_delay(fake_reply(w->fake, NULL, 503, S3_ERROR("SlowDown", "Reduce your request rate")),
               3000);
    fake_reply(w->fake, NULL, 200, "ok");
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_OK);
    wc_http_response_cleanup(&a.resp);
    assert_int_equal(fake_count(w->fake), 2);
    assert_string_equal(fake_request_header(fake_request_at(w->fake, 0), "X-Amz-Date"),
                        "20150830T123600Z");
    /* Answered 3 s later, retried 50 ms after that. */
    assert_int_equal(fake_request_at(w->fake, 1)->at_ms - fake_request_at(w->fake, 0)->at_ms, 3050);
    assert_string_equal(fake_request_header(fake_request_at(w->fake, 1), "X-Amz-Date"),
                        "20150830T123603Z");
}

/* Each service has its own endpoint, resolved once and kept (SNS's is not DynamoDB's). */
static void each_service_has_its_own_endpoint(void **state)
{
    fake_world *w = *state;
    const char *services[] = {"dynamodb", "sns", "s3", "sqs", "dynamodb", "sns"};
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        wc_error err;
        const wc_endpoint *ep = wc_aws_endpoint(w->aws, services[i], &err);
        char want[64];
        snprintf(want, sizeof(want), "https://%s.us-east-1.amazonaws.com", services[i]);
        assert_non_null(ep);
        assert_string_equal(ep->base, want);
    }
    wc_error err; /* a service without a slot of its own has none of another's */
    assert_null(wc_aws_endpoint(w->aws, "sts", &err));
    assert_string_equal(err.msg, "unknown AWS service \"sts\"");
    assert_string_equal(wc_aws_endpoint(w->aws, "sns", &err)->base,
                        "https://sns.us-east-1.amazonaws.com");
}

/* --- retries --- */

static void retries_s3_slowdown_with_backoff_then_succeeds(void **state)
{
    fake_world *w = *state;
    fake_times(fake_reply(w->fake, "GET /bucket/k", 503,
                          S3_ERROR("SlowDown", "Please reduce your request rate.")),
               2);
    fake_header(fake_reply(w->fake, "GET /bucket/k", 200, "data"), "ETag", "\"abc\"");
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_OK);
    assert_string_equal(a.resp.body, "data");
    assert_string_equal(a.resp.etag, "\"abc\"");
    wc_http_response_cleanup(&a.resp);
    assert_int_equal(fake_count(w->fake), 3);
    /* Backoff on the loop's (fake) clock: 50 ms, then 100 ms. */
    assert_int_equal(fake_request_at(w->fake, 0)->at_ms, FAKE_START_MS);
    assert_int_equal(fake_request_at(w->fake, 1)->at_ms, FAKE_START_MS + 50);
    assert_int_equal(fake_request_at(w->fake, 2)->at_ms, FAKE_START_MS + 150);
    assert_int_equal(wc_aws_get_stats(w->aws)->sent, 3);
    assert_int_equal(wc_aws_get_stats(w->aws)->retries, 2);
    fake_assert_all_used(w->fake);
}

static void retries_json_throttling_of_sqs_and_dynamodb(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, "AmazonSQS.SendMessage", 400,
               "{\"__type\":\"com.amazon.coral.availability#ThrottlingException\","
               "\"message\":\"Rate exceeded\"}");
    fake_reply(w->fake, "AmazonSQS.SendMessage", 200, "{\"MessageId\":\"m1\"}");
    fake_reply(w->fake, "DynamoDB_20120810.PutItem", 400,
               DYNAMO_ERROR("ProvisionedThroughputExceededException", "Slow down"));
    fake_reply(w->fake, "DynamoDB_20120810.PutItem", 400,
               DYNAMO_ERROR("ThrottlingException", "Slow down"));
    fake_reply(w->fake, "DynamoDB_20120810.PutItem", 200, "{}");
    waited a;
    assert_int_equal(json_call(w, "sqs", "AmazonSQS.SendMessage", &a), WC_OK);
    assert_string_equal(json_string_value(json_object_get(a.out, "MessageId")), "m1");
    json_decref(a.out);
    assert_int_equal(json_call(w, "dynamodb", "DynamoDB_20120810.PutItem", &a), WC_OK);
    assert_true(json_is_object(a.out));
    json_decref(a.out);
    assert_int_equal(fake_count(w->fake), 5);
    assert_int_equal(fake_count_matching(w->fake, "AmazonSQS.SendMessage"), 2);
    assert_int_equal(fake_count_matching(w->fake, "DynamoDB_20120810.PutItem"), 3);
    assert_int_equal(fake_request_at(w->fake, 4)->at_ms - fake_request_at(w->fake, 2)->at_ms, 150);
    assert_int_equal(wc_aws_get_stats(w->aws)->retries, 3);
    fake_assert_all_used(w->fake);
}

static void gives_up_after_max_attempts_of_500(void **state)
{
    fake_world *w = *state;
    fake_times(fake_header(fake_reply(w->fake, NULL, 500,
                                      DYNAMO_ERROR("InternalServerError", "Internal error")),
                           "x-amzn-RequestId", "REQ500"),
               5);
    waited a;
    assert_int_equal(json_call(w, "dynamodb", "DynamoDB_20120810.PutItem", &a), WC_ERR_IO);
    assert_null(a.out);
    assert_int_equal(fake_count(w->fake), 5);
    uint64_t waits[4] = {50, 100, 200, 400};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(
            fake_request_at(w->fake, i + 1)->at_ms - fake_request_at(w->fake, i)->at_ms, waits[i]);
    assert_string_equal(a.aerr.code, "InternalServerError");
    assert_int_equal(a.aerr.status, 500);
    assert_string_equal(a.aerr.request_id, "REQ500");
    assert_string_equal(a.err.msg,
                        "InternalServerError: Internal error (HTTP 500, request id REQ500)");
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
}

static void a_permanent_400_is_not_retried(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, NULL, 400, S3_ERROR("InvalidArgument", "Bad argument"));
    fake_reply(w->fake, NULL, 403, S3_ERROR("AccessDenied", "Access Denied"));
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_ERR_IO);
    assert_string_equal(a.aerr.code, "InvalidArgument");
    assert_int_equal(fake_count(w->fake), 1);
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_ERR_IO);
    assert_string_equal(a.aerr.code, "AccessDenied");
    assert_string_equal(a.err.msg, "AccessDenied: Access Denied (HTTP 403, request id XMLREQ)");
    assert_int_equal(fake_count(w->fake), 2);
    assert_int_equal(wc_aws_get_stats(w->aws)->retries, 0);
}

static void network_errors_are_retried_then_reported(void **state)
{
    fake_world *w = *state;
    fake_network_error(w->fake, NULL, 7, "Failed to connect to s3 port 443: Connection refused");
    fake_reply(w->fake, NULL, 200, "fine");
    fake_times(fake_network_error(w->fake, NULL, 28, "Operation timed out after 30000 ms"), 5);
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_OK);
    assert_string_equal(a.resp.body, "fine");
    wc_http_response_cleanup(&a.resp);
    assert_int_equal(fake_count(w->fake), 2);

    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_ERR_IO);
    assert_int_equal(fake_count(w->fake), 7);
    assert_string_equal(a.aerr.code, "NetworkError");
    assert_int_equal(a.aerr.status, 0);
    assert_false(a.err.tls_refused);
    assert_non_null(strstr(a.err.msg, "Operation timed out after 30000 ms"));
    assert_non_null(strstr(a.err.msg, "GET " S3_BASE));
    fake_assert_all_used(w->fake);
}

/* A refused certificate is configuration, not an outage: one try, and a message that names the
 * endpoint and libcurl's reason. A failed handshake (35: a reset mid-handshake) is retried. */
static void a_refused_certificate_is_not_retried(void **state)
{
    fake_world *w = *state;
    fake_network_error(w->fake, NULL, 60,
                       "SSL certificate problem: unable to get local issuer certificate");
    fake_network_error(w->fake, NULL, 35, "OpenSSL SSL_connect: Connection reset by peer");
    fake_reply(w->fake, NULL, 200, "fine");
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_ERR_IO);
    assert_int_equal(fake_count(w->fake), 1);
    assert_string_equal(a.aerr.code, "TLSError");
    assert_true(a.err.tls_refused); /* the fact, for callers: not only the words */
    assert_non_null(strstr(a.err.msg, "TLS verification of " S3_BASE));
    assert_non_null(strstr(a.err.msg, "unable to get local issuer certificate"));
    assert_int_equal(wc_aws_get_stats(w->aws)->retries, 0);
    assert_int_equal(wc_aws_get_stats(w->aws)->tls_refusals, 1);

    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_OK);
    wc_http_response_cleanup(&a.resp);
    assert_int_equal(fake_count(w->fake), 3);
    assert_int_equal(wc_aws_get_stats(w->aws)->retries, 1);
    fake_assert_all_used(w->fake);
}

static void the_certificate_refusals_are_libcurls_verification_failures(void **state)
{
    (void)state;
    assert_true(wc_http_is_tls_refusal(60));  /* CURLE_PEER_FAILED_VERIFICATION */
    assert_true(wc_http_is_tls_refusal(77));  /* CURLE_SSL_CACERT_BADFILE */
    assert_true(wc_http_is_tls_refusal(58));  /* CURLE_SSL_CERTPROBLEM */
    assert_false(wc_http_is_tls_refusal(35)); /* CURLE_SSL_CONNECT_ERROR: maybe a reset */
    assert_false(wc_http_is_tls_refusal(7));  /* CURLE_COULDNT_CONNECT */
    assert_false(wc_http_is_tls_refusal(28)); /* CURLE_OPERATION_TIMEDOUT */
    assert_false(wc_http_is_tls_refusal(0));
}

/* --- what an answer means --- */

typedef struct {
    const char *service;
    const char *method;
    long status;
    const char *body;
    wc_result expected;
    const char *code;
} case_t;

static void answers_are_classified(void **state)
{
    fake_world *w = *state;
    static const case_t cases[] = {
        {"s3", "GET", 404, S3_ERROR("NoSuchKey", "The specified key does not exist."),
         WC_ERR_NOT_FOUND, "NoSuchKey"},
        /* A missing bucket or table is an outage, never a missing widget. */
        {"s3", "GET", 404, S3_ERROR("NoSuchBucket", "The specified bucket does not exist"),
         WC_ERR_IO, "NoSuchBucket"},
        {"s3", "HEAD", 404, "", WC_ERR_IO, "NotFound"},
        {"dynamodb", "POST", 400,
         DYNAMO_ERROR("ResourceNotFoundException", "Requested resource not found"), WC_ERR_IO,
         "ResourceNotFoundException"},
        {"dynamodb", "POST", 400, DYNAMO_ERROR("ValidationException", "Item size has exceeded"),
         WC_ERR_REJECTED, "ValidationException"},
        {"dynamodb", "POST", 400,
         DYNAMO_ERROR("ConditionalCheckFailedException", "The conditional request failed"),
         WC_ERR_CONFLICT, "ConditionalCheckFailedException"},
        {"s3", "PUT", 412, S3_ERROR("PreconditionFailed", "At least one precondition failed"),
         WC_ERR_CONFLICT, "PreconditionFailed"},
        {"s3", "PUT", 412, "", WC_ERR_CONFLICT, "PreconditionFailed"},
        {"s3", "PUT", 400, S3_ERROR("KeyTooLongError", "Your key is too long"), WC_ERR_REJECTED,
         "KeyTooLongError"},
        {"sqs", "POST", 400,
         "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The specified queue "
         "does not exist.\"}",
         WC_ERR_NOT_FOUND, "QueueDoesNotExist"},
        {"sqs", "POST", 400,
         "{\"__type\":\"com.amazonaws.sqs#InvalidParameterValue\",\"message\":\"bad\"}",
         WC_ERR_REJECTED, "InvalidParameterValue"},
        {"sqs", "POST", 400, "not json at all", WC_ERR_IO, "BadRequest"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const case_t *c = &cases[i];
        fake_header(fake_reply(w->fake, NULL, c->status, c->body), "x-amz-request-id", "RID");
        const char *base = strcmp(c->service, "s3") == 0 ? S3_BASE
                           : strcmp(c->service, "sqs") == 0
                               ? "https://sqs.us-east-1.amazonaws.com"
                               : "https://dynamodb.us-east-1.amazonaws.com";
        wc_aws_request req = {.service = c->service,
                              .method = c->method,
                              .base = base,
                              .path = strcmp(c->service, "s3") == 0 ? "/bucket/k" : "/",
                              .body = "{}",
                              .body_len = 2};
        wc_http_response resp;
        wc_aws_error aerr;
        wc_error err;
        wc_result result = wc_aws_send(w->aws, &req, &resp, &aerr, &err);
        if (result != c->expected || strcmp(aerr.code, c->code) != 0)
            fail_msg("case %zu (%s %ld): %s (%s), wanted %s (%s)", i, c->service, c->status,
                     wc_result_name(result), aerr.code, wc_result_name(c->expected), c->code);
        assert_int_equal(err.code, c->expected);
        assert_int_equal(aerr.status, c->status);
        assert_string_equal(aerr.request_id, "RID");
        assert_string_equal(aerr.service, c->service);
        assert_int_equal(fake_count(w->fake), i + 1); /* none of them retried */
    }
}

static void an_answer_over_the_cap_is_too_large_and_not_retried(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, NULL, 200, "0123456789abcdefXYZ");
    fake_reply(w->fake, NULL, 200, "0123456789");
    fake_reply(w->fake, NULL, 200, "0123456789abcdef");
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 16, &a), WC_ERR_TOO_LARGE);
    assert_non_null(strstr(a.err.msg, "16-byte limit"));
    assert_int_equal(fake_count(w->fake), 1);
    assert_int_equal(fake_last(w->fake)->max_body, 16);
    /* Under the cap, and exactly at it: fine. */
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 16, &a), WC_OK);
    assert_int_equal(a.resp.len, 10);
    wc_http_response_cleanup(&a.resp);
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 16, &a), WC_OK);
    assert_int_equal(a.resp.len, 16);
    wc_http_response_cleanup(&a.resp);
    assert_int_equal(wc_aws_get_stats(w->aws)->retries, 0);
}

static void a_malformed_json_answer_is_a_parse_error(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, NULL, 200, "{\"Table\": {\"KeySchema\": [");
    fake_reply(w->fake, NULL, 200, "");
    /* An error answer that is not JSON (a proxy's page) still says something: its status. */
    fake_reply(w->fake, NULL, 502, "<html>Bad Gateway</html>");
    fake_reply(w->fake, NULL, 200, "{\"ok\":true}");
    waited a;
    assert_int_equal(json_call(w, "dynamodb", "DynamoDB_20120810.DescribeTable", &a), WC_ERR_PARSE);
    assert_null(a.out);
    assert_true(starts_with(a.err.msg, "DynamoDB_20120810.DescribeTable: answer is not JSON"));
    assert_int_equal(fake_count(w->fake), 1);
    /* An empty 2xx body is no answer, not an error. */
    assert_int_equal(json_call(w, "dynamodb", "DynamoDB_20120810.DeleteItem", &a), WC_OK);
    assert_null(a.out);
    assert_int_equal(json_call(w, "dynamodb", "DynamoDB_20120810.DeleteItem", &a), WC_OK);
    assert_true(json_is_true(json_object_get(a.out, "ok")));
    json_decref(a.out);
    assert_int_equal(fake_count(w->fake), 4); /* the 502 was retried */
}

/* --- asynchronous calls and cancelling --- */

static void note_http(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                      const wc_error *err)
{
    outcome *o = ctx;
    o->calls++;
    o->result = result;
    if (resp)
        wc_http_response_cleanup(resp);
}

/* The URL is built once for a call, its path encoded once (S3: not normalized, '%' and '+'
 * encoded, never decoded again) and its query sorted and encoded, from the call's own copy of the
 * request (the caller's strings are gone once started): every attempt sends those bytes and
 * signs exactly them. */
static void every_attempt_sends_and_signs_the_url_built_once(void **state)
{
    fake_world *w = *state;
    fake_delay(fake_reply(w->fake, NULL, 503, S3_ERROR("SlowDown", "Reduce your request rate")),
               3000); /* the retry is signed at another second */
    fake_reply(w->fake, NULL, 200, "ok");
    char path[] = "/bucket/./a b/../%2F+=\xe2\x98\x83", name[] = "prefix", value[] = "x y/z+";
    wc_param query[] = {{"list-type", "2"}, {name, value}, {"continuation-token", "a=b&c"}};
    wc_aws_request req = {.service = "s3",
                          .method = "GET",
                          .base = S3_BASE,
                          .path = path,
                          .query = query,
                          .n_query = 3};
    outcome o = {0};
    wc_error err;
    assert_int_equal(wc_aws_start(w->aws, &req, note_http, &o, &err), WC_OK);
    memset(path, 'x', sizeof(path) - 1);
    memset(value, 'x', sizeof(value) - 1);
    fake_run(w);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.result, WC_OK);
    assert_int_equal(fake_count(w->fake), 2);
    wc_param sent_query[] = {
        {"list-type", "2"}, {"prefix", "x y/z+"}, {"continuation-token", "a=b&c"}};
    for (size_t i = 0; i < 2; i++) {
        const fake_request *r = fake_request_at(w->fake, i);
        assert_string_equal(r->url, S3_BASE "/bucket/./a%20b/../%252F%2B%3D%E2%98%83"
                                            "?continuation-token=a%3Db%26c&list-type=2&"
                                            "prefix=x%20y%2Fz%2B");
        /* The signature of the decoded request at the attempt's own time (3 s apart). */
        wc_param headers[8];
        size_t n = 0;
        for (size_t h = 0; h < r->n_headers && n < 8; h++)
            if (strcmp(r->headers[h].name, "Authorization") != 0)
                headers[n++] = r->headers[h];
        wc_sigv4_request sreq = {
            "GET", "/bucket/./a b/../%2F+=\xe2\x98\x83",          sent_query, 3, headers,
            n,     fake_request_header(r, "X-Amz-Content-SHA256")};
        wc_sigv4_signer signer = {"AKIDEXAMPLE",
                                  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                  "us-east-1",
                                  "s3",
                                  FAKE_WALL_TIME + 3 * (time_t)i,
                                  0,
                                  NULL};
        char *expected = wc_sigv4_authorization(&signer, &sreq);
        assert_string_equal(fake_request_header(r, "Authorization"), expected);
        free(expected);
    }
    assert_string_equal(fake_request_header(fake_request_at(w->fake, 1), "X-Amz-Date"),
                        "20150830T123603Z");
}

static void callbacks_run_from_the_loop_never_inside_start(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, NULL, 200, "{}");
    outcome o = {0};
    wc_error err;
    assert_int_equal(wc_aws_json_start(w->aws, "dynamodb", "DynamoDB_20120810.PutItem",
                                       json_object(), note, &o, NULL, &err),
                     WC_OK);
    assert_int_equal(o.calls, 0);
    assert_int_equal(wc_aws_in_flight(w->aws), 1);
    assert_int_equal(fake_in_flight(w->fake), 1);
    fake_run(w);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.result, WC_OK);
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
    assert_true(fake_last(w->fake)->answered);
}

static void a_cancelled_call_never_calls_back(void **state)
{
    fake_world *w = *state;
    fake_hang(w->fake, "AmazonSQS.ReceiveMessage");
    outcome o = {0};
    wc_aws_call *call = NULL;
    wc_error err;
    assert_int_equal(wc_aws_json_start(w->aws, "sqs", "AmazonSQS.ReceiveMessage",
                                       json_pack("{s:i}", "WaitTimeSeconds", 20), note, &o, &call,
                                       &err),
                     WC_OK);
    assert_non_null(call);
    /* A long poll gets its wait on top of the usual timeout. */
    assert_int_equal(fake_last(w->fake)->timeout_ms, 35000);
    wc_loop_turn(w->loop, 0);
    assert_int_equal(fake_in_flight(w->fake), 1);
    wc_aws_cancel(w->aws, call);
    assert_int_equal(fake_in_flight(w->fake), 0);
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
    assert_true(fake_last(w->fake)->cancelled);
    fake_run(w);
    assert_int_equal(o.calls, 0);
}

/* At the end of a shutdown timeout, every call under way (on the wire, or waiting to be retried)
 * is ended through its callback, so every layer above frees what it holds. */
static void abandoning_ends_every_call_through_its_callback(void **state)
{
    fake_world *w = *state;
    fake_hang(w->fake, "AmazonSQS.ReceiveMessage");
    fake_reply(w->fake, "DynamoDB_20120810.PutItem", 503, "");
    outcome a = {0}, b = {0};
    assert_int_equal(wc_aws_json_start(w->aws, "sqs", "AmazonSQS.ReceiveMessage", json_object(),
                                       note, &a, NULL, NULL),
                     WC_OK);
    assert_int_equal(wc_aws_json_start(w->aws, "dynamodb", "DynamoDB_20120810.PutItem",
                                       json_object(), note, &b, NULL, NULL),
                     WC_OK);
    wc_loop_turn(w->loop, 0); /* the 503 comes: its retry waits on a timer */
    assert_int_equal(wc_aws_in_flight(w->aws), 2);
    wc_aws_abandon(w->aws);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.result, WC_ERR_IO);
    assert_int_equal(b.result, WC_ERR_IO);
    assert_string_equal(a.code, "Abandoned");
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
    assert_int_equal(fake_in_flight(w->fake), 0);
}

/* A call whose end, as a layer above may, cancels another call (cancel) or starts a new one. */
typedef struct {
    outcome o;
    fake_world *w;
    wc_aws_call *call;   /* its own handle */
    wc_aws_call *cancel; /* cancelled when it ends (or NULL) */
    int start;           /* calls it starts when it ends, one per end */
} entangled;

static void end_entangled(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                          const wc_error *err)
{
    entangled *e = ctx;
    note(&e->o, result, answer, aerr, err);
    wc_aws_cancel(e->w->aws, e->cancel);
    if (e->start-- > 0)
        assert_int_equal(wc_aws_json_start(e->w->aws, "sqs", "AmazonSQS.ReceiveMessage",
                                           json_object(), end_entangled, e, NULL, NULL),
                         WC_OK);
}

/* Abandoning reads the calls left anew after each callback: one that cancels another call of the
 * batch (whichever of the pair ends first cancels the other) or starts a new one leaves nothing
 * dangling, and the new call is ended too. */
static void abandoning_survives_callbacks_that_cancel_or_start_calls(void **state)
{
    fake_world *w = *state;
    fake_times(fake_hang(w->fake, "AmazonSQS.ReceiveMessage"), 4);
    entangled e[3] = {{.w = w}, {.w = w}, {.w = w, .start = 1}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(wc_aws_json_start(w->aws, "sqs", "AmazonSQS.ReceiveMessage", json_object(),
                                           end_entangled, &e[i], &e[i].call, NULL),
                         WC_OK);
    e[0].cancel = e[1].call;
    e[1].cancel = e[0].call;
    wc_loop_turn(w->loop, 0);
    wc_aws_abandon(w->aws);
    assert_int_equal(e[0].o.calls + e[1].o.calls, 1);
    assert_int_equal(e[2].o.calls, 2); /* its own call, then the one it started */
    assert_string_equal(e[2].o.code, "Abandoned");
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
    assert_int_equal(fake_in_flight(w->fake), 0);
}

/* A callback that starts a new call at every end cannot starve the calls under way when
 * abandoning began: new calls go after them, so each of those ends once. */
static void abandoning_ends_every_call_under_way_first(void **state)
{
    fake_world *w = *state;
    fake_times(fake_hang(w->fake, "AmazonSQS.ReceiveMessage"), 40);
    entangled e[2] = {{.w = w}, {.w = w, .start = 1000}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(wc_aws_json_start(w->aws, "sqs", "AmazonSQS.ReceiveMessage", json_object(),
                                           end_entangled, &e[i], &e[i].call, NULL),
                         WC_OK);
    wc_loop_turn(w->loop, 0);
    wc_aws_abandon(w->aws);
    assert_int_equal(e[0].o.calls, 1);
    assert_string_equal(e[0].o.code, "Abandoned");
    assert_true(e[1].o.calls >= 2 && e[1].o.calls <= 32); /* the budget: 16 for each of the 2 */
}

static void a_call_cancelled_while_waiting_to_retry_is_not_sent_again(void **state)
{
    fake_world *w = *state;
    fake_reply(w->fake, NULL, 503, "");
    outcome o = {0};
    wc_aws_call *call = NULL;
    wc_error err;
    assert_int_equal(wc_aws_json_start(w->aws, "sqs", "AmazonSQS.ReceiveMessage", json_object(),
                                       note, &o, &call, &err),
                     WC_OK);
    wc_loop_turn(w->loop, 0); /* the 503 comes: a retry waits on a timer */
    assert_true(fake_last(w->fake)->answered);
    assert_int_equal(wc_aws_in_flight(w->aws), 1);
    wc_aws_cancel(w->aws, call);
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
    fake_run(w);
    assert_int_equal(o.calls, 0);
    assert_int_equal(fake_count(w->fake), 1);
}

static void freeing_the_client_drops_its_calls(void **state)
{
    fake_world *w = *state;
    fake_hang(w->fake, "DynamoDB_20120810.PutItem");
    fake_hang(w->fake, "GET /bucket/k");
    fake_reply(w->fake, "DynamoDB_20120810.UpdateItem", 500, "");
    outcome o = {0};
    wc_error err;
    assert_int_equal(wc_aws_json_start(w->aws, "dynamodb", "DynamoDB_20120810.PutItem",
                                       json_object(), note, &o, NULL, &err),
                     WC_OK);
    wc_aws_request req = {.service = "s3", .method = "GET", .base = S3_BASE, .path = "/bucket/k"};
    assert_int_equal(wc_aws_start(w->aws, &req, note_http, &o, &err), WC_OK);
    assert_int_equal(wc_aws_json_start(w->aws, "dynamodb", "DynamoDB_20120810.UpdateItem",
                                       json_object(), note, &o, NULL, &err),
                     WC_OK);
    wc_loop_turn(w->loop, 0); /* the UpdateItem waits to be retried */
    assert_int_equal(wc_aws_in_flight(w->aws), 3);
    wc_aws_free(w->aws);
    w->aws = NULL;
    assert_int_equal(fake_in_flight(w->fake), 0);
    assert_true(fake_request_at(w->fake, 0)->cancelled);
    assert_true(fake_request_at(w->fake, 1)->cancelled);
    fake_run(w);
    assert_int_equal(o.calls, 0);
    assert_int_equal(fake_count(w->fake), 3);
}

static void an_unknown_answer_header_is_ignored_and_request_ids_kept(void **state)
{
    fake_world *w = *state;
    fake_header(fake_header(fake_reply(w->fake, NULL, 200, "x"), "x-amz-request-id", "R-1"),
                "Content-Type", "text/plain");
    waited a;
    assert_int_equal(s3_call(w, "GET", "/bucket/k", NULL, 0, &a), WC_OK);
    assert_string_equal(a.resp.request_id, "R-1");
    assert_null(a.resp.etag);
    wc_http_response_cleanup(&a.resp);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(signs_with_the_injected_wall_time),
        T(signs_the_body),
        T(signs_the_session_token_when_there_is_one),
        T(a_retry_is_signed_anew_at_its_own_time),
        T(every_attempt_sends_and_signs_the_url_built_once),
        T(each_service_has_its_own_endpoint),
        T(retries_s3_slowdown_with_backoff_then_succeeds),
        T(retries_json_throttling_of_sqs_and_dynamodb),
        T(gives_up_after_max_attempts_of_500),
        T(a_permanent_400_is_not_retried),
        T(network_errors_are_retried_then_reported),
        T(answers_are_classified),
        T(an_answer_over_the_cap_is_too_large_and_not_retried),
        T(a_malformed_json_answer_is_a_parse_error),
        T(callbacks_run_from_the_loop_never_inside_start),
        T(abandoning_ends_every_call_through_its_callback),
        T(abandoning_survives_callbacks_that_cancel_or_start_calls),
        T(abandoning_ends_every_call_under_way_first),
        T(a_cancelled_call_never_calls_back),
        T(a_call_cancelled_while_waiting_to_retry_is_not_sent_again),
        T(freeing_the_client_drops_its_calls),
        T(a_refused_certificate_is_not_retried),
        cmocka_unit_test(the_certificate_refusals_are_libcurls_verification_failures),
        T(an_unknown_answer_header_is_ignored_and_request_ids_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
