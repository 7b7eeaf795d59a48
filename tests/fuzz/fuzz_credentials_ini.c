/* The shared credentials and config files (src/aws/credentials_profile.c, read with inih): the
 * input is the credentials file and, after a NUL byte, the config file; the profile provider and
 * the region lookup read them as a consumer would (from a file, through AWS_SHARED_CREDENTIALS_FILE
 * and AWS_CONFIG_FILE). Credentials found have a key id and a secret; every other answer is "not
 * here" or an error with a message. */
#define _GNU_SOURCE /* memfd_create */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "fuzz.h"

/* The two files live in memory (memfd), named by /proc/self/fd/N: no disk in the loop. */
static int cred_fd = -1, conf_fd = -1;

static void write_file(int fd, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(ftruncate(fd, 0) == 0);
    FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
}

static int memory_file(const char *name, const char *var)
{
    int fd = memfd_create(name, 0);
    FUZZ_CHECK(fd >= 0);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    setenv(var, path, 1);
    return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    cred_fd = memory_file("credentials", "AWS_SHARED_CREDENTIALS_FILE");
    conf_fd = memory_file("config", "AWS_CONFIG_FILE");
    unsetenv("AWS_PROFILE");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size;
    write_file(cred_fd, data, first);
    if (nul)
        write_file(conf_fd, nul + 1, size - first - 1);
    else
        write_file(conf_fd, data, size);

    static const char *const profiles[] = {NULL, "ops", "profile ops", "cfgonly"};
    const char *profile = profiles[size % 4];
    wc_credential_provider *p = wc_credentials_from_profile(profile, NULL);
    FUZZ_CHECK(p);
    wc_credentials c;
    wc_error err;
    wc_result result = p->fetch(p, &c, &err);
    /* this plain reader (no transport) never hands a fetch to start (no key): a role or process
     * profile is an error that says so */
    if (result == WC_OK) {
        FUZZ_CHECK(c.access_key_id && c.secret_access_key);
        FUZZ_CHECK(strncmp(c.source, "profile ", 8) == 0);
        FUZZ_CHECK(c.expiration == 0);
        wc_credentials_cleanup(&c);
    } else {
        /* not there; broken (INVALID, or a role/process profile this plain reader cannot
         * serve, which says so); never a silent success */
        FUZZ_CHECK(result == WC_ERR_NOT_FOUND || err.msg[0] != '\0');
    }
    p->destroy(p);
    free(wc_profile_region(profile));
    return 0;
}
