"""Answering a meeting request that a later update or a cancellation superseded."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG = "org@example.com"
ATT = "att@example.com"


def text(elem, path):
    return elem.findtext(path, namespaces=h.NS)


def move_meeting(ews, item, start, end, mode="SendToAllAndSaveCopy"):
    iid, ck = item
    return ews.ok(
        '<m:UpdateItem ConflictResolution="NeverOverwrite" '
        'SendMeetingInvitationsOrCancellations="%s"><m:ItemChanges><t:ItemChange>'
        '<t:ItemId Id="%s" ChangeKey="%s"/><t:Updates><t:SetItemField>'
        '<t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>%s</t:Start>'
        '</t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:End"/>'
        "<t:CalendarItem><t:End>%s</t:End></t:CalendarItem></t:SetItemField></t:Updates>"
        "</t:ItemChange></m:ItemChanges></m:UpdateItem>" % (mode, iid, ck, start, end))


class OutOfDate(h.SimTestCase):
    MAILBOXES = (ORG, ATT)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org, cls.att = cls.ews[ORG], cls.ews[ATT]

    def requests(self, subject):
        items = self.att.get([h.item_id(i) for i in self.att.find("inbox")])
        return [i for i in items if h.local(i.tag) == "MeetingRequest"
                and text(i, "t:Subject") == subject]

    def test_superseded_request_is_out_of_date(self):
        item = self.org.create_meeting("Moved", "2026-07-01T10:00:00Z", "2026-07-01T11:00:00Z",
                                       required=[ATT])
        old = self.requests("Moved")
        self.assertEqual(len(old), 1)
        org_inbox = len(self.org.find("inbox"))
        msgs = move_meeting(self.org, item, "2026-07-02T10:00:00Z", "2026-07-02T11:00:00Z")
        self.assertEqual(h.code(msgs[0]), "NoError")
        reqs = {h.item_id(r)[0]: r for r in self.requests("Moved")}
        self.assertEqual(len(reqs), 2)
        stale = reqs[h.item_id(old[0])[0]]
        fresh = [r for k, r in reqs.items() if k != h.item_id(old[0])[0]][0]
        self.assertEqual(text(stale, "t:IsOutOfDate"), "true")
        self.assertEqual(text(fresh, "t:IsOutOfDate"), "false")
        self.assertEqual(text(fresh, "t:MeetingRequestType"), "FullUpdate")
        self.assertEqual(text(fresh, "t:Start"), "2026-07-02T10:00:00Z")
        # The out-of-date request no longer offers Accept/Tentative/Decline ...
        objects = [h.local(e.tag) for e in stale.find("t:ResponseObjects", h.NS)]
        self.assertNotIn("AcceptItem", objects)
        # ... and answering it is refused, for each response kind.
        for kind in ("AcceptItem", "TentativelyAcceptItem", "DeclineItem"):
            with self.subTest(kind=kind):
                msgs = self.att.respond(kind, h.item_id(stale))
                self.assertEqual(h.code(msgs[0]), "ErrorCalendarMeetingRequestIsOutOfDate")
                self.assertEqual(msgs[0].get("ResponseClass"), "Error")
        # Nothing changed: still tentative, no response reached the organizer.
        cal = [i for i in self.att.find("calendar") if text(i, "t:Subject") == "Moved"][0]
        self.assertEqual(text(cal, "t:MyResponseType"), "NoResponseReceived")
        self.assertEqual(text(cal, "t:Start"), "2026-07-02T10:00:00Z")
        self.assertEqual(len(self.org.find("inbox")), org_inbox)
        # The current request can be answered.
        self.assertEqual(h.code(self.att.respond("AcceptItem", h.item_id(fresh))[0]),
                         "NoError")
        org_item = self.org.get([item])[0]
        self.assertEqual(text(org_item, "t:RequiredAttendees/t:Attendee/t:ResponseType"),
                         "Accept")

    def test_time_change_resets_answers_subject_change_keeps_them(self):
        item = self.org.create_meeting("Kept", "2026-07-10T10:00:00Z", "2026-07-10T11:00:00Z",
                                       required=[ATT])
        req = self.requests("Kept")[0]
        self.att.respond("AcceptItem", h.item_id(req))
        item = h.item_id(self.org.get([item])[0])
        move_meeting(self.org, item, "2026-07-10T12:00:00Z", "2026-07-10T13:00:00Z")
        cal = [i for i in self.att.find("calendar") if text(i, "t:Subject") == "Kept"][0]
        self.assertEqual(text(cal, "t:MyResponseType"), "NoResponseReceived")
        org_item = self.org.get([item])[0]
        self.assertEqual(text(org_item, "t:RequiredAttendees/t:Attendee/t:ResponseType"),
                         "Unknown")

    def test_request_after_cancellation(self):
        item = self.org.create_meeting("Doomed", "2026-07-20T10:00:00Z",
                                       "2026-07-20T11:00:00Z", required=[ATT])
        req = self.requests("Doomed")[0]
        resp = self.org.call(
            '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem>'
            '<t:ReferenceItemId Id="%s"/><t:NewBodyContent BodyType="Text">Sorry'
            "</t:NewBodyContent></t:CancelCalendarItem></m:Items></m:CreateItem>" % item[0])
        self.assertEqual(resp.codes(), ["NoError"])
        msgs = self.att.respond("AcceptItem", h.item_id(req))
        self.assertEqual(h.code(msgs[0]), "ErrorCalendarMeetingRequestIsOutOfDate")
        cal = [i for i in self.att.find("calendar") if "Doomed" in text(i, "t:Subject")][0]
        self.assertEqual(text(cal, "t:IsCancelled"), "true")
        msgs = self.att.respond("DeclineItem", h.item_id(cal))
        self.assertEqual(h.code(msgs[0]), "ErrorCalendarIsCancelledForDecline")

    def test_answering_through_the_calendar_item(self):
        self.org.create_meeting("Via calendar", "2026-07-25T10:00:00Z", "2026-07-25T11:00:00Z",
                                required=[ATT])
        cal = [i for i in self.att.find("calendar") if text(i, "t:Subject") == "Via calendar"]
        msgs = self.att.respond("TentativelyAcceptItem", h.item_id(cal[0]))
        self.assertEqual(h.code(msgs[0]), "NoError")
        self.assertEqual(self.requests("Via calendar"), [])  # the request was filed away
        deleted = [i for i in self.att.find("deleteditems")
                   if text(i, "t:Subject") == "Via calendar"]
        self.assertEqual(len(deleted), 1)
        # The organizer cannot answer its own meeting.
        org_cal = [i for i in self.org.find("calendar")
                   if text(i, "t:Subject") == "Via calendar"][0]
        msgs = self.org.respond("AcceptItem", h.item_id(org_cal))
        self.assertEqual(h.code(msgs[0]), "ErrorCalendarIsOrganizerForAccept")


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
