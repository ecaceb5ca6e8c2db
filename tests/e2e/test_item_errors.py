"""Errors per item, not per mailbox, on both flavors of the simulator (Exchange and grommunio
Gromox). The simulator fails chosen items only (its item faults): access to one meeting
request denied (ErrorAccessDenied in that item's GetItem message), the answer to another
refused with a SOAP Client fault (as Gromox refuses what it cannot read), the answer to a
third failing with a transient ErrorInternalServerError every time. Each such item is
recorded as failed, with the server's words, in the ledger and the decision record; every
other request of the mailbox is answered, in --once and in the daemon, and no mailbox is
given up."""

import signal

import e2e

A = e2e.addr


class ItemErrors:
    FLAVOR = None

    def setup_world(self):
        w = self.world(users=["organizer0", "attendee0", "attendee1"],
                       sim_args=("--flavor", self.FLAVOR))
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "decline-all"})
        return w, conf

    def meeting(self, w, conf, subject, n):
        return w.uid_of(w.create_meeting(conf, subject, required=["attendee0", "attendee1"],
                                         n=n))

    def failed_records(self, w, user):
        return [d for d in w.decisions()
                if d["mailbox"] == user and d["outcome"].startswith("failed:")]

    def ledger_actions(self, w, user):
        last = {}
        for rec in w.ledger(user):
            last[rec[3]] = (rec[0], rec[2])
        return sorted(last.values())

    def test_permanent_failures_in_once(self):
        w, conf = self.setup_world()
        locked = self.meeting(w, conf, "Locked away", 0)
        refused = self.meeting(w, conf, "Refused answer", 1)
        ordinary = [self.meeting(w, conf, "Ordinary %d" % i, 2 + i) for i in range(3)]
        w.sim.set_item_faults([("Locked away", "GetItem", "ErrorAccessDenied"),
                               ("Refused answer", "CreateItem", "Client")])
        # Something was left undone: --once says so, but only after answering the rest.
        res = w.once(conf, expect=1)
        self.assertNotIn("giving up", res.stderr)
        for uid in ordinary:
            self.assertEqual(w.answers(None, uid=uid),
                             {A("attendee0"): ["Accept"], A("attendee1"): ["Decline"]}, uid)
        self.assertEqual(w.answers(None, uid=locked), {})
        self.assertEqual(w.answers(None, uid=refused), {})
        for user in ("attendee0", "attendee1"):
            self.assertEqual(self.ledger_actions(w, user),
                             sorted([("D", "failed")] * 2
                                    + [("D", "accept" if user == "attendee0" else "decline")]
                                    * 3), user)
            words = " | ".join(sorted(d["outcome"] for d in self.failed_records(w, user)))
            self.assertEqual(words.count("failed: "), 2, words)
            self.assertRegex(words, r"failed: answering: SOAP fault .*Client")
            self.assertRegex(words, r"failed: GetItem: ErrorAccessDenied")
        # Recorded for good: the next run has nothing to do, and asks nothing about them.
        w.sim.set_item_faults([])
        res = w.once(conf, expect=0)
        self.assertNotIn("failed", res.stderr)
        self.assertEqual(w.count_responses(), 6)

    def test_daemon_goes_on_past_failing_items(self):
        w, conf = self.setup_world()
        self.meeting(w, conf, "Locked away", 0)
        flaky = self.meeting(w, conf, "Flaky answer", 1)
        w.sim.set_item_faults([("Locked away", "GetItem", "ErrorAccessDenied"),
                               ("Flaky answer", "CreateItem", "ErrorInternalServerError")])
        d = w.start_daemon(conf)
        first = self.meeting(w, conf, "Ordinary first", 2)
        e2e.wait_for(lambda: len(w.answers(None, uid=first)) == 2, 20, "the first answers")
        # The transient failure of one item is tried again each poll, within its budget,
        # then recorded as failed; the mailbox is never given up and later requests pass.
        try:
            d.wait_log(r"\"Flaky answer\" failed for good .*\(5 attempts\)", timeout=60,
                       count=2)
        except AssertionError:
            print(d.log()[-6000:])
            raise
        later = self.meeting(w, conf, "Ordinary later", 3)
        e2e.wait_for(lambda: len(w.answers(None, uid=later)) == 2, 20, "the later answers")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertNotIn("giving up", d.log())
        self.assertEqual(w.answers(None, uid=flaky), {})
        for user in ("attendee0", "attendee1"):
            words = " | ".join(sorted(r["outcome"] for r in self.failed_records(w, user)))
            self.assertEqual(words.count("failed: "), 2, words)
            self.assertRegex(words, r"ErrorInternalServerError.*\(5 attempts\)")
            self.assertRegex(words, r"GetItem: ErrorAccessDenied")
        self.assertEqual(w.count_responses(), 4)


class ItemErrorsExchange(ItemErrors, e2e.TestCase):
    FLAVOR = "exchange"


class ItemErrorsGromox(ItemErrors, e2e.TestCase):
    FLAVOR = "gromox"


if __name__ == "__main__":
    e2e.main()
