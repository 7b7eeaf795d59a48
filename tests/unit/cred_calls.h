/* cred_calls.h - the call the credential tests make through the client on the fake world
 * (test_credentials_async.c, test_credentials_sts.c): one DynamoDB GetItem, its end recorded in
 * an outcome (test_client.c records its calls' ends so too). Header-only. */
#ifndef WC_CRED_CALLS_H
#define WC_CRED_CALLS_H

#include "aws/client.h"
#include "fake_transport.h"

typedef struct {
    int calls; /* how many times it ended */
    wc_result result;
    char msg[WC_ERROR_MAX];
    char code[128]; /* the AWS error code; "" when no AWS answer came */
} outcome;

static inline void note(void *ctx, wc_result result, json_t *answer, const wc_aws_error *aerr,
                        const wc_error *err)
{
    outcome *o = ctx;
    (void)answer;
    o->calls++;
    o->result = result;
    snprintf(o->msg, sizeof(o->msg), "%s", err->msg);
    snprintf(o->code, sizeof(o->code), "%s", aerr->code);
}

/* Starts the call (its handle in *handle, when handle is not NULL). One that cannot start ends
 * at once: o says how. */
static inline void start_call(fake_world *w, outcome *o, wc_aws_call **handle)
{
    wc_error err;
    wc_result r =
        wc_aws_json_start(w->aws, "dynamodb", "DynamoDB_20120810.GetItem",
                          json_pack("{s:s}", "TableName", "widgets"), note, o, handle, &err);
    if (r != WC_OK) {
        o->calls++;
        o->result = r;
        snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
        o->code[0] = '\0';
    }
}

/* n calls, their outcomes cleared first. */
static inline void start_calls(fake_world *w, outcome *o, size_t n)
{
    memset(o, 0, n * sizeof(*o));
    for (size_t i = 0; i < n; i++)
        start_call(w, &o[i], NULL);
}

/* One call, the loop run until nothing is left to do: how it ended. */
static inline outcome run_call(fake_world *w)
{
    outcome o = {0};
    start_call(w, &o, NULL);
    fake_run(w);
    return o;
}

#endif
