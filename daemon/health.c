/*
 * health: fetch meetingd's metrics page and summarise it (see health.h).
 */
#include "health.h"

#include <ev.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

#define MAX_LABELS 4

/* ---- fetching --------------------------------------------------------------------------- */

struct fetch {
    bool done;
    char *page;
    char *err;
    size_t errlen;
};

static void on_fetched(const struct http_response *resp, void *userdata)
{
    struct fetch *f = userdata;
    f->done = true;
    if (resp->result != HTTP_OK)
        snprintf(f->err, f->errlen, "%s", resp->error ? resp->error : "no answer");
    else if (resp->status != 200)
        snprintf(f->err, f->errlen, "HTTP %ld", resp->status);
    else
        f->page = xstrdup(resp->body);
}

char *health_fetch(const char *listen, double timeout_s, char *err, size_t errlen)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct http_client_options opts = {
        .max_concurrent = 1,
        .timeout_s = timeout_s,
        .connect_timeout_s = timeout_s,
        .proxy = "", /* the daemon is on this host: never through a proxy */
    };
    struct http_client *http = loop ? http_client_new(loop, &opts) : NULL;
    struct fetch f = {.err = err, .errlen = errlen};
    char *url = xasprintf("http://%s/metrics", listen);
    struct http_request req = {.url = url};
    snprintf(err, errlen, "cannot create an HTTP client");
    if (http && http_submit(http, &req, on_fetched, &f, NULL) == 0) {
        while (!f.done)
            ev_run(loop, EVRUN_ONCE);
    }
    free(url);
    http_client_free(http);
    if (loop)
        ev_loop_destroy(loop);
    return f.page;
}

/* ---- reading the page ------------------------------------------------------------------- */

struct sample {
    char name[96];
    char keys[MAX_LABELS][32];
    char values[MAX_LABELS][128]; /* unescaped, control characters replaced by '?' */
    size_t n_labels;
    double value;
};

/* Reads one label value after its opening quote; returns the position after the closing
 * quote, or NULL. Over-long values are cut (the summary only prints them). */
static const char *read_label_value(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    for (; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p[1] != '\0') {
            p++;
            c = *p == 'n' ? '\n' : *p;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            c = '?'; /* the page could come from anything listening there: no terminal codes */
        if (n + 1 < cap)
            out[n++] = c;
    }
    out[n] = '\0';
    return *p == '"' ? p + 1 : NULL;
}

/* Parses one sample line "name{k="v",...} value"; false for anything else. */
static bool parse_sample(const char *line, struct sample *s)
{
    memset(s, 0, sizeof(*s));
    size_t n = strcspn(line, "{ ");
    if (n == 0 || n >= sizeof(s->name) || line[0] == '#')
        return false;
    memcpy(s->name, line, n);
    const char *p = line + n;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            if (s->n_labels == MAX_LABELS)
                return false;
            size_t k = strcspn(p, "=");
            if (k == 0 || k >= sizeof(s->keys[0]) || p[k] != '=' || p[k + 1] != '"')
                return false;
            memcpy(s->keys[s->n_labels], p, k);
            p = read_label_value(p + k + 2, s->values[s->n_labels], sizeof(s->values[0]));
            if (p == NULL)
                return false;
            s->n_labels++;
            if (*p == ',')
                p++;
            else if (*p != '}')
                return false;
        }
        p++;
    }
    if (*p != ' ')
        return false;
    char *end;
    s->value = strtod(p + 1, &end);
    return end != p + 1 && (*end == '\0' || *end == '\n' || *end == ' ');
}

static const char *label(const struct sample *s, const char *key)
{
    for (size_t i = 0; i < s->n_labels; i++) {
        if (strcmp(s->keys[i], key) == 0)
            return s->values[i];
    }
    return NULL;
}

/* ---- the summary ------------------------------------------------------------------------ */

struct row {
    char name[128];
    double last_poll, last_good, last_decision, consecutive_failures, decisions, sent;
    char decision[16];
    bool failing;
    bool paused; /* its state cannot be written: it sends nothing (counted as failing) */
};

struct summary {
    bool is_meetingd;
    char version[32];
    double start, mailboxes, failing, queued, in_flight, ews_requests, ews_failed;
    double graph_requests, graph_failed;
    struct row *rows;
    size_t n_rows;
};

static struct row *row_of(struct summary *sum, const char *mailbox)
{
    for (size_t i = 0; i < sum->n_rows; i++) {
        if (strcmp(sum->rows[i].name, mailbox) == 0)
            return &sum->rows[i];
    }
    sum->rows = xreallocarray(sum->rows, sum->n_rows + 1, sizeof(*sum->rows));
    struct row *r = &sum->rows[sum->n_rows++];
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", mailbox);
    return r;
}

/* Files one sample under the summary; samples of other names are not needed here. */
static void take_sample(struct summary *sum, const struct sample *s)
{
    const char *mailbox = label(s, "mailbox");
    const char *n = s->name;
    if (strcmp(n, "meetingd_build_info") == 0) {
        sum->is_meetingd = true;
        const char *version = label(s, "version");
        snprintf(sum->version, sizeof(sum->version), "%s", version ? version : "?");
    } else if (strcmp(n, "meetingd_start_time_seconds") == 0) {
        sum->start = s->value;
    } else if (strcmp(n, "meetingd_mailboxes") == 0) {
        sum->mailboxes = s->value;
    } else if (strcmp(n, "meetingd_mailboxes_failing") == 0) {
        sum->failing = s->value;
    } else if (strcmp(n, "meetingd_ews_requests_queued") == 0) {
        sum->queued = s->value;
    } else if (strcmp(n, "meetingd_ews_requests_in_flight") == 0) {
        sum->in_flight = s->value;
    } else if (strcmp(n, "meetingd_ews_requests_total") == 0) {
        sum->ews_requests += s->value;
        if (label(s, "outcome") && strcmp(label(s, "outcome"), "ok") != 0)
            sum->ews_failed += s->value;
    } else if (strcmp(n, "meetingd_graph_requests_total") == 0) {
        sum->graph_requests += s->value;
        if (label(s, "outcome") && strcmp(label(s, "outcome"), "ok") != 0)
            sum->graph_failed += s->value;
    } else if (mailbox == NULL) {
        return;
    } else if (strcmp(n, "meetingd_mailbox_failing") == 0) {
        row_of(sum, mailbox)->failing |= s->value > 0;
    } else if (strcmp(n, "meetingd_mailbox_paused") == 0) {
        row_of(sum, mailbox)->paused = s->value > 0;
        row_of(sum, mailbox)->failing |= s->value > 0;
    } else if (strcmp(n, "meetingd_mailbox_consecutive_failures") == 0) {
        row_of(sum, mailbox)->consecutive_failures = s->value;
    } else if (strcmp(n, "meetingd_last_poll_timestamp_seconds") == 0) {
        row_of(sum, mailbox)->last_poll = s->value;
    } else if (strcmp(n, "meetingd_last_successful_poll_timestamp_seconds") == 0) {
        row_of(sum, mailbox)->last_good = s->value;
    } else if (strcmp(n, "meetingd_decisions_total") == 0) {
        row_of(sum, mailbox)->decisions += s->value;
    } else if (strcmp(n, "meetingd_answers_sent_total") == 0) {
        row_of(sum, mailbox)->sent += s->value;
    } else if (strcmp(n, "meetingd_last_decision_timestamp_seconds") == 0) {
        struct row *r = row_of(sum, mailbox);
        r->last_decision = s->value;
        const char *decision = label(s, "decision");
        snprintf(r->decision, sizeof(r->decision), "%s", decision ? decision : "?");
    }
}

/* "12s ago", "3m 05s ago", "2h 10m ago", "4d 3h ago"; "never" for 0. */
static void format_age(double t, time_t now, char *out, size_t outlen)
{
    if (t <= 0) {
        snprintf(out, outlen, "never");
        return;
    }
    /* The page is outside input: clamp before converting (an out-of-range conversion of a
     * double to an integer is undefined). */
    double d = (double)now - t;
    long s = d < 0 ? 0 : d > 1e9 ? 1000000000L : (long)llround(d);
    if (s < 60)
        snprintf(out, outlen, "%lds ago", s);
    else if (s < 3600)
        snprintf(out, outlen, "%ldm %02lds ago", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, outlen, "%ldh %02ldm ago", s / 3600, s / 60 % 60);
    else
        snprintf(out, outlen, "%ldd %ldh ago", s / 86400, s / 3600 % 24);
}

static int failing_first(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->failing != y->failing)
        return x->failing ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void print_row(const struct row *r, time_t now, FILE *out)
{
    char poll[32], good[32], last[64];
    format_age(r->last_poll, now, poll, sizeof(poll));
    format_age(r->last_good, now, good, sizeof(good));
    if (r->last_decision > 0) {
        char age[32];
        format_age(r->last_decision, now, age, sizeof(age));
        snprintf(last, sizeof(last), "%s %s", r->decision, age);
    } else {
        snprintf(last, sizeof(last), "-");
    }
    fprintf(out, "%-20s %-13s %-13s %9.0f %5.0f  %-22s ", r->name, poll, good, r->decisions,
            r->sent, last);
    if (r->paused)
        fprintf(out, "PAUSED (its state cannot be written; nothing is sent)\n");
    else if (r->failing)
        fprintf(out, "FAILING (%.0f failed polls in a row)\n", r->consecutive_failures);
    else
        fprintf(out, "%s\n", r->last_poll > 0 ? "ok" : "starting");
}

int health_report(const char *page, time_t now, FILE *out)
{
    struct summary sum = {0};
    for (const char *line = page; line && *line;) {
        struct sample s;
        if (parse_sample(line, &s))
            take_sample(&sum, &s);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!sum.is_meetingd) {
        free(sum.rows);
        return -1;
    }
    char up[32], since[21];
    format_age(sum.start, now, up, sizeof(up));
    util_format_time_utc(sum.start > 0 && sum.start < 253402300800.0 ? (time_t)sum.start : 0,
                         since);
    char *ago = strstr(up, " ago");
    if (ago)
        *ago = '\0'; /* "2h 10m ago" -> "2h 10m" */
    fprintf(out, "meetingd %s, up %s (since %s): %.0f mailbox(es), %.0f failing\n", sum.version, up,
            since, sum.mailboxes, sum.failing);
    fprintf(out, "EWS requests: %.0f, %.0f failed; %.0f queued, %.0f in flight\n",
            sum.ews_requests, sum.ews_failed, sum.queued, sum.in_flight);
    if (sum.graph_requests > 0)
        fprintf(out, "Graph requests: %.0f, %.0f failed or throttled\n", sum.graph_requests,
                sum.graph_failed);
    fputc('\n', out);
    fprintf(out, "%-20s %-13s %-13s %9s %5s  %-22s %s\n", "MAILBOX", "LAST POLL", "LAST GOOD",
            "DECISIONS", "SENT", "LAST DECISION", "STATE");
    qsort(sum.rows, sum.n_rows, sizeof(*sum.rows), failing_first);
    size_t shown = 0;
    for (; shown < sum.n_rows; shown++) {
        if (shown >= HEALTH_MAX_ROWS && !sum.rows[shown].failing)
            break;
        print_row(&sum.rows[shown], now, out);
    }
    if (shown < sum.n_rows)
        fprintf(out, "... and %zu more mailbox(es), none failing\n", sum.n_rows - shown);
    bool failing = false;
    for (size_t i = 0; i < sum.n_rows; i++)
        failing |= sum.rows[i].failing;
    free(sum.rows);
    return failing ? HEALTH_FAILING : HEALTH_OK;
}
