/* retry.h - when and how long to wait before trying an AWS call again.
 *
 * Throttling, 5xx and network failures are retried with capped exponential backoff and full
 * jitter (a random wait between 0 and min(cap, base * 2^attempt)); client errors are not.
 * Randomness is injected, so the policy is tested without chance.
 */
#ifndef WC_RETRY_H
#define WC_RETRY_H

#include <stdint.h>

#include "aws/aws_error.h"

typedef struct {
    unsigned max_attempts; /* tries in all, default 5 */
    uint64_t base_ms;      /* default 50 */
    uint64_t cap_ms;       /* default 5000 */
    /* A random number in [0, n]; NULL: random(3) */
    uint64_t (*random)(void *state, uint64_t n);
    void *random_state;
} wc_retry_policy;

/* Whether a failed call may be tried again: no HTTP answer at all (network), a 5xx, 429, or an
 * AWS throttling code. */
int wc_retry_is_retryable(const wc_aws_error *e);

/* The wait before try number attempt+1 (attempt counts from 0 for the first retry). */
uint64_t wc_retry_delay_full_jitter(const wc_retry_policy *p, unsigned attempt);

#endif
