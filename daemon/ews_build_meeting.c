/*
 * ews_build_meeting: m:CreateItem of a meeting with its recurrence (see ews_build.h).
 */
#include "ews_build_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "util.h"

/* ---- CreateItem of a meeting ---- */

static bool single_bit(unsigned v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static bool date_ok(const char *d)
{
    char tmp[11];
    return strlen(d) == 10 && util_parse_xs_date(d, tmp) == 0;
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

static void write_days(struct eb_writer *w, unsigned mask)
{
    char list[128] = "";
    for (unsigned i = 0; i < ITEM_DAY_NAMES; i++) {
        if (mask & (1u << i)) {
            if (list[0] != '\0')
                strcat(list, " ");
            strcat(list, item_day_names[i]);
        }
    }
    eb_leaf(w, "DaysOfWeek", list);
}

/* The single day and its week of the month of the relative patterns. */
static void write_relative_day(struct eb_writer *w, const struct item_recurrence *r)
{
    eb_leaf(w, "DaysOfWeek", day_name(r->days_of_week));
    eb_leaf(w, "DayOfWeekIndex", item_week_index_names[r->day_of_week_index - 1]);
}

static const char *const range_elements[] = {
    [REC_RANGE_NO_END] = "NoEndRecurrence",
    [REC_RANGE_END_DATE] = "EndDateRecurrence",
    [REC_RANGE_NUMBERED] = "NumberedRecurrence",
};

/* t:Recurrence: pattern then range, children in schema order (the yearly patterns have no
 * Interval; the relative ones take a single day). */
static void write_recurrence(struct eb_writer *w, const struct item_recurrence *r)
{
    eb_el(w, "t", "Recurrence");
    switch (r->pattern) {
    case REC_DAILY:
        eb_el(w, "t", "DailyRecurrence");
        eb_leaf_int(w, "Interval", r->interval);
        break;
    case REC_WEEKLY:
        eb_el(w, "t", "WeeklyRecurrence");
        eb_leaf_int(w, "Interval", r->interval);
        write_days(w, r->days_of_week);
        break;
    case REC_ABSOLUTE_MONTHLY:
        eb_el(w, "t", "AbsoluteMonthlyRecurrence");
        eb_leaf_int(w, "Interval", r->interval);
        eb_leaf_int(w, "DayOfMonth", r->day_of_month);
        break;
    case REC_RELATIVE_MONTHLY:
        eb_el(w, "t", "RelativeMonthlyRecurrence");
        eb_leaf_int(w, "Interval", r->interval);
        write_relative_day(w, r);
        break;
    case REC_ABSOLUTE_YEARLY:
        eb_el(w, "t", "AbsoluteYearlyRecurrence");
        eb_leaf_int(w, "DayOfMonth", r->day_of_month);
        eb_leaf(w, "Month", item_month_names[r->month - 1]);
        break;
    case REC_RELATIVE_YEARLY:
        eb_el(w, "t", "RelativeYearlyRecurrence");
        write_relative_day(w, r);
        eb_leaf(w, "Month", item_month_names[r->month - 1]);
        break;
    }
    eb_end(w);
    eb_el(w, "t", range_elements[r->range]);
    eb_leaf(w, "StartDate", r->start_date);
    if (r->range == REC_RANGE_END_DATE)
        eb_leaf(w, "EndDate", r->end_date);
    else if (r->range == REC_RANGE_NUMBERED)
        eb_leaf_int(w, "NumberOfOccurrences", r->number_of_occurrences);
    eb_end(w);
    eb_end(w);
}

char *ews_build_create_meeting(const struct ews_context *ctx, const struct ews_meeting_spec *m)
{
    if (ctx == NULL || m == NULL || m->subject == NULL || m->start >= m->end ||
        (unsigned)m->send_invitations >= NELEM(eb_send_invitations) ||
        !eb_addresses_ok(m->required, m->n_required) ||
        !eb_addresses_ok(m->optional, m->n_optional) ||
        !eb_addresses_ok(m->resources, m->n_resources) ||
        !eb_attachments_ok(m->attachments, m->n_attachments))
        return NULL;
    if (m->sensitivity != NULL &&
        eb_index_in(eb_sensitivities, EB_SENSITIVITIES, m->sensitivity) < 0)
        return NULL;
    if (m->recurrence != NULL && !recurrence_ok(m->recurrence))
        return NULL;
    if (m->uid != NULL && !eb_nonempty(m->uid))
        return NULL;
    if (m->start_time_zone_id != NULL &&
        (!eb_nonempty(m->start_time_zone_id) ||
         eb_server_version_index(ctx) < FIRST_VERSION_WITH_TIME_ZONE_DEFINITIONS))
        return NULL;

    struct eb_writer w;
    eb_begin(&w, ctx, "CreateItem");
    eb_attr(&w, "SendMeetingInvitations", eb_send_invitations[m->send_invitations]);
    eb_el(&w, "m", "SavedItemFolderId");
    eb_el(&w, "t", "DistinguishedFolderId");
    eb_attr(&w, "Id", "calendar");
    eb_end(&w);
    eb_end(&w);
    eb_el(&w, "m", "Items");
    eb_el(&w, "t", "CalendarItem");
    /* ItemType part, then CalendarItemType part, each in schema order. */
    eb_leaf(&w, "Subject", m->subject);
    if (m->sensitivity != NULL)
        eb_leaf(&w, "Sensitivity", m->sensitivity);
    if (m->body != NULL)
        eb_write_body(&w, "Body", m->body, m->body_is_html);
    eb_write_attachments(&w, m->attachments, m->n_attachments);
    if (m->uid != NULL)
        eb_leaf(&w, "UID", m->uid);
    eb_leaf_time(&w, "Start", m->start);
    eb_leaf_time(&w, "End", m->end);
    eb_leaf_bool(&w, "IsAllDayEvent", m->is_all_day);
    if (m->location != NULL)
        eb_leaf(&w, "Location", m->location);
    eb_write_attendees(&w, "RequiredAttendees", m->required, m->n_required);
    eb_write_attendees(&w, "OptionalAttendees", m->optional, m->n_optional);
    eb_write_attendees(&w, "Resources", m->resources, m->n_resources);
    if (m->recurrence != NULL)
        write_recurrence(&w, m->recurrence);
    if (m->start_time_zone_id != NULL) {
        eb_el(&w, "t", "StartTimeZone");
        eb_attr(&w, "Id", m->start_time_zone_id);
        eb_end(&w);
    }
    eb_end(&w); /* t:CalendarItem */
    eb_end(&w); /* m:Items */
    return eb_finish(&w);
}
