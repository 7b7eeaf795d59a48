/* Tests of the S3 request source against the scripted fake transport: the walk across listing
 * pages (a truncated listing is never an empty poll), many keys read at once but handed out in
 * key order, a key taken by another consumer skipped, acks as deletes, dead letters as a copy
 * with the reason then a delete, and a listing failure told once. No network. */
#include "aws/client.h"
#include "fake_transport.h"
#include "sources/s3_source.h"

typedef struct {
    fake_aws a;
    wc_source src;
} fixture;

static void no_news(void *ctx)
{
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fake_aws_init(&f->a, "AKIDS3TEST", NULL, NULL);
    /* Start-up: the bucket answers a listing. */
    fake_script(&f->a.fake, (fake_answer){.match = "max-keys=1\n",
                                          .status = 200,
                                          .body = "<ListBucketResult></ListBucketResult>"});
    wc_s3_source_config sc = {f->a.aws, "reqs", NULL, NULL, NULL, 1000, 100, &f->a.clock, {0, 1}};
    wc_error err;
    if (wc_s3_source_open(&sc, &f->src, &err) != WC_OK)
        fail_msg("open: %s", err.msg);
    f->src.ops->set_notify(f->src.self, no_news, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_source_destroy(&f->src);
    fake_aws_cleanup(&f->a);
    free(f);
    return 0;
}

static void turn_until_quiet(fixture *f)
{
    for (int i = 0; i < 30; i++)
        wc_loop_turn(f->a.loop, 0);
}

#define REQ "{\"type\":\"create\"}"

/* Receives until nothing more comes without the loop turning again; keys joined by ','. */
static wc_result drain(fixture *f, char *keys, size_t cap)
{
    wc_message m;
    wc_result r;
    while ((r = f->src.ops->receive(f->src.self, &m, 10, NULL)) == WC_OK) {
        strncat(keys, m.key, cap - strlen(keys) - 2);
        strcat(keys, ",");
        f->src.ops->release(f->src.self, &m, NULL);
        wc_message_cleanup(&m);
    }
    return r;
}

static void the_walk_goes_across_pages_and_hands_out_in_key_order(void **state)
{
    fixture *f = *state;
    /* Page 1: three keys, of which the first two are gone by the time they are read (another
     * consumer took them), and more to come. Page 2: two keys, the end. */
    fake_script(&f->a.fake,
                (fake_answer){.match = "list-type=2&max-keys=100\n",
                              .status = 200,
                              .body = "<ListBucketResult><IsTruncated>true</IsTruncated>"
                                      "<NextContinuationToken>T1</NextContinuationToken>"
                                      "<Contents><Key>1000000000001</Key></Contents>"
                                      "<Contents><Key>1000000000002</Key></Contents>"
                                      "<Contents><Key>1000000000003</Key></Contents>"
                                      "</ListBucketResult>"});
    fake_script(&f->a.fake,
                (fake_answer){.match = "continuation-token=T1",
                              .status = 200,
                              .body = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                                      "<Contents><Key>1000000000004</Key></Contents>"
                                      "<Contents><Key>1000000000005</Key></Contents>"
                                      "</ListBucketResult>"});
    for (int k = 1; k <= 2; k++) {
        char match[64];
        snprintf(match, sizeof(match), "GET http://127.0.0.1:1/reqs/100000000000%d", k);
        fake_script(&f->a.fake, (fake_answer){.match = strdup(match),
                                              .status = 404,
                                              .body = "<Error><Code>NoSuchKey</Code></Error>"});
    }
    /* Key 3 answers last of all: still handed out before 4 and 5. */
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/reqs/1000000000003",
                                          .status = 200,
                                          .body = REQ,
                                          .delay_ms = 50});
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/reqs/1000000000004",
                                          .status = 200,
                                          .body = REQ});
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/reqs/1000000000005",
                                          .status = 200,
                                          .body = REQ});
    /* The next walk, once these are out: nothing left. */
    fake_script(&f->a.fake, (fake_answer){.match = "list-type=2&max-keys=100\n",
                                          .status = 200,
                                          .body = "<ListBucketResult></ListBucketResult>"});
    char keys[256] = "";
    const char *all = "1000000000003,1000000000004,1000000000005,";
    for (int i = 0; i < 12 && strcmp(keys, all) != 0; i++) {
        wc_result r = drain(f, keys, sizeof(keys));
        /* Never an empty poll while the walk has pages left. */
        assert_int_equal(r, WC_WAIT);
        wc_loop_turn(f->a.loop, -1);
        turn_until_quiet(f);
    }
    assert_string_equal(keys, all);
    assert_int_equal(fake_count(&f->a.fake, "continuation-token=T1"), 1);
    free((char *)f->a.fake.script[3].match); /* the two matches made above */
    free((char *)f->a.fake.script[4].match);
}

static void a_walk_that_found_nothing_is_one_empty_poll(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.match = "list-type=2&max-keys=100\n",
                                          .status = 200,
                                          .body = "<ListBucketResult><IsTruncated>false"
                                                  "</IsTruncated></ListBucketResult>"});
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, NULL), WC_WAIT);
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, NULL), WC_EMPTY);
}

static int dl_calls;
static wc_result dl_result;
static void dl_done(void *ctx, wc_result r, const wc_error *err)
{
    dl_calls++;
    dl_result = r;
}

static void ack_deletes_and_a_dead_letter_is_copied_with_its_reason_then_deleted(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake,
                (fake_answer){.match = "list-type=2&max-keys=100\n",
                              .status = 200,
                              .body = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                                      "<Contents><Key>1000000000001</Key></Contents>"
                                      "<Contents><Key>1000000000002</Key></Contents>"
                                      "</ListBucketResult>"});
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/reqs/1000000000001",
                                          .status = 200,
                                          .body = REQ});
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/reqs/1000000000002",
                                          .status = 200,
                                          .body = "not json"});
    fake_script(&f->a.fake, (fake_answer){.match = "DELETE http://127.0.0.1:1/reqs/1000000000001",
                                          .status = 204});
    fake_script(&f->a.fake,
                (fake_answer){.match = "PUT http://127.0.0.1:1/reqs/dead-letter/1000000000002",
                              .status = 200,
                              .body = "<CopyObjectResult/>"});
    fake_script(&f->a.fake, (fake_answer){.match = "DELETE http://127.0.0.1:1/reqs/1000000000002",
                                          .status = 204});
    wc_message m;
    f->src.ops->receive(f->src.self, &m, 10, NULL);
    turn_until_quiet(f);
    f->src.ops->receive(f->src.self, &m, 10, NULL);
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, NULL), WC_OK);
    assert_string_equal(m.key, "1000000000001");
    assert_int_equal(f->src.ops->ack(f->src.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, NULL), WC_OK);
    assert_string_equal(m.key, "1000000000002");
    dl_calls = 0;
    assert_int_equal(f->src.ops->dead_letter(f->src.self, &m, "request 1000000000002: not JSON",
                                             dl_done, NULL, NULL),
                     WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(f->src.ops->flush(f->src.self), 2); /* both under way: nothing waited */
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->flush(f->src.self), 0);
    assert_int_equal(dl_calls, 1);
    assert_int_equal(dl_result, WC_OK);
    assert_int_equal(fake_count(&f->a.fake, "x-amz-copy-source: reqs/1000000000002"), 1);
    assert_int_equal(fake_count(&f->a.fake, "x-amz-meta-reason: request 1000000000002: not JSON"),
                     1);
    assert_int_equal(fake_count(&f->a.fake, "DELETE http://127.0.0.1:1/reqs/"), 2);
}

/* S3 may answer a copy 200 OK and fail while copying, the error then being the body: the request
 * must not be deleted (it would be lost: neither applied nor dead-lettered). */
static void a_copy_that_fails_after_its_200_keeps_the_request(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.match = "list-type=2&max-keys=100\n",
                                          .status = 200,
                                          .body = "<ListBucketResult><Contents><Key>1000000000002"
                                                  "</Key></Contents></ListBucketResult>"});
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/reqs/1000000000002",
                                          .status = 200,
                                          .body = "not json"});
    fake_script(&f->a.fake,
                (fake_answer){.match = "PUT http://127.0.0.1:1/reqs/dead-letter/1000000000002",
                              .status = 200,
                              .body = "<Error><Code>InternalError</Code><Message>We encountered "
                                      "an internal error.</Message></Error>"});
    wc_message m;
    f->src.ops->receive(f->src.self, &m, 10, NULL);
    turn_until_quiet(f);
    f->src.ops->receive(f->src.self, &m, 10, NULL);
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, NULL), WC_OK);
    dl_calls = 0;
    assert_int_equal(f->src.ops->dead_letter(f->src.self, &m, "bad", dl_done, NULL, NULL), WC_OK);
    wc_message_cleanup(&m);
    turn_until_quiet(f);
    assert_int_equal(dl_calls, 1);
    assert_int_equal(dl_result, WC_ERR_IO);
    assert_int_equal(fake_count(&f->a.fake, "DELETE"), 0);
}

static void a_listing_failure_is_told_once_then_the_walk_starts_again(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake,
                (fake_answer){.match = "list-type=2&max-keys=100\n",
                              .status = 404,
                              .body = "<Error><Code>NoSuchBucket</Code><Message>gone</Message>"
                                      "</Error>"});
    fake_script(&f->a.fake, (fake_answer){.match = "list-type=2&max-keys=100\n",
                                          .status = 200,
                                          .body = "<ListBucketResult></ListBucketResult>"});
    wc_message m;
    wc_error err;
    f->src.ops->receive(f->src.self, &m, 10, &err);
    turn_until_quiet(f);
    /* A missing bucket is an outage of the source (WC_ERR_IO), never "nothing there". */
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, &err), WC_ERR_IO);
    assert_non_null(strstr(err.msg, "listing request bucket \"reqs\": NoSuchBucket"));
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, &err), WC_WAIT);
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 10, &err), WC_EMPTY);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(the_walk_goes_across_pages_and_hands_out_in_key_order),
        T(a_walk_that_found_nothing_is_one_empty_poll),
        T(ack_deletes_and_a_dead_letter_is_copied_with_its_reason_then_deleted),
        T(a_copy_that_fails_after_its_200_keeps_the_request),
        T(a_listing_failure_is_told_once_then_the_walk_starts_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
