/*
 * graph_backend: the backend operations (backend.h) as Microsoft Graph requests, for
 * Exchange Online mailboxes ([server] protocol = graph).
 *
 * - find: the Inbox message delta query ($expand of the event), its state kept by
 *   graph_delta; every meeting request and cancellation the Inbox holds is handed on, and the
 *   ledger says which are done. An expired deltaLink (410 syncStateNotFound, resyncRequired)
 *   starts the round over from scratch within the same find.
 * - fetch: the messages with their events, 20 to a $batch; the message -> event pairs are
 *   kept for the answers of the same poll.
 * - respond: POST events/{id}/accept | tentativelyAccept | decline with the comment and
 *   sendResponse (an occurrence's id answers that occurrence only); a cancellation removes the
 *   attendee's event (DELETE) and then the cancellation message.
 * - calendar_view: calendar/calendarView (series expanded by the server), every page;
 *   verify: the event's responseStatus; rewrite: PATCH; forward: messages/{id}/forward (or
 *   events/{id}/forward); remove: DELETE of the messages (to Deleted Items).
 * Pages are followed through @odata.nextLink, whole, and only on graph_url: a link elsewhere
 * would carry the token to another host. HTTP 429 is BACKEND_BUSY and 503 BACKEND_SERVER,
 * both with Retry-After as retry_ms; Graph charges its limits per app and mailbox, which is
 * the budget key.
 */
#ifndef MEETINGD_GRAPH_BACKEND_H
#define MEETINGD_GRAPH_BACKEND_H

#include "backend.h"
#include "conf.h"

/* The backend of mailbox CM under CONF (protocol = graph); HTTP is the struct http_client.
 * Its delta state lives in CONF's state_dir as NAME.graph-delta. */
struct backend *graph_backend_open(const struct conf *conf, const struct conf_mailbox *cm,
                                   void *http);

/* The backend of CM by CONF's protocol (mailbox_env.open_backend). */
struct backend *backend_open_by_protocol(const struct conf *conf, const struct conf_mailbox *cm,
                                         void *http);

#endif
