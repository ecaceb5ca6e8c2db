/*
 * mailbox_remove: a cancelled meeting off the attendee's calendar (see mailbox_int.h).
 *
 * Exchange does it in one request: CreateItem with t:RemoveItem on the cancellation deletes
 * the calendar item and moves the cancellation to Deleted Items. A server without RemoveItem
 * (grommunio Gromox 3.10 answers it with a SOAP Client fault) gets the same result in three:
 *
 *   REMOVE_FIND   the calendar item the cancellation links to, else the item with the
 *                 cancellation's UID (a single meeting, or the series' master) in the
 *                 calendar over the meeting's time, or in the whole calendar when the
 *                 cancellation has no time (Gromox sends none)
 *   REMOVE_DELETE DeleteItem of that item, MoveToDeletedItems, no notice to anyone
 *   REMOVE_MOVE   DeleteItem of the cancellation, MoveToDeletedItems
 *
 * Which one a server needs is learned from its answer to the first RemoveItem and remembered
 * per server (capability.h): the other mailboxes of that server go the second way at once.
 */
#include <stdlib.h>
#include <string.h>

#include "capability.h"
#include "log.h"
#include "mailbox_int.h"

static const char *subject_of(const struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    return it->subject ? it->subject : "";
}

static const char *server_of(const struct mailbox *m)
{
    return m->poll->backend->keys[BACKEND_SCOPE_SERVER];
}

/* The cancelled meeting's calendar item: the one the cancellation links to (Gromox links
 * cancellations, not requests), else the item with its UID in the calendar over its time,
 * else, for a cancellation without a time (Gromox sends none), in the whole calendar. */
static void find_calendar_item(struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    const struct backend *be = m->poll->backend;
    if (it->associated_calendar_item_id.id != NULL) {
        struct item_id id = {.id = it->associated_calendar_item_id.id};
        MAILBOX_SEND(m, STEP_REMOVE_DELETE, "DeleteItem", remove, &id, 1);
        return;
    }
    if (it->uid != NULL && it->start != 0) {
        time_t end = it->end > it->start ? it->end : it->start + 60;
        MAILBOX_SEND(m, STEP_REMOVE_FIND, "FindItem", calendar_view, it->start, end);
        return;
    }
    if (it->uid != NULL && be->ops->list_calendar != NULL) {
        MAILBOX_SEND(m, STEP_REMOVE_FIND, "FindItem", list_calendar, 0);
        return;
    }
    mailbox_record_failed(m, it,
                          "the cancellation names no meeting (no UID) to remove from "
                          "the calendar");
    mailbox_item_finished(m);
}

void mailbox_remove_cancelled(struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    if (capability_get(server_of(m), CAP_REMOVE_ITEM) == CAP_NO) {
        find_calendar_item(m);
        return;
    }
    struct backend_answer a = {BACKEND_REMOVE, &it->id, NULL};
    MAILBOX_SEND(m, STEP_REMOVE_CANCELLED, "CreateItem", respond, &a, 1);
}

static void removed(struct mailbox *m)
{
    bool was_there = !m->poll->work->not_on_calendar;
    mailbox_emit_outcome(m, m->poll->work->item, "remove",
                         was_there ? "removed" : "not on the calendar", false);
    mailbox_record(m, false, m->poll->work->item->id.id, "remove");
    m->stats.removed += was_there;
    m->poll->acted = true;
    m->poll->left_behind = true;
    if (was_there)
        log_info("mailbox %s: removed cancelled meeting \"%s\" from the calendar", m->name,
                 subject_of(m));
    else
        log_info("mailbox %s: the cancellation of \"%s\" is filed; the meeting was not on the "
                 "calendar",
                 m->name, subject_of(m));
    mailbox_item_finished(m);
}

/* The removal failed: the decision record says so (or that the reply was lost, for the next
 * poll to settle; a failure for good is recorded with the server's words by the sorting). */
static void remove_failed(struct mailbox *m, const char *what, const struct backend_result *r)
{
    const struct item *it = m->poll->work->item;
    if (r->fate_unknown)
        mailbox_emit_outcome(m, it, "remove", "unknown", false);
    else if (!mailbox_failure_permanent(r))
        mailbox_emit_outcome(m, it, "remove", "failed", false);
    mailbox_answer_failed(m, what, r);
}

void mailbox_after_remove_cancelled(struct mailbox *m, struct backend_result *r)
{
    if (r->status == BACKEND_UNSUPPORTED) {
        capability_learn(server_of(m), CAP_REMOVE_ITEM, CAP_NO,
                         "a cancelled meeting is deleted from the calendar by its UID "
                         "(DeleteItem) and the cancellation moved to Deleted Items instead");
        find_calendar_item(m);
        return;
    }
    if (r->status != BACKEND_OK) {
        remove_failed(m, "removing a cancelled meeting", r);
        return;
    }
    capability_learn(server_of(m), CAP_REMOVE_ITEM, CAP_YES, NULL);
    removed(m);
}

/* The cancelled meeting's own calendar item: the single item or the series' master with its
 * UID; an occurrence only when nothing else is there. NULL when none is. */
static const struct item *meeting_item(const struct item *cancellation,
                                       const struct backend_result *r)
{
    const struct item *found = NULL;
    for (size_t i = 0; i < r->n_items; i++) {
        const struct item *c = &r->items[i];
        if (c->id.id == NULL || c->uid == NULL || strcmp(c->uid, cancellation->uid) != 0)
            continue;
        if (c->calendar_item_type == CAL_SINGLE || c->calendar_item_type == CAL_RECURRING_MASTER)
            return c;
        if (found == NULL)
            found = c;
    }
    return found;
}

static void move_cancellation(struct mailbox *m)
{
    struct item_id id = {.id = m->poll->work->item->id.id};
    MAILBOX_SEND(m, STEP_REMOVE_MOVE, "DeleteItem", remove, &id, 1);
}

void mailbox_after_remove_find(struct mailbox *m, struct backend_result *r)
{
    if (r->status != BACKEND_OK) {
        mailbox_answer_failed(m, "FindItem (the cancelled meeting's calendar item)", r);
        return;
    }
    const struct item *c = meeting_item(m->poll->work->item, r);
    if (c == NULL && r->more) { /* the listing of the whole calendar goes on */
        MAILBOX_SEND(m, STEP_REMOVE_FIND, "FindItem", list_calendar, r->next_offset);
        return;
    }
    if (c == NULL) {
        m->poll->work->not_on_calendar = true;
        move_cancellation(m);
        return;
    }
    struct item_id id = {.id = c->id.id};
    MAILBOX_SEND(m, STEP_REMOVE_DELETE, "DeleteItem", remove, &id, 1);
}

void mailbox_after_remove_delete(struct mailbox *m, struct backend_result *r)
{
    if (r->status != BACKEND_OK && r->status != BACKEND_ITEM_GONE) {
        remove_failed(m, "DeleteItem (the cancelled meeting's calendar item)", r);
        return;
    }
    move_cancellation(m);
}

/* The meeting is off the calendar: that is what counts. A cancellation that could not be
 * moved is moved by a later poll's sweep. */
void mailbox_after_remove_move(struct mailbox *m, struct backend_result *r)
{
    if (r->status != BACKEND_OK && backend_throttled(r)) {
        mailbox_record(m, false, m->poll->work->item->id.id, "remove");
        mailbox_poll_fail(m, "DeleteItem (moving the cancellation)", r);
        return;
    }
    if (r->status != BACKEND_OK && r->status != BACKEND_ITEM_GONE)
        log_warn("mailbox %s: moving the cancellation of \"%s\" to Deleted Items failed: %s",
                 m->name, subject_of(m), mailbox_reason(r));
    removed(m);
}
