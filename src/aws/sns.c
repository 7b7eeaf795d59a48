#include "aws/sns.h"

#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "aws/sqs.h"

#define ANSWER_MAX 65536 /* a Publish answer is a few hundred bytes of XML */

wc_result wc_sns_publish(wc_aws *aws, const char *topic_arn, const char *message,
                         const char *group_id, const char *dedup_id, const char *sequence,
                         wc_aws_error *aerr, wc_error *err)
{
    memset(aerr, 0, sizeof(*aerr));
    const wc_endpoint *ep = wc_aws_endpoint(aws, "sns", err);
    if (!ep)
        return WC_ERR_INVALID;
    wc_param form[10];
    size_t n = 0;
    form[n++] = (wc_param){"Action", "Publish"};
    form[n++] = (wc_param){"Version", "2010-03-31"};
    form[n++] = (wc_param){"TopicArn", topic_arn};
    form[n++] = (wc_param){"Message", message};
    if (group_id)
        form[n++] = (wc_param){"MessageGroupId", group_id};
    if (dedup_id)
        form[n++] = (wc_param){"MessageDeduplicationId", dedup_id};
    if (sequence) {
        form[n++] = (wc_param){"MessageAttributes.entry.1.Name", WC_SQS_SEQUENCE};
        form[n++] = (wc_param){"MessageAttributes.entry.1.Value.DataType", "String"};
        form[n++] = (wc_param){"MessageAttributes.entry.1.Value.StringValue", sequence};
    }
    /* The query's encoding (RFC 3986, sorted) is a valid form body. */
    char *body = wc_sigv4_query(form, n);
    if (!body)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_param headers[] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    wc_aws_request req = {"sns", "POST", ep->base,     "/", NULL, 0,         headers,
                          1,     body,   strlen(body), 0,   0,    ANSWER_MAX};
    wc_http_response resp;
    wc_result result = wc_aws_send(aws, &req, &resp, aerr, err);
    if (result == WC_OK)
        wc_http_response_cleanup(&resp);
    free(body);
    return result;
}
