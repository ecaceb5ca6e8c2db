"""Meeting semantics between the simulator's mailboxes, as Exchange's calendar does them.

Organizer side: a meeting is the organizer's calendar item (MyResponseType Organizer).
Sending it delivers, to each attendee that is a mailbox of the simulator, a MeetingRequest
in the Inbox and a tentative calendar item (NoResponseReceived, Tentative) whose UID ties it
to the meeting; the organizer keeps a copy of each message in Sent Items when the mode says
"...AndSaveCopy". Every update or cancellation bumps AppointmentSequenceNumber and marks the
attendee's earlier requests/cancellations of that meeting IsOutOfDate, which is what makes
answering a superseded request ErrorCalendarMeetingRequestIsOutOfDate.

Attendee side: answering (AcceptItem / TentativelyAcceptItem / DeclineItem) updates the
attendee's calendar item (removes it on decline), moves the request to Deleted Items and
sends a MeetingResponse to the organizer, whose calendar item records the attendee's
ResponseType and LastResponseTime. A cancellation marks the attendee's item IsCancelled;
RemoveItem on the cancellation deletes the item and moves the cancellation to Deleted Items.

Occurrences of a series are addressed by instance index; messages about one occurrence
carry RecurrenceId (its original start) and change only that instance.
"""

import html
import os

import timeutil
from soap import EwsError
from store import Item, OccurrenceView, Person, new_change_key

REQUEST_CLASS = "IPM.Schedule.Meeting.Request"
CANCELLATION_CLASS = "IPM.Schedule.Meeting.Canceled"
RESPONSE_CLASS = {"Accept": "IPM.Schedule.Meeting.Resp.Pos",
                  "Tentative": "IPM.Schedule.Meeting.Resp.Tent",
                  "Decline": "IPM.Schedule.Meeting.Resp.Neg"}
RESPONSE_PREFIX = {"Accept": "Accepted: ", "Tentative": "Tentative: ", "Decline": "Declined: "}
CANCELLED_PREFIX = "Canceled: "

# Operation name per response, for the error codes that carry it.
RESPONSE_OP = {"Accept": "Accept", "Tentative": "Tentative", "Decline": "Decline"}

_COPIED = ("subject", "body", "body_type", "sensitivity", "importance", "uid", "start", "end",
           "is_all_day", "location", "sequence", "tz_windows", "recurrence")


def new_uid():
    """A UID in the shape of Exchange's (a GlobalObjectId in hex)."""
    return "040000008200E00074C5B7101A82E00800000000" + os.urandom(16).hex().upper()


def is_organizer_item(item):
    return item.kind == "CalendarItem" and item.my_response_type == "Organizer"


def _copy_meeting(src, dst):
    """Copy what a meeting message / attendee copy carries from the organizer's item."""
    for name in _COPIED:
        setattr(dst, name, getattr(src, name))
    dst.organizer = src.organizer.copy() if src.organizer else None
    dst.attendees = []
    for a in src.attendees:
        c = a.copy()
        # Attendees' copies do not see the organizer's tracking of responses.
        c.response_type, c.last_response_time = "Unknown", None
        c.proposed_start = c.proposed_end = None
        dst.attendees.append(c)
    dst.intended_free_busy = src.legacy_free_busy if src.kind == "CalendarItem" \
        else src.intended_free_busy
    dst.is_meeting = True
    # Requests carry the meeting's attachments to every attendee's calendar item; each
    # copy is the receiving item's own (its own ids, deletable on its own).
    dst.attachments = [a.copy() for a in src.attachments]


def _person(att):
    return Person(att.name, att.address)


def _supersede(store, mailbox, uid, recurrence_id):
    """Mark earlier requests/cancellations of uid (or of one instance) IsOutOfDate."""
    for msg in store.messages_by_uid(mailbox, uid, ("MeetingRequest", "MeetingCancellation")):
        if msg.is_from_me:
            continue
        if recurrence_id is not None and msg.recurrence_id != recurrence_id:
            continue
        if not msg.is_out_of_date:
            msg.is_out_of_date = True
            store.touch(msg)


def _attendee_exceptions(org, att_cal, keep_responses):
    """The attendee's per-instance overrides after an update of the organizer's series."""
    out = {}
    own = att_cal.exceptions if att_cal is not None else {}
    for index, ov in org.exceptions.items():
        new = {k: v for k, v in ov.items()
               if k not in ("responses", "my_response_type", "legacy_free_busy", "change_key")}
        if keep_responses and index in own:
            for k in ("my_response_type", "legacy_free_busy"):
                if k in own[index]:
                    new[k] = own[index][k]
        new["change_key"] = new_change_key()
        out[index] = new
    if keep_responses:
        for index, ov in own.items():
            if index not in out and "my_response_type" in ov:
                out[index] = dict(ov)
    return out


def instance_times(master, index):
    """(original start, original end) of instance index of master, or None."""
    if master.recurrence is None:
        return None
    tz = timeutil.zone_for_windows_id(master.tz_windows or "UTC").key
    return master.recurrence.occurrence(master.start, master.end - master.start, tz, index)


def _message(kind, item_class, org_item, sender, to):
    msg = Item(kind, item_class)
    _copy_meeting(org_item, msg)
    msg.sender = sender.copy()
    msg.from_ = sender.copy()
    msg.to = [p.copy() for p in to]
    msg.is_read = False
    msg.has_been_processed = True
    msg.date_time_stamp = timeutil.now()
    msg.sent = timeutil.now()
    return msg


def _save_sent_copy(store, mailbox, msg, to):
    """The sender's copy in Sent Items of a message it sent."""
    copy = Item(msg.kind, msg.item_class)
    copy.__dict__.update({k: v for k, v in msg.__dict__.items()
                          if k not in ("key", "token", "change_key", "mailbox", "folder")})
    copy.to = [p.copy() for p in to]
    copy.attachments = [a.copy() for a in msg.attachments]
    copy.is_from_me = True
    copy.is_read = True
    copy.is_out_of_date = False
    store.add(mailbox, "sentitems", copy)
    return copy


def send_requests(store, org_mbx, org_item, recipients, save_copy, instance=None):
    """Deliver meeting requests for org_item.

    recipients: [(Attendee, MeetingRequestType)]; instance: None for the whole meeting or
    the instance index for one occurrence of a series. Attendees that are not mailboxes of
    the simulator (and the organizer) receive nothing but are named in the sent copy.
    """
    if not recipients:
        return
    sender = org_mbx.person()
    view = None
    recurrence_id = None
    if instance is not None:
        orig = instance_times(org_item, instance)
        view = OccurrenceView(store, org_item, instance, orig[0], orig[1])
        recurrence_id = orig[0]
    for att, rtype in recipients:
        mbx = store.mailbox(att.address)
        if mbx is None or mbx is org_mbx:
            continue
        _supersede(store, mbx, org_item.uid, recurrence_id)
        cal = store.calendar_item_by_uid(mbx, org_item.uid)
        if instance is None:
            if cal is None and not store.flavor.tentative_on_delivery:
                pass
            elif cal is None:
                cal = Item("CalendarItem", "IPM.Appointment")
                _copy_meeting(org_item, cal)
                cal.my_response_type = "NoResponseReceived"
                cal.legacy_free_busy = "Tentative"
                cal.is_response_requested = True
                cal.exceptions = _attendee_exceptions(org_item, None, False)
                cal.deleted_occurrences = set(org_item.deleted_occurrences)
                store.add(mbx, "calendar", cal)
            else:
                keep = rtype == "InformationalUpdate" and cal.my_response_type not in (
                    None, "NoResponseReceived")
                answer, status = cal.my_response_type, cal.legacy_free_busy
                exceptions = _attendee_exceptions(org_item, cal, keep)
                _copy_meeting(org_item, cal)
                cal.exceptions = exceptions
                cal.deleted_occurrences = set(org_item.deleted_occurrences)
                cal.is_cancelled = False
                if keep:
                    cal.my_response_type, cal.legacy_free_busy = answer, status
                else:
                    cal.my_response_type, cal.legacy_free_busy = "NoResponseReceived", "Tentative"
                store.touch(cal)
            req = _message("MeetingRequest", REQUEST_CLASS, org_item, sender, [_person(att)])
        else:
            if cal is not None and cal.recurrence is not None:
                ov = cal.exceptions.setdefault(instance, {})
                for k in ("start", "end", "subject", "location", "body", "sensitivity"):
                    if k in org_item.exceptions.get(instance, {}):
                        ov[k] = org_item.exceptions[instance][k]
                if rtype != "InformationalUpdate":
                    ov["my_response_type"] = "NoResponseReceived"
                    ov["legacy_free_busy"] = "Tentative"
                ov.pop("is_cancelled", None)
                ov["change_key"] = new_change_key()
                store.touch(cal)
            req = _message("MeetingRequest", REQUEST_CLASS, org_item, sender, [_person(att)])
            req.recurrence = None
            req.start, req.end = view.start, view.end
            req.subject, req.location = view.subject, view.location
            req.recurrence_id = recurrence_id
            req.instance_index = instance
        req.meeting_request_type = rtype
        req.meeting_request_was_sent = True
        req.is_response_requested = True
        req.legacy_free_busy = "Tentative"
        state = cal.my_response_type if cal is not None else "NoResponseReceived"
        req.my_response_type = state
        req.response_type = state
        req.associated_key = cal.key if cal is not None else None
        store.add(mbx, "inbox", req)
    if save_copy:
        types = [rtype for _, rtype in recipients]
        copy = _message("MeetingRequest", REQUEST_CLASS, org_item, sender, [])
        copy.meeting_request_type = "FullUpdate" if "FullUpdate" in types else types[0]
        copy.my_response_type = copy.response_type = "Organizer"
        copy.associated_key = org_item.key
        copy.meeting_request_was_sent = True
        if view is not None:
            copy.recurrence, copy.start, copy.end = None, view.start, view.end
            copy.recurrence_id, copy.instance_index = recurrence_id, instance
        _save_sent_copy(store, org_mbx, copy, [_person(a) for a, _ in recipients])
    org_item.meeting_request_was_sent = True


def send_cancellations(store, org_mbx, org_item, recipients, save_copy, body=None,
                       instance=None):
    """Deliver MeetingCancellations for org_item (or one instance) to recipients."""
    if not recipients:
        return
    sender = org_mbx.person()
    recurrence_id = None
    view = None
    if instance is not None:
        orig = instance_times(org_item, instance)
        view = OccurrenceView(store, org_item, instance, orig[0], orig[1])
        recurrence_id = orig[0]

    def make(to):
        msg = _message("MeetingCancellation", CANCELLATION_CLASS, org_item, sender, to)
        msg.subject = CANCELLED_PREFIX + (org_item.subject or "")
        msg.importance = "High"
        msg.is_cancelled = True
        if body is not None:
            msg.body, msg.body_type = body
        if view is not None:
            msg.recurrence = None
            msg.start, msg.end, msg.location = view.start, view.end, view.location
            msg.recurrence_id, msg.instance_index = recurrence_id, instance
        return msg

    for att in recipients:
        mbx = store.mailbox(att.address)
        if mbx is None or mbx is org_mbx:
            continue
        _supersede(store, mbx, org_item.uid, recurrence_id)
        cal = store.calendar_item_by_uid(mbx, org_item.uid)
        if cal is not None and instance is None:
            cal.is_cancelled = True
            cal.legacy_free_busy = "Free"
            if not (cal.subject or "").startswith(CANCELLED_PREFIX):
                cal.subject = CANCELLED_PREFIX + (cal.subject or "")
            store.touch(cal)
        elif cal is not None and cal.recurrence is not None:
            ov = cal.exceptions.setdefault(instance, {})
            ov["is_cancelled"] = True
            ov["legacy_free_busy"] = "Free"
            ov["subject"] = CANCELLED_PREFIX + (view.subject or "")
            ov["change_key"] = new_change_key()
            store.touch(cal)
        msg = make([_person(att)])
        msg.associated_key = cal.key if cal is not None else None
        store.add(mbx, "inbox", msg)
    if save_copy:
        copy = make([])
        copy.associated_key = org_item.key
        _save_sent_copy(store, org_mbx, copy, [_person(a) for a in recipients])


def other_attendees(org_mbx, item):
    """The attendees of item other than the organizer's own mailbox."""
    return [a for a in item.attendees if a.address.lower() != org_mbx.address.lower()]


def _pending_requests(store, mailbox, uid, index):
    out = []
    for req in mailbox.folders["inbox"].items.values():
        if req.kind == "MeetingRequest" and req.uid == uid and not req.is_out_of_date \
                and req.instance_index == index:
            out.append(req)
    return out


def respond(store, mailbox, target, response, disposition, body=None, proposed=None):
    """An attendee answers a meeting. Returns (calendar item or view or None,
    [moved requests], draft response or None). EwsError for the cases Exchange refuses.

    target: a MeetingRequest, the attendee's CalendarItem, or an OccurrenceView of it.
    response: "Accept" | "Tentative" | "Decline"; disposition: MessageDisposition.
    """
    op = RESPONSE_OP[response]
    index = None
    requests = []
    if target.kind == "MeetingRequest":
        if target.organizer and target.organizer.address.lower() == mailbox.address.lower():
            raise EwsError("ErrorCalendarIsOrganizerFor" + op)
        if target.is_out_of_date:
            raise EwsError("ErrorCalendarMeetingRequestIsOutOfDate")
        index = target.instance_index
        cal = store.calendar_item_by_uid(mailbox, target.uid)
        if cal is None and index is None and (
                response != "Decline" or store.flavor.decline_creates_calendar_item):
            # The attendee deleted the tentative item: answering re-creates it.
            cal = Item("CalendarItem", "IPM.Appointment")
            _copy_meeting(target, cal)
            cal.intended_free_busy = target.intended_free_busy
            cal.my_response_type = "NoResponseReceived"
            cal.is_response_requested = True
            store.add(mailbox, "calendar", cal)
        if target.folder.name != "deleteditems":
            requests.append(target)
        meeting = target
    elif target.kind == "CalendarItem":
        master = target.master if target.is_occurrence else target
        if master.my_response_type == "Organizer":
            raise EwsError("ErrorCalendarIsOrganizerFor" + op)
        if not master.is_meeting:
            raise EwsError("ErrorInvalidItemForOperation" +
                           {"Accept": "AcceptItem", "Tentative": "TentativelyAcceptItem",
                            "Decline": "DeclineItem"}[response])
        if target.is_cancelled:
            raise EwsError("ErrorCalendarIsCancelledFor" + op)
        cal = master
        index = target.index if target.is_occurrence else None
        requests = _pending_requests(store, mailbox, master.uid, index)
        meeting = target
    else:
        raise EwsError("ErrorInvalidItemForOperation" +
                       {"Accept": "AcceptItem", "Tentative": "TentativelyAcceptItem",
                        "Decline": "DeclineItem"}[response])
    if cal is not None and cal.is_cancelled and index is None:
        raise EwsError("ErrorCalendarIsCancelledFor" + op)

    now = timeutil.now()
    status = {"Accept": cal.intended_free_busy if cal and cal.intended_free_busy else "Busy",
              "Tentative": "Tentative", "Decline": "Free"}[response]
    result_cal = None
    if cal is not None:
        if index is None:
            if response == "Decline" and store.flavor.decline_deletes_calendar_item:
                store.delete(cal)
            else:
                cal.my_response_type = response
                cal.legacy_free_busy = status
                cal.reply_time = now
                store.touch(cal)
                result_cal = cal
        elif cal.recurrence is not None:
            if response == "Decline":
                cal.deleted_occurrences.add(index)
                cal.exceptions.pop(index, None)
            else:
                ov = cal.exceptions.setdefault(index, {})
                ov["my_response_type"] = response
                ov["legacy_free_busy"] = status
                ov["reply_time"] = now
                ov["change_key"] = new_change_key()
                orig = instance_times(cal, index)
                if orig is not None:
                    result_cal = OccurrenceView(store, cal, index, orig[0], orig[1])
            store.touch(cal)
    # Exchange files answered requests in Deleted Items; some servers (grommunio) leave them
    # in the Inbox (--keep-answered-requests), where a client must not answer them again.
    if getattr(store, "keep_answered_requests", False):
        # Gromox marks the request it keeps with the answer (as seen live).
        for req in requests if store.flavor.answer_marks_request else ():
            req.my_response_type = req.response_type = response
            if store.flavor.answer_mark_syncs:
                store.touch(req)
            else:  # a change, but none the sync journal hears of
                req.change_key = new_change_key()
        requests = []
    moved = [store.move(req, "deleteditems") for req in requests]

    # The MeetingResponse itself.
    organizer = meeting.organizer
    resp = Item("MeetingResponse", RESPONSE_CLASS[response])
    _copy_meeting(meeting if meeting.kind != "CalendarItem" or not meeting.is_occurrence
                  else cal, resp)
    resp.subject = RESPONSE_PREFIX[response] + (meeting.subject or "")
    resp.attachments = []  # an answer does not send the meeting's attachments back
    resp.body, resp.body_type = body if body is not None else ("", "Text")
    if getattr(store, "drop_answer_bodies", False):  # Gromox 3.10, seen live
        resp.body, resp.body_type = "", "Text"
    resp.start, resp.end, resp.location = meeting.start, meeting.end, meeting.location
    me = mailbox.person()
    resp.sender, resp.from_ = me, me.copy()
    resp.to = [organizer.copy()] if organizer else []
    resp.response_type = response
    resp.date_time_stamp = now
    resp.sent = now
    if index is not None:
        orig = instance_times(cal, index) if cal is not None else None
        resp.recurrence = None
        resp.instance_index = index
        resp.recurrence_id = orig[0] if orig else meeting.recurrence_id
    if proposed:
        resp.proposed_start, resp.proposed_end = proposed
    draft = None
    if disposition == "SaveOnly":
        resp.is_draft = True
        resp.is_read = True
        resp.associated_key = result_cal.key if result_cal is not None and \
            not result_cal.is_occurrence else None
        draft = store.add(mailbox, "drafts", resp)
        return result_cal, moved, draft

    org_mbx = store.mailbox(organizer.address) if organizer else None
    if org_mbx is not None and org_mbx is not mailbox:
        org_cal = store.calendar_item_by_uid(org_mbx, meeting.uid)
        if org_cal is not None and not is_organizer_item(org_cal):
            org_cal = None
        if not store.flavor.organizer_records_responses:
            org_cal = None
        delivered = Item(resp.kind, resp.item_class)
        delivered.__dict__.update({k: v for k, v in resp.__dict__.items()
                                   if k not in ("key", "token", "change_key", "mailbox",
                                                "folder")})
        delivered.is_read = False
        delivered.attachments = []
        delivered.associated_key = org_cal.key if org_cal is not None else None
        store.add(org_mbx, "inbox", delivered)
        if org_cal is not None:
            att = org_cal.attendee(mailbox.address)
            if att is not None and index is None:
                att.response_type = response
                att.last_response_time = now
                if proposed:
                    att.proposed_start, att.proposed_end = proposed
            elif att is not None:
                ov = org_cal.exceptions.setdefault(index, {})
                ov.setdefault("responses", {})[mailbox.address.lower()] = (response, now)
            store.touch(org_cal)
    if disposition == "SendAndSaveCopy":
        resp.associated_key = result_cal.key if result_cal is not None and \
            not result_cal.is_occurrence else None
        _save_sent_copy(store, mailbox, resp, resp.to)
    return result_cal, moved, None


def remove(store, mailbox, cancellation):
    """RemoveItem: delete the attendee's cancelled calendar item, file the cancellation."""
    if cancellation.kind != "MeetingCancellation":
        raise EwsError("ErrorInvalidItemForOperationRemoveItem")
    if cancellation.organizer and \
            cancellation.organizer.address.lower() == mailbox.address.lower():
        raise EwsError("ErrorCalendarIsOrganizerForRemove")
    cal = store.calendar_item_by_uid(mailbox, cancellation.uid)
    if cal is not None and not cancellation.is_out_of_date:
        if cancellation.instance_index is None:
            store.delete(cal)
        elif cal.recurrence is not None:
            cal.deleted_occurrences.add(cancellation.instance_index)
            cal.exceptions.pop(cancellation.instance_index, None)
            store.touch(cal)
    store.move(cancellation, "deleteditems")


MEETING_FIELDS = ("subject", "body", "sensitivity", "start", "end", "location", "is_all_day")


def snapshot(item):
    """What an update is compared against to decide who is told what."""
    snap = {name: getattr(item, name) for name in MEETING_FIELDS}
    snap["recurrence"] = item.recurrence.summary() if item.recurrence is not None else None
    snap["attendees"] = {a.address.lower(): a for a in item.attendees}
    snap["exceptions"] = {i: dict(ov) for i, ov in item.exceptions.items()}
    return snap


def after_organizer_update(store, org_mbx, item, before, mode):
    """Send what an organizer's UpdateItem calls for (SendMeetingInvitationsOrCancellations)."""
    if mode == "SendToNone":
        return
    send_all = mode in ("SendOnlyToAll", "SendToAllAndSaveCopy") or \
        store.flavor.updates_to_everyone
    save_copy = mode in ("SendToAllAndSaveCopy", "SendToChangedAndSaveCopy")
    after = snapshot(item)
    time_changed = any(before[k] != after[k] for k in ("start", "end", "recurrence",
                                                       "is_all_day"))
    meeting_changed = time_changed or any(before[k] != after[k] for k in MEETING_FIELDS) \
        or before["exceptions"] != after["exceptions"]
    old, new = before["attendees"], after["attendees"]
    me = org_mbx.address.lower()
    recipients = []
    for a in item.attendees:
        addr = a.address.lower()
        if addr == me:
            continue
        if addr not in old:
            recipients.append((a, "NewMeetingRequest"))
        elif send_all or meeting_changed:
            recipients.append((a, "FullUpdate" if time_changed else "InformationalUpdate"))
    removed = [a for addr, a in old.items() if addr not in new and addr != me]
    if not store.flavor.cancels_removed_attendees:
        removed = []
    if not recipients and not removed:
        return
    item.sequence += 1
    if time_changed:
        for a in item.attendees:
            if a.address.lower() in old:
                a.response_type, a.last_response_time = "Unknown", None
                a.proposed_start = a.proposed_end = None
    store.touch(item)
    send_requests(store, org_mbx, item, recipients, save_copy)
    send_cancellations(store, org_mbx, item, removed, save_copy)


def after_organizer_instance_update(store, org_mbx, master, index, before, mode):
    """Send updates about one modified occurrence of the organizer's series."""
    if mode == "SendToNone":
        return
    save_copy = mode in ("SendToAllAndSaveCopy", "SendToChangedAndSaveCopy")
    ov = master.exceptions.get(index, {})
    time_changed = before.get("start") != ov.get("start") or before.get("end") != ov.get("end")
    recipients = [(a, "FullUpdate" if time_changed else "InformationalUpdate")
                  for a in other_attendees(org_mbx, master)]
    if not recipients:
        return
    master.sequence += 1
    if time_changed:
        ov.pop("responses", None)
    store.touch(master)
    send_requests(store, org_mbx, master, recipients, save_copy, instance=index)


def cancel_meeting(store, org_mbx, item, save_copy, body=None, instance=None):
    """The organizer cancels the meeting (or one instance): cancellations to every attendee.

    The caller decides what happens to the organizer's own item.
    """
    master = item.master if item.is_occurrence else item
    recipients = other_attendees(org_mbx, master)
    master.sequence += 1
    send_cancellations(store, org_mbx, master, recipients, save_copy, body, instance)
    if instance is not None:
        master.deleted_occurrences.add(instance)
        master.exceptions.pop(instance, None)
    else:
        master.is_cancelled = True
    store.touch(master)


FORWARD_PREFIX = "FW: "


def _forward_body(new, original):
    """NewBodyContent above the forwarded item's own body, as a forward shows them; HTML
    when either part is HTML (the text part escaped)."""
    (ntext, ntype), (otext, otype) = new, original
    if not otext:
        return ntext, ntype
    if not ntext:
        return otext, otype
    if ntype == "Text" and otype == "Text":
        return ntext + "\n\n" + otext, "Text"
    as_html = [t_ if k == "HTML" else html.escape(t_).replace("\n", "<br>")
               for t_, k in ((ntext, ntype), (otext, otype))]
    return as_html[0] + "<hr>" + as_html[1], "HTML"


def _clone(item):
    """A new, unstored item with item's content (own lists, own attachments)."""
    c = Item(item.kind, item.item_class)
    c.__dict__.update({k: v for k, v in item.__dict__.items()
                       if k not in ("key", "token", "change_key", "mailbox", "folder")})
    c.to = [p.copy() for p in item.to]
    c.attendees = [a.copy() for a in item.attendees]
    c.attachments = [a.copy() for a in item.attachments]
    return c


def forward(store, mailbox, target, recipients, disposition, subject=None, body=None,
            new_body=None):
    """ForwardItem: mailbox forwards target to recipients ([Person]). Returns the draft
    (SaveOnly) or None.

    A meeting request, or a meeting's calendar item (either may be forwarded, Microsoft's
    "Forwarding and replying to meeting invitations"), goes out as a new MeetingRequest
    (MS-OXOCAL 3.1.4.7.5: every property of the meeting copied, the organizer unchanged,
    sent by the forwarder, not yet answered) that the recipient's calendar takes in as any
    request (a tentative calendar item when it has none). Anything else goes out as a
    Message. Subject: the ForwardItem's own, else "FW: " and the item's; body: the
    ForwardItem's Body, else NewBodyContent above the item's body; attachments travel with
    it. SendAndSaveCopy keeps the sent copy in the forwarder's Sent Items.
    """
    if disposition != "SaveOnly" and not recipients:
        raise EwsError("ErrorInvalidRecipients",
                       "A message that is sent needs at least one recipient.")
    me = mailbox.person()
    view = target if target.is_occurrence else None
    source = target.master if view is not None else target
    is_meeting = source.kind == "MeetingRequest" or (source.kind == "CalendarItem"
                                                     and source.is_meeting)
    if is_meeting:
        msg = _message("MeetingRequest", REQUEST_CLASS, target, me, recipients)
        msg.meeting_request_type = target.meeting_request_type \
            if source.kind == "MeetingRequest" else "NewMeetingRequest"
        msg.meeting_request_was_sent = True
        msg.is_response_requested = True
        msg.legacy_free_busy = "Tentative"
        if view is not None:
            msg.recurrence = None
            msg.start, msg.end = view.start, view.end
            msg.recurrence_id, msg.instance_index = view.original_start, view.index
        else:
            msg.recurrence_id = target.recurrence_id
            msg.instance_index = target.instance_index
        msg.my_response_type = msg.response_type = "NoResponseReceived"
    else:
        msg = Item("Message", "IPM.Note")
        msg.sender, msg.from_ = me, me.copy()
        msg.to = [p.copy() for p in recipients]
        msg.is_read = False
        msg.sent = timeutil.now()
        msg.attachments = [a.copy() for a in target.attachments]
    msg.subject = subject if subject is not None else FORWARD_PREFIX + (target.subject or "")
    original = (target.body or "", target.body_type or "Text")
    if body is not None:
        msg.body, msg.body_type = body
    else:
        msg.body, msg.body_type = _forward_body(new_body or ("", "Text"), original)

    if disposition == "SaveOnly":
        msg.is_draft = True
        msg.is_read = True
        msg.sent = None
        store.add(mailbox, "drafts", msg)
        return msg
    # A distribution group among the recipients reaches its members (outside the simulator:
    # sent, nobody to receive it here).
    reached = []
    for person in recipients:
        reached += [x for x in store.delivery_mailboxes(person.address) if x not in reached]
    for mbx in reached:
        delivered = _clone(msg)
        if is_meeting:
            cal = store.calendar_item_by_uid(mbx, msg.uid)
            if cal is None and msg.instance_index is None:
                # The meeting as it is, not the forward's "FW:" subject and note.
                cal = Item("CalendarItem", "IPM.Appointment")
                _copy_meeting(target, cal)
                cal.my_response_type = "NoResponseReceived"
                cal.legacy_free_busy = "Tentative"
                cal.is_response_requested = True
                if source.kind == "CalendarItem":
                    cal.exceptions = _attendee_exceptions(source, None, False)
                    cal.deleted_occurrences = set(source.deleted_occurrences)
                store.add(mbx, "calendar", cal)
            if cal is not None:
                delivered.my_response_type = delivered.response_type = \
                    cal.my_response_type or "NoResponseReceived"
            delivered.associated_key = cal.key if cal is not None else None
        store.add(mbx, "inbox", delivered)
    if disposition == "SendAndSaveCopy":
        _save_sent_copy(store, mailbox, msg, recipients)
    return None
