/* The credential sources of real deployments, on the fake transport and the client's own loop:
 * web identity (AWS_WEB_IDENTITY_TOKEN_FILE, and a profile's web_identity_token_file), assumed
 * roles (source_profile, credential_source), credential_process (a real /bin/sh child whose
 * output is read on the loop), EKS Pod Identity (the container endpoint with a token file read at
 * each fetch), and the profiles that must stop the start: role_arn without a source, SSO. */
#include "aws/credentials_private.h"
#include "common/log.h"
#include "cred_calls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define STS         "https://sts.us-east-1.amazonaws.com/"
#define ROLE        "arn:aws:iam::123456789012:role/widgets"
#define AT_PLUS_120 "2015-08-30T12:38:00Z"
#define AT_PLUS_1H  "2015-08-30T13:36:00Z"

static char *home;
static pid_t tls_server_pid; /* a TLS server the test runs (tls_server_start), or 0 */

static int setup(void **state)
{
    fake_world *w = fake_world_new(NULL);
    home = cred_env_isolate();
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    if (tls_server_pid > 0) { /* a test that failed with it running */
        kill(tls_server_pid, SIGTERM);
        waitpid(tls_server_pid, NULL, 0);
        tls_server_pid = 0;
    }
    fake_world_free(*state);
    cred_env_release(home);
    return 0;
}

/* Writes home/name and returns its path (static buffer). */
static const char *put_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", home, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void config(const char *text)
{
    setenv("AWS_CONFIG_FILE", put_file("config", text), 1);
}

static char *sts_xml(const char *action, const char *key, const char *token, const char *exp)
{
    size_t cap = 1024;
    char *s = malloc(cap);
    assert_non_null(s);
    int n = snprintf(s, cap,
                     "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                     "<%sResult><Credentials><AccessKeyId>%s</AccessKeyId>"
                     "<SecretAccessKey>STSSECRET</SecretAccessKey>"
                     "<SessionToken>%s</SessionToken><Expiration>%s</Expiration>"
                     "</Credentials></%sResult></%sResponse>",
                     action, action, key, token, exp, action, action);
    assert_true(n > 0 && (size_t)n < cap);
    return s;
}

static fake_answer *sts_reply(fake_world *w, const char *action, const char *key, const char *token,
                              const char *exp)
{
    char *body = sts_xml(action, key, token, exp);
    char pattern[128];
    snprintf(pattern, sizeof(pattern), "POST Action=%s&", action);
    fake_answer *a = fake_reply(w->fake, pattern, 200, body);
    free(body);
    return a;
}

/* One call that goes out and succeeds. */
static void call_ok(fake_world *w)
{
    assert_int_equal(run_call(w).result, WC_OK);
}

/* One call that fails before anything is sent, saying message: its result. */
static wc_result expect_call_error(fake_world *w, const char *message)
{
    outcome o = run_call(w);
    assert_int_equal(o.calls, 1);
    assert_int_not_equal(o.result, WC_OK);
    if (!strstr(o.msg, message))
        fail_msg("\"%s\" does not say \"%s\"", o.msg, message);
    assert_int_equal(fake_count(w->fake), 0);
    return o.result;
}

/* The nth DynamoDB call was signed with key and token, and every scripted answer was used. */
static void the_call_was_signed_with(fake_world *w, size_t nth, const char *key, const char *token)
{
    fake_assert_signed_with(fake_find(w->fake, "dynamodb", nth), key, token);
    fake_assert_all_used(w->fake);
}

/* --- web identity --- */

static void web_identity_from_the_environment_rereads_the_token_at_each_refresh(void **state)
{
    fake_world *w = *state;
    const char *token_file = put_file("token", "eks-token-1\n");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_file, 1);
    setenv("AWS_ROLE_ARN", ROLE, 1);
    setenv("AWS_ROLE_SESSION_NAME", "pod-a", 1);
    sts_reply(w, "AssumeRoleWithWebIdentity", "ASIAWEB1", "TOKEN-WEB1", AT_PLUS_120);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), FAKE_FOREVER);
    call_ok(w);
    const fake_request *sts = fake_find(w->fake, "POST sts.us-east-1", 0);
    assert_string_equal(sts->url, STS);
    assert_true(sts->secret); /* its answer carries keys: a secret buffer in the transport */
    assert_false(fake_find(w->fake, "dynamodb", 0)->secret);
    assert_null(fake_request_header(sts, "Authorization")); /* unsigned */
    assert_string_equal(fake_request_header(sts, "Content-Type"),
                        "application/x-www-form-urlencoded; charset=utf-8");
    assert_string_equal(sts->body,
                        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3A"
                        "iam%3A%3A123456789012%3Arole%2Fwidgets&RoleSessionName=pod-a"
                        "&WebIdentityToken=eks-token-1");
    fake_assert_signed_with(fake_find(w->fake, "dynamodb", 0), "ASIAWEB1", "TOKEN-WEB1");

    /* EKS rotated the token: the refresh (past the half-life) sends the new one. */
    put_file("token", "eks-token-2");
    sts_reply(w, "AssumeRoleWithWebIdentity", "ASIAWEB2", "TOKEN-WEB2", "2015-08-30T14:00:00Z");
    fake_advance_s(w, 61);
    run_call(w);
    run_call(w);
    assert_int_equal(fake_count_matching(w->fake, "POST sts.us-east-1"), 2);
    assert_non_null(
        strstr(fake_find(w->fake, "POST sts.us-east-1", 1)->body, "WebIdentityToken=eks-token-2"));
    the_call_was_signed_with(w, 2, "ASIAWEB2", "TOKEN-WEB2");
}

static void web_identity_half_configured_is_an_error(void **state)
{
    fake_world *w = *state;
    setenv("AWS_ROLE_ARN", ROLE, 1);
    expect_call_error(w, "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
}

static void web_identity_missing_token_file_and_sts_errors(void **state)
{
    fake_world *w = *state;
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
    setenv("AWS_ROLE_ARN", ROLE, 1);
    expect_call_error(w, "token file /nonexistent/token");

    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", "bad-token"), 1);
    fake_reply(w->fake, "POST AssumeRoleWithWebIdentity", 400,
               "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
               "<Message>No OpenIDConnect provider found</Message></Error></ErrorResponse>");
    outcome o2 = run_call(w);
    assert_int_equal(o2.result, WC_ERR_IO);
    assert_non_null(strstr(o2.msg, "STS says InvalidIdentityToken: No OpenIDConnect provider"));
    assert_non_null(strstr(o2.msg, "HTTP 400"));
    fake_assert_all_used(w->fake);
}

static void the_sts_endpoint_can_be_overridden(void **state)
{
    fake_world *w = *state;
    setenv("AWS_ENDPOINT_URL_STS", "http://sts.test:4000", 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", "t"), 1);
    setenv("AWS_ROLE_ARN", ROLE, 1);
    sts_reply(w, "AssumeRoleWithWebIdentity", "ASIAWEB", "TOK", AT_PLUS_1H);
    fake_reply(w->fake, "dynamodb", 200, "{}");
    call_ok(w);
    assert_string_equal(fake_request_at(w->fake, 0)->url, "http://sts.test:4000/");
    fake_assert_all_used(w->fake);
}

static void a_profile_web_identity_token_file(void **state)
{
    fake_world *w = *state;
    char text[1024];
    snprintf(text, sizeof(text),
             "[profile eks]\nrole_arn = %s\nweb_identity_token_file = %s\n"
             "role_session_name = from-profile\n",
             ROLE, put_file("token", "profile-token"));
    config(text);
    setenv("AWS_PROFILE", "eks", 1);
    sts_reply(w, "AssumeRoleWithWebIdentity", "ASIAPWEB", "TOK", AT_PLUS_1H);
    fake_reply(w->fake, "dynamodb", 200, "{}");
    call_ok(w);
    const char *body = fake_request_at(w->fake, 0)->body;
    assert_non_null(strstr(body, "WebIdentityToken=profile-token"));
    assert_non_null(strstr(body, "RoleSessionName=from-profile"));
    the_call_was_signed_with(w, 0, "ASIAPWEB", "TOK");
}

/* --- assumed roles --- */

static void assume_role_with_a_source_profile_signs_with_its_keys(void **state)
{
    fake_world *w = *state;
    config("[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = basesecret\n"
           "[profile app]\nrole_arn = " ROLE "\nsource_profile = base\nexternal_id = ext-1\n"
           "role_session_name = app-session\nduration_seconds = 1800\n");
    setenv("AWS_PROFILE", "app", 1);
    sts_reply(w, "AssumeRole", "ASIAROLE", "TOKEN-ROLE", AT_PLUS_1H);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), 2);
    outcome o = {0}, o2 = {0};
    start_call(w, &o, NULL);
    start_call(w, &o2, NULL);
    fake_run(w);
    assert_int_equal(o.result, WC_OK);
    assert_int_equal(o2.result, WC_OK);
    assert_int_equal(fake_count_matching(w->fake, "POST Action=AssumeRole&"), 1); /* one flight */
    const fake_request *sts = fake_request_at(w->fake, 0);
    assert_string_equal(sts->url, STS);
    assert_true(sts->secret);
    fake_assert_signed_with(sts, "AKIDBASE", NULL);
    assert_non_null(
        strstr(fake_request_header(sts, "Authorization"),
               "/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date,"));
    assert_string_equal(sts->body, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam"
                                   "%3A%3A123456789012%3Arole%2Fwidgets&RoleSessionName=app-"
                                   "session&ExternalId=ext-1&DurationSeconds=1800");
    the_call_was_signed_with(w, 0, "ASIAROLE", "TOKEN-ROLE");
}

static void a_role_chain_assumes_each_role_in_turn(void **state)
{
    fake_world *w = *state;
    config("[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n"
           "[profile mid]\nrole_arn = arn:aws:iam::1:role/mid\nsource_profile = base\n"
           "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = mid\n");
    setenv("AWS_PROFILE", "top", 1);
    sts_reply(w, "AssumeRole", "ASIAMID", "TOKEN-MID", AT_PLUS_1H);
    sts_reply(w, "AssumeRole", "ASIATOP", "TOKEN-TOP", AT_PLUS_1H);
    fake_reply(w->fake, "dynamodb", 200, "{}");
    call_ok(w);
    assert_non_null(strstr(fake_request_at(w->fake, 0)->body, "role%2Fmid"));
    fake_assert_signed_with(fake_request_at(w->fake, 0), "AKIDBASE", NULL);
    assert_non_null(strstr(fake_request_at(w->fake, 1)->body, "role%2Ftop"));
    fake_assert_signed_with(fake_request_at(w->fake, 1), "ASIAMID", "TOKEN-MID");
    the_call_was_signed_with(w, 0, "ASIATOP", "TOKEN-TOP");
}

static void assume_role_from_the_ecs_container_source(void **state)
{
    fake_world *w = *state;
    config("[default]\nrole_arn = " ROLE "\ncredential_source = EcsContainer\n");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://ecs.test/creds", 1);
    fake_reply(w->fake, "GET ecs.test", 200,
               "{\"AccessKeyId\":\"ASIATASK\",\"SecretAccessKey\":\"x\",\"Token\":\"TASKTOK\","
               "\"Expiration\":\"" AT_PLUS_1H "\"}");
    sts_reply(w, "AssumeRole", "ASIAROLE", "TOKEN-ROLE", AT_PLUS_120);
    fake_reply(w->fake, "dynamodb", 200, "{}");
    call_ok(w);
    fake_assert_signed_with(fake_find(w->fake, "POST AssumeRole", 0), "ASIATASK", "TASKTOK");
    the_call_was_signed_with(w, 0, "ASIAROLE", "TOKEN-ROLE");
}

static void assume_role_from_the_environment_source_and_refresh(void **state)
{
    fake_world *w = *state;
    config("[default]\nrole_arn = " ROLE "\ncredential_source = Environment\n");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    /* The environment's keys are the role's source, not credentials to use themselves: but the
     * environment comes first in the chain. Without them there, the role has no source. */
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(expect_call_error(w, "its source has no credentials"), WC_ERR_INVALID);
}

static void an_sts_failure_during_refresh_keeps_the_current_ones(void **state)
{
    fake_world *w = *state;
    config("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n"
           "[default]\nrole_arn = " ROLE "\nsource_profile = base\n");
    /* The [base] section of the config file is "base" only in the credentials file: */
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           put_file("credentials", "[base]\naws_access_key_id = AKIDBASE\n"
                                   "aws_secret_access_key = s\n"),
           1);
    sts_reply(w, "AssumeRole", "ASIAOLD", "TOKEN-OLD", AT_PLUS_120);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), FAKE_FOREVER);
    call_ok(w);
    fake_advance_s(w, 61);
    fake_network_error(w->fake, "POST AssumeRole", 7, "Failed to connect");
    call_ok(w);
    fake_assert_signed_with(fake_find(w->fake, "dynamodb", 1), "ASIAOLD", "TOKEN-OLD");
    assert_int_equal(fake_count_matching(w->fake, "POST AssumeRole"), 2);
    fake_assert_all_used(w->fake);
}

static const char *sts_error(const char *code, const char *message, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>"
             "</Error></ErrorResponse>",
             code, message);
    return buf;
}

/* STS answers the refresh a call starts with `status` and `code`: an outage, not a refusal;
 * the call goes on with the current credentials. */
static void a_refresh_failing_so_is_an_outage(fake_world *w, int status, const char *code,
                                              const char *message)
{
    char body[512];
    fake_reply(w->fake, "POST Action=AssumeRoleWithWebIdentity&", status,
               sts_error(code, message, body, sizeof(body)));
    call_ok(w);
    assert_null(wc_aws_refused(w->aws));
}

/* Issue 15: STS refusing the token at a refresh (a revoked role, a bad web identity token) is
 * a refusal for good, told to whoever stops the program, with STS's words; not an outage tried
 * again for ever. Calls fail as in an outage (their requests are not at fault) and STS is not
 * asked again. Throttling and 5xx at a refresh stay an outage: the current ones go on. */
static void a_refusal_by_sts_at_refresh_is_for_good(void **state)
{
    fake_world *w = *state;
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", "eks-token"), 1);
    setenv("AWS_ROLE_ARN", ROLE, 1);
    sts_reply(w, "AssumeRoleWithWebIdentity", "ASIAWEB1", "TOKEN-WEB1", AT_PLUS_1H);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), FAKE_FOREVER);
    call_ok(w);

    /* Past the refresh time: throttled, then STS failing: an outage, the current ones go on. */
    fake_advance_s(w, 3400);
    a_refresh_failing_so_is_an_outage(w, 400, "Throttling", "Rate exceeded");
    fake_advance_s(w, 31);
    a_refresh_failing_so_is_an_outage(w, 503, "ServiceUnavailable", "try later");

    /* The role revoked: refused for good, said once, with STS's words. */
    fake_advance_s(w, 31);
    char body[512];
    fake_reply(w->fake, "POST Action=AssumeRoleWithWebIdentity&", 403,
               sts_error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity",
                         body, sizeof(body)));
    run_call(w);
    const wc_error *refusal = wc_aws_refused(w->aws);
    assert_non_null(refusal);
    assert_non_null(strstr(refusal->msg, "HTTP 403: "));
    assert_non_null(strstr(refusal->msg, "STS says AccessDenied: Not authorized"));
    /* Calls from now on fail as in an outage, and STS is not asked again. */
    outcome o5 = run_call(w);
    assert_int_equal(o5.result, WC_ERR_IO);
    assert_non_null(strstr(o5.msg, "STS says AccessDenied"));
    assert_int_equal(fake_count_matching(w->fake, "POST Action=AssumeRoleWithWebIdentity&"), 4);
    fake_assert_all_used(w->fake);
}

/* The same refusal at the first fetch (a bad token: InvalidIdentityToken, HTTP 400). */
static void a_refusal_by_sts_at_the_first_fetch_is_for_good(void **state)
{
    fake_world *w = *state;
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", "bad-token"), 1);
    setenv("AWS_ROLE_ARN", ROLE, 1);
    char body[512];
    fake_reply(
        w->fake, "POST Action=AssumeRoleWithWebIdentity&", 400,
        sts_error("InvalidIdentityToken", "No OpenIDConnect provider found", body, sizeof(body)));
    assert_int_equal(run_call(w).result, WC_ERR_IO);
    assert_non_null(wc_aws_refused(w->aws));
    assert_non_null(strstr(wc_aws_refused(w->aws)->msg, "STS says InvalidIdentityToken"));
    assert_int_equal(run_call(w).result, WC_ERR_IO);
    assert_int_equal(fake_count_matching(w->fake, "POST Action=AssumeRoleWithWebIdentity&"), 1);
}

/* --- profiles that must stop the start, not fall through to the instance role --- */

static void expect_profile_error(fake_world *w, const char *text, const char *message)
{
    config(text);
    /* IMDS is on: a silent fall-through would ask it. */
    setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://imds.test", 1);
    expect_call_error(w, message);
}

static void role_arn_without_a_source_is_an_error(void **state)
{
    expect_profile_error(*state, "[default]\nrole_arn = " ROLE "\n",
                         "has role_arn but no source_profile, credential_source or "
                         "web_identity_token_file");
}

static void an_sso_profile_is_an_error(void **state)
{
    expect_profile_error(*state, "[default]\nsso_session = corp\nsso_account_id = 1\n",
                         "uses sso_session (AWS IAM Identity Center / SSO), which "
                         "widget-consumer does not support");
}

static void broken_role_profiles_are_errors(void **state)
{
    fake_world *w = *state;
    expect_profile_error(w,
                         "[default]\nrole_arn = " ROLE "\nsource_profile = a\n"
                         "credential_source = Environment\n",
                         "has both source_profile and credential_source");
    expect_profile_error(w, "[default]\nrole_arn = " ROLE "\ncredential_source = Lambda\n",
                         "credential_source \"Lambda\" is not one of");
    expect_profile_error(w, "[default]\nrole_arn = " ROLE "\nsource_profile = nowhere\n",
                         "profile \"nowhere\" is in neither");
    expect_profile_error(w, "[default]\nrole_arn = " ROLE "\nsource_profile = default\n",
                         "its source_profile \"default\" has no credentials");
    expect_profile_error(w,
                         "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
                         "[profile b]\nrole_arn = " ROLE "\nsource_profile = a\n"
                         "[default]\nrole_arn = " ROLE "\nsource_profile = a\n",
                         "(a loop?)");
    expect_profile_error(w,
                         "[default]\nrole_arn = " ROLE "\nsource_profile = default\n"
                         "aws_access_key_id = A\naws_secret_access_key = B\n"
                         "duration_seconds = 60\n",
                         "duration_seconds \"60\" is not a number of seconds from 900 to 43200");
    expect_profile_error(w, "[default]\nweb_identity_token_file = /t\n",
                         "has web_identity_token_file but no role_arn");
}

/* --- credential_process --- */

/* Turns the loop until *flag is set, for at most 10 s of real time: the child runs in real time
 * while the fake clock jumps ahead (a loop with nothing to watch sleeps on the fake clock). */
static void run_real(fake_world *w, const int *flag)
{
    for (int i = 0; i < 10000 && !*flag; i++) {
        wc_loop_turn(w->loop, 1);
        if (!*flag)
            usleep(1000);
    }
}

static void credential_process_output_is_read_on_the_loop(void **state)
{
    fake_world *w = *state;
    config("[default]\ncredential_process = printf '%s' '{\"Version\": 1, \"AccessKeyId\": "
           "\"ASIAPROC\", \"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"PROCTOK\", "
           "\"Expiration\": \"" AT_PLUS_1H "\"}'\n");
    fake_reply(w->fake, "dynamodb", 200, "{}");
    outcome o = {0};
    start_call(w, &o, NULL);
    assert_int_equal(o.calls, 0); /* nothing waited for the process */
    run_real(w, &o.calls);
    assert_int_equal(o.result, WC_OK);
    the_call_was_signed_with(w, 0, "ASIAPROC", "PROCTOK");
}

static void credential_process_failures(void **state)
{
    fake_world *w = *state;
    const char *cases[][2] = {
        {"exit 3", "the command exited with status 3"},
        {"echo not json", "the output is not JSON"},
        {"echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\"}'",
         "\"Version\" is not 1"},
        {"echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'", "no AccessKeyId/SecretAccessKey"},
        {"echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\", "
         "\"Expiration\": \"soon\"}'",
         "Expiration \"soon\" is not an ISO 8601 time"},
        {"head -c 70000 /dev/zero | tr '\\\\0' x", "the output passes 65536 bytes"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "[default]\ncredential_process = %s\n", cases[i][0]);
        config(text);
        outcome o = {0};
        start_call(w, &o, NULL);
        run_real(w, &o.calls);
        assert_int_equal(o.calls, 1);
        assert_int_not_equal(o.result, WC_OK);
        if (!strstr(o.msg, cases[i][1]))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, o.msg, cases[i][1]);
    }
    assert_int_equal(fake_count(w->fake), 0);
}

typedef struct {
    int calls;
    wc_result result;
    wc_credentials creds;
    char msg[WC_ERROR_MAX];
} fetched;

static void on_fetched(void *ctx, wc_result result, wc_credentials *creds, const wc_error *err)
{
    fetched *f = ctx;
    f->calls++;
    f->result = result;
    f->creds = *creds;
    memset(creds, 0, sizeof(*creds));
    snprintf(f->msg, sizeof(f->msg), "%s", err ? err->msg : "");
}

static void credential_process_is_killed_at_its_deadline_and_on_cancel(void **state)
{
    (void)state;
    wc_loop *loop = wc_loop_new(NULL);
    wc_credential_provider *p =
        wc_credentials_from_process("exec sleep 30", "profile slow", loop, 200);
    fetched f = {0};
    wc_error err;
    assert_int_equal(p->start(p, on_fetched, &f, &err), WC_OK);
    assert_int_equal(f.calls, 0); /* never from inside start */
    for (int i = 0; i < 500 && !f.calls; i++)
        wc_loop_turn(loop, 50);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.result, WC_ERR_IO);
    assert_string_equal(f.msg, "profile slow: the command did not finish in 200 ms");

    /* Cancelled: killed and reaped at once, done never called. */
    fetched g = {0};
    assert_int_equal(p->start(p, on_fetched, &g, &err), WC_OK);
    p->cancel(p);
    wc_loop_turn(loop, 0);
    assert_int_equal(g.calls, 0);
    assert_false(wc_loop_alive(loop));

    /* A process that writes nothing and exits 0 has not given credentials. */
    wc_credential_provider *q = wc_credentials_from_process("true", "profile empty", loop, 5000);
    fetched h = {0};
    assert_int_equal(q->start(q, on_fetched, &h, &err), WC_OK);
    for (int i = 0; i < 500 && !h.calls; i++)
        wc_loop_turn(loop, 50);
    assert_int_equal(h.result, WC_ERR_IO);
    assert_non_null(strstr(h.msg, "not JSON"));
    q->destroy(q);
    p->destroy(p);
    wc_loop_free(loop);
}

static void on_http(void *ctx, wc_http_response *response)
{
    (*(int *)ctx)++;
    wc_http_response_cleanup(response);
}

/* Issue 15 item 8: the child gets stdin, its stdout (the pipe) and stderr, and no descriptor of
 * ours: not a live libcurl connection (libcurl 7.88 opens sockets without close-on-exec; http.c
 * opens them with SOCK_CLOEXEC). The command lists its shell's own descriptors while a request is
 * in flight on a real connection. */
static void credential_process_inherits_no_descriptor_of_ours(void **state)
{
    (void)state;
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv, 4), 0);
    assert_int_equal(getsockname(srv, (struct sockaddr *)&a, &alen), 0);
    wc_loop *loop = wc_loop_new(NULL);
    wc_http_config hc = {0};
    wc_http *http = wc_http_new(&hc, loop);
    assert_non_null(http);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(a.sin_port));
    wc_http_request req = {.method = "GET", .url = url, .timeout_ms = 20000};
    int answered = 0;
    wc_error err;
    wc_transport t = wc_http_transport(http);
    assert_int_equal(t.ops->start(t.self, &req, on_http, &answered, NULL, &err), WC_OK);
    int conn = -1; /* the server takes the connection and never answers: it stays open */
    for (int i = 0; i < 500 && conn < 0; i++) {
        wc_loop_turn(loop, 10);
        conn = accept(srv, NULL, NULL);
    }
    if (conn >= 0)
        fcntl(conn, F_SETFD, FD_CLOEXEC); /* ours, not the child's either */
    assert_true(conn >= 0);
    char *dir = make_temp_dir();
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "sh -c 'ls -l /proc/$PPID/fd > %s/fds'; printf '%%s' '{\"Version\": 1, "
             "\"AccessKeyId\": \"A\", "
             "\"SecretAccessKey\": \"B\"}'",
             dir);
    wc_credential_provider *p = wc_credentials_from_process(cmd, "profile fds", loop, 10000);
    fetched f = {0};
    assert_int_equal(p->start(p, on_fetched, &f, &err), WC_OK);
    for (int i = 0; i < 1000 && !f.calls; i++)
        wc_loop_turn(loop, 10);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.result, WC_OK);
    wc_credentials_cleanup(&f.creds);
    char *fds = read_text(dir, "fds");
    assert_non_null(fds);
    /* The shell's (listed from a child of it, as a redirection would move its own): 0, 1 (the
     * pipe) and 2; not the test runner's descriptors, not libcurl's connection to the server
     * above nor its wake-up socket pair, not the loop's wake pipe. */
    char numbers[64] = "";
    for (const char *line = fds; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *arrow = strstr(line, " -> ");
        const char *nl = strchr(line, '\n');
        if (!arrow || (nl && arrow > nl))
            continue;
        const char *n = arrow;
        while (n > line && n[-1] != ' ')
            n--;
        size_t used = strlen(numbers);
        snprintf(numbers + used, sizeof(numbers) - used, "%.*s ", (int)(arrow - n), n);
    }
    if (strcmp(numbers, "0 1 2 ") != 0)
        fail_msg("the child has descriptors %s:\n%s", numbers, fds);
    free(fds);
    assert_int_equal(answered, 0); /* the connection was live all along */
    p->destroy(p);
    wc_http_free(http);
    close(conn);
    close(srv);
    wc_loop_free(loop);
    rm_rf(dir);
}

/* Whether pid runs (not gone, not a zombie waiting for its parent). */
static int running(pid_t pid)
{
    char path[64], text[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *end = strrchr(text, ')');
    return end && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

/* Issue 15 item 8: at the deadline the whole process group dies, not only the shell: a grandchild
 * (the real helper the shell started) used to live on, holding the pipe. */
static void credential_process_timeout_kills_the_grandchildren(void **state)
{
    (void)state;
    wc_loop *loop = wc_loop_new(NULL);
    char *dir = make_temp_dir();
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s/pid; wait", dir);
    wc_credential_provider *p = wc_credentials_from_process(cmd, "profile stuck", loop, 300);
    fetched f = {0};
    wc_error err;
    assert_int_equal(p->start(p, on_fetched, &f, &err), WC_OK);
    for (int i = 0; i < 500 && !f.calls; i++)
        wc_loop_turn(loop, 50);
    assert_int_equal(f.calls, 1);
    assert_string_equal(f.msg, "profile stuck: the command did not finish in 300 ms");
    char *text = read_text(dir, "pid");
    assert_non_null(text);
    pid_t grandchild = (pid_t)atoi(text);
    free(text);
    assert_true(grandchild > 0);
    for (int i = 0; i < 200 && running(grandchild); i++)
        usleep(10 * 1000); /* SIGKILL is delivered at once; its exit may take a moment */
    int alive = running(grandchild);
    if (alive)
        kill(grandchild, SIGKILL); /* leave nothing behind, then fail */
    assert_false(alive);
    p->destroy(p);
    wc_loop_free(loop);
    rm_rf(dir);
}

/* --- a refused certificate at a refresh, and words that only look like a refusal --- */

/* The log lines of what fn does, written to a file of home's (stderr quiet meanwhile): a new
 * string, free() it. */
static char *log_of(void (*fn)(fake_world *), fake_world *w)
{
    log_capture(home, WC_LOG_INFO);
    fn(w);
    return log_capture_end(home);
}

#define STS_TLS_REFUSED                                                                            \
    "web identity (AWS_ROLE_ARN): TLSError: TLS verification of "                                  \
    "https://sts.us-east-1.amazonaws.com "                                                         \
    "failed (certificate refused"

static void web_identity_for_an_hour(fake_world *w)
{
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", "eks-token"), 1);
    setenv("AWS_ROLE_ARN", ROLE, 1);
    sts_reply(w, "AssumeRoleWithWebIdentity", "ASIAWEB1", "TOKEN-WEB1", AT_PLUS_1H);
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), FAKE_FOREVER);
    call_ok(w);
}

static void sts_refuses_its_certificate(fake_world *w)
{
    fake_network_error(w->fake, "POST Action=AssumeRoleWithWebIdentity&", 60,
                       "SSL certificate problem: unable to get local issuer certificate");
}

static void a_refresh_refused_by_tls(fake_world *w)
{
    sts_refuses_its_certificate(w);
    call_ok(w); /* with the current ones: the refresh runs in the background */
}

/* A certificate refused at a refresh (STS's changed under a running consumer) is a failed
 * refresh while the current credentials are valid: they go on, the refusal is said and counted
 * in tls_refusals as a call's is. Once they have expired it is for good. The flag of the error
 * decides (wc_error.tls_refused, set where the transport said so), not its words. */
static void a_refresh_refused_by_tls_is_counted_and_the_current_ones_go_on(void **state)
{
    fake_world *w = *state;
    web_identity_for_an_hour(w);
    assert_int_equal(wc_aws_get_stats(w->aws)->tls_refusals, 0);

    fake_advance_s(w, 3400); /* past the refresh (five minutes before the end) */
    char *log = log_of(a_refresh_refused_by_tls, w);
    assert_null(wc_aws_refused(w->aws));
    fake_assert_signed_with(fake_find(w->fake, "dynamodb", 1), "ASIAWEB1", "TOKEN-WEB1");
    assert_int_equal(wc_aws_get_stats(w->aws)->tls_refusals, 1);
    if (!strstr(log, "WARN  credentials: refresh from STS failed (" STS_TLS_REFUSED) ||
        !strstr(log, "); the current ones expire in 200 s"))
        fail_msg("the log says:\n%s", log);
    free(log);

    /* Still refused when the current ones have expired: for good, counted again. */
    fake_advance_s(w, 300);
    sts_refuses_its_certificate(w);
    assert_int_equal(run_call(w).result, WC_ERR_IO);
    const wc_error *refusal = wc_aws_refused(w->aws);
    assert_non_null(refusal);
    assert_true(refusal->tls_refused);
    if (strncmp(refusal->msg, STS_TLS_REFUSED, strlen(STS_TLS_REFUSED)) != 0)
        fail_msg("refusal \"%s\"", refusal->msg);
    assert_int_equal(wc_aws_get_stats(w->aws)->tls_refusals, 2);
    assert_int_equal(run_call(w).result, WC_ERR_IO); /* not fetched, nor counted, again */
    assert_int_equal(wc_aws_get_stats(w->aws)->tls_refusals, 2);
    assert_int_equal(fake_count_matching(w->fake, "POST Action=AssumeRoleWithWebIdentity&"), 3);
    fake_assert_all_used(w->fake);
}

/* STS refusing the role with a message that happens to read like a TLS refusal is STS's
 * refusal: for good at once, though the current credentials are still valid, and no TLS
 * refusal is counted. */
static void sts_words_like_a_tls_refusal_are_no_tls_refusal(void **state)
{
    fake_world *w = *state;
    web_identity_for_an_hour(w);
    fake_advance_s(w, 3400);
    char body[512];
    fake_reply(w->fake, "POST Action=AssumeRoleWithWebIdentity&", 403,
               sts_error("AccessDenied", "TLSError: TLS verification of the caller failed", body,
                         sizeof(body)));
    run_call(w);
    const wc_error *refusal = wc_aws_refused(w->aws);
    assert_non_null(refusal);
    assert_false(refusal->tls_refused);
    assert_non_null(strstr(refusal->msg, "HTTP 403: web identity (AWS_ROLE_ARN): STS says "
                                         "AccessDenied: TLSError: TLS verification"));
    assert_int_equal(run_call(w).result, WC_ERR_IO);
    assert_int_equal(wc_aws_get_stats(w->aws)->tls_refusals, 0);
    fake_assert_all_used(w->fake);
}

/* Whether STS refused is what its answer's Code says, not words found in the message: a source
 * named like STS's words, answered 403 without an ErrorResponse (a proxy's page), is an outage
 * tried again; STS's own AccessDenied is a refusal for good. */
static void sts_words_in_a_source_name_are_not_stss_answer(void **state)
{
    fake_world *w = *state;
    wc_cred_context cx = {
        .transport = *fake_transport_table(w->fake), .has_transport = 1, .clock = &w->clock};
    wc_role_config role = {.role_arn = ROLE, .token_file = put_file("token", "t")};
    wc_credential_provider *p =
        wc_credentials_sts_new(&cx, "STS says AccessDenied: x", &role, NULL, NULL);
    assert_non_null(p);
    char body[512];
    fake_reply(w->fake, "POST Action=AssumeRoleWithWebIdentity&", 403, "<html>Forbidden</html>");
    fake_reply(w->fake, "POST Action=AssumeRoleWithWebIdentity&", 403,
               sts_error("AccessDenied", "no", body, sizeof(body)));
    const wc_result want[] = {WC_ERR_IO, WC_ERR_REJECTED};
    const char *says[] = {"STS says AccessDenied: x: STS answered HTTP 403",
                          "HTTP 403: STS says AccessDenied: x: STS says AccessDenied: no"};
    for (int i = 0; i < 2; i++) {
        fetched f = {0};
        wc_error err;
        assert_int_equal(p->start(p, on_fetched, &f, &err), WC_OK);
        fake_run(w);
        assert_int_equal(f.calls, 1);
        assert_int_equal(f.result, want[i]);
        assert_string_equal(f.msg, says[i]);
    }
    p->destroy(p);
    fake_assert_all_used(w->fake);
}

/* --- EKS Pod Identity: the container endpoint, token file read at each fetch --- */

static void pod_identity_reads_its_token_file_at_each_fetch(void **state)
{
    fake_world *w = *state;
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", put_file("eks-pod-token", "pod-token-1\n"), 1);
    fake_reply(w->fake, "GET 169.254.170.23/v1/credentials", 200,
               "{\"AccessKeyId\":\"ASIAPOD1\",\"SecretAccessKey\":\"x\",\"Token\":\"T1\","
               "\"Expiration\":\"" AT_PLUS_120 "\"}");
    fake_times(fake_reply(w->fake, "dynamodb", 200, "{}"), FAKE_FOREVER);
    call_ok(w);
    assert_string_equal(fake_request_header(fake_request_at(w->fake, 0), "Authorization"),
                        "pod-token-1");
    put_file("eks-pod-token", "pod-token-2");
    fake_reply(w->fake, "GET 169.254.170.23/v1/credentials", 200,
               "{\"AccessKeyId\":\"ASIAPOD2\",\"SecretAccessKey\":\"x\",\"Token\":\"T2\","
               "\"Expiration\":\"" AT_PLUS_1H "\"}");
    fake_advance_s(w, 61);
    run_call(w);
    run_call(w);
    assert_string_equal(
        fake_request_header(fake_find(w->fake, "GET 169.254.170.23", 1), "Authorization"),
        "pod-token-2");
    the_call_was_signed_with(w, 2, "ASIAPOD2", "T2");
}

/* --- STS's XML --- */

static void sts_xml_answers(void **state)
{
    (void)state;
    wc_credentials c;
    wc_error err;
    char *ok = sts_xml("AssumeRole", "ASIAX", "TOK", AT_PLUS_1H);
    assert_int_equal(wc_credentials_from_sts_xml(ok, strlen(ok), "t", &c, NULL, 0, &err), WC_OK);
    assert_string_equal(c.access_key_id, "ASIAX");
    assert_string_equal(c.secret_access_key, "STSSECRET");
    assert_string_equal(c.session_token, "TOK");
    assert_int_equal(c.expiration, FAKE_WALL_TIME + 3600);
    wc_credentials_cleanup(&c);
    free(ok);
    const char *bad[][2] = {
        {"<not xml", "is not XML"},
        {"<R><Credentials><AccessKeyId>A</AccessKeyId></Credentials></R>", "lacks"},
        {"<R><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>B</SecretAccessKey>"
         "<SessionToken>C</SessionToken><Expiration>later</Expiration></Credentials></R>",
         "Expiration \"later\" is not an ISO 8601 time"},
        {"<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error>"
         "</ErrorResponse>",
         "STS says AccessDenied: no"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char code[WC_STS_CODE_MAX] = "left";
        assert_int_not_equal(wc_credentials_from_sts_xml(bad[i][0], strlen(bad[i][0]), "t", &c,
                                                         code, sizeof(code), &err),
                             WC_OK);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("\"%s\" does not say \"%s\"", err.msg, bad[i][1]);
        /* STS's Code as data: only an ErrorResponse has one */
        assert_string_equal(code, i == 3 ? "AccessDenied" : "");
    }
}

/* --- a refused certificate --- */

/* A real TLS server on 127.0.0.1 (openssl s_server) with a certificate of its own, and a CA
 * bundle of another one: every https fetch to it is refused at the handshake, as a wrong CA is. */
typedef struct {
    char *dir;
    pid_t pid;
    unsigned port;
    char url[64];     /* https://127.0.0.1:PORT */
    char bundle[512]; /* the CA bundle that does not sign the server's certificate */
} tls_server;

static void tls_server_start(tls_server *t)
{
    t->dir = make_temp_dir();
    const char *names[] = {"server", "other"};
    for (int i = 0; i < 2; i++) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                 "-keyout %s/%s.key -out %s/%s.pem -subj /CN=127.0.0.1 -days 1 2>/dev/null",
                 t->dir, names[i], t->dir, names[i]);
        assert_int_equal(system(cmd), 0);
    }
    snprintf(t->bundle, sizeof(t->bundle), "%s/other.pem", t->dir);
    char cert[512], key[512], out[512];
    snprintf(cert, sizeof(cert), "%s/server.pem", t->dir);
    snprintf(key, sizeof(key), "%s/server.key", t->dir);
    snprintf(out, sizeof(out), "%s/out", t->dir);
    t->pid = fork();
    assert_true(t->pid >= 0);
    tls_server_pid = t->pid;
    if (t->pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_WRONLY);
        if (fd < 0 || null < 0 || dup2(fd, 1) < 0 || dup2(null, 2) < 0)
            _exit(126);
        execlp("openssl", "openssl", "s_server", "-www", "-accept", "127.0.0.1:0", "-cert", cert,
               "-key", key, (char *)NULL);
        _exit(127);
    }
    /* It says where it listens ("ACCEPT 127.0.0.1:PORT") once it does. */
    for (int i = 0; i < 500 && !t->port; i++) {
        char *text = read_text(t->dir, "out");
        const char *at = text ? strstr(text, "ACCEPT 127.0.0.1:") : NULL;
        if (at && strchr(at, '\n'))
            t->port = (unsigned)strtoul(at + strlen("ACCEPT 127.0.0.1:"), NULL, 10);
        free(text);
        if (!t->port)
            usleep(10000);
    }
    assert_true(t->port > 0);
    snprintf(t->url, sizeof(t->url), "https://127.0.0.1:%u", t->port);
}

static void tls_server_stop(tls_server *t)
{
    kill(t->pid, SIGTERM);
    waitpid(t->pid, NULL, 0);
    tls_server_pid = 0;
    rm_rf(t->dir);
}

/* A real client (libcurl, the system clock) trusting only t's other CA: a call needs credentials,
 * their fetch is refused. The refusal reads as a call's does ("TLSError: TLS verification of
 * https://HOST:PORT failed (certificate refused, CA bundle: ...): <libcurl's reason>"), prefixed
 * with what fetched, and is for good: the client says it is refused (the consumer stops), and a
 * second call makes no second connection. */
static void expect_refused_fetch(const tls_server *t, const char *prefix)
{
    setenv("AWS_CA_BUNDLE", t->bundle, 1);
    wc_loop *loop = wc_loop_new(NULL);
    wc_aws_config config = {.region = "us-east-1",
                            .endpoint_url = "http://127.0.0.1:9", /* never asked */
                            .loop = loop};
    wc_error err;
    wc_aws *aws = wc_aws_new(&config, &err);
    if (!aws)
        fail_msg("wc_aws_new: %s", err.msg);
    fake_world w = {.loop = loop, .aws = aws};
    outcome o[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++) {
        start_call(&w, &o[i], NULL);
        for (int turns = 0; turns < 1000 && !o[i].calls; turns++)
            wc_loop_turn(loop, 10);
        assert_int_equal(o[i].calls, 1);
        assert_int_equal(o[i].result, WC_ERR_IO); /* to the call: the service is not usable */
    }
    const wc_error *refusal = wc_aws_refused(aws);
    assert_non_null(refusal);
    char want[1024];
    snprintf(want, sizeof(want),
             "%sTLSError: TLS verification of %s failed (certificate refused, CA bundle: %s): "
             "SSL certificate problem: ",
             prefix, t->url, t->bundle);
    if (strncmp(refusal->msg, want, strlen(want)) != 0)
        fail_msg("refusal \"%s\", wanted it to start \"%s\"", refusal->msg, want);
    assert_int_equal(wc_aws_connections_opened(aws), 1);
    wc_aws_free(aws);
    wc_loop_free(loop);
}

static void a_refused_certificate_of_a_credential_endpoint_is_for_good(void **state)
{
    (void)state;
    tls_server t = {0};
    tls_server_start(&t);
    /* STS (AssumeRoleWithWebIdentity) over https. */
    char sts[96];
    snprintf(sts, sizeof(sts), "%s/", t.url);
    setenv("AWS_ENDPOINT_URL_STS", sts, 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", "t"), 1);
    setenv("AWS_ROLE_ARN", ROLE, 1);
    expect_refused_fetch(&t, "web identity (AWS_ROLE_ARN): ");
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    unsetenv("AWS_ROLE_ARN");
    /* The ECS/EKS container endpoint over https. */
    char full[128];
    snprintf(full, sizeof(full), "%s/v2/credentials", t.url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full, 1);
    expect_refused_fetch(&t, "ECS container credentials: ");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    /* IMDS over https: a refusal, not "not on EC2" (which would go on without credentials). */
    setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", t.url, 1);
    expect_refused_fetch(&t, "EC2 instance metadata: ");
    tls_server_stop(&t);
}

static void ca_bundle_from_the_environment_or_the_profile(void **state)
{
    (void)state;
    config("[default]\nca_bundle = /etc/corp-ca.pem\n");
    char *b = wc_ca_bundle(NULL);
    assert_string_equal(b, "/etc/corp-ca.pem");
    free(b);
    setenv("AWS_CA_BUNDLE", "/env/ca.pem", 1);
    b = wc_ca_bundle(NULL);
    assert_string_equal(b, "/env/ca.pem");
    free(b);
    /* A bundle that cannot be read stops the client at once. */
    wc_aws_config cfg = {.region = "us-east-1"};
    wc_error err;
    assert_null(wc_aws_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "CA bundle /env/ca.pem (AWS_CA_BUNDLE or ca_bundle)"));
    unsetenv("AWS_CA_BUNDLE");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(web_identity_from_the_environment_rereads_the_token_at_each_refresh),
        T(web_identity_half_configured_is_an_error),
        T(web_identity_missing_token_file_and_sts_errors),
        T(the_sts_endpoint_can_be_overridden),
        T(a_profile_web_identity_token_file),
        T(assume_role_with_a_source_profile_signs_with_its_keys),
        T(a_role_chain_assumes_each_role_in_turn),
        T(assume_role_from_the_ecs_container_source),
        T(assume_role_from_the_environment_source_and_refresh),
        T(an_sts_failure_during_refresh_keeps_the_current_ones),
        T(a_refusal_by_sts_at_refresh_is_for_good),
        T(a_refusal_by_sts_at_the_first_fetch_is_for_good),
        T(a_refresh_refused_by_tls_is_counted_and_the_current_ones_go_on),
        T(sts_words_like_a_tls_refusal_are_no_tls_refusal),
        T(sts_words_in_a_source_name_are_not_stss_answer),
        T(role_arn_without_a_source_is_an_error),
        T(an_sso_profile_is_an_error),
        T(broken_role_profiles_are_errors),
        T(credential_process_output_is_read_on_the_loop),
        T(credential_process_failures),
        T(credential_process_is_killed_at_its_deadline_and_on_cancel),
        T(credential_process_inherits_no_descriptor_of_ours),
        T(credential_process_timeout_kills_the_grandchildren),
        T(pod_identity_reads_its_token_file_at_each_fetch),
        T(sts_xml_answers),
        T(ca_bundle_from_the_environment_or_the_profile),
        T(a_refused_certificate_of_a_credential_endpoint_is_for_good),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
