/*
 * Unit tests of civil (the Gregorian calendar by arithmetic): the same answers as glibc's
 * gmtime_r() and timegm() over the whole range of years 0 to 9999, and the edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "civil.h"

#define FIRST (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define LAST 253402300799LL    /* 9999-12-31T23:59:59Z */

static void reference(time_t t, char buf[static 32])
{
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    assert_true(tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999);
    snprintf(buf, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

/* Every 7 days, 1 hour and 13 seconds from the first second of year 0 to the last of 9999
 * (about 520,000 times: every weekday, hour and a spread of seconds), and the seconds
 * around every New Year and 1 March: the text and the date's day count agree with glibc. */
static void test_against_glibc(void **state)
{
    (void)state;
    const long long step = 7 * 86400LL + 3600 + 13;
    char got[21], want[32];
    for (long long t = FIRST; t <= LAST; t += step) {
        civil_format_utc((time_t)t, got);
        reference((time_t)t, want);
        assert_string_equal(got, want);
        struct civil_time c = civil_from_time((time_t)t);
        assert_true(civil_date_valid(c.year, c.month, c.day));
        long long midnight = civil_days_from_date(c.year, c.month, c.day) * 86400LL;
        assert_int_equal(midnight + c.hour * 3600 + c.minute * 60 + c.second, t);
    }
    for (int year = 0; year <= 9999; year++) {
        for (int month = 1; month <= 3; month += 2) {
            struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = 1};
            time_t first = timegm(&tm);
            assert_int_equal(civil_days_from_date(year, month, 1) * 86400LL, (long long)first);
            for (time_t t = first - 1; t <= first; t++) {
                if (!civil_time_in_range(t))
                    continue;
                civil_format_utc(t, got);
                reference(t, want);
                assert_string_equal(got, want);
            }
        }
    }
}

static void test_edges(void **state)
{
    (void)state;
    char b[21];
    civil_format_utc((time_t)FIRST, b);
    assert_string_equal(b, "0000-01-01T00:00:00Z");
    civil_format_utc((time_t)LAST, b);
    assert_string_equal(b, "9999-12-31T23:59:59Z");
    civil_format_utc(0, b);
    assert_string_equal(b, "1970-01-01T00:00:00Z");
    civil_format_utc(-1, b);
    assert_string_equal(b, "1969-12-31T23:59:59Z");
    assert_true(civil_time_in_range((time_t)FIRST));
    assert_false(civil_time_in_range((time_t)(FIRST - 1)));
    assert_true(civil_time_in_range((time_t)LAST));
    assert_false(civil_time_in_range((time_t)(LAST + 1)));
    /* Leap years: every fourth, not every hundredth, every four hundredth; year 0 is one. */
    assert_true(civil_date_valid(2024, 2, 29));
    assert_false(civil_date_valid(2026, 2, 29));
    assert_false(civil_date_valid(1900, 2, 29));
    assert_true(civil_date_valid(2000, 2, 29));
    assert_true(civil_date_valid(0, 2, 29));
    assert_false(civil_date_valid(2026, 4, 31));
    assert_false(civil_date_valid(2026, 13, 1));
    assert_false(civil_date_valid(2026, 0, 1));
    assert_false(civil_date_valid(2026, 1, 0));
    assert_false(civil_date_valid(10000, 1, 1));
    assert_false(civil_date_valid(-1, 1, 1));
    assert_int_equal(civil_days_from_date(1970, 1, 1), 0);
    assert_int_equal(civil_days_from_date(2024, 2, 29), 19782);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_glibc),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
