/* widget-verify: compares a widget store with the expected state the producer wrote, prints a
 * summary, and exits 1 on any difference. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/tool.h"
#include "producer/verify.h"
#include "aws/client.h"
#include "stores/registry.h"

typedef struct {
    const char *widget_dir, *widget_bucket, *widget_table, *expected, *key_prefix, *table_key;
    const char *profile, *region, *endpoint_url, *ignore_file;
    int help, version;
} verify_config;

#define OFF(f) offsetof(verify_config, f)

/* clang-format off */
static const wc_option verify_options[] = {
    WC_STR_OPT("widget-dir", NULL, "DIR", NULL, OFF(widget_dir), "the widget directory to check"),
    WC_STR_OPT("widget-bucket", "wb", "BUCKET", NULL, OFF(widget_bucket), "the widget bucket to check"),
    WC_STR_OPT("dynamodb-widget-table", "dwt", "TABLE", NULL, OFF(widget_table), "the DynamoDB table to check"),
    WC_STR_OPT("expected", NULL, "FILE", NULL, OFF(expected), "the expected state, as widget-producer --expected wrote it"),
    WC_STR_OPT("widget-key-prefix", "wkp", "PREFIX", "widgets/", OFF(key_prefix), "key prefix of widgets"),
    WC_STR_OPT("dynamodb-key", NULL, "NAME", "id", OFF(table_key), "partition key attribute of the DynamoDB table"),
    WC_TOOL_AWS_OPTIONS(verify_config),
    WC_STR_OPT("ignore-data-of", NULL, "FILE", NULL, OFF(ignore_file), "widget ids (one a line, as widget-producer --swapped writes them) whose data is not compared, only their presence"),
    WC_OPTIONS_VERSION_HELP_END(verify_config),
};
/* clang-format on */

static const wc_tool verify_tool = {
    "widget-verify",
    "Usage: widget-verify --widget-dir DIR | -wb BUCKET | -dwt TABLE --expected FILE [options]\n"
    "Exit status: 0 the store equals the expected state, 1 it differs, 2 usage or read errors.\n",
    verify_options, "WIDGET_VERIFY_"};

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
    verify_config c;
    memset(&c, 0, sizeof(c));
    int status = wc_tool_start(&verify_tool, &c, argc, argv);
    if (status >= 0)
        return status;
    wc_error err;
    int stores;
    const wc_store_backend *backend = wc_store_backend_chosen(verify_options, &c, &stores);
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
    status = 2;
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
