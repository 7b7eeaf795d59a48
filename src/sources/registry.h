/* registry.h - every request source, declared once: its name (the original tools' positional
 * type), the option that names it, whether it runs on AWS, and how it opens. The consumer's option
 * parsing and opening iterate this table; adding a source is its own file, one entry here, and
 * CMake. */
#ifndef WC_SOURCE_REGISTRY_H
#define WC_SOURCE_REGISTRY_H

#include "aws/client.h"
#include "sources/shard.h"
#include "sources/source.h"

/* Everything any source may need; each backend takes what it uses. */
typedef struct {
    wc_aws *aws;      /* NULL unless the backend runs on AWS */
    wc_clock *clock;  /* NULL: the system clock */
    wc_loop *loop;    /* the consumer's loop (a directory renews its claims from it); may be NULL */
    const char *name; /* the queue, bucket or directory */
    const char *prefix;
    const char *dead_letter_queue, *dead_letter_bucket, *dead_letter_prefix, *dead_letter_dir;
    size_t max_body;
    int wait_s, visibility_s;
    wc_shard shard;
    uint64_t claim_lease_ms; /* directory: how long a claim lives unrenewed (0: 60 s) */
    int classic_order;       /* requests applied as delivered: delivery order matters */
    int sqs_envelope;        /* SQS: wc_sns_envelope_mode (sources/sns_envelope.h) */
    /* SQS: what a message is: requests, s3-events or auto (NULL: requests) */
    const char *sqs_messages;
} wc_source_params;

typedef struct {
    const char *type;         /* "sqs", "s3", "dir" */
    const char *option;       /* the long option naming it: "request-queue" */
    const char *short_option; /* "rq", or NULL */
    int on_aws;
    int shardable; /* --shard applies */
    wc_result (*open)(const wc_source_params *params, wc_source *out, wc_error *err);
} wc_source_backend;

/* The table, ended by an entry whose type is NULL. */
extern const wc_source_backend wc_source_backends[];

/* The backend of a positional type ("sqs"), or NULL. */
const wc_source_backend *wc_source_backend_of(const char *type);

#endif
