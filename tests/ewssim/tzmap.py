"""Windows time-zone ids <-> IANA names, for the simulator's recurrence and work hours.

EWS names time zones by their Windows ids (t:TimeZoneDefinition Id="Pacific Standard Time",
t:MeetingTimeZone TimeZoneName=..., t:StartTimeZone Id=...); the simulator computes with the
IANA database through zoneinfo. The table below is the public Unicode CLDR "windowsZones"
mapping (territory 001, the zone CLDR picks as the id's representative), typed in by hand, with
the IANA names in their current canonical spelling (Asia/Kolkata, not Asia/Calcutta). Each
row also carries the Windows display label without its "(UTC+hh:mm) " prefix, because
Microsoft's own examples put display names such as "(UTC-08:00) Pacific Time (US & Canada)"
into t:TimeZone.

Obsolete Windows ids still found in old data ("Mid-Atlantic Standard Time", "Kamchatka
Standard Time") map to their former zones and are listed after the current ones so that
iana_to_windows() prefers the current id.
"""

import re
import zoneinfo
from datetime import datetime, timedelta, timezone

# (Windows id, IANA zone, Windows display label after the offset prefix)
_TABLE = [
    ("Dateline Standard Time", "Etc/GMT+12", "International Date Line West"),
    ("UTC-11", "Etc/GMT+11", "Coordinated Universal Time-11"),
    ("Aleutian Standard Time", "America/Adak", "Aleutian Islands"),
    ("Hawaiian Standard Time", "Pacific/Honolulu", "Hawaii"),
    ("Marquesas Standard Time", "Pacific/Marquesas", "Marquesas Islands"),
    ("Alaskan Standard Time", "America/Anchorage", "Alaska"),
    ("UTC-09", "Etc/GMT+9", "Coordinated Universal Time-09"),
    ("Pacific Standard Time (Mexico)", "America/Tijuana", "Baja California"),
    ("UTC-08", "Etc/GMT+8", "Coordinated Universal Time-08"),
    ("Pacific Standard Time", "America/Los_Angeles", "Pacific Time (US & Canada)"),
    ("US Mountain Standard Time", "America/Phoenix", "Arizona"),
    ("Mountain Standard Time (Mexico)", "America/Mazatlan", "La Paz, Mazatlan"),
    ("Mountain Standard Time", "America/Denver", "Mountain Time (US & Canada)"),
    ("Yukon Standard Time", "America/Whitehorse", "Yukon"),
    ("Central America Standard Time", "America/Guatemala", "Central America"),
    ("Central Standard Time", "America/Chicago", "Central Time (US & Canada)"),
    ("Easter Island Standard Time", "Pacific/Easter", "Easter Island"),
    ("Central Standard Time (Mexico)", "America/Mexico_City",
     "Guadalajara, Mexico City, Monterrey"),
    ("Canada Central Standard Time", "America/Regina", "Saskatchewan"),
    ("SA Pacific Standard Time", "America/Bogota", "Bogota, Lima, Quito, Rio Branco"),
    ("Eastern Standard Time (Mexico)", "America/Cancun", "Chetumal"),
    ("Eastern Standard Time", "America/New_York", "Eastern Time (US & Canada)"),
    ("Haiti Standard Time", "America/Port-au-Prince", "Haiti"),
    ("Cuba Standard Time", "America/Havana", "Havana"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis", "Indiana (East)"),
    ("Turks And Caicos Standard Time", "America/Grand_Turk", "Turks and Caicos"),
    ("Paraguay Standard Time", "America/Asuncion", "Asuncion"),
    ("Atlantic Standard Time", "America/Halifax", "Atlantic Time (Canada)"),
    ("Venezuela Standard Time", "America/Caracas", "Caracas"),
    ("Central Brazilian Standard Time", "America/Cuiaba", "Cuiaba"),
    ("SA Western Standard Time", "America/La_Paz", "Georgetown, La Paz, Manaus, San Juan"),
    ("Pacific SA Standard Time", "America/Santiago", "Santiago"),
    ("Newfoundland Standard Time", "America/St_Johns", "Newfoundland"),
    ("Tocantins Standard Time", "America/Araguaina", "Araguaina"),
    ("E. South America Standard Time", "America/Sao_Paulo", "Brasilia"),
    ("SA Eastern Standard Time", "America/Cayenne", "Cayenne, Fortaleza"),
    ("Argentina Standard Time", "America/Argentina/Buenos_Aires", "City of Buenos Aires"),
    ("Greenland Standard Time", "America/Nuuk", "Greenland"),
    ("Montevideo Standard Time", "America/Montevideo", "Montevideo"),
    ("Magallanes Standard Time", "America/Punta_Arenas", "Punta Arenas"),
    ("Saint Pierre Standard Time", "America/Miquelon", "Saint Pierre and Miquelon"),
    ("Bahia Standard Time", "America/Bahia", "Salvador"),
    ("UTC-02", "Etc/GMT+2", "Coordinated Universal Time-02"),
    ("Azores Standard Time", "Atlantic/Azores", "Azores"),
    ("Cape Verde Standard Time", "Atlantic/Cape_Verde", "Cabo Verde Is."),
    ("UTC", "Etc/UTC", "Coordinated Universal Time"),
    ("GMT Standard Time", "Europe/London", "Dublin, Edinburgh, Lisbon, London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik", "Monrovia, Reykjavik"),
    ("Sao Tome Standard Time", "Africa/Sao_Tome", "Sao Tome"),
    ("Morocco Standard Time", "Africa/Casablanca", "Casablanca"),
    ("W. Europe Standard Time", "Europe/Berlin",
     "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"),
    ("Central Europe Standard Time", "Europe/Budapest",
     "Belgrade, Bratislava, Budapest, Ljubljana, Prague"),
    ("Romance Standard Time", "Europe/Paris", "Brussels, Copenhagen, Madrid, Paris"),
    ("Central European Standard Time", "Europe/Warsaw", "Sarajevo, Skopje, Warsaw, Zagreb"),
    ("W. Central Africa Standard Time", "Africa/Lagos", "West Central Africa"),
    ("Jordan Standard Time", "Asia/Amman", "Amman"),
    ("GTB Standard Time", "Europe/Bucharest", "Athens, Bucharest"),
    ("Middle East Standard Time", "Asia/Beirut", "Beirut"),
    ("Egypt Standard Time", "Africa/Cairo", "Cairo"),
    ("E. Europe Standard Time", "Europe/Chisinau", "Chisinau"),
    ("Syria Standard Time", "Asia/Damascus", "Damascus"),
    ("West Bank Standard Time", "Asia/Hebron", "Gaza, Hebron"),
    ("South Africa Standard Time", "Africa/Johannesburg", "Harare, Pretoria"),
    ("FLE Standard Time", "Europe/Kyiv", "Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius"),
    ("Israel Standard Time", "Asia/Jerusalem", "Jerusalem"),
    ("South Sudan Standard Time", "Africa/Juba", "Juba"),
    ("Kaliningrad Standard Time", "Europe/Kaliningrad", "Kaliningrad"),
    ("Sudan Standard Time", "Africa/Khartoum", "Khartoum"),
    ("Libya Standard Time", "Africa/Tripoli", "Tripoli"),
    ("Namibia Standard Time", "Africa/Windhoek", "Windhoek"),
    ("Arabic Standard Time", "Asia/Baghdad", "Baghdad"),
    ("Turkey Standard Time", "Europe/Istanbul", "Istanbul"),
    ("Arab Standard Time", "Asia/Riyadh", "Kuwait, Riyadh"),
    ("Belarus Standard Time", "Europe/Minsk", "Minsk"),
    ("Russian Standard Time", "Europe/Moscow", "Moscow, St. Petersburg"),
    ("E. Africa Standard Time", "Africa/Nairobi", "Nairobi"),
    ("Volgograd Standard Time", "Europe/Volgograd", "Volgograd"),
    ("Iran Standard Time", "Asia/Tehran", "Tehran"),
    ("Arabian Standard Time", "Asia/Dubai", "Abu Dhabi, Muscat"),
    ("Astrakhan Standard Time", "Europe/Astrakhan", "Astrakhan, Ulyanovsk"),
    ("Azerbaijan Standard Time", "Asia/Baku", "Baku"),
    ("Russia Time Zone 3", "Europe/Samara", "Izhevsk, Samara"),
    ("Mauritius Standard Time", "Indian/Mauritius", "Port Louis"),
    ("Saratov Standard Time", "Europe/Saratov", "Saratov"),
    ("Georgian Standard Time", "Asia/Tbilisi", "Tbilisi"),
    ("Caucasus Standard Time", "Asia/Yerevan", "Yerevan"),
    ("Afghanistan Standard Time", "Asia/Kabul", "Kabul"),
    ("West Asia Standard Time", "Asia/Tashkent", "Ashgabat, Tashkent"),
    ("Ekaterinburg Standard Time", "Asia/Yekaterinburg", "Ekaterinburg"),
    ("Pakistan Standard Time", "Asia/Karachi", "Islamabad, Karachi"),
    ("Qyzylorda Standard Time", "Asia/Qyzylorda", "Qyzylorda"),
    ("India Standard Time", "Asia/Kolkata", "Chennai, Kolkata, Mumbai, New Delhi"),
    ("Sri Lanka Standard Time", "Asia/Colombo", "Sri Jayawardenepura"),
    ("Nepal Standard Time", "Asia/Kathmandu", "Kathmandu"),
    ("Central Asia Standard Time", "Asia/Bishkek", "Astana"),
    ("Bangladesh Standard Time", "Asia/Dhaka", "Dhaka"),
    ("Omsk Standard Time", "Asia/Omsk", "Omsk"),
    ("Myanmar Standard Time", "Asia/Yangon", "Yangon (Rangoon)"),
    ("SE Asia Standard Time", "Asia/Bangkok", "Bangkok, Hanoi, Jakarta"),
    ("Altai Standard Time", "Asia/Barnaul", "Barnaul, Gorno-Altaysk"),
    ("W. Mongolia Standard Time", "Asia/Hovd", "Hovd"),
    ("North Asia Standard Time", "Asia/Krasnoyarsk", "Krasnoyarsk"),
    ("N. Central Asia Standard Time", "Asia/Novosibirsk", "Novosibirsk"),
    ("Tomsk Standard Time", "Asia/Tomsk", "Tomsk"),
    ("China Standard Time", "Asia/Shanghai", "Beijing, Chongqing, Hong Kong, Urumqi"),
    ("North Asia East Standard Time", "Asia/Irkutsk", "Irkutsk"),
    ("Singapore Standard Time", "Asia/Singapore", "Kuala Lumpur, Singapore"),
    ("W. Australia Standard Time", "Australia/Perth", "Perth"),
    ("Taipei Standard Time", "Asia/Taipei", "Taipei"),
    ("Ulaanbaatar Standard Time", "Asia/Ulaanbaatar", "Ulaanbaatar"),
    ("Aus Central W. Standard Time", "Australia/Eucla", "Eucla"),
    ("Transbaikal Standard Time", "Asia/Chita", "Chita"),
    ("Tokyo Standard Time", "Asia/Tokyo", "Osaka, Sapporo, Tokyo"),
    ("North Korea Standard Time", "Asia/Pyongyang", "Pyongyang"),
    ("Korea Standard Time", "Asia/Seoul", "Seoul"),
    ("Yakutsk Standard Time", "Asia/Yakutsk", "Yakutsk"),
    ("Cen. Australia Standard Time", "Australia/Adelaide", "Adelaide"),
    ("AUS Central Standard Time", "Australia/Darwin", "Darwin"),
    ("E. Australia Standard Time", "Australia/Brisbane", "Brisbane"),
    ("AUS Eastern Standard Time", "Australia/Sydney", "Canberra, Melbourne, Sydney"),
    ("West Pacific Standard Time", "Pacific/Port_Moresby", "Guam, Port Moresby"),
    ("Tasmania Standard Time", "Australia/Hobart", "Hobart"),
    ("Vladivostok Standard Time", "Asia/Vladivostok", "Vladivostok"),
    ("Lord Howe Standard Time", "Australia/Lord_Howe", "Lord Howe Island"),
    ("Bougainville Standard Time", "Pacific/Bougainville", "Bougainville Island"),
    ("Russia Time Zone 10", "Asia/Srednekolymsk", "Chokurdakh"),
    ("Magadan Standard Time", "Asia/Magadan", "Magadan"),
    ("Norfolk Standard Time", "Pacific/Norfolk", "Norfolk Island"),
    ("Sakhalin Standard Time", "Asia/Sakhalin", "Sakhalin"),
    ("Central Pacific Standard Time", "Pacific/Guadalcanal", "Solomon Is., New Caledonia"),
    ("Russia Time Zone 11", "Asia/Kamchatka", "Anadyr, Petropavlovsk-Kamchatsky"),
    ("New Zealand Standard Time", "Pacific/Auckland", "Auckland, Wellington"),
    ("UTC+12", "Etc/GMT-12", "Coordinated Universal Time+12"),
    ("Fiji Standard Time", "Pacific/Fiji", "Fiji"),
    ("Chatham Islands Standard Time", "Pacific/Chatham", "Chatham Islands"),
    ("UTC+13", "Etc/GMT-13", "Coordinated Universal Time+13"),
    ("Tonga Standard Time", "Pacific/Tongatapu", "Nuku'alofa"),
    ("Samoa Standard Time", "Pacific/Apia", "Samoa"),
    ("Line Islands Standard Time", "Pacific/Kiritimati", "Kiritimati Island"),
    # Obsolete ids, kept for old data; never chosen by iana_to_windows().
    ("Mid-Atlantic Standard Time", "Etc/GMT+2", "Mid-Atlantic - Old"),
    ("Kamchatka Standard Time", "Asia/Kamchatka", "Petropavlovsk-Kamchatsky - Old"),
]

# Other IANA zones (and old spellings) that Windows folds into one of the ids above; CLDR
# lists these per territory. Only for iana_to_windows().
_IANA_EXTRA = {
    "W. Europe Standard Time": [
        "Europe/Amsterdam", "Europe/Rome", "Europe/Stockholm", "Europe/Vienna",
        "Europe/Zurich", "Europe/Oslo", "Europe/Luxembourg", "Europe/Monaco", "Europe/Malta",
        "Europe/Andorra", "Europe/Vaduz", "Europe/San_Marino", "Europe/Vatican",
        "Europe/Gibraltar", "Europe/Busingen", "Arctic/Longyearbyen"],
    "Romance Standard Time": ["Europe/Brussels", "Europe/Copenhagen", "Europe/Madrid",
                              "Africa/Ceuta"],
    "Central Europe Standard Time": [
        "Europe/Belgrade", "Europe/Bratislava", "Europe/Ljubljana", "Europe/Prague",
        "Europe/Podgorica", "Europe/Tirane"],
    "Central European Standard Time": ["Europe/Sarajevo", "Europe/Skopje", "Europe/Zagreb"],
    "GMT Standard Time": ["Europe/Dublin", "Europe/Lisbon", "Europe/Guernsey",
                          "Europe/Isle_of_Man", "Europe/Jersey", "Atlantic/Canary",
                          "Atlantic/Faroe", "Atlantic/Madeira"],
    "Greenwich Standard Time": ["Africa/Abidjan", "Africa/Accra", "Africa/Bamako",
                                "Africa/Banjul", "Africa/Bissau", "Africa/Conakry",
                                "Africa/Dakar", "Africa/Freetown", "Africa/Lome",
                                "Africa/Monrovia", "Africa/Nouakchott",
                                "Africa/Ouagadougou", "Atlantic/St_Helena"],
    "FLE Standard Time": ["Europe/Kiev", "Europe/Helsinki", "Europe/Riga", "Europe/Sofia",
                          "Europe/Tallinn", "Europe/Vilnius", "Europe/Mariehamn",
                          "Europe/Uzhgorod", "Europe/Zaporozhye"],
    "GTB Standard Time": ["Europe/Athens", "Asia/Nicosia", "Asia/Famagusta"],
    "W. Central Africa Standard Time": ["Africa/Algiers", "Africa/Tunis", "Africa/Luanda",
                                        "Africa/Kinshasa", "Africa/Douala", "Africa/Niamey",
                                        "Africa/Ndjamena", "Africa/Libreville",
                                        "Africa/Malabo", "Africa/Porto-Novo",
                                        "Africa/Bangui", "Africa/Brazzaville"],
    "South Africa Standard Time": ["Africa/Harare", "Africa/Maputo", "Africa/Lusaka",
                                   "Africa/Gaborone", "Africa/Blantyre", "Africa/Kigali",
                                   "Africa/Bujumbura", "Africa/Lubumbashi",
                                   "Africa/Maseru", "Africa/Mbabane"],
    "E. Africa Standard Time": ["Africa/Addis_Ababa", "Africa/Dar_es_Salaam",
                                "Africa/Kampala", "Africa/Mogadishu", "Africa/Djibouti",
                                "Africa/Asmara", "Indian/Antananarivo", "Indian/Comoro",
                                "Indian/Mayotte"],
    "Arab Standard Time": ["Asia/Kuwait", "Asia/Qatar", "Asia/Bahrain", "Asia/Aden"],
    "Arabian Standard Time": ["Asia/Muscat", "Etc/GMT-4"],
    "Russian Standard Time": ["Europe/Kirov", "Europe/Simferopol"],
    "Eastern Standard Time": ["America/Toronto", "America/Detroit", "America/Nassau",
                              "America/Montreal", "America/Kentucky/Louisville",
                              "America/Indiana/Petersburg", "America/Indiana/Vincennes",
                              "US/Eastern", "EST5EDT"],
    "US Eastern Standard Time": ["America/Indianapolis", "America/Indiana/Marengo",
                                 "America/Indiana/Vevay"],
    "Central Standard Time": ["America/Winnipeg", "America/Matamoros", "America/Menominee",
                              "America/Indiana/Knox", "America/Indiana/Tell_City",
                              "America/North_Dakota/Center", "US/Central", "CST6CDT"],
    "Mountain Standard Time": ["America/Edmonton", "America/Boise", "America/Ciudad_Juarez",
                               "US/Mountain", "MST7MDT"],
    "US Mountain Standard Time": ["America/Creston", "America/Dawson_Creek",
                                  "America/Hermosillo", "America/Fort_Nelson", "MST"],
    "Pacific Standard Time": ["America/Vancouver", "US/Pacific", "PST8PDT"],
    "Alaskan Standard Time": ["America/Juneau", "America/Nome", "America/Sitka",
                              "America/Yakutat", "America/Metlakatla", "US/Alaska"],
    "Hawaiian Standard Time": ["US/Hawaii", "Pacific/Rarotonga", "Pacific/Tahiti",
                               "Etc/GMT+10", "HST"],
    "Atlantic Standard Time": ["America/Glace_Bay", "America/Goose_Bay", "America/Moncton",
                               "America/Thule", "Atlantic/Bermuda"],
    "SA Western Standard Time": ["America/Puerto_Rico", "America/Santo_Domingo",
                                 "America/Manaus", "America/Guyana", "America/Barbados",
                                 "America/Martinique", "America/Port_of_Spain",
                                 "Etc/GMT+4"],
    "SA Pacific Standard Time": ["America/Lima", "America/Guayaquil", "America/Panama",
                                 "America/Jamaica", "America/Rio_Branco", "Etc/GMT+5",
                                 "EST"],
    "SA Eastern Standard Time": ["America/Fortaleza", "America/Belem", "America/Recife",
                                 "America/Paramaribo", "Antarctica/Rothera", "Etc/GMT+3"],
    "Argentina Standard Time": ["America/Buenos_Aires", "America/Argentina/Cordoba",
                                "America/Argentina/Mendoza"],
    "Central America Standard Time": ["America/Costa_Rica", "America/El_Salvador",
                                      "America/Tegucigalpa", "America/Managua",
                                      "America/Belize", "Etc/GMT+6"],
    "Central Standard Time (Mexico)": ["America/Monterrey", "America/Merida",
                                       "America/Bahia_Banderas"],
    "Mountain Standard Time (Mexico)": ["America/Chihuahua"],
    "Greenland Standard Time": ["America/Godthab"],
    "India Standard Time": ["Asia/Calcutta"],
    "Nepal Standard Time": ["Asia/Katmandu"],
    "Myanmar Standard Time": ["Asia/Rangoon", "Indian/Cocos"],
    "China Standard Time": ["Asia/Hong_Kong", "Asia/Macau", "PRC"],
    "Singapore Standard Time": ["Asia/Kuala_Lumpur", "Asia/Manila", "Asia/Brunei",
                                "Asia/Makassar", "Asia/Kuching", "Etc/GMT-8"],
    "SE Asia Standard Time": ["Asia/Jakarta", "Asia/Ho_Chi_Minh", "Asia/Saigon",
                              "Asia/Phnom_Penh", "Asia/Vientiane", "Asia/Pontianak",
                              "Indian/Christmas", "Etc/GMT-7"],
    "Tokyo Standard Time": ["Asia/Jayapura", "Pacific/Palau", "Asia/Dili", "Etc/GMT-9",
                            "Japan"],
    "Korea Standard Time": ["ROK"],
    "West Asia Standard Time": ["Asia/Samarkand", "Asia/Ashgabat", "Asia/Dushanbe",
                                "Asia/Aqtau", "Asia/Aqtobe", "Asia/Atyrau", "Asia/Oral",
                                "Indian/Maldives", "Indian/Kerguelen", "Etc/GMT-5"],
    "Central Asia Standard Time": ["Asia/Urumqi", "Antarctica/Vostok", "Etc/GMT-6"],
    "Arabic Standard Time": [],
    "AUS Eastern Standard Time": ["Australia/Melbourne", "Australia/Canberra",
                                  "Australia/ACT", "Australia/NSW", "Australia/Victoria"],
    "E. Australia Standard Time": ["Australia/Lindeman", "Australia/Queensland"],
    "Cen. Australia Standard Time": ["Australia/Broken_Hill", "Australia/South"],
    "Tasmania Standard Time": ["Australia/Currie", "Australia/Tasmania",
                               "Antarctica/Macquarie"],
    "West Pacific Standard Time": ["Pacific/Guam", "Pacific/Saipan", "Pacific/Chuuk",
                                   "Antarctica/DumontDUrville", "Etc/GMT-10"],
    "Central Pacific Standard Time": ["Pacific/Noumea", "Pacific/Efate",
                                      "Pacific/Pohnpei", "Pacific/Kosrae", "Etc/GMT-11"],
    "New Zealand Standard Time": ["Antarctica/McMurdo", "NZ"],
    "UTC+12": ["Pacific/Tarawa", "Pacific/Majuro", "Pacific/Kwajalein", "Pacific/Funafuti",
               "Pacific/Wake", "Pacific/Wallis", "Pacific/Nauru"],
    "UTC+13": ["Pacific/Fakaofo", "Pacific/Kanton", "Pacific/Enderbury"],
    "UTC-11": ["Pacific/Pago_Pago", "Pacific/Niue", "Pacific/Midway"],
    "UTC": ["Etc/GMT", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT+0", "Etc/GMT-0",
            "Etc/GMT0", "Etc/Greenwich", "UTC", "GMT", "UCT", "Zulu", "Universal",
            "America/Danmarkshavn"],
    "Israel Standard Time": ["Asia/Tel_Aviv", "Israel"],
    "Turkey Standard Time": ["Asia/Istanbul", "Turkey"],
    "Egypt Standard Time": ["Egypt"],
    "Iran Standard Time": ["Iran"],
    "West Bank Standard Time": ["Asia/Gaza"],
    "Pacific SA Standard Time": ["Chile/Continental"],
    "E. South America Standard Time": ["Brazil/East"],
    "Azores Standard Time": ["America/Scoresbysund"],
    "Cape Verde Standard Time": ["Etc/GMT+1"],
    "UTC-02": ["America/Noronha", "Atlantic/South_Georgia"],
    "Ulaanbaatar Standard Time": ["Asia/Ulan_Bator", "Asia/Choibalsan"],
    "Taipei Standard Time": ["ROC"],
    "Vladivostok Standard Time": ["Asia/Ust-Nera"],
    "Yakutsk Standard Time": ["Asia/Khandyga"],
    "Magadan Standard Time": [],
    "Russia Time Zone 11": ["Asia/Anadyr", "Etc/GMT-12"],
    "Ekaterinburg Standard Time": [],
    "Sri Lanka Standard Time": [],
    "Bangladesh Standard Time": ["Asia/Dacca", "Asia/Thimphu", "Indian/Chagos"],
    "Pakistan Standard Time": [],
    "Mauritius Standard Time": ["Indian/Reunion", "Indian/Mahe"],
}

_WIN_TO_IANA = {}
_WIN_LOWER = {}
_IANA_TO_WIN = {}
_LABEL_TO_WIN = {}


def _norm_label(text):
    return " ".join(text.replace("&amp;", "&").split()).casefold()


for _win, _iana, _label in _TABLE:
    _WIN_TO_IANA[_win] = _iana
    _WIN_LOWER[_win.casefold()] = _win
    _IANA_TO_WIN.setdefault(_iana, _win)
    _LABEL_TO_WIN.setdefault(_norm_label(_label), _win)
for _win, _zones in _IANA_EXTRA.items():
    assert _win in _WIN_TO_IANA, _win
    for _z in _zones:
        _IANA_TO_WIN.setdefault(_z, _win)
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
del _win, _iana, _label, _zones, _z


def windows_ids():
    """All Windows ids known here, current ones first."""
    return [row[0] for row in _TABLE]


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
