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
 * Every occurrence keeps the first one's time of day in UTC and its duration: a series in a
 * zone with daylight saving moves by the change of offset in this expansion, where the server
 * keeps its wall-clock time. The first occurrence's UTC date may differ from StartDate (a
 * meeting at 00:30 in UTC+1); the expansion keeps that difference for every occurrence.
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
 * returned. *MORE (optional) tells whether the series goes on after the last one returned.
 * Returns 0 with *OUT NULL when REC cannot be expanded (an unreadable StartDate).
 */
size_t recurrence_expand(const struct item_recurrence *rec, time_t first_start, time_t first_end,
                         time_t from, time_t to, size_t max, struct policy_occurrence **out,
                         bool *more);

#endif
