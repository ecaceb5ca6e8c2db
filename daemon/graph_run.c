/*
 * graph_run: sending a Graph backend call and turning its answers into a backend result
 * (see graph_backend_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_backend_int.h"
#include "graph_build.h"
#include "graph_parse.h"
#include "log.h"
#include "util.h"

bool graph_on_base(const struct graph_backend *b, const char *url)
{
    size_t n = strlen(b->base);
    return url != NULL && strncmp(url, b->base, n) == 0 && (url[n] == '/' || url[n] == '?');
}

/* ---- statuses --------------------------------------------------------------------------- */

/* The backend status of an item request's HTTP status. */
static enum backend_status item_status(long status)
{
    if (status >= 200 && status < 300)
        return BACKEND_OK;
    switch (status) {
    case 404:
    case 410:
        return BACKEND_ITEM_GONE;
    case 429:
        return BACKEND_BUSY; /* the app's budget on this mailbox */
    case 503:
    case 504:
        return BACKEND_SERVER;
    case 401:
        return BACKEND_AUTH;
    case 403:
        return BACKEND_ACCOUNT; /* the app may not use this mailbox (access policy, RBAC) */
    case 0:
        return BACKEND_FAILED; /* a $batch answer that left the request out */
    default:
        /* 400, 409, 412...: Graph refused this item; a 500 fails the request (its fate is
         * unknown; the ledger's intent makes the next poll verify it). */
        return status >= 500 ? BACKEND_FAILED : BACKEND_ITEM_REFUSED;
    }
}

/* The status of a whole request's answer (a page, a $batch): 404 means the mailbox. */
static enum backend_status request_status(const struct graph_call_result *res)
{
    if (res->token_refused)
        return BACKEND_AUTH;
    switch (res->http_result) {
    case HTTP_OK:
        break;
    case HTTP_ERR_TLS:
        return BACKEND_UNUSABLE;
    case HTTP_ERR_TOO_LARGE:
        return BACKEND_TOO_LARGE;
    default:
        return BACKEND_TRANSPORT;
    }
    if (res->status == 404)
        return BACKEND_ACCOUNT;
    if (res->status == 400 || res->status == 405)
        return BACKEND_FAILED;
    return item_status(res->status);
}

/* Notes why a request failed: Graph's error code and message when the body has them. */
static void note_error(struct backend_call *call, long status, const char *body)
{
    struct graph_error e;
    graph_parse_error(body ? body : "", body ? strlen(body) : 0, &e);
    snprintf(call->error, sizeof(call->error), "HTTP %ld %s%s%.160s", status, e.code ? e.code : "",
             e.message ? ": " : "", e.message ? e.message : "");
    graph_error_clear(&e);
    call->r.error = call->error;
}

/* ---- the call ---------------------------------------------------------------------------- */

struct backend_call *graph_run_new(struct graph_backend *b, enum graph_op op, backend_cb cb,
                                   void *ud)
{
    struct backend_call *call = xcalloc(1, sizeof(*call));
    call->b = b;
    call->op = op;
    call->cb = cb;
    call->ud = ud;
    call->max_chunk = GRAPH_BATCH_MAX;
    return call;
}

void graph_run_add(struct backend_call *call, const char *method, char *url, char *body,
                   bool gone_is_done)
{
    call->subs = xreallocarray(call->subs, call->n_subs + 1, sizeof(*call->subs));
    call->subs[call->n_subs++] = (struct graph_sub){method, url, body, gone_is_done, 0};
}

void graph_run_free(struct backend_call *call)
{
    if (call == NULL)
        return;
    graph_call_cancel(call->http);
    backend_result_clear(&call->r);
    for (size_t i = 0; i < call->n_subs; i++) {
        free(call->subs[i].url);
        free(call->subs[i].body);
    }
    free(call->subs);
    free(call->page_url);
    free(call);
}

/* respond: the answers not carried out whole when the call stopped share its status. */
static void settle_answers(struct backend_call *call)
{
    struct backend_result *r = &call->r;
    for (size_t i = call->pos; r->item_status && i < call->n_subs; i++) {
        size_t a = call->subs[i].answer;
        if (a < r->n_item_status && r->item_status[a] == BACKEND_OK)
            r->item_status[a] = r->status;
    }
}

static void finish(struct backend_call *call)
{
    call->http = NULL;
    if (call->r.status != BACKEND_OK)
        settle_answers(call);
    if (call->r.status != BACKEND_OK && call->r.error == NULL)
        call->r.error = backend_status_name(call->r.status);
    call->cb(&call->r, call->ud);
    graph_run_free(call);
}

static void fail(struct backend_call *call, enum backend_status status, const char *why)
{
    call->r.status = status;
    snprintf(call->error, sizeof(call->error), "%s", why);
    call->r.error = call->error;
    finish(call);
}

static int send_next(struct backend_call *call);

static void add_item_take(struct backend_result *r, struct item *it)
{
    r->items = xreallocarray(r->items, r->n_items + 1, sizeof(*r->items));
    r->items[r->n_items++] = *it;
    item_init(it);
}

/* ---- collections: pages ------------------------------------------------------------------ */

/* find: one delta page applied to the state; true when the round is complete. */
static bool delta_page(struct backend_call *call, struct graph_page *page)
{
    struct graph_delta *d = &call->b->delta;
    for (size_t i = 0; i < page->n_items; i++) {
        const struct item *it = &page->items[i];
        if (it->kind == ITEM_MEETING_REQUEST || it->kind == ITEM_MEETING_CANCELLATION)
            graph_delta_add(d, it->id.id);
        else
            graph_delta_remove(d, it->id.id);
    }
    for (size_t i = 0; i < page->n_removed; i++)
        graph_delta_remove(d, page->removed[i]);
    if (page->delta_link == NULL)
        return false;
    if (!graph_on_base(call->b, page->delta_link)) {
        /* Kept, it would carry the token to another host next poll; the round is read
         * again from the start instead. */
        log_error("mailbox %s: a deltaLink that is not on graph_url; not kept", call->b->mailbox);
        graph_delta_reset(d);
        return true;
    }
    char err[256];
    if (graph_delta_commit(d, page->delta_link, err, sizeof(err)) != 0)
        log_error("mailbox %s: %s; the next poll reads the Inbox changes again", call->b->mailbox,
                  err);
    for (size_t i = 0; i < d->ids.n; i++) {
        struct item it;
        item_init(&it);
        it.id.id = xstrdup(d->ids.v[i]);
        add_item_take(&call->r, &it);
    }
    return true;
}

/* An expired deltaLink: the round starts over from scratch, once per call. */
static bool resync(struct backend_call *call, const struct graph_call_result *res)
{
    struct graph_error e;
    graph_parse_error(res->body, res->body_len, &e);
    bool expired = res->status == 410 || (e.code && (strcmp(e.code, "syncStateNotFound") == 0 ||
                                                     strcmp(e.code, "resyncRequired") == 0 ||
                                                     strcmp(e.code, "SyncStateNotFound") == 0));
    graph_error_clear(&e);
    if (!expired || call->resynced)
        return false;
    log_warn("mailbox %s: the Inbox delta state expired (HTTP %ld); reading the whole Inbox "
             "again (the ledger keeps what was answered)",
             call->b->mailbox, res->status);
    call->resynced = true;
    graph_delta_reset(&call->b->delta);
    free(call->page_url);
    call->page_url = graph_url_inbox_delta(call->b->base, call->b->mailbox);
    return true;
}

static void on_page(const struct graph_call_result *res, void *userdata)
{
    struct backend_call *call = userdata;
    call->http = NULL;
    if (call->op == GOP_DELTA && res->http_result == HTTP_OK && res->status >= 400 &&
        resync(call, res)) {
        if (send_next(call) != 0)
            fail(call, BACKEND_FAILED, "the request could not be submitted");
        return;
    }
    call->r.status = request_status(res);
    call->r.retry_ms = res->retry_ms;
    if (call->r.status != BACKEND_OK) {
        if (res->http_result == HTTP_OK)
            note_error(call, res->status, res->body);
        else
            call->r.error = res->error;
        finish(call);
        return;
    }
    struct graph_page page;
    char err[160];
    enum graph_entity what = call->op == GOP_EVENTS ? GRAPH_EVENTS : GRAPH_MESSAGES;
    if (graph_parse_page(res->body, res->body_len, what, &page, err, sizeof(err)) != 0) {
        fail(call, BACKEND_FAILED, err);
        return;
    }
    bool complete;
    if (call->op == GOP_DELTA) {
        complete = delta_page(call, &page);
    } else {
        for (size_t i = 0; i < page.n_items; i++)
            add_item_take(&call->r, &page.items[i]);
        complete = page.next_link == NULL;
    }
    free(call->page_url);
    call->page_url = page.next_link;
    page.next_link = NULL;
    graph_page_clear(&page);
    if (complete) {
        finish(call);
        return;
    }
    if (!graph_on_base(call->b, call->page_url)) {
        fail(call, BACKEND_FAILED, "a page link that is not on graph_url");
        return;
    }
    if (send_next(call) != 0)
        fail(call, BACKEND_FAILED, "the request could not be submitted");
}

/* ---- item requests ----------------------------------------------------------------------- */

/* The item an answer's body describes (fetch: a message, verify: an event, list_attachments:
 * the attachment ids). False when it is not what was asked for. */
static bool take_body(struct backend_call *call, const char *body)
{
    struct item it;
    char err[160];
    int rc = 0;
    switch (call->op) {
    case GOP_MESSAGES:
        /* One message that cannot be read must not hide the others. */
        if (graph_parse_message(body, strlen(body), &it, err, sizeof(err)) == 0) {
            graph_remember_item(call->b, &it);
            add_item_take(&call->r, &it);
        } else {
            log_warn("mailbox %s: a message that cannot be read: %s", call->b->mailbox, err);
        }
        item_clear(&it);
        return true;
    case GOP_EVENT:
        rc = graph_parse_event(body, strlen(body), &it, err, sizeof(err));
        break;
    case GOP_ATTACHMENTS:
        item_init(&it);
        rc = graph_parse_attachment_ids(body, strlen(body), &it, err, sizeof(err));
        break;
    default:
        return true;
    }
    if (rc == 0)
        add_item_take(&call->r, &it);
    item_clear(&it);
    if (rc != 0) {
        call->r.status = BACKEND_FAILED;
        snprintf(call->error, sizeof(call->error), "an unexpected answer: %s", err);
        call->r.error = call->error;
    }
    return rc == 0;
}

/* One item request's answer; false when the call stops here (the request failed whole). */
static bool sub_done(struct backend_call *call, const struct graph_sub *sub, long status,
                     unsigned retry_ms, const char *body)
{
    enum backend_status st = item_status(status);
    if (st == BACKEND_ITEM_GONE && sub->gone_is_done)
        st = BACKEND_OK;
    struct backend_result *r = &call->r;
    if (r->item_status && sub->answer < r->n_item_status &&
        r->item_status[sub->answer] == BACKEND_OK)
        r->item_status[sub->answer] = st;
    if (backend_request_failed(st)) {
        if (!backend_request_failed(r->status)) { /* the first request-level failure names it */
            r->status = st;
            r->retry_ms = retry_ms;
            note_error(call, status, body);
        }
        return false;
    }
    if (st == BACKEND_OK && call->op == GOP_COUNT)
        call->r.n_done++;
    if (st == BACKEND_OK && body != NULL && !take_body(call, body))
        return false;
    /* The first item that failed names the status (fetch leaves gone ones out). */
    if (st != BACKEND_OK && call->op != GOP_MESSAGES && call->r.status == BACKEND_OK) {
        call->r.status = st;
        note_error(call, status, body);
    }
    return true;
}

static void on_sub(const struct graph_call_result *res, void *userdata)
{
    struct backend_call *call = userdata;
    call->http = NULL;
    const struct graph_sub *first = &call->subs[call->pos];
    if (res->http_result != HTTP_OK || res->token_refused) {
        call->r.status = request_status(res);
        call->r.error = res->error;
        finish(call);
        return;
    }
    bool go_on = true;
    if (call->sent == 1) {
        go_on = sub_done(call, first, res->status, res->retry_ms, res->body);
    } else if (res->status != 200) {
        call->r.status = request_status(res);
        call->r.retry_ms = res->retry_ms;
        note_error(call, res->status, res->body);
        go_on = false;
    } else {
        struct graph_batch_reply replies[GRAPH_BATCH_MAX];
        char err[160];
        if (graph_parse_batch(res->body, res->body_len, call->sent, replies, err, sizeof(err)) !=
            0) {
            fail(call, BACKEND_FAILED, err);
            return;
        }
        /* Every answer of the batch counts, also those after one that failed: the server
         * carried them out. */
        for (size_t i = 0; i < call->sent; i++)
            go_on &= sub_done(call, &call->subs[call->pos + i], replies[i].status,
                              replies[i].retry_ms, replies[i].body);
        graph_batch_replies_clear(replies, call->sent);
    }
    call->pos += call->sent;
    call->sent = 0;
    if (!go_on || call->pos >= call->n_subs) {
        finish(call);
        return;
    }
    if (send_next(call) != 0)
        fail(call, BACKEND_FAILED, "the request could not be submitted");
}

/* The next chunk of item requests: one alone, or up to max_chunk in one $batch. */
static int send_subs(struct backend_call *call)
{
    struct graph_backend *b = call->b;
    size_t n = call->n_subs - call->pos;
    if (n > call->max_chunk)
        n = call->max_chunk;
    call->sent = n;
    const struct graph_sub *s = &call->subs[call->pos];
    if (n == 1)
        return graph_call_take(b->http, b->oauth2, s->method, xstrdup(s->url),
                               s->body ? xstrdup(s->body) : NULL, on_sub, call, &call->http);
    struct graph_batch_request reqs[GRAPH_BATCH_MAX];
    size_t base = strlen(b->base);
    for (size_t i = 0; i < n; i++)
        reqs[i] = (struct graph_batch_request){s[i].method, s[i].url + base, s[i].body};
    char *body = graph_body_batch(reqs, n);
    if (body == NULL)
        return -1;
    return graph_call_take(b->http, b->oauth2, "POST", xasprintf("%s/$batch", b->base), body,
                           on_sub, call, &call->http);
}

static int send_next(struct backend_call *call)
{
    if (call->page_url != NULL)
        return graph_call_take(call->b->http, call->b->oauth2, "GET", xstrdup(call->page_url), NULL,
                               on_page, call, &call->http);
    return send_subs(call);
}

int graph_run_start(struct backend_call *call, struct backend_call **out)
{
    if ((call->page_url == NULL && call->n_subs == 0) || send_next(call) != 0) {
        graph_run_free(call);
        return -1;
    }
    *out = call;
    return 0;
}
