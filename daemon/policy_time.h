/*
 * policy_time: local dates and times in a policy's time zone, for the policy engine.
 *
 * Zone conversion is left to the C library and its compiled tz database: policy_time_enter()
 * points TZ at the policy's zone and calls tzset(), policy_time_leave() puts the previous TZ
 * back. A zone conversion of our own would have to read and cache TZif files (I/O and state
 * the pure policy function must not have) and re-implement every rule the database carries;
 * the C library already does that correctly across daylight-saving changes. The price is
 * process-global state while one decision runs: meetingd runs its decisions on the single
 * event-loop thread and nothing else converts local times meanwhile, so the switch is
 * invisible outside the scope. Not thread-safe, by design of TZ itself.
 *
 * Between enter and leave, every function below works in the policy's zone (or the host's,
 * when the policy names none).
 */
#ifndef MEETINGD_POLICY_TIME_H
#define MEETINGD_POLICY_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "item.h"

/* What policy_time_enter() changed, for policy_time_leave(). */
struct policy_time_scope {
    bool switched;
    bool had_tz;
    char *saved_tz; /* owned copy of the previous TZ value */
};

/* Makes ZONE (an IANA name; NULL = keep the host's zone) the process time zone. Always pair
 * with policy_time_leave(). */
void policy_time_enter(struct policy_time_scope *scope, const char *zone);

/* Restores the time zone that was in force before policy_time_enter(). */
void policy_time_leave(struct policy_time_scope *scope);

/* A moment as a wall clock in the current zone shows it. */
struct policy_local {
    int year, month, day; /* month 1-12 */
    int wday;             /* 0 = Sunday, as tm_wday and CONF_DAY() */
    int sec_of_day;       /* seconds after local midnight, 0-86399 (wall clock) */
    long day_number;      /* days since 1970-01-01 of the local date, to compare dates */
};

void policy_time_local(time_t t, struct policy_local *out);

/*
 * True when [START, END) lies within one local day whose weekday is in DAYS (CONF_DAY bits)
 * and within [START_MIN, END_MIN] minutes after local midnight (END_MIN up to 1440). A
 * meeting ending exactly at local midnight counts as ending at 24:00 of its day. Each end
 * is converted on its own, so a change of UTC offset between two meetings of a series is
 * taken into account.
 */
bool policy_time_within(time_t start, time_t end, unsigned days, unsigned start_min,
                        unsigned end_min);

/* The first moment after the local date DAYS_AHEAD days after the local date of NOW (local
 * midnight that ends that date): the end of a booking window. */
time_t policy_time_day_end(time_t now, unsigned days_ahead);

/* "YYYY-MM-DD" and "HH:MM" of T as local time. */
void policy_time_format_date(time_t t, char buf[static 11]);
void policy_time_format_hm(time_t t, char buf[static 6]);

/* Formats CONF_DAY bits as "Mon-Fri", "Mon, Wed, Fri", "Sat-Sun" (runs of three or more
 * days Monday-first become ranges). */
void policy_time_format_days(unsigned days, char *buf, size_t len);

/* Formats minutes after midnight as "HH:MM-HH:MM" ("24:00" for 1440). */
void policy_time_format_hours(unsigned start_min, unsigned end_min, char *buf, size_t len);

struct policy_context;
struct policy_occurrence;

/*
 * The series facts of REQUEST for the policy's context, from CALENDAR (N items of the
 * mailbox's calendar view over the request): its occurrences are its own tentative copies
 * there (same UID; the request itself when there are none), so the recurrence is never
 * expanded here; the series ends with the request (a single meeting), never, at the end of
 * its end date (inclusive, taken as UTC), or with the last occurrence of a numbered series
 * whose occurrences are all listed; otherwise the end is unknown. Sets ctx->occurrences (in
 * *OCCURRENCES, which the caller frees with free()), n_occurrences, series_end_known and
 * series_end.
 */
void policy_time_series(const struct item *request, const struct item *const *calendar, size_t n,
                        struct policy_context *ctx, struct policy_occurrence **occurrences);

#endif
