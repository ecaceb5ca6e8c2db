/*
 * graph_backend_int: what graph_backend.c (the operations) and graph_run.c (sending them:
 * pages, $batch chunks, statuses) share.
 *
 * A backend call is a small state machine: a collection read (STEP_PAGES) fetches one page
 * after the other until no @odata.nextLink is left; a set of item requests (STEP_SUBS) goes
 * out in chunks, each chunk one request (alone) or one $batch (up to 20), one after the
 * other; the call's callback runs once when all are done or the first request failed as a
 * whole.
 */
#ifndef MEETINGD_GRAPH_BACKEND_INT_H
#define MEETINGD_GRAPH_BACKEND_INT_H

#include <stdbool.h>

#include "backend.h"
#include "graph_client.h"
#include "graph_delta.h"

struct http_client;
struct oauth2_params;

struct graph_backend {
    struct backend head; /* first: a struct backend * is a struct graph_backend * */
    struct http_client *http;
    const struct oauth2_params *oauth2; /* borrowed from the configuration the poll holds */
    char *base;                         /* graph_url */
    char *mailbox;                      /* the address, as in /users/{address} */
    struct graph_delta delta;
    /* fetch: message ids and the ids of their events, pairwise (answers go to the event) */
    struct strlist messages, events;
    char *attachments_of; /* the event whose attachments list_attachments read last */
};

/* What the answers of a call become. */
enum graph_op {
    GOP_DELTA,       /* find: Inbox delta pages applied to the delta state */
    GOP_EVENTS,      /* calendar_view: the events of every page */
    GOP_MESSAGES,    /* fetch: one message (with its event) per item request */
    GOP_EVENT,       /* verify: the one event asked for */
    GOP_ATTACHMENTS, /* list_attachments: the event's attachment ids */
    GOP_COUNT,       /* remove, delete_attachments: n_done counts the successes */
    GOP_STATUS,      /* respond, rewrite, forward: the status only */
};

/* One item request of a call. */
struct graph_sub {
    const char *method;
    char *url;         /* absolute */
    char *body;        /* JSON or NULL */
    bool gone_is_done; /* 404: already as wanted (a removal) */
    size_t answer;     /* respond: the answer this request belongs to */
};

struct backend_call {
    struct graph_backend *b;
    enum graph_op op;
    backend_cb cb;
    void *ud;
    struct graph_call *http;
    struct backend_result r;
    char error[256];
    /* a collection: the page asked for */
    char *page_url;
    bool resynced; /* find: the round was started over once */
    /* item requests */
    struct graph_sub *subs;
    size_t n_subs, pos, chunk, sent, max_chunk;
};

/* graph_run.c: starts CALL (its op and page_url or subs set up); 0, or -1 (call freed). */
int graph_run_start(struct backend_call *call, struct backend_call **out);
/* Releases CALL without calling back. */
void graph_run_free(struct backend_call *call);
/* Adds an item request to CALL (URL and BODY taken). */
void graph_run_add(struct backend_call *call, const char *method, char *url, char *body,
                   bool gone_is_done);
/* A call of B for OP with callback CB. */
struct backend_call *graph_run_new(struct graph_backend *b, enum graph_op op, backend_cb cb,
                                   void *ud);
/* Whether URL is on graph_url: only there does the token go (page and delta links). */
bool graph_on_base(const struct graph_backend *b, const char *url);
/* The event a fetched message announced, or NULL. */
const char *graph_event_of(const struct graph_backend *b, const char *message_id);
/* Takes an item the answer of OP_FETCH gave (pairs message and event). */
void graph_remember_item(struct graph_backend *b, const struct item *it);

#endif
