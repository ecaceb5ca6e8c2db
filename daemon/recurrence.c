/*
 * recurrence: series expansion (see recurrence.h).
 */
#include "recurrence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "policy_time.h"
#include "util.h"

#define MAX_PERIODS 200000 /* about 550 years of days: past any window asked for */

static unsigned weekday(long day) /* 0 = Sunday */
{
    long w = (day + 4) % 7;
    return (unsigned)(w < 0 ? w + 7 : w);
}

static bool parse_date(const char *s, long *day)
{
    long y;
    unsigned m, d;
    char tail;
    if (s == NULL || sscanf(s, "%ld-%u-%u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
        (int)d > civil_month_length(y, (int)m))
        return false;
    *day = (long)civil_days_from_date(y, (int)m, (int)d);
    return true;
}

static bool day_matches(unsigned flags, long day)
{
    unsigned wd = weekday(day);
    if (flags & ITEM_DOW_DAY)
        return true;
    if ((flags & ITEM_DOW_WEEKDAY) && wd >= 1 && wd <= 5)
        return true;
    if ((flags & ITEM_DOW_WEEKEND_DAY) && (wd == 0 || wd == 6))
        return true;
    return (flags & (1u << wd)) != 0;
}

/* The INDEX-th (1..4, 5 = last) day of Y-M matching FLAGS. */
static long nth_day(long y, unsigned m, unsigned flags, int index)
{
    long first = (long)civil_days_from_date(y, (int)m, 1);
    long last = first + civil_month_length(y, (int)m) - 1;
    if (index >= 5) {
        for (long d = last; d >= first; d--)
            if (day_matches(flags, d))
                return d;
        return last;
    }
    int seen = 0;
    for (long d = first; d <= last; d++)
        if (day_matches(flags, d) && ++seen == index)
            return d;
    return last;
}

/* The dates of period K (in order) into DAYS (room for 7); returns how many. */
static size_t period_days(const struct item_recurrence *rec, long start, long k, long *days)
{
    long long y;
    int m, d;
    civil_date_from_days(start, &y, &m, &d);
    long interval = rec->interval > 0 ? rec->interval : 1;
    size_t n = 0;
    switch (rec->pattern) {
    case REC_DAILY:
        days[n++] = start + k * interval;
        break;
    case REC_WEEKLY: {
        long week0 = start - weekday(start);
        for (unsigned wd = 0; wd < 7; wd++)
            if (rec->days_of_week & (1u << wd))
                days[n++] = week0 + 7 * k * interval + wd;
        break;
    }
    case REC_ABSOLUTE_MONTHLY:
    case REC_RELATIVE_MONTHLY: {
        long months = (long)(m - 1) + k * interval;
        long yy = (long)y + months / 12;
        int mm = (int)(months % 12) + 1;
        int dom = rec->day_of_month > 0 ? rec->day_of_month : d;
        int length = civil_month_length(yy, mm);
        days[n++] = rec->pattern == REC_ABSOLUTE_MONTHLY
                        ? (long)civil_days_from_date(yy, mm, dom < length ? dom : length)
                        : nth_day(yy, (unsigned)mm, rec->days_of_week, rec->day_of_week_index);
        break;
    }
    case REC_ABSOLUTE_YEARLY:
    case REC_RELATIVE_YEARLY: {
        int mm = rec->month >= 1 && rec->month <= 12 ? rec->month : m;
        int dom = rec->day_of_month > 0 ? rec->day_of_month : d;
        int length = civil_month_length(y + k, mm);
        days[n++] = rec->pattern == REC_ABSOLUTE_YEARLY
                        ? (long)civil_days_from_date(y + k, mm, dom < length ? dom : length)
                        : nth_day((long)(y + k), (unsigned)mm, rec->days_of_week,
                                  rec->day_of_week_index);
        break;
    }
    }
    return n;
}

/* Where each occurrence starts: the first one's local wall-clock time in ZONE, or (no zone)
 * its UTC time of day with the UTC date moved as the first one's is. */
struct occurrence_clock {
    bool local;
    long first_day;     /* the first occurrence's date: local with a zone, else UTC */
    time_t time_of_day; /* seconds after that date's midnight */
    long shift;         /* without a zone: the first occurrence's UTC date minus its date */
    bool shift_known;
};

static long day_of(time_t t)
{
    return (long)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

static long utc_offset(time_t t)
{
    struct tm tm;
    return localtime_r(&t, &tm) != NULL ? tm.tm_gmtoff : 0;
}

/* The moment the current zone's clocks show LOCAL (seconds since the epoch read as UTC): of
 * the offsets in force a day before and a day after (a zone changes at most once a day), the
 * earliest moment that shows it; a local time a change skips takes the offset before it. */
static time_t local_to_utc(time_t local)
{
    long before = utc_offset(local - 86400), after = utc_offset(local + 86400);
    time_t best = 0;
    bool found = false;
    long offsets[2] = {before, after};
    for (int i = 0; i < 2; i++) {
        time_t t = local - offsets[i];
        if (t + utc_offset(t) == local && (!found || t < best)) {
            best = t;
            found = true;
        }
    }
    return found ? best : local - before;
}

static void clock_init(struct occurrence_clock *c, bool local, time_t first_start)
{
    memset(c, 0, sizeof(*c));
    c->local = local;
    time_t wall = local ? first_start + utc_offset(first_start) : first_start;
    c->first_day = day_of(wall);
    c->time_of_day = wall - (time_t)c->first_day * 86400;
}

static time_t clock_start(struct occurrence_clock *c, long day)
{
    if (c->local)
        return local_to_utc((time_t)day * 86400 + c->time_of_day);
    if (!c->shift_known) {
        c->shift = c->first_day - day;
        c->shift_known = true;
    }
    return (time_t)(day + c->shift) * 86400 + c->time_of_day;
}

size_t recurrence_expand(const struct item_recurrence *rec, const char *zone, time_t first_start,
                         time_t first_end, time_t from, time_t to, size_t max,
                         struct policy_occurrence **out, bool *more)
{
    *out = NULL;
    if (more)
        *more = false;
    long start, last = 0;
    if (rec == NULL || !parse_date(rec->start_date, &start) ||
        (rec->range == REC_RANGE_END_DATE && !parse_date(rec->end_date, &last)))
        return 0;
    struct policy_time_scope scope;
    policy_time_enter(&scope, zone);
    struct occurrence_clock clock;
    clock_init(&clock, zone != NULL, first_start);
    time_t duration = first_end > first_start ? first_end - first_start : 0;
    struct policy_occurrence *occ = NULL;
    size_t n = 0;
    long index = 0;
    for (long k = 0; k < MAX_PERIODS; k++) {
        long days[7];
        size_t nd = period_days(rec, start, k, days);
        for (size_t i = 0; i < nd; i++) {
            if (k == 0 && days[i] < start)
                continue;
            if (rec->range == REC_RANGE_END_DATE && days[i] > last)
                goto done;
            if (rec->range == REC_RANGE_NUMBERED && ++index > rec->number_of_occurrences)
                goto done;
            time_t s = clock_start(&clock, days[i]), e = s + duration;
            if (s >= to) {
                if (more)
                    *more = true;
                goto done;
            }
            if (e <= from && !(duration == 0 && s >= from))
                continue;
            if (n == max) {
                if (more)
                    *more = true;
                goto done;
            }
            occ = xreallocarray(occ, n + 1, sizeof(*occ));
            occ[n++] = (struct policy_occurrence){s, e};
        }
    }
done:
    policy_time_leave(&scope);
    *out = occ;
    return n;
}
