/*
 * metrics: the registry behind meetingd's Prometheus exposition (see metrics.h).
 */
#include "metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define N_DECISIONS (POLICY_IGNORE + 1)
#define N_CALL_STATUSES (EWS_CALL_MALFORMED + 1)
#define MAX_OUTCOMES N_CALL_STATUSES /* the most any protocol's table names */

/* EWS round trips take tens of milliseconds on a LAN and up to the configured timeout (60 s by
 * default) on a struggling server; the buckets cover that range. */
static const double latency_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define N_BUCKETS (sizeof(latency_buckets) / sizeof(latency_buckets[0]))

/* The causes are the backend's failure statuses (backend.h), named for the operator. */
enum backoff_cause {
    CAUSE_SERVER_BUSY,
    CAUSE_AUTH,
    CAUSE_TRANSPORT,
    CAUSE_SERVER_UNAVAILABLE,
    CAUSE_TRY_LATER,
    CAUSE_ACCOUNT,
    CAUSE_FAILED,
    N_CAUSES
};
static const char *const cause_names[N_CAUSES] = {
    "server-busy", "auth", "transport", "server-unavailable", "try-later", "account", "failed",
};

struct mailbox_metrics {
    char *name;
    uint64_t polls_ok, polls_failed;
    unsigned consecutive_failures;
    time_t last_poll, last_success;
    uint64_t decisions[N_DECISIONS];
    uint64_t sent[N_DECISIONS];
    uint64_t answers_failed;
    time_t last_decision_time; /* 0: none yet */
    enum policy_decision last_decision;
    uint64_t backoffs[N_CAUSES];
    bool paused; /* its state (ledger, decision record) cannot be written: nothing is sent */
};

struct operation_metrics {
    char *name;
    uint64_t by_outcome[MAX_OUTCOMES];
    uint64_t buckets[N_BUCKETS]; /* not cumulative; summed when rendered */
    uint64_t count;
    double sum;
};

/* The requests of one protocol, by operation: counts by outcome, and latencies. */
struct request_table {
    const char *prefix;          /* of the metric names: "meetingd_ews" */
    const char *protocol;        /* for the help texts: "EWS" */
    const char *const *outcomes; /* outcome names by index */
    size_t n_outcomes;
    struct operation_metrics *v;
    size_t n;
};

/* EWS outcomes are named by ews_call_status_str(), filled in by metrics_init(). */
static const char *ews_outcomes[N_CALL_STATUSES];

/* Graph answers with an HTTP status alone: 2xx, throttled (429), refused credentials (401,
 * 403), another status, or no answer at all. */
enum graph_outcome { GRAPH_OK, GRAPH_THROTTLED, GRAPH_AUTH, GRAPH_HTTP, GRAPH_TRANSPORT, N_GRAPH };
static const char *const graph_outcomes[N_GRAPH] = {"ok", "throttled", "authentication-failed",
                                                    "http-error", "transport-error"};

static struct registry {
    bool on;
    time_t start;
    struct mailbox_metrics **mailboxes; /* in the order they started, until one is removed */
    size_t n_mailboxes;
    size_t *index; /* open addressing over mailbox names: position + 1, 0 = empty */
    size_t index_cap;
    struct request_table ews, graph;
    size_t queued, in_flight;
    size_t last_page; /* length of the last rendered page */
} reg;

/* ---- mailbox lookup --------------------------------------------------------------------- */

/* FNV-1a: a thousand mailboxes are looked up on every poll, a linear search would not do. */
static size_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static void index_rebuild(void)
{
    size_t cap = 64;
    while (cap < reg.n_mailboxes * 2)
        cap *= 2;
    free(reg.index);
    reg.index = xcalloc(cap, sizeof(*reg.index));
    reg.index_cap = cap;
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        size_t slot = name_hash(reg.mailboxes[i]->name) & (cap - 1);
        while (reg.index[slot] != 0)
            slot = (slot + 1) & (cap - 1);
        reg.index[slot] = i + 1;
    }
}

/* The position of MAILBOX in reg.mailboxes, or SIZE_MAX. */
static size_t mailbox_position(const char *mailbox)
{
    if (reg.index_cap == 0)
        return SIZE_MAX;
    size_t slot = name_hash(mailbox) & (reg.index_cap - 1);
    while (reg.index[slot] != 0) {
        size_t pos = reg.index[slot] - 1;
        if (strcmp(reg.mailboxes[pos]->name, mailbox) == 0)
            return pos;
        slot = (slot + 1) & (reg.index_cap - 1);
    }
    return SIZE_MAX;
}

static struct mailbox_metrics *find_mailbox(const char *mailbox)
{
    size_t pos = reg.on && mailbox ? mailbox_position(mailbox) : SIZE_MAX;
    return pos == SIZE_MAX ? NULL : reg.mailboxes[pos];
}

/* ---- life cycle ------------------------------------------------------------------------- */

void metrics_free(void)
{
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        free(reg.mailboxes[i]->name);
        free(reg.mailboxes[i]);
    }
    free(reg.mailboxes);
    free(reg.index);
    struct request_table *tables[] = {&reg.ews, &reg.graph};
    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < tables[t]->n; i++)
            free(tables[t]->v[i].name);
        free(tables[t]->v);
    }
    memset(&reg, 0, sizeof(reg));
}

static void tables_init(void)
{
    for (int s = 0; s < N_CALL_STATUSES; s++)
        ews_outcomes[s] = ews_call_status_str((enum ews_call_status)s);
    reg.ews = (struct request_table){.prefix = "meetingd_ews",
                                     .protocol = "EWS",
                                     .outcomes = ews_outcomes,
                                     .n_outcomes = N_CALL_STATUSES};
    reg.graph = (struct request_table){.prefix = "meetingd_graph",
                                       .protocol = "Microsoft Graph",
                                       .outcomes = graph_outcomes,
                                       .n_outcomes = N_GRAPH};
}

void metrics_init(time_t start)
{
    metrics_free();
    reg.on = true;
    reg.start = start;
    tables_init();
    index_rebuild();
}

void metrics_mailbox_add(const char *mailbox)
{
    if (!reg.on || mailbox == NULL || mailbox_position(mailbox) != SIZE_MAX)
        return;
    struct mailbox_metrics *mm = xcalloc(1, sizeof(*mm));
    mm->name = xstrdup(mailbox);
    reg.mailboxes = xreallocarray(reg.mailboxes, reg.n_mailboxes + 1, sizeof(*reg.mailboxes));
    reg.mailboxes[reg.n_mailboxes++] = mm;
    if (reg.n_mailboxes * 2 > reg.index_cap) {
        index_rebuild();
        return;
    }
    size_t slot = name_hash(mailbox) & (reg.index_cap - 1);
    while (reg.index[slot] != 0)
        slot = (slot + 1) & (reg.index_cap - 1);
    reg.index[slot] = reg.n_mailboxes;
}

/* The index slot holding position POS. */
static size_t slot_of_position(size_t pos)
{
    size_t slot = name_hash(reg.mailboxes[pos]->name) & (reg.index_cap - 1);
    while (reg.index[slot] != pos + 1)
        slot = (slot + 1) & (reg.index_cap - 1);
    return slot;
}

/* Empties SLOT, moving later entries of its probe run back so that every one stays reachable
 * (deletion in linear probing without tombstones). */
static void index_delete(size_t slot)
{
    size_t mask = reg.index_cap - 1, hole = slot;
    reg.index[hole] = 0;
    for (size_t i = (hole + 1) & mask; reg.index[i] != 0; i = (i + 1) & mask) {
        size_t home = name_hash(reg.mailboxes[reg.index[i] - 1]->name) & mask;
        /* The entry may fill the hole when its home is not cyclically in (hole, i]. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            reg.index[hole] = reg.index[i];
            reg.index[i] = 0;
            hole = i;
        }
    }
}

/* The last mailbox takes the removed one's place: a reload that removes thousands of
 * mailboxes costs time linear in their number, not a rebuild of the index for each. */
void metrics_mailbox_remove(const char *mailbox)
{
    size_t pos = reg.on && mailbox ? mailbox_position(mailbox) : SIZE_MAX;
    if (pos == SIZE_MAX)
        return;
    size_t last = reg.n_mailboxes - 1;
    index_delete(slot_of_position(pos));
    if (pos != last)
        reg.index[slot_of_position(last)] = pos + 1;
    free(reg.mailboxes[pos]->name);
    free(reg.mailboxes[pos]);
    reg.mailboxes[pos] = reg.mailboxes[last];
    reg.n_mailboxes--;
}

/* ---- hooks ------------------------------------------------------------------------------ */

void metrics_decision(const char *mailbox, enum policy_decision decision, const char *outcome,
                      time_t when)
{
    struct mailbox_metrics *mm = find_mailbox(mailbox);
    if (mm == NULL || (unsigned)decision >= N_DECISIONS)
        return;
    mm->decisions[decision]++;
    if (outcome && strcmp(outcome, "sent") == 0)
        mm->sent[decision]++;
    else if (outcome && strncmp(outcome, "failed", 6) == 0)
        mm->answers_failed++;
    mm->last_decision = decision;
    mm->last_decision_time = when;
}

void metrics_answer_settled(const char *mailbox, enum policy_decision decision)
{
    struct mailbox_metrics *mm = find_mailbox(mailbox);
    if (mm != NULL && (unsigned)decision < N_DECISIONS)
        mm->sent[decision]++;
}

void metrics_paused(const char *mailbox, bool paused)
{
    struct mailbox_metrics *mm = find_mailbox(mailbox);
    if (mm != NULL)
        mm->paused = paused;
}

void metrics_poll(const char *mailbox, bool ok, unsigned consecutive_failures, time_t when)
{
    struct mailbox_metrics *mm = find_mailbox(mailbox);
    if (mm == NULL)
        return;
    if (ok) {
        mm->polls_ok++;
        mm->last_success = when;
    } else {
        mm->polls_failed++;
    }
    mm->last_poll = when;
    mm->consecutive_failures = consecutive_failures;
}

const char *metrics_backoff_cause(const struct backend_result *res)
{
    enum backoff_cause c = CAUSE_FAILED;
    if (res->status == BACKEND_BUSY || res->retry_ms > 0)
        c = CAUSE_SERVER_BUSY;
    else if (res->status == BACKEND_AUTH)
        c = CAUSE_AUTH;
    else if (res->status == BACKEND_TRANSPORT)
        c = CAUSE_TRANSPORT;
    else if (res->status == BACKEND_SERVER)
        c = CAUSE_SERVER_UNAVAILABLE;
    else if (res->status == BACKEND_TRY_LATER)
        c = CAUSE_TRY_LATER;
    else if (res->status == BACKEND_ACCOUNT)
        c = CAUSE_ACCOUNT;
    return cause_names[c];
}

void metrics_backoff(const char *mailbox, const struct backend_result *res)
{
    struct mailbox_metrics *mm = find_mailbox(mailbox);
    if (mm == NULL || res == NULL)
        return;
    const char *cause = metrics_backoff_cause(res);
    for (size_t c = 0; c < N_CAUSES; c++) {
        if (cause_names[c] == cause)
            mm->backoffs[c]++;
    }
}

static void count_request(struct request_table *t, const char *operation, unsigned outcome,
                          double seconds)
{
    if (!reg.on || operation == NULL || outcome >= t->n_outcomes)
        return;
    struct operation_metrics *op = NULL;
    for (size_t i = 0; i < t->n && op == NULL; i++) {
        if (strcmp(t->v[i].name, operation) == 0)
            op = &t->v[i];
    }
    if (op == NULL) {
        t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
        op = &t->v[t->n++];
        memset(op, 0, sizeof(*op));
        op->name = xstrdup(operation);
    }
    op->by_outcome[outcome]++;
    if (seconds < 0)
        seconds = 0;
    op->count++;
    op->sum += seconds;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        if (seconds <= latency_buckets[b]) {
            op->buckets[b]++;
            break;
        }
    }
}

void metrics_ews_request(const char *operation, enum ews_call_status status, double seconds)
{
    count_request(&reg.ews, operation, (unsigned)status, seconds);
}

void metrics_graph_request(const char *operation, bool answered, long http_status, double seconds)
{
    enum graph_outcome outcome = GRAPH_TRANSPORT;
    if (answered && http_status >= 200 && http_status < 300)
        outcome = GRAPH_OK;
    else if (answered && http_status == 429)
        outcome = GRAPH_THROTTLED;
    else if (answered && (http_status == 401 || http_status == 403))
        outcome = GRAPH_AUTH;
    else if (answered)
        outcome = GRAPH_HTTP;
    count_request(&reg.graph, operation, outcome, seconds);
}

void metrics_set_queue(size_t queued, size_t in_flight)
{
    reg.queued = queued;
    reg.in_flight = in_flight;
}

/* ---- rendering -------------------------------------------------------------------------- */

/* A label value as the exposition format wants it: backslash, double quote and newline
 * escaped. Mailbox names come from the configuration, operation names from the code. */
static void put_label(FILE *out, const char *name, const char *value)
{
    fputs(name, out);
    fputs("=\"", out);
    for (const char *p = value; *p;) {
        size_t plain = strcspn(p, "\\\"\n");
        fwrite(p, 1, plain, out);
        p += plain;
        if (*p == '\0')
            break;
        fputs(*p == '\n' ? "\\n" : *p == '"' ? "\\\"" : "\\\\", out);
        p++;
    }
    fputc('"', out);
}

static void put_header(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{mailbox="..."[,LABEL="VALUE"]} */
static void put_mailbox_series(FILE *out, const char *name, const struct mailbox_metrics *mm,
                               const char *label, const char *value)
{
    fprintf(out, "%s{", name);
    put_label(out, "mailbox", mm->name);
    if (label) {
        fputc(',', out);
        put_label(out, label, value);
    }
    fputs("} ", out);
}

static void render_polls(FILE *out)
{
    put_header(out, "meetingd_mailbox_failing", "gauge",
               "1 while the mailbox's polls fail and it backs off.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        put_mailbox_series(out, "meetingd_mailbox_failing", reg.mailboxes[i], NULL, NULL);
        fprintf(out, "%d\n", reg.mailboxes[i]->consecutive_failures > 0);
    }
    put_header(out, "meetingd_mailbox_paused", "gauge",
               "1 while the mailbox sends nothing because its state cannot be written.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        put_mailbox_series(out, "meetingd_mailbox_paused", reg.mailboxes[i], NULL, NULL);
        fprintf(out, "%d\n", reg.mailboxes[i]->paused);
    }
    put_header(out, "meetingd_mailbox_consecutive_failures", "gauge",
               "Failed polls of the mailbox in a row.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        put_mailbox_series(out, "meetingd_mailbox_consecutive_failures", reg.mailboxes[i], NULL,
                           NULL);
        fprintf(out, "%u\n", reg.mailboxes[i]->consecutive_failures);
    }
    put_header(out, "meetingd_polls_total", "counter", "Polls of the mailbox by outcome.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        const struct mailbox_metrics *mm = reg.mailboxes[i];
        put_mailbox_series(out, "meetingd_polls_total", mm, "outcome", "ok");
        fprintf(out, "%llu\n", (unsigned long long)mm->polls_ok);
        put_mailbox_series(out, "meetingd_polls_total", mm, "outcome", "failed");
        fprintf(out, "%llu\n", (unsigned long long)mm->polls_failed);
    }
    put_header(out, "meetingd_last_poll_timestamp_seconds", "gauge",
               "When the mailbox's last poll ended, whatever its outcome.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        if (reg.mailboxes[i]->last_poll == 0)
            continue;
        put_mailbox_series(out, "meetingd_last_poll_timestamp_seconds", reg.mailboxes[i], NULL,
                           NULL);
        fprintf(out, "%lld\n", (long long)reg.mailboxes[i]->last_poll);
    }
    put_header(out, "meetingd_last_successful_poll_timestamp_seconds", "gauge",
               "When the mailbox's last successful poll ended.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        if (reg.mailboxes[i]->last_success == 0)
            continue;
        put_mailbox_series(out, "meetingd_last_successful_poll_timestamp_seconds", reg.mailboxes[i],
                           NULL, NULL);
        fprintf(out, "%lld\n", (long long)reg.mailboxes[i]->last_success);
    }
    put_header(out, "meetingd_backoffs_total", "counter",
               "Polls retried after a back-off, by the failure that caused it.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        for (size_t c = 0; c < N_CAUSES; c++) {
            if (reg.mailboxes[i]->backoffs[c] == 0)
                continue;
            put_mailbox_series(out, "meetingd_backoffs_total", reg.mailboxes[i], "cause",
                               cause_names[c]);
            fprintf(out, "%llu\n", (unsigned long long)reg.mailboxes[i]->backoffs[c]);
        }
    }
}

/* One counter per mailbox and decision kind; every kind is written, zeros included, so that
 * rate() and increase() see a series from its first increment on. */
static void render_by_decision(FILE *out, const char *name, const char *label, bool sent)
{
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        const struct mailbox_metrics *mm = reg.mailboxes[i];
        const uint64_t *counts = sent ? mm->sent : mm->decisions;
        for (int d = 0; d < N_DECISIONS; d++) {
            put_mailbox_series(out, name, mm, label, policy_decision_name(d));
            fprintf(out, "%llu\n", (unsigned long long)counts[d]);
        }
    }
}

static void render_decisions(FILE *out)
{
    put_header(out, "meetingd_decisions_total", "counter",
               "Decisions the policy took, by mailbox and kind (dry runs included).");
    render_by_decision(out, "meetingd_decisions_total", "decision", false);
    put_header(out, "meetingd_answers_sent_total", "counter",
               "Answers the server accepted, by mailbox and response.");
    render_by_decision(out, "meetingd_answers_sent_total", "response", true);
    put_header(out, "meetingd_answers_failed_total", "counter",
               "Answers that failed and wait for the next poll.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        put_mailbox_series(out, "meetingd_answers_failed_total", reg.mailboxes[i], NULL, NULL);
        fprintf(out, "%llu\n", (unsigned long long)reg.mailboxes[i]->answers_failed);
    }
    put_header(out, "meetingd_last_decision_timestamp_seconds", "gauge",
               "When the mailbox's latest decision was taken; its kind in the label.");
    for (size_t i = 0; i < reg.n_mailboxes; i++) {
        const struct mailbox_metrics *mm = reg.mailboxes[i];
        if (mm->last_decision_time == 0)
            continue;
        put_mailbox_series(out, "meetingd_last_decision_timestamp_seconds", mm, "decision",
                           policy_decision_name(mm->last_decision));
        fprintf(out, "%lld\n", (long long)mm->last_decision_time);
    }
}

/* A metric name of table T: its prefix and SUFFIX. */
static const char *table_name(const struct request_table *t, const char *suffix, char *buf,
                              size_t len)
{
    snprintf(buf, len, "%s%s", t->prefix, suffix);
    return buf;
}

static void render_requests(FILE *out, const struct request_table *t)
{
    char name[64], help[128];
    table_name(t, "_requests_total", name, sizeof(name));
    snprintf(help, sizeof(help), "%s requests by operation and outcome.", t->protocol);
    put_header(out, name, "counter", help);
    for (size_t i = 0; i < t->n; i++) {
        const struct operation_metrics *op = &t->v[i];
        for (size_t s = 0; s < t->n_outcomes; s++) {
            if (op->by_outcome[s] == 0)
                continue;
            fprintf(out, "%s{", name);
            put_label(out, "operation", op->name);
            fprintf(out, ",outcome=\"%s\"} %llu\n", t->outcomes[s],
                    (unsigned long long)op->by_outcome[s]);
        }
    }
    table_name(t, "_request_duration_seconds", name, sizeof(name));
    snprintf(help, sizeof(help),
             "Time from submitting an %s request to its answer, queueing included.", t->protocol);
    put_header(out, name, "histogram", help);
    for (size_t i = 0; i < t->n; i++) {
        const struct operation_metrics *op = &t->v[i];
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            fprintf(out, "%s_bucket{", name);
            put_label(out, "operation", op->name);
            if (b < N_BUCKETS) {
                cumulative += op->buckets[b];
                fprintf(out, ",le=\"%g\"} %llu\n", latency_buckets[b],
                        (unsigned long long)cumulative);
            } else {
                fprintf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)op->count);
            }
        }
        fprintf(out, "%s_sum{", name);
        put_label(out, "operation", op->name);
        fprintf(out, "} %.6f\n%s_count{", op->sum, name);
        put_label(out, "operation", op->name);
        fprintf(out, "} %llu\n", (unsigned long long)op->count);
    }
}

static void render_ews(FILE *out)
{
    render_requests(out, &reg.ews);
    put_header(out, "meetingd_ews_requests_queued", "gauge",
               "EWS requests waiting for a free connection slot.");
    fprintf(out, "meetingd_ews_requests_queued %zu\n", reg.queued);
    put_header(out, "meetingd_ews_requests_in_flight", "gauge", "EWS requests on the wire.");
    fprintf(out, "meetingd_ews_requests_in_flight %zu\n", reg.in_flight);
    render_requests(out, &reg.graph);
}

static void render_all(FILE *out)
{
    unsigned failing = 0;
    for (size_t i = 0; i < reg.n_mailboxes; i++)
        failing += reg.mailboxes[i]->consecutive_failures > 0;
    put_header(out, "meetingd_build_info", "gauge", "meetingd's version, always 1.");
    fprintf(out, "meetingd_build_info{version=\"%s\"} 1\n", MEETINGD_VERSION);
    put_header(out, "meetingd_start_time_seconds", "gauge", "When meetingd started.");
    fprintf(out, "meetingd_start_time_seconds %lld\n", (long long)reg.start);
    put_header(out, "meetingd_mailboxes", "gauge", "Mailboxes meetingd runs.");
    fprintf(out, "meetingd_mailboxes %zu\n", reg.n_mailboxes);
    put_header(out, "meetingd_mailboxes_failing", "gauge",
               "Mailboxes whose polls fail (in back-off).");
    fprintf(out, "meetingd_mailboxes_failing %u\n", failing);
    render_polls(out);
    render_decisions(out);
    render_ews(out);
}

/* The page is written into a buffer of the last page's size plus room (fmemopen): a growing
 * memory stream spends most of a thousand-mailbox scrape on reallocating. Should the page
 * not fit, it is written again into one twice as large. */
char *metrics_render(void)
{
    if (!reg.on)
        return NULL;
    size_t cap = reg.last_page + reg.last_page / 4 + 65536;
    for (;;) {
        char *text = xmalloc(cap);
        FILE *out = fmemopen(text, cap, "w");
        if (out == NULL) {
            free(text);
            return NULL;
        }
        render_all(out);
        long len = ftell(out);
        bool fits = !ferror(out) && len >= 0 && (size_t)len < cap - 1;
        fclose(out);
        if (fits) {
            text[len] = '\0';
            reg.last_page = (size_t)len;
            return text;
        }
        free(text);
        cap *= 2;
    }
}
