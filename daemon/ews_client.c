/*
 * ews_client: post an EWS envelope, parse and classify the answer (see ews_client.h).
 */
#include "ews_client.h"

#include <ev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "oauth2.h"
#include "util.h"

struct ews_call {
    char *operation;
    size_t expect_messages; /* response messages the request calls for */
    ews_call_cb cb;
    void *userdata;
    struct http_handle *http;
    struct http_client *client;
    struct ews_account account; /* its strings are borrowed, see ews_account */
    char *envelope;             /* kept for an OAuth2 call: sent again after invalid_token */
    struct oauth2 *tokens;      /* OAuth2 token source, or NULL */
    struct oauth2_wait *wait;   /* waiting for a token */
    char *token;                /* SECRET: the bearer token the request carries */
    bool token_retried;         /* a 401 invalid_token was already retried */
    char error[256];
};

const char *ews_call_status_str(enum ews_call_status status)
{
    switch (status) {
    case EWS_CALL_OK:
        return "ok";
    case EWS_CALL_FAULT:
        return "soap-fault";
    case EWS_CALL_AUTH:
        return "authentication-failed";
    case EWS_CALL_HTTP:
        return "http-error";
    case EWS_CALL_TRANSPORT:
        return "transport-error";
    case EWS_CALL_MALFORMED:
        return "malformed-response";
    }
    return "unknown";
}

/* The first message that did not succeed decides the call's code; warnings count as
 * failures because EWS uses them for partial results the caller must not take as done. */
static void classify_messages(struct ews_call_result *res)
{
    res->code = EWS_OK;
    for (size_t i = 0; i < res->response->n_messages; i++) {
        const struct ews_response_message *m = &res->response->messages[i];
        if (m->cls == EWS_CLASS_SUCCESS)
            continue;
        res->code = m->code;
        if (m->backoff_ms > res->backoff_ms)
            res->backoff_ms = m->backoff_ms;
        return;
    }
}

static void classify_response(struct ews_call *call, const struct http_response *resp,
                              struct ews_call_result *res)
{
    res->http_result = resp->result;
    res->http_status = resp->status;
    res->elapsed_s = resp->elapsed_s;
    res->code = EWS_ERROR_OTHER;

    if (resp->result != HTTP_OK) {
        res->status = EWS_CALL_TRANSPORT;
        snprintf(call->error, sizeof(call->error), "%s: %s", http_result_str(resp->result),
                 resp->error ? resp->error : "no answer");
        res->error = call->error;
        return;
    }
    res->body = resp->body;
    res->body_len = resp->body_len;
    if (resp->status == 401 || resp->status == 403) {
        res->status = EWS_CALL_AUTH;
        snprintf(call->error, sizeof(call->error), "HTTP %ld: the server refused the credentials",
                 resp->status);
        res->error = call->error;
        return;
    }
    /* EWS answers SOAP faults with HTTP 500, so a 500 is parsed before it is judged. */
    if (resp->status == 200 || resp->status == 500) {
        char perr[160] = "";
        struct ews_response *parsed = NULL;
        if (ews_parse_reply(resp->body, resp->body_len, call->operation, call->expect_messages,
                            &parsed, perr, sizeof(perr)) == 0) {
            res->response = parsed;
            if (parsed->is_fault) {
                res->status = EWS_CALL_FAULT;
                res->code = parsed->fault_code;
                res->backoff_ms = parsed->fault_backoff_ms;
                snprintf(call->error, sizeof(call->error), "SOAP fault %s: %s",
                         parsed->fault_code_text ? parsed->fault_code_text : "?",
                         parsed->fault_string ? parsed->fault_string : "");
                res->error = call->error;
            } else {
                res->status = EWS_CALL_OK;
                classify_messages(res);
            }
            return;
        }
        if (resp->status == 200) {
            res->status = EWS_CALL_MALFORMED;
            snprintf(call->error, sizeof(call->error), "malformed %s response: %s", call->operation,
                     perr);
            res->error = call->error;
            return;
        }
    }
    res->status = EWS_CALL_HTTP;
    /* Saturated: a Retry-After past UINT_MAX ms must not wrap into a short one. */
    if (resp->retry_after_s > 0)
        res->backoff_ms = resp->retry_after_s >= (long)(UINT_MAX / 1000)
                              ? UINT_MAX
                              : (unsigned)(resp->retry_after_s * 1000);
    snprintf(call->error, sizeof(call->error), "HTTP %ld from the server", resp->status);
    res->error = call->error;
}

/* Reads may be re-sent by the HTTP layer when a kept-alive connection died; everything
 * else (answers, updates, deletions, forwards) leaves at most once (http.h, idempotent). */
static bool operation_is_read(const char *operation)
{
    return strncmp(operation, "Get", 3) == 0 || strncmp(operation, "Find", 4) == 0 ||
           strcmp(operation, "ResolveNames") == 0;
}

/* classify_response(), and a connection whose response could not be used is discarded: it
 * carries nothing more that can be trusted. */
static void classify(struct ews_call *call, const struct http_response *resp,
                     struct ews_call_result *res)
{
    classify_response(call, resp, res);
    if (res->status == EWS_CALL_MALFORMED || res->status == EWS_CALL_FAULT)
        http_response_discard_connection(resp);
}

static void call_free(struct ews_call *call)
{
    oauth2_cancel(call->wait);
    free(call->envelope);
    util_secure_free(call->token);
    free(call->operation);
    free(call);
}

static void deliver(struct ews_call *call, struct ews_call_result *res)
{
    metrics_ews_request(call->operation, res->status, res->elapsed_s);
    call->cb(res, call->userdata);
    ews_response_free(res->response);
    call_free(call);
}

static int submit_http(struct ews_call *call);

bool ews_token_invalid(const struct http_response *resp)
{
    return resp->result == HTTP_OK && resp->status == 401 && resp->bearer_challenge &&
           strstr(resp->bearer_challenge, "error=\"invalid_token\"") != NULL;
}

static void on_http_done(const struct http_response *resp, void *userdata)
{
    struct ews_call *call = userdata;
    call->http = NULL;
    if (call->tokens && !call->token_retried && ews_token_invalid(resp)) {
        call->token_retried = true;
        oauth2_reject(call->tokens, call->token);
        if (submit_http(call) == 0)
            return;
    }
    struct ews_call_result res = {0};
    classify(call, resp, &res);
    res.affinity_cookie = resp->affinity_cookie;
    deliver(call, &res);
}

/* A call that ends before any EWS answer (no token, or nothing could be submitted). */
static void fail_early(struct ews_call *call, enum ews_call_status status, const char *what,
                       const char *why)
{
    struct ews_call_result res = {0};
    res.status = status;
    res.code = EWS_ERROR_OTHER;
    res.http_result = status == EWS_CALL_AUTH ? HTTP_OK : HTTP_ERR_CONNECT;
    snprintf(call->error, sizeof(call->error), "%s: %s", what, why ? why : "failed");
    res.error = call->error;
    deliver(call, &res);
}

static void on_token(enum oauth2_status status, const char *token, const char *error,
                     void *userdata)
{
    struct ews_call *call = userdata;
    call->wait = NULL;
    if (status == OAUTH2_OK) {
        util_secure_free(call->token);
        call->token = xstrdup(token);
        if (submit_http(call) == 0)
            return;
        fail_early(call, EWS_CALL_TRANSPORT, "the request could not be submitted", NULL);
        return;
    }
    fail_early(call, status == OAUTH2_REFUSED ? EWS_CALL_AUTH : EWS_CALL_TRANSPORT,
               "OAuth2 token request", error);
}

/*
 * Submits the HTTP request; with OAuth2 it carries a fresh token, or first waits for one
 * (then on_token submits). Returns 0, or -1 when nothing was submitted.
 */
static int submit_http(struct ews_call *call)
{
    const struct ews_account *a = &call->account;
    const char *token = NULL;
    if (call->tokens) {
        token = oauth2_fresh_token(call->tokens);
        if (token == NULL)
            return oauth2_wait_token(call->tokens, on_token, call, &call->wait);
        if (call->token != token) {
            util_secure_free(call->token);
            call->token = xstrdup(token);
        }
    }
    char *bearer = call->tokens ? xasprintf("Authorization: Bearer %s", call->token) : NULL;
    char *routing[EWS_ROUTING_HEADERS_MAX];
    size_t n_routing = ews_routing_headers(a, routing);
    const char *headers[EWS_ROUTING_HEADERS_MAX + 2] = {NULL};
    size_t n = 0;
    if (bearer)
        headers[n++] = bearer;
    for (size_t i = 0; i < n_routing; i++)
        headers[n++] = routing[i];
    struct http_request req = {
        .url = a->url,
        .body = call->envelope,
        .body_len = strlen(call->envelope),
        .auth = a->auth,
        .username = a->username,
        .password = a->password,
        .headers = headers,
        .idempotent = operation_is_read(call->operation),
    };
    int rc = http_submit(call->client, &req, on_http_done, call, &call->http);
    util_secure_free(bearer);
    ews_routing_headers_free(routing, n_routing);
    return rc;
}

size_t ews_routing_headers(const struct ews_account *a, char **out)
{
    size_t n = 0;
    const char *anchor = a->affinity_anchor ? a->affinity_anchor : a->impersonate;
    if (anchor)
        out[n++] = xasprintf("X-AnchorMailbox: %s", anchor);
    if (a->affinity_anchor)
        out[n++] = xstrdup("X-PreferServerAffinity: true");
    if (a->affinity_anchor && a->affinity_cookie)
        out[n++] = xasprintf("Cookie: X-BackEndOverrideCookie=%s", a->affinity_cookie);
    return n;
}

void ews_routing_headers_free(char **headers, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(headers[i]);
}

int ews_call_take(struct http_client *http, const struct ews_account *account,
                  const char *operation, char *envelope, ews_call_cb cb, void *userdata,
                  struct ews_call **handle_out)
{
    if (envelope == NULL)
        return -1;
    struct ews_call *call = xcalloc(1, sizeof(*call));
    call->operation = xstrdup(operation);
    call->expect_messages = ews_request_message_count(envelope, strlen(envelope));
    call->cb = cb;
    call->userdata = userdata;
    call->client = http;
    call->account = *account;
    call->envelope = envelope;
    if (account->oauth2) {
        char err[256];
        call->tokens = oauth2_shared(http, account->oauth2, err, sizeof(err));
        if (call->tokens == NULL) {
            log_error("OAuth2: %s", err);
            call_free(call);
            return -1;
        }
    }
    int rc = submit_http(call);
    if (call->tokens == NULL) { /* only an OAuth2 call may need its envelope again */
        free(call->envelope);
        call->envelope = NULL;
    }
    if (rc != 0) {
        call_free(call);
        return -1;
    }
    if (handle_out)
        *handle_out = call;
    return 0;
}

void ews_call_cancel(struct ews_call *call)
{
    if (call == NULL)
        return;
    if (call->http)
        http_cancel(call->http);
    call_free(call); /* also cancels a wait for a token */
}

struct wait_state {
    bool done;
    struct ews_call_result *result;
};

static void on_wait_done(struct ews_call_result *res, void *userdata)
{
    struct wait_state *w = userdata;
    *w->result = *res;
    res->response = NULL; /* the waiting caller owns it now */
    if (res->error) {
        snprintf(w->result->error_text, sizeof(w->result->error_text), "%s", res->error);
        w->result->error = w->result->error_text;
    }
    w->done = true;
}

int ews_call_wait_take(struct ev_loop *loop, struct http_client *http,
                       const struct ews_account *account, const char *operation, char *envelope,
                       struct ews_call_result *result)
{
    /* On the stack: the loop runs until the callback filled it, and a submission that
     * failed never calls back. */
    struct wait_state w = {0};
    memset(result, 0, sizeof(*result));
    w.result = result;
    if (ews_call_take(http, account, operation, envelope, on_wait_done, &w, NULL) != 0) {
        result->status = EWS_CALL_TRANSPORT;
        result->error = "the request could not be submitted";
        return -1;
    }
    while (!w.done)
        ev_run(loop, EVRUN_ONCE);
    return result->status == EWS_CALL_OK ? 0 : -1;
}
