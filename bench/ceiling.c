/* ceiling.c - the benchmark's ceiling: what the local stand-ins serve for the HTTP calls the
 * consumer makes per request, with none of its logic (no validation, no signing, no ordering).
 * For each request: an SQS source costs a share of ReceiveMessage (10 a call, 8 calls in flight)
 * and of DeleteMessageBatch (10 a call); an S3 source a share of ListObjectsV2 (100 keys a page),
 * a GetObject and a DeleteObject; the store the calls of `plans` below, classic order's (one
 * PutItem/UpdateItem/DeleteItem; on S3 a PUT, or a GET then a PUT or DELETE) or exact order's. Up
 * to C requests in flight. Prints "ceiling: N requests in S s (R requests/s)", timed from the first
 * finished request to the last.
 *
 * Usage: ceiling sqs|s3 SOURCE_ENDPOINT QUEUE_URL|BUCKET dynamodb|s3 STORE_ENDPOINT TABLE|BUCKET
 *                N CONCURRENCY [classic|exact]
 * Built by bench/run.sh (cc ... -lcurl -ljansson -lexpat); not part of the consumer. */
#include <curl/curl.h>
#include <expat.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *data;
    size_t len;
} buf;

typedef struct call call;
typedef void (*call_done)(call *c);

struct call {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    buf out;
    long status;
    call_done done;
    void *ctx;
};

static CURLM *multi;
static int src_sqs, store_ddb, concurrency;
static const char *src_ep, *src_name, *store_ep, *store_name;
static long total, finished, in_flight_requests;
static double first_done, last_done;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    buf *b = ctx;
    char *bigger = realloc(b->data, b->len + size * n + 1);
    if (!bigger)
        return 0;
    b->data = bigger;
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

/* Starts a call; body is copied; target, when set, is an X-Amz-Target (JSON 1.0 protocol). */
static void start(const char *method, const char *url, const char *target, const char *body,
                  call_done done, void *ctx)
{
    call *c = calloc(1, sizeof(*c));
    c->easy = curl_easy_init();
    c->done = done;
    c->ctx = ctx;
    curl_easy_setopt(c->easy, CURLOPT_URL, url);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &c->out);
    curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
    c->headers = curl_slist_append(NULL, "Expect:");
    if (target) {
        char h[128];
        snprintf(h, sizeof(h), "X-Amz-Target: %s", target);
        c->headers = curl_slist_append(c->headers, h);
        c->headers = curl_slist_append(c->headers, "Content-Type: application/x-amz-json-1.0");
    }
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        c->body = strdup(body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
    }
    curl_multi_add_handle(multi, c->easy);
}

static void call_free(call *c)
{
    curl_multi_remove_handle(multi, c->easy);
    curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->headers);
    free(c->body);
    free(c->out.data);
    free(c);
}

/* --- one request: its store calls, then its end in the source --- */

typedef struct {
    char *type, *id, *key; /* key: the request's S3 key, or SQS receipt handle */
    int step;
} request;

static char *receipts[10];
static int n_receipts;

static void flush_deletes(void)
{
    if (!n_receipts)
        return;
    json_t *entries = json_array();
    for (int i = 0; i < n_receipts; i++) {
        char id[8];
        snprintf(id, sizeof(id), "m%d", i);
        json_array_append_new(entries,
                              json_pack("{s:s,s:s}", "Id", id, "ReceiptHandle", receipts[i]));
        free(receipts[i]);
    }
    json_t *b = json_pack("{s:s,s:o}", "QueueUrl", src_name, "Entries", entries);
    char *text = json_dumps(b, JSON_COMPACT);
    start("POST", src_ep, "AmazonSQS.DeleteMessageBatch", text, NULL, NULL);
    free(text);
    json_decref(b);
    n_receipts = 0;
}

static void request_end(request *r)
{
    double t = now_s();
    if (!first_done)
        first_done = t;
    last_done = t;
    finished++;
    in_flight_requests--;
    if (src_sqs) {
        receipts[n_receipts++] = r->key;
        r->key = NULL;
        if (n_receipts == 10 || finished == total)
            flush_deletes();
    } else {
        char url[1024];
        snprintf(url, sizeof(url), "%s/%s/%s", src_ep, src_name, r->key);
        start("DELETE", url, NULL, NULL, NULL, NULL);
    }
    free(r->type);
    free(r->id);
    free(r->key);
    free(r);
}

/* The store calls of one request, in order, by store, order and request type: each letter one
 * call. DynamoDB: g GetItem, p PutItem, u UpdateItem, d DeleteItem. S3: g GET the widget, t GET
 * its tombstone, p PUT the widget, T PUT a tombstone, d DELETE the widget. Exact order's plans are
 * what the consumer's exact order makes (read the widget and its ledger, then one conditional
 * write; on S3 a create also looks for a tombstone and a delete leaves one). */
static const char *plans[2][2][3] = {
    /* [store_ddb][exact][create, update, delete] */
    {{"p", "gp", "gd"}, {"gtp", "gp", "gTd"}}, /* S3 */
    {{"p", "u", "d"}, {"gp", "gp", "gp"}},     /* DynamoDB */
};
static int exact;

static const char *plan_of(const request *r)
{
    int t = strcmp(r->type, "create") == 0 ? 0 : strcmp(r->type, "update") == 0 ? 1 : 2;
    return plans[store_ddb][exact][t];
}

static void store_step(call *c);

static void store_call(request *r)
{
    char op = plan_of(r)[r->step];
    if (store_ddb) {
        const char *action = op == 'g'   ? "GetItem"
                             : op == 'p' ? "PutItem"
                             : op == 'u' ? "UpdateItem"
                                         : "DeleteItem";
        char target[64], body[512];
        snprintf(target, sizeof(target), "DynamoDB_20120810.%s", action);
        if (op == 'p')
            snprintf(body, sizeof(body), "{\"TableName\":\"%s\",\"Item\":{\"id\":{\"S\":\"%s\"}}}",
                     store_name, r->id);
        else if (op == 'u')
            snprintf(body, sizeof(body),
                     "{\"TableName\":\"%s\",\"Key\":{\"id\":{\"S\":\"%s\"}},\"UpdateExpression\":"
                     "\"SET #l = :l\",\"ExpressionAttributeNames\":{\"#l\":\"label\"},"
                     "\"ExpressionAttributeValues\":{\":l\":{\"S\":\"X\"}}}",
                     store_name, r->id);
        else
            snprintf(body, sizeof(body), "{\"TableName\":\"%s\",\"Key\":{\"id\":{\"S\":\"%s\"}}}",
                     store_name, r->id);
        start("POST", store_ep, target, body, store_step, r);
        return;
    }
    char url[1024];
    snprintf(url, sizeof(url), "%s/%s/%s/%s", store_ep, store_name,
             op == 't' || op == 'T' ? "wc-tombstones" : "widgets", r->id);
    if (op == 'g' || op == 't')
        start("GET", url, NULL, NULL, store_step, r);
    else if (op == 'd')
        start("DELETE", url, NULL, NULL, store_step, r);
    else
        start("PUT", url, NULL, "{\"id\":\"x\"}", store_step, r);
}

static void store_step(call *c)
{
    request *r = c->ctx;
    if (plan_of(r)[++r->step]) {
        store_call(r);
        return;
    }
    request_end(r);
}

static void begin(const char *body, const char *key)
{
    json_t *j = json_loads(body, 0, NULL);
    request *r = calloc(1, sizeof(*r));
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *id = json_string_value(json_object_get(j, "widgetId"));
    r->type = strdup(type ? type : "create");
    r->id = strdup(id ? id : "none");
    r->key = strdup(key);
    json_decref(j);
    in_flight_requests++;
    store_call(r);
}

/* --- sources --- */

static int receives;
static long taken;
static char *token;
static int listing;
static char *keys[1000];
static int n_keys, next_key;

static void received(call *c)
{
    receives--;
    json_t *j = json_loads(c->out.data ? c->out.data : "{}", 0, NULL);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(j, "Messages"), i, m)
    {
        begin(json_string_value(json_object_get(m, "Body")),
              json_string_value(json_object_get(m, "ReceiptHandle")));
        taken++;
    }
    json_decref(j);
}

typedef struct {
    int in_key;
    int in_token;
    buf text;
} xml_ctx;

static void XMLCALL x_start(void *p, const XML_Char *name, const XML_Char **a)
{
    xml_ctx *x = p;
    x->in_key = strcmp(name, "Key") == 0;
    x->in_token = strcmp(name, "NextContinuationToken") == 0;
    x->text.len = 0;
}

static void XMLCALL x_text(void *p, const XML_Char *s, int len)
{
    xml_ctx *x = p;
    if (x->in_key || x->in_token)
        on_data((char *)s, 1, (size_t)len, &x->text);
}

static void XMLCALL x_end(void *p, const XML_Char *name)
{
    xml_ctx *x = p;
    if (x->in_key && n_keys < 1000)
        keys[n_keys++] = strndup(x->text.data, x->text.len);
    if (x->in_token)
        token = strndup(x->text.data, x->text.len);
    x->in_key = x->in_token = 0;
}

static void listed(call *c)
{
    listing = 0;
    free(token);
    token = NULL;
    for (int i = 0; i < n_keys; i++)
        free(keys[i]);
    n_keys = next_key = 0;
    xml_ctx x = {0};
    XML_Parser p = XML_ParserCreate(NULL);
    XML_SetUserData(p, &x);
    XML_SetElementHandler(p, x_start, x_end);
    XML_SetCharacterDataHandler(p, x_text);
    XML_Parse(p, c->out.data ? c->out.data : "", (int)c->out.len, 1);
    XML_ParserFree(p);
    free(x.text.data);
}

static void got_object(call *c)
{
    begin(c->out.data ? c->out.data : "{}", c->ctx);
    free(c->ctx);
}

static void feed(void)
{
    long want = concurrency - in_flight_requests;
    if (src_sqs) {
        while (taken < total && receives < 8 && receives * 10 < want) {
            char body[1024];
            snprintf(body, sizeof(body),
                     "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":10,\"WaitTimeSeconds\":1}",
                     src_name);
            start("POST", src_ep, "AmazonSQS.ReceiveMessage", body, received, NULL);
            receives++;
        }
        return;
    }
    while (taken < total && want-- > 0 && next_key < n_keys) {
        char url[1024];
        snprintf(url, sizeof(url), "%s/%s/%s", src_ep, src_name, keys[next_key]);
        start("GET", url, NULL, NULL, got_object, strdup(keys[next_key]));
        next_key++;
        taken++;
        in_flight_requests++; /* counted from the GET on */
    }
    /* The next page; a new walk from the smallest key only once the last one's requests are done
     * (their keys would be listed again until deleted). */
    if (!listing && next_key == n_keys && taken < total && (token || in_flight_requests == 0)) {
        char url[2048];
        snprintf(url, sizeof(url), "%s/%s?list-type=2&max-keys=100&delimiter=%%2F%s%s", src_ep,
                 src_name, token ? "&continuation-token=" : "", token ? token : "");
        start("GET", url, NULL, NULL, listed, NULL);
        listing = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 9 && argc != 10) {
        fprintf(stderr, "usage: ceiling sqs|s3 SOURCE_EP QUEUE_URL|BUCKET dynamodb|s3 STORE_EP "
                        "TABLE|BUCKET N CONCURRENCY [classic|exact]\n");
        return 2;
    }
    exact = argc == 10 && strcmp(argv[9], "exact") == 0;
    src_sqs = strcmp(argv[1], "sqs") == 0;
    src_ep = argv[2];
    src_name = argv[3];
    store_ddb = strcmp(argv[4], "dynamodb") == 0;
    store_ep = argv[5];
    store_name = argv[6];
    total = atol(argv[7]);
    concurrency = atoi(argv[8]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 300L);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 600L);
    double deadline = now_s() + 300;
    while (finished < total && now_s() < deadline) {
        feed();
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            call *c;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            if (c->done) {
                if (!src_sqs && c->done == got_object)
                    in_flight_requests--; /* begin() counts it again */
                c->done(c);
            }
            call_free(c);
        }
        curl_multi_poll(multi, NULL, 0, 10, NULL);
    }
    /* The last deletes. */
    for (int running = 1; running;) {
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)))
            if (m->msg == CURLMSG_DONE) {
                call *c;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
                call_free(c);
            }
        if (running)
            curl_multi_poll(multi, NULL, 0, 10, NULL);
    }
    double secs = last_done - first_done;
    printf("ceiling: %ld requests in %.3f s (%.0f requests/s)\n", finished, secs,
           secs > 0 ? (double)(finished - 1) / secs : 0.0);
    curl_multi_cleanup(multi);
    return finished == total ? 0 : 1;
}
