/* The JSON credentials of the ECS container endpoint and EC2 IMDSv2 (wc_credentials_from_json,
 * src/aws/credentials_http.c). Credentials are accepted only with a key id, a secret and an
 * Expiration that reads (or none); an unreadable Expiration is an error, never "never expires". */
#include <jansson.h>
#include <string.h>

#include "aws/credentials.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_string(data, size);
    wc_credentials c;
    wc_error err;
    wc_result result = wc_credentials_from_json(body, "ECS container", &c, &err);
    json_t *root = json_loads(body, 0, NULL);
    json_t *expiration = json_object_get(root, "Expiration");
    if (result == WC_OK) {
        FUZZ_CHECK(c.access_key_id && c.secret_access_key);
        FUZZ_CHECK(strcmp(c.source, "ECS container") == 0);
        /* Absent: does not expire. Anything else must be a time that reads. */
        time_t t;
        if (!expiration)
            FUZZ_CHECK(c.expiration == 0);
        else
            FUZZ_CHECK(json_is_string(expiration) &&
                       wc_parse_iso8601(json_string_value(expiration), &t) == WC_OK &&
                       t == c.expiration);
        wc_credentials_cleanup(&c);
    } else {
        FUZZ_CHECK(result == WC_ERR_INVALID);
        FUZZ_CHECK(strncmp(err.msg, "ECS container: ", 15) == 0);
    }
    json_decref(root);
    free(body);
    return 0;
}
