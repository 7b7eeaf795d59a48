#include "consumer/consumer_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "common/clock.h"
#include "sources/registry.h"
#include "sources/sns_envelope.h"
#include "stores/registry.h"

#define OFF(f) offsetof(wc_consumer_config, f)

/* clang-format off */
const wc_option wc_consumer_options[] = {
    WC_STR_OPT("request-dir", NULL, "DIR", NULL, OFF(request_dir), "take requests from files in DIR (smallest name first)"),
    WC_STR_OPT("request-bucket", "rb", "BUCKET", NULL, OFF(request_bucket), "take requests from an S3 bucket"),
    WC_STR_OPT("request-queue", "rq", "QUEUE", NULL, OFF(request_queue), "take requests from an SQS queue (name or URL)"),
    WC_STR_OPT("widget-dir", NULL, "DIR", NULL, OFF(widget_dir), "store widgets as files under DIR, laid out like the widget bucket"),
    WC_STR_OPT("widget-bucket", "wb", "BUCKET", NULL, OFF(widget_bucket), "store widgets in an S3 bucket"),
    WC_STR_OPT("dynamodb-widget-table", "dwt", "TABLE", NULL, OFF(widget_table), "store widgets in a DynamoDB table"),
    WC_STR_OPT("request-prefix", NULL, "PREFIX", "", OFF(request_prefix), "key prefix of requests in the request bucket"),
    WC_STR_OPT("dead-letter-dir", NULL, "DIR", NULL, OFF(dead_letter_dir), "where bad and given-up requests of --request-dir go (default: REQUEST_DIR.dead-letter)"),
    WC_STR_OPT("dead-letter-queue", NULL, "QUEUE", NULL, OFF(dead_letter_queue), "SQS queue (name or URL) for bad and given-up requests of -rq"),
    WC_STR_OPT("dead-letter-bucket", NULL, "BUCKET", NULL, OFF(dead_letter_bucket), "S3 bucket for bad and given-up requests of -rb (default: the request bucket)"),
    WC_STR_OPT("dead-letter-prefix", NULL, "PREFIX", "dead-letter/", OFF(dead_letter_prefix), "key prefix of dead letters of -rb"),
    WC_STR_OPT("sqs-messages", NULL, "requests|s3-events|auto", "auto", OFF(sqs_messages), "-rq: what a message is: a request, S3 event notifications naming request objects (each object fetched, applied and deleted), or either, told by its shape"),
    WC_STR_OPT("widget-key-prefix", "wkp", "PREFIX", "widgets/", OFF(key_prefix), "key prefix of widgets in a widget bucket or directory"),
    WC_STR_OPT("dynamodb-key", NULL, "NAME", "id", OFF(table_key), "partition key attribute of the DynamoDB table"),
    WC_ENV_OPT("profile", "p", "NAME", "AWS_PROFILE", OFF(profile), "AWS profile of the shared config and credentials files"),
    WC_ENV_OPT("region", "r", "REGION", "AWS_REGION", OFF(region), "AWS region (also AWS_DEFAULT_REGION, or the profile's)"),
    WC_STR_OPT("endpoint-url", NULL, "URL", NULL, OFF(endpoint_url), "send every AWS call to URL (local stand-ins; else AWS_ENDPOINT_URL_S3/_SQS/_DYNAMODB, AWS_ENDPOINT_URL)"),
    WC_UINT_OPT("max-runtime", "mrt", "MS", "0", OFF(max_runtime_ms), "stop after this many milliseconds (0 = no limit)"),
    WC_UINT_OPT("queue-wait-timeout", "qwt", "SECONDS", "10", OFF(queue_wait_s), "SQS long-poll wait"),
    WC_UINT_OPT("queue-visibility-timeout", "qvt", "SECONDS", "30", OFF(queue_visibility_s), "SQS visibility timeout of received messages"),
    WC_UINT_OPT("poll-interval", NULL, "MS", "100", OFF(poll_interval_ms), "wait after an empty poll"),
    WC_UINT_OPT("max-empty-polls", NULL, "N", "5", OFF(max_empty_polls), "stop after N empty polls in a row (0 = run forever)"),
    WC_UINT_OPT("max-requests", NULL, "N", "0", OFF(max_requests), "stop after N requests (0 = no limit)"),
    WC_UINT_OPT("max-attempts", NULL, "N", "8", OFF(max_attempts), "tries of an update/delete whose widget is missing before giving up to dead letters"),
    WC_UINT_OPT("retry-delay", NULL, "MS", "100", OFF(retry_delay_ms), "first delay before retrying such a request; doubles each time, up to 20x"),
    WC_UINT_OPT("max-request-bytes", NULL, "N", "262144", OFF(max_request_bytes), "larger request bodies are dead-lettered unread"),
    WC_UINT_OPT("tombstone-ttl", NULL, "SECONDS", "604800", OFF(tombstone_ttl_s), "exact order: how long a deleted widget is remembered (DynamoDB: its wc:expires attribute, for the table's TTL; a widget directory: its ledger is swept at start-up)"),
    WC_UINT_OPT("remember-mib", NULL, "MIB", "1", OFF(remember_mib), "exact order on DynamoDB: memory for the items last read or written, so that an update or delete of one of them is one conditional write, without reading it first (0: none)"),
    WC_UINT_OPT("claim-lease", NULL, "MS", "60000", OFF(claim_lease_ms), "directory source: a claimed request whose claim is not renewed this long was left by a consumer that is gone, and is handed back"),
    WC_STR_OPT("order", NULL, "exact|classic", "exact", OFF(order), "exact: every request carries its place in production order and the store keeps a ledger per widget, so any delivery order ends as the sequential result; classic: applied as delivered"),
    WC_STR_OPT("sqs-envelope", NULL, "sns|none|auto", "auto", OFF(sqs_envelope), "-rq: bodies that are SNS envelopes (a topic's delivery without raw delivery) are unwrapped (auto); sns: every body must be one; none: bodies are requests as they are"),
    WC_STR_OPT("shard", NULL, "K/N", NULL, OFF(shard), "consumer K of N sharing a request bucket or directory: takes the requests of its widgets"),
    WC_UINT_OPT("concurrency", "c", "N", "8", OFF(concurrency), "requests in flight at once (AWS stores); one widget's requests still go in order"),
    WC_UINT_OPT("shutdown-timeout", NULL, "MS", "10000", OFF(shutdown_timeout_ms), "on SIGINT/SIGTERM, the longest wait for requests in flight (a second signal: at once)"),
    WC_UINT_OPT("max-outage", NULL, "MS", "300000", OFF(max_outage_ms), "stop with exit 1 when the store or source has failed this long (0 = never)"),
    WC_FLAG_OPT("durable", NULL, OFF(durable), "fsync each widget file before removing its request (--widget-dir)"),
    WC_STR_OPT("log-file", NULL, "FILE", NULL, OFF(log_file), "also append log lines to FILE"),
    WC_STR_OPT("log-level", NULL, "LEVEL", "info", OFF(log_level), "debug, info, warn, error or off"),
    WC_STR_OPT("log-format", NULL, "FORMAT", "text", OFF(log_format), "text (key=value) or json (one object a line)"),
    WC_UINT_OPT("progress-interval", NULL, "MS", "10000", OFF(progress_interval_ms), "a progress line (rate, in flight, totals) this often (0 = none)"),
    WC_STR_OPT("metrics-addr", NULL, "HOST:PORT", NULL, OFF(metrics_addr), "serve /metrics, /healthz and /readyz there (:PORT: 127.0.0.1)"),
    WC_FLAG_OPT("quiet", "q", OFF(quiet), "no log lines on stderr"),
    WC_OPTIONS_VERSION_HELP_END(wc_consumer_config),
};
/* clang-format on */

void wc_consumer_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: widget-consumer SOURCE STORE [options]\n"
        "       widget-consumer s3 REQUEST_BUCKET s3|dynamodb WIDGET_BUCKET|TABLE [options]\n"
        "Takes Widget Requests one by one from SOURCE, applies them to STORE and removes them.\n"
        "SOURCE is --request-dir, -rb or -rq; STORE is --widget-dir, -wb or -dwt.\n\n"
        "Options:\n");
    wc_options_help_env(wc_consumer_options, WC_CONSUMER_ENV_PREFIX, out);
    fprintf(out, "\nEvery option may also come from its environment variable (the command line "
                 "wins); a flag's is true or false.\n");
}

/* The value of a backend's option in the config (NULL when not given). */
static const char *named(const wc_consumer_config *c, const char *option)
{
    const char **field = wc_options_string_field(wc_consumer_options, (void *)c, option);
    return field ? *field : NULL;
}

static const wc_source_backend *chosen_source(const wc_consumer_config *c, int *how_many)
{
    const wc_source_backend *chosen = NULL;
    *how_many = 0;
    for (const wc_source_backend *b = wc_source_backends; b->type; b++)
        if (named(c, b->option)) {
            chosen = b;
            ++*how_many;
        }
    return chosen;
}

/* The original four positional parameters: source type, name, destination type, name. */
static wc_result apply_positional(wc_consumer_config *c, const char **pos, int n, wc_error *err)
{
    if (n == 0)
        return WC_OK;
    if (n != 4)
        return wc_error_set(err, WC_ERR_INVALID,
                            "expected four parameters (e.g. s3 BUCKET dynamodb TABLE), got %d", n);
    const wc_source_backend *source = wc_source_backend_of(pos[0]);
    if (!source)
        return wc_error_set(err, WC_ERR_INVALID, "source type \"%s\" is not s3, sqs or dir",
                            pos[0]);
    const wc_store_backend *store = wc_store_backend_of(pos[2]);
    if (!store)
        return wc_error_set(err, WC_ERR_INVALID,
                            "destination type \"%s\" is not s3, dynamodb or dir", pos[2]);
    *wc_options_string_field(wc_consumer_options, c, source->option) = pos[1];
    *wc_options_string_field(wc_consumer_options, c, store->option) = pos[3];
    return WC_OK;
}

wc_result wc_consumer_config_parse(wc_consumer_config *c, int argc, char **argv, wc_error *err)
{
    memset(c, 0, sizeof(*c));
    const char *pos[8];
    int npos = 0;
    wc_result result = wc_options_parse_env(wc_consumer_options, WC_CONSUMER_ENV_PREFIX, c, argc,
                                            argv, pos, 8, &npos, err);
    if (result != WC_OK || c->help || c->version)
        return result;
    if ((result = apply_positional(c, pos, npos, err)) != WC_OK)
        return result;
    if (!c->region || !*c->region) {
        const char *fallback = getenv("AWS_DEFAULT_REGION");
        c->region = fallback && *fallback ? fallback : NULL;
    }
    int sources, stores;
    const wc_source_backend *source = chosen_source(c, &sources);
    wc_store_backend_chosen(wc_consumer_options, c, &stores);
    if (sources != 1)
        return wc_error_set(err, WC_ERR_INVALID,
                            "name exactly one request source: --request-dir, -rb or -rq");
    if (stores != 1)
        return wc_error_set(err, WC_ERR_INVALID,
                            "name exactly one widget store: --widget-dir, -wb or -dwt");
    if (c->max_attempts == 0)
        return wc_error_set(err, WC_ERR_INVALID, "--max-attempts must be at least 1");
    wc_shard shard;
    if (c->shard && wc_shard_parse(c->shard, &shard, err) != WC_OK)
        return WC_ERR_INVALID;
    if (c->shard && !source->shardable)
        return wc_error_set(err, WC_ERR_INVALID,
                            "--shard is for request buckets and directories; an SQS queue is "
                            "shared as it is (a FIFO queue keeps each widget's order)");
    if (strcmp(c->order, "exact") != 0 && strcmp(c->order, "classic") != 0)
        return wc_error_set(err, WC_ERR_INVALID, "--order must be exact or classic, not \"%s\"",
                            c->order);
    wc_sns_envelope_mode envelope;
    if (!wc_sns_envelope_mode_parse(c->sqs_envelope, &envelope))
        return wc_error_set(err, WC_ERR_INVALID,
                            "--sqs-envelope must be sns, none or auto, not \"%s\"",
                            c->sqs_envelope);
    if (strcmp(c->sqs_messages, "requests") != 0 && strcmp(c->sqs_messages, "s3-events") != 0 &&
        strcmp(c->sqs_messages, "auto") != 0)
        return wc_error_set(err, WC_ERR_INVALID,
                            "--sqs-messages must be requests, s3-events or auto, not \"%s\"",
                            c->sqs_messages);
    if (c->concurrency == 0 || c->concurrency > 256)
        return wc_error_set(err, WC_ERR_INVALID, "--concurrency must be from 1 to 256");
    if (c->max_request_bytes == 0)
        return wc_error_set(err, WC_ERR_INVALID, "--max-request-bytes must be at least 1");
    if (c->queue_wait_s > 20)
        return wc_error_set(err, WC_ERR_INVALID, "-qwt/--queue-wait-timeout: at most 20 seconds");
    if (c->queue_visibility_s > 43200)
        return wc_error_set(err, WC_ERR_INVALID,
                            "-qvt/--queue-visibility-timeout: at most 43200 seconds");
    return wc_store_check_prefix(c->key_prefix, err);
}

wc_poller_config wc_consumer_poller_config(const wc_consumer_config *c)
{
    wc_poller_config p = {
        .poll_interval_ms = c->poll_interval_ms,
        .max_empty_polls = c->max_empty_polls,
        .max_requests = c->max_requests,
        .max_runtime_ms = c->max_runtime_ms,
        .max_attempts = c->max_attempts,
        .retry_delay_ms = c->retry_delay_ms,
        .max_body = (size_t)c->max_request_bytes,
        .concurrency = (unsigned)c->concurrency,
        .shutdown_timeout_ms = c->shutdown_timeout_ms,
        .max_outage_ms = c->max_outage_ms,
        .classic_order = strcmp(c->order, "classic") == 0,
        .progress_interval_ms = c->progress_interval_ms,
    };
    return p;
}

wc_result wc_consumer_open(const wc_consumer_config *c, wc_loop *loop, wc_consumer_parts *p,
                           wc_error *err)
{
    memset(p, 0, sizeof(*p));
    p->loop = loop;
    int n;
    const wc_source_backend *source = chosen_source(c, &n);
    const wc_store_backend *store = wc_store_backend_chosen(wc_consumer_options, (void *)c, &n);
    if (source->on_aws || store->on_aws) {
        wc_aws_config ac = {.region = c->region,
                            .profile = c->profile,
                            .endpoint_url = c->endpoint_url,
                            .loop = loop};
        /* A long poll must not hit the transport's timeout. */
        ac.http.timeout_ms = (long)(c->queue_wait_s * 1000 + 30000);
        p->aws = wc_aws_new(&ac, err);
        if (!p->aws)
            return WC_ERR_INVALID;
    }
    wc_source_params sp = {.aws = p->aws,
                           .clock = wc_loop_clock(loop),
                           .loop = loop,
                           .name = named(c, source->option),
                           .prefix = c->request_prefix,
                           .dead_letter_queue = c->dead_letter_queue,
                           .dead_letter_bucket = c->dead_letter_bucket,
                           .dead_letter_prefix = c->dead_letter_prefix,
                           .dead_letter_dir = c->dead_letter_dir,
                           .max_body = (size_t)c->max_request_bytes,
                           .wait_s = (int)c->queue_wait_s,
                           .visibility_s = (int)c->queue_visibility_s,
                           .classic_order = strcmp(c->order, "classic") == 0,
                           .shard = {0, 1},
                           .claim_lease_ms = c->claim_lease_ms,
                           .sqs_messages = c->sqs_messages};
    wc_sns_envelope_mode envelope = WC_SNS_ENVELOPE_AUTO;
    wc_sns_envelope_mode_parse(c->sqs_envelope, &envelope); /* checked by the parse */
    sp.sqs_envelope = (int)envelope;
    wc_store_params tp = {.aws = p->aws,
                          .name = named(c, store->option),
                          .key_prefix = c->key_prefix,
                          .table_key = c->table_key,
                          .durable = c->durable,
                          .tombstone_ttl_s = c->tombstone_ttl_s,
                          .clock = wc_loop_clock(loop),
                          .remember_bytes = c->remember_mib << 20};
    wc_result result = c->shard ? wc_shard_parse(c->shard, &sp.shard, err) : WC_OK;
    if (result == WC_OK)
        result = source->open(&sp, &p->source, err);
    if (result == WC_OK && (result = store->open(&tp, &p->store, err)) != WC_OK)
        wc_source_destroy(&p->source);
    if (result != WC_OK) {
        wc_aws_free(p->aws);
        p->aws = NULL;
    }
    return result;
}

void wc_consumer_close(wc_consumer_parts *p)
{
    wc_source_destroy(&p->source);
    wc_store_destroy(&p->store);
    wc_aws_free(p->aws);
    p->aws = NULL;
}
