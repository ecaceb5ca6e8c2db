/*
 * backoff: retry delays and shared pauses (see backoff.h).
 *
 * The keys are few (one per server, per authenticated account and per set of credentials),
 * so they sit in a plain array searched linearly; an entry is dropped when its key clears.
 */
#include "backoff.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct backoff_key {
    char *key;
    double paused_until; /* monotonic-free: the caller's clock, in seconds */
    double probe_until;  /* another request on the key is out until then */
    unsigned refusals;   /* refused credentials in a row */
};

struct backoff {
    struct backoff_options opts;
    struct backoff_key *keys;
    size_t n_keys;
    struct strlist accepted; /* keys the server has accepted a request on at least once */
};

void backoff_options_default(struct backoff_options *o, bool once)
{
    *o = (struct backoff_options){
        .base_s = once ? 0.5 : 1.0, /* transient troubles mostly pass within seconds */
        .max_s = 180.0,     /* transient troubles: a few minutes at most between two tries */
        .long_min_s = 60.0, /* a wrong setting will not fix itself in seconds */
        .server_max_s = 3600.0,
        .credentials_base_s = 60.0,
        .credentials_max_s = 3600.0,
        .probe_s = 300.0,
        .recheck_s = once ? 0.5 : 1.0, /* a probe's outcome mostly comes within a second */
        .jitter = 0.2,
    };
}

struct backoff *backoff_new(const struct backoff_options *opts)
{
    struct backoff *b = xcalloc(1, sizeof(*b));
    if (opts)
        b->opts = *opts;
    else
        backoff_options_default(&b->opts, false);
    return b;
}

void backoff_free(struct backoff *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n_keys; i++)
        free(b->keys[i].key);
    free(b->keys);
    strlist_free(&b->accepted);
    free(b);
}

const struct backoff_options *backoff_options(const struct backoff *b)
{
    return &b->opts;
}

static double jitter(const struct backoff *b, double seconds)
{
    /* rand() is fine: the jitter only spreads load, it protects nothing. */
    double r = (double)rand() / RAND_MAX; /* 0..1 */
    double f = b->opts.jitter;
    return seconds * (1.0 - f + 2.0 * f * r);
}

static double doubled(double base, unsigned n, double max)
{
    double delay = base;
    for (unsigned i = 1; i < n && delay < max; i++)
        delay *= 2.0;
    return delay > max ? max : delay;
}

double backoff_delay(const struct backoff *b, unsigned n, bool long_wait, unsigned server_ms)
{
    const struct backoff_options *o = &b->opts;
    double delay = doubled(o->base_s, n, o->max_s);
    if (long_wait && delay < o->long_min_s)
        delay = o->long_min_s;
    if (delay > o->max_s)
        delay = o->max_s;
    delay = jitter(b, delay);
    double server_s = server_ms / 1000.0;
    if (server_s > o->server_max_s)
        server_s = o->server_max_s;
    return delay < server_s ? server_s : delay;
}

static struct backoff_key *find(const struct backoff *b, const char *key)
{
    for (size_t i = 0; key != NULL && i < b->n_keys; i++)
        if (strcmp(b->keys[i].key, key) == 0)
            return &b->keys[i];
    return NULL;
}

static struct backoff_key *get(struct backoff *b, const char *key)
{
    struct backoff_key *e = find(b, key);
    if (e != NULL)
        return e;
    b->keys = xreallocarray(b->keys, b->n_keys + 1, sizeof(*b->keys));
    e = &b->keys[b->n_keys++];
    *e = (struct backoff_key){.key = xstrdup(key)};
    return e;
}

void backoff_pause(struct backoff *b, const char *key, double now, double seconds)
{
    if (key == NULL)
        return;
    struct backoff_key *e = get(b, key);
    if (now + seconds > e->paused_until)
        e->paused_until = now + seconds;
    e->probe_until = 0.0;
}

double backoff_refused(struct backoff *b, const char *key, double now, bool *first)
{
    struct backoff_key *e = get(b, key);
    *first = e->refusals == 0;
    e->refusals++;
    double s =
        jitter(b, doubled(b->opts.credentials_base_s, e->refusals, b->opts.credentials_max_s));
    backoff_pause(b, key, now, s);
    return e->paused_until - now;
}

void backoff_clear(struct backoff *b, const char *key)
{
    if (key != NULL && !strlist_contains_ci(&b->accepted, key))
        strlist_add(&b->accepted, key);
    struct backoff_key *e = find(b, key);
    if (e == NULL)
        return;
    free(e->key);
    *e = b->keys[--b->n_keys];
}

double backoff_wait(const struct backoff *b, const char *key, double now)
{
    const struct backoff_key *e = find(b, key);
    if (e == NULL)
        return 0.0;
    if (now < e->paused_until)
        return e->paused_until - now;
    if (now < e->probe_until)
        return b->opts.recheck_s;
    return 0.0;
}

void backoff_claim(struct backoff *b, const char *key, double now)
{
    struct backoff_key *e = find(b, key);
    if (e != NULL && now >= e->paused_until && now >= e->probe_until)
        e->probe_until = now + b->opts.probe_s;
}

void backoff_probe_end(struct backoff *b, const char *key)
{
    struct backoff_key *e = find(b, key);
    if (e != NULL)
        e->probe_until = 0.0;
}

void backoff_claim_untried(struct backoff *b, const char *key, double now)
{
    if (key == NULL || find(b, key) != NULL || strlist_contains_ci(&b->accepted, key))
        return;
    get(b, key)->probe_until = now + b->opts.probe_s;
}

void backoff_untried_unknown(struct backoff *b, const char *key)
{
    struct backoff_key *e = find(b, key);
    if (e == NULL || e->refusals > 0 || e->paused_until > 0.0)
        return;
    free(e->key);
    *e = b->keys[--b->n_keys];
}

bool backoff_refusing(const struct backoff *b, const char *key)
{
    const struct backoff_key *e = find(b, key);
    return e != NULL && e->refusals > 0;
}
