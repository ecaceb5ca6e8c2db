/*
 * ews_listen: one streaming-notification connection (GetStreamingEvents) kept open.
 *
 * The request names up to EWS_STREAMING_MAX_SUBSCRIPTIONS subscriptions of one account and
 * stays open for its ConnectionTimeout; the server writes one SOAP envelope after another
 * (events, heartbeats, the final ConnectionStatus Closed). The bytes are cut into envelopes
 * (ews_stream_splitter) as they arrive and read after the transfer's callback returned (a
 * 0 s timer), so nothing runs inside libcurl.
 *
 * The connections use an HTTP client of their own (ews_listen_client_shutdown frees it):
 * they last up to 30 minutes and must not take the slots of the ordinary requests.
 */
#ifndef MEETINGD_EWS_LISTEN_H
#define MEETINGD_EWS_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "ews_client.h"

struct ev_loop;
struct ews_listen;

struct ews_listen_options {
    bool tls_insecure;
    const char *ca_file;
    double connect_timeout_s;
    struct http_client *token_http; /* the ordinary requests' client: its OAuth2 tokens */
};

/* Opens the connection for N subscription ids as ACCOUNT on LOOP, for up to MINUTES, with
 * the group's AFFINITY (X-AnchorMailbox, X-PreferServerAffinity, the X-BackEndOverrideCookie;
 * without one, or without its anchor, the impersonated mailbox anchors it). With
 * OAuth2 it first waits for a token when none is fresh (a token that cannot be had ends it
 * as broken), asks for no longer than the token stays fresh, and asks once more with a new
 * token after a 401 invalid_token. None of the callbacks may call ews_listen_stop(). NULL
 * when it cannot be opened. */
struct ews_listen *ews_listen_start(struct ev_loop *loop, const struct ews_listen_options *opts,
                                    const struct ews_account *account, const char *const *ids,
                                    size_t n, int minutes, const struct backend_affinity *affinity,
                                    const struct backend_listen_events *ev, void *ud);

/* Closes the connection; no callback runs after this. */
void ews_listen_stop(struct ews_listen *l);

/* Frees the connections' HTTP client at exit (every listen stopped before). */
void ews_listen_client_shutdown(void);

#endif
