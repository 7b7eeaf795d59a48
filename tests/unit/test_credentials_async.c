/* Credentials fetched on the client's own loop and transport (the fake one here): the ECS
 * endpoint and IMDSv2 as asynchronous fetches, one at a time, while calls that need credentials
 * wait for it; refreshes in the background while the current ones are valid; failures; a fetch
 * under way when the client is cancelled, abandoned or freed. */
#include "cred_calls.h"

#define ECS_URL "https://ecs.test/v2/credentials"
#define IMDS    "http://imds.test"
#define NO_CREDENTIALS                                                                             \
    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use a profile "          \
    "(--profile), or run where a task role or instance role provides them"

/* FAKE_WALL_TIME is 2015-08-30T12:36:00Z. */
#define AT_PLUS_120  "2015-08-30T12:38:00Z"
#define AT_PLUS_3600 "2015-08-30T13:36:00Z"

static char *home;

/* A world whose only source of credentials is the one each test sets up (the fake world puts
 * test keys in the environment: they are taken away before the first call reads them). */
static int setup(void **state)
{
    fake_world *w = fake_world_new(NULL);
    home = cred_env_isolate();
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    fake_world_free(*state);
    cred_env_release(home);
    return 0;
}

static void use_ecs(void)
{
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", ECS_URL, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-token", 1);
}

/* The JSON of a credentials endpoint. */
static char *creds_json(const char *key, const char *token, const char *expiration)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Code", "Success", "AccessKeyId", key,
                          "SecretAccessKey", "SECRETKEY", "Token", token, "Expiration", expiration);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

static fake_answer *ecs_reply(fake_world *w, const char *key, const char *token,
                              const char *expiration)
{
    char *body = creds_json(key, token, expiration);
    fake_answer *a = fake_reply(w->fake, "GET ecs.test", 200, body);
    free(body);
    return a;
}

/* ECS answers (ASIAECS1) delay_ms after it is asked, and DynamoDB the next `calls` calls. */
static void ecs_answers_after(fake_world *w, uint64_t delay_ms, unsigned calls)
{
    use_ecs();
    fake_delay(ecs_reply(w, "ASIAECS1", "TOKEN1", AT_PLUS_3600), delay_ms);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), calls);
}

/* Each of the n calls ended once, with result, the message msg and the AWS error code (""
 * when no AWS answer came). */
static void each_ended_with(const outcome *o, size_t n, wc_result result, const char *msg,
                            const char *code)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(o[i].calls, 1);
        assert_int_equal(o[i].result, result);
        assert_string_equal(o[i].msg, msg);
        assert_string_equal(o[i].code, code);
    }
}

/* A blocking call that gets no answer: its result (err says why). */
static wc_result blocking_call(fake_world *w, wc_error *err)
{
    json_t *out = NULL;
    wc_aws_error aerr;
    wc_result result = wc_aws_json(w->aws, "dynamodb", "DynamoDB_20120810.GetItem",
                                   json_pack("{s:s}", "TableName", "widgets"), &out, &aerr, err);
    assert_null(out);
    return result;
}

/* Credentials good for two minutes (a refresh is due after one), DynamoDB answering 200 from
 * now on, and a first call that fetches them and goes out. */
static void start_with_credentials_for_two_minutes(fake_world *w)
{
    use_ecs();
    ecs_reply(w, "ASIAOLD", "TOKEN-OLD", AT_PLUS_120);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), FAKE_FOREVER);
    outcome first = {0};
    start_call(w, &first, NULL);
    fake_run(w);
    assert_int_equal(first.result, WC_OK);
}

/* A call goes out and succeeds signed with the old credentials, ECS having been asked
 * `fetches` times in all. */
static void a_call_goes_on_with_the_old_ones(fake_world *w, int fetches)
{
    outcome a = {0};
    start_call(w, &a, NULL);
    fake_run(w);
    assert_int_equal(a.result, WC_OK);
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), fetches);
    fake_assert_signed_with(fake_last(w->fake), "ASIAOLD", "TOKEN-OLD");
}

/* ECS now answers: the next call starts the third fetch, the one after it goes out with the
 * new credentials. */
static void the_refresh_tried_again_works(fake_world *w)
{
    ecs_reply(w, "ASIANEW", "TOKEN-NEW", AT_PLUS_3600);
    outcome c = {0}, d = {0};
    start_call(w, &c, NULL);
    fake_run(w);
    start_call(w, &d, NULL);
    fake_run(w);
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), 3);
    fake_assert_signed_with(fake_last(w->fake), "ASIANEW", "TOKEN-NEW");
    assert_int_equal(d.result, WC_OK);
}

/* The refresh due has just been made to fail: calls go on with the old ones, and it is tried
 * again later, not at every call: within the next 29 s (half of what is left) no new fetch;
 * then again, and this time it works. */
static void the_failed_refresh_is_tried_again_later(fake_world *w)
{
    a_call_goes_on_with_the_old_ones(w, 2);
    fake_advance_s(w, 20);
    a_call_goes_on_with_the_old_ones(w, 2);
    fake_advance_s(w, 10);
    the_refresh_tried_again_works(w);
}

/* --- one fetch for many calls --- */

static void fifty_calls_without_credentials_make_one_ecs_fetch(void **state)
{
    fake_world *w = *state;
    ecs_answers_after(w, 50, 50);
    outcome o[50];
    start_calls(w, o, 50);
    /* Nothing waited: the fetch is on the wire, the calls wait for it. */
    assert_int_equal(fake_count(w->fake), 1);
    assert_string_equal(fake_request_at(w->fake, 0)->url, ECS_URL);
    assert_string_equal(fake_request_header(fake_request_at(w->fake, 0), "Authorization"),
                        "ecs-auth-token");
    assert_true(fake_request_at(w->fake, 0)->secret); /* its answer carries keys */
    assert_int_equal(wc_aws_in_flight(w->aws), 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(o[i].calls, 0);

    fake_run(w);
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), 1);
    assert_true(fake_request_at(w->fake, 0)->answer_secret); /* received as http.c would */
    assert_int_equal(fake_count_matching(w->fake, "dynamodb"), 50);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(o[i].calls, 1);
        assert_int_equal(o[i].result, WC_OK);
        const fake_request *r = fake_find(w->fake, "dynamodb", (size_t)i);
        assert_true(r->at_ms >= FAKE_START_MS + 50); /* after the fetch's answer */
        fake_assert_signed_with(r, "ASIAECS1", "TOKEN1");
        assert_false(r->secret); /* an ordinary call's answer: an ordinary buffer */
        assert_false(r->answer_secret);
    }
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
    fake_assert_all_used(w->fake);
}

static void imdsv2_token_then_role_then_credentials(void **state)
{
    fake_world *w = *state;
    setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", IMDS "/", 1);
    fake_reply(w->fake, "PUT imds.test/latest/api/token", 200, "IMDS-SESSION");
    fake_reply(w->fake, "GET imds.test/latest/meta-data/iam/security-credentials/", 200,
               "widget-role\n");
    char *body = creds_json("ASIAIMDS", "TOKEN-IMDS", AT_PLUS_3600);
    fake_reply(w->fake, "GET security-credentials/widget-role", 200, body);
    free(body);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), 3);
    outcome o[3];
    start_calls(w, o, 3);
    assert_int_equal(fake_count(w->fake), 1); /* the token first, nothing else yet */
    fake_run(w);

    assert_int_equal(fake_count(w->fake), 6);
    const fake_request *put = fake_request_at(w->fake, 0);
    assert_string_equal(put->method, "PUT");
    assert_string_equal(put->url, IMDS "/latest/api/token");
    assert_string_equal(fake_request_header(put, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
    const fake_request *role = fake_request_at(w->fake, 1);
    assert_string_equal(role->method, "GET");
    assert_string_equal(role->url, IMDS "/latest/meta-data/iam/security-credentials/");
    assert_string_equal(fake_request_header(role, "X-aws-ec2-metadata-token"), "IMDS-SESSION");
    const fake_request *cred = fake_request_at(w->fake, 2);
    assert_string_equal(cred->url, IMDS "/latest/meta-data/iam/security-credentials/widget-role");
    assert_string_equal(fake_request_header(cred, "X-aws-ec2-metadata-token"), "IMDS-SESSION");
    for (size_t i = 0; i < 3; i++) { /* the session token and the credentials are secrets */
        assert_true(fake_request_at(w->fake, i)->secret);
        assert_true(fake_request_at(w->fake, i)->answer_secret);
    }
    for (size_t i = 3; i < 6; i++) {
        fake_assert_signed_with(fake_request_at(w->fake, i), "ASIAIMDS", "TOKEN-IMDS");
        assert_false(fake_request_at(w->fake, i)->secret);
        assert_false(fake_request_at(w->fake, i)->answer_secret);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(o[i].result, WC_OK);
}

static void not_on_ec2_means_no_credentials_anywhere(void **state)
{
    fake_world *w = *state;
    setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", IMDS, 1);
    fake_network_error(w->fake, "PUT imds.test", 7, "Failed to connect");
    outcome o[2];
    start_calls(w, o, 2);
    fake_run(w);
    /* An outage of the service for the layers above, never "the object is not there". */
    each_ended_with(o, 2, WC_ERR_IO, NO_CREDENTIALS, "");
    assert_int_equal(fake_count(w->fake), 1);
}

/* --- refresh --- */

static void a_refresh_runs_in_the_background_while_the_current_ones_are_valid(void **state)
{
    fake_world *w = *state;
    start_with_credentials_for_two_minutes(w);

    fake_advance_s(w, 61); /* past the half-life */
    fake_delay(ecs_reply(w, "ASIANEW", "TOKEN-NEW", AT_PLUS_3600), 5000);
    uint64_t t0 = w->time.now;
    outcome o[10];
    start_calls(w, o, 10);
    /* One refresh on the wire, and every call went out at once with the current credentials. */
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), 2);
    assert_int_equal(fake_count_matching(w->fake, "dynamodb"), 11);
    for (size_t i = 1; i < 11; i++) {
        const fake_request *r = fake_find(w->fake, "dynamodb", i);
        assert_int_equal(r->at_ms, t0);
        fake_assert_signed_with(r, "ASIAOLD", "TOKEN-OLD");
    }
    fake_run(w);
    for (int i = 0; i < 10; i++)
        assert_int_equal(o[i].result, WC_OK);
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), 2);

    /* Once the refresh came back, the new ones sign. */
    outcome later = {0};
    start_call(w, &later, NULL);
    fake_run(w);
    fake_assert_signed_with(fake_last(w->fake), "ASIANEW", "TOKEN-NEW");
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), 2);
}

static void a_failed_fetch_without_valid_credentials_fails_the_waiting_calls(void **state)
{
    fake_world *w = *state;
    use_ecs();
    fake_reply(w->fake, "GET ecs.test", 401, "no");
    outcome o[5];
    start_calls(w, o, 5);
    fake_run(w);
    each_ended_with(o, 5, WC_ERR_IO, "ECS container credentials: " ECS_URL " answered HTTP 401",
                    "");
    assert_int_equal(fake_count(w->fake), 1); /* one fetch, no call was sent */
    assert_int_equal(wc_aws_in_flight(w->aws), 0);

    /* A blocking call says the same, and the next one fetches again. */
    fake_reply(w->fake, "GET ecs.test", 200,
               "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
               "\"Expiration\":\"tomorrow\"}");
    wc_error err;
    assert_int_equal(blocking_call(w, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg, "ECS container: Expiration \"tomorrow\" is not an ISO 8601 time");
    assert_int_equal(fake_count(w->fake), 2);
}

static void a_failed_refresh_while_valid_lets_calls_go_on_and_is_tried_again_later(void **state)
{
    fake_world *w = *state;
    start_with_credentials_for_two_minutes(w);

    fake_advance_s(w, 61); /* refresh due; 59 s left */
    fake_reply(w->fake, "GET ecs.test", 500, "down");
    the_failed_refresh_is_tried_again_later(w);
}

/* A certificate refused while the current credentials are valid is a failed refresh, as any
 * call's refusal mid-run: calls go on with the current ones and it is tried again later. With
 * none valid, it is for good (test_credentials_sts.c). */
static void a_refused_certificate_at_a_refresh_while_valid_is_tried_again(void **state)
{
    fake_world *w = *state;
    start_with_credentials_for_two_minutes(w);

    fake_advance_s(w, 61); /* refresh due; 59 s left */
    fake_network_error(w->fake, "GET ecs.test", 60,
                       "SSL certificate problem: unable to get local issuer certificate");
    the_failed_refresh_is_tried_again_later(w);
}

static void calls_wait_once_the_current_ones_have_expired(void **state)
{
    fake_world *w = *state;
    start_with_credentials_for_two_minutes(w);

    /* A slow refresh starts at the half-life... */
    fake_advance_s(w, 61);
    uint64_t refresh_started = w->time.now;
    fake_delay(ecs_reply(w, "ASIANEW", "TOKEN-NEW", AT_PLUS_3600), 100000);
    outcome a = {0};
    start_call(w, &a, NULL);
    fake_run_until(w, &a.calls);
    fake_assert_signed_with(fake_last(w->fake), "ASIAOLD", "TOKEN-OLD");

    /* ... and is still out when they expire: a call now waits for it, and one fetch only. */
    fake_advance_s(w, 60); /* 121 s after the first fetch */
    size_t sent = fake_count_matching(w->fake, "dynamodb");
    outcome b = {0};
    start_call(w, &b, NULL);
    assert_int_equal(fake_count_matching(w->fake, "dynamodb"), sent);
    fake_run_until(w, &b.calls);
    assert_int_equal(b.result, WC_OK);
    const fake_request *r = fake_last(w->fake);
    assert_true(r->at_ms >= refresh_started + 100000);
    fake_assert_signed_with(r, "ASIANEW", "TOKEN-NEW");
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), 2);
}

static void a_call_that_waits_to_retry_picks_up_the_fetch(void **state)
{
    fake_world *w = *state;
    use_ecs();
    ecs_reply(w, "ASIAOLD", "TOKEN-OLD", AT_PLUS_120);
    fake_reply(w->fake, "dynamodb", 200, "{}");
    outcome o = {0};
    start_call(w, &o, NULL);
    fake_run(w);

    /* One second before the expiry: the call goes out with the current ones, its background
     * refresh fails (an answer without keys), its 500 comes after the expiry, and its retry
     * waits for the next fetch. */
    fake_advance_s(w, 119);
    fake_reply(w->fake, "GET ecs.test", 200, "{}");
    fake_delay(fake_reply(w->fake, "dynamodb", 500, "{}"), 2000);
    ecs_reply(w, "ASIANEW", "TOKEN-NEW", AT_PLUS_3600);
    fake_reply(w->fake, "dynamodb", 200, "{}");
    outcome a = {0};
    start_call(w, &a, NULL);
    fake_assert_signed_with(fake_last(w->fake), "ASIAOLD", "TOKEN-OLD");
    fake_run(w);
    assert_int_equal(a.result, WC_OK);
    assert_int_equal(fake_count_matching(w->fake, "ecs.test"), 3);
    fake_assert_signed_with(fake_last(w->fake), "ASIANEW", "TOKEN-NEW");
}

static void credentials_expired_on_arrival_are_an_error_not_a_loop(void **state)
{
    fake_world *w = *state;
    use_ecs();
    ecs_reply(w, "ASIAOLD", "TOKEN-OLD", "2015-08-30T12:35:00Z"); /* a minute ago */
    outcome o[3];
    start_calls(w, o, 3);
    fake_run(w);
    each_ended_with(o, 3, WC_ERR_INVALID,
                    "ECS container: the credentials fetched expired 60 s ago (is the clock right?)",
                    "");
    assert_int_equal(fake_count(w->fake), 1);
}

/* --- cancel, abandon, free with a fetch under way --- */

static void a_cancelled_waiting_call_is_never_sent(void **state)
{
    fake_world *w = *state;
    ecs_answers_after(w, 10, 2);
    outcome o[3];
    memset(o, 0, sizeof(o));
    wc_aws_call *handles[3];
    for (int i = 0; i < 3; i++)
        start_call(w, &o[i], &handles[i]);
    wc_aws_cancel(w->aws, handles[1]);
    assert_int_equal(wc_aws_in_flight(w->aws), 2);
    fake_run(w);
    assert_int_equal(o[0].calls, 1);
    assert_int_equal(o[1].calls, 0);
    assert_int_equal(o[2].calls, 1);
    assert_int_equal(fake_count_matching(w->fake, "dynamodb"), 2);
    fake_assert_all_used(w->fake);
}

static void abandoning_ends_waiting_calls_and_the_fetch(void **state)
{
    fake_world *w = *state;
    use_ecs();
    fake_hang(w->fake, "GET ecs.test");
    outcome o[3];
    start_calls(w, o, 3);
    assert_int_equal(fake_in_flight(w->fake), 1);
    wc_aws_abandon(w->aws);
    each_ended_with(o, 3, WC_ERR_IO, "abandoned at shutdown", "Abandoned");
    assert_int_equal(wc_aws_in_flight(w->aws), 0);
    assert_true(fake_request_at(w->fake, 0)->cancelled); /* nothing left on the loop */
    assert_int_equal(fake_in_flight(w->fake), 0);
}

static void freeing_the_client_with_a_fetch_under_way_leaks_nothing(void **state)
{
    fake_world *w = *state;
    setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", IMDS, 1);
    fake_reply(w->fake, "PUT imds.test", 200, "IMDS-SESSION"); /* the token is kept ... */
    fake_hang(w->fake, "GET imds.test");                       /* ... while the role is asked */
    outcome o[3];
    start_calls(w, o, 3);
    fake_run(w);
    assert_int_equal(fake_count(w->fake), 2);
    wc_aws_free(w->aws);
    w->aws = NULL;
    /* The calls' callers are gone with the client: no callback, the fetch cancelled, and
     * valgrind finds the token and the calls freed. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(o[i].calls, 0);
    assert_true(fake_request_at(w->fake, 1)->cancelled);
    assert_int_equal(fake_in_flight(w->fake), 0);
}

/* A FULL_URI in plain http to a host that is neither loopback nor the ECS/EKS agent: nothing is
 * sent there, and the call fails with the one line that says why (issue 15). */
static void a_container_uri_in_clear_to_another_host_is_refused(void **state)
{
    fake_world *w = *state;
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://ecs.test/v2/credentials", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-token", 1);
    fake_times(fake_reply(w->fake, "GET ecs.test", 200, "{}"), FAKE_FOREVER);
    wc_error err;
    assert_int_equal(blocking_call(w, &err), WC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "AWS_CONTAINER_CREDENTIALS_FULL_URI "
                                    "\"http://ecs.test/v2/credentials\": plain http is allowed "
                                    "only to a loopback address"));
    assert_int_equal(fake_count(w->fake), 0); /* the token never left */
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(fifty_calls_without_credentials_make_one_ecs_fetch),
        T(imdsv2_token_then_role_then_credentials),
        T(not_on_ec2_means_no_credentials_anywhere),
        T(a_refresh_runs_in_the_background_while_the_current_ones_are_valid),
        T(a_failed_fetch_without_valid_credentials_fails_the_waiting_calls),
        T(a_failed_refresh_while_valid_lets_calls_go_on_and_is_tried_again_later),
        T(a_refused_certificate_at_a_refresh_while_valid_is_tried_again),
        T(calls_wait_once_the_current_ones_have_expired),
        T(a_call_that_waits_to_retry_picks_up_the_fetch),
        T(credentials_expired_on_arrival_are_an_error_not_a_loop),
        T(a_cancelled_waiting_call_is_never_sent),
        T(abandoning_ends_waiting_calls_and_the_fetch),
        T(freeing_the_client_with_a_fetch_under_way_leaks_nothing),
        T(a_container_uri_in_clear_to_another_host_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
