/* fake_transport.h - a scripted HTTP transport for the unit tests of the AWS layer: no network.
 *
 * A wc_transport (see aws/transport.h) whose start() records each request (method, URL, headers,
 * body, the loop's time) and answers it from a script written by the test:
 *
 *     fake_reply(f, "GET /requests/1000", 200, "{...}");             an HTTP answer
 *     fake_header(fake_reply(f, "PUT ", 200, ""), "ETag", "\"e1\"");  with headers
 *     fake_network_error(f, NULL, 7, "Failed to connect");           no answer (curl_code 7)
 *     fake_hang(f, "ReceiveMessage");                                 no answer until cancelled
 *     fake_delay(fake_reply(f, NULL, 503, ""), 2000);                 answered 2 s later
 *     fake_times(fake_reply(f, "DELETE ", 204, ""), 3);               answers three requests
 *
 * A request takes the first scripted answer, in the order they were written, that is not used up
 * and whose pattern fits it. A pattern is NULL (any request: answers by order) or
 * "[METHOD ]TEXT": the method, when one is given (GET, PUT, POST, DELETE, HEAD), must be the
 * request's, and TEXT must occur in its URL, its X-Amz-Target header or its body. A request no
 * answer fits fails the test at once, naming the request and the answers left.
 *
 * Answers are delivered by a timer of the loop (delay 0: on the next turn), never from inside
 * start(), as the real transport does. The body is received as http.c receives it: into a
 * wc_buf capped at the request's max_body (or the transport's, 8 MiB), a secret one
 * (wc_buf_init_secret: zeroed as it grows and when freed) when the request is marked secret,
 * then handed to the callback. A body over the cap comes back empty with too_large set, as
 * http.c's does. Of the answer headers, ETag and x-amz-request-id / x-amzn-RequestId reach the
 * response (the only ones http.c keeps); others are ignored.
 *
 * fake_world puts the pieces of a test together: a fake clock, a loop on it, the fake transport
 * and an AWS client using it, with test credentials, a fixed wall time for signing and retry
 * waits without chance (always the longest: 50, 100, 200, ... ms).
 */
#ifndef WC_FAKE_TRANSPORT_H
#define WC_FAKE_TRANSPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/client.h"
#include "aws/transport.h"
#include "common/loop.h"
#include "testutil.h"

typedef struct fake_transport fake_transport;
typedef struct fake_answer fake_answer;

/* A request as the transport saw it (every string owned by the fake). */
typedef struct {
    char *method;
    char *url;
    wc_param *headers;
    size_t n_headers;
    char *body; /* NUL-terminated; "" when none */
    size_t body_len;
    long timeout_ms;
    size_t max_body;
    int secret;        /* the request asked for a secret answer buffer */
    int answer_secret; /* its answer's body was received into a secret buffer (as http.c does) */
    uint64_t at_ms;    /* the loop's time when it was started */
    int answered;      /* its answer was delivered */
    int cancelled;     /* cancelled before an answer */
} fake_request;

#define FAKE_FOREVER ((unsigned)-1)

fake_transport *fake_transport_new(wc_loop *loop);
/* Frees the fake; requests still in flight are dropped (their callbacks never run). */
void fake_transport_free(fake_transport *f);
/* The table to give wc_aws_config.transport (valid as long as the fake). */
const wc_transport *fake_transport_table(fake_transport *f);
/* The body cap when a request names none (default 8 MiB). */
void fake_set_max_body(fake_transport *f, size_t max_body);

/* --- the script --- */

/* An HTTP answer: status and body (NULL: empty). */
fake_answer *fake_reply(fake_transport *f, const char *pattern, long status, const char *body);
/* No HTTP answer: the connection failed (curl_code non-zero, message in the response's error). */
fake_answer *fake_network_error(fake_transport *f, const char *pattern, int curl_code,
                                const char *message);
/* No answer at all until the request is cancelled. */
fake_answer *fake_hang(fake_transport *f, const char *pattern);
/* A header of the answer. Returns a. */
fake_answer *fake_header(fake_answer *a, const char *name, const char *value);
/* Delivered ms of loop time after the request started. Returns a. */
fake_answer *fake_delay(fake_answer *a, uint64_t ms);
/* Answers n requests (FAKE_FOREVER: any number) instead of one. Returns a. */
fake_answer *fake_times(fake_answer *a, unsigned n);

/* Scripted answers not used up (FAKE_FOREVER ones never count). */
size_t fake_unused(const fake_transport *f);
/* Fails the test when some scripted answer was not used up, naming them. */
void fake_assert_all_used(const fake_transport *f);

/* --- what was sent --- */

size_t fake_count(const fake_transport *f);
/* Request i (from 0) in the order they were started; fails the test when there is none. */
const fake_request *fake_request_at(const fake_transport *f, size_t i);
const fake_request *fake_last(const fake_transport *f);
/* How many requests fit pattern (as the script's patterns). */
size_t fake_count_matching(const fake_transport *f, const char *pattern);
/* The nth (from 0) request that fits pattern; fails the test when there is none. */
const fake_request *fake_find(const fake_transport *f, const char *pattern, size_t nth);
/* A header's value (name in any case), or NULL. */
const char *fake_request_header(const fake_request *r, const char *name);
/* The body parsed as JSON (a new reference); fails the test when it is not JSON. */
json_t *fake_request_json(const fake_request *r);
/* Requests started and neither answered nor cancelled (hanging ones included). */
int fake_in_flight(const fake_transport *f);

/* --- a whole test set-up --- */

#define FAKE_WALL_TIME 1440938160 /* 2015-08-30T12:36:00Z: X-Amz-Date 20150830T123600Z */
#define FAKE_START_MS  1000000    /* the fake clock's time when a world is made */

typedef struct {
    fake_time time;
    wc_clock clock;
    wc_loop *loop;
    fake_transport *fake;
    wc_aws *aws;
} fake_world;

/* Test credentials in the environment (AKIDEXAMPLE), region us-east-1, and endpoint_url (NULL:
 * AWS's own endpoints, virtual-hosted S3). Fails the test when the client cannot be made. */
fake_world *fake_world_new(const char *endpoint_url);
/* Frees the client, then the fake, then the loop. */
void fake_world_free(fake_world *w);
/* Turns the loop until nothing is left to run (no timer; a hanging request does not count). Fails
 * the test after many turns (something keeps itself busy). */
void fake_run(fake_world *w);
/* Turns the loop until *flag is non-zero, or fails the test after many turns. */
void fake_run_until(fake_world *w, const int *flag);
/* Moves the fake clock on by s seconds. */
void fake_advance_s(fake_world *w, unsigned s);
/* Fails the test unless r was signed with the access key `key` (its Authorization's Credential=)
 * and carries the session token `token` (NULL: carries none). */
void fake_assert_signed_with(const fake_request *r, const char *key, const char *token);
/* Fails the test unless r's Authorization is the signature (test keys AKIDEXAMPLE, us-east-1, s3,
 * FAKE_WALL_TIME) of what was sent: its method, decoded_path, query and headers. */
void fake_assert_signed_as_sent(const fake_request *r, const char *decoded_path,
                                const wc_param *query, size_t n_query);

#endif
