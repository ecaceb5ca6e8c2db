"""meetingd --once against a server nobody answers: after its retries it exits 69
(EX_UNAVAILABLE), which tells an operator (and systemd) "the server", not "the
configuration" (78) or "the credentials" (77)."""

import socket

import e2e


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Unreachable(e2e.TestCase):

    def test_once_exits_69(self):
        w = self.world(users=["organizer0", "room0"])
        conf = w.write_config({"room0": "accept-all"}, server={
            "url": "http://127.0.0.1:%d/EWS/Exchange.asmx" % closed_port(),
            "timeout": "5s"})
        res = w.once(conf, expect=69, timeout=240)
        self.assertRegex(res.stderr, r"mailbox room0: giving up: connect failed")
        self.assertEqual(w.sim.stats()["requests"], 0)


if __name__ == "__main__":
    e2e.main()
