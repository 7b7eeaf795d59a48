/* widget-consumer: takes Widget Requests from a source, applies them to a widget store, and
 * removes them from the source. See README.md and --help. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <unistd.h>

#include "aws/client.h"
#include "common/log.h"
#include "common/version.h"
#include "consumer/consumer_config.h"
#include "consumer/metrics_http.h"

static volatile sig_atomic_t stop_requested;
static wc_loop *the_loop;

static void on_signal(int sig)
{
    if (stop_requested)
        _exit(128 + sig); /* a second signal: at once */
    stop_requested = 1;
    if (the_loop)
        wc_loop_wake(the_loop);
}

static void abandon_calls(void *aws)
{
    wc_aws_abandon(aws);
}

/* STS refused the credentials for good: no use going on (nor retrying it as an outage for
 * ever). The consumer stops as on a signal (what is in flight ends, the rest is handed back),
 * then exits 1 with STS's words. */
static wc_error refusal;
static int refused;

static void on_refused(void *ctx, const wc_error *err)
{
    refusal = *err;
    refused = 1;
    stop_requested = 1;
    if (the_loop)
        wc_loop_wake(the_loop);
}

/* For /metrics: the AWS client's calls as they end, and its totals before each answer. */
static void on_aws_call(void *m, const wc_aws_call_report *r)
{
    wc_metrics_aws_call(m, r->service, r->operation, r->status, r->retry, r->ms);
}

static void collect_aws(void *aws, wc_metrics *m)
{
    if (aws) {
        wc_metrics_aws_totals totals = {wc_aws_credential_fetches(aws),
                                        wc_aws_connections_opened(aws),
                                        wc_aws_get_stats(aws)->tls_refusals};
        wc_metrics_set_aws_totals(m, &totals);
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a signal cuts the poll wait short */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
    wc_consumer_config config;
    wc_error err;
    wc_result result = wc_consumer_config_parse(&config, argc, argv, &err);
    if (result != WC_OK) {
        fprintf(stderr, "widget-consumer: %s\n", err.msg);
        return 2;
    }
    if (config.help) {
        wc_consumer_usage(stdout);
        return 0;
    }
    if (config.version) {
        printf("widget-consumer %s\n", WC_VERSION);
        return 0;
    }
    wc_log_level level;
    if (wc_log_level_parse(config.log_level, &level, &err) != WC_OK) {
        fprintf(stderr, "widget-consumer: --log-level: %s\n", err.msg);
        return 2;
    }
    wc_log_format format;
    if (wc_log_format_parse(config.log_format, &format, &err) != WC_OK) {
        fprintf(stderr, "widget-consumer: --log-format: %s\n", err.msg);
        return 2;
    }
    wc_log_set_format(format);
    wc_log_to_stderr(!config.quiet);
    if (wc_log_open(level, config.log_file, &err) != WC_OK) {
        fprintf(stderr, "widget-consumer: %s\n", err.msg);
        return 1;
    }
    /* The one loop: every call of the source and store runs on it. */
    wc_loop *loop = wc_loop_new(NULL);
    if (!loop) {
        fprintf(stderr, "widget-consumer: out of memory\n");
        return 1;
    }
    the_loop = loop;
    install_signals();

    /* The metrics server answers from the start (/readyz: 503 until the source and store open). */
    wc_metrics *metrics = NULL;
    wc_metrics_http *server = NULL;
    /* Nothing is open until wc_consumer_open, which leaves nothing open when it fails. */
    wc_consumer_parts parts;
    memset(&parts, 0, sizeof(parts));
    result = WC_ERR_IO; /* until the run */
    if (config.metrics_addr) {
        metrics = wc_metrics_new();
        server = metrics ? wc_metrics_http_new(config.metrics_addr, loop, metrics, &err) : NULL;
        if (!server) {
            if (!metrics)
                wc_error_set(&err, WC_ERR_NOMEM, "out of memory");
            goto failed;
        }
        wc_info("metrics: http://%s/metrics, /healthz, /readyz (port %u)", config.metrics_addr,
                wc_metrics_http_port(server));
    }
    if (wc_consumer_open(&config, loop, &parts, &err) != WC_OK)
        goto failed;
    wc_info("consumer started: source=%s store=%s", parts.source.ops->kind, parts.store.ops->kind);

    wc_poller_config pc = wc_consumer_poller_config(&config);
    if (parts.aws) {
        pc.abandon = abandon_calls;
        pc.abandon_ctx = parts.aws;
        wc_aws_on_refused(parts.aws, on_refused, NULL);
    }
    if (metrics) {
        pc.metrics = metrics;
        wc_metrics_opened(metrics);
        wc_metrics_http_collect(server, collect_aws, parts.aws);
        if (parts.aws)
            wc_aws_observe(parts.aws, on_aws_call, metrics);
    }
    wc_poller_stats stats = {0};
    uint64_t t0 = wc_monotonic_ns();
    result = wc_poller_run(&pc, &parts.source, &parts.store, loop, &stop_requested, &stats, &err);
    double secs = (double)(wc_monotonic_ns() - t0) / 1e9;
    uint64_t handled =
        stats.applied + stats.superseded + stats.already + stats.warnings + stats.dead_lettered;
    if (parts.aws) { /* before the last line, which says how the consumer stopped */
        const wc_aws_stats *calls = wc_aws_get_stats(parts.aws);
        wc_info("aws calls: %llu sent, %llu of them retries (throttling, 5xx, network errors), "
                "%llu connections opened",
                calls->sent, calls->retries, wc_aws_connections_opened(parts.aws));
        if (calls->tls_refusals)
            wc_errorlog("aws calls: %llu refused by TLS verification (the endpoint's certificate)",
                        calls->tls_refusals);
    }
    if (refused) {
        result = WC_ERR_REJECTED;
        wc_errorlog("consumer stopped: the AWS credentials were refused: %s", refusal.msg);
    } else if (result != WC_OK)
        wc_errorlog("consumer stopped: %s", err.msg);
    else
        wc_info("consumer stopped by %s: %llu applied, %llu superseded, %llu already applied, "
                "%llu warnings, %llu dead-lettered, "
                "%llu deferred (%llu offered again early), %llu failed, %llu handed back, "
                "%llu left to the redrive policy, "
                "ties broken arbitrarily: %llu, in %.3f s (%.0f requests/s while busy)",
                stats.stopped_by, (unsigned long long)stats.applied,
                (unsigned long long)stats.superseded, (unsigned long long)stats.already,
                (unsigned long long)stats.warnings, (unsigned long long)stats.dead_lettered,
                (unsigned long long)stats.deferred, (unsigned long long)stats.hurried,
                (unsigned long long)stats.failed, (unsigned long long)stats.released,
                (unsigned long long)stats.redriven, (unsigned long long)stats.ties, secs,
                stats.busy_ns ? (double)handled / ((double)stats.busy_ns / 1e9) : 0.0);
    goto done;
failed:
    wc_errorlog("%s", err.msg);
    if (config.quiet)
        fprintf(stderr, "widget-consumer: %s\n", err.msg);
done:
    wc_metrics_http_free(server);
    wc_consumer_close(&parts);
    wc_metrics_free(metrics);
    the_loop = NULL;
    wc_loop_free(loop);
    wc_log_close();
    return result == WC_OK ? 0 : 1;
}
