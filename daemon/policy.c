/*
 * policy: decisions on meeting requests (see policy.h).
 *
 * automate = auto_accept decides in two stages, as Exchange's resource booking attendant:
 *   WHO   external organizers are not processed (unless process_external_meeting_messages);
 *         then the policy's rules in order (the first that matches decides: decline, ignore,
 *         or book / request subject to the WHEN stage); without a matching rule the
 *         book_in_policy / request_in_policy / request_out_of_policy lists (and their all_*
 *         switches) decide; the resource's delegates may always book.
 *   WHEN  whether the request is in policy: booking window, scheduling horizon, recurrence,
 *         duration, work hours, capacity; and whether it conflicts with existing bookings.
 * In policy, an organizer who may book is accepted; one who may only request is held for a
 * delegate's approval. Out of policy, only request_out_of_policy organizers are held for
 * approval; everyone else is declined with the reasons. Conflicts are never held for
 * approval: a conflicting request is declined whoever sent it, except that a series within
 * conflict_percentage_allowed and max_conflict_instances is accepted and its conflicting
 * occurrences are declined one by one.
 *
 * All local times are in the policy's time zone: the whole decision runs inside one
 * policy_time_enter() / policy_time_leave() scope (see policy_time.h for why).
 */
#include "policy.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_time.h"
#include "util.h"

/* Conflicts and dates named one by one in a reason; the rest are counted. */
#define MAX_NAMED 10

/* What the WHO stage allows the organizer. */
enum who {
    WHO_BOOK,    /* accept when in policy */
    WHO_REQUEST, /* hold for a delegate's approval when in policy */
};

/* Where the series ends relative to the booking window. */
enum horizon {
    HORIZON_INSIDE,
    HORIZON_PAST,
    HORIZON_UNKNOWN,
};

/* One decision in the making. */
struct decider {
    const struct conf_policy *pol;
    const struct item *req;
    const struct policy_context *ctx;
    struct policy_result *out;
    bool *tell; /* parallel to out->checks: the reason goes into the answer */

    const char *addr;  /* organizer's address, NULL when unknown (borrowed) */
    const char *label; /* how reasons name the organizer (borrowed) */
    bool recurring;
    bool external;
    time_t window_end; /* first moment after the booking window */
    char last_date[11];
    struct policy_occurrence *occ; /* the occurrences the WHEN stage checks (owned) */
    size_t n_occ;
    size_t n_past, n_after; /* occurrences left out: already begun / after the window */
    bool occ_fallback;      /* no occurrence of the series was left: occ[0] stands in */
    const struct conf_rule *rule;

    /* A series accepted with conflicting occurrences: what to decline and say. */
    time_t *conflict_starts;
    size_t n_conflict_starts;
    size_t tell_on_accept_from, tell_on_accept_to; /* check indices [from, to) */
};

/* ---- results ---------------------------------------------------------------------------- */

const char *policy_decision_name(enum policy_decision decision)
{
    switch (decision) {
    case POLICY_ACCEPT:
        return "accept";
    case POLICY_TENTATIVE:
        return "tentative";
    case POLICY_DECLINE:
        return "decline";
    case POLICY_IGNORE:
        return "ignore";
    }
    return "?";
}

static size_t add_check(struct decider *d, const char *name, enum policy_outcome outcome, bool tell,
                        const char *fmt, ...) UTIL_PRINTF(5, 6);

/* Records a check; TELL: its reason is also said in the answer (when details are on).
 * Returns the check's index. */
static size_t add_check(struct decider *d, const char *name, enum policy_outcome outcome, bool tell,
                        const char *fmt, ...)
{
    struct policy_result *r = d->out;
    r->checks = xreallocarray(r->checks, r->n_checks + 1, sizeof(*r->checks));
    d->tell = xreallocarray(d->tell, r->n_checks + 1, sizeof(*d->tell));
    struct policy_check *c = &r->checks[r->n_checks];
    c->name = xstrdup(name);
    c->outcome = outcome;
    va_list ap;
    va_start(ap, fmt);
    c->reason = xvasprintf(fmt, ap);
    va_end(ap);
    d->tell[r->n_checks] = tell;
    return r->n_checks++;
}

void policy_result_clear(struct policy_result *r)
{
    for (size_t i = 0; i < r->n_checks; i++) {
        free(r->checks[i].name);
        free(r->checks[i].reason);
    }
    free(r->checks);
    free(r->response_text);
    free(r->declined_occurrences);
    free(r->rewrite.subject);
    memset(r, 0, sizeof(*r));
}

char *policy_result_reasons(const struct policy_result *r)
{
    char *joined = NULL;
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct policy_check *c = &r->checks[i];
        if (c->outcome != POLICY_CHECK_FAIL)
            continue;
        char *next = joined ? xasprintf("%s; %s", joined, c->reason) : xstrdup(c->reason);
        free(joined);
        joined = next;
    }
    return joined;
}

bool policy_needs_calendar(const struct conf_policy *policy)
{
    /* Conflicts need the calendar, and the request's own occurrences (duration, work hours
     * and horizon of a series) come from the same CalendarView, so auto_accept always
     * needs it; the other modes decide without looking. */
    return policy->automate == CONF_AUTOMATE_AUTO_ACCEPT;
}

time_t policy_booking_window_end(const struct conf_policy *policy, time_t now)
{
    struct policy_time_scope scope;
    policy_time_enter(&scope, policy->time_zone);
    time_t end = policy_time_day_end(now, policy->booking_window_days);
    policy_time_leave(&scope);
    return end;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static bool nonempty(const char *s)
{
    return s != NULL && *s != '\0';
}

/* Appends S to a growing text, with SEP between parts. */
static void append(char **text, const char *sep, const char *s)
{
    char *next = *text ? xasprintf("%s%s%s", *text, sep, s) : xstrdup(s);
    free(*text);
    *text = next;
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static size_t count_attendees(const struct item *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_attendees; i++)
        if (req->attendees[i].role != ROLE_RESOURCE)
            n++;
    return n;
}

/* The mailbox that organizes the request: Organizer, else From, else Sender - the first
 * that carries an address (FindItem leaves addresses out; GetItem has them). */
static const struct item_mailbox *organizer_of(const struct item *req)
{
    if (nonempty(req->organizer.address))
        return &req->organizer;
    if (nonempty(req->from.address))
        return &req->from;
    if (nonempty(req->sender.address))
        return &req->sender;
    return &req->organizer;
}

/* How an answer names a calendar item's organizer: the name, else the address. */
static const char *display_of(const struct item_mailbox *mb)
{
    if (nonempty(mb->name))
        return mb->name;
    if (nonempty(mb->address))
        return mb->address;
    return NULL;
}

static const char *domain_of(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

/* True when ADDR is outside the internal domains. An unknown address cannot be shown to be
 * internal. An address without '@' that starts with '/' is an Exchange legacy DN (routing
 * type EX): only the organization's own users have one. */
static bool is_external(const struct decider *d)
{
    if (d->addr == NULL)
        return true;
    const char *domain = domain_of(d->addr);
    if (domain == NULL)
        return d->addr[0] != '/';
    if (d->pol->internal_domains.n > 0)
        return !strlist_contains_ci(&d->pol->internal_domains, domain);
    const char *own = domain_of(d->ctx->mailbox_address);
    if (own == NULL)
        return false; /* nothing to compare with: everyone counts as internal */
    return util_str_casecmp_ascii(domain, own) != 0;
}

static char *internal_domains_text(const struct decider *d)
{
    if (d->pol->internal_domains.n == 0) {
        const char *own = domain_of(d->ctx->mailbox_address);
        return xstrdup(own ? own : "none");
    }
    char *text = NULL;
    for (size_t i = 0; i < d->pol->internal_domains.n; i++)
        append(&text, ", ", d->pol->internal_domains.v[i]);
    return text;
}

static bool list_matches(const struct strlist *patterns, const char *addr)
{
    if (addr == NULL)
        return false;
    for (size_t i = 0; i < patterns->n; i++)
        if (util_addr_matches(patterns->v[i], addr))
            return true;
    return false;
}

static const char *zone_label(const struct decider *d)
{
    return d->pol->time_zone ? d->pol->time_zone : "the host's time zone";
}

/* ---- occurrences and the booking window ------------------------------------------------- */

static void add_occurrence(struct decider *d, time_t start, time_t end)
{
    d->occ = xreallocarray(d->occ, d->n_occ + 1, sizeof(*d->occ));
    d->occ[d->n_occ++] = (struct policy_occurrence){start, end};
}

/*
 * The occurrences the WHEN stage checks. A single meeting is the request's own start and
 * end (newer than any calendar copy of an update). For a series, the occurrences the mailbox
 * found, without those already begun and those after the booking window; if none is left,
 * the first occurrence stands in, so that duration and work hours are still judged.
 */
static void collect_occurrences(struct decider *d)
{
    const struct policy_context *ctx = d->ctx;
    if (!d->recurring || ctx->occurrences == NULL || ctx->n_occurrences == 0) {
        add_occurrence(d, d->req->start, d->req->end);
        return;
    }
    for (size_t i = 0; i < ctx->n_occurrences; i++) {
        const struct policy_occurrence *o = &ctx->occurrences[i];
        if (o->start < ctx->now)
            d->n_past++;
        else if (o->start >= d->window_end)
            d->n_after++;
        else
            add_occurrence(d, o->start, o->end);
    }
    if (d->n_occ == 0) {
        d->occ_fallback = true;
        add_occurrence(d, ctx->occurrences[0].start, ctx->occurrences[0].end);
    }
}

/* A lower bound, in days, of the time between the first and the last occurrence of a
 * numbered series: enough to tell that a long series cannot fit the window even when its
 * occurrences were not listed. */
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

/* ---- WHO: the rules --------------------------------------------------------------------- */

static bool rule_matches(const struct decider *d, const struct conf_rule *r)
{
    const struct item *req = d->req;
    if (r->organizer.n > 0 && !list_matches(&r->organizer, d->addr))
        return false;
    if (!conf_rule_subject_matches(r, req->subject))
        return false;
    time_t duration = req->end - req->start;
    if (r->has_min_duration && duration < (time_t)r->min_duration_s)
        return false;
    if (r->has_max_duration && duration > (time_t)r->max_duration_s)
        return false;
    for (size_t i = 0; i < d->n_occ; i++) {
        struct policy_local l;
        policy_time_local(d->occ[i].start, &l);
        if (r->has_days && (r->days & CONF_DAY(l.wday)) == 0)
            return false;
        if (r->has_hours && !policy_time_within(d->occ[i].start, d->occ[i].end, CONF_DAYS_ALL,
                                                r->hours_start_min, r->hours_end_min))
            return false;
    }
    if (r->recurring == CONF_COND_YES && !d->recurring)
        return false;
    if (r->recurring == CONF_COND_NO && d->recurring)
        return false;
    size_t attendees = count_attendees(req);
    if (r->has_min_attendees && attendees < r->min_attendees)
        return false;
    if (r->has_max_attendees && attendees > r->max_attendees)
        return false;
    if (r->external == CONF_COND_YES && !d->external)
        return false;
    if (r->external == CONF_COND_NO && d->external)
        return false;
    return true;
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

static bool check_window(struct decider *d)
{
    unsigned days = d->pol->booking_window_days;
    time_t now = d->ctx->now;
    if (!d->recurring || d->ctx->n_occurrences == 0) {
        time_t s = d->req->start;
        const char *what = d->recurring ? "series" : "meeting";
        if (s < now) {
            add_check(d, "booking_window", POLICY_CHECK_FAIL, true, "the %s starts in the past",
                      what);
            return false;
        }
        if (s >= d->window_end) {
            add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                      "the %s starts after the %u-day booking window (bookings are possible "
                      "up to %s)",
                      what, days, d->last_date);
            return false;
        }
        add_check(d, "booking_window", POLICY_CHECK_PASS, false, "within the %u-day booking window",
                  days);
        return true;
    }
    if (d->occ_fallback) {
        if (d->n_after == 0)
            add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                      "every occurrence of the series is in the past");
        else if (d->n_past == 0)
            add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                      "the series starts after the %u-day booking window (bookings are "
                      "possible up to %s)",
                      days, d->last_date);
        else
            add_check(d, "booking_window", POLICY_CHECK_FAIL, true,
                      "no occurrence of the series lies within the %u-day booking window", days);
        return false;
    }
    if (d->n_past > 0)
        add_check(d, "booking_window", POLICY_CHECK_PASS, false,
                  "%zu %s within the %u-day booking window (%zu already begun %s not checked)",
                  d->n_occ, plural(d->n_occ, "occurrence", "occurrences"), days, d->n_past,
                  plural(d->n_past, "is", "are"));
    else
        add_check(d, "booking_window", POLICY_CHECK_PASS, false,
                  "%zu %s within the %u-day booking window", d->n_occ,
                  plural(d->n_occ, "occurrence", "occurrences"), days);
    return true;
}

static bool check_horizon(struct decider *d)
{
    unsigned days = d->pol->booking_window_days;
    switch (series_horizon(d)) {
    case HORIZON_PAST:
        if (d->pol->enforce_scheduling_horizon) {
            add_check(d, "scheduling_horizon", POLICY_CHECK_FAIL, true,
                      "this series runs past the %u-day booking window (bookings are "
                      "possible up to %s)",
                      days, d->last_date);
            return false;
        }
        add_check(d, "scheduling_horizon", POLICY_CHECK_INFO, false,
                  "this series runs past the %u-day booking window; only its occurrences up "
                  "to %s are checked",
                  days, d->last_date);
        return true;
    case HORIZON_INSIDE:
        add_check(d, "scheduling_horizon", POLICY_CHECK_PASS, false,
                  "the series ends within the %u-day booking window", days);
        return true;
    case HORIZON_UNKNOWN:
        add_check(d, "scheduling_horizon", POLICY_CHECK_INFO, false,
                  "the end of the series is not known; its occurrences up to %s are checked",
                  d->last_date);
        return true;
    }
    return true;
}

static bool check_recurrence(struct decider *d)
{
    if (!d->recurring) {
        add_check(d, "recurrence", POLICY_CHECK_PASS, false, "a single meeting");
        return true;
    }
    if (!d->pol->allow_recurring_meetings) {
        add_check(d, "recurrence", POLICY_CHECK_FAIL, true, "recurring meetings are not allowed");
        return false;
    }
    add_check(d, "recurrence", POLICY_CHECK_PASS, false, "recurring meetings are allowed");
    return true;
}

static bool check_duration(struct decider *d)
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
        add_check(d, "duration", POLICY_CHECK_FAIL, true,
                  "bookings may be at most %u minutes (this meeting lasts %lld minutes)", max,
                  (longest + 59) / 60);
        ok = false;
    }
    if (min > 0 && shortest < (long long)min * 60) {
        add_check(d, "duration", POLICY_CHECK_FAIL, true,
                  "bookings must last at least %u minutes (this meeting lasts %lld minutes)", min,
                  shortest / 60);
        ok = false;
    }
    if (!ok)
        return false;
    if (max > 0 && min > 0)
        add_check(d, "duration", POLICY_CHECK_PASS, false,
                  "the meeting lasts %lld minutes (bookings may last %u to %u minutes)",
                  longest / 60, min, max);
    else if (max > 0)
        add_check(d, "duration", POLICY_CHECK_PASS, false,
                  "the meeting lasts %lld minutes (bookings may be at most %u minutes)",
                  longest / 60, max);
    else if (min > 0)
        add_check(d, "duration", POLICY_CHECK_PASS, false,
                  "the meeting lasts %lld minutes (bookings must last at least %u minutes)",
                  longest / 60, min);
    else
        add_check(d, "duration", POLICY_CHECK_PASS, false,
                  "the meeting lasts %lld minutes (no duration limit)", longest / 60);
    return true;
}

static bool check_work_hours(struct decider *d)
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
        add_check(d, "work_hours", POLICY_CHECK_PASS, false, "within the working hours %s %s (%s)",
                  days, hours, zone_label(d));
    } else if (n_outside == 1) {
        char span[64];
        span_text(d->occ[first].start, d->occ[first].end, span, sizeof(span));
        add_check(d, "work_hours", POLICY_CHECK_FAIL, true,
                  "the %s %s is outside the working hours %s %s (%s)",
                  d->recurring ? "occurrence" : "meeting", span, days, hours, zone_label(d));
    } else {
        char *dates = dates_text(outside, n_outside);
        add_check(d, "work_hours", POLICY_CHECK_FAIL, true,
                  "%zu occurrences are outside the working hours %s %s (%s): %s", n_outside, days,
                  hours, zone_label(d), dates);
        free(dates);
    }
    free(outside);
    return ok;
}

static bool check_capacity(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    if (!pol->enforce_capacity)
        return true;
    size_t n = count_attendees(d->req);
    if (pol->capacity == 0) {
        add_check(d, "capacity", POLICY_CHECK_INFO, false,
                  "the capacity is not known (capacity = 0); %zu attendees not checked", n);
        return true;
    }
    if (n > pol->capacity) {
        add_check(d, "capacity", POLICY_CHECK_FAIL, true,
                  "the room holds at most %u people and the meeting has %zu attendees",
                  pol->capacity, n);
        return false;
    }
    add_check(d, "capacity", POLICY_CHECK_PASS, false, "%zu attendees, within the capacity of %u",
              n, pol->capacity);
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
    if (by)
        return add_check(d, "conflict", outcome, tell, "the room is already booked %s by %s", span,
                         by);
    return add_check(d, "conflict", outcome, tell, "the room is already booked %s", span);
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
        add_check(d, "conflicts", POLICY_CHECK_PASS, false, "no conflict with existing bookings");
        return true;
    }
    if (n > MAX_NAMED)
        add_check(d, "conflict", POLICY_CHECK_FAIL, true, "and %zu more bookings in that time",
                  n - MAX_NAMED);
    return false;
}

static bool check_conflicts_series(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    const struct policy_context *ctx = d->ctx;
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
            add_check(d, "conflicts", POLICY_CHECK_PASS, false,
                      "the occurrence does not conflict with existing bookings");
        else
            add_check(d, "conflicts", POLICY_CHECK_PASS, false,
                      "none of the %zu occurrences conflicts with existing bookings", d->n_occ);
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
        if (pct == 0 || inst == 0)
            add_check(d, "conflicts", POLICY_CHECK_FAIL, true,
                      "%zu of %zu occurrences conflict with existing bookings; no conflicting "
                      "occurrences are allowed",
                      n, d->n_occ);
        else
            add_check(d, "conflicts", POLICY_CHECK_FAIL, true,
                      "%zu of %zu occurrences (%u%%) conflict with existing bookings; at most "
                      "%u conflicting occurrences and %u%% of the series are allowed",
                      n, d->n_occ, share, inst, pct);
        for (size_t i = 0; i < n && i < MAX_NAMED; i++)
            add_booked(d, POLICY_CHECK_FAIL, true, first[i]);
        if (n > MAX_NAMED)
            add_check(d, "conflict", POLICY_CHECK_FAIL, true,
                      "and %zu more conflicting occurrences", n - MAX_NAMED);
        free(first);
        free(starts);
        return false;
    }
    add_check(d, "conflicts", POLICY_CHECK_INFO, false,
              "%zu of %zu occurrences (%u%%) conflict with existing bookings, within the limits "
              "(at most %u and %u%%); they are declined one by one",
              n, d->n_occ, share, inst, pct);
    /* Said in the answer only if the series is accepted (see finish_accept). */
    char *dates = dates_text(starts, n);
    d->tell_on_accept_from =
        add_check(d, "declined_occurrences", POLICY_CHECK_INFO, false,
                  "declined occurrences: %s (the room is already booked)", dates);
    free(dates);
    for (size_t i = 0; i < n && i < MAX_NAMED; i++)
        add_booked(d, POLICY_CHECK_INFO, false, first[i]);
    d->tell_on_accept_to = d->out->n_checks;
    d->conflict_starts = starts;
    d->n_conflict_starts = n;
    free(first);
    return true;
}

static bool check_conflicts(struct decider *d)
{
    if (d->pol->allow_conflicts) {
        add_check(d, "conflicts", POLICY_CHECK_INFO, false, "conflicts are allowed");
        return true;
    }
    return d->recurring ? check_conflicts_series(d) : check_conflicts_single(d);
}

/* ---- the decision ----------------------------------------------------------------------- */

/* How the resource's calendar item is rewritten after booking. Exchange: AddOrganizerToSubject
 * makes the organizer's name the subject, DeleteSubject removes the subject. Both on: the
 * name alone; only AddOrganizerToSubject: "Name - subject", so that DeleteSubject = no keeps
 * the subject as it says; only DeleteSubject: an empty subject. */
static void set_rewrite(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    const struct item *req = d->req;
    struct policy_rewrite *rw = &d->out->rewrite;
    const char *name = display_of(organizer_of(req));
    char *subject = NULL;
    if (pol->add_organizer_to_subject && name) {
        if (pol->delete_subject || !nonempty(req->subject))
            subject = xstrdup(name);
        else
            subject = xasprintf("%s - %s", name, req->subject);
    } else if (pol->delete_subject) {
        subject = xstrdup("");
    }
    if (subject && strcmp(subject, req->subject ? req->subject : "") == 0) {
        free(subject);
        subject = NULL;
    }
    rw->subject = subject;
    rw->clear_body = pol->delete_comments && nonempty(req->body);
    rw->make_public = pol->remove_private_property && req->sensitivity &&
                      util_str_casecmp_ascii(req->sensitivity, "Private") == 0;
    rw->delete_attachments = pol->delete_attachments && req->has_attachments;
    rw->needed = rw->subject || rw->clear_body || rw->make_public || rw->delete_attachments;
}

static void accept(struct decider *d)
{
    d->out->decision = POLICY_ACCEPT;
    /* Exchange, EnableResponseDetails: "The reasons for accepting or declining a meeting are
     * included in the response message." The checks the request passed are its reasons. */
    for (size_t i = 0; i < d->out->n_checks; i++)
        if (d->out->checks[i].outcome == POLICY_CHECK_PASS)
            d->tell[i] = true;
    if (d->n_conflict_starts > 0) {
        d->out->declined_occurrences = d->conflict_starts;
        d->out->n_declined_occurrences = d->n_conflict_starts;
        d->conflict_starts = NULL;
        d->n_conflict_starts = 0;
        for (size_t i = d->tell_on_accept_from; i < d->tell_on_accept_to; i++)
            d->tell[i] = true;
    }
    set_rewrite(d);
}

/* Held for a delegate's approval. Exchange: TentativePendingApproval marks the request
 * tentative; without it the request waits as free, and the organizer hears only the
 * delegate's decision - nothing to answer now. */
static void hold_for_approval(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    bool have_delegates = pol->resource_delegates.n > 0;
    d->out->forward_to_delegates = pol->forward_requests_to_delegates && have_delegates;
    d->out->decision = pol->tentative_pending_approval ? POLICY_TENTATIVE : POLICY_IGNORE;
    d->out->show_free = !pol->tentative_pending_approval;
    if (d->out->forward_to_delegates)
        add_check(d, "approval", POLICY_CHECK_INFO, true,
                  "the request awaits the approval of the room's delegates and was forwarded to "
                  "them");
    else if (have_delegates)
        add_check(d, "approval", POLICY_CHECK_INFO, true,
                  "the request awaits the approval of the room's delegates");
    else
        add_check(d, "approval", POLICY_CHECK_INFO, true,
                  "the request awaits approval (the room has no delegates to forward it to)");
}

static void decide_auto_accept(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    const struct item *req = d->req;

    if (req->start == 0 || req->end == 0 || req->end < req->start) {
        d->out->decision = POLICY_IGNORE;
        add_check(d, "request", POLICY_CHECK_FAIL, false,
                  "the request has no valid start and end time");
        return;
    }

    /* WHO, first the organization's border. */
    if (d->external) {
        char *internal = internal_domains_text(d);
        if (!pol->process_external_meeting_messages) {
            d->out->decision = POLICY_IGNORE;
            add_check(d, "external", POLICY_CHECK_FAIL, false,
                      "%s is outside the internal domains (%s) and external requests are not "
                      "processed",
                      d->label, internal);
            free(internal);
            return;
        }
        add_check(d, "external", POLICY_CHECK_INFO, false,
                  "%s is outside the internal domains (%s); external requests are processed",
                  d->label, internal);
        free(internal);
    }

    /* WHO: the rules in order, first match decides. */
    bool have_who = false;
    enum who who = WHO_BOOK;
    for (size_t i = 0; i < pol->n_rules; i++) {
        const struct conf_rule *r = pol->rules[i];
        if (!rule_matches(d, r))
            continue;
        d->rule = r;
        d->out->rule = r->name;
        switch (r->action) {
        case CONF_ACTION_DECLINE:
            d->out->decision = POLICY_DECLINE;
            if (nonempty(r->message))
                add_check(d, "rule", POLICY_CHECK_FAIL, false, "rule %s declines the request: %s",
                          r->name, r->message);
            else
                add_check(d, "rule", POLICY_CHECK_FAIL, true,
                          "the request is declined by the room's booking rules (rule %s)", r->name);
            return;
        case CONF_ACTION_IGNORE:
            d->out->decision = POLICY_IGNORE;
            add_check(d, "rule", POLICY_CHECK_INFO, false, "rule %s leaves the request unanswered",
                      r->name);
            return;
        case CONF_ACTION_BOOK:
            add_check(d, "rule", POLICY_CHECK_PASS, false,
                      "rule %s lets %s book the room within the policy", r->name, d->label);
            who = WHO_BOOK;
            break;
        case CONF_ACTION_REQUEST:
            add_check(d, "rule", POLICY_CHECK_INFO, false,
                      "rule %s holds the request for a delegate's approval", r->name);
            who = WHO_REQUEST;
            break;
        }
        have_who = true;
        break;
    }
    if (!have_who && pol->n_rules > 0)
        add_check(d, "rule", POLICY_CHECK_INFO, false, "no rule matches");

    /* WHO: the lists. Request-out-of-policy rights include requesting in policy. */
    bool delegate = d->addr && strlist_contains_ci(&pol->resource_delegates, d->addr);
    bool may_request_out =
        pol->all_request_out_of_policy || list_matches(&pol->request_out_of_policy, d->addr);
    if (!have_who) {
        /* Exchange, BookInPolicy: "In delegate and principal scenarios, if the delegate or
         * principal is specified by the BookInPolicy parameter, in-policy meeting requests to
         * the resource mailbox are automatically approved." A request a delegate sent on the
         * organizer's behalf names the delegate as its Sender. */
        const char *sender = nonempty(req->sender.address) ? req->sender.address : NULL;
        bool may_book =
            delegate || pol->all_book_in_policy || list_matches(&pol->book_in_policy, d->addr);
        bool sender_may_book = sender && d->addr && util_str_casecmp_ascii(sender, d->addr) != 0 &&
                               list_matches(&pol->book_in_policy, sender);
        bool may_request_in =
            pol->all_request_in_policy || list_matches(&pol->request_in_policy, d->addr);
        if (may_book) {
            who = WHO_BOOK;
            add_check(d, "who", POLICY_CHECK_PASS, false, "%s may book the room%s", d->label,
                      delegate ? " (a delegate of the room)" : "");
        } else if (sender_may_book) {
            who = WHO_BOOK;
            add_check(d, "who", POLICY_CHECK_PASS, false,
                      "%s may book the room (through %s, who sent the request on the "
                      "organizer's behalf and may book it)",
                      d->label, sender);
        } else if (may_request_in || may_request_out) {
            who = WHO_REQUEST;
            add_check(d, "who", POLICY_CHECK_INFO, false,
                      "%s may request the room, subject to a delegate's approval", d->label);
        } else {
            d->out->decision = POLICY_DECLINE;
            add_check(d, "who", POLICY_CHECK_FAIL, true, "%s is not allowed to book this room",
                      d->label);
            return;
        }
    }

    /* WHEN: every check runs, so that the answer names every reason at once. */
    bool in_policy = true;
    in_policy &= check_window(d);
    if (d->recurring)
        in_policy &= check_horizon(d);
    in_policy &= check_recurrence(d);
    in_policy &= check_duration(d);
    in_policy &= check_work_hours(d);
    in_policy &= check_capacity(d);
    bool free_room = check_conflicts(d);

    if (!free_room) {
        d->out->decision = POLICY_DECLINE;
        return;
    }
    if (in_policy) {
        if (who == WHO_BOOK)
            accept(d);
        else
            hold_for_approval(d);
        return;
    }
    if (may_request_out || delegate) {
        add_check(d, "who", POLICY_CHECK_INFO, false,
                  "%s may request the room outside the policy, subject to a delegate's approval",
                  d->label);
        hold_for_approval(d);
        return;
    }
    d->out->decision = POLICY_DECLINE;
}

static void decide(struct decider *d)
{
    switch (d->pol->automate) {
    case CONF_AUTOMATE_NONE:
        d->out->decision = POLICY_IGNORE;
        add_check(d, "automate", POLICY_CHECK_INFO, false,
                  "automate = none: requests are left alone");
        return;
    case CONF_AUTOMATE_AUTO_UPDATE:
        d->out->decision = POLICY_IGNORE;
        add_check(d, "automate", POLICY_CHECK_INFO, false,
                  "automate = auto_update: requests stay tentative on the calendar, unanswered");
        return;
    case CONF_AUTOMATE_ACCEPT:
        add_check(d, "automate", POLICY_CHECK_INFO, false,
                  "automate = accept: every request is accepted");
        /* The shorthands are for people's own calendars: their items stay as the organizer
         * wrote them. Rewriting is the resource booking assistant's business (auto_accept). */
        d->out->decision = POLICY_ACCEPT;
        return;
    case CONF_AUTOMATE_TENTATIVE:
        d->out->decision = POLICY_TENTATIVE;
        add_check(d, "automate", POLICY_CHECK_INFO, false,
                  "automate = tentative: every request is accepted tentatively");
        return;
    case CONF_AUTOMATE_DECLINE:
        d->out->decision = POLICY_DECLINE;
        add_check(d, "automate", POLICY_CHECK_FAIL, true,
                  "automate = decline: every request is declined");
        return;
    case CONF_AUTOMATE_AUTO_ACCEPT:
        decide_auto_accept(d);
        return;
    }
}

/* The answer: the reasons (with enable_response_details), the matching rule's message, the
 * additional response and the policy's response_message, as paragraphs. Nothing is sent
 * for an ignored request. */
static void compose_answer(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    struct policy_result *r = d->out;
    if (r->decision == POLICY_IGNORE)
        return;
    char *text = NULL;
    if (pol->enable_response_details) {
        char *details = NULL;
        for (size_t i = 0; i < r->n_checks; i++)
            if (d->tell[i])
                append(&details, "\n", r->checks[i].reason);
        if (details) {
            append(&text, "\n\n", details);
            free(details);
        }
    }
    static const enum policy_decision by_action[] = {
        [CONF_ACTION_BOOK] = POLICY_ACCEPT,
        [CONF_ACTION_REQUEST] = POLICY_TENTATIVE,
        [CONF_ACTION_DECLINE] = POLICY_DECLINE,
        [CONF_ACTION_IGNORE] = POLICY_IGNORE,
    };
    /* The rule's message belongs to the answer the rule asked for. */
    if (d->rule && nonempty(d->rule->message) && by_action[d->rule->action] == r->decision)
        append(&text, "\n\n", d->rule->message);
    if (pol->add_additional_response && nonempty(pol->additional_response))
        append(&text, "\n\n", pol->additional_response);
    if (nonempty(pol->response_message))
        append(&text, "\n\n", pol->response_message);
    r->response_text = text;
}

void policy_decide(const struct conf_policy *policy, const struct item *request,
                   const struct policy_context *ctx, struct policy_result *out)
{
    memset(out, 0, sizeof(*out));
    struct decider d = {.pol = policy, .req = request, .ctx = ctx, .out = out};
    struct policy_time_scope scope;
    policy_time_enter(&scope, policy->time_zone);

    const struct item_mailbox *org = organizer_of(request);
    d.addr = nonempty(org->address) ? org->address : NULL;
    d.label = d.addr ? d.addr : nonempty(org->name) ? org->name : "the organizer";
    d.recurring = request->is_recurring || request->recurrence != NULL;
    d.external = is_external(&d);
    d.window_end = policy_time_day_end(ctx->now, policy->booking_window_days);
    policy_time_format_date(d.window_end - 1, d.last_date);
    collect_occurrences(&d);

    decide(&d);
    compose_answer(&d);

    policy_time_leave(&scope);
    free(d.tell);
    free(d.occ);
    free(d.conflict_starts);
}
