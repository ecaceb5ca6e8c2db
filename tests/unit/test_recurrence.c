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

static void expect_in(const struct item_recurrence *rec, const char *zone, const char *first,
                      const char *first_end, const char *from, const char *to, const char *want,
                      bool want_more)
{
    struct policy_occurrence *occ = NULL;
    bool more = !want_more;
    size_t n =
        recurrence_expand(rec, zone, at(first), at(first_end), at(from), at(to), 100, &occ, &more);
    char *got = starts_of(occ, n);
    assert_string_equal(got, want);
    assert_int_equal(more, want_more);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(occ[i].end - occ[i].start, at(first_end) - at(first));
    free(got);
    free(occ);
}

/* Without a zone: the first occurrence's UTC time of day for every occurrence. */
static void expect(const struct item_recurrence *rec, const char *first, const char *first_end,
                   const char *from, const char *to, const char *want, bool want_more)
{
    expect_in(rec, NULL, first, first_end, from, to, want, want_more);
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
    assert_int_equal(recurrence_expand(&rec, NULL, 0, 3600, 0, 86400 * 10, 10, &occ, NULL), 0);
    assert_null(occ);
}

/* A weekly series at 09:00 in Berlin over the spring change of 2027-03-28: 08:00Z before it,
 * 07:00Z after, as the server keeps the wall-clock time; the autumn change back likewise. */
static void test_weekly_across_daylight_saving(void **state)
{
    (void)state;
    struct item_recurrence rec = {.pattern = REC_WEEKLY,
                                  .interval = 1,
                                  .days_of_week = ITEM_DOW_MONDAY,
                                  .range = REC_RANGE_NUMBERED,
                                  .start_date = "2027-03-15",
                                  .number_of_occurrences = 4};
    expect_in(&rec, "Europe/Berlin", "2027-03-15T08:00:00Z", "2027-03-15T09:00:00Z",
              "2027-03-01T00:00:00Z", "2027-05-01T00:00:00Z",
              "2027-03-15T08:00:00Z 2027-03-22T08:00:00Z 2027-03-29T07:00:00Z "
              "2027-04-05T07:00:00Z",
              false);
    snprintf(rec.start_date, sizeof(rec.start_date), "%s", "2027-10-18");
    expect_in(&rec, "Europe/Berlin", "2027-10-18T07:00:00Z", "2027-10-18T08:00:00Z",
              "2027-10-01T00:00:00Z", "2027-12-01T00:00:00Z",
              "2027-10-18T07:00:00Z 2027-10-25T07:00:00Z 2027-11-01T08:00:00Z "
              "2027-11-08T08:00:00Z",
              false);
    /* The same series without its zone keeps the first UTC time (what was done before). */
    snprintf(rec.start_date, sizeof(rec.start_date), "%s", "2027-03-15");
    expect(&rec, "2027-03-15T08:00:00Z", "2027-03-15T09:00:00Z", "2027-03-01T00:00:00Z",
           "2027-05-01T00:00:00Z",
           "2027-03-15T08:00:00Z 2027-03-22T08:00:00Z 2027-03-29T08:00:00Z "
           "2027-04-05T08:00:00Z",
           false);
}

/* Daily at 02:30 Berlin time: the spring night has no 02:30 (read with the offset before,
 * 01:30Z = 03:30 CEST), the autumn night has two (the first, 00:30Z); a zone west of UTC whose
 * local date is a UTC day behind. */
static void test_skipped_and_repeated_local_times(void **state)
{
    (void)state;
    struct item_recurrence rec = {.pattern = REC_DAILY,
                                  .interval = 1,
                                  .range = REC_RANGE_NUMBERED,
                                  .start_date = "2027-03-27",
                                  .number_of_occurrences = 3};
    expect_in(&rec, "Europe/Berlin", "2027-03-27T01:30:00Z", "2027-03-27T02:00:00Z",
              "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z",
              "2027-03-27T01:30:00Z 2027-03-28T01:30:00Z 2027-03-29T00:30:00Z", false);
    snprintf(rec.start_date, sizeof(rec.start_date), "%s", "2027-10-30");
    expect_in(&rec, "Europe/Berlin", "2027-10-30T00:30:00Z", "2027-10-30T01:00:00Z",
              "2027-10-01T00:00:00Z", "2027-11-05T00:00:00Z",
              "2027-10-30T00:30:00Z 2027-10-31T00:30:00Z 2027-11-01T01:30:00Z", false);
    snprintf(rec.start_date, sizeof(rec.start_date), "%s", "2027-03-13");
    expect_in(&rec, "America/New_York", "2027-03-14T03:00:00Z", "2027-03-14T04:00:00Z",
              "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z",
              "2027-03-14T03:00:00Z 2027-03-15T02:00:00Z 2027-03-16T02:00:00Z", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekly_numbered),
        cmocka_unit_test(test_weekly_several_days_every_other_week),
        cmocka_unit_test(test_monthly_patterns),
        cmocka_unit_test(test_daily_and_a_utc_date_before_the_local_one),
        cmocka_unit_test(test_unreadable_start_date),
        cmocka_unit_test(test_weekly_across_daylight_saving),
        cmocka_unit_test(test_skipped_and_repeated_local_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
