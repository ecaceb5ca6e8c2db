/*
 * pollgate: a counted gate with a FIFO of intrusive waiters (see pollgate.h).
 */
#include "pollgate.h"

void pollgate_init(struct pollgate *g, unsigned max_running)
{
    *g = (struct pollgate){.max_running = max_running};
}

static void enqueue(struct pollgate *g, struct pollgate_waiter *w)
{
    w->next = NULL;
    w->prev = g->tail;
    if (g->tail)
        g->tail->next = w;
    else
        g->head = w;
    g->tail = w;
    w->queued = true;
    g->n_waiting++;
}

void pollgate_cancel(struct pollgate *g, struct pollgate_waiter *w)
{
    if (!w->queued)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        g->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        g->tail = w->prev;
    w->prev = w->next = NULL;
    w->queued = false;
    g->n_waiting--;
}

bool pollgate_enter(struct pollgate *g, struct pollgate_waiter *w)
{
    if (w->queued)
        return false;
    if (g->max_running == 0 || g->running < g->max_running) {
        g->running++;
        return true;
    }
    enqueue(g, w);
    return false;
}

void pollgate_leave(struct pollgate *g)
{
    struct pollgate_waiter *w = g->head;
    if (w == NULL) {
        if (g->running > 0)
            g->running--;
        return;
    }
    pollgate_cancel(g, w); /* the slot passes to W: running stays */
    w->wake(w);
}
