/*
 * ews_backend_int: what ews_backend.c (the operations: the EWS request each one sends) and
 * ews_backend_result.c (the answer read into a struct backend_result) share.
 */
#ifndef MEETINGD_EWS_BACKEND_INT_H
#define MEETINGD_EWS_BACKEND_INT_H

#include <stddef.h>

#include "backend.h"
#include "ews_client.h"

/* How the answer of one operation becomes a backend result. */
enum ews_op {
    OP_FIND,
    OP_FETCH,
    OP_CALENDAR_VIEW,
    OP_VERIFY,
    OP_RESPOND,
    OP_STATUS_ONLY, /* rewrite, forward */
    OP_LIST_ATTACHMENTS,
    OP_COUNT_DONE, /* remove, delete_attachments */
    OP_SYNC,
    OP_SUBSCRIBE,
    OP_PER_ITEM, /* rewrite_many: each item's status */
    OP_EXPAND_DL,
};

struct backend_call {
    struct ews_call *ews;
    enum ews_op op;
    backend_cb cb;
    void *ud;
    size_t offset;       /* OP_FIND */
    char **answered_ids; /* OP_RESPOND: the requests answered, in order */
    size_t n_sent;       /* OP_RESPOND, OP_PER_ITEM: items in the request */
    char **fetched;      /* OP_FETCH: the ids asked for, in order (n_fetched) */
    size_t n_fetched;
    char error[256]; /* the server's words for a failed message (the result's error) */
};

/* The classes of the meeting messages read from the Inbox: requests and cancellations. */
extern const char *const ews_meeting_classes[2];

/* ews_call's callback for every operation: USERDATA is the struct backend_call, which it
 * fills a result from RES for, calls back and frees. */
void ews_backend_on_done(struct ews_call_result *res, void *userdata);
/* Frees CALL (not its EWS call) without calling back. */
void ews_backend_call_free(struct backend_call *call);

#endif
