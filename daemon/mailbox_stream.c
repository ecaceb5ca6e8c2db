/*
 * mailbox_stream: streaming notifications wake the mailboxes (see mailbox_int.h).
 *
 * With [server] sync = streaming or auto, a mailbox subscribes its Inbox (Subscribe, at the
 * start of a poll, when it has no subscription) and joins a group: the subscriptions made
 * with the same credentials on the same server, up to EWS_STREAMING_MAX_SUBSCRIPTIONS per
 * group (a subscription belongs to the account that made it, and Exchange serves up to 200
 * of one affinity group on one connection). Each group keeps one long-lived connection
 * open (backend_ops.listen), anchored on its alphabetically first mailbox.
 *
 * An event only wakes its mailbox: the mailbox syncs (SyncFolderItems), it never trusts the
 * event's contents. What could lose an event makes the mailboxes sync instead:
 *   - a subscription the server no longer knows (not found, expired): the mailbox leaves
 *     the group, and its next poll, started now, subscribes again and syncs;
 *   - a connection that broke (reset, an error, a malformed envelope) or fell silent (three
 *     heartbeats missed, at the pace the server kept so far): every mailbox of the group
 *     syncs, and the connection is opened again after a pause that grows with the failures
 *     in a row.
 * A connection the server closed at its timeout (ConnectionStatus Closed) is simply opened
 * again: the server keeps the events of a subscription until a connection carries it. A
 * connection is renewed shortly before its timeout (the subscriptions move to the newest
 * connection naming them). While its group's connection is up, a mailbox polls only every
 * [daemon] sync_safety_interval, as a safety net; otherwise at poll_interval.
 *
 * A server that refuses streaming subscriptions (or whose connection cannot be opened with
 * the configured authentication) is remembered for the run and logged once; its mailboxes
 * poll.
 *
 * Affinity ("Maintain affinity between a group of subscriptions and the Mailbox server"):
 * behind a load balancer a subscription lives on one Mailbox server, and only requests
 * routed there find it. A mailbox takes its seat in a group before it subscribes; the first
 * to subscribe into a group becomes its anchor. Every Subscribe, GetStreamingEvents and
 * Unsubscribe of the group names the anchor (X-AnchorMailbox) with X-PreferServerAffinity:
 * true, and carries the X-BackEndOverrideCookie the anchor's Subscribe was answered with
 * once it is known (before that the anchor alone routes them, to the same server). The
 * connection impersonates the anchor while it is a member.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ews_sync.h"
#include "log.h"
#include "mailbox_int.h"
#include "stream_farewell.h"

#define STREAM_MINUTES EWS_STREAMING_MAX_MINUTES
#define STREAM_RENEW_EARLY_S 60.0 /* a connection is renewed this long before its timeout */
#define STREAM_SILENCE_S 150.0    /* no envelope for this long before the pace is known */
#define STREAM_SILENCE_MIN_S 5.0  /* the shortest silence taken for a broken connection */
#define STREAM_MISSED_BEATS 3.0   /* heartbeats missed in a row: broken */
#define STREAM_JOIN_DELAY_S 0.2   /* joins within this time share one (re)opening */
#define STREAM_RETRY_MAX_S 60.0
#define STREAM_RETIRE_S 30.0 /* a replaced connection is still read this long */

struct stream_group;

/* A mailbox's part (m->stream). */
struct mailbox_stream {
    char *subscription_id; /* NULL: not subscribed */
    char *address;         /* the group's order and anchor */
    struct stream_group *group;
    struct stream_group *joining; /* the group its Subscribe in flight has a seat in */
    bool poked;                   /* an event arrived while a poll ran: poll again when it ends */
};

/* One connection. */
struct stream_conn {
    struct stream_group *g;
    struct backend *backend; /* the anchor's */
    struct confref *conf;    /* what that backend was opened with */
    struct backend_listen *listen;
};

struct stream_group {
    char *key; /* the credentials' key (backend.h): whose subscriptions may share */
    struct mailbox **members;
    size_t n;
    size_t joining; /* seats taken by Subscribe requests in flight */
    char *anchor;   /* the affinity anchor: the address of the first mailbox subscribed */
    char *cookie;   /* the server's X-BackEndOverrideCookie for the anchor, NULL until known */
    struct ev_loop *loop;
    struct stream_conn *conn; /* the connection, NULL while none is open */
    /* The connection a new one replaced (renewal, members that came or went): it is read
     * until the server ends it or STREAM_RETIRE_S passed, so that an event it carried just
     * before the switch is not dropped unread. */
    struct stream_conn *old;
    ev_timer retire;
    ev_timer open;     /* (re)open after joins, a close or a failure */
    ev_timer renew;    /* before the connection's timeout */
    ev_timer watchdog; /* silence */
    double last_alive; /* when the last envelope arrived (ev_now), 0 before the first */
    double beat;       /* the longest quiet before a heartbeat: the server's pace */
    unsigned failures; /* in a row */
    bool up;           /* a connection is open and has delivered something */
    /* The last connection broke: once the next one delivers its first envelope (the server
     * has moved the subscriptions onto it), everyone syncs once more. A connection that
     * died silently still holds them on the server's side until then, and an event the
     * server wrote into it in between is lost: only a sync after the switch covers it. */
    bool sync_when_up;
};

static struct {
    struct stream_group **v;
    size_t n;
} groups;

/* Servers that do not offer streaming notifications, learnt this run; those that do (said
 * once in the log). */
static struct strlist servers_without_streaming;
static struct strlist servers_with_streaming;

static void group_open_connection(struct stream_group *g);

/* ---- groups ----------------------------------------------------------------------------- */

static void conn_free(struct stream_conn *c)
{
    if (c == NULL)
        return;
    if (c->listen)
        c->backend->ops->listen_stop(c->listen);
    c->backend->ops->free(c->backend);
    confref_put(c->conf);
    free(c);
}

static void group_close_connection(struct stream_group *g)
{
    conn_free(g->conn);
    g->conn = NULL;
    conn_free(g->old);
    g->old = NULL;
    ev_timer_stop(g->loop, &g->retire);
    ev_timer_stop(g->loop, &g->renew);
    ev_timer_stop(g->loop, &g->watchdog);
    g->up = false;
    g->last_alive = 0.0; /* the pace (beat) is the server's: it is kept */
}

static void group_free(struct stream_group *g)
{
    group_close_connection(g);
    ev_timer_stop(g->loop, &g->open);
    for (size_t i = 0; i < groups.n; i++)
        if (groups.v[i] == g) {
            groups.v[i] = groups.v[--groups.n];
            break;
        }
    if (groups.n == 0) {
        free(groups.v);
        groups.v = NULL;
    }
    free(g->members);
    free(g->key);
    free(g->anchor);
    free(g->cookie);
    free(g);
}

static void group_open_in(struct stream_group *g, double seconds)
{
    ev_timer_stop(g->loop, &g->open);
    ev_timer_set(&g->open, seconds, 0.0);
    ev_timer_start(g->loop, &g->open);
}

static struct mailbox *member_of(const struct stream_group *g, const char *subscription_id)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->members[i]->stream->subscription_id, subscription_id) == 0)
            return g->members[i];
    return NULL;
}

static void member_remove(struct stream_group *g, struct mailbox *m)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->members[i] == m) {
            g->members[i] = g->members[--g->n];
            break;
        }
    m->stream->group = NULL;
}

/* A mailbox wakes up to sync now (or right after the poll it is running). */
static void poke(struct mailbox *m)
{
    if (m->state == MB_BUSY)
        m->stream->poked = true;
    else
        mailbox_poll_soon(m);
}

static void poke_all(struct stream_group *g)
{
    for (size_t i = 0; i < g->n; i++)
        poke(g->members[i]);
}

/* The connection broke or fell silent: events may be lost, so everyone syncs. */
static void group_broken(struct stream_group *g, const char *why)
{
    g->failures++;
    double pause = 1.0;
    for (unsigned i = 1; i < g->failures && pause < STREAM_RETRY_MAX_S; i++)
        pause *= 2.0;
    if (pause > STREAM_RETRY_MAX_S)
        pause = STREAM_RETRY_MAX_S;
    log_warn("streaming notifications of %zu mailbox(es) (%s): the connection broke (%s); they "
             "sync now, and it is opened again in %.0f s",
             g->n, g->key, why, pause);
    group_close_connection(g);
    poke_all(g);
    g->sync_when_up = true;
    group_open_in(g, pause);
}

static void on_event(const char *subscription_id, void *ud)
{
    struct stream_group *g = ((struct stream_conn *)ud)->g;
    struct mailbox *m = member_of(g, subscription_id);
    if (m != NULL) {
        log_debug("mailbox %s: notified of a change in the Inbox", m->name);
        poke(m);
    }
}

static void on_lost(const char *subscription_id, void *ud)
{
    struct stream_group *g = ((struct stream_conn *)ud)->g;
    struct mailbox *m = member_of(g, subscription_id);
    if (m == NULL)
        return;
    log_info("mailbox %s: the server no longer knows its subscription; subscribing again", m->name);
    member_remove(g, m);
    free(m->stream->subscription_id);
    m->stream->subscription_id = NULL;
    poke(m);
    group_open_in(g, STREAM_JOIN_DELAY_S); /* without it; nothing is read meanwhile */
}

/* How long a connection may stay silent: three beats at the pace the server kept. */
static double silence_allowed(const struct stream_group *g)
{
    double silence = g->beat * STREAM_MISSED_BEATS;
    if (g->beat == 0.0 || silence > STREAM_SILENCE_S)
        silence = STREAM_SILENCE_S;
    return silence < STREAM_SILENCE_MIN_S ? STREAM_SILENCE_MIN_S : silence;
}

static void on_alive(bool heartbeat, void *ud)
{
    struct stream_conn *c = ud;
    struct stream_group *g = c->g;
    if (c != g->conn)
        return; /* a replaced connection: only its events still count */
    if (!g->up) {
        log_debug("streaming notifications of %zu mailbox(es) (%s): connected", g->n, g->key);
        const char *server = c->backend->keys[BACKEND_SCOPE_SERVER];
        if (!strlist_contains_ci(&servers_with_streaming, server)) {
            strlist_add(&servers_with_streaming, server);
            log_info("%s offers streaming notifications: its mailboxes sync when notified, and "
                     "every sync_safety_interval",
                     server);
        }
    }
    g->up = true;
    g->failures = 0;
    if (g->sync_when_up) {
        g->sync_when_up = false;
        log_debug("streaming notifications of %zu mailbox(es) (%s): connected again; they sync "
                  "what the broken connection may have lost",
                  g->n, g->key);
        poke_all(g);
    }
    /* The server's heartbeat interval is learnt from the quiet before each heartbeat
     * (Exchange does not document it): missing a few of them in a row means the connection
     * died without a reset, which TCP alone may not notice for a long time. */
    double now = ev_now(g->loop);
    if (heartbeat && g->last_alive > 0.0 && now - g->last_alive > g->beat) {
        g->beat = now - g->last_alive;
        log_debug("streaming notifications (%s): the server sends a heartbeat after %.1f s of "
                  "quiet",
                  g->key, g->beat);
    }
    g->last_alive = now;
    g->watchdog.repeat = silence_allowed(g);
    ev_timer_again(g->loop, &g->watchdog);
}

static void on_end(bool closed, const char *why, void *ud)
{
    struct stream_conn *c = ud;
    struct stream_group *g = c->g;
    c->listen = NULL; /* the backend freed it */
    if (c == g->old) {
        /* A replaced connection that broke may have lost an event it was carrying. */
        g->old = NULL;
        ev_timer_stop(g->loop, &g->retire);
        conn_free(c);
        if (!closed)
            poke_all(g);
        return;
    }
    if (closed) {
        group_close_connection(g);
        group_open_in(g, 0.0);
        return;
    }
    group_broken(g, why);
}

static const struct backend_listen_events listen_events = {
    .on_event = on_event,
    .on_lost = on_lost,
    .on_alive = on_alive,
    .on_end = on_end,
};

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    group_broken(w->data, "no heartbeat");
}

static void on_retire(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct stream_group *g = w->data;
    conn_free(g->old);
    g->old = NULL;
}

static void on_renew(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    group_open_connection(w->data);
}

static void on_open(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct stream_group *g = w->data;
    if (g->n == 0) {
        group_close_connection(g);
        if (g->joining == 0)
            group_free(g);
        return;
    }
    group_open_connection(g);
}

static int compare_members(const void *a, const void *b)
{
    const struct mailbox *x = *(struct mailbox *const *)a, *y = *(struct mailbox *const *)b;
    return strcmp(x->stream->address, y->stream->address);
}

/* The server cannot stream to these mailboxes after all: they poll, and it is said once. */
static void streaming_unavailable(const char *server, const char *why)
{
    if (strlist_contains_ci(&servers_without_streaming, server))
        return;
    strlist_add(&servers_without_streaming, server);
    log_notice("%s: no streaming notifications (%s); its mailboxes poll", server, why);
}

/* Opens a connection for every member (replacing the one open, which the server then
 * leaves: a subscription moves to the newest connection naming it). */
static void group_open_connection(struct stream_group *g)
{
    qsort(g->members, g->n, sizeof(*g->members), compare_members);
    struct mailbox *anchor = g->members[0];
    for (size_t i = 0; i < g->n; i++)
        if (strcasecmp(g->members[i]->stream->address, g->anchor) == 0)
            anchor = g->members[i];
    const struct conf *c = anchor->conf->conf;
    const struct conf_mailbox *cm = conf_find_mailbox(c, anchor->name);
    if (cm == NULL) {
        group_open_in(g, 1.0); /* removed by a reload: it leaves shortly */
        return;
    }
    struct stream_conn *conn = xcalloc(1, sizeof(*conn));
    conn->g = g;
    conn->backend = anchor->env.open_backend(c, cm, anchor->env.backend_userdata);
    struct backend *be = conn->backend;
    const char **ids = xcalloc(g->n, sizeof(*ids));
    for (size_t i = 0; i < g->n; i++)
        ids[i] = g->members[i]->stream->subscription_id;
    struct backend_affinity affinity = {g->anchor, g->cookie};
    conn->listen = be->ops->listen ? be->ops->listen(be, g->loop, ids, g->n, STREAM_MINUTES,
                                                     &affinity, &listen_events, conn)
                                   : NULL;
    free(ids);
    if (conn->listen == NULL) {
        streaming_unavailable(be->keys[BACKEND_SCOPE_SERVER],
                              "the connection cannot be opened with this authentication");
        conn_free(conn);
        group_close_connection(g);
        while (g->n > 0) {
            struct mailbox *m = g->members[0];
            member_remove(g, m);
            mailbox_poll_soon(m);
        }
        group_open_in(g, 0.0); /* frees the group */
        return;
    }
    /* The connection it replaces is read a little longer (see struct stream_group). */
    struct stream_conn *replaced = g->conn;
    g->conn = NULL;
    group_close_connection(g);
    if (replaced != NULL) {
        g->old = replaced;
        ev_timer_set(&g->retire, STREAM_RETIRE_S, 0.0);
        ev_timer_start(g->loop, &g->retire);
    }
    conn->conf = confref_get(anchor->conf);
    g->conn = conn;
    ev_timer_set(&g->renew, STREAM_MINUTES * 60.0 - STREAM_RENEW_EARLY_S, 0.0);
    ev_timer_start(g->loop, &g->renew);
    g->watchdog.repeat = silence_allowed(g);
    ev_timer_again(g->loop, &g->watchdog);
    log_debug("streaming notifications of %zu mailbox(es) (%s): opening, anchored on %s", g->n,
              g->key, anchor->stream->address);
}

static struct stream_group *group_for(struct mailbox *m, const char *key)
{
    for (size_t i = 0; i < groups.n; i++)
        if (strcmp(groups.v[i]->key, key) == 0 &&
            groups.v[i]->n + groups.v[i]->joining < EWS_STREAMING_MAX_SUBSCRIPTIONS)
            return groups.v[i];
    struct stream_group *g = xcalloc(1, sizeof(*g));
    g->key = xstrdup(key);
    g->loop = m->env.loop;
    g->members = xcalloc(EWS_STREAMING_MAX_SUBSCRIPTIONS, sizeof(*g->members));
    ev_timer_init(&g->open, on_open, 0.0, 0.0);
    ev_timer_init(&g->renew, on_renew, 0.0, 0.0);
    ev_init(&g->watchdog, on_watchdog);
    ev_timer_init(&g->retire, on_retire, 0.0, 0.0);
    g->open.data = g->renew.data = g->watchdog.data = g->retire.data = g;
    groups.v = xreallocarray(groups.v, groups.n + 1, sizeof(*groups.v));
    groups.v[groups.n++] = g;
    return g;
}

/* ---- the mailbox's side ----------------------------------------------------------------- */

static struct mailbox_stream *stream_of(struct mailbox *m)
{
    if (m->stream == NULL)
        m->stream = xcalloc(1, sizeof(*m->stream));
    return m->stream;
}

/* Gives back the seat of the Subscribe in flight; its group, or NULL. */
static struct stream_group *seat_release(struct mailbox *m)
{
    struct stream_group *g = m->stream ? m->stream->joining : NULL;
    if (g != NULL) {
        g->joining--;
        m->stream->joining = NULL;
    }
    return g;
}

/* A group nobody is in or joining ends. */
static void group_drop_if_unused(struct stream_group *g)
{
    if (g->n == 0 && g->joining == 0)
        group_free(g);
}

/* A group that lost a member reconnects without it; one left empty closes its connection. */
static void group_shrunk(struct stream_group *g)
{
    if (g->n > 0) {
        group_open_in(g, STREAM_JOIN_DELAY_S);
        return;
    }
    group_close_connection(g);
    group_drop_if_unused(g);
}

static void leave_group(struct mailbox *m)
{
    struct stream_group *g = seat_release(m);
    if (g != NULL)
        group_drop_if_unused(g);
    g = m->stream->group;
    if (g != NULL) {
        member_remove(g, m);
        group_shrunk(g);
    }
}

void mailbox_stream_leave(struct mailbox *m)
{
    struct mailbox_stream *s = m->stream;
    if (s == NULL)
        return;
    /* The server keeps a subscription nobody reads for a while, and its events with it:
     * ended here, best effort (stream_farewell.h), routed like the group's requests. */
    if (s->subscription_id != NULL && m->cm != NULL) {
        const struct stream_group *g = s->group;
        struct backend_affinity affinity = {g ? g->anchor : NULL, g ? g->cookie : NULL};
        struct backend *be = m->env.open_backend(m->conf->conf, m->cm, m->env.backend_userdata);
        stream_farewell_take(m->env.loop, m->name, be, m->conf, s->subscription_id, &affinity);
        s->subscription_id = NULL;
    }
    leave_group(m);
}

void mailbox_stream_free(struct mailbox *m)
{
    if (m->stream) {
        leave_group(m); /* the daemon exits at once: no farewell */
        free(m->stream->subscription_id);
        free(m->stream->address);
        free(m->stream);
    }
    m->stream = NULL;
}

/* Whether this poll subscribes first. */
static bool wants_subscription(const struct mailbox *m)
{
    const struct mailbox_poll *p = m->poll;
    enum conf_sync mode = p->conf->conf->server.sync;
    if (m->env.once || m->stopping || (mode != CONF_SYNC_AUTO && mode != CONF_SYNC_STREAMING))
        return false;
    if (p->backend->ops->subscribe == NULL || p->backend->ops->listen == NULL)
        return false;
    if (strlist_contains_ci(&servers_without_streaming, p->backend->keys[BACKEND_SCOPE_SERVER]))
        return false;
    return m->stream == NULL || m->stream->subscription_id == NULL;
}

/* Takes a seat in a group for the Subscribe about to be sent; the first becomes the anchor. */
static struct stream_group *seat_take(struct mailbox *m)
{
    struct mailbox_stream *s = stream_of(m);
    struct stream_group *g = group_for(m, m->poll->backend->keys[BACKEND_SCOPE_CREDENTIALS]);
    g->joining++;
    s->joining = g;
    if (g->anchor == NULL)
        g->anchor = xstrdup(m->poll->cm->address);
    return g;
}

void mailbox_inbox_start(struct mailbox *m)
{
    if (wants_subscription(m)) {
        if (mailbox_send_begin(m, STEP_SUBSCRIBE)) {
            struct backend *be = m->poll->backend;
            struct stream_group *g = seat_take(m);
            struct backend_affinity affinity = {g->anchor, g->cookie};
            int rc = be->ops->subscribe(be, &affinity, mailbox_on_result, m, &m->poll->call);
            if (rc != 0 && seat_release(m) != NULL)
                group_drop_if_unused(g);
            mailbox_send_end(m, "Subscribe", rc);
        }
        return;
    }
    mailbox_inbox_read(m);
}

static void join(struct mailbox *m, struct stream_group *g, char *subscription_id)
{
    struct mailbox_stream *s = stream_of(m);
    free(s->address);
    s->address = xstrdup(m->poll->cm->address);
    s->subscription_id = subscription_id;
    g->members[g->n++] = m;
    s->group = g;
    group_open_in(g, STREAM_JOIN_DELAY_S);
}

void mailbox_after_subscribe(struct mailbox *m, struct backend_result *r)
{
    const char *server = m->poll->backend->keys[BACKEND_SCOPE_SERVER];
    struct stream_group *g = seat_release(m);
    if (g != NULL && g->cookie == NULL && r->affinity_cookie != NULL) {
        g->cookie = r->affinity_cookie; /* the anchor's: the server routes the group by it */
        r->affinity_cookie = NULL;
    }
    if (g != NULL && r->status == BACKEND_OK && r->subscription_id != NULL) {
        join(m, g, r->subscription_id);
        r->subscription_id = NULL;
        mailbox_inbox_read(m);
        return;
    }
    if (g != NULL)
        group_drop_if_unused(g);
    if (r->unsupported) {
        bool asked = m->poll->conf->conf->server.sync == CONF_SYNC_STREAMING;
        if (!strlist_contains_ci(&servers_without_streaming, server)) {
            strlist_add(&servers_without_streaming, server);
            log_msg(asked ? LOG_LEVEL_WARNING : LOG_LEVEL_NOTICE,
                    "%s does not offer streaming notifications (%s): its mailboxes poll", server,
                    mailbox_reason(r));
        }
    } else if (backend_throttled(r) || backend_status_scope(r->status) >= 0) {
        mailbox_poll_fail(m, "Subscribe", r);
        return;
    } else {
        log_warn("mailbox %s: subscribing to notifications failed (%s); it polls, and tries "
                 "again at its next poll",
                 m->name, mailbox_reason(r));
    }
    mailbox_inbox_read(m);
}

double mailbox_stream_interval(struct mailbox *m, double normal)
{
    const struct mailbox_stream *s = m->stream;
    if (s == NULL || s->group == NULL)
        return normal;
    enum conf_sync mode = m->conf->conf->server.sync;
    if (mode != CONF_SYNC_AUTO && mode != CONF_SYNC_STREAMING) {
        mailbox_stream_leave(m); /* a reload chose polling */
        return normal;
    }
    if (!s->group->up)
        return normal;
    double safety = m->conf->conf->daemon.sync_safety_interval_s;
    return safety > normal ? safety : normal;
}

bool mailbox_stream_take_poke(struct mailbox *m)
{
    if (m->stream == NULL || !m->stream->poked)
        return false;
    m->stream->poked = false;
    return true;
}
