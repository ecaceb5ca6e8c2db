"""Handling Meetings, the Graph way, on graphsim: create, receive and accept, check the
responses, update the meeting (attendees added and removed, then a new time), remove the
cancelled meeting. Attendees answer through graphsim's Graph API here."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphharness as h  # noqa: E402

ORG = "organizer@example.com"
ATT = ["attendee%d@example.com" % i for i in range(4)]
ROOM = "room0@example.com"


class Walkthrough(h.SimTest):
    MAILBOXES = [ORG] + ATT + [ROOM]

    def requests(self, user):
        return [m for m in self.sim.ok("GET", "/users/%s/mailFolders/inbox/messages?$top=50"
                                              "&$expand=microsoft.graph.eventMessage/event"
                                       % user)["value"]
                if m["@odata.type"] == "#microsoft.graph.eventMessageRequest"]

    def statuses(self, event_id):
        event = self.sim.ok("GET", "/users/%s/events/%s" % (ORG, event_id))
        return {a["emailAddress"]["address"]: (a["type"], a["status"]["response"])
                for a in event["attendees"]}

    def test_walkthrough(self):
        # Creating a meeting.
        body = h.meeting("Meeting with attendee0, attendee1, attendee2", "2027-06-07T09:00:00",
                         "2027-06-07T10:00:00",
                         [(ATT[0], "required"), (ATT[1], "required"), (ATT[2], "required"),
                          (ROOM, "resource")])
        event = self.sim.ok("POST", "/users/%s/events" % ORG, body, status=201)

        # Receiving and accepting: the request in the Inbox, the tentative event in the calendar.
        [req] = self.requests(ATT[0])
        self.assertEqual(req["event"]["showAs"], "tentative")
        self.sim.ok("POST", "/users/%s/events/%s/accept" % (ATT[0], req["event"]["id"]),
                    {"sendResponse": True}, status=202)
        box = self.sim.mailbox(ATT[0])
        self.assertEqual([m["id"] for m in box["deleteditems"]], [req["id"]])
        self.assertEqual(box["events"][0]["responseStatus"]["response"], "accepted")
        self.sim.ok("POST", "/users/%s/events/%s/accept" % (ROOM, self.requests(ROOM)[0]
                                                             ["event"]["id"]), {}, status=202)

        # Checking attendee responses.
        st = self.statuses(event["id"])
        self.assertEqual(st[ATT[0]], ("required", "accepted"))
        self.assertEqual(st[ATT[1]], ("required", "none"))
        self.assertEqual(st[ROOM], ("resource", "accepted"))

        # Updating the meeting: attendee0 stays required, attendee3 joins as optional,
        # attendee1 and attendee2 are removed.
        patch = {"subject": "Meeting with attendee1, attendee2, attendee3",
                 "attendees": [{"type": "required", "emailAddress": {"address": ATT[0]}},
                               {"type": "resource", "emailAddress": {"address": ROOM}},
                               {"type": "optional", "emailAddress": {"address": ATT[3]}}]}
        self.sim.ok("PATCH", "/users/%s/events/%s" % (ORG, event["id"]), patch)
        st = self.statuses(event["id"])
        self.assertEqual(set(st), {ATT[0], ATT[3], ROOM})
        self.assertEqual(st[ATT[0]], ("required", "accepted"))   # informational: answer kept
        update = [m for m in self.requests(ATT[0])
                  if m["meetingRequestType"] == "informationalUpdate"]
        self.assertEqual(len(update), 1)
        self.assertEqual(update[0]["event"]["responseStatus"]["response"], "accepted")
        [new] = self.requests(ATT[3])
        self.assertEqual((new["meetingRequestType"], new["subject"]),
                         ("newMeetingRequest", patch["subject"]))

        # Removing the calendar item: a removed attendee finds the cancellation and removes
        # the meeting from the calendar.
        for user in (ATT[1], ATT[2]):
            box = self.sim.mailbox(user)
            [cancel] = [m for m in box["inbox"] if m["meetingMessageType"] == "meetingCancelled"]
            self.assertTrue(cancel["event"]["isCancelled"])
            self.sim.ok("DELETE", "/users/%s/events/%s" % (user, cancel["event"]["id"]),
                        status=204)
            self.sim.ok("DELETE", "/users/%s/messages/%s" % (user, cancel["id"]), status=204)
            self.assertEqual(self.sim.mailbox(user)["events"], [])

        # A new time is a full update: answers reset, the earlier requests out of date.
        self.sim.ok("PATCH", "/users/%s/events/%s" % (ORG, event["id"]),
                    {"start": {"dateTime": "2027-06-07T11:00:00", "timeZone": "UTC"},
                     "end": {"dateTime": "2027-06-07T12:00:00", "timeZone": "UTC"}})
        st = self.statuses(event["id"])
        self.assertEqual({r for _, r in st.values()}, {"none"})
        reqs = self.requests(ATT[0])
        full = [m for m in reqs if m["meetingRequestType"] == "fullUpdate"]
        self.assertEqual(len(full), 1)
        self.assertFalse(full[0]["isOutOfDate"])
        self.assertTrue(all(m["isOutOfDate"] for m in reqs if m is not full[0]))
        self.assertEqual(full[0]["event"]["responseStatus"]["response"], "notResponded")
        self.assertEqual(full[0]["event"]["start"]["dateTime"], "2027-06-07T11:00:00.0000000")
        # The room accepted before; its update arrives too and its answer is reset.
        room = [m for m in self.requests(ROOM) if m["meetingRequestType"] == "fullUpdate"]
        self.assertEqual(len(room), 1)


if __name__ == "__main__":
    unittest.main()
