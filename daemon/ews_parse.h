/*
 * ews_parse: hardened parsing of EWS SOAP responses into typed results.
 *
 * Pure: no I/O, no event loop. The input is the HTTP response body as received.
 *
 * Hardening (see ews_parse.c for the reasons):
 * - libxml2's SAX2 parser (under ews_xtree.c) runs with XML_PARSE_NONET | XML_PARSE_NOERROR |
 *   XML_PARSE_NOWARNING only (never NOENT, DTDLOAD, XINCLUDE, HUGE or RECOVER);
 * - a document with a DOCTYPE is rejected as soon as the DOCTYPE is seen, before any entity
 *   is declared (entity bombs, external entities);
 * - bodies over a size cap are rejected before parsing;
 * - elements are matched by namespace URI + local name, never by prefix;
 * - any structural surprise or invalid value (bad dateTime, int, boolean, enumeration value,
 *   duplicate single-valued element, ResponseMessage without ResponseClass...) rejects the
 *   whole response: the caller never gets a partially trusted result.
 *
 * libxml2 global state: while parsing, a structured error handler is installed (and the
 * previous one restored afterwards) so that libxml2 prints nothing; libxml2 keeps that
 * handler per thread. meetingd is single-threaded; call xmlInitParser() once at start-up
 * (ews_parse calls it too; it is idempotent) and xmlCleanupParser() at exit if you want a
 * leak checker to see a clean heap.
 */
#ifndef MEETINGD_EWS_PARSE_H
#define MEETINGD_EWS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ews_error.h"
#include "item.h"

/* Default body cap of ews_parse_response(). */
#define EWS_PARSE_DEFAULT_MAX_BYTES (16u * 1024u * 1024u)

/* m:*ResponseMessage ResponseClass. */
enum ews_response_class {
    EWS_CLASS_SUCCESS,
    EWS_CLASS_WARNING,
    EWS_CLASS_ERROR,
};

/* A folder of a GetFolder response (t:Folder, t:CalendarFolder, ...). */
struct ews_folder {
    struct item_id id;      /* t:FolderId */
    char *display_name;     /* NULL when absent */
    char *folder_class;     /* NULL when absent */
    int total_count;        /* -1 when absent */
    int child_folder_count; /* -1 when absent */
    int unread_count;       /* -1 when absent */
};

/* One t:Mailbox of an ExpandDL m:DLExpansion. */
struct ews_dl_member {
    char *address;      /* t:EmailAddress, NULL when absent (a private list, a contact) */
    char *mailbox_type; /* t:MailboxType, NULL when absent */
};

/* One entry of SyncFolderItems m:Changes. */
enum ews_sync_change_kind {
    EWS_SYNC_CREATE,
    EWS_SYNC_UPDATE,
    EWS_SYNC_DELETE,           /* only item.id is set */
    EWS_SYNC_READ_FLAG_CHANGE, /* item.id and is_read are set */
};

struct ews_sync_change {
    enum ews_sync_change_kind kind;
    struct item item;
    bool is_read;
};

/* One m:*ResponseMessage. For FindItem / GetItem / CreateItem / UpdateItem the items are
 * those in m:Items or m:RootFolder/t:Items, in document order (nested items such as
 * t:ConflictingMeetings are not returned as items). */
struct ews_response_message {
    enum ews_response_class cls;
    enum ews_error code;      /* EWS_OK for NoError */
    char *response_code_text; /* m:ResponseCode as sent (NULL when absent) */
    char *message_text;       /* m:MessageText (NULL when absent) */
    unsigned backoff_ms;      /* MessageXml t:Value Name="BackOffMilliseconds", 0 if none */

    struct item *items;
    size_t n_items;
    /* Items left out because a field meetingd decides with could not be parsed (each one
     * logged as a warning); the rest of the message is whole. */
    size_t n_dropped_items;

    /* FindItem m:RootFolder paging (has_root_folder false when absent). */
    bool has_root_folder;
    bool includes_last_item_in_range; /* also set by SyncFolderItems */
    int indexed_paging_offset;        /* -1 when absent */
    int total_items_in_view;          /* -1 when absent */

    /* GetFolder. */
    struct ews_folder *folders;
    size_t n_folders;

    /* UpdateItem m:ConflictResults/t:Count (0 when absent). */
    int conflict_count;

    /* ExpandDL m:DLExpansion (see ews_parse_dl.c); its paging attributes are stored in
     * includes_last_item_in_range and total_items_in_view. */
    bool has_dl_expansion;
    struct ews_dl_member *dl_members;
    size_t n_dl_members;

    /* SyncFolderItems. */
    char *sync_state; /* NULL when absent */
    struct ews_sync_change *changes;
    size_t n_changes;
};

struct ews_response {
    /* SOAP fault (then n_messages is 0). */
    bool is_fault;
    enum ews_error fault_code; /* EWS_OK unless is_fault; from detail/ResponseCode, else
                                  from the local part of faultcode, else EWS_ERROR_OTHER */
    char *fault_code_text;     /* the ResponseCode or faultcode text, NULL unless is_fault */
    char *fault_string;        /* faultstring, NULL unless is_fault */
    unsigned fault_backoff_ms; /* detail MessageXml BackOffMilliseconds, 0 if none */

    char *server_version; /* t:ServerVersionInfo Version attribute, NULL if absent */

    struct ews_response_message *messages;
    size_t n_messages;
};

/*
 * Parse the SOAP response body of the EWS operation `operation` ("FindItem", "GetItem",
 * "CreateItem", "UpdateItem", "DeleteItem", "GetFolder", "SyncFolderItems"...): the
 * soap:Body must hold m:<operation>Response whose m:ResponseMessages children are
 * m:<operation>ResponseMessage, or a soap:Fault. operation NULL accepts any m:*Response
 * (for tests and the fuzzer).
 *
 * Returns 0 and stores a newly allocated response in *out (free it with
 * ews_response_free()) when the document is a well-formed EWS response, including when its
 * messages are errors or it is a SOAP fault. Returns -1 with *out = NULL and a one-line
 * reason in err (if errlen > 0) on anything else. Bodies over EWS_PARSE_DEFAULT_MAX_BYTES
 * are rejected.
 */
int ews_parse_response(const char *body, size_t len, const char *operation,
                       struct ews_response **out, char *err, size_t errlen);

/* Same with an explicit size cap in bytes (0 = EWS_PARSE_DEFAULT_MAX_BYTES). */
int ews_parse_response_capped(const char *body, size_t len, size_t max_bytes, const char *operation,
                              struct ews_response **out, char *err, size_t errlen);

/*
 * The parse of a reply to a known request: as ews_parse_response(), and besides the operation
 * (a FindItemResponse never answers a GetItem) the count of response messages must be
 * EXPECT_MESSAGES (0: not checked), the count ews_request_message_count() gives for the
 * request. A SOAP fault is a reply to anything. A mismatch is a parse failure: an error of
 * this call only.
 */
int ews_parse_reply(const char *body, size_t len, const char *operation, size_t expect_messages,
                    struct ews_response **out, char *err, size_t errlen);

/* How many response messages the request ENVELOPE (our own) calls for: one per item, id,
 * item change, folder, parent folder or attachment it names, else 1; 0 if it is not a SOAP
 * request we can read. */
size_t ews_request_message_count(const char *envelope, size_t len);

/* Free a response and everything in it. NULL is fine. */
void ews_response_free(struct ews_response *resp);

/* Move the items of message m out of the response: *items gets the array (free with
 * item_array_free()) and the message is left with none. Returns the count. */
size_t ews_response_message_take_items(struct ews_response_message *m, struct item **items);

/*
 * Strict xs:dateTime parser: "YYYY-MM-DDTHH:MM:SS" with optional fractional seconds
 * (truncated) and a time zone "Z" or "+HH:MM"/"-HH:MM" (converted to UTC). A value without a
 * time zone is rejected (EWS sends UTC; a local time would silently shift meetings).
 * "24:00:00" is accepted as the end of that day. Leading/trailing XML whitespace is allowed.
 * Returns 0 and sets *out, or -1.
 */
int ews_datetime_parse(const char *s, time_t *out);

/* Strict xs:date parser ("YYYY-MM-DD", optional "Z" / "+HH:MM" suffix which is dropped):
 * copies the date part into out[11]. Returns 0 or -1. */
int ews_date_parse(const char *s, char out[11]);

#endif
