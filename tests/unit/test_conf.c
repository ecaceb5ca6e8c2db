/*
 * Unit tests of conf: every key's default and happy path, every class of error with its
 * FILE:LINE, multi-line lists, include_dir, secrets and their permissions, the summary and
 * the key table, and the example configurations shipped in conf/.
 *
 * Run from tests/unit (ctest's working directory): the fixtures are under conf/.
 * conf/bad/*.conf each start with "# expect LINE: message" naming the error they must give.
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
#include "log.h"
#include "util.h"

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
    char *path = xasprintf("%s/%s", dir ? dir : tmpdir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t len = strlen(data);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
    return path;
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

static char *summary_of(const struct conf *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_print_summary(c, f);
    fclose(f);
    return buf;
}

static char *error_text(const struct conf_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_error_print(err, f);
    fclose(f);
    return buf;
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
        fail_msg("got %s:%u: %s\nwant %s:%u: ...%s...", err.file, err.line, err.message,
                 want_file, line, msg);
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
    assert_int_equal(s->line, 1);

    const struct conf_daemon *d = &c->daemon;
    assert_int_equal(d->poll_interval_s, 60);
    assert_int_equal(d->max_concurrent_requests, 8);
    assert_string_equal(d->state_dir, "/var/lib/meetingd");
    assert_int_equal(d->log_level, LOG_LEVEL_INFO);
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
                               "url = https://mail.example.com/EWS/Exchange.asmx\n"
                               "auth = negotiate\n"
                               "username = EXAMPLE\\svc\n"
                               "password_file = %s/server.pw\n"
                               "impersonation = yes\n"
                               "server_version = V2016_07_13\n"
                               "timeout = 2m30s\n"
                               "ca_file = ca.pem\n"
                               "tls_verify = off\n"
                               "[daemon]\n"
                               "poll_interval = 5m\n"
                               "max_concurrent_requests = 256\n"
                               "state_dir = /srv/meetingd\n"
                               "log_level = debug\n"
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
    char *text = xasprintf(full_fmt, tmpdir);
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

    const struct conf_daemon *d = &c->daemon;
    assert_int_equal(d->poll_interval_s, 300);
    assert_int_equal(d->max_concurrent_requests, 256);
    assert_string_equal(d->state_dir, "/srv/meetingd");
    assert_int_equal(d->log_level, LOG_LEVEL_DEBUG);
    path = xasprintf("%s/inc", tmpdir);
    assert_string_equal(d->include_dir, path);
    free(path);
    assert_int_equal(d->line, 11);

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
    assert_true(conf_rule_subject_matches(r, "Standup daily"));
    assert_false(conf_rule_subject_matches(r, "daily standup"));
    conf_free(c);
}

/* Every key of the table appears in full_fmt (so test_every_key covers it) and vice versa. */
static void test_key_table(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    conf_print_keys(f);
    fclose(f);
    assert_non_null(strstr(buf, "### [server]"));
    assert_non_null(strstr(buf, "### [rule NAME]"));
    assert_non_null(strstr(buf, "| `url` | URL | (required) |"));
    assert_non_null(strstr(buf, "| `poll_interval` | duration 1s..1d | 60s |"));
    assert_non_null(strstr(buf, "| `auth` | basic \\| ntlm \\| negotiate | basic |"));
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
    assert_int_equal(rows, 76);
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
        if (strcmp(err.file, path) != 0 || err.line != line || strncmp(err.message, msg, strlen(msg)) != 0)
            fail_msg("%s: got %s:%u: %s\nwant line %u: %s", path, err.file, err.line,
                     err.message, line, msg);
        /* conf_error_print writes FILE:LINE: message. */
        char *printed = error_text(&err);
        char *want = line ? xasprintf("%s:%u: %s\n", path, line, err.message)
                          : xasprintf("%s: %s\n", path, err.message);
        assert_string_equal(printed, want);
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
    expect_error(text, 9, "username and password_file must be given together "
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

    char *dir = make_dir("inc.d");
    char *inner = put_file(dir, "a.conf", "[daemon]\ninclude_dir = /etc\n", 0644);
    assert_null(load_text("[server]\nurl = https://x.example/EWS\n[daemon]\ninclude_dir = inc.d\n",
                          &err));
    assert_string_equal(err.file, inner);
    assert_int_equal(err.line, 1);
    assert_string_equal(err.message, "duplicate section [daemon] (first defined at ");
    free(inner);
    (void)0;
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
