"""A server that answers HTTP 503 with a Retry-After longer than 49.7 days (more milliseconds
than an unsigned int holds) is not retried after a few seconds: the back-off saturates instead
of wrapping around, and the daemon honours at most an hour of it."""

import http.server
import re
import signal
import threading

import e2e


class Busy(http.server.BaseHTTPRequestHandler):
    retry_after = "0"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(503)
        self.send_header("Retry-After", self.retry_after)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class RetryAfter(e2e.TestCase):

    def check(self, retry_after):
        handler = type("H", (Busy,), {"retry_after": retry_after})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        w = self.world(users=["attendee0"])
        url = "http://127.0.0.1:%d/EWS/Exchange.asmx" % srv.server_port
        conf = w.write_config({"attendee0": "accept-all"}, server={"url": url})
        d = w.start_daemon(conf)
        m = d.wait_log(r"FindItem failed: HTTP 503 from the server; retrying in ([0-9.]+) s")
        # Neither wrapped round to a short delay nor followed for days: capped at an hour.
        self.assertEqual(float(m.group(1)), 3600.0, re.escape(m.group(0)))
        self.assertEqual(d.stop(signal.SIGTERM), 0)

    def test_retry_after_just_past_uint_milliseconds(self):
        self.check("4294968")  # 4294968000 ms wrapped to 704 ms

    def test_huge_retry_after(self):
        self.check("99999999999999999")


if __name__ == "__main__":
    e2e.main()
