/* The SQS source (sqs_source.c) against scripted answers: receives kept ahead of need, messages
 * handed out one at a time, batched deletes and visibility changes, dead letters, failures, the
 * empty poll and stopping. */
#include "aws/sqs.h"
#include "scripted_source.h"
#include "sources/sqs_source.h"

/* A FIFO queue: receives overlap (a standard queue is received one batch at a time). */
#define QUEUE "https://sqs.us-east-1.amazonaws.com/123456789012/requests.fifo"
#define DEAD  "https://sqs.us-east-1.amazonaws.com/123456789012/dead"

#define RECEIVE "AmazonSQS.ReceiveMessage"
#define DELETES "AmazonSQS.DeleteMessageBatch"
#define HIDES   "AmazonSQS.ChangeMessageVisibilityBatch"
#define SEND    "AmazonSQS.SendMessage"

typedef struct {
    scripted_source s; /* first: see scripted_source_setup */
} fixture;

/* Scripts the start-up calls and opens the source (dead: a dead-letter queue, or NULL with
 * redrive saying whether the queue has a redrive policy). */
static void open_source(fixture *f, const char *dead, int redrive)
{
    fake_reply(f->s.w->fake, "\"QueueName\":\"requests\"", 200, "{\"QueueUrl\":\"" QUEUE "\"}");
    if (dead)
        fake_reply(f->s.w->fake, "\"QueueName\":\"dead\"", 200, "{\"QueueUrl\":\"" DEAD "\"}");
    else
        fake_reply(f->s.w->fake, "RedrivePolicy", 200,
                   redrive ? "{\"Attributes\":{\"RedrivePolicy\":\"{\\\"maxReceiveCount\\\":5}\"}}"
                           : "{\"Attributes\":{}}");
    wc_sqs_source_config c = {.aws = f->s.w->aws,
                              .queue = "requests",
                              .dead_letter_queue = dead,
                              .wait_s = 20,
                              .visibility_s = 30,
                              .max_body = 100,
                              .clock = &f->s.w->clock};
    wc_error err;
    wc_result result = wc_sqs_source_open(&c, &f->s.src, &err);
    scripted_source_opened(&f->s, result, &err, "wc_sqs_source_open");
    fake_assert_all_used(f->s.w->fake);
}

static int setup(void **state)
{
    return scripted_source_setup(state, sizeof(fixture));
}

static int setup_open(void **state)
{
    setup(state);
    open_source(*state, NULL, 0);
    return 0;
}

static int teardown(void **state)
{
    return scripted_source_teardown(state);
}

/* A ReceiveMessage answer of messages first..first+n-1: MessageId id-N, ReceiptHandle rh-N, body
 * {"n":N}, ApproximateReceiveCount count (NULL: none). Caller frees. */
static char *messages(int first, int n, const char *count)
{
    json_t *list = json_array();
    for (int i = first; i < first + n; i++) {
        char id[32], rh[32], body[32];
        snprintf(id, sizeof(id), "id-%d", i);
        snprintf(rh, sizeof(rh), "rh-%d", i);
        snprintf(body, sizeof(body), "{\"n\":%d}", i);
        json_t *m =
            json_pack("{s:s, s:s, s:s}", "MessageId", id, "ReceiptHandle", rh, "Body", body);
        if (count)
            json_object_set_new(m, "Attributes",
                                json_pack("{s:s}", "ApproximateReceiveCount", count));
        json_array_append_new(list, m);
    }
    json_t *answer = json_pack("{s:o}", "Messages", list);
    char *text = json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    return text;
}

static void reply_messages(fixture *f, int first, int n, const char *count)
{
    char *text = messages(first, n, count);
    fake_reply(f->s.w->fake, RECEIVE, 200, text);
    free(text);
}

static wc_receive_status receive(fixture *f, wc_message *m, unsigned want)
{
    wc_error err;
    return f->s.src.ops->receive(f->s.src.self, m, want, &err);
}

/* Receives the next message, turning the loop until one is ready. */
static void next_message(fixture *f, wc_message *m, unsigned want)
{
    scripted_source_next(&f->s, m, want);
}

/* Messages 1..n to receive, one answer of `then` (DELETES, HIDES) ready, and the first message
 * received into m (the consumer's room: n). */
static void first_of(fixture *f, int n, const char *then, wc_message *m)
{
    reply_messages(f, 1, n, "1");
    fake_reply(f->s.w->fake, then, 200, "{}");
    next_message(f, m, n);
}

/* Entry i of a batch request's body: its receipt, and its VisibilityTimeout (-1: none). */
static void assert_entry(const fake_request *r, size_t i, const char *receipt, int seconds)
{
    json_t *body = fake_request_json(r);
    assert_string_equal(json_string_value(json_object_get(body, "QueueUrl")), QUEUE);
    json_t *e = json_array_get(json_object_get(body, "Entries"), i);
    assert_non_null(e);
    char id[16];
    snprintf(id, sizeof(id), "m%zu", i);
    assert_string_equal(json_string_value(json_object_get(e, "Id")), id);
    assert_string_equal(json_string_value(json_object_get(e, "ReceiptHandle")), receipt);
    json_t *vis = json_object_get(e, "VisibilityTimeout");
    if (seconds < 0)
        assert_null(vis);
    else
        assert_int_equal(json_integer_value(vis), seconds);
    json_decref(body);
}

static size_t entries(const fake_request *r)
{
    json_t *body = fake_request_json(r);
    size_t n = json_array_size(json_object_get(body, "Entries"));
    json_decref(body);
    return n;
}

/* --- opening --- */

static void open_resolves_the_queue_and_reads_its_redrive_policy(void **state)
{
    fixture *f = *state;
    open_source(f, NULL, 1);
    assert_int_equal(fake_count(f->s.w->fake), 2);
    assert_string_equal(fake_request_header(fake_request_at(f->s.w->fake, 0), "X-Amz-Target"),
                        "AmazonSQS.GetQueueUrl");
    json_t *body = fake_request_json(fake_request_at(f->s.w->fake, 1));
    assert_string_equal(json_string_value(json_object_get(body, "QueueUrl")), QUEUE);
    json_decref(body);
}

static void a_missing_queue_is_a_one_line_error(void **state)
{
    fixture *f = *state;
    fake_header(fake_reply(f->s.w->fake, "GetQueueUrl", 400,
                           "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The "
                           "specified queue does not exist.\"}"),
                "x-amzn-RequestId", "Q1");
    wc_sqs_source_config c = {.aws = f->s.w->aws, .queue = "requests", .wait_s = 1};
    wc_error err;
    assert_int_equal(wc_sqs_source_open(&c, &f->s.src, &err), WC_ERR_NOT_FOUND);
    assert_string_equal(err.msg, "request queue \"requests\": QueueDoesNotExist: The specified "
                                 "queue does not exist. (HTTP 400, request id Q1)");
    assert_null(f->s.src.ops);
}

/* Issue 9: a dead-letter queue that is the request queue itself is refused, by name or by a
 * URL with another host. */
static void a_dead_letter_queue_that_is_the_request_queue_is_refused(void **state)
{
    fixture *f = *state;
    const char *given[] = {"requests", QUEUE,
                           "https://queue.amazonaws.com/123456789012/requests.fifo/"};
    for (int i = 0; i < 3; i++) {
        fake_reply(f->s.w->fake, "\"QueueName\":\"requests\"", 200, "{\"QueueUrl\":\"" QUEUE "\"}");
        if (i == 0)
            fake_reply(f->s.w->fake, "\"QueueName\":\"requests\"", 200,
                       "{\"QueueUrl\":\"" QUEUE "\"}");
        else
            fake_reply(f->s.w->fake, "GetQueueAttributes", 200, "{\"Attributes\":{}}");
        wc_sqs_source_config c = {
            .aws = f->s.w->aws, .queue = "requests", .dead_letter_queue = given[i], .wait_s = 1};
        wc_error err;
        assert_int_equal(wc_sqs_source_open(&c, &f->s.src, &err), WC_ERR_INVALID);
        char want[512];
        snprintf(want, sizeof(want),
                 "--dead-letter-queue \"%s\" is the request queue itself (" QUEUE
                 "): bad requests would come back as requests for ever; name another queue",
                 given[i]);
        assert_string_equal(err.msg, want);
        assert_null(f->s.src.ops);
        fake_assert_all_used(f->s.w->fake);
    }
    /* Another queue of the same name in another account is another queue. */
    fake_reply(f->s.w->fake, "\"QueueName\":\"requests\"", 200, "{\"QueueUrl\":\"" QUEUE "\"}");
    fake_reply(f->s.w->fake, "GetQueueAttributes", 200, "{\"Attributes\":{}}");
    wc_sqs_source_config c = {.aws = f->s.w->aws,
                              .queue = "requests",
                              .dead_letter_queue =
                                  "https://sqs.us-east-1.amazonaws.com/999999999999/requests.fifo",
                              .wait_s = 1};
    assert_int_equal(wc_sqs_source_open(&c, &f->s.src, NULL), WC_OK);
}

/* --- receiving --- */

static void receives_are_kept_ahead_of_need(void **state)
{
    fixture *f = *state;
    fake_times(fake_hang(f->s.w->fake, RECEIVE), FAKE_FOREVER);
    wc_message m;
    assert_int_equal(receive(f, &m, 25), WC_RECEIVE_WAIT);
    /* Three receives of ten for 25 wanted, all in flight at once. */
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 3);
    assert_int_equal(fake_in_flight(f->s.w->fake), 3);
    json_t *body = fake_request_json(fake_last(f->s.w->fake));
    assert_int_equal(json_integer_value(json_object_get(body, "MaxNumberOfMessages")), 10);
    assert_int_equal(json_integer_value(json_object_get(body, "WaitTimeSeconds")), 20);
    assert_int_equal(json_integer_value(json_object_get(body, "VisibilityTimeout")), 30);
    json_decref(body);
    /* Asking again adds none while enough are on the way; a larger want adds up to eight. */
    assert_int_equal(receive(f, &m, 25), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 3);
    assert_int_equal(receive(f, &m, 1000), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 8);
    /* want 0: fetch nothing. */
    assert_int_equal(receive(f, &m, 0), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 8);
}

static void messages_are_handed_out_one_at_a_time_with_their_attempts(void **state)
{
    fixture *f = *state;
    char *text = messages(1, 3, NULL);
    json_t *answer = json_loads(text, 0, NULL);
    free(text);
    json_t *list = json_object_get(answer, "Messages");
    json_object_set_new(json_array_get(list, 0), "Attributes",
                        json_pack("{s:s}", "ApproximateReceiveCount", "1"));
    json_object_set_new(json_array_get(list, 1), "Attributes",
                        json_pack("{s:s}", "ApproximateReceiveCount", "4"));
    char big[200];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    json_object_set_new(json_array_get(list, 2), "Body", json_string(big));
    text = json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    fake_reply(f->s.w->fake, RECEIVE, 200, text);
    free(text);
    fake_times(fake_hang(f->s.w->fake, RECEIVE), FAKE_FOREVER);

    wc_message m;
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    assert_int_equal(f->s.notified, 0);
    wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(f->s.notified, 1);
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_READY);
    assert_string_equal(m.key, "id-1");
    assert_string_equal(m.body, "{\"n\":1}");
    assert_int_equal(m.len, 7);
    assert_int_equal(m.attempts, 0);
    assert_false(m.too_large);
    scripted_source_ack(&f->s, &m);
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_READY);
    assert_string_equal(m.key, "id-2");
    assert_int_equal(m.attempts, 3); /* received four times: deferred three times before */
    scripted_source_ack(&f->s, &m);
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_READY);
    assert_string_equal(m.key, "id-3");
    assert_int_equal(m.attempts, 0); /* no count: the first time */
    assert_true(m.too_large);        /* kept whole, for the dead letters */
    assert_int_equal(m.len, 199);
    scripted_source_ack(&f->s, &m);
    /* Only one receive went out for all three. */
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 1);
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 2);
}

static void acks_go_out_in_batches_of_ten_at_the_end_of_the_turn(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 10, "1");
    reply_messages(f, 11, 3, "1");
    fake_times(fake_reply(f->s.w->fake, DELETES, 200, "{\"Successful\":[]}"), 2);
    fake_times(fake_hang(f->s.w->fake, RECEIVE), FAKE_FOREVER);
    wc_message m;
    assert_int_equal(receive(f, &m, 13), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 2);
    wc_loop_turn(f->s.w->loop, -1);
    for (int i = 1; i <= 13; i++) {
        assert_int_equal(receive(f, &m, 1), WC_RECEIVE_READY);
        char id[16];
        snprintf(id, sizeof(id), "id-%d", i);
        assert_string_equal(m.key, id);
        scripted_source_ack(&f->s, &m);
        /* The tenth ack fills a batch: it goes out at once. */
        assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), i < 10 ? 0 : 1);
    }
    const fake_request *first = fake_find(f->s.w->fake, DELETES, 0);
    assert_int_equal(entries(first), 10);
    for (size_t i = 0; i < 10; i++) {
        char rh[16];
        snprintf(rh, sizeof(rh), "rh-%zu", i + 1);
        assert_entry(first, i, rh, -1);
    }
    /* The other three wait for the end of this turn of the loop. */
    wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 2);
    const fake_request *second = fake_find(f->s.w->fake, DELETES, 1);
    assert_int_equal(entries(second), 3);
    assert_entry(second, 0, "rh-11", -1);
    assert_entry(second, 2, "rh-13", -1);
    /* The first batch was answered in that turn too; the second is under way until answered. */
    assert_true(fake_find(f->s.w->fake, DELETES, 0)->answered);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 1);
    wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
}

static void flush_sends_a_partial_batch_at_once(void **state)
{
    fixture *f = *state;
    wc_message m;
    first_of(f, 2, DELETES, &m);
    scripted_source_ack(&f->s, &m);
    next_message(f, &m, 0);
    scripted_source_ack(&f->s, &m);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 0);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 1);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 1);
    assert_int_equal(entries(fake_last(f->s.w->fake)), 2);
    fake_run(f->s.w);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 1); /* not sent twice */
}

/* A batch abandoned at shutdown waits to be tried again; destroying the source then frees it
 * (it used to leak: batch calls were never put on the source's list). Valgrind and ASan judge. */
static void a_batch_waiting_to_be_tried_again_is_freed_with_the_source(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 1, "1");
    fake_hang(f->s.w->fake, DELETES);
    wc_message m;
    next_message(f, &m, 1);
    scripted_source_ack(&f->s, &m);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 1);
    wc_aws_abandon(f->s.w->aws); /* the batch fails, and waits to be sent again */
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 1);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 1);
}

static void defer_hides_the_message_for_the_delay_in_seconds(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 3, "1");
    fake_reply(f->s.w->fake, HIDES, 200, "{}");
    wc_message m;
    uint64_t delays[3] = {1500, 0, 100ull * 24 * 3600 * 1000};
    for (int i = 0; i < 3; i++) {
        next_message(f, &m, 3 - i); /* the consumer's room shrinks as it takes them */
        assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m, delays[i], NULL), WC_OK);
        assert_null(m.handle);
        wc_message_cleanup(&m);
    }
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 0);
    wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 1);
    const fake_request *r = fake_find(f->s.w->fake, HIDES, 0);
    assert_entry(r, 0, "rh-1", 2);     /* 1.5 s rounds up */
    assert_entry(r, 1, "rh-2", 0);     /* due at once */
    assert_entry(r, 2, "rh-3", 43200); /* SQS's longest */
    fake_run(f->s.w);
    fake_assert_all_used(f->s.w->fake);
}

static void an_empty_answer_while_deferred_messages_are_due_is_not_an_empty_poll(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 1, "1");
    fake_reply(f->s.w->fake, HIDES, 200, "{}");
    fake_times(fake_reply(f->s.w->fake, RECEIVE, 200, "{}"), 2);
    wc_message m;
    next_message(f, &m, 1);
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m, 1000, NULL), WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    fake_run(f->s.w);
    /* The deferred message is still hidden: an empty answer means "wait", not "empty". */
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    f->s.w->time.now += 5000; /* well past its due time and the grace after it */
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    fake_run(f->s.w);
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_EMPTY);
}

static void release_hands_the_message_back_at_once(void **state)
{
    fixture *f = *state;
    wc_message m;
    first_of(f, 1, HIDES, &m);
    assert_int_equal(f->s.src.ops->release(f->s.src.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
    fake_run(f->s.w);
    assert_entry(fake_find(f->s.w->fake, HIDES, 0), 0, "rh-1", 0);
}

/* A shutdown whose timeout passed: the handle is dropped with no call, and no heartbeat keeps the
 * message hidden any more (it comes back when its visibility timeout ends). */
static void forget_drops_the_handle_without_any_call(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 1, "1");
    wc_message m;
    next_message(f, &m, 1);
    f->s.src.ops->forget(f->s.src.self, &m);
    assert_null(m.handle);
    wc_message_cleanup(&m);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
    f->s.w->time.now += 120000;
    fake_run(f->s.w);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 0);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 0);
    assert_int_equal(wc_sqs_source_extended(&f->s.src), 0);
}

static void an_empty_answer_is_one_empty_poll(void **state)
{
    fixture *f = *state;
    fake_reply(f->s.w->fake, RECEIVE, 200, "{}");
    fake_delay(fake_reply(f->s.w->fake, RECEIVE, 200, "{\"Messages\":[]}"), 1000);
    fake_hang(f->s.w->fake, RECEIVE);
    wc_message m;
    assert_int_equal(receive(f, &m, 20), WC_RECEIVE_WAIT); /* two receives in flight */
    wc_loop_turn(f->s.w->loop, 0);                         /* the first comes back empty */
    assert_int_equal(f->s.notified, 1);
    /* The other is still out: no empty poll yet, and no new receive after an empty answer. */
    assert_int_equal(receive(f, &m, 20), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 2);
    fake_run(f->s.w);
    assert_int_equal(receive(f, &m, 20), WC_RECEIVE_EMPTY);
    /* Told once: the next call looks again. */
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 3);
}

static void a_failed_receive_is_reported_once_and_fetching_goes_on(void **state)
{
    fixture *f = *state;
    fake_reply(f->s.w->fake, RECEIVE, 400,
               "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"message\":\"not "
               "allowed\"}");
    reply_messages(f, 1, 1, "1");
    fake_reply(f->s.w->fake, DELETES, 200, "{}");
    wc_message m;
    wc_error err;
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    fake_run(f->s.w);
    assert_int_equal(f->s.notified, 1);
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 1, &err), WC_RECEIVE_FAILED);
    assert_int_equal(err.code, WC_ERR_IO);
    assert_string_equal(err.msg, "ReceiveMessage: AccessDeniedException: not allowed (HTTP 400)");
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 1); /* not retried */
    next_message(f, &m, 1);
    assert_string_equal(m.key, "id-1");
    scripted_source_ack(&f->s, &m);
    fake_run(f->s.w);
    fake_assert_all_used(f->s.w->fake);
}

static void a_message_without_a_body_goes_back_and_is_an_error(void **state)
{
    fixture *f = *state;
    fake_reply(f->s.w->fake, RECEIVE, 200,
               "{\"Messages\":[{\"MessageId\":\"id-1\",\"ReceiptHandle\":\"rh-1\"}]}");
    fake_reply(f->s.w->fake, HIDES, 200, "{}");
    wc_message m;
    wc_error err;
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_WAIT);
    wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(f->s.src.ops->receive(f->s.src.self, &m, 1, &err), WC_RECEIVE_FAILED);
    assert_int_equal(err.code, WC_ERR_PARSE);
    assert_null(m.key);
    fake_run(f->s.w);
    assert_entry(fake_find(f->s.w->fake, HIDES, 0), 0, "rh-1", 30);
}

static void stop_cancels_a_long_poll_and_hands_back_what_came(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 3, "1");
    fake_hang(f->s.w->fake, RECEIVE);
    fake_reply(f->s.w->fake, HIDES, 200, "{}");
    wc_message m;
    assert_int_equal(receive(f, &m, 11), WC_RECEIVE_WAIT);
    wc_loop_turn(f->s.w->loop, 0); /* three messages came; the other receive is a long poll */
    assert_int_equal(fake_in_flight(f->s.w->fake), 1);
    assert_int_equal(receive(f, &m, 1), WC_RECEIVE_READY);
    f->s.src.ops->stop(f->s.src.self);
    /* A receive under way is waited for a second (a busy queue answers at once, and what it
     * brings is handed back), then abandoned. */
    assert_int_equal(fake_in_flight(f->s.w->fake), 1);
    for (int i = 0; i < 10 && fake_in_flight(f->s.w->fake) > 0; i++)
        wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(fake_in_flight(f->s.w->fake), 0);
    assert_true(fake_find(f->s.w->fake, RECEIVE, 1)->cancelled);
    /* Nothing more is fetched; the message in hand is still the consumer's to finish. */
    wc_message none;
    assert_int_equal(receive(f, &none, 10), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 2);
    scripted_source_ack(&f->s, &m);
    fake_reply(f->s.w->fake, DELETES, 200, "{}");
    /* The hand-back went out during that second; the delete goes now. */
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 1);
    fake_run(f->s.w);
    /* The two that were not handed out went back at once (visibility 0). */
    const fake_request *hide = fake_find(f->s.w->fake, HIDES, 0);
    assert_int_equal(entries(hide), 2);
    assert_entry(hide, 0, "rh-2", 0);
    assert_entry(hide, 1, "rh-3", 0);
    assert_entry(fake_find(f->s.w->fake, DELETES, 0), 0, "rh-1", -1);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
}

/* --- dead letters --- */

static void a_dead_letter_is_sent_then_deleted(void **state)
{
    fixture *f = *state;
    open_source(f, "dead", 0);
    reply_messages(f, 1, 2, "1");
    fake_reply(f->s.w->fake, SEND, 200, "{\"MessageId\":\"d1\"}");
    fake_reply(f->s.w->fake, DELETES, 200, "{}");
    fake_reply(f->s.w->fake, SEND, 500, "");
    fake_times(fake_reply(f->s.w->fake, SEND, 400,
                          "{\"__type\":\"com.amazonaws.sqs#InvalidMessageContents\","
                          "\"message\":\"bad characters\"}"),
               1);
    fake_reply(f->s.w->fake, HIDES, 200, "{}");
    scripted_outcome o1 = {0}, o2 = {0};
    wc_message m;
    next_message(f, &m, 2);
    assert_int_equal(f->s.src.ops->dead_letter(f->s.src.self, &m, "owner must be letters",
                                               scripted_outcome_done, &o1, NULL),
                     WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(o1.calls, 0);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 1);
    fake_run(f->s.w);
    assert_int_equal(o1.calls, 1);
    assert_int_equal(o1.result, WC_OK);
    json_t *body = fake_request_json(fake_find(f->s.w->fake, SEND, 0));
    const char *queue, *message, *reason;
    assert_int_equal(json_unpack(body, "{s:s, s:s, s:{s:{s:s}}}", "QueueUrl", &queue, "MessageBody",
                                 &message, "MessageAttributes", "reason", "StringValue", &reason),
                     0);
    assert_string_equal(queue, DEAD);
    assert_string_equal(message, "{\"n\":1}");
    assert_string_equal(reason, "owner must be letters");
    json_decref(body);
    /* Sent first, deleted after. */
    assert_entry(fake_find(f->s.w->fake, DELETES, 0), 0, "rh-1", -1);

    /* A send that fails (after its retries) leaves the message in the queue, hidden. */
    next_message(f, &m, 1);
    assert_int_equal(
        f->s.src.ops->dead_letter(f->s.src.self, &m, "bad", scripted_outcome_done, &o2, NULL),
        WC_OK);
    wc_message_cleanup(&m);
    fake_run(f->s.w);
    assert_int_equal(o2.calls, 1);
    assert_int_equal(o2.result, WC_ERR_REJECTED);
    assert_string_equal(o2.msg,
                        "dead-lettering id-2: InvalidMessageContents: bad characters (HTTP 400)");
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 1);
    assert_entry(fake_find(f->s.w->fake, HIDES, 0), 0, "rh-2", 30);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
}

/* Without a dead-letter queue (and with a redrive policy or not): one message dead-lettered is
 * told `result` at once, and hidden for hide_s seconds. */
static void dead_letter_without_a_queue(fixture *f, int redrive, wc_result result, int hide_s)
{
    open_source(f, NULL, redrive);
    scripted_outcome o = {0};
    wc_message m;
    first_of(f, 1, HIDES, &m);
    assert_int_equal(
        f->s.src.ops->dead_letter(f->s.src.self, &m, "bad", scripted_outcome_done, &o, NULL),
        WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.result, result);
    fake_run(f->s.w);
    assert_entry(fake_find(f->s.w->fake, HIDES, 0), 0, "rh-1", hide_s);
}

static void without_a_dead_letter_queue_the_redrive_policy_or_a_long_hide_takes_it(void **state)
{
    fixture *f = *state;
    /* handed back for the redrive policy, hidden for no time */
    dead_letter_without_a_queue(f, 1, WC_ERR_BUSY, 0);
    assert_int_equal(fake_count_matching(f->s.w->fake, SEND), 0);
}

static void with_neither_the_message_is_hidden_for_twelve_hours(void **state)
{
    fixture *f = *state;
    dead_letter_without_a_queue(f, 0, WC_OK, 43200);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 0);
}

/* Opens a standard queue, in classic order or not. */
static void open_standard(fixture *f, int classic_order)
{
    fake_reply(f->s.w->fake, "\"QueueName\":\"standard\"", 200,
               "{\"QueueUrl\":\"https://sqs.us-east-1.amazonaws.com/123456789012/standard\"}");
    fake_reply(f->s.w->fake, "RedrivePolicy", 200, "{\"Attributes\":{}}");
    wc_sqs_source_config c = {.aws = f->s.w->aws,
                              .queue = "standard",
                              .wait_s = 20,
                              .visibility_s = 30,
                              .max_body = 100,
                              .clock = &f->s.w->clock,
                              .classic_order = classic_order};
    wc_error err;
    wc_result result = wc_sqs_source_open(&c, &f->s.src, &err);
    scripted_source_opened(&f->s, result, &err, "wc_sqs_source_open");
}

/* A message without a sequence attribute takes its place from SentTimestamp (up to 13 digits,
 * nothing else) and MessageId, its rank left for the consumer; anything else gives no place,
 * with the reason (it is dead-lettered), never a place of 0 that every real write outranks. */
static void the_place_of_a_message_without_sequence(void **state)
{
    (void)state;
    static const struct {
        const char *sent;
        int valid;
    } cases[] = {{"1764000000123", 1}, {"1", 1}, {"abc", 0}, {"", 0}, {"-5", 0}, {"12x", 0},
                 {"17640000001234", 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *m = json_pack("{s:s,s:s,s:s,s:{s:s}}", "MessageId", "m-1", "Body", "{}",
                              "ReceiptHandle", "rh", "Attributes", "SentTimestamp", cases[i].sent);
        wc_message msg;
        memset(&msg, 0, sizeof(msg));
        wc_error err;
        assert_int_equal(wc_sqs_message_read(m, 100, &msg, &err), WC_OK);
        if (cases[i].valid) {
            char want[32];
            snprintf(want, sizeof(want), "%013llu.?~", strtoull(cases[i].sent, NULL, 10));
            assert_non_null(msg.place);
            assert_int_equal(strncmp(msg.place, want, 16), 0);
            assert_int_equal(strlen(msg.place), 28);
        } else {
            assert_null(msg.place);
            assert_non_null(strstr(msg.place_why, "SentTimestamp"));
        }
        free(msg.handle);
        msg.handle = NULL;
        wc_message_cleanup(&msg);
        json_decref(m);
    }
}

/* Issue 16: in exact order the places decide, so a standard queue has several receives in
 * flight while it is busy, as a FIFO queue; once an answer comes back empty, one long poll
 * until messages come again (an idle queue costs one poll, not eight). */
static void a_standard_queue_in_exact_order_overlaps_receives_while_busy(void **state)
{
    fixture *f = *state;
    open_standard(f, 0);
    fake_times(fake_reply(f->s.w->fake, RECEIVE, 200, "{}"), 7);
    reply_messages(f, 1, 10, "1");
    fake_times(fake_hang(f->s.w->fake, RECEIVE), FAKE_FOREVER);
    wc_message m;
    assert_int_equal(receive(f, &m, 64), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 7); /* 64 wanted: 7 of 10 */
    fake_run(f->s.w); /* all come back empty: one empty poll */
    assert_int_equal(receive(f, &m, 64), WC_RECEIVE_EMPTY);
    /* idle: one long poll however many are wanted */
    assert_int_equal(receive(f, &m, 64), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 8);
    assert_int_equal(receive(f, &m, 64), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 8);
    /* it brings ten: busy again, receives overlap for what is wanted */
    next_message(f, &m, 64);
    assert_string_equal(m.key, "id-1");
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 8 + 6);
    free(m.handle);
    m.handle = NULL;
    wc_message_cleanup(&m);
}

/* In classic order a standard queue: one receive at a time (overlapping receives would hand
 * messages out in the order their calls came back, not the queue's); the next goes out as soon
 * as the last batch is being handed out, and the queue's order is kept. */
static void a_standard_queue_is_received_one_batch_at_a_time(void **state)
{
    fixture *f = *state;
    open_standard(f, 1);
    reply_messages(f, 1, 10, "1");
    reply_messages(f, 11, 10, "1");
    fake_hang(f->s.w->fake, RECEIVE);
    wc_message m;
    assert_int_equal(receive(f, &m, 40), WC_RECEIVE_WAIT);
    assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 1);
    wc_loop_turn(f->s.w->loop, 0);
    for (int i = 1; i <= 20; i++) {
        next_message(f, &m, 40);
        char want[16];
        snprintf(want, sizeof(want), "id-%d", i);
        assert_string_equal(m.key, want); /* the queue's order */
        if (i == 1) /* the next receive went out with the first message of the batch */
            assert_int_equal(fake_count_matching(f->s.w->fake, RECEIVE), 2);
        free(m.handle); /* a test without the ending calls */
        m.handle = NULL;
        wc_message_cleanup(&m);
    }
}

/* Issue 9, item 7: a message whose request is still in flight past half its visibility timeout
 * (30 s here) is hidden again for the whole timeout before it runs out, and again every 15 s,
 * until it ends; then the heartbeat stops. A message deferred or acked gets none. */
static void a_message_in_flight_keeps_its_visibility_until_it_ends(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 2, "1");
    fake_times(fake_reply(f->s.w->fake, HIDES, 200, "{}"), 4);
    fake_reply(f->s.w->fake, DELETES, 200, "{}");
    uint64_t arrived = f->s.w->time.now;
    wc_message m1, m2;
    next_message(f, &m1, 2);
    next_message(f, &m2, 1);
    arrived = f->s.w->time.now; /* the answer came on the last turn (no time passes on a fake) */
    /* m2 is deferred at once: its own hide (2 s), and no heartbeat for it. */
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m2, 1500, NULL), WC_OK);
    wc_message_cleanup(&m2);
    wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 1);
    assert_entry(fake_find(f->s.w->fake, HIDES, 0), 0, "rh-2", 2);
    /* m1 is held (a slow store): the loop's next timers are the heartbeats. */
    for (int turns = 0; turns < 20 && fake_count_matching(f->s.w->fake, HIDES) < 3; turns++)
        wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 3);
    const fake_request *first = fake_find(f->s.w->fake, HIDES, 1);
    const fake_request *second = fake_find(f->s.w->fake, HIDES, 2);
    assert_entry(first, 0, "rh-1", 30);
    assert_int_equal(entries(first), 1);
    assert_entry(second, 0, "rh-1", 30);
    /* Before the 30 s ran out, and again before the new 30 s did. */
    assert_true(first->at_ms - arrived < 30000);
    assert_true(first->at_ms - arrived >= 10000);
    assert_true(second->at_ms - first->at_ms < 30000);
    assert_true(second->at_ms - first->at_ms >= 10000);
    assert_int_equal(wc_sqs_source_extended(&f->s.src), 2);
    /* The request ends: the delete goes out, and no heartbeat after it. */
    scripted_source_ack(&f->s, &m1);
    fake_run(f->s.w);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 3);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 1);
    assert_int_equal(wc_sqs_source_extended(&f->s.src), 2);
    f->s.w->time.now += 120000;
    fake_run(f->s.w);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 3);
}

#define IN_FLIGHT 5000

/* Issue 9, item 7, at scale: thousands of messages in flight, each extended by the heartbeat and
 * ended oldest first (the worst order for a list searched from the newest). The work is counted
 * (map slots and list entries examined), not timed: a few a message, where a search of every held
 * message at each end would examine ~12 million. */
static void many_messages_in_flight_cost_a_few_steps_each(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < IN_FLIGHT; i += 10)
        reply_messages(f, i + 1, 10, "1");
    fake_times(fake_hang(f->s.w->fake, RECEIVE), FAKE_FOREVER);
    fake_times(fake_reply(f->s.w->fake, HIDES, 200, "{}"), FAKE_FOREVER);
    fake_times(fake_reply(f->s.w->fake, DELETES, 200, "{}"), FAKE_FOREVER);
    wc_message *m = calloc(IN_FLIGHT, sizeof(*m));
    assert_non_null(m);
    for (int i = 0; i < IN_FLIGHT; i++)
        next_message(f, &m[i], 10);
    /* Half the visibility timeout later, every one is extended once. */
    f->s.w->time.now += 15000;
    for (int turns = 0; turns < 20 && wc_sqs_source_extended(&f->s.src) < IN_FLIGHT; turns++)
        wc_loop_turn(f->s.w->loop, 0);
    assert_int_equal(wc_sqs_source_extended(&f->s.src), IN_FLIGHT);
    /* The older half ends; the other half is extended again, 15 s later. */
    for (int i = 0; i < IN_FLIGHT / 2; i++)
        scripted_source_ack(&f->s, &m[i]);
    f->s.w->time.now += 15000;
    for (int turns = 0; turns < 20 && wc_sqs_source_extended(&f->s.src) < IN_FLIGHT * 3 / 2;
         turns++)
        wc_loop_turn(f->s.w->loop, 0);
    assert_int_equal(wc_sqs_source_extended(&f->s.src), IN_FLIGHT * 3 / 2);
    for (int i = IN_FLIGHT / 2; i < IN_FLIGHT; i++)
        scripted_source_ack(&f->s, &m[i]);
    free(m);
    fake_run(f->s.w); /* nothing held: the heartbeat stopped */
    assert_int_equal(wc_sqs_source_extended(&f->s.src), IN_FLIGHT * 3 / 2);
    size_t deleted = 0;
    for (size_t i = 0; i < fake_count_matching(f->s.w->fake, DELETES); i++)
        deleted += entries(fake_find(f->s.w->fake, DELETES, i));
    assert_int_equal(deleted, IN_FLIGHT);
    unsigned long long work = wc_sqs_source_held_work(&f->s.src);
    print_message("held work: %llu for %d messages\n", work, IN_FLIGHT);
    assert_true(work <= 12ULL * IN_FLIGHT);
}

/* Issue 16: a deferral shorter than a second is kept in hand (no visibility change, which SQS
 * rounds up to a whole second): offered again when due, or at once when hurried (its widget's
 * create was applied); a stop hands it back hidden for the rest of its delay. */
static void a_short_deferral_is_kept_in_hand_and_hurried(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 3, "1");
    fake_times(fake_hang(f->s.w->fake, RECEIVE), FAKE_FOREVER);
    fake_reply(f->s.w->fake, HIDES, 200, "{}");
    fake_times(fake_reply(f->s.w->fake, DELETES, 200, "{}"), 2);
    wc_message m1, m2, m3, again;
    next_message(f, &m1, 3);
    next_message(f, &m2, 2);
    next_message(f, &m3, 1);
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m1, 100, NULL), WC_OK);
    assert_null(m1.handle);
    wc_message_cleanup(&m1);
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m2, 200, NULL), WC_OK);
    wc_message_cleanup(&m2);
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m3, 400, NULL), WC_OK);
    wc_message_cleanup(&m3);
    wc_loop_turn(f->s.w->loop, 0);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 0); /* kept, not hidden */
    assert_int_equal(receive(f, &again, 0), WC_RECEIVE_WAIT);      /* none is due yet */
    /* Hurried: id-2 is offered at once, with its try counted and its receipt. */
    assert_int_equal(f->s.src.ops->hurry(f->s.src.self, "id-2"), WC_OK);
    assert_int_equal(f->s.src.ops->hurry(f->s.src.self, "id-2"),
                     WC_ERR_NOT_FOUND); /* due already */
    assert_int_equal(f->s.src.ops->hurry(f->s.src.self, "id-9"), WC_ERR_NOT_FOUND); /* not kept */
    uint64_t t0 = f->s.w->time.now;
    assert_int_equal(receive(f, &again, 0), WC_RECEIVE_READY);
    assert_int_equal(f->s.w->time.now, t0); /* at once: no time passed */
    assert_string_equal(again.key, "id-2");
    assert_string_equal(again.body, "{\"n\":2}");
    assert_string_equal(again.handle, "rh-2");
    assert_int_equal(again.attempts, 1);
    assert_int_equal(f->s.src.ops->hurry(f->s.src.self, "id-2"), WC_ERR_NOT_FOUND); /* handed out */
    scripted_source_ack(&f->s, &again);
    /* Not hurried: id-1 comes when its 100 ms are over (the source says so). */
    int told = f->s.notified;
    wc_receive_status r = WC_RECEIVE_WAIT;
    for (int turns = 0; turns < 10 && (r = receive(f, &again, 0)) == WC_RECEIVE_WAIT; turns++)
        wc_loop_turn(f->s.w->loop, -1);
    assert_int_equal(r, WC_RECEIVE_READY);
    assert_true(f->s.notified > told);
    assert_int_equal(f->s.w->time.now, t0 + 100);
    assert_string_equal(again.key, "id-1");
    assert_string_equal(again.handle, "rh-1");
    scripted_source_ack(&f->s, &again);
    assert_int_equal(receive(f, &m1, 0), WC_RECEIVE_WAIT);
    /* A stop hands back what is still kept, hidden for the rest of its delay (300 ms: 1 s). */
    f->s.src.ops->stop(f->s.src.self);
    f->s.src.ops->flush(f->s.src.self);
    fake_run(f->s.w);
    const fake_request *hide = fake_find(f->s.w->fake, HIDES, 0);
    assert_non_null(hide);
    assert_int_equal(entries(hide), 1);
    assert_entry(hide, 0, "rh-3", 1);
    assert_int_equal(f->s.src.ops->hurry(f->s.src.self, "id-3"), WC_ERR_NOT_FOUND);
}

/* A kept message handed out again and then forgotten (the shutdown timeout) is dropped without
 * any call, its heartbeat ended, like any message in hand; one still kept when the source is
 * destroyed is dropped with it (no call, nothing leaked). */
static void a_kept_message_forgotten_is_dropped_without_a_call(void **state)
{
    fixture *f = *state;
    reply_messages(f, 1, 2, "1");
    wc_message m1, m2, again;
    next_message(f, &m1, 2);
    next_message(f, &m2, 1);
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m1, 100, NULL), WC_OK);
    wc_message_cleanup(&m1);
    assert_int_equal(f->s.src.ops->defer(f->s.src.self, &m2, 100, NULL), WC_OK);
    wc_message_cleanup(&m2);
    assert_int_equal(f->s.src.ops->hurry(f->s.src.self, "id-1"), WC_OK);
    assert_int_equal(receive(f, &again, 0), WC_RECEIVE_READY);
    assert_string_equal(again.key, "id-1");
    f->s.src.ops->forget(f->s.src.self, &again);
    assert_null(again.handle);
    wc_message_cleanup(&again);
    assert_int_equal(f->s.src.ops->flush(f->s.src.self), 0);
    /* Past half the visibility timeout: only id-2, still kept, has its visibility extended. */
    fake_reply(f->s.w->fake, HIDES, 200, "{}");
    f->s.w->time.now += 20000;
    for (int turns = 0; turns < 5; turns++) /* not fake_run: id-2's heartbeat goes on for ever */
        wc_loop_turn(f->s.w->loop, 0);
    assert_int_equal(wc_sqs_source_extended(&f->s.src), 1);
    assert_int_equal(fake_count_matching(f->s.w->fake, HIDES), 1);
    const fake_request *hide = fake_find(f->s.w->fake, HIDES, 0);
    assert_int_equal(entries(hide), 1);
    assert_entry(hide, 0, "rh-2", 30);
    assert_int_equal(fake_count_matching(f->s.w->fake, DELETES), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_dead_letter_queue_that_is_the_request_queue_is_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(open_resolves_the_queue_and_reads_its_redrive_policy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_missing_queue_is_a_one_line_error, setup, teardown),
        cmocka_unit_test_setup_teardown(receives_are_kept_ahead_of_need, setup_open, teardown),
        cmocka_unit_test_setup_teardown(messages_are_handed_out_one_at_a_time_with_their_attempts,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(acks_go_out_in_batches_of_ten_at_the_end_of_the_turn,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(flush_sends_a_partial_batch_at_once, setup_open, teardown),
        cmocka_unit_test_setup_teardown(a_batch_waiting_to_be_tried_again_is_freed_with_the_source,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(a_short_deferral_is_kept_in_hand_and_hurried, setup_open,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_kept_message_forgotten_is_dropped_without_a_call,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(defer_hides_the_message_for_the_delay_in_seconds,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(
            an_empty_answer_while_deferred_messages_are_due_is_not_an_empty_poll, setup_open,
            teardown),
        cmocka_unit_test_setup_teardown(release_hands_the_message_back_at_once, setup_open,
                                        teardown),
        cmocka_unit_test_setup_teardown(forget_drops_the_handle_without_any_call, setup_open,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_empty_answer_is_one_empty_poll, setup_open, teardown),
        cmocka_unit_test_setup_teardown(a_failed_receive_is_reported_once_and_fetching_goes_on,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(a_message_without_a_body_goes_back_and_is_an_error,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(stop_cancels_a_long_poll_and_hands_back_what_came,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(a_dead_letter_is_sent_then_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(
            without_a_dead_letter_queue_the_redrive_policy_or_a_long_hide_takes_it, setup,
            teardown),
        cmocka_unit_test_setup_teardown(with_neither_the_message_is_hidden_for_twelve_hours, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_standard_queue_is_received_one_batch_at_a_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            a_standard_queue_in_exact_order_overlaps_receives_while_busy, setup, teardown),
        cmocka_unit_test(the_place_of_a_message_without_sequence),
        cmocka_unit_test_setup_teardown(a_message_in_flight_keeps_its_visibility_until_it_ends,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(many_messages_in_flight_cost_a_few_steps_each, setup_open,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
