/* credentials_private.h - what the credential providers share inside src/aws/; not for callers
 * of the chain. */
#ifndef WC_CREDENTIALS_PRIVATE_H
#define WC_CREDENTIALS_PRIVATE_H

#include <jansson.h>

#include "aws/credential_provider.h"
#include "aws/transport.h"
#include "common/loop.h"

/* The providers asked on a transport (the ECS container endpoint, credentials_ecs.c; EC2
 * IMDSv2, credentials_imds.c; STS, credentials_sts.c): each fetch is a small state machine
 * driven by the transport's callbacks (ECS: one GET; IMDSv2: PUT a session token, GET the role,
 * GET its credentials; STS: one POST). What one provider alone needs (IMDSv2's step and session
 * token, STS's role) is in its own struct, which begins with this one. */
typedef struct wc_cred_http_provider {
    wc_credential_provider base;
    const wc_cred_context *cx; /* the chain's (borrowed): its transport carries the requests */
    /* The state machine: the answer to the request out. result is WC_OK when an HTTP answer
     * came (of any status); else WC_ERR_TOO_LARGE (its body passed the cap), WC_ERR_IO (no
     * answer came), or for a refused certificate WC_ERR_REJECTED with err->tls_refused set,
     * "TLSError: TLS verification of ... failed (certificate refused, ...)" as the client says
     * it of a call (configuration: no fetch again mends it, and it is no sign that the endpoint
     * is absent); err says so. */
    void (*answer)(struct wc_cred_http_provider *p, wc_http_response *resp, wc_result result,
                   wc_error *err);
    char what[80]; /* begins the errors of its requests: "ECS container credentials: " */
    /* the fetch under way */
    void *on_wire; /* the transport's handle of the request out, or NULL */
    wc_credentials_done done;
    void *ctx;
    const char *method; /* of the request out */
    char url[2048];
} wc_cred_http_provider;

/* A provider of size bytes (a struct that begins with a wc_cred_http_provider) named name, that
 * starts with start and answers with answer; `what` begins its requests' errors. Its cancel is
 * wc_cred_http_provider_cancel and its destroy calls base.cancel, then frees it: a provider with
 * state of its own replaces base.cancel (or both). NULL: out of memory. */
wc_credential_provider *wc_cred_http_provider_new(
    size_t size, const char *name, const char *what, const wc_cred_context *cx,
    wc_result (*start)(wc_credential_provider *, wc_credentials_done, void *, wc_error *),
    void (*answer)(wc_cred_http_provider *, wc_http_response *, wc_result, wc_error *));
/* The cancel of these providers: drops the request out (cancelled) and done/ctx. */
void wc_cred_http_provider_cancel(wc_credential_provider *self);
/* Sends one request of the fetch to p->url (headers and body copied by the transport), its
 * answer's body kept secret by the transport (wc_http_request.secret). Its answer goes to
 * p->answer. */
wc_result wc_cred_http_provider_send(wc_cred_http_provider *p, const char *method,
                                     const wc_param *headers, size_t n_headers, const char *body,
                                     long timeout_ms, wc_error *err);
/* Ends the fetch under way, resp (NULL: none) cleaned up, by the provider's base.cancel: done is
 * called last (it may start another one), with *creds on WC_OK. */
void wc_cred_http_provider_finish(wc_cred_http_provider *p, wc_http_response *resp,
                                  wc_result result, wc_credentials *creds, const wc_error *err);
/* When result is a failure, ends the fetch with it, err prefixed with p->what: a refused
 * certificate stays WC_ERR_REJECTED (for good; err->tls_refused still set, which the chain reads:
 * a refresh refused so while the current credentials are valid is only a failed refresh),
 * anything else is WC_ERR_IO (an outage, asked again later). Whether it did. */
int wc_cred_http_provider_fail(wc_cred_http_provider *p, wc_http_response *resp, wc_result result,
                               wc_error *err);

/* The credentials in a JSON object: AccessKeyId, SecretAccessKey, the session token under
 * token_key and Expiration (ISO 8601; absent: does not expire). `what` names the JSON in errors
 * ("answer", "output"). On WC_OK, *out is filled. */
wc_result wc_cred_from_json_object(const json_t *root, const char *token_key, const char *what,
                                   const char *source, wc_credentials *out, wc_error *err);

typedef struct {
    const char *role_arn;
    const char *session_name; /* NULL: "widget-consumer-<time>" */
    const char *external_id;  /* NULL: none */
    long duration_seconds;    /* 0: STS's default (one hour) */
    const char *token_file;   /* web identity: the token file, read at every fetch */
} wc_role_config;
/* An STS provider; `source_name` names the credentials in the log ("profile dev (assumed
 * role)"). role NULL: web identity from AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+
 * AWS_ROLE_SESSION_NAME), read at each fetch (WC_ERR_NOT_FOUND when neither is set, one without
 * the other is an error). role->token_file: AssumeRoleWithWebIdentity (unsigned). Else
 * AssumeRole signed with the credentials of source (owned by the new provider, also when it
 * fails), or with copies of keys when source is NULL (a source_profile's static keys). NULL: out
 * of memory. */
wc_credential_provider *wc_credentials_sts_new(const wc_cred_context *cx, const char *source_name,
                                               const wc_role_config *role,
                                               wc_credential_provider *source,
                                               const wc_credentials *keys);

/* credential_process: runs `command` with /bin/sh -c (as the AWS CLI does on POSIX: the shell
 * splits and quotes it), its standard output read from a pipe watched on loop, its standard
 * error left to ours. Killed (SIGKILL) after timeout_ms or when cancelled. `source` names the
 * credentials. NULL: out of memory. */
#define WC_CREDENTIAL_PROCESS_TIMEOUT_MS 60000
#define WC_CREDENTIAL_PROCESS_MAX_OUTPUT 65536
wc_credential_provider *wc_credentials_from_process(const char *command, const char *source,
                                                    wc_loop *loop, long timeout_ms);

/* Reads STS's XML answer of AssumeRole or AssumeRoleWithWebIdentity (Credentials with
 * AccessKeyId, SecretAccessKey, SessionToken and Expiration, all required). An ErrorResponse is
 * WC_ERR_IO, "SOURCE: STS says Code: Message", and its Code is copied into code (code_size
 * bytes; code NULL: not wanted), which is "" for any other answer; anything else is an error
 * saying what is wrong. On WC_OK, *out is filled. */
#define WC_STS_CODE_MAX 128 /* longer than any code STS uses: one cut short is no code it uses */
wc_result wc_credentials_from_sts_xml(const char *body, size_t len, const char *source,
                                      wc_credentials *out, char *code, size_t code_size,
                                      wc_error *err);

#endif
