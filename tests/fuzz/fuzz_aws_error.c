/* AWS error answers (wc_aws_error_decode, src/aws/aws_error.c): S3's XML and the JSON of SQS and
 * DynamoDB. The first byte picks the service and the HTTP status, the rest is the body. Every
 * field stays a NUL-terminated string within its array, and an answer with a status always gets
 * a code. */
#include <string.h>

#include "aws/aws_error.h"
#include "fuzz.h"

static const char *const services[] = {"s3", "sqs", "dynamodb", "sts"};
static const long statuses[] = {0, 200, 301, 400, 403, 404, 409, 412, 429, 500, 503, 504, 418, 599};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *service = services[data[0] & 3];
    long status = statuses[(data[0] >> 2) % (sizeof(statuses) / sizeof(statuses[0]))];
    const char *request_id = (data[0] & 0x80) ? "REQ-ID" : NULL;
    wc_aws_error e;
    wc_aws_error_decode(service, status, (const char *)data + 1, size - 1, request_id, &e);
    FUZZ_CHECK(strcmp(e.service, service) == 0 && e.status == status);
    FUZZ_CHECK(memchr(e.code, 0, sizeof(e.code)));
    FUZZ_CHECK(memchr(e.message, 0, sizeof(e.message)));
    FUZZ_CHECK(memchr(e.request_id, 0, sizeof(e.request_id)));
    FUZZ_CHECK(status == 0 || e.code[0] != '\0');
    FUZZ_CHECK(!request_id || strcmp(e.request_id, request_id) == 0);
    char text[256];
    wc_aws_error_text(&e, text, sizeof(text));
    FUZZ_CHECK(strlen(text) < sizeof(text));
    return 0;
}
