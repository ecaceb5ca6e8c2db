"""Servers that leave answered requests in the Inbox (grommunio does; the simulator with
--keep-answered-requests): meetingd answers each request once and never again, over several
runs and over many polls of the daemon. With remove_old_meeting_messages (the default) it
moves the finished requests out of the Inbox itself; without it they stay, and only the ledger
keeps meetingd from answering them again."""

import signal

import e2e

A = e2e.addr
ATTENDEES = ["attendee0", "attendee1", "room0"]


def policies(remove_old):
    out = {}
    for name, keys in e2e.POLICIES.items():
        keys = dict(keys)
        keys["remove_old_meeting_messages"] = "yes" if remove_old else "no"
        out[name] = keys
    return out


class KeepAnswered(e2e.TestCase):

    def setup_world(self, remove_old):
        w = self.world(users=["organizer0"] + ATTENDEES, keep_answered=True)
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "decline-all",
                               "room0": "tentative-all"}, policies=policies(remove_old))
        mids = [w.create_meeting(conf, "Kept %d" % i, required=ATTENDEES[:2],
                                 resources=["room0"], n=i) for i in range(3)]
        return w, conf, mids

    def check_answered_once(self, w, mids):
        for mid in mids:
            self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"],
                                              A("attendee1"): ["Decline"],
                                              A("room0"): ["Tentative"]}, mid)

    def test_requests_stay_in_the_inbox(self):
        w, conf, mids = self.setup_world(remove_old=False)
        ids = {u: sorted(r["id"] for r in w.requests(u)) for u in ATTENDEES}
        for _ in range(3):
            w.once(conf)
            self.check_answered_once(w, mids)
        # The server kept the answered requests where they were, unchanged in id ...
        for user in ATTENDEES:
            self.assertEqual(sorted(r["id"] for r in w.requests(user)), ids[user], user)
        # ... and would take a second answer (which is what meetingd must not send).
        w.ctl(conf, "respond", ids["attendee0"][0], "accept", as_user="attendee0")
        self.assertEqual(w.count_responses(), 10)
        # Nor does the daemon, however often it polls.
        d = w.start_daemon(conf)
        polls = {u: w.sim.stats()["mailboxes"].get(A(u), 0) for u in ATTENDEES}
        e2e.wait_for(lambda: all(w.sim.stats()["mailboxes"].get(A(u), 0) >= polls[u] + 2
                                 for u in ATTENDEES), 20, "several polls of every mailbox")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(w.count_responses(), 10)
        self.assertNotIn("decision mailbox=", d.log())

    def test_finished_requests_are_moved(self):
        w, conf, mids = self.setup_world(remove_old=True)
        w.once(conf)
        w.once(conf)
        self.check_answered_once(w, mids)
        for user in ATTENDEES:
            self.assertEqual(w.requests(user), [], "%s: the finished requests left" % user)
            self.assertEqual(len(w.requests(user, "deleteditems")), 3, user)
        # A new meeting in a running daemon: answered once, then moved, then left alone.
        d = w.start_daemon(conf)
        mid = w.create_meeting(conf, "Kept later", required=ATTENDEES[:2], resources=["room0"],
                               n=5)
        e2e.wait_for(lambda: all(not w.requests(u) for u in ATTENDEES)
                     and len(w.answers(mid)) == 3, 20, "the answers and the clean-up")
        polls = w.sim.stats()["mailboxes"][A("room0")]
        e2e.wait_for(lambda: w.sim.stats()["mailboxes"][A("room0")] >= polls + 1, 20,
                     "more polls")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.check_answered_once(w, mids + [mid])
        self.assertEqual(w.count_responses(), 12)

    def test_answers_by_hand_are_never_overruled(self):
        """A person answers before meetingd's first poll; the request stays in the Inbox
        (same id, nothing in the ledger), and meetingd must still never answer it."""
        w = self.world(users=["organizer0"] + ATTENDEES, keep_answered=True)
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "decline-all",
                               "room0": "tentative-all"}, policies=policies(False))
        # An earlier meeting, left to meetingd: its request is linked to its calendar item,
        # which shows meetingd that this server puts requests on the calendar (so that a
        # request whose calendar item is gone was declined).
        first = w.create_meeting(conf, "Left to meetingd", required=["attendee0"], n=0)
        mid = w.create_meeting(conf, "By hand", required=ATTENDEES[:2], resources=["room0"],
                               n=1)
        # attendee0 (whose policy accepts) declines; attendee1 (whose policy declines)
        # accepts; room0 is left to meetingd.
        for user, answer in (("attendee0", "decline"), ("attendee1", "accept")):
            req = [r["id"] for r in w.requests(user) if r["subject"] == "By hand"][0]
            res = w.ctl(conf, "respond", req, answer, as_user=user)
            self.assertEqual(res.stdout.strip(), answer + " sent")
        want = {A("attendee0"): ["Decline"], A("attendee1"): ["Accept"],
                A("room0"): ["Tentative"]}
        w.once(conf)
        self.assertEqual(w.answers(mid), want)
        self.assertEqual(w.answers(first), {A("attendee0"): ["Accept"]})
        for user in ATTENDEES[:2]:
            self.assertEqual(len([r for r in w.requests(user) if r["subject"] == "By hand"]),
                             1, "%s: the request stayed" % user)
        w.once(conf)
        d = w.start_daemon(conf)
        polls = {u: w.sim.stats()["mailboxes"].get(A(u), 0) for u in ATTENDEES}
        e2e.wait_for(lambda: all(w.sim.stats()["mailboxes"].get(A(u), 0) >= polls[u] + 2
                                 for u in ATTENDEES), 20, "several polls of every mailbox")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(w.answers(mid), want)
        self.assertEqual(w.count_responses(), 4)
        outcomes = sorted((r["mailbox"], r["outcome"]) for r in w.decisions())
        self.assertEqual(outcomes, [("attendee0", "answered elsewhere"), ("attendee0", "sent"),
                                    ("attendee1", "answered elsewhere"),
                                    ("room0", "sent")])


if __name__ == "__main__":
    e2e.main()
