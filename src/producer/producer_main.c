/* widget-producer: writes a realistic stream of Widget Requests into a request directory (one
 * file per request, named by 13-digit epoch milliseconds), and the expected final state. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/fsutil.h"
#include "common/options.h"
#include "producer/generator.h"

typedef struct {
    const char *request_dir, *request_bucket, *request_queue, *expected, *seed;
    uint64_t max_requests, delay_ms;
    int quiet, help;
} producer_config;

#define OFF(f) offsetof(producer_config, f)

static const wc_option producer_options[] = {
    {"request-dir", NULL, WC_OPT_STRING, "DIR", NULL, NULL, OFF(request_dir),
     "write requests as files into DIR (created when missing)"},
    {"request-bucket", "rb", WC_OPT_STRING, "BUCKET", NULL, NULL, OFF(request_bucket),
     "write requests to an S3 bucket"},
    {"request-queue", "rq", WC_OPT_STRING, "QUEUE", NULL, NULL, OFF(request_queue),
     "write requests to an SQS queue"},
    {"max-widget-requests", "mwr", WC_OPT_UINT, "N", "100", NULL, OFF(max_requests),
     "how many requests to write"},
    {"delay", "d", WC_OPT_UINT, "MS", "0", NULL, OFF(delay_ms), "wait between two requests"},
    {"seed", NULL, WC_OPT_STRING, "N", NULL, NULL, OFF(seed),
     "seed of the random stream: the same seed gives the same requests (default: the time)"},
    {"expected", NULL, WC_OPT_STRING, "FILE", NULL, NULL, OFF(expected),
     "write the expected final state (the widgets that should exist) to FILE"},
    {"quiet", "q", WC_OPT_FLAG, NULL, NULL, NULL, OFF(quiet), "no summary line"},
    {"help", "h", WC_OPT_FLAG, NULL, NULL, NULL, OFF(help), "print this help and exit"},
    WC_OPTIONS_END,
};

/* Writes one request as DIR/KEY, KEY being 13-digit epoch ms, unique and increasing: the file
 * appears whole (written aside, then linked), and a name already taken moves the key on. */
static int write_request(const char *dir, const char *json, uint64_t *last_key)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof(tmp), "%s/.producing-%ld", dir, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(json);
    int ok = write(fd, json, len) == (ssize_t)len;
    close(fd);
    if (!ok) {
        unlink(tmp);
        return -1;
    }
    uint64_t key = wc_epoch_ms();
    if (key <= *last_key)
        key = *last_key + 1;
    for (;; key++) {
        snprintf(path, sizeof(path), "%s/%013llu", dir, (unsigned long long)key);
        if (link(tmp, path) == 0)
            break;
        if (errno != EEXIST) {
            unlink(tmp);
            return -1;
        }
    }
    *last_key = key;
    unlink(tmp);
    return 0;
}

int main(int argc, char **argv)
{
    producer_config c;
    memset(&c, 0, sizeof(c));
    wc_error err;
    const char *pos[1];
    int npos = 0;
    if (wc_options_parse(producer_options, &c, argc, argv, pos, 0, &npos, &err) != WC_OK) {
        fprintf(stderr, "widget-producer: %s\n", err.msg);
        return 2;
    }
    if (c.help) {
        printf("Usage: widget-producer --request-dir DIR [options]\n"
               "Writes Widget Requests: about 86%% create, 10%% update, 4%% delete.\n\nOptions:\n");
        wc_options_help(producer_options, stdout);
        return 0;
    }
    if (c.request_bucket || c.request_queue) {
        fprintf(stderr, "widget-producer: %s: S3 and SQS targets are not built in this version "
                        "yet; use --request-dir\n",
                c.request_bucket ? "-rb/--request-bucket" : "-rq/--request-queue");
        return 2;
    }
    if (!c.request_dir) {
        fprintf(stderr, "widget-producer: name a target: --request-dir DIR\n");
        return 2;
    }
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (c.seed && wc_parse_uint(c.seed, &seed) != WC_OK) {
        fprintf(stderr, "widget-producer: --seed: \"%s\" is not a whole number\n", c.seed);
        return 2;
    }
    if (wc_mkdirs(c.request_dir, &err) != WC_OK) {
        fprintf(stderr, "widget-producer: %s\n", err.msg);
        return 1;
    }
    wc_generator *g = wc_generator_new(seed);
    if (!g) {
        fprintf(stderr, "widget-producer: out of memory\n");
        return 1;
    }
    uint64_t counts[3] = {0, 0, 0}, last_key = 0, t0 = wc_monotonic_ns();
    int status = 0;
    for (uint64_t i = 0; i < c.max_requests; i++) {
        wc_request *r = wc_generator_next(g);
        char *json = r ? wc_request_to_json(r) : NULL;
        if (!json || write_request(c.request_dir, json, &last_key) != 0) {
            fprintf(stderr, "widget-producer: writing request %llu to %s: %s\n",
                    (unsigned long long)i + 1, c.request_dir, json ? strerror(errno) : "out of memory");
            free(json);
            wc_request_free(r);
            status = 1;
            break;
        }
        counts[r->type]++;
        free(json);
        wc_request_free(r);
        if (c.delay_ms)
            wc_clock_system()->sleep_ms(wc_clock_system(), c.delay_ms);
    }
    if (status == 0 && c.expected &&
        wc_widget_map_save(wc_generator_expected(g), c.expected, &err) != WC_OK) {
        fprintf(stderr, "widget-producer: %s\n", err.msg);
        status = 1;
    }
    if (status == 0 && !c.quiet)
        printf("produced %llu requests (%llu create, %llu update, %llu delete; seed %llu) into %s "
               "in %.3f s; %zu widgets expected\n",
               (unsigned long long)(counts[0] + counts[1] + counts[2]),
               (unsigned long long)counts[0], (unsigned long long)counts[1],
               (unsigned long long)counts[2], (unsigned long long)seed, c.request_dir,
               (double)(wc_monotonic_ns() - t0) / 1e9,
               wc_widget_map_size(wc_generator_expected(g)));
    wc_generator_free(g);
    return status;
}
