#include "sources/source.h"

#include "core/ledger.h"

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
    memset(msg, 0, sizeof(*msg));
}

void wc_source_destroy(wc_source *source)
{
    if (source && source->ops)
        source->ops->destroy(source->self);
    if (source) {
        source->ops = NULL;
        source->self = NULL;
    }
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
