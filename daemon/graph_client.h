/*
 * graph_client: one Microsoft Graph request as one asynchronous call.
 *
 * The caller hands in a method, an absolute URL and a JSON body (or none); the call adds the
 * app-only bearer token from the shared OAuth2 token source (oauth2.h), the Prefer header
 * every meetingd request carries (immutable ids, times in UTC) and sends it. The answer is
 * passed on raw with its HTTP status: what a status means depends on the operation and is
 * decided by graph_backend. A 401 invalid_token is retried once with a new token (Graph
 * refused the request before acting on it).
 */
#ifndef MEETINGD_GRAPH_CLIENT_H
#define MEETINGD_GRAPH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct oauth2_params;
struct graph_call;

/* What every call sends: immutable ids (they survive moves between folders, so a ledger keyed
 * by them stays right), and dateTimeTimeZone values in UTC (graph_parse needs them so). */
#define GRAPH_PREFER "Prefer: IdType=\"ImmutableId\", outlook.timezone=\"UTC\""

struct graph_call_result {
    enum http_result http_result; /* HTTP_OK: status and body are set */
    long status;
    const char *body; /* NUL-terminated; valid during the callback */
    size_t body_len;
    unsigned retry_ms;  /* Retry-After, 0 when absent */
    bool token_refused; /* no token: the token endpoint refused the credentials */
    const char *error;  /* transport or token trouble, NULL otherwise */
};

typedef void (*graph_call_cb)(const struct graph_call_result *result, void *userdata);

/*
 * Sends METHOD (GET, POST, PATCH, DELETE) to URL (taken) with BODY (taken, JSON, or NULL).
 * Reads (GET) may be re-sent on a fresh connection by the HTTP layer; the others leave at
 * most once. CB runs once from the loop unless the call is cancelled. Returns 0, or -1 when
 * nothing was submitted (no callback).
 */
int graph_call_take(struct http_client *http, const struct oauth2_params *oauth2,
                    const char *method, char *url, char *body, graph_call_cb cb, void *userdata,
                    struct graph_call **handle_out);

/*
 * What a request does, for the metrics: METHOD and the URL's path after the version, without
 * its ids and without the mailbox ("GET mailFolders/inbox/messages/delta", "POST
 * events/accept", "POST $batch") into BUF.
 */
void graph_call_operation(const char *method, const char *url, char *buf, size_t len);

/* Cancels a call whose callback has not run; the callback is not called. */
void graph_call_cancel(struct graph_call *call);

#endif
