"""Mailboxes, calendars and meeting message flow (what Exchange Online does behind Graph).

Events and messages are held as Graph-shaped dicts; keys starting with "_" are internal and
never rendered. One lock (Store.lock) serialises every change.
"""

import base64
import copy
import os
import threading

import timeutil as tu

ANSWER_TYPES = {"accept": ("accepted", "meetingAccepted", "busy", "Accepted"),
                "tentativelyAccept": ("tentativelyAccepted", "meetingTenativelyAccepted",
                                      "tentative", "Tentative"),
                "decline": ("declined", "meetingDeclined", "free", "Declined")}
FOLDERS = ("inbox", "sentitems", "deleteditems")


class GraphError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found():
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def new_id(prefix="AAMkA"):
    return prefix + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")


def display_name(address):
    local = address.split("@")[0]
    head = local.rstrip("0123456789")
    tail = local[len(head):]
    return (head[:1].upper() + head[1:] + (" " + tail if tail else "")).strip()


class User:
    def __init__(self, address, name):
        self.address, self.name = address, name
        self.id = new_id("u")
        self.events = {}          # id -> event dict
        self.messages = {}        # id -> message dict ("_folder" says where)
        self.seq = 0              # Inbox change counter for delta
        self.tombstones = []      # (seq, message id) for messages that left the Inbox
        self.delta_generation = 0
        self.delta_expired_code = "syncStateNotFound"

    def email(self):
        return {"name": self.name, "address": self.address}


class Store:
    def __init__(self, mailboxes):
        self.lock = threading.RLock()
        self.users = {}
        for address, name in mailboxes:
            self.users[address.lower()] = User(address, name)

    # ---- lookup
    def user(self, key):
        found = self.users.get(key.lower())
        if found is None:
            found = next((u for u in self.users.values() if u.id == key), None)
        if found is None:
            raise GraphError(404, "ErrorInvalidUser", "The requested user '%s' is invalid." % key)
        return found

    def event(self, user, event_id):
        """(master event, occurrence start or None) for an event or instance id."""
        master_id, _, occ = event_id.partition("_OCC")
        event = user.events.get(master_id)
        if event is None:
            raise not_found()
        if not occ:
            return event, None
        start = next((s for s, _ in self.series(event) if s.strftime("%Y%m%dT%H%M") == occ), None)
        if start is None:
            raise not_found()
        return event, start

    def message(self, user, message_id):
        msg = user.messages.get(message_id)
        if msg is None:
            raise not_found()
        return msg

    # ---- series
    def series(self, event, limit_end=None):
        """(start, end) of every live occurrence (or of the single event)."""
        if not event.get("recurrence"):
            return [(event["_start"], event["_end"])]
        limit = limit_end or event["_start"] + tu.dt.timedelta(days=3 * 366)
        occ = tu.occurrences(event["recurrence"], event["_start"], event["_end"],
                             event["_tz"], limit)
        return [(s, e) for s, e in occ if s.isoformat() not in event["_deleted"]]

    # ---- messages
    def touch_message(self, user, msg):
        user.seq += 1
        msg["_seq"] = user.seq
        msg["changeKey"] = new_id("CQAAA")[:24]
        msg["lastModifiedDateTime"] = tu.render_offset(tu.now())

    def move_message(self, user, msg, folder):
        if msg["_folder"] == "inbox" and folder != "inbox":
            user.seq += 1
            user.tombstones.append((user.seq, msg["id"]))
        msg["_folder"] = folder
        msg["parentFolderId"] = folder
        self.touch_message(user, msg)

    def delete_message(self, user, msg):
        if msg["_folder"] == "inbox":
            user.seq += 1
            user.tombstones.append((user.seq, msg["id"]))
        del user.messages[msg["id"]]

    def deliver(self, sender, recipient, odata_type, subject, body, event, extra):
        now = tu.render_offset(tu.now())
        msg = {"@odata.type": "#microsoft.graph." + odata_type, "id": new_id(),
               "createdDateTime": now, "receivedDateTime": now, "sentDateTime": now,
               "subject": subject, "body": copy.deepcopy(body),
               "bodyPreview": (body or {}).get("content", "")[:255],
               "from": {"emailAddress": sender.email()}, "sender": {"emailAddress": sender.email()},
               "toRecipients": [{"emailAddress": recipient.email()}], "isRead": False,
               "hasAttachments": False, "importance": "normal", "categories": [],
               "conversationId": (event or {}).get("_conversation", new_id("AAQk")),
               "internetMessageId": "<%s@graphsim>" % new_id("m")[:20],
               "_folder": "inbox", "parentFolderId": "inbox",
               "_event": event["id"] if event else None}
        if event is not None:
            msg.update({"startDateTime": tu.render_dttz(event["_start"]),
                        "endDateTime": tu.render_dttz(event["_end"]),
                        "location": copy.deepcopy(event.get("location")),
                        "isAllDay": False, "isDelegated": False, "isOutOfDate": False,
                        "type": event["type"], "recurrence": copy.deepcopy(event.get("recurrence"))})
        msg.update(extra)
        recipient.messages[msg["id"]] = msg
        self.touch_message(recipient, msg)
        return msg

    # ---- meetings
    def create_event(self, organizer, body):
        """The organizer's new event; invitations to every attendee with a mailbox here."""
        start, end = tu.parse_dttz(body.get("start")), tu.parse_dttz(body.get("end"))
        if end <= start:
            raise GraphError(400, "ErrorInvalidRequest", "The end time must be after the start.")
        if body.get("recurrence"):
            tu.check_recurrence(body["recurrence"])
        now = tu.render_offset(tu.now())
        event = {"id": new_id(), "createdDateTime": now, "iCalUId": new_id("040000008200E0")[:60],
                 "subject": body.get("subject", ""), "body": body.get("body") or
                 {"contentType": "text", "content": ""}, "importance": "normal",
                 "sensitivity": body.get("sensitivity", "normal"), "isAllDay": False,
                 "isCancelled": False, "isOrganizer": True, "responseRequested":
                 body.get("responseRequested", True), "showAs": body.get("showAs", "busy"),
                 "type": "seriesMaster" if body.get("recurrence") else "singleInstance",
                 "location": body.get("location") or {"displayName": ""},
                 "recurrence": body.get("recurrence"), "allowNewTimeProposals":
                 body.get("allowNewTimeProposals", True), "hasAttachments": False,
                 "categories": [], "organizer": {"emailAddress": organizer.email()},
                 "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
                 "attendees": [], "_start": start, "_end": end,
                 "_tz": (body.get("start") or {}).get("timeZone") or "UTC", "_deleted": set(),
                 "_overrides": {}, "_conversation": new_id("AAQk")}
        event["_uid"] = event["iCalUId"]
        event["attendees"] = self.attendee_entries(body.get("attendees") or [], [])
        self.stamp(event)
        organizer.events[event["id"]] = event
        for att in event["attendees"]:
            attendee = self.users.get(att["emailAddress"]["address"].lower())
            if attendee is not None and attendee is not organizer:
                self.invite(organizer, attendee, event)
        return event

    def attendee_entries(self, wanted, current):
        """The attendees list for a create or an organizer's PATCH; those already there keep
        their status."""
        entries = []
        for att in wanted:
            address = ((att.get("emailAddress") or {}).get("address") or "").strip()
            if not address:
                raise GraphError(400, "ErrorInvalidRecipients", "An attendee has no address.")
            known = self.users.get(address.lower())
            name = (att.get("emailAddress") or {}).get("name") or (
                known.name if known else address)
            old = next((a for a in current
                        if a["emailAddress"]["address"].lower() == address.lower()), None)
            status = old["status"] if old else {"response": "none",
                                                "time": "0001-01-01T00:00:00Z"}
            entries.append({"type": att.get("type", "required"),
                            "emailAddress": {"name": name, "address": address},
                            "status": copy.deepcopy(status)})
        return entries

    def stamp(self, event):
        event["changeKey"] = new_id("DwAAA")[:24]
        event["lastModifiedDateTime"] = tu.render_offset(tu.now())

    def invite(self, organizer, attendee, event):
        """The calendar attendant's tentative copy and the eventMessageRequest."""
        copy_ = self.place_copy(attendee, event)
        self.deliver(organizer, attendee, "eventMessageRequest", event["subject"],
                     event["body"], copy_,
                     {"meetingMessageType": "meetingRequest",
                      "meetingRequestType": "newMeetingRequest",
                      "responseRequested": event["responseRequested"],
                      "allowNewTimeProposals": event["allowNewTimeProposals"]})
        return copy_

    def organizer_copy(self, event):
        organizer = self.users.get(event["organizer"]["emailAddress"]["address"].lower())
        if organizer is None:
            return None, None
        found = next((e for e in organizer.events.values()
                      if e["_uid"] == event["_uid"] and e["isOrganizer"]), None)
        return organizer, found

    def answer(self, user, event_id, action, body):
        event, occ = self.event(user, event_id)
        if event["isOrganizer"]:
            raise GraphError(400, "ErrorInvalidRequest",
                             "Your request can't be completed. You can't respond to a meeting "
                             "you organized.")
        if event["isCancelled"]:
            raise GraphError(400, "ErrorInvalidRequest", "The meeting has been cancelled.")
        response, msg_type, show_as, prefix = ANSWER_TYPES[action]
        when = tu.render_offset(tu.now())
        status = {"response": response, "time": when}
        if occ is None:
            event["responseStatus"], event["showAs"] = status, show_as
        else:
            event["_overrides"][occ.isoformat()] = {"responseStatus": status, "showAs": show_as}
        self.stamp(event)
        for msg in list(user.messages.values()):
            if msg["_event"] == event["id"] and msg["_folder"] == "inbox" and \
                    msg["meetingMessageType"] == "meetingRequest" and occ is None:
                self.move_message(user, msg, "deleteditems")
        if action == "decline" and occ is None:
            del user.events[event["id"]]
        elif action == "decline":
            event["_deleted"].add(occ.isoformat())
        if body.get("sendResponse", body.get("SendResponse", True)) is False:
            return
        organizer, org_event = self.organizer_copy(event)
        if org_event is None:
            return
        if occ is None:
            for att in org_event["attendees"]:
                if att["emailAddress"]["address"].lower() == user.address.lower():
                    att["status"] = dict(status)
            self.stamp(org_event)
        comment = body.get("comment", body.get("Comment")) or ""
        self.deliver(user, organizer, "eventMessageResponse",
                     "%s: %s" % (prefix, event["subject"]),
                     {"contentType": "text", "content": comment}, org_event,
                     {"meetingMessageType": msg_type, "responseType": response})

    def cancel(self, user, event_id, comment):
        event, occ = self.event(user, event_id)
        if not event["isOrganizer"]:
            raise GraphError(400, "ErrorAccessDenied",
                             "Your request can't be completed. You need to be an organizer to "
                             "cancel a meeting.")
        if occ is not None:
            event["_deleted"].add(occ.isoformat())
            self.stamp(event)
        else:
            del user.events[event["id"]]
        for att in event["attendees"]:
            attendee = self.users.get(att["emailAddress"]["address"].lower())
            if attendee is not None and attendee is not user:
                self.cancel_for(user, event, attendee, comment, occ)

    def cancel_for(self, organizer, event, attendee, comment, occ=None):
        """One attendee's cancellation: the copy is marked (or the occurrence dropped) and an
        eventMessage meetingCancelled arrives."""
        if attendee is None:
            return
        copy_ = next((e for e in attendee.events.values() if e["_uid"] == event["_uid"]), None)
        if copy_ is None:
            return
        if occ is None:
            copy_["isCancelled"] = True
            copy_["subject"] = "Canceled: " + event["subject"]
        else:
            copy_["_deleted"].add(occ.isoformat())
        self.stamp(copy_)
        self.deliver(organizer, attendee, "eventMessage", "Canceled: " + event["subject"],
                     {"contentType": "text", "content": comment or ""}, copy_,
                     {"meetingMessageType": "meetingCancelled"})

    def delete_event(self, user, event_id):
        event, occ = self.event(user, event_id)
        if event["isOrganizer"] and any(
                self.users.get(a["emailAddress"]["address"].lower()) for a in event["attendees"]):
            self.cancel(user, event_id, "")
            return
        if occ is not None:
            event["_deleted"].add(occ.isoformat())
            self.stamp(event)
        else:
            del user.events[event["id"]]

    def update_event(self, user, event_id, body):
        event, occ = self.event(user, event_id)
        if occ is not None:
            raise GraphError(400, "ErrorInvalidRequest",
                             "Updating a single occurrence is not modelled.")
        if event["isOrganizer"] and set(body) & {"attendees", "start", "end", "location"}:
            return self.organizer_update(user, event, body)
        if set(body) - {"subject", "body", "sensitivity"}:
            raise GraphError(400, "ErrorInvalidRequest", "An attendee's copy takes subject, "
                             "body and sensitivity only (others are not modelled).")
        for key in ("subject", "body", "sensitivity"):
            if key in body:
                event[key] = body[key]
        self.stamp(event)
        return event

    def organizer_update(self, organizer, event, body):
        """The organizer changes the meeting: removed attendees get a cancellation, new ones
        an invitation, the others an update — a full update (their answer reset) when the
        time or the place changed, an informational one otherwise."""
        start = tu.parse_dttz(body["start"]) if "start" in body else event["_start"]
        end = tu.parse_dttz(body["end"]) if "end" in body else event["_end"]
        if end <= start:
            raise GraphError(400, "ErrorInvalidRequest", "The end time must be after the start.")
        before = {a["emailAddress"]["address"].lower() for a in event["attendees"]}
        if "attendees" in body:
            event["attendees"] = self.attendee_entries(body["attendees"], event["attendees"])
        after = {a["emailAddress"]["address"].lower() for a in event["attendees"]}
        full = (start, end) != (event["_start"], event["_end"]) or (
            "location" in body and body["location"] != event.get("location"))
        event["_start"], event["_end"] = start, end
        for key in ("subject", "body", "sensitivity", "location"):
            if key in body:
                event[key] = body[key]
        if full:
            for att in event["attendees"]:
                att["status"] = {"response": "none", "time": "0001-01-01T00:00:00Z"}
        self.stamp(event)
        for address in before - after:
            self.cancel_for(organizer, event, self.users.get(address), "")
        for address in after:
            attendee = self.users.get(address)
            if attendee is None or attendee is organizer:
                continue
            if address not in before:
                self.invite(organizer, attendee, event)
            else:
                self.update_copy(organizer, attendee, event, full)
        return event

    def update_copy(self, organizer, attendee, event, full):
        copy_ = next((e for e in attendee.events.values() if e["_uid"] == event["_uid"]), None)
        if copy_ is None:       # declined earlier: the update places the meeting again
            copy_ = self.place_copy(attendee, event)
        for key in ("subject", "body", "location", "sensitivity", "attendees", "_start", "_end"):
            copy_[key] = copy.deepcopy(event[key])
        if full:
            copy_["responseStatus"] = {"response": "notResponded",
                                       "time": "0001-01-01T00:00:00Z"}
            copy_["showAs"] = "tentative"
        self.stamp(copy_)
        for msg in attendee.messages.values():
            if msg["_event"] == copy_["id"] and msg.get("meetingMessageType") == "meetingRequest":
                msg["isOutOfDate"] = True
                self.touch_message(attendee, msg)
        self.deliver(organizer, attendee, "eventMessageRequest", event["subject"], event["body"],
                     copy_, {"meetingMessageType": "meetingRequest",
                             "meetingRequestType": "fullUpdate" if full else
                             "informationalUpdate",
                             "responseRequested": event["responseRequested"],
                             "allowNewTimeProposals": event["allowNewTimeProposals"]})

    def forward(self, user, message_id, body):
        msg = self.message(user, message_id)
        recipients = body.get("toRecipients") or body.get("ToRecipients") or []
        if not recipients:
            raise GraphError(400, "ErrorInvalidRecipients",
                             "At least one recipient is required.")
        event = user.events.get(msg.get("_event")) if msg.get("_event") else None
        for rcpt in recipients:
            address = ((rcpt.get("emailAddress") or {}).get("address") or "").lower()
            target = self.users.get(address)
            if target is None:
                continue
            comment = body.get("comment", body.get("Comment")) or ""
            extra = {k: msg[k] for k in ("meetingMessageType", "meetingRequestType",
                                          "responseRequested") if k in msg}
            fw_body = {"contentType": "text",
                       "content": comment + "\n" + (msg.get("body") or {}).get("content", "")}
            if event is not None and msg.get("meetingMessageType") == "meetingRequest":
                organizer, org_event = self.organizer_copy(event)
                sender = organizer or user
                placed = self.invite_forwarded(sender, target, org_event or event)
                self.deliver(user, target, msg["@odata.type"].split(".")[-1],
                             "FW: " + msg["subject"], fw_body, placed, extra)
            else:
                self.deliver(user, target, msg["@odata.type"].split(".")[-1],
                             "FW: " + msg["subject"], fw_body, None, extra)

    def invite_forwarded(self, organizer, target, event):
        """A forwarded request places the meeting in the recipient's calendar and adds the
        recipient to the organizer's attendees (as Exchange does), without a second message."""
        if not any(a["emailAddress"]["address"].lower() == target.address.lower()
                   for a in event["attendees"]):
            event["attendees"].append({"type": "optional", "emailAddress": target.email(),
                                       "status": {"response": "none",
                                                  "time": "0001-01-01T00:00:00Z"}})
            self.stamp(event)
        return self.place_copy(target, event)

    def place_copy(self, attendee, event):
        """The calendar attendant's tentative copy of the organizer's event."""
        copy_ = {k: copy.deepcopy(v) for k, v in event.items()}
        copy_.update({"id": new_id(), "isOrganizer": False, "showAs": "tentative",
                      "responseStatus": {"response": "notResponded",
                                         "time": "0001-01-01T00:00:00Z"}})
        self.stamp(copy_)
        attendee.events[copy_["id"]] = copy_
        return copy_
