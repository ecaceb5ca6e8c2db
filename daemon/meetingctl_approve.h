/*
 * meetingctl_approve: `meetingctl approve|reject ID [--message M]`, a delegate's answer to a
 * request a room forwarded for approval (see README "Approval by the delegates").
 */
#ifndef MEETINGD_MEETINGCTL_APPROVE_H
#define MEETINGD_MEETINGCTL_APPROVE_H

#include "meetingctl.h"

/* ARGV[0] is "approve" or "reject". Returns the process's exit status. */
int ctl_cmd_approve(struct ctl *c, int argc, char **argv);

#endif
