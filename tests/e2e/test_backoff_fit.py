"""Back-off that fits the error.

A transient error (here HTTP 503 on a fifth of all requests) costs a short, capped pause, and
none at all after a poll that answered something: 20 requests are all answered, exactly once,
within two minutes at poll_interval = 2s (a bound on the wait for the outcome, not a timing
of any step). A lasting error (the server's certificate fails verification) is not retried
like a passing one: --once gives up after the first attempt, saying why, and the daemon says
at error level that it will not pass by itself."""

import os
import re
import socket
import ssl
import subprocess
import threading
import time

import e2e

ATTENDEES = ["attendee0", "attendee1"]


class LoopbackServer:
    """Listens on loopback; each connection accepted goes to handle(conn), in the accepting
    thread. Subclasses set their own state before calling __init__, which starts it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.handle(conn)

    def close(self):
        self.sock.close()


class TlsServer(LoopbackServer):
    """Accepts TLS connections with a self-signed certificate (no client trusts it) and
    counts the handshakes attempted."""

    def __init__(self, directory):
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.connections = 0
        super().__init__()

    def handle(self, conn):
        self.connections += 1
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass


class Trickle(LoopbackServer):
    """Reads a request, then answers one byte a second, for ever."""

    def handle(self, conn):
        threading.Thread(target=self.trickle, args=(conn,), daemon=True).start()

    @staticmethod
    def trickle(conn):
        try:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000:
                conn.sendall(bytes([byte]))
                time.sleep(1)
        except OSError:
            pass
        finally:
            conn.close()


class BackoffFit(e2e.TestCase):

    def test_http_503_at_20_percent(self):
        w = self.world(users=["organizer0"] + ATTENDEES, seed=11)
        conf = w.write_config({u: "accept-all" for u in ATTENDEES},
                              daemon={"poll_interval": "2s"})
        uids = [w.uid_of(w.create_meeting(conf, "Flaky %d" % i, required=ATTENDEES, n=i))
                for i in range(10)]
        w.sim.set_faults(["http-503:0.2"])
        d = w.start_daemon(conf)
        total = len(uids) * len(ATTENDEES)
        e2e.wait_for(lambda: w.count_responses() >= total, 120,
                     "all %d requests answered at 20%% HTTP 503" % total, interval=0.5)
        w.sim.set_faults([])
        self.assertGreater(w.sim.stats()["faults_injected"].get("http-503", 0), 0)
        self.assertEqual(d.stop(), 0)
        responses = w.responses()
        for uid in uids:
            for user in ATTENDEES:
                self.assertEqual(responses.get((uid, e2e.addr(user))), ["Accept"])
        # The delays stayed short: nothing near the old quarter-hour pauses.
        delays = [float(x) for x in re.findall(r"retrying in ([0-9.]+) s", d.log())]
        self.assertTrue(all(x <= 180 * 1.2 for x in delays), delays)

    def test_tls_verification_failure(self):
        w = self.world(users=["attendee0"])
        srv = TlsServer(w.dir)
        self.addCleanup(srv.close)
        url = "https://127.0.0.1:%d/EWS/Exchange.asmx" % srv.port
        conf = w.write_config({"attendee0": "accept-all"}, server={"url": url})
        res = w.once(conf, expect=1)
        # One attempt, not eight: a certificate that fails verification fails it again.
        self.assertEqual(len(re.findall(r"FindItem failed", res.stderr)), 1, res.stderr)
        self.assertEqual(srv.connections, 1)
        self.assertRegex(res.stderr, r"giving up: TLS failure: .*certificate")
        # The daemon keeps trying (someone may fix the server), but says at error level that
        # this will not pass by itself, and does not hammer the server meanwhile.
        d = w.start_daemon(conf)
        m = d.wait_log(r"error: mailbox attendee0: FindItem failed: TLS failure: .*will not pass "
                       r"by itself.*retrying in ([0-9]+) s")
        self.assertGreaterEqual(float(m.group(1)), 60 * 0.8)
        self.assertEqual(d.stop(), 0)

    def test_once_deadline_with_a_trickling_server(self):
        """--once against a server that answers a byte a second stops at once_deadline,
        exit 1, saying so (before once_deadline it took ~100 s to give up)."""
        w = self.world(users=["attendee0"])
        srv = Trickle()
        self.addCleanup(srv.close)
        url = "http://127.0.0.1:%d/EWS/Exchange.asmx" % srv.port
        conf = w.write_config({"attendee0": "accept-all"}, server={"url": url, "timeout": "30s"},
                              daemon={"once_deadline": "10s"})
        # The run's own limit is far beyond the deadline plus its grace: a bound, not a timing.
        res = w.once(conf, expect=1, timeout=60)
        self.assertIn("once_deadline (10 s) passed with work left undone", res.stderr)


if __name__ == "__main__":
    e2e.main()
