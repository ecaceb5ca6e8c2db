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

#include "policy_decider.h"
#include "policy_time.h"
#include "util.h"

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

size_t decider_add_check(struct decider *d, const char *name, enum policy_outcome outcome,
                         bool tell, const char *fmt, ...)
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
    c->text = NULL;
    va_end(ap);
    d->tell[r->n_checks] = tell;
    return r->n_checks++;
}

void decider_set_text(struct decider *d, size_t idx, const char *fmt, ...)
{
    struct policy_check *c = &d->out->checks[idx];
    free(c->text);
    va_list ap;
    va_start(ap, fmt);
    c->text = xvasprintf(fmt, ap);
    va_end(ap);
}

void policy_result_clear(struct policy_result *r)
{
    for (size_t i = 0; i < r->n_checks; i++) {
        free(r->checks[i].name);
        free(r->checks[i].reason);
        free(r->checks[i].text);
    }
    free(r->checks);
    free(r->response_text);
    free(r->declined_occurrences);
    free(r->rewrite.subject);
    memset(r, 0, sizeof(*r));
}

char *policy_result_reasons_text(const struct policy_result *r)
{
    struct strbuf b = {0};
    if (r == NULL)
        return strbuf_take(&b);
    bool any_failed = false;
    for (size_t i = 0; i < r->n_checks; i++)
        any_failed |= r->checks[i].outcome == POLICY_CHECK_FAIL && r->checks[i].reason != NULL;
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct policy_check *c = &r->checks[i];
        if (c->reason == NULL || (any_failed && c->outcome != POLICY_CHECK_FAIL))
            continue;
        if (b.len > 0)
            strbuf_puts(&b, "; ");
        strbuf_puts(&b, c->reason);
    }
    return strbuf_take(&b);
}

bool policy_needs_calendar(const struct conf_policy *policy)
{
    /* Conflicts need the calendar, and the request's own occurrences (duration, work hours
     * and horizon of a series) come from the same CalendarView, so auto_accept always
     * needs it; the other modes decide without looking. */
    return policy->automate == CONF_AUTOMATE_AUTO_ACCEPT ||
           policy->automate == CONF_AUTOMATE_ACCEPT_IF_FREE;
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

/* Whether ADDR is a member of one of the distribution groups among PATTERNS (every plain
 * address may name one). A group whose members are not known yet makes the decision
 * unsafe: out->groups_unknown tells the caller to decide again once they are. */
static bool in_listed_group(const struct decider *d, const struct strlist *patterns,
                            const char *addr)
{
    if (d->ctx->group_member == NULL)
        return false;
    for (size_t i = 0; i < patterns->n; i++) {
        const char *entry = patterns->v[i];
        if (entry[0] == '@' || strpbrk(entry, "*?") != NULL)
            continue;
        int member = d->ctx->group_member(d->ctx->groups, entry, addr);
        if (member > 0)
            return true;
        if (member < 0)
            d->out->groups_unknown = true;
    }
    return false;
}

static bool list_matches(const struct decider *d, const struct strlist *patterns, const char *addr)
{
    if (addr == NULL)
        return false;
    for (size_t i = 0; i < patterns->n; i++)
        if (util_addr_matches(patterns->v[i], addr))
            return true;
    return in_listed_group(d, patterns, addr);
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
/* ---- WHO: the rules --------------------------------------------------------------------- */

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (util_str_ncasecmp_ascii(hay, needle, n) == 0)
            return true;
    return n == 0;
}

bool policy_subject_matches(const struct conf_text_match *m, const char *subject)
{
    if (m->pattern == NULL)
        return true;
    if (subject == NULL)
        return false;
    if (m->is_regex)
        return regexec(&m->re, subject, 0, NULL, 0) == 0;
    return contains_ci(subject, m->pattern);
}

static bool rule_matches(const struct decider *d, const struct conf_rule *r)
{
    const struct item *req = d->req;
    if (r->organizer.n > 0 && !list_matches(d, &r->organizer, d->addr))
        return false;
    if (!policy_subject_matches(&r->subject, req->subject))
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
     * included in the response message." The checks the request passed are its reasons - a
     * room's; a person who accepts just says so. */
    for (size_t i = 0; i < d->out->n_checks; i++)
        if (d->out->checks[i].outcome == POLICY_CHECK_PASS && !d->person)
            d->tell[i] = true;
    if (d->n_conflict_starts > 0) {
        d->out->declined_occurrences = d->conflict_starts;
        d->out->n_declined_occurrences = d->n_conflict_starts;
        d->conflict_starts = NULL;
        d->n_conflict_starts = 0;
        for (size_t i = d->tell_on_accept_from; i < d->tell_on_accept_to; i++)
            d->tell[i] = true;
    }
    /* A person's items stay as the organizer wrote them, whatever the policy says. */
    if (!d->person)
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
    d->out->held_for_approval = true;
    d->out->decision = pol->tentative_pending_approval ? POLICY_TENTATIVE : POLICY_IGNORE;
    /* Showing the placeholder free changes the item: never a person's. */
    d->out->show_free = !pol->tentative_pending_approval && !d->person;
    d->text = CONF_TEXT_TENTATIVE_APPROVAL;
    if (d->out->forward_to_delegates)
        decider_add_check(
            d, "approval", POLICY_CHECK_INFO, true,
            "the request awaits the approval of the room's delegates and was forwarded to "
            "them");
    else if (have_delegates)
        decider_add_check(d, "approval", POLICY_CHECK_INFO, true,
                          "the request awaits the approval of the room's delegates");
    else
        decider_add_check(
            d, "approval", POLICY_CHECK_INFO, true,
            "the request awaits approval (the room has no delegates to forward it to)");
    if (d->person) /* the opening sentence says it in the first person */
        d->tell[d->out->n_checks - 1] = false;
}

/* WHO: the rules in order, the first that matches decides. Returns true when that decided
 * the request (declined or ignored); otherwise *HAVE_WHO says whether a rule set *WHO. */
static bool who_by_rules(struct decider *d, bool *have_who, enum who *who)
{
    const struct conf_policy *pol = d->pol;
    *have_who = false;
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
                decider_add_check(d, "rule", POLICY_CHECK_FAIL, false,
                                  "rule %s declines the request: %s", r->name, r->message);
            else
                decider_add_check(d, "rule", POLICY_CHECK_FAIL, true,
                                  "the request is declined by the room's booking rules (rule %s)",
                                  r->name);
            return true;
        case CONF_ACTION_IGNORE:
            d->out->decision = POLICY_IGNORE;
            decider_add_check(d, "rule", POLICY_CHECK_INFO, false,
                              "rule %s leaves the request unanswered", r->name);
            return true;
        case CONF_ACTION_BOOK:
            decider_add_check(d, "rule", POLICY_CHECK_PASS, false,
                              "rule %s lets %s book the room within the policy", r->name, d->label);
            *who = WHO_BOOK;
            break;
        case CONF_ACTION_REQUEST:
            decider_add_check(d, "rule", POLICY_CHECK_INFO, false,
                              "rule %s holds the request for a delegate's approval", r->name);
            *who = WHO_REQUEST;
            break;
        }
        *have_who = true;
        break;
    }
    if (!*have_who && pol->n_rules > 0)
        decider_add_check(d, "rule", POLICY_CHECK_INFO, false, "no rule matches");
    return false;
}

/* The request's own times and the organization's border. Returns true when that decided
 * the request (ignored). */
static bool decided_at_border(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    const struct item *req = d->req;
    if (req->start == 0 || req->end == 0 || req->end < req->start) {
        d->out->decision = POLICY_IGNORE;
        decider_add_check(d, "request", POLICY_CHECK_FAIL, false,
                          "the request has no valid start and end time");
        return true;
    }
    if (d->external) {
        char *internal = internal_domains_text(d);
        if (!pol->process_external_meeting_messages) {
            d->out->decision = POLICY_IGNORE;
            d->out->external_ignored = true;
            decider_add_check(
                d, "external", POLICY_CHECK_FAIL, false,
                "%s is outside the internal domains (%s) and external requests are not "
                "processed",
                d->label, internal);
            free(internal);
            return true;
        }
        decider_add_check(
            d, "external", POLICY_CHECK_INFO, false,
            "%s is outside the internal domains (%s); external requests are processed", d->label,
            internal);
        free(internal);
    }
    return false;
}

/*
 * automate = accept_if_free, a person's "accept if free": the border and the rules as for a
 * room, then work hours (when schedule_only_during_work_hours) and conflicts; no booking
 * lists, window or capacity. A conflict is answered as conflict_response says.
 */
static void decide_accept_if_free(struct decider *d)
{
    if (decided_at_border(d))
        return;
    bool have_who;
    enum who who = WHO_BOOK;
    if (who_by_rules(d, &have_who, &who))
        return;
    bool in_hours = decider_check_work_hours(d);
    bool free_time = decider_check_conflicts(d);
    if (!in_hours) {
        d->out->decision = POLICY_DECLINE;
        d->text = CONF_TEXT_DECLINE_OUT_OF_POLICY;
    } else if (!free_time) {
        bool tentative = d->pol->conflict_response == CONF_CONFLICT_TENTATIVE;
        d->out->decision = tentative ? POLICY_TENTATIVE : POLICY_DECLINE;
        d->text = tentative ? CONF_TEXT_TENTATIVE_CONFLICT : CONF_TEXT_DECLINE_CONFLICT;
    } else if (have_who && who == WHO_REQUEST) {
        hold_for_approval(d);
    } else {
        accept(d);
    }
}

static void decide_auto_accept(struct decider *d)
{
    const struct conf_policy *pol = d->pol;
    const struct item *req = d->req;

    /* WHO, first the organization's border. */
    if (decided_at_border(d))
        return;

    /* WHO: the rules in order, first match decides. */
    bool have_who;
    enum who who = WHO_BOOK;
    if (who_by_rules(d, &have_who, &who))
        return;

    /* WHO: the lists. Request-out-of-policy rights include requesting in policy. */
    bool delegate = d->addr && (strlist_contains_ci(&pol->resource_delegates, d->addr) ||
                                in_listed_group(d, &pol->resource_delegates, d->addr));
    bool may_request_out =
        pol->all_request_out_of_policy || list_matches(d, &pol->request_out_of_policy, d->addr);
    if (!have_who) {
        /* Exchange, BookInPolicy: "In delegate and principal scenarios, if the delegate or
         * principal is specified by the BookInPolicy parameter, in-policy meeting requests to
         * the resource mailbox are automatically approved." A request a delegate sent on the
         * organizer's behalf names the delegate as its Sender. */
        const char *sender = nonempty(req->sender.address) ? req->sender.address : NULL;
        bool may_book =
            delegate || pol->all_book_in_policy || list_matches(d, &pol->book_in_policy, d->addr);
        bool sender_may_book = sender && d->addr && util_str_casecmp_ascii(sender, d->addr) != 0 &&
                               list_matches(d, &pol->book_in_policy, sender);
        bool may_request_in =
            pol->all_request_in_policy || list_matches(d, &pol->request_in_policy, d->addr);
        if (may_book) {
            who = WHO_BOOK;
            decider_add_check(d, "who", POLICY_CHECK_PASS, false, "%s may book the room%s",
                              d->label, delegate ? " (a delegate of the room)" : "");
        } else if (sender_may_book) {
            who = WHO_BOOK;
            decider_add_check(d, "who", POLICY_CHECK_PASS, false,
                              "%s may book the room (through %s, who sent the request on the "
                              "organizer's behalf and may book it)",
                              d->label, sender);
        } else if (may_request_in || may_request_out) {
            who = WHO_REQUEST;
            decider_add_check(d, "who", POLICY_CHECK_INFO, false,
                              "%s may request the room, subject to a delegate's approval",
                              d->label);
        } else {
            d->out->decision = POLICY_DECLINE;
            d->text = CONF_TEXT_DECLINE_NOT_ALLOWED;
            decider_add_check(d, "who", POLICY_CHECK_FAIL, true,
                              "%s is not allowed to book this room", d->label);
            return;
        }
    }

    /* WHEN: every check runs, so that the answer names every reason at once. */
    bool in_policy = true;
    in_policy &= decider_check_window(d);
    if (d->recurring)
        in_policy &= decider_check_horizon(d);
    in_policy &= decider_check_recurrence(d);
    in_policy &= decider_check_duration(d);
    in_policy &= decider_check_work_hours(d);
    in_policy &= decider_check_capacity(d);
    bool free_room = decider_check_conflicts(d);

    if (!free_room) {
        d->out->decision = POLICY_DECLINE;
        d->text = CONF_TEXT_DECLINE_CONFLICT;
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
        decider_add_check(
            d, "who", POLICY_CHECK_INFO, false,
            "%s may request the room outside the policy, subject to a delegate's approval",
            d->label);
        hold_for_approval(d);
        return;
    }
    d->out->decision = POLICY_DECLINE;
    d->text = CONF_TEXT_DECLINE_OUT_OF_POLICY;
}

static void decide(struct decider *d)
{
    switch (d->pol->automate) {
    case CONF_AUTOMATE_NONE:
        d->out->decision = POLICY_IGNORE;
        decider_add_check(d, "automate", POLICY_CHECK_INFO, false,
                          "automate = none: requests are left alone");
        return;
    case CONF_AUTOMATE_AUTO_UPDATE:
        d->out->decision = POLICY_IGNORE;
        decider_add_check(
            d, "automate", POLICY_CHECK_INFO, false,
            "automate = auto_update: requests stay tentative on the calendar, unanswered");
        return;
    case CONF_AUTOMATE_ACCEPT:
        decider_add_check(d, "automate", POLICY_CHECK_INFO, false,
                          "automate = accept: every request is accepted");
        /* The shorthands are for people's own calendars: their items stay as the organizer
         * wrote them. Rewriting is the resource booking assistant's business (auto_accept). */
        d->out->decision = POLICY_ACCEPT;
        return;
    case CONF_AUTOMATE_TENTATIVE:
        d->out->decision = POLICY_TENTATIVE;
        decider_add_check(d, "automate", POLICY_CHECK_INFO, false,
                          "automate = tentative: every request is accepted tentatively");
        return;
    case CONF_AUTOMATE_DECLINE:
        d->out->decision = POLICY_DECLINE;
        /* The technical reason for the record; the organizer reads decline_message. */
        decider_add_check(d, "automate", POLICY_CHECK_FAIL, false,
                          "automate = decline: every request is declined");
        return;
    case CONF_AUTOMATE_AUTO_ACCEPT:
        decide_auto_accept(d);
        return;
    case CONF_AUTOMATE_ACCEPT_IF_FREE:
        decide_accept_if_free(d);
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
    policy_text_for_kind(d);
    char *text = policy_text_opening(d);
    if (pol->enable_response_details) {
        char *details = NULL;
        for (size_t i = 0; i < r->n_checks; i++)
            if (d->tell[i])
                append(&details, "\n", r->checks[i].text ? r->checks[i].text : r->checks[i].reason);
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
    d.person = ctx->kind == CONF_KIND_PERSON;
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
