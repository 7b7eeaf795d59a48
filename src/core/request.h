/* request.h - a Widget Request: parsed from JSON and checked against the rules of the spec.
 *
 * A request is one JSON object: type, requestId, widgetId, owner (required strings), label,
 * description (optional strings, null = absent) and otherAttributes (optional array of
 * {"name","value"} strings). Unknown extra fields are ignored. Every rule broken yields
 * WC_ERR_INVALID (or WC_ERR_PARSE for text that is not JSON) with a message naming the request
 * and the field, e.g.  request 1615728964574: owner "J0hn" must contain only letters and spaces
 */
#ifndef WC_REQUEST_H
#define WC_REQUEST_H

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

typedef enum { WC_REQ_CREATE, WC_REQ_UPDATE, WC_REQ_DELETE } wc_request_type;

/* An optional string field: absent (or null) keeps, "" clears, anything else sets. */
typedef struct {
    int present; /* 0: absent or null */
    char *value; /* owned; "" when the request clears the field */
} wc_field;

typedef struct {
    char *name;  /* owned */
    char *value; /* owned; "" removes the attribute in an update */
} wc_attr;

typedef struct {
    wc_request_type type;
    char *request_id;
    char *widget_id;
    char *owner;
    wc_field label;
    wc_field description;
    wc_attr *attrs;
    size_t n_attrs;
    /* Not from the JSON: the request's place in production order (core/ledger.h), set by the
     * consumer from its source (owned; NULL: unknown, and the store applies it as it comes). */
    char *place;
} wc_request;

/* Longest widgetId and owner accepted (they become S3 keys and file names). */
#define WC_MAX_ID_LEN    256
#define WC_MAX_OWNER_LEN 256

/* Parses and validates body (len bytes, need not be NUL-terminated). `name` names the request in
 * error messages (its source key). On success *out is a new request: wc_request_free() it. */
wc_result wc_request_parse(const char *name, const char *body, size_t len, wc_request **out,
                           wc_error *err);

struct json_t; /* jansson's */

/* The same from a body already parsed with JSON_REJECT_DUPLICATES (borrowed). */
wc_result wc_request_from_json(const char *name, struct json_t *root, wc_request **out,
                               wc_error *err);

void wc_request_free(wc_request *req);

const char *wc_request_type_name(wc_request_type type);

/* Whether owner has only ASCII letters and spaces and at least one letter. */
int wc_owner_is_valid(const char *owner);

/* Whether a widgetId can name a widget everywhere it is stored: 1..256 bytes, no '/', no
 * control characters, not "." or "..". On failure *why says what is wrong. */
int wc_widget_id_is_valid(const char *id, const char **why);

/* Serializes a request back to compact JSON (the producer uses it). Caller frees. */
char *wc_request_to_json(const wc_request *req);

/* The string field of o into *out (a copy: caller frees): "%s is missing" when required and it is
 * absent or null (else *out is left as it is), "%s must be a string" when it is not one. */
wc_result wc_json_take_string(json_t *o, const char *field, int required, char **out,
                              wc_error *err);

/* attrs as an "otherAttributes" array of {"name", "value"} objects (a new reference; NULL: out of
 * memory). Names and values are not checked as UTF-8 again: a request's were when it was parsed
 * (or the generator wrote them), a widget's when its request or its stored form was read. */
json_t *wc_attrs_to_json(const wc_attr *attrs, size_t n);

#endif
