/*
 * history: `meetingd --history`, the decision record read back and printed for people (see
 * history.h).
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include "history.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonval.h"
#include "log.h"
#include "record_rotate.h"
#include "util.h"

/* uthash's default on a failed allocation is exit(-1); the rest of meetingd aborts. */
#define uthash_fatal(msg) abort()
#include <uthash.h>

/* ---- reading a record line (jansson) ---------------------------------------------------- */

/* The string member KEY, or NULL when absent, null or not a string. */
static const char *j_get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- --since / --until ----------------------------------------------------------------- */

/* Local midnight starting the day DAYS after the one holding T. */
static time_t local_midnight(time_t t, int days)
{
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mday += days;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS", in local time. */
static int parse_local(const char *s, time_t *out)
{
    static const char *const forms[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct tm tm = {0};
        const char *end = strptime(s, forms[i], &tm);
        if (end == NULL || *end != '\0')
            continue;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t)-1)
            return -1;
        *out = t;
        return 0;
    }
    return -1;
}

int history_parse_when(const char *s, time_t now, time_t *out)
{
    static const struct {
        const char *word;
        int days;
    } words[] = {{"today", 0}, {"yesterday", -1}, {"tomorrow", 1}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (util_str_casecmp_ascii(s, words[i].word) == 0) {
            *out = local_midnight(now, words[i].days);
            return 0;
        }
    }
    unsigned ago;
    if (s[0] == '-' && util_parse_duration(s + 1, &ago) == 0 && s[1] >= '0' && s[1] <= '9') {
        *out = now - (time_t)ago;
        return 0;
    }
    if (parse_local(s, out) == 0)
        return 0;
    return util_parse_time(s, out);
}

/* ---- history ----------------------------------------------------------------------------- */

/* One decision as read back; strings are borrowed from the parsed line. */
struct hist_entry {
    time_t time;
    const char *mailbox, *address, *organizer, *organizer_name, *subject;
    const char *recurrence, *decision, *outcome, *rule, *response;
    time_t start, end;
    bool recurring, dry_run;
    bool settles;           /* it settles an earlier answer whose outcome was unknown */
    const json_t *declined; /* array or NULL */
    const json_t *checks;   /* array or NULL */
};

static time_t j_get_time(const json_t *obj, const char *key)
{
    const char *s = j_get_str(obj, key);
    time_t t;
    return s && util_parse_time(s, &t) == 0 ? t : 0;
}

static bool j_get_true(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

static const json_t *j_get_array(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

/* A record needs its time, mailbox and decision; every other field may be missing (older or
 * newer writers) and is then left out of the output. */
static int entry_from_json(const json_t *root, struct hist_entry *e)
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
    e->settles = j_get_true(root, "settles");
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
    if (f->until != 0 && e->time >= f->until)
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

/* LATER: the request's final outcome when a later record changed it, or NULL. */
static void format_entry(struct strbuf *b, const struct hist_entry *e, const char *later)
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
    for (size_t i = 0; i < json_array_size(e->checks); i++) {
        const json_t *c = json_array_get(e->checks, i);
        if (!json_is_object(c))
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
    if (json_array_size(e->declined) > 0) {
        strbuf_puts(b, "    declined occurrences: ");
        for (size_t i = 0; i < json_array_size(e->declined); i++) {
            const char *v = json_string_value(json_array_get(e->declined, i));
            time_t t;
            if (i > 0)
                strbuf_puts(b, ", ");
            if (v != NULL && util_parse_time(v, &t) == 0)
                put_time(b, t, false, false);
            else
                strbuf_puts(b, "?");
        }
        strbuf_putc(b, '\n');
    }
    bool sent = e->outcome && strcmp(e->outcome, "sent") == 0;
    bool dry = e->outcome && strcmp(e->outcome, "dry-run") == 0;
    if (e->outcome && ((!sent && !dry) || e->settles)) {
        strbuf_puts(b, "    outcome: ");
        log_put_display(b, e->outcome, false);
        if (e->settles)
            strbuf_puts(b, " (found on the server later: settles the earlier record)");
        strbuf_putc(b, '\n');
    }
    if (later) {
        strbuf_puts(b, "    final outcome: ");
        log_put_display(b, later, false);
        strbuf_puts(b, " (a later record settles it)\n");
    }
    bool unknown = e->outcome && strcmp(e->outcome, "unknown") == 0;
    if (e->response) {
        strbuf_puts(b, sent      ? "    response sent: "
                       : unknown ? "    response (sent or not, see the outcome): "
                                 : "    response (not sent): ");
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

/* Reads the next readable record of IN into *ROOT (the caller decrefs it) and E, counting in
 * ST; LINENO counts the lines. Returns false at the end of IN. */
static bool next_record(FILE *in, struct strbuf *line, size_t *lineno, struct history_stats *st,
                        json_t **root, struct hist_entry *e)
{
    bool too_long;
    while (read_line(in, line, &too_long)) {
        (*lineno)++;
        if (!too_long && is_blank(line))
            continue;
        /* Strict RFC 8259: no NUL in strings, no duplicate keys; nesting is bounded by the
         * library (and our lines nest three deep). */
        json_t *r = too_long ? NULL : json_loadb(line->p, line->len, JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(r) && entry_from_json(r, e) == 0) {
            st->records++;
            *root = r;
            return true;
        }
        json_decref(r);
        if (st->unreadable++ == 0)
            st->first_unreadable = *lineno;
    }
    return false;
}

/* ---- final outcomes --------------------------------------------------------------------- */

/* The last record of each request (its mailbox and item_id) over all the files: an earlier
 * record of a request (an answer whose outcome was unknown, then settled) shows the final
 * outcome too. */
struct final {
    char *key;    /* "MAILBOX\nITEM_ID" */
    size_t recno; /* the number of its last record, counted over all the files */
    char *outcome;
    UT_hash_handle hh;
};

static char *final_key(const json_t *root, const struct hist_entry *e)
{
    const char *id = j_get_str(root, "item_id");
    return id ? xasprintf("%s\n%s", e->mailbox, id) : NULL;
}

static void finals_note(struct final **finals, const json_t *root, const struct hist_entry *e,
                        size_t recno)
{
    char *key = final_key(root, e);
    if (key == NULL || e->outcome == NULL || e->dry_run) {
        free(key);
        return;
    }
    struct final *fin = NULL;
    HASH_FIND_STR(*finals, key, fin);
    if (fin == NULL) {
        fin = xcalloc(1, sizeof(*fin));
        fin->key = key;
        HASH_ADD_KEYPTR(hh, *finals, fin->key, strlen(fin->key), fin);
    } else {
        free(key);
        free(fin->outcome);
    }
    fin->recno = recno;
    fin->outcome = xstrdup(e->outcome);
}

/* The final outcome of the request of record RECNO when a later record changed it, or NULL. */
static const char *final_later(struct final *finals, const json_t *root, const struct hist_entry *e,
                               size_t recno)
{
    char *key = finals ? final_key(root, e) : NULL;
    struct final *fin = NULL;
    if (key != NULL)
        HASH_FIND_STR(finals, key, fin);
    free(key);
    /* Only an outcome that was not the last word can change: an unknown one, a failure. */
    bool open = e->outcome != NULL &&
                (strcmp(e->outcome, "unknown") == 0 || strncmp(e->outcome, "failed", 6) == 0);
    if (fin == NULL || !open || fin->recno <= recno || strcmp(fin->outcome, e->outcome) == 0)
        return NULL;
    return fin->outcome;
}

static void finals_free(struct final *finals)
{
    struct final *fin, *tmp;
    HASH_ITER(hh, finals, fin, tmp)
    {
        HASH_DEL(finals, fin);
        free(fin->key);
        free(fin->outcome);
        free(fin);
    }
}

/* Notes the last record of every request of IN in *FINALS; RECNO counts the records. */
static void finals_read(FILE *in, struct final **finals, size_t *recno)
{
    struct history_stats st = {0};
    struct strbuf line = {0};
    size_t lineno = 0;
    json_t *root;
    struct hist_entry e;
    while (next_record(in, &line, &lineno, &st, &root, &e)) {
        finals_note(finals, root, &e, (*recno)++);
        json_decref(root);
    }
    free(line.p);
}

static void finals_read_file(const char *path, struct final **finals, size_t *recno)
{
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return; /* the printing pass reports it */
    finals_read(in, finals, recno);
    fclose(in);
}

/* ---- printing --------------------------------------------------------------------------- */

/* history_stream() with the final outcomes FINALS (NULL: none) of the records numbered from
 * *RECNO on. */
static int stream_records(FILE *in, const struct history_filter *f, FILE *out,
                          struct history_stats *stats, struct final *finals, size_t *recno)
{
    struct history_stats st = {0};
    struct strbuf line = {0}, text = {0};
    size_t lineno = 0;
    json_t *root;
    struct hist_entry e;
    while (next_record(in, &line, &lineno, &st, &root, &e)) {
        size_t n = (*recno)++;
        if (entry_matches(&e, f)) {
            if (f != NULL && f->json) {
                jsonval_print_take(json_incref(root), out);
                fputc('\n', out);
            } else {
                text.len = 0;
                format_entry(&text, &e, final_later(finals, root, &e, n));
                fwrite(text.p, 1, text.len, out);
            }
            st.shown++;
        }
        json_decref(root);
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

int history_stream(FILE *in, const struct history_filter *f, FILE *out, struct history_stats *stats)
{
    size_t recno = 0;
    return stream_records(in, f, out, stats, NULL, &recno);
}

/* Prints the decisions of one file; adds to *TOTAL. A missing file holds none. */
static int print_file(const char *path, const struct history_filter *f, FILE *out,
                      struct history_stats *total, struct final *finals, size_t *recno)
{
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "meetingd: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct history_stats st;
    int rc = stream_records(in, f, out, &st, finals, recno);
    int saved = errno;
    fclose(in);
    if (rc != 0) {
        fprintf(stderr, "meetingd: %s: read error: %s\n", path, strerror(saved));
        return -1;
    }
    if (st.unreadable > 0)
        fprintf(stderr, "meetingd: %s: %zu unreadable line(s) skipped, the first is line %zu\n",
                path, st.unreadable, st.first_unreadable);
    total->records += st.records;
    total->shown += st.shown;
    total->unreadable += st.unreadable;
    return 0;
}

int history_print(const char *path, const struct history_filter *f, FILE *out)
{
    /* JSON Lines carry nothing but records: "nothing" is an empty output. */
    bool say_none = f == NULL || !f->json;
    struct history_stats st = {0};
    /* The rotated files, oldest first, then the current one: the record in time order. */
    char **rotated = record_rotated_list(path);
    struct final *finals = NULL;
    size_t recno = 0;
    if (say_none) {
        /* A first pass finds each request's last record, for "final outcome" lines. */
        for (size_t i = 0; rotated[i] != NULL; i++)
            finals_read_file(rotated[i], &finals, &recno);
        finals_read_file(path, &finals, &recno);
        recno = 0;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && rotated[i] != NULL; i++)
        rc = print_file(rotated[i], f, out, &st, finals, &recno);
    record_rotated_free(rotated);
    if (rc == 0)
        rc = print_file(path, f, out, &st, finals, &recno);
    finals_free(finals);
    if (rc != 0)
        return -1;
    if (say_none && st.records == 0 && st.unreadable == 0)
        fprintf(out, "no decisions recorded yet\n");
    else if (say_none && st.shown == 0)
        fprintf(out, "no matching decisions (%zu recorded)\n", st.records);
    if (fflush(out) != 0) {
        fprintf(stderr, "meetingd: cannot write the history: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}
