/* hash.h - FNV-1a, 32 and 64 bits, of n bytes (http://www.isthe.com/chongo/tech/comp/fnv/).
 *
 * Not for maps of keys from outside (strmap.h uses SipHash under a random key): these values are
 * fixed and part of what is stored and shared, so they must never change. FNV-1a 32 picks a
 * request's shard (sources/shard.h, --shard K/N: every consumer of a fleet must agree) and a
 * widget's lock file (stores/dir_store.c, DIR/.ledger/.lock-NN); FNV-1a 64 names a file in a
 * directory store's write-ahead ledger (the widget file it stands for) and a dead letter's reason
 * file whose name is too long (sources/dir_source.c). tests/unit/test_hash.c pins them.
 */
#ifndef WC_HASH_H
#define WC_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t wc_fnv1a32(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* offset basis */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u; /* prime 2^24 + 2^8 + 0x93 */
    return h;
}

static inline uint64_t wc_fnv1a64(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull; /* offset basis */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull; /* prime 2^40 + 2^8 + 0xb3 */
    return h;
}

#endif
