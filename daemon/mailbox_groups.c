/*
 * mailbox_groups: distribution groups in the decision of one item (see mailbox_int.h and
 * group_cache.h).
 *
 * The policy asks the shared group cache whether the organizer belongs to a group of a
 * list. When it needed a group whose members are not known (or no longer fresh), the
 * decision is not carried out: the mailbox expands the groups the cache queued, one ExpandDL
 * after the other, and decides again. A group that cannot be expanded now leaves the request
 * unanswered and unrecorded, for a later poll: a request is never accepted or declined on a
 * guess about who is in a group.
 */
#include <stdlib.h>

#include "group_cache.h"
#include "log.h"
#include "mailbox_int.h"

static const char *subject_of(const struct mailbox *m)
{
    const struct item *it = m->poll->work->item;
    return it->subject ? it->subject : "";
}

static struct group_limits limits_of(const struct mailbox *m)
{
    const struct conf_daemon *d = &m->poll->conf->conf->daemon;
    return (struct group_limits){d->group_cache_ttl_s, d->group_max_members};
}

static int group_member(void *groups, const char *entry, const char *address)
{
    struct mailbox *m = groups;
    struct group_limits lim = limits_of(m);
    return group_cache_member(m->env.groups, entry, address, &lim, util_now());
}

/* Whether list entries may be groups: a cache, a backend that can expand them, and
 * expand_groups on. Otherwise every entry is the address it says. */
static bool groups_on(const struct mailbox *m)
{
    return m->env.groups != NULL && m->poll->backend->ops->expand_group != NULL &&
           m->poll->conf->conf->daemon.expand_groups;
}

bool mailbox_people_of(struct mailbox *m, const struct strlist *entries, struct strlist *out)
{
    struct group_limits lim = limits_of(m);
    bool groups = groups_on(m);
    bool unknown = false;
    for (size_t i = 0; i < entries->n; i++) {
        int kind =
            groups ? group_cache_members(m->env.groups, entries->v[i], &lim, util_now(), out) : 0;
        unknown |= kind < 0;
        if (kind <= 0 && !strlist_contains_ci(out, entries->v[i]))
            strlist_add(out, entries->v[i]);
    }
    return unknown;
}

void mailbox_groups_context(struct mailbox *m, struct policy_context *ctx)
{
    if (!groups_on(m))
        return;
    ctx->group_member = group_member;
    ctx->groups = m;
}

bool mailbox_groups_pending(struct mailbox *m)
{
    struct mailbox_work *w = m->poll->work;
    if (!w->result.groups_unknown)
        return false;
    const char *group = m->stopping ? NULL : group_cache_next_wanted(m->env.groups, util_now());
    if (group == NULL) {
        log_notice("mailbox %s: \"%s\" depends on a distribution group whose members are not "
                   "known; it is decided at a later poll",
                   m->name, subject_of(m));
        mailbox_item_finished(m);
        return true;
    }
    /* A copy: the cache's may move while the request runs. */
    free(w->expanding);
    w->expanding = xstrdup(group);
    log_debug("mailbox %s: expanding %s for \"%s\"", m->name, w->expanding, subject_of(m));
    MAILBOX_SEND(m, STEP_EXPAND_GROUP, "ExpandDL", expand_group, w->expanding);
    return true;
}

void mailbox_after_expand_group(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_work *w = m->poll->work;
    group_cache_store(m->env.groups, w->expanding, r, util_now());
    if (r->status != BACKEND_OK && backend_throttled(r)) {
        mailbox_poll_fail(m, "ExpandDL", r);
        return;
    }
    /* Decide again from the start: the result, and the occurrences it was built on. */
    policy_result_clear(&w->result);
    w->have_result = false;
    free(w->occurrences);
    w->occurrences = NULL;
    mailbox_decide(m);
}
