/*
 * record: the decision record, decisions.jsonl (see record.h).
 *
 * Writing: the line is built in memory (with jsonw, on a memory stream) and handed to one
 * write() on an O_APPEND descriptor, so a killed daemon leaves either the whole line or a
 * prefix of it - never an interleaving - and record_open() cuts such a prefix off.
 *
 * Reading: a small strict JSON reader for our own lines. It is fed whatever is in the file
 * (a crash, a disk error or a careless edit may have put anything there), so it is bounded
 * everywhere: line length, nesting depth (recursion never deeper than JSON_MAX_DEPTH), and
 * it refuses rather than guesses.
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonw.h"
#include "util.h"

struct record {
    int fd;
};

/* ---- growable string --------------------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + more + 1)
        ncap *= 2;
    b->p = xrealloc(b->p, ncap);
    b->cap = ncap;
}

static void sb_put(struct sbuf *b, const void *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_putc(struct sbuf *b, char c)
{
    sb_put(b, &c, 1);
}

static void sb_puts(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    sb_puts(b, s);
    free(s);
}

/* The string, owned by the caller from now on (never NULL); B is left empty. */
static char *sb_take(struct sbuf *b)
{
    char *s = b->p ? b->p : xstrdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- UTF-8 encoding (decoding: jsonw_utf8_len) ------------------------------------------- */

static void sb_put_utf8(struct sbuf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    sb_put(b, u, n);
}

/* ---- display quoting --------------------------------------------------------------------- */

/* S for a terminal or a log line: nothing in it can start a new line, move the cursor or
 * switch the terminal's mode. With QUOTED, '"' and '\\' are escaped and S is put in quotes. */
static void put_display(struct sbuf *b, const char *s, bool quoted)
{
    if (quoted)
        sb_putc(b, '"');
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t cp;
        size_t n = jsonw_utf8_len(p, SIZE_MAX, &cp);
        if (n == 0) {
            sb_printf(b, "\\x%02x", *p);
            p++;
            continue;
        }
        if (quoted && (cp == '"' || cp == '\\')) {
            sb_putc(b, '\\');
            sb_putc(b, (char)cp);
        } else if (cp == '\n') {
            sb_puts(b, "\\n");
        } else if (cp == '\r') {
            sb_puts(b, "\\r");
        } else if (cp == '\t') {
            sb_puts(b, "\\t");
        } else if (cp < 0x20 || cp == 0x7f) {
            sb_printf(b, "\\x%02x", (unsigned)cp);
        } else if (cp >= 0x80 && cp <= 0x9f) {
            /* C1 controls: some terminals take U+009B as CSI. */
            sb_printf(b, "\\x%02x\\x%02x", p[0], p[1]);
        } else {
            sb_put(b, p, n);
        }
        p += n;
    }
    if (quoted)
        sb_putc(b, '"');
}

char *record_quote(const char *s)
{
    struct sbuf b = {0};
    put_display(&b, s, true);
    return sb_take(&b);
}

/* ---- texts ------------------------------------------------------------------------------- */

char *record_reasons_text(const struct policy_result *r)
{
    struct sbuf b = {0};
    if (r == NULL)
        return sb_take(&b);
    bool any_failed = false;
    for (size_t i = 0; i < r->n_checks; i++)
        any_failed |= r->checks[i].outcome == POLICY_CHECK_FAIL && r->checks[i].reason != NULL;
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct policy_check *c = &r->checks[i];
        if (c->reason == NULL || (any_failed && c->outcome != POLICY_CHECK_FAIL))
            continue;
        if (b.len > 0)
            sb_puts(&b, "; ");
        sb_puts(&b, c->reason);
    }
    return sb_take(&b);
}

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",     "Thu",
                                        "Fri", "Sat", "day", "weekday", "weekend day"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const ordinals[] = {"first", "second", "third", "fourth", "last"};

static void put_days(struct sbuf *b, unsigned days)
{
    bool first = true;
    for (size_t i = 0; i < sizeof(day_names) / sizeof(day_names[0]); i++) {
        if (!(days & (1u << i)))
            continue;
        if (!first)
            sb_putc(b, ',');
        sb_puts(b, day_names[i]);
        first = false;
    }
    if (first)
        sb_puts(b, "?");
}

static const char *month_name(int month)
{
    return month >= 1 && month <= 12 ? month_names[month - 1] : "?";
}

static const char *ordinal(int index)
{
    return index >= 1 && index <= 5 ? ordinals[index - 1] : "?";
}

char *record_recurrence_text(const struct item_recurrence *rec)
{
    struct sbuf b = {0};
    if (rec == NULL)
        return sb_take(&b);
    switch (rec->pattern) {
    case REC_DAILY:
        sb_printf(&b, "daily every %d day(s)", rec->interval);
        break;
    case REC_WEEKLY:
        sb_printf(&b, "weekly every %d week(s) on ", rec->interval);
        put_days(&b, rec->days_of_week);
        break;
    case REC_ABSOLUTE_MONTHLY:
        sb_printf(&b, "monthly every %d month(s) on day %d", rec->interval, rec->day_of_month);
        break;
    case REC_RELATIVE_MONTHLY:
        sb_printf(&b, "monthly every %d month(s) on the %s ", rec->interval,
                  ordinal(rec->day_of_week_index));
        put_days(&b, rec->days_of_week);
        break;
    case REC_ABSOLUTE_YEARLY:
        sb_printf(&b, "yearly on %s %d", month_name(rec->month), rec->day_of_month);
        break;
    case REC_RELATIVE_YEARLY:
        sb_printf(&b, "yearly on the %s ", ordinal(rec->day_of_week_index));
        put_days(&b, rec->days_of_week);
        sb_printf(&b, " of %s", month_name(rec->month));
        break;
    default:
        sb_puts(&b, "recurring");
        break;
    }
    /* The dates are fixed-size arrays filled by ews_parse; bound the reads all the same. */
    int start_len = (int)strnlen(rec->start_date, sizeof(rec->start_date));
    int end_len = (int)strnlen(rec->end_date, sizeof(rec->end_date));
    if (start_len > 0)
        sb_printf(&b, " from %.*s", start_len, rec->start_date);
    switch (rec->range) {
    case REC_RANGE_END_DATE:
        if (end_len > 0)
            sb_printf(&b, " until %.*s", end_len, rec->end_date);
        break;
    case REC_RANGE_NUMBERED:
        sb_printf(&b, ", %d occurrences", rec->number_of_occurrences);
        break;
    case REC_RANGE_NO_END:
    default:
        sb_puts(&b, ", no end");
        break;
    }
    return sb_take(&b);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* ,"KEY": - how every member of the record but the first ("time") starts. */
static void json_key(FILE *f, const char *key)
{
    fprintf(f, ",\"%s\":", key);
}

static void json_string_member(FILE *f, const char *key, const char *value)
{
    json_key(f, key);
    jsonw_string(f, value);
}

static void json_time_member(FILE *f, const char *key, time_t t)
{
    json_key(f, key);
    jsonw_time(f, t);
}

static void json_bool_member(FILE *f, const char *key, bool v)
{
    json_key(f, key);
    fputs(v ? "true" : "false", f);
}

static const char *check_outcome_name(enum policy_outcome o)
{
    switch (o) {
    case POLICY_CHECK_PASS:
        return "pass";
    case POLICY_CHECK_FAIL:
        return "fail";
    case POLICY_CHECK_INFO:
        break;
    }
    return "info";
}

char *record_format_line(const struct mailbox_decision *d, bool dry_run, time_t when)
{
    const struct item *it = d->request;
    const struct policy_result *res = d->result;
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (f == NULL)
        abort(); /* a memory stream fails only for want of memory */

    fputs("{\"time\":", f);
    jsonw_time(f, when);
    json_string_member(f, "mailbox", d->mailbox);
    json_string_member(f, "address", d->address);
    json_string_member(f, "uid", it->uid);
    json_string_member(f, "item_id", it->id.id);
    json_string_member(f, "organizer", it->organizer.address);
    json_string_member(f, "organizer_name", it->organizer.name);
    json_string_member(f, "subject", it->subject);
    json_time_member(f, "start", it->start);
    json_time_member(f, "end", it->end);
    json_bool_member(f, "recurring", it->is_recurring || it->recurrence);
    char *rec = it->recurrence ? record_recurrence_text(it->recurrence) : NULL;
    json_string_member(f, "recurrence", rec);
    free(rec);
    json_string_member(f, "decision", policy_decision_name(res->decision));
    json_bool_member(f, "dry_run", dry_run);
    json_string_member(f, "outcome", d->outcome);
    json_string_member(f, "rule", res->rule);
    json_string_member(f, "response", res->response_text);
    json_key(f, "declined_occurrences");
    fputc('[', f);
    for (size_t i = 0; i < res->n_declined_occurrences; i++) {
        if (i > 0)
            fputc(',', f);
        jsonw_time(f, res->declined_occurrences[i]);
    }
    fputc(']', f);
    json_key(f, "checks");
    fputc('[', f);
    for (size_t i = 0; i < res->n_checks; i++) {
        const struct policy_check *c = &res->checks[i];
        fputs(i > 0 ? ",{\"name\":" : "{\"name\":", f);
        jsonw_string(f, c->name);
        fprintf(f, ",\"outcome\":\"%s\",\"reason\":", check_outcome_name(c->outcome));
        jsonw_string(f, c->reason);
        fputc('}', f);
    }
    fputs("]}\n", f);

    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed)
        abort(); /* as above: out of memory */
    return line;
}

/* Reads exactly LEN bytes at OFFSET. */
static int pread_full(int fd, char *buf, size_t len, off_t offset)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, offset + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO; /* the file shrank under us */
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* Cuts off whatever follows the last '\n' of the SIZE-byte file: the prefix of a line whose
 * write a crash interrupted. Scans backwards, so a long record costs nothing. */
static int cut_partial_line(int fd, off_t size)
{
    char buf[4096];
    off_t end = size, keep = 0;
    while (end > 0) {
        size_t n = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
        off_t from = end - (off_t)n;
        if (pread_full(fd, buf, n, from) != 0)
            return -1;
        size_t i = n;
        while (i > 0 && buf[i - 1] != '\n')
            i--;
        if (i > 0) {
            keep = from + (off_t)i;
            break;
        }
        end = from;
    }
    if (keep == size)
        return 0;
    if (ftruncate(fd, keep) != 0 || fsync(fd) != 0)
        return -1;
    return 0;
}

struct record *record_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
    } else if (cut_partial_line(fd, st.st_size) != 0) {
        snprintf(err, errlen, "%s: cannot cut off a partial last record: %s", path,
                 strerror(errno));
    } else {
        struct record *r = xcalloc(1, sizeof(*r));
        r->fd = fd;
        return r;
    }
    close(fd);
    return NULL;
}

void record_close(struct record *r)
{
    if (r == NULL)
        return;
    close(r->fd);
    free(r);
}

int record_append_at(struct record *r, const struct mailbox_decision *d, bool dry_run, time_t when)
{
    if (r == NULL || d == NULL || d->request == NULL || d->result == NULL) {
        errno = EINVAL;
        return -1;
    }
    char *line = record_format_line(d, dry_run, when);
    size_t len = strlen(line);
    struct stat st;
    off_t before = fstat(r->fd, &st) == 0 ? st.st_size : -1;
    ssize_t n;
    do
        n = write(r->fd, line, len);
    while (n < 0 && errno == EINTR);
    free(line);
    if (n < 0)
        return -1;
    if ((size_t)n != len) {
        /* Short write (disk full, quota): the prefix would glue the next record onto a broken
         * line, so take it back now rather than at the next start. */
        if (before >= 0 && ftruncate(r->fd, before) != 0) {
            /* record_open() cuts it off later */
        }
        errno = ENOSPC;
        return -1;
    }
    return fdatasync(r->fd);
}

int record_append(struct record *r, const struct mailbox_decision *d, bool dry_run)
{
    return record_append_at(r, d, dry_run, time(NULL));
}

/* ---- a small strict JSON reader ---------------------------------------------------------- */

/* Our records nest three deep (record, checks, check); anything deeper is not ours. */
#define JSON_MAX_DEPTH 8

enum jtype { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct jval {
    enum jtype type;
    char *str;      /* J_STRING: decoded UTF-8 without NUL bytes */
    struct jval *v; /* J_ARRAY / J_OBJECT: the members */
    char **keys;    /* J_OBJECT: the member names */
    size_t n;
};

struct jparser {
    const unsigned char *p, *end;
};

/* Releases what V owns. Recursion is bounded by JSON_MAX_DEPTH, as in parsing. */
static void jval_free(struct jval *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        jval_free(&v->v[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->v);
    free(v->keys);
    memset(v, 0, sizeof(*v));
}

static void j_ws(struct jparser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\r' || *jp->p == '\n'))
        jp->p++;
}

static int j_hex4(struct jparser *jp, uint32_t *out)
{
    if (jp->end - jp->p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = *jp->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A string at jp->p (which is at the opening quote) into *OUT (caller frees). */
static int j_string(struct jparser *jp, char **out)
{
    struct sbuf b = {0};
    jp->p++;
    for (;;) {
        if (jp->p >= jp->end)
            goto fail;
        unsigned c = *jp->p;
        if (c == '"') {
            jp->p++;
            break;
        }
        if (c < 0x20)
            goto fail;
        if (c != '\\') {
            uint32_t cp;
            size_t n = jsonw_utf8_len(jp->p, (size_t)(jp->end - jp->p), &cp);
            if (n == 0)
                goto fail;
            sb_put(&b, jp->p, n);
            jp->p += n;
            continue;
        }
        jp->p++;
        if (jp->p >= jp->end)
            goto fail;
        /* The two-character escapes, and what each stands for. */
        static const char escapes[] = "\"\\/bfnrt", unescaped[] = "\"\\/\b\f\n\r\t";
        unsigned e = *jp->p++;
        const char *k = e != '\0' ? strchr(escapes, (int)e) : NULL;
        if (k != NULL) {
            sb_putc(&b, unescaped[k - escapes]);
            continue;
        }
        uint32_t cp;
        if (e != 'u' || j_hex4(jp, &cp) != 0)
            goto fail;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            goto fail; /* a low surrogate on its own */
        if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo;
            if (jp->end - jp->p < 2 || jp->p[0] != '\\' || jp->p[1] != 'u')
                goto fail;
            jp->p += 2;
            if (j_hex4(jp, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                goto fail;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0)
            goto fail; /* would cut the C string; we never write it */
        sb_put_utf8(&b, cp);
    }
    *out = sb_take(&b);
    return 0;
fail:
    free(b.p);
    return -1;
}

static bool j_digit(const struct jparser *jp)
{
    return jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9';
}

/* RFC 8259 number syntax. The value itself is not needed by anything we print. */
static int j_number(struct jparser *jp)
{
    if (jp->p < jp->end && *jp->p == '-')
        jp->p++;
    if (jp->p < jp->end && *jp->p == '0') {
        jp->p++;
    } else if (j_digit(jp)) {
        while (j_digit(jp))
            jp->p++;
    } else {
        return -1;
    }
    if (jp->p < jp->end && *jp->p == '.') {
        jp->p++;
        if (!j_digit(jp))
            return -1;
        while (j_digit(jp))
            jp->p++;
    }
    if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
        jp->p++;
        if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
            jp->p++;
        if (!j_digit(jp))
            return -1;
        while (j_digit(jp))
            jp->p++;
    }
    return 0;
}

static int j_literal(struct jparser *jp, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
        return -1;
    jp->p += n;
    return 0;
}

static int j_value(struct jparser *jp, struct jval *out, int depth);

/* One more member slot in container V (array or object). */
static struct jval *j_add(struct jval *v, size_t *cap)
{
    if (v->n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        v->v = xreallocarray(v->v, *cap, sizeof(*v->v));
        if (v->type == J_OBJECT)
            v->keys = xreallocarray(v->keys, *cap, sizeof(*v->keys));
    }
    struct jval *slot = &v->v[v->n];
    memset(slot, 0, sizeof(*slot));
    if (v->type == J_OBJECT)
        v->keys[v->n] = NULL;
    v->n++;
    return slot;
}

/* An array or object at jp->p (at '[' or '{'). Members are added to OUT as they are read, so
 * that jval_free() releases a half-read container. */
static int j_container(struct jparser *jp, struct jval *out, int depth)
{
    bool object = *jp->p == '{';
    unsigned char close = object ? '}' : ']';
    size_t cap = 0;
    if (depth >= JSON_MAX_DEPTH)
        return -1;
    out->type = object ? J_OBJECT : J_ARRAY;
    jp->p++;
    j_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        if (object) {
            if (jp->p >= jp->end || *jp->p != '"' || j_string(jp, &key) != 0)
                return -1;
            j_ws(jp);
            if (jp->p >= jp->end || *jp->p != ':') {
                free(key);
                return -1;
            }
            jp->p++;
            j_ws(jp);
        }
        struct jval *slot = j_add(out, &cap);
        if (object)
            out->keys[out->n - 1] = key;
        if (j_value(jp, slot, depth + 1) != 0)
            return -1;
        j_ws(jp);
        if (jp->p >= jp->end)
            return -1;
        if (*jp->p == close) {
            jp->p++;
            return 0;
        }
        if (*jp->p != ',')
            return -1;
        jp->p++;
        j_ws(jp);
    }
}

static int j_value(struct jparser *jp, struct jval *out, int depth)
{
    if (jp->p >= jp->end)
        return -1;
    switch (*jp->p) {
    case '{':
    case '[':
        return j_container(jp, out, depth);
    case '"':
        out->type = J_STRING;
        return j_string(jp, &out->str);
    case 't':
        out->type = J_TRUE;
        return j_literal(jp, "true");
    case 'f':
        out->type = J_FALSE;
        return j_literal(jp, "false");
    case 'n':
        out->type = J_NULL;
        return j_literal(jp, "null");
    default:
        out->type = J_NUMBER;
        return j_number(jp);
    }
}

/* Parses one line holding exactly one JSON object. On success the caller releases *OUT with
 * jval_free(); on failure nothing is left to release. */
static int json_parse_object(const char *text, size_t len, struct jval *out)
{
    struct jparser jp = {(const unsigned char *)text, (const unsigned char *)text + len};
    memset(out, 0, sizeof(*out));
    j_ws(&jp);
    if (jp.p >= jp.end || *jp.p != '{' || j_value(&jp, out, 0) != 0) {
        jval_free(out);
        return -1;
    }
    j_ws(&jp);
    if (jp.p != jp.end) {
        jval_free(out);
        return -1;
    }
    return 0;
}

/* The first member KEY of object OBJ, or NULL. */
static const struct jval *j_get(const struct jval *obj, const char *key)
{
    if (obj == NULL || obj->type != J_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->v[i];
    return NULL;
}

/* The string member KEY, or NULL when absent, null or not a string. */
static const char *j_get_str(const struct jval *obj, const char *key)
{
    const struct jval *v = j_get(obj, key);
    return v && v->type == J_STRING ? v->str : NULL;
}

/* ---- history ----------------------------------------------------------------------------- */

/* One decision as read back; strings are borrowed from the parsed line. */
struct hist_entry {
    time_t time;
    const char *mailbox, *address, *organizer, *organizer_name, *subject;
    const char *recurrence, *decision, *outcome, *rule, *response;
    time_t start, end;
    bool recurring, dry_run;
    const struct jval *declined; /* array or NULL */
    const struct jval *checks;   /* array or NULL */
};

static time_t j_get_time(const struct jval *obj, const char *key)
{
    const char *s = j_get_str(obj, key);
    time_t t;
    return s && util_parse_time(s, &t) == 0 ? t : 0;
}

static bool j_get_true(const struct jval *obj, const char *key)
{
    const struct jval *v = j_get(obj, key);
    return v && v->type == J_TRUE;
}

static const struct jval *j_get_array(const struct jval *obj, const char *key)
{
    const struct jval *v = j_get(obj, key);
    return v && v->type == J_ARRAY ? v : NULL;
}

/* A record needs its time, mailbox and decision; every other field may be missing (older or
 * newer writers) and is then left out of the output. */
static int entry_from_json(const struct jval *root, struct hist_entry *e)
{
    memset(e, 0, sizeof(*e));
    const char *when = j_get_str(root, "time");
    if (when == NULL || util_parse_time(when, &e->time) != 0)
        return -1;
    e->mailbox = j_get_str(root, "mailbox");
    e->decision = j_get_str(root, "decision");
    if (e->mailbox == NULL || e->decision == NULL)
        return -1;
    e->address = j_get_str(root, "address");
    e->organizer = j_get_str(root, "organizer");
    e->organizer_name = j_get_str(root, "organizer_name");
    e->subject = j_get_str(root, "subject");
    e->recurrence = j_get_str(root, "recurrence");
    e->outcome = j_get_str(root, "outcome");
    e->rule = j_get_str(root, "rule");
    e->response = j_get_str(root, "response");
    e->start = j_get_time(root, "start");
    e->end = j_get_time(root, "end");
    e->recurring = j_get_true(root, "recurring");
    e->dry_run = j_get_true(root, "dry_run");
    e->declined = j_get_array(root, "declined_occurrences");
    e->checks = j_get_array(root, "checks");
    return 0;
}

static bool entry_matches(const struct hist_entry *e, const struct record_filter *f)
{
    if (f == NULL)
        return true;
    if (f->mailbox && *f->mailbox && strcmp(e->mailbox, f->mailbox) != 0 &&
        !(e->address && util_str_casecmp_ascii(e->address, f->mailbox) == 0))
        return false;
    if (f->organizer && *f->organizer && !util_addr_matches(f->organizer, e->organizer))
        return false;
    if (f->since != 0 && e->time < f->since)
        return false;
    return true;
}

/* "2026-12-03 10:00Z" (seconds only when not zero); with TIME_ONLY "10:00Z". */
static void put_time(struct sbuf *b, time_t t, bool seconds, bool time_only)
{
    char iso[21];
    util_format_time_utc(t, iso);
    iso[10] = ' ';
    if (!seconds && iso[17] == '0' && iso[18] == '0')
        memmove(iso + 16, iso + 19, 2); /* drop ":SS", keep "Z" and the NUL */
    sb_puts(b, time_only ? iso + 11 : iso);
}

static bool same_day(time_t a, time_t b)
{
    char x[21], y[21];
    util_format_time_utc(a, x);
    util_format_time_utc(b, y);
    return memcmp(x, y, 10) == 0;
}

static void format_entry(struct sbuf *b, const struct hist_entry *e)
{
    put_time(b, e->time, true, false);
    sb_puts(b, "  ");
    put_display(b, e->mailbox, false);
    sb_puts(b, "  ");
    char *upper = xstrdup(e->decision);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    put_display(b, upper, false);
    free(upper);
    if (e->dry_run)
        sb_puts(b, " (dry run)");
    sb_puts(b, "  ");
    if (e->subject)
        put_display(b, e->subject, true);
    else
        sb_puts(b, "(no subject)");
    sb_puts(b, " by ");
    if (e->organizer && e->organizer_name && *e->organizer_name) {
        put_display(b, e->organizer_name, false);
        sb_puts(b, " <");
        put_display(b, e->organizer, false);
        sb_putc(b, '>');
    } else if (e->organizer || e->organizer_name) {
        put_display(b, e->organizer ? e->organizer : e->organizer_name, false);
    } else {
        sb_puts(b, "an unknown organizer");
    }
    sb_putc(b, '\n');

    sb_puts(b, "    meeting ");
    if (e->start != 0) {
        put_time(b, e->start, false, false);
        if (e->end != 0) {
            sb_puts(b, " - ");
            put_time(b, e->end, false, same_day(e->start, e->end));
        }
    } else {
        sb_puts(b, "at an unknown time");
    }
    if (e->recurrence) {
        sb_puts(b, ", ");
        put_display(b, e->recurrence, false);
    } else if (e->recurring) {
        sb_puts(b, ", recurring");
    }
    sb_putc(b, '\n');

    if (e->rule) {
        sb_puts(b, "    rule: ");
        put_display(b, e->rule, false);
        sb_putc(b, '\n');
    }
    for (size_t i = 0; e->checks && i < e->checks->n; i++) {
        const struct jval *c = &e->checks->v[i];
        if (c->type != J_OBJECT)
            continue; /* not a check of ours */
        const char *name = j_get_str(c, "name");
        const char *outcome = j_get_str(c, "outcome");
        const char *reason = j_get_str(c, "reason");
        const char *mark = "?   ";
        if (outcome && strcmp(outcome, "fail") == 0)
            mark = "FAIL";
        else if (outcome && strcmp(outcome, "pass") == 0)
            mark = "ok  ";
        else if (outcome && strcmp(outcome, "info") == 0)
            mark = "info";
        sb_printf(b, "    %s ", mark);
        put_display(b, name ? name : "?", false);
        if (reason) {
            sb_puts(b, ": ");
            put_display(b, reason, false);
        }
        sb_putc(b, '\n');
    }
    if (e->declined && e->declined->n > 0) {
        sb_puts(b, "    declined occurrences: ");
        for (size_t i = 0; i < e->declined->n; i++) {
            const struct jval *v = &e->declined->v[i];
            time_t t;
            if (i > 0)
                sb_puts(b, ", ");
            if (v->type == J_STRING && util_parse_time(v->str, &t) == 0)
                put_time(b, t, false, false);
            else
                sb_puts(b, "?");
        }
        sb_putc(b, '\n');
    }
    bool sent = e->outcome && strcmp(e->outcome, "sent") == 0;
    bool dry = e->outcome && strcmp(e->outcome, "dry-run") == 0;
    if (e->outcome && !sent && !dry) {
        sb_puts(b, "    outcome: ");
        put_display(b, e->outcome, false);
        sb_putc(b, '\n');
    }
    if (e->response) {
        sb_puts(b, sent ? "    response sent: " : "    response (not sent): ");
        put_display(b, e->response, true);
        sb_putc(b, '\n');
    }
}

/* Reads one line without its '\n' into B; returns false at the end of the input. A line
 * longer than RECORD_LINE_MAX sets *TOO_LONG and the rest of it is skipped unread. */
static bool read_line(FILE *in, struct sbuf *b, bool *too_long)
{
    int c;
    bool any = false;
    b->len = 0;
    *too_long = false;
    sb_reserve(b, 0);
    b->p[0] = '\0';
    while ((c = getc(in)) != EOF) {
        any = true;
        if (c == '\n')
            return true;
        if (b->len < RECORD_LINE_MAX)
            sb_putc(b, (char)c);
        else
            *too_long = true;
    }
    return any;
}

static bool is_blank(const struct sbuf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->p[i] != ' ' && b->p[i] != '\t' && b->p[i] != '\r')
            return false;
    return true;
}

int record_history_stream(FILE *in, const struct record_filter *f, FILE *out,
                          struct record_history_stats *stats)
{
    struct record_history_stats st = {0};
    struct sbuf line = {0}, text = {0};
    size_t lineno = 0;
    bool too_long;
    while (read_line(in, &line, &too_long)) {
        lineno++;
        if (!too_long && is_blank(&line))
            continue;
        struct jval root;
        struct hist_entry e;
        bool readable = !too_long && json_parse_object(line.p, line.len, &root) == 0;
        if (readable && entry_from_json(&root, &e) != 0) {
            jval_free(&root);
            readable = false;
        }
        if (!readable) {
            if (st.unreadable++ == 0)
                st.first_unreadable = lineno;
            continue;
        }
        st.records++;
        if (entry_matches(&e, f)) {
            text.len = 0;
            format_entry(&text, &e);
            fwrite(text.p, 1, text.len, out);
            st.shown++;
        }
        jval_free(&root);
    }
    int saved = errno;
    int rc = ferror(in) ? -1 : 0;
    free(line.p);
    free(text.p);
    if (stats)
        *stats = st;
    errno = saved;
    return rc;
}

int record_print_history(const char *path, const struct record_filter *f, FILE *out)
{
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        if (errno == ENOENT) {
            fprintf(out, "no decisions recorded yet\n");
            return 0;
        }
        fprintf(stderr, "meetingd: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct record_history_stats st;
    int rc = record_history_stream(in, f, out, &st);
    int saved = errno;
    fclose(in);
    if (rc != 0) {
        fprintf(stderr, "meetingd: %s: read error: %s\n", path, strerror(saved));
        return -1;
    }
    if (st.records == 0 && st.unreadable == 0)
        fprintf(out, "no decisions recorded yet\n");
    else if (st.shown == 0)
        fprintf(out, "no matching decisions (%zu recorded)\n", st.records);
    if (fflush(out) != 0) {
        fprintf(stderr, "meetingd: cannot write the history: %s\n", strerror(errno));
        return -1;
    }
    if (st.unreadable > 0)
        fprintf(stderr, "meetingd: %s: %zu unreadable line(s) skipped, the first is line %zu\n",
                path, st.unreadable, st.first_unreadable);
    return 0;
}
