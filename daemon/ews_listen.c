/*
 * ews_listen: one GetStreamingEvents connection (see ews_listen.h). Its steps:
 *
 *   TOKEN      OAuth2 only: waiting for a token (the shared source fetches one)
 *   STREAMING  the request is out; envelopes are read as they arrive
 *
 * and the end (on_end, then the listen frees itself). With OAuth2 the ConnectionTimeout is
 * bounded by how long the token stays fresh, so that the server closes the connection
 * (ConnectionStatus Closed: nothing lost) before the token runs out, and the next one
 * carries a new token; a 401 invalid_token (revoked) drops the token and asks once more.
 */
#include "ews_listen.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "oauth2.h"
#include "ews_stream.h"
#include "ews_sync.h"
#include "util.h"

#define MAX_ENVELOPE_BYTES (4u * 1024 * 1024)
#define MAX_CONNECTIONS 1024u /* 200 subscriptions each: far beyond 10,000 mailboxes */

enum listen_step { LISTEN_TOKEN, LISTEN_STREAMING };

struct ews_listen {
    struct ev_loop *loop;
    enum listen_step step;
    struct ews_account account; /* borrowed strings: the backend outlives the listen */
    char *anchor, *cookie;      /* the group's affinity (account.affinity_*) */
    char **ids;
    size_t n_ids;
    int minutes;              /* the longest ConnectionTimeout asked */
    struct oauth2 *tokens;    /* OAuth2 token source, or NULL */
    struct oauth2_wait *wait; /* LISTEN_TOKEN */
    char *token;              /* SECRET: the bearer token the request carries */
    bool token_retried;       /* a 401 invalid_token was already asked again */
    struct http_handle *http; /* NULL once the transfer ended */
    struct ews_stream_splitter *split;
    ev_timer read; /* 0 s: read what arrived, outside libcurl */
    struct backend_listen_events ev;
    void *ud;
    bool broken;      /* bytes that are not a stream of envelopes, or a failure message */
    bool closed_seen; /* ConnectionStatus Closed arrived */
    bool transfer_ok; /* the transfer ended with a complete 200 response */
    char why[160];
};

static struct http_client *stream_client;

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static struct http_client *client_for(struct ev_loop *loop, const struct ews_listen_options *o)
{
    if (stream_client == NULL) {
        struct http_client_options hopts = {
            .max_concurrent = MAX_CONNECTIONS,
            .timeout_s = (EWS_STREAMING_MAX_MINUTES + 2) * 60.0,
            .connect_timeout_s = o->connect_timeout_s,
            .tls_insecure = o->tls_insecure,
            .ca_file = o->ca_file,
        };
        stream_client = http_client_new(loop, &hopts);
    }
    return stream_client;
}

void ews_listen_client_shutdown(void)
{
    http_client_free(stream_client);
    stream_client = NULL;
}

static void fail(struct ews_listen *l, const char *why)
{
    if (!l->broken)
        snprintf(l->why, sizeof(l->why), "%s", why);
    l->broken = true;
}

static void on_data(const char *data, size_t len, void *userdata)
{
    struct ews_listen *l = userdata;
    if (l->broken)
        return;
    if (ews_stream_splitter_feed(l->split, data, len) != 0)
        fail(l, "the server sent something that is not a stream of SOAP envelopes");
    ev_timer_start(l->loop, &l->read);
}

static int submit(struct ews_listen *l);

static void on_http_done(const struct http_response *resp, void *userdata)
{
    struct ews_listen *l = userdata;
    l->http = NULL;
    if (l->tokens && !l->token_retried && !l->broken && ews_token_invalid(resp)) {
        /* Revoked or expired early: the server refused the request before streaming
         * anything (an error status's body is not handed to on_data). */
        l->token_retried = true;
        oauth2_reject(l->tokens, l->token);
        log_debug("streaming notifications: the server refused the access token; asking "
                  "again with a new one");
        if (submit(l) == 0)
            return;
    }
    l->transfer_ok = resp->result == HTTP_OK && resp->status == 200;
    if (!l->transfer_ok && l->why[0] == '\0') {
        if (resp->result == HTTP_OK)
            snprintf(l->why, sizeof(l->why), "HTTP status %ld", resp->status);
        else
            snprintf(l->why, sizeof(l->why), "%s", resp->error);
    }
    /* An error status's SOAP answer (a fault, ErrorServerBusy) says more: it is read like
     * the stream's envelopes, and its code becomes the reason. */
    if (!l->broken && resp->result == HTTP_OK && resp->status != 200 && resp->body_len > 0 &&
        resp->content_type != NULL && strstr(resp->content_type, "xml") != NULL)
        ews_stream_splitter_feed(l->split, resp->body, resp->body_len);
    ev_timer_start(l->loop, &l->read);
}

static void free_listen(struct ews_listen *l)
{
    ev_timer_stop(l->loop, &l->read);
    if (l->http)
        http_cancel(l->http);
    oauth2_cancel(l->wait);
    util_secure_free(l->token);
    free(l->anchor);
    free(l->cookie);
    for (size_t i = 0; i < l->n_ids; i++)
        free(l->ids[i]);
    free(l->ids);
    ews_stream_splitter_free(l->split);
    free(l);
}

void ews_listen_stop(struct ews_listen *l)
{
    if (l != NULL)
        free_listen(l);
}

/* One message of an envelope: events, lost subscriptions, heartbeats, the end. */
static void read_message(struct ews_listen *l, const struct ews_stream_message *msg)
{
    if (msg->code_text && ews_stream_code_means_subscription_lost(msg->code_text)) {
        for (size_t i = 0; i < msg->n_error_subscription_ids; i++)
            l->ev.on_lost(msg->error_subscription_ids[i], l->ud);
    } else if (msg->cls == EWS_CLASS_ERROR) {
        char why[128];
        snprintf(why, sizeof(why), "the server answered %s",
                 msg->code_text ? msg->code_text : "an error");
        fail(l, why);
        return;
    }
    for (size_t i = 0; i < msg->n_events; i++)
        if (msg->events[i].subscription_id && msg->events[i].type != EWS_EVENT_STATUS)
            l->ev.on_event(msg->events[i].subscription_id, l->ud);
    if (msg->status == EWS_CONNECTION_CLOSED)
        l->closed_seen = true;
}

static void read_envelopes(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ews_listen *l = w->data;
    const char *env;
    size_t len;
    int rc;
    while (!l->broken && (rc = ews_stream_splitter_next(l->split, &env, &len)) == 1) {
        struct ews_stream_envelope *e = NULL;
        char err[160];
        if (ews_parse_stream_envelope(env, len, &e, err, sizeof(err)) != 0) {
            fail(l, err);
            break;
        }
        if (e->is_fault)
            fail(l, e->fault_code_text ? e->fault_code_text : "a SOAP fault");
        bool heartbeat = e->n_messages > 0;
        for (size_t i = 0; !l->broken && i < e->n_messages; i++) {
            read_message(l, &e->messages[i]);
            heartbeat &= e->messages[i].status == EWS_CONNECTION_OK && e->messages[i].n_events == 0;
        }
        ews_stream_envelope_free(e);
        if (!l->broken) /* a fault or an error is no sign of a working connection */
            l->ev.on_alive(heartbeat, l->ud);
    }
    if (!l->broken && l->http != NULL)
        return; /* more to come */
    bool closed = !l->broken && l->closed_seen && l->transfer_ok;
    if (!closed && l->why[0] == '\0')
        snprintf(l->why, sizeof(l->why), "the connection ended without ConnectionStatus Closed");
    l->ev.on_end(closed, l->why, l->ud);
    free_listen(l);
}

/* The ConnectionTimeout: with OAuth2 no longer than the token stays fresh (at least one
 * minute, the least the server takes; a token's fresh span leaves a fifth of its life, more
 * than a minute for any token that lives five minutes or more). */
static int connection_minutes(const struct ews_listen *l)
{
    if (l->tokens == NULL)
        return l->minutes;
    int fresh = (int)(oauth2_fresh_for_s(l->tokens) / 60.0);
    if (fresh < l->minutes)
        log_debug("streaming notifications: the connection lasts %d minute(s), while the "
                  "access token is fresh",
                  fresh < 1 ? 1 : fresh);
    return fresh < 1 ? 1 : fresh < l->minutes ? fresh : l->minutes;
}

/* Sends the request (LISTEN_STREAMING). Returns 0, or -1 when nothing was submitted. */
static int send_request(struct ews_listen *l)
{
    const struct ews_account *a = &l->account;
    struct ews_context ctx = {.server_version = a->server_version,
                              .impersonate_address = a->impersonate};
    char *envelope = ews_build_get_streaming_events(&ctx, (const char *const *)l->ids, l->n_ids,
                                                    connection_minutes(l));
    if (envelope == NULL)
        return -1;
    char *bearer = l->token ? xasprintf("Authorization: Bearer %s", l->token) : NULL;
    char *routing[EWS_ROUTING_HEADERS_MAX];
    size_t n_routing = ews_routing_headers(a, routing);
    const char *headers[EWS_ROUTING_HEADERS_MAX + 2] = {NULL};
    size_t n = 0;
    for (size_t i = 0; i < n_routing; i++)
        headers[n++] = routing[i];
    if (bearer)
        headers[n++] = bearer;
    struct http_request req = {
        .url = a->url,
        .body = envelope,
        .body_len = strlen(envelope),
        .auth = a->auth,
        .username = a->username,
        .password = a->password,
        .headers = headers,
        .timeout_s = l->minutes * 60.0 + 60.0,
        .idempotent = true, /* reading events twice loses nothing */
        .on_data = on_data,
    };
    l->step = LISTEN_STREAMING;
    int rc = http_submit(stream_client, &req, on_http_done, l, &l->http);
    util_secure_free(bearer);
    ews_routing_headers_free(routing, n_routing);
    free(envelope);
    if (rc != 0)
        l->http = NULL;
    return rc;
}

/* The request carries a copy of TOKEN (the source's own may be replaced meanwhile). */
static void use_token(struct ews_listen *l, const char *token)
{
    if (l->token == token)
        return;
    util_secure_free(l->token);
    l->token = xstrdup(token);
}

static void on_token(enum oauth2_status status, const char *token, const char *error,
                     void *userdata)
{
    struct ews_listen *l = userdata;
    l->wait = NULL;
    if (status == OAUTH2_OK) {
        use_token(l, token);
        if (send_request(l) == 0)
            return;
        error = "the request could not be submitted";
    }
    snprintf(l->why, sizeof(l->why), "OAuth2 token request: %s", error ? error : "failed");
    l->broken = true;
    ev_timer_start(l->loop, &l->read); /* ends it from the loop */
}

/* Submits with the credentials; with OAuth2 a fresh token first (LISTEN_TOKEN until one
 * came). Returns 0, or -1 when nothing was submitted. */
static int submit(struct ews_listen *l)
{
    if (l->tokens == NULL)
        return send_request(l);
    const char *token = oauth2_fresh_token(l->tokens);
    if (token == NULL) {
        l->step = LISTEN_TOKEN;
        return oauth2_wait_token(l->tokens, on_token, l, &l->wait);
    }
    use_token(l, token);
    return send_request(l);
}

struct ews_listen *ews_listen_start(struct ev_loop *loop, const struct ews_listen_options *opts,
                                    const struct ews_account *account, const char *const *ids,
                                    size_t n, int minutes, const struct backend_affinity *affinity,
                                    const struct backend_listen_events *ev, void *ud)
{
    if (client_for(loop, opts) == NULL || n == 0)
        return NULL;
    struct oauth2 *tokens = NULL;
    if (account->oauth2 != NULL) {
        char err[256];
        /* The ordinary requests' source: one token serves both. */
        tokens = oauth2_shared(opts->token_http, account->oauth2, err, sizeof(err));
        if (tokens == NULL) {
            log_error("OAuth2: %s", err);
            return NULL;
        }
    }
    struct ews_listen *l = xcalloc(1, sizeof(*l));
    l->loop = loop;
    l->account = *account;
    /* "Maintain affinity between a group of subscriptions and the Mailbox server": the
     * group's anchor and the cookie its Subscribe got route the request to the server that
     * holds the subscriptions (without a group, the impersonated mailbox anchors it). */
    l->anchor = dup_or_null(affinity && affinity->anchor ? affinity->anchor : account->impersonate);
    l->cookie = dup_or_null(affinity ? affinity->cookie : NULL);
    l->account.affinity_anchor = l->anchor;
    l->account.affinity_cookie = l->cookie;
    l->ids = xcalloc(n, sizeof(*l->ids));
    for (size_t i = 0; i < n; i++)
        l->ids[i] = xstrdup(ids[i]);
    l->n_ids = n;
    l->minutes = minutes;
    l->tokens = tokens;
    l->split = ews_stream_splitter_new(MAX_ENVELOPE_BYTES);
    l->ev = *ev;
    l->ud = ud;
    ev_timer_init(&l->read, read_envelopes, 0.0, 0.0);
    l->read.data = l;
    if (submit(l) != 0) {
        free_listen(l);
        return NULL;
    }
    return l;
}
