/* widget-verify: compares a widget store with the expected state the producer wrote, prints a
 * summary, and exits 1 on any difference. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/options.h"
#include "common/version.h"
#include "producer/verify.h"
#include "aws/client.h"
#include "stores/registry.h"

typedef struct {
    const char *widget_dir, *widget_bucket, *widget_table, *expected, *key_prefix, *table_key;
    const char *profile, *region, *endpoint_url, *ignore_file;
    int help, version;
} verify_config;

#define OFF(f) offsetof(verify_config, f)

static const wc_option verify_options[] = {
    {"widget-dir", NULL, WC_OPT_STRING, "DIR", NULL, NULL, OFF(widget_dir),
     "the widget directory to check"},
    {"widget-bucket", "wb", WC_OPT_STRING, "BUCKET", NULL, NULL, OFF(widget_bucket),
     "the widget bucket to check"},
    {"dynamodb-widget-table", "dwt", WC_OPT_STRING, "TABLE", NULL, NULL, OFF(widget_table),
     "the DynamoDB table to check"},
    {"expected", NULL, WC_OPT_STRING, "FILE", NULL, NULL, OFF(expected),
     "the expected state, as widget-producer --expected wrote it"},
    {"widget-key-prefix", "wkp", WC_OPT_STRING, "PREFIX", "widgets/", NULL, OFF(key_prefix),
     "key prefix of widgets"},
    {"dynamodb-key", NULL, WC_OPT_STRING, "NAME", "id", NULL, OFF(table_key),
     "partition key attribute of the DynamoDB table"},
    {"profile", "p", WC_OPT_STRING, "NAME", NULL, "AWS_PROFILE", OFF(profile), "AWS profile"},
    {"region", "r", WC_OPT_STRING, "REGION", NULL, "AWS_REGION", OFF(region), "AWS region"},
    {"endpoint-url", NULL, WC_OPT_STRING, "URL", NULL, NULL, OFF(endpoint_url),
     "send every AWS call to URL (local stand-ins)"},
    {"ignore-data-of", NULL, WC_OPT_STRING, "FILE", NULL, NULL, OFF(ignore_file),
     "widget ids (one a line, as widget-producer --swapped writes them) whose data is not "
     "compared, only their presence"},
    {"version", NULL, WC_OPT_FLAG, NULL, NULL, NULL, OFF(version), "print the version and exit"},
    {"help", "h", WC_OPT_FLAG, NULL, NULL, NULL, OFF(help), "print this help and exit"},
    WC_OPTIONS_END,
};

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of a --swapped file, sorted; *n gets how many. NULL with *n 0 when none. */
static char **read_ids(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    char **ids = NULL, line[512];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char **bigger = line[0] ? realloc(ids, (*n + 1) * sizeof(*ids)) : NULL;
        if (bigger) {
            ids = bigger;
            ids[(*n)++] = strdup(line);
        }
    }
    fclose(f);
    if (ids)
        qsort(ids, *n, sizeof(*ids), by_string);
    return ids;
}

int main(int argc, char **argv)
{
    /* A tool: only warnings and errors of the library reach stderr. */
    wc_log_open(WC_LOG_WARN, NULL, NULL);
    verify_config c;
    memset(&c, 0, sizeof(c));
    wc_error err;
    const char *pos[1];
    int npos = 0;
    if (wc_options_parse_env(verify_options, "WIDGET_VERIFY_", &c, argc, argv, pos, 0, &npos,
                             &err) != WC_OK) {
        fprintf(stderr, "widget-verify: %s\n", err.msg);
        return 2;
    }
    if (c.help) {
        printf("Usage: widget-verify --widget-dir DIR | -wb BUCKET | -dwt TABLE --expected FILE "
               "[options]\n"
               "Exit status: 0 the store equals the expected state, 1 it differs, 2 usage or "
               "read errors.\n\nOptions:\n");
        wc_options_help_env(verify_options, "WIDGET_VERIFY_", stdout);
        printf("\nEvery option may also come from its environment variable (the command line "
               "wins).\n");
        return 0;
    }
    if (c.version) {
        printf("widget-verify %s\n", WC_VERSION);
        return 0;
    }
    const wc_store_backend *backend = NULL;
    int stores = 0;
    for (const wc_store_backend *b = wc_store_backends; b->type; b++)
        if (*wc_options_string_field(verify_options, &c, b->option)) {
            backend = b;
            stores++;
        }
    if (stores != 1 || !c.expected) {
        fprintf(stderr,
                "widget-verify: name one store (--widget-dir, -wb or -dwt) and --expected\n");
        return 2;
    }
    wc_widget_map *expected = NULL;
    if (wc_widget_map_load(c.expected, &expected, &err) != WC_OK) {
        fprintf(stderr, "widget-verify: %s\n", err.msg);
        return 2;
    }
    wc_store store;
    wc_verify_report report;
    int status = 2;
    wc_aws *aws = NULL;
    wc_result opened;
    if (backend->on_aws) {
        wc_aws_config ac = {
            .region = c.region, .profile = c.profile, .endpoint_url = c.endpoint_url};
        aws = wc_aws_new(&ac, &err);
    }
    wc_store_params sp = {.aws = aws,
                          .name = *wc_options_string_field(verify_options, &c, backend->option),
                          .key_prefix = c.key_prefix,
                          .table_key = c.table_key};
    opened = backend->on_aws && !aws ? WC_ERR_INVALID : backend->open(&sp, &store, &err);
    if (opened == WC_OK) {
        size_t n_ignore = 0;
        char **ignore = read_ids(c.ignore_file, &n_ignore);
        if (wc_verify_store_ignoring(&store, c.key_prefix, expected, ignore, n_ignore, &report,
                                     &err) == WC_OK) {
            wc_verify_print(&report, stdout);
            status = wc_verify_ok(&report) ? 0 : 1;
        }
        for (size_t i = 0; i < n_ignore; i++)
            free(ignore[i]);
        free(ignore);
        wc_store_destroy(&store);
    }
    if (status == 2)
        fprintf(stderr, "widget-verify: %s\n", err.msg);
    wc_widget_map_free(expected);
    wc_aws_free(aws);
    return status;
}
