/* log.h - leveled, timestamped log lines to stderr and, optionally, a log file.
 *
 * One process-wide logger: each line is written whole with a single write(2) per sink, so lines
 * from several consumers appending to one log file do not interleave.
 * Format: 2026-11-21T14:30:00.123Z INFO  message
 */
#ifndef WC_LOG_H
#define WC_LOG_H

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
