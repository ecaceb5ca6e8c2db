/*
 * mailbox_series: recurring series on servers whose CalendarView does not expand them (see
 * mailbox_int.h).
 *
 * Exchange's CalendarView lists every occurrence in the window, and puts a request's own
 * occurrences on the calendar when it arrives. grommunio Gromox 3.10 does neither: its view
 * returns a series' master, and only when the window holds the series' first occurrence
 * (the master's own start and end), so a weekly booking that began last month is not in a
 * view of next Tuesday at all. For the conflict checks meetingd then expands on its side:
 *
 *   - the calendar's series: the calendar folder is listed (STEP_MASTERS, once per poll,
 *     a series is its master there, with its recurrence), and every master's occurrences
 *     in the view's window take the master's place among the calendar items;
 *   - the request's own series: its occurrences come from its recurrence when the calendar
 *     holds none of them.
 *
 * Whether a server expands is learned from its views (capability.h): an occurrence in a view
 * says it does (nothing more is listed for that server), a master says it does not, and so
 * does a series the listing shows overlapping a view that held nothing of it. A batch's view
 * (mailbox_batch.c) is judged the same way before its requests are decided together.
 */
#include <stdlib.h>
#include <string.h>

#include "capability.h"
#include "log.h"
#include "mailbox_int.h"
#include "policy_time.h"
#include "recurrence.h"
#include "winzone.h"

#define MAX_EXPANDED 1000 /* occurrences of one series in one window */

static const char *server_of(const struct mailbox *m)
{
    return m->poll->backend->keys[BACKEND_SCOPE_SERVER];
}

/* The IANA zone a series' t:StartTimeZone (Windows or IANA id) names, NULL when it names
 * none this host knows; borrowed. The last answer is kept: a poll asks for the same few zones
 * again. */
static const char *named_zone(const struct item *series)
{
    static char *asked, *answer;
    const char *id = series->start_time_zone_id;
    if (id == NULL)
        return NULL;
    if (asked == NULL || strcmp(asked, id) != 0) {
        free(asked);
        free(answer);
        asked = xstrdup(id);
        answer = zone_resolve(id);
        if (answer == NULL)
            log_debug("series time zone '%.100s' is not known here: the policy's zone is used", id);
    }
    return answer;
}

/* The zone SERIES keeps its wall-clock time in: its own; else (grommunio Gromox sends a
 * meeting request without t:StartTimeZone) the zone the policy reads times in, the room's
 * own, which the organizer's usually is. */
static const char *series_zone(const struct mailbox *m, const struct item *series)
{
    const char *zone = named_zone(series);
    if (zone == NULL)
        zone = m->poll->policy->time_zone;
    return zone != NULL ? zone : RECURRENCE_HOST_ZONE;
}

/* SERIES' occurrences overlapping [FROM, TO), at most MAX (recurrence_expand()). */
static size_t expand(const struct mailbox *m, const struct item *series, time_t from, time_t to,
                     size_t max, struct policy_occurrence **occ)
{
    return recurrence_expand(series->recurrence, series_zone(m, series), series->start, series->end,
                             from, to, max, occ, NULL);
}

static bool same_uid(const struct item *a, const char *uid)
{
    return a->uid != NULL && uid != NULL && strcmp(a->uid, uid) == 0;
}

static bool is_instance(const struct item *c)
{
    return c->calendar_item_type == CAL_OCCURRENCE || c->calendar_item_type == CAL_EXCEPTION;
}

static const char EXPANDS_ITSELF[] =
    "meetingd expands recurring series from their recurrence for the conflict checks";

/* What a view itself shows of the server. */
static void learn_from_view(struct mailbox *m, const struct item *const *view, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct item *c = view[i];
        if (is_instance(c))
            capability_learn(server_of(m), CAP_VIEW_EXPANDS, CAP_YES, NULL);
        else if (c->calendar_item_type == CAL_RECURRING_MASTER)
            capability_learn(server_of(m), CAP_VIEW_EXPANDS, CAP_NO, EXPANDS_ITSELF);
    }
}

static void copy_mailbox(struct item_mailbox *to, const struct item_mailbox *from)
{
    to->name = from->name ? xstrdup(from->name) : NULL;
    to->address = from->address ? xstrdup(from->address) : NULL;
}

/* One occurrence of MASTER as a calendar item of its own, with what the policy reads. */
static struct item *occurrence_of(const struct item *master, time_t start, time_t end)
{
    struct item *o = item_new();
    o->kind = master->kind;
    o->id.id = master->id.id ? xstrdup(master->id.id) : NULL;
    o->subject = master->subject ? xstrdup(master->subject) : NULL;
    o->uid = master->uid ? xstrdup(master->uid) : NULL;
    copy_mailbox(&o->organizer, &master->organizer);
    o->start = start;
    o->end = end;
    o->is_recurring = true;
    o->is_cancelled = master->is_cancelled;
    o->is_meeting = master->is_meeting;
    o->my_response = master->my_response;
    o->legacy_free_busy = master->legacy_free_busy;
    o->calendar_item_type = CAL_OCCURRENCE;
    return o;
}

static void add_calendar_item(struct mailbox_work *w, struct item *it)
{
    w->calendar = xreallocarray(w->calendar, w->n_calendar + 1, sizeof(*w->calendar));
    w->calendar[w->n_calendar++] = it;
}

/* Whether occurrence START of MASTER was deleted, or moved (then *S, *E say where to). */
static bool deleted_or_moved(const struct item *master, time_t *s, time_t *e)
{
    for (size_t i = 0; i < master->n_deleted_occurrences; i++)
        if (master->deleted_occurrences[i] == *s)
            return true;
    for (size_t i = 0; i < master->n_modified_occurrences; i++) {
        const struct item_occurrence *mo = &master->modified_occurrences[i];
        if (mo->original_start == *s && mo->end > mo->start) {
            *s = mo->start;
            *e = mo->end;
        }
    }
    return false;
}

/* MASTER's occurrences in the view's window replace what the view held of it (at most the
 * master itself); a view that held instances of it was expanded by the server already. */
static void expand_master(struct mailbox *m, const struct item *master)
{
    struct mailbox_work *w = m->poll->work;
    bool listed = false;
    for (size_t i = 0; i < w->n_calendar; i++)
        if (same_uid(w->calendar[i], master->uid) && is_instance(w->calendar[i]))
            return;
    for (size_t i = 0; i < w->n_calendar;) {
        if (same_uid(w->calendar[i], master->uid)) {
            listed = true;
            item_free(w->calendar[i]);
            w->calendar[i] = w->calendar[--w->n_calendar];
        } else {
            i++;
        }
    }
    struct policy_occurrence *occ = NULL;
    size_t n = expand(m, master, w->view_start, w->view_end, MAX_EXPANDED, &occ);
    for (size_t i = 0; i < n; i++) {
        time_t s = occ[i].start, e = occ[i].end;
        if (!deleted_or_moved(master, &s, &e))
            add_calendar_item(w, occurrence_of(master, s, e));
    }
    free(occ);
    if (n > 0 && !listed)
        capability_learn(server_of(m), CAP_VIEW_EXPANDS, CAP_NO, EXPANDS_ITSELF);
}

static void expand_masters(struct mailbox *m)
{
    const struct mailbox_poll *p = m->poll;
    const struct item *req = p->work->item;
    for (size_t i = 0; i < p->n_masters; i++)
        if (!same_uid(p->masters[i], req->uid)) /* the request's own: see series_context */
            expand_master(m, p->masters[i]);
}

/* Whether the calendar's series are worth listing: the server can list them, and the policy
 * checks conflicts (a policy that decides without the calendar reads the view only for the
 * request's own calendar item). */
static bool series_matter(const struct mailbox_poll *p)
{
    return p->backend->ops->list_calendar != NULL && policy_needs_calendar(p->policy);
}

bool mailbox_series_pending(struct mailbox *m)
{
    struct mailbox_poll *p = m->poll;
    const struct mailbox_work *w = p->work;
    learn_from_view(m, (const struct item *const *)w->calendar, w->n_calendar);
    if (!series_matter(p) || capability_get(server_of(m), CAP_VIEW_EXPANDS) == CAP_YES)
        return false;
    if (p->masters_listed) {
        expand_masters(m);
        return false;
    }
    MAILBOX_SEND(m, STEP_MASTERS, "FindItem", list_calendar, 0);
    return true;
}

/* The listing is complete (or cannot be had): the batch or the item that asked goes on. */
static void masters_done(struct mailbox *m, bool expand)
{
    struct mailbox_poll *p = m->poll;
    p->masters_listed = true;
    if (p->listing_for_batch) {
        p->listing_for_batch = false;
        mailbox_batch_series_listed(m);
        return;
    }
    if (expand)
        expand_masters(m);
    mailbox_calendar_ready(m);
}

void mailbox_after_masters(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_poll *p = m->poll;
    if (r->status != BACKEND_OK && !backend_throttled(r) && r->status != BACKEND_TRANSPORT &&
        r->status != BACKEND_SERVER && !mailbox_failure_mailbox_wide(r)) {
        /* An answer that cannot be used (it would be the same next time): the view alone is
         * checked, and the reasons count only what it listed. */
        log_warn("mailbox %s: the calendar's recurring series cannot be listed (%s); conflicts "
                 "are checked against the calendar view alone",
                 m->name, mailbox_reason(r));
        masters_done(m, false);
        return;
    }
    if (r->status != BACKEND_OK) {
        mailbox_poll_fail(m, "FindItem (the calendar's series)", r);
        return;
    }
    for (size_t i = 0; i < r->n_items; i++) {
        struct item *it = &r->items[i];
        if (it->recurrence == NULL || it->calendar_item_type != CAL_RECURRING_MASTER)
            continue;
        struct item *master = item_new();
        *master = *it; /* moved: the result's copy is emptied */
        item_init(it);
        p->masters = xreallocarray(p->masters, p->n_masters + 1, sizeof(*p->masters));
        p->masters[p->n_masters++] = master;
    }
    if (r->more) {
        MAILBOX_SEND(m, STEP_MASTERS, "FindItem", list_calendar, r->next_offset);
        return;
    }
    masters_done(m, true);
}

bool mailbox_series_batch_listing(struct mailbox *m, const struct item *const *view, size_t n)
{
    struct mailbox_poll *p = m->poll;
    learn_from_view(m, view, n);
    if (!series_matter(p) || p->masters_listed ||
        capability_get(server_of(m), CAP_VIEW_EXPANDS) != CAP_UNKNOWN)
        return false;
    p->listing_for_batch = true;
    MAILBOX_SEND(m, STEP_MASTERS, "FindItem", list_calendar, 0);
    return true;
}

bool mailbox_series_view_whole(struct mailbox *m, const struct item *const *view, size_t n,
                               time_t start, time_t end)
{
    const struct mailbox_poll *p = m->poll;
    for (size_t i = 0; i < p->n_masters; i++) {
        const struct item *master = p->masters[i];
        bool instances = false;
        for (size_t k = 0; k < n && !instances; k++)
            instances = same_uid(view[k], master->uid) && is_instance(view[k]);
        if (instances) {
            capability_learn(server_of(m), CAP_VIEW_EXPANDS, CAP_YES, NULL);
            continue;
        }
        struct policy_occurrence *occ = NULL;
        size_t in_view = expand(m, master, start, end, 1, &occ);
        free(occ);
        if (in_view > 0) /* a series the view should have shown and did not */
            capability_learn(server_of(m), CAP_VIEW_EXPANDS, CAP_NO, EXPANDS_ITSELF);
    }
    return capability_get(server_of(m), CAP_VIEW_EXPANDS) != CAP_NO;
}

void mailbox_series_context(struct mailbox *m, struct mailbox_work *w, struct policy_context *ctx)
{
    const struct item *req = w->item;
    policy_time_series(req, ctx->calendar, ctx->n_calendar, ctx, &w->occurrences);
    if (req->recurrence == NULL)
        return;
    for (size_t i = 0; i < ctx->n_calendar; i++)
        if (same_uid(ctx->calendar[i], req->uid) && is_instance(ctx->calendar[i]))
            return; /* the server listed the request's occurrences */
    struct policy_occurrence *occ = NULL;
    time_t until = w->view_end > req->end ? w->view_end : req->end;
    size_t n = expand(m, req, req->start, until, MAX_EXPANDED, &occ);
    if (n == 0) {
        free(occ);
        return;
    }
    /* The occurrences as the request's own calendar items, for policy_time_series. */
    struct item *own = xcalloc(n, sizeof(*own));
    const struct item **ptrs = xcalloc(n, sizeof(*ptrs));
    for (size_t i = 0; i < n; i++) {
        item_init(&own[i]);
        own[i].uid = req->uid;
        own[i].start = occ[i].start;
        own[i].end = occ[i].end;
        ptrs[i] = &own[i];
    }
    free(w->occurrences);
    w->occurrences = NULL;
    const struct item *const *cal = ctx->calendar;
    size_t n_cal = ctx->n_calendar;
    policy_time_series(req, ptrs, n, ctx, &w->occurrences);
    ctx->calendar = cal; /* unchanged: policy_time_series sets the occurrences only */
    ctx->n_calendar = n_cal;
    ctx->occurrences_from_recurrence = true;
    log_debug("mailbox %s: \"%s\": %zu occurrence(s) from its recurrence", m->name,
              req->subject ? req->subject : "", n);
    free(ptrs);
    free(own); /* the strings are the request's: nothing else to free */
    free(occ);
}
