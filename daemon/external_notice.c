/*
 * external_notice: once-a-day notices of ignored external requests (see external_notice.h).
 *
 * The pairs seen today live in an open-addressing hash set of their hashes; a new day
 * empties it. A full set is emptied too: the cost is one repeated notice, never a lost one.
 */
#include "external_notice.h"

#include <stdint.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define SLOTS 8192u /* a power of two; at most 3/4 used */

static struct {
    long day; /* local day the set is for */
    unsigned used;
    uint64_t slot[SLOTS]; /* 0 = empty */
} seen = {.day = -1};

static uint64_t fnv1a(uint64_t h, const char *s, bool fold)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (fold && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

static long local_day(time_t now)
{
    struct tm tm;
    localtime_r(&now, &tm);
    return (long)(tm.tm_year + 1900) * 400 + tm.tm_yday;
}

bool external_notice_due(const char *mailbox, const char *organizer, time_t now)
{
    long day = local_day(now);
    if (day != seen.day || seen.used >= SLOTS / 4 * 3) {
        memset(seen.slot, 0, sizeof(seen.slot));
        seen.used = 0;
        seen.day = day;
    }
    uint64_t h = fnv1a(fnv1a(14695981039346656037ull, mailbox, false), "\n", false);
    h = fnv1a(h, organizer, true);
    if (h == 0)
        h = 1;
    for (unsigned i = (unsigned)h & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        if (seen.slot[i] == h)
            return false;
        if (seen.slot[i] == 0) {
            seen.slot[i] = h;
            seen.used++;
            return true;
        }
    }
}

void external_notice_log(const char *mailbox, const struct item *req,
                         const struct policy_result *result, time_t now)
{
    if (!result->external_ignored)
        return;
    const char *org = req->organizer.address && *req->organizer.address ? req->organizer.address
                      : req->from.address && *req->from.address         ? req->from.address
                      : req->sender.address                             ? req->sender.address
                                                                        : "an unknown organizer";
    if (!external_notice_due(mailbox, org, now))
        return;
    log_notice("mailbox %s: requests from %s are left unanswered: the organizer is outside the "
               "internal domains and process_external_meeting_messages = no (said once a day per "
               "organizer)",
               mailbox, org);
}
