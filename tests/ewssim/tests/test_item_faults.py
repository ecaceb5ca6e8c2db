"""Per-item faults (item_faults.py): in a batched CreateItem or UpdateItem the item whose
subject matches fails alone, with the code asked for, and the others are processed; a fault
naming another operation (GetItem) fails the item there; the code Client refuses the whole
request, nothing done. Every answer valid against the schema (the harness runs the simulator
with --validate)."""

import json
import os
import sys
import unittest
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG, ROOM = "organizer@example.com", "room@example.com"


class ItemFaults(h.SimTestCase):
    MAILBOXES = (ORG, ROOM)

    def set(self, specs):
        resp = self.sim.request("POST", "/sim/item-faults", "\n".join(specs).encode())
        return resp.status, json.loads(resp.body)

    def tearDown(self):
        self.set([])

    def requests(self, prefix):
        return [i for i in self.sim.mailbox(ROOM)["inbox"]
                if i["kind"] == "MeetingRequest" and i["subject"].startswith(prefix)]

    def invite(self, prefix, n):
        for i in range(n):
            day = "2030-01-%02dT" % (i + 1)
            self.ews[ORG].create_meeting("%s %d" % (prefix, i), day + "09:00:00Z",
                                         day + "10:00:00Z", resources=[ROOM])
        return sorted(self.requests(prefix), key=lambda r: r["subject"])

    def test_a_batched_create_item_fails_one_item_alone(self):
        reqs = self.invite("Accept", 3)
        status, specs = self.set(["ErrorInvalidRecipients@CreateItem:Accept 1"])
        self.assertEqual(status, 200)
        self.assertEqual(specs[0]["operation"], "CreateItem")
        items = "".join('<t:AcceptItem><t:ReferenceItemId Id="%s"/></t:AcceptItem>'
                        % escape(r["id"]) for r in reqs)
        msgs = self.ews[ROOM].call('<m:CreateItem MessageDisposition="SendAndSaveCopy">'
                                   "<m:Items>%s</m:Items></m:CreateItem>" % items).messages()
        self.assertEqual([h.code(m) for m in msgs],
                         ["NoError", "ErrorInvalidRecipients", "NoError"])
        left = [r["subject"] for r in self.requests("Accept")]
        self.assertEqual(left, ["Accept 1"], "the two others were answered (and moved)")
        _, specs = self.set(["ErrorInvalidRecipients@CreateItem:Accept 1"])
        self.assertEqual(specs[0]["hits"], 0)

    def test_a_batched_update_item_fails_one_change_alone(self):
        reqs = self.invite("Update", 2)
        for r in reqs:
            self.ews[ROOM].respond("AcceptItem", r["id"])
        cal = sorted((i for i in self.sim.mailbox(ROOM)["calendar"]
                      if i["subject"].startswith("Update")), key=lambda c: c["subject"])
        self.set(["ErrorInvalidOperation@UpdateItem:Update 0"])
        changes = "".join(
            '<t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Renamed %d'
            "</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange>"
            % (escape(c["id"]), i) for i, c in enumerate(cal))
        msgs = self.ews[ROOM].call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges>%s'
            "</m:ItemChanges></m:UpdateItem>" % changes).messages()
        self.assertEqual([h.code(m) for m in msgs], ["ErrorInvalidOperation", "NoError"])
        subjects = sorted(i["subject"] for i in self.sim.mailbox(ROOM)["calendar"])
        self.assertIn("Update 0", subjects)
        self.assertIn("Renamed 1", subjects)

    def test_a_get_item_fails_one_item_alone(self):
        reqs = self.invite("Get", 2)
        self.set(["ErrorAccessDenied@GetItem:Get 0"])
        ids = "".join('<t:ItemId Id="%s"/>' % escape(r["id"]) for r in reqs)
        msgs = self.ews[ROOM].call(
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
            "<m:ItemIds>%s</m:ItemIds></m:GetItem>" % ids).messages()
        self.assertEqual([h.code(m) for m in msgs], ["ErrorAccessDenied", "NoError"])

    def test_client_refuses_the_whole_request(self):
        reqs = self.invite("Refused", 2)
        status, _ = self.set(["Client@CreateItem:Refused 1"])
        self.assertEqual(status, 200)
        items = "".join('<t:AcceptItem><t:ReferenceItemId Id="%s"/></t:AcceptItem>'
                        % escape(r["id"]) for r in reqs)
        resp = self.ews[ROOM].call('<m:CreateItem MessageDisposition="SendAndSaveCopy">'
                                   "<m:Items>%s</m:Items></m:CreateItem>" % items,
                                   expect_status=None)
        self.assertIsNotNone(resp.fault)
        self.assertIn(b"Client", resp.body)
        self.assertEqual(len(self.requests("Refused")), 2, "nothing was answered")

    def test_specs_are_checked_against_the_schema(self):
        for bad in ("NoError:x", "ErrorMadeUp:x", "ErrorInvalidOperation", ":x",
                    "ErrorInvalidOperation@FindItem:x", "Client@Nothing:x"):
            status, body = self.set([bad])
            self.assertEqual(status, 400, bad)
            self.assertIn("error", body)


if __name__ == "__main__":
    unittest.main()
