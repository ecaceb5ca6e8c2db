"""Meeting flow on graphsim: invitations, answers, cancellations, rewrites, forwards."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphharness as h  # noqa: E402

ORG, ATT0, ATT1, ROOM = h.SimTest.MAILBOXES


def attendee_status(event, address):
    return next(a["status"]["response"] for a in event["attendees"]
                if a["emailAddress"]["address"] == address)


class MeetingFlow(h.SimTest):
    def create(self, subject, attendees=((ATT0, "required"), (ATT1, "optional"),
                                         (ROOM, "resource"))):
        body = h.meeting(subject, "2027-01-11T09:00:00", "2027-01-11T10:00:00", attendees)
        return self.sim.ok("POST", "/users/%s/events" % ORG, body, status=201)

    def request_in(self, user, subject):
        """The eventMessageRequest for subject in user's Inbox, with its event expanded."""
        msgs = self.sim.ok("GET", "/users/%s/mailFolders/inbox/messages?$top=50&$expand="
                                  "microsoft.graph.eventMessage/event" % user)["value"]
        found = [m for m in msgs if m["subject"] == subject and
                 m["@odata.type"] == "#microsoft.graph.eventMessageRequest"]
        self.assertEqual(len(found), 1, msgs)
        return found[0]

    def organizer_event(self, event_id):
        return self.sim.ok("GET", "/users/%s/events/%s" % (ORG, event_id))

    def test_invitation_places_a_tentative_event(self):
        ev = self.create("Invite check")
        self.assertTrue(ev["isOrganizer"])
        self.assertEqual([a["type"] for a in ev["attendees"]], ["required", "optional", "resource"])
        self.assertEqual({attendee_status(ev, a) for a in (ATT0, ATT1, ROOM)}, {"none"})
        for user in (ATT0, ATT1, ROOM):
            msg = self.request_in(user, "Invite check")
            self.assertEqual(msg["meetingMessageType"], "meetingRequest")
            self.assertEqual(msg["meetingRequestType"], "newMeetingRequest")
            self.assertEqual(msg["from"]["emailAddress"]["address"], ORG)
            self.assertEqual(msg["event"]["showAs"], "tentative")
            self.assertEqual(msg["event"]["responseStatus"]["response"], "notResponded")
            self.assertFalse(msg["event"]["isOrganizer"])
            self.assertEqual(msg["event"]["iCalUId"], ev["iCalUId"])

    def test_answers_reach_the_organizer(self):
        ev = self.create("Answer check")
        answers = {ATT0: "accept", ATT1: "tentativelyAccept", ROOM: "decline"}
        expect = {ATT0: "accepted", ATT1: "tentativelyAccepted", ROOM: "declined"}
        kinds = {ATT0: "meetingAccepted", ATT1: "meetingTenativelyAccepted",
                 ROOM: "meetingDeclined"}
        for user, action in answers.items():
            eid = self.request_in(user, "Answer check")["event"]["id"]
            r = self.sim.call("POST", "/users/%s/events/%s/%s" % (user, eid, action),
                              {"comment": "from %s" % user, "sendResponse": True})
            self.assertEqual(r.status, 202, r.body)
            self.assertEqual(r.body, b"")
        org = self.organizer_event(ev["id"])
        for user in answers:
            self.assertEqual(attendee_status(org, user), expect[user])
        responses = [m for m in self.sim.mailbox(ORG)["inbox"]
                     if m["subject"].endswith("Answer check")]
        self.assertEqual(sorted(m["meetingMessageType"] for m in responses),
                         sorted(kinds.values()))
        for m in responses:
            self.assertEqual(m["@odata.type"], "#microsoft.graph.eventMessageResponse")
        # The declined meeting left the room's calendar; the answered requests left the Inboxes.
        room = self.sim.mailbox(ROOM)
        self.assertFalse([e for e in room["events"] if e["iCalUId"] == ev["iCalUId"]])
        self.assertFalse([m for m in room["inbox"] if m["subject"] == "Answer check"])
        att0 = self.sim.mailbox(ATT0)
        mine = [e for e in att0["events"] if e["iCalUId"] == ev["iCalUId"]]
        self.assertEqual(mine[0]["showAs"], "busy")
        self.assertEqual(mine[0]["responseStatus"]["response"], "accepted")

    def test_answer_without_response_leaves_organizer_untouched(self):
        ev = self.create("Silent", ((ATT0, "required"),))
        eid = self.request_in(ATT0, "Silent")["event"]["id"]
        self.sim.ok("POST", "/users/%s/events/%s/accept" % (ATT0, eid), {"sendResponse": False},
                    status=202)
        self.assertEqual(attendee_status(self.organizer_event(ev["id"]), ATT0), "none")
        self.assertFalse([m for m in self.sim.mailbox(ORG)["inbox"]
                          if m["subject"].endswith("Silent")])

    def test_wrong_answers_are_refused(self):
        ev = self.create("Refusals", ((ATT0, "required"),))
        r = self.sim.call("POST", "/users/%s/events/%s/accept" % (ORG, ev["id"]), {})
        self.assertEqual(r.status, 400)
        eid = self.request_in(ATT0, "Refusals")["event"]["id"]
        r = self.sim.call("POST", "/users/%s/events/%s/cancel" % (ATT0, eid), {})
        self.assertEqual(r.status, 400)
        r = self.sim.call("POST", "/users/%s/events/%s/accept" % (ATT0, "AAMkAnothere"), {})
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json["error"]["code"], "ErrorItemNotFound")
        r = self.sim.call("POST", "/users/nobody@example.com/events", {})
        self.assertEqual(r.status, 404)

    def test_cancel_marks_attendee_events_cancelled(self):
        ev = self.create("Cancel check")
        att_event = self.request_in(ATT0, "Cancel check")["event"]
        self.sim.ok("POST", "/users/%s/events/%s/cancel" % (ORG, ev["id"]),
                    {"comment": "sorry"}, status=202)
        self.assertEqual(self.sim.call("GET", "/users/%s/events/%s" % (ORG, ev["id"])).status,
                         404)
        got = self.sim.ok("GET", "/users/%s/events/%s" % (ATT0, att_event["id"]))
        self.assertTrue(got["isCancelled"])
        cancels = [m for m in self.sim.mailbox(ATT0)["inbox"]
                   if m.get("meetingMessageType") == "meetingCancelled"
                   and m["subject"] == "Canceled: Cancel check"]
        self.assertEqual(len(cancels), 1)
        self.assertEqual(cancels[0]["event"]["id"], att_event["id"])
        r = self.sim.call("DELETE", "/users/%s/events/%s" % (ATT0, att_event["id"]))
        self.assertEqual(r.status, 204)
        r = self.sim.call("DELETE", "/users/%s/messages/%s" % (ATT0, cancels[0]["id"]))
        self.assertEqual(r.status, 204)
        self.assertEqual(self.sim.call("GET", "/users/%s/events/%s" % (ATT0, att_event["id"]))
                         .status, 404)

    def test_rewrites(self):
        ev = self.create("Rewrite me", ((ROOM, "resource"),))
        eid = self.request_in(ROOM, "Rewrite me")["event"]["id"]
        got = self.sim.ok("PATCH", "/users/%s/events/%s" % (ROOM, eid),
                          {"subject": "Organizer's meeting", "sensitivity": "private",
                           "body": {"contentType": "text", "content": ""}})
        self.assertEqual(got["subject"], "Organizer's meeting")
        self.assertEqual(got["sensitivity"], "private")
        self.assertEqual(got["body"]["content"], "")
        self.assertNotEqual(got["changeKey"], ev["changeKey"])
        r = self.sim.call("PATCH", "/users/%s/events/%s" % (ROOM, eid), {"showAs": "free"})
        self.assertEqual(r.status, 400)
        r = self.sim.call("PATCH", "/users/%s/events/%s" % (ROOM, eid), {"sensitivity": "secret"})
        self.assertEqual(r.status, 400)
        self.assertIn("sensitivity", r.json["error"]["message"])

    def test_forward_to_a_delegate(self):
        ev = self.create("Delegate me", ((ROOM, "resource"),))
        msg = self.request_in(ROOM, "Delegate me")
        self.sim.ok("POST", "/users/%s/messages/%s/forward" % (ROOM, msg["id"]),
                    {"comment": "please decide",
                     "toRecipients": [{"emailAddress": {"address": ATT1}}]}, status=202)
        fw = self.request_in(ATT1, "FW: Delegate me")
        self.assertEqual(fw["event"]["iCalUId"], ev["iCalUId"])
        self.assertIn("please decide", fw["body"]["content"])
        org = self.organizer_event(ev["id"])
        self.assertEqual(attendee_status(org, ATT1), "none")

    def test_invalid_request_bodies_are_refused(self):
        before = self.sim.stats()["invalid_requests"]
        bad = h.meeting("Bad", "2027-01-11T09:00:00", "2027-01-11T10:00:00", [])
        bad["colour"] = "red"
        r = self.sim.call("POST", "/users/%s/events" % ORG, bad)
        self.assertEqual(r.status, 400)
        self.assertIn("colour", r.json["error"]["message"])
        bad = h.meeting("Bad", "2027-01-11T09:00:00", "2027-01-11T10:00:00",
                        [(ATT0, "chair")])
        self.assertEqual(self.sim.call("POST", "/users/%s/events" % ORG, bad).status, 400)
        r = self.sim.call("POST", "/users/%s/events/x/accept" % ATT0, {"sendResponse": "yes"})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.sim.stats()["invalid_requests"], before + 3)


if __name__ == "__main__":
    unittest.main()
