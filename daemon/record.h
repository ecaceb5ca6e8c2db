/*
 * record: the decision record, STATE_DIR/decisions.jsonl - the administrator's answer to "why
 * was my booking declined?".
 *
 * Every decision (also in --dry-run) is appended as one JSON object on a line of its own:
 *   {"time":"2026-12-01T09:14:03Z","mailbox":"room0","address":"room0@contoso.com",
 *    "uid":...,"item_id":...,"organizer":"jane@contoso.com","organizer_name":"Jane Doe",
 *    "subject":"Weekly sync","start":"2026-12-03T10:00:00Z","end":"2026-12-03T11:00:00Z",
 *    "recurring":true,"recurrence":"weekly every 1 week(s) on Thu from 2026-12-03, 10
 *    occurrences","decision":"decline","dry_run":false,"outcome":"sent","rule":"no-externals",
 *    "response":"...","declined_occurrences":["2026-12-10T10:00:00Z"],
 *    "checks":[{"name":"conflicts","outcome":"fail","reason":"..."}]}
 * Absent values are null. Strings are valid UTF-8 (a byte that is not part of valid UTF-8
 * becomes U+FFFD), with '"', '\\' and control characters escaped, so `jq` reads the file.
 *
 * Durability: a line is written with a single write() on an O_APPEND descriptor and then
 * fdatasync'ed. Each append is all or nothing: a write that fails or falls short, or an
 * fdatasync that fails, is taken back (the file is truncated to where it was), so a full disk
 * never leaves a torn line. A killed daemon leaves at most one partial last line, which the
 * next record_open() cuts off with a warning. Before each append the file at the path is
 * checked to still be the one open: a record file or state directory removed or replaced
 * while meetingd runs is logged at error level and the record goes on in a new file (or the
 * append fails while that cannot be created).
 *
 * Rotation: the file holds one UTC day's records; older days are renamed to
 * decisions-YYYYMMDD[-N].jsonl and removed after record_retention (record_rotate.h).
 *
 * `meetingd --history` reads the rotated files and the current one back: see history.h.
 */
#ifndef MEETINGD_RECORD_H
#define MEETINGD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "item.h"
#include "policy.h"

struct record;

/*
 * Opens the record file PATH for appending, creating it with mode 0600 if needed (an existing
 * file keeps its mode). A partial last line left by a crash is cut off (ftruncate) so that
 * the next record starts on a line of its own. Returns NULL with ERR filled on failure (also
 * when PATH is not a regular file). Close with record_close().
 */
struct record *record_open(const char *path, char *err, size_t errlen);

/* Checks that the record file is still the one open (see Durability above), reopening and
 * reporting as an append would: lets the daemon notice a removed state directory at each
 * poll, not only at the next decision. 0 (also for NULL), or -1 while no file can be had. */
int record_check(struct record *r);

/* Rotation and retention (record_rotate.h): rotated files older than RETENTION_S are removed
 * (0 = kept forever; default 90 days), and the current file is rotated before it would grow
 * past MAX_BYTES (0 = the default, 64 MiB). Removes the files already past the retention
 * (util_now()). NULL is allowed. */
void record_set_limits(struct record *r, unsigned retention_s, uint64_t max_bytes);

/* Closes the file. NULL is allowed. */
void record_close(struct record *r);

/*
 * Appends decision D as one JSON line stamped with the current time, with "dry_run" set from
 * DRY_RUN. The whole line goes out in ONE write(), followed by fdatasync(). Returns 0, or -1
 * with errno set (EINVAL for a NULL record or decision); after a short write the partial line
 * is cut off again so the file stays line-aligned.
 */
int record_append(struct record *r, const struct policy_event *d, bool dry_run);

/*
 * Group commit: between record_group_begin() and record_group_end() (which may nest), the
 * appended lines wait in memory and go out at the end in ONE write() and ONE fdatasync(),
 * all or nothing as above: a batch of answers costs one disk flush. record_group_end()
 * returns 0, or -1 with errno when the group's lines could not be written (none was).
 * NULL is allowed.
 */
void record_group_begin(struct record *r);
int record_group_end(struct record *r);

/* record_append() with an explicit decision time WHEN (tests, replays). */
int record_append_at(struct record *r, const struct policy_event *d, bool dry_run, time_t when);

/*
 * The JSON line (with its final '\n') that record_append_at() would write. Caller frees.
 */
char *record_format_line(const struct policy_event *d, bool dry_run, time_t when);

/*
 * A short English description of a recurrence, caller frees, e.g.
 *   "weekly every 1 week(s) on Mon,Wed from 2026-12-01 until 2027-03-01",
 *   "daily every 2 day(s) from 2026-12-01, 10 occurrences",
 *   "monthly every 1 month(s) on the last Friday from 2026-12-01, no end".
 */
char *record_recurrence_text(const struct item_recurrence *rec);

#endif
