/*
 * external_notice: a request from outside the organization that a policy ignores is left
 * alone without an answer, which the organizer cannot see; the log says so at notice level,
 * once per mailbox and organizer per day, so that an administrator learns of it without a
 * busy organizer flooding the journal.
 */
#ifndef MEETINGD_EXTERNAL_NOTICE_H
#define MEETINGD_EXTERNAL_NOTICE_H

#include <stdbool.h>
#include <time.h>

#include "item.h"
#include "policy.h"

/* True the first time MAILBOX and ORGANIZER (case-insensitive) come together on the local
 * day of NOW; false for the rest of that day. Remembers at most a bounded number of pairs
 * (the oldest day's are forgotten first: at worst a second notice). */
bool external_notice_due(const char *mailbox, const char *organizer, time_t now);

/* Logs the notice for REQUEST in MAILBOX when RESULT ignored it as external and it is due. */
void external_notice_log(const char *mailbox, const struct item *request,
                         const struct policy_result *result, time_t now);

#endif
