/*
 * mailbox_approval: requests held for a delegate's approval, after the Inbox of every poll
 * (see mailbox_int.h and README "Approval by the delegates").
 *
 * A request the policy holds is forwarded to the delegates (ForwardItem) and remembered in
 * the mailbox's approvals file. A forwarded meeting request keeps its organizer, so a
 * delegate's Accept or Decline of it goes to the organizer, not to the room: meetingd reads
 * it where it stays, in the delegate's own Sent Items (through the delegate's [mailbox], or
 * impersonation). The first answer found decides; the room then sends its own Accept or
 * Decline to the organizer, naming the delegate. A request nobody approved within
 * approval_timeout is declined, saying so. Before answering, the room's calendar item is read
 * again: a meeting cancelled or answered meanwhile (by a person, or a delegate acting as the
 * room) is settled without a word. The room's answer goes through the ledger (intent, done)
 * like every answer, so a crash between the two leads to that check, not to a second answer.
 *
 *   pass:  time-outs -> per delegate: FIND (Sent Items) -> FETCH -> ... -> per decided
 *          request: VERIFY -> ANSWER -> ... -> the poll is done
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approvals.h"
#include "group_cache.h"
#include "ledger.h"
#include "log.h"
#include "mailbox_int.h"

enum verdict_kind { V_NONE, V_APPROVE, V_REJECT, V_TIMEOUT };

struct verdict {
    enum verdict_kind kind;
    char *who; /* the delegate, as "Name <address>" */
};

struct approval_pass {
    struct held_request *held; /* a copy of the list at the start */
    struct verdict *verdicts;  /* one per held request */
    size_t n;
    struct strlist delegates; /* resource_delegates, groups replaced by their members */
    char *expanding;          /* a group among them being expanded */
    size_t delegate_pos;      /* next of them */
    char *delegate;           /* whose answers are being read */
    struct backend *delegate_backend;
    size_t answer_pos; /* next held request to settle */
};

void mailbox_approval_pass_free(struct approval_pass *pass)
{
    if (pass == NULL)
        return;
    for (size_t i = 0; i < pass->n; i++) {
        free(pass->held[i].request_id);
        free(pass->held[i].calendar_id);
        free(pass->held[i].uid);
        free(pass->verdicts[i].who);
    }
    free(pass->held);
    free(pass->verdicts);
    free(pass->delegate);
    strlist_free(&pass->delegates);
    free(pass->expanding);
    if (pass->delegate_backend)
        pass->delegate_backend->ops->free(pass->delegate_backend);
    free(pass);
}

/* The approvals file, opened when first needed; NULL (logged) when it cannot be. */
static struct approvals *approvals_of(struct mailbox *m)
{
    if (m->approvals != NULL)
        return m->approvals;
    char err[512];
    char *path = xasprintf("%s/%s.approvals", m->poll->conf->conf->daemon.state_dir, m->name);
    m->approvals = approvals_open(path, err, sizeof(err));
    if (m->approvals == NULL)
        log_error("mailbox %s: held requests cannot be read: %s", m->name, err);
    free(path);
    return m->approvals;
}

void mailbox_approval_hold(struct mailbox *m)
{
    const struct mailbox_work *w = m->poll->work;
    struct approvals *a = approvals_of(m);
    if (a == NULL)
        return;
    /* A tentative answer moved the request: its new id is the one to answer later. */
    const char *request_id = w->moved_request_id ? w->moved_request_id : w->item->id.id;
    struct held_request h = {
        .request_id = (char *)request_id,
        .calendar_id = (char *)mailbox_find_own_calendar_item(w),
        .uid = w->item->uid,
        .start = w->item->start,
        .end = w->item->end,
    };
    if (w->item->uid == NULL || approvals_hold(a, &h, util_now()) != 0)
        log_error("mailbox %s: the held request \"%s\" cannot be remembered: no delegate's "
                  "answer or time-out will settle it",
                  m->name, w->item->subject ? w->item->subject : "");
}

/* ---- the pass ----------------------------------------------------------------------------- */

static void gather_delegates(struct mailbox *m);
static void next_delegate(struct mailbox *m);
static void next_answer(struct mailbox *m);

static char *duration_text(unsigned s)
{
    if (s % 86400 == 0)
        return xasprintf("%u day%s", s / 86400, s == 86400 ? "" : "s");
    if (s % 3600 == 0)
        return xasprintf("%u hour%s", s / 3600, s == 3600 ? "" : "s");
    if (s % 60 == 0)
        return xasprintf("%u minute%s", s / 60, s == 60 ? "" : "s");
    return xasprintf("%u second%s", s, s == 1 ? "" : "s");
}

void mailbox_approval_pass(struct mailbox *m)
{
    struct approvals *a = m->stopping || m->env.dry_run ? NULL : approvals_of(m);
    size_t n = 0;
    const struct held_request *held = a ? approvals_list(a, &n) : NULL;
    if (n == 0) {
        mailbox_poll_done(m);
        return;
    }
    struct approval_pass *pass = xcalloc(1, sizeof(*pass));
    pass->held = xcalloc(n, sizeof(*pass->held));
    pass->verdicts = xcalloc(n, sizeof(*pass->verdicts));
    pass->n = n;
    for (size_t i = 0; i < n; i++)
        pass->held[i] = (struct held_request){
            .request_id = xstrdup(held[i].request_id),
            .calendar_id = held[i].calendar_id ? xstrdup(held[i].calendar_id) : NULL,
            .uid = xstrdup(held[i].uid),
            .start = held[i].start,
            .end = held[i].end,
            .held_at = held[i].held_at,
        };
    m->poll->approval = pass;
    gather_delegates(m);
}

/* The delegates as people: a group among them is expanded first (when the server says). */
static void gather_delegates(struct mailbox *m)
{
    struct approval_pass *pass = m->poll->approval;
    strlist_free(&pass->delegates);
    const char *group = NULL;
    if (mailbox_people_of(m, &m->poll->policy->resource_delegates, &pass->delegates))
        group = group_cache_next_wanted(m->env.groups, util_now());
    if (group == NULL || m->stopping) {
        next_delegate(m);
        return;
    }
    free(pass->expanding);
    pass->expanding = xstrdup(group);
    MAILBOX_SEND(m, STEP_APPROVAL_EXPAND, "ExpandDL (a delegate)", expand_group, pass->expanding);
}

void mailbox_after_approval_expand(struct mailbox *m, struct backend_result *r)
{
    group_cache_store(m->env.groups, m->poll->approval->expanding, r, util_now());
    if (r->status != BACKEND_OK && backend_throttled(r)) {
        mailbox_poll_fail(m, "ExpandDL (a delegate)", r);
        return;
    }
    gather_delegates(m);
}

static bool all_decided(const struct approval_pass *pass)
{
    for (size_t i = 0; i < pass->n; i++)
        if (pass->verdicts[i].kind == V_NONE)
            return false;
    return true;
}

/* A backend for the mailbox of delegate ADDRESS: its own [mailbox], else the [server]
 * account impersonating it; NULL when meetingd has no way in. */
static struct backend *open_delegate(struct mailbox *m, const char *address)
{
    const struct conf *conf = m->poll->conf->conf;
    for (size_t i = 0; i < conf->n_mailboxes; i++)
        if (util_str_casecmp_ascii(conf->mailboxes[i]->address, address) == 0)
            return m->env.open_backend(conf, conf->mailboxes[i], m->env.backend_userdata);
    if (!conf->server.impersonation ||
        (conf->server.username == NULL && conf->server.auth != CONF_AUTH_OAUTH2)) {
        log_debug("mailbox %s: the answers of delegate %s cannot be read (neither a [mailbox] "
                  "nor impersonation)",
                  m->name, address);
        return NULL;
    }
    struct conf_mailbox cm = {
        .name = (char *)address,
        .address = (char *)address,
        .access = CONF_ACCESS_IMPERSONATE,
        .login_username = conf->server.username,
        .login_password = conf->server.password,
    };
    return m->env.open_backend(conf, &cm, m->env.backend_userdata);
}

static void next_delegate(struct mailbox *m)
{
    struct approval_pass *pass = m->poll->approval;
    const struct strlist *delegates = &pass->delegates;
    if (pass->delegate_backend) {
        pass->delegate_backend->ops->free(pass->delegate_backend);
        pass->delegate_backend = NULL;
    }
    while (!m->stopping && pass->delegate_pos < delegates->n && !all_decided(pass)) {
        const char *address = delegates->v[pass->delegate_pos++];
        struct backend *be = open_delegate(m, address);
        if (be == NULL)
            continue;
        if (be->ops->find_sent_responses == NULL) {
            be->ops->free(be);
            continue;
        }
        free(pass->delegate);
        pass->delegate = xstrdup(address);
        pass->delegate_backend = be;
        if (mailbox_send_begin(m, STEP_APPROVAL_FIND))
            mailbox_send_end(
                m, "FindItem (a delegate's answers)",
                be->ops->find_sent_responses(be, mailbox_on_result, m, &m->poll->call));
        return;
    }
    /* A delegate's answer found in time wins over the time-out. */
    unsigned timeout = m->poll->policy->approval_timeout_s;
    time_t now = util_now();
    for (size_t i = 0; timeout > 0 && i < pass->n; i++)
        if (pass->verdicts[i].kind == V_NONE && now - pass->held[i].held_at >= (time_t)timeout)
            pass->verdicts[i].kind = V_TIMEOUT;
    next_answer(m);
}

/* A failed read of a delegate's mailbox: that delegate is skipped this time. */
static bool delegate_read_ok(struct mailbox *m, const struct backend_result *r, const char *what)
{
    if (r->status == BACKEND_OK)
        return true;
    log_warn("mailbox %s: %s of delegate %s failed: %s", m->name, what, m->poll->approval->delegate,
             mailbox_reason(r));
    return false;
}

void mailbox_after_approval_find(struct mailbox *m, struct backend_result *r)
{
    struct approval_pass *pass = m->poll->approval;
    if (!delegate_read_ok(m, r, "reading the answers") || r->n_items == 0) {
        next_delegate(m);
        return;
    }
    struct item_id *ids = xcalloc(r->n_items, sizeof(*ids));
    for (size_t i = 0; i < r->n_items; i++)
        ids[i] = r->items[i].id;
    struct backend *be = pass->delegate_backend;
    if (mailbox_send_begin(m, STEP_APPROVAL_FETCH))
        mailbox_send_end(m, "GetItem (a delegate's answers)",
                         be->ops->fetch(be, ids, r->n_items, mailbox_on_result, m, &m->poll->call));
    free(ids);
}

static char *who_of(const struct item *response, const char *delegate)
{
    const struct item_mailbox *from = response->from.address ? &response->from : &response->sender;
    const char *address = from->address ? from->address : delegate;
    if (from->name && *from->name)
        return xasprintf("%s <%s>", from->name, address);
    return xstrdup(address);
}

void mailbox_after_approval_fetch(struct mailbox *m, struct backend_result *r)
{
    struct approval_pass *pass = m->poll->approval;
    if (!delegate_read_ok(m, r, "reading the answers")) {
        next_delegate(m);
        return;
    }
    /* Newest first: the delegate's last word on a meeting is the one that counts. */
    for (size_t k = 0; k < r->n_items; k++) {
        const struct item *it = &r->items[k];
        const char *cls = it->item_class ? it->item_class : "";
        enum verdict_kind kind = it->response_type == RESPONSE_ACCEPT ||
                                         strcmp(cls, "IPM.Schedule.Meeting.Resp.Pos") == 0
                                     ? V_APPROVE
                                 : it->response_type == RESPONSE_DECLINE ||
                                         strcmp(cls, "IPM.Schedule.Meeting.Resp.Neg") == 0
                                     ? V_REJECT
                                     : V_NONE;
        if (it->kind != ITEM_MEETING_RESPONSE || it->uid == NULL || kind == V_NONE)
            continue;
        for (size_t i = 0; i < pass->n; i++) {
            struct verdict *v = &pass->verdicts[i];
            if (v->kind != V_NONE || strcmp(pass->held[i].uid, it->uid) != 0)
                continue;
            v->kind = kind;
            v->who = who_of(it, pass->delegate);
        }
    }
    next_delegate(m);
}

/* ---- settling ----------------------------------------------------------------------------- */

static char *ledger_key(const struct held_request *h)
{
    return xasprintf("approval/%s", h->request_id);
}

static void settle(struct mailbox *m, size_t i, const char *how)
{
    const struct held_request *h = &m->poll->approval->held[i];
    if (approvals_settle(m->approvals, h->request_id, how, util_now()) != 0)
        log_error("mailbox %s: settling the held request %s as %s could not be recorded", m->name,
                  h->uid, how);
}

/* The room's words to the organizer for verdict V (caller frees). */
static char *answer_text(const struct mailbox *m, const struct verdict *v)
{
    if (v->kind == V_TIMEOUT) {
        char *d = duration_text(m->poll->policy->approval_timeout_s);
        char *text =
            xasprintf("Declined: no delegate of the room approved this request within %s.", d);
        free(d);
        return text;
    }
    return xasprintf(v->kind == V_APPROVE ? "Approved by %s, a delegate of the room."
                                          : "Declined by %s, a delegate of the room.",
                     v->who);
}

/* The decision record's line for the room's answer to held request H (OUTCOME as for any
 * answer: "sent", "not sent: ...", "failed: ...", "unknown: ..."; SETTLES: it settles an
 * earlier answer whose outcome was unknown). The held record keeps no subject or organizer:
 * the request's own line, written when it was held, has them under the same UID. */
static void record_answer(struct mailbox *m, const struct held_request *h, const struct verdict *v,
                          const char *outcome, bool settles)
{
    if (m->env.on_decision == NULL)
        return;
    char *text = answer_text(m, v);
    struct item request = {
        .id = {.id = h->request_id}, .uid = h->uid, .start = h->start, .end = h->end};
    struct policy_check check = {
        .name = (char *)"approval", .outcome = POLICY_CHECK_INFO, .reason = text};
    struct policy_result result = {.decision =
                                       v->kind == V_APPROVE ? POLICY_ACCEPT : POLICY_DECLINE,
                                   .response_text = text,
                                   .checks = &check,
                                   .n_checks = 1};
    struct policy_event d = {.mailbox = m->name,
                             .address = m->poll->cm->address,
                             .request = &request,
                             .result = &result,
                             .outcome = outcome,
                             .settles = settles};
    m->env.on_decision(&d, m->env.userdata);
    free(text);
}

static void answer_held(struct mailbox *m, size_t i)
{
    struct approval_pass *pass = m->poll->approval;
    const struct held_request *h = &pass->held[i];
    const struct verdict *v = &pass->verdicts[i];
    char *key = ledger_key(h);
    if (ledger_state(m->ledger, key) == LEDGER_INTENT && h->calendar_id == NULL) {
        log_warn("mailbox %s: cannot confirm whether an earlier answer to the held request %s "
                 "reached the server; leaving it rather than risk a second answer",
                 m->name, h->uid);
        settle(m, i, "unconfirmed");
        free(key);
        next_answer(m);
        return;
    }
    const char *action = v->kind == V_APPROVE ? "accept" : "decline";
    if (ledger_intent(m->ledger, key, action) != 0) {
        log_error("mailbox %s: the answer to the held request %s cannot be recorded; not sent",
                  m->name, h->uid);
        m->poll->item_failures++;
        free(key);
        next_answer(m);
        return;
    }
    free(key);
    char *text = answer_text(m, v);
    struct item_id ref = {.id = h->calendar_id ? h->calendar_id : h->request_id};
    struct backend_answer a = {v->kind == V_APPROVE ? BACKEND_ACCEPT : BACKEND_DECLINE, &ref, text};
    MAILBOX_SEND(m, STEP_APPROVAL_ANSWER, "CreateItem (the room's answer after approval)", respond,
                 &a, 1);
    free(text);
}

static void next_answer(struct mailbox *m)
{
    struct approval_pass *pass = m->poll->approval;
    while (!m->stopping && pass->answer_pos < pass->n) {
        size_t i = pass->answer_pos++;
        if (pass->verdicts[i].kind == V_NONE)
            continue;
        const struct held_request *h = &pass->held[i];
        if (h->calendar_id == NULL && h->start > 0 && h->end > h->start) {
            /* No link to the room's item when it was held (a server that puts requests on
             * the calendar only when answered): found by its UID now. */
            MAILBOX_SEND(m, STEP_APPROVAL_LOOKUP, "FindItem (a held request)", calendar_view,
                         h->start, h->end);
            return;
        }
        if (h->calendar_id == NULL) {
            answer_held(m, i);
            return;
        }
        MAILBOX_SEND(m, STEP_APPROVAL_VERIFY, "GetItem (a held request)", verify,
                     pass->held[i].calendar_id);
        return;
    }
    mailbox_poll_done(m);
}

static const char *const hows[] = {
    [V_APPROVE] = "approved", [V_REJECT] = "rejected", [V_TIMEOUT] = "timeout"};

/* The room's calendar item shows RESP (or is gone): the answer of an earlier intent of ours
 * that it shows reached the server; it is finished as recorded. Returns whether it was. */
static bool earlier_answer_arrived(struct mailbox *m, size_t i, enum item_response resp, bool gone)
{
    const struct approval_pass *pass = m->poll->approval;
    char *key = ledger_key(&pass->held[i]);
    const char *action =
        ledger_state(m->ledger, key) == LEDGER_INTENT ? ledger_action(m->ledger, key) : NULL;
    bool arrived =
        action != NULL && (strcmp(action, "decline") == 0 ? gone || resp == RESPONSE_DECLINE
                                                          : !gone && resp == RESPONSE_ACCEPT);
    if (arrived) {
        log_notice("mailbox %s: an earlier answer to the held request %s whose outcome was "
                   "unknown reached the server",
                   m->name, pass->held[i].uid);
        record_answer(m, &pass->held[i], &pass->verdicts[i], "sent", true);
        ledger_done(m->ledger, key, action);
        settle(m, i, hows[pass->verdicts[i].kind]);
    }
    free(key);
    return arrived;
}

/* The room's item for held request I as read now (GONE: there is none): settles what is
 * settled, else answers. */
static void judge(struct mailbox *m, size_t i, bool gone, enum item_response resp)
{
    const char *uid = m->poll->approval->held[i].uid;
    if (earlier_answer_arrived(m, i, resp, gone)) {
        next_answer(m);
        return;
    }
    if (gone) {
        log_notice("mailbox %s: the held request %s is gone (cancelled or deleted)", m->name, uid);
        settle(m, i, "gone");
        next_answer(m);
        return;
    }
    if (resp == RESPONSE_ACCEPT || resp == RESPONSE_DECLINE) {
        log_notice("mailbox %s: the held request %s was answered meanwhile; leaving it", m->name,
                   uid);
        settle(m, i, "answered-elsewhere");
        next_answer(m);
        return;
    }
    answer_held(m, i);
}

/* A failed read of the room's item: the held request waits for the next poll. */
static bool room_read_ok(struct mailbox *m, const struct backend_result *r, const char *what)
{
    if (r->status == BACKEND_OK)
        return true;
    if (backend_throttled(r) || backend_request_failed(r->status)) {
        mailbox_poll_fail(m, what, r);
        return false;
    }
    log_warn("mailbox %s: %s failed: %s", m->name, what, mailbox_reason(r));
    next_answer(m);
    return false;
}

void mailbox_after_approval_verify(struct mailbox *m, struct backend_result *r)
{
    size_t i = m->poll->approval->answer_pos - 1;
    if (r->status == BACKEND_ITEM_GONE) {
        judge(m, i, true, RESPONSE_UNKNOWN);
        return;
    }
    if (!room_read_ok(m, r, "GetItem (a held request)"))
        return;
    if (r->n_items != 1) {
        log_warn("mailbox %s: reading the held request %s gave no item", m->name,
                 m->poll->approval->held[i].uid);
        next_answer(m);
        return;
    }
    judge(m, i, false, r->items[0].my_response);
}

void mailbox_after_approval_lookup(struct mailbox *m, struct backend_result *r)
{
    struct approval_pass *pass = m->poll->approval;
    size_t i = pass->answer_pos - 1;
    struct held_request *h = &pass->held[i];
    if (!room_read_ok(m, r, "FindItem (a held request)"))
        return;
    for (size_t k = 0; k < r->n_items; k++) {
        const struct item *c = &r->items[k];
        if (c->id.id == NULL || c->uid == NULL || strcmp(c->uid, h->uid) != 0)
            continue;
        /* An occurrence speaks for its series, but is not what is answered: the request is. */
        if (c->calendar_item_type != CAL_OCCURRENCE && c->calendar_item_type != CAL_EXCEPTION)
            h->calendar_id = xstrdup(c->id.id);
        judge(m, i, false, c->my_response);
        return;
    }
    /* Nothing on the calendar: the request itself is answered (a server that puts it there
     * only then), or found gone. */
    answer_held(m, i);
}

void mailbox_after_approval_answer(struct mailbox *m, struct backend_result *r)
{
    struct approval_pass *pass = m->poll->approval;
    size_t i = pass->answer_pos - 1;
    const struct held_request *h = &pass->held[i];
    const struct verdict *v = &pass->verdicts[i];
    char *key = ledger_key(h);
    if (r->status == BACKEND_OK || r->status == BACKEND_ITEM_GONE) {
        bool sent = r->status == BACKEND_OK;
        record_answer(m, h, v, sent ? "sent" : "not sent: the request is gone", false);
        ledger_done(m->ledger, key, sent ? (v->kind == V_APPROVE ? "accept" : "decline") : "gone");
        settle(m, i, sent ? hows[v->kind] : "gone");
        if (sent) {
            m->poll->acted = true;
            m->stats.answered++;
            log_info("mailbox %s: held request %s %s%s", m->name, h->uid,
                     v->kind == V_APPROVE  ? "accepted, approved by "
                     : v->kind == V_REJECT ? "declined, rejected by "
                                           : "declined: not approved in time",
                     v->who ? v->who : "");
        }
        free(key);
        next_answer(m);
        return;
    }
    free(key);
    char *outcome = xasprintf("%s: %s", r->fate_unknown ? "unknown" : "failed", mailbox_reason(r));
    record_answer(m, h, v, outcome, false);
    free(outcome);
    if (backend_request_failed(r->status)) {
        mailbox_poll_fail(m, "CreateItem (the room's answer after approval)", r);
        return;
    }
    /* Refused for this item: the intent stays, the next poll checks and tries again. */
    m->poll->item_failures++;
    log_warn("mailbox %s: answering the held request %s failed: %s", m->name, h->uid,
             mailbox_reason(r));
    next_answer(m);
}
