"""meetingctl on Microsoft Graph: the walkthrough's organizer steps with the same commands and
options as on EWS (create with required, optional and resource attendees and a recurrence,
status with each attendee's status.response, update, cancel, list, respond by hand), with
meetingd answering for the attendees. Checked in graphsim's mailboxes."""

import json

import e2e
import graphe2e as g

A = g.addr
USERS = ["organizer0", "attendee0", "attendee1", "attendee2", "attendee3", "room0"]
MAILBOXES = {"attendee0": "accept-all", "attendee2": "decline-all", "attendee3": "accept-all",
             "room0": "accept-all"}


class GraphMeetingctl(g.TestCase):

    def test_walkthrough_with_meetingctl(self):
        w = self.world(users=USERS)
        conf = w.write_config(MAILBOXES)
        start, end = e2e.slot(0)
        res = w.ctl(conf, "--json", "create", "--subject", "Weekly planning", "--start", start,
                    "--end", end, "--location", "Room 0", "--body", "Agenda",
                    "--required", "%s,%s" % (A("attendee0"), A("attendee1")),
                    "--optional", A("attendee2"), "--resource", A("room0"),
                    "--recurrence", "weekly:4")
        created = json.loads(res.stdout)
        mid, uid = created["id"], created["uid"]
        ev = w.event({"id": mid})
        self.assertEqual(ev["recurrence"]["pattern"]["type"], "weekly")
        self.assertEqual(ev["recurrence"]["range"]["numberOfOccurrences"], 4)
        self.assertEqual(sorted((a["emailAddress"]["address"], a["type"])
                                for a in ev["attendees"]),
                         sorted([(A("attendee0"), "required"), (A("attendee1"), "required"),
                                 (A("attendee2"), "optional"), (A("room0"), "resource")]))

        # attendee1 answers by hand: meetingctl list and respond as attendee1.
        inbox = json.loads(w.ctl(conf, "--json", "list", "inbox", as_user="attendee1").stdout)
        [req] = [m for m in inbox if m["kind"] == "request"]
        self.assertEqual(req["subject"], "Weekly planning")
        w.ctl(conf, "respond", req["id"], "tentative", "--message", "Maybe.",
              as_user="attendee1")

        w.once(conf)
        status = json.loads(w.ctl(conf, "status", mid, "--json").stdout)
        self.assertEqual(status["subject"], "Weekly planning")
        self.assertEqual({a["address"]: (a["role"], a["response"]) for a in status["attendees"]},
                         {A("attendee0"): ("required", "accepted"),
                          A("attendee1"): ("required", "tentativelyAccepted"),
                          A("attendee2"): ("optional", "declined"),
                          A("room0"): ("resource", "accepted")})
        self.assertTrue(all(a["last_response_time"] for a in status["attendees"]))
        table = w.ctl(conf, "status", mid).stdout
        self.assertIn("Subject:  Weekly planning", table)
        self.assertRegex(table, r"%s\s+required\s+accepted" % A("attendee0"))

        # update: attendee1 leaves, attendee3 joins as optional, a new subject.
        w.ctl(conf, "update", mid, "--subject", "Weekly planning (new)", "--remove",
              A("attendee1"), "--add-optional", A("attendee3"))
        self.assertEqual([e["isCancelled"] for e in w.events_of("attendee1", uid)], [True])
        w.once(conf)
        status = json.loads(w.ctl(conf, "status", mid, "--json").stdout)
        self.assertEqual(status["subject"], "Weekly planning (new)")
        got = {a["address"]: a["response"] for a in status["attendees"]}
        self.assertEqual(got[A("attendee3")], "accepted")
        self.assertNotIn(A("attendee1"), got)

        # cancel: every attendee's copy is cancelled, then meetingd removes them.
        self.assertEqual(w.ctl(conf, "cancel", mid, "--message", "Called off.").stdout.strip(),
                         "cancelled")
        w.once(conf)
        for user in ("attendee0", "attendee3", "room0"):
            self.assertEqual(w.events_of(user, uid), [], user)
        cal = json.loads(w.ctl(conf, "--json", "list", "calendar", as_user="room0").stdout)
        self.assertEqual(cal, [])

        # Errors: an unknown id and bad arguments.
        res = w.ctl(conf, "status", "no-such-event", expect=1)
        self.assertIn("ErrorItemNotFound", res.stderr)
        w.ctl(conf, "create", "--subject", "x", expect=64)
        w.ctl(conf, "list", "outbox", expect=64)


if __name__ == "__main__":
    g.main()
