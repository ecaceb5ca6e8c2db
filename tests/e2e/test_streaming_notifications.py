"""Streaming notifications ([server] sync = streaming / auto): every mailbox subscribes its
Inbox, the subscriptions of one account share one GetStreamingEvents connection, and a
notification makes its mailbox sync (SyncFolderItems). poll_interval is an hour here, so
only notifications (and the reactions to a broken connection) can bring an answer. A dropped
connection (POST /sim/streaming/drop) and expired subscriptions (POST
/sim/subscriptions/expire) lose nothing; a server without streaming (--no-streaming), and
one without SyncFolderItems as well, get correct answers by polling. Both flavors."""

import json
import signal

import e2e

A = e2e.addr
ROOMS = ["room0", "room1", "room2"]
USERS = ["organizer0"] + ROOMS
GROMOX = ("--flavor", "gromox")
SVC = "svc@example.com"


def logged(w):
    """Every logged request: its JSON fields plus request_body (--log-bodies)."""
    out = []
    body = None
    with open(w.request_log, encoding="utf-8") as f:
        for line in f:
            if line.startswith("{") and line.rstrip().endswith("}"):
                out.append(json.loads(line))
                body = None
            elif line in ("request_body:\n", "response_body:\n"):
                body = line[:-2]
                out[-1][body] = ""
            elif body is not None:
                out[-1][body] += line
    return out


def inbox_listings(w):
    return [r for r in logged(w) if r["operation"] == "FindItem"
            and 'Id="inbox"' in r["request_body"]]


def ops(w, operation):
    return w.sim.stats()["operations"].get(operation, 0)


class Streaming(e2e.TestCase):

    def setup_world(self, sim_args=(), sync="streaming", poll_interval="1h"):
        password = "pw-svc-streaming"
        w = self.world(users=USERS, request_log=True,
                       sim_args=tuple(sim_args) + ("--impersonator", "%s:%s" % (SVC, password),
                                                   "--heartbeat-seconds", "1",
                                                   "--log-bodies"))
        w.passwords["svc"] = password
        conf = w.write_config(
            {r: {"policy": "accept-all", "username": None, "password_file": None}
             for r in ROOMS},
            server={"username": SVC, "password_file": w.write_secret("svc", password),
                    "impersonation": "yes", "sync": sync},
            daemon={"poll_interval": poll_interval, "log_level": "debug"})
        return w, conf

    def meeting(self, w, conf, n):
        return w.create_meeting(conf, "Streamed %d" % n, resources=ROOMS, n=n)

    def answered(self, w, mid):
        e2e.wait_for(lambda: len(w.answers(mid)) == len(ROOMS), 30, "the answers to %s" % mid)
        self.assertEqual(w.answers(mid), {A(r): ["Accept"] for r in ROOMS})

    def connected(self, d, count=1):
        """One connection carries the three subscriptions (one account: one group)."""
        d.wait_log(r"notifications of %d mailbox\(es\) .*: connected" % len(ROOMS),
                   count=count, timeout=30)

    def run_streaming(self, sim_args=(), sync="streaming"):
        w, conf = self.setup_world(sim_args, sync=sync)
        d = w.start_daemon(conf)
        self.connected(d)
        self.assertEqual(ops(w, "Subscribe"), len(ROOMS))
        mids = [self.meeting(w, conf, 0)]
        self.answered(w, mids[0])
        # A dropped connection: the mailboxes sync, it is opened again, nothing is lost
        # (a meeting sent while it is down included).
        w.sim.request("POST", "/sim/streaming/drop", b"")
        mids.append(self.meeting(w, conf, 1))
        d.wait_log(r"the connection broke", timeout=30)
        self.answered(w, mids[1])
        self.connected(d, count=2)
        mids.append(self.meeting(w, conf, 2))
        self.answered(w, mids[2])
        # Expired subscriptions: each mailbox subscribes again and syncs.
        w.sim.request("POST", "/sim/subscriptions/expire", b"")
        mids.append(self.meeting(w, conf, 3))
        self.answered(w, mids[3])
        e2e.wait_for(lambda: ops(w, "Subscribe") >= 2 * len(ROOMS), 30, "new subscriptions")
        self.connected(d, count=3)
        mids.append(self.meeting(w, conf, 4))
        self.answered(w, mids[4])
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        # Each meeting answered once by each room; the Inbox was never listed.
        for mid in mids:
            self.assertEqual(w.answers(mid), {A(r): ["Accept"] for r in ROOMS})
        self.assertEqual(w.count_responses(), len(mids) * len(ROOMS))
        self.assertEqual(inbox_listings(w), [])
        # Found out and said once, however often the connection was opened.
        self.assertEqual(d.log().count("offers streaming notifications"), 1)
        return d

    def test_streaming(self):
        self.run_streaming()

    def test_streaming_gromox_by_default(self):
        self.run_streaming(GROMOX, sync="auto")

    def fallback(self, sim_args, inbox_operation):
        w, conf = self.setup_world(sim_args, sync="auto", poll_interval="1s")
        d = w.start_daemon(conf)
        mids = [self.meeting(w, conf, 0)]
        self.answered(w, mids[0])
        mids.append(self.meeting(w, conf, 1))
        self.answered(w, mids[1])
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(w.count_responses(), 2 * len(ROOMS))
        self.assertEqual(d.log().count("does not offer streaming notifications"), 1)
        self.assertEqual(ops(w, "GetStreamingEvents"), 0)
        # The subscriptions were refused once per mailbox at most, then never asked again.
        self.assertLessEqual(ops(w, "Subscribe"), len(ROOMS))
        if inbox_operation == "FindItem":
            self.assertTrue(inbox_listings(w))
        else:
            self.assertEqual(inbox_listings(w), [])
            self.assertTrue(any(r["operation"] == inbox_operation for r in logged(w)))
        return d

    def test_fallback_without_streaming(self):
        self.fallback(("--no-streaming",), "SyncFolderItems")

    def test_fallback_without_streaming_nor_sync(self):
        d = self.fallback(("--no-streaming", "--no-sync-folder-items"), "FindItem")
        self.assertEqual(d.log().count("does not offer SyncFolderItems"), 1)


if __name__ == "__main__":
    e2e.main()
