/* credential_provider.h - a credential provider, the one interface every source of AWS
 * credentials fills (environment, profile files, ECS/EKS container endpoint, EC2 IMDSv2, STS
 * roles, credential_process), and what they share. The chain of them is credentials.h. */
#ifndef WC_CREDENTIAL_PROVIDER_H
#define WC_CREDENTIAL_PROVIDER_H

#include <time.h>

#include "aws/transport.h"
#include "common/clock.h"
#include "common/error.h"

typedef struct {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    time_t expiration;   /* 0: does not expire */
    char source[64];     /* "environment", "profile default", "ECS container", "EC2 IMDSv2" */
} wc_credentials;

void wc_credentials_cleanup(wc_credentials *c);

/* The end of an asynchronous fetch: on WC_OK, *creds is the receiver's to keep (it moves the
 * struct and cleans it up). Otherwise err says why (WC_ERR_NOT_FOUND: this source has none). */
typedef void (*wc_credentials_done)(void *ctx, wc_result result, wc_credentials *creds,
                                    const wc_error *err);

typedef struct wc_credential_provider {
    const char *name;
    /* A source read at once (environment, files); NULL for the network ones. WC_OK: *out is
     * filled, or, when its access_key_id is NULL, this time start gives the answer (a profile
     * that names a role). WC_ERR_NOT_FOUND: this source has none (ask the next). Anything else:
     * the source is there but broken (err says how); the chain stops with it. */
    wc_result (*fetch)(struct wc_credential_provider *self, wc_credentials *out, wc_error *err);
    /* A source asked over the network (ECS, IMDSv2); NULL for the others. WC_OK: the fetch is
     * under way and done is called once, from the loop (never inside start), with the outcome
     * fetch() would have returned. WC_ERR_NOT_FOUND (this source is not configured) or another
     * error: nothing started, done is not called. One fetch at a time per provider. */
    wc_result (*start)(struct wc_credential_provider *self, wc_credentials_done done, void *ctx,
                       wc_error *err);
    /* Abandons the fetch under way, if any: its done is never called. NULL with start NULL. */
    void (*cancel)(struct wc_credential_provider *self);
    /* Frees the provider (a fetch under way is cancelled first). */
    void (*destroy)(struct wc_credential_provider *self);
} wc_credential_provider;

/* What the network providers need, owned by the chain and borrowed by its providers (and by
 * those a profile makes at each fetch). */
typedef struct wc_cred_context {
    wc_transport transport;
    int has_transport;
    wc_clock *clock;    /* its wall clock dates AssumeRole (NULL: the system's) */
    char *region;       /* STS: signing region and regional endpoint; NULL: us-east-1 */
    char *endpoint_url; /* --endpoint-url, or NULL */
} wc_cred_context;

/* Fills *out with copies (token NULL or "": none) and the time `expiration` says (ISO 8601;
 * NULL: they do not expire). One that cannot be read is an error of that source, never "does
 * not expire". On failure *out is clean. */
wc_result wc_cred_fill(wc_credentials *out, const char *id, const char *secret, const char *token,
                       const char *expiration, const char *source, wc_error *err);
/* Cleanses and frees a secret (NULL: nothing). */
void wc_cred_scrub_free(char *s);
/* An environment variable, NULL when unset or empty. */
const char *wc_cred_env(const char *name);
/* *dst = a copy of src (NULL: NULL). Returns how many copies failed for want of memory (0 or
 * 1), so that the failures of several copies add up. */
int wc_cred_dup(char **dst, const char *src);
/* A token file (at most cap bytes), the characters of `trim` taken off its end, into *token (a
 * secret: wc_cred_scrub_free it). One that cannot be read is a configuration error:
 * WC_ERR_INVALID, err says why. */
wc_result wc_cred_read_token(const char *path, size_t cap, const char *trim, char **token,
                             wc_error *err);

/* Parses an ISO 8601 time: "2026-11-21T15:30:00Z", with fractions of a second, and a zone of Z,
 * +hh:mm, -hh:mm or +hhmm (none: UTC). WC_ERR_PARSE when it cannot, or when anything follows. */
wc_result wc_parse_iso8601(const char *s, time_t *out);

#endif
