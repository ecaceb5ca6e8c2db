/*
 * policy_time: local dates and times in a policy's time zone (see policy_time.h).
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include "policy_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "policy.h"
#include "util.h"

void policy_time_enter(struct policy_time_scope *scope, const char *zone)
{
    memset(scope, 0, sizeof(*scope));
    if (zone == NULL || *zone == '\0')
        return;
    const char *cur = getenv("TZ");
    scope->had_tz = cur != NULL;
    scope->saved_tz = cur ? xstrdup(cur) : NULL;
    /* localtime_r() need not look at TZ again: tzset() makes the change take effect. */
    setenv("TZ", zone, 1);
    tzset();
    scope->switched = true;
}

void policy_time_leave(struct policy_time_scope *scope)
{
    if (!scope->switched)
        return;
    if (scope->had_tz)
        setenv("TZ", scope->saved_tz, 1);
    else
        unsetenv("TZ");
    tzset();
    free(scope->saved_tz);
    memset(scope, 0, sizeof(*scope));
}

void policy_time_local(time_t t, struct policy_local *out)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL) {
        /* Only for times no calendar holds (beyond the year 2^31): treat as UTC epoch. */
        memset(out, 0, sizeof(*out));
        out->year = 1970;
        out->month = out->day = 1;
        out->wday = 4;
        return;
    }
    out->year = tm.tm_year + 1900;
    out->month = tm.tm_mon + 1;
    out->day = tm.tm_mday;
    out->wday = tm.tm_wday;
    out->sec_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    /* The local date read as a UTC date gives a day count that orders dates. */
    struct tm date = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = tm.tm_mday};
    time_t midnight = timegm(&date);
    out->day_number = (long)(midnight / 86400);
}

bool policy_time_within(time_t start, time_t end, unsigned days, unsigned start_min,
                        unsigned end_min)
{
    struct policy_local ls, le;
    policy_time_local(start, &ls);
    long end_sec;
    if (end <= start) {
        end_sec = ls.sec_of_day;
    } else {
        /* The last second the meeting occupies decides its day: a meeting ending at
         * midnight ends at 24:00 of the day it started. */
        policy_time_local(end - 1, &le);
        if (le.day_number != ls.day_number)
            return false;
        end_sec = (long)le.sec_of_day + 1;
    }
    if ((days & CONF_DAY(ls.wday)) == 0)
        return false;
    return ls.sec_of_day >= (long)start_min * 60 && end_sec <= (long)end_min * 60;
}

time_t policy_time_day_end(time_t now, unsigned days_ahead)
{
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL)
        return now + ((time_t)days_ahead + 1) * 86400;
    struct tm next = {.tm_year = tm.tm_year,
                      .tm_mon = tm.tm_mon,
                      .tm_mday = tm.tm_mday + (int)days_ahead + 1,
                      .tm_isdst = -1};
    /* mktime() normalises the day overflow into later months and years. */
    time_t t = mktime(&next);
    return t == (time_t)-1 ? now + ((time_t)days_ahead + 1) * 86400 : t;
}

void policy_time_format_date(time_t t, char buf[static 11])
{
    struct policy_local l;
    policy_time_local(t, &l);
    unsigned y = (unsigned)l.year % 10000u, m = (unsigned)l.month % 100u,
             day = (unsigned)l.day % 100u;
    snprintf(buf, 11, "%04u-%02u-%02u", y, m, day);
}

void policy_time_format_hm(time_t t, char buf[static 6])
{
    struct policy_local l;
    policy_time_local(t, &l);
    unsigned h = (unsigned)l.sec_of_day / 3600u % 100u, m = (unsigned)l.sec_of_day / 60u % 60u;
    snprintf(buf, 6, "%02u:%02u", h, m);
}

void policy_time_format_days(unsigned days, char *buf, size_t len)
{
    /* The abbreviations are the first three letters of the schema's day names. */
    static const int order[7] = {1, 2, 3, 4, 5, 6, 0}; /* Monday first */
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < 7;) {
        if ((days & CONF_DAY(order[i])) == 0) {
            i++;
            continue;
        }
        int j = i;
        while (j + 1 < 7 && (days & CONF_DAY(order[j + 1])))
            j++;
        int n;
        const char *sep = used ? ", " : "";
        if (j - i >= 2)
            n = snprintf(buf + used, len - used, "%s%.3s-%.3s", sep, item_day_names[order[i]],
                         item_day_names[order[j]]);
        else if (j > i)
            n = snprintf(buf + used, len - used, "%s%.3s, %.3s", sep, item_day_names[order[i]],
                         item_day_names[order[j]]);
        else
            n = snprintf(buf + used, len - used, "%s%.3s", sep, item_day_names[order[i]]);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
        i = j + 1;
    }
}

void policy_time_format_hours(unsigned start_min, unsigned end_min, char *buf, size_t len)
{
    snprintf(buf, len, "%02u:%02u-%02u:%02u", start_min / 60 % 100, start_min % 60,
             end_min / 60 % 100, end_min % 60);
}

/* When the series of REQUEST ends, given its N_KNOWN listed occurrences (the last ending at
 * LAST_END); false when that does not tell. */
static bool series_end(const struct item *request, size_t n_known, time_t last_end, time_t *end)
{
    const struct item_recurrence *rec = request->recurrence;
    if (rec == NULL) {
        *end = request->end;
        return true;
    }
    switch (rec->range) {
    case REC_RANGE_NO_END:
        *end = 0;
        return true;
    case REC_RANGE_END_DATE: {
        struct tm tm = {0};
        const char *rest = strptime(rec->end_date, "%Y-%m-%d", &tm);
        if (rest == NULL || *rest != '\0')
            return false;
        *end = timegm(&tm) + 86400; /* the end date is inclusive */
        return true;
    }
    case REC_RANGE_NUMBERED:
        if (rec->number_of_occurrences < 0 || n_known < (size_t)rec->number_of_occurrences)
            return false;
        *end = last_end;
        return true;
    }
    return false;
}

void policy_time_series(const struct item *request, const struct item *const *calendar, size_t n,
                        struct policy_context *ctx, struct policy_occurrence **occurrences)
{
    struct policy_occurrence *occ = NULL;
    size_t n_occ = 0;
    for (size_t i = 0; i < n; i++) {
        const struct item *c = calendar[i];
        if (c->uid && request->uid && strcmp(c->uid, request->uid) == 0) {
            occ = xreallocarray(occ, n_occ + 1, sizeof(*occ));
            occ[n_occ++] = (struct policy_occurrence){c->start, c->end};
        }
    }
    if (n_occ == 0) {
        occ = xcalloc(1, sizeof(*occ));
        occ[n_occ++] = (struct policy_occurrence){request->start, request->end};
    }
    *occurrences = occ;
    ctx->occurrences = occ;
    ctx->n_occurrences = n_occ;
    ctx->series_end_known = series_end(request, n_occ, occ[n_occ - 1].end, &ctx->series_end);
}
