/* The DynamoDB store (dynamodb_store.c) against scripted answers: the calls that create, update
 * and delete make through wc_store_apply (load and save, in classic and exact order), and what
 * DynamoDB's answers mean for them. */
#include "core/item.h"
#include "core/request.h"
#include "fake_store.h"
#include "fake_transport.h"
#include "producer/verify.h"
#include "stores/dynamodb_store.h"

#define PUT    "DynamoDB_20120810.PutItem"
#define DELETE "DynamoDB_20120810.DeleteItem"

#define CONDITION_FAILED                                                                           \
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","            \
    "\"message\":\"The conditional request failed\"}"
#define NO_TABLE                                                                                   \
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","                  \
    "\"message\":\"Requested resource not found\"}"

#define REQ(type, rest)                                                                            \
    "{\"type\":\"" type "\",\"requestId\":\"r1\",\"widgetId\":\"w1\",\"owner\":\"Sue Smith\"" rest \
    "}"

/* A widget written in exact order: its ledger and version. */
#define STORED                                                                                     \
    "{\"Item\":{\"id\":{\"S\":\"w1\"},\"owner\":{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"NEW\"},"  \
    "\"wc:version\":{\"N\":\"4\"},\"wc:ledger\":{\"S\":\"{\\\"c\\\":\\\"1000000000001\\\","        \
    "\\\"d\\\":null,\\\"m\\\":[[\\\"label\\\",\\\"1000000000003\\\",null,null]]}\"}}}"

typedef fake_store_fixture fixture;

static void open_store_remembering(fixture *f, const char *key_name, uint64_t remember_bytes)
{
    char answer[256];
    snprintf(answer, sizeof(answer),
             "{\"Table\":{\"TableName\":\"widgets\",\"KeySchema\":[{\"AttributeName\":\"%s\","
             "\"KeyType\":\"HASH\"}],\"TableStatus\":\"ACTIVE\"}}",
             key_name ? key_name : "id");
    fake_reply(f->w->fake, "DynamoDB_20120810.DescribeTable", 200, answer);
    wc_dynamodb_store_config c = {.aws = f->w->aws,
                                  .table = "widgets",
                                  .key_name = key_name,
                                  .remember_bytes = remember_bytes};
    wc_error err;
    if (wc_dynamodb_store_open(&c, &f->store, &err) != WC_OK)
        fail_msg("wc_dynamodb_store_open: %s", err.msg);
    fake_assert_all_used(f->w->fake);
}

static void open_store(fixture *f, const char *key_name)
{
    open_store_remembering(f, key_name, 1 << 20);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->w = fake_world_new(NULL);
    *state = f;
    return 0;
}

static int setup_open(void **state)
{
    setup(state);
    open_store(*state, NULL);
    return 0;
}

/* The body of the last request, which must have been target. */
static json_t *last_body(fixture *f, const char *target)
{
    const fake_request *r = fake_last(f->w->fake);
    assert_string_equal(fake_request_header(r, "X-Amz-Target"), target);
    return fake_request_json(r);
}

static void assert_json(json_t *got, const char *expected)
{
    json_t *want = json_loads(expected, 0, NULL);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("got %s\n  wanted %s", text, expected);
    }
    json_decref(want);
}

/* The last request was a PutItem of this item. */
static void assert_put_item(fixture *f, const char *expected)
{
    json_t *body = last_body(f, PUT);
    assert_json(json_object_get(body, "Item"), expected);
    json_decref(body);
}

/* --- opening --- */

static void open_checks_the_table_and_its_key(void **state)
{
    fixture *f = *state;
    open_store(f, NULL);
    json_t *body = fake_request_json(fake_last(f->w->fake));
    assert_json(body, "{\"TableName\":\"widgets\"}");
    json_decref(body);
    wc_store_destroy(&f->store);

    fake_reply(f->w->fake, "DescribeTable", 200,
               "{\"Table\":{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}}");
    wc_dynamodb_store_config c = {.aws = f->w->aws, .table = "widgets"};
    wc_error err;
    assert_int_equal(wc_dynamodb_store_open(&c, &f->store, &err), WC_ERR_INVALID);
    assert_string_equal(err.msg,
                        "widget table \"widgets\": its partition key is \"pk\", not \"id\" "
                        "(use --dynamodb-key pk)");
    fake_header(fake_reply(f->w->fake, "DescribeTable", 400, NO_TABLE), "x-amzn-RequestId", "T1");
    assert_int_equal(wc_dynamodb_store_open(&c, &f->store, &err), WC_ERR_IO);
    assert_string_equal(err.msg, "widget table \"widgets\": ResourceNotFoundException: Requested "
                                 "resource not found (HTTP 400, request id T1)");
    assert_null(f->store.ops);
}

/* --- classic order (requests without a place): load and save, no ledger --- */

#define GET "DynamoDB_20120810.GetItem"

/* A widget written in classic order, with a version (every save moves it on). */
#define CLASSIC_STORED                                                                             \
    "{\"Item\":{\"id\":{\"S\":\"w1\"},\"owner\":{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"Old\"},"  \
    "\"description\":{\"S\":\"D\"},\"wc:version\":{\"N\":\"7\"}}}"
/* One written before versions (and ledgers). */
#define LEGACY_STORED                                                                              \
    "{\"Item\":{\"id\":{\"S\":\"w1\"},\"owner\":{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"Old\"}}}"

static void create_puts_the_item_only_where_there_is_none(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(
        fake_store_apply(f,
                         REQ("create", ",\"label\":\"L\",\"description\":\"\","
                                       "\"otherAttributes\":[{\"name\":\"color\","
                                       "\"value\":\"red\"},{\"name\":\"owner\",\"value\":"
                                       "\"x\"}]"),
                         NULL, &err),
        WC_APPLIED);
    json_t *body = last_body(f, PUT);
    /* The widget, its version and no ledger. */
    assert_json(body, "{\"TableName\":\"widgets\",\"Item\":{\"id\":{\"S\":\"w1\"},\"owner\":"
                      "{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"L\"},\"color\":{\"S\":\"red\"},"
                      "\"attr_owner\":{\"S\":\"x\"},\"wc:version\":{\"N\":\"1\"}},"
                      "\"ConditionExpression\":\"attribute_not_exists(#k)\","
                      "\"ExpressionAttributeNames\":{\"#k\":\"id\"}}");
    json_decref(body);
    assert_int_equal(fake_count(f->w->fake), 2); /* DescribeTable, one PutItem */
}

static void a_create_of_a_widget_already_there_is_done(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 400, CONDITION_FAILED);
    fake_reply(f->w->fake, GET, 200, CLASSIC_STORED); /* there: left as it is */
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("create", ""), NULL, &err), WC_APPLIED);
    assert_int_equal(fake_count_matching(f->w->fake, PUT), 1);
    fake_assert_all_used(f->w->fake);
}

static void a_create_too_large_for_dynamodb_is_rejected(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 400,
               "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"Item "
               "size has exceeded the maximum allowed size\"}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("create", ""), NULL, &err), WC_REFUSED);
    assert_string_equal(err.msg, "ValidationException: Item size has exceeded the maximum allowed "
                                 "size (HTTP 400)");
}

/* --- update --- */

/* Read, merged by the rules, written on the version read (a lost race reads again). */
static void update_reads_merges_and_puts_on_the_version_read(void **state)
{
    fixture *f = *state;
    open_store_remembering(f, NULL, 0); /* no memory: every update reads */
    fake_reply(f->w->fake, GET, 200, CLASSIC_STORED);
    fake_reply(f->w->fake, PUT, 400, CONDITION_FAILED);
    fake_reply(f->w->fake, GET, 200, CLASSIC_STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(
        fake_store_apply(f,
                         REQ("update", ",\"label\":\"New\",\"description\":\"\","
                                       "\"otherAttributes\":[{\"name\":\"size\",\"value\":"
                                       "\"L\"}]"),
                         NULL, &err),
        WC_APPLIED);
    fake_assert_all_used(f->w->fake);
    json_t *body = last_body(f, PUT);
    assert_json(body, "{\"TableName\":\"widgets\",\"Item\":{\"id\":{\"S\":\"w1\"},\"owner\":"
                      "{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"New\"},\"size\":{\"S\":\"L\"},"
                      "\"wc:version\":{\"N\":\"8\"}},"
                      "\"ConditionExpression\":\"#v = :v\","
                      "\"ExpressionAttributeNames\":{\"#v\":\"wc:version\"},"
                      "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"7\"}}}");
    json_decref(body);
    /* One written before versions: on the condition that it still has none. */
    fake_reply(f->w->fake, GET, 200, LEGACY_STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"N2\""), NULL, &err),
                     WC_APPLIED);
    body = last_body(f, PUT);
    assert_string_equal(json_string_value(json_object_get(body, "ConditionExpression")),
                        "attribute_exists(#k) AND attribute_not_exists(#v)");
    assert_json(json_object_get(json_object_get(body, "Item"), "wc:version"), "{\"N\":\"1\"}");
    json_decref(body);
}

/* What this consumer wrote is remembered: an update of it is one PutItem on its version. */
static void an_update_of_a_remembered_widget_is_one_put(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("create", ",\"label\":\"A\""), NULL, &err),
                     WC_APPLIED);
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"B\""), NULL, &err),
                     WC_APPLIED);
    json_t *body = last_body(f, PUT);
    assert_json(json_object_get(body, "ExpressionAttributeValues"), "{\":v\":{\"N\":\"1\"}}");
    json_decref(body);
    assert_int_equal(fake_count_matching(f->w->fake, GET), 0);
    fake_assert_all_used(f->w->fake);
}

static void an_update_of_a_missing_widget_is_not_found(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, GET, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"x\""), NULL, &err),
                     WC_MISSING);
    assert_string_equal(err.msg, "widget w1 (owner \"Sue Smith\") not found");
    assert_int_equal(fake_count(f->w->fake), 2); /* DescribeTable, one GetItem: nothing written */
}

static void a_missing_table_is_an_outage_never_a_missing_widget(void **state)
{
    fixture *f = *state;
    fake_times(fake_reply(f->w->fake, GET, 400, NO_TABLE), 2);
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"x\""), NULL, &err), WC_FAILED);
    assert_string_equal(err.msg,
                        "ResourceNotFoundException: Requested resource not found (HTTP 400)");
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), NULL, &err), WC_FAILED);
}

static void throttling_is_retried_under_the_store(void **state)
{
    fixture *f = *state;
    fake_times(fake_reply(f->w->fake, GET, 400,
                          "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                          "ProvisionedThroughputExceededException\",\"message\":\"slow\"}"),
               2);
    fake_reply(f->w->fake, GET, 200, CLASSIC_STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"x\""), NULL, &err),
                     WC_APPLIED);
    assert_int_equal(fake_count_matching(f->w->fake, GET), 3);
}

/* --- delete --- */

/* Read to know it is there, then removed entirely (no tombstone) on the version read. */
static void delete_reads_then_deletes_the_item_on_its_version(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, GET, 200, CLASSIC_STORED);
    fake_reply(f->w->fake, DELETE, 200, "{}");
    fake_reply(f->w->fake, GET, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), NULL, &err), WC_APPLIED);
    json_t *body = last_body(f, DELETE);
    assert_json(body, "{\"TableName\":\"widgets\",\"Key\":{\"id\":{\"S\":\"w1\"}},"
                      "\"ConditionExpression\":\"#v = :v\","
                      "\"ExpressionAttributeNames\":{\"#v\":\"wc:version\"},"
                      "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"7\"}}}");
    json_decref(body);
    /* No item: it was not there, and nothing is written. */
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), NULL, &err), WC_MISSING);
    assert_string_equal(err.msg, "widget w1 (owner \"Sue Smith\") not found");
    assert_int_equal(fake_count_matching(f->w->fake, DELETE), 1);
    assert_int_equal(fake_count_matching(f->w->fake, PUT), 0);
    fake_assert_all_used(f->w->fake);
}

/* The item of an exact-order widget: a classic update keeps no ledger, a classic delete leaves no
 * tombstone. */
static void classic_order_writes_no_ledger_and_no_tombstone(void **state)
{
    fixture *f = *state;
    open_store_remembering(f, NULL, 0);
    fake_reply(f->w->fake, GET, 200, STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"C\""), NULL, &err),
                     WC_APPLIED);
    assert_put_item(
        f, "{\"id\":{\"S\":\"w1\"},\"owner\":{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"C\"},"
           "\"wc:version\":{\"N\":\"5\"}}");
    fake_reply(f->w->fake, GET, 200, STORED);
    fake_reply(f->w->fake, DELETE, 200, "{}");
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), NULL, &err), WC_APPLIED);
    assert_int_equal(fake_count_matching(f->w->fake, PUT), 1);
    fake_assert_all_used(f->w->fake);
}

static void another_key_name_is_used_everywhere(void **state)
{
    fixture *f = *state;
    open_store(f, "pk");
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, DELETE, 200, "{}");
    wc_error err;
    assert_int_equal(
        fake_store_apply(f,
                         REQ("create", ",\"otherAttributes\":[{\"name\":\"id\",\"value\":"
                                       "\"i\"}]"),
                         NULL, &err),
        WC_APPLIED);
    assert_put_item(
        f, "{\"pk\":{\"S\":\"w1\"},\"owner\":{\"S\":\"Sue Smith\"},\"attr_id\":{\"S\":\"i\"},"
           "\"wc:version\":{\"N\":\"1\"}}");
    /* Nothing to change: still written on the version, which proves the widget is there. */
    assert_int_equal(fake_store_apply(f, REQ("update", ""), NULL, &err), WC_APPLIED);
    json_t *body = last_body(f, PUT);
    assert_json(json_object_get(json_object_get(body, "Item"), "pk"), "{\"S\":\"w1\"}");
    assert_string_equal(json_string_value(json_object_get(body, "ConditionExpression")), "#v = :v");
    json_decref(body);
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), NULL, &err), WC_APPLIED);
    body = last_body(f, DELETE);
    assert_json(json_object_get(body, "Key"), "{\"pk\":{\"S\":\"w1\"}}");
    json_decref(body);
    assert_int_equal(fake_count_matching(f->w->fake, GET), 0); /* all from what it wrote */
}

/* --- exact order (requests with a place) --- */

static void exact_create_is_one_conditional_put_with_its_ledger(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("create", ",\"label\":\"L\""), "1000000000001", &err),
                     WC_APPLIED);
    json_t *body = last_body(f, PUT);
    assert_json(body, "{\"TableName\":\"widgets\",\"Item\":{\"id\":{\"S\":\"w1\"},\"owner\":"
                      "{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"L\"},\"wc:ledger\":{\"S\":"
                      "\"{\\\"v\\\":2,\\\"p\\\":[\\\"1000000000001\\\"],\\\"c\\\":0,"
                      "\\\"l\\\":0}\"},\"wc:version\":{\"N\":\"1\"}},"
                      "\"ConditionExpression\":\"attribute_not_exists(#k)\","
                      "\"ExpressionAttributeNames\":{\"#k\":\"id\"}}");
    json_decref(body);
    fake_assert_all_used(f->w->fake);
}

static unsigned ties_told;
static char tie_seen[WC_PLACE_MAX + 1];

static void count_tie(void *ctx, const wc_request *req, const char *at_place)
{
    (void)ctx;
    (void)req;
    ties_told++;
    snprintf(tie_seen, sizeof(tie_seen), "%s", at_place);
}

#define TIED_PLACE "1764000000123.1~AAAAAAAAAAAA"
#define STORED_TIED                                                                                \
    "{\"Item\":{\"id\":{\"S\":\"w1\"},\"owner\":{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"ONE\"},"  \
    "\"wc:version\":{\"N\":\"4\"},\"wc:ledger\":{\"S\":\"{\\\"v\\\":2,\\\"p\\\":["                 \
    "\\\"1000000000001\\\","                                                                       \
    "\\\"" TIED_PLACE "\\\"],\\\"c\\\":0,\\\"l\\\":1}\"}}}"

/* Issue 19: a tie is told once per request, when it ends: not again for the apply read again
 * after a lost race. */
static void exact_a_tie_is_told_once_whatever_the_races(void **state)
{
    fixture *f = *state;
    ties_told = 0;
    f->store.tied = count_tie;
    fake_reply(f->w->fake, GET, 200, STORED_TIED);
    fake_reply(f->w->fake, PUT, 400, CONDITION_FAILED);
    fake_reply(f->w->fake, GET, 200, STORED_TIED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"TWO\""),
                                      "1764000000123.1~BBBBBBBBBBBB", &err),
                     WC_OK);
    fake_assert_all_used(f->w->fake);
    assert_int_equal(ties_told, 1);
    assert_string_equal(tie_seen, TIED_PLACE);
    f->store.tied = NULL;
}

/* The version the last PutItem was conditioned on ("" when none: a blind create). */
static void assert_last_put_on(fixture *f, const char *version)
{
    json_t *body = last_body(f, PUT);
    const char *v = json_string_value(json_object_get(
        json_object_get(json_object_get(body, "ExpressionAttributeValues"), ":v"), "N"));
    assert_string_equal(v ? v : "", version);
    json_decref(body);
}

/* The last PutItem: the update merged under STORED (label NEW of place 3, description D), on
 * the condition of version. */
static void assert_merged_put_on(fixture *f, const char *version)
{
    json_t *body = last_body(f, PUT);
    json_t *item = json_object_get(body, "Item");
    assert_json(json_object_get(item, "label"), "{\"S\":\"NEW\"}");
    assert_json(json_object_get(item, "description"), "{\"S\":\"D\"}");
    json_decref(body);
    assert_last_put_on(f, version);
}

/* An older update read, merged under the newer label, and written on the version read; a lost
 * race (the condition failed) reads again. */
static void exact_update_reads_merges_and_writes_on_its_version(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, GET, 200, STORED);
    fake_reply(f->w->fake, PUT, 400, CONDITION_FAILED);
    fake_reply(f->w->fake, GET, 200, STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"OLD\",\"description\":\"D\""),
                                      "1000000000002", &err),
                     WC_APPLIED);
    fake_assert_all_used(f->w->fake);
    json_t *get = fake_request_json(fake_find(f->w->fake, GET, 0));
    assert_json(get, "{\"TableName\":\"widgets\",\"Key\":{\"id\":{\"S\":\"w1\"}},"
                     "\"ConsistentRead\":true}");
    json_decref(get);
    assert_merged_put_on(f, "4");
    json_t *body = last_body(f, PUT);
    assert_json(json_object_get(json_object_get(body, "Item"), "wc:version"), "{\"N\":\"5\"}");
    assert_string_equal(json_string_value(json_object_get(body, "ConditionExpression")), "#v = :v");
    json_decref(body);
}

/* A delete leaves a tombstone (no owner: the verifier and scan skip it); the create delivered
 * again after it is superseded without a write. */
static void exact_delete_leaves_a_tombstone_that_supersedes_a_late_create(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, GET, 200, STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), "1000000000005", &err), WC_APPLIED);
    json_t *body = last_body(f, PUT);
    json_t *item = json_object_get(body, "Item");
    assert_null(json_object_get(item, "owner"));
    assert_null(json_object_get(item, "label"));
    assert_non_null(json_object_get(item, "wc:expires"));
    const char *ledger =
        json_string_value(json_object_get(json_object_get(item, "wc:ledger"), "S"));
    assert_non_null(strstr(ledger, "\"p\":[\"1000000000001\",\"1000000000005\"],\"c\":0,\"d\":1}"));
    json_decref(body);
    fake_reply(f->w->fake, PUT, 400, CONDITION_FAILED); /* the blind create finds the tombstone */
    fake_reply(
        f->w->fake, GET, 200,
        "{\"Item\":{\"id\":{\"S\":\"w1\"},\"wc:version\":{\"N\":\"5\"},\"wc:ledger\":{\"S\":"
        "\"{\\\"c\\\":\\\"1000000000001\\\",\\\"d\\\":\\\"1000000000005\\\",\\\"m\\\":[]}\"}}}");
    assert_int_equal(fake_store_apply(f, REQ("create", ""), "1000000000001", &err), WC_SUPERSEDED);
    fake_assert_all_used(f->w->fake);
}

/* Issue 16: what this consumer wrote is remembered, so the next update of the widget is one
 * PutItem on the version it wrote, with no GetItem; and again after that. */
static void exact_update_of_a_remembered_widget_is_one_put(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("create", ",\"label\":\"A\""), "1000000000001", &err),
                     WC_OK);
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"B\""), "1000000000002", &err),
                     WC_OK);
    assert_last_put_on(f, "1");
    /* the item remembered is the one the create's PutItem wrote (its text, kept): B on it */
    json_t *body = last_body(f, PUT);
    assert_string_equal(json_string_value(json_object_get(body, "TableName")), "widgets");
    json_t *item = json_object_get(body, "Item");
    assert_json(json_object_get(item, "owner"), "{\"S\":\"Sue Smith\"}");
    assert_json(json_object_get(item, "label"), "{\"S\":\"B\"}");
    assert_json(json_object_get(item, "wc:version"), "{\"N\":\"2\"}");
    json_decref(body);
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), "1000000000003", &err), WC_OK);
    assert_last_put_on(f, "2");
    assert_int_equal(fake_count_matching(f->w->fake, GET), 0);
    fake_assert_all_used(f->w->fake);
}

/* Another writer changed the widget since we wrote it: the condition fails, the remembered item
 * is forgotten, the item is read and the update applied to it (the fallback, read-modify-write). */
static void exact_a_lost_race_on_a_remembered_widget_reads_it(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, PUT, 400, CONDITION_FAILED);
    fake_reply(f->w->fake, GET, 200, STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("create", ",\"label\":\"A\""), "1000000000001", &err),
                     WC_OK);
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"OLD\",\"description\":\"D\""),
                                      "1000000000002", &err),
                     WC_OK);
    fake_assert_all_used(f->w->fake);
    /* Merged under what was read (label NEW of place 3), written on the version read. */
    assert_merged_put_on(f, "4");
    /* And what was written is remembered in turn: the next update is one PutItem on 5. */
    fake_reply(f->w->fake, PUT, 200, "{}");
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"Z\""), "1000000000009", &err),
                     WC_OK);
    assert_last_put_on(f, "5");
    assert_int_equal(fake_count_matching(f->w->fake, GET), 1);
    fake_assert_all_used(f->w->fake);
}

/* A remembered state that would decide without a write (here: the widget deleted, so an update
 * is "not found") is not trusted: another consumer may have created it again since. It is read. */
static void exact_a_remembered_state_that_decides_no_write_is_read_again(void **state)
{
    fixture *f = *state;
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, GET, 200, STORED); /* there again, label NEW at place 3 */
    fake_reply(f->w->fake, PUT, 200, "{}");
    wc_error err;
    assert_int_equal(fake_store_apply(f, REQ("create", ""), "1000000000001", &err), WC_OK);
    assert_int_equal(fake_store_apply(f, REQ("delete", ""), "1000000000002", &err), WC_OK);
    assert_int_equal(
        fake_store_apply(f, REQ("update", ",\"description\":\"D\""), "1000000000004", &err), WC_OK);
    assert_last_put_on(f, "4");
    fake_assert_all_used(f->w->fake);
    /* A classic write (no place) moves the version on and is remembered, with no ledger
     * (classic order keeps none): the next exact update is one PutItem on it, no GetItem. */
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, PUT, 200, "{}");
    assert_int_equal(fake_store_apply(f, REQ("update", ",\"label\":\"C\""), NULL, &err), WC_OK);
    assert_last_put_on(f, "5");
    json_t *body = last_body(f, PUT);
    assert_null(json_object_get(json_object_get(body, "Item"), "wc:ledger"));
    json_decref(body);
    assert_int_equal(
        fake_store_apply(f, REQ("update", ",\"description\":\"E\""), "1000000000005", &err), WC_OK);
    assert_last_put_on(f, "6");
    assert_int_equal(fake_count_matching(f->w->fake, GET), 1);
    fake_assert_all_used(f->w->fake);
}

/* The memory is bounded: with room for about five small items, the first of ten widgets written
 * is forgotten and its update reads it; with none, every update reads. */
static void exact_remembered_items_are_bounded_by_bytes(void **state)
{
    fixture *f = *state;
    open_store_remembering(f, NULL, 1200);
    char json[160], place[16];
    wc_error err;
    for (int i = 1; i <= 10; i++) {
        fake_reply(f->w->fake, PUT, 200, "{}");
        snprintf(json, sizeof(json),
                 "{\"type\":\"create\",\"requestId\":\"r%d\",\"widgetId\":\"w%d\","
                 "\"owner\":\"Sue Smith\"}",
                 i, i);
        snprintf(place, sizeof(place), "10000000000%02d", i);
        assert_int_equal(fake_store_apply(f, json, place, &err), WC_OK);
    }
    fake_reply(f->w->fake, PUT, 200, "{}"); /* w10 is remembered: one PutItem */
    assert_int_equal(
        fake_store_apply(f,
                         "{\"type\":\"update\",\"requestId\":\"r11\",\"widgetId\":\"w10\","
                         "\"owner\":\"Sue Smith\",\"label\":\"X\"}",
                         "1000000000011", &err),
        WC_OK);
    assert_int_equal(fake_count_matching(f->w->fake, GET), 0);
    fake_reply(f->w->fake, GET, 200, STORED); /* w1 is not: read first */
    fake_reply(f->w->fake, PUT, 200, "{}");
    assert_int_equal(
        fake_store_apply(f, REQ("update", ",\"description\":\"D\""), "1000000000012", &err), WC_OK);
    assert_int_equal(fake_count_matching(f->w->fake, GET), 1);
    fake_assert_all_used(f->w->fake);
    wc_store_destroy(&f->store);
    open_store_remembering(f, NULL, 0);
    fake_reply(f->w->fake, PUT, 200, "{}");
    fake_reply(f->w->fake, GET, 200, STORED);
    fake_reply(f->w->fake, PUT, 200, "{}");
    assert_int_equal(fake_store_apply(f, REQ("create", ""), "1000000000001", &err), WC_OK);
    assert_int_equal(
        fake_store_apply(f, REQ("update", ",\"description\":\"D\""), "1000000000007", &err), WC_OK);
    fake_assert_all_used(f->w->fake);
}

/* docs/guarantees.md's rule for a plain reader of the table, and widget-verify keeps exactly it: an
 * item with an "owner" is a widget, attributes named "wc:…" are the consumer's. A tombstone (no
 * owner), an item of someone else's without owner, the ledger and version attributes are not
 * widgets or widget data; a widget's own attribute "wc:x" (stored "attr_wc:x") is. */
static void a_scan_sees_widgets_by_the_plain_readers_rule(void **state)
{
    fixture *f = *state;
    assert_true(wc_item_is_consumers("wc:ledger"));
    assert_true(wc_item_is_consumers("wc:"));
    assert_false(wc_item_is_consumers("attr_wc:x"));
    assert_false(wc_item_is_consumers("wc-x"));
    fake_reply(
        f->w->fake, "DynamoDB_20120810.Scan", 200,
        "{\"Items\":["
        "{\"id\":{\"S\":\"gone\"},\"wc:version\":{\"N\":\"3\"},\"wc:expires\":{\"N\":\"9\"},"
        "\"wc:ledger\":{\"S\":\"{}\"}},"                          /* a tombstone */
        "{\"id\":{\"S\":\"foreign\"},\"color\":{\"S\":\"red\"}}," /* no owner: not a widget */
        "{\"id\":{\"S\":\"w1\"},\"owner\":{\"S\":\"Sue Smith\"},\"wc:version\":{\"N\":\"2\"},"
        "\"wc:ledger\":{\"S\":\"{}\"},\"wc:future\":{\"S\":\"?\"},\"attr_wc:x\":{\"S\":\"mine\"},"
        "\"color\":{\"S\":\"red\"}},"
        "{\"id\":{\"S\":\"w2\"},\"owner\":{\"S\":\"Sue Smith\"},\"label\":{\"S\":\"L\"}}],"
        "\"Count\":4}");
    wc_widget_map *expected = wc_widget_map_new();
    const char *widgets[] = {
        "{\"id\":\"w1\",\"owner\":\"Sue Smith\",\"otherAttributes\":[{\"name\":\"color\","
        "\"value\":\"red\"},{\"name\":\"wc:x\",\"value\":\"mine\"}]}",
        "{\"id\":\"w2\",\"owner\":\"Sue Smith\",\"label\":\"L\"}",
    };
    for (size_t i = 0; i < 2; i++) {
        wc_widget *w = NULL;
        assert_int_equal(wc_widget_from_json("t", widgets[i], strlen(widgets[i]), &w, NULL), WC_OK);
        assert_int_equal(wc_widget_map_put(expected, w), WC_OK);
    }
    wc_verify_report r;
    assert_int_equal(wc_verify_store(&f->store, "widgets/", expected, &r, NULL), WC_OK);
    if (!wc_verify_ok(&r) || r.found != 2)
        wc_verify_print(&r, stderr);
    assert_true(wc_verify_ok(&r));
    assert_int_equal(r.found, 2);
    assert_int_equal(r.matching, 2);
    wc_widget_map_free(expected);
    fake_assert_all_used(f->w->fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_scan_sees_widgets_by_the_plain_readers_rule, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(exact_create_is_one_conditional_put_with_its_ledger,
                                        setup_open, fake_store_teardown),
        cmocka_unit_test_setup_teardown(exact_a_tie_is_told_once_whatever_the_races, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(exact_update_reads_merges_and_writes_on_its_version,
                                        setup_open, fake_store_teardown),
        cmocka_unit_test_setup_teardown(
            exact_delete_leaves_a_tombstone_that_supersedes_a_late_create, setup_open,
            fake_store_teardown),
        cmocka_unit_test_setup_teardown(exact_update_of_a_remembered_widget_is_one_put, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(exact_a_lost_race_on_a_remembered_widget_reads_it,
                                        setup_open, fake_store_teardown),
        cmocka_unit_test_setup_teardown(
            exact_a_remembered_state_that_decides_no_write_is_read_again, setup_open,
            fake_store_teardown),
        cmocka_unit_test_setup_teardown(exact_remembered_items_are_bounded_by_bytes, setup,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(open_checks_the_table_and_its_key, setup,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(create_puts_the_item_only_where_there_is_none, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(a_create_of_a_widget_already_there_is_done, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(a_create_too_large_for_dynamodb_is_rejected, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(update_reads_merges_and_puts_on_the_version_read, setup,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(an_update_of_a_remembered_widget_is_one_put, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(an_update_of_a_missing_widget_is_not_found, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(a_missing_table_is_an_outage_never_a_missing_widget,
                                        setup_open, fake_store_teardown),
        cmocka_unit_test_setup_teardown(throttling_is_retried_under_the_store, setup_open,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(delete_reads_then_deletes_the_item_on_its_version,
                                        setup_open, fake_store_teardown),
        cmocka_unit_test_setup_teardown(classic_order_writes_no_ledger_and_no_tombstone, setup,
                                        fake_store_teardown),
        cmocka_unit_test_setup_teardown(another_key_name_is_used_everywhere, setup,
                                        fake_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
