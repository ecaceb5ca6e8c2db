/*
 * krb5env: where Kerberos finds the service account's keys for auth = negotiate.
 *
 * libcurl's Negotiate asks GSS-API for the default initiator credentials. With MIT Kerberos
 * these come from a client keytab when KRB5_CLIENT_KTNAME names one: GSS-API gets a ticket
 * from it when there is none and gets a new one before the old one expires, so no kinit,
 * k5start or cron job is needed. The tickets go to a credential cache in this process's
 * memory, unless KRB5CCNAME names another (then whatever fills that cache - k5start,
 * gssproxy - is in charge).
 */
#ifndef MEETINGD_KRB5ENV_H
#define MEETINGD_KRB5ENV_H

struct conf_server;

/* Sets KRB5_CLIENT_KTNAME (and KRB5CCNAME when unset) for SRV's keytab; call once at
 * start-up, before any request. Does nothing unless auth = negotiate with a keytab. */
void krb5env_apply(const struct conf_server *srv);

#endif
