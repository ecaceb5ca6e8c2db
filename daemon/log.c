/*
 * log: one line per message on stderr, "<N>" prefixed for the journal, timestamped otherwise.
 */
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "util.h"

#define LOG_LINE_MAX 8192

static struct {
    char ident[64];
    enum log_level level;
    bool journal;
    bool initialised;
} st = {"meetingd", LOG_LEVEL_INFO, false, false};

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};

/* systemd sets JOURNAL_STREAM="DEV:INODE" for the stream it connected to stdout/stderr; if
 * stderr is that stream, the journal parses our "<N>" prefixes. A redirected stderr (e.g.
 * `meetingd 2>file` inside a unit) no longer matches and gets timestamps again. */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    if (js == NULL || *js == '\0')
        return false;
    unsigned long long dev, ino;
    char extra;
    if (sscanf(js, "%llu:%llu%c", &dev, &ino, &extra) != 2)
        return false;
    struct stat sb;
    if (fstat(STDERR_FILENO, &sb) != 0)
        return false;
    return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

static void ensure_init(void)
{
    if (!st.initialised) {
        st.journal = stderr_is_journal();
        st.initialised = true;
    }
}

void log_init(const char *ident, enum log_level level, bool to_journal)
{
    if (ident != NULL)
        snprintf(st.ident, sizeof(st.ident), "%s", ident);
    st.level = level;
    st.journal = to_journal && stderr_is_journal();
    st.initialised = true;
}

void log_set_level(enum log_level level)
{
    st.level = level;
}

bool log_level_enabled(enum log_level level)
{
    return level <= st.level;
}

bool log_to_journal(void)
{
    ensure_init();
    return st.journal;
}

const char *log_level_name(enum log_level level)
{
    if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
        return "unknown";
    return level_names[level];
}

int log_level_priority(enum log_level level)
{
    if ((unsigned)level > LOG_LEVEL_DEBUG)
        return 7;
    return 3 + (int)level; /* LOG_ERR is 3 ... LOG_DEBUG is 7 */
}

/* Appends msg to out (of capacity cap, already holding *len bytes), escaping control
 * characters. Leaves room for "...\n" and reports whether it had to cut. */
static bool append_escaped(char *out, size_t cap, size_t *len, const char *msg)
{
    size_t n = *len;
    const size_t limit = cap - 5; /* "...\n" + NUL */
    bool cut = false;
    for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
        char esc[5];
        size_t elen;
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            esc[0] = '\\';
            esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
            elen = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", *p);
            elen = 4;
        } else {
            esc[0] = (char)*p;
            elen = 1;
        }
        if (n + elen > limit) {
            cut = true;
            break;
        }
        memcpy(out + n, esc, elen);
        n += elen;
    }
    *len = n;
    return cut;
}

static void emit(enum log_level level, const char *fmt, va_list ap, const int *errnum)
    LOG_PRINTF(2, 0);
static void emit(enum log_level level, const char *fmt, va_list ap, const int *errnum)
{
    char msg[LOG_LINE_MAX];
    char line[LOG_LINE_MAX];
    size_t len = 0;

    ensure_init();
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0)
        snprintf(msg, sizeof(msg), "(log format error)");
    if (errnum != NULL) {
        size_t ml = strlen(msg);
        snprintf(msg + ml, sizeof(msg) - ml, ": %s", strerror(*errnum));
    }

    if (st.journal) {
        len = (size_t)snprintf(line, sizeof(line), "<%d>", log_level_priority(level));
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char stamp[21];
        util_format_time_utc(ts.tv_sec, stamp);
        stamp[19] = '\0'; /* drop the Z to insert milliseconds */
        len = (size_t)snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld]: %s: ", stamp,
                               ts.tv_nsec / 1000000L, st.ident, (long)getpid(),
                               log_level_name(level));
    }
    if (len >= sizeof(line))
        len = sizeof(line) - 1;
    if (append_escaped(line, sizeof(line), &len, msg) || (n >= 0 && (size_t)n >= sizeof(msg))) {
        memcpy(line + len, "...", 3);
        len += 3;
    }
    line[len++] = '\n';

    /* One write per line so concurrent writers (and the journal) never see half lines. */
    const char *p = line;
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        len -= (size_t)w;
    }
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
    if (!log_level_enabled(level))
        return;
    int saved = errno;
    emit(level, fmt, ap, NULL);
    errno = saved;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

static void vmsg_errno(enum log_level level, int errnum, const char *fmt, va_list ap)
    LOG_PRINTF(3, 0);
static void vmsg_errno(enum log_level level, int errnum, const char *fmt, va_list ap)
{
    if (!log_level_enabled(level))
        return;
    int saved = errno;
    emit(level, fmt, ap, &errnum);
    errno = saved;
}

void log_msg_errno(enum log_level level, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg_errno(level, errnum, fmt, ap);
    va_end(ap);
}

#define LOG_FN(fn, lvl)                                                                            \
    void fn(const char *fmt, ...)                                                                  \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_vmsg(lvl, fmt, ap);                                                                    \
        va_end(ap);                                                                                \
    }                                                                                              \
    void fn##_errno(int errnum, const char *fmt, ...)                                              \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vmsg_errno(lvl, errnum, fmt, ap);                                                          \
        va_end(ap);                                                                                \
    }

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARNING)
LOG_FN(log_notice, LOG_LEVEL_NOTICE)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

/* ---- display quoting --------------------------------------------------------------------- */

/* S for a terminal or a log line: nothing in it can start a new line, move the cursor or
 * switch the terminal's mode. With QUOTED, '"' and '\\' are escaped and S is put in quotes. */
void log_put_display(struct strbuf *b, const char *s, bool quoted)
{
    if (quoted)
        strbuf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t cp;
        size_t n = util_utf8_len(p, SIZE_MAX, &cp);
        if (n == 0) {
            strbuf_printf(b, "\\x%02x", *p);
            p++;
            continue;
        }
        if (quoted && (cp == '"' || cp == '\\')) {
            strbuf_putc(b, '\\');
            strbuf_putc(b, (char)cp);
        } else if (cp == '\n') {
            strbuf_puts(b, "\\n");
        } else if (cp == '\r') {
            strbuf_puts(b, "\\r");
        } else if (cp == '\t') {
            strbuf_puts(b, "\\t");
        } else if (cp < 0x20 || cp == 0x7f) {
            strbuf_printf(b, "\\x%02x", (unsigned)cp);
        } else if (cp >= 0x80 && cp <= 0x9f) {
            /* C1 controls: some terminals take U+009B as CSI. */
            strbuf_printf(b, "\\x%02x\\x%02x", p[0], p[1]);
        } else {
            strbuf_put(b, p, n);
        }
        p += n;
    }
    if (quoted)
        strbuf_putc(b, '"');
}

char *log_quote(const char *s)
{
    struct strbuf b = {0};
    log_put_display(&b, s, true);
    return strbuf_take(&b);
}

void log_decision(const struct policy_event *e, bool dry_run)
{
    /* A field the server did not send (grommunio Gromox's cancellations carry no time and no
     * organizer) is "-", not the epoch or nothing. */
    char start[21] = "-";
    if (e->request->start != 0)
        util_format_time_utc(e->request->start, start);
    char *reasons = policy_result_reasons_text(e->result);
    const char *organizer = e->request->organizer.address ? e->request->organizer.address : "-";
    char *subject = log_quote(e->request->subject ? e->request->subject : "");
    char *quoted_reasons = log_quote(reasons);
    log_notice("decision mailbox=%s organizer=%s subject=%s start=%s decision=%s%s outcome=%s "
               "reasons=%s",
               e->mailbox, organizer, subject, start,
               e->action ? e->action : policy_decision_name(e->result->decision),
               dry_run ? " dry_run=yes" : "", e->outcome, quoted_reasons);
    free(subject);
    free(quoted_reasons);
    free(reasons);
}
