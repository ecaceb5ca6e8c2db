/*
 * jsonval: the values meetingd writes as JSON, made into jansson values (jansson writes and
 * reads all of meetingd's JSON: the decision record, --history, meetingctl --json).
 *
 * jansson takes only valid UTF-8; text from a server or a file may not be, so strings go
 * through jsonval_string(), which replaces every byte that is not part of valid UTF-8 with
 * U+FFFD instead of losing the value.
 */
#ifndef MEETINGD_JSONVAL_H
#define MEETINGD_JSONVAL_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

/* S as a new JSON string (invalid UTF-8 bytes replaced by U+FFFD), null for NULL. */
json_t *jsonval_string(const char *s);

/* T as a new ISO 8601 UTC string ("2026-12-01T09:14:03Z"), null for 0. */
json_t *jsonval_time(time_t t);

/* Writes V compactly to OUT and drops the reference (V may be NULL: nothing is written).
 * Returns 0 or -1. */
int jsonval_print_take(json_t *v, FILE *out);

#endif
