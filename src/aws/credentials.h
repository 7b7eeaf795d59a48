/* credentials.h - AWS credentials, found in the order the AWS SDKs use:
 *   1. environment: AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY, as older
 *      tools set it), and AWS_SESSION_TOKEN;
 *   2. the shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE;
 *      default ~/.aws/credentials and ~/.aws/config), profile from --profile, AWS_PROFILE or
 *      "default";
 *   3. the ECS container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE);
 *   4. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address;
 *      AWS_EC2_METADATA_DISABLED=true skips it).
 * Each source is a provider (a function table); the chain asks them in turn. Temporary
 * credentials are fetched again ahead of their expiry, once: five minutes before it, or halfway
 * through their lifetime when that is shorter (credentials good for two minutes are fetched
 * again after one, not at every call). When a refresh fails and the current ones still work,
 * they are used and the refresh is tried again 30 s later at most. An Expiration that cannot be
 * read is an error of that source, never "does not expire".
 * Secrets are never logged: only the access key id and the source are.
 */
#ifndef WC_CREDENTIALS_H
#define WC_CREDENTIALS_H

#include <time.h>

#include "aws/http.h"
#include "common/error.h"

typedef struct {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    time_t expiration;   /* 0: does not expire */
    char source[64];     /* "environment", "profile default", "ECS container", "EC2 IMDSv2" */
} wc_credentials;

void wc_credentials_cleanup(wc_credentials *c);

typedef struct wc_credential_provider {
    const char *name;
    /* WC_OK: *out filled. WC_ERR_NOT_FOUND: this source has none (ask the next). Anything else:
     * the source is there but broken (err says how); the chain stops with it. */
    wc_result (*fetch)(struct wc_credential_provider *self, wc_credentials *out, wc_error *err);
    void (*destroy)(struct wc_credential_provider *self);
} wc_credential_provider;

wc_credential_provider *wc_credentials_from_env(void);
/* profile NULL: AWS_PROFILE or "default". */
wc_credential_provider *wc_credentials_from_profile(const char *profile);
wc_credential_provider *wc_credentials_from_ecs(wc_http *http);
wc_credential_provider *wc_credentials_from_imds(wc_http *http);

typedef struct wc_credential_chain wc_credential_chain;

/* The default chain above. NULL: out of memory. */
wc_credential_chain *wc_credential_chain_new(const char *profile, wc_http *http);
void wc_credential_chain_free(wc_credential_chain *chain);

/* The current credentials (owned by the chain; valid until the next call), fetched when there
 * are none yet or they expire within five minutes of now. */
wc_result wc_credentials_get(wc_credential_chain *chain, time_t now, const wc_credentials **out,
                             wc_error *err);

/* Reads the JSON credentials the ECS container endpoint and EC2 IMDSv2 answer (body
 * NUL-terminated): AccessKeyId, SecretAccessKey, Token and Expiration (ISO 8601; one that cannot
 * be read is an error). `source` names them in *out and in errors. On WC_OK, *out is filled:
 * wc_credentials_cleanup() it. */
wc_result wc_credentials_from_json(const char *body, const char *source, wc_credentials *out,
                                   wc_error *err);

/* The region of a profile in the config file, or NULL. Caller frees. */
char *wc_profile_region(const char *profile);

/* Parses an ISO 8601 time: "2026-11-21T15:30:00Z", with fractions of a second, and a zone of Z,
 * +hh:mm, -hh:mm or +hhmm (none: UTC). WC_ERR_PARSE when it cannot, or when anything follows. */
wc_result wc_parse_iso8601(const char *s, time_t *out);

/* When credentials fetched at `fetched` that expire at `expiration` are fetched again (0: never).
 */
time_t wc_credentials_refresh_at(time_t fetched, time_t expiration);

/* How many times the chain fetched credentials (for tests and metrics). */
unsigned wc_credentials_fetches(const wc_credential_chain *chain);

#endif
