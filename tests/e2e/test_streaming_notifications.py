"""Streaming notifications ([server] sync = streaming / auto): every mailbox subscribes its
Inbox, the subscriptions of one account share one GetStreamingEvents connection, and a
notification makes its mailbox sync (SyncFolderItems). poll_interval is an hour here, so
only notifications (and the reactions to a broken connection) can bring an answer. A dropped
connection (POST /sim/streaming/drop) and expired subscriptions (POST
/sim/subscriptions/expire) lose nothing; a server without streaming (--no-streaming), and
one without SyncFolderItems as well, get correct answers by polling. Both flavors."""

import json
import signal
import socket
import threading
import urllib.parse

import authe2e
import e2e
from authe2e import authkit

A = e2e.addr
ROOMS = ["room0", "room1", "room2"]
USERS = ["organizer0"] + ROOMS
GROMOX = ("--flavor", "gromox")
SVC = "svc@example.com"


def logged(w):
    """Every logged request with its bodies (--log-bodies)."""
    return w.logged_requests()


def inbox_listings(w):
    return [r for r in logged(w) if r["operation"] == "FindItem"
            and 'Id="inbox"' in r["request_body"]]


def ops(w, operation):
    return w.sim.stats()["operations"].get(operation, 0)


class FreezingProxy:
    """A TCP proxy on loopback in front of the simulator. freeze_streams() makes the
    connections whose GetStreamingEvents response is still running go silent (nothing more
    reaches the client, the connection stays open), as a connection whose peer vanished
    does; every other connection, and every new one, is passed on. What a frozen connection
    swallowed is kept (swallowed()). hold_new_streams() keeps new GetStreamingEvents
    requests from reaching the server until release_streams()."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.streams = []  # [client socket, frozen, response running] of streaming ones
        self.sockets = []
        self.closing = False
        self.frozen_bytes = b""
        self.passing = threading.Event()  # cleared: new streaming requests wait
        self.passing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, server]
            # client socket, frozen, response running, the response's last bytes, the
            # request's last bytes (a name may straddle two reads)
            state = [client, False, False, b"", b""]
            threading.Thread(target=self._pipe, args=(client, server, state, True),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, state, False),
                             daemon=True).start()

    def _pipe(self, src, dst, state, upstream):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                seen = state[4] + data if upstream else b""
                if upstream:
                    state[4] = data[-32:]
                if upstream and b"GetStreamingEvents" in seen:
                    state[4] = b""
                    self.passing.wait()
                    with self.lock:
                        state[2] = True
                        state[3] = b""
                        self.streams.append(state)
                if not upstream:
                    tail = state[3] + data[-16:]
                    state[3] = tail[-16:]
                    if tail.endswith(b"\r\n0\r\n\r\n"):
                        with self.lock:
                            state[2] = False  # the response ended (its last chunk)
                if not upstream and state[1]:
                    with self.lock:
                        self.frozen_bytes += data
                    continue  # frozen: swallowed
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if not state[1]:
                for sock in (src, dst):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def freeze_streams(self):
        with self.lock:
            running = [state for state in self.streams if state[2]]
            for state in running:
                state[1] = True
            return len(running)

    def swallowed(self):
        with self.lock:
            return self.frozen_bytes

    def hold_new_streams(self):
        self.passing.clear()

    def release_streams(self):
        self.passing.set()

    def close(self):
        self.closing = True
        self.passing.set()
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                sock.close()


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

    def answered(self, w, mid, d):
        try:
            e2e.wait_for(lambda: len(w.answers(mid)) == len(ROOMS), 30,
                         "the answers to %s" % mid)
        except AssertionError as exc:
            raise AssertionError("%s; meetingd's log ends:\n%s" % (exc, d.log()[-8000:]))
        self.assertEqual(w.answers(mid), {A(r): ["Accept"] for r in ROOMS})

    def connected(self, d, count=1):
        """One connection carries the three subscriptions (one account: one group)."""
        try:
            d.wait_log(r"notifications of %d mailbox\(es\) .*: connected" % len(ROOMS),
                       count=count, timeout=30)
        except AssertionError as exc:
            raise AssertionError("%s; meetingd's log ends:\n%s" % (exc, d.log()[-8000:]))

    def run_streaming(self, sim_args=(), sync="streaming"):
        w, conf = self.setup_world(sim_args, sync=sync)
        d = w.start_daemon(conf)
        self.connected(d)
        self.assertEqual(ops(w, "Subscribe"), len(ROOMS))
        mids = [self.meeting(w, conf, 0)]
        self.answered(w, mids[0], d)
        # A dropped connection: the mailboxes sync, it is opened again, nothing is lost
        # (a meeting sent while it is down included).
        w.sim.request("POST", "/sim/streaming/drop", b"")
        mids.append(self.meeting(w, conf, 1))
        d.wait_log(r"the connection broke", timeout=30)
        self.answered(w, mids[1], d)
        self.connected(d, count=2)
        mids.append(self.meeting(w, conf, 2))
        self.answered(w, mids[2], d)
        # Expired subscriptions: each mailbox subscribes again and syncs.
        w.sim.request("POST", "/sim/subscriptions/expire", b"")
        mids.append(self.meeting(w, conf, 3))
        self.answered(w, mids[3], d)
        e2e.wait_for(lambda: ops(w, "Subscribe") >= 2 * len(ROOMS), 30, "new subscriptions")
        self.connected(d, count=3)
        mids.append(self.meeting(w, conf, 4))
        self.answered(w, mids[4], d)
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

    def test_silent_connection(self):
        """A connection that falls silent (no heartbeat, no reset) is given up after a few
        missed heartbeats: the mailboxes sync, so a meeting whose notification went into the
        void is answered, and a new connection is opened. Until the server has the
        subscriptions on the new connection it still writes their events into the silent
        one: a meeting whose notification went there in that window is answered too (the
        mailboxes sync again once the new connection is up)."""
        w, _ = self.setup_world()
        proxy = FreezingProxy(urllib.parse.urlsplit(w.sim.url).port)
        self.addCleanup(proxy.close)
        url = "http://127.0.0.1:%d/EWS/Exchange.asmx" % proxy.port
        conf = w.write_config(
            {r: {"policy": "accept-all", "username": None, "password_file": None}
             for r in ROOMS},
            server={"username": SVC, "password_file": w.secret_path("svc"),
                    "impersonation": "yes", "sync": "streaming", "url": url},
            daemon={"poll_interval": "1h", "log_level": "debug"})
        d = w.start_daemon(conf)
        self.connected(d)
        first = self.meeting(w, conf, 0)
        self.answered(w, first, d)
        d.wait_log(r"sends a heartbeat after", timeout=30)  # the pace is known
        self.assertGreaterEqual(proxy.freeze_streams(), 1)
        proxy.hold_new_streams()
        second = self.meeting(w, conf, 1)
        d.wait_log(r"the connection broke \(no heartbeat\)", timeout=60)
        self.answered(w, second, d)
        # The new connection waits at the proxy: the server still streams into the silent
        # one, and the third meeting's notification goes there.
        third = self.meeting(w, conf, 2)
        requests = [it["id"] for r in ROOMS for it in w.requests(r)
                    if it["subject"] == "Streamed 2"]
        self.assertEqual(len(requests), len(ROOMS))
        e2e.wait_for(lambda: any(i.encode() in proxy.swallowed() for i in requests), 30,
                     "a notification of the third meeting in the silent connection")
        proxy.release_streams()
        self.connected(d, count=2)
        self.answered(w, third, d)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(w.count_responses(), 3 * len(ROOMS))

    def held(self, w):
        """The live subscriptions the simulator holds: {mailbox address: [owner, ...]}."""
        out = {}
        for sub in json.loads(w.sim.request("GET", "/sim/subscriptions").body)["subscriptions"]:
            if not sub["expired"]:
                out.setdefault(sub["mailbox"].lower(), []).append(sub["owner"])
        return out

    def test_unsubscribe(self):
        """A mailbox a reload removes, and every mailbox at an orderly stop, ends its
        subscription (Unsubscribe): the server holds none of meetingd's afterwards."""
        w, conf = self.setup_world()
        d = w.start_daemon(conf)
        self.connected(d)
        self.assertEqual(self.held(w), {A(r): [SVC] for r in ROOMS})
        w.write_config(
            {r: {"policy": "accept-all", "username": None, "password_file": None}
             for r in ROOMS[:-1]},
            server={"username": SVC, "password_file": w.secret_path("svc"),
                    "impersonation": "yes", "sync": "streaming"},
            daemon={"poll_interval": "1h", "log_level": "debug"})
        d.send(signal.SIGHUP)
        d.wait_log(r"mailbox %s: unsubscribed from notifications" % ROOMS[-1], timeout=30)
        self.assertEqual(self.held(w), {A(r): [SVC] for r in ROOMS[:-1]})
        # The others go on streaming (their connection is opened again without it).
        d.wait_log(r"notifications of %d mailbox\(es\) .*: connected" % (len(ROOMS) - 1),
                   timeout=30)
        mid = self.meeting(w, conf, 0)
        e2e.wait_for(lambda: len(w.answers(mid)) == len(ROOMS) - 1, 30, "the answers")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(self.held(w), {})
        self.assertEqual(ops(w, "Unsubscribe"), len(ROOMS))
        self.assertEqual(w.sim.stats()["response_codes"].get("ErrorSubscriptionNotFound", 0), 0)

    def test_affinity(self):
        """Three Mailbox servers behind the EWS URL, one room on each (--mailbox-servers 3):
        every Subscribe of the group names its anchor (X-AnchorMailbox, X-PreferServerAffinity)
        and, once the anchor's answer set it, the X-BackEndOverrideCookie; so the
        subscriptions live on one server, which the group's connection (and each
        Unsubscribe) reaches the same way. Without it most subscriptions would be
        ErrorSubscriptionNotFound on the group's connection."""
        w, conf = self.setup_world(("--mailbox-servers", "3"))
        d = w.start_daemon(conf)
        self.connected(d)

        def servers():
            held = json.loads(w.sim.request("GET", "/sim/subscriptions").body)
            return [s["server"] for s in held["subscriptions"] if not s["expired"]]
        self.assertEqual(len(servers()), len(ROOMS))
        self.assertEqual(len(set(servers())), 1)
        first = self.meeting(w, conf, 0)
        self.answered(w, first, d)
        # Subscribed again, now with the cookie: still that server.
        w.sim.request("POST", "/sim/subscriptions/expire", b"")
        e2e.wait_for(lambda: ops(w, "Subscribe") >= 2 * len(ROOMS), 30, "new subscriptions")
        self.connected(d, count=2)
        self.assertEqual(len(servers()), len(ROOMS))
        self.assertEqual(len(set(servers())), 1)
        second = self.meeting(w, conf, 1)
        self.answered(w, second, d)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(self.held(w), {})
        self.assertEqual(w.sim.stats()["response_codes"].get("ErrorSubscriptionNotFound", 0), 0)
        self.assertEqual(inbox_listings(w), [])

    def test_stop_when_unsubscribe_hangs(self):
        """A server that does not answer Unsubscribe holds the stop only briefly: meetingd
        gives up on the answers and exits 0 (the server ends the subscriptions itself)."""
        w, conf = self.setup_world(("--hang-seconds", "600"))
        d = w.start_daemon(conf)
        self.connected(d)
        w.sim.request("POST", "/sim/faults", b"hang:1:Unsubscribe\n")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(d.log().count("Unsubscribe not answered within 2 s"), len(ROOMS))

    def fallback(self, sim_args, inbox_operation):
        w, conf = self.setup_world(sim_args, sync="auto", poll_interval="1s")
        d = w.start_daemon(conf)
        mids = [self.meeting(w, conf, 0)]
        self.answered(w, mids[0], d)
        mids.append(self.meeting(w, conf, 1))
        self.answered(w, mids[1], d)
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


class StreamingOAuth2(Streaming):
    """Streaming as an Exchange Online app: app-only OAuth2 tokens (client credentials) and
    impersonation, the rooms on three Mailbox servers (the group kept together by affinity).
    The tokens live 200 s here (fresh for 160 s, 80 %): each connection asks for a
    ConnectionTimeout no longer than its token stays fresh (2 minutes), so the server
    closes it before the token runs out and the next one carries a token that is still good.
    A token revoked meanwhile is refused (401 invalid_token) when the next connection opens:
    meetingd fetches one new token and connects again, and nothing is lost."""

    TENANT = "fabrikam.onmicrosoft.com"
    CLIENT = "streaming-app"
    SECRET = "streaming-app-secret-5d0e77c2a4"

    # The inherited scenarios run with Basic only once (Streaming).
    test_streaming = test_streaming_gromox_by_default = test_silent_connection = None
    test_unsubscribe = test_stop_when_unsubscribe_hangs = test_affinity = None
    test_fallback_without_streaming = test_fallback_without_streaming_nor_sync = None

    def setup_world(self, sim_args=(), sync="streaming", poll_interval="1h"):
        w = self.world(users=USERS, request_log=True,
                       sim_args=tuple(sim_args) + (
                           "--auth", "bearer,basic", "--oauth2-client",
                           "%s:%s" % (self.CLIENT, self.SECRET),
                           "--oauth2-token-lifetime", "200", "--heartbeat-seconds", "1",
                           "--log-bodies", "--mailbox-servers", "3",
                           # A connection's minutes pass in 15 s (it asks for 2 of them).
                           "--streaming-minute-seconds", "15"))
        w.passwords["client secret"] = self.SECRET
        conf = w.write_config(
            {r: {"policy": "accept-all", "username": None, "password_file": None}
             for r in ROOMS},
            server={"auth": "oauth2", "tenant": self.TENANT, "client_id": self.CLIENT,
                    "client_secret_file": w.write_secret("app.secret", self.SECRET),
                    "token_url": authkit.token_url(w.sim, self.TENANT),
                    "impersonation": "yes", "sync": sync},
            daemon={"poll_interval": poll_interval, "log_level": "debug"})
        ctl = w.write_config({"room0": "accept-all"}, name="ctl.conf")
        return w, conf, ctl

    def streams(self, w):
        return [r for r in logged(w) if r["operation"] == "GetStreamingEvents"]

    def test_oauth2(self):
        w, conf, ctl = self.setup_world()
        d = w.start_daemon(conf)
        self.connected(d)
        first = self.meeting(w, ctl, 0)
        self.answered(w, first, d)
        for r in self.streams(w):  # one, or more (renewals, mailboxes joining one by one)
            self.assertEqual(r["status"], 200)
            self.assertIn("<m:ConnectionTimeout>2</m:ConnectionTimeout>", r["request_body"])
        # Revoked: the open connection goes on (the server checked the token when it
        # opened); the next one is refused once, and opens with a new token. When that
        # next one comes depends on how long the first answer took (a connection lasts
        # 30 s here), so the wait is for the refusal and the reopening themselves.
        before = len(self.streams(w))
        w.sim.request("POST", "/sim/revoke-tokens", b"")

        def reopened():
            statuses = [r["status"] for r in self.streams(w)[before:]]
            return 401 in statuses and 200 in statuses[statuses.index(401):]
        e2e.wait_for(reopened, 200, "a refused connection and one opened with a new token")
        second = self.meeting(w, ctl, 1)
        self.answered(w, second, d)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        streams = self.streams(w)[before:]
        statuses = [r["status"] for r in streams]
        # A renewal may have opened between the count and the revocation (200); then
        # exactly one refusal, then only connections with the new token.
        refused = statuses.index(401)
        self.assertEqual(set(statuses[:refused]) - {200}, set(), statuses)
        self.assertEqual(statuses[refused + 1], 200, statuses)
        self.assertEqual(set(statuses[refused + 1:]) - {200}, set(), statuses)
        for r in streams:
            if r["status"] == 200:
                self.assertIn("<m:ConnectionTimeout>2</m:ConnectionTimeout>",
                              r["request_body"])
        tokens = [r for r in logged(w) if r["operation"] == "token"]
        self.assertEqual([r["status"] for r in tokens], [200, 200])
        stats = w.sim.stats()
        self.assertEqual(stats["auth_rejected"].get("expired", 0), 0,
                         "a request carried an expired token")
        self.assertEqual(stats["unauthorized"], 1)
        for mid in (first, second):
            self.assertEqual(w.answers(mid), {A(r): ["Accept"] for r in ROOMS})
        self.assertEqual(w.count_responses(), 2 * len(ROOMS))
        self.assertEqual(inbox_listings(w), [])
        self.assertNotIn(self.SECRET, d.log())
        self.assertIsNone(authe2e.JWT.search(d.log()))


if __name__ == "__main__":
    e2e.main()
