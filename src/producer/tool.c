#include "producer/tool.h"

#include <stdio.h>

#include "common/log.h"
#include "common/version.h"

int wc_tool_start(const wc_tool *tool, void *config, int argc, char **argv)
{
    wc_log_open(WC_LOG_WARN, NULL, NULL);
    wc_error err;
    const char *pos[1];
    int npos = 0;
    if (wc_options_parse_env(tool->options, tool->env_prefix, config, argc, argv, pos, 0, &npos,
                             &err) != WC_OK) {
        fprintf(stderr, "%s: %s\n", tool->name, err.msg);
        return 2;
    }
    if (*wc_options_flag_field(tool->options, config, "help")) {
        printf("%s\nOptions:\n", tool->usage);
        wc_options_help_env(tool->options, tool->env_prefix, stdout);
        printf("\nEvery option may also come from its environment variable (the command line "
               "wins).\n");
        return 0;
    }
    if (*wc_options_flag_field(tool->options, config, "version")) {
        printf("%s %s\n", tool->name, WC_VERSION);
        return 0;
    }
    return -1;
}
