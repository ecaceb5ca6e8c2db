/*
 * ews_sync: SyncFolderItems, streaming subscription requests, batched UpdateItem and the
 * per-item outcomes of a batch (see ews_sync.h).
 *
 * The envelope around an operation (XML declaration, soap:Envelope with the t: and m:
 * prefixes, soap:Header with RequestServerVersion, impersonation and time zone) is
 * ews_build's: it checks the context and writes the header, and the operation element
 * written here takes the place of the body of that shell. So the header of every request
 * has one author, and ews_build.c stays untouched while it is being split.
 *
 * Values that come from the server and go back to it (sync states, subscription ids, item
 * and folder ids) are base64 tokens: anything else is refused before it is written, so a
 * hostile server cannot make meetingd send markup of its choosing.
 */
#include "ews_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/chvalid.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>

#include "util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Exchange's sync states grow with the folder's history (a few KB are usual); a state
 * beyond this is not one meetingd would keep. */
#define MAX_TOKEN_BYTES (1024u * 1024u)

/* ---- values ---- */

static bool token_ok(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    size_t n = 0;
    for (const char *c = s; *c != '\0'; c++, n++) {
        bool ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= '0' && *c <= '9') || *c == '+' || *c == '/' || *c == '=' || *c == '-' ||
                  *c == '_';
        if (!ok || n >= MAX_TOKEN_BYTES)
            return false;
    }
    return true;
}

/* UTF-8 of characters XML 1.0 allows (for addresses, the only free text written here). */
static bool xml_chars_ok(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    const xmlChar *p = (const xmlChar *)s;
    while (*p != '\0') {
        int len = 4;
        int c = xmlGetUTF8Char(p, &len);
        if (c < 0 || !xmlIsCharQ(c))
            return false;
        p += len;
    }
    return true;
}

/* Distinguished folders meetingd syncs or subscribes to. */
static const char *const sync_folders[] = {"inbox", "calendar", "deleteditems", "sentitems",
                                           "drafts"};

static bool folder_ref_ok(const struct ews_folder_ref *f)
{
    if (f->distinguished_id != NULL) {
        bool known = false;
        for (size_t i = 0; i < NELEM(sync_folders); i++)
            known = known || strcmp(sync_folders[i], f->distinguished_id) == 0;
        return known && f->folder_id == NULL && (f->mailbox == NULL || xml_chars_ok(f->mailbox));
    }
    return token_ok(f->folder_id) && f->mailbox == NULL &&
           (f->change_key == NULL || token_ok(f->change_key));
}

/* ---- the operation element ---- */

/* A writer of the operation element only (prefixes m: and t: are declared by the shell);
 * the first failure sticks and makes op_finish() return NULL. */
struct op {
    bool failed;
    xmlTextWriterPtr tw;
    xmlBufferPtr buf;
};

static void op_open(struct op *o, const char *qname)
{
    if (!o->failed)
        o->failed = xmlTextWriterStartElement(o->tw, (const xmlChar *)qname) < 0;
}

static void op_close(struct op *o)
{
    if (!o->failed)
        o->failed = xmlTextWriterEndElement(o->tw) < 0;
}

static void op_attr(struct op *o, const char *name, const char *value)
{
    if (!o->failed)
        o->failed =
            xmlTextWriterWriteAttribute(o->tw, (const xmlChar *)name, (const xmlChar *)value) < 0;
}

static void op_leaf(struct op *o, const char *qname, const char *value)
{
    if (!o->failed)
        o->failed =
            xmlTextWriterWriteElement(o->tw, (const xmlChar *)qname, (const xmlChar *)value) < 0;
}

static void op_leaf_int(struct op *o, const char *qname, int v)
{
    char b[16];
    snprintf(b, sizeof(b), "%d", v);
    op_leaf(o, qname, b);
}

/* Start writing operation element QNAME (e.g. "m:SyncFolderItems"); when valid is false
 * the whole request is refused. */
static void op_begin(struct op *o, const char *qname, bool valid)
{
    memset(o, 0, sizeof(*o));
    o->failed = !valid;
    if (o->failed)
        return;
    o->buf = xmlBufferCreate();
    o->tw = o->buf != NULL ? xmlNewTextWriterMemory(o->buf, 0) : NULL;
    o->failed = o->tw == NULL;
    op_open(o, qname);
}

/* The shell's text up to and including <soap:Body>, and from </soap:Body> on. */
static char *in_envelope(const struct ews_context *ctx, const char *op_xml, size_t op_len)
{
    static const char open_tag[] = "<soap:Body>", close_tag[] = "</soap:Body>";
    struct ews_folder_ref inbox = {.distinguished_id = "inbox"};
    char *shell = ews_build_get_folder(ctx, &inbox, 1, EWS_SHAPE_ID_ONLY);
    if (shell == NULL)
        return NULL; /* the context is invalid */
    char *open = strstr(shell, open_tag), *close = open != NULL ? strstr(open, close_tag) : NULL;
    if (close == NULL) {
        free(shell);
        return NULL;
    }
    size_t head = (size_t)(open - shell) + sizeof(open_tag) - 1, tail = strlen(close);
    char *out = xmalloc(head + op_len + tail + 1);
    memcpy(out, shell, head);
    memcpy(out + head, op_xml, op_len);
    memcpy(out + head + op_len, close, tail + 1);
    free(shell);
    return out;
}

static char *op_finish(struct op *o, const struct ews_context *ctx)
{
    op_close(o);
    if (!o->failed)
        o->failed = xmlTextWriterFlush(o->tw) < 0;
    if (o->tw != NULL)
        xmlFreeTextWriter(o->tw);
    char *out = NULL;
    if (!o->failed)
        out = in_envelope(ctx, (const char *)xmlBufferContent(o->buf),
                          (size_t)xmlBufferLength(o->buf));
    if (o->buf != NULL)
        xmlBufferFree(o->buf);
    return out;
}

static void write_folder(struct op *o, const struct ews_folder_ref *f)
{
    if (f->distinguished_id != NULL) {
        op_open(o, "t:DistinguishedFolderId");
        op_attr(o, "Id", f->distinguished_id);
        if (f->mailbox != NULL) {
            op_open(o, "t:Mailbox");
            op_leaf(o, "t:EmailAddress", f->mailbox);
            op_close(o);
        }
    } else {
        op_open(o, "t:FolderId");
        op_attr(o, "Id", f->folder_id);
        if (f->change_key != NULL)
            op_attr(o, "ChangeKey", f->change_key);
    }
    op_close(o);
}

/* ---- SyncFolderItems ---- */

static bool sync_args_ok(const struct ews_sync_folder_items_args *a)
{
    if (a == NULL || !folder_ref_ok(&a->folder) || a->max_changes < 1 ||
        a->max_changes > EWS_SYNC_MAX_CHANGES || (int)a->shape < 0 ||
        a->shape > EWS_SHAPE_ALL_PROPERTIES)
        return false;
    if (a->sync_state != NULL && a->sync_state[0] != '\0' && !token_ok(a->sync_state))
        return false;
    for (size_t i = 0; i < a->n_additional_fields; i++)
        if (!ews_field_uri_is_valid(a->additional_fields[i]))
            return false;
    for (size_t i = 0; i < a->n_ignore; i++)
        if (!token_ok(a->ignore[i].id) ||
            (a->ignore[i].change_key != NULL && !token_ok(a->ignore[i].change_key)))
            return false;
    return true;
}

char *ews_build_sync_folder_items(const struct ews_context *ctx,
                                  const struct ews_sync_folder_items_args *a)
{
    static const char *const shapes[] = {"IdOnly", "Default", "AllProperties"};
    struct op o;
    op_begin(&o, "m:SyncFolderItems", sync_args_ok(a));
    if (o.failed)
        return op_finish(&o, ctx);
    op_open(&o, "m:ItemShape");
    op_leaf(&o, "t:BaseShape", shapes[a->shape]);
    if (a->n_additional_fields > 0) {
        op_open(&o, "t:AdditionalProperties");
        for (size_t i = 0; i < a->n_additional_fields; i++) {
            op_open(&o, "t:FieldURI");
            op_attr(&o, "FieldURI", a->additional_fields[i]);
            op_close(&o);
        }
        op_close(&o);
    }
    op_close(&o);
    op_open(&o, "m:SyncFolderId");
    write_folder(&o, &a->folder);
    op_close(&o);
    if (a->sync_state != NULL && a->sync_state[0] != '\0')
        op_leaf(&o, "m:SyncState", a->sync_state);
    if (a->n_ignore > 0) {
        op_open(&o, "m:Ignore");
        for (size_t i = 0; i < a->n_ignore; i++) {
            op_open(&o, "t:ItemId");
            op_attr(&o, "Id", a->ignore[i].id);
            if (a->ignore[i].change_key != NULL)
                op_attr(&o, "ChangeKey", a->ignore[i].change_key);
            op_close(&o);
        }
        op_close(&o);
    }
    op_leaf_int(&o, "m:MaxChangesReturned", a->max_changes);
    return op_finish(&o, ctx);
}

/* Whether code_text is one of codes; a fault code without a detail is a QName such as
 * "a:ErrorSchemaValidation", whose prefix does not count. */
static bool code_in(const char *code_text, const char *const *codes, size_t n)
{
    if (code_text == NULL)
        return false;
    const char *colon = strrchr(code_text, ':');
    code_text = colon != NULL ? colon + 1 : code_text;
    for (size_t i = 0; i < n; i++)
        if (strcmp(code_text, codes[i]) == 0)
            return true;
    return false;
}

bool ews_sync_state_is_invalid(const struct ews_response_message *m)
{
    static const char *const codes[] = {"ErrorInvalidSyncStateData"};
    return m != NULL && m->cls == EWS_CLASS_ERROR &&
           code_in(m->response_code_text, codes, NELEM(codes));
}

bool ews_sync_code_means_unsupported(const char *code_text)
{
    static const char *const codes[] = {"ErrorSchemaValidation", "ErrorInvalidRequest",
                                        "ErrorInvalidOperation", "ErrorInvalidSubscriptionRequest",
                                        "ErrorInvalidServerVersion"};
    return code_in(code_text, codes, NELEM(codes));
}

/* ---- streaming subscriptions ---- */

static const struct {
    unsigned bit;
    const char *name;
} event_names[] = {
    {EWS_EVENT_NEW_MAIL, "NewMailEvent"},
    {EWS_EVENT_CREATED, "CreatedEvent"},
    {EWS_EVENT_MODIFIED, "ModifiedEvent"},
    {EWS_EVENT_DELETED, "DeletedEvent"},
    {EWS_EVENT_MOVED, "MovedEvent"},
    {EWS_EVENT_COPIED, "CopiedEvent"},
    {EWS_EVENT_FREE_BUSY_CHANGED, "FreeBusyChangedEvent"},
};

#define SUBSCRIBABLE_EVENTS                                                                        \
    (EWS_EVENT_NEW_MAIL | EWS_EVENT_CREATED | EWS_EVENT_MODIFIED | EWS_EVENT_DELETED |             \
     EWS_EVENT_MOVED | EWS_EVENT_COPIED | EWS_EVENT_FREE_BUSY_CHANGED)

char *ews_build_subscribe_streaming(const struct ews_context *ctx,
                                    const struct ews_folder_ref *folders, size_t n,
                                    unsigned event_mask)
{
    bool valid = folders != NULL && n > 0 && (event_mask & SUBSCRIBABLE_EVENTS) != 0 &&
                 (event_mask & ~(unsigned)SUBSCRIBABLE_EVENTS) == 0;
    for (size_t i = 0; valid && i < n; i++)
        valid = folder_ref_ok(&folders[i]);
    struct op o;
    op_begin(&o, "m:Subscribe", valid);
    if (o.failed)
        return op_finish(&o, ctx);
    op_open(&o, "m:StreamingSubscriptionRequest");
    op_open(&o, "t:FolderIds");
    for (size_t i = 0; i < n; i++)
        write_folder(&o, &folders[i]);
    op_close(&o);
    op_open(&o, "t:EventTypes");
    for (size_t i = 0; i < NELEM(event_names); i++)
        if (event_mask & event_names[i].bit)
            op_leaf(&o, "t:EventType", event_names[i].name);
    op_close(&o);
    op_close(&o);
    return op_finish(&o, ctx);
}

char *ews_build_get_streaming_events(const struct ews_context *ctx, const char *const *ids,
                                     size_t n, int minutes)
{
    bool valid = ids != NULL && n > 0 && n <= EWS_STREAMING_MAX_SUBSCRIPTIONS && minutes >= 1 &&
                 minutes <= EWS_STREAMING_MAX_MINUTES;
    for (size_t i = 0; valid && i < n; i++)
        valid = token_ok(ids[i]);
    struct op o;
    op_begin(&o, "m:GetStreamingEvents", valid);
    if (o.failed)
        return op_finish(&o, ctx);
    op_open(&o, "m:SubscriptionIds");
    for (size_t i = 0; i < n; i++)
        op_leaf(&o, "t:SubscriptionId", ids[i]);
    op_close(&o);
    op_leaf_int(&o, "m:ConnectionTimeout", minutes);
    return op_finish(&o, ctx);
}

char *ews_build_unsubscribe(const struct ews_context *ctx, const char *subscription_id)
{
    struct op o;
    op_begin(&o, "m:Unsubscribe", token_ok(subscription_id));
    op_leaf(&o, "m:SubscriptionId", subscription_id);
    return op_finish(&o, ctx);
}

/* ---- batched UpdateItem ---- */

/* Each ItemChange is built by ews_build_update_item_ref(), which checks it and writes it;
 * the batch is the first request with the ItemChanges of all of them. The markers cannot
 * occur in text or attribute values, where the writer escapes '<'. */
static const char item_changes_open[] = "<m:ItemChanges>";
static const char item_changes_close[] = "</m:ItemChanges>";

/* The ItemChanges content of one request: [from, to). */
struct span {
    const char *from, *to;
};

static bool item_changes_span(const char *xml, struct span *out)
{
    const char *open = strstr(xml, item_changes_open);
    const char *close = open != NULL ? strstr(open, item_changes_close) : NULL;
    if (close == NULL)
        return false;
    out->from = open + sizeof(item_changes_open) - 1;
    out->to = close;
    return true;
}

char *ews_build_update_items(const struct ews_context *ctx, const struct ews_item_update *updates,
                             size_t n, enum ews_conflict_resolution conflict,
                             enum ews_update_send send)
{
    if (updates == NULL || n == 0)
        return NULL;
    char **one = xcalloc(n, sizeof(*one));
    struct span *spans = xcalloc(n, sizeof(*spans));
    size_t total = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        one[i] = ews_build_update_item_ref(ctx, &updates[i].ref, updates[i].changes,
                                           updates[i].n_changes, conflict, send);
        ok = one[i] != NULL && item_changes_span(one[i], &spans[i]);
        total += ok ? (size_t)(spans[i].to - spans[i].from) : 0;
    }
    char *out = NULL;
    if (ok) {
        size_t head = (size_t)(spans[0].from - one[0]), tail = strlen(spans[0].to);
        out = xmalloc(head + total + tail + 1);
        memcpy(out, one[0], head);
        char *p = out + head;
        for (size_t i = 0; i < n; i++) {
            memcpy(p, spans[i].from, (size_t)(spans[i].to - spans[i].from));
            p += spans[i].to - spans[i].from;
        }
        memcpy(p, spans[0].to, tail + 1);
    }
    for (size_t i = 0; i < n; i++)
        free(one[i]);
    free(one);
    free(spans);
    return out;
}

/* ---- per-item outcomes ---- */

static void outcome_of_code(struct ews_batch_result *r, enum ews_error code, const char *code_text,
                            unsigned backoff_ms)
{
    r->code = code;
    r->code_text = code_text;
    r->action = ews_error_action(code);
    r->backoff_ms = backoff_ms;
    if (code == EWS_OK)
        r->outcome = EWS_BATCH_DONE;
    else if (code == EWS_ERR_BATCH_PROCESSING_STOPPED || r->action == EWS_ACTION_RETRY_LATER)
        r->outcome = EWS_BATCH_RETRY;
    else
        r->outcome = EWS_BATCH_FAILED;
}

size_t ews_batch_results(const struct ews_response *resp, size_t n,
                         struct ews_batch_result *results)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        struct ews_batch_result *r = &results[i];
        memset(r, 0, sizeof(*r));
        if (resp == NULL) {
            r->outcome = EWS_BATCH_UNKNOWN;
            r->code = EWS_ERROR_OTHER;
        } else if (resp->is_fault) {
            /* A fault answers the request as a whole, before any item was processed. */
            outcome_of_code(r, resp->fault_code, resp->fault_code_text, resp->fault_backoff_ms);
            if (r->outcome == EWS_BATCH_DONE)
                r->outcome = EWS_BATCH_FAILED;
        } else if (resp->n_messages != n) {
            r->outcome = EWS_BATCH_UNKNOWN;
            r->code = EWS_ERROR_OTHER;
            r->action = EWS_ACTION_RETRY_LATER;
        } else {
            const struct ews_response_message *m = &resp->messages[i];
            /* A Warning is processed unless its code says otherwise (ErrorBatchProcessing-
             * Stopped: the items after a failure were not attempted). */
            enum ews_error code =
                m->cls == EWS_CLASS_WARNING && m->code != EWS_ERR_BATCH_PROCESSING_STOPPED
                    ? EWS_OK
                    : m->code;
            outcome_of_code(r, code, m->response_code_text, m->backoff_ms);
            if (code == EWS_OK)
                r->code_text = NULL;
            r->item = m->n_items > 0 ? &m->items[0] : NULL;
        }
        done += r->outcome == EWS_BATCH_DONE;
    }
    return done;
}
