#include "common/error.h"

#include <stdio.h>
#include <string.h>

wc_result wc_error_vset(wc_error *err, wc_result code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        err->tls_refused = 0; /* a new error */
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return code;
}

wc_result wc_error_set(wc_error *err, wc_result code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wc_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void wc_error_prefix(wc_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[WC_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    size_t plen = n < 0 ? 0 : (size_t)n < sizeof(prefix) ? (size_t)n : sizeof(prefix) - 1;
    size_t old = strnlen(err->msg, sizeof(err->msg) - 1);
    if (plen + old > sizeof(err->msg) - 1)
        old = sizeof(err->msg) - 1 - plen; /* the message is cut at its end, never its start */
    memmove(err->msg + plen, err->msg, old);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + old] = '\0';
}

void wc_error_clear(wc_error *err)
{
    if (err) {
        err->code = WC_OK;
        err->msg[0] = '\0';
        err->tls_refused = 0;
    }
}

const char *wc_result_name(wc_result code)
{
    static const char *const names[] = {
        [WC_OK] = "ok",
        [WC_ERR_INVALID] = "invalid",
        [WC_ERR_PARSE] = "parse",
        [WC_ERR_TOO_LARGE] = "too-large",
        [WC_ERR_NOT_FOUND] = "not-found",
        [WC_ERR_CONFLICT] = "conflict",
        [WC_ERR_IO] = "io",
        [WC_ERR_NOMEM] = "no-memory",
        [WC_ERR_UNSUPPORTED] = "unsupported",
        [WC_ERR_BUSY] = "busy",
        [WC_ERR_REJECTED] = "rejected",
    };
    return (unsigned)code < sizeof(names) / sizeof(names[0]) ? names[code] : "unknown";
}
