/* SQS answers as the SQS source reads them (src/aws/client_json.c parses the JSON, then
 * src/sources/sqs_source.c): the "Messages" of ReceiveMessage, each read with
 * wc_sqs_message_read, and the "Failed" count of a DeleteMessageBatch. A message without
 * MessageId, Body or ReceiptHandle is WC_ERR_PARSE; one that is read has them all, and is then
 * unwrapped as an SNS envelope. */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "sources/sns_envelope.h"
#include "sources/sqs_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *answer = json_loadb((const char *)data, size, 0, NULL); /* as client.c reads it */
    if (!answer)
        return 0;
    size_t max_body = size / 2;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(answer, "Messages"), i, m)
    {
        wc_message msg;
        memset(&msg, 0, sizeof(msg));
        wc_error err;
        wc_result result = wc_sqs_message_read(m, max_body, &msg, &err);
        if (result != WC_OK) {
            FUZZ_CHECK(result == WC_ERR_PARSE);
            FUZZ_CHECK(!msg.key && !msg.body && !msg.handle);
            continue;
        }
        FUZZ_CHECK(strcmp(msg.key, json_string_value(json_object_get(m, "MessageId"))) == 0);
        FUZZ_CHECK(strcmp(msg.body, json_string_value(json_object_get(m, "Body"))) == 0);
        FUZZ_CHECK(msg.len == strlen(msg.body));
        FUZZ_CHECK(msg.too_large == (msg.len > max_body));
        /* then as an SNS envelope (sources/sns_envelope.h), in each mode: rejected with its body
         * whole, or its body (unwrapped or not) one NUL-terminated string of len bytes */
        char *before = strdup(msg.body);
        wc_sns_envelope_mode mode = (wc_sns_envelope_mode)(i % 3);
        if (wc_sns_envelope_unwrap(&msg, mode, max_body) == WC_OK) {
            FUZZ_CHECK(!msg.reject_why || strcmp(msg.body, before) == 0);
            FUZZ_CHECK(msg.len == strlen(msg.body));
            FUZZ_CHECK(mode != WC_SNS_ENVELOPE_NONE || strcmp(msg.body, before) == 0);
        }
        free(before);
        free(msg.handle);
        wc_message_cleanup(&msg);
    }
    (void)json_array_size(json_object_get(answer, "Failed"));
    json_decref(answer);
    return 0;
}
