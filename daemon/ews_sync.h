/*
 * ews_sync: the EWS requests and answers of change tracking and batching.
 *
 * - SyncFolderItems (what changed in a folder since a sync state);
 * - streaming notifications: Subscribe (streaming), GetStreamingEvents, Unsubscribe (their
 *   answers are read by ews_stream.h);
 * - batching: one UpdateItem carrying the ItemChanges of many items, and the per-item
 *   outcomes of a batched CreateItem (ews_build_respond_batch) or UpdateItem read from
 *   their ResponseMessages in order, so that a failed item fails alone.
 *
 * Pure: no I/O. Builders follow ews_build.h's contract (a newly allocated envelope to
 * free(), NULL for an invalid argument; every envelope validates against the schema kit).
 * The answers are parsed by ews_parse_response(); ews_batch_results() reads them item by
 * item.
 */
#ifndef MEETINGD_EWS_SYNC_H
#define MEETINGD_EWS_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ews_build.h"
#include "ews_parse.h"

/* ---- SyncFolderItems ---- */

/* MaxChangesReturned bounds (t:MaxSyncChangesReturnedType). */
#define EWS_SYNC_MAX_CHANGES 512

struct ews_sync_folder_items_args {
    struct ews_folder_ref folder; /* e.g. {.distinguished_id = "inbox"} */
    enum ews_base_shape shape;
    const char *const *additional_fields; /* FieldURIs (ews_field_uri_is_valid) */
    size_t n_additional_fields;
    const char *sync_state;       /* NULL or "" = from the beginning (every item a Create) */
    const struct item_id *ignore; /* m:Ignore: items whose changes are not wanted */
    size_t n_ignore;
    int max_changes; /* 1..EWS_SYNC_MAX_CHANGES */
};

/* m:SyncFolderItems. The answer is parsed by ews_parse_response(..., "SyncFolderItems"):
 * the message's sync_state, includes_last_item_in_range and changes. */
char *ews_build_sync_folder_items(const struct ews_context *ctx,
                                  const struct ews_sync_folder_items_args *args);

/* Whether a SyncFolderItems message says the state it was given is unusable (corrupted,
 * too old, or of another folder): ErrorInvalidSyncStateData. The caller forgets the state
 * and syncs from the beginning, which the ledger keeps exactly-once. */
bool ews_sync_state_is_invalid(const struct ews_response_message *m);

/* Whether a fault or error code says the server has no streaming notifications (or no
 * SyncFolderItems): the request is unknown to its schema (ErrorSchemaValidation), it
 * refuses it as invalid (ErrorInvalidRequest, ErrorInvalidOperation,
 * ErrorInvalidSubscriptionRequest) or names a
 * version that lacks it (ErrorInvalidServerVersion). The caller falls back to the next
 * sync mode and logs why. */
bool ews_sync_code_means_unsupported(const char *code_text);

/* ---- streaming notifications ---- */

/* Event types of a subscription (t:NotificationEventTypeType), as a bit mask. */
enum ews_event_type {
    EWS_EVENT_NEW_MAIL = 1u << 0,
    EWS_EVENT_CREATED = 1u << 1,
    EWS_EVENT_MODIFIED = 1u << 2,
    EWS_EVENT_DELETED = 1u << 3,
    EWS_EVENT_MOVED = 1u << 4,
    EWS_EVENT_COPIED = 1u << 5,
    EWS_EVENT_FREE_BUSY_CHANGED = 1u << 6,
    EWS_EVENT_STATUS = 1u << 7, /* t:StatusEvent (received only, never subscribed to) */
};

/* Subscription ids per GetStreamingEvents: Exchange serves up to 200 subscriptions of one
 * affinity group on one connection ("Maintain affinity between a group of subscriptions
 * and the Mailbox server"). */
#define EWS_STREAMING_MAX_SUBSCRIPTIONS 200
/* ConnectionTimeout bounds in minutes (t:StreamingSubscriptionConnectionTimeoutType). */
#define EWS_STREAMING_MAX_MINUTES 30

/* m:Subscribe with m:StreamingSubscriptionRequest on n >= 1 folders for the events in
 * event_mask (at least one subscribable type). */
char *ews_build_subscribe_streaming(const struct ews_context *ctx,
                                    const struct ews_folder_ref *folders, size_t n,
                                    unsigned event_mask);

/* m:GetStreamingEvents for n (1..EWS_STREAMING_MAX_SUBSCRIPTIONS) subscription ids, open
 * for minutes (1..EWS_STREAMING_MAX_MINUTES). Send it with the affinity headers of the
 * group (X-AnchorMailbox, X-PreferServerAffinity) and the impersonation header of one of
 * its mailboxes, as the Subscribe requests were. */
char *ews_build_get_streaming_events(const struct ews_context *ctx, const char *const *ids,
                                     size_t n, int minutes);

/* m:Unsubscribe of one subscription. */
char *ews_build_unsubscribe(const struct ews_context *ctx, const char *subscription_id);

/* ---- batching ---- */

/* One item of a batched UpdateItem. */
struct ews_item_update {
    struct ews_item_ref ref;
    const struct ews_item_change *changes;
    size_t n_changes; /* >= 1 */
};

/* m:UpdateItem with one t:ItemChange per update (n >= 1), in order; one ResponseMessage
 * comes back per ItemChange. Every update must be valid for ews_build_update_item_ref()
 * with the same conflict / send (they are attributes of the whole request). */
char *ews_build_update_items(const struct ews_context *ctx, const struct ews_item_update *updates,
                             size_t n, enum ews_conflict_resolution conflict,
                             enum ews_update_send send);

/* What became of one item of a batch. */
enum ews_batch_outcome {
    EWS_BATCH_DONE,    /* Success or Warning: the item was processed */
    EWS_BATCH_FAILED,  /* this item failed; see action (the others are unaffected) */
    EWS_BATCH_RETRY,   /* not processed (throttled, batch stopped, request refused before
                          processing): send it again later, honouring backoff_ms */
    EWS_BATCH_UNKNOWN, /* the answer cannot be matched to the items (fewer or more
                          messages than items): whether it was processed is unknown, so
                          the caller checks the mailbox before answering it again */
};

struct ews_batch_result {
    enum ews_batch_outcome outcome;
    enum ews_error code;          /* EWS_OK when done */
    const char *code_text;        /* borrowed from the response; NULL for NoError */
    enum ews_error_action action; /* ews_error_action(code) */
    unsigned backoff_ms;
    const struct item *item; /* first item of the message (UpdateItem: the new ChangeKey),
                                borrowed from the response; NULL if none */
};

/* The outcome of each of the n items sent in the request resp answers, in the order they
 * were sent: results[i] for item i (results has room for n). A SOAP fault applies to every
 * item. Returns the number of items done. */
size_t ews_batch_results(const struct ews_response *resp, size_t n,
                         struct ews_batch_result *results);

#endif
