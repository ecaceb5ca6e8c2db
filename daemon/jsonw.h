/*
 * jsonw: the few lines needed to write JSON safely (strings escaped per RFC 8259).
 */
#ifndef MEETINGD_JSONW_H
#define MEETINGD_JSONW_H

#include <stdio.h>
#include <time.h>

/* Writes S (NULL = null) as a JSON string: quotes, backslashes and control characters are
 * escaped, other bytes (UTF-8) pass through. */
void jsonw_string(FILE *out, const char *s);

/* Writes T as an ISO 8601 UTC string, or null when T is 0. */
void jsonw_time(FILE *out, time_t t);

#endif
