/* credentials.h - AWS credentials, found in the order the AWS SDKs use:
 *   1. environment: AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY, as older
 *      tools set it), and AWS_SESSION_TOKEN;
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (and AWS_ROLE_SESSION_NAME),
 *      STS AssumeRoleWithWebIdentity (EKS service-account roles); the token file is read again
 *      at every fetch (EKS rotates it);
 *   3. the shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE;
 *      default ~/.aws/credentials and ~/.aws/config), profile from --profile, AWS_PROFILE or
 *      "default": static keys; role_arn with source_profile (AssumeRole signed with that
 *      profile's credentials, which may be a role again), credential_source (Environment,
 *      Ec2InstanceMetadata, EcsContainer) or web_identity_token_file; external_id,
 *      role_session_name, duration_seconds; or credential_process (run with /bin/sh -c, its JSON
 *      read from a pipe on the loop, credentials_process.c). A profile of a kind not supported
 *      (SSO) or a broken one (role_arn without a source) is an error, never a reason to go on to
 *      the next source under another identity;
 *   4. the ECS container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE, read again at every fetch: EKS Pod
 *      Identity is this source);
 *   5. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address;
 *      AWS_EC2_METADATA_DISABLED=true skips it).
 * STS is asked at AWS_ENDPOINT_URL_STS, else --endpoint-url, else AWS_ENDPOINT_URL, else the
 * regional endpoint https://sts.REGION.<partition suffix> (credentials_sts.c).
 * Each source is a provider (a function table); the chain asks them in turn. The environment and
 * the files are read at once (no network); the ECS endpoint (one GET) and IMDSv2 (PUT a token, GET
 * the role, GET its credentials) are asked asynchronously on the caller's transport, i.e. on the
 * one event loop: a fetch never makes the loop stand still. One fetch at a time (single flight):
 * who needs credentials while none are valid waits for that fetch (wc_credentials_get gives
 * none, the chain's listener hears when it ends). Temporary credentials are fetched again
 * ahead of their expiry, once: five minutes before it, or halfway through their lifetime when
 * that is shorter (credentials good for two minutes are fetched again after one, not at every
 * call); meanwhile the current ones go on being used. When a refresh fails and the current ones
 * still work, they are used and the refresh is tried again 30 s later at most. An Expiration
 * that cannot be read is an error of that source, never "does not expire".
 * Secrets are never logged: only the access key id and the source are.
 */
#ifndef WC_CREDENTIALS_H
#define WC_CREDENTIALS_H

#include <time.h>

#include "aws/credential_provider.h"
#include "aws/transport.h"
#include "common/error.h"

wc_credential_provider *wc_credentials_from_env(void);
/* The shared files' profile (NULL: AWS_PROFILE or "default"), its roles and processes asked
 * with cx (borrowed; NULL: none can be, only static keys are read). NULL: out of memory. */
wc_credential_provider *wc_credentials_from_profile(const char *profile, const wc_cred_context *cx);
/* The transport of cx (borrowed: it must outlive the provider) carries the requests; without
 * one, a configured source fails with WC_ERR_INVALID. */
wc_credential_provider *wc_credentials_from_ecs(const wc_cred_context *cx);
wc_credential_provider *wc_credentials_from_imds(const wc_cred_context *cx);
/* Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may be asked, as the AWS SDKs allow: https to any
 * host; plain http only to a loopback address (127.0.0.0/8, [::1], localhost) or the ECS and EKS
 * agents' link-local addresses (169.254.170.2, 169.254.170.23, [fd00:ec2::23]). WC_ERR_INVALID
 * (err says so) otherwise: the ECS source then stops the consumer at its first fetch. */
wc_result wc_container_uri_check(const char *url, wc_error *err);

typedef struct wc_credential_chain wc_credential_chain;

/* The default chain above, the network sources on transport (NULL: none can be asked), its time
 * from clock's wall clock (borrowed; NULL: the system's). NULL: out of memory. */
wc_credential_chain *wc_credential_chain_new(const char *profile, const wc_transport *transport,
                                             wc_clock *clock);
/* Where the STS sources (web identity, assumed roles) send their calls: the client's region
 * (NULL: us-east-1) and --endpoint-url (NULL: none), both copied. Before the first get. */
wc_result wc_credential_chain_set_sts(wc_credential_chain *chain, const char *region,
                                      const char *endpoint_url);
/* Cancels a fetch under way (its listener is not called) and frees the chain. */
void wc_credential_chain_free(wc_credential_chain *chain);

/* Called from the loop when an asynchronous fetch ends: WC_OK when valid credentials are there
 * now (new ones, or a failed refresh left the current ones valid); otherwise the fetch's error
 * (none are valid). err is the fetch's error whenever it failed, also a refresh that left the
 * current ones valid (then err->code is not WC_OK though result is); clear when it did not:
 * err->tls_refused says an endpoint refused its certificate. Not called for fetches that end
 * inside wc_credentials_get (a fetch's answer always comes from the loop). */
typedef void (*wc_credentials_listener)(void *ctx, wc_result result, const wc_error *err);
void wc_credential_chain_listen(wc_credential_chain *chain, wc_credentials_listener fn, void *ctx);

/* The credentials to sign with now (owned by the chain; valid until the loop runs again):
 *   WC_OK    *out are valid. When their refresh is due, one fetch is started in the background
 *            (or is already under way) and these are still used meanwhile. Or *out is NULL:
 *            none are valid now, a fetch is under way (started by this call or an earlier one)
 *            and the listener hears when it ends: wait for it (not an error).
 *   WC_ERR_REJECTED  STS refused these credentials for good (AccessDenied, InvalidIdentityToken,
 *            ExpiredTokenException...: a 4xx that asking again will not mend, whether at the
 *            first fetch or a refresh); from then on every get says so at once, with STS's
 *            words in err, and nothing is fetched again. The listener hears it too.
 *   else     the fetch failed at once (a broken environment or profile, no source at all) and
 *            none are valid; err says why. */
wc_result wc_credentials_get(wc_credential_chain *chain, const wc_credentials **out, wc_error *err);

/* Abandons the fetch under way, if any: the listener is not called for it. */
void wc_credentials_cancel(wc_credential_chain *chain);

/* Reads the JSON credentials the ECS container endpoint and EC2 IMDSv2 answer (body
 * NUL-terminated): AccessKeyId, SecretAccessKey, Token and Expiration (ISO 8601; one that cannot
 * be read is an error). `source` names them in *out and in errors. On WC_OK, *out is filled:
 * wc_credentials_cleanup() it. */
wc_result wc_credentials_from_json(const char *body, const char *source, wc_credentials *out,
                                   wc_error *err);

/* The CA bundle of every AWS call: AWS_CA_BUNDLE, else the profile's ca_bundle, else NULL (the
 * system's). Caller frees. */
char *wc_ca_bundle(const char *profile);

/* The region of a profile in the config file, or NULL. Caller frees. */
char *wc_profile_region(const char *profile);

/* When credentials fetched at `fetched` that expire at `expiration` are fetched again (0: never).
 */
time_t wc_credentials_refresh_at(time_t fetched, time_t expiration);

/* How many fetches of the chain got credentials (for tests and metrics). */
unsigned wc_credentials_fetches(const wc_credential_chain *chain);

#endif
