"""Windows time-zone ids <-> IANA names, for the simulator's recurrence and work hours.

EWS names time zones by their Windows ids (t:TimeZoneDefinition Id="Pacific Standard Time",
t:MeetingTimeZone TimeZoneName=..., t:StartTimeZone Id=...); the simulator computes with the
IANA database through zoneinfo. The mapping is Unicode CLDR's windowsZones.xml, read at
start from Debian's unicode-cldr-core (MEETINGD_WINDOWS_ZONES names another copy): territory
001 gives each id's representative zone, the other territories the zones Windows folds into
it. CLDR spells some zones the old way (Asia/Calcutta); the simulator answers with the name
the IANA database files them under (Asia/Kolkata), found by following the tz database's own
links under TZDIR.

Each current id also has its Windows display label below without the "(UTC+hh:mm) " prefix,
because Microsoft's own examples put display names such as "(UTC-08:00) Pacific Time (US &
Canada)" into t:TimeZone; CLDR does not carry them. Obsolete Windows ids still found in old
data ("Mid-Atlantic Standard Time", "Kamchatka Standard Time") are not in CLDR either: they
map to their former zones and iana_to_windows() never picks them.
"""

import os
import xml.etree.ElementTree as ElementTree
import re
import zoneinfo
from datetime import datetime, timedelta, timezone

# Windows display labels (after the offset prefix) of the current ids.
_LABELS = {
    "Dateline Standard Time": "International Date Line West",
    "UTC-11": "Coordinated Universal Time-11",
    "Aleutian Standard Time": "Aleutian Islands",
    "Hawaiian Standard Time": "Hawaii",
    "Marquesas Standard Time": "Marquesas Islands",
    "Alaskan Standard Time": "Alaska",
    "UTC-09": "Coordinated Universal Time-09",
    "Pacific Standard Time (Mexico)": "Baja California",
    "UTC-08": "Coordinated Universal Time-08",
    "Pacific Standard Time": "Pacific Time (US & Canada)",
    "US Mountain Standard Time": "Arizona",
    "Mountain Standard Time (Mexico)": "La Paz, Mazatlan",
    "Mountain Standard Time": "Mountain Time (US & Canada)",
    "Yukon Standard Time": "Yukon",
    "Central America Standard Time": "Central America",
    "Central Standard Time": "Central Time (US & Canada)",
    "Easter Island Standard Time": "Easter Island",
    "Central Standard Time (Mexico)": "Guadalajara, Mexico City, Monterrey",
    "Canada Central Standard Time": "Saskatchewan",
    "SA Pacific Standard Time": "Bogota, Lima, Quito, Rio Branco",
    "Eastern Standard Time (Mexico)": "Chetumal",
    "Eastern Standard Time": "Eastern Time (US & Canada)",
    "Haiti Standard Time": "Haiti",
    "Cuba Standard Time": "Havana",
    "US Eastern Standard Time": "Indiana (East)",
    "Turks And Caicos Standard Time": "Turks and Caicos",
    "Paraguay Standard Time": "Asuncion",
    "Atlantic Standard Time": "Atlantic Time (Canada)",
    "Venezuela Standard Time": "Caracas",
    "Central Brazilian Standard Time": "Cuiaba",
    "SA Western Standard Time": "Georgetown, La Paz, Manaus, San Juan",
    "Pacific SA Standard Time": "Santiago",
    "Newfoundland Standard Time": "Newfoundland",
    "Tocantins Standard Time": "Araguaina",
    "E. South America Standard Time": "Brasilia",
    "SA Eastern Standard Time": "Cayenne, Fortaleza",
    "Argentina Standard Time": "City of Buenos Aires",
    "Greenland Standard Time": "Greenland",
    "Montevideo Standard Time": "Montevideo",
    "Magallanes Standard Time": "Punta Arenas",
    "Saint Pierre Standard Time": "Saint Pierre and Miquelon",
    "Bahia Standard Time": "Salvador",
    "UTC-02": "Coordinated Universal Time-02",
    "Azores Standard Time": "Azores",
    "Cape Verde Standard Time": "Cabo Verde Is.",
    "UTC": "Coordinated Universal Time",
    "GMT Standard Time": "Dublin, Edinburgh, Lisbon, London",
    "Greenwich Standard Time": "Monrovia, Reykjavik",
    "Sao Tome Standard Time": "Sao Tome",
    "Morocco Standard Time": "Casablanca",
    "W. Europe Standard Time": "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
    "Central Europe Standard Time": "Belgrade, Bratislava, Budapest, Ljubljana, Prague",
    "Romance Standard Time": "Brussels, Copenhagen, Madrid, Paris",
    "Central European Standard Time": "Sarajevo, Skopje, Warsaw, Zagreb",
    "W. Central Africa Standard Time": "West Central Africa",
    "Jordan Standard Time": "Amman",
    "GTB Standard Time": "Athens, Bucharest",
    "Middle East Standard Time": "Beirut",
    "Egypt Standard Time": "Cairo",
    "E. Europe Standard Time": "Chisinau",
    "Syria Standard Time": "Damascus",
    "West Bank Standard Time": "Gaza, Hebron",
    "South Africa Standard Time": "Harare, Pretoria",
    "FLE Standard Time": "Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius",
    "Israel Standard Time": "Jerusalem",
    "South Sudan Standard Time": "Juba",
    "Kaliningrad Standard Time": "Kaliningrad",
    "Sudan Standard Time": "Khartoum",
    "Libya Standard Time": "Tripoli",
    "Namibia Standard Time": "Windhoek",
    "Arabic Standard Time": "Baghdad",
    "Turkey Standard Time": "Istanbul",
    "Arab Standard Time": "Kuwait, Riyadh",
    "Belarus Standard Time": "Minsk",
    "Russian Standard Time": "Moscow, St. Petersburg",
    "E. Africa Standard Time": "Nairobi",
    "Volgograd Standard Time": "Volgograd",
    "Iran Standard Time": "Tehran",
    "Arabian Standard Time": "Abu Dhabi, Muscat",
    "Astrakhan Standard Time": "Astrakhan, Ulyanovsk",
    "Azerbaijan Standard Time": "Baku",
    "Russia Time Zone 3": "Izhevsk, Samara",
    "Mauritius Standard Time": "Port Louis",
    "Saratov Standard Time": "Saratov",
    "Georgian Standard Time": "Tbilisi",
    "Caucasus Standard Time": "Yerevan",
    "Afghanistan Standard Time": "Kabul",
    "West Asia Standard Time": "Ashgabat, Tashkent",
    "Ekaterinburg Standard Time": "Ekaterinburg",
    "Pakistan Standard Time": "Islamabad, Karachi",
    "Qyzylorda Standard Time": "Qyzylorda",
    "India Standard Time": "Chennai, Kolkata, Mumbai, New Delhi",
    "Sri Lanka Standard Time": "Sri Jayawardenepura",
    "Nepal Standard Time": "Kathmandu",
    "Central Asia Standard Time": "Astana",
    "Bangladesh Standard Time": "Dhaka",
    "Omsk Standard Time": "Omsk",
    "Myanmar Standard Time": "Yangon (Rangoon)",
    "SE Asia Standard Time": "Bangkok, Hanoi, Jakarta",
    "Altai Standard Time": "Barnaul, Gorno-Altaysk",
    "W. Mongolia Standard Time": "Hovd",
    "North Asia Standard Time": "Krasnoyarsk",
    "N. Central Asia Standard Time": "Novosibirsk",
    "Tomsk Standard Time": "Tomsk",
    "China Standard Time": "Beijing, Chongqing, Hong Kong, Urumqi",
    "North Asia East Standard Time": "Irkutsk",
    "Singapore Standard Time": "Kuala Lumpur, Singapore",
    "W. Australia Standard Time": "Perth",
    "Taipei Standard Time": "Taipei",
    "Ulaanbaatar Standard Time": "Ulaanbaatar",
    "Aus Central W. Standard Time": "Eucla",
    "Transbaikal Standard Time": "Chita",
    "Tokyo Standard Time": "Osaka, Sapporo, Tokyo",
    "North Korea Standard Time": "Pyongyang",
    "Korea Standard Time": "Seoul",
    "Yakutsk Standard Time": "Yakutsk",
    "Cen. Australia Standard Time": "Adelaide",
    "AUS Central Standard Time": "Darwin",
    "E. Australia Standard Time": "Brisbane",
    "AUS Eastern Standard Time": "Canberra, Melbourne, Sydney",
    "West Pacific Standard Time": "Guam, Port Moresby",
    "Tasmania Standard Time": "Hobart",
    "Vladivostok Standard Time": "Vladivostok",
    "Lord Howe Standard Time": "Lord Howe Island",
    "Bougainville Standard Time": "Bougainville Island",
    "Russia Time Zone 10": "Chokurdakh",
    "Magadan Standard Time": "Magadan",
    "Norfolk Standard Time": "Norfolk Island",
    "Sakhalin Standard Time": "Sakhalin",
    "Central Pacific Standard Time": "Solomon Is., New Caledonia",
    "Russia Time Zone 11": "Anadyr, Petropavlovsk-Kamchatsky",
    "New Zealand Standard Time": "Auckland, Wellington",
    "UTC+12": "Coordinated Universal Time+12",
    "Fiji Standard Time": "Fiji",
    "Chatham Islands Standard Time": "Chatham Islands",
    "UTC+13": "Coordinated Universal Time+13",
    "Tonga Standard Time": "Nuku'alofa",
    "Samoa Standard Time": "Samoa",
    "Line Islands Standard Time": "Kiritimati Island",
}

# (obsolete Windows id, its former IANA zone, its label)
_OBSOLETE = [
    ("Mid-Atlantic Standard Time", "Etc/GMT+2", "Mid-Atlantic - Old"),
    ("Kamchatka Standard Time", "Asia/Kamchatka", "Petropavlovsk-Kamchatsky - Old"),
]

_WIN_TO_IANA = {}
_WIN_LOWER = {}
_IANA_TO_WIN = {}
_LABEL_TO_WIN = {}


def _norm_label(text):
    return " ".join(text.replace("&amp;", "&").split()).casefold()


WINDOWS_ZONES = os.environ.get(
    "MEETINGD_WINDOWS_ZONES", "/usr/share/unicode/cldr/common/supplemental/windowsZones.xml")
_TZDIR = os.environ.get("TZDIR") or "/usr/share/zoneinfo"
_IDS = []


def _canonical(name):
    """The name the tz database files NAME under (its links followed), or NAME itself."""
    base = os.path.realpath(_TZDIR)
    path = os.path.realpath(os.path.join(base, name))
    if path.startswith(base + os.sep) and os.path.isfile(path):
        return os.path.relpath(path, base)
    return name


def _read_cldr(path):
    """(Windows id, territory, [IANA names]) for every mapZone of CLDR's windowsZones.xml,
    in file order. The file is system data; expat fetches no external DTD."""
    root = ElementTree.parse(path).getroot()
    return [(m.get("other"), m.get("territory"), m.get("type", "").split())
            for m in root.iter("mapZone")]


_MAP = _read_cldr(WINDOWS_ZONES)
for _win, _territory, _zones in _MAP:
    if _territory == "001" and _zones:
        _WIN_TO_IANA[_win] = _canonical(_zones[0])
        _WIN_LOWER[_win.casefold()] = _win
        _IDS.append(_win)
        _IANA_TO_WIN.setdefault(_WIN_TO_IANA[_win], _win)
for _win, _territory, _zones in _MAP:
    for _z in _zones:
        _IANA_TO_WIN.setdefault(_z, _win)
        _IANA_TO_WIN.setdefault(_canonical(_z), _win)
for _win, _iana, _label in _OBSOLETE:
    _WIN_TO_IANA[_win] = _iana
    _WIN_LOWER[_win.casefold()] = _win
    _IDS.append(_win)
    _LABEL_TO_WIN.setdefault(_norm_label(_label), _win)
for _win, _label in _LABELS.items():
    if _win in _WIN_TO_IANA:
        _LABEL_TO_WIN.setdefault(_norm_label(_label), _win)
# Older Windows releases used slightly different labels for the same ids.
for _label, _win in [
        ("Chihuahua, La Paz, Mazatlan", "Mountain Standard Time (Mexico)"),
        ("Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London", "GMT Standard Time"),
        ("Cape Verde Is.", "Cape Verde Standard Time"),
        ("Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius", "FLE Standard Time"),
        ("Helsinki, Kiev, Riga, Sofia, Tallinn, Vilnius", "FLE Standard Time"),
        ("Buenos Aires", "Argentina Standard Time"),
        ("Astana, Dhaka", "Central Asia Standard Time"),
        ("Tijuana, Baja California", "Pacific Standard Time (Mexico)"),
        ("Yangon", "Myanmar Standard Time"),
        ("Moscow, St. Petersburg, Volgograd", "Russian Standard Time"),
        ("Casablanca, Monrovia, Reykjavik", "Greenwich Standard Time"),
]:
    _LABEL_TO_WIN.setdefault(_norm_label(_label), _win)
del _win, _iana, _label, _zones, _z, _territory


def windows_ids():
    """All Windows ids known here, current ones first."""
    return list(_IDS)


def windows_to_iana(windows_id):
    """IANA zone for a Windows time-zone id; KeyError if unknown (case-insensitive match)."""
    if windows_id in _WIN_TO_IANA:
        return _WIN_TO_IANA[windows_id]
    canon = _WIN_LOWER.get(str(windows_id).strip().casefold())
    if canon is None:
        raise KeyError(windows_id)
    return _WIN_TO_IANA[canon]


def iana_to_windows(name):
    """Windows id for an IANA zone name (canonical or alias); KeyError if unknown."""
    if name in _IANA_TO_WIN:
        return _IANA_TO_WIN[name]
    if _canonical(name) in _IANA_TO_WIN:
        return _IANA_TO_WIN[_canonical(name)]
    if name in _WIN_TO_IANA:  # already a Windows id
        return name
    raise KeyError(name)


_OFFSET_PREFIX = re.compile(
    r"^\s*\((?:UTC|GMT)\s*(?:(?P<sign>[+-\u2212])\s*(?P<h>\d{1,2})(?::(?P<m>\d{2}))?)?\)\s*")


def _standard_offsets(z):
    """UTC offsets the zone has used in the last few years, as a set of timedeltas."""
    seen = set()
    base = datetime(2015, 1, 15, 12, tzinfo=timezone.utc)
    for i in range(0, 12 * 12):
        local = (base + timedelta(days=30.5 * i)).astimezone(z)
        seen.add(local.utcoffset() - (local.dst() or timedelta(0)))
    return seen


def _load(name):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise KeyError(name) from exc


def zone_from_display_name(text):
    """Best effort: a Windows display name such as "(UTC-08:00) Pacific Time (US & Canada)".

    Matches the label after the offset against the Windows labels known here (current and
    older wordings); failing that, looks for a city of a comma-separated label in the IANA
    database (spaces as underscores) whose standard offset equals the prefix's offset. A
    display name is only a description, so a KeyError for anything not recognised is an
    honest answer.
    """
    if not isinstance(text, str):
        raise KeyError(text)
    m = _OFFSET_PREFIX.match(text)
    label = text[m.end():] if m else text
    win = _LABEL_TO_WIN.get(_norm_label(label))
    if win is not None:
        return _load(_WIN_TO_IANA[win])
    if m is None:
        raise KeyError(text)
    offset = timedelta(0)
    if m.group("sign"):
        offset = timedelta(hours=int(m.group("h")), minutes=int(m.group("m") or 0))
        if m.group("sign") != "+":
            offset = -offset
    cities = [c.strip().replace(" ", "_") for c in re.split(r"[,;]", label) if c.strip()]
    if not cities:
        raise KeyError(text)
    wanted = {c.casefold() for c in cities}
    for key in sorted(zoneinfo.available_timezones()):
        if key.rsplit("/", 1)[-1].casefold() in wanted:
            z = _load(key)
            if offset in _standard_offsets(z):
                return z
    raise KeyError(text)


def zone(windows_or_iana):
    """zoneinfo.ZoneInfo for a Windows id, an IANA name, or a Windows display name.

    KeyError if none of them is recognised.
    """
    if not isinstance(windows_or_iana, str) or not windows_or_iana.strip():
        raise KeyError(windows_or_iana)
    name = windows_or_iana.strip()
    try:
        return _load(windows_to_iana(name))
    except KeyError:
        pass
    try:
        return _load(name)
    except KeyError:
        pass
    if name.startswith("("):
        return zone_from_display_name(name)
    raise KeyError(windows_or_iana)
