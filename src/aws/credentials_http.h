/* credentials_http.h - what the two metadata endpoints (ECS container, credentials_ecs.c; EC2
 * IMDSv2, credentials_imds.c) share inside src/aws/: a provider asked on the caller's transport,
 * each fetch a small state machine driven by the transport's callbacks (ECS: one GET; IMDSv2:
 * PUT a session token, GET the role, GET its credentials). */
#ifndef WC_CREDENTIALS_HTTP_H
#define WC_CREDENTIALS_HTTP_H

#include "aws/credential_provider.h"
#include "aws/transport.h"

typedef enum { IMDS_TOKEN, IMDS_ROLE, IMDS_CREDENTIALS } wc_imds_step;

typedef struct wc_cred_http_provider {
    wc_credential_provider base;
    wc_transport transport;
    int has_transport;
    void (*answer)(struct wc_cred_http_provider *p, wc_http_response *resp); /* the state machine */
    void *on_wire; /* the transport's handle of the request out, or NULL */
    wc_credentials_done done;
    void *ctx;
    char url[2048]; /* of the request out */
    /* IMDSv2 */
    wc_imds_step step;
    char base_url[1024];
    char *token; /* the session token (scrubbed when freed) */
    char role[256];
} wc_cred_http_provider;

/* Drops the request out (cancelled), done/ctx and the session token. */
void wc_cred_http_provider_reset(wc_cred_http_provider *p);
/* Ends the fetch under way: done is called last (it may start another one). */
void wc_cred_http_provider_finish(wc_cred_http_provider *p, wc_result result, wc_credentials *creds,
                                  const wc_error *err);
/* Sends one request of the fetch to p->url; req is copied by the transport. Its answer goes to
 * p->answer. */
wc_result wc_cred_http_provider_send(wc_cred_http_provider *p, const char *method,
                                     const wc_param *headers, size_t n_headers, const char *body,
                                     long timeout_ms, wc_error *err);
/* WC_OK when an HTTP answer came (of any status); else WC_ERR_TOO_LARGE (its body passed the
 * cap), WC_ERR_IO (no answer came), or for a refused certificate WC_ERR_REJECTED, "TLSError: TLS
 * verification of ... failed (certificate refused, ...)" as the client says it of a call
 * (configuration: no fetch again mends it, and it is no sign that the endpoint is absent). */
wc_result wc_cred_http_answered(const wc_http_response *resp, const char *method, const char *url,
                                wc_error *err);
/* Whether err (a WC_ERR_REJECTED) says such a refused certificate: configuration, though a
 * refresh refused so while the current credentials are valid is only a failed refresh. */
int wc_cred_http_tls_refusal(const wc_error *err);
/* A provider named name that starts with start and answers with answer; transport copied (NULL:
 * none). NULL: out of memory. */
wc_credential_provider *wc_cred_http_provider_new(
    const char *name, const wc_transport *transport,
    wc_result (*start)(wc_credential_provider *, wc_credentials_done, void *, wc_error *),
    void (*answer)(wc_cred_http_provider *, wc_http_response *));

#endif
