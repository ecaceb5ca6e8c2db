"""Batches: the answers of one poll go out together, and a failed item fails alone.

(a) Per-item failures inside a batch (the simulator's per-item faults, item_faults.py): one
    request of attendee0's batch is refused (ErrorInvalidRecipients), one is gone
    (ErrorItemNotFound); the others of the same CreateItem are answered, each once, in one
    request. The refused one is recorded as failed for good with the server's words (as on
    the per-item path, mailbox_trouble.c) and a later run leaves it alone; the gone one is
    recorded as such and never answered.
(b) A room: two requests for the same slot in one batch: only the first is booked, the
    second is declined for the conflict (decisions in one batch see each other). The booked
    calendar items are rewritten in one UpdateItem, one of whose changes fails alone.
(c) Group commit under SIGKILL: the daemon is killed again and again while batches of
    answers hang on the server (carried out, no reply: intents on disk, outcomes not);
    every run after finds them, checks them on the server, and in the end every request is
    answered exactly once, every ledger and decision record line whole.

Each against the exchange and the gromox flavor of the simulator; (c) also against a server
that keeps answered requests in the Inbox."""

import json
import re

import e2e

A = e2e.addr
FLAVORS = (("exchange", ()), ("gromox", ("--flavor", "gromox")))
# TYPE TIME ACTION ID, and an intent may carry the link to its calendar item (LINK)
LEDGER_LINE = re.compile(r"^[ID] \d+ \S+ \S+( \S+)?$")
ROOM_POLICY = {"automate": "auto_accept", "remove_canceled_meetings": "yes",
               "response_message": "Room booked."}


def set_item_faults(w, specs):
    resp = w.sim.request("POST", "/sim/item-faults", "\n".join(specs).encode())
    if resp.status != 200:
        raise AssertionError(resp.body.decode())
    return json.loads(resp.body)


def requests_of(w, mailbox, operation):
    with open(w.request_log) as f:
        return [e for e in map(json.loads, f)
                if e.get("operation") == operation and (e.get("mailbox") or "") == A(mailbox)]


class Batch(e2e.TestCase):

    def test_item_faults_refused(self):
        """The simulator refuses a per-item fault whose code is not an error of the schema."""
        w = self.world(users=["organizer0", "attendee0"])
        resp = w.sim.request("POST", "/sim/item-faults", b"ErrorNoSuchThing:x")
        self.assertEqual(resp.status, 400)
        self.assertIn("ResponseCodeType", resp.body.decode())

    def test_failures_inside_a_batch(self):
        for flavor, args in FLAVORS:
            with self.subTest(flavor=flavor):
                self.failures_inside_a_batch(args)

    def failures_inside_a_batch(self, sim_args):
        w = self.world(users=["organizer0", "attendee0"], request_log=True, sim_args=sim_args)
        conf = w.write_config({"attendee0": "accept-all"})
        subjects = ["Batch ok 0", "Batch refused", "Batch ok 1", "Batch gone", "Batch ok 2"]
        uids = {s: w.uid_of(w.create_meeting(conf, s, required=["attendee0"], n=i))
                for i, s in enumerate(subjects)}
        set_item_faults(w, ["ErrorInvalidRecipients:Batch refused",
                            "ErrorItemNotFound:Batch gone"])
        res = w.once(conf, expect=None)
        self.assertNotEqual(res.returncode, 0, "an item failed for good: --once says so")
        creates = requests_of(w, "attendee0", "CreateItem")
        self.assertEqual(len(creates), 1, "the five answers in one CreateItem")
        self.assertEqual(sorted(creates[0]["codes"]),
                         sorted(["NoError"] * 3 + ["ErrorInvalidRecipients",
                                                   "ErrorItemNotFound"]))
        with open(w.request_log) as f:
            ops = [e["operation"] for e in map(json.loads, f)
                   if (e.get("mailbox") or "") == A("attendee0")]
        # No listing of the calendar's series: this policy checks no conflicts, so the view
        # is read only for the requests' own calendar items (mailbox_series.c).
        self.assertEqual(ops[:ops.index("CreateItem") + 1],
                         ["FindItem", "GetItem", "FindItem", "CreateItem"],
                         "one Inbox page, one fetch, one calendar view for the whole batch")
        responses = w.responses()
        for s in subjects:
            want = ["Accept"] if s.startswith("Batch ok") else []
            self.assertEqual(responses.get((uids[s], A("attendee0")), []), want, s)
        ids = {r["subject"]: r["id"] for r in w.requests("attendee0")}
        last = {rec[3]: rec for rec in w.ledger("attendee0")}
        # A refused answer fails for good: recorded, never tried again.
        self.assertEqual(last[ids["Batch refused"]][:3:2], ("D", "failed"))
        gone = [rec for rec in last.values() if rec[2] == "gone"]
        self.assertEqual(len(gone), 1, "the gone request is recorded as gone")
        outcomes = sorted((d["subject"], d["outcome"]) for d in w.decisions())
        refused = [o for s, o in outcomes if s == "Batch refused"]
        self.assertEqual(len(refused), 1, outcomes)
        self.assertRegex(refused[0], r"^failed: answering: ErrorInvalidRecipients",
                         "recorded with the server's words")
        self.assertEqual([x for x in outcomes if x[0] != "Batch refused"],
                         sorted([(s, "sent") for s in subjects if "ok" in s]
                                + [("Batch gone", "failed")]))

        set_item_faults(w, [])
        w.once(conf)
        w.once(conf)
        responses = w.responses()
        for s in subjects:
            want = [] if s in ("Batch gone", "Batch refused") else ["Accept"]
            self.assertEqual(responses.get((uids[s], A("attendee0")), []), want, s)

    def test_room_batch(self):
        for flavor, args in FLAVORS:
            with self.subTest(flavor=flavor):
                self.room_batch(args)

    def room_batch(self, sim_args):
        gromox = bool(sim_args)
        w = self.world(users=["organizer0", "room0"], request_log=True, sim_args=sim_args)
        policies = dict(e2e.POLICIES, room=ROOM_POLICY)
        conf = w.write_config({"room0": "room"}, policies=policies)
        first = w.create_meeting(conf, "Room first", resources=["room0"], n=0)
        second = w.create_meeting(conf, "Room second, same slot", resources=["room0"], n=0)
        others = [w.create_meeting(conf, "Room other %d" % i, resources=["room0"], n=i)
                  for i in (1, 2)]
        set_item_faults(w, ["ErrorInvalidOperation@UpdateItem:Room other 2"])  # its rewrite fails
        w.once(conf)
        self.assertEqual(w.answers(first), {A("room0"): ["Accept"]})
        self.assertEqual(w.answers(second), {A("room0"): ["Decline"]})
        for mid in others:
            self.assertEqual(w.answers(mid), {A("room0"): ["Accept"]})
        self.assertEqual(len(requests_of(w, "room0", "CreateItem")), 1)
        if gromox:
            return  # Gromox links no calendar item and puts none there before the answer
        updates = requests_of(w, "room0", "UpdateItem")
        self.assertEqual(len(updates), 1, "the rewrites in one UpdateItem")
        self.assertEqual(sorted(updates[0]["codes"]),
                         ["ErrorInvalidOperation", "NoError", "NoError"])
        subjects = sorted(c["subject"] for c in w.calendar("room0"))
        rewritten = [s for s in subjects if "organizer0" in s.lower() or "Organizer" in s]
        self.assertEqual(len(subjects), 3, subjects)
        self.assertEqual(len(rewritten), 2, "two rewrites went through: %s" % subjects)
        self.assertIn("Room other 2", subjects, "the failed rewrite left its item alone")

    def test_group_commit_under_sigkill(self):
        for flavor, args in FLAVORS:
            for keep in (False, True):
                with self.subTest(flavor=flavor, keep_answered=keep):
                    self.group_commit_under_sigkill(args, keep)

    def group_commit_under_sigkill(self, sim_args, keep):
        attendees = ["attendee0", "attendee1", "attendee2"]
        w = self.world(users=["organizer0"] + attendees, request_log=True, hang_seconds=30,
                       keep_answered=keep, sim_args=sim_args, seed=3)
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "tentative-all",
                               "attendee2": "decline-all"}, daemon={"batch_size": "3"})
        n = 12
        uids = [w.uid_of(w.create_meeting(conf, "Kill %d" % i, required=attendees, n=i))
                for i in range(n)]
        total = n * len(attendees)
        kills, pending_seen = 0, 0
        for _ in range(4):
            if w.count_responses() >= total:
                break
            w.sim.set_faults(["hang:0.5:CreateItem"])
            hung_before = len(self.hung(w))
            d = w.start_daemon(conf)
            e2e.wait_for(lambda: len(self.hung(w)) > hung_before or
                         w.count_responses() >= total, 30 * e2e.SLOW,
                         "a batch of answers hanging")
            d.kill()
            kills += 1
            pending_seen += sum(len(self.pending(w, a)) for a in attendees)
            self.check_files(w, attendees)
        self.assertGreater(kills, 1)
        self.assertGreater(pending_seen, 0, "no batch of unknown fate at any kill")
        w.sim.set_faults([])
        res = w.once(conf)
        w.once(conf)
        responses = w.responses()
        expected = {"attendee0": "Accept", "attendee1": "Tentative", "attendee2": "Decline"}
        for uid in uids:
            for user in attendees:
                self.assertEqual(responses.get((uid, A(user)), []), [expected[user]],
                                 "%s answered %s once\n%s" % (user, uid, res.stderr[-3000:]))
        self.assertEqual(w.count_responses(), total)
        self.check_files(w, attendees)

    def hung(self, w):
        with open(w.request_log) as f:
            return [e for e in map(json.loads, f)
                    if e.get("fault") == "hang" and e.get("operation") == "CreateItem"]

    def pending(self, w, mailbox):
        last = {}
        for rec in w.ledger(mailbox):
            last[rec[3]] = rec[0]
        return [i for i, k in last.items() if k == "I"]

    def check_files(self, w, mailboxes):
        """Every ledger and decision record line is whole (group commit writes all or none)."""
        for user in mailboxes:
            with open(w.ledger_path(user)) as f:
                raw = f.read()
            for line in raw.splitlines():
                self.assertRegex(line, LEDGER_LINE, "%s: torn ledger line" % user)
        for d in w.decisions():
            self.assertIn("outcome", d)


if __name__ == "__main__":
    e2e.main()
