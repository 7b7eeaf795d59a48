/* credentials_env.c - the first source of the chain: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * (or AWS_SECRET_KEY) and AWS_SESSION_TOKEN. */
#include "aws/credentials.h"

#include <stdlib.h>

static void simple_destroy(wc_credential_provider *p)
{
    free(p);
}

static wc_result env_fetch(wc_credential_provider *self, wc_credentials *out, wc_error *err)
{
    const char *id = wc_cred_env("AWS_ACCESS_KEY_ID");
    const char *secret = wc_cred_env("AWS_SECRET_ACCESS_KEY");
    if (!secret)
        secret = wc_cred_env("AWS_SECRET_KEY");
    if (!id && !secret)
        return WC_ERR_NOT_FOUND;
    if (!id || !secret)
        return wc_error_set(err, WC_ERR_INVALID, "%s is set but %s is not",
                            id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            id ? "AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY)" : "AWS_ACCESS_KEY_ID");
    return wc_cred_fill(out, id, secret, wc_cred_env("AWS_SESSION_TOKEN"), NULL, "environment",
                        err);
}

wc_credential_provider *wc_credentials_from_env(void)
{
    wc_credential_provider *p = malloc(sizeof(*p));
    if (p)
        *p = (wc_credential_provider){"environment", env_fetch, NULL, NULL, simple_destroy};
    return p;
}
