/* strmap.h - a hashed map from strings to fixed-size values.
 *
 * Keys come from outside (S3 keys, file names), so the hash is SipHash-2-4 under a 128-bit key
 * drawn from getrandom(2) once per process (each map's seed mixes in its number): nobody can
 * choose keys that collide. Open addressing with
 * linear probing over a table kept at most half full (it doubles as it grows), and entries in one
 * dense array, so they can also be walked by index 0..count-1.
 *
 * Values are value_size bytes each, zeroed when their key is added. A pointer to a value, or a
 * key, is valid until the next put or remove on the map. The map copies the keys it is given and
 * frees them.
 */
#ifndef WC_STRMAP_H
#define WC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct wc_strmap wc_strmap;

/* A new empty map, its hash seeded from a key the process draws once from getrandom(2), the count
 * of maps made mixed in. NULL: out of memory. Free with wc_strmap_free. */
wc_strmap *wc_strmap_new(size_t value_size);
/* The same with a given seed (tests: a fixed seed gives the same layout every run). */
wc_strmap *wc_strmap_new_seeded(size_t value_size, const unsigned char seed[16]);
void wc_strmap_free(wc_strmap *m);

size_t wc_strmap_count(const wc_strmap *m);

/* The value of key, or NULL when it is not there. */
void *wc_strmap_get(const wc_strmap *m, const char *key);

/* The value of key, added (zeroed) when it is not there; *added (may be NULL) says which.
 * NULL: out of memory (the map is unchanged). */
void *wc_strmap_put(wc_strmap *m, const char *key, int *added);

/* Removes key: 1 when it was there, else 0. */
int wc_strmap_remove(wc_strmap *m, const char *key);

/* Entry i (0 <= i < count), in no particular order. Removing entry i moves the last entry to i,
 * so a walk that removes stays at i. */
const char *wc_strmap_key_at(const wc_strmap *m, size_t i);
void *wc_strmap_value_at(const wc_strmap *m, size_t i);
void wc_strmap_remove_at(wc_strmap *m, size_t i);

/* How many table slots lookups have examined so far: for tests that count work, not time. */
uint64_t wc_strmap_probes(const wc_strmap *m);

/* SipHash-2-4 of len bytes under a 16-byte key. */
uint64_t wc_siphash(const unsigned char key[16], const void *data, size_t len);

#endif
