/* fake_store.h - a store under test on the fake transport (test_dynamodb_store.c, test_s3_store.c):
 * the fixture, its teardown and applying a request to it. Header only. */
#ifndef WC_TEST_FAKE_STORE_H
#define WC_TEST_FAKE_STORE_H

#include <stdlib.h>
#include <string.h>

#include "core/request.h"
#include "fake_transport.h"
#include "stores/store.h"

/* Owns the world and the store opened on it (the test's setup opens it). */
typedef struct {
    fake_world *w;
    wc_store store;
} fake_store_fixture;

/* cmocka teardown: destroys the store, then the world. */
static inline int fake_store_teardown(void **state)
{
    fake_store_fixture *f = *state;
    wc_store_destroy(&f->store);
    fake_world_free(f->w);
    free(f);
    return 0;
}

/* Applies the request in json (valid, or the test fails) at place (NULL: with none) through
 * wc_store_apply, turning the loop until done. */
static inline wc_outcome fake_store_apply(fake_store_fixture *f, const char *json,
                                          const char *place, wc_error *err)
{
    wc_request *r = req(json);
    if (place)
        r->place = strdup(place);
    wc_outcome result = wc_store_apply_wait(&f->store, f->w->loop, r, err);
    wc_request_free(r);
    return result;
}

#endif
