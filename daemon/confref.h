/*
 * confref: a reference-counted configuration. A reload builds a new struct conf and swaps it
 * in; polls already running keep the old one alive through their reference until they end,
 * so no pointer into a configuration ever dangles.
 */
#ifndef MEETINGD_CONFREF_H
#define MEETINGD_CONFREF_H

#include "conf.h"

struct confref {
    struct conf *conf;
    unsigned refs;
    /* Takes the configuration when the last reference goes (NULL: conf_free() right there).
     * Freeing 20,000 mailboxes' sections takes tens of milliseconds: the daemon hands them
     * to a thread instead of holding its loop. */
    void (*dispose)(struct conf *conf, void *userdata);
    void *dispose_data;
};

/* Wraps CONF (ownership moves in) with one reference held by the caller. */
struct confref *confref_new_take(struct conf *conf);
struct confref *confref_get(struct confref *ref);
/* Drops one reference; the last one frees the configuration. NULL is allowed. */
void confref_put(struct confref *ref);

#endif
