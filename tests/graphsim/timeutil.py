"""dateTimeTimeZone values <-> aware datetimes, and patternedRecurrence expansion."""

import datetime as dt
import zoneinfo

UTC = dt.timezone.utc
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class TimeError(ValueError):
    pass


def zone(name):
    if name in (None, "", "UTC", "Etc/UTC", "Coordinated Universal Time"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise TimeError("time zone %r is not modelled (UTC and IANA names are)" % name)


def parse_dttz(value):
    """graph.dateTimeTimeZone -> aware datetime in UTC."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise TimeError("a dateTimeTimeZone needs dateTime")
    text = value["dateTime"].rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = head + "." + frac[:6]
    try:
        local = dt.datetime.fromisoformat(text)
    except ValueError:
        raise TimeError("dateTime %r is not ISO 8601" % value["dateTime"])
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(value.get("timeZone")))
    return local.astimezone(UTC)


def parse_query_time(text):
    """startDateTime / endDateTime query values (UTC when no offset is given)."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise TimeError("%r is not an ISO 8601 date and time" % text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def render_dttz(value):
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
            "timeZone": "UTC"}


def render_offset(value):
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return dt.datetime.now(UTC).replace(microsecond=0)


def check_recurrence(rec):
    pattern, rng = rec.get("pattern") or {}, rec.get("range") or {}
    if pattern.get("type") not in ("daily", "weekly", "absoluteMonthly", "absoluteYearly"):
        raise TimeError("recurrence pattern %r is not modelled" % pattern.get("type"))
    if rng.get("type") not in ("endDate", "noEnd", "numbered"):
        raise TimeError("recurrence range type %r is invalid" % rng.get("type"))
    if not isinstance(pattern.get("interval"), int) or pattern["interval"] < 1:
        raise TimeError("recurrence interval must be a positive integer")
    if pattern["type"] == "weekly" and not pattern.get("daysOfWeek"):
        raise TimeError("a weekly recurrence needs daysOfWeek")
    try:
        dt.date.fromisoformat(rng.get("startDate", ""))
        if rng["type"] == "endDate":
            dt.date.fromisoformat(rng.get("endDate", ""))
    except (ValueError, TypeError):
        raise TimeError("recurrence range needs startDate (and endDate) as YYYY-MM-DD")
    if rng["type"] == "numbered" and not (isinstance(rng.get("numberOfOccurrences"), int)
                                          and rng["numberOfOccurrences"] > 0):
        raise TimeError("a numbered range needs numberOfOccurrences > 0")


def _candidate_dates(pattern, first):
    """Dates matching the pattern from the range start, in order, unbounded."""
    interval, kind = pattern["interval"], pattern["type"]
    day = first
    if kind == "daily":
        while True:
            yield day
            day += dt.timedelta(days=interval)
    elif kind == "weekly":
        wanted = {WEEKDAYS.index(d) for d in pattern["daysOfWeek"]}
        week_start = first - dt.timedelta(days=first.weekday())
        while True:
            for offset in range(7):
                day = week_start + dt.timedelta(days=offset)
                if day >= first and day.weekday() in wanted:
                    yield day
            week_start += dt.timedelta(weeks=interval)
    else:
        month, year = first.month, first.year
        dom = pattern.get("dayOfMonth") or first.day
        if kind == "absoluteYearly":
            month = pattern.get("month") or first.month
        while True:
            try:
                day = dt.date(year, month, dom)
                if day >= first:
                    yield day
            except ValueError:
                pass
            step = interval if kind == "absoluteMonthly" else 12 * interval
            month += step
            year += (month - 1) // 12
            month = (month - 1) % 12 + 1


def occurrences(rec, start, end, tz_name, limit_end):
    """(start, end) UTC pairs of the series whose first event spans start..end (UTC), up to
    limit_end, in the time zone the series was created in."""
    tz = zone(tz_name)
    local_start = start.astimezone(tz)
    duration = end - start
    rng = rec["range"]
    first = dt.date.fromisoformat(rng["startDate"])
    last = dt.date.fromisoformat(rng["endDate"]) if rng["type"] == "endDate" else None
    count = rng.get("numberOfOccurrences") if rng["type"] == "numbered" else None
    result = []
    for n, day in enumerate(_candidate_dates(rec["pattern"], first)):
        if (last and day > last) or (count and n >= count):
            break
        occ = dt.datetime.combine(day, local_start.time(), tzinfo=tz).astimezone(UTC)
        if occ >= limit_end or n > 5000:
            break
        result.append((occ, occ + duration))
    return result
