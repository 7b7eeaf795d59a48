#include "stores/store.h"

#include <string.h>

void wc_store_destroy(wc_store *store)
{
    if (store && store->ops)
        store->ops->destroy(store->self);
    if (store) {
        store->ops = NULL;
        store->self = NULL;
    }
}

wc_result wc_store_check_prefix(const char *prefix, wc_error *err)
{
    if (prefix[0] == '/')
        return wc_error_set(err, WC_ERR_INVALID, "widget key prefix \"%s\" must not start with '/'",
                            prefix);
    const char *part = prefix;
    while (*part) {
        const char *slash = strchr(part, '/');
        size_t len = slash ? (size_t)(slash - part) : strlen(part);
        if ((len == 0 && slash) || (len == 1 && part[0] == '.') ||
            (len == 2 && part[0] == '.' && part[1] == '.'))
            return wc_error_set(
                err, WC_ERR_INVALID,
                "widget key prefix \"%s\" must not have empty, \".\" or \"..\" parts", prefix);
        part += len + (slash ? 1 : 0);
    }
    return WC_OK;
}
