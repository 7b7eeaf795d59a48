/* Tests of the metrics (metrics.c: counting and the Prometheus text) and of their HTTP server
 * (metrics_http.c: /metrics, /healthz, /readyz on the loop, asked with libcurl). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/clock.h"

#include "consumer/metrics.h"
#include "consumer/metrics_http.h"
#include "testutil.h"

/* Whether text holds line as a whole line. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

#define ASSERT_LINE(text, line)                                                                    \
    do {                                                                                           \
        if (!has_line(text, line))                                                                 \
            fail_msg("no line \"%s\" in:\n%s", line, text);                                        \
    } while (0)

static void test_requests_are_counted_by_outcome_and_type(void **state)
{
    wc_metrics *m = wc_metrics_new();
    wc_metrics_request(m, "applied", "create", 0.4);
    wc_metrics_request(m, "applied", "create", 2.0);
    wc_metrics_request(m, "applied", "update", 20.0);
    wc_metrics_request(m, "deferred", "delete", 7000.0);
    wc_metrics_request(m, "dead-lettered", NULL, 1.0); /* a request that could not be read */
    wc_metrics_request(m, "warning", "update", 1.0);
    wc_metrics_request(m, "no-such-outcome", "create", 1.0); /* ignored */
    char *text = wc_metrics_render(m);
    assert_non_null(text);
    ASSERT_LINE(text, "# TYPE widget_consumer_requests_total counter");
    ASSERT_LINE(text, "widget_consumer_requests_total{outcome=\"applied\",type=\"create\"} 2");
    ASSERT_LINE(text, "widget_consumer_requests_total{outcome=\"applied\",type=\"update\"} 1");
    ASSERT_LINE(text, "widget_consumer_requests_total{outcome=\"applied\",type=\"delete\"} 0");
    ASSERT_LINE(text, "widget_consumer_requests_total{outcome=\"deferred\",type=\"delete\"} 1");
    ASSERT_LINE(text,
                "widget_consumer_requests_total{outcome=\"dead-lettered\",type=\"unknown\"} 1");
    ASSERT_LINE(text, "widget_consumer_dead_letters_total 2");
    /* The histogram is cumulative: 0.4 ms <= 1 ms, 2 ms <= 2.5 ms, 20 ms <= 25 ms. */
    ASSERT_LINE(text, "# TYPE widget_consumer_request_duration_seconds histogram");
    ASSERT_LINE(
        text,
        "widget_consumer_request_duration_seconds_bucket{outcome=\"applied\",le=\"0.001\"} 1");
    ASSERT_LINE(
        text,
        "widget_consumer_request_duration_seconds_bucket{outcome=\"applied\",le=\"0.0025\"} 2");
    ASSERT_LINE(
        text, "widget_consumer_request_duration_seconds_bucket{outcome=\"applied\",le=\"0.01\"} 2");
    ASSERT_LINE(
        text,
        "widget_consumer_request_duration_seconds_bucket{outcome=\"applied\",le=\"0.025\"} 3");
    ASSERT_LINE(
        text, "widget_consumer_request_duration_seconds_bucket{outcome=\"applied\",le=\"+Inf\"} 3");
    ASSERT_LINE(text, "widget_consumer_request_duration_seconds_count{outcome=\"applied\"} 3");
    ASSERT_LINE(text, "widget_consumer_request_duration_seconds_sum{outcome=\"applied\"} 0.022400");
    /* 7 s: in the 10 s bucket, not the 5 s one. */
    ASSERT_LINE(text,
                "widget_consumer_request_duration_seconds_bucket{outcome=\"deferred\",le=\"5\"} 0");
    ASSERT_LINE(
        text, "widget_consumer_request_duration_seconds_bucket{outcome=\"deferred\",le=\"10\"} 1");
    free(text);
    wc_metrics_free(m);
}

static void test_aws_calls_by_service_operation_and_status(void **state)
{
    wc_metrics *m = wc_metrics_new();
    wc_metrics_aws_call(m, "dynamodb", "PutItem", 200, 0, 3.0);
    wc_metrics_aws_call(m, "dynamodb", "PutItem", 503, 0, 3.0);
    wc_metrics_aws_call(m, "dynamodb", "PutItem", 200, 1, 3.0); /* the retry */
    wc_metrics_aws_call(m, "sqs", "ReceiveMessage", 0, 0, 20000.0);
    wc_metrics_aws_call(m, "s3", "GetObject", 404, 0, 1.0);
    wc_metrics_set_aws_totals(m, &(wc_metrics_aws_totals){.credential_fetches = 3,
                                                          .connections_opened = 7,
                                                          .tls_refusals = 2});
    char *text = wc_metrics_render(m);
    ASSERT_LINE(text, "widget_consumer_aws_calls_total{service=\"dynamodb\",operation=\"PutItem\","
                      "status=\"2xx\"} 2");
    ASSERT_LINE(text, "widget_consumer_aws_calls_total{service=\"dynamodb\",operation=\"PutItem\","
                      "status=\"5xx\"} 1");
    ASSERT_LINE(text,
                "widget_consumer_aws_calls_total{service=\"sqs\",operation=\"ReceiveMessage\","
                "status=\"network\"} 1");
    ASSERT_LINE(text, "widget_consumer_aws_calls_total{service=\"s3\",operation=\"GetObject\","
                      "status=\"4xx\"} 1");
    assert_null(strstr(text, "status=\"3xx\"")); /* none happened: no line */
    ASSERT_LINE(text,
                "widget_consumer_aws_retries_total{service=\"dynamodb\",operation=\"PutItem\"} 1");
    ASSERT_LINE(text, "widget_consumer_aws_retries_total{service=\"sqs\",operation="
                      "\"ReceiveMessage\"} 0");
    ASSERT_LINE(text, "widget_consumer_aws_call_duration_seconds_bucket{service=\"sqs\",operation="
                      "\"ReceiveMessage\",le=\"10\"} 0");
    ASSERT_LINE(text, "widget_consumer_aws_call_duration_seconds_bucket{service=\"sqs\",operation="
                      "\"ReceiveMessage\",le=\"30\"} 1");
    ASSERT_LINE(text, "widget_consumer_aws_call_duration_seconds_count{service=\"dynamodb\","
                      "operation=\"PutItem\"} 3");
    ASSERT_LINE(text, "widget_consumer_credential_fetches_total 3");
    ASSERT_LINE(text, "widget_consumer_connections_opened_total 7");
    ASSERT_LINE(text, "widget_consumer_tls_refusals_total 2");
    free(text);
    wc_metrics_free(m);
}

static void test_label_values_are_escaped(void **state)
{
    wc_metrics *m = wc_metrics_new();
    wc_metrics_aws_call(m, "s3", "Odd\"Op\\\nX", 200, 0, 1.0);
    char *text = wc_metrics_render(m);
    ASSERT_LINE(text,
                "widget_consumer_aws_calls_total{service=\"s3\",operation=\"Odd\\\"Op\\\\\\nX\","
                "status=\"2xx\"} 1");
    free(text);
    wc_metrics_free(m);
}

static void test_readiness_follows_opening_and_outages(void **state)
{
    wc_metrics *m = wc_metrics_new();
    assert_false(wc_metrics_ready(m)); /* not opened yet */
    assert_false(wc_metrics_ready(NULL));
    wc_metrics_opened(m);
    assert_true(wc_metrics_ready(m));
    wc_metrics_failing(m, "store", 1);
    assert_false(wc_metrics_ready(m));
    char *text = wc_metrics_render(m);
    ASSERT_LINE(text, "widget_consumer_up{part=\"store\"} 0");
    ASSERT_LINE(text, "widget_consumer_up{part=\"source\"} 1");
    free(text);
    wc_metrics_failing(m, "source", 1);
    wc_metrics_failing(m, "store", 0);
    assert_false(wc_metrics_ready(m));
    wc_metrics_failing(m, "source", 0);
    assert_true(wc_metrics_ready(m));
    wc_metrics_gauges(m, 5, 7, 2);
    text = wc_metrics_render(m);
    ASSERT_LINE(text, "widget_consumer_requests_in_flight 5");
    ASSERT_LINE(text, "widget_consumer_requests_waiting 7");
    ASSERT_LINE(text, "widget_consumer_requests_held 2");
    free(text);
    wc_metrics_free(m);
    /* NULL metrics (no --metrics-addr): every call is harmless. */
    wc_metrics_request(NULL, "applied", "create", 1.0);
    wc_metrics_aws_call(NULL, "s3", "GetObject", 200, 0, 1.0);
    wc_metrics_gauges(NULL, 1, 1, 1);
    wc_metrics_failing(NULL, "store", 1);
    wc_metrics_opened(NULL);
}

static void test_addresses(void **state)
{
    char host[64];
    unsigned port;
    wc_error err;
    assert_int_equal(wc_metrics_addr_parse(":9090", host, sizeof(host), &port, &err), WC_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9090);
    assert_int_equal(wc_metrics_addr_parse("0.0.0.0:0", host, sizeof(host), &port, &err), WC_OK);
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 0);
    assert_int_equal(wc_metrics_addr_parse("[::1]:80", host, sizeof(host), &port, &err), WC_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(wc_metrics_addr_parse("9090", host, sizeof(host), &port, &err),
                     WC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not HOST:PORT"));
    assert_int_equal(wc_metrics_addr_parse("h:99999", host, sizeof(host), &port, &err),
                     WC_ERR_INVALID);
    assert_int_equal(wc_metrics_addr_parse("h:", host, sizeof(host), &port, &err), WC_ERR_INVALID);
    assert_int_equal(wc_metrics_addr_parse("h:-1", host, sizeof(host), &port, &err),
                     WC_ERR_INVALID);
    assert_int_equal(wc_metrics_addr_parse("h:12x", host, sizeof(host), &port, &err),
                     WC_ERR_INVALID);
    wc_loop *loop = wc_loop_new(NULL);
    assert_null(wc_metrics_http_new("no-such-host.invalid:1", loop, NULL, &err));
    assert_non_null(strstr(err.msg, "no-such-host.invalid"));
    wc_loop_free(loop);
}

/* --- the server, asked with libcurl while the loop turns --- */

typedef struct {
    char *body;
    size_t len;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    sink *s = ctx;
    s->body = realloc(s->body, s->len + size * n + 1);
    memcpy(s->body + s->len, data, size * n);
    s->len += size * n;
    s->body[s->len] = '\0';
    return size * n;
}

/* GETs path from the server on port, turning loop meanwhile; returns the status, *body the text. */
static long get(wc_loop *loop, unsigned port, const char *path, char **body)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    sink s = {NULL, 0};
    CURL *e = curl_easy_init();
    CURLM *multi = curl_multi_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_multi_add_handle(multi, e);
    int running = 1;
    while (running) {
        curl_multi_perform(multi, &running);
        wc_loop_turn(loop, 5);
    }
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(multi, e);
    curl_easy_cleanup(e);
    curl_multi_cleanup(multi);
    if (body)
        *body = s.body;
    else
        free(s.body);
    return status;
}

/* A metrics server on a free port of 127.0.0.1, with its loop and metrics. server_stop frees
 * all three. */
typedef struct {
    wc_loop *loop;
    wc_metrics *m;
    wc_metrics_http *h;
    unsigned port;
} server;

static server server_start(void)
{
    server srv = {wc_loop_new(NULL), wc_metrics_new(), NULL, 0};
    wc_error err;
    srv.h = wc_metrics_http_new("127.0.0.1:0", srv.loop, srv.m, &err);
    if (!srv.h)
        fail_msg("wc_metrics_http_new: %s", err.msg);
    srv.port = wc_metrics_http_port(srv.h);
    return srv;
}

static void server_stop(server *srv)
{
    wc_metrics_http_free(srv->h);
    wc_metrics_free(srv->m);
    wc_loop_free(srv->loop);
}

static void test_server_answers_on_the_loop(void **state)
{
    server srv = server_start();
    assert_true(srv.port > 0);
    /* A second server on the same port fails with a clear error. */
    wc_error err;
    char taken[32];
    snprintf(taken, sizeof(taken), "127.0.0.1:%u", srv.port);
    assert_null(wc_metrics_http_new(taken, srv.loop, srv.m, &err));
    assert_non_null(strstr(err.msg, "cannot listen"));

    assert_int_equal(get(srv.loop, srv.port, "/healthz", NULL), 200);
    assert_int_equal(get(srv.loop, srv.port, "/readyz", NULL), 503); /* not opened yet */
    wc_metrics_opened(srv.m);
    assert_int_equal(get(srv.loop, srv.port, "/readyz", NULL), 200);
    wc_metrics_failing(srv.m, "store", 1);
    assert_int_equal(get(srv.loop, srv.port, "/readyz", NULL), 503);
    wc_metrics_failing(srv.m, "store", 0);
    assert_int_equal(get(srv.loop, srv.port, "/readyz", NULL), 200);
    assert_int_equal(get(srv.loop, srv.port, "/nothing", NULL), 404);

    wc_metrics_request(srv.m, "applied", "create", 1.0);
    char *body = NULL;
    assert_int_equal(get(srv.loop, srv.port, "/metrics", &body), 200);
    ASSERT_LINE(body, "widget_consumer_requests_total{outcome=\"applied\",type=\"create\"} 1");
    free(body);
    wc_metrics_request(srv.m, "applied", "create", 1.0);
    assert_int_equal(get(srv.loop, srv.port, "/metrics", &body), 200);
    ASSERT_LINE(body, "widget_consumer_requests_total{outcome=\"applied\",type=\"create\"} 2");
    free(body);
    wc_metrics_http_free(NULL);
    server_stop(&srv);
}

/* collect is called before each /metrics answer. */
static void collect(void *ctx, wc_metrics *m)
{
    int *calls = ctx;
    wc_metrics_set_aws_totals(m,
                              &(wc_metrics_aws_totals){.credential_fetches = (uint64_t)++ * calls});
}

static void test_server_collects_before_answering(void **state)
{
    wc_loop *loop = wc_loop_new(NULL);
    wc_metrics *m = wc_metrics_new();
    wc_error err;
    wc_metrics_http *h = wc_metrics_http_new(":0", loop, m, &err);
    assert_non_null(h);
    int calls = 0;
    wc_metrics_http_collect(h, collect, &calls);
    char *body = NULL;
    assert_int_equal(get(loop, wc_metrics_http_port(h), "/metrics", &body), 200);
    ASSERT_LINE(body, "widget_consumer_credential_fetches_total 1");
    free(body);
    assert_int_equal(get(loop, wc_metrics_http_port(h), "/metrics", &body), 200);
    ASSERT_LINE(body, "widget_consumer_credential_fetches_total 2");
    free(body);
    wc_metrics_http_free(h);
    wc_metrics_free(m);
    wc_loop_free(loop);
}

/* A client of 127.0.0.1:port that has sent text (no blocking: the server runs on this thread). */
static int connect_and_send(unsigned port, const char *text)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* The kernel completes the handshake from the listen backlog, without the server. */
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(send(fd, text, strlen(text), 0), (ssize_t)strlen(text));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Turns loop for ms milliseconds. */
static void turn_for(wc_loop *loop, unsigned ms)
{
    uint64_t end = wc_monotonic_ns() + (uint64_t)ms * 1000000u;
    while (wc_monotonic_ns() < end)
        wc_loop_turn(loop, 5);
}

/* Reads the start of the answer on fd into buf (cap > 12), turning loop, for ms at most, then
 * closes fd: the status, 0 without one. */
static int status_within(wc_loop *loop, int fd, unsigned ms, char *buf, size_t cap)
{
    size_t len = 0;
    uint64_t end = wc_monotonic_ns() + (uint64_t)ms * 1000000u;
    while (wc_monotonic_ns() < end && len < 12) {
        wc_loop_turn(loop, 5);
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n > 0)
            len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return len >= 12 && strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : 0;
}

/* Asks GET /healthz with a raw socket, turning loop: the status, 0 without an answer in ms. */
static int probe_within(wc_loop *loop, unsigned port, unsigned ms)
{
    int fd = connect_and_send(port, "GET /healthz HTTP/1.1\r\nHost: probe\r\n"
                                    "Connection: close\r\n\r\n");
    char buf[256];
    return status_within(loop, fd, ms, buf, sizeof(buf));
}

/* 50 clients from 127.0.0.1 that send half a request and wait do not take /healthz away: it
 * answers within 1 s while they hold on, and again later (issue 15). */
static void test_slow_clients_leave_healthz_answered(void **state)
{
    server srv = server_start();
    enum { SLOW = 50 };
    int slow[SLOW];
    for (int i = 0; i < SLOW; i++) {
        slow[i] = connect_and_send(srv.port, "GET /metrics HTTP/1.1\r\nHost: slow\r\n");
        turn_for(srv.loop, 10);
    }
    turn_for(srv.loop, 200);
    assert_int_equal(probe_within(srv.loop, srv.port, 1000), 200);
    turn_for(srv.loop, 500);
    assert_int_equal(probe_within(srv.loop, srv.port, 1000), 200);
    turn_for(srv.loop, 3000); /* the slow ones are closed by now: the server still answers */
    assert_int_equal(probe_within(srv.loop, srv.port, 1000), 200);
    int closed = 0;
    for (int i = 0; i < SLOW; i++) {
        char c;
        closed += recv(slow[i], &c, 1, 0) == 0;
        close(slow[i]);
    }
    assert_int_equal(closed, SLOW);
    server_stop(&srv);
}

/* A stuck loop: a callback that does not return for ms (as a blocking call would). */
static void stall(void *ctx)
{
    unsigned ms = *(unsigned *)ctx;
    uint64_t end = wc_monotonic_ns() + (uint64_t)ms * 1000000u;
    while (wc_monotonic_ns() < end)
        usleep(1000);
}

/* /healthz answers 503 once the loop's stamp is older than the threshold: a probe that came
 * while the loop was stuck is answered so when it turns again, and the next one 200 (issue 15).
 * The stall is a timer due at once; a turn runs the timers due when it looked at the clock, so
 * had the stamp's own timer come due between the stall's start and that look, it would run right
 * after the stall, before the probe is read, and the probe would be answered 200. The stamp is
 * therefore renewed just before the stall (setting the threshold stamps and restarts its timer):
 * its next one is a third of the threshold away, which no descheduling of the test between two
 * of its lines comes near. */
static void test_healthz_is_503_after_a_stuck_loop(void **state)
{
    server srv = server_start();
    wc_metrics_http_set_stale_ms(srv.h, 1000);
    assert_int_equal(probe_within(srv.loop, srv.port, 1000), 200);
    /* The probe is sent (the kernel holds it) before the loop gets stuck for 1.5 s. */
    int fd = connect_and_send(srv.port, "GET /healthz HTTP/1.1\r\nHost: probe\r\n"
                                        "Connection: close\r\n\r\n");
    wc_metrics_http_set_stale_ms(srv.h, 1000); /* the stamp renewed: its next in 334 ms */
    unsigned ms = 1500;
    wc_timer stuck = {0};
    wc_loop_timer_start(srv.loop, &stuck, 0, stall, &ms);
    char buf[256];
    if (status_within(srv.loop, fd, 3000, buf, sizeof(buf)) != 503)
        fail_msg("after a stuck loop /healthz said: %s", buf);
    /* The loop turns again: its stamp is fresh. */
    turn_for(srv.loop, 100);
    assert_int_equal(probe_within(srv.loop, srv.port, 1000), 200);
    server_stop(&srv);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_are_counted_by_outcome_and_type),
        cmocka_unit_test(test_aws_calls_by_service_operation_and_status),
        cmocka_unit_test(test_label_values_are_escaped),
        cmocka_unit_test(test_readiness_follows_opening_and_outages),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_server_answers_on_the_loop),
        cmocka_unit_test(test_server_collects_before_answering),
        cmocka_unit_test(test_slow_clients_leave_healthz_answered),
        cmocka_unit_test(test_healthz_is_503_after_a_stuck_loop),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
