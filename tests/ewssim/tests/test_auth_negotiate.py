"""The simulator's Negotiate: SPNEGO/Kerberos tickets from a real MIT KDC (tests/kdc),
accepted with python3-gssapi against the HTTP/ keytab, mapped to mailboxes and bound to the
connection (IIS's authPersistNonNTLM)."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authkit  # noqa: E402
import simharness as h  # noqa: E402

ROOM = "room0@example.com"
SVC = "svc@example.com"
FIND_INBOX = authkit.FIND_INBOX


class Negotiate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kdc = authkit.Kdc().start()
        os.environ.update(cls.kdc.env)  # the simulator finds the KDC the same way
        cls.sim = h.Sim(mailboxes=[ROOM, "organizer0@example.com"],
                        impersonators=[SVC + ":svc-pw"],
                        extra_args=["--auth", "negotiate,basic",
                                    "--keytab", cls.kdc.path("http.keytab")]).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.kdc.stop()

    def post(self, token, impersonate=None, key="neg"):
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if token is not None:
            headers["Authorization"] = "Negotiate " + token
        return self.sim.request("POST", "/EWS/Exchange.asmx",
                                h.envelope(FIND_INBOX, impersonate=impersonate), headers,
                                key=key)

    def test_schemes_advertised_in_order(self):
        resp = self.post(None, key="anon-neg")
        self.assertEqual(resp.status, 401)
        self.assertEqual([v for k, v in resp.headers if k.lower() == "www-authenticate"],
                         ["Negotiate", 'Basic realm="ewssim"'])

    def test_service_ticket_logs_in_and_impersonates(self):
        token = self.kdc.negotiate_token("127.0.0.1")
        resp = self.post(token, impersonate=ROOM, key="svc")
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.codes(), ["NoError"])
        # Mutual authentication: the acceptor's answer comes back with the 200.
        self.assertTrue(resp.header("WWW-Authenticate").startswith("Negotiate "))
        # The connection stays authenticated as svc ...
        resp = self.post(None, impersonate=ROOM, key="svc")
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.codes(), ["NoError"])
        # ... and the ticket was svc's: without impersonation it has no mailbox.
        resp = self.post(None, key="svc")
        self.assertEqual(resp.codes(), ["ErrorNonExistentMailbox"])

    def test_principal_maps_to_mailbox(self):
        with tempfile.TemporaryDirectory() as d:
            # room0 is a principal with a password; export its keys to log in as room0.
            keytab = os.path.join(d, "room0.keytab")
            env = dict(os.environ, KRB5_KDC_PROFILE=self.kdc.path("kdc.conf"))
            import subprocess
            subprocess.run(["/usr/sbin/kadmin.local", "-r", "EXAMPLE.COM", "-q",
                            "ktadd -norandkey -k %s room0" % keytab], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            token = self.kdc.negotiate_token("localhost", keytab, "room0")
        resp = self.post(token, key="room0")
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertGreaterEqual(self.sim.stats()["mailboxes"][ROOM], 1)

    def test_principal_without_account_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            keytab = os.path.join(d, "stranger.keytab")
            self.kdc.add_principal("stranger", keytab)
            token = self.kdc.negotiate_token("127.0.0.1", keytab, "stranger")
        before = self.sim.stats()["auth_failures"]
        self.assertEqual(self.post(token, key="stranger").status, 401)
        self.assertEqual(self.sim.stats()["auth_failures"], before + 1)

    def test_bad_tokens_are_refused(self):
        token = self.kdc.negotiate_token("127.0.0.1")
        for bad in ("!!!", "YIIBAAAA", token[:40] + "A" * 20 + token[60:]):
            resp = self.post(bad, key="bad")
            self.assertEqual(resp.status, 401)
        # A ticket is for one service: the simulator's keytab has no HTTP/otherhost.
        with self.assertRaises(RuntimeError):
            self.kdc.negotiate_token("otherhost")

    def test_a_fresh_connection_must_authenticate(self):
        self.assertEqual(self.post(None, impersonate=ROOM, key="fresh").status, 401)

    def test_basic_still_works_alongside(self):
        resp = self.sim.post(h.envelope(FIND_INBOX), "organizer0@example.com")
        self.assertEqual(resp.status, 200)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
