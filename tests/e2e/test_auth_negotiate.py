"""The walkthrough with meetingd logging in by Kerberos: a real MIT KDC (tests/kdc), the
simulator accepting SPNEGO with the HTTP/ keytab, and meetingd configured with
`auth = negotiate, username = svc@example.com, keytab = DIR/client.keytab,
impersonation = yes` - no password anywhere in its configuration. meetingctl (the
organizer, a person) logs in with Basic."""

import os
import re

import authe2e
import e2e


class Negotiate(authe2e.AuthWalkthrough):
    SIM_AUTH = "negotiate,basic"

    @classmethod
    def setUpClass(cls):
        cls.kdc = authe2e.authkit.Kdc().start()
        # Both sides find the KDC through KRB5_CONFIG (the simulator and meetingd inherit it).
        os.environ.update(cls.kdc.env)
        os.environ.pop("KRB5CCNAME", None)

    @classmethod
    def tearDownClass(cls):
        cls.kdc.stop()

    def sim_args(self):
        return ["--keytab", self.kdc.path("http.keytab"),
                "--impersonator", "svc@example.com:unused-by-kerberos"]

    def own_credentials(self):
        return False

    def daemon_server(self):
        return {"auth": "negotiate", "username": "svc@example.com",
                "keytab": self.kdc.path("client.keytab"), "impersonation": "yes"}

    def ctl_server(self):
        return {"auth": "basic"}

    def check_scheme(self):
        with open(self.daemon_conf) as f:
            text = f.read()
        self.assertNotRegex(text, r"(?m)^\s*password")
        self.assertIn("auth = negotiate", text)
        daemon = [x for x in self.request_log()
                  if x["status"] != 401 and x["user"] == "svc@example.com"]
        self.assertEqual({x["mailbox"] for x in daemon},
                         {e2e.addr(u) for u in ("attendee0", "attendee1", "attendee2",
                                                "attendee3", "room0")})
        self.assertEqual(self.w.sim.stats()["auth_failures"], 0)
        # The tickets came from the test KDC.
        with open(self.kdc.path("kdc.log")) as f:
            self.assertTrue(re.search(r"TGS_REQ .* svc@EXAMPLE.COM for HTTP/127.0.0.1@EXAMPLE.COM",
                                      f.read()))

    def test_meetingctl_with_the_keytab(self):
        w = self.w
        w.create_meeting(self.conf, "Seen by svc", resources=["room0"])
        res = w.ctl(self.daemon_conf, "--json", "list", "inbox", as_user="room0",
                    password_file=False)
        self.assertIn("Seen by svc", res.stdout)


if __name__ == "__main__":
    e2e.main()
