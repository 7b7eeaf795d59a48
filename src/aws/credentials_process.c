/* credentials_process.c - credential_process: a command that prints credentials as JSON.
 *
 * The command is run as the AWS CLI runs it on POSIX: /bin/sh -c COMMAND (the shell splits and
 * quotes it; nothing is parsed here), in our environment, its standard error left to ours. Its
 * standard output is a pipe watched on the event loop, so the loop never waits for it; its end
 * (EOF) and then its exit are awaited there too (a timer polls waitpid while it has not exited).
 * The whole run has a deadline (timeout_ms): past it, or on cancel, the process is killed
 * (SIGKILL) and reaped. Output over WC_CREDENTIAL_PROCESS_MAX_OUTPUT is an error.
 *
 * The shell runs in a process group of its own, and a kill is for the group: what the shell
 * started (the real credential helper, perhaps a pipeline) dies with it instead of living on with
 * the pipe open. The child inherits no descriptor of ours but its stdin, stdout (the pipe) and
 * stderr: every other descriptor is closed in the child (and http.c opens libcurl's sockets
 * close-on-exec besides). In a container where the
 * consumer is PID 1, the killed grandchildren become its children: they are reaped here too
 * (waitpid on the group); anything else orphaned there needs an init (docker/podman run --init,
 * ECS initProcessEnabled; see README). */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np (glibc 2.34) */
#include "aws/credentials_private.h"

#include "common/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define REAP_POLL_MS 10

/* Reads a credential_process's JSON: Version 1, AccessKeyId, SecretAccessKey, SessionToken and
 * Expiration (ISO 8601; absent: does not expire). On WC_OK, *out is filled. */
static wc_result from_process_json(const char *body, const char *source, wc_credentials *out,
                                   wc_error *err)
{
    memset(out, 0, sizeof(*out));
    json_error_t jerr;
    json_t *root = json_loads(body, 0, &jerr);
    json_t *version = json_object_get(root, "Version");
    wc_result result;
    if (!root)
        result =
            wc_error_set(err, WC_ERR_INVALID, "%s: the output is not JSON (%s)", source, jerr.text);
    else if (!json_is_integer(version) || json_integer_value(version) != 1)
        result = wc_error_set(err, WC_ERR_INVALID, "%s: \"Version\" is not 1", source);
    else
        result = wc_cred_from_json_object(root, "SessionToken", "output", source, out, err);
    json_decref(root);
    return result;
}

typedef struct {
    wc_credential_provider base;
    char *command;
    char source[64];
    wc_loop *loop;
    long timeout_ms;
    /* the run under way */
    pid_t pid;  /* 0: none */
    int fd;     /* the read end of its stdout, -1 when closed */
    wc_buf out; /* its standard output, capped (a secret buffer: zeroed when dropped) */
    int status_known, status;
    wc_timer deadline, reap;
    wc_credentials_done done;
    void *ctx;
} process_provider;

static void close_pipe(process_provider *p)
{
    if (p->fd >= 0) {
        wc_loop_watch(p->loop, p->fd, 0, NULL, NULL);
        close(p->fd);
    }
    p->fd = -1;
}

/* Ends the run: kills the process and its group when it is still there. The group's id is the
 * shell's pid, ours until the shell is reaped, so the kill never reaches a stranger. */
static void process_cancel(wc_credential_provider *self)
{
    process_provider *p = (process_provider *)self;
    close_pipe(p);
    wc_loop_timer_stop(p->loop, &p->deadline);
    wc_loop_timer_stop(p->loop, &p->reap);
    if (p->pid > 0 && !p->status_known) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL); /* in case it was not yet in its group */
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    /* Members of its group reparented to us (we are PID 1 of a container, or a subreaper). */
    while (p->pid > 0 && waitpid(-p->pid, NULL, WNOHANG) > 0)
        ;
    p->pid = 0;
    p->status_known = 0;
    wc_buf_free(&p->out);
    p->done = NULL;
    p->ctx = NULL;
}

static void process_finish(process_provider *p, wc_result result, wc_error *err)
{
    wc_credentials creds;
    memset(&creds, 0, sizeof(creds));
    if (result == WC_OK && WIFEXITED(p->status) && WEXITSTATUS(p->status) != 0)
        result = wc_error_set(err, WC_ERR_IO, "%s: the command exited with status %d", p->source,
                              WEXITSTATUS(p->status));
    else if (result == WC_OK && !WIFEXITED(p->status))
        result = wc_error_set(err, WC_ERR_IO, "%s: the command was killed by signal %d", p->source,
                              WTERMSIG(p->status));
    if (result == WC_OK && from_process_json(wc_buf_str(&p->out), p->source, &creds, err) != WC_OK)
        result = WC_ERR_IO;
    wc_credentials_done done = p->done;
    void *ctx = p->ctx;
    process_cancel(&p->base);
    done(ctx, result, &creds, err);
    wc_credentials_cleanup(&creds);
}

static void on_reap(void *ctx)
{
    process_provider *p = ctx;
    pid_t r = waitpid(p->pid, &p->status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) { /* still running */
        wc_loop_timer_start(p->loop, &p->reap, REAP_POLL_MS, on_reap, p);
        return;
    }
    p->status_known = 1; /* reaped, or nothing left to reap */
    wc_error err;
    wc_error_clear(&err);
    if (r < 0)
        wc_error_set(&err, WC_ERR_IO, "%s: waitpid: %s", p->source, strerror(errno));
    process_finish(p, err.code, &err);
}

static void on_output(void *ctx, int fd, int events)
{
    process_provider *p = ctx;
    (void)events;
    for (;;) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            wc_result added = wc_buf_add(&p->out, buf, (size_t)n);
            if (added != WC_OK) {
                wc_error err;
                if (added == WC_ERR_TOO_LARGE)
                    wc_error_set(&err, WC_ERR_IO, "%s: the output passes %d bytes", p->source,
                                 WC_CREDENTIAL_PROCESS_MAX_OUTPUT);
                else
                    wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
                process_finish(p, err.code, &err);
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* more later */
        break;      /* EOF (or an error): its output is complete */
    }
    close_pipe(p);
    on_reap(p);
}

static void on_deadline(void *ctx)
{
    process_provider *p = ctx;
    wc_error err;
    process_finish(p,
                   wc_error_set(&err, WC_ERR_IO, "%s: the command did not finish in %ld ms",
                                p->source, p->timeout_ms),
                   &err);
}

static wc_result process_start(wc_credential_provider *self, wc_credentials_done done, void *ctx,
                               wc_error *err)
{
    process_provider *p = (process_provider *)self;
    int fds[2];
    /* Not inherited by other children (the dup2 below gives this one its stdout). */
    if (pipe2(fds, O_CLOEXEC) != 0)
        return wc_error_set(err, WC_ERR_IO, "%s: pipe: %s", p->source, strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    /* Nothing else of ours: descriptors opened without close-on-exec by libraries (libcurl's
     * wake-up socket pair) or inherited from whoever started us stay out of the child. */
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    posix_spawnattr_t attr; /* a process group of its own: killed as a whole */
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    char *argv[] = {"/bin/sh", "-c", p->command, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return wc_error_set(err, WC_ERR_IO, "%s: cannot run /bin/sh: %s", p->source, strerror(rc));
    }
    p->pid = pid;
    p->fd = fds[0];
    p->done = done;
    p->ctx = ctx;
    fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
    if (wc_loop_watch(p->loop, p->fd, WC_LOOP_READ, on_output, p) != WC_OK ||
        wc_loop_timer_start(p->loop, &p->deadline, (uint64_t)p->timeout_ms, on_deadline, p) !=
            WC_OK) {
        process_cancel(self);
        return wc_error_set(err, WC_ERR_IO, "%s: cannot watch its output", p->source);
    }
    return WC_OK;
}

static void process_destroy(wc_credential_provider *self)
{
    process_provider *p = (process_provider *)self;
    process_cancel(self);
    free(p->command);
    free(p);
}

wc_credential_provider *wc_credentials_from_process(const char *command, const char *source,
                                                    wc_loop *loop, long timeout_ms)
{
    process_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base = (wc_credential_provider){"credential_process", NULL, process_start, process_cancel,
                                       process_destroy};
    p->command = strdup(command);
    p->loop = loop;
    p->timeout_ms = timeout_ms > 0 ? timeout_ms : WC_CREDENTIAL_PROCESS_TIMEOUT_MS;
    p->fd = -1;
    wc_buf_init_secret(&p->out, WC_CREDENTIAL_PROCESS_MAX_OUTPUT);
    snprintf(p->source, sizeof(p->source), "%s", source);
    if (!p->command) {
        free(p);
        return NULL;
    }
    return &p->base;
}
