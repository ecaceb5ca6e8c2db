/*
 * conf: inih-based, table-driven configuration loader.
 *
 * Debian's inih gives the handler no line number and does not tell a continuation line from
 * a repeated key, nor report section headers. So we hand ini_parse_stream() our own reader:
 * it counts lines, classifies each one exactly as inih will (comment, continuation, section,
 * key), handles section headers itself and rejects what inih would silently mangle (over-long
 * lines, NUL bytes). The handler then only sees key/value pairs, with the current line
 * number and section at hand.
 *
 * Loading happens in three stages: per key (syntax, type, bounds, secrets), per section when
 * the next one starts (required keys, keys that go together), and once everything is read
 * (references between sections, credentials, rule reachability). The first error stops
 * everything: the reader then returns EOF to inih.
 */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* ---- the key table ---------------------------------------------------------------------- */

enum sect_kind { SK_SERVER, SK_DAEMON, SK_MAILBOX, SK_POLICY, SK_RULE, SK_COUNT };

static const char *const sect_names[SK_COUNT] = {"server", "daemon", "mailbox", "policy", "rule"};

enum key_type {
    KT_STRING,      /* char *, non-empty */
    KT_TEXT,        /* char *, may be empty, continues over indented lines */
    KT_BOOL,        /* bool */
    KT_UINT,        /* unsigned in [min, max] */
    KT_DURATION,    /* unsigned seconds in [min, max] */
    KT_ENUM,        /* int from choices */
    KT_CHOICE_STR,  /* const char *, canonical spelling from choices */
    KT_URL,         /* char *, http:// or https:// */
    KT_ABSPATH,     /* char *, absolute path */
    KT_INCLUDE_DIR, /* char *, resolved path, main file only */
    KT_CA_FILE,     /* char *, resolved path of an existing readable file */
    KT_SECRET_FILE, /* char * path at off, char * secret at off2 */
    KT_ADDRESS,     /* char *, e-mail address */
    KT_ADDR_LIST,   /* strlist of addresses, @domains, globs */
    KT_PLAIN_ADDRS, /* strlist of addresses */
    KT_DOMAIN_LIST, /* strlist of lowercase domains */
    KT_DAYS,        /* unsigned CONF_DAY mask */
    KT_HOURS,       /* unsigned start minute at off, end minute at off2 */
    KT_TIME_ZONE,   /* char *, NULL = host */
    KT_POLICY_REF,  /* char * name at off, unsigned line at off2 */
    KT_SUBJECT,     /* struct conf_text_match */
    KT_COND_BOOL,   /* enum conf_cond_bool */
};

#define KF_REQUIRED 0x01u /* must be given */
#define KF_HAS 0x02u      /* sets the bool at has_off when given */
#define KF_COND 0x04u     /* a rule condition */
#define KF_NONEMPTY 0x08u /* (days) must not be empty */

struct choice {
    const char *name;
    int value;
    const char *refused; /* recognised but refused with this reason */
};

struct key {
    enum sect_kind kind;
    const char *name;
    enum key_type type;
    size_t off;
    size_t off2;
    size_t has_off;
    unsigned long min, max;
    const char *def; /* default, in config syntax; NULL = none */
    unsigned flags;
    const struct choice *choices;
    const char *help;
};

static const struct choice auth_choices[] = {
    {"basic", CONF_AUTH_BASIC, NULL},
    {"ntlm", CONF_AUTH_NTLM, NULL},
    {"negotiate", CONF_AUTH_NEGOTIATE, NULL},
    {"oauth2", -1, "is not supported yet"},
    {NULL, 0, NULL},
};

/* The EWS ExchangeVersionType enumeration (types.xsd). */
static const struct choice version_choices[] = {
    {"Exchange2007", 0, NULL},     {"Exchange2007_SP1", 0, NULL},
    {"Exchange2010", 0, NULL},     {"Exchange2010_SP1", 0, NULL},
    {"Exchange2010_SP2", 0, NULL}, {"Exchange2013", 0, NULL},
    {"Exchange2013_SP1", 0, NULL}, {"Exchange2015", 0, NULL},
    {"Exchange2016", 0, NULL},     {"V2015_10_05", 0, NULL},
    {"V2016_01_06", 0, NULL},      {"V2016_04_13", 0, NULL},
    {"V2016_07_13", 0, NULL},      {NULL, 0, NULL},
};

static const struct choice log_level_choices[] = {
    {"error", LOG_LEVEL_ERROR, NULL},   {"warning", LOG_LEVEL_WARNING, NULL},
    {"notice", LOG_LEVEL_NOTICE, NULL}, {"info", LOG_LEVEL_INFO, NULL},
    {"debug", LOG_LEVEL_DEBUG, NULL},   {NULL, 0, NULL},
};

static const struct choice automate_choices[] = {
    {"auto_accept", CONF_AUTOMATE_AUTO_ACCEPT, NULL},
    {"auto_update", CONF_AUTOMATE_AUTO_UPDATE, NULL},
    {"none", CONF_AUTOMATE_NONE, NULL},
    {"accept", CONF_AUTOMATE_ACCEPT, NULL},
    {"tentative", CONF_AUTOMATE_TENTATIVE, NULL},
    {"decline", CONF_AUTOMATE_DECLINE, NULL},
    {NULL, 0, NULL},
};

static const struct choice action_choices[] = {
    {"book", CONF_ACTION_BOOK, NULL},
    {"request", CONF_ACTION_REQUEST, NULL},
    {"decline", CONF_ACTION_DECLINE, NULL},
    {"ignore", CONF_ACTION_IGNORE, NULL},
    {NULL, 0, NULL},
};

static const char *const access_names[] = {"own credentials", "impersonation", "delegate access"};

#define SRV(f) offsetof(struct conf_server, f)
#define DMN(f) offsetof(struct conf_daemon, f)
#define MBX(f) offsetof(struct conf_mailbox, f)
#define POL(f) offsetof(struct conf_policy, f)
#define RUL(f) offsetof(struct conf_rule, f)
#define K(k, n, t, o) .kind = k, .name = n, .type = t, .off = o

/* Policy booleans and numbers all follow one pattern. */
#define PBOOL(n, d, h)                                                                             \
    {                                                                                              \
        K(SK_POLICY, #n, KT_BOOL, POL(n)), .def = d, .help = h                                     \
    }
#define PUINT(n, lo, hi, d, h)                                                                     \
    {                                                                                              \
        K(SK_POLICY, #n, KT_UINT, POL(n)), .min = lo, .max = hi, .def = d, .help = h               \
    }

static const struct key keys[] = {
    /* [server] */
    {K(SK_SERVER, "url", KT_URL, SRV(url)), .flags = KF_REQUIRED,
     .help = "EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx."},
    {K(SK_SERVER, "auth", KT_ENUM, SRV(auth)), .def = "basic", .choices = auth_choices,
     .help = "HTTP authentication: basic, ntlm or negotiate (oauth2 is not supported yet)."},
    {K(SK_SERVER, "username", KT_STRING, SRV(username)),
     .help = "Service account (user@domain or DOMAIN\\user); needs password_file."},
    {K(SK_SERVER, "password_file", KT_SECRET_FILE, SRV(password_file)), .off2 = SRV(password),
     .help = "File holding the service account's password (mode 0600 or stricter, or a "
             "systemd credential; relative names are looked up in $CREDENTIALS_DIRECTORY)."},
    {K(SK_SERVER, "impersonation", KT_BOOL, SRV(impersonation)), .def = "no",
     .help = "Reach mailboxes without own credentials through ExchangeImpersonation as the "
             "service account (needs username and password_file)."},
    {K(SK_SERVER, "server_version", KT_CHOICE_STR, SRV(server_version)), .def = "Exchange2013_SP1",
     .choices = version_choices,
     .help = "RequestServerVersion sent with every request (an ExchangeVersionType value)."},
    {K(SK_SERVER, "timeout", KT_DURATION, SRV(timeout_s)), .min = 1, .max = 3600, .def = "60s",
     .help = "Time limit for one EWS request."},
    {K(SK_SERVER, "ca_file", KT_CA_FILE, SRV(ca_file)),
     .help = "CA certificates (PEM) to verify the server with, instead of the system store."},
    {K(SK_SERVER, "tls_verify", KT_BOOL, SRV(tls_verify)), .def = "yes",
     .help = "Verify the server's certificate and host name. Turn off only for tests."},

    /* [daemon] */
    {K(SK_DAEMON, "poll_interval", KT_DURATION, DMN(poll_interval_s)), .min = 1, .max = 86400,
     .def = "60s", .help = "Time between two polls of a mailbox (each mailbox may override)."},
    {K(SK_DAEMON, "max_concurrent_requests", KT_UINT, DMN(max_concurrent_requests)), .min = 1,
     .max = 256, .def = "8", .help = "EWS requests in flight at once, over all mailboxes."},
    {K(SK_DAEMON, "state_dir", KT_ABSPATH, DMN(state_dir)), .def = "/var/lib/meetingd",
     .help = "Directory for the daemon's state (decision records, sync state)."},
    {K(SK_DAEMON, "log_level", KT_ENUM, DMN(log_level)), .def = "info",
     .choices = log_level_choices, .help = "error, warning, notice, info or debug."},
    {K(SK_DAEMON, "include_dir", KT_INCLUDE_DIR, DMN(include_dir)),
     .help = "Directory whose *.conf files are read after this file, in sorted order "
             "(main file only; default: none)."},

    /* [mailbox NAME] */
    {K(SK_MAILBOX, "address", KT_ADDRESS, MBX(address)), .flags = KF_REQUIRED,
     .help = "SMTP address of the mailbox."},
    {K(SK_MAILBOX, "policy", KT_POLICY_REF, MBX(policy_name)), .off2 = MBX(policy_line),
     .flags = KF_REQUIRED, .help = "Name of the [policy NAME] that decides for this mailbox."},
    {K(SK_MAILBOX, "username", KT_STRING, MBX(username)),
     .help = "Log in as the mailbox itself with this account (with password_file); without "
             "them [server]'s account is used."},
    {K(SK_MAILBOX, "password_file", KT_SECRET_FILE, MBX(password_file)), .off2 = MBX(password),
     .help = "Password file for username (like [server]'s)."},
    {K(SK_MAILBOX, "poll_interval", KT_DURATION, MBX(poll_interval_s)), .min = 1, .max = 86400,
     .flags = KF_HAS, .has_off = MBX(has_poll_interval),
     .help = "Overrides [daemon] poll_interval for this mailbox."},

    /* [policy NAME] */
    {K(SK_POLICY, "automate", KT_ENUM, POL(automate)), .def = "auto_accept",
     .choices = automate_choices,
     .help = "auto_accept (decide by this policy), auto_update (only mark tentative), none, "
             "or accept / tentative / decline to answer every request that way."},
    {K(SK_POLICY, "response_message", KT_TEXT, POL(response_message)), .def = "",
     .help = "Text added to every response."},
    PBOOL(remove_canceled_meetings, "no", "Remove cancelled meetings from the calendar."),
    PBOOL(allow_conflicts, "no", "Accept requests that overlap existing bookings."),
    PUINT(conflict_percentage_allowed, 0, 100, "0",
          "Percentage of a series' occurrences that may conflict (0-100)."),
    PUINT(max_conflict_instances, 0, 1000, "0",
          "Number of a series' occurrences that may conflict."),
    PUINT(booking_window_days, 0, 1080, "180", "How many days ahead meetings may be booked."),
    PBOOL(enforce_scheduling_horizon, "yes",
          "Decline recurring meetings that end after the booking window (no: accept up to it)."),
    PUINT(max_duration_minutes, 0, 525600, "1440", "Longest meeting accepted (0 = no limit)."),
    PUINT(min_duration_minutes, 0, 525600, "0", "Shortest meeting accepted."),
    PBOOL(allow_recurring_meetings, "yes", "Accept recurring meetings."),
    PBOOL(schedule_only_during_work_hours, "no",
          "Accept only meetings within work_days and work_hours."),
    {K(SK_POLICY, "work_days", KT_DAYS, POL(work_days)), .def = "Mon-Fri", .flags = KF_NONEMPTY,
     .help = "Working days: names (Mon or Monday), lists (Mon,Wed,Fri), ranges (Mon-Fri), "
             "Weekdays, Weekend, AllDays."},
    {K(SK_POLICY, "work_hours", KT_HOURS, POL(work_start_min)), .off2 = POL(work_end_min),
     .def = "08:00-17:00", .help = "Working hours, HH:MM-HH:MM in time_zone (end up to 24:00)."},
    {K(SK_POLICY, "time_zone", KT_TIME_ZONE, POL(time_zone)), .def = "",
     .help = "IANA time zone of work hours and rule hours, e.g. Europe/Berlin; empty = the "
             "host's."},
    PUINT(capacity, 0, 100000, "0", "Seats of the room (0 = unknown)."),
    PBOOL(enforce_capacity, "no", "Decline meetings with more attendees than capacity."),
    PBOOL(all_book_in_policy, "yes", "Everyone may book within the policy."),
    {K(SK_POLICY, "book_in_policy", KT_ADDR_LIST, POL(book_in_policy)),
     .help = "Who may book within the policy (addresses, @domains, globs)."},
    PBOOL(all_request_in_policy, "no", "Everyone may request (delegates approve) in policy."),
    {K(SK_POLICY, "request_in_policy", KT_ADDR_LIST, POL(request_in_policy)),
     .help = "Who may request within the policy (addresses, @domains, globs)."},
    PBOOL(all_request_out_of_policy, "no", "Everyone may request outside the policy."),
    {K(SK_POLICY, "request_out_of_policy", KT_ADDR_LIST, POL(request_out_of_policy)),
     .help = "Who may request outside the policy (addresses, @domains, globs)."},
    {K(SK_POLICY, "resource_delegates", KT_PLAIN_ADDRS, POL(resource_delegates)),
     .help = "Addresses of the delegates who approve requests."},
    PBOOL(forward_requests_to_delegates, "yes", "Forward requests to the delegates."),
    PBOOL(tentative_pending_approval, "yes", "Mark requests tentative until approved."),
    PBOOL(process_external_meeting_messages, "no",
          "Process requests from outside the internal domains (no: ignore them)."),
    {K(SK_POLICY, "internal_domains", KT_DOMAIN_LIST, POL(internal_domains)),
     .help = "Domains that count as internal; empty = the mailbox's own domain."},
    PBOOL(enable_response_details, "yes", "Give the reasons in every answer: why a request was accepted, held or declined."),
    PBOOL(organizer_info, "yes",
          "Name the organizer of a conflicting meeting when a request is declined."),
    PBOOL(add_additional_response, "no", "Add additional_response to responses."),
    {K(SK_POLICY, "additional_response", KT_TEXT, POL(additional_response)), .def = "",
     .help = "Extra text for responses when add_additional_response is yes."},
    PBOOL(add_organizer_to_subject, "yes", "Put the organizer's name in the booked subject."),
    PBOOL(delete_subject, "yes", "Remove the subject of booked meetings."),
    PBOOL(delete_comments, "yes", "Remove the body of booked meetings."),
    PBOOL(remove_private_property, "yes", "Clear the private flag of booked meetings."),
    PBOOL(delete_attachments, "yes", "Remove attachments of booked meetings."),
    PBOOL(remove_old_meeting_messages, "yes", "Remove outdated meeting messages."),

    /* [rule NAME] */
    {K(SK_RULE, "policy", KT_POLICY_REF, RUL(policy_name)), .off2 = RUL(policy_line),
     .flags = KF_REQUIRED, .help = "Policy this rule belongs to."},
    {K(SK_RULE, "organizer", KT_ADDR_LIST, RUL(organizer)), .flags = KF_COND,
     .help = "Condition: the organizer matches one of these addresses, @domains or globs."},
    {K(SK_RULE, "subject", KT_SUBJECT, RUL(subject)), .flags = KF_COND,
     .help = "Condition: the subject contains this text (case-insensitive), or matches "
             "/regex/ (POSIX extended, case-insensitive)."},
    {K(SK_RULE, "min_duration", KT_DURATION, RUL(min_duration_s)), .max = 366 * 86400u,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_min_duration),
     .help = "Condition: the meeting lasts at least this long (e.g. 30m)."},
    {K(SK_RULE, "max_duration", KT_DURATION, RUL(max_duration_s)), .max = 366 * 86400u,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_max_duration),
     .help = "Condition: the meeting lasts at most this long (e.g. 2h)."},
    {K(SK_RULE, "days", KT_DAYS, RUL(days)), .flags = KF_COND | KF_HAS, .has_off = RUL(has_days),
     .help = "Condition: the meeting starts on one of these days."},
    {K(SK_RULE, "hours", KT_HOURS, RUL(hours_start_min)), .off2 = RUL(hours_end_min),
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_hours),
     .help = "Condition: the meeting lies within HH:MM-HH:MM (policy time zone)."},
    {K(SK_RULE, "recurring", KT_COND_BOOL, RUL(recurring)), .flags = KF_COND,
     .help = "Condition: the meeting is (yes) or is not (no) recurring."},
    {K(SK_RULE, "min_attendees", KT_UINT, RUL(min_attendees)), .max = 100000,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_min_attendees),
     .help = "Condition: at least this many attendees."},
    {K(SK_RULE, "max_attendees", KT_UINT, RUL(max_attendees)), .max = 100000,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_max_attendees),
     .help = "Condition: at most this many attendees."},
    {K(SK_RULE, "external", KT_COND_BOOL, RUL(external)), .flags = KF_COND,
     .help = "Condition: the organizer is (yes) or is not (no) external."},
    {K(SK_RULE, "action", KT_ENUM, RUL(action)), .flags = KF_REQUIRED, .choices = action_choices,
     .help = "What to do with a matching request: book, request, decline or ignore."},
    {K(SK_RULE, "message", KT_TEXT, RUL(message)),
     .help = "Text for the response to a matching request."},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(sizeof(enum conf_auth) == sizeof(int), "enums are stored through int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enums are stored through int");

/* ---- parser state ----------------------------------------------------------------------- */

struct sect {
    enum sect_kind kind;
    void *obj;
    const char *file;
    unsigned line;
    const char *name;          /* NULL for [server] / [daemon] */
    unsigned key_line[N_KEYS]; /* line each key was set on; 0 = not set */
};

struct parser {
    struct conf *conf;
    struct conf_error *err;
    bool failed;

    const char *file; /* current file (owned by conf->files) */
    bool main_file;
    FILE *fp;
    char *buf;
    size_t bufcap;
    unsigned lineno;
    struct sect *cur; /* current section, NULL before the first */
    int last_key;     /* row of the last key line in the current section, -1 = none */
    bool continuation;

    struct sect **sects; /* every section read, in order */
    size_t n_sects;
    struct sect *server, *daemon;
};

static void set_error(struct parser *p, const char *file, unsigned line, const char *fmt,
                      va_list ap) UTIL_PRINTF(4, 0);

static void set_error(struct parser *p, const char *file, unsigned line, const char *fmt,
                      va_list ap)
{
    if (p->failed)
        return;
    p->failed = true;
    snprintf(p->err->file, sizeof(p->err->file), "%s", file ? file : "");
    p->err->line = line;
    vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
}

/* An error on the line being read. */
static void fail(struct parser *p, const char *fmt, ...) UTIL_PRINTF(2, 3);
static void fail(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(p, p->file, p->lineno, fmt, ap);
    va_end(ap);
}

/* An error attributed to another place (a section header, an earlier key). */
static void fail_at(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
    UTIL_PRINTF(4, 5);
static void fail_at(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(p, file, line, fmt, ap);
    va_end(ap);
}

#define FIELD(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

static int find_key(enum sect_kind kind, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].kind == kind && util_str_casecmp_ascii(keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

static bool continues(enum key_type t)
{
    return t == KT_TEXT || t == KT_ADDR_LIST || t == KT_PLAIN_ADDRS || t == KT_DOMAIN_LIST;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Directory part of a file name, with a trailing '/', or "" for a bare name. */
static char *dir_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? xstrndup(file, (size_t)(slash - file) + 1) : xstrdup("");
}

/* A path given in a file, taken relative to that file's directory. */
static char *resolve_path(const char *file, const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char *dir = dir_of(file);
    char *r = xasprintf("%s%s", dir, path);
    free(dir);
    return r;
}

/* ---- value parsers ---------------------------------------------------------------------- */

static void choices_list(const struct choice *c, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (; c->name != NULL; c++) {
        if (c->refused != NULL)
            continue;
        int w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", c->name);
        if (w < 0 || (size_t)w >= len - off)
            return;
        off += (size_t)w;
    }
}

static const char *choice_name(const struct choice *c, int value)
{
    for (; c->name != NULL; c++)
        if (c->refused == NULL && c->value == value)
            return c->name;
    return "?";
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (*s == '\0')
        return -1;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return 1; /* too large: keep reading would overflow */
    }
    *out = v;
    return 0;
}

static const char *const day_abbr[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const day_full[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

static int day_index(const char *s, size_t n)
{
    for (int i = 0; i < 7; i++) {
        if ((strlen(day_abbr[i]) == n && util_str_ncasecmp_ascii(s, day_abbr[i], n) == 0) ||
            (strlen(day_full[i]) == n && util_str_ncasecmp_ascii(s, day_full[i], n) == 0))
            return i;
    }
    return -1;
}

/* "Mon-Fri", "Mon,Wed,Fri", "Saturday Sunday", "Fri-Mon" (wraps), "Weekdays", "Weekend",
 * "AllDays"; empty = no days. Returns 0 or -1 with the offending token in bad. */
static int parse_days(const char *s, unsigned *mask_out, char *bad, size_t badlen)
{
    unsigned mask = 0;
    const char *p = s;
    for (;;) {
        while (*p == ',' || is_space(*p))
            p++;
        if (*p == '\0')
            break;
        size_t n = strcspn(p, ", \t");
        const char *dash = memchr(p, '-', n);
        int a, b;
        if (n == 8 && util_str_ncasecmp_ascii(p, "weekdays", 8) == 0) {
            mask |= CONF_DAYS_WEEKDAYS;
        } else if ((n == 7 && util_str_ncasecmp_ascii(p, "weekend", 7) == 0) ||
                   (n == 11 && util_str_ncasecmp_ascii(p, "weekenddays", 11) == 0)) {
            mask |= CONF_DAY(0) | CONF_DAY(6);
        } else if (n == 7 && util_str_ncasecmp_ascii(p, "alldays", 7) == 0) {
            mask |= CONF_DAYS_ALL;
        } else if (dash != NULL) {
            a = day_index(p, (size_t)(dash - p));
            b = day_index(dash + 1, n - (size_t)(dash - p) - 1);
            if (a < 0 || b < 0)
                goto bad_token;
            for (int d = a;; d = (d + 1) % 7) {
                mask |= CONF_DAY(d);
                if (d == b)
                    break;
            }
        } else {
            a = day_index(p, n);
            if (a < 0)
                goto bad_token;
            mask |= CONF_DAY(a);
        }
        p += n;
        continue;
    bad_token:
        snprintf(bad, badlen, "%.*s", (int)(n > 40 ? 40 : n), p);
        return -1;
    }
    *mask_out = mask;
    return 0;
}

static int parse_hhmm(const char *s, size_t n, unsigned *out)
{
    if (n != 5 || s[2] != ':')
        return -1;
    for (size_t i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    unsigned h = (unsigned)((s[0] - '0') * 10 + (s[1] - '0'));
    unsigned m = (unsigned)((s[3] - '0') * 10 + (s[4] - '0'));
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *out = h * 60 + m;
    return 0;
}

/* "HH:MM-HH:MM", optional spaces around '-'; 24:00 allowed as the end. */
static int parse_hours(const char *s, unsigned *start, unsigned *end)
{
    const char *dash = strchr(s, '-');
    if (dash == NULL)
        return -1;
    const char *a = s, *ae = dash, *b = dash + 1;
    while (ae > a && is_space(ae[-1]))
        ae--;
    while (is_space(*b))
        b++;
    size_t bn = strlen(b);
    while (bn > 0 && is_space(b[bn - 1]))
        bn--;
    if (parse_hhmm(a, (size_t)(ae - a), start) != 0 || parse_hhmm(b, bn, end) != 0)
        return -1;
    return *start < 1440 ? 0 : -1;
}

static void format_days(unsigned mask, char *buf, size_t len)
{
    /* Print Monday-first runs: "Mon-Fri", "Mon,Wed,Fri", "Sat-Sun". */
    size_t off = 0;
    buf[0] = '\0';
    int order[7] = {1, 2, 3, 4, 5, 6, 0};
    for (int i = 0; i < 7;) {
        if (!(mask & CONF_DAY(order[i]))) {
            i++;
            continue;
        }
        int j = i;
        while (j + 1 < 7 && (mask & CONF_DAY(order[j + 1])))
            j++;
        int w;
        if (j - i >= 2)
            w = snprintf(buf + off, len - off, "%s%s-%s", off ? "," : "", day_abbr[order[i]],
                         day_abbr[order[j]]);
        else if (j == i)
            w = snprintf(buf + off, len - off, "%s%s", off ? "," : "", day_abbr[order[i]]);
        else
            w = snprintf(buf + off, len - off, "%s%s,%s", off ? "," : "", day_abbr[order[i]],
                         day_abbr[order[j]]);
        if (w < 0 || (size_t)w >= len - off)
            return;
        off += (size_t)w;
        i = j + 1;
    }
}

static bool url_ok(const char *s)
{
    const char *rest;
    if (util_str_ncasecmp_ascii(s, "https://", 8) == 0)
        rest = s + 8;
    else if (util_str_ncasecmp_ascii(s, "http://", 7) == 0)
        rest = s + 7;
    else
        return false;
    if (*rest == '\0' || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
        return false;
    for (const char *q = s; *q; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q == 0x7f)
            return false;
    return true;
}

static bool is_glob(const char *s)
{
    return strpbrk(s, "*?") != NULL;
}

static bool glob_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || strchr("<>()[],;:\"\\", *s))
            return false;
    return true;
}

/* Splits a list value at commas and whitespace and appends each entry after checking it. */
static int parse_list(struct parser *p, const struct key *k, struct strlist *l, const char *v)
{
    const char *q = v;
    for (;;) {
        while (*q == ',' || is_space(*q))
            q++;
        if (*q == '\0')
            return 0;
        size_t n = strcspn(q, ", \t\r\n\v\f");
        char *tok = xstrndup(q, n);
        q += n;
        bool ok;
        const char *what;
        if (k->type == KT_DOMAIN_LIST) {
            const char *d = tok[0] == '@' ? tok + 1 : tok;
            ok = util_domain_is_valid(d);
            what = "a domain";
            if (ok) {
                char *lower = xstrdup(d);
                for (char *c = lower; *c; c++)
                    if (*c >= 'A' && *c <= 'Z')
                        *c = (char)(*c - 'A' + 'a');
                free(tok);
                tok = lower;
            }
        } else if (k->type == KT_PLAIN_ADDRS) {
            ok = util_addr_is_valid(tok);
            what = "an e-mail address";
        } else {
            if (is_glob(tok))
                ok = glob_ok(tok);
            else if (tok[0] == '@')
                ok = util_domain_is_valid(tok + 1);
            else
                ok = util_addr_is_valid(tok);
            what = "an address, @domain or glob";
        }
        if (!ok) {
            fail(p, "%s: '%.80s' is not %s", k->name, tok, what);
            free(tok);
            return -1;
        }
        if (strlist_contains_ci(l, tok))
            free(tok);
        else
            strlist_add_take(l, tok);
    }
}

static bool tz_name_ok(const char *s)
{
    if (s[0] == '/' || s[0] == '\0' || strlen(s) > 100)
        return false;
    for (const char *q = s; *q; q++) {
        char c = *q;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
        if (c == '/' && (q[1] == '/' || q[1] == '\0'))
            return false;
    }
    return true; /* no '.' at all, so no ".." components */
}

/* The zone must exist as a compiled tz file: what the C library will load for it. */
static bool tz_exists(const char *name, char *dirbuf, size_t dirlen)
{
    const char *dir = getenv("TZDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/usr/share/zoneinfo";
    snprintf(dirbuf, dirlen, "%s", dir);
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rbe");
    free(path);
    if (f == NULL)
        return false;
    char magic[4];
    bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

static int parse_value(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    char buf[256];
    switch (k->type) {
    case KT_STRING:
        if (*v == '\0') {
            fail(p, "%s: empty value", k->name);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = xstrdup(v);
        return 0;
    case KT_TEXT: {
        char **f = FIELD(obj, k->off, char *);
        if (cont && *f != NULL && **f != '\0') {
            char *joined = xasprintf("%s %s", *f, v);
            free(*f);
            *f = joined;
        } else {
            free(*f);
            *f = xstrdup(v);
        }
        return 0;
    }
    case KT_BOOL:
        if (util_parse_bool(v, FIELD(obj, k->off, bool)) != 0) {
            fail(p, "%s: bad value '%.80s' (allowed: yes, no, true, false, on, off, 1, 0)", k->name,
                 v);
            return -1;
        }
        return 0;
    case KT_COND_BOOL: {
        bool b;
        if (util_parse_bool(v, &b) != 0) {
            fail(p, "%s: bad value '%.80s' (allowed: yes, no)", k->name, v);
            return -1;
        }
        *FIELD(obj, k->off, enum conf_cond_bool) = b ? CONF_COND_YES : CONF_COND_NO;
        return 0;
    }
    case KT_UINT: {
        unsigned long n = 0;
        int r = parse_uint(v, k->max, &n);
        if (r < 0) {
            fail(p, "%s: '%.80s' is not a whole number", k->name, v);
            return -1;
        }
        if (r > 0 || n < k->min) {
            fail(p, "%s: %.80s is out of range (%lu..%lu)", k->name, v, k->min, k->max);
            return -1;
        }
        *FIELD(obj, k->off, unsigned) = (unsigned)n;
        return 0;
    }
    case KT_DURATION: {
        unsigned s;
        if (util_parse_duration(v, &s) != 0) {
            fail(p, "%s: bad duration '%.80s' (examples: 90, 30s, 5m, 2h, 1d, 1h30m)", k->name, v);
            return -1;
        }
        if (s < k->min || s > k->max) {
            char lo[24], hi[24];
            util_format_duration((unsigned)k->min, lo, sizeof(lo));
            util_format_duration((unsigned)k->max, hi, sizeof(hi));
            fail(p, "%s: %.80s is out of range (%s..%s)", k->name, v, lo, hi);
            return -1;
        }
        *FIELD(obj, k->off, unsigned) = s;
        return 0;
    }
    case KT_ENUM:
    case KT_CHOICE_STR:
        for (const struct choice *c = k->choices; c->name != NULL; c++) {
            if (util_str_casecmp_ascii(c->name, v) != 0)
                continue;
            if (c->refused != NULL) {
                choices_list(k->choices, buf, sizeof(buf));
                fail(p, "%s: %s %s (allowed: %s)", k->name, c->name, c->refused, buf);
                return -1;
            }
            if (k->type == KT_ENUM)
                *FIELD(obj, k->off, int) = c->value;
            else
                *FIELD(obj, k->off, const char *) = c->name;
            return 0;
        }
        choices_list(k->choices, buf, sizeof(buf));
        fail(p, "%s: bad value '%.80s' (allowed: %s)", k->name, v, buf);
        return -1;
    case KT_URL:
        if (!url_ok(v)) {
            fail(p, "%s: '%.120s' is not an http:// or https:// URL", k->name, v);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = xstrdup(v);
        return 0;
    case KT_ABSPATH:
        if (v[0] != '/') {
            fail(p, "%s: '%.120s' is not an absolute path", k->name, v);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = xstrdup(v);
        return 0;
    case KT_INCLUDE_DIR:
        if (!p->main_file) {
            fail(p, "%s is only allowed in the main configuration file", k->name);
            return -1;
        }
        if (*v == '\0') {
            fail(p, "%s: empty value", k->name);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = resolve_path(p->file, v);
        return 0;
    case KT_CA_FILE: {
        if (*v == '\0') {
            fail(p, "%s: empty value", k->name);
            return -1;
        }
        char *path = resolve_path(p->file, v);
        struct stat sb;
        if (stat(path, &sb) != 0 || access(path, R_OK) != 0) {
            fail(p, "%s: cannot use %.200s: %s", k->name, path, strerror(errno));
            free(path);
            return -1;
        }
        if (!S_ISREG(sb.st_mode)) {
            fail(p, "%s: %.200s is not a regular file", k->name, path);
            free(path);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = path;
        return 0;
    }
    case KT_SECRET_FILE: {
        if (*v == '\0') {
            fail(p, "%s: empty value", k->name);
            return -1;
        }
        char *path;
        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        if (v[0] != '/' && creds != NULL && *creds != '\0')
            path = xasprintf("%s/%s", creds, v);
        else
            path = resolve_path(p->file, v);
        char msg[400];
        char *secret = util_read_secret_file(path, msg, sizeof(msg));
        if (secret == NULL) {
            fail(p, "%s: %s", k->name, msg);
            free(path);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = path;
        util_secure_free(*FIELD(obj, k->off2, char *));
        *FIELD(obj, k->off2, char *) = secret;
        return 0;
    }
    case KT_ADDRESS:
        if (!util_addr_is_valid(v)) {
            fail(p, "%s: '%.120s' is not an e-mail address", k->name, v);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = xstrdup(v);
        return 0;
    case KT_ADDR_LIST:
    case KT_PLAIN_ADDRS:
    case KT_DOMAIN_LIST: {
        struct strlist *l = FIELD(obj, k->off, struct strlist);
        if (!cont)
            strlist_free(l);
        return parse_list(p, k, l, v);
    }
    case KT_DAYS: {
        unsigned mask;
        if (parse_days(v, &mask, buf, sizeof(buf)) != 0) {
            fail(p,
                 "%s: bad day '%s' (use Mon..Sun or full names, lists like Mon,Wed,Fri, "
                 "ranges like Mon-Fri, Weekdays, Weekend, AllDays)",
                 k->name, buf);
            return -1;
        }
        if (mask == 0 && (k->flags & KF_NONEMPTY)) {
            fail(p, "%s: no days given", k->name);
            return -1;
        }
        *FIELD(obj, k->off, unsigned) = mask;
        return 0;
    }
    case KT_HOURS: {
        unsigned a, b;
        if (parse_hours(v, &a, &b) != 0) {
            fail(p, "%s: bad time range '%.80s' (expected HH:MM-HH:MM, e.g. 08:00-17:00)", k->name,
                 v);
            return -1;
        }
        if (a >= b) {
            fail(p, "%s: the start of '%.80s' is not before its end", k->name, v);
            return -1;
        }
        *FIELD(obj, k->off, unsigned) = a;
        *FIELD(obj, k->off2, unsigned) = b;
        return 0;
    }
    case KT_TIME_ZONE: {
        char **f = FIELD(obj, k->off, char *);
        if (*v == '\0') {
            free(*f);
            *f = NULL;
            return 0;
        }
        if (!tz_name_ok(v) || !tz_exists(v, buf, sizeof(buf))) {
            if (tz_name_ok(v))
                fail(p, "%s: unknown time zone '%.80s' (no such zone in %.100s)", k->name, v, buf);
            else
                fail(p, "%s: '%.80s' is not a time zone name (like Europe/Berlin)", k->name, v);
            return -1;
        }
        free(*f);
        *f = xstrdup(v);
        return 0;
    }
    case KT_POLICY_REF:
        if (*v == '\0') {
            fail(p, "%s: empty value", k->name);
            return -1;
        }
        free(*FIELD(obj, k->off, char *));
        *FIELD(obj, k->off, char *) = xstrdup(v);
        *FIELD(obj, k->off2, unsigned) = p->lineno;
        return 0;
    case KT_SUBJECT: {
        struct conf_text_match *m = FIELD(obj, k->off, struct conf_text_match);
        size_t n = strlen(v);
        if (n == 0) {
            fail(p, "%s: empty value (leave the key out to match any subject)", k->name);
            return -1;
        }
        if (v[0] == '/' && n >= 2 && v[n - 1] == '/') {
            if (n == 2) {
                fail(p, "%s: empty regular expression", k->name);
                return -1;
            }
            char *re = xstrndup(v + 1, n - 2);
            int rc = regcomp(&m->re, re, REG_EXTENDED | REG_ICASE | REG_NOSUB);
            free(re);
            if (rc != 0) {
                regerror(rc, &m->re, buf, sizeof(buf));
                fail(p, "%s: bad regular expression '%.120s': %s", k->name, v, buf);
                return -1;
            }
            m->is_regex = true;
        }
        m->pattern = xstrdup(v);
        return 0;
    }
    }
    fail(p, "%s: internal error: unknown key type", k->name);
    return -1;
}

/* ---- sections --------------------------------------------------------------------------- */

static void apply_defaults(struct parser *p, enum sect_kind kind, void *obj)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].kind != kind || keys[i].def == NULL)
            continue;
        if (parse_value(p, &keys[i], obj, keys[i].def, false) != 0) {
            /* A default that does not parse is a bug in the table, not a user error. */
            fprintf(stderr, "meetingd: bad default for %s: %s\n", keys[i].name, p->err->message);
            abort();
        }
    }
}

static void free_rule(struct conf_rule *r)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->policy_name);
    strlist_free(&r->organizer);
    free(r->subject.pattern);
    if (r->subject.is_regex)
        regfree(&r->subject.re);
    free(r->message);
    free(r->never_matches);
    free(r);
}

static void free_policy(struct conf_policy *pol)
{
    if (pol == NULL)
        return;
    free(pol->name);
    free(pol->response_message);
    free(pol->time_zone);
    strlist_free(&pol->book_in_policy);
    strlist_free(&pol->request_in_policy);
    strlist_free(&pol->request_out_of_policy);
    strlist_free(&pol->resource_delegates);
    strlist_free(&pol->internal_domains);
    free(pol->additional_response);
    free(pol->rules);
    free(pol);
}

static void free_mailbox(struct conf_mailbox *m)
{
    if (m == NULL)
        return;
    free(m->name);
    free(m->address);
    free(m->policy_name);
    free(m->username);
    free(m->password_file);
    util_secure_free(m->password);
    free(m);
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("._@+-", *s)))
            return false;
    return true;
}

static struct sect *find_sect(const struct parser *p, enum sect_kind kind, const char *name)
{
    for (size_t i = 0; i < p->n_sects; i++) {
        const struct sect *s = p->sects[i];
        if (s->kind == kind && (name == NULL || strcmp(s->name, name) == 0))
            return p->sects[i];
    }
    return NULL;
}

/* Checks that need the whole section: required keys and keys that go together. */
static void finish_section(struct parser *p)
{
    struct sect *s = p->cur;
    p->cur = NULL;
    p->last_key = -1;
    if (s == NULL || p->failed)
        return;
    const char *sname = sect_names[s->kind];
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].kind == s->kind && (keys[i].flags & KF_REQUIRED) && s->key_line[i] == 0) {
            if (s->name)
                fail_at(p, s->file, s->line, "missing required key '%s' in [%s %s]", keys[i].name,
                        sname, s->name);
            else
                fail_at(p, s->file, s->line, "missing required key '%s' in [%s]", keys[i].name,
                        sname);
            return;
        }
    }
    if (s->kind == SK_SERVER || s->kind == SK_MAILBOX) {
        unsigned ul = s->key_line[find_key(s->kind, "username")];
        unsigned pl = s->key_line[find_key(s->kind, "password_file")];
        if ((ul == 0) != (pl == 0)) {
            fail_at(p, s->file, ul ? ul : pl,
                    "username and password_file must be given together (%s is missing)",
                    ul ? "password_file" : "username");
            return;
        }
        if (s->kind == SK_SERVER) {
            const struct conf_server *srv = s->obj;
            unsigned il = s->key_line[find_key(SK_SERVER, "impersonation")];
            if (srv->impersonation && ul == 0) {
                fail_at(p, s->file, il,
                        "impersonation = yes needs username and password_file in [server]");
                return;
            }
        }
    } else if (s->kind == SK_POLICY) {
        const struct conf_policy *pol = s->obj;
        if (pol->max_duration_minutes != 0 &&
            pol->min_duration_minutes > pol->max_duration_minutes) {
            unsigned ml = s->key_line[find_key(SK_POLICY, "min_duration_minutes")];
            unsigned xl = s->key_line[find_key(SK_POLICY, "max_duration_minutes")];
            fail_at(p, s->file, ml ? ml : xl,
                    "min_duration_minutes (%u) is greater than max_duration_minutes (%u)",
                    pol->min_duration_minutes, pol->max_duration_minutes);
            return;
        }
    } else if (s->kind == SK_RULE) {
        struct conf_rule *r = s->obj;
        unsigned ol = s->key_line[find_key(SK_RULE, "organizer")];
        if (ol != 0 && r->organizer.n == 0) {
            fail_at(p, s->file, ol,
                    "organizer: empty list (leave the key out to match any organizer)");
            return;
        }
        r->n_conditions = 0;
        for (size_t i = 0; i < N_KEYS; i++)
            if (keys[i].kind == SK_RULE && (keys[i].flags & KF_COND) && s->key_line[i] != 0)
                r->n_conditions++;
    }
}

/* Handles "[...]": content is what lies between the brackets. */
static void start_section(struct parser *p, char *content)
{
    finish_section(p);
    if (p->failed)
        return;

    char *kw = content;
    while (is_space(*kw))
        kw++;
    char *end = kw + strlen(kw);
    while (end > kw && is_space(end[-1]))
        *--end = '\0';
    char *name = kw + strcspn(kw, " \t\v\f\r");
    if (*name != '\0') {
        *name++ = '\0';
        while (is_space(*name))
            name++;
    }

    int kind = -1;
    for (int i = 0; i < SK_COUNT; i++)
        if (util_str_casecmp_ascii(kw, sect_names[i]) == 0)
            kind = i;
    if (kind < 0) {
        fail(p,
             "unknown section [%.60s] (allowed: [server], [daemon], [mailbox NAME], "
             "[policy NAME], [rule NAME])",
             kw);
        return;
    }
    bool named = kind == SK_MAILBOX || kind == SK_POLICY || kind == SK_RULE;
    if (!named && *name != '\0') {
        fail(p, "[%s] takes no name", sect_names[kind]);
        return;
    }
    if (named && *name == '\0') {
        fail(p, "[%s] needs a name: [%s NAME]", sect_names[kind], sect_names[kind]);
        return;
    }
    if (named && !name_ok(name)) {
        fail(p, "bad %s name '%.80s' (1-64 letters, digits and . _ @ + -)", sect_names[kind], name);
        return;
    }
    struct sect *dup = find_sect(p, (enum sect_kind)kind, named ? name : NULL);
    if (dup != NULL) {
        if (named)
            fail(p, "duplicate section [%s %s] (first defined at %s:%u)", sect_names[kind], name,
                 dup->file, dup->line);
        else
            fail(p, "duplicate section [%s] (first defined at %s:%u)", sect_names[kind], dup->file,
                 dup->line);
        return;
    }

    struct conf *c = p->conf;
    struct sect *s = xcalloc(1, sizeof(*s));
    s->kind = (enum sect_kind)kind;
    s->file = p->file;
    s->line = p->lineno;
    p->sects = xreallocarray(p->sects, p->n_sects + 1, sizeof(*p->sects));
    p->sects[p->n_sects++] = s;

    switch (s->kind) {
    case SK_SERVER:
        s->obj = &c->server;
        c->server.file = s->file;
        c->server.line = s->line;
        p->server = s;
        break;
    case SK_DAEMON:
        s->obj = &c->daemon;
        c->daemon.file = s->file;
        c->daemon.line = s->line;
        p->daemon = s;
        break;
    case SK_MAILBOX: {
        struct conf_mailbox *m = xcalloc(1, sizeof(*m));
        m->name = xstrdup(name);
        m->file = s->file;
        m->line = s->line;
        c->mailboxes = xreallocarray(c->mailboxes, c->n_mailboxes + 1, sizeof(*c->mailboxes));
        c->mailboxes[c->n_mailboxes++] = m;
        s->obj = m;
        s->name = m->name;
        break;
    }
    case SK_POLICY: {
        struct conf_policy *pol = xcalloc(1, sizeof(*pol));
        pol->name = xstrdup(name);
        pol->file = s->file;
        pol->line = s->line;
        c->policies = xreallocarray(c->policies, c->n_policies + 1, sizeof(*c->policies));
        c->policies[c->n_policies++] = pol;
        s->obj = pol;
        s->name = pol->name;
        break;
    }
    case SK_RULE: {
        struct conf_rule *r = xcalloc(1, sizeof(*r));
        r->name = xstrdup(name);
        r->file = s->file;
        r->line = s->line;
        c->rules = xreallocarray(c->rules, c->n_rules + 1, sizeof(*c->rules));
        c->rules[c->n_rules++] = r;
        s->obj = r;
        s->name = r->name;
        break;
    }
    case SK_COUNT:
        break;
    }
    if (s->kind != SK_SERVER && s->kind != SK_DAEMON)
        apply_defaults(p, s->kind, s->obj);
    p->cur = s;
    p->last_key = -1;
}

/* ---- the reader and handler given to inih ----------------------------------------------- */

/* Like inih's find_chars_or_comment(): the first of chars, or an inline ';' comment (one
 * preceded by whitespace), or the end. */
static const char *find_or_comment(const char *s, const char *chars)
{
    bool was_space = false;
    while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
        was_space = is_space(*s);
        s++;
    }
    return s;
}

/* True if the (indented) line reads "KEY = ..." with KEY a key of the current section. */
static bool is_key_line_of_section(const struct parser *p, const char *start)
{
    if (p->cur == NULL)
        return false;
    const char *sep = find_or_comment(start, "=:");
    if (*sep != '=' && *sep != ':')
        return false;
    const char *e = sep;
    while (e > start && is_space(e[-1]))
        e--;
    char name[64];
    size_t n = (size_t)(e - start);
    if (n == 0 || n >= sizeof(name))
        return false;
    memcpy(name, start, n);
    name[n] = '\0';
    return find_key(p->cur->kind, name) >= 0;
}

static char *reader(char *str, int num, void *stream)
{
    struct parser *p = stream;
    if (p->failed)
        return NULL;
    errno = 0;
    ssize_t n = getline(&p->buf, &p->bufcap, p->fp);
    if (n < 0) {
        if (ferror(p->fp))
            fail_at(p, p->file, 0, "read error: %s", strerror(errno ? errno : EIO));
        else
            finish_section(p);
        return NULL;
    }
    p->lineno++;
    p->continuation = false;
    char *line = p->buf;
    if (memchr(line, '\0', (size_t)n) != NULL) {
        fail(p, "line contains a NUL byte");
        return NULL;
    }
    /* Drop a UTF-8 byte order mark ourselves so the classification below sees the text. */
    if (p->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        n -= 3;
    }
    if ((size_t)n + 1 > (size_t)num) {
        /* A long comment is harmless: hand inih an empty line so the line count stays
         * right. Anything else would be cut by inih and its tail read as another line. */
        const char *t = line + strspn(line, " \t\v\f\r");
        if ((*t == '#' || *t == ';') && num >= 2) {
            str[0] = '\n';
            str[1] = '\0';
            return str;
        }
        fail(p,
             "line is too long (at most %d characters; continue lists and texts on indented "
             "lines)",
             num - 2);
        return NULL;
    }

    char *start = line;
    while (is_space(*start))
        start++;
    if (*start == '\0' || *start == '#' || *start == ';') {
        /* Blank or comment: inih skips it. */
    } else if (start > line && p->last_key >= 0 && *start != '[' &&
               continues(keys[p->last_key].type) && !is_key_line_of_section(p, start)) {
        /* Indented text under a list or text key: inih will pass it as another value
         * of that key. Some inih versions strip inline comments from such lines and some
         * do not: strip them here so that " ; comment" means the same on every line. */
        p->continuation = true;
        char *cut = (char *)find_or_comment(start, NULL);
        if (*cut != '\0') {
            while (cut > start && is_space(cut[-1]))
                cut--;
            *cut = '\0';
            n = cut - line;
        }
    } else {
        /* Not a continuation: remove the indentation so that inih does not take it for
         * one either. */
        if (start > line) {
            memmove(line, start, strlen(start) + 1);
            n -= start - line;
            start = line;
        }
        if (*start == '[') {
            char *close = (char *)find_or_comment(start + 1, "]");
            if (*close != ']') {
                fail(p, "section header without closing ']'");
                return NULL;
            }
            const char *after = close + 1;
            while (is_space(*after))
                after++;
            if (*after != '\0' && *after != ';' && *after != '#') {
                fail(p, "unexpected text after ']'");
                return NULL;
            }
            char *content = xstrndup(start + 1, (size_t)(close - start - 1));
            start_section(p, content);
            free(content);
            if (p->failed)
                return NULL;
        } else {
            const char *sep = find_or_comment(start, "=:");
            if (*sep != '=' && *sep != ':') {
                fail(p, "syntax error: expected 'key = value', '[section]' or a comment");
                return NULL;
            }
            if (sep == start) {
                fail(p, "missing key name before '%c'", *sep);
                return NULL;
            }
        }
    }
    memcpy(str, line, (size_t)n + 1);
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parser *p = user;
    (void)section; /* inih truncates long section names; we track sections ourselves */
    if (p->failed)
        return 1;
    if (p->continuation) {
        const struct key *k = &keys[p->last_key];
        if (parse_value(p, k, p->cur->obj, value, true) == 0 && (k->flags & KF_HAS))
            *FIELD(p->cur->obj, k->has_off, bool) = true;
        return 1;
    }
    if (p->cur == NULL) {
        fail(p, "key '%.60s' outside of any section", name);
        return 1;
    }
    int row = find_key(p->cur->kind, name);
    if (row < 0) {
        if (p->cur->name)
            fail(p, "unknown key '%.60s' in [%s %s]", name, sect_names[p->cur->kind], p->cur->name);
        else
            fail(p, "unknown key '%.60s' in [%s]", name, sect_names[p->cur->kind]);
        return 1;
    }
    if (p->cur->key_line[row] != 0) {
        fail(p, "duplicate key '%s' (first set at line %u)", keys[row].name, p->cur->key_line[row]);
        return 1;
    }
    p->cur->key_line[row] = p->lineno;
    p->last_key = row;
    const struct key *k = &keys[row];
    if (parse_value(p, k, p->cur->obj, value, false) == 0 && (k->flags & KF_HAS))
        *FIELD(p->cur->obj, k->has_off, bool) = true;
    return 1;
}

static void parse_file(struct parser *p, const char *path, bool main_file)
{
    strlist_add(&p->conf->files, path);
    p->file = p->conf->files.v[p->conf->files.n - 1];
    p->main_file = main_file;
    p->lineno = 0;
    p->cur = NULL;
    p->last_key = -1;
    p->continuation = false;
    p->fp = fopen(path, "re");
    if (p->fp == NULL) {
        fail_at(p, path, 0, "cannot open: %s", strerror(errno));
        return;
    }
    struct stat sb;
    if (fstat(fileno(p->fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fail_at(p, path, 0, "is a directory");
    } else {
        int r = ini_parse_stream(reader, p, handler, p);
        if (r == -2) {
            fputs("meetingd: out of memory in inih\n", stderr);
            abort();
        }
        if (!p->failed && r != 0)
            fail_at(p, path, r > 0 ? (unsigned)r : 0, "syntax error");
    }
    fclose(p->fp);
    p->fp = NULL;
    free(p->buf);
    p->buf = NULL;
    p->bufcap = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_include_dir(struct parser *p)
{
    const char *dir = p->conf->daemon.include_dir;
    unsigned line = p->daemon->key_line[find_key(SK_DAEMON, "include_dir")];
    const char *file = p->daemon->file;
    DIR *d = opendir(dir);
    if (d == NULL) {
        fail_at(p, file, line, "include_dir: cannot open %s: %s", dir, strerror(errno));
        return;
    }
    struct strlist names = {0};
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".conf") != 0)
            continue;
        strlist_add(&names, de->d_name);
    }
    closedir(d);
    if (names.n > 0)
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    for (size_t i = 0; i < names.n && !p->failed; i++) {
        char *path = xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names.v[i]);
        struct stat sb;
        /* A subdirectory named *.conf is not configuration; a dangling link is a mistake. */
        if (stat(path, &sb) != 0)
            fail_at(p, path, 0, "cannot open: %s", strerror(errno));
        else if (S_ISREG(sb.st_mode))
            parse_file(p, path, false);
        free(path);
    }
    strlist_free(&names);
}

/* ---- whole-configuration checks --------------------------------------------------------- */

static struct conf_policy *lookup_policy(const struct conf *c, const char *name)
{
    for (size_t i = 0; i < c->n_policies; i++)
        if (strcmp(c->policies[i]->name, name) == 0)
            return c->policies[i];
    return NULL;
}

static void unknown_policy(struct parser *p, const char *file, unsigned line, const char *name)
{
    const struct conf *c = p->conf;
    for (size_t i = 0; i < c->n_policies; i++) {
        if (util_str_casecmp_ascii(c->policies[i]->name, name) == 0) {
            fail_at(p, file, line, "policy: unknown policy '%.64s' (did you mean '%s'?)", name,
                    c->policies[i]->name);
            return;
        }
    }
    fail_at(p, file, line, "policy: unknown policy '%.64s' (no [policy %.64s] section)", name,
            name);
}

/* The line a key of the section holding obj was set on (0 if not set). */
static unsigned key_line_of(const struct parser *p, const void *obj, enum sect_kind kind,
                            const char *key)
{
    for (size_t i = 0; i < p->n_sects; i++)
        if (p->sects[i]->obj == obj)
            return p->sects[i]->key_line[find_key(kind, key)];
    return 0;
}

static void validate_all(struct parser *p)
{
    struct conf *c = p->conf;
    if (p->server == NULL) {
        fail_at(p, c->path, 0, "missing [server] section (url is required)");
        return;
    }
    const struct conf_server *srv = &c->server;
    bool server_creds = srv->username != NULL && srv->password != NULL;

    for (size_t i = 0; i < c->n_mailboxes; i++) {
        struct conf_mailbox *m = c->mailboxes[i];
        m->policy = lookup_policy(c, m->policy_name);
        if (m->policy == NULL) {
            unknown_policy(p, m->file, m->policy_line, m->policy_name);
            return;
        }
        for (size_t j = 0; j < i; j++) {
            if (util_str_casecmp_ascii(c->mailboxes[j]->address, m->address) == 0) {
                fail_at(p, m->file, key_line_of(p, m, SK_MAILBOX, "address"),
                        "mailbox %s has the same address as [mailbox %s] (%s:%u)", m->name,
                        c->mailboxes[j]->name, c->mailboxes[j]->file, c->mailboxes[j]->line);
                return;
            }
        }
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        struct conf_rule *r = c->rules[i];
        r->policy = lookup_policy(c, r->policy_name);
        if (r->policy == NULL) {
            unknown_policy(p, r->file, r->policy_line, r->policy_name);
            return;
        }
    }
    for (size_t i = 0; i < c->n_mailboxes; i++) {
        struct conf_mailbox *m = c->mailboxes[i];
        if (!m->has_poll_interval)
            m->poll_interval_s = c->daemon.poll_interval_s;
        if (m->username != NULL) {
            m->access = CONF_ACCESS_OWN;
            m->login_username = m->username;
            m->login_password = m->password;
        } else if (server_creds) {
            m->access = srv->impersonation ? CONF_ACCESS_IMPERSONATE : CONF_ACCESS_DELEGATE;
            m->login_username = srv->username;
            m->login_password = srv->password;
        } else {
            fail_at(p, m->file, m->line,
                    "mailbox %s has no credentials: set username and password_file here, or in "
                    "[server]",
                    m->name);
            return;
        }
    }

    for (size_t i = 0; i < c->n_rules; i++) {
        struct conf_rule *r = c->rules[i];
        struct conf_policy *pol = lookup_policy(c, r->policy_name);
        char d1[24], d2[24];
        if (r->has_min_duration && r->has_max_duration && r->min_duration_s > r->max_duration_s) {
            util_format_duration(r->min_duration_s, d1, sizeof(d1));
            util_format_duration(r->max_duration_s, d2, sizeof(d2));
            r->never_matches = xasprintf("min_duration %s is greater than max_duration %s", d1, d2);
        } else if (r->has_min_attendees && r->has_max_attendees &&
                   r->min_attendees > r->max_attendees) {
            r->never_matches = xasprintf("min_attendees %u is greater than max_attendees %u",
                                         r->min_attendees, r->max_attendees);
        } else if (r->has_days && r->days == 0) {
            r->never_matches = xstrdup("days is empty");
        } else {
            for (size_t j = 0; j < pol->n_rules; j++) {
                const struct conf_rule *e = pol->rules[j];
                if (e->n_conditions == 0) {
                    r->never_matches = xasprintf(
                        "shadowed by rule %s (%s:%u), which has no conditions and matches "
                        "everything first",
                        e->name, e->file, e->line);
                    break;
                }
            }
        }
        if (r->never_matches == NULL && r->external == CONF_COND_YES &&
            !pol->process_external_meeting_messages) {
            /* The policy ignores external organizers before any rule is tried. */
            r->never_matches = xasprintf("external = yes, but policy %s ignores external "
                                         "organizers (process_external_meeting_messages = no)",
                                         pol->name);
        }
        pol->rules = xreallocarray(pol->rules, pol->n_rules + 1, sizeof(*pol->rules));
        pol->rules[pol->n_rules++] = r;
    }
}

/* ---- public API ------------------------------------------------------------------------- */

struct conf *conf_load(const char *path, struct conf_error *err)
{
    struct conf_error scratch;
    if (err == NULL)
        err = &scratch;
    if (path == NULL)
        path = CONF_DEFAULT_PATH;
    memset(err, 0, sizeof(*err));
    struct conf *c = xcalloc(1, sizeof(*c));
    c->path = xstrdup(path);
    struct parser p = {.conf = c, .err = err, .last_key = -1};
    apply_defaults(&p, SK_SERVER, &c->server);
    apply_defaults(&p, SK_DAEMON, &c->daemon);

    parse_file(&p, path, true);
    if (!p.failed && c->daemon.include_dir != NULL)
        parse_include_dir(&p);
    if (!p.failed)
        validate_all(&p);

    for (size_t i = 0; i < p.n_sects; i++)
        free(p.sects[i]);
    free(p.sects);
    if (p.failed) {
        conf_free(c);
        return NULL;
    }
    return c;
}

void conf_free(struct conf *c)
{
    if (c == NULL)
        return;
    free(c->server.url);
    free(c->server.username);
    free(c->server.password_file);
    util_secure_free(c->server.password);
    free(c->server.ca_file);
    free(c->daemon.state_dir);
    free(c->daemon.include_dir);
    for (size_t i = 0; i < c->n_mailboxes; i++)
        free_mailbox(c->mailboxes[i]);
    free(c->mailboxes);
    for (size_t i = 0; i < c->n_policies; i++)
        free_policy(c->policies[i]);
    free(c->policies);
    for (size_t i = 0; i < c->n_rules; i++)
        free_rule(c->rules[i]);
    free(c->rules);
    strlist_free(&c->files);
    free(c->path);
    free(c);
}

void conf_error_print(const struct conf_error *err, FILE *out)
{
    if (err->file[0] == '\0')
        fprintf(out, "%s\n", err->message);
    else if (err->line == 0)
        fprintf(out, "%s: %s\n", err->file, err->message);
    else
        fprintf(out, "%s:%u: %s\n", err->file, err->line, err->message);
}

const struct conf_policy *conf_find_policy(const struct conf *c, const char *name)
{
    return name ? lookup_policy(c, name) : NULL;
}

const struct conf_mailbox *conf_find_mailbox(const struct conf *c, const char *name)
{
    for (size_t i = 0; name && i < c->n_mailboxes; i++)
        if (strcmp(c->mailboxes[i]->name, name) == 0)
            return c->mailboxes[i];
    return NULL;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (util_str_ncasecmp_ascii(hay, needle, n) == 0)
            return true;
    return n == 0;
}

bool conf_rule_subject_matches(const struct conf_rule *r, const char *subject)
{
    if (r->subject.pattern == NULL)
        return true;
    if (subject == NULL)
        return false;
    if (r->subject.is_regex)
        return regexec(&r->subject.re, subject, 0, NULL, 0) == 0;
    return contains_ci(subject, r->subject.pattern);
}

const char *conf_auth_name(enum conf_auth auth)
{
    return choice_name(auth_choices, (int)auth);
}

const char *conf_automate_name(enum conf_automate automate)
{
    return choice_name(automate_choices, (int)automate);
}

const char *conf_action_name(enum conf_action action)
{
    return choice_name(action_choices, (int)action);
}

const char *conf_access_name(enum conf_access access)
{
    return (unsigned)access < 3 ? access_names[access] : "?";
}

size_t conf_log_warnings(const struct conf *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_rules; i++) {
        const struct conf_rule *r = c->rules[i];
        if (r->never_matches != NULL) {
            log_warn("%s:%u: rule %s never matches: %s", r->file, r->line, r->name,
                     r->never_matches);
            n++;
        }
    }
    return n;
}

/* ---- printing --------------------------------------------------------------------------- */

/* Whether the summary shows the key: set, or having a meaningful default. */
static bool key_present(const struct key *k, const void *obj)
{
    if (k->flags & KF_HAS)
        return *FIELD((void *)obj, k->has_off, bool);
    switch (k->type) {
    case KT_STRING:
    case KT_URL:
    case KT_ABSPATH:
    case KT_INCLUDE_DIR:
    case KT_CA_FILE:
    case KT_SECRET_FILE:
    case KT_ADDRESS:
    case KT_POLICY_REF:
        return *FIELD((void *)obj, k->off, char *) != NULL;
    case KT_TEXT:
        return k->kind == SK_POLICY || *FIELD((void *)obj, k->off, char *) != NULL;
    case KT_ADDR_LIST:
    case KT_PLAIN_ADDRS:
    case KT_DOMAIN_LIST:
        return k->kind == SK_POLICY || FIELD((void *)obj, k->off, struct strlist)->n > 0;
    case KT_SUBJECT:
        return FIELD((void *)obj, k->off, struct conf_text_match)->pattern != NULL;
    case KT_COND_BOOL:
        return *FIELD((void *)obj, k->off, enum conf_cond_bool) != CONF_COND_ANY;
    default:
        return true;
    }
}

static void print_list(FILE *out, const char *name, const struct strlist *l)
{
    size_t total = 0;
    for (size_t i = 0; i < l->n; i++)
        total += strlen(l->v[i]) + 2;
    fprintf(out, "%s =", name);
    if (total + strlen(name) < 90) {
        for (size_t i = 0; i < l->n; i++)
            fprintf(out, "%s%s", i ? ", " : " ", l->v[i]);
        fputc('\n', out);
        return;
    }
    fputc('\n', out);
    for (size_t i = 0; i < l->n; i++)
        fprintf(out, "    %s\n", l->v[i]);
}

/* Texts longer than a line are wrapped at spaces onto indented continuation lines, which
 * load back as the same text (the pieces are joined with one space). */
static void print_text(FILE *out, const char *name, const char *s)
{
    size_t col = (size_t)fprintf(out, "%s =", name);
    if (strlen(s) + col < 96) {
        fprintf(out, "%s%s\n", *s ? " " : "", s);
        return;
    }
    while (*s) {
        size_t n = strlen(s);
        if (col + 1 + n > 96) {
            /* Break at the last space that fits, or the first one after. */
            size_t room = 96 - col - 1, cut = 0;
            for (size_t i = 1; i < n && (i <= room || cut == 0); i++)
                if (s[i] == ' ' && !strchr("[#; ", s[i + 1]))
                    cut = i; /* a piece must not read as a section or a comment */
            if (cut != 0)
                n = cut;
        }
        fprintf(out, " %.*s\n", (int)n, s);
        s += n;
        while (*s == ' ')
            s++;
        if (*s) {
            fputs("   ", out);
            col = 3;
        }
    }
}

static void print_key(FILE *out, const struct key *k, const void *obj)
{
    void *o = (void *)obj;
    char buf[64];
    switch (k->type) {
    case KT_TEXT: {
        const char *s = *FIELD(o, k->off, char *);
        print_text(out, k->name, s ? s : "");
        break;
    }
    case KT_STRING:
    case KT_URL:
    case KT_ABSPATH:
    case KT_INCLUDE_DIR:
    case KT_CA_FILE:
    case KT_ADDRESS:
    case KT_POLICY_REF: {
        const char *s = *FIELD(o, k->off, char *);
        fprintf(out, "%s =%s%s\n", k->name, s && *s ? " " : "", s ? s : "");
        break;
    }
    case KT_SECRET_FILE:
        /* The path only: the secret itself never leaves the struct. */
        fprintf(out, "; secret read from this file at load time, not shown\n");
        fprintf(out, "%s = %s\n", k->name, *FIELD(o, k->off, char *));
        break;
    case KT_BOOL:
        fprintf(out, "%s = %s\n", k->name, *FIELD(o, k->off, bool) ? "yes" : "no");
        break;
    case KT_COND_BOOL:
        fprintf(out, "%s = %s\n", k->name,
                *FIELD(o, k->off, enum conf_cond_bool) == CONF_COND_YES ? "yes" : "no");
        break;
    case KT_UINT:
        fprintf(out, "%s = %u\n", k->name, *FIELD(o, k->off, unsigned));
        break;
    case KT_DURATION:
        util_format_duration(*FIELD(o, k->off, unsigned), buf, sizeof(buf));
        fprintf(out, "%s = %s\n", k->name, buf);
        break;
    case KT_ENUM:
        fprintf(out, "%s = %s\n", k->name, choice_name(k->choices, *FIELD(o, k->off, int)));
        break;
    case KT_CHOICE_STR:
        fprintf(out, "%s = %s\n", k->name, *FIELD(o, k->off, const char *));
        break;
    case KT_ADDR_LIST:
    case KT_PLAIN_ADDRS:
    case KT_DOMAIN_LIST:
        print_list(out, k->name, FIELD(o, k->off, struct strlist));
        break;
    case KT_DAYS:
        format_days(*FIELD(o, k->off, unsigned), buf, sizeof(buf));
        fprintf(out, "%s =%s%s\n", k->name, buf[0] ? " " : "", buf);
        break;
    case KT_HOURS: {
        unsigned a = *FIELD(o, k->off, unsigned), b = *FIELD(o, k->off2, unsigned);
        fprintf(out, "%s = %02u:%02u-%02u:%02u\n", k->name, a / 60, a % 60, b / 60, b % 60);
        break;
    }
    case KT_TIME_ZONE: {
        const char *tz = *FIELD(o, k->off, char *);
        if (tz)
            fprintf(out, "%s = %s\n", k->name, tz);
        else
            fprintf(out, "%s =\n", k->name);
        break;
    }
    case KT_SUBJECT:
        fprintf(out, "%s = %s\n", k->name, FIELD(o, k->off, struct conf_text_match)->pattern);
        break;
    }
}

static void print_section(FILE *out, enum sect_kind kind, const void *obj)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].kind == kind && key_present(&keys[i], obj))
            print_key(out, &keys[i], obj);
}

void conf_print_summary(const struct conf *c, FILE *out)
{
    fprintf(out, "# meetingd configuration from %s", c->path);
    if (c->files.n > 1)
        fprintf(out, " and %zu included file%s", c->files.n - 1, c->files.n > 2 ? "s" : "");
    fputc('\n', out);
    for (size_t i = 1; i < c->files.n; i++)
        fprintf(out, "#   included: %s\n", c->files.v[i]);

    fprintf(out, "\n[server]\n# defined at %s:%u\n", c->server.file ? c->server.file : c->path,
            c->server.line);
    print_section(out, SK_SERVER, &c->server);

    fprintf(out, "\n[daemon]\n");
    if (c->daemon.file)
        fprintf(out, "# defined at %s:%u\n", c->daemon.file, c->daemon.line);
    else
        fprintf(out, "# not in the file: all defaults\n");
    print_section(out, SK_DAEMON, &c->daemon);

    if (c->n_mailboxes == 0)
        fprintf(out, "\n# no [mailbox] sections: nothing to handle\n");
    for (size_t i = 0; i < c->n_mailboxes; i++) {
        const struct conf_mailbox *m = c->mailboxes[i];
        fprintf(out, "\n[mailbox %s]\n# defined at %s:%u\n", m->name, m->file, m->line);
        fprintf(out, "# reached by %s as %s\n", conf_access_name(m->access),
                m->login_username ? m->login_username : "?");
        print_section(out, SK_MAILBOX, m);
        if (!m->has_poll_interval) {
            char d[24];
            util_format_duration(m->poll_interval_s, d, sizeof(d));
            fprintf(out, "; poll_interval = %s (from [daemon])\n", d);
        }
    }
    for (size_t i = 0; i < c->n_policies; i++) {
        const struct conf_policy *pol = c->policies[i];
        fprintf(out, "\n[policy %s]\n# defined at %s:%u\n", pol->name, pol->file, pol->line);
        fprintf(out, "# rules:");
        if (pol->n_rules == 0)
            fprintf(out, " none");
        for (size_t j = 0; j < pol->n_rules; j++)
            fprintf(out, " %s", pol->rules[j]->name);
        fputc('\n', out);
        print_section(out, SK_POLICY, pol);
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        const struct conf_rule *r = c->rules[i];
        fprintf(out, "\n[rule %s]\n# defined at %s:%u\n", r->name, r->file, r->line);
        if (r->n_conditions == 0)
            fprintf(out, "# no conditions: matches every request\n");
        if (r->never_matches)
            fprintf(out, "# WARNING: never matches: %s\n", r->never_matches);
        print_section(out, SK_RULE, r);
    }
}

static const char *type_name(const struct key *k, char *buf, size_t len)
{
    char d1[24], d2[24];
    switch (k->type) {
    case KT_STRING:
        return "string";
    case KT_TEXT:
        return "text";
    case KT_BOOL:
        return "yes/no";
    case KT_COND_BOOL:
        return "yes/no";
    case KT_UINT:
        snprintf(buf, len, "integer %lu..%lu", k->min, k->max);
        return buf;
    case KT_DURATION:
        util_format_duration((unsigned)k->min, d1, sizeof(d1));
        util_format_duration((unsigned)k->max, d2, sizeof(d2));
        snprintf(buf, len, "duration %s..%s", d1, d2);
        return buf;
    case KT_ENUM:
    case KT_CHOICE_STR: {
        size_t off = 0;
        buf[0] = '\0';
        for (const struct choice *c = k->choices; c->name; c++) {
            if (c->refused)
                continue;
            int w = snprintf(buf + off, len - off, "%s%s", off ? " \\| " : "", c->name);
            if (w < 0 || (size_t)w >= len - off)
                break;
            off += (size_t)w;
        }
        return buf;
    }
    case KT_URL:
        return "URL";
    case KT_ABSPATH:
        return "absolute path";
    case KT_INCLUDE_DIR:
        return "directory";
    case KT_CA_FILE:
        return "file";
    case KT_SECRET_FILE:
        return "secret file";
    case KT_ADDRESS:
        return "address";
    case KT_ADDR_LIST:
        return "list of addresses, @domains, globs";
    case KT_PLAIN_ADDRS:
        return "list of addresses";
    case KT_DOMAIN_LIST:
        return "list of domains";
    case KT_DAYS:
        return "days";
    case KT_HOURS:
        return "HH:MM-HH:MM";
    case KT_TIME_ZONE:
        return "time zone";
    case KT_POLICY_REF:
        return "policy name";
    case KT_SUBJECT:
        return "text or /regex/";
    }
    return "?";
}

void conf_print_keys(FILE *out)
{
    static const char *const headers[SK_COUNT] = {"[server]", "[daemon]", "[mailbox NAME]",
                                                  "[policy NAME]", "[rule NAME]"};
    char buf[400];
    for (int kind = 0; kind < SK_COUNT; kind++) {
        fprintf(out, "%s### %s\n\n| key | type | default | description |\n|---|---|---|---|\n",
                kind ? "\n" : "", headers[kind]);
        for (size_t i = 0; i < N_KEYS; i++) {
            const struct key *k = &keys[i];
            if ((int)k->kind != kind)
                continue;
            const char *def = k->def ? k->def : "";
            if (k->flags & KF_REQUIRED)
                def = "(required)";
            else if (k->def && *k->def == '\0')
                def = "(empty)";
            else if (!k->def)
                def = "(none)";
            fprintf(out, "| `%s` | %s | %s | %s |\n", k->name, type_name(k, buf, sizeof(buf)), def,
                    k->help);
        }
    }
}
