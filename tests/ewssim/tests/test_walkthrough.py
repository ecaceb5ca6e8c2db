"""Microsoft's "Handling Meetings (Exchange Web Services)" walkthrough, step by step.

../shared/handling-meetings-ews.txt: organizer0 invites attendee0, attendee1 (required),
attendee2 (optional) and room0 (resource); attendee0 accepts, attendee1 tentatively
accepts, attendee2 declines; the organizer sees the responses; an update leaves attendee0
the only required attendee and adds attendee3 as optional; attendee1 finds the
cancellation and removes the meeting with RemoveItem. Everything goes through raw SOAP.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG = "organizer0@example.com"
A0, A1, A2, A3 = ("attendee%d@example.com" % i for i in range(4))
ROOM = "room0@example.com"
SUBJECT = "Meeting with attendee0, attendee1, attendee2"
NEW_SUBJECT = "Meeting with attendee1, attendee2, attendee3"

CREATE = """
<CreateItem xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"
       SendMeetingInvitations="SendToAllAndSaveCopy">
  <SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></SavedItemFolderId>
  <Items>
    <t:CalendarItem>
      <t:Subject>%s</t:Subject>
      <t:Body BodyType="Text">CalendarItem:TextBody</t:Body>
      <t:Start>2026-06-25T10:00:00Z</t:Start>
      <t:End>2026-06-25T11:00:00Z</t:End>
      <t:Location>CalendarItem:Location</t:Location>
      <t:RequiredAttendees>
        <t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:Attendee>
        <t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:Attendee>
      </t:RequiredAttendees>
      <t:OptionalAttendees>
        <t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:Attendee>
      </t:OptionalAttendees>
      <t:Resources>
        <t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:Attendee>
      </t:Resources>
    </t:CalendarItem>
  </Items>
</CreateItem>""" % (SUBJECT, A0, A1, A2, ROOM)

# The walkthrough's UpdateItem, with its unqualified types elements qualified (as published
# it puts ItemChange & co. in the messages namespace, which the schema rejects).
UPDATE = """
<UpdateItem xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"
    ConflictResolution="AlwaysOverwrite"
    SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy">
  <ItemChanges>
    <t:ItemChange>
      <t:ItemId Id="%s" ChangeKey="%s"/>
      <t:Updates>
        <t:SetItemField>
          <t:FieldURI FieldURI="item:Subject"/>
          <t:CalendarItem><t:Subject>%s</t:Subject></t:CalendarItem>
        </t:SetItemField>
        <t:SetItemField>
          <t:FieldURI FieldURI="calendar:RequiredAttendees"/>
          <t:CalendarItem>
            <t:RequiredAttendees>
              <t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox>
              </t:Attendee>
            </t:RequiredAttendees>
          </t:CalendarItem>
        </t:SetItemField>
        <t:AppendToItemField>
          <t:FieldURI FieldURI="calendar:OptionalAttendees"/>
          <t:CalendarItem>
            <t:OptionalAttendees>
              <t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox>
              </t:Attendee>
            </t:OptionalAttendees>
          </t:CalendarItem>
        </t:AppendToItemField>
      </t:Updates>
    </t:ItemChange>
  </ItemChanges>
</UpdateItem>"""


def text(elem, path):
    return elem.findtext(path, namespaces=h.NS)


def attendees(item, tag):
    out = {}
    for att in item.findall("t:%s/t:Attendee" % tag, h.NS):
        out[text(att, "t:Mailbox/t:EmailAddress")] = (
            text(att, "t:ResponseType"), text(att, "t:LastResponseTime"),
            text(att, "t:Mailbox/t:Name"))
    return out


class Walkthrough(h.SimTestCase):
    """Steps run in order (unittest sorts test names); each relies on the ones before."""

    MAILBOXES = (ORG, A0, A1, A2, A3, ROOM)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.state = {}

    def find(self, user, folder, **kw):
        return self.ews[user].find(folder, **kw)

    def classes(self, user, folder):
        return sorted(text(i, "t:ItemClass") for i in self.find(user, folder))

    def test_01_create_meeting(self):
        msgs = self.ews[ORG].ok(CREATE)
        self.assertEqual(len(msgs), 1)
        created = h.items_of(msgs[0])
        self.assertEqual([h.local(e.tag) for e in created], ["CalendarItem"])
        self.state["org_item"] = h.item_id(created[0])

        item = self.ews[ORG].get([self.state["org_item"]])[0]
        self.assertEqual(text(item, "t:ItemClass"), "IPM.Appointment")
        self.assertEqual(text(item, "t:MyResponseType"), "Organizer")
        self.assertEqual(text(item, "t:MeetingRequestWasSent"), "true")
        self.assertEqual(text(item, "t:IsMeeting"), "true")
        self.assertEqual(text(item, "t:CalendarItemType"), "Single")
        self.assertEqual([h.local(e.tag) for e in item.find("t:ResponseObjects", h.NS)],
                         ["CancelCalendarItem", "ForwardItem"])
        self.state["uid"] = text(item, "t:UID")
        self.assertTrue(self.state["uid"])

        # "If you perform a FindItem search in the Calendar, Sent Items, and Inbox folders,
        # the calendar item and meeting request will be available."
        self.assertEqual(self.classes(ORG, "calendar"), ["IPM.Appointment"])
        self.assertEqual(self.classes(ORG, "sentitems"), ["IPM.Schedule.Meeting.Request"])
        self.assertEqual(self.classes(ORG, "inbox"), [])
        sent = self.find(ORG, "sentitems")[0]
        self.assertEqual(text(sent, "t:UID"), self.state["uid"])

        for user in (A0, A1, A2, ROOM):
            inbox = self.find(user, "inbox")
            self.assertEqual(len(inbox), 1, user)
            req = self.ews[user].get([h.item_id(inbox[0])])[0]
            self.assertEqual(h.local(req.tag), "MeetingRequest")
            self.assertEqual(text(req, "t:ItemClass"), "IPM.Schedule.Meeting.Request")
            self.assertEqual(text(req, "t:MeetingRequestType"), "NewMeetingRequest")
            self.assertEqual(text(req, "t:UID"), self.state["uid"])
            self.assertEqual(text(req, "t:Start"), "2026-06-25T10:00:00Z")
            self.assertEqual(text(req, "t:End"), "2026-06-25T11:00:00Z")
            self.assertEqual(text(req, "t:Location"), "CalendarItem:Location")
            self.assertEqual(text(req, "t:Organizer/t:Mailbox/t:EmailAddress"), ORG)
            self.assertEqual(set(attendees(req, "RequiredAttendees")), {A0, A1})
            self.assertEqual(set(attendees(req, "OptionalAttendees")), {A2})
            self.assertEqual(set(attendees(req, "Resources")), {ROOM})
            cal = self.find(user, "calendar")
            self.assertEqual(len(cal), 1, user)
            self.assertEqual(req.find("t:AssociatedCalendarItemId", h.NS).get("Id"),
                             h.item_id(cal[0])[0])
            self.assertEqual(text(cal[0], "t:MyResponseType"), "NoResponseReceived")
            self.assertEqual(text(cal[0], "t:LegacyFreeBusyStatus"), "Tentative")
            self.assertEqual(text(cal[0], "t:UID"), self.state["uid"])
        # attendee3 is not invited yet.
        self.assertEqual(self.find(A3, "inbox"), [])

    def test_02_attendee0_accepts(self):
        inbox = self.find(A0, "inbox")
        cal = self.find(A0, "calendar")
        self.assertEqual((len(inbox), len(cal)), (1, 1))
        req = self.ews[A0].get([h.item_id(inbox[0])])[0]
        # "If a GetItem request is performed on the meeting request, the available response
        # objects will be enumerated."
        objects = [h.local(e.tag) for e in req.find("t:ResponseObjects", h.NS)]
        for name in ("AcceptItem", "TentativelyAcceptItem", "DeclineItem"):
            self.assertIn(name, objects)
        msgs = self.ews[A0].respond("AcceptItem", h.item_id(inbox[0]))
        self.assertEqual(h.code(msgs[0]), "NoError")
        returned = {h.local(e.tag): h.item_id(e) for e in h.items_of(msgs[0])}
        self.assertIn("MeetingRequest", returned)
        self.assertIn("CalendarItem", returned)

        # Calendar: accepted; Inbox: empty; Deleted Items: the request; Sent Items: response.
        cal = self.find(A0, "calendar")
        self.assertEqual(text(cal[0], "t:MyResponseType"), "Accept")
        self.assertEqual(text(cal[0], "t:LegacyFreeBusyStatus"), "Busy")
        self.assertEqual(h.item_id(cal[0])[0], returned["CalendarItem"][0])
        self.assertEqual(self.find(A0, "inbox"), [])
        deleted = self.find(A0, "deleteditems")
        self.assertEqual([text(i, "t:ItemClass") for i in deleted],
                         ["IPM.Schedule.Meeting.Request"])
        self.assertEqual(h.item_id(deleted[0])[0], returned["MeetingRequest"][0])
        self.assertNotEqual(h.item_id(deleted[0])[0], h.item_id(inbox[0])[0])
        self.assertEqual(self.classes(A0, "sentitems"), ["IPM.Schedule.Meeting.Resp.Pos"])
        org_inbox = self.find(ORG, "inbox")
        self.assertEqual([text(i, "t:ItemClass") for i in org_inbox],
                         ["IPM.Schedule.Meeting.Resp.Pos"])
        resp = self.ews[ORG].get([h.item_id(org_inbox[0])])[0]
        self.assertEqual(h.local(resp.tag), "MeetingResponse")
        self.assertEqual(text(resp, "t:From/t:Mailbox/t:EmailAddress"), A0)
        self.assertEqual(text(resp, "t:ResponseType"), "Accept")
        self.assertEqual(resp.find("t:AssociatedCalendarItemId", h.NS).get("Id"),
                         self.state["org_item"][0])

    def test_03_attendee1_tentative_attendee2_declines(self):
        req1 = h.item_id(self.find(A1, "inbox")[0])
        self.assertEqual(h.code(self.ews[A1].respond("TentativelyAcceptItem", req1)[0]),
                         "NoError")
        req2 = h.item_id(self.find(A2, "inbox")[0])
        self.assertEqual(h.code(self.ews[A2].respond("DeclineItem", req2, body="Sorry")[0]),
                         "NoError")
        cal1 = self.find(A1, "calendar")
        self.assertEqual(text(cal1[0], "t:MyResponseType"), "Tentative")
        self.assertEqual(text(cal1[0], "t:LegacyFreeBusyStatus"), "Tentative")
        self.assertEqual(self.find(A2, "calendar"), [])
        self.assertEqual(self.classes(A2, "deleteditems"), ["IPM.Schedule.Meeting.Request"])
        self.assertEqual(self.classes(A2, "sentitems"), ["IPM.Schedule.Meeting.Resp.Neg"])
        self.assertEqual(self.classes(ORG, "inbox"),
                         ["IPM.Schedule.Meeting.Resp.Neg", "IPM.Schedule.Meeting.Resp.Pos",
                          "IPM.Schedule.Meeting.Resp.Tent"])
        decline = [i for i in self.find(ORG, "inbox")
                   if text(i, "t:ItemClass").endswith(".Neg")][0]
        full = self.ews[ORG].get([h.item_id(decline)])[0]
        self.assertEqual(text(full, "t:Body"), "Sorry")
        self.assertTrue(text(full, "t:Subject").startswith("Declined: "))

    def test_04_organizer_checks_responses(self):
        item = self.ews[ORG].get([self.state["org_item"]])[0]
        req = attendees(item, "RequiredAttendees")
        opt = attendees(item, "OptionalAttendees")
        res = attendees(item, "Resources")
        self.assertEqual(req[A0][0], "Accept")
        self.assertEqual(req[A1][0], "Tentative")
        self.assertEqual(opt[A2][0], "Decline")
        for who in (req[A0], req[A1], opt[A2]):
            self.assertRegex(who[1], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(res[ROOM][0], "Unknown")
        self.assertIsNone(res[ROOM][1])
        # Names are resolved from the mailboxes, as in the walkthrough's GetItem response.
        self.assertEqual(req[A0][2], "Attendee 0")
        self.assertEqual(text(item, "t:Organizer/t:Mailbox/t:Name"), "Organizer 0")
        self.assertEqual(text(item, "t:ConflictingMeetingCount"), "0")
        self.assertEqual(text(item, "t:AdjacentMeetingCount"), "0")
        self.state["change_key"] = h.item_id(item)[1]

    def test_05_organizer_updates_meeting(self):
        iid, ck = self.state["org_item"]
        msgs = self.ews[ORG].ok(UPDATE % (iid, ck, NEW_SUBJECT, A0, A3))
        new_id, new_ck = h.item_id(h.items_of(msgs[0])[0])
        self.assertEqual(new_id, iid)
        self.assertNotEqual(new_ck, ck)
        self.assertEqual(msgs[0].findtext("m:ConflictResults/t:Count", namespaces=h.NS), "0")

        item = self.ews[ORG].get([iid])[0]
        self.assertEqual(text(item, "t:Subject"), NEW_SUBJECT)
        self.assertEqual(text(item, "t:AppointmentSequenceNumber"), "1")
        req = attendees(item, "RequiredAttendees")
        opt = attendees(item, "OptionalAttendees")
        self.assertEqual(set(req), {A0})
        self.assertEqual(req[A0][0], "Accept")  # the subject change keeps responses
        self.assertEqual(set(opt), {A2, A3})
        self.assertEqual(opt[A2][0], "Decline")
        self.assertEqual(opt[A3][0], "Unknown")
        self.assertEqual(set(attendees(item, "Resources")), {ROOM})

        # attendee0 gets the update; its acceptance stands.
        a0_inbox = self.ews[A0].get([h.item_id(i) for i in self.find(A0, "inbox")])
        self.assertEqual([text(r, "t:MeetingRequestType") for r in a0_inbox],
                         ["InformationalUpdate"])
        self.assertEqual(text(a0_inbox[0], "t:Subject"), NEW_SUBJECT)
        cal0 = self.find(A0, "calendar")
        self.assertEqual(text(cal0[0], "t:Subject"), NEW_SUBJECT)
        self.assertEqual(text(cal0[0], "t:MyResponseType"), "Accept")
        # attendee3 is invited.
        a3_inbox = self.ews[A3].get([h.item_id(i) for i in self.find(A3, "inbox")])
        self.assertEqual([text(r, "t:MeetingRequestType") for r in a3_inbox],
                         ["NewMeetingRequest"])
        self.assertEqual(text(self.find(A3, "calendar")[0], "t:MyResponseType"),
                         "NoResponseReceived")
        # attendee1 was removed: a cancellation, and its calendar item is cancelled.
        a1_inbox = self.find(A1, "inbox")
        self.assertEqual([text(i, "t:ItemClass") for i in a1_inbox],
                         ["IPM.Schedule.Meeting.Canceled"])
        cal1 = self.find(A1, "calendar")
        self.assertEqual(text(cal1[0], "t:IsCancelled"), "true")
        # room0 and attendee2 hear of the change too (SendToAllAndSaveCopy).
        self.assertEqual(len(self.find(ROOM, "inbox")), 2)
        self.assertEqual(self.classes(A2, "inbox"), ["IPM.Schedule.Meeting.Request"])
        # The organizer keeps copies of everything sent.
        self.assertEqual(self.classes(ORG, "sentitems"),
                         ["IPM.Schedule.Meeting.Canceled", "IPM.Schedule.Meeting.Request",
                          "IPM.Schedule.Meeting.Request"])

    def test_06_attendee1_removes_cancelled_meeting(self):
        found = self.find(A1, "inbox", restriction=(
            '<t:IsEqualTo><t:FieldURI FieldURI="item:ItemClass"/><t:FieldURIOrConstant>'
            '<t:Constant Value="IPM.Schedule.Meeting.Canceled"/></t:FieldURIOrConstant>'
            "</t:IsEqualTo>"))
        self.assertEqual(len(found), 1)
        cancel = self.ews[A1].get([h.item_id(found[0])])[0]
        self.assertEqual(h.local(cancel.tag), "MeetingCancellation")
        self.assertEqual(text(cancel, "t:UID"), self.state["uid"])
        self.assertIn("RemoveItem",
                      [h.local(e.tag) for e in cancel.find("t:ResponseObjects", h.NS)])
        resp = self.ews[A1].call(
            '<m:CreateItem><m:Items><t:RemoveItem><t:ReferenceItemId Id="%s" ChangeKey="%s"/>'
            "</t:RemoveItem></m:Items></m:CreateItem>" % h.item_id(cancel))
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual(self.find(A1, "calendar"), [])
        self.assertEqual(self.find(A1, "inbox"), [])
        self.assertEqual(self.classes(A1, "deleteditems"),
                         ["IPM.Schedule.Meeting.Canceled", "IPM.Schedule.Meeting.Request"])
        self.assertEqual(self.classes(A1, "sentitems"), ["IPM.Schedule.Meeting.Resp.Tent"])

    def test_07_inspection_dump_agrees(self):
        org = self.sim.mailbox(ORG)
        self.assertEqual(len(org["calendar"]), 1)
        meeting = org["calendar"][0]
        self.assertEqual(meeting["id"], self.state["org_item"][0])
        self.assertEqual(meeting["my_response_type"], "Organizer")
        self.assertEqual(meeting["subject"], NEW_SUBJECT)
        roles = {a["address"]: (a["role"], a["response_type"]) for a in meeting["attendees"]}
        self.assertEqual(roles, {A0: ("Required", "Accept"), A2: ("Optional", "Decline"),
                                 A3: ("Optional", "Unknown"), ROOM: ("Resource", "Unknown")})
        a1 = self.sim.mailbox(A1)
        self.assertEqual(a1["calendar"], [])
        self.assertEqual([i["item_class"] for i in a1["deleteditems"]],
                         ["IPM.Schedule.Meeting.Request", "IPM.Schedule.Meeting.Canceled"])
        a0 = self.sim.mailbox(A0)
        requests = a0["deleteditems"] + a0["inbox"]
        self.assertEqual([(r["is_out_of_date"], r["meeting_request_type"]) for r in requests],
                         [(True, "NewMeetingRequest"), (False, "InformationalUpdate")])
        stats = self.sim.stats()
        self.assertEqual(stats["invalid_responses"], 0)
        self.assertGreater(stats["operations"]["CreateItem"], 0)
        self.assertGreater(stats["mailboxes"][A1], 0)

    def test_08_every_item_renders_valid_xml(self):
        h.render_everything(self.sim, [ORG, A0, A1, A2, A3, ROOM])
        self.assertEqual(self.sim.stats()["invalid_responses"], 0)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
