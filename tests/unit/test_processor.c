#include "common/clock.h"
#include "consumer/processor.h"
#include "stores/dir_store.h"
#include "testutil.h"

static void apply(wc_store *s, const char *json, wc_result want)
{
    wc_request *r = NULL;
    wc_error err;
    assert_int_equal(wc_request_parse("t", json, strlen(json), &r, &err), WC_OK);
    wc_result got = wc_process(s, r, &err);
    if (got != want)
        fail_msg("%s: got %s (%s)", json, wc_result_name(got), err.msg);
    wc_request_free(r);
}

#define REQ(type, rest)                                                                            \
    "{\"type\":\"" type "\",\"requestId\":\"r\",\"widgetId\":\"w1\",\"owner\":\"Sue Smith\"" rest  \
    "}"

static void create_update_delete_through_the_store(void **state)
{
    char *dir = make_temp_dir();
    wc_store s;
    wc_dir_store_config c = {dir, "widgets/", 0};
    assert_int_equal(wc_dir_store_open(&c, &s, NULL), WC_OK);
    apply(&s, REQ("update", ",\"label\":\"L\""), WC_ERR_NOT_FOUND);
    apply(&s, REQ("create", ",\"label\":\"A\""), WC_OK);
    apply(&s, REQ("update", ",\"label\":\"B\""), WC_OK);
    char *text = read_text(dir, "widgets/sue-smith/w1");
    assert_string_equal(text, "{\"id\":\"w1\",\"owner\":\"Sue Smith\",\"label\":\"B\","
                              "\"otherAttributes\":[]}");
    free(text);
    apply(&s, REQ("delete", ""), WC_OK);
    assert_false(file_exists(dir, "widgets/sue-smith/w1"));
    apply(&s, REQ("delete", ""), WC_ERR_NOT_FOUND);
    wc_store_destroy(&s);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_update_delete_through_the_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
