#include "sources/shard.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/options.h"

wc_result wc_shard_parse(const char *text, wc_shard *out, wc_error *err)
{
    const char *slash = strchr(text, '/');
    uint64_t k = 0, n = 0;
    char left[32];
    if (slash && (size_t)(slash - text) < sizeof(left)) {
        memcpy(left, text, (size_t)(slash - text));
        left[slash - text] = '\0';
    }
    if (!slash || (size_t)(slash - text) >= sizeof(left) || wc_parse_uint(left, &k) != WC_OK ||
        wc_parse_uint(slash + 1, &n) != WC_OK || n == 0 || n > 1024 || k >= n)
        return wc_error_set(err, WC_ERR_INVALID,
                            "--shard \"%s\": expected K/N with 0 <= K < N <= 1024, e.g. 0/3", text);
    out->index = (unsigned)k;
    out->count = (unsigned)n;
    return WC_OK;
}

int wc_shard_owns(const wc_shard *shard, const char *key, const char *body, size_t len)
{
    if (shard->count <= 1)
        return 1;
    const char *by = key;
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(root, "widgetId"));
    if (id && *id)
        by = id;
    int mine = wc_fnv1a32(by, strlen(by)) % shard->count == shard->index;
    json_decref(root);
    return mine;
}
