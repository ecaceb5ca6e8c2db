"""Server flavors (--flavor): the gromox flavor shows each difference from Exchange that
../shared/gromox/README.md lists, the exchange flavor does not, and the responses of both
still pass validation with exactly the gromox flavor's documented deviations forgiven."""

import base64
import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

sys.path.insert(0, h.SIM_DIR)
import flavor as flavor_mod  # noqa: E402
import schema  # noqa: E402

ORG = "organizer0@example.com"
A = "attendee0@example.com"
B = "attendee1@example.com"
ROOM = "room0@example.com"
MAILBOXES = (ORG, A, B, ROOM)

WEEKLY = ("<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval>"
          "<t:DaysOfWeek>Wednesday</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence>"
          "<t:StartDate>2026-12-09</t:StartDate><t:NumberOfOccurrences>4"
          "</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>")


def text(elem, path):
    return elem.findtext(path, namespaces=h.NS)


def calendar_view(ews, start, end):
    resp = ews.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
        '<t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/>'
        '<t:FieldURI FieldURI="calendar:Start"/>'
        '<t:FieldURI FieldURI="calendar:CalendarItemType"/></t:AdditionalProperties>'
        '</m:ItemShape><m:CalendarView StartDate="%s" EndDate="%s"/><m:ParentFolderIds>'
        '<t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>'
        % (start, end))
    return h.items_of(resp.message())


def request_of(case, user, subject):
    found = [i for i in case.ews[user].find("inbox")
             if text(i, "t:Subject") == subject and local(i) == "MeetingRequest"]
    case.assertEqual(len(found), 1, "one request %r for %s" % (subject, user))
    return found[0]


def start_zone_of(ews, item_id):
    """The Id of the item's t:StartTimeZone, asked for by name (None when it has none)."""
    got = ews.call(
        '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
        '<t:FieldURI FieldURI="calendar:StartTimeZone"/></t:AdditionalProperties>'
        '</m:ItemShape><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>' % item_id)
    zone = h.items_of(got.message())[0].find("t:StartTimeZone", h.NS)
    return None if zone is None else zone.get("Id")


def local(elem):
    return h.local(elem.tag)


def remove_item_body(item_id):
    return h.envelope('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>'
                      '<t:RemoveItem><t:ReferenceItemId Id="%s"/></t:RemoveItem></m:Items>'
                      "</m:CreateItem>" % item_id)


def read_response(sock_file):
    """One HTTP/1.1 response (status, headers dict, body) from a socket file."""
    status = sock_file.readline()
    headers = {}
    while True:
        line = sock_file.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    body = sock_file.read(int(headers.get("content-length", "0")))
    return status, headers, body


class SeenLiveOptions(h.SimTestCase):
    """Three habits of Gromox 3.10 seen live, as options (not in the kit's list of differences,
    so not part of --flavor gromox): answers reach the organizer without their text,
    resources are listed among the required attendees, and requests come without their
    series' zone."""
    MAILBOXES = MAILBOXES
    EXTRA_ARGS = ("--flavor", "gromox", "--drop-answer-bodies", "--resources-as-required",
                  "--requests-without-zone")

    def meeting(self, subject, start, end, extra):
        return self.ews[ORG].create_meeting(subject, start, end, required=(A,), extra=extra)


    def test_answer_text_dropped_and_resources_listed_as_required(self):
        item = self.ews[ORG].create_meeting("Seen live", "2026-12-08T10:00:00Z",
                                            "2026-12-08T11:00:00Z", required=(A,),
                                            resources=(ROOM,))
        self.assertEqual([h.code(x) for x in self.ews[A].respond(
            "AcceptItem", h.item_id(request_of(self, A, "Seen live")),
            body="I will be there.")], ["NoError"])
        answers = [i for i in self.dump(ORG, "inbox", "Seen live")
                   if i["kind"] == "MeetingResponse"]
        self.assertEqual([a["body"] for a in answers], [""])
        asked = self.ews[ORG].call(
            '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '<t:AdditionalProperties><t:FieldURI FieldURI="calendar:RequiredAttendees"/>'
            '<t:FieldURI FieldURI="calendar:Resources"/></t:AdditionalProperties></m:ItemShape>'
            '<m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>' % item[0])
        got = h.items_of(asked.message())[0]
        listed = [e.text for e in got.findall(
            "t:RequiredAttendees/t:Attendee/t:Mailbox/t:EmailAddress", h.NS)]
        self.assertEqual(sorted(listed), sorted([A, ROOM]))
        self.assertIsNone(got.find("t:Resources", h.NS))

    def test_a_series_request_has_no_start_zone(self):
        """A meeting request carries no t:StartTimeZone, although the organizer's series
        has one."""
        item = self.meeting("Zone left out", start="2026-12-09T09:00:00Z",
                            end="2026-12-09T10:00:00Z",
                            extra=WEEKLY + '<t:StartTimeZone Id="W. Europe Standard Time"/>')
        req = request_of(self, A, "Zone left out")
        self.assertIsNone(start_zone_of(self.ews[A], h.item_id(req)[0]))
        self.assertEqual(start_zone_of(self.ews[ORG], item[0]), "W. Europe Standard Time")


class Gromox(h.SimTestCase):
    MAILBOXES = MAILBOXES
    EXTRA_ARGS = ("--flavor", "gromox")

    def meeting(self, subject, start="2026-12-08T10:00:00Z", end="2026-12-08T11:00:00Z",
                extra="", required=(A,), resources=()):
        return self.ews[ORG].create_meeting(subject, start, end, required=required,
                                            resources=resources, extra=extra)

    def test_find_item_has_empty_groups_after_items(self):
        self.meeting("Groups")
        resp = self.ews[A].call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
            "</m:ParentFolderIds></m:FindItem>")
        root = resp.message().find("m:RootFolder", h.NS)
        self.assertEqual([local(c) for c in root], ["Items", "Groups"])
        self.assertEqual(len(root.find("t:Groups", h.NS)), 0)
        self.assertIn(b"</t:Items><t:Groups /></m:RootFolder>", resp.body)

    def test_recurrence_start_date_is_a_datetime_with_microseconds(self):
        self.meeting("Series start", start="2026-12-09T09:00:00Z", end="2026-12-09T10:00:00Z",
                     extra=WEEKLY + '<t:StartTimeZone Id="UTC"/>')
        req = request_of(self, A, "Series start")
        got = self.ews[A].get([h.item_id(req)])[0]
        self.assertEqual(text(got, "t:Recurrence/t:NumberedRecurrence/t:StartDate"),
                         "2026-12-09T00:00:00.000000Z")

    def test_recurrence_comes_with_calendar_item_type_in_find_item(self):
        self.meeting("Unasked", start="2026-12-09T09:00:00Z", end="2026-12-09T10:00:00Z",
                     extra=WEEKLY + '<t:StartTimeZone Id="UTC"/>')
        found = [i for i in calendar_view(self.ews[ORG], "2026-12-07T00:00:00Z",
                                          "2026-12-10T00:00:00Z")
                 if text(i, "t:Subject") == "Unasked"]
        self.assertEqual(text(found[0], "t:Recurrence/t:NumberedRecurrence/t:StartDate"),
                         "2026-12-09T00:00:00.000000Z")
        plain = self.ews[ORG].find("calendar", shape="IdOnly", extra_props=("item:Subject",))
        self.assertEqual([i.find("t:Recurrence", h.NS) for i in plain
                          if text(i, "t:Subject") == "Unasked"], [None])

    def test_no_associated_calendar_item_id(self):
        self.meeting("No association")
        req = request_of(self, A, "No association")
        self.assertIsNone(req.find("t:AssociatedCalendarItemId", h.NS))
        asked = self.ews[A].call(
            '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
            '<t:FieldURI FieldURI="meeting:AssociatedCalendarItemId"/></t:AdditionalProperties>'
            '</m:ItemShape><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>'
            % h.item_id(req)[0])
        self.assertEqual(asked.codes(), ["NoError"])
        self.assertIsNone(h.items_of(asked.message())[0].find("t:AssociatedCalendarItemId",
                                                               h.NS))

    def test_no_tentative_placeholder_on_delivery(self):
        self.meeting("No placeholder")
        request_of(self, A, "No placeholder")
        self.assertEqual(self.dump(A, "calendar", "No placeholder"), [])

    def test_calendar_view_returns_the_recurring_master(self):
        self.meeting("Weekly master", start="2026-12-09T09:00:00Z", end="2026-12-09T10:00:00Z",
                     extra=WEEKLY + '<t:StartTimeZone Id="UTC"/>')
        first_week = [i for i in calendar_view(self.ews[ORG], "2026-12-07T00:00:00Z",
                                               "2026-12-31T00:00:00Z")
                      if text(i, "t:Subject") == "Weekly master"]
        self.assertEqual([text(i, "t:CalendarItemType") for i in first_week],
                         ["RecurringMaster"])
        # A window holding only a later occurrence does not meet the master's own times.
        later = [i for i in calendar_view(self.ews[ORG], "2026-12-16T00:00:00Z",
                                          "2026-12-17T00:00:00Z")
                 if text(i, "t:Subject") == "Weekly master"]
        self.assertEqual(later, [])

    def test_all_properties_omits_attendees_additional_properties_has_them(self):
        item = self.meeting("Attendee lists", resources=(ROOM,))
        got = self.ews[ORG].get([item])[0]
        for name in ("RequiredAttendees", "OptionalAttendees", "Resources"):
            self.assertIsNone(got.find("t:" + name, h.NS), name)
        self.assertIsNone(got.find("t:MeetingRequestWasSent", h.NS))
        asked = self.ews[ORG].call(
            '<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>'
            '<t:AdditionalProperties><t:FieldURI FieldURI="calendar:RequiredAttendees"/>'
            '<t:FieldURI FieldURI="calendar:Resources"/></t:AdditionalProperties></m:ItemShape>'
            '<m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>' % item[0])
        got = h.items_of(asked.message())[0]
        self.assertEqual(text(got, "t:RequiredAttendees/t:Attendee/t:Mailbox/t:EmailAddress"), A)
        self.assertEqual(text(got, "t:Resources/t:Attendee/t:Mailbox/t:EmailAddress"), ROOM)

    def test_answers_stay_in_inbox_decline_keeps_item_organizer_not_told(self):
        self.meeting("Kept", required=(A, B))
        self.assertEqual([h.code(x) for x in self.ews[A].respond(
            "AcceptItem", h.item_id(request_of(self, A, "Kept")))], ["NoError"])
        self.assertEqual([h.code(x) for x in self.ews[B].respond(
            "DeclineItem", h.item_id(request_of(self, B, "Kept")))], ["NoError"])
        self.assertEqual(len(self.dump(A, "inbox", "Kept")), 1)
        self.assertEqual(len(self.dump(B, "inbox", "Kept")), 1)
        # B had no calendar item (no placeholder on delivery) and a decline makes none.
        self.assertEqual(self.dump(B, "calendar", "Kept"), [])
        org_item = self.dump(ORG, "calendar", "Kept")[0]
        self.assertEqual({a["address"]: a["response_type"] for a in org_item["attendees"]},
                         {A: "Unknown", B: "Unknown"})
        self.assertEqual(len(self.dump(ORG, "inbox", "Kept")), 2)  # the answers did arrive

    def test_set_attendees_replaces_every_recipient_and_tells_nobody_removed(self):
        item = self.meeting("One table", required=(A, B), resources=(ROOM,))
        resp = self.ews[ORG].call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges>'
            '<t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="calendar:RequiredAttendees"/><t:CalendarItem>'
            "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress>"
            "</t:Mailbox></t:Attendee></t:RequiredAttendees></t:CalendarItem>"
            "</t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
            % (item[0], A))
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual([(a["address"], a["role"]) for a in
                          self.dump(ORG, "calendar", "One table")[0]["attendees"]],
                         [(A, "Required")])
        for user in (B, ROOM):
            self.assertEqual([i["kind"] for i in self.dump(user, "inbox", "One table")],
                             ["MeetingRequest"], user)
        self.assertEqual(len(self.dump(A, "inbox", "One table")), 2)

    def test_decline_of_a_request_creates_no_calendar_item(self):
        self.meeting("Declined unseen", required=(B,))
        self.assertEqual([h.code(x) for x in self.ews[B].respond(
            "DeclineItem", h.item_id(request_of(self, B, "Declined unseen")))], ["NoError"])
        self.assertEqual(self.dump(B, "calendar", "Declined unseen"), [])

    def test_append_to_item_field_is_ignored_with_no_error(self):
        item = self.meeting("Append")
        resp = self.ews[ORG].call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToChangedAndSaveCopy"><m:ItemChanges>'
            '<t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:AppendToItemField>'
            '<t:FieldURI FieldURI="calendar:OptionalAttendees"/><t:CalendarItem>'
            "<t:OptionalAttendees><t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress>"
            "</t:Mailbox></t:Attendee></t:OptionalAttendees></t:CalendarItem>"
            "</t:AppendToItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
            % (item[0], B))
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual([a["address"] for a in self.dump(ORG, "calendar", "Append")[0]
                          ["attendees"]], [A])
        self.assertEqual(self.dump(B, "inbox", "Append"), [])

    def test_updates_go_to_everyone(self):
        item = self.meeting("Everyone")
        resp = self.ews[ORG].call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToChangedAndSaveCopy"><m:ItemChanges>'
            '<t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="calendar:RequiredAttendees"/><t:CalendarItem>'
            "<t:RequiredAttendees>%s</t:RequiredAttendees></t:CalendarItem>"
            "</t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
            % (item[0], "".join("<t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress>"
                                "</t:Mailbox></t:Attendee>" % x for x in (A, B))))
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual(len(self.dump(B, "inbox", "Everyone")), 1)
        # A was not concerned by adding B, yet gets the meeting again.
        self.assertEqual(len(self.dump(A, "inbox", "Everyone")), 2)

    def test_remove_item_is_a_client_fault_then_a_stray_response(self):
        item = self.meeting("Removed")
        self.ews[ORG].ok('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>'
                         '<t:CancelCalendarItem><t:ReferenceItemId Id="%s"/>'
                         "</t:CancelCalendarItem></m:Items></m:CreateItem>" % item[0])
        cancel = [i for i in self.ews[A].find("inbox")
                  if local(i) == "MeetingCancellation"
                  and "Removed" in (text(i, "t:Subject") or "")][0]
        body = remove_item_body(h.item_id(cancel)[0])
        auth = base64.b64encode(("%s:password" % A).encode())
        with socket.create_connection((self.sim.host, self.sim.port), timeout=30) as sock:
            head = (b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                    + auth + b"\r\nContent-Type: text/xml; charset=utf-8\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(body))
            sock.sendall(head + body)
            f = sock.makefile("rb")
            status, _, fault = read_response(f)
            self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
            self.assertIn(b"<faultcode xsi:type=\"xsd:string\">SOAP:Client</faultcode>", fault)
            self.assertIn(b"E-3045: failed to find proper type for node 'RemoveItem'", fault)
            # Unasked, a second response follows on the same connection.
            status, _, stray = read_response(f)
            self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
            self.assertRegex(stray, rb"<m:CreateItemResponse[^>]*><m:ResponseMessages ?/>")
        # Nothing was done: the cancellation and the calendar item are still there.
        self.assertEqual(len([i for i in self.dump(A, "inbox", "Removed")
                              if i["kind"] == "MeetingCancellation"]), 1)


    def test_a_request_answered_by_hand_shows_the_answer(self):
        """As seen live: the declined request stays in the Inbox with MyResponseType and
        ResponseType Decline (and no calendar item is made)."""
        self.meeting("Declined by hand")
        req = request_of(self, A, "Declined by hand")
        self.assertEqual(text(req, "t:MyResponseType"), "NoResponseReceived")
        self.ews[A].respond("DeclineItem", h.item_id(req)[0])
        again = request_of(self, A, "Declined by hand")
        self.assertEqual(h.item_id(again)[0], h.item_id(req)[0])
        got = self.ews[A].get([h.item_id(again)])[0]
        self.assertEqual(text(got, "t:MyResponseType"), "Decline")
        self.assertEqual(text(got, "t:ResponseType"), "Decline")

    def test_series_master_has_its_start_zone_twice(self):
        """As seen live: a series' master carries t:StartTimeZone twice, alike."""
        self.meeting("Zone twice", start="2026-12-09T09:00:00Z", end="2026-12-09T10:00:00Z",
                     extra=WEEKLY + '<t:StartTimeZone Id="UTC"/>')
        found = [i for i in self.ews[ORG].find("calendar")
                 if text(i, "t:Subject") == "Zone twice"]
        zones = found[0].findall("t:StartTimeZone", h.NS)
        self.assertEqual([z.get("Id") for z in zones], ["UTC", "UTC"])
        single = self.meeting("Zone once")
        got = self.ews[ORG].get([single])[0]
        self.assertLessEqual(len(got.findall("t:StartTimeZone", h.NS)), 1)

    def test_cancellation_has_no_times_but_its_calendar_item(self):
        """As seen live: a MeetingCancellation carries UID and DateTimeStamp of the calendar
        fields only (no Start, End, Organizer), and an AssociatedCalendarItemId when the
        attendee's calendar item exists (the requests never have one)."""
        item = self.meeting("Bare cancellation", required=(A, B))
        req = request_of(self, A, "Bare cancellation")
        self.ews[A].respond("AcceptItem", h.item_id(req)[0])
        self.ews[ORG].ok('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>'
                         '<t:CancelCalendarItem><t:ReferenceItemId Id="%s"/>'
                         "</t:CancelCalendarItem></m:Items></m:CreateItem>" % item[0])
        for user, linked in ((A, True), (B, False)):
            cancel = [i for i in self.ews[user].find("inbox")
                      if local(i) == "MeetingCancellation"
                      and "Bare cancellation" in (text(i, "t:Subject") or "")]
            got = self.ews[user].get([h.item_id(cancel[0])])[0]
            self.assertIsNotNone(text(got, "t:UID"), user)
            for name in ("t:Start", "t:End", "t:Organizer", "t:CalendarItemType"):
                self.assertIsNone(got.find(name, h.NS), (user, name))
            link = got.find("t:AssociatedCalendarItemId", h.NS)
            self.assertEqual(link is not None, linked, user)
            if linked:
                cal = self.dump(A, "calendar", "Bare cancellation")
                self.assertEqual([c["id"] for c in cal], [link.get("Id")])


class Exchange(h.SimTestCase):
    """The default flavor: none of the above; the root folders answer GetFolder."""

    MAILBOXES = MAILBOXES

    def test_root_folders(self):
        for name, display, children in (("root", None, "1"),
                                        ("msgfolderroot", "Top of Information Store", "5")):
            resp = self.ews[A].call(
                '<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape>'
                '</m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="%s"/>'
                "</m:FolderIds></m:GetFolder>" % name)
            self.assertEqual(resp.codes(), ["NoError"], name)
            folder = resp.message().find("m:Folders/t:Folder", h.NS)
            self.assertEqual(text(folder, "t:DisplayName") or None, display)
            self.assertEqual(text(folder, "t:ChildFolderCount"), children)
            fid = folder.find("t:FolderId", h.NS).get("Id")
            again = self.ews[A].call(
                '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
                '<m:FolderIds><t:FolderId Id="%s"/></m:FolderIds></m:GetFolder>' % fid)
            self.assertEqual(again.codes(), ["NoError"])
        self.assertNotIn("root", self.sim.mailbox(A))

    def test_none_of_the_gromox_differences(self):
        item = self.ews[ORG].create_meeting("Plain", "2026-12-09T09:00:00Z",
                                            "2026-12-09T10:00:00Z", required=(A,),
                                            extra=WEEKLY + '<t:StartTimeZone Id="UTC"/>')
        req = request_of(self, A, "Plain")
        self.assertIsNotNone(req.find("t:AssociatedCalendarItemId", h.NS))
        self.assertEqual(start_zone_of(self.ews[A], h.item_id(req)[0]), "UTC")
        self.assertEqual(text(self.ews[A].get([h.item_id(req)])[0],
                              "t:Recurrence/t:NumberedRecurrence/t:StartDate"), "2026-12-09")
        got = self.ews[ORG].get([item])[0]
        self.assertIsNotNone(got.find("t:RequiredAttendees", h.NS))
        cancelled = self.ews[ORG].create_meeting("Cancelled", "2026-12-10T09:00:00Z",
                                                 "2026-12-10T10:00:00Z", required=(A,))
        self.ews[ORG].ok('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>'
                         '<t:CancelCalendarItem><t:ReferenceItemId Id="%s"/>'
                         "</t:CancelCalendarItem></m:Items></m:CreateItem>" % cancelled[0])
        cancel = [i for i in self.ews[A].find("inbox") if local(i) == "MeetingCancellation"]
        got = self.ews[A].get([h.item_id(cancel[0])])[0]
        self.assertEqual(text(got, "t:Start"), "2026-12-10T09:00:00Z")
        view = [text(i, "t:CalendarItemType") for i in calendar_view(
            self.ews[ORG], "2026-12-07T00:00:00Z", "2026-12-31T00:00:00Z")]
        self.assertEqual(view, ["Occurrence"] * 4)
        resp = self.ews[A].call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
            "</m:ParentFolderIds></m:FindItem>")
        self.assertIsNone(resp.message().find("m:RootFolder/t:Groups", h.NS))


class Validation(unittest.TestCase):
    """schema_view forgives exactly the documented deviations, nothing more."""

    @classmethod
    def setUpClass(cls):
        cls.validator = schema.Validator(h.schema_dir())

    def find_response(self, root_inner):
        return ('<?xml version="1.0" encoding="utf-8"?>\n<s:Envelope xmlns:s="%s" xmlns:m="%s" '
                'xmlns:t="%s"><s:Body><m:FindItemResponse><m:ResponseMessages>'
                '<m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError'
                '</m:ResponseCode><m:RootFolder TotalItemsInView="0" '
                'IncludesLastItemInRange="true">%s</m:RootFolder></m:FindItemResponseMessage>'
                "</m:ResponseMessages></m:FindItemResponse></s:Body></s:Envelope>"
                % (h.SOAP_NS, h.M_NS, h.T_NS, root_inner)).encode()

    def check(self, flavor, data):
        return self.validator.validate(flavor_mod.by_name(flavor).schema_view(data))

    def test_empty_groups(self):
        doc = self.find_response("<t:Items /><t:Groups />")
        self.assertNotEqual(self.check("exchange", doc), [])
        self.assertEqual(self.check("gromox", doc), [])
        grouped = self.find_response("<t:Items /><t:Groups><t:GroupedItems>"
                                     "<t:GroupIndex>x</t:GroupIndex></t:GroupedItems>"
                                     "</t:Groups>")
        self.assertNotEqual(self.check("gromox", grouped), [])

    def test_start_date(self):
        def item(start):
            return self.find_response(
                '<t:Items><t:CalendarItem><t:ItemId Id="x"/><t:Recurrence>'
                "<t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence>"
                "<t:NoEndRecurrence><t:StartDate>%s</t:StartDate></t:NoEndRecurrence>"
                "</t:Recurrence></t:CalendarItem></t:Items>" % start)
        self.assertEqual(self.check("exchange", item("2026-12-09")), [])
        self.assertNotEqual(self.check("exchange", item("2026-12-09T00:00:00.000000Z")), [])
        self.assertEqual(self.check("gromox", item("2026-12-09T00:00:00.000000Z")), [])
        self.assertNotEqual(self.check("gromox", item("2026-12-09T10:00:00.000000Z")), [])
        self.assertNotEqual(self.check("gromox", item("2026-12-09T00:00:00Z")), [])


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
