/* The S3 source (s3_source.c) against scripted answers: the walk across listing pages, GETs in
 * flight handed out in key order, keys taken by others, acks, deferrals, dead letters, failures,
 * and sharding. */
#include "scripted_source.h"
#include "sources/s3_source.h"

#define BASE   "https://requests.s3.us-east-1.amazonaws.com"
#define LIST   "list-type=2"
#define K(n)   "10000000000" #n
#define GET(k) "GET " BASE "/" k
#define DEL(k) "DELETE " BASE "/" k

typedef struct {
    scripted_source s;  /* first: see scripted_source_setup */
    size_t ahead_bytes; /* the source's look_ahead_bytes (0: its default) */
} fixture;

/* A ListObjectsV2 answer of keys (NULL-terminated), truncated with token when token is not
 * NULL. Caller frees. */
static char *listing(const char *const *keys, const char *token)
{
    size_t cap = 4096, o = 0;
    char *xml = malloc(cap);
    o += (size_t)snprintf(xml + o, cap - o,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
                          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>requests</Name>"
                          "<IsTruncated>%s</IsTruncated>",
                          token ? "true" : "false");
    for (size_t i = 0; keys && keys[i]; i++)
        o += (size_t)snprintf(xml + o, cap - o, "<Contents><Key>%s</Key><Size>60</Size></Contents>",
                              keys[i]);
    o += (size_t)snprintf(xml + o, cap - o,
                          "<CommonPrefixes><Prefix>dead-letter/</Prefix></CommonPrefixes>");
    if (token)
        o += (size_t)snprintf(xml + o, cap - o, "<NextContinuationToken>%s</NextContinuationToken>",
                              token);
    snprintf(xml + o, cap - o, "</ListBucketResult>");
    return xml;
}

/* Scripts one listing page: the one after `after` (NULL: the first), with keys, and a token to
 * the next page (NULL: the last). */
static fake_answer *reply_page(fixture *f, const char *after, const char *const *keys,
                               const char *token)
{
    char pattern[128];
    if (after)
        snprintf(pattern, sizeof(pattern), "continuation-token=%s&", after);
    else
        snprintf(pattern, sizeof(pattern), LIST);
    char *xml = listing(keys, token);
    fake_answer *a = fake_reply(f->s.w->fake, pattern, 200, xml);
    free(xml);
    return a;
}

static char *request_json(const char *widget)
{
    char *body = malloc(256);
    snprintf(body, 256,
             "{\"type\":\"create\",\"requestId\":\"r-%s\",\"widgetId\":\"%s\",\"owner\":\"Sue\"}",
             widget, widget);
    return body;
}

/* Scripts GetObject of key: a request for widget (its body). */
static fake_answer *reply_object(fixture *f, const char *key, const char *widget)
{
    char pattern[256];
    snprintf(pattern, sizeof(pattern), GET("%s"), key);
    char *body = request_json(widget);
    fake_answer *a = fake_reply(f->s.w->fake, pattern, 200, body);
    free(body);
    return a;
}

static void open_source(fixture *f, wc_shard shard, int look_ahead, const char *dead_bucket)
{
    reply_page(f, NULL, NULL, NULL); /* the start-up check */
    if (dead_bucket)
        fake_reply(f->s.w->fake, LIST, 200, "<ListBucketResult></ListBucketResult>");
    wc_s3_source_config c = {.aws = f->s.w->aws,
                             .bucket = "requests",
                             .dead_letter_bucket = dead_bucket,
                             .max_body = 1000,
                             .look_ahead = look_ahead,
                             .look_ahead_bytes = f->ahead_bytes,
                             .clock = &f->s.w->clock,
                             .shard = shard};
    wc_error err;
    wc_result result = wc_s3_source_open(&c, &f->s.src, &err);
    scripted_source_opened(&f->s, result, &err, "wc_s3_source_open");
    fake_assert_all_used(f->s.w->fake);
}

static int setup(void **state)
{
    return scripted_source_setup(state, sizeof(fixture));
}

static int setup_open(void **state)
{
    setup(state);
    open_source(*state, (wc_shard){0, 1}, 3, NULL);
    return 0;
}

static int teardown(void **state)
{
    return scripted_source_teardown(state);
}

static wc_receive_status poll_once(fixture *f, wc_message *m, unsigned want, wc_error *err)
{
    return scripted_source_poll(&f->s, m, want, err);
}

static void expect_message(fixture *f, wc_message *m, unsigned want, const char *key)
{
    scripted_source_next(&f->s, m, want);
    assert_string_equal(m->key, key);
}

/* --- opening --- */

static void open_checks_that_the_buckets_answer(void **state)
{
    fixture *f = *state;
    open_source(f, (wc_shard){0, 1}, 3, "dead-bucket");
    assert_int_equal(fake_count(f->s.w->fake), 2);
    assert_string_equal(fake_request_at(f->s.w->fake, 0)->url,
                        BASE "/?delimiter=%2F&encoding-type=url&list-type=2&max-keys=1");
    assert_string_equal(fake_request_at(f->s.w->fake, 1)->url,
                        "https://dead-bucket.s3.us-east-1.amazonaws.com/"
                        "?delimiter=%2F&encoding-type=url&list-type=2&max-keys=1");
}

static void a_missing_bucket_is_a_one_line_error(void **state)
{
    fixture *f = *state;
    fake_header(fake_reply(f->s.w->fake, LIST, 404,
                           "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
                           "exist</Message></Error>"),
                "x-amz-request-id", "B1");
    wc_s3_source_config c = {.aws = f->s.w->aws, .bucket = "requests", .max_body = 10};
    wc_error err;
    assert_int_equal(wc_s3_source_open(&c, &f->s.src, &err), WC_ERR_IO);
    assert_string_equal(err.msg, "request bucket \"requests\": NoSuchBucket: The specified bucket "
                                 "does not exist (HTTP 404, request id B1)");
    /* A dead-letter prefix that listing would not hide is refused before any call. */
    c.dead_letter_prefix = "dead";
    assert_int_equal(wc_s3_source_open(&c, &f->s.src, &err), WC_ERR_INVALID);
    assert_int_equal(fake_count(f->s.w->fake), 1);
}

/* --- the walk --- */

static void the_walk_goes_across_pages_in_key_order(void **state)
{
    fixture *f = *state;
    const char *page1[] = {K(1), K(2), K(3), NULL};
    const char *page2[] = {K(4), K(5), NULL};
    reply_page(f, NULL, page1, "T1/+=");
    reply_page(f, "T1%2F%2B%3D", page2, NULL);
    for (int i = 1; i <= 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "10000000000%d", i);
        reply_object(f, key, key);
    }
    fake_times(fake_reply(f->s.w->fake, "DELETE ", 204, ""), 5);
    reply_page(f, NULL, NULL, NULL); /* the next walk: all done */
    wc_message m;
    const char *keys[] = {K(1), K(2), K(3), K(4), K(5)};
    for (int i = 0; i < 5; i++) {
        expect_message(f, &m, 2, keys[i]);
        assert_non_null(strstr(m.body, keys[i]));
        assert_int_equal(m.attempts, 0);
        scripted_source_ack(&f->s, &m);
    }
    wc_error err;
    assert_int_equal(poll_once(f, &m, 2, &err), WC_RECEIVE_EMPTY);
    /* The pages were listed with the look-ahead and the token; each key read and deleted once. */
    assert_string_equal(fake_find(f->s.w->fake, LIST, 1)->url,
                        BASE "/?delimiter=%2F&encoding-type=url&list-type=2&max-keys=3");
    assert_string_equal(
        fake_find(f->s.w->fake, LIST, 2)->url, BASE
        "/?continuation-token=T1%2F%2B%3D&delimiter=%2F&encoding-type=url&list-type=2&max-keys=3");
    for (int i = 0; i < 5; i++) {
        char pattern[64];
        snprintf(pattern, sizeof(pattern), GET("%s"), keys[i]);
        assert_int_equal(fake_count_matching(f->s.w->fake, pattern), 1);
        snprintf(pattern, sizeof(pattern), DEL("%s"), keys[i]);
        assert_int_equal(fake_count_matching(f->s.w->fake, pattern), 1);
    }
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
    fake_assert_all_used(f->s.w->fake);
}

static void gets_run_at_once_and_are_handed_out_in_key_order(void **state)
{
    fixture *f = *state;
    const char *page[] = {K(1), K(2), K(3), NULL};
    reply_page(f, NULL, page, NULL);
    fake_delay(reply_object(f, K(1), "a"), 300);
    fake_delay(reply_object(f, K(2), "b"), 200);
    reply_object(f, K(3), "c");
    fake_times(fake_reply(f->s.w->fake, "DELETE ", 204, ""), 3);
    wc_message m;
    wc_error err;
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 8, &err), WC_RECEIVE_WAIT);
    wc_loop_turn(f->s.w->loop, -1); /* the page */
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 8, &err), WC_RECEIVE_WAIT);
    assert_int_equal(fake_in_flight(f->s.w->fake), 3); /* three GETs at once */
    wc_loop_turn(f->s.w->loop, -1);                    /* the third key's answer comes first */
    assert_true(fake_find(f->s.w->fake, GET(K(3)), 0)->answered);
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 8, &err), WC_RECEIVE_WAIT);
    expect_message(f, &m, 8, K(1));
    scripted_source_ack(&f->s, &m);
    expect_message(f, &m, 8, K(2));
    scripted_source_ack(&f->s, &m);
    expect_message(f, &m, 8, K(3));
    scripted_source_ack(&f->s, &m);
    fake_run(f->s.w);
}

/* Issue 16: the look-ahead is bounded by bytes: with room for 600, and 256 counted for each GET
 * in flight until bodies are seen, two GETs go at once, not eight; every key still comes, in
 * order. */
static void the_look_ahead_is_bounded_by_bytes(void **state)
{
    fixture *f = *state;
    f->ahead_bytes = 600;
    open_source(f, (wc_shard){0, 1}, 8, NULL);
    const char *page[] = {K(1), K(2), K(3), K(4), K(5), NULL};
    reply_page(f, NULL, page, NULL);
    fake_delay(reply_object(f, K(1), "a"), 100);
    fake_delay(reply_object(f, K(2), "b"), 100);
    reply_object(f, K(3), "c");
    reply_object(f, K(4), "d");
    reply_object(f, K(5), "e");
    fake_times(fake_reply(f->s.w->fake, "DELETE ", 204, ""), 5);
    wc_message m;
    wc_error err;
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 8, &err), WC_RECEIVE_WAIT);
    wc_loop_turn(f->s.w->loop, -1); /* the page */
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 8, &err), WC_RECEIVE_WAIT);
    assert_int_equal(fake_in_flight(f->s.w->fake), 2);
    const char *keys[] = {K(1), K(2), K(3), K(4), K(5)};
    for (int i = 0; i < 5; i++) {
        expect_message(f, &m, 8, keys[i]);
        assert_true(fake_in_flight(f->s.w->fake) <= 2);
        scripted_source_ack(&f->s, &m);
    }
    fake_run(f->s.w);
    fake_assert_all_used(f->s.w->fake);
}

/* A body larger than the whole bound still comes (one GET is always allowed). */
static void a_body_larger_than_the_bound_still_comes(void **state)
{
    fixture *f = *state;
    f->ahead_bytes = 10;
    open_source(f, (wc_shard){0, 1}, 8, NULL);
    const char *page[] = {K(1), K(2), NULL};
    reply_page(f, NULL, page, NULL);
    reply_object(f, K(1), "a");
    reply_object(f, K(2), "b");
    fake_times(fake_reply(f->s.w->fake, "DELETE ", 204, ""), 2);
    wc_message m;
    expect_message(f, &m, 8, K(1));
    scripted_source_ack(&f->s, &m);
    expect_message(f, &m, 8, K(2));
    scripted_source_ack(&f->s, &m);
    fake_run(f->s.w);
    fake_assert_all_used(f->s.w->fake);
}

static void a_key_taken_by_another_consumer_is_skipped(void **state)
{
    fixture *f = *state;
    const char *page[] = {K(1), K(2), K(3), NULL};
    reply_page(f, NULL, page, NULL);
    reply_object(f, K(1), "a");
    fake_reply(f->s.w->fake, GET(K(2)), 404,
               "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
               "</Message></Error>");
    reply_object(f, K(3), "c");
    fake_times(fake_reply(f->s.w->fake, "DELETE ", 204, ""), 2);
    wc_message m;
    expect_message(f, &m, 8, K(1));
    scripted_source_ack(&f->s, &m);
    expect_message(f, &m, 8, K(3));
    scripted_source_ack(&f->s, &m);
    fake_run(f->s.w);
    assert_int_equal(fake_count_matching(f->s.w->fake, "DELETE "), 2);
    assert_int_equal(fake_count_matching(f->s.w->fake, DEL(K(2))), 0);
}

static void a_truncated_page_with_nothing_of_ours_is_not_an_empty_poll(void **state)
{
    /* Regression: a --shard 1/2 consumer stopped after 193 requests with 102 of its own left,
     * having taken pages of the other shard's keys for an empty bucket. */
    fixture *f = *state;
    open_source(f, (wc_shard){1, 2}, 4, NULL);
    /* Widgets of the other shard and of ours. */
    char theirs[8][8], ours[2][8];
    int n_theirs = 0, n_ours = 0;
    for (int i = 0; n_theirs < 8 || n_ours < 2; i++) {
        char id[8];
        snprintf(id, sizeof(id), "w%d", i);
        char *body = request_json(id);
        int mine = wc_shard_owns(&(wc_shard){1, 2}, "k", body, strlen(body));
        free(body);
        if (mine && n_ours < 2)
            snprintf(ours[n_ours++], 8, "%s", id);
        else if (!mine && n_theirs < 8)
            snprintf(theirs[n_theirs++], 8, "%s", id);
    }
    const char *page1[] = {K(1), K(2), K(3), "100000000004", NULL};
    const char *page2[] = {"100000000005", "100000000006", "100000000007", "100000000008", NULL};
    const char *page3[] = {"100000000009", "100000000010", NULL};
    const char *const *pages[] = {page1, page2, page3};
    for (int walk = 0; walk < 2; walk++) {
        reply_page(f, NULL, page1, "P2");
        reply_page(f, "P2", page2, "P3");
        reply_page(f, "P3", walk == 0 ? page3 : NULL, NULL);
    }
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 4; i++)
            reply_object(f, pages[p][i], theirs[p * 4 + i]);
    reply_object(f, page3[0], ours[0]);
    reply_object(f, page3[1], ours[1]);
    fake_times(fake_reply(f->s.w->fake, "DELETE ", 204, ""), 2);

    wc_message m;
    wc_error err;
    expect_message(f, &m, 2, page3[0]);
    scripted_source_ack(&f->s, &m);
    expect_message(f, &m, 2, page3[1]);
    scripted_source_ack(&f->s, &m);
    /* The next walk knows the other shard's keys: it reads none of them again, and finds
     * nothing of ours: now it is an empty poll. */
    assert_int_equal(poll_once(f, &m, 2, &err), WC_RECEIVE_EMPTY);
    assert_int_equal(fake_count_matching(f->s.w->fake, "GET " BASE "/1"), 10);
    assert_int_equal(fake_count_matching(f->s.w->fake, LIST), 1 + 6);
    fake_assert_all_used(f->s.w->fake);
}

static void a_walk_of_only_deferred_keys_waits_and_they_come_back_when_due(void **state)
{
    fixture *f = *state;
    const char *page[] = {K(1), NULL};
    fake_times(reply_page(f, NULL, page, NULL), 3);
    fake_times(reply_object(f, K(1), "a"), 2);
    fake_reply(f->s.w->fake, "DELETE ", 204, "");
    wc_message m;
    wc_error err;
    expect_message(f, &m, 1, K(1));
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m, 1000, &err), WC_OK);
    wc_message_cleanup(&m);
    /* Listed again but not due: that walk found work waiting, so it is no empty poll. */
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 1, &err), WC_RECEIVE_WAIT);
    fake_run(f->s.w);
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 1, &err), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, GET(K(1))), 1);
    f->s.w->time.now += 1000;
    expect_message(f, &m, 1, K(1));
    assert_int_equal(m.attempts, 1);
    scripted_source_ack(&f->s, &m);
    fake_run(f->s.w);
    fake_assert_all_used(f->s.w->fake);
}

static void a_listing_failure_is_reported_and_the_next_walk_starts_over(void **state)
{
    fixture *f = *state;
    const char *page1[] = {K(1), NULL};
    reply_page(f, NULL, page1, "T");
    fake_reply(f->s.w->fake, "continuation-token=T&", 403,
               "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
    reply_page(f, NULL, page1, NULL);
    reply_object(f, K(1), "a");
    fake_reply(f->s.w->fake, "DELETE ", 204, "");
    fake_times(reply_page(f, NULL, NULL, NULL), FAKE_FOREVER); /* then the bucket is empty */
    wc_message m, none;
    wc_error err;
    expect_message(f, &m, 1, K(1));
    assert_int_equal(poll_once(f, &none, 1, &err), WC_RECEIVE_FAILED);
    assert_int_equal(err.code, WC_ERR_IO);
    assert_string_equal(err.msg, "listing request bucket \"requests\": AccessDenied: Access Denied "
                                 "(HTTP 403)");
    /* Reported once: the next receive lists again, from the smallest key, and does not read K(1)
     * again while it is in hand. */
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &none, 1, &err), WC_RECEIVE_WAIT);
    fake_run(f->s.w);
    assert_string_equal(fake_find(f->s.w->fake, LIST, 3)->url,
                        BASE "/?delimiter=%2F&encoding-type=url&list-type=2&max-keys=3");
    assert_int_equal(fake_count_matching(f->s.w->fake, GET(K(1))), 1);
    scripted_source_ack(&f->s, &m);
    fake_run(f->s.w);
    assert_int_equal(poll_once(f, &none, 1, &err), WC_RECEIVE_EMPTY);
    assert_int_equal(fake_count_matching(f->s.w->fake, GET(K(1))), 1);
    fake_assert_all_used(f->s.w->fake);
}

static void a_failed_get_is_handed_out_as_an_error(void **state)
{
    fixture *f = *state;
    const char *page[] = {K(1), K(2), NULL};
    reply_page(f, NULL, page, NULL);
    fake_times(fake_reply(f->s.w->fake, GET(K(1)), 503, ""), 5);
    char big[1200];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    fake_reply(f->s.w->fake, GET(K(2)), 200, big);
    wc_message m;
    wc_error err;
    assert_int_equal(poll_once(f, &m, 2, &err), WC_RECEIVE_FAILED);
    assert_int_equal(err.code, WC_ERR_IO);
    assert_string_equal(err.msg, "GetObject of " K(1) ": ServiceUnavailable (HTTP 503)");
    expect_message(f, &m, 2, K(2));
    assert_true(m.too_large);
    assert_true(m.len_at_least);
    assert_null(m.body);
    assert_int_equal(fake_find(f->s.w->fake, GET(K(2)), 0)->max_body, 1000);
    assert_int_equal(f->s.src.ops->release(f->s.src.self, &m, &err), WC_OK);
    wc_message_cleanup(&m);
}

/* --- ends of a message --- */

static void a_dead_letter_is_a_copy_then_a_delete(void **state)
{
    fixture *f = *state;
    const char *page[] = {K(1), NULL};
    reply_page(f, NULL, page, NULL);
    reply_object(f, K(1), "a");
    fake_reply(f->s.w->fake, "PUT " BASE "/dead-letter/" K(1), 200,
               "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>");
    fake_reply(f->s.w->fake, DEL(K(1)), 204, "");
    wc_message m;
    scripted_outcome o = {0};
    expect_message(f, &m, 1, K(1));
    assert_int_equal(f->s.src.ops->dead_letter(f->s.src.self, &m, "owner \"J0hn\"\n\xc3\xa9",
                                               scripted_outcome_done, &o, NULL),
                     WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 1);
    fake_run(f->s.w);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.result, WC_OK);
    const fake_request *copy = fake_find(f->s.w->fake, "PUT ", 0);
    assert_string_equal(fake_request_header(copy, "x-amz-copy-source"), "requests/" K(1));
    assert_string_equal(fake_request_header(copy, "x-amz-metadata-directive"), "REPLACE");
    /* Made safe for a header: printable ASCII only. */
    assert_string_equal(fake_request_header(copy, "x-amz-meta-reason"), "owner \"J0hn\"???");
    /* The delete only after the copy was answered. */
    const fake_request *del = fake_find(f->s.w->fake, DEL(K(1)), 0);
    assert_true(del->at_ms >= copy->at_ms);
    assert_true(copy->answered);
    assert_int_equal(fake_count(f->s.w->fake), 5);
    assert_string_equal(fake_last(f->s.w->fake)->method, "DELETE");
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
}

static void a_failed_copy_leaves_the_request_in_place(void **state)
{
    fixture *f = *state;
    const char *page[] = {K(1), K(2), NULL};
    reply_page(f, NULL, page, NULL);
    reply_object(f, K(1), "a");
    reply_object(f, K(2), "b");
    fake_reply(f->s.w->fake, "PUT " BASE "/dead-letter/" K(1), 403,
               "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
    fake_reply(f->s.w->fake, "PUT " BASE "/dead-letter/" K(2), 200,
               "<CopyObjectResult></CopyObjectResult>");
    fake_times(fake_reply(f->s.w->fake, DEL(K(2)), 500, ""), 5);
    wc_message m;
    scripted_outcome o1 = {0}, o2 = {0};
    expect_message(f, &m, 2, K(1));
    assert_int_equal(
        f->s.src.ops->dead_letter(f->s.src.self, &m, "bad", scripted_outcome_done, &o1, NULL),
        WC_OK);
    wc_message_cleanup(&m);
    expect_message(f, &m, 2, K(2));
    assert_int_equal(
        f->s.src.ops->dead_letter(f->s.src.self, &m, "bad", scripted_outcome_done, &o2, NULL),
        WC_OK);
    wc_message_cleanup(&m);
    fake_run(f->s.w);
    assert_int_equal(o1.result, WC_ERR_IO);
    assert_string_equal(o1.msg, "dead-lettering " K(1) " to requests/dead-letter/" K(
                                    1) ": AccessDenied: Access Denied (HTTP 403)");
    assert_int_equal(fake_count_matching(f->s.w->fake, DEL(K(1))), 0);
    assert_int_equal(o2.result, WC_ERR_IO);
    assert_string_equal(o2.msg, "dead-lettering " K(2) " (copied to requests/dead-letter/" K(
                                    2) ", not deleted): InternalError (HTTP 500)");
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
}

static void a_copy_that_fails_after_its_200_is_a_failure(void **state)
{
    /* S3 may answer CopyObject 200 OK and fail afterwards: the error is then the body. The
     * request must not be deleted, or it is lost (neither applied nor in the dead letters). */
    fixture *f = *state;
    const char *page[] = {K(1), NULL};
    reply_page(f, NULL, page, NULL);
    reply_object(f, K(1), "a");
    fake_reply(f->s.w->fake, "PUT " BASE "/dead-letter/" K(1), 200,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
               "<Message>We encountered an internal error. Please try again.</Message>"
               "<RequestId>C1</RequestId></Error>");
    wc_message m;
    scripted_outcome o = {0};
    expect_message(f, &m, 1, K(1));
    assert_int_equal(
        f->s.src.ops->dead_letter(f->s.src.self, &m, "bad", scripted_outcome_done, &o, NULL),
        WC_OK);
    wc_message_cleanup(&m);
    fake_run(f->s.w);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.result, WC_ERR_IO);
    assert_non_null(strstr(o.msg, "InternalError: We encountered an internal error."));
    assert_int_equal(fake_count_matching(f->s.w->fake, "DELETE "), 0);
}

static void release_and_a_failed_ack_leave_the_object(void **state)
{
    fixture *f = *state;
    const char *page[] = {K(1), NULL};
    fake_times(reply_page(f, NULL, page, NULL), 2);
    fake_times(reply_object(f, K(1), "a"), 2);
    fake_reply(f->s.w->fake, DEL(K(1)), 403,
               "<Error><Code>AccessDenied</Code><Message>no</Message></Error>");
    wc_message m;
    wc_error err;
    expect_message(f, &m, 1, K(1));
    assert_int_equal(f->s.src.ops->release(f->s.src.self, &m, &err), WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(fake_count_matching(f->s.w->fake, "DELETE "), 0);
    /* Released: the next walk takes it again. */
    expect_message(f, &m, 1, K(1));
    scripted_source_ack(&f->s, &m);
    fake_run(f->s.w);
    assert_int_equal(fake_count_matching(f->s.w->fake, DEL(K(1))), 1);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
    fake_assert_all_used(f->s.w->fake);
}

/* Issue 15 item 10: a key's place must start with the 13 digits of epoch milliseconds the
 * producers write; "zz..." (or 14 digits) would outrank every real write for ever, so such a key
 * has no place and says why (the poller dead-letters it). */
static void a_key_without_13_leading_digits_has_no_place(void **state)
{
    fixture *f = *state;
    const char *keys[] = {"1615728964574", "1615728964575-b", "16157289645760", "zz-late", NULL};
    reply_page(f, NULL, keys, NULL);
    for (int i = 0; keys[i]; i++)
        reply_object(f, keys[i], "w1");
    wc_message m;
    for (int i = 0; i < 2; i++) {
        expect_message(f, &m, 4, keys[i]);
        assert_string_equal(m.place, keys[i]);
        assert_null(m.place_why);
        wc_message_cleanup(&m);
    }
    for (int i = 2; keys[i]; i++) {
        expect_message(f, &m, 4, keys[i]);
        assert_null(m.place);
        assert_non_null(m.place_why);
        assert_non_null(strstr(m.place_why, "key (after the request prefix) does not start with "
                                            "the 13 digits of epoch milliseconds"));
        wc_message_cleanup(&m);
    }
}

/* A test on the fake world alone, or with the source open on it. */
#define T(name)      cmocka_unit_test_setup_teardown(name, setup, teardown)
#define T_OPEN(name) cmocka_unit_test_setup_teardown(name, setup_open, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(open_checks_that_the_buckets_answer),
        T(the_look_ahead_is_bounded_by_bytes),
        T(a_body_larger_than_the_bound_still_comes),
        T(a_missing_bucket_is_a_one_line_error),
        T_OPEN(the_walk_goes_across_pages_in_key_order),
        T_OPEN(gets_run_at_once_and_are_handed_out_in_key_order),
        T_OPEN(a_key_taken_by_another_consumer_is_skipped),
        T(a_truncated_page_with_nothing_of_ours_is_not_an_empty_poll),
        T_OPEN(a_walk_of_only_deferred_keys_waits_and_they_come_back_when_due),
        T_OPEN(a_listing_failure_is_reported_and_the_next_walk_starts_over),
        T_OPEN(a_failed_get_is_handed_out_as_an_error),
        T_OPEN(a_dead_letter_is_a_copy_then_a_delete),
        T_OPEN(a_failed_copy_leaves_the_request_in_place),
        T_OPEN(a_copy_that_fails_after_its_200_is_a_failure),
        T_OPEN(release_and_a_failed_ack_leave_the_object),
        T_OPEN(a_key_without_13_leading_digits_has_no_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
