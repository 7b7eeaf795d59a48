/* scripted_source.h - the set-up the source tests share (test_sqs_source, test_s3_source,
 * test_s3_events_source): a source under test on a scripted world (fake_transport.h: a fake clock,
 * its loop, scripted AWS answers), received from as a poller does, its ends checked.
 *
 * Each test file's fixture starts with a scripted_source (named s), then what is its own:
 *
 *     typedef struct { scripted_source s; queue q; } fixture;
 *     static int setup(void **state) { return scripted_source_setup(state, sizeof(fixture)); }
 */
#ifndef WC_SCRIPTED_SOURCE_H
#define WC_SCRIPTED_SOURCE_H

#include "common/error.h"
#include "fake_transport.h"
#include "sources/source.h"

typedef struct {
    fake_world *w; /* owned: made by scripted_source_init */
    wc_source src; /* the source under test: opened by the test, destroyed at cleanup */
    int notified;  /* calls of the source's notify (once scripted_source_opened set it) */
} scripted_source;

/* cmocka set-up and tear-down of a test file's fixture (size bytes, zeroed) whose first member is
 * its scripted_source: *state is the fixture, initialized as by scripted_source_init; the
 * tear-down cleans it up and frees it. */
int scripted_source_setup(void **state, size_t size);
int scripted_source_teardown(void **state);

/* Quiet logs and a new world (AWS's own endpoints). */
void scripted_source_init(scripted_source *s);
/* Destroys the source (when opened) and frees the world. */
void scripted_source_cleanup(scripted_source *s);

/* After opening the source: fails the test (naming what, with err) unless result is WC_OK, then
 * counts the source's notifications in s->notified. */
void scripted_source_opened(scripted_source *s, wc_result result, const wc_error *err,
                            const char *what);

/* What a poller sees: receives (want each time) until a message, an empty poll or a failure,
 * turning the loop on WAIT; fails the test when WAIT goes on with nothing under way or too long. */
wc_receive_status scripted_source_poll(scripted_source *s, wc_message *m, unsigned want,
                                       wc_error *err);
/* The next message (m filled, caller cleans up); fails the test on anything else. */
void scripted_source_next(scripted_source *s, wc_message *m, unsigned want);
/* Acks m (must be WC_OK) and cleans it up. */
void scripted_source_ack(scripted_source *s, wc_message *m);

/* What a dead letter's done callback was told. */
typedef struct {
    int calls;
    wc_result result;
    char msg[WC_ERROR_MAX];
} scripted_outcome;

/* A wc_source_done that fills the scripted_outcome ctx. */
void scripted_outcome_done(void *ctx, wc_result result, const wc_error *err);

#endif
