"""meetingd on Graph through trouble: a storm of 429 (and 503) with Retry-After, and an Inbox
delta token that expires while the daemon runs (410 syncStateNotFound, then resyncRequired).
In both, every request is answered exactly once: counted in the organizer's Inbox, where each
answer graphsim carried out leaves one response."""

import json
import os
import re

import graphe2e as g
import e2e
from metricspage import free_port, samples, scrape

A = g.addr
ATTENDEES = ["attendee0", "attendee2", "room0"]
MAILBOXES = {"attendee0": "accept-all", "attendee2": "decline-all", "room0": "accept-all"}
PREFIX = {"attendee0": "Accepted: ", "attendee2": "Declined: ", "room0": "Accepted: "}


def graph_counts_agree(address, w, before):
    """meetingd's meetingd_graph_requests_total by outcome ({outcome: n}) when its sums equal
    graphsim's count of answers by HTTP status (2xx ok, 429 throttled, others) since BEFORE
    (its http_status counts when meetingd started), else None."""
    mine = {}
    for (name, labels), value in samples(scrape(address)).items():
        if name == "meetingd_graph_requests_total":
            outcome = re.search(r'outcome="([^"]+)"', labels).group(1)
            mine[outcome] = mine.get(outcome, 0) + int(value)
    theirs = {}
    for status, n in w.sim.stats()["http_status"].items():
        n -= before.get(status, 0)
        outcome = "ok" if status.startswith("2") else "throttled" if status == "429" \
            else "http-error"
        theirs[outcome] = theirs.get(outcome, 0) + n
    return mine if mine == theirs else None


class GraphFaults(g.TestCase):

    def expect_answered_once(self, w, subjects):
        want = {(A(u), PREFIX[u] + s): 1 for s in subjects for u in ATTENDEES}
        self.assertEqual(w.answers(), want)

    def all_answered(self, w, subjects):
        got = w.answers()
        return all((A(u), PREFIX[u] + s) in got for s in subjects for u in ATTENDEES)

    def test_throttle_storm(self):
        w = self.world(users=["organizer0"] + ATTENDEES, sim_args=["--retry-after", "1"])
        address = "127.0.0.1:%d" % free_port()
        conf = w.write_config(MAILBOXES, daemon={"metrics_listen": address})
        subjects = ["Storm %d" % i for i in range(8)]
        for i, s in enumerate(subjects):
            w.create_meeting(s, required=ATTENDEES[:2], resources=["room0"], n=i)
        # Throttled and unavailable, every operation, inside $batch too.
        w.sim.sim_post("/sim/faults", "throttle:0.2\nhttp-503:0.05\n")
        before = dict(w.sim.stats()["http_status"])  # the organizer's requests
        d = w.start_daemon(conf)
        # The storm lasts until it has struck often enough to mean something (how many
        # requests a run makes, and so how many faults it draws, varies with its speed).
        e2e.wait_for(lambda: self.all_answered(w, subjects) and
                     w.sim.stats()["faults_injected"].get("throttle", 0) > 10, 300 * e2e.SLOW,
                     "every request answered through the storm", interval=0.5)
        w.sim.sim_post("/sim/faults", "")
        # A few more polls: nothing is answered again.
        polls = w.sim.stats()["operations"].get("delta", 0)
        e2e.wait_for(lambda: w.sim.stats()["operations"].get("delta", 0) >= polls + 6, 30,
                     "more polls")
        # The metrics count every Graph request by what it did and how it ended, as graphsim
        # counted them (equal once none is in flight).
        counted = e2e.wait_for(lambda: graph_counts_agree(address, w, before), 30,
                               "meetingd's Graph request counts equal graphsim's")
        self.assertGreater(counted.get("throttled", 0), 0, counted)
        self.assertGreater(counted.get("ok", 0), 0, counted)
        operations = {labels for (name, labels) in samples(scrape(address))
                      if name == "meetingd_graph_requests_total"}
        self.assertTrue(any('operation="GET mailFolders/inbox/messages/delta"' in op
                            for op in operations), operations)
        self.assertFalse([op for op in operations if "@" in op or "AAMk" in op], operations)
        health = w.run([e2e.meetingctl_bin(), "-c", conf, "health"])
        self.assertRegex(health.stdout, r"Graph requests: \d+, [1-9]\d* failed or throttled")
        self.assertEqual(d.stop(), 0)
        stats = w.sim.stats()
        self.assertGreater(stats["faults_injected"].get("throttle", 0), 10, stats)
        self.expect_answered_once(w, subjects)
        # Only passing troubles: no ledger that could not be written, no mailbox given up.
        self.assertNotIn("cannot write", d.log())
        self.assertNotIn("giving up", d.log())
        self.assertEqual(stats["invalid_requests"], 0)

    def test_delta_token_expires_mid_run(self):
        w = self.world(users=["organizer0"] + ATTENDEES)
        conf = w.write_config(MAILBOXES)
        d = w.start_daemon(conf)
        done = []
        for round_, code in enumerate((None, "syncStateNotFound", "resyncRequired")):
            if code is not None:
                for user in ATTENDEES:
                    r = w.sim.sim_post("/sim/delta/expire", {"mailbox": A(user), "code": code})
                    self.assertEqual(r.status, 200, r.body)
            subject = "Round %d" % round_
            w.create_meeting(subject, required=ATTENDEES[:2], resources=["room0"], n=round_)
            done.append(subject)
            e2e.wait_for(lambda: self.all_answered(w, done), 60 * e2e.SLOW,
                         "%s answered" % subject, interval=0.2)
            self.expect_answered_once(w, done)
        # The full resyncs found the earlier requests again (they are in the Deleted Items
        # now, so not in the Inbox): nothing was answered twice, and meetingd said why it read
        # the Inbox again.
        d.wait_log(r"delta state expired", count=2 * len(ATTENDEES), timeout=30)
        self.assertEqual(d.stop(), 0)
        self.expect_answered_once(w, done)

    def test_revoked_token_is_replaced(self):
        """Every token revoked while the daemon runs (Graph's 401 InvalidAuthenticationToken,
        no error="invalid_token" in its challenge): meetingd fetches a new one and goes on."""
        w = self.world(users=["organizer0", "room0"])
        conf = w.write_config({"room0": "accept-all"})
        d = w.start_daemon(conf)
        w.create_meeting("Before", resources=["room0"])
        e2e.wait_for(lambda: w.answers(), 30 * e2e.SLOW, "the first answer", interval=0.2)
        unauthorized = w.sim.stats()["unauthorized"]
        self.assertEqual(w.sim.sim_post("/sim/tokens/revoke", "").status, 200)
        w.sim.token(fresh=True)  # the organizer's side too
        w.create_meeting("After", resources=["room0"], n=1)
        e2e.wait_for(lambda: len(w.answers()) == 2, 30 * e2e.SLOW, "the second answer",
                     interval=0.2)
        self.assertEqual(d.stop(), 0)
        self.assertGreater(w.sim.stats()["unauthorized"], unauthorized)
        self.assertEqual(len(re.findall(r"new access token", d.log())), 2, d.log())
        self.assertEqual(w.answers(), {(A("room0"), "Accepted: Before"): 1,
                                       (A("room0"), "Accepted: After"): 1})

    def test_delta_state_of_another_host(self):
        """A delta state whose link is not on graph_url (graph_url changed, or the file was
        tampered with) is not followed: the token never goes there; the Inbox is read again
        from graph_url."""
        w = self.world(users=["organizer0", "room0"])
        conf = w.write_config({"room0": "accept-all"})
        os.makedirs(w.state_dir, mode=0o700)
        with open(w.delta_state("room0"), "w") as f:
            json.dump({"deltaLink": "http://127.0.0.1:9/v1.0/users/room0@example.com/"
                                    "mailFolders/inbox/messages/delta?$deltatoken=x",
                       "ids": []}, f)
        w.create_meeting("Elsewhere", resources=["room0"])
        res = w.once(conf)
        self.assertNotIn("127.0.0.1:9/", res.stderr)
        self.assertEqual(w.answers(), {(A("room0"), "Accepted: Elsewhere"): 1})
        with open(w.delta_state("room0")) as f:
            self.assertTrue(json.load(f)["deltaLink"].startswith(w.sim.base + "/"))

    def test_resync_with_requests_left_in_the_inbox(self):
        """The expired token while the Inbox still holds requests meetingd finished with
        (left alone by the policy): the resync finds them all again, the ledger keeps them
        from being handled twice."""
        w = self.world(users=["organizer0", "room0"])
        policies = dict(g.POLICIES)
        policies["hold"] = {"automate": "none"}
        conf = w.write_config({"room0": "hold"}, policies=policies)
        for i in range(3):
            w.create_meeting("Held %d" % i, resources=["room0"], n=i)
        w.once(conf)
        first = [(d["mailbox"], d["subject"], d["decision"]) for d in w.decisions()]
        self.assertEqual(len(first), 3, first)
        w.sim.sim_post("/sim/delta/expire", {"mailbox": A("room0"), "code": "syncStateNotFound"})
        res = w.once(conf)
        self.assertIn("delta state expired", res.stderr)
        self.assertEqual([(d["mailbox"], d["subject"], d["decision"]) for d in w.decisions()],
                         first, "nothing is decided twice")
        self.assertEqual(w.answers(), {})


if __name__ == "__main__":
    g.main()
