/*
 * ews_stream: Subscribe and GetStreamingEvents answers, and the splitter that cuts a
 * streaming response into envelopes (see ews_stream.h).
 *
 * ews_parse_response() accepts or refuses each document first; it reads the response
 * messages (class, code, text, back-off) but not the elements of notifications. Those are
 * read here from a second parse of the same bytes, which ews_parse has just found
 * well-formed and free of any DOCTYPE, with the same safe libxml2 options.
 */
#include "ews_stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_M "http://schemas.microsoft.com/exchange/services/2006/messages"
#define NS_T "http://schemas.microsoft.com/exchange/services/2006/types"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reading the tree ---- */

struct reader {
    char *err;
    size_t errlen;
    bool failed;
};

__attribute__((format(printf, 2, 3))) static int refuse(struct reader *r, const char *fmt, ...)
{
    if (!r->failed && r->err != NULL && r->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    r->failed = true;
    return -1;
}

static bool named(const xmlNode *n, const char *ns, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child_el(const xmlNode *n)
{
    for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

static const xmlNode *sibling_el(const xmlNode *n)
{
    for (n = n->next; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

/* The trimmed text of a leaf element (newly allocated), or NULL (refused) if it is empty
 * or has element children. */
static char *leaf_value(struct reader *r, const xmlNode *n)
{
    if (child_el(n) != NULL) {
        refuse(r, "%s: unexpected child element", (const char *)n->name);
        return NULL;
    }
    xmlChar *raw = xmlNodeGetContent(n);
    const char *s = raw != NULL ? (const char *)raw : "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len > 0 &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    char *out = NULL;
    if (len == 0) {
        refuse(r, "%s is empty", (const char *)n->name);
    } else {
        out = xmalloc(len + 1);
        memcpy(out, s, len);
        out[len] = '\0';
    }
    xmlFree(raw);
    return out;
}

/* The second parse (see the top of the file). */
static xmlDoc *reread(struct reader *r, const char *body, size_t len)
{
    xmlDoc *doc = xmlReadMemory(body, (int)len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL)
        refuse(r, "the document could not be read again");
    return doc;
}

/* m:ResponseMessages of an accepted, non-fault response. */
static const xmlNode *response_messages(const xmlDoc *doc)
{
    const xmlNode *body = child_el(xmlDocGetRootElement(doc));
    while (body != NULL && !named(body, NS_SOAP, "Body"))
        body = sibling_el(body);
    return child_el(child_el(body));
}

/* ---- Subscribe ---- */

int ews_parse_subscribe(const char *body, size_t len, struct ews_subscribe_result *out, char *err,
                        size_t errlen)
{
    struct reader r = {err, errlen, false};
    memset(out, 0, sizeof(*out));
    struct ews_response *resp = NULL;
    if (ews_parse_response(body, len, "Subscribe", &resp, err, errlen) < 0)
        return -1;
    if (resp->is_fault) {
        out->is_fault = true;
        out->code = resp->fault_code;
        out->code_text = xstrdup(resp->fault_code_text);
        out->backoff_ms = resp->fault_backoff_ms;
        ews_response_free(resp);
        return 0;
    }
    if (resp->n_messages != 1) {
        size_t n = resp->n_messages;
        ews_response_free(resp);
        return refuse(&r, "a Subscribe response holds one message, not %zu", n);
    }
    const struct ews_response_message *m = &resp->messages[0];
    out->code = m->code;
    out->code_text =
        m->code == EWS_OK
            ? NULL
            : xstrdup(m->response_code_text != NULL ? m->response_code_text : "ErrorOther");
    out->backoff_ms = m->backoff_ms;
    ews_response_free(resp);

    xmlDoc *doc = out->code == EWS_OK ? reread(&r, body, len) : NULL;
    if (doc != NULL) {
        for (const xmlNode *c = child_el(child_el(response_messages(doc))); c != NULL;
             c = sibling_el(c)) {
            if (!named(c, NS_M, "SubscriptionId"))
                continue;
            if (out->subscription_id != NULL) {
                refuse(&r, "duplicate m:SubscriptionId");
                break;
            }
            out->subscription_id = leaf_value(&r, c);
        }
        if (!r.failed && out->subscription_id == NULL)
            refuse(&r, "a successful Subscribe response without m:SubscriptionId");
        xmlFreeDoc(doc);
    }
    if (r.failed) {
        ews_subscribe_result_clear(out);
        return -1;
    }
    return 0;
}

void ews_subscribe_result_clear(struct ews_subscribe_result *r)
{
    free(r->code_text);
    free(r->subscription_id);
    memset(r, 0, sizeof(*r));
}

bool ews_stream_code_means_subscription_lost(const char *code_text)
{
    static const char *const codes[] = {
        "ErrorSubscriptionNotFound",     "ErrorExpiredSubscription", "ErrorInvalidSubscription",
        "ErrorSubscriptionUnsubscribed", "ErrorReadEventsFailed",
    };
    if (code_text == NULL)
        return false;
    for (size_t i = 0; i < NELEM(codes); i++)
        if (strcmp(code_text, codes[i]) == 0)
            return true;
    return false;
}

/* ---- GetStreamingEvents ---- */

static const struct {
    const char *name;
    enum ews_event_type type;
} stream_events[] = {
    {"NewMailEvent", EWS_EVENT_NEW_MAIL},
    {"CreatedEvent", EWS_EVENT_CREATED},
    {"ModifiedEvent", EWS_EVENT_MODIFIED},
    {"DeletedEvent", EWS_EVENT_DELETED},
    {"MovedEvent", EWS_EVENT_MOVED},
    {"CopiedEvent", EWS_EVENT_COPIED},
    {"FreeBusyChangedEvent", EWS_EVENT_FREE_BUSY_CHANGED},
    {"StatusEvent", EWS_EVENT_STATUS},
};

static int read_id(struct reader *r, const xmlNode *n, struct item_id *out)
{
    xmlChar *id = xmlGetProp(n, (const xmlChar *)"Id");
    xmlChar *ck = xmlGetProp(n, (const xmlChar *)"ChangeKey");
    int rc = 0;
    if (id == NULL || id[0] == '\0') {
        rc = refuse(r, "%s without Id", (const char *)n->name);
    } else {
        out->id = xstrdup((const char *)id);
        out->change_key = ck != NULL ? xstrdup((const char *)ck) : NULL;
    }
    xmlFree(id);
    xmlFree(ck);
    return rc;
}

/* What an event's element holds, in schema order: Watermark?, then for object events
 * TimeStamp, ItemId|FolderId, ParentFolderId, then OldItemId|OldFolderId +
 * OldParentFolderId (moved, copied) or UnreadCount? (modified). */
static int read_event(struct reader *r, const xmlNode *e, struct ews_stream_event *ev)
{
    const xmlNode *c = child_el(e);
    if (named(c, NS_T, "Watermark"))
        c = sibling_el(c);
    if (ev->type == EWS_EVENT_STATUS)
        return c == NULL ? 0 : refuse(r, "StatusEvent: unexpected %s", (const char *)c->name);
    if (!named(c, NS_T, "TimeStamp"))
        return refuse(r, "%s without t:TimeStamp", (const char *)e->name);
    char *stamp = leaf_value(r, c);
    int rc = stamp != NULL && ews_datetime_parse(stamp, &ev->time_stamp) == 0
                 ? 0
                 : refuse(r, "%s: invalid t:TimeStamp", (const char *)e->name);
    free(stamp);
    c = rc == 0 ? sibling_el(c) : NULL;
    ev->is_folder = named(c, NS_T, "FolderId");
    if (rc == 0 && !ev->is_folder && !named(c, NS_T, "ItemId"))
        return refuse(r, "%s without t:ItemId or t:FolderId", (const char *)e->name);
    if (rc < 0 || read_id(r, c, &ev->id) < 0)
        return -1;
    c = sibling_el(c);
    if (!named(c, NS_T, "ParentFolderId") || read_id(r, c, &ev->parent_folder_id) < 0)
        return refuse(r, "%s without a valid t:ParentFolderId", (const char *)e->name);
    c = sibling_el(c);
    if (ev->type == EWS_EVENT_MOVED || ev->type == EWS_EVENT_COPIED) {
        if (!named(c, NS_T, "OldItemId") && !named(c, NS_T, "OldFolderId"))
            return refuse(r, "%s without its old id", (const char *)e->name);
        c = sibling_el(c);
        if (!named(c, NS_T, "OldParentFolderId"))
            return refuse(r, "%s without t:OldParentFolderId", (const char *)e->name);
        c = sibling_el(c);
    } else if (ev->type == EWS_EVENT_MODIFIED && named(c, NS_T, "UnreadCount")) {
        c = sibling_el(c);
    }
    return c == NULL ? 0
                     : refuse(r, "%s: unexpected %s", (const char *)e->name, (const char *)c->name);
}

static char *take_subscription_id(struct reader *r, const xmlNode *c, struct ews_stream_message *m)
{
    char *sid = leaf_value(r, c);
    if (sid != NULL) {
        m->subscription_ids = xreallocarray(m->subscription_ids, m->n_subscription_ids + 1,
                                            sizeof(*m->subscription_ids));
        m->subscription_ids[m->n_subscription_ids++] = sid;
    }
    return sid;
}

static int read_notification(struct reader *r, const xmlNode *note, struct ews_stream_message *m)
{
    const xmlNode *c = child_el(note);
    if (!named(c, NS_T, "SubscriptionId"))
        return refuse(r, "Notification without t:SubscriptionId");
    const char *sid = take_subscription_id(r, c, m);
    if (sid == NULL)
        return -1;
    c = sibling_el(c);
    if (named(c, NS_T, "PreviousWatermark"))
        c = sibling_el(c);
    if (named(c, NS_T, "MoreEvents"))
        c = sibling_el(c);
    if (c == NULL)
        return refuse(r, "Notification without events");
    for (; c != NULL; c = sibling_el(c)) {
        size_t k = 0;
        while (k < NELEM(stream_events) && !named(c, NS_T, stream_events[k].name))
            k++;
        if (k == NELEM(stream_events))
            return refuse(r, "Notification: unexpected %s", (const char *)c->name);
        m->events = xreallocarray(m->events, m->n_events + 1, sizeof(*m->events));
        struct ews_stream_event *ev = &m->events[m->n_events++];
        memset(ev, 0, sizeof(*ev));
        ev->type = stream_events[k].type;
        ev->subscription_id = sid;
        if (read_event(r, c, ev) < 0)
            return -1;
    }
    return 0;
}

/* The elements of one GetStreamingEventsResponseMessage that ews_parse does not read. */
static int read_stream_message(struct reader *r, const xmlNode *rm, struct ews_stream_message *m)
{
    bool seen_notes = false, seen_errors = false, seen_status = false;
    for (const xmlNode *c = child_el(rm); c != NULL; c = sibling_el(c)) {
        if (named(c, NS_M, "Notifications")) {
            if (seen_notes)
                return refuse(r, "duplicate m:Notifications");
            seen_notes = true;
            for (const xmlNode *n = child_el(c); n != NULL; n = sibling_el(n)) {
                if (!named(n, NS_M, "Notification") && !named(n, NS_T, "Notification"))
                    return refuse(r, "m:Notifications: unexpected %s", (const char *)n->name);
                if (read_notification(r, n, m) < 0)
                    return -1;
            }
        } else if (named(c, NS_M, "ErrorSubscriptionIds")) {
            if (seen_errors)
                return refuse(r, "duplicate m:ErrorSubscriptionIds");
            seen_errors = true;
            for (const xmlNode *n = child_el(c); n != NULL; n = sibling_el(n)) {
                if (!named(n, NS_T, "SubscriptionId"))
                    return refuse(r, "m:ErrorSubscriptionIds: unexpected %s",
                                  (const char *)n->name);
                char *sid = leaf_value(r, n);
                if (sid == NULL)
                    return -1;
                m->error_subscription_ids = xreallocarray(
                    m->error_subscription_ids, m->n_error_subscription_ids + 1, sizeof(char *));
                m->error_subscription_ids[m->n_error_subscription_ids++] = sid;
            }
        } else if (named(c, NS_M, "ConnectionStatus")) {
            char *v = seen_status ? NULL : leaf_value(r, c);
            seen_status = true;
            if (v != NULL && strcmp(v, "OK") == 0)
                m->status = EWS_CONNECTION_OK;
            else if (v != NULL && strcmp(v, "Closed") == 0)
                m->status = EWS_CONNECTION_CLOSED;
            free(v);
            if (m->status == EWS_CONNECTION_UNSTATED)
                return refuse(r, "invalid or duplicate m:ConnectionStatus");
        }
    }
    return 0;
}

static void stream_message_clear(struct ews_stream_message *m)
{
    free(m->code_text);
    for (size_t i = 0; i < m->n_error_subscription_ids; i++)
        free(m->error_subscription_ids[i]);
    free(m->error_subscription_ids);
    for (size_t i = 0; i < m->n_subscription_ids; i++)
        free(m->subscription_ids[i]);
    free(m->subscription_ids);
    for (size_t i = 0; i < m->n_events; i++) {
        item_id_clear(&m->events[i].id);
        item_id_clear(&m->events[i].parent_folder_id);
    }
    free(m->events);
}

void ews_stream_envelope_free(struct ews_stream_envelope *e)
{
    if (e == NULL)
        return;
    free(e->fault_code_text);
    for (size_t i = 0; i < e->n_messages; i++)
        stream_message_clear(&e->messages[i]);
    free(e->messages);
    free(e);
}

/* Copy what ews_parse read of each message, then read the rest from the tree. */
static int read_stream_messages(struct reader *r, const struct ews_response *resp, const char *body,
                                size_t len, struct ews_stream_envelope *e)
{
    e->messages = xcalloc(resp->n_messages, sizeof(*e->messages));
    e->n_messages = resp->n_messages;
    for (size_t i = 0; i < resp->n_messages; i++) {
        const struct ews_response_message *m = &resp->messages[i];
        e->messages[i].cls = m->cls;
        e->messages[i].code = m->code;
        e->messages[i].backoff_ms = m->backoff_ms;
        if (m->code != EWS_OK)
            e->messages[i].code_text =
                xstrdup(m->response_code_text != NULL ? m->response_code_text : "ErrorOther");
    }
    xmlDoc *doc = reread(r, body, len);
    if (doc == NULL)
        return -1;
    size_t i = 0;
    for (const xmlNode *rm = child_el(response_messages(doc)); rm != NULL && !r->failed;
         rm = sibling_el(rm))
        if (i < e->n_messages)
            read_stream_message(r, rm, &e->messages[i++]);
    xmlFreeDoc(doc);
    return r->failed ? -1 : 0;
}

int ews_parse_stream_envelope(const char *body, size_t len, struct ews_stream_envelope **out,
                              char *err, size_t errlen)
{
    struct reader r = {err, errlen, false};
    *out = NULL;
    struct ews_response *resp = NULL;
    if (ews_parse_response(body, len, "GetStreamingEvents", &resp, err, errlen) < 0)
        return -1;
    struct ews_stream_envelope *e = xcalloc(1, sizeof(*e));
    int rc = 0;
    if (resp->is_fault) {
        e->is_fault = true;
        e->fault_code = resp->fault_code;
        e->fault_code_text = xstrdup(resp->fault_code_text);
        e->fault_backoff_ms = resp->fault_backoff_ms;
    } else {
        rc = read_stream_messages(&r, resp, body, len, e);
    }
    ews_response_free(resp);
    if (rc < 0) {
        ews_stream_envelope_free(e);
        return -1;
    }
    *out = e;
    return 0;
}
