/*
 * util: allocation, value parsers, secret files, clock, string lists, address matching.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Reads exactly n digits; returns -1 if there are fewer. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

static bool is_leap(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long long y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date: count whole years in 400-year eras
 * starting in March, so that the leap day is the last day of the shifted year. */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;                                   /* [0, 399] */
    long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

int util_parse_time(const char *s, time_t *out)
{
    if (s == NULL)
        return -1;
    const char *p = s;
    int year = digits(&p, 4);
    if (year < 0 || *p++ != '-')
        return -1;
    int mon = digits(&p, 2);
    if (mon < 1 || mon > 12 || *p++ != '-')
        return -1;
    int day = digits(&p, 2);
    if (day < 1 || day > days_in_month(year, mon))
        return -1;
    long long secs = days_from_civil(year, mon, day) * 86400LL;
    if (*p == '\0') {
        *out = (time_t)secs;
        return 0;
    }
    if (*p++ != 'T')
        return -1;
    int hour = digits(&p, 2);
    if (hour < 0 || hour > 23 || *p++ != ':')
        return -1;
    int min = digits(&p, 2);
    if (min < 0 || min > 59)
        return -1;
    int sec = 0;
    if (*p == ':') {
        p++;
        sec = digits(&p, 2);
        if (sec < 0 || sec > 60)
            return -1;
        if (*p == '.' || *p == ',') {
            p++;
            if (!is_digit(*p))
                return -1;
            while (is_digit(*p))
                p++;
        }
    }
    secs += hour * 3600LL + min * 60LL + sec;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '+' ? 1 : -1;
        int oh = digits(&p, 2);
        if (oh < 0 || oh > 23)
            return -1;
        int om = 0;
        if (*p == ':') {
            p++;
            om = digits(&p, 2);
            if (om < 0)
                return -1;
        } else if (is_digit(*p)) {
            om = digits(&p, 2);
            if (om < 0)
                return -1;
        }
        if (om > 59)
            return -1;
        /* Local time = UTC + offset, so UTC = local - offset. */
        secs -= sign * (oh * 3600LL + om * 60LL);
    }
    if (*p != '\0')
        return -1;
    *out = (time_t)secs;
    return 0;
}

void util_format_time_utc(time_t t, char buf[static 21])
{
    const long long min_t = days_from_civil(0, 1, 1) * 86400LL;
    const long long max_t = days_from_civil(9999, 12, 31) * 86400LL + 86399;
    long long v = (long long)t;
    if (v < min_t)
        v = min_t;
    if (v > max_t)
        v = max_t;
    /* Civil date from days since the epoch: the inverse of days_from_civil. */
    long long days = v >= 0 ? v / 86400 : -((-v + 86399) / 86400);
    long long rem = v - days * 86400;
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    /* Digits written by hand: every field is range-bound here, which snprintf's truncation
     * analysis cannot see. */
    const struct {
        long long v;
        int width;
        char sep;
    } f[] = {{y, 4, '-'},
             {m, 2, '-'},
             {d, 2, 'T'},
             {rem / 3600, 2, ':'},
             {rem % 3600 / 60, 2, ':'},
             {rem % 60, 2, 'Z'}};
    char *o = buf;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        long long x = f[i].v;
        for (int w = f[i].width - 1; w >= 0; w--) {
            o[w] = (char)('0' + x % 10);
            x /= 10;
        }
        o += f[i].width;
        *o++ = f[i].sep;
    }
    *o = '\0';
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

/* Glob with '*' and '?' only, ASCII case-insensitive. Iterative with one backtrack point:
 * on a mismatch after a '*', let that star swallow one more character. */
static bool glob_match_ci(const char *pat, const char *str)
{
    const char *star = NULL, *retry = NULL;
    while (*str != '\0') {
        if (*pat == '*') {
            star = pat++;
            retry = str;
        } else if (*pat != '\0' && (*pat == '?' || lower_ascii(*pat) == lower_ascii(*str))) {
            pat++;
            str++;
        } else if (star != NULL) {
            pat = star + 1;
            str = ++retry;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

bool util_addr_matches(const char *pattern, const char *addr)
{
    if (pattern == NULL || addr == NULL || *pattern == '\0' || *addr == '\0')
        return false;
    if (strpbrk(pattern, "*?") != NULL)
        return glob_match_ci(pattern, addr);
    if (pattern[0] == '@') {
        const char *at = strrchr(addr, '@');
        return at != NULL && at != addr && util_str_casecmp_ascii(at + 1, pattern + 1) == 0;
    }
    return util_str_casecmp_ascii(pattern, addr) == 0;
}
