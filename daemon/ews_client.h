/*
 * ews_client: one EWS operation as one asynchronous call.
 *
 * Glues the pure protocol layer (ews_build / ews_parse) to the HTTP client: the caller hands
 * in a finished SOAP envelope, the call posts it with the account's credentials, parses the
 * answer hardened and classifies the outcome into what the caller can act on. Nothing here
 * knows about mailboxes or policy; meetingd and meetingctl both use it.
 */
#ifndef MEETINGD_EWS_CLIENT_H
#define MEETINGD_EWS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "ews_error.h"
#include "ews_parse.h"
#include "http.h"

struct ev_loop;
struct oauth2_params;

/* How to reach one mailbox. Borrowed strings; they must outlive every call made with it. */
struct ews_account {
    const char *url; /* https://host/EWS/Exchange.asmx */
    enum http_auth auth;
    const char *username;       /* the login: the mailbox itself or the service account */
    const char *password;       /* secret; never logged */
    const char *impersonate;    /* SMTP address to act for (ExchangeImpersonation), or NULL */
    const char *server_version; /* RequestServerVersion, e.g. "Exchange2013_SP1" */
    /* OAuth2 app credentials (auth is then HTTP_AUTH_NONE and every call carries a bearer
     * token from the shared token source), or NULL. */
    const struct oauth2_params *oauth2;
    /* Affinity of a group of subscriptions ("Maintain affinity between a group of
     * subscriptions and the Mailbox server"): the group's anchor mailbox, sent as
     * X-AnchorMailbox with X-PreferServerAffinity: true instead of the impersonated
     * address, and the X-BackEndOverrideCookie its Subscribe got (sent as a cookie), or
     * NULL. */
    const char *affinity_anchor;
    const char *affinity_cookie;
};

enum ews_call_status {
    EWS_CALL_OK,        /* a well-formed EWS response; check its messages (response) */
    EWS_CALL_FAULT,     /* a SOAP fault; code and backoff_ms say which */
    EWS_CALL_AUTH,      /* HTTP 401/403: wrong credentials */
    EWS_CALL_HTTP,      /* another HTTP status without a parsable EWS body */
    EWS_CALL_TRANSPORT, /* no complete answer: timeout, reset, connect or TLS failure */
    EWS_CALL_MALFORMED, /* a body that is not a valid EWS response for the operation */
};

struct ews_call_result {
    enum ews_call_status status;
    long http_status;
    enum http_result http_result;
    /* EWS_CALL_FAULT: the fault's code. EWS_CALL_OK: the first non-success message's code, or
     * EWS_OK when every message succeeded. Otherwise EWS_ERROR_OTHER. */
    enum ews_error code;
    unsigned backoff_ms; /* server-requested back-off (ErrorServerBusy), 0 if none */
    const char *error;   /* human-readable reason for a failure, NULL on success */
    /* The parsed response (EWS_CALL_OK and EWS_CALL_FAULT), owned by the call and freed after
     * the callback returns; a callback may keep it by setting the field to NULL. */
    struct ews_response *response;
    double elapsed_s;
    /* The answer's bytes (HTTP_OK), valid in the callback only: for readers of elements the
     * response parser leaves out (Subscribe's SubscriptionId). */
    const char *body;
    size_t body_len;
    const char *affinity_cookie; /* the X-BackEndOverrideCookie set, or NULL (callback only) */
    char error_text[256];        /* ews_call_wait_take(): where error points */
};

typedef void (*ews_call_cb)(struct ews_call_result *result, void *userdata);

/*
 * Posts ENVELOPE (ownership moves to the call; freed in every case) for OPERATION (the
 * operation name the response element must carry, e.g. "FindItem"). CB runs once from the
 * loop with the outcome. HANDLE_OUT (optional) receives a handle for ews_call_cancel() valid
 * until the callback starts. Returns 0, or -1 when nothing was submitted (no callback).
 *
 * With OAuth2 the call first waits for a token when none is fresh (a refused token request
 * is EWS_CALL_AUTH), and a 401 invalid_token (an expired or revoked token) is retried once
 * with a new one: EWS refused that request before acting on it. With impersonation every
 * call sends X-AnchorMailbox, by which Exchange Online routes it.
 */
struct ews_call;
int ews_call_take(struct http_client *http, const struct ews_account *account,
                  const char *operation, char *envelope, ews_call_cb cb, void *userdata,
                  struct ews_call **handle_out);

/* Cancels a call whose callback has not run; the callback is not called. */
void ews_call_cancel(struct ews_call *call);

/*
 * For command-line tools: posts ENVELOPE (taken) and runs LOOP until the answer arrived.
 * Fills *RESULT; the caller owns RESULT->response (free with ews_response_free) and
 * RESULT->error points to a static string or into RESULT itself.
 * Returns 0 when the call completed with EWS_CALL_OK, -1 otherwise.
 */
int ews_call_wait_take(struct ev_loop *loop, struct http_client *http,
                       const struct ews_account *account, const char *operation, char *envelope,
                       struct ews_call_result *result);

/*
 * The routing headers of a request as ACCOUNT: X-AnchorMailbox (the affinity anchor, else
 * the impersonated mailbox); with an affinity anchor also X-PreferServerAffinity: true and
 * the affinity cookie. Fills OUT (room for EWS_ROUTING_HEADERS_MAX) with "Name: value"
 * strings and returns how many; free them with ews_routing_headers_free.
 */
#define EWS_ROUTING_HEADERS_MAX 3
size_t ews_routing_headers(const struct ews_account *account, char **out);
void ews_routing_headers_free(char **headers, size_t n);

/* An expired or revoked token (RFC 6750 error="invalid_token"), not wrong credentials: the
 * request may be sent once more with a new token. */
bool ews_token_invalid(const struct http_response *resp);

/* Static name of a status, for logs. */
const char *ews_call_status_str(enum ews_call_status status);

#endif
