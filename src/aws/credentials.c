#include "aws/credentials.h"
#include "aws/credential_provider.h"

#include "aws/credentials_private.h"

#include "common/log.h"

#include <arpa/inet.h>
#include <ini.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fsutil.h"

#define REFRESH_BEFORE_S       300
#define MAX_CREDENTIALS_ANSWER 65536 /* body cap of a metadata endpoint's answer */

#define scrub_free wc_cred_scrub_free
#define fill       wc_cred_fill
#define env        wc_cred_env

static void simple_destroy(wc_credential_provider *p)
{
    free(p);
}

/* 1. The environment. */

static wc_result env_fetch(wc_credential_provider *self, wc_credentials *out, wc_error *err)
{
    const char *id = env("AWS_ACCESS_KEY_ID");
    const char *secret = env("AWS_SECRET_ACCESS_KEY");
    if (!secret)
        secret = env("AWS_SECRET_KEY");
    if (!id && !secret)
        return WC_ERR_NOT_FOUND;
    if (!id || !secret)
        return wc_error_set(err, WC_ERR_INVALID, "%s is set but %s is not",
                            id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            id ? "AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY)" : "AWS_ACCESS_KEY_ID");
    return fill(out, id, secret, env("AWS_SESSION_TOKEN"), "environment", err);
}

wc_credential_provider *wc_credentials_from_env(void)
{
    wc_credential_provider *p = calloc(1, sizeof(*p));
    if (p) {
        p->name = "environment";
        p->fetch = env_fetch;
        p->destroy = simple_destroy;
    }
    return p;
}

/* 2. The shared credentials and config files, read with inih. A profile holds static keys, or
 * says how to get credentials: role_arn with source_profile, credential_source or
 * web_identity_token_file (STS, credentials_sts.c), or credential_process
 * (credentials_process.c). Those are fetched asynchronously by a provider the profile makes at
 * each fetch (the files are read again each time). A profile of a kind not supported (SSO) or a
 * broken one is an error, never a reason to go on to the next source. */

enum {
    K_ID,
    K_SECRET,
    K_TOKEN,
    K_REGION,
    K_ROLE_ARN,
    K_SOURCE_PROFILE,
    K_CREDENTIAL_SOURCE,
    K_EXTERNAL_ID,
    K_SESSION_NAME,
    K_DURATION,
    K_TOKEN_FILE,
    K_PROCESS,
    K_CA_BUNDLE,
    K_UNSUPPORTED, /* the first key of a kind not supported (SSO), by name */
    K_N
};

static const char *const profile_keys[K_UNSUPPORTED] = {
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token",       "region",
    "role_arn",          "source_profile",        "credential_source",       "external_id",
    "role_session_name", "duration_seconds",      "web_identity_token_file", "credential_process",
    "ca_bundle"};

static const char *const unsupported_keys[] = {"sso_start_url", "sso_session", "sso_account_id",
                                               "sso_role_name", "login_session"};

typedef struct {
    const char *profile;
    int is_config; /* the config file names sections "profile NAME" (but "default") */
    int found;
    char *v[K_N];
} ini_ctx;

static int section_matches(const ini_ctx *c, const char *section)
{
    if (!c->is_config || strcmp(c->profile, "default") == 0)
        return strcmp(section, c->profile) == 0;
    return strncmp(section, "profile ", 8) == 0 && strcmp(section + 8, c->profile) == 0;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx *c = user;
    if (!section_matches(c, section))
        return 1;
    c->found = 1;
    char **slot = NULL;
    for (size_t i = 0; i < K_UNSUPPORTED && !slot; i++)
        if (strcmp(name, profile_keys[i]) == 0)
            slot = &c->v[i];
    for (size_t i = 0; i < sizeof(unsupported_keys) / sizeof(*unsupported_keys) && !slot; i++)
        if (strcmp(name, unsupported_keys[i]) == 0 && !c->v[K_UNSUPPORTED])
            slot = &c->v[K_UNSUPPORTED], value = name;
    if (slot) {
        scrub_free(*slot);
        *slot = strdup(value);
    }
    return 1;
}

static char *aws_file(const char *var, const char *name)
{
    const char *set = env(var);
    if (set)
        return strdup(set);
    const char *home = env("HOME");
    if (!home)
        return NULL;
    size_t len = strlen(home) + strlen(name) + 8;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/.aws/%s", home, name);
    return path;
}

static const char *profile_name(const char *profile)
{
    if (profile && *profile)
        return profile;
    return env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
}

/* Reads one file into c; returns inih's answer (0, -1 cannot open, line number of an error). */
static int read_ini(const char *path, ini_ctx *c)
{
    return path ? ini_parse(path, on_ini, c) : -1;
}

static void ini_ctx_cleanup(ini_ctx *c)
{
    for (size_t i = 0; i < K_N; i++)
        scrub_free(c->v[i]);
}

/* One profile as both files have it. */
typedef struct {
    const char *name;
    char *cred_path, *conf_path;
    ini_ctx cred, conf;
    int rc_cred, rc_conf;
} profile_files;

static void profile_files_read(profile_files *f, const char *name)
{
    memset(f, 0, sizeof(*f));
    f->name = name;
    f->cred_path = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    f->conf_path = aws_file("AWS_CONFIG_FILE", "config");
    f->cred.profile = f->conf.profile = name;
    f->conf.is_config = 1;
    f->rc_cred = read_ini(f->cred_path, &f->cred);
    f->rc_conf = read_ini(f->conf_path, &f->conf);
}

static void profile_files_cleanup(profile_files *f)
{
    ini_ctx_cleanup(&f->cred);
    ini_ctx_cleanup(&f->conf);
    free(f->cred_path);
    free(f->conf_path);
}

/* A setting of the profile: the credentials file's, else the config file's. */
static const char *setting(const profile_files *f, int key)
{
    return f->cred.v[key] ? f->cred.v[key] : f->conf.v[key];
}

#define MAX_SOURCE_PROFILES 5 /* role_arn -> source_profile -> ... */

static wc_result resolve_profile(const wc_cred_context *cx, const char *name, int depth,
                                 int allow_role, int named, wc_credentials *out,
                                 wc_credential_provider **delegate, wc_error *err);

/* role_arn: the provider that assumes it (web identity, or AssumeRole from a source). */
static wc_result role_provider(const wc_cred_context *cx, const profile_files *f, int depth,
                               wc_credential_provider **delegate, wc_error *err)
{
    const char *name = f->name;
    wc_role_config role = {setting(f, K_ROLE_ARN), setting(f, K_SESSION_NAME),
                           setting(f, K_EXTERNAL_ID), 0, setting(f, K_TOKEN_FILE)};
    const char *source_profile = setting(f, K_SOURCE_PROFILE);
    const char *credential_source = setting(f, K_CREDENTIAL_SOURCE);
    const char *duration = setting(f, K_DURATION);
    if (duration) {
        char *end;
        role.duration_seconds = strtol(duration, &end, 10);
        if (*end || role.duration_seconds < 900 || role.duration_seconds > 43200)
            return wc_error_set(err, WC_ERR_INVALID,
                                "profile \"%s\": duration_seconds \"%.32s\" is not a number of "
                                "seconds from 900 to 43200",
                                name, duration);
    }
    if (!cx || !cx->has_transport)
        return wc_error_set(err, WC_ERR_INVALID,
                            "profile \"%s\": role_arn needs STS, and there is no HTTP transport "
                            "to ask it with",
                            name);
    char source_name[64];
    if (role.token_file) {
        snprintf(source_name, sizeof(source_name), "profile %s (web identity)", name);
        *delegate = wc_credentials_web_identity_new(cx, source_name, &role);
        return *delegate ? WC_WAIT : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (source_profile && credential_source)
        return wc_error_set(err, WC_ERR_INVALID,
                            "profile \"%s\" has both source_profile and credential_source: "
                            "keep one",
                            name);
    wc_credential_provider *source = NULL;
    if (source_profile) {
        if (depth + 1 >= MAX_SOURCE_PROFILES)
            return wc_error_set(err, WC_ERR_INVALID,
                                "profile \"%s\": source_profile leads through more than %d "
                                "profiles (a loop?)",
                                name, MAX_SOURCE_PROFILES);
        wc_credentials keys;
        memset(&keys, 0, sizeof(keys));
        wc_credential_provider *inner = NULL;
        /* A profile that names itself as its source uses its own keys. */
        int self = strcmp(source_profile, name) == 0;
        wc_result result =
            resolve_profile(cx, source_profile, depth + 1, !self, 1, &keys, &inner, err);
        if (result == WC_ERR_NOT_FOUND)
            return wc_error_set(err, WC_ERR_INVALID,
                                "profile \"%s\": its source_profile \"%s\" has no credentials",
                                name, source_profile);
        if (result == WC_OK) {
            source = wc_credentials_static_new(&keys);
            wc_credentials_cleanup(&keys);
        } else if (result == WC_WAIT) {
            source = inner;
        } else {
            wc_error_prefix(err, "profile \"%s\": source_profile: ", name);
            return result;
        }
    } else if (credential_source) {
        if (strcmp(credential_source, "Environment") == 0)
            source = wc_credentials_from_env();
        else if (strcmp(credential_source, "Ec2InstanceMetadata") == 0)
            source = wc_credentials_from_imds(&cx->transport);
        else if (strcmp(credential_source, "EcsContainer") == 0)
            source = wc_credentials_from_ecs(&cx->transport);
        else
            return wc_error_set(err, WC_ERR_INVALID,
                                "profile \"%s\": credential_source \"%.64s\" is not one of "
                                "Environment, Ec2InstanceMetadata, EcsContainer",
                                name, credential_source);
    } else {
        return wc_error_set(err, WC_ERR_INVALID,
                            "profile \"%s\" has role_arn but no source_profile, "
                            "credential_source or web_identity_token_file to assume it with",
                            name);
    }
    if (!source)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    snprintf(source_name, sizeof(source_name), "profile %s (assumed role)", name);
    *delegate = wc_credentials_assume_role_new(cx, source_name, &role, source);
    return *delegate ? WC_WAIT : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
}

/* What profile `name` gives: WC_OK (static keys in *out), WC_WAIT (*delegate fetches them),
 * WC_ERR_NOT_FOUND (none here: the next source) or an error. allow_role 0: only its keys.
 * named: asked for by name (a missing profile is an error). */
static wc_result resolve_profile(const wc_cred_context *cx, const char *name, int depth,
                                 int allow_role, int named, wc_credentials *out,
                                 wc_credential_provider **delegate, wc_error *err)
{
    profile_files f;
    profile_files_read(&f, name);
    int explicit = named || depth > 0 || !allow_role;
    wc_result result = WC_ERR_NOT_FOUND;
    char source[64];
    if (f.rc_cred > 0 || f.rc_conf > 0) {
        result = wc_error_set(err, WC_ERR_INVALID, "%s: line %d is not valid INI",
                              f.rc_cred > 0 ? f.cred_path : f.conf_path,
                              f.rc_cred > 0 ? f.rc_cred : f.rc_conf);
    } else if (setting(&f, K_UNSUPPORTED)) {
        result = wc_error_set(err, WC_ERR_UNSUPPORTED,
                              "profile \"%s\" uses %s (AWS IAM Identity Center / SSO), which "
                              "widget-consumer does not support: use role_arn, "
                              "credential_process or static keys",
                              name, setting(&f, K_UNSUPPORTED));
    } else if (allow_role && setting(&f, K_ROLE_ARN)) {
        result = role_provider(cx, &f, depth, delegate, err);
    } else if (setting(&f, K_TOKEN_FILE) && allow_role) {
        result = wc_error_set(err, WC_ERR_INVALID,
                              "profile \"%s\" has web_identity_token_file but no role_arn", name);
    } else if (f.cred.v[K_ID] && f.cred.v[K_SECRET]) {
        snprintf(source, sizeof(source), "profile %s", name);
        result = fill(out, f.cred.v[K_ID], f.cred.v[K_SECRET], f.cred.v[K_TOKEN], source, err);
    } else if (f.conf.v[K_ID] && f.conf.v[K_SECRET]) {
        snprintf(source, sizeof(source), "profile %s (config file)", name);
        result = fill(out, f.conf.v[K_ID], f.conf.v[K_SECRET], f.conf.v[K_TOKEN], source, err);
    } else if (allow_role && setting(&f, K_PROCESS)) {
        if (!cx || !cx->has_transport || !cx->transport.loop) {
            result = wc_error_set(err, WC_ERR_INVALID,
                                  "profile \"%s\": credential_process needs an event loop", name);
        } else {
            snprintf(source, sizeof(source), "profile %s (credential_process)", name);
            *delegate =
                wc_credentials_from_process(setting(&f, K_PROCESS), source, cx->transport.loop,
                                            WC_CREDENTIAL_PROCESS_TIMEOUT_MS);
            result = *delegate ? WC_WAIT : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        }
    } else if (explicit && !f.cred.found && !f.conf.found) {
        /* Asked for by name: an error, not a reason to go on to the next source. */
        result = wc_error_set(err, WC_ERR_INVALID, "profile \"%s\" is in neither %s nor %s", name,
                              f.cred_path ? f.cred_path : "~/.aws/credentials",
                              f.conf_path ? f.conf_path : "~/.aws/config");
    } else if (f.cred.found || f.conf.found) {
        if (setting(&f, K_ID) || setting(&f, K_SECRET))
            result = wc_error_set(err, WC_ERR_INVALID,
                                  "profile \"%s\" has only one of aws_access_key_id and "
                                  "aws_secret_access_key",
                                  name);
    }
    profile_files_cleanup(&f);
    return result;
}

typedef struct {
    wc_credential_provider base;
    char *profile;
    const wc_cred_context *cx;        /* the chain's, or NULL */
    wc_credential_provider *delegate; /* made by the last fetch that needed one */
} profile_provider;

static void profile_drop_delegate(profile_provider *p)
{
    if (p->delegate)
        p->delegate->destroy(p->delegate);
    p->delegate = NULL;
}

static wc_result profile_fetch(wc_credential_provider *self, wc_credentials *out, wc_error *err)
{
    profile_provider *p = (profile_provider *)self;
    const char *name = profile_name(p->profile);
    int explicit = (p->profile && *p->profile) || env("AWS_PROFILE");
    profile_drop_delegate(p);
    return resolve_profile(p->cx, name, 0, 1, explicit, out, &p->delegate, err);
}

static wc_result profile_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                               wc_error *err)
{
    profile_provider *p = (profile_provider *)self;
    if (!p->delegate)
        return WC_ERR_NOT_FOUND;
    wc_result result = p->delegate->start(p->delegate, done, ctx, err);
    return result == WC_ERR_NOT_FOUND ? wc_error_set(err, WC_ERR_INVALID,
                                                     "profile \"%s\": its source has no "
                                                     "credentials",
                                                     profile_name(p->profile))
                                      : result;
}

static void profile_cancel(wc_credential_provider *self)
{
    profile_provider *p = (profile_provider *)self;
    if (p->delegate && p->delegate->cancel)
        p->delegate->cancel(p->delegate);
}

static void profile_destroy(wc_credential_provider *self)
{
    profile_provider *p = (profile_provider *)self;
    profile_drop_delegate(p);
    free(p->profile);
    free(p);
}

static wc_credential_provider *profile_provider_new(const char *profile, const wc_cred_context *cx)
{
    profile_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base.name = "profile";
    p->base.fetch = profile_fetch;
    p->base.start = profile_start;
    p->base.cancel = profile_cancel;
    p->base.destroy = profile_destroy;
    p->cx = cx;
    p->profile = profile ? strdup(profile) : NULL;
    if (profile && !p->profile) {
        free(p);
        return NULL;
    }
    return &p->base;
}

wc_credential_provider *wc_credentials_from_profile(const char *profile)
{
    return profile_provider_new(profile, NULL);
}

char *wc_profile_region(const char *profile)
{
    profile_files f;
    profile_files_read(&f, profile_name(profile));
    const char *region = f.conf.v[K_REGION];
    char *copy = region ? strdup(region) : NULL;
    profile_files_cleanup(&f);
    return copy;
}

char *wc_ca_bundle(const char *profile)
{
    if (env("AWS_CA_BUNDLE"))
        return strdup(env("AWS_CA_BUNDLE"));
    profile_files f;
    profile_files_read(&f, profile_name(profile));
    const char *bundle = setting(&f, K_CA_BUNDLE);
    char *copy = bundle ? strdup(bundle) : NULL;
    profile_files_cleanup(&f);
    return copy;
}

/* A source that gives copies of fixed keys (a source_profile's). */
typedef struct {
    wc_credential_provider base;
    wc_credentials creds;
} static_provider;

static wc_result static_fetch(wc_credential_provider *self, wc_credentials *out, wc_error *err)
{
    const wc_credentials *c = &((static_provider *)self)->creds;
    wc_result result =
        fill(out, c->access_key_id, c->secret_access_key, c->session_token, c->source, err);
    if (result == WC_OK)
        out->expiration = c->expiration;
    return result;
}

static void static_destroy(wc_credential_provider *self)
{
    static_provider *p = (static_provider *)self;
    wc_credentials_cleanup(&p->creds);
    free(p);
}

wc_credential_provider *wc_credentials_static_new(const wc_credentials *creds)
{
    static_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base.name = "static";
    p->base.fetch = static_fetch;
    p->base.destroy = static_destroy;
    if (fill(&p->creds, creds->access_key_id, creds->secret_access_key, creds->session_token,
             creds->source, NULL) != WC_OK) {
        free(p);
        return NULL;
    }
    p->creds.expiration = creds->expiration;
    return &p->base;
}

/* 3 and 4. Endpoints that answer with JSON credentials, asked on the caller's transport: each
 * fetch is a small state machine driven by the transport's callbacks (ECS: one GET; IMDSv2: PUT
 * a session token, GET the role, GET its credentials). */

wc_result wc_credentials_from_json(const char *body, const char *source, wc_credentials *out,
                                   wc_error *err)
{
    json_t *root = json_loads(body, 0, NULL);
    const char *id = json_string_value(json_object_get(root, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(root, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(root, "Token"));
    json_t *exp = json_object_get(root, "Expiration");
    const char *expiration = json_string_value(exp);
    wc_result result;
    if (!id || !secret)
        result = wc_error_set(err, WC_ERR_INVALID,
                              "%s: the answer has no AccessKeyId/SecretAccessKey", source);
    else if (exp && !expiration) /* a number or null: not "never expires" either */
        result = wc_error_set(err, WC_ERR_INVALID, "%s: Expiration is not a string", source);
    else
        result = fill(out, id, secret, token, source, err);
    if (result == WC_OK && expiration && wc_parse_iso8601(expiration, &out->expiration) != WC_OK) {
        /* Not "never expires": credentials whose end is unknown are not used. */
        wc_credentials_cleanup(out);
        result =
            wc_error_set(err, WC_ERR_INVALID, "%s: Expiration \"%.64s\" is not an ISO 8601 time",
                         source, expiration);
    }
    json_decref(root);
    return result;
}

typedef enum { IMDS_TOKEN, IMDS_ROLE, IMDS_CREDENTIALS } imds_step;

typedef struct http_provider {
    wc_credential_provider base;
    wc_transport transport;
    int has_transport;
    void (*answer)(struct http_provider *p, wc_http_response *resp); /* the state machine */
    void *on_wire; /* the transport's handle of the request out, or NULL */
    wc_credentials_done done;
    void *ctx;
    char url[2048]; /* of the request out */
    /* IMDSv2 */
    imds_step step;
    char base_url[1024];
    char *token; /* the session token (scrubbed when freed) */
    char role[256];
} http_provider;

static void http_provider_reset(http_provider *p)
{
    if (p->on_wire)
        p->transport.ops->cancel(p->transport.self, p->on_wire);
    p->on_wire = NULL;
    p->done = NULL;
    p->ctx = NULL;
    scrub_free(p->token);
    p->token = NULL;
}

/* Ends the fetch under way: done is called last (it may start another one). */
static void http_provider_finish(http_provider *p, wc_result result, wc_credentials *creds,
                                 const wc_error *err)
{
    wc_credentials_done done = p->done;
    void *ctx = p->ctx;
    http_provider_reset(p);
    wc_credentials none;
    memset(&none, 0, sizeof(none));
    done(ctx, result, result == WC_OK ? creds : &none, err);
}

static void on_http_answer(void *ctx, wc_http_response *resp);

/* Sends one request of the fetch; req is copied by the transport. */
static wc_result http_provider_send(http_provider *p, const char *method, const wc_param *headers,
                                    size_t n_headers, const char *body, long timeout_ms,
                                    wc_error *err)
{
    wc_http_request req = {method, p->url, headers,    n_headers,
                           body,   0,      timeout_ms, MAX_CREDENTIALS_ANSWER};
    return p->transport.ops->start(p->transport.self, &req, on_http_answer, p, &p->on_wire, err);
}

/* WC_OK when an HTTP answer came (of any status); otherwise why not, as wc_transport_do says. */
static wc_result answered(const wc_http_response *resp, const char *method, const char *url,
                          wc_error *err)
{
    if (resp->too_large)
        return wc_error_set(err, WC_ERR_TOO_LARGE, "%s %s: %s", method, url, resp->error);
    if (resp->curl_code != 0)
        return wc_error_set(err, WC_ERR_IO, "%s %s: %s", method, url, resp->error);
    return WC_OK;
}

static void ecs_answer(http_provider *p, wc_http_response *resp)
{
    wc_credentials creds;
    memset(&creds, 0, sizeof(creds));
    wc_error err;
    wc_error_clear(&err);
    wc_result result = answered(resp, "GET", p->url, &err);
    if (result != WC_OK) {
        wc_error_prefix(&err, "ECS container credentials: ");
        result = WC_ERR_IO;
    } else if (resp->status != 200) {
        result = wc_error_set(&err, WC_ERR_IO, "ECS container credentials: %s answered HTTP %ld",
                              p->url, resp->status);
    } else {
        result = wc_credentials_from_json(resp->body, "ECS container", &creds, &err);
    }
    wc_http_response_cleanup(resp);
    http_provider_finish(p, result, &creds, &err);
}

wc_result wc_container_uri_check(const char *url, wc_error *err)
{
    if (strncasecmp(url, "https://", 8) == 0)
        return WC_OK;
    int ok = 0;
    if (strncasecmp(url, "http://", 7) == 0) {
        const char *auth = url + 7;
        size_t alen = strcspn(auth, "/?#");
        const char *at = memchr(auth, '@', alen); /* user info is no part of the host */
        if (at) {
            alen -= (size_t)(at + 1 - auth);
            auth = at + 1;
        }
        char host[256] = "";
        if (auth[0] == '[') { /* [IPv6]:port */
            const char *close = memchr(auth, ']', alen);
            if (close && (size_t)(close - auth - 1) < sizeof(host))
                snprintf(host, sizeof(host), "%.*s", (int)(close - auth - 1), auth + 1);
        } else {
            size_t hlen = strcspn(auth, ":/?#");
            if (hlen > alen)
                hlen = alen;
            if (hlen < sizeof(host))
                snprintf(host, sizeof(host), "%.*s", (int)hlen, auth);
        }
        unsigned char a4[4], a6[16], ecs6[16], loop6[16];
        inet_pton(AF_INET6, "fd00:ec2::23", ecs6);
        inet_pton(AF_INET6, "::1", loop6);
        if (inet_pton(AF_INET, host, a4) == 1)
            ok = a4[0] == 127 || strcmp(host, "169.254.170.2") == 0 ||
                 strcmp(host, "169.254.170.23") == 0;
        else if (inet_pton(AF_INET6, host, a6) == 1)
            ok = memcmp(a6, loop6, 16) == 0 || memcmp(a6, ecs6, 16) == 0;
        else
            ok = strcasecmp(host, "localhost") == 0;
    }
    if (ok)
        return WC_OK;
    return wc_error_set(err, WC_ERR_INVALID,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%s\": plain http is allowed only to "
                        "a loopback address (127.0.0.0/8, [::1], localhost) or the ECS/EKS "
                        "agent (169.254.170.2, 169.254.170.23, [fd00:ec2::23]); else https",
                        url);
}

static wc_result ecs_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                           wc_error *err)
{
    http_provider *p = (http_provider *)self;
    const char *relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full)
        return WC_ERR_NOT_FOUND;
    if (!p->has_transport)
        return wc_error_set(err, WC_ERR_INVALID,
                            "ECS container credentials: no HTTP transport to ask them with");
    if (relative)
        snprintf(p->url, sizeof(p->url), "http://169.254.170.2%s", relative);
    else if (wc_container_uri_check(full, err) != WC_OK)
        return WC_ERR_INVALID; /* as the AWS SDKs: the credentials never cross a network in clear */
    else
        snprintf(p->url, sizeof(p->url), "%s", full);
    char *token = NULL;
    const char *token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (token_file) {
        size_t len;
        if (wc_read_file(token_file, 16384, &token, &len, err) != WC_OK) {
            wc_error_prefix(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: ");
            if (err)
                err->code = WC_ERR_INVALID;
            return WC_ERR_INVALID;
        }
        while (len && (token[len - 1] == '\n' || token[len - 1] == '\r'))
            token[--len] = '\0';
    } else if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        token = strdup(env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    }
    p->done = done;
    p->ctx = ctx;
    wc_param auth = {"Authorization", token};
    wc_result result =
        http_provider_send(p, "GET", token ? &auth : NULL, token ? 1 : 0, NULL, 2000, err);
    scrub_free(token);
    if (result != WC_OK) {
        http_provider_reset(p);
        wc_error_prefix(err, "ECS container credentials: ");
        if (err)
            err->code = WC_ERR_IO;
        return WC_ERR_IO;
    }
    return WC_OK;
}

/* IMDSv2, one answer at a time: the token, then the role, then its credentials. */
static void imds_answer(http_provider *p, wc_http_response *resp)
{
    wc_credentials creds;
    memset(&creds, 0, sizeof(creds));
    wc_error err;
    wc_error_clear(&err);
    const char *method = p->step == IMDS_TOKEN ? "PUT" : "GET";
    wc_result result = answered(resp, method, p->url, &err);
    if (p->step == IMDS_TOKEN) {
        if (result != WC_OK || resp->status != 200) {
            /* Not on EC2 (or metadata is off): no credentials here. */
            char why[WC_ERROR_MAX];
            if (result != WC_OK)
                snprintf(why, sizeof(why), "%s", err.msg);
            else
                snprintf(why, sizeof(why), "HTTP %ld", resp->status);
            wc_error_set(&err, WC_ERR_NOT_FOUND, "EC2 instance metadata: no session token (%s)",
                         why);
            wc_http_response_cleanup(resp);
            http_provider_finish(p, WC_ERR_NOT_FOUND, &creds, &err);
            return;
        }
        p->token = resp->body;
        resp->body = NULL;
        wc_http_response_cleanup(resp);
        p->step = IMDS_ROLE;
        snprintf(p->url, sizeof(p->url), "%s/latest/meta-data/iam/security-credentials/",
                 p->base_url);
    } else if (p->step == IMDS_ROLE) {
        if (result != WC_OK)
            wc_error_prefix(&err, "EC2 instance metadata: ");
        else if (resp->status != 200)
            result = wc_error_set(&err, WC_ERR_IO, "EC2 instance metadata: no IAM role (HTTP %ld)",
                                  resp->status);
        if (result == WC_OK) {
            snprintf(p->role, sizeof(p->role), "%.*s", (int)strcspn(resp->body, "\r\n"),
                     resp->body);
            if (!p->role[0])
                result = wc_error_set(&err, WC_ERR_IO, "EC2 instance metadata: no IAM role");
        }
        wc_http_response_cleanup(resp);
        if (result != WC_OK) {
            http_provider_finish(p, WC_ERR_IO, &creds, &err);
            return;
        }
        p->step = IMDS_CREDENTIALS;
        snprintf(p->url, sizeof(p->url), "%s/latest/meta-data/iam/security-credentials/%s",
                 p->base_url, p->role);
    } else {
        if (result != WC_OK) {
            wc_error_prefix(&err, "EC2 instance metadata: ");
            result = WC_ERR_IO;
        } else if (resp->status != 200) {
            result = wc_error_set(&err, WC_ERR_IO,
                                  "EC2 instance metadata: credentials of role %s: HTTP %ld",
                                  p->role, resp->status);
        } else {
            result = wc_credentials_from_json(resp->body, "EC2 IMDSv2", &creds, &err);
        }
        wc_http_response_cleanup(resp);
        http_provider_finish(p, result, &creds, &err);
        return;
    }
    /* The next step, with the session token. */
    wc_param tok = {"X-aws-ec2-metadata-token", p->token};
    if (http_provider_send(p, "GET", &tok, 1, NULL, 1000, &err) != WC_OK) {
        wc_error_prefix(&err, "EC2 instance metadata: ");
        http_provider_finish(p, WC_ERR_IO, &creds, &err);
    }
}

static void on_http_answer(void *ctx, wc_http_response *resp)
{
    http_provider *p = ctx;
    p->on_wire = NULL;
    p->answer(p, resp);
}

static wc_result imds_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                            wc_error *err)
{
    http_provider *p = (http_provider *)self;
    const char *disabled = env("AWS_EC2_METADATA_DISABLED");
    if ((disabled && strcasecmp(disabled, "true") == 0) || !p->has_transport)
        return WC_ERR_NOT_FOUND;
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base)
        base = "http://169.254.169.254";
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    snprintf(p->base_url, sizeof(p->base_url), "%.*s", (int)blen, base);
    snprintf(p->url, sizeof(p->url), "%s/latest/api/token", p->base_url);
    p->step = IMDS_TOKEN;
    p->done = done;
    p->ctx = ctx;
    wc_param ttl = {"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
    wc_error ignored;
    if (http_provider_send(p, "PUT", &ttl, 1, "", 1000, &ignored) != WC_OK) {
        http_provider_reset(p);
        return WC_ERR_NOT_FOUND; /* cannot even ask: no credentials here */
    }
    return WC_OK;
}

static void http_provider_cancel(wc_credential_provider *self)
{
    http_provider_reset((http_provider *)self);
}

static void http_provider_destroy(wc_credential_provider *self)
{
    http_provider_reset((http_provider *)self);
    free(self);
}

static wc_credential_provider *http_provider_new(
    const char *name, const wc_transport *transport,
    wc_result (*start)(wc_credential_provider *, wc_credentials_done, void *, wc_error *),
    void (*answer)(http_provider *, wc_http_response *))
{
    http_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base.name = name;
    p->base.start = start;
    p->answer = answer;
    p->base.cancel = http_provider_cancel;
    p->base.destroy = http_provider_destroy;
    if (transport) {
        p->transport = *transport;
        p->has_transport = 1;
    }
    return &p->base;
}

wc_credential_provider *wc_credentials_from_ecs(const wc_transport *transport)
{
    return http_provider_new("ECS container", transport, ecs_start, ecs_answer);
}

wc_credential_provider *wc_credentials_from_imds(const wc_transport *transport)
{
    return http_provider_new("EC2 IMDSv2", transport, imds_start, imds_answer);
}

/* The chain: one fetch at a time, asked on the loop. */

struct wc_credential_chain {
    wc_cred_context cx; /* borrowed by the providers */
    wc_credential_provider *providers[5];
    size_t n;
    wc_credentials current;
    int have;
    time_t refresh_at; /* when to fetch again (0: never) */
    unsigned fetches;
    time_t (*wall_time)(void);
    int refused; /* STS refused for good (WC_ERR_REJECTED): every get says refusal */
    wc_error refusal;
    int fetching;  /* a fetch is under way ... */
    size_t asking; /* ... at this provider (or the last one asked) */
    wc_credentials_listener listener;
    void *listener_ctx;
};

static time_t system_time(void)
{
    return time(NULL);
}

unsigned wc_credentials_fetches(const wc_credential_chain *c)
{
    return c->fetches;
}

int wc_credentials_fetching(const wc_credential_chain *c)
{
    return c->fetching;
}

wc_credential_chain *wc_credential_chain_new(const char *profile, const wc_transport *transport,
                                             time_t (*wall_time)(void))
{
    wc_credential_chain *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->wall_time = wall_time ? wall_time : system_time;
    c->cx.wall_time = c->wall_time;
    if (transport) {
        c->cx.transport = *transport;
        c->cx.has_transport = 1;
    }
    c->providers[0] = wc_credentials_from_env();
    c->providers[1] = wc_credentials_web_identity_env_new(&c->cx);
    c->providers[2] = profile_provider_new(profile, &c->cx);
    c->providers[3] = wc_credentials_from_ecs(transport);
    c->providers[4] = wc_credentials_from_imds(transport);
    c->n = 5;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->providers[i]) {
            wc_credential_chain_free(c);
            return NULL;
        }
    }
    return c;
}

wc_result wc_credential_chain_set_sts(wc_credential_chain *c, const char *region,
                                      const char *endpoint_url)
{
    free(c->cx.region);
    free(c->cx.endpoint_url);
    c->cx.region = region ? strdup(region) : NULL;
    c->cx.endpoint_url = endpoint_url ? strdup(endpoint_url) : NULL;
    if ((region && !c->cx.region) || (endpoint_url && !c->cx.endpoint_url))
        return WC_ERR_NOMEM;
    return WC_OK;
}

void wc_credentials_cancel(wc_credential_chain *c)
{
    if (c->fetching && c->providers[c->asking]->cancel)
        c->providers[c->asking]->cancel(c->providers[c->asking]);
    c->fetching = 0;
}

void wc_credential_chain_free(wc_credential_chain *c)
{
    if (!c)
        return;
    wc_credentials_cancel(c);
    for (size_t i = 0; i < c->n; i++)
        if (c->providers[i])
            c->providers[i]->destroy(c->providers[i]);
    wc_credentials_cleanup(&c->current);
    free(c->cx.region);
    free(c->cx.endpoint_url);
    free(c);
}

void wc_credential_chain_listen(wc_credential_chain *c, wc_credentials_listener fn, void *ctx)
{
    c->listener = fn;
    c->listener_ctx = ctx;
}

time_t wc_credentials_refresh_at(time_t fetched, time_t expiration)
{
    if (expiration == 0)
        return 0; /* never */
    time_t lifetime = expiration > fetched ? expiration - fetched : 0;
    time_t ahead = lifetime / 2 < REFRESH_BEFORE_S ? lifetime / 2 : REFRESH_BEFORE_S;
    return expiration - ahead;
}

static int valid_at(const wc_credential_chain *c, time_t now)
{
    return c->have && (c->current.expiration == 0 || now < c->current.expiration);
}

static void on_provider_done(void *ctx, wc_result result, wc_credentials *creds,
                             const wc_error *err);

/* Asks the providers from i on, until one answers (WC_OK: *fresh filled), fails, or has started
 * a fetch (WC_WAIT: on_provider_done goes on from there). */
static wc_result ask_from(wc_credential_chain *c, size_t i, wc_credentials *fresh, wc_error *err)
{
    for (; i < c->n; i++) {
        wc_credential_provider *p = c->providers[i];
        c->asking = i;
        /* fetch says WC_WAIT when this time its answer comes from start (a profile's role). */
        wc_result result = p->fetch ? p->fetch(p, fresh, err) : WC_WAIT;
        if (result == WC_WAIT) {
            result = p->start(p, on_provider_done, c, err);
            if (result == WC_OK)
                return WC_WAIT;
        }
        if (result == WC_ERR_NOT_FOUND)
            continue;
        return result;
    }
    c->asking = c->n;
    return wc_error_set(err, WC_ERR_NOT_FOUND,
                        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                        "use a profile (--profile), or run where a task role or instance role "
                        "provides them");
}

/* The end of a fetch: new credentials are kept; a failure leaves the current ones in use while
 * they are valid (tried again in a while, not at every call). WC_OK when valid ones are there. */
static wc_result conclude(wc_credential_chain *c, wc_result result, wc_credentials *fresh,
                          wc_error *err)
{
    time_t now = c->wall_time();
    c->fetching = 0;
    if (result == WC_OK && fresh->expiration && fresh->expiration <= now) {
        /* Not used, and not fetched again at once for every waiting call: an error. */
        result = wc_error_set(err, WC_ERR_INVALID,
                              "%s: the credentials fetched expired %lld s ago (is the clock "
                              "right?)",
                              fresh->source, (long long)(now - fresh->expiration));
        wc_credentials_cleanup(fresh);
    }
    if (result == WC_OK) {
        if (!c->have || strcmp(c->current.source, fresh->source) != 0 ||
            strcmp(c->current.access_key_id, fresh->access_key_id) != 0)
            wc_info("credentials: %s, access key %s%s", fresh->source, fresh->access_key_id,
                    fresh->expiration ? ", temporary" : "");
        wc_credentials_cleanup(&c->current);
        c->current = *fresh;
        memset(fresh, 0, sizeof(*fresh));
        c->have = 1;
        c->refresh_at = wc_credentials_refresh_at(now, c->current.expiration);
        c->fetches++;
        return WC_OK;
    }
    if (result == WC_ERR_REJECTED) { /* for good: not tried again, the current ones dropped */
        c->refused = 1;
        c->refusal = *err;
        wc_credentials_cleanup(&c->current);
        c->have = 0;
        return result;
    }
    if (valid_at(c, now) && c->current.expiration) {
        time_t left = c->current.expiration - now;
        c->refresh_at = now + (left / 2 < 30 ? left / 2 : 30);
        wc_warn("credentials: refresh from %s failed (%s); the current ones expire in %lld s",
                c->asking < c->n ? c->providers[c->asking]->name : "any source", err->msg,
                (long long)left);
        return WC_OK;
    }
    return result;
}

static void on_provider_done(void *ctx, wc_result result, wc_credentials *creds,
                             const wc_error *perr)
{
    wc_credential_chain *c = ctx;
    wc_credentials fresh;
    memset(&fresh, 0, sizeof(fresh));
    wc_error err;
    wc_error_clear(&err);
    if (result == WC_OK) {
        fresh = *creds;
        memset(creds, 0, sizeof(*creds));
    } else if (result == WC_ERR_NOT_FOUND) {
        result = ask_from(c, c->asking + 1, &fresh, &err); /* this source has none: the next */
        if (result == WC_WAIT)
            return;
    } else {
        err = *perr;
    }
    result = conclude(c, result, &fresh, &err);
    if (c->listener)
        c->listener(c->listener_ctx, result, &err);
}

wc_result wc_credentials_get(wc_credential_chain *c, const wc_credentials **out, wc_error *err)
{
    time_t now = c->wall_time();
    int valid = valid_at(c, now);
    *out = NULL;
    if (c->refused) {
        if (err)
            *err = c->refusal;
        return WC_ERR_REJECTED;
    }
    if (valid && (c->fetching || c->refresh_at == 0 || now < c->refresh_at)) {
        *out = &c->current;
        return WC_OK;
    }
    if (c->fetching)
        return WC_WAIT; /* none valid: wait for the fetch under way */
    wc_credentials fresh;
    memset(&fresh, 0, sizeof(fresh));
    wc_error e;
    wc_error_clear(&e);
    c->fetching = 1;
    wc_result result = ask_from(c, 0, &fresh, &e);
    if (result == WC_WAIT) {
        if (!valid)
            return WC_WAIT;
        *out = &c->current; /* a refresh in the background; these still work meanwhile */
        return WC_OK;
    }
    result = conclude(c, result, &fresh, &e);
    if (result != WC_OK) {
        if (err)
            *err = e;
        return result;
    }
    *out = &c->current;
    return WC_OK;
}
