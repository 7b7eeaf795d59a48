/* shard.h - which consumer takes a request, when several share a request bucket or directory.
 *
 * Consumer K of N (--shard K/N) takes the requests whose widgetId hashes to K (FNV-1a, mod N).
 * All the requests of one widget go to one consumer, which applies them in key order: with
 * several consumers the result is still exact, and no request is taken by two at once. A body
 * without a readable widgetId (a bad request) is sharded by its key instead, so exactly one
 * consumer dead-letters it. A consumer that is down holds up its own shard until it is back.
 */
#ifndef WC_SHARD_H
#define WC_SHARD_H

#include <stddef.h>

#include "common/error.h"

typedef struct {
    unsigned index; /* K, from 0 */
    unsigned count; /* N; 0 or 1: no sharding */
} wc_shard;

/* Parses "K/N" (0 <= K < N <= 1024). */
wc_result wc_shard_parse(const char *text, wc_shard *out, wc_error *err);

/* Whether this consumer takes the request with this body (and key). */
int wc_shard_owns(const wc_shard *shard, const char *key, const char *body, size_t len);

#endif
