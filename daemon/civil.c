/*
 * civil: the proleptic Gregorian calendar by arithmetic (see civil.h).
 */
#include "civil.h"

#define SECONDS_PER_DAY 86400LL
#define FIRST_TIME (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define LAST_TIME 253402300799LL    /* 9999-12-31T23:59:59Z */

/* Days of the year before the first of each month, in a common year. */
static const int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool leap(long long year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Leap years among 0 .. YEAR-1 (year 0 is one). */
static long long leap_years_before(long long year)
{
    return floor_div(year + 3, 4) - floor_div(year + 99, 100) + floor_div(year + 399, 400);
}

/* Days from 1970-01-01 to the first of January of YEAR. */
static long long days_before_year(long long year)
{
    return 365 * (year - 1970) + leap_years_before(year) - leap_years_before(1970);
}

int civil_month_length(long long year, int month)
{
    static const int length[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return length[month - 1] + (month == 2 && leap(year));
}

bool civil_date_valid(int year, int month, int day)
{
    return year >= 0 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
           day <= civil_month_length(year, month);
}

long long civil_days_from_date(long long year, int month, int day)
{
    return days_before_year(year) + days_before_month[month - 1] + (month > 2 && leap(year)) +
           day - 1;
}

void civil_date_from_days(long long days, long long *year, int *month, int *day)
{
    /* A year's estimate from the mean Gregorian year (146,097 days in 400 years), then set
     * right by at most a step or two. */
    long long y = 1970 + floor_div(days * 400, 146097);
    while (days_before_year(y) > days)
        y--;
    while (days_before_year(y + 1) <= days)
        y++;
    int day_of_year = (int)(days - days_before_year(y));
    int m = 12;
    while (days_before_month[m - 1] + (m > 2 && leap(y)) > day_of_year)
        m--;
    *year = y;
    *month = m;
    *day = day_of_year - days_before_month[m - 1] - (m > 2 && leap(y)) + 1;
}

bool civil_time_in_range(time_t t)
{
    return (long long)t >= FIRST_TIME && (long long)t <= LAST_TIME;
}

struct civil_time civil_from_time(time_t t)
{
    long long days = floor_div((long long)t, SECONDS_PER_DAY);
    long long secs = (long long)t - days * SECONDS_PER_DAY;
    long long year;
    struct civil_time c = {
        .hour = (int)(secs / 3600),
        .minute = (int)(secs / 60 % 60),
        .second = (int)(secs % 60),
    };
    civil_date_from_days(days, &year, &c.month, &c.day);
    c.year = (int)year;
    return c;
}

static char *digits(char *p, int value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + value % 10);
        value /= 10;
    }
    return p + width;
}

void civil_format_utc(time_t t, char buf[static 21])
{
    struct civil_time c = civil_from_time(t);
    char *p = digits(buf, c.year, 4);
    *p++ = '-';
    p = digits(p, c.month, 2);
    *p++ = '-';
    p = digits(p, c.day, 2);
    *p++ = 'T';
    p = digits(p, c.hour, 2);
    *p++ = ':';
    p = digits(p, c.minute, 2);
    *p++ = ':';
    p = digits(p, c.second, 2);
    *p++ = 'Z';
    *p = '\0';
}
