/* tool.h - what widget-producer and widget-verify share: their start (the log, options from the
 * command line and the environment, --help, --version) and the option rows they both have. */
#ifndef WC_TOOL_H
#define WC_TOOL_H

#include <stddef.h>

#include "common/options.h"

typedef struct {
    const char *name;         /* "widget-verify": before each message, and in --version */
    const char *usage;        /* --help's text before its list of options */
    const wc_option *options; /* with "help" and "version" flags */
    const char *env_prefix;   /* "WIDGET_VERIFY_" */
} wc_tool;

/* The AWS options of a tool whose config struct T has profile, region and endpoint_url. */
/* clang-format off */
#define WC_TOOL_AWS_OPTIONS(T)                                                                     \
    WC_ENV_OPT("profile", "p", "NAME", "AWS_PROFILE", offsetof(T, profile), "AWS profile"),        \
    WC_ENV_OPT("region", "r", "REGION", "AWS_REGION", offsetof(T, region), "AWS region"),          \
    WC_STR_OPT("endpoint-url", NULL, "URL", NULL, offsetof(T, endpoint_url), "send every AWS call to URL (local stand-ins)")
/* clang-format on */

/* Starts a tool: its log (only the library's warnings and errors reach stderr), then its options
 * into config (zeroed by the caller; no positional parameters). Returns -1 when the tool goes on,
 * else its exit status: 0 after --help or --version was printed, 2 after a bad option was said on
 * stderr. */
int wc_tool_start(const wc_tool *tool, void *config, int argc, char **argv);

#endif
