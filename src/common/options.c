#include "common/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

wc_result wc_parse_uint(const char *text, uint64_t *out)
{
    if (!text || text[0] < '0' || text[0] > '9')
        return WC_ERR_INVALID;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return WC_ERR_INVALID;
    *out = (uint64_t)v;
    return WC_OK;
}

static wc_result set_value(const wc_option *opt, void *config, const char *value,
                           const char *given_as, wc_error *err)
{
    char *field = (char *)config + opt->offset;
    switch (opt->type) {
    case WC_OPT_FLAG:
        *(int *)field = 1;
        return WC_OK;
    case WC_OPT_STRING:
        *(const char **)field = value;
        return WC_OK;
    case WC_OPT_UINT: {
        uint64_t v;
        if (wc_parse_uint(value, &v) != WC_OK)
            return wc_error_set(err, WC_ERR_INVALID, "%s: \"%s\" is not a whole number", given_as,
                                value);
        *(uint64_t *)field = v;
        return WC_OK;
    }
    }
    return WC_ERR_INVALID;
}

static const wc_option *find_option(const wc_option *table, const char *arg, size_t len,
                                    int is_long)
{
    for (const wc_option *o = table; o->long_name; o++) {
        const char *name = is_long ? o->long_name : o->short_name;
        if (name && strlen(name) == len && strncmp(name, arg, len) == 0)
            return o;
    }
    return NULL;
}

/* The program's variable of an option (see wc_options_parse_env); "" when it has none. */
static void env_name(const char *prefix, const wc_option *o, char *out, size_t cap)
{
    out[0] = '\0';
    if (!prefix || strcmp(o->long_name, "help") == 0 || strcmp(o->long_name, "version") == 0)
        return;
    size_t n = (size_t)snprintf(out, cap, "%s%s", prefix, o->long_name);
    for (size_t i = strlen(prefix); i < n && i < cap; i++)
        out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
}

static wc_result set_flag_from_env(const wc_option *o, void *config, const char *var,
                                   const char *value, wc_error *err)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
            *(int *)((char *)config + o->offset) = strcasecmp(value, yes[i]) == 0;
            return WC_OK;
        }
    }
    return wc_error_set(err, WC_ERR_INVALID, "%s: \"%s\" is not true or false", var, value);
}

wc_result wc_options_parse_env(const wc_option *table, const char *env_prefix, void *config,
                               int argc, char **argv, const char **positional, int max_positional,
                               int *npositional, wc_error *err)
{
    *npositional = 0;
    for (const wc_option *o = table; o->long_name; o++) {
        char own[128];
        env_name(env_prefix, o, own, sizeof(own));
        const char *var = own;
        const char *env = own[0] ? getenv(own) : NULL;
        if (!env || !*env) {
            var = o->env;
            env = o->env ? getenv(o->env) : NULL;
        }
        if (env && *env && o->type == WC_OPT_FLAG) {
            if (set_flag_from_env(o, config, var, env, err) != WC_OK)
                return WC_ERR_INVALID;
            continue;
        }
        const char *value = (env && *env) ? env : o->default_value;
        if (value && o->type != WC_OPT_FLAG &&
            set_value(o, config, value, (env && *env) ? var : o->long_name, err) != WC_OK)
            return WC_ERR_INVALID;
    }
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            if (*npositional >= max_positional)
                return wc_error_set(err, WC_ERR_INVALID, "unexpected argument \"%s\"", arg);
            positional[(*npositional)++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        int is_long = arg[1] == '-';
        const char *name = arg + (is_long ? 2 : 1);
        const char *eq = is_long ? strchr(name, '=') : NULL;
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const wc_option *opt = find_option(table, name, len, is_long);
        if (!opt)
            return wc_error_set(err, WC_ERR_INVALID, "unknown option \"%s\" (see --help)", arg);
        const char *value = NULL;
        if (opt->type == WC_OPT_FLAG) {
            if (eq)
                return wc_error_set(err, WC_ERR_INVALID, "option --%s takes no value",
                                    opt->long_name);
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return wc_error_set(err, WC_ERR_INVALID, "option %s needs a value (%s)", arg,
                                opt->arg_name ? opt->arg_name : "VALUE");
        }
        if (set_value(opt, config, value, arg, err) != WC_OK)
            return WC_ERR_INVALID;
    }
    return WC_OK;
}

void wc_options_help_env(const wc_option *table, const char *env_prefix, FILE *out)
{
    for (const wc_option *o = table; o->long_name; o++) {
        char own[128];
        env_name(env_prefix, o, own, sizeof(own));
        char forms[96];
        snprintf(forms, sizeof(forms), "%s%s%s--%s%s%s", o->short_name ? "-" : "    ",
                 o->short_name ? o->short_name : "", o->short_name ? ", " : "", o->long_name,
                 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
        fprintf(out, "  %-40s %s", forms, o->help);
        if (o->default_value && *o->default_value)
            fprintf(out, " (default: %s)", o->default_value);
        if (own[0] || o->env)
            fprintf(out, " [env %s%s%s]", own, own[0] && o->env ? ", " : "", o->env ? o->env : "");
        fputc('\n', out);
    }
}

/* Where the value of the option long_name of that type lives in config, or NULL. */
static void *option_field(const wc_option *table, void *config, const char *long_name,
                          wc_opt_type type)
{
    for (const wc_option *o = table; o->long_name; o++)
        if (o->type == type && strcmp(o->long_name, long_name) == 0)
            return (char *)config + o->offset;
    return NULL;
}

const char **wc_options_string_field(const wc_option *table, void *config, const char *long_name)
{
    return option_field(table, config, long_name, WC_OPT_STRING);
}

int *wc_options_flag_field(const wc_option *table, void *config, const char *long_name)
{
    return option_field(table, config, long_name, WC_OPT_FLAG);
}
