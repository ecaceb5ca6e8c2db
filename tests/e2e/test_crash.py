"""A crash between deciding and answering. meetingd writes an intent line to the mailbox's
ledger (STATE_DIR/<mailbox>.ledger, "I <unix-time> <action> <id>") before it answers and a done
line after; an intent without its done line is an answer of unknown fate, which the next run
checks on the server (the attendee's calendar item) before answering.

(a) an intent for a request that was in fact answered: not answered again;
(b) an intent for a request that was not answered: answered exactly once;
(c) SIGKILL in the middle of a run with many requests, some batches of answers on the way (the
    server got them, meetingd never heard back): after a restart, exactly one answer each.

Each runs against Exchange's behaviour (an answered request leaves the Inbox) and a server's
that leaves answered requests in the Inbox (--keep-answered-requests, as grommunio), where the
ledger alone stands between meetingd and a second answer."""

import json
import os
import time

import e2e
import simharness as h

A = e2e.addr
MODES = (("exchange", False), ("keep-answered", True))


def write_intent(w, mailbox, action, item_id):
    os.makedirs(w.state_dir, mode=0o700, exist_ok=True)
    with open(w.ledger_path(mailbox), "a") as f:
        f.write("I %d %s %s\n" % (int(time.time()), action, item_id))


def write_done(w, mailbox, n):
    """N done records of requests long gone."""
    os.makedirs(w.state_dir, mode=0o700, exist_ok=True)
    with open(w.ledger_path(mailbox), "a") as f:
        for i in range(n):
            f.write("D %d accept AAMkOld%04dAAA=\n" % (int(time.time()) - 86400, i))


class Crash(e2e.TestCase):

    def setup_world(self, keep, users=("organizer0", "attendee0", "attendee2", "room0"),
                    daemon=None, **kwargs):
        w = self.world(users=users, keep_answered=keep, **kwargs)
        conf = w.write_config({"attendee0": "accept-all", "attendee2": "decline-all",
                               "room0": "accept-all"}, daemon=daemon)
        return w, conf

    def test_intent_for_an_answered_request(self):
        for mode, keep in MODES:
            with self.subTest(mode=mode):
                w, conf = self.setup_world(keep)
                mid = w.create_meeting(conf, "Answered before the crash",
                                       required=["attendee0", "attendee2"], resources=["room0"])
                # The answers reached the server (sent here by hand, as meetingd would have),
                # the crash came before the done lines.
                # attendee0's ledger holds 31 older records: settling the intent makes it
                # the 32nd and grows the ledger's table (a path that once read freed memory).
                write_done(w, "attendee0", 31)
                reqs, actions = {}, {}
                for user, action, sent in (("attendee0", "accept", "tentative"),
                                           ("attendee2", "decline", "decline"),
                                           ("room0", "accept", "accept")):
                    req = reqs[user] = w.requests(user)[0]["id"]
                    actions[user] = action
                    w.ctl(conf, "respond", req, sent, as_user=user)
                    write_intent(w, user, action, req)
                answers = {A("attendee0"): ["Tentative"], A("attendee2"): ["Decline"],
                           A("room0"): ["Accept"]}
                self.assertEqual(w.answers(mid), answers)
                res = w.once(conf)
                w.once(conf)
                self.assertEqual(w.answers(mid), answers, res.stderr)
                if keep:
                    self.assertEqual(len(
                        [line for line in res.stderr.splitlines()
                         if "whose outcome was unknown reached the server" in line]), 3,
                        res.stderr)
                    for user in ("attendee0", "attendee2", "room0"):
                        # (The ledger may have been compacted to the last record per id.)
                        last = [rec for rec in w.ledger(user) if rec[3] == reqs[user]][-1]
                        self.assertEqual(last[:3:2], ("D", actions[user]),
                                         "%s: the intent is settled" % user)

    def test_intent_for_an_unanswered_request(self):
        for mode, keep in MODES:
            with self.subTest(mode=mode):
                w, conf = self.setup_world(keep)
                mid = w.create_meeting(conf, "Crashed before answering",
                                       required=["attendee0", "attendee2"], resources=["room0"])
                for user, action in (("attendee0", "accept"), ("attendee2", "decline"),
                                     ("room0", "accept")):
                    write_intent(w, user, action, w.requests(user)[0]["id"])
                w.once(conf)
                w.once(conf)
                self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"],
                                                  A("attendee2"): ["Decline"],
                                                  A("room0"): ["Accept"]})
                self.assertEqual([c["my_response_type"] for c in w.calendar("attendee0")],
                                 ["Accept"])

    def test_intent_whose_request_was_deleted_unanswered(self):
        """Exchange: an answer of unknown fate whose request then left the Inbox while its
        calendar item holds no answer (someone deleted the request unanswered). A young
        intent is checked every poll, never answered blindly; one a day old is given up,
        recorded "not sent", and no longer checked."""
        w = self.world(users=("organizer0", "room0"), request_log=True)
        conf = w.write_config({"room0": "accept-all"})
        ews = h.Ews(w.sim, A("room0"), password=w.passwords["room0"])
        intents = {}
        for subject, age in (("Deleted long ago", 86400 + 600), ("Deleted just now", 60)):
            w.create_meeting(conf, subject, resources=["room0"], n=len(intents))
            req = [r for r in w.requests("room0") if r["subject"] == subject][0]
            cal = [c for c in w.calendar("room0") if c["subject"] == subject][0]
            self.assertEqual(cal["my_response_type"], "NoResponseReceived")
            ews.ok('<m:DeleteItem DeleteType="MoveToDeletedItems"><m:ItemIds>'
                   '<t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>' % req["id"])
            os.makedirs(w.state_dir, mode=0o700, exist_ok=True)
            with open(w.ledger_path("room0"), "a") as f:
                f.write("I %d accept %s %s\n" % (int(time.time()) - age, req["id"], cal["id"]))
            intents[subject] = (req["id"], cal["id"])
        self.assertEqual(w.requests("room0"), [])

        def settle_checks():
            return [r for r in w.logged_requests()
                    if r["operation"] == "GetItem" and r["status"] == 200]
        first = w.once(conf).stderr
        self.assertRegex(first, r'"Deleted long ago" has no answer on the calendar a day after '
                                r'its request left the Inbox unanswered .*: the earlier accept '
                                r'is given up')
        self.assertNotIn("Deleted just now", first)
        old_req, _ = intents["Deleted long ago"]
        young_req, _ = intents["Deleted just now"]
        last = {rec[3]: rec for rec in w.ledger("room0")}
        self.assertEqual(last[old_req][:1] + last[old_req][2:3], ("D", "gone"))
        self.assertEqual(last[young_req][0], "I", "a young intent stays pending")
        settled = [d for d in w.decisions() if d.get("subject") == "Deleted long ago"]
        self.assertEqual([d["outcome"] for d in settled], ["not sent"])
        checks = len(settle_checks())
        self.assertEqual(checks, 2, "one check of each intent's calendar item")
        w.once(conf)
        self.assertEqual(len(settle_checks()) - checks, 1, "only the young intent is checked again")
        # Nothing was answered: neither calendar item changed, no response reached the organizer.
        self.assertEqual(w.count_responses(), 0)
        self.assertEqual([c["my_response_type"] for c in w.calendar("room0")],
                         ["NoResponseReceived"] * 2)

    def test_sigkill_mid_run(self):
        for mode, keep in MODES:
            with self.subTest(mode=mode):
                self.sigkill_mid_run(keep)

    def sigkill_mid_run(self, keep):
        attendees = ["attendee0", "attendee2", "room0"]
        # Answers go out two to a request (batch_size), their intents written together: the
        # kill finds whole batches of unknown fate, between their intents and outcomes.
        w, conf = self.setup_world(keep, hang_seconds=30, request_log=True,
                                   daemon={"batch_size": "2"})
        n = 10
        uids = [w.uid_of(w.create_meeting(conf, "Crash %d" % i, required=attendees[:2],
                                          resources=["room0"], n=i)) for i in range(n)]
        total = n * len(attendees)
        # Every mailbox's first batch of answers is carried out and then hangs: meetingd
        # waits for them (its timeout is 10 s) when it is killed, their intents without
        # outcome. (A random share of hangs let a fast run finish before the kill.)
        w.sim.set_faults(["hang:1:CreateItem"])
        d = w.start_daemon(conf, "--once")

        def hung():
            with open(w.request_log) as f:
                return [e for e in map(json.loads, f)
                        if e.get("fault") == "hang" and e["operation"] == "CreateItem"]
        e2e.wait_for(lambda: hung() and w.count_responses() >= 3, 20,
                     "answers, one of them hanging")
        d.kill()
        at_kill = w.count_responses()
        self.assertLess(at_kill, total, "meetingd finished before it could be killed")
        pending = {name: [rec for rec in w.ledger(name) if rec[0] == "I"
                          and not any(r[0] == "D" and r[3] == rec[3] for r in w.ledger(name))]
                   for name in attendees}
        self.assertTrue(any(pending.values()), "no answer of unknown fate at the crash")

        w.sim.set_faults([])
        res = w.once(conf)
        w.once(conf)
        responses = w.responses()
        for uid in uids:
            for user in attendees:
                self.assertEqual(len(responses.get((uid, A(user)), [])), 1,
                                 "%s answered %s once\n%s" % (user, uid, res.stderr[-3000:]))
        self.assertEqual(w.count_responses(), total)
        if keep:
            self.assertIn("whose outcome was unknown reached the server", res.stderr)


if __name__ == "__main__":
    e2e.main()
