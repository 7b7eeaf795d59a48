#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    wc_log_level level;
    int fd; /* the log file, -1 when none */
    int to_stderr;
} logger = {WC_LOG_INFO, -1, 1};

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

wc_result wc_log_level_parse(const char *name, wc_log_level *out, wc_error *err)
{
    static const char *const lower[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= WC_LOG_OFF; i++) {
        if (strcmp(name, lower[i]) == 0) {
            *out = (wc_log_level)i;
            return WC_OK;
        }
    }
    return wc_error_set(err, WC_ERR_INVALID,
                        "log level \"%s\" is not one of debug, info, warn, error, off", name);
}

wc_result wc_log_open(wc_log_level level, const char *path, wc_error *err)
{
    logger.level = level;
    if (!path)
        return WC_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return wc_error_set(err, WC_ERR_IO, "log file \"%s\": %s", path, strerror(errno));
    if (logger.fd >= 0)
        close(logger.fd);
    logger.fd = fd;
    return WC_OK;
}

void wc_log_to_stderr(int enabled)
{
    logger.to_stderr = enabled;
}

void wc_log_close(void)
{
    if (logger.fd >= 0) {
        fsync(logger.fd);
        close(logger.fd);
        logger.fd = -1;
    }
}

int wc_log_enabled(wc_log_level level)
{
    return level >= logger.level && level < WC_LOG_OFF;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to report a failing log; drop the line */
        buf += n;
        len -= (size_t)n;
    }
}

void wc_log(wc_log_level level, const char *fmt, ...)
{
    if (!wc_log_enabled(level))
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000L, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2; /* a cut line still ends with a newline */
    line[len++] = '\n';
    if (logger.to_stderr)
        write_all(STDERR_FILENO, line, len);
    if (logger.fd >= 0)
        write_all(logger.fd, line, len);
}
