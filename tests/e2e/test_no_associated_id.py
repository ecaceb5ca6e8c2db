"""A server that never sends AssociatedCalendarItemId (grommunio Gromox; the simulator's
--no-associated-calendar-item-id) and keeps answered requests in the Inbox: after answers
whose replies were lost (the 'drop' fault: carried out, connection closed without a reply),
a restarted meetingd confirms them from the attendee's calendar item found by the meeting's
UID and never sends a second answer."""

import e2e

A = e2e.addr
ATTENDEES = ["attendee0", "attendee1", "attendee2"]
MAILBOXES = {"attendee0": "accept-all", "attendee1": "tentative-all",
             "attendee2": "decline-all"}
EXPECTED = {A("attendee0"): ["Accept"], A("attendee1"): ["Tentative"],
            A("attendee2"): ["Decline"]}


class NoAssociatedId(e2e.TestCase):

    def test_lost_replies_and_a_restart_give_no_second_answer(self):
        w = self.world(users=["organizer0"] + ATTENDEES, keep_answered=True,
                       sim_args=["--no-associated-calendar-item-id"])
        conf = w.write_config(MAILBOXES)
        mids = [w.create_meeting(conf, "Unlinked %d" % n, required=ATTENDEES, n=n)
                for n in range(3)]
        # Every answer is carried out, and its reply lost.
        w.sim.set_faults(["drop:1:CreateItem"])
        w.once(conf, expect=None)
        w.sim.set_faults([])
        self.assertEqual(w.count_responses(), 9, "each answer reached the server once")
        # A new run finds intents without outcome and no link to the calendar items.
        run = w.once(conf, expect=None)
        w.once(conf)
        for mid in mids:
            self.assertEqual(w.answers(mid), EXPECTED, mid)
        self.assertEqual(w.count_responses(), 9, run.stderr[-3000:])
        for user in ATTENDEES:
            last = {rec[3]: rec for rec in w.ledger(user)}
            self.assertEqual(len(last), 3, user)
            self.assertEqual({rec[0] for rec in last.values()}, {"D"}, user)


if __name__ == "__main__":
    e2e.main()
