/*
 * mailbox_trouble: what a failed request means for the item it was about (see
 * mailbox_int.h). Every failure falls in one of four classes:
 *
 *   item gone          the item or its meeting is gone: recorded as such (mailbox_item.c)
 *   permanent          the server refused this item for good (access denied to it, a request
 *                      it does not implement, our request judged wrong): recorded as failed
 *                      with the server's words, in the ledger and the decision record; the
 *                      mailbox goes on with its other items and never tries this one again
 *   retry later        the server failed this item now (a transient ResponseCode for it):
 *                      the mailbox goes on, the next poll tries the item again, and an item
 *                      that fails ITEM_MAX_ATTEMPTS polls is recorded as failed
 *   the whole poll     throttling, a server or connection in trouble, an answer that cannot
 *                      be trusted, refused credentials or an unusable mailbox: the poll ends
 *                      and backs off (mailbox.c), for every item alike
 *
 * The retry counts live with the mailbox, in memory: a restart gives every item a fresh
 * budget, which errs on the side of trying again.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "log.h"
#include "mailbox_int.h"

#define ITEM_MAX_ATTEMPTS 5 /* polls in which an item may fail "retry later" */

struct item_retries {
    char **ids;
    unsigned *counts;
    size_t n;
};

void mailbox_retries_free(struct item_retries *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->ids[i]);
    free(r->ids);
    free(r->counts);
    free(r);
}

/* One more failed attempt at ID; returns how many there were. */
static unsigned count_attempt(struct mailbox *m, const char *id)
{
    if (m->retries == NULL)
        m->retries = xcalloc(1, sizeof(*m->retries));
    struct item_retries *r = m->retries;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->ids[i], id) == 0)
            return ++r->counts[i];
    r->ids = xreallocarray(r->ids, r->n + 1, sizeof(*r->ids));
    r->counts = xreallocarray(r->counts, r->n + 1, sizeof(*r->counts));
    r->ids[r->n] = xstrdup(id);
    r->counts[r->n] = 1;
    return r->counts[r->n++];
}

void mailbox_retries_forget(struct mailbox *m, const char *id)
{
    struct item_retries *r = m->retries;
    for (size_t i = 0; r != NULL && i < r->n; i++) {
        if (strcmp(r->ids[i], id) != 0)
            continue;
        free(r->ids[i]);
        r->ids[i] = r->ids[r->n - 1];
        r->counts[i] = r->counts[r->n - 1];
        r->n--;
        return;
    }
}

/* The ledger's intent for an answer the server refused for now: nothing is outstanding, and
 * the next poll decides and answers afresh instead of checking whether it arrived. */
#define INTENT_RETRY "retry"

bool mailbox_answer_outstanding(const struct mailbox *m, const char *id)
{
    const char *action = ledger_action(m->ledger, id);
    return ledger_state(m->ledger, id) == LEDGER_INTENT &&
           (action == NULL || strcmp(action, INTENT_RETRY) != 0);
}

enum trouble { TROUBLE_POLL, TROUBLE_RETRY, TROUBLE_PERMANENT };

static enum trouble trouble_of(const struct backend_result *r)
{
    switch (r->status) {
    case BACKEND_ITEM_REFUSED:
    case BACKEND_UNSUPPORTED:
        return TROUBLE_PERMANENT;
    case BACKEND_TRY_LATER:
        /* A server that says how long to wait wants nothing before then. */
        return r->retry_ms > 0 ? TROUBLE_POLL : TROUBLE_RETRY;
    default:
        return TROUBLE_POLL;
    }
}

bool mailbox_failure_mailbox_wide(const struct backend_result *r)
{
    return r->status == BACKEND_AUTH || r->status == BACKEND_ACCOUNT ||
           r->status == BACKEND_UNUSABLE;
}

bool mailbox_failure_permanent(const struct backend_result *r)
{
    return trouble_of(r) == TROUBLE_PERMANENT;
}

void mailbox_record_work_failed(struct mailbox *m, const struct mailbox_work *w,
                                const struct item *item, const char *reason)
{
    const char *id = item->id.id;
    if (item->subject)
        log_error("mailbox %s: \"%s\" failed for good and is left alone: %s", m->name,
                  item->subject, reason);
    else
        log_error("mailbox %s: meeting message %s failed for good and is left alone: %s", m->name,
                  id, reason);
    mailbox_retries_forget(m, id);
    m->poll->item_failures++;
    m->once_undone = true; /* the next pass finds it done: --once must still say so */
    if (mailbox_record(m, false, id, "failed") != 0)
        return; /* not recorded: it is tried again next poll */
    if (m->env.on_decision == NULL)
        return;
    struct policy_result none = {.decision = POLICY_IGNORE};
    char *outcome = xasprintf("failed: %s", reason);
    struct policy_event d = {
        .mailbox = m->name,
        .address = m->poll->cm->address,
        .request = item,
        .result = w && w->item == item && w->have_result ? &w->result : &none,
        .outcome = outcome,
    };
    m->env.on_decision(&d, m->env.userdata);
    free(outcome);
}

void mailbox_record_failed(struct mailbox *m, const struct item *item, const char *reason)
{
    mailbox_record_work_failed(m, m->poll->work, item, reason);
}

bool mailbox_trouble_settle(struct mailbox *m, const struct mailbox_work *w, const struct item *it,
                            const char *what, const struct backend_result *r)
{
    enum trouble trouble = trouble_of(r);
    if (trouble == TROUBLE_POLL)
        return false;
    unsigned n = trouble == TROUBLE_RETRY ? count_attempt(m, it->id.id) : 0;
    if (trouble == TROUBLE_PERMANENT || n >= ITEM_MAX_ATTEMPTS) {
        char *reason = n ? xasprintf("%s: %s (%u attempts)", what, mailbox_reason(r), n)
                         : xasprintf("%s: %s", what, mailbox_reason(r));
        mailbox_record_work_failed(m, w, it, reason);
        free(reason);
        return true;
    }
    m->poll->retry_items = true;
    m->poll->item_failures++;
    /* The server answered that it did not do it: an answer of ours is not outstanding. */
    if (ledger_state(m->ledger, it->id.id) == LEDGER_INTENT)
        mailbox_record(m, true, it->id.id, INTENT_RETRY);
    log_error("mailbox %s: %s for \"%s\" failed: %s", m->name, what,
              it->subject ? it->subject : it->id.id, mailbox_reason(r));
    return true;
}

void mailbox_item_trouble(struct mailbox *m, const char *what, const struct backend_result *r)
{
    if (!mailbox_trouble_settle(m, m->poll->work, m->poll->work->item, what, r)) {
        mailbox_poll_fail(m, what, r);
        return;
    }
    mailbox_item_finished(m);
}

void mailbox_fetch_failures(struct mailbox *m, const struct backend_result *r)
{
    for (size_t i = 0; i < r->n_failures; i++) {
        const struct backend_item_failure *f = &r->failures[i];
        struct item request = {.id = {.id = f->id}, .subject = NULL};
        char *reason = xasprintf("GetItem: %s", f->reason ? f->reason : "refused");
        if (f->status == BACKEND_TRY_LATER && count_attempt(m, f->id) < ITEM_MAX_ATTEMPTS) {
            log_warn("mailbox %s: meeting message %s cannot be fetched now (%s); trying it "
                     "again next poll",
                     m->name, f->id, reason);
            m->poll->item_failures++;
            m->poll->retry_items = true;
        } else {
            mailbox_record_failed(m, &request, reason);
        }
        free(reason);
    }
}
