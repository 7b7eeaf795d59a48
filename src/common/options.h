/* options.h - command-line options declared once, in a table.
 *
 * Each program describes its options in one array of wc_option; parsing, defaults, environment
 * variables and --help all come from that array. Values are written into the program's config
 * struct at the given offsetof(). Strings are borrowed (argv, environ or the default literal):
 * they live as long as the process.
 *
 * Accepted forms: --long VALUE, --long=VALUE, -short VALUE (e.g. -rb BUCKET, as the original
 * course tools took), and "--" to end options. Anything else is positional.
 */
#ifndef WC_OPTIONS_H
#define WC_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

typedef enum {
    WC_OPT_FLAG,   /* int, set to 1 when given */
    WC_OPT_STRING, /* const char * */
    WC_OPT_UINT    /* uint64_t, decimal */
} wc_opt_type;

typedef struct {
    const char *long_name;  /* "request-bucket" */
    const char *short_name; /* "rb", or NULL */
    wc_opt_type type;
    const char *arg_name;      /* "BUCKET", shown in --help */
    const char *default_value; /* as text; NULL = none */
    const char *env;           /* environment variable read when the option is not given, or NULL */
    size_t offset;             /* where the value goes in the config struct */
    const char *help;
} wc_option;

/* A table's rows, one a line (git's OPT_* are the model): long name, short name (NULL: none), the
 * argument's name, the default as text (NULL: none), where the value goes (offsetof), the help.
 * WC_ENV_OPT: a string option without a default, also read from the environment variable env. */
/* clang-format off */
#define WC_STR_OPT(lng, shrt, arg, def, off, help)  {lng, shrt, WC_OPT_STRING, arg, def, NULL, off, help}
#define WC_UINT_OPT(lng, shrt, arg, def, off, help) {lng, shrt, WC_OPT_UINT, arg, def, NULL, off, help}
#define WC_ENV_OPT(lng, shrt, arg, env, off, help)  {lng, shrt, WC_OPT_STRING, arg, NULL, env, off, help}
#define WC_FLAG_OPT(lng, shrt, off, help)           {lng, shrt, WC_OPT_FLAG, NULL, NULL, NULL, off, help}
#define WC_OPTIONS_END                              {NULL, NULL, WC_OPT_FLAG, NULL, NULL, NULL, 0, NULL}
/* clang-format on */

/* The last rows of a program's table: --version, --help (-h), then the end; T is its config
 * struct, with int version and help. */
#define WC_OPTIONS_VERSION_HELP_END(T)                                                             \
    WC_FLAG_OPT("version", NULL, offsetof(T, version), "print the version and exit"),              \
        WC_FLAG_OPT("help", "h", offsetof(T, help), "print this help and exit"), WC_OPTIONS_END

/* Fills config from defaults, then the environment, then argv[1..]. Positional arguments are
 * gathered, in order, into positional[] (up to max_positional; more is an error).
 * On error: a one-line message naming the option, WC_ERR_INVALID.
 * Every option may also come from the environment variable env_prefix + its long name in
 * capitals with '-' as '_' (with "WIDGET_CONSUMER_": --concurrency from
 * WIDGET_CONSUMER_CONCURRENCY), except --help and --version. Order: argv, that variable, the
 * option's own env (AWS_REGION), the default. An empty variable counts as unset; a flag's
 * variable is true/yes/on/1 or false/no/off/0. env_prefix NULL: only the options' own env. */
wc_result wc_options_parse_env(const wc_option *table, const char *env_prefix, void *config,
                               int argc, char **argv, const char **positional, int max_positional,
                               int *npositional, wc_error *err);

/* Prints one line per option: its forms, argument, default and environment variables (with
 * env_prefix's, unless NULL). */
void wc_options_help_env(const wc_option *table, const char *env_prefix, FILE *out);

/* Parses a whole decimal number; rejects signs, blanks, trailing text and overflow. */
wc_result wc_parse_uint(const char *text, uint64_t *out);

/* Where the value of the string option long_name lives in config, or NULL when the table has
 * no such string option (for code that picks options by name, such as the backend registries). */
const char **wc_options_string_field(const wc_option *table, void *config, const char *long_name);
/* The same for a flag (--help): where its int lives, or NULL. */
int *wc_options_flag_field(const wc_option *table, void *config, const char *long_name);

#endif
