/*
 * meetingd: answers meeting requests on Exchange mailboxes by policy.
 *
 * Start-up, signals, reload and shutdown; the work itself is in mailbox.c. One libev loop
 * drives everything: a timer per mailbox, libcurl's sockets, the signals, the watchdog.
 */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sysexits.h>
#include <unistd.h>

#include "backoff.h"
#include "conf.h"
#include "conf_async.h"
#include "confref.h"
#include "graph_backend.h"
#include "ews_backend.h"
#include "ews_listen.h"
#include "group_cache.h"
#include "http.h"
#include "krb5env.h"
#include "log.h"
#include "mailbox.h"
#include "metrics.h"
#include "metrics_http.h"
#include "history.h"
#include "oauth2.h"
#include "pollgate.h"
#include "record.h"
#include "sdnotify.h"
#include "stream_farewell.h"
#include "util.h"

/* uthash's default on a failed allocation is exit(-1); the rest of meetingd aborts. */
#define uthash_fatal(msg) abort()
#include <uthash.h>

/* sysexits.h's EX_CANTCREAT: the state directory cannot be written. */
#define EXIT_CANTCREAT 73

/* A running mailbox, found by its name (one instance a name: a mailbox a reload added back
 * while its old instance winds down is started when that one has finished). */
struct running_mailbox {
    struct mailbox *m;
    UT_hash_handle hh; /* keyed by mailbox_name(m) */
};

/* Polls running at once, per request the HTTP client may have in flight: a poll spends part
 * of its time between two requests, and the client's slots stay busy meanwhile. */
#define POLLS_PER_REQUEST_SLOT 2

struct daemon {
    struct ev_loop *loop;
    const char *conf_path;
    struct confref *conf;
    struct http_client *http;
    struct backoff *backoff;    /* pauses the mailboxes share */
    struct group_cache *groups; /* distribution groups the mailboxes share */
    struct record *record;
    struct metrics_http *metrics_http; /* NULL: metrics_listen off */
    struct running_mailbox *mailboxes; /* by name, in the order they started */
    size_t n_mailboxes;
    struct mailbox_totals totals; /* the status line's sums, kept by the mailboxes */
    struct pollgate gate;         /* caps the polls running at once */
    struct conf_async *reader;    /* reads the configuration for a reload; NULL before one */
    bool once;
    bool dry_run;
    bool stopping;
    bool hurry;                               /* a second stop signal: nothing more is waited for */
    unsigned failed;                          /* --once: mailboxes that gave up */
    unsigned failed_auth, failed_unreachable; /* ... refused credentials, no connection */
    unsigned finished;
    enum log_level cli_level; /* -v / -q override the configured level */
    bool cli_level_set;
    ev_signal sigterm, sigint, sighup;
    ev_timer watchdog;
    ev_timer ready;
    ev_timer deadline;    /* --once: once_deadline, then a short grace for answers in flight */
    bool deadline_passed; /* --once ran out of time: something was left undone */
    int state_lock;       /* descriptor holding the state directory's lock, -1 before */
};

#define EXIT_TEMPFAIL 75 /* EX_TEMPFAIL: another meetingd holds the state directory */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: meetingd [-c FILE] [--once] [--dry-run] [--check-config] [-v|-q] [--version]\n"
            "       meetingd [-c FILE] --history [--mailbox NAME] [--organizer ADDRESS]\n"
            "                [--since WHEN] [--until WHEN] [--json]\n"
            "\n"
            "  -c, --config FILE   configuration file (default " CONF_DEFAULT_PATH ")\n"
            "      --once          process every mailbox until nothing is left to do, then exit\n"
            "                      (0: all done, 77: credentials refused, 69: server\n"
            "                      unreachable, 1: a mailbox failed otherwise)\n"
            "  -n, --dry-run       decide and log, but change nothing on the server\n"
            "      --check-config  validate the configuration, print a summary, exit 0 or 78\n"
            "      --history       print the decision record (why was a booking declined?)\n"
            "      --mailbox NAME, --organizer ADDRESS, --since WHEN, --until WHEN   filter\n"
            "                      --history; WHEN: today, yesterday, -2h, 2026-12-01,\n"
            "                      \"2026-12-01 09:30\", 2026-12-01T09:30:00Z\n"
            "      --json          --history as JSON Lines (one recorded object a line)\n"
            "      --keys          print every configuration key with its default\n"
            "  -v, --verbose       log debug messages\n"
            "  -q, --quiet         log warnings and errors only\n"
            "  -V, --version       print the version\n");
}

/* ---- decisions ------------------------------------------------------------------------ */

static void on_decision(const struct policy_event *d, void *userdata)
{
    struct daemon *dm = userdata;
    log_decision(d, dm->dry_run);
    /* A failed append is logged once by the record and kept to be written later. */
    if (dm->record)
        (void)record_append(dm->record, d, dm->dry_run);
    /* A cancellation's record is not a decision on a request, and a settling record does not
     * count the decision twice. */
    if (d->action == NULL && !d->settles)
        metrics_decision(d->mailbox, d->result->decision, d->outcome, time(NULL));
    else if (d->settles && d->action == NULL && strcmp(d->outcome, "sent") == 0)
        metrics_answer_settled(d->mailbox, d->result->decision);
}

static bool can_record(void *userdata)
{
    struct daemon *dm = userdata;
    return record_writable(dm->record);
}

/* The records of one batch of decisions go out in one write and one disk flush. */
static void on_decision_group(bool begin, void *userdata)
{
    struct daemon *dm = userdata;
    if (begin)
        record_group_begin(dm->record);
    else /* a failure is logged once by the record, and its lines kept to be written later */
        (void)record_group_end(dm->record);
}

/* ---- mailboxes ------------------------------------------------------------------------ */

static void status_update(struct daemon *dm)
{
    sdnotify_status("%zu mailbox(es), %u answered, %u failing", dm->n_mailboxes,
                    dm->totals.answered, dm->totals.failing);
}

static void on_poll(struct mailbox *m, bool ok, void *userdata)
{
    struct daemon *dm = userdata;
    metrics_poll(mailbox_name(m), ok, mailbox_stats(m)->consecutive_failures, util_now());
    record_check(dm->record); /* a removed state directory is reported now, not at restart */
    status_update(dm);
}

static struct running_mailbox *find_running(struct daemon *dm, const char *name)
{
    struct running_mailbox *r = NULL;
    HASH_FIND_STR(dm->mailboxes, name, r);
    return r;
}

static void remove_mailbox(struct daemon *dm, struct mailbox *m)
{
    struct running_mailbox *r = find_running(dm, mailbox_name(m));
    if (r != NULL && r->m == m) {
        HASH_DEL(dm->mailboxes, r);
        free(r);
        dm->n_mailboxes--;
    }
    metrics_mailbox_remove(mailbox_name(m));
    mailbox_free(m);
}

static int add_mailbox(struct daemon *dm, const char *name);

static void on_finished(struct mailbox *m, bool failed, void *userdata)
{
    struct daemon *dm = userdata;
    dm->finished++;
    if (failed) {
        dm->failed++;
        dm->failed_auth += mailbox_failure(m) == MAILBOX_FAIL_AUTH;
        dm->failed_unreachable += mailbox_failure(m) == MAILBOX_FAIL_UNREACHABLE;
    }
    if (dm->stopping || dm->once) {
        if (dm->finished >= dm->n_mailboxes)
            ev_break(dm->loop, EVBREAK_ALL);
        return;
    }
    /* Not stopping and not --once: a mailbox removed by a reload has wound down. A later
     * reload may have added it back while it did (find_mailbox still saw this instance):
     * then a fresh one takes over. */
    dm->finished--;
    char *name = xstrdup(mailbox_name(m));
    remove_mailbox(dm, m);
    if (conf_find_mailbox(dm->conf->conf, name) != NULL)
        add_mailbox(dm, name);
    free(name);
}

static int add_mailbox(struct daemon *dm, const char *name)
{
    struct mailbox_env env = {
        .loop = dm->loop,
        .open_backend = backend_open_by_protocol,
        .backend_userdata = dm->http,
        .backoff = dm->backoff,
        .groups = dm->groups,
        .dry_run = dm->dry_run,
        .once = dm->once,
        .on_decision = on_decision,
        .can_record = can_record,
        .on_finished = on_finished,
        .on_poll = on_poll,
        .on_decision_group = on_decision_group,
        .userdata = dm,
        .totals = &dm->totals,
        .gate = &dm->gate,
    };
    char err[512];
    struct mailbox *m = mailbox_new(&env, dm->conf, name, err, sizeof(err));
    if (m == NULL) {
        log_error("mailbox %s: %s", name, err);
        return -1;
    }
    struct running_mailbox *r = xcalloc(1, sizeof(*r));
    r->m = m;
    const char *key = mailbox_name(m);
    HASH_ADD_KEYPTR(hh, dm->mailboxes, key, strlen(key), r);
    dm->n_mailboxes++;
    metrics_mailbox_add(name);
    mailbox_start(m);
    return 0;
}

/* ---- metrics ------------------------------------------------------------------------- */

static char *render_metrics(void *userdata)
{
    struct daemon *dm = userdata;
    metrics_set_queue(http_queued(dm->http), http_in_flight(dm->http));
    return metrics_render();
}

/* Without its metrics page the daemon still answers meetings: a failed bind is logged, and a
 * scraping Prometheus sees the target down. */
static void start_metrics(struct daemon *dm, const char *listen)
{
    metrics_init(time(NULL));
    if (listen == NULL)
        return;
    char err[256];
    dm->metrics_http = metrics_http_new(dm->loop, listen, render_metrics, dm, err, sizeof(err));
    if (dm->metrics_http == NULL) {
        log_error("metrics_listen %s: %s; running without metrics", listen, err);
        return;
    }
    struct sockaddr_storage addr;
    socklen_t len;
    if (metrics_http_parse_listen(listen, &addr, &len, err, sizeof(err)) == 0 &&
        !metrics_http_is_loopback(&addr))
        log_warn("metrics_listen %s is not a loopback address: anyone who reaches it reads the "
                 "mailbox names and counters",
                 listen);
    log_notice("metrics at http://%s/metrics", metrics_http_address(dm->metrics_http));
}

/* ---- configuration -------------------------------------------------------------------- */

static void apply_log_level(const struct daemon *dm, const struct conf *conf)
{
    log_set_level(dm->cli_level_set ? dm->cli_level : conf->daemon.log_level);
}

static void warn_insecure(const struct conf *conf)
{
    if (!conf->server.tls_verify)
        log_warn("tls_verify = no: the server's certificate is NOT checked; anyone on the path "
                 "can read the credentials");
    const char *url =
        conf->server.protocol == CONF_PROTOCOL_GRAPH ? conf->server.graph_url : conf->server.url;
    if (url != NULL && strncmp(url, "http://", 7) == 0)
        log_warn("server url %s is plain http: credentials travel unencrypted", url);
}

static void dispose_conf(struct conf *conf, void *userdata)
{
    conf_async_dispose(userdata, conf);
}

/* The configuration a reload read (off the loop, SECONDS long) takes over, or ERR says why
 * it does not. */
static void on_reloaded(struct conf *fresh, const struct conf_error *cerr, double seconds,
                        void *userdata)
{
    struct daemon *dm = userdata;
    uint64_t started = util_monotonic_ms();
    if (dm->stopping) {
        conf_free(fresh);
        return;
    }
    if (fresh == NULL) {
        log_error("reload failed, keeping the running configuration: %s:%u: %s%s", cerr->file,
                  cerr->line, cerr->message,
                  cerr->count > 1 ? " (and more errors: meetingd --check-config lists them)" : "");
        sdnotify_ready();
        return;
    }
    char changed[256];
    size_t n_changed = conf_restart_changes(dm->conf->conf, fresh, changed, sizeof(changed));
    if (n_changed > 0)
        log_warn("reload: %s %s effect at the next restart (until then the running value%s "
                 "stay%s)",
                 changed, n_changed > 1 ? "take" : "takes", n_changed > 1 ? "s" : "",
                 n_changed > 1 ? "" : "s");
    struct confref *old = dm->conf;
    /* Freed on the reader's side once its last poll ended (never the current one: the
     * reader is gone before that is freed at exit). */
    old->dispose = dispose_conf;
    old->dispose_data = dm->reader;
    dm->conf = confref_new_take(fresh);
    apply_log_level(dm, fresh);
    warn_insecure(fresh);

    /* Mailboxes that went away wind down; kept ones take the new configuration at their next
     * poll; new ones start. Both lookups are by hash: a reload of many mailboxes costs time
     * linear in their number. */
    struct running_mailbox *r, *tmp;
    HASH_ITER(hh, dm->mailboxes, r, tmp)
    {
        struct mailbox *m = r->m;
        if (conf_find_mailbox(fresh, mailbox_name(m)) != NULL) {
            mailbox_reconfigure(m, dm->conf);
            continue;
        }
        log_notice("reload: mailbox %s removed", mailbox_name(m));
        mailbox_stop(m); /* may free it (and R) through on_finished */
    }
    for (size_t i = 0; i < fresh->n_mailboxes; i++) {
        if (find_running(dm, fresh->mailboxes[i]->name) == NULL) {
            log_notice("reload: mailbox %s added", fresh->mailboxes[i]->name);
            add_mailbox(dm, fresh->mailboxes[i]->name);
        }
    }
    confref_put(old);
    log_notice("configuration reloaded: %zu mailbox(es) (read in %.0f ms off the loop, applied "
               "in %.0f ms)",
               fresh->n_mailboxes, seconds * 1000.0, (double)(util_monotonic_ms() - started));
    sdnotify_ready();
}

static void reload(struct daemon *dm)
{
    sdnotify_reloading();
    if (dm->reader == NULL)
        dm->reader = conf_async_new(dm->loop, dm->conf_path, on_reloaded, dm);
    if (conf_async_request(dm->reader))
        return;
    log_warn_errno(errno, "reload: cannot start a thread to read the configuration; reading it "
                          "on the event loop");
    uint64_t started = util_monotonic_ms();
    struct conf_error cerr;
    struct conf *fresh = conf_load(dm->conf_path, &cerr);
    on_reloaded(fresh, &cerr, (double)(util_monotonic_ms() - started) / 1000.0, dm);
}

/* ---- signals and timers --------------------------------------------------------------- */

static void begin_stop(struct daemon *dm)
{
    if (dm->stopping) {
        log_warn("second stop signal: exiting without waiting for answers in flight");
        dm->hurry = true;
        ev_break(dm->loop, EVBREAK_ALL);
        return;
    }
    dm->stopping = true;
    sdnotify_stopping();
    log_notice("stopping: letting answers in flight finish");
    /* Mailboxes already finished (--once) are counted in dm->finished and ignore the stop;
     * the others report through on_finished, the last one ending the loop. */
    if (dm->finished >= dm->n_mailboxes) {
        ev_break(dm->loop, EVBREAK_ALL);
        return;
    }
    struct running_mailbox *r, *tmp;
    HASH_ITER(hh, dm->mailboxes, r, tmp)
    mailbox_stop(r->m);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    struct daemon *dm = w->data;
    if (w->signum == SIGHUP) {
        if (!dm->stopping)
            reload(dm);
        return;
    }
    begin_stop(dm);
}

#define ONCE_GRACE_S 5.0 /* after the deadline, for answers in flight to come back */

/* --once ran out of time (a server that answers a byte a second must not hold it for
 * ever): stop like SIGTERM, then, after a short grace, stop waiting. An answer cut off in
 * flight keeps its ledger intent, settled by the next run. */
static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct daemon *dm = w->data;
    if (dm->deadline_passed) {
        log_error("--once: answers in flight did not come back within %.0f s; exiting",
                  ONCE_GRACE_S);
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    dm->deadline_passed = true;
    log_error("--once: once_deadline (%u s) passed with work left undone; stopping",
              dm->conf->conf->daemon.once_deadline_s);
    ev_timer_set(w, ONCE_GRACE_S, 0.0);
    ev_timer_start(loop, w);
    begin_stop(dm);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    sdnotify_watchdog();
}

static void on_ready(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    sdnotify_ready();
}

/* ---- main ----------------------------------------------------------------------------- */

/* Configuration errors keep their FILE:LINE: form; in the journal each line also carries the
 * error priority, like everything else meetingd writes there (ExecStartPre's check included). */
static void print_conf_error(const struct conf_error *cerr)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = log_to_journal() ? open_memstream(&text, &len) : NULL;
    if (mem == NULL) {
        conf_error_print(cerr, stderr);
        return;
    }
    conf_error_print(cerr, mem);
    fclose(mem);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        log_error("%s", line);
    free(text);
}

/* Each mailbox keeps its ledger open and each request in flight holds a socket, so a daemon
 * for a thousand mailboxes needs more than the usual soft limit of 1024 descriptors: take
 * what the hard limit allows. */
static void raise_fd_limit(size_t n_mailboxes)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_warn_errno(errno, "cannot raise the open file limit");
    else if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n_mailboxes + 64)
        log_warn("open file limit %llu is low for %zu mailboxes (set LimitNOFILE=)",
                 (unsigned long long)rl.rlim_cur, n_mailboxes);
}

/* One meetingd per state directory: a second one (or a --once beside the daemon) would
 * answer the same requests again from its own view of the ledgers. The flock is the kernel's,
 * so it goes away with the process however it ends; the PID in the file is for the message. */
static int lock_state_dir(struct daemon *dm, const char *state_dir)
{
    char *path = xasprintf("%s/meetingd.lock", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        log_error_errno(errno,
                        "no mailbox could start: the state directory %s is not usable "
                        "(cannot open its lock file)",
                        state_dir);
        free(path);
        return EXIT_CANTCREAT;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char pid[24] = "";
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? strcspn(pid, "\n") : 0] = '\0';
        if (err == EWOULDBLOCK)
            log_error("state directory %s is in use by another meetingd%s%s%s; stop it first "
                      "(one meetingd per state directory)",
                      state_dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
        else
            log_error_errno(err, "cannot lock %s", path);
        close(fd);
        free(path);
        return err == EWOULDBLOCK ? EXIT_TEMPFAIL : EXIT_FAILURE;
    }
    char pid[24];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        log_warn_errno(errno, "cannot write the pid into %s", path);
    free(path);
    dm->state_lock = fd;
    return 0;
}

static int run(struct daemon *dm)
{
    const struct conf *conf = dm->conf->conf;
    struct http_client_options hopts = {
        .max_concurrent = conf->daemon.max_concurrent_requests,
        .timeout_s = conf->server.timeout_s,
        .tls_insecure = !conf->server.tls_verify,
        .ca_file = conf->server.ca_file,
    };
    dm->loop = ev_default_loop(EVFLAG_AUTO);
    dm->http = http_client_new(dm->loop, &hopts);
    if (dm->http == NULL) {
        log_error("cannot create the HTTP client");
        return EXIT_FAILURE;
    }
    struct backoff_options bopts;
    backoff_options_default(&bopts, dm->once);
    bopts.credentials_base_s = conf->daemon.auth_retry_s;
    bopts.credentials_max_s = 30.0 * conf->daemon.auth_retry_s;
    dm->backoff = backoff_new(&bopts);
    pollgate_init(&dm->gate, POLLS_PER_REQUEST_SLOT * conf->daemon.max_concurrent_requests);
    dm->groups = group_cache_new();
    char err[512];
    /* The mailboxes create the state directory too, but the record is opened first: without
     * this the very first run (no systemd StateDirectory=) would lose its decisions. */
    if (mkdir(conf->daemon.state_dir, 0700) != 0 && errno != EEXIST)
        log_warn("cannot create state directory %s: %s", conf->daemon.state_dir, strerror(errno));
    int locked = lock_state_dir(dm, conf->daemon.state_dir);
    if (locked != 0) {
        http_client_free(dm->http);
        backoff_free(dm->backoff);
        group_cache_free(dm->groups);
        ev_loop_destroy(dm->loop);
        return locked;
    }
    char *record_path = xasprintf("%s/decisions.jsonl", conf->daemon.state_dir);
    dm->record = record_open(record_path, err, sizeof(err));
    free(record_path);
    if (dm->record == NULL)
        log_warn("decision record unavailable: %s", err);
    record_set_limits(dm->record, conf->daemon.record_retention_s, 0);

    ev_signal_init(&dm->sigterm, on_signal, SIGTERM);
    ev_signal_init(&dm->sigint, on_signal, SIGINT);
    ev_signal_init(&dm->sighup, on_signal, SIGHUP);
    dm->sigterm.data = dm->sigint.data = dm->sighup.data = dm;
    ev_signal_start(dm->loop, &dm->sigterm);
    ev_signal_start(dm->loop, &dm->sigint);
    ev_signal_start(dm->loop, &dm->sighup);

    double wd;
    if (sdnotify_watchdog_interval(&wd)) {
        ev_timer_init(&dm->watchdog, on_watchdog, wd / 2.0, wd / 2.0);
        ev_timer_start(dm->loop, &dm->watchdog);
    }
    ev_timer_init(&dm->ready, on_ready, 0.0, 0.0);
    ev_timer_start(dm->loop, &dm->ready);
    ev_timer_init(&dm->deadline, on_deadline, conf->daemon.once_deadline_s, 0.0);
    dm->deadline.data = dm;
    if (dm->once)
        ev_timer_start(dm->loop, &dm->deadline);

    start_metrics(dm, conf->daemon.metrics_listen);
    raise_fd_limit(conf->n_mailboxes);
    int failed_to_start = 0;
    for (size_t i = 0; i < conf->n_mailboxes; i++)
        failed_to_start += add_mailbox(dm, conf->mailboxes[i]->name) != 0;
    log_notice("meetingd %s started: %zu mailbox(es)%s%s", MEETINGD_VERSION, dm->n_mailboxes,
               dm->dry_run ? ", dry run" : "", dm->once ? ", once" : "");

    /* Mailboxes were configured but none could open its state: nothing will ever be done.
     * Exit non-zero so that systemd's Restart=on-failure (and an operator) notices. */
    bool none_usable = conf->n_mailboxes > 0 && dm->n_mailboxes == 0;
    if (dm->n_mailboxes > 0)
        ev_run(dm->loop, 0);
    /* The mailboxes that stopped unsubscribed; those answers are waited for, briefly. */
    stream_farewells_wait(dm->loop, &dm->hurry);

    sdnotify_stopping();
    /* The metrics go first: nobody reads them any more, and the mailboxes need not leave
     * them one by one. */
    metrics_http_free(dm->metrics_http);
    metrics_free();
    while (dm->mailboxes != NULL)
        remove_mailbox(dm, dm->mailboxes->m);
    conf_async_free(dm->reader);
    oauth2_shared_free(dm->http);
    http_client_free(dm->http);
    ews_listen_client_shutdown();
    backoff_free(dm->backoff);
    group_cache_free(dm->groups);
    record_close(dm->record);
    ev_signal_stop(dm->loop, &dm->sigterm);
    ev_signal_stop(dm->loop, &dm->sigint);
    ev_signal_stop(dm->loop, &dm->sighup);
    ev_timer_stop(dm->loop, &dm->watchdog);
    ev_timer_stop(dm->loop, &dm->ready);
    ev_timer_stop(dm->loop, &dm->deadline);
    ev_loop_destroy(dm->loop);
    close(dm->state_lock);
    if (none_usable) {
        log_error("no mailbox could start: the state directory %s is not usable",
                  dm->conf->conf->daemon.state_dir);
        return EXIT_CANTCREAT;
    }
    if (dm->once && (dm->failed > 0 || failed_to_start > 0 || dm->deadline_passed)) {
        log_error("%u mailbox(es) failed%s", dm->failed + (unsigned)failed_to_start,
                  dm->deadline_passed ? ", once_deadline passed" : "");
        /* EX_NOPERM (77) when credentials were refused (an administrator must act;
         * retrying risks a lockout), EX_UNAVAILABLE (69) when the server was never reached. */
        if (dm->failed_auth > 0)
            return EX_NOPERM;
        if (failed_to_start == 0 && dm->failed > 0 && dm->failed_unreachable == dm->failed)
            return EX_UNAVAILABLE;
        return EXIT_FAILURE;
    }
    log_notice("meetingd stopped");
    return EXIT_SUCCESS;
}

/* What the command line asks for besides the daemon's own settings. */
struct cli {
    bool check_only;
    bool history;
    struct history_filter filter;
};

/* Reads the options into DM and CLI. Returns -1 to go on, or the exit status to end with. */
static int parse_options(int argc, char **argv, struct daemon *dm, struct cli *cli)
{
    enum {
        OPT_ONCE = 256,
        OPT_CHECK,
        OPT_HISTORY,
        OPT_MAILBOX,
        OPT_ORGANIZER,
        OPT_SINCE,
        OPT_UNTIL,
        OPT_JSON,
        OPT_KEYS
    };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"dry-run", no_argument, NULL, 'n'},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"history", no_argument, NULL, OPT_HISTORY},
        {"mailbox", required_argument, NULL, OPT_MAILBOX},
        {"organizer", required_argument, NULL, OPT_ORGANIZER},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"json", no_argument, NULL, OPT_JSON},
        {"keys", no_argument, NULL, OPT_KEYS},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "c:nvqVh", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            dm->conf_path = optarg;
            break;
        case OPT_ONCE:
            dm->once = true;
            break;
        case 'n':
            dm->dry_run = true;
            break;
        case OPT_CHECK:
            cli->check_only = true;
            break;
        case OPT_HISTORY:
            cli->history = true;
            break;
        case OPT_MAILBOX:
            cli->filter.mailbox = optarg;
            break;
        case OPT_ORGANIZER:
            cli->filter.organizer = optarg;
            break;
        case OPT_SINCE:
        case OPT_UNTIL:
            if (history_parse_when(optarg, time(NULL),
                                   opt == OPT_SINCE ? &cli->filter.since : &cli->filter.until) !=
                0) {
                fprintf(stderr, "meetingd: --%s: not a date or time: %s\n",
                        opt == OPT_SINCE ? "since" : "until", optarg);
                return 64;
            }
            break;
        case OPT_JSON:
            cli->filter.json = true;
            break;
        case OPT_KEYS:
            conf_print_keys(stdout);
            return EXIT_SUCCESS;
        case 'v':
            dm->cli_level = LOG_LEVEL_DEBUG;
            dm->cli_level_set = true;
            break;
        case 'q':
            dm->cli_level = LOG_LEVEL_WARNING;
            dm->cli_level_set = true;
            break;
        case 'V':
            printf("meetingd %s\n", MEETINGD_VERSION);
            return EXIT_SUCCESS;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        default:
            usage(stderr);
            return 64; /* EX_USAGE */
        }
    }
    if (optind < argc) {
        fprintf(stderr, "meetingd: unexpected argument: %s\n", argv[optind]);
        usage(stderr);
        return 64;
    }
    return -1;
}

int main(int argc, char **argv)
{
    /* libcurl holds the password in plain text and base64 while a request is built: no core
     * dump or ptrace by another user of the same uid may read it. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        perror("meetingd: prctl(PR_SET_DUMPABLE)");
    /* One malloc arena: what the reload's reading thread allocated and freed is reused by
     * the loop afterwards instead of staying resident in an arena of its own. */
    mallopt(M_ARENA_MAX, 1);
    /* Every answer parsed and freed grows and shrinks the heap by about the same amount:
     * giving the top of the heap back to the kernel each time (brk, TLB flushes, page faults
     * on the next growth) cost more CPU than the parsing. A free top of up to 4 MiB stays. */
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
    mallopt(M_TOP_PAD, 1 << 20);
    struct daemon dm = {.conf_path = CONF_DEFAULT_PATH, .state_lock = -1};
    struct cli cli = {0};
    int end = parse_options(argc, argv, &dm, &cli);
    if (end >= 0)
        return end;

    log_init("meetingd", dm.cli_level_set ? dm.cli_level : LOG_LEVEL_INFO, true);
    struct conf_error cerr;
    struct conf *conf = conf_load(dm.conf_path, &cerr);
    if (conf == NULL) {
        print_conf_error(&cerr);
        return CONF_EXIT_CONFIG;
    }
    if (cli.check_only) {
        if (!dm.cli_level_set || dm.cli_level != LOG_LEVEL_WARNING)
            conf_print_summary(conf, stdout);
        conf_log_warnings(conf);
        printf("configuration OK\n");
        conf_free(conf);
        return EXIT_SUCCESS;
    }
    if (cli.history) {
        char *path = xasprintf("%s/decisions.jsonl", conf->daemon.state_dir);
        int rc = history_print(path, &cli.filter, stdout);
        free(path);
        conf_free(conf);
        return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    dm.conf = confref_new_take(conf);
    apply_log_level(&dm, conf);
    warn_insecure(conf);
    conf_log_warnings(conf);
    signal(SIGPIPE, SIG_IGN);
    krb5env_apply(&conf->server);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    if (http_global_init() != 0) {
        log_error("libcurl initialisation failed");
        confref_put(dm.conf);
        return EXIT_FAILURE;
    }
    int rc = run(&dm);
    confref_put(dm.conf);
    http_global_cleanup();
    return rc;
}
