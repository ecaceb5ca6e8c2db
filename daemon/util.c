/*
 * util: allocation, value parsers, secret files, clock, string lists, address matching.
 */
#define _GNU_SOURCE /* FNM_CASEFOLD */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civil.h"

/* ---- allocation ------------------------------------------------------------------------- */

static UTIL_NORETURN void oom(size_t size)
{
    /* No allocation and no stdio buffering here: we are out of memory. */
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "meetingd: out of memory allocating %zu bytes\n", size);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg));
        (void)w;
    }
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    if (nmemb == 0 || size == 0)
        nmemb = size = 1;
    if (size > SIZE_MAX / nmemb)
        oom(SIZE_MAX);
    void *p = calloc(nmemb, size);
    if (p == NULL)
        oom(nmemb * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
    if (nmemb != 0 && size > SIZE_MAX / nmemb)
        oom(SIZE_MAX);
    return xrealloc(ptr, nmemb * size);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        /* Only an invalid format can get here: treat it as a bug, not as input. */
        fputs("meetingd: xvasprintf: bad format\n", stderr);
        abort();
    }
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

/* ---- value parsers ---------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower_ascii(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int util_parse_duration(const char *s, unsigned *seconds_out)
{
    static const struct {
        char unit;
        unsigned factor;
    } units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

    if (s == NULL || *s == '\0')
        return -1;
    unsigned long long total = 0;
    size_t next_unit = 0; /* units must come in descending order, each at most once */
    const char *p = s;
    while (*p != '\0') {
        if (!is_digit(*p))
            return -1;
        unsigned long long n = 0;
        while (is_digit(*p)) {
            n = n * 10 + (unsigned)(*p - '0');
            if (n > UINT_MAX)
                return -1;
            p++;
        }
        if (*p == '\0') {
            /* A bare number is only allowed as the whole string. */
            if (next_unit != 0)
                return -1;
            total = n;
            break;
        }
        size_t u = next_unit;
        while (u < sizeof(units) / sizeof(units[0]) && units[u].unit != *p)
            u++;
        if (u == sizeof(units) / sizeof(units[0]))
            return -1;
        total += n * units[u].factor;
        if (total > UINT_MAX)
            return -1;
        next_unit = u + 1;
        p++;
    }
    *seconds_out = (unsigned)total;
    return 0;
}

void util_format_duration(unsigned seconds, char *buf, size_t len)
{
    if (len == 0)
        return;
    if (seconds == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    static const struct {
        char unit;
        unsigned factor;
    } units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        unsigned n = seconds / units[i].factor;
        seconds %= units[i].factor;
        if (n == 0)
            continue;
        int w = snprintf(buf + off, len - off, "%u%c", n, units[i].unit);
        if (w < 0 || (size_t)w >= len - off)
            return; /* truncated; snprintf terminated it */
        off += (size_t)w;
    }
}

int util_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (util_str_casecmp_ascii(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (util_str_casecmp_ascii(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* ---- times: the one xs:dateTime codec --------------------------------------------------- */

/* Whether S starts with PATTERN, where 'd' stands for a digit and anything else for itself. */
static bool shaped(const char *s, const char *pattern)
{
    for (; *pattern; s++, pattern++)
        if (*pattern == 'd' ? !is_digit(*s) : *s != *pattern)
            return false;
    return true;
}

/* The number of the digits at S (as many as WIDTH). */
static int number(const char *s, int width)
{
    int v = 0;
    for (int i = 0; i < width; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Seconds since the epoch of the start of a date "YYYY-MM-DD" at S, checked against the
 * calendar (no 30 February). */
static int date_start(const char *s, long long *out)
{
    if (!shaped(s, "dddd-dd-dd"))
        return -1;
    int y = number(s, 4), m = number(s + 5, 2), d = number(s + 8, 2);
    if (!civil_date_valid(y, m, d))
        return -1;
    *out = civil_days_from_date(y, m, d) * 86400LL;
    return 0;
}

/* The time zone designator at S, the whole rest of the string: "Z", "+HH:MM", "-HH:MM" (XS:
 * what xs:dateTime allows, up to 14:00), or also "z", "+HHMM", "+HH" (ISO 8601). Sets the
 * offset east of UTC in seconds. */
static int zone_offset(const char *s, bool xs, long *offset)
{
    *offset = 0;
    if (strcmp(s, "Z") == 0 || (!xs && strcmp(s, "z") == 0))
        return 0;
    if ((*s != '+' && *s != '-') || !shaped(s + 1, "dd"))
        return -1;
    int sign = *s == '-' ? -1 : 1, hh = number(s + 1, 2), mm = 0;
    const char *rest = s + 3;
    if (shaped(rest, ":dd")) {
        mm = number(rest + 1, 2);
        rest += 3;
    } else if (!xs && shaped(rest, "dd")) {
        mm = number(rest, 2);
        rest += 2;
    } else if (xs) {
        return -1;
    }
    if (*rest != '\0' || mm > 59 || hh > (xs ? 14 : 23) || (xs && hh == 14 && mm != 0))
        return -1;
    *offset = sign * (hh * 3600L + mm * 60L);
    return 0;
}

/* Seconds after midnight of "HH:MM[:SS[.fff]]" at *S (advanced past it). XS: seconds
 * required, 24:00:00 (the end of the day) allowed, no leap second; else a leap second rolls
 * over. */
static int time_of_day(const char **s, bool xs, long *out)
{
    const char *p = *s;
    if (!shaped(p, "dd:dd"))
        return -1;
    int hh = number(p, 2), mi = number(p + 3, 2), ss = 0;
    p += 5;
    if (shaped(p, ":dd")) {
        ss = number(p + 1, 2);
        p += 3;
    } else if (xs) {
        return -1;
    }
    bool fraction = false; /* a fraction is truncated, but 24:00:00.5 is no time */
    if (*p == '.' || (!xs && *p == ',')) {
        if (!is_digit(*++p))
            return -1;
        for (; is_digit(*p); p++)
            fraction |= *p != '0';
    }
    bool end_of_day = xs && hh == 24 && mi == 0 && ss == 0 && !fraction;
    if ((hh > 23 && !end_of_day) || mi > 59 || ss > (xs ? 59 : 60))
        return -1;
    *out = hh * 3600L + mi * 60L + ss;
    *s = p;
    return 0;
}

/* XML whitespace around a value is not part of it. Copies the trimmed S into BUF (of LEN). */
static const char *trim_xml(const char *s, char *buf, size_t len)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n >= len)
        return NULL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* The one parser behind util_parse_time (ISO 8601, lenient) and util_parse_xs_datetime. */
static int parse_datetime(const char *s, bool xs, time_t *out)
{
    char buf[64];
    if (s == NULL || (xs && (s = trim_xml(s, buf, sizeof(buf))) == NULL))
        return -1;
    long long t;
    if (date_start(s, &t) != 0 || (xs && number(s, 4) < 1))
        return -1;
    s += 10;
    if (*s == '\0' && !xs) { /* a date alone: its midnight, UTC */
        *out = (time_t)t;
        return 0;
    }
    long secs, offset = 0;
    if (*s++ != 'T' || time_of_day(&s, xs, &secs) != 0)
        return -1;
    /* Without a zone a time is UTC (EWS writes UTC); xs:dateTime from EWS must say so, or a
     * local time would silently shift meetings. */
    if ((*s != '\0' || xs) && zone_offset(s, xs, &offset) != 0)
        return -1;
    t += secs - offset;
    if ((long long)(time_t)t != t)
        return -1;
    *out = (time_t)t;
    return 0;
}

int util_parse_time(const char *s, time_t *out)
{
    return parse_datetime(s, false, out);
}

int util_parse_xs_datetime(const char *s, time_t *out)
{
    return parse_datetime(s, true, out);
}

int util_parse_xs_date(const char *s, char out[static 11])
{
    char buf[32];
    long long t;
    long offset;
    if (s == NULL || (s = trim_xml(s, buf, sizeof(buf))) == NULL || date_start(s, &t) != 0 ||
        number(s, 4) < 1 || (s[10] != '\0' && zone_offset(s + 10, true, &offset) != 0))
        return -1;
    memcpy(out, s, 10);
    out[10] = '\0';
    return 0;
}

int util_format_xs_datetime(time_t t, char buf[static 21])
{
    /* xs:dateTime has no year 0. */
    if (!civil_time_in_range(t) || civil_from_time(t).year < 1)
        return -1;
    civil_format_utc(t, buf);
    return 0;
}

void util_format_time_utc(time_t t, char buf[static 21])
{
    static const time_t first = -62167219200LL; /* 0000-01-01T00:00:00Z */
    static const time_t last = 253402300799LL;  /* 9999-12-31T23:59:59Z */
    civil_format_utc(t < first ? first : t > last ? last : t, buf);
}

/* ---- secrets ---------------------------------------------------------------------------- */

#define SECRET_MAX (64 * 1024)

/* True if path resolves to a file inside $CREDENTIALS_DIRECTORY. Both sides go through
 * realpath() so that "..", symlinks and duplicate slashes cannot fake the prefix. */
static bool under_credentials_dir(const char *path)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    if (dir == NULL || *dir == '\0')
        return false;
    char rdir[PATH_MAX], rpath[PATH_MAX];
    if (realpath(dir, rdir) == NULL || realpath(path, rpath) == NULL)
        return false;
    size_t n = strlen(rdir);
    if (n == 1 && rdir[0] == '/')
        return true;
    return strncmp(rpath, rdir, n) == 0 && rpath[n] == '/';
}

char *util_read_secret_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((st.st_mode & 077) != 0 && !under_credentials_dir(path)) {
        snprintf(err, errlen,
                 "%s has mode %04o: group or others may access it (must be 0600 or stricter; "
                 "chmod 600 it, or use systemd credentials)",
                 path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return NULL;
    }
    if (st.st_size > SECRET_MAX) {
        snprintf(err, errlen, "%s is too large for a secret (more than %d bytes)", path,
                 SECRET_MAX);
        close(fd);
        return NULL;
    }
    /* Read up to one byte more than allowed so a file that grew since fstat is caught. */
    char *buf = xmalloc(SECRET_MAX + 2);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, SECRET_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            buf[len] = '\0';
            util_secure_free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > SECRET_MAX)
            break;
    }
    close(fd);
    buf[len] = '\0';
    const char *problem = NULL;
    if (len > SECRET_MAX)
        problem = "is too large for a secret";
    else if (memchr(buf, '\0', len) != NULL)
        problem = "contains a NUL byte";
    if (problem == NULL) {
        if (len > 0 && buf[len - 1] == '\n') {
            buf[--len] = '\0';
            if (len > 0 && buf[len - 1] == '\r')
                buf[--len] = '\0';
        }
        if (len == 0)
            problem = "is empty";
    }
    if (problem != NULL) {
        snprintf(err, errlen, "%s %s", path, problem);
        explicit_bzero(buf, SECRET_MAX + 2);
        free(buf);
        return NULL;
    }
    /* Shrink into an exact-size copy and wipe the big buffer. */
    char *secret = xmalloc(len + 1);
    memcpy(secret, buf, len + 1);
    explicit_bzero(buf, SECRET_MAX + 2);
    free(buf);
    return secret;
}

void util_secure_free(char *s)
{
    if (s == NULL)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

/* ---- clock ------------------------------------------------------------------------------ */

time_t util_now(void)
{
#ifdef MEETINGD_TEST_CLOCK
    static bool read;
    static time_t offset;
    if (!read) {
        const char *s = getenv("MEETINGD_TEST_NOW");
        time_t t;
        if (s != NULL && *s != '\0' && util_parse_time(s, &t) == 0)
            offset = t - time(NULL);
        read = true;
    }
    return time(NULL) + offset;
#else
    return time(NULL);
#endif
}

uint64_t util_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- string lists ----------------------------------------------------------------------- */

void strlist_add_take(struct strlist *l, char *s)
{
    l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
    l->v[l->n++] = s;
}

void strlist_add(struct strlist *l, const char *s)
{
    strlist_add_take(l, xstrdup(s));
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

bool strlist_contains_ci(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (util_str_casecmp_ascii(l->v[i], s) == 0)
            return true;
    return false;
}

/* ---- strings and addresses -------------------------------------------------------------- */

bool util_utf8_feed(struct util_utf8 *st, unsigned char c)
{
    if (st->need > 0) {
        if (c < st->lo || c > st->hi)
            return false;
        st->need--;
        st->lo = 0x80;
        st->hi = 0xBF;
        return true;
    }
    st->lo = 0x80;
    st->hi = 0xBF;
    if (c < 0x80)
        return true;
    if (c >= 0xC2 && c <= 0xDF) {
        st->need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        st->need = 2;
        if (c == 0xE0)
            st->lo = 0xA0; /* no overlong three-byte forms */
        else if (c == 0xED)
            st->hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        st->need = 3;
        if (c == 0xF0)
            st->lo = 0x90; /* no overlong four-byte forms */
        else if (c == 0xF4)
            st->hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return false;
    }
    return true;
}

bool util_utf8_complete(const struct util_utf8 *st)
{
    return st->need == 0;
}

bool util_utf8_valid(const char *s, size_t n)
{
    struct util_utf8 st = {0};
    for (size_t i = 0; i < n; i++)
        if (!util_utf8_feed(&st, (unsigned char)s[i]))
            return false;
    return util_utf8_complete(&st);
}

size_t util_utf8_len(const unsigned char *s, size_t avail, uint32_t *cp)
{
    struct util_utf8 st = {0};
    uint32_t v = 0;
    for (size_t i = 0; i < avail && i < 4; i++) {
        if (!util_utf8_feed(&st, s[i]))
            return 0;
        if (i == 0)
            v = s[0] < 0x80 ? s[0] : s[0] & (s[0] >= 0xf0 ? 0x07 : s[0] >= 0xe0 ? 0x0f : 0x1f);
        else
            v = (v << 6) | (s[i] & 0x3f);
        if (util_utf8_complete(&st)) {
            *cp = v;
            return i + 1;
        }
    }
    return 0;
}

char *util_utf8_replace_invalid(const char *s)
{
    struct strbuf b = {0};
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = util_utf8_len(p, SIZE_MAX, &cp);
        if (n == 0) {
            strbuf_puts(&b, "\xEF\xBF\xBD"); /* U+FFFD */
            p++;
        } else {
            strbuf_put(&b, p, n);
            p += n;
        }
    }
    return strbuf_take(&b);
}

int util_str_casecmp_ascii(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)lower_ascii(*a), cb = (unsigned char)lower_ascii(*b);
        if (ca != cb || ca == '\0')
            return ca - cb;
    }
}

int util_str_ncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (; n > 0; a++, b++, n--) {
        unsigned char ca = (unsigned char)lower_ascii(*a), cb = (unsigned char)lower_ascii(*b);
        if (ca != cb || ca == '\0')
            return ca - cb;
    }
    return 0;
}

bool util_domain_is_valid(const char *domain)
{
    size_t label = 0;
    const char *p = domain;
    if (*p == '\0')
        return false;
    for (; *p != '\0'; p++) {
        char c = *p;
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && (size_t)(p - domain) <= 253;
}

bool util_addr_is_valid(const char *addr)
{
    const char *at = strchr(addr, '@');
    if (at == NULL || at == addr || strchr(at + 1, '@') != NULL)
        return false;
    for (const char *p = addr; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 0x7f || strchr("<>()[],;:\"\\", c) != NULL)
            return false;
    }
    return at - addr <= 64 && util_domain_is_valid(at + 1);
}

bool util_addr_matches(const char *pattern, const char *addr)
{
    if (pattern == NULL || addr == NULL || *pattern == '\0' || *addr == '\0')
        return false;
    /* The configuration refuses '[' and '\\' in patterns, so glibc's fnmatch sees only
     * '*' and '?'; neither '/' nor a leading '.' is special without FNM_PATHNAME/PERIOD. */
    if (strpbrk(pattern, "*?") != NULL)
        return fnmatch(pattern, addr, FNM_CASEFOLD | FNM_NOESCAPE) == 0;
    if (pattern[0] == '@') {
        const char *at = strrchr(addr, '@');
        return at != NULL && at != addr && util_str_casecmp_ascii(at + 1, pattern + 1) == 0;
    }
    return util_str_casecmp_ascii(pattern, addr) == 0;
}

/* ---- growable string --------------------------------------------------------------------- */

static void strbuf_reserve(struct strbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + more + 1)
        ncap *= 2;
    b->p = xrealloc(b->p, ncap);
    b->cap = ncap;
}

void strbuf_put(struct strbuf *b, const void *s, size_t n)
{
    strbuf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void strbuf_putc(struct strbuf *b, char c)
{
    strbuf_put(b, &c, 1);
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    strbuf_puts(b, s);
    free(s);
}

/* The string, owned by the caller from now on (never NULL); B is left empty. */
char *strbuf_take(struct strbuf *b)
{
    char *s = b->p ? b->p : xstrdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}
