/*
 * metrics: what meetingd has done, counted for Prometheus and for `meetingctl health`.
 *
 * One process-wide registry. The hooks are called from the few places where things happen
 * (the decision sink and the poll callback in main.c, the EWS call completion in ews_client.c,
 * the back-off in mailbox.c); a registry reached through a global keeps those calls one line
 * each instead of threading a pointer through modules that know nothing of metrics. Every
 * hook is a no-op until metrics_init() (meetingctl and the tests of other modules never call
 * it). Single-threaded, like the rest of meetingd.
 *
 * metrics_render() writes the Prometheus text exposition format (version 0.0.4):
 *   meetingd_build_info{version}                          1
 *   meetingd_start_time_seconds                           process start, Unix time
 *   meetingd_mailboxes                                    mailboxes running
 *   meetingd_mailboxes_failing                            of which in back-off after a failed poll
 *   meetingd_mailbox_failing{mailbox}                     1 while the mailbox's polls fail
 *   meetingd_mailbox_paused{mailbox}                      1 while its state cannot be written
 *                                                         (ledger, decision record): nothing sent
 *   meetingd_mailbox_consecutive_failures{mailbox}        failed polls in a row
 *   meetingd_polls_total{mailbox,outcome}                 outcome ok | failed
 *   meetingd_last_poll_timestamp_seconds{mailbox}         last poll, any outcome (absent: none yet)
 *   meetingd_last_successful_poll_timestamp_seconds{mailbox}
 *   meetingd_decisions_total{mailbox,decision}            accept | tentative | decline | ignore
 *   meetingd_answers_sent_total{mailbox,response}         answers the server took
 *   meetingd_answers_failed_total{mailbox}                answers that failed (retried later)
 *   meetingd_last_decision_timestamp_seconds{mailbox,decision}   the latest decision only
 *   meetingd_backoffs_total{mailbox,cause}                server-busy | auth | transport | http |
 *                                                         malformed | soap-fault | ews-error
 *   meetingd_ews_requests_total{operation,outcome}        outcome as ews_call_status_str()
 *   meetingd_ews_request_duration_seconds{operation}      histogram, queue time included
 *   meetingd_ews_requests_queued, meetingd_ews_requests_in_flight   the HTTP client's queue
 * Dry runs count their decisions too (nothing is sent, so no answers).
 */
#ifndef MEETINGD_METRICS_H
#define MEETINGD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "backend.h"
#include "ews_client.h"
#include "policy.h"

/* Starts counting; START is the process's start time. Calling it again starts over. */
void metrics_init(time_t start);

/* Stops counting and frees everything; the hooks become no-ops again. */
void metrics_free(void);

/* A mailbox started / went away (reload, shutdown): its series appear / disappear. */
void metrics_mailbox_add(const char *mailbox);
void metrics_mailbox_remove(const char *mailbox);

/* Hook of the decision sink: a decision on MAILBOX with its OUTCOME ("sent", "failed...",
 * "dry-run", ...), taken at WHEN. */
void metrics_decision(const char *mailbox, enum policy_decision decision, const char *outcome,
                      time_t when);

/* Hook of the decision sink: an answer of MAILBOX whose outcome was unknown was found to have
 * arrived (counted as sent, the decision was counted when it was taken). */
void metrics_answer_settled(const char *mailbox, enum policy_decision decision);

/* Hook of the mailbox: MAILBOX pauses (PAUSED) because its state cannot be written, or
 * resumes. */
void metrics_paused(const char *mailbox, bool paused);

/* Hook of the poll callback: a poll of MAILBOX ended at WHEN; CONSECUTIVE_FAILURES is the
 * mailbox's count of failed polls in a row (0 after a good one). */
void metrics_poll(const char *mailbox, bool ok, unsigned consecutive_failures, time_t when);

/* Hook of the back-off: MAILBOX waits before its next poll because of RES. */
void metrics_backoff(const char *mailbox, const struct backend_result *res);

/* Hook of an EWS call's completion: OPERATION ended with STATUS after SECONDS. */
void metrics_ews_request(const char *operation, enum ews_call_status status, double seconds);

/* Hook of a Graph call's completion: OPERATION ("POST events/accept") was ANSWERED with
 * HTTP_STATUS, or not answered at all, after SECONDS. */
void metrics_graph_request(const char *operation, bool answered, long http_status, double seconds);

/* The HTTP client's queue, set by the daemon just before rendering. */
void metrics_set_queue(size_t queued, size_t in_flight);

/* The cause label metrics_backoff() files RES under (static string). */
const char *metrics_backoff_cause(const struct backend_result *res);

/* The whole exposition, caller frees; NULL before metrics_init(). */
char *metrics_render(void);

#endif
