/*
 * civil: the proleptic Gregorian calendar by arithmetic, in UTC.
 *
 * gmtime_r() and timegm() take glibc's time zone lock and normalise their fields, and
 * snprintf() reads its format every time: for the handful of UTC dates of every meeting (each
 * xs:dateTime parsed, each time in a record line) that cost about a tenth of a decision's
 * instructions. These are plain functions of their arguments; the series expansion
 * (recurrence.c) counts its days with them too. Times are for years 0 to 9999.
 */
#ifndef MEETINGD_CIVIL_H
#define MEETINGD_CIVIL_H

#include <stdbool.h>
#include <time.h>

struct civil_time {
    int year; /* 0..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
    int hour, minute, second;
};

/* Whether YEAR-MONTH-DAY is a date of the calendar (year 0..9999; no 30 February). */
bool civil_date_valid(int year, int month, int day);

/* The days of MONTH (1..12) in YEAR. */
int civil_month_length(long long year, int month);

/* Days from 1970-01-01 to YEAR-MONTH-DAY (month 1..12, day 1..its length; any year, negative
 * before 1970). */
long long civil_days_from_date(long long year, int month, int day);

/* The date DAYS after 1970-01-01 (negative: before), the inverse of civil_days_from_date. */
void civil_date_from_days(long long days, long long *year, int *month, int *day);

/* The UTC date and time of T, which must lie in years 0..9999 (civil_time_in_range). */
struct civil_time civil_from_time(time_t t);

/* Whether T lies in years 0..9999. */
bool civil_time_in_range(time_t t);

/* T as "YYYY-MM-DDTHH:MM:SSZ" (T in range) into BUF of 21 bytes. */
void civil_format_utc(time_t t, char buf[static 21]);

#endif
