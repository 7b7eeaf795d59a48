#include "stores/registry.h"

#include <string.h>

#include "stores/dir_store.h"
#include "stores/dynamodb_store.h"
#include "stores/s3_store.h"

static wc_result open_dynamodb(const wc_store_params *p, wc_store *out, wc_error *err)
{
    wc_dynamodb_store_config c = {
        p->aws, p->name, p->table_key, p->key_prefix, p->tombstone_ttl_s, p->remember_bytes};
    return wc_dynamodb_store_open(&c, out, err);
}

static wc_result open_s3(const wc_store_params *p, wc_store *out, wc_error *err)
{
    wc_s3_store_config c = {p->aws, p->name, p->key_prefix, (size_t)p->remember_bytes,
                            0 /* blind creates: off, s3_store.h */};
    return wc_s3_store_open(&c, out, err);
}

static wc_result open_dir(const wc_store_params *p, wc_store *out, wc_error *err)
{
    wc_dir_store_config c = {p->name, p->key_prefix, p->durable, p->tombstone_ttl_s, p->clock};
    return wc_dir_store_open(&c, out, err);
}

const wc_store_backend wc_store_backends[] = {
    {"dir", "widget-dir", NULL, 0, open_dir},
    {"s3", "widget-bucket", "wb", 1, open_s3},
    {"dynamodb", "dynamodb-widget-table", "dwt", 1, open_dynamodb},
    {NULL, NULL, NULL, 0, NULL},
};

const wc_store_backend *wc_store_backend_of(const char *type)
{
    for (const wc_store_backend *b = wc_store_backends; b->type; b++)
        if (strcmp(b->type, type) == 0)
            return b;
    return NULL;
}

const wc_store_backend *wc_store_backend_chosen(const wc_option *table, void *config, int *how_many)
{
    const wc_store_backend *chosen = NULL;
    *how_many = 0;
    for (const wc_store_backend *b = wc_store_backends; b->type; b++) {
        const char **value = wc_options_string_field(table, config, b->option);
        if (value && *value) {
            chosen = b;
            ++*how_many;
        }
    }
    return chosen;
}
