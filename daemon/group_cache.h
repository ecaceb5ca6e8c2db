/*
 * group_cache: what meetingd knows of the distribution groups in its booking lists.
 *
 * Every plain address of a booking list (book_in_policy, request_in_policy,
 * request_out_of_policy, resource_delegates, a rule's organizer) may name a distribution
 * group: the server says which when asked to expand it (EWS ExpandDL; an address that is no
 * group is remembered as such). One cache serves every mailbox, since a group has the same
 * members whoever asks. An answer is kept for the TTL and then refreshed: until the refresh
 * arrives the old members stand (a group changes rarely; a server that cannot be asked does
 * not stop every booking). A group never expanded, expanded only in part, or larger than the
 * cap once nested groups are followed, is unknown: a decision that depends on it waits.
 *
 * Asking about an unknown or stale group queues it; the mailbox then expands what is queued
 * (group_cache_next_wanted) one request at a time and decides again.
 */
#ifndef MEETINGD_GROUP_CACHE_H
#define MEETINGD_GROUP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct backend_result;
struct group_cache;

struct group_limits {
    unsigned ttl_s;       /* an expansion is refreshed after this long */
    unsigned max_members; /* a group with more (nested groups followed) is refused */
};

/* How long a failed expansion is not asked again (a later poll asks). */
#define GROUP_RETRY_S 30

struct group_cache *group_cache_new(void);
void group_cache_free(struct group_cache *gc);

/* Whether ADDRESS is a member of the group ENTRY, nested groups followed (cycles end where
 * they close): 1 yes, 0 no or ENTRY names no group, -1 not known (never expanded, expanded
 * in part, failing, or over the cap). Queues what must be expanded. */
int group_cache_member(struct group_cache *gc, const char *entry, const char *address,
                       const struct group_limits *lim, time_t now);

/* The members of the group ENTRY, nested groups followed (groups themselves left out),
 * appended to OUT (no repeats): 1, or 0 when ENTRY names no group, -1 when it is not known
 * (queued, as above). */
struct strlist;
int group_cache_members(struct group_cache *gc, const char *entry, const struct group_limits *lim,
                        time_t now, struct strlist *out);

/* The next queued address to expand (borrowed until the next call), or NULL when none is due
 * (a failure in the last GROUP_RETRY_S seconds is not asked again). */
const char *group_cache_next_wanted(struct group_cache *gc, time_t now);

/* Records the answer to the expansion of ADDRESS: its members, no group at all
 * (BACKEND_ITEM_GONE), or a failure (logged; old members, if any, stand). */
void group_cache_store(struct group_cache *gc, const char *address, const struct backend_result *r,
                       time_t now);

/* Forgets every answer (tests). */
size_t group_cache_size(const struct group_cache *gc);

#endif
