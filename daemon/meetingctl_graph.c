/*
 * meetingctl_graph: meetingctl on Microsoft Graph (see meetingctl_graph.h).
 */
#include "meetingctl_graph.h"

#include <ev.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_build.h"
#include "graph_client.h"
#include "http.h"
#include "jsonval.h"
#include "oauth2.h"
#include "util.h"

#define EX_USAGE_CODE 64

struct gctl {
    const struct conf *conf;
    const char *as;
    bool json;
    struct ev_loop *loop;
    struct http_client *http;
};

/* One answer, waited for. */
struct reply {
    bool done;
    long status;
    json_t *body; /* NULL when empty or not JSON */
    char error[256];
};

static int fail(const char *fmt, ...) UTIL_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "meetingctl: %s\n", msg);
    return EXIT_FAILURE;
}

static void on_reply(const struct graph_call_result *res, void *userdata)
{
    struct reply *r = userdata;
    r->done = true;
    r->status = res->http_result == HTTP_OK ? res->status : 0;
    if (res->error)
        snprintf(r->error, sizeof(r->error), "%s", res->error);
    if (res->body_len > 0)
        r->body = json_loadb(res->body, res->body_len, JSON_REJECT_DUPLICATES, NULL);
}

/* Sends METHOD to PATH (under /users/{as}, or a full URL) with BODY (taken); 0 when the
 * answer is 2xx, else the error is printed. The caller json_decref()s r->body. */
static int request(struct gctl *c, const char *method, const char *path, char *body,
                   struct reply *r)
{
    memset(r, 0, sizeof(*r));
    char *url;
    if (strncmp(path, "http", 4) == 0) {
        url = xstrdup(path);
    } else {
        char *who = graph_escape_segment(c->as);
        url = xasprintf("%s/users/%s%s", c->conf->server.graph_url, who, path);
        free(who);
    }
    if (graph_call_take(c->http, &c->conf->server.oauth2, method, url, body, on_reply, r, NULL) !=
        0)
        return fail("%s %s: the request could not be submitted", method, path), -1;
    while (!r->done)
        ev_run(c->loop, EVRUN_ONCE);
    if (r->status >= 200 && r->status < 300)
        return 0;
    const json_t *e = json_object_get(r->body, "error");
    fail("%s %s failed: %s%ld %s%s%s", method, path, r->status ? "HTTP " : "", r->status,
         r->status ? json_string_value(json_object_get(e, "code")) ?: "" : r->error, e ? ": " : "",
         e ? json_string_value(json_object_get(e, "message")) ?: "" : "");
    json_decref(r->body);
    r->body = NULL;
    return -1;
}

static const char *str_at(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static json_t *attendee_new(const char *address, const char *type)
{
    return json_pack("{s:s, s:{s:s}}", "type", type, "emailAddress", "address", address);
}

/* Appends the comma-separated addresses of LIST as attendees of TYPE. */
static void add_attendees(json_t *attendees, const char *list, const char *type)
{
    char *copy = xstrdup(list);
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
        json_array_append_new(attendees, attendee_new(t, type));
    free(copy);
}

/* A dateTimeTimeZone in UTC from an ISO 8601 argument; NULL (printed) when it is not one. */
static json_t *time_arg(const char *name, const char *s, time_t *out)
{
    char buf[21];
    if (util_parse_time(s, out) != 0)
        return fail("%s: not an ISO 8601 time: %s", name, s), NULL;
    util_format_time_utc(*out, buf);
    buf[19] = '\0';
    return json_pack("{s:s, s:s}", "dateTime", buf, "timeZone", "UTC");
}

/* --recurrence daily:N | weekly:N (N occurrences from the start's day). */
static json_t *recurrence_arg(const char *s, time_t start)
{
    char kind[16];
    int n = 0;
    if (sscanf(s, "%15[a-z]:%d", kind, &n) != 2 || n < 1 ||
        (strcmp(kind, "daily") != 0 && strcmp(kind, "weekly") != 0))
        return fail("--recurrence: want daily:N or weekly:N, not %s", s), NULL;
    static const char *const days[] = {"sunday",   "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
    struct tm tm;
    gmtime_r(&start, &tm);
    char date[11];
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    json_t *pattern = json_pack("{s:s, s:i}", "type", kind, "interval", 1);
    if (strcmp(kind, "weekly") == 0)
        json_object_set_new(pattern, "daysOfWeek", json_pack("[s]", days[tm.tm_wday]));
    return json_pack("{s:o, s:{s:s, s:s, s:i}}", "pattern", pattern, "range", "type", "numbered",
                     "startDate", date, "numberOfOccurrences", n);
}

/* ---- create and update -------------------------------------------------------------------- */

static const struct option meeting_opts[] = {
    {"subject", required_argument, NULL, 's'},      {"start", required_argument, NULL, 'S'},
    {"end", required_argument, NULL, 'E'},          {"location", required_argument, NULL, 'l'},
    {"body", required_argument, NULL, 'b'},         {"required", required_argument, NULL, 'r'},
    {"optional", required_argument, NULL, 'o'},     {"resource", required_argument, NULL, 'R'},
    {"recurrence", required_argument, NULL, 'P'},   {"set-required", required_argument, NULL, 'q'},
    {"add-optional", required_argument, NULL, 'O'}, {"add-resource", required_argument, NULL, 'A'},
    {"remove", required_argument, NULL, 'x'},       {NULL, 0, NULL, 0}};

/* What create and update were told: the event's members, and attendee changes. */
struct meeting_args {
    json_t *event;
    time_t start;
    const char *recurrence;
    const char *set_required, *add_optional, *add_resource, *remove;
};

static int parse_meeting(int argc, char **argv, bool create, struct meeting_args *a)
{
    json_t *ev = a->event = json_object(), *att = json_array(), *t;
    time_t end = 0;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", meeting_opts, NULL)) != -1) {
        switch (o) {
        case 's':
            json_object_set_new(ev, "subject", json_string(optarg));
            break;
        case 'S':
        case 'E':
            if ((t = time_arg(o == 'S' ? "--start" : "--end", optarg,
                              o == 'S' ? &a->start : &end)) == NULL)
                return json_decref(att), EXIT_FAILURE;
            json_object_set_new(ev, o == 'S' ? "start" : "end", t);
            break;
        case 'l':
            json_object_set_new(ev, "location", json_pack("{s:s}", "displayName", optarg));
            break;
        case 'b':
            json_object_set_new(ev, "body",
                                json_pack("{s:s,s:s}", "contentType", "text", "content", optarg));
            break;
        case 'r':
        case 'o':
        case 'R':
            add_attendees(att, optarg, o == 'r' ? "required" : o == 'o' ? "optional" : "resource");
            break;
        case 'P':
            a->recurrence = optarg;
            break;
        case 'q':
            a->set_required = optarg;
            break;
        case 'O':
            a->add_optional = optarg;
            break;
        case 'A':
            a->add_resource = optarg;
            break;
        case 'x':
            a->remove = optarg;
            break;
        default:
            json_decref(att);
            return EX_USAGE_CODE;
        }
    }
    if (create && (!json_object_get(ev, "subject") || !a->start || !end)) {
        json_decref(att);
        return fail("create needs --subject, --start and --end"), EX_USAGE_CODE;
    }
    if (a->start && end && end <= a->start) {
        json_decref(att);
        return fail("--end must be after --start");
    }
    json_object_set_new(ev, "attendees", att);
    return 0;
}

static int cmd_create(struct gctl *c, int argc, char **argv)
{
    struct meeting_args a = {0};
    int rc = parse_meeting(argc, argv, true, &a);
    if (rc == 0 && a.recurrence) {
        json_t *rec = recurrence_arg(a.recurrence, a.start);
        rc = rec ? 0 : EX_USAGE_CODE;
        json_object_set_new(a.event, "recurrence", rec);
    }
    struct reply r;
    if (rc == 0 && request(c, "POST", "/events", json_dumps(a.event, JSON_COMPACT), &r) != 0)
        rc = EXIT_FAILURE;
    json_decref(a.event);
    if (rc != 0)
        return rc;
    if (c->json) {
        jsonval_print_take(
            json_pack("{s:s, s:s}", "id", str_at(r.body, "id"), "uid", str_at(r.body, "iCalUId")),
            stdout);
        fputc('\n', stdout);
    } else {
        printf("%s\n", str_at(r.body, "id"));
    }
    json_decref(r.body);
    return EXIT_SUCCESS;
}

/* Whether ADDRESS is in the comma-separated LIST. */
static bool listed(const char *list, const char *address)
{
    struct strlist l = {0};
    char *copy = xstrdup(list ? list : "");
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
        strlist_add(&l, t);
    bool found = strlist_contains_ci(&l, address);
    strlist_free(&l);
    free(copy);
    return found;
}

/* The attendees after the update: the current ones (required ones replaced when
 * --set-required is given, --remove left out), then those added. */
static json_t *updated_attendees(const json_t *current, const struct meeting_args *a)
{
    json_t *out = json_array();
    size_t i;
    const json_t *att;
    json_array_foreach(current, i, att)
    {
        const char *address = str_at(json_object_get(att, "emailAddress"), "address");
        const char *type = str_at(att, "type");
        if (listed(a->remove, address) || (a->set_required && strcmp(type, "required") == 0))
            continue;
        json_array_append_new(out, attendee_new(address, type));
    }
    if (a->set_required)
        add_attendees(out, a->set_required, "required");
    if (a->add_optional)
        add_attendees(out, a->add_optional, "optional");
    if (a->add_resource)
        add_attendees(out, a->add_resource, "resource");
    return out;
}

static int cmd_update(struct gctl *c, int argc, char **argv)
{
    struct meeting_args a = {0};
    int rc = parse_meeting(argc, argv, false, &a);
    if (rc == 0 && optind != argc - 1)
        rc = (fail("update needs exactly one meeting id"), EX_USAGE_CODE);
    char *path = rc == 0 ? xasprintf("/events/%s", argv[optind]) : NULL;
    struct reply r;
    if (rc == 0 && (a.set_required || a.add_optional || a.add_resource || a.remove)) {
        if (request(c, "GET", path, NULL, &r) != 0) {
            rc = EXIT_FAILURE;
        } else {
            json_object_set_new(a.event, "attendees",
                                updated_attendees(json_object_get(r.body, "attendees"), &a));
            json_decref(r.body);
        }
    } else if (rc == 0) {
        json_object_del(a.event, "attendees"); /* unchanged */
    }
    if (rc == 0 && request(c, "PATCH", path, json_dumps(a.event, JSON_COMPACT), &r) != 0)
        rc = EXIT_FAILURE;
    else if (rc == 0) {
        json_decref(r.body);
        printf("updated\n");
    }
    json_decref(a.event);
    free(path);
    return rc;
}

/* ---- status, cancel, respond, list -------------------------------------------------------- */

static void print_status(const struct gctl *c, const json_t *ev)
{
    const json_t *list = json_object_get(ev, "attendees"), *att;
    size_t i;
    if (c->json) {
        json_t *out = json_array();
        json_array_foreach(list, i, att)
        {
            const json_t *who = json_object_get(att, "emailAddress");
            const json_t *st = json_object_get(att, "status");
            json_array_append_new(
                out, json_pack("{s:s, s:s, s:s, s:s, s:O}", "name", str_at(who, "name"), "address",
                               str_at(who, "address"), "role", str_at(att, "type"), "response",
                               str_at(st, "response"), "last_response_time",
                               json_object_get(st, "time") ?: json_null()));
        }
        jsonval_print_take(
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", str_at(ev, "id"), "subject",
                      str_at(ev, "subject"), "start",
                      str_at(json_object_get(ev, "start"), "dateTime"), "end",
                      str_at(json_object_get(ev, "end"), "dateTime"), "location",
                      str_at(json_object_get(ev, "location"), "displayName"), "is_cancelled",
                      json_is_true(json_object_get(ev, "isCancelled")), "attendees", out),
            stdout);
        fputc('\n', stdout);
        return;
    }
    printf("Subject:  %s\nStart:    %s UTC\nEnd:      %s UTC\n", str_at(ev, "subject"),
           str_at(json_object_get(ev, "start"), "dateTime"),
           str_at(json_object_get(ev, "end"), "dateTime"));
    printf("\n%-24s %-32s %-9s %s\n", "NAME", "ADDRESS", "ROLE", "RESPONSE");
    json_array_foreach(list, i, att)
    {
        const json_t *who = json_object_get(att, "emailAddress");
        printf("%-24s %-32s %-9s %s\n", str_at(who, "name"), str_at(who, "address"),
               str_at(att, "type"), str_at(json_object_get(att, "status"), "response"));
    }
}

static int cmd_status(struct gctl *c, int argc, char **argv)
{
    if (argc != 2)
        return fail("status needs exactly one meeting id"), EX_USAGE_CODE;
    char *path = xasprintf("/events/%s", argv[1]);
    struct reply r;
    int rc = request(c, "GET", path, NULL, &r) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    free(path);
    if (rc == EXIT_SUCCESS)
        print_status(c, r.body);
    json_decref(r.body);
    return rc;
}

/* The words of ARGV after the command, with --message M taken out into *MESSAGE; -1 on an
 * option other than --message. Returns how many words are left (in ARGV[1..]). */
static int take_message(int argc, char **argv, const char **message)
{
    int kept = 1;
    *message = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--message") == 0 && i + 1 < argc)
            *message = argv[++i];
        else if (strncmp(argv[i], "--message=", 10) == 0)
            *message = argv[i] + 10;
        else if (argv[i][0] == '-')
            return -1;
        else
            argv[kept++] = argv[i];
    }
    return kept - 1;
}

static int cmd_cancel(struct gctl *c, int argc, char **argv)
{
    const char *message;
    if (take_message(argc, argv, &message) != 1)
        return fail("cancel needs exactly one meeting id [--message M]"), EX_USAGE_CODE;
    char *path = xasprintf("/events/%s/cancel", argv[1]);
    json_t *body = json_object();
    if (message)
        json_object_set_new(body, "comment", json_string(message));
    struct reply r;
    int rc = request(c, "POST", path, json_dumps(body, JSON_COMPACT), &r);
    json_decref(body);
    free(path);
    if (rc != 0)
        return EXIT_FAILURE;
    json_decref(r.body);
    printf("cancelled\n");
    return EXIT_SUCCESS;
}

/* respond ID: a meeting request, answered through its event. */
static int cmd_respond(struct gctl *c, int argc, char **argv)
{
    static const char *const words[] = {"accept", "tentative", "decline"};
    const char *message;
    if (take_message(argc, argv, &message) != 2)
        return fail("respond needs a request id and accept|tentative|decline"), EX_USAGE_CODE;
    int kind = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(argv[2], words[i]) == 0)
            kind = i;
    if (kind < 0)
        return fail("respond: %s is not accept, tentative or decline", argv[2]), EX_USAGE_CODE;
    char *path = xasprintf("/messages/%s?$expand=microsoft.graph.eventMessage/event", argv[1]);
    struct reply r;
    int rc = request(c, "GET", path, NULL, &r);
    free(path);
    if (rc != 0)
        return EXIT_FAILURE;
    const char *event = str_at(json_object_get(r.body, "event"), "id");
    path = *event ? xasprintf("/events/%s/%s", event, graph_answer_action((enum graph_answer)kind))
                  : NULL;
    json_decref(r.body);
    if (path == NULL)
        return fail("%s is not a meeting request", argv[1]);
    rc = request(c, "POST", path, graph_body_answer(message, true), &r);
    free(path);
    if (rc != 0)
        return EXIT_FAILURE;
    json_decref(r.body);
    printf("%s sent\n", words[kind]);
    return EXIT_SUCCESS;
}

static void print_entry(const struct gctl *c, const json_t *it, bool *first)
{
    const char *type = str_at(it, "@odata.type");
    const char *kind = strstr(type, "Request")                                     ? "request"
                       : strstr(type, "Response")                                  ? "response"
                       : strstr(type, "eventMessage")                              ? "cancellation"
                       : strstr(type, "event") || json_object_get(it, "attendees") ? "calendar"
                                                                                   : "message";
    if (c->json) {
        fputs(*first ? "" : ",", stdout);
        jsonval_print_take(json_pack("{s:s, s:s, s:s, s:b}", "id", str_at(it, "id"), "kind", kind,
                                     "subject", str_at(it, "subject"), "is_cancelled",
                                     json_is_true(json_object_get(it, "isCancelled"))),
                           stdout);
    } else {
        printf("%-12s %-40s %s\n", kind, str_at(it, "subject"), str_at(it, "id"));
    }
    *first = false;
}

static int cmd_list(struct gctl *c, int argc, char **argv)
{
    static const char *const folders[] = {"inbox", "sentitems", "deleteditems", "drafts"};
    if (argc != 2)
        return fail("list needs a folder"), EX_USAGE_CODE;
    char *path = strcmp(argv[1], "calendar") == 0 ? xstrdup("/events?$top=50") : NULL;
    for (size_t i = 0; path == NULL && i < 4; i++)
        if (strcmp(argv[1], folders[i]) == 0)
            path = xasprintf("/mailFolders/%s/messages?$top=50", folders[i]);
    if (path == NULL)
        return fail("list: unknown folder %s (inbox, calendar, sentitems, deleteditems, drafts)",
                    argv[1]),
               EX_USAGE_CODE;
    bool first = true;
    int rc = EXIT_SUCCESS;
    fputs(c->json ? "[" : "", stdout);
    while (path != NULL) {
        struct reply r;
        if (request(c, "GET", path, NULL, &r) != 0) {
            rc = EXIT_FAILURE;
            break;
        }
        size_t i;
        const json_t *it;
        json_array_foreach(json_object_get(r.body, "value"), i, it) print_entry(c, it, &first);
        const char *next = json_string_value(json_object_get(r.body, "@odata.nextLink"));
        free(path);
        path =
            next && strncmp(next, c->conf->server.graph_url, strlen(c->conf->server.graph_url)) == 0
                ? xstrdup(next)
                : NULL;
        json_decref(r.body);
    }
    free(path);
    fputs(c->json ? "]\n" : "", stdout);
    return rc;
}

int meetingctl_graph_run(const struct conf *conf, const char *as, bool json, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(struct gctl *c, int argc, char **argv);
    } commands[] = {{"create", cmd_create}, {"status", cmd_status},   {"update", cmd_update},
                    {"cancel", cmd_cancel}, {"respond", cmd_respond}, {"list", cmd_list}};
    if (conf->server.auth != CONF_AUTH_OAUTH2)
        return fail("protocol = graph needs auth = oauth2");
    if (http_global_init() != 0)
        return fail("libcurl initialisation failed");
    struct gctl c = {.conf = conf, .as = as, .json = json, .loop = ev_loop_new(EVFLAG_AUTO)};
    struct http_client_options hopts = {
        .max_concurrent = 1,
        .timeout_s = conf->server.timeout_s,
        .tls_insecure = !conf->server.tls_verify,
        .ca_file = conf->server.ca_file,
    };
    c.http = http_client_new(c.loop, &hopts);
    int rc = -1;
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (strcmp(argv[0], commands[i].name) == 0)
            rc = commands[i].run(&c, argc, argv);
    if (rc < 0)
        rc = (fail("unknown command %s", argv[0]), EX_USAGE_CODE);
    oauth2_shared_free(c.http);
    http_client_free(c.http);
    ev_loop_destroy(c.loop);
    http_global_cleanup();
    return rc;
}
