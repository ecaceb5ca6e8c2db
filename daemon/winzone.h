/*
 * winzone: Windows time zone names, as Exchange and Outlook show them ("W. Europe Standard
 * Time"), mapped to IANA names through Unicode CLDR's windowsZones.xml (Debian's
 * unicode-cldr-core): the zone of territory "001" is the one Windows means.
 */
#ifndef MEETINGD_WINZONE_H
#define MEETINGD_WINZONE_H

#include <stdbool.h>
#include <stddef.h>

/* Where the mapping is read from: $MEETINGD_WINDOWS_ZONES, else Debian's path. */
const char *winzone_path(void);

/*
 * The IANA name for the Windows zone NAME (compared case-insensitively, runs of blanks as
 * one), caller frees; NULL when there is none, with why in ERR ("no such Windows zone", or
 * the mapping could not be read). The file is read once (again only when
 * $MEETINGD_WINDOWS_ZONES names another), with libxml2 and no network, no DTD and no
 * entities.
 */
char *winzone_to_iana(const char *name, char *err, size_t err_len);

/* The Windows id for the IANA name IANA (the territory-001 zone first, then any territory's),
 * borrowed from the map; NULL when none maps to it or the map cannot be read. */
const char *winzone_from_iana(const char *iana);

/* Whether S is shaped like an IANA zone name (letters, digits, '/', '_', '-', '+'; no
 * leading '/', no empty or dot components): safe to join to the zone directory. */
bool zone_name_ok(const char *s);

/* Whether NAME exists as a compiled tz file in $TZDIR or /usr/share/zoneinfo (that directory
 * into DIRBUF, for messages): what the C library will load for it. */
bool zone_exists(const char *name, char *dirbuf, size_t dirlen);

/* The IANA name of a zone a server names, Windows ("W. Europe Standard Time") or IANA
 * ("Europe/Berlin", "UTC"), when this host has it; caller frees; NULL otherwise. */
char *zone_resolve(const char *name);

#endif
