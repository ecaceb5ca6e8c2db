/*
 * conf_async: a configuration loaded on a thread of its own, handed to the loop when done.
 *
 * A reload reads, parses and checks every file and section: with 20,000 mailboxes that is
 * over 100 ms of CPU, during which nothing else would run on the loop (no answer, no
 * metrics page, no watchdog). So the reload reads on a thread and only the swap runs on
 * the loop. conf_load() touches nothing but the struct it builds (it does not log), which
 * is what makes this safe; the thread blocks every signal, so they keep reaching the loop.
 *
 * One load at a time: a request during a load is remembered and served by one more load
 * after it (a SIGHUP sent after the files changed always sees them).
 */
#ifndef MEETINGD_CONF_ASYNC_H
#define MEETINGD_CONF_ASYNC_H

#include <stdbool.h>

#include "conf.h"

struct conf_async;
struct ev_loop;

/* Called on the loop with the loaded configuration (the callee owns it), or NULL and the
 * errors; SECONDS is how long loading took (off the loop). */
typedef void (*conf_async_done)(struct conf *conf, const struct conf_error *err, double seconds,
                                void *userdata);

struct conf_async *conf_async_new(struct ev_loop *loop, const char *path, conf_async_done done,
                                  void *userdata);

/* Starts a load of the file, or asks for one more after the load running now. Returns false
 * when no thread could be started (nothing is loaded then). */
bool conf_async_request(struct conf_async *a);

/* Frees CONF on a thread (conf_free() of thousands of sections would hold the loop); right
 * here when no thread can be started. The previous disposal is waited for first. */
void conf_async_dispose(struct conf_async *a, struct conf *conf);

/* Waits for a load and a disposal in progress (the load's result is dropped) and frees
 * everything. NULL is fine. */
void conf_async_free(struct conf_async *a);

#endif
