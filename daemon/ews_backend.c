/*
 * ews_backend: backend operations as EWS requests (see ews_backend.h).
 */
#include "ews_backend.h"

#include <stdlib.h>

#include "conf.h"
#include "ews_backend_int.h"
#include "ews_build.h"
#include "ews_client.h"
#include "ews_listen.h"
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
    if (ews_call_take(b->http, account, operation, envelope, ews_backend_on_done, call,
                      &call->ews) != 0) {
        ews_backend_call_free(call);
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
/* A fetched meeting message: what mailbox processing reads of it, asked for by name on
 * IdOnly. AllProperties sent about 40 % more (display lists, flags, sizes, response objects,
 * times nobody reads), all of it through the XML tokenizer for every request; and it need
 * not carry the attendees (grommunio Gromox leaves them out), which named fields do on
 * every server. Each name here is one the item parser (ews_parse_item.c) has a field for;
 * a property that does not apply to the message's type is simply not returned. */
static const char *const FETCH_FIELDS[] = {
    "item:ItemClass",
    "item:Subject",
    "item:Sensitivity",
    "item:Body",
    "item:Attachments",
    "item:DateTimeReceived",
    "item:DateTimeSent",
    "item:HasAttachments",
    "message:Sender",
    "message:From",
    "message:IsResponseRequested",
    "meeting:AssociatedCalendarItemId",
    "meeting:IsDelegated",
    "meeting:IsOutOfDate",
    "meeting:ResponseType",
    "meetingRequest:MeetingRequestType",
    "calendar:UID",
    "calendar:Start",
    "calendar:End",
    "calendar:OriginalStart",
    "calendar:IsAllDayEvent",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:IsMeeting",
    "calendar:IsCancelled",
    "calendar:IsRecurring",
    "calendar:CalendarItemType",
    "calendar:MyResponseType",
    "calendar:Organizer",
    "calendar:RequiredAttendees",
    "calendar:OptionalAttendees",
    "calendar:Resources",
    "calendar:Recurrence",
    "calendar:ModifiedOccurrences",
    "calendar:DeletedOccurrences",
    "calendar:StartTimeZone",
    "calendar:StartTimeZoneId",
};

/* A calendar item in a view or a listing: what the conflict checks and the booked item's
 * handling read, asked for by name on IdOnly. Each is one AllProperties gives in FindItem
 * (no body, attendee lists or occurrences: FindItem never gives those); the rest of
 * AllProperties, a third of the bytes, was read for nothing. A server that keeps a series'
 * recurrence in the property it reads CalendarItemType from (grommunio Gromox) sends the
 * master's t:Recurrence with it, which the series expansion needs there. */
static const char *const VIEW_FIELDS[] = {
    "item:ItemClass",
    "item:Subject",
    "item:Sensitivity",
    "item:DateTimeReceived",
    "item:HasAttachments",
    "calendar:UID",
    "calendar:Start",
    "calendar:End",
    "calendar:OriginalStart",
    "calendar:IsAllDayEvent",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:IsMeeting",
    "calendar:IsCancelled",
    "calendar:IsRecurring",
    "calendar:IsResponseRequested",
    "calendar:CalendarItemType",
    "calendar:MyResponseType",
    "calendar:Organizer",
    "calendar:StartTimeZone",
};

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
        class_page(b, "inbox", ews_meeting_classes, 2, offset, EWS_SORT_RECEIVED_ASCENDING);
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
        .shape = EWS_SHAPE_ID_ONLY,
        .additional_fields = VIEW_FIELDS,
        .n_additional_fields = sizeof(VIEW_FIELDS) / sizeof(VIEW_FIELDS[0]),
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
    char *env = ews_build_get_item(&b->ctx, ids, n, EWS_SHAPE_ID_ONLY, FETCH_FIELDS,
                                   sizeof(FETCH_FIELDS) / sizeof(FETCH_FIELDS[0]));
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
        .shape = EWS_SHAPE_ID_ONLY,
        .additional_fields = VIEW_FIELDS,
        .n_additional_fields = sizeof(VIEW_FIELDS) / sizeof(VIEW_FIELDS[0]),
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
    ews_backend_call_free(call);
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
