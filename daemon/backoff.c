/*
 * backoff: retry delays and shared pauses (see backoff.h).
 *
 * There are keys per authenticated account and per set of credentials: with own
 * credentials per mailbox, two per mailbox, and every request clears two. So the keys paused
 * or probed sit in a hash table (an entry is dropped when its key clears), and the keys ever
 * accepted in a set of 64-bit digests of their case-folded text (8 bytes a key instead of
 * the string; two keys of one digest would only let untried credentials be tried by more
 * than one mailbox at once, which is what happened before this probe existed).
 */
#include "backoff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* uthash's default on a failed allocation is exit(-1); the rest of meetingd aborts. */
#define uthash_fatal(msg) abort()
#include <uthash.h>

struct backoff_key {
    char *key;
    double paused_until; /* monotonic-free: the caller's clock, in seconds */
    double probe_until;  /* another request on the key is out until then */
    unsigned refusals;   /* refused credentials in a row */
    UT_hash_handle hh;
};

/* Open addressing over digests; 0 marks an empty slot (a digest of 0 is stored as 1). */
struct digest_set {
    uint64_t *slots;
    size_t cap, n;
};

struct backoff {
    struct backoff_options opts;
    struct backoff_key *keys;   /* paused or probed keys, by key */
    struct digest_set accepted; /* keys the server has accepted a request on at least once */
};

static uint64_t folded_digest(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 1099511628211ULL;
    }
    return h ? h : 1;
}

static bool digest_find_slot(const struct digest_set *set, uint64_t d, size_t *slot)
{
    size_t i = (size_t)d & (set->cap - 1);
    while (set->slots[i] != 0 && set->slots[i] != d)
        i = (i + 1) & (set->cap - 1);
    *slot = i;
    return set->slots[i] == d;
}

static bool digest_contains(const struct digest_set *set, const char *key)
{
    size_t slot;
    return set->cap > 0 && digest_find_slot(set, folded_digest(key), &slot);
}

static void digest_add(struct digest_set *set, const char *key)
{
    if ((set->n + 1) * 2 > set->cap) {
        struct digest_set grown = {.cap = set->cap ? set->cap * 2 : 64};
        grown.slots = xcalloc(grown.cap, sizeof(*grown.slots));
        for (size_t i = 0; i < set->cap; i++) {
            size_t slot;
            if (set->slots[i] != 0 && !digest_find_slot(&grown, set->slots[i], &slot)) {
                grown.slots[slot] = set->slots[i];
                grown.n++;
            }
        }
        free(set->slots);
        *set = grown;
    }
    uint64_t d = folded_digest(key);
    size_t slot;
    if (!digest_find_slot(set, d, &slot)) {
        set->slots[slot] = d;
        set->n++;
    }
}

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
    struct backoff_key *e, *tmp;
    HASH_ITER(hh, b->keys, e, tmp)
    {
        HASH_DEL(b->keys, e);
        free(e->key);
        free(e);
    }
    free(b->accepted.slots);
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
    struct backoff_key *e = NULL;
    if (key != NULL)
        HASH_FIND_STR(b->keys, key, e);
    return e;
}

static struct backoff_key *get(struct backoff *b, const char *key)
{
    struct backoff_key *e = find(b, key);
    if (e != NULL)
        return e;
    e = xcalloc(1, sizeof(*e));
    e->key = xstrdup(key);
    HASH_ADD_KEYPTR(hh, b->keys, e->key, strlen(e->key), e);
    return e;
}

static void drop(struct backoff *b, struct backoff_key *e)
{
    HASH_DEL(b->keys, e);
    free(e->key);
    free(e);
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
    if (key != NULL)
        digest_add(&b->accepted, key);
    struct backoff_key *e = find(b, key);
    if (e != NULL)
        drop(b, e);
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
    if (key == NULL || find(b, key) != NULL || digest_contains(&b->accepted, key))
        return;
    get(b, key)->probe_until = now + b->opts.probe_s;
}

void backoff_untried_unknown(struct backoff *b, const char *key)
{
    struct backoff_key *e = find(b, key);
    if (e == NULL || e->refusals > 0 || e->paused_until > 0.0)
        return;
    drop(b, e);
}

bool backoff_refusing(const struct backoff *b, const char *key)
{
    const struct backoff_key *e = find(b, key);
    return e != NULL && e->refusals > 0;
}
