/*
 * ews_build: SOAP request envelopes for the EWS operations meetingd uses.
 *
 * Pure: no I/O. Every builder writes with xmlTextWriter into memory and returns a newly
 * allocated NUL-terminated UTF-8 envelope (the caller frees it with free()), or NULL when an
 * argument is invalid: a NULL or empty required string, a string that is not valid UTF-8 or
 * holds characters XML 1.0 cannot carry, an out-of-range enum, a combination Exchange refuses.
 * Element order follows the xs:sequence of messages.xsd / types.xsd, so every envelope
 * validates against ../shared/ews-schema/ews-envelope-strict.xsd (the unit tests check it).
 *
 * Envelope shape (as a real client writes it): an XML declaration, soap:Envelope declaring
 * the soap, t (types) and m (messages) prefixes, a soap:Header with t:RequestServerVersion,
 * optionally t:ExchangeImpersonation and t:TimeZoneContext, then soap:Body with the
 * operation element. Times are written in UTC as "YYYY-MM-DDTHH:MM:SSZ".
 */
#ifndef MEETINGD_EWS_BUILD_H
#define MEETINGD_EWS_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "item.h"

/* t:ExchangeVersionType (types.xsd), oldest first: every RequestServerVersion a request may
 * carry. The configuration's server_version is one of these. */
#define EWS_SERVER_VERSIONS 16
extern const char *const ews_server_versions[EWS_SERVER_VERSIONS];

/* Shared per-request context; all pointers are borrowed for the duration of the call. */
struct ews_context {
    const char *server_version;      /* RequestServerVersion, e.g. "Exchange2013_SP1";
                                        NULL = "Exchange2013_SP1" */
    const char *impersonate_address; /* NULL = no ExchangeImpersonation header; else the
                                        ConnectingSID/PrimarySmtpAddress to act as */
    const char *time_zone_id;        /* NULL = no TimeZoneContext; else a Windows time zone
                                        id such as "W. Europe Standard Time" */
};

/* t:BaseShape. */
enum ews_base_shape {
    EWS_SHAPE_ID_ONLY,
    EWS_SHAPE_DEFAULT,
    EWS_SHAPE_ALL_PROPERTIES,
};

/* A folder: a distinguished folder (optionally of another mailbox) or a FolderId. */
struct ews_folder_ref {
    const char *distinguished_id; /* "inbox", "calendar", "sentitems", "deleteditems",
                                     "drafts", ...; NULL to use folder_id */
    const char *mailbox;          /* optional SMTP address, only with distinguished_id */
    const char *folder_id;        /* t:FolderId Id when distinguished_id is NULL */
    const char *change_key;       /* optional, only with folder_id */
};

enum ews_view_kind {
    EWS_VIEW_NONE,     /* no paging element: Exchange's default page */
    EWS_VIEW_INDEXED,  /* m:IndexedPageItemView Offset/MaxEntriesReturned from Beginning */
    EWS_VIEW_CALENDAR, /* m:CalendarView StartDate/EndDate (expands recurring series) */
};

enum ews_sort {
    EWS_SORT_NONE,
    EWS_SORT_RECEIVED_ASCENDING,  /* item:DateTimeReceived Ascending */
    EWS_SORT_RECEIVED_DESCENDING, /* item:DateTimeReceived Descending */
};

struct ews_find_item_args {
    struct ews_folder_ref folder;
    enum ews_base_shape shape;
    const char *const *additional_fields; /* FieldURI values, e.g. "item:ItemClass" */
    size_t n_additional_fields;
    enum ews_view_kind view;
    int offset;      /* EWS_VIEW_INDEXED: >= 0 */
    int max_entries; /* both views: > 0 sets MaxEntriesReturned, 0 leaves it out */
    time_t start;    /* EWS_VIEW_CALENDAR: start < end */
    time_t end;
    /* Restriction: ItemClass starts with (case-insensitively) any of these; none = all.
     * Exchange refuses restrictions and sorting with a CalendarView: such args give NULL. */
    const char *const *item_class_prefixes;
    size_t n_item_class_prefixes;
    enum ews_sort sort;
};

/* m:FindItem (Traversal="Shallow"). */
char *ews_build_find_item(const struct ews_context *ctx, const struct ews_find_item_args *args);

/* How an item is addressed: a plain ItemId, an occurrence of a recurring series
 * (t:OccurrenceItemId RecurringMasterId + InstanceIndex, 1-based), or the series of an
 * occurrence (t:RecurringMasterItemId OccurrenceId). */
enum ews_item_ref_kind {
    EWS_REF_ITEM,
    EWS_REF_OCCURRENCE,
    EWS_REF_RECURRING_MASTER,
};

struct ews_item_ref {
    enum ews_item_ref_kind kind;
    const char *id;         /* ItemId Id / RecurringMasterId / OccurrenceId */
    const char *change_key; /* optional */
    int instance_index;     /* EWS_REF_OCCURRENCE only: >= 1 */
};

/* m:GetItem of n >= 1 ids with a base shape and additional FieldURIs (may be 0). */
char *ews_build_get_item(const struct ews_context *ctx, const struct item_id *ids, size_t n,
                         enum ews_base_shape shape, const char *const *fields, size_t n_fields);

/* Same, with occurrence / recurring-master references allowed. */
char *ews_build_get_item_refs(const struct ews_context *ctx, const struct ews_item_ref *refs,
                              size_t n, enum ews_base_shape shape, const char *const *fields,
                              size_t n_fields);

/* Meeting response objects. */
enum ews_respond_kind {
    EWS_ACCEPT,    /* t:AcceptItem */
    EWS_TENTATIVE, /* t:TentativelyAcceptItem */
    EWS_DECLINE,   /* t:DeclineItem */
    EWS_REMOVE,    /* t:RemoveItem (on a MeetingCancellation; carries no body) */
};

/* CreateItem MessageDisposition. */
enum ews_disposition {
    EWS_SAVE_ONLY,
    EWS_SEND_ONLY,
    EWS_SEND_AND_SAVE_COPY,
};

struct ews_respond_spec {
    enum ews_respond_kind kind;
    const struct item_id *reference; /* the MeetingRequest / MeetingCancellation id */
    const char *body_text;           /* t:Body BodyType="Text"; NULL = none (ignored for
                                        EWS_REMOVE) */
};

/* m:CreateItem MessageDisposition=... with one response object referring to `reference`. */
char *ews_build_respond(const struct ews_context *ctx, enum ews_respond_kind kind,
                        const struct item_id *reference, const char *body_text,
                        enum ews_disposition disposition);

/* Same with n >= 1 response objects in one CreateItem (one ResponseMessage each). */
char *ews_build_respond_batch(const struct ews_context *ctx, const struct ews_respond_spec *specs,
                              size_t n, enum ews_disposition disposition);

/* SendMeetingInvitations (CreateItem) / SendMeetingCancellations (DeleteItem). */
enum ews_send_invitations {
    EWS_SEND_TO_NONE,
    EWS_SEND_ONLY_TO_ALL,
    EWS_SEND_TO_ALL_AND_SAVE_COPY,
};

/* A file attached to a new item (t:FileAttachment). The bytes are borrowed and written in
 * base64; Exchange caps a whole message at its size limit (often 25-35 MB), which the caller
 * should respect, the builder only refuses what cannot be written at all (over INT_MAX). */
struct ews_file_attachment {
    const char *name;             /* t:Name, required and non-empty (Exchange requires it) */
    const char *content_type;     /* t:ContentType, e.g. "application/pdf"; NULL = none */
    const unsigned char *content; /* may be NULL when size is 0 */
    size_t size;
};

struct ews_meeting_spec {
    const char *subject; /* required (may be "") */
    const char *body;    /* NULL = none */
    bool body_is_html;
    time_t start, end;           /* start < end */
    const char *location;        /* NULL = none */
    const char *const *required; /* SMTP addresses */
    size_t n_required;
    const char *const *optional;
    size_t n_optional;
    const char *const *resources;
    size_t n_resources;
    const struct item_recurrence *recurrence; /* NULL = single meeting */
    const char *start_time_zone_id;           /* t:StartTimeZone Id (Windows id); needs
                                                 server_version >= Exchange2010; NULL = none */
    bool is_all_day;
    const char *sensitivity; /* NULL = none, else Normal/Personal/Private/Confidential */
    enum ews_send_invitations send_invitations;
    /* t:Attachments of the calendar item; Exchange sends them with the meeting requests and
     * every attendee's calendar item gets its own copies. */
    const struct ews_file_attachment *attachments;
    size_t n_attachments;
    /* t:UID, the iCalendar UID every copy of the meeting shares; NULL = the server's choice
     * (which some servers do not share between the copies). */
    const char *uid;
};

/* m:CreateItem SendMeetingInvitations=... of one t:CalendarItem saved in the calendar. */
char *ews_build_create_meeting(const struct ews_context *ctx, const struct ews_meeting_spec *m);

/* UpdateItem changes. */
enum ews_change_op {
    EWS_CHANGE_SET,    /* t:SetItemField */
    EWS_CHANGE_APPEND, /* t:AppendToItemField: body and attendee lists only */
    EWS_CHANGE_DELETE, /* t:DeleteItemField */
};

enum ews_change_field {
    EWS_FIELD_SUBJECT,            /* item:Subject, text */
    EWS_FIELD_BODY,               /* item:Body, text + body_is_html */
    EWS_FIELD_SENSITIVITY,        /* item:Sensitivity, text */
    EWS_FIELD_LOCATION,           /* calendar:Location, text */
    EWS_FIELD_START,              /* calendar:Start, time */
    EWS_FIELD_END,                /* calendar:End, time */
    EWS_FIELD_IS_ALL_DAY,         /* calendar:IsAllDayEvent, flag */
    EWS_FIELD_LEGACY_FREE_BUSY,   /* calendar:LegacyFreeBusyStatus, free_busy */
    EWS_FIELD_REQUIRED_ATTENDEES, /* calendar:RequiredAttendees, addresses */
    EWS_FIELD_OPTIONAL_ATTENDEES, /* calendar:OptionalAttendees, addresses */
    EWS_FIELD_RESOURCES,          /* calendar:Resources, addresses */
    EWS_FIELD_IS_READ,            /* message:IsRead, flag (messages only) */
};

struct ews_item_change {
    enum ews_change_op op;
    enum ews_change_field field;
    const char *text;             /* SUBJECT, BODY, SENSITIVITY, LOCATION ("" allowed) */
    bool body_is_html;            /* BODY */
    time_t time;                  /* START, END */
    bool flag;                    /* IS_ALL_DAY, IS_READ */
    enum free_busy free_busy;     /* LEGACY_FREE_BUSY */
    const char *const *addresses; /* attendee lists (n >= 1 for SET/APPEND) */
    size_t n_addresses;
};

/* How an UpdateItem on a calendar item is communicated; EWS_UPDATE_NOT_CALENDAR for other
 * items (then MessageDisposition="SaveOnly" is sent and only item and message fields may
 * change). */
enum ews_update_send {
    EWS_UPDATE_NOT_CALENDAR,
    EWS_UPDATE_SEND_TO_NONE,
    EWS_UPDATE_SEND_ONLY_TO_ALL,
    EWS_UPDATE_SEND_ONLY_TO_CHANGED,
    EWS_UPDATE_SEND_TO_ALL_AND_SAVE_COPY,
    EWS_UPDATE_SEND_TO_CHANGED_AND_SAVE_COPY,
};

enum ews_conflict_resolution {
    EWS_NEVER_OVERWRITE,
    EWS_AUTO_RESOLVE,
    EWS_ALWAYS_OVERWRITE,
};

/* m:UpdateItem of one item with n >= 1 changes, in order. */
char *ews_build_update_item(const struct ews_context *ctx, const struct item_id *id,
                            const struct ews_item_change *changes, size_t n,
                            enum ews_conflict_resolution conflict, enum ews_update_send send);

/* Same for an occurrence / recurring master reference. */
char *ews_build_update_item_ref(const struct ews_context *ctx, const struct ews_item_ref *ref,
                                const struct ews_item_change *changes, size_t n,
                                enum ews_conflict_resolution conflict, enum ews_update_send send);

enum ews_delete_type {
    EWS_HARD_DELETE,
    EWS_SOFT_DELETE,
    EWS_MOVE_TO_DELETED_ITEMS,
};

/* m:DeleteItem of n >= 1 items; SendMeetingCancellations is always written (Exchange
 * requires it for calendar items and ignores it for others); AffectedTaskOccurrences never. */
char *ews_build_delete_item(const struct ews_context *ctx, const struct item_id *ids, size_t n,
                            enum ews_delete_type type, enum ews_send_invitations cancellations);

/* Same with occurrence / recurring master references (delete one occurrence). */
char *ews_build_delete_item_refs(const struct ews_context *ctx, const struct ews_item_ref *refs,
                                 size_t n, enum ews_delete_type type,
                                 enum ews_send_invitations cancellations);

/* m:CreateItem MessageDisposition="SendAndSaveCopy" with t:CancelCalendarItem
 * (ReferenceItemId = the organizer's calendar item; NewBodyContent BodyType="Text" = message,
 * left out when message is NULL). */
char *ews_build_cancel_meeting(const struct ews_context *ctx, const struct item_id *calendar_item,
                               const char *message);

/* m:CreateItem MessageDisposition=... with one t:ForwardItem: ToRecipients = the n_to
 * addresses (n_to >= 1 unless EWS_SAVE_ONLY, which saves a draft in Drafts), ReferenceItemId =
 * the item to forward, NewBodyContent BodyType="Text" = body_text (left out when NULL), which
 * Exchange puts above the forwarded item's own body. Subject ("FW: ..."), body and attachments
 * come from the item. A meeting request, or a meeting's calendar item, is forwarded as a
 * meeting request: the recipients can answer it, the organizer stays who it was. */
char *ews_build_forward(const struct ews_context *ctx, const struct item_id *reference,
                        const char *const *to, size_t n_to, const char *body_text,
                        enum ews_disposition disposition);

/* m:ExpandDL of the distribution group with SMTP address ADDRESS (ews_build_dl.c). */
char *ews_build_expand_dl(const struct ews_context *ctx, const char *address);

/* m:DeleteAttachment of n >= 1 attachments (t:AttachmentId Id; a change_key is ignored: the
 * request's RequestAttachmentIdType has none). Exchange answers one
 * DeleteAttachmentResponseMessage per id, with the item's new ChangeKey in m:RootItemId. */
char *ews_build_delete_attachments(const struct ews_context *ctx, const struct item_id *ids,
                                   size_t n);

/* Whether s is an item/message/meeting/meetingRequest/calendar FieldURI of the schema
 * (t:UnindexedFieldURIType), e.g. "item:Subject", "calendar:Start". */
bool ews_field_uri_is_valid(const char *s);

/* m:GetFolder of n >= 1 folders with a base shape (also the envelope ews_sync writes its
 * operations into). */
char *ews_build_get_folder(const struct ews_context *ctx, const struct ews_folder_ref *folders,
                           size_t n, enum ews_base_shape shape);

#endif
