/*
 * util: the small helpers every module needs.
 *
 * - allocation that aborts on out-of-memory (the only reason meetingd ever aborts),
 * - strict parsers for the value syntaxes of the configuration and of EWS (durations,
 *   booleans, ISO 8601 times),
 * - secret files (read once, checked for safe permissions, wiped when freed),
 * - a monotonic clock, a growable string list, ASCII case-insensitive comparison and
 *   address / domain / glob matching.
 *
 * Nothing here logs: functions return 0 / -1 (or a value) and the caller decides.
 */
#ifndef MEETINGD_UTIL_H
#define MEETINGD_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#if defined(__GNUC__)
#define UTIL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define UTIL_NORETURN __attribute__((noreturn))
#else
#define UTIL_PRINTF(fmt, args)
#define UTIL_NORETURN
#endif

/* ---- allocation ------------------------------------------------------------------------- */

/* malloc / calloc / realloc / strdup / strndup that never return NULL: on out-of-memory
 * they print a message on stderr and abort(). Everything they return is freed with free().
 * xmalloc(0) and xcalloc(0, n) return a valid, freeable pointer. xcalloc and xrealloc
 * check the size multiplication / addition for overflow (which also aborts). */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray: xrealloc(ptr, nmemb * size) with the multiplication checked. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* Copies at most n bytes of s (stops at a NUL) and always terminates. */
char *xstrndup(const char *s, size_t n);
/* printf into a newly allocated string; the caller frees it. */
char *xasprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) UTIL_PRINTF(1, 0);

/* ---- value parsers ---------------------------------------------------------------------- */

/* Parses a duration: a bare number of seconds ("90"), or one or more <number><unit> groups
 * with units d, h, m, s in that (descending) order, each at most once, without spaces:
 * "30s", "5m", "2h", "1d", "1h30m", "1d12h". Zero ("0", "0s") is accepted: callers that
 * need a positive value check *seconds_out themselves. Returns 0 and stores the number of
 * seconds, or -1 (and leaves *seconds_out alone) on junk, empty input or overflow of
 * unsigned. */
int util_parse_duration(const char *s, unsigned *seconds_out);

/* Formats a duration the way util_parse_duration reads it, largest units first ("1h30m",
 * "45s", "0s"). Always NUL-terminates when len > 0; truncates if len is too small (24
 * bytes always suffice). */
void util_format_duration(unsigned seconds, char *buf, size_t len);

/* Parses yes/no, true/false, on/off, 1/0 (ASCII case-insensitive). Returns 0 or -1. */
int util_parse_bool(const char *s, bool *out);

/* ---- times: the one xs:dateTime / ISO 8601 codec -------------------------------------- */

/* Parses an ISO 8601 time (the configuration, the command line, the decision record) into
 * seconds since the epoch (UTC):
 *   "2026-12-03T10:00:00Z", "2026-12-03T10:00:00.1234567Z" (fraction truncated),
 *   "2026-12-03T11:00:00+01:00" (also "+0100" and "+01"), "2026-12-03T10:00Z" (no seconds),
 *   "2026-12-03" (midnight UTC).
 * A date and time without zone designator is taken as UTC (EWS writes UTC times).
 * Fields are range-checked (month, day of that month incl. leap years, hour 0-23, minute
 * 0-59, second 0-60). Returns 0 or -1 on anything else. */
int util_parse_time(const char *s, time_t *out);

/*
 * Strict xs:dateTime as EWS sends it: "YYYY-MM-DDTHH:MM:SS" with optional fractional seconds
 * (truncated) and a time zone "Z" or "+HH:MM"/"-HH:MM" (converted to UTC, at most 14:00). A
 * value without a time zone is rejected (a local time would silently shift meetings).
 * "24:00:00" is accepted as the end of that day; years 0001-9999. Leading/trailing XML
 * whitespace is allowed. Returns 0 and sets *out, or -1.
 */
int util_parse_xs_datetime(const char *s, time_t *out);

/* Strict xs:date ("YYYY-MM-DD", optional "Z" / "+HH:MM" suffix which is dropped): copies the
 * date part into out. Returns 0 or -1. */
int util_parse_xs_date(const char *s, char out[static 11]);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" (20 characters + NUL). Returns 0, or -1 when t is
 * outside years 1..9999 (what an xs:dateTime request may carry). */
int util_format_xs_datetime(time_t t, char buf[static 21]);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" for logs and records. Times before year 0 or after
 * 9999 are clamped to 0000-01-01T00:00:00Z / 9999-12-31T23:59:59Z. */
void util_format_time_utc(time_t t, char buf[static 21]);

/* ---- secrets ---------------------------------------------------------------------------- */

/* Reads a secret (password) file and returns its contents as a string the caller frees with
 * util_secure_free(). One trailing newline ("\n" or "\r\n") is stripped. The file must be a
 * regular file of at most 64 KiB, non-empty, without NUL bytes, and its mode must grant
 * nothing to group or others (0600, 0400 or stricter) - unless the file lies under
 * $CREDENTIALS_DIRECTORY (systemd credentials, which systemd protects itself).
 * On failure returns NULL and writes a message into err (naming the path, never the
 * contents). */
char *util_read_secret_file(const char *path, char *err, size_t errlen);

/* Overwrites the string with zeros (in a way the compiler may not optimise away), then frees
 * it. NULL is allowed. */
void util_secure_free(char *s);

/* ---- clock ------------------------------------------------------------------------------ */

/* The wall clock the daemon decides by: time(NULL). In a build with MEETINGD_TEST_CLOCK
 * (test builds), MEETINGD_TEST_NOW=<ISO 8601 time> in the environment makes it start at that
 * time when first read and advance with the real clock from there, so tests can put the
 * daemon at any time of day instead of waiting for one. Log timestamps stay real. */
time_t util_now(void);

/* Milliseconds of CLOCK_MONOTONIC: for intervals and timeouts, never for wall-clock time. */
uint64_t util_monotonic_ms(void);

/* ---- string lists ----------------------------------------------------------------------- */

/* A growable list of owned strings. Zero-initialise ({0}) before use; free with
 * strlist_free(), after which it is empty and reusable. */
struct strlist {
    char **v;
    size_t n;
};

/* Appends a copy of s. */
void strlist_add(struct strlist *l, const char *s);
/* Appends s itself: the list takes ownership (s must come from the xmalloc family). */
void strlist_add_take(struct strlist *l, char *s);
/* Frees every string and the array; leaves the list empty. */
void strlist_free(struct strlist *l);
/* True if the list holds s, compared ASCII case-insensitively. */
bool strlist_contains_ci(const struct strlist *l, const char *s);

/* ---- growable string --------------------------------------------------------------------- */

/* A string built piece by piece. Zero-initialise ({0}); strbuf_take() hands the string over
 * (never NULL) and leaves the buffer empty. p is NUL-terminated once anything was put. */
struct strbuf {
    char *p;
    size_t len, cap;
};
void strbuf_put(struct strbuf *b, const void *s, size_t n);
void strbuf_putc(struct strbuf *b, char c);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
char *strbuf_take(struct strbuf *b);

/* ---- strings and addresses -------------------------------------------------------------- */

/* strcasecmp for ASCII letters only, independent of the locale. */
int util_str_casecmp_ascii(const char *a, const char *b);
int util_str_ncasecmp_ascii(const char *a, const char *b, size_t n);

/* UTF-8 validation byte by byte, for text read in bounded pieces: zero-initialise the state,
 * feed every byte; false at the first byte that cannot continue valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). At the end of the text the input
 * was complete only if util_utf8_complete() is true. */
struct util_utf8 {
    unsigned need;        /* continuation bytes still expected */
    unsigned char lo, hi; /* range of the next continuation byte */
};
bool util_utf8_feed(struct util_utf8 *st, unsigned char c);
bool util_utf8_complete(const struct util_utf8 *st);
/* True if the n bytes at s are complete, valid UTF-8. */
bool util_utf8_valid(const char *s, size_t n);
/* The length of the valid UTF-8 sequence at S (with its code point in *CP), or 0 when S does
 * not start one. At most AVAIL bytes are read; for a NUL-terminated S pass SIZE_MAX (a NUL
 * is never a continuation byte, so reading stops there). */
size_t util_utf8_len(const unsigned char *s, size_t avail, uint32_t *cp);
/* A copy of S with every byte that is not part of valid UTF-8 replaced by U+FFFD; caller
 * frees. */
char *util_utf8_replace_invalid(const char *s);

/* True if addr looks like an e-mail address: one '@', a non-empty local part of printable
 * ASCII without spaces or any of "<>()[],;:\"\\", and a domain of letters, digits, '-' and
 * '.' with no empty label. */
bool util_addr_is_valid(const char *addr);

/* True if domain is a valid domain name as above (without the '@'). */
bool util_domain_is_valid(const char *domain);

/* Matches an address against a pattern, ASCII case-insensitively:
 *   "user@example.com"  the whole address,
 *   "@example.com"      any address whose domain is exactly example.com (not subdomains),
 *   "*@*.example.com"   a glob (fnmatch with FNM_CASEFOLD): '*' matches any run of
 *                       characters (including none, and including '@' and '.'), '?' exactly
 *                       one character; '[' is not allowed in configured patterns.
 * NULL or empty pattern / address never match. */
bool util_addr_matches(const char *pattern, const char *addr);

#endif
