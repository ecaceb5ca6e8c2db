/*
 * Unit tests of graph_parse: event messages classified by meetingMessageType / @odata.type,
 * the expanded event's fields, events with recurrence, delta pages (@removed, links), items
 * that cannot be mapped skipped one by one, and error bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "graph_parse.h"
#include "util.h"

#define EVENT_JSON                                                                                 \
    "{\"id\":\"EV1\",\"changeKey\":\"CK1\",\"iCalUId\":\"UID-1\",\"subject\":\"Plan\","            \
    "\"sensitivity\":\"private\",\"showAs\":\"tentative\",\"isCancelled\":false,"                  \
    "\"type\":\"singleInstance\",\"responseRequested\":true,"                                      \
    "\"body\":{\"contentType\":\"html\",\"content\":\"<p>hi</p>\"},"                               \
    "\"start\":{\"dateTime\":\"2027-01-11T09:00:00.0000000\",\"timeZone\":\"UTC\"},"               \
    "\"end\":{\"dateTime\":\"2027-01-11T10:00:00.0000000\",\"timeZone\":\"UTC\"},"                 \
    "\"location\":{\"displayName\":\"Room 0\"},"                                                   \
    "\"organizer\":{\"emailAddress\":{\"name\":\"Org\",\"address\":\"org@example.com\"}},"         \
    "\"responseStatus\":{\"response\":\"notResponded\",\"time\":\"0001-01-01T00:00:00Z\"},"        \
    "\"attendees\":[{\"type\":\"required\",\"emailAddress\":{\"address\":\"a@example.com\"},"      \
    "\"status\":{\"response\":\"accepted\",\"time\":\"2027-01-05T08:00:00Z\"}},"                   \
    "{\"type\":\"resource\",\"emailAddress\":{\"name\":\"Room 0\",\"address\":"                    \
    "\"room0@example.com\"},\"status\":{\"response\":\"none\"}}]}"

static void test_request_with_expanded_event(void **state)
{
    const char *json =
        "{\"@odata.type\":\"#microsoft.graph.eventMessageRequest\",\"id\":\"M1\","
        "\"changeKey\":\"MK\",\"subject\":\"Plan\",\"meetingMessageType\":\"meetingRequest\","
        "\"meetingRequestType\":\"newMeetingRequest\",\"isOutOfDate\":false,"
        "\"receivedDateTime\":\"2027-01-05T07:00:00Z\",\"parentFolderId\":\"inbox\","
        "\"from\":{\"emailAddress\":{\"name\":\"Org\",\"address\":\"org@example.com\"}},"
        "\"startDateTime\":{\"dateTime\":\"2027-01-11T08:00:00.0000000\",\"timeZone\":\"UTC\"},"
        "\"endDateTime\":{\"dateTime\":\"2027-01-11T09:00:00.0000000\",\"timeZone\":\"UTC\"},"
        "\"event\":" EVENT_JSON "}";
    struct item it;
    char err[200];
    assert_int_equal(graph_parse_message(json, strlen(json), &it, err, sizeof(err)), 0);
    assert_int_equal(it.kind, ITEM_MEETING_REQUEST);
    assert_string_equal(it.item_class, "IPM.Schedule.Meeting.Request");
    assert_string_equal(it.id.id, "M1");
    assert_string_equal(it.meeting_request_type, "NewMeetingRequest");
    assert_string_equal(it.uid, "UID-1");
    assert_string_equal(it.sensitivity, "Private");
    assert_string_equal(it.associated_calendar_item_id.id, "EV1");
    assert_string_equal(it.organizer.address, "org@example.com");
    assert_int_equal(it.my_response, RESPONSE_NO_RESPONSE_RECEIVED);
    assert_int_equal(it.legacy_free_busy, FB_TENTATIVE);
    assert_true(it.is_response_requested == false); /* the message did not say */
    time_t t;
    assert_int_equal(util_parse_time("2027-01-11T09:00:00Z", &t), 0);
    assert_int_equal(it.start, t); /* the event's time wins over the message's older copy */
    assert_int_equal(it.n_attendees, 2);
    assert_int_equal(it.attendees[0].response, RESPONSE_ACCEPT);
    assert_int_not_equal(it.attendees[0].last_response_time, 0);
    assert_int_equal(it.attendees[1].role, ROLE_RESOURCE);
    assert_int_equal(it.attendees[1].response, RESPONSE_UNKNOWN);
    assert_int_equal(it.attendees[1].last_response_time, 0);
    assert_null(it.body); /* the message's own body, not the event's */
    assert_int_equal(util_parse_time("2027-01-05T07:00:00Z", &t), 0);
    assert_int_equal(it.date_time_received, t);
    item_clear(&it);
}

static void test_event_fields(void **state)
{
    struct item it;
    char err[200];
    assert_int_equal(graph_parse_event(EVENT_JSON, strlen(EVENT_JSON), &it, err, sizeof(err)), 0);
    assert_int_equal(it.kind, ITEM_CALENDAR);
    assert_string_equal(it.id.change_key, "CK1");
    assert_string_equal(it.location, "Room 0");
    assert_string_equal(it.body, "<p>hi</p>");
    assert_true(it.body_is_html);
    assert_true(it.is_response_requested);
    assert_false(it.is_recurring);
    assert_null(it.recurrence);
    assert_string_equal(item_find_attendee(&it, "ROOM0@example.com")->mailbox.name, "Room 0");
    item_clear(&it);
}

static void expect_kind(const char *odata, const char *mmt, enum item_kind kind,
                        enum item_response response)
{
    char json[400], err[200];
    snprintf(json, sizeof(json), "{\"@odata.type\":\"%s\",\"id\":\"X\"%s%s%s}", odata,
             mmt ? ",\"meetingMessageType\":\"" : "", mmt ? mmt : "", mmt ? "\"" : "");
    struct item it;
    assert_int_equal(graph_parse_message(json, strlen(json), &it, err, sizeof(err)), 0);
    if (it.kind != kind || it.response_type != response)
        fail_msg("%s / %s: kind %d response %d", odata, mmt ? mmt : "-", it.kind, it.response_type);
    item_clear(&it);
}

static void test_classification(void **state)
{
    expect_kind("#microsoft.graph.eventMessage", "meetingCancelled", ITEM_MEETING_CANCELLATION,
                RESPONSE_UNKNOWN);
    expect_kind("#microsoft.graph.eventMessageResponse", "meetingAccepted", ITEM_MEETING_RESPONSE,
                RESPONSE_ACCEPT);
    expect_kind("#microsoft.graph.eventMessageResponse", "meetingTenativelyAccepted",
                ITEM_MEETING_RESPONSE, RESPONSE_TENTATIVE);
    expect_kind("#microsoft.graph.eventMessageResponse", "meetingDeclined", ITEM_MEETING_RESPONSE,
                RESPONSE_DECLINE);
    expect_kind("#microsoft.graph.eventMessageRequest", NULL, ITEM_MEETING_REQUEST,
                RESPONSE_UNKNOWN);
    expect_kind("#microsoft.graph.eventMessage", "none", ITEM_OTHER, RESPONSE_UNKNOWN);
    expect_kind("#microsoft.graph.message", NULL, ITEM_MESSAGE, RESPONSE_UNKNOWN);
}

static void test_event_with_recurrence(void **state)
{
    const char *json =
        "{\"id\":\"S1\",\"type\":\"seriesMaster\",\"isOrganizer\":true,"
        "\"start\":{\"dateTime\":\"2027-03-01T10:00:00\",\"timeZone\":\"UTC\"},"
        "\"end\":{\"dateTime\":\"2027-03-01T11:00:00\",\"timeZone\":\"UTC\"},"
        "\"recurrence\":{\"pattern\":{\"type\":\"weekly\",\"interval\":2,"
        "\"daysOfWeek\":[\"monday\",\"wednesday\"],\"firstDayOfWeek\":\"monday\","
        "\"index\":\"first\"},\"range\":{\"type\":\"numbered\",\"startDate\":\"2027-03-01\","
        "\"endDate\":\"0001-01-01\",\"numberOfOccurrences\":6}}}";
    struct item it;
    char err[200];
    assert_int_equal(graph_parse_event(json, strlen(json), &it, err, sizeof(err)), 0);
    assert_int_equal(it.kind, ITEM_CALENDAR);
    assert_int_equal(it.calendar_item_type, CAL_RECURRING_MASTER);
    assert_true(it.is_recurring);
    assert_non_null(it.recurrence);
    assert_int_equal(it.recurrence->pattern, REC_WEEKLY);
    assert_int_equal(it.recurrence->interval, 2);
    assert_int_equal(it.recurrence->days_of_week, ITEM_DOW_MONDAY | ITEM_DOW_WEDNESDAY);
    assert_int_equal(it.recurrence->day_of_week_index, 0);
    assert_int_equal(it.recurrence->range, REC_RANGE_NUMBERED);
    assert_int_equal(it.recurrence->number_of_occurrences, 6);
    assert_string_equal(it.recurrence->start_date, "2027-03-01");
    assert_string_equal(it.recurrence->end_date, "");
    item_clear(&it);
}

static void test_bad_items(void **state)
{
    static const char *const bad[] = {
        "{\"id\":\"E\",\"start\":{\"dateTime\":\"2027-03-01T10:00:00\","
        "\"timeZone\":\"Pacific Standard Time\"}}",
        "{\"id\":\"E\",\"start\":{\"dateTime\":\"2027-03-01T10:00:00Z\",\"timeZone\":\"UTC\"}}",
        "{\"id\":\"E\",\"start\":{\"dateTime\":\"2027-02-30T10:00:00\",\"timeZone\":\"UTC\"}}",
        "{\"id\":\"E\",\"recurrence\":{\"pattern\":{\"type\":\"hourly\"},"
        "\"range\":{\"type\":\"noEnd\",\"startDate\":\"2027-03-01\"}}}",
        "{\"id\":\"E\",\"recurrence\":{\"pattern\":{\"type\":\"weekly\",\"interval\":1},"
        "\"range\":{\"type\":\"noEnd\",\"startDate\":\"2027-03-01\"}}}",
        "{\"subject\":\"no id\"}",
        "[1,2]",
        "{\"id\":\"E\",\"id\":\"F\"}",
        "{\"id\":\"E\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct item it;
        char err[200] = "";
        if (graph_parse_event(bad[i], strlen(bad[i]), &it, err, sizeof(err)) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != '\0');
        item_clear(&it);
    }
}

static void test_delta_page(void **state)
{
    const char *json =
        "{\"@odata.context\":\"x\",\"value\":["
        "{\"@odata.type\":\"#microsoft.graph.eventMessageRequest\",\"id\":\"A\","
        "\"meetingMessageType\":\"meetingRequest\"},"
        "{\"id\":\"GONE\",\"@removed\":{\"reason\":\"deleted\"}},"
        "{\"@odata.type\":\"#microsoft.graph.eventMessageRequest\",\"id\":\"B\","
        "\"startDateTime\":{\"dateTime\":\"2027-01-11T08:00:00\",\"timeZone\":\"Asia/Tokyo\"}},"
        "42,"
        "{\"@odata.type\":\"#microsoft.graph.message\",\"id\":\"C\"}],"
        "\"@odata.deltaLink\":\"https://graph.example/v1.0/users/r/mailFolders/inbox/"
        "messages/delta?$deltatoken=abc\"}";
    struct graph_page page;
    char err[200];
    assert_int_equal(graph_parse_page(json, strlen(json), GRAPH_MESSAGES, &page, err, sizeof(err)),
                     0);
    assert_int_equal(page.n_items, 2);
    assert_string_equal(page.items[0].id.id, "A");
    assert_string_equal(page.items[1].id.id, "C");
    assert_int_equal(page.n_removed, 1);
    assert_string_equal(page.removed[0], "GONE");
    assert_int_equal(page.n_invalid, 2);
    assert_null(page.next_link);
    assert_non_null(strstr(page.delta_link, "$deltatoken=abc"));
    graph_page_clear(&page);

    const char *next = "{\"value\":[],\"@odata.nextLink\":\"https://h/v1.0/x?$skiptoken=1\"}";
    assert_int_equal(graph_parse_page(next, strlen(next), GRAPH_EVENTS, &page, err, sizeof(err)),
                     0);
    assert_int_equal(page.n_items, 0);
    assert_string_equal(page.next_link, "https://h/v1.0/x?$skiptoken=1");
    graph_page_clear(&page);

    const char *not_page = "{\"error\":{\"code\":\"x\"}}";
    assert_int_equal(
        graph_parse_page(not_page, strlen(not_page), GRAPH_EVENTS, &page, err, sizeof(err)), -1);
    graph_page_clear(&page);
}

/* Pages graphsim produced (kept in the fuzz corpus): what meetingd will read from it. */
static char *read_file(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "../fuzz/corpus/fuzz_graph_parse/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    *len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

static void test_graphsim_pages(void **state)
{
    size_t len;
    const char *json = read_file("graphsim-delta-first-page.json", &len);
    struct graph_page page;
    char err[200];
    assert_int_equal(graph_parse_page(json, len, GRAPH_MESSAGES, &page, err, sizeof(err)), 0);
    assert_int_equal(page.n_items, 1);
    assert_int_equal(page.n_invalid, 0);
    const struct item *it = &page.items[0];
    assert_int_equal(it->kind, ITEM_MEETING_REQUEST);
    assert_string_equal(it->subject, "Series");
    assert_string_equal(it->organizer.address, "org@example.com");
    assert_int_equal(it->calendar_item_type, CAL_RECURRING_MASTER);
    assert_non_null(it->recurrence);
    assert_int_equal(it->recurrence->days_of_week, ITEM_DOW_MONDAY);
    assert_int_equal(it->my_response, RESPONSE_NO_RESPONSE_RECEIVED);
    assert_non_null(it->uid);
    assert_non_null(it->associated_calendar_item_id.id);
    time_t t;
    assert_int_equal(util_parse_time("2027-03-01T10:00:00Z", &t), 0);
    assert_int_equal(it->start, t);
    assert_non_null(page.next_link);
    assert_null(page.delta_link);
    graph_page_clear(&page);

    json = read_file("graphsim-delta-removed-and-cancel.json", &len);
    assert_int_equal(graph_parse_page(json, len, GRAPH_MESSAGES, &page, err, sizeof(err)), 0);
    assert_int_equal(page.n_removed, 1);
    assert_int_equal(page.n_items, 1);
    assert_int_equal(page.items[0].kind, ITEM_MEETING_CANCELLATION);
    assert_true(page.items[0].is_cancelled);
    assert_non_null(page.delta_link);
    graph_page_clear(&page);
}

static void test_error_body(void **state)
{
    const char *json = "{\"error\":{\"code\":\"syncStateNotFound\",\"message\":\"expired\","
                       "\"innerError\":{\"date\":\"2027-01-01T00:00:00\"}}}";
    struct graph_error e;
    graph_parse_error(json, strlen(json), &e);
    assert_string_equal(e.code, "syncStateNotFound");
    assert_string_equal(e.message, "expired");
    graph_error_clear(&e);
    graph_parse_error("<html>", 6, &e);
    assert_null(e.code);
    assert_null(e.message);
    graph_error_clear(&e);
}

/* $batch answers matched by id whatever their order; Retry-After in any case of the name;
 * unknown ids, second answers and missing ones left out; a body that is not one refused. */
static void test_batch_answer(void **state)
{
    (void)state;
    const char *json =
        "{\"responses\":[{\"id\":\"3\",\"status\":429,\"headers\":{\"retry-after\":\"7\"},"
        "\"body\":{\"error\":{\"code\":\"ApplicationThrottled\"}}},"
        "{\"id\":\"1\",\"status\":200,\"body\":{\"id\":\"M1\"}},"
        "{\"id\":\"1\",\"status\":500},{\"id\":\"9\",\"status\":200},"
        "{\"id\":\"x\",\"status\":200}]}";
    struct graph_batch_reply r[4];
    char err[128];
    assert_int_equal(graph_parse_batch(json, strlen(json), 4, r, err, sizeof(err)), 0);
    assert_int_equal(r[0].status, 200);
    assert_string_equal(r[0].body, "{\"id\":\"M1\"}");
    assert_int_equal(r[1].status, 0); /* left out */
    assert_null(r[1].body);
    assert_int_equal(r[2].status, 429);
    assert_int_equal(r[2].retry_ms, 7000);
    assert_non_null(strstr(r[2].body, "ApplicationThrottled"));
    assert_int_equal(r[3].status, 0);
    graph_batch_replies_clear(r, 4);
    assert_int_equal(graph_parse_batch("{\"value\":[]}", 12, 4, r, err, sizeof(err)), -1);
    assert_int_equal(graph_parse_batch("[", 1, 4, r, err, sizeof(err)), -1);
}

/* Attachment ids of an event read with $expand=attachments; one that has attachments but does
 * not list them is refused, one without any needs no list. */
static void test_attachment_ids(void **state)
{
    (void)state;
    const char *with = "{\"id\":\"E\",\"hasAttachments\":true,\"attachments\":"
                       "[{\"id\":\"A1\"},{\"name\":\"no id\"},{\"id\":\"A2\"}]}";
    const char *without = "{\"id\":\"E\",\"hasAttachments\":false}";
    const char *unlisted = "{\"id\":\"E\",\"hasAttachments\":true}";
    struct item it;
    char err[128];
    item_init(&it);
    assert_int_equal(graph_parse_attachment_ids(with, strlen(with), &it, err, sizeof(err)), 0);
    assert_int_equal(it.n_attachment_ids, 2);
    assert_string_equal(it.attachment_ids[1].id, "A2");
    item_clear(&it);
    item_init(&it);
    assert_int_equal(graph_parse_attachment_ids(without, strlen(without), &it, err, sizeof(err)),
                     0);
    assert_int_equal(it.n_attachment_ids, 0);
    assert_int_equal(graph_parse_attachment_ids(unlisted, strlen(unlisted), &it, err, sizeof(err)),
                     -1);
    item_clear(&it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_with_expanded_event),
        cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_event_with_recurrence),
        cmocka_unit_test(test_bad_items),
        cmocka_unit_test(test_delta_page),
        cmocka_unit_test(test_graphsim_pages),
        cmocka_unit_test(test_error_body),
        cmocka_unit_test(test_batch_answer),
        cmocka_unit_test(test_attachment_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
