/* dir_source.h - a request source on a local directory: one request per file, smallest name
 * first, like the requests bucket (the producer names files by 13-digit epoch milliseconds).
 *
 * Several consumers may share one directory, from any number of containers or hosts. A consumer
 * claims a file by renaming it to a hidden name (".NAME.claimed-ID", ID a random tag drawn at
 * open, never a process id, which means nothing across containers) with rename(2), which is
 * atomic: exactly one consumer wins a file. The claim is a lease: its file's modification time is
 * set when it is claimed (before the rename, so a claim never shows the producer's old time) and
 * renewed every third of claim_lease_ms while the request is in hand, from a timer on the loop:
 * also while the consumer asks for no more requests (a store outage).
 * A claim not renewed for a whole lease was left by a consumer that is gone: it is handed back
 * (renamed to its own name) when a consumer opens or scans the directory; a live claim counts as
 * work in progress (it may come back), never as an empty directory. Hidden files (starting with
 * '.') are never requests.
 *
 * Dead letters go to another directory: the request file under its own name and, beside it,
 * NAME.reason with the reason in one line.
 */
#ifndef WC_DIR_SOURCE_H
#define WC_DIR_SOURCE_H

#include "common/clock.h"
#include "common/loop.h"
#include "sources/shard.h"
#include "sources/source.h"

typedef struct {
    const char *dir;             /* the request directory (must exist) */
    const char *dead_letter_dir; /* created when needed */
    size_t max_body;             /* bodies over this are handed out as too_large */
    wc_clock *clock;             /* for deferral deadlines */
    wc_shard shard;              /* several consumers: which requests are this one's */
    uint64_t claim_lease_ms;     /* 0: 60 s */
    wc_loop *loop;               /* renews the claims in hand every third of the lease from a
                                    timer of its own (NULL: only when receive is called) */
    wc_clock *wall;              /* epoch ms, for leases (NULL: the system's real time) */
} wc_dir_source_config;

/* Opens the source into *out (destroy with wc_source_destroy). Hands back claims whose lease
 * ran out. Fails with a message naming the directory when it cannot be read. */
wc_result wc_dir_source_open(const wc_dir_source_config *config, wc_source *out, wc_error *err);

#endif
