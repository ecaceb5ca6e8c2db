/*
 * ews_backend_result: an EWS answer read into a struct backend_result (see ews_backend.h):
 * ResponseCodes into backend statuses, m:Items into items, each operation's own fields.
 */
#include "ews_backend_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ews_stream.h"
#include "ews_sync.h"
#include "util.h"

const char *const ews_meeting_classes[2] = {
    "IPM.Schedule.Meeting.Request",
    "IPM.Schedule.Meeting.Canceled",
};

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
        if (strncasecmp(cls, ews_meeting_classes[i], strlen(ews_meeting_classes[i])) == 0)
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

void ews_backend_call_free(struct backend_call *call)
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

void ews_backend_on_done(struct ews_call_result *res, void *userdata)
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
    ews_backend_call_free(call);
}
