/* SigV4 against AWS's own test suite (tests/data/aws-sigv4-test-suite, see its NOTICE): for every
 * case, the canonical request, the string to sign, the signature and the Authorization header
 * must equal AWS's expected files byte for byte. */
#include <jansson.h>

#include "aws/sigv4.h"
#include "common/clock.h"
#include "testutil.h"

static const char *suite_dir(void)
{
    static char dir[4096];
    const char *data = getenv("WC_TESTDATA");
    snprintf(dir, sizeof(dir), "%s/aws-sigv4-test-suite", data ? data : "tests/data");
    return dir;
}

static char *case_file(const char *name, const char *file)
{
    char *dir = wc_path_join(suite_dir(), name);
    char *text = read_text(dir, file);
    free(dir);
    if (!text)
        fail_msg("case %s: no %s", name, file);
    return text;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
}

static char *percent_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

typedef struct {
    char method[16];
    char *path;
    wc_param query[16];
    size_t n_query;
    wc_param headers[24];
    size_t n_headers;
    char *body;
    char *owned[64];
    size_t n_owned;
} parsed;

static char *keep(parsed *p, char *s)
{
    p->owned[p->n_owned++] = s;
    return s;
}

/* request.txt: "METHOD TARGET HTTP/1.1", header lines (a line starting with white space
 * continues the previous value), a blank line, the body. */
static void parse_request(parsed *p, char *text)
{
    memset(p, 0, sizeof(*p));
    char *eol = strchr(text, '\n');
    if (eol)
        *eol = '\0';
    char *sp = strchr(text, ' ');
    char *http = strstr(text, " HTTP/");
    snprintf(p->method, sizeof(p->method), "%.*s", (int)(sp - text), text);
    *http = '\0';
    char *target = sp + 1;
    char *q = strchr(target, '?');
    if (q) {
        *q++ = '\0';
        char *save = NULL;
        for (char *pair = strtok_r(q, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(pair, '=');
            size_t nlen = eq ? (size_t)(eq - pair) : strlen(pair);
            p->query[p->n_query].name = keep(p, percent_decode(pair, nlen));
            p->query[p->n_query].value =
                keep(p, percent_decode(eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0));
            p->n_query++;
        }
    }
    p->path = keep(p, strdup(target));
    char *line = eol ? eol + 1 : NULL;
    while (line && *line && *line != '\n') {
        char *next = strchr(line, '\n');
        if (next)
            *next = '\0';
        if ((*line == ' ' || *line == '\t') && p->n_headers > 0) {
            wc_param *h = &p->headers[p->n_headers - 1];
            size_t len = strlen(h->value) + strlen(line) + 2;
            char *joined = malloc(len);
            snprintf(joined, len, "%s\n%s", h->value, line);
            h->value = keep(p, joined);
        } else {
            char *colon = strchr(line, ':');
            *colon = '\0';
            p->headers[p->n_headers].name = line;
            p->headers[p->n_headers].value = colon + 1;
            p->n_headers++;
        }
        line = next ? next + 1 : NULL;
    }
    p->body = line && *line == '\n' ? line + 1 : (char *)"";
}

static void free_parsed(parsed *p)
{
    for (size_t i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
}

static void check_case(const char *name)
{
    char *ctx_text = case_file(name, "context.json");
    json_t *ctx = json_loads(ctx_text, 0, NULL);
    assert_non_null(ctx);
    json_t *creds = json_object_get(ctx, "credentials");
    const char *token = json_string_value(json_object_get(creds, "token"));
    int omit_token = json_is_true(json_object_get(ctx, "omit_session_token"));
    int sign_body = json_is_true(json_object_get(ctx, "sign_body"));
    struct tm tm = {0};
    strptime(json_string_value(json_object_get(ctx, "timestamp")), "%Y-%m-%dT%H:%M:%SZ", &tm);

    wc_sigv4_signer s = {
        .access_key_id = json_string_value(json_object_get(creds, "access_key_id")),
        .secret_access_key = json_string_value(json_object_get(creds, "secret_access_key")),
        .region = json_string_value(json_object_get(ctx, "region")),
        .service = json_string_value(json_object_get(ctx, "service")),
        .when = timegm(&tm),
        .normalize_path = json_is_true(json_object_get(ctx, "normalize")),
    };
    char *req_text = case_file(name, "request.txt");
    parsed p;
    parse_request(&p, req_text);
    char date[17], hash[65];
    wc_sigv4_amz_date(s.when, date);
    wc_sha256_hex(p.body, strlen(p.body), hash);
    p.headers[p.n_headers++] = (wc_param){"X-Amz-Date", date};
    if (token && !omit_token)
        p.headers[p.n_headers++] = (wc_param){"X-Amz-Security-Token", token};
    if (sign_body)
        p.headers[p.n_headers++] = (wc_param){"x-amz-content-sha256", hash};

    wc_sigv4_request r = {p.method, p.path, p.query, p.n_query, p.headers, p.n_headers, hash};
    char *signed_headers = NULL;
    char *canonical = wc_sigv4_canonical_request(&r, s.normalize_path, &signed_headers);
    char *want_canonical = case_file(name, "header-canonical-request.txt");
    if (strcmp(canonical, want_canonical) != 0)
        fail_msg("case %s: canonical request\n--- got\n%s\n--- want\n%s", name, canonical,
                 want_canonical);
    char *sts = wc_sigv4_string_to_sign(&s, canonical);
    char *want_sts = case_file(name, "header-string-to-sign.txt");
    assert_string_equal(sts, want_sts);
    char sig[65];
    wc_sigv4_signature(&s, sts, sig);
    char *want_sig = case_file(name, "header-signature.txt");
    assert_string_equal(sig, want_sig);
    /* The same with the signing key cache, one across every case (so the cases' own key is
     * derived, then taken from the cache, among others' keys): AWS's signature both times. */
    static wc_sigv4_key_cache shared;
    wc_sigv4_signer cached = s;
    cached.cache = &shared;
    for (int pass = 0; pass < 2; pass++) {
        char again[65];
        wc_sigv4_signature(&cached, sts, again);
        assert_string_equal(again, want_sig);
    }
    char *auth = wc_sigv4_authorization(&s, &r);
    char *signed_req = case_file(name, "header-signed-request.txt");
    char *auth_line = strstr(signed_req, "Authorization:");
    assert_non_null(auth_line);
    auth_line += strlen("Authorization:");
    *strchr(auth_line, '\n') = '\0';
    assert_string_equal(auth, auth_line);

    /* Again from the wire form: path and query encoded once into a URL, as the client builds
     * it, and handed to the signer as views into that URL (the path not NUL-terminated; the
     * decoded fields not read). AWS's canonical request and Authorization header, byte for byte. */
    static const char base[] = "https://example.amazonaws.com";
    char *query = wc_sigv4_query(p.query, p.n_query);
    char *url = malloc(sizeof(base) + 3 * strlen(p.path) + 1 + strlen(query));
    char *at = url + sizeof(base) - 1;
    memcpy(url, base, sizeof(base) - 1);
    char *end = wc_uri_encode_to(at, p.path, 1);
    wc_sigv4_wire w = {at, (size_t)(end - at), end + 1};
    *end = '?';
    strcpy(end + 1, query);
    wc_sigv4_request unread = {p.method, "/not/read", NULL, 0, p.headers, p.n_headers, hash};
    char *wire_headers = NULL;
    char *wire_canonical =
        wc_sigv4_canonical_request_wire(&unread, &w, s.normalize_path, &wire_headers);
    if (!wire_canonical || strcmp(wire_canonical, want_canonical) != 0)
        fail_msg("case %s: canonical request from the wire form\n--- got\n%s\n--- want\n%s", name,
                 wire_canonical ? wire_canonical : "(null)", want_canonical);
    char *wire_auth = wc_sigv4_authorization_wire(&s, &unread, &w);
    assert_string_equal(wire_auth, auth_line);

    free(wire_auth);
    free(wire_canonical);
    free(wire_headers);
    free(url);
    free(query);
    free(auth);
    free(signed_req);
    free(want_sig);
    free(sts);
    free(want_sts);
    free(canonical);
    free(want_canonical);
    free(signed_headers);
    free_parsed(&p);
    free(req_text);
    json_decref(ctx);
    free(ctx_text);
}

/* The canonical path of awkward paths, normalized (as for every service but S3) and not: the
 * bytes encoded once, from the decoded path and from the wire form alike; normalizing the
 * encoded path gives what normalizing the decoded one and then encoding it gave. */
static void awkward_paths_are_encoded_once_and_normalized_alike(void **state)
{
    static const struct {
        const char *decoded;
        int normalize;
        const char *want;
    } cases[] = {
        {"/bucket/widgets/mary matthews/a+b=c*d%e~f\xe1\x88\xb4", 0,
         "/bucket/widgets/mary%20matthews/a%2Bb%3Dc%2Ad%25e~f%E1%88%B4"},
        {"/bucket/a%2Fb", 0, "/bucket/a%252Fb"},
        {"/bucket/./a/../b//c/", 0, "/bucket/./a/../b//c/"},
        {"/bucket/./a/../b//c/", 1, "/bucket/b/c/"},
        {"/a/./b/../c d//e%2f/.../", 1, "/a/c%20d/e%252f/.../"},
        {"/.a/..b/a./", 1, "/.a/..b/a./"},
        {"/a/b/../..", 1, "/"},
        {"/..", 1, "/"},
        {"", 1, "/"},
        {"", 0, ""},
        {"/", 1, "/"},
        {"//", 1, "/"},
        {"a b/c", 1, "/a%20b/c"},
        {"/%2E%2E/x", 1, "/%252E%252E/x"},
    };
    wc_param headers[] = {{"Host", "example.amazonaws.com"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wc_sigv4_request r = {"GET", cases[i].decoded, NULL, 0, headers, 1, "UNSIGNED-PAYLOAD"};
        char *sh1 = NULL, *sh2 = NULL;
        char *from_decoded = wc_sigv4_canonical_request(&r, cases[i].normalize, &sh1);
        char *encoded = wc_uri_encode(cases[i].decoded, 1);
        wc_sigv4_wire w = {encoded, strlen(encoded), ""};
        char *from_wire = wc_sigv4_canonical_request_wire(&r, &w, cases[i].normalize, &sh2);
        char want[256];
        snprintf(want, sizeof(want),
                 "GET\n%s\n\nhost:example.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD", cases[i].want);
        if (strcmp(from_decoded, want) != 0 || strcmp(from_wire, want) != 0)
            fail_msg("path \"%s\" (normalize %d): want %s\n--- decoded\n%s\n--- wire\n%s",
                     cases[i].decoded, cases[i].normalize, cases[i].want, from_decoded, from_wire);
        free(from_decoded);
        free(from_wire);
        free(encoded);
        free(sh1);
        free(sh2);
    }
}

static void every_case_of_the_aws_suite(void **state)
{
    DIR *d = opendir(suite_dir());
    if (!d)
        fail_msg("no test suite at %s", suite_dir());
    struct dirent *de;
    int cases = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strchr(de->d_name, '.') || strcmp(de->d_name, "LICENSE") == 0 ||
            strcmp(de->d_name, "NOTICE") == 0)
            continue;
        check_case(de->d_name);
        cases++;
    }
    closedir(d);
    assert_int_equal(cases, 38); /* every case folder of the suite, from both forms */
}

/* The signing key cache gives the signatures of the uncached signer, across a change of day,
 * region, service and secret, and derives each key once. */
static void cached_keys_sign_as_uncached_ones_do(void **state)
{
    wc_sigv4_key_cache cache;
    memset(&cache, 0, sizeof(cache));
    const char *secrets[] = {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "another-secret"};
    const char *regions[] = {"us-east-1", "eu-west-1"};
    const char *services[] = {"sqs", "dynamodb"};
    time_t days[] = {1440938160, 1440938160 + 86400}; /* 2015-08-30T12:36:00Z and a day later */
    for (int round = 0; round < 3; round++)
        for (int d = 0; d < 2; d++)
            for (int r = 0; r < 2; r++)
                for (int v = 0; v < 2; v++) {
                    int k = (d + r + v) % 2;
                    wc_sigv4_signer plain = {"AKID",          secrets[k], regions[r], services[v],
                                             days[d] + round, 1,          NULL};
                    wc_sigv4_signer cached = plain;
                    cached.cache = &cache;
                    char a[65], b[65];
                    wc_sigv4_signature(&plain, "the string to sign", a);
                    wc_sigv4_signature(&cached, "the string to sign", b);
                    assert_string_equal(a, b);
                    assert_int_equal(strlen(a), 64);
                }
    /* 8 combinations; the cache holds 4, so the first pass of each day misses. */
    assert_true(cache.misses >= 8);
    assert_true(cache.hits + cache.misses == 24);
    /* One region and service, all day: derived once. */
    wc_sigv4_key_cache one;
    memset(&one, 0, sizeof(one));
    for (int i = 0; i < 100; i++) {
        wc_sigv4_signer s = {"AKID", secrets[0], "us-east-1", "sqs", days[0] + i, 1, &one};
        char sig[65];
        wc_sigv4_signature(&s, "x", sig);
    }
    assert_int_equal(one.misses, 1);
    assert_int_equal(one.hits, 99);
}

static void uri_encoding(void **state)
{
    char *e = wc_uri_encode("widgets/mary matthews/a+b=c*d%e~f\xe1\x88\xb4", 1);
    assert_string_equal(e, "widgets/mary%20matthews/a%2Bb%3Dc%2Ad%25e~f%E1%88%B4");
    free(e);
    e = wc_uri_encode("a/b", 0);
    assert_string_equal(e, "a%2Fb");
    free(e);
}

static void query_is_sorted_and_encoded(void **state)
{
    wc_param q[] = {{"prefix", "a b"},
                    {"list-type", "2"},
                    {"max-keys", "10"},
                    {"continuation-token", "x+y/z="}};
    char *s = wc_sigv4_query(q, 4);
    assert_string_equal(s, "continuation-token=x%2By%2Fz%3D&list-type=2&max-keys=10&prefix=a%20b");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_case_of_the_aws_suite),
        cmocka_unit_test(awkward_paths_are_encoded_once_and_normalized_alike),
        cmocka_unit_test(cached_keys_sign_as_uncached_ones_do),
        cmocka_unit_test(uri_encoding),
        cmocka_unit_test(query_is_sorted_and_encoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
