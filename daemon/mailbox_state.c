/*
 * mailbox_state: the mailbox's own state (see mailbox_int.h): writing the ledger, pausing the
 * mailbox while its state cannot be written, telling the decision record the truth about
 * answers whose outcome was unknown, and settling the intents whose request has left the
 * Inbox.
 *
 * Nothing is sent unless its intent is on disk and the decision record takes lines: a full
 * disk or a removed state directory pauses the mailbox, said once when it starts and once when
 * it ends (meetingd_mailbox_paused shows it meanwhile), not once per attempt.
 *
 * An answer whose reply was lost (or that a crash interrupted) keeps its intent in the ledger.
 * Where the server keeps answered requests in the Inbox, the item's own check settles it
 * (mailbox_item.c). Where the server moves them (Exchange, with a new id), the request is not
 * seen again: the intent's link, its calendar item, tells instead. Either way the decision
 * record gets a line that settles the earlier one ("settles": true, "sent" or "not sent").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "log.h"
#include "mailbox_int.h"
#include "metrics.h"
#include "util.h"

/* ---- writing the state ------------------------------------------------------------------ */

/* Says once when the state stops being writable and once when it is writable again. */
static void state_episode(struct mailbox *m, bool written, const char *why)
{
    if (written != m->paused)
        return;
    m->paused = !written;
    metrics_paused(m->name, m->paused);
    if (m->paused)
        log_error("mailbox %s: cannot write %s; it sends nothing until its state can be written, "
                  "and tries again every poll",
                  m->name, why);
    else
        log_notice("mailbox %s: its state can be written again; answering goes on", m->name);
}

/* Whether the decision record takes lines (asked before an intent: nothing is sent whose
 * decision could not be recorded either); else the mailbox pauses, errno EIO. */
static bool record_takes_lines(struct mailbox *m)
{
    if (m->env.can_record == NULL || m->env.can_record(m->env.userdata))
        return true;
    state_episode(m, false, "the decision record");
    errno = EIO;
    return false;
}

/* After a ledger append that returned RC: the pause starts or ends (a record the ledger
 * refuses, EINVAL, is no trouble of the state). Returns RC, errno kept. */
static int ledger_written(struct mailbox *m, int rc)
{
    if (rc == 0) {
        state_episode(m, true, "");
        return 0;
    }
    int saved = errno;
    if (saved != EINVAL) {
        char *why = xasprintf("the ledger: %s", strerror(saved));
        state_episode(m, false, why);
        free(why);
    }
    errno = saved;
    return -1;
}

static int write_state(struct mailbox *m, const struct ledger_record *rec, const char *link)
{
    if (m->env.dry_run) {
        if (rec->state == LEDGER_DONE)
            strlist_add(&m->dry_run_seen, rec->id);
        return 0;
    }
    if (rec->state == LEDGER_INTENT && !record_takes_lines(m))
        return -1;
    return ledger_written(m, rec->state == LEDGER_INTENT
                                 ? ledger_intent_linked(m->ledger, rec->id, rec->action, link)
                                 : ledger_done(m->ledger, rec->id, rec->action));
}

int mailbox_record_intents(struct mailbox *m, const struct ledger_record *recs,
                           const char *const *links, size_t n)
{
    if (m->env.dry_run)
        return 0;
    if (!record_takes_lines(m))
        return -1;
    return ledger_written(m, ledger_append_many_linked(m->ledger, recs, links, n));
}

int mailbox_record(struct mailbox *m, bool intent, const char *id, const char *action)
{
    if (!intent)
        mailbox_retries_forget(m, id);
    struct ledger_record rec = {intent ? LEDGER_INTENT : LEDGER_DONE, id, action};
    return write_state(m, &rec, NULL);
}

int mailbox_record_intent(struct mailbox *m, const char *id, const char *action, const char *link)
{
    struct ledger_record rec = {LEDGER_INTENT, id, action};
    return write_state(m, &rec, link);
}

void mailbox_pause(struct mailbox *m)
{
    if (m->env.once || !m->paused) {
        /* --once reports it in its exit status instead of waiting; an intent the ledger
         * refuses (not a state trouble) fails its item alone. */
        m->poll->item_failures++;
        mailbox_item_finished(m);
        return;
    }
    mailbox_poll_pause(m);
}

/* ---- the decision record ---------------------------------------------------------------- */

static enum policy_decision decision_named(const char *action)
{
    if (action != NULL && strcmp(action, "accept") == 0)
        return POLICY_ACCEPT;
    if (action != NULL && strcmp(action, "tentative") == 0)
        return POLICY_TENTATIVE;
    if (action != NULL && strcmp(action, "decline") == 0)
        return POLICY_DECLINE;
    return POLICY_IGNORE;
}

/* Whether ACTION (a ledger word) is a cancellation's: the record names it as its decision. */
static bool cancellation_action(const char *action)
{
    return action != NULL && (strcmp(action, "remove") == 0 || strcmp(action, "keep") == 0);
}

void mailbox_emit_outcome(struct mailbox *m, const struct item *request, const char *action,
                          const char *outcome, bool settles)
{
    if (m->env.on_decision == NULL)
        return;
    const struct mailbox_work *w = m->poll->work;
    struct policy_result bare = {.decision = decision_named(action)};
    bool decided = w != NULL && w->have_result && w->item == request;
    struct policy_event d = {
        .mailbox = m->name,
        .address = m->poll->cm->address,
        .request = request,
        .result = decided ? &w->result : &bare,
        .outcome = outcome,
        .action = cancellation_action(action) ? action : NULL,
        .settles = settles,
    };
    m->env.on_decision(&d, m->env.userdata);
}

void mailbox_record_settled(struct mailbox *m, const struct item *request, const char *action,
                            const char *outcome)
{
    bool removal = action != NULL && strcmp(action, "remove") == 0;
    if (removal && strcmp(outcome, "sent") == 0)
        outcome = "removed";
    else if (removal && strcmp(outcome, "not sent") == 0)
        outcome = "not removed";
    mailbox_emit_outcome(m, request, action, outcome, true);
}

/* ---- intents whose request left the Inbox ----------------------------------------------- */

static void collect_pending(const char *id, const char *action, void *userdata)
{
    (void)action;
    strlist_add(userdata, id);
}

void mailbox_settle_prepare(struct mailbox *m)
{
    if (m->env.dry_run || ledger_pending_count(m->ledger) == 0)
        return;
    ledger_foreach_pending(m->ledger, collect_pending, &m->poll->unsettled);
}

void mailbox_settle_seen(struct mailbox *m, const char *id)
{
    struct strlist *l = &m->poll->unsettled;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], id) == 0) {
            free(l->v[i]);
            l->v[i] = l->v[--l->n];
            return;
        }
    }
}

/* Settles intent ID as OUTCOME ("sent", "not sent"); CAL is its calendar item (what the
 * record can say of the meeting), or NULL. */
static void settle(struct mailbox *m, const char *id, const struct item *cal, const char *outcome)
{
    char action[32];
    snprintf(action, sizeof(action), "%s", ledger_action(m->ledger, id));
    struct item request = {.id = {.id = (char *)id}};
    if (cal != NULL) {
        request.uid = cal->uid;
        request.subject = cal->subject;
        request.organizer = cal->organizer;
        request.start = cal->start;
        request.end = cal->end;
    }
    bool arrived = strcmp(outcome, "sent") == 0;
    log_notice("mailbox %s: an earlier %s of \"%s\" whose outcome was unknown %s (its request "
               "has left the Inbox)",
               m->name, action, request.subject ? request.subject : id,
               arrived ? "reached the server" : "did not reach the server");
    mailbox_record_settled(m, &request, action, outcome);
    mailbox_record(m, false, id, arrived ? action : "gone");
}

void mailbox_settle_next(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    while (p->settle_pos < p->unsettled.n) {
        const char *id = p->unsettled.v[p->settle_pos++];
        const char *link = ledger_link(m->ledger, id);
        if (ledger_state(m->ledger, id) != LEDGER_INTENT)
            continue;
        /* Without a link the intent is not an answer's to an Inbox message (the approval
         * flow keys its own), or an older version wrote it: its owner settles it. */
        if (link == NULL)
            continue;
        MAILBOX_SEND(m, STEP_SETTLE, "GetItem", verify, link);
        return;
    }
    mailbox_next_inbox_batch(m);
}

/* How long an intent whose request left the Inbox unanswered is checked before it is given
 * up. A server carries an answer out in seconds; what makes an outcome unknown is a reply
 * lost on the way, and the calendar item shows the answer as soon as the server has it. A
 * request gone for a day while its calendar item holds no answer was deleted unanswered (by
 * someone, or by a rule): nothing is left to answer, and checking it every poll for ever
 * would cost a request a poll. */
#define SETTLE_GRACE_SECONDS (24 * 3600)

static bool given_up(const struct mailbox *m, const char *id)
{
    time_t when = ledger_when(m->ledger, id);
    return when > 0 && util_now() - when >= SETTLE_GRACE_SECONDS;
}

void mailbox_after_settle(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_poll *p = m->poll;
    const char *id = p->unsettled.v[p->settle_pos - 1];
    const char *action = ledger_action(m->ledger, id);
    bool removal = action != NULL && strcmp(action, "remove") == 0;
    if (r->status == BACKEND_ITEM_GONE) {
        /* A decline or a removal takes the calendar item away; otherwise someone deleted the
         * meeting, and the request went with it. */
        bool gone_by_us = action != NULL && (removal || strcmp(action, "decline") == 0);
        settle(m, id, NULL, gone_by_us ? "sent" : "not sent");
    } else if (r->status == BACKEND_OK && r->n_items == 1) {
        enum item_response resp = r->items[0].my_response;
        if (!removal &&
            (resp == RESPONSE_ACCEPT || resp == RESPONSE_TENTATIVE || resp == RESPONSE_DECLINE)) {
            settle(m, id, &r->items[0], "sent");
        } else if (given_up(m, id)) {
            const char *subject = r->items[0].subject ? r->items[0].subject : id;
            if (removal)
                log_notice("mailbox %s: \"%s\" is still on the calendar a day after its "
                           "cancellation left the Inbox (deleted by someone or a rule): the "
                           "earlier removal is given up",
                           m->name, subject);
            else
                log_notice("mailbox %s: \"%s\" has no answer on the calendar a day after its "
                           "request left the Inbox unanswered (deleted by someone or a rule): "
                           "the earlier %s is given up",
                           m->name, subject, action ? action : "answer");
            settle(m, id, &r->items[0], "not sent");
        } else {
            /* Not answered (or not removed) although the request left the Inbox: left as an
             * intent, checked again next poll, never answered blindly. */
            log_debug("mailbox %s: an intent whose request left the Inbox is not settled yet",
                      m->name);
        }
    } else if (backend_request_failed(r->status)) {
        mailbox_poll_fail(m, "GetItem (settling an earlier answer)", r);
        return;
    }
    mailbox_settle_next(m);
}
