/*
 * item: the meeting model (see item.h).
 */
#include "item.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const item_day_names[ITEM_DAY_NAMES] = {
    "Sunday", "Monday",   "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Day",     "Weekday",   "WeekendDay"};
const char *const item_week_index_names[ITEM_WEEK_INDEX_NAMES] = {"First", "Second", "Third",
                                                                  "Fourth", "Last"};
const char *const item_month_names[ITEM_MONTH_NAMES] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

/* This module must build alone (util.c is written in parallel), hence its own tiny
 * allocation helpers: they abort on out-of-memory like the rest of the daemon. */
static void *item_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
    if (p == NULL)
        abort();
    return p;
}

static char *item_xstrdup(const char *s)
{
    if (s == NULL)
        return NULL;
    char *p = strdup(s);
    if (p == NULL)
        abort();
    return p;
}

void item_init(struct item *it)
{
    memset(it, 0, sizeof(*it));
    it->kind = ITEM_OTHER;
    it->my_response = RESPONSE_UNKNOWN;
    it->response_type = RESPONSE_UNKNOWN;
    it->legacy_free_busy = FB_NO_DATA;
    it->intended_free_busy = FB_NO_DATA;
    it->calendar_item_type = CAL_SINGLE;
}

void item_id_clear(struct item_id *id)
{
    free(id->id);
    free(id->change_key);
    id->id = NULL;
    id->change_key = NULL;
}

void item_mailbox_clear(struct item_mailbox *mb)
{
    free(mb->name);
    free(mb->address);
    mb->name = NULL;
    mb->address = NULL;
}

void item_clear(struct item *it)
{
    if (it == NULL)
        return;
    free(it->item_class);
    item_id_clear(&it->id);
    item_id_clear(&it->parent_folder_id);
    free(it->subject);
    free(it->body);
    free(it->location);
    free(it->uid);
    free(it->sensitivity);
    free(it->meeting_request_type);
    free(it->start_time_zone_id);
    free(it->time_zone);
    item_mailbox_clear(&it->organizer);
    item_mailbox_clear(&it->from);
    item_mailbox_clear(&it->sender);
    item_id_clear(&it->recurring_master_id);
    item_id_clear(&it->associated_calendar_item_id);
    for (size_t i = 0; i < it->n_attendees; i++)
        item_mailbox_clear(&it->attendees[i].mailbox);
    free(it->attendees);
    free(it->recurrence);
    item_id_clear(&it->first_occurrence.id);
    item_id_clear(&it->last_occurrence.id);
    for (size_t i = 0; i < it->n_modified_occurrences; i++)
        item_id_clear(&it->modified_occurrences[i].id);
    free(it->modified_occurrences);
    free(it->deleted_occurrences);
    for (size_t i = 0; i < it->n_attachment_ids; i++)
        item_id_clear(&it->attachment_ids[i]);
    free(it->attachment_ids);
    item_init(it);
}

struct item *item_new(void)
{
    struct item *it = item_xcalloc(1, sizeof(*it));
    item_init(it);
    return it;
}

void item_free(struct item *it)
{
    if (it == NULL)
        return;
    item_clear(it);
    free(it);
}

static void id_copy(struct item_id *dst, const struct item_id *src)
{
    dst->id = item_xstrdup(src->id);
    dst->change_key = item_xstrdup(src->change_key);
}

static void mailbox_copy(struct item_mailbox *dst, const struct item_mailbox *src)
{
    dst->name = item_xstrdup(src->name);
    dst->address = item_xstrdup(src->address);
}

static void occurrence_copy(struct item_occurrence *dst, const struct item_occurrence *src)
{
    *dst = *src;
    id_copy(&dst->id, &src->id);
}

void item_copy(struct item *dst, const struct item *src)
{
    /* Start from a bitwise copy for the scalars, then replace every pointer by a copy. */
    *dst = *src;
    dst->item_class = item_xstrdup(src->item_class);
    id_copy(&dst->id, &src->id);
    id_copy(&dst->parent_folder_id, &src->parent_folder_id);
    dst->subject = item_xstrdup(src->subject);
    dst->body = item_xstrdup(src->body);
    dst->location = item_xstrdup(src->location);
    dst->uid = item_xstrdup(src->uid);
    dst->sensitivity = item_xstrdup(src->sensitivity);
    dst->meeting_request_type = item_xstrdup(src->meeting_request_type);
    dst->start_time_zone_id = item_xstrdup(src->start_time_zone_id);
    dst->time_zone = item_xstrdup(src->time_zone);
    mailbox_copy(&dst->organizer, &src->organizer);
    mailbox_copy(&dst->from, &src->from);
    mailbox_copy(&dst->sender, &src->sender);
    id_copy(&dst->recurring_master_id, &src->recurring_master_id);
    id_copy(&dst->associated_calendar_item_id, &src->associated_calendar_item_id);

    dst->attendees = NULL;
    if (src->n_attendees > 0) {
        dst->attendees = item_xcalloc(src->n_attendees, sizeof(*dst->attendees));
        for (size_t i = 0; i < src->n_attendees; i++) {
            dst->attendees[i] = src->attendees[i];
            mailbox_copy(&dst->attendees[i].mailbox, &src->attendees[i].mailbox);
        }
    }
    dst->recurrence = NULL;
    if (src->recurrence != NULL) {
        dst->recurrence = item_xcalloc(1, sizeof(*dst->recurrence));
        *dst->recurrence = *src->recurrence;
    }
    occurrence_copy(&dst->first_occurrence, &src->first_occurrence);
    occurrence_copy(&dst->last_occurrence, &src->last_occurrence);
    dst->modified_occurrences = NULL;
    if (src->n_modified_occurrences > 0) {
        dst->modified_occurrences =
            item_xcalloc(src->n_modified_occurrences, sizeof(*dst->modified_occurrences));
        for (size_t i = 0; i < src->n_modified_occurrences; i++)
            occurrence_copy(&dst->modified_occurrences[i], &src->modified_occurrences[i]);
    }
    dst->deleted_occurrences = NULL;
    if (src->n_deleted_occurrences > 0) {
        dst->deleted_occurrences =
            item_xcalloc(src->n_deleted_occurrences, sizeof(*dst->deleted_occurrences));
        memcpy(dst->deleted_occurrences, src->deleted_occurrences,
               src->n_deleted_occurrences * sizeof(*dst->deleted_occurrences));
    }
    dst->attachment_ids = NULL;
    if (src->n_attachment_ids > 0) {
        dst->attachment_ids = item_xcalloc(src->n_attachment_ids, sizeof(*dst->attachment_ids));
        for (size_t i = 0; i < src->n_attachment_ids; i++)
            id_copy(&dst->attachment_ids[i], &src->attachment_ids[i]);
    }
}

struct item *item_dup(const struct item *it)
{
    if (it == NULL)
        return NULL;
    struct item *copy = item_xcalloc(1, sizeof(*copy));
    item_copy(copy, it);
    return copy;
}

void item_array_free(struct item *items, size_t n)
{
    if (items == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        item_clear(&items[i]);
    free(items);
}

void item_add_attendee(struct item *it, enum attendee_role role, const char *name,
                       const char *address, enum item_response response)
{
    if (it->n_attendees >= SIZE_MAX / sizeof(*it->attendees) - 1)
        abort();
    struct item_attendee *a = realloc(it->attendees, (it->n_attendees + 1) * sizeof(*a));
    if (a == NULL)
        abort();
    it->attendees = a;
    struct item_attendee *at = &a[it->n_attendees++];
    memset(at, 0, sizeof(*at));
    at->mailbox.name = item_xstrdup(name);
    at->mailbox.address = item_xstrdup(address);
    at->role = role;
    at->response = response;
}

const struct item_attendee *item_find_attendee(const struct item *it, const char *address)
{
    if (it == NULL || address == NULL)
        return NULL;
    for (size_t i = 0; i < it->n_attendees; i++) {
        const char *a = it->attendees[i].mailbox.address;
        /* SMTP addresses compare case-insensitively in practice (Exchange does). */
        if (a != NULL && strcasecmp(a, address) == 0)
            return &it->attendees[i];
    }
    return NULL;
}

/* Lookup tables indexed by the enum value; the wire spellings are the schema's. */
static const char *const response_names[] = {
    [RESPONSE_UNKNOWN] = "Unknown",     [RESPONSE_ORGANIZER] = "Organizer",
    [RESPONSE_TENTATIVE] = "Tentative", [RESPONSE_ACCEPT] = "Accept",
    [RESPONSE_DECLINE] = "Decline",     [RESPONSE_NO_RESPONSE_RECEIVED] = "NoResponseReceived",
};

static const char *const free_busy_names[] = {
    [FB_FREE] = "Free",
    [FB_TENTATIVE] = "Tentative",
    [FB_BUSY] = "Busy",
    [FB_OOF] = "OOF",
    [FB_WORKING_ELSEWHERE] = "WorkingElsewhere",
    [FB_NO_DATA] = "NoData",
};

static const char *const calendar_type_names[] = {
    [CAL_SINGLE] = "Single",
    [CAL_OCCURRENCE] = "Occurrence",
    [CAL_EXCEPTION] = "Exception",
    [CAL_RECURRING_MASTER] = "RecurringMaster",
};

static const char *const kind_names[] = {
    [ITEM_OTHER] = "Item",
    [ITEM_MESSAGE] = "Message",
    [ITEM_MEETING_REQUEST] = "MeetingRequest",
    [ITEM_MEETING_CANCELLATION] = "MeetingCancellation",
    [ITEM_MEETING_RESPONSE] = "MeetingResponse",
    [ITEM_CALENDAR] = "CalendarItem",
};

static const char *const role_names[] = {
    [ROLE_REQUIRED] = "Required",
    [ROLE_OPTIONAL] = "Optional",
    [ROLE_RESOURCE] = "Resource",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, unsigned v)
{
    return v < n && names[v] != NULL ? names[v] : "Invalid";
}

static int index_of(const char *const *names, size_t n, const char *s)
{
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (names[i] != NULL && strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

const char *item_response_to_string(enum item_response r)
{
    return name_of(response_names, NELEM(response_names), (unsigned)r);
}

int item_response_from_string(const char *s, enum item_response *out)
{
    int i = index_of(response_names, NELEM(response_names), s);
    if (i < 0)
        return -1;
    *out = (enum item_response)i;
    return 0;
}

const char *item_free_busy_to_string(enum free_busy fb)
{
    return name_of(free_busy_names, NELEM(free_busy_names), (unsigned)fb);
}

int item_free_busy_from_string(const char *s, enum free_busy *out)
{
    int i = index_of(free_busy_names, NELEM(free_busy_names), s);
    if (i < 0)
        return -1;
    *out = (enum free_busy)i;
    return 0;
}

const char *item_calendar_type_to_string(enum calendar_item_type t)
{
    return name_of(calendar_type_names, NELEM(calendar_type_names), (unsigned)t);
}

int item_calendar_type_from_string(const char *s, enum calendar_item_type *out)
{
    int i = index_of(calendar_type_names, NELEM(calendar_type_names), s);
    if (i < 0)
        return -1;
    *out = (enum calendar_item_type)i;
    return 0;
}

const char *item_kind_to_string(enum item_kind k)
{
    return name_of(kind_names, NELEM(kind_names), (unsigned)k);
}

const char *item_role_to_string(enum attendee_role role)
{
    return name_of(role_names, NELEM(role_names), (unsigned)role);
}
