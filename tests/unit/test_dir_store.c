#include <sys/time.h>
#include <time.h>

#include "common/clock.h"
#include "stores/dir_store.h"
#include "testutil.h"

typedef struct {
    char *dir;
    wc_store store;
    uint64_t wall_ms; /* the wall clock of the store: moved by hand */
    wc_clock clock;
} fixture;

static uint64_t fixture_wall(wc_clock *self)
{
    return ((fixture *)self->state)->wall_ms;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = make_temp_dir();
    f->wall_ms = wc_epoch_ms();
    f->clock = (wc_clock){NULL, NULL, f, fixture_wall};
    wc_dir_store_config c = {f->dir, "widgets/", 0, 0, &f->clock};
    assert_int_equal(wc_dir_store_open(&c, &f->store, NULL), WC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_store_destroy(&f->store);
    rm_rf(f->dir);
    free(f);
    return 0;
}

#define CREATE                                                                                     \
    "{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"8123f304\",\"owner\":\"Mary "         \
    "Matthews\",\"label\":\"JWJYY\",\"otherAttributes\":[{\"name\":\"color\",\"value\":\"red\"}]}"
#define FILE_NAME "widgets/mary-matthews/8123f304"
/* Its ledger's write-ahead file. */
#define WAL_NAME ".ledger/widgets/mary-matthews/.next-8123f304"

/* Applies the request in json (classic order) and waits: its outcome (err may be NULL). */
static wc_outcome apply(fixture *f, const char *json, wc_error *err)
{
    wc_request *r = req(json);
    wc_outcome outcome = wc_store_apply_wait(&f->store, NULL, r, err);
    wc_request_free(r);
    return outcome;
}

static void create(fixture *f)
{
    assert_int_equal(apply(f, CREATE, NULL), WC_APPLIED);
}

static void create_writes_the_s3_json_at_the_s3_key(void **state)
{
    fixture *f = *state;
    create(f);
    char *text = read_text(f->dir, FILE_NAME);
    assert_string_equal(text,
                        "{\"id\":\"8123f304\",\"owner\":\"Mary Matthews\",\"label\":\"JWJYY\","
                        "\"otherAttributes\":[{\"name\":\"color\",\"value\":\"red\"}]}");
    free(text);
    create(f);                                  /* again: the same file, nothing else */
    assert_int_equal(count_entries(f->dir), 2); /* widgets/ and .ledger/ (the lock files) */
    assert_false(file_exists(f->dir, ".ledger/widgets")); /* classic order keeps no ledger */
}

static void update_merges_by_the_rules(void **state)
{
    fixture *f = *state;
    const char *update = "{\"type\":\"update\",\"requestId\":\"r2\",\"widgetId\":\"8123f304\","
                         "\"owner\":\"Mary Matthews\",\"label\":\"\",\"otherAttributes\":"
                         "[{\"name\":\"size\",\"value\":\"4\"}]}";
    create(f);
    assert_int_equal(apply(f, update, NULL), WC_APPLIED);
    char *text = read_text(f->dir, FILE_NAME);
    assert_string_equal(text,
                        "{\"id\":\"8123f304\",\"owner\":\"Mary Matthews\",\"otherAttributes\":"
                        "[{\"name\":\"color\",\"value\":\"red\"},{\"name\":\"size\","
                        "\"value\":\"4\"}]}");
    free(text);
}

static void a_create_delivered_again_does_not_undo_later_updates(void **state)
{
    fixture *f = *state;
    const char *update = "{\"type\":\"update\",\"requestId\":\"r2\",\"widgetId\":\"8123f304\","
                         "\"owner\":\"Mary Matthews\",\"label\":\"LATER\"}";
    create(f);
    assert_int_equal(apply(f, update, NULL), WC_APPLIED);
    create(f); /* redelivered: counts as done, changes nothing */
    char *text = read_text(f->dir, FILE_NAME);
    assert_non_null(strstr(text, "\"label\":\"LATER\""));
    free(text);
}

static void update_and_delete_of_missing_widget_say_not_found(void **state)
{
    fixture *f = *state;
    const char *update = "{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"nope\",\"owner\":"
                         "\"Sue Smith\",\"label\":\"x\"}";
    wc_error err;
    assert_int_equal(apply(f, update, &err), WC_MISSING);
    assert_string_equal(err.msg, "widget nope (owner \"Sue Smith\") not found");
    assert_int_equal(apply(f, update, &err), WC_MISSING);
    assert_false(file_exists(f->dir, "widgets")); /* the update created nothing */
    assert_false(file_exists(f->dir, ".ledger/widgets"));
}

static void delete_removes_the_file_and_empty_owner_folder(void **state)
{
    fixture *f = *state;
    const char *del = "{\"type\":\"delete\",\"requestId\":\"r\",\"widgetId\":\"8123f304\","
                      "\"owner\":\"Mary Matthews\"}";
    create(f);
    assert_int_equal(apply(f, del, NULL), WC_APPLIED);
    assert_false(file_exists(f->dir, FILE_NAME));
    assert_false(file_exists(f->dir, "widgets/mary-matthews"));
    create(f); /* the folder comes back when needed */
    assert_true(file_exists(f->dir, FILE_NAME));
}

static void corrupt_stored_widget_is_reported(void **state)
{
    fixture *f = *state;
    const char *update = "{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"8123f304\","
                         "\"owner\":\"Mary Matthews\",\"label\":\"x\"}";
    create(f);
    write_text(f->dir, FILE_NAME, "garbage");
    wc_error err;
    assert_int_equal(apply(f, update, &err), WC_REFUSED);
    assert_int_equal(err.code, WC_ERR_PARSE); /* the stored widget: a refusal, no outage */
    assert_non_null(strstr(err.msg, "mary-matthews/8123f304: not valid JSON"));
}

static void visit_count(void *ctx, const char *key, const wc_widget *w, const char *why)
{
    int *n = ctx;
    assert_string_equal(key, FILE_NAME);
    assert_non_null(w);
    assert_string_equal(w->label, "JWJYY");
    (*n)++;
}

static void scan_visits_every_widget(void **state)
{
    fixture *f = *state;
    create(f);
    int n = 0;
    assert_int_equal(f->store.ops->scan(f->store.self, visit_count, &n, NULL), WC_OK);
    assert_int_equal(n, 1);
}

static void prefixes_that_could_escape_are_refused(void **state)
{
    const char *bad[] = {"/abs/", "../up/", "a/../b/", "a//b/", "./"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wc_error err;
        wc_store s;
        wc_dir_store_config c = {"/tmp", bad[i], 0, 0, NULL};
        assert_int_equal(wc_dir_store_open(&c, &s, &err), WC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "widget key prefix"));
    }
    assert_int_equal(wc_store_check_prefix("widgets/", NULL), WC_OK);
    assert_int_equal(wc_store_check_prefix("", NULL), WC_OK);
    assert_int_equal(wc_store_check_prefix("a/b.c/", NULL), WC_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* Exact order: the widget file holds only the spec's JSON, the ledger lives in DIR/.ledger; an
 * older update delivered late leaves the newer label; a store that vanished is an outage and is
 * never made again empty. */
static void exact_keeps_a_ledger_apart_and_never_remakes_a_vanished_store(void **state)
{
    fixture *f = *state;
    wc_request *c = req(CREATE);
    c->place = strdup("1000000000001");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, c, NULL), WC_APPLIED);
    wc_request *newer = req("{\"type\":\"update\",\"requestId\":\"r3\",\"widgetId\":\"8123f304\","
                            "\"owner\":\"Mary Matthews\",\"label\":\"NEW\"}");
    newer->place = strdup("1000000000003");
    wc_request *older = req("{\"type\":\"update\",\"requestId\":\"r2\",\"widgetId\":\"8123f304\","
                            "\"owner\":\"Mary Matthews\",\"label\":\"OLD\",\"description\":\"D\"}");
    older->place = strdup("1000000000002");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, newer, NULL), WC_APPLIED);
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, older, NULL), WC_APPLIED);
    char *text = read_text(f->dir, FILE_NAME);
    assert_string_equal(text, "{\"id\":\"8123f304\",\"owner\":\"Mary Matthews\",\"label\":\"NEW\","
                              "\"description\":\"D\",\"otherAttributes\":[{\"name\":\"color\","
                              "\"value\":\"red\"}]}");
    free(text);
    char *ledger = read_text(f->dir, ".ledger/" FILE_NAME);
    /* Its second line names the widget file by FNV-1a 64 of its bytes, and the widget's lock is
     * .lock-(FNV-1a 32 of its id % 64): both pinned, as stores written before must still read. */
    assert_int_equal(strncmp(strchr(ledger, '\n') + 1, "ef7ba8096f47e3b5\n", 17), 0);
    assert_true(file_exists(f->dir, ".ledger/.lock-62")); /* 0x123d063e % 64 */
    assert_non_null(strstr(ledger, "\"l\":2,\"s\":1"));
    assert_non_null(
        strstr(ledger, "\"p\":[\"1000000000001\",\"1000000000002\",\"1000000000003\"]"));
    free(ledger);
    wc_error err;
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, older, &err), WC_ALREADY);

    char away[4096];
    snprintf(away, sizeof(away), "%s.away", f->dir);
    assert_int_equal(rename(f->dir, away), 0);
    wc_request *d = req("{\"type\":\"delete\",\"requestId\":\"r4\",\"widgetId\":\"8123f304\","
                        "\"owner\":\"Mary Matthews\"}");
    d->place = strdup("1000000000004");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, d, &err), WC_FAILED);
    assert_non_null(strstr(err.msg, f->dir));
    assert_int_equal(access(f->dir, F_OK), -1); /* not made again */
    assert_int_equal(rename(away, f->dir), 0);
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, d, &err), WC_APPLIED);
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, d, &err), WC_ALREADY);
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, c, &err), WC_SUPERSEDED);
    wc_request_free(c);
    wc_request_free(newer);
    wc_request_free(older);
    wc_request_free(d);
}

static wc_outcome apply_placed(fixture *f, const char *type, const char *id, const char *label,
                               const char *place)
{
    char json[512];
    snprintf(json, sizeof(json),
             "{\"type\":\"%s\",\"requestId\":\"%s-%s\",\"widgetId\":\"%s\",\"owner\":\"Sue "
             "Smith\"%s%s%s}",
             type, type, place, id, label ? ",\"label\":\"" : "", label ? label : "",
             label ? "\"" : "");
    wc_request *r = req(json);
    r->place = strdup(place);
    wc_error err;
    wc_outcome result = wc_store_apply_wait(&f->store, NULL, r, &err);
    wc_request_free(r);
    return result;
}

/* Applies a create of widget id at place 1000000000001 and, with del, its delete at ...02. */
static void create_and_delete(fixture *f, const char *id, int del)
{
    assert_int_equal(apply_placed(f, "create", id, NULL, "1000000000001"), WC_APPLIED);
    if (del)
        assert_int_equal(apply_placed(f, "delete", id, NULL, "1000000000002"), WC_APPLIED);
}

static void reopen(fixture *f, uint64_t ttl_s)
{
    wc_store_destroy(&f->store);
    wc_dir_store_config c = {f->dir, "widgets/", 0, ttl_s, &f->clock};
    assert_int_equal(wc_dir_store_open(&c, &f->store, NULL), WC_OK);
}

static int ledger_exists(fixture *f, const char *id)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/.ledger/widgets/sue-smith/%s", f->dir, id);
    return access(path, F_OK) == 0;
}

/* Tombstones (ledgers of deleted widgets) are swept at open once their own expiry (written at
 * delete time) has passed; younger ones, kept ones (TTL 0), and ledgers of living widgets stay. */
static void old_tombstones_are_swept_at_open(void **state)
{
    fixture *f = *state;
    create_and_delete(f, "kept", 1); /* the fixture's TTL 0: kept for ever */
    create_and_delete(f, "alive", 0);
    reopen(f, 1);
    create_and_delete(f, "old", 1);
    reopen(f, 3600);
    create_and_delete(f, "young", 1);
    f->wall_ms += 1100; /* "old" expires (1 s after its delete), by the store's clock */
    reopen(f, 3600);
    assert_false(ledger_exists(f, "old"));
    assert_true(ledger_exists(f, "young"));
    assert_true(ledger_exists(f, "kept"));
    assert_true(ledger_exists(f, "alive"));
}

/* Issue 15 item 11: a consumer started with a smaller --tombstone-ttl on a shared directory store
 * does not sweep the tombstones of a consumer with a longer one: the expiry belongs to the
 * tombstone. (Before, the sweep judged every tombstone's age by the sweeper's own TTL.) */
static void a_smaller_ttl_does_not_sweep_the_tombstones_of_others(void **state)
{
    fixture *f = *state;
    reopen(f, 7 * 24 * 3600); /* one consumer keeps tombstones a week */
    create_and_delete(f, "theirs", 1);
    char path[4096];
    snprintf(path, sizeof(path), "%s/.ledger/widgets/sue-smith/theirs", f->dir);
    struct timeval hours_ago[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    assert_int_equal(utimes(path, hours_ago), 0); /* deleted two hours ago */
    reopen(f, 60);                                /* another, with a TTL of one minute */
    assert_true(ledger_exists(f, "theirs"));
    reopen(f, 0);
    assert_true(ledger_exists(f, "theirs"));
}

typedef struct {
    char keys[16][160];
    int n;
} seen_keys;

static void see(void *ctx, const char *key, const wc_widget *w, const char *why)
{
    seen_keys *k = ctx;
    assert_non_null(w);
    snprintf(k->keys[k->n++], sizeof(k->keys[0]), "%s=%s%s%s", key, w->id, w->label ? " " : "",
             w->label ? w->label : "");
}

/* A widgetId starting with '.' is no hidden file: its file is "%2E…" (and a leading '%' is
 * "%25…"), and a scan (widget-verify) reports it by its own key. */
static void widget_ids_starting_with_a_dot_are_seen(void **state)
{
    fixture *f = *state;
    const char *ids[] = {".hidden", "%2Eliteral", "plain"};
    for (int i = 0; i < 3; i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{\"type\":\"create\",\"requestId\":\"c\",\"widgetId\":\"%s\",\"owner\":\"Sue "
                 "Smith\"}",
                 ids[i]);
        wc_request *c = req(json);
        if (i == 1)
            c->place = strdup("1000000000001"); /* the exact path names files the same way */
        assert_int_equal(wc_store_apply_wait(&f->store, NULL, c, NULL), WC_APPLIED);
        wc_request_free(c);
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/widgets/sue-smith/%%2Ehidden", f->dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/widgets/sue-smith/%%252Eliteral", f->dir);
    assert_int_equal(access(path, F_OK), 0);
    seen_keys k = {0};
    assert_int_equal(f->store.ops->scan(f->store.self, see, &k, NULL), WC_OK);
    assert_int_equal(k.n, 3);
    int found = 0;
    for (int i = 0; i < k.n; i++)
        found += strcmp(k.keys[i], "widgets/sue-smith/.hidden=.hidden") == 0 ||
                 strcmp(k.keys[i], "widgets/sue-smith/%2Eliteral=%2Eliteral") == 0 ||
                 strcmp(k.keys[i], "widgets/sue-smith/plain=plain") == 0;
    assert_int_equal(found, 3);
}

static void loaded_into(void *ctx, wc_result result, wc_stored *stored, const wc_error *err)
{
    assert_int_equal(result, WC_OK);
    *(wc_stored *)ctx = *stored;
    memset(stored, 0, sizeof(*stored));
}

static void saved_into(void *ctx, wc_result result, const wc_error *err)
{
    *(wc_result *)ctx = result;
}

/* No widgetId touches the store's own files: for each pair, the first widget is created and
 * deleted, the second created and updated, then the first's create delivered again is
 * superseded (its tombstone was not overwritten) and it does not come back. Before, the ledger
 * of "w.next" was the write-ahead file of "w": its tombstone went, and the create came back. */
static void no_widget_id_touches_the_stores_own_files(void **state)
{
    fixture *f = *state;
    const char *pairs[][2] = {
        {"w.next", "w"},           {".ledger.next", ".ledger"},
        {".next-w", "w2"},         {"w.lock", "w3"},
        {".lock-01", "w4"},        {"%2Elock-01", "w5"},
        {"%2Eledger", "%2E.next"}, {"%2E", ".x"},
        {".tmp-1-2-x", "x"},       {"X.next.next", "X.next"},
    };
    size_t n = sizeof(pairs) / sizeof(pairs[0]);
    char place[32];
    for (size_t i = 0; i < n; i++) {
        const char *gone = pairs[i][0], *kept = pairs[i][1];
        snprintf(place, sizeof(place), "10000000%05zu1", i);
        assert_int_equal(apply_placed(f, "create", gone, "GONE", place), WC_APPLIED);
        snprintf(place, sizeof(place), "10000000%05zu2", i);
        assert_int_equal(apply_placed(f, "delete", gone, NULL, place), WC_APPLIED);
        snprintf(place, sizeof(place), "10000000%05zu3", i);
        assert_int_equal(apply_placed(f, "create", kept, "FIRST", place), WC_APPLIED);
        snprintf(place, sizeof(place), "10000000%05zu4", i);
        assert_int_equal(apply_placed(f, "update", kept, "KEPT", place), WC_APPLIED);
        snprintf(place, sizeof(place), "10000000%05zu1", i);
        assert_int_equal(apply_placed(f, "create", gone, "GONE", place), WC_SUPERSEDED);
        snprintf(place, sizeof(place), "10000000%05zu2", i);
        assert_int_equal(apply_placed(f, "delete", gone, NULL, place), WC_ALREADY);
    }
    /* every widget exact: only the kept ones, each with its update */
    seen_keys k = {0};
    assert_int_equal(f->store.ops->scan(f->store.self, see, &k, NULL), WC_OK);
    assert_int_equal(k.n, (int)n);
    for (size_t i = 0; i < n; i++) {
        const char *kept = pairs[i][1];
        char want[160];
        snprintf(want, sizeof(want), "widgets/sue-smith/%s=%s KEPT", kept, kept);
        int found = 0;
        for (int j = 0; j < k.n; j++)
            found += strcmp(k.keys[j], want) == 0;
        assert_int_equal(found, 1);
    }
    /* the store's own files are where the README says: locks, ledgers, no write-ahead left */
    assert_true(file_exists(f->dir, ".ledger/widgets/sue-smith/w.next"));
    assert_true(file_exists(f->dir, ".ledger/widgets/sue-smith/w"));
    assert_false(file_exists(f->dir, ".ledger/widgets/sue-smith/.next-w"));
    assert_true(file_exists(f->dir, ".ledger/widgets/sue-smith/%2Enext-w"));
}

/* A key prefix starting with '.' would share DIR/.ledger's top with the lock files. */
static void a_prefix_starting_with_a_dot_is_refused(void **state)
{
    (void)state;
    wc_error err;
    wc_store s;
    wc_dir_store_config c = {"/tmp", ".lock-01/", 0, 0, NULL};
    assert_int_equal(wc_dir_store_open(&c, &s, &err), WC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "may not start with '.'"));
}

/* A save cut short (a crash, the directory gone between the widget and its ledger) is settled by
 * the next load: .next-NAME is kept when the widget file is the one it names (by hash), else
 * dropped. Before, the widget and a stale ledger could disagree (attributes reordered). */
static void a_save_cut_short_is_finished_or_undone(void **state)
{
    fixture *f = *state;
    wc_request *c = req(CREATE);
    c->place = strdup("1000000000001");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, c, NULL), WC_APPLIED);
    char *widget = read_text(f->dir, FILE_NAME);
    char *ledger = read_text(f->dir, ".ledger/" FILE_NAME);
    char hash[17];
    snprintf(hash, sizeof(hash), "%.16s", strchr(ledger, '\n') + 1);
    const char *marks = "{\"c\":\"1000000000001\",\"d\":null,\"m\":[[\"label\",\"1000000000005\","
                        "null,null]]}";
    char next[512];
    /* 1. the widget file is the one the cut-short save names: the ledger is finished */
    snprintf(next, sizeof(next), "7\n%s\n%s", hash, marks);
    write_text(f->dir, WAL_NAME, next);
    wc_request *u = req("{\"type\":\"update\",\"requestId\":\"r3\",\"widgetId\":\"8123f304\","
                        "\"owner\":\"Mary Matthews\",\"label\":\"OLDER\"}");
    u->place = strdup("1000000000003");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, u, NULL), WC_APPLIED);
    char *after = read_text(f->dir, FILE_NAME);
    assert_string_equal(after, widget); /* the label's last write (5) is later than 3 */
    assert_false(file_exists(f->dir, WAL_NAME));
    free(after);
    /* 2. it names another widget file: the cut-short save is undone */
    snprintf(next, sizeof(next), "9\n0000000000000000\n%s", marks);
    write_text(f->dir, WAL_NAME, next);
    wc_request *u2 = req("{\"type\":\"update\",\"requestId\":\"r6\",\"widgetId\":\"8123f304\","
                         "\"owner\":\"Mary Matthews\",\"label\":\"NEWER\"}");
    u2->place = strdup("1000000000006");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, u2, NULL), WC_APPLIED);
    after = read_text(f->dir, FILE_NAME);
    assert_non_null(strstr(after, "\"label\":\"NEWER\""));
    assert_false(file_exists(f->dir, WAL_NAME));
    free(after);
    /* 3. a delete cut short (its tombstone carries an expiry after the hash "-") and the widget
     * file already gone: the tombstone is finished */
    const char *dmarks = "{\"c\":\"1000000000001\",\"d\":\"1000000000007\",\"m\":[]}";
    snprintf(next, sizeof(next), "11\n- expires=never\n%s", dmarks);
    write_text(f->dir, WAL_NAME, next);
    char wpath[4096];
    snprintf(wpath, sizeof(wpath), "%s/" FILE_NAME, f->dir);
    assert_int_equal(unlink(wpath), 0);
    wc_store_apply_wait(&f->store, NULL, u2, NULL); /* loads: settles the save cut short */
    assert_false(file_exists(f->dir, WAL_NAME));
    after = read_text(f->dir, ".ledger/" FILE_NAME);
    assert_non_null(after);
    assert_int_equal(strncmp(after, "11\n- expires=never\n", 19), 0);
    free(after);
    free(widget);
    free(ledger);
    wc_request_free(c);
    wc_request_free(u);
    wc_request_free(u2);
}

/* Classic order (no place) on a widget written in exact order: an update keeps no ledger, a
 * delete removes the widget with its ledger and leaves no tombstone; a save on a state read
 * before another writer's change is refused (the version of a widget without a ledger is the
 * hash of its file), and the engine reads again. */
static void classic_order_keeps_no_ledger_and_no_tombstone(void **state)
{
    fixture *f = *state;
    assert_int_equal(apply_placed(f, "create", "w1", "A", "1000000000001"), WC_APPLIED);
    assert_true(file_exists(f->dir, ".ledger/widgets/sue-smith/w1"));
    wc_request *u = req("{\"type\":\"update\",\"requestId\":\"u\",\"widgetId\":\"w1\",\"owner\":"
                        "\"Sue Smith\",\"label\":\"B\"}");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, u, NULL), WC_APPLIED);
    assert_false(file_exists(f->dir, ".ledger/widgets/sue-smith/w1"));
    char *text = read_text(f->dir, "widgets/sue-smith/w1");
    assert_non_null(strstr(text, "\"label\":\"B\""));
    free(text);

    wc_stored seen;
    wc_error err;
    assert_int_equal(f->store.ops->load(f->store.self, u, loaded_into, &seen, &err), WC_OK);
    assert_non_null(seen.widget);
    assert_null(seen.ledger);
    wc_request *u2 = req("{\"type\":\"update\",\"requestId\":\"u2\",\"widgetId\":\"w1\","
                         "\"owner\":\"Sue Smith\",\"label\":\"C\"}");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, u2, NULL), WC_APPLIED); /* changed */
    wc_request_free(u2);
    wc_result result = WC_OK;
    assert_int_equal(
        f->store.ops->save(f->store.self, u, &seen, seen.widget, NULL, saved_into, &result, &err),
        WC_OK);
    assert_int_equal(result, WC_ERR_CONFLICT); /* the state read is no longer there */
    wc_stored_cleanup(&seen);

    wc_request *d = req("{\"type\":\"delete\",\"requestId\":\"d\",\"widgetId\":\"w1\",\"owner\":"
                        "\"Sue Smith\"}");
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, d, NULL), WC_APPLIED);
    assert_false(file_exists(f->dir, "widgets/sue-smith/w1"));
    assert_false(file_exists(f->dir, ".ledger/widgets/sue-smith/w1"));
    assert_int_equal(wc_store_apply_wait(&f->store, NULL, d, NULL), WC_MISSING);
    wc_request_free(u);
    wc_request_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_save_cut_short_is_finished_or_undone, setup, teardown),
        T(no_widget_id_touches_the_stores_own_files),
        cmocka_unit_test(a_prefix_starting_with_a_dot_is_refused),
        cmocka_unit_test_setup_teardown(widget_ids_starting_with_a_dot_are_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(old_tombstones_are_swept_at_open, setup, teardown),
        cmocka_unit_test_setup_teardown(a_smaller_ttl_does_not_sweep_the_tombstones_of_others,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            exact_keeps_a_ledger_apart_and_never_remakes_a_vanished_store, setup, teardown),
        T(create_writes_the_s3_json_at_the_s3_key),
        T(update_merges_by_the_rules),
        T(a_create_delivered_again_does_not_undo_later_updates),
        T(update_and_delete_of_missing_widget_say_not_found),
        T(delete_removes_the_file_and_empty_owner_folder),
        T(corrupt_stored_widget_is_reported),
        T(scan_visits_every_widget),
        T(classic_order_keeps_no_ledger_and_no_tombstone),
        cmocka_unit_test(prefixes_that_could_escape_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
