/* error.h - the one error convention of widget-consumer.
 *
 * Every fallible function returns a wc_result and, when it fails, fills a caller-owned wc_error
 * with a one-line message that says what was wrong (which request, which field, which file).
 * A NULL wc_error pointer is allowed: the code is still returned, the detail is dropped.
 * Outcomes that are no failure have their own types, not a wc_result: what a source's receive
 * found (wc_receive_status, sources/source.h); credentials still being fetched
 * (wc_credentials_get, aws/credentials.h).
 */
#ifndef WC_ERROR_H
#define WC_ERROR_H

#include <stdarg.h>

typedef enum {
    WC_OK = 0,
    WC_ERR_INVALID,   /* bad input: a request that breaks the rules, a bad option */
    WC_ERR_PARSE,     /* bad input: not JSON, not UTF-8 */
    WC_ERR_TOO_LARGE, /* input over its size cap */
    WC_ERR_NOT_FOUND, /* the widget (or file) is not there */
    WC_ERR_CONFLICT,  /* somebody else got there first (a claimed file) */
    WC_ERR_IO,        /* the file system, network or service failed: an outage, try later */
    WC_ERR_NOMEM,
    WC_ERR_UNSUPPORTED, /* a feature that is not built (yet) */
    WC_ERR_BUSY,        /* not now: an earlier request of the same widget goes first */
    WC_ERR_REJECTED     /* the store refuses this request for good (too large, a bad name) */
} wc_result;

#define WC_ERROR_MAX 512

typedef struct {
    wc_result code;
    char msg[WC_ERROR_MAX];
    /* A fact of the failure as data, for callers that act on it (never read from msg's words):
     * a TLS certificate was refused (aws/http.c: the endpoint's certificate not trusted, made
     * out to another host, or an unusable CA bundle). Set by whoever saw the refusal; kept by
     * wc_error_prefix and by copies of the struct; cleared by wc_error_set and wc_error_clear. */
    int tls_refused;
} wc_error;

/* Sets err (if not NULL) and returns code, so that `return wc_error_set(err, ...)` reads well. */
wc_result wc_error_set(wc_error *err, wc_result code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As wc_error_set, with the arguments of a variadic caller (wc_receive_fail). */
wc_result wc_error_vset(wc_error *err, wc_result code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prefixes err->msg with a context, e.g. "request 1615728964574: ". */
void wc_error_prefix(wc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void wc_error_clear(wc_error *err);

/* A short fixed name for a code ("invalid", "not-found", ...). */
const char *wc_result_name(wc_result code);

#endif
