/* dynamodb_store.h - a widget store on a DynamoDB table: one flat item per widget (see
 * core/item.h for the mapping and how attribute names that collide with core names are kept).
 * Exact order (the default): the item also holds its ledger and a version ("wc:ledger",
 * "wc:version"); a request is one GetItem (consistent read) and one PutItem on the condition
 * that the version is unchanged (a create: one PutItem on attribute_not_exists, read only when
 * something is there). A deleted widget's item becomes a tombstone (the key, the ledger and
 * "wc:expires": enable the table's TTL on it to have tombstones go after tombstone_ttl_s).
 * Classic order (store.h: a save without a ledger): the item holds the widget and its version,
 * no ledger; a create is one PutItem on attribute_not_exists, an update a GetItem (unless the
 * item is remembered) and a PutItem on the version read, a delete a GetItem and a DeleteItem on
 * it: no tombstone.
 */
#ifndef WC_DYNAMODB_STORE_H
#define WC_DYNAMODB_STORE_H

#include <stdint.h>

#include "aws/client.h"
#include "stores/store.h"

typedef struct {
    wc_aws *aws;
    const char *table;
    const char *key_name;     /* partition key, "id" */
    const char *key_prefix;   /* only for the keys scan() reports (as the S3 key would be) */
    uint64_t tombstone_ttl_s; /* 0: a week */
    /* Memory (bytes of compact JSON) for the items this consumer last read or
     * wrote, so that an update or delete of one is one PutItem on its remembered version (0: none,
     * every update and delete reads the item first). */
    uint64_t remember_bytes;
} wc_dynamodb_store_config;

/* Opens the store; DescribeTable checks the table exists and its partition key is key_name:
 *   widget table "widgets": ResourceNotFoundException: … */
wc_result wc_dynamodb_store_open(const wc_dynamodb_store_config *config, wc_store *out,
                                 wc_error *err);

#endif
