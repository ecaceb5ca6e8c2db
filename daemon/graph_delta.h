/*
 * graph_delta: what a Graph mailbox's Inbox delta query has told so far, kept on disk.
 *
 * A delta round reports only what changed since its deltaLink. meetingd keeps the ids of the
 * meeting requests and cancellations the Inbox holds, with the deltaLink they are current
 * to, in one file per mailbox (STATE_DIR/NAME.graph-delta), replaced atomically (a temporary
 * file, fsync, rename, fsync of the directory): after a crash it holds a deltaLink and the
 * ids that go with it, never one without the other. A find hands the mailbox every id of the
 * set, as FindItem does on EWS, and the ledger says which are done; so a message the daemon
 * had not finished when it stopped is found again, and a full resync (an expired deltaLink:
 * syncStateNotFound, resyncRequired) answers nothing twice.
 *
 * File format: JSON {"deltaLink": "...", "ids": ["...", ...]}. A file that cannot be read
 * is taken as no state: the next round starts from scratch, which loses nothing.
 */
#ifndef MEETINGD_GRAPH_DELTA_H
#define MEETINGD_GRAPH_DELTA_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct graph_delta {
    char *path;
    char *delta_link;   /* NULL: the next round starts from scratch */
    struct strlist ids; /* meeting messages in the Inbox, in the order first seen */
};

/* Loads PATH (taken) into *D; a missing or unreadable file leaves D empty. */
void graph_delta_load_take(struct graph_delta *d, char *path);
void graph_delta_clear(struct graph_delta *d);

/* Forgets the deltaLink and the ids (a full resync follows). */
void graph_delta_reset(struct graph_delta *d);

/* A round's changes: ADDED meeting messages (kept once), REMOVED ids (dropped). */
void graph_delta_add(struct graph_delta *d, const char *id);
void graph_delta_remove(struct graph_delta *d, const char *id);

/* Ends a round at DELTA_LINK and writes the file atomically. Returns 0, or -1 with ERR
 * filled in (the state in memory is kept; the file holds the previous round). */
int graph_delta_commit(struct graph_delta *d, const char *delta_link, char *err, size_t errlen);

#endif
