/* The S3 event notifications source (s3_events_source.c) against scripted S3 answers, on a
 * scripted queue (a small source in this file standing for SQS): records fetched and handed out
 * with their places, objects already gone skipped, a message deleted once all its records ended,
 * one deferred record deferring its message, a record's dead letter (copy, then delete), the
 * s3:TestEvent skipped, a request passed through, a bad notification dead-lettered. */
#include "scripted_source.h"
#include "sources/s3_events_source.h"

#define BASE   "https://reqs.s3.us-east-1.amazonaws.com"
#define K(n)   "in/100000000000" #n
#define GET(k) "GET " BASE "/" k
#define DEL(k) "DELETE " BASE "/" k
#define REC(k)                                                                                     \
    "{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","    \
    "\"s3\":{\"bucket\":{\"name\":\"reqs\"},\"object\":{\"key\":\"" k "\",\"size\":9}}}"
#define NO_SUCH_KEY "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"

/* The queue: messages given out in order, and what was done with them. */
typedef struct {
    const char *bodies[8];
    size_t n, next;
    int acks, defers, releases, dead, forgets;
    char hurried[16]; /* the last key hurried */
    uint64_t delay_ms;
    char reason[512];
} queue;

static wc_receive_status q_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    queue *q = self;
    memset(msg, 0, sizeof(*msg));
    if (q->next == q->n)
        return WC_RECEIVE_EMPTY;
    char id[16];
    snprintf(id, sizeof(id), "m%zu", q->next);
    msg->key = strdup(id);
    msg->body = strdup(q->bodies[q->next]);
    msg->len = strlen(msg->body);
    msg->handle = strdup("receipt");
    q->next++;
    return WC_RECEIVE_READY;
}

static wc_result q_end(wc_message *msg, int *count)
{
    (*count)++;
    free(msg->handle);
    msg->handle = NULL;
    return WC_OK;
}

static wc_result q_ack(void *self, wc_message *msg, wc_error *err)
{
    return q_end(msg, &((queue *)self)->acks);
}

static wc_result q_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    ((queue *)self)->delay_ms = delay_ms;
    return q_end(msg, &((queue *)self)->defers);
}

static wc_result q_release(void *self, wc_message *msg, wc_error *err)
{
    return q_end(msg, &((queue *)self)->releases);
}

static void q_forget(void *self, wc_message *msg)
{
    q_end(msg, &((queue *)self)->forgets);
}

static wc_result q_dead_letter(void *self, wc_message *msg, const char *reason, wc_source_done done,
                               void *ctx, wc_error *err)
{
    queue *q = self;
    snprintf(q->reason, sizeof(q->reason), "%s", reason);
    q_end(msg, &q->dead);
    wc_error e;
    wc_error_clear(&e);
    done(ctx, WC_OK, &e);
    return WC_OK;
}

static wc_result q_hurry(void *self, const char *key)
{
    snprintf(((queue *)self)->hurried, sizeof(((queue *)self)->hurried), "%s", key);
    return WC_OK;
}

static void q_destroy(void *self)
{
    (void)self; /* the fixture's */
}

static const wc_source_ops queue_ops = {
    .kind = "sqs",
    .receive = q_receive,
    .ack = q_ack,
    .defer = q_defer,
    .dead_letter = q_dead_letter,
    .release = q_release,
    .hurry = q_hurry,
    .forget = q_forget,
    .destroy = q_destroy,
};

typedef struct {
    scripted_source s; /* first: see scripted_source_setup */
    queue q;
} fixture;

static void open_source(fixture *f)
{
    wc_source inner = {&queue_ops, &f->q};
    wc_s3_events_source_config c = {f->s.w->aws, 0, NULL, "dead-letter/", 1000};
    wc_error err;
    if (wc_s3_events_source_wrap(&c, &inner, &f->s.src, &err) != WC_OK)
        fail_msg("wc_s3_events_source_wrap: %s", err.msg);
}

static int setup(void **state)
{
    return scripted_source_setup(state, sizeof(fixture));
}

static int teardown(void **state)
{
    return scripted_source_teardown(state);
}

/* Receives until a message or an empty poll, turning the loop on WAIT. */
static wc_receive_status poll_once(fixture *f, wc_message *m, wc_error *err)
{
    return scripted_source_poll(&f->s, m, 8, err);
}

static void expect_message(fixture *f, wc_message *m, const char *key, const char *body)
{
    scripted_source_next(&f->s, m, 8);
    assert_string_equal(m->key, key);
    assert_string_equal(m->body, body);
    assert_string_equal(m->place, strrchr(key, '/') + 1);
}

static void records_applied_gone_skipped_then_the_message_deleted(void **state)
{
    fixture *f = *state;
    f->q.bodies[f->q.n++] = "{\"Records\":[" REC(K(1)) "," REC(K(2)) "," REC(K(3)) "]}";
    open_source(f);
    fake_reply(f->s.w->fake, GET(K(1)), 200, "one");
    fake_reply(f->s.w->fake, GET(K(2)), 404, NO_SUCH_KEY);
    fake_reply(f->s.w->fake, GET(K(3)), 200, "three");
    fake_times(fake_reply(f->s.w->fake, "DELETE ", 204, ""), 2);
    wc_message a, b;
    expect_message(f, &a, K(1), "one");
    expect_message(f, &b, K(3), "three");
    assert_int_equal(f->s.src.ops->ack(f->s.src.self, &a, NULL), WC_OK);
    wc_message_cleanup(&a);
    fake_run(f->s.w);
    assert_int_equal(f->q.acks, 0); /* a record is still in hand */
    assert_int_equal(f->s.src.ops->ack(f->s.src.self, &b, NULL), WC_OK);
    wc_message_cleanup(&b);
    fake_run(f->s.w);
    assert_int_equal(f->q.acks, 1);
    assert_int_equal(fake_count_matching(f->s.w->fake, "DELETE "), 2);
    assert_int_equal(fake_count_matching(f->s.w->fake, DEL(K(2))), 0);
    wc_s3_events_counts c = wc_s3_events_source_counts(&f->s.src);
    assert_int_equal(c.records, 2);
    assert_int_equal(c.gone, 1);
    wc_error err;
    assert_int_equal(poll_once(f, &a, &err), WC_RECEIVE_EMPTY);
    fake_assert_all_used(f->s.w->fake);
}

static void one_deferred_record_defers_its_message(void **state)
{
    fixture *f = *state;
    f->q.bodies[f->q.n++] = "{\"Records\":[" REC(K(1)) "," REC(K(2)) "]}";
    open_source(f);
    fake_reply(f->s.w->fake, GET(K(1)), 200, "one");
    fake_reply(f->s.w->fake, GET(K(2)), 200, "two");
    fake_reply(f->s.w->fake, DEL(K(1)), 204, "");
    wc_message a, b;
    expect_message(f, &a, K(1), "one");
    expect_message(f, &b, K(2), "two");
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &b, 5000, NULL), WC_OK);
    wc_message_cleanup(&b);
    assert_int_equal(f->s.src.ops->ack(f->s.src.self, &a, NULL), WC_OK);
    wc_message_cleanup(&a);
    fake_run(f->s.w);
    assert_int_equal(f->q.acks, 0);
    assert_int_equal(f->q.defers, 1);
    assert_int_equal(f->q.delay_ms, 5000);
    assert_int_equal(fake_count_matching(f->s.w->fake, DEL(K(2))), 0); /* it stays */
    fake_assert_all_used(f->s.w->fake);
}

/* A shutdown whose timeout passed: a record forgotten leaves its message to come back (forgotten
 * in the queue too, not deleted), and a message passed through is forgotten by the queue. */
static void forget_leaves_records_and_messages_with_no_call(void **state)
{
    fixture *f = *state;
    f->q.bodies[f->q.n++] = "{\"Records\":[" REC(K(1)) "," REC(K(2)) "]}";
    f->q.bodies[f->q.n++] = "{\"type\":\"create\"}";
    open_source(f);
    fake_reply(f->s.w->fake, GET(K(1)), 200, "one");
    fake_reply(f->s.w->fake, GET(K(2)), 200, "two");
    fake_reply(f->s.w->fake, DEL(K(1)), 204, "");
    wc_message plain, a, b;
    wc_error err;
    assert_int_equal(poll_once(f, &plain, &err), WC_RECEIVE_READY);
    assert_string_equal(plain.key, "m1");
    f->s.src.ops->forget(f->s.src.self, &plain);
    assert_null(plain.handle);
    wc_message_cleanup(&plain);
    assert_int_equal(f->q.forgets, 1);
    expect_message(f, &a, K(1), "one");
    expect_message(f, &b, K(2), "two");
    assert_int_equal(f->s.src.ops->ack(f->s.src.self, &a, NULL), WC_OK);
    wc_message_cleanup(&a);
    f->s.src.ops->forget(f->s.src.self, &b);
    wc_message_cleanup(&b);
    fake_run(f->s.w);
    assert_int_equal(f->q.forgets, 2);
    assert_int_equal(f->q.acks + f->q.defers + f->q.releases, 0);
    assert_int_equal(fake_count_matching(f->s.w->fake, DEL(K(2))), 0); /* it stays */
    fake_assert_all_used(f->s.w->fake);
}

static void a_record_dead_letter_is_a_copy_then_a_delete(void **state)
{
    fixture *f = *state;
    f->q.bodies[f->q.n++] = "{\"Records\":[" REC(K(1)) "]}";
    open_source(f);
    fake_reply(f->s.w->fake, GET(K(1)), 200, "{bad");
    fake_reply(f->s.w->fake, "PUT " BASE "/dead-letter/" K(1), 200,
               "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>");
    fake_reply(f->s.w->fake, DEL(K(1)), 204, "");
    wc_message m;
    scripted_outcome o = {0};
    expect_message(f, &m, K(1), "{bad");
    assert_int_equal(
        f->s.src.ops->dead_letter(f->s.src.self, &m, "not JSON", scripted_outcome_done, &o, NULL),
        WC_OK);
    wc_message_cleanup(&m);
    fake_run(f->s.w);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.result, WC_OK);
    const fake_request *copy = fake_find(f->s.w->fake, "PUT ", 0);
    assert_string_equal(fake_request_header(copy, "x-amz-copy-source"), "reqs/" K(1));
    assert_string_equal(fake_request_header(copy, "x-amz-meta-reason"), "not JSON");
    assert_int_equal(f->q.acks, 1);
    fake_assert_all_used(f->s.w->fake);
}

static void test_event_skipped_request_passed_bad_notification_dead_lettered(void **state)
{
    fixture *f = *state;
    f->q.bodies[f->q.n++] = "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\"}";
    f->q.bodies[f->q.n++] = "{\"type\":\"create\"}";
    f->q.bodies[f->q.n++] = "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":"
                            "\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"reqs\"}}}]}";
    open_source(f);
    wc_message m;
    wc_error err;
    assert_int_equal(poll_once(f, &m, &err), WC_RECEIVE_READY);
    assert_string_equal(m.key, "m1");
    assert_string_equal(m.body, "{\"type\":\"create\"}");
    assert_non_null(m.handle);      /* the S3-event source's, wrapping the queue's own */
    assert_int_equal(f->q.acks, 1); /* the test event */
    assert_int_equal(f->s.src.ops->release(f->s.src.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(f->q.releases, 1);
    /* A request message's hurry (issue 16) is the queue's. */
    assert_int_equal(f->s.src.ops->hurry(f->s.src.self, "m1"), WC_OK);
    assert_string_equal(f->q.hurried, "m1");
    assert_int_equal(poll_once(f, &m, &err), WC_RECEIVE_EMPTY);
    assert_int_equal(f->q.dead, 1);
    assert_string_equal(f->q.reason,
                        "bad S3 event notification: Records[0]: no bucket name or object key");
    assert_int_equal(wc_s3_events_source_counts(&f->s.src).skipped, 1);
    assert_int_equal(fake_count(f->s.w->fake), 0);
}

static void a_stop_hands_back_what_was_not_handed_out(void **state)
{
    fixture *f = *state;
    f->q.bodies[f->q.n++] = "{\"Records\":[" REC(K(1)) "," REC(K(2)) "]}";
    open_source(f);
    fake_reply(f->s.w->fake, GET(K(1)), 200, "one");
    fake_reply(f->s.w->fake, GET(K(2)), 200, "two");
    wc_message a;
    expect_message(f, &a, K(1), "one");
    fake_run(f->s.w); /* the second is fetched, not handed out */
    f->s.src.ops->stop(f->s.src.self);
    assert_int_equal(f->q.releases, 0);
    assert_int_equal(f->s.src.ops->release(f->s.src.self, &a, NULL), WC_OK);
    wc_message_cleanup(&a);
    assert_int_equal(f->q.releases, 1);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(records_applied_gone_skipped_then_the_message_deleted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(one_deferred_record_defers_its_message, setup, teardown),
        cmocka_unit_test_setup_teardown(forget_leaves_records_and_messages_with_no_call, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_record_dead_letter_is_a_copy_then_a_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_event_skipped_request_passed_bad_notification_dead_lettered, setup, teardown),
        cmocka_unit_test_setup_teardown(a_stop_hands_back_what_was_not_handed_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
