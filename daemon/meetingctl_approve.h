/*
 * meetingctl_approve: `meetingctl approve|reject ID [--message M]`, a delegate's answer to a
 * request a room forwarded for approval (see README "Approval by the delegates").
 */
#ifndef MEETINGD_MEETINGCTL_APPROVE_H
#define MEETINGD_MEETINGCTL_APPROVE_H

#include "ews_build.h"
#include "ews_client.h"

/* ARGV[0] is "approve" or "reject". Returns the process's exit status. */
int meetingctl_approve(struct ev_loop *loop, struct http_client *http,
                       const struct ews_account *account, const struct ews_context *ctx, int argc,
                       char **argv);

#endif
