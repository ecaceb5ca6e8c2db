/*
 * mailbox_int: the mailbox's state, shared by its parts (not for other modules).
 *
 *   mailbox.c          life cycle, the poll object, the dispatcher, failures and back-off
 *   mailbox_inbox.c    the Inbox: finding, sweeping finished messages, fetching
 *   mailbox_batch.c    the batch: one calendar view, decisions that see each other, the
 *                      answers, removals and rewrites of a poll in few requests, group commit
 *   mailbox_item.c     one item: checking an unsettled answer, context, decision, answer
 *   mailbox_after.c    what follows an answer: occurrences, rewrite, attachments, forward
 *   mailbox_sync.c     the Inbox's changes by SyncFolderItems, the sync state on disk
 *   mailbox_stream.c   streaming notifications: subscriptions, connections, wake-ups
 *   mailbox_state.c    the ledger written (or the mailbox paused), answers of unknown outcome
 *                      settled and their truth recorded
 *
 * A poll is a struct mailbox_poll, the item being worked on a struct mailbox_work; each has
 * its own free function, so ending a poll early (failure, stop) cannot leave a field behind.
 * Every request goes out through MAILBOX_SEND with the step it is for; its answer comes back
 * through one dispatcher (mailbox_on_result), which clears the pending call, handles a stop
 * and calls the step's handler.
 */
#ifndef MEETINGD_MAILBOX_INT_H
#define MEETINGD_MAILBOX_INT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "conf.h"
#include "mailbox.h"
#include "pollgate.h"
#include "util.h"

struct ledger;
struct ledger_record;
struct backoff;
struct approvals;
struct approval_pass;

/* What the request in flight is for: the dispatcher calls the step's handler. */
enum mailbox_step {
    STEP_NONE,
    STEP_FIND,               /* a page of the Inbox */
    STEP_SWEEP,              /* finished meeting messages to Deleted Items */
    STEP_FETCH,              /* a batch of new meeting messages */
    STEP_VERIFY,             /* did an answer whose outcome is unknown reach the server? */
    STEP_CALENDAR,           /* the calendar over the meeting, for the policy */
    STEP_ANSWER,             /* accept, tentative, decline */
    STEP_FORWARD_HELD,       /* left alone, forwarded to the delegates instead */
    STEP_REMOVE_CANCELLED,   /* a cancelled meeting off the calendar */
    STEP_REMOVE_OLD,         /* a superseded request to Deleted Items */
    STEP_DECLINE_OCCURRENCE, /* one conflicting occurrence of an accepted series */
    STEP_REWRITE,            /* the booked calendar item: subject, body, private flag */
    STEP_LIST_ATTACHMENTS,   /* the booked calendar item's attachments ... */
    STEP_DELETE_ATTACHMENTS, /* ... removed */
    STEP_FORWARD,            /* a tentatively booked request to the delegates */
    STEP_SHOW_FREE,          /* a held request's placeholder shows Free */
    STEP_SETTLE,             /* the calendar item of an intent whose request left the Inbox */
    STEP_REMOVE_FIND,        /* no RemoveItem: the cancelled meeting's calendar item ... */
    STEP_REMOVE_DELETE,      /* ... deleted ... */
    STEP_REMOVE_MOVE,        /* ... and the cancellation moved to Deleted Items */
    STEP_MASTERS,            /* the calendar's series, where views do not expand them */
    STEP_BOOKED_ITEM,        /* the calendar item an answer made, where nothing links it */
    STEP_BATCH_CALENDAR,     /* the calendar over all the batch's requests */
    STEP_BATCH_ANSWER,       /* up to batch_size answers in one request */
    STEP_BATCH_REMOVE,       /* up to batch_size cancelled meetings off the calendar */
    STEP_BATCH_REWRITE,      /* up to batch_size booked calendar items rewritten */
    STEP_EXPAND_GROUP,       /* a distribution group the decision needs */
    STEP_APPROVAL_EXPAND,    /* a group among the delegates */
    STEP_APPROVAL_FIND,      /* a delegate's latest answers (Sent Items) ... */
    STEP_APPROVAL_FETCH,     /* ... read, for held requests they decide */
    STEP_APPROVAL_VERIFY,    /* has the held request been answered or removed meanwhile? */
    STEP_APPROVAL_LOOKUP,    /* the same, by its UID when its calendar item was not known */
    STEP_APPROVAL_ANSWER,    /* the room's own answer after a delegate's, or the time-out */
    STEP_SYNC,               /* a page of the Inbox's changes since the sync state */
    STEP_SUBSCRIBE,          /* the Inbox's notifications */
    STEP_COUNT
};

/* What a request decided in a batch still needs, item by item, after the batch. */
enum mailbox_followup {
    FOLLOW_NONE,
    FOLLOW_DECIDED,     /* its answer: the per-item path from the decision on (dry run,
                           left alone, forwarded to the delegates) */
    FOLLOW_OCCURRENCES, /* answered: conflicting occurrences, rewrite, attachments */
    FOLLOW_SUPERSEDED,  /* the server said out of date: set aside */
    FOLLOW_GROUPS,      /* its decision needs a distribution group not known yet: decided
                           alone, from a fresh calendar view, after the group is expanded */
    FOLLOW_ALONE,       /* the batch could not decide or answer it (a view without the
                           series' occurrences, a batch the server refused as a whole):
                           the per-item path from the start */
};

/* The item being worked on. */
struct mailbox_work {
    struct item *item; /* borrowed from the poll's queue (or the batch) */
    struct item **calendar;
    size_t n_calendar;
    bool calendar_borrowed; /* the batch's calendar view: not freed with the work */
    enum mailbox_followup followup;
    struct policy_occurrence *occurrences; /* the request's, for the policy */
    size_t n_occurrences;
    struct policy_result result;
    bool have_result;
    size_t occ_decline_pos;
    char *moved_request_id;      /* where answering moved the request, NULL if unknown */
    time_t view_start, view_end; /* the calendar view's window */
    char *expanding;             /* the distribution group being expanded (mailbox_groups.c) */
    bool not_on_calendar; /* a cancelled meeting the calendar no longer had (mailbox_remove.c) */
};

/* One poll, from the first page of the Inbox to the last item. */
struct mailbox_poll {
    struct confref *conf; /* the configuration this poll runs with (a reference) */
    const struct conf_mailbox *cm;
    const struct conf_policy *policy;
    struct backend *backend;
    struct backend_call *call; /* the request in flight, or NULL */
    enum mailbox_step step;    /* what it is for */

    size_t find_offset;
    struct item_id *candidates; /* new meeting messages, to fetch */
    size_t n_candidates, get_pos;
    size_t get_max; /* the largest fetch batch (halved after an answer over the size limit) */
    size_t get_n;   /* the size of the fetch in flight */
    struct item_id *stale; /* finished meeting messages the server left in the Inbox */
    size_t n_stale, sweep_pos;
    struct item **queue; /* fetched messages, worked on in order */
    size_t n_queue, queue_pos;
    struct mailbox_work *work;
    struct mailbox_batch *batch; /* the batch of this poll (mailbox_batch.c), or NULL */

    bool acted;             /* this poll answered or removed something */
    bool left_behind;       /* ... and the server may have kept its message in the Inbox
                               (no moved id came back) */
    bool reached;           /* a request of this poll got through: the server is there */
    bool again;             /* a superseded request: look again right away */
    unsigned item_failures; /* items that failed for good in this poll */
    bool retry_items;       /* an item failed "retry later": --once looks again */
    bool collect_seen;      /* this poll lists the Inbox for the ledger's compaction */
    struct item **masters;  /* the calendar's series (mailbox_series.c), once listed */
    size_t n_masters;
    bool masters_listed;
    bool listing_for_batch; /* the listing was sent for the batch's view (mailbox_batch.c) */
    struct strlist seen;    /* ids of every meeting message in the Inbox (collect_seen) */
    struct approval_pass *approval; /* after the Inbox: held requests (mailbox_approval.c) */

    /* Pending intents not (yet) found in the Inbox listing: settled after it
     * (mailbox_state.c); the next one to settle. */
    struct strlist unsettled;
    size_t settle_pos;
};

enum mailbox_state { MB_IDLE, MB_BUSY, MB_STOPPED };

struct mailbox {
    struct mailbox_env env;
    char *name;
    struct confref *conf;          /* newest configuration */
    const struct conf_mailbox *cm; /* this mailbox's section in it */
    struct ledger *ledger;
    ev_timer timer;
    enum mailbox_state state;
    bool stopping;
    /* The server has linked a meeting request to its calendar item (AssociatedCalendarItemId):
     * it puts requests on the calendar when they arrive, so a request without its calendar
     * item was declined or deleted. grommunio Gromox links no request (cancellations only)
     * and puts nothing there. */
    bool server_links_calendar;
    struct mailbox_stats stats;
    struct strlist dry_run_seen; /* ids decided in --dry-run (the ledger stays untouched) */
    unsigned once_passes;
    bool once_undone; /* --once: a message was left alone for good (exit non-zero) */
    time_t last_compact;
    struct mailbox_poll *poll;        /* the running poll, or NULL */
    struct approvals *approvals;      /* held requests, opened when first needed */
    enum mailbox_failure failure;     /* why it gave up (--once) */
    struct pollgate_waiter gate_wait; /* queued for a slot of env.gate */
    bool holds_slot;                  /* a slot of env.gate is this mailbox's */
    bool failing_counted;             /* counted in env.totals->failing */
    unsigned answered_counted;        /* of stats.answered, in env.totals->answered */
    struct mailbox_sync *sync;        /* the Inbox's sync state (mailbox_sync.c) */
    struct mailbox_stream *stream;    /* its notifications (mailbox_stream.c), NULL if none */
    bool paused; /* its state cannot be written: it sends nothing (mailbox_state.c) */
    struct item_retries *retries; /* failed attempts per item (mailbox_trouble.c) */
};

/* mailbox.c */
void mailbox_on_result(struct backend_result *r, void *userdata);
/* Whether a request may go out for STEP (else the poll ended: the mailbox is stopping). */
bool mailbox_send_begin(struct mailbox *m, enum mailbox_step step);
/* After an operation returned RC: a request that could not be submitted fails the poll. */
void mailbox_send_end(struct mailbox *m, const char *what, int rc);
void mailbox_poll_fail(struct mailbox *m, const char *what, const struct backend_result *r);
void mailbox_poll_done(struct mailbox *m);
/* Ends the poll without sending anything more; the next poll comes at the usual interval. */
void mailbox_poll_pause(struct mailbox *m);
bool mailbox_done_before(const struct mailbox *m, const char *id);
bool mailbox_removes_old_messages(const struct mailbox *m);
const char *mailbox_reason(const struct backend_result *r);
/* Moves the items of R to the end of *ITEMS (of *N), one heap item each. */
void mailbox_take_items(struct backend_result *r, struct item ***items, size_t *n);

/* mailbox_inbox.c */
void mailbox_find_page(struct mailbox *m);
void mailbox_after_find(struct mailbox *m, struct backend_result *r);
void mailbox_after_sweep(struct mailbox *m, struct backend_result *r);
void mailbox_after_fetch(struct mailbox *m, struct backend_result *r);
void mailbox_next_item(struct mailbox *m);
/* A meeting message found in the Inbox: a candidate unless done before (then swept when
 * finished). MAY_REPEAT: it may have been found already in this poll. */
void mailbox_inbox_consider(struct mailbox *m, const struct item *it, bool may_repeat);
/* Whether message ID is finished and of no more use in the Inbox (see the sweep). */
bool mailbox_inbox_finished(struct mailbox *m, const char *id);
/* Message ID left the Inbox: no longer a candidate. */
void mailbox_inbox_drop(struct mailbox *m, const char *id);
/* Forgets every message found so far in this poll. */
void mailbox_inbox_forget_found(struct mailbox *m);
/* Everything was found: sweep, fetch, work on the items. */
void mailbox_inbox_found(struct mailbox *m);

/* mailbox_sync.c */
struct mailbox_sync;
struct mailbox_sync *mailbox_sync_new(const char *state_dir, const char *name);
void mailbox_sync_free(struct mailbox_sync *s);
/* Reads the Inbox: SyncFolderItems, or FindItem where it is not used. */
void mailbox_inbox_read(struct mailbox *m);
void mailbox_after_sync(struct mailbox *m, struct backend_result *r);
/* Saves the state of this poll's sync, once all it covers went through without failures. */
void mailbox_sync_save(struct mailbox *m);

/* mailbox_stream.c */
/* The first request of a poll: Subscribe when notifications are wanted and the mailbox has
 * no subscription, else mailbox_inbox_read(). */
void mailbox_inbox_start(struct mailbox *m);
void mailbox_after_subscribe(struct mailbox *m, struct backend_result *r);
/* The time to the next poll: NORMAL, or the safety interval while notifications flow. */
double mailbox_stream_interval(struct mailbox *m, double normal);
/* Whether a notification arrived during the poll (then it polls again at once). */
bool mailbox_stream_take_poke(struct mailbox *m);
/* Leaves the notifications (stop, removed, polling chosen) and unsubscribes, best effort;
 * mailbox_stream_free only drops them (exit) and releases m->stream. */
void mailbox_stream_leave(struct mailbox *m);
void mailbox_stream_free(struct mailbox *m);

/* mailbox.c: an idle mailbox polls now (unless it is backing off after failures). */
void mailbox_poll_soon(struct mailbox *m);
/* The next batch of the Inbox to sweep or fetch, then the items. */
void mailbox_next_inbox_batch(struct mailbox *m);

/* mailbox_batch.c */
/* After the Inbox was read: decides and answers what can go in batches, then hands the
 * rest (and the follow-ups) to mailbox_next_item. */
void mailbox_batch_start(struct mailbox *m);
/* The next follow-up of the batch made the current work (true), or none is left. */
bool mailbox_batch_next_followup(struct mailbox *m);
void mailbox_batch_free(struct mailbox_batch *b);
/* The messages B took from the poll's queue (borrowed; *N of them; none for a NULL B). */
struct item *const *mailbox_batch_items(const struct mailbox_batch *b, size_t *n);
void mailbox_after_batch_calendar(struct mailbox *m, struct backend_result *r);
/* The batch's view can be judged (mailbox_series.c listed the series): decide. */
void mailbox_batch_series_listed(struct mailbox *m);
void mailbox_after_batch_answer(struct mailbox *m, struct backend_result *r);
void mailbox_after_batch_remove(struct mailbox *m, struct backend_result *r);
void mailbox_after_batch_rewrite(struct mailbox *m, struct backend_result *r);

/* mailbox_item.c */
struct mailbox_work *mailbox_work_new(struct item *item);
void mailbox_work_free(struct mailbox_work *w);
void mailbox_start_item(struct mailbox *m);
void mailbox_item_finished(struct mailbox *m);
void mailbox_answer_failed(struct mailbox *m, const char *what, const struct backend_result *r);
/* The outcome of the request that carried out the decision (an answer, or the forward of a
 * request left alone): recorded as OUTCOME in the decision record and as done in the ledger
 * when it arrived; else recorded "failed" (or "unknown" when the reply was lost) and sorted by
 * mailbox_answer_failed(). Returns whether it arrived. */
bool mailbox_action_arrived(struct mailbox *m, const struct backend_result *r, const char *what,
                            const char *outcome);
void mailbox_emit_decision(struct mailbox *m, const char *outcome);
void mailbox_emit_work_decision(struct mailbox *m, const struct mailbox_work *w,
                                const char *outcome);
/* A person answered W's request already (see answered_elsewhere): logged, recorded and
 * emitted; the caller finishes the item. */
bool mailbox_answered_elsewhere(struct mailbox *m, struct mailbox_work *w);
/* Decides W's request under the poll's policy with CALENDAR as the calendar it sees. */
void mailbox_decide_work(struct mailbox *m, struct mailbox_work *w,
                         const struct item *const *calendar, size_t n_calendar);
/* Carries out the decision of the current work (intent, answer or forward, ...). */
void mailbox_answer_decided(struct mailbox *m);
void mailbox_remove_old_request(struct mailbox *m);
void mailbox_after_verify(struct mailbox *m, struct backend_result *r);
void mailbox_after_calendar(struct mailbox *m, struct backend_result *r);
/* The calendar is complete: settle an unsettled answer, or decide. */
void mailbox_calendar_ready(struct mailbox *m);
void mailbox_after_answer(struct mailbox *m, struct backend_result *r);
void mailbox_after_remove_old(struct mailbox *m, struct backend_result *r);
/* Decides the item whose calendar is read (again, after a group was expanded). */
void mailbox_decide(struct mailbox *m);

/* mailbox_groups.c */
/* The policy's context for distribution groups (ctx->group_member, ctx->groups). */
void mailbox_groups_context(struct mailbox *m, struct policy_context *ctx);
/* After the decision: true when it needed a group not known yet; the item then goes on
 * (expansion, a new decision) or waits for a later poll. */
bool mailbox_groups_pending(struct mailbox *m);
void mailbox_after_expand_group(struct mailbox *m, struct backend_result *r);
/* The people among ENTRIES, appended to OUT: the members of the groups known (nested ones
 * followed), every other entry as it is. True when an entry is not known to be a group or
 * not (it is queued for expansion, and in OUT as it is). */
bool mailbox_people_of(struct mailbox *m, const struct strlist *entries, struct strlist *out);

/* mailbox_approval.c */
/* A request the policy held for approval (forwarded or not) is remembered until settled. */
void mailbox_approval_hold(struct mailbox *m);
/* The end of the Inbox: the held requests are looked at (delegates' answers, time-outs),
 * then the poll is done. */
void mailbox_approval_pass(struct mailbox *m);
void mailbox_approval_pass_free(struct approval_pass *pass);
void mailbox_after_approval_expand(struct mailbox *m, struct backend_result *r);
void mailbox_after_approval_find(struct mailbox *m, struct backend_result *r);
void mailbox_after_approval_fetch(struct mailbox *m, struct backend_result *r);
void mailbox_after_approval_verify(struct mailbox *m, struct backend_result *r);
void mailbox_after_approval_lookup(struct mailbox *m, struct backend_result *r);
void mailbox_after_approval_answer(struct mailbox *m, struct backend_result *r);

/* mailbox_remove.c */
void mailbox_remove_cancelled(struct mailbox *m);
void mailbox_after_remove_cancelled(struct mailbox *m, struct backend_result *r);
void mailbox_after_remove_find(struct mailbox *m, struct backend_result *r);
void mailbox_after_remove_delete(struct mailbox *m, struct backend_result *r);
void mailbox_after_remove_move(struct mailbox *m, struct backend_result *r);

/* mailbox_trouble.c */
struct item_retries;
/* A failed request about the work item, sorted: the whole poll, this item for good
 * (recorded as failed), or this item again next poll (within its budget). */
void mailbox_item_trouble(struct mailbox *m, const char *what, const struct backend_result *r);
/* The same for item IT of work W (NULL for a cancellation) without going on: false when R
 * concerns the whole poll (the caller ends it), true when the item is settled (recorded as
 * failed, or counted to be tried again next poll). For batches (mailbox_batch.c). */
bool mailbox_trouble_settle(struct mailbox *m, const struct mailbox_work *w, const struct item *it,
                            const char *what, const struct backend_result *r);
/* Whether the ledger holds an answer to ID whose outcome is unknown (to be checked). */
bool mailbox_answer_outstanding(const struct mailbox *m, const char *id);
/* Whether R concerns the whole mailbox (credentials, account, server configuration). */
bool mailbox_failure_mailbox_wide(const struct backend_result *r);
/* Whether R fails its item for good (then recorded with the server's words). */
bool mailbox_failure_permanent(const struct backend_result *r);
/* The messages a fetch could not get one by one (r->failures). */
void mailbox_fetch_failures(struct mailbox *m, const struct backend_result *r);
/* Records ITEM as failed for good (ledger, decision record with REASON, --once exit). */
void mailbox_record_failed(struct mailbox *m, const struct item *item, const char *reason);
/* The same for the item of work W (NULL: none), whose decision goes with the record. */
void mailbox_record_work_failed(struct mailbox *m, const struct mailbox_work *w,
                                const struct item *item, const char *reason);
void mailbox_retries_forget(struct mailbox *m, const char *id);
void mailbox_retries_free(struct item_retries *r);

/* mailbox_series.c */
/* After the calendar view: whether a listing of the calendar's series was sent (its answer
 * goes on with mailbox_calendar_ready); else the series are expanded already. */
bool mailbox_series_pending(struct mailbox *m);
void mailbox_after_masters(struct mailbox *m, struct backend_result *r);
/* Batches: after the batch's VIEW, whether the calendar's series must be listed before the
 * view can be judged (then it is sent, and its answer goes on with
 * mailbox_batch_series_listed). */
bool mailbox_series_batch_listing(struct mailbox *m, const struct item *const *view, size_t n);
/* Whether the batch's VIEW over [START, END) shows the calendar's series as they are (the
 * server expands them, or none has occurrences there); false when the batch's requests must
 * be decided one by one, where the series are expanded. */
bool mailbox_series_view_whole(struct mailbox *m, const struct item *const *view, size_t n,
                               time_t start, time_t end);
/* The occurrences of W's request for the policy (from its recurrence where the server lists
 * none). */
struct policy_context;
void mailbox_series_context(struct mailbox *m, struct mailbox_work *w, struct policy_context *ctx);

/* mailbox_booked.c */
/* After an acceptance: whether the booked calendar item must be looked up first (then its
 * answer goes on with mailbox_decline_next_occurrence). */
bool mailbox_find_booked_item(struct mailbox *m);
void mailbox_after_booked_item(struct mailbox *m, struct backend_result *r);

/* mailbox_after.c */
/* The mailbox's own calendar item for W's request, or NULL (logged). */
const char *mailbox_own_calendar_item_id(const struct mailbox *m, const struct mailbox_work *w);
void mailbox_decline_next_occurrence(struct mailbox *m);
/* The id of the mailbox's own calendar item for W's request (its link, else by UID), NULL. */
const char *mailbox_find_own_calendar_item(const struct mailbox_work *w);
void mailbox_forward_to_delegates(struct mailbox *m, const char *reference, enum mailbox_step step);
void mailbox_show_held_request_free(struct mailbox *m);
void mailbox_after_decline_occurrence(struct mailbox *m, struct backend_result *r);
void mailbox_after_rewrite(struct mailbox *m, struct backend_result *r);
void mailbox_after_list_attachments(struct mailbox *m, struct backend_result *r);
void mailbox_after_delete_attachments(struct mailbox *m, struct backend_result *r);
void mailbox_after_forward(struct mailbox *m, struct backend_result *r);
void mailbox_after_forward_held(struct mailbox *m, struct backend_result *r);
void mailbox_after_show_free(struct mailbox *m, struct backend_result *r);

/* mailbox_state.c */
/* Writes a ledger record (in a dry run only remembers a done one). 0, or -1 when it could not
 * be written: the mailbox then counts as paused until a write succeeds (said once each). An
 * intent also fails while the decision record takes no lines (env.can_record). */
int mailbox_record(struct mailbox *m, bool intent, const char *id, const char *action);
/* An intent with its LINK: the id of the request's calendar item, or NULL. */
int mailbox_record_intent(struct mailbox *m, const char *id, const char *action, const char *link);
/* The intents RECS[N] with their LINKS (NULL: none) in one flush, as mailbox_record_intent
 * does for one; -1 with errno EINVAL when a record is not writable (nothing was tried). */
int mailbox_record_intents(struct mailbox *m, const struct ledger_record *recs,
                           const char *const *links, size_t n);
/* After an intent could not be written: while the state cannot be written the poll ends and
 * nothing is sent (--once, or an intent the ledger refuses: the item counts as failed and the
 * poll goes on). */
void mailbox_pause(struct mailbox *m);
/* Records OUTCOME of ACTION (a ledger word: "accept", ..., "remove", "keep") on REQUEST in the
 * decision record; SETTLES: it settles an earlier answer of unknown outcome. The work item's
 * policy result is used when REQUEST is the work item's, else a bare one. */
void mailbox_emit_outcome(struct mailbox *m, const struct item *request, const char *action,
                          const char *outcome, bool settles);
/* The truth about an earlier ACTION on REQUEST whose outcome was unknown: OUTCOME "sent",
 * "not sent" (for a removal: "removed", "not removed") or "unconfirmed". */
void mailbox_record_settled(struct mailbox *m, const struct item *request, const char *action,
                            const char *outcome);
/* At the start of a poll: the pending intents, to see which requests have left the Inbox. */
void mailbox_settle_prepare(struct mailbox *m);
/* The Inbox listing found ID. */
void mailbox_settle_seen(struct mailbox *m, const char *id);
/* After the listing: settles the intents whose request was not in it, through their calendar
 * item, then goes on with mailbox_next_inbox_batch(). */
void mailbox_settle_next(struct mailbox *m);
void mailbox_after_settle(struct mailbox *m, struct backend_result *r);

/* Sends one request of the poll's backend for STEP: OP(backend, ARGS..., callback, m, &call).
 * WHAT names it in the log when it cannot be submitted. Nothing follows it in the caller. */
#define MAILBOX_SEND(m, step, what, op, ...)                                                       \
    do {                                                                                           \
        if (mailbox_send_begin((m), (step))) {                                                     \
            struct backend *be_ = (m)->poll->backend;                                              \
            mailbox_send_end(                                                                      \
                (m), (what),                                                                       \
                be_->ops->op(be_, __VA_ARGS__, mailbox_on_result, (m), &(m)->poll->call));         \
        }                                                                                          \
    } while (0)

#endif
