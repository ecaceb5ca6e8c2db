/*
 * meetingctl_update: change a meeting, then read it back. A server may answer NoError to a
 * change it did not make (Gromox does so for AppendToItemField); the organizer must not be
 * told that attendees were invited when they were not, so every change asked for is checked
 * on the item as the server now has it, and each one missing is reported.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meetingctl.h"

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

/* True when IT has an attendee ADDR in ROLE (any role when ANY_ROLE). */
static bool has_attendee(const struct item *it, const char *addr, enum attendee_role role,
                         bool any_role)
{
    for (size_t i = 0; i < it->n_attendees; i++) {
        const struct item_attendee *at = &it->attendees[i];
        if ((any_role || at->role == role) && at->mailbox.address &&
            util_str_casecmp_ascii(at->mailbox.address, addr) == 0)
            return true;
    }
    return false;
}

static size_t missing_attendees(const struct item *it, const struct strlist *l,
                                enum attendee_role role, const char *what)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (has_attendee(it, l->v[i], role, false))
            continue;
        ctl_fail("update: the server did not make this change: %s %s", what, l->v[i]);
        n++;
    }
    return n;
}

static bool same_text(const char *want, const char *got)
{
    return strcmp(want, got ? got : "") == 0;
}

/* Each change of A missing from the item as the server has it now, said on stderr; their
 * count. */
static size_t changes_not_made(const struct update_args *a, const struct item *it)
{
    size_t n = 0;
    char t[21];
    if (a->subject && !same_text(a->subject, it->subject))
        n++, ctl_fail("update: the server did not make this change: subject \"%s\"", a->subject);
    if (a->location && !same_text(a->location, it->location))
        n++, ctl_fail("update: the server did not make this change: location \"%s\"", a->location);
    if (a->start && a->start != it->start) {
        util_format_time_utc(a->start, t);
        n++, ctl_fail("update: the server did not make this change: start %s", t);
    }
    if (a->end && a->end != it->end) {
        util_format_time_utc(a->end, t);
        n++, ctl_fail("update: the server did not make this change: end %s", t);
    }
    if (a->have_set_req)
        n += missing_attendees(it, &a->set_req, ROLE_REQUIRED, "required attendee");
    n += missing_attendees(it, &a->add_opt, ROLE_OPTIONAL, "optional attendee");
    n += missing_attendees(it, &a->add_res, ROLE_RESOURCE, "resource");
    for (size_t i = 0; i < a->remove.n; i++)
        if (has_attendee(it, a->remove.v[i], ROLE_REQUIRED, true))
            n++, ctl_fail("update: the server did not make this change: remove %s", a->remove.v[i]);
    return n;
}

/* Reads the meeting back and reports what the server left undone: EXIT_FAILURE if anything. */
static int verify_update(struct ctl *c, const char *id, const struct update_args *a)
{
    struct ews_call_result res = {0};
    const struct item *it = ctl_fetch_item(c, id, &res);
    if (it == NULL) {
        ews_response_free(res.response);
        return ctl_fail("update: could not read the meeting back to check the change");
    }
    size_t n = changes_not_made(a, it);
    ews_response_free(res.response);
    if (n > 0)
        return ctl_fail("update: the server answered NoError but left %zu change%s undone", n,
                        n == 1 ? "" : "s");
    return EXIT_SUCCESS;
}

int ctl_cmd_update(struct ctl *c, int argc, char **argv)
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
            if (ctl_parse_time("--start", optarg, &a.start) != 0)
                goto out;
            break;
        case 'E':
            if (ctl_parse_time("--end", optarg, &a.end) != 0)
                goto out;
            break;
        case 'l':
            a.location = optarg;
            break;
        case 'r':
            ctl_split_list(optarg, &a.set_req);
            a.have_set_req = true;
            break;
        case 'o':
            ctl_split_list(optarg, &a.add_opt);
            break;
        case 'R':
            ctl_split_list(optarg, &a.add_res);
            break;
        case 'x':
            ctl_split_list(optarg, &a.remove);
            break;
        default: /* getopt said what is wrong */
            ctl_usage(stderr);
            rc = EX_USAGE_CODE;
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = ctl_usage_error("update needs exactly one meeting id");
        goto out;
    }
    if (!a.subject && !a.location && !a.start && !a.end && !a.have_set_req && a.add_opt.n == 0 &&
        a.add_res.n == 0 && a.remove.n == 0) {
        rc = ctl_usage_error("update: nothing to change (give --subject, --start, --end, "
                             "--location or an attendee option)");
        goto out;
    }
    const char *id = argv[optind];
    struct ews_call_result res = {0};
    const struct item *it = ctl_fetch_item(c, id, &res);
    if (it == NULL) {
        ews_response_free(res.response);
        goto out;
    }
    struct ews_item_change ch[12];
    size_t n = update_changes(&a, it, ch);
    if (n == 0) {
        ews_response_free(res.response);
        rc = ctl_usage_error("update: nothing to change");
        goto out;
    }
    struct ews_call_result ures = {0};
    char *env = ews_build_update_item(&c->ctx, &it->id, ch, n, EWS_AUTO_RESOLVE,
                                      EWS_UPDATE_SEND_TO_ALL_AND_SAVE_COPY);
    ews_response_free(res.response);
    if (ctl_call(c, "UpdateItem", env, &ures) == 0) {
        const struct ews_response_message *m = &ures.response->messages[0];
        printf("%s\n", m->n_items && m->items[0].id.id ? m->items[0].id.id : id);
        ews_response_free(ures.response);
        rc = verify_update(c, id, &a);
    }
out:
    update_args_free(&a);
    return rc;
}
