/*
 * Unit tests of record: the decision record written to real files in a temporary directory
 * and read back with --history's reader (filters, escaping, crash repair, garbage lines),
 * and the text helpers used on log lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "item.h"
#include "jsonval.h"
#include "policy.h"
#include "history.h"
#include "log.h"
#include "record.h"
#include "record_rotate.h"
#include "util.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_record.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/decisions.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char *cmd = xasprintf("rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static time_t T(const char *iso)
{
    time_t t;
    assert_int_equal(util_parse_time(iso, &t), 0);
    return t;
}

/* A meeting request, the policy's result on it and the decision handed to the record. */
struct sample {
    struct item it;
    struct policy_result res;
    struct policy_event d;
};

static void sample_init(struct sample *s, const char *mailbox, const char *address,
                        const char *organizer, const char *subject, enum policy_decision dec)
{
    item_init(&s->it);
    s->it.kind = ITEM_MEETING_REQUEST;
    s->it.uid = xstrdup("040000008200E00074C5B7101A82E008");
    s->it.id.id = xstrdup("AAMkADItem1=");
    s->it.organizer.address = organizer ? xstrdup(organizer) : NULL;
    s->it.organizer.name = organizer ? xstrdup("Jane Doe") : NULL;
    s->it.subject = subject ? xstrdup(subject) : NULL;
    s->it.start = T("2026-12-03T10:00:00Z");
    s->it.end = T("2026-12-03T11:00:00Z");
    memset(&s->res, 0, sizeof(s->res));
    s->res.decision = dec;
    s->d = (struct policy_event){
        .mailbox = mailbox,
        .address = address,
        .request = &s->it,
        .result = &s->res,
        .outcome = "sent",
    };
}

static void sample_check(struct sample *s, const char *name, enum policy_outcome outcome,
                         const char *reason)
{
    s->res.checks = xreallocarray(s->res.checks, s->res.n_checks + 1, sizeof(*s->res.checks));
    s->res.checks[s->res.n_checks++] = (struct policy_check){
        .name = xstrdup(name),
        .outcome = outcome,
        .reason = reason ? xstrdup(reason) : NULL,
    };
}

static void sample_clear(struct sample *s)
{
    item_clear(&s->it);
    policy_result_clear(&s->res);
}

static void append_at(const char *path, const struct policy_event *d, bool dry_run,
                      const char *when)
{
    char err[256] = "";
    struct record *r = record_open(path, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(record_append_at(r, d, dry_run, T(when)), 0);
    record_close(r);
}

/* The whole file (caller frees); *LEN its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = xmalloc(4 * 1024 * 1024);
    size_t n = fread(buf, 1, 4 * 1024 * 1024 - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void spew(const char *path, const char *data, size_t len, const char *mode)
{
    FILE *fp = fopen(path, mode);
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* history_print() of PATH under filter HF into a string (caller frees). */
static char *history_filtered(const char *path, const struct history_filter *hf)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(history_print(path, hf, out), 0);
    assert_int_equal(fclose(out), 0);
    return buf;
}

/* history_print() into a string (caller frees). */
static char *history(const char *path, const char *mailbox, const char *organizer,
                     const char *since)
{
    struct history_filter f = {
        .mailbox = mailbox, .organizer = organizer, .since = since ? T(since) : 0};
    return history_filtered(path, &f);
}

/* Number of decisions in a history text: the lines starting with a date. */
static int count_entries(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && *p >= '0' && *p <= '9')
            n++;
    }
    return n;
}

/* The rotated files of the record PATH, oldest first, then PATH: the record as one text. */
static char *slurp_record(const char *path, size_t *len)
{
    struct strbuf b = {0};
    char **files = record_rotated_list(path);
    for (size_t i = 0; files[i] != NULL; i++) {
        char *text = slurp(files[i], NULL);
        strbuf_puts(&b, text);
        free(text);
    }
    record_rotated_free(files);
    char *text = slurp(path, NULL);
    strbuf_puts(&b, text);
    free(text);
    char *all = strbuf_take(&b);
    *len = strlen(all);
    return all;
}

static size_t count_char(const char *s, size_t len, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == c;
    return n;
}

/* ---- writing and reading back ------------------------------------------------------------ */

/* Four decisions over two mailboxes, read back whole and through every filter. */
static void test_roundtrip_filters(void **state)
{
    struct fixture *f = *state;
    struct sample a, b, c, d;

    sample_init(&a, "room0", "room0@contoso.com", "jane@contoso.com", "Weekly sync",
                POLICY_DECLINE);
    a.it.is_recurring = true;
    a.it.recurrence = xcalloc(1, sizeof(*a.it.recurrence));
    *a.it.recurrence = (struct item_recurrence){.pattern = REC_WEEKLY,
                                                .interval = 1,
                                                .days_of_week = ITEM_DOW_THURSDAY,
                                                .range = REC_RANGE_NUMBERED,
                                                .start_date = "2026-12-03",
                                                .number_of_occurrences = 10};
    sample_check(&a, "conflicts", POLICY_CHECK_FAIL, "the room is already booked");
    sample_check(&a, "booking_window", POLICY_CHECK_PASS, "within the 180-day booking window");
    a.res.rule = "no-externals";
    a.res.response_text = xstrdup("Declined: busy");
    append_at(f->path, &a.d, false, "2026-12-01T09:14:03Z");

    sample_init(&b, "room1", "room1@contoso.com", "bob@fabrikam.com", "Planning", POLICY_ACCEPT);
    b.d.outcome = "dry-run";
    b.it.end = T("2026-12-04T09:30:00Z");
    b.res.declined_occurrences = xcalloc(2, sizeof(time_t));
    b.res.declined_occurrences[0] = T("2026-12-10T10:00:00Z");
    b.res.declined_occurrences[1] = T("2026-12-17T10:00:00Z");
    b.res.n_declined_occurrences = 2;
    sample_check(&b, "hours", POLICY_CHECK_INFO, "outside office hours, allowed");
    append_at(f->path, &b.d, true, "2026-12-02T08:00:00Z");

    sample_init(&c, "room0", "room0@contoso.com", "JOHN@Contoso.COM", "Retro", POLICY_TENTATIVE);
    c.d.outcome = "failed";
    c.res.response_text = xstrdup("Held for approval");
    append_at(f->path, &c.d, false, "2026-12-05T12:00:00Z");

    sample_init(&d, "room1", "room1@contoso.com", NULL, NULL, POLICY_IGNORE);
    d.it.start = d.it.end = 0;
    d.d.outcome = "left alone";
    append_at(f->path, &d.d, false, "2026-11-30T23:59:59Z");

    /* The first line, exactly: over the day files the four days were rotated into. */
    size_t len;
    char *raw = slurp_record(f->path, &len);
    assert_int_equal(count_char(raw, len, '\n'), 4);
    const char *line_a =
        "{\"time\":\"2026-12-01T09:14:03Z\",\"mailbox\":\"room0\",\"address\":"
        "\"room0@contoso.com\",\"uid\":\"040000008200E00074C5B7101A82E008\",\"item_id\":"
        "\"AAMkADItem1=\",\"organizer\":\"jane@contoso.com\",\"organizer_name\":\"Jane Doe\","
        "\"subject\":\"Weekly sync\",\"start\":\"2026-12-03T10:00:00Z\",\"end\":"
        "\"2026-12-03T11:00:00Z\",\"recurring\":true,\"recurrence\":\"weekly every 1 week(s) "
        "on Thu from 2026-12-03, 10 occurrences\",\"decision\":\"decline\",\"dry_run\":false,"
        "\"outcome\":\"sent\",\"rule\":\"no-externals\",\"response\":\"Declined: busy\","
        "\"declined_occurrences\":[],\"checks\":[{\"name\":\"conflicts\",\"outcome\":\"fail\","
        "\"reason\":\"the room is already booked\"},{\"name\":\"booking_window\",\"outcome\":"
        "\"pass\",\"reason\":\"within the 180-day booking window\"}]}\n";
    assert_memory_equal(raw, line_a, strlen(line_a));
    assert_non_null(strstr(raw, "\"organizer\":null,\"organizer_name\":null,\"subject\":null,"
                                "\"start\":null,\"end\":null,\"recurring\":false,"
                                "\"recurrence\":null,\"decision\":\"ignore\""));
    assert_non_null(strstr(raw, "\"declined_occurrences\":[\"2026-12-10T10:00:00Z\","
                                "\"2026-12-17T10:00:00Z\"]"));
    free(raw);

    /* Everything, in file order. */
    char *all = history(f->path, NULL, NULL, NULL);
    assert_int_equal(count_entries(all), 4);
    const char *block_a =
        "2026-12-01 09:14:03Z  room0  DECLINE  \"Weekly sync\" by Jane Doe <jane@contoso.com>\n"
        "    meeting 2026-12-03 10:00Z - 11:00Z, weekly every 1 week(s) on Thu from "
        "2026-12-03, 10 occurrences\n"
        "    rule: no-externals\n"
        "    FAIL conflicts: the room is already booked\n"
        "    ok   booking_window: within the 180-day booking window\n"
        "    response sent: \"Declined: busy\"\n"
        "2026-12-02 08:00:00Z  room1  ACCEPT (dry run)  \"Planning\"";
    assert_memory_equal(all, block_a, strlen(block_a));
    assert_non_null(strstr(all, "    meeting 2026-12-03 10:00Z - 2026-12-04 09:30Z\n"
                                "    info hours: outside office hours, allowed\n"
                                "    declined occurrences: 2026-12-10 10:00Z, "
                                "2026-12-17 10:00Z\n"));
    assert_non_null(strstr(all, "TENTATIVE  \"Retro\" by Jane Doe <JOHN@Contoso.COM>\n"));
    assert_non_null(strstr(all, "    outcome: failed\n"
                                "    response (not sent): \"Held for approval\"\n"));
    assert_non_null(strstr(all, "2026-11-30 23:59:59Z  room1  IGNORE  (no subject) by an "
                                "unknown organizer\n    meeting at an unknown time\n"
                                "    outcome: left alone\n"));
    assert_null(strstr(all, "no decisions"));
    free(all);

    struct {
        const char *mailbox, *organizer, *since;
        int expected;
        const char *first; /* start of the first entry's header */
    } cases[] = {
        {"room0", NULL, NULL, 2, "2026-12-01 09:14:03Z  room0"},
        {"ROOM1@Contoso.com", NULL, NULL, 2, "2026-12-02 08:00:00Z  room1"},
        {"Room0", NULL, NULL, 0, NULL}, /* names are exact, like [mailbox NAME] */
        {NULL, "Jane@CONTOSO.com", NULL, 1, "2026-12-01 09:14:03Z"},
        {NULL, "john@contoso.com", NULL, 1, "2026-12-05 12:00:00Z"},
        {NULL, "@contoso.com", NULL, 2, "2026-12-01 09:14:03Z"},
        {NULL, "@fabrikam.com", NULL, 1, "2026-12-02 08:00:00Z"},
        {NULL, "@example.com", NULL, 0, NULL},
        {NULL, NULL, "2026-12-02", 2, "2026-12-02 08:00:00Z"},
        {NULL, NULL, "2026-12-01T09:14:03Z", 3, "2026-12-01 09:14:03Z"}, /* >= since */
        {NULL, NULL, "2026-12-01T09:14:04Z", 2, "2026-12-02 08:00:00Z"},
        {NULL, NULL, "2027-01-01", 0, NULL},
        {"room0", "@contoso.com", "2026-12-02", 1, "2026-12-05 12:00:00Z  room0  TENTATIVE"},
        {"", "", NULL, 4, "2026-12-01 09:14:03Z"}, /* empty = no filter */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = history(f->path, cases[i].mailbox, cases[i].organizer, cases[i].since);
        if (count_entries(out) != cases[i].expected)
            fail_msg("case %zu: %d entries instead of %d:\n%s", i, count_entries(out),
                     cases[i].expected, out);
        if (cases[i].first)
            assert_memory_equal(out, cases[i].first, strlen(cases[i].first));
        else
            assert_string_equal(out, "no matching decisions (4 recorded)\n");
        free(out);
    }

    sample_clear(&a);
    sample_clear(&b);
    sample_clear(&c);
    sample_clear(&d);
}

/* record_append() stamps the current time. */
static void test_append_now(void **state)
{
    struct fixture *f = *state;
    struct sample s;
    char err[256];
    sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com", "Now", POLICY_ACCEPT);
    struct record *r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    time_t before = time(NULL);
    assert_int_equal(record_append(r, &s.d, false), 0);
    time_t after = time(NULL);
    record_close(r);

    char *raw = slurp(f->path, NULL);
    assert_memory_equal(raw, "{\"time\":\"", 9);
    char iso[21];
    memcpy(iso, raw + 9, 20);
    iso[20] = '\0';
    time_t t = T(iso);
    assert_true(t >= before && t <= after);
    free(raw);

    errno = 0;
    assert_int_equal(record_append(NULL, &s.d, false), -1);
    assert_int_equal(errno, EINVAL);
    record_close(NULL);
    sample_clear(&s);
}

/* Quotes, newlines, tabs, backslashes, control characters and non-ASCII text survive the
 * trip, the line stays one line, and the terminal output is escaped. */
static void test_escaping(void **state)
{
    struct fixture *f = *state;
    struct sample s;
    sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com",
                "Say \"hi\"\nline2\t\\ Caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80 \x01 \x7f",
                POLICY_DECLINE);
    sample_check(&s, "conflicts", POLICY_CHECK_FAIL, "busy\nreally \"busy\"");
    s.res.response_text = xstrdup("Sorry\r\nThe room");
    append_at(f->path, &s.d, false, "2026-12-01T09:00:00Z");

    size_t len;
    char *raw = slurp(f->path, &len);
    assert_int_equal(count_char(raw, len, '\n'), 1);
    assert_int_equal(raw[len - 1], '\n');
    /* jansson's escapes: \n, \t, \r and \uXXXX for other controls; U+007F is not a
     * control character in JSON and is written as it is. */
    assert_non_null(strstr(raw, "\"subject\":\"Say \\\"hi\\\"\\nline2\\t\\\\ "
                                "Caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80 \\u0001 \x7f\""));
    assert_non_null(strstr(raw, "\"reason\":\"busy\\nreally \\\"busy\\\"\""));
    assert_non_null(strstr(raw, "\"response\":\"Sorry\\r\\nThe room\""));
    free(raw);

    char *out = history(f->path, NULL, NULL, NULL);
    assert_non_null(strstr(out, "DECLINE  \"Say \\\"hi\\\"\\nline2\\t\\\\ Caf\xc3\xa9 "
                                "\xe2\x98\x95 \xf0\x9f\x98\x80 \\x01 \\x7f\" by "));
    assert_non_null(strstr(out, "    FAIL conflicts: busy\\nreally \"busy\"\n"));
    assert_non_null(strstr(out, "    response sent: \"Sorry\\r\\nThe room\"\n"));
    assert_int_equal(count_entries(out), 1);
    free(out);
    sample_clear(&s);

    /* Bytes that are not UTF-8 become U+FFFD in the file, which stays valid JSON. */
    sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com",
                "a\xff"
                "b\xc3",
                POLICY_ACCEPT);
    char *line = record_format_line(&s.d, false, T("2026-12-01T09:00:00Z"));
    assert_non_null(strstr(line, "\"subject\":\"a\xef\xbf\xbd"
                                 "b\xef\xbf\xbd\""));
    free(line);
    sample_clear(&s);

    /* JSON escapes another writer might use: \u with surrogate pairs, \/, \b. */
    const char *hand = "{\"time\":\"2026-12-02T00:00:00Z\",\"mailbox\":\"m\\u00e9\","
                       "\"decision\":\"accept\",\"subject\":\"\\u00e9\\ud83d\\ude00\\/\\b"
                       "\\u2028\"}\n";
    spew(f->path, hand, strlen(hand), "a");
    out = history(f->path, "m\xc3\xa9", NULL, NULL);
    assert_int_equal(count_entries(out), 1);
    assert_non_null(strstr(out, "2026-12-02 00:00:00Z  m\xc3\xa9  ACCEPT  \"\xc3\xa9\xf0\x9f\x98"
                                "\x80/\\x08\xe2\x80\xa8\" by an unknown organizer\n"));
    free(out);
}

/* The line as jansson writes the same values (JSON_COMPACT, members in the documented
 * order): what record_format_line wrote before it built the text itself, and what readers
 * other than --history (jq, log shippers) saw. */
static char *line_by_jansson(const struct policy_event *d, bool dry_run, time_t when)
{
    const struct item *it = d->request;
    const struct policy_result *res = d->result;
    char *rec = it->recurrence ? record_recurrence_text(it->recurrence) : NULL;
    json_t *declined = json_array();
    for (size_t i = 0; i < res->n_declined_occurrences; i++)
        json_array_append_new(declined, jsonval_time(res->declined_occurrences[i]));
    json_t *checks = json_array();
    static const char *const outcomes[] = {"pass", "fail", "info"};
    for (size_t i = 0; i < res->n_checks; i++) {
        const struct policy_check *c = &res->checks[i];
        const char *outcome = c->outcome == POLICY_CHECK_PASS   ? outcomes[0]
                              : c->outcome == POLICY_CHECK_FAIL ? outcomes[1]
                                                                : outcomes[2];
        json_array_append_new(checks,
                              json_pack("{s:o, s:s, s:o}", "name", jsonval_string(c->name),
                                        "outcome", outcome, "reason", jsonval_string(c->reason)));
    }
    json_t *o = json_object();
    json_object_set_new(o, "time", jsonval_time(when));
    json_object_set_new(o, "mailbox", jsonval_string(d->mailbox));
    json_object_set_new(o, "address", jsonval_string(d->address));
    json_object_set_new(o, "uid", jsonval_string(it->uid));
    json_object_set_new(o, "item_id", jsonval_string(it->id.id));
    json_object_set_new(o, "organizer", jsonval_string(it->organizer.address));
    json_object_set_new(o, "organizer_name", jsonval_string(it->organizer.name));
    json_object_set_new(o, "subject", jsonval_string(it->subject));
    json_object_set_new(o, "start", jsonval_time(it->start));
    json_object_set_new(o, "end", jsonval_time(it->end));
    json_object_set_new(o, "recurring", json_boolean(it->is_recurring || it->recurrence));
    json_object_set_new(o, "recurrence", jsonval_string(rec));
    json_object_set_new(
        o, "decision", jsonval_string(d->action ? d->action : policy_decision_name(res->decision)));
    json_object_set_new(o, "dry_run", json_boolean(dry_run));
    json_object_set_new(o, "outcome", jsonval_string(d->outcome));
    if (d->settles)
        json_object_set_new(o, "settles", json_true());
    json_object_set_new(o, "rule", jsonval_string(res->rule));
    json_object_set_new(o, "response", jsonval_string(res->response_text));
    json_object_set_new(o, "declined_occurrences", declined);
    json_object_set_new(o, "checks", checks);
    free(rec);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    assert_non_null(text);
    char *line = xasprintf("%s\n", text);
    free(text);
    return line;
}

static void assert_line_as_jansson(const struct sample *s, bool dry_run, time_t when)
{
    char *ours = record_format_line(&s->d, dry_run, when);
    char *theirs = line_by_jansson(&s->d, dry_run, when);
    assert_string_equal(ours, theirs);
    free(ours);
    free(theirs);
}

static void test_line_as_jansson_writes(void **state)
{
    (void)state;
    struct sample s;
    /* Every byte value from 0x01 to 0xff in the subject: the controls, '"', '\\', '/', DEL
     * and the bytes that are not UTF-8 on their own (replaced by U+FFFD). */
    char every[256];
    for (int i = 1; i < 256; i++)
        every[i - 1] = (char)i;
    every[255] = '\0';
    sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com", every, POLICY_DECLINE);
    sample_check(&s, "conflicts", POLICY_CHECK_FAIL, "busy\nreally \"busy\" \xe2\x98\x95");
    sample_check(&s, "hours", POLICY_CHECK_PASS, NULL);
    sample_check(&s, "automate", POLICY_CHECK_INFO, "a\\b/c\x1f\x7f");
    s.res.response_text = xstrdup("Sorry\r\nThe room \xf0\x9f\x98\x80 \xc3");
    s.res.rule = "rule \"one\""; /* borrowed, as from the configuration */
    s.res.declined_occurrences = xcalloc(2, sizeof(*s.res.declined_occurrences));
    s.res.declined_occurrences[0] = T("2026-12-10T10:00:00Z");
    s.res.declined_occurrences[1] = T("2026-12-17T10:00:00Z");
    s.res.n_declined_occurrences = 2;
    s.it.recurrence = xcalloc(1, sizeof(*s.it.recurrence));
    s.it.recurrence->pattern = REC_WEEKLY;
    s.it.recurrence->interval = 1;
    s.it.recurrence->days_of_week = 1u << 3;
    s.it.recurrence->range = REC_RANGE_NUMBERED;
    s.it.recurrence->number_of_occurrences = 4;
    memcpy(s.it.recurrence->start_date, "2026-12-03", 11);
    assert_line_as_jansson(&s, false, T("2026-12-01T09:00:00Z"));
    s.d.settles = true;
    s.d.action = "remove";
    assert_line_as_jansson(&s, true, T("2026-12-01T09:00:00Z"));
    sample_clear(&s);

    /* What may be absent: organizer, subject, ids, times, checks, outcome. */
    sample_init(&s, "m", NULL, NULL, NULL, POLICY_ACCEPT);
    free(s.it.uid);
    s.it.uid = NULL;
    free(s.it.id.id);
    s.it.id.id = NULL;
    s.it.start = s.it.end = 0;
    s.it.is_recurring = true;
    s.d.outcome = NULL;
    assert_line_as_jansson(&s, false, 0);
    sample_clear(&s);
}

/* A crash in the middle of a write leaves a partial line: the next open cuts it off and the
 * next record starts on a line of its own. */
static void test_truncated_repair(void **state)
{
    struct fixture *f = *state;
    struct sample s;
    char err[256];
    sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com", "First", POLICY_ACCEPT);
    append_at(f->path, &s.d, false, "2026-12-01T09:00:00Z");
    size_t good_len;
    free(slurp(f->path, &good_len));

    char *next = record_format_line(&s.d, false, T("2026-12-01T10:00:00Z"));
    spew(f->path, next, strlen(next) / 2, "a"); /* half of a line, no '\n' */
    free(next);

    struct history_stats st;
    FILE *in = fopen(f->path, "r");
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(in);
    assert_non_null(devnull);
    assert_int_equal(history_stream(in, NULL, devnull, &st), 0);
    fclose(in);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.unreadable, 1); /* the half line, before repair */

    struct record *r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal((size_t)sb.st_size, good_len);
    free(s.it.subject);
    s.it.subject = xstrdup("Second");
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T11:00:00Z")), 0);
    record_close(r);

    size_t len;
    char *raw = slurp(f->path, &len);
    assert_int_equal(count_char(raw, len, '\n'), 2);
    assert_int_equal(raw[len - 1], '\n');
    assert_memory_equal(raw + good_len, "{\"time\":\"2026-12-01T11:00:00Z\"", 30);
    free(raw);

    in = fopen(f->path, "r");
    assert_non_null(in);
    assert_int_equal(history_stream(in, NULL, devnull, &st), 0);
    fclose(in);
    fclose(devnull);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.unreadable, 0);
    char *out = history(f->path, NULL, NULL, NULL);
    assert_non_null(strstr(out, "\"First\""));
    assert_non_null(strstr(out, "\"Second\""));
    free(out);

    /* A file that holds nothing but a partial line is emptied; a sound one is left alone. */
    spew(f->path, "{\"time\":\"2026", 13, "w");
    r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    record_close(r);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_size, 0);

    /* A partial line longer than the backwards scan's buffer. */
    char *big = xmalloc(20000);
    memset(big, 'x', 20000);
    memcpy(big, "{}\n{\"", 5);
    spew(f->path, big, 20000, "w");
    free(big);
    r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    record_close(r);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_size, 3);
    r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    record_close(r);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_size, 3);
    sample_clear(&s);
}

/* Lines that are not records are skipped and counted; the records around them are shown. */
static void test_garbage_lines(void **state)
{
    struct fixture *f = *state;
    struct sample s;
    sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com", "Good", POLICY_ACCEPT);
    char *good = record_format_line(&s.d, false, T("2026-12-01T09:00:00Z"));
    sample_clear(&s);

    const char *garbage[] = {
        "not json at all",
        "{\"time\":\"2026-12-01T00:00:00Z\"",                                 /* cut short */
        "[1,2,3]",                                                            /* not an object */
        "{\"mailbox\":\"m\",\"decision\":\"accept\"}",                        /* no time */
        "{\"time\":\"yesterday\",\"mailbox\":\"m\",\"decision\":\"accept\"}", /* bad time */
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":7,\"decision\":\"accept\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"\\ud800\",\"decision\":\"x\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"\\udc00\",\"decision\":\"x\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"\\u0000\",\"decision\":\"x\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"\\q\",\"decision\":\"x\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"\\u12\",\"decision\":\"x\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"a\tb\",\"decision\":\"x\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"\xc0\xaf\",\"decision\":\"x\"}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"m\",\"decision\":\"x\"} x",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"m\",\"decision\":\"x\",}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"m\",\"decision\":\"x\",\"n\":01}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"m\",\"decision\":\"x\",\"n\":1.}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"m\",\"decision\":\"x\",\"n\":-}",
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"m\",\"decision\":\"x\",\"n\":tru}",
        "{\"time\" \"2026-12-01T00:00:00Z\"}",
        "{time:1}",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    };
    /* Valid JSON that is a record, with things we do not know about. */
    const char *odd = "{\"time\":\"2026-12-03T00:00:00Z\",\"mailbox\":\"m\",\"decision\":"
                      "\"accept\",\"extra\":[1,-2.5e+3,0.5,1E-2,true,false,null,{\"x\":{}}],"
                      "\"checks\":[7,{\"name\":\"n\"}],\"declined_occurrences\":[\"soon\"]}\r";

    char *text = NULL;
    size_t tlen = 0;
    FILE *fp = open_memstream(&text, &tlen);
    assert_non_null(fp);
    fputs(good, fp);
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        fprintf(fp, "%s\n", garbage[i]);
    static const char with_nul[] =
        "{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"a\0b\",\"decision\":\"x\"}\n";
    fwrite(with_nul, 1, sizeof(with_nul) - 1, fp); /* a NUL byte inside */
    fputs("\n   \n", fp);                          /* blank lines are not records, nor garbage */
    fprintf(fp, "%s\n", odd);
    fputs("{\"time\":\"2026-12-01T00:00:00Z\",\"mailbox\":\"m\",\"decision\":\"x\",\"s\":\"", fp);
    for (size_t i = 0; i < HISTORY_LINE_MAX; i++)
        fputc('x', fp);
    fputs("\"}\n", fp); /* too long */
    good[strlen(good) - 1] = '\0';
    fputs(good, fp); /* the last line without its '\n' still counts */
    fclose(fp);
    spew(f->path, text, tlen, "w");
    free(text);
    free(good);

    struct history_stats st;
    char *out = NULL;
    size_t olen = 0;
    FILE *in = fopen(f->path, "r");
    FILE *mem = open_memstream(&out, &olen);
    assert_non_null(in);
    assert_non_null(mem);
    assert_int_equal(history_stream(in, NULL, mem, &st), 0);
    fclose(in);
    fclose(mem);
    size_t n_garbage = sizeof(garbage) / sizeof(garbage[0]);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.shown, 3);
    assert_int_equal(st.unreadable, n_garbage + 2); /* + the NUL line and the long one */
    assert_int_equal(st.first_unreadable, 2);
    assert_int_equal(count_entries(out), 3);
    assert_non_null(strstr(out, "2026-12-03 00:00:00Z  m  ACCEPT  (no subject) by an unknown "
                                "organizer\n    meeting at an unknown time\n    ?    n\n"
                                "    declined occurrences: ?\n"));
    free(out);

    /* history_print() reports them (on stderr) and still succeeds. */
    out = history(f->path, NULL, NULL, NULL);
    assert_int_equal(count_entries(out), 3);
    free(out);
}

/* Nothing recorded yet: a message, not an error; a directory is a read error. */
static void test_empty_and_missing(void **state)
{
    struct fixture *f = *state;
    char *out = history(f->path, NULL, NULL, NULL);
    assert_string_equal(out, "no decisions recorded yet\n");
    free(out);
    spew(f->path, "", 0, "w");
    out = history(f->path, "room0", NULL, NULL);
    assert_string_equal(out, "no decisions recorded yet\n");
    free(out);

    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    assert_int_equal(history_print(f->dir, NULL, devnull), -1);
    fclose(devnull);
}

/* The file is created 0600 whatever the umask (decisions name people and meetings). */
static void test_mode(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    mode_t old = umask(0);
    struct record *r = record_open(f->path, err, sizeof(err));
    umask(old);
    assert_non_null(r);
    record_close(r);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);

    assert_null(record_open(f->dir, err, sizeof(err)));
    assert_non_null(strstr(err, f->dir));
    char *missing = xasprintf("%s/no/such/dir/decisions.jsonl", f->dir);
    err[0] = '\0';
    assert_null(record_open(missing, err, sizeof(err)));
    assert_non_null(strstr(err, "No such file"));
    free(missing);
}

/* ---- text helpers ------------------------------------------------------------------------ */

static void test_quote(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "\"plain\""},
        {"", "\"\""},
        {NULL, "\"\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"l1\nl2\r\t\x01\x1b[31m\x7f", "\"l1\\nl2\\r\\t\\x01\\x1b[31m\\x7f\""},
        {"Caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80",
         "\"Caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80\""},
        {"\xff", "\"\\xff\""},
        {"\xc3(", "\"\\xc3(\""},
        {"\xc0\xaf", "\"\\xc0\\xaf\""},                   /* overlong '/' */
        {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},          /* a surrogate */
        {"\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\""}, /* above U+10FFFF */
        {"\xe2\x98", "\"\\xe2\\x98\""},                   /* cut short */
        {"\xc2\x9b"
         "1m",
         "\"\\xc2\\x9b1m\""},         /* C1 CSI */
        {"\xc2\xa0", "\"\xc2\xa0\""}, /* no-break space is text */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *q = log_quote(cases[i].in);
        if (strcmp(q, cases[i].out) != 0)
            fail_msg("case %zu: got %s, want %s", i, q, cases[i].out);
        free(q);
    }
}

static void test_reasons_text(void **state)
{
    (void)state;
    struct policy_result r;
    memset(&r, 0, sizeof(r));
    char *s = policy_result_reasons_text(&r);
    assert_string_equal(s, "");
    free(s);

    struct sample x;
    sample_init(&x, "m", "m@contoso.com", "jane@contoso.com", "s", POLICY_DECLINE);
    sample_check(&x, "a", POLICY_CHECK_PASS, "fine");
    sample_check(&x, "b", POLICY_CHECK_FAIL, "too long");
    sample_check(&x, "c", POLICY_CHECK_INFO, "noted");
    sample_check(&x, "d", POLICY_CHECK_FAIL, "outside hours");
    s = policy_result_reasons_text(&x.res);
    assert_string_equal(s, "too long; outside hours");
    free(s);
    sample_clear(&x);

    sample_init(&x, "m", "m@contoso.com", "jane@contoso.com", "s", POLICY_ACCEPT);
    sample_check(&x, "a", POLICY_CHECK_PASS, "fine");
    sample_check(&x, "b", POLICY_CHECK_INFO, NULL);
    sample_check(&x, "c", POLICY_CHECK_INFO, "noted");
    s = policy_result_reasons_text(&x.res);
    assert_string_equal(s, "fine; noted");
    free(s);
    sample_clear(&x);
}

static void test_recurrence_text(void **state)
{
    (void)state;
    struct {
        struct item_recurrence rec;
        const char *text;
    } cases[] = {
        {{.pattern = REC_WEEKLY,
          .interval = 1,
          .days_of_week = ITEM_DOW_MONDAY | ITEM_DOW_WEDNESDAY,
          .range = REC_RANGE_END_DATE,
          .start_date = "2026-12-01",
          .end_date = "2027-03-01"},
         "weekly every 1 week(s) on Mon,Wed from 2026-12-01 until 2027-03-01"},
        {{.pattern = REC_DAILY,
          .interval = 2,
          .range = REC_RANGE_NUMBERED,
          .start_date = "2026-12-01",
          .number_of_occurrences = 10},
         "daily every 2 day(s) from 2026-12-01, 10 occurrences"},
        {{.pattern = REC_RELATIVE_MONTHLY,
          .interval = 1,
          .days_of_week = ITEM_DOW_FRIDAY,
          .day_of_week_index = 5,
          .range = REC_RANGE_NO_END,
          .start_date = "2026-12-01"},
         "monthly every 1 month(s) on the last Fri from 2026-12-01, no end"},
        {{.pattern = REC_ABSOLUTE_MONTHLY,
          .interval = 3,
          .day_of_month = 15,
          .range = REC_RANGE_NO_END,
          .start_date = "2026-12-15"},
         "monthly every 3 month(s) on day 15 from 2026-12-15, no end"},
        {{.pattern = REC_ABSOLUTE_YEARLY,
          .interval = 1,
          .day_of_month = 24,
          .month = 12,
          .range = REC_RANGE_NUMBERED,
          .start_date = "2026-12-24",
          .number_of_occurrences = 3},
         "yearly on Dec 24 from 2026-12-24, 3 occurrences"},
        {{.pattern = REC_RELATIVE_YEARLY,
          .interval = 1,
          .days_of_week = ITEM_DOW_WEEKDAY,
          .day_of_week_index = 1,
          .month = 3,
          .range = REC_RANGE_NO_END},
         "yearly on the first weekday of Mar, no end"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = record_recurrence_text(&cases[i].rec);
        assert_string_equal(s, cases[i].text);
        free(s);
    }
}

/* ---- durability: all-or-nothing appends, a removed or replaced file ---------------------- */

/* Runs with stderr (where log lines go) sent to a file; returns what was written. */
static int stderr_saved = -1;
static char stderr_path[160];

static void stderr_capture(const struct fixture *f)
{
    snprintf(stderr_path, sizeof(stderr_path), "%s.stderr", f->dir);
    fflush(stderr);
    stderr_saved = dup(2);
    int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    dup2(fd, 2);
    close(fd);
}

static char *stderr_release(void)
{
    fflush(stderr);
    dup2(stderr_saved, 2);
    close(stderr_saved);
    char *text = slurp(stderr_path, NULL);
    unlink(stderr_path);
    return text;
}

/* Opens F's record and appends S, a decision made here, at 09:00 on 1 December. */
static struct record *open_with_one(const struct fixture *f, struct sample *s)
{
    sample_init(s, "room0", "room0@contoso.com", "jane@contoso.com", "Sync", POLICY_ACCEPT);
    char err[256];
    struct record *r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(record_append_at(r, &s->d, false, T("2026-12-01T09:00:00Z")), 0);
    return r;
}

static void test_append_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    struct sample s;
    struct record *r = open_with_one(f, &s);
    size_t len1;
    char *before = slurp(f->path, &len1);

    /* The file may grow by 10 bytes only: the kernel writes a prefix of the line and stops
     * (as a full disk does). The append fails and the prefix is taken back. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = (struct rlimit){.rlim_cur = (rlim_t)len1 + 10, .rlim_max = old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = record_append_at(r, &s.d, false, T("2026-12-01T09:01:00Z"));
    int saved = errno;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(rc, -1);
    assert_int_equal(saved, ENOSPC);
    size_t len2;
    char *after = slurp(f->path, &len2);
    assert_int_equal(len2, len1);
    assert_memory_equal(after, before, len1);
    free(after);
    free(before);

    /* Space is back: the decision kept in memory is written first, then the next one, each
     * on a line of its own. */
    assert_true(record_writable(r));
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T09:02:00Z")), 0);
    after = slurp(f->path, &len2);
    assert_int_equal(count_char(after, len2, '\n'), 3);
    char *kept = strstr(after, "09:01:00Z"), *next = strstr(after, "09:02:00Z");
    assert_true(kept != NULL && next != NULL && kept < next);
    char *shown = history(f->path, NULL, NULL, NULL);
    assert_int_equal(count_entries(shown), 3);
    free(shown);
    free(after);
    record_close(r);
    sample_clear(&s);
}

static void test_removed_or_replaced(void **state)
{
    struct fixture *f = *state;
    struct sample s;
    struct record *r = open_with_one(f, &s);

    /* The file removed: noticed, reported at error level, recording goes on in a new one. */
    stderr_capture(f);
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T09:01:00Z")), 0);
    char *log = stderr_release();
    assert_non_null(strstr(log, "error: "));
    assert_non_null(strstr(log, "the decision record was removed while meetingd ran"));
    free(log);
    size_t len;
    char *text = slurp(f->path, &len);
    assert_int_equal(count_char(text, len, '\n'), 1);
    assert_non_null(strstr(text, "\"time\":\"2026-12-01T09:01:00Z\""));
    free(text);

    /* Replaced by a directory: reported once, appends fail until a file can be there. */
    stderr_capture(f);
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(mkdir(f->path, 0700), 0);
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T09:02:00Z")), -1);
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T09:03:00Z")), -1);
    log = stderr_release();
    assert_non_null(strstr(log, "the decision record was replaced while meetingd ran; "
                                "decisions cannot be recorded"));
    assert_null(strstr(strstr(log, "was replaced") + 1, "was replaced"));
    free(log);
    assert_int_equal(rmdir(f->path), 0);
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T09:03:30Z")), 0);

    /* The whole state directory removed: the same, until it is back. */
    stderr_capture(f);
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(rmdir(f->dir), 0);
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T09:04:00Z")), -1);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    assert_int_equal(record_append_at(r, &s.d, false, T("2026-12-01T09:05:00Z")), 0);
    log = stderr_release();
    assert_non_null(strstr(log, "the decision record was removed while meetingd ran; decisions "
                                "cannot be recorded"));
    assert_non_null(strstr(log, "No such file or directory"));
    free(log);
    record_close(r);
    sample_clear(&s);
}

static void test_torn_tail_warning(void **state)
{
    struct fixture *f = *state;
    spew(
        f->path,
        "{\"time\":\"2026-12-01T09:00:00Z\",\"mailbox\":\"room0\",\"decision\":\"accept\"}\n"
        "{\"time\":\"2026-12-01T09:0",
        strlen("{\"time\":\"2026-12-01T09:00:00Z\",\"mailbox\":\"room0\",\"decision\":\"accept\"}\n"
               "{\"time\":\"2026-12-01T09:0"),
        "wb");
    stderr_capture(f);
    char err[256];
    struct record *r = record_open(f->path, err, sizeof(err));
    char *log = stderr_release();
    assert_non_null(r);
    assert_non_null(strstr(log, "warning: "));
    assert_non_null(strstr(log, "cut off a torn last record (24 bytes)"));
    free(log);
    record_close(r);
    size_t len;
    char *text = slurp(f->path, &len);
    assert_int_equal(count_char(text, len, '\n'), 1);
    assert_int_equal(text[len - 1], '\n');
    free(text);
}

/* ---- --since / --until and --json --------------------------------------------------------- */

static time_t when(const char *s, time_t now)
{
    time_t t = 0;
    if (history_parse_when(s, now, &t) != 0)
        fail_msg("'%s' not parsed", s);
    return t;
}

static void test_parse_when(void **state)
{
    (void)state;
    char *old_tz = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
    setenv("TZ", "UTC", 1);
    tzset();
    time_t now = T("2026-12-06T14:00:00Z");
    assert_int_equal(when("today", now), T("2026-12-06T00:00:00Z"));
    assert_int_equal(when("Yesterday", now), T("2026-12-05T00:00:00Z"));
    assert_int_equal(when("tomorrow", now), T("2026-12-07T00:00:00Z"));
    assert_int_equal(when("-2h", now), T("2026-12-06T12:00:00Z"));
    assert_int_equal(when("-1h30m", now), T("2026-12-06T12:30:00Z"));
    assert_int_equal(when("-1d", now), T("2026-12-05T14:00:00Z"));
    assert_int_equal(when("2026-12-01", now), T("2026-12-01T00:00:00Z"));
    assert_int_equal(when("2026-12-01 09:30", now), T("2026-12-01T09:30:00Z"));
    assert_int_equal(when("2026-12-01 09:30:15", now), T("2026-12-01T09:30:15Z"));
    assert_int_equal(when("2026-12-01T09:30:00Z", now), T("2026-12-01T09:30:00Z"));
    static const char *const bad[] = {
        "", "-", "-x", "--2h", "someday", "2026-13-01", "2026-12-01 25:00", "2026-12-01x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        time_t t;
        if (history_parse_when(bad[i], now, &t) == 0)
            fail_msg("'%s' parsed", bad[i]);
    }
    /* Local time, as journalctl: midnight in Berlin is 23:00 UTC the day before. */
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    assert_int_equal(when("today", now), T("2026-12-05T23:00:00Z"));
    assert_int_equal(when("2026-12-01", now), T("2026-11-30T23:00:00Z"));
    if (old_tz) {
        setenv("TZ", old_tz, 1);
        free(old_tz);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void test_until_and_json(void **state)
{
    struct fixture *f = *state;
    static const char *const times[] = {"2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z",
                                        "2026-12-03T09:00:00Z"};
    for (size_t i = 0; i < 3; i++) {
        struct sample s;
        sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com", "Sync \"q\"\n",
                    POLICY_ACCEPT);
        append_at(f->path, &s.d, false, times[i]);
        sample_clear(&s);
    }
    struct history_filter hf = {
        .since = T("2026-12-02T00:00:00Z"), .until = T("2026-12-03T09:00:00Z"), .json = true};
    char *buf = history_filtered(f->path, &hf);
    /* Only the second decision (until is exclusive), as its recorded object on one line. */
    assert_int_equal(count_char(buf, strlen(buf), '\n'), 1);
    assert_true(strncmp(buf, "{\"time\":\"2026-12-02T09:00:00Z\",\"mailbox\":\"room0\"", 46) == 0);
    assert_non_null(strstr(buf, "\"subject\":\"Sync \\\"q\\\"\\n\""));
    free(buf);
}

/* ---- rotation and retention -------------------------------------------------------------- */

/* Appends one decision of subject SUBJECT at WHEN through the open record R. */
static void append_one(struct record *r, const char *subject, const char *when)
{
    struct sample s;
    sample_init(&s, "room0", "room0@contoso.com", "jane@contoso.com", subject, POLICY_ACCEPT);
    assert_int_equal(record_append_at(r, &s.d, false, T(when)), 0);
    sample_clear(&s);
}

/* The number of lines of DIR/NAME, -1 when it does not exist. */
static int lines_of(const struct fixture *f, const char *name)
{
    char *path = xasprintf("%s/%s", f->dir, name);
    int n = -1;
    if (access(path, F_OK) == 0) {
        size_t len;
        char *text = slurp(path, &len);
        n = (int)count_char(text, len, '\n');
        free(text);
    }
    free(path);
    return n;
}

/* The whole --history --json output (caller frees). */
static char *history_json(const struct fixture *f)
{
    struct history_filter hf = {.json = true};
    return history_filtered(f->path, &hf);
}

static void test_rotation(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct record *r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    append_one(r, "a", "2026-12-01T09:00:00Z");
    append_one(r, "b", "2026-12-01T23:59:59Z");
    assert_int_equal(lines_of(f, "decisions-20261201.jsonl"), -1);
    /* A record of the next UTC day starts a new file; the old one keeps its day's name. */
    append_one(r, "c", "2026-12-02T00:00:00Z");
    assert_int_equal(lines_of(f, "decisions-20261201.jsonl"), 2);
    assert_int_equal(lines_of(f, "decisions.jsonl"), 1);
    /* The size bound rotates within a day, without replacing an earlier file of that day. */
    record_set_limits(r, 0, 100);
    append_one(r, "d", "2026-12-02T08:00:00Z");
    append_one(r, "e", "2026-12-02T09:00:00Z");
    assert_int_equal(lines_of(f, "decisions-20261202.jsonl"), 1);
    assert_int_equal(lines_of(f, "decisions-20261202-1.jsonl"), 1);
    assert_int_equal(lines_of(f, "decisions.jsonl"), 1);
    record_close(r);
    /* A new record_open goes on in the current file; the history reads every file in order. */
    r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    append_one(r, "f", "2026-12-02T10:00:00Z");
    record_close(r);
    assert_int_equal(lines_of(f, "decisions.jsonl"), 2);
    char *buf = history_json(f);
    const char *subjects[] = {"a", "b", "c", "d", "e", "f"};
    const char *p = buf;
    for (size_t i = 0; i < 6; i++) {
        char *want = xasprintf("\"subject\":\"%s\"", subjects[i]);
        const char *at = strstr(p, want);
        if (at == NULL)
            fail_msg("%s missing or out of order in:\n%s", want, buf);
        p = at + strlen(want);
        free(want);
    }
    assert_int_equal(count_char(buf, strlen(buf), '\n'), 6);
    free(buf);
}

static void test_retention(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct record *r = record_open(f->path, err, sizeof(err));
    assert_non_null(r);
    record_set_limits(r, 2 * 86400, 0);
    append_one(r, "a", "2026-12-01T10:00:00Z");
    append_one(r, "b", "2026-12-02T10:00:00Z");
    append_one(r, "c", "2026-12-03T10:00:00Z");
    /* Day 1 ended 12-02 00:00, after 12-03 10:00 - 2 days: kept. */
    assert_int_equal(lines_of(f, "decisions-20261201.jsonl"), 1);
    assert_int_equal(lines_of(f, "decisions-20261202.jsonl"), 1);
    stderr_capture(f);
    append_one(r, "d", "2026-12-04T10:00:00Z");
    char *log = stderr_release();
    /* Now day 1 is wholly older than two days: removed, with one line saying so. */
    assert_int_equal(lines_of(f, "decisions-20261201.jsonl"), -1);
    assert_int_equal(lines_of(f, "decisions-20261202.jsonl"), 1);
    assert_int_equal(lines_of(f, "decisions-20261203.jsonl"), 1);
    assert_non_null(strstr(log, "decisions-20261201.jsonl: removed"));
    assert_null(strstr(log, "decisions-20261202.jsonl: removed"));
    free(log);
    /* 0 keeps every file however old. */
    record_set_limits(r, 0, 0);
    append_one(r, "e", "2027-06-01T10:00:00Z");
    assert_int_equal(lines_of(f, "decisions-20261202.jsonl"), 1);
    assert_int_equal(lines_of(f, "decisions-20261204.jsonl"), 1);
    record_close(r);
    char *buf = history_json(f);
    assert_int_equal(count_char(buf, strlen(buf), '\n'), 4);
    assert_null(strstr(buf, "\"subject\":\"a\""));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test(test_line_as_jansson_writes),
        cmocka_unit_test_setup_teardown(test_truncated_repair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_or_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_warning, setup, teardown),
        cmocka_unit_test(test_parse_when),
        cmocka_unit_test_setup_teardown(test_until_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_reasons_text),
        cmocka_unit_test(test_recurrence_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
