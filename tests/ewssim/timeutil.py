"""Times on the EWS wire: xs:dateTime in, UTC "YYYY-MM-DDTHH:MM:SSZ" out.

Exchange accepts times in UTC ("Z"), with an offset ("-08:00"), or without either; the last
are read in the request's time zone (the TimeZoneContext header, else the item's own start
time zone) and fall back to UTC. Everything inside the simulator is a timezone-aware UTC
datetime; only the wire format has seconds precision.
"""

import re
import zoneinfo
from datetime import datetime, timedelta, timezone

import tzmap

UTC = timezone.utc

_DATETIME = re.compile(
    r"^\s*(?P<date>-?\d{4,}-\d{2}-\d{2})T(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?P<frac>\.\d+)?(?P<tz>Z|[+-]\d{2}:\d{2})?\s*$")
_DATE = re.compile(r"^\s*(?P<date>\d{4}-\d{2}-\d{2})(?P<tz>Z|[+-]\d{2}:\d{2})?\s*$")


def now():
    """The current time, UTC, truncated to whole seconds (what the wire can carry)."""
    return datetime.now(UTC).replace(microsecond=0)


def _offset(text):
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def parse_datetime(text, default_tz=None):
    """xs:dateTime text -> aware UTC datetime; ValueError if not a dateTime.

    default_tz (a tzinfo) applies when the text carries no zone; None means UTC.
    """
    if text is None:
        raise ValueError("missing dateTime")
    m = _DATETIME.match(text)
    if not m:
        raise ValueError("not an xs:dateTime: %r" % text)
    year, month, day = (int(p) for p in m.group("date").split("-"))
    hour, minute, second = int(m.group("h")), int(m.group("m")), int(m.group("s"))
    extra = timedelta(0)
    if hour == 24 and minute == 0 and second == 0:  # xs:dateTime allows 24:00:00
        hour, extra = 0, timedelta(days=1)
    micro = 0
    if m.group("frac"):
        micro = int((m.group("frac")[1:] + "000000")[:6])
    tz = _offset(m.group("tz")) if m.group("tz") else (default_tz or UTC)
    local = datetime(year, month, day, hour, minute, second, micro) + extra
    return local.replace(tzinfo=tz).astimezone(UTC)


def format_utc(dt):
    """Aware datetime -> "YYYY-MM-DDTHH:MM:SSZ"."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_duration(delta):
    """timedelta -> xs:duration such as "PT1H30M" (what CalendarItem/Duration carries)."""
    secs = int(delta.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = sign + "P"
    if days:
        out += "%dD" % days
    if hours or minutes or seconds or not days:
        out += "T"
        if hours:
            out += "%dH" % hours
        if minutes:
            out += "%dM" % minutes
        if seconds or not (hours or minutes):
            out += "%dS" % seconds
    return out


def zone_for_windows_id(windows_id):
    """zoneinfo.ZoneInfo for a Windows time-zone id; KeyError if unknown."""
    return zoneinfo.ZoneInfo(tzmap.windows_to_iana(windows_id))
