"""No hidden resends: a server that carries out an answer and then closes the connection
without replying (the simulator's 'drop' fault) must not get the answer a second time.

libcurl re-sends a request on a fresh connection when a kept-alive connection dies before any
byte of the reply ("Connection died, retrying a fresh connect"). For an answer that is a
second acceptance behind the ledger's back. meetingd sends every non-idempotent call at most
once; a call sent without a reply has an unknown fate, and the ledger's intent makes the next
poll settle it from the server's state (the attendee's calendar item) before anything is sent
again.

Both kinds of server: one that keeps answered requests in the Inbox (where a resend is taken
and becomes a duplicate) and one that moves them (Exchange: a resend fails). Over 200 answers
each, with a third of the answers dropped: every request answered exactly once."""

import json
import sys
import time

import e2e

ATTENDEES = ["attendee0", "attendee1", "attendee2"]
MAILBOXES = {"attendee0": "accept-all", "attendee1": "tentative-all",
             "attendee2": "decline-all"}
MEETINGS = 70  # x 3 attendees = 210 answers per kind of server
DROP = "drop:0.33:CreateItem"
EXPECTED = {e2e.addr("attendee0"): "Accept", e2e.addr("attendee1"): "Tentative",
            e2e.addr("attendee2"): "Decline"}


class DroppedAnswers(e2e.TestCase):

    def log(self, w):
        with open(w.request_log) as f:
            return [json.loads(line) for line in f]

    def run_kind(self, keep_answered):
        w = self.world(users=["organizer0"] + ATTENDEES, seed=8, keep_answered=keep_answered,
                       request_log=True)
        # Two answers per CreateItem (batch_size): a dropped request leaves a whole batch of
        # unknown fate, and there are enough requests for the fault to strike often.
        conf = w.write_config(MAILBOXES, daemon={"batch_size": "2"})
        uids = [w.uid_of(w.create_meeting(conf, "Dropped %d" % n, required=ATTENDEES, n=n))
                for n in range(MEETINGS)]
        w.sim.set_faults([DROP])
        logs = ""
        deadline = time.monotonic() + 300 * e2e.SLOW
        while time.monotonic() < deadline:
            logs += w.once(conf, expect=None, timeout=300).stderr
            answered = sum(len(v) for (u, _), v in w.responses().items() if u in uids)
            if answered >= len(uids) * len(ATTENDEES):
                break
        w.sim.set_faults([])
        logs += w.once(conf).stderr  # a calm last run finds nothing left to do

        drops = [e for e in self.log(w) if e.get("fault") == "drop"]
        self.assertGreaterEqual(len(drops), 20, "the fault struck too rarely to prove much")
        responses = w.responses()
        wrong = []
        for uid in uids:
            for user in ATTENDEES:
                got = responses.get((uid, e2e.addr(user)), [])
                if got != [EXPECTED[e2e.addr(user)]]:
                    wrong.append("%s: %s" % (user, got))
        self.assertEqual(wrong, [], "%d of %d answers not exactly once (%d answers dropped)"
                         "\n%s" % (len(wrong), MEETINGS * len(ATTENDEES), len(drops),
                                   logs[-3000:]))
        # The attendees' sent copies agree: nothing was sent twice.
        for user in ATTENDEES:
            sent = [it for it in w.mailbox(user)["sentitems"] if it["uid"] in uids]
            self.assertEqual(len(sent), MEETINGS, user)
        # Every answer has its ledger record. Where the request stays in the Inbox each one is
        # settled ("D"); a request the server moved may keep an unsettled intent, since it is
        # never looked at again.
        for user in ATTENDEES:
            last = {}
            for rec in w.ledger(user):
                last[rec[3]] = rec[0]
            self.assertEqual(len(last), MEETINGS, user)
            pending = {i for i, k in last.items() if k == "I"}
            if keep_answered:
                self.assertEqual(pending, set(), user)
            else:
                self.assertFalse(pending & {r["id"] for r in w.requests(user)}, user)
        print("%s: %d answers, each exactly once; %d dropped by the server"
              % ("kept in the Inbox" if keep_answered else "moved", MEETINGS * len(ATTENDEES),
                 len(drops)), file=sys.stderr)
        return len(drops)

    def test_server_that_keeps_answered_requests(self):
        self.run_kind(keep_answered=True)

    def test_server_that_moves_answered_requests(self):
        self.run_kind(keep_answered=False)


if __name__ == "__main__":
    e2e.main()
