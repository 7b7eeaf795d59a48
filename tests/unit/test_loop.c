/* Tests of the event loop: timers in order on a fake clock (no sleeping), moving and stopping
 * timers, file descriptors, and the wake-up a signal handler uses. */
#include "common/clock.h"
#include "common/loop.h"
#include "testutil.h"

typedef struct {
    char log[64];
    size_t n;
} trail;

typedef struct {
    trail *t;
    char name;
} mark;

static void leave_mark(void *ctx)
{
    mark *m = ctx;
    m->t->log[m->t->n++] = m->name;
    m->t->log[m->t->n] = '\0';
}

static void test_timers_run_in_time_order_without_sleeping_for_real(void **state)
{
    fake_time ft = {1000, 0, 0};
    FAKE_CLOCK(clock, ft);
    wc_loop *loop = wc_loop_new(&clock);
    trail t = {{0}, 0};
    mark a = {&t, 'a'}, b = {&t, 'b'}, c = {&t, 'c'}, d = {&t, 'd'};
    wc_timer ta = {0}, tb = {0}, tc = {0}, td = {0};
    wc_loop_timer_start(loop, &ta, 300, leave_mark, &a);
    wc_loop_timer_start(loop, &tb, 100, leave_mark, &b);
    wc_loop_timer_start(loop, &tc, 200, leave_mark, &c);
    wc_loop_timer_start(loop, &td, 100, leave_mark, &d); /* same time as b: after it */
    while (wc_loop_alive(loop))
        wc_loop_turn(loop, -1);
    assert_string_equal(t.log, "bdca");
    assert_int_equal(ft.now, 1300); /* the fake clock moved to each timer, no more */
    wc_loop_free(loop);
}

static void test_a_timer_moved_or_stopped_runs_once_or_not_at_all(void **state)
{
    fake_time ft = {0, 0, 0};
    FAKE_CLOCK(clock, ft);
    wc_loop *loop = wc_loop_new(&clock);
    trail t = {{0}, 0};
    mark a = {&t, 'a'}, b = {&t, 'b'};
    wc_timer ta = {0}, tb = {0};
    wc_loop_timer_start(loop, &ta, 100, leave_mark, &a);
    wc_loop_timer_start(loop, &tb, 50, leave_mark, &b);
    wc_loop_timer_start(loop, &ta, 10, leave_mark, &a); /* moved earlier */
    wc_loop_timer_stop(loop, &tb);
    wc_loop_timer_stop(loop, &tb); /* harmless twice */
    assert_true(wc_loop_timer_running(&ta));
    assert_false(wc_loop_timer_running(&tb));
    while (wc_loop_alive(loop))
        wc_loop_turn(loop, -1);
    assert_string_equal(t.log, "a");
    assert_int_equal(ft.now, 10);
    wc_loop_free(loop);
}

/* A timer started from a callback with no delay runs on the next turn, not in this one. */
typedef struct {
    wc_loop *loop;
    wc_timer timer;
    int runs;
} again;

static void run_again(void *ctx)
{
    again *g = ctx;
    if (++g->runs < 3)
        wc_loop_timer_start(g->loop, &g->timer, 0, run_again, g);
}

static void test_a_timer_restarted_from_its_callback_waits_for_the_next_turn(void **state)
{
    fake_time ft = {0, 0, 0};
    FAKE_CLOCK(clock, ft);
    wc_loop *loop = wc_loop_new(&clock);
    again g = {loop, {0}, 0};
    wc_loop_timer_start(loop, &g.timer, 0, run_again, &g);
    wc_loop_turn(loop, 0);
    assert_int_equal(g.runs, 1);
    wc_loop_turn(loop, 0);
    assert_int_equal(g.runs, 2);
    wc_loop_turn(loop, 0);
    assert_int_equal(g.runs, 3);
    assert_false(wc_loop_alive(loop));
    wc_loop_free(loop);
}

static void test_many_timers_keep_their_order(void **state)
{
    fake_time ft = {0, 0, 0};
    FAKE_CLOCK(clock, ft);
    wc_loop *loop = wc_loop_new(&clock);
    enum { N = 500 };
    static wc_timer timers[N];
    static mark marks[N];
    trail t = {{0}, 0};
    uint64_t last = 0;
    memset(timers, 0, sizeof(timers));
    for (int i = 0; i < N; i++) {
        marks[i] = (mark){&t, 'x'};
        wc_loop_timer_start(loop, &timers[i], (uint64_t)((i * 7919) % 1000), leave_mark, &marks[i]);
    }
    for (int i = 0; i < N; i += 3)
        wc_loop_timer_stop(loop, &timers[i]);
    int ran = 0;
    while (wc_loop_alive(loop)) {
        t.n = 0;
        int n = wc_loop_turn(loop, -1);
        assert_true(ft.now >= last);
        last = ft.now;
        ran += n;
    }
    assert_int_equal(ran, N - (N + 2) / 3);
    wc_loop_free(loop);
}

typedef struct {
    int fd;
    char got[16];
    int events;
} reader;

static void on_readable(void *ctx, int fd, int events)
{
    reader *r = ctx;
    r->events = events;
    ssize_t n = read(fd, r->got, sizeof(r->got) - 1);
    if (n > 0)
        r->got[n] = '\0';
}

static void test_a_watched_fd_calls_back_when_readable(void **state)
{
    wc_loop *loop = wc_loop_new(NULL);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    reader r = {fds[0], {0}, 0};
    assert_int_equal(wc_loop_watch(loop, fds[0], WC_LOOP_READ, on_readable, &r), WC_OK);
    assert_int_equal(wc_loop_turn(loop, 0), 0); /* nothing yet */
    assert_int_equal(write(fds[1], "hi", 2), 2);
    assert_int_equal(wc_loop_turn(loop, 1000), 1);
    assert_string_equal(r.got, "hi");
    assert_true(r.events & WC_LOOP_READ);
    wc_loop_watch(loop, fds[0], 0, NULL, NULL);
    assert_false(wc_loop_alive(loop));
    close(fds[0]);
    close(fds[1]);
    wc_loop_free(loop);
}

static void test_a_wake_up_ends_a_long_wait_at_once(void **state)
{
    wc_loop *loop = wc_loop_new(NULL);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    reader r = {fds[0], {0}, 0};
    wc_loop_watch(loop, fds[0], WC_LOOP_READ, on_readable, &r);
    wc_loop_wake(loop);
    uint64_t t0 = wc_monotonic_ns();
    wc_loop_turn(loop, 5000);
    assert_true(wc_monotonic_ns() - t0 < 1000000000ull); /* not the 5 s */
    assert_string_equal(r.got, "");
    wc_loop_watch(loop, fds[0], 0, NULL, NULL);
    close(fds[0]);
    close(fds[1]);
    wc_loop_free(loop);
}

typedef struct {
    int done;
} flag;

static void set_flag(void *ctx)
{
    ((flag *)ctx)->done = 1;
}

static void test_wait_turns_until_done(void **state)
{
    fake_time ft = {0, 0, 0};
    FAKE_CLOCK(clock, ft);
    wc_loop *loop = wc_loop_new(&clock);
    flag f = {0};
    wc_timer t = {0};
    wc_loop_timer_start(loop, &t, 2500, set_flag, &f);
    wc_loop_wait(loop, &f.done);
    assert_int_equal(f.done, 1);
    assert_int_equal(ft.now, 2500);
    wc_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_run_in_time_order_without_sleeping_for_real),
        cmocka_unit_test(test_a_timer_moved_or_stopped_runs_once_or_not_at_all),
        cmocka_unit_test(test_a_timer_restarted_from_its_callback_waits_for_the_next_turn),
        cmocka_unit_test(test_many_timers_keep_their_order),
        cmocka_unit_test(test_a_watched_fd_calls_back_when_readable),
        cmocka_unit_test(test_a_wake_up_ends_a_long_wait_at_once),
        cmocka_unit_test(test_wait_turns_until_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
