"""One meetingd per state directory: while a daemon runs, a second meetingd, a --once or a
--dry-run on the same state directory exits 75 (EX_TEMPFAIL) with a message naming the
running one, and starts nothing; --history still reads the record. Once the daemon is gone -
stopped or killed, the kernel drops its flock either way - the next one starts."""

import re
import signal

import e2e

A = e2e.addr
EX_TEMPFAIL = 75


class SingleInstance(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=["organizer0", "attendee0"])
        self.conf = self.w.write_config({"attendee0": "accept-all"})
        self.mid = self.w.create_meeting(self.conf, "Only one of us", required=["attendee0"])

    def assert_refused(self, res, daemon):
        self.assertEqual(res.returncode, EX_TEMPFAIL, res)
        self.assertRegex(res.stderr, r"state directory %s is in use by another meetingd "
                         r"\(pid %d\)" % (re.escape(self.w.state_dir), daemon.pid))
        self.assertNotIn("started", res.stderr, "the second instance must not start")
        self.assertNotIn("decision", res.stderr)

    def test_second_instance_refused(self):
        w = self.w
        d = w.start_daemon(self.conf)
        d.wait_log(r"decision mailbox=attendee0 .*decision=accept")
        e2e.wait_for(lambda: w.answers(self.mid) == {A("attendee0"): ["Accept"]}, 15,
                     "attendee0's answer")
        self.assert_refused(w.once(self.conf, expect=None), d)
        self.assert_refused(w.meetingd(self.conf, "--once", "--dry-run"), d)
        second = w.start_daemon(self.conf, name="second")
        self.assertEqual(second.wait(), EX_TEMPFAIL, second.log())
        self.assertRegex(second.log(), r"is in use by another meetingd \(pid %d\)" % d.pid)
        history = w.meetingd(self.conf, "--history")
        self.assertEqual(history.returncode, 0, history)
        self.assertIn("Only one of us", history.stdout)
        self.assertTrue(d.alive())
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        # The daemon is gone: the lock with it.
        w.once(self.conf)
        self.assertEqual(w.answers(self.mid), {A("attendee0"): ["Accept"]}, "answered once")

    def test_lock_released_by_a_crash(self):
        w = self.w
        d = w.start_daemon(self.conf)
        d.wait_log(r"started")
        self.assert_refused(w.once(self.conf, expect=None), d)
        d.kill()
        res = w.once(self.conf)
        self.assertRegex(res.stderr, r"started")


if __name__ == "__main__":
    e2e.main()
