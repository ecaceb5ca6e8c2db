/*
 * meetingctl_meeting: create a meeting (single or recurring, always with its own t:UID), show
 * it with each attendee's answer, cancel it - by CancelCalendarItem when it has attendees to
 * tell, by deleting it when it has none (a server refuses to cancel a meeting nobody was
 * invited to: ErrorCalendarIsNotOrganizer).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "jsonval.h"
#include "meetingctl.h"

/* The attendee lists, asked for by name: AllProperties need not carry them (Gromox leaves
 * them out), and status, update and cancel all depend on them. */
static const char *const attendee_fields[] = {"calendar:RequiredAttendees",
                                              "calendar:OptionalAttendees", "calendar:Resources"};

struct item *ctl_fetch_item(struct ctl *c, const char *id, struct ews_call_result *res)
{
    struct item_id iid = {.id = (char *)id};
    if (ctl_call(c, "GetItem",
                 ews_build_get_item(&c->ctx, &iid, 1, EWS_SHAPE_ALL_PROPERTIES, attendee_fields,
                                    sizeof(attendee_fields) / sizeof(attendee_fields[0])),
                 res) != 0)
        return NULL;
    if (res->response->n_messages != 1 || res->response->messages[0].n_items != 1) {
        ctl_fail("GetItem: the server returned no item for %s", id);
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
        return ctl_fail("--attach %s: %s", path, strerror(errno));
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
        return ctl_fail("--attach %s: %s", path,
                        bad ? "cannot read the file" : "larger than 64 MiB");
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

/* A UID of 128 random bits, as every copy of the meeting will carry it; caller frees. */
static char *new_uid(void)
{
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof(r)) {
        ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
        if (n < 0 && errno != EINTR)
            return NULL;
        got += n > 0 ? (size_t)n : 0;
    }
    char *uid = xmalloc(2 * sizeof(r) + 1);
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(uid + 2 * i, 3, "%02X", r[i]);
    return uid;
}

/* What `meetingctl create` was given. */
struct create_args {
    struct ews_meeting_spec spec;
    bool have_start, have_end;
    struct strlist req, opt, res;
    struct ews_file_attachment *files;
    size_t n_files;
    struct ctl_recurrence_args rec;
};

static void create_args_free(struct create_args *a)
{
    strlist_free(&a->req);
    strlist_free(&a->opt);
    strlist_free(&a->res);
    free_attachments(a->files, a->n_files);
}

/* Reads the options of create into A. Returns 0, or the exit code after saying why. */
static int create_options(int argc, char **argv, struct create_args *a)
{
    static const struct option opts[] = {{"subject", required_argument, NULL, 's'},
                                         {"start", required_argument, NULL, 'S'},
                                         {"end", required_argument, NULL, 'E'},
                                         {"location", required_argument, NULL, 'l'},
                                         {"body", required_argument, NULL, 'b'},
                                         {"required", required_argument, NULL, 'r'},
                                         {"optional", required_argument, NULL, 'o'},
                                         {"resource", required_argument, NULL, 'R'},
                                         {"attach", required_argument, NULL, 'A'},
                                         {"recurrence", required_argument, NULL, 'P'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {"days", required_argument, NULL, 'd'},
                                         {"day-of-month", required_argument, NULL, 'D'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"until", required_argument, NULL, 'u'},
                                         {NULL, 0, NULL, 0}};
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            a->spec.subject = optarg;
            break;
        case 'S':
            if (ctl_parse_time("--start", optarg, &a->spec.start) != 0)
                return EX_USAGE_CODE;
            a->have_start = true;
            break;
        case 'E':
            if (ctl_parse_time("--end", optarg, &a->spec.end) != 0)
                return EX_USAGE_CODE;
            a->have_end = true;
            break;
        case 'l':
            a->spec.location = optarg;
            break;
        case 'b':
            a->spec.body = optarg;
            break;
        case 'r':
            ctl_split_list(optarg, &a->req);
            break;
        case 'o':
            ctl_split_list(optarg, &a->opt);
            break;
        case 'R':
            ctl_split_list(optarg, &a->res);
            break;
        case 'A':
            if (add_attachment(optarg, &a->files, &a->n_files) != 0)
                return EXIT_FAILURE;
            break;
        case 'P':
            a->rec.pattern = optarg;
            break;
        case 'i':
            a->rec.interval = optarg;
            break;
        case 'd':
            a->rec.days = optarg;
            break;
        case 'D':
            a->rec.day_of_month = optarg;
            break;
        case 'n':
            a->rec.count = optarg;
            break;
        case 'u':
            a->rec.until = optarg;
            break;
        default: /* getopt said what is wrong */
            ctl_usage(stderr);
            return EX_USAGE_CODE;
        }
    }
    if (optind != argc)
        return ctl_usage_error("create: unexpected argument %s", argv[optind]);
    if (a->spec.subject == NULL || !a->have_start || !a->have_end)
        return ctl_usage_error("create needs --subject, --start and --end");
    if (a->spec.end <= a->spec.start)
        return ctl_fail("--end must be after --start");
    if (a->rec.pattern == NULL &&
        (a->rec.interval || a->rec.days || a->rec.day_of_month || a->rec.count || a->rec.until))
        return ctl_usage_error("--interval, --days, --day-of-month, --count and --until go with "
                               "--recurrence");
    return 0;
}

static void print_created(const struct ctl *c, const struct item_id *id, const char *uid)
{
    if (c->json) {
        jsonval_print_take(json_pack("{s:o, s:o, s:o}", "id", jsonval_string(id->id), "change_key",
                                     jsonval_string(id->change_key), "uid", jsonval_string(uid)),
                           stdout);
        fputc('\n', stdout);
    } else {
        printf("%s\n", id->id);
    }
}

int ctl_cmd_create(struct ctl *c, int argc, char **argv)
{
    struct create_args a = {.spec.send_invitations = EWS_SEND_TO_ALL_AND_SAVE_COPY};
    struct item_recurrence rec;
    char *uid = NULL;
    int rc = create_options(argc, argv, &a);
    if (rc != 0)
        goto out;
    struct ews_meeting_spec *spec = &a.spec;
    if (a.rec.pattern != NULL) {
        if ((rc = ctl_recurrence_from_args(&a.rec, spec->start, &rec)) != 0)
            goto out;
        spec->recurrence = &rec;
        /* The series follows the local zone's clock across daylight saving time. */
        spec->start_time_zone_id = ctl_local_windows_zone();
    }
    rc = EXIT_FAILURE;
    if ((uid = new_uid()) == NULL) {
        ctl_fail("create: no random bytes for the meeting's UID");
        goto out;
    }
    spec->uid = uid;
    spec->required = (const char *const *)a.req.v;
    spec->n_required = a.req.n;
    spec->optional = (const char *const *)a.opt.v;
    spec->n_optional = a.opt.n;
    spec->resources = (const char *const *)a.res.v;
    spec->n_resources = a.res.n;
    spec->attachments = a.files;
    spec->n_attachments = a.n_files;
    struct ews_call_result res = {0};
    if (ctl_call(c, "CreateItem", ews_build_create_meeting(&c->ctx, spec), &res) != 0)
        goto out;
    const struct ews_response_message *m = &res.response->messages[0];
    if (m->n_items < 1 || m->items[0].id.id == NULL) {
        ctl_fail("CreateItem: the server returned no item id");
    } else {
        print_created(c, &m->items[0].id, uid);
        rc = EXIT_SUCCESS;
    }
    ews_response_free(res.response);
out:
    free(uid);
    create_args_free(&a);
    return rc;
}

const char *ctl_role_name(enum attendee_role r)
{
    return r == ROLE_REQUIRED ? "required" : r == ROLE_OPTIONAL ? "optional" : "resource";
}

int ctl_cmd_status(struct ctl *c, int argc, char **argv)
{
    if (argc != 2)
        return ctl_usage_error("status needs exactly one meeting id");
    struct ews_call_result res = {0};
    const struct item *it = ctl_fetch_item(c, argv[1], &res);
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
                          "address", jsonval_string(a->mailbox.address), "role",
                          ctl_role_name(a->role), "response", ctl_response_name(a->response),
                          "last_response_time", jsonval_time(a->last_response_time)));
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
                   a->mailbox.address ? a->mailbox.address : "", ctl_role_name(a->role),
                   ctl_response_name(a->response), t);
        }
    }
    ews_response_free(res.response);
    return EXIT_SUCCESS;
}

/* A meeting nobody was invited to is the organizer's own appointment: deleted, with no
 * cancellation to send. */
static int delete_appointment(struct ctl *c, const struct item_id *id)
{
    struct ews_call_result res = {0};
    if (ctl_call(c, "DeleteItem",
                 ews_build_delete_item(&c->ctx, id, 1, EWS_MOVE_TO_DELETED_ITEMS, EWS_SEND_TO_NONE),
                 &res) != 0)
        return EXIT_FAILURE;
    ews_response_free(res.response);
    printf("deleted (no attendees to tell)\n");
    return EXIT_SUCCESS;
}

int ctl_cmd_cancel(struct ctl *c, int argc, char **argv)
{
    const char *message;
    if (ctl_parse_message_option(argc, argv, &message) != 0)
        return EX_USAGE_CODE;
    if (optind != argc - 1)
        return ctl_usage_error("cancel needs exactly one meeting id");
    struct ews_call_result got = {0};
    const struct item *it = ctl_fetch_item(c, argv[optind], &got);
    if (it == NULL) {
        ews_response_free(got.response);
        return EXIT_FAILURE;
    }
    struct item_id id = {.id = it->id.id, .change_key = it->id.change_key};
    int rc;
    if (it->n_attendees == 0) {
        rc = delete_appointment(c, &id);
    } else {
        struct ews_call_result res = {0};
        rc = ctl_call(c, "CreateItem", ews_build_cancel_meeting(&c->ctx, &id, message), &res);
        ews_response_free(res.response);
        if (rc == 0)
            printf("cancelled\n");
        rc = rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    ews_response_free(got.response);
    return rc;
}
