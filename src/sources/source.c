#include "sources/source.h"

#include <stdlib.h>
#include <string.h>

void wc_message_cleanup(wc_message *msg)
{
    free(msg->key);
    free(msg->body);
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
