/*
 * graph_parse: Graph JSON -> struct item (see graph_parse.h for the mapping).
 */
#include "graph_parse.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A string member, or NULL when absent or not a string. Borrowed from the JSON tree. */
static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static char *dup_of(const json_t *obj, const char *key)
{
    const char *s = str_of(obj, key);
    return s ? xstrdup(s) : NULL;
}

static bool bool_of(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

/* "newMeetingRequest" -> "NewMeetingRequest": Graph's enum spelling to EWS's. */
static char *ews_case(const char *s)
{
    if (s == NULL)
        return NULL;
    char *out = xstrdup(s);
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
    return out;
}

static int index_in(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* graph.responseType -> item_response ("none" is EWS's Unknown). */
static enum item_response response_of(const char *s)
{
    static const char *const names[] = {"none",     "organizer", "tentativelyAccepted",
                                        "accepted", "declined",  "notResponded"};
    int i = index_in(names, NELEM(names), s);
    return i < 0 ? RESPONSE_UNKNOWN : (enum item_response)i;
}

static enum free_busy free_busy_of(const char *s)
{
    static const char *const names[] = {"free", "tentative", "busy", "oof", "workingElsewhere"};
    int i = index_in(names, NELEM(names), s);
    return i < 0 ? FB_NO_DATA : (enum free_busy)i;
}

/* A DateTimeOffset; "0001-01-01T00:00:00Z" (Graph's "never") and absence give 0. */
static time_t offset_time_of(const json_t *obj, const char *key)
{
    time_t t = 0;
    const char *s = str_of(obj, key);
    if (s == NULL || strncmp(s, "0001-01-01", 10) == 0 || util_parse_time(s, &t) != 0)
        return 0;
    return t;
}

/* A graph.dateTimeTimeZone in UTC. Returns 0 (absent: *out = 0) or -1 (other zone, bad). */
static int dttz_of(const json_t *obj, const char *key, time_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    const char *when = str_of(v, "dateTime");
    const char *zone = str_of(v, "timeZone");
    if (when == NULL || zone == NULL || (strcmp(zone, "UTC") != 0 && strcmp(zone, "Etc/UTC") != 0))
        return -1;
    /* Graph writes local times without designator; in UTC that is what util_parse_time
     * assumes. A designator here would contradict timeZone. */
    if (strchr(when, 'Z') != NULL || strchr(when + (strlen(when) > 10 ? 10 : 0), '+'))
        return -1;
    return util_parse_time(when, out) == 0 ? 0 : -1;
}

static void mailbox_of(const json_t *recipient, struct item_mailbox *mb)
{
    const json_t *addr = json_object_get(recipient, "emailAddress");
    mb->name = dup_of(addr, "name");
    mb->address = dup_of(addr, "address");
}

static void attendees_of(const json_t *event, struct item *it)
{
    static const char *const roles[] = {"required", "optional", "resource"};
    const json_t *list = json_object_get(event, "attendees");
    size_t i;
    const json_t *att;
    json_array_foreach(list, i, att)
    {
        const json_t *addr = json_object_get(att, "emailAddress");
        const char *address = str_of(addr, "address");
        if (address == NULL)
            continue;
        int role = index_in(roles, NELEM(roles), str_of(att, "type"));
        const json_t *status = json_object_get(att, "status");
        item_add_attendee(it, role < 0 ? ROLE_REQUIRED : (enum attendee_role)role,
                          str_of(addr, "name"), address, response_of(str_of(status, "response")));
        it->attendees[it->n_attendees - 1].last_response_time = offset_time_of(status, "time");
    }
}

static unsigned days_of(const json_t *list)
{
    static const char *const days[] = {"sunday",   "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
    unsigned bits = 0;
    size_t i;
    const json_t *d;
    json_array_foreach(list, i, d)
    {
        int k = index_in(days, NELEM(days), json_string_value(d));
        if (k >= 0)
            bits |= 1u << k;
    }
    return bits;
}

static void copy_date(char dst[11], const char *src)
{
    dst[0] = '\0';
    if (src != NULL && strlen(src) == 10 && strcmp(src, "0001-01-01") != 0)
        memcpy(dst, src, 11);
}

/* graph.patternedRecurrence -> item_recurrence; -1 for a pattern or range it cannot be. */
static int recurrence_of(const json_t *rec, struct item_recurrence *r)
{
    static const char *const patterns[] = {"daily",           "weekly",         "absoluteMonthly",
                                           "relativeMonthly", "absoluteYearly", "relativeYearly"};
    static const char *const ranges[] = {"noEnd", "endDate", "numbered"};
    static const char *const indexes[] = {"first", "second", "third", "fourth", "last"};
    const json_t *pattern = json_object_get(rec, "pattern");
    const json_t *range = json_object_get(rec, "range");
    int p = index_in(patterns, NELEM(patterns), str_of(pattern, "type"));
    int g = index_in(ranges, NELEM(ranges), str_of(range, "type"));
    if (p < 0 || g < 0)
        return -1;
    memset(r, 0, sizeof(*r));
    r->pattern = (enum recurrence_pattern)p;
    r->range = (enum recurrence_range)g;
    json_int_t interval = json_integer_value(json_object_get(pattern, "interval"));
    r->interval = interval >= 1 && interval <= 999 ? (int)interval : 1;
    r->days_of_week = days_of(json_object_get(pattern, "daysOfWeek"));
    json_int_t dom = json_integer_value(json_object_get(pattern, "dayOfMonth"));
    r->day_of_month = dom >= 1 && dom <= 31 ? (int)dom : 0;
    json_int_t month = json_integer_value(json_object_get(pattern, "month"));
    r->month = month >= 1 && month <= 12 ? (int)month : 0;
    int idx = index_in(indexes, NELEM(indexes), str_of(pattern, "index"));
    r->day_of_week_index =
        (r->pattern == REC_RELATIVE_MONTHLY || r->pattern == REC_RELATIVE_YEARLY) && idx >= 0
            ? idx + 1
            : 0;
    copy_date(r->start_date, str_of(range, "startDate"));
    if (r->range == REC_RANGE_END_DATE)
        copy_date(r->end_date, str_of(range, "endDate"));
    json_int_t count = json_integer_value(json_object_get(range, "numberOfOccurrences"));
    r->number_of_occurrences =
        r->range == REC_RANGE_NUMBERED && count > 0 && count < 100000 ? (int)count : 0;
    if (r->start_date[0] == '\0' || (r->range == REC_RANGE_END_DATE && !r->end_date[0]) ||
        (r->range == REC_RANGE_NUMBERED && r->number_of_occurrences == 0) ||
        (r->pattern == REC_WEEKLY && r->days_of_week == 0))
        return -1;
    return 0;
}

static void body_of(const json_t *obj, struct item *it)
{
    const json_t *body = json_object_get(obj, "body");
    it->body = dup_of(body, "content");
    const char *type = str_of(body, "contentType");
    it->body_is_html = type != NULL && strcmp(type, "html") == 0;
}

/* The event members a calendar item and a meeting message share. */
static int event_fields(const json_t *ev, struct item *it, char *err, size_t errlen)
{
    static const char *const types[] = {"singleInstance", "occurrence", "exception",
                                        "seriesMaster"};
    it->uid = dup_of(ev, "iCalUId");
    it->sensitivity = ews_case(str_of(ev, "sensitivity"));
    mailbox_of(json_object_get(ev, "organizer"), &it->organizer);
    attendees_of(ev, it);
    it->my_response = response_of(str_of(json_object_get(ev, "responseStatus"), "response"));
    it->legacy_free_busy = free_busy_of(str_of(ev, "showAs"));
    it->is_cancelled = bool_of(ev, "isCancelled");
    it->is_all_day = bool_of(ev, "isAllDay");
    it->is_meeting = true;
    int t = index_in(types, NELEM(types), str_of(ev, "type"));
    it->calendar_item_type = t < 0 ? CAL_SINGLE : (enum calendar_item_type)t;
    it->is_recurring = it->calendar_item_type != CAL_SINGLE;
    const char *master = str_of(ev, "seriesMasterId");
    if (master != NULL)
        it->recurring_master_id.id = xstrdup(master);
    it->original_start = offset_time_of(ev, "originalStart");
    const json_t *rec = json_object_get(ev, "recurrence");
    if (json_is_object(rec)) {
        struct item_recurrence r;
        if (recurrence_of(rec, &r) != 0) {
            snprintf(err, errlen, "event %s: a recurrence meetingd cannot read",
                     str_of(ev, "id") ? str_of(ev, "id") : "?");
            return -1;
        }
        it->recurrence = xmalloc(sizeof(r));
        *it->recurrence = r;
    }
    return 0;
}

static int fill_event(const json_t *ev, struct item *it, char *err, size_t errlen)
{
    if (!json_is_object(ev) || str_of(ev, "id") == NULL) {
        snprintf(err, errlen, "an event without id");
        return -1;
    }
    it->kind = ITEM_CALENDAR;
    it->item_class = xstrdup("IPM.Appointment");
    it->id.id = dup_of(ev, "id");
    it->id.change_key = dup_of(ev, "changeKey");
    it->subject = dup_of(ev, "subject");
    body_of(ev, it);
    it->location = dup_of(json_object_get(ev, "location"), "displayName");
    it->is_response_requested = bool_of(ev, "responseRequested");
    it->has_attachments = bool_of(ev, "hasAttachments");
    if (dttz_of(ev, "start", &it->start) != 0 || dttz_of(ev, "end", &it->end) != 0) {
        snprintf(err, errlen, "event %s: start or end not in UTC", it->id.id);
        return -1;
    }
    return event_fields(ev, it, err, errlen);
}

/* Kind and EWS item class of a message from meetingMessageType, else @odata.type. */
static void classify(const json_t *msg, struct item *it)
{
    static const struct {
        const char *type;
        enum item_kind kind;
        enum item_response response;
        const char *item_class;
    } kinds[] = {
        {"meetingRequest", ITEM_MEETING_REQUEST, RESPONSE_UNKNOWN, "IPM.Schedule.Meeting.Request"},
        {"meetingCancelled", ITEM_MEETING_CANCELLATION, RESPONSE_UNKNOWN,
         "IPM.Schedule.Meeting.Canceled"},
        {"meetingAccepted", ITEM_MEETING_RESPONSE, RESPONSE_ACCEPT,
         "IPM.Schedule.Meeting.Resp.Pos"},
        {"meetingTenativelyAccepted", ITEM_MEETING_RESPONSE, RESPONSE_TENTATIVE,
         "IPM.Schedule.Meeting.Resp.Tent"},
        {"meetingDeclined", ITEM_MEETING_RESPONSE, RESPONSE_DECLINE,
         "IPM.Schedule.Meeting.Resp.Neg"},
    };
    const char *mmt = str_of(msg, "meetingMessageType");
    const char *odata = str_of(msg, "@odata.type");
    for (size_t i = 0; mmt != NULL && i < NELEM(kinds); i++) {
        if (strcmp(mmt, kinds[i].type) == 0) {
            it->kind = kinds[i].kind;
            it->response_type = kinds[i].response;
            it->item_class = xstrdup(kinds[i].item_class);
            it->is_meeting = true;
            return;
        }
    }
    if (odata != NULL && strcmp(odata, "#microsoft.graph.eventMessageRequest") == 0) {
        it->kind = ITEM_MEETING_REQUEST;
        it->item_class = xstrdup("IPM.Schedule.Meeting.Request");
        it->is_meeting = true;
    } else if (odata != NULL && strncmp(odata, "#microsoft.graph.eventMessage", 29) == 0) {
        it->kind = ITEM_OTHER; /* a meeting message of a kind meetingd does not act on */
        it->item_class = xstrdup("IPM.Schedule.Meeting");
    } else {
        it->kind = ITEM_MESSAGE;
        it->item_class = xstrdup("IPM.Note");
    }
}

static int fill_message(const json_t *msg, struct item *it, char *err, size_t errlen)
{
    if (!json_is_object(msg) || str_of(msg, "id") == NULL) {
        snprintf(err, errlen, "a message without id");
        return -1;
    }
    classify(msg, it);
    it->id.id = dup_of(msg, "id");
    it->id.change_key = dup_of(msg, "changeKey");
    it->parent_folder_id.id = dup_of(msg, "parentFolderId");
    it->subject = dup_of(msg, "subject");
    body_of(msg, it);
    it->location = dup_of(json_object_get(msg, "location"), "displayName");
    mailbox_of(json_object_get(msg, "from"), &it->from);
    mailbox_of(json_object_get(msg, "sender"), &it->sender);
    it->date_time_received = offset_time_of(msg, "receivedDateTime");
    it->date_time_sent = offset_time_of(msg, "sentDateTime");
    it->is_out_of_date = bool_of(msg, "isOutOfDate");
    it->is_delegated = bool_of(msg, "isDelegated");
    it->is_response_requested = bool_of(msg, "responseRequested");
    it->has_attachments = bool_of(msg, "hasAttachments");
    it->is_all_day = bool_of(msg, "isAllDay");
    it->meeting_request_type = ews_case(str_of(msg, "meetingRequestType"));
    if (dttz_of(msg, "startDateTime", &it->start) != 0 ||
        dttz_of(msg, "endDateTime", &it->end) != 0) {
        snprintf(err, errlen, "message %s: start or end not in UTC", it->id.id);
        return -1;
    }
    const json_t *ev = json_object_get(msg, "event");
    if (json_is_object(ev) && str_of(ev, "id") != NULL) {
        it->associated_calendar_item_id.id = dup_of(ev, "id");
        it->associated_calendar_item_id.change_key = dup_of(ev, "changeKey");
        if (event_fields(ev, it, err, errlen) != 0)
            return -1;
        time_t start = 0, end = 0;
        if (dttz_of(ev, "start", &start) != 0 || dttz_of(ev, "end", &end) != 0) {
            snprintf(err, errlen, "message %s: its event's times are not in UTC", it->id.id);
            return -1;
        }
        /* The event is the meeting as it stands; the message's copy may be older. */
        it->start = start ? start : it->start;
        it->end = end ? end : it->end;
    }
    if (it->organizer.address == NULL && it->is_meeting) {
        item_mailbox_clear(&it->organizer);
        mailbox_of(json_object_get(msg, "from"), &it->organizer);
    }
    return 0;
}

static json_t *load(const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        snprintf(err, errlen, "not JSON: %s (line %d)", jerr.text, jerr.line);
    return root;
}

/* The document and its array member KEY, or NULL with ERR filled in (WHAT names the
 * document) when either is missing. */
static json_t *load_array(const char *json, size_t len, const char *key, const char *what,
                          const json_t **array, char *err, size_t errlen)
{
    json_t *root = load(json, len, err, errlen);
    *array = json_object_get(root, key);
    if (root != NULL && !json_is_array(*array)) {
        snprintf(err, errlen, "%s without a %s array", what, key);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* One JSON object read into OUT by FILL (fill_event, fill_message). */
static int parse_one(const char *json, size_t len,
                     int (*fill)(const json_t *, struct item *, char *, size_t), struct item *out,
                     char *err, size_t errlen)
{
    item_init(out);
    json_t *root = load(json, len, err, errlen);
    int rc = root ? fill(root, out, err, errlen) : -1;
    json_decref(root);
    return rc;
}

int graph_parse_event(const char *json, size_t len, struct item *out, char *err, size_t errlen)
{
    return parse_one(json, len, fill_event, out, err, errlen);
}

int graph_parse_message(const char *json, size_t len, struct item *out, char *err, size_t errlen)
{
    return parse_one(json, len, fill_message, out, err, errlen);
}

static void add_removed(struct graph_page *page, const json_t *entry)
{
    const char *id = str_of(entry, "id");
    if (id == NULL) {
        page->n_invalid++;
        return;
    }
    page->removed = xreallocarray(page->removed, page->n_removed + 1, sizeof(char *));
    page->removed[page->n_removed++] = xstrdup(id);
}

int graph_parse_page(const char *json, size_t len, enum graph_entity what, struct graph_page *out,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const json_t *value;
    json_t *root = load_array(json, len, "value", "a collection", &value, err, errlen);
    if (root == NULL)
        return -1;
    out->items = xcalloc(json_array_size(value) + 1, sizeof(struct item));
    size_t i;
    const json_t *entry;
    json_array_foreach(value, i, entry)
    {
        if (json_object_get(entry, "@removed") != NULL) {
            add_removed(out, entry);
            continue;
        }
        struct item *it = &out->items[out->n_items];
        char item_err[160];
        item_init(it);
        int rc = what == GRAPH_EVENTS ? fill_event(entry, it, item_err, sizeof(item_err))
                                      : fill_message(entry, it, item_err, sizeof(item_err));
        if (rc == 0) {
            out->n_items++;
        } else {
            item_clear(it);
            out->n_invalid++;
        }
    }
    out->next_link = dup_of(root, "@odata.nextLink");
    out->delta_link = dup_of(root, "@odata.deltaLink");
    json_decref(root);
    return 0;
}

void graph_page_clear(struct graph_page *page)
{
    item_array_free(page->items, page->n_items);
    for (size_t i = 0; i < page->n_removed; i++)
        free(page->removed[i]);
    free(page->removed);
    free(page->next_link);
    free(page->delta_link);
    memset(page, 0, sizeof(*page));
}

void graph_parse_error(const char *json, size_t len, struct graph_error *out)
{
    char err[8];
    out->code = out->message = NULL;
    json_t *root = load(json, len, err, sizeof(err));
    const json_t *e = json_object_get(root, "error");
    out->code = dup_of(e, "code");
    out->message = dup_of(e, "message");
    json_decref(root);
}

void graph_error_clear(struct graph_error *e)
{
    free(e->code);
    free(e->message);
    e->code = e->message = NULL;
}

/* Retry-After of a batch response's headers: seconds, any case of the header name. */
static unsigned retry_after_ms(const json_t *headers)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)headers, key, v)
    {
        if (util_str_casecmp_ascii(key, "Retry-After") != 0)
            continue;
        long long s = json_is_integer(v)  ? json_integer_value(v)
                      : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
                                          : 0;
        return s <= 0 ? 0 : s > 86400 ? 86400000u : (unsigned)(s * 1000);
    }
    return 0;
}

int graph_parse_batch(const char *json, size_t len, size_t n, struct graph_batch_reply *out,
                      char *err, size_t errlen)
{
    memset(out, 0, n * sizeof(*out));
    const json_t *responses;
    json_t *root = load_array(json, len, "responses", "a $batch answer", &responses, err, errlen);
    if (root == NULL)
        return -1;
    size_t i;
    const json_t *r;
    json_array_foreach(responses, i, r)
    {
        const char *id = str_of(r, "id");
        char *end = NULL;
        unsigned long k = id ? strtoul(id, &end, 10) : 0;
        const json_t *status = json_object_get(r, "status");
        if (k == 0 || k > n || *end != '\0' || !json_is_integer(status) || out[k - 1].status)
            continue; /* not one of ours, or a second answer to it: the first counts */
        struct graph_batch_reply *reply = &out[k - 1];
        reply->status = (long)json_integer_value(status);
        reply->retry_ms = retry_after_ms(json_object_get(r, "headers"));
        const json_t *body = json_object_get(r, "body");
        if (body != NULL && !json_is_null(body))
            reply->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    json_decref(root);
    return 0;
}

void graph_batch_replies_clear(struct graph_batch_reply *replies, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(replies[i].body);
        replies[i].body = NULL;
    }
}

int graph_parse_attachment_ids(const char *json, size_t len, struct item *out, char *err,
                               size_t errlen)
{
    json_t *root = load(json, len, err, errlen);
    if (root == NULL)
        return -1;
    const json_t *value = json_object_get(root, "attachments");
    if (value == NULL && bool_of(root, "hasAttachments")) {
        snprintf(err, errlen, "an event with attachments but without their list");
        json_decref(root);
        return -1;
    }
    size_t i;
    const json_t *a;
    json_array_foreach(value, i, a)
    {
        const char *id = str_of(a, "id");
        if (id == NULL)
            continue;
        out->attachment_ids = xreallocarray(out->attachment_ids, out->n_attachment_ids + 1,
                                            sizeof(*out->attachment_ids));
        out->attachment_ids[out->n_attachment_ids++] = (struct item_id){.id = xstrdup(id)};
    }
    json_decref(root);
    return 0;
}
