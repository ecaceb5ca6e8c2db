"""The simulator's NTLM: a real NTLMv2 server bound to the TCP connection as IIS binds it,
checked with a third-party client (python3-requests-ntlm) and with hand-made messages."""

import base64
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authkit  # noqa: E402
import simharness as h  # noqa: E402

sys.path.insert(0, h.SIM_DIR)
import ntlm  # noqa: E402

ROOM = "room0@example.com"
SVC = "svc@example.com"
FIND_INBOX = authkit.FIND_INBOX
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}


class Md4(unittest.TestCase):
    def test_rfc1320_vectors(self):
        for data, digest in ((b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
                             (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
                             (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
                             (b"message digest", "d9130a8164549fe818874806e1c7014b"),
                             (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536")):
            self.assertEqual(ntlm.md4(data).hex(), digest)

    def test_nt_hash_of_password(self):
        # MS-NLMP 4.2.2.1.2: NTOWFv1("Password") (the specification's test vector).
        self.assertEqual(ntlm.nt_hash("Password").hex(), "a4f49c406510bdcab6824ee7c30fd852")


class Ntlm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[ROOM + ":room-pw", "organizer0@example.com"],
                        impersonators=[SVC + ":svc-pw"],
                        extra_args=["--auth", "ntlm"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def post(self, session, body=FIND_INBOX, impersonate=None):
        return session.post(self.sim.url, data=h.envelope(body, impersonate=impersonate),
                            headers=HEADERS)

    def test_third_party_client_logs_in(self):
        for user in ("EXAMPLE\\room0", ROOM, "example.com\\room0"):
            with self.subTest(user=user):
                with authkit.ntlm_session(user, "room-pw") as s:
                    resp = self.post(s)
                    self.assertEqual(resp.status_code, 200, resp.text)
                    self.assertIn("NoError", resp.text)

    def test_service_account_impersonates(self):
        with authkit.ntlm_session("EXAMPLE\\svc", "svc-pw") as s:
            resp = self.post(s, impersonate=ROOM)
            self.assertEqual(resp.status_code, 200, resp.text)
            self.assertIn("NoError", resp.text)

    def test_wrong_password_fails(self):
        before = self.sim.stats()["auth_failures"]
        for user in ("EXAMPLE\\room0", ROOM, "EXAMPLE\\svc", "EXAMPLE\\nobody"):
            with self.subTest(user=user):
                with authkit.ntlm_session(user, "wrong-pw") as s:
                    resp = self.post(s)
                    self.assertEqual(resp.status_code, 401)
        self.assertEqual(self.sim.stats()["auth_failures"], before + 4)

    def test_only_ntlm_is_offered_and_basic_is_refused(self):
        resp = self.sim.post(h.envelope(FIND_INBOX), ROOM, "room-pw")
        self.assertEqual(resp.status, 401)
        self.assertEqual([v for k, v in resp.headers if k.lower() == "www-authenticate"],
                         ["NTLM"])

    def test_authentication_is_bound_to_the_connection(self):
        with authkit.ntlm_session(ROOM, "room-pw") as s:
            self.assertEqual(self.post(s).status_code, 200)
            # The same connection, no Authorization header: still room0.
            s.auth = None
            resp = self.post(s)
            self.assertEqual(resp.status_code, 200, resp.text)
            self.assertNotIn("Authorization", resp.request.headers)
        with authkit.ntlm_session(ROOM, "room-pw") as fresh:
            fresh.auth = None  # a new connection that never authenticated
            resp = self.post(fresh)
            self.assertEqual(resp.status_code, 401)
            self.assertEqual(resp.headers["WWW-Authenticate"], "NTLM")

    def test_type2_and_broken_messages(self):
        # Type 1 -> a Type 2 challenge with target information (what NTLMv2 needs).
        type1 = ntlm.SIGNATURE + struct.pack("<II", 1, ntlm.NEGOTIATE_UNICODE
                                             | ntlm.NEGOTIATE_NTLM)
        resp = self.sim.request("POST", "/EWS/Exchange.asmx", h.envelope(FIND_INBOX),
                                dict(HEADERS, Authorization="NTLM "
                                     + base64.b64encode(type1).decode()), key="raw")
        self.assertEqual(resp.status, 401)
        scheme, _, token = resp.header("WWW-Authenticate").partition(" ")
        self.assertEqual(scheme, "NTLM")
        type2 = base64.b64decode(token)
        self.assertEqual(ntlm.message_type(type2), 2)
        flags = struct.unpack_from("<I", type2, 20)[0]
        self.assertTrue(flags & ntlm.NEGOTIATE_TARGET_INFO and flags & ntlm.NEGOTIATE_UNICODE)
        # A Type 3 that is garbage, or one without the handshake: refused, no crash.
        for token in ("!!!", base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00").decode(),
                      base64.b64encode(b"not ntlm at all").decode()):
            resp = self.sim.request("POST", "/EWS/Exchange.asmx", h.envelope(FIND_INBOX),
                                    dict(HEADERS, Authorization="NTLM " + token), key="raw")
            self.assertEqual(resp.status, 401)


if __name__ == "__main__":
    h.skip_without_schema()
    authkit.reexec_with_md4()
    unittest.main()
