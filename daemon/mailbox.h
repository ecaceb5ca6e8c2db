/*
 * mailbox: everything meetingd does for one mailbox, as a small state machine on the loop.
 *
 * A poll: find the meeting requests and cancellations in the Inbox (paged to the end), fetch
 * those the ledger has not finished (batched), then one item at a time: gather the policy's
 * context (a calendar view of the mailbox over the meeting), decide, record the intent,
 * answer, record the outcome, rewrite the calendar item when the policy says so (subject,
 * body, private flag, then delete its attachments). A request held for approval is forwarded
 * to the resource's delegates after the tentative answer, or instead of an answer without
 * tentative_pending_approval. Cancellations are removed when the policy says so.
 *
 * RemoveOldMeetingMessages (remove_old_meeting_messages, not with automate = none or in a dry
 * run): a request an update superseded is moved to Deleted Items, and meeting messages the
 * ledger has finished (answered, removed, superseded) that the server left in the Inbox
 * (Exchange moves them itself, grommunio does not) are moved there by the next poll. Requests
 * left alone and cancellations kept stay.
 *
 * One item's failure never stops the others; a poll that fails (server busy, transport,
 * authentication) is retried after an exponential back-off honouring the server's
 * BackOffMilliseconds. The pause is shared (backoff.h) with every mailbox whose requests the
 * server throttles together: the same budget owner, server or credentials.
 *
 * The mailbox talks to the server only through a backend (backend.h): it knows meetings,
 * decisions and its ledger, not the protocol.
 */
#ifndef MEETINGD_MAILBOX_H
#define MEETINGD_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "confref.h"
#include "policy.h"

struct backend;
struct backoff;
struct group_cache;
struct conf;
struct conf_mailbox;
struct ev_loop;
struct mailbox;

struct mailbox_env {
    struct ev_loop *loop;
    /* Opens the backend a poll of mailbox CM under CONF talks to; the poll frees it. */
    struct backend *(*open_backend)(const struct conf *conf, const struct conf_mailbox *cm,
                                    void *backend_userdata);
    void *backend_userdata;
    struct backoff *backoff;    /* shared by every mailbox (borrowed) */
    struct group_cache *groups; /* distribution groups, shared by every mailbox (borrowed;
                                   NULL: no list entry is a group) */
    bool dry_run;               /* decide and log, change nothing on the server */
    bool once;                  /* stop when nothing actionable is left */
    /* Called for every decision (may be NULL). */
    void (*on_decision)(const struct policy_event *decision, void *userdata);
    /* Called when a mailbox stops for good: in --once mode when it is finished (FAILED
     * says whether it gave up), or after mailbox_stop() once in-flight work ended. */
    void (*on_finished)(struct mailbox *mailbox, bool failed, void *userdata);
    /* Called after every completed or failed poll (status line, watchdog). May be NULL. */
    void (*on_poll)(struct mailbox *mailbox, bool ok, void *userdata);
    /* Brackets the decisions of one batch (BEGIN true, then false), so that their records
     * are written together (record_group_begin/end). May be NULL. */
    void (*on_decision_group)(bool begin, void *userdata);
    void *userdata;
};

/*
 * Creates the mailbox for the [mailbox] section NAME of CONF (a reference is taken) and opens
 * its ledger under the state directory. ENV is copied. Returns NULL with ERR filled when the
 * ledger cannot be opened. Free with mailbox_free().
 */
struct mailbox *mailbox_new(const struct mailbox_env *env, struct confref *conf, const char *name,
                            char *err, size_t errlen);
void mailbox_free(struct mailbox *mailbox);

/* Schedules the first poll after a small random delay (spreads many mailboxes out). */
void mailbox_start(struct mailbox *mailbox);

/* Takes a new configuration (reload); the running poll finishes with the old one. */
void mailbox_reconfigure(struct mailbox *mailbox, struct confref *conf);

/* Graceful stop: an answer in flight completes, nothing new starts; on_finished follows. */
void mailbox_stop(struct mailbox *mailbox);

const char *mailbox_name(const struct mailbox *mailbox);

/* Why a mailbox gave up (--once), for meetingd's exit status. */
enum mailbox_failure {
    MAILBOX_FAIL_NONE,
    MAILBOX_FAIL_AUTH,        /* the server (or the token endpoint) refused the credentials */
    MAILBOX_FAIL_UNREACHABLE, /* no connection to the server */
    MAILBOX_FAIL_OTHER,
};
enum mailbox_failure mailbox_failure(const struct mailbox *mailbox);
bool mailbox_is_busy(const struct mailbox *mailbox);

struct mailbox_stats {
    unsigned polls;
    unsigned failed_polls;
    unsigned consecutive_failures;
    unsigned answered;
    unsigned removed;
    unsigned requests; /* sent to the server */
    time_t last_poll;
};
const struct mailbox_stats *mailbox_stats(const struct mailbox *mailbox);

#endif
