/* fsutil.h - small file-system helpers shared by the directory source, store and tools. */
#ifndef WC_FSUTIL_H
#define WC_FSUTIL_H

#include <stddef.h>

#include "common/error.h"

/* Reads a whole file, at most cap bytes. On success *out is a NUL-terminated heap buffer the
 * caller frees, *len its length. A larger file: WC_ERR_TOO_LARGE with *len set to its real
 * size and *out NULL. A missing file: WC_ERR_NOT_FOUND. */
wc_result wc_read_file(const char *path, size_t cap, char **out, size_t *len, wc_error *err);

/* Writes data to path atomically: a temporary file in the same folder, fsync'd if durable is
 * set, then rename(2). Readers see the old content or the new, never a part. */
wc_result wc_write_file_atomic(const char *path, const char *data, size_t len, int durable,
                               wc_error *err);

/* The same, but only where path does not exist yet (link(2) instead of rename(2)): WC_ERR_CONFLICT
 * when it does, and then nothing is changed. */
wc_result wc_write_file_new(const char *path, const char *data, size_t len, int durable,
                            wc_error *err);

/* Writes all of data to fd (again after EINTR and short writes): WC_OK, else what errno means. */
wc_result wc_write_all(int fd, const char *data, size_t len);

/* mkdir -p. */
wc_result wc_mkdirs(const char *path, wc_error *err);

/* Moves a file, copying when source and target are on different file systems. */
wc_result wc_move_file(const char *from, const char *to, wc_error *err);

/* Joins a and b with one '/', into a heap string the caller frees (NULL: out of memory). */
char *wc_path_join(const char *a, const char *b);

/* What an errno means: ENOENT not found, ENAMETOOLONG rejected for good (the name is too long,
 * whatever happens), the rest an I/O failure to try again (a full disk, a permission). */
wc_result wc_errno_result(int e);

#endif
