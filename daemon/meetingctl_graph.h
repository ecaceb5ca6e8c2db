/*
 * meetingctl_graph: meetingctl's commands on Microsoft Graph ([server] protocol = graph).
 *
 * The same walkthrough steps and options as on EWS (create, status, update, cancel, list,
 * respond), as the app registration of [server] acting on /users/{--as}: POST events with
 * required, optional and resource attendees (and a recurrence), GET the event with each
 * attendee's status.response, PATCH it, POST events/{id}/cancel, the folders' messages, and
 * accept / tentativelyAccept / decline of a request's event.
 */
#ifndef MEETINGD_MEETINGCTL_GRAPH_H
#define MEETINGD_MEETINGCTL_GRAPH_H

#include <stdbool.h>

#include "conf.h"

/* Runs command ARGV[0] (ARGC words) as AS; returns the exit status. */
int meetingctl_graph_run(const struct conf *conf, const char *as, bool json, int argc, char **argv);

#endif
