/*
 * approvals: the requests of one mailbox held for a delegate's approval, until they are
 * settled (approved, rejected, timed out, gone). Held requests stay for days, past the
 * polls that held them and past restarts, so they are kept in a file of their own beside the
 * ledger (STATE_DIR/NAME.approvals), created when the first request is held:
 *
 *   held <unix-time> <request-id> <calendar-item-id or -> <uid> <start> <end>
 *   settled <unix-time> <request-id> <how>
 *
 * Appends are written in one write() and made durable with fdatasync() before the call
 * returns; a failed append is cut back. Loading skips malformed lines (with a warning). The
 * answer that settles a request goes through the ledger (intent, then done), as every answer.
 */
#ifndef MEETINGD_APPROVALS_H
#define MEETINGD_APPROVALS_H

#include <stddef.h>
#include <time.h>

struct held_request {
    char *request_id;  /* the meeting request in the room's Inbox when it was held */
    char *calendar_id; /* the room's calendar item for it, NULL if unknown */
    char *uid;         /* the meeting's UID: how a delegate's answer is recognised */
    time_t start, end; /* the meeting's (its first occurrence's): where to find its item */
    time_t held_at;
};

struct approvals;

/* Opens PATH (it need not exist) and loads what is held. NULL with ERR on failure. */
struct approvals *approvals_open(const char *path, char *err, size_t errlen);
void approvals_close(struct approvals *a);

/* The requests held now, oldest first (borrowed; changed by hold and settle). */
const struct held_request *approvals_list(const struct approvals *a, size_t *n);

/* Remembers a held request (again is harmless). 0, or -1 with errno (not remembered). */
int approvals_hold(struct approvals *a, const struct held_request *h, time_t now);

/* Settles REQUEST_ID with HOW (one word: "approved", "rejected", "timeout", "gone"...). */
int approvals_settle(struct approvals *a, const char *request_id, const char *how, time_t now);

#endif
