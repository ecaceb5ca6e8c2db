"""Booking a room on Graph as on EWS: conflicts found through calendarView, a recurring series
with conflicting occurrences (accepted, the conflicts declined one by one through their
occurrence ids), a series over the limits declined, and the booked event rewritten the
Exchange way (PATCH of subject, body and sensitivity on the room's own copy)."""

import datetime

import e2e
import graphe2e as g

A = g.addr
ROOM_POLICY = {"automate": "auto_accept", "conflict_percentage_allowed": "20",
               "max_conflict_instances": "2"}
USERS = ["organizer0", "organizer1", "room0"]


def day(n, hour):
    """N days after today (UTC, read once: see e2e.TODAY) at HOUR UTC."""
    return e2e.TODAY + datetime.timedelta(days=n, hours=hour)


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


class GraphBooking(g.TestCase):

    def setUp(self):
        self.w = self.world(users=USERS)
        self.conf = self.w.write_config({"room0": "room"}, policies={"room": ROOM_POLICY})

    def book(self, subject, start, hours=1, organizer="organizer0", **extra):
        body = g.gh.meeting(subject, fmt(start), fmt(start + datetime.timedelta(hours=hours)),
                            [(A("room0"), "resource")], **extra)
        return self.w.sim.ok("POST", "/users/%s/events" % A(organizer), body, status=201)

    def room_response(self, ev, organizer="organizer0"):
        return self.w.statuses(ev, organizer)[A("room0")][1]

    def test_conflicts_series_and_rewrites(self):
        w, conf = self.w, self.conf
        first = self.book("Budget review", day(2, 10), organizer="organizer1",
                          sensitivity="private")
        w.once(conf)
        self.assertEqual(self.room_response(first, "organizer1"), "accepted")
        # The room's own copy is rewritten: the organizer's name as subject, no body, not
        # private (add_organizer_to_subject, delete_subject, delete_comments,
        # remove_private_property are on by default).
        [mine] = w.events_of("room0", first["iCalUId"])
        self.assertEqual(mine["subject"], "Organizer 1")
        self.assertEqual(mine["body"]["content"], "")
        self.assertEqual(mine["sensitivity"], "normal")
        self.assertEqual(w.sim.stats()["operations"].get("updateEvent"), 1)

        # A conflict: the same hour is declined, with the reason.
        clash = self.book("Clash", day(2, 10))
        w.once(conf)
        self.assertEqual(self.room_response(clash), "declined")
        [reply] = [m for m in w.mailbox("organizer0")["inbox"]
                   if m["subject"] == "Declined: Clash"]
        self.assertIn("already booked", reply["body"]["content"])
        self.assertEqual(w.events_of("room0", clash["iCalUId"]), [])

        # A daily series of ten whose first occurrence meets the booking: 1 of 10 conflicts,
        # within 20 % and 2 instances, so the series is accepted and that occurrence declined.
        rec = {"pattern": {"type": "daily", "interval": 1},
               "range": {"type": "numbered", "startDate": day(2, 0).strftime("%Y-%m-%d"),
                         "numberOfOccurrences": 10}}
        series = self.book("Daily standup", day(2, 10), recurrence=rec)
        w.once(conf)
        self.assertEqual(self.room_response(series), "accepted")
        view = w.sim.ok("GET", "/users/%s/calendarView?startDateTime=%s&endDateTime=%s&$top=50"
                        % (A("room0"), fmt(day(2, 0)), fmt(day(13, 0))))["value"]
        mine = [e for e in view if e["iCalUId"] == series["iCalUId"]]
        self.assertEqual(len(mine), 9, "the conflicting occurrence left the room's calendar")
        self.assertNotIn(fmt(day(2, 10)), [e["start"]["dateTime"][:19] for e in mine])
        self.assertEqual(self.room_response(first, "organizer1"), "accepted")

        # A second series conflicting three times is over max_conflict_instances: declined.
        busy = [self.book("Busy %d" % i, day(20 + 2 * i, 9), organizer="organizer1")
                for i in range(3)]
        w.once(conf)
        rec2 = {"pattern": {"type": "daily", "interval": 1},
                "range": {"type": "numbered", "startDate": day(20, 0).strftime("%Y-%m-%d"),
                          "numberOfOccurrences": 10}}
        over = self.book("Too many clashes", day(20, 9), recurrence=rec2)
        w.once(conf)
        self.assertEqual([self.room_response(b, "organizer1") for b in busy], ["accepted"] * 3)
        self.assertEqual(self.room_response(over), "declined")

        # Nothing was answered twice: one response per meeting in the organizers' Inboxes.
        w.once(conf)
        for org in ("organizer0", "organizer1"):
            subjects = [m["subject"] for m in w.mailbox(org)["inbox"]]
            self.assertEqual(len(subjects), len(set(subjects)), subjects)
        self.assertEqual(w.sim.stats()["invalid_requests"], 0)


if __name__ == "__main__":
    g.main()
