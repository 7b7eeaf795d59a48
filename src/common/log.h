/* log.h - leveled, timestamped log lines to stderr and, optionally, a log file.
 *
 * One process-wide logger: each line is written whole with a single write(2) per sink, so lines
 * from several consumers appending to one log file do not interleave.
 * Formats (wc_log_set_format):
 *   text: 2026-11-21T14:30:00.123Z INFO  message key=value key="a value" ...
 *   json: {"time":"2026-11-21T14:30:00.123Z","level":"INFO","msg":"message","key":"value",...}
 *         (one object a line, built with jansson)
 * No value can break a line or forge one: in the text format a field value is written bare only
 * when it is plain printable text without blanks, quotes, '\\' or '='; otherwise it is quoted,
 * with '"' and '\\' escaped and control characters (and U+0085, U+2028, U+2029) written as \n,
 * \r, \t, \xHH or \uHHHH. The free text of a message has its control characters escaped the
 * same way. Values from requests (keys, ids, owners, reasons, errors) go in fields.
 * A line is never cut (a JSON line cut short is no JSON): a value over 1,024 bytes (the free text:
 * 2,048) keeps that much, cut between characters, followed by "…(N bytes)", its full length.
 */
#ifndef WC_LOG_H
#define WC_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum { WC_LOG_DEBUG, WC_LOG_INFO, WC_LOG_WARN, WC_LOG_ERROR, WC_LOG_OFF } wc_log_level;

/* Parses "debug", "info", "warn", "error" or "off". */
wc_result wc_log_level_parse(const char *name, wc_log_level *out, wc_error *err);

/* Sets the level and opens the log file for appending (NULL: stderr only). */
wc_result wc_log_open(wc_log_level level, const char *path, wc_error *err);

/* Whether stderr gets lines too (default yes). */
void wc_log_to_stderr(int enabled);

/* Closes the log file, flushing what was written. */
void wc_log_close(void);

int wc_log_enabled(wc_log_level level);

typedef enum { WC_LOG_TEXT, WC_LOG_JSON } wc_log_format;

/* Parses "text" or "json". */
wc_result wc_log_format_parse(const char *name, wc_log_format *out, wc_error *err);

/* The format of every line from now on (default text). */
void wc_log_set_format(wc_log_format format);

/* One field of a structured line. Build them with the WC_LF_* macros. */
typedef enum {
    WC_LF_STR,    /* text: bare when plain, else quoted; a NULL value leaves the field out */
    WC_LF_QUOTED, /* text: always quoted (reasons, errors) */
    WC_LF_UINT,   /* a whole number */
    WC_LF_REAL    /* a number with `decimals` places */
} wc_log_kind;

typedef struct {
    const char *key;
    wc_log_kind kind;
    const char *s;
    uint64_t u; /* the number, or for WC_LF_REAL the decimals */
    double d;
} wc_log_field;

#define WC_LF_S(k, v)    ((wc_log_field){(k), WC_LF_STR, (v), 0, 0.0})
#define WC_LF_Q(k, v)    ((wc_log_field){(k), WC_LF_QUOTED, (v), 0, 0.0})
#define WC_LF_U(k, v)    ((wc_log_field){(k), WC_LF_UINT, NULL, (uint64_t)(v), 0.0})
#define WC_LF_R(k, v, n) ((wc_log_field){(k), WC_LF_REAL, NULL, (n), (double)(v)})
#define WC_LF_MS(k, v)   WC_LF_R(k, v, 3)

/* A structured line: msg (NULL: none) and the fields, in order. Text: `msg k=v k=v`. */
void wc_log_fields(wc_log_level level, const char *msg, const wc_log_field *fields, size_t n);

/* wc_log_kv(WC_LOG_INFO, NULL, WC_LF_S("request", key), WC_LF_MS("ms", ms)): the level is asked
 * first, as with the macros below. */
#define wc_log_kv(level, msg, ...)                                                                 \
    do {                                                                                           \
        if (wc_log_enabled(level)) {                                                               \
            const wc_log_field wc_lf_[] = {__VA_ARGS__};                                           \
            wc_log_fields(level, msg, wc_lf_, sizeof(wc_lf_) / sizeof(wc_lf_[0]));                 \
        }                                                                                          \
    } while (0)

void wc_log(wc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The level is asked first: a line that is off costs no formatting, and its arguments are not
 * evaluated. */
#define WC_LOG_AT(level, ...)                                                                      \
    do {                                                                                           \
        if (wc_log_enabled(level))                                                                 \
            wc_log(level, __VA_ARGS__);                                                            \
    } while (0)
#define wc_debug(...)    WC_LOG_AT(WC_LOG_DEBUG, __VA_ARGS__)
#define wc_info(...)     WC_LOG_AT(WC_LOG_INFO, __VA_ARGS__)
#define wc_warn(...)     WC_LOG_AT(WC_LOG_WARN, __VA_ARGS__)
#define wc_errorlog(...) WC_LOG_AT(WC_LOG_ERROR, __VA_ARGS__)

#endif
