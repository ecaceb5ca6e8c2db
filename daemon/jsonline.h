/*
 * jsonline: one JSON object written straight into a growing buffer, for the decision
 * record's lines (record.c), which are written once per decision on the answering path.
 *
 * Building jansson values and dumping them cost some 100,000 instructions a line (a value
 * and an allocation per member, then an escaping pass through a callback); writing the text
 * directly costs a few thousand. The text is byte for byte what jansson writes with
 * JSON_COMPACT for the same values (members in the order written, "," and ":" without
 * spaces, the same escapes), so readers (history.c, meetingctl, jq) see no difference; the
 * unit test holds the two side by side.
 *
 * Strings are made valid UTF-8 first as jsonval_string() does (every byte that is not part
 * of valid UTF-8 becomes U+FFFD); NULL strings and zero times are written as null.
 */
#ifndef MEETINGD_JSONLINE_H
#define MEETINGD_JSONLINE_H

#include <stdbool.h>
#include <time.h>

#include "util.h"

#define JSONLINE_MAX_DEPTH 8

/* Zero-initialise ({0}); jsonline_take() hands the text over. */
struct jsonline {
    struct strbuf text;
    unsigned depth;
    bool has_member[JSONLINE_MAX_DEPTH]; /* per open container: a "," goes before the next */
};

/* Containers: begin/end an object or array. A member of an object is a key followed by
 * exactly one value (a string, time, boolean or container). */
void jsonline_object_begin(struct jsonline *j);
void jsonline_object_end(struct jsonline *j);
void jsonline_array_begin(struct jsonline *j);
void jsonline_array_end(struct jsonline *j);
void jsonline_key(struct jsonline *j, const char *key);

void jsonline_string(struct jsonline *j, const char *s);
void jsonline_time(struct jsonline *j, time_t t); /* "2026-12-01T09:14:03Z", null for 0 */
void jsonline_bool(struct jsonline *j, bool v);

/* The text (never NULL), with "\n" appended when NEWLINE; the writer is left empty. */
char *jsonline_take(struct jsonline *j, bool newline);

#endif
