/* Request parsing and validation (src/core/request.c): any bytes as a request body. A request
 * that is accepted keeps every rule of the spec, reads back the same from the JSON the producer
 * writes of it, and maps to an S3 key and a DynamoDB update; one that is refused is refused with
 * a message naming it. */
#include <jansson.h>
#include <string.h>

#include "core/item.h"
#include "core/request.h"
#include "core/widget.h"
#include "fuzz.h"

static int same_field(const wc_field *a, const wc_field *b)
{
    return a->present == b->present && (!a->present || strcmp(a->value, b->value) == 0);
}

static int same_request(const wc_request *a, const wc_request *b)
{
    if (a->type != b->type || strcmp(a->request_id, b->request_id) != 0 ||
        strcmp(a->widget_id, b->widget_id) != 0 || strcmp(a->owner, b->owner) != 0 ||
        !same_field(&a->label, &b->label) || !same_field(&a->description, &b->description) ||
        a->n_attrs != b->n_attrs)
        return 0;
    for (size_t i = 0; i < a->n_attrs; i++)
        if (strcmp(a->attrs[i].name, b->attrs[i].name) != 0 ||
            strcmp(a->attrs[i].value, b->attrs[i].value) != 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wc_request *req = NULL;
    wc_error err;
    wc_result result = wc_request_parse("fuzz", (const char *)data, size, &req, &err);
    if (result != WC_OK) {
        FUZZ_CHECK(req == NULL);
        FUZZ_CHECK(result == WC_ERR_PARSE || result == WC_ERR_INVALID);
        FUZZ_CHECK(strncmp(err.msg, "request fuzz: ", 14) == 0);
        FUZZ_CHECK(strlen(err.msg) < sizeof(err.msg));
        return 0;
    }

    /* The rules hold for whatever was accepted. */
    const char *why = NULL;
    FUZZ_CHECK(req->request_id[0] != '\0');
    FUZZ_CHECK(wc_widget_id_is_valid(req->widget_id, &why));
    FUZZ_CHECK(strlen(req->owner) <= WC_MAX_OWNER_LEN && wc_owner_is_valid(req->owner));
    FUZZ_CHECK(!req->label.present || req->label.value);
    FUZZ_CHECK(!req->description.present || req->description.value);
    for (size_t i = 0; i < req->n_attrs; i++)
        FUZZ_CHECK(req->attrs[i].name[0] != '\0' && req->attrs[i].value);

    /* What the producer writes of it reads back the same. */
    char *text = wc_request_to_json(req);
    FUZZ_CHECK(text);
    wc_request *again = NULL;
    FUZZ_CHECK(wc_request_parse("again", text, strlen(text), &again, &err) == WC_OK);
    FUZZ_CHECK(same_request(req, again));
    wc_request_free(again);
    free(text);

    /* Its key, and the DynamoDB item of an update applied to its widget. */
    char *key = wc_widget_key("widgets/", req->owner, req->widget_id);
    FUZZ_CHECK(key && strncmp(key, "widgets/", 8) == 0);
    FUZZ_CHECK(strcmp(strrchr(key, '/') + 1, req->widget_id) == 0);
    free(key);
    if (req->type == WC_REQ_UPDATE) {
        wc_widget *w = wc_widget_from_create(req);
        FUZZ_CHECK(w && wc_widget_apply_update(w, req) == WC_OK);
        json_t *item = wc_item_from_widget(w, "id");
        wc_widget *back = NULL;
        FUZZ_CHECK(item && wc_item_to_widget(item, "id", &back, &err) == WC_OK);
        FUZZ_CHECK(strcmp(back->id, w->id) == 0 && back->n_attrs == w->n_attrs);
        wc_widget_free(back);
        json_decref(item);
        wc_widget_free(w);
    }
    wc_request_free(req);
    return 0;
}
