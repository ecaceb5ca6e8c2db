/*
 * policy: the decision on one meeting request. A pure function: everything it needs (the
 * request, the resource's calendar over the meeting's span, the current time) is gathered by
 * the mailbox module before it runs; it does no I/O and keeps no state, so the same inputs
 * always give the same decision and every decision can be replayed in a unit test.
 *
 * A decision carries the checks that led to it, each with a reason in plain words, so that
 * the answer sent to the organizer, the log line and the decision record can all say why.
 */
#ifndef MEETINGD_POLICY_H
#define MEETINGD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "item.h"

enum policy_decision {
    POLICY_ACCEPT,    /* book: AcceptItem */
    POLICY_TENTATIVE, /* hold: TentativelyAcceptItem (e.g. pending a delegate's approval) */
    POLICY_DECLINE,   /* DeclineItem */
    POLICY_IGNORE,    /* answer nothing; the request stays as it is */
};

enum policy_outcome {
    POLICY_CHECK_PASS,
    POLICY_CHECK_FAIL,
    POLICY_CHECK_INFO, /* informative, decided nothing */
};

/* One step of the decision, in the order it was taken. */
struct policy_check {
    char *name; /* short key, e.g. "conflicts", "booking_window", "rule" */
    enum policy_outcome outcome;
    char *reason; /* plain words, e.g. "bookings may be at most 1440 minutes": for the log
                   * and the decision record, may name configuration keys */
    char *text;   /* the same for the organizer, when it must differ (first person, no key
                   * names); NULL = the reason reads well as it is */
};

/* One occurrence of the request (the whole meeting for a single one). */
struct policy_occurrence {
    time_t start, end;
};

/*
 * What the mailbox module gathered for the decision. All borrowed.
 * calendar: the resource's calendar items over the span of the request (a CalendarView,
 * recurring series expanded into occurrences). Items that belong to the request itself (same
 * UID) are ignored by the policy, so the caller need not filter them; so are cancelled and
 * Free items, and other requests the resource has not answered yet (MyResponseType
 * NoResponseReceived: the server's tentative placeholder is not a booking, or the last
 * request to arrive would always win).
 * occurrences: the request's own occurrences inside the booking window (for a single meeting,
 * one entry equal to its start and end); series_end_known / series_end: when the series ends
 * (0 = never), so that a series running past the booking window can be declined.
 */
struct policy_context {
    const char *mailbox_address;
    const char *mailbox_name; /* [mailbox NAME]: {room} in texts; NULL = the address */
    enum conf_kind kind;      /* room (default), equipment or person */
    time_t now;
    const struct item *const *calendar;
    size_t n_calendar;
    const struct policy_occurrence *occurrences;
    size_t n_occurrences;
    bool series_end_known;
    time_t series_end;
    /* The occurrences come from the request's recurrence, not from the server's calendar
     * (which listed none of them): the reasons name the ones checked. */
    bool occurrences_from_recurrence;
    /* Distribution groups (NULL: no list entry is one): whether ADDRESS is a member of the
     * group ENTRY (a plain address of a list), nested groups followed; 1 yes, 0 no (or
     * ENTRY names no group), -1 not known yet. */
    int (*group_member)(void *groups, const char *entry, const char *address);
    void *groups;
};

/* How to rewrite the resource's calendar item after booking. */
struct policy_rewrite {
    bool needed;
    char *subject; /* new subject, or NULL to keep it */
    bool clear_body;
    bool make_public; /* Sensitivity back to Normal */
    bool delete_attachments;
};

struct policy_result {
    enum policy_decision decision;
    char *response_text; /* body of the answer, NULL = none */
    struct policy_check *checks;
    size_t n_checks;
    const char *rule; /* name of the rule that decided (borrowed from conf), or NULL */
    bool forward_to_delegates;
    /* Held for a delegate's approval (forwarded or not): the mailbox remembers the request,
     * reads the delegates' answers and applies approval_timeout (mailbox_approval.c). */
    bool held_for_approval;
    /* Occurrences of an accepted series to decline one by one (their start times). */
    time_t *declined_occurrences;
    size_t n_declined_occurrences;
    struct policy_rewrite rewrite;
    /* A request held for approval without tentative_pending_approval: the server's tentative
     * placeholder on the resource's calendar is to show Free (Exchange: "TentativePendingApproval
     * false: pending requests show as free"). */
    bool show_free;
    /* The decision needed the members of a distribution group that are not known yet: it
     * must not be carried out; decide again once they are (or at a later poll). */
    bool groups_unknown;
    /* Ignored because the organizer is external (process_external_meeting_messages = no). */
    bool external_ignored;
};

/* True when the policy needs the resource's calendar in the context: for automate =
 * auto_accept (conflicts, and the request's own occurrences of a series). */
bool policy_needs_calendar(const struct conf_policy *policy);

/*
 * The first moment after the booking window of POLICY seen at NOW: local midnight (in the
 * policy's time zone) ending the date booking_window_days after today, Exchange's "0 means
 * today". A meeting must start before it; a CalendarView for the request's occurrences
 * should reach it, so that every occurrence inside the window is listed.
 */
time_t policy_booking_window_end(const struct conf_policy *policy, time_t now);

/*
 * Decides REQUEST (a meeting request) under POLICY. Fills *OUT, which the caller releases
 * with policy_result_clear(). Never fails: a request the policy cannot judge is declined or
 * ignored with a reason saying why.
 *
 * automate: none and auto_update ignore every request; accept / tentative / decline answer
 * every request that way without checks; auto_accept decides as Exchange's resource booking
 * attendant (see policy.c):
 * - external organizers (domain not in internal_domains, or not the mailbox's own domain)
 *   are ignored unless process_external_meeting_messages; an unknown address is external;
 * - the first matching rule declines, ignores, or decides who books (book / request);
 *   otherwise the lists do: book_in_policy (and delegates) book, request_in_policy and
 *   request_out_of_policy are held for approval, anybody else is declined; a request sent
 *   on the organizer's behalf is judged by the better of organizer and sender (Exchange:
 *   either the delegate or the principal being on the list suffices);
 * - in policy = booking window, scheduling horizon, recurrence, duration, work hours and
 *   capacity all pass; out of policy, request_out_of_policy organizers (and delegates) are
 *   held for approval, everybody else is declined;
 * - held for approval: TENTATIVE with tentative_pending_approval, else IGNORE;
 *   forward_to_delegates when forward_requests_to_delegates and delegates exist;
 * - conflicts decline whoever asks, except a series within both conflict limits: ACCEPT
 *   with declined_occurrences.
 * The rewrite is filled for every ACCEPT. response_text: with enable_response_details the
 * reasons (one per line), then the matching rule's message, additional_response (with
 * add_additional_response) and response_message, as paragraphs; NULL for IGNORE or when
 * there is nothing to say. Times in reasons are in the policy's time zone; conflicting
 * organizers are named only with organizer_info.
 *
 * Local times are computed by switching the process's TZ to the policy's zone for the
 * duration of the call (restored before it returns): not thread-safe.
 */
void policy_decide(const struct conf_policy *policy, const struct item *request,
                   const struct policy_context *ctx, struct policy_result *out);

void policy_result_clear(struct policy_result *result);

/* The built-in opening sentence of answers of kind TEXT for a mailbox of KIND (a template,
 * text_template.h): used when the policy does not set its *_message key. */
const char *policy_text_default(enum conf_kind kind, enum conf_text text);

/* True if M (a rule's subject condition) is absent or SUBJECT matches it: a substring, ASCII
 * case-insensitively, or the /regex/ compiled when the configuration was loaded. A NULL
 * SUBJECT matches only an absent condition. */
bool policy_subject_matches(const struct conf_text_match *m, const char *subject);

/* One decision taken for a mailbox, as the daemon reports it (log line, decision record). */
struct policy_event {
    const char *mailbox; /* the [mailbox NAME] */
    const char *address; /* the mailbox's SMTP address */
    const struct item *request;
    const struct policy_result *result;
    const char *outcome; /* "sent", "dry-run", "failed: ...", "unknown: ...", "not sent" */
    /* What was done when it is not an answer: "remove" or "keep" for a cancellation (the
     * record's "decision"); NULL: the result's decision. */
    const char *action;
    /* This record settles an earlier answer whose outcome was unknown (a lost reply, a
     * crash): OUTCOME says what the server's state showed ("sent" or "not sent"). */
    bool settles;
};

/* Static lower-case names: "accept", "tentative", "decline", "ignore". */
const char *policy_decision_name(enum policy_decision decision);

/*
 * Reasons of RESULT for a log line or a summary, caller frees (never NULL): the reasons of the
 * failed checks joined with "; "; if none failed, the reasons of all checks joined; "" when
 * there are no checks (or RESULT is NULL). Checks without a reason are skipped.
 */
char *policy_result_reasons_text(const struct policy_result *result);

#endif
