/* registry.h - every widget store, declared once: its name (the original tools' positional
 * type), the option that names it, whether it runs on AWS, and how it opens. The consumer and the
 * verifier iterate this table; adding a store is its own file, one entry here, and CMake. */
#ifndef WC_STORE_REGISTRY_H
#define WC_STORE_REGISTRY_H

#include "aws/client.h"
#include <stdint.h>

#include "common/options.h"
#include "stores/store.h"

/* Everything any store may need; each backend takes what it uses. */
typedef struct {
    wc_aws *aws;              /* NULL unless the backend runs on AWS */
    const char *name;         /* the table, bucket or directory */
    const char *key_prefix;   /* "widgets/" */
    const char *table_key;    /* DynamoDB partition key, "id" */
    int durable;              /* directory: fsync each widget */
    uint64_t tombstone_ttl_s; /* DynamoDB: how long a deleted widget is remembered (0: a week) */
    wc_clock *clock;          /* the wall clock of tombstones (NULL: the system's); the AWS
                               * stores use their client's loop's */
    uint64_t remember_bytes;  /* DynamoDB: memory for items last read or written (0: none) */
} wc_store_params;

typedef struct {
    const char *type;         /* "dynamodb", "s3", "dir" */
    const char *option;       /* the long option naming it: "widget-bucket" */
    const char *short_option; /* "wb", or NULL */
    int on_aws;
    wc_result (*open)(const wc_store_params *params, wc_store *out, wc_error *err);
} wc_store_backend;

/* The table, ended by an entry whose type is NULL. */
extern const wc_store_backend wc_store_backends[];

/* The backend of a positional type ("dynamodb"), or NULL. */
const wc_store_backend *wc_store_backend_of(const char *type);

/* The backend whose option (of table, read in config) has a value, with *how_many the count of
 * backends that have one (a program wants exactly one); NULL when none has. */
const wc_store_backend *wc_store_backend_chosen(const wc_option *table, void *config,
                                                int *how_many);

#endif
