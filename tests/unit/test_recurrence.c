/*
 * recurrence_expand: series expansion for servers whose CalendarView returns the master.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "recurrence.h"
#include "util.h"

static time_t at(const char *iso)
{
    time_t t;
    assert_int_equal(util_parse_xs_datetime(iso, &t), 0);
    return t;
}

/* The occurrences' starts as "YYYY-MM-DDTHH:MM:SSZ ..." (one string to compare). */
static char *starts_of(const struct policy_occurrence *occ, size_t n)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char buf[21];
        util_format_xs_datetime(occ[i].start, buf);
        char *more = xasprintf("%s%s%s", out, i ? " " : "", buf);
        free(out);
        out = more;
    }
    return out;
}

static void expect(const struct item_recurrence *rec, const char *first, const char *first_end,
                   const char *from, const char *to, const char *want, bool want_more)
{
    struct policy_occurrence *occ = NULL;
    bool more = !want_more;
    size_t n = recurrence_expand(rec, at(first), at(first_end), at(from), at(to), 100, &occ, &more);
    char *got = starts_of(occ, n);
    assert_string_equal(got, want);
    assert_int_equal(more, want_more);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(occ[i].end - occ[i].start, at(first_end) - at(first));
    free(got);
    free(occ);
}

static void test_weekly_numbered(void **state)
{
    (void)state;
    struct item_recurrence rec = {.pattern = REC_WEEKLY,
                                  .interval = 1,
                                  .days_of_week = ITEM_DOW_TUESDAY,
                                  .range = REC_RANGE_NUMBERED,
                                  .start_date = "2026-12-08",
                                  .number_of_occurrences = 4};
    expect(&rec, "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z", "2026-12-01T00:00:00Z",
           "2027-06-01T00:00:00Z",
           "2026-12-08T10:00:00Z 2026-12-15T10:00:00Z 2026-12-22T10:00:00Z 2026-12-29T10:00:00Z",
           false);
    /* A window on the third occurrence: only it, though the series began before. */
    expect(&rec, "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z", "2026-12-22T10:30:00Z",
           "2026-12-22T11:30:00Z", "2026-12-22T10:00:00Z", true);
}

static void test_weekly_several_days_every_other_week(void **state)
{
    (void)state;
    struct item_recurrence rec = {.pattern = REC_WEEKLY,
                                  .interval = 2,
                                  .days_of_week = ITEM_DOW_MONDAY | ITEM_DOW_THURSDAY,
                                  .range = REC_RANGE_END_DATE,
                                  .start_date = "2026-12-03",
                                  .end_date = "2027-01-04"};
    /* Thu 3 Dec; the Monday of that week is before StartDate; then the weeks of 13 and 27
     * Dec (Sunday-first); the end date is inclusive. */
    expect(&rec, "2026-12-03T09:00:00Z", "2026-12-03T09:30:00Z", "2026-11-01T00:00:00Z",
           "2027-02-01T00:00:00Z",
           "2026-12-03T09:00:00Z 2026-12-14T09:00:00Z 2026-12-17T09:00:00Z "
           "2026-12-28T09:00:00Z 2026-12-31T09:00:00Z",
           false);
}

static void test_monthly_patterns(void **state)
{
    (void)state;
    struct item_recurrence abs = {.pattern = REC_ABSOLUTE_MONTHLY,
                                  .interval = 1,
                                  .day_of_month = 31,
                                  .range = REC_RANGE_NUMBERED,
                                  .start_date = "2027-01-31",
                                  .number_of_occurrences = 3};
    /* The 31st of a shorter month is its last day. */
    expect(&abs, "2027-01-31T08:00:00Z", "2027-01-31T09:00:00Z", "2027-01-01T00:00:00Z",
           "2028-01-01T00:00:00Z", "2027-01-31T08:00:00Z 2027-02-28T08:00:00Z 2027-03-31T08:00:00Z",
           false);
    struct item_recurrence rel = {.pattern = REC_RELATIVE_MONTHLY,
                                  .interval = 1,
                                  .days_of_week = ITEM_DOW_FRIDAY,
                                  .day_of_week_index = 5,
                                  .range = REC_RANGE_NO_END,
                                  .start_date = "2026-12-25"};
    expect(&rel, "2026-12-25T15:00:00Z", "2026-12-25T16:00:00Z", "2026-12-01T00:00:00Z",
           "2027-03-01T00:00:00Z", "2026-12-25T15:00:00Z 2027-01-29T15:00:00Z 2027-02-26T15:00:00Z",
           true);
}

static void test_daily_and_a_utc_date_before_the_local_one(void **state)
{
    (void)state;
    /* 00:30 in UTC+1 on the local StartDate 2026-12-08 is 23:30 UTC the day before. */
    struct item_recurrence rec = {.pattern = REC_DAILY,
                                  .interval = 3,
                                  .range = REC_RANGE_NUMBERED,
                                  .start_date = "2026-12-08",
                                  .number_of_occurrences = 3};
    expect(&rec, "2026-12-07T23:30:00Z", "2026-12-08T00:00:00Z", "2026-12-01T00:00:00Z",
           "2027-01-01T00:00:00Z", "2026-12-07T23:30:00Z 2026-12-10T23:30:00Z 2026-12-13T23:30:00Z",
           false);
}

static void test_unreadable_start_date(void **state)
{
    (void)state;
    struct item_recurrence rec = {
        .pattern = REC_DAILY, .interval = 1, .range = REC_RANGE_NO_END, .start_date = "2026-02-30"};
    struct policy_occurrence *occ = (struct policy_occurrence *)1;
    assert_int_equal(recurrence_expand(&rec, 0, 3600, 0, 86400 * 10, 10, &occ, NULL), 0);
    assert_null(occ);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekly_numbered),
        cmocka_unit_test(test_weekly_several_days_every_other_week),
        cmocka_unit_test(test_monthly_patterns),
        cmocka_unit_test(test_daily_and_a_utc_date_before_the_local_one),
        cmocka_unit_test(test_unreadable_start_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
