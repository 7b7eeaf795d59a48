#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/fsutil.h"

/* A line is never cut (a JSON line cut short is no JSON): each value is capped instead, and the
 * line's buffer is sized for the longest line those caps allow. */
#define FIELD_MAX_BYTES 1024 /* a longer value keeps this much and "…(N bytes)" */
#define MSG_MAX_BYTES   2048 /* the same for the free text */
#define MARKER_BYTES    40   /* "…(N bytes)" */
#define ESCAPE_RATIO    4    /* the most bytes one input byte becomes in a text line (\xHH) */

static struct {
    wc_log_level level;
    int fd; /* the log file, -1 when none */
    int to_stderr;
    wc_log_format format;
} logger = {WC_LOG_INFO, -1, 1, WC_LOG_TEXT};

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

wc_result wc_log_format_parse(const char *name, wc_log_format *out, wc_error *err)
{
    if (strcmp(name, "text") == 0)
        *out = WC_LOG_TEXT;
    else if (strcmp(name, "json") == 0)
        *out = WC_LOG_JSON;
    else
        return wc_error_set(err, WC_ERR_INVALID, "log format \"%s\" is not text or json", name);
    return WC_OK;
}

void wc_log_set_format(wc_log_format format)
{
    logger.format = format;
}

/* A line being built, in a buffer sized for it (line_size): bytes past its end would be dropped,
 * which the sizing rules out. */
typedef struct {
    char *buf;
    size_t size;
    size_t len;
} line_buf;

static void put(line_buf *l, const char *s, size_t n)
{
    size_t room = l->size - 1 - l->len; /* one byte kept for the newline */
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line_buf *l, const char *s)
{
    put(l, s, strlen(s));
}

/* How many bytes at s form a character that must be escaped in a text line: a C0 control or DEL
 * (1), a C1 control U+0080..U+009F (2), or U+2028/U+2029, which some readers take as line
 * breaks (3). 0: none. */
static size_t unsafe_at(const unsigned char *s)
{
    if (s[0] < 0x20 || s[0] == 0x7f)
        return 1;
    if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
        return 2;
    if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
        return 3;
    return 0;
}

/* Appends s with its unsafe characters escaped; with quoting, '"' and '\' too. */
static void put_escaped(line_buf *l, const char *text, int quoting)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        size_t n = unsafe_at(s);
        char esc[8];
        if (n == 1) {
            static const char hex[] = "0123456789abcdef";
            const char *named = strchr("\n\r\t", *s); /* as \n, \r, \t; the others \xHH */
            if (named)
                memcpy(esc, (char[]){'\\', "nrt"[named - "\n\r\t"], 0}, 3);
            else
                memcpy(esc, (char[]){'\\', 'x', hex[*s >> 4], hex[*s & 15], 0}, 5);
            puts_(l, esc);
            s++;
        } else if (n == 2) {
            snprintf(esc, sizeof(esc), "\\u%04x", s[1]);
            puts_(l, esc);
            s += 2;
        } else if (n == 3) {
            puts_(l, s[2] == 0xa8 ? "\\u2028" : "\\u2029");
            s += 3;
        } else if (quoting && (*s == '"' || *s == '\\')) {
            esc[0] = '\\';
            esc[1] = (char)*s++;
            put(l, esc, 2);
        } else {
            put(l, (const char *)s++, 1);
        }
    }
}

/* Whether a value can be written bare in a text line: not empty, no blank, quote, backslash,
 * '=' or unsafe character. */
static int plain(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s == ' ' || *s == '"' || *s == '\\' || *s == '=' || unsafe_at(s))
            return 0;
    return 1;
}

/* text, or when it is longer than max bytes its first max bytes (cut between characters) and
 * "…(N bytes)", written into tmp (max + MARKER_BYTES bytes at least). */
static const char *capped(const char *text, size_t max, char *tmp)
{
    size_t len = strlen(text);
    if (len <= max)
        return text;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
        cut--;
    memcpy(tmp, text, cut);
    snprintf(tmp + cut, MARKER_BYTES, "\xe2\x80\xa6(%zu bytes)", len);
    return tmp;
}

static void put_time_level(line_buf *l, wc_log_level level)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char head[64];
    int n = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000L);
    put(l, head, (size_t)n);
    if (logger.format == WC_LOG_TEXT) {
        n = snprintf(head, sizeof(head), " %-5s ", level_names[level]);
        put(l, head, (size_t)n);
    }
}

static void emit(line_buf *l)
{
    l->buf[l->len++] = '\n';
    /* A failing log has nowhere left to be reported: the line is dropped. */
    if (logger.to_stderr)
        wc_write_all(STDERR_FILENO, l->buf, l->len);
    if (logger.fd >= 0)
        wc_write_all(logger.fd, l->buf, l->len);
}

/* A JSON string of text: as it is when it is UTF-8, else with every byte over 0x7f as '?' (jansson
 * takes only UTF-8). */
static json_t *json_text(const char *text)
{
    json_t *j = json_string(text);
    if (j)
        return j;
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (char *c = copy; *c; c++)
        if ((unsigned char)*c > 0x7f)
            *c = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* The JSON line: time, level, msg, then the fields, each value capped. Falls back to the text
 * line when out of memory. */
static int emit_json(wc_log_level level, const char *msg, const wc_log_field *fields, size_t n)
{
    char head[64];
    line_buf l = {head, sizeof(head), 0};
    put_time_level(&l, level);
    head[l.len] = '\0';
    char *tmp = malloc(MSG_MAX_BYTES + MARKER_BYTES);
    json_t *o = json_object();
    if (!tmp || !o) {
        free(tmp);
        json_decref(o);
        return -1;
    }
    json_object_set_new(o, "time", json_string(head));
    json_object_set_new(o, "level", json_string(level_names[level]));
    if (msg)
        json_object_set_new(o, "msg", json_text(capped(msg, MSG_MAX_BYTES, tmp)));
    for (size_t i = 0; i < n; i++) {
        const wc_log_field *f = &fields[i];
        if (f->kind == WC_LF_UINT)
            json_object_set_new(o, f->key, json_integer((json_int_t)f->u));
        else if (f->kind == WC_LF_REAL)
            json_object_set_new(o, f->key, json_real(f->d));
        else if (f->s)
            json_object_set_new(o, f->key, json_text(capped(f->s, FIELD_MAX_BYTES, tmp)));
    }
    free(tmp);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (!text)
        return -1;
    size_t len = strlen(text);
    char *bigger = realloc(text, len + 2); /* room for the newline */
    if (!bigger) {
        free(text);
        return -1;
    }
    line_buf line = {bigger, len + 2, len};
    emit(&line);
    free(bigger);
    return 0;
}

/* The most bytes a text line of msg and fields can take, with the caps (the newline included). */
static size_t line_size(const char *msg, const wc_log_field *fields, size_t n)
{
    size_t size = 64 + 1; /* time, level; the newline */
    if (msg) {
        size_t len = strlen(msg);
        size += ESCAPE_RATIO * ((len < MSG_MAX_BYTES ? len : MSG_MAX_BYTES) + MARKER_BYTES);
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = fields[i].s ? strlen(fields[i].s) : 0;
        size += strlen(fields[i].key) + 4 + 64 + /* " k=", quotes; a number */
                ESCAPE_RATIO * ((len < FIELD_MAX_BYTES ? len : FIELD_MAX_BYTES) + MARKER_BYTES);
    }
    return size;
}

void wc_log_fields(wc_log_level level, const char *msg, const wc_log_field *fields, size_t n)
{
    if (!wc_log_enabled(level))
        return;
    if (logger.format == WC_LOG_JSON && emit_json(level, msg, fields, n) == 0)
        return;
    char small[1024];
    char tmp[MSG_MAX_BYTES + MARKER_BYTES];
    size_t size = line_size(msg, fields, n);
    line_buf l = {size <= sizeof(small) ? small : malloc(size), size, 0};
    if (!l.buf) { /* out of memory: the time and level, and as much as fits */
        l.buf = small;
        l.size = sizeof(small);
    }
    put_time_level(&l, level);
    const char *sep = "";
    if (msg) {
        put_escaped(&l, capped(msg, MSG_MAX_BYTES, tmp), 0);
        sep = " ";
    }
    for (size_t i = 0; i < n; i++) {
        const wc_log_field *f = &fields[i];
        char num[64];
        if ((f->kind == WC_LF_STR || f->kind == WC_LF_QUOTED) && !f->s)
            continue;
        puts_(&l, sep);
        sep = " ";
        puts_(&l, f->key);
        puts_(&l, "=");
        if (f->kind == WC_LF_UINT) {
            snprintf(num, sizeof(num), "%llu", (unsigned long long)f->u);
            puts_(&l, num);
        } else if (f->kind == WC_LF_REAL) {
            snprintf(num, sizeof(num), "%.*f", (int)f->u, f->d);
            puts_(&l, num);
        } else {
            const char *v = capped(f->s, FIELD_MAX_BYTES, tmp);
            if (f->kind == WC_LF_STR && plain(v)) {
                puts_(&l, v);
            } else {
                puts_(&l, "\"");
                put_escaped(&l, v, 1);
                puts_(&l, "\"");
            }
        }
    }
    emit(&l);
    if (l.buf != small)
        free(l.buf);
}

void wc_log(wc_log_level level, const char *fmt, ...)
{
    if (!wc_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wc_log_fields(level, msg, NULL, 0);
}
