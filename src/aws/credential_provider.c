/* credential_provider.c - what every credential provider shares: the credentials value, its
 * cleanup, filling one, environment lookups, token files, and the ISO 8601 reader of
 * Expirations. */
#include "aws/credential_provider.h"

#include "common/fsutil.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void wc_cred_scrub_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void wc_credentials_cleanup(wc_credentials *c)
{
    free(c->access_key_id);
    wc_cred_scrub_free(c->secret_access_key);
    wc_cred_scrub_free(c->session_token);
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

wc_result wc_cred_fill(wc_credentials *out, const char *id, const char *secret, const char *token,
                       const char *expiration, const char *source, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    out->access_key_id = strdup(id);
    out->secret_access_key = strdup(secret);
    out->session_token = token && *token ? strdup(token) : NULL;
    snprintf(out->source, sizeof(out->source), "%s", source);
    wc_result result = WC_OK;
    if (!out->access_key_id || !out->secret_access_key || (token && *token && !out->session_token))
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    else if (expiration && wc_parse_iso8601(expiration, &out->expiration) != WC_OK)
        result =
            wc_error_set(err, WC_ERR_INVALID, "%s: Expiration \"%.64s\" is not an ISO 8601 time",
                         source, expiration);
    if (result != WC_OK)
        wc_credentials_cleanup(out);
    return result;
}

const char *wc_cred_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int wc_cred_dup(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst;
}

wc_result wc_cred_read_token(const char *path, size_t cap, const char *trim, char **token,
                             wc_error *err)
{
    size_t len;
    wc_result result = wc_read_file(path, cap, token, &len, err);
    while (result == WC_OK && len && (*token)[len - 1] && strchr(trim, (*token)[len - 1]))
        (*token)[--len] = '\0';
    if (result != WC_OK && err)
        err->code = WC_ERR_INVALID;
    return result == WC_OK ? WC_OK : WC_ERR_INVALID;
}
