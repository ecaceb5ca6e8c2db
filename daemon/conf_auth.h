/*
 * conf_auth: the [server] keys each authentication scheme needs (basic and ntlm: username
 * with password_file; negotiate: username, and keytab or the credential cache; oauth2: an
 * app registration with a secret or a certificate, acting by impersonation). Internal to the
 * configuration module, called when a [server] section ends.
 */
#ifndef MEETINGD_CONF_AUTH_H
#define MEETINGD_CONF_AUTH_H

#include "conf_keys.h"

/* Checks [server] section S for its auth scheme; for oauth2 fills the server's oauth2. */
void conf_check_server_auth(struct parser *p, const struct sect *s);

#endif
