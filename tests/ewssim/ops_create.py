"""CreateItem: calendar items (meetings, with file attachments), plain messages, and the
response objects AcceptItem, TentativelyAcceptItem, DeclineItem, CancelCalendarItem,
RemoveItem and ForwardItem.

One CreateItemResponseMessage per element of m:Items. What m:Items holds on success:
- CalendarItem: the new item's id.
- Accept/Tentative/Decline: the attendee's updated calendar item (absent after a decline)
  and the meeting request now in Deleted Items; with SaveOnly also the draft response
  (Exchange 2013's answer; Exchange 2007 sent an empty m:Items, clients must accept both).
- CancelCalendarItem: the organizer's cancelled calendar item, now in Deleted Items.
- RemoveItem, and messages that were sent (ForwardItem too): nothing.
- ForwardItem with SaveOnly: the draft in Drafts.
A missing MessageDisposition on a response object means SendAndSaveCopy.
"""

import xml.etree.ElementTree as ET

import fields
import flavor as flavor_mod
import item_faults
import meeting
import parse
import render
import timeutil
from soap import EwsError, error_message, local, m, response_message, t
from store import Item

RESPONSES = {"AcceptItem": "Accept", "TentativelyAcceptItem": "Tentative",
             "DeclineItem": "Decline"}


def _create_calendar_item(ctx, op, elem, out):
    mbx = ctx.require_mailbox()
    folder = ctx.target_folder(op.find(m("SavedItemFolderId")), "calendar")
    if folder.name != "calendar":
        raise EwsError("ErrorCannotCreateCalendarItemInNonCalendarFolder")
    mode = op.get("SendMeetingInvitations")
    if mode is None:
        raise EwsError("ErrorSendMeetingInvitationsRequired")
    values = parse.parse_item(elem)
    item = Item("CalendarItem", "IPM.Appointment")
    item.tz_windows = parse.item_zone(values, ctx.header_zone_id) or "UTC"
    # Zones first: unzoned Start/End are read in them.
    for uri, value in values.items():
        if uri not in ("calendar:Start", "calendar:End"):
            fields.set_field(ctx, item, uri, value, creating=True)
    for uri in ("calendar:Start", "calendar:End"):
        if uri in values:
            fields.set_field(ctx, item, uri, values[uri], creating=True)
    fields.finish_calendar_item(item)
    item.organizer = mbx.person()
    item.my_response_type = "Organizer"
    item.uid = item.uid or meeting.new_uid()
    others = meeting.other_attendees(mbx, item)
    item.is_meeting = bool(others)
    item.is_response_requested = True if item.is_response_requested is None \
        else item.is_response_requested
    item.reminder_is_set = True if item.reminder_is_set is None else item.reminder_is_set
    item.reminder_minutes = 15 if item.reminder_minutes is None else item.reminder_minutes
    item.date_time_stamp = timeutil.now()
    ctx.store.add(mbx, folder.name, item)
    if others and mode != "SendToNone":
        meeting.send_requests(ctx.store, mbx, item,
                              [(a, "NewMeetingRequest") for a in others],
                              save_copy=(mode == "SendToAllAndSaveCopy"))
        ctx.store.touch(item)
    render.render_item_id(out, item)


def _create_message(ctx, op, elem, out):
    mbx = ctx.require_mailbox()
    disposition = op.get("MessageDisposition") or "SaveOnly"
    values = parse.parse_item(elem)
    msg = Item("Message", "IPM.Note")
    for uri, value in values.items():
        if uri.startswith(("calendar:", "meeting:", "meetingRequest:")):
            raise EwsError("ErrorInvalidPropertySet", field_uri=uri)
        fields.set_field(ctx, msg, uri, value, creating=True)
    me = mbx.person()
    msg.sender, msg.from_ = me, me.copy()
    if disposition == "SaveOnly":
        msg.is_draft = True
        folder = ctx.target_folder(op.find(m("SavedItemFolderId")), "drafts")
        ctx.store.add(mbx, folder.name, msg)
        render.render_item_id(out, msg)
        return
    msg.sent = timeutil.now()
    for person in msg.to:
        rcpt = ctx.store.mailbox(person.address)
        if rcpt is None:
            continue
        delivered = Item("Message", msg.item_class)
        delivered.__dict__.update({k: v for k, v in msg.__dict__.items()
                                   if k not in ("key", "token", "change_key", "mailbox",
                                                "folder")})
        delivered.is_read = False
        delivered.attachments = [a.copy() for a in msg.attachments]
        ctx.store.add(rcpt, "inbox", delivered)
    if disposition == "SendAndSaveCopy":
        folder = ctx.target_folder(op.find(m("SavedItemFolderId")), "sentitems")
        msg.is_from_me = True
        ctx.store.add(mbx, folder.name, msg)


def _reference(ctx, elem):
    ref = elem.find(t("ReferenceItemId"))
    if ref is None:
        raise EwsError("ErrorMissingInformationReferenceItemId",
                       "The response object has no ReferenceItemId.")
    return ctx.resolve_item(ref)


def _respond(ctx, op, elem, out):
    mbx = ctx.require_mailbox()
    target = _reference(ctx, elem)
    body_elem = elem.find(t("Body"))
    body = parse.parse_body(body_elem) if body_elem is not None else None
    proposed = None
    ps, pe = elem.findtext(t("ProposedStart")), elem.findtext(t("ProposedEnd"))
    if ps and pe:
        proposed = (parse.resolve_time(ps, ctx.header_zone, None),
                    parse.resolve_time(pe, ctx.header_zone, None))
    disposition = op.get("MessageDisposition") or "SendAndSaveCopy"
    cal, moved, draft = meeting.respond(ctx.store, mbx, target, RESPONSES[local(elem.tag)],
                                        disposition, body, proposed)
    if cal is not None:
        render.render_item_id(out, cal, "CalendarItem")
    for req in moved:
        render.render_item_id(out, req)
    if draft is not None:
        render.render_item_id(out, draft)


def _cancel(ctx, op, elem, out):
    mbx = ctx.require_mailbox()
    target = _reference(ctx, elem)
    if target.kind != "CalendarItem":
        raise EwsError("ErrorInvalidItemForOperationCancelItem")
    master = target.master if target.is_occurrence else target
    if master.my_response_type != "Organizer" or not master.is_meeting:
        raise EwsError("ErrorCalendarIsNotOrganizer")
    body = None
    for name in ("NewBodyContent", "Body"):
        found = elem.find(t(name))
        if found is not None:
            body = parse.parse_body(found)
            break
    disposition = op.get("MessageDisposition") or "SendAndSaveCopy"
    instance = target.index if target.is_occurrence else None
    meeting.cancel_meeting(ctx.store, mbx, target, disposition == "SendAndSaveCopy", body,
                           instance)
    if instance is None:
        ctx.store.move(master, "deleteditems")
    render.render_item_id(out, master)


def _forward(ctx, op, elem, out):
    """ForwardItem (SmartResponseType): ReferenceItemId, To/Cc/BccRecipients, optional
    Subject and Body, NewBodyContent; see meeting.forward. Sent: nothing in m:Items;
    SaveOnly: the draft's id."""
    mbx = ctx.require_mailbox()
    target = _reference(ctx, elem)
    recipients = []
    for name in ("ToRecipients", "CcRecipients", "BccRecipients"):
        found = elem.find(t(name))
        if found is not None:
            recipients += fields.resolve_names(ctx, parse.parse_recipients(found))
    subject = elem.findtext(t("Subject"))
    body_elem, new_elem = elem.find(t("Body")), elem.find(t("NewBodyContent"))
    disposition = op.get("MessageDisposition") or "SendAndSaveCopy"
    draft = meeting.forward(ctx.store, mbx, target, recipients, disposition, subject,
                            parse.parse_body(body_elem) if body_elem is not None else None,
                            parse.parse_body(new_elem) if new_elem is not None else None)
    if draft is not None:
        render.render_item_id(out, draft)


def _remove(ctx, op, elem, out):
    mbx = ctx.require_mailbox()
    target = _reference(ctx, elem)
    if target.kind != "MeetingCancellation":
        raise EwsError("ErrorInvalidItemForOperationRemoveItem")
    meeting.remove(ctx.store, mbx, target)


HANDLERS = {
    "CalendarItem": _create_calendar_item,
    "Message": _create_message,
    "AcceptItem": _respond,
    "TentativelyAcceptItem": _respond,
    "DeclineItem": _respond,
    "CancelCalendarItem": _cancel,
    "RemoveItem": _remove,
    "ForwardItem": _forward,
}


def _item_fault(ctx, elem, count=True):
    """A per-item fault (item_faults.py) on the item a response object refers to."""
    ref = elem.find(t("ReferenceItemId"))
    if ref is not None:
        item_faults.fail(ctx.store, "CreateItem", ctx.resolve_item(ref), count)


def _client_fault(ctx, op):
    """A fault refusing the whole request (item_faults.CLIENT) strikes before anything is
    done, as a server refuses a request it cannot read."""
    for elem in op.find(m("Items")):
        try:
            _item_fault(ctx, elem, count=False)
        except EwsError:
            pass


def create_item(ctx, op):
    fault = ctx.store.flavor.remove_item_fault()
    if fault is not None and op.find(m("Items")).find(t("RemoveItem")) is not None:
        raise flavor_mod.RawFault(*fault)  # refused while reading the request: nothing done
    _client_fault(ctx, op)
    messages = []
    for elem in op.find(m("Items")):
        name = local(elem.tag)
        handler = HANDLERS.get(name)
        msg = response_message("CreateItem")
        items = ET.Element(m("Items"))
        try:
            if handler is None:
                raise EwsError("ErrorInvalidOperation",
                               "The simulator does not create %s items." % name)
            _item_fault(ctx, elem)
            handler(ctx, op, elem, items)
        except EwsError as err:
            msg = error_message("CreateItem", err)
            items = ET.Element(m("Items"))
        msg.append(items)
        messages.append(msg)
    return messages
