/* credentials_private.h - what the credential providers share inside src/aws/
 * (credentials_profile.c, credentials_sts.c, credentials_process.c); not for callers of the chain.
 */
#ifndef WC_CREDENTIALS_PRIVATE_H
#define WC_CREDENTIALS_PRIVATE_H

#include "aws/credential_provider.h"
#include "common/loop.h"

/* The shared files' profile (NULL: AWS_PROFILE or "default"), its roles and processes asked
 * with cx (borrowed; NULL: none can be). NULL: out of memory. */
wc_credential_provider *wc_credentials_profile_new(const char *profile, const wc_cred_context *cx);

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

/* credential_process: runs `command` with /bin/sh -c (as the AWS CLI does on POSIX: the shell
 * splits and quotes it), its standard output read from a pipe watched on loop, its standard
 * error left to ours. Killed (SIGKILL) after timeout_ms or when cancelled. `source` names the
 * credentials. NULL: out of memory. */
#define WC_CREDENTIAL_PROCESS_TIMEOUT_MS 60000
#define WC_CREDENTIAL_PROCESS_MAX_OUTPUT 65536
wc_credential_provider *wc_credentials_from_process(const char *command, const char *source,
                                                    wc_loop *loop, long timeout_ms);
/* Reads a credential_process's JSON: Version 1, AccessKeyId, SecretAccessKey, SessionToken and
 * Expiration (ISO 8601; absent: does not expire). On WC_OK, *out is filled. */
wc_result wc_credentials_from_process_json(const char *body, const char *source,
                                           wc_credentials *out, wc_error *err);

/* Reads STS's XML answer of AssumeRole or AssumeRoleWithWebIdentity (Credentials with
 * AccessKeyId, SecretAccessKey, SessionToken and Expiration, all required). An ErrorResponse, or
 * anything else, is an error naming its Code and Message. On WC_OK, *out is filled. */
wc_result wc_credentials_from_sts_xml(const char *body, size_t len, const char *source,
                                      wc_credentials *out, wc_error *err);

#endif
