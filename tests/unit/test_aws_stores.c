/* Tests of the DynamoDB and S3 widget stores through wc_store_apply, against the scripted fake
 * transport: which calls each request makes, and what each answer means (a create delivered
 * again is done; an update or delete of a missing widget is NOT_FOUND; a missing table or bucket
 * is an outage, never a missing widget; an S3 update writes with If-Match and reads again when
 * another writer got there first). No network. */
#include "aws/client.h"
#include "core/request.h"
#include "fake_transport.h"
#include "stores/dynamodb_store.h"
#include "stores/s3_store.h"

typedef struct {
    fake_aws a;
    wc_store store;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fake_aws_init(&f->a, "AKIDSTORETEST", NULL, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wc_store_destroy(&f->store);
    fake_aws_cleanup(&f->a);
    free(f);
    return 0;
}

static void open_table(fixture *f)
{
    fake_script(&f->a.fake, (fake_answer){.match = "DescribeTable",
                                          .status = 200,
                                          .body = "{\"Table\":{\"KeySchema\":[{\"AttributeName\":"
                                                  "\"id\",\"KeyType\":\"HASH\"}]}}"});
    wc_dynamodb_store_config c = {f->a.aws, "widgets", "id", "widgets/"};
    wc_error err;
    if (wc_dynamodb_store_open(&c, &f->store, &err) != WC_OK)
        fail_msg("open: %s", err.msg);
}

static void open_bucket(fixture *f)
{
    fake_script(&f->a.fake, (fake_answer){.match = "list-type=2",
                                          .status = 200,
                                          .body = "<ListBucketResult></ListBucketResult>"});
    wc_s3_store_config c = {f->a.aws, "wb", "widgets/"};
    wc_error err;
    if (wc_s3_store_open(&c, &f->store, &err) != WC_OK)
        fail_msg("open: %s", err.msg);
}

#define CREATE                                                                                     \
    "{\"type\":\"create\",\"requestId\":\"r1\",\"widgetId\":\"w1\",\"owner\":\"Sue Smith\","       \
    "\"label\":\"A\"}"
#define UPDATE                                                                                     \
    "{\"type\":\"update\",\"requestId\":\"r2\",\"widgetId\":\"w1\",\"owner\":\"Sue Smith\","       \
    "\"label\":\"B\"}"
#define DELETE                                                                                     \
    "{\"type\":\"delete\",\"requestId\":\"r3\",\"widgetId\":\"w1\",\"owner\":\"Sue Smith\"}"

static wc_result apply(fixture *f, const char *json, wc_error *err)
{
    wc_request *r = req(json);
    wc_result result = wc_store_apply_wait(&f->store, f->a.loop, r, err);
    wc_request_free(r);
    return result;
}

static const char *const CONDITION_FAILED =
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\"}";

static void dynamodb_answers_mean_what_they_say(void **state)
{
    fixture *f = *state;
    open_table(f);
    /* A create: PutItem on the condition that there is no item; there is one: done. */
    fake_script(&f->a.fake,
                (fake_answer){.match = "PutItem", .status = 400, .body = CONDITION_FAILED});
    assert_int_equal(apply(f, CREATE, NULL), WC_OK);
    assert_int_equal(fake_count(&f->a.fake, "attribute_not_exists(#k)"), 1);
    /* An update of a missing widget: its condition fails. */
    fake_script(&f->a.fake,
                (fake_answer){.match = "UpdateItem", .status = 400, .body = CONDITION_FAILED});
    wc_error err;
    assert_int_equal(apply(f, UPDATE, &err), WC_ERR_NOT_FOUND);
    /* A delete that found nothing: no old attributes. */
    fake_script(&f->a.fake, (fake_answer){.match = "DeleteItem", .status = 200, .body = "{}"});
    assert_int_equal(apply(f, DELETE, &err), WC_ERR_NOT_FOUND);
    fake_script(&f->a.fake, (fake_answer){.match = "DeleteItem",
                                          .status = 200,
                                          .body = "{\"Attributes\":{\"id\":{\"S\":\"w1\"}}}"});
    assert_int_equal(apply(f, DELETE, &err), WC_OK);
    /* The table gone: an outage, never a missing widget. */
    fake_script(&f->a.fake,
                (fake_answer){.match = "UpdateItem",
                              .status = 400,
                              .body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                                      "ResourceNotFoundException\",\"message\":\"no table\"}"});
    assert_int_equal(apply(f, UPDATE, &err), WC_ERR_IO);
    assert_non_null(strstr(err.msg, "ResourceNotFoundException"));
    /* An item too large: refused for good. */
    fake_script(&f->a.fake, (fake_answer){.match = "PutItem",
                                          .status = 400,
                                          .body = "{\"__type\":\"com.amazon.coral.validate#"
                                                  "ValidationException\"}"});
    assert_int_equal(apply(f, CREATE, &err), WC_ERR_REJECTED);
}

static void s3_update_reads_then_writes_with_if_match_and_reads_again_on_conflict(void **state)
{
    fixture *f = *state;
    open_bucket(f);
    const char *stored = "{\"id\":\"w1\",\"owner\":\"Sue Smith\",\"label\":\"A\"}";
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/wb/widgets/sue-smith/w1",
                                          .status = 200,
                                          .body = stored,
                                          .etag = "\"e1\""});
    fake_script(&f->a.fake,
                (fake_answer){.match = "If-Match: \"e1\"",
                              .status = 412,
                              .body = "<Error><Code>PreconditionFailed</Code></Error>"});
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/wb/widgets/sue-smith/w1",
                                          .status = 200,
                                          .body = stored,
                                          .etag = "\"e2\""});
    fake_script(&f->a.fake, (fake_answer){.match = "If-Match: \"e2\"", .status = 200});
    wc_error err;
    assert_int_equal(apply(f, UPDATE, &err), WC_OK);
    assert_int_equal(fake_count(&f->a.fake, "GET http://127.0.0.1:1/wb/widgets/sue-smith/w1"), 2);
    assert_int_equal(fake_count(&f->a.fake, "\"label\":\"B\""),
                     2); /* both writes carry the change */
}

static void s3_missing_widget_and_missing_bucket_are_told_apart(void **state)
{
    fixture *f = *state;
    open_bucket(f);
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/wb/widgets/sue-smith/w1",
                                          .status = 404,
                                          .body = "<Error><Code>NoSuchKey</Code></Error>"});
    wc_error err;
    assert_int_equal(apply(f, DELETE, &err), WC_ERR_NOT_FOUND);
    assert_int_equal(fake_count(&f->a.fake, "DELETE"), 0); /* nothing to delete */
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/wb/widgets/sue-smith/w1",
                                          .status = 404,
                                          .body = "<Error><Code>NoSuchBucket</Code></Error>"});
    assert_int_equal(apply(f, UPDATE, &err), WC_ERR_IO);
    /* A create delivered again: If-None-Match refused (412) means it is there: done. */
    fake_script(&f->a.fake, (fake_answer){.match = "If-None-Match: *", .status = 412});
    assert_int_equal(apply(f, CREATE, &err), WC_OK);
    /* A delete: the probe finds it, then DELETE. */
    fake_script(&f->a.fake, (fake_answer){.match = "GET http://127.0.0.1:1/wb/widgets/sue-smith/w1",
                                          .status = 200,
                                          .body = "{}"});
    fake_script(
        &f->a.fake,
        (fake_answer){.match = "DELETE http://127.0.0.1:1/wb/widgets/sue-smith/w1", .status = 204});
    assert_int_equal(apply(f, DELETE, &err), WC_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(dynamodb_answers_mean_what_they_say),
        T(s3_update_reads_then_writes_with_if_match_and_reads_again_on_conflict),
        T(s3_missing_widget_and_missing_bucket_are_told_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
