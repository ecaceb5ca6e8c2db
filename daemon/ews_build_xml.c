/*
 * ews_build_xml: the envelope writer and the pieces every request shares (see
 * ews_build_int.h).
 *
 * Every envelope is written with xmlTextWriter, which escapes text and attribute values;
 * user data is never formatted into XML by hand. Arguments are checked before anything is
 * written so that a request Exchange would reject with ErrorSchemaValidation (or worse,
 * misinterpret) is never produced: the builders return NULL instead.
 */
#include "ews_build_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "util.h"

/* ---- schema facts ---- */

/* t:ExchangeVersionType, oldest first: the index orders versions. */
const char *const ews_server_versions[EWS_SERVER_VERSIONS] = {
    "Exchange2007",     "Exchange2007_SP1", "Exchange2009", "Exchange2010",
    "Exchange2010_SP1", "Exchange2010_SP2", "Exchange2012", "Exchange2013",
    "Exchange2013_SP1", "Exchange2015",     "Exchange2016", "V2015_10_05",
    "V2016_01_06",      "V2016_04_13",      "V2016_07_13",  "V2016_10_10",
};
#define DEFAULT_SERVER_VERSION "Exchange2013_SP1"

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

const char *const eb_sensitivities[EB_SENSITIVITIES] = {"Normal", "Personal", "Private",
                                                        "Confidential"};

int eb_index_in(const char *const *list, size_t n, const char *s)
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
    return eb_index_in(field_uris, NELEM(field_uris), s) >= 0;
}

const char *const eb_send_invitations[3] = {
    [EWS_SEND_TO_NONE] = "SendToNone",
    [EWS_SEND_ONLY_TO_ALL] = "SendOnlyToAll",
    [EWS_SEND_TO_ALL_AND_SAVE_COPY] = "SendToAllAndSaveCopy",
};

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

bool eb_nonempty(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* ---- writer ---- */

static void w_check(struct eb_writer *w, int rc)
{
    if (rc < 0)
        w->bad = true;
}

void eb_el(struct eb_writer *w, const char *prefix, const char *name)
{
    if (!w->bad)
        w_check(w, xmlTextWriterStartElementNS(w->tw, (const xmlChar *)prefix,
                                               (const xmlChar *)name, NULL));
}

void eb_end(struct eb_writer *w)
{
    if (!w->bad)
        w_check(w, xmlTextWriterEndElement(w->tw));
}

/* Whether VALUE may be written now; a NULL or unwritable value fails the whole document. */
static bool value_ok(struct eb_writer *w, const char *value)
{
    if (!w->bad && (value == NULL || !xml_text_ok(value)))
        w->bad = true;
    return !w->bad;
}

void eb_attr(struct eb_writer *w, const char *name, const char *value)
{
    if (value_ok(w, value))
        w_check(w,
                xmlTextWriterWriteAttribute(w->tw, (const xmlChar *)name, (const xmlChar *)value));
}

static void text(struct eb_writer *w, const char *value)
{
    if (value_ok(w, value) && value[0] != '\0')
        w_check(w, xmlTextWriterWriteString(w->tw, (const xmlChar *)value));
}

/* <t:name>value</t:name> */
void eb_leaf(struct eb_writer *w, const char *name, const char *value)
{
    eb_el(w, "t", name);
    text(w, value);
    eb_end(w);
}

void eb_leaf_bool(struct eb_writer *w, const char *name, bool v)
{
    eb_leaf(w, name, v ? "true" : "false");
}

void eb_leaf_int(struct eb_writer *w, const char *name, int v)
{
    char b[16];
    snprintf(b, sizeof(b), "%d", v);
    eb_leaf(w, name, b);
}

/* T as an xs:dateTime in B, or NULL (which fails the document) when T cannot be written. */
static const char *time_text(time_t t, char b[static 32])
{
    return util_format_xs_datetime(t, b) == 0 ? b : NULL;
}

void eb_leaf_time(struct eb_writer *w, const char *name, time_t t)
{
    char b[32];
    eb_leaf(w, name, time_text(t, b));
}

void eb_attr_time(struct eb_writer *w, const char *name, time_t t)
{
    char b[32];
    eb_attr(w, name, time_text(t, b));
}

void eb_attr_int(struct eb_writer *w, const char *name, int v)
{
    char b[16];
    snprintf(b, sizeof(b), "%d", v);
    eb_attr(w, name, b);
}

int eb_server_version_index(const struct ews_context *ctx)
{
    const char *v = ctx->server_version != NULL ? ctx->server_version : DEFAULT_SERVER_VERSION;
    return eb_index_in(ews_server_versions, EWS_SERVER_VERSIONS, v);
}

static bool context_ok(const struct ews_context *ctx)
{
    return ctx != NULL && eb_server_version_index(ctx) >= 0 &&
           (ctx->impersonate_address == NULL || eb_nonempty(ctx->impersonate_address)) &&
           (ctx->time_zone_id == NULL || eb_nonempty(ctx->time_zone_id));
}

/* Start the document up to and including the operation element <m:OPERATION>, which
 * eb_finish() closes. A failure is sticky like any other: the writes that follow do nothing and
 * eb_finish() returns NULL, so a builder needs no check of its own. */
void eb_begin(struct eb_writer *w, const struct ews_context *ctx, const char *operation)
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
    eb_attr(w, "xmlns:t", NS_T);
    eb_attr(w, "xmlns:m", NS_M);

    eb_el(w, "soap", "Header");
    eb_el(w, "t", "RequestServerVersion");
    eb_attr(w, "Version", ews_server_versions[eb_server_version_index(ctx)]);
    eb_end(w);
    if (ctx->impersonate_address != NULL) {
        eb_el(w, "t", "ExchangeImpersonation");
        eb_el(w, "t", "ConnectingSID");
        eb_leaf(w, "PrimarySmtpAddress", ctx->impersonate_address);
        eb_end(w);
        eb_end(w);
    }
    if (ctx->time_zone_id != NULL) {
        eb_el(w, "t", "TimeZoneContext");
        eb_el(w, "t", "TimeZoneDefinition");
        eb_attr(w, "Id", ctx->time_zone_id);
        eb_end(w);
        eb_end(w);
    }
    eb_end(w); /* soap:Header */
    eb_el(w, "soap", "Body");
    eb_el(w, "m", operation);
}

/* m:CreateItem MessageDisposition=DISPOSITION up to and including <m:Items>. */
void eb_begin_create_item(struct eb_writer *w, const struct ews_context *ctx,
                          const char *disposition)
{
    eb_begin(w, ctx, "CreateItem");
    eb_attr(w, "MessageDisposition", disposition);
    eb_el(w, "m", "Items");
}

/* Close everything still open (the operation element, soap:Body, soap:Envelope) and hand
 * out a malloc'ed copy of the document (NULL on failure). */
char *eb_finish(struct eb_writer *w)
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

const char *const eb_shape_names[EB_SHAPES] = {"IdOnly", "Default", "AllProperties"};

/* Whether the n strings of list (NULL only when n is 0) all pass ok(). */
bool eb_all_ok(const char *const *list, size_t n, bool (*ok)(const char *))
{
    if (n > 0 && list == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok(list[i]))
            return false;
    return true;
}

bool eb_fields_ok(const char *const *fields, size_t n)
{
    return eb_all_ok(fields, n, ews_field_uri_is_valid);
}

/* t:BaseShape + t:AdditionalProperties, inside an ItemShape / FolderShape element. */
void eb_write_shape(struct eb_writer *w, enum ews_base_shape shape, const char *const *fields,
                    size_t n)
{
    eb_leaf(w, "BaseShape", eb_shape_names[shape]);
    if (n > 0) {
        eb_el(w, "t", "AdditionalProperties");
        for (size_t i = 0; i < n; i++) {
            eb_el(w, "t", "FieldURI");
            eb_attr(w, "FieldURI", fields[i]);
            eb_end(w);
        }
        eb_end(w);
    }
}

bool eb_folder_ok(const struct ews_folder_ref *f)
{
    if (f->distinguished_id != NULL) {
        return eb_index_in(distinguished_folders, NELEM(distinguished_folders),
                           f->distinguished_id) >= 0 &&
               f->folder_id == NULL && f->change_key == NULL &&
               (f->mailbox == NULL || eb_nonempty(f->mailbox));
    }
    return eb_nonempty(f->folder_id) && f->mailbox == NULL;
}

/* <t:Mailbox><t:EmailAddress>address</t:EmailAddress></t:Mailbox> */
void eb_write_mailbox(struct eb_writer *w, const char *address)
{
    eb_el(w, "t", "Mailbox");
    eb_leaf(w, "EmailAddress", address);
    eb_end(w);
}

void eb_write_folder(struct eb_writer *w, const struct ews_folder_ref *f)
{
    if (f->distinguished_id != NULL) {
        eb_el(w, "t", "DistinguishedFolderId");
        eb_attr(w, "Id", f->distinguished_id);
        if (f->mailbox != NULL)
            eb_write_mailbox(w, f->mailbox);
        eb_end(w);
    } else {
        eb_el(w, "t", "FolderId");
        eb_attr(w, "Id", f->folder_id);
        if (f->change_key != NULL)
            eb_attr(w, "ChangeKey", f->change_key);
        eb_end(w);
    }
}

bool eb_item_id_ok(const struct item_id *id)
{
    return id != NULL && eb_nonempty(id->id);
}

/* An ItemIdType element named `name` (t:ItemId, t:ReferenceItemId). */
void eb_write_item_id(struct eb_writer *w, const char *name, const struct item_id *id)
{
    eb_el(w, "t", name);
    eb_attr(w, "Id", id->id);
    if (id->change_key != NULL)
        eb_attr(w, "ChangeKey", id->change_key);
    eb_end(w);
}

bool eb_ref_ok(const struct ews_item_ref *r)
{
    if (r == NULL || !eb_nonempty(r->id))
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

void eb_write_ref(struct eb_writer *w, const struct ews_item_ref *r)
{
    switch (r->kind) {
    case EWS_REF_ITEM:
        eb_el(w, "t", "ItemId");
        eb_attr(w, "Id", r->id);
        break;
    case EWS_REF_OCCURRENCE:
        eb_el(w, "t", "OccurrenceItemId");
        eb_attr(w, "RecurringMasterId", r->id);
        break;
    case EWS_REF_RECURRING_MASTER:
        eb_el(w, "t", "RecurringMasterItemId");
        eb_attr(w, "OccurrenceId", r->id);
        break;
    }
    if (r->change_key != NULL)
        eb_attr(w, "ChangeKey", r->change_key);
    if (r->kind == EWS_REF_OCCURRENCE)
        eb_attr_int(w, "InstanceIndex", r->instance_index);
    eb_end(w);
}

/* m:ItemIds of n references. */
void eb_write_item_ids(struct eb_writer *w, const struct ews_item_ref *refs, size_t n)
{
    eb_el(w, "m", "ItemIds");
    for (size_t i = 0; i < n; i++)
        eb_write_ref(w, &refs[i]);
    eb_end(w);
}

bool eb_refs_ok(const struct ews_item_ref *refs, size_t n)
{
    if (refs == NULL || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!eb_ref_ok(&refs[i]))
            return false;
    return true;
}

/* Item ids as plain references (for the item_id flavours of the builders). */
struct ews_item_ref *eb_refs_from_ids(const struct item_id *ids, size_t n)
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

bool eb_addresses_ok(const char *const *a, size_t n)
{
    return eb_all_ok(a, n, eb_nonempty);
}

/* <t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>... */
void eb_write_attendees(struct eb_writer *w, const char *list, const char *const *a, size_t n)
{
    if (n == 0)
        return;
    eb_el(w, "t", list);
    for (size_t i = 0; i < n; i++) {
        eb_el(w, "t", "Attendee");
        eb_write_mailbox(w, a[i]);
        eb_end(w);
    }
    eb_end(w);
}

void eb_write_body(struct eb_writer *w, const char *name, const char *body, bool html)
{
    eb_el(w, "t", name);
    eb_attr(w, "BodyType", html ? "HTML" : "Text");
    text(w, body);
    eb_end(w);
}

bool eb_attachments_ok(const struct ews_file_attachment *a, size_t n)
{
    if (n > 0 && a == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!eb_nonempty(a[i].name) ||
            (a[i].content_type != NULL && !eb_nonempty(a[i].content_type)) ||
            (a[i].size > 0 && a[i].content == NULL) || a[i].size > (size_t)INT_MAX)
            return false;
    }
    return true;
}

/* t:Attachments of file attachments, in FileAttachmentType order (Name, ContentType, then
 * the base64 Content). */
void eb_write_attachments(struct eb_writer *w, const struct ews_file_attachment *a, size_t n)
{
    if (n == 0)
        return;
    eb_el(w, "t", "Attachments");
    for (size_t i = 0; i < n; i++) {
        eb_el(w, "t", "FileAttachment");
        eb_leaf(w, "Name", a[i].name);
        if (a[i].content_type != NULL)
            eb_leaf(w, "ContentType", a[i].content_type);
        eb_el(w, "t", "Content");
        if (!w->bad && a[i].size > 0)
            w_check(w,
                    xmlTextWriterWriteBase64(w->tw, (const char *)a[i].content, 0, (int)a[i].size));
        eb_end(w);
        eb_end(w);
    }
    eb_end(w);
}
