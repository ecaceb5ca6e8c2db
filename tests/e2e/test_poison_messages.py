"""No poison messages: one message whose fetch is over meetingd's 16 MiB answer limit, or a
batch of messages that together are, never stops a mailbox.

meetingd fetches new meeting messages in batches; an answer over the limit makes it ask for
half as many, down to one at a time. A message that cannot be fetched even alone is recorded
as failed (ledger and decision record, with its reason), left in the Inbox for a person, and
skipped; every other request is answered. The invitations are real EWS CreateItem requests
of the organizer (the simulator sends them like Exchange), with bodies anyone outside could
send."""

import json
import os
import sys

import e2e

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ewssim",
                                "tests"))
import simharness as h  # noqa: E402


def invite(w, subject, n, body, html=False):
    """An invitation from organizer0 to attendee0 with BODY; returns its UID."""
    ews = h.Ews(w.sim, e2e.addr("organizer0"), w.passwords["organizer0"])
    start, end = e2e.slot(n)
    extra_body = ""
    if html:
        # Ews.create_meeting writes a Text body; an HTML one goes in by hand.
        body_xml = '<t:Body BodyType="HTML">%s</t:Body>' % h.escape(body)
        xml = ("<m:CreateItem SendMeetingInvitations=\"SendToAllAndSaveCopy\">"
               "<m:SavedItemFolderId><t:DistinguishedFolderId Id=\"calendar\"/>"
               "</m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>%s</t:Subject>%s"
               "<t:Start>%s</t:Start><t:End>%s</t:End>%s</t:CalendarItem></m:Items>"
               "</m:CreateItem>" % (h.escape(subject), body_xml, start, end,
                                    ews.attendees_xml("RequiredAttendees",
                                                      [e2e.addr("attendee0")])))
        msg = ews.ok(xml)[0]
        mid = h.item_id(h.items_of(msg)[0])[0]
    else:
        mid = ews.create_meeting(subject, start, end, required=[e2e.addr("attendee0")],
                                 body=body, extra=extra_body)[0]
    return w.uid_of(mid)


class PoisonMessages(e2e.TestCase):

    def answered(self, w, uids):
        responses = w.responses()
        return [u for u in uids if responses.get((u, e2e.addr("attendee0")))]

    def test_one_huge_body(self):
        w = self.world(users=["organizer0", "attendee0"])
        conf = w.write_config({"attendee0": "accept-all"})
        # First in the Inbox, so that it sits in the first batch with the others.
        huge = invite(w, "Huge body", 0, "x" * (17 * 1024 * 1024))
        small = [invite(w, "Ordinary %d" % i, 1 + i, "See you there.") for i in range(3)]
        # Left undone: the huge one, so --once says so.
        res = w.once(conf, expect=1, timeout=120)
        self.assertIn("cannot be fetched", res.stderr)
        self.assertEqual(sorted(self.answered(w, small)), sorted(small))
        self.assertEqual(self.answered(w, [huge]), [])
        self.assertEqual(w.count_responses(), 3)
        # Recorded as failed with its reason, in the ledger and in the decision record.
        self.assertIn("unfetchable", open(w.ledger_path("attendee0")).read())
        failed = [d for d in w.decisions() if d.get("outcome", "").startswith("failed")]
        self.assertEqual(len(failed), 1, failed)
        self.assertIn("too", failed[0]["outcome"])
        # Still in the Inbox for a person to see; the next run has nothing left to do and
        # does not fetch it again.
        self.assertEqual(len(w.requests("attendee0")), 1)
        res = w.once(conf, expect=0, timeout=60)
        self.assertNotIn("cannot be fetched", res.stderr)
        self.assertEqual(w.count_responses(), 3)

    def test_sixty_large_html_bodies(self):
        w = self.world(users=["organizer0", "attendee0"])
        conf = w.write_config({"attendee0": "accept-all"})
        body = "<html><body>" + "<p>Agenda item</p>" * (400 * 1024 // 18) + "</body></html>"
        uids = [invite(w, "Large %d" % i, i, body, html=True) for i in range(60)]
        res = w.once(conf, expect=0, timeout=300)
        self.assertIn("size limit", res.stderr)
        self.assertEqual(sorted(self.answered(w, uids)), sorted(uids))
        self.assertEqual(w.count_responses(), 60)
        sent = [d for d in w.decisions() if d.get("outcome") == "sent"]
        self.assertEqual(len(sent), 60)


if __name__ == "__main__":
    e2e.main()
