"""The Handling Meetings walkthrough against the simulator's gromox flavor (grommunio Gromox
3.10, see ../shared/gromox/README.md): the steps that work on such a server today. meetingd
answers for attendee0 (accept), attendee1 (tentative), attendee2 (decline) and room0
(accept); every step is checked in the mailboxes themselves.

On this server answered requests stay in the Inbox, a decline makes no calendar item, and
the organizer's item records no responses: the answers are counted where they arrive, in the
organizer's Inbox."""

import datetime
import json
import re
import signal

import e2e
import simharness as h

MAILBOXES = {"attendee0": "accept-all", "attendee1": "tentative-all",
             "attendee2": "decline-all", "room0": "accept-all"}
USERS = ["organizer0", "attendee0", "attendee1", "attendee2", "room0"]
A = e2e.addr
GROMOX = ("--flavor", "gromox")


class GromoxWalkthrough(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=USERS, sim_args=GROMOX)
        self.conf = self.w.write_config(MAILBOXES)
        self.subject = "Meeting with attendee0, attendee1, attendee2"
        self.mid = self.w.create_meeting(self.conf, self.subject,
                                         required=["attendee0", "attendee1"],
                                         optional=["attendee2"], resources=["room0"])
        self.uid = self.w.mailbox("organizer0")["calendar"][0]["uid"]

    def test_requests_arrive_without_calendar_items(self):
        w = self.w
        for user in ("attendee0", "attendee1", "attendee2", "room0"):
            self.assertEqual([(r["uid"], r["subject"]) for r in w.requests(user)],
                             [(self.uid, self.subject)], user)
            # No tentative placeholder on delivery, no AssociatedCalendarItemId.
            self.assertEqual(w.calendar(user, self.uid), [], user)
            self.assertIsNone(w.requests(user)[0]["associated_calendar_item_id"], user)

    def test_meetingd_answers_each_request_once(self):
        w, conf = self.w, self.conf
        w.once(conf)
        self.assertEqual(sorted((d["mailbox"], d["decision"], d["outcome"])
                                for d in w.decisions()),
                         [("attendee0", "accept", "sent"), ("attendee1", "tentative", "sent"),
                          ("attendee2", "decline", "sent"), ("room0", "accept", "sent")])
        answers = {A("attendee0"): ["Accept"], A("attendee1"): ["Tentative"],
                   A("attendee2"): ["Decline"], A("room0"): ["Accept"]}
        self.assertEqual(w.answers(self.mid), answers)
        # The calendar items the answers made (a decline makes none on this server).
        for user, state in (("attendee0", ["Accept"]), ("attendee1", ["Tentative"]),
                            ("attendee2", []), ("room0", ["Accept"])):
            self.assertEqual([c["my_response_type"] for c in w.calendar(user, self.uid)],
                             state, user)
            box = w.mailbox(user)
            # The server left the answered request in the Inbox; meetingd moved it.
            self.assertEqual([it for it in box["inbox"] if it["kind"] == "MeetingRequest"], [],
                             user)
            self.assertEqual([(it["kind"], it["uid"]) for it in box["deleteditems"]],
                             [("MeetingRequest", self.uid)], user)
        # The organizer's item does not record the answers on this server.
        self.assertEqual({a["response_type"] for a in w.item("organizer0", self.mid)
                          ["attendees"]}, {"Unknown"})
        # Later runs find nothing to answer.
        w.once(conf)
        w.once(conf)
        self.assertEqual(w.answers(self.mid), answers)
        self.assertEqual(w.count_responses(), 4)

    def test_daemon_polls_without_answering_twice(self):
        w = self.w
        d = w.start_daemon(self.conf)
        d.wait_log(r"decision mailbox=room0 .*outcome=sent", timeout=20 * e2e.SLOW)
        polls = {u: w.sim.stats()["mailboxes"].get(A(u), 0) for u in MAILBOXES}
        e2e.wait_for(lambda: all(w.sim.stats()["mailboxes"].get(A(u), 0) >= polls[u] + 3
                                 for u in MAILBOXES), 30 * e2e.SLOW,
                     "several polls of every mailbox")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(w.count_responses(), 4)
        self.assertEqual(len(d.log().split("decision mailbox=")) - 1, 4)

    def test_recurring_request_is_answered_and_listed(self):
        """Gromox writes the series' StartDate as an xs:dateTime with microseconds, and every
        FindItem reply carries an empty t:Groups: neither blocks the mailbox or the listing."""
        w, conf = self.w, self.conf
        start, end = e2e.slot(3)
        org = h.Ews(w.sim, A("organizer0"), password=w.passwords["organizer0"])
        day = start[:10]
        weekday = datetime.date.fromisoformat(day).strftime("%A")
        org.create_meeting("Weekly on Gromox", start, end, required=[A("attendee0")],
                           extra=WEEKLY % (weekday, day))
        req = [r for r in w.requests("attendee0") if r["subject"] == "Weekly on Gromox"]
        att = h.Ews(w.sim, A("attendee0"), password=w.passwords["attendee0"])
        raw = att.get([req[0]["id"]])[0]
        self.assertEqual(raw.findtext("t:Recurrence/t:NumberedRecurrence/t:StartDate",
                                      namespaces=h.NS), day + "T00:00:00.000000Z")
        listed = json.loads(w.ctl(conf, "--json", "list", "inbox", as_user="attendee0").stdout)
        self.assertIn("Weekly on Gromox", [it["subject"] for it in listed])
        w.once(conf)
        self.assertEqual([c["my_response_type"] for c in w.calendar("attendee0", req[0]["uid"])],
                         ["Accept"])
        self.assertEqual(w.count_responses(), 5)  # the walkthrough's 4 and this one


    def test_cancellation_leaves_the_calendars_without_remove_item(self):
        """No RemoveItem on this server (a SOAP Client fault, then a stray response): the
        cancelled meeting's calendar item is deleted by its UID and the cancellation moved to
        Deleted Items; learned from the first answer, said once, used by every mailbox."""
        w, conf = self.w, self.conf
        w.once(conf)
        for user in ("attendee0", "attendee1", "attendee2", "room0"):
            self.assertEqual(len(w.calendar(user, self.uid)),
                             0 if user == "attendee2" else 1, user)
        res = w.ctl(conf, "cancel", self.mid, "--message", "Called off.")
        self.assertEqual(res.stdout.strip(), "cancelled")
        faults = w.sim.stats()["response_codes"].get("Client", 0)
        run = w.once(conf)
        for user in ("attendee0", "attendee1", "attendee2", "room0"):
            box = w.mailbox(user)
            self.assertEqual(w.calendar(user, self.uid), [], user)
            self.assertEqual([it for it in box["inbox"] if it["kind"] == "MeetingCancellation"],
                             [], user)
            self.assertIn(("MeetingCancellation", self.uid),
                          [(it["kind"], it["uid"]) for it in box["deleteditems"]], user)
            self.assertIn(("CalendarItem", self.uid) if user != "attendee2" else
                          ("MeetingCancellation", self.uid),
                          [(it["kind"], it["uid"]) for it in box["deleteditems"]], user)
            self.assertEqual([rec[2] for rec in w.ledger(user) if rec[0] == "D"][-1:],
                             ["remove"], user)
        # RemoveItem was tried only until the first answer came back (the mailboxes run at
        # the same time, so each may have sent one); the server's answer was remembered.
        tried = w.sim.stats()["response_codes"].get("Client", 0) - faults
        self.assertTrue(1 <= tried <= 4, tried)
        self.assertEqual(len(re.findall(r"does not support RemoveItem", run.stderr)), 1,
                         run.stderr)
        # Nothing was sent to the organizer for a cancellation, and a later run is idle.
        self.assertEqual(w.count_responses(), 4)
        w.once(conf)
        self.assertEqual(w.count_responses(), 4)


WEEKLY = ("<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>%s"
          "</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>%s"
          "</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences>"
          "</t:NumberedRecurrence></t:Recurrence><t:StartTimeZone Id=\"UTC\"/>")


if __name__ == "__main__":
    e2e.main()
