"""Item XML in (t:CalendarItem, t:Message ... as written in CreateItem and SetItemField).

parse_item() reads every child the simulator models into a dict keyed by FieldURI
("item:Subject", "calendar:Start" ...). Times stay raw text there: whether an unzoned time
is local to the request's TimeZoneContext, the item's StartTimeZone or UTC is decided by
resolve_times() once the zone is known.
"""

import base64
import binascii

import recurrence as recurrence_mod
import timeutil
from soap import EwsError, T_NS, bool_of, local, namespace, t
from store import Attachment, Attendee, Person

# t: child element -> FieldURI, for the properties the simulator stores.
FIELD_OF_ELEMENT = {
    "Subject": "item:Subject",
    "Body": "item:Body",
    "Attachments": "item:Attachments",
    "Sensitivity": "item:Sensitivity",
    "Importance": "item:Importance",
    "Categories": "item:Categories",
    "ReminderIsSet": "item:ReminderIsSet",
    "ReminderMinutesBeforeStart": "item:ReminderMinutesBeforeStart",
    "ReminderDueBy": "item:ReminderDueBy",
    "ItemClass": "item:ItemClass",
    "ToRecipients": "message:ToRecipients",
    "CcRecipients": "message:CcRecipients",
    "IsRead": "message:IsRead",
    "From": "message:From",
    "UID": "calendar:UID",
    "Start": "calendar:Start",
    "End": "calendar:End",
    "IsAllDayEvent": "calendar:IsAllDayEvent",
    "LegacyFreeBusyStatus": "calendar:LegacyFreeBusyStatus",
    "Location": "calendar:Location",
    "IsResponseRequested": "calendar:IsResponseRequested",
    "RequiredAttendees": "calendar:RequiredAttendees",
    "OptionalAttendees": "calendar:OptionalAttendees",
    "Resources": "calendar:Resources",
    "Recurrence": "calendar:Recurrence",
    "MeetingTimeZone": "calendar:MeetingTimeZone",
    "StartTimeZone": "calendar:StartTimeZone",
    "EndTimeZone": "calendar:EndTimeZone",
    "StartTimeZoneId": "calendar:StartTimeZoneId",
    "EndTimeZoneId": "calendar:EndTimeZoneId",
}

ATTENDEE_ROLES = {
    "calendar:RequiredAttendees": "Required",
    "calendar:OptionalAttendees": "Optional",
    "calendar:Resources": "Resource",
}


def parse_mailbox(elem):
    """t:Mailbox (EmailAddressType) -> Person; EwsError if it has no address."""
    if elem is None:
        raise EwsError("ErrorInvalidRecipients", "A recipient has no mailbox.")
    address = (elem.findtext(t("EmailAddress")) or "").strip()
    if not address:
        raise EwsError("ErrorInvalidRecipients",
                       "A recipient has no e-mail address.")
    name = (elem.findtext(t("Name")) or "").strip()
    return Person(name or None, address)


def parse_attendees(container, role):
    out = []
    for att in container.findall(t("Attendee")):
        person = parse_mailbox(att.find(t("Mailbox")))
        out.append(Attendee(person.name, person.address, role))
    return out


def parse_recipients(container):
    return [parse_mailbox(mb) for mb in container.findall(t("Mailbox"))]


def parse_body(elem):
    """(text, BodyType) of a t:Body (or t:NewBodyContent)."""
    return elem.text or "", elem.get("BodyType", "Text")


def parse_attachments(container):
    """t:Attachments (NonEmptyArrayOfAttachmentsType) -> [Attachment] (without ids).

    File attachments only: Name is required (Exchange answers ErrorRequiredPropertyMissing
    without it), Content is base64 (absent = empty file).
    """
    out = []
    for elem in container:
        if elem.tag != t("FileAttachment"):
            raise EwsError("ErrorInvalidOperation",
                           "The simulator models file attachments only, not %s."
                           % local(elem.tag))
        name = elem.findtext(t("Name"))
        if name is None or not name.strip():
            raise EwsError("ErrorRequiredPropertyMissing",
                           "Required property is missing: the attachment has no Name.")
        try:
            content = base64.b64decode((elem.findtext(t("Content")) or "").encode("ascii"),
                                       validate=False)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise EwsError("ErrorInvalidValueForProperty",
                           "The attachment content is not base64.")
        out.append(Attachment(name, content, elem.findtext(t("ContentType")),
                              elem.findtext(t("ContentId")),
                              bool_of(elem.findtext(t("IsInline")))))
    return out


def _windows_zone(windows_id):
    try:
        timeutil.zone_for_windows_id(windows_id)
    except KeyError:
        raise EwsError("ErrorTimeZone", "The time zone '%s' is not known." % windows_id)
    return windows_id


def parse_item(elem):
    """Element of an ItemType -> {FieldURI: value}. Unmodelled children are skipped."""
    fields = {}
    for child in elem:
        if namespace(child.tag) != T_NS:
            continue
        name = local(child.tag)
        uri = FIELD_OF_ELEMENT.get(name)
        if uri is None:
            continue
        if uri in ATTENDEE_ROLES:
            value = parse_attendees(child, ATTENDEE_ROLES[uri])
        elif uri in ("message:ToRecipients", "message:CcRecipients"):
            value = parse_recipients(child)
        elif uri == "message:From":
            value = parse_mailbox(child.find(t("Mailbox")))
        elif uri == "item:Body":
            value = parse_body(child)
        elif uri == "item:Attachments":
            value = parse_attachments(child)
        elif uri == "calendar:Recurrence":
            try:
                value = recurrence_mod.parse_recurrence(child, T_NS)
            except ValueError as exc:
                code = getattr(exc, "response_code", "ErrorCalendarInvalidRecurrence")
                raise EwsError(code, str(exc))
        elif uri == "calendar:MeetingTimeZone":
            name_attr = child.get("TimeZoneName")
            value = _windows_zone(name_attr) if name_attr else None
        elif uri in ("calendar:StartTimeZone", "calendar:EndTimeZone"):
            value = _windows_zone(child.get("Id")) if child.get("Id") else None
        elif uri in ("calendar:StartTimeZoneId", "calendar:EndTimeZoneId"):
            value = _windows_zone((child.text or "").strip())
        elif uri in ("item:ReminderIsSet", "calendar:IsAllDayEvent", "message:IsRead",
                     "calendar:IsResponseRequested"):
            value = bool_of(child.text)
        elif uri == "item:ReminderMinutesBeforeStart":
            try:
                value = int((child.text or "").strip())
            except ValueError:
                raise EwsError("ErrorInvalidValueForProperty",
                               "ReminderMinutesBeforeStart must be an integer.")
        else:
            value = (child.text or "")
        fields[uri] = value
    return fields


def item_zone(fields, fallback=None):
    """Windows id of the zone an item's series and unzoned times live in, or fallback."""
    for uri in ("calendar:StartTimeZone", "calendar:StartTimeZoneId",
                "calendar:MeetingTimeZone"):
        if fields.get(uri):
            return fields[uri]
    return fallback


def resolve_time(text, header_zone, item_windows_zone):
    """Wire text of Start/End -> UTC datetime, reading unzoned text as local time.

    header_zone: tzinfo of the request's TimeZoneContext (or None); item_windows_zone: the
    item's Windows zone id (or None). EwsError if the text is not a dateTime.
    """
    default = header_zone
    if default is None and item_windows_zone:
        default = timeutil.zone_for_windows_id(item_windows_zone)
    try:
        return timeutil.parse_datetime(text, default)
    except ValueError as exc:
        raise EwsError("ErrorInvalidValueForProperty", str(exc))
