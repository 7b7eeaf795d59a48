/* processor.h - the Processor: applies one valid request to a store. */
#ifndef WC_PROCESSOR_H
#define WC_PROCESSOR_H

#include "common/error.h"
#include "core/request.h"
#include "stores/store.h"

/* create: stores the widget built from the request; update: the store applies it; delete: the
 * store removes it. WC_ERR_NOT_FOUND: an update or delete whose widget is not there. */
wc_result wc_process(wc_store *store, const wc_request *req, wc_error *err);

#endif
