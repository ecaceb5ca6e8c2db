/*
 * ews_parse_response: the SOAP envelope, faults, m:*Response / m:*ResponseMessage and what a
 * message holds besides items (RootFolder paging, folders, SyncFolderItems changes).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ews_parse_int.h"
#include "log.h"
#include "util.h"

/* ---- response messages ---- */

/* The BackOffMilliseconds value inside a MessageXml element, if any. */
static int parse_message_xml(struct pctx *p, const struct xnode *mx, unsigned *backoff)
{
    FOR_EACH_EL(v, mx)
    {
        if (!is_el(v, NS_T, "Value"))
            continue;
        char *name = attr_dup(v, "Name");
        bool is_backoff = name != NULL && strcmp(name, "BackOffMilliseconds") == 0;
        free(name);
        if (!is_backoff)
            continue;
        int ms;
        if (el_int_within(p, v, &ms, 0, INT_MAX, "negative BackOffMilliseconds") < 0)
            return -1;
        *backoff = (unsigned)ms;
    }
    return 0;
}

/* The optional paging attribute NAME of EL (m:RootFolder, m:DLExpansion) converted by PARSE
 * into *OUT (left alone when the attribute is absent). */
int paging_attr(struct pctx *p, const struct xnode *el, const char *name, value_parser *parse,
                void *out)
{
    char *v = attr_dup(el, name), b[48];
    if (v == NULL)
        return 0;
    int rc = parse(v, out);
    if (rc < 0)
        ep_fail(p, "m:%s: invalid %s \"%s\"", el->name, name, ep_shown(v, b));
    free(v);
    return rc;
}

/* Child C of PARENT that meetingd does not read: an element of another namespace than
 * SOAP's and EWS's (a server's extension) carries nothing for us and is skipped with one
 * debug line; anything else in the EWS namespaces is a surprise that fails the parse. */
static int extension_or_unexpected(struct pctx *p, const struct xnode *parent,
                                   const struct xnode *c)
{
    if (c->ns == NULL || ns_is(c, NS_M) || ns_is(c, NS_T) || ns_is(c, NS_SOAP) || ns_is(c, NS_E))
        return ep_unexpected(p, parent, c);
    log_debug("EWS response: %s: extension element {%.80s}%.60s in %s%s is skipped", p->where,
              c->ns, c->name, prefix_of(parent), parent->name);
    return 0;
}

static int parse_root_folder(struct pctx *p, const struct xnode *rf, int msg_no,
                             struct ews_response_message *m)
{
    m->has_root_folder = true;
    if (paging_attr(p, rf, "IndexedPagingOffset", int_from, &m->indexed_paging_offset) < 0 ||
        paging_attr(p, rf, "TotalItemsInView", int_from, &m->total_items_in_view) < 0 ||
        paging_attr(p, rf, "IncludesLastItemInRange", bool_from, &m->includes_last_item_in_range) <
            0)
        return -1;
    bool got_items = false;
    FOR_EACH_EL(c, rf)
    {
        if (is_el(c, NS_T, "Items") && !got_items) {
            got_items = true;
            if (parse_items(p, c, msg_no, &m->items, &m->n_items, &m->n_dropped_items) < 0)
                return -1;
        } else if (is_el(c, NS_T, "Groups") && first_el(c) == NULL) {
            /* Gromox sends an empty one after t:Items in every FindItem reply: no group, no
             * item, nothing to read. */
            log_debug("EWS response: %s: an empty t:Groups is skipped", p->where);
        } else if (is_el(c, NS_T, "Groups")) {
            /* We never send GroupBy; items in groups would be items we do not see. */
            return ep_fail(p, "m:RootFolder: grouped results (t:Groups) were not requested");
        } else {
            return extension_or_unexpected(p, rf, c);
        }
    }
    return 0;
}

static bool is_folder_element(const struct xnode *n)
{
    static const char *const names[] = {"Folder", "CalendarFolder", "ContactsFolder",
                                        "SearchFolder", "TasksFolder"};
    for (size_t i = 0; i < NELEM(names); i++)
        if (is_el(n, NS_T, names[i]))
            return true;
    return false;
}

/* The folder properties we read: the same scheme as item_fields, on a smaller scale. */
enum folder_field_kind { FF_ID, FF_STRING, FF_INT };

static const struct folder_field {
    const char *name;
    enum folder_field_kind kind;
    size_t offset;
} folder_fields[] = {
    {"FolderId", FF_ID, offsetof(struct ews_folder, id)},
    {"DisplayName", FF_STRING, offsetof(struct ews_folder, display_name)},
    {"FolderClass", FF_STRING, offsetof(struct ews_folder, folder_class)},
    {"TotalCount", FF_INT, offsetof(struct ews_folder, total_count)},
    {"ChildFolderCount", FF_INT, offsetof(struct ews_folder, child_folder_count)},
    {"UnreadCount", FF_INT, offsetof(struct ews_folder, unread_count)},
};

static int read_folder_field(struct pctx *p, const struct folder_field *ff, const struct xnode *e,
                             struct ews_folder *f)
{
    void *dst = (char *)f + ff->offset;
    switch (ff->kind) {
    case FF_ID:
        return el_id(p, e, dst);
    case FF_STRING:
        return el_string(p, e, dst);
    case FF_INT:
        break;
    }
    return el_int(p, e, dst);
}

static int parse_folders(struct pctx *p, const struct xnode *fs, struct ews_response_message *m)
{
    size_t cap = 0;
    FOR_EACH_EL(c, fs)
    {
        if (!is_folder_element(c))
            return ep_unexpected(p, fs, c);
        m->folders = ep_grow(m->folders, m->n_folders, &cap, sizeof(*m->folders));
        struct ews_folder *f = &m->folders[m->n_folders++];
        f->total_count = f->child_folder_count = f->unread_count = -1;
        unsigned seen = 0;
        FOR_EACH_EL(e, c)
        {
            size_t k = 0;
            while (k < NELEM(folder_fields) && !is_el(e, NS_T, folder_fields[k].name))
                k++;
            if (k == NELEM(folder_fields))
                continue; /* PermissionSet, EffectiveRights...: not needed */
            if (seen & (1u << k))
                return ep_fail(p, "duplicate t:%s in a folder", folder_fields[k].name);
            seen |= 1u << k;
            if (read_folder_field(p, &folder_fields[k], e, f) < 0)
                return -1;
        }
    }
    return 0;
}

static int parse_changes(struct pctx *p, const struct xnode *ch, int msg_no,
                         struct ews_response_message *m)
{
    size_t cap = 0;
    FOR_EACH_EL(c, ch)
    {
        enum ews_sync_change_kind kind;
        if (is_el(c, NS_T, "Create"))
            kind = EWS_SYNC_CREATE;
        else if (is_el(c, NS_T, "Update"))
            kind = EWS_SYNC_UPDATE;
        else if (is_el(c, NS_T, "Delete"))
            kind = EWS_SYNC_DELETE;
        else if (is_el(c, NS_T, "ReadFlagChange"))
            kind = EWS_SYNC_READ_FLAG_CHANGE;
        else
            return ep_unexpected(p, ch, c);
        m->changes = ep_grow(m->changes, m->n_changes, &cap, sizeof(*m->changes));
        struct ews_sync_change *sc = &m->changes[m->n_changes++];
        item_init(&sc->item);
        sc->kind = kind;
        snprintf(p->where, sizeof(p->where), "ResponseMessage %d, change %zu (t:%s)", msg_no,
                 m->n_changes, c->name);
        const struct xnode *e = first_el(c);
        if (kind == EWS_SYNC_CREATE || kind == EWS_SYNC_UPDATE) {
            if (e == NULL || next_el(e) != NULL)
                return ep_fail(p, "must hold exactly one item");
            int rc = parse_item(p, e, &sc->item);
            if (rc == ITEM_UNUSABLE)
                return ep_fail(p, "%s", p->skipped);
            if (rc < 0)
                return -1;
        } else {
            if (!is_el(e, NS_T, "ItemId"))
                return ep_fail(p, "t:ItemId expected");
            if (el_id(p, e, &sc->item.id) < 0)
                return -1;
            const struct xnode *r = next_el(e);
            if (kind == EWS_SYNC_READ_FLAG_CHANGE) {
                if (!is_el(r, NS_T, "IsRead") || next_el(r) != NULL)
                    return ep_fail(p, "t:IsRead expected after t:ItemId");
                if (el_bool(p, r, &sc->is_read) < 0)
                    return -1;
            } else if (r != NULL) {
                return ep_fail(p, "unexpected element after t:ItemId");
            }
        }
    }
    snprintf(p->where, sizeof(p->where), "ResponseMessage %d", msg_no);
    return 0;
}

static int parse_response_class(struct pctx *p, const struct xnode *rm,
                                enum ews_response_class *out)
{
    char *cls = attr_dup(rm, "ResponseClass"), b[48];
    if (cls == NULL)
        return ep_fail(p, "m:%s without ResponseClass", rm->name);
    int rc = 0;
    if (strcmp(cls, "Success") == 0)
        *out = EWS_CLASS_SUCCESS;
    else if (strcmp(cls, "Warning") == 0)
        *out = EWS_CLASS_WARNING;
    else if (strcmp(cls, "Error") == 0)
        *out = EWS_CLASS_ERROR;
    else
        rc = ep_fail(p, "invalid ResponseClass \"%s\"", ep_shown(cls, b));
    free(cls);
    return rc;
}

/* Every m:* child we interpret may appear once; this mask tracks them. */
enum {
    SEEN_TEXT = 1 << 0,
    SEEN_CODE = 1 << 1,
    SEEN_XML = 1 << 2,
    SEEN_ITEMS = 1 << 3,
    SEEN_ROOT = 1 << 4,
    SEEN_FOLDERS = 1 << 5,
    SEEN_CONFLICTS = 1 << 6,
    SEEN_SYNC_STATE = 1 << 7,
    SEEN_LAST = 1 << 8,
    SEEN_CHANGES = 1 << 9,
    SEEN_DL = 1 << 10,
};

static int once(struct pctx *p, unsigned *seen, unsigned bit, const struct xnode *c)
{
    if (*seen & bit)
        return ep_fail(p, "duplicate m:%s", c->name);
    *seen |= bit;
    return 0;
}

static int parse_response_message(struct pctx *p, const struct xnode *rm, int msg_no,
                                  struct ews_response_message *m)
{
    snprintf(p->where, sizeof(p->where), "ResponseMessage %d", msg_no);
    m->indexed_paging_offset = -1;
    m->total_items_in_view = -1;
    if (parse_response_class(p, rm, &m->cls) < 0)
        return -1;

    unsigned seen = 0;
    FOR_EACH_EL(c, rm)
    {
        if (!ns_is(c, NS_M)) {
            if (extension_or_unexpected(p, rm, c) < 0)
                return -1;
            continue;
        }
        const char *name = c->name;
        int rc = 0;
        if (strcmp(name, "MessageText") == 0) {
            rc = once(p, &seen, SEEN_TEXT, c) < 0 ? -1 : el_string(p, c, &m->message_text);
        } else if (strcmp(name, "ResponseCode") == 0) {
            rc = once(p, &seen, SEEN_CODE, c) < 0 ? -1 : el_string(p, c, &m->response_code_text);
        } else if (strcmp(name, "MessageXml") == 0) {
            rc = once(p, &seen, SEEN_XML, c) < 0 ? -1 : parse_message_xml(p, c, &m->backoff_ms);
        } else if (strcmp(name, "Items") == 0) {
            rc = once(p, &seen, SEEN_ITEMS, c) < 0
                     ? -1
                     : parse_items(p, c, msg_no, &m->items, &m->n_items, &m->n_dropped_items);
        } else if (strcmp(name, "RootFolder") == 0) {
            rc = once(p, &seen, SEEN_ROOT, c) < 0 ? -1 : parse_root_folder(p, c, msg_no, m);
        } else if (strcmp(name, "Folders") == 0) {
            rc = once(p, &seen, SEEN_FOLDERS, c) < 0 ? -1 : parse_folders(p, c, m);
        } else if (strcmp(name, "ConflictResults") == 0) {
            if (once(p, &seen, SEEN_CONFLICTS, c) < 0)
                return -1;
            const struct xnode *cnt = first_el(c);
            if (!is_el(cnt, NS_T, "Count") || next_el(cnt) != NULL)
                return ep_fail(p, "m:ConflictResults must hold one t:Count");
            rc = el_int(p, cnt, &m->conflict_count);
        } else if (strcmp(name, "SyncState") == 0) {
            rc = once(p, &seen, SEEN_SYNC_STATE, c) < 0 ? -1 : el_string(p, c, &m->sync_state);
        } else if (strcmp(name, "IncludesLastItemInRange") == 0) {
            rc = once(p, &seen, SEEN_LAST, c) < 0 ? -1
                                                  : el_bool(p, c, &m->includes_last_item_in_range);
        } else if (strcmp(name, "Changes") == 0) {
            rc = once(p, &seen, SEEN_CHANGES, c) < 0 ? -1 : parse_changes(p, c, msg_no, m);
        } else if (strcmp(name, "DLExpansion") == 0) {
            rc = once(p, &seen, SEEN_DL, c) < 0 ? -1 : parse_dl_expansion(p, c, m);
        }
        /* DescriptiveLinkKey, HighlightTerms, Notifications...: not ours. */
        if (rc < 0)
            return -1;
    }

    if (m->response_code_text != NULL) {
        char *code = ep_trim(m->response_code_text);
        if (code != m->response_code_text)
            memmove(m->response_code_text, code, strlen(code) + 1);
        m->code = ews_error_from_name(m->response_code_text);
    } else {
        /* The schema makes ResponseCode optional; only a success can do without it. */
        m->code = m->cls == EWS_CLASS_SUCCESS ? EWS_OK : EWS_ERROR_OTHER;
    }
    /* Contradictions mean we cannot tell whether the operation happened: refuse. */
    if (m->cls == EWS_CLASS_SUCCESS && m->code != EWS_OK)
        return ep_fail(p, "ResponseClass Success with ResponseCode %s",
                       m->response_code_text != NULL ? m->response_code_text : "(none)");
    if (m->cls == EWS_CLASS_ERROR && m->code == EWS_OK)
        return ep_fail(p, "ResponseClass Error with ResponseCode NoError");
    return 0;
}

/* ---- SOAP fault ---- */

static int parse_fault(struct pctx *p, const struct xnode *f, struct ews_response *r)
{
    snprintf(p->where, sizeof(p->where), "soap:Fault");
    r->is_fault = true;
    char *faultcode = NULL, *detail_code = NULL;
    bool got_string = false;
    int rc = 0;
    FOR_EACH_EL(c, f)
    {
        /* faultcode, faultstring, faultactor and detail are unqualified in SOAP 1.1. */
        if (is_el(c, NULL, "faultcode") && faultcode == NULL) {
            rc = el_string(p, c, &faultcode);
        } else if (is_el(c, NULL, "faultstring") && !got_string) {
            got_string = true;
            rc = el_string(p, c, &r->fault_string);
        } else if (is_el(c, NULL, "faultactor")) {
            continue;
        } else if (is_el(c, NULL, "detail")) {
            FOR_EACH_EL(d, c)
            {
                if (is_el(d, NS_E, "ResponseCode") && detail_code == NULL)
                    rc = el_string(p, d, &detail_code);
                else if (is_el(d, NS_T, "MessageXml") || is_el(d, NS_M, "MessageXml"))
                    rc = parse_message_xml(p, d, &r->fault_backoff_ms);
                if (rc < 0)
                    break;
            }
        } else {
            rc = ep_fail(p, "unexpected element %s%s", prefix_of(c), c->name);
        }
        if (rc < 0)
            break;
    }
    if (rc == 0 && (faultcode == NULL || !got_string))
        rc = ep_fail(p, "faultcode and faultstring are required");
    if (rc < 0) {
        free(faultcode);
        free(detail_code);
        return -1;
    }
    if (detail_code != NULL) {
        r->fault_code_text = xstrdup(ep_trim(detail_code));
        r->fault_code = ews_error_from_name(r->fault_code_text);
    } else {
        /* faultcode is a QName such as "a:ErrorServerBusy" or "s:Client". */
        const char *qn = ep_trim(faultcode);
        const char *colon = strrchr(qn, ':');
        r->fault_code_text = xstrdup(qn);
        r->fault_code = ews_error_from_name(colon != NULL ? colon + 1 : qn);
    }
    /* A fault is never a success, whatever its code says. */
    if (r->fault_code == EWS_OK)
        r->fault_code = EWS_ERROR_OTHER;
    free(faultcode);
    free(detail_code);
    return 0;
}

/* ---- envelope ---- */

static bool name_is_op(const char *name, const char *operation, const char *suffix)
{
    size_t nl = strlen(name), sl = strlen(suffix);
    if (operation == NULL)
        return nl > sl && strcmp(name + nl - sl, suffix) == 0;
    size_t ol = strlen(operation);
    return nl == ol + sl && strncmp(name, operation, ol) == 0 && strcmp(name + ol, suffix) == 0;
}

static int parse_operation_response(struct pctx *p, const struct xnode *resp, const char *operation,
                                    struct ews_response *r)
{
    const struct xnode *rms = NULL;
    FOR_EACH_EL(c, resp)
    {
        if (is_el(c, NS_M, "ResponseMessages") && rms == NULL)
            rms = c;
        else if (extension_or_unexpected(p, resp, c) < 0)
            return -1;
    }
    if (rms == NULL)
        return ep_fail(p, "m:%s without m:ResponseMessages", resp->name);

    size_t cap = 0;
    FOR_EACH_EL(c, rms)
    {
        if (!ns_is(c, NS_M) || !name_is_op(c->name, operation, "ResponseMessage"))
            return ep_fail(p, "m:ResponseMessages: unexpected element %s%.60s", prefix_of(c),
                           c->name);
        r->messages = ep_grow(r->messages, r->n_messages, &cap, sizeof(*r->messages));
        struct ews_response_message *m = &r->messages[r->n_messages++];
        if (parse_response_message(p, c, (int)r->n_messages, m) < 0)
            return -1;
    }
    p->where[0] = '\0';
    if (r->n_messages == 0)
        return ep_fail(p, "m:ResponseMessages is empty");
    /* One message per item, id or folder asked for: any other count is not the answer to
     * this request (another request's reply on a reused connection, say). */
    if (p->expect_messages != 0 && r->n_messages != p->expect_messages)
        return ep_fail(p, "%zu response messages answer a request for %zu", r->n_messages,
                       p->expect_messages);
    return 0;
}

int parse_envelope(struct pctx *p, const struct xtree *doc, const char *operation,
                   struct ews_response *r)
{
    const struct xnode *env = xtree_root(doc);
    if (!is_el(env, NS_SOAP, "Envelope"))
        return ep_fail(p, "root element is not a SOAP 1.1 Envelope");
    const struct xnode *header = NULL, *body = NULL;
    FOR_EACH_EL(c, env)
    {
        if (is_el(c, NS_SOAP, "Header") && header == NULL && body == NULL)
            header = c;
        else if (is_el(c, NS_SOAP, "Body") && body == NULL)
            body = c;
        else
            return ep_unexpected(p, env, c);
    }
    if (body == NULL)
        return ep_fail(p, "soap:Envelope without soap:Body");
    if (header != NULL) {
        FOR_EACH_EL(h, header)
        {
            if (is_el(h, NS_T, "ServerVersionInfo") && r->server_version == NULL)
                r->server_version = attr_dup(h, "Version");
        }
    }
    const struct xnode *content = first_el(body);
    if (content == NULL)
        return ep_fail(p, "empty soap:Body");
    if (next_el(content) != NULL)
        return ep_fail(p, "soap:Body holds more than one element");
    if (is_el(content, NS_SOAP, "Fault"))
        return parse_fault(p, content, r);
    if (!ns_is(content, NS_M) || !name_is_op(content->name, operation, "Response")) {
        const char *ns = content->ns != NULL ? content->ns : "";
        return ep_fail(p, "expected m:%sResponse in soap:Body, got {%.80s}%.60s",
                       operation != NULL ? operation : "*", ns, content->name);
    }
    return parse_operation_response(p, content, operation, r);
}

static void message_clear(struct ews_response_message *m)
{
    free(m->response_code_text);
    free(m->message_text);
    item_array_free(m->items, m->n_items);
    for (size_t i = 0; i < m->n_folders; i++) {
        item_id_clear(&m->folders[i].id);
        free(m->folders[i].display_name);
        free(m->folders[i].folder_class);
    }
    free(m->folders);
    free(m->sync_state);
    for (size_t i = 0; i < m->n_changes; i++)
        item_clear(&m->changes[i].item);
    free(m->changes);
    dl_members_free(m);
}

void ews_response_free(struct ews_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->fault_code_text);
    free(resp->fault_string);
    free(resp->server_version);
    for (size_t i = 0; i < resp->n_messages; i++)
        message_clear(&resp->messages[i]);
    free(resp->messages);
    free(resp);
}

size_t ews_response_message_take_items(struct ews_response_message *m, struct item **items)
{
    size_t n = m->n_items;
    *items = m->items;
    m->items = NULL;
    m->n_items = 0;
    return n;
}
