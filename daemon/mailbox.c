/*
 * mailbox: the per-mailbox poll state machine (see mailbox.h).
 *
 * Every step sends one EWS call and continues in its callback; the mailbox has at most one
 * call in flight, so its state is always one of a handful of points in the poll below.
 *
 *   poll_start -> find_page* -> [sweep*] -> get_batch* -> next_item -> [verify]
 *              -> [calendar view] -> decide -> answer -> [decline occurrences*] -> [rewrite]
 *              -> [attachments -> delete attachments] -> next_item ...
 *   (tentative / ignore) answer -> [forward to the delegates] -> next_item ...
 *   (out of date) -> [move to Deleted Items] -> next_item ...
 *              -> poll_done / poll_fail -> timer -> poll_start
 */
#include "mailbox.h"

#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ews_build.h"
#include "ews_client.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define FIND_PAGE_SIZE 100
#define GET_BATCH_SIZE 50
#define BACKOFF_BASE_S 5.0
#define BACKOFF_BASE_ONCE_S 0.5
#define BACKOFF_MAX_S 900.0
#define BACKOFF_SERVER_MAX_S 3600.0     /* the most of a server's BackOffMilliseconds honoured */
#define ONCE_MAX_ATTEMPTS 8             /* failed polls in a row before --once gives a mailbox up */
#define ONCE_MAX_PASSES 20              /* polls that acted, before --once stops looking for more */
#define LEDGER_KEEP_DAYS 30             /* ledger entries younger than this are always kept */
#define LEDGER_COMPACT_EVERY 86400      /* seconds between two compactions */
#define LEDGER_COMPACT_MIN 256          /* a smaller ledger is not worth rewriting */
#define MAX_CALENDAR_SPAN (730 * 86400) /* Exchange refuses longer CalendarViews */

enum mb_state { MB_IDLE, MB_BUSY, MB_STOPPED };

struct mailbox {
    struct mailbox_env env;
    char *name;
    struct confref *conf;      /* newest configuration */
    struct confref *poll_conf; /* the one the running poll uses */
    const struct conf_mailbox *cm;
    const struct conf_policy *policy;
    struct ews_account account;
    struct ews_context ctx;
    struct ledger *ledger;
    ev_timer timer;
    struct ews_call *call;
    enum mb_state state;
    bool stopping;
    struct mailbox_stats stats;
    struct strlist dry_run_seen; /* ids decided in --dry-run (the ledger stays untouched) */

    /* The running poll. */
    int find_offset;
    struct item_id *candidates;
    size_t n_candidates;
    size_t get_pos;
    struct item **queue;
    size_t n_queue;
    size_t queue_pos;
    bool acted;                   /* this poll answered or removed something */
    enum mailbox_failure failure; /* why it gave up (--once) */
    bool again;                   /* a superseded request: look again right away */
    unsigned item_failures;       /* items that failed permanently in this poll */
    unsigned once_passes;
    struct item_id *stale; /* finished meeting messages the server left in the Inbox */
    size_t n_stale;
    size_t sweep_pos;
    bool collect_seen;   /* this poll lists the Inbox for the ledger's compaction */
    struct strlist seen; /* ids of every meeting message in the Inbox (collect_seen) */
    time_t last_compact;

    /* The item being worked on. */
    struct item *cur;
    struct item **calendar;
    size_t n_calendar;
    struct policy_occurrence *occurrences;
    size_t n_occurrences;
    struct policy_result result;
    bool have_result;
    size_t occ_decline_pos;
    char *moved_request_id; /* where answering moved the request (owned), NULL if unknown */
};

static void poll_start(struct mailbox *m);
static void next_item(struct mailbox *m);
static void get_batch(struct mailbox *m);

/* ---- helpers ---------------------------------------------------------------------------- */

static double jitter(double seconds, double fraction)
{
    /* rand() is fine: the jitter only spreads load, it protects nothing. */
    double r = (double)rand() / RAND_MAX; /* 0..1 */
    return seconds * (1.0 - fraction + 2.0 * fraction * r);
}

static void schedule(struct mailbox *m, double seconds)
{
    ev_timer_stop(m->env.loop, &m->timer);
    ev_timer_set(&m->timer, seconds < 0.0 ? 0.0 : seconds, 0.0);
    ev_timer_start(m->env.loop, &m->timer);
}

static void clear_current(struct mailbox *m)
{
    for (size_t i = 0; i < m->n_calendar; i++)
        item_free(m->calendar[i]);
    free(m->calendar);
    m->calendar = NULL;
    m->n_calendar = 0;
    free(m->occurrences);
    m->occurrences = NULL;
    m->n_occurrences = 0;
    if (m->have_result)
        policy_result_clear(&m->result);
    m->have_result = false;
    m->cur = NULL;
    m->occ_decline_pos = 0;
    free(m->moved_request_id);
    m->moved_request_id = NULL;
}

static void clear_poll(struct mailbox *m)
{
    clear_current(m);
    strlist_free(&m->seen);
    for (size_t i = 0; i < m->n_candidates; i++) {
        free(m->candidates[i].id);
        free(m->candidates[i].change_key);
    }
    free(m->candidates);
    m->candidates = NULL;
    m->n_candidates = 0;
    for (size_t i = 0; i < m->n_stale; i++)
        free(m->stale[i].id);
    free(m->stale);
    m->stale = NULL;
    m->n_stale = 0;
    m->sweep_pos = 0;
    for (size_t i = 0; i < m->n_queue; i++)
        item_free(m->queue[i]);
    free(m->queue);
    m->queue = NULL;
    m->n_queue = 0;
    m->queue_pos = 0;
    m->get_pos = 0;
    m->find_offset = 0;
}

static bool done_before(const struct mailbox *m, const char *id)
{
    if (m->env.dry_run && strlist_contains_ci(&m->dry_run_seen, id))
        return true;
    return ledger_state(m->ledger, id) == LEDGER_DONE;
}

/* Ledger writes that fail leave the answer unsent: better no answer now than a duplicate. */
static int record(struct mailbox *m, bool intent, const char *id, const char *action)
{
    if (m->env.dry_run) {
        if (!intent)
            strlist_add(&m->dry_run_seen, id);
        return 0;
    }
    int rc = intent ? ledger_intent(m->ledger, id, action) : ledger_done(m->ledger, id, action);
    if (rc != 0)
        log_error("mailbox %s: cannot write the ledger: %s", m->name, strerror(errno));
    return rc;
}

/* Releases the mailbox at the end of its life in this run; nothing may touch it after. */
static void finish(struct mailbox *m, bool failed)
{
    ev_timer_stop(m->env.loop, &m->timer);
    clear_poll(m);
    m->state = MB_STOPPED;
    if (m->env.on_finished)
        m->env.on_finished(m, failed, m->env.userdata);
}

static void end_poll(struct mailbox *m, bool ok)
{
    clear_poll(m);
    confref_put(m->poll_conf);
    m->poll_conf = NULL;
    m->cm = NULL;
    m->policy = NULL;
    m->state = MB_IDLE;
    m->stats.last_poll = time(NULL);
    if (!ok)
        m->stats.failed_polls++;
    if (m->env.on_poll)
        m->env.on_poll(m, ok, m->env.userdata);
}

static unsigned poll_interval(const struct mailbox *m)
{
    const struct conf *c = m->conf->conf;
    const struct conf_mailbox *cm = conf_find_mailbox(c, m->name);
    return cm ? cm->poll_interval_s : c->daemon.poll_interval_s;
}

static void poll_fail(struct mailbox *m, const char *what, const struct ews_call_result *res)
{
    bool auth = res->status == EWS_CALL_AUTH || (res->status != EWS_CALL_TRANSPORT &&
                                                 ews_error_action(res->code) == EWS_ACTION_AUTH);
    /* A poll that answered something before failing made progress: the back-off starts
     * over, so a flaky server slows the mailbox down without making --once give up. */
    if (m->acted)
        m->stats.consecutive_failures = 0;
    m->stats.consecutive_failures++;
    unsigned n = m->stats.consecutive_failures;
    double base = m->env.once ? BACKOFF_BASE_ONCE_S : BACKOFF_BASE_S;
    double delay = base;
    for (unsigned i = 1; i < n && delay < BACKOFF_MAX_S; i++)
        delay *= 2.0;
    if (auth && !m->env.once && delay < 60.0)
        delay = 60.0; /* a wrong password will not fix itself in seconds */
    if (delay > BACKOFF_MAX_S)
        delay = BACKOFF_MAX_S;
    delay = jitter(delay, 0.2);
    /* The server's back-off is honoured up to an hour: a larger one is more likely a broken
     * header than a plan, and would silence the mailbox (or hang --once) for days. */
    double server_s = res->backoff_ms / 1000.0;
    if (server_s > BACKOFF_SERVER_MAX_S)
        server_s = BACKOFF_SERVER_MAX_S;
    if (delay < server_s)
        delay = server_s;

    const char *reason = res->error ? res->error : ews_error_name(res->code);
    if (res->status == EWS_CALL_OK)
        reason = ews_error_name(res->code);
    log_warn("mailbox %s: %s failed: %s; retrying in %.1f s (failure %u)", m->name, what, reason,
             delay, n);
    end_poll(m, false);
    if (m->stopping) {
        finish(m, false);
        return;
    }
    if (m->env.once && (auth || n >= ONCE_MAX_ATTEMPTS)) {
        log_error("mailbox %s: giving up: %s", m->name, reason);
        m->failure = auth ? MAILBOX_FAIL_AUTH
                     : res->status == EWS_CALL_TRANSPORT && res->http_result == HTTP_ERR_CONNECT
                         ? MAILBOX_FAIL_UNREACHABLE
                         : MAILBOX_FAIL_OTHER;
        finish(m, true);
        return;
    }
    metrics_backoff(m->name, res);
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
    if (!m->collect_seen)
        return;
    time_t now = time(NULL);
    m->last_compact = now;
    if (m->seen.n > 0)
        qsort(m->seen.v, m->seen.n, sizeof(*m->seen.v), compare_strings);
    size_t before = ledger_count(m->ledger);
    if (ledger_compact(m->ledger, now - (time_t)LEDGER_KEEP_DAYS * 86400, still_in_inbox,
                       &m->seen) != 0) {
        log_warn_errno(errno, "mailbox %s: cannot compact the ledger", m->name);
        return;
    }
    if (ledger_count(m->ledger) != before)
        log_info("mailbox %s: ledger compacted from %zu to %zu entries", m->name, before,
                 ledger_count(m->ledger));
}

static void poll_done(struct mailbox *m)
{
    bool acted = m->acted || m->again;
    bool failures = m->item_failures > 0;
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
        finish(m, failures);
        return;
    }
    schedule(m, m->again ? 0.0 : jitter(poll_interval(m), 0.1));
}

/* Sends ENVELOPE (taken) for OP and continues in CB. */
static void send_call(struct mailbox *m, const char *op, char *envelope, ews_call_cb cb)
{
    m->stats.ews_calls++;
    if (envelope == NULL ||
        ews_call_take(m->env.http, &m->account, op, envelope, cb, m, &m->call) != 0) {
        struct ews_call_result res = {.status = EWS_CALL_MALFORMED,
                                      .code = EWS_ERROR_OTHER,
                                      .error = "the request could not be built or submitted"};
        poll_fail(m, op, &res);
    }
}

static bool call_ok(const struct ews_call_result *res)
{
    return res->status == EWS_CALL_OK && res->code == EWS_OK;
}

/* ---- finding ---------------------------------------------------------------------------- */

static const char *const MEETING_CLASSES[] = {
    "IPM.Schedule.Meeting.Request",
    "IPM.Schedule.Meeting.Canceled",
};
static const char *const ITEM_CLASS_FIELD[] = {"item:ItemClass"};

static void on_find(struct ews_call_result *res, void *userdata);
static void sweep_stale(struct mailbox *m);
static bool throttled(const struct ews_call_result *res);

/* RemoveOldMeetingMessages, as Exchange's Calendar Attendant applies it (default yes): the
 * outdated and redundant meeting messages leave the Inbox. Not when processing is off, and
 * a dry run changes nothing. */
static bool removes_old_messages(const struct mailbox *m)
{
    return m->policy->remove_old_meeting_messages && m->policy->automate != CONF_AUTOMATE_NONE &&
           !m->env.dry_run;
}

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

static void find_page(struct mailbox *m)
{
    struct ews_find_item_args args = {
        .folder = {.distinguished_id = "inbox",
                   .mailbox = m->cm->access == CONF_ACCESS_DELEGATE ? m->cm->address : NULL},
        .shape = EWS_SHAPE_ID_ONLY,
        .additional_fields = ITEM_CLASS_FIELD,
        .n_additional_fields = 1,
        .view = EWS_VIEW_INDEXED,
        .offset = m->find_offset,
        .max_entries = FIND_PAGE_SIZE,
        .item_class_prefixes = MEETING_CLASSES,
        .n_item_class_prefixes = 2,
        .sort = EWS_SORT_RECEIVED_ASCENDING,
    };
    send_call(m, "FindItem", ews_build_find_item(&m->ctx, &args), on_find);
}

static void on_find(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    if (!call_ok(res) || res->response->n_messages != 1) {
        poll_fail(m, "FindItem", res);
        return;
    }
    const struct ews_response_message *msg = &res->response->messages[0];
    for (size_t i = 0; i < msg->n_items; i++) {
        const struct item *it = &msg->items[i];
        if (it->id.id == NULL)
            continue;
        if (m->collect_seen)
            strlist_add(&m->seen, it->id.id);
        if (done_before(m, it->id.id)) {
            if (removes_old_messages(m) && finished_with(ledger_action(m->ledger, it->id.id))) {
                m->stale = xreallocarray(m->stale, m->n_stale + 1, sizeof(*m->stale));
                m->stale[m->n_stale++] = (struct item_id){.id = xstrdup(it->id.id)};
            }
            continue;
        }
        m->candidates = xreallocarray(m->candidates, m->n_candidates + 1, sizeof(*m->candidates));
        m->candidates[m->n_candidates].id = xstrdup(it->id.id);
        m->candidates[m->n_candidates].change_key =
            it->id.change_key ? xstrdup(it->id.change_key) : NULL;
        m->n_candidates++;
    }
    /* Paging ends when the server says so; an empty page ends it too, so that a server
     * that never sets IncludesLastItemInRange cannot keep us here. */
    if (!msg->includes_last_item_in_range && msg->n_items > 0 && !m->stopping) {
        m->find_offset = msg->indexed_paging_offset > m->find_offset
                             ? msg->indexed_paging_offset
                             : m->find_offset + (int)msg->n_items;
        find_page(m);
        return;
    }
    if (m->stopping) {
        poll_done(m);
        return;
    }
    log_debug("mailbox %s: %zu meeting message(s) to look at", m->name, m->n_candidates);
    sweep_stale(m);
}

static void on_swept(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    if (!call_ok(res) && throttled(res)) {
        poll_fail(m, "DeleteItem (moving finished meeting messages)", res);
        return;
    }
    if (res->status != EWS_CALL_OK) {
        log_warn("mailbox %s: moving finished meeting messages out of the Inbox failed: %s",
                 m->name, res->error ? res->error : ews_error_name(res->code));
    } else {
        size_t moved = 0;
        for (size_t i = 0; i < res->response->n_messages; i++)
            moved += res->response->messages[i].code == EWS_OK;
        if (moved > 0)
            log_info("mailbox %s: moved %zu finished meeting message(s) the server left in the "
                     "Inbox to Deleted Items",
                     m->name, moved);
    }
    if (m->stopping) {
        poll_done(m);
        return;
    }
    sweep_stale(m);
}

/* The size of the next batch of ids from *POS on (at most GET_BATCH_SIZE of TOTAL); advances
 * *POS past it. */
static size_t take_batch(size_t *pos, size_t total)
{
    size_t n = total - *pos;
    if (n > GET_BATCH_SIZE)
        n = GET_BATCH_SIZE;
    *pos += n;
    return n;
}

/* Moves the stale messages found by FindItem to Deleted Items (batched), then fetches the
 * new ones. Housekeeping: a failure is logged and the poll goes on. */
static void sweep_stale(struct mailbox *m)
{
    if (m->sweep_pos >= m->n_stale) {
        get_batch(m);
        return;
    }
    size_t first = m->sweep_pos;
    size_t n = take_batch(&m->sweep_pos, m->n_stale);
    send_call(m, "DeleteItem",
              ews_build_delete_item(&m->ctx, &m->stale[first], n, EWS_MOVE_TO_DELETED_ITEMS,
                                    EWS_SEND_TO_NONE),
              on_swept);
}

/* ---- fetching --------------------------------------------------------------------------- */

static void on_get(struct ews_call_result *res, void *userdata);

static void get_batch(struct mailbox *m)
{
    if (m->get_pos >= m->n_candidates) {
        next_item(m);
        return;
    }
    size_t first = m->get_pos;
    size_t n = take_batch(&m->get_pos, m->n_candidates);
    send_call(
        m, "GetItem",
        ews_build_get_item(&m->ctx, &m->candidates[first], n, EWS_SHAPE_ALL_PROPERTIES, NULL, 0),
        on_get);
}

static void on_get(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    /* Per-item errors (an item gone since FindItem) are expected; only a failed call or a
     * transient error stops the poll. */
    if (res->status != EWS_CALL_OK ||
        (res->code != EWS_OK && ews_error_action(res->code) != EWS_ACTION_ITEM_GONE)) {
        poll_fail(m, "GetItem", res);
        return;
    }
    for (size_t i = 0; i < res->response->n_messages; i++) {
        struct ews_response_message *msg = &res->response->messages[i];
        if (msg->cls == EWS_CLASS_ERROR)
            continue;
        struct item *items = NULL;
        size_t n = ews_response_message_take_items(msg, &items);
        for (size_t j = 0; j < n; j++) {
            struct item *copy = item_new();
            *copy = items[j];
            m->queue = xreallocarray(m->queue, m->n_queue + 1, sizeof(*m->queue));
            m->queue[m->n_queue++] = copy;
        }
        free(items);
    }
    if (m->stopping) {
        poll_done(m);
        return;
    }
    get_batch(m);
}

/* ---- one item --------------------------------------------------------------------------- */

static void emit_decision(struct mailbox *m, const char *outcome)
{
    if (m->env.on_decision == NULL)
        return;
    struct mailbox_decision d = {
        .mailbox = m->name,
        .address = m->cm->address,
        .request = m->cur,
        .result = &m->result,
        .outcome = outcome,
    };
    m->env.on_decision(&d, m->env.userdata);
}

static void item_finished(struct mailbox *m)
{
    clear_current(m);
    next_item(m);
}

/* An answer failed for this item only: keep the ledger's intent (so the next poll checks
 * and retries) and go on with the others. */
static void item_failed(struct mailbox *m, const char *what, const struct ews_call_result *res)
{
    m->item_failures++;
    log_error("mailbox %s: %s for \"%s\" failed: %s", m->name, what,
              m->cur && m->cur->subject ? m->cur->subject : "",
              res->error ? res->error : ews_error_name(res->code));
    item_finished(m);
}

static void on_old_removed(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    const char *subject = m->cur->subject ? m->cur->subject : "";
    if (!call_ok(res) && throttled(res)) {
        /* Recorded as superseded already: the next poll's sweep moves it. */
        poll_fail(m, "DeleteItem (moving an out-of-date request)", res);
        return;
    }
    if (call_ok(res))
        log_info("mailbox %s: moved the out-of-date \"%s\" to Deleted Items", m->name, subject);
    else if (res->status != EWS_CALL_OK || ews_error_action(res->code) != EWS_ACTION_ITEM_GONE)
        log_warn("mailbox %s: moving the out-of-date \"%s\" to Deleted Items failed: %s", m->name,
                 subject, res->error ? res->error : ews_error_name(res->code));
    item_finished(m);
}

/* RemoveOldMeetingMessages: a request an update superseded goes to Deleted Items (a failure
 * is left to the next poll's sweep). */
static void remove_old_request(struct mailbox *m)
{
    if (m->stopping || !removes_old_messages(m)) {
        item_finished(m);
        return;
    }
    struct item_id id = {.id = m->cur->id.id};
    send_call(m, "DeleteItem",
              ews_build_delete_item(&m->ctx, &id, 1, EWS_MOVE_TO_DELETED_ITEMS, EWS_SEND_TO_NONE),
              on_old_removed);
}

/* Sorts a failed answer into: done anyway, this item only, or the whole poll. Returns true
 * when the caller should stop (the mailbox moved on). */
static bool answer_failed(struct mailbox *m, const char *what, struct ews_call_result *res)
{
    const char *id = m->cur->id.id;
    if (res->status == EWS_CALL_OK) {
        switch (ews_error_action(res->code)) {
        case EWS_ACTION_ITEM_GONE:
            log_info("mailbox %s: \"%s\" is gone (%s)", m->name,
                     m->cur->subject ? m->cur->subject : "", ews_error_name(res->code));
            record(m, false, id, "gone");
            item_finished(m);
            return true;
        case EWS_ACTION_OUT_OF_DATE:
            /* The organizer changed the meeting after this request was sent; its successor
             * is in the Inbox and is answered instead. */
            log_info("mailbox %s: \"%s\" was superseded by an update; answering that instead",
                     m->name, m->cur->subject ? m->cur->subject : "");
            record(m, false, id, "superseded");
            m->again = true;
            remove_old_request(m);
            return true;
        case EWS_ACTION_PERMANENT:
        case EWS_ACTION_CONFLICT:
            item_failed(m, what, res);
            return true;
        default:
            break;
        }
    }
    poll_fail(m, what, res);
    return true;
}

/* A throttled server (ErrorServerBusy) wants no request at all before its back-off is over,
 * not just no retry of the one it refused. */
static bool throttled(const struct ews_call_result *res)
{
    return res->backoff_ms > 0 || ((res->status == EWS_CALL_OK || res->status == EWS_CALL_FAULT) &&
                                   ews_error_action(res->code) == EWS_ACTION_RETRY_LATER);
}

/*
 * The end of a step that follows an answer (rewriting the calendar item, its attachments,
 * declining occurrences, forwarding). The answer stands whatever happens here, so a failed
 * step is logged ("WHAT "subject" failed") and not retried; but a throttled server ends the
 * poll, so that its back-off is honoured before anything else is sent. Returns true when the
 * caller goes on with the item (call_ok(res) tells whether the step worked).
 */
static bool followup_done(struct mailbox *m, const char *op, const char *what,
                          const struct ews_call_result *res)
{
    m->call = NULL;
    if (call_ok(res))
        return true;
    if (throttled(res)) {
        char *step = xasprintf("%s (%s)", op, what);
        poll_fail(m, step, res);
        free(step);
        return false;
    }
    log_warn("mailbox %s: %s \"%s\" failed: %s", m->name, what,
             m->cur->subject ? m->cur->subject : "",
             res->error ? res->error : ews_error_name(res->code));
    return true;
}

static void on_attachments_deleted(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    if (!followup_done(m, "DeleteAttachment", "removing the attachments of the booked", res))
        return;
    if (call_ok(res))
        log_info("mailbox %s: removed %zu attachment(s) of the booked \"%s\"", m->name,
                 res->response->n_messages, m->cur->subject ? m->cur->subject : "");
    item_finished(m);
}

static void on_attachments_listed(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    if (!followup_done(m, "GetItem", "reading the attachments of the booked", res))
        return;
    if (!call_ok(res) || res->response->n_messages != 1 ||
        res->response->messages[0].n_items != 1) {
        item_finished(m);
        return;
    }
    const struct item *cal = &res->response->messages[0].items[0];
    if (m->stopping || cal->n_attachment_ids == 0) {
        item_finished(m);
        return;
    }
    send_call(m, "DeleteAttachment",
              ews_build_delete_attachments(&m->ctx, cal->attachment_ids, cal->n_attachment_ids),
              on_attachments_deleted);
}

static const char *const ATTACHMENTS_FIELD[] = {"item:Attachments"};

/* DeleteAttachments: the resource's calendar item keeps no attachments. Their ids are the
 * calendar item's own (the request's are others), so they are read from it first. */
static void delete_attachments(struct mailbox *m)
{
    if (m->stopping || !m->result.rewrite.delete_attachments ||
        m->cur->associated_calendar_item_id.id == NULL) {
        item_finished(m);
        return;
    }
    struct item_id id = {.id = m->cur->associated_calendar_item_id.id};
    send_call(m, "GetItem",
              ews_build_get_item(&m->ctx, &id, 1, EWS_SHAPE_ID_ONLY, ATTACHMENTS_FIELD, 1),
              on_attachments_listed);
}

static void on_rewrite(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    if (followup_done(m, "UpdateItem", "rewriting the calendar item of", res))
        delete_attachments(m);
}

/* After booking, the resource's own calendar item is rewritten as the policy says (subject,
 * body, private flag, then its attachments). Only the mailbox's copy changes; nobody is
 * notified. */
static void rewrite_calendar_item(struct mailbox *m)
{
    const struct policy_rewrite *rw = &m->result.rewrite;
    if (m->stopping || !rw->needed || m->cur->associated_calendar_item_id.id == NULL) {
        item_finished(m);
        return;
    }
    struct ews_item_change changes[3];
    size_t n = 0;
    if (rw->subject)
        changes[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = rw->subject};
    if (rw->clear_body)
        changes[n++] =
            (struct ews_item_change){.op = EWS_CHANGE_SET, .field = EWS_FIELD_BODY, .text = ""};
    if (rw->make_public)
        changes[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_SENSITIVITY, .text = "Normal"};
    if (n == 0) {
        delete_attachments(m);
        return;
    }
    /* The answer just changed the item's ChangeKey: address it by id alone. */
    struct item_id id = {.id = m->cur->associated_calendar_item_id.id};
    send_call(m, "UpdateItem",
              ews_build_update_item(&m->ctx, &id, changes, n, EWS_ALWAYS_OVERWRITE,
                                    EWS_UPDATE_SEND_TO_NONE),
              on_rewrite);
}

static void decline_next_occurrence(struct mailbox *m);

static void on_occurrence_declined(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    if (followup_done(m, "CreateItem", "declining an occurrence of", res))
        decline_next_occurrence(m);
}

/* The own occurrence (from the CalendarView) that starts at START, or NULL. */
static const struct item *own_occurrence_at(const struct mailbox *m, time_t start)
{
    for (size_t i = 0; i < m->n_calendar; i++) {
        const struct item *c = m->calendar[i];
        if (c->start == start && c->uid && m->cur->uid && strcmp(c->uid, m->cur->uid) == 0)
            return c;
    }
    return NULL;
}

/* An accepted series can still have single occurrences that conflict: each is declined on
 * its own, with the reasons, after the series was accepted. */
static void decline_next_occurrence(struct mailbox *m)
{
    while (!m->stopping && m->occ_decline_pos < m->result.n_declined_occurrences) {
        time_t start = m->result.declined_occurrences[m->occ_decline_pos++];
        const struct item *occ = own_occurrence_at(m, start);
        if (occ == NULL || occ->id.id == NULL)
            continue;
        send_call(m, "CreateItem",
                  ews_build_respond(&m->ctx, EWS_DECLINE, &occ->id, m->result.response_text,
                                    EWS_SEND_AND_SAVE_COPY),
                  on_occurrence_declined);
        return;
    }
    rewrite_calendar_item(m);
}

/* The forward's note: why the request waits for a delegate (the policy's reasons). */
static char *forward_note(const struct mailbox *m)
{
    const struct item *req = m->cur;
    const char *who = req->organizer.address ? req->organizer.address : "an unknown organizer";
    char start[21], end[21];
    util_format_time_utc(req->start, start);
    util_format_time_utc(req->end, end);
    char *note = xasprintf("The meeting request \"%s\" from %s (%s to %s) for %s needs the "
                           "approval of a delegate:\n",
                           req->subject ? req->subject : "", who, start, end, m->cm->address);
    for (size_t i = 0; i < m->result.n_checks; i++) {
        const struct policy_check *c = &m->result.checks[i];
        if (c->outcome == POLICY_CHECK_PASS || c->reason == NULL)
            continue;
        char *more = xasprintf("%s- %s\n", note, c->reason);
        free(note);
        note = more;
    }
    return note;
}

/* ForwardRequestsToDelegates: the request goes to the resource's delegates, with the reasons. */
static void forward_to_delegates(struct mailbox *m, const char *reference, ews_call_cb cb)
{
    const struct strlist *delegates = &m->policy->resource_delegates;
    char *note = forward_note(m);
    struct item_id ref = {.id = (char *)reference};
    char *env = ews_build_forward(&m->ctx, &ref, (const char *const *)delegates->v, delegates->n,
                                  note, EWS_SEND_AND_SAVE_COPY);
    free(note);
    send_call(m, "CreateItem", env, cb);
}

static void on_forwarded(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    if (!followup_done(m, "CreateItem", "forwarding to the delegates", res))
        return;
    if (call_ok(res))
        log_info("mailbox %s: forwarded \"%s\" to %zu delegate(s) for approval", m->name,
                 m->cur->subject ? m->cur->subject : "", m->policy->resource_delegates.n);
    item_finished(m);
}

/* Left alone but forwarded: the forward is the action, recorded like an answer. */
static void on_marked_free(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    if (followup_done(m, "UpdateItem", "showing as free the held request", res))
        item_finished(m);
}

/* A request held for approval without tentative_pending_approval: nobody answered it, and
 * the placeholder the server put on the calendar shows Free rather than Tentative, so that
 * it blocks nothing while the delegates decide. Only the mailbox's own copy changes. */
static void show_held_request_free(struct mailbox *m)
{
    if (!m->result.show_free || m->env.dry_run || m->stopping ||
        m->cur->associated_calendar_item_id.id == NULL) {
        item_finished(m);
        return;
    }
    struct ews_item_change change = {
        .op = EWS_CHANGE_SET, .field = EWS_FIELD_LEGACY_FREE_BUSY, .free_busy = FB_FREE};
    struct item_id id = {.id = m->cur->associated_calendar_item_id.id};
    send_call(m, "UpdateItem",
              ews_build_update_item(&m->ctx, &id, &change, 1, EWS_ALWAYS_OVERWRITE,
                                    EWS_UPDATE_SEND_TO_NONE),
              on_marked_free);
}

static void on_ignored_forwarded(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    if (!call_ok(res)) {
        emit_decision(m, "failed");
        answer_failed(m, "forwarding to the delegates", res);
        return;
    }
    record(m, false, m->cur->id.id, policy_decision_name(m->result.decision));
    m->acted = true;
    log_info("mailbox %s: forwarded \"%s\" to %zu delegate(s) for approval", m->name,
             m->cur->subject ? m->cur->subject : "", m->policy->resource_delegates.n);
    emit_decision(m, "forwarded to the delegates");
    show_held_request_free(m);
}

/* Answering moves the request to Deleted Items with a new id; Exchange 2013 and later name
 * it in the answer's m:Items (Exchange 2007 returned none, some servers do not move it). */
static void note_moved_request(struct mailbox *m, const struct ews_call_result *res)
{
    if (res->response == NULL || res->response->n_messages != 1)
        return;
    const struct ews_response_message *msg = &res->response->messages[0];
    for (size_t i = 0; i < msg->n_items; i++) {
        const struct item *it = &msg->items[i];
        if (it->kind == ITEM_MEETING_REQUEST && it->id.id != NULL &&
            strcmp(it->id.id, m->cur->id.id) != 0) {
            free(m->moved_request_id);
            m->moved_request_id = xstrdup(it->id.id);
        }
    }
}

static void on_answered(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    const char *action = policy_decision_name(m->result.decision);
    if (!call_ok(res)) {
        emit_decision(m, "failed");
        answer_failed(m, "answering", res);
        return;
    }
    record(m, false, m->cur->id.id, action);
    m->stats.answered++;
    m->acted = true;
    emit_decision(m, "sent");
    note_moved_request(m, res);
    if (m->result.decision == POLICY_ACCEPT) {
        decline_next_occurrence(m);
    } else if (m->result.forward_to_delegates && !m->stopping) {
        /* The request moved; the delegates get it, or the meeting's calendar item, which
         * Exchange forwards as a meeting request too. */
        const char *ref = m->moved_request_id ? m->moved_request_id
                          : m->cur->associated_calendar_item_id.id
                              ? m->cur->associated_calendar_item_id.id
                              : m->cur->id.id;
        forward_to_delegates(m, ref, on_forwarded);
    } else {
        item_finished(m);
    }
}

static void answer(struct mailbox *m)
{
    static const enum ews_respond_kind kinds[] = {
        [POLICY_ACCEPT] = EWS_ACCEPT,
        [POLICY_TENTATIVE] = EWS_TENTATIVE,
        [POLICY_DECLINE] = EWS_DECLINE,
    };
    const char *action = policy_decision_name(m->result.decision);
    if (m->result.decision == POLICY_IGNORE && m->result.forward_to_delegates && !m->env.dry_run) {
        /* Nothing to answer, but the delegates must hear of it: intent first, as for an
         * answer, so that a crash before the forward leads to a forward. */
        if (record(m, true, m->cur->id.id, action) != 0) {
            m->item_failures++;
            item_finished(m);
            return;
        }
        forward_to_delegates(m, m->cur->id.id, on_ignored_forwarded);
        return;
    }
    if (m->result.decision == POLICY_IGNORE) {
        emit_decision(m, m->env.dry_run ? "dry-run" : "left alone");
        record(m, false, m->cur->id.id, action);
        show_held_request_free(m);
        return;
    }
    if (m->env.dry_run) {
        emit_decision(m, "dry-run");
        record(m, false, m->cur->id.id, action);
        item_finished(m);
        return;
    }
    if (record(m, true, m->cur->id.id, action) != 0) {
        m->item_failures++;
        item_finished(m);
        return;
    }
    send_call(m, "CreateItem",
              ews_build_respond(&m->ctx, kinds[m->result.decision], &m->cur->id,
                                m->result.response_text, EWS_SEND_AND_SAVE_COPY),
              on_answered);
}

static void decide(struct mailbox *m)
{
    if (m->n_occurrences == 0) {
        m->occurrences = xcalloc(1, sizeof(*m->occurrences));
        m->occurrences[0] = (struct policy_occurrence){m->cur->start, m->cur->end};
        m->n_occurrences = 1;
    }
    struct policy_context ctx = {
        .mailbox_address = m->cm->address,
        .now = time(NULL),
        .calendar = (const struct item *const *)m->calendar,
        .n_calendar = m->n_calendar,
        .occurrences = m->occurrences,
        .n_occurrences = m->n_occurrences,
    };
    const struct item_recurrence *rec = m->cur->recurrence;
    if (rec == NULL) {
        ctx.series_end_known = true;
        ctx.series_end = m->cur->end;
    } else if (rec->range == REC_RANGE_NO_END) {
        ctx.series_end_known = true;
        ctx.series_end = 0;
    } else if (rec->range == REC_RANGE_END_DATE) {
        struct tm tm = {0};
        if (sscanf(rec->end_date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            ctx.series_end_known = true;
            ctx.series_end = timegm(&tm) + 86400; /* the end date is inclusive */
        }
    } else if (rec->range == REC_RANGE_NUMBERED &&
               m->n_occurrences >= (size_t)rec->number_of_occurrences) {
        ctx.series_end_known = true;
        ctx.series_end = m->occurrences[m->n_occurrences - 1].end;
    }
    policy_decide(m->policy, m->cur, &ctx, &m->result);
    m->have_result = true;
    answer(m);
}

static void on_calendar_view(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    if (!call_ok(res) || res->response->n_messages != 1) {
        poll_fail(m, "FindItem (calendar view)", res);
        return;
    }
    struct item *items = NULL;
    size_t n = ews_response_message_take_items(&res->response->messages[0], &items);
    for (size_t i = 0; i < n; i++) {
        struct item *copy = item_new();
        *copy = items[i];
        m->calendar = xreallocarray(m->calendar, m->n_calendar + 1, sizeof(*m->calendar));
        m->calendar[m->n_calendar++] = copy;
        /* The request's own tentative occurrences tell which occurrences the series has
         * inside the window, without expanding its recurrence here. */
        if (copy->uid && m->cur->uid && strcmp(copy->uid, m->cur->uid) == 0) {
            m->occurrences =
                xreallocarray(m->occurrences, m->n_occurrences + 1, sizeof(*m->occurrences));
            m->occurrences[m->n_occurrences++] = (struct policy_occurrence){copy->start, copy->end};
        }
    }
    free(items);
    if (m->stopping) {
        poll_done(m);
        return;
    }
    decide(m);
}

static void gather_context(struct mailbox *m)
{
    if (!policy_needs_calendar(m->policy)) {
        decide(m);
        return;
    }
    time_t start = m->cur->start, end = m->cur->end;
    if (m->cur->recurrence) {
        /* The policy's booking window ends at a local midnight, not N * 24 h from now. */
        time_t horizon = policy_booking_window_end(m->policy, time(NULL));
        end = horizon > end ? horizon : end;
    }
    if (end - start > MAX_CALENDAR_SPAN)
        end = start + MAX_CALENDAR_SPAN;
    if (end <= start)
        end = start + 60;
    struct ews_find_item_args args = {
        .folder = {.distinguished_id = "calendar",
                   .mailbox = m->cm->access == CONF_ACCESS_DELEGATE ? m->cm->address : NULL},
        .shape = EWS_SHAPE_ALL_PROPERTIES,
        .view = EWS_VIEW_CALENDAR,
        .start = start,
        .end = end,
    };
    send_call(m, "FindItem", ews_build_find_item(&m->ctx, &args), on_calendar_view);
}

/* The answer recorded as an intent did reach the server: it is finished, as recorded. */
static void earlier_answer_arrived(struct mailbox *m)
{
    const char *id = m->cur->id.id;
    log_notice("mailbox %s: an earlier answer to \"%s\" whose outcome was unknown reached the "
               "server",
               m->name, m->cur->subject ? m->cur->subject : "");
    record(m, false, id, ledger_action(m->ledger, id));
    item_finished(m);
}

static void on_verified(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    if (m->stopping) { /* the intent stays: the next start checks again */
        poll_done(m);
        return;
    }
    if (res->status == EWS_CALL_OK && res->code != EWS_OK &&
        ews_error_action(res->code) == EWS_ACTION_ITEM_GONE) {
        /* A declined meeting leaves no calendar item behind. */
        earlier_answer_arrived(m);
        return;
    }
    if (!call_ok(res) || res->response->n_messages != 1 ||
        res->response->messages[0].n_items != 1) {
        poll_fail(m, "GetItem (verify)", res);
        return;
    }
    const struct item *cal = &res->response->messages[0].items[0];
    if (cal->my_response == RESPONSE_ACCEPT || cal->my_response == RESPONSE_TENTATIVE ||
        cal->my_response == RESPONSE_DECLINE) {
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
    if (m->cur->associated_calendar_item_id.id == NULL) {
        const char *action = ledger_action(m->ledger, m->cur->id.id);
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
    struct item_id id = {.id = m->cur->associated_calendar_item_id.id};
    send_call(m, "GetItem", ews_build_get_item(&m->ctx, &id, 1, EWS_SHAPE_DEFAULT, NULL, 0),
              on_verified);
}

static void on_removed(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    if (!call_ok(res)) {
        answer_failed(m, "removing a cancelled meeting", res);
        return;
    }
    record(m, false, m->cur->id.id, "remove");
    m->stats.removed++;
    m->acted = true;
    log_info("mailbox %s: removed cancelled meeting \"%s\" from the calendar", m->name,
             m->cur->subject ? m->cur->subject : "");
    item_finished(m);
}

static void handle_cancellation(struct mailbox *m)
{
    const char *subject = m->cur->subject ? m->cur->subject : "";
    if (!m->policy->remove_canceled_meetings || m->policy->automate == CONF_AUTOMATE_NONE) {
        record(m, false, m->cur->id.id, "keep");
        item_finished(m);
        return;
    }
    if (m->env.dry_run) {
        log_info("mailbox %s: dry run: would remove cancelled meeting \"%s\"", m->name, subject);
        record(m, false, m->cur->id.id, "remove");
        item_finished(m);
        return;
    }
    if (record(m, true, m->cur->id.id, "remove") != 0) {
        m->item_failures++;
        item_finished(m);
        return;
    }
    send_call(m, "CreateItem",
              ews_build_respond(&m->ctx, EWS_REMOVE, &m->cur->id, NULL, EWS_SAVE_ONLY), on_removed);
}

static void handle_request(struct mailbox *m)
{
    if (m->cur->is_out_of_date) {
        log_info("mailbox %s: \"%s\" is out of date (a newer update exists); not answering it",
                 m->name, m->cur->subject ? m->cur->subject : "");
        record(m, false, m->cur->id.id, "superseded");
        remove_old_request(m);
        return;
    }
    if (!m->env.dry_run && ledger_state(m->ledger, m->cur->id.id) == LEDGER_INTENT)
        verify_pending(m);
    else
        gather_context(m);
}

static void next_item(struct mailbox *m)
{
    if (m->stopping || m->queue_pos >= m->n_queue) {
        poll_done(m);
        return;
    }
    m->cur = m->queue[m->queue_pos++];
    if (m->cur->id.id == NULL || done_before(m, m->cur->id.id)) {
        item_finished(m);
        return;
    }
    switch (m->cur->kind) {
    case ITEM_MEETING_REQUEST:
        handle_request(m);
        return;
    case ITEM_MEETING_CANCELLATION:
        handle_cancellation(m);
        return;
    default:
        /* Responses and anything else are the organizer's business, not ours. */
        item_finished(m);
        return;
    }
}

/* ---- poll ------------------------------------------------------------------------------- */

static enum http_auth http_auth_of(enum conf_auth auth)
{
    switch (auth) {
    case CONF_AUTH_NTLM:
        return HTTP_AUTH_NTLM;
    case CONF_AUTH_NEGOTIATE:
        return HTTP_AUTH_NEGOTIATE;
    case CONF_AUTH_OAUTH2:
        return HTTP_AUTH_NONE; /* the EWS client sends the bearer token */
    case CONF_AUTH_BASIC:
        break;
    }
    return HTTP_AUTH_BASIC;
}

static void poll_start(struct mailbox *m)
{
    if (m->stopping) {
        finish(m, false);
        return;
    }
    const struct conf *c = m->conf->conf;
    const struct conf_mailbox *cm = conf_find_mailbox(c, m->name);
    if (cm == NULL) { /* removed by a reload; main stops it */
        return;
    }
    m->poll_conf = confref_get(m->conf);
    m->cm = cm;
    m->policy = cm->policy;
    m->account = (struct ews_account){
        .url = c->server.url,
        .auth = http_auth_of(c->server.auth),
        .username = cm->login_username,
        .password = cm->login_password,
        .impersonate = cm->access == CONF_ACCESS_IMPERSONATE ? cm->address : NULL,
        .server_version = c->server.server_version,
        .oauth2 = c->server.auth == CONF_AUTH_OAUTH2 ? &c->server.oauth2 : NULL,
    };
    m->ctx = (struct ews_context){
        .server_version = c->server.server_version,
        .impersonate_address = m->account.impersonate,
    };
    m->state = MB_BUSY;
    m->acted = false;
    m->collect_seen = !m->env.dry_run && ledger_count(m->ledger) >= LEDGER_COMPACT_MIN &&
                      time(NULL) - m->last_compact >= LEDGER_COMPACT_EVERY;
    m->again = false;
    m->item_failures = 0;
    m->stats.polls++;
    find_page(m);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    poll_start(w->data);
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
    m->ledger = ledger;
    ev_timer_init(&m->timer, on_timer, 0.0, 0.0);
    m->timer.data = m;
    return m;
}

void mailbox_free(struct mailbox *m)
{
    if (m == NULL)
        return;
    ev_timer_stop(m->env.loop, &m->timer);
    ews_call_cancel(m->call);
    clear_poll(m);
    confref_put(m->poll_conf);
    confref_put(m->conf);
    ledger_close(m->ledger);
    strlist_free(&m->dry_run_seen);
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
