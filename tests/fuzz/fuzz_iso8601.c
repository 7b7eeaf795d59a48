/* The ISO 8601 reader (wc_parse_iso8601, src/aws/credential_provider.c): any string. A time that
 * reads, written back as YYYY-MM-DDTHH:MM:SSZ, reads as the same time. */
#include <string.h>
#include <time.h>

#include "aws/credentials.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    time_t t = 12345;
    wc_result result = wc_parse_iso8601(s, &t);
    FUZZ_CHECK(result == WC_OK || result == WC_ERR_PARSE);
    if (result == WC_ERR_PARSE)
        FUZZ_CHECK(t == 12345); /* untouched */
    struct tm tm;
    if (result == WC_OK && gmtime_r(&t, &tm) && tm.tm_year + 1900 >= 1 &&
        tm.tm_year + 1900 <= 9999) {
        char text[64];
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
        time_t again = 0;
        FUZZ_CHECK(wc_parse_iso8601(text, &again) == WC_OK);
        FUZZ_CHECK(again == t);
    }
    free(s);
    return 0;
}
