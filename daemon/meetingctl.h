/*
 * meetingctl: the parts of the organizer's CLI, shared between its files. meetingctl.c holds
 * the set-up, the calls and the simple commands; meetingctl_meeting.c creates, shows,
 * changes and cancels meetings; meetingctl_time.c reads times, time zones and recurrences.
 */
#ifndef MEETINGD_MEETINGCTL_H
#define MEETINGD_MEETINGCTL_H

#include <ev.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "ews_build.h"
#include "ews_client.h"
#include "item.h"
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

void ctl_usage(FILE *out);

/* "meetingctl: MESSAGE" on stderr; returns EXIT_FAILURE. */
int ctl_fail(const char *fmt, ...) UTIL_PRINTF(1, 2);

/* "meetingctl: MESSAGE" and then the usage on stderr; returns EX_USAGE_CODE. */
int ctl_usage_error(const char *fmt, ...) UTIL_PRINTF(1, 2);

/* Posts ENVELOPE (taken); on success the caller owns res->response. Prints the error. */
int ctl_call(struct ctl *c, const char *op, char *envelope, struct ews_call_result *res);

/* Splits a comma-separated list into LIST (appended). */
void ctl_split_list(const char *s, struct strlist *list);

const char *ctl_response_name(enum item_response r);

/* Parses the only option of cancel and respond, --message M; leaves optind at the first
 * operand. Returns 0, or -1 after printing the usage. */
int ctl_parse_message_option(int argc, char **argv, const char **message);

/* ---- meetingctl_time.c ---------------------------------------------------------------- */

/* --tz ZONE: an IANA name or a Windows name, for every time without an offset. Returns 0,
 * or -1 after printing why. */
int ctl_set_time_zone(const char *zone);

/* Reads the time of option NAME: ISO 8601 with Z or an offset, or without one in the local
 * time zone (TZ, or --tz). Returns 0, or -1 after printing why. */
int ctl_parse_time(const char *name, const char *s, time_t *out);

/* The Windows id of the local time zone (TZ or --tz), for t:StartTimeZone; NULL if unknown. */
const char *ctl_local_windows_zone(void);

/* What `create --recurrence` and its options ask for. */
struct ctl_recurrence_args {
    const char *pattern; /* daily | weekly | monthly; NULL = a single meeting */
    const char *interval, *days, *day_of_month, *count, *until;
};

/* Fills REC from A for a series starting at START (local dates). Returns 0, or
 * EX_USAGE_CODE after printing what is wrong. */
int ctl_recurrence_from_args(const struct ctl_recurrence_args *a, time_t start,
                             struct item_recurrence *rec);

/* ---- meetingctl_meeting.c ------------------------------------------------------------- */

/* The calendar item ID with every property and its attendee lists, or NULL after saying
 * why; it lives in res->response, which the caller frees. */
struct item *ctl_fetch_item(struct ctl *c, const char *id, struct ews_call_result *res);

const char *ctl_role_name(enum attendee_role r);

int ctl_cmd_create(struct ctl *c, int argc, char **argv);
int ctl_cmd_status(struct ctl *c, int argc, char **argv);
int ctl_cmd_update(struct ctl *c, int argc, char **argv);
int ctl_cmd_cancel(struct ctl *c, int argc, char **argv);

#endif
