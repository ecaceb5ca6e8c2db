/*
 * log: leveled log lines on stderr, journald-friendly.
 *
 * Every message becomes exactly one line, written with a single write(2):
 *   - when stderr is connected to the systemd journal ($JOURNAL_STREAM names stderr's
 *     device:inode), the line starts with the syslog priority "<N>" (sd-daemon(3) style) and
 *     carries no timestamp - the journal adds its own and takes the priority from the prefix;
 *   - otherwise "2026-12-03T10:00:00.123Z meetingd[1234]: warning: message".
 * Control characters in messages (a meeting subject may contain a newline) are escaped as
 * \n, \r, \t or \xNN so that one message can never forge a second line. Lines are capped at
 * 8 KiB (longer messages are cut and end in "...").
 *
 * Logging works before log_init() (ident "meetingd", level info, journal detection on).
 * errno is preserved by every function here. Not thread-safe: meetingd is single-threaded.
 */
#ifndef MEETINGD_LOG_H
#define MEETINGD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "util.h"

#if defined(__GNUC__)
#define LOG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define LOG_PRINTF(fmt, args)
/*
 * S for a terminal or a key=value log line, appended to B: nothing in it can start a new line,
 * move the cursor or switch the terminal's mode. Control characters become \n, \r, \t or
 * \xNN, and so does every byte that is not part of valid UTF-8 and every UTF-8 encoded C1
 * control (U+0080..U+009F, as \xC2\xNN); other UTF-8 passes through. With QUOTED, '"' and
 * '\\' are backslash-escaped and S is put in double quotes. NULL is "".
 */
void log_put_display(struct strbuf *b, const char *s, bool quoted);

/* log_put_display(S, quoted) as a new string, caller frees (never NULL). */
char *log_quote(const char *s);

struct policy_event;
/* Logs decision E at notice: "decision mailbox=... organizer=... subject="..." start=...
 * decision=... [dry_run=yes] outcome=... reasons="..."". */
void log_decision(const struct policy_event *e, bool dry_run);

#endif

/* Ordered from most to least severe; a message is written when its level <= the current
 * level. The names avoid <syslog.h>'s LOG_ERR... macros. */
enum log_level {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARNING,
    LOG_LEVEL_NOTICE,
    LOG_LEVEL_INFO,
    LOG_LEVEL_DEBUG,
};

/* Sets the identifier written on timestamped lines (copied; NULL keeps the current one),
 * the level, and whether journal prefixes may be used: with to_journal true the "<N>"
 * format is used when $JOURNAL_STREAM shows that stderr is the journal; with false lines
 * are always timestamped. May be called again (e.g. after a reload). */
void log_init(const char *ident, enum log_level level, bool to_journal);

/* Changes the level (e.g. from the configuration after a reload). */
void log_set_level(enum log_level level);

/* True if a message at this level would be written: lets callers skip costly formatting. */
bool log_level_enabled(enum log_level level);

/* True if lines currently go out in the journal ("<N>") format. */
bool log_to_journal(void);

/* "error", "warning", "notice", "info", "debug" ("unknown" for out-of-range values). */
const char *log_level_name(enum log_level level);

/* The syslog priority of a level (3 error ... 7 debug), as used in the "<N>" prefix. */
int log_level_priority(enum log_level level);

/* Writes one message at a level. */
void log_msg(enum log_level level, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_vmsg(enum log_level level, const char *fmt, va_list ap) LOG_PRINTF(2, 0);

/* Same, followed by ": " and strerror(errnum). errnum is passed explicitly because
 * formatting the arguments may itself change errno. */
void log_msg_errno(enum log_level level, int errnum, const char *fmt, ...) LOG_PRINTF(3, 4);

void log_error(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_notice(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);

void log_error_errno(int errnum, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_warn_errno(int errnum, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_notice_errno(int errnum, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_info_errno(int errnum, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_debug_errno(int errnum, const char *fmt, ...) LOG_PRINTF(2, 3);

/*
 * S for a terminal or a key=value log line, appended to B: nothing in it can start a new line,
 * move the cursor or switch the terminal's mode. Control characters become \n, \r, \t or
 * \xNN, and so does every byte that is not part of valid UTF-8 and every UTF-8 encoded C1
 * control (U+0080..U+009F, as \xC2\xNN); other UTF-8 passes through. With QUOTED, '"' and
 * '\\' are backslash-escaped and S is put in double quotes. NULL is "".
 */
void log_put_display(struct strbuf *b, const char *s, bool quoted);

/* log_put_display(S, quoted) as a new string, caller frees (never NULL). */
char *log_quote(const char *s);

struct policy_event;
/* Logs decision E at notice: "decision mailbox=... organizer=... subject="..." start=...
 * decision=... [dry_run=yes] outcome=... reasons="..."". */
void log_decision(const struct policy_event *e, bool dry_run);

#endif
