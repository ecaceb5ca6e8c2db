/*
 * ews_build: SOAP request envelopes (see ews_build.h).
 *
 * Every envelope is written with xmlTextWriter, which escapes text and attribute values;
 * user data is never formatted into XML by hand. Arguments are checked before anything is
 * written so that a request Exchange would reject with ErrorSchemaValidation (or worse,
 * misinterpret) is never produced: the builders return NULL instead.
 */
#include "ews_build.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "ews_parse.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_M "http://schemas.microsoft.com/exchange/services/2006/messages"
#define NS_T "http://schemas.microsoft.com/exchange/services/2006/types"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- schema facts ---- */

/* t:ExchangeVersionType, oldest first: the index orders versions. */
static const char *const server_versions[] = {
    "Exchange2007",     "Exchange2007_SP1", "Exchange2009", "Exchange2010",
    "Exchange2010_SP1", "Exchange2010_SP2", "Exchange2012", "Exchange2013",
    "Exchange2013_SP1", "Exchange2015",     "Exchange2016", "V2015_10_05",
    "V2016_01_06",      "V2016_04_13",      "V2016_07_13",  "V2016_10_10",
};
#define DEFAULT_SERVER_VERSION "Exchange2013_SP1"
#define FIRST_VERSION_WITH_TIME_ZONE_DEFINITIONS 3 /* Exchange2010 */

/* t:DistinguishedFolderIdNameType values a meeting daemon may address. */
static const char *const distinguished_folders[] = {
    "calendar", "contacts",  "deleteditems", "drafts", "inbox",     "journal",       "notes",
    "outbox",   "sentitems", "tasks",        "root",   "junkemail", "msgfolderroot",
};

/* t:UnindexedFieldURIType values of the item, message, meeting, meetingRequest and calendar
 * families (the folder, task, contact... families are of no use here). */
static const char *const field_uris[] = {
    "item:ItemId",
    "item:ParentFolderId",
    "item:ItemClass",
    "item:MimeContent",
    "item:Attachments",
    "item:Subject",
    "item:DateTimeReceived",
    "item:Size",
    "item:Categories",
    "item:HasAttachments",
    "item:Importance",
    "item:InReplyTo",
    "item:InternetMessageHeaders",
    "item:IsAssociated",
    "item:IsDraft",
    "item:IsFromMe",
    "item:IsResend",
    "item:IsSubmitted",
    "item:IsUnmodified",
    "item:DateTimeSent",
    "item:DateTimeCreated",
    "item:Body",
    "item:ResponseObjects",
    "item:Sensitivity",
    "item:ReminderDueBy",
    "item:ReminderIsSet",
    "item:ReminderNextTime",
    "item:ReminderMinutesBeforeStart",
    "item:DisplayTo",
    "item:DisplayCc",
    "item:DisplayBcc",
    "item:Culture",
    "item:EffectiveRights",
    "item:LastModifiedName",
    "item:LastModifiedTime",
    "item:ConversationId",
    "item:UniqueBody",
    "item:Flag",
    "item:StoreEntryId",
    "item:InstanceKey",
    "item:NormalizedBody",
    "item:EntityExtractionResult",
    "item:PolicyTag",
    "item:ArchiveTag",
    "item:RetentionDate",
    "item:Preview",
    "item:PredictedActionReasons",
    "item:IsClutter",
    "item:RightsManagementLicenseData",
    "item:BlockStatus",
    "item:HasBlockedImages",
    "item:WebClientReadFormQueryString",
    "item:WebClientEditFormQueryString",
    "item:TextBody",
    "item:IconIndex",
    "item:Mentions",
    "item:MentionedMe",
    "item:MentionsPreview",
    "item:MentionsEx",
    "item:Hashtags",
    "item:AppliedHashtags",
    "item:AppliedHashtagsPreview",
    "item:Likes",
    "item:LikesPreview",
    "item:PendingSocialActivityTagIds",
    "item:AtAllMention",
    "item:CanDelete",
    "item:InferenceClassification",
    "item:FirstBody",
    "message:ConversationIndex",
    "message:ConversationTopic",
    "message:InternetMessageId",
    "message:IsRead",
    "message:IsResponseRequested",
    "message:IsReadReceiptRequested",
    "message:IsDeliveryReceiptRequested",
    "message:ReceivedBy",
    "message:ReceivedRepresenting",
    "message:References",
    "message:ReplyTo",
    "message:From",
    "message:Sender",
    "message:ToRecipients",
    "message:CcRecipients",
    "message:BccRecipients",
    "message:ApprovalRequestData",
    "message:VotingInformation",
    "message:ReminderMessageData",
    "meeting:AssociatedCalendarItemId",
    "meeting:IsDelegated",
    "meeting:IsOutOfDate",
    "meeting:HasBeenProcessed",
    "meeting:ResponseType",
    "meeting:ProposedStart",
    "meeting:ProposedEnd",
    "meetingRequest:MeetingRequestType",
    "meetingRequest:IntendedFreeBusyStatus",
    "meetingRequest:ChangeHighlights",
    "calendar:Start",
    "calendar:End",
    "calendar:OriginalStart",
    "calendar:StartWallClock",
    "calendar:EndWallClock",
    "calendar:StartTimeZoneId",
    "calendar:EndTimeZoneId",
    "calendar:IsAllDayEvent",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:EnhancedLocation",
    "calendar:When",
    "calendar:IsMeeting",
    "calendar:IsCancelled",
    "calendar:IsRecurring",
    "calendar:MeetingRequestWasSent",
    "calendar:IsResponseRequested",
    "calendar:CalendarItemType",
    "calendar:MyResponseType",
    "calendar:Organizer",
    "calendar:RequiredAttendees",
    "calendar:OptionalAttendees",
    "calendar:Resources",
    "calendar:ConflictingMeetingCount",
    "calendar:AdjacentMeetingCount",
    "calendar:ConflictingMeetings",
    "calendar:AdjacentMeetings",
    "calendar:InboxReminders",
    "calendar:Duration",
    "calendar:TimeZone",
    "calendar:AppointmentReplyTime",
    "calendar:AppointmentSequenceNumber",
    "calendar:AppointmentState",
    "calendar:Recurrence",
    "calendar:FirstOccurrence",
    "calendar:LastOccurrence",
    "calendar:ModifiedOccurrences",
    "calendar:DeletedOccurrences",
    "calendar:MeetingTimeZone",
    "calendar:ConferenceType",
    "calendar:AllowNewTimeProposal",
    "calendar:IsOnlineMeeting",
    "calendar:MeetingWorkspaceUrl",
    "calendar:NetShowUrl",
    "calendar:UID",
    "calendar:RecurrenceId",
    "calendar:DateTimeStamp",
    "calendar:StartTimeZone",
    "calendar:EndTimeZone",
    "calendar:JoinOnlineMeetingUrl",
    "calendar:OnlineMeetingSettings",
    "calendar:IsOrganizer",
    "calendar:CalendarActivityData",
};

static const char *const sensitivities[] = {"Normal", "Personal", "Private", "Confidential"};

static int index_in(const char *const *list, size_t n, const char *s)
{
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return (int)i;
    return -1;
}

bool ews_field_uri_is_valid(const char *s)
{
    return index_in(field_uris, NELEM(field_uris), s) >= 0;
}

/* ---- text validation ---- */

/* Whether s is valid UTF-8 made only of characters XML 1.0 allows (no C0 controls but tab,
 * LF and CR; no surrogates; no U+FFFE/U+FFFF). libxml2's writer would copy anything else
 * verbatim and produce a document Exchange rejects. */
static bool xml_text_ok(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s != '\0') {
        uint32_t cp;
        int extra;
        if (*s < 0x80) {
            if (*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                return false;
            s++;
            continue;
        } else if ((*s & 0xe0) == 0xc0) {
            cp = *s & 0x1f;
            extra = 1;
        } else if ((*s & 0xf0) == 0xe0) {
            cp = *s & 0x0f;
            extra = 2;
        } else if ((*s & 0xf8) == 0xf0) {
            cp = *s & 0x07;
            extra = 3;
        } else {
            return false;
        }
        for (int i = 1; i <= extra; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
            cp == 0xffff)
            return false;
        s += extra + 1;
    }
    return true;
}

static bool nonempty(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* ---- writer ---- */

/* The writer and a sticky failure flag, so that a sequence of writes needs one check. */
struct w {
    xmlBufferPtr buf;
    xmlTextWriterPtr tw;
    bool bad;
};

static void w_check(struct w *w, int rc)
{
    if (rc < 0)
        w->bad = true;
}

static void el(struct w *w, const char *prefix, const char *name)
{
    if (!w->bad)
        w_check(w, xmlTextWriterStartElementNS(w->tw, (const xmlChar *)prefix,
                                               (const xmlChar *)name, NULL));
}

static void end(struct w *w)
{
    if (!w->bad)
        w_check(w, xmlTextWriterEndElement(w->tw));
}

/* Whether VALUE may be written now; a NULL or unwritable value fails the whole document. */
static bool value_ok(struct w *w, const char *value)
{
    if (!w->bad && (value == NULL || !xml_text_ok(value)))
        w->bad = true;
    return !w->bad;
}

static void attr(struct w *w, const char *name, const char *value)
{
    if (value_ok(w, value))
        w_check(w,
                xmlTextWriterWriteAttribute(w->tw, (const xmlChar *)name, (const xmlChar *)value));
}

static void text(struct w *w, const char *value)
{
    if (value_ok(w, value) && value[0] != '\0')
        w_check(w, xmlTextWriterWriteString(w->tw, (const xmlChar *)value));
}

/* <t:name>value</t:name> */
static void leaf(struct w *w, const char *name, const char *value)
{
    el(w, "t", name);
    text(w, value);
    end(w);
}

static void leaf_bool(struct w *w, const char *name, bool v)
{
    leaf(w, name, v ? "true" : "false");
}

static void leaf_int(struct w *w, const char *name, int v)
{
    char b[16];
    snprintf(b, sizeof(b), "%d", v);
    leaf(w, name, b);
}

int ews_datetime_format(time_t t, char *buf, size_t buflen)
{
    struct tm tm;
    if (buf == NULL || buflen < 21 || gmtime_r(&t, &tm) == NULL)
        return -1;
    long year = (long)tm.tm_year + 1900;
    if (year < 1 || year > 9999)
        return -1;
    snprintf(buf, buflen, "%04ld-%02d-%02dT%02d:%02d:%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    return 0;
}

/* T as an xs:dateTime in B, or NULL (which fails the document) when T cannot be written. */
static const char *time_text(time_t t, char b[static 32])
{
    return ews_datetime_format(t, b, 32) == 0 ? b : NULL;
}

static void leaf_time(struct w *w, const char *name, time_t t)
{
    char b[32];
    leaf(w, name, time_text(t, b));
}

static void attr_time(struct w *w, const char *name, time_t t)
{
    char b[32];
    attr(w, name, time_text(t, b));
}

static void attr_int(struct w *w, const char *name, int v)
{
    char b[16];
    snprintf(b, sizeof(b), "%d", v);
    attr(w, name, b);
}

static int server_version_index(const struct ews_context *ctx)
{
    const char *v = ctx->server_version != NULL ? ctx->server_version : DEFAULT_SERVER_VERSION;
    return index_in(server_versions, NELEM(server_versions), v);
}

static bool context_ok(const struct ews_context *ctx)
{
    return ctx != NULL && server_version_index(ctx) >= 0 &&
           (ctx->impersonate_address == NULL || nonempty(ctx->impersonate_address)) &&
           (ctx->time_zone_id == NULL || nonempty(ctx->time_zone_id));
}

/* Start the document up to and including the operation element <m:OPERATION>, which
 * finish() closes. A failure is sticky like any other: the writes that follow do nothing and
 * finish() returns NULL, so a builder needs no check of its own. */
static void begin(struct w *w, const struct ews_context *ctx, const char *operation)
{
    memset(w, 0, sizeof(*w));
    w->bad = true;
    if (!context_ok(ctx))
        return;
    w->buf = xmlBufferCreate();
    if (w->buf == NULL)
        return;
    w->tw = xmlNewTextWriterMemory(w->buf, 0);
    if (w->tw == NULL) {
        xmlBufferFree(w->buf);
        w->buf = NULL;
        return;
    }
    w->bad = false;
    w_check(w, xmlTextWriterStartDocument(w->tw, NULL, "UTF-8", NULL));
    if (!w->bad)
        w_check(w,
                xmlTextWriterStartElementNS(w->tw, (const xmlChar *)"soap",
                                            (const xmlChar *)"Envelope", (const xmlChar *)NS_SOAP));
    /* Declare t: and m: once on the root; inner elements then only use the prefixes. */
    attr(w, "xmlns:t", NS_T);
    attr(w, "xmlns:m", NS_M);

    el(w, "soap", "Header");
    el(w, "t", "RequestServerVersion");
    attr(w, "Version", server_versions[server_version_index(ctx)]);
    end(w);
    if (ctx->impersonate_address != NULL) {
        el(w, "t", "ExchangeImpersonation");
        el(w, "t", "ConnectingSID");
        leaf(w, "PrimarySmtpAddress", ctx->impersonate_address);
        end(w);
        end(w);
    }
    if (ctx->time_zone_id != NULL) {
        el(w, "t", "TimeZoneContext");
        el(w, "t", "TimeZoneDefinition");
        attr(w, "Id", ctx->time_zone_id);
        end(w);
        end(w);
    }
    end(w); /* soap:Header */
    el(w, "soap", "Body");
    el(w, "m", operation);
}

/* m:CreateItem MessageDisposition=DISPOSITION up to and including <m:Items>. */
static void begin_create_item(struct w *w, const struct ews_context *ctx, const char *disposition)
{
    begin(w, ctx, "CreateItem");
    attr(w, "MessageDisposition", disposition);
    el(w, "m", "Items");
}

/* Close everything still open (the operation element, soap:Body, soap:Envelope) and hand
 * out a malloc'ed copy of the document (NULL on failure). */
static char *finish(struct w *w)
{
    char *out = NULL;
    if (w->tw != NULL) {
        if (!w->bad)
            w_check(w, xmlTextWriterEndDocument(w->tw));
        /* Freeing the writer flushes it into the buffer. */
        xmlFreeTextWriter(w->tw);
        w->tw = NULL;
    }
    if (w->buf != NULL) {
        if (!w->bad) {
            const char *content = (const char *)xmlBufferContent(w->buf);
            out = strdup(content != NULL ? content : "");
            if (out == NULL)
                abort();
        }
        xmlBufferFree(w->buf);
        w->buf = NULL;
    }
    return out;
}

/* ---- shared pieces ---- */

static const char *const shape_names[] = {"IdOnly", "Default", "AllProperties"};

/* Whether the n strings of list (NULL only when n is 0) all pass ok(). */
static bool all_ok(const char *const *list, size_t n, bool (*ok)(const char *))
{
    if (n > 0 && list == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok(list[i]))
            return false;
    return true;
}

static bool fields_ok(const char *const *fields, size_t n)
{
    return all_ok(fields, n, ews_field_uri_is_valid);
}

/* t:BaseShape + t:AdditionalProperties, inside an ItemShape / FolderShape element. */
static void write_shape(struct w *w, enum ews_base_shape shape, const char *const *fields, size_t n)
{
    leaf(w, "BaseShape", shape_names[shape]);
    if (n > 0) {
        el(w, "t", "AdditionalProperties");
        for (size_t i = 0; i < n; i++) {
            el(w, "t", "FieldURI");
            attr(w, "FieldURI", fields[i]);
            end(w);
        }
        end(w);
    }
}

static bool folder_ok(const struct ews_folder_ref *f)
{
    if (f->distinguished_id != NULL) {
        return index_in(distinguished_folders, NELEM(distinguished_folders), f->distinguished_id) >=
                   0 &&
               f->folder_id == NULL && f->change_key == NULL &&
               (f->mailbox == NULL || nonempty(f->mailbox));
    }
    return nonempty(f->folder_id) && f->mailbox == NULL;
}

/* <t:Mailbox><t:EmailAddress>address</t:EmailAddress></t:Mailbox> */
static void write_mailbox(struct w *w, const char *address)
{
    el(w, "t", "Mailbox");
    leaf(w, "EmailAddress", address);
    end(w);
}

static void write_folder(struct w *w, const struct ews_folder_ref *f)
{
    if (f->distinguished_id != NULL) {
        el(w, "t", "DistinguishedFolderId");
        attr(w, "Id", f->distinguished_id);
        if (f->mailbox != NULL)
            write_mailbox(w, f->mailbox);
        end(w);
    } else {
        el(w, "t", "FolderId");
        attr(w, "Id", f->folder_id);
        if (f->change_key != NULL)
            attr(w, "ChangeKey", f->change_key);
        end(w);
    }
}

static bool item_id_ok(const struct item_id *id)
{
    return id != NULL && nonempty(id->id);
}

/* An ItemIdType element named `name` (t:ItemId, t:ReferenceItemId). */
static void write_item_id(struct w *w, const char *name, const struct item_id *id)
{
    el(w, "t", name);
    attr(w, "Id", id->id);
    if (id->change_key != NULL)
        attr(w, "ChangeKey", id->change_key);
    end(w);
}

static bool ref_ok(const struct ews_item_ref *r)
{
    if (r == NULL || !nonempty(r->id))
        return false;
    switch (r->kind) {
    case EWS_REF_ITEM:
    case EWS_REF_RECURRING_MASTER:
        return true;
    case EWS_REF_OCCURRENCE:
        return r->instance_index >= 1;
    }
    return false;
}

static void write_ref(struct w *w, const struct ews_item_ref *r)
{
    switch (r->kind) {
    case EWS_REF_ITEM:
        el(w, "t", "ItemId");
        attr(w, "Id", r->id);
        break;
    case EWS_REF_OCCURRENCE:
        el(w, "t", "OccurrenceItemId");
        attr(w, "RecurringMasterId", r->id);
        break;
    case EWS_REF_RECURRING_MASTER:
        el(w, "t", "RecurringMasterItemId");
        attr(w, "OccurrenceId", r->id);
        break;
    }
    if (r->change_key != NULL)
        attr(w, "ChangeKey", r->change_key);
    if (r->kind == EWS_REF_OCCURRENCE)
        attr_int(w, "InstanceIndex", r->instance_index);
    end(w);
}

/* m:ItemIds of n references. */
static void write_item_ids(struct w *w, const struct ews_item_ref *refs, size_t n)
{
    el(w, "m", "ItemIds");
    for (size_t i = 0; i < n; i++)
        write_ref(w, &refs[i]);
    end(w);
}

static bool refs_ok(const struct ews_item_ref *refs, size_t n)
{
    if (refs == NULL || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ref_ok(&refs[i]))
            return false;
    return true;
}

/* Item ids as plain references (for the item_id flavours of the builders). */
static struct ews_item_ref *refs_from_ids(const struct item_id *ids, size_t n)
{
    if (ids == NULL || n == 0 || n > SIZE_MAX / sizeof(struct ews_item_ref))
        return NULL;
    struct ews_item_ref *refs = calloc(n, sizeof(*refs));
    if (refs == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        refs[i].kind = EWS_REF_ITEM;
        refs[i].id = ids[i].id;
        refs[i].change_key = ids[i].change_key;
    }
    return refs;
}

static bool addresses_ok(const char *const *a, size_t n)
{
    return all_ok(a, n, nonempty);
}

/* <t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>... */
static void write_attendees(struct w *w, const char *list, const char *const *a, size_t n)
{
    if (n == 0)
        return;
    el(w, "t", list);
    for (size_t i = 0; i < n; i++) {
        el(w, "t", "Attendee");
        write_mailbox(w, a[i]);
        end(w);
    }
    end(w);
}

static void write_body(struct w *w, const char *name, const char *body, bool html)
{
    el(w, "t", name);
    attr(w, "BodyType", html ? "HTML" : "Text");
    text(w, body);
    end(w);
}

static bool attachments_ok(const struct ews_file_attachment *a, size_t n)
{
    if (n > 0 && a == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!nonempty(a[i].name) || (a[i].content_type != NULL && !nonempty(a[i].content_type)) ||
            (a[i].size > 0 && a[i].content == NULL) || a[i].size > (size_t)INT_MAX)
            return false;
    }
    return true;
}

/* t:Attachments of file attachments, in FileAttachmentType order (Name, ContentType, then
 * the base64 Content). */
static void write_attachments(struct w *w, const struct ews_file_attachment *a, size_t n)
{
    if (n == 0)
        return;
    el(w, "t", "Attachments");
    for (size_t i = 0; i < n; i++) {
        el(w, "t", "FileAttachment");
        leaf(w, "Name", a[i].name);
        if (a[i].content_type != NULL)
            leaf(w, "ContentType", a[i].content_type);
        el(w, "t", "Content");
        if (!w->bad && a[i].size > 0)
            w_check(w,
                    xmlTextWriterWriteBase64(w->tw, (const char *)a[i].content, 0, (int)a[i].size));
        end(w);
        end(w);
    }
    end(w);
}

/* ---- FindItem ---- */

char *ews_build_find_item(const struct ews_context *ctx, const struct ews_find_item_args *a)
{
    if (a == NULL || (unsigned)a->shape >= NELEM(shape_names) || !folder_ok(&a->folder) ||
        !fields_ok(a->additional_fields, a->n_additional_fields) || a->max_entries < 0 ||
        !all_ok(a->item_class_prefixes, a->n_item_class_prefixes, nonempty))
        return NULL;
    switch (a->view) {
    case EWS_VIEW_NONE:
        break;
    case EWS_VIEW_INDEXED:
        if (a->offset < 0)
            return NULL;
        break;
    case EWS_VIEW_CALENDAR:
        /* Exchange rejects restrictions and sort orders on calendar views. */
        if (a->start >= a->end || a->n_item_class_prefixes > 0 || a->sort != EWS_SORT_NONE)
            return NULL;
        break;
    default:
        return NULL;
    }
    if ((unsigned)a->sort > EWS_SORT_RECEIVED_DESCENDING)
        return NULL;

    struct w w;
    begin(&w, ctx, "FindItem");
    attr(&w, "Traversal", "Shallow");
    el(&w, "m", "ItemShape");
    write_shape(&w, a->shape, a->additional_fields, a->n_additional_fields);
    end(&w);
    if (a->view == EWS_VIEW_INDEXED) {
        el(&w, "m", "IndexedPageItemView");
        if (a->max_entries > 0)
            attr_int(&w, "MaxEntriesReturned", a->max_entries);
        attr_int(&w, "Offset", a->offset);
        attr(&w, "BasePoint", "Beginning");
        end(&w);
    } else if (a->view == EWS_VIEW_CALENDAR) {
        el(&w, "m", "CalendarView");
        if (a->max_entries > 0)
            attr_int(&w, "MaxEntriesReturned", a->max_entries);
        attr_time(&w, "StartDate", a->start);
        attr_time(&w, "EndDate", a->end);
        end(&w);
    }
    if (a->n_item_class_prefixes > 0) {
        el(&w, "m", "Restriction");
        if (a->n_item_class_prefixes > 1)
            el(&w, "t", "Or");
        for (size_t i = 0; i < a->n_item_class_prefixes; i++) {
            el(&w, "t", "Contains");
            attr(&w, "ContainmentMode", "Prefixed");
            attr(&w, "ContainmentComparison", "IgnoreCase");
            el(&w, "t", "FieldURI");
            attr(&w, "FieldURI", "item:ItemClass");
            end(&w);
            el(&w, "t", "Constant");
            attr(&w, "Value", a->item_class_prefixes[i]);
            end(&w);
            end(&w);
        }
        if (a->n_item_class_prefixes > 1)
            end(&w);
        end(&w);
    }
    if (a->sort != EWS_SORT_NONE) {
        el(&w, "m", "SortOrder");
        el(&w, "t", "FieldOrder");
        attr(&w, "Order", a->sort == EWS_SORT_RECEIVED_ASCENDING ? "Ascending" : "Descending");
        el(&w, "t", "FieldURI");
        attr(&w, "FieldURI", "item:DateTimeReceived");
        end(&w);
        end(&w);
        end(&w);
    }
    el(&w, "m", "ParentFolderIds");
    write_folder(&w, &a->folder);
    end(&w);
    return finish(&w);
}

/* ---- GetItem ---- */

char *ews_build_get_item_refs(const struct ews_context *ctx, const struct ews_item_ref *refs,
                              size_t n, enum ews_base_shape shape, const char *const *fields,
                              size_t n_fields)
{
    if (!refs_ok(refs, n) || (unsigned)shape >= NELEM(shape_names) || !fields_ok(fields, n_fields))
        return NULL;
    struct w w;
    begin(&w, ctx, "GetItem");
    el(&w, "m", "ItemShape");
    write_shape(&w, shape, fields, n_fields);
    end(&w);
    write_item_ids(&w, refs, n);
    return finish(&w);
}

char *ews_build_get_item(const struct ews_context *ctx, const struct item_id *ids, size_t n,
                         enum ews_base_shape shape, const char *const *fields, size_t n_fields)
{
    struct ews_item_ref *refs = refs_from_ids(ids, n);
    if (refs == NULL)
        return NULL;
    char *out = ews_build_get_item_refs(ctx, refs, n, shape, fields, n_fields);
    free(refs);
    return out;
}

/* ---- meeting responses ---- */

static const char *const respond_elements[] = {
    [EWS_ACCEPT] = "AcceptItem",
    [EWS_TENTATIVE] = "TentativelyAcceptItem",
    [EWS_DECLINE] = "DeclineItem",
    [EWS_REMOVE] = "RemoveItem",
};

static const char *const dispositions[] = {
    [EWS_SAVE_ONLY] = "SaveOnly",
    [EWS_SEND_ONLY] = "SendOnly",
    [EWS_SEND_AND_SAVE_COPY] = "SendAndSaveCopy",
};

char *ews_build_respond_batch(const struct ews_context *ctx, const struct ews_respond_spec *specs,
                              size_t n, enum ews_disposition disposition)
{
    if (specs == NULL || n == 0 || (unsigned)disposition >= NELEM(dispositions))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned)specs[i].kind >= NELEM(respond_elements) || !item_id_ok(specs[i].reference))
            return NULL;
    struct w w;
    begin_create_item(&w, ctx, dispositions[disposition]);
    for (size_t i = 0; i < n; i++) {
        const struct ews_respond_spec *s = &specs[i];
        el(&w, "t", respond_elements[s->kind]);
        /* WellKnownResponseObjectType: Body comes before ReferenceItemId. RemoveItem has no
         * use for a body: Exchange deletes the calendar item without sending anything. */
        if (s->body_text != NULL && s->kind != EWS_REMOVE)
            write_body(&w, "Body", s->body_text, false);
        write_item_id(&w, "ReferenceItemId", s->reference);
        end(&w);
    }
    return finish(&w);
}

char *ews_build_respond(const struct ews_context *ctx, enum ews_respond_kind kind,
                        const struct item_id *reference, const char *body_text,
                        enum ews_disposition disposition)
{
    struct ews_respond_spec spec = {kind, reference, body_text};
    return ews_build_respond_batch(ctx, &spec, 1, disposition);
}

/* ---- CreateItem of a meeting ---- */

static const char *const send_invitations[] = {
    [EWS_SEND_TO_NONE] = "SendToNone",
    [EWS_SEND_ONLY_TO_ALL] = "SendOnlyToAll",
    [EWS_SEND_TO_ALL_AND_SAVE_COPY] = "SendToAllAndSaveCopy",
};

static bool single_bit(unsigned v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static bool date_ok(const char *d)
{
    char tmp[11];
    return strlen(d) == 10 && ews_date_parse(d, tmp) == 0;
}

static bool recurrence_ok(const struct item_recurrence *r)
{
    const unsigned week = ITEM_DOW_SUNDAY | ITEM_DOW_MONDAY | ITEM_DOW_TUESDAY |
                          ITEM_DOW_WEDNESDAY | ITEM_DOW_THURSDAY | ITEM_DOW_FRIDAY |
                          ITEM_DOW_SATURDAY;
    bool interval = r->interval >= 1;
    bool dom = r->day_of_month >= 1 && r->day_of_month <= 31;
    bool idx = r->day_of_week_index >= 1 && r->day_of_week_index <= 5;
    bool month = r->month >= 1 && r->month <= 12;
    bool one_day = single_bit(r->days_of_week) && (r->days_of_week & ~ITEM_DOW_ALL_BITS) == 0;
    bool ok;
    switch (r->pattern) {
    case REC_DAILY:
        ok = interval;
        break;
    case REC_WEEKLY:
        /* Day/Weekday/WeekendDay are for the relative patterns only (Exchange answers
         * ErrorCalendarInvalidDayForWeeklyRecurrence otherwise). */
        ok = interval && (r->days_of_week & week) != 0 && (r->days_of_week & ~week) == 0;
        break;
    case REC_ABSOLUTE_MONTHLY:
        ok = interval && dom;
        break;
    case REC_RELATIVE_MONTHLY:
        ok = interval && one_day && idx;
        break;
    case REC_ABSOLUTE_YEARLY:
        ok = dom && month;
        break;
    case REC_RELATIVE_YEARLY:
        ok = one_day && idx && month;
        break;
    default:
        return false;
    }
    if (!ok || !date_ok(r->start_date))
        return false;
    switch (r->range) {
    case REC_RANGE_NO_END:
        return true;
    case REC_RANGE_END_DATE:
        return date_ok(r->end_date) && strcmp(r->start_date, r->end_date) <= 0;
    case REC_RANGE_NUMBERED:
        return r->number_of_occurrences >= 1;
    }
    return false;
}

static const char *day_name(unsigned bit)
{
    for (unsigned i = 0; i < ITEM_DAY_NAMES; i++)
        if (bit == (1u << i))
            return item_day_names[i];
    return NULL;
}

static void write_days(struct w *w, unsigned mask)
{
    char list[128] = "";
    for (unsigned i = 0; i < ITEM_DAY_NAMES; i++) {
        if (mask & (1u << i)) {
            if (list[0] != '\0')
                strcat(list, " ");
            strcat(list, item_day_names[i]);
        }
    }
    leaf(w, "DaysOfWeek", list);
}

/* The single day and its week of the month of the relative patterns. */
static void write_relative_day(struct w *w, const struct item_recurrence *r)
{
    leaf(w, "DaysOfWeek", day_name(r->days_of_week));
    leaf(w, "DayOfWeekIndex", item_week_index_names[r->day_of_week_index - 1]);
}

static const char *const range_elements[] = {
    [REC_RANGE_NO_END] = "NoEndRecurrence",
    [REC_RANGE_END_DATE] = "EndDateRecurrence",
    [REC_RANGE_NUMBERED] = "NumberedRecurrence",
};

/* t:Recurrence: pattern then range, children in schema order (the yearly patterns have no
 * Interval; the relative ones take a single day). */
static void write_recurrence(struct w *w, const struct item_recurrence *r)
{
    el(w, "t", "Recurrence");
    switch (r->pattern) {
    case REC_DAILY:
        el(w, "t", "DailyRecurrence");
        leaf_int(w, "Interval", r->interval);
        break;
    case REC_WEEKLY:
        el(w, "t", "WeeklyRecurrence");
        leaf_int(w, "Interval", r->interval);
        write_days(w, r->days_of_week);
        break;
    case REC_ABSOLUTE_MONTHLY:
        el(w, "t", "AbsoluteMonthlyRecurrence");
        leaf_int(w, "Interval", r->interval);
        leaf_int(w, "DayOfMonth", r->day_of_month);
        break;
    case REC_RELATIVE_MONTHLY:
        el(w, "t", "RelativeMonthlyRecurrence");
        leaf_int(w, "Interval", r->interval);
        write_relative_day(w, r);
        break;
    case REC_ABSOLUTE_YEARLY:
        el(w, "t", "AbsoluteYearlyRecurrence");
        leaf_int(w, "DayOfMonth", r->day_of_month);
        leaf(w, "Month", item_month_names[r->month - 1]);
        break;
    case REC_RELATIVE_YEARLY:
        el(w, "t", "RelativeYearlyRecurrence");
        write_relative_day(w, r);
        leaf(w, "Month", item_month_names[r->month - 1]);
        break;
    }
    end(w);
    el(w, "t", range_elements[r->range]);
    leaf(w, "StartDate", r->start_date);
    if (r->range == REC_RANGE_END_DATE)
        leaf(w, "EndDate", r->end_date);
    else if (r->range == REC_RANGE_NUMBERED)
        leaf_int(w, "NumberOfOccurrences", r->number_of_occurrences);
    end(w);
    end(w);
}

char *ews_build_create_meeting(const struct ews_context *ctx, const struct ews_meeting_spec *m)
{
    if (ctx == NULL || m == NULL || m->subject == NULL || m->start >= m->end ||
        (unsigned)m->send_invitations >= NELEM(send_invitations) ||
        !addresses_ok(m->required, m->n_required) || !addresses_ok(m->optional, m->n_optional) ||
        !addresses_ok(m->resources, m->n_resources) ||
        !attachments_ok(m->attachments, m->n_attachments))
        return NULL;
    if (m->sensitivity != NULL && index_in(sensitivities, NELEM(sensitivities), m->sensitivity) < 0)
        return NULL;
    if (m->recurrence != NULL && !recurrence_ok(m->recurrence))
        return NULL;
    if (m->start_time_zone_id != NULL &&
        (!nonempty(m->start_time_zone_id) ||
         server_version_index(ctx) < FIRST_VERSION_WITH_TIME_ZONE_DEFINITIONS))
        return NULL;

    struct w w;
    begin(&w, ctx, "CreateItem");
    attr(&w, "SendMeetingInvitations", send_invitations[m->send_invitations]);
    el(&w, "m", "SavedItemFolderId");
    el(&w, "t", "DistinguishedFolderId");
    attr(&w, "Id", "calendar");
    end(&w);
    end(&w);
    el(&w, "m", "Items");
    el(&w, "t", "CalendarItem");
    /* ItemType part, then CalendarItemType part, each in schema order. */
    leaf(&w, "Subject", m->subject);
    if (m->sensitivity != NULL)
        leaf(&w, "Sensitivity", m->sensitivity);
    if (m->body != NULL)
        write_body(&w, "Body", m->body, m->body_is_html);
    write_attachments(&w, m->attachments, m->n_attachments);
    leaf_time(&w, "Start", m->start);
    leaf_time(&w, "End", m->end);
    leaf_bool(&w, "IsAllDayEvent", m->is_all_day);
    if (m->location != NULL)
        leaf(&w, "Location", m->location);
    write_attendees(&w, "RequiredAttendees", m->required, m->n_required);
    write_attendees(&w, "OptionalAttendees", m->optional, m->n_optional);
    write_attendees(&w, "Resources", m->resources, m->n_resources);
    if (m->recurrence != NULL)
        write_recurrence(&w, m->recurrence);
    if (m->start_time_zone_id != NULL) {
        el(&w, "t", "StartTimeZone");
        attr(&w, "Id", m->start_time_zone_id);
        end(&w);
    }
    end(&w); /* t:CalendarItem */
    end(&w); /* m:Items */
    return finish(&w);
}

/* ---- UpdateItem ---- */

struct field_desc {
    const char *uri;
    const char *element;
    bool calendar_only, message_only, appendable, deletable;
};

static const struct field_desc change_fields[] = {
    [EWS_FIELD_SUBJECT] = {"item:Subject", "Subject", false, false, false, true},
    [EWS_FIELD_BODY] = {"item:Body", "Body", false, false, true, true},
    [EWS_FIELD_SENSITIVITY] = {"item:Sensitivity", "Sensitivity", false, false, false, true},
    [EWS_FIELD_LOCATION] = {"calendar:Location", "Location", true, false, false, true},
    [EWS_FIELD_START] = {"calendar:Start", "Start", true, false, false, false},
    [EWS_FIELD_END] = {"calendar:End", "End", true, false, false, false},
    [EWS_FIELD_IS_ALL_DAY] = {"calendar:IsAllDayEvent", "IsAllDayEvent", true, false, false, false},
    [EWS_FIELD_LEGACY_FREE_BUSY] = {"calendar:LegacyFreeBusyStatus", "LegacyFreeBusyStatus", true,
                                    false, false, false},
    [EWS_FIELD_REQUIRED_ATTENDEES] = {"calendar:RequiredAttendees", "RequiredAttendees", true,
                                      false, true, true},
    [EWS_FIELD_OPTIONAL_ATTENDEES] = {"calendar:OptionalAttendees", "OptionalAttendees", true,
                                      false, true, true},
    [EWS_FIELD_RESOURCES] = {"calendar:Resources", "Resources", true, false, true, true},
    [EWS_FIELD_IS_READ] = {"message:IsRead", "IsRead", false, true, false, false},
};

static const char *const update_send[] = {
    [EWS_UPDATE_NOT_CALENDAR] = NULL,
    [EWS_UPDATE_SEND_TO_NONE] = "SendToNone",
    [EWS_UPDATE_SEND_ONLY_TO_ALL] = "SendOnlyToAll",
    [EWS_UPDATE_SEND_ONLY_TO_CHANGED] = "SendOnlyToChanged",
    [EWS_UPDATE_SEND_TO_ALL_AND_SAVE_COPY] = "SendToAllAndSaveCopy",
    [EWS_UPDATE_SEND_TO_CHANGED_AND_SAVE_COPY] = "SendToChangedAndSaveCopy",
};

static const char *const conflict_names[] = {
    [EWS_NEVER_OVERWRITE] = "NeverOverwrite",
    [EWS_AUTO_RESOLVE] = "AutoResolve",
    [EWS_ALWAYS_OVERWRITE] = "AlwaysOverwrite",
};

static bool change_ok(const struct ews_item_change *c, bool calendar)
{
    if ((unsigned)c->field >= NELEM(change_fields) || (unsigned)c->op > EWS_CHANGE_DELETE)
        return false;
    const struct field_desc *d = &change_fields[c->field];
    if ((d->calendar_only && !calendar) || (d->message_only && calendar))
        return false;
    if (c->op == EWS_CHANGE_DELETE)
        return d->deletable;
    if (c->op == EWS_CHANGE_APPEND && !d->appendable)
        return false;
    switch (c->field) {
    case EWS_FIELD_SUBJECT:
    case EWS_FIELD_BODY:
    case EWS_FIELD_LOCATION:
        return c->text != NULL;
    case EWS_FIELD_SENSITIVITY:
        return index_in(sensitivities, NELEM(sensitivities), c->text) >= 0;
    case EWS_FIELD_START:
    case EWS_FIELD_END:
    case EWS_FIELD_IS_ALL_DAY:
    case EWS_FIELD_IS_READ:
        return true;
    case EWS_FIELD_LEGACY_FREE_BUSY:
        return (unsigned)c->free_busy <= FB_NO_DATA;
    case EWS_FIELD_REQUIRED_ATTENDEES:
    case EWS_FIELD_OPTIONAL_ATTENDEES:
    case EWS_FIELD_RESOURCES:
        /* Setting an empty list is spelled DeleteItemField. */
        return c->n_addresses > 0 && addresses_ok(c->addresses, c->n_addresses);
    }
    return false;
}

static void write_change(struct w *w, const struct ews_item_change *c, bool calendar)
{
    const struct field_desc *d = &change_fields[c->field];
    static const char *const ops[] = {"SetItemField", "AppendToItemField", "DeleteItemField"};
    el(w, "t", ops[c->op]);
    el(w, "t", "FieldURI");
    attr(w, "FieldURI", d->uri);
    end(w);
    if (c->op != EWS_CHANGE_DELETE) {
        /* The item element wrapping the single new value names the item's type. */
        el(w, "t", calendar ? "CalendarItem" : "Message");
        switch (c->field) {
        case EWS_FIELD_SUBJECT:
        case EWS_FIELD_SENSITIVITY:
        case EWS_FIELD_LOCATION:
            leaf(w, d->element, c->text);
            break;
        case EWS_FIELD_BODY:
            write_body(w, "Body", c->text, c->body_is_html);
            break;
        case EWS_FIELD_START:
        case EWS_FIELD_END:
            leaf_time(w, d->element, c->time);
            break;
        case EWS_FIELD_IS_ALL_DAY:
        case EWS_FIELD_IS_READ:
            leaf_bool(w, d->element, c->flag);
            break;
        case EWS_FIELD_LEGACY_FREE_BUSY:
            leaf(w, d->element, item_free_busy_to_string(c->free_busy));
            break;
        case EWS_FIELD_REQUIRED_ATTENDEES:
        case EWS_FIELD_OPTIONAL_ATTENDEES:
        case EWS_FIELD_RESOURCES:
            write_attendees(w, d->element, c->addresses, c->n_addresses);
            break;
        }
        end(w);
    }
    end(w);
}

char *ews_build_update_item_ref(const struct ews_context *ctx, const struct ews_item_ref *ref,
                                const struct ews_item_change *changes, size_t n,
                                enum ews_conflict_resolution conflict, enum ews_update_send send)
{
    if (!ref_ok(ref) || changes == NULL || n == 0 || (unsigned)conflict >= NELEM(conflict_names) ||
        (unsigned)send >= NELEM(update_send))
        return NULL;
    bool calendar = send != EWS_UPDATE_NOT_CALENDAR;
    /* Occurrences and masters only exist for calendar items. */
    if (!calendar && ref->kind != EWS_REF_ITEM)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!change_ok(&changes[i], calendar))
            return NULL;

    struct w w;
    begin(&w, ctx, "UpdateItem");
    attr(&w, "ConflictResolution", conflict_names[conflict]);
    if (calendar)
        attr(&w, "SendMeetingInvitationsOrCancellations", update_send[send]);
    else
        attr(&w, "MessageDisposition", "SaveOnly"); /* required for message items */
    el(&w, "m", "ItemChanges");
    el(&w, "t", "ItemChange");
    write_ref(&w, ref);
    el(&w, "t", "Updates");
    for (size_t i = 0; i < n; i++)
        write_change(&w, &changes[i], calendar);
    end(&w); /* t:Updates */
    end(&w); /* t:ItemChange */
    end(&w); /* m:ItemChanges */
    return finish(&w);
}

char *ews_build_update_item(const struct ews_context *ctx, const struct item_id *id,
                            const struct ews_item_change *changes, size_t n,
                            enum ews_conflict_resolution conflict, enum ews_update_send send)
{
    if (!item_id_ok(id))
        return NULL;
    struct ews_item_ref ref = {EWS_REF_ITEM, id->id, id->change_key, 0};
    return ews_build_update_item_ref(ctx, &ref, changes, n, conflict, send);
}

/* ---- DeleteItem ---- */

static const char *const delete_types[] = {
    [EWS_HARD_DELETE] = "HardDelete",
    [EWS_SOFT_DELETE] = "SoftDelete",
    [EWS_MOVE_TO_DELETED_ITEMS] = "MoveToDeletedItems",
};

char *ews_build_delete_item_refs(const struct ews_context *ctx, const struct ews_item_ref *refs,
                                 size_t n, enum ews_delete_type type,
                                 enum ews_send_invitations cancellations)
{
    if (!refs_ok(refs, n) || (unsigned)type >= NELEM(delete_types) ||
        (unsigned)cancellations >= NELEM(send_invitations))
        return NULL;
    struct w w;
    begin(&w, ctx, "DeleteItem");
    attr(&w, "DeleteType", delete_types[type]);
    attr(&w, "SendMeetingCancellations", send_invitations[cancellations]);
    write_item_ids(&w, refs, n);
    return finish(&w);
}

char *ews_build_delete_item(const struct ews_context *ctx, const struct item_id *ids, size_t n,
                            enum ews_delete_type type, enum ews_send_invitations cancellations)
{
    struct ews_item_ref *refs = refs_from_ids(ids, n);
    if (refs == NULL)
        return NULL;
    char *out = ews_build_delete_item_refs(ctx, refs, n, type, cancellations);
    free(refs);
    return out;
}

/* ---- CancelCalendarItem ---- */

char *ews_build_cancel_meeting(const struct ews_context *ctx, const struct item_id *calendar_item,
                               const char *message)
{
    if (!item_id_ok(calendar_item))
        return NULL;
    struct w w;
    begin_create_item(&w, ctx, "SendAndSaveCopy");
    el(&w, "t", "CancelCalendarItem");
    /* SmartResponseType: ReferenceItemId, then NewBodyContent (Body is ignored here). */
    write_item_id(&w, "ReferenceItemId", calendar_item);
    if (message != NULL)
        write_body(&w, "NewBodyContent", message, false);
    end(&w);
    return finish(&w);
}

/* ---- ForwardItem ---- */

char *ews_build_forward(const struct ews_context *ctx, const struct item_id *reference,
                        const char *const *to, size_t n_to, const char *body_text,
                        enum ews_disposition disposition)
{
    /* A message that is sent needs a recipient (Exchange: ErrorInvalidRecipients). */
    if (!item_id_ok(reference) || (unsigned)disposition >= NELEM(dispositions) ||
        !addresses_ok(to, n_to) || (n_to == 0 && disposition != EWS_SAVE_ONLY))
        return NULL;
    struct w w;
    begin_create_item(&w, ctx, dispositions[disposition]);
    el(&w, "t", "ForwardItem");
    /* SmartResponseType order: ToRecipients, ReferenceItemId, NewBodyContent. */
    if (n_to > 0) {
        el(&w, "t", "ToRecipients");
        for (size_t i = 0; i < n_to; i++)
            write_mailbox(&w, to[i]);
        end(&w);
    }
    write_item_id(&w, "ReferenceItemId", reference);
    if (body_text != NULL)
        write_body(&w, "NewBodyContent", body_text, false);
    end(&w);
    return finish(&w);
}

/* ---- DeleteAttachment ---- */

char *ews_build_delete_attachments(const struct ews_context *ctx, const struct item_id *ids,
                                   size_t n)
{
    if (ids == NULL || n == 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!item_id_ok(&ids[i]))
            return NULL;
    struct w w;
    begin(&w, ctx, "DeleteAttachment");
    el(&w, "m", "AttachmentIds");
    for (size_t i = 0; i < n; i++) {
        el(&w, "t", "AttachmentId");
        attr(&w, "Id", ids[i].id);
        end(&w);
    }
    end(&w);
    return finish(&w);
}

/* ---- GetFolder ---- */

char *ews_build_get_folder(const struct ews_context *ctx, const struct ews_folder_ref *folders,
                           size_t n, enum ews_base_shape shape)
{
    if (folders == NULL || n == 0 || (unsigned)shape >= NELEM(shape_names))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!folder_ok(&folders[i]))
            return NULL;
    struct w w;
    begin(&w, ctx, "GetFolder");
    el(&w, "m", "FolderShape");
    write_shape(&w, shape, NULL, 0);
    end(&w);
    el(&w, "m", "FolderIds");
    for (size_t i = 0; i < n; i++)
        write_folder(&w, &folders[i]);
    end(&w);
    return finish(&w);
}
