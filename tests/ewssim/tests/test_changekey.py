"""ChangeKeys and conflict resolution, id errors, and updates by organizer and attendee."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG = "org@example.com"
ATT = "att@example.com"
OTHER = "other@example.com"


def set_subject(item, subject, resolution, mode="SendToNone", change_key=True):
    iid, ck = item
    ck_attr = ' ChangeKey="%s"' % ck if change_key else ""
    mode_attr = ' SendMeetingInvitationsOrCancellations="%s"' % mode if mode else ""
    return ('<m:UpdateItem ConflictResolution="%s"%s><m:ItemChanges><t:ItemChange>'
            '<t:ItemId Id="%s"%s/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>%s</t:Subject>'
            "</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges>"
            "</m:UpdateItem>" % (resolution, mode_attr, iid, ck_attr, subject))


def text(elem, path):
    return elem.findtext(path, namespaces=h.NS)


class ChangeKeys(h.SimTestCase):
    MAILBOXES = (ORG, ATT, OTHER)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org, cls.att = cls.ews[ORG], cls.ews[ATT]

    def appointment(self, subject):
        return self.org.create_meeting(subject, "2026-09-01T10:00:00Z", "2026-09-01T11:00:00Z",
                                       send="SendToNone")

    def test_stale_change_key(self):
        first = self.appointment("v1")
        msgs = self.org.ok(set_subject(first, "v2", "NeverOverwrite"))
        second = h.item_id(h.items_of(msgs[0])[0])
        self.assertEqual(second[0], first[0])
        self.assertNotEqual(second[1], first[1])
        for resolution in ("NeverOverwrite", "AutoResolve"):
            with self.subTest(resolution=resolution):
                resp = self.org.call(set_subject(first, "stale", resolution))
                self.assertEqual(resp.codes(), ["ErrorIrresolvableConflict"])
                msg = resp.message()
                self.assertEqual(msg.get("ResponseClass"), "Error")
                self.assertTrue(text(msg, "m:MessageText"))
                self.assertIsNotNone(msg.find("m:Items", h.NS))
                self.assertEqual(text(self.org.get([first])[0], "t:Subject"), "v2")
        msgs = self.org.ok(set_subject(first, "v3", "AlwaysOverwrite"))
        third = h.item_id(h.items_of(msgs[0])[0])
        self.assertNotIn(third[1], (first[1], second[1]))
        got = self.org.get([first])[0]
        self.assertEqual(text(got, "t:Subject"), "v3")
        self.assertEqual(h.item_id(got)[1], third[1])
        # Without a ChangeKey there is nothing to conflict with.
        self.org.ok(set_subject(first, "v4", "NeverOverwrite", change_key=False))

    def test_change_key_changes_on_every_modification(self):
        item = self.appointment("ck")
        keys = {item[1]}
        for n in range(3):
            msgs = self.org.ok(set_subject(item, "ck %d" % n, "AlwaysOverwrite"))
            item = h.item_id(h.items_of(msgs[0])[0])
            keys.add(item[1])
        self.assertEqual(len(keys), 4)

    def test_calendar_update_needs_send_mode(self):
        item = self.appointment("mode")
        resp = self.org.call(set_subject(item, "x", "AlwaysOverwrite", mode=None))
        self.assertEqual(resp.codes(), ["ErrorSendMeetingInvitationsOrCancellationsRequired"])

    def test_ids(self):
        item = self.appointment("ids")
        resp = self.org.call(
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            '<t:ItemId Id="AAMkA"/><t:ItemId Id="not base64 at all"/>'
            '<t:ItemId Id="AAMkADEzOTExYjJkLTYz"/><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>'
            % item[0])
        self.assertEqual(resp.codes(), ["ErrorInvalidIdMalformed", "ErrorInvalidIdMalformed",
                                        "ErrorInvalidIdMalformed", "NoError"])
        # A well-formed id the store no longer knows: the item was deleted.
        self.org.ok('<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone">'
                    '<m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>' % item[0])
        resp = self.org.call(
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            '<t:ItemId Id="%s"/></m:ItemIds></m:GetItem>' % item[0])
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        # Moving changes the id (MoveToDeletedItems): the old one is unknown.
        moved = self.appointment("moved")
        self.org.ok('<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations='
                    '"SendToNone"><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>'
                    % moved[0])
        resp = self.org.call(
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            '<t:ItemId Id="%s"/></m:ItemIds></m:GetItem>' % moved[0])
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        deleted = [i for i in self.org.find("deleteditems", shape="Default")
                   if text(i, "t:Subject") == "moved"]
        self.assertEqual(len(deleted), 1)
        self.assertNotEqual(h.item_id(deleted[0])[0], moved[0])

    def test_other_mailboxes_items_are_not_found(self):
        item = self.appointment("private")
        other = h.Ews(self.sim, OTHER)
        resp = other.call(
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            '<t:ItemId Id="%s"/></m:ItemIds></m:GetItem>' % item[0])
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        resp = other.call(set_subject(item, "hijack", "AlwaysOverwrite"))
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        self.assertEqual(text(self.org.get([item])[0], "t:Subject"), "private")

    def test_attendee_rewrites_its_own_copy(self):
        meeting = self.org.create_meeting("Original", "2026-10-01T10:00:00Z",
                                          "2026-10-01T11:00:00Z", required=[ATT],
                                          body="organizer's body")
        cal = [i for i in self.att.find("calendar") if text(i, "t:Subject") == "Original"][0]
        org_inbox_before = len(self.org.find("inbox"))
        org_ck = h.item_id(self.org.get([meeting])[0])[1]
        iid, ck = h.item_id(cal)
        msgs = self.att.ok(
            '<m:UpdateItem ConflictResolution="NeverOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges>'
            '<t:ItemChange><t:ItemId Id="%s" ChangeKey="%s"/><t:Updates>'
            '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem>'
            "<t:Subject>Mine</t:Subject></t:CalendarItem></t:SetItemField>"
            '<t:SetItemField><t:FieldURI FieldURI="item:Body"/><t:CalendarItem>'
            '<t:Body BodyType="Text">private notes</t:Body></t:CalendarItem></t:SetItemField>'
            '<t:SetItemField><t:FieldURI FieldURI="item:Sensitivity"/><t:CalendarItem>'
            "<t:Sensitivity>Private</t:Sensitivity></t:CalendarItem></t:SetItemField>"
            "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>" % (iid, ck))
        self.assertNotEqual(h.item_id(h.items_of(msgs[0])[0])[1], ck)
        got = self.att.get([iid])[0]
        self.assertEqual((text(got, "t:Subject"), text(got, "t:Body"),
                          text(got, "t:Sensitivity")), ("Mine", "private notes", "Private"))
        self.assertEqual(text(got, "t:MyResponseType"), "NoResponseReceived")
        # Nothing was sent: the organizer's inbox and item are as they were.
        self.assertEqual(len(self.org.find("inbox")), org_inbox_before)
        org_item = self.org.get([meeting])[0]
        self.assertEqual(text(org_item, "t:Subject"), "Original")
        self.assertEqual(h.item_id(org_item)[1], org_ck)
        # Read-only properties are refused.
        resp = self.att.call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange>'
            '<t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="calendar:MyResponseType"/><t:CalendarItem>'
            "<t:MyResponseType>Accept</t:MyResponseType></t:CalendarItem></t:SetItemField>"
            "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>" % iid)
        self.assertEqual(resp.codes(), ["ErrorInvalidPropertySet"])

    def test_failed_change_leaves_item_untouched(self):
        item = self.appointment("atomic")
        resp = self.org.call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange>'
            '<t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>changed'
            "</t:Subject></t:CalendarItem></t:SetItemField><t:SetItemField>"
            '<t:FieldURI FieldURI="calendar:End"/><t:CalendarItem>'
            "<t:End>2026-08-01T00:00:00Z</t:End></t:CalendarItem></t:SetItemField></t:Updates>"
            "</t:ItemChange></m:ItemChanges></m:UpdateItem>" % item[0])
        self.assertEqual(resp.codes(), ["ErrorCalendarEndDateIsEarlierThanStartDate"])
        got = self.org.get([item])[0]
        self.assertEqual(text(got, "t:Subject"), "atomic")
        self.assertEqual(h.item_id(got)[1], item[1])


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
