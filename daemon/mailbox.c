/*
 * mailbox: the per-mailbox poll state machine (see mailbox.h and mailbox_int.h).
 *
 * The mailbox has at most one request in flight; poll->step says what it is for:
 *
 *   poll_start -> FIND* -> [SWEEP*] -> FETCH* -> batch (mailbox_batch.c: BATCH_CALENDAR,
 *              BATCH_ANSWER*, BATCH_REMOVE*, BATCH_REWRITE*, follow-ups item by item)
 *              -> next item -> [VERIFY]
 *              -> [CALENDAR] -> decide -> ANSWER -> [DECLINE_OCCURRENCE*] -> [REWRITE]
 *              -> [LIST_ATTACHMENTS -> DELETE_ATTACHMENTS] -> next item ...
 *   (tentative / ignore) ANSWER or FORWARD_HELD -> [FORWARD] [SHOW_FREE] -> next item ...
 *   (cancellation) REMOVE_CANCELLED; (out of date) [REMOVE_OLD] -> next item ...
 *              -> poll_done / poll_fail -> timer -> poll_start
 *
 * This file holds the life cycle, the poll object, the dispatcher and what a failed poll
 * does: log, back off (shared per key with the other mailboxes, see backoff.h), retry.
 */
#include "mailbox.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backoff.h"
#include "approvals.h"
#include "ledger.h"
#include "log.h"
#include "mailbox_int.h"
#include "metrics.h"
#include "util.h"

#define SHARED_PAUSE_MAX_S 5.0     /* the longest shared pause the server did not ask for */
#define ONCE_MAX_ATTEMPTS 8        /* failed polls in a row before --once gives a mailbox up */
#define ONCE_MAX_PASSES 20         /* polls that acted, before --once stops looking for more */
#define LEDGER_KEEP_DAYS 30        /* ledger entries younger than this are always kept */
#define LEDGER_COMPACT_EVERY 86400 /* seconds between two compactions */
#define LEDGER_COMPACT_MIN 256     /* a smaller ledger is not worth rewriting */

static void poll_start(struct mailbox *m);

/* ---- helpers ---------------------------------------------------------------------------- */

static double jitter(double seconds, double fraction)
{
    /* rand() is fine: the jitter only spreads load, it protects nothing. */
    double r = (double)rand() / RAND_MAX; /* 0..1 */
    return seconds * (1.0 - fraction + 2.0 * fraction * r);
}

/* A delay counts from now, not from the start of the loop iteration: under load the loop's
 * cached time can lag behind by the callbacks run before this one, and a server's back-off
 * would then end early. */
static void schedule(struct mailbox *m, double seconds)
{
    ev_now_update(m->env.loop);
    ev_timer_stop(m->env.loop, &m->timer);
    ev_timer_set(&m->timer, seconds < 0.0 ? 0.0 : seconds, 0.0);
    ev_timer_start(m->env.loop, &m->timer);
}

bool mailbox_done_before(const struct mailbox *m, const char *id)
{
    if (m->env.dry_run && strlist_contains_ci(&m->dry_run_seen, id))
        return true;
    return ledger_state(m->ledger, id) == LEDGER_DONE;
}

/* RemoveOldMeetingMessages, as Exchange's Calendar Attendant applies it (default yes): the
 * outdated and redundant meeting messages leave the Inbox. Not when processing is off, and
 * a dry run changes nothing. */
bool mailbox_removes_old_messages(const struct mailbox *m)
{
    const struct conf_policy *policy = m->poll->policy;
    return policy->remove_old_meeting_messages && policy->automate != CONF_AUTOMATE_NONE &&
           !m->env.dry_run;
}

const char *mailbox_reason(const struct backend_result *r)
{
    return r->error ? r->error : backend_status_name(r->status);
}

void mailbox_take_items(struct backend_result *r, struct item ***items, size_t *n)
{
    if (r->n_items > 0)
        *items = xreallocarray(*items, *n + r->n_items, sizeof(**items));
    for (size_t i = 0; i < r->n_items; i++) {
        struct item *it = item_new();
        *it = r->items[i]; /* moved: the result's array is emptied below */
        (*items)[(*n)++] = it;
    }
    free(r->items);
    r->items = NULL;
    r->n_items = 0;
}

/* ---- the poll object -------------------------------------------------------------------- */

static void item_ids_free(struct item_id *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        item_id_clear(&ids[i]);
    free(ids);
}

/* A poll that ends before it learned whether untried credentials work (a transport failure,
 * a busy server, a stop) hands their probe over to the next mailbox (see backoff.h). */
static void release_untried(struct mailbox *m)
{
    if (m->poll && m->poll->backend)
        backoff_untried_unknown(m->env.backoff, m->poll->backend->keys[BACKEND_SCOPE_CREDENTIALS]);
}

static void poll_free(struct mailbox_poll *p)
{
    if (p == NULL)
        return;
    if (p->call)
        p->backend->ops->cancel(p->call);
    mailbox_work_free(p->work);
    mailbox_batch_free(p->batch);
    mailbox_approval_pass_free(p->approval);
    item_ids_free(p->candidates, p->n_candidates);
    item_ids_free(p->stale, p->n_stale);
    for (size_t i = 0; i < p->n_queue; i++)
        item_free(p->queue[i]);
    free(p->queue);
    strlist_free(&p->seen);
    strlist_free(&p->unsettled);
    for (size_t i = 0; i < p->n_masters; i++)
        item_free(p->masters[i]);
    free(p->masters);
    if (p->backend)
        p->backend->ops->free(p->backend);
    confref_put(p->conf);
    free(p);
}

/* The poll's slot of the gate goes to the next mailbox waiting for one. */
static void release_slot(struct mailbox *m)
{
    if (m->env.gate == NULL)
        return;
    pollgate_cancel(m->env.gate, &m->gate_wait);
    if (m->holds_slot) {
        m->holds_slot = false;
        pollgate_leave(m->env.gate);
    }
}

/* Brings the daemon's running sums up to date with this mailbox's counters (ADD: it goes on
 * counting; false: it goes away and takes its share out). */
static void count_totals(struct mailbox *m, bool add)
{
    struct mailbox_totals *t = m->env.totals;
    if (t == NULL)
        return;
    bool failing = add && m->stats.consecutive_failures > 0;
    unsigned answered = add ? m->stats.answered : 0;
    t->failing = t->failing - m->failing_counted + failing;
    t->answered = t->answered - m->answered_counted + answered;
    m->failing_counted = failing;
    m->answered_counted = answered;
}

/* Releases the mailbox at the end of its life in this run; nothing may touch it after. */
static void finish(struct mailbox *m, bool failed)
{
    ev_timer_stop(m->env.loop, &m->timer);
    mailbox_stream_leave(m);
    release_slot(m);
    release_untried(m);
    poll_free(m->poll);
    m->poll = NULL;
    m->state = MB_STOPPED;
    if (m->env.on_finished)
        m->env.on_finished(m, failed, m->env.userdata);
}

static void end_poll(struct mailbox *m, bool ok)
{
    release_untried(m);
    poll_free(m->poll);
    m->poll = NULL;
    m->state = MB_IDLE;
    release_slot(m);
    m->stats.last_poll = util_now();
    if (!ok)
        m->stats.failed_polls++;
    count_totals(m, true);
    if (m->env.on_poll)
        m->env.on_poll(m, ok, m->env.userdata);
}

static unsigned poll_interval(const struct mailbox *m)
{
    return m->cm ? m->cm->poll_interval_s : m->conf->conf->daemon.poll_interval_s;
}

/* ---- failures and back-off -------------------------------------------------------------- */

/* The pause a failure sets for everyone behind the same key (see backoff.h). Refused
 * credentials get their own growing pause, said once for all the mailboxes using them. */
static double share_pause(struct mailbox *m, const struct backend_result *r, double delay)
{
    int scope = backend_status_scope(r->status);
    if (m->poll == NULL)
        return delay;
    const struct backend *be = m->poll->backend;
    if (scope < 0)
        return delay;
    double now = ev_now(m->env.loop);
    if (r->status != BACKEND_AUTH) {
        /* A pause the server did not ask for is shared only briefly: one mailbox's run of bad
         * luck against a server failing now and then (its own delay grows) must not hold every
         * other mailbox for as long. A server that is really down fails each mailbox's next
         * attempt too, and each one's own delay grows. And it is not shared at all when
         * requests of this poll got through: the server is there, and one request's failure
         * says nothing about the others' (under a storm of such failures, pausing everyone at
         * each one stalled every mailbox, and some for good). */
        if (r->retry_ms == 0 && m->poll->reached)
            return delay;
        double shared = r->retry_ms > 0 || delay < SHARED_PAUSE_MAX_S ? delay : SHARED_PAUSE_MAX_S;
        backoff_pause(m->env.backoff, be->keys[scope], now, shared);
        return delay;
    }
    bool first = false;
    double pause = backoff_refused(m->env.backoff, be->keys[scope], now, &first);
    if (first)
        log_warn("the server refused the credentials of %s: every mailbox using them waits "
                 "%.0f s before the next attempt",
                 be->credentials_name, pause);
    return pause > delay ? pause : delay;
}

/* A failure that waiting will not cure: someone has to change the configuration, the
 * server's certificate or the account. */
static bool lasting_failure(enum backend_status status)
{
    return status == BACKEND_AUTH || status == BACKEND_ACCOUNT || status == BACKEND_UNUSABLE;
}

void mailbox_poll_fail(struct mailbox *m, const char *what, const struct backend_result *r)
{
    bool lasting = lasting_failure(r->status);
    ev_now_update(m->env.loop); /* the pauses start now (see schedule) */
    /* A poll that answered something before failing made progress: no back-off at all (the
     * server's own pauses still apply), so a flaky server slows the mailbox down only by
     * the requests it fails, and --once does not give up. */
    bool progressed = m->poll && m->poll->acted && !lasting;
    /* A poll some of whose requests got through met a server that is there and failing now
     * and then (a storm of 503s): the retry stays brief. Only failures in a row from the
     * first request on (a server down) make the delay grow. */
    if (progressed || (m->poll && m->poll->reached && !lasting))
        m->stats.consecutive_failures = 0;
    unsigned n = progressed ? 0 : ++m->stats.consecutive_failures;
    double delay =
        progressed && r->retry_ms == 0
            ? 0.0
            : backoff_delay(m->env.backoff, n ? n : 1, lasting && !m->env.once, r->retry_ms);
    delay = share_pause(m, r, delay);
    /* The probes this poll claimed end with it; what the failure paused stays paused. */
    for (int s = 0; m->poll && s < BACKEND_SCOPES; s++)
        backoff_probe_end(m->env.backoff, m->poll->backend->keys[s]);
    const char *reason = mailbox_reason(r);
    if (lasting && !m->env.once)
        log_error("mailbox %s: %s failed: %s; this will not pass by itself (check the "
                  "configuration, the server's certificate, the account); retrying in %.0f s "
                  "(failure %u)",
                  m->name, what, reason, delay, n);
    else
        log_warn("mailbox %s: %s failed: %s; retrying in %.1f s (failure %u)", m->name, what,
                 reason, delay, n);
    end_poll(m, false);
    if (m->stopping) {
        finish(m, false);
        return;
    }
    if (m->env.once && (lasting || n >= ONCE_MAX_ATTEMPTS)) {
        log_error("mailbox %s: giving up: %s", m->name, reason);
        bool auth = r->status == BACKEND_AUTH || r->status == BACKEND_ACCOUNT;
        m->failure = auth                             ? MAILBOX_FAIL_AUTH
                     : r->status == BACKEND_TRANSPORT ? MAILBOX_FAIL_UNREACHABLE
                                                      : MAILBOX_FAIL_OTHER;
        finish(m, true);
        return;
    }
    metrics_backoff(m->name, r);
    schedule(m, delay);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool still_in_inbox(const char *id, void *userdata)
{
    const struct strlist *seen = userdata;
    return bsearch(&id, seen->v, seen->n, sizeof(*seen->v), compare_strings) != NULL;
}

/* Once a day the ledger forgets what it no longer needs: entries older than
 * LEDGER_KEEP_DAYS whose message has left the Inbox. A message still there (servers that
 * keep answered requests) is never forgotten, or it would be answered again. */
static void compact_ledger(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    if (!p->collect_seen)
        return;
    time_t now = util_now();
    m->last_compact = now;
    if (p->seen.n > 0)
        qsort(p->seen.v, p->seen.n, sizeof(*p->seen.v), compare_strings);
    size_t before = ledger_count(m->ledger);
    if (ledger_compact(m->ledger, now - (time_t)LEDGER_KEEP_DAYS * 86400, still_in_inbox,
                       &p->seen) != 0) {
        log_warn_errno(errno, "mailbox %s: cannot compact the ledger", m->name);
        return;
    }
    if (ledger_count(m->ledger) != before)
        log_info("mailbox %s: ledger compacted from %zu to %zu entries", m->name, before,
                 ledger_count(m->ledger));
}

void mailbox_poll_done(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    /* What a pass did can uncover more only where a message stayed in the Inbox: a
     * superseded request's successor, or an answered one the server kept (to be swept). */
    bool acted = p->again || (p->acted && p->left_behind);
    bool again = p->again || mailbox_stream_take_poke(m);
    bool retry = p->retry_items;
    bool failures = p->item_failures > 0;
    if (!failures && !m->stopping)
        compact_ledger(m);
    m->stats.consecutive_failures = 0;
    end_poll(m, !failures);
    if (m->stopping) {
        finish(m, false);
        return;
    }
    if (m->env.once) {
        /* A pass that acted may have uncovered more (a superseded request's successor):
         * look again until a pass finds nothing to do. A dry run changes nothing, so one
         * pass says all it can. */
        if (acted && !m->env.dry_run && ++m->once_passes < ONCE_MAX_PASSES) {
            schedule(m, 0.0);
            return;
        }
        /* An item the server failed for now is tried again within its own budget
         * (mailbox_trouble.c), after a pause that grows with the passes. */
        if (retry && ++m->once_passes < ONCE_MAX_PASSES) {
            schedule(m, backoff_delay(m->env.backoff, m->once_passes, false, 0));
            return;
        }
        finish(m, failures || m->once_undone);
        return;
    }
    schedule(m, again ? 0.0 : jitter(mailbox_stream_interval(m, poll_interval(m)), 0.1));
}

void mailbox_poll_soon(struct mailbox *m)
{
    if (m->state == MB_IDLE && !m->stopping && m->stats.consecutive_failures == 0)
        schedule(m, 0.0);
}

void mailbox_poll_pause(struct mailbox *m)
{
    end_poll(m, false);
    if (m->stopping) {
        finish(m, false);
        return;
    }
    schedule(m, jitter(poll_interval(m), 0.1));
}

/* ---- requests and the dispatcher -------------------------------------------------------- */

bool mailbox_send_begin(struct mailbox *m, enum mailbox_step step)
{
    /* Stopping: nothing new starts; what was asked so far is recorded, the rest waits for
     * the next start. */
    if (m->stopping) {
        mailbox_poll_done(m);
        return false;
    }
    m->stats.requests++;
    m->poll->step = step;
    return true;
}

void mailbox_send_end(struct mailbox *m, const char *what, int rc)
{
    if (rc == 0)
        return;
    m->poll->step = STEP_NONE;
    struct backend_result r = {.status = BACKEND_FAILED,
                               .error = "the request could not be built or submitted"};
    mailbox_poll_fail(m, what, &r);
}

/* A request that got through proves what it went through: its server answered, its
 * credentials were accepted, the budget had room. Their pauses end for everyone. */
static void clear_proven_keys(struct mailbox *m, const struct backend_result *r)
{
    const struct backend *be = m->poll->backend;
    if (r->status == BACKEND_TRANSPORT || r->status == BACKEND_SERVER)
        return;
    backoff_clear(m->env.backoff, be->keys[BACKEND_SCOPE_SERVER]);
    if (r->status == BACKEND_AUTH)
        return;
    backoff_clear(m->env.backoff, be->keys[BACKEND_SCOPE_CREDENTIALS]);
    if (r->status != BACKEND_BUSY)
        backoff_clear(m->env.backoff, be->keys[BACKEND_SCOPE_BUDGET]);
}

typedef void (*step_handler)(struct mailbox *m, struct backend_result *r);

static const step_handler handlers[STEP_COUNT] = {
    [STEP_FIND] = mailbox_after_find,
    [STEP_SWEEP] = mailbox_after_sweep,
    [STEP_FETCH] = mailbox_after_fetch,
    [STEP_VERIFY] = mailbox_after_verify,
    [STEP_CALENDAR] = mailbox_after_calendar,
    [STEP_ANSWER] = mailbox_after_answer,
    [STEP_FORWARD_HELD] = mailbox_after_forward_held,
    [STEP_REMOVE_CANCELLED] = mailbox_after_remove_cancelled,
    [STEP_REMOVE_OLD] = mailbox_after_remove_old,
    [STEP_DECLINE_OCCURRENCE] = mailbox_after_decline_occurrence,
    [STEP_REWRITE] = mailbox_after_rewrite,
    [STEP_LIST_ATTACHMENTS] = mailbox_after_list_attachments,
    [STEP_DELETE_ATTACHMENTS] = mailbox_after_delete_attachments,
    [STEP_FORWARD] = mailbox_after_forward,
    [STEP_SHOW_FREE] = mailbox_after_show_free,
    [STEP_SYNC] = mailbox_after_sync,
    [STEP_SUBSCRIBE] = mailbox_after_subscribe,
    [STEP_SETTLE] = mailbox_after_settle,
    [STEP_REMOVE_FIND] = mailbox_after_remove_find,
    [STEP_REMOVE_DELETE] = mailbox_after_remove_delete,
    [STEP_REMOVE_MOVE] = mailbox_after_remove_move,
    [STEP_MASTERS] = mailbox_after_masters,
    [STEP_BOOKED_ITEM] = mailbox_after_booked_item,
    [STEP_BATCH_CALENDAR] = mailbox_after_batch_calendar,
    [STEP_BATCH_ANSWER] = mailbox_after_batch_answer,
    [STEP_BATCH_REMOVE] = mailbox_after_batch_remove,
    [STEP_BATCH_REWRITE] = mailbox_after_batch_rewrite,
    [STEP_EXPAND_GROUP] = mailbox_after_expand_group,
    [STEP_APPROVAL_EXPAND] = mailbox_after_approval_expand,
    [STEP_APPROVAL_FIND] = mailbox_after_approval_find,
    [STEP_APPROVAL_FETCH] = mailbox_after_approval_fetch,
    [STEP_APPROVAL_VERIFY] = mailbox_after_approval_verify,
    [STEP_APPROVAL_LOOKUP] = mailbox_after_approval_lookup,
    [STEP_APPROVAL_ANSWER] = mailbox_after_approval_answer,
};

/* Steps that only read: when the mailbox is stopping, their answer is not acted on (the
 * next start reads again); a step that changed something is recorded first. */
static bool only_reads(enum mailbox_step step)
{
    return step == STEP_FIND || step == STEP_FETCH || step == STEP_VERIFY ||
           step == STEP_CALENDAR || step == STEP_SETTLE || step == STEP_REMOVE_FIND ||
           step == STEP_MASTERS || step == STEP_BATCH_CALENDAR || step == STEP_EXPAND_GROUP ||
           step == STEP_APPROVAL_EXPAND || step == STEP_APPROVAL_FIND ||
           step == STEP_APPROVAL_FETCH || step == STEP_APPROVAL_VERIFY ||
           step == STEP_APPROVAL_LOOKUP || step == STEP_SYNC || step == STEP_SUBSCRIBE;
}

void mailbox_on_result(struct backend_result *r, void *userdata)
{
    struct mailbox *m = userdata;
    struct mailbox_poll *p = m->poll;
    enum mailbox_step step = p->step;
    p->call = NULL;
    p->step = STEP_NONE;
    p->reached |= !backend_request_failed(r->status);
    clear_proven_keys(m, r);
    if (m->stopping && only_reads(step)) {
        mailbox_poll_done(m);
        return;
    }
    handlers[step](m, r);
}

/* ---- poll ------------------------------------------------------------------------------- */

/* Seconds this mailbox must still wait for a pause it shares with others, 0 when none. */
static double shared_wait(struct mailbox *m, const struct backend *be)
{
    double now = ev_now(m->env.loop), wait = 0.0;
    for (int s = 0; s < BACKEND_SCOPES; s++) {
        double w = backoff_wait(m->env.backoff, be->keys[s], now);
        wait = w > wait ? w : wait;
    }
    if (wait == 0.0) {
        /* Untried credentials: this mailbox probes them, the others wait for its outcome. */
        backoff_claim_untried(m->env.backoff, be->keys[BACKEND_SCOPE_CREDENTIALS], now);
        for (int s = 0; s < BACKEND_SCOPES; s++)
            backoff_claim(m->env.backoff, be->keys[s], now);
    }
    return wait;
}

static void poll_start(struct mailbox *m)
{
    if (m->stopping) {
        finish(m, false);
        return;
    }
    const struct conf *c = m->conf->conf;
    const struct conf_mailbox *cm = m->cm;
    if (cm == NULL) /* removed by a reload; main stops it */
        return;
    /* Due, but as many polls run as may: the gate wakes this mailbox with a slot. */
    if (!m->holds_slot && m->env.gate != NULL) {
        if (!pollgate_enter(m->env.gate, &m->gate_wait))
            return;
        m->holds_slot = true;
    }
    struct backend *be = m->env.open_backend(c, cm, m->env.backend_userdata);
    /* Credentials the server refused are not tried again by --once: every attempt brings
     * the account closer to a lockout, and nobody is there to fix them meanwhile. */
    if (m->env.once && backoff_refusing(m->env.backoff, be->keys[BACKEND_SCOPE_CREDENTIALS])) {
        log_error("mailbox %s: giving up: the server refused the credentials of %s", m->name,
                  be->credentials_name);
        m->failure = MAILBOX_FAIL_AUTH;
        be->ops->free(be);
        finish(m, true);
        return;
    }
    double wait = shared_wait(m, be);
    if (wait > 0.0) {
        log_debug("mailbox %s: the server asked to wait; next poll in %.1f s", m->name, wait);
        be->ops->free(be);
        release_slot(m);
        schedule(m, wait);
        return;
    }
    struct mailbox_poll *p = xcalloc(1, sizeof(*p));
    p->conf = confref_get(m->conf);
    p->cm = cm;
    p->policy = cm->policy;
    p->backend = be;
    p->collect_seen = !m->env.dry_run && ledger_count(m->ledger) >= LEDGER_COMPACT_MIN &&
                      util_now() - m->last_compact >= LEDGER_COMPACT_EVERY;
    m->poll = p;
    m->state = MB_BUSY;
    m->stats.polls++;
    mailbox_settle_prepare(m);
    mailbox_inbox_start(m);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    poll_start(w->data);
}

/* The gate handed this mailbox a slot: its poll starts from the loop, not from inside the
 * poll that gave the slot back. */
static void on_slot(struct pollgate_waiter *w)
{
    struct mailbox *m = (struct mailbox *)(void *)((char *)w - offsetof(struct mailbox, gate_wait));
    m->holds_slot = true;
    schedule(m, 0.0);
}

/* ---- life cycle ------------------------------------------------------------------------- */

struct mailbox *mailbox_new(const struct mailbox_env *env, struct confref *conf, const char *name,
                            char *err, size_t errlen)
{
    const char *state_dir = conf->conf->daemon.state_dir;
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create state directory %s: %s", state_dir, strerror(errno));
        return NULL;
    }
    char *path = xasprintf("%s/%s.ledger", state_dir, name);
    struct ledger *ledger = ledger_open(path, err, errlen);
    free(path);
    if (ledger == NULL)
        return NULL;

    struct mailbox *m = xcalloc(1, sizeof(*m));
    m->env = *env;
    m->name = xstrdup(name);
    m->conf = confref_get(conf);
    m->cm = conf_find_mailbox(conf->conf, name);
    m->ledger = ledger;
    m->sync = mailbox_sync_new(state_dir, name);
    m->gate_wait.wake = on_slot;
    ev_timer_init(&m->timer, on_timer, 0.0, 0.0);
    m->timer.data = m;
    return m;
}

void mailbox_free(struct mailbox *m)
{
    if (m == NULL)
        return;
    ev_timer_stop(m->env.loop, &m->timer);
    release_slot(m);
    release_untried(m);
    count_totals(m, false);
    poll_free(m->poll);
    confref_put(m->conf);
    ledger_close(m->ledger);
    mailbox_sync_free(m->sync);
    mailbox_stream_free(m);
    approvals_close(m->approvals);
    strlist_free(&m->dry_run_seen);
    mailbox_retries_free(m->retries);
    free(m->name);
    free(m);
}

void mailbox_start(struct mailbox *m)
{
    /* Spread the first polls of many mailboxes over a few seconds (none in --once). */
    schedule(m, m->env.once ? 0.0 : jitter(1.0, 1.0));
}

void mailbox_reconfigure(struct mailbox *m, struct confref *conf)
{
    struct confref *old = m->conf;
    m->conf = confref_get(conf);
    m->cm = conf_find_mailbox(conf->conf, m->name);
    confref_put(old);
}

void mailbox_stop(struct mailbox *m)
{
    if (m->state == MB_STOPPED)
        return;
    m->stopping = true;
    if (m->state == MB_IDLE)
        finish(m, false);
}

const char *mailbox_name(const struct mailbox *m)
{
    return m->name;
}

enum mailbox_failure mailbox_failure(const struct mailbox *m)
{
    return m->failure;
}

bool mailbox_is_busy(const struct mailbox *m)
{
    return m->state == MB_BUSY;
}

const struct mailbox_stats *mailbox_stats(const struct mailbox *m)
{
    return &m->stats;
}
