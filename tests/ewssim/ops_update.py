"""UpdateItem: SetItemField, AppendToItemField, DeleteItemField on items and occurrences.

ConflictResolution: a ChangeKey that is not the item's current one fails with
ErrorIrresolvableConflict under NeverOverwrite and AutoResolve, and is ignored under
AlwaysOverwrite. All changes of one ItemChange apply together or not at all.
SendMeetingInvitationsOrCancellations (required for calendar items) decides what the
organizer's attendees are sent (see meeting.after_organizer_update); an attendee updating
its own copy of a meeting sends nothing.
"""

import xml.etree.ElementTree as ET

import fields
import flavor as flavor_mod
import item_faults
import meeting
import parse
import render
from soap import EwsError, error_message, local, m, response_message, t
from store import new_change_key

ID_TAGS = (t("ItemId"), t("OccurrenceItemId"), t("RecurringMasterItemId"))


def _changes(change):
    """(kind, FieldURI, parsed value) for each update of a t:ItemChange."""
    updates = change.find(t("Updates"))
    out = []
    for upd in updates if updates is not None else []:
        kind = local(upd.tag)
        path = upd.find(t("FieldURI"))
        if path is None:
            raise EwsError("ErrorInvalidPropertySet",
                           "The simulator supports FieldURI paths only.")
        uri = path.get("FieldURI")
        if kind == "DeleteItemField":
            out.append((kind, uri, None))
            continue
        item_elems = [c for c in upd if c.tag != t("FieldURI")]
        values = parse.parse_item(item_elems[0]) if item_elems else {}
        modelled = uri in parse.FIELD_OF_ELEMENT.values()
        if modelled and uri not in values:
            raise EwsError("ErrorIncorrectUpdatePropertyCount",
                           "An object within a change description must contain one and only "
                           "one property to modify.", field_uri=uri)
        out.append((kind, uri, values.get(uri)))
    return out


def _apply(ctx, work, changes):
    for kind, uri, value in changes:
        if kind == "SetItemField":
            fields.set_field(ctx, work, uri, value)
            flavor_mod.after_set_attendees(ctx.store.flavor, work, uri)
        elif kind == "AppendToItemField" and ctx.store.flavor.append_to_item_field:
            fields.append_field(ctx, work, uri, value)
        elif kind == "AppendToItemField":
            pass  # answered NoError, nothing changed (flavor gromox)
        else:
            fields.delete_field(ctx, work, uri)


def _update_occurrence(ctx, view, changes, mode):
    master = view.master
    before = dict(master.exceptions.get(view.index, {}))
    ov = dict(before)
    for kind, uri, value in changes:
        if uri not in fields.OCCURRENCE_FIELDS or kind == "AppendToItemField" and \
                uri != "item:Body":
            raise EwsError("ErrorInvalidPropertySet", "The simulator cannot change %s on one "
                           "occurrence." % uri, field_uri=uri)
        if kind == "DeleteItemField":
            if uri in ("calendar:Start", "calendar:End"):
                raise EwsError("ErrorInvalidPropertyDelete", field_uri=uri)
            ov[{"item:Subject": "subject", "item:Body": "body", "item:Sensitivity":
                "sensitivity", "calendar:Location": "location",
                "calendar:LegacyFreeBusyStatus": "legacy_free_busy"}[uri]] = \
                "" if uri != "calendar:Location" else None
        elif uri in ("calendar:Start", "calendar:End"):
            when = parse.resolve_time(value, ctx.header_zone, master.tz_windows)
            ov["start" if uri == "calendar:Start" else "end"] = when
        elif uri == "item:Body":
            text, body_type = value
            if kind == "AppendToItemField":
                text = (ov.get("body", master.body) or "") + text
            ov["body"], ov["body_type"] = text, body_type
        else:
            ov[{"item:Subject": "subject", "item:Sensitivity": "sensitivity",
                "calendar:Location": "location",
                "calendar:LegacyFreeBusyStatus": "legacy_free_busy"}[uri]] = value
    start = ov.get("start", view.original_start)
    end = ov.get("end", view.original_end)
    if end < start:
        raise EwsError("ErrorCalendarEndDateIsEarlierThanStartDate")
    ov["change_key"] = new_change_key()
    master.exceptions[view.index] = ov
    ctx.store.touch(master)
    if meeting.is_organizer_item(master) and master.is_meeting:
        meeting.after_organizer_instance_update(ctx.store, ctx.mailbox, master, view.index,
                                                before, mode)
    return view


def _update_one(ctx, op, change):
    id_elem = next((c for c in change if c.tag in ID_TAGS), None)
    if id_elem is None:
        raise EwsError("ErrorInvalidRequest", "The ItemChange has no item id.")
    item = ctx.resolve_item(id_elem)
    item_faults.fail(ctx.store, "UpdateItem", item)  # a per-item fault: this change alone
    ctx.check_change_key(item, id_elem, op.get("ConflictResolution", "AutoResolve"))
    mode = op.get("SendMeetingInvitationsOrCancellations")
    if item.kind == "CalendarItem" and mode is None:
        raise EwsError("ErrorSendMeetingInvitationsOrCancellationsRequired")
    changes = _changes(change)
    if item.is_occurrence:
        return _update_occurrence(ctx, item, changes, mode)
    before = meeting.snapshot(item) if item.kind == "CalendarItem" else None
    work = fields.working_copy(item)
    _apply(ctx, work, changes)
    if item.kind == "CalendarItem":
        fields.finish_calendar_item(work, item.recurrence)
    fields.commit(item, work)
    ctx.store.touch(item)
    if meeting.is_organizer_item(item):
        others = meeting.other_attendees(ctx.mailbox, item)
        was_meeting = item.is_meeting
        item.is_meeting = bool(others) or was_meeting
        if item.is_meeting:
            meeting.after_organizer_update(ctx.store, ctx.mailbox, item, before, mode)
    return item


def update_item(ctx, op):
    messages = []
    for change in op.find(m("ItemChanges")):
        try:
            ctx.require_mailbox()
            item = _update_one(ctx, op, change)
        except EwsError as err:
            msg = error_message("UpdateItem", err)
            ET.SubElement(msg, m("Items"))
            messages.append(msg)
            continue
        msg = response_message("UpdateItem")
        render.render_item_id(ET.SubElement(msg, m("Items")), item)
        conflicts = ET.SubElement(msg, m("ConflictResults"))
        ET.SubElement(conflicts, t("Count")).text = "0"
        messages.append(msg)
    return messages
