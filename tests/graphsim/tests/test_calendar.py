"""calendarView with series expansion, instances, single-occurrence answers, getSchedule."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphharness as h  # noqa: E402

ORG, ATT0, ATT1, ROOM = h.SimTest.MAILBOXES
WEEKLY = {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "wednesday"],
                      "firstDayOfWeek": "monday"},
          "range": {"type": "numbered", "startDate": "2027-03-01", "numberOfOccurrences": 6,
                    "recurrenceTimeZone": "UTC"}}


def view(sim, user, start, end, extra=""):
    items, link = [], "/users/%s/calendar/calendarView?startDateTime=%s&endDateTime=%s%s" % (
        user, start, end, extra)
    while link:
        page = sim.ok("GET", link)
        items += page["value"]
        link = page.get("@odata.nextLink")
    return items


class Calendar(h.SimTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        body = h.meeting("Weekly sync", "2027-03-01T10:00:00", "2027-03-01T11:00:00",
                         [(ROOM, "resource"), (ATT0, "required")], recurrence=WEEKLY)
        cls.series = cls.sim.ok("POST", "/users/%s/events" % ORG, body, status=201)
        body = h.meeting("One-off", "2027-03-02T13:00:00", "2027-03-02T14:30:00",
                         [(ROOM, "resource")])
        cls.single = cls.sim.ok("POST", "/users/%s/events" % ORG, body, status=201)

    def test_series_is_expanded(self):
        self.assertEqual(self.series["type"], "seriesMaster")
        items = view(self.sim, ORG, "2027-03-01T00:00:00Z", "2027-03-31T00:00:00Z")
        occ = [e for e in items if e["subject"] == "Weekly sync"]
        self.assertEqual([e["start"]["dateTime"][:16] for e in occ],
                         ["2027-03-01T10:00", "2027-03-03T10:00", "2027-03-08T10:00",
                          "2027-03-10T10:00", "2027-03-15T10:00", "2027-03-17T10:00"])
        self.assertTrue(all(e["type"] == "occurrence" and
                            e["seriesMasterId"] == self.series["id"] for e in occ))
        self.assertEqual(len({e["id"] for e in occ}), 6)
        self.assertIn("One-off", [e["subject"] for e in items])
        # Windows cut the series; ordering by start holds across pages.
        part = view(self.sim, ORG, "2027-03-02T00:00:00Z", "2027-03-09T00:00:00Z")
        self.assertEqual([e["subject"] for e in part],
                         ["One-off", "Weekly sync", "Weekly sync"])

    def test_view_pages(self):
        first = self.sim.ok("GET", "/users/%s/calendarView?startDateTime=2027-03-01T00:00:00Z"
                                   "&endDateTime=2027-04-01T00:00:00Z&$top=3" % ORG)
        self.assertEqual(len(first["value"]), 3)
        self.assertIn("@odata.nextLink", first)
        r = self.sim.call("GET", "/users/%s/calendarView" % ORG)
        self.assertEqual(r.status, 400)

    def test_single_occurrence_answer(self):
        att_master = next(e for e in self.sim.mailbox(ATT0)["events"]
                          if e["iCalUId"] == self.series["iCalUId"])
        inst = self.sim.ok("GET", "/users/%s/events/%s/instances?startDateTime="
                                  "2027-03-01T00:00:00Z&endDateTime=2027-04-01T00:00:00Z"
                           % (ATT0, att_master["id"]))["value"]
        self.assertEqual(len(inst), 6)
        self.sim.ok("POST", "/users/%s/events/%s/decline" % (ATT0, inst[1]["id"]),
                    {"sendResponse": False}, status=202)
        self.sim.ok("POST", "/users/%s/events/%s/tentativelyAccept" % (ATT0, inst[2]["id"]),
                    {"sendResponse": False}, status=202)
        after = view(self.sim, ATT0, "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z")
        mine = [e for e in after if e["seriesMasterId"] == att_master["id"]]
        self.assertEqual(len(mine), 5)
        self.assertNotIn(inst[1]["id"], [e["id"] for e in mine])
        third = next(e for e in mine if e["id"] == inst[2]["id"])
        self.assertEqual(third["type"], "exception")
        self.assertEqual(third["responseStatus"]["response"], "tentativelyAccepted")

    def test_get_schedule(self):
        body = {"schedules": [ROOM, "nobody@example.com"],
                "startTime": {"dateTime": "2027-03-02T12:00:00", "timeZone": "UTC"},
                "endTime": {"dateTime": "2027-03-02T15:00:00", "timeZone": "UTC"},
                "availabilityViewInterval": 30}
        got = self.sim.ok("POST", "/users/%s/calendar/getSchedule" % ORG, body)["value"]
        self.assertEqual(got[0]["scheduleId"], ROOM)
        # The room holds "One-off" 13:00-14:30 as tentative (not answered yet).
        self.assertEqual(got[0]["availabilityView"], "001110")
        self.assertEqual(got[0]["scheduleItems"][0]["status"], "tentative")
        self.assertEqual(got[1]["error"]["responseCode"], "ErrorMailRecipientNotFound")
        too_many = dict(body, schedules=["r%d@example.com" % i for i in range(21)])
        self.assertEqual(self.sim.call("POST", "/users/%s/calendar/getSchedule" % ORG,
                                       too_many).status, 400)
        too_long = dict(body, endTime={"dateTime": "2027-05-10T00:00:00", "timeZone": "UTC"})
        self.assertEqual(self.sim.call("POST", "/users/%s/calendar/getSchedule" % ORG,
                                       too_long).status, 400)


if __name__ == "__main__":
    unittest.main()
