#include "common/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_ALLOC 256

void wc_buf_init(wc_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
    b->error = WC_OK;
}

void wc_buf_init_secret(wc_buf *b, size_t max)
{
    wc_buf_init(b, max);
    b->secret = 1;
}

/* A secret buffer's block zeroed, all of it. */
static void scrub(wc_buf *b)
{
    if (b->secret && b->s)
        explicit_bzero(b->s, b->alloc);
}

void wc_buf_free(wc_buf *b)
{
    int secret = b->secret;
    scrub(b);
    free(b->s);
    wc_buf_init(b, b->max);
    b->secret = secret;
}

void wc_buf_reset(wc_buf *b)
{
    scrub(b);
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
    b->error = WC_OK;
}

/* The buffer fails with result: its bytes go, the reason stays. */
static wc_result fail(wc_buf *b, wc_result result)
{
    wc_buf_free(b);
    b->error = result;
    return result;
}

/* Room for n more bytes and the NUL. */
static wc_result reserve(wc_buf *b, size_t n)
{
    if (b->error != WC_OK)
        return b->error;
    if (n > b->max - b->len)
        return fail(b, WC_ERR_TOO_LARGE);
    size_t need = b->len + n + 1;
    if (need <= b->alloc)
        return WC_OK;
    size_t alloc = b->alloc ? b->alloc : FIRST_ALLOC;
    while (alloc < need)
        alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
    if (b->max < SIZE_MAX && alloc > b->max + 1) /* never more than the cap can use */
        alloc = b->max + 1;
    char *bigger = b->secret ? malloc(alloc) : realloc(b->s, alloc);
    if (!bigger)
        return fail(b, WC_ERR_NOMEM);
    if (b->secret && b->s) { /* moved by hand: the old block zeroed before it goes */
        memcpy(bigger, b->s, b->len + 1);
        scrub(b);
        free(b->s);
    }
    b->s = bigger;
    b->alloc = alloc;
    return WC_OK;
}

wc_result wc_buf_add(wc_buf *b, const void *p, size_t n)
{
    wc_result result = reserve(b, n);
    if (result != WC_OK)
        return result;
    if (n)
        memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
    return WC_OK;
}

wc_result wc_buf_addstr(wc_buf *b, const char *s)
{
    return wc_buf_add(b, s, strlen(s));
}

wc_result wc_buf_printf(wc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    wc_result result = n < 0 ? fail(b, WC_ERR_INVALID) : reserve(b, (size_t)n);
    if (result != WC_OK)
        return result;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return WC_OK;
}

const char *wc_buf_str(const wc_buf *b)
{
    return b->s ? b->s : "";
}

char *wc_buf_take(wc_buf *b, size_t *len)
{
    char *s = b->error == WC_OK ? b->s : NULL;
    if (len)
        *len = s ? b->len : 0;
    b->s = NULL;
    wc_buf_free(b);
    return s;
}

void *wc_array_room(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return items;
    size_t bigger = *cap ? *cap * 2 : first;
    void *moved = bigger <= SIZE_MAX / size ? realloc(items, bigger * size) : NULL;
    if (moved)
        *cap = bigger;
    return moved;
}
