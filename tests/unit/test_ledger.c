#include "common/clock.h"
#include "core/ledger.h"
#include "testutil.h"

#define REQ(type, place, rest)                                                                     \
    {                                                                                              \
        place, "{\"type\":\"" type "\",\"requestId\":\"r" place "\",\"widgetId\":\"w1\","          \
               "\"owner\":\"Mary Matthews\"" rest "}"                                              \
    }

typedef struct {
    const char *place;
    const char *json;
} step;

static wc_request *parse(const char *json)
{
    wc_request *r = NULL;
    wc_error err;
    assert_int_equal(wc_request_parse("t", json, strlen(json), &r, &err), WC_OK);
    return r;
}

/* The sequential answer, from the plain rules of widget.c (not the ledger): each request once,
 * in place order (steps are given in place order). NULL when the widget ends deleted. */
static char *sequential(const step *steps, size_t n)
{
    wc_widget *w = NULL;
    for (size_t i = 0; i < n; i++) {
        wc_request *r = parse(steps[i].json);
        if (r->type == WC_REQ_CREATE && !w)
            w = wc_widget_from_create(r);
        else if (r->type == WC_REQ_UPDATE && w)
            assert_int_equal(wc_widget_apply_update(w, r), WC_OK);
        else if (r->type == WC_REQ_DELETE) {
            wc_widget_free(w);
            w = NULL;
        }
        wc_request_free(r);
    }
    char *json = w ? wc_widget_to_json(w) : NULL;
    wc_widget_free(w);
    return json;
}

typedef struct {
    wc_widget *w;
    wc_ledger *l;
    int tied; /* the last apply met a tie, with the place tied_with */
    char tied_with[WC_PLACE_MAX + 1];
} stored;

/* Applies one step as a store would: through JSON both ways, as the ledger is kept. */
static wc_fate apply(stored *s, const step *st)
{
    wc_request *r = parse(st->json);
    wc_fate fate;
    assert_int_equal(wc_ledger_apply(&s->w, s->l, r, st->place, &fate), WC_OK);
    wc_request_free(r);
    s->tied = s->l->tied;
    snprintf(s->tied_with, sizeof(s->tied_with), "%s", s->l->tied_with);
    char *text = wc_ledger_to_json(s->l);
    wc_ledger *back = NULL;
    wc_error err;
    assert_int_equal(wc_ledger_from_json("t", text, strlen(text), &back, &err), WC_OK);
    char *again = wc_ledger_to_json(back);
    assert_string_equal(text, again);
    free(text);
    free(again);
    wc_ledger_free(s->l);
    s->l = back;
    return fate;
}

/* Delivers steps in the order given by idx, each twice when twice is set (the second time
 * right after a later one), retrying those found absent after every step that applied (as the
 * consumer's deferrals do), and checks the end state against the sequential one. */
static void deliver(const step *steps, size_t n, const size_t *idx, int twice, const char *want)
{
    stored s = {.l = wc_ledger_new()};
    size_t waiting[16], n_waiting = 0;
    for (size_t k = 0; k < n; k++) {
        const step *st = &steps[idx[k]];
        wc_fate fate = apply(&s, st);
        if (fate == WC_FATE_ABSENT) {
            waiting[n_waiting++] = idx[k];
            continue;
        }
        if (twice && k > 0) /* the one before, delivered again */
            apply(&s, &steps[idx[k - 1]]);
        for (size_t again = 1; again;) {
            again = 0;
            for (size_t i = 0; i < n_waiting; i++) {
                if (apply(&s, &steps[waiting[i]]) != WC_FATE_ABSENT) {
                    waiting[i] = waiting[--n_waiting];
                    again = 1;
                    break;
                }
            }
        }
    }
    char *got = s.w ? wc_widget_to_json(s.w) : NULL;
    if (want)
        assert_non_null(got);
    if (want && got)
        assert_string_equal(got, want);
    else
        assert_null(got);
    free(got);
    wc_widget_free(s.w);
    wc_ledger_free(s.l);
}

static size_t n_orders;

/* Every order of steps (Heap's algorithm), delivered once and with redeliveries. */
static void every_order(const step *steps, size_t n, size_t *idx, size_t k, const char *want)
{
    if (k == 1) {
        deliver(steps, n, idx, 0, want);
        deliver(steps, n, idx, 1, want);
        n_orders++;
        return;
    }
    for (size_t i = 0; i < k; i++) {
        every_order(steps, n, idx, k - 1, want);
        size_t j = k % 2 ? 0 : i;
        size_t t = idx[j];
        idx[j] = idx[k - 1];
        idx[k - 1] = t;
    }
}

static void check_every_order(const step *steps, size_t n)
{
    char *want = sequential(steps, n);
    size_t idx[16];
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    n_orders = 0;
    every_order(steps, n, idx, n, want);
    free(want);
}

static void updates_in_any_order_give_the_sequential_widget(void **state)
{
    (void)state;
    static const step steps[] = {
        REQ("create", "1000000000001",
            ",\"label\":\"L0\",\"otherAttributes\":[{\"name\":\"color\",\"value\":\"red\"},"
            "{\"name\":\"size\",\"value\":\"4\"}]"),
        REQ("update", "1000000000002",
            ",\"label\":\"LABEL-ONE\",\"otherAttributes\":[{\"name\":\"color\",\"value\":"
            "\"blue\"}]"),
        REQ("update", "1000000000003",
            ",\"label\":\"LABEL-TWO\",\"otherAttributes\":[{\"name\":\"weight\",\"value\":"
            "\"9\"}]"),
        REQ("update", "1000000000004", ",\"otherAttributes\":[{\"name\":\"size\",\"value\":\"\"}]"),
        REQ("update", "1000000000005",
            ",\"description\":\"D\",\"otherAttributes\":[{\"name\":\"color\",\"value\":"
            "\"green\"},{\"name\":\"height\",\"value\":\"2\"}]"),
        REQ("update", "1000000000006", ",\"description\":\"\",\"label\":null"),
    };
    check_every_order(steps, 6);
    assert_int_equal(n_orders, 720);
}

static void a_delete_in_any_order_leaves_nothing_and_is_remembered(void **state)
{
    (void)state;
    static const step steps[] = {
        REQ("create", "1000000000001", ",\"label\":\"L0\""),
        REQ("update", "1000000000002", ",\"label\":\"L1\""),
        REQ("update", "1000000000003", ",\"otherAttributes\":[{\"name\":\"a\",\"value\":\"1\"}]"),
        REQ("delete", "1000000000004", ""),
    };
    check_every_order(steps, 4);

    stored s = {.l = wc_ledger_new()};
    for (int i = 0; i < 4; i++)
        assert_int_equal(apply(&s, &steps[i]), WC_FATE_APPLIED);
    assert_null(s.w);
    assert_string_equal(s.l->deleted, "1000000000004");
    /* delivered again after the delete: nothing comes back, nothing is a warning */
    assert_int_equal(apply(&s, &steps[0]), WC_FATE_SUPERSEDED);
    assert_int_equal(apply(&s, &steps[2]), WC_FATE_SUPERSEDED);
    assert_int_equal(apply(&s, &steps[3]), WC_FATE_ALREADY);
    assert_null(s.w);
    /* a request after the delete finds nothing: absent (deferred, then warned) */
    static const step late = REQ("update", "1000000000009", ",\"label\":\"L9\"");
    assert_int_equal(apply(&s, &late), WC_FATE_ABSENT);
    wc_ledger_free(s.l);
}

static void what_comes_before_its_create_waits(void **state)
{
    (void)state;
    static const step steps[] = {
        REQ("create", "1000000000001", ""),
        REQ("update", "1000000000002", ",\"label\":\"L1\""),
        REQ("delete", "1000000000003", ""),
    };
    stored s = {.l = wc_ledger_new()};
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_ABSENT);
    assert_int_equal(apply(&s, &steps[2]), WC_FATE_ABSENT);
    assert_null(s.w);
    assert_null(s.l->deleted);
    assert_int_equal(apply(&s, &steps[0]), WC_FATE_APPLIED);
    assert_int_equal(apply(&s, &steps[0]), WC_FATE_ALREADY);
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_APPLIED);
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_ALREADY);
    assert_string_equal(s.w->label, "L1");
    wc_widget_free(s.w);
    wc_ledger_free(s.l);
}

static void an_update_naming_one_attribute_twice_is_the_same_applied_twice(void **state)
{
    (void)state;
    static const step steps[] = {
        REQ("create", "1000000000001",
            ",\"otherAttributes\":[{\"name\":\"o\",\"value\":\"first\"},"
            "{\"name\":\"z\",\"value\":\"0\"}]"),
        REQ("update", "1000000000002",
            ",\"otherAttributes\":[{\"name\":\"o\",\"value\":\"\"},{\"name\":\"o\",\"value\":"
            "\"x\"},{\"name\":\"z\",\"value\":\"y\"}]"),
    };
    stored s = {.l = wc_ledger_new()};
    apply(&s, &steps[0]);
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_APPLIED);
    char *once = wc_widget_to_json(s.w);
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_ALREADY);
    char *twice = wc_widget_to_json(s.w);
    assert_string_equal(once, twice);
    char *want = sequential(steps, 2);
    assert_string_equal(once, want);
    assert_non_null(strstr(once, "[{\"name\":\"z\",\"value\":\"y\"},{\"name\":\"o\""));
    free(once);
    free(twice);
    free(want);
    wc_widget_free(s.w);
    wc_ledger_free(s.l);
}

static void a_ledger_that_is_not_one_is_a_parse_error(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "[]",
        "{\"c\":1,\"d\":null,\"m\":[]}",
        "{\"c\":null,\"d\":null}",
        "{\"c\":null,\"d\":null,\"m\":[[\"label\"]]}",
        "{\"c\":null,\"d\":null,\"m\":[[\"label\",\"1\",null,null],[\"label\",\"2\",null,null]]}",
        "{\"c\":\"has space\",\"d\":null,\"m\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        wc_ledger *l = (wc_ledger *)1;
        wc_error err;
        assert_int_equal(wc_ledger_from_json("widgets/x/w1", bad[i], strlen(bad[i]), &l, &err),
                         WC_ERR_PARSE);
        assert_null(l);
        assert_non_null(strstr(err.msg, "widgets/x/w1"));
    }
    assert_true(wc_place_is_valid("1700000000000-0000000001"));
    assert_false(wc_place_is_valid(""));
    assert_false(wc_place_is_valid("a\nb"));
}

/* Found by tests/fuzz/fuzz_ledger.c: attributes first set by one request keep that request's
 * order when a later request that sets them again comes first. */
static void attributes_first_set_together_keep_their_order(void **state)
{
    (void)state;
    static const step steps[] = {
        REQ("create", "1000000000001", ""),
        REQ("update", "1000000000002",
            ",\"otherAttributes\":[{\"name\":\"a\",\"value\":\"1\"},{\"name\":\"b\",\"value\":"
            "\"1\"}]"),
        REQ("update", "1000000000003",
            ",\"otherAttributes\":[{\"name\":\"b\",\"value\":\"2\"},{\"name\":\"a\",\"value\":"
            "\"2\"}]"),
    };
    check_every_order(steps, 3);
    stored s = {.l = wc_ledger_new()};
    apply(&s, &steps[0]);
    apply(&s, &steps[2]);
    apply(&s, &steps[1]);
    char *json = wc_widget_to_json(s.w);
    assert_string_equal(json, "{\"id\":\"w1\",\"owner\":\"Mary Matthews\",\"otherAttributes\":[{"
                              "\"name\":\"a\",\"value\":\"2\"},{\"name\":\"b\",\"value\":\"2\"}]}");
    free(json);
    wc_widget_free(s.w);
    wc_ledger_free(s.l);
}

/* A widget created again after its delete (not in the spec's model: ids are UUIDs). The new
 * life's create coming while the old life is still there leaves it as it is (the known limit in
 * ledger.h); come after the delete, it makes the new life; the old life's delete coming after the
 * new create is only remembered, and what the old life's requests still bring is superseded. */
static void a_widget_created_again_after_its_delete(void **state)
{
    (void)state;
    static const step steps[] = {
        REQ("create", "1000000000001", ",\"label\":\"OLD\""),
        REQ("update", "1000000000002", ",\"description\":\"old life\""),
        REQ("delete", "1000000000003", ""),
        REQ("create", "1000000000004", ",\"label\":\"NEW\""),
    };
    stored s = {.l = wc_ledger_new()};
    assert_int_equal(apply(&s, &steps[0]), WC_FATE_APPLIED);
    assert_int_equal(apply(&s, &steps[3]), WC_FATE_UNCHANGED); /* the old life is still there */
    assert_string_equal(s.w->label, "OLD");
    assert_int_equal(apply(&s, &steps[2]), WC_FATE_APPLIED);
    assert_int_equal(apply(&s, &steps[3]), WC_FATE_APPLIED); /* delivered again, after it */
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_SUPERSEDED);
    assert_string_equal(s.w->label, "NEW");
    assert_null(s.w->description);
    wc_widget_free(s.w);
    wc_ledger_free(s.l);

    /* the new life first, then the old life's requests */
    s = (stored){.l = wc_ledger_new()};
    assert_int_equal(apply(&s, &steps[3]), WC_FATE_APPLIED);
    assert_int_equal(apply(&s, &steps[0]), WC_FATE_SUPERSEDED);
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_ABSENT);  /* its delete not known yet */
    assert_int_equal(apply(&s, &steps[2]), WC_FATE_APPLIED); /* remembered, widget kept */
    assert_int_equal(apply(&s, &steps[2]), WC_FATE_ALREADY);
    assert_int_equal(apply(&s, &steps[1]), WC_FATE_SUPERSEDED);
    assert_string_equal(s.w->label, "NEW");
    wc_widget_free(s.w);
    wc_ledger_free(s.l);
}

/* A request of widget w1 with n attributes "name-<i>" (from the i-th of names, when given) set
 * to value (NULL: "v<i>"). Caller frees. */
static wc_request *many(const char *type, size_t n, const char *value, const char *place)
{
    size_t cap = 200 + n * 64;
    char *json = malloc(cap);
    assert_non_null(json);
    size_t len = (size_t)snprintf(json, cap,
                                  "{\"type\":\"%s\",\"requestId\":\"r%s\",\"widgetId\":\"w1\","
                                  "\"owner\":\"Sue Smith\",\"otherAttributes\":[",
                                  type, place);
    for (size_t i = 0; i < n; i++) {
        char v[32];
        snprintf(v, sizeof(v), "v%zu", i);
        len +=
            (size_t)snprintf(json + len, cap - len, "%s{\"name\":\"name-%05zu\",\"value\":\"%s\"}",
                             i ? "," : "", (i * 7919) % n, value ? value : v);
    }
    snprintf(json + len, cap - len, "]}");
    wc_request *r = parse(json);
    free(json);
    r->place = strdup(place);
    return r;
}

/* Applying one request costs O((n + m + k) log(n + m + k)) comparisons: counted, not timed, on a
 * widget of 10,000 attributes (a scan per attribute would be about 10^8). */
static void an_update_of_ten_thousand_attributes_costs_n_log_n(void **state)
{
    (void)state;
    const size_t n = 10000;
    wc_widget *w = NULL;
    wc_ledger *l = wc_ledger_new();
    wc_fate fate;
    wc_request *c = many("create", n, NULL, "1000000000001");
    wc_place_comparisons_reset();
    assert_int_equal(wc_ledger_apply(&w, l, c, c->place, &fate), WC_OK);
    assert_int_equal(fate, WC_FATE_APPLIED);
    uint64_t create_cost = wc_place_comparisons();
    /* through JSON, as a store keeps it */
    wc_place_comparisons_reset();
    char *text = wc_ledger_to_json(l);
    wc_ledger *back = NULL;
    assert_int_equal(wc_ledger_from_json("t", text, strlen(text), &back, NULL), WC_OK);
    uint64_t json_cost = wc_place_comparisons();
    wc_ledger_free(l);
    free(text);
    l = back;
    wc_request *u = many("update", n, "new", "1000000000002");
    wc_place_comparisons_reset();
    assert_int_equal(wc_ledger_apply(&w, l, u, u->place, &fate), WC_OK);
    uint64_t update_cost = wc_place_comparisons();
    assert_int_equal(fate, WC_FATE_APPLIED);
    assert_int_equal(w->n_attrs, n);
    /* first set by the create, in its order: the update keeps it */
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "name-%05zu", (i * 7919) % n);
        assert_string_equal(w->attrs[i].name, name);
        assert_string_equal(w->attrs[i].value, "new");
    }
    /* 3 * 10,000 things sorted and searched: log2(30,000) < 15 */
    const uint64_t bound = 40 * 3 * n * 15;
    print_message("comparisons: create %llu, JSON round trip %llu, update %llu (bound %llu)\n",
                  (unsigned long long)create_cost, (unsigned long long)json_cost,
                  (unsigned long long)update_cost, (unsigned long long)bound);
    assert_true(create_cost < bound);
    assert_true(json_cost < bound);
    assert_true(update_cost < bound);
    wc_request_free(c);
    wc_request_free(u);
    wc_widget_free(w);
    wc_ledger_free(l);
}

/* The ledger's size is bounded by the widget's live attributes n: at most n + 2 marks for
 * them, label and description, plus max(64, n) removals; a delete keeps two places. */
static void the_ledger_stays_bounded_whatever_comes(void **state)
{
    (void)state;
    wc_widget *w = NULL;
    wc_ledger *l = wc_ledger_new();
    wc_fate fate;
    wc_request *c = many("create", 10, NULL, "1000000000001");
    assert_int_equal(wc_ledger_apply(&w, l, c, c->place, &fate), WC_OK);
    wc_request_free(c);
    unsigned seed = 7;
    for (int round = 0; round < 2000; round++) {
        char json[512], place[32];
        seed = seed * 1103515245u + 12345u;
        unsigned name = (seed >> 8) % 500; /* 500 names set, cleared and set again */
        int clear = (seed >> 20) % 2;
        snprintf(
            json, sizeof(json),
            "{\"type\":\"update\",\"requestId\":\"r%d\",\"widgetId\":\"w1\",\"owner\":\"Sue "
            "Smith\",\"label\":\"%s\",\"otherAttributes\":[{\"name\":\"x%u\",\"value\":\"%s\"}]}",
            round, clear ? "" : "L", name, clear ? "" : "on");
        /* delivered out of order: places jump back and forth */
        snprintf(place, sizeof(place), "%013lld", 2000000000000LL + (round ^ 5) * 3);
        wc_request *u = parse(json);
        assert_int_equal(wc_ledger_apply(&w, l, u, place, &fate), WC_OK);
        wc_request_free(u);
        size_t n = w->n_attrs, removals_bound = n > 64 ? n : 64;
        assert_true(l->n_marks <= n + 2 + removals_bound);
    }
    char *text = wc_ledger_to_json(l);
    print_message("after 2,000 updates of 500 names: %zu attributes, %zu marks, %zu bytes\n",
                  w->n_attrs, l->n_marks, strlen(text));
    free(text);
    wc_request *d = parse("{\"type\":\"delete\",\"requestId\":\"rd\",\"widgetId\":\"w1\","
                          "\"owner\":\"Sue Smith\"}");
    assert_int_equal(wc_ledger_apply(&w, l, d, "3000000000000", &fate), WC_OK);
    assert_int_equal(fate, WC_FATE_APPLIED);
    assert_null(w);
    text = wc_ledger_to_json(l);
    assert_string_equal(text,
                        "{\"v\":2,\"p\":[\"1000000000001\",\"3000000000000\"],\"c\":0,\"d\":1}");
    free(text);
    wc_request_free(d);
    wc_ledger_free(l);
}

/* A widget of 40 attributes made by one create through a queue without a sequence keeps a
 * ledger of one place (its attributes' marks are implied); an update of all of them adds their
 * names and its place once, not 40 copies of it. */
static void each_place_is_written_once(void **state)
{
    (void)state;
    char place[40];
    assert_true(wc_place_of_message(1764000000123ULL, "2d0c9c4e-3f5e-4cde-9a53-1bd5b5d1c0aa", place,
                                    sizeof(place)));
    char *ranked = wc_place_with_type(place, WC_REQ_CREATE);
    wc_request *c = many("create", 40, NULL, ranked);
    wc_widget *w = NULL;
    wc_ledger *l = wc_ledger_new();
    wc_fate fate;
    assert_int_equal(wc_ledger_apply(&w, l, c, c->place, &fate), WC_OK);
    /* the marks that say only "set by the create" are implied */
    char *text = wc_ledger_to_json(l);
    char want[128];
    snprintf(want, sizeof(want), "{\"v\":2,\"p\":[\"%s\"],\"c\":0}", ranked);
    assert_string_equal(text, want);
    free(text);
    assert_int_equal(l->n_marks, 0);
    char *later = wc_place_with_type(place, WC_REQ_UPDATE);
    wc_request *u = many("update", 40, "new", later);
    assert_int_equal(wc_ledger_apply(&w, l, u, u->place, &fate), WC_OK);
    assert_int_equal(fate, WC_FATE_APPLIED);
    text = wc_ledger_to_json(l);
    const char *first = strstr(text, later);
    assert_non_null(first);
    assert_null(strstr(first + 1, later));
    assert_true(strlen(text) < 40 * strlen("[\"name-00000\",1,0,39],") + 100);
    print_message("a widget of 40 attributes: ledger %zu bytes after an update of all\n",
                  strlen(text));
    free(text);
    free(later);
    wc_request_free(u);
    free(ranked);
    wc_request_free(c);
    wc_widget_free(w);
    wc_ledger_free(l);
}

/* A ledger written by the first version ({"c","d","m"}, places in full) is still read. */
static void a_first_version_ledger_is_read(void **state)
{
    (void)state;
    const char *v1 = "{\"c\":\"1000000000001\",\"d\":null,\"m\":[[\"label\",\"1000000000003\","
                     "null,null],[\"a:b\",\"1000000000001\",\"1000000000001#0001\",null],"
                     "[\"a:a\",\"1000000000001\",\"1000000000001#0000\",null]]}";
    wc_ledger *l = NULL;
    assert_int_equal(wc_ledger_from_json("t", v1, strlen(v1), &l, NULL), WC_OK);
    char *text = wc_ledger_to_json(l);
    assert_string_equal(text, "{\"v\":2,\"p\":[\"1000000000001\",\"1000000000003\"],\"c\":0,"
                              "\"l\":1,\"a\":[[\"b\",0,0,1],[\"a\",0,0,0]]}");
    free(text);
    wc_ledger_free(l);
    static const char *const bad[] = {
        "{\"v\":3,\"p\":[]}",
        "{\"v\":2,\"p\":[\"1\"],\"c\":1}",
        "{\"v\":2,\"p\":[\"1\"],\"a\":[[\"x\",0],[\"x\",0]]}",
        "{\"v\":2,\"p\":[\"1\"],\"a\":[[\"x\",0,0]]}",
        "{\"v\":2,\"p\":[\"with space\"]}",
        "{\"v\":2,\"p\":[\"1\"],\"a\":[[\"x\",0,0,-1]]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wc_error err;
        assert_int_equal(wc_ledger_from_json("t", bad[i], strlen(bad[i]), &l, &err), WC_ERR_PARSE);
    }
}

/* Issue 19: a create and its update sent in one SendMessageBatch share a SentTimestamp; ranked
 * by type, the update sorts after its create whatever the message ids, so it waits for it. */
static void a_create_and_its_update_in_one_millisecond_keep_their_order(void **state)
{
    (void)state;
    for (int trial = 0; trial < 50; trial++) {
        char id_c[32], id_u[32], id_d[32], pc[40], pu[40], pd[40];
        snprintf(id_c, sizeof(id_c), "c-%d", trial);
        snprintf(id_u, sizeof(id_u), "u-%d", trial);
        snprintf(id_d, sizeof(id_d), "d-%d", trial);
        assert_true(wc_place_of_message(1764000000123ULL, id_c, pc, sizeof(pc)));
        assert_true(wc_place_of_message(1764000000123ULL, id_u, pu, sizeof(pu)));
        assert_true(wc_place_of_message(1764000000123ULL, id_d, pd, sizeof(pd)));
        char *c = wc_place_with_type(pc, WC_REQ_CREATE), *u = wc_place_with_type(pu, WC_REQ_UPDATE),
             *d = wc_place_with_type(pd, WC_REQ_DELETE);
        assert_true(strcmp(c, u) < 0);
        assert_true(strcmp(u, d) < 0);
        step steps[] = {
            {c, "{\"type\":\"create\",\"requestId\":\"rc\",\"widgetId\":\"w1\",\"owner\":\"Sue "
                "Smith\",\"label\":\"OLD\"}"},
            {u, "{\"type\":\"update\",\"requestId\":\"ru\",\"widgetId\":\"w1\",\"owner\":\"Sue "
                "Smith\",\"label\":\"NEW\"}"},
        };
        /* the update first: absent (deferred), then the create, then the update again */
        stored s = {.l = wc_ledger_new()};
        assert_int_equal(apply(&s, &steps[1]), WC_FATE_ABSENT);
        assert_int_equal(apply(&s, &steps[0]), WC_FATE_APPLIED);
        assert_int_equal(apply(&s, &steps[1]), WC_FATE_APPLIED);
        assert_false(s.tied);
        assert_string_equal(s.w->label, "NEW");
        wc_widget_free(s.w);
        wc_ledger_free(s.l);
        free(c);
        free(u);
        free(d);
    }
}

/* Two updates of one widget in one millisecond without a sequence: undecidable, so one of them
 * wins (the same in every consumer) and the tie is told. */
static void two_updates_in_one_millisecond_are_a_tie(void **state)
{
    (void)state;
    char p1[40], p2[40];
    assert_true(wc_place_of_message(1764000000123ULL, "one", p1, sizeof(p1)));
    assert_true(wc_place_of_message(1764000000123ULL, "two", p2, sizeof(p2)));
    char *u1 = wc_place_with_type(p1, WC_REQ_UPDATE), *u2 = wc_place_with_type(p2, WC_REQ_UPDATE);
    assert_true(wc_place_tied(u1, u2));
    assert_false(wc_place_tied(u1, u1));
    assert_false(wc_place_tied("1000000000001", "1000000000002"));
    step steps[] = {
        {"1000000000000", "{\"type\":\"create\",\"requestId\":\"rc\",\"widgetId\":\"w1\","
                          "\"owner\":\"Sue Smith\",\"label\":\"OLD\"}"},
        {u1, "{\"type\":\"update\",\"requestId\":\"r1\",\"widgetId\":\"w1\",\"owner\":\"Sue "
             "Smith\",\"label\":\"ONE\"}"},
        {u2, "{\"type\":\"update\",\"requestId\":\"r2\",\"widgetId\":\"w1\",\"owner\":\"Sue "
             "Smith\",\"label\":\"TWO\"}"},
    };
    const char *winner = strcmp(u1, u2) > 0 ? "ONE" : "TWO";
    for (int order = 0; order < 2; order++) {
        stored s = {.l = wc_ledger_new()};
        assert_int_equal(apply(&s, &steps[0]), WC_FATE_APPLIED);
        assert_int_equal(apply(&s, &steps[1 + order]), WC_FATE_APPLIED);
        assert_false(s.tied);
        assert_int_equal(apply(&s, &steps[2 - order]), WC_FATE_APPLIED);
        assert_true(s.tied);
        assert_string_equal(s.tied_with, order ? u2 : u1);
        assert_string_equal(s.w->label, winner);
        wc_widget_free(s.w);
        wc_ledger_free(s.l);
    }
    /* Two updates in one millisecond adding different attributes: their order on the widget is
     * decided by the tie, and told too. */
    step adds[] = {
        {"1000000000000", "{\"type\":\"create\",\"requestId\":\"rc\",\"widgetId\":\"w1\","
                          "\"owner\":\"Sue Smith\"}"},
        {u1, "{\"type\":\"update\",\"requestId\":\"r1\",\"widgetId\":\"w1\",\"owner\":\"Sue "
             "Smith\",\"otherAttributes\":[{\"name\":\"a\",\"value\":\"1\"}]}"},
        {u2, "{\"type\":\"update\",\"requestId\":\"r2\",\"widgetId\":\"w1\",\"owner\":\"Sue "
             "Smith\",\"otherAttributes\":[{\"name\":\"b\",\"value\":\"2\"}]}"},
    };
    stored s = {.l = wc_ledger_new()};
    assert_int_equal(apply(&s, &adds[0]), WC_FATE_APPLIED);
    assert_int_equal(apply(&s, &adds[2]), WC_FATE_APPLIED);
    assert_false(s.tied);
    assert_int_equal(apply(&s, &adds[1]), WC_FATE_APPLIED);
    assert_true(s.tied);
    assert_string_equal(s.tied_with, u2);
    wc_widget_free(s.w);
    wc_ledger_free(s.l);
    /* places that are not SQS messages' never tie, whatever their '~' */
    assert_false(wc_place_tied("1000000000001~a", "1000000000001~b"));
    free(u1);
    free(u2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(updates_in_any_order_give_the_sequential_widget),
        cmocka_unit_test(a_delete_in_any_order_leaves_nothing_and_is_remembered),
        cmocka_unit_test(what_comes_before_its_create_waits),
        cmocka_unit_test(an_update_naming_one_attribute_twice_is_the_same_applied_twice),
        cmocka_unit_test(a_ledger_that_is_not_one_is_a_parse_error),
        cmocka_unit_test(attributes_first_set_together_keep_their_order),
        cmocka_unit_test(a_widget_created_again_after_its_delete),
        cmocka_unit_test(an_update_of_ten_thousand_attributes_costs_n_log_n),
        cmocka_unit_test(the_ledger_stays_bounded_whatever_comes),
        cmocka_unit_test(each_place_is_written_once),
        cmocka_unit_test(a_first_version_ledger_is_read),
        cmocka_unit_test(a_create_and_its_update_in_one_millisecond_keep_their_order),
        cmocka_unit_test(two_updates_in_one_millisecond_are_a_tie),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
