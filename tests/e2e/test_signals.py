"""Signals of the running daemon: SIGHUP with a broken configuration keeps the daemon and its
old configuration (it goes on answering); SIGHUP with a valid changed configuration applies to
new requests (a policy switched from accept to decline, a mailbox added, one removed);
SIGTERM stops it gracefully with exit 0."""

import re
import signal

import e2e

A = e2e.addr


class Signals(e2e.TestCase):

    def test_reload_and_stop(self):
        w = self.world(users=["organizer0", "attendee0", "attendee1", "room0"])
        conf = w.write_config({"attendee0": "accept-all", "room0": "accept-all"})
        ctl = w.write_config({}, name="ctl.conf")  # meetingctl's, never broken
        d = w.start_daemon(conf)
        everyone = ["attendee0", "attendee1"]

        m1 = w.create_meeting(ctl, "Before any reload", required=everyone,
                              resources=["room0"], n=1)
        e2e.wait_for(lambda: len(w.answers(m1)) == 2, 15, "the first answers")
        self.assertEqual(w.answers(m1), {A("attendee0"): ["Accept"], A("room0"): ["Accept"]})

        # --- A broken configuration: logged with file and line, the daemon carries on. --------
        with open(conf) as f:
            good = f.read()
        broken = good.replace("poll_interval = 1s", "poll_interval = whenever")
        self.assertNotEqual(broken, good)
        w.write_file(conf, broken.replace("policy = accept-all", "policy = decline-all"))
        line = [n for n, text in enumerate(broken.split("\n"), 1)
                if text.startswith("poll_interval")][0]
        d.send(signal.SIGHUP)
        d.wait_log(r"reload failed, keeping the running configuration: %s:%d: poll_interval: "
                   % (re.escape(conf), line))
        self.assertTrue(d.alive())
        m2 = w.create_meeting(ctl, "After a failed reload", required=everyone,
                              resources=["room0"], n=2)
        e2e.wait_for(lambda: len(w.answers(m2)) == 2, 15, "answers after the failed reload")
        self.assertEqual(w.answers(m2), {A("attendee0"): ["Accept"], A("room0"): ["Accept"]},
                         "the old configuration (accept) still decides")

        # --- A valid changed configuration: attendee0 now declines, attendee1 joins. ---------
        w.write_config({"attendee0": "decline-all", "attendee1": "tentative-all",
                        "room0": "accept-all"})
        d.send(signal.SIGHUP)
        d.wait_log(r"reload: mailbox attendee1 added")
        d.wait_log(r"configuration reloaded: 3 mailbox\(es\)")
        m3 = w.create_meeting(ctl, "After a good reload", required=everyone,
                              resources=["room0"], n=3)
        e2e.wait_for(lambda: len(w.answers(m3)) == 3, 15, "answers after the reload")
        self.assertEqual(w.answers(m3), {A("attendee0"): ["Decline"],
                                         A("attendee1"): ["Tentative"],
                                         A("room0"): ["Accept"]})
        # The new mailbox also answers what was waiting in its Inbox, once each.
        e2e.wait_for(lambda: not w.requests("attendee1"), 15, "attendee1's older requests")
        for mid in (m1, m2):
            self.assertEqual(w.answers(mid)[A("attendee1")], ["Tentative"])
        # Answers already sent stay as they were.
        self.assertEqual(w.answers(m1)[A("attendee0")], ["Accept"])

        # --- A mailbox removed: it stops answering. -------------------------------------------
        w.write_config({"attendee0": "decline-all", "attendee1": "tentative-all"})
        d.send(signal.SIGHUP)
        d.wait_log(r"reload: mailbox room0 removed")
        d.wait_log(r"configuration reloaded: 2 mailbox\(es\)")
        m4 = w.create_meeting(ctl, "Without the room", required=everyone,
                              resources=["room0"], n=4)
        e2e.wait_for(lambda: len(w.answers(m4)) == 2, 15, "answers without the room")
        polls = w.sim.stats()["mailboxes"][A("attendee0")]
        e2e.wait_for(lambda: w.sim.stats()["mailboxes"][A("attendee0")] >= polls + 2, 15,
                     "two more polls")
        self.assertEqual(w.answers(m4), {A("attendee0"): ["Decline"],
                                         A("attendee1"): ["Tentative"]})
        self.assertEqual(len(w.requests("room0")), 1, "room0 is no longer served")

        # --- SIGTERM: a graceful stop. --------------------------------------------------------
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        log = d.log()
        self.assertIn("stopping: letting answers in flight finish", log)
        self.assertRegex(log, r"meetingd stopped\s*$")
        # Nothing was answered twice along the way.
        for key, kinds in w.responses().items():
            self.assertEqual(len(kinds), 1, key)

    def test_sigint_and_idle_stop(self):
        # SIGINT is a stop like SIGTERM; a daemon between polls stops at once.
        w = self.world(users=["organizer0", "attendee0"])
        conf = w.write_config({"attendee0": "accept-all"}, daemon={"poll_interval": "1h"})
        d = w.start_daemon(conf, "-v")
        d.wait_log(r"meetingd \S+ started: 1 mailbox\(es\)")
        self.assertEqual(d.stop(signal.SIGINT), 0)
        self.assertIn("meetingd stopped", d.log())

    def test_sigterm_in_once_mode_after_some_mailboxes_finished(self):
        # attendee0 has nothing to do and finishes at once; attendee1's answer hangs on the
        # server. SIGTERM then must let that answer run out and exit, although attendee0 is
        # already done and cannot report again.
        w = self.world(users=["organizer0", "attendee0", "attendee1"], hang_seconds=30)
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "accept-all"},
                              server={"timeout": "2s"})
        w.create_meeting(conf, "Hangs on the server", required=["attendee1"])
        created = w.sim.stats()["operations"].get("CreateItem", 0)  # the organizer's
        w.sim.set_faults(["hang:1.0:CreateItem"])
        d = w.start_daemon(conf, "--once")
        e2e.wait_for(lambda: w.sim.stats()["operations"].get("CreateItem", 0) > created, 15,
                     "the answer to reach the (hanging) server")
        d.send(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=20), 0)
        self.assertIn("stopping: letting answers in flight finish", d.log())


if __name__ == "__main__":
    e2e.main()
