/*
 * health: the summary of a metrics page, from pages the metrics registry really renders, and
 * from pages that are not meetingd's or are hostile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "metrics.h"

#define NOW 1800000000

/* health_report's output and status. (Static: the stream writes them when it is closed.) */
static char *report(const char *page, int *rc)
{
    static char *text;
    static size_t len;
    text = NULL;
    FILE *out = open_memstream(&text, &len);
    *rc = health_report(page, NOW, out);
    fclose(out);
    return text;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_summary(void **state)
{
    (void)state;
    metrics_init(NOW - 7260);
    metrics_mailbox_add("room0");
    metrics_mailbox_add("broken");
    metrics_mailbox_add("fresh");
    metrics_poll("room0", true, 0, NOW - 12);
    metrics_decision("room0", POLICY_ACCEPT, "sent", NOW - 130);
    metrics_decision("room0", POLICY_DECLINE, "sent", NOW - 100);
    metrics_poll("broken", false, 3, NOW - 5);
    metrics_ews_request("FindItem", EWS_CALL_OK, 0.1);
    metrics_ews_request("FindItem", EWS_CALL_AUTH, 0.1);
    metrics_set_queue(2, 1);
    char *page = metrics_render();
    metrics_free();
    int rc;
    char *out = report(page, &rc);
    assert_int_equal(rc, HEALTH_FAILING);
    assert_non_null(strstr(out, "meetingd " MEETINGD_VERSION ", up 2h 01m (since "));
    assert_non_null(strstr(out, "3 mailbox(es), 1 failing\n"));
    assert_non_null(strstr(out, "EWS requests: 2, 1 failed; 2 queued, 1 in flight\n"));
    /* Failing first, then by name. */
    const char *broken = strstr(out, "\nbroken ");
    const char *fresh = strstr(out, "\nfresh ");
    const char *room0 = strstr(out, "\nroom0 ");
    assert_true(broken && fresh && room0 && broken < fresh && fresh < room0);
    assert_non_null(strstr(broken, "5s ago        never"));
    assert_non_null(strstr(broken, "FAILING (3 failed polls in a row)\n"));
    assert_non_null(strstr(fresh, "never         never"));
    assert_non_null(strstr(fresh, "starting\n"));
    assert_non_null(
        strstr(room0, "12s ago       12s ago               2     2  decline 1m 40s ago"));
    assert_non_null(strstr(room0, " ok\n"));
    free(out);
    free(page);
}

static void test_all_fine(void **state)
{
    (void)state;
    metrics_init(NOW - 5);
    metrics_mailbox_add("a");
    metrics_poll("a", true, 0, NOW - 1);
    char *page = metrics_render();
    metrics_free();
    int rc;
    char *out = report(page, &rc);
    assert_int_equal(rc, HEALTH_OK);
    assert_non_null(strstr(out, "up 5s ("));
    free(out);
    free(page);
}

/* A mailbox whose state cannot be written sends nothing: shown PAUSED, first, and failing;
 * once it resumes it is fine again. */
static void test_paused(void **state)
{
    (void)state;
    metrics_init(NOW - 60);
    metrics_mailbox_add("a");
    metrics_mailbox_add("z");
    metrics_poll("a", true, 0, NOW - 1);
    metrics_poll("z", true, 0, NOW - 1);
    metrics_paused("z", true);
    char *page = metrics_render();
    assert_non_null(strstr(page, "meetingd_mailbox_paused{mailbox=\"z\"} 1\n"));
    assert_non_null(strstr(page, "meetingd_mailbox_paused{mailbox=\"a\"} 0\n"));
    int rc;
    char *out = report(page, &rc);
    assert_int_equal(rc, HEALTH_FAILING);
    const char *z = strstr(out, "\nz "), *a = strstr(out, "\na ");
    assert_true(z && a && z < a);
    assert_non_null(strstr(z, "PAUSED (its state cannot be written; nothing is sent)\n"));
    free(out);
    free(page);
    metrics_paused("z", false);
    page = metrics_render();
    metrics_free();
    out = report(page, &rc);
    assert_int_equal(rc, HEALTH_OK);
    free(out);
    free(page);
}

/* A thousand mailboxes still fit one screen: every failing one, then a count of the rest. */
static void test_one_screen(void **state)
{
    (void)state;
    metrics_init(NOW - 100);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "mbx%04d", i);
        metrics_mailbox_add(name);
        metrics_poll(name, i % 250 != 7, i % 250 == 7 ? 1 : 0, NOW - 3);
    }
    char *page = metrics_render();
    metrics_free();
    int rc;
    char *out = report(page, &rc);
    assert_int_equal(rc, HEALTH_FAILING);
    assert_int_equal(count_lines(out), 4 + HEALTH_MAX_ROWS + 1);
    assert_non_null(strstr(out, "\nmbx0007 "));
    assert_non_null(strstr(out, "\nmbx0757 "));
    assert_non_null(strstr(out, "... and 960 more mailbox(es), none failing\n"));
    free(out);
    free(page);
}

static void test_not_meetingd(void **state)
{
    (void)state;
    int rc;
    char *out = report("# HELP go_goroutines x\ngo_goroutines 12\n", &rc);
    assert_int_equal(rc, -1);
    assert_string_equal(out, "");
    free(out);
    out = report("", &rc);
    assert_int_equal(rc, -1);
    free(out);
}

/* Whatever answers on that port cannot smuggle terminal control codes or crash the reader. */
static void test_hostile_page(void **state)
{
    (void)state;
    const char *page = "meetingd_build_info{version=\"1\\n\x1b[2J\"} 1\n"
                       "meetingd_mailbox_failing{mailbox=\"evil\x1b]0;title\x07\"} 1\n"
                       "meetingd_mailbox_failing{mailbox=\"unterminated} 1\n"
                       "meetingd_mailbox_failing{a=\"1\",b=\"2\",c=\"3\",d=\"4\",mailbox=\"x\"} 1\n"
                       "meetingd_mailbox_failing{mailbox=\"y\"} notanumber\n"
                       "meetingd_mailbox_failing{mailbox=\"z\" 1\n"
                       "{}\n \n}\n=\nmeetingd_mailboxes\n"
                       "meetingd_last_poll_timestamp_seconds{mailbox=\"q\"} -1e308\n"
                       "meetingd_decisions_total{mailbox=\"q\",decision=\"accept\"} 1e300\n";
    int rc;
    char *out = report(page, &rc);
    assert_int_equal(rc, HEALTH_FAILING);
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\x07'));
    assert_non_null(strstr(out, "\nevil?]0;title? "));
    assert_null(strstr(out, "unterminated"));
    assert_null(strstr(out, "\nx "));
    assert_null(strstr(out, "\ny "));
    assert_null(strstr(out, "\nz "));
    assert_non_null(strstr(out, "\nq "));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),      cmocka_unit_test(test_all_fine),
        cmocka_unit_test(test_one_screen),   cmocka_unit_test(test_not_meetingd),
        cmocka_unit_test(test_hostile_page), cmocka_unit_test(test_paused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
