/*
 * graph_backend: backend operations as Microsoft Graph requests (see graph_backend.h).
 */
#include "graph_backend.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ews_backend.h"
#include "graph_backend_int.h"
#include "graph_build.h"
#include "util.h"

/* ---- what fetch learnt ------------------------------------------------------------------- */

static ssize_t message_index(const struct graph_backend *b, const char *message_id)
{
    for (size_t i = 0; message_id != NULL && i < b->messages.n; i++)
        if (strcmp(b->messages.v[i], message_id) == 0)
            return (ssize_t)i;
    return -1;
}

const char *graph_event_of(const struct graph_backend *b, const char *message_id)
{
    ssize_t i = message_index(b, message_id);
    return i < 0 ? NULL : b->events.v[i];
}

void graph_remember_item(struct graph_backend *b, const struct item *it)
{
    if (it->id.id == NULL || it->associated_calendar_item_id.id == NULL ||
        message_index(b, it->id.id) >= 0)
        return;
    strlist_add(&b->messages, it->id.id);
    strlist_add(&b->events, it->associated_calendar_item_id.id);
}

/* ---- URLs -------------------------------------------------------------------------------- */

/* BASE/users/{mailbox}/{kind}/{id}{tail} with the id escaped. */
static char *url_of(const struct graph_backend *b, const char *kind, const char *id,
                    const char *tail)
{
    char *who = graph_escape_segment(b->mailbox);
    char *what = graph_escape_segment(id);
    char *url = xasprintf("%s/users/%s/%s/%s%s", b->base, who, kind, what, tail);
    free(who);
    free(what);
    return url;
}

/* ---- operations -------------------------------------------------------------------------- */

static int op_find(struct backend *be, size_t offset, backend_cb cb, void *ud,
                   struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    (void)offset; /* one find hands on the whole set; it never asks for more */
    struct backend_call *call = graph_run_new(b, GOP_DELTA, cb, ud);
    /* A state from another graph_url (the configuration changed) starts over. */
    if (b->delta.delta_link != NULL && !graph_on_base(b, b->delta.delta_link))
        graph_delta_reset(&b->delta);
    call->page_url = b->delta.delta_link ? xstrdup(b->delta.delta_link)
                                         : graph_url_inbox_delta(b->base, b->mailbox);
    return graph_run_start(call, out);
}

static int op_fetch(struct backend *be, const struct item_id *ids, size_t n, backend_cb cb,
                    void *ud, struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    struct backend_call *call = graph_run_new(b, GOP_MESSAGES, cb, ud);
    for (size_t i = 0; i < n; i++)
        graph_run_add(
            call, "GET",
            url_of(b, "messages", ids[i].id, "?$expand=microsoft.graph.eventMessage/event"), NULL,
            false);
    return graph_run_start(call, out);
}

static int op_calendar_view(struct backend *be, time_t start, time_t end, backend_cb cb, void *ud,
                            struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    struct backend_call *call = graph_run_new(b, GOP_EVENTS, cb, ud);
    char *url = graph_url_calendar_view(b->base, b->mailbox, start, end);
    call->page_url = xasprintf("%s&$top=100", url);
    free(url);
    return graph_run_start(call, out);
}

static int op_verify(struct backend *be, const char *id, backend_cb cb, void *ud,
                     struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    struct backend_call *call = graph_run_new(b, GOP_EVENT, cb, ud);
    graph_run_add(call, "GET", url_of(b, "events", id, ""), NULL, false);
    return graph_run_start(call, out);
}

/* A cancelled meeting leaves the calendar, then its cancellation the Inbox; one after the
 * other, so that the message stays while the event could not be removed. */
static void add_removal(struct backend_call *call, const char *message_id, size_t answer)
{
    struct graph_backend *b = call->b;
    const char *event = graph_event_of(b, message_id);
    if (event != NULL) {
        graph_run_add(call, "DELETE", url_of(b, "events", event, ""), NULL, true);
        call->subs[call->n_subs - 1].answer = answer;
    }
    graph_run_add(call, "DELETE", url_of(b, "messages", message_id, ""), NULL, true);
    call->subs[call->n_subs - 1].answer = answer;
    call->max_chunk = 1;
}

static int op_respond(struct backend *be, const struct backend_answer *answers, size_t n,
                      backend_cb cb, void *ud, struct backend_call **out)
{
    static const enum graph_answer actions[] = {
        [BACKEND_ACCEPT] = GRAPH_ACCEPT,
        [BACKEND_TENTATIVE] = GRAPH_TENTATIVE,
        [BACKEND_DECLINE] = GRAPH_DECLINE,
    };
    struct graph_backend *b = (struct graph_backend *)be;
    if (n == 0 || answers[0].ref == NULL || answers[0].ref->id == NULL)
        return -1;
    struct backend_call *call = graph_run_new(b, GOP_STATUS, cb, ud);
    /* Each answer's own outcome (an immutable id stays when a request moves: the request
     * itself is where it went). */
    call->r.item_status = xcalloc(n, sizeof(*call->r.item_status)); /* BACKEND_OK (0) */
    call->r.moved_ids = xcalloc(n, sizeof(*call->r.moved_ids));
    call->r.n_item_status = n;
    for (size_t i = 0; i < n; i++) {
        const char *ref = answers[i].ref ? answers[i].ref->id : NULL;
        char *body =
            answers[i].kind == BACKEND_REMOVE ? NULL : graph_body_answer(answers[i].text, true);
        if (ref == NULL || (answers[i].kind != BACKEND_REMOVE && body == NULL)) {
            free(body);
            graph_run_free(call);
            return -1;
        }
        if (answers[i].kind == BACKEND_REMOVE) {
            add_removal(call, ref, i);
            continue;
        }
        /* A request is answered through its event (an occurrence's id answers only that
         * occurrence); the message keeps its immutable id when it moves. */
        const char *event = graph_event_of(b, ref);
        char *tail = xasprintf("/%s", graph_answer_action(actions[answers[i].kind]));
        graph_run_add(call, "POST", url_of(b, "events", event ? event : ref, tail), body, false);
        call->subs[call->n_subs - 1].answer = i;
        free(tail);
        if (event != NULL) {
            call->r.moved_ids[i] = xstrdup(ref);
            if (call->r.moved_id == NULL)
                call->r.moved_id = xstrdup(ref);
        }
    }
    return graph_run_start(call, out);
}

/* PATCH body: graph_build's members and, for a held request, showAs free. */
static char *patch_body(const struct backend_rewrite *rw)
{
    char *body = rw->subject || rw->clear_body || rw->make_public
                     ? graph_body_patch(rw->subject, rw->clear_body ? "" : NULL,
                                        rw->make_public ? "normal" : NULL)
                     : xstrdup("{}");
    if (body == NULL || !rw->show_free)
        return body;
    json_t *root = json_loads(body, 0, NULL);
    free(body);
    if (root == NULL)
        return NULL;
    json_object_set_new(root, "showAs", json_string("free"));
    body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return body;
}

static int op_rewrite(struct backend *be, const char *id, const struct backend_rewrite *rw,
                      backend_cb cb, void *ud, struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    char *body = patch_body(rw);
    if (body == NULL)
        return -1;
    struct backend_call *call = graph_run_new(b, GOP_STATUS, cb, ud);
    graph_run_add(call, "PATCH", url_of(b, "events", id, ""), body, false);
    return graph_run_start(call, out);
}

static int op_list_attachments(struct backend *be, const char *id, backend_cb cb, void *ud,
                               struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    free(b->attachments_of);
    b->attachments_of = xstrdup(id);
    struct backend_call *call = graph_run_new(b, GOP_ATTACHMENTS, cb, ud);
    /* The event with its attachments' ids: none to read when it has none. */
    graph_run_add(
        call, "GET",
        url_of(b, "events", id, "?$select=id,hasAttachments&$expand=attachments($select=id)"), NULL,
        false);
    return graph_run_start(call, out);
}

/* Attachment ids are only unique within their event: the one list_attachments read. */
static int op_delete_attachments(struct backend *be, const struct item_id *ids, size_t n,
                                 backend_cb cb, void *ud, struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    if (b->attachments_of == NULL)
        return -1;
    struct backend_call *call = graph_run_new(b, GOP_COUNT, cb, ud);
    for (size_t i = 0; i < n; i++) {
        char *what = graph_escape_segment(ids[i].id);
        char *tail = xasprintf("/attachments/%s", what);
        graph_run_add(call, "DELETE", url_of(b, "events", b->attachments_of, tail), NULL, true);
        free(tail);
        free(what);
    }
    return graph_run_start(call, out);
}

static int op_forward(struct backend *be, const char *id, const char *const *to, size_t n_to,
                      const char *note, backend_cb cb, void *ud, struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    char *body = graph_body_forward(note, to, n_to);
    if (body == NULL)
        return -1;
    /* A request fetched this poll is a message; anything else is the meeting's event. */
    const char *kind = graph_event_of(b, id) ? "messages" : "events";
    struct backend_call *call = graph_run_new(b, GOP_STATUS, cb, ud);
    graph_run_add(call, "POST", url_of(b, kind, id, "/forward"), body, false);
    return graph_run_start(call, out);
}

static int op_remove(struct backend *be, const struct item_id *ids, size_t n, backend_cb cb,
                     void *ud, struct backend_call **out)
{
    struct graph_backend *b = (struct graph_backend *)be;
    struct backend_call *call = graph_run_new(b, GOP_COUNT, cb, ud);
    for (size_t i = 0; i < n; i++)
        graph_run_add(call, "DELETE", url_of(b, "messages", ids[i].id, ""), NULL, false);
    return graph_run_start(call, out);
}

static void op_cancel(struct backend_call *call)
{
    graph_run_free(call);
}

static void op_free(struct backend *be)
{
    struct graph_backend *b = (struct graph_backend *)be;
    if (b == NULL)
        return;
    backend_head_clear(&b->head);
    graph_delta_clear(&b->delta);
    strlist_free(&b->messages);
    strlist_free(&b->events);
    free(b->attachments_of);
    free(b->base);
    free(b->mailbox);
    free(b);
}

static const struct backend_ops graph_ops = {
    .find = op_find,
    .fetch = op_fetch,
    .calendar_view = op_calendar_view,
    .verify = op_verify,
    .respond = op_respond,
    .rewrite = op_rewrite,
    .list_attachments = op_list_attachments,
    .delete_attachments = op_delete_attachments,
    .forward = op_forward,
    .remove = op_remove,
    .cancel = op_cancel,
    .free = op_free,
};

struct backend *graph_backend_open(const struct conf *conf, const struct conf_mailbox *cm,
                                   void *http)
{
    const struct conf_server *srv = &conf->server;
    struct graph_backend *b = xcalloc(1, sizeof(*b));
    b->head.ops = &graph_ops;
    b->http = http;
    b->oauth2 = &srv->oauth2;
    b->base = xstrdup(srv->graph_url);
    b->mailbox = xstrdup(cm->address);
    graph_delta_load_take(&b->delta,
                          xasprintf("%s/%s.graph-delta", conf->daemon.state_dir, cm->name));
    const char *app = srv->client_id ? srv->client_id : "";
    /* Graph's limits are per app and mailbox (4 concurrent requests, 10,000 in 10 minutes). */
    b->head.keys[BACKEND_SCOPE_SERVER] = xasprintf("server %s", b->base);
    b->head.keys[BACKEND_SCOPE_BUDGET] = xasprintf("budget %s %s %s", b->base, app, b->mailbox);
    b->head.keys[BACKEND_SCOPE_CREDENTIALS] =
        xasprintf("credentials %s oauth2 %s", srv->token_url ? srv->token_url : "", app);
    b->head.credentials_name = xasprintf("%s (oauth2) at %s", app, b->base);
    return &b->head;
}

struct backend *backend_open_by_protocol(const struct conf *conf, const struct conf_mailbox *cm,
                                         void *http)
{
    if (conf->server.protocol == CONF_PROTOCOL_GRAPH)
        return graph_backend_open(conf, cm, http);
    return ews_backend_open(conf, cm, http);
}
