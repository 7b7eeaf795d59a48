/* widget-verify: compares a widget store with the expected state the producer wrote, prints a
 * summary, and exits 1 on any difference. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/options.h"
#include "producer/verify.h"
#include "stores/dir_store.h"

typedef struct {
    const char *widget_dir, *widget_bucket, *widget_table, *expected, *key_prefix;
    int help;
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
    {"help", "h", WC_OPT_FLAG, NULL, NULL, NULL, OFF(help), "print this help and exit"},
    WC_OPTIONS_END,
};

int main(int argc, char **argv)
{
    verify_config c;
    memset(&c, 0, sizeof(c));
    wc_error err;
    const char *pos[1];
    int npos = 0;
    if (wc_options_parse(verify_options, &c, argc, argv, pos, 0, &npos, &err) != WC_OK) {
        fprintf(stderr, "widget-verify: %s\n", err.msg);
        return 2;
    }
    if (c.help) {
        printf("Usage: widget-verify --widget-dir DIR --expected FILE [options]\n"
               "Exit status: 0 the store equals the expected state, 1 it differs, 2 usage or "
               "read errors.\n\nOptions:\n");
        wc_options_help(verify_options, stdout);
        return 0;
    }
    if (c.widget_bucket || c.widget_table) {
        fprintf(stderr, "widget-verify: %s: S3 and DynamoDB stores are not built in this version "
                        "yet; use --widget-dir\n",
                c.widget_bucket ? "-wb/--widget-bucket" : "-dwt/--dynamodb-widget-table");
        return 2;
    }
    if (!c.widget_dir || !c.expected) {
        fprintf(stderr, "widget-verify: --widget-dir and --expected are both needed\n");
        return 2;
    }
    wc_widget_map *expected = NULL;
    if (wc_widget_map_load(c.expected, &expected, &err) != WC_OK) {
        fprintf(stderr, "widget-verify: %s\n", err.msg);
        return 2;
    }
    wc_store store;
    wc_dir_store_config sc = {.dir = c.widget_dir, .key_prefix = c.key_prefix};
    wc_verify_report report;
    int status = 2;
    if (wc_dir_store_open(&sc, &store, &err) == WC_OK) {
        if (wc_verify_store(&store, c.key_prefix, expected, &report, &err) == WC_OK) {
            wc_verify_print(&report, stdout);
            status = wc_verify_ok(&report) ? 0 : 1;
        }
        wc_store_destroy(&store);
    }
    if (status == 2)
        fprintf(stderr, "widget-verify: %s\n", err.msg);
    wc_widget_map_free(expected);
    return status;
}
