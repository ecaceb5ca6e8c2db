/*
 * ews_client: post an EWS envelope, parse and classify the answer (see ews_client.h).
 */
#include "ews_client.h"

#include <ev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

struct ews_call {
    char *operation;
    size_t expect_messages; /* response messages the request calls for */
    ews_call_cb cb;
    void *userdata;
    struct http_handle *http;
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
    free(call->operation);
    free(call);
}

static void on_http_done(const struct http_response *resp, void *userdata)
{
    struct ews_call *call = userdata;
    call->http = NULL;
    struct ews_call_result res = {0};
    classify(call, resp, &res);
    metrics_ews_request(call->operation, res.status, res.elapsed_s);
    call->cb(&res, call->userdata);
    ews_response_free(res.response);
    call_free(call);
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
    struct http_request req = {
        .url = account->url,
        .body = envelope,
        .body_len = strlen(envelope),
        .auth = account->auth,
        .username = account->username,
        .password = account->password,
        .idempotent = operation_is_read(operation),
    };
    int rc = http_submit(http, &req, on_http_done, call, &call->http);
    free(envelope); /* http_submit copied it */
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
    call_free(call);
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
