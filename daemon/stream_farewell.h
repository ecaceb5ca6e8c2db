/*
 * stream_farewell: the Unsubscribe of a subscription whose mailbox stopped or went away.
 *
 * Best effort and bounded: the server's answer or STREAM_FAREWELL_WAIT_S, whichever comes
 * first; a failure is only logged (the server ends a subscription nobody reads after its
 * own timeout anyway). At an orderly stop the daemon waits for the farewells in flight
 * (stream_farewells_wait) before it frees the HTTP client they use.
 */
#ifndef MEETINGD_STREAM_FAREWELL_H
#define MEETINGD_STREAM_FAREWELL_H

#include <stdbool.h>

struct backend;
struct backend_affinity;
struct confref;
struct ev_loop;

#define STREAM_FAREWELL_WAIT_S 2.0

/* Unsubscribes SUBSCRIPTION_ID (taken) of mailbox NAME through BACKEND (taken), opened
 * with CONF (a reference is held until the end), routed by its group's AFFINITY (copied;
 * NULL: none). */
void stream_farewell_take(struct ev_loop *loop, const char *name, struct backend *backend,
                          struct confref *conf, char *subscription_id,
                          const struct backend_affinity *affinity);

/* Runs LOOP until every farewell in flight ended (each within STREAM_FAREWELL_WAIT_S), or
 * *GIVE_UP turned true; those left are cancelled. */
void stream_farewells_wait(struct ev_loop *loop, const bool *give_up);

#endif
