/*
 * history: `meetingd --history`, the decision record read back and printed for people (see
 * history.h).
 */
#include "history.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "log.h"
#include "util.h"

/* ---- UTF-8 encoding (decoding: jsonw_utf8_len) ------------------------------------------- */

static void put_utf8(struct strbuf *b, uint32_t cp)
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
    strbuf_put(b, u, n);
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
    struct strbuf b = {0};
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
            strbuf_put(&b, jp->p, n);
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
            strbuf_putc(&b, unescaped[k - escapes]);
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
        put_utf8(&b, cp);
    }
    *out = strbuf_take(&b);
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

static bool entry_matches(const struct hist_entry *e, const struct history_filter *f)
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
static void put_time(struct strbuf *b, time_t t, bool seconds, bool time_only)
{
    char iso[21];
    util_format_time_utc(t, iso);
    iso[10] = ' ';
    if (!seconds && iso[17] == '0' && iso[18] == '0')
        memmove(iso + 16, iso + 19, 2); /* drop ":SS", keep "Z" and the NUL */
    strbuf_puts(b, time_only ? iso + 11 : iso);
}

static bool same_day(time_t a, time_t b)
{
    char x[21], y[21];
    util_format_time_utc(a, x);
    util_format_time_utc(b, y);
    return memcmp(x, y, 10) == 0;
}

static void format_entry(struct strbuf *b, const struct hist_entry *e)
{
    put_time(b, e->time, true, false);
    strbuf_puts(b, "  ");
    log_put_display(b, e->mailbox, false);
    strbuf_puts(b, "  ");
    char *upper = xstrdup(e->decision);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    log_put_display(b, upper, false);
    free(upper);
    if (e->dry_run)
        strbuf_puts(b, " (dry run)");
    strbuf_puts(b, "  ");
    if (e->subject)
        log_put_display(b, e->subject, true);
    else
        strbuf_puts(b, "(no subject)");
    strbuf_puts(b, " by ");
    if (e->organizer && e->organizer_name && *e->organizer_name) {
        log_put_display(b, e->organizer_name, false);
        strbuf_puts(b, " <");
        log_put_display(b, e->organizer, false);
        strbuf_putc(b, '>');
    } else if (e->organizer || e->organizer_name) {
        log_put_display(b, e->organizer ? e->organizer : e->organizer_name, false);
    } else {
        strbuf_puts(b, "an unknown organizer");
    }
    strbuf_putc(b, '\n');

    strbuf_puts(b, "    meeting ");
    if (e->start != 0) {
        put_time(b, e->start, false, false);
        if (e->end != 0) {
            strbuf_puts(b, " - ");
            put_time(b, e->end, false, same_day(e->start, e->end));
        }
    } else {
        strbuf_puts(b, "at an unknown time");
    }
    if (e->recurrence) {
        strbuf_puts(b, ", ");
        log_put_display(b, e->recurrence, false);
    } else if (e->recurring) {
        strbuf_puts(b, ", recurring");
    }
    strbuf_putc(b, '\n');

    if (e->rule) {
        strbuf_puts(b, "    rule: ");
        log_put_display(b, e->rule, false);
        strbuf_putc(b, '\n');
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
        strbuf_printf(b, "    %s ", mark);
        log_put_display(b, name ? name : "?", false);
        if (reason) {
            strbuf_puts(b, ": ");
            log_put_display(b, reason, false);
        }
        strbuf_putc(b, '\n');
    }
    if (e->declined && e->declined->n > 0) {
        strbuf_puts(b, "    declined occurrences: ");
        for (size_t i = 0; i < e->declined->n; i++) {
            const struct jval *v = &e->declined->v[i];
            time_t t;
            if (i > 0)
                strbuf_puts(b, ", ");
            if (v->type == J_STRING && util_parse_time(v->str, &t) == 0)
                put_time(b, t, false, false);
            else
                strbuf_puts(b, "?");
        }
        strbuf_putc(b, '\n');
    }
    bool sent = e->outcome && strcmp(e->outcome, "sent") == 0;
    bool dry = e->outcome && strcmp(e->outcome, "dry-run") == 0;
    if (e->outcome && !sent && !dry) {
        strbuf_puts(b, "    outcome: ");
        log_put_display(b, e->outcome, false);
        strbuf_putc(b, '\n');
    }
    if (e->response) {
        strbuf_puts(b, sent ? "    response sent: " : "    response (not sent): ");
        log_put_display(b, e->response, true);
        strbuf_putc(b, '\n');
    }
}

/* Reads one line without its '\n' into B; returns false at the end of the input. A line
 * longer than HISTORY_LINE_MAX sets *TOO_LONG and the rest of it is skipped unread. */
static bool read_line(FILE *in, struct strbuf *b, bool *too_long)
{
    int c;
    bool any = false;
    b->len = 0;
    *too_long = false;
    strbuf_put(b, "", 0); /* allocated and terminated even for an empty line */
    while ((c = getc(in)) != EOF) {
        any = true;
        if (c == '\n')
            return true;
        if (b->len < HISTORY_LINE_MAX)
            strbuf_putc(b, (char)c);
        else
            *too_long = true;
    }
    return any;
}

static bool is_blank(const struct strbuf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->p[i] != ' ' && b->p[i] != '\t' && b->p[i] != '\r')
            return false;
    return true;
}

int history_stream(FILE *in, const struct history_filter *f, FILE *out, struct history_stats *stats)
{
    struct history_stats st = {0};
    struct strbuf line = {0}, text = {0};
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

int history_print(const char *path, const struct history_filter *f, FILE *out)
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
    struct history_stats st;
    int rc = history_stream(in, f, out, &st);
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
