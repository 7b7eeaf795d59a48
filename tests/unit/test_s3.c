/* Tests of the S3 calls (s3.c) against the scripted fake transport: keys encoded once on the
 * wire (spaces, '+', '=', '*', '%', unicode), ListObjectsV2 answers read with expat (a truncated
 * page with its token, prefixes, bad XML), and a copy's headers. No network. */
#include "aws/s3.h"
#include "fake_transport.h"

typedef struct {
    fake_aws a;
    wc_s3_bucket b;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fake_aws_init(&f->a, "AKIDS3CALLS", NULL, NULL);
    assert_int_equal(wc_s3_bucket_init(&f->b, f->a.aws, "bk", NULL), WC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_s3_bucket_cleanup(&f->b);
    fake_aws_cleanup(&f->a);
    free(f);
    return 0;
}

static void keys_are_encoded_once_on_the_wire(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "x"});
    wc_http_response resp;
    wc_aws_error aerr;
    assert_int_equal(wc_s3_get(&f->b, "widgets/a b+c=d*e%f/\xc3\xa9", 0, &resp, &aerr, NULL),
                     WC_OK);
    wc_http_response_cleanup(&resp);
    assert_non_null(strstr(f->a.fake.requests[0],
                           "GET http://127.0.0.1:1/bk/widgets/a%20b%2Bc%3Dd%2Ae%25f/%C3%A9\n"));
}

static void a_truncated_listing_gives_its_keys_and_token(void **state)
{
    fixture *f = *state;
    const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                      "<ListBucketResult><Name>bk</Name><IsTruncated>true</IsTruncated>"
                      "<NextContinuationToken>tok+/=</NextContinuationToken>"
                      "<Contents><Key>1000000000001</Key><Size>10</Size></Contents>"
                      "<Contents><Key>a &amp; b</Key></Contents>"
                      "<CommonPrefixes><Prefix>dead-letter/</Prefix></CommonPrefixes>"
                      "</ListBucketResult>";
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = xml});
    wc_s3_listing l;
    wc_aws_error aerr;
    assert_int_equal(wc_s3_list(&f->b, NULL, "/", NULL, "prev token", 2, &l, &aerr, NULL), WC_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.keys[0], "1000000000001");
    assert_string_equal(l.keys[1], "a & b");
    assert_int_equal(l.n_prefixes, 1);
    assert_string_equal(l.prefixes[0], "dead-letter/");
    assert_true(l.truncated);
    assert_string_equal(l.next_token, "tok+/=");
    wc_s3_listing_cleanup(&l);
    /* The query is sorted and encoded, as signed. */
    assert_non_null(strstr(f->a.fake.requests[0], "GET http://127.0.0.1:1/bk?continuation-token="
                                                  "prev%20token&delimiter=%2F&list-type=2&"
                                                  "max-keys=2\n"));
}

static void bad_xml_is_a_parse_error_naming_the_bucket(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "<ListBucketResult><Contents>"});
    wc_s3_listing l;
    wc_aws_error aerr;
    wc_error err;
    assert_int_equal(wc_s3_list(&f->b, NULL, NULL, NULL, NULL, 10, &l, &aerr, &err), WC_ERR_PARSE);
    assert_non_null(strstr(err.msg, "ListObjectsV2 of bk: bad XML"));
}

static void a_copy_names_its_source_and_replaces_the_metadata(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.status = 200, .body = "<CopyObjectResult/>"});
    wc_param meta = {"reason", "request 1: bad"};
    wc_aws_error aerr;
    assert_int_equal(
        wc_s3_copy(&f->b, "reqs", "1000 0", "dead-letter/1000 0", &meta, 1, &aerr, NULL), WC_OK);
    const char *sent = f->a.fake.requests[0];
    assert_non_null(strstr(sent, "PUT http://127.0.0.1:1/bk/dead-letter/1000%200\n"));
    assert_non_null(strstr(sent, "x-amz-copy-source: reqs/1000%200\n"));
    assert_non_null(strstr(sent, "x-amz-metadata-directive: REPLACE\n"));
    assert_non_null(strstr(sent, "x-amz-meta-reason: request 1: bad\n"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(keys_are_encoded_once_on_the_wire),
        T(a_truncated_listing_gives_its_keys_and_token),
        T(bad_xml_is_a_parse_error_naming_the_bucket),
        T(a_copy_names_its_source_and_replaces_the_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
