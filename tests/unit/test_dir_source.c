#include <sys/time.h>
#include <time.h>
#include "common/clock.h"
#include "common/loop.h"
#include "sources/dir_source.h"
#include "testutil.h"

typedef struct {
    char *dir;
    char *dead;
    fake_time t;
    wc_clock clock;
    wc_source src;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = make_temp_dir();
    f->dead = make_temp_dir();
    f->clock = (wc_clock){fake_now, fake_sleep, &f->t, NULL};
    f->t.now = 1000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_source_destroy(&f->src);
    rm_rf(f->dir);
    rm_rf(f->dead);
    free(f);
    return 0;
}

static void open_source(fixture *f, size_t max_body)
{
    char *dl = wc_path_join(f->dead, "dl");
    wc_dir_source_config c = {f->dir, dl, max_body, &f->clock, {0, 1}, 0, NULL, NULL};
    assert_int_equal(wc_dir_source_open(&c, &f->src, NULL), WC_OK);
    free(dl);
}

static void receive_key(fixture *f, const char *want)
{
    wc_message m;
    wc_error err;
    wc_receive_status r = f->src.ops->receive(f->src.self, &m, 1, &err);
    if (r != WC_RECEIVE_READY)
        fail_msg("receive: %s %s", wc_receive_status_name(r), err.msg);
    assert_string_equal(m.key, want);
    assert_int_equal(f->src.ops->ack(f->src.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
}

static void smallest_name_first_and_hidden_files_skipped(void **state)
{
    fixture *f = *state;
    write_text(f->dir, "1615728964575", "b");
    write_text(f->dir, "1615728964574", "a");
    write_text(f->dir, "1615728964576", "c");
    write_text(f->dir, ".partial", "x");
    open_source(f, 1024);
    receive_key(f, "1615728964574");
    receive_key(f, "1615728964575");
    receive_key(f, "1615728964576");
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_EMPTY);
    assert_int_equal(count_entries(f->dir), 1); /* only .partial is left */
}

/* More files than one scan keeps (256), written in a scrambled order: each scan hands out its
 * smallest names in order, and the next scan goes on from there. */
static void a_large_directory_comes_out_in_name_order(void **state)
{
    fixture *f = *state;
    char name[32];
    for (int i = 0; i < 700; i++) {
        snprintf(name, sizeof(name), "%013d", (i * 379) % 700); /* 379 is prime to 700 */
        write_text(f->dir, name, "{}");
    }
    open_source(f, 1024);
    for (int i = 0; i < 700; i++) {
        snprintf(name, sizeof(name), "%013d", i);
        receive_key(f, name);
    }
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_EMPTY);
}

static void body_is_read_and_ack_removes_the_file(void **state)
{
    fixture *f = *state;
    write_text(f->dir, "k1", "{\"x\":1}");
    open_source(f, 1024);
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    assert_string_equal(m.body, "{\"x\":1}");
    assert_int_equal(m.len, 7);
    assert_int_equal(m.attempts, 0);
    assert_false(file_exists(f->dir, "k1")); /* claimed: hidden from other consumers */
    assert_int_equal(count_entries(f->dir), 1);
    f->src.ops->ack(f->src.self, &m, NULL);
    wc_message_cleanup(&m);
    assert_int_equal(count_entries(f->dir), 0);
}

static void two_sources_never_get_the_same_file(void **state)
{
    fixture *f = *state;
    char name[32];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "%013d", i);
        write_text(f->dir, name, "{}");
    }
    open_source(f, 1024);
    wc_source other;
    char *dl = wc_path_join(f->dead, "dl");
    wc_dir_source_config c = {f->dir, dl, 1024, &f->clock, {0, 1}, 0, NULL, NULL};
    assert_int_equal(wc_dir_source_open(&c, &other, NULL), WC_OK);
    free(dl);
    int seen[50] = {0};
    wc_message m1, m2;
    /* Both list the same 50 names; they alternate claims, so they collide on every name. */
    for (;;) {
        wc_receive_status r1 = f->src.ops->receive(f->src.self, &m1, 1, NULL);
        wc_receive_status r2 = other.ops->receive(other.self, &m2, 1, NULL);
        if (r1 == WC_RECEIVE_READY) {
            seen[atoi(m1.key)]++;
            f->src.ops->ack(f->src.self, &m1, NULL);
            wc_message_cleanup(&m1);
        }
        if (r2 == WC_RECEIVE_READY) {
            seen[atoi(m2.key)]++;
            other.ops->ack(other.self, &m2, NULL);
            wc_message_cleanup(&m2);
        }
        if (r1 != WC_RECEIVE_READY && r2 != WC_RECEIVE_READY)
            break;
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(seen[i], 1);
    wc_source_destroy(&other);
}

static void deferred_request_stays_and_comes_back_after_the_delay(void **state)
{
    fixture *f = *state;
    write_text(f->dir, "a", "1");
    write_text(f->dir, "b", "2");
    open_source(f, 1024);
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    assert_string_equal(m.key, "a");
    assert_int_equal(f->src.ops->defer(f->src.self, &m, 500, NULL), WC_OK);
    wc_message_cleanup(&m);
    assert_true(file_exists(f->dir, "a")); /* still in the source */
    receive_key(f, "b");                   /* the consumer moves past it */
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_WAIT);
    f->t.now += 499;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_WAIT);
    f->t.now += 1;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    assert_string_equal(m.key, "a");
    assert_int_equal(m.attempts, 1);
    f->src.ops->ack(f->src.self, &m, NULL);
    wc_message_cleanup(&m);
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_EMPTY);
}

/* The dead-lettering's outcome, as the source's done callback tells it. */
typedef struct {
    int calls;
    wc_result result;
    wc_error err;
} dl_outcome;

static void dl_done(void *ctx, wc_result result, const wc_error *err)
{
    dl_outcome *o = ctx;
    o->calls++;
    o->result = result;
    o->err = *err;
}

static void dead_letter_moves_the_file_with_its_reason(void **state)
{
    fixture *f = *state;
    write_text(f->dir, "1615728964574", "not json");
    open_source(f, 1024);
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    dl_outcome o = {0, WC_ERR_IO, {.code = WC_OK}};
    assert_int_equal(
        f->src.ops->dead_letter(f->src.self, &m, "request 1615728964574: bad", dl_done, &o, NULL),
        WC_OK);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.result, WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(count_entries(f->dir), 0);
    char *dl = wc_path_join(f->dead, "dl");
    char *body = read_text(dl, "1615728964574");
    char *reason = read_text(dl, "1615728964574.reason");
    assert_string_equal(body, "not json");
    assert_string_equal(reason, "request 1615728964574: bad\n");
    free(body);
    free(reason);
    free(dl);
}

/* A name too long for NAME.reason: its first 200 bytes, then FNV-1a 64 of the whole name (pinned:
 * dead letters written before keep their names). */
static void dead_letter_of_a_long_name_names_its_reason_by_hash(void **state)
{
    fixture *f = *state;
    char name[241], reason_name[256];
    memset(name, 'x', 240);
    name[240] = '\0';
    snprintf(reason_name, sizeof(reason_name), "%.200s-ab63b56e728938e5.reason", name);
    write_text(f->dir, name, "not json");
    open_source(f, 1024);
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    dl_outcome o = {0, WC_ERR_IO, {.code = WC_OK}};
    assert_int_equal(f->src.ops->dead_letter(f->src.self, &m, "bad", dl_done, &o, NULL), WC_OK);
    assert_int_equal(o.result, WC_OK);
    wc_message_cleanup(&m);
    char *dl = wc_path_join(f->dead, "dl");
    char *reason = read_text(dl, reason_name);
    assert_non_null(reason);
    assert_string_equal(reason, "bad\n");
    free(reason);
    free(dl);
}

static void dead_letter_failure_keeps_the_request(void **state)
{
    fixture *f = *state;
    write_text(f->dir, "k", "x");
    /* The dead-letter location is a file: it cannot become a directory. */
    write_text(f->dead, "dl", "in the way");
    open_source(f, 1024);
    wc_message m;
    wc_error err;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    dl_outcome o = {0, WC_OK, {.code = WC_OK}};
    assert_int_equal(f->src.ops->dead_letter(f->src.self, &m, "why", dl_done, &o, &err), WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(o.calls, 1);
    assert_int_not_equal(o.result, WC_OK);
    assert_non_null(strstr(o.err.msg, "dead-lettering k: "));
    assert_true(file_exists(f->dir, "k"));
}

static void release_hands_back_at_once(void **state)
{
    fixture *f = *state;
    write_text(f->dir, "k", "x");
    open_source(f, 1024);
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    assert_int_equal(f->src.ops->release(f->src.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
    assert_true(file_exists(f->dir, "k"));
    receive_key(f, "k");
}

static void oversized_body_is_flagged_not_read(void **state)
{
    fixture *f = *state;
    write_text(f->dir, "big", "0123456789abcdef");
    open_source(f, 10);
    wc_message m;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, NULL), WC_RECEIVE_READY);
    assert_true(m.too_large);
    assert_null(m.body);
    assert_int_equal(m.len, 16);
    f->src.ops->release(f->src.self, &m, NULL);
    wc_message_cleanup(&m);
}

/* Sets a file's modification time seconds_ago seconds back. */
static void age(const char *dir, const char *name, int seconds_ago)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct timeval t[2] = {{time(NULL) - seconds_ago, 0}, {time(NULL) - seconds_ago, 0}};
    assert_int_equal(utimes(path, t), 0);
}

/* Claims are leases, not process ids: a claim of another consumer (in any container) is left
 * alone while it is renewed, and handed back once it was not renewed for a whole lease. */
static void claims_whose_lease_ran_out_are_handed_back(void **state)
{
    fixture *f = *state;
    write_text(f->dir, ".1615728964574.claimed-4194305", "orphan");
    write_text(f->dir, ".1615728964575.claimed-0a1b2c3d4e5f6071", "in another container's hands");
    age(f->dir, ".1615728964574.claimed-4194305", 61);
    age(f->dir, ".1615728964575.claimed-0a1b2c3d4e5f6071", 30);
    write_text(f->dir, ".other-hidden", "x");
    open_source(f, 1024); /* the default lease: 60 s */
    assert_true(file_exists(f->dir, "1615728964574"));
    assert_true(file_exists(f->dir, ".1615728964575.claimed-0a1b2c3d4e5f6071"));
    assert_true(file_exists(f->dir, ".other-hidden"));
    receive_key(f, "1615728964574");
    wc_message m;
    wc_error err;
    /* the live claim is work in progress elsewhere: not an empty poll */
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, &err), WC_RECEIVE_WAIT);
}

/* One request file, taken in hand by f->src (opened with this claim lease): the config, for a
 * second consumer of the same directory. */
static wc_dir_source_config one_in_hand(fixture *f, uint64_t lease_ms, wc_message *m)
{
    write_text(f->dir, "1615728964574", "a");
    wc_dir_source_config c = {f->dir, f->dead, 1024, &f->clock, {0, 1}, lease_ms, NULL, NULL};
    assert_int_equal(wc_dir_source_open(&c, &f->src, NULL), WC_OK);
    wc_error err;
    assert_int_equal(f->src.ops->receive(f->src.self, m, 1, &err), WC_RECEIVE_READY);
    return c;
}

/* A shutdown whose timeout passed: the handle is dropped and the file stays claimed (another
 * consumer takes it once the lease, no longer renewed, runs out). */
static void forget_leaves_the_claim(void **state)
{
    fixture *f = *state;
    wc_message m;
    wc_error err;
    wc_dir_source_config c = one_in_hand(f, 60000, &m);
    f->src.ops->forget(f->src.self, &m);
    assert_null(m.handle);
    wc_message_cleanup(&m);
    assert_false(file_exists(f->dir, "1615728964574"));
    wc_source other;
    assert_int_equal(wc_dir_source_open(&c, &other, NULL), WC_OK);
    wc_message none;
    assert_int_equal(other.ops->receive(other.self, &none, 1, &err),
                     WC_RECEIVE_WAIT); /* still claimed */
    wc_source_destroy(&other);
}

/* A claim in hand is renewed (every third of the lease), so a second consumer with the same
 * lease never takes it; once released it is anyone's again. */
static void claims_in_hand_are_renewed(void **state)
{
    fixture *f = *state;
    wc_message m;
    wc_error err;
    wc_dir_source_config c = one_in_hand(f, 1000, &m);
    for (int i = 0; i < 4; i++) { /* 1.6 s: more than a lease, renewed meanwhile */
        usleep(400 * 1000);
        wc_message none;
        assert_int_equal(f->src.ops->receive(f->src.self, &none, 1, &err), WC_RECEIVE_EMPTY);
    }
    wc_source other;
    assert_int_equal(wc_dir_source_open(&c, &other, NULL), WC_OK);
    wc_message none;
    assert_int_equal(other.ops->receive(other.self, &none, 1, &err),
                     WC_RECEIVE_WAIT); /* still held */
    assert_false(file_exists(f->dir, "1615728964574"));
    assert_int_equal(f->src.ops->release(f->src.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
    assert_int_equal(other.ops->receive(other.self, &m, 1, &err), WC_RECEIVE_READY);
    assert_string_equal(m.key, "1615728964574");
    assert_int_equal(other.ops->ack(other.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
    wc_source_destroy(&other);
}

/* Issue 15 item 10: a file name's place must start with the 13 digits of epoch milliseconds the
 * producers write; "zz..." (or 14 digits) would outrank every real write for ever, so such a file
 * has no place and says why (the poller dead-letters it). */
static void a_name_without_13_leading_digits_has_no_place(void **state)
{
    fixture *f = *state;
    const char *names[] = {"1615728964574", "1615728964575-b", "16157289645760", "zz-late"};
    for (int i = 0; i < 4; i++)
        write_text(f->dir, names[i], "{}");
    open_source(f, 1024);
    for (int i = 0; i < 4; i++) {
        wc_message m;
        wc_error err;
        assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, &err), WC_RECEIVE_READY);
        assert_string_equal(m.key, names[i]);
        if (i < 2) {
            assert_string_equal(m.place, names[i]);
            assert_null(m.place_why);
        } else {
            assert_null(m.place);
            assert_non_null(m.place_why);
            assert_non_null(strstr(m.place_why, "file name does not start with the 13 digits of "
                                                "epoch milliseconds"));
        }
        assert_int_equal(f->src.ops->ack(f->src.self, &m, NULL), WC_OK);
        wc_message_cleanup(&m);
    }
}

/* Issue 15 item 6: the claims in hand are renewed from a timer on the loop, not only inside
 * receive, which the poller stops calling when it has enough in hand (a store outage, up to
 * --max-outage): with an outage longer than the lease, another consumer must still see the claim
 * alive and never hand it back (the request would be applied twice). Time is the fake clock's,
 * for the loop and for the leases (files' modification times) alike. */
static void claims_are_renewed_from_the_loop_while_receive_is_not_called(void **state)
{
    fixture *f = *state;
    f->t.now = wc_epoch_ms();
    write_text(f->dir, "1615728964574", "a");
    wc_loop *loop = wc_loop_new(&f->clock);
    char *dl = wc_path_join(f->dead, "dl");
    wc_dir_source_config c = {f->dir, dl, 1024, &f->clock, {0, 1}, 3000, loop, &f->clock};
    assert_int_equal(wc_dir_source_open(&c, &f->src, NULL), WC_OK);
    wc_message m;
    wc_error err;
    assert_int_equal(f->src.ops->receive(f->src.self, &m, 1, &err), WC_RECEIVE_READY);
    /* The outage: 10 s, more than three leases, during which only the loop turns. */
    uint64_t until = f->t.now + 10000;
    while (f->t.now < until) {
        if (wc_loop_alive(loop))
            wc_loop_turn(loop, -1); /* the fake clock jumps to the next timer */
        else
            f->t.now = until;
    }
    wc_source other;
    wc_dir_source_config oc = {f->dir, dl, 1024, &f->clock, {0, 1}, 3000, NULL, &f->clock};
    assert_int_equal(wc_dir_source_open(&oc, &other, NULL), WC_OK);
    wc_message none;
    assert_int_equal(other.ops->receive(other.self, &none, 1, &err),
                     WC_RECEIVE_WAIT); /* still held */
    assert_false(file_exists(f->dir, "1615728964574"));
    /* Once it is done, nothing is held and the timer stops: the loop has nothing left. */
    assert_int_equal(f->src.ops->ack(f->src.self, &m, NULL), WC_OK);
    wc_message_cleanup(&m);
    assert_false(wc_loop_alive(loop));
    wc_source_destroy(&other);
    wc_source_destroy(&f->src);
    wc_loop_free(loop);
    free(dl);
}

static void missing_directory_is_a_clear_error(void **state)
{
    fixture *f = *state;
    wc_dir_source_config c = {
        "/nonexistent/requests", "/tmp/x", 10, &f->clock, {0, 1}, 0, NULL, NULL};
    wc_error err;
    assert_int_equal(wc_dir_source_open(&c, &f->src, &err), WC_ERR_NOT_FOUND);
    assert_string_equal(err.msg,
                        "request directory \"/nonexistent/requests\": No such file or directory");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(smallest_name_first_and_hidden_files_skipped),
        T(a_large_directory_comes_out_in_name_order),
        T(body_is_read_and_ack_removes_the_file),
        T(two_sources_never_get_the_same_file),
        T(deferred_request_stays_and_comes_back_after_the_delay),
        T(dead_letter_moves_the_file_with_its_reason),
        T(dead_letter_of_a_long_name_names_its_reason_by_hash),
        T(dead_letter_failure_keeps_the_request),
        T(release_hands_back_at_once),
        T(oversized_body_is_flagged_not_read),
        T(claims_whose_lease_ran_out_are_handed_back),
        T(forget_leaves_the_claim),
        T(claims_in_hand_are_renewed),
        T(missing_directory_is_a_clear_error),
        T(a_name_without_13_leading_digits_has_no_place),
        T(claims_are_renewed_from_the_loop_while_receive_is_not_called),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
