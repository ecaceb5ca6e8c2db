/*
 * record_rotate: the decision record's rotation and retention. The current file
 * (STATE_DIR/decisions.jsonl) holds the records of one UTC day: when a record of a later (or
 * earlier) day comes, or the file would grow past a size bound, it is renamed to
 * decisions-YYYYMMDD.jsonl (the day of its first record; decisions-YYYYMMDD-N.jsonl when that
 * name is taken) and the directory fsync'ed. Rotated files whose day lies wholly before
 * now - retention are removed (not compressed), one info line each.
 */
#ifndef MEETINGD_RECORD_ROTATE_H
#define MEETINGD_RECORD_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The size bound of the current file unless set otherwise (record_set_limits). */
#define RECORD_MAX_BYTES_DEFAULT ((uint64_t)64 * 1024 * 1024)

/* The UTC day (YYYYMMDD) of the first record of the open file FD of SIZE bytes: 0 and *DAY
 * set, or -1 when the file is empty or does not start with a record's "time". */
int record_first_day(int fd, off_t size, int *day);

/* The UTC day (YYYYMMDD) of WHEN. */
int record_day_of(time_t when);

/* Renames the record file PATH, whose first record is of DAY, to its rotated name and
 * fsyncs the directory. 0, or -1 with errno set (nothing renamed). */
int record_rotate_file(const char *path, int day);

/* Removes the rotated files of PATH whose day ended before NOW - RETENTION_S (0 = keep
 * forever), logging each removal at info level. */
void record_prune(const char *path, time_t now, unsigned retention_s);

/* The rotated files of PATH, oldest first, NULL-terminated (caller frees with
 * record_rotated_free). Never NULL; empty when the directory cannot be read. */
char **record_rotated_list(const char *path);
void record_rotated_free(char **list);

#endif
