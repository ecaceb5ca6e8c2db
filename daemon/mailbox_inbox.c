/*
 * mailbox_inbox: the Inbox part of a poll (see mailbox_int.h): find the meeting messages
 * page by page, move the finished ones the server left there to Deleted Items, fetch the new
 * ones in batches, then hand them to mailbox_batch, and what it leaves to mailbox_item one
 * at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "log.h"
#include "mailbox_int.h"

#define GET_BATCH_SIZE 50

/* Whether a meeting message finished with ACTION (the ledger's) is of no more use in the
 * Inbox. Exchange itself moves a request it answered and a cancellation it removed to Deleted
 * Items, and RemoveOldMeetingMessages a request an update superseded; servers that leave them
 * in the Inbox (grommunio) get the same result from the sweep. Requests left alone
 * ("ignore": awaiting a delegate, or not ours to answer) and cancellations kept ("keep") stay
 * where a person can see them. */
static bool finished_with(const char *action)
{
    static const char *const finished[] = {"accept", "tentative", "decline", "remove",
                                           "superseded"};
    for (size_t i = 0; action != NULL && i < sizeof(finished) / sizeof(finished[0]); i++)
        if (strcmp(action, finished[i]) == 0)
            return true;
    return false;
}

static void add_id(struct item_id **ids, size_t *n, const struct item_id *id)
{
    *ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
    (*ids)[*n].id = xstrdup(id->id);
    (*ids)[*n].change_key = id->change_key ? xstrdup(id->change_key) : NULL;
    (*n)++;
}

bool mailbox_inbox_finished(struct mailbox *m, const char *id)
{
    return id != NULL && mailbox_removes_old_messages(m) && mailbox_done_before(m, id) &&
           finished_with(ledger_action(m->ledger, id));
}

void mailbox_find_page(struct mailbox *m)
{
    MAILBOX_SEND(m, STEP_FIND, "FindItem", find, m->poll->find_offset);
}

/* Whether IDS holds ID (a sync can report a message again on a later page). */
static bool has_id(const struct item_id *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i].id, id) == 0)
            return true;
    return false;
}

void mailbox_inbox_consider(struct mailbox *m, const struct item *it, bool may_repeat)
{
    struct mailbox_poll *p = m->poll;
    if (it->id.id == NULL)
        return;
    if (p->collect_seen)
        strlist_add(&p->seen, it->id.id);
    mailbox_settle_seen(m, it->id.id);
    if (mailbox_done_before(m, it->id.id)) {
        if (mailbox_inbox_finished(m, it->id.id) &&
            !(may_repeat && has_id(p->stale, p->n_stale, it->id.id))) {
            struct item_id id = {.id = it->id.id};
            add_id(&p->stale, &p->n_stale, &id);
        }
        return;
    }
    if (!(may_repeat && has_id(p->candidates, p->n_candidates, it->id.id)))
        add_id(&p->candidates, &p->n_candidates, &it->id);
}

/* Removes ID from IDS (of *N) if there. */
static void remove_id(struct item_id *ids, size_t *n, const char *id)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(ids[i].id, id) == 0) {
            item_id_clear(&ids[i]);
            ids[i] = ids[--*n];
            return;
        }
}

void mailbox_inbox_drop(struct mailbox *m, const char *id)
{
    remove_id(m->poll->candidates, &m->poll->n_candidates, id);
    remove_id(m->poll->stale, &m->poll->n_stale, id);
}

void mailbox_inbox_forget_found(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    while (p->n_candidates > 0)
        item_id_clear(&p->candidates[--p->n_candidates]);
    while (p->n_stale > 0)
        item_id_clear(&p->stale[--p->n_stale]);
}

void mailbox_after_find(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_poll *p = m->poll;
    if (r->status != BACKEND_OK) {
        mailbox_poll_fail(m, "FindItem", r);
        return;
    }
    for (size_t i = 0; i < r->n_items; i++)
        mailbox_inbox_consider(m, &r->items[i], false);
    if (r->more) {
        p->find_offset = r->next_offset;
        mailbox_find_page(m);
        return;
    }
    mailbox_inbox_found(m);
}

void mailbox_inbox_found(struct mailbox *m)
{
    log_debug("mailbox %s: %zu meeting message(s) to look at", m->name, m->poll->n_candidates);
    mailbox_settle_next(m);
}

/* The next batch of IDS (at most MAX of TOTAL) from *POS on, or NULL when none is left; *N
 * gets its size and *POS moves past it. */
static const struct item_id *next_batch(const struct item_id *ids, size_t total, size_t *pos,
                                        size_t max, size_t *n)
{
    if (*pos >= total)
        return NULL;
    const struct item_id *batch = ids + *pos;
    *n = total - *pos > max ? max : total - *pos;
    *pos += *n;
    return batch;
}

/* The Inbox in batches: first the stale messages found there go to Deleted Items
 * (housekeeping: a failure is logged and the poll goes on), then the new ones are fetched;
 * then their items are worked on. */
void mailbox_next_inbox_batch(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    size_t n = 0;
    const struct item_id *batch;
    if (p->get_max == 0)
        p->get_max = GET_BATCH_SIZE;
    if ((batch = next_batch(p->stale, p->n_stale, &p->sweep_pos, GET_BATCH_SIZE, &n)) != NULL)
        MAILBOX_SEND(m, STEP_SWEEP, "DeleteItem", remove, batch, n);
    else if ((batch = next_batch(p->candidates, p->n_candidates, &p->get_pos, p->get_max, &n)) !=
             NULL) {
        p->get_n = n;
        MAILBOX_SEND(m, STEP_FETCH, "GetItem", fetch, batch, n);
    } else
        mailbox_batch_start(m);
}

void mailbox_after_sweep(struct mailbox *m, struct backend_result *r)
{
    if (r->status != BACKEND_OK && backend_throttled(r)) {
        mailbox_poll_fail(m, "DeleteItem (moving finished meeting messages)", r);
        return;
    }
    if (backend_request_failed(r->status))
        log_warn("mailbox %s: moving finished meeting messages out of the Inbox failed: %s",
                 m->name, mailbox_reason(r));
    else if (r->n_done > 0)
        log_info("mailbox %s: moved %zu finished meeting message(s) the server left in the "
                 "Inbox to Deleted Items",
                 m->name, r->n_done);
    mailbox_next_inbox_batch(m);
}

/* A message that cannot be fetched even alone (its answer is over the size limit: anyone
 * can send a message that large) is recorded as failed, with its reason, and left alone in
 * the Inbox for a person: it must not stop the mailbox, nor be fetched again every poll. */
static void skip_unfetchable(struct mailbox *m, const struct item_id *id, const char *reason)
{
    log_error("mailbox %s: meeting message %s cannot be fetched (%s); it is left alone", m->name,
              id->id, reason);
    if (mailbox_record(m, false, id->id, "unfetchable") != 0)
        return; /* not recorded: it is tried again next poll */
    m->poll->item_failures++;
    m->once_undone = true; /* the next pass finds it done: --once must still say so */
    if (m->env.on_decision == NULL)
        return;
    struct item request = {.id = {.id = id->id}};
    struct policy_result result = {.decision = POLICY_IGNORE};
    char *outcome = xasprintf("failed: cannot be fetched: %s", reason);
    struct policy_event d = {.mailbox = m->name,
                             .address = m->poll->cm->address,
                             .request = &request,
                             .result = &result,
                             .outcome = outcome};
    m->env.on_decision(&d, m->env.userdata);
    free(outcome);
}

void mailbox_after_fetch(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_poll *p = m->poll;
    /* An answer over the size limit: ask again for half as many, down to one at a time. */
    if (r->status == BACKEND_TOO_LARGE) {
        if (p->get_n > 1) {
            p->get_pos -= p->get_n;
            p->get_max = p->get_n / 2;
            log_warn("mailbox %s: fetching %zu meeting messages at once gave an answer over the "
                     "size limit; trying %zu at a time",
                     m->name, p->get_n, p->get_max);
        } else {
            skip_unfetchable(m, &p->candidates[p->get_pos - 1], mailbox_reason(r));
        }
        mailbox_next_inbox_batch(m);
        return;
    }
    /* Items gone since they were found are left out by the backend; anything else that
     * failed stops the poll. */
    if (r->status != BACKEND_OK) {
        mailbox_poll_fail(m, "GetItem", r);
        return;
    }
    mailbox_fetch_failures(m, r);
    mailbox_take_items(r, &p->queue, &p->n_queue);
    mailbox_next_inbox_batch(m);
}

void mailbox_next_item(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    if (!m->stopping && mailbox_batch_next_followup(m))
        return;
    while (p->queue_pos < p->n_queue && p->queue[p->queue_pos] == NULL)
        p->queue_pos++; /* taken by the batch */
    if (m->stopping || p->queue_pos >= p->n_queue) {
        if (!m->stopping)
            mailbox_sync_save(m); /* every change the sync reported went through */
        mailbox_approval_pass(m);
        return;
    }
    p->work = mailbox_work_new(p->queue[p->queue_pos++]);
    mailbox_start_item(m);
}
