/*
 * conf_keys: the key table (one row per key: section, name, type, bounds, default, flags,
 * help) and one parser per type of value, found through the type table. conf.c calls
 * conf_parse_value() for each "key = value" line and for the defaults.
 */
#include "conf_keys.h"

#include <stddef.h>

const char *const conf_sect_names[SK_COUNT] = {"server", "daemon", "mailbox", "policy", "rule"};

/* ---- the key table ---------------------------------------------------------------------- */

static const struct choice auth_choices[] = {
    {"basic", CONF_AUTH_BASIC, NULL},
    {"ntlm", CONF_AUTH_NTLM, NULL},
    {"negotiate", CONF_AUTH_NEGOTIATE, NULL},
    {"oauth2", CONF_AUTH_OAUTH2, NULL},
    {NULL, 0, NULL},
};

/* The EWS ExchangeVersionType enumeration (types.xsd). */
static const struct choice version_choices[] = {
    {"Exchange2007", 0, NULL},     {"Exchange2007_SP1", 0, NULL},
    {"Exchange2010", 0, NULL},     {"Exchange2010_SP1", 0, NULL},
    {"Exchange2010_SP2", 0, NULL}, {"Exchange2013", 0, NULL},
    {"Exchange2013_SP1", 0, NULL}, {"Exchange2015", 0, NULL},
    {"Exchange2016", 0, NULL},     {"V2015_10_05", 0, NULL},
    {"V2016_01_06", 0, NULL},      {"V2016_04_13", 0, NULL},
    {"V2016_07_13", 0, NULL},      {NULL, 0, NULL},
};

static const struct choice log_level_choices[] = {
    {"error", LOG_LEVEL_ERROR, NULL},   {"warning", LOG_LEVEL_WARNING, NULL},
    {"notice", LOG_LEVEL_NOTICE, NULL}, {"info", LOG_LEVEL_INFO, NULL},
    {"debug", LOG_LEVEL_DEBUG, NULL},   {NULL, 0, NULL},
};

static const struct choice automate_choices[] = {
    {"auto_accept", CONF_AUTOMATE_AUTO_ACCEPT, NULL},
    {"auto_update", CONF_AUTOMATE_AUTO_UPDATE, NULL},
    {"none", CONF_AUTOMATE_NONE, NULL},
    {"accept", CONF_AUTOMATE_ACCEPT, NULL},
    {"tentative", CONF_AUTOMATE_TENTATIVE, NULL},
    {"decline", CONF_AUTOMATE_DECLINE, NULL},
    {"accept_if_free", CONF_AUTOMATE_ACCEPT_IF_FREE, NULL},
    {NULL, 0, NULL},
};

static const struct choice kind_choices[] = {
    {"room", CONF_KIND_ROOM, NULL},
    {"equipment", CONF_KIND_EQUIPMENT, NULL},
    {"person", CONF_KIND_PERSON, NULL},
    {NULL, 0, NULL},
};

static const struct choice conflict_response_choices[] = {
    {"decline", CONF_CONFLICT_DECLINE, NULL},
    {"tentative", CONF_CONFLICT_TENTATIVE, NULL},
    {NULL, 0, NULL},
};

static const struct choice action_choices[] = {
    {"book", CONF_ACTION_BOOK, NULL},
    {"request", CONF_ACTION_REQUEST, NULL},
    {"decline", CONF_ACTION_DECLINE, NULL},
    {"ignore", CONF_ACTION_IGNORE, NULL},
    {NULL, 0, NULL},
};

static const char *const access_names[] = {"own credentials", "impersonation", "delegate access"};

#define SRV(f) offsetof(struct conf_server, f)
#define DMN(f) offsetof(struct conf_daemon, f)
#define MBX(f) offsetof(struct conf_mailbox, f)
#define POL(f) offsetof(struct conf_policy, f)
#define RUL(f) offsetof(struct conf_rule, f)
#define K(k, n, t, o) .kind = k, .name = n, .type = t, .off = o

/* Policy booleans and numbers all follow one pattern. */
#define PBOOL(n, d, h)                                                                             \
    {                                                                                              \
        K(SK_POLICY, #n, KT_BOOL, POL(n)), .def = d, .help = h                                     \
    }
/* The opening sentences of answers, one per kind of answer (enum conf_text). */
#define PTEXT(n, t, h)                                                                             \
    {                                                                                              \
        K(SK_POLICY, #n, KT_TEMPLATE, POL(texts[t])), .help = h                                    \
    }
#define PUINT(n, lo, hi, d, h)                                                                     \
    {                                                                                              \
        K(SK_POLICY, #n, KT_UINT, POL(n)), .min = lo, .max = hi, .def = d, .help = h               \
    }

const struct key conf_keys[] = {
    /* [server] */
    {K(SK_SERVER, "url", KT_URL, SRV(url)), .flags = KF_REQUIRED,
     .help = "EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx."},
    {K(SK_SERVER, "auth", KT_ENUM, SRV(auth)), .def = "basic", .choices = auth_choices,
     .help = "HTTP authentication: basic, ntlm, negotiate (Kerberos) or oauth2 (app-only "
             "tokens from Microsoft Entra ID; needs impersonation = yes)."},
    {K(SK_SERVER, "username", KT_STRING, SRV(username)),
     .help = "Service account (user@domain or DOMAIN\\user); needs password_file, except with "
             "auth = negotiate (keytab or the default credential cache)."},
    {K(SK_SERVER, "password_file", KT_SECRET_FILE, SRV(password_file)), .off2 = SRV(password),
     .help = "File holding the service account's password (mode 0600 or stricter, or a "
             "systemd credential; relative names are looked up in $CREDENTIALS_DIRECTORY)."},
    {K(SK_SERVER, "impersonation", KT_BOOL, SRV(impersonation)), .def = "no",
     .help = "Reach mailboxes without own credentials through ExchangeImpersonation as the "
             "service account (needs username and password_file)."},
    {K(SK_SERVER, "server_version", KT_CHOICE_STR, SRV(server_version)), .def = "Exchange2013_SP1",
     .choices = version_choices,
     .help = "RequestServerVersion sent with every request (an ExchangeVersionType value)."},
    {K(SK_SERVER, "timeout", KT_DURATION, SRV(timeout_s)), .min = 1, .max = 3600, .def = "60s",
     .flags = KF_RESTART, .help = "Time limit for one EWS request."},
    {K(SK_SERVER, "ca_file", KT_CA_FILE, SRV(ca_file)), .flags = KF_RESTART,
     .help = "CA certificates (PEM) to verify the server with, instead of the system store."},
    {K(SK_SERVER, "tls_verify", KT_BOOL, SRV(tls_verify)), .def = "yes", .flags = KF_RESTART,
     .help = "Verify the server's certificate and host name. Turn off only for tests."},
    /* Authentication beyond a password: Kerberos keytab, OAuth2 app registration. */
    {K(SK_SERVER, "keytab", KT_CA_FILE, SRV(keytab)), .flags = KF_RESTART,
     .help = "auth = negotiate: client keytab with the keys of username (made with ktutil or "
             "msktutil); tickets are fetched and renewed from it. Without it, the "
             "default credential cache is used."},
    {K(SK_SERVER, "tenant", KT_STRING, SRV(tenant)),
     .help = "auth = oauth2: the Entra ID tenant (domain or id) that issues the tokens."},
    {K(SK_SERVER, "client_id", KT_STRING, SRV(client_id)),
     .help = "auth = oauth2: the application (client) id of the app registration."},
    {K(SK_SERVER, "client_secret_file", KT_SECRET_FILE, SRV(client_secret_file)),
     .off2 = SRV(client_secret),
     .help = "auth = oauth2: file holding the client secret (like password_file)."},
    {K(SK_SERVER, "client_certificate", KT_CA_FILE, SRV(client_certificate)),
     .help = "auth = oauth2: PEM certificate registered with the app (instead of a secret); "
             "needs client_key."},
    {K(SK_SERVER, "client_key", KT_CA_FILE, SRV(client_key)),
     .help = "auth = oauth2: the certificate's PEM private key (mode 0600 or stricter)."},
    {K(SK_SERVER, "token_url", KT_URL, SRV(token_url)),
     .help = "auth = oauth2: token endpoint. Default: "
             "https://login.microsoftonline.com/TENANT/oauth2/v2.0/token."},
    {K(SK_SERVER, "scope", KT_STRING, SRV(scope)), .def = OAUTH2_DEFAULT_SCOPE,
     .help = "auth = oauth2: the scope asked for."},

    /* [daemon] */
    {K(SK_DAEMON, "auth_retry", KT_DURATION, DMN(auth_retry_s)), .min = 1, .max = 86400,
     .def = "2m", .flags = KF_RESTART,
     .help = "After the server refused credentials, every mailbox using them waits this long "
             "before one of them tries again; each refusal doubles it, up to 30 times as long "
             "(a lockout policy counts failed logins over minutes)."},
    {K(SK_DAEMON, "poll_interval", KT_DURATION, DMN(poll_interval_s)), .min = 1, .max = 86400,
     .def = "60s", .help = "Time between two polls of a mailbox (each mailbox may override)."},
    {K(SK_DAEMON, "once_deadline", KT_DURATION, DMN(once_deadline_s)), .min = 10, .max = 86400,
     .def = "10m",
     .help = "--once stops by then with whatever is left undone (exit 1), however slow the "
             "server."},
    {K(SK_DAEMON, "max_concurrent_requests", KT_UINT, DMN(max_concurrent_requests)), .min = 1,
     .max = 256, .def = "8", .flags = KF_RESTART,
     .help = "EWS requests in flight at once, over all mailboxes."},
    {K(SK_DAEMON, "batch_size", KT_UINT, DMN(batch_size)), .min = 1, .max = 100, .def = "50",
     .help = "Answers, removals and calendar item rewrites a mailbox sends in one request (its "
             "ledger intents reach the disk with one flush per batch)."},
    {K(SK_DAEMON, "state_dir", KT_ABSPATH, DMN(state_dir)), .def = "/var/lib/meetingd",
     .flags = KF_RESTART,
     .help = "Directory for the daemon's state (decision records, sync state)."},
    {K(SK_DAEMON, "record_retention", KT_DURATION, DMN(record_retention_s)), .min = 0,
     .max = 3650u * 86400u, .def = "90d", .flags = KF_RESTART,
     .help = "How long the decision record's rotated day files (STATE_DIR/decisions-YYYYMMDD"
             ".jsonl) are kept before they are removed; 0 keeps them forever."},
    {K(SK_DAEMON, "log_level", KT_ENUM, DMN(log_level)), .def = "info",
     .choices = log_level_choices, .help = "error, warning, notice, info or debug."},
    {K(SK_DAEMON, "metrics_listen", KT_LISTEN, DMN(metrics_listen)), .flags = KF_RESTART,
     .help = "Where Prometheus scrapes GET /metrics, e.g. 127.0.0.1:9873 or [::1]:9873 (no "
             "authentication: keep it on loopback; default: off)."},
    {K(SK_DAEMON, "expand_groups", KT_BOOL, DMN(expand_groups)), .def = "yes",
     .help = "Ask the server (ExpandDL) which addresses of the booking lists are distribution "
             "groups; no: every entry is the address it says (for a server without ExpandDL)."},
    {K(SK_DAEMON, "group_cache_ttl", KT_DURATION, DMN(group_cache_ttl_s)), .min = 60,
     .max = 7u * 86400u, .def = "1h",
     .help = "How long the members of a distribution group in a booking list (and the "
             "server's word that an address is no group) are used before they are asked "
             "again (ExpandDL)."},
    {K(SK_DAEMON, "group_max_members", KT_UINT, DMN(group_max_members)), .min = 1, .max = 1000000,
     .def = "10000",
     .help = "A distribution group with more members than this, nested groups included, is "
             "not used: requests that depend on it wait (logged)."},
    {K(SK_DAEMON, "include_dir", KT_INCLUDE_DIR, DMN(include_dir)),
     .help = "Directory whose *.conf files are read after this file, in sorted order "
             "(main file only; default: none)."},

    /* [mailbox NAME] */
    {K(SK_MAILBOX, "address", KT_ADDRESS, MBX(address)), .flags = KF_REQUIRED,
     .help = "SMTP address of the mailbox."},
    {K(SK_MAILBOX, "policy", KT_POLICY_REF, MBX(policy_name)), .off2 = MBX(policy_line),
     .flags = KF_REQUIRED, .help = "Name of the [policy NAME] that decides for this mailbox."},
    {K(SK_MAILBOX, "username", KT_STRING, MBX(username)),
     .help = "Log in as the mailbox itself with this account (with password_file); without "
             "them [server]'s account is used."},
    {K(SK_MAILBOX, "password_file", KT_SECRET_FILE, MBX(password_file)), .off2 = MBX(password),
     .help = "Password file for username (like [server]'s)."},
    {K(SK_MAILBOX, "poll_interval", KT_DURATION, MBX(poll_interval_s)), .min = 1, .max = 86400,
     .flags = KF_HAS, .has_off = MBX(has_poll_interval),
     .help = "Overrides [daemon] poll_interval for this mailbox."},
    {K(SK_MAILBOX, "kind", KT_ENUM, MBX(kind)), .def = "room", .choices = kind_choices,
     .help = "room, equipment or person. A person's items are never rewritten, and answers "
             "speak in the first person (automate = accept_if_free, or accept / tentative / "
             "decline / none)."},

    /* [policy NAME] */
    {K(SK_POLICY, "automate", KT_ENUM, POL(automate)), .def = "auto_accept",
     .choices = automate_choices,
     .help = "auto_accept (decide by this policy), auto_update (only mark tentative), none, "
             "accept / tentative / decline to answer every request that way, or "
             "accept_if_free (accept when the calendar is free, else conflict_response; rules "
             "apply)."},
    {K(SK_POLICY, "conflict_response", KT_ENUM, POL(conflict_response)), .def = "decline",
     .choices = conflict_response_choices,
     .help = "automate = accept_if_free: answer a request that conflicts with decline or "
             "tentative."},
    {K(SK_POLICY, "response_message", KT_TEXT, POL(response_message)), .def = "",
     .help = "Text added to every response."},
    PBOOL(remove_canceled_meetings, "no", "Remove cancelled meetings from the calendar."),
    PBOOL(allow_conflicts, "no", "Accept requests that overlap existing bookings."),
    PUINT(conflict_percentage_allowed, 0, 100, "0",
          "Percentage of a series' occurrences that may conflict (0-100)."),
    PUINT(max_conflict_instances, 0, 1000, "0",
          "Number of a series' occurrences that may conflict."),
    PUINT(booking_window_days, 0, 1080, "180", "How many days ahead meetings may be booked."),
    PBOOL(enforce_scheduling_horizon, "yes",
          "Decline recurring meetings that end after the booking window (no: accept up to it)."),
    PUINT(max_duration_minutes, 0, 525600, "1440", "Longest meeting accepted (0 = no limit)."),
    PUINT(min_duration_minutes, 0, 525600, "0", "Shortest meeting accepted."),
    PBOOL(allow_recurring_meetings, "yes", "Accept recurring meetings."),
    PBOOL(schedule_only_during_work_hours, "no",
          "Accept only meetings within work_days and work_hours."),
    {K(SK_POLICY, "work_days", KT_DAYS, POL(work_days)), .def = "Mon-Fri", .flags = KF_NONEMPTY,
     .help = "Working days: names (Mon or Monday), lists (Mon,Wed,Fri), ranges (Mon-Fri), "
             "Weekdays, Weekend, AllDays."},
    {K(SK_POLICY, "work_hours", KT_HOURS, POL(work_start_min)), .off2 = POL(work_end_min),
     .def = "08:00-17:00", .help = "Working hours, HH:MM-HH:MM in time_zone (end up to 24:00)."},
    {K(SK_POLICY, "time_zone", KT_TIME_ZONE, POL(time_zone)), .def = "",
     .off2 = POL(time_zone_windows),
     .help = "Time zone of work hours and rule hours: an IANA name (Europe/Berlin) or a "
             "Windows name as Exchange shows it (W. Europe Standard Time, mapped through "
             "CLDR's windowsZones.xml); empty = the host's."},
    PUINT(capacity, 0, 100000, "0", "Seats of the room (0 = unknown)."),
    PBOOL(enforce_capacity, "no", "Decline meetings with more attendees than capacity."),
    PBOOL(all_book_in_policy, "yes", "Everyone may book within the policy."),
    {K(SK_POLICY, "book_in_policy", KT_ADDR_LIST, POL(book_in_policy)),
     .help = "Who may book within the policy (addresses, distribution groups by address, @domains, "
             "globs)."},
    PBOOL(all_request_in_policy, "no", "Everyone may request (delegates approve) in policy."),
    {K(SK_POLICY, "request_in_policy", KT_ADDR_LIST, POL(request_in_policy)),
     .help = "Who may request within the policy (addresses, distribution groups by address, "
             "@domains, globs)."},
    PBOOL(all_request_out_of_policy, "no", "Everyone may request outside the policy."),
    {K(SK_POLICY, "request_out_of_policy", KT_ADDR_LIST, POL(request_out_of_policy)),
     .help = "Who may request outside the policy (addresses, distribution groups by address, "
             "@domains, globs)."},
    {K(SK_POLICY, "resource_delegates", KT_PLAIN_ADDRS, POL(resource_delegates)),
     .help = "Addresses (or distribution groups) of the delegates who approve requests."},
    PBOOL(forward_requests_to_delegates, "yes", "Forward requests to the delegates."),
    PBOOL(tentative_pending_approval, "yes", "Mark requests tentative until approved."),
    {K(SK_POLICY, "approval_timeout", KT_DURATION, POL(approval_timeout_s)), .min = 0,
     .max = 365u * 86400u, .def = "0",
     .help = "A request held for approval that no delegate approved or rejected is declined "
             "after this long, saying so; 0 = never."},
    PBOOL(process_external_meeting_messages, "no",
          "Process requests from outside the internal domains (no: ignore them)."),
    {K(SK_POLICY, "internal_domains", KT_DOMAIN_LIST, POL(internal_domains)),
     .help = "Domains that count as internal; empty = the mailbox's own domain."},
    PBOOL(enable_response_details, "yes",
          "Give the reasons in every answer: why a request was accepted, held or declined."),
    PBOOL(organizer_info, "yes",
          "Name the organizer of a conflicting meeting when a request is declined."),
    PBOOL(add_additional_response, "no", "Add additional_response to responses."),
    {K(SK_POLICY, "additional_response", KT_TEXT, POL(additional_response)), .def = "",
     .help = "Extra text for responses when add_additional_response is yes."},
    PBOOL(add_organizer_to_subject, "yes", "Put the organizer's name in the booked subject."),
    PBOOL(delete_subject, "yes", "Remove the subject of booked meetings."),
    PBOOL(delete_comments, "yes", "Remove the body of booked meetings."),
    PBOOL(remove_private_property, "yes", "Clear the private flag of booked meetings."),
    PBOOL(delete_attachments, "yes", "Remove attachments of booked meetings."),
    PBOOL(remove_old_meeting_messages, "yes", "Remove outdated meeting messages."),
    PTEXT(accept_message, CONF_TEXT_ACCEPT,
          "Opens an acceptance ({start}, {end}, {organizer}, {room}, {subject}); default "
          "by kind."),
    PTEXT(tentative_message, CONF_TEXT_TENTATIVE,
          "Opens a tentative answer (automate = tentative); default by kind."),
    PTEXT(tentative_message_approval, CONF_TEXT_TENTATIVE_APPROVAL,
          "Opens the tentative answer to a request held for a delegate's approval."),
    PTEXT(tentative_message_conflict, CONF_TEXT_TENTATIVE_CONFLICT,
          "Opens the tentative answer to a conflict (conflict_response = tentative)."),
    PTEXT(decline_message, CONF_TEXT_DECLINE,
          "Opens a decline for any other reason (automate = decline, a rule)."),
    PTEXT(decline_message_conflict, CONF_TEXT_DECLINE_CONFLICT,
          "Opens a decline because the calendar is not free."),
    PTEXT(decline_message_not_allowed, CONF_TEXT_DECLINE_NOT_ALLOWED,
          "Opens a decline because the organizer may not book."),
    PTEXT(decline_message_out_of_policy, CONF_TEXT_DECLINE_OUT_OF_POLICY,
          "Opens a decline because the request is outside the policy (window, duration, "
          "hours, capacity, recurrence)."),

    /* [rule NAME] */
    {K(SK_RULE, "policy", KT_POLICY_REF, RUL(policy_name)), .off2 = RUL(policy_line),
     .flags = KF_REQUIRED, .help = "Policy this rule belongs to."},
    {K(SK_RULE, "organizer", KT_ADDR_LIST, RUL(organizer)), .flags = KF_COND,
     .help = "Condition: the organizer matches one of these addresses, @domains or globs."},
    {K(SK_RULE, "subject", KT_SUBJECT, RUL(subject)), .flags = KF_COND,
     .help = "Condition: the subject contains this text (case-insensitive), or matches "
             "/regex/ (POSIX extended, case-insensitive)."},
    {K(SK_RULE, "min_duration", KT_DURATION, RUL(min_duration_s)), .max = 366 * 86400u,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_min_duration),
     .help = "Condition: the meeting lasts at least this long (e.g. 30m)."},
    {K(SK_RULE, "max_duration", KT_DURATION, RUL(max_duration_s)), .max = 366 * 86400u,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_max_duration),
     .help = "Condition: the meeting lasts at most this long (e.g. 2h)."},
    {K(SK_RULE, "days", KT_DAYS, RUL(days)), .flags = KF_COND | KF_HAS, .has_off = RUL(has_days),
     .help = "Condition: the meeting starts on one of these days."},
    {K(SK_RULE, "hours", KT_HOURS, RUL(hours_start_min)), .off2 = RUL(hours_end_min),
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_hours),
     .help = "Condition: the meeting lies within HH:MM-HH:MM (policy time zone)."},
    {K(SK_RULE, "recurring", KT_COND_BOOL, RUL(recurring)), .flags = KF_COND,
     .help = "Condition: the meeting is (yes) or is not (no) recurring."},
    {K(SK_RULE, "min_attendees", KT_UINT, RUL(min_attendees)), .max = 100000,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_min_attendees),
     .help = "Condition: at least this many attendees."},
    {K(SK_RULE, "max_attendees", KT_UINT, RUL(max_attendees)), .max = 100000,
     .flags = KF_COND | KF_HAS, .has_off = RUL(has_max_attendees),
     .help = "Condition: at most this many attendees."},
    {K(SK_RULE, "external", KT_COND_BOOL, RUL(external)), .flags = KF_COND,
     .help = "Condition: the organizer is (yes) or is not (no) external."},
    {K(SK_RULE, "action", KT_ENUM, RUL(action)), .flags = KF_REQUIRED, .choices = action_choices,
     .help = "What to do with a matching request: book, request, decline or ignore."},
    {K(SK_RULE, "message", KT_TEXT, RUL(message)),
     .help = "Text for the response to a matching request."},
};

const size_t conf_n_keys = sizeof(conf_keys) / sizeof(conf_keys[0]);

_Static_assert(sizeof(enum conf_auth) == sizeof(int), "enums are stored through int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enums are stored through int");

const char *conf_auth_name(enum conf_auth auth)
{
    return conf_choice_name(auth_choices, (int)auth);
}

const char *conf_access_name(enum conf_access access)
{
    return (unsigned)access < 3 ? access_names[access] : "?";
}

int conf_find_key(enum sect_kind kind, const char *name)
{
    for (size_t i = 0; i < conf_n_keys; i++)
        if (conf_keys[i].kind == kind && util_str_casecmp_ascii(conf_keys[i].name, name) == 0)
            return (int)i;
    return -1;
}
