#include "stores/dir_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/fsutil.h"
#include "common/hash.h"

/* Ledgers (exact order) live apart from the widgets, in DIR/.ledger/<the widget's key>, so the
 * widget files hold exactly the spec's JSON: "VERSION\n" then the ledger's JSON. A widget and its
 * ledger are read and written under one of LOCKS lock files (DIR/.ledger/.lock-NN, flock(2), by
 * a hash of the widgetId), so consumers sharing the directory never lose each other's writes.
 * A save is a small write-ahead log: the new ledger goes to .next-NAME beside the ledger NAME with
 * the hash of the widget file it belongs to ("-": deleted), then the widget file is written (or
 * removed), then .next-NAME replaces NAME. A save cut short (a crash, the directory gone) is
 * finished or undone by the next load, under the lock: .next-NAME is kept if the widget file is
 * the one it names, else dropped. So a widget and its ledger always agree. Ledger file:
 * "VERSION\nHASH\nJSON".
 *
 * Two namespaces: a widget's file name (file_name_of) never starts with '.', and every file and
 * folder of the store's own (.ledger, .lock-NN, .next-NAME, the .tmp-… files being written)
 * does, so no widgetId can name one of them (before, the ledger of widget "X.next" was the
 * write-ahead file of widget "X"). The first part of the key prefix may not start with '.'
 * either (DIR/.ledger/PREFIX would meet .lock-NN). Stores written before keep their ledgers where
 * they were; only a write-ahead file left by a crash of an earlier version (LEDGER.next, which
 * cannot be told from the ledger of a widget whose id ends in ".next") is not recovered.
 * A tombstone (the ledger of a deleted widget, HASH "-") carries its own expiry on the HASH line,
 * written at delete time from the deleting consumer's TTL: "- expires=EPOCH_MS", or
 * "- expires=never" (TTL 0). Any consumer sweeps it once expired, whatever its own TTL is.
 * Classic order (store.h: save without a ledger) takes the same lock and writes the widget file
 * alone: a ledger file of the widget goes first, and a delete leaves no tombstone.
 */
#define LEDGER_DIR ".ledger"
#define WAL_PREFIX ".next-"
#define LOCKS      64

/* A stored widget bigger than this is not one of ours. */
#define MAX_WIDGET_BYTES (4u << 20)

typedef struct {
    char *dir;
    char *ledgers; /* DIR/.ledger */
    char *prefix;
    int durable;
    uint64_t tombstone_ttl_s; /* the expiry written into this consumer's tombstones (0: never) */
    wc_clock *clock;          /* its wall clock dates the tombstones (NULL: the system's) */
} dir_store;

/* A widgetId as a file name: one starting with '.' would be a hidden file (which scans skip, as
 * they skip temporary files), so a leading '.' is written "%2E", and a leading '%' "%25" to keep
 * names unambiguous; every other id is its own name ('/' and "."/".." are refused upstream). */
static char *file_name_of(const char *widget_id)
{
    const char *escape = widget_id[0] == '.' ? "%2E" : widget_id[0] == '%' ? "%25" : NULL;
    size_t len = strlen(widget_id) + 3;
    char *name = malloc(len);
    if (name)
        snprintf(name, len, "%s%s", escape ? escape : "", escape ? widget_id + 1 : widget_id);
    return name;
}

/* The widgetId of a file name (file_name_of undone). Caller frees. */
static char *widget_id_of(const char *name)
{
    if (strncmp(name, "%2E", 3) == 0 || strncmp(name, "%25", 3) == 0) {
        size_t len = strlen(name) - 1;
        char *id = malloc(len);
        if (id)
            snprintf(id, len, "%c%s", name[2] == 'E' ? '.' : '%', name + 3);
        return id;
    }
    return strdup(name);
}

/* DIR/PREFIX + owner key + "/" + the widget's file name. */
char *wc_dir_store_path(const char *dir, const char *prefix, const char *owner,
                        const char *widget_id)
{
    char *name = file_name_of(widget_id);
    char *key = name ? wc_widget_key(prefix, owner, name) : NULL;
    char *path = key ? wc_path_join(dir, key) : NULL;
    free(name);
    free(key);
    return path;
}

/* WC_OK while the store's own directory is there. A store that vanished (an unmounted volume, a
 * removed directory) is an outage: making a new empty one in its place would hide the widgets
 * when it comes back. */
static wc_result store_there(dir_store *s, wc_error *err)
{
    if (access(s->dir, F_OK) == 0)
        return WC_OK;
    return wc_error_set(err, WC_ERR_IO, "widget directory %s: %s", s->dir, strerror(errno));
}

/* Makes the folders leading to the file path, below the store's own directory, never that
 * directory itself (store_there). */
static wc_result mkdirs_below(dir_store *s, const char *path, wc_error *err)
{
    size_t root = strlen(s->dir);
    if (strncmp(path, s->dir, root) != 0 || path[root] != '/')
        return wc_error_set(err, WC_ERR_INVALID, "%s is not inside %s", path, s->dir);
    char *copy = strdup(path);
    if (!copy)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_result result = WC_OK;
    for (char *p = strchr(copy + root + 1, '/'); result == WC_OK && p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            result = wc_error_set(err, errno == ENOENT ? WC_ERR_IO : wc_errno_result(errno),
                                  "%s: %s", copy, strerror(errno));
        *p = '/';
    }
    free(copy);
    return result;
}

/* Writes a file of the store (only_new: only where there is none yet, a create), making its
 * folders when missing (a new owner, or a delete just removed its folder), never the store. */
static wc_result write_below(dir_store *s, const char *path, const char *text, int only_new,
                             wc_error *err)
{
    wc_result (*write)(const char *, const char *, size_t, int, wc_error *) =
        only_new ? wc_write_file_new : wc_write_file_atomic;
    wc_result result = write(path, text, strlen(text), s->durable, err);
    if (result == WC_ERR_NOT_FOUND && (result = store_there(s, err)) == WC_OK &&
        (result = mkdirs_below(s, path, err)) == WC_OK)
        result = write(path, text, strlen(text), s->durable, err);
    return result;
}

/* --- load and save, with the ledger (exact order) or without (classic order) --- */

/* The write-ahead file of a ledger: ".next-" + its name, beside it. Caller frees. */
static char *wal_path(const char *lpath)
{
    const char *slash = strrchr(lpath, '/');
    size_t dirlen = (size_t)(slash - lpath) + 1, len = strlen(lpath) + sizeof(WAL_PREFIX);
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%.*s%s%s", (int)dirlen, lpath, WAL_PREFIX, slash + 1);
    return path;
}

/* Takes the lock of a widget: an open file, or -1 with err set. The folder of the lock files is
 * made only when missing (a new store), never the store itself. */
static int lock_widget(dir_store *s, const char *widget_id, wc_error *err)
{
    unsigned lock = (unsigned)(wc_fnv1a32(widget_id, strlen(widget_id)) % LOCKS);
    char path[4096];
    snprintf(path, sizeof(path), "%s/.lock-%02u", s->ledgers, lock);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        if (store_there(s, err) != WC_OK || mkdirs_below(s, path, err) != WC_OK)
            return -1;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    }
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        wc_error_set(err, wc_errno_result(errno), "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void unlock_widget(int fd)
{
    flock(fd, LOCK_UN);
    close(fd);
}

/* Reads a ledger file: *version and *ledger NULL when there is none. */
static wc_result read_ledger(const char *path, char **version, wc_ledger **ledger, wc_error *err)
{
    *version = NULL;
    *ledger = NULL;
    char *text = NULL;
    size_t len = 0;
    wc_result result = wc_read_file(path, MAX_WIDGET_BYTES, &text, &len, err);
    if (result == WC_ERR_NOT_FOUND)
        return WC_OK;
    if (result != WC_OK)
        return result;
    char *nl = memchr(text, '\n', len);
    char *nl2 = nl ? memchr(nl + 1, '\n', len - (size_t)(nl + 1 - text)) : NULL;
    if (!nl || nl == text || !nl2) {
        free(text);
        return wc_error_set(err, WC_ERR_PARSE, "%s: not a ledger file", path);
    }
    *nl = '\0';
    result = wc_ledger_from_json(path, nl2 + 1, len - (size_t)(nl2 + 1 - text), ledger, err);
    if (result == WC_OK && !(*version = strdup(text)))
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    free(text);
    return result;
}

/* FNV-1a 64 of a widget file's bytes, in hex; "-" for no file. */
static void widget_hash(const char *text, size_t len, char out[17])
{
    if (!text) {
        snprintf(out, 17, "-");
        return;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)wc_fnv1a64(text, len));
}

/* Finishes or undoes a save cut short (under the lock): .next-NAME is kept when the widget file
 * is the one it names, else dropped. */
static wc_result recover_save(dir_store *s, const char *lpath, const char *wpath, wc_error *err)
{
    char *next = wal_path(lpath);
    if (!next)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    char *ntext = NULL, *wtext = NULL;
    size_t nlen = 0, wlen = 0;
    wc_result result = wc_read_file(next, MAX_WIDGET_BYTES, &ntext, &nlen, err);
    if (result == WC_ERR_NOT_FOUND) {
        result = WC_OK; /* no save cut short: the usual case */
    } else if (result == WC_OK) {
        result = wc_read_file(wpath, MAX_WIDGET_BYTES, &wtext, &wlen, err);
        if (result == WC_ERR_NOT_FOUND)
            result = WC_OK; /* wtext NULL: no widget file */
        char have[17], *want = memchr(ntext, '\n', nlen);
        widget_hash(wtext, wlen, have);
        size_t hlen = strlen(have);
        if (result == WC_OK && (result = store_there(s, err)) == WC_OK) {
            int done = want && (size_t)(ntext + nlen - want) > hlen + 1 &&
                       memcmp(want + 1, have, hlen) == 0 &&
                       (want[1 + hlen] == '\n' || want[1 + hlen] == ' '); /* ' ': expiry */
            if (done ? rename(next, lpath) != 0 : unlink(next) != 0)
                result = wc_error_set(err, wc_errno_result(errno), "%s: %s", next, strerror(errno));
        }
    }
    free(ntext);
    free(wtext);
    free(next);
    return result;
}

/* What is stored of a widget (under its lock); with_widget 0: its version and ledger only, and
 * with hash_widget 0 too, no version for a widget without a ledger (its file is not read). */
static wc_result read_stored(dir_store *s, const wc_request *req, wc_stored *out, int with_widget,
                             int hash_widget, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    char *lpath = wc_dir_store_path(s->ledgers, s->prefix, req->owner, req->widget_id);
    char *wpath = wc_dir_store_path(s->dir, s->prefix, req->owner, req->widget_id);
    char *text = NULL;
    size_t len = 0;
    wc_result result = lpath && wpath ? recover_save(s, lpath, wpath, err)
                                      : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result == WC_OK)
        result = read_ledger(lpath, &out->version, &out->ledger, err);
    if (result == WC_OK && (with_widget || (hash_widget && !out->version))) {
        result = wc_read_file(wpath, MAX_WIDGET_BYTES, &text, &len, err);
        if (result == WC_OK && with_widget)
            result = wc_widget_from_json(wpath, text, len, &out->widget, err);
        else if (result == WC_ERR_NOT_FOUND)
            result = WC_OK;
    }
    /* A widget without a ledger (stored before ledgers, or by classic order): its version is
     * "legacy:" and the hash of its file, so that a save's condition sees any change of it. */
    if (result == WC_OK && !out->version && text) {
        char version[sizeof("legacy:") + 16] = "legacy:";
        widget_hash(text, len, version + strlen("legacy:"));
        if (!(out->version = strdup(version)))
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    /* Nothing found: the store may have vanished while read (then nothing is known). */
    if (result == WC_OK && !out->version && !text)
        result = store_there(s, err);
    if (result != WC_OK)
        wc_stored_cleanup(out);
    free(text);
    free(wpath);
    free(lpath);
    return result;
}

static wc_result dir_load(void *self, const wc_request *req, wc_store_loaded loaded, void *ctx,
                          wc_error *err)
{
    dir_store *s = self;
    wc_stored stored;
    wc_error e;
    wc_error_clear(&e);
    int fd = lock_widget(s, req->widget_id, &e);
    wc_result result = fd < 0 ? e.code : read_stored(s, req, &stored, 1, 1, &e);
    if (fd >= 0)
        unlock_widget(fd);
    loaded(ctx, result, result == WC_OK ? &stored : NULL, &e);
    return WC_OK;
}

/* Under the lock: the same version as base, then the widget, then the ledger. */
static wc_result save_now(dir_store *s, const wc_request *req, const wc_stored *base,
                          const wc_widget *w, const wc_ledger *l, wc_error *err)
{
    /* Its version is enough. A classic create (no ledger, nothing read) needs only to know that
     * no ledger is there: a widget file there makes its only-new write a conflict. */
    wc_stored now;
    int blind = !l && !base->version;
    wc_result result = read_stored(s, req, &now, 0, !blind, err);
    if (result != WC_OK)
        return result;
    int same = now.version && base->version ? strcmp(now.version, base->version) == 0
                                            : now.version == base->version;
    int had_ledger = now.ledger != NULL;
    unsigned long long version = now.version ? strtoull(now.version, NULL, 10) + 1 : 1;
    wc_stored_cleanup(&now);
    if (!same)
        return wc_error_set(err, WC_ERR_CONFLICT, "widget %s changed since it was read",
                            req->widget_id);
    char *wpath = wc_dir_store_path(s->dir, s->prefix, req->owner, req->widget_id);
    char *lpath = wc_dir_store_path(s->ledgers, s->prefix, req->owner, req->widget_id);
    char *json = l ? wc_ledger_to_json(l) : NULL;
    char *wjson = w ? wc_widget_to_json(w) : NULL;
    char hash[17], expiry[40] = "";
    widget_hash(wjson, wjson ? strlen(wjson) : 0, hash);
    if (!w && s->tombstone_ttl_s) /* a tombstone: its expiry is its own */
        snprintf(expiry, sizeof(expiry), " expires=%llu",
                 (unsigned long long)(wc_clock_epoch_ms(s->clock) + s->tombstone_ttl_s * 1000));
    else if (!w)
        snprintf(expiry, sizeof(expiry), " expires=never");
    size_t tlen = json ? strlen(json) + 88 : 0;
    char *text = tlen ? malloc(tlen) : NULL;
    char *next = lpath ? wal_path(lpath) : NULL;
    if (text)
        snprintf(text, tlen, "%llu\n%s%s\n%s", version, hash, expiry, json);
    if (!wpath || !lpath || (l && (!text || !next)) || (w && !wjson)) {
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    } else if (!l) { /* classic order: no ledger kept (it goes first: a widget without one is
                      * what a save cut short leaves), then the widget written or removed */
        if (had_ledger && unlink(lpath) != 0 && errno != ENOENT)
            result = wc_error_set(err, wc_errno_result(errno), "%s: %s", lpath, strerror(errno));
    } else { /* 1. the new ledger, aside */
        result = write_below(s, next, text, 0, err);
    }
    if (result == WC_OK && w) { /* 2. the widget (classic order's create: only where none is) */
        result = write_below(s, wpath, wjson, !l && !base->version, err);
    } else if (result == WC_OK && unlink(wpath) != 0 && errno != ENOENT) {
        result = wc_error_set(err, wc_errno_result(errno), "%s: %s", wpath, strerror(errno));
    } else if (result == WC_OK) {
        *strrchr(wpath, '/') = '\0';
        rmdir(wpath); /* the owner folder goes with its last widget (ENOTEMPTY is fine) */
    }
    if (result == WC_OK && l && rename(next, lpath) != 0) /* 3. the ledger */
        result = wc_error_set(err, wc_errno_result(errno), "%s: %s", lpath, strerror(errno));
    free(next);
    free(text);
    free(wjson);
    free(json);
    free(lpath);
    free(wpath);
    return result;
}

static wc_result dir_save(void *self, const wc_request *req, const wc_stored *base,
                          const wc_widget *w, const wc_ledger *l, wc_store_done done, void *ctx,
                          wc_error *err)
{
    dir_store *s = self;
    wc_error e;
    wc_error_clear(&e);
    int fd = lock_widget(s, req->widget_id, &e);
    wc_result result = fd < 0 ? e.code : save_now(s, req, base, w, l, &e);
    if (fd >= 0)
        unlock_widget(fd);
    done(ctx, result, &e);
    return WC_OK;
}

/* Visits DIR/PREFIX/OWNER/ID files: the same two levels the widget bucket has. */
static wc_result dir_scan(void *self, wc_store_visit visit, void *ctx, wc_error *err)
{
    dir_store *s = self;
    char *root = wc_path_join(s->dir, s->prefix);
    if (!root)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    DIR *owners = opendir(root);
    if (!owners) {
        wc_result result = errno == ENOENT
                               ? WC_OK /* no widget yet */
                               : wc_error_set(err, WC_ERR_IO, "%s: %s", root, strerror(errno));
        free(root);
        return result;
    }
    struct dirent *o;
    while ((o = readdir(owners)) != NULL) {
        if (o->d_name[0] == '.')
            continue;
        char *owner_dir = wc_path_join(root, o->d_name);
        DIR *widgets = owner_dir ? opendir(owner_dir) : NULL;
        struct dirent *f;
        while (widgets && (f = readdir(widgets)) != NULL) {
            if (f->d_name[0] == '.')
                continue;
            char *id = widget_id_of(f->d_name);
            size_t klen = strlen(s->prefix) + strlen(o->d_name) + strlen(f->d_name) + 2;
            char *key = id ? malloc(klen) : NULL;
            char *path = wc_path_join(owner_dir, f->d_name);
            char *text = NULL;
            size_t len = 0;
            wc_widget *w = NULL;
            wc_error e;
            if (key && path) {
                snprintf(key, klen, "%s%s/%s", s->prefix, o->d_name, id);
                if (wc_read_file(path, MAX_WIDGET_BYTES, &text, &len, &e) == WC_OK)
                    wc_widget_from_json(key, text, len, &w, &e);
                visit(ctx, key, w, w ? NULL : e.msg);
            }
            wc_widget_free(w);
            free(text);
            free(path);
            free(key);
            free(id);
        }
        if (widgets)
            closedir(widgets);
        free(owner_dir);
    }
    closedir(owners);
    free(root);
    return WC_OK;
}

static void dir_destroy(void *self)
{
    dir_store *s = self;
    if (!s)
        return;
    free(s->dir);
    free(s->ledgers);
    free(s->prefix);
    free(s);
}

static const wc_store_ops dir_store_ops = {
    .kind = "directory",
    .ordered = 1,
    .load = dir_load,
    .save = dir_save,
    .blind_create = 1,
    .scan = dir_scan,
    .destroy = dir_destroy,
};

/* Whether the tombstone at path has expired by now_ms: by the expiry written in it at delete
 * time; one written before expiries were (no "expires=") by its age against ttl_s, as then
 * (0: kept). "expires=never", or a file that cannot be read: not expired. */
static int tombstone_expired(const char *path, uint64_t now_ms, uint64_t ttl_s)
{
    char head[128];
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(head, 1, sizeof(head) - 1, f) : 0;
    struct stat st;
    int fd_ok = f && fstat(fileno(f), &st) == 0;
    if (f)
        fclose(f);
    head[n] = '\0';
    char *line2 = strchr(head, '\n');
    char *end = line2 ? strchr(line2 + 1, '\n') : NULL;
    if (!fd_ok || !end)
        return 0;
    *end = '\0';
    const char *tag = strstr(line2 + 1, " expires=");
    if (!tag) /* written before tombstones carried their expiry */
        return ttl_s && (uint64_t)st.st_mtime * 1000 + ttl_s * 1000 <= now_ms;
    tag += strlen(" expires=");
    if (strcmp(tag, "never") == 0)
        return 0;
    char *stop;
    unsigned long long expires = strtoull(tag, &stop, 10);
    return stop != tag && *stop == '\0' && expires <= now_ms;
}

/* Removes the tombstones (ledgers of deleted widgets, no widget file) that have expired: the
 * directory store's tombstones expire, as DynamoDB's by TTL and S3's by a lifecycle rule. Each
 * one's expiry was written with it, so a consumer with a shorter TTL never sweeps those of
 * another with a longer one. Two levels, as the widgets: DIR/.ledger/PREFIX/OWNER/ID. Best
 * effort: what cannot be read stays. */
static void sweep_tombstones(dir_store *s, uint64_t ttl_s)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s/%s", s->ledgers, s->prefix);
    DIR *owners = opendir(root);
    uint64_t now = wc_clock_epoch_ms(s->clock);
    struct dirent *o;
    while (owners && (o = readdir(owners)) != NULL) {
        if (o->d_name[0] == '.')
            continue;
        char owner_dir[4096];
        snprintf(owner_dir, sizeof(owner_dir), "%s/%s", root, o->d_name);
        DIR *ledgers = opendir(owner_dir);
        struct dirent *f;
        while (ledgers && (f = readdir(ledgers)) != NULL) {
            char lpath[8192], wpath[8192];
            struct stat st;
            snprintf(lpath, sizeof(lpath), "%s/%s", owner_dir, f->d_name);
            snprintf(wpath, sizeof(wpath), "%s/%s%s/%s", s->dir, s->prefix, o->d_name, f->d_name);
            if (f->d_name[0] == '.')
                continue; /* the store's own: a save cut short (the next load of its widget
                             settles it), a file being written */
            if (stat(lpath, &st) != 0 || !S_ISREG(st.st_mode) ||
                !tombstone_expired(lpath, now, ttl_s) || access(wpath, F_OK) == 0)
                continue;
            char *id = widget_id_of(f->d_name);
            int fd = id ? lock_widget(s, id, NULL) : -1;
            free(id);
            if (fd < 0)
                continue;
            if (access(wpath, F_OK) != 0 && tombstone_expired(lpath, now, ttl_s)) /* still */
                unlink(lpath);
            unlock_widget(fd);
        }
        if (ledgers)
            closedir(ledgers);
    }
    if (owners)
        closedir(owners);
}

wc_result wc_dir_store_open(const wc_dir_store_config *config, wc_store *out, wc_error *err)
{
    wc_result result = wc_store_check_prefix(config->key_prefix, err);
    if (result != WC_OK)
        return result;
    if (config->key_prefix[0] == '.')
        return wc_error_set(err, WC_ERR_INVALID,
                            "widget key prefix \"%s\": in a widget directory it may not start "
                            "with '.' (the store's own files do)",
                            config->key_prefix);
    if ((result = wc_mkdirs(config->dir, err)) != WC_OK) {
        wc_error_prefix(err, "widget directory: ");
        return result;
    }
    dir_store *s = calloc(1, sizeof(*s));
    if (!s)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    s->dir = strdup(config->dir);
    for (size_t n = s->dir ? strlen(s->dir) : 0; n > 1 && s->dir[n - 1] == '/'; n--)
        s->dir[n - 1] = '\0'; /* "out/" is "out" */
    s->ledgers = s->dir ? wc_path_join(s->dir, LEDGER_DIR) : NULL;
    s->prefix = strdup(config->key_prefix);
    s->durable = config->durable;
    s->tombstone_ttl_s = config->tombstone_ttl_s;
    s->clock = config->clock;
    if (!s->dir || !s->ledgers || !s->prefix) {
        dir_destroy(s);
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    sweep_tombstones(s, config->tombstone_ttl_s); /* each by its own expiry */
    out->ops = &dir_store_ops;
    out->self = s;
    return WC_OK;
}
