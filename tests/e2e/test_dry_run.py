"""--dry-run decides and logs but changes nothing: every mailbox's full dump is the same before
and after, the decisions are logged and recorded with dry_run true, and a real run afterwards
still has everything to do."""

import re
import signal

import e2e

MAILBOXES = {"attendee0": "accept-all", "attendee1": "tentative-all",
             "attendee2": "decline-all", "room0": "accept-all"}
A = e2e.addr


class DryRun(e2e.TestCase):

    def setUp(self):
        self.w = self.world()
        self.conf = self.w.write_config(MAILBOXES)
        w, conf = self.w, self.conf
        # One meeting already answered and then cancelled (a cancellation to remove) ...
        self.old = w.create_meeting(conf, "Cancelled later", required=["attendee0"],
                                    resources=["room0"], n=1)
        self.old_uid = w.uid_of(self.old)
        w.once(conf)
        w.ctl(conf, "cancel", self.old)
        # ... and a new one for everybody (requests to answer).
        self.new = w.create_meeting(conf, "Dry run meeting", required=["attendee0", "attendee1"],
                                    optional=["attendee2"], resources=["room0"], n=2)
        self.new_uid = w.uid_of(self.new)
        self.ledgers = {name: w.ledger(name) for name in MAILBOXES}
        self.n_decisions = len(w.decisions())

    def check_unchanged(self, before):
        after = self.w.dump_all()
        for user in self.w.users:
            self.assertEqual(after[user], before[user], "dry run changed %s" % user)
        for name in MAILBOXES:
            self.assertEqual(self.w.ledger(name), self.ledgers[name],
                             "dry run wrote %s's ledger" % name)

    def check_decisions(self, log):
        """One logged and one recorded dry-run decision per mailbox for the new meeting."""
        expect = {"attendee0": "accept", "attendee1": "tentative", "attendee2": "decline",
                  "room0": "accept"}
        logged = re.findall(r"decision mailbox=(\S+) .*subject=\"Dry run meeting\".* "
                            r"decision=(\w+) dry_run=yes outcome=dry-run", log)
        self.assertEqual(sorted(logged), sorted(expect.items()), log)
        self.assertRegex(log, r"mailbox attendee0: dry run: would remove cancelled meeting "
                              r"\"Canceled: Cancelled later\"")
        self.assertRegex(log, r"mailbox room0: dry run: would remove cancelled meeting")
        new = self.w.decisions()[self.n_decisions:]
        # The cancellations are recorded too, as what a real run would do with them.
        removed = [d for d in new if d["decision"] == "remove"]
        self.assertEqual(sorted(d["mailbox"] for d in removed), ["attendee0", "room0"])
        for d in removed:
            self.assertIs(d["dry_run"], True, d)
            self.assertEqual(d["outcome"], "dry-run")
        new = [d for d in new if d["decision"] != "remove"]
        self.assertEqual(sorted((d["mailbox"], d["decision"]) for d in new),
                         sorted(expect.items()))
        for d in new:
            self.assertIs(d["dry_run"], True, d)
            self.assertEqual(d["outcome"], "dry-run")
            self.assertEqual(d["uid"], self.new_uid)

    def check_real_run_still_answers(self):
        w = self.w
        w.once(self.conf)
        self.assertEqual(w.answers(self.new), {A("attendee0"): ["Accept"],
                                               A("attendee1"): ["Tentative"],
                                               A("attendee2"): ["Decline"],
                                               A("room0"): ["Accept"]})
        for user in ("attendee0", "room0"):
            self.assertEqual(w.calendar(user, self.old_uid), [], user)

    def test_once(self):
        before = self.w.dump_all()
        # The set-up left work of both kinds: requests and cancellations in the Inboxes.
        self.assertEqual(len(self.w.requests("attendee2")), 1)
        self.assertTrue([it for it in before["attendee0"]["inbox"]
                         if it["kind"] == "MeetingCancellation"])
        res = self.w.once(self.conf, "--dry-run")
        self.check_unchanged(before)
        self.check_decisions(res.stderr)
        self.assertIn("dry run", res.stderr)
        history = self.w.meetingd(self.conf, "--history", "--mailbox", "attendee2")
        self.assertEqual(history.returncode, 0, history)
        self.assertRegex(history.stdout, r"attendee2  DECLINE \(dry run\)  \"Dry run meeting\"")
        # Twice: still nothing changed, the same decisions again (nothing was recorded as done).
        res = self.w.once(self.conf, "-n")
        self.check_unchanged(before)
        # (Four answers and the two cancellations' removals.)
        self.assertEqual(len(re.findall(r"dry_run=yes", res.stderr)), 6, res.stderr)
        self.assertEqual(len(re.findall(r"decision=remove dry_run=yes", res.stderr)), 2)
        self.check_real_run_still_answers()

    def test_daemon(self):
        before = self.w.dump_all()
        d = self.w.start_daemon(self.conf, "--dry-run", "-v")
        # Several polls of every mailbox; each decision is logged once, not at every poll.
        for name in MAILBOXES:
            d.wait_log(r"mailbox %s: \d+ meeting message\(s\) to look at" % name, count=2,
                       timeout=20)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.check_unchanged(before)
        self.check_decisions(d.log())
        self.check_real_run_still_answers()


if __name__ == "__main__":
    e2e.main()
