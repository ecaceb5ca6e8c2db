"""Meeting operations beyond the walkthrough: send modes, dispositions, cancelling and
deleting meetings, RemoveItem misuse, attendees outside the simulator."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG = "org@example.com"
A = "a@example.com"
B = "b@example.com"
EXTERNAL = "someone@elsewhere.example"
MAILBOXES = [ORG, A, B]


def text(elem, path):
    return elem.findtext(path, namespaces=h.NS)


class Meetings(h.SimTestCase):
    MAILBOXES = MAILBOXES

    def update(self, user, item, mode, updates, resolution="AlwaysOverwrite"):
        return self.ews[user].call(
            '<m:UpdateItem ConflictResolution="%s" SendMeetingInvitationsOrCancellations="%s">'
            '<m:ItemChanges><t:ItemChange><t:ItemId Id="%s"/><t:Updates>%s</t:Updates>'
            "</t:ItemChange></m:ItemChanges></m:UpdateItem>"
            % (resolution, mode, item[0], updates))

    def test_send_to_none_then_send_later(self):
        item = self.ews[ORG].create_meeting("Quiet", "2026-08-01T10:00:00Z",
                                            "2026-08-01T11:00:00Z", required=[A],
                                            send="SendToNone")
        got = self.ews[ORG].get([item])[0]
        self.assertEqual(text(got, "t:MeetingRequestWasSent"), "false")
        self.assertEqual(self.dump(A, "inbox", "Quiet"), [])
        self.assertEqual(self.dump(A, "calendar", "Quiet"), [])
        resp = self.update(ORG, item, "SendOnlyToAll",
                           '<t:SetItemField><t:FieldURI FieldURI="calendar:Location"/>'
                           "<t:CalendarItem><t:Location>Room 1</t:Location></t:CalendarItem>"
                           "</t:SetItemField>")
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual(len(self.dump(A, "inbox", "Quiet")), 1)
        self.assertEqual(self.dump(A, "calendar", "Quiet")[0]["location"], "Room 1")
        self.assertEqual(self.dump(ORG, "sentitems", "Quiet"), [])  # SendOnlyToAll: no copy

    def test_send_only_to_changed(self):
        item = self.ews[ORG].create_meeting("Changed", "2026-08-02T10:00:00Z",
                                            "2026-08-02T11:00:00Z", required=[A],
                                            send="SendOnlyToAll")
        self.assertEqual(self.dump(ORG, "sentitems", "Changed"), [])
        # Adding B only tells B.
        resp = self.update(ORG, item, "SendToChangedAndSaveCopy",
                           '<t:AppendToItemField><t:FieldURI FieldURI="calendar:RequiredAttendees"'
                           '/><t:CalendarItem><t:RequiredAttendees><t:Attendee><t:Mailbox>'
                           "<t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:Attendee>"
                           "</t:RequiredAttendees></t:CalendarItem></t:AppendToItemField>" % B)
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual(len(self.dump(A, "inbox", "Changed")), 1)
        self.assertEqual([i["meeting_request_type"] for i in self.dump(B, "inbox", "Changed")],
                         ["NewMeetingRequest"])
        self.assertEqual(len(self.dump(ORG, "sentitems", "Changed")), 1)
        # A new location concerns everyone.
        resp = self.update(ORG, item, "SendOnlyToChanged",
                           '<t:SetItemField><t:FieldURI FieldURI="calendar:Location"/>'
                           "<t:CalendarItem><t:Location>Elsewhere</t:Location></t:CalendarItem>"
                           "</t:SetItemField>")
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual([i["meeting_request_type"] for i in self.dump(A, "inbox", "Changed")],
                         ["NewMeetingRequest", "InformationalUpdate"])
        self.assertEqual(len(self.dump(B, "inbox", "Changed")), 2)

    def test_response_dispositions(self):
        item = self.ews[ORG].create_meeting("Dispositions", "2026-08-03T10:00:00Z",
                                            "2026-08-03T11:00:00Z", required=[A, B])
        # SaveOnly: the attendee's calendar changes, a draft is kept, nothing is sent.
        req = [i for i in self.ews[A].find("inbox")
               if text(i, "t:Subject") == "Dispositions"][0]
        msgs = self.ews[A].respond("AcceptItem", h.item_id(req), disposition="SaveOnly")
        kinds = [h.local(e.tag) for e in h.items_of(msgs[0])]
        self.assertEqual(kinds, ["CalendarItem", "MeetingRequest", "MeetingResponse"])
        self.assertEqual(self.dump(A, "calendar", "Dispositions")[0]["my_response_type"],
                         "Accept")
        drafts = self.dump(A, "drafts", "Dispositions")
        self.assertEqual([d["item_class"] for d in drafts], ["IPM.Schedule.Meeting.Resp.Pos"])
        self.assertEqual(self.dump(ORG, "inbox", "Dispositions"), [])
        org_item = self.sim.mailbox(ORG)["calendar"]
        tracked = [a for i in org_item if i["subject"] == "Dispositions"
                   for a in i["attendees"] if a["address"] == A][0]
        self.assertEqual(tracked["response_type"], "Unknown")
        # SendOnly: sent, no copy in Sent Items.
        req = [i for i in self.ews[B].find("inbox")
               if text(i, "t:Subject") == "Dispositions"][0]
        self.ews[B].respond("DeclineItem", h.item_id(req), disposition="SendOnly")
        self.assertEqual(self.dump(B, "sentitems", "Dispositions"), [])
        self.assertEqual([i["item_class"] for i in self.dump(ORG, "inbox", "Dispositions")],
                         ["IPM.Schedule.Meeting.Resp.Neg"])
        got = self.ews[ORG].get([item])[0]
        responses = {text(a, "t:Mailbox/t:EmailAddress"): text(a, "t:ResponseType")
                     for a in got.findall("t:RequiredAttendees/t:Attendee", h.NS)}
        self.assertEqual(responses, {A: "Unknown", B: "Decline"})

    def test_cancel_calendar_item(self):
        item = self.ews[ORG].create_meeting("Cancelled", "2026-08-04T10:00:00Z",
                                            "2026-08-04T11:00:00Z", required=[A, B])
        resp = self.ews[ORG].call(
            '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem>'
            '<t:ReferenceItemId Id="%s" ChangeKey="%s"/><t:NewBodyContent BodyType="HTML">'
            "Called off.</t:NewBodyContent></t:CancelCalendarItem></m:Items></m:CreateItem>"
            % item)
        self.assertEqual(resp.codes(), ["NoError"])
        returned = h.items_of(resp.message())
        self.assertEqual([h.local(e.tag) for e in returned], ["CalendarItem"])
        self.assertEqual(self.dump(ORG, "calendar", "Cancelled"), [])
        moved = self.dump(ORG, "deleteditems", "Cancelled")
        self.assertEqual(moved[0]["id"], h.item_id(returned[0])[0])
        self.assertTrue(moved[0]["is_cancelled"])
        for user in (A, B):
            cancellations = [i for i in self.dump(user, "inbox", "Cancelled")
                             if i["kind"] == "MeetingCancellation"]
            self.assertEqual(len(cancellations), 1)
            self.assertEqual(cancellations[0]["body"], "Called off.")
            self.assertEqual(cancellations[0]["item_class"], "IPM.Schedule.Meeting.Canceled")
            self.assertTrue(self.dump(user, "calendar", "Cancelled")[0]["is_cancelled"])
        self.assertEqual([i["kind"] for i in self.dump(ORG, "sentitems", "Cancelled")],
                         ["MeetingRequest", "MeetingCancellation"])
        # Only the organizer can cancel; an attendee's copy is refused.
        cal = [i for i in self.ews[A].find("calendar") if "Cancelled" in text(i, "t:Subject")]
        resp = self.ews[A].call(
            '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem>'
            '<t:ReferenceItemId Id="%s"/></t:CancelCalendarItem></m:Items></m:CreateItem>'
            % h.item_id(cal[0])[0])
        self.assertEqual(resp.codes(), ["ErrorCalendarIsNotOrganizer"])
        # RemoveItem wants a cancellation, not a calendar item.
        resp = self.ews[A].call(
            "<m:CreateItem><m:Items><t:RemoveItem><t:ReferenceItemId Id=\"%s\"/></t:RemoveItem>"
            "</m:Items></m:CreateItem>" % h.item_id(cal[0])[0])
        self.assertEqual(resp.codes(), ["ErrorInvalidItemForOperationRemoveItem"])

    def test_delete_item_on_meetings(self):
        ews = self.ews[ORG]
        loud = ews.create_meeting("Deleted loud", "2026-08-05T10:00:00Z", "2026-08-05T11:00:00Z",
                                  required=[A])
        quiet = ews.create_meeting("Deleted quiet", "2026-08-05T12:00:00Z",
                                   "2026-08-05T13:00:00Z", required=[A])
        resp = ews.call('<m:DeleteItem DeleteType="MoveToDeletedItems"><m:ItemIds>'
                        '<t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>' % loud[0])
        self.assertEqual(resp.codes(), ["ErrorSendMeetingCancellationsRequired"])
        resp = ews.call('<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations='
                        '"SendToAllAndSaveCopy"><m:ItemIds><t:ItemId Id="%s"/>'
                        '<t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>' % (loud[0], loud[0]))
        self.assertEqual(resp.codes(), ["NoError", "ErrorItemNotFound"])
        self.assertEqual(len(self.dump(ORG, "deleteditems", "Deleted loud")), 1)
        self.assertEqual([i["kind"] for i in self.dump(A, "inbox", "Deleted loud")],
                         ["MeetingRequest", "MeetingCancellation"])
        self.assertEqual([i["kind"] for i in self.dump(ORG, "sentitems", "Deleted loud")],
                         ["MeetingRequest", "MeetingCancellation"])
        resp = ews.call('<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations='
                        '"SendToNone"><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>'
                        % quiet[0])
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual(self.dump(ORG, "deleteditems", "Deleted quiet"), [])
        self.assertEqual(self.dump(ORG, "calendar", "Deleted quiet"), [])
        self.assertEqual([i["kind"] for i in self.dump(A, "inbox", "Deleted quiet")],
                         ["MeetingRequest"])
        self.assertFalse(self.dump(A, "calendar", "Deleted quiet")[0]["is_cancelled"])

    def test_attendees_outside_the_simulator(self):
        ews = self.ews[ORG]
        item = ews.create_meeting("Mixed", "2026-08-06T10:00:00Z", "2026-08-06T11:00:00Z",
                                  required=[A, EXTERNAL])
        got = ews.get([item])[0]
        addresses = [text(a, "t:Mailbox/t:EmailAddress")
                     for a in got.findall("t:RequiredAttendees/t:Attendee", h.NS)]
        self.assertEqual(addresses, [A, EXTERNAL])
        self.assertEqual(len(self.dump(A, "inbox", "Mixed")), 1)
        sent = self.dump(ORG, "sentitems", "Mixed")
        self.assertEqual(sorted(p["address"] for p in sent[0]["to"]), sorted([A, EXTERNAL]))

    def test_plain_messages(self):
        self.ews[A].ok(
            '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:Message>'
            "<t:Subject>Note</t:Subject><t:Body BodyType=\"Text\">hi</t:Body><t:ToRecipients>"
            "<t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:ToRecipients>"
            "</t:Message></m:Items></m:CreateItem>" % B)
        self.assertEqual([i["kind"] for i in self.dump(B, "inbox", "Note")], ["Message"])
        self.assertEqual([i["kind"] for i in self.dump(A, "sentitems", "Note")], ["Message"])
        msgs = self.ews[A].ok(
            '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
            "<t:Subject>Draft note</t:Subject></t:Message></m:Items></m:CreateItem>")
        self.assertEqual([h.local(e.tag) for e in h.items_of(msgs[0])], ["Message"])
        self.assertEqual(len(self.dump(A, "drafts", "Draft note")), 1)

    def test_zz_every_item_renders_valid_xml(self):
        h.render_everything(self.sim, MAILBOXES)
        self.assertEqual(self.sim.stats()["invalid_responses"], 0)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
