/*
 * ews_backend: the backend operations (backend.h) as EWS requests.
 *
 * Each operation builds one envelope (ews_build), posts it (ews_client) and translates the
 * answer into a struct backend_result: ResponseCodes into backend statuses, BackOffMilliseconds
 * and Retry-After into retry_ms, m:Items into items. The throttling keys name what Exchange
 * charges: the server's URL for the whole server, the logged-in account (delegate access) or
 * the impersonated mailbox for ErrorServerBusy, URL + scheme + login for the credentials.
 */
#ifndef MEETINGD_EWS_BACKEND_H
#define MEETINGD_EWS_BACKEND_H

#include "backend.h"
#include "http.h"

struct ews_backend_config {
    const char *url;
    enum http_auth auth;
    const char *auth_name; /* the scheme as logs name it ("ntlm") */
    const char *username;
    const char *password;       /* secret; copied, wiped when freed, never logged */
    const char *impersonate;    /* ExchangeImpersonation of this address, or NULL */
    const char *folder_owner;   /* delegate access: the mailbox whose folders are read */
    const char *server_version; /* RequestServerVersion */
    /* auth = oauth2: the app registration (borrowed from the configuration the poll holds) */
    const struct oauth2_params *oauth2;
    /* TLS of the streaming connections, which have an HTTP client of their own */
    bool tls_insecure;
    const char *ca_file;
};

/* A backend for one mailbox on HTTP (borrowed; it must outlive the backend). The strings of
 * CFG are copied. Free with b->ops->free(b). */
struct backend *ews_backend_new(struct http_client *http, const struct ews_backend_config *cfg);

#include "conf.h"

/* The backend of mailbox CM under CONF (mailbox_env.open_backend); HTTP is the struct
 * http_client. Delegate access reads the mailbox's folders with the login's rights;
 * impersonation acts as the mailbox. */
struct backend *ews_backend_open(const struct conf *conf, const struct conf_mailbox *cm,
                                 void *http);

/* The HTTP authentication of a configured scheme (meetingctl's accounts too). */
enum http_auth ews_backend_http_auth(enum conf_auth auth);

#endif
