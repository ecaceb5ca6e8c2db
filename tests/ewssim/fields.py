"""Setting, appending and deleting item properties (CreateItem payloads, UpdateItem changes).

An attendee list that is replaced keeps the tracking record (ResponseType,
LastResponseTime) of every attendee that stays, in whatever list it moves to, as Exchange
does: replacing RequiredAttendees with a subset does not forget who already accepted.
"""

import copy

import parse
import timeutil
from soap import EwsError
from store import Attendee

# Properties a client may not set (Exchange computes them): ErrorInvalidPropertySet.
READ_ONLY = {
    "item:ItemId", "item:ParentFolderId", "item:DateTimeReceived", "item:DateTimeCreated",
    "item:DateTimeSent", "item:Size", "item:LastModifiedTime", "item:ResponseObjects",
    "item:IsDraft", "item:IsFromMe", "item:IsSubmitted", "item:HasAttachments",
    "calendar:MyResponseType", "calendar:IsCancelled", "calendar:CalendarItemType",
    "calendar:Organizer", "calendar:IsMeeting", "calendar:AppointmentState",
    "calendar:MeetingRequestWasSent", "calendar:IsRecurring", "calendar:Duration",
    "calendar:FirstOccurrence", "calendar:LastOccurrence", "calendar:ModifiedOccurrences",
    "calendar:DeletedOccurrences", "calendar:AppointmentSequenceNumber",
    "calendar:ConflictingMeetingCount", "calendar:AdjacentMeetingCount",
    "meeting:AssociatedCalendarItemId", "meeting:IsOutOfDate", "meeting:ResponseType",
    "meetingRequest:MeetingRequestType",
}

CALENDAR_ONLY_PREFIXES = ("calendar:", "meeting:", "meetingRequest:")

# What an occurrence (an exception of a series) may change.
OCCURRENCE_FIELDS = {"item:Subject", "item:Body", "item:Sensitivity", "calendar:Start",
                     "calendar:End", "calendar:Location", "calendar:LegacyFreeBusyStatus"}

def working_copy(item):
    """A copy of item that updates can be applied to and then committed or dropped."""
    work = copy.copy(item)
    work.attendees = [a.copy() for a in item.attendees]
    work.exceptions = {i: dict(ov) for i, ov in item.exceptions.items()}
    work.deleted_occurrences = set(item.deleted_occurrences)
    work.to = list(item.to)
    work.attachments = list(item.attachments)
    return work


def commit(item, work):
    item.__dict__.update(work.__dict__)


def resolve_names(ctx, people):
    """Give recipients written without a Name the display name of their mailbox, as
    Exchange resolves them against the directory."""
    for p in people:
        if not p.name or p.name == p.address:
            mbx = ctx.store.mailbox(p.address)
            if mbx is not None:
                p.name = mbx.name
    return people


def _replace_attendees(item, role, new):
    existing = {a.address.lower(): a for a in item.attendees}
    kept = []
    seen = set()
    for a in new:
        low = a.address.lower()
        if low in seen:
            continue
        seen.add(low)
        old = existing.get(low)
        if old is not None:
            old = old.copy()
            old.role = role
            if a.name and a.name != a.address:
                old.name = a.name
            kept.append(old)
        else:
            kept.append(Attendee(a.name, a.address, role))
    item.attendees = [a for a in item.attendees
                      if a.role != role and a.address.lower() not in seen] + kept


def set_field(ctx, item, uri, value, creating=False):
    """Set one property (value as parse.parse_item produced it)."""
    if uri in READ_ONLY or (uri in ("calendar:UID", "item:ItemClass") and not creating):
        raise EwsError("ErrorInvalidPropertySet", field_uri=uri)
    if item.kind != "CalendarItem" and uri.startswith(CALENDAR_ONLY_PREFIXES):
        raise EwsError("ErrorInvalidPropertySet", field_uri=uri)
    if uri == "item:Subject":
        item.subject = value
    elif uri == "item:Body":
        item.body, item.body_type = value
    elif uri == "item:Attachments":
        # Exchange takes attachments with the new item, later only through CreateAttachment.
        if not creating:
            raise EwsError("ErrorInvalidPropertySet", field_uri=uri)
        item.attachments = list(value)
    elif uri == "item:Sensitivity":
        item.sensitivity = value.strip()
    elif uri == "item:Importance":
        item.importance = value.strip()
    elif uri == "item:ReminderIsSet":
        item.reminder_is_set = value
    elif uri == "item:ReminderMinutesBeforeStart":
        item.reminder_minutes = value
    elif uri == "item:ItemClass":
        item.item_class = value.strip() or item.item_class
    elif uri == "calendar:UID":
        item.uid = value.strip()
    elif uri in ("calendar:Start", "calendar:End"):
        when = parse.resolve_time(value, ctx.header_zone, item.tz_windows)
        if uri == "calendar:Start":
            item.start = when
        else:
            item.end = when
    elif uri == "calendar:IsAllDayEvent":
        item.is_all_day = value
    elif uri == "calendar:LegacyFreeBusyStatus":
        item.legacy_free_busy = value.strip()
    elif uri == "calendar:Location":
        item.location = value
    elif uri == "calendar:IsResponseRequested":
        item.is_response_requested = value
    elif uri in parse.ATTENDEE_ROLES:
        _replace_attendees(item, parse.ATTENDEE_ROLES[uri], resolve_names(ctx, value))
    elif uri == "calendar:Recurrence":
        item.recurrence = value
    elif uri in ("calendar:MeetingTimeZone", "calendar:StartTimeZone",
                 "calendar:StartTimeZoneId"):
        if value:
            item.tz_windows = value
    elif uri == "message:IsRead":
        item.is_read = value
    elif uri == "message:ToRecipients":
        item.to = resolve_names(ctx, value)
    # Anything else modelled nowhere (categories, reminders' due time, ...) is accepted.


def append_field(ctx, item, uri, value):
    """AppendToItemField: attendee lists and the body support it."""
    if uri in parse.ATTENDEE_ROLES and item.kind == "CalendarItem":
        role = parse.ATTENDEE_ROLES[uri]
        present = {a.address.lower() for a in item.attendees}
        for a in resolve_names(ctx, value):
            if a.address.lower() not in present:
                item.attendees.append(Attendee(a.name, a.address, role))
                present.add(a.address.lower())
    elif uri == "item:Body":
        text, _ = value
        item.body = (item.body or "") + text
    elif uri == "message:ToRecipients" and item.kind != "CalendarItem":
        item.to = item.to + resolve_names(ctx, value)
    else:
        raise EwsError("ErrorInvalidPropertyAppend", field_uri=uri)


DELETABLE = {"item:Body", "item:Subject", "calendar:Location", "calendar:Recurrence",
             "calendar:RequiredAttendees", "calendar:OptionalAttendees", "calendar:Resources",
             "item:ReminderMinutesBeforeStart", "item:Categories", "item:ReminderDueBy",
             "item:Sensitivity", "item:Importance"}


def delete_field(ctx, item, uri):
    if uri not in DELETABLE:
        raise EwsError("ErrorInvalidPropertyDelete", field_uri=uri)
    if uri == "item:Body":
        item.body = ""
    elif uri == "item:Subject":
        item.subject = ""
    elif uri == "calendar:Location":
        item.location = None
    elif uri == "calendar:Recurrence":
        item.recurrence = None
        item.exceptions = {}
        item.deleted_occurrences = set()
    elif uri in parse.ATTENDEE_ROLES:
        role = parse.ATTENDEE_ROLES[uri]
        item.attendees = [a for a in item.attendees if a.role != role]
    elif uri == "item:ReminderMinutesBeforeStart":
        item.reminder_minutes = None
    elif uri == "item:Sensitivity":
        item.sensitivity = "Normal"
    elif uri == "item:Importance":
        item.importance = "Normal"


def finish_calendar_item(item, old_recurrence=None):
    """Checks and derived values after a calendar item changed (or was created).

    End before Start is ErrorCalendarEndDateIsEarlierThanStartDate. A recurring master's
    Start/End become those of its first occurrence (Exchange does the same); a changed
    pattern drops the exceptions and deleted occurrences of the old one.
    """
    if item.start is None or item.end is None:
        raise EwsError("ErrorCalendarInvalidPropertyValue",
                       "A calendar item needs both Start and End.")
    if item.end < item.start:
        raise EwsError("ErrorCalendarEndDateIsEarlierThanStartDate")
    if item.recurrence is None:
        return
    old = old_recurrence.summary() if old_recurrence is not None else None
    if old != item.recurrence.summary():
        item.exceptions = {}
        item.deleted_occurrences = set()
    tz = timeutil.zone_for_windows_id(item.tz_windows or "UTC").key
    first = item.recurrence.first(item.start, item.end - item.start, tz)
    if first is None:
        raise EwsError("ErrorRecurrenceHasNoOccurrence")
    item.start, item.end = first
