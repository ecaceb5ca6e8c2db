/*
 * backend: what a mailbox asks of a mail server, independent of the protocol.
 *
 * The mailbox knows meetings, decisions and its ledger; a backend knows how to ask a server
 * for them (EWS today: ews_backend.c; Microsoft Graph would be another ops table). Every
 * operation is one asynchronous request: it returns a handle, and its callback runs once from
 * the loop with a struct backend_result; nothing is retried or resent behind the caller's
 * back. A mailbox has at most one request in flight.
 *
 * Room to grow: respond() already takes n answers (the EWS backend sends them in one
 * CreateItem). Operations a server may lack (sync_inbox) are NULL in backends without them,
 * and a backend whose server turns out not to offer one says so in the result
 * (unsupported).
 */
#ifndef MEETINGD_BACKEND_H
#define MEETINGD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "item.h"

/* How a request ended, sorted by what the caller does about it. */
enum backend_status {
    BACKEND_OK,
    /* This item only; the request as a whole was answered. */
    BACKEND_ITEM_GONE,    /* the item no longer exists, or its meeting was cancelled */
    BACKEND_OUT_OF_DATE,  /* a newer meeting request superseded the one addressed */
    BACKEND_ITEM_REFUSED, /* the server refused this item for good (conflict, invalid...) */
    /* The whole request failed. */
    BACKEND_BUSY,      /* the server throttles the account's budget (retry_ms says how long) */
    BACKEND_TRY_LATER, /* a passing trouble of the server with this mailbox (store, move) */
    BACKEND_SERVER,    /* the server is unavailable (HTTP 503, 429) */
    BACKEND_TRANSPORT, /* no complete answer: timeout, reset, refused connection, TLS */
    BACKEND_AUTH,      /* the server refused the credentials */
    BACKEND_ACCOUNT,   /* the mailbox cannot be used: rights, impersonation, address, quota */
    BACKEND_FAILED,    /* any other failure: a fault, a malformed or unexpected answer */
    BACKEND_TOO_LARGE, /* the answer exceeded the size limit: ask for less (fewer items) */
    BACKEND_UNUSABLE,  /* the server cannot be used as configured: TLS verification, bad URL;
                          retrying will not help until someone changes something */
    /* The server refused the request itself as one it does not know (a SOAP Client fault
     * without an EWS code): not this item's fault, and sending it again gets the same. */
    BACKEND_UNSUPPORTED,
};

/* What a pause after a failure applies to (see backoff.h): the key names it. */
enum backend_scope {
    BACKEND_SCOPE_SERVER,      /* the whole server */
    BACKEND_SCOPE_BUDGET,      /* the account the server charges (login or impersonated) */
    BACKEND_SCOPE_CREDENTIALS, /* every mailbox logging in with these credentials */
    BACKEND_SCOPES
};

/* One item of a request that failed on its own: its id, how (ITEM_REFUSED, UNSUPPORTED,
 * TRY_LATER) and the server's words. */
struct backend_item_failure {
    char *id;
    enum backend_status status;
    char *reason;
};

struct backend_result {
    enum backend_status status;
    unsigned retry_ms; /* the server asked to wait this long (0: it did not say) */
    const char *error; /* a reason for logs (NULL on success), valid in the callback */

    /* Owned by the result and freed after the callback; a callback may keep a member by
     * taking it (setting it to NULL). */
    struct item *items; /* find (ids only), fetch, calendar_view, verify (the calendar
                           item), list_attachments (its attachment ids) */
    size_t n_items;
    bool more;          /* find: another page follows at next_offset */
    size_t next_offset; /* find */
    char *moved_id;     /* respond: where answering moved the request, NULL if unknown */
    size_t n_done;      /* delete, delete_attachments: how many succeeded */
    /* The request went out and its reply was lost or unreadable (a reset, a timeout, a
     * malformed answer, an error page other than 503): the server may have carried it out. */
    bool fate_unknown;
    /* fetch: the messages the server refused one by one (the others are in items) */
    struct backend_item_failure *failures;
    size_t n_failures;
    /* respond, rewrite_many with n items, when the server answered item by item: each
     * item's own status in the order sent (BACKEND_OK or an item-level status; a
     * request-level one for an item the server did not process), and respond's moved_ids
     * (NULL entries where unknown). NULL when the request as a whole failed: then status
     * applies to every item. */
    enum backend_status *item_status;
    char **moved_ids;
    char **item_errors; /* the server's words for each failed item (NULL entries: none) */
    size_t n_item_status;
    /* expand_group: the group's own members (nested groups unexpanded, is_group set), and
     * whether the server said the list is whole. */
    struct backend_member *members;
    size_t n_members;
    bool members_complete;
    /* sync_inbox: items are the messages created or changed (ids and classes; read flag
     * changes left out), gone the ids of those that left the folder, more that another
     * page follows from sync_state. */
    char *sync_state;     /* the state covering this answer's changes */
    struct item_id *gone; /* ids only */
    size_t n_gone;
    bool sync_state_invalid; /* the server refused the state given (corrupt, too old) */
    bool unsupported;        /* the server does not offer the operation at all */
    char *subscription_id;   /* subscribe */
    char *affinity_cookie;   /* subscribe: the server's X-BackEndOverrideCookie, if it set one */
};

/* A member of a distribution group. */
struct backend_member {
    char *address; /* SMTP address */
    bool is_group; /* itself a distribution group, to be expanded on its own */
};

typedef void (*backend_cb)(struct backend_result *result, void *userdata);

/* What a streaming connection (backend_ops.listen) reports, from the loop. None of them may
 * stop the connection. */
struct backend_listen_events {
    /* Subscription SUBSCRIPTION_ID has events (which ones does not matter: the mailbox
     * syncs, it never trusts an event alone). */
    void (*on_event)(const char *subscription_id, void *ud);
    /* The server no longer knows the subscription (not found, expired): subscribe again. */
    void (*on_lost)(const char *subscription_id, void *ud);
    /* Something arrived: the connection is alive. HEARTBEAT: only a heartbeat (the server
     * sends one after a quiet interval), which tells the server's pace. */
    void (*on_alive)(bool heartbeat, void *ud);
    /* The connection ended. CLOSED: at its timeout, as agreed (nothing lost); otherwise it
     * broke (WHY), and events may have been missed. The last call. */
    void (*on_end)(bool closed, const char *why, void *ud);
};

struct backend_listen;
struct ev_loop;

/* The affinity of a group of subscriptions ("Maintain affinity between a group of
 * subscriptions and the Mailbox server"): its anchor mailbox and the server's affinity
 * cookie from the anchor's Subscribe (NULL until known). Borrowed for the call. */
struct backend_affinity {
    const char *anchor;
    const char *cookie;
};

struct backend;
struct backend_call;

/* An answer to a meeting request, or the removal of a cancelled meeting. */
enum backend_answer_kind {
    BACKEND_ACCEPT,
    BACKEND_TENTATIVE,
    BACKEND_DECLINE,
    BACKEND_REMOVE, /* a cancellation: take the meeting off the calendar, send nothing */
};

struct backend_answer {
    enum backend_answer_kind kind;
    const struct item_id *ref; /* the meeting request (or cancellation, or occurrence) */
    const char *text;          /* the answer's text, NULL for none */
};

/* Changes to a calendar item: only the mailbox's own copy, nobody is notified. */
struct backend_rewrite {
    const char *subject; /* NULL = unchanged */
    bool clear_body;
    bool make_public; /* sensitivity Normal */
    bool show_free;   /* free/busy Free */
};

/* Every operation returns 0 with *CALL set (for backend_cancel), or -1 when nothing was
 * submitted (the callback never runs). Argument strings are borrowed for the call only. */
struct backend_ops {
    /* One page of the meeting requests and cancellations in the Inbox, oldest first, from
     * OFFSET: ids and classes only. */
    int (*find)(struct backend *b, size_t offset, backend_cb cb, void *ud,
                struct backend_call **call);
    /* Everything the policy reads of N messages; items gone are left out. */
    int (*fetch)(struct backend *b, const struct item_id *ids, size_t n, backend_cb cb, void *ud,
                 struct backend_call **call);
    /* The calendar's items over [START, END), series expanded to occurrences. */
    int (*calendar_view)(struct backend *b, time_t start, time_t end, backend_cb cb, void *ud,
                         struct backend_call **call);
    /* Whether the calendar item ID carries an answer (items[0].my_response), or
     * BACKEND_ITEM_GONE. */
    int (*verify)(struct backend *b, const char *id, backend_cb cb, void *ud,
                  struct backend_call **call);
    /* Sends N answers (REMOVE saves only); the status is that of the first that failed. */
    int (*respond)(struct backend *b, const struct backend_answer *answers, size_t n, backend_cb cb,
                   void *ud, struct backend_call **call);
    int (*rewrite)(struct backend *b, const char *id, const struct backend_rewrite *rw,
                   backend_cb cb, void *ud, struct backend_call **call);
    /* The attachment ids of item ID, as items[0].attachment_ids. */
    int (*list_attachments)(struct backend *b, const char *id, backend_cb cb, void *ud,
                            struct backend_call **call);
    int (*delete_attachments)(struct backend *b, const struct item_id *ids, size_t n, backend_cb cb,
                              void *ud, struct backend_call **call);
    /* Forwards item ID to N_TO addresses with NOTE above its body. */
    int (*forward)(struct backend *b, const char *id, const char *const *to, size_t n_to,
                   const char *note, backend_cb cb, void *ud, struct backend_call **call);
    /* Moves N messages to Deleted Items. */
    int (*remove)(struct backend *b, const struct item_id *ids, size_t n, backend_cb cb, void *ud,
                  struct backend_call **call);
    /* Cancels a call whose callback has not run; the callback is not called. */
    void (*cancel)(struct backend_call *call);
    void (*free)(struct backend *b);
    /* One page of the calendar folder's items from OFFSET, as stored (a series is its
     * master, with its recurrence where the server gives it), for servers whose
     * calendar_view does not expand series; NULL where unsupported. */
    int (*list_calendar)(struct backend *b, size_t offset, backend_cb cb, void *ud,
                         struct backend_call **call);
    /* N rewrites in one request: calendar item IDS[i] changed as RWS[i]; per-item outcomes
     * in item_status. NULL where unsupported (the mailbox sends rewrite() one by one). */
    int (*rewrite_many)(struct backend *b, const char *const *ids,
                        const struct backend_rewrite *rws, size_t n, backend_cb cb, void *ud,
                        struct backend_call **call);
    /* The members of the distribution group ADDRESS (one level: nested groups are members
     * with is_group). BACKEND_ITEM_GONE: ADDRESS names no group (a mailbox, or nobody).
     * NULL in backends that cannot expand groups: every address is then a person. */
    int (*expand_group)(struct backend *b, const char *address, backend_cb cb, void *ud,
                        struct backend_call **call);
    /* The newest page of the meeting responses in Sent Items (ids and classes only): what
     * this mailbox answered lately. NULL where unsupported. */
    int (*find_sent_responses)(struct backend *b, backend_cb cb, void *ud,
                               struct backend_call **call);

    /* What changed in the Inbox since STATE (NULL: from the beginning, every message a
     * creation), one page at a time; see struct backend_result. NULL when unsupported. */
    int (*sync_inbox)(struct backend *b, const char *state, backend_cb cb, void *ud,
                      struct backend_call **call);
    /* Subscribes the Inbox to notifications (new, created, changed messages): the result's
     * subscription_id, or unsupported. NULL when unsupported. */
    int (*subscribe)(struct backend *b, const struct backend_affinity *affinity, backend_cb cb,
                     void *ud, struct backend_call **call);
    /* Ends a subscription subscribe made (status only). NULL when unsupported. */
    int (*unsubscribe)(struct backend *b, const char *subscription_id,
                       const struct backend_affinity *affinity, backend_cb cb, void *ud,
                       struct backend_call **call);
    /* Opens one long-lived connection (on a transport of its own, so that it holds no slot
     * of the ordinary requests) carrying the events of N subscriptions made with this
     * backend's credentials, for MINUTES; this backend's mailbox anchors the group. NULL
     * when it cannot be opened. */
    struct backend_listen *(*listen)(struct backend *b, struct ev_loop *loop,
                                     const char *const *ids, size_t n, int minutes,
                                     const struct backend_affinity *affinity,
                                     const struct backend_listen_events *ev, void *ud);
    /* Closes a connection; no event is reported after. */
    void (*listen_stop)(struct backend_listen *l);
};

/* The common head of every backend. */
struct backend {
    const struct backend_ops *ops;
    /* backoff.h keys per scope, and the credentials as logs name them ("user (NTLM) at URL",
     * never the secret). Owned by the backend. */
    char *keys[BACKEND_SCOPES];
    char *credentials_name;
};

/* The scope a failed STATUS pauses, or -1 when it concerns this mailbox only. */
int backend_status_scope(enum backend_status status);

/* Whether the whole request failed (not one item). */
bool backend_request_failed(enum backend_status status);

/* A throttled server wants no request at all before its back-off is over. */
bool backend_throttled(const struct backend_result *r);

/* Static name of a status, for logs and tests. */
const char *backend_status_name(enum backend_status status);

/* Releases what a result holds (the backends call it after the callback). */
void backend_result_clear(struct backend_result *r);

/* Frees the common head's strings (for the backends' free). */
void backend_head_clear(struct backend *b);

#endif
