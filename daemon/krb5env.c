/*
 * krb5env: the Kerberos environment of auth = negotiate (see the header).
 */
#include "krb5env.h"

#include <stdlib.h>

#include "conf.h"

void krb5env_apply(const struct conf_server *srv)
{
    if (srv->auth != CONF_AUTH_NEGOTIATE || srv->keytab == NULL)
        return;
    setenv("KRB5_CLIENT_KTNAME", srv->keytab, 1);
    /* A cache of our own: another program's tickets (a user's kinit) are not ours to use. */
    if (getenv("KRB5CCNAME") == NULL)
        setenv("KRB5CCNAME", "MEMORY:meetingd", 1);
}
