#include "aws/retry.h"

#include <stdlib.h>
#include <string.h>

int wc_retry_is_retryable(const wc_aws_error *e)
{
    static const char *const throttling[] = {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
    };
    if (e->status == 0 || e->status >= 500 || e->status == 429)
        return 1;
    for (size_t i = 0; i < sizeof(throttling) / sizeof(throttling[0]); i++)
        if (strcmp(e->code, throttling[i]) == 0)
            return 1;
    return 0;
}

uint64_t wc_retry_delay_full_jitter(const wc_retry_policy *p, unsigned attempt)
{
    uint64_t base = p->base_ms ? p->base_ms : 50, cap = p->cap_ms ? p->cap_ms : 5000;
    uint64_t ceiling = base;
    for (unsigned i = 0; i < attempt && ceiling < cap; i++)
        ceiling *= 2;
    if (ceiling > cap)
        ceiling = cap;
    if (p->random)
        return p->random(p->random_state, ceiling);
    return (uint64_t)random() % (ceiling + 1);
}
