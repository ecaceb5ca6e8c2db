/*
 * recurrence: the occurrences of a series from its t:Recurrence.
 *
 * Exchange's CalendarView expands a series into its occurrences; a server whose view returns
 * the series' master instead (grommunio Gromox 3.10) leaves the expansion to the client, and
 * so does a request whose occurrences the server never put on the calendar. The rules are
 * those of the EWS recurrence patterns: dates on or after StartDate; every Interval-th day,
 * week (from the week, starting on Sunday, that holds StartDate), month or year; a day of
 * the month past the month's end is its last day; the range ends after a number of
 * occurrences, after an end date (inclusive), or never.
 *
 * Every occurrence starts at the first one's wall-clock time in the series' time zone (its
 * t:StartTimeZone) and lasts as long, so its UTC time follows the zone's daylight-saving
 * changes as the server's does. A local start that a change skips (02:30 on a spring-forward
 * night) is read with the offset before the change, one that a change repeats as its first
 * instance. Without a zone, the first occurrence's UTC time of day is kept for every
 * occurrence (exact for UTC and zones without daylight saving); the first occurrence's UTC
 * date may then differ from StartDate (a meeting at 00:30 in UTC+1), and the expansion keeps
 * that difference for every occurrence.
 */
#ifndef MEETINGD_RECURRENCE_H
#define MEETINGD_RECURRENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "item.h"
#include "policy.h"

/*
 * The occurrences of the series REC whose first occurrence is [FIRST_START, FIRST_END) that
 * overlap [FROM, TO), in order, at most MAX: a new array in *OUT (free()), its length
 * returned. ZONE is the series' IANA time zone, RECURRENCE_HOST_ZONE for the process's own,
 * NULL to keep the UTC time of day. *MORE
 * (optional) tells whether the series goes on after the last one returned.
 * Returns 0 with *OUT NULL when REC cannot be expanded (an unreadable StartDate).
 */
#define RECURRENCE_HOST_ZONE "" /* ZONE: the zone the process runs in (TZ, /etc/localtime) */

size_t recurrence_expand(const struct item_recurrence *rec, const char *zone, time_t first_start,
                         time_t first_end, time_t from, time_t to, size_t max,
                         struct policy_occurrence **out, bool *more);

#endif
