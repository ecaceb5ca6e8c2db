/*
 * metrics: the hooks feed the registry and metrics_render() writes what Prometheus reads;
 * every expected sample is looked up line by line in the rendered page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The value of the sample whose name and labels are exactly SERIES, or -1 when absent. */
static double sample(const char *page, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = page; *line; line = strchr(line, '\n') + 1) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        if (strchr(line, '\n') == NULL)
            break;
    }
    return -1;
}

/* Every line is a comment or "NAME[{LABELS}] VALUE", and every line ends in a newline. */
static void assert_well_formed(const char *page)
{
    assert_true(strlen(page) > 0 && page[strlen(page) - 1] == '\n');
    char *copy = strdup(page);
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)
            continue;
        size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
        assert_true(name > 0);
        const char *rest = line + name;
        if (*rest == '{') {
            rest = strstr(rest, "} ");
            assert_non_null(rest);
            rest++;
        }
        assert_int_equal(*rest, ' ');
        char *end;
        strtod(rest + 1, &end);
        assert_true(end != rest + 1 && *end == '\0');
    }
    free(copy);
}

static int teardown(void **state)
{
    (void)state;
    metrics_free();
    return 0;
}

static void test_off_until_init(void **state)
{
    (void)state;
    metrics_mailbox_add("room0");
    metrics_decision("room0", POLICY_ACCEPT, "sent", 100);
    metrics_ews_request("FindItem", EWS_CALL_OK, 0.1);
    assert_null(metrics_render());
}

static void test_decisions_and_answers(void **state)
{
    (void)state;
    metrics_init(1700000000);
    metrics_mailbox_add("room0");
    metrics_mailbox_add("attendee0");
    metrics_decision("room0", POLICY_ACCEPT, "sent", 1800000001);
    metrics_decision("room0", POLICY_ACCEPT, "sent", 1800000002);
    metrics_decision("room0", POLICY_DECLINE, "failed: ErrorServerBusy", 1800000003);
    metrics_decision("attendee0", POLICY_TENTATIVE, "dry-run", 1800000004);
    metrics_decision("unknown", POLICY_ACCEPT, "sent", 1800000005); /* not running: ignored */
    char *page = metrics_render();
    assert_non_null(page);
    assert_well_formed(page);
    assert_true(sample(page, "meetingd_build_info{version=\"" MEETINGD_VERSION "\"}") == 1);
    assert_true(sample(page, "meetingd_start_time_seconds") == 1700000000);
    assert_true(sample(page, "meetingd_mailboxes") == 2);
    assert_true(sample(page, "meetingd_decisions_total{mailbox=\"room0\",decision=\"accept\"}") ==
                2);
    assert_true(sample(page, "meetingd_decisions_total{mailbox=\"room0\",decision=\"decline\"}") ==
                1);
    assert_true(sample(page, "meetingd_decisions_total{mailbox=\"room0\",decision=\"ignore\"}") ==
                0);
    assert_true(sample(page, "meetingd_decisions_total{mailbox=\"attendee0\","
                             "decision=\"tentative\"}") == 1);
    assert_true(
        sample(page, "meetingd_answers_sent_total{mailbox=\"room0\",response=\"accept\"}") == 2);
    assert_true(
        sample(page, "meetingd_answers_sent_total{mailbox=\"room0\",response=\"decline\"}") == 0);
    assert_true(sample(page, "meetingd_answers_sent_total{mailbox=\"attendee0\","
                             "response=\"tentative\"}") == 0);
    assert_true(sample(page, "meetingd_answers_failed_total{mailbox=\"room0\"}") == 1);
    /* Only the latest decision is kept, with its kind. */
    assert_true(sample(page, "meetingd_last_decision_timestamp_seconds{mailbox=\"room0\","
                             "decision=\"decline\"}") == 1800000003);
    assert_true(sample(page, "meetingd_last_decision_timestamp_seconds{mailbox=\"room0\","
                             "decision=\"accept\"}") == -1);
    assert_null(strstr(page, "unknown"));
    free(page);
}

static void test_polls_and_failing(void **state)
{
    (void)state;
    metrics_init(1);
    metrics_mailbox_add("a");
    metrics_mailbox_add("b");
    metrics_mailbox_add("never");
    metrics_poll("a", true, 0, 1000);
    metrics_poll("a", false, 1, 1010);
    metrics_poll("a", false, 2, 1020);
    metrics_poll("b", false, 1, 1005);
    metrics_poll("b", true, 0, 1015);
    char *page = metrics_render();
    assert_well_formed(page);
    assert_true(sample(page, "meetingd_mailboxes_failing") == 1);
    assert_true(sample(page, "meetingd_mailbox_failing{mailbox=\"a\"}") == 1);
    assert_true(sample(page, "meetingd_mailbox_failing{mailbox=\"b\"}") == 0);
    assert_true(sample(page, "meetingd_mailbox_failing{mailbox=\"never\"}") == 0);
    assert_true(sample(page, "meetingd_mailbox_consecutive_failures{mailbox=\"a\"}") == 2);
    assert_true(sample(page, "meetingd_polls_total{mailbox=\"a\",outcome=\"ok\"}") == 1);
    assert_true(sample(page, "meetingd_polls_total{mailbox=\"a\",outcome=\"failed\"}") == 2);
    assert_true(sample(page, "meetingd_last_poll_timestamp_seconds{mailbox=\"a\"}") == 1020);
    assert_true(sample(page, "meetingd_last_successful_poll_timestamp_seconds{mailbox=\"a\"}") ==
                1000);
    assert_true(sample(page, "meetingd_last_successful_poll_timestamp_seconds{mailbox=\"b\"}") ==
                1015);
    /* No poll yet: no timestamp at all rather than 1970. */
    assert_true(sample(page, "meetingd_last_poll_timestamp_seconds{mailbox=\"never\"}") == -1);
    free(page);
}

static void test_backoff_causes(void **state)
{
    (void)state;
    struct backend_result busy = {.status = BACKEND_BUSY, .retry_ms = 5000};
    struct backend_result auth = {.status = BACKEND_AUTH};
    struct backend_result reset = {.status = BACKEND_TRANSPORT};
    struct backend_result http = {.status = BACKEND_SERVER};
    struct backend_result later = {.status = BACKEND_TRY_LATER};
    struct backend_result account = {.status = BACKEND_ACCOUNT};
    struct backend_result bad = {.status = BACKEND_FAILED};
    struct backend_result waited = {.status = BACKEND_SERVER, .retry_ms = 2000};
    assert_string_equal(metrics_backoff_cause(&busy), "server-busy");
    assert_string_equal(metrics_backoff_cause(&auth), "auth");
    assert_string_equal(metrics_backoff_cause(&reset), "transport");
    assert_string_equal(metrics_backoff_cause(&http), "server-unavailable");
    assert_string_equal(metrics_backoff_cause(&later), "try-later");
    assert_string_equal(metrics_backoff_cause(&account), "account");
    assert_string_equal(metrics_backoff_cause(&bad), "failed");
    assert_string_equal(metrics_backoff_cause(&waited), "server-busy");

    metrics_init(1);
    metrics_mailbox_add("room0");
    metrics_backoff("room0", &busy);
    metrics_backoff("room0", &busy);
    metrics_backoff("room0", &reset);
    char *page = metrics_render();
    assert_well_formed(page);
    assert_true(sample(page, "meetingd_backoffs_total{mailbox=\"room0\",cause=\"server-busy\"}") ==
                2);
    assert_true(sample(page, "meetingd_backoffs_total{mailbox=\"room0\",cause=\"transport\"}") ==
                1);
    assert_true(sample(page, "meetingd_backoffs_total{mailbox=\"room0\",cause=\"auth\"}") == -1);
    free(page);
}

static void test_ews_requests_and_latency(void **state)
{
    (void)state;
    metrics_init(1);
    metrics_ews_request("FindItem", EWS_CALL_OK, 0.004);
    metrics_ews_request("FindItem", EWS_CALL_OK, 0.2);
    metrics_ews_request("FindItem", EWS_CALL_TRANSPORT, 75.0);
    metrics_ews_request("CreateItem", EWS_CALL_FAULT, 1.0);
    metrics_set_queue(3, 8);
    char *page = metrics_render();
    assert_well_formed(page);
    assert_true(
        sample(page, "meetingd_ews_requests_total{operation=\"FindItem\",outcome=\"ok\"}") == 2);
    assert_true(sample(page, "meetingd_ews_requests_total{operation=\"FindItem\","
                             "outcome=\"transport-error\"}") == 1);
    assert_true(sample(page, "meetingd_ews_requests_total{operation=\"CreateItem\","
                             "outcome=\"soap-fault\"}") == 1);
    /* Buckets are cumulative; +Inf holds the 75 s one too. */
    const char *b = "meetingd_ews_request_duration_seconds_bucket{operation=\"FindItem\",le=";
    char series[160];
    snprintf(series, sizeof(series), "%s\"0.01\"}", b);
    assert_true(sample(page, series) == 1);
    snprintf(series, sizeof(series), "%s\"0.25\"}", b);
    assert_true(sample(page, series) == 2);
    snprintf(series, sizeof(series), "%s\"60\"}", b);
    assert_true(sample(page, series) == 2);
    snprintf(series, sizeof(series), "%s\"+Inf\"}", b);
    assert_true(sample(page, series) == 3);
    assert_true(
        sample(page, "meetingd_ews_request_duration_seconds_count{operation=\"FindItem\"}") == 3);
    double sum = sample(page, "meetingd_ews_request_duration_seconds_sum{operation=\"FindItem\"}");
    assert_true(sum > 75.2039 && sum < 75.2041);
    /* An answer of exactly a bucket's bound counts in that bucket (le = less or equal). */
    assert_true(sample(page, "meetingd_ews_request_duration_seconds_bucket{operation="
                             "\"CreateItem\",le=\"1\"}") == 1);
    assert_true(sample(page, "meetingd_ews_request_duration_seconds_bucket{operation="
                             "\"CreateItem\",le=\"0.5\"}") == 0);
    assert_true(sample(page, "meetingd_ews_requests_queued") == 3);
    assert_true(sample(page, "meetingd_ews_requests_in_flight") == 8);
    free(page);
}

/* Mailbox names are the administrator's: quotes, backslashes and newlines are escaped. */
static void test_label_escaping(void **state)
{
    (void)state;
    metrics_init(1);
    metrics_mailbox_add("a\"b\\c\nd");
    metrics_poll("a\"b\\c\nd", true, 0, 5);
    char *page = metrics_render();
    assert_well_formed(page);
    assert_true(sample(page, "meetingd_mailbox_failing{mailbox=\"a\\\"b\\\\c\\nd\"}") == 0);
    free(page);
}

/* Many mailboxes, some removed (reload): every lookup still finds the right one. */
static void test_add_remove_many(void **state)
{
    (void)state;
    metrics_init(1);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "mbx%d", i);
        metrics_mailbox_add(name);
    }
    metrics_mailbox_add("mbx5"); /* already there: no second series */
    for (int i = 0; i < 1000; i += 2) {
        snprintf(name, sizeof(name), "mbx%d", i);
        metrics_mailbox_remove(name);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "mbx%d", i);
        metrics_poll(name, true, 0, 100 + i);
    }
    char *page = metrics_render();
    assert_well_formed(page);
    assert_true(sample(page, "meetingd_mailboxes") == 500);
    assert_true(sample(page, "meetingd_last_poll_timestamp_seconds{mailbox=\"mbx999\"}") == 1099);
    assert_true(sample(page, "meetingd_last_poll_timestamp_seconds{mailbox=\"mbx5\"}") == 105);
    assert_true(sample(page, "meetingd_last_poll_timestamp_seconds{mailbox=\"mbx4\"}") == -1);
    /* Removal moves the last mailbox into the freed place: every survivor keeps its own. */
    for (int i = 1; i < 1000; i += 2) {
        char series[96];
        snprintf(series, sizeof(series), "meetingd_last_poll_timestamp_seconds{mailbox=\"mbx%d\"}",
                 i);
        assert_true(sample(page, series) == 100 + i);
    }
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_off_until_init, teardown),
        cmocka_unit_test_teardown(test_decisions_and_answers, teardown),
        cmocka_unit_test_teardown(test_polls_and_failing, teardown),
        cmocka_unit_test_teardown(test_backoff_causes, teardown),
        cmocka_unit_test_teardown(test_ews_requests_and_latency, teardown),
        cmocka_unit_test_teardown(test_label_escaping, teardown),
        cmocka_unit_test_teardown(test_add_remove_many, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
