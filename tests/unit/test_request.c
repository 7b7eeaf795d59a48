#include "common/clock.h"
#include "core/request.h"
#include "testutil.h"

#define SPEC_EXAMPLE                                                                               \
    "{\"type\":\"create\",\"requestId\":\"e80fab52-71a5-4a76-8c4d-11b66b83ca2a\",\"widgetId\":"    \
    "\"8123f304-f23f-440b-a6d3-80e979fa4cd6\",\"owner\":\"Mary Matthews\",\"label\":\"JWJYY\","    \
    "\"description\":\"THBRNVNQPYAWNHGRGUKI\",\"otherAttributes\":[{\"name\":\"width-unit\","      \
    "\"value\":\"cm\"},{\"name\":\"rating\",\"value\":\"2.580677\"}]}"

static wc_request *parse_ok(const char *json)
{
    wc_request *r = NULL;
    wc_error err;
    wc_result result = wc_request_parse("k", json, strlen(json), &r, &err);
    if (result != WC_OK)
        fail_msg("unexpected error: %s", err.msg);
    return r;
}

static void the_spec_example_parses(void **state)
{
    wc_request *r = parse_ok(SPEC_EXAMPLE);
    assert_int_equal(r->type, WC_REQ_CREATE);
    assert_string_equal(r->request_id, "e80fab52-71a5-4a76-8c4d-11b66b83ca2a");
    assert_string_equal(r->widget_id, "8123f304-f23f-440b-a6d3-80e979fa4cd6");
    assert_string_equal(r->owner, "Mary Matthews");
    assert_true(r->label.present);
    assert_string_equal(r->label.value, "JWJYY");
    assert_string_equal(r->description.value, "THBRNVNQPYAWNHGRGUKI");
    assert_int_equal(r->n_attrs, 2);
    assert_string_equal(r->attrs[0].name, "width-unit");
    assert_string_equal(r->attrs[0].value, "cm");
    assert_string_equal(r->attrs[1].name, "rating");
    assert_string_equal(r->attrs[1].value, "2.580677");
    wc_request_free(r);
}

static void optional_fields_absent_null_and_empty(void **state)
{
    wc_request *r = parse_ok("{\"type\":\"update\",\"requestId\":\"r\",\"widgetId\":\"w\","
                             "\"owner\":\"Sue Smith\",\"label\":null,\"description\":\"\","
                             "\"otherAttributes\":null}");
    assert_int_equal(r->type, WC_REQ_UPDATE);
    assert_false(r->label.present);
    assert_true(r->description.present);
    assert_string_equal(r->description.value, "");
    assert_int_equal(r->n_attrs, 0);
    wc_request_free(r);
}

static void unknown_fields_are_ignored(void **state)
{
    wc_request *r = parse_ok("{\"type\":\"delete\",\"requestId\":\"r\",\"widgetId\":\"w\","
                             "\"owner\":\"Sue Smith\",\"colour\":[1,2],\"extra\":{}}");
    assert_int_equal(r->type, WC_REQ_DELETE);
    wc_request_free(r);
}

static void whitespace_and_pretty_json_are_fine(void **state)
{
    wc_request *r = parse_ok("\n  {\n \"type\" : \"create\",\n \"requestId\": \"r\",\n"
                             " \"widgetId\": \"w\", \"owner\": \"Henry Hops\" }\n");
    assert_string_equal(r->owner, "Henry Hops");
    wc_request_free(r);
}

/* Each bad request and the exact error it must give. */
static const struct {
    const char *body;
    wc_result code;
    const char *message;
} bad[] = {
    {"", WC_ERR_PARSE, "request 1615728964574: empty document"},
    {"  \n", WC_ERR_PARSE, "request 1615728964574: empty document"},
    {"not json", WC_ERR_PARSE, "request 1615728964574: not valid JSON: "},
    {"[1,2]", WC_ERR_INVALID, "request 1615728964574: not a JSON object"},
    {"{\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\"}", WC_ERR_INVALID,
     "request 1615728964574: type is missing"},
    {"{\"type\":7,\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\"}", WC_ERR_INVALID,
     "request 1615728964574: type must be a string"},
    {"{\"type\":\"upsert\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\"}", WC_ERR_INVALID,
     "request 1615728964574: type \"upsert\" is not create, update or delete"},
    {"{\"type\":\"create\",\"widgetId\":\"w\",\"owner\":\"A\"}", WC_ERR_INVALID,
     "request 1615728964574: requestId is missing"},
    {"{\"type\":\"create\",\"requestId\":12,\"widgetId\":\"w\",\"owner\":\"A\"}", WC_ERR_INVALID,
     "request 1615728964574: requestId must be a string"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"owner\":\"A\"}", WC_ERR_INVALID,
     "request 1615728964574: widgetId is missing"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"\",\"owner\":\"A\"}", WC_ERR_INVALID,
     "request 1615728964574: widgetId must not be empty"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"../../etc\",\"owner\":\"A\"}",
     WC_ERR_INVALID, "request 1615728964574: widgetId \"../../etc\" must not contain '/'"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"..\",\"owner\":\"A\"}",
     WC_ERR_INVALID, "request 1615728964574: widgetId \"..\" must not be \".\" or \"..\""},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"a\\tb\",\"owner\":\"A\"}",
     WC_ERR_INVALID,
     "request 1615728964574: widgetId \"a\tb\" must not contain control characters"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\"}", WC_ERR_INVALID,
     "request 1615728964574: owner is missing"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"J0hn\"}",
     WC_ERR_INVALID, "request 1615728964574: owner \"J0hn\" must contain only letters and spaces"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"   \"}",
     WC_ERR_INVALID, "request 1615728964574: owner \"   \" must contain only letters and spaces"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"Ann/Archer\"}",
     WC_ERR_INVALID,
     "request 1615728964574: owner \"Ann/Archer\" must contain only letters and spaces"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":[\"A\"]}",
     WC_ERR_INVALID, "request 1615728964574: owner must be a string"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\",\"label\":5}",
     WC_ERR_INVALID, "request 1615728964574: label must be a string or null"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"description\":true}",
     WC_ERR_INVALID, "request 1615728964574: description must be a string or null"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"otherAttributes\":{}}",
     WC_ERR_INVALID, "request 1615728964574: otherAttributes must be an array"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"otherAttributes\":[\"color\"]}",
     WC_ERR_INVALID, "request 1615728964574: otherAttributes[0] must be an object"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"otherAttributes\":[{\"name\":\"a\",\"value\":\"1\"},{\"value\":\"red\"}]}",
     WC_ERR_INVALID, "request 1615728964574: otherAttributes[1] has no name"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"otherAttributes\":[{\"name\":\"\",\"value\":\"red\"}]}",
     WC_ERR_INVALID, "request 1615728964574: otherAttributes[0].name must not be empty"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"otherAttributes\":[{\"name\":3,\"value\":\"red\"}]}",
     WC_ERR_INVALID, "request 1615728964574: otherAttributes[0].name must be a string"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"otherAttributes\":[{\"name\":\"color\"}]}",
     WC_ERR_INVALID, "request 1615728964574: otherAttributes[0] (\"color\") has no value"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\","
     "\"otherAttributes\":[{\"name\":\"size\",\"value\":4}]}",
     WC_ERR_INVALID, "request 1615728964574: otherAttributes[0] (\"size\") value must be a string"},
    {"{\"type\":\"create\",\"type\":\"delete\",\"requestId\":\"r\",\"widgetId\":\"w\","
     "\"owner\":\"A\"}",
     WC_ERR_PARSE, "request 1615728964574: not valid JSON: duplicate object key"},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"A\\u0000B\"}",
     WC_ERR_PARSE, "request 1615728964574: not valid JSON: "},
    {"{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"Ren\xe9\"}",
     WC_ERR_PARSE, "request 1615728964574: not valid JSON: "},
};

static void bad_requests_name_the_request_and_field(void **state)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wc_request *r = (wc_request *)1;
        wc_error err;
        wc_result result =
            wc_request_parse("1615728964574", bad[i].body, strlen(bad[i].body), &r, &err);
        if (result != bad[i].code || strncmp(err.msg, bad[i].message, strlen(bad[i].message)))
            fail_msg("case %zu (%s): got %s \"%s\", want %s \"%s\"", i, bad[i].body,
                     wc_result_name(result), err.msg, wc_result_name(bad[i].code), bad[i].message);
        assert_null(r);
    }
}

static void invalid_utf8_error_says_so(void **state)
{
    const char *body =
        "{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"\xff\"}";
    wc_request *r;
    wc_error err;
    assert_int_equal(wc_request_parse("k", body, strlen(body), &r, &err), WC_ERR_PARSE);
    assert_non_null(strstr(err.msg, "UTF-8"));
}

static void long_values_are_cut_in_messages(void **state)
{
    char body[2048];
    char owner[1001];
    memset(owner, '7', 1000);
    owner[1000] = '\0';
    snprintf(body, sizeof(body),
             "{\"type\":\"create\",\"requestId\":\"r\",\"widgetId\":\"w\",\"owner\":\"%s\"}",
             owner);
    wc_request *r;
    wc_error err;
    assert_int_equal(wc_request_parse("k", body, strlen(body), &r, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg, "request k: owner is longer than 256 bytes");
}

static void owner_rule(void **state)
{
    assert_true(wc_owner_is_valid("Mary Matthews"));
    assert_true(wc_owner_is_valid("a"));
    assert_false(wc_owner_is_valid(""));
    assert_false(wc_owner_is_valid("Mary-Matthews"));
    assert_false(wc_owner_is_valid("Mary_Matthews"));
    assert_false(wc_owner_is_valid("Jos\xc3\xa9"));
}

static void round_trip_through_json(void **state)
{
    wc_request *r = parse_ok(SPEC_EXAMPLE);
    char *json = wc_request_to_json(r);
    assert_string_equal(json, SPEC_EXAMPLE);
    free(json);
    wc_request_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_spec_example_parses),
        cmocka_unit_test(optional_fields_absent_null_and_empty),
        cmocka_unit_test(unknown_fields_are_ignored),
        cmocka_unit_test(whitespace_and_pretty_json_are_fine),
        cmocka_unit_test(bad_requests_name_the_request_and_field),
        cmocka_unit_test(invalid_utf8_error_says_so),
        cmocka_unit_test(long_values_are_cut_in_messages),
        cmocka_unit_test(owner_rule),
        cmocka_unit_test(round_trip_through_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
