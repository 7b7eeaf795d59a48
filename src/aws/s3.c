#include "aws/s3.h"

#include "aws/aws_error.h"
#include "common/buf.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wc_result wc_s3_bucket_init(wc_s3_bucket *b, wc_aws *aws, const char *bucket, wc_error *err)
{
    memset(b, 0, sizeof(*b));
    const wc_endpoint *ep = wc_aws_endpoint(aws, "s3", err);
    if (!ep)
        return WC_ERR_INVALID;
    b->aws = aws;
    b->bucket = strdup(bucket);
    if (!b->bucket)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    return wc_endpoint_s3_bucket(ep, bucket, &b->base, &b->path_prefix, err);
}

void wc_s3_bucket_cleanup(wc_s3_bucket *b)
{
    free(b->bucket);
    free(b->base);
    free(b->path_prefix);
    memset(b, 0, sizeof(*b));
}

/* A call on the bucket: on key's object, or with key NULL on the bucket itself ("/" or "/bucket":
 * no trailing slash for path style, as SDKs send); started (with done; see wc_aws_start), or sent
 * and waited for (into resp). */
static wc_result bucket_call(wc_s3_bucket *b, wc_aws_request *req, const char *key,
                             wc_aws_done done, void *ctx, wc_http_response *resp,
                             wc_aws_error *aerr, wc_error *err)
{
    size_t prefix = strlen(b->path_prefix), len = prefix + (key ? strlen(key) : 0) + 1;
    if (!key && prefix > 1)
        prefix--;
    char *path = malloc(len);
    if (!path)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    snprintf(path, len, "%.*s%s", (int)prefix, b->path_prefix, key ? key : "");
    req->service = "s3";
    req->base = b->base;
    req->path = path;
    wc_result result = done ? wc_aws_start(b->aws, req, done, ctx, err)
                            : wc_aws_send(b->aws, req, resp, aerr, err);
    free(path);
    return result;
}

wc_result wc_s3_start(wc_s3_bucket *b, const char *method, const char *key, const wc_param *headers,
                      size_t n_headers, const char *body, size_t len, size_t max_body,
                      wc_aws_done done, void *ctx, wc_error *err)
{
    wc_aws_request req = {.method = method,
                          .headers = headers,
                          .n_headers = n_headers,
                          .body = body,
                          .body_len = len,
                          .max_body = max_body};
    return bucket_call(b, &req, key, done, ctx, NULL, NULL, err);
}

/* PutObject (or, with x-amz-copy-source among extra, CopyObject). */
static wc_result put_object(wc_s3_bucket *b, const char *key, const char *body, size_t len,
                            const char *content_type, const wc_param *extra, size_t n_extra,
                            const wc_param *metadata, size_t n_metadata, wc_aws_done done,
                            void *ctx, wc_aws_error *aerr, wc_error *err)
{
    /* The headers, and after them the names of the metadata's: "x-amz-meta-NAME". */
    size_t n = n_metadata + n_extra + 1, room = 0;
    for (size_t i = 0; i < n_metadata; i++)
        room += strlen(metadata[i].name) + 12;
    wc_param *headers = malloc(n * sizeof(*headers) + room);
    if (!headers)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    char *names = (char *)(headers + n);
    n = 0;
    if (content_type)
        headers[n++] = (wc_param){"Content-Type", content_type};
    for (size_t i = 0; i < n_extra; i++)
        headers[n++] = extra[i];
    for (size_t i = 0; i < n_metadata; i++) {
        size_t used = strlen(metadata[i].name) + 12;
        snprintf(names, used, "x-amz-meta-%s", metadata[i].name);
        headers[n++] = (wc_param){names, metadata[i].value};
        names += used;
    }
    wc_aws_request req = {
        .method = "PUT", .headers = headers, .n_headers = n, .body = body, .body_len = len};
    wc_http_response resp;
    wc_result result = bucket_call(b, &req, key, done, ctx, &resp, aerr, err);
    if (result == WC_OK && !done)
        wc_http_response_cleanup(&resp);
    free(headers);
    return result;
}

wc_result wc_s3_get(wc_s3_bucket *b, const char *key, size_t max_body, wc_http_response *resp,
                    wc_aws_error *aerr, wc_error *err)
{
    wc_aws_request req = {.method = "GET", .max_body = max_body};
    return bucket_call(b, &req, key, NULL, NULL, resp, aerr, err);
}

wc_result wc_s3_copy_start(wc_s3_bucket *b, const char *from_bucket, const char *from_key,
                           const char *to_key, const wc_param *metadata, size_t n_metadata,
                           wc_aws_done done, void *ctx, wc_error *err)
{
    /* x-amz-copy-source is "bucket/key", URI-encoded (the '/' between them kept). */
    size_t len = strlen(from_bucket) + strlen(from_key) + 2;
    char *source = malloc(len);
    if (!source)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    snprintf(source, len, "%s/%s", from_bucket, from_key);
    char *encoded = wc_uri_encode(source, 1);
    free(source);
    if (!encoded)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_param extra[2] = {{"x-amz-copy-source", encoded}, {"x-amz-metadata-directive", "REPLACE"}};
    wc_result result =
        put_object(b, to_key, NULL, 0, NULL, extra, 2, metadata, n_metadata, done, ctx, NULL, err);
    free(encoded);
    return result;
}

wc_result wc_s3_copy_answer(wc_result result, wc_http_response *resp, wc_error *e)
{
    if (result == WC_OK && resp && resp->body && strstr(resp->body, "<Error>")) {
        wc_aws_error failed;
        char text[640];
        wc_aws_error_decode("s3", resp->status, resp->body, resp->len, resp->request_id, &failed);
        result = wc_error_set(e, WC_ERR_IO, "%s", wc_aws_error_text(&failed, text, sizeof(text)));
    }
    if (resp)
        wc_http_response_cleanup(resp);
    return result;
}

void wc_s3_header_safe(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)in; *c && o + 1 < cap; c++)
        out[o++] = (*c >= 0x20 && *c < 0x7f) ? (char)*c : '?';
    out[o] = '\0';
}

wc_result wc_s3_put(wc_s3_bucket *b, const char *key, const char *body, size_t len,
                    const char *content_type, const wc_param *metadata, size_t n_metadata,
                    wc_aws_error *aerr, wc_error *err)
{
    return put_object(b, key, body ? body : "", len, content_type, NULL, 0, metadata, n_metadata,
                      NULL, NULL, aerr, err);
}

/* ListObjectsV2's XML, read with expat. No text of it is long (a key is at most 1,024 bytes). */
#define MAX_LIST_TEXT 65536
typedef struct {
    wc_s3_listing *out;
    char path[4][32]; /* element names from the root, as far as we care */
    int depth;
    wc_buf text;      /* the text of the element open, capped at MAX_LIST_TEXT */
    wc_result failed; /* WC_OK, or why an element was not kept (out of memory, too long) */
    int url_encoded;  /* <EncodingType>url</EncodingType>: keys and prefixes are URL-encoded */
} list_ctx;

static void XMLCALL list_start(void *p, const XML_Char *name, const XML_Char **attrs)
{
    list_ctx *c = p;
    (void)attrs;
    if (c->depth < 4)
        snprintf(c->path[c->depth], sizeof(c->path[0]), "%s", name);
    c->depth++;
    wc_buf_reset(&c->text);
}

static void XMLCALL list_text(void *p, const XML_Char *s, int len)
{
    list_ctx *c = p;
    wc_result result = wc_buf_add(&c->text, s, (size_t)len);
    if (result != WC_OK && c->failed == WC_OK)
        c->failed = result;
}

static int push(char ***list, size_t *n, const char *s, size_t len)
{
    char **bigger = realloc(*list, (*n + 1) * sizeof(**list));
    if (!bigger)
        return -1;
    *list = bigger;
    if (!(bigger[*n] = strndup(s, len)))
        return -1;
    (*n)++;
    return 0;
}

static void XMLCALL list_end(void *p, const XML_Char *name)
{
    list_ctx *c = p;
    c->depth--;
    const char *text = wc_buf_str(&c->text);
    wc_s3_listing *l = c->out;
    int failed = 0;
    if (c->depth == 2 && strcmp(name, "Key") == 0 && strcmp(c->path[1], "Contents") == 0)
        failed = push(&l->keys, &l->n, text, c->text.len) != 0;
    else if (c->depth == 2 && strcmp(name, "Prefix") == 0 &&
             strcmp(c->path[1], "CommonPrefixes") == 0)
        failed = push(&l->prefixes, &l->n_prefixes, text, c->text.len) != 0;
    else if (c->depth == 1 && strcmp(name, "IsTruncated") == 0)
        l->truncated = strncmp(text, "true", 4) == 0;
    else if (c->depth == 1 && strcmp(name, "EncodingType") == 0)
        c->url_encoded = strcmp(text, "url") == 0;
    else if (c->depth == 1 && strcmp(name, "NextContinuationToken") == 0 && !l->next_token)
        l->next_token = strndup(text, c->text.len);
    if (failed && c->failed == WC_OK)
        c->failed = WC_ERR_NOMEM;
    wc_buf_reset(&c->text);
}

void wc_s3_listing_cleanup(wc_s3_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->keys[i]);
    for (size_t i = 0; i < l->n_prefixes; i++)
        free(l->prefixes[i]);
    free(l->keys);
    free(l->prefixes);
    free(l->next_token);
    memset(l, 0, sizeof(*l));
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

long wc_s3_url_decode(const char *in, char *out, size_t *bad)
{
    for (size_t i = 0; in[i]; i++) {
        if (in[i] == '%') {
            int hi = hex_digit(in[i + 1]), lo = hi < 0 ? -1 : hex_digit(in[i + 2]);
            if (lo < 0 || (hi | lo) == 0) {
                *bad = i; /* nothing written yet: out may be in */
                return -1;
            }
            i += 2;
        }
    }
    size_t o = 0;
    for (size_t i = 0; in[i]; i++, o++) {
        if (in[i] == '%') {
            out[o] = (char)(hex_digit(in[i + 1]) * 16 + hex_digit(in[i + 2]));
            i += 2;
        } else {
            out[o] = in[i] == '+' ? ' ' : in[i];
        }
    }
    out[o] = '\0';
    return (long)o;
}

wc_result wc_s3_listing_parse(const char *bucket, const char *xml, size_t len, wc_s3_listing *out,
                              wc_error *err)
{
    memset(out, 0, sizeof(*out));
    XML_Parser parser = XML_ParserCreate("UTF-8");
    list_ctx c = {.out = out};
    wc_buf_init(&c.text, MAX_LIST_TEXT);
    if (!parser)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    wc_result result = WC_OK;
    XML_SetUserData(parser, &c);
    XML_SetElementHandler(parser, list_start, list_end);
    XML_SetCharacterDataHandler(parser, list_text);
    if (XML_Parse(parser, xml, (int)len, 1) == XML_STATUS_ERROR)
        result = wc_error_set(err, WC_ERR_PARSE, "ListObjectsV2 of %s: bad XML: %s", bucket,
                              XML_ErrorString(XML_GetErrorCode(parser)));
    else if (c.failed == WC_ERR_TOO_LARGE)
        result = wc_error_set(err, WC_ERR_PARSE,
                              "ListObjectsV2 of %s: an element's text passes %d bytes", bucket,
                              MAX_LIST_TEXT);
    else if (c.failed != WC_OK)
        result = wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    /* A text that does not decode (a stray '%', %00) is left as it came. */
    size_t bad;
    for (size_t i = 0; result == WC_OK && c.url_encoded && i < out->n; i++)
        wc_s3_url_decode(out->keys[i], out->keys[i], &bad);
    for (size_t i = 0; result == WC_OK && c.url_encoded && i < out->n_prefixes; i++)
        wc_s3_url_decode(out->prefixes[i], out->prefixes[i], &bad);
    XML_ParserFree(parser);
    wc_buf_free(&c.text);
    if (result != WC_OK)
        wc_s3_listing_cleanup(out);
    return result;
}

/* ListObjectsV2, started (done) or sent and waited for (resp). */
static wc_result list_request(wc_s3_bucket *b, const char *prefix, const char *delimiter,
                              const char *start_after, const char *token, int max_keys,
                              wc_aws_done done, void *ctx, wc_http_response *resp,
                              wc_aws_error *aerr, wc_error *err)
{
    char max[16];
    snprintf(max, sizeof(max), "%d", max_keys);
    wc_param q[7];
    size_t n = 0;
    /* Keys URL-encoded in the answer: a key with a control character would make S3's XML
     * unreadable (XML 1.0 cannot carry it), and one with a CR would come back as LF. */
    q[n++] = (wc_param){"encoding-type", "url"};
    q[n++] = (wc_param){"list-type", "2"};
    q[n++] = (wc_param){"max-keys", max};
    if (prefix && *prefix)
        q[n++] = (wc_param){"prefix", prefix};
    if (delimiter)
        q[n++] = (wc_param){"delimiter", delimiter};
    if (token)
        q[n++] = (wc_param){"continuation-token", token};
    else if (start_after && *start_after)
        q[n++] = (wc_param){"start-after", start_after};
    wc_aws_request req = {.method = "GET", .query = q, .n_query = n};
    return bucket_call(b, &req, NULL, done, ctx, resp, aerr, err);
}

wc_result wc_s3_list_start(wc_s3_bucket *b, const char *prefix, const char *delimiter,
                           const char *token, int max_keys, wc_aws_done done, void *ctx,
                           wc_error *err)
{
    return list_request(b, prefix, delimiter, NULL, token, max_keys, done, ctx, NULL, NULL, err);
}

wc_result wc_s3_list(wc_s3_bucket *b, const char *prefix, const char *delimiter,
                     const char *start_after, const char *token, int max_keys, wc_s3_listing *out,
                     wc_aws_error *aerr, wc_error *err)
{
    memset(out, 0, sizeof(*out));
    wc_http_response resp;
    wc_result result = list_request(b, prefix, delimiter, start_after, token, max_keys, NULL, NULL,
                                    &resp, aerr, err);
    if (result != WC_OK)
        return result;
    result = wc_s3_listing_parse(b->bucket, resp.body, resp.len, out, err);
    wc_http_response_cleanup(&resp);
    return result;
}
