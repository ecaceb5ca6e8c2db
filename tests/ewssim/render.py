"""Items and folders out, as the XML of their EWS types, shaped by an ItemShape / FolderShape.

Every property is a row of a table kept in the schema's element order for its type
(types.xsd: ItemType, then MessageType, MeetingMessageType and the meeting message types,
or CalendarItemType). A row names its FieldURI and which base shapes include it:
  A  AllProperties            D  Default
  G  GetItem only: left out of FindItem's base shapes, returned when asked for by FieldURI
  X  never in FindItem: asking FindItem for it is ErrorInvalidPropertyForOperation, as
     Exchange answers for the body, recipient and attendee lists (they are GetItem-only)
An emitter returns without writing when the item has no value, so optional properties
simply do not appear, as with Exchange.
"""

import base64
import html
import re
import xml.etree.ElementTree as ET

import flavor as flavor_mod
import recurrence as recurrence_mod
import timeutil
from soap import EwsError, T_NS, t
from store import ROOT_FOLDERS


def sub(parent, name, text=None, attrs=None):
    e = ET.SubElement(parent, t(name), attrs or {})
    if text is not None:
        e.text = text
    return e


def _bool(v):
    return "true" if v else "false"


def _time(v):
    return timeutil.format_utc(v)


class Shape:
    """An ItemShape / FolderShape: base shape, additional FieldURIs, requested body type."""

    def __init__(self, base="IdOnly", additional=(), body_type=None, for_find=False):
        self.base = base
        self.additional = set(additional)
        self.body_type = body_type
        self.for_find = for_find

    def includes(self, uri, flags):
        if uri in ("item:ItemId", "folder:FolderId"):
            return True
        if uri in self.additional:
            return True
        if self.base == "AllProperties":
            wanted = "A" in flags
        elif self.base == "Default":
            wanted = "D" in flags
        else:
            wanted = False
        if wanted and self.for_find and ("X" in flags or "G" in flags):
            return False
        return wanted


def parse_shape(elem, for_find):
    """m:ItemShape / m:FolderShape -> Shape; FindItem refuses GetItem-only properties."""
    base = (elem.findtext(t("BaseShape")) or "IdOnly").strip()
    body_type = elem.findtext(t("BodyType"))
    additional = []
    props = elem.find(t("AdditionalProperties"))
    if props is not None:
        for p in props:
            if p.tag == t("FieldURI") and p.get("FieldURI"):
                additional.append(p.get("FieldURI"))
    shape = Shape(base, additional, body_type.strip() if body_type else None, for_find)
    if for_find:
        for uri in additional:
            if uri in FIND_FORBIDDEN:
                raise EwsError("ErrorInvalidPropertyForOperation",
                               "The property %s can't be used in FindItem requests." % uri,
                               field_uri=uri)
    return shape


# --- emitters ------------------------------------------------------------------------------


def _mailbox(parent, name, person):
    if person is None:
        return
    wrap = sub(parent, name)
    mb = sub(wrap, "Mailbox")
    sub(mb, "Name", person.name)
    sub(mb, "EmailAddress", person.address)
    sub(mb, "RoutingType", "SMTP")


def _recipients(parent, name, people):
    if not people:
        return
    wrap = sub(parent, name)
    for p in people:
        mb = sub(wrap, "Mailbox")
        sub(mb, "Name", p.name)
        sub(mb, "EmailAddress", p.address)
        sub(mb, "RoutingType", "SMTP")


def _attendees(parent, name, attendees):
    if not attendees:
        return
    wrap = sub(parent, name)
    for a in attendees:
        att = sub(wrap, "Attendee")
        mb = sub(att, "Mailbox")
        sub(mb, "Name", a.name)
        sub(mb, "EmailAddress", a.address)
        sub(mb, "RoutingType", "SMTP")
        sub(att, "ResponseType", a.response_type)
        if a.last_response_time is not None:
            sub(att, "LastResponseTime", _time(a.last_response_time))
        if a.proposed_start is not None:
            sub(att, "ProposedStart", _time(a.proposed_start))
            sub(att, "ProposedEnd", _time(a.proposed_end))


def _role(item, role):
    return [a for a in item.attendees if a.role == role]


def _listed(ctx, item, role):
    """The attendees a list shows: --resources-as-required (Gromox 3.10, seen live) shows
    the resources among the required attendees and no list of resources."""
    if not getattr(ctx.store, "resources_as_required", False):
        return _role(item, role)
    if role == "Resource":
        return []
    roles = ("Required", "Resource") if role == "Required" else (role,)
    return [a for a in item.attendees if a.role in roles]


def _body_text(item, requested):
    text, kind = item.body or "", item.body_type or "Text"
    if requested == "Text" and kind == "HTML":
        return html.unescape(re.sub(r"<[^>]*>", "", text)), "Text"
    if requested == "HTML" and kind == "Text":
        return "<html><body>%s</body></html>" % html.escape(text), "HTML"
    return text, kind


def response_objects(item):
    """Names of the response objects Exchange offers on this item (GetItem ResponseObjects)."""
    answer = ["AcceptItem", "TentativelyAcceptItem", "DeclineItem", "ProposeNewTime",
              "ReplyToItem", "ReplyAllToItem", "ForwardItem"]
    if item.kind == "CalendarItem":
        if item.is_meeting and item.my_response_type == "Organizer":
            return ["CancelCalendarItem", "ForwardItem"]
        if item.is_meeting and not item.is_cancelled:
            return answer
        if item.is_meeting:
            return ["ReplyToItem", "ReplyAllToItem", "ForwardItem"]
        return ["ForwardItem"]
    if item.kind == "MeetingRequest" and not item.is_out_of_date:
        return answer
    if item.kind == "MeetingCancellation":
        return ["RemoveItem", "ReplyToItem", "ReplyAllToItem", "ForwardItem"]
    return ["ReplyToItem", "ReplyAllToItem", "ForwardItem"]


def _appointment_state(item):
    if not item.is_meeting:
        return 0
    state = 1
    if item.my_response_type != "Organizer":
        state |= 2
    if item.is_cancelled:
        state |= 4
    return state


def _tz_iana(item):
    return timeutil.zone_for_windows_id(item.tz_windows or "UTC").key


def _occurrence_info(ctx, parent, name, master, index, start, end, original):
    wrap = sub(parent, name)
    sub(wrap, "ItemId", attrs={"Id": ctx.store.occurrence_token(master, index),
                               "ChangeKey": master.exceptions.get(index, {}).get(
                                   "change_key", master.change_key)})
    sub(wrap, "Start", _time(start))
    sub(wrap, "End", _time(end))
    sub(wrap, "OriginalStart", _time(original))


def _series_bounds(ctx, parent, item, which):
    """FirstOccurrence / LastOccurrence of a recurring master (skipping deleted ones)."""
    rec = item.recurrence
    if rec is None or item.is_occurrence:
        return
    duration = item.end - item.start
    tz = _tz_iana(item)
    total = rec.number_of_instances()
    if which == "LastOccurrence" and total is None:
        return
    # The first / last instance that was not deleted (a NoEnd series has no last one).
    indexes = range(1, (total or 1000) + 1) if which == "FirstOccurrence" \
        else range(total, 0, -1)
    for index in indexes:
        if index in item.deleted_occurrences:
            continue
        occ = rec.occurrence(item.start, duration, tz, index)
        if occ is None:
            return
        ov = item.exceptions.get(index, {})
        _occurrence_info(ctx, parent, which, item, index, ov.get("start", occ[0]),
                         ov.get("end", occ[1]), occ[0])
        return


def _modified(ctx, parent, item):
    if item.recurrence is None or item.is_occurrence:
        return
    moved = [(i, ov) for i, ov in sorted(item.exceptions.items())
             if i not in item.deleted_occurrences and any(
                 k in ov for k in ("start", "end", "subject", "location", "body",
                                   "is_cancelled"))]
    if not moved:
        return
    wrap = sub(parent, "ModifiedOccurrences")
    duration = item.end - item.start
    for index, ov in moved:
        occ = item.recurrence.occurrence(item.start, duration, _tz_iana(item), index)
        if occ is None:
            continue
        _occurrence_info(ctx, wrap, "Occurrence", item, index, ov.get("start", occ[0]),
                         ov.get("end", occ[1]), occ[0])


def _deleted(ctx, parent, item):
    if item.recurrence is None or item.is_occurrence or not item.deleted_occurrences:
        return
    wrap = sub(parent, "DeletedOccurrences")
    duration = item.end - item.start
    for index in sorted(item.deleted_occurrences):
        occ = item.recurrence.occurrence(item.start, duration, _tz_iana(item), index)
        if occ is not None:
            sub(sub(wrap, "DeletedOccurrence"), "Start", _time(occ[0]))


def _emit_item_id(ctx, parent, item):
    sub(parent, "ItemId", attrs={"Id": item.token, "ChangeKey": item.change_key})


def _emit_parent(ctx, parent, item):
    sub(parent, "ParentFolderId", attrs={"Id": item.folder.token,
                                         "ChangeKey": item.folder.change_key})


def _emit_body(ctx, parent, item):
    text, kind = _body_text(item, ctx.shape.body_type)
    sub(parent, "Body", text, {"BodyType": kind})


def render_attachment(parent, att, root=None, content=False):
    """Append t:FileAttachment in AttachmentType order: AttachmentId (with RootItemId /
    RootItemChangeKey when root is the item, as CreateAttachment answers), Name,
    ContentType, ContentId, Size, LastModifiedTime, IsInline, IsContactPhoto, and the base64
    Content only when asked (GetAttachment); GetItem lists attachments without content."""
    elem = sub(parent, "FileAttachment")
    attrs = {"Id": att.token}
    if root is not None:
        attrs.update({"RootItemId": root.token, "RootItemChangeKey": root.change_key})
    sub(elem, "AttachmentId", attrs=attrs)
    sub(elem, "Name", att.name)
    if att.content_type:
        sub(elem, "ContentType", att.content_type)
    if att.content_id:
        sub(elem, "ContentId", att.content_id)
    sub(elem, "Size", str(att.size))
    sub(elem, "LastModifiedTime", _time(att.last_modified))
    sub(elem, "IsInline", _bool(att.is_inline))
    sub(elem, "IsContactPhoto", "false")
    if content:
        sub(elem, "Content", base64.b64encode(att.content).decode("ascii"))
    return elem


def _emit_attachments(ctx, parent, item):
    # NonEmptyArrayOfAttachmentsType: an item without attachments has no t:Attachments.
    if item.attachments:
        wrap = sub(parent, "Attachments")
        for att in item.attachments:
            render_attachment(wrap, att)


def _emit_response_objects(ctx, parent, item):
    names = response_objects(item)
    wrap = sub(parent, "ResponseObjects")
    for name in names:
        sub(wrap, name)


def _emit_associated(ctx, parent, item):
    if getattr(ctx.store, "no_associated_calendar_item_id", False):
        return
    cal = ctx.store.items.get(item.associated_key) if item.associated_key else None
    if cal is not None:
        sub(parent, "AssociatedCalendarItemId", attrs={"Id": cal.token,
                                                       "ChangeKey": cal.change_key})


def _emit_recurrence(ctx, parent, item):
    if item.recurrence is not None:
        recurrence_mod.write_recurrence(item.recurrence, parent, T_NS)
        flavor_mod.rewrite_start_date(ctx.store.flavor, parent)


def _emit_tz(name):
    def emit(ctx, parent, item):
        if item.tz_windows:
            sub(parent, name, attrs={"Id": item.tz_windows, "Name": item.tz_windows})
            if name == "StartTimeZone" and flavor_mod.start_zone_twice(ctx.store.flavor, item):
                sub(parent, name, attrs={"Id": item.tz_windows, "Name": item.tz_windows})
    return emit


def _opt(name, getter, fmt=str):
    """Emitter writing t:<name> with fmt(value) unless the value is None."""
    def emit(ctx, parent, item):
        value = getter(item)
        if value is not None:
            sub(parent, name, fmt(value))
    return emit


def _size(item):
    return len((item.subject or "").encode()) + len((item.body or "").encode()) + 512 + \
        sum(a.size for a in item.attachments)


ITEM_FIELDS = [
    ("item:ItemId", "", _emit_item_id),
    ("item:ParentFolderId", "AD", _emit_parent),
    ("item:ItemClass", "AD", _opt("ItemClass", lambda i: i.item_class)),
    ("item:Subject", "AD", _opt("Subject", lambda i: i.subject or "")),
    ("item:Sensitivity", "AD", _opt("Sensitivity", lambda i: i.sensitivity)),
    ("item:Body", "ADX", _emit_body),
    ("item:Attachments", "AX", _emit_attachments),
    ("item:DateTimeReceived", "AD", _opt("DateTimeReceived", lambda i: i.received, _time)),
    ("item:Size", "AD", _opt("Size", _size)),
    ("item:Importance", "AD", _opt("Importance", lambda i: i.importance)),
    ("item:IsSubmitted", "A", _opt("IsSubmitted", lambda i: i.is_submitted, _bool)),
    ("item:IsDraft", "A", _opt("IsDraft", lambda i: i.is_draft, _bool)),
    ("item:IsFromMe", "A", _opt("IsFromMe", lambda i: i.is_from_me, _bool)),
    ("item:IsResend", "A", _opt("IsResend", lambda i: False, _bool)),
    ("item:IsUnmodified", "A", _opt("IsUnmodified", lambda i: i.last_modified == i.created,
                                    _bool)),
    ("item:DateTimeSent", "A", _opt("DateTimeSent", lambda i: i.sent, _time)),
    ("item:DateTimeCreated", "AD", _opt("DateTimeCreated", lambda i: i.created, _time)),
    ("item:ResponseObjects", "AG", _emit_response_objects),
    ("item:ReminderIsSet", "A", _opt("ReminderIsSet", lambda i: i.reminder_is_set, _bool)),
    ("item:ReminderMinutesBeforeStart", "A",
     _opt("ReminderMinutesBeforeStart", lambda i: i.reminder_minutes)),
    ("item:DisplayCc", "A", _opt("DisplayCc", lambda i: "; ".join(
        a.name for a in _role(i, "Optional")) if i.kind == "CalendarItem" else "")),
    ("item:DisplayTo", "A", _opt("DisplayTo", lambda i: "; ".join(
        a.name for a in _role(i, "Required")) if i.kind == "CalendarItem"
        else "; ".join(p.name for p in i.to))),
    ("item:HasAttachments", "AD", _opt("HasAttachments", lambda i: bool(i.attachments),
                                       _bool)),
    ("item:LastModifiedTime", "A", _opt("LastModifiedTime", lambda i: i.last_modified,
                                        _time)),
]

MESSAGE_FIELDS = [
    ("message:Sender", "A", lambda c, p, i: _mailbox(p, "Sender", i.sender)),
    ("message:ToRecipients", "AX", lambda c, p, i: _recipients(p, "ToRecipients", i.to)),
    ("message:IsReadReceiptRequested", "A",
     _opt("IsReadReceiptRequested", lambda i: False, _bool)),
    ("message:IsDeliveryReceiptRequested", "A",
     _opt("IsDeliveryReceiptRequested", lambda i: False, _bool)),
    ("message:From", "AD", lambda c, p, i: _mailbox(p, "From", i.from_)),
    ("message:IsRead", "AD", _opt("IsRead", lambda i: i.is_read, _bool)),
    ("message:IsResponseRequested", "A",
     _opt("IsResponseRequested", lambda i: i.is_response_requested, _bool)),
]

MEETING_MESSAGE_FIELDS = [
    ("meeting:AssociatedCalendarItemId", "AD", _emit_associated),
    ("meeting:IsDelegated", "A", _opt("IsDelegated", lambda i: False, _bool)),
    ("meeting:IsOutOfDate", "AD", _opt("IsOutOfDate", lambda i: i.is_out_of_date, _bool)),
    ("meeting:HasBeenProcessed", "A",
     _opt("HasBeenProcessed", lambda i: i.has_been_processed, _bool)),
    ("meeting:ResponseType", "AD", _opt("ResponseType", lambda i: i.response_type)),
    ("calendar:UID", "AD", _opt("UID", lambda i: i.uid)),
    ("calendar:RecurrenceId", "AD", _opt("RecurrenceId", lambda i: i.recurrence_id, _time)),
    ("calendar:DateTimeStamp", "A", _opt("DateTimeStamp", lambda i: i.date_time_stamp, _time)),
]

_START = ("calendar:Start", "AD", _opt("Start", lambda i: i.start, _time))
_END = ("calendar:End", "AD", _opt("End", lambda i: i.end, _time))
_LOCATION = ("calendar:Location", "AD", _opt("Location", lambda i: i.location))
_RECURRENCE = ("calendar:Recurrence", "AG", _emit_recurrence)

_COMMON_CALENDAR = [
    ("calendar:IsAllDayEvent", "AD", _opt("IsAllDayEvent", lambda i: i.is_all_day, _bool)),
    ("calendar:LegacyFreeBusyStatus", "AD",
     _opt("LegacyFreeBusyStatus", lambda i: i.legacy_free_busy)),
    _LOCATION,
    ("calendar:IsMeeting", "AD", _opt("IsMeeting", lambda i: i.is_meeting, _bool)),
    ("calendar:IsCancelled", "AD", _opt("IsCancelled", lambda i: i.is_cancelled, _bool)),
    ("calendar:IsRecurring", "AD", _opt("IsRecurring", lambda i: (
        i.recurrence is not None or i.is_occurrence or i.instance_index is not None), _bool)),
    ("calendar:MeetingRequestWasSent", "A",
     _opt("MeetingRequestWasSent", lambda i: i.meeting_request_was_sent, _bool)),
]

_ATTENDEE_LISTS = [
    ("calendar:Organizer", "AD", lambda c, p, i: _mailbox(p, "Organizer", i.organizer)),
    ("calendar:RequiredAttendees", "AX",
     lambda c, p, i: _attendees(p, "RequiredAttendees", _listed(c, i, "Required"))),
    ("calendar:OptionalAttendees", "AX",
     lambda c, p, i: _attendees(p, "OptionalAttendees", _listed(c, i, "Optional"))),
    ("calendar:Resources", "AX",
     lambda c, p, i: _attendees(p, "Resources", _listed(c, i, "Resource"))),
    ("calendar:ConflictingMeetingCount", "AG", _opt("ConflictingMeetingCount", lambda i: 0)),
    ("calendar:AdjacentMeetingCount", "AG", _opt("AdjacentMeetingCount", lambda i: 0)),
    ("calendar:Duration", "A", _opt("Duration", lambda i: timeutil.format_duration(
        i.end - i.start) if i.start and i.end else None)),
    ("calendar:TimeZone", "A", _opt("TimeZone", lambda i: i.tz_windows)),
    ("calendar:AppointmentReplyTime", "A",
     _opt("AppointmentReplyTime", lambda i: i.reply_time, _time)),
    ("calendar:AppointmentSequenceNumber", "A",
     _opt("AppointmentSequenceNumber", lambda i: i.sequence)),
    ("calendar:AppointmentState", "A", _opt("AppointmentState", _appointment_state)),
]

CALENDAR_FIELDS = [
    ("calendar:UID", "AD", _opt("UID", lambda i: i.uid)),
    ("calendar:RecurrenceId", "AD", _opt("RecurrenceId", lambda i: i.recurrence_id, _time)),
    ("calendar:DateTimeStamp", "A", _opt("DateTimeStamp", lambda i: i.date_time_stamp, _time)),
    _START, _END,
    ("calendar:OriginalStart", "A", _opt("OriginalStart", lambda i: i.original_start, _time)),
] + _COMMON_CALENDAR + [
    ("calendar:IsResponseRequested", "A",
     _opt("IsResponseRequested", lambda i: i.is_response_requested, _bool)),
    ("calendar:CalendarItemType", "AD", _opt("CalendarItemType",
                                             lambda i: i.calendar_item_type)),
    ("calendar:MyResponseType", "AD", _opt("MyResponseType", lambda i: i.my_response_type)),
] + _ATTENDEE_LISTS + [
    _RECURRENCE,
    ("calendar:FirstOccurrence", "AG",
     lambda c, p, i: _series_bounds(c, p, i, "FirstOccurrence")),
    ("calendar:LastOccurrence", "AG",
     lambda c, p, i: _series_bounds(c, p, i, "LastOccurrence")),
    ("calendar:ModifiedOccurrences", "AX", _modified),
    ("calendar:DeletedOccurrences", "AX", _deleted),
    ("calendar:StartTimeZone", "A", _emit_tz("StartTimeZone")),
    ("calendar:EndTimeZone", "A", _emit_tz("EndTimeZone")),
]

MEETING_REQUEST_FIELDS = [
    ("meetingRequest:MeetingRequestType", "AD",
     _opt("MeetingRequestType", lambda i: i.meeting_request_type)),
    ("meetingRequest:IntendedFreeBusyStatus", "A",
     _opt("IntendedFreeBusyStatus", lambda i: i.intended_free_busy)),
    _START, _END,
] + _COMMON_CALENDAR + [
    ("calendar:CalendarItemType", "AD", _opt("CalendarItemType",
                                             lambda i: i.calendar_item_type)),
    ("calendar:MyResponseType", "AD", _opt("MyResponseType", lambda i: i.my_response_type)),
] + _ATTENDEE_LISTS + [
    _RECURRENCE,
    ("calendar:StartTimeZone", "A", _emit_tz("StartTimeZone")),
    ("calendar:EndTimeZone", "A", _emit_tz("EndTimeZone")),
]

MEETING_RESPONSE_FIELDS = [
    _START, _END, _LOCATION, _RECURRENCE,
    ("calendar:CalendarItemType", "AD", _opt("CalendarItemType",
                                             lambda i: i.calendar_item_type)),
    ("meeting:ProposedStart", "A", _opt("ProposedStart", lambda i: i.proposed_start, _time)),
    ("meeting:ProposedEnd", "A", _opt("ProposedEnd", lambda i: i.proposed_end, _time)),
]

MEETING_CANCELLATION_FIELDS = [
    _START, _END, _LOCATION, _RECURRENCE,
    ("calendar:CalendarItemType", "AD", _opt("CalendarItemType",
                                             lambda i: i.calendar_item_type)),
]

LAYOUT = {
    "CalendarItem": ITEM_FIELDS + CALENDAR_FIELDS,
    "Message": ITEM_FIELDS + MESSAGE_FIELDS,
    "MeetingRequest": ITEM_FIELDS + MESSAGE_FIELDS + MEETING_MESSAGE_FIELDS
    + MEETING_REQUEST_FIELDS,
    "MeetingResponse": ITEM_FIELDS + MESSAGE_FIELDS + MEETING_MESSAGE_FIELDS
    + MEETING_RESPONSE_FIELDS,
    "MeetingCancellation": ITEM_FIELDS + MESSAGE_FIELDS + MEETING_MESSAGE_FIELDS
    + MEETING_CANCELLATION_FIELDS,
}

# FieldURIs FindItem refuses (GetItem-only): everything flagged X, plus content Exchange
# never returns from a search.
FIND_FORBIDDEN = {uri for rows in LAYOUT.values() for uri, flags, _ in rows if "X" in flags}
FIND_FORBIDDEN |= {"item:MimeContent", "item:Attachments", "item:UniqueBody", "item:TextBody",
                   "item:NormalizedBody", "message:CcRecipients", "message:BccRecipients",
                   "message:ReplyTo", "calendar:ConflictingMeetings",
                   "calendar:AdjacentMeetings"}


class RenderContext:
    def __init__(self, store, shape):
        self.store = store
        self.shape = shape


def render_item(store, item, parent, shape):
    """Append t:<kind> for item (an Item or OccurrenceView) shaped by shape."""
    ctx = RenderContext(store, shape)
    elem = sub(parent, item.kind)
    for uri, flags, emit in LAYOUT[item.kind]:
        if (shape.includes(uri, flags) or flavor_mod.added(store.flavor, uri, shape)) and \
                not flavor_mod.left_out(store.flavor, uri, shape, item) and \
                not flavor_mod.zone_withheld(store, uri, item):
            emit(ctx, elem, item)
    return elem


def render_item_id(parent, item, kind=None):
    """Append t:<kind><t:ItemId/></t:kind> (CreateItem / UpdateItem results)."""
    elem = sub(parent, kind or item.kind)
    sub(elem, "ItemId", attrs={"Id": item.token, "ChangeKey": item.change_key})
    return elem


FOLDER_FIELDS = [
    ("folder:FolderId", "", lambda p, f: sub(p, "FolderId", attrs={
        "Id": f.token, "ChangeKey": f.change_key})),
    ("folder:FolderClass", "A", lambda p, f: (
        sub(p, "FolderClass", f.folder_class) if f.folder_class else None)),
    ("folder:DisplayName", "AD", lambda p, f: sub(p, "DisplayName", f.display_name)),
    ("folder:TotalCount", "AD", lambda p, f: sub(p, "TotalCount", str(len(f.items)))),
    ("folder:ChildFolderCount", "AD", lambda p, f: sub(p, "ChildFolderCount", str(
        ROOT_FOLDERS[f.name][2] if f.name in ROOT_FOLDERS else 0))),
    ("folder:DistinguishedFolderId", "A",
     lambda p, f: sub(p, "DistinguishedFolderId", f.name)),
    ("folder:UnreadCount", "AD", lambda p, f: (
        sub(p, "UnreadCount", str(f.unread_count())) if f.name != "calendar" else None)),
]


def render_folder(folder, parent, shape):
    """Append t:Folder (t:CalendarFolder for the calendar) shaped by shape."""
    elem = sub(parent, "CalendarFolder" if folder.name == "calendar" else "Folder")
    for uri, flags, emit in FOLDER_FIELDS:
        if shape.includes(uri, flags):
            emit(elem, folder)
    return elem
