/*
 * item: the meeting model (see item.h).
 */
#include "item.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

const char *const item_day_names[ITEM_DAY_NAMES] = {
    "Sunday", "Monday",   "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Day",     "Weekday",   "WeekendDay"};
const char *const item_week_index_names[ITEM_WEEK_INDEX_NAMES] = {"First", "Second", "Third",
                                                                  "Fourth", "Last"};
const char *const item_month_names[ITEM_MONTH_NAMES] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

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
    struct item *it = xcalloc(1, sizeof(*it));
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
    it->attendees = xreallocarray(it->attendees, it->n_attendees + 1, sizeof(*it->attendees));
    struct item_attendee *at = &it->attendees[it->n_attendees++];
    memset(at, 0, sizeof(*at));
    at->mailbox.name = name ? xstrdup(name) : NULL;
    at->mailbox.address = address ? xstrdup(address) : NULL;
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

int item_calendar_type_from_string(const char *s, enum calendar_item_type *out)
{
    int i = index_of(calendar_type_names, NELEM(calendar_type_names), s);
    if (i < 0)
        return -1;
    *out = (enum calendar_item_type)i;
    return 0;
}
