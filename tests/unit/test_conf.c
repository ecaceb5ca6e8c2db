/*
 * Unit tests of conf: every key's default and happy path, every class of error with its
 * FILE:LINE, multi-line lists, include_dir, secrets and their permissions, the summary and
 * the key table, and the example configurations shipped in conf/.
 *
 * Run from tests/unit (ctest's working directory): the fixtures are under conf/.
 * Each conf/bad/NAME.conf starts with "# expect LINE: message" naming the error it must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "policy.h"
#include "log.h"
#include "util.h"

#include "testfiles.h"

#define SECRET "Tr0ub4dor&3-secret"
#define SECRET2 "c0rrect-h0rse-battery"

static char tmpdir[PATH_MAX];

/* ---- helpers ---------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/test_conf.XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    unsetenv("CREDENTIALS_DIRECTORY");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    free(cmd);
    unsetenv("CREDENTIALS_DIRECTORY");
    return rc == 0 ? 0 : -1;
}

/* Writes DIR/name (DIR = tmpdir when dir is NULL) with a mode; returns the path to free. */
static char *put_file(const char *dir, const char *name, const char *data, mode_t mode)
{
    return write_test_file(dir ? dir : tmpdir, name, data, mode);
}

static char *make_dir(const char *name)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    assert_int_equal(mkdir(path, 0755), 0);
    return path;
}

/* Writes text as tmpdir/NAME and loads it. */
static struct conf *load_text_as(const char *name, const char *text, struct conf_error *err)
{
    char *path = put_file(NULL, name, text, 0644);
    struct conf *c = conf_load(path, err);
    free(path);
    return c;
}

static struct conf *load_text(const char *text, struct conf_error *err)
{
    return load_text_as("main.conf", text, err);
}

/* A copy of an open_memstream() buffer. GCC 12 tracks pointers into such a buffer back to
 * the local variable whose address open_memstream() took and reports them as dangling
 * (-Wdangling-pointer false positive); a fresh allocation cuts that link. */
static char *detach(char *buf)
{
    char *copy = xstrdup(buf);
    free(buf);
    return copy;
}

static char *keys_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_print_keys(f);
    fclose(f);
    return detach(buf);
}

static char *summary_of(const struct conf *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_print_summary(c, f);
    fclose(f);
    return detach(buf);
}

static char *error_text(const struct conf_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_error_print(err, f);
    fclose(f);
    return detach(buf);
}

/* The config must fail at tmpdir/main.conf:line with a message containing msg. */
static void expect_error(const char *text, unsigned line, const char *msg)
{
    struct conf_error err;
    struct conf *c = load_text(text, &err);
    if (c != NULL) {
        conf_free(c);
        fail_msg("config loaded, expected line %u: %s", line, msg);
    }
    char *want_file = xasprintf("%s/main.conf", tmpdir);
    if (strcmp(err.file, want_file) != 0 || err.line != line || !strstr(err.message, msg))
        fail_msg("got %s:%u: %s\nwant %s:%u: ...%s...", err.file, err.line, err.message, want_file,
                 line, msg);
    free(want_file);
}

static void assert_list(const struct strlist *l, const char *const *want, size_t n)
{
    if (l->n != n)
        fail_msg("list has %zu entries, want %zu", l->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(l->v[i], want[i]);
}

/* A [server] with credentials whose password file (0600) lives in tmpdir. */
static char *server_section(void)
{
    char *pw = put_file(NULL, "server.pw", SECRET "\n", 0600);
    char *s = xasprintf("[server]\n"
                        "url = https://mail.example.com/EWS/Exchange.asmx\n"
                        "username = svc@example.com\n"
                        "password_file = %s\n",
                        pw);
    free(pw);
    return s;
}

/* ---- defaults --------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    char *srv = server_section();
    char *text = xasprintf("%s[policy p]\n[mailbox m]\naddress = m@example.com\npolicy = p\n", srv);
    struct conf_error err;
    struct conf *c = load_text(text, &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);

    const struct conf_server *s = &c->server;
    assert_string_equal(s->url, "https://mail.example.com/EWS/Exchange.asmx");
    assert_int_equal(s->auth, CONF_AUTH_BASIC);
    assert_string_equal(s->username, "svc@example.com");
    assert_string_equal(s->password, SECRET);
    assert_false(s->impersonation);
    assert_string_equal(s->server_version, "Exchange2013_SP1");
    assert_int_equal(s->timeout_s, 60);
    assert_null(s->ca_file);
    assert_true(s->tls_verify);
    assert_int_equal(s->sync, CONF_SYNC_AUTO);
    assert_int_equal(s->line, 1);

    const struct conf_daemon *d = &c->daemon;
    assert_int_equal(d->poll_interval_s, 60);
    assert_int_equal(d->max_concurrent_requests, 8);
    assert_int_equal(d->batch_size, 50);
    assert_string_equal(d->state_dir, "/var/lib/meetingd");
    assert_int_equal(d->record_retention_s, 90 * 86400);
    assert_int_equal(d->sync_safety_interval_s, 45 * 60);
    assert_int_equal(d->log_level, LOG_LEVEL_INFO);
    assert_null(d->metrics_listen);
    assert_true(d->expand_groups);
    assert_int_equal(d->group_cache_ttl_s, 3600);
    assert_int_equal(d->group_max_members, 10000);
    assert_null(d->include_dir);
    assert_null(d->file);

    assert_int_equal(c->n_mailboxes, 1);
    const struct conf_mailbox *m = c->mailboxes[0];
    assert_string_equal(m->name, "m");
    assert_string_equal(m->address, "m@example.com");
    assert_ptr_equal(m->policy, c->policies[0]);
    assert_null(m->username);
    assert_null(m->password);
    assert_false(m->has_poll_interval);
    assert_int_equal(m->poll_interval_s, 60);
    /* No own credentials, impersonation off: the service account directly. */
    assert_int_equal(m->access, CONF_ACCESS_DELEGATE);
    assert_string_equal(m->login_username, "svc@example.com");
    assert_string_equal(m->login_password, SECRET);
    assert_int_equal(m->line, 6);
    assert_int_equal(m->policy_line, 8);

    /* Exchange's Set-CalendarProcessing defaults. */
    assert_int_equal(c->n_policies, 1);
    const struct conf_policy *p = c->policies[0];
    assert_string_equal(p->name, "p");
    assert_int_equal(p->line, 5);
    assert_int_equal(p->automate, CONF_AUTOMATE_AUTO_ACCEPT);
    assert_string_equal(p->response_message, "");
    assert_false(p->remove_canceled_meetings);
    assert_false(p->allow_conflicts);
    assert_int_equal(p->conflict_percentage_allowed, 0);
    assert_int_equal(p->max_conflict_instances, 0);
    assert_int_equal(p->booking_window_days, 180);
    assert_true(p->enforce_scheduling_horizon);
    assert_int_equal(p->max_duration_minutes, 1440);
    assert_int_equal(p->min_duration_minutes, 0);
    assert_true(p->allow_recurring_meetings);
    assert_false(p->schedule_only_during_work_hours);
    assert_int_equal(p->work_days, CONF_DAYS_WEEKDAYS);
    assert_int_equal(p->work_start_min, 8 * 60);
    assert_int_equal(p->work_end_min, 17 * 60);
    assert_null(p->time_zone);
    assert_int_equal(p->capacity, 0);
    assert_false(p->enforce_capacity);
    assert_true(p->all_book_in_policy);
    assert_int_equal(p->book_in_policy.n, 0);
    assert_false(p->all_request_in_policy);
    assert_int_equal(p->request_in_policy.n, 0);
    assert_false(p->all_request_out_of_policy);
    assert_int_equal(p->request_out_of_policy.n, 0);
    assert_int_equal(p->resource_delegates.n, 0);
    assert_true(p->forward_requests_to_delegates);
    assert_true(p->tentative_pending_approval);
    assert_int_equal(p->approval_timeout_s, 0);
    assert_false(p->process_external_meeting_messages);
    assert_int_equal(p->internal_domains.n, 0);
    assert_true(p->enable_response_details);
    assert_true(p->organizer_info);
    assert_false(p->add_additional_response);
    assert_string_equal(p->additional_response, "");
    assert_true(p->add_organizer_to_subject);
    assert_true(p->delete_subject);
    assert_true(p->delete_comments);
    assert_true(p->remove_private_property);
    assert_true(p->delete_attachments);
    assert_true(p->remove_old_meeting_messages);
    assert_int_equal(p->n_rules, 0);
    assert_int_equal(c->n_rules, 0);

    assert_ptr_equal(conf_find_policy(c, "p"), p);
    assert_null(conf_find_policy(c, "P"));
    assert_null(conf_find_policy(c, NULL));
    assert_ptr_equal(conf_find_mailbox(c, "m"), m);
    assert_null(conf_find_mailbox(c, "x"));
    conf_free(c);
    free(text);
    free(srv);
}

/* ---- every key set ---------------------------------------------------------------------- */

static const char full_fmt[] = "[server]\n"
                               "protocol = ews\n"
                               "url = https://mail.example.com/EWS/Exchange.asmx\n"
                               "graph_url = https://graph.example/v1.0/\n"
                               "auth = negotiate\n"
                               "username = EXAMPLE\\svc\n"
                               "password_file = %s/server.pw\n"
                               "impersonation = yes\n"
                               "server_version = V2016_07_13\n"
                               "timeout = 2m30s\n"
                               "ca_file = ca.pem\n"
                               "tls_verify = off\n"
                               "sync = syncfolderitems\n"
                               "keytab = ca.pem\n"
                               "tenant = contoso.onmicrosoft.com\n"
                               "client_id = 6d1f7a1c-app\n"
                               "client_secret_file = %s/server.pw\n"
                               "client_certificate = ca.pem\n"
                               "client_key = ca.pem\n"
                               "token_url = https://login.example/t/oauth2/v2.0/token\n"
                               "scope = https://outlook.office365.com/.default\n"
                               "[daemon]\n"
                               "poll_interval = 5m\n"
                               "auth_retry = 3m\n"
                               "max_concurrent_requests = 256\n"
                               "batch_size = 100\n"
                               "once_deadline = 2m\n"
                               "state_dir = /srv/meetingd\n"
                               "record_retention = 0\n"
                               "sync_safety_interval = 1h\n"
                               "log_level = debug\n"
                               "metrics_listen = [::1]:9873\n"
                               "expand_groups = no\n"
                               "group_cache_ttl = 10m\n"
                               "group_max_members = 50\n"
                               "include_dir = inc\n"
                               "[mailbox own]\n"
                               "address = Room-1@Example.com\n"
                               "policy = full\n"
                               "username = room-1@example.com\n"
                               "password_file = room.pw\n"
                               "poll_interval = 45s\n"
                               "[mailbox shared]\n"
                               "address = room-2@example.com\n"
                               "policy = full\n"
                               "kind = equipment\n"
                               "[policy full]\n"
                               "automate = auto_update\n"
                               "response_message = Thanks; see you\n"
                               "remove_canceled_meetings = yes\n"
                               "allow_conflicts = true\n"
                               "conflict_percentage_allowed = 100\n"
                               "max_conflict_instances = 1000\n"
                               "booking_window_days = 1080\n"
                               "enforce_scheduling_horizon = no\n"
                               "max_duration_minutes = 0\n"
                               "min_duration_minutes = 525600\n"
                               "allow_recurring_meetings = no\n"
                               "schedule_only_during_work_hours = yes\n"
                               "work_days = Tue-Thu, saturday\n"
                               "work_hours = 07:30-24:00\n"
                               "time_zone = America/New_York\n"
                               "capacity = 100000\n"
                               "enforce_capacity = yes\n"
                               "all_book_in_policy = no\n"
                               "book_in_policy = a@example.com\n"
                               "all_request_in_policy = yes\n"
                               "request_in_policy = @example.org\n"
                               "all_request_out_of_policy = yes\n"
                               "request_out_of_policy = boss-*@example.com\n"
                               "resource_delegates = d1@example.com, d2@example.com\n"
                               "forward_requests_to_delegates = no\n"
                               "tentative_pending_approval = no\n"
                               "approval_timeout = 2d\n"
                               "process_external_meeting_messages = yes\n"
                               "internal_domains = example.com @Example.ORG\n"
                               "enable_response_details = no\n"
                               "organizer_info = no\n"
                               "add_additional_response = yes\n"
                               "additional_response = More text\n"
                               "add_organizer_to_subject = no\n"
                               "delete_subject = no\n"
                               "delete_comments = no\n"
                               "remove_private_property = no\n"
                               "delete_attachments = no\n"
                               "remove_old_meeting_messages = no\n"
                               "conflict_response = tentative\n"
                               "accept_message = Booked {room} for {organizer}\n"
                               "tentative_message = Held {start}-{end}\n"
                               "tentative_message_approval = Waiting: {subject}\n"
                               "tentative_message_conflict = Busy but held\n"
                               "decline_message = No\n"
                               "decline_message_conflict = Taken {start}\n"
                               "decline_message_not_allowed = Not you\n"
                               "decline_message_out_of_policy = Not then\n"
                               "[rule every]\n"
                               "policy = full\n"
                               "organizer = *@example.com, @example.org, ceo@example.net\n"
                               "subject = /^standup/\n"
                               "min_duration = 15m\n"
                               "max_duration = 1h\n"
                               "days = Sun,Sat\n"
                               "hours = 00:00-12:00\n"
                               "recurring = no\n"
                               "min_attendees = 0\n"
                               "max_attendees = 100000\n"
                               "external = yes\n"
                               "action = request\n"
                               "message = Held for approval\n";

static struct conf *load_full(void)
{
    char *pw = put_file(NULL, "server.pw", SECRET "\n", 0600);
    char *pw2 = put_file(NULL, "room.pw", SECRET2 "\n", 0400);
    char *ca = put_file(NULL, "ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    char *inc = xasprintf("%s/inc", tmpdir);
    if (access(inc, F_OK) != 0)
        assert_int_equal(mkdir(inc, 0755), 0);
    char *text = xasprintf(full_fmt, tmpdir, tmpdir);
    struct conf_error err;
    struct conf *c = load_text_as("full.conf", text, &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    free(text);
    free(inc);
    free(ca);
    free(pw2);
    free(pw);
    return c;
}

static void test_every_key(void **state)
{
    (void)state;
    struct conf *c = load_full();
    char *path;

    const struct conf_server *s = &c->server;
    assert_int_equal(s->protocol, CONF_PROTOCOL_EWS);
    assert_string_equal(s->graph_url, "https://graph.example/v1.0/");
    assert_int_equal(s->auth, CONF_AUTH_NEGOTIATE);
    assert_string_equal(s->username, "EXAMPLE\\svc");
    path = xasprintf("%s/server.pw", tmpdir);
    assert_string_equal(s->password_file, path);
    free(path);
    assert_string_equal(s->password, SECRET);
    assert_true(s->impersonation);
    assert_string_equal(s->server_version, "V2016_07_13");
    assert_int_equal(s->timeout_s, 150);
    path = xasprintf("%s/ca.pem", tmpdir); /* relative to the config file */
    assert_string_equal(s->ca_file, path);
    free(path);
    assert_false(s->tls_verify);
    assert_int_equal(s->sync, CONF_SYNC_SYNCFOLDERITEMS);
    path = xasprintf("%s/ca.pem", tmpdir);
    assert_string_equal(s->keytab, path);
    free(path);
    assert_string_equal(s->tenant, "contoso.onmicrosoft.com");
    assert_string_equal(s->client_id, "6d1f7a1c-app");
    assert_string_equal(s->client_secret, SECRET);
    assert_string_equal(s->token_url, "https://login.example/t/oauth2/v2.0/token");
    assert_string_equal(s->scope, "https://outlook.office365.com/.default");

    const struct conf_daemon *d = &c->daemon;
    assert_int_equal(d->poll_interval_s, 300);
    assert_int_equal(d->max_concurrent_requests, 256);
    assert_int_equal(d->batch_size, 100);
    assert_int_equal(d->once_deadline_s, 120);
    assert_string_equal(d->state_dir, "/srv/meetingd");
    assert_int_equal(d->record_retention_s, 0);
    assert_int_equal(d->sync_safety_interval_s, 3600);
    assert_int_equal(d->log_level, LOG_LEVEL_DEBUG);
    assert_string_equal(d->metrics_listen, "[::1]:9873");
    assert_false(d->expand_groups);
    assert_int_equal(d->group_cache_ttl_s, 600);
    assert_int_equal(d->group_max_members, 50);
    path = xasprintf("%s/inc", tmpdir);
    assert_string_equal(d->include_dir, path);
    free(path);
    assert_int_equal(d->line, 22);

    assert_int_equal(c->n_mailboxes, 2);
    const struct conf_mailbox *own = c->mailboxes[0], *shared = c->mailboxes[1];
    assert_string_equal(own->address, "Room-1@Example.com");
    assert_string_equal(own->username, "room-1@example.com");
    assert_string_equal(own->password, SECRET2);
    path = xasprintf("%s/room.pw", tmpdir);
    assert_string_equal(own->password_file, path);
    free(path);
    assert_true(own->has_poll_interval);
    assert_int_equal(own->poll_interval_s, 45);
    assert_int_equal(own->access, CONF_ACCESS_OWN);
    assert_ptr_equal(own->login_password, own->password);
    assert_int_equal(shared->poll_interval_s, 300);
    assert_int_equal(shared->access, CONF_ACCESS_IMPERSONATE);
    assert_ptr_equal(shared->login_username, s->username);
    assert_ptr_equal(shared->login_password, s->password);

    const struct conf_policy *p = conf_find_policy(c, "full");
    assert_non_null(p);
    assert_int_equal(p->automate, CONF_AUTOMATE_AUTO_UPDATE);
    assert_string_equal(p->response_message, "Thanks; see you");
    assert_true(p->remove_canceled_meetings);
    assert_true(p->allow_conflicts);
    assert_int_equal(p->conflict_percentage_allowed, 100);
    assert_int_equal(p->max_conflict_instances, 1000);
    assert_int_equal(p->booking_window_days, 1080);
    assert_false(p->enforce_scheduling_horizon);
    assert_int_equal(p->max_duration_minutes, 0);
    assert_int_equal(p->min_duration_minutes, 525600);
    assert_false(p->allow_recurring_meetings);
    assert_true(p->schedule_only_during_work_hours);
    assert_int_equal(p->work_days, CONF_DAY(2) | CONF_DAY(3) | CONF_DAY(4) | CONF_DAY(6));
    assert_int_equal(p->work_start_min, 7 * 60 + 30);
    assert_int_equal(p->work_end_min, 24 * 60);
    assert_string_equal(p->time_zone, "America/New_York");
    assert_int_equal(p->capacity, 100000);
    assert_true(p->enforce_capacity);
    assert_false(p->all_book_in_policy);
    assert_list(&p->book_in_policy, (const char *[]){"a@example.com"}, 1);
    assert_true(p->all_request_in_policy);
    assert_list(&p->request_in_policy, (const char *[]){"@example.org"}, 1);
    assert_true(p->all_request_out_of_policy);
    assert_list(&p->request_out_of_policy, (const char *[]){"boss-*@example.com"}, 1);
    assert_list(&p->resource_delegates, (const char *[]){"d1@example.com", "d2@example.com"}, 2);
    assert_false(p->forward_requests_to_delegates);
    assert_false(p->tentative_pending_approval);
    assert_int_equal(p->approval_timeout_s, 2 * 86400);
    assert_true(p->process_external_meeting_messages);
    assert_list(&p->internal_domains, (const char *[]){"example.com", "example.org"}, 2);
    assert_false(p->enable_response_details);
    assert_false(p->organizer_info);
    assert_true(p->add_additional_response);
    assert_string_equal(p->additional_response, "More text");
    assert_false(p->add_organizer_to_subject);
    assert_false(p->delete_subject);
    assert_false(p->delete_comments);
    assert_false(p->remove_private_property);
    assert_false(p->delete_attachments);
    assert_false(p->remove_old_meeting_messages);

    assert_int_equal(c->n_rules, 1);
    assert_int_equal(p->n_rules, 1);
    const struct conf_rule *r = c->rules[0];
    assert_ptr_equal(p->rules[0], r);
    assert_ptr_equal(r->policy, p);
    assert_list(&r->organizer, (const char *[]){"*@example.com", "@example.org", "ceo@example.net"},
                3);
    assert_string_equal(r->subject.pattern, "/^standup/");
    assert_true(r->subject.is_regex);
    assert_true(r->has_min_duration);
    assert_int_equal(r->min_duration_s, 900);
    assert_true(r->has_max_duration);
    assert_int_equal(r->max_duration_s, 3600);
    assert_true(r->has_days);
    assert_int_equal(r->days, CONF_DAY(0) | CONF_DAY(6));
    assert_true(r->has_hours);
    assert_int_equal(r->hours_start_min, 0);
    assert_int_equal(r->hours_end_min, 720);
    assert_int_equal(r->recurring, CONF_COND_NO);
    assert_true(r->has_min_attendees);
    assert_int_equal(r->min_attendees, 0);
    assert_true(r->has_max_attendees);
    assert_int_equal(r->max_attendees, 100000);
    assert_int_equal(r->external, CONF_COND_YES);
    assert_int_equal(r->action, CONF_ACTION_REQUEST);
    assert_string_equal(r->message, "Held for approval");
    assert_int_equal(r->n_conditions, 10);
    assert_null(r->never_matches);
    assert_true(policy_subject_matches(&(r)->subject, "Standup daily"));
    assert_false(policy_subject_matches(&(r)->subject, "daily standup"));
    conf_free(c);
}

/* Every key of the table appears in full_fmt (so test_every_key covers it) and vice versa. */
static void test_key_table(void **state)
{
    (void)state;
    char *buf = keys_text();
    assert_non_null(strstr(buf, "### [server]"));
    assert_non_null(strstr(buf, "### [rule NAME]"));
    assert_non_null(strstr(buf, "| `url` | URL | (none) |"));
    assert_non_null(strstr(buf, "| `protocol` | ews \\| graph | ews |"));
    assert_non_null(strstr(buf, "| `poll_interval` | duration 1s..1d | 60s |"));
    assert_non_null(strstr(buf, "| `auth` | basic \\| ntlm \\| negotiate \\| oauth2 | basic |"));
    assert_non_null(strstr(buf, "| `max_concurrent_requests` | integer 1..256 | 8 |"));
    assert_non_null(strstr(buf, "| `work_days` | days | Mon-Fri |"));
    assert_non_null(strstr(buf, "| `include_dir` | directory | (none) |"));
    size_t rows = 0;
    for (const char *p = buf; (p = strstr(p, "\n| `")) != NULL; p++) {
        char name[64];
        assert_int_equal(sscanf(p, "\n| `%63[a-z_]`", name), 1);
        char *needle = xasprintf("\n%s = ", name);
        if (strstr(full_fmt, needle) == NULL)
            fail_msg("key %s is not exercised by the full configuration", name);
        free(needle);
        rows++;
    }
    size_t lines = 0;
    for (const char *p = full_fmt; *p; p++)
        lines += *p == '\n' && p[1] != '[' && p[1] != '\0';
    /* full_fmt has one line per key per section; mailbox keys appear twice in it. */
    assert_int_equal(rows, 101);
    assert_true(lines >= rows);
    free(buf);
}

/* ---- syntax ----------------------------------------------------------------------------- */

static void test_multiline(void **state)
{
    (void)state;
    struct conf_error err;
    struct conf *c = conf_load("conf/multiline.conf", &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    const struct conf_policy *p = conf_find_policy(c, "lists");
    assert_non_null(p);
    assert_int_equal(p->capacity, 12);
    assert_list(&p->book_in_policy,
                (const char *[]){"alice@example.com", "bob@example.com", "carol@example.com",
                                 "@partner.example.net", "*@*.example.org"},
                5);
    assert_list(&p->request_in_policy, (const char *[]){"dave@example.com"}, 1);
    assert_list(&p->resource_delegates, (const char *[]){"facilities@example.com"}, 1);
    assert_list(&p->internal_domains, (const char *[]){"example.com", "example.org"}, 2);
    assert_string_equal(p->response_message, "This text continues here and here.");
    assert_string_equal(p->additional_response, "starts on the next line");
    assert_int_equal(p->work_days, CONF_DAY(1) | CONF_DAY(3) | CONF_DAY(5));
    assert_int_equal(p->booking_window_days, 30);
    const struct conf_rule *r = c->rules[0];
    assert_list(&r->organizer, (const char *[]){"@example.com", "?ob@example.org"}, 2);
    assert_string_equal(r->message, "line one line two");
    assert_int_equal(r->action, CONF_ACTION_BOOK);
    assert_int_equal(r->line, 26);
    assert_int_equal(r->policy_line, 27);
    conf_free(c);
}

static void test_syntax_variants(void **state)
{
    (void)state;
    struct conf_error err;
    struct conf *c = conf_load("conf/syntax.conf", &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    assert_string_equal(c->server.url, "https://ex.example.com/EWS/Exchange.asmx");
    assert_int_equal(c->server.auth, CONF_AUTH_NTLM);
    assert_string_equal(c->policies[0]->response_message, "Booked;see you");
    conf_free(c);

    /* Section kinds and keys are case-insensitive; duplicates are found regardless. */
    c = load_text("[SERVER]\nURL = http://localhost:8080/EWS/Exchange.asmx\n[Policy x]\n"
                  "Work_Days = AllDays\nwork_hours = 00:00 - 24:00\n",
                  &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    assert_int_equal(c->policies[0]->work_days, CONF_DAYS_ALL);
    assert_int_equal(c->policies[0]->work_end_min, 1440);
    conf_free(c);

    /* Day names: ranges wrap around the week; Weekend; full names. */
    c = load_text("[server]\nurl = https://x.example/EWS\n[policy a]\nwork_days = Fri-Mon\n"
                  "[policy b]\nwork_days = Weekend Wednesday\n[policy c]\nwork_days = weekdays\n",
                  &err);
    assert_non_null(c);
    assert_int_equal(c->policies[0]->work_days,
                     CONF_DAY(5) | CONF_DAY(6) | CONF_DAY(0) | CONF_DAY(1));
    assert_int_equal(c->policies[1]->work_days, CONF_DAY(0) | CONF_DAY(6) | CONF_DAY(3));
    assert_int_equal(c->policies[2]->work_days, CONF_DAYS_WEEKDAYS);
    conf_free(c);

    /* A NUL byte in the file. */
    char *path = xasprintf("%s/main.conf", tmpdir);
    FILE *f = fopen(path, "w");
    fwrite("[server]\nurl = https://x.example/EWS\n[daemon]\nlog\0_level = debug\n", 1, 64, f);
    fclose(f);
    c = conf_load(path, &err);
    assert_null(c);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 4);
    assert_string_equal(err.message, "line contains a NUL byte");
    free(path);

    /* A section header as the last line, without newline. */
    c = load_text("[server]\nurl = https://x.example/EWS\n[policy last]", &err);
    assert_non_null(c);
    assert_non_null(conf_find_policy(c, "last"));
    conf_free(c);

    /* An empty file lacks [server]. */
    expect_error("", 0, "missing [server] section");
}

/* ---- errors ----------------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each conf/bad/NAME.conf starts with "# expect LINE: message". */
static void test_bad_fixtures(void **state)
{
    (void)state;
    DIR *d = opendir("conf/bad");
    assert_non_null(d);
    struct strlist names = {0};
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, ".conf") != NULL)
            strlist_add(&names, de->d_name);
    closedir(d);
    qsort(names.v, names.n, sizeof(*names.v), cmp_names);
    assert_true(names.n >= 70);
    for (size_t i = 0; i < names.n; i++) {
        char *path = xasprintf("conf/bad/%s", names.v[i]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char first[600];
        assert_non_null(fgets(first, sizeof(first), f));
        fclose(f);
        first[strcspn(first, "\n")] = '\0';
        unsigned line;
        int off = 0;
        if (sscanf(first, "# expect %u: %n", &line, &off) != 1 || off == 0)
            fail_msg("%s: first line must be '# expect LINE: message'", path);
        const char *msg = first + off;
        struct conf_error err;
        struct conf *c = conf_load(path, &err);
        if (c != NULL) {
            conf_free(c);
            fail_msg("%s: loaded, expected line %u: %s", path, line, msg);
        }
        if (strcmp(err.file, path) != 0 || err.line != line ||
            strncmp(err.message, msg, strlen(msg)) != 0)
            fail_msg("%s: got %s:%u: %s\nwant line %u: %s", path, err.file, err.line, err.message,
                     line, msg);
        /* conf_error_print writes FILE:LINE: message, the first error first. */
        char *printed = error_text(&err);
        char *want = line ? xasprintf("%s:%u: %s\n", path, line, err.message)
                          : xasprintf("%s: %s\n", path, err.message);
        assert_true(strncmp(printed, want, strlen(want)) == 0);
        free(want);
        free(printed);
        free(path);
    }
    strlist_free(&names);
}

static void test_file_errors(void **state)
{
    (void)state;
    struct conf_error err;
    assert_null(conf_load("conf/does-not-exist.conf", &err));
    assert_string_equal(err.file, "conf/does-not-exist.conf");
    assert_int_equal(err.line, 0);
    assert_string_equal(err.message, "cannot open: No such file or directory");
    char *printed = error_text(&err);
    assert_string_equal(printed,
                        "conf/does-not-exist.conf: cannot open: No such file or directory\n");
    free(printed);

    assert_null(conf_load("conf", &err));
    assert_string_equal(err.file, "conf");
    assert_string_equal(err.message, "is a directory");

    if (access(CONF_DEFAULT_PATH, F_OK) != 0) {
        assert_null(conf_load(NULL, &err));
        assert_string_equal(err.file, CONF_DEFAULT_PATH);
    } else {
        struct conf *c = conf_load(NULL, &err);
        if (c != NULL) {
            assert_string_equal(c->path, CONF_DEFAULT_PATH);
            conf_free(c);
        } else {
            assert_string_equal(err.file, CONF_DEFAULT_PATH);
        }
    }
    assert_int_equal(CONF_EXIT_CONFIG, 78);
    /* err may be NULL when the caller only wants success or failure. */
    assert_null(conf_load("conf/does-not-exist.conf", NULL));
}

static void test_credentials_errors(void **state)
{
    (void)state;
    char *srv = server_section();
    char *text;

    /* A mailbox with username but no password_file. */
    text = xasprintf("%s[policy p]\n[mailbox m]\naddress = m@example.com\npolicy = p\n"
                     "username = m@example.com\n",
                     srv);
    expect_error(text, 9,
                 "username and password_file must be given together "
                 "(password_file is missing)");
    free(text);

    /* password_file without username. */
    char *pw = put_file(NULL, "m.pw", SECRET2, 0600);
    text = xasprintf("%s[policy p]\n[mailbox m]\naddress = m@example.com\npolicy = p\n"
                     "password_file = %s\n",
                     srv, pw);
    expect_error(text, 9, "(username is missing)");
    free(text);
    free(pw);

    /* Server credentials without impersonation are fine; with, too. A mailbox without
     * any credentials anywhere is not. */
    expect_error("[server]\nurl = https://x.example/EWS\n[policy p]\n\n[mailbox nocreds]\n"
                 "address = a@example.com\npolicy = p\n",
                 5, "mailbox nocreds has no credentials");
    free(srv);
}

/* ---- secrets ---------------------------------------------------------------------------- */

static void test_password_permissions(void **state)
{
    (void)state;
    char *pw = put_file(NULL, "server.pw", SECRET "\n", 0644);
    char *text = xasprintf("[server]\nurl = https://x.example/EWS\nusername = svc\n"
                           "password_file = %s\n",
                           pw);
    struct conf_error err;
    assert_null(load_text(text, &err));
    assert_int_equal(err.line, 4);
    char *want = xasprintf("password_file: %s has mode 0644", pw);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, "0600"));
    assert_null(strstr(err.message, SECRET));
    free(want);

    assert_int_equal(chmod(pw, 0600), 0);
    struct conf *c = load_text(text, &err);
    assert_non_null(c);
    assert_string_equal(c->server.password, SECRET);
    conf_free(c);

    assert_int_equal(chmod(pw, 0640), 0);
    assert_null(load_text(text, &err));
    assert_non_null(strstr(err.message, "mode 0640"));

    /* Under $CREDENTIALS_DIRECTORY systemd owns the permissions. */
    char *creds = make_dir("creds");
    char *cpw = put_file(creds, "ews-password", SECRET2 "\n", 0644);
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    free(text);
    text = xasprintf("[server]\nurl = https://x.example/EWS\nusername = svc\n"
                     "password_file = %s\n",
                     cpw);
    c = load_text(text, &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    assert_string_equal(c->server.password, SECRET2);
    conf_free(c);
    /* A relative name is looked up there. */
    c = load_text("[server]\nurl = https://x.example/EWS\nusername = svc\n"
                  "password_file = ews-password\n",
                  &err);
    assert_non_null(c);
    assert_string_equal(c->server.password_file, cpw);
    assert_string_equal(c->server.password, SECRET2);
    conf_free(c);
    /* The exemption is for that directory only. */
    assert_int_equal(chmod(pw, 0644), 0);
    free(text);
    text = xasprintf("[server]\nurl = https://x.example/EWS\nusername = svc\n"
                     "password_file = %s\n",
                     pw);
    assert_null(load_text(text, &err));
    assert_non_null(strstr(err.message, "mode 0644"));
    unsetenv("CREDENTIALS_DIRECTORY");

    /* Without $CREDENTIALS_DIRECTORY a relative name is relative to the config file. */
    assert_int_equal(chmod(pw, 0600), 0);
    c = load_text("[server]\nurl = https://x.example/EWS\nusername = svc\n"
                  "password_file = server.pw\n",
                  &err);
    assert_non_null(c);
    assert_string_equal(c->server.password_file, pw);
    conf_free(c);

    free(text);
    free(cpw);
    free(creds);
    free(pw);
}

static void test_secrets_never_shown(void **state)
{
    (void)state;
    struct conf *c = load_full();
    char *sum = summary_of(c);
    assert_null(strstr(sum, SECRET));
    assert_null(strstr(sum, SECRET2));
    /* The paths are shown, so the admin sees where the secret comes from. */
    char *path = xasprintf("password_file = %s/server.pw\n", tmpdir);
    assert_non_null(strstr(sum, path));
    free(path);
    free(sum);
    conf_free(c);

    /* A secret typed into the config by mistake is not echoed by the error. */
    struct conf_error err;
    assert_null(load_text("[server]\nurl = https://x.example/EWS\npassword = " SECRET "\n", &err));
    assert_string_equal(err.message, "unknown key 'password' in [server]");
    assert_null(load_text("[server]\nurl = https://x.example/EWS\n" SECRET "\n", &err));
    assert_null(strstr(err.message, SECRET));
    assert_int_equal(err.line, 3);

    /* An error after the secrets were read: nothing leaks into the message (and the
     * sanitizer build checks they are freed). */
    char *srv = server_section();
    char *text = xasprintf("%s[daemon]\nbogus = 1\n", srv);
    assert_null(load_text(text, &err));
    assert_null(strstr(err.message, SECRET));
    assert_string_equal(err.message, "unknown key 'bogus' in [daemon]");
    free(text);
    free(srv);
}

/* ---- include_dir ------------------------------------------------------------------------ */

static void test_include_dir(void **state)
{
    (void)state;
    struct conf_error err;
    struct conf *c = conf_load("conf/include/main.conf", &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    assert_string_equal(c->daemon.include_dir, "conf/include/conf.d");
    /* Sorted by name; .hidden.conf, notes.txt, *.conf.orig and the sub.conf directory are
     * skipped. */
    assert_list(&c->files,
                (const char *[]){"conf/include/main.conf", "conf/include/conf.d/10-first.conf",
                                 "conf/include/conf.d/20-second.conf",
                                 "conf/include/conf.d/30-third.conf"},
                4);
    static const char *const order[] = {"main-1", "first-1", "first-2", "second-1", "third-1"};
    assert_int_equal(c->n_rules, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(c->rules[i]->name, order[i]);
    const struct conf_policy *mainp = conf_find_policy(c, "main");
    assert_int_equal(mainp->n_rules, 4);
    assert_string_equal(mainp->rules[0]->name, "main-1");
    assert_string_equal(mainp->rules[1]->name, "first-2");
    assert_string_equal(mainp->rules[2]->name, "second-1");
    assert_string_equal(mainp->rules[3]->name, "third-1");
    const struct conf_policy *second = conf_find_policy(c, "second");
    assert_int_equal(second->n_rules, 1);
    assert_ptr_equal(second->rules[0], c->rules[1]);
    assert_string_equal(c->rules[1]->file, "conf/include/conf.d/10-first.conf");
    assert_int_equal(c->rules[1]->line, 1);
    assert_int_equal(c->rules[1]->policy_line, 3);
    assert_string_equal(second->file, "conf/include/conf.d/20-second.conf");
    char *sum = summary_of(c);
    assert_non_null(strstr(sum, "and 3 included files"));
    assert_non_null(strstr(sum, "#   included: conf/include/conf.d/30-third.conf\n"));
    free(sum);
    conf_free(c);
}

static void test_include_errors(void **state)
{
    (void)state;
    struct conf_error err;
    expect_error("[server]\nurl = https://x.example/EWS\n[daemon]\n\ninclude_dir = nope.d\n", 5,
                 "include_dir: cannot open");

    /* [daemon] (and so include_dir) cannot come back in an included file. */
    char *dir = make_dir("inc1.d");
    char *inner = put_file(dir, "a.conf", "[daemon]\ninclude_dir = /etc\n", 0644);
    assert_null(
        load_text("[server]\nurl = https://x.example/EWS\n[daemon]\ninclude_dir = inc1.d\n", &err));
    assert_string_equal(err.file, inner);
    assert_int_equal(err.line, 1);
    char *want = xasprintf("duplicate section [daemon] (first defined at %s/main.conf:3)", tmpdir);
    assert_string_equal(err.message, want);
    free(want);
    free(inner);
    free(dir);

    /* Errors in an included file name that file; duplicates across files name the first. */
    dir = make_dir("inc2.d");
    char *a = put_file(dir, "a.conf", "[policy shared]\ncapacity = 3\n", 0644);
    char *b = put_file(dir, "b.conf", "# b\n\n[policy shared]\n", 0644);
    assert_null(
        load_text("[server]\nurl = https://x.example/EWS\n[daemon]\ninclude_dir = inc2.d\n", &err));
    assert_string_equal(err.file, b);
    assert_int_equal(err.line, 3);
    want = xasprintf("duplicate section [policy shared] (first defined at %s:1)", a);
    assert_string_equal(err.message, want);
    free(want);
    free(b);
    b = put_file(dir, "b.conf", "[policy other]\nwork_hours = 9-5\n", 0644);
    assert_null(
        load_text("[server]\nurl = https://x.example/EWS\n[daemon]\ninclude_dir = inc2.d\n", &err));
    assert_string_equal(err.file, b);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "work_hours: bad time range '9-5'"));
    free(b);
    /* A dangling symlink named *.conf is reported, not skipped. */
    assert_int_equal(unlink(a), 0);
    assert_int_equal(symlink("/nonexistent/target.conf", a), 0);
    assert_null(
        load_text("[server]\nurl = https://x.example/EWS\n[daemon]\ninclude_dir = inc2.d\n", &err));
    assert_string_equal(err.file, a);
    assert_int_equal(err.line, 0);
    assert_non_null(strstr(err.message, "cannot open"));
    free(a);
    free(dir);

    /* An empty include directory is fine. */
    dir = make_dir("empty.d");
    struct conf *c = load_text(
        "[server]\nurl = https://x.example/EWS\n[daemon]\ninclude_dir = empty.d/\n", &err);
    assert_non_null(c);
    assert_int_equal(c->files.n, 1);
    conf_free(c);
    free(dir);
}

/* ---- rules and the summary -------------------------------------------------------------- */

static void test_rules(void **state)
{
    (void)state;
    struct conf_error err;
    struct conf *c = conf_load("conf/rules.conf", &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    static const struct {
        const char *name;
        const char *policy;
        unsigned conditions;
        const char *never;
    } want[] = {
        {"a-first", "alpha", 1, NULL},
        {"b-catch-all", "beta", 0, NULL},
        {"a-impossible-duration", "alpha", 2, "min_duration 2h is greater than max_duration 1h30m"},
        {"a-impossible-attendees", "alpha", 2, "min_attendees 10 is greater than max_attendees 5"},
        {"a-no-days", "alpha", 1, "days is empty"},
        {"a-everything", "alpha", 10, NULL},
        {"a-unconditional", "alpha", 0, NULL},
        {"a-shadowed", "alpha", 1,
         "shadowed by rule a-unconditional (conf/rules.conf:50), which has no conditions"},
        {"b-shadowed", "beta", 1,
         "shadowed by rule b-catch-all (conf/rules.conf:13), which has no conditions"},
        {"g-external", "gamma", 1, "external = yes, but policy gamma ignores external organizers"},
    };
    assert_int_equal(c->n_rules, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < c->n_rules; i++) {
        const struct conf_rule *r = c->rules[i];
        assert_string_equal(r->name, want[i].name);
        assert_string_equal(r->policy->name, want[i].policy);
        assert_int_equal(r->n_conditions, want[i].conditions);
        if (want[i].never == NULL) {
            if (r->never_matches)
                fail_msg("%s: unexpected never_matches: %s", r->name, r->never_matches);
        } else {
            assert_non_null(r->never_matches);
            if (strncmp(r->never_matches, want[i].never, strlen(want[i].never)) != 0)
                fail_msg("%s: %s", r->name, r->never_matches);
        }
    }
    const struct conf_policy *alpha = conf_find_policy(c, "alpha");
    assert_int_equal(alpha->n_rules, 7);
    assert_string_equal(alpha->rules[6]->name, "a-shadowed");
    const struct conf_rule *every = alpha->rules[4];
    assert_string_equal(every->name, "a-everything");
    assert_int_equal(every->hours_start_min, 9 * 60);
    assert_int_equal(every->hours_end_min, 17 * 60 + 30);
    assert_int_equal(every->days, CONF_DAYS_WEEKDAYS);
    assert_int_equal(every->recurring, CONF_COND_YES);
    assert_int_equal(every->external, CONF_COND_NO);
    assert_int_equal(every->action, CONF_ACTION_BOOK);

    /* Subject conditions: substring, case-insensitive; or an extended regex. */
    const struct conf_rule *first = c->rules[0];
    assert_false(first->subject.is_regex);
    assert_true(policy_subject_matches(&(first)->subject, "Phone INTERVIEW with Sam"));
    assert_false(policy_subject_matches(&(first)->subject, "Intervie"));
    assert_false(policy_subject_matches(&(first)->subject, NULL));
    assert_true(every->subject.is_regex);
    assert_true(policy_subject_matches(&(every)->subject, "Weekly Sync"));
    assert_true(policy_subject_matches(&(every)->subject, "DAILY standup"));
    assert_true(policy_subject_matches(&(every)->subject, "daily stand-up"));
    assert_false(policy_subject_matches(&(every)->subject, "weekly sync notes"));
    assert_false(policy_subject_matches(&(every)->subject, "monthly sync"));
    assert_true(policy_subject_matches(&(c->rules[1])->subject, NULL));
    assert_true(policy_subject_matches(&(c->rules[1])->subject, "anything"));

    char *sum = summary_of(c);
    assert_non_null(strstr(sum, "[rule a-no-days]\n# defined at conf/rules.conf:30\n"
                                "# WARNING: never matches: days is empty\n"
                                "policy = alpha\ndays =\naction = book\n"));
    assert_non_null(strstr(sum, "[rule a-unconditional]\n# defined at conf/rules.conf:50\n"
                                "# no conditions: matches every request\n"));
    assert_non_null(strstr(sum, "# rules: a-first a-impossible-duration a-impossible-attendees "
                                "a-no-days a-everything a-unconditional a-shadowed\n"));
    assert_non_null(strstr(sum, "subject = /^(weekly|daily) (sync|stand-?up)$/\n"));
    assert_non_null(strstr(sum, "hours = 09:00-17:30\n"));
    assert_non_null(strstr(sum, "min_duration = 2h\nmax_duration = 1h30m\n"));
    free(sum);

    /* Every rule that cannot match is logged as a warning, with its place. */
    char *logpath = xasprintf("%s/warnings.log", tmpdir);
    int fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    unsetenv("JOURNAL_STREAM");
    log_init("test_conf", LOG_LEVEL_INFO, false);
    size_t n = conf_log_warnings(c);
    dup2(saved, STDERR_FILENO);
    close(saved);
    assert_int_equal(n, 6);
    char buf[4096];
    ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    assert_true(len > 0);
    buf[len] = '\0';
    assert_non_null(strstr(buf, "warning: conf/rules.conf:54: rule a-shadowed never matches: "
                                "shadowed by rule a-unconditional"));
    assert_non_null(strstr(buf, "rule g-external never matches: external = yes, but policy "
                                "gamma ignores external organizers"));
    free(logpath);
    conf_free(c);
}

/* Removes the lines starting with '#' in place. */
static void strip_hash_comments(char *s)
{
    char *out = s;
    bool at_line_start = true, skipping = false;
    for (const char *p = s; *p; p++) {
        if (at_line_start)
            skipping = *p == '#';
        if (!skipping)
            *out++ = *p;
        at_line_start = *p == '\n';
    }
    *out = '\0';
}

static void test_summary(void **state)
{
    (void)state;
    struct conf *c = load_full();
    char *sum = summary_of(c);
    /* Sections in order: server, daemon, mailboxes, policies, rules. */
    const char *order[] = {"\n[server]\n",         "\n[daemon]\n",      "\n[mailbox own]\n",
                           "\n[mailbox shared]\n", "\n[policy full]\n", "\n[rule every]\n"};
    size_t from = 0;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *at = strstr(sum + from, order[i]);
        if (at == NULL)
            fail_msg("%s missing or out of order in:\n%s", order[i], sum);
        from = (size_t)(at - sum) + 1;
    }
    assert_non_null(strstr(sum, "auth = negotiate\n"));
    assert_non_null(strstr(sum, "timeout = 2m30s\n"));
    assert_non_null(strstr(sum, "tls_verify = no\n"));
    assert_non_null(strstr(sum, "# reached by own credentials as room-1@example.com\n"));
    assert_non_null(strstr(sum, "# reached by impersonation as EXAMPLE\\svc\n"));
    assert_non_null(strstr(sum, "; poll_interval = 5m (from [daemon])\n"));
    assert_non_null(strstr(sum, "work_days = Tue-Thu,Sat\n"));
    assert_non_null(strstr(sum, "work_hours = 07:30-24:00\n"));
    assert_non_null(strstr(sum, "internal_domains = example.com, example.org\n"));
    assert_non_null(strstr(sum, "recurring = no\n"));
    assert_non_null(strstr(sum, "external = yes\n"));

    /* The summary is itself a valid configuration giving the same summary. */
    struct conf_error err;
    struct conf *again = load_text_as("full.conf", sum, &err);
    if (again == NULL)
        fail_msg("summary does not load: %s:%u: %s\n%s", err.file, err.line, err.message, sum);
    char *sum2 = summary_of(again);
    /* Only the "# defined at FILE:LINE" comments may differ. */
    strip_hash_comments(sum);
    strip_hash_comments(sum2);
    assert_string_equal(sum2, sum);
    free(sum2);
    conf_free(again);
    free(sum);
    conf_free(c);

    /* Long texts are wrapped over continuation lines and read back unchanged, even with
     * words that would read as a section or a comment at the start of a line: most words
     * here start with '[' or '#', so a careless wrap would hit one. */
    char *long_text = xstrdup("Rules");
    char *cfg = xstrdup("[server]\nurl = https://x.example/EWS\n[policy p]\n"
                        "response_message = Rules\n");
    for (int i = 0; i < 12; i++) {
        char *t = xasprintf("%s word%d #tag%d [box%d]", long_text, i, i, i);
        free(long_text);
        long_text = t;
        t = xasprintf("%s  word%d #tag%d [box%d]\n", cfg, i, i, i);
        free(cfg);
        cfg = t;
    }
    c = load_text(cfg, &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    assert_string_equal(c->policies[0]->response_message, long_text);
    sum = summary_of(c);
    assert_null(strstr(sum, long_text)); /* wrapped, not on one line */
    again = load_text_as("again.conf", sum, &err);
    if (again == NULL)
        fail_msg("summary does not load: %s:%u: %s\n%s", err.file, err.line, err.message, sum);
    assert_string_equal(again->policies[0]->response_message, long_text);
    conf_free(again);
    free(sum);
    conf_free(c);
    free(cfg);
    free(long_text);

    /* Same for the multi-line fixture (long lists are printed over several lines). */
    c = conf_load("conf/multiline.conf", &err);
    assert_non_null(c);
    sum = summary_of(c);
    assert_non_null(strstr(sum, "book_in_policy =\n    alice@example.com\n"));
    again = load_text_as("multiline.conf", sum, &err);
    if (again == NULL)
        fail_msg("summary does not load: %s:%u: %s\n%s", err.file, err.line, err.message, sum);
    assert_list(&again->policies[0]->book_in_policy,
                (const char *const *)c->policies[0]->book_in_policy.v,
                c->policies[0]->book_in_policy.n);
    conf_free(again);
    free(sum);
    conf_free(c);
}

/* ---- the shipped examples --------------------------------------------------------------- */

static char *source_path(const char *rel)
{
    const char *src = getenv("MEETINGD_SOURCE_DIR");
    return xasprintf("%s/%s", src && *src ? src : "../..", rel);
}

static void test_example_main(void **state)
{
    (void)state;
    char *creds = make_dir("excreds");
    char *pw = put_file(creds, "ews-password", SECRET "\n", 0644);
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    char *path = source_path("conf/meetingd.conf.example");
    struct conf_error err;
    struct conf *c = conf_load(path, &err);
    unsetenv("CREDENTIALS_DIRECTORY");
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    assert_int_equal(c->server.auth, CONF_AUTH_NTLM);
    assert_true(c->server.impersonation);
    assert_string_equal(c->server.password, SECRET);
    assert_int_equal(c->n_mailboxes, 2);
    assert_int_equal(c->mailboxes[0]->access, CONF_ACCESS_IMPERSONATE);
    const struct conf_policy *room = conf_find_policy(c, "meeting-room");
    assert_non_null(room);
    assert_int_equal(room->request_out_of_policy.n, 3);
    assert_string_equal(room->time_zone, "Europe/Berlin");
    const struct conf_policy *board = conf_find_policy(c, "boardroom");
    assert_string_equal(board->additional_response,
                        "The boardroom is booked by the board's assistants; they will confirm "
                        "your request shortly.");
    assert_int_equal(c->n_rules, 3);
    assert_int_equal(room->n_rules, 3);
    for (size_t i = 0; i < c->n_rules; i++)
        assert_null(c->rules[i]->never_matches);
    conf_free(c);

    /* It documents every key: "key =" (commented out or not) for sections' keys, and at
     * least a mention for rule keys. */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = xmalloc(65536);
    size_t len = fread(text, 1, 65535, f);
    text[len] = '\0';
    fclose(f);
    char *keys = keys_text();
    const char *rule_section = strstr(keys, "### [rule NAME]");
    assert_non_null(rule_section);
    for (const char *p = keys; (p = strstr(p, "\n| `")) != NULL; p++) {
        char name[64];
        assert_int_equal(sscanf(p, "\n| `%63[a-z_]`", name), 1);
        char *a = xasprintf("\n%s =", name), *b = xasprintf("\n#%s =", name);
        bool documented = p > rule_section ? strstr(text, name) != NULL
                                           : strstr(text, a) != NULL || strstr(text, b) != NULL;
        if (!documented)
            fail_msg("meetingd.conf.example does not document %s", name);
        free(a);
        free(b);
    }
    free(keys);
    free(text);
    free(path);
    free(pw);
    free(creds);
}

static void test_example_room(void **state)
{
    (void)state;
    char *srv = server_section();
    char *dir = make_dir("conf.d");
    char *room = source_path("conf/room.conf.example");
    char *abs = realpath(room, NULL);
    assert_non_null(abs);
    char *link = xasprintf("%s/20-room.conf", dir);
    assert_int_equal(symlink(abs, link), 0);
    char *text = xasprintf("%s[daemon]\ninclude_dir = conf.d\n", srv);
    struct conf_error err;
    struct conf *c = load_text(text, &err);
    if (c == NULL)
        fail_msg("%s:%u: %s", err.file, err.line, err.message);
    assert_int_equal(c->n_mailboxes, 1);
    const struct conf_mailbox *m = c->mailboxes[0];
    assert_string_equal(m->address, "room-2.14@example.com");
    assert_int_equal(m->access, CONF_ACCESS_DELEGATE);
    const struct conf_policy *p = m->policy;
    assert_string_equal(p->name, "room-2-14");
    assert_int_equal(p->capacity, 10);
    assert_true(p->enforce_capacity);
    assert_int_equal(p->max_duration_minutes, 240);
    assert_int_equal(p->booking_window_days, 90);
    assert_true(p->schedule_only_during_work_hours);
    assert_int_equal(p->work_start_min, 7 * 60);
    assert_int_equal(p->work_end_min, 20 * 60);
    assert_false(p->all_book_in_policy);
    assert_list(&p->book_in_policy, (const char *[]){"@example.com"}, 1);
    assert_false(p->delete_subject);
    assert_int_equal(p->n_rules, 2);
    assert_int_equal(p->rules[0]->action, CONF_ACTION_REQUEST);
    assert_int_equal(p->rules[1]->action, CONF_ACTION_DECLINE);
    assert_int_equal(p->rules[1]->n_conditions, 2);
    conf_free(c);
    free(text);
    free(link);
    free(abs);
    free(room);
    free(dir);
    free(srv);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(conf_access_name(CONF_ACCESS_IMPERSONATE), "impersonation");
}

/* ---- every error of a file, UTF-8, bounded lines, restart-only keys ---------------------- */

static void test_all_errors_reported(void **state)
{
    (void)state;
    /* Four mistakes in different places: each is reported with its line, in file order, and
     * the keys under a refused section header add no errors of their own. */
    struct conf_error err;
    struct conf *c = load_text("[server]\n"                    /* 1 */
                               "url = https://x.example/EWS\n" /* 2 */
                               "timeout = soon\n"              /* 3 */
                               "[daemon]\n"                    /* 4 */
                               "max_concurrent_requests = 0\n" /* 5 */
                               "[bogus]\n"                     /* 6 */
                               "whatever = 1\n"                /* 7 */
                               "[policy p]\n"                  /* 8 */
                               "automate = sometimes\n"        /* 9 */
                               "just words\n",                 /* 10 */
                               &err);
    assert_null(c);
    assert_int_equal(err.count, 5);
    assert_int_equal(err.line, 3);
    char *printed = error_text(&err);
    char *want = xasprintf(
        "%1$s/main.conf:3: timeout: bad duration 'soon' (examples: 90, 30s, 5m, 2h, 1d, 1h30m)\n"
        "%1$s/main.conf:5: max_concurrent_requests: 0 is out of range (1..256)\n"
        "%1$s/main.conf:6: unknown section [bogus] (allowed: [server], [daemon], [mailbox "
        "NAME], [policy NAME], [rule NAME])\n"
        "%1$s/main.conf:9: automate: bad value 'sometimes' (allowed: auto_accept, auto_update, "
        "none, accept, tentative, decline, accept_if_free)\n",
        tmpdir);
    /* The syntax error on line 10 is the fifth. */
    assert_true(strncmp(printed, want, strlen(want)) == 0);
    free(want);
    free(printed);

    /* Many errors: the count is exact even when not all fit in the struct. */
    char *text = xstrdup("[server]\nurl = https://x.example/EWS\n[daemon]\n");
    for (int i = 0; i < 200; i++) {
        char *more = xasprintf("%spoll_interval%d = 1s\n", text, i);
        free(text);
        text = more;
    }
    c = load_text(text, &err);
    free(text);
    assert_null(c);
    assert_int_equal(err.count, 200);
    printed = error_text(&err);
    assert_non_null(strstr(printed, "more errors not shown\n"));
    free(printed);
}

static void test_utf8(void **state)
{
    (void)state;
    struct conf_error err;
    /* Latin-1 "Grüße" in a text value, an overlong '/' and a lone continuation byte in a
     * comment: every one is refused at its line. */
    struct conf *c = load_text("[server]\nurl = https://x.example/EWS\n[policy p]\n"
                               "response_message = Gr\xfc\xdf"
                               "e\n"
                               "# \xc0\xaf\n"
                               "# \x80\n"
                               "additional_response = ok \xe2\x82\xac\n",
                               &err);
    assert_null(c);
    assert_int_equal(err.count, 3);
    assert_int_equal(err.line, 4);
    assert_string_equal(err.message, "not valid UTF-8");
    char *printed = error_text(&err);
    char *want = xasprintf("%1$s/main.conf:4: not valid UTF-8\n%1$s/main.conf:5: not valid "
                           "UTF-8\n%1$s/main.conf:6: not valid UTF-8\n",
                           tmpdir);
    assert_string_equal(printed, want);
    free(want);
    free(printed);

    /* Valid UTF-8 (a BOM, the euro sign, a four-byte character) loads. */
    c = load_text("\xef\xbb\xbf[server]\nurl = https://x.example/EWS\n[policy p]\n"
                  "response_message = 10 \xe2\x82\xac \xf0\x9f\x93\x85\n",
                  &err);
    assert_non_null(c);
    assert_string_equal(c->policies[0]->response_message, "10 \xe2\x82\xac \xf0\x9f\x93\x85");
    conf_free(c);

    /* The validator itself: surrogates, above U+10FFFF, truncated sequences. */
    assert_true(util_utf8_valid("\xed\x9f\xbf", 3));
    assert_false(util_utf8_valid("\xed\xa0\x80", 3));
    assert_true(util_utf8_valid("\xf4\x8f\xbf\xbf", 4));
    assert_false(util_utf8_valid("\xf4\x90\x80\x80", 4));
    assert_false(util_utf8_valid("\xe2\x82", 2));
    assert_false(util_utf8_valid("\xe0\x80\xaf", 3));
}

static long max_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void test_long_line_bounded(void **state)
{
    (void)state;
    /* A 64 MiB value line and a 64 MiB comment: the value line is refused at its line, the
     * comment is accepted, and neither is held in memory (the peak grows by far less). */
    char *path = xasprintf("%s/main.conf", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[server]\nurl = https://x.example/EWS\n[policy p]\nresponse_message = ", f);
    char chunk[4096];
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 16384; i++)
        fwrite(chunk, 1, sizeof(chunk), f);
    fputs("\n# ", f);
    for (int i = 0; i < 16384; i++)
        fwrite(chunk, 1, sizeof(chunk), f);
    fputs("\nautomate = sometimes\n", f);
    fclose(f);
    long before = max_rss_kib();
    struct conf_error err;
    assert_null(conf_load(path, &err));
    long after = max_rss_kib();
    assert_int_equal(err.count, 2);
    assert_int_equal(err.line, 4);
    assert_true(strncmp(err.message, "line is too long", 16) == 0);
    assert_non_null(strstr(err.others, "main.conf:6: automate: bad value"));
    if (after - before > 8 * 1024)
        fail_msg("loading grew the peak RSS by %ld KiB", after - before);
    unlink(path);
    free(path);
}

static void test_restart_changes(void **state)
{
    (void)state;
    struct conf_error err;
    struct conf *a = load_text("[server]\nurl = https://x.example/EWS\n", &err);
    struct conf *b = load_text("[server]\nurl = https://y.example/EWS\ntimeout = 5s\n"
                               "tls_verify = no\n[daemon]\nstate_dir = /srv/m\nlog_level = debug\n",
                               &err);
    assert_non_null(a);
    assert_non_null(b);
    char buf[256];
    /* url and log_level take effect at once; the other three wait for a restart. */
    assert_int_equal(conf_restart_changes(a, b, buf, sizeof(buf)), 3);
    assert_string_equal(buf, "timeout, tls_verify, state_dir");
    assert_int_equal(conf_restart_changes(a, a, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    conf_free(a);
    conf_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_multiline),
        cmocka_unit_test(test_syntax_variants),
        cmocka_unit_test(test_bad_fixtures),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_credentials_errors),
        cmocka_unit_test(test_password_permissions),
        cmocka_unit_test(test_secrets_never_shown),
        cmocka_unit_test(test_include_dir),
        cmocka_unit_test(test_include_errors),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_example_main),
        cmocka_unit_test(test_example_room),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_long_line_bounded),
        cmocka_unit_test(test_restart_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
