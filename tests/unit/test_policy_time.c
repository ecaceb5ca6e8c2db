/*
 * Unit tests of policy_time_series: a request's occurrences from the calendar view and when
 * its series ends, as the policy's context needs them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_time.h"

#define T0 ((time_t)1796292000) /* 2026-12-03T10:00:00Z */
#define DAY 86400

static struct item request(struct item_recurrence *rec)
{
    struct item it;
    item_init(&it);
    it.kind = ITEM_MEETING_REQUEST;
    it.uid = "uid-1";
    it.start = T0;
    it.end = T0 + 3600;
    it.recurrence = rec;
    return it;
}

static struct item calendar_entry(const char *uid, time_t start)
{
    struct item it;
    item_init(&it);
    it.kind = ITEM_CALENDAR;
    it.uid = (char *)uid;
    it.start = start;
    it.end = start + 3600;
    return it;
}

static void series(const struct item *req, const struct item *cal, size_t n,
                   struct policy_context *ctx)
{
    const struct item *ptrs[8];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &cal[i];
    struct policy_occurrence *occ = NULL;
    memset(ctx, 0, sizeof(*ctx));
    policy_time_series(req, ptrs, n, ctx, &occ);
    assert_ptr_equal(ctx->occurrences, occ);
    /* The test keeps the array; the context points into it. */
}

static void test_single_meeting(void **state)
{
    struct item req = request(NULL);
    struct item cal[] = {calendar_entry("other", T0)};
    struct policy_context ctx;
    series(&req, cal, 1, &ctx);
    assert_int_equal(ctx.n_occurrences, 1); /* the request itself */
    assert_true(ctx.occurrences[0].start == T0);
    assert_true(ctx.series_end_known);
    assert_true(ctx.series_end == T0 + 3600);
    free((void *)ctx.occurrences);
}

static void test_own_occurrences_by_uid(void **state)
{
    struct item_recurrence rec = {.pattern = REC_DAILY, .interval = 1, .range = REC_RANGE_NO_END};
    struct item req = request(&rec);
    struct item cal[] = {calendar_entry("uid-1", T0), calendar_entry("other", T0),
                         calendar_entry("uid-1", T0 + DAY)};
    struct policy_context ctx;
    series(&req, cal, 3, &ctx);
    assert_int_equal(ctx.n_occurrences, 2);
    assert_true(ctx.occurrences[1].start == T0 + DAY);
    assert_true(ctx.series_end_known);
    assert_true(ctx.series_end == 0); /* never */
    free((void *)ctx.occurrences);
}

static void test_end_date_is_inclusive(void **state)
{
    struct item_recurrence rec = {.pattern = REC_DAILY,
                                  .interval = 1,
                                  .range = REC_RANGE_END_DATE,
                                  .start_date = "2026-12-03",
                                  .end_date = "2026-12-10"};
    struct item req = request(&rec);
    struct policy_context ctx;
    series(&req, NULL, 0, &ctx);
    assert_true(ctx.series_end_known);
    assert_true(ctx.series_end == (time_t)1796947200); /* 2026-12-11T00:00:00Z */
    free((void *)ctx.occurrences);

    strcpy(rec.end_date, "2026-12-1x");
    series(&req, NULL, 0, &ctx);
    assert_false(ctx.series_end_known);
    free((void *)ctx.occurrences);
}

static void test_numbered_series(void **state)
{
    struct item_recurrence rec = {.pattern = REC_DAILY,
                                  .interval = 1,
                                  .range = REC_RANGE_NUMBERED,
                                  .number_of_occurrences = 2};
    struct item req = request(&rec);
    struct item cal[] = {calendar_entry("uid-1", T0), calendar_entry("uid-1", T0 + DAY)};
    struct policy_context ctx;
    series(&req, cal, 2, &ctx);
    assert_true(ctx.series_end_known); /* all listed: ends with the last */
    assert_true(ctx.series_end == T0 + DAY + 3600);
    free((void *)ctx.occurrences);

    rec.number_of_occurrences = 5; /* more than the view shows: unknown */
    series(&req, cal, 2, &ctx);
    assert_false(ctx.series_end_known);
    free((void *)ctx.occurrences);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_meeting),
        cmocka_unit_test(test_own_occurrences_by_uid),
        cmocka_unit_test(test_end_date_is_inclusive),
        cmocka_unit_test(test_numbered_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
