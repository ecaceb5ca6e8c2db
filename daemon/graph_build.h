/*
 * graph_build: the URLs and JSON bodies meetingd sends to Microsoft Graph.
 *
 * URLs are absolute (graph_url is the configured base, e.g. https://graph.microsoft.com/v1.0,
 * without a trailing slash); mailbox addresses and ids are percent-encoded as path segments.
 * Bodies are compact JSON with Graph's camelCase names. Every function returns a heap string
 * the caller frees; the body builders return NULL where said and whenever a string they are
 * given is not valid UTF-8.
 */
#ifndef MEETINGD_GRAPH_BUILD_H
#define MEETINGD_GRAPH_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The answers Graph has an action for. */
enum graph_answer {
    GRAPH_ACCEPT,
    GRAPH_TENTATIVE,
    GRAPH_DECLINE,
};

/* Percent-encode s for use as one path segment (RFC 3986 unreserved and '@' kept). */
char *graph_escape_segment(const char *s);

/* First delta request of the Inbox, with the event expanded. */
char *graph_url_inbox_delta(const char *graph_url, const char *mailbox);
/* /users/{mailbox}/events/{id} */
char *graph_url_event(const char *graph_url, const char *mailbox, const char *event_id);
/* /users/{mailbox}/events/{id}/accept | tentativelyAccept | decline */
char *graph_url_answer(const char *graph_url, const char *mailbox, const char *event_id,
                       enum graph_answer answer);
/* /users/{mailbox}/messages/{id} and .../forward */
char *graph_url_message(const char *graph_url, const char *mailbox, const char *message_id);
char *graph_url_forward(const char *graph_url, const char *mailbox, const char *message_id);
/* /users/{mailbox}/calendar/calendarView?startDateTime=..&endDateTime=.. (UTC) */
char *graph_url_calendar_view(const char *graph_url, const char *mailbox, time_t start, time_t end);
/* /users/{mailbox}/calendar/getSchedule */
char *graph_url_get_schedule(const char *graph_url, const char *mailbox);

/* The action name Graph uses for an answer ("accept", "tentativelyAccept", "decline"). */
const char *graph_answer_action(enum graph_answer answer);

/* {"comment": ..., "sendResponse": ...}; comment NULL leaves it out. */
char *graph_body_answer(const char *comment, bool send_response);
/* PATCH of an event: only the non-NULL members; sensitivity in EWS or Graph spelling
 * ("Private" or "private"). NULL if there is nothing to change or sensitivity is unknown. */
char *graph_body_patch(const char *subject, const char *body_text, const char *sensitivity);
/* {"comment": ..., "toRecipients": [{"emailAddress": {"address": ...}}, ...]}; NULL if n is 0. */
char *graph_body_forward(const char *comment, const char *const *addresses, size_t n);
/* getSchedule for 1..20 mailboxes over [start, end) (UTC); NULL if n is out of range. */
char *graph_body_get_schedule(const char *const *addresses, size_t n, time_t start, time_t end,
                              int interval_minutes);

/* One request of a $batch: url relative to graph_url ("/users/..."), body JSON or NULL. */
struct graph_batch_request {
    const char *method;
    const char *url;
    const char *body;
};

#define GRAPH_BATCH_MAX 20

/* {"requests": [{"id": "1", ...}, ...]} with ids "1".."n" in order; NULL if n is 0, over
 * GRAPH_BATCH_MAX, or a body is not JSON. */
char *graph_body_batch(const struct graph_batch_request *requests, size_t n);

#endif
