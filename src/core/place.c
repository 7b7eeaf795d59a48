#include "core/place.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t comparisons;

uint64_t wc_place_comparisons(void)
{
    return comparisons;
}

void wc_place_comparisons_reset(void)
{
    comparisons = 0;
}

int wc_place_is_valid(const char *place)
{
    size_t len = place ? strlen(place) : 0;
    if (len == 0 || len > WC_PLACE_MAX)
        return 0;
    for (const char *c = place; *c; c++)
        if (*c < 0x21 || *c > 0x7e)
            return 0;
    return 1;
}

int wc_place_compare(const char *a, const char *b)
{
    comparisons++;
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* The SQS form: 13 digits, '.', the rank, '~'. */
#define RANK_AT      14
#define DIGEST_CHARS 12

static int is_message_place(const char *place)
{
    if (strlen(place) != RANK_AT + 2 + DIGEST_CHARS || place[13] != '.' ||
        place[RANK_AT + 1] != '~')
        return 0;
    for (int i = 0; i < 13; i++)
        if (place[i] < '0' || place[i] > '9')
            return 0;
    return 1;
}

int wc_place_tied(const char *a, const char *b)
{
    if (!a || !b || !is_message_place(a) || !is_message_place(b))
        return 0;
    const char *ta = strchr(a, '~'), *tb = strchr(b, '~');
    if (!ta || !tb || ta - a != tb - b || memcmp(a, b, (size_t)(ta - a)) != 0)
        return 0;
    return strcmp(ta, tb) != 0;
}

int wc_place_of_message(uint64_t sent_ms, const char *message_id, char *out, size_t cap)
{
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char md[32];
    unsigned int md_len = 0;
    if (!message_id || !*message_id || cap < RANK_AT + 3 + DIGEST_CHARS ||
        !EVP_Digest(message_id, strlen(message_id), md, &md_len, EVP_sha256(), NULL))
        return 0;
    char digest[DIGEST_CHARS + 1];
    for (int i = 0; i < DIGEST_CHARS / 4; i++) { /* 3 bytes -> 4 characters */
        uint32_t v = (uint32_t)md[3 * i] << 16 | (uint32_t)md[3 * i + 1] << 8 | md[3 * i + 2];
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = b64url[(v >> (18 - 6 * j)) & 63];
    }
    digest[DIGEST_CHARS] = '\0';
    snprintf(out, cap, "%013llu.?~%s", (unsigned long long)(sent_ms % 10000000000000ULL), digest);
    return 1;
}

char *wc_place_with_type(const char *place, wc_request_type type)
{
    char *copy = strdup(place);
    if (copy && is_message_place(copy) && copy[RANK_AT] == '?')
        copy[RANK_AT] = type == WC_REQ_CREATE ? '0' : type == WC_REQ_UPDATE ? '1' : '2';
    return copy;
}
