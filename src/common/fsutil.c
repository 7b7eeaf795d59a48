#include "common/fsutil.h"

#include "common/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

wc_result wc_errno_result(int e)
{
    if (e == ENOENT)
        return WC_ERR_NOT_FOUND;
    if (e == ENAMETOOLONG)
        return WC_ERR_REJECTED; /* this name can never be written: not an outage */
    return WC_ERR_IO;
}

wc_result wc_read_file(const char *path, size_t cap, char **out, size_t *len, wc_error *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wc_error_set(err, wc_errno_result(errno), "%s: %s", path, strerror(errno));
    wc_result result = WC_OK;
    struct stat st;
    wc_buf buf;
    wc_buf_init(&buf, cap);
    if (fstat(fd, &st) != 0) {
        result = wc_error_set(err, wc_errno_result(errno), "%s: %s", path, strerror(errno));
        goto done;
    }
    if ((size_t)st.st_size > cap) {
        *len = (size_t)st.st_size;
        result = wc_error_set(err, WC_ERR_TOO_LARGE, "%s: %zu bytes, over the %zu-byte limit", path,
                              (size_t)st.st_size, cap);
        goto done;
    }
    /* Read to the end whatever stat said: the file may grow while we read. */
    size_t used = 0;
    for (;;) {
        char chunk[16384];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            result = wc_error_set(err, wc_errno_result(errno), "%s: %s", path, strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        result = wc_buf_add(&buf, chunk, (size_t)n);
        if (result == WC_ERR_TOO_LARGE) {
            *len = used;
            result = wc_error_set(err, WC_ERR_TOO_LARGE, "%s: over the %zu-byte limit", path, cap);
            goto done;
        }
        if (result != WC_OK) {
            result = wc_error_set(err, WC_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
    }
    /* An empty file is "" too: adding nothing allocates the NUL. */
    if (wc_buf_add(&buf, "", 0) != WC_OK) {
        result = wc_error_set(err, WC_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    *out = wc_buf_take(&buf, len);
done:
    wc_buf_free(&buf);
    close(fd);
    return result;
}

wc_result wc_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return wc_errno_result(errno);
        data += n;
        len -= (size_t)n;
    }
    return WC_OK;
}

static wc_result write_file(const char *path, const char *data, size_t len, int durable,
                            int only_new, wc_error *err)
{
    /* The temporary name starts with '.' so directory listings of requests skip it. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t tmplen = strlen(path) + 32;
    char *tmp = malloc(tmplen);
    if (!tmp)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    static unsigned counter;
    snprintf(tmp, tmplen, "%.*s.tmp-%ld-%u-%s", (int)dirlen, path, (long)getpid(), counter++,
             path + dirlen);
    wc_result result = WC_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        result = wc_error_set(err, wc_errno_result(errno), "%s: %s", tmp, strerror(errno));
        goto done;
    }
    if (wc_write_all(fd, data, len) != WC_OK || (durable && fsync(fd) != 0)) {
        result = wc_error_set(err, wc_errno_result(errno), "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }
    close(fd);
    if (only_new) {
        if (link(tmp, path) != 0)
            result = errno == EEXIST ? WC_ERR_CONFLICT
                                     : wc_error_set(err, wc_errno_result(errno), "%s: %s", path,
                                                    strerror(errno));
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        result = wc_error_set(err, wc_errno_result(errno), "%s: %s", path, strerror(errno));
        unlink(tmp);
    }
done:
    free(tmp);
    return result;
}

wc_result wc_write_file_atomic(const char *path, const char *data, size_t len, int durable,
                               wc_error *err)
{
    return write_file(path, data, len, durable, 0, err);
}

wc_result wc_write_file_new(const char *path, const char *data, size_t len, int durable,
                            wc_error *err)
{
    return write_file(path, data, len, durable, 1, err);
}

wc_result wc_mkdirs(const char *path, wc_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_result result = WC_OK;
    for (char *p = copy + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
                result = wc_error_set(err, wc_errno_result(errno), "%s: %s", copy, strerror(errno));
                break;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(copy);
    return result;
}

wc_result wc_move_file(const char *from, const char *to, wc_error *err)
{
    if (rename(from, to) == 0)
        return WC_OK;
    if (errno != EXDEV)
        return wc_error_set(err, wc_errno_result(errno), "moving %s to %s: %s", from, to,
                            strerror(errno));
    char *data = NULL;
    size_t len = 0;
    wc_result result = wc_read_file(from, SIZE_MAX / 2, &data, &len, err);
    if (result == WC_OK)
        result = wc_write_file_atomic(to, data, len, 1, err);
    if (result == WC_OK && unlink(from) != 0)
        result = wc_error_set(err, wc_errno_result(errno), "%s: %s", from, strerror(errno));
    free(data);
    return result;
}

char *wc_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    char *out = malloc(la + lb + 2);
    if (!out)
        return NULL;
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return out;
}
