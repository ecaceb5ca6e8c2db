"""The walkthrough with meetingd as an Exchange Online app: app-only OAuth2 tokens from the
simulator's Entra-ID-shaped token endpoint (client secret, and again with a certificate),
ExchangeImpersonation and X-AnchorMailbox on every request. meetingctl (the organizer)
logs in with Basic. No secret and no token appears in any output."""

import secrets
import tempfile

import authe2e
import e2e

TENANT = "contoso.onmicrosoft.com"


class OAuth2:
    """What the two OAuth2 variants share (a mixin: not a test by itself)."""
    SIM_AUTH = "bearer,basic"
    CLIENT_ID = "6d1f7a1c-meetingd-app"

    def own_credentials(self):
        return False

    def ctl_server(self):
        return {"auth": "basic"}

    def server_keys(self):
        return {"auth": "oauth2", "tenant": TENANT, "client_id": self.CLIENT_ID,
                "token_url": authe2e.authkit.token_url(self.w.sim, TENANT),
                "impersonation": "yes"}

    def check_scheme(self):
        log = self.request_log()
        tokens = [x for x in log if x["operation"] == "token"]
        self.assertTrue(tokens)
        self.assertTrue(all(x["status"] == 200 and x["user"] == self.CLIENT_ID
                            for x in tokens), tokens)
        # One token serves the whole walkthrough (it lives an hour): fetched once per run.
        runs = len([o for o in self.w.outputs if o[0] == "meetingd"])
        self.assertLessEqual(len(tokens), runs)
        ews = [x for x in log if x["operation"] != "token"]
        self.assertEqual([x for x in ews if x["status"] == 401 and x["user"] is not None], [])
        self.assertEqual({x["mailbox"] for x in ews if x["user"] == self.CLIENT_ID},
                         {e2e.addr(u) for u in ("attendee0", "attendee1", "attendee2",
                                                "attendee3", "room0")})


class ClientSecret(OAuth2, authe2e.AuthWalkthrough):
    def sim_args(self):
        self.secret = "app-secret-" + secrets.token_hex(16)
        return ["--oauth2-client", "%s:%s" % (self.CLIENT_ID, self.secret)]

    def daemon_server(self):
        self.add_secret("client secret", self.secret)
        keys = self.server_keys()
        keys["client_secret_file"] = self.w.write_secret("app.secret", self.secret)
        return keys

    def test_meetingctl_as_the_app(self):
        w = self.w
        mid = w.create_meeting(self.conf, "Seen by the app", resources=["room0"])
        # meetingctl with meetingd's configuration: the app impersonating room0.
        res = w.ctl(self.daemon_conf, "--json", "list", "inbox", as_user="room0",
                    password_file=False)
        self.assertIn("Seen by the app", res.stdout)
        self.assertTrue(mid)
        tokens = [x for x in self.request_log() if x["operation"] == "token"]
        self.assertEqual(len(tokens), 1)

    def test_wrong_secret_fails(self):
        self.w.write_secret("app.secret", "not-the-secret")
        res = self.w.once(self.daemon_conf, expect=None)
        self.assertEqual(res.returncode, 77)  # EX_NOPERM
        self.assertRegex(res.stderr, r"invalid_client")
        self.assertEqual(self.w.sim.stats()["requests"], 0, "no EWS request without a token")


class Certificate(OAuth2, authe2e.AuthWalkthrough):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cert, cls.key = authe2e.authkit.make_certificate(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def sim_args(self):
        return ["--oauth2-client-cert", "%s:%s" % (self.CLIENT_ID, self.cert)]

    def daemon_server(self):
        with open(self.key) as f:
            self.add_secret("private key", "".join(f.read().splitlines()[1:3]))
        keys = self.server_keys()
        keys.update({"client_certificate": self.cert, "client_key": self.key})
        return keys


if __name__ == "__main__":
    e2e.main()
