/*
 * policy_checks: the WHEN stage of auto_accept (see policy.c): whether a request is in
 * policy - booking window, scheduling horizon, recurrence, duration, work hours, capacity -
 * and whether it conflicts with existing bookings. Each check records its outcome and its
 * reason in the result; times in reasons are in the policy's time zone.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_decider.h"
#include "policy_time.h"

static long long numbered_min_span_days(const struct item_recurrence *rec)
{
    long long n = rec->number_of_occurrences - 1;
    long long iv = rec->interval >= 1 ? rec->interval : 1;
    if (n <= 0)
        return 0;
    if (n > 100000)
        n = 100000;
    switch (rec->pattern) {
    case REC_DAILY:
        return n * iv;
    case REC_WEEKLY: {
        /* The Nth occurrence falls in week period (N-1)/k, which starts that many periods
         * after the first; the first occurrence lies at most 6 days into its period. */
        long long k = 0;
        for (unsigned bits = rec->days_of_week & 0x7fu; bits; bits &= bits - 1)
            k++;
        if (k == 0)
            k = 1;
        long long span = (n / k) * 7 * iv - 6;
        return span > 0 ? span : 0;
    }
    case REC_ABSOLUTE_MONTHLY:
    case REC_RELATIVE_MONTHLY:
        return n * iv * 28;
    case REC_ABSOLUTE_YEARLY:
    case REC_RELATIVE_YEARLY:
        return n * 365;
    }
    return 0;
}

static enum horizon series_horizon(const struct decider *d)
{
    const struct policy_context *ctx = d->ctx;
    const struct item_recurrence *rec = d->req->recurrence;
    time_t latest = 0;
    for (size_t i = 0; i < ctx->n_occurrences; i++)
        if (ctx->occurrences[i].start > latest)
            latest = ctx->occurrences[i].start;
    if (latest >= d->window_end)
        return HORIZON_PAST;
    if (rec != NULL) {
        switch (rec->range) {
        case REC_RANGE_NO_END:
            return HORIZON_PAST;
        case REC_RANGE_END_DATE:
            /* The end date is a date, compared with the last date of the window. */
            if (strlen(rec->end_date) == 10)
                return strcmp(rec->end_date, d->last_date) > 0 ? HORIZON_PAST : HORIZON_INSIDE;
            break;
        case REC_RANGE_NUMBERED: {
            if (rec->number_of_occurrences <= 0)
                break;
            size_t want = (size_t)rec->number_of_occurrences;
            size_t seen = ctx->n_occurrences + d->req->n_deleted_occurrences;
            if (ctx->series_end_known || seen >= want)
                return HORIZON_INSIDE; /* every occurrence was listed, none after the window */
            if (ctx->n_occurrences >= 2)
                return HORIZON_PAST; /* listed are those inside the window; the rest is not */
            long long span = numbered_min_span_days(rec);
            if ((long long)d->req->start + span * 86400 >= (long long)d->window_end)
                return HORIZON_PAST;
            return HORIZON_UNKNOWN;
        }
        }
    }
    if (ctx->series_end_known) {
        if (ctx->series_end == 0 || ctx->series_end > d->window_end)
            return HORIZON_PAST;
        return HORIZON_INSIDE;
    }
    return HORIZON_UNKNOWN;
}

/* ---- WHEN: the policy checks ------------------------------------------------------------ */

/* "from 10:00 to 11:00 on 2026-12-03", or with both dates when the span crosses midnight. */
static void span_text(time_t start, time_t end, char *buf, size_t len)
{
    char sd[11], sh[6], ed[11], eh[6];
    policy_time_format_date(start, sd);
    policy_time_format_hm(start, sh);
    policy_time_format_hm(end, eh);
    struct policy_local ls, le;
    policy_time_local(start, &ls);
    policy_time_local(end > start ? end - 1 : start, &le);
    if (le.day_number == ls.day_number) {
        if (end > start && strcmp(eh, "00:00") == 0)
            snprintf(eh, sizeof(eh), "24:00");
        snprintf(buf, len, "from %s to %s on %s", sh, eh, sd);
    } else {
        policy_time_format_date(end, ed);
        snprintf(buf, len, "from %s %s to %s %s", sd, sh, ed, eh);
    }
}

/* "2026-12-10, 2026-12-17" (at most MAX_NAMED dates, then "and N more"); caller frees. */
static char *dates_text(const time_t *starts, size_t n)
{
    char *text = NULL;
    for (size_t i = 0; i < n && i < MAX_NAMED; i++) {
        char date[11];
        policy_time_format_date(starts[i], date);
        append(&text, ", ", date);
    }
    if (n > MAX_NAMED) {
        char more[48];
        snprintf(more, sizeof(more), "and %zu more", n - MAX_NAMED);
        append(&text, ", ", more);
    }
    return text ? text : xstrdup("");
}

bool decider_check_window(struct decider *d)
{
    unsigned days = d->pol->booking_window_days;
    time_t now = d->ctx->now;
    if (!d->recurring || d->ctx->n_occurrences == 0) {
        time_t s = d->req->start;
        const char *what = d->recurring ? "series" : "meeting";
        if (s < now) {
            decider_add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                              "the %s starts in the past", what);
            return false;
        }
        if (s >= d->window_end) {
            decider_add_check(
                d, "booking_window", POLICY_CHECK_FAIL, true,
                "the %s starts after the %u-day booking window (bookings are possible "
                "up to %s)",
                what, days, d->last_date);
            return false;
        }
        decider_add_check(d, "booking_window", POLICY_CHECK_PASS, false,
                          "within the %u-day booking window", days);
        return true;
    }
    if (d->occ_fallback) {
        if (d->n_after == 0)
            decider_add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                              "every occurrence of the series is in the past");
        else if (d->n_past == 0)
            decider_add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                              "the series starts after the %u-day booking window (bookings are "
                              "possible up to %s)",
                              days, d->last_date);
        else
            decider_add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                              "no occurrence of the series lies within the %u-day booking window",
                              days);
        return false;
    }
    if (d->n_past > 0)
        decider_add_check(
            d, "booking_window", POLICY_CHECK_PASS, false,
            "%zu %s within the %u-day booking window (%zu already begun %s not checked)", d->n_occ,
            plural(d->n_occ, "occurrence", "occurrences"), days, d->n_past,
            plural(d->n_past, "is", "are"));
    else
        decider_add_check(d, "booking_window", POLICY_CHECK_PASS, false,
                          "%zu %s within the %u-day booking window", d->n_occ,
                          plural(d->n_occ, "occurrence", "occurrences"), days);
    return true;
}

bool decider_check_horizon(struct decider *d)
{
    unsigned days = d->pol->booking_window_days;
    switch (series_horizon(d)) {
    case HORIZON_PAST:
        if (d->pol->enforce_scheduling_horizon) {
            decider_add_check(d, "scheduling_horizon", POLICY_CHECK_FAIL, true,
                              "this series runs past the %u-day booking window (bookings are "
                              "possible up to %s)",
                              days, d->last_date);
            return false;
        }
        decider_add_check(
            d, "scheduling_horizon", POLICY_CHECK_INFO, false,
            "this series runs past the %u-day booking window; only its occurrences up "
            "to %s are checked",
            days, d->last_date);
        return true;
    case HORIZON_INSIDE:
        decider_add_check(d, "scheduling_horizon", POLICY_CHECK_PASS, false,
                          "the series ends within the %u-day booking window", days);
        return true;
    case HORIZON_UNKNOWN:
        decider_add_check(
            d, "scheduling_horizon", POLICY_CHECK_INFO, false,
            "the end of the series is not known; its occurrences up to %s are checked",
            d->last_date);
        return true;
    }
    return true;
}

bool decider_check_recurrence(struct decider *d)
{
    if (!d->recurring) {
        decider_add_check(d, "recurrence", POLICY_CHECK_PASS, false, "a single meeting");
        return true;
    }
    if (!d->pol->allow_recurring_meetings) {
        decider_add_check(d, "recurrence", POLICY_CHECK_FAIL, true,
                          "recurring meetings are not allowed");
        return false;
    }
    decider_add_check(d, "recurrence", POLICY_CHECK_PASS, false, "recurring meetings are allowed");
    return true;
}

bool decider_check_duration(struct decider *d)
{
    long long longest = 0, shortest = LLONG_MAX;
    for (size_t i = 0; i < d->n_occ; i++) {
        long long len = (long long)d->occ[i].end - (long long)d->occ[i].start;
        if (len < 0)
            len = 0;
        longest = len > longest ? len : longest;
        shortest = len < shortest ? len : shortest;
    }
    unsigned max = d->pol->max_duration_minutes, min = d->pol->min_duration_minutes;
    bool ok = true;
    if (max > 0 && longest > (long long)max * 60) {
        decider_add_check(d, "duration", POLICY_CHECK_FAIL, true,
                          "bookings may be at most %u minutes (this meeting lasts %lld minutes)",
                          max, (longest + 59) / 60);
        ok = false;
    }
    if (min > 0 && shortest < (long long)min * 60) {
        decider_add_check(
            d, "duration", POLICY_CHECK_FAIL, true,
            "bookings must last at least %u minutes (this meeting lasts %lld minutes)", min,
            shortest / 60);
        ok = false;
    }
    if (!ok)
        return false;
    if (max > 0 && min > 0)
        decider_add_check(d, "duration", POLICY_CHECK_PASS, false,
                          "the meeting lasts %lld minutes (bookings may last %u to %u minutes)",
                          longest / 60, min, max);
    else if (max > 0)
        decider_add_check(d, "duration", POLICY_CHECK_PASS, false,
                          "the meeting lasts %lld minutes (bookings may be at most %u minutes)",
                          longest / 60, max);
    else if (min > 0)
        decider_add_check(d, "duration", POLICY_CHECK_PASS, false,
                          "the meeting lasts %lld minutes (bookings must last at least %u minutes)",
                          longest / 60, min);
    else
        decider_add_check(d, "duration", POLICY_CHECK_PASS, false,
                          "the meeting lasts %lld minutes (no duration limit)", longest / 60);
    return true;
}

bool decider_check_work_hours(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    if (!pol->schedule_only_during_work_hours)
        return true;
    char days[64], hours[16];
    policy_time_format_days(pol->work_days, days, sizeof(days));
    policy_time_format_hours(pol->work_start_min, pol->work_end_min, hours, sizeof(hours));
    time_t *outside = xcalloc(d->n_occ ? d->n_occ : 1, sizeof(*outside));
    size_t n_outside = 0, first = 0;
    for (size_t i = 0; i < d->n_occ; i++) {
        if (policy_time_within(d->occ[i].start, d->occ[i].end, pol->work_days, pol->work_start_min,
                               pol->work_end_min))
            continue;
        if (n_outside == 0)
            first = i;
        outside[n_outside++] = d->occ[i].start;
    }
    bool ok = n_outside == 0;
    if (ok) {
        decider_add_check(d, "work_hours", POLICY_CHECK_PASS, false,
                          "within the working hours %s %s (%s)", days, hours, zone_label(d));
    } else if (n_outside == 1) {
        char span[64];
        span_text(d->occ[first].start, d->occ[first].end, span, sizeof(span));
        size_t i = decider_add_check(d, "work_hours", POLICY_CHECK_FAIL, true,
                                     "the %s %s is outside the working hours %s %s (%s)",
                                     d->recurring ? "occurrence" : "meeting", span, days, hours,
                                     zone_label(d));
        if (d->person)
            decider_set_text(d, i, "The time %s is outside my working hours, %s %s (%s).", span,
                             days, hours, zone_label(d));
    } else {
        char *dates = dates_text(outside, n_outside);
        decider_add_check(d, "work_hours", POLICY_CHECK_FAIL, true,
                          "%zu occurrences are outside the working hours %s %s (%s): %s", n_outside,
                          days, hours, zone_label(d), dates);
        free(dates);
    }
    free(outside);
    return ok;
}

bool decider_check_capacity(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    if (!pol->enforce_capacity)
        return true;
    size_t n = count_attendees(d->req);
    if (pol->capacity == 0) {
        decider_add_check(d, "capacity", POLICY_CHECK_INFO, false,
                          "the capacity is not known (capacity = 0); %zu attendees not checked", n);
        return true;
    }
    if (n > pol->capacity) {
        decider_add_check(d, "capacity", POLICY_CHECK_FAIL, true,
                          "the room holds at most %u people and the meeting has %zu attendees",
                          pol->capacity, n);
        return false;
    }
    decider_add_check(d, "capacity", POLICY_CHECK_PASS, false,
                      "%zu attendees, within the capacity of %u", n, pol->capacity);
    return true;
}

/* True when calendar item C takes the room away: not the request itself (same UID: its own
 * earlier booking or tentative copy, so an update is judged afresh), not free, not
 * cancelled, and answered. A request the room has not answered (MyResponseType
 * NoResponseReceived: the server's tentative copy of a request still waiting in the Inbox,
 * or one left alone - external, ignored by a rule, held without
 * tentative_pending_approval) is not a booking: counting it would decline the earlier of two
 * requests for one slot because of the later one, and let anybody hold a room by sending a
 * request it never answers. */
static bool is_booking(const struct decider *d, const struct item *c)
{
    if (c == NULL || c->is_cancelled || c->legacy_free_busy == FB_FREE || c->end <= c->start)
        return false;
    if (c->my_response == RESPONSE_NO_RESPONSE_RECEIVED)
        return false;
    if (d->req->uid && c->uid && strcmp(d->req->uid, c->uid) == 0)
        return false;
    return true;
}

static bool overlaps(const struct item *c, time_t start, time_t end)
{
    if (end <= start) /* a zero-length meeting still needs the room at its start */
        return c->start <= start && c->end > start;
    return c->start < end && c->end > start;
}

/* Adds the check saying that C holds the room. */
static size_t add_booked(struct decider *d, enum policy_outcome outcome, bool tell,
                         const struct item *c)
{
    char span[64];
    span_text(c->start, c->end, span, sizeof(span));
    const char *by = d->pol->organizer_info ? display_of(&c->organizer) : NULL;
    if (d->person) {
        /* Whose meeting it is stays in the record: a person's calendar is private. */
        size_t i = decider_add_check(d, "conflict", outcome, tell, "the calendar is taken %s%s%s",
                                     span, by ? " by " : "", by ? by : "");
        decider_set_text(d, i, "I have another meeting %s.", span);
        return i;
    }
    if (by)
        return decider_add_check(d, "conflict", outcome, tell,
                                 "the room is already booked %s by %s", span, by);
    return decider_add_check(d, "conflict", outcome, tell, "the room is already booked %s", span);
}

static bool check_conflicts_single(struct decider *d)
{
    const struct policy_context *ctx = d->ctx;
    const struct policy_occurrence *o = &d->occ[0];
    size_t n = 0;
    for (size_t i = 0; i < ctx->n_calendar; i++) {
        const struct item *c = ctx->calendar[i];
        if (!is_booking(d, c) || !overlaps(c, o->start, o->end))
            continue;
        if (n++ < MAX_NAMED)
            add_booked(d, POLICY_CHECK_FAIL, true, c);
    }
    if (n == 0) {
        decider_add_check(d, "conflicts", POLICY_CHECK_PASS, false,
                          "no conflict with existing bookings");
        return true;
    }
    if (n > MAX_NAMED)
        decider_add_check(d, "conflict", POLICY_CHECK_FAIL, true,
                          "and %zu more bookings in that time", n - MAX_NAMED);
    return false;
}

/* Says which occurrences were checked when meetingd took them from the recurrence (the
 * server listed none): the first and last, and the dates. */
static void name_expanded_occurrences(struct decider *d)
{
    if (!d->ctx->occurrences_from_recurrence || d->n_occ == 0)
        return;
    time_t *starts = xcalloc(d->n_occ, sizeof(*starts));
    for (size_t i = 0; i < d->n_occ; i++)
        starts[i] = d->occ[i].start;
    char *dates = dates_text(starts, d->n_occ);
    char first[64];
    span_text(d->occ[0].start, d->occ[0].end, first, sizeof(first));
    decider_add_check(d, "occurrences", POLICY_CHECK_INFO, false,
                      "checked %zu occurrence%s of the series, taken from its recurrence (the "
                      "first %s): %s",
                      d->n_occ, d->n_occ == 1 ? "" : "s", first, dates);
    free(dates);
    free(starts);
}

static bool check_conflicts_series(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    const struct policy_context *ctx = d->ctx;
    name_expanded_occurrences(d);
    const struct item **first = xcalloc(d->n_occ, sizeof(*first));
    time_t *starts = xcalloc(d->n_occ, sizeof(*starts));
    size_t n = 0;
    for (size_t i = 0; i < d->n_occ; i++) {
        for (size_t j = 0; j < ctx->n_calendar; j++) {
            const struct item *c = ctx->calendar[j];
            if (is_booking(d, c) && overlaps(c, d->occ[i].start, d->occ[i].end)) {
                first[n] = c;
                starts[n++] = d->occ[i].start;
                break;
            }
        }
    }
    if (n == 0) {
        if (d->n_occ == 1)
            decider_add_check(d, "conflicts", POLICY_CHECK_PASS, false,
                              "the occurrence does not conflict with existing bookings");
        else
            decider_add_check(d, "conflicts", POLICY_CHECK_PASS, false,
                              "none of the %zu occurrences conflicts with existing bookings",
                              d->n_occ);
        free(first);
        free(starts);
        return true;
    }
    /* Exchange declines the series when the conflicts are more than either limit allows;
     * at the limit it still accepts. Integer arithmetic: n / total > pct / 100. */
    unsigned pct = pol->conflict_percentage_allowed, inst = pol->max_conflict_instances;
    bool within = n <= inst && (unsigned long long)n * 100 <= (unsigned long long)pct * d->n_occ;
    unsigned share = (unsigned)((n * 100 + d->n_occ / 2) / d->n_occ);
    if (!within) {
        size_t first_check = d->out->n_checks;
        if (pct == 0 || inst == 0)
            decider_add_check(
                d, "conflicts", POLICY_CHECK_FAIL, true,
                "%zu of %zu occurrences conflict with existing bookings; no conflicting "
                "occurrences are allowed",
                n, d->n_occ);
        else
            decider_add_check(
                d, "conflicts", POLICY_CHECK_FAIL, true,
                "%zu of %zu occurrences (%u%%) conflict with existing bookings; at most "
                "%u conflicting occurrences and %u%% of the series are allowed",
                n, d->n_occ, share, inst, pct);
        if (d->person)
            decider_set_text(d, first_check, "I have other meetings on %zu of the %zu dates.", n,
                             d->n_occ);
        for (size_t i = 0; i < n && i < MAX_NAMED; i++)
            add_booked(d, POLICY_CHECK_FAIL, true, first[i]);
        if (n > MAX_NAMED)
            decider_add_check(d, "conflict", POLICY_CHECK_FAIL, true,
                              "and %zu more conflicting occurrences", n - MAX_NAMED);
        free(first);
        free(starts);
        return false;
    }
    decider_add_check(
        d, "conflicts", POLICY_CHECK_INFO, false,
        "%zu of %zu occurrences (%u%%) conflict with existing bookings, within the limits "
        "(at most %u and %u%%); they are declined one by one",
        n, d->n_occ, share, inst, pct);
    /* Said in the answer only if the series is accepted (see finish_accept). */
    char *dates = dates_text(starts, n);
    d->tell_on_accept_from =
        decider_add_check(d, "declined_occurrences", POLICY_CHECK_INFO, false,
                          "declined occurrences: %s (the room is already booked)", dates);
    if (d->person)
        decider_set_text(d, d->tell_on_accept_from,
                         "I can't attend on %s: I have another meeting then.", dates);
    free(dates);
    for (size_t i = 0; i < n && i < MAX_NAMED; i++)
        add_booked(d, POLICY_CHECK_INFO, false, first[i]);
    d->tell_on_accept_to = d->out->n_checks;
    d->conflict_starts = starts;
    d->n_conflict_starts = n;
    free(first);
    return true;
}

bool decider_check_conflicts(struct decider *d)
{
    if (d->pol->allow_conflicts) {
        decider_add_check(d, "conflicts", POLICY_CHECK_INFO, false, "conflicts are allowed");
        return true;
    }
    return d->recurring ? check_conflicts_series(d) : check_conflicts_single(d);
}
