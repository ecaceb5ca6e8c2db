/*
 * mailbox_batch: the meeting messages of one poll in batches (see mailbox_int.h).
 *
 *   take the requests and cancellations of the queue -> [BATCH_CALENDAR: one view over the
 *   span of all requests] -> decide each in order (the ones accepted before it count as
 *   busy) -> BATCH_ANSWER* -> BATCH_REMOVE* -> BATCH_REWRITE* -> follow-ups item by item
 *   (mailbox_batch_next_followup) -> the rest of the queue item by item (mailbox_item.c)
 *
 * Each request carries up to batch_size items; their ledger intents reach the disk with one
 * write and one flush before it leaves, their outcomes with one after it came back, and
 * their decision records likewise (on_decision_group). Every item's outcome is read from its
 * own ResponseMessage: a failed item fails alone, classified as mailbox_item does.
 *
 * Left to the per-item path: answers of unknown outcome (they are verified first), requests
 * out of date, requests whose span does not fit the batch's view, and what needs more steps
 * than an answer (left alone, forwarded to delegates, dry run: FOLLOW_DECIDED; conflicting
 * occurrences and attachments after the answer, a booked item nothing links:
 * FOLLOW_OCCURRENCES).
 *
 * What a server lacks (capability.h) sends its items down the per-item path too, where the
 * fallbacks are: cancellations unless RemoveItem is known to work (mailbox_remove.c), and
 * requests where the views show series as masters (mailbox_series.c): while that is not
 * known, the batch's view is judged against the calendar's series before deciding
 * (mailbox_batch_series_listed), and a view that lacks a series' occurrences has every
 * request of the batch decided alone (FOLLOW_ALONE). A failed item is sorted as on the
 * per-item path (mailbox_trouble_settle): failed for good with the server's words, tried
 * again next poll within its budget, or the end of the poll; a batch refused as a whole as
 * unreadable (a SOAP Client fault) is answered one by one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capability.h"
#include "ledger.h"
#include "log.h"
#include "mailbox_int.h"
#include "util.h"

#define MAX_CALENDAR_SPAN (730 * 86400) /* Exchange refuses longer CalendarViews */

struct mailbox_batch {
    struct item **items; /* taken from the poll's queue: owned */
    size_t n_items;
    struct mailbox_work **requests; /* decided here, in order; NULL once handed on */
    size_t n_requests;
    const struct item **cancels; /* cancellations to remove (borrowed from items) */
    size_t n_cancels;
    struct item **calendar; /* the view over all requests, shared by their works */
    size_t n_calendar;
    struct item **booked; /* the occurrences accepted so far in this batch, as busy items */
    size_t n_booked;
    time_t view_start, view_end;
    size_t *answers, n_answers;   /* indexes into requests: answers to send */
    size_t *rewrites, n_rewrites; /* indexes into requests: calendar items to rewrite */
    size_t pos;                   /* next of the list being sent */
    size_t *sent, n_sent;         /* the request in flight: indexes into its list */
    size_t follow_pos;
};

struct item *const *mailbox_batch_items(const struct mailbox_batch *b, size_t *n)
{
    *n = b ? b->n_items : 0;
    return b ? b->items : NULL;
}

void mailbox_batch_free(struct mailbox_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n_requests; i++)
        mailbox_work_free(b->requests[i]);
    free(b->requests);
    for (size_t i = 0; i < b->n_items; i++)
        item_free(b->items[i]);
    free(b->items);
    free(b->cancels);
    for (size_t i = 0; i < b->n_calendar; i++)
        item_free(b->calendar[i]);
    free(b->calendar);
    for (size_t i = 0; i < b->n_booked; i++)
        item_free(b->booked[i]);
    free(b->booked);
    free(b->answers);
    free(b->rewrites);
    free(b->sent);
    free(b);
}

static const char *subject(const struct item *it)
{
    return it->subject ? it->subject : "";
}

static void group(struct mailbox *m, bool begin)
{
    if (m->env.on_decision_group)
        m->env.on_decision_group(begin, m->env.userdata);
}

/* ---- taking the batch from the queue ---------------------------------------------------- */

/* The span of the calendar REQUEST needs (as mailbox_item's gather_context reads it). */
static void needed_span(const struct mailbox *m, const struct item *it, time_t *start, time_t *end)
{
    *start = it->start;
    *end = it->end;
    if (it->recurrence && policy_needs_calendar(m->poll->policy)) {
        time_t horizon = policy_booking_window_end(m->poll->policy, util_now());
        *end = horizon > *end ? horizon : *end;
    }
    if (*end - *start > MAX_CALENDAR_SPAN)
        *end = *start + MAX_CALENDAR_SPAN;
    if (*end <= *start)
        *end = *start + 60;
}

static enum capability_state capability(const struct mailbox *m, enum capability cap)
{
    return capability_get(m->poll->backend->keys[BACKEND_SCOPE_SERVER], cap);
}

/* A server whose views show series as masters (capability.h) has its requests decided one
 * by one, where the series are expanded (mailbox_series.c); while that is not known, the
 * batch's view is judged when it comes (mailbox_batch_series_listed). */
static bool batchable_request(const struct mailbox *m, const struct item *it)
{
    return it->kind == ITEM_MEETING_REQUEST && !it->is_out_of_date &&
           capability(m, CAP_VIEW_EXPANDS) != CAP_NO &&
           (m->env.dry_run || !mailbox_answer_outstanding(m, it->id.id));
}

/* Only where RemoveItem is known to work: elsewhere the per-item path finds out, and has
 * the fallback (mailbox_remove.c). */
static bool batchable_cancel(const struct mailbox *m, const struct item *it)
{
    const struct conf_policy *policy = m->poll->policy;
    return it->kind == ITEM_MEETING_CANCELLATION && policy->remove_canceled_meetings &&
           policy->automate != CONF_AUTOMATE_NONE && !m->env.dry_run &&
           capability(m, CAP_REMOVE_ITEM) == CAP_YES;
}

static void take_item(struct mailbox_batch *b, struct item **slot)
{
    b->items = xreallocarray(b->items, b->n_items + 1, sizeof(*b->items));
    b->items[b->n_items++] = *slot;
    *slot = NULL;
}

/* Moves the batchable messages of the queue into a new batch; the rest stays for the
 * per-item path. Requests whose span reaches past what one view may cover stay too. */
static struct mailbox_batch *take_batch(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    struct mailbox_batch *b = xcalloc(1, sizeof(*b));
    bool first = true;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = p->queue_pos; i < p->n_queue; i++) {
            struct item *it = p->queue[i];
            if (it == NULL || it->id.id == NULL || mailbox_done_before(m, it->id.id))
                continue;
            /* Only a request says so: Gromox links cancellations, not requests. */
            if (it->associated_calendar_item_id.id != NULL && it->kind == ITEM_MEETING_REQUEST)
                m->server_links_calendar = true;
            if (!batchable_request(m, it)) {
                if (pass == 1 && batchable_cancel(m, it)) {
                    b->cancels = xreallocarray(b->cancels, b->n_cancels + 1, sizeof(*b->cancels));
                    b->cancels[b->n_cancels++] = it;
                    take_item(b, &p->queue[i]);
                }
                continue;
            }
            time_t start, end;
            needed_span(m, it, &start, &end);
            if (pass == 0) { /* the earliest start */
                b->view_start = first || start < b->view_start ? start : b->view_start;
                first = false;
                continue;
            }
            if (end > b->view_start + MAX_CALENDAR_SPAN)
                continue;
            b->view_end = end > b->view_end ? end : b->view_end;
            struct mailbox_work *w = mailbox_work_new(it);
            b->requests = xreallocarray(b->requests, b->n_requests + 1, sizeof(*b->requests));
            b->requests[b->n_requests++] = w;
            take_item(b, &p->queue[i]);
        }
    }
    return b;
}

/* ---- deciding --------------------------------------------------------------------------- */

static bool declined_at(const struct policy_result *r, time_t start)
{
    for (size_t i = 0; i < r->n_declined_occurrences; i++)
        if (r->declined_occurrences[i] == start)
            return true;
    return false;
}

/* W's request is booked (accepted or tentative): the requests decided after it in this batch
 * see its occurrences as busy, as they would see them on the calendar had it been answered
 * alone. */
static void book(struct mailbox_batch *b, const struct mailbox_work *w)
{
    const struct item *req = w->item;
    for (size_t i = 0; i < w->n_occurrences; i++) {
        if (declined_at(&w->result, w->occurrences[i].start))
            continue;
        struct item *c = item_new();
        c->uid = req->uid ? xstrdup(req->uid) : NULL;
        c->subject = req->subject ? xstrdup(req->subject) : NULL;
        c->organizer.name = req->organizer.name ? xstrdup(req->organizer.name) : NULL;
        c->organizer.address = req->organizer.address ? xstrdup(req->organizer.address) : NULL;
        c->start = w->occurrences[i].start;
        c->end = w->occurrences[i].end;
        c->legacy_free_busy = w->result.decision == POLICY_ACCEPT ? FB_BUSY : FB_TENTATIVE;
        c->my_response = w->result.decision == POLICY_ACCEPT ? RESPONSE_ACCEPT : RESPONSE_TENTATIVE;
        b->booked = xreallocarray(b->booked, b->n_booked + 1, sizeof(*b->booked));
        b->booked[b->n_booked++] = c;
    }
}

static void decide(struct mailbox *m, struct mailbox_batch *b, struct mailbox_work *w,
                   const struct item **view)
{
    for (size_t i = 0; i < b->n_booked; i++)
        view[b->n_calendar + i] = b->booked[i];
    w->calendar = b->calendar;
    w->n_calendar = b->n_calendar;
    w->calendar_borrowed = true;
    w->view_start = b->view_start;
    w->view_end = b->view_end;
    mailbox_decide_work(m, w, (const struct item *const *)view, b->n_calendar + b->n_booked);
}

/* Decides every request of the batch in order and sorts them: answered in the batch, or
 * handed to the per-item path (FOLLOW_DECIDED). */
static void decide_all(struct mailbox *m, struct mailbox_batch *b)
{
    size_t room = b->n_calendar;
    const struct item **view = xcalloc(room + 1, sizeof(*view));
    for (size_t i = 0; i < b->n_calendar; i++)
        view[i] = b->calendar[i];
    b->answers = xcalloc(b->n_requests + 1, sizeof(*b->answers));
    group(m, true);
    for (size_t i = 0; i < b->n_requests; i++) {
        struct mailbox_work *w = b->requests[i];
        if (b->n_calendar + b->n_booked > room) {
            room = (b->n_calendar + b->n_booked) * 2;
            view = xreallocarray(view, room, sizeof(*view));
        }
        decide(m, b, w, view);
        if (mailbox_answered_elsewhere(m, w))
            continue;
        if (w->result.groups_unknown) {
            w->followup = FOLLOW_GROUPS;
            continue;
        }
        enum policy_decision d = w->result.decision;
        if (d == POLICY_ACCEPT || d == POLICY_TENTATIVE)
            book(b, w);
        if (m->env.dry_run || d == POLICY_IGNORE || w->result.held_for_approval)
            w->followup = FOLLOW_DECIDED;
        else
            b->answers[b->n_answers++] = i;
    }
    group(m, false);
    free(view);
}

/* ---- group commit ----------------------------------------------------------------------- */

/* Writes the intents of the N items (ids, actions, links to their calendar items) with one
 * flush; when that fails for a record the ledger refuses (EINVAL), each is tried alone. OK[i]
 * says which are on disk; returns how many. A state that cannot be written pauses the
 * mailbox (mailbox_state.c says so once). */
static size_t write_intents(struct mailbox *m, const char *const *ids, const char *const *actions,
                            const char *const *links, size_t n, bool *ok)
{
    struct ledger_record *recs = xcalloc(n, sizeof(*recs));
    for (size_t i = 0; i < n; i++)
        recs[i] = (struct ledger_record){LEDGER_INTENT, ids[i], actions[i]};
    int rc = mailbox_record_intents(m, recs, links, n);
    int saved = errno;
    free(recs);
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        ok[i] = rc == 0 ||
                (saved == EINVAL && mailbox_record_intent(m, ids[i], actions[i], links[i]) == 0);
        written += ok[i];
    }
    m->poll->item_failures += (unsigned)(n - written);
    return written;
}

/* The outcomes of a batch: one write, one flush. A failure leaves the intents, which the
 * next poll checks against the server (as after a crash). */
static void write_outcomes(struct mailbox *m, const struct ledger_record *recs, size_t n)
{
    if (n > 0 && ledger_append_many(m->ledger, recs, n) != 0)
        log_error("mailbox %s: cannot write the ledger: %s", m->name, strerror(errno));
}

/* The status of item I of N sent, from a result that may or may not have one per item. */
static enum backend_status status_at(const struct backend_result *r, size_t i, size_t n)
{
    if (r->item_status != NULL && i < r->n_item_status)
        return r->item_status[i];
    if (n == 1 || r->status == BACKEND_OK || backend_request_failed(r->status))
        return r->status;
    return BACKEND_ITEM_REFUSED; /* some item failed, which one is not known */
}

/* A request-level failure met in a batch: the poll ends with it after the items that did
 * get through are recorded. */
static void note_failure(struct backend_result *worst, enum backend_status s, unsigned retry_ms)
{
    if (worst->status == BACKEND_OK) {
        worst->status = s;
        worst->retry_ms = retry_ms;
        worst->error = backend_status_name(s);
    }
}

/* ---- answers ---------------------------------------------------------------------------- */

static void next_answers(struct mailbox *m);
static void next_removals(struct mailbox *m);
static void next_rewrites(struct mailbox *m);

static enum backend_answer_kind answer_kind(enum policy_decision d)
{
    return d == POLICY_ACCEPT      ? BACKEND_ACCEPT
           : d == POLICY_TENTATIVE ? BACKEND_TENTATIVE
                                   : BACKEND_DECLINE;
}

/* The next chunk of LIST (indexes into requests, or into cancels) from b->pos: at most
 * batch_size items whose intents are on disk, in b->sent. Returns how many, 0 at the end. */
static size_t next_chunk(struct mailbox *m, const size_t *list, size_t n_list, bool cancels)
{
    struct mailbox_batch *b = m->poll->batch;
    size_t max = m->conf->conf->daemon.batch_size ? m->conf->conf->daemon.batch_size : 50;
    while (b->pos < n_list) {
        size_t k = n_list - b->pos < max ? n_list - b->pos : max;
        const char **ids = xcalloc(k, sizeof(*ids)), **actions = xcalloc(k, sizeof(*actions));
        const char **links = xcalloc(k, sizeof(*links));
        bool *ok = xcalloc(k, sizeof(*ok));
        for (size_t j = 0; j < k; j++) {
            size_t at = list ? list[b->pos + j] : b->pos + j;
            const struct item *it = cancels ? b->cancels[at] : b->requests[at]->item;
            ids[j] = it->id.id;
            links[j] = it->associated_calendar_item_id.id;
            actions[j] =
                cancels ? "remove" : policy_decision_name(b->requests[at]->result.decision);
        }
        write_intents(m, ids, actions, links, k, ok);
        free(links);
        b->sent = xreallocarray(b->sent, k, sizeof(*b->sent));
        b->n_sent = 0;
        for (size_t j = 0; j < k; j++)
            if (ok[j])
                b->sent[b->n_sent++] = list ? list[b->pos + j] : b->pos + j;
        free(ids);
        free(actions);
        free(ok);
        b->pos += k;
        if (b->n_sent > 0 || m->paused)
            return b->n_sent;
    }
    return 0;
}

/* Nothing could be sent because the state cannot be written: the poll pauses (--once goes
 * on and reports the items as failed). */
static bool paused(struct mailbox *m)
{
    if (!m->paused || m->env.once)
        return false;
    mailbox_poll_pause(m);
    return true;
}

static void next_answers(struct mailbox *m)
{
    struct mailbox_batch *b = m->poll->batch;
    if (m->stopping) {
        mailbox_poll_done(m);
        return;
    }
    size_t n = next_chunk(m, b->answers, b->n_answers, false);
    if (n == 0 && paused(m))
        return;
    if (n == 0) {
        b->pos = 0;
        next_removals(m);
        return;
    }
    struct backend_answer *a = xcalloc(n, sizeof(*a));
    for (size_t j = 0; j < n; j++) {
        const struct mailbox_work *w = b->requests[b->sent[j]];
        a[j] = (struct backend_answer){answer_kind(w->result.decision), &w->item->id,
                                       w->result.response_text};
    }
    MAILBOX_SEND(m, STEP_BATCH_ANSWER, "CreateItem", respond, a, n);
    free(a);
}

/* What follows W's answer, which arrived. */
static void after_answer_arrived(struct mailbox *m, struct mailbox_batch *b, size_t index)
{
    struct mailbox_work *w = b->requests[index];
    if (w->result.decision != POLICY_ACCEPT)
        return;
    const struct policy_rewrite *rw = &w->result.rewrite;
    if (w->result.n_declined_occurrences > 0 || rw->delete_attachments ||
        (rw->needed && (m->poll->backend->ops->rewrite_many == NULL ||
                        mailbox_find_own_calendar_item(w) == NULL))) {
        /* The per-item path looks the booked item up where nothing links it (Gromox). */
        w->followup = FOLLOW_OCCURRENCES;
        return;
    }
    if (rw->needed && (rw->subject || rw->clear_body || rw->make_public)) {
        b->rewrites = xreallocarray(b->rewrites, b->n_rewrites + 1, sizeof(*b->rewrites));
        b->rewrites[b->n_rewrites++] = index;
    }
}

/* The outcome of one answer: recorded as done (in RECS), or sorted as mailbox_answer_failed
 * does; a request-level status is noted in WORST. */
static void settle_answer(struct mailbox *m, size_t index, enum backend_status s, char **moved,
                          const char *words, struct ledger_record *rec,
                          struct backend_result *worst, unsigned retry_ms, bool unknown)
{
    struct mailbox_batch *b = m->poll->batch;
    struct mailbox_work *w = b->requests[index];
    const char *id = w->item->id.id;
    *rec = (struct ledger_record){LEDGER_DONE, id, NULL};
    if (s == BACKEND_OK) {
        rec->action = policy_decision_name(w->result.decision);
        m->poll->acted = true;
        m->stats.answered++;
        mailbox_emit_work_decision(m, w, "sent");
        if (moved && *moved) {
            free(w->moved_request_id);
            w->moved_request_id = *moved;
            *moved = NULL;
        } else {
            m->poll->left_behind = true;
        }
        after_answer_arrived(m, b, index);
        return;
    }
    /* A lost reply is no failure: the next poll finds out and records the truth. A failure
     * for good is recorded with the server's words. */
    struct backend_result one = {.status = s, .retry_ms = retry_ms, .error = words};
    if (unknown)
        mailbox_emit_work_decision(m, w, "unknown");
    else if (!mailbox_failure_permanent(&one))
        mailbox_emit_work_decision(m, w, "failed");
    if (s == BACKEND_ITEM_GONE) {
        log_info("mailbox %s: \"%s\" is gone (%s)", m->name, subject(w->item),
                 backend_status_name(s));
        rec->action = "gone";
    } else if (s == BACKEND_OUT_OF_DATE) {
        log_info("mailbox %s: \"%s\" was superseded by an update; answering that instead", m->name,
                 subject(w->item));
        rec->action = "superseded";
        m->poll->again = true;
        w->followup = FOLLOW_SUPERSEDED;
    } else if (!mailbox_trouble_settle(m, w, w->item, "answering", &one)) {
        note_failure(worst, s, retry_ms);
        log_error("mailbox %s: answering for \"%s\" failed: %s", m->name, subject(w->item),
                  mailbox_reason(&one));
    }
}

/* The server's words for item I (or the request's), NULL when it gave none. */
static const char *words_at(const struct backend_result *r, size_t i)
{
    if (r->item_errors != NULL && i < r->n_item_status && r->item_errors[i] != NULL)
        return r->item_errors[i];
    return r->item_status == NULL ? r->error : NULL;
}

/* A batch of answers the server refused as a whole, as one it cannot read (a SOAP Client
 * fault: Gromox's answer to what it does not implement): which item it could not read is
 * not known, so each goes the per-item path, where one that is refused fails alone. */
static bool refused_as_a_whole(struct mailbox *m, const struct backend_result *r)
{
    struct mailbox_batch *b = m->poll->batch;
    if (r->status != BACKEND_UNSUPPORTED || r->item_status != NULL || b->n_sent < 2)
        return false;
    log_warn("mailbox %s: the server refused a batch of %zu answers as a whole (%s); "
             "answering them one by one",
             m->name, b->n_sent, mailbox_reason(r));
    for (size_t j = 0; j < b->n_sent; j++)
        b->requests[b->sent[j]]->followup = FOLLOW_DECIDED;
    return true;
}

void mailbox_after_batch_answer(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_batch *b = m->poll->batch;
    struct ledger_record *recs = xcalloc(b->n_sent, sizeof(*recs));
    struct backend_result worst = {.status = BACKEND_OK};
    size_t n_recs = 0;
    /* Only a request-level failure can leave an answer's fate unknown. */
    bool unknown = r->item_status == NULL && r->fate_unknown;
    if (refused_as_a_whole(m, r)) {
        free(recs);
        next_answers(m);
        return;
    }
    group(m, true);
    for (size_t j = 0; j < b->n_sent; j++) {
        enum backend_status s = status_at(r, j, b->n_sent);
        char **moved = r->moved_ids && j < r->n_item_status ? &r->moved_ids[j] : NULL;
        settle_answer(m, b->sent[j], s, moved, words_at(r, j), &recs[n_recs], &worst, r->retry_ms,
                      unknown);
        n_recs += recs[n_recs].action != NULL;
    }
    /* The decision record first: a crash between the two leaves the intents, whose check
     * records the answers again rather than not at all. */
    group(m, false);
    write_outcomes(m, recs, n_recs);
    free(recs);
    if (worst.status != BACKEND_OK) {
        mailbox_poll_fail(m, "CreateItem (answers)", r->status != BACKEND_OK ? r : &worst);
        return;
    }
    next_answers(m);
}

/* ---- cancellations ---------------------------------------------------------------------- */

static void next_removals(struct mailbox *m)
{
    struct mailbox_batch *b = m->poll->batch;
    if (m->stopping) {
        mailbox_poll_done(m);
        return;
    }
    size_t n = next_chunk(m, NULL, b->n_cancels, true);
    if (n == 0 && paused(m))
        return;
    if (n == 0) {
        b->pos = 0;
        next_rewrites(m);
        return;
    }
    struct backend_answer *a = xcalloc(n, sizeof(*a));
    for (size_t j = 0; j < n; j++)
        a[j] = (struct backend_answer){BACKEND_REMOVE, &b->cancels[b->sent[j]]->id, NULL};
    MAILBOX_SEND(m, STEP_BATCH_REMOVE, "CreateItem", respond, a, n);
    free(a);
}

void mailbox_after_batch_remove(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_batch *b = m->poll->batch;
    struct ledger_record *recs = xcalloc(b->n_sent, sizeof(*recs));
    struct backend_result worst = {.status = BACKEND_OK};
    size_t n_recs = 0;
    bool unknown = r->item_status == NULL && r->fate_unknown;
    group(m, true);
    for (size_t j = 0; j < b->n_sent; j++) {
        const struct item *it = b->cancels[b->sent[j]];
        enum backend_status s = status_at(r, j, b->n_sent);
        const char *action = s == BACKEND_OK            ? "remove"
                             : s == BACKEND_ITEM_GONE   ? "gone"
                             : s == BACKEND_OUT_OF_DATE ? "superseded"
                                                        : NULL;
        mailbox_emit_outcome(m, it, "remove",
                             s == BACKEND_OK ? "removed"
                             : action        ? action
                             : unknown       ? "unknown"
                                             : "failed",
                             false);
        if (s == BACKEND_OK) {
            m->stats.removed++;
            m->poll->acted = true;
            m->poll->left_behind = true;
            log_info("mailbox %s: removed cancelled meeting \"%s\" from the calendar", m->name,
                     subject(it));
        } else if (action == NULL) {
            struct backend_result one = {
                .status = s, .retry_ms = r->retry_ms, .error = words_at(r, j)};
            if (!mailbox_trouble_settle(m, NULL, it, "removing a cancelled meeting", &one)) {
                log_error("mailbox %s: removing a cancelled meeting for \"%s\" failed: %s", m->name,
                          subject(it), mailbox_reason(&one));
                note_failure(&worst, s, r->retry_ms);
            }
        }
        m->poll->again |= s == BACKEND_OUT_OF_DATE;
        if (action != NULL)
            recs[n_recs++] = (struct ledger_record){LEDGER_DONE, it->id.id, action};
    }
    group(m, false);
    write_outcomes(m, recs, n_recs);
    free(recs);
    if (worst.status != BACKEND_OK) {
        mailbox_poll_fail(m, "CreateItem (removing cancelled meetings)",
                          r->status != BACKEND_OK ? r : &worst);
        return;
    }
    next_removals(m);
}

/* ---- rewrites --------------------------------------------------------------------------- */

static void next_rewrites(struct mailbox *m)
{
    struct mailbox_batch *b = m->poll->batch;
    size_t max = m->conf->conf->daemon.batch_size ? m->conf->conf->daemon.batch_size : 50;
    if (m->stopping) {
        mailbox_poll_done(m);
        return;
    }
    const char **ids = xcalloc(max, sizeof(*ids));
    struct backend_rewrite *rws = xcalloc(max, sizeof(*rws));
    b->sent = xreallocarray(b->sent, max, sizeof(*b->sent));
    b->n_sent = 0;
    while (b->pos < b->n_rewrites && b->n_sent < max) {
        size_t index = b->rewrites[b->pos++];
        const struct mailbox_work *w = b->requests[index];
        const char *cal_id = mailbox_own_calendar_item_id(m, w);
        if (cal_id == NULL)
            continue;
        const struct policy_rewrite *rw = &w->result.rewrite;
        ids[b->n_sent] = cal_id;
        rws[b->n_sent] = (struct backend_rewrite){
            .subject = rw->subject, .clear_body = rw->clear_body, .make_public = rw->make_public};
        b->sent[b->n_sent++] = index;
    }
    if (b->n_sent > 0)
        MAILBOX_SEND(m, STEP_BATCH_REWRITE, "UpdateItem", rewrite_many, ids, rws, b->n_sent);
    else
        mailbox_next_item(m);
    free(ids);
    free(rws);
}

/* The answers stand whatever happens here: a failed rewrite is logged, not retried; a
 * throttled server ends the poll so that its back-off is honoured. */
void mailbox_after_batch_rewrite(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_batch *b = m->poll->batch;
    if (r->status != BACKEND_OK && backend_throttled(r)) {
        mailbox_poll_fail(m, "UpdateItem (rewriting the booked calendar items)", r);
        return;
    }
    for (size_t j = 0; j < b->n_sent; j++) {
        enum backend_status s = status_at(r, j, b->n_sent);
        if (s != BACKEND_OK)
            log_warn("mailbox %s: rewriting the calendar item of \"%s\" failed: %s", m->name,
                     subject(b->requests[b->sent[j]]->item), backend_status_name(s));
    }
    next_rewrites(m);
}

/* ---- the batch -------------------------------------------------------------------------- */

void mailbox_after_batch_calendar(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_batch *b = m->poll->batch;
    if (r->status != BACKEND_OK) {
        mailbox_poll_fail(m, "FindItem (calendar view)", r);
        return;
    }
    mailbox_take_items(r, &b->calendar, &b->n_calendar);
    if (!mailbox_series_batch_listing(m, (const struct item *const *)b->calendar, b->n_calendar))
        mailbox_batch_series_listed(m);
}

void mailbox_batch_series_listed(struct mailbox *m)
{
    struct mailbox_batch *b = m->poll->batch;
    if (mailbox_series_view_whole(m, (const struct item *const *)b->calendar, b->n_calendar,
                                  b->view_start, b->view_end)) {
        decide_all(m, b);
    } else {
        log_info("mailbox %s: the calendar view does not list the occurrences of recurring "
                 "series: the %zu request(s) of the batch are decided one by one",
                 m->name, b->n_requests);
        for (size_t i = 0; i < b->n_requests; i++)
            b->requests[i]->followup = FOLLOW_ALONE;
    }
    next_answers(m);
}

void mailbox_batch_start(struct mailbox *m)
{
    struct mailbox_batch *b = take_batch(m);
    m->poll->batch = b;
    if (b->n_requests == 0) {
        next_answers(m); /* none: the cancellations */
        return;
    }
    log_debug("mailbox %s: %zu request(s) and %zu cancellation(s) in a batch", m->name,
              b->n_requests, b->n_cancels);
    MAILBOX_SEND(m, STEP_BATCH_CALENDAR, "FindItem", calendar_view, b->view_start, b->view_end);
}

/* W goes through the per-item path from the start: its calendar is read again (it then
 * shows what the batch booked) and its decision is made anew. */
static void restart_alone(struct mailbox_work *w)
{
    if (w->calendar_borrowed) {
        w->calendar = NULL;
        w->n_calendar = 0;
        w->calendar_borrowed = false;
    }
    policy_result_clear(&w->result);
    w->have_result = false;
    free(w->occurrences);
    w->occurrences = NULL;
    w->n_occurrences = 0;
}

bool mailbox_batch_next_followup(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    struct mailbox_batch *b = p->batch;
    while (b != NULL && b->follow_pos < b->n_requests) {
        struct mailbox_work *w = b->requests[b->follow_pos++];
        if (w == NULL || w->followup == FOLLOW_NONE)
            continue;
        b->requests[b->follow_pos - 1] = NULL;
        p->work = w;
        switch (w->followup) {
        case FOLLOW_DECIDED:
            mailbox_answer_decided(m);
            break;
        case FOLLOW_OCCURRENCES:
            if (!mailbox_find_booked_item(m))
                mailbox_decline_next_occurrence(m);
            break;
        case FOLLOW_GROUPS:
        case FOLLOW_ALONE:
            restart_alone(w);
            mailbox_start_item(m);
            break;
        case FOLLOW_SUPERSEDED:
        case FOLLOW_NONE:
            mailbox_remove_old_request(m);
            break;
        }
        return true;
    }
    return false;
}
