/* credential_chain.c - the default chain of credentials.h: its providers asked in order, one
 * fetch at a time on the loop, the credentials kept until they are near their end. */
#include "aws/credentials.h"
#include "aws/credentials_private.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFRESH_BEFORE_S 300
#define N_PROVIDERS      5 /* environment, web identity, profile, ECS, IMDSv2: in that order */

struct wc_credential_chain {
    wc_cred_context cx; /* borrowed by the providers */
    wc_credential_provider *providers[N_PROVIDERS];
    wc_credentials current; /* none while access_key_id is NULL */
    time_t refresh_at;      /* when to fetch again (0: never) */
    unsigned fetches;
    int refused; /* STS refused for good (WC_ERR_REJECTED): every get says refusal */
    wc_error refusal;
    int fetching;  /* a fetch is under way ... */
    size_t asking; /* ... at this provider (or the last one asked) */
    wc_credentials_listener listener;
    void *listener_ctx;
};

unsigned wc_credentials_fetches(const wc_credential_chain *c)
{
    return c->fetches;
}

wc_credential_chain *wc_credential_chain_new(const char *profile, const wc_transport *transport,
                                             wc_clock *clock)
{
    wc_credential_chain *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cx.clock = clock;
    if (transport) {
        c->cx.transport = *transport;
        c->cx.has_transport = 1;
    }
    c->providers[0] = wc_credentials_from_env();
    c->providers[1] =
        wc_credentials_sts_new(&c->cx, "web identity (AWS_ROLE_ARN)", NULL, NULL, NULL);
    c->providers[2] = wc_credentials_from_profile(profile, &c->cx);
    c->providers[3] = wc_credentials_from_ecs(&c->cx);
    c->providers[4] = wc_credentials_from_imds(&c->cx);
    for (size_t i = 0; i < N_PROVIDERS; i++) {
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
    if (wc_cred_dup(&c->cx.region, region) + wc_cred_dup(&c->cx.endpoint_url, endpoint_url))
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
    for (size_t i = 0; i < N_PROVIDERS; i++)
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
    return c->current.access_key_id && (c->current.expiration == 0 || now < c->current.expiration);
}

/* The end of a fetch: new credentials are kept; a failure leaves the current ones in use while
 * they are valid (tried again in a while, not at every call). WC_OK when valid ones are there. */
static wc_result conclude(wc_credential_chain *c, wc_result result, wc_credentials *fresh,
                          wc_error *err)
{
    time_t now = wc_clock_epoch_s(c->cx.clock);
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
        if (!c->current.access_key_id || strcmp(c->current.source, fresh->source) != 0 ||
            strcmp(c->current.access_key_id, fresh->access_key_id) != 0)
            wc_info("credentials: %s, access key %s%s", fresh->source, fresh->access_key_id,
                    fresh->expiration ? ", temporary" : "");
        wc_credentials_cleanup(&c->current);
        c->current = *fresh;
        memset(fresh, 0, sizeof(*fresh));
        c->refresh_at = wc_credentials_refresh_at(now, c->current.expiration);
        c->fetches++;
        return WC_OK;
    }
    /* A refused certificate while the current credentials are still good is a refresh that
     * failed (a certificate changed mid-run, as for any AWS call: an outage, tried again until
     * they expire); before there are any, or from STS itself, a refusal is for good. */
    int tls_midrun = result == WC_ERR_REJECTED && err->tls_refused && valid_at(c, now);
    if (result == WC_ERR_REJECTED && !tls_midrun) { /* for good: not tried again, dropped */
        c->refused = 1;
        c->refusal = *err;
        wc_credentials_cleanup(&c->current);
        return result;
    }
    if (valid_at(c, now) && c->current.expiration) {
        time_t left = c->current.expiration - now;
        c->refresh_at = now + (left / 2 < 30 ? left / 2 : 30);
        wc_warn("credentials: refresh from %s failed (%s); the current ones expire in %lld s",
                c->asking < N_PROVIDERS ? c->providers[c->asking]->name : "any source", err->msg,
                (long long)left);
        return WC_OK;
    }
    return result;
}

static void on_provider_done(void *ctx, wc_result result, wc_credentials *creds,
                             const wc_error *perr);

/* Asks the providers from i on, until one answers or fails (then the fetch ends: conclude's
 * result), or has started a fetch (WC_OK and *started set: on_provider_done goes on from
 * there). */
static wc_result fetch_from(wc_credential_chain *c, size_t i, int *started, wc_error *err)
{
    wc_credentials fresh;
    memset(&fresh, 0, sizeof(fresh));
    wc_result result = WC_ERR_NOT_FOUND;
    *started = 0;
    for (; i < N_PROVIDERS && result == WC_ERR_NOT_FOUND; i++) {
        wc_credential_provider *p = c->providers[i];
        c->asking = i;
        /* no key: this time the answer comes from start (a network source, a profile's role) */
        result = p->fetch ? p->fetch(p, &fresh, err) : WC_OK;
        if (result == WC_OK && !fresh.access_key_id) {
            result = p->start(p, on_provider_done, c, err);
            if (result == WC_OK) {
                *started = 1;
                return WC_OK;
            }
        }
    }
    if (result == WC_ERR_NOT_FOUND) {
        c->asking = N_PROVIDERS;
        result = wc_error_set(err, WC_ERR_NOT_FOUND,
                              "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY, use a profile (--profile), or run where a "
                              "task role or instance role provides them");
    }
    return conclude(c, result, &fresh, err);
}

static void on_provider_done(void *ctx, wc_result result, wc_credentials *creds,
                             const wc_error *perr)
{
    wc_credential_chain *c = ctx;
    wc_error err;
    wc_error_clear(&err);
    if (result == WC_ERR_NOT_FOUND) { /* none here: the next */
        int started;
        result = fetch_from(c, c->asking + 1, &started, &err);
        if (started)
            return;
    } else {
        if (result != WC_OK)
            err = *perr;
        result = conclude(c, result, creds, &err);
    }
    if (c->listener)
        c->listener(c->listener_ctx, result, &err);
}

wc_result wc_credentials_get(wc_credential_chain *c, const wc_credentials **out, wc_error *err)
{
    time_t now = wc_clock_epoch_s(c->cx.clock);
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
        return WC_OK; /* none valid (*out NULL): wait for the fetch under way */
    wc_error e;
    wc_error_clear(&e);
    c->fetching = 1;
    int started;
    wc_result result = fetch_from(c, 0, &started, &e);
    if (result != WC_OK) {
        if (err)
            *err = e;
        return result;
    }
    if (!started || valid) /* started: a refresh in the background, these still work meanwhile */
        *out = &c->current;
    return WC_OK;
}
