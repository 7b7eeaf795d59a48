/* consumer_config.h - the consumer's options (one table) and how they choose a source and store.
 *
 * Forms accepted:
 *   widget-consumer --request-dir DIR --widget-dir DIR [options]
 *   widget-consumer -rb BUCKET | -rq QUEUE   -wb BUCKET | -dwt TABLE   [options]
 *   widget-consumer s3 BUCKET dynamodb TABLE        (the original four positional parameters;
 *                                                    also "s3 B s3 B2", "sqs Q ...", "dir D dir
 * D2")
 */
#ifndef WC_CONSUMER_CONFIG_H
#define WC_CONSUMER_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/options.h"
#include "consumer/poller.h"
#include "sources/source.h"
#include "stores/store.h"

typedef struct {
    const char *request_bucket, *request_queue, *request_dir;
    const char *widget_bucket, *widget_table, *widget_dir;
    const char *dead_letter_dir, *dead_letter_queue, *dead_letter_bucket, *dead_letter_prefix;
    const char *request_prefix;
    const char *key_prefix, *table_key;
    const char *profile, *region, *endpoint_url;
    uint64_t max_runtime_ms, queue_wait_s, queue_visibility_s;
    uint64_t poll_interval_ms, max_empty_polls, max_requests, max_attempts, retry_delay_ms;
    uint64_t max_request_bytes, concurrency, shutdown_timeout_ms, max_outage_ms, tombstone_ttl_s;
    uint64_t remember_mib;
    uint64_t progress_interval_ms, claim_lease_ms;
    const char *log_file, *log_level, *log_format, *shard, *order;
    const char *metrics_addr; /* NULL: no metrics server */
    const char *sqs_envelope; /* sns, none or auto (sources/sns_envelope.h) */
    const char *sqs_messages; /* -rq: requests, s3-events or auto */
    int quiet, durable, help, version;
} wc_consumer_config;

extern const wc_option wc_consumer_options[];

/* Options also come from WIDGET_CONSUMER_ + the long name: WIDGET_CONSUMER_CONCURRENCY. */
#define WC_CONSUMER_ENV_PREFIX "WIDGET_CONSUMER_"

/* Parses argv into config: options, then the positional four-parameter form. Checks that exactly
 * one source and one store are named and that they are built. WC_ERR_INVALID with a one-line
 * message on bad usage. */
wc_result wc_consumer_config_parse(wc_consumer_config *config, int argc, char **argv,
                                   wc_error *err);

void wc_consumer_usage(FILE *out);

/* The poller settings of a config. */
wc_poller_config wc_consumer_poller_config(const wc_consumer_config *config);

/* What a consumer runs on: its source, its store, and the AWS client they share (NULL when
 * neither is on AWS), all on one loop. */
typedef struct wc_aws wc_aws;
typedef struct {
    wc_source source;
    wc_store store;
    wc_aws *aws;
    wc_loop *loop; /* the caller's */
} wc_consumer_parts;

/* Opens the source and store the config names, on loop (checking that AWS resources exist). On
 * failure nothing is left open, and err names the resource and what is wrong. */
wc_result wc_consumer_open(const wc_consumer_config *config, wc_loop *loop,
                           wc_consumer_parts *parts, wc_error *err);
void wc_consumer_close(wc_consumer_parts *parts);

#endif
