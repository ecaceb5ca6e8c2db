/*
 * Unit tests of policy: the decision function on its own, table-driven.
 *
 * Every case loads a real configuration through conf_load() (a [server] section and
 * [policy p] with the case's keys, plus the case's [rule] sections), builds a meeting request
 * and the resource's calendar the way the mailbox module gathers them, runs policy_decide()
 * and checks the decision, the answer text, the recorded checks, the matched rule, the
 * forwarding flag, the occurrences to decline and the rewrite.
 *
 * Times are UTC unless a case sets time_zone; "now" is Monday 2026-11-30 08:00 UTC and the
 * default meeting Thursday 2026-12-03 10:00-11:00 UTC, so the default 180-day window ends
 * with 2027-05-29.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "item.h"
#include "policy.h"
#include "policy_time.h"
#include "util.h"

#define NOW "2026-11-30T08:00:00Z"
#define START "2026-12-03T10:00:00Z"
#define END "2026-12-03T11:00:00Z"
#define REQ_UID "req-uid-1"
#define MAX_CAL 12

/* A calendar item of the resource. fb NULL = Busy; org_name / org_addr NULL = Bob Builder
 * <bob@example.com>, "-" = absent; uid NULL = a unique other UID. */
struct cal_spec {
    const char *start, *end;
    const char *fb;
    const char *uid;
    const char *org_name, *org_addr;
    bool cancelled;
    bool unanswered; /* MyResponseType NoResponseReceived: a request the resource has not
                        answered yet, not a booking */
};

struct check_spec {
    const char *name; /* NULL = no expectation */
    enum policy_outcome outcome;
    const char *reason; /* substring of the reason */
};

struct pcase {
    const char *name;
    const char *policy; /* keys of [policy p] */
    const char *rules;  /* [rule ...] sections */
    const char *now;    /* NULL = NOW */
    bool person;        /* the mailbox is a person's (kind = person, named bob) */
    bool equipment;     /* the mailbox is equipment (kind = equipment) */

    /* The request. NULL = default; "-" = absent. */
    const char *subject;  /* "Team sync" */
    const char *org_addr; /* alice@example.com */
    const char *org_name; /* Alice Example */
    const char *sender;   /* the request's Sender, e.g. the organizer's delegate; NULL = none */
    const char *start, *end;
    const char *occ;   /* the series' occurrences: "weekly:N" or "S/E,S/E,..." */
    const char *range; /* a series: "noend", "end:YYYY-MM-DD", "num:N" */
    unsigned required, optional, resources;
    const char *sensitivity; /* "Normal" */
    bool attachments;
    const char *body; /* "Agenda" */
    struct cal_spec cal[MAX_CAL];

    /* Expectations. */
    enum policy_decision decision;
    bool text_null;
    const char *text[4];    /* substrings of response_text */
    bool text_ordered;      /* ... appearing in this order */
    const char *no_text[2]; /* substrings that must not appear */
    struct check_spec check[3];
    const char *rule; /* expected rule name; NULL = none matched */
    bool forward;
    bool show_free; /* a held request's placeholder is to show Free */
    size_t n_declined;
    const char *declined[3]; /* first declined occurrence starts */
    bool rw;                 /* check the rewrite */
    bool rw_needed;
    const char *rw_subject; /* NULL = unchanged */
    bool rw_body, rw_public, rw_attachments;
};

#define CHK(n, o, r)                                                                               \
    {                                                                                              \
        n, POLICY_CHECK_##o, r                                                                     \
    }
#define BUSY(s, e)                                                                                 \
    {                                                                                              \
        .start = s, .end = e                                                                       \
    }
#define WEEKLY10 "weekly:10"

/* Weekly dates of WEEKLY10: 12-03, 12-10, 12-17, 12-24, 12-31, 01-07, 01-14, 01-21, ... */
#define BUSY_ON(day) BUSY("2026-12-" day "T10:00:00Z", "2026-12-" day "T11:00:00Z")

static const struct pcase cases[] = {
    /* ---- automate and defaults ---- */
    /* Set-CalendarProcessing, EnableResponseDetails ($true is the default): "The reasons for
     * accepting or declining a meeting are included in the response message." */
    {.name = "defaults accept a normal request, with the reasons for accepting",
     .decision = POLICY_ACCEPT,
     .text = {"alice@example.com may book the room", "within the 180-day booking window",
              "no conflict with existing bookings"},
     .text_ordered = true,
     .check = {CHK("booking_window", PASS, "within the 180-day booking window"),
               CHK("duration", PASS, "the meeting lasts 60 minutes (bookings may be at most 1440"),
               CHK("conflicts", PASS, "no conflict")},
     .rw = true,
     .rw_needed = true,
     .rw_subject = "Alice Example",
     .rw_body = true},
    {.name = "automate none ignores",
     .policy = "automate = none",
     .cal = {BUSY(START, END)},
     .decision = POLICY_IGNORE,
     .text_null = true,
     .check = {CHK("automate", INFO, "none")}},
    {.name = "automate auto_update ignores",
     .policy = "automate = auto_update",
     .decision = POLICY_IGNORE,
     .text_null = true,
     .check = {CHK("automate", INFO, "auto_update")}},
    {.name = "automate accept answers every request, conflicts or not, and rewrites nothing",
     .policy = "automate = accept",
     .cal = {BUSY(START, END)},
     .start = "2026-12-05T02:00:00Z",
     .end = "2026-12-09T02:00:00Z",
     .decision = POLICY_ACCEPT,
     .text = {"Booked: room1@example.com from 2026-12-05 02:00 to 2026-12-09 02:00."},
     .rw = true,
     .rw_needed = false},
    {.name = "automate tentative",
     .policy = "automate = tentative",
     .decision = POLICY_TENTATIVE,
     .text = {"Tentatively booked: room1@example.com from 2026-12-03 10:00 to 11:00."}},
    {.name = "automate decline says so in words, the key only in the record",
     .policy = "automate = decline",
     .decision = POLICY_DECLINE,
     .text = {"Sorry, room1@example.com cannot be booked for this meeting."},
     .no_text = {"automate"},
     .check = {CHK("automate", FAIL, "automate = decline: every request is declined")}},
    /* A person's mailbox: accept if free, never a rewrite, first-person texts. */
    {.name = "person: a free slot is accepted, the item is not rewritten",
     .person = true,
     .policy = "automate = accept_if_free",
     .sensitivity = "Private",
     .attachments = true,
     .decision = POLICY_ACCEPT,
     .text = {"Thanks, I'll be there."},
     .no_text = {"room", "booking window"},
     .rw = true,
     .rw_needed = false},
    {.name = "person: a conflict is declined in the first person, without the other organizer",
     .person = true,
     .policy = "automate = accept_if_free",
     .cal = {BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .text = {"Sorry, I have another meeting then.",
              "I have another meeting from 10:00 to 11:00 on 2026-12-03."},
     .text_ordered = true,
     .no_text = {"Bob", "room"},
     .check = {CHK("conflict", FAIL,
                   "the calendar is taken from 10:00 to 11:00 on 2026-12-03 "
                   "by Bob Builder")}},
    {.name = "person: conflict_response = tentative",
     .person = true,
     .policy = "automate = accept_if_free\nconflict_response = tentative",
     .cal = {BUSY("2026-12-03T10:30:00Z", "2026-12-03T12:00:00Z")},
     .decision = POLICY_TENTATIVE,
     .text = {"I have another meeting then, so I can only accept tentatively."}},
    {.name = "person: the rules still decide",
     .person = true,
     .policy = "automate = accept_if_free",
     .rules = "[rule late]\npolicy = p\nsubject = sync\naction = decline\n",
     .decision = POLICY_DECLINE,
     .rule = "late",
     .text = {"Sorry, I can't attend."}},
    {.name = "person: outside the work hours",
     .person = true,
     .policy = "automate = accept_if_free\nschedule_only_during_work_hours = yes\n"
               "work_hours = 12:00-17:00",
     .decision = POLICY_DECLINE,
     .text = {"Sorry, that time doesn't work for me.",
              "The time from 10:00 to 11:00 on 2026-12-03 is outside my working hours, Mon-Fri "
              "12:00-17:00 (UTC)."},
     .text_ordered = true,
     .no_text = {"the working hours"}},
    {.name = "equipment: the reasons say equipment, the record keeps them as they are",
     .equipment = true,
     .policy = "all_book_in_policy = no\nbook_in_policy = bob@example.com",
     .decision = POLICY_DECLINE,
     .text = {"Sorry, you may not book room1@example.com.",
              "alice@example.com is not allowed to book this equipment"},
     .no_text = {"this room"},
     .check = {CHK("who", FAIL, "alice@example.com is not allowed to book this room")}},
    {.name = "equipment: a conflict",
     .equipment = true,
     .cal = {BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .text = {"the equipment is already booked from 10:00 to 11:00 on 2026-12-03 by Bob"},
     .no_text = {"the room"}},
    {.name = "templates: placeholders filled in, the reasons follow",
     .policy = "decline_message_conflict = {room}: taken {start}-{end}; {organizer}, "
               "\"{subject}\"",
     .cal = {BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .text = {"room1@example.com: taken 2026-12-03 10:00-11:00; Alice Example, \"Team sync\"",
              "the room is already booked"},
     .text_ordered = true},
    {.name = "templates: a policy's own text is said without details",
     .policy = "enable_response_details = no\naccept_message = See you in {room}.",
     .decision = POLICY_ACCEPT,
     .text = {"See you in room1@example.com."},
     .no_text = {"booking window"}},
    {.name = "templates: an empty text says nothing",
     .policy = "accept_message =",
     .decision = POLICY_ACCEPT,
     .text = {"within the 180-day booking window"},
     .no_text = {"Booked"}},
    {.name = "response_message added to every answer",
     .policy = "automate = tentative\nresponse_message = Call 555 for help.",
     .decision = POLICY_TENTATIVE,
     .text = {"Call 555 for help."}},
    {.name = "a request without valid times is ignored",
     .start = "2026-12-03T11:00:00Z",
     .end = "2026-12-03T10:00:00Z",
     .decision = POLICY_IGNORE,
     .text_null = true,
     .check = {CHK("request", FAIL, "no valid start and end time")}},

    /* ---- booking window ---- */
    {.name = "a meeting in the past is declined",
     .start = "2026-11-30T07:00:00Z",
     .end = "2026-11-30T07:30:00Z",
     .decision = POLICY_DECLINE,
     .text = {"the meeting starts in the past"}},
    {.name = "window: last day inside",
     .start = "2027-05-29T22:00:00Z",
     .end = "2027-05-29T23:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "window: first day after it is declined",
     .start = "2027-05-30T00:00:00Z",
     .end = "2027-05-30T01:00:00Z",
     .decision = POLICY_DECLINE,
     .text = {"the meeting starts after the 180-day booking window (bookings are possible up "
              "to 2027-05-29)"},
     .check = {CHK("booking_window", FAIL, "180-day")}},
    {.name = "window of 0 days: later today",
     .policy = "booking_window_days = 0",
     .start = "2026-11-30T15:00:00Z",
     .end = "2026-11-30T16:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "window of 0 days: tomorrow is declined",
     .policy = "booking_window_days = 0",
     .start = "2026-12-01T09:00:00Z",
     .end = "2026-12-01T10:00:00Z",
     .decision = POLICY_DECLINE,
     .text = {"0-day booking window"}},
    {.name = "window days are counted in the policy's time zone",
     .policy = "booking_window_days = 0\ntime_zone = America/New_York",
     .start = "2026-12-01T04:00:00Z", /* 23:00 on Nov 30 in New York */
     .end = "2026-12-01T04:30:00Z",
     .decision = POLICY_ACCEPT},

    /* ---- duration ---- */
    {.name = "duration: exactly the maximum",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-04T00:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "duration: one minute over the maximum",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-04T00:01:00Z",
     .decision = POLICY_DECLINE,
     .text = {"bookings may be at most 1440 minutes (this meeting lasts 1441 minutes)"},
     .check = {CHK("duration", FAIL, "at most 1440")}},
    {.name = "duration: max 0 is no limit",
     .policy = "max_duration_minutes = 0",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-06T00:00:00Z",
     .decision = POLICY_ACCEPT,
     .check = {CHK("duration", PASS, "no duration limit")}},
    {.name = "duration: exactly the minimum",
     .policy = "min_duration_minutes = 30",
     .end = "2026-12-03T10:30:00Z",
     .decision = POLICY_ACCEPT,
     .check = {CHK("duration", PASS, "bookings may last 30 to 1440 minutes")}},
    {.name = "duration: one minute under the minimum",
     .policy = "min_duration_minutes = 30",
     .end = "2026-12-03T10:29:00Z",
     .decision = POLICY_DECLINE,
     .text = {"bookings must last at least 30 minutes (this meeting lasts 29 minutes)"}},
    {.name = "duration: a series is judged per occurrence",
     .policy = "max_duration_minutes = 60",
     .occ = "weekly:3",
     .decision = POLICY_ACCEPT},
    {.name = "duration: a series with long occurrences",
     .policy = "max_duration_minutes = 60",
     .end = "2026-12-03T11:30:00Z",
     .occ = "weekly:3",
     .decision = POLICY_DECLINE,
     .text = {"bookings may be at most 60 minutes (this meeting lasts 90 minutes)"}},

    /* ---- recurrence and scheduling horizon ---- */
    {.name = "recurring meetings not allowed",
     .policy = "allow_recurring_meetings = no",
     .occ = "weekly:3",
     .decision = POLICY_DECLINE,
     .text = {"recurring meetings are not allowed"}},
    {.name = "a series inside the window",
     .occ = "weekly:4",
     .decision = POLICY_ACCEPT,
     .check = {CHK("scheduling_horizon", PASS, "the series ends within the 180-day"),
               CHK("recurrence", PASS, "recurring meetings are allowed"),
               CHK("booking_window", PASS, "4 occurrences within")}},
    {.name = "a series without end is declined under the horizon",
     .occ = "weekly:3",
     .range = "noend",
     .decision = POLICY_DECLINE,
     .text = {"this series runs past the 180-day booking window"}},
    {.name = "a series without end with enforce_scheduling_horizon = no",
     .policy = "enforce_scheduling_horizon = no",
     .occ = "weekly:3",
     .range = "noend",
     .decision = POLICY_ACCEPT,
     .check = {CHK("scheduling_horizon", INFO,
                   "only its occurrences up to 2027-05-29 are "
                   "checked")}},
    {.name = "horizon off: occurrences after the window are not checked",
     .policy = "enforce_scheduling_horizon = no",
     .start = "2027-05-27T10:00:00Z",
     .end = "2027-05-27T11:00:00Z",
     .occ = "2027-05-27T10:00:00Z/2027-05-27T11:00:00Z,2027-06-03T10:00:00Z/"
            "2027-06-03T11:00:00Z",
     .range = "noend",
     .cal = {BUSY("2027-06-03T10:00:00Z", "2027-06-03T11:00:00Z")},
     .decision = POLICY_ACCEPT,
     .n_declined = 0,
     .check = {CHK("booking_window", PASS, "1 occurrence within")}},
    {.name = "horizon on: the same series is declined",
     .start = "2027-05-27T10:00:00Z",
     .end = "2027-05-27T11:00:00Z",
     .occ = "2027-05-27T10:00:00Z/2027-05-27T11:00:00Z,2027-06-03T10:00:00Z/"
            "2027-06-03T11:00:00Z",
     .range = "end:2027-06-03",
     .decision = POLICY_DECLINE,
     .text = {"this series runs past the 180-day booking window"}},
    {.name = "a series ending on the window's last day",
     .start = "2027-05-22T10:00:00Z",
     .end = "2027-05-22T11:00:00Z",
     .occ = "weekly:2",
     .range = "end:2027-05-29",
     .decision = POLICY_ACCEPT},
    {.name = "a series ending the day after the window",
     .start = "2027-05-23T10:00:00Z",
     .end = "2027-05-23T11:00:00Z",
     .occ = "weekly:1",
     .range = "end:2027-05-30",
     .decision = POLICY_DECLINE,
     .check = {CHK("scheduling_horizon", FAIL, "runs past")}},
    {.name = "a numbered series, all occurrences listed",
     .occ = "weekly:4",
     .range = "num:4",
     .decision = POLICY_ACCEPT,
     .check = {CHK("scheduling_horizon", PASS, "ends within")}},
    {.name = "a long numbered series whose occurrences were not listed",
     .range = "num:100",
     .decision = POLICY_DECLINE,
     .text = {"this series runs past the 180-day booking window"}},
    {.name = "a short numbered series whose occurrences were not listed",
     .range = "num:3",
     .decision = POLICY_ACCEPT,
     .check = {CHK("scheduling_horizon", INFO, "the end of the series is not known")}},

    /* ---- conflicts, single meetings ---- */
    {.name = "a conflict declines, naming the organizer",
     .cal = {{.start = START, .end = END, .org_name = "Jane Doe"}},
     .decision = POLICY_DECLINE,
     .text = {"the room is already booked from 10:00 to 11:00 on 2026-12-03 by Jane Doe"},
     .check = {CHK("conflict", FAIL, "by Jane Doe")},
     .rw = true,
     .rw_needed = false},
    {.name = "organizer_info = no hides the conflicting organizer",
     .policy = "organizer_info = no",
     .cal = {{.start = START, .end = END, .org_name = "Jane Doe"}},
     .decision = POLICY_DECLINE,
     .text = {"the room is already booked from 10:00 to 11:00 on 2026-12-03"},
     .no_text = {"Jane", "bob@"}},
    {.name = "the conflicting organizer's address when there is no name",
     .cal = {{.start = START, .end = END, .org_name = "-", .org_addr = "jane@example.com"}},
     .decision = POLICY_DECLINE,
     .text = {"already booked from 10:00 to 11:00 on 2026-12-03 by jane@example.com"}},
    {.name = "a partial overlap conflicts",
     .cal = {BUSY("2026-12-03T10:30:00Z", "2026-12-03T12:00:00Z")},
     .decision = POLICY_DECLINE,
     .text = {"from 10:30 to 12:00 on 2026-12-03"}},
    {.name = "adjacent bookings do not conflict",
     .cal = {BUSY("2026-12-03T09:00:00Z", START), BUSY(END, "2026-12-03T12:00:00Z")},
     .decision = POLICY_ACCEPT},
    {.name = "free items are ignored",
     .cal = {{.start = START, .end = END, .fb = "Free"}},
     .decision = POLICY_ACCEPT},
    {.name = "tentative items conflict",
     .cal = {{.start = START, .end = END, .fb = "Tentative"}},
     .decision = POLICY_DECLINE},
    {.name = "another request the resource has not answered yet is no booking",
     .cal = {{.start = START, .end = END, .unanswered = true}},
     .decision = POLICY_ACCEPT},
    {.name = "cancelled items are ignored",
     .cal = {{.start = START, .end = END, .cancelled = true}},
     .decision = POLICY_ACCEPT},
    {.name = "the request's own item is ignored",
     .cal = {{.start = START, .end = END, .uid = REQ_UID}},
     .decision = POLICY_ACCEPT},
    {.name = "an update moved onto another booking is declined",
     .cal = {{.start = "2026-12-03T08:00:00Z", .end = "2026-12-03T09:00:00Z", .uid = REQ_UID},
             BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .text = {"from 10:00 to 11:00 on 2026-12-03"}},
    {.name = "allow_conflicts accepts over a booking",
     .policy = "allow_conflicts = yes",
     .cal = {BUSY(START, END)},
     .decision = POLICY_ACCEPT,
     .check = {CHK("conflicts", INFO, "conflicts are allowed")}},
    {.name = "conflict times in the policy's time zone",
     .policy = "time_zone = Europe/Berlin",
     .cal = {BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .text = {"from 11:00 to 12:00 on 2026-12-03"}},
    {.name = "a booking over several days names both dates",
     .cal = {BUSY("2026-12-02T08:00:00Z", "2026-12-03T10:30:00Z")},
     .decision = POLICY_DECLINE,
     .text = {"from 2026-12-02 08:00 to 2026-12-03 10:30"}},

    /* ---- conflicts, series (10 weekly occurrences from 2026-12-03) ---- */
    {.name = "series: one conflict declines under the defaults",
     .occ = WEEKLY10,
     .cal = {BUSY_ON("10")},
     .decision = POLICY_DECLINE,
     .text = {"1 of 10 occurrences conflict with existing bookings; no conflicting occurrences "
              "are allowed",
              "the room is already booked from 10:00 to 11:00 on 2026-12-10"},
     .n_declined = 0},
    {.name = "series: exactly at both limits is accepted",
     .policy = "conflict_percentage_allowed = 20\nmax_conflict_instances = 2",
     .occ = WEEKLY10,
     .cal = {BUSY_ON("10"), BUSY_ON("17")},
     .decision = POLICY_ACCEPT,
     .text = {"declined occurrences: 2026-12-10, 2026-12-17 (the room is already booked)",
              "the room is already booked from 10:00 to 11:00 on 2026-12-17 by Bob Builder"},
     .n_declined = 2,
     .declined = {"2026-12-10T10:00:00Z", "2026-12-17T10:00:00Z"},
     .check = {CHK("conflicts", INFO, "2 of 10 occurrences (20%)")}},
    {.name = "series: one instance over the limit",
     .policy = "conflict_percentage_allowed = 50\nmax_conflict_instances = 2",
     .occ = WEEKLY10,
     .cal = {BUSY_ON("10"), BUSY_ON("17"), BUSY_ON("24")},
     .decision = POLICY_DECLINE,
     .text = {"3 of 10 occurrences (30%) conflict with existing bookings; at most 2 "
              "conflicting occurrences and 50% of the series are allowed"},
     .no_text = {"declined occurrences"}},
    {.name = "series: exactly at the percentage and instances",
     .policy = "conflict_percentage_allowed = 30\nmax_conflict_instances = 3",
     .occ = WEEKLY10,
     .cal = {BUSY_ON("10"), BUSY_ON("17"), BUSY_ON("24")},
     .decision = POLICY_ACCEPT,
     .n_declined = 3,
     .declined = {"2026-12-10T10:00:00Z", "2026-12-17T10:00:00Z", "2026-12-24T10:00:00Z"}},
    {.name = "series: one percent under the conflicts' share",
     .policy = "conflict_percentage_allowed = 29\nmax_conflict_instances = 3",
     .occ = WEEKLY10,
     .cal = {BUSY_ON("10"), BUSY_ON("17"), BUSY_ON("24")},
     .decision = POLICY_DECLINE,
     .text = {"at most 3 conflicting occurrences and 29% of the series are allowed"}},
    {.name = "series: a percentage alone allows nothing without instances",
     .policy = "conflict_percentage_allowed = 100",
     .occ = WEEKLY10,
     .cal = {BUSY_ON("10")},
     .decision = POLICY_DECLINE},
    {.name = "series: free items are ignored",
     .occ = WEEKLY10,
     .cal = {{.start = "2026-12-10T10:00:00Z", .end = "2026-12-10T11:00:00Z", .fb = "Free"}},
     .decision = POLICY_ACCEPT,
     .n_declined = 0},
    {.name = "series: the request's own occurrences are ignored",
     .occ = "weekly:3",
     .cal = {{.start = START, .end = END, .uid = REQ_UID},
             {.start = "2026-12-10T10:00:00Z", .end = "2026-12-10T11:00:00Z", .uid = REQ_UID},
             {.start = "2026-12-17T10:00:00Z", .end = "2026-12-17T11:00:00Z", .uid = REQ_UID}},
     .decision = POLICY_ACCEPT},
    {.name = "series: declined occurrences without the organizer's name",
     .policy = "conflict_percentage_allowed = 10\nmax_conflict_instances = 1\norganizer_info = no",
     .occ = WEEKLY10,
     .cal = {{.start = "2026-12-10T10:30:00Z",
              .end = "2026-12-10T12:00:00Z",
              .org_name = "Jane Doe"}},
     .decision = POLICY_ACCEPT,
     .n_declined = 1,
     .declined = {"2026-12-10T10:00:00Z"},
     .text = {"declined occurrences: 2026-12-10", "already booked from 10:30 to 12:00"},
     .no_text = {"Jane"}},
    {.name = "series: no details, no text for the declined occurrences",
     .policy = "conflict_percentage_allowed = 10\nmax_conflict_instances = 1\n"
               "enable_response_details = no",
     .occ = WEEKLY10,
     .cal = {BUSY_ON("10")},
     .decision = POLICY_ACCEPT,
     .n_declined = 1,
     .text_null = true},

    /* ---- work hours ---- */
    {.name = "work hours: inside",
     .policy = "schedule_only_during_work_hours = yes",
     .decision = POLICY_ACCEPT,
     .check = {CHK("work_hours", PASS, "within the working hours Mon-Fri 08:00-17:00 (UTC)")}},
    {.name = "work hours: a Saturday",
     .policy = "schedule_only_during_work_hours = yes",
     .start = "2026-12-05T10:00:00Z",
     .end = "2026-12-05T11:00:00Z",
     .decision = POLICY_DECLINE,
     .text = {"the meeting from 10:00 to 11:00 on 2026-12-05 is outside the working hours "
              "Mon-Fri 08:00-17:00 (UTC)"}},
    {.name = "work hours: ending exactly at the end",
     .policy = "schedule_only_during_work_hours = yes",
     .start = "2026-12-03T16:00:00Z",
     .end = "2026-12-03T17:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "work hours: ending a minute after",
     .policy = "schedule_only_during_work_hours = yes",
     .start = "2026-12-03T16:00:00Z",
     .end = "2026-12-03T17:01:00Z",
     .decision = POLICY_DECLINE,
     .check = {CHK("work_hours", FAIL, "from 16:00 to 17:01 on 2026-12-03")}},
    {.name = "work hours: starting a minute early",
     .policy = "schedule_only_during_work_hours = yes",
     .start = "2026-12-03T07:59:00Z",
     .end = "2026-12-03T09:00:00Z",
     .decision = POLICY_DECLINE},
    {.name = "work hours: own days and hours",
     .policy = "schedule_only_during_work_hours = yes\nwork_days = Sat,Sun\n"
               "work_hours = 10:00-12:00",
     .start = "2026-12-05T10:00:00Z",
     .end = "2026-12-05T11:00:00Z",
     .decision = POLICY_ACCEPT,
     .check = {CHK("work_hours", PASS, "Sat, Sun 10:00-12:00")}},
    {.name = "work hours: until midnight",
     .policy = "schedule_only_during_work_hours = yes\nwork_days = AllDays\n"
               "work_hours = 00:00-24:00",
     .start = "2026-12-05T23:00:00Z",
     .end = "2026-12-06T00:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "work hours: across midnight",
     .policy = "schedule_only_during_work_hours = yes\nwork_days = AllDays\n"
               "work_hours = 00:00-24:00",
     .start = "2026-12-05T23:00:00Z",
     .end = "2026-12-06T01:00:00Z",
     .decision = POLICY_DECLINE,
     .text = {"from 2026-12-05 23:00 to 2026-12-06 01:00"}},
    {.name = "work hours Berlin: 08:00 CEST before the October change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2026-10-01T00:00:00Z",
     .start = "2026-10-23T06:00:00Z",
     .end = "2026-10-23T07:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "work hours Berlin: 06:00Z is 07:00 CET after the change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2026-10-01T00:00:00Z",
     .start = "2026-10-26T06:00:00Z",
     .end = "2026-10-26T07:00:00Z",
     .decision = POLICY_DECLINE,
     .text = {"from 07:00 to 08:00 on 2026-10-26 is outside the working hours Mon-Fri "
              "08:00-17:00 (Europe/Berlin)"}},
    {.name = "work hours Berlin: 07:00Z is 08:00 CET after the change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2026-10-01T00:00:00Z",
     .start = "2026-10-26T07:00:00Z",
     .end = "2026-10-26T08:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "work hours Berlin: a series at 08:00 local across October's change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2026-10-01T00:00:00Z",
     .start = "2026-10-19T06:00:00Z",
     .end = "2026-10-19T07:00:00Z",
     .occ = "2026-10-19T06:00:00Z/2026-10-19T07:00:00Z,2026-10-26T07:00:00Z/"
            "2026-10-26T08:00:00Z,2026-11-02T07:00:00Z/2026-11-02T08:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "work hours Berlin: a series fixed in UTC across October's change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2026-10-01T00:00:00Z",
     .start = "2026-10-19T06:00:00Z",
     .end = "2026-10-19T07:00:00Z",
     .occ = "2026-10-19T06:00:00Z/2026-10-19T07:00:00Z,2026-10-26T06:00:00Z/"
            "2026-10-26T07:00:00Z,2026-11-02T06:00:00Z/2026-11-02T07:00:00Z",
     .decision = POLICY_DECLINE,
     .text = {"2 occurrences are outside the working hours Mon-Fri 08:00-17:00 "
              "(Europe/Berlin): 2026-10-26, 2026-11-02"}},
    {.name = "work hours Berlin: 07:00Z is 08:00 CET before the March change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2027-03-01T00:00:00Z",
     .start = "2027-03-26T07:00:00Z",
     .end = "2027-03-26T08:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "work hours Berlin: 06:00Z is 08:00 CEST after the March change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2027-03-01T00:00:00Z",
     .start = "2027-03-29T06:00:00Z",
     .end = "2027-03-29T07:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "work hours Berlin: 05:30Z is 07:30 CEST after the March change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2027-03-01T00:00:00Z",
     .start = "2027-03-29T05:30:00Z",
     .end = "2027-03-29T06:30:00Z",
     .decision = POLICY_DECLINE,
     .text = {"from 07:30 to 08:30 on 2027-03-29"}},
    {.name = "work hours Berlin: 15:00Z is 17:00 CEST, after work",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2027-03-01T00:00:00Z",
     .start = "2027-03-29T15:00:00Z",
     .end = "2027-03-29T16:00:00Z",
     .decision = POLICY_DECLINE},
    {.name = "work hours Berlin: a series at 08:00 local across March's change",
     .policy = "schedule_only_during_work_hours = yes\ntime_zone = Europe/Berlin",
     .now = "2027-03-01T00:00:00Z",
     .start = "2027-03-22T07:00:00Z",
     .end = "2027-03-22T08:00:00Z",
     .occ = "2027-03-22T07:00:00Z/2027-03-22T08:00:00Z,2027-03-29T06:00:00Z/"
            "2027-03-29T07:00:00Z",
     .decision = POLICY_ACCEPT},

    /* ---- capacity ---- */
    {.name = "capacity: exactly full",
     .policy = "enforce_capacity = yes\ncapacity = 3",
     .required = 2,
     .optional = 1,
     .decision = POLICY_ACCEPT,
     .check = {CHK("capacity", PASS, "3 attendees, within the capacity of 3")}},
    {.name = "capacity: one too many",
     .policy = "enforce_capacity = yes\ncapacity = 3",
     .required = 3,
     .optional = 1,
     .decision = POLICY_DECLINE,
     .text = {"the room holds at most 3 people and the meeting has 4 attendees"}},
    {.name = "capacity: resources do not count",
     .policy = "enforce_capacity = yes\ncapacity = 3",
     .required = 3,
     .resources = 2,
     .decision = POLICY_ACCEPT},
    {.name = "capacity: not enforced",
     .policy = "capacity = 3",
     .required = 5,
     .decision = POLICY_ACCEPT},
    {.name = "capacity: unknown capacity",
     .policy = "enforce_capacity = yes",
     .required = 50,
     .decision = POLICY_ACCEPT,
     .check = {CHK("capacity", INFO, "not known")}},

    /* ---- who may book ---- */
    {.name = "all_book_in_policy = no and no lists",
     .policy = "all_book_in_policy = no",
     .decision = POLICY_DECLINE,
     .text = {"alice@example.com is not allowed to book this room"}},
    {.name = "book_in_policy by domain",
     .policy = "all_book_in_policy = no\nbook_in_policy = @example.com",
     .decision = POLICY_ACCEPT,
     .check = {CHK("who", PASS, "alice@example.com may book the room")}},
    {.name = "book_in_policy glob that does not match",
     .policy = "all_book_in_policy = no\nbook_in_policy = *@*.example.com",
     .decision = POLICY_DECLINE},
    /* BookInPolicy: "In delegate and principal scenarios, if the delegate or principal is
     * specified by the BookInPolicy parameter, in-policy meeting requests to the resource
     * mailbox are automatically approved." */
    {.name = "book_in_policy names the delegate who sent the request for the organizer",
     .policy = "all_book_in_policy = no\nbook_in_policy = dan@example.com",
     .sender = "dan@example.com",
     .decision = POLICY_ACCEPT,
     .check = {CHK("who", PASS,
                   "alice@example.com may book the room (through dan@example.com, who sent")}},
    {.name = "book_in_policy names the principal, the delegate sent the request",
     .policy = "all_book_in_policy = no\nbook_in_policy = alice@example.com",
     .sender = "dan@example.com",
     .decision = POLICY_ACCEPT,
     .check = {CHK("who", PASS, "alice@example.com may book the room")}},
    {.name = "a sender on no list does not help the organizer",
     .policy = "all_book_in_policy = no\nbook_in_policy = bob@example.com",
     .sender = "dan@example.com",
     .decision = POLICY_DECLINE,
     .text = {"alice@example.com is not allowed to book this room"}},
    {.name = "a delegate sender out of policy is still declined",
     .policy = "all_book_in_policy = no\nbook_in_policy = dan@example.com",
     .sender = "dan@example.com",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-05T00:00:00Z",
     .decision = POLICY_DECLINE,
     .text = {"bookings may be at most 1440 minutes"}},
    {.name = "request_in_policy: tentative, forwarded to the delegates",
     .policy = "all_book_in_policy = no\nrequest_in_policy = alice@example.com\n"
               "resource_delegates = boss@example.com",
     .decision = POLICY_TENTATIVE,
     .forward = true,
     .text = {"the request awaits the approval of the room's delegates and was forwarded"}},
    {.name = "request_in_policy without forwarding",
     .policy = "all_book_in_policy = no\nrequest_in_policy = alice@example.com\n"
               "resource_delegates = boss@example.com\nforward_requests_to_delegates = no",
     .decision = POLICY_TENTATIVE,
     .forward = false,
     .text = {"awaits the approval of the room's delegates"},
     .no_text = {"forwarded"}},
    {.name = "request_in_policy without tentative_pending_approval",
     .policy = "all_book_in_policy = no\nrequest_in_policy = alice@example.com\n"
               "resource_delegates = boss@example.com\ntentative_pending_approval = no",
     .decision = POLICY_IGNORE,
     .forward = true,
     .show_free = true,
     .text_null = true},
    {.name = "request_in_policy without delegates",
     .policy = "all_book_in_policy = no\nrequest_in_policy = alice@example.com",
     .decision = POLICY_TENTATIVE,
     .forward = false,
     .text = {"no delegates"}},
    {.name = "all_request_in_policy",
     .policy = "all_book_in_policy = no\nall_request_in_policy = yes\n"
               "resource_delegates = boss@example.com",
     .decision = POLICY_TENTATIVE,
     .forward = true},
    {.name = "out of policy, request_out_of_policy: held with the reasons",
     .policy = "request_out_of_policy = alice@example.com\nresource_delegates = boss@example.com",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-05T00:00:00Z",
     .decision = POLICY_TENTATIVE,
     .forward = true,
     .text = {"bookings may be at most 1440 minutes", "awaits the approval"},
     .text_ordered = true},
    {.name = "out of policy, all_request_out_of_policy",
     .policy = "all_request_out_of_policy = yes\nresource_delegates = boss@example.com",
     .start = "2026-12-05T00:00:00Z",
     .end = "2026-12-07T00:00:00Z",
     .decision = POLICY_TENTATIVE,
     .forward = true},
    {.name = "out of policy, may only book: declined",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-05T00:00:00Z",
     .decision = POLICY_DECLINE,
     .no_text = {"approval"}},
    {.name = "request_out_of_policy also requests in policy",
     .policy = "all_book_in_policy = no\nrequest_out_of_policy = alice@example.com",
     .decision = POLICY_TENTATIVE},
    {.name = "a delegate may always book",
     .policy = "all_book_in_policy = no\nresource_delegates = alice@example.com",
     .decision = POLICY_ACCEPT,
     .check = {CHK("who", PASS, "a delegate of the room")}},
    {.name = "a delegate out of policy is held for approval",
     .policy = "all_book_in_policy = no\nresource_delegates = alice@example.com",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-05T00:00:00Z",
     .decision = POLICY_TENTATIVE,
     .forward = true},
    {.name = "conflicts are never held for approval",
     .policy = "all_book_in_policy = no\nrequest_in_policy = alice@example.com\n"
               "request_out_of_policy = alice@example.com\n"
               "resource_delegates = boss@example.com",
     .cal = {BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .forward = false,
     .text = {"already booked"}},

    /* ---- external organizers ---- */
    {.name = "external organizers are not processed",
     .org_addr = "alice@partner.com",
     .decision = POLICY_IGNORE,
     .text_null = true,
     .check = {CHK("external", FAIL,
                   "alice@partner.com is outside the internal domains (example.com) and "
                   "external requests are not processed")}},
    {.name = "external organizers processed when asked",
     .policy = "process_external_meeting_messages = yes",
     .org_addr = "alice@partner.com",
     .decision = POLICY_ACCEPT,
     .check = {CHK("external", INFO, "external requests are processed")}},
    {.name = "internal_domains names more domains",
     .policy = "internal_domains = example.com, partner.com",
     .org_addr = "alice@PARTNER.com",
     .decision = POLICY_ACCEPT},
    {.name = "internal_domains replaces the mailbox's domain",
     .policy = "internal_domains = partner.com",
     .decision = POLICY_IGNORE},
    {.name = "a subdomain is external",
     .org_addr = "alice@sub.example.com",
     .decision = POLICY_IGNORE},
    {.name = "an organizer without address is external",
     .org_addr = "-",
     .decision = POLICY_IGNORE,
     .check = {CHK("external", FAIL, "Alice Example is outside the internal domains")}},

    /* ---- rules ---- */
    {.name = "rule: organizer, decline with a message",
     .rules = "[rule r1]\npolicy = p\norganizer = @example.com\naction = decline\n"
              "message = Not for you.\n",
     .decision = POLICY_DECLINE,
     .rule = "r1",
     .text = {"Not for you."},
     .check = {CHK("rule", FAIL, "rule r1 declines the request: Not for you.")}},
    {.name = "rule: decline without a message",
     .rules = "[rule r1]\npolicy = p\naction = decline\n",
     .decision = POLICY_DECLINE,
     .rule = "r1",
     .text = {"the request is declined by the room's booking rules (rule r1)"}},
    {.name = "rule: the message is said without details too",
     .policy = "enable_response_details = no",
     .rules = "[rule r1]\npolicy = p\naction = decline\nmessage = Not for you.\n",
     .decision = POLICY_DECLINE,
     .rule = "r1",
     .text = {"Not for you."},
     .no_text = {"rule r1"}},
    {.name = "rule: subject regex ignores",
     .rules = "[rule r1]\npolicy = p\nsubject = /^private/\naction = ignore\n",
     .subject = "Private chat",
     .decision = POLICY_IGNORE,
     .rule = "r1",
     .text_null = true},
    {.name = "rule: subject that does not match falls through",
     .rules = "[rule r1]\npolicy = p\nsubject = interview\naction = decline\n",
     .decision = POLICY_ACCEPT,
     .rule = NULL,
     .check = {CHK("rule", INFO, "no rule matches")}},
    {.name = "rule: min_duration matches",
     .rules = "[rule r1]\npolicy = p\nmin_duration = 2h\naction = decline\n",
     .end = "2026-12-03T12:00:00Z",
     .decision = POLICY_DECLINE,
     .rule = "r1"},
    {.name = "rule: min_duration does not match a minute less",
     .rules = "[rule r1]\npolicy = p\nmin_duration = 2h\naction = decline\n",
     .end = "2026-12-03T11:59:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "rule: max_duration books",
     .policy = "all_book_in_policy = no",
     .rules = "[rule r1]\npolicy = p\nmax_duration = 30m\naction = book\n",
     .end = "2026-12-03T10:30:00Z",
     .decision = POLICY_ACCEPT,
     .rule = "r1"},
    {.name = "rule: max_duration does not match a minute more",
     .policy = "all_book_in_policy = no",
     .rules = "[rule r1]\npolicy = p\nmax_duration = 30m\naction = book\n",
     .end = "2026-12-03T10:31:00Z",
     .decision = POLICY_DECLINE,
     .text = {"not allowed to book"}},
    {.name = "rule: days in the policy's time zone",
     .policy = "time_zone = Europe/Berlin",
     .rules = "[rule r1]\npolicy = p\ndays = Sat,Sun\naction = decline\n",
     .start = "2026-12-04T23:30:00Z", /* Friday in UTC, Saturday 00:30 in Berlin */
     .end = "2026-12-04T23:45:00Z",
     .decision = POLICY_DECLINE,
     .rule = "r1"},
    {.name = "rule: days that do not match",
     .policy = "time_zone = Europe/Berlin",
     .rules = "[rule r1]\npolicy = p\ndays = Sat,Sun\naction = decline\n",
     .start = "2026-12-04T10:00:00Z",
     .end = "2026-12-04T11:00:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "rule: hours match, request",
     .policy = "resource_delegates = boss@example.com",
     .rules = "[rule r1]\npolicy = p\nhours = 12:00-14:00\naction = request\n",
     .start = "2026-12-03T12:00:00Z",
     .end = "2026-12-03T14:00:00Z",
     .decision = POLICY_TENTATIVE,
     .forward = true,
     .rule = "r1"},
    {.name = "rule: hours do not match a meeting reaching past them",
     .policy = "resource_delegates = boss@example.com",
     .rules = "[rule r1]\npolicy = p\nhours = 12:00-14:00\naction = request\n",
     .start = "2026-12-03T13:30:00Z",
     .end = "2026-12-03T14:30:00Z",
     .decision = POLICY_ACCEPT},
    {.name = "rule: recurring = yes",
     .policy = "resource_delegates = boss@example.com",
     .rules = "[rule r1]\npolicy = p\nrecurring = yes\naction = request\n",
     .occ = "weekly:3",
     .decision = POLICY_TENTATIVE,
     .forward = true,
     .rule = "r1"},
    {.name = "rule: recurring = yes, a single meeting",
     .rules = "[rule r1]\npolicy = p\nrecurring = yes\naction = request\n",
     .decision = POLICY_ACCEPT},
    {.name = "rule: recurring = no",
     .rules = "[rule r1]\npolicy = p\nrecurring = no\naction = decline\n",
     .decision = POLICY_DECLINE,
     .rule = "r1"},
    {.name = "rule: min_attendees reached",
     .rules = "[rule r1]\npolicy = p\nmin_attendees = 5\naction = decline\n",
     .required = 4,
     .optional = 1,
     .decision = POLICY_DECLINE,
     .rule = "r1"},
    {.name = "rule: min_attendees not reached",
     .rules = "[rule r1]\npolicy = p\nmin_attendees = 5\naction = decline\n",
     .required = 4,
     .resources = 1,
     .decision = POLICY_ACCEPT},
    {.name = "rule: max_attendees",
     .policy = "all_book_in_policy = no",
     .rules = "[rule r1]\npolicy = p\nmax_attendees = 1\naction = book\n",
     .required = 1,
     .decision = POLICY_ACCEPT,
     .rule = "r1"},
    {.name = "rule: max_attendees exceeded",
     .policy = "all_book_in_policy = no",
     .rules = "[rule r1]\npolicy = p\nmax_attendees = 1\naction = book\n",
     .required = 2,
     .decision = POLICY_DECLINE},
    {.name = "rule: external = yes",
     .policy = "process_external_meeting_messages = yes",
     .rules = "[rule r1]\npolicy = p\nexternal = yes\naction = decline\n",
     .org_addr = "eve@partner.com",
     .decision = POLICY_DECLINE,
     .rule = "r1"},
    {.name = "rule: external = yes, an internal organizer",
     .policy = "process_external_meeting_messages = yes",
     .rules = "[rule r1]\npolicy = p\nexternal = yes\naction = decline\n",
     .decision = POLICY_ACCEPT},
    {.name = "rule: external = no books",
     .policy = "all_book_in_policy = no",
     .rules = "[rule r1]\npolicy = p\nexternal = no\naction = book\n",
     .decision = POLICY_ACCEPT,
     .rule = "r1"},
    {.name = "rule: organizer glob",
     .policy = "internal_domains = example.com, eng.example.com",
     .rules = "[rule r1]\npolicy = p\norganizer = *@*.example.com\naction = decline\n",
     .org_addr = "bob@eng.example.com",
     .decision = POLICY_DECLINE,
     .rule = "r1"},
    {.name = "rules: the first match decides",
     .rules = "[rule r1]\npolicy = p\nsubject = sync\naction = ignore\n"
              "[rule r2]\npolicy = p\naction = decline\n",
     .decision = POLICY_IGNORE,
     .rule = "r1"},
    {.name = "rules: the next rule when the first does not match",
     .rules = "[rule r1]\npolicy = p\nsubject = sync\naction = ignore\n"
              "[rule r2]\npolicy = p\naction = decline\n",
     .subject = "Budget",
     .decision = POLICY_DECLINE,
     .rule = "r2"},
    {.name = "rule book still meets conflicts",
     .rules = "[rule r1]\npolicy = p\naction = book\nmessage = Enjoy.\n",
     .cal = {BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .rule = "r1",
     .text = {"already booked"},
     .no_text = {"Enjoy."}},
    {.name = "rule book out of policy is declined",
     .rules = "[rule r1]\npolicy = p\naction = book\n",
     .start = "2026-12-03T00:00:00Z",
     .end = "2026-12-05T00:00:00Z",
     .decision = POLICY_DECLINE,
     .rule = "r1",
     .text = {"at most 1440 minutes"}},
    {.name = "rule book accepted with its message",
     .rules = "[rule r1]\npolicy = p\naction = book\nmessage = Enjoy.\n",
     .decision = POLICY_ACCEPT,
     .rule = "r1",
     .text = {"Enjoy."}},
    {.name = "rule request says its message",
     .rules = "[rule r1]\npolicy = p\naction = request\nmessage = A delegate will confirm.\n",
     .decision = POLICY_TENTATIVE,
     .rule = "r1",
     .text = {"awaits approval", "A delegate will confirm."},
     .text_ordered = true},

    /* ---- rewrite ---- */
    {.name = "rewrite: organizer's name before the kept subject",
     .policy = "delete_subject = no",
     .decision = POLICY_ACCEPT,
     .rw = true,
     .rw_needed = true,
     .rw_subject = "Alice Example - Team sync",
     .rw_body = true},
    {.name = "rewrite: subject deleted without the organizer",
     .policy = "add_organizer_to_subject = no",
     .decision = POLICY_ACCEPT,
     .rw = true,
     .rw_needed = true,
     .rw_subject = "",
     .rw_body = true},
    {.name = "rewrite: only the private flag and the attachments",
     .policy = "add_organizer_to_subject = no\ndelete_subject = no\ndelete_comments = no",
     .attachments = true,
     .sensitivity = "Private",
     .decision = POLICY_ACCEPT,
     .rw = true,
     .rw_needed = true,
     .rw_subject = NULL,
     .rw_public = true,
     .rw_attachments = true},
    {.name = "rewrite: all off",
     .policy = "add_organizer_to_subject = no\ndelete_subject = no\ndelete_comments = no\n"
               "remove_private_property = no\ndelete_attachments = no",
     .attachments = true,
     .sensitivity = "Private",
     .decision = POLICY_ACCEPT,
     .rw = true,
     .rw_needed = false},
    {.name = "rewrite: not private, no attachments, no body",
     .policy = "add_organizer_to_subject = no\ndelete_subject = no",
     .sensitivity = "Normal",
     .body = "",
     .decision = POLICY_ACCEPT,
     .rw = true,
     .rw_needed = false},
    {.name = "rewrite: the organizer's address when there is no name",
     .org_name = "-",
     .decision = POLICY_ACCEPT,
     .rw = true,
     .rw_needed = true,
     .rw_subject = "alice@example.com",
     .rw_body = true},
    {.name = "rewrite: the subject already is the organizer",
     .subject = "Alice Example",
     .body = "",
     .decision = POLICY_ACCEPT,
     .rw = true,
     .rw_needed = false},

    /* ---- answer texts ---- */
    {.name = "text: without details only the additional response",
     .policy = "enable_response_details = no\nadd_additional_response = yes\n"
               "additional_response = Contact the front desk.",
     .cal = {BUSY(START, END)},
     .decision = POLICY_DECLINE,
     .text = {"Contact the front desk."},
     .no_text = {"already booked"}},
    /* The accept still carries its reasons: EnableResponseDetails, "The reasons for accepting
     * or declining a meeting are included in the response message." */
    {.name = "text: additional_response needs add_additional_response",
     .policy = "additional_response = Contact the front desk.",
     .decision = POLICY_ACCEPT,
     .text = {"no conflict with existing bookings"},
     .no_text = {"Contact the front desk."}},
    {.name = "text: reasons, additional response, response_message in order",
     .policy = "add_additional_response = yes\nadditional_response = Contact the front desk.\n"
               "response_message = Room 1 team.\nschedule_only_during_work_hours = yes",
     .start = "2026-12-05T10:00:00Z",
     .end = "2026-12-05T11:00:00Z",
     .cal = {BUSY("2026-12-05T10:00:00Z", "2026-12-05T11:00:00Z")},
     .decision = POLICY_DECLINE,
     .text = {"outside the working hours", "already booked", "Contact the front desk.",
              "Room 1 team."},
     .text_ordered = true},
    /* EnableResponseDetails: "The reasons for accepting or declining a meeting are included
     * in the response message." - the reasons first, then the additional response. */
    {.name = "text: an accepted request says its reasons and the additional response",
     .policy = "add_additional_response = yes\nadditional_response = Keys at the desk.",
     .decision = POLICY_ACCEPT,
     .text = {"within the 180-day booking window", "Keys at the desk."},
     .text_ordered = true},
    {.name = "text: an accept without details says nothing",
     .policy = "enable_response_details = no",
     .decision = POLICY_ACCEPT,
     .text_null = true},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* ---- helpers ---------------------------------------------------------------------------- */

static time_t t_of(const char *s)
{
    time_t t = 0;
    if (util_parse_time(s, &t) != 0)
        fail_msg("bad time in a test case: %s", s);
    return t;
}

static const char *or_default(const char *v, const char *def)
{
    return v ? v : def;
}

/* NULL for "-", else the value or its default. */
static const char *opt(const char *v, const char *def)
{
    if (v && strcmp(v, "-") == 0)
        return NULL;
    return v ? v : def;
}

static struct conf *load_policy(const struct pcase *c)
{
    const char *pol = c->policy ? c->policy : "";
    const char *tz = strstr(pol, "time_zone") ? "" : "time_zone = UTC\n";
    char *text = xasprintf("[server]\nurl = https://ex.example.com/EWS/Exchange.asmx\n\n"
                           "[policy p]\n%s%s\n\n%s",
                           tz, pol, c->rules ? c->rules : "");
    const char *base = getenv("TMPDIR");
    char *path = xasprintf("%s/test_policy.XXXXXX", base && *base ? base : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    struct conf_error err;
    struct conf *conf = conf_load(path, &err);
    unlink(path);
    free(path);
    free(text);
    if (conf == NULL)
        fail_msg("%s: configuration rejected: line %u: %s", c->name, err.line, err.message);
    return conf;
}

/* Parses "weekly:N" or "S/E,S/E" into occurrences (caller frees). */
static struct policy_occurrence *parse_occ(const char *spec, time_t start, time_t end, size_t *n)
{
    struct policy_occurrence *occ = NULL;
    *n = 0;
    if (strncmp(spec, "weekly:", 7) == 0) {
        size_t count = (size_t)atoi(spec + 7);
        occ = xcalloc(count ? count : 1, sizeof(*occ));
        for (size_t i = 0; i < count; i++)
            occ[i] = (struct policy_occurrence){start + (time_t)i * 7 * 86400,
                                                end + (time_t)i * 7 * 86400};
        *n = count;
        return occ;
    }
    char *copy = xstrdup(spec), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *slash = strchr(tok, '/');
        assert_non_null(slash);
        *slash = '\0';
        occ = xreallocarray(occ, *n + 1, sizeof(*occ));
        occ[(*n)++] = (struct policy_occurrence){t_of(tok), t_of(slash + 1)};
    }
    free(copy);
    return occ;
}

struct fixture {
    struct conf *conf;
    struct item req;
    struct item *cal[MAX_CAL];
    size_t n_cal;
    struct policy_occurrence *occ;
    size_t n_occ;
    struct policy_context ctx;
};

static void build(const struct pcase *c, struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->conf = load_policy(c);
    struct item *r = &f->req;
    item_init(r);
    r->kind = ITEM_MEETING_REQUEST;
    r->subject = xstrdup(or_default(c->subject, "Team sync"));
    r->body = xstrdup(or_default(c->body, "Agenda"));
    r->uid = xstrdup(REQ_UID);
    r->sensitivity = xstrdup(or_default(c->sensitivity, "Normal"));
    r->has_attachments = c->attachments;
    const char *name = opt(c->org_name, "Alice Example");
    const char *addr = opt(c->org_addr, "alice@example.com");
    r->organizer.name = name ? xstrdup(name) : NULL;
    r->organizer.address = addr ? xstrdup(addr) : NULL;
    r->sender.address = c->sender ? xstrdup(c->sender) : NULL;
    r->start = t_of(or_default(c->start, START));
    r->end = t_of(or_default(c->end, END));
    for (unsigned i = 0; i < c->required; i++)
        item_add_attendee(r, ROLE_REQUIRED, NULL, "req@example.com", RESPONSE_UNKNOWN);
    for (unsigned i = 0; i < c->optional; i++)
        item_add_attendee(r, ROLE_OPTIONAL, NULL, "opt@example.com", RESPONSE_UNKNOWN);
    for (unsigned i = 0; i < c->resources; i++)
        item_add_attendee(r, ROLE_RESOURCE, NULL, "res@example.com", RESPONSE_UNKNOWN);

    /* The request's own occurrences, as the mailbox gathers them: from the calendar, or
     * the request's own start and end when none were found. */
    if (c->occ) {
        f->occ = parse_occ(c->occ, r->start, r->end, &f->n_occ);
    } else {
        f->occ = xcalloc(1, sizeof(*f->occ));
        f->occ[0] = (struct policy_occurrence){r->start, r->end};
        f->n_occ = 1;
    }
    f->ctx.series_end_known = true;
    f->ctx.series_end = r->end;
    if (c->occ || c->range) {
        r->is_recurring = true;
        r->recurrence = xcalloc(1, sizeof(*r->recurrence));
        struct item_recurrence *rec = r->recurrence;
        struct tm tm;
        gmtime_r(&r->start, &tm);
        rec->pattern = REC_WEEKLY;
        rec->interval = 1;
        rec->days_of_week = 1u << tm.tm_wday;
        strftime(rec->start_date, sizeof(rec->start_date), "%Y-%m-%d", &tm);
        const char *range = c->range;
        char last[11];
        if (range == NULL) {
            time_t last_start = f->occ[f->n_occ - 1].start;
            gmtime_r(&last_start, &tm);
            strftime(last, sizeof(last), "%Y-%m-%d", &tm);
        }
        if (range && strcmp(range, "noend") == 0) {
            rec->range = REC_RANGE_NO_END;
            f->ctx.series_end = 0;
        } else if (range && strncmp(range, "num:", 4) == 0) {
            rec->range = REC_RANGE_NUMBERED;
            rec->number_of_occurrences = atoi(range + 4);
            f->ctx.series_end_known = f->n_occ >= (size_t)rec->number_of_occurrences;
            f->ctx.series_end = f->ctx.series_end_known ? f->occ[f->n_occ - 1].end : 0;
        } else {
            rec->range = REC_RANGE_END_DATE;
            snprintf(rec->end_date, sizeof(rec->end_date), "%s", range ? range + 4 : last);
            char *midnight = xasprintf("%sT00:00:00Z", rec->end_date);
            f->ctx.series_end = t_of(midnight) + 86400;
            free(midnight);
        }
    }

    for (size_t i = 0; i < MAX_CAL && c->cal[i].start; i++) {
        const struct cal_spec *s = &c->cal[i];
        struct item *it = item_new();
        it->kind = ITEM_CALENDAR;
        it->start = t_of(s->start);
        it->end = t_of(s->end);
        it->uid = s->uid ? xstrdup(s->uid) : xasprintf("other-uid-%zu", i);
        it->subject = xstrdup("Other meeting");
        assert_int_equal(item_free_busy_from_string(s->fb ? s->fb : "Busy", &it->legacy_free_busy),
                         0);
        it->is_cancelled = s->cancelled;
        it->my_response = s->unanswered ? RESPONSE_NO_RESPONSE_RECEIVED : RESPONSE_ACCEPT;
        const char *oname = opt(s->org_name, "Bob Builder");
        const char *oaddr = opt(s->org_addr, "bob@example.com");
        it->organizer.name = oname ? xstrdup(oname) : NULL;
        it->organizer.address = oaddr ? xstrdup(oaddr) : NULL;
        f->cal[f->n_cal++] = it;
    }
    f->ctx.mailbox_address = c->person ? "bob@example.com" : "room1@example.com";
    f->ctx.kind = c->person      ? CONF_KIND_PERSON
                  : c->equipment ? CONF_KIND_EQUIPMENT
                                 : CONF_KIND_ROOM;
    f->ctx.now = t_of(or_default(c->now, NOW));
    f->ctx.calendar = (const struct item *const *)f->cal;
    f->ctx.n_calendar = f->n_cal;
    f->ctx.occurrences = f->occ;
    f->ctx.n_occurrences = f->n_occ;
}

static void destroy(struct fixture *f)
{
    item_clear(&f->req);
    for (size_t i = 0; i < f->n_cal; i++)
        item_free(f->cal[i]);
    free(f->occ);
    conf_free(f->conf);
}

static char *dump(const struct policy_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    fprintf(out, "decision %s, rule %s, forward %d, declined %zu\n",
            policy_decision_name(r->decision), r->rule ? r->rule : "-", r->forward_to_delegates,
            r->n_declined_occurrences);
    for (size_t i = 0; i < r->n_checks; i++)
        fprintf(out, "  [%s/%d] %s\n", r->checks[i].name, r->checks[i].outcome,
                r->checks[i].reason);
    fprintf(out, "text: %s\n", r->response_text ? r->response_text : "(null)");
    fclose(out);
    return buf;
}

static bool has_check(const struct policy_result *r, const struct check_spec *want)
{
    for (size_t i = 0; i < r->n_checks; i++)
        if (strcmp(r->checks[i].name, want->name) == 0 && r->checks[i].outcome == want->outcome &&
            strstr(r->checks[i].reason, want->reason) != NULL)
            return true;
    return false;
}

static void expect(bool ok, const struct pcase *c, const struct policy_result *r, const char *what)
{
    if (ok)
        return;
    char *d = dump(r);
    print_error("case \"%s\": %s\n%s", c->name, what, d);
    free(d);
    fail();
}

/* ---- the table -------------------------------------------------------------------------- */

static void run_case(void **state)
{
    const struct pcase *c = *state;
    struct fixture f;
    build(c, &f);
    const struct conf_policy *pol = conf_find_policy(f.conf, "p");
    assert_non_null(pol);
    struct policy_result r;
    policy_decide(pol, &f.req, &f.ctx, &r);

    if (getenv("POLICY_TEST_DUMP")) { /* to read every decision while editing cases */
        char *d = dump(&r);
        print_message("%s\n", d);
        free(d);
    }
    expect(r.decision == c->decision, c, &r, "decision");
    const char *text = r.response_text;
    if (c->text_null)
        expect(text == NULL, c, &r, "text should be NULL");
    const char *from = text;
    for (size_t i = 0; i < 4 && c->text[i]; i++) {
        const char *at = text ? strstr(c->text_ordered ? from : text, c->text[i]) : NULL;
        char *what =
            xasprintf("text lacks \"%s\"%s", c->text[i], c->text_ordered ? " (in order)" : "");
        expect(at != NULL, c, &r, what);
        free(what);
        if (at)
            from = at + strlen(c->text[i]);
    }
    for (size_t i = 0; i < 2 && c->no_text[i]; i++) {
        char *what = xasprintf("text has \"%s\"", c->no_text[i]);
        expect(text == NULL || strstr(text, c->no_text[i]) == NULL, c, &r, what);
        free(what);
    }
    for (size_t i = 0; i < 3 && c->check[i].name; i++) {
        char *what = xasprintf("no check %s/%d \"%s\"", c->check[i].name, c->check[i].outcome,
                               c->check[i].reason);
        expect(has_check(&r, &c->check[i]), c, &r, what);
        free(what);
    }
    if (c->rule)
        expect(r.rule && strcmp(r.rule, c->rule) == 0, c, &r, "rule");
    else
        expect(r.rule == NULL, c, &r, "no rule should match");
    expect(r.forward_to_delegates == c->forward, c, &r, "forward_to_delegates");
    expect(r.show_free == c->show_free, c, &r, "show_free");
    expect(r.n_declined_occurrences == c->n_declined, c, &r, "number of declined occurrences");
    for (size_t i = 0; i < 3 && c->declined[i]; i++)
        expect(i < r.n_declined_occurrences && r.declined_occurrences[i] == t_of(c->declined[i]), c,
               &r, "declined occurrence");
    if (r.decision != POLICY_ACCEPT)
        expect(!r.rewrite.needed, c, &r, "rewrite outside an accept");
    if (c->rw) {
        expect(r.rewrite.needed == c->rw_needed, c, &r, "rewrite.needed");
        if (c->rw_subject)
            expect(r.rewrite.subject && strcmp(r.rewrite.subject, c->rw_subject) == 0, c, &r,
                   "rewrite.subject");
        else
            expect(r.rewrite.subject == NULL, c, &r, "rewrite.subject should be NULL");
        expect(r.rewrite.clear_body == c->rw_body, c, &r, "rewrite.clear_body");
        expect(r.rewrite.make_public == c->rw_public, c, &r, "rewrite.make_public");
        expect(r.rewrite.delete_attachments == c->rw_attachments, c, &r,
               "rewrite.delete_attachments");
    }
    /* Every decision explains itself. */
    expect(r.n_checks > 0, c, &r, "no checks recorded");
    if (r.decision == POLICY_DECLINE) {
        bool failed = false;
        for (size_t i = 0; i < r.n_checks; i++)
            failed |= r.checks[i].outcome == POLICY_CHECK_FAIL;
        expect(failed, c, &r, "a decline without a failed check");
    }
    policy_result_clear(&r);
    destroy(&f);
}

/* ---- the rest of the API ---------------------------------------------------------------- */

static const struct conf_policy *policy_from(struct conf **conf, const char *keys)
{
    struct pcase c = {.name = "helper", .policy = keys};
    *conf = load_policy(&c);
    const struct conf_policy *p = conf_find_policy(*conf, "p");
    assert_non_null(p);
    return p;
}

static void test_needs_calendar(void **state)
{
    (void)state;
    static const struct {
        const char *keys;
        bool needs;
    } t[] = {
        {"automate = auto_accept", true},  {"automate = auto_accept\nallow_conflicts = yes", true},
        {"automate = auto_update", false}, {"automate = none", false},
        {"automate = accept", false},      {"automate = tentative", false},
        {"automate = decline", false},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct conf *conf;
        const struct conf_policy *p = policy_from(&conf, t[i].keys);
        assert_int_equal(policy_needs_calendar(p), t[i].needs);
        conf_free(conf);
    }
}

static void test_window_end(void **state)
{
    (void)state;
    struct conf *conf;
    const struct conf_policy *p = policy_from(&conf, "booking_window_days = 180");
    assert_int_equal(policy_booking_window_end(p, t_of(NOW)), t_of("2027-05-30T00:00:00Z"));
    conf_free(conf);
    p = policy_from(&conf, "booking_window_days = 180\ntime_zone = Europe/Berlin");
    /* Local midnight ending 2027-05-29 in Berlin, in summer time. */
    assert_int_equal(policy_booking_window_end(p, t_of(NOW)), t_of("2027-05-29T22:00:00Z"));
    conf_free(conf);
    p = policy_from(&conf, "booking_window_days = 0\ntime_zone = Europe/Berlin");
    /* 23:30Z on Nov 30 is already Dec 1 in Berlin: the window is that day. */
    assert_int_equal(policy_booking_window_end(p, t_of("2026-11-30T23:30:00Z")),
                     t_of("2026-12-01T23:00:00Z"));
    conf_free(conf);
}

/* The process's TZ is the same after a decision as before, set or not. */
static void test_tz_restored(void **state)
{
    (void)state;
    struct pcase c = {.name = "tz", .policy = "time_zone = Europe/Berlin"};
    static const char *const before[] = {NULL, "America/New_York"};
    for (size_t i = 0; i < 2; i++) {
        if (before[i])
            setenv("TZ", before[i], 1);
        else
            unsetenv("TZ");
        tzset();
        struct fixture f;
        build(&c, &f);
        struct policy_result r;
        policy_decide(conf_find_policy(f.conf, "p"), &f.req, &f.ctx, &r);
        const char *now = getenv("TZ");
        if (before[i])
            assert_string_equal(now, before[i]);
        else
            assert_null(now);
        /* localtime follows the restored zone again. */
        time_t t = t_of("2026-07-01T12:00:00Z");
        struct tm tm;
        localtime_r(&t, &tm);
        assert_int_equal(tm.tm_hour, before[i] ? 8 : 12);
        policy_result_clear(&r);
        destroy(&f);
    }
    unsetenv("TZ");
    tzset();
}

static void test_format_days(void **state)
{
    (void)state;
    static const struct {
        unsigned days;
        const char *text;
    } t[] = {
        {CONF_DAYS_WEEKDAYS, "Mon-Fri"},
        {CONF_DAY(6) | CONF_DAY(0), "Sat, Sun"},
        {CONF_DAY(1) | CONF_DAY(3) | CONF_DAY(5), "Mon, Wed, Fri"},
        {CONF_DAYS_ALL, "Mon-Sun"},
        {CONF_DAY(0), "Sun"},
        {CONF_DAYS_WEEKDAYS | CONF_DAY(0), "Mon-Fri, Sun"},
        {0, ""},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char buf[64];
        policy_time_format_days(t[i].days, buf, sizeof(buf));
        assert_string_equal(buf, t[i].text);
    }
    char hours[16];
    policy_time_format_hours(8 * 60, 24 * 60, hours, sizeof(hours));
    assert_string_equal(hours, "08:00-24:00");
}

static void test_result_helpers(void **state)
{
    (void)state;
    assert_string_equal(policy_decision_name(POLICY_ACCEPT), "accept");
    assert_string_equal(policy_decision_name(POLICY_TENTATIVE), "tentative");
    assert_string_equal(policy_decision_name(POLICY_DECLINE), "decline");
    assert_string_equal(policy_decision_name(POLICY_IGNORE), "ignore");

    /* Two failed checks are joined; passes are left out. */
    struct pcase c = {.name = "reasons",
                      .policy = "max_duration_minutes = 30\nschedule_only_during_work_hours = yes",
                      .start = "2026-12-05T10:00:00Z",
                      .end = "2026-12-05T11:00:00Z"};
    struct fixture f;
    build(&c, &f);
    struct policy_result r;
    policy_decide(conf_find_policy(f.conf, "p"), &f.req, &f.ctx, &r);
    assert_int_equal(r.decision, POLICY_DECLINE);
    char *reasons = policy_result_reasons_text(&r);
    assert_non_null(strstr(reasons, "bookings may be at most 30 minutes (this meeting lasts 60 "
                                    "minutes); the meeting from 10:00 to 11:00 on 2026-12-05 is "
                                    "outside the working hours"));
    assert_null(strstr(reasons, "booking window"));
    free(reasons);
    /* Each reason on its own line in the answer. */
    assert_non_null(strstr(r.response_text, "(this meeting lasts 60 minutes)\nthe meeting from"));
    policy_result_clear(&r);
    assert_null(r.checks);
    assert_int_equal(r.n_checks, 0);
    assert_null(r.response_text);
    destroy(&f);
}

int main(void)
{
    /* The host's zone must not leak into cases that name none. */
    unsetenv("TZ");
    tzset();
    struct CMUnitTest *tests = xcalloc(N_CASES + 5, sizeof(*tests));
    size_t n = 0;
    for (size_t i = 0; i < N_CASES; i++)
        tests[n++] = (struct CMUnitTest){
            .name = cases[i].name, .test_func = run_case, .initial_state = (void *)&cases[i]};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_needs_calendar);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_window_end);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_tz_restored);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_format_days);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_result_helpers);
    int rc = _cmocka_run_group_tests("policy", tests, n, NULL, NULL);
    free(tests);
    return rc;
}
