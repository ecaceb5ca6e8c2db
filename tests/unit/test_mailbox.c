/*
 * Unit tests of mailbox through a fake backend (no HTTP): a small in-memory server with an
 * Inbox and a calendar that answers the backend operations, can be told to fail any
 * operation with any status, and logs every request. The mailbox runs on a real libev loop
 * with a real configuration and ledger in a temporary directory; back-off delays are
 * compressed to milliseconds through the backoff options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "backoff.h"
#include "conf.h"
#include "confref.h"
#include "ledger.h"
#include "log.h"
#include "mailbox.h"
#include "util.h"

#define T0 ((time_t)1796292000) /* 2026-12-03T10:00:00Z */

/* ---- the fake server -------------------------------------------------------------------- */

struct message {
    const char *id;
    enum item_kind kind;
    const char *subject;
    const char *calendar_id; /* the attendee's calendar item (AssociatedCalendarItemId) */
    bool gone;               /* moved out of the Inbox */
};

struct calendar_entry {
    const char *id;
    const char *message; /* the request it came with: its UID is "uid-MESSAGE" */
    enum item_response response;
    bool gone;
};

struct fault {
    const char *op; /* the operation it strikes */
    enum backend_status status;
    unsigned retry_ms;
    unsigned times; /* how many requests it strikes */
};

struct world {
    struct ev_loop *loop;
    struct message inbox[8];
    size_t n_inbox;
    struct calendar_entry calendar[8];
    size_t n_calendar;
    struct fault faults[4];
    size_t n_faults;
    char log[4096]; /* "op arg; op arg; ..." */
    unsigned requests;
    const char *stop_on;      /* mailbox_stop() when this operation is requested */
    struct mailbox *stop_who; /* ... of this mailbox */
    unsigned answers;         /* answers that reached the server */
};

struct fake_backend {
    struct backend head;
    struct world *world;
};

struct backend_call {
    ev_timer timer; /* delivers the result from the loop, as a real server would */
    struct world *world;
    struct backend_result result;
    backend_cb cb;
    void *ud;
};

static void note(struct world *w, const char *op, const char *arg)
{
    size_t len = strlen(w->log);
    snprintf(w->log + len, sizeof(w->log) - len, "%s%s%s%s", len ? "; " : "", op, arg ? " " : "",
             arg ? arg : "");
    w->requests++;
}

static void on_deliver(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct backend_call *call = t->data;
    call->cb(&call->result, call->ud);
    backend_result_clear(&call->result);
    free(call);
}

/* A request: logged, struck by a fault if one is set for OP, else answered by FILL. */
static struct backend_call *request(struct fake_backend *fb, const char *op, const char *arg,
                                    backend_cb cb, void *ud, struct backend_call **out)
{
    struct world *w = fb->world;
    note(w, op, arg);
    struct backend_call *call = xcalloc(1, sizeof(*call));
    call->world = w;
    call->cb = cb;
    call->ud = ud;
    for (size_t i = 0; i < w->n_faults; i++) {
        struct fault *f = &w->faults[i];
        if (f->times > 0 && strcmp(f->op, op) == 0) {
            f->times--;
            call->result.status = f->status;
            call->result.retry_ms = f->retry_ms;
            call->result.error = backend_status_name(f->status);
            break;
        }
    }
    ev_timer_init(&call->timer, on_deliver, 0.0, 0.0);
    call->timer.data = call;
    ev_timer_start(w->loop, &call->timer);
    *out = call;
    if (w->stop_on && strcmp(w->stop_on, op) == 0)
        mailbox_stop(w->stop_who);
    return call->result.status == BACKEND_OK ? call : NULL; /* NULL: struck, nothing to do */
}

static struct message *message_of(struct world *w, const char *id)
{
    for (size_t i = 0; i < w->n_inbox; i++)
        if (strcmp(w->inbox[i].id, id) == 0)
            return &w->inbox[i];
    return NULL;
}

static struct calendar_entry *calendar_of(struct world *w, const char *id)
{
    for (size_t i = 0; id && i < w->n_calendar; i++)
        if (strcmp(w->calendar[i].id, id) == 0)
            return &w->calendar[i];
    return NULL;
}

static struct item *add_item(struct backend_result *r)
{
    r->items = xreallocarray(r->items, r->n_items + 1, sizeof(*r->items));
    struct item *it = &r->items[r->n_items++];
    item_init(it);
    return it;
}

static void fill_message(struct item *it, const struct message *msg)
{
    it->kind = msg->kind;
    it->id.id = xstrdup(msg->id);
    it->subject = xstrdup(msg->subject);
    it->uid = xasprintf("uid-%s", msg->id);
    it->start = T0 + 86400;
    it->end = T0 + 86400 + 3600;
    it->organizer.address = xstrdup("organizer@example.com");
    if (msg->calendar_id)
        it->associated_calendar_item_id.id = xstrdup(msg->calendar_id);
}

static int fake_find(struct backend *b, size_t offset, backend_cb cb, void *ud,
                     struct backend_call **out)
{
    struct fake_backend *fb = (struct fake_backend *)b;
    struct backend_call *call = request(fb, "find", NULL, cb, ud, out);
    for (size_t i = 0; call && i < fb->world->n_inbox; i++) {
        const struct message *msg = &fb->world->inbox[i];
        if (msg->gone)
            continue;
        struct item *it = add_item(&call->result);
        it->kind = msg->kind;
        it->id.id = xstrdup(msg->id);
    }
    return 0;
}

static int fake_fetch(struct backend *b, const struct item_id *ids, size_t n, backend_cb cb,
                      void *ud, struct backend_call **out)
{
    struct fake_backend *fb = (struct fake_backend *)b;
    struct backend_call *call = request(fb, "fetch", ids[0].id, cb, ud, out);
    for (size_t i = 0; call && i < n; i++) {
        const struct message *msg = message_of(fb->world, ids[i].id);
        if (msg && !msg->gone)
            fill_message(add_item(&call->result), msg);
    }
    return 0;
}

static int fake_calendar_view(struct backend *b, time_t start, time_t end, backend_cb cb, void *ud,
                              struct backend_call **out)
{
    struct fake_backend *fb = (struct fake_backend *)b;
    struct backend_call *call = request(fb, "calendar_view", NULL, cb, ud, out);
    for (size_t i = 0; call && i < fb->world->n_calendar; i++) {
        const struct calendar_entry *c = &fb->world->calendar[i];
        if (c->gone)
            continue;
        struct item *it = add_item(&call->result);
        it->kind = ITEM_CALENDAR;
        it->id.id = xstrdup(c->id);
        it->uid = xasprintf("uid-%s", c->message);
        it->start = T0 + 86400;
        it->end = T0 + 86400 + 3600;
        it->my_response = c->response;
    }
    return 0;
}

static int fake_verify(struct backend *b, const char *id, backend_cb cb, void *ud,
                       struct backend_call **out)
{
    struct fake_backend *fb = (struct fake_backend *)b;
    struct backend_call *call = request(fb, "verify", id, cb, ud, out);
    const struct calendar_entry *c = calendar_of(fb->world, id);
    if (call && (c == NULL || c->gone)) {
        call->result.status = BACKEND_ITEM_GONE;
        call->result.error = "ItemNotFound";
    } else if (call) {
        struct item *it = add_item(&call->result);
        it->kind = ITEM_CALENDAR;
        it->id.id = xstrdup(id);
        it->my_response = c->response;
    }
    return 0;
}

/* The answer reaches the server: as Exchange, the request leaves the Inbox, the calendar
 * shows it. */
static void answer_arrives(struct world *w, const struct backend_answer *a)
{
    struct message *msg = message_of(w, a->ref->id);
    if (msg == NULL)
        return;
    msg->gone = true;
    w->answers++;
    struct calendar_entry *c = calendar_of(w, msg->calendar_id);
    if (c)
        c->response = a->kind == BACKEND_ACCEPT ? RESPONSE_ACCEPT : RESPONSE_DECLINE;
}

/* N answers in one request, logged "respond KIND ID[, KIND ID...]". A fault of one item
 * (item gone, refused, out of date) strikes the first answer only, as a server answering
 * item by item does; any other fails the whole request. */
static int fake_respond(struct backend *b, const struct backend_answer *answers, size_t n,
                        backend_cb cb, void *ud, struct backend_call **out)
{
    static const char *const names[] = {"accept", "tentative", "decline", "remove"};
    struct fake_backend *fb = (struct fake_backend *)b;
    char *arg = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *more =
            xasprintf("%s%s%s %s", arg, i ? ", " : "", names[answers[i].kind], answers[i].ref->id);
        free(arg);
        arg = more;
    }
    struct backend_call *call = request(fb, "respond", arg, cb, ud, out);
    free(arg);
    struct backend_result *r = &(*out)->result;
    if (call == NULL && (backend_request_failed(r->status) || n == 1))
        return 0;
    r->item_status = xcalloc(n, sizeof(*r->item_status));
    r->moved_ids = xcalloc(n, sizeof(*r->moved_ids));
    r->n_item_status = n;
    r->item_status[0] = r->status;
    for (size_t i = call == NULL ? 1 : 0; i < n; i++)
        answer_arrives(fb->world, &answers[i]);
    return 0;
}

static int fake_rewrite(struct backend *b, const char *id, const struct backend_rewrite *rw,
                        backend_cb cb, void *ud, struct backend_call **out)
{
    request((struct fake_backend *)b, "rewrite", id, cb, ud, out);
    return 0;
}

static int fake_list_attachments(struct backend *b, const char *id, backend_cb cb, void *ud,
                                 struct backend_call **out)
{
    request((struct fake_backend *)b, "list_attachments", id, cb, ud, out);
    return 0;
}

static int fake_delete_attachments(struct backend *b, const struct item_id *ids, size_t n,
                                   backend_cb cb, void *ud, struct backend_call **out)
{
    request((struct fake_backend *)b, "delete_attachments", NULL, cb, ud, out);
    return 0;
}

static int fake_forward(struct backend *b, const char *id, const char *const *to, size_t n_to,
                        const char *note_text, backend_cb cb, void *ud, struct backend_call **out)
{
    request((struct fake_backend *)b, "forward", id, cb, ud, out);
    return 0;
}

static int fake_remove(struct backend *b, const struct item_id *ids, size_t n, backend_cb cb,
                       void *ud, struct backend_call **out)
{
    struct fake_backend *fb = (struct fake_backend *)b;
    struct backend_call *call = request(fb, "remove", ids[0].id, cb, ud, out);
    for (size_t i = 0; call && i < n; i++) {
        struct message *msg = message_of(fb->world, ids[i].id);
        if (msg)
            msg->gone = true;
        call->result.n_done++;
    }
    return 0;
}

static void fake_cancel(struct backend_call *call)
{
    ev_timer_stop(call->world->loop, &call->timer);
    backend_result_clear(&call->result);
    free(call);
}

static void fake_free(struct backend *b)
{
    backend_head_clear(b);
    free(b);
}

static const struct backend_ops fake_ops = {
    .find = fake_find,
    .fetch = fake_fetch,
    .calendar_view = fake_calendar_view,
    .verify = fake_verify,
    .respond = fake_respond,
    .rewrite = fake_rewrite,
    .list_attachments = fake_list_attachments,
    .delete_attachments = fake_delete_attachments,
    .forward = fake_forward,
    .remove = fake_remove,
    .cancel = fake_cancel,
    .free = fake_free,
};

/* mailbox_env.open_backend: keys as the EWS backend names them, from the login. */
static struct backend *open_fake(const struct conf *conf, const struct conf_mailbox *cm,
                                 void *userdata)
{
    struct fake_backend *fb = xcalloc(1, sizeof(*fb));
    fb->head.ops = &fake_ops;
    fb->world = userdata;
    fb->head.keys[BACKEND_SCOPE_SERVER] = xasprintf("server %s", conf->server.url);
    fb->head.keys[BACKEND_SCOPE_BUDGET] = xasprintf("budget %s", cm->login_username);
    fb->head.keys[BACKEND_SCOPE_CREDENTIALS] = xasprintf("credentials %s", cm->login_username);
    fb->head.credentials_name = xasprintf("%s (Basic)", cm->login_username);
    return &fb->head;
}

/* ---- the test bed ----------------------------------------------------------------------- */

struct bed {
    char dir[PATH_MAX];
    struct world world;
    struct confref *conf;
    struct backoff *backoff;
    struct mailbox *mb[2];
    size_t n_mb;
    unsigned finished, failed;
    char outcomes[512]; /* the decisions' outcomes in order */
    bool break_on_poll;
};

static void on_decision(const struct policy_event *d, void *userdata)
{
    struct bed *bed = userdata;
    size_t len = strlen(bed->outcomes);
    snprintf(bed->outcomes + len, sizeof(bed->outcomes) - len, "%s%s:%s", len ? "; " : "",
             d->request->id.id, d->outcome);
}

static void on_finished(struct mailbox *m, bool failed, void *userdata)
{
    struct bed *bed = userdata;
    bed->finished++;
    bed->failed += failed;
    if (bed->finished >= bed->n_mb)
        ev_break(bed->world.loop, EVBREAK_ALL);
}

static void on_poll(struct mailbox *m, bool ok, void *userdata)
{
    struct bed *bed = userdata;
    if (bed->break_on_poll)
        ev_break(bed->world.loop, EVBREAK_ALL);
}

static char *write_file(const struct bed *bed, const char *name, const char *text, mode_t mode)
{
    char *path = xasprintf("%s/%s", bed->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

/* Two mailboxes: room (policy accepting everything) and desk; LOGIN2 is desk's login. */
static struct bed *bed_new(const char *policy_keys, const char *login2)
{
    struct bed *bed = xcalloc(1, sizeof(*bed));
    const char *base = getenv("TMPDIR");
    snprintf(bed->dir, sizeof(bed->dir), "%s/test_mailbox.XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(bed->dir));
    char *pw = write_file(bed, "pw", "secret\n", 0600);
    char *text = xasprintf("[server]\nurl = https://ex.example.com/EWS/Exchange.asmx\n"
                           "[daemon]\nstate_dir = %s/state\n"
                           "[policy p]\n%s\n"
                           "[mailbox room]\naddress = room@example.com\npolicy = p\n"
                           "username = room@example.com\npassword_file = %s\n"
                           "[mailbox desk]\naddress = desk@example.com\npolicy = p\n"
                           "username = %s\npassword_file = %s\n",
                           bed->dir, policy_keys, pw, login2, pw);
    char *path = write_file(bed, "meetingd.conf", text, 0644);
    struct conf_error err;
    struct conf *c = conf_load(path, &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    bed->conf = confref_new_take(c);
    free(text);
    free(path);
    free(pw);
    bed->world.loop = ev_loop_new(EVFLAG_AUTO);
    struct backoff_options o;
    backoff_options_default(&o, true);
    o.base_s = o.long_min_s = o.credentials_base_s = o.recheck_s = 0.001;
    o.jitter = 0.0;
    bed->backoff = backoff_new(&o);
    return bed;
}

static struct mailbox *bed_mailbox(struct bed *bed, const char *name, bool once, bool dry_run)
{
    struct mailbox_env env = {
        .loop = bed->world.loop,
        .open_backend = open_fake,
        .backend_userdata = &bed->world,
        .backoff = bed->backoff,
        .dry_run = dry_run,
        .once = once,
        .on_decision = on_decision,
        .on_finished = on_finished,
        .on_poll = on_poll,
        .userdata = bed,
    };
    char err[256];
    struct mailbox *m = mailbox_new(&env, bed->conf, name, err, sizeof(err));
    if (m == NULL)
        fail_msg("%s", err);
    bed->mb[bed->n_mb++] = m;
    return m;
}

/* Runs MAILBOX in --once mode until it finished. */
static void bed_once(struct bed *bed, struct mailbox *m)
{
    mailbox_start(m);
    ev_run(bed->world.loop, 0);
}

static void bed_free(struct bed *bed)
{
    for (size_t i = 0; i < bed->n_mb; i++)
        mailbox_free(bed->mb[i]);
    backoff_free(bed->backoff);
    confref_put(bed->conf);
    ev_loop_destroy(bed->world.loop);
    char *cmd = xasprintf("rm -rf '%s'", bed->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(bed);
}

static void add_message(struct bed *bed, const char *id, enum item_kind kind, const char *cal)
{
    bed->world.inbox[bed->world.n_inbox++] =
        (struct message){.id = id, .kind = kind, .subject = id, .calendar_id = cal};
    if (cal)
        bed->world.calendar[bed->world.n_calendar++] = (struct calendar_entry){
            .id = cal, .message = id, .response = RESPONSE_NO_RESPONSE_RECEIVED};
}

static void add_fault(struct bed *bed, const char *op, enum backend_status status,
                      unsigned retry_ms, unsigned times)
{
    bed->world.faults[bed->world.n_faults++] = (struct fault){op, status, retry_ms, times};
}

/* What the ledger of mailbox NAME says about ID: "intent:ACTION", "done:ACTION" or "-". */
static char *ledger_says(const struct bed *bed, const char *name, const char *id)
{
    char err[256];
    char *path = xasprintf("%s/state/%s.ledger", bed->dir, name);
    struct ledger *l = ledger_open(path, err, sizeof(err));
    free(path);
    assert_non_null(l);
    enum ledger_state st = ledger_state(l, id);
    const char *action = ledger_action(l, id);
    char *s = st == LEDGER_DONE     ? xasprintf("done:%s", action)
              : st == LEDGER_INTENT ? xasprintf("intent:%s", action)
                                    : xstrdup("-");
    ledger_close(l);
    return s;
}

static void assert_ledger(const struct bed *bed, const char *name, const char *id, const char *want)
{
    char *got = ledger_says(bed, name, id);
    if (strcmp(got, want) != 0)
        fail_msg("ledger of %s for %s: %s, want %s", name, id, got, want);
    free(got);
}

/* A crash between intent and outcome: the ledger holds an intent only. */
static void leave_intent(struct bed *bed, const char *name, const char *id, const char *action)
{
    char err[256];
    char *state = xasprintf("%s/state", bed->dir);
    mkdir(state, 0700);
    char *path = xasprintf("%s/%s.ledger", state, name);
    struct ledger *l = ledger_open(path, err, sizeof(err));
    assert_non_null(l);
    assert_int_equal(ledger_intent(l, id, action), 0);
    ledger_close(l);
    free(path);
    free(state);
}

static const char *const ACCEPT_ALL = "automate = accept\nremove_canceled_meetings = yes";

/* ---- success and dry run ---------------------------------------------------------------- */

static void test_success(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_message(bed, "cancel1", ITEM_MEETING_CANCELLATION, NULL);
    add_message(bed, "resp1", ITEM_MEETING_RESPONSE, NULL);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    /* A second pass (the first acted) finds only the response, the organizer's business. */
    assert_string_equal(bed->world.log, "find; fetch req1; calendar_view; respond accept req1; "
                                        "respond remove cancel1; find; fetch resp1");
    assert_string_equal(bed->outcomes, "req1:sent; cancel1:removed");
    assert_ledger(bed, "room", "req1", "done:accept");
    assert_ledger(bed, "room", "cancel1", "done:remove");
    assert_ledger(bed, "room", "resp1", "-");
    assert_int_equal(mailbox_stats(m)->answered, 1);
    assert_int_equal(mailbox_stats(m)->removed, 1);
    assert_int_equal(mailbox_stats(m)->requests, bed->world.requests);
    bed_free(bed);
}

static void test_dry_run(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_message(bed, "cancel1", ITEM_MEETING_CANCELLATION, NULL);
    struct mailbox *m = bed_mailbox(bed, "room", true, true);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    /* Decided and logged, nothing changed, the ledger untouched; one pass. */
    assert_string_equal(bed->world.log, "find; fetch req1; calendar_view");
    assert_string_equal(bed->outcomes, "req1:dry-run; cancel1:dry-run");
    assert_ledger(bed, "room", "req1", "-");
    assert_ledger(bed, "room", "cancel1", "-");
    bed_free(bed);
}

/* ---- error classes ---------------------------------------------------------------------- */

static void test_server_busy_backs_off_and_retries(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "respond", BACKEND_BUSY, 5, 1);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    /* The refused answer is checked (intent without outcome), then sent once. */
    assert_string_equal(bed->world.log,
                        "find; fetch req1; calendar_view; respond accept req1; "
                        "find; fetch req1; verify cal1; calendar_view; respond accept req1; "
                        "find");
    assert_int_equal(bed->world.answers, 1);
    assert_ledger(bed, "room", "req1", "done:accept");
    assert_int_equal(mailbox_stats(m)->failed_polls, 1);
    /* The success cleared the budget's pause. */
    assert_float_equal(backoff_wait(bed->backoff, "budget room@example.com", 0.0), 0.0, 1e-9);
    bed_free(bed);
}

/* ErrorServerBusy is charged to the login: a mailbox with the same login waits too, one with
 * another login does not. */
static void test_busy_pause_is_shared_by_the_login(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "room@example.com"); /* desk logs in as room */
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "find", BACKEND_BUSY, 3600000, 1);
    struct mailbox *room = bed_mailbox(bed, "room", true, false);
    bed->break_on_poll = true;
    mailbox_start(room);
    ev_run(bed->world.loop, 0); /* until room's poll failed */
    assert_string_equal(bed->world.log, "find");
    double now = ev_now(bed->world.loop);
    assert_true(backoff_wait(bed->backoff, "budget room@example.com", now) > 3000.0);
    assert_float_equal(backoff_wait(bed->backoff, "budget other@example.com", now), 0.0, 1e-9);
    /* desk (same login) starts and sends nothing while the pause lasts. */
    struct mailbox *desk = bed_mailbox(bed, "desk", true, false);
    mailbox_start(desk);
    for (int i = 0; i < 20; i++)
        ev_run(bed->world.loop, EVRUN_NOWAIT);
    assert_string_equal(bed->world.log, "find");
    assert_false(mailbox_is_busy(desk));
    bed_free(bed);
}

static void test_transport_failure_retries(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "fetch", BACKEND_TRANSPORT, 0, 2);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_string_equal(bed->world.log, "find; fetch req1; find; fetch req1; find; fetch req1; "
                                        "calendar_view; respond accept req1; find");
    assert_int_equal(mailbox_stats(m)->failed_polls, 2);
    assert_float_equal(backoff_wait(bed->backoff, "server https://ex.example.com/EWS/Exchange.asmx",
                                    ev_now(bed->world.loop)),
                       0.0, 1e-9);
    bed_free(bed);
}

/* --once gives up after ONCE_MAX_ATTEMPTS failed polls in a row, without an answer. */
static void test_persistent_failure_gives_up(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "find", BACKEND_FAILED, 0, 100);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 1);
    assert_int_equal(bed->world.requests, 8);
    assert_int_equal(mailbox_stats(m)->consecutive_failures, 8);
    bed_free(bed);
}

/* Refused credentials in --once: one attempt, then every mailbox using them gives up without
 * trying them again. */
static void test_auth_failure_once(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "room@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "find", BACKEND_AUTH, 0, 100);
    struct mailbox *room = bed_mailbox(bed, "room", true, false);
    bed_once(bed, room);
    assert_int_equal(bed->failed, 1);
    assert_string_equal(bed->world.log, "find");
    assert_true(backoff_refusing(bed->backoff, "credentials room@example.com"));
    struct mailbox *desk = bed_mailbox(bed, "desk", true, false);
    bed_once(bed, desk);
    assert_int_equal(bed->failed, 2);
    assert_string_equal(bed->world.log, "find"); /* desk sent nothing */
    assert_ledger(bed, "room", "req1", "-");
    bed_free(bed);
}

/* Refused credentials in the daemon: a pause for every mailbox using them; once the server
 * accepts them again, all go on. */
static void test_auth_failure_pauses_shared_credentials(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "room@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "find", BACKEND_AUTH, 0, 1);
    struct mailbox *room = bed_mailbox(bed, "room", false, false);
    bed->break_on_poll = true;
    mailbox_start(room);
    ev_run(bed->world.loop, 0);
    assert_string_equal(bed->world.log, "find");
    assert_true(backoff_refusing(bed->backoff, "credentials room@example.com"));
    assert_int_equal(mailbox_stats(room)->consecutive_failures, 1);
    /* The pause (compressed) ends; the next poll succeeds and clears it for everyone. */
    ev_run(bed->world.loop, 0);
    assert_false(backoff_refusing(bed->backoff, "credentials room@example.com"));
    assert_int_equal(mailbox_stats(room)->consecutive_failures, 0);
    assert_ledger(bed, "room", "req1", "done:accept");
    mailbox_stop(room);
    bed_free(bed);
}

/* The server refuses one item for good: it is recorded as failed with the server's words,
 * the others are answered, and it is never tried again; --once says something was left. */
static void test_item_refused_fails_that_item_only(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_message(bed, "req2", ITEM_MEETING_REQUEST, "cal2");
    add_fault(bed, "respond", BACKEND_ITEM_REFUSED, 0, 1);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 1);
    assert_string_equal(bed->outcomes, "req1:failed: answering: item-refused; req2:sent");
    /* Both answers in one request: only req1's failed. */
    assert_string_equal(bed->world.log,
                        "find; fetch req1; calendar_view; respond accept req1, accept req2; find");
    assert_ledger(bed, "room", "req1", "done:failed");
    assert_ledger(bed, "room", "req2", "done:accept");
    bed_free(bed);
}

/* A request the server does not implement (a SOAP Client fault) fails that item too. A batch
 * refused so as a whole does not say which item it could not read: each is answered alone,
 * and the one refused again fails alone. */
static void test_item_refused_for_good(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_message(bed, "req2", ITEM_MEETING_REQUEST, "cal2");
    add_fault(bed, "respond", BACKEND_UNSUPPORTED, 0, 2);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 1);
    assert_string_equal(bed->outcomes, "req1:failed: answering: unsupported; req2:sent");
    assert_string_equal(bed->world.log, "find; fetch req1; calendar_view; respond accept req1, "
                                        "accept req2; respond accept req1; respond accept req2; "
                                        "find");
    assert_ledger(bed, "room", "req1", "done:failed");
    assert_ledger(bed, "room", "req2", "done:accept");
    assert_int_equal(bed->world.answers, 1);
    bed_free(bed);
}

/* A transient failure (here of the whole batch, with no pause asked): the items are tried
 * again on the next pass, and answered then. */
static void test_item_try_later(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_message(bed, "req2", ITEM_MEETING_REQUEST, "cal2");
    add_fault(bed, "respond", BACKEND_TRY_LATER, 0, 1);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_string_equal(bed->outcomes, "req1:failed; req2:failed; req1:sent; req2:sent");
    assert_ledger(bed, "room", "req1", "done:accept");
    assert_ledger(bed, "room", "req2", "done:accept");
    bed_free(bed);
}

/* Transient every time: after its budget the item is recorded as failed, and --once ends. */
static void test_item_try_later_budget(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "respond", BACKEND_TRY_LATER, 0, 100);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 1);
    assert_ledger(bed, "room", "req1", "done:failed");
    assert_non_null(strstr(bed->outcomes, "req1:failed: answering: try-later (5 attempts)"));
    assert_int_equal(bed->world.answers, 0);
    bed_free(bed);
}

static void test_item_gone(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "respond", BACKEND_ITEM_GONE, 0, 1);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_ledger(bed, "room", "req1", "done:gone");
    assert_int_equal(bed->world.answers, 0);
    bed_free(bed);
}

static void test_out_of_date_is_set_aside(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_fault(bed, "respond", BACKEND_OUT_OF_DATE, 0, 1);
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_ledger(bed, "room", "req1", "done:superseded");
    /* RemoveOldMeetingMessages moves it to Deleted Items, and the poll looks again. */
    assert_string_equal(bed->world.log,
                        "find; fetch req1; calendar_view; respond accept req1; remove req1; find");
    bed_free(bed);
}

/* ---- crash recovery --------------------------------------------------------------------- */

/* The answer reached the server before the crash: recorded as done, not sent again. */
static void test_unsettled_answer_that_arrived(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    bed->world.calendar[0].response = RESPONSE_ACCEPT;
    leave_intent(bed, "room", "req1", "accept");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_string_equal(bed->world.log, "find; fetch req1; verify cal1");
    assert_int_equal(bed->world.answers, 0);
    assert_ledger(bed, "room", "req1", "done:accept");
    bed_free(bed);
}

/* A declined meeting leaves no calendar item: the decline arrived. */
static void test_unsettled_decline_calendar_item_gone(void **state)
{
    struct bed *bed = bed_new("automate = decline", "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    bed->world.calendar[0].gone = true;
    leave_intent(bed, "room", "req1", "decline");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_string_equal(bed->world.log, "find; fetch req1; verify cal1");
    assert_ledger(bed, "room", "req1", "done:decline");
    bed_free(bed);
}

/* The answer never arrived: it is sent, once. */
static void test_unsettled_answer_that_was_lost(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    leave_intent(bed, "room", "req1", "accept");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_string_equal(bed->world.log,
                        "find; fetch req1; verify cal1; calendar_view; respond accept req1; find");
    assert_int_equal(bed->world.answers, 1);
    assert_ledger(bed, "room", "req1", "done:accept");
    bed_free(bed);
}

/* A server that gives no AssociatedCalendarItemId: the calendar item found by the request's
 * UID confirms the earlier answer. */
static void test_unsettled_answer_found_by_uid(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    bed->world.inbox[0].calendar_id = NULL;
    bed->world.calendar[0].response = RESPONSE_ACCEPT;
    leave_intent(bed, "room", "req1", "accept");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_string_equal(bed->world.log, "find; fetch req1; calendar_view");
    assert_int_equal(bed->world.answers, 0);
    assert_ledger(bed, "room", "req1", "done:accept");
    bed_free(bed);
}

/* Nothing confirms an earlier acceptance (no link, no calendar item): never a second answer. */
static void test_unsettled_answer_unconfirmed(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    bed->world.inbox[0].calendar_id = NULL;
    bed->world.calendar[0].gone = true;
    leave_intent(bed, "room", "req1", "accept");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_string_equal(bed->world.log, "find; fetch req1; calendar_view");
    assert_int_equal(bed->world.answers, 0);
    assert_ledger(bed, "room", "req1", "done:unconfirmed");
    bed_free(bed);
}

/* ---- a person's own answer -------------------------------------------------------------- */

/* Someone accepted the request by hand before meetingd saw it: it is left alone. */
static void test_answered_by_hand(void **state)
{
    struct bed *bed = bed_new("automate = decline", "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    bed->world.calendar[0].response = RESPONSE_TENTATIVE;
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->failed, 0);
    assert_string_equal(bed->world.log, "find; fetch req1; calendar_view");
    assert_int_equal(bed->world.answers, 0);
    assert_string_equal(bed->outcomes, "req1:answered elsewhere");
    assert_ledger(bed, "room", "req1", "done:answered-elsewhere");
    bed_free(bed);
}

/* A server that never links requests to calendar items (grommunio Gromox) puts nothing on
 * the calendar before an answer either: no calendar item is no answer. */
static void test_no_calendar_item_on_a_server_without_links(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    bed->world.inbox[0].calendar_id = NULL;
    bed->world.calendar[0].gone = true;
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->world.answers, 1);
    assert_string_equal(bed->outcomes, "req1:sent");
    bed_free(bed);
}

/* Declined by hand: the calendar item (and the request's link to it) is gone, on a server
 * that links the others (req2 comes first). */
static void test_declined_by_hand(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req2", ITEM_MEETING_REQUEST, "cal2");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    bed->world.inbox[1].calendar_id = NULL;
    bed->world.calendar[1].gone = true;
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed_once(bed, m);
    assert_int_equal(bed->world.answers, 1);
    /* Decided together, before the batch's answers leave. */
    assert_string_equal(bed->outcomes, "req1:answered elsewhere; req2:sent");
    assert_ledger(bed, "room", "req1", "done:answered-elsewhere");
    assert_ledger(bed, "room", "req2", "done:accept");
    bed_free(bed);
}

/* ---- stopping --------------------------------------------------------------------------- */

/* A stop while a batch of answers is in flight: the answers complete and are recorded,
 * nothing new starts. */
static void test_stop_during_an_answer(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    add_message(bed, "req2", ITEM_MEETING_REQUEST, "cal2");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed->world.stop_on = "respond";
    bed->world.stop_who = m;
    mailbox_start(m);
    ev_run(bed->world.loop, 0);
    assert_int_equal(bed->finished, 1);
    assert_int_equal(bed->failed, 0);
    assert_string_equal(bed->world.log,
                        "find; fetch req1; calendar_view; respond accept req1, accept req2");
    assert_ledger(bed, "room", "req1", "done:accept");
    assert_ledger(bed, "room", "req2", "done:accept");
    bed_free(bed);
}

/* A stop while reading: nothing is answered. */
static void test_stop_during_a_read(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    bed->world.stop_on = "fetch";
    bed->world.stop_who = m;
    mailbox_start(m);
    ev_run(bed->world.loop, 0);
    assert_int_equal(bed->finished, 1);
    assert_string_equal(bed->world.log, "find; fetch req1");
    assert_ledger(bed, "room", "req1", "-");
    bed_free(bed);
}

/* Freeing a mailbox with a request in flight cancels it. */
static void test_free_with_a_request_in_flight(void **state)
{
    struct bed *bed = bed_new(ACCEPT_ALL, "desk@example.com");
    add_message(bed, "req1", ITEM_MEETING_REQUEST, "cal1");
    struct mailbox *m = bed_mailbox(bed, "room", true, false);
    mailbox_start(m);
    while (bed->world.requests == 0)
        ev_run(bed->world.loop, EVRUN_ONCE);
    assert_true(mailbox_is_busy(m));
    bed_free(bed); /* ASan reports anything left behind */
}

int main(void)
{
    /* The mailbox's log lines go to stderr; -v style detail only when asked for. */
    log_set_level(getenv("TEST_VERBOSE") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_dry_run),
        cmocka_unit_test(test_server_busy_backs_off_and_retries),
        cmocka_unit_test(test_busy_pause_is_shared_by_the_login),
        cmocka_unit_test(test_transport_failure_retries),
        cmocka_unit_test(test_persistent_failure_gives_up),
        cmocka_unit_test(test_auth_failure_once),
        cmocka_unit_test(test_auth_failure_pauses_shared_credentials),
        cmocka_unit_test(test_item_refused_fails_that_item_only),
        cmocka_unit_test(test_item_refused_for_good),
        cmocka_unit_test(test_item_try_later),
        cmocka_unit_test(test_item_try_later_budget),
        cmocka_unit_test(test_item_gone),
        cmocka_unit_test(test_out_of_date_is_set_aside),
        cmocka_unit_test(test_unsettled_answer_that_arrived),
        cmocka_unit_test(test_unsettled_decline_calendar_item_gone),
        cmocka_unit_test(test_unsettled_answer_that_was_lost),
        cmocka_unit_test(test_unsettled_answer_found_by_uid),
        cmocka_unit_test(test_unsettled_answer_unconfirmed),
        cmocka_unit_test(test_answered_by_hand),
        cmocka_unit_test(test_declined_by_hand),
        cmocka_unit_test(test_no_calendar_item_on_a_server_without_links),
        cmocka_unit_test(test_stop_during_an_answer),
        cmocka_unit_test(test_stop_during_a_read),
        cmocka_unit_test(test_free_with_a_request_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
