#include "consumer/poller.h"

#include <stdio.h>

#include "common/log.h"
#include "consumer/processor.h"
#include "core/request.h"

uint64_t wc_retry_delay_ms(uint64_t base_ms, unsigned attempts)
{
    uint64_t cap = base_ms * 20;
    uint64_t delay = base_ms;
    for (unsigned i = 0; i < attempts && delay < cap; i++)
        delay *= 2;
    return delay < cap ? delay : cap;
}

static double ms_since(uint64_t start_ns)
{
    return (double)(wc_monotonic_ns() - start_ns) / 1e6;
}

/* Moves a request to the dead-letter location; on failure hands it back (counted as failed). */
static void dead_letter(wc_source *source, wc_message *msg, const char *reason,
                        wc_poller_stats *stats, int *done)
{
    wc_error err;
    if (source->ops->dead_letter(source->self, msg, reason, &err) == WC_OK) {
        *done = 1;
        return;
    }
    wc_errorlog("request=%s outcome=failed error=\"%s\"", msg->key, err.msg);
    stats->failed++;
}

/* Handles one message to its outcome. Sets *done when the request left the source. */
static void handle(const wc_poller_config *config, wc_source *source, wc_store *store,
                   wc_message *msg, wc_poller_stats *stats, int *done)
{
    uint64_t start = wc_monotonic_ns();
    wc_error err;
    wc_request *req = NULL;
    *done = 0;
    if (msg->too_large && msg->len_at_least) {
        wc_error_set(&err, WC_ERR_TOO_LARGE, "request %s: body is over the %zu-byte limit",
                     msg->key, config->max_body);
    } else if (msg->too_large) {
        wc_error_set(&err, WC_ERR_TOO_LARGE, "request %s: body is %zu bytes, over the %zu-byte limit",
                     msg->key, msg->len, config->max_body);
    } else {
        wc_request_parse(msg->key, msg->body, msg->len, &req, &err);
    }
    if (!req) {
        dead_letter(source, msg, err.msg, stats, done);
        if (*done) {
            stats->dead_lettered++;
            wc_errorlog("request=%s outcome=dead-lettered ms=%.3f reason=\"%s\"", msg->key,
                        ms_since(start), err.msg);
        }
        return;
    }

    const char *type = wc_request_type_name(req->type);
    wc_result result = wc_process(store, req, &err);
    if (result == WC_OK) {
        wc_error ack_err;
        if (source->ops->ack(source->self, msg, &ack_err) != WC_OK)
            wc_warn("request=%s applied but not removed from the source: %s", msg->key,
                    ack_err.msg);
        *done = 1;
        stats->applied++;
        wc_info("request=%s requestId=%s widgetId=%s type=%s outcome=applied ms=%.3f", msg->key,
                req->request_id, req->widget_id, type, ms_since(start));
    } else if (result == WC_ERR_NOT_FOUND && msg->attempts + 1 < config->max_attempts) {
        uint64_t delay = wc_retry_delay_ms(config->retry_delay_ms, msg->attempts);
        wc_error defer_err;
        if (source->ops->defer(source->self, msg, delay, &defer_err) != WC_OK)
            wc_errorlog("request=%s could not be deferred: %s", msg->key, defer_err.msg);
        stats->deferred++;
        wc_info("request=%s requestId=%s widgetId=%s type=%s outcome=deferred attempt=%u "
                "retry_ms=%llu ms=%.3f",
                msg->key, req->request_id, req->widget_id, type, msg->attempts + 1,
                (unsigned long long)delay, ms_since(start));
    } else if (result == WC_ERR_NOT_FOUND) {
        char reason[WC_ERROR_MAX + 64];
        snprintf(reason, sizeof(reason), "request %s: %s of widget %s: not found after %u attempts",
                 msg->key, type, req->widget_id, msg->attempts + 1);
        dead_letter(source, msg, reason, stats, done);
        if (*done) {
            stats->warnings++;
            wc_warn("request=%s requestId=%s widgetId=%s type=%s outcome=warning ms=%.3f "
                    "reason=\"widget not found after %u attempts; moved to dead letters\"",
                    msg->key, req->request_id, req->widget_id, type, ms_since(start),
                    msg->attempts + 1);
        }
    } else {
        wc_error release_err;
        if (source->ops->release(source->self, msg, &release_err) != WC_OK)
            wc_errorlog("request=%s could not be handed back: %s", msg->key, release_err.msg);
        stats->failed++;
        wc_errorlog("request=%s requestId=%s widgetId=%s type=%s outcome=failed ms=%.3f "
                    "error=\"%s\"",
                    msg->key, req->request_id, req->widget_id, type, ms_since(start), err.msg);
    }
    wc_request_free(req);
}

wc_result wc_poller_run(const wc_poller_config *config, wc_source *source, wc_store *store,
                        wc_clock *clock, volatile sig_atomic_t *stop, wc_poller_stats *stats,
                        wc_error *err)
{
    uint64_t start = clock->now_ms(clock);
    uint64_t empty_in_a_row = 0, finished = 0;
    for (;;) {
        if (stop && *stop) {
            stats->stopped_by = "signal";
            break;
        }
        if (config->max_requests && finished >= config->max_requests) {
            stats->stopped_by = "max requests";
            break;
        }
        if (config->max_runtime_ms && clock->now_ms(clock) - start >= config->max_runtime_ms) {
            stats->stopped_by = "max runtime";
            break;
        }
        wc_message msg;
        wc_result result = source->ops->receive(source->self, &msg, err);
        if (result == WC_OK) {
            empty_in_a_row = 0;
            uint64_t t0 = wc_monotonic_ns();
            int done = 0;
            uint64_t failed_before = stats->failed;
            handle(config, source, store, &msg, stats, &done);
            stats->busy_ns += wc_monotonic_ns() - t0;
            finished += (uint64_t)done;
            wc_message_cleanup(&msg);
            if (!done && failed_before != stats->failed && (!stop || !*stop))
                clock->sleep_ms(clock, config->poll_interval_ms); /* do not spin on a failure */
            continue;
        }
        if (result == WC_EMPTY) {
            stats->empty_polls++;
            if (config->max_empty_polls && ++empty_in_a_row >= config->max_empty_polls) {
                stats->stopped_by = "empty polls";
                break;
            }
        } else if (result != WC_WAIT) {
            return result;
        }
        if (!stop || !*stop)
            clock->sleep_ms(clock, config->poll_interval_ms);
    }
    return WC_OK;
}
