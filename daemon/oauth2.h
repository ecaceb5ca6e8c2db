/*
 * oauth2: app-only access tokens (OAuth2 client credentials grant, Microsoft Entra ID) for
 * EWS, fetched asynchronously through the HTTP client on the daemon's loop.
 *
 * One token source per set of app credentials, shared by every mailbox that uses them
 * (oauth2_shared). A token is kept in memory only, used until 80 % of its lifetime has
 * passed, then replaced by a new one before the next request; a token EWS refuses as
 * invalid_token is dropped once (oauth2_reject). While a token request is on its way, every
 * caller waits for that one request: there is never more than one in flight per source.
 * Secrets (client secret, private key, tokens) are never logged.
 */
#ifndef MEETINGD_OAUTH2_H
#define MEETINGD_OAUTH2_H

#include <stdbool.h>
#include <stddef.h>

struct http_client;
struct oauth2;
struct oauth2_wait;

#define OAUTH2_DEFAULT_SCOPE "https://outlook.office365.com/.default"
/* Microsoft's token endpoint of a tenant (a domain or a tenant id). */
#define OAUTH2_TOKEN_URL_FMT "https://login.microsoftonline.com/%s/oauth2/v2.0/token"

/* App credentials: a client secret, or a certificate and its private key (PEM files). */
struct oauth2_params {
    const char *token_url;     /* the tenant's token endpoint */
    const char *client_id;     /* the app (client) id */
    const char *client_secret; /* SECRET, or NULL when the certificate is used */
    const char *certificate;   /* PEM certificate file registered with the app, or NULL */
    const char *private_key;   /* its PEM private key file (a secret file), or NULL */
    const char *scope;         /* OAUTH2_DEFAULT_SCOPE when NULL */
};

enum oauth2_status {
    OAUTH2_OK,
    OAUTH2_REFUSED,   /* the token endpoint refused the credentials (4xx) */
    OAUTH2_FAILED,    /* no usable answer: transport error, 5xx, malformed JSON */
    OAUTH2_CANCELLED, /* the HTTP client shut down */
};

/* TOKEN (OAUTH2_OK only; valid during the callback) or ERROR (why, never a secret). */
typedef void (*oauth2_cb)(enum oauth2_status status, const char *token, const char *error,
                          void *userdata);

/*
 * The token source for PARAMS on HTTP: an existing one with the same parameters, or a new
 * one (the certificate and key are loaded now). NULL with ERR filled in when the key or
 * certificate cannot be loaded. Sources live until oauth2_shared_free(HTTP).
 */
struct oauth2 *oauth2_shared(struct http_client *http, const struct oauth2_params *params,
                             char *err, size_t errlen);

/* Frees every source made for HTTP; call before http_client_free(HTTP). */
void oauth2_shared_free(struct http_client *http);

/* A token that is still fresh (borrowed until the next call into this module), or NULL. */
const char *oauth2_fresh_token(struct oauth2 *source);

/*
 * Waits for a new token: CB runs once from the loop (never from inside this call) unless
 * the wait is cancelled. Returns 0, or -1 when no request could be submitted.
 */
int oauth2_wait_token(struct oauth2 *source, oauth2_cb cb, void *userdata,
                      struct oauth2_wait **handle_out);

/* Cancels a wait whose callback has not run. */
void oauth2_cancel(struct oauth2_wait *wait);

/* Seconds the token held now stays fresh (0 when there is none): what a long-lived request
 * carrying it may last. */
double oauth2_fresh_for_s(struct oauth2 *source);

/* EWS refused TOKEN as invalid_token: forget it so that the next caller fetches a new one. */
void oauth2_reject(struct oauth2 *source, const char *token);

/* Tokens fetched so far by SOURCE (tests and the status line). */
unsigned long oauth2_fetches(const struct oauth2 *source);

#endif
