#include "aws/transport.h"

#include <stdlib.h>
#include <string.h>

void wc_http_response_cleanup(wc_http_response *r)
{
    free(r->body);
    free(r->request_id);
    free(r->etag);
    memset(r, 0, sizeof(*r));
}

typedef struct {
    int done;
    wc_http_response *out;
} waited;

static void on_done(void *ctx, wc_http_response *r)
{
    waited *w = ctx;
    *w->out = *r;
    w->done = 1;
}

wc_result wc_transport_do(const wc_transport *t, const wc_http_request *req, wc_http_response *out,
                          wc_error *err)
{
    memset(out, 0, sizeof(*out));
    waited w = {0, out};
    wc_result result = t->ops->start(t->self, req, on_done, &w, NULL, err);
    if (result != WC_OK)
        return result;
    wc_loop_wait(t->loop, &w.done);
    if (out->too_large)
        return wc_error_set(err, WC_ERR_TOO_LARGE, "%s %s: %s", req->method, req->url, out->error);
    if (out->curl_code != 0)
        return wc_error_set(err, WC_ERR_IO, "%s %s: %s", req->method, req->url, out->error);
    return WC_OK;
}
