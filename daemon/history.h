/*
 * history: `meetingd --history`, the decision record (STATE_DIR/decisions.jsonl, written by
 * record.c) read back and printed for people. Each line (of bounded length) is parsed by
 * jansson, strictly (no NUL in strings, no duplicate keys); a line it cannot read is skipped
 * and counted.
 */
#ifndef MEETINGD_HISTORY_H
#define MEETINGD_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* Lines longer than this are not read back (counted as unreadable); ours stay far below. */
#define HISTORY_LINE_MAX (1024 * 1024)

/* What --history shows. Every member is optional (NULL / 0 = no filter). */
struct history_filter {
    const char *mailbox;   /* the [mailbox NAME] exactly, or the mailbox's address (any case) */
    const char *organizer; /* an address (any case), "@domain" or glob, as util_addr_matches */
    time_t since;          /* decisions taken at or after this time */
    time_t until;          /* decisions taken before this time */
    bool json;             /* print each decision as its JSON object, one a line */
};

/*
 * Parses a --since / --until time the way journalctl reads them, relative to NOW, in local
 * time: "today", "yesterday", "tomorrow" (midnight starting that day), "-2h", "-30m", "-1d",
 * "-1h30m" (that long before NOW), "2026-12-01" (midnight starting that day),
 * "2026-12-01 09:30[:00]", or an ISO 8601 time with a zone ("2026-12-01T09:30:00Z").
 * Returns 0 and stores the time, or -1.
 */
int history_parse_when(const char *s, time_t now, time_t *out);

/* Counters of one history run. */
struct history_stats {
    size_t records;          /* readable records */
    size_t shown;            /* records that passed the filter and were printed */
    size_t unreadable;       /* non-empty lines that were skipped */
    size_t first_unreadable; /* line number (1-based) of the first of them, 0 = none */
};

/*
 * Prints the decisions of the record file PATH - its rotated day files (record_rotate.h),
 * oldest first, then PATH itself - that pass filter F (NULL = all) to OUT, one block each:
 *   2026-12-01 09:14:03Z  room0  DECLINE  "Weekly sync" by jane@contoso.com
 *       meeting 2026-12-03 10:00Z - 11:00Z, weekly every 1 week(s) on Thu from ...
 *       rule: no-externals
 *       FAIL conflicts: the room is already booked from 10:00 to 11:00 ...
 *       ok   booking_window: within the 180-day booking window
 *       response sent: "..."
 * Dry-run decisions are marked "(dry run)". A record that a later one of the same request
 * (mailbox and item_id) changed - an answer whose outcome was unknown, settled later - gets a
 * line "final outcome: sent (a later record settles it)"; the settling record says so too. With
 * F->json each decision is printed as the JSON object it was recorded as, one a line (JSON Lines,
 * for jq). Returns 0 (also when no file exists yet: then it prints "no decisions recorded yet"), or
 * -1 on a read error with a message on stderr. Unreadable lines are skipped and reported once per
 * file, on stderr.
 */
int history_print(const char *path, const struct history_filter *f, FILE *out);

/*
 * The reader behind history_print(): reads decisions.jsonl content from IN and prints
 * the matching decisions to OUT, writing nothing else (no "no decisions" line, nothing on
 * stderr). Fills *STATS if not NULL. Returns 0, or -1 when reading IN failed (ferror).
 */
int history_stream(FILE *in, const struct history_filter *f, FILE *out,
                   struct history_stats *stats);

#endif
