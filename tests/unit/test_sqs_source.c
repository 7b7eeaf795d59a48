/* Tests of the SQS source against the scripted fake transport: receives kept in flight ahead of
 * need, messages handed out one at a time with their attempts, deletes and visibility changes in
 * batches without waiting, a failed receive reported once and then fetching going on, an empty
 * answer as one empty poll, and a stop that hands back what came and abandons an idle long
 * poll. No network. */
#include "aws/client.h"
#include "fake_transport.h"
#include "sources/sqs_source.h"

#define URL      "http://127.0.0.1:1/000000000000/q.fifo"
#define STANDARD "http://127.0.0.1:1/000000000000/q"
static int standard_queue; /* the next setup opens a standard queue instead of a FIFO one */

typedef struct {
    fake_aws a;
    wc_source src;
    int news;
} fixture;

static void on_news(void *ctx)
{
    ((fixture *)ctx)->news++;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fake_aws_init(&f->a, "AKIDSQSTEST", NULL, NULL);
    /* Start-up: the queue's URL, then its redrive policy (none). */
    fake_script(&f->a.fake, (fake_answer){.match = "GetQueueUrl",
                                          .status = 200,
                                          .body = standard_queue ? "{\"QueueUrl\":\"" STANDARD "\"}"
                                                                 : "{\"QueueUrl\":\"" URL "\"}"});
    fake_script(
        &f->a.fake,
        (fake_answer){.match = "GetQueueAttributes", .status = 200, .body = "{\"Attributes\":{}}"});
    wc_sqs_source_config sc = {f->a.aws, "q", NULL, 20, 30, 1000, &f->a.clock};
    wc_error err;
    if (wc_sqs_source_open(&sc, &f->src, &err) != WC_OK)
        fail_msg("open: %s", err.msg);
    f->src.ops->set_notify(f->src.self, on_news, f);
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

/* A ReceiveMessage answer with n messages m<first>..; the second receive of each has been seen
 * twice (ApproximateReceiveCount 2). */
static char *messages(int first, int n)
{
    static char buf[8192];
    size_t o = (size_t)snprintf(buf, sizeof(buf), "{\"Messages\":[");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o,
                              "%s{\"MessageId\":\"m%d\",\"ReceiptHandle\":\"rh%d\",\"Body\":\"{}\","
                              "\"Attributes\":{\"ApproximateReceiveCount\":\"%d\"}}",
                              i ? "," : "", first + i, first + i, i == 1 ? 2 : 1);
    snprintf(buf + o, sizeof(buf) - o, "]}");
    return strdup(buf);
}

static void turn_until_quiet(fixture *f)
{
    for (int i = 0; i < 20; i++)
        wc_loop_turn(f->a.loop, 0);
}

static void receives_ahead_for_what_can_be_taken_and_hands_out_one_at_a_time(void **state)
{
    fixture *f = *state;
    char *a = messages(0, 10), *b = messages(10, 10), *c = messages(20, 3);
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = a});
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = b});
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = c});
    fake_script(
        &f->a.fake,
        (fake_answer){.match = "ChangeMessageVisibilityBatch", .status = 200, .body = "{}"});
    fake_script(
        &f->a.fake,
        (fake_answer){.match = "ChangeMessageVisibilityBatch", .status = 200, .body = "{}"});
    fake_script(
        &f->a.fake,
        (fake_answer){.match = "ChangeMessageVisibilityBatch", .status = 200, .body = "{}"});
    wc_message m;
    /* Room for 25: three receives go out at once, nothing waits. */
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 25, NULL), WC_WAIT);
    assert_int_equal(fake_count(&f->a.fake, "AmazonSQS.ReceiveMessage"), 3);
    assert_non_null(strstr(f->a.fake.requests[2], "\"WaitTimeSeconds\":20"));
    assert_non_null(strstr(f->a.fake.requests[2], "\"MaxNumberOfMessages\":10"));
    turn_until_quiet(f);
    assert_true(f->news >= 1);
    int got = 0;
    while (f->src.ops->receive(f->src.self, &m, 0, NULL) == WC_OK) {
        if (strcmp(m.key, "m1") == 0)
            assert_int_equal(m.attempts, 1); /* ApproximateReceiveCount 2: tried once before */
        else if (strcmp(m.key, "m0") == 0)
            assert_int_equal(m.attempts, 0);
        assert_string_equal(m.body, "{}");
        f->src.ops->release(f->src.self, &m, NULL);
        wc_message_cleanup(&m);
        got++;
    }
    assert_int_equal(got, 23);
    /* Handed back (visibility 0) in batches of ten. */
    turn_until_quiet(f);
    assert_int_equal(fake_count(&f->a.fake, "ChangeMessageVisibilityBatch"), 3);
    free(a);
    free(b);
    free(c);
}

static void acks_go_out_in_batches_of_ten_without_waiting(void **state)
{
    fixture *f = *state;
    char *a = messages(0, 10), *b = messages(10, 10);
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = a});
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = b});
    for (int i = 0; i < 2; i++)
        fake_script(&f->a.fake, (fake_answer){.match = "DeleteMessageBatch",
                                              .status = 200,
                                              .body = "{\"Successful\":[],\"Failed\":[]}"});
    fake_script(&f->a.fake, (fake_answer){.match = "ChangeMessageVisibilityBatch",
                                          .status = 200,
                                          .body = "{\"Successful\":[],\"Failed\":[]}"});
    wc_message m;
    f->src.ops->receive(f->src.self, &m, 20, NULL);
    turn_until_quiet(f);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(f->src.ops->receive(f->src.self, &m, 0, NULL), WC_OK);
        if (i < 15)
            assert_int_equal(f->src.ops->ack(f->src.self, &m, NULL), WC_OK);
        else
            assert_int_equal(f->src.ops->defer(f->src.self, &m, 2500, NULL), WC_OK);
        wc_message_cleanup(&m);
    }
    /* Ten acks made one batch at once; the rest waits for the end of the loop's turn. */
    assert_int_equal(fake_count(&f->a.fake, "DeleteMessageBatch"), 1);
    turn_until_quiet(f);
    assert_int_equal(fake_count(&f->a.fake, "DeleteMessageBatch"), 2);
    assert_int_equal(fake_count(&f->a.fake, "ChangeMessageVisibilityBatch"), 1);
    /* A deferral hides the message for its delay, rounded up to whole seconds. */
    assert_int_equal(fake_count(&f->a.fake, "\"VisibilityTimeout\":3}"), 1);
    assert_int_equal(f->src.ops->flush(f->src.self), 0);
    free(a);
    free(b);
}

static void a_failed_receive_is_told_once_and_fetching_goes_on(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 5; i++) /* every try of the client's */
        fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .net_error = 1});
    char *a = messages(0, 1);
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = a});
    wc_message m;
    wc_error err;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, &err), WC_WAIT);
    turn_until_quiet(f);
    for (int i = 0; i < 20 && f->a.fake.n_requests < 7; i++)
        wc_loop_turn(f->a.loop, -1); /* the client's retries wait on timers */
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, &err), WC_ERR_IO);
    assert_non_null(strstr(err.msg, "ReceiveMessage: "));
    assert_non_null(strstr(err.msg, "NetworkError"));
    /* Told once: the next call fetches again. */
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, &err), WC_WAIT);
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, &err), WC_OK);
    assert_string_equal(m.key, "m0");
    f->src.ops->release(f->src.self, &m, NULL);
    wc_message_cleanup(&m);
    free(a);
}

static void an_empty_answer_is_one_empty_poll(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = "{}"});
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = "{}"});
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 20, NULL), WC_WAIT);
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 20, NULL), WC_EMPTY);
    /* No new receive until the empty poll was told. */
    assert_int_equal(fake_count(&f->a.fake, "AmazonSQS.ReceiveMessage"), 2);
}

static void a_stop_abandons_an_idle_long_poll_after_a_moment(void **state)
{
    fixture *f = *state;
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .hang = 1});
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_WAIT);
    f->src.ops->stop(f->src.self);
    assert_int_equal(f->src.ops->flush(f->src.self), 1); /* the receive is waited for... */
    uint64_t t0 = f->a.t.now;
    while (f->src.ops->flush(f->src.self) > 0 && f->a.t.now - t0 < 5000)
        wc_loop_turn(f->a.loop, -1);
    assert_int_equal(f->src.ops->flush(f->src.self), 0); /* ...for a second, then abandoned */
    assert_int_equal(f->a.t.now - t0, 1000);
    assert_int_equal(f->a.fake.in_flight, 0);
}

/* A standard queue: one receive at a time (overlapping ones would hand messages out in the order
 * their calls came back, not the queue's); the next goes out while the last batch is applied. */
static void a_standard_queue_receives_one_at_a_time_ahead_of_need(void **state)
{
    fixture *f = *state;
    char *a = messages(0, 10), *b = messages(10, 10);
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = a});
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .status = 200, .body = b});
    fake_script(&f->a.fake, (fake_answer){.match = "ReceiveMessage", .hang = 1});
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 40, NULL), WC_WAIT);
    assert_int_equal(fake_count(&f->a.fake, "AmazonSQS.ReceiveMessage"), 1);
    turn_until_quiet(f);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 40, NULL), WC_OK);
    assert_string_equal(m.key, "m0");
    free(m.handle); /* a test without the ending calls */
    wc_message_cleanup(&m);
    /* The second receive went out as soon as the first batch was being handed out. */
    assert_int_equal(fake_count(&f->a.fake, "AmazonSQS.ReceiveMessage"), 2);
    turn_until_quiet(f);
    for (int i = 1; i < 20; i++) {
        assert_int_equal(f->src.ops->receive(f->src.self, &m, 40, NULL), WC_OK);
        char want[8];
        snprintf(want, sizeof(want), "m%d", i);
        assert_string_equal(m.key, want); /* the queue's order */
        free(m.handle);                   /* a test without the ending calls */
        wc_message_cleanup(&m);
    }
    free(a);
    free(b);
}

static int setup_standard(void **state)
{
    standard_queue = 1;
    int r = setup(state);
    standard_queue = 0;
    return r;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(receives_ahead_for_what_can_be_taken_and_hands_out_one_at_a_time),
        T(acks_go_out_in_batches_of_ten_without_waiting),
        T(a_failed_receive_is_told_once_and_fetching_goes_on),
        T(an_empty_answer_is_one_empty_poll),
        T(a_stop_abandons_an_idle_long_poll_after_a_moment),
        cmocka_unit_test_setup_teardown(a_standard_queue_receives_one_at_a_time_ahead_of_need,
                                        setup_standard, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
