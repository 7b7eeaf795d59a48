#include "common/clock.h"

#include <errno.h>
#include <time.h>

uint64_t wc_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t wc_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t system_now_ms(wc_clock *self)
{
    (void)self;
    return wc_monotonic_ns() / 1000000u;
}

static void system_sleep_ms(wc_clock *self, uint64_t ms)
{
    (void)self;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    /* One nanosleep: a signal cuts the sleep short, so the poller sees a stop request quickly. */
    nanosleep(&ts, NULL);
}

static uint64_t system_epoch_ms(wc_clock *self)
{
    (void)self;
    return wc_epoch_ms();
}

wc_clock *wc_clock_system(void)
{
    static wc_clock clock = {system_now_ms, system_sleep_ms, NULL, system_epoch_ms};
    return &clock;
}

uint64_t wc_clock_epoch_ms(wc_clock *clock)
{
    return clock && clock->epoch_ms ? clock->epoch_ms(clock) : wc_epoch_ms();
}

time_t wc_clock_epoch_s(wc_clock *clock)
{
    return (time_t)(wc_clock_epoch_ms(clock) / 1000u);
}
