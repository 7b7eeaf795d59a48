#include "common/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"

typedef struct {
    int fd;
    int events;
    wc_loop_io_fn fn;
    void *ctx;
} watch;

struct wc_loop {
    wc_clock *clock;
    wc_timer **heap; /* a binary min-heap on (due_ms, seq) */
    size_t n_timers, cap_timers;
    uint64_t next_seq;
    watch *watches;
    size_t n_watches, cap_watches;
    struct pollfd *pfds; /* scratch for poll(2): the wake pipe, then the watches */
    size_t cap_pfds;
    int wake[2]; /* self-pipe: a write ends a wait */
};

wc_loop *wc_loop_new(wc_clock *clock)
{
    wc_loop *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return NULL;
    loop->clock = clock ? clock : wc_clock_system();
    if (pipe(loop->wake) != 0) {
        free(loop);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(loop->wake[i], F_SETFL, fcntl(loop->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(loop->wake[i], F_SETFD, FD_CLOEXEC);
    }
    return loop;
}

void wc_loop_free(wc_loop *loop)
{
    if (!loop)
        return;
    for (size_t i = 0; i < loop->n_timers; i++)
        loop->heap[i]->slot = 0;
    free(loop->heap);
    free(loop->watches);
    free(loop->pfds);
    close(loop->wake[0]);
    close(loop->wake[1]);
    free(loop);
}

wc_clock *wc_loop_clock(wc_loop *loop)
{
    return loop->clock;
}

uint64_t wc_loop_now(wc_loop *loop)
{
    return loop->clock->now_ms(loop->clock);
}

/* --- timers: a binary heap whose entries know their slot --- */

static int earlier(const wc_timer *a, const wc_timer *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void place(wc_loop *loop, size_t i, wc_timer *t)
{
    loop->heap[i] = t;
    t->slot = i + 1;
}

static void sift_up(wc_loop *loop, size_t i)
{
    wc_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(t, loop->heap[parent]))
            break;
        place(loop, i, loop->heap[parent]);
        i = parent;
    }
    place(loop, i, t);
}

static void sift_down(wc_loop *loop, size_t i)
{
    wc_timer *t = loop->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= loop->n_timers)
            break;
        if (child + 1 < loop->n_timers && earlier(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!earlier(loop->heap[child], t))
            break;
        place(loop, i, loop->heap[child]);
        i = child;
    }
    place(loop, i, t);
}

void wc_loop_timer_stop(wc_loop *loop, wc_timer *t)
{
    if (!t || !t->slot)
        return;
    size_t i = t->slot - 1;
    t->slot = 0;
    wc_timer *last = loop->heap[--loop->n_timers];
    if (i == loop->n_timers)
        return;
    place(loop, i, last);
    sift_down(loop, i);
    sift_up(loop, last->slot - 1);
}

wc_result wc_loop_timer_start(wc_loop *loop, wc_timer *t, uint64_t delay_ms, wc_loop_fn fn,
                              void *ctx)
{
    wc_loop_timer_stop(loop, t);
    wc_timer **heap =
        wc_array_room(loop->heap, loop->n_timers, &loop->cap_timers, sizeof(*heap), 64);
    if (!heap)
        return WC_ERR_NOMEM;
    loop->heap = heap;
    t->due_ms = wc_loop_now(loop) + delay_ms;
    t->seq = loop->next_seq++;
    t->fn = fn;
    t->ctx = ctx;
    place(loop, loop->n_timers++, t);
    sift_up(loop, loop->n_timers - 1);
    return WC_OK;
}

int wc_loop_timer_running(const wc_timer *t)
{
    return t->slot != 0;
}

/* --- file descriptors --- */

wc_result wc_loop_watch(wc_loop *loop, int fd, int events, wc_loop_io_fn fn, void *ctx)
{
    for (size_t i = 0; i < loop->n_watches; i++) {
        if (loop->watches[i].fd != fd)
            continue;
        if (events == 0)
            loop->watches[i] = loop->watches[--loop->n_watches];
        else
            loop->watches[i] = (watch){fd, events, fn, ctx};
        return WC_OK;
    }
    if (events == 0)
        return WC_OK;
    watch *watches =
        wc_array_room(loop->watches, loop->n_watches, &loop->cap_watches, sizeof(*watches), 16);
    if (!watches)
        return WC_ERR_NOMEM;
    loop->watches = watches;
    loop->watches[loop->n_watches++] = (watch){fd, events, fn, ctx};
    return WC_OK;
}

void wc_loop_wake(wc_loop *loop)
{
    int saved = errno; /* a signal handler must not change errno */
    char c = 1;
    ssize_t ignored = write(loop->wake[1], &c, 1);
    (void)ignored;
    errno = saved;
}

static void drain_wake(wc_loop *loop)
{
    char buf[64];
    while (read(loop->wake[0], buf, sizeof(buf)) > 0) {
    }
}

int wc_loop_alive(wc_loop *loop)
{
    return loop->n_timers > 0 || loop->n_watches > 0;
}

/* Polls the wake pipe and the watches for up to wait_ms; runs the callbacks of ready fds. */
static int poll_fds(wc_loop *loop, int wait_ms)
{
    size_t n = loop->n_watches + 1;
    if (n > loop->cap_pfds) {
        struct pollfd *bigger = realloc(loop->pfds, n * 2 * sizeof(*bigger));
        if (!bigger)
            return 0;
        loop->pfds = bigger;
        loop->cap_pfds = n * 2;
    }
    loop->pfds[0] = (struct pollfd){loop->wake[0], POLLIN, 0};
    for (size_t i = 0; i < loop->n_watches; i++) {
        short ev = 0;
        if (loop->watches[i].events & WC_LOOP_READ)
            ev |= POLLIN;
        if (loop->watches[i].events & WC_LOOP_WRITE)
            ev |= POLLOUT;
        loop->pfds[i + 1] = (struct pollfd){loop->watches[i].fd, ev, 0};
    }
    int ready = poll(loop->pfds, (nfds_t)n, wait_ms);
    if (ready <= 0)
        return 0; /* a timeout, or a signal (EINTR): the caller looks at its flags */
    int ran = 0;
    if (loop->pfds[0].revents) {
        drain_wake(loop);
        ran++;
    }
    for (size_t i = 1; i < n; i++) {
        short re = loop->pfds[i].revents;
        if (!re)
            continue;
        int fd = loop->pfds[i].fd;
        /* A callback may have changed the watches: find the fd's current watch. */
        for (size_t w = 0; w < loop->n_watches; w++) {
            if (loop->watches[w].fd != fd)
                continue;
            int events = ((re & POLLIN) ? WC_LOOP_READ : 0) | ((re & POLLOUT) ? WC_LOOP_WRITE : 0) |
                         ((re & (POLLERR | POLLHUP | POLLNVAL)) ? WC_LOOP_ERROR : 0);
            loop->watches[w].fn(loop->watches[w].ctx, fd, events);
            ran++;
            break;
        }
    }
    return ran;
}

/* Runs the timers due now that were started before this turn began. */
static int run_timers(wc_loop *loop, uint64_t seq_limit)
{
    int ran = 0;
    uint64_t now = wc_loop_now(loop);
    while (loop->n_timers > 0) {
        wc_timer *t = loop->heap[0];
        if (t->due_ms > now || t->seq >= seq_limit)
            break;
        wc_loop_timer_stop(loop, t);
        t->fn(t->ctx);
        ran++;
    }
    return ran;
}

int wc_loop_turn(wc_loop *loop, int max_wait_ms)
{
    uint64_t seq_limit = loop->next_seq;
    int wait = max_wait_ms;
    if (loop->n_timers > 0) {
        uint64_t now = wc_loop_now(loop), due = loop->heap[0]->due_ms;
        uint64_t until = due > now ? due - now : 0;
        if (wait < 0 || until < (uint64_t)wait)
            wait = (int)(until > 3600000 ? 3600000 : until);
    } else if (wait < 0) {
        wait = loop->n_watches > 0 ? 3600000 : 0;
    }
    int ran;
    if (loop->n_watches > 0) {
        ran = poll_fds(loop, wait);
    } else {
        /* Nothing to watch: the clock's own sleep (a fake clock advances at once). A signal cuts
         * the system clock's sleep short, and a wake-up written before it is seen right away. */
        ran = poll_fds(loop, 0);
        if (ran == 0 && wait > 0)
            loop->clock->sleep_ms(loop->clock, (uint64_t)wait);
    }
    return ran + run_timers(loop, seq_limit);
}

void wc_loop_wait(wc_loop *loop, const volatile int *done)
{
    while (!*done)
        wc_loop_turn(loop, 1000);
}
