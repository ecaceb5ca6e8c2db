"""A crash between deciding and answering, on Graph. meetingd writes an intent line to the
mailbox's ledger before it answers and a done line after; an intent without its done line is
an answer of unknown fate, which the next run checks on the server (the event's
responseStatus) before answering.

(a) an intent for a request that was not answered: answered exactly once;
(b) SIGKILL in the middle of a run with many requests, some answers on the way (graphsim
    carried them out, meetingd never heard back): after a restart, exactly one answer each,
    counted in the organizer's Inbox."""

import os
import time

import e2e
import graphe2e as g

A = g.addr
ATTENDEES = ["attendee0", "attendee2", "room0"]
MAILBOXES = {"attendee0": "accept-all", "attendee2": "decline-all", "room0": "accept-all"}
PREFIX = {"attendee0": "Accepted: ", "attendee2": "Declined: ", "room0": "Accepted: "}


def write_intent(w, mailbox, action, item_id):
    os.makedirs(w.state_dir, mode=0o700, exist_ok=True)
    with open(w.ledger_path(mailbox), "a") as f:
        f.write("I %d %s %s\n" % (int(time.time()), action, item_id))


class GraphCrash(g.TestCase):

    def requests(self, w, user):
        return [m for m in w.mailbox(user)["inbox"]
                if m.get("@odata.type") == "#microsoft.graph.eventMessageRequest"]

    def test_intent_for_an_unanswered_request(self):
        w = self.world(users=["organizer0"] + ATTENDEES)
        conf = w.write_config(MAILBOXES)
        w.create_meeting("Crashed before answering", required=ATTENDEES[:2],
                         resources=["room0"])
        for user, action in (("attendee0", "accept"), ("attendee2", "decline"),
                             ("room0", "accept")):
            write_intent(w, user, action, self.requests(w, user)[0]["id"])
        w.once(conf)
        w.once(conf)
        self.assertEqual(w.answers(), {(A(u), PREFIX[u] + "Crashed before answering"): 1
                                       for u in ATTENDEES})
        # The verification read the event (its responseStatus) before answering.
        self.assertGreaterEqual(w.sim.stats()["operations"].get("getEvent", 0), 3)

    def test_sigkill_mid_run(self):
        w = self.world(users=["organizer0"] + ATTENDEES, sim_args=["--hang-seconds", "30"])
        # One answer a request (graphsim hangs single requests only, not those in a $batch).
        conf = w.write_config(MAILBOXES, daemon={"batch_size": "1"})
        n = 10
        subjects = ["Crash %d" % i for i in range(n)]
        for i, s in enumerate(subjects):
            w.create_meeting(s, required=ATTENDEES[:2], resources=["room0"], n=i)
        total = n * len(ATTENDEES)
        # Every answer is carried out and then hangs: meetingd waits for them (its timeout
        # is 10 s) when it is killed, their intents without outcome. (A random share of
        # hangs let a run end, or finish, before the kill.)
        w.sim.sim_post("/sim/faults", "hang:1:accept\nhang:1:decline\n")
        d = w.start_daemon(conf, "--once")
        e2e.wait_for(lambda: w.sim.stats()["faults_injected"].get("hang", 0) >= 1
                     and sum(w.answers().values()) >= 3, 60,
                     "answers, one of them hanging")
        d.kill()
        at_kill = sum(w.answers().values())
        self.assertLess(at_kill, total, "meetingd finished before it could be killed")
        pending = [rec for name in ATTENDEES for rec in w.ledger(name) if rec[0] == "I"
                   and not any(r[0] == "D" and r[3] == rec[3] for r in w.ledger(name))]
        self.assertTrue(pending, "no answer of unknown fate at the crash")

        w.sim.sim_post("/sim/faults", "")
        res = w.once(conf)
        w.once(conf)
        want = {(A(u), PREFIX[u] + s): 1 for s in subjects for u in ATTENDEES}
        self.assertEqual(w.answers(), want, res.stderr[-3000:])
        for s in subjects:
            for user in ("attendee0", "room0"):
                events = [e for e in w.events_of(user) if e["subject"] == s]
                self.assertEqual([e["responseStatus"]["response"] for e in events],
                                 ["accepted"], (user, s))


if __name__ == "__main__":
    g.main()
