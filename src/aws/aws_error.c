#include "aws/aws_error.h"

#include <expat.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    wc_aws_error *out;
    char *target; /* the field the current element fills, or NULL */
    size_t cap;
    int depth;
} xml_ctx;

static void XMLCALL on_start(void *p, const XML_Char *name, const XML_Char **attrs)
{
    xml_ctx *c = p;
    (void)attrs;
    c->depth++;
    c->target = NULL;
    /* <Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error> */
    if (c->depth != 2)
        return;
    if (strcmp(name, "Code") == 0) {
        c->target = c->out->code;
        c->cap = sizeof(c->out->code);
    } else if (strcmp(name, "Message") == 0) {
        c->target = c->out->message;
        c->cap = sizeof(c->out->message);
    } else if (strcmp(name, "RequestId") == 0 && !c->out->request_id[0]) {
        c->target = c->out->request_id;
        c->cap = sizeof(c->out->request_id);
    }
}

static void XMLCALL on_end(void *p, const XML_Char *name)
{
    xml_ctx *c = p;
    (void)name;
    c->depth--;
    c->target = NULL;
}

static void XMLCALL on_text(void *p, const XML_Char *s, int len)
{
    xml_ctx *c = p;
    if (!c->target)
        return;
    size_t have = strlen(c->target);
    size_t room = c->cap - 1 - have;
    size_t n = (size_t)len < room ? (size_t)len : room;
    memcpy(c->target + have, s, n);
    c->target[have + n] = '\0';
}

struct wc_aws_error_decoder {
    XML_Parser parser; /* owned; made on first use, reset for each answer after */
};

wc_aws_error_decoder *wc_aws_error_decoder_new(void)
{
    return calloc(1, sizeof(wc_aws_error_decoder));
}

void wc_aws_error_decoder_free(wc_aws_error_decoder *d)
{
    if (!d)
        return;
    if (d->parser)
        XML_ParserFree(d->parser);
    free(d);
}

/* d's parser ready for a new answer (d NULL: a parser of the caller's, to free), or NULL. */
static XML_Parser parser_for(wc_aws_error_decoder *d)
{
    if (!d)
        return XML_ParserCreate("UTF-8");
    if (d->parser && !XML_ParserReset(d->parser, "UTF-8")) {
        XML_ParserFree(d->parser);
        d->parser = NULL;
    }
    if (!d->parser)
        d->parser = XML_ParserCreate("UTF-8");
    return d->parser;
}

static void decode_xml(wc_aws_error_decoder *d, const char *body, size_t len, wc_aws_error *out)
{
    XML_Parser p = parser_for(d);
    if (!p)
        return;
    xml_ctx c = {out, NULL, 0, 0};
    XML_SetUserData(p, &c); /* a reset parser has none of these: set for every answer */
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_Parse(p, body, (int)len, 1); /* a broken body leaves what was read */
    if (!d)
        XML_ParserFree(p);
}

static void decode_json(const char *body, size_t len, wc_aws_error *out)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    if (!root)
        return;
    const char *type = json_string_value(json_object_get(root, "__type"));
    if (!type)
        type = json_string_value(json_object_get(root, "code"));
    const char *message = json_string_value(json_object_get(root, "message"));
    if (!message)
        message = json_string_value(json_object_get(root, "Message"));
    if (type) {
        const char *hash = strrchr(type, '#'); /* "com.amazonaws.dynamodb.v20120810#Code" */
        snprintf(out->code, sizeof(out->code), "%s", hash ? hash + 1 : type);
    }
    if (message)
        snprintf(out->message, sizeof(out->message), "%s", message);
    json_decref(root);
}

static const char *status_code(long status)
{
    static const struct {
        long status;
        const char *code;
    } codes[] = {{301, "PermanentRedirect"}, {400, "BadRequest"},    {403, "Forbidden"},
                 {404, "NotFound"},          {409, "Conflict"},      {412, "PreconditionFailed"},
                 {429, "TooManyRequests"},   {500, "InternalError"}, {503, "ServiceUnavailable"}};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].status == status)
            return codes[i].code;
    return status >= 500 ? "ServerError" : "HttpError";
}

void wc_aws_error_decode(const char *service, long status, const char *body, size_t len,
                         const char *request_id, wc_aws_error *out)
{
    wc_aws_error_decode_by(NULL, service, status, body, len, request_id, out);
}

void wc_aws_error_decode_by(wc_aws_error_decoder *d, const char *service, long status,
                            const char *body, size_t len, const char *request_id, wc_aws_error *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->service, sizeof(out->service), "%s", service);
    out->status = status;
    if (request_id)
        snprintf(out->request_id, sizeof(out->request_id), "%s", request_id);
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i < len && body[i] == '<')
        decode_xml(d, body, len, out);
    else if (i < len && body[i] == '{')
        decode_json(body, len, out);
    if (!out->code[0] && status)
        snprintf(out->code, sizeof(out->code), "%s", status_code(status));
}

const char *wc_aws_error_text(const wc_aws_error *e, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s (HTTP %ld%s%s)", e->code[0] ? e->code : "error",
             e->message[0] ? ": " : "", e->message, e->status,
             e->request_id[0] ? ", request id " : "", e->request_id);
    return buf;
}
