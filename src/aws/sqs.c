#include "aws/sqs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The JSON protocol's X-Amz-Target of an action: "AmazonSQS.ReceiveMessage". */
static const char *target_of(const char *action, char out[64])
{
    snprintf(out, 64, "AmazonSQS.%s", action);
    return out;
}

static wc_result call(wc_aws *aws, const char *action, json_t *body, json_t **out,
                      wc_aws_error *aerr, wc_error *err)
{
    char target[64];
    return wc_aws_json(aws, "sqs", target_of(action, target), body, out, aerr, err);
}

wc_result wc_sqs_queue_url(wc_aws *aws, const char *name_or_url, char **url, wc_aws_error *aerr,
                           wc_error *err)
{
    *url = NULL;
    json_t *answer = NULL;
    wc_result result;
    if (strncmp(name_or_url, "https://", 8) == 0 || strncmp(name_or_url, "http://", 7) == 0) {
        result =
            call(aws, "GetQueueAttributes",
                 json_pack("{s:s, s:[s]}", "QueueUrl", name_or_url, "AttributeNames", "QueueArn"),
                 NULL, aerr, err);
        if (result == WC_OK && !(*url = strdup(name_or_url)))
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        return result;
    }
    result =
        call(aws, "GetQueueUrl", json_pack("{s:s}", "QueueName", name_or_url), &answer, aerr, err);
    if (result == WC_OK) {
        const char *u = json_string_value(json_object_get(answer, "QueueUrl"));
        if (!u)
            result = wc_error_set(err, WC_ERR_PARSE, "GetQueueUrl answered without a QueueUrl");
        else if (!(*url = strdup(u)))
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    json_decref(answer);
    return result;
}

wc_result wc_sqs_start(wc_aws *aws, const char *action, json_t *body, wc_aws_json_done done,
                       void *ctx, wc_aws_call **handle, wc_error *err)
{
    char target[64];
    return wc_aws_json_start(aws, "sqs", target_of(action, target), body, done, ctx, handle, err);
}

json_t *wc_sqs_receive_body(const char *url, int max, int wait_s, int visibility_s)
{
    return json_pack("{s:s, s:i, s:i, s:i, s:[ss], s:[ss], s:[s]}", "QueueUrl", url,
                     "MaxNumberOfMessages", max, "WaitTimeSeconds", wait_s, "VisibilityTimeout",
                     visibility_s, "AttributeNames", "ApproximateReceiveCount", "SentTimestamp",
                     "MessageSystemAttributeNames", "ApproximateReceiveCount", "SentTimestamp",
                     "MessageAttributeNames", "All");
}

json_t *wc_sqs_batch_body(const char *url, char *const *receipts, const int *seconds, size_t n)
{
    json_t *entries = json_array();
    for (size_t i = 0; entries && i < n; i++) {
        char id[16];
        snprintf(id, sizeof(id), "m%zu", i);
        json_t *entry = json_pack("{s:s, s:s}", "Id", id, "ReceiptHandle", receipts[i]);
        if (entry && seconds)
            json_object_set_new(entry, "VisibilityTimeout", json_integer(seconds[i]));
        json_array_append_new(entries, entry);
    }
    return entries ? json_pack("{s:s, s:o}", "QueueUrl", url, "Entries", entries) : NULL;
}

json_t *wc_sqs_send_body(const char *url, const char *body, const char *group_id,
                         const char *dedup_id, const char *reason, const char *sequence)
{
    json_t *req = json_pack("{s:s, s:s}", "QueueUrl", url, "MessageBody", body);
    if (req && group_id)
        json_object_set_new(req, "MessageGroupId", json_string(group_id));
    if (req && dedup_id)
        json_object_set_new(req, "MessageDeduplicationId", json_string(dedup_id));
    json_t *attrs = req && (reason || sequence) ? json_object() : NULL;
    if (attrs && reason)
        json_object_set_new(attrs, "reason",
                            json_pack("{s:s, s:s}", "DataType", "String", "StringValue", reason));
    if (attrs && sequence)
        json_object_set_new(attrs, WC_SQS_SEQUENCE,
                            json_pack("{s:s, s:s}", "DataType", "String", "StringValue", sequence));
    if (attrs)
        json_object_set_new(req, "MessageAttributes", attrs);
    return req;
}

wc_result wc_sqs_send(wc_aws *aws, const char *url, const char *body, const char *group_id,
                      const char *dedup_id, const char *reason, const char *sequence,
                      wc_aws_error *aerr, wc_error *err)
{
    return call(aws, "SendMessage",
                wc_sqs_send_body(url, body, group_id, dedup_id, reason, sequence), NULL, aerr, err);
}

static json_t *send_batch_body(const char *url, const wc_sqs_entry *entries, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        char id[16];
        snprintf(id, sizeof(id), "m%zu", i);
        /* An entry is SendMessage's body without the queue, with an id. */
        json_t *entry = wc_sqs_send_body(url, entries[i].body, entries[i].group_id,
                                         entries[i].dedup_id, NULL, entries[i].sequence);
        if (!entry || json_object_del(entry, "QueueUrl") != 0 ||
            json_object_set_new(entry, "Id", json_string(id)) != 0 ||
            json_array_append_new(list, entry) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list ? json_pack("{s:s, s:o}", "QueueUrl", url, "Entries", list) : NULL;
}

wc_result wc_sqs_send_batch(wc_aws *aws, const char *url, const wc_sqs_entry *entries, size_t n,
                            size_t *failed, wc_aws_error *aerr, wc_error *err)
{
    *failed = 0;
    json_t *answer = NULL;
    json_t *body = send_batch_body(url, entries, n);
    if (!body)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_result result = call(aws, "SendMessageBatch", body, &answer, aerr, err);
    json_t *list = json_object_get(answer, "Failed");
    if (result == WC_OK && (*failed = json_array_size(list)) > 0) {
        json_t *first = json_array_get(list, 0);
        const char *id = json_string_value(json_object_get(first, "Id"));
        const char *code = json_string_value(json_object_get(first, "Code"));
        const char *message = json_string_value(json_object_get(first, "Message"));
        result = wc_error_set(
            err, json_is_true(json_object_get(first, "SenderFault")) ? WC_ERR_REJECTED : WC_ERR_IO,
            "SendMessageBatch: %zu of %zu messages not sent; entry %s: %s: %s", *failed, n,
            id ? id : "?", code ? code : "?", message ? message : "(no message)");
    } else if (result == WC_OK && json_array_size(json_object_get(answer, "Successful")) != n) {
        result =
            wc_error_set(err, WC_ERR_PARSE, "SendMessageBatch answered for %zu of %zu messages",
                         json_array_size(json_object_get(answer, "Successful")), n);
    }
    json_decref(answer);
    return result;
}

wc_result wc_sqs_redrive_policy(wc_aws *aws, const char *url, char **policy, wc_aws_error *aerr,
                                wc_error *err)
{
    *policy = NULL;
    json_t *answer = NULL;
    wc_result result =
        call(aws, "GetQueueAttributes",
             json_pack("{s:s, s:[s]}", "QueueUrl", url, "AttributeNames", "RedrivePolicy"), &answer,
             aerr, err);
    if (result == WC_OK) {
        const char *p = json_string_value(
            json_object_get(json_object_get(answer, "Attributes"), "RedrivePolicy"));
        if (!(*policy = strdup(p ? p : "")))
            result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    json_decref(answer);
    return result;
}
