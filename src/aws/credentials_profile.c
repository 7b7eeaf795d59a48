/* credentials_profile.c - the shared credentials and config files (~/.aws/credentials,
 * ~/.aws/config), the profile's region and CA bundle. */
#include "aws/credentials.h"
#include "aws/credentials_private.h"
#include "common/fsutil.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The shared credentials and config files, read with inih. A profile holds static keys, or
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
        wc_cred_scrub_free(*slot);
        *slot = strdup(value);
    }
    return 1;
}

/* The file $var names, else ~/name. */
static char *aws_file(const char *var, const char *name)
{
    const char *set = wc_cred_env(var);
    if (set)
        return strdup(set);
    return wc_cred_env("HOME") ? wc_path_join(wc_cred_env("HOME"), name) : NULL;
}

static const char *profile_name(const char *profile)
{
    if (profile && *profile)
        return profile;
    return wc_cred_env("AWS_PROFILE") ? wc_cred_env("AWS_PROFILE") : "default";
}

/* One profile as both files have it. */
typedef struct {
    const char *name;
    char *cred_path, *conf_path;
    ini_ctx cred, conf;
    int rc_cred, rc_conf; /* inih's answers: 0, -1 cannot open, the line of an error */
} profile_files;

static void profile_files_read(profile_files *f, const char *name)
{
    memset(f, 0, sizeof(*f));
    f->name = name;
    f->cred_path = aws_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    f->conf_path = aws_file("AWS_CONFIG_FILE", ".aws/config");
    f->cred.profile = f->conf.profile = name;
    f->conf.is_config = 1;
    f->rc_cred = f->cred_path ? ini_parse(f->cred_path, on_ini, &f->cred) : -1;
    f->rc_conf = f->conf_path ? ini_parse(f->conf_path, on_ini, &f->conf) : -1;
}

static void profile_files_cleanup(profile_files *f)
{
    for (size_t i = 0; i < K_N; i++) {
        wc_cred_scrub_free(f->cred.v[i]);
        wc_cred_scrub_free(f->conf.v[i]);
    }
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
        *delegate = wc_credentials_sts_new(cx, source_name, &role, NULL, NULL);
        return *delegate ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    if (source_profile && credential_source)
        return wc_error_set(err, WC_ERR_INVALID,
                            "profile \"%s\" has both source_profile and credential_source: "
                            "keep one",
                            name);
    /* What signs the AssumeRole: a provider, or the static keys of a source_profile. */
    wc_credential_provider *source = NULL;
    wc_credentials keys;
    memset(&keys, 0, sizeof(keys));
    if (source_profile) {
        if (depth + 1 >= MAX_SOURCE_PROFILES)
            return wc_error_set(err, WC_ERR_INVALID,
                                "profile \"%s\": source_profile leads through more than %d "
                                "profiles (a loop?)",
                                name, MAX_SOURCE_PROFILES);
        /* A profile that names itself as its source uses its own keys. */
        int self = strcmp(source_profile, name) == 0;
        wc_result result =
            resolve_profile(cx, source_profile, depth + 1, !self, 1, &keys, &source, err);
        if (result == WC_ERR_NOT_FOUND)
            return wc_error_set(err, WC_ERR_INVALID,
                                "profile \"%s\": its source_profile \"%s\" has no credentials",
                                name, source_profile);
        if (result != WC_OK) {
            wc_error_prefix(err, "profile \"%s\": source_profile: ", name);
            return result;
        }
    } else if (credential_source) {
        if (strcmp(credential_source, "Environment") == 0)
            source = wc_credentials_from_env();
        else if (strcmp(credential_source, "Ec2InstanceMetadata") == 0)
            source = wc_credentials_from_imds(cx);
        else if (strcmp(credential_source, "EcsContainer") == 0)
            source = wc_credentials_from_ecs(cx);
        else
            return wc_error_set(err, WC_ERR_INVALID,
                                "profile \"%s\": credential_source \"%.64s\" is not one of "
                                "Environment, Ec2InstanceMetadata, EcsContainer",
                                name, credential_source);
        if (!source)
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else {
        return wc_error_set(err, WC_ERR_INVALID,
                            "profile \"%s\" has role_arn but no source_profile, "
                            "credential_source or web_identity_token_file to assume it with",
                            name);
    }
    snprintf(source_name, sizeof(source_name), "profile %s (assumed role)", name);
    *delegate = wc_credentials_sts_new(cx, source_name, &role, source, &keys);
    wc_credentials_cleanup(&keys);
    return *delegate ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
}

/* What profile `name` gives: WC_OK (static keys in *out, or, when *delegate is set, the provider
 * that fetches them), WC_ERR_NOT_FOUND (none here: the next source) or an error. allow_role 0:
 * only its keys. named: asked for by name (a missing profile is an error). */
static wc_result resolve_profile(const wc_cred_context *cx, const char *name, int depth,
                                 int allow_role, int named, wc_credentials *out,
                                 wc_credential_provider **delegate, wc_error *err)
{
    profile_files f;
    profile_files_read(&f, name);
    /* static keys: the credentials file's, else the config file's */
    const ini_ctx *keys = f.cred.v[K_ID] && f.cred.v[K_SECRET]   ? &f.cred
                          : f.conf.v[K_ID] && f.conf.v[K_SECRET] ? &f.conf
                                                                 : NULL;
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
    } else if (keys) {
        snprintf(source, sizeof(source), "profile %s%s", name,
                 keys == &f.conf ? " (config file)" : "");
        result = wc_cred_fill(out, keys->v[K_ID], keys->v[K_SECRET], keys->v[K_TOKEN], NULL, source,
                              err);
    } else if (allow_role && setting(&f, K_PROCESS)) {
        if (!cx || !cx->has_transport || !cx->transport.loop) {
            result = wc_error_set(err, WC_ERR_INVALID,
                                  "profile \"%s\": credential_process needs an event loop", name);
        } else {
            snprintf(source, sizeof(source), "profile %s (credential_process)", name);
            *delegate =
                wc_credentials_from_process(setting(&f, K_PROCESS), source, cx->transport.loop,
                                            WC_CREDENTIAL_PROCESS_TIMEOUT_MS);
            result = *delegate ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        }
    } else if (named && !f.cred.found && !f.conf.found) {
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
    int explicit = (p->profile && *p->profile) || wc_cred_env("AWS_PROFILE");
    profile_drop_delegate(p);
    memset(out, 0, sizeof(*out)); /* no key with a delegate: its start answers */
    return resolve_profile(p->cx, name, 0, 1, explicit, out, &p->delegate, err);
}

static wc_result profile_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                               wc_error *err)
{
    /* Called after a fetch that made the delegate (a role's STS, a credential_process): never
     * WC_ERR_NOT_FOUND, as those are configured. */
    profile_provider *p = (profile_provider *)self;
    return p->delegate->start(p->delegate, done, ctx, err);
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

wc_credential_provider *wc_credentials_from_profile(const char *profile, const wc_cred_context *cx)
{
    profile_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base = (wc_credential_provider){"profile", profile_fetch, profile_start, profile_cancel,
                                       profile_destroy};
    p->cx = cx;
    if (wc_cred_dup(&p->profile, profile)) {
        free(p);
        return NULL;
    }
    return &p->base;
}

/* A copy of a setting of profile (NULL: AWS_PROFILE or "default"): the config file's when
 * conf_only, else as setting() finds it. NULL when it has none. */
static char *setting_copy(const char *profile, int key, int conf_only)
{
    profile_files f;
    profile_files_read(&f, profile_name(profile));
    const char *value = conf_only ? f.conf.v[key] : setting(&f, key);
    char *copy = value ? strdup(value) : NULL;
    profile_files_cleanup(&f);
    return copy;
}

char *wc_profile_region(const char *profile)
{
    return setting_copy(profile, K_REGION, 1);
}

char *wc_ca_bundle(const char *profile)
{
    if (wc_cred_env("AWS_CA_BUNDLE"))
        return strdup(wc_cred_env("AWS_CA_BUNDLE"));
    return setting_copy(profile, K_CA_BUNDLE, 0);
}
