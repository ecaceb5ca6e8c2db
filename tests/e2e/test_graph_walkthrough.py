"""Microsoft's "Handling Meetings" walkthrough on Microsoft Graph: graphsim --validate is
Exchange Online, the organizer talks Graph to it, meetingd (protocol = graph) answers for
attendee0 (accept), attendee1 (tentative), attendee2 (decline), attendee3 and room0
(accept). Every step is checked in the mailboxes themselves (graphsim's dump and the
organizer's event), not in what meetingd prints about it."""

import json
import os

import graphe2e as g

MAILBOXES = {"attendee0": "accept-all", "attendee1": "tentative-all",
             "attendee2": "decline-all", "attendee3": "accept-all", "room0": "accept-all"}
USERS = ["organizer0", "attendee0", "attendee1", "attendee2", "attendee3", "room0"]
A = g.addr


class GraphWalkthrough(g.TestCase):

    def setUp(self):
        self.w = self.world(users=USERS)
        self.conf = self.w.write_config(MAILBOXES)

    def requests(self, user):
        return [m for m in self.w.mailbox(user)["inbox"]
                if m.get("@odata.type") == "#microsoft.graph.eventMessageRequest"]

    def test_handling_meetings(self):
        w, conf = self.w, self.conf
        subject = "Meeting with attendee0, attendee1, attendee2"

        # --- Creating a meeting: required, optional, a room. ---------------------------------
        ev = w.create_meeting(subject, required=["attendee0", "attendee1"],
                              optional=["attendee2"], resources=["room0"])
        uid = ev["iCalUId"]
        for user in ("attendee0", "attendee1", "attendee2", "room0"):
            self.assertEqual([m["subject"] for m in self.requests(user)], [subject], user)
        self.assertEqual(set(t for t, r in w.statuses(ev).values()),
                         {"required", "optional", "resource"})
        self.assertEqual(set(r for t, r in w.statuses(ev).values()), {"none"})

        # --- Receiving and answering: meetingd. -----------------------------------------------
        self.assertFalse(os.path.exists(w.state_dir))
        w.once(conf)
        self.assertEqual(sorted((d["mailbox"], d["decision"], d["outcome"])
                                for d in w.decisions()),
                         [("attendee0", "accept", "sent"), ("attendee1", "tentative", "sent"),
                          ("attendee2", "decline", "sent"), ("room0", "accept", "sent")])
        self.assertEqual(w.statuses(ev), {
            A("attendee0"): ("required", "accepted"),
            A("attendee1"): ("required", "tentativelyAccepted"),
            A("attendee2"): ("optional", "declined"),
            A("room0"): ("resource", "accepted")})
        self.assertEqual(sorted(w.responses()),
                         sorted([(A("attendee0"), "meetingAccepted"),
                                 (A("attendee1"), "meetingTenativelyAccepted"),
                                 (A("attendee2"), "meetingDeclined"),
                                 (A("room0"), "meetingAccepted")]))
        for user, want in (("attendee0", "accepted"), ("attendee1", "tentativelyAccepted"),
                           ("room0", "accepted")):
            self.assertEqual([e["responseStatus"]["response"] for e in w.events_of(user, uid)],
                             [want], user)
            self.assertEqual(self.requests(user), [], "%s: the request left the Inbox" % user)
        self.assertEqual(w.events_of("attendee2", uid), [], "a decline removes the event")
        # The answers carry the policies' texts.
        self.assertIn("Booked by meetingd.",
                      json.dumps([m["body"] for m in w.mailbox("organizer0")["inbox"]]))
        # The delta state is on disk, one file per mailbox, a deltaLink with its ids.
        with open(w.delta_state("room0")) as f:
            state = json.load(f)
        self.assertIn("$deltatoken=", state["deltaLink"])

        # A second run finds nothing to do: every answer went out once.
        w.once(conf)
        self.assertEqual(w.answer_calls(),
                         {"accept": 2, "tentativelyAccept": 1, "decline": 1})
        self.assertEqual(len(w.responses()), 4)

        # --- Updating the meeting: attendee1 leaves, attendee3 joins. ------------------------
        subject2 = "Meeting with attendee0, attendee2, attendee3"
        w.sim.ok("PATCH", "/users/%s/events/%s" % (A("organizer0"), ev["id"]), {
            "subject": subject2,
            "attendees": [{"type": "required", "emailAddress": {"address": A("attendee0")}},
                          {"type": "optional", "emailAddress": {"address": A("attendee2")}},
                          {"type": "optional", "emailAddress": {"address": A("attendee3")}},
                          {"type": "resource", "emailAddress": {"address": A("room0")}}]})
        self.assertEqual([e["isCancelled"] for e in w.events_of("attendee1", uid)], [True])
        self.assertEqual([m["subject"] for m in self.requests("attendee3")], [subject2])

        w.once(conf)
        # attendee1: the cancelled meeting is gone from the calendar, the cancellation filed.
        self.assertEqual(w.events_of("attendee1", uid), [])
        box1 = w.mailbox("attendee1")
        self.assertEqual([m for m in box1["inbox"]
                          if m.get("meetingMessageType") == "meetingCancelled"], [])
        self.assertIn("meetingCancelled",
                      [m.get("meetingMessageType") for m in box1["deleteditems"]])
        st = w.statuses(ev)
        self.assertEqual(st[A("attendee3")], ("optional", "accepted"))
        self.assertNotIn(A("attendee1"), st)
        self.assertEqual([e["responseStatus"]["response"] for e in w.events_of("attendee3", uid)],
                         ["accepted"])

        # --- Cancelling the meeting: every copy is removed, nothing is answered. -------------
        answers_before = w.answer_calls()
        w.cancel(ev)
        for user in ("attendee0", "attendee3", "room0"):
            self.assertEqual([e["isCancelled"] for e in w.events_of(user, uid)], [True], user)
        w.once(conf)
        for user in ("attendee0", "attendee1", "attendee2", "attendee3", "room0"):
            self.assertEqual(w.events_of(user, uid), [], user)
            self.assertEqual([m for m in w.mailbox(user)["inbox"]
                              if m.get("meetingMessageType") == "meetingCancelled"], [], user)
        self.assertEqual(w.answer_calls(), answers_before)
        for user in ("attendee0", "attendee1", "attendee3", "room0"):
            self.assertEqual([e[0] for e in w.ledger(user) if e[2] == "remove"],
                             ["I", "D"], user)

        # The record has exactly one answer per request and mailbox.
        answered = [(d["mailbox"], d["subject"]) for d in w.decisions()
                    if d["outcome"] == "sent"]
        self.assertEqual(len(answered), len(set(answered)))
        self.assertEqual(w.sim.stats()["invalid_requests"], 0)


if __name__ == "__main__":
    g.main()
