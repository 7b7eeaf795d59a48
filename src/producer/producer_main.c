/* widget-producer: writes a realistic stream of Widget Requests into a request directory (one
 * file per request, named by 13-digit epoch milliseconds), and the expected final state. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/s3.h"
#include "aws/sns.h"
#include "aws/sqs.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "producer/generator.h"
#include "producer/notify.h"
#include "producer/tool.h"

typedef struct {
    const char *request_dir, *request_bucket, *request_queue, *request_prefix, *expected, *seed;
    const char *topic; /* an SNS topic's ARN */
    const char *profile, *region, *endpoint_url;
    const char *swapped_file, *request_log, *pattern, *notify;
    uint64_t max_requests, delay_ms, disorder, batch, notify_records;
    int quiet, help, reverse, version, realistic, no_sequence;
} producer_config;

#define OFF(f) offsetof(producer_config, f)

/* clang-format off */
static const wc_option producer_options[] = {
    WC_STR_OPT("request-dir", NULL, "DIR", NULL, OFF(request_dir), "write requests as files into DIR (created when missing)"),
    WC_STR_OPT("request-bucket", "rb", "BUCKET", NULL, OFF(request_bucket), "write requests to an S3 bucket"),
    WC_STR_OPT("request-queue", "rq", "QUEUE", NULL, OFF(request_queue), "write requests to an SQS queue"),
    WC_STR_OPT("topic", NULL, "ARN", NULL, OFF(topic), "publish requests to an SNS topic (its subscribed queues are the consumers' -rq; a topic whose name ends in .fifo gets MessageGroupId = widgetId)"),
    WC_STR_OPT("request-prefix", NULL, "PREFIX", "", OFF(request_prefix), "key prefix of requests in the request bucket"),
    WC_TOOL_AWS_OPTIONS(producer_config),
    WC_UINT_OPT("max-widget-requests", "mwr", "N", "100", OFF(max_requests), "how many requests to write"),
    WC_UINT_OPT("delay", "d", "MS", "0", OFF(delay_ms), "wait between two requests"),
    WC_STR_OPT("seed", NULL, "N", NULL, OFF(seed), "seed of the random stream: the same seed gives the same requests (default: the time)"),
    WC_STR_OPT("expected", NULL, "FILE", NULL, OFF(expected), "write the expected final state (the widgets that should exist) to FILE"),
    WC_UINT_OPT("disorder", NULL, "WINDOW", "0", OFF(disorder), "deliver requests out of order within windows of WINDOW requests, as a distributed queue does (the expected state stays that of the order produced)"),
    WC_FLAG_OPT("reverse", NULL, OFF(reverse), "with --disorder: deliver each window in reverse order instead of shuffled (--disorder N --reverse with N the request count: everything backwards)"),
    WC_STR_OPT("swapped", NULL, "FILE", NULL, OFF(swapped_file), "with --disorder: write the ids of widgets whose updates were swapped to FILE"),
    WC_STR_OPT("request-log", NULL, "FILE", NULL, OFF(request_log), "also write every request, one JSON a line in the order delivered, to FILE"),
    WC_FLAG_OPT("realistic", NULL, OFF(realistic), "realistic data, as real producers send it: no \"sequence\" message attribute (the consumer's place is SentTimestamp + MessageId), 10-40 attributes a create with long, non-ASCII, punctuated names and values from empty to hundreds of characters, updates that set, clear and set again, widget ids of every shape the consumer accepts"),
    WC_FLAG_OPT("no-sequence", NULL, OFF(no_sequence), "send no \"sequence\" message attribute on a queue (as --realistic)"),
    WC_UINT_OPT("batch", NULL, "N", "1", OFF(batch), "on a queue, send N messages (up to 10) per SendMessageBatch call (SQS stamps them with one SentTimestamp); 1: one SendMessage each"),
    WC_STR_OPT("pattern", NULL, "NAME", NULL, OFF(pattern), "instead of the usual mix, groups that go in one batch each (needs --batch of the group's size or more): create-update (a create and an update of its widget) or create-update-delete"),
    WC_STR_OPT("notify", NULL, "QUEUE", NULL, OFF(notify), "with -rb: after each PUT, send QUEUE the S3 event notification S3 would (eventVersion 2.1, first an s3:TestEvent); keys are then PREFIX + the request's place, in production order"),
    WC_UINT_OPT("notify-records", NULL, "N", "1", OFF(notify_records), "with --notify: records per notification message (1 to 100)"),
    WC_FLAG_OPT("quiet", "q", OFF(quiet), "no summary line"),
    WC_OPTIONS_VERSION_HELP_END(producer_config),
};
/* clang-format on */

static const wc_tool producer_tool = {
    "widget-producer",
    "Usage: widget-producer --request-dir DIR | -rb BUCKET | -rq QUEUE | --topic ARN [options]\n"
    "Writes Widget Requests: about 86% create, 10% update, 4% delete.\n",
    producer_options, "WIDGET_PRODUCER_"};

#define N_UPDATES 64 /* the last updates remembered (target.updates) */

/* Where requests go: a directory, a bucket or a queue. */
typedef struct {
    const char *dir;
    wc_aws *aws;
    wc_s3_bucket bucket;
    const char *prefix;
    char *queue_url;
    const char *topic; /* an SNS topic's ARN (Publish), or NULL */
    int fifo, send_sequence;
    uint64_t last_key;
    /* --batch: messages waiting for their SendMessageBatch (each field owned) */
    size_t batch, n_pending, pending_bytes;
    char *pending[WC_SQS_BATCH_MAX][4]; /* body, group id, dedup id, sequence */
    uint64_t batches;                   /* SendMessageBatch calls made */
    /* Without a sequence attribute the consumer orders by SentTimestamp (ms) first, and two
     * updates of one widget in one millisecond would have no right order: the last updates sent,
     * with the time after their call (0: in the batch under way), to keep them apart. */
    struct {
        char *widget_id;
        uint64_t ms;
    } updates[N_UPDATES];
    size_t next_update;
    wc_notifier *notifier; /* --notify */
} target;

/* What a message counts toward SendMessageBatch's size limit (body and attributes). */
static size_t message_bytes(const char *json, const char *sequence)
{
    return strlen(json) + (sequence ? strlen(sequence) + 32 : 0);
}

/* Sends the messages waiting, in one SendMessageBatch. */
static int flush_batch(target *t, wc_error *err)
{
    wc_sqs_entry e[WC_SQS_BATCH_MAX];
    for (size_t i = 0; i < t->n_pending; i++)
        e[i] =
            (wc_sqs_entry){t->pending[i][0], t->pending[i][1], t->pending[i][2], t->pending[i][3]};
    wc_aws_error aerr;
    size_t failed = 0;
    int status = 0;
    if (t->n_pending > 0) {
        status =
            wc_sqs_send_batch(t->aws, t->queue_url, e, t->n_pending, &failed, &aerr, err) == WC_OK
                ? 0
                : -1;
        t->batches++;
        uint64_t now = wc_epoch_ms();
        for (size_t i = 0; i < N_UPDATES; i++)
            if (t->updates[i].widget_id && t->updates[i].ms == 0)
                t->updates[i].ms = now;
    }
    for (size_t i = 0; i < t->n_pending; i++)
        for (int k = 0; k < 4; k++)
            free(t->pending[i][k]);
    t->n_pending = 0;
    t->pending_bytes = 0;
    return status;
}

/* Makes room for n messages of bytes in all in the batch under way: sends it first when they
 * would not fit, so that a group always goes in one call. */
static int batch_room(target *t, size_t n, size_t bytes, wc_error *err)
{
    if (t->n_pending + n > t->batch || t->pending_bytes + bytes > WC_SQS_BATCH_MAX_BYTES)
        return flush_batch(t, err);
    return 0;
}

/* Whether r is an update whose SentTimestamp alone orders it (see target.updates). */
static int stamped_update(const target *t, const wc_request *r)
{
    return !t->send_sequence && (t->queue_url || t->topic) && r->type == WC_REQ_UPDATE;
}

/* Waits, if need be, so that this update of a widget is not stamped in the millisecond of the
 * last one (a batch holding one is sent first). */
static int keep_updates_apart(target *t, const wc_request *r, wc_error *err)
{
    if (!stamped_update(t, r))
        return 0;
    for (size_t i = 0; i < N_UPDATES; i++) {
        if (!t->updates[i].widget_id || strcmp(t->updates[i].widget_id, r->widget_id) != 0)
            continue;
        if (t->updates[i].ms == 0 && flush_batch(t, err) != 0)
            return -1;
        while (wc_epoch_ms() <= t->updates[i].ms + 1) /* its stamp is at most that */
            wc_clock_system()->sleep_ms(wc_clock_system(), 1);
    }
    return 0;
}

static void sent_update(target *t, const wc_request *r, uint64_t ms)
{
    if (!stamped_update(t, r))
        return;
    size_t k = t->next_update++ % N_UPDATES;
    free(t->updates[k].widget_id);
    t->updates[k].widget_id = strdup(r->widget_id); /* NULL: forgotten, no harm */
    t->updates[k].ms = ms;
}

static char *dup_or_null(const char *s, int *ok)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        *ok = 0;
    return copy;
}

/* Adds a message to the batch under way (sent when full). */
static int batch_add(target *t, const wc_request *r, const char *json, wc_error *err)
{
    const char *sequence = t->send_sequence ? r->place : NULL;
    size_t bytes = message_bytes(json, sequence);
    if (batch_room(t, 1, bytes, err) != 0)
        return -1;
    int ok = 1;
    char **slot = t->pending[t->n_pending];
    slot[0] = dup_or_null(json, &ok);
    slot[1] = dup_or_null(t->fifo ? r->widget_id : NULL, &ok);
    slot[2] = dup_or_null(t->fifo ? r->request_id : NULL, &ok);
    slot[3] = dup_or_null(sequence, &ok);
    t->n_pending++;
    t->pending_bytes += bytes;
    if (!ok) {
        wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        return -1;
    }
    return t->n_pending == t->batch ? flush_batch(t, err) : 0;
}

/* The next request key: 13-digit epoch milliseconds, unique and increasing even when many are
 * made in one millisecond (then it runs a little ahead of the clock). */
static uint64_t next_key(target *t)
{
    uint64_t key = wc_epoch_ms();
    if (key <= t->last_key)
        key = t->last_key + 1;
    t->last_key = key;
    return key;
}

/* Writes one request as DIR/KEY, KEY being 13-digit epoch ms, unique and increasing: the file
 * appears whole (wc_write_file_new), and a name already taken moves the key on. */
static wc_result write_file_request(target *t, const char *json, wc_error *err)
{
    char path[4096];
    wc_result result;
    do {
        snprintf(path, sizeof(path), "%s/%013llu", t->dir, (unsigned long long)next_key(t));
        result = wc_write_file_new(path, json, strlen(json), 0, err);
    } while (result == WC_ERR_CONFLICT);
    return result;
}

static int write_request(target *t, const wc_request *r, const char *json, wc_error *err)
{
    wc_aws_error aerr;
    if (t->dir)
        return write_file_request(t, json, err) == WC_OK ? 0 : -1;
    if (keep_updates_apart(t, r, err) != 0)
        return -1;
    if (t->topic) {
        wc_error e;
        wc_result result = wc_sns_publish(t->aws, t->topic, json, t->fifo ? r->widget_id : NULL,
                                          t->fifo ? r->request_id : NULL,
                                          t->send_sequence ? r->place : NULL, &aerr, &e);
        sent_update(t, r, wc_epoch_ms());
        if (result != WC_OK)
            wc_aws_resource_error(err, result, "topic", t->topic, &aerr, &e);
        return result == WC_OK ? 0 : -1;
    }
    if (t->queue_url && t->batch > 1) {
        int status = batch_add(t, r, json, err);
        sent_update(t, r, t->n_pending ? 0 : wc_epoch_ms()); /* 0: in the batch under way */
        return status;
    }
    if (t->queue_url) {
        int status = wc_sqs_send(t->aws, t->queue_url, json, t->fifo ? r->widget_id : NULL,
                                 t->fifo ? r->request_id : NULL, NULL,
                                 t->send_sequence ? r->place : NULL, &aerr, err) == WC_OK
                         ? 0
                         : -1;
        sent_update(t, r, wc_epoch_ms());
        return status;
    }
    char key[256];
    /* With notifications the key is the place: production order, whatever order they go in. */
    if (t->notifier)
        snprintf(key, sizeof(key), "%s%s", t->prefix, r->place);
    else
        snprintf(key, sizeof(key), "%s%013llu", t->prefix, (unsigned long long)next_key(t));
    if (wc_s3_put(&t->bucket, key, json, strlen(json), "application/json", NULL, 0, &aerr, err) !=
        WC_OK)
        return -1;
    return t->notifier && wc_notifier_add(t->notifier, key, json, strlen(json), err) != WC_OK ? -1
                                                                                              : 0;
}

static wc_result open_target(const producer_config *c, target *t, wc_error *err)
{
    memset(t, 0, sizeof(*t));
    t->batch = c->batch;
    t->send_sequence = !c->realistic && !c->no_sequence;
    if (c->request_dir) {
        t->dir = c->request_dir;
        return wc_mkdirs(c->request_dir, err);
    }
    wc_aws_config ac = {
        .region = c->region, .profile = c->profile, .endpoint_url = c->endpoint_url};
    t->aws = wc_aws_new(&ac, err);
    if (!t->aws)
        return WC_ERR_INVALID;
    wc_aws_error aerr;
    wc_error e;
    const char *queue = c->topic ? c->topic : c->request_queue;
    size_t len = queue ? strlen(queue) : 0;
    t->fifo = len > 5 && strcmp(queue + len - 5, ".fifo") == 0;
    if (c->topic) { /* a missing topic: the first Publish says so */
        t->topic = c->topic;
        return WC_OK;
    }
    if (c->request_queue) {
        wc_result result = wc_sqs_queue_url(t->aws, c->request_queue, &t->queue_url, &aerr, &e);
        return result == WC_OK ? WC_OK
                               : wc_aws_resource_error(err, result, "request queue",
                                                       c->request_queue, &aerr, &e);
    }
    t->prefix = c->request_prefix;
    wc_result result = wc_s3_bucket_init(&t->bucket, t->aws, c->request_bucket, err);
    wc_s3_listing l;
    if (result == WC_OK &&
        (result = wc_s3_list(&t->bucket, NULL, "/", NULL, NULL, 1, &l, &aerr, &e)) != WC_OK)
        return wc_aws_resource_error(err, result, "request bucket", c->request_bucket, &aerr, &e);
    if (result == WC_OK)
        wc_s3_listing_cleanup(&l);
    if (result == WC_OK && c->notify &&
        !(t->notifier = wc_notifier_new(t->aws, c->notify, c->request_bucket, c->region,
                                        (size_t)c->notify_records, err)))
        result = WC_ERR_INVALID;
    return result;
}

static void close_target(target *t)
{
    for (size_t i = 0; i < t->n_pending; i++) /* not sent: a failure came first */
        for (int k = 0; k < 4; k++)
            free(t->pending[i][k]);
    for (size_t i = 0; i < N_UPDATES; i++)
        free(t->updates[i].widget_id);
    free(t->queue_url);
    wc_notifier_free(t->notifier);
    wc_s3_bucket_cleanup(&t->bucket);
    wc_aws_free(t->aws);
}

/* Requests produced, waiting to be written in a shuffled order (--disorder). */
typedef struct {
    wc_request *req;
    char *json;
    uint64_t seq;
} produced;

/* Writes a window of requests in a shuffled order; counts the updates of one widget whose order
 * the shuffle swapped, and writes those widgets' ids to swapped (when not NULL). A group
 * (--pattern) is written as it is, in one batch. */
static int write_window(target *t, wc_generator *g, produced *w, size_t n, int reverse, int group,
                        FILE *swapped, FILE *request_log, uint64_t *n_swapped, wc_error *err)
{
    int status = 0;
    if (group) {
        size_t bytes = 0;
        for (size_t i = 0; i < n; i++)
            bytes += message_bytes(w[i].json, t->send_sequence ? w[i].req->place : NULL);
        if (t->batch > 1 && t->queue_url && batch_room(t, n, bytes, err) != 0)
            status = -1; /* nothing written; all freed below */
        reverse = 0;
        n_swapped = NULL;
    }
    for (size_t i = 0; reverse && i < n / 2; i++) {
        produced tmp = w[i];
        w[i] = w[n - 1 - i];
        w[n - 1 - i] = tmp;
    }
    for (size_t i = n; !group && !reverse && i > 1; i--) { /* Fisher-Yates, the generator's */
        size_t j = (size_t)wc_generator_random(g, i);
        produced tmp = w[i - 1];
        w[i - 1] = w[j];
        w[j] = tmp;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (n_swapped && w[i].req->type == WC_REQ_UPDATE && w[j].req->type == WC_REQ_UPDATE &&
                w[i].seq > w[j].seq && strcmp(w[i].req->widget_id, w[j].req->widget_id) == 0) {
                (*n_swapped)++;
                if (swapped)
                    fprintf(swapped, "%s\n", w[i].req->widget_id);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (status == 0 && write_request(t, w[i].req, w[i].json, err) != 0)
            status = -1;
        if (status == 0 && request_log)
            fprintf(request_log, "%s\n", w[i].json);
        free(w[i].json);
        wc_request_free(w[i].req);
    }
    return status;
}

int main(int argc, char **argv)
{
    producer_config c;
    memset(&c, 0, sizeof(c));
    int started = wc_tool_start(&producer_tool, &c, argc, argv);
    if (started >= 0)
        return started;
    wc_error err;
    if (!!c.request_dir + !!c.request_bucket + !!c.request_queue + !!c.topic != 1) {
        fprintf(stderr,
                "widget-producer: name exactly one target: --request-dir, -rb, -rq or --topic\n");
        return 2;
    }
    if ((c.notify && !c.request_bucket) || c.notify_records < 1 || c.notify_records > 100) {
        fprintf(stderr, "widget-producer: --notify goes with -rb, and --notify-records is 1 to "
                        "100\n");
        return 2;
    }
    /* --pattern: its group's size and types, in order */
    static const struct {
        const char *name;
        size_t group;
        wc_request_type types[3];
    } patterns[] = {
        {"create-update", 2, {WC_REQ_CREATE, WC_REQ_UPDATE}},
        {"create-update-delete", 3, {WC_REQ_CREATE, WC_REQ_UPDATE, WC_REQ_DELETE}},
    };
    size_t group = 0, pattern = 0;
    for (size_t k = 0; c.pattern && k < 2; k++)
        if (strcmp(c.pattern, patterns[k].name) == 0)
            group = patterns[pattern = k].group;
    if (c.pattern && !group) {
        fprintf(stderr,
                "widget-producer: --pattern is create-update or create-update-delete, "
                "not \"%s\"\n",
                c.pattern);
        return 2;
    }
    if (c.batch < 1 || c.batch > WC_SQS_BATCH_MAX || (c.batch > 1 && !c.request_queue)) {
        fprintf(stderr,
                "widget-producer: --batch is 1 to %d, and more than 1 only on a queue (-rq)\n",
                WC_SQS_BATCH_MAX);
        return 2;
    }
    if (group && (c.batch < group || c.disorder > 1)) {
        fprintf(stderr,
                "widget-producer: --pattern %s needs --batch %zu or more, and no "
                "--disorder (its groups go in one batch each, in order)\n",
                c.pattern, group);
        return 2;
    }
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (c.seed && wc_parse_uint(c.seed, &seed) != WC_OK) {
        fprintf(stderr, "widget-producer: --seed: \"%s\" is not a whole number\n", c.seed);
        return 2;
    }
    target t;
    if (open_target(&c, &t, &err) != WC_OK) {
        fprintf(stderr, "widget-producer: %s\n", err.msg);
        close_target(&t);
        return 1;
    }
    wc_generator *g = wc_generator_new(seed);
    if (g && c.realistic && !wc_generator_set_realistic(g)) {
        wc_generator_free(g);
        g = NULL;
    }
    if (!g) {
        fprintf(stderr, "widget-producer: out of memory\n");
        close_target(&t);
        return 1;
    }
    const char *where = c.request_dir     ? c.request_dir
                        : c.request_queue ? c.request_queue
                        : c.topic         ? c.topic
                                          : c.request_bucket;
    uint64_t counts[3] = {0, 0, 0}, t0 = wc_monotonic_ns(), n_swapped = 0, last_ms = 0;
    int status = 0;
    size_t window = group ? group : c.disorder > 1 ? (size_t)c.disorder : 1, held = 0;
    produced *buf = calloc(window, sizeof(*buf));
    FILE *swapped = c.swapped_file ? fopen(c.swapped_file, "w") : NULL;
    FILE *request_log = c.request_log ? fopen(c.request_log, "w") : NULL;
    if (!buf || (c.swapped_file && !swapped) || (c.request_log && !request_log)) {
        fprintf(stderr, "widget-producer: %s\n",
                buf ? "cannot write the --swapped or --request-log file" : "out of memory");
        status = 1;
    }
    for (uint64_t i = 0; status == 0 && i < c.max_requests; i++) {
        /* With --pattern, each group is a create, then requests of its widget. */
        wc_request *r = !group      ? wc_generator_next(g)
                        : held == 0 ? wc_generator_next_of(g, WC_REQ_CREATE, NULL)
                                    : wc_generator_next_of(g, patterns[pattern].types[held],
                                                           buf[0].req->widget_id);
        char *json = r ? wc_request_to_json(r) : NULL;
        /* Its place in production order, sent with it on a queue (core/ledger.h); in a bucket
         * or a directory the key is the place. */
        char place[40];
        uint64_t ms = wc_epoch_ms();
        last_ms = ms > last_ms ? ms : last_ms; /* never backwards, whatever the clock does */
        snprintf(place, sizeof(place), "%013llu-%010llu", (unsigned long long)last_ms,
                 (unsigned long long)i);
        if (!json || !(r->place = strdup(place))) {
            fprintf(stderr, "widget-producer: out of memory\n");
            free(json);
            wc_request_free(r);
            status = 1;
            break;
        }
        counts[r->type]++;
        buf[held++] = (produced){r, json, i};
        if (held == window || i + 1 == c.max_requests) {
            if (write_window(&t, g, buf, held, c.reverse, group > 0, swapped, request_log,
                             &n_swapped, &err) != 0) {
                fprintf(stderr, "widget-producer: writing to %s: %s\n", where, err.msg);
                status = 1;
            }
            held = 0;
        }
        if (c.delay_ms)
            wc_clock_system()->sleep_ms(wc_clock_system(), c.delay_ms);
    }
    if (status == 0 && t.notifier && wc_notifier_flush(t.notifier, &err) != WC_OK) {
        fprintf(stderr, "widget-producer: %s\n", err.msg);
        status = 1;
    }
    if (status == 0 && t.n_pending > 0 && flush_batch(&t, &err) != 0) {
        fprintf(stderr, "widget-producer: writing to %s: %s\n", where, err.msg);
        status = 1;
    }
    for (size_t i = 0; i < held; i++) {
        free(buf[i].json);
        wc_request_free(buf[i].req);
    }
    free(buf);
    if (swapped)
        fclose(swapped);
    if (request_log)
        fclose(request_log);
    if (status == 0 && c.expected &&
        wc_widget_map_save(wc_generator_expected(g), c.expected, &err) != WC_OK) {
        fprintf(stderr, "widget-producer: %s\n", err.msg);
        status = 1;
    }
    if (status == 0 && !c.quiet)
        printf("produced %llu requests (%llu create, %llu update, %llu delete; seed %llu) into %s "
               "in %.3f s; %zu widgets expected; %llu updates swapped; %llu batches\n",
               (unsigned long long)(counts[0] + counts[1] + counts[2]),
               (unsigned long long)counts[0], (unsigned long long)counts[1],
               (unsigned long long)counts[2], (unsigned long long)seed, where,
               (double)(wc_monotonic_ns() - t0) / 1e9, wc_widget_map_size(wc_generator_expected(g)),
               (unsigned long long)n_swapped, (unsigned long long)t.batches);
    wc_generator_free(g);
    close_target(&t);
    return status;
}
