"""EWS recurrence (t:Recurrence, RecurrenceType in types.xsd): parse, write and expand.

What Microsoft documents and this module follows (docs/web-service-reference/*.md):
- Patterns: DailyRecurrence (Interval 1..999 days), WeeklyRecurrence (Interval 1..99 weeks,
  DaysOfWeek a space-separated list of Sunday..Saturday -- Day/Weekday/WeekendDay are not
  valid there, FirstDayOfWeek optional), AbsoluteMonthlyRecurrence (Interval 1..99 months,
  DayOfMonth 1..31; "if for a particular month this value is larger than the number of days
  in the month, the last day of the month is assumed"), RelativeMonthlyRecurrence (Interval
  1..99, one DaysOfWeek value which may also be Day/Weekday/WeekendDay, DayOfWeekIndex
  First..Fourth/Last), AbsoluteYearlyRecurrence (DayOfMonth, Month) and
  RelativeYearlyRecurrence (DaysOfWeek, DayOfWeekIndex, Month); the yearly types have no
  Interval in this schema version.
- Ranges: NoEndRecurrence (StartDate), EndDateRecurrence (StartDate, EndDate: "the last
  occurrence in the series falls on or before" it; not after 4500-09-01) and
  NumberedRecurrence (StartDate, NumberOfOccurrences 1..999). StartDate is an xs:date, not
  before 1601-04-01, possibly with a zone suffix ("2014-01-07-08:00", "2026-12-01Z"): the
  date part is the local date in the series' time zone; the suffix is kept for writing back.

Expansion model (what Exchange does for a recurring master, as far as the simulator needs):
- Occurrence dates come from the pattern, on or after StartDate. Periods are counted from
  StartDate: every Interval-th day from StartDate; every Interval-th week from the week
  (starting on FirstDayOfWeek, default Sunday) that contains StartDate; every Interval-th
  month from StartDate's month. A first period's dates before StartDate are skipped.
- Every occurrence starts at the master's local wall-clock time (its first start converted to
  the series' time zone), so its UTC time moves across DST changes; each lasts the master's
  duration. A wall-clock time that does not exist on a spring-forward day is resolved with
  the offset before the change (zoneinfo, fold=0), i.e. it moves later by the gap.
- Instance indexes (InstanceIndex of OccurrenceItemId) count every occurrence of the series
  from 1, independent of any view window. They are computed arithmetically per period, so an
  old NoEnd series costs nothing to look at far in the future.

All datetimes in and out are timezone-aware; results are UTC.
"""

import calendar
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone

import zoneinfo

try:  # the simulator puts its own directory on sys.path; tzmap is a sibling module
    import tzmap
except ImportError:  # pragma: no cover - only when used outside the simulator
    tzmap = None

NS_TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"

# Python's date.weekday(): Monday == 0.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_SPECS = DAY_NAMES + ("Day", "Weekday", "WeekendDay")
INDEX_NAMES = ("First", "Second", "Third", "Fourth", "Last")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")

PATTERNS = ("Daily", "Weekly", "AbsoluteMonthly", "RelativeMonthly", "AbsoluteYearly",
            "RelativeYearly")
RANGES = ("NoEnd", "EndDate", "Numbered")

_PATTERN_ELEMENT = {p: p + "Recurrence" for p in PATTERNS}
_RANGE_ELEMENT = {r: r + "Recurrence" for r in RANGES}

MIN_START_DATE = date(1601, 4, 1)   # startdate-recurrence.md
MAX_END_DATE = date(4500, 9, 1)     # enddate-recurrence.md
MAX_OCCURRENCES = 999               # numberofoccurrences.md
MAX_INTERVAL = {"Daily": 999, "Weekly": 99, "AbsoluteMonthly": 99, "RelativeMonthly": 99}

# One expansion never produces more occurrences than this (a guard, not a feature: a
# CalendarView of a daily series over 270 years would hit it).
MAX_EXPANSION = 100_000


class RecurrenceError(ValueError):
    """Invalid recurrence. response_code is the EWS ResponseCode Exchange answers with."""

    def __init__(self, message, response_code="ErrorCalendarInvalidRecurrence"):
        super().__init__(message)
        self.response_code = response_code


class RecurrenceHasNoOccurrence(RecurrenceError):
    """The range holds no occurrence of the pattern (ErrorRecurrenceHasNoOccurrence)."""

    def __init__(self, message):
        super().__init__(message, "ErrorRecurrenceHasNoOccurrence")


_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$")


def parse_xs_int(text, what):
    s = (text or "").strip()
    if not _INT_RE.match(s):
        raise RecurrenceError("%s: %r is not an integer" % (what, text))
    value = int(s)
    if not -2**31 <= value < 2**31:
        raise RecurrenceError("%s: %s is out of xs:int range" % (what, s))
    return value


def parse_xs_date(text, what):
    """(date, zone suffix or '') from an xs:date such as 2026-12-01, 2026-12-01Z, ...-08:00."""
    s = (text or "").strip()
    m = _DATE_RE.match(s)
    if not m:
        raise RecurrenceError("%s: %r is not an xs:date (YYYY-MM-DD with optional zone)"
                              % (what, text))
    try:
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise RecurrenceError("%s: %r is not a valid date (%s)" % (what, text, exc)) from None
    suffix = m.group(4) or ""
    if suffix and suffix != "Z":
        hh, mm = int(suffix[1:3]), int(suffix[4:6])
        if hh > 14 or mm > 59 or (hh == 14 and mm != 0):
            raise RecurrenceError("%s: zone %r of %r is out of range" % (what, suffix, text))
    return d, suffix


def _add_months(year, month, n):
    """(year, month) n months after (year, month)."""
    total = year * 12 + (month - 1) + n
    return total // 12, total % 12 + 1


def _matches(spec, d):
    wd = d.weekday()
    if spec == "Day":
        return True
    if spec == "Weekday":
        return wd < 5
    if spec == "WeekendDay":
        return wd >= 5
    return DAY_NAMES[wd] == spec


def nth_day_in_month(year, month, spec, index):
    """The date of the index-th (First..Fourth, Last) day matching spec in year/month."""
    last = calendar.monthrange(year, month)[1]
    if index == "Last":
        for day in range(last, 0, -1):
            d = date(year, month, day)
            if _matches(spec, d):
                return d
    else:
        want = INDEX_NAMES.index(index) + 1
        seen = 0
        for day in range(1, last + 1):
            d = date(year, month, day)
            if _matches(spec, d):
                seen += 1
                if seen == want:
                    return d
    raise AssertionError("every month has at least four of every day kind")


def _clamped(year, month, day_of_month):
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _utc(dt, what):
    if not isinstance(dt, datetime):
        raise TypeError("%s must be a datetime" % what)
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("%s must be timezone-aware" % what)
    return dt.astimezone(timezone.utc)


def _zone(tz_name):
    if isinstance(tz_name, zoneinfo.ZoneInfo):
        return tz_name
    if tzmap is not None:
        try:
            return tzmap.zone(tz_name)
        except KeyError:
            raise ValueError("unknown time zone %r" % (tz_name,)) from None
    try:
        return zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone %r" % (tz_name,)) from None


class Recurrence:
    """One EWS recurrence: a pattern and a range, validated on construction.

    pattern: one of PATTERNS; interval: periods between occurrences (1 for yearly);
    days_of_week: tuple of day names (Weekly: one or more of Sunday..Saturday; Relative*: one
    value of DAY_SPECS); first_day_of_week: day name or None (Weekly only);
    day_of_month: 1..31 (Absolute*); day_of_week_index: INDEX_NAMES (Relative*);
    month: MONTH_NAMES (yearly); range_kind: one of RANGES; start_date / end_date: date;
    number_of_occurrences: 1..999 (Numbered); start_date_zone / end_date_zone: the xs:date
    zone suffix read from XML ("" if none), written back unchanged.
    """

    def __init__(self, pattern, start_date, range_kind="NoEnd", *, interval=1,
                 days_of_week=(), first_day_of_week=None, day_of_month=None,
                 day_of_week_index=None, month=None, end_date=None,
                 number_of_occurrences=None, start_date_zone="", end_date_zone=""):
        self.pattern = pattern
        self.interval = interval
        if isinstance(days_of_week, str):
            days_of_week = tuple(days_of_week.split())
        self.days_of_week = tuple(days_of_week)
        self.first_day_of_week = first_day_of_week
        self.day_of_month = day_of_month
        self.day_of_week_index = day_of_week_index
        self.month = month
        self.range_kind = range_kind
        self.start_date = start_date
        self.end_date = end_date
        self.number_of_occurrences = number_of_occurrences
        self.start_date_zone = start_date_zone
        self.end_date_zone = end_date_zone
        self._validate()
        self._prepare()

    # --- validation ---------------------------------------------------------------------------

    def _validate(self):
        p = self.pattern
        if p not in PATTERNS:
            raise RecurrenceError("unknown recurrence pattern %r" % (p,))
        if p in MAX_INTERVAL:
            if not isinstance(self.interval, int) or not 1 <= self.interval <= MAX_INTERVAL[p]:
                raise RecurrenceError("%sRecurrence Interval must be 1..%d, not %r"
                                      % (p, MAX_INTERVAL[p], self.interval))
        elif self.interval != 1:
            raise RecurrenceError("%sRecurrence has no Interval (yearly means every year)" % p)

        if p == "Weekly":
            if not self.days_of_week:
                raise RecurrenceError("WeeklyRecurrence needs at least one DaysOfWeek value")
            for d in self.days_of_week:
                if d in ("Day", "Weekday", "WeekendDay"):
                    raise RecurrenceError(
                        "DaysOfWeek value %r is not valid for a weekly recurrence" % d,
                        "ErrorCalendarInvalidDayForWeeklyRecurrence")
                if d not in DAY_NAMES:
                    raise RecurrenceError("DaysOfWeek value %r is not a day of the week" % (d,))
            if self.first_day_of_week is not None and self.first_day_of_week not in DAY_NAMES:
                raise RecurrenceError("FirstDayOfWeek %r is not a day of the week"
                                      % (self.first_day_of_week,))
        else:
            if self.first_day_of_week is not None:
                raise RecurrenceError("FirstDayOfWeek belongs to WeeklyRecurrence only")

        if p in ("RelativeMonthly", "RelativeYearly"):
            if len(self.days_of_week) != 1 or self.days_of_week[0] not in DAY_SPECS:
                raise RecurrenceError("%sRecurrence DaysOfWeek must be one of %s, not %r"
                                      % (p, ", ".join(DAY_SPECS), " ".join(self.days_of_week)))
            if self.day_of_week_index not in INDEX_NAMES:
                raise RecurrenceError("DayOfWeekIndex must be one of %s, not %r"
                                      % (", ".join(INDEX_NAMES), self.day_of_week_index))
        elif p != "Weekly" and self.days_of_week:
            raise RecurrenceError("%sRecurrence has no DaysOfWeek" % p)
        if p not in ("RelativeMonthly", "RelativeYearly") and self.day_of_week_index is not None:
            raise RecurrenceError("%sRecurrence has no DayOfWeekIndex" % p)

        if p in ("AbsoluteMonthly", "AbsoluteYearly"):
            if not isinstance(self.day_of_month, int) or not 1 <= self.day_of_month <= 31:
                raise RecurrenceError("DayOfMonth must be 1..31, not %r" % (self.day_of_month,))
        elif self.day_of_month is not None:
            raise RecurrenceError("%sRecurrence has no DayOfMonth" % p)
        if p in ("AbsoluteYearly", "RelativeYearly"):
            if self.month not in MONTH_NAMES:
                raise RecurrenceError("Month must be one of January..December, not %r"
                                      % (self.month,))
            if p == "AbsoluteYearly":
                # February 30 and the like can never happen: Exchange refuses them too.
                if self.day_of_month > calendar.monthrange(2000, MONTH_NAMES.index(
                        self.month) + 1)[1]:
                    raise RecurrenceError("%s has no day %d" % (self.month, self.day_of_month))
        elif self.month is not None:
            raise RecurrenceError("%sRecurrence has no Month" % p)

        if self.range_kind not in RANGES:
            raise RecurrenceError("unknown recurrence range %r" % (self.range_kind,))
        if not isinstance(self.start_date, date) or isinstance(self.start_date, datetime):
            raise RecurrenceError("StartDate must be a date, not %r" % (self.start_date,))
        if self.start_date < MIN_START_DATE:
            raise RecurrenceError("StartDate %s is before %s"
                                  % (self.start_date, MIN_START_DATE))
        if self.range_kind == "EndDate":
            if not isinstance(self.end_date, date) or isinstance(self.end_date, datetime):
                raise RecurrenceError("EndDateRecurrence needs an EndDate date")
            if self.end_date > MAX_END_DATE:
                raise RecurrenceError("EndDate %s is after %s" % (self.end_date, MAX_END_DATE),
                                      "ErrorRecurrenceEndDateTooBig")
            if self.end_date < self.start_date:
                raise RecurrenceError("EndDate %s is before StartDate %s"
                                      % (self.end_date, self.start_date))
        elif self.end_date is not None:
            raise RecurrenceError("only EndDateRecurrence has an EndDate")
        if self.range_kind == "Numbered":
            n = self.number_of_occurrences
            if not isinstance(n, int) or not 1 <= n <= MAX_OCCURRENCES:
                raise RecurrenceError("NumberOfOccurrences must be 1..%d, not %r"
                                      % (MAX_OCCURRENCES, n))
        elif self.number_of_occurrences is not None:
            raise RecurrenceError("only NumberedRecurrence has NumberOfOccurrences")

    # --- the period arithmetic ------------------------------------------------------------------

    def _prepare(self):
        p = self.pattern
        sd = self.start_date
        if p == "Weekly":
            fdw = DAY_NAMES.index(self.first_day_of_week or "Sunday")
            self._week0 = sd - timedelta(days=(sd.weekday() - fdw) % 7)
            # Offsets of the chosen days from the start of the week, in calendar order.
            self._week_offsets = sorted({(DAY_NAMES.index(d) - fdw) % 7
                                         for d in self.days_of_week})
            self._per_period = len(self._week_offsets)
        else:
            self._per_period = 1
        first = self._period_dates(0)
        self._n0 = len(first)
        if self.range_kind == "EndDate":
            later = first or self._period_dates(1)
            first_date = later[0] if later else None
            if first_date is None or first_date > self.end_date:
                raise RecurrenceHasNoOccurrence(
                    "no occurrence between StartDate %s and EndDate %s (first would be %s)"
                    % (self.start_date, self.end_date, first_date))

    def _period_dates(self, k):
        """Occurrence dates of period k (k >= 0) in order; [] past the calendar's end."""
        p = self.pattern
        sd = self.start_date
        try:
            if p == "Daily":
                dates = [sd + timedelta(days=k * self.interval)]
            elif p == "Weekly":
                base = self._week0 + timedelta(days=7 * k * self.interval)
                dates = [base + timedelta(days=o) for o in self._week_offsets]
            elif p in ("AbsoluteMonthly", "RelativeMonthly"):
                y, m = _add_months(sd.year, sd.month, k * self.interval)
                if p == "AbsoluteMonthly":
                    dates = [_clamped(y, m, self.day_of_month)]
                else:
                    dates = [nth_day_in_month(y, m, self.days_of_week[0],
                                              self.day_of_week_index)]
            else:
                y = sd.year + k
                m = MONTH_NAMES.index(self.month) + 1
                if p == "AbsoluteYearly":
                    dates = [_clamped(y, m, self.day_of_month)]
                else:
                    dates = [nth_day_in_month(y, m, self.days_of_week[0],
                                              self.day_of_week_index)]
        except (OverflowError, ValueError):  # beyond year 9999
            return []
        if k == 0:
            dates = [d for d in dates if d >= sd]
        return dates

    def _period_of(self, d):
        """The period index containing date d (negative before the series)."""
        p = self.pattern
        sd = self.start_date
        if p == "Daily":
            return (d - sd).days // self.interval
        if p == "Weekly":
            return (d - self._week0).days // (7 * self.interval)
        if p in ("AbsoluteMonthly", "RelativeMonthly"):
            months = (d.year - sd.year) * 12 + (d.month - sd.month)
            return months // self.interval
        return d.year - sd.year

    def _index_base(self, k):
        """Instance index of the first occurrence of period k, minus one."""
        if k <= 0:
            return 0
        return self._n0 + (k - 1) * self._per_period

    def _date_of_index(self, index):
        """Local date of occurrence `index` (1-based), ignoring the range's end; or None."""
        if index < 1:
            return None
        if index <= self._n0:
            return self._period_dates(0)[index - 1]
        rest = index - self._n0 - 1
        dates = self._period_dates(1 + rest // self._per_period)
        if not dates:
            return None
        return dates[rest % self._per_period]

    def _within_range(self, index, d):
        if self.range_kind == "Numbered":
            return index <= self.number_of_occurrences
        if self.range_kind == "EndDate":
            return d <= self.end_date
        return True

    def _last_index(self):
        """Index of the last occurrence (None for NoEnd)."""
        if self.range_kind == "Numbered":
            return self.number_of_occurrences
        if self.range_kind == "NoEnd":
            return None
        k = self._period_of(self.end_date)
        while k >= 0:
            dates = [d for d in self._period_dates(k) if d <= self.end_date]
            if dates:
                return self._index_base(k) + len(dates)
            k -= 1
        return 0  # unreachable: construction refused an empty EndDate series

    # --- public expansion -----------------------------------------------------------------------

    @staticmethod
    def _local_start(first_start_utc, tz_iana):
        z = _zone(tz_iana)
        local = _utc(first_start_utc, "first_start_utc").astimezone(z)
        return z, local.time().replace(tzinfo=None, fold=0)

    @staticmethod
    def _at(d, wall, z):
        return datetime.combine(d, wall, tzinfo=z).astimezone(timezone.utc)

    def occurrence(self, first_start_utc, duration, tz_iana, index):
        """(start UTC, end UTC) of occurrence `index` (1-based), or None if outside the series."""
        z, wall = self._local_start(first_start_utc, tz_iana)
        if not isinstance(index, int) or index < 1:
            return None
        last = self._last_index()
        if last is not None and index > last:
            return None
        d = self._date_of_index(index)
        if d is None or not self._within_range(index, d):
            return None
        start = self._at(d, wall, z)
        return start, start + duration

    def occurrences(self, first_start_utc, duration, tz_iana, window_start, window_end):
        """[(instance index, start UTC, end UTC)] of the occurrences overlapping
        [window_start, window_end), in order. A zero-length occurrence counts when it starts
        inside the window."""
        z, wall = self._local_start(first_start_utc, tz_iana)
        ws = _utc(window_start, "window_start")
        we = _utc(window_end, "window_end")
        if not isinstance(duration, timedelta) or duration < timedelta(0):
            raise ValueError("duration must be a non-negative timedelta")
        if we <= ws:
            return []
        last = self._last_index()
        # Start one day early in local dates: an occurrence that began before the window may
        # still overlap it, and local dates differ from UTC dates by up to 14 hours.
        try:
            probe = (ws - duration).astimezone(z).date() - timedelta(days=1)
        except OverflowError:
            probe = self.start_date
        k = max(0, self._period_of(max(probe, self.start_date)))
        out = []
        produced = 0
        while True:
            dates = self._period_dates(k)
            if not dates:
                if k == 0:
                    k += 1
                    continue
                return out  # end of the calendar
            base = self._index_base(k)
            for i, d in enumerate(dates):
                index = base + i + 1
                if last is not None and index > last:
                    return out
                if not self._within_range(index, d):
                    return out
                start = self._at(d, wall, z)
                if start >= we:
                    return out
                end = start + duration
                if end > ws or (duration == timedelta(0) and start >= ws):
                    out.append((index, start, end))
                produced += 1
                if produced > MAX_EXPANSION:
                    raise ValueError("expansion exceeds %d occurrences; narrow the window"
                                     % MAX_EXPANSION)
            k += 1

    def count_in(self, first_start_utc, duration, tz_iana, window_start, window_end):
        """Number of occurrences overlapping [window_start, window_end)."""
        return len(self.occurrences(first_start_utc, duration, tz_iana, window_start,
                                    window_end))

    def first(self, first_start_utc, duration, tz_iana):
        """(start UTC, end UTC) of the first occurrence."""
        return self.occurrence(first_start_utc, duration, tz_iana, 1)

    def last_end(self, first_start_utc, duration, tz_iana):
        """End (UTC) of the last occurrence, or None for a NoEnd series."""
        last = self._last_index()
        if last is None:
            return None
        occ = self.occurrence(first_start_utc, duration, tz_iana, last)
        return occ[1] if occ else None

    def number_of_instances(self):
        """Total number of occurrences, or None for a NoEnd series."""
        return self._last_index()

    # --- description ----------------------------------------------------------------------------

    def summary(self):
        """A JSON-friendly dict describing the recurrence."""
        out = {"pattern": self.pattern, "range": self.range_kind,
               "start_date": self.start_date.isoformat()}
        if self.pattern in MAX_INTERVAL:
            out["interval"] = self.interval
        if self.days_of_week:
            out["days_of_week"] = list(self.days_of_week)
        if self.first_day_of_week:
            out["first_day_of_week"] = self.first_day_of_week
        if self.day_of_month is not None:
            out["day_of_month"] = self.day_of_month
        if self.day_of_week_index:
            out["day_of_week_index"] = self.day_of_week_index
        if self.month:
            out["month"] = self.month
        if self.end_date is not None:
            out["end_date"] = self.end_date.isoformat()
        if self.number_of_occurrences is not None:
            out["number_of_occurrences"] = self.number_of_occurrences
        return out

    def __eq__(self, other):
        if not isinstance(other, Recurrence):
            return NotImplemented
        return self.summary() == other.summary()

    def __repr__(self):
        return "Recurrence(%r)" % (self.summary(),)


# --- XML ------------------------------------------------------------------------------------------


def _children(elem):
    return [c for c in elem if isinstance(c.tag, str)]  # skip comments / PIs


def _local(tag, ns):
    prefix = "{%s}" % ns
    if not tag.startswith(prefix):
        return None
    return tag[len(prefix):]


def _fields(elem, ns, expected, where):
    """Children of elem as {name: text}, checking names and the schema's order.

    expected: [(name, required)] in schema order.
    """
    names = [n for n, _ in expected]
    got = {}
    pos = 0
    for child in _children(elem):
        name = _local(child.tag, ns)
        if name is None or name not in names:
            raise RecurrenceError("unexpected element %s in %s" % (child.tag, where))
        i = names.index(name)
        if name in got:
            raise RecurrenceError("%s appears twice in %s" % (name, where))
        if i < pos:
            raise RecurrenceError("%s is out of order in %s (expected order: %s)"
                                  % (name, where, ", ".join(names)))
        pos = i
        if _children(child):
            raise RecurrenceError("%s in %s must hold text only" % (name, where))
        got[name] = child.text or ""
    for name, required in expected:
        if required and name not in got:
            raise RecurrenceError("%s lacks %s" % (where, name))
    return got


_PATTERN_FIELDS = {
    "Daily": [("Interval", True)],
    "Weekly": [("Interval", True), ("DaysOfWeek", True), ("FirstDayOfWeek", False)],
    "AbsoluteMonthly": [("Interval", True), ("DayOfMonth", True)],
    "RelativeMonthly": [("Interval", True), ("DaysOfWeek", True), ("DayOfWeekIndex", True)],
    "AbsoluteYearly": [("DayOfMonth", True), ("Month", True)],
    "RelativeYearly": [("DaysOfWeek", True), ("DayOfWeekIndex", True), ("Month", True)],
}
_RANGE_FIELDS = {
    "NoEnd": [("StartDate", True)],
    "EndDate": [("StartDate", True), ("EndDate", True)],
    "Numbered": [("StartDate", True), ("NumberOfOccurrences", True)],
}


def parse_recurrence(elem, ns=NS_TYPES):
    """Recurrence from an ElementTree t:Recurrence element; RecurrenceError (a ValueError)."""
    if elem is None:
        raise RecurrenceError("no Recurrence element")
    kids = _children(elem)
    if len(kids) != 2:
        raise RecurrenceError("Recurrence must hold one pattern and one range element, "
                              "found %d element(s)" % len(kids))
    pat_name = _local(kids[0].tag, ns)
    rng_name = _local(kids[1].tag, ns)
    pattern = next((p for p, e in _PATTERN_ELEMENT.items() if e == pat_name), None)
    rkind = next((r for r, e in _RANGE_ELEMENT.items() if e == rng_name), None)
    if pattern is None:
        raise RecurrenceError("first Recurrence child %s is not a recurrence pattern"
                              % kids[0].tag)
    if rkind is None:
        raise RecurrenceError("second Recurrence child %s is not a recurrence range"
                              % kids[1].tag)
    pf = _fields(kids[0], ns, _PATTERN_FIELDS[pattern], pat_name)
    rf = _fields(kids[1], ns, _RANGE_FIELDS[rkind], rng_name)

    kw = {}
    if "Interval" in pf:
        kw["interval"] = parse_xs_int(pf["Interval"], pat_name + "/Interval")
    if "DaysOfWeek" in pf:
        days = pf["DaysOfWeek"].split()
        if not days:
            raise RecurrenceError("%s/DaysOfWeek is empty" % pat_name)
        kw["days_of_week"] = tuple(days)
    if "FirstDayOfWeek" in pf:
        kw["first_day_of_week"] = pf["FirstDayOfWeek"].strip()
    if "DayOfMonth" in pf:
        kw["day_of_month"] = parse_xs_int(pf["DayOfMonth"], pat_name + "/DayOfMonth")
    if "DayOfWeekIndex" in pf:
        kw["day_of_week_index"] = pf["DayOfWeekIndex"].strip()
    if "Month" in pf:
        kw["month"] = pf["Month"].strip()
    start, start_zone = parse_xs_date(rf["StartDate"], rng_name + "/StartDate")
    kw["start_date_zone"] = start_zone
    if "EndDate" in rf:
        kw["end_date"], kw["end_date_zone"] = parse_xs_date(rf["EndDate"],
                                                            rng_name + "/EndDate")
    if "NumberOfOccurrences" in rf:
        kw["number_of_occurrences"] = parse_xs_int(rf["NumberOfOccurrences"],
                                                   rng_name + "/NumberOfOccurrences")
    return Recurrence(pattern, start, rkind, **kw)


def write_recurrence(rec, parent_elem, ns_types=NS_TYPES):
    """Append a schema-valid t:Recurrence for rec to parent_elem; return the new element."""
    def sub(parent, name, text=None):
        e = ET.SubElement(parent, "{%s}%s" % (ns_types, name))
        if text is not None:
            e.text = text
        return e

    top = sub(parent_elem, "Recurrence")
    pat = sub(top, _PATTERN_ELEMENT[rec.pattern])
    # Element order is the schema's (types.xsd, *RecurrencePatternType): Interval comes from
    # the base type and therefore first.
    for name, _ in _PATTERN_FIELDS[rec.pattern]:
        if name == "Interval":
            sub(pat, name, str(rec.interval))
        elif name == "DaysOfWeek":
            sub(pat, name, " ".join(rec.days_of_week))
        elif name == "FirstDayOfWeek":
            if rec.first_day_of_week:
                sub(pat, name, rec.first_day_of_week)
        elif name == "DayOfMonth":
            sub(pat, name, str(rec.day_of_month))
        elif name == "DayOfWeekIndex":
            sub(pat, name, rec.day_of_week_index)
        elif name == "Month":
            sub(pat, name, rec.month)
    rng = sub(top, _RANGE_ELEMENT[rec.range_kind])
    sub(rng, "StartDate", rec.start_date.isoformat() + (rec.start_date_zone or ""))
    if rec.range_kind == "EndDate":
        sub(rng, "EndDate", rec.end_date.isoformat() + (rec.end_date_zone or ""))
    elif rec.range_kind == "Numbered":
        sub(rng, "NumberOfOccurrences", str(rec.number_of_occurrences))
    return top
