/*
 * group_cache: distribution groups and their members (see group_cache.h).
 *
 * The entries are kept sorted by lower-case address (a binary search finds one); each holds
 * the group's own members as the server listed them, so that nested groups are followed at
 * lookup time through their own entries, each with its own age. A lookup first measures the
 * whole tree (every group in it known, and no more members than the cap) and only then looks
 * for the address, so that the answer never depends on where in the tree a member sits.
 */
#include "group_cache.h"

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "log.h"
#include "util.h"

enum entry_kind {
    ENTRY_UNKNOWN,   /* never expanded (or every attempt failed) */
    ENTRY_GROUP,     /* members known */
    ENTRY_NOT_GROUP, /* the server names no group so */
};

struct group_entry {
    char *address; /* lower case */
    enum entry_kind kind;
    char **members; /* lower case */
    bool *member_is_group;
    size_t n_members;
    time_t answered_at; /* the last answer (ENTRY_GROUP / ENTRY_NOT_GROUP) */
    time_t failed_at;   /* the last failure, 0 if none since the last answer */
    bool queued;
    bool over_cap_logged;
};

struct group_cache {
    struct group_entry *entries; /* sorted by address */
    size_t n, cap;
    struct strlist queue; /* addresses to expand, oldest first */
    size_t queue_pos;
};

static char *lower_dup(const char *s)
{
    char *d = xstrdup(s);
    for (char *c = d; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return d;
}

struct group_cache *group_cache_new(void)
{
    return xcalloc(1, sizeof(struct group_cache));
}

static void entry_clear_members(struct group_entry *e)
{
    for (size_t i = 0; i < e->n_members; i++)
        free(e->members[i]);
    free(e->members);
    free(e->member_is_group);
    e->members = NULL;
    e->member_is_group = NULL;
    e->n_members = 0;
}

void group_cache_free(struct group_cache *gc)
{
    if (gc == NULL)
        return;
    for (size_t i = 0; i < gc->n; i++) {
        entry_clear_members(&gc->entries[i]);
        free(gc->entries[i].address);
    }
    free(gc->entries);
    strlist_free(&gc->queue);
    free(gc);
}

size_t group_cache_size(const struct group_cache *gc)
{
    return gc->n;
}

/* The entry of ADDRESS (any case); with CREATE a new unknown one when there is none. */
static struct group_entry *entry_of(struct group_cache *gc, const char *address, bool create)
{
    size_t lo = 0, hi = gc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = util_str_casecmp_ascii(gc->entries[mid].address, address);
        if (c == 0)
            return &gc->entries[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!create)
        return NULL;
    if (gc->n == gc->cap) {
        gc->cap = gc->cap ? gc->cap * 2 : 16;
        gc->entries = xreallocarray(gc->entries, gc->cap, sizeof(*gc->entries));
    }
    memmove(&gc->entries[lo + 1], &gc->entries[lo], (gc->n - lo) * sizeof(*gc->entries));
    gc->entries[lo] = (struct group_entry){.address = lower_dup(address)};
    gc->n++;
    return &gc->entries[lo];
}

static void want(struct group_cache *gc, struct group_entry *e)
{
    if (e->queued)
        return;
    e->queued = true;
    strlist_add(&gc->queue, e->address);
}

/* An entry a lookup reads: queued when it is unknown or its answer is older than the TTL.
 * Returns its kind. */
static enum entry_kind look(struct group_cache *gc, struct group_entry *e,
                            const struct group_limits *lim, time_t now)
{
    if (e->kind == ENTRY_UNKNOWN || now - e->answered_at >= (time_t)lim->ttl_s)
        want(gc, e);
    return e->kind;
}

/* The walk over one group's tree: the groups seen (cycles), members counted. */
struct walk {
    struct group_cache *gc;
    const struct group_limits *lim;
    time_t now;
    struct strlist seen;
    size_t members;
    bool unknown;
};

/* Measures the tree under ADDRESS: whether every group in it is known, how many members. */
static void measure(struct walk *w, const char *address)
{
    if (strlist_contains_ci(&w->seen, address))
        return;
    strlist_add(&w->seen, address);
    struct group_entry *e = entry_of(w->gc, address, true);
    enum entry_kind kind = look(w->gc, e, w->lim, w->now);
    if (kind == ENTRY_UNKNOWN) {
        w->unknown = true;
        return;
    }
    if (kind == ENTRY_NOT_GROUP)
        return;
    w->members += e->n_members;
    /* The array may move when a nested group gets its entry: copy what the loop needs. */
    size_t n = e->n_members;
    char **members = e->members;
    bool *is_group = e->member_is_group;
    for (size_t i = 0; i < n && !w->unknown; i++) {
        if (is_group[i]) {
            char *nested = xstrdup(members[i]);
            measure(w, nested);
            free(nested);
            e = entry_of(w->gc, address, false);
            members = e->members;
            is_group = e->member_is_group;
        }
    }
}

/* Calls FN for every member (not a group) of GROUP's tree, each group once, until FN returns
 * true; returns whether it did. After measure(): every group of the tree has its entry,
 * nothing moves any more. */
static bool visit(struct group_cache *gc, const char *group, struct strlist *seen,
                  bool (*fn)(const char *member, void *ud), void *ud)
{
    if (strlist_contains_ci(seen, group))
        return false;
    strlist_add(seen, group);
    const struct group_entry *e = entry_of(gc, group, false);
    if (e == NULL || e->kind != ENTRY_GROUP)
        return false;
    for (size_t i = 0; i < e->n_members; i++)
        if (!e->member_is_group[i] && fn(e->members[i], ud))
            return true;
    for (size_t i = 0; i < e->n_members; i++)
        if (e->member_is_group[i] && visit(gc, e->members[i], seen, fn, ud))
            return true;
    return false;
}

static bool is_address(const char *member, void *address)
{
    return util_str_casecmp_ascii(member, address) == 0;
}

static bool add_member(const char *member, void *list)
{
    if (!strlist_contains_ci(list, member))
        strlist_add(list, member);
    return false;
}

/* Whether ENTRY's tree is known and within the cap: 1 a group, 0 no group, -1 unknown. */
static int usable(struct group_cache *gc, const char *entry, const struct group_limits *lim,
                  time_t now)
{
    struct walk w = {.gc = gc, .lim = lim, .now = now};
    measure(&w, entry);
    strlist_free(&w.seen);
    if (w.unknown)
        return -1;
    struct group_entry *e = entry_of(gc, entry, false);
    if (e->kind == ENTRY_NOT_GROUP)
        return 0;
    if (w.members > lim->max_members) {
        if (!e->over_cap_logged)
            log_error("distribution group %s has more than %u members (group_max_members) with "
                      "its nested groups; requests that depend on it wait",
                      e->address, lim->max_members);
        e->over_cap_logged = true;
        return -1;
    }
    e->over_cap_logged = false;
    return 1;
}

int group_cache_member(struct group_cache *gc, const char *entry, const char *address,
                       const struct group_limits *lim, time_t now)
{
    int kind = usable(gc, entry, lim, now);
    if (kind <= 0)
        return kind;
    struct strlist seen = {0};
    bool found = visit(gc, entry, &seen, is_address, (void *)address);
    strlist_free(&seen);
    return found ? 1 : 0;
}

int group_cache_members(struct group_cache *gc, const char *entry, const struct group_limits *lim,
                        time_t now, struct strlist *out)
{
    int kind = usable(gc, entry, lim, now);
    if (kind <= 0)
        return kind;
    struct strlist seen = {0};
    visit(gc, entry, &seen, add_member, out);
    strlist_free(&seen);
    return 1;
}

const char *group_cache_next_wanted(struct group_cache *gc, time_t now)
{
    while (gc->queue_pos < gc->queue.n) {
        const char *address = gc->queue.v[gc->queue_pos++];
        struct group_entry *e = entry_of(gc, address, false);
        if (e == NULL)
            continue;
        e->queued = false;
        if (e->failed_at != 0 && now - e->failed_at < GROUP_RETRY_S)
            continue;
        return e->address;
    }
    strlist_free(&gc->queue);
    gc->queue_pos = 0;
    return NULL;
}

static void store_members(struct group_entry *e, const struct backend_result *r)
{
    entry_clear_members(e);
    e->members = xcalloc(r->n_members ? r->n_members : 1, sizeof(*e->members));
    e->member_is_group = xcalloc(r->n_members ? r->n_members : 1, sizeof(*e->member_is_group));
    for (size_t i = 0; i < r->n_members; i++) {
        e->members[i] = lower_dup(r->members[i].address);
        e->member_is_group[i] = r->members[i].is_group;
    }
    e->n_members = r->n_members;
}

void group_cache_store(struct group_cache *gc, const char *address, const struct backend_result *r,
                       time_t now)
{
    struct group_entry *e = entry_of(gc, address, true);
    const char *why = NULL;
    if (r->status == BACKEND_ITEM_GONE) {
        if (e->kind == ENTRY_GROUP)
            log_notice("%s is no longer a distribution group", e->address);
        entry_clear_members(e);
        e->kind = ENTRY_NOT_GROUP;
    } else if (r->status != BACKEND_OK) {
        why = r->error ? r->error : backend_status_name(r->status);
    } else if (!r->members_complete) {
        why = "the server listed only part of its members";
    } else {
        if (e->kind != ENTRY_GROUP)
            log_info("distribution group %s: %zu member(s)", e->address, r->n_members);
        store_members(e, r);
        e->kind = ENTRY_GROUP;
    }
    if (why != NULL) {
        e->failed_at = now;
        log_warn("expanding %s (a distribution group?) failed: %s; %s", e->address, why,
                 e->kind == ENTRY_UNKNOWN ? "requests that depend on it wait"
                                          : "its members as last known stand");
        return;
    }
    e->failed_at = 0;
    e->answered_at = now;
}
