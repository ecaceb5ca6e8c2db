/*
 * item: the meeting model every other module consumes.
 *
 * A struct item is one Exchange item as EWS describes it (a meeting request, a meeting
 * cancellation, a meeting response, a calendar item, or any other message), reduced to what
 * meetingd decides on. It is filled by ews_parse (from GetItem / FindItem / CreateItem /
 * UpdateItem / SyncFolderItems responses) and read by the mailbox and policy layers. Nothing in
 * here knows about XML or I/O, so a future Microsoft Graph backend can fill the same struct.
 *
 * Conventions:
 * - Every char * member is owned by the item (NUL-terminated UTF-8) and NULL when the element
 *   was absent on the wire; an element present but empty gives "".
 * - Times are UTC seconds since the epoch; 0 means "not present" (no meeting is at 1970-01-01).
 * - Counters are 0 when absent.
 * - item_clear() / item_free() release everything.
 */
#ifndef MEETINGD_ITEM_H
#define MEETINGD_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Which EWS element the item came in (t:Message, t:MeetingRequest, ...). */
enum item_kind {
    ITEM_OTHER,                /* any other item element (t:Item, t:Task, t:MeetingMessage...) */
    ITEM_MESSAGE,              /* t:Message */
    ITEM_MEETING_REQUEST,      /* t:MeetingRequest */
    ITEM_MEETING_CANCELLATION, /* t:MeetingCancellation */
    ITEM_MEETING_RESPONSE,     /* t:MeetingResponse */
    ITEM_CALENDAR,             /* t:CalendarItem */
};

/* t:ResponseTypeType. */
enum item_response {
    RESPONSE_UNKNOWN,
    RESPONSE_ORGANIZER,
    RESPONSE_TENTATIVE,
    RESPONSE_ACCEPT,
    RESPONSE_DECLINE,
    RESPONSE_NO_RESPONSE_RECEIVED,
};

/* Which attendee list (RequiredAttendees / OptionalAttendees / Resources) an attendee is in. */
enum attendee_role {
    ROLE_REQUIRED,
    ROLE_OPTIONAL,
    ROLE_RESOURCE,
};

/* t:CalendarItemTypeType. */
enum calendar_item_type {
    CAL_SINGLE,
    CAL_OCCURRENCE,
    CAL_EXCEPTION,
    CAL_RECURRING_MASTER,
};

/* t:LegacyFreeBusyType. FB_NO_DATA is also what an absent element leaves. */
enum free_busy {
    FB_FREE,
    FB_TENTATIVE,
    FB_BUSY,
    FB_OOF,
    FB_WORKING_ELSEWHERE,
    FB_NO_DATA,
};

/* t:ItemId (or any ItemIdType element: ParentFolderId, AssociatedCalendarItemId...). */
struct item_id {
    char *id;         /* NULL when absent */
    char *change_key; /* NULL when absent (ChangeKey is optional) */
};

/* t:Mailbox inside From / Sender / Organizer / Attendee. Note that FindItem returns only the
 * Name (no EmailAddress) for From, Sender and Organizer: GetItem the item for the address. */
struct item_mailbox {
    char *name;
    char *address; /* t:EmailAddress */
};

struct item_attendee {
    struct item_mailbox mailbox;
    enum attendee_role role;
    enum item_response response; /* RESPONSE_UNKNOWN when absent */
    time_t last_response_time;   /* 0 = none */
};

enum recurrence_pattern {
    REC_DAILY,            /* t:DailyRecurrence: interval */
    REC_WEEKLY,           /* t:WeeklyRecurrence: interval, days_of_week (Sun..Sat bits) */
    REC_ABSOLUTE_MONTHLY, /* interval, day_of_month */
    REC_RELATIVE_MONTHLY, /* interval, one day flag, day_of_week_index */
    REC_ABSOLUTE_YEARLY,  /* day_of_month, month */
    REC_RELATIVE_YEARLY,  /* one day flag, day_of_week_index, month */
};

enum recurrence_range {
    REC_RANGE_NO_END,   /* t:NoEndRecurrence: start_date */
    REC_RANGE_END_DATE, /* t:EndDateRecurrence: start_date, end_date */
    REC_RANGE_NUMBERED, /* t:NumberedRecurrence: start_date, number_of_occurrences */
};

/* Bits of item_recurrence.days_of_week (t:DayOfWeekType). */
#define ITEM_DOW_SUNDAY (1u << 0)
#define ITEM_DOW_MONDAY (1u << 1)
#define ITEM_DOW_TUESDAY (1u << 2)
#define ITEM_DOW_WEDNESDAY (1u << 3)
#define ITEM_DOW_THURSDAY (1u << 4)
#define ITEM_DOW_FRIDAY (1u << 5)
#define ITEM_DOW_SATURDAY (1u << 6)
#define ITEM_DOW_DAY (1u << 7)         /* "Day": any day of the month */
#define ITEM_DOW_WEEKDAY (1u << 8)     /* "Weekday" */
#define ITEM_DOW_WEEKEND_DAY (1u << 9) /* "WeekendDay" */
#define ITEM_DOW_ALL_BITS (0x3ffu)

/* The schema's names (types.xsd DayOfWeekType, DayOfWeekIndexType, MonthNamesType), shared by
 * the request writer and the response parser: item_day_names[k] is the name of
 * ITEM_DOW bit k, item_week_index_names[k] of day_of_week_index k + 1, item_month_names[k]
 * of month k + 1. */
#define ITEM_DAY_NAMES 10
#define ITEM_WEEK_INDEX_NAMES 5
#define ITEM_MONTH_NAMES 12
extern const char *const item_day_names[ITEM_DAY_NAMES];
extern const char *const item_week_index_names[ITEM_WEEK_INDEX_NAMES];
extern const char *const item_month_names[ITEM_MONTH_NAMES];

/* t:Recurrence. Plain data (no pointers) so it can be copied with =. */
struct item_recurrence {
    enum recurrence_pattern pattern;
    int interval;          /* >= 1; 1 for the yearly patterns, which carry none on the wire */
    unsigned days_of_week; /* ITEM_DOW_* */
    int day_of_month;      /* 1..31 (absolute patterns), else 0 */
    int day_of_week_index; /* 1..4, 5 = Last (relative patterns), else 0 */
    int month;             /* 1..12 (yearly patterns), else 0 */
    enum recurrence_range range;
    char start_date[11];       /* "YYYY-MM-DD" (a time zone suffix on the wire is dropped) */
    char end_date[11];         /* "YYYY-MM-DD" for REC_RANGE_END_DATE, else "" */
    int number_of_occurrences; /* REC_RANGE_NUMBERED, else 0 */
};

/* t:OccurrenceInfoType (FirstOccurrence, LastOccurrence, ModifiedOccurrences/Occurrence). */
struct item_occurrence {
    struct item_id id;
    time_t start, end, original_start;
};

struct item {
    enum item_kind kind;
    char *item_class; /* t:ItemClass, e.g. "IPM.Schedule.Meeting.Request" */
    struct item_id id;
    struct item_id parent_folder_id;
    char *subject;
    char *body;        /* t:Body text (HTML markup kept as text when body_is_html) */
    bool body_is_html; /* BodyType="HTML" */
    char *location;
    char *uid;         /* t:UID (iCalendar UID, shared by request, response and calendar item) */
    char *sensitivity; /* "Normal", "Personal", "Private", "Confidential" */
    char *meeting_request_type; /* t:MeetingRequestType, e.g. "NewMeetingRequest", "FullUpdate" */
    char *start_time_zone_id;   /* t:StartTimeZoneId, or the Id of t:StartTimeZone */
    char *time_zone;            /* t:TimeZone (legacy display name) */

    struct item_mailbox organizer;
    struct item_mailbox from;
    struct item_mailbox sender;

    time_t start, end;
    time_t original_start; /* occurrences / exceptions */
    time_t date_time_received;
    time_t date_time_sent;
    time_t proposed_start, proposed_end; /* meeting responses proposing a new time */

    bool is_all_day;
    bool is_recurring;
    bool is_cancelled;
    bool is_meeting;
    bool is_out_of_date;
    bool has_been_processed;
    bool has_attachments;
    bool is_response_requested;
    bool is_delegated;

    enum item_response my_response;    /* t:MyResponseType */
    enum item_response response_type;  /* t:ResponseType of a meeting message */
    enum free_busy legacy_free_busy;   /* t:LegacyFreeBusyStatus */
    enum free_busy intended_free_busy; /* t:IntendedFreeBusyStatus */
    enum calendar_item_type calendar_item_type;

    /* Not on the wire for calendar items: callers that fetched an occurrence through its
     * master set it; ews_parse leaves it empty. */
    struct item_id recurring_master_id;
    struct item_id associated_calendar_item_id; /* t:AssociatedCalendarItemId */

    struct item_attendee *attendees; /* required, optional and resources, in wire order */
    size_t n_attendees;

    struct item_recurrence *recurrence;                       /* NULL if none */
    struct item_occurrence first_occurrence, last_occurrence; /* id.id NULL when absent */
    struct item_occurrence *modified_occurrences;
    size_t n_modified_occurrences;
    time_t *deleted_occurrences; /* start times of t:DeletedOccurrences */
    size_t n_deleted_occurrences;

    int appointment_sequence_number;
    int conflicting_meeting_count;
    int adjacent_meeting_count;

    /* t:Attachments: the t:AttachmentId Id of each attachment (file, item or reference), in
     * wire order; change_key is always NULL (attachment ids have none). GetItem returns
     * them with AllProperties or the item:Attachments FieldURI, FindItem never. The ids are
     * the item's own: each copy of a meeting (request, calendar item) has others. */
    struct item_id *attachment_ids;
    size_t n_attachment_ids;
};

/* Initialise *it to an empty item (all NULL / 0, kind ITEM_OTHER, free_busy FB_NO_DATA). */
void item_init(struct item *it);

/* Release everything *it owns and re-initialise it. */
void item_clear(struct item *it);

/* Allocate an initialised item; the caller frees it with item_free(). Aborts on OOM. */
struct item *item_new(void);

/* Clear and free a heap item from item_new(). NULL is fine. */
void item_free(struct item *it);

/* Clear every item of an array and free the array itself (as held by ews_response). */
void item_array_free(struct item *items, size_t n);

/* Release the strings of an id / mailbox and set them to NULL. */
void item_id_clear(struct item_id *id);
void item_mailbox_clear(struct item_mailbox *mb);

/* Append an attendee (name may be NULL); the item copies the strings. Aborts on OOM.
 * Grows the array by one each time: meant for building small items (tests, meetingctl). */
void item_add_attendee(struct item *it, enum attendee_role role, const char *name,
                       const char *address, enum item_response response);

/* The attendee whose address equals address (ASCII case-insensitive), or NULL. The pointer
 * is borrowed from it and valid until it changes. */
const struct item_attendee *item_find_attendee(const struct item *it, const char *address);

/* Enum <-> EWS wire strings. The to_string functions return the exact schema spelling
 * ("NoResponseReceived", "OOF", "RecurringMaster"...), never NULL (an out-of-range value
 * gives "Invalid"). The from_string functions match exactly and return 0, or -1 (and leave
 * *out alone) for anything else. */
const char *item_response_to_string(enum item_response r);
int item_response_from_string(const char *s, enum item_response *out);
const char *item_free_busy_to_string(enum free_busy fb);
int item_free_busy_from_string(const char *s, enum free_busy *out);
int item_calendar_type_from_string(const char *s, enum calendar_item_type *out);

#endif
