/*
 * mailbox_after: what follows an answer (see mailbox_int.h): declining the conflicting
 * occurrences of an accepted series, rewriting the booked calendar item and removing its
 * attachments, forwarding a held request to the resource's delegates, showing a held
 * request's placeholder as Free.
 *
 * The answer stands whatever happens here, so a failed step is logged and not retried; but
 * a throttled server ends the poll, so that its back-off is honoured before anything else
 * is sent.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mailbox_int.h"

static const char *subject_of(const struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    return it->subject ? it->subject : "";
}

/*
 * The end of a step that follows an answer: OP is the request's name, WHAT says what it
 * did ("WHAT "subject" failed"). Returns true when the caller goes on with the item
 * (r->status tells whether the step worked).
 */
static bool followup_done(struct mailbox *m, const char *op, const char *what,
                          const struct backend_result *r)
{
    if (r->status == BACKEND_OK)
        return true;
    if (backend_throttled(r)) {
        char *step = xasprintf("%s (%s)", op, what);
        mailbox_poll_fail(m, step, r);
        free(step);
        return false;
    }
    log_warn("mailbox %s: %s \"%s\" failed: %s", m->name, what, subject_of(m), mailbox_reason(r));
    return true;
}

/* ---- attachments ------------------------------------------------------------------------ */

void mailbox_after_delete_attachments(struct mailbox *m, struct backend_result *r)
{
    if (!followup_done(m, "DeleteAttachment", "removing the attachments of the booked", r))
        return;
    if (r->status == BACKEND_OK)
        log_info("mailbox %s: removed %zu attachment(s) of the booked \"%s\"", m->name, r->n_done,
                 subject_of(m));
    mailbox_item_finished(m);
}

void mailbox_after_list_attachments(struct mailbox *m, struct backend_result *r)
{
    if (!followup_done(m, "GetItem", "reading the attachments of the booked", r))
        return;
    if (r->status != BACKEND_OK || r->n_items != 1 || r->items[0].n_attachment_ids == 0) {
        mailbox_item_finished(m);
        return;
    }
    const struct item *cal = &r->items[0];
    MAILBOX_SEND(m, STEP_DELETE_ATTACHMENTS, "DeleteAttachment", delete_attachments,
                 cal->attachment_ids, cal->n_attachment_ids);
}

/* The id of the mailbox's own calendar item for the request: the server's link
 * (AssociatedCalendarItemId) or, on servers that never send it (grommunio Gromox), the item of
 * the calendar view with the request's UID (a single item or the series, not an occurrence).
 * NULL when neither is there. */
const char *mailbox_find_own_calendar_item(const struct mailbox_work *w)
{
    if (w->item->associated_calendar_item_id.id != NULL)
        return w->item->associated_calendar_item_id.id;
    for (size_t i = 0; w->item->uid != NULL && i < w->n_calendar; i++) {
        const struct item *c = w->calendar[i];
        if (c->id.id != NULL && c->uid != NULL && strcmp(c->uid, w->item->uid) == 0 &&
            (c->calendar_item_type == CAL_SINGLE || c->calendar_item_type == CAL_RECURRING_MASTER))
            return c->id.id;
    }
    return NULL;
}

const char *mailbox_own_calendar_item_id(const struct mailbox *m, const struct mailbox_work *w)
{
    const char *id = mailbox_find_own_calendar_item(w);
    if (id != NULL)
        return id;
    log_warn("mailbox %s: no calendar item found for \"%s\" (no link, none with its UID): "
             "it is left as the organizer sent it",
             m->name, w->item->subject ? w->item->subject : "");
    return NULL;
}

/* DeleteAttachments: the resource's calendar item keeps no attachments. Their ids are the
 * calendar item's own (the request's are others), so they are read from it first. */
static void delete_attachments(struct mailbox *m)
{
    const struct mailbox_work *w = m->poll->work;
    const char *cal_id = NULL;
    if (m->stopping || !w->result.rewrite.delete_attachments ||
        (cal_id = mailbox_own_calendar_item_id(m, w)) == NULL) {
        mailbox_item_finished(m);
        return;
    }
    MAILBOX_SEND(m, STEP_LIST_ATTACHMENTS, "GetItem", list_attachments, cal_id);
}

/* ---- rewriting -------------------------------------------------------------------------- */

void mailbox_after_rewrite(struct mailbox *m, struct backend_result *r)
{
    if (followup_done(m, "UpdateItem", "rewriting the calendar item of", r))
        delete_attachments(m);
}

/* After booking, the resource's own calendar item is rewritten as the policy says (subject,
 * body, private flag, then its attachments). Only the mailbox's copy changes; nobody is
 * notified. */
static void rewrite_calendar_item(struct mailbox *m)
{
    const struct mailbox_work *w = m->poll->work;
    const struct policy_rewrite *rw = &w->result.rewrite;
    const char *cal_id = NULL;
    if (m->stopping || !rw->needed || (cal_id = mailbox_own_calendar_item_id(m, w)) == NULL) {
        mailbox_item_finished(m);
        return;
    }
    struct backend_rewrite change = {
        .subject = rw->subject,
        .clear_body = rw->clear_body,
        .make_public = rw->make_public,
    };
    if (!change.subject && !change.clear_body && !change.make_public) {
        delete_attachments(m);
        return;
    }
    MAILBOX_SEND(m, STEP_REWRITE, "UpdateItem", rewrite, cal_id, &change);
}

/* ---- occurrences ------------------------------------------------------------------------ */

void mailbox_after_decline_occurrence(struct mailbox *m, struct backend_result *r)
{
    if (followup_done(m, "CreateItem", "declining an occurrence of", r))
        mailbox_decline_next_occurrence(m);
}

/* The own occurrence (from the calendar view) that starts at START, or NULL. */
static const struct item *own_occurrence_at(const struct mailbox_work *w, time_t start)
{
    for (size_t i = 0; i < w->n_calendar; i++) {
        const struct item *c = w->calendar[i];
        if (c->start == start && c->uid && w->item->uid && strcmp(c->uid, w->item->uid) == 0)
            return c;
    }
    return NULL;
}

/* An accepted series can still have single occurrences that conflict: each is declined on
 * its own, with the reasons, after the series was accepted. */
void mailbox_decline_next_occurrence(struct mailbox *m)
{
    struct mailbox_work *w = m->poll->work;
    while (!m->stopping && w->occ_decline_pos < w->result.n_declined_occurrences) {
        time_t start = w->result.declined_occurrences[w->occ_decline_pos++];
        const struct item *occ = own_occurrence_at(w, start);
        if (occ == NULL || occ->id.id == NULL)
            continue;
        struct backend_answer a = {BACKEND_DECLINE, &occ->id, w->result.response_text};
        MAILBOX_SEND(m, STEP_DECLINE_OCCURRENCE, "CreateItem", respond, &a, 1);
        return;
    }
    rewrite_calendar_item(m);
}

/* ---- delegates -------------------------------------------------------------------------- */

/* The forward's note: why the request waits for a delegate (the policy's reasons). */
static char *forward_note(const struct mailbox *m)
{
    const struct mailbox_work *w = m->poll->work;
    const struct item *req = w->item;
    const char *who = req->organizer.address ? req->organizer.address : "an unknown organizer";
    char start[21], end[21];
    util_format_time_utc(req->start, start);
    util_format_time_utc(req->end, end);
    char *note = xasprintf("The meeting request \"%s\" from %s (%s to %s) for %s needs the "
                           "approval of a delegate:\n",
                           req->subject ? req->subject : "", who, start, end, m->poll->cm->address);
    for (size_t i = 0; i < w->result.n_checks; i++) {
        const struct policy_check *c = &w->result.checks[i];
        if (c->outcome == POLICY_CHECK_PASS || c->reason == NULL)
            continue;
        char *more = xasprintf("%s- %s\n", note, c->reason);
        free(note);
        note = more;
    }
    return note;
}

/* ForwardRequestsToDelegates: the request goes to the resource's delegates, with the
 * reasons. STEP says what follows: the forward after a tentative answer, or the forward
 * that is the action itself (a request left alone). */
void mailbox_forward_to_delegates(struct mailbox *m, const char *reference, enum mailbox_step step)
{
    const struct strlist *delegates = &m->poll->policy->resource_delegates;
    mailbox_approval_hold(m);
    char *note = forward_note(m);
    MAILBOX_SEND(m, step, "CreateItem", forward, reference, (const char *const *)delegates->v,
                 delegates->n, note);
    free(note);
}

static void log_forwarded(struct mailbox *m)
{
    log_info("mailbox %s: forwarded \"%s\" to %zu delegate(s) for approval", m->name, subject_of(m),
             m->poll->policy->resource_delegates.n);
}

void mailbox_after_forward(struct mailbox *m, struct backend_result *r)
{
    if (!followup_done(m, "CreateItem", "forwarding to the delegates", r))
        return;
    if (r->status == BACKEND_OK)
        log_forwarded(m);
    mailbox_item_finished(m);
}

void mailbox_after_show_free(struct mailbox *m, struct backend_result *r)
{
    if (followup_done(m, "UpdateItem", "showing as free the held request", r))
        mailbox_item_finished(m);
}

/* A request held for approval without tentative_pending_approval: nobody answered it, and
 * the placeholder the server put on the calendar shows Free rather than Tentative, so that
 * it blocks nothing while the delegates decide. Only the mailbox's own copy changes. */
void mailbox_show_held_request_free(struct mailbox *m)
{
    const struct mailbox_work *w = m->poll->work;
    const char *cal_id = NULL;
    if (w->result.show_free && !m->env.dry_run)
        mailbox_approval_hold(m);
    if (!w->result.show_free || m->env.dry_run || m->stopping ||
        (cal_id = mailbox_own_calendar_item_id(m, w)) == NULL) {
        mailbox_item_finished(m);
        return;
    }
    struct backend_rewrite change = {.show_free = true};
    MAILBOX_SEND(m, STEP_SHOW_FREE, "UpdateItem", rewrite, cal_id, &change);
}

/* Left alone but forwarded: the forward is the action, recorded like an answer. */
void mailbox_after_forward_held(struct mailbox *m, struct backend_result *r)
{
    if (!mailbox_action_arrived(m, r, "forwarding to the delegates"))
        return;
    log_forwarded(m);
    mailbox_emit_decision(m, "forwarded to the delegates");
    mailbox_show_held_request_free(m);
}
