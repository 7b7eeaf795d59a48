#include "core/request.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {"create", "update", "delete"}; /* by wc_request_type */

const char *wc_request_type_name(wc_request_type type)
{
    return (unsigned)type <= WC_REQ_DELETE ? type_names[type] : "?";
}

int wc_owner_is_valid(const char *owner)
{
    int letters = 0;
    for (const char *p = owner; *p; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            letters++;
        else if (c != ' ')
            return 0;
    }
    return letters > 0;
}

int wc_widget_id_is_valid(const char *id, const char **why)
{
    size_t len = strlen(id);
    *why = len == 0                                        ? "must not be empty"
           : len > WC_MAX_ID_LEN                           ? "is longer than 256 bytes"
           : strcmp(id, ".") == 0 || strcmp(id, "..") == 0 ? "must not be \".\" or \"..\""
                                                           : NULL;
    for (const unsigned char *p = (const unsigned char *)id; !*why && *p; p++)
        *why = *p == '/'                 ? "must not contain '/'"
               : *p < 0x20 || *p == 0x7f ? "must not contain control characters"
                                         : NULL;
    return *why == NULL;
}

void wc_request_free(wc_request *req)
{
    if (!req)
        return;
    free(req->request_id);
    free(req->widget_id);
    free(req->owner);
    free(req->label.value);
    free(req->description.value);
    for (size_t i = 0; i < req->n_attrs; i++) {
        free(req->attrs[i].name);
        free(req->attrs[i].value);
    }
    free(req->attrs);
    free(req->place);
    free(req);
}

/* Quotes a value for an error message, cut short so one bad field cannot flood the log. */
static const char *shorten(const char *s, char *buf, size_t cap)
{
    size_t len = strlen(s);
    if (len < cap)
        return s;
    snprintf(buf, cap, "%.*s...", (int)(cap - 4), s);
    return buf;
}

wc_result wc_json_take_string(json_t *o, const char *field, int required, char **out, wc_error *err)
{
    json_t *v = json_object_get(o, field);
    if (!v || json_is_null(v))
        return required ? wc_error_set(err, WC_ERR_INVALID, "%s is missing", field) : WC_OK;
    if (!json_is_string(v))
        return wc_error_set(err, WC_ERR_INVALID, "%s must be a string", field);
    *out = strdup(json_string_value(v));
    return *out ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
}

static wc_result required_string(json_t *root, const char *field, char **out, wc_error *err)
{
    wc_result result = wc_json_take_string(root, field, 1, out, err);
    if (result == WC_OK && (*out)[0] == '\0')
        return wc_error_set(err, WC_ERR_INVALID, "%s must not be empty", field);
    return result;
}

static wc_result optional_string(json_t *root, const char *field, wc_field *out, wc_error *err)
{
    json_t *v = json_object_get(root, field);
    if (!v || json_is_null(v))
        return WC_OK;
    if (!json_is_string(v))
        return wc_error_set(err, WC_ERR_INVALID, "%s must be a string or null", field);
    out->present = 1;
    out->value = strdup(json_string_value(v));
    return out->value ? WC_OK : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
}

static wc_result parse_attributes(json_t *root, wc_request *req, wc_error *err)
{
    json_t *list = json_object_get(root, "otherAttributes");
    if (!list || json_is_null(list))
        return WC_OK;
    if (!json_is_array(list))
        return wc_error_set(err, WC_ERR_INVALID, "otherAttributes must be an array");
    size_t n = json_array_size(list);
    if (n == 0)
        return WC_OK;
    req->attrs = calloc(n, sizeof(*req->attrs));
    if (!req->attrs)
        return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(list, i);
        if (!json_is_object(item))
            return wc_error_set(err, WC_ERR_INVALID, "otherAttributes[%zu] must be an object", i);
        json_t *name = json_object_get(item, "name");
        json_t *value = json_object_get(item, "value");
        if (!name || json_is_null(name))
            return wc_error_set(err, WC_ERR_INVALID, "otherAttributes[%zu] has no name", i);
        if (!json_is_string(name))
            return wc_error_set(err, WC_ERR_INVALID, "otherAttributes[%zu].name must be a string",
                                i);
        if (json_string_length(name) == 0)
            return wc_error_set(err, WC_ERR_INVALID, "otherAttributes[%zu].name must not be empty",
                                i);
        if (!value || json_is_null(value))
            return wc_error_set(err, WC_ERR_INVALID, "otherAttributes[%zu] (\"%s\") has no value",
                                i, json_string_value(name));
        if (!json_is_string(value))
            return wc_error_set(err, WC_ERR_INVALID,
                                "otherAttributes[%zu] (\"%s\") value must be a string", i,
                                json_string_value(name));
        wc_attr *a = &req->attrs[req->n_attrs++];
        a->name = strdup(json_string_value(name));
        a->value = strdup(json_string_value(value));
        if (!a->name || !a->value)
            return wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    }
    return WC_OK;
}

static wc_result parse_fields(json_t *root, wc_request *req, wc_error *err)
{
    char buf[80];
    if (!json_is_object(root))
        return wc_error_set(err, WC_ERR_INVALID, "not a JSON object");
    json_t *type = json_object_get(root, "type");
    if (!type || json_is_null(type))
        return wc_error_set(err, WC_ERR_INVALID, "type is missing");
    if (!json_is_string(type))
        return wc_error_set(err, WC_ERR_INVALID, "type must be a string");
    const char *t = json_string_value(type);
    size_t i = 0;
    while (i <= WC_REQ_DELETE && strcmp(t, type_names[i]) != 0)
        i++;
    if (i > WC_REQ_DELETE)
        return wc_error_set(err, WC_ERR_INVALID, "type \"%s\" is not create, update or delete",
                            shorten(t, buf, sizeof(buf)));
    req->type = (wc_request_type)i;

    wc_result result;
    if ((result = required_string(root, "requestId", &req->request_id, err)) != WC_OK ||
        (result = required_string(root, "widgetId", &req->widget_id, err)) != WC_OK ||
        (result = required_string(root, "owner", &req->owner, err)) != WC_OK)
        return result;
    const char *why = NULL;
    if (!wc_widget_id_is_valid(req->widget_id, &why))
        return wc_error_set(err, WC_ERR_INVALID, "widgetId \"%s\" %s",
                            shorten(req->widget_id, buf, sizeof(buf)), why);
    if (strlen(req->owner) > WC_MAX_OWNER_LEN)
        return wc_error_set(err, WC_ERR_INVALID, "owner is longer than %d bytes", WC_MAX_OWNER_LEN);
    if (!wc_owner_is_valid(req->owner))
        return wc_error_set(err, WC_ERR_INVALID,
                            "owner \"%s\" must contain only letters and spaces",
                            shorten(req->owner, buf, sizeof(buf)));
    if ((result = optional_string(root, "label", &req->label, err)) != WC_OK ||
        (result = optional_string(root, "description", &req->description, err)) != WC_OK)
        return result;
    return parse_attributes(root, req, err);
}

wc_result wc_request_parse(const char *name, const char *body, size_t len, wc_request **out,
                           wc_error *err)
{
    *out = NULL;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i == len)
        return wc_error_set(err, WC_ERR_PARSE, "request %s: empty document", name);

    json_error_t jerr;
    /* jansson rejects invalid UTF-8 and \u0000 unless told otherwise: both are bad requests. */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return wc_error_set(
            err, WC_ERR_PARSE, "request %s: not valid JSON: %s%s (line %d, column %d)", name,
            json_error_code(&jerr) == json_error_invalid_utf8 ? "invalid UTF-8, " : "", jerr.text,
            jerr.line, jerr.column);
    wc_result result = wc_request_from_json(name, root, out, err);
    json_decref(root);
    return result;
}

wc_result wc_request_from_json(const char *name, json_t *root, wc_request **out, wc_error *err)
{
    *out = NULL;
    wc_request *req = calloc(1, sizeof(*req));
    wc_result result =
        req ? parse_fields(root, req, err) : wc_error_set(err, WC_ERR_NOMEM, "out of memory");
    if (result != WC_OK) {
        wc_error_prefix(err, "request %s: ", name);
        wc_request_free(req);
        return result;
    }
    *out = req;
    return WC_OK;
}

json_t *wc_attrs_to_json(const wc_attr *attrs, size_t n)
{
    json_t *list = json_array();
    json_t *a = NULL;
    if (!list)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        a = json_object();
        if (!a || json_object_set_new_nocheck(a, "name", json_string_nocheck(attrs[i].name)) != 0 ||
            json_object_set_new_nocheck(a, "value", json_string_nocheck(attrs[i].value)) != 0)
            goto fail;
        int appended = json_array_append_new(list, a) == 0;
        a = NULL; /* the list's now, or freed by the append that failed */
        if (!appended)
            goto fail;
    }
    return list;
fail:
    json_decref(a);
    json_decref(list);
    return NULL;
}

char *wc_request_to_json(const wc_request *req)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(wc_request_type_name(req->type)));
    json_object_set_new(o, "requestId", json_string(req->request_id));
    json_object_set_new(o, "widgetId", json_string(req->widget_id));
    json_object_set_new(o, "owner", json_string(req->owner));
    if (req->label.present)
        json_object_set_new(o, "label", json_string(req->label.value));
    if (req->description.present)
        json_object_set_new(o, "description", json_string(req->description.value));
    if (req->n_attrs > 0)
        json_object_set_new(o, "otherAttributes", wc_attrs_to_json(req->attrs, req->n_attrs));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}
