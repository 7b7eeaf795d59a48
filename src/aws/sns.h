/* sns.h - the SNS call widget-producer makes: Publish (the query protocol, as the SDKs send it:
 * POST / with a form-encoded body, Action=Publish&Version=2010-03-31&..., SigV4 for "sns"). */
#ifndef WC_SNS_H
#define WC_SNS_H

#include "aws/client.h"

/* Publish of message to the topic (its ARN). group_id and dedup_id are for FIFO topics (NULL
 * otherwise); sequence, when set, goes as the string message attribute WC_SQS_SEQUENCE (aws/sqs.h),
 * which SNS hands on to the subscribed queues (as an SQS message attribute with raw delivery, in
 * the envelope's MessageAttributes without). A missing topic: SNS's NotFound, in err. */
wc_result wc_sns_publish(wc_aws *aws, const char *topic_arn, const char *message,
                         const char *group_id, const char *dedup_id, const char *sequence,
                         wc_aws_error *aerr, wc_error *err);

#endif
