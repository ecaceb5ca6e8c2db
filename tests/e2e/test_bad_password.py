"""One mailbox with a wrong password fails on its own: the others are answered. With --once
meetingd exits non-zero; as a daemon it keeps running and the bad mailbox backs off (a wrong
password does not fix itself in seconds) instead of hammering the server."""

import re
import signal

import e2e

A = e2e.addr


class BadPassword(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=["organizer0", "attendee0", "attendee1", "room0"])
        wrong = self.w.write_secret("attendee1.wrong", "not-the-password-of-attendee1")
        self.conf = self.w.write_config({
            "attendee0": "accept-all",
            "attendee1": {"policy": "tentative-all", "password_file": wrong},
            "room0": "accept-all"})
        self.mid = self.w.create_meeting(self.conf, "Who can log in?",
                                         required=["attendee0", "attendee1"],
                                         resources=["room0"])

    def unauthorized(self):
        return self.w.sim.stats()["unauthorized"]

    def test_once(self):
        w = self.w
        res = w.once(self.conf, expect=77)  # EX_NOPERM: credentials refused
        self.assertEqual(w.answers(self.mid), {A("attendee0"): ["Accept"],
                                               A("room0"): ["Accept"]})
        self.assertEqual(len(w.requests("attendee1")), 1, "attendee1's request is untouched")
        self.assertRegex(res.stderr, r"mailbox attendee1: giving up")
        self.assertNotRegex(res.stderr, r"mailbox (attendee0|room0): giving up")
        # An authentication failure is not retried in --once: one attempt.
        self.assertEqual(self.unauthorized(), 1)
        self.assertEqual(w.sim.stats()["mailboxes"].get(A("attendee1")), None)

    def test_daemon(self):
        w = self.w
        d = w.start_daemon(self.conf)
        wait = lambda: w.answers(self.mid) == {A("attendee0"): ["Accept"],  # noqa: E731
                                               A("room0"): ["Accept"]}
        e2e.wait_for(wait, 15, "attendee0 and room0 to answer")
        m = d.wait_log(r"mailbox attendee1: FindItem failed: .*; retrying in ([0-9.]+) s "
                       r"\(failure 1\)")
        self.assertGreaterEqual(float(m.group(1)), 45.0,
                                "a wrong password is retried after a minute or so, not at once")
        failures = self.unauthorized()
        self.assertEqual(failures, 1)
        # The daemon goes on: a new meeting is answered by the good mailboxes ...
        mid2 = w.create_meeting(self.conf, "Still running", required=["attendee0", "attendee1"],
                                resources=["room0"], n=3)
        e2e.wait_for(lambda: len(w.answers(mid2)) == 2, 15, "answers to the second meeting")
        self.assertEqual(w.answers(mid2), {A("attendee0"): ["Accept"], A("room0"): ["Accept"]})
        # ... which keep polling, while the bad one stays backed off.
        polls = w.sim.stats()["mailboxes"][A("room0")]
        e2e.wait_for(lambda: w.sim.stats()["mailboxes"][A("room0")] >= polls + 2, 15,
                     "room0 to poll again")
        self.assertEqual(self.unauthorized(), failures)
        self.assertEqual(len(re.findall(r"mailbox attendee1: FindItem failed", d.log())), 1)
        self.assertTrue(d.alive())
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(len(w.requests("attendee1")), 2)


if __name__ == "__main__":
    e2e.main()
