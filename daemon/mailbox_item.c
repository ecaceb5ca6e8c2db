/*
 * mailbox_item: one meeting message of a poll (see mailbox_int.h): check an answer whose
 * outcome is unknown, gather the policy's context, decide, record the intent, answer, record
 * the outcome; remove cancelled meetings; set superseded requests aside.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "external_notice.h"
#include "ledger.h"
#include "log.h"
#include "mailbox_int.h"
#include "util.h"
#include "policy_time.h"

#define MAX_CALENDAR_SPAN (730 * 86400) /* Exchange refuses longer CalendarViews */

static const char *subject_of(const struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    return it && it->subject ? it->subject : "";
}

/* ---- the work object -------------------------------------------------------------------- */

struct mailbox_work *mailbox_work_new(struct item *item)
{
    struct mailbox_work *w = xcalloc(1, sizeof(*w));
    w->item = item;
    return w;
}

void mailbox_work_free(struct mailbox_work *w)
{
    if (w == NULL)
        return;
    if (!w->calendar_borrowed) {
        for (size_t i = 0; i < w->n_calendar; i++)
            item_free(w->calendar[i]);
        free(w->calendar);
    }
    free(w->occurrences);
    if (w->have_result)
        policy_result_clear(&w->result);
    free(w->moved_request_id);
    free(w->expanding);
    free(w);
}

void mailbox_item_finished(struct mailbox *m)
{
    mailbox_work_free(m->poll->work);
    m->poll->work = NULL;
    mailbox_next_item(m);
}

void mailbox_emit_work_decision(struct mailbox *m, const struct mailbox_work *w,
                                const char *outcome)
{
    if (m->env.on_decision == NULL)
        return;
    struct policy_event d = {
        .mailbox = m->name,
        .address = m->poll->cm->address,
        .request = w->item,
        .result = &w->result,
        .outcome = outcome,
    };
    m->env.on_decision(&d, m->env.userdata);
}

void mailbox_emit_decision(struct mailbox *m, const char *outcome)
{
    mailbox_emit_work_decision(m, m->poll->work, outcome);
}

/* Sorts a failed answer into: done anyway, this item only, or the whole poll. */
void mailbox_answer_failed(struct mailbox *m, const char *what, const struct backend_result *r)
{
    const char *id = m->poll->work->item->id.id;
    switch (r->status) {
    case BACKEND_ITEM_GONE:
        log_info("mailbox %s: \"%s\" is gone (%s)", m->name, subject_of(m), mailbox_reason(r));
        mailbox_record(m, false, id, "gone");
        mailbox_item_finished(m);
        return;
    case BACKEND_OUT_OF_DATE:
        /* The organizer changed the meeting after this request was sent; its successor is
         * in the Inbox and is answered instead. */
        log_info("mailbox %s: \"%s\" was superseded by an update; answering that instead", m->name,
                 subject_of(m));
        mailbox_record(m, false, id, "superseded");
        m->poll->again = true;
        mailbox_remove_old_request(m);
        return;
    default:
        mailbox_item_trouble(m, what, r);
        return;
    }
}

/* ---- superseded requests ---------------------------------------------------------------- */

/* RemoveOldMeetingMessages: a request an update superseded goes to Deleted Items (a failure
 * is left to the next poll's sweep). */
void mailbox_remove_old_request(struct mailbox *m)
{
    if (m->stopping || !mailbox_removes_old_messages(m)) {
        mailbox_item_finished(m);
        return;
    }
    struct item_id id = {.id = m->poll->work->item->id.id};
    MAILBOX_SEND(m, STEP_REMOVE_OLD, "DeleteItem", remove, &id, 1);
}

void mailbox_after_remove_old(struct mailbox *m, struct backend_result *r)
{
    if (r->status != BACKEND_OK && backend_throttled(r)) {
        /* Recorded as superseded already: the next poll's sweep moves it. */
        mailbox_poll_fail(m, "DeleteItem (moving an out-of-date request)", r);
        return;
    }
    if (r->status == BACKEND_OK)
        log_info("mailbox %s: moved the out-of-date \"%s\" to Deleted Items", m->name,
                 subject_of(m));
    else if (r->status != BACKEND_ITEM_GONE)
        log_warn("mailbox %s: moving the out-of-date \"%s\" to Deleted Items failed: %s", m->name,
                 subject_of(m), mailbox_reason(r));
    mailbox_item_finished(m);
}

/* ---- answering -------------------------------------------------------------------------- */

bool mailbox_action_arrived(struct mailbox *m, const struct backend_result *r, const char *what,
                            const char *outcome)
{
    const struct mailbox_work *w = m->poll->work;
    if (r->status != BACKEND_OK) {
        /* A lost reply is no failure: the next poll finds out and records the truth. */
        if (r->fate_unknown)
            mailbox_emit_decision(m, "unknown");
        else if (!mailbox_failure_permanent(r)) /* else recorded with the server's words */
            mailbox_emit_decision(m, "failed");
        mailbox_answer_failed(m, what, r);
        return false;
    }
    /* The decision record first: a crash between the two leaves the intent, whose check
     * records the answer again rather than not at all. */
    mailbox_emit_decision(m, outcome);
    mailbox_record(m, false, w->item->id.id, policy_decision_name(w->result.decision));
    m->poll->acted = true;
    m->poll->left_behind |= r->moved_id == NULL;
    return true;
}

void mailbox_after_answer(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_work *w = m->poll->work;
    if (!mailbox_action_arrived(m, r, "answering", "sent"))
        return;
    m->stats.answered++;
    if (r->moved_id) {
        free(w->moved_request_id);
        w->moved_request_id = r->moved_id;
        r->moved_id = NULL;
    }
    if (w->result.decision == POLICY_ACCEPT) {
        if (!mailbox_find_booked_item(m))
            mailbox_decline_next_occurrence(m);
    } else if (w->result.forward_to_delegates && !m->stopping) {
        /* The request moved; the delegates get it, or the meeting's calendar item, which
         * Exchange forwards as a meeting request too. */
        const char *ref = w->moved_request_id ? w->moved_request_id
                          : w->item->associated_calendar_item_id.id
                              ? w->item->associated_calendar_item_id.id
                              : w->item->id.id;
        mailbox_forward_to_delegates(m, ref, STEP_FORWARD);
    } else {
        /* Pencilled in for delegates nobody forwards it to (they decide on the room's own
         * calendar): remembered all the same, so that approval_timeout applies. */
        if (w->result.held_for_approval)
            mailbox_approval_hold(m);
        mailbox_item_finished(m);
    }
}

void mailbox_answer_decided(struct mailbox *m)
{
    static const enum backend_answer_kind kinds[] = {
        [POLICY_ACCEPT] = BACKEND_ACCEPT,
        [POLICY_TENTATIVE] = BACKEND_TENTATIVE,
        [POLICY_DECLINE] = BACKEND_DECLINE,
    };
    struct mailbox_work *w = m->poll->work;
    const char *id = w->item->id.id;
    const char *action = policy_decision_name(w->result.decision);
    if (w->result.decision == POLICY_IGNORE && w->result.forward_to_delegates && !m->env.dry_run) {
        /* Nothing to answer, but the delegates must hear of it: intent first, as for an
         * answer, so that a crash before the forward leads to a forward. */
        if (mailbox_record(m, true, id, action) != 0) {
            mailbox_pause(m);
            return;
        }
        mailbox_forward_to_delegates(m, id, STEP_FORWARD_HELD);
        return;
    }
    if (w->result.decision == POLICY_IGNORE) {
        external_notice_log(m->name, w->item, &w->result, util_now());
        mailbox_emit_decision(m, m->env.dry_run ? "dry-run" : "left alone");
        mailbox_record(m, false, id, action);
        mailbox_show_held_request_free(m);
        return;
    }
    if (m->env.dry_run) {
        mailbox_emit_decision(m, "dry-run");
        mailbox_record(m, false, id, action);
        mailbox_item_finished(m);
        return;
    }
    if (mailbox_record_intent(m, id, action, w->item->associated_calendar_item_id.id) != 0) {
        mailbox_pause(m);
        return;
    }
    struct backend_answer a = {kinds[w->result.decision], &w->item->id, w->result.response_text};
    MAILBOX_SEND(m, STEP_ANSWER, "CreateItem", respond, &a, 1);
}

/* ---- a person's own answer --------------------------------------------------------------- */

/* The request's own calendar item, found by its UID in the calendar view. */
enum own_item { OWN_UNANSWERED, OWN_ANSWERED, OWN_GONE, OWN_UNKNOWN };

static enum own_item own_calendar_item(const struct mailbox_work *w)
{
    const char *uid = w->item->uid;
    enum item_response mine = w->item->my_response;
    /* A server that keeps answered requests in the Inbox (Gromox) marks them answered. */
    if (mine == RESPONSE_ACCEPT || mine == RESPONSE_TENTATIVE || mine == RESPONSE_DECLINE)
        return OWN_ANSWERED;
    if (uid == NULL)
        return OWN_UNKNOWN;
    bool found = false;
    for (size_t i = 0; i < w->n_calendar; i++) {
        const struct item *c = w->calendar[i];
        if (c->uid == NULL || strcmp(c->uid, uid) != 0)
            continue;
        found = true;
        /* Delivery leaves a Tentative placeholder whose MyResponseType stays
         * NoResponseReceived: only an answer sets Accept, Tentative or Decline. */
        if (c->my_response == RESPONSE_ACCEPT || c->my_response == RESPONSE_TENTATIVE ||
            c->my_response == RESPONSE_DECLINE)
            return OWN_ANSWERED;
    }
    return found ? OWN_UNANSWERED : OWN_GONE;
}

/* A person (or another client) answered the request already: never overrule them. A
 * calendar item that is gone (on a server that puts every request on the calendar) was
 * declined or deleted by hand, which is an answer too. An
 * update keeps the answer given to the meeting before it (an informational update keeps
 * Accept), so there the calendar item's answer is not one to this request: updates are
 * answered as before. */
bool mailbox_answered_elsewhere(struct mailbox *m, struct mailbox_work *w)
{
    const char *type = w->item->meeting_request_type;
    bool first_request = type == NULL || strcmp(type, "NewMeetingRequest") == 0;
    enum own_item own = own_calendar_item(w);
    if (own == OWN_GONE ? !m->server_links_calendar : !(own == OWN_ANSWERED && first_request))
        return false;
    log_notice("mailbox %s: \"%s\" was answered elsewhere (%s); leaving it alone", m->name,
               w->item->subject ? w->item->subject : "",
               own == OWN_GONE ? "its calendar item is gone"
                               : "it or its calendar item carries an answer");
    mailbox_emit_work_decision(m, w, "answered elsewhere");
    mailbox_record(m, false, w->item->id.id, "answered-elsewhere");
    return true;
}

void mailbox_decide_work(struct mailbox *m, struct mailbox_work *w,
                         const struct item *const *calendar, size_t n_calendar)
{
    struct policy_context ctx = {
        .mailbox_address = m->poll->cm->address,
        .mailbox_name = m->poll->cm->name,
        .kind = m->poll->cm->kind,
        .now = util_now(),
        .calendar = calendar,
        .n_calendar = n_calendar,
    };
    mailbox_groups_context(m, &ctx);
    mailbox_series_context(m, w, &ctx);
    w->n_occurrences = ctx.n_occurrences;
    policy_decide(m->poll->policy, w->item, &ctx, &w->result);
    w->have_result = true;
}

void mailbox_decide(struct mailbox *m)
{
    struct mailbox_work *w = m->poll->work;
    mailbox_decide_work(m, w, (const struct item *const *)w->calendar, w->n_calendar);
    if (mailbox_answered_elsewhere(m, w)) {
        mailbox_item_finished(m);
        return;
    }
    if (mailbox_groups_pending(m))
        return;
    mailbox_answer_decided(m);
}

static bool settle_by_uid(struct mailbox *m);

/* ---- context ---------------------------------------------------------------------------- */

void mailbox_after_calendar(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_work *w = m->poll->work;
    if (r->status != BACKEND_OK) {
        mailbox_poll_fail(m, "FindItem (calendar view)", r);
        return;
    }
    mailbox_take_items(r, &w->calendar, &w->n_calendar);
    if (!mailbox_series_pending(m))
        mailbox_calendar_ready(m);
}

void mailbox_calendar_ready(struct mailbox *m)
{
    if (!m->env.dry_run && mailbox_answer_outstanding(m, m->poll->work->item->id.id) &&
        settle_by_uid(m))
        return;
    mailbox_decide(m);
}

static void gather_context(struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    /* The calendar is always read: the request's own calendar item tells whether someone
     * answered it already (answered_elsewhere), whatever the policy needs. */
    time_t start = it->start, end = it->end;
    if (it->recurrence && policy_needs_calendar(m->poll->policy)) {
        /* The policy's booking window ends at a local midnight, not N * 24 h from now. */
        time_t horizon = policy_booking_window_end(m->poll->policy, util_now());
        end = horizon > end ? horizon : end;
    }
    if (end - start > MAX_CALENDAR_SPAN)
        end = start + MAX_CALENDAR_SPAN;
    if (end <= start)
        end = start + 60;
    m->poll->work->view_start = start;
    m->poll->work->view_end = end;
    MAILBOX_SEND(m, STEP_CALENDAR, "FindItem", calendar_view, start, end);
}

/* ---- unsettled answers ------------------------------------------------------------------ */

/* The answer recorded as an intent did reach the server: it is finished, as recorded. */
static void earlier_answer_arrived(struct mailbox *m)
{
    const char *id = m->poll->work->item->id.id;
    log_notice("mailbox %s: an earlier answer to \"%s\" whose outcome was unknown reached the "
               "server",
               m->name, subject_of(m));
    mailbox_record_settled(m, m->poll->work->item, ledger_action(m->ledger, id), "sent");
    mailbox_record(m, false, id, ledger_action(m->ledger, id));
    mailbox_item_finished(m);
}

/* An unsettled answer on a server that gave no link to the calendar item: the item found by
 * the request's UID tells instead. When nothing can confirm the earlier answer, the request
 * is left as "unconfirmed": answering again could send a second answer. */
static bool settle_by_uid(struct mailbox *m)
{
    const char *id = m->poll->work->item->id.id;
    const char *action = ledger_action(m->ledger, id);
    switch (own_calendar_item(m->poll->work)) {
    case OWN_UNANSWERED:
        mailbox_record_settled(m, m->poll->work->item, action, "not sent");
        return false;
    case OWN_ANSWERED:
        earlier_answer_arrived(m);
        return true;
    case OWN_GONE:
        if (action != NULL && strcmp(action, "decline") == 0) {
            earlier_answer_arrived(m);
            return true;
        }
        break;
    case OWN_UNKNOWN:
        break;
    }
    log_warn("mailbox %s: cannot confirm whether an earlier answer to \"%s\" reached the "
             "server; leaving it unanswered rather than risk a second answer",
             m->name, subject_of(m));
    mailbox_record_settled(m, m->poll->work->item, action, "unconfirmed");
    mailbox_record(m, false, id, "unconfirmed");
    mailbox_item_finished(m);
    return true;
}

void mailbox_after_verify(struct mailbox *m, struct backend_result *r)
{
    if (r->status == BACKEND_ITEM_GONE) {
        /* A declined meeting leaves no calendar item behind. */
        earlier_answer_arrived(m);
        return;
    }
    if (r->status != BACKEND_OK || r->n_items != 1) {
        mailbox_poll_fail(m, "GetItem (verify)", r);
        return;
    }
    enum item_response resp = r->items[0].my_response;
    if (resp == RESPONSE_ACCEPT || resp == RESPONSE_TENTATIVE || resp == RESPONSE_DECLINE) {
        earlier_answer_arrived(m);
        return;
    }
    gather_context(m);
}

/* An intent without its outcome: the answer may or may not have reached the server before a
 * crash. The attendee's calendar item tells: answered ones carry the response (or are gone,
 * when declined). */
static void verify_pending(struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    if (it->associated_calendar_item_id.id == NULL) {
        const char *action = ledger_action(m->ledger, it->id.id);
        if (action != NULL && strcmp(action, "decline") == 0) {
            /* Declining deleted the calendar item, and with it the request's link to it (a
             * server that keeps answered requests in the Inbox shows exactly this): the
             * decline went through, and answering again would send a second one. */
            earlier_answer_arrived(m);
            return;
        }
        gather_context(m);
        return;
    }
    MAILBOX_SEND(m, STEP_VERIFY, "GetItem", verify, it->associated_calendar_item_id.id);
}

/* ---- cancellations ---------------------------------------------------------------------- */

static void handle_cancellation(struct mailbox *m)
{
    const struct conf_policy *policy = m->poll->policy;
    struct item *it = m->poll->work->item;
    if (!policy->remove_canceled_meetings || policy->automate == CONF_AUTOMATE_NONE) {
        mailbox_emit_outcome(m, it, "keep", m->env.dry_run ? "dry-run" : "left alone", false);
        mailbox_record(m, false, it->id.id, "keep");
        mailbox_item_finished(m);
        return;
    }
    if (m->env.dry_run) {
        log_info("mailbox %s: dry run: would remove cancelled meeting \"%s\"", m->name,
                 subject_of(m));
        mailbox_emit_outcome(m, it, "remove", "dry-run", false);
        mailbox_record(m, false, it->id.id, "remove");
        mailbox_item_finished(m);
        return;
    }
    if (mailbox_record_intent(m, it->id.id, "remove", it->associated_calendar_item_id.id) != 0) {
        mailbox_pause(m);
        return;
    }
    mailbox_remove_cancelled(m);
}

static void handle_request(struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    if (it->is_out_of_date) {
        log_info("mailbox %s: \"%s\" is out of date (a newer update exists); not answering it",
                 m->name, subject_of(m));
        mailbox_record(m, false, it->id.id, "superseded");
        mailbox_remove_old_request(m);
        return;
    }
    if (!m->env.dry_run && mailbox_answer_outstanding(m, it->id.id))
        verify_pending(m);
    else
        gather_context(m);
}

void mailbox_start_item(struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    /* Only a request says so: Gromox links cancellations, not requests. */
    if (it->associated_calendar_item_id.id != NULL && it->kind == ITEM_MEETING_REQUEST)
        m->server_links_calendar = true;
    if (it->id.id == NULL || mailbox_done_before(m, it->id.id)) {
        mailbox_item_finished(m);
        return;
    }
    switch (it->kind) {
    case ITEM_MEETING_REQUEST:
        handle_request(m);
        return;
    case ITEM_MEETING_CANCELLATION:
        handle_cancellation(m);
        return;
    default:
        /* Responses and anything else are the organizer's business, not ours. */
        mailbox_item_finished(m);
        return;
    }
}
