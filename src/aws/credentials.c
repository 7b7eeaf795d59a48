#include "aws/credentials.h"

#include "common/log.h"

#include <ini.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fsutil.h"

#define REFRESH_BEFORE_S 300

static void scrub_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void wc_credentials_cleanup(wc_credentials *c)
{
    free(c->access_key_id);
    scrub_free(c->secret_access_key);
    scrub_free(c->session_token);
    memset(c, 0, sizeof(*c));
}

/* Reads n digits at *p into *out; moves *p past them. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

wc_result wc_parse_iso8601(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!p)
        return WC_ERR_PARSE;
    if (*p == '.' || *p == ',') { /* fractions of a second */
        p++;
        if (*p < '0' || *p > '9')
            return WC_ERR_PARSE;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0; /* seconds east of UTC */
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, hh, mm = 0;
        p++;
        if (!digits(&p, 2, &hh))
            return WC_ERR_PARSE;
        if (*p == ':')
            p++;
        if (*p && !digits(&p, 2, &mm))
            return WC_ERR_PARSE;
        if (hh > 23 || mm > 59)
            return WC_ERR_PARSE;
        offset = sign * (hh * 3600L + mm * 60L);
    }
    if (*p)
        return WC_ERR_PARSE; /* anything after the zone */
    *out = timegm(&tm) - offset;
    return WC_OK;
}

static wc_result fill(wc_credentials *out, const char *id, const char *secret, const char *token,
                      const char *source, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    out->access_key_id = strdup(id);
    out->secret_access_key = strdup(secret);
    out->session_token = token && *token ? strdup(token) : NULL;
    snprintf(out->source, sizeof(out->source), "%s", source);
    if (!out->access_key_id || !out->secret_access_key ||
        (token && *token && !out->session_token)) {
        wc_credentials_cleanup(out);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    return WC_OK;
}

static void simple_destroy(wc_credential_provider *p)
{
    free(p);
}

/* 1. The environment. */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

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

/* 2. The shared credentials and config files, read with inih. */

typedef struct {
    const char *profile;
    int is_config; /* the config file names sections "profile NAME" (but "default") */
    int found;
    char *id, *secret, *token, *region;
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
    char **slot = strcmp(name, "aws_access_key_id") == 0       ? &c->id
                  : strcmp(name, "aws_secret_access_key") == 0 ? &c->secret
                  : strcmp(name, "aws_session_token") == 0     ? &c->token
                  : strcmp(name, "region") == 0                ? &c->region
                                                               : NULL;
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
    free(c->id);
    scrub_free(c->secret);
    scrub_free(c->token);
    free(c->region);
}

typedef struct {
    wc_credential_provider base;
    char *profile;
} profile_provider;

static wc_result profile_fetch(wc_credential_provider *self, wc_credentials *out, wc_error *err)
{
    profile_provider *p = (profile_provider *)self;
    const char *name = profile_name(p->profile);
    int explicit = (p->profile && *p->profile) || env("AWS_PROFILE");
    char *cred_path = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    char *conf_path = aws_file("AWS_CONFIG_FILE", "config");
    ini_ctx cred = {.profile = name}, conf = {.profile = name, .is_config = 1};
    wc_result result = WC_ERR_NOT_FOUND;
    int rc1 = read_ini(cred_path, &cred), rc2 = read_ini(conf_path, &conf);
    if (rc1 > 0 || rc2 > 0) {
        result = wc_error_set(err, WC_ERR_INVALID, "%s: line %d is not valid INI",
                              rc1 > 0 ? cred_path : conf_path, rc1 > 0 ? rc1 : rc2);
    } else if (cred.id && cred.secret) {
        char source[64];
        snprintf(source, sizeof(source), "profile %s", name);
        result = fill(out, cred.id, cred.secret, cred.token, source, err);
    } else if (conf.id && conf.secret) {
        char source[64];
        snprintf(source, sizeof(source), "profile %s (config file)", name);
        result = fill(out, conf.id, conf.secret, conf.token, source, err);
    } else if (explicit && !cred.found && !conf.found) {
        /* Asked for by name: an error, not a reason to go on to the next source. */
        result = wc_error_set(err, WC_ERR_INVALID, "profile \"%s\" is in neither %s nor %s", name,
                              cred_path ? cred_path : "~/.aws/credentials",
                              conf_path ? conf_path : "~/.aws/config");
    } else if (cred.found || conf.found) {
        if (cred.id || conf.id || cred.secret || conf.secret)
            result = wc_error_set(err, WC_ERR_INVALID,
                                  "profile \"%s\" has only one of aws_access_key_id and "
                                  "aws_secret_access_key",
                                  name);
    }
    ini_ctx_cleanup(&cred);
    ini_ctx_cleanup(&conf);
    free(cred_path);
    free(conf_path);
    return result;
}

static void profile_destroy(wc_credential_provider *self)
{
    profile_provider *p = (profile_provider *)self;
    free(p->profile);
    free(p);
}

wc_credential_provider *wc_credentials_from_profile(const char *profile)
{
    profile_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base.name = "profile";
    p->base.fetch = profile_fetch;
    p->base.destroy = profile_destroy;
    p->profile = profile ? strdup(profile) : NULL;
    return &p->base;
}

char *wc_profile_region(const char *profile)
{
    char *conf_path = aws_file("AWS_CONFIG_FILE", "config");
    ini_ctx conf = {.profile = profile_name(profile), .is_config = 1};
    read_ini(conf_path, &conf);
    char *region = conf.region;
    conf.region = NULL;
    ini_ctx_cleanup(&conf);
    free(conf_path);
    return region;
}

/* 3 and 4. Endpoints that answer with JSON credentials. */

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

typedef struct {
    wc_credential_provider base;
    wc_http *http;
} http_provider;

static wc_result ecs_fetch(wc_credential_provider *self, wc_credentials *out, wc_error *err)
{
    http_provider *p = (http_provider *)self;
    const char *relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full)
        return WC_ERR_NOT_FOUND;
    char url[2048];
    if (relative)
        snprintf(url, sizeof(url), "http://169.254.170.2%s", relative);
    else
        snprintf(url, sizeof(url), "%s", full);
    char *token = NULL;
    const char *token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (token_file) {
        size_t len;
        if (wc_read_file(token_file, 16384, &token, &len, err) != WC_OK) {
            wc_error_prefix(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: ");
            return WC_ERR_INVALID;
        }
        while (len && (token[len - 1] == '\n' || token[len - 1] == '\r'))
            token[--len] = '\0';
    } else if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        token = strdup(env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    }
    wc_param auth = {"Authorization", token};
    wc_http_request req = {"GET", url, token ? &auth : NULL, token ? 1 : 0, NULL, 0, 2000, 0};
    wc_http_response resp;
    wc_result result = wc_http_do(p->http, &req, &resp, err);
    scrub_free(token);
    if (result != WC_OK) {
        wc_error_prefix(err, "ECS container credentials: ");
        wc_http_response_cleanup(&resp);
        return WC_ERR_IO;
    }
    if (resp.status != 200)
        result = wc_error_set(err, WC_ERR_IO, "ECS container credentials: %s answered HTTP %ld",
                              url, resp.status);
    else
        result = wc_credentials_from_json(resp.body, "ECS container", out, err);
    wc_http_response_cleanup(&resp);
    return result;
}

static wc_result imds_fetch(wc_credential_provider *self, wc_credentials *out, wc_error *err)
{
    http_provider *p = (http_provider *)self;
    const char *disabled = env("AWS_EC2_METADATA_DISABLED");
    if (disabled && strcasecmp(disabled, "true") == 0)
        return WC_ERR_NOT_FOUND;
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base)
        base = "http://169.254.169.254";
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    char url[1024];
    wc_http_response resp;
    wc_error ignored;

    /* IMDSv2: a session token first (PUT), then the role, then its credentials. */
    snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)blen, base);
    wc_param ttl = {"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
    wc_http_request req = {"PUT", url, &ttl, 1, "", 0, 1000, 0};
    if (wc_http_do(p->http, &req, &resp, &ignored) != WC_OK || resp.status != 200) {
        wc_http_response_cleanup(&resp);
        return WC_ERR_NOT_FOUND; /* not on EC2 (or metadata is off): no credentials here */
    }
    char *token = resp.body;
    resp.body = NULL;
    wc_http_response_cleanup(&resp);
    wc_param tok = {"X-aws-ec2-metadata-token", token};
    snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/", (int)blen, base);
    wc_http_request role_req = {"GET", url, &tok, 1, NULL, 0, 1000, 0};
    wc_result result = wc_http_do(p->http, &role_req, &resp, err);
    if (result == WC_OK && resp.status != 200)
        result = wc_error_set(err, WC_ERR_IO, "EC2 instance metadata: no IAM role (HTTP %ld)",
                              resp.status);
    char role[256] = "";
    if (result == WC_OK) {
        snprintf(role, sizeof(role), "%.*s", (int)strcspn(resp.body, "\r\n"), resp.body);
        if (!role[0])
            result = wc_error_set(err, WC_ERR_IO, "EC2 instance metadata: no IAM role");
    }
    wc_http_response_cleanup(&resp);
    if (result == WC_OK) {
        snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s", (int)blen,
                 base, role);
        wc_http_request cred_req = {"GET", url, &tok, 1, NULL, 0, 1000, 0};
        result = wc_http_do(p->http, &cred_req, &resp, err);
        if (result == WC_OK && resp.status != 200)
            result = wc_error_set(err, WC_ERR_IO,
                                  "EC2 instance metadata: credentials of role %s: HTTP %ld", role,
                                  resp.status);
        if (result == WC_OK)
            result = wc_credentials_from_json(resp.body, "EC2 IMDSv2", out, err);
        wc_http_response_cleanup(&resp);
    }
    scrub_free(token);
    return result;
}

static wc_credential_provider *http_provider_new(const char *name, wc_http *http,
                                                 wc_result (*fetch)(wc_credential_provider *,
                                                                    wc_credentials *, wc_error *))
{
    http_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base.name = name;
    p->base.fetch = fetch;
    p->base.destroy = simple_destroy;
    p->http = http;
    return &p->base;
}

wc_credential_provider *wc_credentials_from_ecs(wc_http *http)
{
    return http_provider_new("ECS container", http, ecs_fetch);
}

wc_credential_provider *wc_credentials_from_imds(wc_http *http)
{
    return http_provider_new("EC2 IMDSv2", http, imds_fetch);
}

/* The chain. */

struct wc_credential_chain {
    wc_credential_provider *providers[4];
    size_t n;
    wc_credentials current;
    int have;
    time_t refresh_at; /* when to fetch again (0: never) */
    unsigned fetches;
};

unsigned wc_credentials_fetches(const wc_credential_chain *c)
{
    return c->fetches;
}

wc_credential_chain *wc_credential_chain_new(const char *profile, wc_http *http)
{
    wc_credential_chain *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->providers[0] = wc_credentials_from_env();
    c->providers[1] = wc_credentials_from_profile(profile);
    c->providers[2] = wc_credentials_from_ecs(http);
    c->providers[3] = wc_credentials_from_imds(http);
    c->n = 4;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->providers[i]) {
            wc_credential_chain_free(c);
            return NULL;
        }
    }
    return c;
}

void wc_credential_chain_free(wc_credential_chain *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (c->providers[i])
            c->providers[i]->destroy(c->providers[i]);
    wc_credentials_cleanup(&c->current);
    free(c);
}

time_t wc_credentials_refresh_at(time_t fetched, time_t expiration)
{
    if (expiration == 0)
        return 0; /* never */
    time_t lifetime = expiration > fetched ? expiration - fetched : 0;
    time_t ahead = lifetime / 2 < REFRESH_BEFORE_S ? lifetime / 2 : REFRESH_BEFORE_S;
    return expiration - ahead;
}

wc_result wc_credentials_get(wc_credential_chain *c, time_t now, const wc_credentials **out,
                             wc_error *err)
{
    if (c->have && (c->refresh_at == 0 || now < c->refresh_at)) {
        *out = &c->current;
        return WC_OK;
    }
    for (size_t i = 0; i < c->n; i++) {
        wc_credentials fresh;
        wc_result result = c->providers[i]->fetch(c->providers[i], &fresh, err);
        if (result == WC_ERR_NOT_FOUND)
            continue;
        if (result != WC_OK) {
            if (c->have && c->current.expiration > now) {
                /* The refresh failed and the old ones still work: use them, and try again in a
                 * while (not at every call). */
                time_t left = c->current.expiration - now;
                c->refresh_at = now + (left / 2 < 30 ? left / 2 : 30);
                wc_warn("credentials: refresh from %s failed (%s); the current ones expire in "
                        "%lld s",
                        c->providers[i]->name, err ? err->msg : "?", (long long)left);
                *out = &c->current;
                return WC_OK;
            }
            return result;
        }
        if (!c->have || strcmp(c->current.source, fresh.source) != 0 ||
            strcmp(c->current.access_key_id, fresh.access_key_id) != 0)
            wc_info("credentials: %s, access key %s%s", fresh.source, fresh.access_key_id,
                    fresh.expiration ? ", temporary" : "");
        wc_credentials_cleanup(&c->current);
        c->current = fresh;
        c->have = 1;
        c->refresh_at = wc_credentials_refresh_at(now, c->current.expiration);
        c->fetches++;
        *out = &c->current;
        return WC_OK;
    }
    return wc_error_set(err, WC_ERR_NOT_FOUND,
                        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                        "use a profile (--profile), or run where a task role or instance role "
                        "provides them");
}
