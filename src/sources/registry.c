#include "sources/registry.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sources/dir_source.h"
#include "sources/s3_events_source.h"
#include "sources/s3_source.h"
#include "sources/sqs_source.h"

static wc_result open_sqs(const wc_source_params *p, wc_source *out, wc_error *err)
{
    wc_sqs_source_config c = {p->aws,    p->name,          p->dead_letter_queue,
                              p->wait_s, p->visibility_s,  p->max_body,
                              p->clock,  p->classic_order, p->sqs_envelope};
    wc_result result = wc_sqs_source_open(&c, out, err);
    const char *mode = p->sqs_messages ? p->sqs_messages : "requests";
    if (result != WC_OK || strcmp(mode, "requests") == 0)
        return result;
    /* S3 event notifications (s3_events_source.h): the SQS source wrapped */
    wc_s3_events_source_config ec = {p->aws, strcmp(mode, "s3-events") == 0, p->dead_letter_bucket,
                                     p->dead_letter_prefix, p->max_body};
    wc_source inner = *out;
    return wc_s3_events_source_wrap(&ec, &inner, out, err);
}

static wc_result open_s3(const wc_source_params *p, wc_source *out, wc_error *err)
{
    wc_s3_source_config c = {p->aws,
                             p->name,
                             p->prefix,
                             p->dead_letter_bucket,
                             p->dead_letter_prefix,
                             p->max_body,
                             100,
                             p->clock,
                             p->shard,
                             0 /* look_ahead_bytes: 1 MiB */};
    return wc_s3_source_open(&c, out, err);
}

/* Dead letters of a directory go to DIR.dead-letter unless told otherwise. */
static wc_result open_dir(const wc_source_params *p, wc_source *out, wc_error *err)
{
    wc_buf fallback;
    wc_buf_init(&fallback, SIZE_MAX);
    const char *dead = p->dead_letter_dir;
    if (!dead) {
        size_t len = strlen(p->name);
        while (len > 1 && p->name[len - 1] == '/')
            len--;
        if (wc_buf_printf(&fallback, "%.*s.dead-letter", (int)len, p->name) != WC_OK)
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        dead = fallback.s;
    }
    wc_dir_source_config c = {.dir = p->name,
                              .dead_letter_dir = dead,
                              .max_body = p->max_body,
                              .clock = p->clock ? p->clock : wc_clock_system(),
                              .shard = p->shard,
                              .claim_lease_ms = p->claim_lease_ms,
                              .loop = p->loop};
    wc_result result = wc_dir_source_open(&c, out, err);
    wc_buf_free(&fallback);
    return result;
}

const wc_source_backend wc_source_backends[] = {
    {"dir", "request-dir", NULL, 0, 1, open_dir},
    {"s3", "request-bucket", "rb", 1, 1, open_s3},
    {"sqs", "request-queue", "rq", 1, 0, open_sqs},
    {NULL, NULL, NULL, 0, 0, NULL},
};

const wc_source_backend *wc_source_backend_of(const char *type)
{
    for (const wc_source_backend *b = wc_source_backends; b->type; b++)
        if (strcmp(b->type, type) == 0)
            return b;
    return NULL;
}
