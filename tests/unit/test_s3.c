/* The S3 calls (s3.c) against scripted answers: keys on the wire, ListObjectsV2's query and
 * answer, CopyObject's headers, conditional PUTs and what the answers mean. */
#include "aws/s3.h"
#include "fake_transport.h"

#define AWS_BASE "https://bucket.s3.us-east-1.amazonaws.com"

typedef struct {
    fake_world *w;
    wc_s3_bucket b;
} fixture;

static fixture *make(const char *endpoint, const char *bucket)
{
    fixture *f = calloc(1, sizeof(*f));
    f->w = fake_world_new(endpoint);
    wc_error err;
    if (wc_s3_bucket_init(&f->b, f->w->aws, bucket, &err) != WC_OK)
        fail_msg("wc_s3_bucket_init: %s", err.msg);
    return f;
}

static int setup(void **state)
{
    *state = make(NULL, "bucket");
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_s3_bucket_cleanup(&f->b);
    fake_world_free(f->w);
    free(f);
    return 0;
}

/* Replaces the fixture with one on another endpoint or bucket. */
static fixture *remake(void **state, const char *endpoint, const char *bucket)
{
    teardown(state);
    *state = make(endpoint, bucket);
    return *state;
}

/* --- keys on the wire --- */

static void keys_are_encoded_once_on_the_wire(void **state)
{
    fixture *f = *state;
    const char *key = "dir/a b+c=d*%~\xc3\xa9\xe2\x98\x83.json"; /* é and a snowman */
    fake_reply(f->w->fake, "GET ", 200, "{}");
    wc_http_response resp;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_get(&f->b, key, 0, &resp, &aerr, &err), WC_OK);
    wc_http_response_cleanup(&resp);
    const fake_request *r = fake_last(f->w->fake);
    assert_string_equal(r->url, AWS_BASE "/dir/a%20b%2Bc%3Dd%2A%25~%C3%A9%E2%98%83.json");
    assert_string_equal(fake_request_header(r, "Host"), "bucket.s3.us-east-1.amazonaws.com");
    fake_assert_signed_as_sent(r, "/dir/a b+c=d*%~\xc3\xa9\xe2\x98\x83.json", NULL, 0);
}

static void a_custom_endpoint_addresses_the_bucket_by_path(void **state)
{
    fixture *f = remake(state, "http://localhost:4566/", "bucket");
    fake_reply(f->w->fake, "PUT ", 200, "");
    wc_param meta[] = {{"reason", "too big"}};
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_put(&f->b, "x y/z", "{}", 2, "application/json", meta, 1, &aerr, &err),
                     WC_OK);
    const fake_request *r = fake_last(f->w->fake);
    assert_string_equal(r->method, "PUT");
    assert_string_equal(r->url, "http://localhost:4566/bucket/x%20y/z");
    assert_string_equal(fake_request_header(r, "Host"), "localhost:4566");
    assert_string_equal(fake_request_header(r, "Content-Type"), "application/json");
    assert_string_equal(fake_request_header(r, "x-amz-meta-reason"), "too big");
    assert_string_equal(r->body, "{}");
    fake_assert_signed_as_sent(r, "/bucket/x y/z", NULL, 0);
}

static void a_dotted_bucket_on_aws_is_addressed_by_path(void **state)
{
    fixture *f = remake(state, NULL, "my.bucket");
    fake_reply(f->w->fake, "PUT ", 200, "");
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_put(&f->b, "k 1", "{}", 2, NULL, NULL, 0, &aerr, &err), WC_OK);
    assert_string_equal(fake_last(f->w->fake)->url,
                        "https://s3.us-east-1.amazonaws.com/my.bucket/k%201");
    assert_string_equal(fake_last(f->w->fake)->method, "PUT");
}

/* --- ListObjectsV2 --- */

#define LISTING_HEAD                                                                               \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                 \
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"                         \
    "<Name>bucket</Name><Prefix>req/</Prefix>"

static void list_sends_its_parameters_sorted_and_encoded(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, "GET ", 200,
               LISTING_HEAD "<IsTruncated>false</IsTruncated></ListBucketResult>");
    fake_reply(f->w->fake, "GET ", 200,
               LISTING_HEAD "<IsTruncated>false</IsTruncated></ListBucketResult>");
    wc_s3_listing l;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_list(&f->b, "req/", "/", "ignored", "tok+/=en", 5, &l, &aerr, &err),
                     WC_OK);
    assert_int_equal(l.n, 0);
    assert_false(l.truncated);
    wc_s3_listing_cleanup(&l);
    const fake_request *r = fake_last(f->w->fake);
    /* A continuation token wins over start-after. */
    assert_string_equal(r->url, AWS_BASE "/?continuation-token=tok%2B%2F%3Den&delimiter=%2F&"
                                         "encoding-type=url&list-type=2&max-keys=5&prefix=req%2F");
    wc_param q[] = {{"encoding-type", "url"}, {"list-type", "2"},
                    {"max-keys", "5"},        {"prefix", "req/"},
                    {"delimiter", "/"},       {"continuation-token", "tok+/=en"}};
    fake_assert_signed_as_sent(r, "/", q, 6);

    assert_int_equal(wc_s3_list(&f->b, NULL, NULL, "1000 2", NULL, 1000, &l, &aerr, &err), WC_OK);
    wc_s3_listing_cleanup(&l);
    assert_string_equal(fake_last(f->w->fake)->url, AWS_BASE
                        "/?encoding-type=url&list-type=2&max-keys=1000&start-after=1000%202");
}

static void list_of_a_path_style_bucket_has_no_trailing_slash(void **state)
{
    fixture *f = remake(state, "http://localhost:4566", "bucket");
    fake_reply(f->w->fake, "GET ", 200,
               LISTING_HEAD "<IsTruncated>false</IsTruncated></ListBucketResult>");
    wc_s3_listing l;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_list(&f->b, NULL, "/", NULL, NULL, 1, &l, &aerr, &err), WC_OK);
    wc_s3_listing_cleanup(&l);
    assert_string_equal(
        fake_last(f->w->fake)->url,
        "http://localhost:4566/bucket?delimiter=%2F&encoding-type=url&list-type=2&max-keys=1");
}

static void a_truncated_listing_gives_keys_prefixes_and_the_token(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, "GET ", 200,
               LISTING_HEAD "<KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><Delimiter>/</Delimiter>"
                            "<IsTruncated>true</IsTruncated>"
                            "<Contents><Key>req/1000000000001</Key><Size>10</Size>"
                            "<ETag>&quot;e1&quot;</ETag></Contents>"
                            "<Contents><Key>req/a &amp; b &lt;c&gt;</Key><Size>1</Size></Contents>"
                            "<CommonPrefixes><Prefix>req/dead-letter/</Prefix></CommonPrefixes>"
                            "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
                            "</NextContinuationToken>"
                            "<ContinuationToken>prev</ContinuationToken>"
                            "</ListBucketResult>");
    wc_s3_listing l;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_list(&f->b, "req/", "/", NULL, "prev", 3, &l, &aerr, &err), WC_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.keys[0], "req/1000000000001");
    assert_string_equal(l.keys[1], "req/a & b <c>");
    assert_int_equal(l.n_prefixes, 1);
    assert_string_equal(l.prefixes[0], "req/dead-letter/");
    assert_true(l.truncated);
    assert_string_equal(l.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    wc_s3_listing_cleanup(&l);
}

static void a_malformed_listing_is_a_parse_error(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, "GET ", 200,
               LISTING_HEAD "<Contents><Key>req/1</Key></Contents><IsTruncated>true");
    fake_reply(f->w->fake, "GET ", 200, "<html><body>Hello from a captive portal");
    wc_s3_listing l;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_list(&f->b, NULL, "/", NULL, NULL, 10, &l, &aerr, &err), WC_ERR_PARSE);
    assert_int_equal(l.n, 0);
    assert_null(l.keys);
    assert_null(l.next_token);
    assert_true(strncmp(err.msg, "ListObjectsV2 of bucket: bad XML", 32) == 0);
    assert_int_equal(wc_s3_list(&f->b, NULL, "/", NULL, NULL, 10, &l, &aerr, &err), WC_ERR_PARSE);
    /* Parsing directly says the same. */
    assert_int_equal(wc_s3_listing_parse("b2", "not xml", 7, &l, &err), WC_ERR_PARSE);
    assert_true(strncmp(err.msg, "ListObjectsV2 of b2: bad XML", 28) == 0);
    assert_int_equal(fake_count(f->w->fake), 2); /* a bad answer is not retried */
}

typedef struct {
    int done;
    wc_result result;
    wc_s3_listing l;
} listed;

/* encoding-type=url (issue 15): keys and prefixes decoded when the answer says EncodingType url
 * (a control character, a CR, a space as '+', a '+' as %2B); as they are when it does not. A
 * text that does not decode (%00, a stray '%') is left as it came. */
static void a_url_encoded_listing_is_decoded(void **state)
{
    const char *xml = "<ListBucketResult><Prefix>in+box%2F</Prefix><IsTruncated>true</IsTruncated>"
                      "<NextContinuationToken>a+b%2F</NextContinuationToken>"
                      "<Contents><Key>in+box%2F1000000000002%01</Key></Contents>"
                      "<Contents><Key>in+box/1000000000003%0D</Key></Contents>"
                      "<Contents><Key>a%2Bb%25c%C3%BC</Key></Contents>"
                      "<Contents><Key>bad%00x</Key></Contents>"
                      "<Contents><Key>bad%zz+</Key></Contents>"
                      "<CommonPrefixes><Prefix>dead+letter%2F</Prefix></CommonPrefixes>"
                      "<EncodingType>url</EncodingType></ListBucketResult>";
    wc_s3_listing l;
    wc_error err;
    assert_int_equal(wc_s3_listing_parse("b", xml, strlen(xml), &l, &err), WC_OK);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.keys[0], "in box/1000000000002\x01");
    assert_string_equal(l.keys[1], "in box/1000000000003\r");
    assert_string_equal(l.keys[2], "a+b%c\xc3\xbc");
    assert_string_equal(l.keys[3], "bad%00x");
    assert_string_equal(l.keys[4], "bad%zz+");
    assert_string_equal(l.prefixes[0], "dead letter/");
    assert_string_equal(l.next_token, "a+b%2F"); /* opaque: never decoded */
    wc_s3_listing_cleanup(&l);
    /* Without EncodingType (a server that ignores the parameter): as they came. */
    const char *plain =
        "<ListBucketResult><Contents><Key>a+b%2B</Key></Contents></ListBucketResult>";
    assert_int_equal(wc_s3_listing_parse("b", plain, strlen(plain), &l, &err), WC_OK);
    assert_string_equal(l.keys[0], "a+b%2B");
    wc_s3_listing_cleanup(&l);
}

static void on_listed(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                      const wc_error *err)
{
    listed *x = ctx;
    x->done = 1;
    x->result = result;
    if (result == WC_OK)
        x->result = wc_s3_listing_parse("bucket", resp->body, resp->len, &x->l, NULL);
    if (resp)
        wc_http_response_cleanup(resp);
}

static void list_start_runs_on_the_loop(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, "GET ", 200,
               LISTING_HEAD "<IsTruncated>false</IsTruncated><Contents><Key>k</Key></Contents>"
                            "</ListBucketResult>");
    listed x;
    memset(&x, 0, sizeof(x));
    wc_error err;
    assert_int_equal(wc_s3_list_start(&f->b, "", "/", NULL, 7, on_listed, &x, &err), WC_OK);
    assert_false(x.done);
    fake_run(f->w);
    assert_true(x.done);
    assert_int_equal(x.result, WC_OK);
    assert_int_equal(x.l.n, 1);
    assert_string_equal(x.l.keys[0], "k");
    wc_s3_listing_cleanup(&x.l);
    assert_string_equal(fake_last(f->w->fake)->url,
                        AWS_BASE "/?delimiter=%2F&encoding-type=url&list-type=2&max-keys=7");
}

/* --- CopyObject, conditional PUTs, answers --- */

/* What an object call's done callback was given. */
typedef struct {
    int done;
    wc_result result;
    char code[64]; /* the AWS error code, "" when none */
} answered;

static void on_answer(void *ctx, wc_result result, wc_http_response *resp, const wc_aws_error *aerr,
                      const wc_error *err)
{
    answered *a = ctx;
    (void)err;
    a->done = 1;
    a->result = result;
    snprintf(a->code, sizeof(a->code), "%s", aerr ? aerr->code : "");
    if (resp)
        wc_http_response_cleanup(resp);
}

static void copy_sends_the_source_and_replaces_the_metadata(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, "PUT ", 200, "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>");
    wc_param meta[] = {{"reason", "request 1: owner must be letters"}};
    answered a = {0};
    wc_error err;
    assert_int_equal(wc_s3_copy_start(&f->b, "src.bucket", "req/a b+\xc3\xa9",
                                      "dead-letter/a b+\xc3\xa9", meta, 1, on_answer, &a, &err),
                     WC_OK);
    fake_run(f->w);
    assert_true(a.done);
    assert_int_equal(a.result, WC_OK);
    const fake_request *r = fake_last(f->w->fake);
    assert_string_equal(r->method, "PUT");
    assert_string_equal(r->url, AWS_BASE "/dead-letter/a%20b%2B%C3%A9");
    assert_string_equal(fake_request_header(r, "x-amz-copy-source"),
                        "src.bucket/req/a%20b%2B%C3%A9");
    assert_string_equal(fake_request_header(r, "x-amz-metadata-directive"), "REPLACE");
    assert_string_equal(fake_request_header(r, "x-amz-meta-reason"),
                        "request 1: owner must be letters");
    assert_int_equal(r->body_len, 0);
    assert_non_null(strstr(fake_request_header(r, "Authorization"),
                           "SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-date;"
                           "x-amz-meta-reason;x-amz-metadata-directive,"));
    fake_assert_signed_as_sent(r, "/dead-letter/a b+\xc3\xa9", NULL, 0);
}

static void conditional_puts_send_their_condition_and_412_is_a_conflict(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, "PUT ", 412,
               "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions "
               "you specified did not hold</Message></Error>");
    fake_header(fake_reply(f->w->fake, "PUT ", 200, ""), "ETag", "\"new\"");
    wc_param none_match = {"If-None-Match", "*"};
    wc_param match = {"If-Match", "\"old\""};
    answered a = {0}, b = {0};
    wc_error err;
    assert_int_equal(
        wc_s3_start(&f->b, "PUT", "w", &none_match, 1, "{}", 2, 0, on_answer, &a, &err), WC_OK);
    fake_run(f->w);
    assert_int_equal(a.result, WC_ERR_CONFLICT);
    assert_string_equal(fake_request_header(fake_last(f->w->fake), "If-None-Match"), "*");
    assert_string_equal(a.code, "PreconditionFailed");
    assert_int_equal(wc_s3_start(&f->b, "PUT", "w", &match, 1, "{}", 2, 0, on_answer, &b, &err),
                     WC_OK);
    fake_run(f->w);
    assert_int_equal(b.result, WC_OK);
    assert_string_equal(fake_request_header(fake_last(f->w->fake), "If-Match"), "\"old\"");
    assert_null(fake_request_header(fake_last(f->w->fake), "If-None-Match"));
    assert_int_equal(fake_count(f->w->fake), 2);
}

static void get_tells_a_missing_key_from_a_missing_bucket(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, "GET /k1", 404,
               "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
               "<Key>k1</Key></Error>");
    fake_reply(f->w->fake, "GET /k2", 404,
               "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist"
               "</Message><BucketName>bucket</BucketName></Error>");
    fake_header(fake_reply(f->w->fake, "GET /k3", 200, "{\"id\":\"k3\"}"), "ETag", "\"e3\"");
    fake_reply(f->w->fake, "GET /k4", 200, "0123456789");
    wc_http_response resp;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_get(&f->b, "k1", 0, &resp, &aerr, &err), WC_ERR_NOT_FOUND);
    assert_int_equal(wc_s3_get(&f->b, "k2", 0, &resp, &aerr, &err), WC_ERR_IO);
    assert_string_equal(aerr.code, "NoSuchBucket");
    assert_int_equal(wc_s3_get(&f->b, "k3", 0, &resp, &aerr, &err), WC_OK);
    assert_string_equal(resp.body, "{\"id\":\"k3\"}");
    assert_string_equal(resp.etag, "\"e3\"");
    wc_http_response_cleanup(&resp);
    assert_int_equal(wc_s3_get(&f->b, "k4", 9, &resp, &aerr, &err), WC_ERR_TOO_LARGE);
    assert_int_equal(fake_last(f->w->fake)->max_body, 9);
    assert_int_equal(fake_count(f->w->fake), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(keys_are_encoded_once_on_the_wire, setup, teardown),
        cmocka_unit_test_setup_teardown(a_custom_endpoint_addresses_the_bucket_by_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_dotted_bucket_on_aws_is_addressed_by_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(list_sends_its_parameters_sorted_and_encoded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(list_of_a_path_style_bucket_has_no_trailing_slash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_truncated_listing_gives_keys_prefixes_and_the_token,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_malformed_listing_is_a_parse_error, setup, teardown),
        cmocka_unit_test_setup_teardown(list_start_runs_on_the_loop, setup, teardown),
        cmocka_unit_test(a_url_encoded_listing_is_decoded),
        cmocka_unit_test_setup_teardown(copy_sends_the_source_and_replaces_the_metadata, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(conditional_puts_send_their_condition_and_412_is_a_conflict,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(get_tells_a_missing_key_from_a_missing_bucket, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
