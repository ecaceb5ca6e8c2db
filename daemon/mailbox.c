/*
 * mailbox: the per-mailbox poll state machine (see mailbox.h).
 *
 * Every step sends one EWS call and continues in its callback; the mailbox has at most one
 * call in flight, so its state is always one of a handful of points in the poll below.
 *
 *   poll_start -> find_page* -> get_batch* -> next_item -> [verify] -> [calendar view]
 *              -> decide -> answer -> [decline occurrences*] -> [rewrite] -> next_item ...
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
#include "util.h"

#define FIND_PAGE_SIZE 100
#define GET_BATCH_SIZE 50
#define BACKOFF_BASE_S 5.0
#define BACKOFF_BASE_ONCE_S 0.5
#define BACKOFF_MAX_S 900.0
#define ONCE_MAX_ATTEMPTS 8 /* failed polls in a row before --once gives a mailbox up */
#define ONCE_MAX_PASSES 20  /* polls that acted, before --once stops looking for more */
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
    bool acted;          /* this poll answered or removed something */
    bool again;          /* a superseded request: look again right away */
    unsigned item_failures; /* items that failed permanently in this poll */
    unsigned once_passes;

    /* The item being worked on. */
    struct item *cur;
    struct item **calendar;
    size_t n_calendar;
    struct policy_occurrence *occurrences;
    size_t n_occurrences;
    struct policy_result result;
    bool have_result;
    size_t occ_decline_pos;
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
}

static void clear_poll(struct mailbox *m)
{
    clear_current(m);
    for (size_t i = 0; i < m->n_candidates; i++) {
        free(m->candidates[i].id);
        free(m->candidates[i].change_key);
    }
    free(m->candidates);
    m->candidates = NULL;
    m->n_candidates = 0;
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
    bool auth = res->status == EWS_CALL_AUTH ||
                (res->status != EWS_CALL_TRANSPORT &&
                 ews_error_action(res->code) == EWS_ACTION_AUTH);
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
    if (res->backoff_ms > 0 && delay < res->backoff_ms / 1000.0)
        delay = res->backoff_ms / 1000.0;

    const char *reason = res->error ? res->error : ews_error_name(res->code);
    if (res->status == EWS_CALL_OK)
        reason = ews_error_name(res->code);
    log_warn("mailbox %s: %s failed: %s; retrying in %.1f s (failure %u)", m->name, what,
             reason, delay, n);
    end_poll(m, false);
    if (m->stopping) {
        finish(m, false);
        return;
    }
    if (m->env.once && (auth || n >= ONCE_MAX_ATTEMPTS)) {
        log_error("mailbox %s: giving up: %s", m->name, reason);
        finish(m, true);
        return;
    }
    schedule(m, delay);
}

static void poll_done(struct mailbox *m)
{
    bool acted = m->acted || m->again;
    bool failures = m->item_failures > 0;
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
    if (envelope == NULL || ews_call_take(m->env.http, &m->account, op, envelope, cb, m,
                                          &m->call) != 0) {
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
        if (it->id.id == NULL || done_before(m, it->id.id))
            continue;
        m->candidates = xreallocarray(m->candidates, m->n_candidates + 1,
                                      sizeof(*m->candidates));
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
    get_batch(m);
}

/* ---- fetching --------------------------------------------------------------------------- */

static void on_get(struct ews_call_result *res, void *userdata);

static void get_batch(struct mailbox *m)
{
    if (m->get_pos >= m->n_candidates) {
        next_item(m);
        return;
    }
    size_t n = m->n_candidates - m->get_pos;
    if (n > GET_BATCH_SIZE)
        n = GET_BATCH_SIZE;
    char *env = ews_build_get_item(&m->ctx, &m->candidates[m->get_pos], n,
                                   EWS_SHAPE_ALL_PROPERTIES, NULL, 0);
    m->get_pos += n;
    send_call(m, "GetItem", env, on_get);
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
            item_finished(m);
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

static void on_rewrite(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    if (!call_ok(res))
        log_warn("mailbox %s: rewriting the calendar item of \"%s\" failed: %s", m->name,
                 m->cur->subject ? m->cur->subject : "",
                 res->error ? res->error : ews_error_name(res->code));
    item_finished(m);
}

/* After booking, the resource's own calendar item is rewritten as the policy says (subject,
 * body, private flag). Only the mailbox's copy changes; nobody is notified. */
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
        changes[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_BODY, .text = ""};
    if (rw->make_public)
        changes[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_SENSITIVITY, .text = "Normal"};
    if (n == 0) {
        item_finished(m);
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
    m->call = NULL;
    if (!call_ok(res))
        log_warn("mailbox %s: declining an occurrence of \"%s\" failed: %s", m->name,
                 m->cur->subject ? m->cur->subject : "",
                 res->error ? res->error : ews_error_name(res->code));
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
    if (m->result.decision == POLICY_ACCEPT)
        decline_next_occurrence(m);
    else
        item_finished(m);
}

static void answer(struct mailbox *m)
{
    static const enum ews_respond_kind kinds[] = {
        [POLICY_ACCEPT] = EWS_ACCEPT,
        [POLICY_TENTATIVE] = EWS_TENTATIVE,
        [POLICY_DECLINE] = EWS_DECLINE,
    };
    const char *action = policy_decision_name(m->result.decision);
    if (m->result.decision == POLICY_IGNORE) {
        emit_decision(m, m->env.dry_run ? "dry-run" : "left alone");
        record(m, false, m->cur->id.id, action);
        item_finished(m);
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
            m->occurrences = xreallocarray(m->occurrences, m->n_occurrences + 1,
                                           sizeof(*m->occurrences));
            m->occurrences[m->n_occurrences++] =
                (struct policy_occurrence){copy->start, copy->end};
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
        time_t horizon = time(NULL) + (time_t)m->policy->booking_window_days * 86400;
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

static void on_verified(struct ews_call_result *res, void *userdata)
{
    struct mailbox *m = userdata;
    m->call = NULL;
    const char *id = m->cur->id.id;
    if (res->status == EWS_CALL_OK && res->code != EWS_OK &&
        ews_error_action(res->code) == EWS_ACTION_ITEM_GONE) {
        /* A declined meeting leaves no calendar item behind. */
        log_notice("mailbox %s: the answer to \"%s\" sent before a restart reached the server",
                   m->name, m->cur->subject ? m->cur->subject : "");
        record(m, false, id, ledger_action(m->ledger, id));
        item_finished(m);
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
        log_notice("mailbox %s: the answer to \"%s\" sent before a restart reached the server",
                   m->name, m->cur->subject ? m->cur->subject : "");
        record(m, false, id, ledger_action(m->ledger, id));
        item_finished(m);
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
        gather_context(m);
        return;
    }
    struct item_id id = {.id = m->cur->associated_calendar_item_id.id};
    send_call(m, "GetItem",
              ews_build_get_item(&m->ctx, &id, 1, EWS_SHAPE_DEFAULT, NULL, 0), on_verified);
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
        log_info("mailbox %s: dry run: would remove cancelled meeting \"%s\"", m->name,
                 subject);
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
              ews_build_respond(&m->ctx, EWS_REMOVE, &m->cur->id, NULL, EWS_SAVE_ONLY),
              on_removed);
}

static void handle_request(struct mailbox *m)
{
    if (m->cur->is_out_of_date) {
        log_info("mailbox %s: \"%s\" is out of date (a newer update exists); not answering it",
                 m->name, m->cur->subject ? m->cur->subject : "");
        record(m, false, m->cur->id.id, "superseded");
        item_finished(m);
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
    };
    m->ctx = (struct ews_context){
        .server_version = c->server.server_version,
        .impersonate_address = m->account.impersonate,
    };
    m->state = MB_BUSY;
    m->acted = false;
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

struct mailbox *mailbox_new(const struct mailbox_env *env, struct confref *conf,
                            const char *name, char *err, size_t errlen)
{
    const char *state_dir = conf->conf->daemon.state_dir;
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create state directory %s: %s", state_dir,
                 strerror(errno));
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
    schedule(m, m->env.once ? 0.0 : jitter(2.0, 1.0));
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

bool mailbox_is_busy(const struct mailbox *m)
{
    return m->state == MB_BUSY;
}

const struct mailbox_stats *mailbox_stats(const struct mailbox *m)
{
    return &m->stats;
}
