"""The read-only inspection dump (GET /sim/mailboxes/ADDRESS): a mailbox as JSON.

{folder name: [item, ...]} with items in the order they arrived. Times are UTC strings
in the wire format; ids and ChangeKeys are the ones EWS hands out, so a test can match
what it saw over EWS against the store.
"""

import timeutil


def _t(value):
    return timeutil.format_utc(value) if value is not None else None


def _person(p):
    return {"name": p.name, "address": p.address} if p is not None else None


def _attendee(a):
    return {"address": a.address, "name": a.name, "role": a.role,
            "response_type": a.response_type, "last_response_time": _t(a.last_response_time),
            "proposed_start": _t(a.proposed_start), "proposed_end": _t(a.proposed_end)}


def _exception(index, ov):
    out = {"index": index}
    for key, value in ov.items():
        if key == "change_key":
            continue
        if key == "responses":
            out[key] = {addr: {"response_type": r, "last_response_time": _t(when)}
                        for addr, (r, when) in value.items()}
        elif hasattr(value, "tzinfo"):
            out[key] = _t(value)
        else:
            out[key] = value
    return out


def item_dict(store, item):
    assoc = store.items.get(item.associated_key) if item.associated_key else None
    return {
        "id": item.token,
        "change_key": item.change_key,
        "kind": item.kind,
        "item_class": item.item_class,
        "folder": item.folder.name,
        "subject": item.subject,
        "body": item.body,
        "body_type": item.body_type,
        "sensitivity": item.sensitivity,
        "importance": item.importance,
        "date_time_received": _t(item.received),
        "date_time_created": _t(item.created),
        "last_modified_time": _t(item.last_modified),
        "is_read": item.is_read,
        "is_draft": item.is_draft,
        "is_from_me": item.is_from_me,
        "from": _person(item.from_),
        "to": [_person(p) for p in item.to],
        "uid": item.uid,
        "start": _t(item.start),
        "end": _t(item.end),
        "location": item.location,
        "time_zone": item.tz_windows,
        "organizer": _person(item.organizer),
        "my_response_type": item.my_response_type,
        "is_meeting": item.is_meeting,
        "is_cancelled": item.is_cancelled,
        "meeting_request_was_sent": item.meeting_request_was_sent,
        "legacy_free_busy_status": item.legacy_free_busy,
        "calendar_item_type": item.calendar_item_type if item.kind != "Message" else None,
        "sequence": item.sequence,
        "attendees": [_attendee(a) for a in item.attendees],
        "recurrence": item.recurrence.summary() if item.recurrence is not None else None,
        "exceptions": [_exception(i, ov) for i, ov in sorted(item.exceptions.items())],
        "deleted_occurrences": sorted(item.deleted_occurrences),
        "associated_calendar_item_id": assoc.token if assoc is not None else None,
        "meeting_request_type": item.meeting_request_type,
        "response_type": item.response_type,
        "is_out_of_date": item.is_out_of_date,
        "recurrence_id": _t(item.recurrence_id),
        "instance_index": item.instance_index,
        "proposed_start": _t(item.proposed_start),
        "proposed_end": _t(item.proposed_end),
        "attachments": [{"id": a.token, "name": a.name, "content_type": a.content_type,
                         "size": a.size} for a in item.attachments],
    }


def mailbox_dict(store, mailbox):
    return {name: [item_dict(store, i) for i in sorted(folder.items.values(),
                                                        key=lambda i: i.seq)]
            for name, folder in mailbox.folders.items()}
