/*
 * ews_backend: backend operations as EWS requests (see ews_backend.h).
 */
#include "ews_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "ews_build.h"
#include "ews_client.h"
#include "ews_listen.h"
#include "ews_stream.h"
#include "ews_sync.h"
#include "util.h"

#define FIND_PAGE_SIZE 100

struct ews_backend {
    struct backend head; /* first: a struct backend * is a struct ews_backend * */
    struct http_client *http;
    char *url, *username, *password, *impersonate, *folder_owner, *server_version;
    struct ews_account account;
    struct ews_context ctx;
    struct ews_listen_options listen_opts;
    char *ca_file;
    char *affinity_anchor, *affinity_cookie; /* of the last (un)subscribe: its call's */
};

/* How the answer of one operation becomes a backend result. */
enum ews_op {
    OP_FIND,
    OP_FETCH,
    OP_CALENDAR_VIEW,
    OP_VERIFY,
    OP_RESPOND,
    OP_STATUS_ONLY, /* rewrite, forward */
    OP_LIST_ATTACHMENTS,
    OP_COUNT_DONE, /* remove, delete_attachments */
    OP_SYNC,
    OP_SUBSCRIBE,
    OP_PER_ITEM, /* rewrite_many: each item's status */
    OP_EXPAND_DL,
};

struct backend_call {
    struct ews_call *ews;
    enum ews_op op;
    backend_cb cb;
    void *ud;
    size_t offset;       /* OP_FIND */
    char **answered_ids; /* OP_RESPOND: the requests answered, in order */
    size_t n_sent;       /* OP_RESPOND, OP_PER_ITEM: items in the request */
    char **fetched;      /* OP_FETCH: the ids asked for, in order (n_fetched) */
    size_t n_fetched;
    char error[256]; /* the server's words for a failed message (the result's error) */
};

static const char *const MEETING_CLASSES[] = {
    "IPM.Schedule.Meeting.Request",
    "IPM.Schedule.Meeting.Canceled",
};

/* ---- answers ---------------------------------------------------------------------------- */

/* A SOAP fault whose code is the bare SOAP "Client" (no EWS ResponseCode): the server
 * refused the request as one it does not understand (grommunio Gromox: "failed to find
 * proper type for node 'RemoveItem'"). */
static bool client_fault(const struct ews_call_result *res)
{
    const char *text = res->response ? res->response->fault_code_text : NULL;
    if (res->code != EWS_ERROR_OTHER || text == NULL)
        return false;
    const char *colon = strrchr(text, ':');
    return strcmp(colon ? colon + 1 : text, "Client") == 0;
}

/* The status of one item the server refused with an error of ACTION. */
static enum backend_status item_status_of(enum ews_error_action action)
{
    switch (action) {
    case EWS_ACTION_ITEM_GONE:
        return BACKEND_ITEM_GONE;
    case EWS_ACTION_OUT_OF_DATE:
        return BACKEND_OUT_OF_DATE;
    case EWS_ACTION_AUTH:
        return BACKEND_ACCOUNT;
    default:
        return BACKEND_ITEM_REFUSED;
    }
}

/* The backend status of an EWS outcome. Only a ResponseMessage error concerns one item; a
 * SOAP fault always fails the whole request. */
static enum backend_status status_of(const struct ews_call_result *res)
{
    switch (res->status) {
    case EWS_CALL_OK:
    case EWS_CALL_FAULT:
        break;
    case EWS_CALL_AUTH:
        return BACKEND_AUTH;
    case EWS_CALL_HTTP:
        if (res->http_status == 503 || res->http_status == 429)
            return BACKEND_SERVER;
        /* No EWS at that URL (404), or a method the endpoint never takes (405): a wrong
         * URL, not a passing trouble. */
        return res->http_status == 404 || res->http_status == 405 ? BACKEND_UNUSABLE
                                                                  : BACKEND_FAILED;
    case EWS_CALL_TRANSPORT:
        /* A certificate that fails verification today fails it tomorrow too; an answer
         * over the size limit needs a smaller question, not a retry. */
        if (res->http_result == HTTP_ERR_TLS)
            return BACKEND_UNUSABLE;
        return res->http_result == HTTP_ERR_TOO_LARGE ? BACKEND_TOO_LARGE : BACKEND_TRANSPORT;
    case EWS_CALL_MALFORMED:
        return BACKEND_FAILED;
    }
    if (res->status == EWS_CALL_OK && res->code == EWS_OK)
        return BACKEND_OK;
    switch (ews_error_action(res->code)) {
    case EWS_ACTION_RETRY_LATER:
        return res->code == EWS_ERR_SERVER_BUSY ? BACKEND_BUSY : BACKEND_TRY_LATER;
    case EWS_ACTION_AUTH:
        return BACKEND_ACCOUNT;
    default:
        break;
    }
    if (res->status == EWS_CALL_FAULT)
        return client_fault(res) ? BACKEND_UNSUPPORTED : BACKEND_FAILED;
    return item_status_of(ews_error_action(res->code));
}

/* Whether the request may have been carried out although no usable answer came: it left
 * (not a failed connect), and neither a SOAP answer nor a 503 / 429 says it was not. */
static bool fate_unknown_of(const struct ews_call_result *res)
{
    switch (res->status) {
    case EWS_CALL_TRANSPORT:
        return http_result_fate_unknown(res->http_result) ||
               res->http_result == HTTP_ERR_TRANSPORT || res->http_result == HTTP_ERR_TOO_LARGE;
    case EWS_CALL_MALFORMED:
        return true;
    case EWS_CALL_HTTP:
        return res->http_status >= 500 && res->http_status != 503;
    default:
        return false;
    }
}

static const struct ews_response_message *only_message(const struct ews_call_result *res)
{
    return res->response && res->response->n_messages == 1 ? &res->response->messages[0] : NULL;
}

static void take_items(struct ews_response_message *msg, struct backend_result *r)
{
    struct item *items = NULL;
    size_t n = ews_response_message_take_items(msg, &items);
    if (n == 0) {
        free(items);
        return;
    }
    r->items = xreallocarray(r->items, r->n_items + n, sizeof(*r->items));
    memcpy(r->items + r->n_items, items, n * sizeof(*items));
    r->n_items += n;
    free(items);
}

/* An answer that succeeded but does not have the one message (and item) asked for. */
static void unexpected(struct backend_result *r)
{
    r->status = BACKEND_FAILED;
    r->error = "an unexpected answer";
}

static void fill_find(struct backend_call *call, struct ews_call_result *res,
                      struct backend_result *r)
{
    struct ews_response_message *msg = (struct ews_response_message *)only_message(res);
    if (msg == NULL) {
        unexpected(r);
        return;
    }
    size_t n = msg->n_items;
    take_items(msg, r);
    /* Paging ends when the server says so; an empty page ends it too, so that a server that
     * never sets IncludesLastItemInRange cannot keep us here. */
    r->more = !msg->includes_last_item_in_range && n > 0;
    r->next_offset =
        msg->indexed_paging_offset > 0 && (size_t)msg->indexed_paging_offset > call->offset
            ? (size_t)msg->indexed_paging_offset
            : call->offset + n;
}

/* The status of one ResponseMessage on its own. */
static enum backend_status message_status(const struct ews_response_message *msg)
{
    struct ews_call_result one = {.status = EWS_CALL_OK, .code = msg->code};
    enum backend_status st = status_of(&one);
    return st == BACKEND_ACCOUNT && msg->code == EWS_ERR_ACCESS_DENIED ? BACKEND_ITEM_REFUSED : st;
}

/* The server's words for one failed message: its ResponseCode, with its MessageText. */
static char *item_words(const struct ews_response_message *msg)
{
    if (msg->cls != EWS_CLASS_ERROR || msg->response_code_text == NULL)
        return NULL;
    return msg->message_text ? xasprintf("%s: %s", msg->response_code_text, msg->message_text)
                             : xstrdup(msg->response_code_text);
}

static void add_failure(struct backend_result *r, const char *id,
                        const struct ews_response_message *msg, enum backend_status st)
{
    r->failures = xreallocarray(r->failures, r->n_failures + 1, sizeof(*r->failures));
    char *words = item_words(msg);
    r->failures[r->n_failures++] = (struct backend_item_failure){
        .id = xstrdup(id),
        .status = st,
        .reason = words ? words : xstrdup("?"),
    };
}

/* The items of every message that did not fail. An item gone since it was found is
 * expected; one refused on its own (access denied to it, a transient failure of that item)
 * is reported in r->failures, and the others still count; anything that concerns more than
 * that item (throttling, the mailbox) fails the request. */
static void fill_fetch(struct backend_call *call, struct ews_call_result *res,
                       struct backend_result *r)
{
    if (res->status != EWS_CALL_OK || res->response == NULL)
        return;
    const struct ews_response *resp = res->response;
    for (size_t i = 0; i < resp->n_messages; i++) {
        const struct ews_response_message *msg = &resp->messages[i];
        if (msg->cls != EWS_CLASS_ERROR)
            continue;
        enum backend_status st = message_status(msg);
        if (st == BACKEND_ITEM_GONE)
            continue;
        if ((st != BACKEND_ITEM_REFUSED && st != BACKEND_TRY_LATER) || msg->backoff_ms > 0 ||
            i >= call->n_fetched)
            return; /* r->status (the first failure's) stands for the request */
    }
    r->status = BACKEND_OK;
    r->error = NULL;
    for (size_t i = 0; i < resp->n_messages; i++) {
        struct ews_response_message *msg = &resp->messages[i];
        if (msg->cls != EWS_CLASS_ERROR)
            take_items(msg, r);
        else if (message_status(msg) != BACKEND_ITEM_GONE)
            add_failure(r, call->fetched[i], msg, message_status(msg));
    }
}

/* The id a request answered by MSG moved to (a meeting request of m:Items other than
 * ANSWERED), or NULL. */
static char *moved_id(const struct ews_response_message *msg, const char *answered)
{
    for (size_t i = 0; i < msg->n_items; i++) {
        const struct item *it = &msg->items[i];
        if (it->kind == ITEM_MEETING_REQUEST && it->id.id != NULL &&
            strcmp(it->id.id, answered) != 0)
            return xstrdup(it->id.id);
    }
    return NULL;
}

/* Each item's own outcome, read from the ResponseMessages in order (ews_batch_results): a
 * failed item fails alone. Answering moves a request to Deleted Items with a new id;
 * Exchange 2013 and later name it in the message's m:Items (Exchange 2007 returned none,
 * some servers do not move it). Nothing per item when the request as a whole failed. */
static void fill_per_item(struct backend_call *call, struct ews_call_result *res,
                          struct backend_result *r)
{
    if (res->status != EWS_CALL_OK || res->response == NULL || call->n_sent == 0)
        return;
    size_t n = call->n_sent;
    struct ews_batch_result *results = xcalloc(n, sizeof(*results));
    ews_batch_results(res->response, n, results);
    r->item_status = xcalloc(n, sizeof(*r->item_status));
    r->moved_ids = xcalloc(n, sizeof(*r->moved_ids));
    r->item_errors = xcalloc(n, sizeof(*r->item_errors));
    r->n_item_status = n;
    for (size_t i = 0; i < n; i++) {
        const struct ews_batch_result *b = &results[i];
        switch (b->outcome) {
        case EWS_BATCH_DONE:
            r->item_status[i] = BACKEND_OK;
            break;
        case EWS_BATCH_FAILED:
            /* Access denied to one item of many is that item's (see item_status). */
            r->item_status[i] =
                b->code == EWS_ERR_ACCESS_DENIED ? BACKEND_ITEM_REFUSED : item_status_of(b->action);
            break;
        case EWS_BATCH_RETRY:
            r->item_status[i] = b->code == EWS_ERR_SERVER_BUSY ? BACKEND_BUSY : BACKEND_TRY_LATER;
            break;
        case EWS_BATCH_UNKNOWN:
            r->item_status[i] = BACKEND_FAILED;
            break;
        }
        if (b->outcome != EWS_BATCH_DONE && i < res->response->n_messages)
            r->item_errors[i] = item_words(&res->response->messages[i]);
        if (b->backoff_ms > r->retry_ms)
            r->retry_ms = b->backoff_ms;
        if (b->outcome == EWS_BATCH_DONE && call->answered_ids)
            r->moved_ids[i] = moved_id(&res->response->messages[i], call->answered_ids[i]);
    }
    if (call->answered_ids && n == 1 && r->moved_ids[0])
        r->moved_id = xstrdup(r->moved_ids[0]);
    free(results);
}

/* The members of an ExpandDL answer. A member that is a group but has no SMTP address (a
 * private list) cannot be expanded in turn: the list is then not whole. Members without an
 * address that are no group (contacts) cannot be an organizer and are left out. */
static void fill_expand_dl(struct ews_call_result *res, struct backend_result *r)
{
    static const char *const group_types[] = {"PublicDL", "PrivateDL", "GroupMailbox"};
    const struct ews_response_message *msg = only_message(res);
    if (r->status == BACKEND_OK && (msg == NULL || !msg->has_dl_expansion)) {
        unexpected(r);
        return;
    }
    if (r->status != BACKEND_OK) {
        /* Exchange's answer for an address that names no group, or nothing at all. */
        if (msg != NULL && msg->response_code_text != NULL &&
            strcmp(msg->response_code_text, "ErrorNameResolutionNoResults") == 0)
            r->status = BACKEND_ITEM_GONE;
        return;
    }
    r->members_complete = msg->includes_last_item_in_range;
    r->members = xcalloc(msg->n_dl_members ? msg->n_dl_members : 1, sizeof(*r->members));
    for (size_t i = 0; i < msg->n_dl_members; i++) {
        const struct ews_dl_member *dm = &msg->dl_members[i];
        bool is_group = false;
        for (size_t k = 0; dm->mailbox_type && k < sizeof(group_types) / sizeof(*group_types); k++)
            is_group |= strcmp(dm->mailbox_type, group_types[k]) == 0;
        if (dm->address == NULL || !util_addr_is_valid(dm->address)) {
            if (is_group)
                r->members_complete = false;
            continue;
        }
        r->members[r->n_members++] = (struct backend_member){xstrdup(dm->address), is_group};
    }
}

/* Whether the meeting messages of the Inbox include this class (FindItem asks the server for
 * these prefixes; SyncFolderItems reports every item, so they are picked here). */
static bool is_meeting_class(const char *cls)
{
    for (size_t i = 0; cls != NULL && i < 2; i++)
        if (strncasecmp(cls, MEETING_CLASSES[i], strlen(MEETING_CLASSES[i])) == 0)
            return true;
    return false;
}

/* A meeting request or cancellation, by its class or, where the server left the class out,
 * by its element (t:MeetingRequest, t:MeetingCancellation). */
static bool is_meeting_message(const struct item *it)
{
    return is_meeting_class(it->item_class) || it->kind == ITEM_MEETING_REQUEST ||
           it->kind == ITEM_MEETING_CANCELLATION;
}

/* The fault's code, or the only message's, as the server wrote it (NULL if none). */
static const char *code_text(const struct ews_call_result *res)
{
    const struct ews_response_message *msg = only_message(res);
    if (res->response == NULL)
        return NULL;
    if (res->response->is_fault)
        return res->response->fault_code_text;
    return msg ? msg->response_code_text : NULL;
}

/* SyncFolderItems: a server without the operation, a state it refuses, or the changes. */
static void fill_sync(struct ews_call_result *res, struct backend_result *r)
{
    struct ews_response_message *msg = (struct ews_response_message *)only_message(res);
    if (r->status != BACKEND_OK) {
        r->unsupported = ews_sync_code_means_unsupported(code_text(res));
        r->sync_state_invalid = ews_sync_state_is_invalid(msg);
        return;
    }
    if (msg == NULL || msg->sync_state == NULL || msg->sync_state[0] == '\0') {
        unexpected(r);
        return;
    }
    r->sync_state = msg->sync_state;
    msg->sync_state = NULL;
    r->more = !msg->includes_last_item_in_range;
    for (size_t i = 0; i < msg->n_changes; i++) {
        struct ews_sync_change *c = &msg->changes[i];
        if (c->item.id.id == NULL)
            continue;
        if (c->kind == EWS_SYNC_DELETE) {
            r->gone = xreallocarray(r->gone, r->n_gone + 1, sizeof(*r->gone));
            r->gone[r->n_gone++] = (struct item_id){.id = xstrdup(c->item.id.id)};
        } else if ((c->kind == EWS_SYNC_CREATE || c->kind == EWS_SYNC_UPDATE) &&
                   is_meeting_message(&c->item)) {
            r->items = xreallocarray(r->items, r->n_items + 1, sizeof(*r->items));
            r->items[r->n_items++] = c->item; /* moved */
            memset(&c->item, 0, sizeof(c->item));
        }
    }
}

/* Subscribe: a server without streaming says so; else the subscription's id. */
static void fill_subscribe(struct ews_call_result *res, struct backend_result *r)
{
    if (r->status != BACKEND_OK) {
        r->unsupported = ews_sync_code_means_unsupported(code_text(res));
        return;
    }
    struct ews_subscribe_result sub = {0};
    char err[160];
    if (res->body == NULL ||
        ews_parse_subscribe(res->body, res->body_len, &sub, err, sizeof(err)) != 0 ||
        sub.subscription_id == NULL) {
        unexpected(r);
    } else {
        r->subscription_id = sub.subscription_id;
        sub.subscription_id = NULL;
        if (res->affinity_cookie != NULL)
            r->affinity_cookie = xstrdup(res->affinity_cookie);
    }
    ews_subscribe_result_clear(&sub);
}

/* Access denied in the answer for one item is that item's own rights (a private item, one
 * moved elsewhere), not the mailbox's: refused access to the mailbox shows in the answers
 * to FindItem, which lists its folders. */
static enum backend_status item_status(const struct backend_call *call,
                                       const struct ews_call_result *res, enum backend_status st)
{
    bool folder_op = call->op == OP_FIND || call->op == OP_CALENDAR_VIEW;
    if (st == BACKEND_ACCOUNT && !folder_op && res->status == EWS_CALL_OK &&
        res->code == EWS_ERR_ACCESS_DENIED)
        return BACKEND_ITEM_REFUSED;
    return st;
}

static void fill(struct backend_call *call, struct ews_call_result *res, struct backend_result *r)
{
    if (call->op == OP_SYNC) {
        fill_sync(res, r);
        return;
    }
    if (call->op == OP_SUBSCRIBE) {
        fill_subscribe(res, r);
        return;
    }
    if (call->op == OP_RESPOND || call->op == OP_PER_ITEM) {
        fill_per_item(call, res, r);
        return;
    }
    if (call->op == OP_EXPAND_DL) {
        fill_expand_dl(res, r);
        return;
    }
    if (r->status != BACKEND_OK && call->op != OP_FETCH && call->op != OP_COUNT_DONE)
        return;
    struct ews_response_message *one = (struct ews_response_message *)only_message(res);
    switch (call->op) {
    case OP_FIND:
        fill_find(call, res, r);
        return;
    case OP_FETCH:
        fill_fetch(call, res, r);
        return;
    case OP_CALENDAR_VIEW:
        if (one == NULL)
            unexpected(r);
        else
            take_items(one, r);
        return;
    case OP_VERIFY:
        if (one == NULL || one->n_items != 1)
            unexpected(r);
        else
            take_items(one, r);
        return;
    case OP_LIST_ATTACHMENTS:
        if (one != NULL && one->n_items == 1)
            take_items(one, r);
        return;
    case OP_RESPOND:
    case OP_PER_ITEM:
        return;
    case OP_COUNT_DONE:
        for (size_t i = 0; res->response && i < res->response->n_messages; i++)
            r->n_done += res->response->messages[i].code == EWS_OK;
        return;
    case OP_STATUS_ONLY:
    case OP_SYNC:
    case OP_SUBSCRIBE:
    case OP_EXPAND_DL:
        return;
    }
}

static void call_free(struct backend_call *call)
{
    for (size_t i = 0; i < call->n_fetched; i++)
        free(call->fetched[i]);
    free(call->fetched);
    for (size_t i = 0; call->answered_ids && i < call->n_sent; i++)
        free(call->answered_ids[i]);
    free(call->answered_ids);
    free(call);
}

/* The ResponseCode of the first failed message, with its MessageText when there is one:
 * the server's words, for the log and the decision record. */
static const char *message_words(struct backend_call *call, const struct ews_call_result *res)
{
    const char *name = ews_error_name(res->code);
    for (size_t i = 0; res->response && i < res->response->n_messages; i++) {
        const struct ews_response_message *msg = &res->response->messages[i];
        if (msg->cls != EWS_CLASS_ERROR)
            continue;
        if (msg->response_code_text)
            name = msg->response_code_text;
        if (msg->message_text == NULL)
            break;
        snprintf(call->error, sizeof(call->error), "%s: %s", name, msg->message_text);
        return call->error;
    }
    return name;
}

static void on_ews_done(struct ews_call_result *res, void *userdata)
{
    struct backend_call *call = userdata;
    struct backend_result r = {
        .status = item_status(call, res, status_of(res)),
        .retry_ms = res->backoff_ms,
        .fate_unknown = fate_unknown_of(res),
    };
    if (r.status != BACKEND_OK)
        r.error = res->status == EWS_CALL_OK || res->error == NULL ? message_words(call, res)
                                                                   : res->error;
    fill(call, res, &r);
    call->cb(&r, call->ud);
    backend_result_clear(&r);
    call_free(call);
}

/* ---- requests --------------------------------------------------------------------------- */

static int post_as(struct ews_backend *b, const struct ews_account *account, const char *operation,
                   char *envelope, enum ews_op op, backend_cb cb, void *ud,
                   struct backend_call **out)
{
    if (envelope == NULL)
        return -1;
    struct backend_call *call = xcalloc(1, sizeof(*call));
    call->op = op;
    call->cb = cb;
    call->ud = ud;
    if (ews_call_take(b->http, account, operation, envelope, on_ews_done, call, &call->ews) != 0) {
        call_free(call);
        return -1;
    }
    *out = call;
    return 0;
}

static int post(struct ews_backend *b, const char *operation, char *envelope, enum ews_op op,
                backend_cb cb, void *ud, struct backend_call **out)
{
    return post_as(b, &b->account, operation, envelope, op, cb, ud, out);
}

/* The account with a group's affinity, for the requests about its subscriptions (copies
 * kept in the backend: the call borrows them). */
static struct ews_account with_affinity(struct ews_backend *b, const struct backend_affinity *a)
{
    free(b->affinity_anchor);
    free(b->affinity_cookie);
    b->affinity_anchor = a && a->anchor ? xstrdup(a->anchor) : NULL;
    b->affinity_cookie = a && a->cookie ? xstrdup(a->cookie) : NULL;
    struct ews_account account = b->account;
    account.affinity_anchor = b->affinity_anchor;
    account.affinity_cookie = b->affinity_cookie;
    return account;
}

static const char *const ITEM_CLASS_FIELD[] = {"item:ItemClass"};
static const char *const ATTACHMENTS_FIELD[] = {"item:Attachments"};
/* AllProperties carries the attendees on Exchange, not on grommunio Gromox: asked for by
 * name, every server sends them (the policy counts and checks them). */
static const char *const ATTENDEE_FIELDS[] = {"calendar:RequiredAttendees",
                                              "calendar:OptionalAttendees", "calendar:Resources"};

/* One page of FOLDER's items whose class starts with one of CLASSES: ids and classes. */
static struct ews_find_item_args class_page(const struct ews_backend *b, const char *folder,
                                            const char *const *classes, size_t n_classes,
                                            size_t offset, enum ews_sort sort)
{
    return (struct ews_find_item_args){
        .folder = {.distinguished_id = folder, .mailbox = b->folder_owner},
        .shape = EWS_SHAPE_ID_ONLY,
        .additional_fields = ITEM_CLASS_FIELD,
        .n_additional_fields = 1,
        .view = EWS_VIEW_INDEXED,
        .offset = offset > 1000000 ? 1000000 : (int)offset,
        .max_entries = FIND_PAGE_SIZE,
        .item_class_prefixes = classes,
        .n_item_class_prefixes = n_classes,
        .sort = sort,
    };
}

static int op_find(struct backend *be, size_t offset, backend_cb cb, void *ud,
                   struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct ews_find_item_args args =
        class_page(b, "inbox", MEETING_CLASSES, 2, offset, EWS_SORT_RECEIVED_ASCENDING);
    int rc = post(b, "FindItem", ews_build_find_item(&b->ctx, &args), OP_FIND, cb, ud, call);
    if (rc == 0)
        (*call)->offset = offset;
    return rc;
}

static int op_list_calendar(struct backend *be, size_t offset, backend_cb cb, void *ud,
                            struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct ews_find_item_args args = {
        .folder = {.distinguished_id = "calendar", .mailbox = b->folder_owner},
        .shape = EWS_SHAPE_ALL_PROPERTIES,
        .view = EWS_VIEW_INDEXED,
        .offset = offset > 1000000 ? 1000000 : (int)offset,
        .max_entries = FIND_PAGE_SIZE,
    };
    int rc = post(b, "FindItem", ews_build_find_item(&b->ctx, &args), OP_FIND, cb, ud, call);
    if (rc == 0)
        (*call)->offset = offset;
    return rc;
}

static int op_fetch(struct backend *be, const struct item_id *ids, size_t n, backend_cb cb,
                    void *ud, struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    char *env = ews_build_get_item(&b->ctx, ids, n, EWS_SHAPE_ALL_PROPERTIES, ATTENDEE_FIELDS, 3);
    int rc = post(b, "GetItem", env, OP_FETCH, cb, ud, call);
    if (rc == 0) {
        (*call)->fetched = xcalloc(n ? n : 1, sizeof(*(*call)->fetched));
        for (size_t i = 0; i < n; i++)
            (*call)->fetched[i] = xstrdup(ids[i].id ? ids[i].id : "");
        (*call)->n_fetched = n;
    }
    return rc;
}

static int op_calendar_view(struct backend *be, time_t start, time_t end, backend_cb cb, void *ud,
                            struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct ews_find_item_args args = {
        .folder = {.distinguished_id = "calendar", .mailbox = b->folder_owner},
        .shape = EWS_SHAPE_ALL_PROPERTIES,
        .view = EWS_VIEW_CALENDAR,
        .start = start,
        .end = end,
    };
    return post(b, "FindItem", ews_build_find_item(&b->ctx, &args), OP_CALENDAR_VIEW, cb, ud, call);
}

static int op_verify(struct backend *be, const char *id, backend_cb cb, void *ud,
                     struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct item_id ref = {.id = (char *)id};
    return post(b, "GetItem", ews_build_get_item(&b->ctx, &ref, 1, EWS_SHAPE_DEFAULT, NULL, 0),
                OP_VERIFY, cb, ud, call);
}

static int op_respond(struct backend *be, const struct backend_answer *answers, size_t n,
                      backend_cb cb, void *ud, struct backend_call **call)
{
    static const enum ews_respond_kind kinds[] = {
        [BACKEND_ACCEPT] = EWS_ACCEPT,
        [BACKEND_TENTATIVE] = EWS_TENTATIVE,
        [BACKEND_DECLINE] = EWS_DECLINE,
        [BACKEND_REMOVE] = EWS_REMOVE,
    };
    struct ews_backend *b = (struct ews_backend *)be;
    if (n == 0 || answers[0].ref == NULL || answers[0].ref->id == NULL)
        return -1;
    /* Removing a cancelled meeting sends nothing; one request cannot mix both. */
    bool remove = answers[0].kind == BACKEND_REMOVE;
    struct ews_respond_spec *specs = xcalloc(n, sizeof(*specs));
    for (size_t i = 0; i < n; i++) {
        if ((answers[i].kind == BACKEND_REMOVE) != remove ||
            (unsigned)answers[i].kind >= sizeof(kinds) / sizeof(kinds[0])) {
            free(specs);
            return -1;
        }
        specs[i] =
            (struct ews_respond_spec){kinds[answers[i].kind], answers[i].ref, answers[i].text};
    }
    char *env =
        ews_build_respond_batch(&b->ctx, specs, n, remove ? EWS_SAVE_ONLY : EWS_SEND_AND_SAVE_COPY);
    free(specs);
    int rc = post(b, "CreateItem", env, OP_RESPOND, cb, ud, call);
    if (rc == 0) {
        (*call)->n_sent = n;
        (*call)->answered_ids = xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            (*call)->answered_ids[i] = xstrdup(answers[i].ref->id ? answers[i].ref->id : "");
    }
    return rc;
}

/* The ItemChanges of RW into CHANGES (room for 4); returns how many. */
static size_t rewrite_changes(const struct backend_rewrite *rw, struct ews_item_change *changes)
{
    size_t n = 0;
    if (rw->subject)
        changes[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = rw->subject};
    if (rw->clear_body)
        changes[n++] =
            (struct ews_item_change){.op = EWS_CHANGE_SET, .field = EWS_FIELD_BODY, .text = ""};
    if (rw->make_public)
        changes[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_SENSITIVITY, .text = "Normal"};
    if (rw->show_free)
        changes[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_LEGACY_FREE_BUSY, .free_busy = FB_FREE};
    return n;
}

static int op_rewrite(struct backend *be, const char *id, const struct backend_rewrite *rw,
                      backend_cb cb, void *ud, struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct ews_item_change changes[4];
    size_t n = rewrite_changes(rw, changes);
    /* Answering just changed the item's ChangeKey: it is addressed by id alone. */
    struct item_id ref = {.id = (char *)id};
    return post(b, "UpdateItem",
                ews_build_update_item(&b->ctx, &ref, changes, n, EWS_ALWAYS_OVERWRITE,
                                      EWS_UPDATE_SEND_TO_NONE),
                OP_STATUS_ONLY, cb, ud, call);
}

/* One UpdateItem with an ItemChange per calendar item, in order. */
static int op_rewrite_many(struct backend *be, const char *const *ids,
                           const struct backend_rewrite *rws, size_t n, backend_cb cb, void *ud,
                           struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    if (n == 0)
        return -1;
    struct ews_item_change(*changes)[4] = xcalloc(n, sizeof(*changes));
    struct ews_item_update *updates = xcalloc(n, sizeof(*updates));
    for (size_t i = 0; i < n; i++) {
        updates[i].ref = (struct ews_item_ref){.kind = EWS_REF_ITEM, .id = ids[i]};
        updates[i].changes = changes[i];
        updates[i].n_changes = rewrite_changes(&rws[i], changes[i]);
    }
    char *env =
        ews_build_update_items(&b->ctx, updates, n, EWS_ALWAYS_OVERWRITE, EWS_UPDATE_SEND_TO_NONE);
    free(updates);
    free(changes);
    int rc = post(b, "UpdateItem", env, OP_PER_ITEM, cb, ud, call);
    if (rc == 0)
        (*call)->n_sent = n;
    return rc;
}

static int op_list_attachments(struct backend *be, const char *id, backend_cb cb, void *ud,
                               struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct item_id ref = {.id = (char *)id};
    return post(b, "GetItem",
                ews_build_get_item(&b->ctx, &ref, 1, EWS_SHAPE_ID_ONLY, ATTACHMENTS_FIELD, 1),
                OP_LIST_ATTACHMENTS, cb, ud, call);
}

static int op_delete_attachments(struct backend *be, const struct item_id *ids, size_t n,
                                 backend_cb cb, void *ud, struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    return post(b, "DeleteAttachment", ews_build_delete_attachments(&b->ctx, ids, n), OP_COUNT_DONE,
                cb, ud, call);
}

static int op_forward(struct backend *be, const char *id, const char *const *to, size_t n_to,
                      const char *note, backend_cb cb, void *ud, struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct item_id ref = {.id = (char *)id};
    return post(b, "CreateItem",
                ews_build_forward(&b->ctx, &ref, to, n_to, note, EWS_SEND_AND_SAVE_COPY),
                OP_STATUS_ONLY, cb, ud, call);
}

static int op_remove(struct backend *be, const struct item_id *ids, size_t n, backend_cb cb,
                     void *ud, struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    return post(b, "DeleteItem",
                ews_build_delete_item(&b->ctx, ids, n, EWS_MOVE_TO_DELETED_ITEMS, EWS_SEND_TO_NONE),
                OP_COUNT_DONE, cb, ud, call);
}

static int op_sync_inbox(struct backend *be, const char *state, backend_cb cb, void *ud,
                         struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct ews_sync_folder_items_args args = {
        .folder = {.distinguished_id = "inbox", .mailbox = b->folder_owner},
        .shape = EWS_SHAPE_ID_ONLY,
        .additional_fields = ITEM_CLASS_FIELD,
        .n_additional_fields = 1,
        .sync_state = state,
        .max_changes = EWS_SYNC_MAX_CHANGES,
    };
    return post(b, "SyncFolderItems", ews_build_sync_folder_items(&b->ctx, &args), OP_SYNC, cb, ud,
                call);
}

static int op_subscribe(struct backend *be, const struct backend_affinity *affinity, backend_cb cb,
                        void *ud, struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct ews_folder_ref inbox = {.distinguished_id = "inbox", .mailbox = b->folder_owner};
    char *env = ews_build_subscribe_streaming(
        &b->ctx, &inbox, 1, EWS_EVENT_NEW_MAIL | EWS_EVENT_CREATED | EWS_EVENT_MODIFIED);
    struct ews_account account = with_affinity(b, affinity);
    return post_as(b, &account, "Subscribe", env, OP_SUBSCRIBE, cb, ud, call);
}

static int op_unsubscribe(struct backend *be, const char *subscription_id,
                          const struct backend_affinity *affinity, backend_cb cb, void *ud,
                          struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    struct ews_account account = with_affinity(b, affinity);
    return post_as(b, &account, "Unsubscribe", ews_build_unsubscribe(&b->ctx, subscription_id),
                   OP_STATUS_ONLY, cb, ud, call);
}

static struct backend_listen *op_listen(struct backend *be, struct ev_loop *loop,
                                        const char *const *ids, size_t n, int minutes,
                                        const struct backend_affinity *affinity,
                                        const struct backend_listen_events *ev, void *ud)
{
    struct ews_backend *b = (struct ews_backend *)be;
    return (struct backend_listen *)ews_listen_start(loop, &b->listen_opts, &b->account, ids, n,
                                                     minutes, affinity, ev, ud);
}

static void op_listen_stop(struct backend_listen *l)
{
    ews_listen_stop((struct ews_listen *)l);
}

static int op_expand_group(struct backend *be, const char *address, backend_cb cb, void *ud,
                           struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    return post(b, "ExpandDL", ews_build_expand_dl(&b->ctx, address), OP_EXPAND_DL, cb, ud, call);
}

static const char *const RESPONSE_CLASSES[] = {"IPM.Schedule.Meeting.Resp"};

static int op_find_sent_responses(struct backend *be, backend_cb cb, void *ud,
                                  struct backend_call **call)
{
    struct ews_backend *b = (struct ews_backend *)be;
    /* Without a SortOrder the newest come first. */
    struct ews_find_item_args args =
        class_page(b, "sentitems", RESPONSE_CLASSES, 1, 0, EWS_SORT_NONE);
    return post(b, "FindItem", ews_build_find_item(&b->ctx, &args), OP_FIND, cb, ud, call);
}

static void op_cancel(struct backend_call *call)
{
    if (call == NULL)
        return;
    ews_call_cancel(call->ews);
    call_free(call);
}

static void op_free(struct backend *be)
{
    struct ews_backend *b = (struct ews_backend *)be;
    if (b == NULL)
        return;
    backend_head_clear(&b->head);
    free(b->url);
    free(b->username);
    util_secure_free(b->password);
    free(b->impersonate);
    free(b->folder_owner);
    free(b->server_version);
    free(b->ca_file);
    free(b->affinity_anchor);
    free(b->affinity_cookie);
    free(b);
}

static const struct backend_ops ews_ops = {
    .find = op_find,
    .fetch = op_fetch,
    .calendar_view = op_calendar_view,
    .verify = op_verify,
    .respond = op_respond,
    .rewrite = op_rewrite,
    .list_attachments = op_list_attachments,
    .delete_attachments = op_delete_attachments,
    .forward = op_forward,
    .rewrite_many = op_rewrite_many,
    .remove = op_remove,
    .cancel = op_cancel,
    .free = op_free,
    .sync_inbox = op_sync_inbox,
    .subscribe = op_subscribe,
    .unsubscribe = op_unsubscribe,
    .listen = op_listen,
    .listen_stop = op_listen_stop,
    .list_calendar = op_list_calendar,
    .expand_group = op_expand_group,
    .find_sent_responses = op_find_sent_responses,
};

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

struct backend *ews_backend_new(struct http_client *http, const struct ews_backend_config *cfg)
{
    struct ews_backend *b = xcalloc(1, sizeof(*b));
    b->head.ops = &ews_ops;
    b->http = http;
    b->url = xstrdup(cfg->url);
    b->username = dup_or_null(cfg->username);
    b->password = dup_or_null(cfg->password);
    b->impersonate = dup_or_null(cfg->impersonate);
    b->folder_owner = dup_or_null(cfg->folder_owner);
    b->server_version = dup_or_null(cfg->server_version);
    b->account = (struct ews_account){
        .url = b->url,
        .auth = cfg->auth,
        .username = b->username,
        .password = b->password,
        .impersonate = b->impersonate,
        .server_version = b->server_version,
        .oauth2 = cfg->oauth2,
    };
    b->ca_file = dup_or_null(cfg->ca_file);
    b->listen_opts = (struct ews_listen_options){.tls_insecure = cfg->tls_insecure,
                                                 .ca_file = b->ca_file,
                                                 .connect_timeout_s = 10.0,
                                                 .token_http = http};
    b->ctx = (struct ews_context){
        .server_version = b->server_version,
        .impersonate_address = b->impersonate,
    };
    const char *user = b->username ? b->username : "";
    const char *scheme = cfg->auth_name ? cfg->auth_name : "?";
    /* Exchange charges ErrorServerBusy to the impersonated mailbox under impersonation, to
     * the logged-in account otherwise (delegate access shares the delegate's budget). */
    b->head.keys[BACKEND_SCOPE_SERVER] = xasprintf("server %s", b->url);
    b->head.keys[BACKEND_SCOPE_BUDGET] =
        xasprintf("budget %s %s", b->url, b->impersonate ? b->impersonate : user);
    b->head.keys[BACKEND_SCOPE_CREDENTIALS] =
        xasprintf("credentials %s %s %s", b->url, scheme, user);
    b->head.credentials_name = xasprintf("%s (%s) at %s", user, scheme, b->url);
    return &b->head;
}

enum http_auth ews_backend_http_auth(enum conf_auth auth)
{
    switch (auth) {
    case CONF_AUTH_NTLM:
        return HTTP_AUTH_NTLM;
    case CONF_AUTH_NEGOTIATE:
        return HTTP_AUTH_NEGOTIATE;
    case CONF_AUTH_OAUTH2:
        return HTTP_AUTH_NONE; /* the EWS client sends the bearer token */
    case CONF_AUTH_BASIC:
        break;
    }
    return HTTP_AUTH_BASIC;
}

struct backend *ews_backend_open(const struct conf *conf, const struct conf_mailbox *cm, void *http)
{
    struct ews_backend_config cfg = {
        .url = conf->server.url,
        .auth = ews_backend_http_auth(conf->server.auth),
        .auth_name = conf_auth_name(conf->server.auth),
        .username = cm->login_username,
        .password = cm->login_password,
        .impersonate = cm->access == CONF_ACCESS_IMPERSONATE ? cm->address : NULL,
        .folder_owner = cm->access == CONF_ACCESS_DELEGATE ? cm->address : NULL,
        .server_version = conf->server.server_version,
        .oauth2 = conf->server.auth == CONF_AUTH_OAUTH2 ? &conf->server.oauth2 : NULL,
        .tls_insecure = !conf->server.tls_verify,
        .ca_file = conf->server.ca_file,
    };
    return ews_backend_new(http, &cfg);
}
