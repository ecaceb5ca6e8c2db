/*
 * conf: the configuration file, parsed (with inih) into a fully validated struct.
 *
 * One table of keys (section, name, type, bounds, default, flags, help) drives parsing,
 * validation, defaults, the --check-config summary, the key reference (conf_print_keys) and
 * which keys a reload cannot change. Three parts: conf.c reads files and checks sections and
 * the whole, conf_keys.c holds the table, conf_types.c parses values, conf_print.c prints.
 * Errors are reported as "FILE:LINE: message", every error of the files, not only the first.
 * conf_load() builds a fresh struct and returns it only when everything in it is valid, so a
 * reload can swap it in or keep the old one.
 *
 * File syntax (inih): "[section]" headers, "key = value" lines, comments on lines starting
 * with '#' or ';', and after a value from a ';' preceded by whitespace (on continuation lines
 * too). Keys may be indented. An indented line that is not "key = value" continues the list
 * or text of the key above (lists append, texts are joined with a space). The text is UTF-8
 * (a byte order mark is allowed). Lines other than comments are limited to 198 characters
 * (inih's buffer); no line is ever held whole beyond that, however long. Sections:
 *   [server]          the Exchange (EWS) endpoint and the service account, once
 *   [daemon]          the daemon itself, once
 *   [mailbox NAME]    a mailbox to handle; NAME is unique among mailboxes
 *   [policy NAME]     Set-CalendarProcessing-style knobs, shared by mailboxes
 *   [rule NAME]       an ordered rule of a policy; order of appearance counts, across files
 * NAMEs are 1-64 characters of letters, digits and . _ @ + -, compared case-sensitively.
 * [daemon] include_dir names a directory whose *.conf files are read after the main file,
 * in strcmp order of their names.
 *
 * Secrets: password_file is read when the configuration is loaded (it must be mode 0600 or
 * stricter unless it lies under $CREDENTIALS_DIRECTORY); the secret lives only in the
 * struct, is never printed, and is wiped by conf_free(). A relative password_file is taken
 * relative to $CREDENTIALS_DIRECTORY when that is set (systemd LoadCredential=), otherwise
 * relative to the directory of the file naming it; ca_file and include_dir likewise relative
 * to that directory.
 */
#ifndef MEETINGD_CONF_H
#define MEETINGD_CONF_H

#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "oauth2.h"
#include <stdio.h>

#include "log.h"
#include "util.h"

#define CONF_DEFAULT_PATH "/etc/meetingd/meetingd.conf"
/* Exit code of meetingd / --check-config on a configuration error (sysexits EX_CONFIG). */
#define CONF_EXIT_CONFIG 78

/* Where and why loading failed: the first error in file, line and message (line is 0 when
 * the error concerns a whole file: cannot open it, a section missing from it); count is the
 * number of errors found, and others holds the second and later ones, printed, one a line
 * (as many as fit). */
struct conf_error {
    char file[PATH_MAX];
    unsigned line;
    char message[512];
    unsigned count;
    unsigned n_others; /* errors in others */
    char others[4096];
};

/* Writes every error, "FILE:LINE: message\n" ("FILE: message\n" when line is 0), the
 * first first, then "FILE: N more errors" if not all of them fit in the struct. */
void conf_error_print(const struct conf_error *err, FILE *out);

/* Day bits as in struct tm's tm_wday: bit 0 = Sunday ... bit 6 = Saturday. */
#define CONF_DAY(wday) (1u << (wday))
#define CONF_DAYS_ALL 0x7fu
#define CONF_DAYS_WEEKDAYS 0x3eu /* Mon-Fri */

enum conf_auth {
    CONF_AUTH_BASIC,
    CONF_AUTH_NTLM,
    CONF_AUTH_NEGOTIATE,
    CONF_AUTH_OAUTH2, /* app-only bearer tokens (Entra ID), always with impersonation */
};

/* AutomateProcessing, plus shorthands that answer every request the same way. */
enum conf_automate {
    CONF_AUTOMATE_AUTO_ACCEPT,    /* the Resource Booking Attendant decides (Exchange default) */
    CONF_AUTOMATE_AUTO_UPDATE,    /* only keep the calendar up to date (tentative), no answers */
    CONF_AUTOMATE_NONE,           /* leave everything alone */
    CONF_AUTOMATE_ACCEPT,         /* accept every request */
    CONF_AUTOMATE_TENTATIVE,      /* tentatively accept every request */
    CONF_AUTOMATE_DECLINE,        /* decline every request */
    CONF_AUTOMATE_ACCEPT_IF_FREE, /* a person's: accept when free, else conflict_response */
};

/* What a mailbox is: a room and equipment are booked (Exchange's resource mailboxes); a
 * person's own calendar is answered for, never rewritten. */
enum conf_kind {
    CONF_KIND_ROOM,
    CONF_KIND_EQUIPMENT,
    CONF_KIND_PERSON,
};

/* automate = accept_if_free: how a request that conflicts is answered. */
enum conf_conflict_response {
    CONF_CONFLICT_DECLINE,
    CONF_CONFLICT_TENTATIVE,
};

/* The sentence that opens an answer, one per kind of answer: [policy] *_message keys with
 * placeholders (text_template.h); NULL = the default for the mailbox's kind (policy_text.c). */
enum conf_text {
    CONF_TEXT_ACCEPT,
    CONF_TEXT_TENTATIVE,
    CONF_TEXT_TENTATIVE_APPROVAL,
    CONF_TEXT_TENTATIVE_CONFLICT,
    CONF_TEXT_DECLINE,
    CONF_TEXT_DECLINE_CONFLICT,
    CONF_TEXT_DECLINE_NOT_ALLOWED,
    CONF_TEXT_DECLINE_OUT_OF_POLICY,
    CONF_TEXT_COUNT,
};

enum conf_action {
    CONF_ACTION_BOOK,    /* accept (book the resource) */
    CONF_ACTION_REQUEST, /* hold as tentative and forward to the delegates for approval */
    CONF_ACTION_DECLINE, /* decline, with the rule's message */
    CONF_ACTION_IGNORE,  /* leave the request untouched */
};

/* A yes/no rule condition that may be absent. */
enum conf_cond_bool {
    CONF_COND_ANY = 0, /* condition not given */
    CONF_COND_YES,
    CONF_COND_NO,
};

/* How a mailbox is reached. */
enum conf_access {
    CONF_ACCESS_OWN,         /* logs in with its own username / password_file */
    CONF_ACCESS_IMPERSONATE, /* [server] account with ExchangeImpersonation of the mailbox */
    CONF_ACCESS_DELEGATE,    /* [server] account directly (delegate access to the mailbox) */
};

struct conf_policy;

/* [server] */
struct conf_server {
    char *url;                  /* EWS endpoint, http:// or https:// (required) */
    enum conf_auth auth;        /* HTTP authentication scheme (default basic) */
    char *username;             /* service account; NULL when not set */
    char *password_file;        /* resolved path of the password file; NULL when not set */
    char *password;             /* SECRET read from password_file; NULL when not set */
    bool impersonation;         /* use ExchangeImpersonation for mailboxes without creds */
    const char *server_version; /* ExchangeVersionType for RequestServerVersion (static) */
    unsigned timeout_s;         /* per-request timeout in seconds */
    char *ca_file;              /* CA bundle (resolved path); NULL = system store */
    bool tls_verify;            /* verify the server certificate and host name */
    /* auth = negotiate: the service account's client keytab (resolved path), or NULL for the
     * default credential cache. */
    char *keytab;
    /* auth = oauth2: the app registration; oauth2 points into these fields (and
     * client_secret) and is what the EWS client uses. */
    char *tenant;
    char *client_id;
    char *client_secret_file; /* resolved path; NULL when a certificate is used */
    char *client_secret;      /* SECRET read from client_secret_file */
    char *client_certificate; /* PEM certificate registered with the app */
    char *client_key;         /* its PEM private key (a secret file) */
    char *token_url;          /* default: Microsoft's endpoint for the tenant */
    char *scope;              /* default: https://outlook.office365.com/.default */
    struct oauth2_params oauth2;
    const char *file; /* where [server] is defined */
    unsigned line;
};

/* [daemon] */
struct conf_daemon {
    unsigned poll_interval_s; /* default interval between two polls of a mailbox */
    unsigned auth_retry_s;    /* first pause after refused credentials (doubles, up to 30x) */
    unsigned max_concurrent_requests; /* cap on EWS requests in flight, all mailboxes */
    unsigned once_deadline_s;         /* --once gives up on what is left after this long */
    unsigned batch_size;              /* answers / rewrites per request of a mailbox */
    char *state_dir;                  /* absolute path of the state directory */
    unsigned record_retention_s;      /* rotated decision records kept this long; 0 = forever */
    char *metrics_listen;             /* HOST:PORT of the metrics page; NULL = off */
    enum log_level log_level;
    bool expand_groups;         /* list entries may be distribution groups (ExpandDL) */
    unsigned group_cache_ttl_s; /* distribution groups are expanded again after this */
    unsigned group_max_members; /* a larger group (nested ones included) is not used */
    char *include_dir;          /* resolved path of the include directory; NULL = none */
    const char *file;           /* where [daemon] is defined; NULL when the section is absent */
    unsigned line;
};

/* [mailbox NAME] */
struct conf_mailbox {
    char *name;                       /* NAME from the section header */
    char *address;                    /* SMTP address of the mailbox */
    char *policy_name;                /* as written */
    const struct conf_policy *policy; /* resolved policy */
    char *username;                   /* own credentials; NULL when not set */
    char *password_file;              /* resolved path; NULL when not set */
    char *password;                   /* SECRET; NULL when not set */
    bool has_poll_interval;           /* poll_interval given in this section */
    unsigned poll_interval_s;         /* effective interval (own or [daemon]'s) */
    enum conf_access access;          /* how the mailbox is reached */
    enum conf_kind kind;              /* room (default), equipment or person */
    const char *login_username;       /* effective account (borrowed: own or [server]) */
    const char *login_password;       /* SECRET, effective password (borrowed) */
    const char *file;                 /* where [mailbox NAME] is defined */
    unsigned line;
    unsigned policy_line; /* line of its "policy =" key */
};

/* A rule's subject condition. */
struct conf_text_match {
    char *pattern; /* as written ("/.../" for a regex); NULL = no condition */
    bool is_regex; /* true: re is compiled (POSIX ERE, case-insensitive, REG_NOSUB) */
    regex_t re;
};

/* [rule NAME]: conditions are ANDed; a rule without conditions matches everything. */
struct conf_rule {
    char *name;
    char *policy_name;                /* as written */
    const struct conf_policy *policy; /* resolved policy */
    struct strlist organizer;         /* addresses / @domains / globs; empty = any */
    struct conf_text_match subject;   /* substring (case-insensitive) or /regex/ */
    bool has_min_duration;
    unsigned min_duration_s; /* meeting lasts at least this long */
    bool has_max_duration;
    unsigned max_duration_s; /* meeting lasts at most this long */
    bool has_days;
    unsigned days; /* CONF_DAY bits: the meeting starts on one of these days */
    bool has_hours;
    unsigned hours_start_min;      /* meeting lies within [start, end], minutes after */
    unsigned hours_end_min;        /* midnight in the policy's time zone */
    enum conf_cond_bool recurring; /* meeting is (not) recurring */
    bool has_min_attendees;
    unsigned min_attendees; /* required + optional attendees on the request */
    bool has_max_attendees;
    unsigned max_attendees;
    enum conf_cond_bool external; /* organizer is (not) outside the internal domains */
    enum conf_action action;
    char *message;         /* text for the response; NULL = none */
    unsigned n_conditions; /* number of condition keys given */
    char *never_matches;   /* why the rule can never match; NULL when it can */
    const char *file;      /* where [rule NAME] is defined */
    unsigned line;
    unsigned policy_line; /* line of its "policy =" key */
};

/* [policy NAME]: Set-CalendarProcessing's parameters, snake_case, Exchange's defaults. */
struct conf_policy {
    char *name;
    enum conf_automate automate;
    char *response_message; /* text added to every response; "" = none */
    bool remove_canceled_meetings;
    bool allow_conflicts;
    unsigned conflict_percentage_allowed; /* of a series' occurrences, 0-100 */
    unsigned max_conflict_instances;
    unsigned booking_window_days;
    bool enforce_scheduling_horizon;
    unsigned max_duration_minutes; /* 0 = no limit */
    unsigned min_duration_minutes;
    bool allow_recurring_meetings;
    bool schedule_only_during_work_hours;
    unsigned work_days;      /* CONF_DAY bits, never 0 */
    unsigned work_start_min; /* work hours, minutes after midnight, start < end <= 1440 */
    unsigned work_end_min;
    char *time_zone;         /* IANA name; NULL = the host's time zone */
    char *time_zone_windows; /* the Windows name it was given as, or NULL */
    unsigned capacity;       /* 0 = unknown */
    bool enforce_capacity;
    bool all_book_in_policy;
    struct strlist book_in_policy; /* addresses / @domains / globs */
    bool all_request_in_policy;
    struct strlist request_in_policy;
    bool all_request_out_of_policy;
    struct strlist request_out_of_policy;
    struct strlist resource_delegates; /* plain addresses */
    bool forward_requests_to_delegates;
    bool tentative_pending_approval;
    unsigned approval_timeout_s; /* held requests are declined after this; 0 = never */
    bool process_external_meeting_messages;
    struct strlist internal_domains; /* lowercase, no '@'; empty = the mailbox's own domain */
    bool enable_response_details;
    bool organizer_info;
    bool add_additional_response;
    char *additional_response; /* "" = none */
    bool add_organizer_to_subject;
    bool delete_subject;
    bool delete_comments;
    bool remove_private_property;
    bool delete_attachments;
    bool remove_old_meeting_messages;
    enum conf_conflict_response conflict_response;
    char *texts[CONF_TEXT_COUNT];   /* NULL = the kind's default */
    const struct conf_rule **rules; /* this policy's rules in order of appearance */
    size_t n_rules;
    const char *file; /* where [policy NAME] is defined */
    unsigned line;
};

struct conf {
    char *path;           /* the main file */
    struct strlist files; /* every file read: the main file first, then includes in order */
    struct conf_server server;
    struct conf_daemon daemon;
    struct conf_mailbox **mailboxes; /* in order of appearance */
    size_t n_mailboxes;
    struct conf_policy **policies;
    size_t n_policies;
    struct conf_rule **rules; /* all rules, in order of appearance across files */
    size_t n_rules;
};

/* Loads and validates the configuration at path (CONF_DEFAULT_PATH when NULL), then the
 * include_dir files. Returns a new struct the caller frees with conf_free(), or NULL with
 * *err filled in (every error found, the first one in file/line/message). Reads password
 * files; does not log. */
struct conf *conf_load(const char *path, struct conf_error *err);

/* Frees everything, wiping the secrets. NULL is allowed. */
void conf_free(struct conf *conf);

/* Prints the effective configuration for --check-config: files, [server], [daemon],
 * mailboxes, policies, rules in order, in the config file syntax, with defaults filled in,
 * where each section comes from, and a warning for each rule that can never match.
 * Secrets are never printed. */
void conf_print_summary(const struct conf *conf, FILE *out);

/* Logs a warning for each rule that can never match (FILE:LINE: rule 'x' never matches:
 * reason). Returns the number of warnings. */
size_t conf_log_warnings(const struct conf *conf);

/* Names the restart-only keys whose values differ between OLD and FRESH (", "-separated, in
 * table order) into buf, and returns how many: a reload keeps their running values. */
size_t conf_restart_changes(const struct conf *old, const struct conf *fresh, char *buf,
                            size_t len);

/* Prints the key table as Markdown (per section: key, type, default, description): the
 * reference from which the README's configuration section is generated. */
void conf_print_keys(FILE *out);

/* Lookups by section NAME (case-sensitive); NULL when absent. Borrowed pointers. */
const struct conf_policy *conf_find_policy(const struct conf *conf, const char *name);
const struct conf_mailbox *conf_find_mailbox(const struct conf *conf, const char *name);

/* How a mailbox is reached, for printing: "own credentials", "impersonation", ... */
const char *conf_auth_name(enum conf_auth auth);
const char *conf_access_name(enum conf_access access);

#endif
