/* scripted_source.c - the set-up the source tests share (scripted_source.h). */
#include "scripted_source.h"

#include "common/log.h"

void scripted_source_init(scripted_source *s)
{
    wc_log_to_stderr(0);
    memset(s, 0, sizeof(*s));
    s->w = fake_world_new(NULL);
}

void scripted_source_cleanup(scripted_source *s)
{
    wc_source_destroy(&s->src);
    fake_world_free(s->w);
    s->w = NULL;
}

int scripted_source_setup(void **state, size_t size)
{
    scripted_source *s = calloc(1, size);
    assert_non_null(s);
    scripted_source_init(s);
    *state = s;
    return 0;
}

int scripted_source_teardown(void **state)
{
    scripted_source_cleanup(*state);
    free(*state);
    *state = NULL;
    return 0;
}

static void on_notify(void *ctx)
{
    ((scripted_source *)ctx)->notified++;
}

void scripted_source_opened(scripted_source *s, wc_result result, const wc_error *err,
                            const char *what)
{
    if (result != WC_OK)
        fail_msg("%s: %s", what, err->msg);
    s->src.ops->set_notify(s->src.self, on_notify, s);
}

wc_receive_status scripted_source_poll(scripted_source *s, wc_message *m, unsigned want,
                                       wc_error *err)
{
    for (int turns = 0; turns < 1000; turns++) {
        wc_receive_status r = s->src.ops->receive(s->src.self, m, want, err);
        if (r != WC_RECEIVE_WAIT)
            return r;
        if (!wc_loop_alive(s->w->loop))
            fail_msg("receive says WAIT but nothing is under way");
        wc_loop_turn(s->w->loop, -1);
    }
    fail_msg("receive keeps waiting");
    return WC_RECEIVE_WAIT;
}

void scripted_source_next(scripted_source *s, wc_message *m, unsigned want)
{
    wc_error err;
    wc_receive_status r = scripted_source_poll(s, m, want, &err);
    if (r != WC_RECEIVE_READY)
        fail_msg("wanted a message, got %s (%s)", wc_receive_status_name(r),
                 r == WC_RECEIVE_FAILED ? err.msg : "");
}

void scripted_source_ack(scripted_source *s, wc_message *m)
{
    assert_int_equal(s->src.ops->ack(s->src.self, m, NULL), WC_OK);
    wc_message_cleanup(m);
}

void scripted_outcome_done(void *ctx, wc_result result, const wc_error *err)
{
    scripted_outcome *o = ctx;
    o->calls++;
    o->result = result;
    snprintf(o->msg, sizeof(o->msg), "%s", err ? err->msg : "");
}
