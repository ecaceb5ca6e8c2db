"""Tests of recurrence.py (EWS recurrence model and expansion) and tzmap.py.

Run from the repository root: python3 tests/ewssim/tests/test_recurrence.py
Needs nothing outside the standard library and the system tz database.
"""

import calendar
import os
import random
import sys
import unittest
import xml.etree.ElementTree as ET
import zoneinfo
from datetime import date, datetime, time, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import recurrence  # noqa: E402
import tzmap  # noqa: E402
from recurrence import Recurrence  # noqa: E402

T = "http://schemas.microsoft.com/exchange/services/2006/types"
UTC = timezone.utc
HOUR = timedelta(hours=1)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def rec_xml(pattern_xml, range_xml):
    text = ('<t:Recurrence xmlns:t="%s">%s%s</t:Recurrence>' % (T, pattern_xml, range_xml))
    return recurrence.parse_recurrence(ET.fromstring(text), T)


def starts(occs):
    return [s for _, s, _ in occs]


def dates_in(occs, tz):
    z = zoneinfo.ZoneInfo(tz)
    return [s.astimezone(z).date() for _, s, _ in occs]


WIDE = (utc(2000, 1, 1), utc(2040, 1, 1))


# --- an independent oracle: decides membership day by day instead of generating -------------


def oracle_dates(rec, horizon):
    """All occurrence dates of rec up to horizon, found by testing every day."""
    sd = rec.start_date
    fdw = recurrence.DAY_NAMES.index(rec.first_day_of_week or "Sunday")
    out = []
    d = sd
    while d <= horizon:
        months = (d.year - sd.year) * 12 + d.month - sd.month
        dim = calendar.monthrange(d.year, d.month)[1]
        p = rec.pattern
        if p == "Daily":
            ok = (d - sd).days % rec.interval == 0
        elif p == "Weekly":
            week = ((d - sd).days + (sd.weekday() - fdw) % 7) // 7
            ok = (recurrence.DAY_NAMES[d.weekday()] in rec.days_of_week
                  and week % rec.interval == 0)
        elif p == "AbsoluteMonthly":
            ok = months % rec.interval == 0 and d.day == min(rec.day_of_month, dim)
        elif p == "RelativeMonthly":
            ok = months % rec.interval == 0 and relative_ok(rec, d)
        elif p == "AbsoluteYearly":
            ok = (d.month == recurrence.MONTH_NAMES.index(rec.month) + 1
                  and d.day == min(rec.day_of_month, dim))
        else:
            ok = d.month == recurrence.MONTH_NAMES.index(rec.month) + 1 and relative_ok(rec, d)
        if ok:
            if rec.range_kind == "EndDate" and d > rec.end_date:
                break
            out.append(d)
            if rec.range_kind == "Numbered" and len(out) == rec.number_of_occurrences:
                break
        d += timedelta(days=1)
    return out


def kind_of(spec, d):
    wd = d.weekday()
    return {"Day": True, "Weekday": wd < 5, "WeekendDay": wd >= 5}.get(
        spec, recurrence.DAY_NAMES[wd] == spec)


def relative_ok(rec, d):
    spec = rec.days_of_week[0]
    if not kind_of(spec, d):
        return False
    same_before = sum(1 for k in range(1, d.day) if kind_of(spec, d.replace(day=k)))
    dim = calendar.monthrange(d.year, d.month)[1]
    same_after = sum(1 for k in range(d.day + 1, dim + 1) if kind_of(spec, d.replace(day=k)))
    if rec.day_of_week_index == "Last":
        return same_after == 0
    return same_before == recurrence.INDEX_NAMES.index(rec.day_of_week_index)


def random_recurrence(rng):
    pattern = rng.choice(recurrence.PATTERNS)
    sd = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 800))
    kw = {}
    if pattern == "Daily":
        kw["interval"] = rng.choice([1, 1, 2, 3, 7, 10])
    elif pattern == "Weekly":
        kw["interval"] = rng.choice([1, 2, 3])
        kw["days_of_week"] = tuple(rng.sample(recurrence.DAY_NAMES, rng.randrange(1, 5)))
        kw["first_day_of_week"] = rng.choice([None, "Monday", "Sunday", "Wednesday"])
    elif pattern in ("AbsoluteMonthly", "AbsoluteYearly"):
        kw["day_of_month"] = rng.choice([1, 15, 28, 29, 30, 31])
    if pattern in ("AbsoluteMonthly", "RelativeMonthly"):
        kw["interval"] = rng.choice([1, 2, 3, 6])
    if pattern in ("RelativeMonthly", "RelativeYearly"):
        kw["days_of_week"] = (rng.choice(recurrence.DAY_SPECS),)
        kw["day_of_week_index"] = rng.choice(recurrence.INDEX_NAMES)
    if pattern in ("AbsoluteYearly", "RelativeYearly"):
        kw["month"] = rng.choice(recurrence.MONTH_NAMES)
        if pattern == "AbsoluteYearly" and kw["month"] == "February":
            kw["day_of_month"] = min(kw["day_of_month"], 29)
        elif pattern == "AbsoluteYearly" and kw["month"] in ("April", "June", "September",
                                                            "November"):
            kw["day_of_month"] = min(kw["day_of_month"], 30)
    range_kind = rng.choice(recurrence.RANGES)
    if range_kind == "Numbered":
        # Yearly series stay short so that every series ends inside the test's 2020-2040 view.
        kw["number_of_occurrences"] = rng.randrange(1, 12 if "Yearly" in pattern else 40)
    elif range_kind == "EndDate":
        kw["end_date"] = sd + timedelta(days=rng.randrange(400, 3000))
    return Recurrence(pattern, sd, range_kind, **kw)


class Patterns(unittest.TestCase):
    def test_docs_example_weekly_numbered_pacific(self):
        # From Microsoft's "process calendar items in batches" example: every Tuesday,
        # ten occurrences, StartDate with an offset suffix, Pacific Standard Time.
        rec = rec_xml("<t:WeeklyRecurrence><t:Interval>1</t:Interval>"
                      "<t:DaysOfWeek>Tuesday</t:DaysOfWeek></t:WeeklyRecurrence>",
                      "<t:NumberedRecurrence><t:StartDate>2014-01-07-08:00</t:StartDate>"
                      "<t:NumberOfOccurrences>10</t:NumberOfOccurrences>"
                      "</t:NumberedRecurrence>")
        self.assertEqual(rec.start_date, date(2014, 1, 7))
        self.assertEqual(rec.start_date_zone, "-08:00")
        first = datetime(2014, 1, 7, 13, 13, 40, 333000,
                         tzinfo=timezone(timedelta(hours=-8)))
        occ = rec.occurrences(first, HOUR, "Pacific Standard Time", *WIDE)
        self.assertEqual([i for i, _, _ in occ], list(range(1, 11)))
        self.assertEqual(occ[0][1], utc(2014, 1, 7, 21, 13, 40, 333000))
        # US DST began on 2014-03-09: the last two Tuesdays start an hour earlier in UTC.
        self.assertEqual(occ[8][1], utc(2014, 3, 4, 21, 13, 40, 333000))
        self.assertEqual(occ[9][1], utc(2014, 3, 11, 20, 13, 40, 333000))
        self.assertEqual(rec.last_end(first, HOUR, "America/Los_Angeles"),
                         utc(2014, 3, 11, 21, 13, 40, 333000))

    def test_daily(self):
        rec = Recurrence("Daily", date(2026, 6, 1), "Numbered", interval=1,
                         number_of_occurrences=5)
        occ = rec.occurrences(utc(2026, 6, 1, 7), HOUR, "UTC", *WIDE)
        self.assertEqual(starts(occ), [utc(2026, 6, d, 7) for d in range(1, 6)])
        self.assertEqual([e - s for _, s, e in occ], [HOUR] * 5)

    def test_daily_interval_3(self):
        rec = Recurrence("Daily", date(2026, 2, 26), "EndDate", interval=3,
                         end_date=date(2026, 3, 10))
        occ = rec.occurrences(utc(2026, 2, 26, 12), HOUR, "UTC", *WIDE)
        self.assertEqual(dates_in(occ, "UTC"), [date(2026, 2, 26), date(2026, 3, 1),
                                                date(2026, 3, 4), date(2026, 3, 7),
                                                date(2026, 3, 10)])

    def test_weekly_multi_day_interval_2(self):
        # Monday and Thursday every other week from Wednesday 2026-05-06 (weeks start Sunday):
        # the first week still holds Thursday 05-07; the next week is skipped.
        rec = Recurrence("Weekly", date(2026, 5, 6), "Numbered", interval=2,
                         days_of_week=("Thursday", "Monday"), number_of_occurrences=7)
        occ = rec.occurrences(utc(2026, 5, 6, 8), HOUR, "UTC", *WIDE)
        self.assertEqual(dates_in(occ, "UTC"), [
            date(2026, 5, 7), date(2026, 5, 18), date(2026, 5, 21), date(2026, 6, 1),
            date(2026, 6, 4), date(2026, 6, 15), date(2026, 6, 18)])

    def test_weekly_first_day_of_week_matters_with_interval(self):
        # Start Sunday 2026-05-10, Saturday and Sunday every other week. With weeks starting
        # Sunday, Sat 05-16 is in the first week; with weeks starting Monday, the first week
        # is Mon 05-04..Sun 05-10, so Sat 05-16 falls in the skipped week.
        sunday_weeks = Recurrence("Weekly", date(2026, 5, 10), "Numbered", interval=2,
                                  days_of_week=("Saturday", "Sunday"),
                                  number_of_occurrences=3)
        monday_weeks = Recurrence("Weekly", date(2026, 5, 10), "Numbered", interval=2,
                                  days_of_week=("Saturday", "Sunday"),
                                  first_day_of_week="Monday", number_of_occurrences=3)
        a = dates_in(sunday_weeks.occurrences(utc(2026, 5, 10, 9), HOUR, "UTC", *WIDE), "UTC")
        b = dates_in(monday_weeks.occurrences(utc(2026, 5, 10, 9), HOUR, "UTC", *WIDE), "UTC")
        self.assertEqual(a, [date(2026, 5, 10), date(2026, 5, 16), date(2026, 5, 24)])
        self.assertEqual(b, [date(2026, 5, 10), date(2026, 5, 23), date(2026, 5, 24)])

    def test_absolute_monthly_31st_uses_last_day(self):
        # dayofmonth.md: larger than the month's length -> the last day of the month.
        rec = Recurrence("AbsoluteMonthly", date(2028, 1, 31), "Numbered", day_of_month=31,
                         number_of_occurrences=6)
        occ = rec.occurrences(utc(2028, 1, 31, 10), HOUR, "UTC", *WIDE)
        self.assertEqual(dates_in(occ, "UTC"), [date(2028, 1, 31), date(2028, 2, 29),
                                                date(2028, 3, 31), date(2028, 4, 30),
                                                date(2028, 5, 31), date(2028, 6, 30)])

    def test_absolute_monthly_interval_and_late_start(self):
        # Day 5 every 2 months starting 2026-01-10: January's 5th is before StartDate, so
        # the first occurrence is in March.
        rec = Recurrence("AbsoluteMonthly", date(2026, 1, 10), "Numbered", interval=2,
                         day_of_month=5, number_of_occurrences=3)
        occ = rec.occurrences(utc(2026, 1, 10, 10), HOUR, "UTC", *WIDE)
        self.assertEqual(dates_in(occ, "UTC"), [date(2026, 3, 5), date(2026, 5, 5),
                                                date(2026, 7, 5)])

    def test_relative_monthly_last_friday(self):
        rec = rec_xml("<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval>"
                      "<t:DaysOfWeek>Friday</t:DaysOfWeek>"
                      "<t:DayOfWeekIndex>Last</t:DayOfWeekIndex>"
                      "</t:RelativeMonthlyRecurrence>",
                      "<t:NoEndRecurrence><t:StartDate>2026-01-01</t:StartDate>"
                      "</t:NoEndRecurrence>")
        occ = rec.occurrences(utc(2026, 1, 30, 15), HOUR, "UTC",
                              utc(2026, 1, 1), utc(2026, 6, 1))
        self.assertEqual(dates_in(occ, "UTC"), [date(2026, 1, 30), date(2026, 2, 27),
                                                date(2026, 3, 27), date(2026, 4, 24),
                                                date(2026, 5, 29)])

    def test_relative_monthly_second_weekday(self):
        rec = Recurrence("RelativeMonthly", date(2026, 8, 1), "Numbered",
                         days_of_week=("Weekday",), day_of_week_index="Second",
                         number_of_occurrences=4)
        occ = rec.occurrences(utc(2026, 8, 1, 9), HOUR, "UTC", *WIDE)
        # Aug 2026 starts Saturday: Mon 3 is the first weekday, Tue 4 the second.
        # Sep 1 is Tuesday -> Wed 2; Oct 1 Thursday -> Fri 2; Nov 1 Sunday -> Tue 3.
        self.assertEqual(dates_in(occ, "UTC"), [date(2026, 8, 4), date(2026, 9, 2),
                                                date(2026, 10, 2), date(2026, 11, 3)])

    def test_relative_monthly_day_and_weekend_day(self):
        last_day = Recurrence("RelativeMonthly", date(2026, 1, 1), "Numbered",
                              days_of_week=("Day",), day_of_week_index="Last",
                              number_of_occurrences=3)
        self.assertEqual(dates_in(last_day.occurrences(utc(2026, 1, 1, 9), HOUR, "UTC", *WIDE),
                                  "UTC"),
                         [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)])
        weekend = Recurrence("RelativeMonthly", date(2026, 1, 1), "Numbered", interval=3,
                             days_of_week=("WeekendDay",), day_of_week_index="Third",
                             number_of_occurrences=2)
        # Jan 2026: Sat 3, Sun 4, Sat 10 -> 10th. Apr 2026: Sat 4, Sun 5, Sat 11 -> 11th.
        self.assertEqual(dates_in(weekend.occurrences(utc(2026, 1, 1, 9), HOUR, "UTC", *WIDE),
                                  "UTC"), [date(2026, 1, 10), date(2026, 4, 11)])

    def test_yearly(self):
        feb29 = Recurrence("AbsoluteYearly", date(2027, 1, 1), "Numbered", day_of_month=29,
                           month="February", number_of_occurrences=3)
        self.assertEqual(dates_in(feb29.occurrences(utc(2027, 1, 1, 9), HOUR, "UTC", *WIDE),
                                  "UTC"), [date(2027, 2, 28), date(2028, 2, 29),
                                           date(2029, 2, 28)])
        thanksgiving = Recurrence("RelativeYearly", date(2026, 12, 1), "Numbered",
                                  days_of_week=("Thursday",), day_of_week_index="Fourth",
                                  month="November", number_of_occurrences=2)
        self.assertEqual(dates_in(thanksgiving.occurrences(utc(2026, 12, 1, 9), HOUR, "UTC",
                                                           *WIDE), "UTC"),
                         [date(2027, 11, 25), date(2028, 11, 23)])


class Ranges(unittest.TestCase):
    def test_numbered_counts_exactly(self):
        rec = Recurrence("Daily", date(2026, 1, 1), "Numbered", number_of_occurrences=4)
        occ = rec.occurrences(utc(2026, 1, 1, 9), HOUR, "UTC", *WIDE)
        self.assertEqual(len(occ), 4)
        self.assertEqual(rec.number_of_instances(), 4)
        self.assertIsNone(rec.occurrence(utc(2026, 1, 1, 9), HOUR, "UTC", 5))
        self.assertEqual(rec.last_end(utc(2026, 1, 1, 9), HOUR, "UTC"), utc(2026, 1, 4, 10))

    def test_end_date_is_inclusive(self):
        rec = Recurrence("Weekly", date(2026, 1, 5), "EndDate", days_of_week=("Monday",),
                         end_date=date(2026, 1, 26))
        occ = rec.occurrences(utc(2026, 1, 5, 9), HOUR, "UTC", *WIDE)
        self.assertEqual(dates_in(occ, "UTC"), [date(2026, 1, d) for d in (5, 12, 19, 26)])
        self.assertEqual(rec.number_of_instances(), 4)
        self.assertEqual(rec.last_end(utc(2026, 1, 5, 9), HOUR, "UTC"), utc(2026, 1, 26, 10))
        shorter = Recurrence("Weekly", date(2026, 1, 5), "EndDate", days_of_week=("Monday",),
                             end_date=date(2026, 1, 25))
        self.assertEqual(shorter.number_of_instances(), 3)

    def test_end_date_is_a_local_date(self):
        # 23:30 in Tokyo on the EndDate is 14:30 UTC the same day; 08:30 on the EndDate in
        # Tokyo is the previous day in UTC -- both are on the EndDate locally.
        rec = Recurrence("Daily", date(2026, 4, 1), "EndDate", end_date=date(2026, 4, 3))
        first = datetime(2026, 4, 1, 8, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
        occ = rec.occurrences(first, HOUR, "Tokyo Standard Time", *WIDE)
        self.assertEqual(starts(occ), [utc(2026, 3, 31, 23, 30), utc(2026, 4, 1, 23, 30),
                                       utc(2026, 4, 2, 23, 30)])

    def test_no_end(self):
        rec = Recurrence("Daily", date(2026, 1, 1), "NoEnd", interval=7)
        self.assertIsNone(rec.last_end(utc(2026, 1, 1, 9), HOUR, "UTC"))
        self.assertIsNone(rec.number_of_instances())
        occ = rec.occurrences(utc(2026, 1, 1, 9), HOUR, "UTC", utc(2026, 1, 1), utc(2027, 1, 1))
        self.assertEqual(len(occ), 53)

    def test_no_end_old_series_is_cheap_and_indexes_exact(self):
        rec = Recurrence("Daily", date(1700, 1, 1), "NoEnd")
        occ = rec.occurrences(utc(1700, 1, 1, 9), HOUR, "UTC", utc(2026, 1, 1),
                              utc(2026, 1, 3))
        expected_index = (date(2026, 1, 1) - date(1700, 1, 1)).days + 1
        self.assertEqual([i for i, _, _ in occ], [expected_index, expected_index + 1])
        self.assertEqual(rec.occurrence(utc(1700, 1, 1, 9), HOUR, "UTC", expected_index)[0],
                         utc(2026, 1, 1, 9))

    def test_no_occurrence_in_range(self):
        with self.assertRaises(recurrence.RecurrenceHasNoOccurrence) as cm:
            Recurrence("Weekly", date(2026, 1, 6), "EndDate", days_of_week=("Monday",),
                       end_date=date(2026, 1, 11))
        self.assertEqual(cm.exception.response_code, "ErrorRecurrenceHasNoOccurrence")
        self.assertIsInstance(cm.exception, ValueError)

    def test_occurrences_start_on_or_after_start_date(self):
        rec = Recurrence("Weekly", date(2026, 3, 4), "Numbered",
                         days_of_week=("Monday", "Wednesday", "Friday"), number_of_occurrences=3)
        occ = rec.occurrences(utc(2026, 3, 4, 9), HOUR, "UTC", *WIDE)
        self.assertEqual(dates_in(occ, "UTC"), [date(2026, 3, 4), date(2026, 3, 6),
                                                date(2026, 3, 9)])


class DaylightSaving(unittest.TestCase):
    def test_w_europe_march_change(self):
        # EU summer time 2026 starts Sunday 29 March: 10:00 local is 09:00Z before, 08:00Z after.
        rec = Recurrence("Weekly", date(2026, 3, 16), "Numbered", days_of_week=("Monday",),
                         number_of_occurrences=4)
        first = utc(2026, 3, 16, 9)
        occ = rec.occurrences(first, HOUR, "W. Europe Standard Time", *WIDE)
        self.assertEqual(starts(occ), [utc(2026, 3, 16, 9), utc(2026, 3, 23, 9),
                                       utc(2026, 3, 30, 8), utc(2026, 4, 6, 8)])
        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
        self.assertEqual({s.astimezone(berlin).time() for s in starts(occ)}, {time(10, 0)})
        self.assertEqual([e - s for _, s, e in occ], [HOUR] * 4)

    def test_pacific_november_change(self):
        # US DST 2026 ends Sunday 1 November: 09:00 PDT is 16:00Z, 09:00 PST is 17:00Z.
        rec = Recurrence("Weekly", date(2026, 10, 22), "Numbered", days_of_week=("Thursday",),
                         number_of_occurrences=3)
        first = utc(2026, 10, 22, 16)
        occ = rec.occurrences(first, 30 * timedelta(minutes=1), "Pacific Standard Time", *WIDE)
        self.assertEqual(starts(occ), [utc(2026, 10, 22, 16), utc(2026, 10, 29, 16),
                                       utc(2026, 11, 5, 17)])
        self.assertEqual(rec.occurrence(first, HOUR, "America/Los_Angeles", 3),
                         (utc(2026, 11, 5, 17), utc(2026, 11, 5, 18)))

    def test_daily_across_change_day_itself(self):
        # 02:30 does not exist in Berlin on 2026-03-29; it resolves to 03:30 CEST (01:30Z).
        rec = Recurrence("Daily", date(2026, 3, 28), "Numbered", number_of_occurrences=3)
        first = utc(2026, 3, 28, 1, 30)  # 02:30 CET
        occ = rec.occurrences(first, HOUR, "Europe/Berlin", *WIDE)
        self.assertEqual(starts(occ), [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30),
                                       utc(2026, 3, 30, 0, 30)])


class Windows(unittest.TestCase):
    REC = Recurrence("Daily", date(2026, 1, 1), "NoEnd")
    FIRST = utc(2026, 1, 1, 9)

    def test_clipping_edges(self):
        r, f = self.REC, self.FIRST
        # Ends exactly at the window start: excluded. Starts exactly at the window end: excluded.
        self.assertEqual(r.occurrences(f, HOUR, "UTC", utc(2026, 1, 5, 10), utc(2026, 1, 6, 9)),
                         [])
        # Started before the window, still running: included.
        occ = r.occurrences(f, HOUR, "UTC", utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 9, 45))
        self.assertEqual(occ, [(5, utc(2026, 1, 5, 9), utc(2026, 1, 5, 10))])
        # Zero-length occurrence at the window start counts; empty window gives nothing.
        self.assertEqual(len(r.occurrences(f, timedelta(0), "UTC", utc(2026, 1, 5, 9),
                                           utc(2026, 1, 5, 9, 1))), 1)
        self.assertEqual(r.occurrences(f, HOUR, "UTC", utc(2026, 1, 5), utc(2026, 1, 5)), [])
        self.assertEqual(r.count_in(f, HOUR, "UTC", utc(2026, 1, 10), utc(2026, 1, 20)), 10)

    def test_long_duration_overlapping_window(self):
        # A 3-day occurrence every week: the one that started two days before the window
        # overlaps it.
        rec = Recurrence("Weekly", date(2026, 1, 5), "NoEnd", days_of_week=("Monday",))
        occ = rec.occurrences(utc(2026, 1, 5, 9), timedelta(days=3), "UTC",
                              utc(2026, 1, 14), utc(2026, 1, 15))
        self.assertEqual(occ, [(2, utc(2026, 1, 12, 9), utc(2026, 1, 15, 9))])

    def test_window_before_series(self):
        self.assertEqual(self.REC.occurrences(self.FIRST, HOUR, "UTC", utc(2025, 1, 1),
                                              utc(2025, 12, 31)), [])

    def test_indexes_independent_of_window(self):
        rng = random.Random(1234)
        for _ in range(150):
            rec = random_recurrence(rng)
            tz = rng.choice(["UTC", "W. Europe Standard Time", "Pacific Standard Time",
                             "AUS Eastern Standard Time", "India Standard Time"])
            z = tzmap.zone(tz)
            first = datetime.combine(rec.start_date, time(rng.randrange(0, 24),
                                                          rng.choice([0, 15, 30])),
                                     tzinfo=z).astimezone(UTC)
            dur = timedelta(minutes=rng.choice([0, 30, 60, 600, 2000]))
            full = rec.occurrences(first, dur, tz, utc(2020, 1, 1), utc(2040, 1, 1))
            with self.subTest(rec=rec.summary(), tz=tz):
                # Against the day-by-day oracle.
                horizon = date(2039, 12, 1)
                want = [d for d in oracle_dates(rec, horizon)]
                got_dates = [s.astimezone(z).date() for _, s, _ in full]
                self.assertEqual(got_dates[:len(want)], want)
                self.assertEqual([i for i, _, _ in full], list(range(1, len(full) + 1)))
                # Any sub-window sees the same (index, start, end) triples.
                for _ in range(4):
                    a = utc(2024, 1, 1) + timedelta(hours=rng.randrange(0, 24 * 365 * 4))
                    b = a + timedelta(hours=rng.randrange(1, 24 * 120))
                    sub = rec.occurrences(first, dur, tz, a, b)
                    self.assertEqual(sub, [o for o in full
                                           if o[1] < b and (o[2] > a or (dur == timedelta(0)
                                                                         and o[1] >= a))])
                # occurrence(index) agrees with the expansion.
                for idx, s, e in full[:3] + full[-3:]:
                    self.assertEqual(rec.occurrence(first, dur, tz, idx), (s, e))
                if rec.range_kind != "NoEnd":
                    self.assertEqual(rec.number_of_instances(), len(full))
                    self.assertEqual(rec.last_end(first, dur, tz), full[-1][2])
                    self.assertIsNone(rec.occurrence(first, dur, tz, len(full) + 1))
                self.assertIsNone(rec.occurrence(first, dur, tz, 0))


class ParseAndWrite(unittest.TestCase):
    def test_round_trip(self):
        rng = random.Random(99)
        for _ in range(60):
            rec = random_recurrence(rng)
            parent = ET.Element("{%s}CalendarItem" % T)
            elem = recurrence.write_recurrence(rec, parent, T)
            self.assertIs(parent[0], elem)
            back = recurrence.parse_recurrence(ET.fromstring(ET.tostring(elem)), T)
            self.assertEqual(back, rec)
            self.assertEqual(back.summary(), rec.summary())

    def test_written_element_order(self):
        rec = Recurrence("Weekly", date(2026, 5, 4), "Numbered", interval=2,
                         days_of_week=("Monday", "Thursday"), first_day_of_week="Monday",
                         number_of_occurrences=10, start_date_zone="Z")
        elem = recurrence.write_recurrence(rec, ET.Element("x"), T)
        names = [[c.tag.split("}")[1] for c in child] for child in elem]
        self.assertEqual([c.tag.split("}")[1] for c in elem],
                         ["WeeklyRecurrence", "NumberedRecurrence"])
        self.assertEqual(names, [["Interval", "DaysOfWeek", "FirstDayOfWeek"],
                                 ["StartDate", "NumberOfOccurrences"]])
        self.assertEqual(elem[0][1].text, "Monday Thursday")
        self.assertEqual(elem[1][0].text, "2026-05-04Z")
        rel = Recurrence("RelativeYearly", date(2026, 1, 1), "NoEnd", days_of_week=("Day",),
                         day_of_week_index="First", month="May")
        elem = recurrence.write_recurrence(rel, ET.Element("x"), T)
        self.assertEqual([c.tag.split("}")[1] for c in elem[0]],
                         ["DaysOfWeek", "DayOfWeekIndex", "Month"])

    def test_date_suffixes(self):
        for text, d, zone in [("2026-12-01Z", date(2026, 12, 1), "Z"),
                              ("2026-12-01-08:00", date(2026, 12, 1), "-08:00"),
                              ("2026-12-01+05:30", date(2026, 12, 1), "+05:30"),
                              (" 2026-12-01 ", date(2026, 12, 1), "")]:
            rec = rec_xml("<t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence>",
                          "<t:EndDateRecurrence><t:StartDate>%s</t:StartDate>"
                          "<t:EndDate>%s</t:EndDate></t:EndDateRecurrence>" % (text, text))
            self.assertEqual((rec.start_date, rec.start_date_zone), (d, zone))
            self.assertEqual((rec.end_date, rec.end_date_zone), (d, zone))

    def test_summary_is_json_friendly(self):
        import json
        rec = Recurrence("RelativeMonthly", date(2026, 1, 1), "EndDate", interval=2,
                         days_of_week=("Friday",), day_of_week_index="Last",
                         end_date=date(2026, 12, 31))
        self.assertEqual(json.loads(json.dumps(rec.summary())), {
            "pattern": "RelativeMonthly", "range": "EndDate", "start_date": "2026-01-01",
            "interval": 2, "days_of_week": ["Friday"], "day_of_week_index": "Last",
            "end_date": "2026-12-31"})


class BadInput(unittest.TestCase):
    DAILY = "<t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence>"
    NOEND = "<t:NoEndRecurrence><t:StartDate>2026-01-01</t:StartDate></t:NoEndRecurrence>"

    def bad(self, pattern_xml, range_xml, needle, code="ErrorCalendarInvalidRecurrence"):
        with self.assertRaises(ValueError) as cm:
            rec_xml(pattern_xml, range_xml)
        self.assertIn(needle, str(cm.exception))
        self.assertEqual(getattr(cm.exception, "response_code", None), code)

    def test_bad_documents(self):
        W = "<t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>%s</t:DaysOfWeek>" \
            "</t:WeeklyRecurrence>"
        cases = [
            ("<t:DailyRecurrence><t:Interval>0</t:Interval></t:DailyRecurrence>", self.NOEND,
             "Interval"),
            ("<t:DailyRecurrence><t:Interval>1000</t:Interval></t:DailyRecurrence>",
             self.NOEND, "Interval"),
            ("<t:DailyRecurrence><t:Interval>x</t:Interval></t:DailyRecurrence>", self.NOEND,
             "not an integer"),
            ("<t:DailyRecurrence><t:Interval>1_0</t:Interval></t:DailyRecurrence>", self.NOEND,
             "not an integer"),
            ("<t:DailyRecurrence/>", self.NOEND, "lacks Interval"),
            ("<t:WeeklyRecurrence><t:Interval>100</t:Interval><t:DaysOfWeek>Monday"
             "</t:DaysOfWeek></t:WeeklyRecurrence>", self.NOEND, "Interval"),
            (W % "", self.NOEND, "empty"),
            (W % "Monday Funday", self.NOEND, "Funday"),
            ("<t:WeeklyRecurrence><t:DaysOfWeek>Monday</t:DaysOfWeek><t:Interval>1"
             "</t:Interval></t:WeeklyRecurrence>", self.NOEND, "out of order"),
            ("<t:AbsoluteMonthlyRecurrence><t:Interval>1</t:Interval><t:DayOfMonth>32"
             "</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>", self.NOEND, "DayOfMonth"),
            ("<t:AbsoluteMonthlyRecurrence><t:Interval>1</t:Interval>"
             "</t:AbsoluteMonthlyRecurrence>", self.NOEND, "lacks DayOfMonth"),
            ("<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday "
             "Friday</t:DaysOfWeek><t:DayOfWeekIndex>First</t:DayOfWeekIndex>"
             "</t:RelativeMonthlyRecurrence>", self.NOEND, "DaysOfWeek"),
            ("<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday"
             "</t:DaysOfWeek><t:DayOfWeekIndex>Fifth</t:DayOfWeekIndex>"
             "</t:RelativeMonthlyRecurrence>", self.NOEND, "DayOfWeekIndex"),
            ("<t:AbsoluteYearlyRecurrence><t:DayOfMonth>30</t:DayOfMonth><t:Month>February"
             "</t:Month></t:AbsoluteYearlyRecurrence>", self.NOEND, "February has no day 30"),
            ("<t:AbsoluteYearlyRecurrence><t:DayOfMonth>3</t:DayOfMonth><t:Month>Smarch"
             "</t:Month></t:AbsoluteYearlyRecurrence>", self.NOEND, "Month"),
            ("<t:HourlyRecurrence/>", self.NOEND, "not a recurrence pattern"),
            (self.DAILY, "<t:NoEndRecurrence/>", "lacks StartDate"),
            (self.DAILY, "<t:NoEndRecurrence><t:StartDate>2026-02-30</t:StartDate>"
             "</t:NoEndRecurrence>", "not a valid date"),
            (self.DAILY, "<t:NoEndRecurrence><t:StartDate>2026-1-1</t:StartDate>"
             "</t:NoEndRecurrence>", "not an xs:date"),
            (self.DAILY, "<t:NoEndRecurrence><t:StartDate>2026-01-01T00:00:00Z</t:StartDate>"
             "</t:NoEndRecurrence>", "not an xs:date"),
            (self.DAILY, "<t:NoEndRecurrence><t:StartDate>1600-01-01</t:StartDate>"
             "</t:NoEndRecurrence>", "before 1601"),
            (self.DAILY, "<t:EndDateRecurrence><t:StartDate>2026-01-05</t:StartDate>"
             "<t:EndDate>2026-01-01</t:EndDate></t:EndDateRecurrence>", "before StartDate"),
            (self.DAILY, "<t:NumberedRecurrence><t:StartDate>2026-01-05</t:StartDate>"
             "<t:NumberOfOccurrences>0</t:NumberOfOccurrences></t:NumberedRecurrence>",
             "NumberOfOccurrences"),
            (self.DAILY, "<t:NumberedRecurrence><t:StartDate>2026-01-05</t:StartDate>"
             "<t:NumberOfOccurrences>1000</t:NumberOfOccurrences></t:NumberedRecurrence>",
             "NumberOfOccurrences"),
            (self.DAILY, "<t:NumberedRecurrence><t:StartDate>2026-01-05</t:StartDate>"
             "</t:NumberedRecurrence>", "lacks NumberOfOccurrences"),
            (self.DAILY, "<t:NoEndRecurrence><t:StartDate>2026-01-01</t:StartDate>"
             "<t:StartDate>2026-01-02</t:StartDate></t:NoEndRecurrence>", "twice"),
            (self.DAILY, "<t:NoEndRecurrence><t:StartDate>2026-01-01</t:StartDate>"
             "<t:EndDate>2026-01-02</t:EndDate></t:NoEndRecurrence>", "unexpected element"),
            (self.NOEND, self.DAILY, "not a recurrence pattern"),
        ]
        for pattern_xml, range_xml, needle in cases:
            with self.subTest(pattern=pattern_xml, range=range_xml):
                self.bad(pattern_xml, range_xml, needle)

    def test_special_response_codes(self):
        self.bad("<t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Weekday"
                 "</t:DaysOfWeek></t:WeeklyRecurrence>", self.NOEND, "not valid for a weekly",
                 "ErrorCalendarInvalidDayForWeeklyRecurrence")
        self.bad(self.DAILY, "<t:EndDateRecurrence><t:StartDate>2026-01-05</t:StartDate>"
                 "<t:EndDate>4600-01-01</t:EndDate></t:EndDateRecurrence>", "after 4500",
                 "ErrorRecurrenceEndDateTooBig")

    def test_structure_errors(self):
        with self.assertRaises(ValueError):
            recurrence.parse_recurrence(ET.fromstring('<t:Recurrence xmlns:t="%s">%s'
                                                      '</t:Recurrence>' % (T, self.DAILY)), T)
        with self.assertRaises(ValueError):
            recurrence.parse_recurrence(ET.fromstring(
                '<t:Recurrence xmlns:t="%s">%s%s%s</t:Recurrence>'
                % (T, self.DAILY, self.NOEND, self.NOEND)), T)
        with self.assertRaises(ValueError):  # right names, wrong namespace
            recurrence.parse_recurrence(ET.fromstring(
                '<Recurrence><DailyRecurrence><Interval>1</Interval></DailyRecurrence>'
                '<NoEndRecurrence><StartDate>2026-01-01</StartDate></NoEndRecurrence>'
                '</Recurrence>'), T)
        with self.assertRaises(ValueError):
            recurrence.parse_recurrence(None, T)

    def test_bad_expansion_arguments(self):
        rec = Recurrence("Daily", date(2026, 1, 1), "NoEnd")
        with self.assertRaises(ValueError):  # naive datetime
            rec.occurrences(datetime(2026, 1, 1, 9), HOUR, "UTC", *WIDE)
        with self.assertRaises(ValueError):
            rec.occurrences(utc(2026, 1, 1, 9), HOUR, "UTC", datetime(2026, 1, 1), WIDE[1])
        with self.assertRaises(ValueError):
            rec.occurrences(utc(2026, 1, 1, 9), HOUR, "Mars/Olympus_Mons", *WIDE)
        with self.assertRaises(ValueError):
            rec.occurrences(utc(2026, 1, 1, 9), -HOUR, "UTC", *WIDE)
        with self.assertRaises(ValueError):  # the expansion guard
            rec.occurrences(utc(2026, 1, 1, 9), HOUR, "UTC", utc(2026, 1, 1), utc(2400, 1, 1))

    def test_constructor_validates(self):
        with self.assertRaises(ValueError):
            Recurrence("Fortnightly", date(2026, 1, 1))
        with self.assertRaises(ValueError):
            Recurrence("Daily", date(2026, 1, 1), "Someday")
        with self.assertRaises(ValueError):
            Recurrence("Daily", date(2026, 1, 1), day_of_month=3)
        with self.assertRaises(ValueError):
            Recurrence("AbsoluteYearly", date(2026, 1, 1), interval=2, day_of_month=1,
                       month="May")
        with self.assertRaises(ValueError):
            Recurrence("Daily", datetime(2026, 1, 1))


class TimeZoneMap(unittest.TestCase):
    def test_common_ids(self):
        for win, iana in [("W. Europe Standard Time", "Europe/Berlin"),
                          ("Pacific Standard Time", "America/Los_Angeles"),
                          ("Eastern Standard Time", "America/New_York"),
                          ("Central Standard Time", "America/Chicago"),
                          ("Mountain Standard Time", "America/Denver"),
                          ("GMT Standard Time", "Europe/London"),
                          ("Romance Standard Time", "Europe/Paris"),
                          ("UTC", "Etc/UTC"),
                          ("Tokyo Standard Time", "Asia/Tokyo"),
                          ("India Standard Time", "Asia/Kolkata"),
                          ("China Standard Time", "Asia/Shanghai"),
                          ("AUS Eastern Standard Time", "Australia/Sydney"),
                          ("E. South America Standard Time", "America/Sao_Paulo"),
                          ("South Africa Standard Time", "Africa/Johannesburg"),
                          ("New Zealand Standard Time", "Pacific/Auckland")]:
            self.assertEqual(tzmap.windows_to_iana(win), iana)
            self.assertEqual(tzmap.iana_to_windows(iana), win)

    def test_table_is_large_and_resolvable(self):
        ids = tzmap.windows_ids()
        self.assertGreaterEqual(len(ids), 80)
        self.assertEqual(len(ids), len(set(ids)))
        for win in ids:
            z = tzmap.zone(win)
            self.assertIsInstance(z, zoneinfo.ZoneInfo)
            # Every current id's zone maps back to an id whose zone has the same offsets.
            back = tzmap.iana_to_windows(tzmap.windows_to_iana(win))
            probe = utc(2026, 1, 15), utc(2026, 7, 15)
            self.assertEqual([p.astimezone(tzmap.zone(back)).utcoffset() for p in probe],
                             [p.astimezone(z).utcoffset() for p in probe], win)

    def test_aliases_and_case(self):
        self.assertEqual(tzmap.iana_to_windows("Europe/Amsterdam"), "W. Europe Standard Time")
        self.assertEqual(tzmap.iana_to_windows("Asia/Calcutta"), "India Standard Time")
        self.assertEqual(tzmap.iana_to_windows("Etc/GMT"), "UTC")
        self.assertEqual(tzmap.windows_to_iana("w. europe standard time"), "Europe/Berlin")
        with self.assertRaises(KeyError):
            tzmap.windows_to_iana("Atlantis Standard Time")
        with self.assertRaises(KeyError):
            tzmap.iana_to_windows("Mars/Olympus_Mons")

    def test_zone_accepts_either(self):
        self.assertEqual(tzmap.zone("Pacific Standard Time").key, "America/Los_Angeles")
        self.assertEqual(tzmap.zone("Europe/Vienna").key, "Europe/Vienna")
        for bad in ["", "Nowhere Standard Time", "../../etc/passwd", "Mars/Olympus_Mons"]:
            with self.assertRaises(KeyError):
                tzmap.zone(bad)

    def test_display_names(self):
        self.assertEqual(tzmap.zone("(UTC-08:00) Pacific Time (US & Canada)").key,
                         "America/Los_Angeles")
        self.assertEqual(tzmap.zone_from_display_name(
            "(UTC-08:00) Pacific Time (US &amp; Canada)").key, "America/Los_Angeles")
        self.assertEqual(tzmap.zone_from_display_name(
            "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna").key,
            "Europe/Berlin")
        self.assertEqual(tzmap.zone_from_display_name(
            "(UTC) Coordinated Universal Time").key, "Etc/UTC")
        # Unknown label: a listed city with the right standard offset.
        self.assertEqual(tzmap.zone_from_display_name("(UTC+01:00) Oslo").key, "Europe/Oslo")
        with self.assertRaises(KeyError):  # right city, wrong offset
            tzmap.zone_from_display_name("(UTC+05:00) Oslo")
        with self.assertRaises(KeyError):
            tzmap.zone_from_display_name("(UTC+05:30) Nowhere")


if __name__ == "__main__":
    unittest.main(verbosity=1)
