"""A throttling server (ErrorServerBusy with BackOffMilliseconds), in both of Exchange's forms:
the SOAP fault (`server-busy`) and the per-message error (`server-busy-message`). meetingd
waits at least the back-off before it sends that mailbox's next request, and every request
still gets exactly one answer. The timing comes from the simulator's request log (the "epoch"
at which each response was ready), not from the daemon's own account.

First every request is refused until each mailbox met the busy server once (its first
FindItem); then the answers (CreateItem) are refused at a rate, and the steps after an answer
that meetingd does not retry (the room's calendar item rewrite, UpdateItem; moving finished
requests out of the Inbox, DeleteItem) every time, until each of those was refused once; then
the server calms down and meetingd runs (--once, again if it gave up) until all is answered.
Those best-effort steps must hold the mailbox back for the back-off too."""

import json
import re
import time

import e2e

BACKOFF_MS = 1500  # longer than meetingd's own first retry delays (0.5 s, 1 s in --once)
ATTENDEES = ["attendee0", "attendee1", "room0"]
N_MEETINGS = 1
MAILBOXES = {"attendee0": "accept-all", "attendee1": "tentative-all", "room0": "room"}
# The room decides by policy (and rewrites its calendar item after booking: an UpdateItem).
POLICIES = dict(e2e.POLICIES, room={"automate": "auto_accept"})


class ServerBusy(e2e.TestCase):

    def busy_count(self, w, kind):
        return w.sim.stats()["faults_injected"].get(kind, 0)

    def busy_ops(self, w, kind):
        with open(w.request_log) as f:
            return [e["operation"] for e in map(json.loads, f) if e.get("fault") == kind]

    def run_form(self, kind, keep_answered=False, always=("UpdateItem",)):
        """ALWAYS: operations refused every time in the second phase (the steps after an
        answer that meetingd does not retry: they must still respect the back-off)."""
        w = self.world(users=["organizer0"] + ATTENDEES, backoff_ms=BACKOFF_MS, seed=7,
                       request_log=True, keep_answered=keep_answered)
        conf = w.write_config(MAILBOXES, policies=POLICIES)
        uids = [w.uid_of(w.create_meeting(conf, "Busy %s %d" % (kind, i),
                                          required=ATTENDEES[:2], resources=["room0"], n=i))
                for i in range(N_MEETINGS)]
        # Only meetingd meets the busy server (meetingctl does not retry).
        w.sim.set_faults(["%s:1" % kind])
        runs = []  # (start, end) epochs of each meetingd run
        logs = ""
        deadline = time.monotonic() + 60 * e2e.SLOW
        total = N_MEETINGS * len(ATTENDEES)
        while w.count_responses() < total and time.monotonic() < deadline:
            start = time.time()
            d = w.start_daemon(conf, "--once")
            if not runs:
                e2e.wait_for(lambda: self.busy_count(w, kind) >= len(ATTENDEES), 20,
                             "every mailbox to meet the busy server")
                w.sim.set_faults(["%s:1:%s" % (kind, op) for op in always] +
                                 ["%s:0.25:CreateItem" % kind])
                # A few refused answers are enough; more would only stretch meetingd's
                # growing delays (and the test).
                e2e.wait_for(lambda: (self.busy_count(w, kind) >= len(ATTENDEES) + 1
                                      and set(always) <= set(self.busy_ops(w, kind)))
                             or not d.alive(), 60, "answers to meet the busy server")
                w.sim.set_faults([])
            d.wait(timeout=90)
            runs.append((start, time.time()))
            logs += d.log()
        w.sim.set_faults([])

        # Every request answered, exactly once.
        responses = w.responses()
        for uid in uids:
            for user in ATTENDEES:
                self.assertEqual(len(responses.get((uid, e2e.addr(user)), [])), 1,
                                 "%s answered %s once" % (user, uid))
        self.assertEqual(w.count_responses(), total)

        # The server was busy, and meetingd honoured the back-off every time.
        with open(w.request_log) as f:
            log = [json.loads(line) for line in f if line.strip()]
        busy = [e for e in log if e.get("fault") == kind]
        checked = 0
        for e in busy:
            later = [x for x in log if x["user"] == e["user"] and x["epoch"] > e["epoch"]]
            run = [r for r in runs if r[0] <= e["epoch"] <= r[1]]
            if not later or not run or later[0]["epoch"] > run[0][1]:
                continue  # the last request of a run that gave up: no retry to time
            waited = later[0]["epoch"] - e["epoch"]
            self.assertGreaterEqual(waited, BACKOFF_MS / 1000.0,
                                    "%s sent %s %.3f s after %s on %s"
                                    % (e["user"], later[0]["operation"], waited, kind,
                                       e["operation"]))
            checked += 1
        self.assertGreaterEqual(checked, len(ATTENDEES) + 1, busy)
        self.assertTrue([e for e in busy if e["operation"] != "FindItem"],
                        "no answer met the busy server")
        self.assertLessEqual(set(always), {e["operation"] for e in busy})
        # What meetingd says about it: the server's back-off, not its own shorter delay.
        retries = re.findall(r"failed: .*ErrorServerBusy.*; retrying in ([0-9.]+) s", logs)
        self.assertGreaterEqual(len(retries), checked, logs[-3000:])
        for seconds in retries:
            self.assertGreaterEqual(float(seconds), BACKOFF_MS / 1000.0)
        return busy

    def test_soap_fault(self):
        busy = self.run_form("server-busy")
        self.assertTrue(all(e["status"] == 500 for e in busy))

    def test_response_message(self):
        busy = self.run_form("server-busy-message")
        self.assertTrue(all(e["status"] == 200 for e in busy))

    def test_moving_finished_requests(self):
        # A server that leaves answered requests in the Inbox: meetingd moves them itself
        # (DeleteItem), and a refused move also holds it back for the back-off.
        self.run_form("server-busy", keep_answered=True, always=("UpdateItem", "DeleteItem"))


if __name__ == "__main__":
    e2e.main()
