/*
 * jsonw: the few lines needed to write JSON safely (RFC 8259), for meetingctl's --json output
 * and the decision record (record.c, which builds its line in a memory stream).
 */
#ifndef MEETINGD_JSONW_H
#define MEETINGD_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Writes S (NULL = null) as a JSON string that every reader accepts: '"' and '\\' are
 * backslash-escaped, control characters (U+0000..U+001F and U+007F) are written as \u00XX,
 * every byte that is not part of valid UTF-8 becomes U+FFFD, other UTF-8 passes through. */
void jsonw_string(FILE *out, const char *s);

/* Writes T as an ISO 8601 UTC string, or null when T is 0. */
void jsonw_time(FILE *out, time_t t);

/* The length of the valid UTF-8 sequence at S (with its code point in *CP), or 0 when S does
 * not start one: overlong forms, surrogates and code points above U+10FFFF are not valid. At
 * most AVAIL bytes are read; for a NUL-terminated S pass SIZE_MAX (a NUL is never a
 * continuation byte, so reading stops there). JSON text is UTF-8, hence its place here. */
size_t jsonw_utf8_len(const unsigned char *s, size_t avail, uint32_t *cp);

#endif
