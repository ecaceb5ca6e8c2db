/*
 * meetingctl_time: times as people type them. A time with Z or an offset is exactly that
 * instant; one without is local to TZ (or --tz, an IANA or Windows zone name), the way a
 * person reads a clock. Recurrences (daily, weekly on days, monthly on a day) become the
 * EWS t:Recurrence the builder writes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "meetingctl.h"
#include "winzone.h"

int ctl_set_time_zone(const char *zone)
{
    char path[512], err[256];
    const char *dir = getenv("TZDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/usr/share/zoneinfo";
    char *iana = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, zone);
    struct stat st;
    /* A zone is a file: a directory such as "Europe" would silently mean UTC. */
    if (zone[0] != '\0' && zone[0] != '/' && strstr(zone, "..") == NULL && stat(path, &st) == 0 &&
        S_ISREG(st.st_mode))
        iana = xstrdup(zone);
    else
        iana = winzone_to_iana(zone, err, sizeof(err));
    if (iana == NULL) {
        ctl_usage_error("--tz: unknown time zone '%s' (an IANA name like Europe/Berlin or a "
                        "Windows name like W. Europe Standard Time)",
                        zone);
        return -1;
    }
    setenv("TZ", iana, 1);
    tzset();
    free(iana);
    return 0;
}

/* True when the time part of S (after 'T') carries Z or an offset. */
static bool has_zone(const char *s)
{
    const char *t = strchr(s, 'T');
    if (t == NULL)
        return false;
    return strpbrk(t, "Zz+-") != NULL;
}

int ctl_parse_time(const char *name, const char *s, time_t *out)
{
    time_t as_utc;
    /* util_parse_time checks every field; without a zone it reads UTC, which is then the
     * wall-clock time to place in the local zone. */
    if (util_parse_time(s, &as_utc) != 0 || strchr(s, 'T') == NULL) {
        ctl_usage_error("%s: not an ISO 8601 time: %s (like 2026-12-14T10:00, local to TZ, or "
                        "2026-12-14T10:00:00Z)",
                        name, s);
        return -1;
    }
    if (has_zone(s)) {
        *out = as_utc;
        return 0;
    }
    struct tm tm;
    gmtime_r(&as_utc, &tm);
    tm.tm_isdst = -1;
    time_t local = mktime(&tm);
    if (local == (time_t)-1) {
        ctl_usage_error("%s: %s is not a time in the local time zone", name, s);
        return -1;
    }
    *out = local;
    return 0;
}

const char *ctl_local_windows_zone(void)
{
    const char *tz = getenv("TZ");
    if (tz == NULL || *tz == '\0')
        return NULL;
    if (*tz == ':')
        tz++;
    return winzone_from_iana(tz);
}

static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* "mon,wed,fri" (case-insensitive, 3 letters or whole names) into ITEM_DOW bits; 0 on error. */
static unsigned parse_days(const char *s)
{
    unsigned bits = 0;
    char *copy = xstrdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        int found = -1;
        for (int i = 0; i < 7; i++)
            if (strlen(tok) >= 3 && util_str_ncasecmp_ascii(tok, day_names[i], 3) == 0)
                found = i;
        if (found < 0) {
            free(copy);
            return 0;
        }
        bits |= 1u << found;
    }
    free(copy);
    return bits;
}

static bool parse_positive(const char *s, int max, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 1 || v > max)
        return false;
    *out = (int)v;
    return true;
}

int ctl_recurrence_from_args(const struct ctl_recurrence_args *a, time_t start,
                             struct item_recurrence *rec)
{
    struct tm tm;
    localtime_r(&start, &tm);
    memset(rec, 0, sizeof(*rec));
    rec->interval = 1;
    strftime(rec->start_date, sizeof(rec->start_date), "%Y-%m-%d", &tm);
    if (a->interval && !parse_positive(a->interval, 999, &rec->interval))
        return ctl_usage_error("--interval: %s is not a number from 1 to 999", a->interval);
    if (strcmp(a->pattern, "daily") == 0) {
        rec->pattern = REC_DAILY;
    } else if (strcmp(a->pattern, "weekly") == 0) {
        rec->pattern = REC_WEEKLY;
        rec->days_of_week = a->days ? parse_days(a->days) : 1u << tm.tm_wday;
        if (rec->days_of_week == 0)
            return ctl_usage_error("--days: %s is not a list of days like mon,wed,fri", a->days);
    } else if (strcmp(a->pattern, "monthly") == 0) {
        rec->pattern = REC_ABSOLUTE_MONTHLY;
        rec->day_of_month = tm.tm_mday;
        if (a->day_of_month && !parse_positive(a->day_of_month, 31, &rec->day_of_month))
            return ctl_usage_error("--day-of-month: %s is not a day from 1 to 31", a->day_of_month);
    } else {
        return ctl_usage_error("--recurrence: %s is not daily, weekly or monthly", a->pattern);
    }
    if (a->days && rec->pattern != REC_WEEKLY)
        return ctl_usage_error("--days goes with --recurrence weekly");
    if (a->day_of_month && rec->pattern != REC_ABSOLUTE_MONTHLY)
        return ctl_usage_error("--day-of-month goes with --recurrence monthly");
    if ((a->count != NULL) == (a->until != NULL))
        return ctl_usage_error("--recurrence needs either --count N or --until YYYY-MM-DD");
    if (a->count) {
        rec->range = REC_RANGE_NUMBERED;
        if (!parse_positive(a->count, 999, &rec->number_of_occurrences))
            return ctl_usage_error("--count: %s is not a number from 1 to 999", a->count);
    } else {
        time_t until;
        if (strlen(a->until) != 10 || util_parse_time(a->until, &until) != 0)
            return ctl_usage_error("--until: %s is not a date like 2027-03-31", a->until);
        if (strcmp(a->until, rec->start_date) < 0)
            return ctl_usage_error("--until %s is before the first meeting (%s)", a->until,
                                   rec->start_date);
        rec->range = REC_RANGE_END_DATE;
        memcpy(rec->end_date, a->until, 11);
    }
    return 0;
}
