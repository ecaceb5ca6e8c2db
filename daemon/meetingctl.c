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
#include "ews_build.h"
#include "ews_client.h"
#include "health.h"
#include "jsonval.h"
#include "krb5env.h"
#include "log.h"
#include "meetingctl_graph.h"
#include "oauth2.h"
#include "util.h"

#define EX_USAGE_CODE 64

struct ctl {
    const char *conf_path;
    const char *as;
    const char *password_file;
    bool json;
    struct conf *conf;
    struct ev_loop *loop;
    struct http_client *http;
    struct ews_account account;
    struct ews_context ctx;
    char *password;             /* from --password-file; secret */
    const char *folder_mailbox; /* delegate access: the mailbox in DistinguishedFolderId */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: meetingctl [-c FILE] --as ADDRESS [--password-file FILE] [--json] COMMAND ...\n"
            "       meetingctl [-c FILE] health\n"
            "\n"
            "commands:\n"
            "  create --subject S --start T --end T [--location L] [--body B]\n"
            "         [--required LIST] [--optional LIST] [--resource LIST] [--attach FILE]...\n"
            "                      create a meeting and send the invitations; prints its id\n"
            "  status ID           the meeting and each attendee's answer\n"
            "  update ID [--subject S] [--start T] [--end T] [--location L] [--set-required LIST]\n"
            "            [--add-optional LIST] [--add-resource LIST] [--remove LIST]\n"
            "                      change the meeting; sends updates and cancellations\n"
            "  cancel ID [--message M]\n"
            "                      cancel the meeting and tell every attendee\n"
            "  list FOLDER         list inbox, calendar, sentitems, deleteditems or drafts\n"
            "  respond ID accept|tentative|decline [--message M]\n"
            "                      answer a meeting request\n"
            "  health              the running meetingd at a glance, from its metrics_listen page\n"
            "                      (0: fine, 1: a mailbox failing, 69: no answer; no --as)\n"
            "\n"
            "Times are ISO 8601 (2026-12-03T10:00:00Z or with an offset). LIST is comma-separated\n"
            "addresses. Credentials: the [mailbox] whose address is ADDRESS, else the [server]\n"
            "account (impersonating ADDRESS when impersonation = yes), else --password-file with\n"
            "ADDRESS as the user name.\n");
}

static int fail(const char *fmt, ...) UTIL_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("meetingctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_FAILURE;
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
            return fail("%s", err);
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
    return fail("no credentials for %s: add a [mailbox] with that address, [server] "
                "credentials, or --password-file",
                c->as);
}

/* Posts ENVELOPE (taken); on success the caller owns res->response. Prints the error. */
static int call(struct ctl *c, const char *op, char *envelope, struct ews_call_result *res)
{
    if (envelope == NULL)
        return fail("%s: could not build the request (bad arguments?)", op);
    if (ews_call_wait_take(c->loop, c->http, &c->account, op, envelope, res) != 0) {
        fail("%s failed: %s", op, res->error ? res->error : ews_call_status_str(res->status));
        ews_response_free(res->response);
        res->response = NULL;
        return -1;
    }
    for (size_t i = 0; i < res->response->n_messages; i++) {
        const struct ews_response_message *m = &res->response->messages[i];
        if (m->cls == EWS_CLASS_ERROR) {
            fail("%s failed: %s%s%s", op,
                 m->response_code_text ? m->response_code_text : ews_error_name(m->code),
                 m->message_text ? ": " : "", m->message_text ? m->message_text : "");
            ews_response_free(res->response);
            res->response = NULL;
            return -1;
        }
    }
    return 0;
}

/* Splits a comma-separated list into LIST (appended). */
static void split_list(const char *s, struct strlist *list)
{
    char *copy = xstrdup(s);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
        strlist_add(list, tok);
    free(copy);
}

static int parse_time_arg(const char *name, const char *s, time_t *out)
{
    if (util_parse_time(s, out) != 0) {
        fail("%s: not an ISO 8601 time: %s", name, s);
        return -1;
    }
    return 0;
}

/* Fetches the calendar item ID with every property. */
static struct item *fetch_item(struct ctl *c, const char *id, struct ews_call_result *res)
{
    struct item_id iid = {.id = (char *)id};
    if (call(c, "GetItem", ews_build_get_item(&c->ctx, &iid, 1, EWS_SHAPE_ALL_PROPERTIES, NULL, 0),
             res) != 0)
        return NULL;
    if (res->response->n_messages != 1 || res->response->messages[0].n_items != 1) {
        fail("GetItem: the server returned no item for %s", id);
        return NULL;
    }
    return &res->response->messages[0].items[0];
}

/* What meetingctl will attach: Exchange's own message size limits are far below this. */
#define MAX_ATTACHMENT_BYTES (64u * 1024u * 1024u)

/* Reads PATH whole into a new entry of *FILES (named after the file, bytes owned by the
 * entry: free them with free_attachments). */
static int add_attachment(const char *path, struct ews_file_attachment **files, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail("--attach %s: %s", path, strerror(errno));
    unsigned char *data = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap == 0 ? 4096 : cap * 2;
            data = xrealloc(data, cap);
        }
        size_t got = fread(data + size, 1, cap - size, f);
        size += got;
        if (got == 0 || size > MAX_ATTACHMENT_BYTES)
            break;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || size > MAX_ATTACHMENT_BYTES) {
        free(data);
        return fail("--attach %s: %s", path, bad ? "cannot read the file" : "larger than 64 MiB");
    }
    const char *slash = strrchr(path, '/');
    *files = xreallocarray(*files, *n + 1, sizeof(**files));
    (*files)[(*n)++] = (struct ews_file_attachment){
        .name = slash != NULL && slash[1] != '\0' ? slash + 1 : path,
        .content = data,
        .size = size,
    };
    return 0;
}

static void free_attachments(struct ews_file_attachment *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((void *)files[i].content);
    free(files);
}

/* ---- commands ------------------------------------------------------------------------- */

static int cmd_create(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"subject", required_argument, NULL, 's'},  {"start", required_argument, NULL, 'S'},
        {"end", required_argument, NULL, 'E'},      {"location", required_argument, NULL, 'l'},
        {"body", required_argument, NULL, 'b'},     {"required", required_argument, NULL, 'r'},
        {"optional", required_argument, NULL, 'o'}, {"resource", required_argument, NULL, 'R'},
        {"attach", required_argument, NULL, 'A'},   {NULL, 0, NULL, 0}};
    struct ews_meeting_spec spec = {.send_invitations = EWS_SEND_TO_ALL_AND_SAVE_COPY};
    struct strlist req = {0}, opt = {0}, res_list = {0};
    struct ews_file_attachment *files = NULL;
    size_t n_files = 0;
    bool have_start = false, have_end = false;
    int o, rc = EXIT_FAILURE;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            spec.subject = optarg;
            break;
        case 'S':
            if (parse_time_arg("--start", optarg, &spec.start) != 0)
                goto out;
            have_start = true;
            break;
        case 'E':
            if (parse_time_arg("--end", optarg, &spec.end) != 0)
                goto out;
            have_end = true;
            break;
        case 'l':
            spec.location = optarg;
            break;
        case 'b':
            spec.body = optarg;
            break;
        case 'r':
            split_list(optarg, &req);
            break;
        case 'o':
            split_list(optarg, &opt);
            break;
        case 'R':
            split_list(optarg, &res_list);
            break;
        case 'A':
            if (add_attachment(optarg, &files, &n_files) != 0)
                goto out;
            break;
        default:
            usage(stderr);
            rc = EX_USAGE_CODE;
            goto out;
        }
    }
    if (spec.subject == NULL || !have_start || !have_end) {
        rc = EX_USAGE_CODE;
        fail("create needs --subject, --start and --end");
        goto out;
    }
    if (spec.end <= spec.start) {
        fail("--end must be after --start");
        goto out;
    }
    spec.required = (const char *const *)req.v;
    spec.n_required = req.n;
    spec.optional = (const char *const *)opt.v;
    spec.n_optional = opt.n;
    spec.resources = (const char *const *)res_list.v;
    spec.n_resources = res_list.n;
    spec.attachments = files;
    spec.n_attachments = n_files;
    struct ews_call_result res = {0};
    if (call(c, "CreateItem", ews_build_create_meeting(&c->ctx, &spec), &res) != 0)
        goto out;
    const struct ews_response_message *m = &res.response->messages[0];
    if (m->n_items < 1 || m->items[0].id.id == NULL) {
        fail("CreateItem: the server returned no item id");
    } else {
        if (c->json) {
            jsonval_print_take(json_pack("{s:o, s:o}", "id", jsonval_string(m->items[0].id.id),
                                         "change_key", jsonval_string(m->items[0].id.change_key)),
                               stdout);
            fputc('\n', stdout);
        } else {
            printf("%s\n", m->items[0].id.id);
        }
        rc = EXIT_SUCCESS;
    }
    ews_response_free(res.response);
out:
    strlist_free(&req);
    strlist_free(&opt);
    strlist_free(&res_list);
    free_attachments(files, n_files);
    return rc;
}

static const char *role_name(enum attendee_role r)
{
    return r == ROLE_REQUIRED ? "required" : r == ROLE_OPTIONAL ? "optional" : "resource";
}

static const char *response_name(enum item_response r)
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

static int cmd_status(struct ctl *c, int argc, char **argv)
{
    if (argc != 2)
        return usage(stderr), EX_USAGE_CODE;
    struct ews_call_result res = {0};
    const struct item *it = fetch_item(c, argv[1], &res);
    if (it == NULL) {
        ews_response_free(res.response);
        return EXIT_FAILURE;
    }
    char start[21], end[21], t[21];
    util_format_time_utc(it->start, start);
    util_format_time_utc(it->end, end);
    if (c->json) {
        json_t *attendees = json_array();
        for (size_t i = 0; i < it->n_attendees; i++) {
            const struct item_attendee *a = &it->attendees[i];
            json_array_append_new(
                attendees,
                json_pack("{s:o, s:o, s:s, s:s, s:o}", "name", jsonval_string(a->mailbox.name),
                          "address", jsonval_string(a->mailbox.address), "role", role_name(a->role),
                          "response", response_name(a->response), "last_response_time",
                          jsonval_time(a->last_response_time)));
        }
        jsonval_print_take(
            json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o}", "id", jsonval_string(it->id.id),
                      "subject", jsonval_string(it->subject), "start", jsonval_time(it->start),
                      "end", jsonval_time(it->end), "location", jsonval_string(it->location),
                      "is_cancelled", (int)it->is_cancelled, "attendees", attendees),
            stdout);
        fputc('\n', stdout);
    } else {
        printf("Subject:  %s\nStart:    %s\nEnd:      %s\n", it->subject ? it->subject : "", start,
               end);
        if (it->location)
            printf("Location: %s\n", it->location);
        if (it->is_cancelled)
            printf("Status:   cancelled\n");
        printf("\n%-24s %-32s %-9s %-18s %s\n", "NAME", "ADDRESS", "ROLE", "RESPONSE",
               "LAST RESPONSE");
        for (size_t i = 0; i < it->n_attendees; i++) {
            const struct item_attendee *a = &it->attendees[i];
            if (a->last_response_time)
                util_format_time_utc(a->last_response_time, t);
            else
                strcpy(t, "-");
            printf("%-24s %-32s %-9s %-18s %s\n", a->mailbox.name ? a->mailbox.name : "",
                   a->mailbox.address ? a->mailbox.address : "", role_name(a->role),
                   response_name(a->response), t);
        }
    }
    ews_response_free(res.response);
    return EXIT_SUCCESS;
}

/* The addresses of IT's attendees in ROLE, less those in REMOVE. */
static void attendees_of(const struct item *it, enum attendee_role role,
                         const struct strlist *remove, struct strlist *out)
{
    for (size_t i = 0; i < it->n_attendees; i++) {
        const struct item_attendee *a = &it->attendees[i];
        if (a->role == role && a->mailbox.address &&
            !strlist_contains_ci(remove, a->mailbox.address))
            strlist_add(out, a->mailbox.address);
    }
}

static void list_change(struct ews_item_change *ch, size_t *n, enum ews_change_op op,
                        enum ews_change_field field, const struct strlist *l)
{
    if (l->n == 0 && op == EWS_CHANGE_SET) {
        ch[(*n)++] = (struct ews_item_change){.op = EWS_CHANGE_DELETE, .field = field};
        return;
    }
    ch[(*n)++] = (struct ews_item_change){
        .op = op, .field = field, .addresses = (const char *const *)l->v, .n_addresses = l->n};
}

/* What `meetingctl update` was asked to change. */
struct update_args {
    const char *subject, *location;
    time_t start, end;
    struct strlist set_req, add_opt, add_res, remove;
    bool have_set_req;
    struct strlist keep_req, keep_opt, keep_res; /* the lists that remain after --remove */
};

static void update_args_free(struct update_args *a)
{
    struct strlist *lists[] = {&a->set_req,  &a->add_opt,  &a->add_res, &a->remove,
                               &a->keep_req, &a->keep_opt, &a->keep_res};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        strlist_free(lists[i]);
}

/* The UpdateItem changes A asks for on the meeting IT, into CH (room for 12); their count. */
static size_t update_changes(struct update_args *a, const struct item *it,
                             struct ews_item_change *ch)
{
    size_t n = 0;
    if (a->subject)
        ch[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = a->subject};
    if (a->location)
        ch[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_LOCATION, .text = a->location};
    if (a->start)
        ch[n++] = (struct ews_item_change){
            .op = EWS_CHANGE_SET, .field = EWS_FIELD_START, .time = a->start};
    if (a->end)
        ch[n++] =
            (struct ews_item_change){.op = EWS_CHANGE_SET, .field = EWS_FIELD_END, .time = a->end};
    /* Removing attendees rewrites each list that held one; --set-required replaces the
     * required list outright. The server sends cancellations to whoever left a list. */
    if (a->have_set_req) {
        list_change(ch, &n, EWS_CHANGE_SET, EWS_FIELD_REQUIRED_ATTENDEES, &a->set_req);
    } else if (a->remove.n) {
        attendees_of(it, ROLE_REQUIRED, &a->remove, &a->keep_req);
        list_change(ch, &n, EWS_CHANGE_SET, EWS_FIELD_REQUIRED_ATTENDEES, &a->keep_req);
    }
    if (a->remove.n) {
        attendees_of(it, ROLE_OPTIONAL, &a->remove, &a->keep_opt);
        attendees_of(it, ROLE_RESOURCE, &a->remove, &a->keep_res);
        list_change(ch, &n, EWS_CHANGE_SET, EWS_FIELD_OPTIONAL_ATTENDEES, &a->keep_opt);
        list_change(ch, &n, EWS_CHANGE_SET, EWS_FIELD_RESOURCES, &a->keep_res);
    }
    if (a->add_opt.n)
        list_change(ch, &n, EWS_CHANGE_APPEND, EWS_FIELD_OPTIONAL_ATTENDEES, &a->add_opt);
    if (a->add_res.n)
        list_change(ch, &n, EWS_CHANGE_APPEND, EWS_FIELD_RESOURCES, &a->add_res);
    return n;
}

static int cmd_update(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{"subject", required_argument, NULL, 's'},
                                         {"start", required_argument, NULL, 'S'},
                                         {"end", required_argument, NULL, 'E'},
                                         {"location", required_argument, NULL, 'l'},
                                         {"set-required", required_argument, NULL, 'r'},
                                         {"add-optional", required_argument, NULL, 'o'},
                                         {"add-resource", required_argument, NULL, 'R'},
                                         {"remove", required_argument, NULL, 'x'},
                                         {NULL, 0, NULL, 0}};
    struct update_args a = {0};
    int o, rc = EXIT_FAILURE;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            a.subject = optarg;
            break;
        case 'S':
            if (parse_time_arg("--start", optarg, &a.start) != 0)
                goto out;
            break;
        case 'E':
            if (parse_time_arg("--end", optarg, &a.end) != 0)
                goto out;
            break;
        case 'l':
            a.location = optarg;
            break;
        case 'r':
            split_list(optarg, &a.set_req);
            a.have_set_req = true;
            break;
        case 'o':
            split_list(optarg, &a.add_opt);
            break;
        case 'R':
            split_list(optarg, &a.add_res);
            break;
        case 'x':
            split_list(optarg, &a.remove);
            break;
        default:
            usage(stderr);
            rc = EX_USAGE_CODE;
            goto out;
        }
    }
    if (optind != argc - 1) {
        fail("update needs exactly one meeting id");
        rc = EX_USAGE_CODE;
        goto out;
    }
    const char *id = argv[optind];
    struct ews_call_result res = {0};
    const struct item *it = fetch_item(c, id, &res);
    if (it == NULL) {
        ews_response_free(res.response);
        goto out;
    }
    struct ews_item_change ch[12];
    size_t n = update_changes(&a, it, ch);
    if (n == 0) {
        fail("update: nothing to change");
        ews_response_free(res.response);
        rc = EX_USAGE_CODE;
        goto out;
    }
    struct ews_call_result ures = {0};
    char *env = ews_build_update_item(&c->ctx, &it->id, ch, n, EWS_AUTO_RESOLVE,
                                      EWS_UPDATE_SEND_TO_ALL_AND_SAVE_COPY);
    ews_response_free(res.response);
    if (call(c, "UpdateItem", env, &ures) == 0) {
        const struct ews_response_message *m = &ures.response->messages[0];
        printf("%s\n", m->n_items && m->items[0].id.id ? m->items[0].id.id : id);
        rc = EXIT_SUCCESS;
        ews_response_free(ures.response);
    }
out:
    update_args_free(&a);
    return rc;
}

/* Parses the only option of cancel and respond, --message M; leaves optind at the first
 * operand. Returns 0, or -1 after printing the usage. */
static int parse_message_option(int argc, char **argv, const char **message)
{
    static const struct option opts[] = {{"message", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    int o;
    *message = NULL;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'm') {
            usage(stderr);
            return -1;
        }
        *message = optarg;
    }
    return 0;
}

static int cmd_cancel(struct ctl *c, int argc, char **argv)
{
    const char *message;
    if (parse_message_option(argc, argv, &message) != 0)
        return EX_USAGE_CODE;
    if (optind != argc - 1)
        return fail("cancel needs exactly one meeting id"), EX_USAGE_CODE;
    struct item_id id = {.id = argv[optind]};
    struct ews_call_result res = {0};
    if (call(c, "CreateItem", ews_build_cancel_meeting(&c->ctx, &id, message), &res) != 0)
        return EXIT_FAILURE;
    ews_response_free(res.response);
    printf("cancelled\n");
    return EXIT_SUCCESS;
}

static int cmd_respond(struct ctl *c, int argc, char **argv)
{
    const char *message;
    if (parse_message_option(argc, argv, &message) != 0)
        return EX_USAGE_CODE;
    if (optind != argc - 2)
        return fail("respond needs a request id and accept|tentative|decline"), EX_USAGE_CODE;
    enum ews_respond_kind kind;
    const char *what = argv[optind + 1];
    if (strcmp(what, "accept") == 0)
        kind = EWS_ACCEPT;
    else if (strcmp(what, "tentative") == 0)
        kind = EWS_TENTATIVE;
    else if (strcmp(what, "decline") == 0)
        kind = EWS_DECLINE;
    else
        return fail("respond: %s is not accept, tentative or decline", what), EX_USAGE_CODE;
    struct item_id id = {.id = argv[optind]};
    struct ews_call_result res = {0};
    if (call(c, "CreateItem",
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
        return usage(stderr), EX_USAGE_CODE;
    static const char *const folders[] = {"inbox", "calendar", "sentitems", "deleteditems",
                                          "drafts"};
    bool known = false;
    for (size_t i = 0; i < sizeof(folders) / sizeof(*folders); i++)
        known |= strcmp(argv[1], folders[i]) == 0;
    if (!known)
        return fail("list: unknown folder %s (inbox, calendar, sentitems, deleteditems, "
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
        if (call(c, "FindItem", ews_build_find_item(&c->ctx, &args), &res) != 0)
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
                        "my_response", jsonval_string(response_name(it->my_response)),
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
        fail("meetingd is not answering at %s: %s", conf->daemon.metrics_listen, err);
    else if ((rc = health_report(page, time(NULL), stdout)) < 0) {
        fail("what answers at %s is not meetingd", conf->daemon.metrics_listen);
        rc = HEALTH_UNAVAILABLE;
    }
    free(page);
    conf_free(conf);
    return rc;
}

int main(int argc, char **argv)
{
    /* The password is in memory (and in libcurl's plain and base64 copies): no core dumps. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        perror("meetingctl: prctl(PR_SET_DUMPABLE)");
    struct ctl c = {.conf_path = CONF_DEFAULT_PATH};
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"password-file", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int o;
    /* Options before the command only; the command parses the rest. */
    while ((o = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            c.conf_path = optarg;
            break;
        case 'a':
            c.as = optarg;
            break;
        case 'p':
            c.password_file = optarg;
            break;
        case 'j':
            c.json = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf("meetingctl %s\n", MEETINGD_VERSION);
            return EXIT_SUCCESS;
        default:
            usage(stderr);
            return EX_USAGE_CODE;
        }
    }
    if (optind < argc && strcmp(argv[optind], "health") == 0 && optind + 1 == argc) {
        log_init("meetingctl", LOG_LEVEL_WARNING, false);
        return cmd_health(c.conf_path);
    }
    if (optind >= argc || c.as == NULL) {
        usage(stderr);
        return EX_USAGE_CODE;
    }
    int cmd_argc = argc - optind;
    char **cmd_argv = argv + optind;
    /* --json may also follow the command (status ID --json). */
    for (int i = 1; i < cmd_argc; i++) {
        if (strcmp(cmd_argv[i], "--json") == 0) {
            c.json = true;
            memmove(&cmd_argv[i], &cmd_argv[i + 1], (size_t)(cmd_argc - i) * sizeof(char *));
            cmd_argc--;
            i--;
        }
    }
    log_init("meetingctl", LOG_LEVEL_WARNING, false);
    struct conf_error cerr;
    c.conf = conf_load(c.conf_path, &cerr);
    if (c.conf == NULL) {
        conf_error_print(&cerr, stderr);
        return CONF_EXIT_CONFIG;
    }
    int rc;
    if (c.conf->server.protocol == CONF_PROTOCOL_GRAPH) {
        rc = meetingctl_graph_run(c.conf, c.as, c.json, cmd_argc, cmd_argv);
        conf_free(c.conf);
        return rc;
    }
    if (setup_account(&c) != 0) {
        conf_free(c.conf);
        return EXIT_FAILURE;
    }
    krb5env_apply(&c.conf->server);
    c.ctx = (struct ews_context){.server_version = c.account.server_version,
                                 .impersonate_address = c.account.impersonate};
    if (http_global_init() != 0) {
        conf_free(c.conf);
        return fail("libcurl initialisation failed");
    }
    c.loop = ev_loop_new(EVFLAG_AUTO);
    struct http_client_options hopts = {
        .max_concurrent = 1,
        .timeout_s = c.conf->server.timeout_s,
        .tls_insecure = !c.conf->server.tls_verify,
        .ca_file = c.conf->server.ca_file,
    };
    c.http = http_client_new(c.loop, &hopts);
    const char *cmd = cmd_argv[0];
    if (strcmp(cmd, "create") == 0)
        rc = cmd_create(&c, cmd_argc, cmd_argv);
    else if (strcmp(cmd, "status") == 0)
        rc = cmd_status(&c, cmd_argc, cmd_argv);
    else if (strcmp(cmd, "update") == 0)
        rc = cmd_update(&c, cmd_argc, cmd_argv);
    else if (strcmp(cmd, "cancel") == 0)
        rc = cmd_cancel(&c, cmd_argc, cmd_argv);
    else if (strcmp(cmd, "list") == 0)
        rc = cmd_list(&c, cmd_argc, cmd_argv);
    else if (strcmp(cmd, "respond") == 0)
        rc = cmd_respond(&c, cmd_argc, cmd_argv);
    else {
        fail("unknown command %s", cmd);
        usage(stderr);
        rc = EX_USAGE_CODE;
    }
    oauth2_shared_free(c.http);
    http_client_free(c.http);
    ev_loop_destroy(c.loop);
    http_global_cleanup();
    util_secure_free(c.password);
    conf_free(c.conf);
    return rc;
}
