#include "sources/source.h"

#include "core/ledger.h"

#include <jansson.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wc_message_cleanup(wc_message *msg)
{
    free(msg->key);
    free(msg->body);
    free(msg->place);
    free(msg->place_why);
    free(msg->reject_why);
    json_decref(msg->doc);
    memset(msg, 0, sizeof(*msg));
}

void wc_message_take_body(wc_message *msg, char **body, size_t len, int too_large, size_t max_body)
{
    if (too_large) {
        msg->too_large = 1;
        msg->len_at_least = 1;
        msg->len = max_body + 1;
    } else {
        msg->body = *body;
        msg->len = len;
        *body = NULL;
    }
}

wc_receive_status wc_receive_failed(wc_error *err, const wc_error *failure)
{
    if (err) {
        *err = *failure;
        if (err->code == WC_OK)
            err->code = WC_ERR_IO;
    }
    return WC_RECEIVE_FAILED;
}

wc_receive_status wc_receive_fail(wc_error *err, wc_result code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wc_error_vset(err, code, fmt, ap);
    va_end(ap);
    return WC_RECEIVE_FAILED;
}

const char *wc_receive_status_name(wc_receive_status status)
{
    switch (status) {
    case WC_RECEIVE_READY:
        return "ready";
    case WC_RECEIVE_WAIT:
        return "wait";
    case WC_RECEIVE_EMPTY:
        return "empty";
    case WC_RECEIVE_FAILED:
        return "failed";
    }
    return "unknown";
}

void wc_source_forget(wc_source *source, wc_message *msg)
{
    if (source->ops->forget)
        source->ops->forget(source->self, msg);
    msg->handle = NULL;
}

json_t *wc_message_doc(wc_message *msg)
{
    if (!msg->doc_tried && msg->body && !msg->too_large) {
        /* The body is within the cap (too_large above): the parse is bounded by it. */
        msg->doc = json_loadb(msg->body, msg->len, JSON_REJECT_DUPLICATES, NULL);
        msg->doc_tried = 1;
    }
    return msg->doc;
}

void wc_message_drop_doc(wc_message *msg)
{
    json_decref(msg->doc);
    msg->doc = NULL;
    msg->doc_tried = 0;
}

void wc_source_destroy(wc_source *source)
{
    if (!source)
        return;
    if (source->ops)
        source->ops->destroy(source->self);
    *source = (wc_source){NULL, NULL};
}

void wc_message_set_place(wc_message *msg, const char *place, const char *what)
{
    free(msg->place);
    free(msg->place_why);
    msg->place = msg->place_why = NULL;
    if (wc_place_is_valid(place)) {
        msg->place = strdup(place);
        return;
    }
    size_t len = 160;
    msg->place_why = malloc(len);
    if (msg->place_why)
        snprintf(msg->place_why, len, "its %s is not 1 to %d printable ASCII characters", what,
                 WC_PLACE_MAX);
}

/* 13 digits (epoch milliseconds, as the spec's producers write keys and file names), then the
 * end or something else than a digit: a 14th digit would be a time ten times later. */
static int starts_with_epoch_ms(const char *place)
{
    for (int i = 0; i < 13; i++)
        if (!isdigit((unsigned char)place[i]))
            return 0;
    return !isdigit((unsigned char)place[13]);
}

void wc_message_set_place_epoch_ms(wc_message *msg, const char *place, const char *what)
{
    wc_message_set_place(msg, place, what);
    if (!msg->place || starts_with_epoch_ms(msg->place))
        return;
    free(msg->place);
    msg->place = NULL;
    size_t len = 160;
    msg->place_why = malloc(len);
    if (msg->place_why)
        snprintf(msg->place_why, len,
                 "its %s does not start with the 13 digits of epoch milliseconds producers write",
                 what);
}
