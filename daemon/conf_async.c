/*
 * conf_async: conf_load() on a worker thread, its result delivered through an ev_async.
 */
#include "conf_async.h"

#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct conf_async {
    struct ev_loop *loop;
    char *path;
    conf_async_done done;
    void *userdata;
    ev_async wake;
    pthread_t thread;
    bool running; /* a thread exists, not joined yet */
    bool again;   /* requested during the running load */
    /* Written by the thread before it signals WAKE, read on the loop after the join. */
    struct conf *result;
    struct conf_error err;
    double seconds;
    pthread_t disposer; /* frees a configuration no longer used */
    bool disposing;     /* DISPOSER exists, not joined yet */
};

static void *load(void *arg)
{
    struct conf_async *a = arg;
    uint64_t started = util_monotonic_ms();
    a->result = conf_load(a->path, &a->err);
    a->seconds = (double)(util_monotonic_ms() - started) / 1000.0;
    ev_async_send(a->loop, &a->wake);
    return NULL;
}

/* Starts FN(ARG) on a thread that blocks every signal; returns 0 or an errno value. */
static int spawn(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static bool start(struct conf_async *a)
{
    int rc = spawn(&a->thread, load, a);
    a->running = rc == 0;
    if (rc != 0)
        errno = rc;
    return a->running;
}

static void *dispose(void *arg)
{
    conf_free(arg);
    return NULL;
}

void conf_async_dispose(struct conf_async *a, struct conf *conf)
{
    if (a->disposing)
        pthread_join(a->disposer, NULL);
    a->disposing = spawn(&a->disposer, dispose, conf) == 0;
    if (!a->disposing)
        conf_free(conf);
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop;
    (void)revents;
    struct conf_async *a = w->data;
    if (!a->running)
        return;
    pthread_join(a->thread, NULL);
    a->running = false;
    struct conf *conf = a->result;
    a->result = NULL;
    if (a->again) {
        /* The files may have changed after this load read them: load again, drop this one. */
        a->again = false;
        conf_free(conf);
        if (start(a))
            return;
        conf = conf_load(a->path, &a->err); /* no thread: on the loop, as before */
    }
    a->done(conf, &a->err, a->seconds, a->userdata);
}

struct conf_async *conf_async_new(struct ev_loop *loop, const char *path, conf_async_done done,
                                  void *userdata)
{
    struct conf_async *a = xcalloc(1, sizeof(*a));
    a->loop = loop;
    a->path = xstrdup(path);
    a->done = done;
    a->userdata = userdata;
    ev_async_init(&a->wake, on_wake);
    a->wake.data = a;
    ev_async_start(loop, &a->wake);
    return a;
}

bool conf_async_request(struct conf_async *a)
{
    if (a->running) {
        a->again = true;
        return true;
    }
    return start(a);
}

void conf_async_free(struct conf_async *a)
{
    if (a == NULL)
        return;
    if (a->running)
        pthread_join(a->thread, NULL);
    if (a->disposing)
        pthread_join(a->disposer, NULL);
    conf_free(a->result);
    ev_async_stop(a->loop, &a->wake);
    free(a->path);
    free(a);
}
