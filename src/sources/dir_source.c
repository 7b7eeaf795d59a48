#include "sources/dir_source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/strmap.h"
#include "sources/deferrals.h"

/* How many of the smallest names one directory scan keeps (the look-ahead). */
#define BATCH_MAX 256
#define CLAIM_TAG ".claimed-"
/* The longest "NAME.reason" of a dead letter: its temporary file adds ".tmp-PID-N-" (at most 24
 * bytes) within NAME_MAX. A longer one is named by NAME's first 200 bytes and a hash of it. */
#define REASON_NAME_MAX (NAME_MAX - 24)

typedef struct {
    char *dir;
    char *dead_letter_dir;
    size_t max_body;
    wc_clock *clock;
    char id[17];       /* this consumer's claim tag: random, so it means the same in any
                          container or host sharing the directory */
    uint64_t lease_ms; /* a claim not renewed for this long was left by a consumer gone */
    wc_clock *wall;    /* epoch ms for leases (files' modification times); NULL: the system's */
    wc_loop *loop;     /* renews the claims in hand from renew_timer (NULL: at each receive) */
    wc_timer renew_timer;
    wc_strmap *held; /* the claims in this consumer's hands, renewed while held: path -> the
                        uint64_t wall-clock ms of its last renewal */
    char *batch[2 * BATCH_MAX]; /* names from the last scan, sorted once it is done */
    size_t batch_len, batch_pos;
    int trimmed; /* batch[BATCH_MAX - 1] is the largest name a scan keeps (batch_offer) */
    wc_deferrals *deferrals;
    wc_shard shard;
    wc_deferrals *foreign; /* files of other shards, not to be read again */
} dir_source;

static void clear_batch(dir_source *s)
{
    for (size_t i = 0; i < s->batch_len; i++)
        free(s->batch[i]);
    s->batch_len = s->batch_pos = 0;
    s->trimmed = 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the names gathered and keeps the BATCH_MAX smallest. */
static void trim_batch(dir_source *s)
{
    qsort(s->batch, s->batch_len, sizeof(*s->batch), name_cmp);
    while (s->batch_len > BATCH_MAX)
        free(s->batch[--s->batch_len]);
    s->trimmed = s->batch_len == BATCH_MAX;
}

/* Keeps the BATCH_MAX smallest names seen, O(n log k) for a directory of n files: up to twice as
 * many gather, then the larger half goes (trim_batch); a name not below the largest kept at the
 * last trim (batch[BATCH_MAX - 1], as later names go after it) is never kept. */
static int batch_offer(dir_source *s, const char *name)
{
    if (s->trimmed && strcmp(name, s->batch[BATCH_MAX - 1]) >= 0)
        return 0;
    if (s->batch_len == 2 * BATCH_MAX)
        trim_batch(s);
    char *copy = strdup(name);
    if (!copy)
        return -1;
    s->batch[s->batch_len++] = copy;
    return 0;
}

static int claimed_elsewhere(dir_source *s, const char *entry, char *name, size_t cap);

/* Lists the directory: the smallest ready names into the batch. Returns how many requests are
 * still waiting there (deferred, or in other consumers' hands). */
static wc_result scan(dir_source *s, size_t *waiting, wc_error *err)
{
    clear_batch(s);
    *waiting = 0;
    DIR *d = opendir(s->dir);
    if (!d)
        return wc_error_set(err, WC_ERR_IO, "request directory \"%s\": %s", s->dir,
                            strerror(errno));
    wc_deferrals_unmark_all(s->deferrals);
    wc_deferrals_unmark_all(s->foreign);
    uint64_t now = s->clock->now_ms(s->clock);
    struct dirent *de;
    wc_result result = WC_OK;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            /* In another consumer's hands: it may come back (another shard's peek, a deferral,
             * a failure), so the directory is not empty yet, and what we know of it stays. */
            char name[NAME_MAX + 1];
            if (claimed_elsewhere(s, de->d_name, name, sizeof(name))) {
                (*waiting)++;
                wc_deferrals_mark(s->deferrals, name);
                wc_deferrals_mark(s->foreign, name);
            }
            continue;
        }
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
            continue;
        wc_deferrals_mark(s->deferrals, de->d_name);
        if (wc_deferrals_attempts(s->foreign, de->d_name)) {
            wc_deferrals_mark(s->foreign, de->d_name);
            continue;
        }
        if (wc_deferrals_waiting(s->deferrals, de->d_name, now)) {
            (*waiting)++;
            continue;
        }
        if (batch_offer(s, de->d_name) != 0) {
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
            break;
        }
    }
    closedir(d);
    trim_batch(s);
    /* Forget deferrals of files that are gone (another consumer finished them). */
    wc_deferrals_sweep(s->deferrals);
    wc_deferrals_sweep(s->foreign);
    return result;
}

/* Wall-clock milliseconds: claims are judged by their files' modification times. */
static uint64_t now_wall(dir_source *s)
{
    return s->wall ? s->wall->now_ms(s->wall) : wc_epoch_ms();
}

/* Marks a claim as alive now: its file's modification time is the lease's start. */
static void renew(dir_source *s, const char *path)
{
    uint64_t ms = now_wall(s);
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    struct timespec times[2] = {t, t};
    utimensat(AT_FDCWD, path, times, 0);
}

static void renew_held(dir_source *s);

/* The claims in hand are renewed from the loop, every third of the lease, whether or not the
 * poller asks for more requests: while the store is out (up to --max-outage) it stops calling
 * receive with enough in hand, and a claim renewed only there ran out under others' eyes. */
static void on_renew_timer(void *ctx)
{
    dir_source *s = ctx;
    renew_held(s);
    if (wc_strmap_count(s->held) > 0)
        wc_loop_timer_start(s->loop, &s->renew_timer, s->lease_ms / 3, on_renew_timer, s);
}

/* Keeps path among the claims to renew. -1: out of memory (the caller hands the claim back). */
static int hold(dir_source *s, const char *path)
{
    uint64_t *renewed_ms = wc_strmap_put(s->held, path, NULL);
    if (!renewed_ms)
        return -1;
    *renewed_ms = now_wall(s);
    if (s->loop && !wc_loop_timer_running(&s->renew_timer) &&
        wc_loop_timer_start(s->loop, &s->renew_timer, s->lease_ms / 3, on_renew_timer, s) != WC_OK)
        return -1;
    return 0;
}

static void unhold(dir_source *s, const char *path)
{
    if (path && wc_strmap_remove(s->held, path) && wc_strmap_count(s->held) == 0 && s->loop)
        wc_loop_timer_stop(s->loop, &s->renew_timer);
}

/* Renews the claims held for a third of the lease: others see them as alive. */
static void renew_held(dir_source *s)
{
    uint64_t now = now_wall(s);
    for (size_t i = 0; i < wc_strmap_count(s->held); i++) {
        uint64_t *renewed_ms = wc_strmap_value_at(s->held, i);
        if (now - *renewed_ms >= s->lease_ms / 3) {
            renew(s, wc_strmap_key_at(s->held, i));
            *renewed_ms = now;
        }
    }
}

static char *claimed_path(dir_source *s, const char *name)
{
    size_t len = strlen(s->dir) + strlen(name) + 48;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/.%s" CLAIM_TAG "%s", s->dir, name, s->id);
    return p;
}

/* Whether the file name at path is this consumer's to claim: always, unless sharded. Sharded: read
 * first, and claim only this consumer's own files. Another shard's files are never claimed, not
 * even for a look, so a file never vanishes for a moment from under its owner (which would let a
 * later request of its widget overtake it), and are not read again. Names are never reused and
 * files appear whole, so what was read is what is claimed: when sharded and mine, *body (a heap
 * buffer the caller owns and frees; NULL when the file is over max_body and *too_large is set) and
 * *len (its length, or a too-large file's size) are what was read, for the claim to use. Otherwise
 * *body is NULL. 0 too when the file is gone. */
static int is_mine(dir_source *s, const char *name, const char *path, char **body, size_t *len,
                   int *too_large)
{
    *body = NULL;
    *len = 0;
    *too_large = 0;
    if (s->shard.count <= 1)
        return 1;
    wc_result pr = wc_read_file(path, s->max_body, body, len, NULL);
    int mine = pr == WC_ERR_TOO_LARGE ? wc_shard_owns(&s->shard, name, NULL, 0)
                                      : pr == WC_OK && wc_shard_owns(&s->shard, name, *body, *len);
    if (!mine && (pr == WC_OK || pr == WC_ERR_TOO_LARGE))
        wc_deferrals_defer(s->foreign, name, 1, UINT64_MAX);
    if (!mine) { /* nothing handed back */
        free(*body);
        *body = NULL;
        *len = 0;
    }
    *too_large = mine && pr == WC_ERR_TOO_LARGE;
    return mine;
}

static wc_result unclaim(dir_source *s, wc_message *msg, wc_error *err);

static wc_receive_status dir_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    dir_source *s = self;
    memset(msg, 0, sizeof(*msg));
    if (!s->loop) /* with a loop, its timer renews them (on_renew_timer): not a walk a receive */
        renew_held(s);
    for (int scanned = 0;;) {
        if (s->batch_pos == s->batch_len) {
            if (scanned)
                break;
            size_t waiting = 0;
            wc_result result = scan(s, &waiting, err);
            if (result != WC_OK)
                return WC_RECEIVE_FAILED;
            scanned = 1;
            if (s->batch_len == 0)
                return waiting ? WC_RECEIVE_WAIT : WC_RECEIVE_EMPTY;
        }
        const char *name = s->batch[s->batch_pos++];
        if (wc_deferrals_waiting(s->deferrals, name, s->clock->now_ms(s->clock)))
            continue;
        char *from = wc_path_join(s->dir, name);
        char *body = NULL; /* sharded: what is_mine read, ours until it goes to msg */
        size_t len = 0;
        int too_large = 0;
        /* Another shard's, or gone: skipped. */
        if (from && !is_mine(s, name, from, &body, &len, &too_large)) {
            free(from);
            continue;
        }
        char *to = claimed_path(s, name);
        msg->key = strdup(name);
        wc_message_set_place_epoch_ms(msg, name, "file name");
        if (!from || !to || !msg->key) {
            free(from);
            free(to);
            free(body);
            wc_message_cleanup(msg);
            return wc_receive_fail(err, WC_ERR_NOMEM, "out of memory");
        }
        /* The lease starts before the claim: rename keeps the producer's time, and a claim seen
         * with it would look expired to another consumer until renewed. */
        renew(s, from);
        int claimed = rename(from, to) == 0;
        int claim_errno = errno;
        if (!claimed && claim_errno == ENAMETOOLONG) {
            /* The claim's name (the file's and 26 bytes) is too long for the file system: handed
             * over unclaimed, to be dead-lettered (moved away at once: no other consumer can
             * claim it either), never read as an outage. */
            free(to);
            free(body);
            size_t why_len = 160;
            msg->handle = from;
            msg->reject_why = malloc(why_len);
            if (!msg->reject_why) {
                wc_message_cleanup(msg);
                free(from);
                return wc_receive_fail(err, WC_ERR_NOMEM, "out of memory");
            }
            snprintf(msg->reject_why, why_len,
                     "its file name (%zu bytes) is too long to claim (at most %d bytes)",
                     strlen(name), NAME_MAX - (int)strlen("." CLAIM_TAG) - 16);
            return WC_RECEIVE_READY;
        }
        free(from);
        if (!claimed) {
            free(to);
            free(body);
            wc_message_cleanup(msg);
            if (claim_errno == ENOENT)
                continue; /* another consumer took it first */
            return wc_receive_fail(err, WC_ERR_IO, "claiming %s/%s: %s", s->dir, name,
                                   strerror(claim_errno));
        }
        msg->handle = to;
        if (hold(s, to) != 0) { /* a claim that would not be renewed: give it back */
            free(body);
            unclaim(s, msg, NULL);
            wc_message_cleanup(msg);
            return wc_receive_fail(err, WC_ERR_NOMEM, "out of memory");
        }
        msg->attempts = wc_deferrals_attempts(s->deferrals, name);
        if (s->shard.count > 1) { /* read before the claim (is_mine): the body goes to msg */
            msg->body = body;
            msg->len = len;
            msg->too_large = too_large;
            return WC_RECEIVE_READY;
        }
        wc_error read_err;
        wc_result r = wc_read_file(to, s->max_body, &msg->body, &msg->len, &read_err);
        if (r == WC_ERR_TOO_LARGE) {
            msg->too_large = 1;
        } else if (r != WC_OK) {
            /* Give the file back untouched: nothing is lost on a read failure. */
            unclaim(s, msg, NULL);
            wc_message_cleanup(msg);
            return wc_receive_fail(err, r, "%s", read_err.msg);
        }
        return WC_RECEIVE_READY;
    }
    /* The whole batch was taken by others or belongs to other shards: the directory is not empty,
     * so this is no empty poll; the next call scans again (without what it now knows to skip). */
    return WC_RECEIVE_WAIT;
}

/* No call: the claim stays until its lease runs out (no longer renewed), then another consumer
 * (or this one, started again) takes the file back. The other ends of a message end with it. */
static void dir_forget(void *self, wc_message *msg)
{
    unhold(self, msg->handle);
    free(msg->handle);
    msg->handle = NULL;
}

/* Renames the claimed file back to its own name. */
static wc_result unclaim(dir_source *s, wc_message *msg, wc_error *err)
{
    char *home = wc_path_join(s->dir, msg->key);
    wc_result result = WC_OK;
    if (!home)
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    else if (rename(msg->handle, home) != 0)
        result = wc_error_set(err, WC_ERR_IO, "handing back %s: %s", home, strerror(errno));
    free(home);
    dir_forget(s, msg);
    return result;
}

static wc_result dir_ack(void *self, wc_message *msg, wc_error *err)
{
    dir_source *s = self;
    wc_result result = WC_OK;
    if (unlink(msg->handle) != 0)
        result =
            wc_error_set(err, WC_ERR_IO, "removing %s: %s", (char *)msg->handle, strerror(errno));
    wc_deferrals_forget(s->deferrals, msg->key);
    dir_forget(s, msg);
    return result;
}

static wc_result dir_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    dir_source *s = self;
    /* Out of memory here only loses the count: the request itself goes back in place. */
    wc_deferrals_defer(s->deferrals, msg->key, msg->attempts + 1,
                       s->clock->now_ms(s->clock) + delay_ms);
    return unclaim(s, msg, err);
}

/* Due now: the next listing offers it again. */
static wc_result dir_hurry(void *self, const char *key)
{
    dir_source *s = self;
    return wc_deferrals_hurry(s->deferrals, key, s->clock->now_ms(s->clock)) ? WC_OK
                                                                             : WC_ERR_NOT_FOUND;
}

static wc_result dir_release(void *self, wc_message *msg, wc_error *err)
{
    return unclaim(self, msg, err);
}

static wc_result move_to_dead_letters(dir_source *s, wc_message *msg, const char *reason,
                                      wc_error *err)
{
    char reason_name[NAME_MAX + 1];
    if (strlen(msg->key) + strlen(".reason") <= REASON_NAME_MAX) {
        snprintf(reason_name, sizeof(reason_name), "%s.reason", msg->key);
    } else { /* a name too long for NAME.reason (and its temp): FNV-1a 64 of the whole name */
        snprintf(reason_name, sizeof(reason_name), "%.200s-%016llx.reason", msg->key,
                 (unsigned long long)wc_fnv1a64(msg->key, strlen(msg->key)));
    }
    wc_buf line; /* the reason, in one line */
    wc_buf_init(&line, SIZE_MAX);
    wc_buf_printf(&line, "%s\n", reason);
    wc_result result = wc_mkdirs(s->dead_letter_dir, err);
    char *target = wc_path_join(s->dead_letter_dir, msg->key);
    char *reason_path = wc_path_join(s->dead_letter_dir, reason_name);
    if (result == WC_OK && (!target || !reason_path || line.error != WC_OK))
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    /* The reason first, then the request: a crash in between leaves the request claimed, and it
     * is handed back and tried again. Nothing is lost either way. */
    if (result == WC_OK)
        result = wc_write_file_atomic(reason_path, line.s, line.len, 1, err);
    if (result == WC_OK)
        result = wc_move_file(msg->handle, target, err);
    if (result == WC_OK) {
        wc_deferrals_forget(s->deferrals, msg->key);
        dir_forget(s, msg);
    } else {
        wc_error_prefix(err, "dead-lettering %s: ", msg->key);
        unclaim(s, msg, NULL); /* keep it in the source: never lose a request */
    }
    free(target);
    free(reason_path);
    wc_buf_free(&line);
    return result;
}

/* Local files: the move is done at once, and so is the call of done. */
static wc_result dir_dead_letter(void *self, wc_message *msg, const char *reason,
                                 wc_source_done done, void *ctx, wc_error *err)
{
    wc_error e;
    wc_error_clear(&e);
    wc_result result = move_to_dead_letters(self, msg, reason, &e);
    done(ctx, result, &e);
    return WC_OK;
}

static void dir_destroy(void *self)
{
    dir_source *s = self;
    if (!s)
        return;
    clear_batch(s);
    if (s->loop)
        wc_loop_timer_stop(s->loop, &s->renew_timer);
    wc_strmap_free(s->held);
    wc_deferrals_free(s->deferrals);
    wc_deferrals_free(s->foreign);
    free(s->dir);
    free(s->dead_letter_dir);
    free(s);
}

/* A hidden claim ".NAME.claimed-ID" of another consumer: 1 while its lease runs (the request is
 * in that consumer's hands: it renews its claims every third of the lease), 0 when it was not a
 * claim or is now handed back (not renewed for a whole lease: that consumer is gone, whatever
 * container or host it ran in), and NAME into name. */
static int claimed_elsewhere(dir_source *s, const char *entry, char *name, size_t cap)
{
    const char *tag = entry[0] == '.' ? strstr(entry, CLAIM_TAG) : NULL;
    if (!tag)
        return 0;
    const char *last;
    while ((last = strstr(tag + 1, CLAIM_TAG)) != NULL)
        tag = last;
    const char *id = tag + strlen(CLAIM_TAG);
    if (!*id || strcmp(id, s->id) == 0)
        return 0;
    snprintf(name, cap, "%.*s", (int)(tag - entry) - 1, entry + 1);
    char *from = wc_path_join(s->dir, entry);
    char *to = wc_path_join(s->dir, name);
    struct stat st;
    int alive = 1;
    if (from && to && stat(from, &st) == 0) {
        uint64_t mtime =
            (uint64_t)st.st_mtim.tv_sec * 1000 + (uint64_t)st.st_mtim.tv_nsec / 1000000;
        uint64_t now = now_wall(s);
        alive = now < mtime || now - mtime < s->lease_ms;
        if (!alive && rename(from, to) == 0)
            wc_warn("request %s: handed back from consumer %s, whose claim was not renewed for "
                    "%.1f s",
                    name, id, (double)(now - mtime) / 1000);
    }
    free(from);
    free(to);
    return alive;
}

/* Hands back files claimed by consumers that are gone (their leases ran out). */
static void recover_claims(dir_source *s)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return;
    struct dirent *de;
    char name[NAME_MAX + 1];
    while ((de = readdir(d)) != NULL)
        claimed_elsewhere(s, de->d_name, name, sizeof(name));
    closedir(d);
}

static const wc_source_ops dir_source_ops = {
    .kind = "directory",
    .receive = dir_receive,
    .ack = dir_ack,
    .defer = dir_defer,
    .hurry = dir_hurry,
    .dead_letter = dir_dead_letter,
    .release = dir_release,
    .forget = dir_forget,
    .destroy = dir_destroy,
};

wc_result wc_dir_source_open(const wc_dir_source_config *config, wc_source *out, wc_error *err)
{
    struct stat st;
    if (stat(config->dir, &st) != 0)
        return wc_error_set(err, WC_ERR_NOT_FOUND, "request directory \"%s\": %s", config->dir,
                            strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return wc_error_set(err, WC_ERR_INVALID, "request directory \"%s\": not a directory",
                            config->dir);
    dir_source *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->dir = strdup(config->dir);
    s->dead_letter_dir = strdup(config->dead_letter_dir);
    s->max_body = config->max_body;
    s->clock = config->clock;
    s->lease_ms = config->claim_lease_ms ? config->claim_lease_ms : 60000;
    s->wall = config->wall;
    s->loop = config->loop;
    unsigned char raw[8] = {0};
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        uint64_t mix = wc_epoch_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
        memcpy(raw, &mix, sizeof(raw)); /* no entropy source: still distinct enough */
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(s->id + 2 * i, 3, "%02x", raw[i]);
    s->deferrals = wc_deferrals_new();
    s->foreign = wc_deferrals_new();
    s->held = wc_strmap_new(sizeof(uint64_t));
    s->shard = config->shard;
    if (!s->dir || !s->dead_letter_dir || !s->deferrals || !s->foreign || !s->held) {
        dir_destroy(s);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    recover_claims(s);
    out->ops = &dir_source_ops;
    out->self = s;
    return WC_OK;
}
