/*
 * pollgate: how many polls run at once, and the order in which the others start.
 *
 * A poll holds its requests' bodies, its backend, its HTTP handle and the items it fetched;
 * every mailbox whose timer fires starts one. At start-up or after a pause, thousands of
 * timers fire within a second, and each poll used to build its first request at once and
 * queue it in the HTTP client behind the concurrency cap: 10,000 mailboxes held 10,000
 * request bodies and libcurl handles (about 8 KiB each) until their turn came, and the heap
 * kept that peak for good. The gate lets at most `max_running` polls run; a mailbox whose
 * poll is due waits in a FIFO (intrusive: no allocation) and is woken, with its slot, when a
 * running poll ends. So a request is built when it can be sent, and memory stays bounded by
 * max_running, not by the number of mailboxes.
 *
 * A slot is handed over, not released then taken again: a woken mailbox owns it until it
 * gives it back (pollgate_leave), so nobody overtakes the queue. Single-threaded, on the
 * loop.
 */
#ifndef MEETINGD_POLLGATE_H
#define MEETINGD_POLLGATE_H

#include <stdbool.h>
#include <stddef.h>

struct pollgate_waiter {
    struct pollgate_waiter *prev, *next;
    bool queued;
    /* Called when a slot was handed to this waiter (from pollgate_leave). */
    void (*wake)(struct pollgate_waiter *w);
};

struct pollgate {
    unsigned max_running;
    unsigned running; /* slots held, handed ones included */
    struct pollgate_waiter *head, *tail;
    size_t n_waiting;
};

/* MAX_RUNNING 0 means no limit. */
void pollgate_init(struct pollgate *g, unsigned max_running);

/* Takes a slot: true when W may run now; false when it was queued (W->wake follows). */
bool pollgate_enter(struct pollgate *g, struct pollgate_waiter *w);

/* Gives a slot back: the longest waiter, if any, gets it (its wake runs now). */
void pollgate_leave(struct pollgate *g);

/* Takes W out of the queue (it no longer waits); nothing when it is not queued. */
void pollgate_cancel(struct pollgate *g, struct pollgate_waiter *w);

#endif
