#include "common/clock.h"
#include "common/log.h"
#include "consumer/metrics.h"
#include "consumer/poller.h"
#include "sources/dir_source.h"
#include "stores/dir_store.h"
#include "testutil.h"

typedef struct {
    char *req_dir, *work;
    char *dead_dir, *widget_dir, *log_path;
    fake_time t;
    wc_clock clock;
    wc_loop *loop;
    wc_source src;
    wc_store store;
    wc_poller_config cfg;
    wc_poller_stats stats;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->req_dir = make_temp_dir();
    f->work = make_temp_dir();
    f->dead_dir = wc_path_join(f->work, "dead");
    f->widget_dir = wc_path_join(f->work, "widgets");
    f->log_path = wc_path_join(f->work, "consumer.log");
    f->clock = (wc_clock){fake_now, fake_sleep, &f->t, NULL};
    f->loop = wc_loop_new(&f->clock);
    wc_dir_source_config sc = {f->req_dir, f->dead_dir, 1000, &f->clock, {0, 1}, 0, NULL, NULL};
    assert_int_equal(wc_dir_source_open(&sc, &f->src, NULL), WC_OK);
    wc_dir_store_config tc = {f->widget_dir, "widgets/", 0, 0, NULL};
    assert_int_equal(wc_dir_store_open(&tc, &f->store, NULL), WC_OK);
    f->cfg = (wc_poller_config){.poll_interval_ms = 100,
                                .max_empty_polls = 3,
                                .max_attempts = 8,
                                .retry_delay_ms = 100,
                                .max_body = 1000};
    wc_log_to_stderr(0);
    assert_int_equal(wc_log_open(WC_LOG_INFO, f->log_path, NULL), WC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_log_close();
    wc_source_destroy(&f->src);
    wc_store_destroy(&f->store);
    wc_loop_free(f->loop);
    rm_rf(f->req_dir);
    rm_rf(f->work);
    free(f->dead_dir);
    free(f->widget_dir);
    free(f->log_path);
    free(f);
    return 0;
}

/* run_for(f, stop, err): one run of the poller on the fixture, its counts from zero. */
static wc_result run_for(fixture *f, volatile sig_atomic_t *stop, wc_error *err)
{
    memset(&f->stats, 0, sizeof(f->stats));
    return wc_poller_run(&f->cfg, &f->src, &f->store, f->loop, stop, &f->stats, err);
}

/* run(f, stop): a run that must end well. */
static void run(fixture *f, volatile sig_atomic_t *stop)
{
    wc_error err;
    if (run_for(f, stop, &err) != WC_OK)
        fail_msg("poller: %s", err.msg);
}

static char *log_text(fixture *f)
{
    wc_log_close();
    char *text = read_text(f->work, "consumer.log");
    assert_non_null(text);
    return text;
}

#define REQ(type, id, rest)                                                                        \
    "{\"type\":\"" type "\",\"requestId\":\"req-" id "\",\"widgetId\":\"" id "\",\"owner\":"       \
    "\"Sue Smith\"" rest "}"

/* put_body(f, place, body): the request file named 1000000000000 + place (a file's name is its
 * place in production order) holding body. */
static void put_body(fixture *f, unsigned place, const char *body)
{
    char name[32];
    snprintf(name, sizeof(name), "%llu", 1000000000000ULL + place);
    write_text(f->req_dir, name, body);
}

/* put(f, place, type, id, label): a request of Sue Smith's widget id (requestId "req-ID") at
 * that place, with that label unless NULL. */
static void put(fixture *f, unsigned place, const char *type, const char *id, const char *label)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"type\":\"%s\",\"requestId\":\"req-%s\",\"widgetId\":\"%s\","
             "\"owner\":\"Sue Smith\"%s%s%s}",
             type, id, id, label ? ",\"label\":\"" : "", label ? label : "", label ? "\"" : "");
    put_body(f, place, body);
}

/* use_store(f, ops): the test's own store (no state of its own) in place of the directory one. */
static void use_store(fixture *f, const wc_store_ops *ops)
{
    wc_store_destroy(&f->store);
    f->store = (wc_store){.ops = ops};
}

static void applies_in_order_and_stops_after_empty_polls(void **state)
{
    fixture *f = *state;
    put(f, 1, "create", "w1", "A");
    put(f, 2, "update", "w1", "B");
    put(f, 3, "create", "w2", NULL);
    put(f, 4, "delete", "w2", NULL);
    run(f, NULL);
    assert_int_equal(f->stats.applied, 4);
    assert_int_equal(f->stats.empty_polls, 3);
    assert_string_equal(f->stats.stopped_by, "empty polls");
    assert_int_equal(f->t.sleeps, 2); /* waits between empty polls, not after the last */
    assert_int_equal(f->t.slept, 200);
    assert_int_equal(count_entries(f->req_dir), 0);
    char *w1 = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_string_equal(w1, "{\"id\":\"w1\",\"owner\":\"Sue Smith\",\"label\":\"B\","
                            "\"otherAttributes\":[]}");
    assert_false(file_exists(f->widget_dir, "widgets/sue-smith/w2"));
    char *log = log_text(f);
    assert_non_null(strstr(log, "request=1000000000002 requestId=req-w1 widgetId=w1 type=update "
                                "outcome=applied ms="));
    assert_non_null(strstr(log, "request=1000000000004 requestId=req-w2 widgetId=w2 type=delete "
                                "outcome=applied ms="));
    free(log);
    free(w1);
}

static void bad_requests_are_dead_lettered_and_the_rest_applied(void **state)
{
    fixture *f = *state;
    put_body(f, 1, "{oops");
    put(f, 2, "create", "w1", NULL);
    put_body(f, 3,
             "{\"type\":\"create\",\"requestId\":\"r\","
             "\"widgetId\":\"w9\",\"owner\":\"J0hn\"}");
    char big[1200];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    put_body(f, 4, big);
    run(f, NULL);
    assert_int_equal(f->stats.applied, 1);
    assert_int_equal(f->stats.dead_lettered, 3);
    assert_int_equal(count_entries(f->req_dir), 0);
    assert_true(file_exists(f->widget_dir, "widgets/sue-smith/w1"));
    char *r3 = read_text(f->dead_dir, "1000000000003.reason");
    assert_string_equal(r3, "request 1000000000003: owner \"J0hn\" must contain only letters and "
                            "spaces\n");
    char *r4 = read_text(f->dead_dir, "1000000000004.reason");
    assert_string_equal(r4,
                        "request 1000000000004: body is 1199 bytes, over the 1000-byte limit\n");
    char *body1 = read_text(f->dead_dir, "1000000000001");
    assert_string_equal(body1, "{oops");
    char *log = log_text(f);
    assert_non_null(strstr(log, "ERROR request=1000000000001 outcome=dead-lettered ms="));
    assert_non_null(strstr(log, "reason=\"request 1000000000001: not valid JSON: "));
    free(log);
    free(r3);
    free(r4);
    free(body1);
}

/* Classic order: a request is applied as delivered (the files' names are not places). */
static void update_before_its_create_is_deferred_then_applied(void **state)
{
    fixture *f = *state;
    f->cfg.classic_order = 1;
    put(f, 1, "update", "w1", "B");
    put(f, 2, "create", "w1", "A");
    run(f, NULL);
    assert_int_equal(f->stats.deferred, 1);
    assert_int_equal(f->stats.applied, 2);
    char *w1 = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_non_null(strstr(w1, "\"label\":\"B\""));
    char *log = log_text(f);
    assert_non_null(strstr(log, "request=1000000000001 requestId=req-w1 widgetId=w1 type=update "
                                "outcome=deferred attempt=1 retry_ms=100"));
    free(log);
    free(w1);
}

/* A deferred update must not be overtaken by a later update of its widget. */
static void a_later_update_waits_behind_a_deferred_one(void **state)
{
    fixture *f = *state;
    f->cfg.classic_order = 1;
    put(f, 1, "update", "w1", "FIRST");
    put(f, 2, "create", "w1", "CREATED");
    put(f, 3, "update", "w1", "SECOND");
    run(f, NULL);
    assert_int_equal(f->stats.applied, 3);
    char *w1 = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_non_null(strstr(w1, "\"label\":\"SECOND\""));
    char *log = log_text(f);
    assert_non_null(strstr(log, "request=1000000000003 requestId=req-w1 widgetId=w1 type=update "
                                "outcome=deferred attempt=1"));
    assert_non_null(strstr(log, "reason=\"behind an earlier request of widget w1\""));
    free(log);
    free(w1);
}

static void update_of_a_widget_that_never_comes_is_given_up_with_a_warning(void **state)
{
    fixture *f = *state;
    f->cfg.max_attempts = 3;
    put(f, 1, "update", "ghost", "B");
    uint64_t t0 = f->t.now;
    run(f, NULL);
    /* three misses are not enough: it waits 40 s (longer than an outage hides a failed request,
     * so a create failed elsewhere comes back first) or 8 x 3 deliveries, then the warning */
    assert_int_equal(f->stats.deferred, 23);
    assert_true(f->t.now - t0 >= 35000);
    assert_int_equal(f->stats.warnings, 1);
    assert_int_equal(f->stats.applied, 0);
    assert_int_equal(count_entries(f->req_dir), 0);
    char *reason = read_text(f->dead_dir, "1000000000001.reason");
    assert_non_null(
        strstr(reason, "request 1000000000001: update of widget ghost: not found after "));
    char *log = log_text(f);
    assert_non_null(strstr(log, "WARN  request=1000000000001 requestId=req-ghost widgetId=ghost "
                                "type=update outcome=warning"));
    free(log);
    free(reason);
}

static void max_requests_stops_early(void **state)
{
    fixture *f = *state;
    put(f, 1, "create", "w1", NULL);
    put(f, 2, "create", "w2", NULL);
    put(f, 3, "create", "w3", NULL);
    f->cfg.max_requests = 2;
    run(f, NULL);
    assert_int_equal(f->stats.applied, 2);
    assert_string_equal(f->stats.stopped_by, "max requests");
    assert_true(file_exists(f->req_dir, "1000000000003"));
}

static void max_runtime_stops_an_endless_poll(void **state)
{
    fixture *f = *state;
    f->cfg.max_empty_polls = 0;
    f->cfg.max_runtime_ms = 1000;
    run(f, NULL);
    assert_string_equal(f->stats.stopped_by, "max runtime");
    assert_int_equal(f->stats.empty_polls, 10);
}

static void a_stop_request_ends_the_loop_before_the_next_request(void **state)
{
    fixture *f = *state;
    put(f, 1, "create", "w1", NULL);
    volatile sig_atomic_t stop = 1;
    run(f, &stop);
    assert_string_equal(f->stats.stopped_by, "signal");
    assert_int_equal(f->stats.applied, 0);
    assert_true(file_exists(f->req_dir, "1000000000001"));
}

/* What a played store holds of a request's widget: nothing before its create, else the widget
 * (no ledger: as classic order or a store before ledgers left it). */
static void played_stored(const wc_request *r, wc_stored *st)
{
    memset(st, 0, sizeof(*st));
    if (r->type == WC_REQ_CREATE)
        return;
    st->widget = calloc(1, sizeof(*st->widget));
    st->widget->id = strdup(r->widget_id);
    st->widget->owner = strdup(r->owner);
    st->version = strdup("1");
}

static void no_destroy(void *self)
{
}

/* A store played by the test: every apply's first call (its load) answers `answers[i]` in turn
 * (the last one from then on), at once; the save that follows a load answered WC_OK is done at
 * once. It counts its loads and may raise the stop flag on its first. */
static volatile sig_atomic_t stop_flag;
typedef struct {
    wc_loop *loop;
    const wc_result *answers;
    int n_answers, calls;
    int stop_on_first, never_answers;
    wc_store_loaded hung; /* the load that never answers, until abandoned */
    void *hung_ctx;
} scripted;
static scripted script;

static wc_result scripted_load(void *self, const wc_request *r, wc_store_loaded loaded, void *ctx,
                               wc_error *err)
{
    if (script.stop_on_first && script.calls == 0)
        stop_flag = 1;
    int i = script.calls < script.n_answers ? script.calls : script.n_answers - 1;
    script.calls++;
    if (script.never_answers) { /* loaded is not called: a call that hangs */
        script.hung = loaded;
        script.hung_ctx = ctx;
        return WC_OK;
    }
    wc_error e;
    wc_result result = script.answers[i];
    wc_stored st;
    played_stored(r, &st);
    if (result == WC_OK)
        wc_error_clear(&e);
    else
        wc_error_set(&e, result, result == WC_ERR_REJECTED ? "item too large" : "disk on fire");
    loaded(ctx, result, result == WC_OK ? &st : NULL, &e);
    wc_stored_cleanup(&st);
    return WC_OK;
}
static wc_result scripted_save(void *self, const wc_request *r, const wc_stored *base,
                               const wc_widget *w, const wc_ledger *l, wc_store_done done,
                               void *ctx, wc_error *err)
{
    wc_error ok;
    wc_error_clear(&ok);
    done(ctx, WC_OK, &ok);
    return WC_OK;
}
static const wc_store_ops scripted_ops = {.kind = "scripted",
                                          .ordered = 1,
                                          .load = scripted_load,
                                          .save = scripted_save,
                                          .destroy = no_destroy};

/* What the consumer's AWS client does at a shutdown timeout (wc_aws_abandon): the calls still
 * under way end now, as failures, so every layer frees its part. */
static void abandon_hung(void *ctx)
{
    (void)ctx;
    if (!script.hung)
        return;
    wc_error e;
    wc_error_set(&e, WC_ERR_IO, "abandoned");
    wc_store_loaded loaded = script.hung;
    script.hung = NULL;
    loaded(script.hung_ctx, WC_ERR_IO, NULL, &e);
}

static void use_script(fixture *f, const wc_result *answers, int n)
{
    use_store(f, &scripted_ops);
    memset(&script, 0, sizeof(script));
    script.loop = f->loop;
    script.answers = answers;
    script.n_answers = n;
}

static void a_store_failure_leaves_the_request_in_the_source(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_ERR_IO};
    use_script(f, answers, 1);
    script.stop_on_first = 1;
    put(f, 1, "create", "w1", NULL);
    stop_flag = 0;
    run(f, &stop_flag);
    assert_int_equal(f->stats.failed, 1);
    assert_string_equal(f->stats.stopped_by, "signal");
    assert_true(file_exists(f->req_dir, "1000000000001"));
    char *log = log_text(f);
    assert_non_null(strstr(log, "outcome=failed"));
    assert_non_null(strstr(log, "error=\"disk on fire\""));
    assert_non_null(strstr(log, "store is failing: disk on fire"));
    free(log);
}

/* An outage: the store fails every call. The poller backs off (one request at a time, growing
 * pauses), dead-letters nothing, and after --max-outage stops with an error; every request is
 * still in the source. */
static void a_long_outage_stops_with_an_error_and_loses_nothing(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_ERR_IO};
    use_script(f, answers, 1);
    for (int i = 0; i < 20; i++) {
        char id[8];
        snprintf(id, sizeof(id), "w%d", i);
        put(f, (unsigned)i, "create", id, NULL);
    }
    f->cfg.concurrency = 8;
    f->cfg.max_empty_polls = 0;
    f->cfg.max_outage_ms = 60000;
    wc_error err;
    assert_int_equal(run_for(f, NULL, &err), WC_ERR_IO);
    assert_non_null(strstr(err.msg, "store failing for"));
    assert_non_null(strstr(err.msg, "disk on fire"));
    assert_string_equal(f->stats.stopped_by, "outage");
    assert_true(f->t.now >= 60000);
    assert_int_equal(f->stats.dead_lettered + f->stats.warnings + f->stats.applied, 0);
    /* Backing off: a handful of tries in a minute, not one per request per poll. */
    assert_in_range(script.calls, 5, 20);
    assert_int_equal(count_entries(f->req_dir), 20);
    char *log = log_text(f);
    assert_null(strstr(log, "outcome=dead-lettered"));
    free(log);
}

/* A source on the loop (as SQS): receive starts a call and says WC_RECEIVE_WAIT, and the next
 * receive reports how it ended; here it always fails (the queue's endpoint refuses connections). */
static unsigned down_receives;
static wc_receive_status down_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    if (down_receives++ % 2 == 0)
        return WC_RECEIVE_WAIT;
    return wc_receive_fail(err, WC_ERR_IO, "ReceiveMessage: NetworkError: connection refused");
}
static void down_destroy(void *self)
{
}

/* A WC_RECEIVE_WAIT is no answer: a source whose every call fails is an outage that ends the run
 * after
 * --max-outage. (Counted as "works again", an SQS source down for good flapped between "source is
 * failing" and "source works again after 0.1 s" and the consumer never stopped.) */
static void an_asynchronous_source_down_for_good_ends_after_max_outage(void **state)
{
    fixture *f = *state;
    static const wc_source_ops ops = {
        .kind = "down", .receive = down_receive, .destroy = down_destroy};
    wc_source_destroy(&f->src);
    f->src = (wc_source){&ops, NULL};
    down_receives = 0;
    f->cfg.max_empty_polls = 0;
    f->cfg.max_outage_ms = 60000;
    wc_error err;
    assert_int_equal(run_for(f, NULL, &err), WC_ERR_IO);
    assert_non_null(strstr(err.msg, "source failing for"));
    assert_non_null(strstr(err.msg, "connection refused"));
    assert_string_equal(f->stats.stopped_by, "outage");
    assert_in_range(f->t.now, 60000, 100000);
    char *log = log_text(f);
    const char *failing = strstr(log, "source is failing");
    assert_non_null(failing); /* said once */
    assert_null(strstr(failing + 1, "source is failing"));
    assert_null(strstr(log, "source works again"));
    free(log);
}

/* A short outage: the store fails three times, then works: everything is applied. */
static void a_store_that_comes_back_gets_every_request(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_ERR_IO, WC_ERR_IO, WC_ERR_IO, WC_OK};
    use_script(f, answers, 4);
    put(f, 1, "create", "w1", NULL);
    put(f, 2, "create", "w2", NULL);
    f->cfg.concurrency = 4;
    run(f, NULL);
    assert_int_equal(f->stats.applied, 2);
    assert_int_equal(f->stats.failed, 3);
    assert_int_equal(count_entries(f->req_dir), 0);
    char *log = log_text(f);
    assert_non_null(strstr(log, "store works again after"));
    free(log);
}

/* A request the store refuses for good (an item too large, a name too long) is dead-lettered
 * with the store's words after three tries; the others are applied. */
static void a_request_the_store_refuses_is_dead_lettered_after_three_tries(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_ERR_REJECTED, WC_ERR_REJECTED, WC_ERR_REJECTED, WC_OK};
    use_script(f, answers, 4);
    put(f, 1, "create", "w1", NULL);
    run(f, NULL);
    assert_int_equal(script.calls, 3);
    assert_int_equal(f->stats.dead_lettered, 1);
    assert_int_equal(count_entries(f->req_dir), 0);
    char *reason = read_text(f->dead_dir, "1000000000001.reason");
    assert_non_null(reason);
    assert_non_null(strstr(reason, "the store refused it 3 times: item too large"));
    free(reason);
}

/* A stored widget that cannot be read (WC_ERR_PARSE) is this request's problem, not an outage:
 * dead-lettered after three tries, and the consumer goes on; lost races (CONFLICT) are retried. */
static void an_unreadable_stored_widget_is_refused_not_an_outage(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_ERR_CONFLICT, WC_ERR_PARSE, WC_ERR_PARSE};
    use_script(f, answers, 3);
    put(f, 1, "update", "w1", NULL);
    f->cfg.max_outage_ms = 1000;
    run(f, NULL);
    assert_int_equal(script.calls, 3); /* tried three times in all, then given up */
    assert_int_equal(f->stats.dead_lettered, 1);
    assert_int_equal(count_entries(f->req_dir), 0);
    assert_null(f->stats.stopped_by == NULL ? NULL : strstr(f->stats.stopped_by, "outage"));
    char *log = log_text(f);
    assert_null(strstr(log, "store is failing"));
    free(log);
}

/* A stop while a store call hangs: the poller ends when --shutdown-timeout is up, not later, and
 * the request stays in the source (claimed: handed back at the next start). */
static void shutdown_is_bounded_whatever_is_in_flight(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_OK};
    use_script(f, answers, 1);
    script.never_answers = 1;
    script.stop_on_first = 1;
    put(f, 1, "update", "w1", NULL);
    f->cfg.shutdown_timeout_ms = 2000;
    f->cfg.abandon = abandon_hung;
    stop_flag = 0;
    uint64_t t0 = f->t.now;
    run(f, &stop_flag);
    assert_string_equal(f->stats.stopped_by, "signal");
    assert_in_range(f->t.now - t0, 2000, 2200);
    char *log = log_text(f);
    assert_non_null(strstr(log, "(--shutdown-timeout)"));
    free(log);
}

/* An asynchronous store played by the test: each load answers at once, each save is parked; a
 * timer of the loop completes the parked saves newest first (the worst order for a pipeline that
 * must keep one widget's requests in order), recording what was applied. */
typedef struct {
    const wc_request *req;
    wc_store_done done;
    void *ctx;
} parked;
static parked parked_ops[64];
static int n_parked, max_parked, applied_n;
static char applied_log[64][32]; /* "widget:requestId" in the order applied */
static wc_timer complete_timer;
static wc_loop *async_loop;

static void async_complete(void *ctx)
{
    while (n_parked > 0) {
        parked op = parked_ops[--n_parked];
        snprintf(applied_log[applied_n++], sizeof(applied_log[0]), "%s:%s", op.req->widget_id,
                 op.req->request_id);
        wc_error ok;
        wc_error_clear(&ok);
        op.done(op.ctx, WC_OK, &ok);
    }
}

static wc_result async_start(const wc_request *req, wc_store_done done, void *ctx)
{
    for (int i = 0; i < n_parked; i++)
        if (strcmp(parked_ops[i].req->widget_id, req->widget_id) == 0)
            fail_msg("two requests of widget %s in flight at once", req->widget_id);
    parked_ops[n_parked++] = (parked){req, done, ctx};
    if (n_parked > max_parked)
        max_parked = n_parked;
    if (!wc_loop_timer_running(&complete_timer))
        wc_loop_timer_start(async_loop, &complete_timer, 5, async_complete, NULL);
    return WC_OK;
}
static wc_result async_load(void *self, const wc_request *r, wc_store_loaded loaded, void *ctx,
                            wc_error *err)
{
    wc_stored st;
    played_stored(r, &st);
    wc_error ok;
    wc_error_clear(&ok);
    loaded(ctx, WC_OK, &st, &ok);
    wc_stored_cleanup(&st);
    return WC_OK;
}
static wc_result async_save(void *self, const wc_request *r, const wc_stored *base,
                            const wc_widget *w, const wc_ledger *l, wc_store_done done, void *ctx,
                            wc_error *err)
{
    return async_start(r, done, ctx);
}

static void concurrency_is_bounded_and_each_widget_keeps_its_order(void **state)
{
    fixture *f = *state;
    static const wc_store_ops ops = {.kind = "async",
                                     .ordered = 1,
                                     .load = async_load,
                                     .save = async_save,
                                     .destroy = no_destroy};
    use_store(f, &ops);
    async_loop = f->loop;
    n_parked = max_parked = applied_n = 0;
    char body[256];
    for (int i = 0; i < 30; i++) { /* three widgets, interleaved: w0 w1 w2 w0 w1 w2 ... */
        snprintf(body, sizeof(body),
                 "{\"type\":\"%s\",\"requestId\":\"r%02d\",\"widgetId\":\"w%d\","
                 "\"owner\":\"Sue Smith\"}",
                 i < 3 ? "create" : "update", i, i % 3);
        put_body(f, (unsigned)i, body);
    }
    for (int i = 0; i < 6; i++) { /* and six widgets of one request each */
        snprintf(body, sizeof(body),
                 "{\"type\":\"create\",\"requestId\":\"s%d\",\"widgetId\":\"x%d\","
                 "\"owner\":\"Sue Smith\"}",
                 i, i);
        put_body(f, 100 + (unsigned)i, body);
    }
    f->cfg.concurrency = 4;
    run(f, NULL);
    assert_int_equal(f->stats.applied, 36);
    assert_int_equal(applied_n, 36);
    assert_in_range(max_parked, 2, 4); /* parallel, and never more than --concurrency */
    for (int w = 0; w < 3; w++) {      /* each widget's requests in the order delivered */
        int last = -1;
        for (int i = 0; i < applied_n; i++) {
            char prefix[8];
            snprintf(prefix, sizeof(prefix), "w%d:", w);
            if (strncmp(applied_log[i], prefix, 3) != 0)
                continue;
            int seq = atoi(applied_log[i] + 4);
            assert_true(seq > last);
            last = seq;
        }
    }
    assert_int_equal(count_entries(f->req_dir), 0);
}

static void retry_delay_doubles_up_to_twenty_times(void **state)
{
    assert_int_equal(wc_retry_delay_ms(100, 0), 100);
    assert_int_equal(wc_retry_delay_ms(100, 1), 200);
    assert_int_equal(wc_retry_delay_ms(100, 4), 1600);
    assert_int_equal(wc_retry_delay_ms(100, 5), 2000);
    assert_int_equal(wc_retry_delay_ms(100, 60), 2000);
}

/* Exact order (the default): a file's name is its place. An update produced before its
 * widget's create found no widget then: deferred, and in the end the spec's warning. */
static void exact_an_update_older_than_its_create_is_warned(void **state)
{
    fixture *f = *state;
    f->cfg.max_attempts = 2;
    put(f, 1, "update", "w1", "B");
    put(f, 2, "create", "w1", "A");
    run(f, NULL);
    assert_int_equal(f->stats.applied, 1);
    assert_int_equal(f->stats.warnings, 1);
    char *w1 = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_non_null(strstr(w1, "\"label\":\"A\""));
    free(w1);
}

/* Redeliveries (a crash before the removal): the same files again, after later requests were
 * applied. Nothing changes, nothing is a warning, each is logged as what it is. */
static void exact_redelivered_requests_change_nothing(void **state)
{
    fixture *f = *state;
    const char *first = REQ("update", "w1",
                            ",\"label\":\"ONE\",\"otherAttributes\":["
                            "{\"name\":\"o\",\"value\":\"\"},"
                            "{\"name\":\"o\",\"value\":\"x\"},"
                            "{\"name\":\"z\",\"value\":\"y\"}]");
    put(f, 1, "create", "w1", "A");
    put_body(f, 2, first);
    put(f, 3, "update", "w1", "TWO");
    run(f, NULL);
    assert_int_equal(f->stats.applied, 3);
    char *before = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_non_null(strstr(before, "\"label\":\"TWO\""));
    put_body(f, 2, first); /* late and again */
    put(f, 1, "create", "w1", "A");
    run(f, NULL);
    assert_int_equal(f->stats.applied, 0);
    assert_int_equal(f->stats.already, 2);
    char *after = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_string_equal(before, after);
    /* the delete, then it and the create once more: gone, remembered, no warning */
    put(f, 4, "delete", "w1", NULL);
    run(f, NULL);
    assert_int_equal(f->stats.applied, 1);
    put(f, 4, "delete", "w1", NULL);
    put(f, 1, "create", "w1", "A");
    put(f, 3, "update", "w1", "TWO");
    run(f, NULL);
    assert_int_equal(f->stats.warnings, 0);
    assert_int_equal(f->stats.already, 1);
    assert_int_equal(f->stats.superseded, 2);
    char path[4096];
    snprintf(path, sizeof(path), "%s/widgets/sue-smith/w1", f->widget_dir);
    assert_int_equal(access(path, F_OK), -1);
    char *log = log_text(f);
    assert_non_null(strstr(log, "request=1000000000001 requestId=req-w1 widgetId=w1 type=create "
                                "outcome=superseded"));
    assert_non_null(strstr(log, "type=delete outcome=already-applied"));
    free(log);
    free(before);
    free(after);
}

/* A request whose source gives it no place cannot be applied exactly: dead-lettered, saying so. */
static void exact_a_request_without_a_place_is_dead_lettered(void **state)
{
    fixture *f = *state;
    write_text(f->req_dir, "1000000000001 x", REQ("create", "w1", ""));
    run(f, NULL);
    assert_int_equal(f->stats.dead_lettered, 1);
    char *why = read_text(f->dead_dir, "1000000000001 x.reason");
    assert_non_null(strstr(why, "no place in production order: its file name is not 1 to 200 "
                                "printable ASCII characters"));
    free(why);
}

/* Issue 9 regression: an owner with a newline and a forged line in it is dead-lettered on one
 * line of its own; no second line appears. */
static void a_request_cannot_forge_a_log_line(void **state)
{
    fixture *f = *state;
    put_body(f, 1,
             "{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w9\",\"owner\":\"Sue\\n"
             "2026-11-21T14:34:00.620Z INFO  request=fake outcome=applied\"}");
    put(f, 2, "create", "w1", NULL);
    run(f, NULL);
    assert_int_equal(f->stats.applied, 1);
    assert_int_equal(f->stats.dead_lettered, 1);
    char *log = log_text(f);
    assert_null(strstr(log, "\n2026-11-21T14:34:00.620Z INFO  request=fake")); /* no forged line */
    assert_int_equal(strncmp(log, "2026-11-21T14:34:00.620Z", 24) == 0, 0);
    size_t lines = 0;
    for (const char *c = log; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2); /* the dead-lettering and the one applied */
    assert_non_null(strstr(log, "ERROR request=1000000000001 outcome=dead-lettered ms="));
    assert_non_null(strstr(log, "Sue\\n2026-11-21T14:34:00.620Z INFO  request=fake "
                                "outcome=applied"));
    free(log);
}

static size_t count_of(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *c = strstr(text, what); c; c = strstr(c + 1, what))
        n++;
    return n;
}

/* A progress line on the loop's timer: rate, in hand, totals; none when the interval is 0. */
static void progress_lines_come_on_a_timer(void **state)
{
    fixture *f = *state;
    put(f, 1, "create", "w1", NULL);
    put(f, 2, "create", "w2", NULL);
    f->cfg.max_empty_polls = 10; /* 900 ms of fake time after the two */
    f->cfg.progress_interval_ms = 250;
    run(f, NULL);
    char *log = log_text(f);
    assert_int_equal(count_of(log, "INFO  progress "), 3); /* at 250, 500 and 750 ms */
    assert_non_null(strstr(log, "INFO  progress rate_per_s=8.0 in_flight=0 waiting=0 applied=2 "
                                "warnings=0 dead_lettered=0 deferred=0 failed=0\n"));
    assert_non_null(strstr(log, "INFO  progress rate_per_s=0.0 in_flight=0 waiting=0 applied=2 "));
    free(log);

    wc_log_open(WC_LOG_INFO, f->log_path, NULL);
    put(f, 3, "create", "w3", NULL);
    f->cfg.progress_interval_ms = 0;
    run(f, NULL);
    log = log_text(f);
    assert_int_equal(count_of(log, "progress"), 3); /* no new one */
    free(log);
}

/* Tries an outage made fail do not count toward --max-attempts: an update that failed through an
 * outage more times than that is not given up the first time its widget is missing after it. */
static void outage_failures_do_not_use_up_the_attempts_of_a_missing_widget(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_ERR_IO, WC_ERR_IO,        WC_ERR_IO,
                                        WC_ERR_IO, WC_ERR_NOT_FOUND, WC_OK};
    use_script(f, answers, 6);
    f->cfg.max_attempts = 3;
    f->cfg.classic_order = 1;
    put(f, 1, "update", "w1", "B");
    run(f, NULL);
    assert_int_equal(f->stats.failed, 4);
    assert_int_equal(f->stats.warnings, 0);
    assert_int_equal(f->stats.applied, 1);
}

/* The outage test's finding (issue 10): a create that failed in another consumer, which then
 * stopped, stays hidden for its backoff (up to 30 s). Its widget's later update must not be given
 * up in the meantime after --max-attempts quick misses: here the widget appears after 12 misses
 * (about 19 s), past the 8 of --max-attempts, and the update is applied, not warned. */
static void a_missing_widget_is_waited_for_longer_than_a_failed_create_stays_hidden(void **state)
{
    fixture *f = *state;
    static const wc_result answers[] = {WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_ERR_NOT_FOUND,
                                        WC_OK};
    use_script(f, answers, 13);
    f->cfg.classic_order = 1;
    put(f, 2, "update", "w1", "B");
    run(f, NULL);
    assert_int_equal(f->stats.warnings, 0);
    assert_int_equal(f->stats.applied, 1);
    assert_int_equal(f->stats.deferred, 12);
}

/* How many lines of the log say outcome=NAME, and the sum of requests_total{outcome="NAME",...}. */
static unsigned lines_with(const char *log, const char *name)
{
    char needle[64];
    snprintf(needle, sizeof(needle), " outcome=%s ", name);
    unsigned n = 0;
    for (const char *at = log; (at = strstr(at, needle)) != NULL; at++)
        n++;
    return n;
}

static unsigned counted(const char *metrics, const char *name)
{
    char needle[96];
    snprintf(needle, sizeof(needle), "widget_consumer_requests_total{outcome=\"%s\",", name);
    unsigned n = 0;
    for (const char *at = metrics; (at = strstr(at, needle)) != NULL; at++)
        n += (unsigned)strtoul(strchr(at, '}') + 1, NULL, 10);
    return n;
}

/* Every outcome's metric equals its log lines (one place writes both), whatever the mix. */
static void each_outcome_counts_as_many_as_its_lines(void **state)
{
    fixture *f = *state;
    wc_metrics *m = wc_metrics_new();
    f->cfg.metrics = m;
    put_body(f, 1, "{oops");
    put(f, 2, "create", "w1", "A");
    put(f, 3, "update", "w1", "B");
    put(f, 5, "update", "w2", "C");
    put(f, 6, "create", "w2", NULL);
    run(f, NULL);
    put(f, 2, "create", "w1", "A"); /* again */
    put(f, 7, "delete", "w1", NULL);
    run(f, NULL);
    put(f, 3, "update", "w1", "B"); /* late */
    run(f, NULL);
    char *log = log_text(f);
    char *text = wc_metrics_render(m);
    const char *names[] = {"applied", "superseded",    "already-applied", "deferred",
                           "warning", "dead-lettered", "failed",          "left-to-redrive-policy"};
    unsigned total = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (lines_with(log, names[i]) != counted(text, names[i]))
            fail_msg("%s: %u lines, counted %u", names[i], lines_with(log, names[i]),
                     counted(text, names[i]));
        total += counted(text, names[i]);
    }
    assert_true(counted(text, "applied") >= 4);
    assert_true(counted(text, "already-applied") >= 1);
    assert_true(counted(text, "superseded") >= 1);
    assert_true(counted(text, "dead-lettered") >= 1);
    assert_true(total >= 8);
    free(text);
    free(log);
    wc_metrics_free(m);
}

/* --- issue 16: a deferred request is offered again as soon as what it waited for is applied --- */

/* A source played by the test, on the fixture's virtual clock: its messages in the order given,
 * each ready from its due time; every call written to a log ("defer 1 100 @0", "hurry 1 @0",
 * "ack 2 @0": key, delay, virtual ms since the start). */
typedef struct {
    const char *key, *body;
    uint64_t due;
    unsigned attempts;
    int out, done;
} played;
static struct {
    fixture *f;
    played m[8];
    int n;
    const char *unhurried; /* a key whose hurry the source cannot do (one hidden in a queue) */
    uint64_t t0;
    char calls[1024];
} ps;

static void ps_note(const char *what, const char *key, long arg)
{
    char line[96];
    long at = (long)(ps.f->t.now - ps.t0);
    if (arg >= 0)
        snprintf(line, sizeof(line), "%s%s %s %ld @%ld", ps.calls[0] ? ", " : "", what, key, arg,
                 at);
    else
        snprintf(line, sizeof(line), "%s%s %s @%ld", ps.calls[0] ? ", " : "", what, key, at);
    if (strlen(ps.calls) + strlen(line) < sizeof(ps.calls))
        strcat(ps.calls, line);
}
static played *ps_find(const char *key)
{
    for (int i = 0; i < ps.n; i++)
        if (strcmp(ps.m[i].key, key) == 0)
            return &ps.m[i];
    return NULL;
}
static wc_receive_status ps_receive(void *self, wc_message *msg, unsigned want, wc_error *err)
{
    memset(msg, 0, sizeof(*msg));
    int waiting = 0;
    for (int i = 0; i < ps.n; i++) {
        played *m = &ps.m[i];
        if (m->done || m->out)
            continue;
        if (m->due > ps.f->t.now) {
            waiting = 1;
            continue;
        }
        m->out = 1;
        msg->key = strdup(m->key);
        msg->body = strdup(m->body);
        msg->len = strlen(m->body);
        msg->attempts = m->attempts;
        return WC_RECEIVE_READY;
    }
    return waiting ? WC_RECEIVE_WAIT : WC_RECEIVE_EMPTY;
}
static wc_result ps_ack(void *self, wc_message *msg, wc_error *err)
{
    ps_note("ack", msg->key, -1);
    ps_find(msg->key)->done = 1;
    return WC_OK;
}
static wc_result ps_defer(void *self, wc_message *msg, uint64_t delay_ms, wc_error *err)
{
    ps_note("defer", msg->key, (long)delay_ms);
    played *m = ps_find(msg->key);
    m->out = 0;
    m->attempts++;
    m->due = ps.f->t.now + delay_ms;
    return WC_OK;
}
static wc_result ps_hurry(void *self, const char *key)
{
    played *m = ps_find(key);
    if (!m || m->out || m->done || m->due <= ps.f->t.now ||
        (ps.unhurried && strcmp(key, ps.unhurried) == 0))
        return WC_ERR_NOT_FOUND;
    ps_note("hurry", key, -1);
    m->due = ps.f->t.now;
    return WC_OK;
}
static wc_result ps_dead_letter(void *self, wc_message *msg, const char *reason,
                                wc_source_done done, void *ctx, wc_error *err)
{
    ps_note("dead-letter", msg->key, -1);
    ps_find(msg->key)->done = 1;
    wc_error e;
    wc_error_clear(&e);
    done(ctx, WC_OK, &e);
    return WC_OK;
}
static wc_result ps_release(void *self, wc_message *msg, wc_error *err)
{
    ps_find(msg->key)->out = 0;
    return WC_OK;
}
static void ps_destroy(void *self)
{
}

/* Runs the played messages (key, body pairs) in classic order on the fixture's directory store. */
static void play(fixture *f, const char *const *kb, int n)
{
    static const wc_source_ops ops = {.kind = "played",
                                      .receive = ps_receive,
                                      .ack = ps_ack,
                                      .defer = ps_defer,
                                      .dead_letter = ps_dead_letter,
                                      .release = ps_release,
                                      .hurry = ps_hurry,
                                      .destroy = ps_destroy};
    wc_source_destroy(&f->src);
    f->src = (wc_source){&ops, NULL};
    f->cfg.classic_order = 1;
    f->cfg.concurrency = 8;
    ps.f = f;
    ps.n = n;
    ps.t0 = f->t.now;
    for (int i = 0; i < n; i++)
        ps.m[i] = (played){.key = kb[2 * i], .body = kb[2 * i + 1]};
    run(f, NULL);
}

/* An update received before its create finds its widget missing and is deferred (100 ms); the
 * create is applied, and the update is offered again at once (same virtual millisecond), not when
 * its delay ends. */
static void a_deferred_update_is_offered_again_as_soon_as_its_create_is_applied(void **state)
{
    fixture *f = *state;
    memset(&ps, 0, sizeof(ps));
    const char *kb[] = {"1", REQ("update", "w1", ",\"label\":\"B\""), "2",
                        REQ("create", "w1", ",\"label\":\"A\"")};
    play(f, kb, 2);
    assert_string_equal(ps.calls, "defer 1 100 @0, ack 2 @0, hurry 1 @0, ack 1 @0");
    assert_int_equal(f->stats.applied, 2);
    assert_int_equal(f->stats.deferred, 1);
    assert_int_equal(f->stats.hurried, 1);
    char *w1 = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_non_null(strstr(w1, "\"label\":\"B\""));
    free(w1);
}

/* Two updates wait for their widget (the first missing it, the second behind the first): the
 * create wakes both, in their order, and the widget ends with the later one's label. In classic
 * order, when the first cannot be hurried (hidden in a queue), the second is not either: it must
 * not overtake the first, so both come at their time, in order. */
static void woken_updates_keep_their_order(void **state)
{
    fixture *f = *state;
    memset(&ps, 0, sizeof(ps));
    const char *kb[] = {"1", REQ("update", "w1", ",\"label\":\"FIRST\""),
                        "2", REQ("update", "w1", ",\"label\":\"SECOND\""),
                        "3", REQ("create", "w1", ",\"label\":\"A\"")};
    play(f, kb, 3);
    assert_string_equal(ps.calls, "defer 1 100 @0, defer 2 100 @0, ack 3 @0, hurry 1 @0, "
                                  "hurry 2 @0, ack 1 @0, ack 2 @0");
    char *w1 = read_text(f->widget_dir, "widgets/sue-smith/w1");
    assert_non_null(strstr(w1, "\"label\":\"SECOND\""));
    free(w1);
    char *log = log_text(f);
    assert_non_null(strstr(log, "request=2 requestId=req-w1 widgetId=w1 type=update "
                                "outcome=deferred attempt=1 retry_ms=100 ms="));
    assert_non_null(strstr(log, "reason=\"behind an earlier request of widget w1\""));
    free(log);
    assert_int_equal(wc_log_open(WC_LOG_INFO, f->log_path, NULL), WC_OK);
    const char *kb2[] = {"1", REQ("update", "w2", ",\"label\":\"FIRST\""),
                         "2", REQ("update", "w2", ",\"label\":\"SECOND\""),
                         "3", REQ("create", "w2", ",\"label\":\"A\"")};
    memset(&ps, 0, sizeof(ps));
    ps.unhurried = "1";
    play(f, kb2, 3);
    assert_string_equal(ps.calls, "defer 1 100 @0, defer 2 100 @0, ack 3 @0, ack 1 @100, "
                                  "ack 2 @100");
    assert_int_equal(f->stats.hurried, 0);
    char *w2 = read_text(f->widget_dir, "widgets/sue-smith/w2");
    assert_non_null(strstr(w2, "\"label\":\"SECOND\""));
    free(w2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(a_request_cannot_forge_a_log_line),
        T(progress_lines_come_on_a_timer),
        T(applies_in_order_and_stops_after_empty_polls),
        T(bad_requests_are_dead_lettered_and_the_rest_applied),
        T(update_before_its_create_is_deferred_then_applied),
        T(a_deferred_update_is_offered_again_as_soon_as_its_create_is_applied),
        T(woken_updates_keep_their_order),
        T(a_later_update_waits_behind_a_deferred_one),
        T(exact_an_update_older_than_its_create_is_warned),
        T(outage_failures_do_not_use_up_the_attempts_of_a_missing_widget),
        T(a_missing_widget_is_waited_for_longer_than_a_failed_create_stays_hidden),
        T(exact_redelivered_requests_change_nothing),
        T(exact_a_request_without_a_place_is_dead_lettered),
        T(each_outcome_counts_as_many_as_its_lines),
        T(update_of_a_widget_that_never_comes_is_given_up_with_a_warning),
        T(max_requests_stops_early),
        T(max_runtime_stops_an_endless_poll),
        T(a_stop_request_ends_the_loop_before_the_next_request),
        T(a_store_failure_leaves_the_request_in_the_source),
        T(a_long_outage_stops_with_an_error_and_loses_nothing),
        T(an_asynchronous_source_down_for_good_ends_after_max_outage),
        T(a_store_that_comes_back_gets_every_request),
        T(a_request_the_store_refuses_is_dead_lettered_after_three_tries),
        T(an_unreadable_stored_widget_is_refused_not_an_outage),
        T(shutdown_is_bounded_whatever_is_in_flight),
        T(concurrency_is_bounded_and_each_widget_keeps_its_order),
        cmocka_unit_test(retry_delay_doubles_up_to_twenty_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
