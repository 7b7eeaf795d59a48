#include "consumer/processor.h"

wc_result wc_process(wc_store *store, const wc_request *req, wc_error *err)
{
    switch (req->type) {
    case WC_REQ_CREATE: {
        wc_widget *w = wc_widget_from_create(req);
        if (!w)
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
        wc_result result = store->ops->create(store->self, w, err);
        wc_widget_free(w);
        return result;
    }
    case WC_REQ_UPDATE:
        return store->ops->update(store->self, req, err);
    case WC_REQ_DELETE:
        return store->ops->remove(store->self, req, err);
    }
    return wc_error_set(err, WC_ERR_INVALID, "unknown request type");
}
