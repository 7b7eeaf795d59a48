#include "aws/sigv4.h"

#include "common/buf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The canonical forms are built in capped buffers (common/buf.h); all sizes here are small and
 * bounded by the request the caller built. */
#define MAX_CANONICAL (1u << 20)

/* The string built (the caller frees it; "" when nothing was added), or NULL when the buffer
 * failed. */
static char *take(wc_buf *b)
{
    if (b->error != WC_OK)
        return NULL;
    char *s = wc_buf_take(b, NULL);
    return s ? s : strdup("");
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *wc_uri_encode_to(char *out, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    char *p = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (unreserved(*c) || (keep_slash && *c == '/')) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    return p;
}

char *wc_uri_encode(const char *s, int keep_slash)
{
    char *out = malloc(strlen(s) * 3 + 1);
    if (out)
        *wc_uri_encode_to(out, s, keep_slash) = '\0';
    return out;
}

/* 32 bytes as 64 lower-case hex digits and a NUL (three per signed request: a table, not
 * snprintf, which was 5% of the consumer's CPU on SQS -> DynamoDB). */
void wc_hex32(const unsigned char in[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[64] = '\0';
}

/* SHA-256 and an HMAC-SHA256 context without a key, fetched from libcrypto once for the
 * process (like libcrypto's own tables, never freed). OpenSSL 3 looks an algorithm up by name at
 * every one-shot call (SHA256(), EVP_sha256(), HMAC()): those look-ups were a third of the
 * signing's instructions. NULL when a fetch failed: the one-shot calls then. The consumer signs
 * on one thread. */
static EVP_MD *sha256_md(void)
{
    static EVP_MD *md;
    static int tried;
    if (!tried) {
        tried = 1;
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
    }
    return md;
}

static EVP_MAC_CTX *hmac_template(void)
{
    static EVP_MAC_CTX *ctx;
    static int tried;
    if (!tried) {
        tried = 1;
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac); /* the context holds its own reference */
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                               OSSL_PARAM_construct_end()};
        if (ctx && !EVP_MAC_CTX_set_params(ctx, params)) {
            EVP_MAC_CTX_free(ctx);
            ctx = NULL;
        }
    }
    return ctx;
}

void wc_sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_MD *md = sha256_md();
    if (!md || !EVP_Digest(data, len, out, &n, md, NULL))
        SHA256(data, len, out);
}

void wc_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    wc_sha256(data, len, digest);
    wc_hex32(digest, out);
}

/* Appends n bytes of s at *p (the caller sized the buffer). */
static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

void wc_sigv4_amz_date(time_t when, char out[17])
{
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

typedef struct {
    char *name, *value;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

char *wc_sigv4_query(const wc_param *query, size_t n)
{
    pair *pairs = calloc(n ? n : 1, sizeof(*pairs));
    wc_buf b;
    wc_buf_init(&b, MAX_CANONICAL);
    if (!pairs)
        return NULL;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        pairs[i].name = wc_uri_encode(query[i].name, 0);
        pairs[i].value = wc_uri_encode(query[i].value ? query[i].value : "", 0);
        ok = ok && pairs[i].name && pairs[i].value;
    }
    if (ok) {
        qsort(pairs, n, sizeof(*pairs), pair_cmp);
        for (size_t i = 0; i < n; i++) {
            if (i)
                wc_buf_addstr(&b, "&");
            wc_buf_addstr(&b, pairs[i].name);
            wc_buf_addstr(&b, "=");
            wc_buf_addstr(&b, pairs[i].value);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
    return ok ? take(&b) : NULL; /* nothing was added to b when not ok */
}

/* RFC 3986 remove_dot_segments plus folding of repeated '/', as AWS normalizes non-S3 paths, of
 * the len bytes at path (decoded or encoded alike: only '/' and '.' count). Caller frees. */
static char *normalize(const char *path, size_t len)
{
    char *out = malloc(len + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    const char *p = path, *end = path + len;
    while (p < end) {
        while (p < end && *p == '/')
            p++;
        const char *seg = p;
        while (p < end && *p != '/')
            p++;
        size_t n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* drop the '/' before the removed segment */
            continue;
        }
        out[o++] = '/';
        memcpy(out + o, seg, n);
        o += n;
    }
    /* Keep a trailing slash, and "/" for an empty path. */
    if (o == 0 || (len > 0 && path[len - 1] == '/' && out[o - 1] != '/'))
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

/* Whether normalize would give the len bytes at path back as they are (the usual case: "/" for
 * every SQS and DynamoDB call), so that no copy is made: a leading '/', no empty segment but a
 * trailing one, no "." nor "..". */
static int is_normal(const char *path, size_t len)
{
    if (len == 0 || path[0] != '/')
        return 0;
    for (size_t i = 1; i <= len;) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t n = j - i;
        if ((n == 0 && j < len) || (n == 1 && path[i] == '.') ||
            (n == 2 && path[i] == '.' && path[i + 1] == '.'))
            return 0;
        i = j + 1;
    }
    return 1;
}

static char *lower(const char *s)
{
    char *out = strdup(s);
    if (out)
        for (char *p = out; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return out;
}

/* Trims, and folds each run of white space (line folds included) into one space. */
static void fold_value(wc_buf *b, const char *v)
{
    int pending_space = 0, started = 0;
    for (const char *c = v; *c; c++) {
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') {
            pending_space = started;
            continue;
        }
        if (pending_space)
            wc_buf_add(b, " ", 1);
        pending_space = 0;
        started = 1;
        wc_buf_add(b, c, 1);
    }
}

typedef struct {
    char *name;
    const char *value;
    size_t order;
} header;

static int header_cmp(const void *a, const void *b)
{
    const header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The wire form of a request's decoded path and query, both owned (free them); NULL in either:
 * out of memory. */
static wc_sigv4_wire wire_of(const wc_sigv4_request *req)
{
    char *path = wc_uri_encode(req->path, 1);
    return (wc_sigv4_wire){path, path ? strlen(path) : 0, wc_sigv4_query(req->query, req->n_query)};
}

static void wire_free(wc_sigv4_wire *w)
{
    free((char *)w->path);
    free((char *)w->query);
}

char *wc_sigv4_canonical_request(const wc_sigv4_request *req, int normalize_path,
                                 char **signed_headers)
{
    wc_sigv4_wire w = wire_of(req);
    char *out = NULL;
    *signed_headers = NULL;
    if (w.path && w.query)
        out = wc_sigv4_canonical_request_wire(req, &w, normalize_path, signed_headers);
    wire_free(&w);
    return out;
}

char *wc_sigv4_canonical_request_wire(const wc_sigv4_request *req, const wc_sigv4_wire *wire,
                                      int normalize_path, char **signed_headers)
{
    *signed_headers = NULL;
    wc_buf b, sh;
    wc_buf_init(&b, MAX_CANONICAL);
    wc_buf_init(&sh, MAX_CANONICAL);
    header *hs = calloc(req->n_headers ? req->n_headers : 1, sizeof(*hs));
    /* The path normalized (a copy, owned, freed below) only when normalizing changes it. */
    char *normal = NULL;
    const char *path = wire->path, *query = wire->query;
    size_t path_len = wire->path_len;
    if (normalize_path && !is_normal(path, path_len)) {
        path = normal = normalize(path, path_len);
        path_len = path ? strlen(path) : 0;
    }
    int ok = hs && path && query;
    for (size_t i = 0; ok && i < req->n_headers; i++) {
        hs[i].name = lower(req->headers[i].name);
        hs[i].value = req->headers[i].value;
        hs[i].order = i;
        ok = hs[i].name != NULL;
    }
    if (ok) {
        qsort(hs, req->n_headers, sizeof(*hs), header_cmp);
        wc_buf_addstr(&b, req->method);
        wc_buf_addstr(&b, "\n");
        wc_buf_add(&b, path, path_len);
        wc_buf_addstr(&b, "\n");
        wc_buf_addstr(&b, query);
        wc_buf_addstr(&b, "\n");
        for (size_t i = 0; i < req->n_headers; i++) {
            int same_as_previous = i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0;
            if (same_as_previous) {
                wc_buf_addstr(&b, ",");
            } else {
                if (i > 0) {
                    wc_buf_addstr(&b, "\n");
                    wc_buf_addstr(&sh, ";");
                }
                wc_buf_addstr(&b, hs[i].name);
                wc_buf_addstr(&b, ":");
                wc_buf_addstr(&sh, hs[i].name);
            }
            fold_value(&b, hs[i].value);
        }
        wc_buf_addstr(&b, "\n\n");
        wc_buf_addstr(&b, wc_buf_str(&sh));
        wc_buf_addstr(&b, "\n");
        wc_buf_addstr(&b, req->payload_hash);
    }
    for (size_t i = 0; hs && i < req->n_headers; i++)
        free(hs[i].name);
    free(hs);
    free(normal);
    char *out = ok ? take(&b) : NULL; /* nothing was added to b nor sh when not ok */
    *signed_headers = out ? take(&sh) : NULL;
    wc_buf_free(&sh); /* not taken: b failed */
    if (!*signed_headers) {
        free(out);
        out = NULL;
    }
    return out;
}

/* The credential scope "YYYYMMDD/region/service/aws4_request" of date (an X-Amz-Date), or NULL
 * when region and service are too long for it (cap: at least 64). Its length in *len. */
static const char *scope_of(const wc_sigv4_signer *s, const char *date, char *out, size_t cap,
                            size_t *len)
{
    static const char tail[] = "/aws4_request";
    size_t r = strlen(s->region), v = strlen(s->service);
    if (8 + 1 + r + 1 + v + sizeof(tail) > cap)
        return NULL;
    char *p = put(out, date, 8);
    *p++ = '/';
    p = put(p, s->region, r);
    *p++ = '/';
    p = put(p, s->service, v);
    p = put(p, tail, sizeof(tail)); /* with its NUL */
    *len = (size_t)(p - out) - 1;
    return out;
}

char *wc_sigv4_string_to_sign(const wc_sigv4_signer *s, const char *canonical_request)
{
    static const char algorithm[] = "AWS4-HMAC-SHA256\n";
    char date[17], sc[256], hash[65];
    size_t sclen = 0;
    wc_sigv4_amz_date(s->when, date);
    if (!scope_of(s, date, sc, sizeof(sc), &sclen))
        return NULL;
    wc_sha256_hex(canonical_request, strlen(canonical_request), hash);
    char *out = malloc(sizeof(algorithm) - 1 + 16 + 1 + sclen + 1 + 64 + 1), *p = out;
    if (!out)
        return NULL;
    p = put(p, algorithm, sizeof(algorithm) - 1);
    p = put(p, date, 16);
    *p++ = '\n';
    p = put(p, sc, sclen);
    *p++ = '\n';
    put(p, hash, 65); /* with its NUL */
    return out;
}

static void hmac(const void *key, size_t keylen, const char *data, unsigned char out[32])
{
    EVP_MAC_CTX *t = hmac_template(), *c = t ? EVP_MAC_CTX_dup(t) : NULL;
    size_t n = 0;
    if (!c || !EVP_MAC_init(c, key, keylen, NULL) ||
        !EVP_MAC_update(c, (const unsigned char *)data, strlen(data)) ||
        !EVP_MAC_final(c, out, &n, 32) || n != 32) {
        unsigned int m = 32;
        HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, strlen(data), out, &m);
    }
    EVP_MAC_CTX_free(c);
}

/* The signing key of a day, region and service: four HMACs from the secret. */
static int derive_key(const wc_sigv4_signer *s, const char *day, unsigned char key[32])
{
    size_t klen = strlen(s->secret_access_key) + 5;
    char *k = malloc(klen);
    unsigned char k1[32], k2[32], k3[32];
    if (!k)
        return 0;
    snprintf(k, klen, "AWS4%s", s->secret_access_key);
    hmac(k, strlen(k), day, k1);
    hmac(k1, 32, s->region, k2);
    hmac(k2, 32, s->service, k3);
    hmac(k3, 32, "aws4_request", key);
    OPENSSL_cleanse(k, klen); /* the secret does not linger in freed memory */
    free(k);
    OPENSSL_cleanse(k1, 32);
    OPENSSL_cleanse(k2, 32);
    OPENSSL_cleanse(k3, 32);
    return 1;
}

/* The signing key, from the cache when it has it. */
static int signing_key(const wc_sigv4_signer *s, const char *day, unsigned char key[32])
{
    wc_sigv4_key_cache *c = s->cache;
    if (!c || strlen(s->region) >= sizeof(c->slots[0].region) ||
        strlen(s->service) >= sizeof(c->slots[0].service))
        return derive_key(s, day, key);
    unsigned char h[32];
    wc_sha256(s->secret_access_key, strlen(s->secret_access_key), h);
    for (size_t i = 0; i < sizeof(c->slots) / sizeof(c->slots[0]); i++) {
        if (c->slots[i].used && strcmp(c->slots[i].day, day) == 0 &&
            strcmp(c->slots[i].region, s->region) == 0 &&
            strcmp(c->slots[i].service, s->service) == 0 &&
            memcmp(c->slots[i].secret_hash, h, 32) == 0) {
            memcpy(key, c->slots[i].key, 32);
            c->hits++;
            return 1;
        }
    }
    if (!derive_key(s, day, key))
        return 0;
    c->misses++;
    unsigned i = c->next++ % (sizeof(c->slots) / sizeof(c->slots[0]));
    snprintf(c->slots[i].day, sizeof(c->slots[i].day), "%s", day);
    snprintf(c->slots[i].region, sizeof(c->slots[i].region), "%s", s->region);
    snprintf(c->slots[i].service, sizeof(c->slots[i].service), "%s", s->service);
    memcpy(c->slots[i].secret_hash, h, 32);
    memcpy(c->slots[i].key, key, 32);
    c->slots[i].used = 1;
    return 1;
}

void wc_sigv4_signature(const wc_sigv4_signer *s, const char *string_to_sign, char out[65])
{
    char date[17], day[9];
    wc_sigv4_amz_date(s->when, date);
    snprintf(day, sizeof(day), "%.8s", date);
    unsigned char key[32], sig[32];
    if (!signing_key(s, day, key)) {
        out[0] = '\0';
        return;
    }
    hmac(key, 32, string_to_sign, sig);
    OPENSSL_cleanse(key, 32);
    wc_hex32(sig, out);
}

char *wc_sigv4_authorization(const wc_sigv4_signer *s, const wc_sigv4_request *req)
{
    wc_sigv4_wire w = wire_of(req);
    char *out = w.path && w.query ? wc_sigv4_authorization_wire(s, req, &w) : NULL;
    wire_free(&w);
    return out;
}

char *wc_sigv4_authorization_wire(const wc_sigv4_signer *s, const wc_sigv4_request *req,
                                  const wc_sigv4_wire *wire)
{
    char *signed_headers = NULL;
    char *canonical =
        wc_sigv4_canonical_request_wire(req, wire, s->normalize_path, &signed_headers);
    char *sts = canonical ? wc_sigv4_string_to_sign(s, canonical) : NULL;
    char *out = NULL;
    if (sts) {
        static const char a[] = "AWS4-HMAC-SHA256 Credential=", b[] = ", SignedHeaders=",
                          c[] = ", Signature=";
        char sig[65], sc[256], date[17];
        size_t sclen = 0, klen = strlen(s->access_key_id), hlen = strlen(signed_headers);
        wc_sigv4_signature(s, sts, sig);
        wc_sigv4_amz_date(s->when, date);
        scope_of(s, date, sc, sizeof(sc), &sclen); /* fits: the string to sign had it */
        out = malloc(sizeof(a) + klen + 1 + sclen + sizeof(b) + hlen + sizeof(c) + 64);
        if (out) {
            char *p = put(out, a, sizeof(a) - 1);
            p = put(p, s->access_key_id, klen);
            *p++ = '/';
            p = put(p, sc, sclen);
            p = put(p, b, sizeof(b) - 1);
            p = put(p, signed_headers, hlen);
            p = put(p, c, sizeof(c) - 1);
            put(p, sig, 65); /* with its NUL */
        }
    }
    free(canonical);
    free(signed_headers);
    free(sts);
    return out;
}
