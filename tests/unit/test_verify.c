#include "common/clock.h"
#include "producer/verify.h"
#include "stores/dir_store.h"
#include "testutil.h"

/* The directory store calls done at once; these tests only look at the files. */
static void ignore_done(void *ctx, wc_result result, const wc_error *err)
{
}

/* Stores w as classic order does (no ledger) where no widget is. */
static void store_widget(wc_store *s, const wc_widget *w)
{
    wc_request r = {.widget_id = w->id, .owner = w->owner};
    wc_stored nothing = {0};
    assert_int_equal(s->ops->save(s->self, &r, &nothing, w, NULL, ignore_done, NULL, NULL), WC_OK);
}

static wc_widget *widget(const char *id, const char *owner, const char *label)
{
    wc_widget *w = calloc(1, sizeof(*w));
    w->id = strdup(id);
    w->owner = strdup(owner);
    w->label = label ? strdup(label) : NULL;
    return w;
}

/* A directory store (its folder new) and an empty expected state, per test. */
typedef struct {
    char *dir;
    wc_store s;
    wc_widget_map *expected;
} fixture;

static int open_fixture(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = make_temp_dir();
    wc_dir_store_config c = {f->dir, "widgets/", 0, 0, NULL};
    assert_int_equal(wc_dir_store_open(&c, &f->s, NULL), WC_OK);
    f->expected = wc_widget_map_new();
    *state = f;
    return 0;
}

static int close_fixture(void **state)
{
    fixture *f = *state;
    wc_widget_map_free(f->expected);
    wc_store_destroy(&f->s);
    rm_rf(f->dir);
    free(f);
    return 0;
}

/* The report as wc_verify_print writes it; caller frees. */
static char *printed(const wc_verify_report *r)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    wc_verify_print(r, f);
    fclose(f);
    return out;
}

static void reports_each_kind_of_difference(void **state)
{
    fixture *f = *state;
    wc_widget_map_put(f->expected, widget("same", "Sue Smith", "A"));
    wc_widget_map_put(f->expected, widget("changed", "Sue Smith", "A"));
    wc_widget_map_put(f->expected, widget("gone", "Sue Smith", "A"));
    wc_widget_map_put(f->expected, widget("moved", "Sue Smith", "A"));

    wc_widget *same = widget("same", "Sue Smith", "A");
    wc_widget *changed = widget("changed", "Sue Smith", "B");
    wc_widget *extra = widget("extra", "Sue Smith", "A");
    wc_widget *moved = widget("moved", "Sue Smith", "A");
    store_widget(&f->s, same);
    store_widget(&f->s, changed);
    store_widget(&f->s, extra);
    free(moved->owner);
    moved->owner = strdup("John Jones"); /* stored under another owner's key */
    store_widget(&f->s, moved);
    assert_int_equal(wc_mkdirs(f->dir, NULL), WC_OK);
    write_text(f->dir, "widgets/sue-smith/broken", "{");

    wc_verify_report r;
    assert_int_equal(wc_verify_store(&f->s, "widgets/", f->expected, &r, NULL), WC_OK);
    assert_false(wc_verify_ok(&r));
    assert_int_equal(r.expected, 4);
    assert_int_equal(r.found, 5);
    assert_int_equal(r.matching, 1);
    assert_int_equal(r.different, 1);
    assert_int_equal(r.unexpected, 2); /* extra, and moved at the wrong key */
    assert_int_equal(r.missing, 2);    /* gone, and moved at its right key */
    assert_int_equal(r.unreadable, 1);

    char *out = printed(&r);
    assert_non_null(strstr(out, "DIFFERENCES: 4 expected, 5 found: 1 matching, 2 missing, "
                                "2 unexpected, 1 different, 1 unreadable\n"));
    assert_non_null(
        strstr(out, "  different: widgets/sue-smith/changed: label \"B\", expected \"A\"\n"));
    assert_non_null(strstr(out, "  missing: gone (owner \"Sue Smith\")\n"));
    assert_non_null(strstr(out, "  unexpected: widgets/john-jones/moved\n"));
    free(out);

    wc_widget_free(same);
    wc_widget_free(changed);
    wc_widget_free(extra);
    wc_widget_free(moved);
}

/* A widget of n attributes "attr00000".. with values "v0".., in that order or (reversed) the
 * other way round. */
static wc_widget *wide_widget(const char *id, size_t n, int reversed)
{
    wc_widget *w = widget(id, "Sue Smith", "A");
    append_wide(w, n, reversed);
    return w;
}

/* Widgets of 10,000 attributes that differ in one (a value, an attribute too many, the order):
 * each message names that attribute, or the order, as a widget of a few attributes would. */
static void a_wide_widget_differing_in_one_attribute_names_it(void **state)
{
    enum { N = 10000 };
    fixture *f = *state;
    wc_widget_map_put(f->expected, wide_widget("value", N, 0));
    wc_widget_map_put(f->expected, wide_widget("extra", N, 0));
    wc_widget_map_put(f->expected, wide_widget("order", N, 0));
    wc_widget_map_put(f->expected, wide_widget("same", N, 0));

    wc_widget *value = wide_widget("value", N, 0);
    free(value->attrs[7777].value);
    value->attrs[7777].value = strdup("changed");
    wc_widget *extra = wide_widget("extra", N, 0);
    assert_int_equal(wc_widget_append_attr(extra, "attr10000", "new"), WC_OK);
    wc_widget *order = wide_widget("order", N, 1);
    wc_widget *same = wide_widget("same", N, 0);
    wc_widget *stored[] = {value, extra, order, same};
    for (size_t i = 0; i < 4; i++)
        store_widget(&f->s, stored[i]);

    wc_verify_report r;
    assert_int_equal(wc_verify_store(&f->s, "widgets/", f->expected, &r, NULL), WC_OK);
    assert_int_equal(r.expected, 4);
    assert_int_equal(r.matching, 1);
    assert_int_equal(r.different, 3);
    char *out = printed(&r);
    assert_non_null(strstr(
        out, "  different: widgets/sue-smith/value: attribute attr07777 \"changed\", expected "
             "\"v7777\"\n"));
    assert_non_null(
        strstr(out, "  different: widgets/sue-smith/extra: attribute attr10000 not expected\n"));
    assert_non_null(
        strstr(out, "  different: widgets/sue-smith/order: attributes in another order\n"));
    free(out);

    for (size_t i = 0; i < 4; i++)
        wc_widget_free(stored[i]);
}

/* More different widgets than examples: all counted, the first few described. */
static void every_different_widget_is_counted(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 3 * WC_VERIFY_EXAMPLES; i++) {
        char id[16];
        snprintf(id, sizeof(id), "w%02d", i);
        wc_widget_map_put(f->expected, widget(id, "Sue Smith", "A"));
        wc_widget *got = widget(id, "Sue Smith", "B");
        store_widget(&f->s, got);
        wc_widget_free(got);
    }
    wc_verify_report r;
    assert_int_equal(wc_verify_store(&f->s, "widgets/", f->expected, &r, NULL), WC_OK);
    assert_int_equal(r.different, 3 * WC_VERIFY_EXAMPLES);
    for (int i = 0; i < WC_VERIFY_EXAMPLES; i++)
        assert_non_null(strstr(r.examples[2][i], ": label \"B\", expected \"A\""));
}

static void expected_state_file_round_trips(void **state)
{
    char *dir = make_temp_dir();
    char *path = wc_path_join(dir, "expected.json");
    wc_widget_map *m = wc_widget_map_new();
    for (int i = 0; i < 3000; i++) { /* enough to make the table grow */
        char id[32];
        snprintf(id, sizeof(id), "w%04d", i);
        wc_widget *w = widget(id, "Ann Archer", i % 2 ? "L" : NULL);
        wc_widget_set_attr(w, "color", "red");
        assert_int_equal(wc_widget_map_put(m, w), WC_OK);
    }
    assert_int_equal(wc_widget_map_remove(m, "w0007"), 1);
    assert_int_equal(wc_widget_map_remove(m, "w0007"), 0);
    assert_int_equal(wc_widget_map_save(m, path, NULL), WC_OK);
    wc_widget_map *back = NULL;
    assert_int_equal(wc_widget_map_load(path, &back, NULL), WC_OK);
    assert_int_equal(wc_widget_map_size(back), 2999);
    assert_null(wc_widget_map_get(back, "w0007"));
    assert_true(
        wc_widget_equal(wc_widget_map_get(m, "w2001"), wc_widget_map_get(back, "w2001"), 1));
    write_text(dir, "bad.json", "{\"not\":\"a list\"}");
    char *bad = wc_path_join(dir, "bad.json");
    wc_widget_map *none = NULL;
    wc_error err;
    assert_int_equal(wc_widget_map_load(bad, &none, &err), WC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not a JSON array of widgets"));
    free(bad);
    wc_widget_map_free(m);
    wc_widget_map_free(back);
    free(path);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reports_each_kind_of_difference, open_fixture,
                                        close_fixture),
        cmocka_unit_test_setup_teardown(a_wide_widget_differing_in_one_attribute_names_it,
                                        open_fixture, close_fixture),
        cmocka_unit_test_setup_teardown(every_different_widget_is_counted, open_fixture,
                                        close_fixture),
        cmocka_unit_test(expected_state_file_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
