/* buf.h - a growing byte buffer with a hard cap (curl's dynbuf is the model): every string that
 * grows from outside (HTTP bodies, a child's output, files, XML text) or is built piece by piece
 * (SigV4's canonical forms) lives in one, so nothing grows without bound.
 *
 * The bytes are always NUL-terminated (s[len] == '\0'). When an add would pass the cap, or memory
 * runs out, the buffer frees its bytes and remembers why: that add and every later one return
 * the same error (WC_ERR_TOO_LARGE or WC_ERR_NOMEM) until wc_buf_reset, so a caller may add
 * several pieces and check once. Growth doubles, so n bytes cost O(n) copying in all. */
#ifndef WC_BUF_H
#define WC_BUF_H

#include <stddef.h>

#include "common/error.h"

typedef struct {
    char *s;         /* the bytes and a NUL (owned); NULL until the first byte */
    size_t len;      /* bytes held, not counting the NUL */
    size_t alloc;    /* bytes allocated at s */
    size_t max;      /* the cap on len */
    wc_result error; /* WC_OK, or why the buffer failed (sticky until reset) */
    int secret;      /* wc_buf_init_secret */
} wc_buf;

/* An empty buffer that holds at most max bytes (the NUL aside). Nothing is allocated yet. */
void wc_buf_init(wc_buf *b, size_t max);
/* The same, for secrets (credentials): no copy of its bytes is left in freed memory. It grows by
 * a new block (the old one zeroed, then freed, where realloc could leave it as it was), and
 * zeroes its whole block on reset, free and failure. What wc_buf_take hands out is the caller's
 * to scrub. */
void wc_buf_init_secret(wc_buf *b, size_t max);
/* Frees the bytes; the buffer is empty again (same cap, still secret or not), its error cleared. */
void wc_buf_free(wc_buf *b);
/* Empties the buffer and clears its error, keeping the memory for reuse. */
void wc_buf_reset(wc_buf *b);

/* Appends n bytes of p. WC_OK, or WC_ERR_TOO_LARGE (the cap would be passed) or WC_ERR_NOMEM:
 * the buffer is then empty and failed (see above). */
wc_result wc_buf_add(wc_buf *b, const void *p, size_t n);
/* Appends a string (without its NUL). */
wc_result wc_buf_addstr(wc_buf *b, const char *s);
/* Appends printf's output. */
wc_result wc_buf_printf(wc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The bytes so far, "" when none (borrowed: valid until the next add, reset or free). */
const char *wc_buf_str(const wc_buf *b);
/* Hands the bytes over (the caller frees them; NULL when none was added or the buffer failed)
 * with their length in *len when len is not NULL; the buffer is empty again. */
char *wc_buf_take(wc_buf *b, size_t *len);

/* Room for one more item in a growing array of n items of size bytes, *cap of which fit: returns
 * the array, moved when it was full (its capacity doubled, or first when it had none, in *cap),
 * or NULL when memory ran out (the array then as it was, still the caller's). Doubling: n items
 * cost O(n) copying in all. */
void *wc_array_room(void *items, size_t n, size_t *cap, size_t size, size_t first);

#endif
