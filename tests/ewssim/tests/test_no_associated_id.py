"""--no-associated-calendar-item-id: meeting messages carry no AssociatedCalendarItemId (as
grommunio Gromox), while the attendee's calendar item is there, with the request's UID."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG = "org@example.com"
ATT = "att@example.com"


class NoAssociatedId(unittest.TestCase):

    def request_and_calendar(self, extra_args):
        with h.Sim(mailboxes=[ORG, ATT], extra_args=extra_args) as sim:
            org, att = h.Ews(sim, ORG), h.Ews(sim, ATT)
            org.create_meeting("Unlinked", "2026-07-01T10:00:00Z", "2026-07-01T11:00:00Z",
                               required=[ATT])
            reqs = [i for i in att.get([h.item_id(i) for i in att.find("inbox")])
                    if h.local(i.tag) == "MeetingRequest"]
            self.assertEqual(len(reqs), 1)
            cal = att.find("calendar")
            self.assertEqual(len(cal), 1)
            return reqs[0], att.get([h.item_id(cal[0])])[0]

    def test_left_out(self):
        req, cal = self.request_and_calendar(["--no-associated-calendar-item-id"])
        self.assertIsNone(req.find("t:AssociatedCalendarItemId", h.NS))
        self.assertEqual(req.findtext("t:UID", namespaces=h.NS),
                         cal.findtext("t:UID", namespaces=h.NS))

    def test_sent_by_default(self):
        req, cal = self.request_and_calendar([])
        self.assertEqual(req.find("t:AssociatedCalendarItemId", h.NS).get("Id"),
                         h.item_id(cal)[0])


if __name__ == "__main__":
    unittest.main()
