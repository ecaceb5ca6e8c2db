"""The decision record tells the truth: answers whose reply was lost, and cancellations.

(a) The server carries out the answers of a first run and then drops the connection
    without a reply. Such an answer is recorded "unknown", never "failed"; the next run finds out on
    the server and appends a line that settles it ("settles": true, "sent"), so the last
    record of every request says "sent" with the policy's decision, and `meetingd --history`
    shows the final outcome beside the earlier record. On a server that keeps answered
    requests in the Inbox the request itself is checked again; on one that moves them
    (Exchange, with a new id) the intent's link to the calendar item settles it, and no
    intent is left in the ledger.
(b) A cancellation is recorded: decision "remove", outcome "removed", and --history shows it.
"""

import json
import time

import e2e

ATTENDEES = {"attendee0": ("accept-all", "accept", "Accept"),
             "attendee1": ("tentative-all", "tentative", "Tentative"),
             "attendee2": ("decline-all", "decline", "Decline")}
MEETINGS = 8


def last_records(w, request_ids):
    """{(mailbox, request id): [record, ...]} for the requests REQUEST_IDS."""
    out = {}
    for rec in w.decisions():
        key = (rec["mailbox"], rec["item_id"])
        if key in request_ids:
            out.setdefault(key, []).append(rec)
    return out


class RecordTruth(e2e.TestCase):

    def lost_answers(self, keep_answered):
        w = self.world(users=["organizer0"] + list(ATTENDEES), seed=3,
                       keep_answered=keep_answered, request_log=True)
        conf = w.write_config({u: spec[0] for u, spec in ATTENDEES.items()})
        uids = [w.uid_of(w.create_meeting(conf, "Lost reply %d" % n, required=list(ATTENDEES),
                                          n=n)) for n in range(MEETINGS)]
        request_ids = {(u, r["id"]) for u in ATTENDEES for r in w.requests(u)}
        self.assertEqual(len(request_ids), MEETINGS * len(ATTENDEES))
        # Every answer the first run sends is carried out and its reply dropped; then the
        # server calms down and meetingd runs until everything is answered.
        w.sim.set_faults(["drop:1:CreateItem"])
        logs = w.once(conf, expect=None).stderr
        w.sim.set_faults([])
        deadline = time.monotonic() + 120 * e2e.SLOW
        while time.monotonic() < deadline:
            logs += w.once(conf, expect=None).stderr
            if w.count_responses() >= len(request_ids):
                break
        logs += w.once(conf).stderr  # a calm run finds nothing left to do

        with open(w.request_log) as f:
            drops = [e for e in map(json.loads, f) if e.get("fault") == "drop"]
        self.assertGreaterEqual(len(drops), 3, "too few answers dropped to prove anything")
        responses = w.responses()
        for uid in uids:
            for user, spec in ATTENDEES.items():
                self.assertEqual(responses.get((uid, e2e.addr(user))), [spec[2]], user)

        records = last_records(w, request_ids)
        unknown = 0
        for (user, rid), recs in sorted(records.items()):
            outcomes = [r["outcome"] for r in recs]
            self.assertNotIn("failed", outcomes, "%s: a delivered answer recorded as failed: %s"
                             % (user, outcomes))
            self.assertEqual(recs[-1]["outcome"], "sent", "%s: %s" % (user, outcomes))
            self.assertEqual(recs[-1]["decision"], ATTENDEES[user][1])
            if "unknown" in outcomes:
                unknown += 1
                self.assertTrue(recs[-1].get("settles"), "%s: %s" % (user, outcomes))
                self.assertEqual(outcomes.count("sent"), 1, "%s: %s" % (user, outcomes))
        self.assertEqual(len(records), len(request_ids), "a request without a record")
        self.assertGreaterEqual(unknown, 3, logs[-3000:])
        for user in ATTENDEES:
            self.assertFalse([r for r in w.ledger(user) if r[0] == "I" and not any(
                d[0] == "D" and d[3] == r[3] for d in w.ledger(user))], user)

        history = w.meetingd(conf, "--history").stdout
        self.assertIn("    outcome: unknown\n    final outcome: sent (a later record settles "
                      "it)\n", history)
        self.assertIn("    outcome: sent (found on the server later: settles the earlier "
                      "record)\n", history)

    def test_server_that_keeps_answered_requests(self):
        self.lost_answers(keep_answered=True)

    def test_server_that_moves_answered_requests(self):
        self.lost_answers(keep_answered=False)

    def test_cancellation_is_recorded(self):
        w = self.world(users=["organizer0", "room0"])
        conf = w.write_config({"room0": "accept-all"})
        mid = w.create_meeting(conf, "Called off", resources=["room0"])
        w.once(conf)
        self.assertEqual(w.answers(mid), {e2e.addr("room0"): ["Accept"]})
        uid = w.uid_of(mid)
        self.assertEqual(len(w.calendar("room0", uid=uid)), 1)
        w.ctl(conf, "cancel", mid)
        cancellation = [it for it in w.mailbox("room0")["inbox"]
                        if it["kind"] == "MeetingCancellation"]
        self.assertEqual(len(cancellation), 1)
        w.once(conf)
        self.assertEqual(w.calendar("room0", uid=uid), [])
        recs = [r for r in w.decisions() if r["item_id"] == cancellation[0]["id"]]
        self.assertEqual([(r["decision"], r["outcome"]) for r in recs], [("remove", "removed")])
        self.assertEqual(recs[0]["mailbox"], "room0")
        self.assertEqual(recs[0]["subject"], cancellation[0]["subject"])
        history = w.meetingd(conf, "--history", "--mailbox", "room0").stdout
        self.assertIn("  room0  REMOVE  ", history)
        self.assertIn("    outcome: removed\n", history)


if __name__ == "__main__":
    e2e.main()
