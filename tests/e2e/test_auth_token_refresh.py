"""OAuth2 token lifetime in a running daemon: tokens are replaced before they expire, and a
token EWS refuses as invalid_token is replaced once, without failing the poll.

The lifetime test runs the daemon for three minutes against tokens that live 60 s (the
criterion is about that span: at most 4 tokens, no request carrying an expired one)."""

import json
import time

import authe2e
import e2e

TENANT = "fabrikam.onmicrosoft.com"
CLIENT = "refresh-test-app"
SECRET = "refresh-test-secret-8c1f2b7e9d"
MAILBOXES = {"room0": {"policy": "accept-all", "username": None, "password_file": None},
             "attendee0": {"policy": "accept-all", "username": None, "password_file": None}}


class TokenLifetime(e2e.TestCase):

    def start(self, lifetime):
        w = self.world(users=["organizer0", "attendee0", "room0"], request_log=True,
                       sim_args=["--auth", "bearer,basic", "--oauth2-client",
                                 "%s:%s" % (CLIENT, SECRET), "--oauth2-token-lifetime",
                                 str(lifetime)])
        w.passwords["client secret"] = SECRET
        conf = w.write_config(MAILBOXES, server={
            "auth": "oauth2", "tenant": TENANT, "client_id": CLIENT,
            "client_secret_file": w.write_secret("app.secret", SECRET),
            "token_url": authe2e.authkit.token_url(w.sim, TENANT), "impersonation": "yes"})
        ctl = w.write_config({"room0": "accept-all"}, name="ctl.conf")
        return w, conf, ctl

    def log(self, w):
        with open(w.request_log) as f:
            return [json.loads(line) for line in f if line.startswith("{")]

    def test_three_minutes_of_60_s_tokens(self):
        w, conf, ctl = self.start(60)
        d = w.start_daemon(conf)
        started = time.monotonic()
        mid = w.create_meeting(ctl, "Before the first refresh", required=["attendee0"],
                               resources=["room0"])
        e2e.wait_for(lambda: len(w.answers(mid)) == 2, 20, "both mailboxes to answer")
        while time.monotonic() - started < 180:
            time.sleep(1)
            self.assertTrue(d.alive(), d.log()[-3000:])
        # A meeting sent in the last minute is answered too: the daemon still has a token.
        mid2 = w.create_meeting(ctl, "After three minutes", required=["attendee0"],
                                resources=["room0"], n=2)
        e2e.wait_for(lambda: len(w.answers(mid2)) == 2, 20, "answers after three minutes")
        self.assertEqual(d.stop(), 0)

        log = self.log(w)
        tokens = [x for x in log if x["operation"] == "token"]
        self.assertTrue(all(x["status"] == 200 for x in tokens), tokens)
        # Refreshed at ~80 % of 60 s: t=0, ~48, ~96, ~144 s, and not again before 180 s.
        self.assertGreaterEqual(len(tokens), 3, "tokens were replaced before expiring")
        self.assertLessEqual(len(tokens), 4)
        stats = w.sim.stats()
        self.assertEqual(stats["auth_rejected"].get("expired", 0), 0,
                         "a request carried an expired token")
        self.assertEqual(stats["auth_failures"], 0)
        self.assertNotIn(SECRET, d.log())
        self.assertIsNone(authe2e.JWT.search(d.log()))

    def test_invalid_token_is_replaced_once(self):
        w, conf, ctl = self.start(3600)
        d = w.start_daemon(conf)
        mid = w.create_meeting(ctl, "First", required=["attendee0"], resources=["room0"])
        e2e.wait_for(lambda: len(w.answers(mid)) == 2, 20, "both mailboxes to answer")
        # Every token issued so far becomes invalid (a revocation): EWS answers 401
        # invalid_token, meetingd fetches one new token and goes on.
        w.sim.request("POST", "/sim/revoke-tokens", b"")
        mid2 = w.create_meeting(ctl, "Second", required=["attendee0"], resources=["room0"],
                                n=2)
        e2e.wait_for(lambda: len(w.answers(mid2)) == 2, 20, "answers after the revocation")
        self.assertEqual(d.stop(), 0)
        tokens = [x for x in self.log(w) if x["operation"] == "token"]
        self.assertEqual(len(tokens), 2, tokens)
        self.assertNotRegex(d.log(), r"failed")
        self.assertGreaterEqual(w.sim.stats()["auth_rejected"].get("failed", 0), 1)


if __name__ == "__main__":
    e2e.main()
