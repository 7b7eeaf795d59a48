/* bench/deferrals.c - what one sharded listing costs the deferral sets (sources/deferrals.c):
 * with --shard, each listing checks every key of the other shards against the set of them
 * (attempts, then mark, then sweep, as dir_source.c's scan does). Prints the time per listing for
 * N foreign keys (default 100,000). Built and run by bench/run.sh (BENCH_ONLY=deferrals: alone):
 *   cc -O2 -Isrc bench/deferrals.c src/sources/deferrals.c src/common/strmap.c
 * Usage: deferrals [N] [LISTINGS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sources/deferrals.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    int listings = argc > 2 ? atoi(argv[2]) : 10;
    wc_deferrals *foreign = wc_deferrals_new();
    char key[64];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "requests/%013lld", 1615728964574LL + i);
        if (!foreign || wc_deferrals_defer(foreign, key, 1, UINT64_MAX) != WC_OK) {
            fprintf(stderr, "deferrals: out of memory\n");
            return 1;
        }
    }
    double filled = now_s() - t0;
    unsigned long long found = 0;
    t0 = now_s();
    for (int l = 0; l < listings; l++) {
        wc_deferrals_unmark_all(foreign);
        for (int i = 0; i < n; i++) {
            snprintf(key, sizeof(key), "requests/%013lld", 1615728964574LL + i);
            found += wc_deferrals_attempts(foreign, key);
            wc_deferrals_mark(foreign, key);
        }
        wc_deferrals_sweep(foreign);
    }
    double per = (now_s() - t0) / listings;
    printf("deferrals: %d foreign keys: filled in %.3f s; one listing %.3f ms (%d listings, "
           "%llu found)\n",
           n, filled, per * 1000, listings, found);
    wc_deferrals_free(foreign);
    return 0;
}
