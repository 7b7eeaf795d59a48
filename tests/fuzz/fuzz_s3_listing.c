/* S3 ListObjectsV2 answers (wc_s3_listing_parse, src/aws/s3.c): any bytes as the XML. Bad XML is
 * WC_ERR_PARSE with nothing left allocated; good XML gives keys and prefixes that are strings. */
#include <string.h>

#include "aws/s3.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wc_s3_listing l;
    wc_error err;
    wc_result result = wc_s3_listing_parse("bucket", (const char *)data, size, &l, &err);
    if (result != WC_OK) {
        FUZZ_CHECK(result == WC_ERR_PARSE);
        FUZZ_CHECK(strstr(err.msg, "ListObjectsV2 of bucket: bad XML") == err.msg);
        FUZZ_CHECK(l.keys == NULL && l.n == 0 && l.prefixes == NULL && l.next_token == NULL);
        return 0;
    }
    /* Every key and prefix is a string no longer than the input. */
    for (size_t i = 0; i < l.n; i++)
        FUZZ_CHECK(l.keys[i] && strlen(l.keys[i]) <= size);
    for (size_t i = 0; i < l.n_prefixes; i++)
        FUZZ_CHECK(l.prefixes[i] && strlen(l.prefixes[i]) <= size);
    FUZZ_CHECK(l.truncated == 0 || l.truncated == 1);
    FUZZ_CHECK(!l.next_token || strlen(l.next_token) <= size);
    wc_s3_listing_cleanup(&l);
    FUZZ_CHECK(l.keys == NULL && l.n == 0);
    return 0;
}
