/*
 * stream_farewell: the Unsubscribe of a subscription whose mailbox left (see the header).
 */
#include "stream_farewell.h"

#include <ev.h>
#include <stdlib.h>

#include "backend.h"
#include "confref.h"
#include "log.h"
#include "util.h"

struct farewell {
    struct farewell *prev, *next;
    struct ev_loop *loop;
    char *name;
    char *subscription_id;
    struct backend *backend;
    struct confref *conf;
    struct backend_call *call; /* NULL once answered */
    ev_timer timer;            /* the bound; then 0 s: freed from the loop after the answer */
};

static struct farewell *in_flight;

static void farewell_free(struct farewell *f)
{
    ev_timer_stop(f->loop, &f->timer);
    if (f->call)
        f->backend->ops->cancel(f->call);
    if (f->prev)
        f->prev->next = f->next;
    else
        in_flight = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->backend->ops->free(f->backend);
    confref_put(f->conf);
    free(f->subscription_id);
    free(f->name);
    free(f);
}

static void on_answer(struct backend_result *r, void *ud)
{
    struct farewell *f = ud;
    f->call = NULL;
    if (r->status == BACKEND_OK)
        log_debug("mailbox %s: unsubscribed from notifications", f->name);
    else
        log_info("mailbox %s: Unsubscribe failed (%s); the server ends the subscription "
                 "by itself",
                 f->name, r->error ? r->error : "no reason given");
    /* The backend's call is still on the stack: it is freed from the loop. */
    ev_timer_stop(f->loop, &f->timer);
    ev_timer_set(&f->timer, 0.0, 0.0);
    ev_timer_start(f->loop, &f->timer);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct farewell *f = w->data;
    if (f->call)
        log_info("mailbox %s: Unsubscribe not answered within %.0f s; the server ends the "
                 "subscription by itself",
                 f->name, STREAM_FAREWELL_WAIT_S);
    farewell_free(f);
}

void stream_farewell_take(struct ev_loop *loop, const char *name, struct backend *backend,
                          struct confref *conf, char *subscription_id,
                          const struct backend_affinity *affinity)
{
    struct farewell *f = xcalloc(1, sizeof(*f));
    f->loop = loop;
    f->name = xstrdup(name);
    f->subscription_id = subscription_id;
    f->backend = backend;
    f->conf = confref_get(conf);
    f->next = in_flight;
    if (in_flight)
        in_flight->prev = f;
    in_flight = f;
    ev_timer_init(&f->timer, on_timer, STREAM_FAREWELL_WAIT_S, 0.0);
    f->timer.data = f;
    if (backend->ops->unsubscribe == NULL ||
        backend->ops->unsubscribe(backend, subscription_id, affinity, on_answer, f, &f->call) !=
            0) {
        f->call = NULL;
        farewell_free(f);
        return;
    }
    ev_timer_start(loop, &f->timer);
}

void stream_farewells_wait(struct ev_loop *loop, const bool *give_up)
{
    while (in_flight != NULL && !*give_up)
        ev_run(loop, EVRUN_ONCE);
    while (in_flight != NULL)
        farewell_free(in_flight);
}
