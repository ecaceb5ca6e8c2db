/*
 * ledger: the per-mailbox record that makes answers exactly-once.
 *
 * The daemon cannot rely on the server moving an answered request out of the Inbox (Exchange
 * does, other EWS servers leave it there) and must survive a crash between deciding and
 * answering. So before a request is answered an "intent" line is appended and flushed to disk;
 * after the server confirmed the answer a "done" line follows. On start-up an intent without
 * its "done" is an answer that may or may not have reached the server: the mailbox module
 * checks the server's state for it before answering again (ledger_pending).
 *
 * The file is append-only text, one record per line. Every append is all-or-nothing: its
 * lines go out in one write() and one fdatasync(); when either fails (a full disk), the file
 * is cut back to where it was and the caller told, so no record is ever glued onto a torn
 * one and nothing is sent without its intent on disk. A crash can still leave one partial
 * last line: loading cuts it off, with a warning, and recovers a complete record glued onto
 * a torn one (as versions before this one wrote after a failed append). An append also
 * fails when the file was removed or replaced under the ledger (a deleted state_dir).
 * Ids are stored as-is; EWS ids are base64 and contain no white space (others are refused).
 *
 * An intent may carry a link: the id of the request's calendar item ("I TIME ACTION ID LINK").
 * A server that moves answered requests out of the Inbox (Exchange) gives the request a new
 * id, so an intent whose request has left is settled through its calendar item instead.
 */
#ifndef MEETINGD_LEDGER_H
#define MEETINGD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum ledger_state {
    LEDGER_UNKNOWN = 0, /* never seen */
    LEDGER_INTENT,      /* an answer was about to be sent; outcome unknown */
    LEDGER_DONE,        /* answered (or deliberately left alone); never act again */
};

struct ledger;

/* Opens (creating if needed) the ledger file PATH and loads it. Returns NULL and fills ERR on
 * failure. The caller frees the result with ledger_close(). */
struct ledger *ledger_open(const char *path, char *err, size_t errlen);
void ledger_close(struct ledger *);

/* The state of item ID (the meeting message's EWS item id). */
enum ledger_state ledger_state(const struct ledger *, const char *id);

/* The action recorded with the last intent/done line for ID, or NULL (borrowed). */
const char *ledger_action(const struct ledger *, const char *id);

/* The link recorded with ID's intent (its calendar item's id), or NULL (borrowed). */
const char *ledger_link(const struct ledger *, const char *id);

/* When ID's last record was written (Unix time, as the line says), or 0 for an id never seen. */
time_t ledger_when(const struct ledger *, const char *id);

/* How many ids have an intent as their last record (kept count: no walk). */
size_t ledger_pending_count(const struct ledger *);

/* Records that ACTION (a short word such as "accept") is about to be sent for ID, durably:
 * returns only after the line reached the disk. 0 on success, -1 with errno on failure, in
 * which case the caller must not send the answer. */
int ledger_intent(struct ledger *, const char *id, const char *action);

/* ledger_intent() with the intent's LINK (the request's calendar item id; NULL: none). */
int ledger_intent_linked(struct ledger *, const char *id, const char *action, const char *link);

/* Records that ID is finished with ACTION (answered, removed, skipped). Durable as above. */
int ledger_done(struct ledger *, const char *id, const char *action);

/* One record of a group commit. */
struct ledger_record {
    enum ledger_state state; /* LEDGER_INTENT or LEDGER_DONE */
    const char *id;
    const char *action;
};

/* Group commit: appends the N records with one write() and one fdatasync(), all or none.
 * 0 when all are durable; -1 with errno when none was recorded (EINVAL: a record is not
 * writable, nothing was tried). For answering a batch: each answer's intent durable at the
 * cost of one disk flush for the batch. */
int ledger_append_many(struct ledger *, const struct ledger_record *records, size_t n);

/* ledger_append_many() with a link per record (LINKS NULL: none; an entry NULL: none). */
int ledger_append_many_linked(struct ledger *, const struct ledger_record *records,
                              const char *const *links, size_t n);

/* Calls FN for every id whose last record is an intent (answers of unknown outcome). */
void ledger_foreach_pending(const struct ledger *,
                            void (*fn)(const char *id, const char *action, void *userdata),
                            void *userdata);

/* Number of ids recorded, for statistics. */
size_t ledger_count(const struct ledger *);

/* Rewrites the file keeping only the entries that are pending, or were recorded after
 * KEEP_AFTER, or for which STILL_PRESENT returns true (the item is still in the mailbox, so
 * forgetting it would answer it again). Atomic: a temporary file is renamed over the old one.
 * 0 on success, -1 with errno on failure (the old file then stays in use). */
int ledger_compact(struct ledger *, time_t keep_after,
                   bool (*still_present)(const char *id, void *userdata), void *userdata);

#endif
