#include "aws/transport.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wc_http_response_cleanup(wc_http_response *r)
{
    free(r->body);
    free(r->request_id);
    free(r->etag);
    for (size_t i = 0; i < r->n_meta; i++) {
        free(r->meta[i].name);
        free(r->meta[i].value);
    }
    memset(r, 0, sizeof(*r));
}

int wc_http_response_add_meta(wc_http_response *r, const char *name, size_t name_len,
                              const char *value, size_t value_len)
{
    if (r->n_meta == WC_HTTP_MAX_META)
        return 0;
    char *n = strndup(name, name_len), *v = strndup(value, value_len);
    if (!n || !v) {
        free(n);
        free(v);
        return 0;
    }
    for (char *c = n; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    r->meta[r->n_meta].name = n;
    r->meta[r->n_meta++].value = v;
    return 1;
}

const char *wc_http_response_meta(const wc_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_meta; i++)
        if (strcasecmp(r->meta[i].name, name) == 0)
            return r->meta[i].value;
    return NULL;
}

void wc_tls_refusal_text(char *out, size_t size, const char *url, const char *ca_bundle,
                         const char *why)
{
    const char *scheme = strstr(url, "://");
    size_t origin = scheme ? (size_t)(scheme + 3 - url) + strcspn(scheme + 3, "/?#") : strlen(url);
    snprintf(out, size, "TLS verification of %.*s failed (certificate refused, CA bundle: %s): %s",
             (int)origin, url, ca_bundle ? ca_bundle : "the system's", why);
}
