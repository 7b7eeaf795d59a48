/* credentials_private.h - what the credential providers share inside src/aws/ (credentials.c,
 * credentials_sts.c, credentials_process.c); not for callers of the chain. */
#ifndef WC_CREDENTIALS_PRIVATE_H
#define WC_CREDENTIALS_PRIVATE_H

#include "aws/credentials.h"

/* What the network providers need, owned by the chain and borrowed by its providers (and by
 * those a profile makes at each fetch). */
typedef struct wc_cred_context {
    wc_transport transport;
    int has_transport;
    time_t (*wall_time)(void); /* for signing AssumeRole */
    char *region;              /* STS: signing region and regional endpoint; NULL: us-east-1 */
    char *endpoint_url;        /* --endpoint-url, or NULL */
} wc_cred_context;

/* Fills *out with copies (token NULL or "": none); on failure *out is clean. */
wc_result wc_cred_fill(wc_credentials *out, const char *id, const char *secret, const char *token,
                       const char *source, wc_error *err);
/* Cleanses and frees a secret (NULL: nothing). */
void wc_cred_scrub_free(char *s);
/* An environment variable, NULL when unset or empty. */
const char *wc_cred_env(const char *name);

/* A source that always gives copies of creds (the static keys of a source_profile). */
wc_credential_provider *wc_credentials_static_new(const wc_credentials *creds);

/* STS AssumeRole with the credentials of source (owned by the new provider). `source_name`
 * names the credentials in the log ("profile dev: role ... "). NULL: out of memory. */
typedef struct {
    const char *role_arn;
    const char *session_name; /* NULL: "widget-consumer-<time>" */
    const char *external_id;  /* NULL: none */
    long duration_seconds;    /* 0: STS's default (one hour) */
    const char *token_file;   /* web identity: the token file, read at every fetch */
} wc_role_config;
wc_credential_provider *wc_credentials_assume_role_new(const wc_cred_context *cx,
                                                       const char *source_name,
                                                       const wc_role_config *role,
                                                       wc_credential_provider *source);
/* STS AssumeRoleWithWebIdentity (unsigned), role->token_file read at every fetch. */
wc_credential_provider *wc_credentials_web_identity_new(const wc_cred_context *cx,
                                                        const char *source_name,
                                                        const wc_role_config *role);
/* AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), read at each fetch:
 * WC_ERR_NOT_FOUND when neither is set; one without the other is an error. */
wc_credential_provider *wc_credentials_web_identity_env_new(const wc_cred_context *cx);

#endif
