/*
 * graph_parse: Microsoft Graph JSON (events, event messages, collection and delta pages,
 * error bodies) into the same struct item the EWS parser fills.
 *
 * Graph names differ from EWS's; the mapping keeps EWS's meaning so that the mailbox and
 * policy layers need not know which protocol delivered an item:
 * - an eventMessage's kind comes from meetingMessageType (meetingRequest, meetingCancelled,
 *   meetingAccepted, ...) and, without one, from @odata.type; item_class is the EWS class
 *   the same message has in Exchange ("IPM.Schedule.Meeting.Request", ...);
 * - the event expanded into a message ($expand=microsoft.graph.eventMessage/event) gives uid
 *   (iCalUId), organizer, attendees, recurrence, my_response (responseStatus), free/busy
 *   (showAs), is_cancelled, sensitivity, and its id becomes associated_calendar_item_id;
 * - enum values are written the EWS way ("newMeetingRequest" -> "NewMeetingRequest",
 *   "private" -> "Private").
 * Times must be UTC: meetingd asks for them with Prefer: outlook.timezone="UTC"; a
 * dateTimeTimeZone in any other zone makes the item invalid rather than wrong.
 *
 * An entry of a page that cannot be mapped (not an object, no id, a bad time) is counted in
 * n_invalid and skipped, so one hostile item never hides the others.
 */
#ifndef MEETINGD_GRAPH_PARSE_H
#define MEETINGD_GRAPH_PARSE_H

#include <stddef.h>

#include "item.h"

/* What the entries of a collection are. */
enum graph_entity {
    GRAPH_MESSAGES,
    GRAPH_EVENTS,
};

/* One page of a collection or of a delta round. */
struct graph_page {
    struct item *items; /* in wire order; item_array_free() */
    size_t n_items;
    char **removed; /* ids of entries carrying "@removed" (delta only) */
    size_t n_removed;
    size_t n_invalid; /* entries skipped because they could not be mapped */
    char *next_link;  /* @odata.nextLink or NULL: fetch it, whole, for the next page */
    char *delta_link; /* @odata.deltaLink or NULL: the round is complete */
};

/* A Graph error body {"error": {"code", "message"}}. */
struct graph_error {
    char *code;    /* NULL when the body was not a Graph error */
    char *message; /* NULL when absent */
};

/* Parse a collection page. Returns 0, or -1 with a message in err (a body that is not JSON,
 * or not an object with a "value" array). *out is initialised either way; release it with
 * graph_page_clear(). */
int graph_parse_page(const char *json, size_t len, enum graph_entity what, struct graph_page *out,
                     char *err, size_t errlen);
void graph_page_clear(struct graph_page *page);

/* Parse one event or one message into *out (initialised either way; item_clear() it). */
int graph_parse_event(const char *json, size_t len, struct item *out, char *err, size_t errlen);
int graph_parse_message(const char *json, size_t len, struct item *out, char *err, size_t errlen);

/* Parse an error body; never fails (a body that is not one leaves both fields NULL). */
void graph_parse_error(const char *json, size_t len, struct graph_error *out);
void graph_error_clear(struct graph_error *e);

/* One answer of a $batch: the inner request's status, its Retry-After (ms, 0 when absent)
 * and its body as JSON text (NULL when there is none). */
struct graph_batch_reply {
    long status; /* 0 when the batch answer left this request out */
    unsigned retry_ms;
    char *body;
};

/* Parse a $batch answer to N requests with ids "1".."N" (graph_body_batch) into OUT[N], by
 * id, whatever the order of the responses. Returns 0, or -1 with ERR filled in (not JSON,
 * no responses array); OUT is initialised either way (graph_batch_replies_clear). */
int graph_parse_batch(const char *json, size_t len, size_t n, struct graph_batch_reply *out,
                      char *err, size_t errlen);
void graph_batch_replies_clear(struct graph_batch_reply *replies, size_t n);

/* The attachment ids of an event read with $expand=attachments($select=id), appended to
 * OUT->attachment_ids; -1 when it has attachments but the answer does not list them. */
int graph_parse_attachment_ids(const char *json, size_t len, struct item *out, char *err,
                               size_t errlen);

#endif
