/* testutil.h - helpers shared by the unit tests: temporary directories and small file I/O.
 * Included by each test file (header-only, static functions). */
#ifndef WC_TESTUTIL_H
#define WC_TESTUTIL_H

#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "core/widget.h"

/* Appends n attributes "attr00000".. valued "v0".. to w, in that order or the other way round
 * (reversed): a wide widget, for the paths that cost by the number of attributes. */
static inline void append_wide(wc_widget *w, size_t n, int reversed)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = reversed ? n - 1 - k : k;
        char name[32], value[32];
        snprintf(name, sizeof(name), "attr%05zu", i);
        snprintf(value, sizeof(value), "v%zu", i);
        assert_int_equal(wc_widget_append_attr(w, name, value), WC_OK);
    }
}

/* A new empty directory under /tmp; caller frees the name and removes it with rm_rf. */
static inline char *make_temp_dir(void)
{
    char *tmpl = strdup("/tmp/wc-test-XXXXXX");
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void rm_rf(char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static inline void write_text(const char *dir, const char *name, const char *text)
{
    char *path = wc_path_join(dir, name);
    FILE *f = fopen(path, "w");
    free(path);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The whole file as a heap string, or NULL when it does not exist. */
static inline char *read_text(const char *dir, const char *name)
{
    char *path = wc_path_join(dir, name);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = calloc(1, (size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return buf;
}

static inline int file_exists(const char *dir, const char *name)
{
    struct stat st;
    char *path = wc_path_join(dir, name);
    int found = stat(path, &st) == 0;
    free(path);
    return found;
}

/* No AWS credential, profile, endpoint or CA setting of the environment (a developer's own
 * would leak into the tests), and IMDSv2 off. */
static inline void cred_env_clear(void)
{
    static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SECRET_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_PROFILE",
                                       "AWS_SHARED_CREDENTIALS_FILE",
                                       "AWS_CONFIG_FILE",
                                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                       "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                                       "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                       "AWS_WEB_IDENTITY_TOKEN_FILE",
                                       "AWS_ROLE_ARN",
                                       "AWS_ROLE_SESSION_NAME",
                                       "AWS_ENDPOINT_URL_STS",
                                       "AWS_ENDPOINT_URL",
                                       "AWS_ENDPOINT_URL_S3",
                                       "AWS_ENDPOINT_URL_SQS",
                                       "AWS_ENDPOINT_URL_DYNAMODB",
                                       "AWS_CA_BUNDLE"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

/* The credential tests' world: HOME a new empty directory (returned: free it with
 * cred_env_release) and the environment cleared (cred_env_clear). Each test sets what it asks. */
static inline char *cred_env_isolate(void)
{
    char *home = make_temp_dir();
    setenv("HOME", home, 1);
    cred_env_clear();
    return home;
}

static inline void cred_env_release(char *home)
{
    rm_rf(home);
}

/* How many entries a directory has, hidden ones included (not . and ..). */
static inline int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* A clock that never sleeps: sleeping advances time. */
typedef struct {
    uint64_t now;
    uint64_t slept;
    unsigned sleeps;
} fake_time;

static inline uint64_t fake_now(wc_clock *c)
{
    return ((fake_time *)c->state)->now;
}

static inline void fake_sleep(wc_clock *c, uint64_t ms)
{
    fake_time *t = c->state;
    t->now += ms;
    t->slept += ms;
    t->sleeps++;
}

#define FAKE_CLOCK(name, t) wc_clock name = {fake_now, fake_sleep, &(t), NULL}

#ifdef WC_REQUEST_H
/* A request from JSON that must be valid (the test fails otherwise). */
static inline wc_request *req(const char *json)
{
    wc_request *r = NULL;
    wc_error err;
    if (wc_request_parse("t", json, strlen(json), &r, &err) != WC_OK)
        fail_msg("%s", err.msg);
    return r;
}
#endif

/* The log into dir/test.log at level, stderr quiet, until log_capture_end. */
static inline void log_capture(const char *dir, wc_log_level level)
{
    char *path = wc_path_join(dir, "test.log");
    wc_log_to_stderr(0);
    assert_int_equal(wc_log_open(level, path, NULL), WC_OK);
    free(path);
}

/* Ends log_capture: the log back on stderr at INFO; what dir/test.log holds (caller frees). */
static inline char *log_capture_end(const char *dir)
{
    wc_log_close();
    wc_log_open(WC_LOG_INFO, NULL, NULL);
    wc_log_to_stderr(1);
    char *text = read_text(dir, "test.log");
    assert_non_null(text);
    return text;
}

#endif
