/* client_private.h - what the files of the client (client.c, client_json.c) share inside
 * src/aws/; not for callers of client.h. */
#ifndef WC_CLIENT_PRIVATE_H
#define WC_CLIENT_PRIVATE_H

#include "aws/client.h"

/* wc_aws_start, and: forget(ctx), when not NULL, is called instead of done when the call is
 * cancelled or dropped (ctx is the caller's to free); *handle, when handle is not NULL, names the
 * call for wc_aws_cancel until done is called. */
wc_result wc_aws_start_call(wc_aws *aws, const wc_aws_request *req, wc_aws_done done, void *ctx,
                            void (*forget)(void *), wc_aws_call **handle, wc_error *err);

#endif
