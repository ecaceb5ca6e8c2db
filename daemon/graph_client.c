/*
 * graph_client: a Graph request with an app-only token (see graph_client.h).
 */
#include "graph_client.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "oauth2.h"
#include "util.h"

struct graph_call {
    struct http_client *client;
    struct http_handle *http;
    struct oauth2 *tokens;
    struct oauth2_wait *wait;
    char *method, *url, *body;
    char *token; /* SECRET: the bearer token the request carries */
    bool token_retried;
    graph_call_cb cb;
    void *userdata;
    char error[256];
};

static void call_free(struct graph_call *call)
{
    oauth2_cancel(call->wait);
    util_secure_free(call->token);
    free(call->method);
    free(call->url);
    free(call->body);
    free(call);
}

static void finish(struct graph_call *call, const struct graph_call_result *res)
{
    call->cb(res, call->userdata);
    call_free(call);
}

/* The call ends before Graph answered: no token, or nothing could be submitted. */
static void finish_early(struct graph_call *call, bool refused, const char *why)
{
    snprintf(call->error, sizeof(call->error), "OAuth2 token request: %s", why ? why : "failed");
    struct graph_call_result res = {
        .http_result = refused ? HTTP_OK : HTTP_ERR_CONNECT,
        .status = refused ? 401 : 0,
        .body = "",
        .token_refused = refused,
        .error = call->error,
    };
    finish(call, &res);
}

static int send_request(struct graph_call *call);

/* Graph answers an expired or revoked token with 401 InvalidAuthenticationToken, its
 * challenge without RFC 6750's error="invalid_token": any 401 gets one new token (wrong
 * credentials then fail at the token endpoint, where they belong). */
static bool token_expired(const struct http_response *resp)
{
    return resp->result == HTTP_OK && resp->status == 401;
}

static void on_response(const struct http_response *resp, void *userdata)
{
    struct graph_call *call = userdata;
    call->http = NULL;
    if (!call->token_retried && token_expired(resp)) {
        call->token_retried = true;
        oauth2_reject(call->tokens, call->token);
        if (send_request(call) == 0)
            return;
    }
    log_debug("graph: %s %s: %s %ld", call->method, call->url, http_result_str(resp->result),
              resp->status);
    char operation[128];
    graph_call_operation(call->method, call->url, operation, sizeof(operation));
    metrics_graph_request(operation, resp->result == HTTP_OK, resp->status, resp->elapsed_s);
    struct graph_call_result res = {
        .http_result = resp->result,
        .status = resp->status,
        .body = resp->body ? resp->body : "",
        .body_len = resp->body ? resp->body_len : 0,
        .error = resp->error,
    };
    if (resp->retry_after_s > 0)
        res.retry_ms = resp->retry_after_s >= (long)(UINT_MAX / 1000)
                           ? UINT_MAX
                           : (unsigned)(resp->retry_after_s * 1000);
    if (resp->result == HTTP_OK && resp->status >= 300)
        http_response_discard_connection(resp);
    finish(call, &res);
}

static void on_token(enum oauth2_status status, const char *token, const char *error,
                     void *userdata)
{
    struct graph_call *call = userdata;
    call->wait = NULL;
    if (status != OAUTH2_OK) {
        finish_early(call, status == OAUTH2_REFUSED, error);
        return;
    }
    util_secure_free(call->token);
    call->token = xstrdup(token);
    if (send_request(call) != 0)
        finish_early(call, false, "the request could not be submitted");
}

/* Sends the request with a fresh token, or first waits for one (on_token then sends). */
static int send_request(struct graph_call *call)
{
    const char *token = oauth2_fresh_token(call->tokens);
    if (token == NULL)
        return oauth2_wait_token(call->tokens, on_token, call, &call->wait);
    if (call->token != token) {
        util_secure_free(call->token);
        call->token = xstrdup(token);
    }
    char *bearer = xasprintf("Authorization: Bearer %s", call->token);
    const char *headers[] = {bearer, GRAPH_PREFER, "Accept: application/json", NULL};
    bool get = strcmp(call->method, "GET") == 0;
    struct http_request req = {
        .url = call->url,
        .body = call->body,
        .body_len = call->body ? strlen(call->body) : 0,
        .content_type = "application/json",
        .headers = headers,
        .idempotent = get,
        .method = get || strcmp(call->method, "POST") == 0 ? NULL : call->method,
    };
    int rc = http_submit(call->client, &req, on_response, call, &call->http);
    util_secure_free(bearer);
    return rc;
}

int graph_call_take(struct http_client *http, const struct oauth2_params *oauth2,
                    const char *method, char *url, char *body, graph_call_cb cb, void *userdata,
                    struct graph_call **handle_out)
{
    if (url == NULL) {
        free(body);
        return -1;
    }
    struct graph_call *call = xcalloc(1, sizeof(*call));
    call->client = http;
    call->method = xstrdup(method);
    call->url = url;
    call->body = body;
    call->cb = cb;
    call->userdata = userdata;
    char err[256];
    call->tokens = oauth2_shared(http, oauth2, err, sizeof(err));
    if (call->tokens == NULL) {
        log_error("OAuth2: %s", err);
        call_free(call);
        return -1;
    }
    /* A POST without a body still needs one for the HTTP layer to send a POST. */
    if (call->body == NULL && strcmp(method, "POST") == 0)
        call->body = xstrdup("{}");
    if (send_request(call) != 0) {
        call_free(call);
        return -1;
    }
    if (handle_out)
        *handle_out = call;
    return 0;
}

/* Collections whose next segment is an id: the id is left out. */
static bool names_an_id(const char *segment, size_t len)
{
    static const char *const collections[] = {"messages",  "events",   "groups",      "members",
                                              "calendars", "contacts", "attachments", "instances"};
    for (size_t i = 0; i < sizeof(collections) / sizeof(collections[0]); i++)
        if (strlen(collections[i]) == len && memcmp(collections[i], segment, len) == 0)
            return true;
    return false;
}

void graph_call_operation(const char *method, const char *url, char *buf, size_t len)
{
    const char *path = strstr(url, "/v1.0/");
    path = path ? path + strlen("/v1.0/") : "";
    size_t used = (size_t)snprintf(buf, len, "%s ", method);
    bool id_next = false, first = true;
    while (*path != '\0' && *path != '?' && used < len) {
        size_t n = strcspn(path, "/?");
        if (id_next && !(n == 5 && memcmp(path, "delta", 5) == 0)) {
            id_next = false; /* an id; "delta" is the collection's function */
        } else if (n == 5 && memcmp(path, "users", 5) == 0) {
            /* The mailbox (users/{id}) is left out whole: labels per mailbox are the mailbox
             * metrics' job. */
            id_next = true;
        } else if (n > 0) {
            used +=
                (size_t)snprintf(buf + used, len - used, "%s%.*s", first ? "" : "/", (int)n, path);
            first = false;
            id_next = names_an_id(path, n);
        }
        path += n;
        if (*path == '/')
            path++;
    }
}

void graph_call_cancel(struct graph_call *call)
{
    if (call == NULL)
        return;
    if (call->http)
        http_cancel(call->http);
    call_free(call);
}
