/*
 * Unit tests of graph_build: URLs (escaping, query), bodies parsed back member by member, and
 * (with ../shared/graph-schema) every member name and enum value checked against Microsoft's
 * CSDL: action parameters of the bound action, properties through the BaseType chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "graph_build.h"
#include "graph_client.h"
#include "util.h"

#define BASE "https://graph.example/v1.0"

/* Parse a built body and free it. */
static json_t *parse_take(char *text)
{
    assert_non_null(text);
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    assert_non_null(root);
    return root;
}

static void test_urls(void **state)
{
    char *u = graph_url_inbox_delta(BASE, "room0@example.com");
    assert_string_equal(u, BASE "/users/room0@example.com/mailFolders/inbox/messages/delta"
                                "?$expand=microsoft.graph.eventMessage/event");
    free(u);
    u = graph_url_answer(BASE, "r@example.com", "AAMk+a/b=", GRAPH_TENTATIVE);
    assert_string_equal(u, BASE "/users/r@example.com/events/AAMk%2Ba%2Fb%3D/tentativelyAccept");
    free(u);
    u = graph_url_event(BASE, "r@example.com", "E 1");
    assert_string_equal(u, BASE "/users/r@example.com/events/E%201");
    free(u);
    u = graph_url_forward(BASE, "r@example.com", "M");
    assert_string_equal(u, BASE "/users/r@example.com/messages/M/forward");
    free(u);
    time_t a, b;
    assert_int_equal(util_parse_time("2027-03-01T00:00:00Z", &a), 0);
    assert_int_equal(util_parse_time("2027-03-08T12:30:00Z", &b), 0);
    u = graph_url_calendar_view(BASE, "r@example.com", a, b);
    assert_string_equal(u, BASE "/users/r@example.com/calendar/calendarView"
                                "?startDateTime=2027-03-01T00:00:00Z"
                                "&endDateTime=2027-03-08T12:30:00Z");
    free(u);
    assert_string_equal(graph_answer_action(GRAPH_DECLINE), "decline");
}

static void test_bodies(void **state)
{
    json_t *r = parse_take(graph_body_answer("Booked \"as\" asked", true));
    assert_string_equal(json_string_value(json_object_get(r, "comment")), "Booked \"as\" asked");
    assert_true(json_is_true(json_object_get(r, "sendResponse")));
    assert_int_equal(json_object_size(r), 2);
    json_decref(r);

    r = parse_take(graph_body_patch(NULL, NULL, "Private"));
    assert_string_equal(json_string_value(json_object_get(r, "sensitivity")), "private");
    assert_int_equal(json_object_size(r), 1);
    json_decref(r);
    assert_null(graph_body_patch(NULL, NULL, NULL));
    assert_null(graph_body_patch("s", NULL, "secret"));
    assert_null(graph_body_patch("\xff", NULL, NULL));
    assert_null(graph_body_answer("\xc3", false));

    const char *to[] = {"a@example.com", "b@example.com"};
    r = parse_take(graph_body_forward(NULL, to, 2));
    json_t *list = json_object_get(r, "toRecipients");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(list, 1), "emailAddress"), "address")),
                        "b@example.com");
    json_decref(r);
    assert_null(graph_body_forward("x", to, 0));

    time_t a, b;
    assert_int_equal(util_parse_time("2027-03-01T08:00:00Z", &a), 0);
    assert_int_equal(util_parse_time("2027-03-01T18:00:00Z", &b), 0);
    r = parse_take(graph_body_get_schedule(to, 2, a, b, 30));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "startTime"), "dateTime")),
        "2027-03-01T08:00:00");
    json_decref(r);
    const char *many[21];
    for (int i = 0; i < 21; i++)
        many[i] = "x@example.com";
    assert_null(graph_body_get_schedule(many, 21, a, b, 30));
}

static void test_batch(void **state)
{
    struct graph_batch_request reqs[GRAPH_BATCH_MAX + 1];
    for (size_t i = 0; i <= GRAPH_BATCH_MAX; i++)
        reqs[i] = (struct graph_batch_request){"POST", "/users/r@example.com/events/E/accept",
                                               "{\"sendResponse\":true}"};
    reqs[1] = (struct graph_batch_request){"GET", "/users/r@example.com", NULL};
    json_t *r = parse_take(graph_body_batch(reqs, 3));
    json_t *list = json_object_get(r, "requests");
    assert_int_equal(json_array_size(list), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "id")), "3");
    assert_null(json_object_get(json_array_get(list, 1), "body"));
    assert_true(json_is_true(
        json_object_get(json_object_get(json_array_get(list, 0), "body"), "sendResponse")));
    json_decref(r);
    assert_null(graph_body_batch(reqs, GRAPH_BATCH_MAX + 1));
    assert_null(graph_body_batch(reqs, 0));
    reqs[0].body = "{not json";
    assert_null(graph_body_batch(reqs, 2));
}

/* ---- against the CSDL */

static xmlXPathContextPtr xc;

static const char *schema_dir(void)
{
    const char *d = getenv("MEETINGD_GRAPH_SCHEMA_DIR");
    return d != NULL && d[0] != '\0' ? d : "../../../shared/graph-schema";
}

static bool any_named(const char *xpath, const char *name)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xpath, xc);
    bool found = false;
    for (int i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr && !found; i++) {
        xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
        found = v != NULL && strcasecmp((const char *)v, name) == 0;
        xmlFree(v);
    }
    xmlXPathFreeObject(o);
    return found;
}

static void check_action(char *body, const char *action, const char *binding)
{
    char xpath[300];
    snprintf(xpath, sizeof(xpath),
             "//e:Action[@Name='%s'][e:Parameter[1]/@Type='graph.%s']/e:Parameter/@Name", action,
             binding);
    json_t *r = parse_take(body);
    const char *key;
    json_t *v;
    json_object_foreach(r, key, v)
    {
        if (!any_named(xpath, key))
            fail_msg("%s on graph.%s has no parameter %s", action, binding, key);
    }
    json_decref(r);
}

/* Is prop a property of type or of a type in its BaseType chain? */
static bool has_property(const char *type, const char *prop)
{
    char xpath[300];
    snprintf(xpath, sizeof(xpath), "//e:EntityType[@Name='%s']/e:Property/@Name", type);
    if (any_named(xpath, prop))
        return true;
    snprintf(xpath, sizeof(xpath), "//e:EntityType[@Name='%s']/@BaseType", type);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xpath, xc);
    bool found = false;
    if (o && o->nodesetval && o->nodesetval->nodeNr == 1) {
        xmlChar *base = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        found = has_property(strchr((const char *)base, '.') + 1, prop);
        xmlFree(base);
    }
    xmlXPathFreeObject(o);
    return found;
}

static void test_against_csdl(void **state)
{
    check_action(graph_body_answer("ok", true), "accept", "event");
    check_action(graph_body_answer(NULL, false), "tentativelyAccept", "event");
    check_action(graph_body_answer("no", true), "decline", "event");
    const char *to[] = {"a@example.com"};
    check_action(graph_body_forward("fyi", to, 1), "forward", "message");
    check_action(graph_body_get_schedule(to, 1, 0, 3600, 30), "getSchedule", "calendar");

    json_t *r = parse_take(graph_body_patch("s", "b", "confidential"));
    const char *key;
    json_t *v;
    json_object_foreach(r, key, v)
    {
        if (!has_property("event", key))
            fail_msg("event has no property %s", key);
    }
    assert_true(any_named("//e:EnumType[@Name='sensitivity']/e:Member/@Name",
                          json_string_value(json_object_get(r, "sensitivity"))));
    assert_true(
        any_named("//e:EnumType[@Name='bodyType']/e:Member/@Name",
                  json_string_value(json_object_get(json_object_get(r, "body"), "contentType"))));
    json_decref(r);
    assert_false(has_property("event", "colour")); /* the check can fail */
}

/* The metrics' operation names: no mailbox, no id, the path's words and functions kept. */
static void test_operation_names(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"GET", "https://graph.example/v1.0/users/room0@example.com/mailFolders/inbox/messages/"
                "delta?$deltatoken=AAx",
         "GET mailFolders/inbox/messages/delta"},
        {"POST", "https://graph.example/v1.0/users/AAMkAD%3D/events/AAMkAGI2THVSAAA=/accept",
         "POST events/accept"},
        {"GET", "http://127.0.0.1:1/v1.0/users/a@b.c/calendar/calendarView?startDateTime=x",
         "GET calendar/calendarView"},
        {"POST", "http://127.0.0.1:1/v1.0/$batch", "POST $batch"},
        {"PATCH", "http://127.0.0.1:1/v1.0/users/a@b.c/messages/AQMkADAw", "PATCH messages"},
        {"GET", "http://127.0.0.1:1/v1.0/groups/7f3e/members/delta", "GET groups/members/delta"},
        {"GET", "not a graph url", "GET "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[128];
        graph_call_operation(cases[i][0], cases[i][1], buf, sizeof(buf));
        assert_string_equal(buf, cases[i][2]);
    }
    char small[12];
    graph_call_operation("GET", "http://x/v1.0/users/a/mailFolders/inbox/messages", small,
                         sizeof(small));
    assert_string_equal(small, "GET mailFol");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_operation_names),
    };
    const struct CMUnitTest csdl_tests[] = {
        cmocka_unit_test(test_against_csdl),
    };
    int rc = cmocka_run_group_tests_name("build", tests, NULL, NULL);
    if (rc != 0)
        return rc;
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/v1.0-metadata.xml", schema_dir());
    if (stat(path, &st) != 0) {
        fprintf(stderr, "test_graph_build: Graph metadata not found (%s)\n", path);
        return 77;
    }
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    assert_non_null(doc);
    xc = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(xc, BAD_CAST "e", BAD_CAST "http://docs.oasis-open.org/odata/ns/edm");
    rc = cmocka_run_group_tests_name("csdl", csdl_tests, NULL, NULL);
    xmlXPathFreeContext(xc);
    xmlFreeDoc(doc);
    xmlCleanupParser();
    return rc;
}
