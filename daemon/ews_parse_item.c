/*
 * ews_parse_item: items of EWS responses (t:Message, t:MeetingRequest, t:CalendarItem...)
 * read through a table of the fields meetingd uses, with their mailboxes, attendees,
 * recurrence, occurrences and attachment ids.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ews_parse_int.h"
#include "log.h"
#include "util.h"

/* An EmailAddressType element (t:Mailbox). */
static int el_mailbox_inner(struct pctx *p, const struct xnode *mb, struct item_mailbox *out)
{
    bool seen_name = false, seen_addr = false;
    FOR_EACH_EL(c, mb)
    {
        if (is_el(c, NS_T, "Name")) {
            if (once_in(p, &seen_name, c, "Mailbox") < 0 || el_string(p, c, &out->name) < 0)
                return -1;
        } else if (is_el(c, NS_T, "EmailAddress")) {
            if (once_in(p, &seen_addr, c, "Mailbox") < 0 || el_string(p, c, &out->address) < 0)
                return -1;
        }
        /* RoutingType, MailboxType, ItemId, OriginalDisplayName: not needed. */
    }
    return 0;
}

/* A SingleRecipientType element (Organizer, From, Sender): exactly one t:Mailbox. */
static int el_single_recipient(struct pctx *p, const struct xnode *n, struct item_mailbox *out)
{
    const struct xnode *mb = first_el(n);
    if (!is_el(mb, NS_T, "Mailbox") || next_el(mb) != NULL)
        return ep_fail(p, "%s%s must hold exactly one t:Mailbox", prefix_of(n), n->name);
    item_mailbox_clear(out);
    return el_mailbox_inner(p, mb, out);
}

static int el_attendees(struct pctx *p, const struct xnode *n, enum attendee_role role,
                        struct item *it)
{
    bool any = false;
    FOR_EACH_EL(a, n)
    {
        if (!is_el(a, NS_T, "Attendee"))
            return ep_unexpected(p, n, a);
        any = true;
        /* Geometric growth: a hostile response may carry a great many attendees. */
        it->attendees =
            ep_grow(it->attendees, it->n_attendees, &p->attendee_cap, sizeof(*it->attendees));
        struct item_attendee *at = &it->attendees[it->n_attendees++];
        at->role = role;
        at->response = RESPONSE_UNKNOWN;
        bool seen_mb = false, seen_rt = false, seen_lrt = false;
        FOR_EACH_EL(c, a)
        {
            if (is_el(c, NS_T, "Mailbox")) {
                if (once_in(p, &seen_mb, c, "Attendee") < 0 ||
                    el_mailbox_inner(p, c, &at->mailbox) < 0)
                    return -1;
            } else if (is_el(c, NS_T, "ResponseType")) {
                if (once_in(p, &seen_rt, c, "Attendee") < 0 ||
                    el_enum(p, c, response_from, &at->response) < 0)
                    return -1;
            } else if (is_el(c, NS_T, "LastResponseTime")) {
                if (once_in(p, &seen_lrt, c, "Attendee") < 0 ||
                    el_time(p, c, &at->last_response_time) < 0)
                    return -1;
            }
            /* ProposedStart / ProposedEnd of an attendee: not used. */
        }
        if (!seen_mb)
            return ep_fail(p, "t:Attendee without t:Mailbox");
    }
    if (!any)
        return ep_fail(p, "empty t:%s", n->name);
    return 0;
}

/* ---- recurrence ---- */

/* 1-based position of S among the N NAMES, 0 when it is none of them. */
static int name_number(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i + 1;
    return 0;
}

static int day_bit(const char *s, unsigned *bit)
{
    int i = name_number(item_day_names, ITEM_DAY_NAMES, s);
    if (i == 0)
        return -1;
    *bit = 1u << (i - 1);
    return 0;
}

/* t:DaysOfWeek: a whitespace-separated list (weekly) or a single day (relative patterns). */
static int el_days(struct pctx *p, const struct xnode *n, bool list, unsigned *out)
{
    char *s, b[48];
    if (leaf_text(p, n, &s) < 0)
        return -1;
    unsigned mask = 0;
    int count = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, " \t\r\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        unsigned bit;
        if (day_bit(tok, &bit) < 0) {
            ep_fail(p, "t:DaysOfWeek: unknown day \"%s\"", ep_shown(tok, b));
            free(s);
            return -1;
        }
        mask |= bit;
        count++;
    }
    free(s);
    if (count == 0 || (!list && count != 1))
        return ep_fail(p, "t:DaysOfWeek: expected %s", list ? "at least one day" : "one day");
    *out = mask;
    return 0;
}

/* The 1-based number of a name (t:DayOfWeekIndex, t:Month) into the int *OUT. */
static int number_from(const char *const *names, size_t n, char *s, void *out)
{
    int v = name_number(names, n, ep_trim(s));
    if (v == 0)
        return -1;
    *(int *)out = v;
    return 0;
}

static int index_from(char *s, void *out)
{
    return number_from(item_week_index_names, ITEM_WEEK_INDEX_NAMES, s, out);
}

static int month_from(char *s, void *out)
{
    return number_from(item_month_names, ITEM_MONTH_NAMES, s, out);
}

struct pattern_desc {
    const char *element;
    enum recurrence_pattern pattern;
    bool interval, days, days_list, index, day_of_month, month;
};

static const struct pattern_desc patterns[] = {
    {"DailyRecurrence", REC_DAILY, true, false, false, false, false, false},
    {"WeeklyRecurrence", REC_WEEKLY, true, true, true, false, false, false},
    {"AbsoluteMonthlyRecurrence", REC_ABSOLUTE_MONTHLY, true, false, false, false, true, false},
    {"RelativeMonthlyRecurrence", REC_RELATIVE_MONTHLY, true, true, false, true, false, false},
    {"AbsoluteYearlyRecurrence", REC_ABSOLUTE_YEARLY, false, false, false, false, true, true},
    {"RelativeYearlyRecurrence", REC_RELATIVE_YEARLY, false, true, false, true, false, true},
};

struct range_desc {
    const char *element;
    enum recurrence_range range;
};

static const struct range_desc ranges[] = {
    {"NoEndRecurrence", REC_RANGE_NO_END},
    {"EndDateRecurrence", REC_RANGE_END_DATE},
    {"NumberedRecurrence", REC_RANGE_NUMBERED},
};

static int el_pattern(struct pctx *p, const struct xnode *n, const struct pattern_desc *d,
                      struct item_recurrence *r)
{
    bool got_interval = false, got_days = false, got_index = false, got_dom = false,
         got_month = false;
    r->pattern = d->pattern;
    r->interval = 1;
    FOR_EACH_EL(c, n)
    {
        int rc;
        if (d->interval && first_t(c, "Interval", &got_interval))
            rc = el_int_within(p, c, &r->interval, 1, INT_MAX, "t:Interval must be >= 1");
        else if (d->days && first_t(c, "DaysOfWeek", &got_days))
            rc = el_days(p, c, d->days_list, &r->days_of_week);
        else if (d->days_list && is_el(c, NS_T, "FirstDayOfWeek"))
            rc = 0; /* display hint only */
        else if (d->index && first_t(c, "DayOfWeekIndex", &got_index))
            rc = el_enum(p, c, index_from, &r->day_of_week_index);
        else if (d->day_of_month && first_t(c, "DayOfMonth", &got_dom))
            rc = el_int_within(p, c, &r->day_of_month, 1, 31, "t:DayOfMonth out of range");
        else if (d->month && first_t(c, "Month", &got_month))
            rc = el_enum(p, c, month_from, &r->month);
        else
            rc = ep_unexpected(p, n, c);
        if (rc < 0)
            return -1;
    }
    if (got_interval != d->interval || got_days != d->days || got_index != d->index ||
        got_dom != d->day_of_month || got_month != d->month)
        return ep_fail(p, "t:%s: missing child element", d->element);
    return 0;
}

static int el_range(struct pctx *p, const struct xnode *n, enum recurrence_range range,
                    struct item_recurrence *r)
{
    bool got_start = false, got_end = false, got_count = false;
    r->range = range;
    FOR_EACH_EL(c, n)
    {
        int rc;
        if (first_t(c, "StartDate", &got_start))
            rc = el_date(p, c, r->start_date);
        else if (range == REC_RANGE_END_DATE && first_t(c, "EndDate", &got_end))
            rc = el_date(p, c, r->end_date);
        else if (range == REC_RANGE_NUMBERED && first_t(c, "NumberOfOccurrences", &got_count))
            rc = el_int_within(p, c, &r->number_of_occurrences, 1, INT_MAX,
                               "t:NumberOfOccurrences must be >= 1");
        else
            rc = ep_unexpected(p, n, c);
        if (rc < 0)
            return -1;
    }
    if (!got_start || got_end != (range == REC_RANGE_END_DATE) ||
        got_count != (range == REC_RANGE_NUMBERED))
        return ep_fail(p, "t:%s: missing child element", n->name);
    return 0;
}

static int el_recurrence(struct pctx *p, const struct xnode *n, struct item *it)
{
    struct item_recurrence r;
    memset(&r, 0, sizeof(r));
    bool got_pattern = false, got_range = false;
    FOR_EACH_EL(c, n)
    {
        const struct pattern_desc *d = NULL;
        const struct range_desc *rd = NULL;
        for (size_t i = 0; i < NELEM(patterns); i++)
            if (is_el(c, NS_T, patterns[i].element))
                d = &patterns[i];
        for (size_t i = 0; i < NELEM(ranges); i++)
            if (is_el(c, NS_T, ranges[i].element))
                rd = &ranges[i];
        int rc;
        if (d != NULL && !got_pattern) {
            got_pattern = true;
            rc = el_pattern(p, c, d, &r);
        } else if (rd != NULL && !got_range) {
            got_range = true;
            rc = el_range(p, c, rd->range, &r);
        } else {
            rc = ep_unexpected(p, n, c);
        }
        if (rc < 0)
            return -1;
    }
    if (!got_pattern || !got_range)
        return ep_fail(p, "t:Recurrence needs one pattern and one range");
    free(it->recurrence);
    it->recurrence = xcalloc(1, sizeof(*it->recurrence));
    *it->recurrence = r;
    return 0;
}

/* t:OccurrenceInfoType: ItemId, Start, End, OriginalStart (all required by the schema). */
static int el_occurrence(struct pctx *p, const struct xnode *n, struct item_occurrence *o)
{
    bool got_id = false, got_start = false, got_end = false, got_orig = false;
    FOR_EACH_EL(c, n)
    {
        int rc;
        if (first_t(c, "ItemId", &got_id))
            rc = el_id(p, c, &o->id);
        else if (first_t(c, "Start", &got_start))
            rc = el_time(p, c, &o->start);
        else if (first_t(c, "End", &got_end))
            rc = el_time(p, c, &o->end);
        else if (first_t(c, "OriginalStart", &got_orig))
            rc = el_time(p, c, &o->original_start);
        else
            rc = ep_unexpected(p, n, c);
        if (rc < 0)
            return -1;
    }
    if (!got_id || !got_start || !got_end || !got_orig)
        return ep_fail(p, "t:%s: missing child element", n->name);
    return 0;
}

static int el_modified_occurrences(struct pctx *p, const struct xnode *n, struct item *it)
{
    size_t cap = 0;
    FOR_EACH_EL(c, n)
    {
        if (!is_el(c, NS_T, "Occurrence"))
            return ep_unexpected(p, n, c);
        it->modified_occurrences = ep_grow(it->modified_occurrences, it->n_modified_occurrences,
                                           &cap, sizeof(*it->modified_occurrences));
        /* Count it before parsing so that item_clear() frees a half-filled entry. */
        struct item_occurrence *o = &it->modified_occurrences[it->n_modified_occurrences++];
        if (el_occurrence(p, c, o) < 0)
            return -1;
    }
    if (it->n_modified_occurrences == 0)
        return ep_fail(p, "empty t:ModifiedOccurrences");
    return 0;
}

static int el_deleted_occurrences(struct pctx *p, const struct xnode *n, struct item *it)
{
    size_t cap = 0;
    FOR_EACH_EL(c, n)
    {
        if (!is_el(c, NS_T, "DeletedOccurrence"))
            return ep_unexpected(p, n, c);
        const struct xnode *st = first_el(c);
        if (!is_el(st, NS_T, "Start") || next_el(st) != NULL)
            return ep_fail(p, "t:DeletedOccurrence must hold exactly one t:Start");
        it->deleted_occurrences = ep_grow(it->deleted_occurrences, it->n_deleted_occurrences, &cap,
                                          sizeof(*it->deleted_occurrences));
        if (el_time(p, st, &it->deleted_occurrences[it->n_deleted_occurrences]) < 0)
            return -1;
        it->n_deleted_occurrences++;
    }
    if (it->n_deleted_occurrences == 0)
        return ep_fail(p, "empty t:DeletedOccurrences");
    return 0;
}

/* t:Attachments: the t:AttachmentId Id of each t:FileAttachment, t:ItemAttachment or
 * t:ReferenceAttachment; nothing else of an attachment (name, size, an attached item) is
 * read. An attachment without AttachmentId (the schema allows it) gives no id. An empty
 * t:Attachments breaks the schema but means nothing worse than "none": refusing it would
 * throw away the whole response, every other meeting message of the batch with it. */
static int el_attachments(struct pctx *p, const struct xnode *n, struct item *it)
{
    size_t cap = it->n_attachment_ids;
    FOR_EACH_EL(a, n)
    {
        if (!is_el(a, NS_T, "FileAttachment") && !is_el(a, NS_T, "ItemAttachment") &&
            !is_el(a, NS_T, "ReferenceAttachment"))
            return ep_unexpected(p, n, a);
        const struct xnode *aid = NULL;
        FOR_EACH_EL(c, a)
        {
            if (!is_el(c, NS_T, "AttachmentId"))
                continue;
            if (aid != NULL)
                return ep_fail(p, "t:%s: duplicate t:AttachmentId", a->name);
            aid = c;
        }
        if (aid == NULL)
            continue;
        char *id = id_attr(p, aid);
        if (id == NULL)
            return -1;
        it->attachment_ids =
            ep_grow(it->attachment_ids, it->n_attachment_ids, &cap, sizeof(*it->attachment_ids));
        it->attachment_ids[it->n_attachment_ids++] = (struct item_id){.id = id};
    }
    return 0;
}

/* ---- items: a table of the fields we read ---- */

enum field_kind {
    F_STR,
    F_STR_ENUM, /* a string restricted to a schema enumeration (aux = list index) */
    F_BODY,
    F_TIME,
    F_BOOL,
    F_INT,
    F_RESPONSE,
    F_FREE_BUSY,
    F_CALTYPE,
    F_ID,
    F_MAILBOX,
    F_ATTENDEES, /* aux = enum attendee_role */
    F_RECURRENCE,
    F_OCCURRENCE,
    F_MODIFIED_OCCURRENCES,
    F_DELETED_OCCURRENCES,
    F_TZ_DEFINITION, /* t:StartTimeZone: its Id attribute, unless StartTimeZoneId says */
    F_ATTACHMENTS,
};

static const char *const sensitivity_values[] = {"Normal", "Personal", "Private", "Confidential",
                                                 NULL};
static const char *const meeting_request_type_values[] = {
    "None",     "FullUpdate",   "InformationalUpdate", "NewMeetingRequest",
    "Outdated", "SilentUpdate", "PrincipalWantsCopy",  NULL};
static const char *const *const enum_lists[] = {sensitivity_values, meeting_request_type_values};

/* What losing a field that cannot be parsed costs. NEEDED: meetingd decides with it (who,
 * when, which answer, which series): the item is unusable without it and is left out.
 * SPARE: display or bookkeeping only: the field is left absent and the item kept. */
enum field_need { NEEDED, SPARE };

struct item_field {
    const char *name;
    size_t name_len; /* strlen(name): most elements are told apart by length alone */
    enum field_kind kind;
    size_t offset;
    int aux;
    enum field_need need;
};

#define FLD(name, kind, member, aux) FLD_NEED(name, kind, member, aux, NEEDED)
#define SPARE_FLD(name, kind, member, aux) FLD_NEED(name, kind, member, aux, SPARE)
#define FLD_NEED(name, kind, member, aux, need)                                                    \
    {                                                                                              \
        name, sizeof(name) - 1, kind, offsetof(struct item, member), aux, need                     \
    }

static const struct item_field item_fields[] = {
    FLD("ItemClass", F_STR, item_class, 0),
    FLD("ItemId", F_ID, id, 0),
    SPARE_FLD("ParentFolderId", F_ID, parent_folder_id, 0),
    FLD("Subject", F_STR, subject, 0),
    FLD("Sensitivity", F_STR_ENUM, sensitivity, 0),
    SPARE_FLD("Body", F_BODY, body, 0),
    FLD("Attachments", F_ATTACHMENTS, attachment_ids, 0),
    SPARE_FLD("DateTimeReceived", F_TIME, date_time_received, 0),
    SPARE_FLD("DateTimeSent", F_TIME, date_time_sent, 0),
    FLD("HasAttachments", F_BOOL, has_attachments, 0),
    SPARE_FLD("Sender", F_MAILBOX, sender, 0),
    SPARE_FLD("From", F_MAILBOX, from, 0),
    SPARE_FLD("IsResponseRequested", F_BOOL, is_response_requested, 0),
    FLD("AssociatedCalendarItemId", F_ID, associated_calendar_item_id, 0),
    SPARE_FLD("IsDelegated", F_BOOL, is_delegated, 0),
    FLD("IsOutOfDate", F_BOOL, is_out_of_date, 0),
    SPARE_FLD("HasBeenProcessed", F_BOOL, has_been_processed, 0),
    FLD("ResponseType", F_RESPONSE, response_type, 0),
    FLD("UID", F_STR, uid, 0),
    FLD("MeetingRequestType", F_STR_ENUM, meeting_request_type, 1),
    FLD("IntendedFreeBusyStatus", F_FREE_BUSY, intended_free_busy, 0),
    FLD("Start", F_TIME, start, 0),
    FLD("End", F_TIME, end, 0),
    FLD("OriginalStart", F_TIME, original_start, 0),
    FLD("IsAllDayEvent", F_BOOL, is_all_day, 0),
    FLD("LegacyFreeBusyStatus", F_FREE_BUSY, legacy_free_busy, 0),
    FLD("Location", F_STR, location, 0),
    FLD("IsMeeting", F_BOOL, is_meeting, 0),
    FLD("IsCancelled", F_BOOL, is_cancelled, 0),
    FLD("IsRecurring", F_BOOL, is_recurring, 0),
    FLD("CalendarItemType", F_CALTYPE, calendar_item_type, 0),
    FLD("MyResponseType", F_RESPONSE, my_response, 0),
    FLD("Organizer", F_MAILBOX, organizer, 0),
    FLD("RequiredAttendees", F_ATTENDEES, attendees, ROLE_REQUIRED),
    FLD("OptionalAttendees", F_ATTENDEES, attendees, ROLE_OPTIONAL),
    FLD("Resources", F_ATTENDEES, attendees, ROLE_RESOURCE),
    SPARE_FLD("ConflictingMeetingCount", F_INT, conflicting_meeting_count, 0),
    SPARE_FLD("AdjacentMeetingCount", F_INT, adjacent_meeting_count, 0),
    SPARE_FLD("TimeZone", F_STR, time_zone, 0),
    SPARE_FLD("AppointmentSequenceNumber", F_INT, appointment_sequence_number, 0),
    FLD("Recurrence", F_RECURRENCE, recurrence, 0),
    SPARE_FLD("FirstOccurrence", F_OCCURRENCE, first_occurrence, 0),
    SPARE_FLD("LastOccurrence", F_OCCURRENCE, last_occurrence, 0),
    FLD("ModifiedOccurrences", F_MODIFIED_OCCURRENCES, modified_occurrences, 0),
    FLD("DeletedOccurrences", F_DELETED_OCCURRENCES, deleted_occurrences, 0),
    FLD("StartTimeZone", F_TZ_DEFINITION, start_time_zone_id, 0),
    FLD("StartTimeZoneId", F_STR, start_time_zone_id, 0),
    SPARE_FLD("ProposedStart", F_TIME, proposed_start, 0),
    SPARE_FLD("ProposedEnd", F_TIME, proposed_end, 0),
};

#define N_ITEM_FIELDS NELEM(item_fields)
_Static_assert(N_ITEM_FIELDS <= 64, "the seen mask is a uint64_t");

static int read_field(struct pctx *p, const struct item_field *f, const struct xnode *c,
                      struct item *it)
{
    void *dst = (char *)it + f->offset;
    char *s = NULL, b[48];
    switch (f->kind) {
    case F_STR:
        return el_string(p, c, dst);
    case F_STR_ENUM: {
        if (leaf_text(p, c, &s) < 0)
            return -1;
        const char *v = ep_trim(s);
        for (const char *const *e = enum_lists[f->aux]; *e != NULL; e++) {
            if (strcmp(v, *e) == 0) {
                char **slot = dst;
                free(*slot);
                *slot = xstrdup(v);
                free(s);
                return 0;
            }
        }
        ep_fail(p, "t:%s: unexpected value \"%s\"", f->name, ep_shown(s, b));
        free(s);
        return -1;
    }
    case F_BODY: {
        char *type = attr_dup(c, "BodyType");
        bool html = type != NULL && strcmp(type, "HTML") == 0;
        bool ok = type != NULL && (html || strcmp(type, "Text") == 0);
        free(type);
        if (!ok)
            return ep_fail(p, "t:Body: BodyType must be HTML or Text");
        it->body_is_html = html;
        return el_string(p, c, &it->body);
    }
    case F_TIME:
        return el_time(p, c, dst);
    case F_BOOL:
        return el_bool(p, c, dst);
    case F_INT:
        return el_int(p, c, dst);
    case F_RESPONSE:
        return el_enum(p, c, response_from, dst);
    case F_FREE_BUSY:
        return el_enum(p, c, free_busy_from, dst);
    case F_CALTYPE:
        return el_enum(p, c, caltype_from, dst);
    case F_ID:
        return el_id(p, c, dst);
    case F_MAILBOX:
        return el_single_recipient(p, c, dst);
    case F_ATTENDEES:
        return el_attendees(p, c, (enum attendee_role)f->aux, it);
    case F_RECURRENCE:
        return el_recurrence(p, c, it);
    case F_OCCURRENCE:
        return el_occurrence(p, c, dst);
    case F_MODIFIED_OCCURRENCES:
        return el_modified_occurrences(p, c, it);
    case F_DELETED_OCCURRENCES:
        return el_deleted_occurrences(p, c, it);
    case F_TZ_DEFINITION:
        /* The string t:StartTimeZoneId wins when both are sent. */
        if (it->start_time_zone_id == NULL)
            it->start_time_zone_id = attr_dup(c, "Id");
        return 0;
    case F_ATTACHMENTS:
        return el_attachments(p, c, it);
    }
    return ep_fail(p, "internal error: unknown field kind");
}

static enum item_kind kind_of(const char *element)
{
    if (strcmp(element, "Message") == 0)
        return ITEM_MESSAGE;
    if (strcmp(element, "MeetingRequest") == 0)
        return ITEM_MEETING_REQUEST;
    if (strcmp(element, "MeetingCancellation") == 0)
        return ITEM_MEETING_CANCELLATION;
    if (strcmp(element, "MeetingResponse") == 0)
        return ITEM_MEETING_RESPONSE;
    if (strcmp(element, "CalendarItem") == 0)
        return ITEM_CALENDAR;
    return ITEM_OTHER;
}

/* Undo what a failed read of the SPARE field F left behind, so that it reads as absent.
 * The scalar readers write nothing on failure; these kinds may have written part. */
static void spare_field_reset(const struct item_field *f, struct item *it)
{
    void *dst = (char *)it + f->offset;
    if (f->kind == F_MAILBOX) {
        item_mailbox_clear(dst);
    } else if (f->kind == F_OCCURRENCE) {
        struct item_occurrence *o = dst;
        item_id_clear(&o->id);
        o->start = o->end = o->original_start = 0;
    }
}

/* Read field F from C. A value that cannot be parsed fails only that field when it is SPARE
 * (one warning, the field left absent; returns 0) and the item when it is NEEDED (returns
 * ITEM_UNUSABLE with the reason in p->skipped); the response goes on either way. */
static int read_field_tolerant(struct pctx *p, const struct item_field *f, const struct xnode *c,
                               struct item *it)
{
    char *err = p->err;
    size_t errlen = p->errlen;
    p->err = p->skipped;
    p->errlen = sizeof(p->skipped);
    int rc = read_field(p, f, c, it);
    p->err = err;
    p->errlen = errlen;
    if (rc == 0)
        return 0;
    p->failed = false; /* this field failed, not the parse */
    if (f->need == NEEDED)
        return ITEM_UNUSABLE;
    spare_field_reset(f, it);
    log_warn("EWS response: %s; the field is ignored", p->skipped);
    return 0;
}

/* A field sent twice (grommunio Gromox repeats t:StartTimeZone on a series' master): the
 * same element again is skipped; a different one leaves a SPARE field as first sent and
 * makes the item unusable when meetingd decides with it (which would it be?). Returns 0 or
 * ITEM_UNUSABLE. */
static int duplicate_field(struct pctx *p, const struct item_field *f, const struct xnode *was,
                           const struct xnode *again)
{
    if (xnode_same(was, again)) {
        log_debug("EWS response: %s: t:%s sent twice alike; the second is skipped", p->where,
                  f->name);
        return 0;
    }
    if (f->need == SPARE) {
        log_warn("EWS response: %s: t:%s sent twice, differently; the first counts", p->where,
                 f->name);
        return 0;
    }
    snprintf(p->skipped, sizeof(p->skipped), "%s: t:%s sent twice, differently", p->where, f->name);
    return ITEM_UNUSABLE;
}

/* The index in item_fields of the field named NAME, -1 when it is none. Each of an item's
 * some 50 children is looked up (most of them are not read): the answer is remembered by the
 * name's address, and a tree's names are libxml2's dictionary entries, one address per name
 * in the whole response, so the table is searched about once per name rather than once per
 * child of every item (the searches were an eighth of meetingd's instructions per answered
 * meeting). A memo slot holds the address it answers for: a name at another address is
 * searched, so the answer never depends on the dictionary. */
static int field_of(struct pctx *p, const char *name)
{
    size_t slot = ((uintptr_t)name >> 3) % NELEM(p->field_memo);
    if (p->field_memo[slot].name == name)
        return p->field_memo[slot].field;
    int field = -1;
    size_t len = strlen(name);
    for (size_t i = 0; i < N_ITEM_FIELDS && field < 0; i++)
        if (item_fields[i].name_len == len && memcmp(name, item_fields[i].name, len) == 0)
            field = (int)i;
    p->field_memo[slot].name = name;
    p->field_memo[slot].field = field;
    return field;
}

/* Parse one item element (any element of the types namespace) into *it (initialised).
 * Returns 0, -1 (the response is unusable) or ITEM_UNUSABLE (this item is). */
int parse_item(struct pctx *p, const struct xnode *n, struct item *it)
{
    if (!ns_is(n, NS_T))
        return ep_fail(p, "item element %s%s is not in the EWS types namespace", prefix_of(n),
                       n->name);
    it->kind = kind_of(n->name);
    p->attendee_cap = it->n_attendees;
    uint64_t seen = 0;
    const struct xnode *first[N_ITEM_FIELDS];
    FOR_EACH_EL(c, n)
    {
        if (!ns_is(c, NS_T))
            continue; /* foreign extensions: not ours to interpret */
        int i = field_of(p, c->name);
        if (i < 0)
            continue;
        const struct item_field *f = &item_fields[i];
        if (seen & (UINT64_C(1) << i)) {
            int rc = duplicate_field(p, f, first[i], c);
            if (rc != 0)
                return rc;
            continue;
        }
        seen |= UINT64_C(1) << i;
        first[i] = c;
        int rc = read_field_tolerant(p, f, c, it);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Parse the item children of an Items element into a growing array. An item that cannot be
 * used (a NEEDED field failed) is left out with a warning and counted in *n_dropped. */
int parse_items(struct pctx *p, const struct xnode *items, int msg_no, struct item **arr, size_t *n,
                size_t *n_dropped)
{
    size_t cap = *n, position = 0;
    FOR_EACH_EL(c, items)
    {
        *arr = ep_grow(*arr, *n, &cap, sizeof(**arr));
        struct item *it = &(*arr)[(*n)++];
        item_init(it);
        snprintf(p->where, sizeof(p->where), "ResponseMessage %d, item %zu (%s%.40s)", msg_no,
                 ++position, prefix_of(c), c->name);
        int rc = parse_item(p, c, it);
        if (rc == ITEM_UNUSABLE) {
            log_warn("EWS response: %s; the item (id %.60s) is left out", p->skipped,
                     it->id.id != NULL ? it->id.id : "unknown");
            item_clear(it);
            (*n)--;
            (*n_dropped)++;
        } else if (rc < 0) {
            return -1;
        }
    }
    snprintf(p->where, sizeof(p->where), "ResponseMessage %d", msg_no);
    return 0;
}
