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
 * fdatasync'ed, so the file is never truncated and a killed daemon leaves at most one partial
 * last line, which the next record_open() cuts off.
 *
 * `meetingd --history` reads the file back with a small strict JSON reader (bounded nesting,
 * bounded line length) and prints it readably; a line it cannot read is skipped and counted.
 */
#ifndef MEETINGD_RECORD_H
#define MEETINGD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "item.h"
#include "mailbox.h"
#include "policy.h"

/* Lines longer than this are not read back (counted as unreadable); ours stay far below. */
#define RECORD_LINE_MAX (1024 * 1024)

struct record;

/*
 * Opens the record file PATH for appending, creating it with mode 0600 if needed (an existing
 * file keeps its mode). A partial last line left by a crash is cut off (ftruncate) so that
 * the next record starts on a line of its own. Returns NULL with ERR filled on failure (also
 * when PATH is not a regular file). Close with record_close().
 */
struct record *record_open(const char *path, char *err, size_t errlen);

/* Closes the file. NULL is allowed. */
void record_close(struct record *r);

/*
 * Appends decision D as one JSON line stamped with the current time, with "dry_run" set from
 * DRY_RUN. The whole line goes out in ONE write(), followed by fdatasync(). Returns 0, or -1
 * with errno set (EINVAL for a NULL record or decision); after a short write the partial line
 * is cut off again so the file stays line-aligned.
 */
int record_append(struct record *r, const struct mailbox_decision *d, bool dry_run);

/* record_append() with an explicit decision time WHEN (tests, replays). */
int record_append_at(struct record *r, const struct mailbox_decision *d, bool dry_run, time_t when);

/*
 * The JSON line (with its final '\n') that record_append_at() would write. Caller frees.
 */
char *record_format_line(const struct mailbox_decision *d, bool dry_run, time_t when);

/*
 * Reasons of policy result R for a log line, caller frees (never NULL): the reasons of the
 * failed checks joined with "; "; if none failed, the reasons of all checks joined; "" when
 * there are no checks. Checks without a reason are skipped.
 */
char *record_reasons_text(const struct policy_result *r);

/*
 * S in double quotes for key=value log lines and terminal output, caller frees (never NULL;
 * NULL gives ""): '"' and '\\' are backslash-escaped, control characters become \n, \r, \t
 * or \xNN, and so does every byte that is not part of valid UTF-8 and every UTF-8 encoded C1
 * control (U+0080..U+009F, as \xC2\xNN). Other UTF-8 passes through unchanged.
 */
char *record_quote(const char *s);

/*
 * A short English description of a recurrence, caller frees, e.g.
 *   "weekly every 1 week(s) on Mon,Wed from 2026-12-01 until 2027-03-01",
 *   "daily every 2 day(s) from 2026-12-01, 10 occurrences",
 *   "monthly every 1 month(s) on the last Friday from 2026-12-01, no end".
 */
char *record_recurrence_text(const struct item_recurrence *rec);

/* What --history shows. Every member is optional (NULL / 0 = no filter). */
struct record_filter {
    const char *mailbox;   /* the [mailbox NAME] exactly, or the mailbox's address (any case) */
    const char *organizer; /* an address (any case), "@domain" or glob, as util_addr_matches */
    time_t since;          /* decisions taken at or after this time */
};

/* Counters of one history run. */
struct record_history_stats {
    size_t records;          /* readable records */
    size_t shown;            /* records that passed the filter and were printed */
    size_t unreadable;       /* non-empty lines that were skipped */
    size_t first_unreadable; /* line number (1-based) of the first of them, 0 = none */
};

/*
 * Prints the decisions of the record file PATH that pass filter F (NULL = all) to OUT, oldest
 * first, one block per decision:
 *   2026-12-01 09:14:03Z  room0  DECLINE  "Weekly sync" by jane@contoso.com
 *       meeting 2026-12-03 10:00Z - 11:00Z, weekly every 1 week(s) on Thu from ...
 *       rule: no-externals
 *       FAIL conflicts: the room is already booked from 10:00 to 11:00 ...
 *       ok   booking_window: within the 180-day booking window
 *       response sent: "..."
 * Dry-run decisions are marked "(dry run)". Returns 0 (also when the file does not exist
 * yet: then it prints "no decisions recorded yet"), or -1 on a read error with a message on
 * stderr. Unreadable lines are skipped and reported once, at the end, on stderr.
 */
int record_print_history(const char *path, const struct record_filter *f, FILE *out);

/*
 * The reader behind record_print_history(): reads decisions.jsonl content from IN and prints
 * the matching decisions to OUT, writing nothing else (no "no decisions" line, nothing on
 * stderr). Fills *STATS if not NULL. Returns 0, or -1 when reading IN failed (ferror).
 */
int record_history_stream(FILE *in, const struct record_filter *f, FILE *out,
                          struct record_history_stats *stats);

#endif
