/*
 * policy_decider: the state of one decision in the making, shared by policy.c (the WHO stage
 * and the decision itself) and policy_checks.c (the WHEN stage: window, horizon, recurrence,
 * duration, work hours, capacity, conflicts). Internal to the policy module.
 */
#ifndef MEETINGD_POLICY_DECIDER_H
#define MEETINGD_POLICY_DECIDER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
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
    bool person;         /* a person's mailbox: first person, never a rewrite */
    enum conf_text text; /* the opening sentence a decline or tentative answer asks for */

    /* A series accepted with conflicting occurrences: what to decline and say. */
    time_t *conflict_starts;
    size_t n_conflict_starts;
    size_t tell_on_accept_from, tell_on_accept_to; /* check indices [from, to) */
};

/* Records a check; TELL: its reason is also said in the answer (when details are on).
 * Returns the check's index. */
size_t decider_add_check(struct decider *d, const char *name, enum policy_outcome outcome,
                         bool tell, const char *fmt, ...) UTIL_PRINTF(5, 6);

/* Sets the organizer's sentence of check IDX (the reason stays the technical one). */
void decider_set_text(struct decider *d, size_t idx, const char *fmt, ...) UTIL_PRINTF(3, 4);

/* The opening sentence of D's answer (policy_text.c), caller frees; NULL for none. */
char *policy_text_opening(const struct decider *d);

/* Gives the told checks of an equipment mailbox texts that say "equipment" where the
 * reasons, written for rooms, say "room" (policy_text.c). */
void policy_text_for_kind(struct decider *d);

/* The WHEN stage (policy_checks.c): each adds its check and returns whether it passed. */
bool decider_check_window(struct decider *d);
bool decider_check_horizon(struct decider *d);
bool decider_check_recurrence(struct decider *d);
bool decider_check_duration(struct decider *d);
bool decider_check_work_hours(struct decider *d);
bool decider_check_capacity(struct decider *d);
bool decider_check_conflicts(struct decider *d);

/* ---- small helpers ---------------------------------------------------------------------- */

static inline bool nonempty(const char *s)
{
    return s != NULL && *s != '\0';
}

/* Appends S to a growing text, with SEP between parts. */
static inline void append(char **text, const char *sep, const char *s)
{
    char *next = *text ? xasprintf("%s%s%s", *text, sep, s) : xstrdup(s);
    free(*text);
    *text = next;
}

static inline const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static inline size_t count_attendees(const struct item *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_attendees; i++)
        if (req->attendees[i].role != ROLE_RESOURCE)
            n++;
    return n;
}

/* How an answer names a calendar item's organizer: the name, else the address. */
static inline const char *display_of(const struct item_mailbox *mb)
{
    if (nonempty(mb->name))
        return mb->name;
    if (nonempty(mb->address))
        return mb->address;
    return NULL;
}

static inline const char *zone_label(const struct decider *d)
{
    return d->pol->time_zone ? d->pol->time_zone : "the host's time zone";
}

#endif
