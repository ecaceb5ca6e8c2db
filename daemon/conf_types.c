/*
 * conf_types: one parser per type of configuration value, found through the type table.
 * conf.c calls conf_parse_value() for each "key = value" line and for the defaults; each
 * parser checks the syntax and bounds its row gives and reports a mistake with its reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_keys.h"
#include "metrics_http.h"
#include "text_template.h"
#include "winzone.h"

/* ---- helpers ---------------------------------------------------------------------------- */

bool conf_is_space(char c)
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

const char *conf_choice_name(const struct choice *c, int value)
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
        while (*p == ',' || conf_is_space(*p))
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
    while (ae > a && conf_is_space(ae[-1]))
        ae--;
    while (conf_is_space(*b))
        b++;
    size_t bn = strlen(b);
    while (bn > 0 && conf_is_space(b[bn - 1]))
        bn--;
    if (parse_hhmm(a, (size_t)(ae - a), start) != 0 || parse_hhmm(b, bn, end) != 0)
        return -1;
    return *start < 1440 ? 0 : -1;
}

void conf_format_days(unsigned mask, char *buf, size_t len)
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
        while (*q == ',' || conf_is_space(*q))
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
        if (!ok && k->type != KT_DOMAIN_LIST && strchr(tok, '@') == NULL) {
            /* Exchange shows a group by its display name; EWS finds it by address. */
            conf_fail(p,
                      "%s: '%.80s' is not %s; a distribution group is given by its SMTP "
                      "address (e.g. room-bookers@example.com), not by its display name",
                      k->name, tok, what);
            free(tok);
            return -1;
        }
        if (!ok) {
            conf_fail(p, "%s: '%.80s' is not %s", k->name, tok, what);
            free(tok);
            return -1;
        }
        if (strlist_contains_ci(l, tok))
            free(tok);
        else
            strlist_add_take(l, tok);
    }
}

/* ---- one parser per type ---------------------------------------------------------------- */

typedef int parse_fn(struct parser *p, const struct key *k, void *obj, const char *v, bool cont);

static void set_string_take(void *obj, size_t off, char *s)
{
    free(*FIELD(obj, off, char *));
    *FIELD(obj, off, char *) = s;
}

static bool refuse_empty(struct parser *p, const struct key *k, const char *v)
{
    if (*v != '\0')
        return false;
    conf_fail(p, "%s: empty value", k->name);
    return true;
}

static int parse_string(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    if (refuse_empty(p, k, v))
        return -1;
    set_string_take(obj, k->off, xstrdup(v));
    return 0;
}

static int parse_text(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    char **f = FIELD(obj, k->off, char *);
    if (cont && *f != NULL && **f != '\0')
        set_string_take(obj, k->off, xasprintf("%s %s", *f, v));
    else
        set_string_take(obj, k->off, xstrdup(v));
    return 0;
}

static int parse_bool(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    if (util_parse_bool(v, FIELD(obj, k->off, bool)) == 0)
        return 0;
    conf_fail(p, "%s: bad value '%.80s' (allowed: yes, no, true, false, on, off, 1, 0)", k->name,
              v);
    return -1;
}

static int parse_cond_bool(struct parser *p, const struct key *k, void *obj, const char *v,
                           bool cont)
{
    bool b;
    if (util_parse_bool(v, &b) != 0) {
        conf_fail(p, "%s: bad value '%.80s' (allowed: yes, no)", k->name, v);
        return -1;
    }
    *FIELD(obj, k->off, enum conf_cond_bool) = b ? CONF_COND_YES : CONF_COND_NO;
    return 0;
}

static int parse_uint_key(struct parser *p, const struct key *k, void *obj, const char *v,
                          bool cont)
{
    unsigned long n = 0;
    int r = parse_uint(v, k->max, &n);
    if (r < 0) {
        conf_fail(p, "%s: '%.80s' is not a whole number", k->name, v);
        return -1;
    }
    if (r > 0 || n < k->min) {
        conf_fail(p, "%s: %.80s is out of range (%lu..%lu)", k->name, v, k->min, k->max);
        return -1;
    }
    *FIELD(obj, k->off, unsigned) = (unsigned)n;
    return 0;
}

static int parse_duration(struct parser *p, const struct key *k, void *obj, const char *v,
                          bool cont)
{
    unsigned s;
    if (util_parse_duration(v, &s) != 0) {
        conf_fail(p, "%s: bad duration '%.80s' (examples: 90, 30s, 5m, 2h, 1d, 1h30m)", k->name, v);
        return -1;
    }
    if (s < k->min || s > k->max) {
        char lo[24], hi[24];
        util_format_duration((unsigned)k->min, lo, sizeof(lo));
        util_format_duration((unsigned)k->max, hi, sizeof(hi));
        conf_fail(p, "%s: %.80s is out of range (%s..%s)", k->name, v, lo, hi);
        return -1;
    }
    *FIELD(obj, k->off, unsigned) = s;
    return 0;
}

/* KT_ENUM stores the choice's value, KT_CHOICE_STR its canonical spelling. */
static int parse_choice(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    char buf[256];
    for (const struct choice *c = k->choices; c->name != NULL; c++) {
        if (util_str_casecmp_ascii(c->name, v) != 0)
            continue;
        if (c->refused != NULL) {
            choices_list(k->choices, buf, sizeof(buf));
            conf_fail(p, "%s: %s %s (allowed: %s)", k->name, c->name, c->refused, buf);
            return -1;
        }
        if (k->type == KT_ENUM)
            *FIELD(obj, k->off, int) = c->value;
        else
            *FIELD(obj, k->off, const char *) = c->name;
        return 0;
    }
    choices_list(k->choices, buf, sizeof(buf));
    conf_fail(p, "%s: bad value '%.80s' (allowed: %s)", k->name, v, buf);
    return -1;
}

static int parse_url(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    if (!url_ok(v)) {
        conf_fail(p, "%s: '%.120s' is not an http:// or https:// URL", k->name, v);
        return -1;
    }
    set_string_take(obj, k->off, xstrdup(v));
    return 0;
}

static int parse_abspath(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    if (v[0] != '/') {
        conf_fail(p, "%s: '%.120s' is not an absolute path", k->name, v);
        return -1;
    }
    set_string_take(obj, k->off, xstrdup(v));
    return 0;
}

static int parse_listen(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    struct sockaddr_storage addr;
    socklen_t len;
    char why[160];
    if (metrics_http_parse_listen(v, &addr, &len, why, sizeof(why)) != 0) {
        conf_fail(p, "%s: %s", k->name, why);
        return -1;
    }
    set_string_take(obj, k->off, xstrdup(v));
    return 0;
}

static int parse_include_dir(struct parser *p, const struct key *k, void *obj, const char *v,
                             bool cont)
{
    if (!p->main_file) {
        conf_fail(p, "%s is only allowed in the main configuration file", k->name);
        return -1;
    }
    if (refuse_empty(p, k, v))
        return -1;
    set_string_take(obj, k->off, resolve_path(p->file, v));
    return 0;
}

static int parse_ca_file(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    if (refuse_empty(p, k, v))
        return -1;
    char *path = resolve_path(p->file, v);
    struct stat sb;
    if (stat(path, &sb) != 0 || access(path, R_OK) != 0) {
        conf_fail(p, "%s: cannot use %.200s: %s", k->name, path, strerror(errno));
        free(path);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        conf_fail(p, "%s: %.200s is not a regular file", k->name, path);
        free(path);
        return -1;
    }
    set_string_take(obj, k->off, path);
    return 0;
}

static int parse_secret_file(struct parser *p, const struct key *k, void *obj, const char *v,
                             bool cont)
{
    if (refuse_empty(p, k, v))
        return -1;
    char *path;
    const char *creds = getenv("CREDENTIALS_DIRECTORY");
    if (v[0] != '/' && creds != NULL && *creds != '\0')
        path = xasprintf("%s/%s", creds, v);
    else
        path = resolve_path(p->file, v);
    char *secret;
    if (p->secret_path != NULL && strcmp(p->secret_path, path) == 0) {
        /* The file the previous mailbox named: one read serves them all (a configuration of
         * thousands of mailboxes would otherwise open it thousands of times). */
        secret = xstrdup(p->secret);
    } else {
        char msg[400];
        secret = util_read_secret_file(path, msg, sizeof(msg));
        if (secret == NULL) {
            conf_fail(p, "%s: %s", k->name, msg);
            free(path);
            return -1;
        }
        free(p->secret_path);
        util_secure_free(p->secret);
        p->secret_path = xstrdup(path);
        p->secret = xstrdup(secret);
    }
    set_string_take(obj, k->off, path);
    util_secure_free(*FIELD(obj, k->off2, char *));
    *FIELD(obj, k->off2, char *) = secret;
    return 0;
}

static int parse_address(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    if (!util_addr_is_valid(v)) {
        conf_fail(p, "%s: '%.120s' is not an e-mail address", k->name, v);
        return -1;
    }
    set_string_take(obj, k->off, xstrdup(v));
    return 0;
}

static int parse_list_key(struct parser *p, const struct key *k, void *obj, const char *v,
                          bool cont)
{
    struct strlist *l = FIELD(obj, k->off, struct strlist);
    if (!cont)
        strlist_free(l);
    return parse_list(p, k, l, v);
}

static int parse_days_key(struct parser *p, const struct key *k, void *obj, const char *v,
                          bool cont)
{
    char bad[64];
    unsigned mask;
    if (parse_days(v, &mask, bad, sizeof(bad)) != 0) {
        conf_fail(p,
                  "%s: bad day '%s' (use Mon..Sun or full names, lists like Mon,Wed,Fri, "
                  "ranges like Mon-Fri, Weekdays, Weekend, AllDays)",
                  k->name, bad);
        return -1;
    }
    if (mask == 0 && (k->flags & KF_NONEMPTY)) {
        conf_fail(p, "%s: no days given", k->name);
        return -1;
    }
    *FIELD(obj, k->off, unsigned) = mask;
    return 0;
}

static int parse_hours_key(struct parser *p, const struct key *k, void *obj, const char *v,
                           bool cont)
{
    unsigned a, b;
    if (parse_hours(v, &a, &b) != 0) {
        conf_fail(p, "%s: bad time range '%.80s' (expected HH:MM-HH:MM, e.g. 08:00-17:00)", k->name,
                  v);
        return -1;
    }
    if (a >= b) {
        conf_fail(p, "%s: the start of '%.80s' is not before its end", k->name, v);
        return -1;
    }
    *FIELD(obj, k->off, unsigned) = a;
    *FIELD(obj, k->off2, unsigned) = b;
    return 0;
}

/* A Windows name as Exchange shows it has blanks or dots and no slash; an IANA name has
 * neither blanks nor dots. */
static bool looks_windows(const char *v)
{
    return (strchr(v, ' ') != NULL || strchr(v, '.') != NULL) && strchr(v, '/') == NULL;
}

static int parse_time_zone(struct parser *p, const struct key *k, void *obj, const char *v,
                           bool cont)
{
    char dir[256], err[256];
    set_string_take(obj, k->off2, NULL);
    if (*v == '\0') {
        set_string_take(obj, k->off, NULL);
        return 0;
    }
    if (looks_windows(v) || !zone_name_ok(v) || !zone_exists(v, dir, sizeof(dir))) {
        char *iana = strlen(v) <= 100 ? winzone_to_iana(v, err, sizeof(err)) : NULL;
        if (iana != NULL && zone_name_ok(iana) && zone_exists(iana, dir, sizeof(dir))) {
            set_string_take(obj, k->off, iana);
            set_string_take(obj, k->off2, xstrdup(v));
            return 0;
        }
        free(iana);
    }
    if (looks_windows(v)) {
        conf_fail(p, "%s: unknown time zone '%.80s' (%s)", k->name, v, err);
        return -1;
    }
    if (!zone_name_ok(v)) {
        conf_fail(p,
                  "%s: '%.80s' is not a time zone name (like Europe/Berlin or W. Europe "
                  "Standard Time)",
                  k->name, v);
        return -1;
    }
    if (!zone_exists(v, dir, sizeof(dir))) {
        conf_fail(p, "%s: unknown time zone '%.80s' (no such zone in %.100s, nor a Windows zone)",
                  k->name, v, dir);
        return -1;
    }
    set_string_take(obj, k->off, xstrdup(v));
    return 0;
}

/* A text for organizers: every {placeholder} must be known (text_template.h). */
static int parse_template(struct parser *p, const struct key *k, void *obj, const char *v,
                          bool cont)
{
    parse_text(p, k, obj, v, cont);
    char bad[48];
    if (!text_template_check(*FIELD(obj, k->off, char *), bad, sizeof(bad))) {
        conf_fail(p, "%s: unknown placeholder {%s} (known: %s)", k->name, bad,
                  text_template_names());
        return -1;
    }
    return 0;
}

static int parse_policy_ref(struct parser *p, const struct key *k, void *obj, const char *v,
                            bool cont)
{
    if (refuse_empty(p, k, v))
        return -1;
    set_string_take(obj, k->off, xstrdup(v));
    *FIELD(obj, k->off2, unsigned) = p->lineno;
    return 0;
}

static int parse_subject(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    struct conf_text_match *m = FIELD(obj, k->off, struct conf_text_match);
    size_t n = strlen(v);
    if (n == 0) {
        conf_fail(p, "%s: empty value (leave the key out to match any subject)", k->name);
        return -1;
    }
    if (v[0] == '/' && n >= 2 && v[n - 1] == '/') {
        if (n == 2) {
            conf_fail(p, "%s: empty regular expression", k->name);
            return -1;
        }
        char *re = xstrndup(v + 1, n - 2);
        int rc = regcomp(&m->re, re, REG_EXTENDED | REG_ICASE | REG_NOSUB);
        free(re);
        if (rc != 0) {
            char buf[256];
            regerror(rc, &m->re, buf, sizeof(buf));
            conf_fail(p, "%s: bad regular expression '%.120s': %s", k->name, v, buf);
            return -1;
        }
        m->is_regex = true;
    }
    m->pattern = xstrdup(v);
    return 0;
}

/* ---- releasing what a value holds ------------------------------------------------------- */

typedef void release_fn(const struct key *k, void *obj);

static void release_string(const struct key *k, void *obj)
{
    set_string_take(obj, k->off, NULL);
}

static void release_time_zone(const struct key *k, void *obj)
{
    release_string(k, obj);
    char **win = FIELD(obj, k->off2, char *);
    free(*win);
    *win = NULL;
}

static void release_secret(const struct key *k, void *obj)
{
    set_string_take(obj, k->off, NULL);
    util_secure_free(*FIELD(obj, k->off2, char *));
    *FIELD(obj, k->off2, char *) = NULL;
}

static void release_list(const struct key *k, void *obj)
{
    strlist_free(FIELD(obj, k->off, struct strlist));
}

static void release_subject(const struct key *k, void *obj)
{
    struct conf_text_match *m = FIELD(obj, k->off, struct conf_text_match);
    free(m->pattern);
    m->pattern = NULL;
    if (m->is_regex)
        regfree(&m->re);
    m->is_regex = false;
}

/* What each type of value is parsed by, whether it continues over indented lines, and what
 * frees it (NULL: nothing to free). */
static const struct {
    parse_fn *parse;
    bool continues;
    release_fn *release;
} types[KT_COUNT] = {
    /* clang-format off */
    [KT_STRING] = {parse_string, false, release_string},
    [KT_TEXT] = {parse_text, true, release_string},
    [KT_BOOL] = {parse_bool, false, NULL},
    [KT_UINT] = {parse_uint_key, false, NULL},
    [KT_DURATION] = {parse_duration, false, NULL},
    [KT_ENUM] = {parse_choice, false, NULL},
    [KT_CHOICE_STR] = {parse_choice, false, NULL},
    [KT_URL] = {parse_url, false, release_string},
    [KT_ABSPATH] = {parse_abspath, false, release_string},
    [KT_LISTEN] = {parse_listen, false, release_string},
    [KT_INCLUDE_DIR] = {parse_include_dir, false, release_string},
    [KT_CA_FILE] = {parse_ca_file, false, release_string},
    [KT_SECRET_FILE] = {parse_secret_file, false, release_secret},
    [KT_ADDRESS] = {parse_address, false, release_string},
    [KT_ADDR_LIST] = {parse_list_key, true, release_list},
    [KT_PLAIN_ADDRS] = {parse_list_key, true, release_list},
    [KT_DOMAIN_LIST] = {parse_list_key, true, release_list},
    [KT_DAYS] = {parse_days_key, false, NULL},
    [KT_HOURS] = {parse_hours_key, false, NULL},
    [KT_TIME_ZONE] = {parse_time_zone, false, release_time_zone},
    [KT_POLICY_REF] = {parse_policy_ref, false, release_string},
    [KT_SUBJECT] = {parse_subject, false, release_subject},
    [KT_COND_BOOL] = {parse_cond_bool, false, NULL},
    [KT_TEMPLATE] = {parse_template, true, release_string},
    /* clang-format on */
};

int conf_parse_value(struct parser *p, const struct key *k, void *obj, const char *v, bool cont)
{
    return types[k->type].parse(p, k, obj, v, cont);
}

void conf_release_fields(enum sect_kind kind, void *obj)
{
    for (size_t i = 0; i < conf_n_keys; i++) {
        const struct key *k = &conf_keys[i];
        if (k->kind == kind && types[k->type].release != NULL)
            types[k->type].release(k, obj);
    }
}

bool conf_type_continues(enum key_type t)
{
    return types[t].continues;
}
