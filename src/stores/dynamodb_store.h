/* dynamodb_store.h - a widget store on a DynamoDB table: one flat item per widget (see
 * core/item.h for the mapping and how attribute names that collide with core names are kept).
 * Exact order (the default): the item also holds its ledger and a version ("wc:ledger",
 * "wc:version"); a request is one GetItem (consistent read) and one PutItem on the condition
 * that the version is unchanged (a create: one PutItem on attribute_not_exists, read only when
 * something is there). A deleted widget's item becomes a tombstone (the key, the ledger and
 * "wc:expires": enable the table's TTL on it to have tombstones go after tombstone_ttl_s).
 * Classic order:
 *   create: PutItem of the whole item (applying it again gives the same item);
 *   update: one UpdateItem: SET/REMOVE built from the request, every attribute name a
 *           placeholder, and the condition attribute_exists(key): a missing widget fails the
 *           condition (ConditionalCheckFailedException) and is reported as not found;
 *   delete: DeleteItem with ReturnValues ALL_OLD: no old item means it was not there.
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
    /* Exact order: memory (bytes of compact JSON) for the items this consumer last read or
     * wrote, so that an update or delete of one is one PutItem on its remembered version (0: none,
     * every update and delete reads the item first). */
    uint64_t remember_bytes;
} wc_dynamodb_store_config;

/* Opens the store; DescribeTable checks the table exists and its partition key is key_name:
 *   widget table "widgets": ResourceNotFoundException: … */
wc_result wc_dynamodb_store_open(const wc_dynamodb_store_config *config, wc_store *out,
                                 wc_error *err);

#endif
