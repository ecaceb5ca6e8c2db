/*
 * graph_build: Graph URLs and request bodies (see graph_build.h).
 */
#include "graph_build.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const answer_actions[] = {"accept", "tentativelyAccept", "decline"};

const char *graph_answer_action(enum graph_answer answer)
{
    return (unsigned)answer < 3 ? answer_actions[answer] : "accept";
}

char *graph_escape_segment(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(s);
    char *out = xmalloc(len * 3 + 1);
    char *p = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~@", *c) != NULL) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    return out;
}

/* BASE/users/{mailbox}/{kind}/{id}{tail}; kind and id may be NULL together. */
static char *user_url(const char *graph_url, const char *mailbox, const char *kind, const char *id,
                      const char *tail)
{
    char *who = graph_escape_segment(mailbox);
    char *what = id ? graph_escape_segment(id) : NULL;
    char *url = xasprintf("%s/users/%s%s%s%s%s%s", graph_url, who, kind ? "/" : "",
                          kind ? kind : "", what ? "/" : "", what ? what : "", tail);
    free(who);
    free(what);
    return url;
}

char *graph_url_inbox_delta(const char *graph_url, const char *mailbox)
{
    return user_url(graph_url, mailbox, "mailFolders/inbox/messages/delta", NULL,
                    "?$expand=microsoft.graph.eventMessage/event");
}

char *graph_url_event(const char *graph_url, const char *mailbox, const char *event_id)
{
    return user_url(graph_url, mailbox, "events", event_id, "");
}

char *graph_url_answer(const char *graph_url, const char *mailbox, const char *event_id,
                       enum graph_answer answer)
{
    char *tail = xasprintf("/%s", graph_answer_action(answer));
    char *url = user_url(graph_url, mailbox, "events", event_id, tail);
    free(tail);
    return url;
}

char *graph_url_message(const char *graph_url, const char *mailbox, const char *message_id)
{
    return user_url(graph_url, mailbox, "messages", message_id, "");
}

char *graph_url_forward(const char *graph_url, const char *mailbox, const char *message_id)
{
    return user_url(graph_url, mailbox, "messages", message_id, "/forward");
}

char *graph_url_calendar_view(const char *graph_url, const char *mailbox, time_t start, time_t end)
{
    char a[21], b[21];
    util_format_time_utc(start, a);
    util_format_time_utc(end, b);
    char *tail = xasprintf("?startDateTime=%s&endDateTime=%s", a, b);
    char *url = user_url(graph_url, mailbox, "calendar/calendarView", NULL, tail);
    free(tail);
    return url;
}

char *graph_url_get_schedule(const char *graph_url, const char *mailbox)
{
    return user_url(graph_url, mailbox, "calendar/getSchedule", NULL, "");
}

/* Serialise and release root. jansson allocates with malloc (its default), so the caller's
 * free() matches; out of memory aborts, as the x* allocators do. */
static char *dump_take(json_t *root)
{
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(root);
    if (text == NULL)
        abort();
    return text;
}

/* jansson refuses strings that are not UTF-8; check first so that no member silently drops. */
static bool utf8_ok(const char *const *strings, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strings[i] != NULL && !util_utf8_valid(strings[i], strlen(strings[i])))
            return false;
    return true;
}

char *graph_body_answer(const char *comment, bool send_response)
{
    if (!utf8_ok(&comment, 1))
        return NULL;
    json_t *root = json_object();
    if (comment != NULL)
        json_object_set_new(root, "comment", json_string(comment));
    json_object_set_new(root, "sendResponse", json_boolean(send_response));
    return dump_take(root);
}

char *graph_body_patch(const char *subject, const char *body_text, const char *sensitivity)
{
    static const char *const levels[] = {"normal", "personal", "private", "confidential"};
    const char *level = NULL;
    for (size_t i = 0; sensitivity != NULL && i < 4; i++)
        if (util_str_casecmp_ascii(sensitivity, levels[i]) == 0)
            level = levels[i];
    const char *const inputs[] = {subject, body_text};
    if (!utf8_ok(inputs, 2) || (sensitivity != NULL && level == NULL) ||
        (subject == NULL && body_text == NULL && sensitivity == NULL))
        return NULL;
    json_t *root = json_object();
    if (subject != NULL)
        json_object_set_new(root, "subject", json_string(subject));
    if (body_text != NULL)
        json_object_set_new(root, "body",
                            json_pack("{s:s,s:s}", "contentType", "text", "content", body_text));
    if (level != NULL)
        json_object_set_new(root, "sensitivity", json_string(level));
    return dump_take(root);
}

static json_t *recipient_new(const char *address)
{
    return json_pack("{s:{s:s}}", "emailAddress", "address", address);
}

char *graph_body_forward(const char *comment, const char *const *addresses, size_t n)
{
    if (n == 0 || !utf8_ok(&comment, 1) || !utf8_ok(addresses, n))
        return NULL;
    json_t *to = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(to, recipient_new(addresses[i]));
    json_t *root = json_object();
    if (comment != NULL)
        json_object_set_new(root, "comment", json_string(comment));
    json_object_set_new(root, "toRecipients", to);
    return dump_take(root);
}

static json_t *dttz_new(time_t t)
{
    char buf[21];
    util_format_time_utc(t, buf);
    buf[19] = '\0'; /* local time in the zone named beside it: no designator */
    return json_pack("{s:s,s:s}", "dateTime", buf, "timeZone", "UTC");
}

char *graph_body_get_schedule(const char *const *addresses, size_t n, time_t start, time_t end,
                              int interval_minutes)
{
    if (n == 0 || n > 20 || !utf8_ok(addresses, n))
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(addresses[i]));
    json_t *root = json_object();
    json_object_set_new(root, "schedules", list);
    json_object_set_new(root, "startTime", dttz_new(start));
    json_object_set_new(root, "endTime", dttz_new(end));
    json_object_set_new(root, "availabilityViewInterval", json_integer(interval_minutes));
    return dump_take(root);
}

char *graph_body_batch(const struct graph_batch_request *requests, size_t n)
{
    if (n == 0 || n > GRAPH_BATCH_MAX)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char id[8];
        snprintf(id, sizeof(id), "%zu", i + 1);
        const char *const parts[] = {requests[i].method, requests[i].url};
        if (!utf8_ok(parts, 2)) {
            json_decref(list);
            return NULL;
        }
        json_t *req = json_pack("{s:s,s:s,s:s}", "id", id, "method", requests[i].method, "url",
                                requests[i].url);
        if (requests[i].body != NULL) {
            json_t *body = json_loads(requests[i].body, JSON_REJECT_DUPLICATES, NULL);
            if (body == NULL) {
                json_decref(req);
                json_decref(list);
                return NULL;
            }
            json_object_set_new(req, "body", body);
            json_object_set_new(req, "headers",
                                json_pack("{s:s}", "Content-Type", "application/json"));
        }
        json_array_append_new(list, req);
    }
    return dump_take(json_pack("{s:o}", "requests", list));
}
