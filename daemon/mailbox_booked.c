/*
 * mailbox_booked: the calendar item an answer made, on servers that do not say (see
 * mailbox_int.h).
 *
 * What follows an acceptance (declining single occurrences, rewriting the booked item,
 * removing its attachments) works on the mailbox's own calendar item. Exchange links the
 * request to it (AssociatedCalendarItemId) and put it on the calendar when the request
 * arrived, so the calendar view read for the decision holds it. grommunio Gromox does
 * neither: the item exists only once the answer made it. Then the calendar over the meeting
 * is read again (STEP_BOOKED_ITEM) and its items with the request's UID join the view's.
 */
#include <string.h>

#include "log.h"
#include "mailbox_int.h"

/* Whether the view read before the answer holds the request's own item. */
static bool own_item_known(const struct mailbox_work *w)
{
    if (w->item->associated_calendar_item_id.id != NULL)
        return true;
    for (size_t i = 0; w->item->uid != NULL && i < w->n_calendar; i++) {
        const struct item *c = w->calendar[i];
        if (c->uid != NULL && strcmp(c->uid, w->item->uid) == 0)
            return true;
    }
    return false;
}

bool mailbox_find_booked_item(struct mailbox *m)
{
    const struct mailbox_work *w = m->poll->work;
    if (m->stopping || w->item->uid == NULL || own_item_known(w))
        return false;
    time_t start = w->item->start, end = w->item->end > start ? w->item->end : start + 60;
    MAILBOX_SEND(m, STEP_BOOKED_ITEM, "FindItem", calendar_view, start, end);
    return true;
}

void mailbox_after_booked_item(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_work *w = m->poll->work;
    if (r->status != BACKEND_OK && backend_throttled(r)) {
        mailbox_poll_fail(m, "FindItem (the booked calendar item)", r);
        return;
    }
    if (w->calendar_borrowed) {
        /* The batch's view (mailbox_batch.c) is not this work's to grow: what follows the
         * answer needs the request's own items only. */
        w->calendar = NULL;
        w->n_calendar = 0;
        w->calendar_borrowed = false;
    }
    size_t kept = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        struct item *c = &r->items[i];
        if (c->uid == NULL || strcmp(c->uid, w->item->uid) != 0)
            continue;
        struct item *own = item_new();
        *own = *c; /* moved: the result's copy is emptied */
        item_init(c);
        w->calendar = xreallocarray(w->calendar, w->n_calendar + 1, sizeof(*w->calendar));
        w->calendar[w->n_calendar++] = own;
        kept++;
    }
    log_debug("mailbox %s: %zu calendar item(s) of the answered request found by its UID", m->name,
              kept);
    mailbox_decline_next_occurrence(m);
}
