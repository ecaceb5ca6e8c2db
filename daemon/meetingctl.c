/*
 * meetingctl: the organizer's side of Microsoft's "Handling Meetings" walkthrough, on the
 * same EWS layer as meetingd: create a meeting, see who answered, change it, cancel it,
 * list a folder, answer a request by hand.
 */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <strings.h>

#include "conf.h"
#include "ews_backend.h"
#include "health.h"
#include "jsonval.h"
#include "krb5env.h"
#include "log.h"
#include "meetingctl_approve.h"
#include "meetingctl.h"
#include "meetingctl_graph.h"
#include "oauth2.h"

void ctl_usage(FILE *out)
{
    fprintf(out,
            "usage: meetingctl [-c FILE] --as ADDRESS [--password-file FILE] [--json] [--tz ZONE]\n"
            "                  COMMAND ...\n"
            "       meetingctl [-c FILE] health\n"
            "\n"
            "commands:\n"
            "  create --subject S --start T --end T [--location L] [--body B]\n"
            "         [--required LIST] [--optional LIST] [--resource LIST] [--attach FILE]...\n"
            "         [--recurrence daily|weekly|monthly [--interval N] [--days mon,wed,...]\n"
            "          [--day-of-month D] (--count N | --until YYYY-MM-DD)]\n"
            "                      create a meeting and send the invitations; prints its id\n"
            "  status ID           the meeting and each attendee's answer\n"
            "  update ID [--subject S] [--start T] [--end T] [--location L] [--set-required LIST]\n"
            "            [--add-optional LIST] [--add-resource LIST] [--remove LIST]\n"
            "                      change the meeting; sends updates and cancellations, then\n"
            "                      reads it back and reports any change the server did not make\n"
            "  cancel ID [--message M]\n"
            "                      cancel the meeting and tell every attendee (a meeting\n"
            "                      without attendees is deleted)\n"
            "  list FOLDER         list inbox, calendar, sentitems, deleteditems or drafts\n"
            "  respond ID accept|tentative|decline [--message M]\n"
            "                      answer a meeting request\n"
            "  approve|reject ID [--message M]\n"
            "                      as a delegate: decide a request a room forwarded for approval\n"
            "  health              the running meetingd at a glance, from its metrics_listen page\n"
            "                      (0: fine, 1: a mailbox failing, 69: no answer; no --as)\n"
            "\n"
            "Times are ISO 8601: 2026-12-03T10:00:00Z or with an offset is that instant; without\n"
            "one (2026-12-03T10:00) it is local to TZ, or to --tz ZONE (an IANA name or a Windows\n"
            "name like \"W. Europe Standard Time\"). LIST is comma-separated addresses.\n"
            "Credentials: the [mailbox] whose address is ADDRESS, else the [server]\n"
            "account (impersonating ADDRESS when impersonation = yes), else --password-file with\n"
            "ADDRESS as the user name.\n");
}

/* One line on stderr: "meetingctl: " and the message. */
static void say_error(const char *fmt, va_list ap) UTIL_PRINTF(1, 0);
static void say_error(const char *fmt, va_list ap)
{
    fputs("meetingctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int ctl_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_error(fmt, ap);
    va_end(ap);
    return EXIT_FAILURE;
}

int ctl_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_error(fmt, ap);
    va_end(ap);
    ctl_usage(stderr);
    return EX_USAGE_CODE;
}

const char *ctl_response_name(enum item_response r)
{
    switch (r) {
    case RESPONSE_ORGANIZER:
        return "Organizer";
    case RESPONSE_TENTATIVE:
        return "Tentative";
    case RESPONSE_ACCEPT:
        return "Accept";
    case RESPONSE_DECLINE:
        return "Decline";
    case RESPONSE_NO_RESPONSE_RECEIVED:
        return "NoResponseReceived";
    case RESPONSE_UNKNOWN:
        break;
    }
    return "Unknown";
}

/* ---- set-up --------------------------------------------------------------------------- */

static int setup_account(struct ctl *c)
{
    const struct conf *conf = c->conf;
    struct conf_server const *srv = &conf->server;
    c->account.url = srv->url;
    c->account.server_version = srv->server_version;
    c->account.auth = ews_backend_http_auth(srv->auth);
    if (srv->auth == CONF_AUTH_OAUTH2 && c->password_file == NULL)
        c->account.oauth2 = &srv->oauth2; /* the app, impersonating (below) */
    if (c->password_file) {
        char err[256];
        c->password = util_read_secret_file(c->password_file, err, sizeof(err));
        if (c->password == NULL)
            return ctl_fail("%s", err);
        c->account.username = c->as;
        c->account.password = c->password;
        return 0;
    }
    for (size_t i = 0; i < conf->n_mailboxes; i++) {
        const struct conf_mailbox *m = conf->mailboxes[i];
        if (util_str_casecmp_ascii(m->address, c->as) != 0)
            continue;
        c->account.username = m->login_username;
        c->account.password = m->login_password;
        if (m->access == CONF_ACCESS_IMPERSONATE)
            c->account.impersonate = m->address;
        else if (m->access == CONF_ACCESS_DELEGATE)
            c->folder_mailbox = m->address;
        return 0;
    }
    /* Kerberos needs no password; an OAuth2 app has its client id instead of a username. */
    if ((srv->username && (srv->password || srv->auth == CONF_AUTH_NEGOTIATE)) ||
        srv->auth == CONF_AUTH_OAUTH2) {
        c->account.username = srv->username;
        c->account.password = srv->password;
        if (srv->impersonation)
            c->account.impersonate = c->as;
        else if (util_str_casecmp_ascii(srv->username, c->as) != 0)
            c->folder_mailbox = c->as;
        return 0;
    }
    return ctl_fail("no credentials for %s: add a [mailbox] with that address, [server] "
                    "credentials, or --password-file",
                    c->as);
}

int ctl_call(struct ctl *c, const char *op, char *envelope, struct ews_call_result *res)
{
    if (envelope == NULL)
        return ctl_fail("%s: could not build the request (bad arguments?)", op);
    if (ews_call_wait_take(c->loop, c->http, &c->account, op, envelope, res) != 0) {
        ctl_fail("%s failed: %s", op, res->error ? res->error : ews_call_status_str(res->status));
        ews_response_free(res->response);
        res->response = NULL;
        return -1;
    }
    for (size_t i = 0; i < res->response->n_messages; i++) {
        const struct ews_response_message *m = &res->response->messages[i];
        if (m->cls == EWS_CLASS_ERROR) {
            ctl_fail("%s failed: %s%s%s", op,
                     m->response_code_text ? m->response_code_text : ews_error_name(m->code),
                     m->message_text ? ": " : "", m->message_text ? m->message_text : "");
            ews_response_free(res->response);
            res->response = NULL;
            return -1;
        }
    }
    return 0;
}

void ctl_split_list(const char *s, struct strlist *list)
{
    char *copy = xstrdup(s);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
        strlist_add(list, tok);
    free(copy);
}

int ctl_parse_message_option(int argc, char **argv, const char **message)
{
    static const struct option opts[] = {{"message", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    int o;
    *message = NULL;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'm') { /* getopt said what is wrong */
            ctl_usage(stderr);
            return -1;
        }
        *message = optarg;
    }
    return 0;
}

static int cmd_respond(struct ctl *c, int argc, char **argv)
{
    const char *message;
    if (ctl_parse_message_option(argc, argv, &message) != 0)
        return EX_USAGE_CODE;
    if (optind != argc - 2)
        return ctl_usage_error("respond needs a request id and accept|tentative|decline");
    enum ews_respond_kind kind;
    const char *what = argv[optind + 1];
    if (strcmp(what, "accept") == 0)
        kind = EWS_ACCEPT;
    else if (strcmp(what, "tentative") == 0)
        kind = EWS_TENTATIVE;
    else if (strcmp(what, "decline") == 0)
        kind = EWS_DECLINE;
    else
        return ctl_usage_error("respond: %s is not accept, tentative or decline", what);
    struct item_id id = {.id = argv[optind]};
    struct ews_call_result res = {0};
    if (ctl_call(c, "CreateItem",
                 ews_build_respond(&c->ctx, kind, &id, message, EWS_SEND_AND_SAVE_COPY), &res) != 0)
        return EXIT_FAILURE;
    ews_response_free(res.response);
    printf("%s sent\n", what);
    return EXIT_SUCCESS;
}

static const char *kind_name(enum item_kind k)
{
    switch (k) {
    case ITEM_MESSAGE:
        return "message";
    case ITEM_MEETING_REQUEST:
        return "request";
    case ITEM_MEETING_CANCELLATION:
        return "cancellation";
    case ITEM_MEETING_RESPONSE:
        return "response";
    case ITEM_CALENDAR:
        return "calendar";
    case ITEM_OTHER:
        break;
    }
    return "item";
}

static int cmd_list(struct ctl *c, int argc, char **argv)
{
    if (argc != 2)
        return ctl_usage_error("list needs exactly one folder");
    static const char *const folders[] = {"inbox", "calendar", "sentitems", "deleteditems",
                                          "drafts"};
    bool known = false;
    for (size_t i = 0; i < sizeof(folders) / sizeof(*folders); i++)
        known |= strcmp(argv[1], folders[i]) == 0;
    if (!known)
        return ctl_fail("list: unknown folder %s (inbox, calendar, sentitems, deleteditems, "
                        "drafts)",
                        argv[1]),
               EX_USAGE_CODE;
    if (c->json)
        fputc('[', stdout);
    int offset = 0;
    bool first = true;
    for (;;) {
        struct ews_find_item_args args = {
            .folder = {.distinguished_id = argv[1], .mailbox = c->folder_mailbox},
            .shape = EWS_SHAPE_ALL_PROPERTIES,
            .view = EWS_VIEW_INDEXED,
            .offset = offset,
            .max_entries = 100,
        };
        struct ews_call_result res = {0};
        if (ctl_call(c, "FindItem", ews_build_find_item(&c->ctx, &args), &res) != 0)
            return EXIT_FAILURE;
        const struct ews_response_message *m = &res.response->messages[0];
        for (size_t i = 0; i < m->n_items; i++) {
            const struct item *it = &m->items[i];
            if (c->json) {
                if (!first)
                    fputc(',', stdout);
                jsonval_print_take(
                    json_pack(
                        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "id", jsonval_string(it->id.id),
                        "kind", jsonval_string(kind_name(it->kind)), "item_class",
                        jsonval_string(it->item_class), "subject", jsonval_string(it->subject),
                        "start", jsonval_time(it->start), "end", jsonval_time(it->end),
                        "my_response", jsonval_string(ctl_response_name(it->my_response)),
                        "is_cancelled", (int)it->is_cancelled),
                    stdout);
            } else {
                char start[21] = "-";
                if (it->start)
                    util_format_time_utc(it->start, start);
                printf("%-12s %-20s %-40s %s\n", kind_name(it->kind), start,
                       it->subject ? it->subject : "", it->id.id ? it->id.id : "");
            }
            first = false;
        }
        bool last = m->includes_last_item_in_range || m->n_items == 0;
        offset += (int)m->n_items;
        ews_response_free(res.response);
        if (last)
            break;
    }
    if (c->json)
        fputs("]\n", stdout);
    return EXIT_SUCCESS;
}

/* The daemon's own view, from the page Prometheus scrapes: no account, no EWS. */
static int cmd_health(const char *conf_path)
{
    struct conf_error cerr;
    struct conf *conf = conf_load(conf_path, &cerr);
    if (conf == NULL) {
        conf_error_print(&cerr, stderr);
        return CONF_EXIT_CONFIG;
    }
    if (conf->daemon.metrics_listen == NULL) {
        fprintf(stderr,
                "%s: [daemon] metrics_listen is not set: health reads the running "
                "meetingd's metrics page (e.g. metrics_listen = 127.0.0.1:9873)\n",
                conf->path);
        conf_free(conf);
        return CONF_EXIT_CONFIG;
    }
    char err[256];
    char *page = health_fetch(conf->daemon.metrics_listen, 10.0, err, sizeof(err));
    int rc = HEALTH_UNAVAILABLE;
    if (page == NULL)
        ctl_fail("meetingd is not answering at %s: %s", conf->daemon.metrics_listen, err);
    else if ((rc = health_report(page, time(NULL), stdout)) < 0) {
        ctl_fail("what answers at %s is not meetingd", conf->daemon.metrics_listen);
        rc = HEALTH_UNAVAILABLE;
    }
    free(page);
    conf_free(conf);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(struct ctl *c, int argc, char **argv);
} commands[] = {
    {"create", ctl_cmd_create},   {"status", ctl_cmd_status},  {"update", ctl_cmd_update},
    {"cancel", ctl_cmd_cancel},   {"list", cmd_list},          {"respond", cmd_respond},
    {"approve", ctl_cmd_approve}, {"reject", ctl_cmd_approve},
};

/* The options before the command. Returns -1 to go on, else the exit code. */
static int global_options(struct ctl *c, int argc, char **argv, const char **tz)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"password-file", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"tz", required_argument, NULL, 'z'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int o;
    /* Options before the command only; the command parses the rest. */
    while ((o = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            c->conf_path = optarg;
            break;
        case 'a':
            c->as = optarg;
            break;
        case 'p':
            c->password_file = optarg;
            break;
        case 'j':
            c->json = true;
            break;
        case 'z':
            *tz = optarg;
            break;
        case 'h':
            ctl_usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf("meetingctl %s\n", MEETINGD_VERSION);
            return EXIT_SUCCESS;
        default: /* getopt said what is wrong */
            ctl_usage(stderr);
            return EX_USAGE_CODE;
        }
    }
    return -1;
}

/* --json and --tz ZONE may also follow the command (status ID --json): taken out of ARGV. */
static void trailing_options(struct ctl *c, int *argc, char **argv, const char **tz)
{
    for (int i = 1; i < *argc; i++) {
        int take = 0;
        if (strcmp(argv[i], "--json") == 0) {
            c->json = true;
            take = 1;
        } else if (strcmp(argv[i], "--tz") == 0 && i + 1 < *argc) {
            *tz = argv[i + 1];
            take = 2;
        } else if (strncmp(argv[i], "--tz=", 5) == 0) {
            *tz = argv[i] + 5;
            take = 1;
        }
        if (take == 0)
            continue;
        memmove(&argv[i], &argv[i + take], (size_t)(*argc - i - take + 1) * sizeof(char *));
        *argc -= take;
        i--;
    }
}

static int run(struct ctl *c, int cmd_argc, char **cmd_argv, int (*cmd)(struct ctl *, int, char **))
{
    struct conf_error cerr;
    c->conf = conf_load(c->conf_path, &cerr);
    if (c->conf == NULL) {
        conf_error_print(&cerr, stderr);
        return CONF_EXIT_CONFIG;
    }
    if (c->conf->server.protocol == CONF_PROTOCOL_GRAPH) {
        int rc = meetingctl_graph_run(c->conf, c->as, c->json, cmd_argc, cmd_argv);
        conf_free(c->conf);
        return rc;
    }
    if (setup_account(c) != 0) {
        conf_free(c->conf);
        return EXIT_FAILURE;
    }
    krb5env_apply(&c->conf->server);
    c->ctx = (struct ews_context){.server_version = c->account.server_version,
                                  .impersonate_address = c->account.impersonate};
    if (http_global_init() != 0) {
        conf_free(c->conf);
        return ctl_fail("libcurl initialisation failed");
    }
    c->loop = ev_loop_new(EVFLAG_AUTO);
    struct http_client_options hopts = {
        .max_concurrent = 1,
        .timeout_s = c->conf->server.timeout_s,
        .tls_insecure = !c->conf->server.tls_verify,
        .ca_file = c->conf->server.ca_file,
    };
    c->http = http_client_new(c->loop, &hopts);
    int rc = cmd(c, cmd_argc, cmd_argv);
    oauth2_shared_free(c->http);
    http_client_free(c->http);
    ev_loop_destroy(c->loop);
    http_global_cleanup();
    util_secure_free(c->password);
    conf_free(c->conf);
    return rc;
}

int main(int argc, char **argv)
{
    /* The password is in memory (and in libcurl's plain and base64 copies): no core dumps. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        perror("meetingctl: prctl(PR_SET_DUMPABLE)");
    struct ctl c = {.conf_path = CONF_DEFAULT_PATH};
    const char *tz = NULL;
    int rc = global_options(&c, argc, argv, &tz);
    if (rc >= 0)
        return rc;
    if (optind < argc && strcmp(argv[optind], "health") == 0 && optind + 1 == argc) {
        log_init("meetingctl", LOG_LEVEL_WARNING, false);
        return cmd_health(c.conf_path);
    }
    if (optind >= argc)
        return ctl_usage_error("no command given");
    int cmd_argc = argc - optind;
    char **cmd_argv = argv + optind;
    trailing_options(&c, &cmd_argc, cmd_argv, &tz);
    int (*cmd)(struct ctl *, int, char **) = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(cmd_argv[0], commands[i].name) == 0)
            cmd = commands[i].run;
    if (cmd == NULL)
        return ctl_usage_error("unknown command %s", cmd_argv[0]);
    if (c.as == NULL)
        return ctl_usage_error("%s needs --as ADDRESS (the mailbox to act as)", cmd_argv[0]);
    log_init("meetingctl", LOG_LEVEL_WARNING, false);
    if (tz != NULL && ctl_set_time_zone(tz) != 0)
        return EX_USAGE_CODE;
    return run(&c, cmd_argc, cmd_argv, cmd);
}
