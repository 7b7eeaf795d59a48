#include "aws/credentials.h"
#include "common/clock.h"
#include "testutil.h"

static char *home;

static int setup(void **state)
{
    home = cred_env_isolate();
    return 0;
}

static int teardown(void **state)
{
    cred_env_release(home);
    return 0;
}

static void write_aws_file(const char *name, const char *text)
{
    char *dir = wc_path_join(home, ".aws");
    wc_mkdirs(dir, NULL);
    write_text(dir, name, text);
    free(dir);
}

/* A provider's fetch that answers at once (never via start). */
static wc_result fetch_now(wc_credential_provider *p, wc_credentials *out, wc_error *err)
{
    wc_result result = p->fetch(p, out, err);
    if (result == WC_OK)
        assert_non_null(out->access_key_id);
    return result;
}

static void environment_first(void **state)
{
    write_aws_file("credentials", "[default]\naws_access_key_id = FILEKEY\n"
                                  "aws_secret_access_key = filesecret\n");
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    wc_credential_chain *c = wc_credential_chain_new(NULL, NULL, NULL);
    const wc_credentials *cr;
    assert_int_equal(wc_credentials_get(c, &cr, NULL), WC_OK);
    assert_string_equal(cr->access_key_id, "ENVKEY");
    assert_string_equal(cr->secret_access_key, "envsecret");
    assert_string_equal(cr->session_token, "envtoken");
    assert_string_equal(cr->source, "environment");
    wc_credential_chain_free(c);
}

static void older_tools_secret_key_variable(void **state)
{
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_KEY", "oldsecret", 1);
    wc_credential_provider *p = wc_credentials_from_env();
    wc_credentials cr;
    assert_int_equal(fetch_now(p, &cr, NULL), WC_OK);
    assert_string_equal(cr.secret_access_key, "oldsecret");
    assert_null(cr.session_token);
    wc_credentials_cleanup(&cr);
    unsetenv("AWS_SECRET_KEY");
    wc_error err;
    assert_int_equal(fetch_now(p, &cr, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY (or "
                                 "AWS_SECRET_KEY) is not");
    p->destroy(p);
}

static void profiles_from_both_files(void **state)
{
    write_aws_file("credentials",
                   "[default]\naws_access_key_id = DEFKEY\n"
                   "aws_secret_access_key = defsecret\n\n"
                   "[ops]\naws_access_key_id = OPSKEY\n"
                   "aws_secret_access_key = opssecret\naws_session_token = opstok\n");
    write_aws_file("config", "[default]\nregion = us-west-2\n\n[profile ops]\nregion = eu-north-1\n"
                             "\n[profile cfgonly]\naws_access_key_id = CFGKEY\n"
                             "aws_secret_access_key = cfgsecret\n");
    wc_credential_provider *p = wc_credentials_from_profile(NULL, NULL);
    wc_credentials cr;
    assert_int_equal(fetch_now(p, &cr, NULL), WC_OK);
    assert_string_equal(cr.access_key_id, "DEFKEY");
    assert_string_equal(cr.source, "profile default");
    wc_credentials_cleanup(&cr);
    p->destroy(p);

    p = wc_credentials_from_profile("ops", NULL);
    assert_int_equal(fetch_now(p, &cr, NULL), WC_OK);
    assert_string_equal(cr.access_key_id, "OPSKEY");
    assert_string_equal(cr.session_token, "opstok");
    wc_credentials_cleanup(&cr);
    p->destroy(p);

    setenv("AWS_PROFILE", "cfgonly", 1);
    p = wc_credentials_from_profile(NULL, NULL);
    assert_int_equal(fetch_now(p, &cr, NULL), WC_OK);
    assert_string_equal(cr.access_key_id, "CFGKEY");
    wc_credentials_cleanup(&cr);
    p->destroy(p);
    unsetenv("AWS_PROFILE");

    char *r = wc_profile_region("ops");
    assert_string_equal(r, "eu-north-1");
    free(r);
    r = wc_profile_region(NULL);
    assert_string_equal(r, "us-west-2");
    free(r);
}

static void a_named_profile_that_is_missing_is_an_error(void **state)
{
    write_aws_file("credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
    wc_credential_chain *c = wc_credential_chain_new("nosuch", NULL, NULL);
    const wc_credentials *cr;
    wc_error err;
    assert_int_equal(wc_credentials_get(c, &cr, &err), WC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "profile \"nosuch\" is in neither "));
    wc_credential_chain_free(c);
}

static void nothing_anywhere_says_what_to_do(void **state)
{
    wc_credential_chain *c = wc_credential_chain_new(NULL, NULL, NULL);
    const wc_credentials *cr;
    wc_error err;
    assert_int_equal(wc_credentials_get(c, &cr, &err), WC_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "no AWS credentials: set AWS_ACCESS_KEY_ID"));
    wc_credential_chain_free(c);
}

static void credentials_file_path_from_environment(void **state)
{
    write_text(home, "creds.ini",
               "[default]\naws_access_key_id = ELSEWHERE\n"
               "aws_secret_access_key = s\n");
    char *path = wc_path_join(home, "creds.ini");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    wc_credential_provider *p = wc_credentials_from_profile(NULL, NULL);
    wc_credentials cr;
    assert_int_equal(fetch_now(p, &cr, NULL), WC_OK);
    assert_string_equal(cr.access_key_id, "ELSEWHERE");
    wc_credentials_cleanup(&cr);
    p->destroy(p);
    free(path);
}

static time_t iso(const char *s)
{
    time_t t = 0;
    assert_int_equal(wc_parse_iso8601(s, &t), WC_OK);
    return t;
}

static void iso8601_with_fractions_and_zones(void **state)
{
    assert_int_equal(iso("2015-08-30T12:36:00Z"), 1440938160);
    assert_int_equal(iso("2015-08-30T12:36:00.123Z"), 1440938160);
    assert_int_equal(iso("2015-08-30T12:36:00"), 1440938160);
    /* An offset names local time: 13:36 at +01:00 is 12:36 UTC (misread before as 13:36 UTC). */
    assert_int_equal(iso("2015-08-30T13:36:00+01:00"), 1440938160);
    assert_int_equal(iso("2015-08-30T13:36:00+0100"), 1440938160);
    assert_int_equal(iso("2015-08-30T07:36:00.5-05:00"), 1440938160);
    assert_int_equal(iso("2015-08-30T18:06:00+05:30"), 1440938160);
}

static void iso8601_garbage_is_an_error_not_never(void **state)
{
    time_t t = 42;
    const char *bad[] = {"yesterday",
                         "",
                         "2015-08-30",
                         "2015-08-30T12:36:00Zjunk",
                         "2015-08-30T12:36:00+1",
                         "2015-08-30T12:36:00+25:00",
                         "2015-08-30T12:36:00.Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(wc_parse_iso8601(bad[i], &t), WC_ERR_PARSE);
    assert_int_equal(wc_parse_iso8601(NULL, &t), WC_ERR_PARSE);
    assert_int_equal(t, 42);
}

/* Found by fuzz_credentials_json: an Expiration that was not a string (a number, null) was read
 * as "does not expire", so temporary credentials were used past their end and never fetched
 * again. */
static void container_json_expiration_must_be_a_time(void **state)
{
    const char *bad[] = {
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":1700000000}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":null}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":{}}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"soon\"}"};
    wc_credentials c;
    wc_error err;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(wc_credentials_from_json(bad[i], "ECS container", &c, &err),
                         WC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "ECS container: Expiration"));
    }
    /* A time, or no Expiration at all (long-term credentials), is read. */
    assert_int_equal(wc_credentials_from_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\","
                                              "\"Token\":\"t\",\"Expiration\":"
                                              "\"2015-08-30T12:36:00Z\"}",
                                              "ECS container", &c, &err),
                     WC_OK);
    assert_int_equal(c.expiration, 1440938160);
    assert_string_equal(c.session_token, "t");
    wc_credentials_cleanup(&c);
    assert_int_equal(wc_credentials_from_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}",
                                              "EC2 IMDSv2", &c, &err),
                     WC_OK);
    assert_int_equal(c.expiration, 0);
    assert_string_equal(c.source, "EC2 IMDSv2");
    wc_credentials_cleanup(&c);
}

static void refreshed_ahead_of_expiry_once_not_at_every_call(void **state)
{
    /* An hour's credentials: five minutes before they expire. */
    assert_int_equal(wc_credentials_refresh_at(1000, 1000 + 3600), 1000 + 3600 - 300);
    /* Two minutes' credentials (measured: fetched again before every call): after one. */
    assert_int_equal(wc_credentials_refresh_at(1000, 1000 + 120), 1000 + 60);
    /* Already expired when fetched: at once (no better can be had). */
    assert_int_equal(wc_credentials_refresh_at(1000, 900), 900);
    assert_int_equal(wc_credentials_refresh_at(1000, 0), 0); /* never expire */
}

static void the_chain_fetches_once_for_many_calls(void **state)
{
    setenv("AWS_ACCESS_KEY_ID", "AKIDONCE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    wc_credential_chain *chain = wc_credential_chain_new(NULL, NULL, NULL);
    assert_non_null(chain);
    const wc_credentials *c = NULL;
    for (int i = 0; i < 300; i++)
        assert_int_equal(wc_credentials_get(chain, &c, NULL), WC_OK);
    assert_string_equal(c->access_key_id, "AKIDONCE");
    assert_int_equal(wc_credentials_fetches(chain), 1);
    wc_credential_chain_free(chain);
}

/* AWS_CONTAINER_CREDENTIALS_FULL_URI: https anywhere, plain http only to loopback and the ECS and
 * EKS agents, as the AWS SDKs allow (issue 15). */
static void container_uri_in_clear_only_to_loopback_and_the_agents(void **state)
{
    const char *allowed[] = {"https://creds.example.com/v1",
                             "HTTPS://10.0.0.1/x",
                             "http://127.0.0.1:8080/creds",
                             "http://127.9.8.7/creds",
                             "http://localhost:51679/creds",
                             "http://[::1]:8080/x",
                             "http://169.254.170.2/v2/credentials/abc",
                             "http://169.254.170.23/v1/credentials",
                             "http://[fd00:ec2::23]/v1",
                             "http://[fd00:ec2:0::23]:80/v1",
                             "http://user@127.0.0.1/x"};
    const char *refused[] = {"http://ecs.test/creds",
                             "http://10.0.0.1/creds",
                             "http://169.254.169.254/latest",
                             "http://169.254.170.3/x",
                             "http://128.0.0.1/x",
                             "http://[fd00:ec2::24]/x",
                             "http://localhost.evil.com/x",
                             "http://127.0.0.1.evil.com/x",
                             "http://127.0.0.1@evil.com/x",
                             "ftp://127.0.0.1/x",
                             "127.0.0.1/creds",
                             "http://[::2]/x",
                             ""};
    wc_error err;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (wc_container_uri_check(allowed[i], &err) != WC_OK)
            fail_msg("%s refused: %s", allowed[i], err.msg);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (wc_container_uri_check(refused[i], &err) != WC_ERR_INVALID)
            fail_msg("%s allowed", refused[i]);
        assert_non_null(strstr(err.msg, "plain http is allowed only to a loopback address"));
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(environment_first),
        T(older_tools_secret_key_variable),
        T(profiles_from_both_files),
        T(a_named_profile_that_is_missing_is_an_error),
        T(nothing_anywhere_says_what_to_do),
        T(credentials_file_path_from_environment),
        cmocka_unit_test(container_uri_in_clear_only_to_loopback_and_the_agents),
        cmocka_unit_test(iso8601_with_fractions_and_zones),
        cmocka_unit_test(iso8601_garbage_is_an_error_not_never),
        cmocka_unit_test(container_json_expiration_must_be_a_time),
        cmocka_unit_test(refreshed_ahead_of_expiry_once_not_at_every_call),
        T(the_chain_fetches_once_for_many_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
