"""SyncFolderItems on the simulator: opaque states, Create / Update / ReadFlagChange /
Delete, MaxChangesReturned paging, invalid and too-old states, a server without the
operation, and the cost of an idle sync on a 5,000-item Inbox. Every request and response
is validated against the schema (Sim.stop() fails on an invalid response)."""

import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402
from simharness import NS  # noqa: E402

h.skip_without_schema()

ORG = "organizer@example.com"
ROOM = "room1@example.com"


def sync_xml(folder="inbox", state=None, max_changes=512, shape="IdOnly", ignore=()):
    xml = ("<m:SyncFolderItems><m:ItemShape><t:BaseShape>%s</t:BaseShape></m:ItemShape>"
           '<m:SyncFolderId><t:DistinguishedFolderId Id="%s"/></m:SyncFolderId>'
           % (shape, folder))
    if state is not None:
        xml += "<m:SyncState>%s</m:SyncState>" % state
    if ignore:
        xml += "<m:Ignore>%s</m:Ignore>" % "".join('<t:ItemId Id="%s"/>' % i for i in ignore)
    return xml + "<m:MaxChangesReturned>%d</m:MaxChangesReturned></m:SyncFolderItems>" % (
        max_changes)


class Sync:
    """The answer of one SyncFolderItems: state, last-in-range flag, [(kind, id, elem)]."""

    def __init__(self, resp):
        self.resp = resp
        msg = resp.message()
        self.code = h.code(msg)
        self.state = msg.findtext("m:SyncState", namespaces=NS)
        self.last = msg.findtext("m:IncludesLastItemInRange", namespaces=NS) == "true"
        self.changes = []
        for change in msg.findall("m:Changes/*", NS):
            kind = h.local(change.tag)
            iid = change.find(".//t:ItemId", NS)
            self.changes.append((kind, iid.get("Id"), change))

    def kinds(self):
        return [(k, i) for k, i, _ in self.changes]


class SyncCalls:
    """Syncing the Inbox of a test class's simulator."""
    MAILBOXES = (ORG, ROOM)

    def sync(self, user=ROOM, **kw):
        return Sync(self.ews[user].call(sync_xml(**kw)))

    def drain(self, user=ROOM, folder="inbox", state=None):
        """Sync until IncludesLastItemInRange; (state, [(kind, id)])."""
        seen = []
        while True:
            s = self.sync(user, folder=folder, state=state)
            self.assertEqual(s.code, "NoError")
            seen += s.kinds()
            state = s.state
            if s.last:
                return state, seen

    def invite(self, subject):
        self.ews[ORG].create_meeting(subject, "2031-03-03T10:00:00Z", "2031-03-03T11:00:00Z",
                                     required=[ROOM])
        return [i for i in self.dump(ROOM, "inbox", subject)][-1]


class SyncFolderItemsTest(SyncCalls, h.SimTestCase):
    def test_first_sync_creates_then_idle_sync_is_empty(self):
        state, _ = self.drain()
        request = self.invite("sync first")
        s = self.sync(state=state, shape="Default")
        self.assertEqual(s.code, "NoError")
        self.assertEqual(s.kinds(), [("Create", request["id"])])
        self.assertEqual(h.local(s.changes[0][2][0].tag), "MeetingRequest")
        self.assertTrue(s.last)
        idle = self.sync(state=s.state)
        self.assertEqual(idle.kinds(), [])
        self.assertTrue(idle.last)
        # The same state twice gets the same answer (a client may retry).
        again = self.sync(state=state, shape="Default")
        self.assertEqual(again.kinds(), s.kinds())

    def test_update_read_flag_change_and_delete(self):
        request = self.invite("sync changes")
        state, _ = self.drain()
        ck = self.dump(ROOM, "inbox", "sync changes")[-1]["change_key"]
        self.ews[ROOM].ok(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly">'
            '<m:ItemChanges><t:ItemChange><t:ItemId Id="%s" ChangeKey="%s"/><t:Updates>'
            '<t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message>'
            "<t:IsRead>true</t:IsRead></t:Message></t:SetItemField></t:Updates></t:ItemChange>"
            "</m:ItemChanges></m:UpdateItem>" % (request["id"], ck))
        s = self.sync(state=state)
        self.assertEqual(s.kinds(), [("ReadFlagChange", request["id"])])
        self.assertEqual(s.changes[0][2].findtext("t:IsRead", namespaces=NS), "true")
        self.ews[ROOM].ok(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly">'
            '<m:ItemChanges><t:ItemChange><t:ItemId Id="%s"/><t:Updates>'
            '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message>'
            "<t:Subject>sync changes, renamed</t:Subject></t:Message></t:SetItemField>"
            "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>" % request["id"])
        s2 = self.sync(state=s.state)
        self.assertEqual(s2.kinds(), [("Update", request["id"])])
        # Answering the request moves it to Deleted Items: a Delete in the Inbox, and a
        # Create in the Calendar for the tentative item's acceptance is already there.
        self.ews[ROOM].respond("AcceptItem", request["id"])
        s3 = self.sync(state=s2.state)
        self.assertEqual(s3.kinds(), [("Delete", request["id"])])
        self.assertEqual(self.sync(state=s3.state).kinds(), [])

    def test_item_created_and_gone_between_syncs_is_not_reported(self):
        state, _ = self.drain()
        request = self.invite("sync come and go")
        self.ews[ROOM].ok('<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>'
                          '<t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>' % request["id"])
        self.assertEqual(self.sync(state=state).kinds(), [])

    def test_max_changes_returned_pages_in_order(self):
        state, _ = self.drain()
        ids = [self.invite("sync page %d" % i)["id"] for i in range(5)]
        s = self.sync(state=state, max_changes=2)
        self.assertFalse(s.last)
        got = [i for _, i in s.kinds()]
        while not s.last:
            s = self.sync(state=s.state, max_changes=2)
            got += [i for _, i in s.kinds()]
        self.assertEqual(got, ids)
        self.assertEqual(self.sync(state=s.state).kinds(), [])

    def test_ignore_leaves_an_item_out(self):
        state, _ = self.drain()
        a = self.invite("sync ignore a")["id"]
        b = self.invite("sync ignore b")["id"]
        self.assertEqual(self.sync(state=state, ignore=[a]).kinds(), [("Create", b)])

    def test_calendar_syncs_too(self):
        state, _ = self.drain(folder="calendar")
        self.invite("sync calendar")
        s = self.sync(folder="calendar", state=state, shape="Default")
        self.assertEqual([k for k, _ in s.kinds()], ["Create"])
        self.assertEqual(h.local(s.changes[0][2][0].tag), "CalendarItem")

    def test_corrupted_and_foreign_states_are_invalid(self):
        state, _ = self.drain()
        raw = bytearray(base64.b64decode(state))
        raw[-12] ^= 1
        for bad in (base64.b64encode(bytes(raw)).decode(), "not base64!", "AAAA"):
            s = self.sync(state=bad)
            self.assertEqual(s.code, "ErrorInvalidSyncStateData", bad)
        # A state of one folder is not a state of another.
        self.assertEqual(self.sync(folder="calendar", state=state).code,
                         "ErrorInvalidSyncStateData")
        # Nor of another mailbox's Inbox.
        self.assertEqual(self.sync(user=ORG, state=state).code, "ErrorInvalidSyncStateData")

    def test_too_old_state_is_invalid_and_a_full_sync_recovers(self):
        state, _ = self.drain()
        request = self.invite("sync too old")
        resp = self.sim.request("POST", "/sim/sync/expire", b"")
        self.assertEqual(resp.status, 200)
        self.assertEqual(self.sync(state=state).code, "ErrorInvalidSyncStateData")
        _, full = self.drain()
        self.assertIn(("Create", request["id"]), full)


class GromoxAnswerMarkTest(SyncCalls, h.SimTestCase):
    """Gromox keeps an answered request in the Inbox, marked with the answer, and its sync
    does not report that marking (seen live): a client that syncs must remember what it
    answered to move it away later."""
    EXTRA_ARGS = ("--flavor", "gromox")

    def test_the_answer_marks_the_request_without_a_change(self):
        state, _ = self.drain()
        request = self.invite("sync answered")
        state, seen = self.drain(state=state)
        self.assertEqual(seen, [("Create", request["id"])])
        self.assertEqual([h.code(x) for x in self.ews[ROOM].respond(
            "AcceptItem", request["id"])], ["NoError"])
        kept = self.dump(ROOM, "inbox", "sync answered")
        self.assertEqual([k["my_response_type"] for k in kept], ["Accept"])
        self.assertEqual(self.sync(state=state).kinds(), [])


class WithoutSyncFolderItemsTest(unittest.TestCase):
    def test_answered_as_an_unknown_operation(self):
        with h.Sim(mailboxes=[ROOM], extra_args=["--no-sync-folder-items"]) as sim:
            resp = h.Ews(sim, ROOM).call(sync_xml(), expect_status=500)
            self.assertEqual(resp.fault_code(), "ErrorInvalidRequest")


class LargeInboxTest(unittest.TestCase):
    """5,000 answered requests left in the Inbox (as grommunio leaves them): an idle sync
    is one request with an empty Changes whatever the Inbox holds."""

    N = 5000

    def test_idle_sync_is_one_small_request(self):
        with h.Sim(mailboxes=[ORG, ROOM], extra_args=["--keep-answered-requests"]) as sim:
            org, room = h.Ews(sim, ORG), h.Ews(sim, ROOM)
            batch = 100
            for first in range(0, self.N, batch):
                items = "".join(
                    "<t:CalendarItem><t:Subject>big %d</t:Subject>"
                    "<t:Start>2031-04-01T10:00:00Z</t:Start><t:End>2031-04-01T10:30:00Z"
                    "</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>%s"
                    "</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>"
                    "</t:CalendarItem>" % (i, ROOM) for i in range(first, first + batch))
                org.ok('<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy">'
                       '<m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/>'
                       "</m:SavedItemFolderId><m:Items>%s</m:Items></m:CreateItem>" % items)
            inbox = sim.mailbox(ROOM)["inbox"]
            self.assertEqual(len(inbox), self.N)
            for first in range(0, self.N, batch):
                answers = "".join('<t:AcceptItem><t:ReferenceItemId Id="%s"/></t:AcceptItem>'
                                  % i["id"] for i in inbox[first:first + batch])
                room.ok('<m:CreateItem MessageDisposition="SaveOnly"><m:Items>%s</m:Items>'
                        "</m:CreateItem>" % answers)
            state, creates = None, 0
            while True:
                s = Sync(room.call(sync_xml(state=state)))
                creates += len(s.changes)
                state = s.state
                if s.last:
                    break
            self.assertGreaterEqual(creates, self.N)
            before = sim.stats()["requests"]
            idle = Sync(room.call(sync_xml(state=state)))
            self.assertEqual(sim.stats()["requests"] - before, 1)
            self.assertEqual(idle.changes, [])
            self.assertTrue(idle.last)
            self.assertLess(len(idle.resp.body), 1024)
            self.assertEqual(len(sim.mailbox(ROOM)["inbox"]), self.N)


if __name__ == "__main__":
    unittest.main()
