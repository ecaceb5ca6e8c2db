"""The simulator's OAuth2: an Entra-ID-shaped token endpoint (client secret or a client
assertion signed by a registered certificate) and EWS checking the access tokens it issued
(signature, audience, expiry; app-only access only by impersonation with X-AnchorMailbox)."""

import base64
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authkit  # noqa: E402
import simharness as h  # noqa: E402

ROOM = "room0@example.com"
TENANT = "contoso.onmicrosoft.com"
SCOPE = "https://outlook.office365.com/.default"
FIND_INBOX = authkit.FIND_INBOX


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Bearer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cert, cls.key = authkit.make_certificate(cls.tmp.name)
        cls.other_cert, cls.other_key = authkit.make_certificate(cls.tmp.name, "intruder")
        cls.log = os.path.join(cls.tmp.name, "requests.jsonl")
        cls.sim = h.Sim(mailboxes=[ROOM, "organizer0@example.com"],
                        extra_args=["--auth", "bearer,basic", "--log", cls.log,
                                    "--oauth2-client", "app-secret:s3cret-value",
                                    "--oauth2-client-cert", "app-cert:" + cls.cert]).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    def secret_token(self, secret="s3cret-value", **extra):
        form = {"grant_type": "client_credentials", "client_id": "app-secret",
                "client_secret": secret, "scope": SCOPE}
        form.update(extra)
        return authkit.token_request(self.sim, TENANT, form)

    def assertion_token(self, assertion, client_id="app-cert"):
        return authkit.token_request(self.sim, TENANT, {
            "grant_type": "client_credentials", "client_id": client_id, "scope": SCOPE,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion})

    def assertion(self, **override):
        return authkit.client_assertion(self.cert, self.key, "app-cert",
                                        authkit.token_url(self.sim, TENANT), **override)

    def ews(self, token, impersonate=ROOM, anchor=ROOM):
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if anchor:
            headers["X-AnchorMailbox"] = anchor
        return self.sim.request("POST", "/EWS/Exchange.asmx",
                                h.envelope(FIND_INBOX, impersonate=impersonate), headers,
                                key="bearer")

    def test_client_secret(self):
        status, answer = self.secret_token()
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["token_type"], "Bearer")
        self.assertEqual(answer["expires_in"], 3600)
        claims = claims_of(answer["access_token"])
        self.assertEqual(claims["aud"], "https://outlook.office365.com")
        self.assertEqual(claims["roles"], ["full_access_as_app"])
        self.assertEqual(claims["appid"], "app-secret")
        resp = self.ews(answer["access_token"])
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.codes(), ["NoError"])

    def test_wrong_secret_and_bad_requests(self):
        status, answer = self.secret_token("wrong")
        self.assertEqual((status, answer["error"]), (401, "invalid_client"))
        self.assertTrue(answer["error_description"].startswith("AADSTS7000215"))
        status, answer = self.secret_token(scope="https://graph.microsoft.com/.default")
        self.assertEqual((status, answer["error"]), (400, "invalid_scope"))
        status, answer = self.secret_token(grant_type="password")
        self.assertEqual((status, answer["error"]), (400, "unsupported_grant_type"))
        resp = self.sim.request("POST", "/%s/oauth2/v2.0/token" % TENANT, b"%%%",
                                {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(resp.status, 400)

    def test_certificate_assertion(self):
        status, answer = self.assertion_token(self.assertion())
        self.assertEqual(status, 200, answer)
        self.assertEqual(claims_of(answer["access_token"])["appid"], "app-cert")
        self.assertEqual(self.ews(answer["access_token"]).codes(), ["NoError"])

    def test_bad_assertions(self):
        now = int(time.time())
        bad = {
            "wrong audience": self.assertion(aud="https://login.example/other/token"),
            "expired": self.assertion(exp=now - 3600),
            "iss is not the client": self.assertion(iss="someone-else"),
            "sub is not the client": self.assertion(sub="someone-else"),
            "no jti": self.assertion(jti=""),
            "unknown thumbprint": self.assertion(x5t="AAAA"),
            "signed by another key": authkit.client_assertion(
                self.other_cert, self.other_key, "app-cert",
                authkit.token_url(self.sim, TENANT),
                x5t=json.loads(base64.urlsafe_b64decode(
                    self.assertion().split(".")[0] + "=="))["x5t"]),
            "garbage": "not.a.jwt",
        }
        for why, assertion in bad.items():
            with self.subTest(why):
                status, answer = self.assertion_token(assertion)
                self.assertEqual(status, 401, answer)
                self.assertEqual(answer["error"], "invalid_client")
        # A replayed assertion (same jti) is refused the second time.
        once = self.assertion()
        self.assertEqual(self.assertion_token(once)[0], 200)
        self.assertEqual(self.assertion_token(once)[0], 401)

    def test_ews_checks_the_token(self):
        _, answer = self.secret_token()
        token = answer["access_token"]
        head, body, sig = token.split(".")
        claims = claims_of(token)
        claims["aud"] = "https://graph.microsoft.com"
        forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode())
                           .rstrip(b"=").decode(), sig])
        before = self.sim.stats()["auth_failures"]
        for bad in (forged, token[:-4] + "AAAA", "garbage"):
            resp = self.ews(bad)
            self.assertEqual(resp.status, 401)
            self.assertIn('error="invalid_token"', resp.header("WWW-Authenticate"))
        self.assertEqual(self.sim.stats()["auth_failures"], before + 3)
        resp = self.ews(None)
        self.assertEqual(resp.status, 401)
        self.assertEqual([v.split(" ")[0] for k, v in resp.headers
                          if k.lower() == "www-authenticate"], ["Bearer", "Basic"])

    def test_app_only_needs_impersonation_and_anchor(self):
        _, answer = self.secret_token()
        token = answer["access_token"]
        resp = self.ews(token, impersonate=None)
        self.assertEqual(resp.fault_code(), "ErrorInvalidExchangeImpersonationHeaderData")
        resp = self.ews(token, anchor=None)
        self.assertEqual(resp.fault_code(), "ErrorInvalidRequest")
        resp = self.ews(token, anchor="organizer0@example.com")
        self.assertEqual(resp.fault_code(), "ErrorInvalidRequest")

    def test_token_requests_are_logged(self):
        self.secret_token()
        with open(self.log) as f:
            lines = [json.loads(line) for line in f if line.startswith("{")]
        tokens = [x for x in lines if x.get("operation") == "token"]
        self.assertTrue(any(x["status"] == 200 and x["user"] == "app-secret" for x in tokens))
        with open(self.log) as f:
            self.assertNotIn("s3cret-value", f.read())


class Expiry(unittest.TestCase):
    def test_expired_token_is_invalid_token(self):
        with h.Sim(mailboxes=[ROOM], extra_args=["--auth", "bearer",
                                                 "--oauth2-client", "app:pw",
                                                 "--oauth2-token-lifetime", "1"]) as sim:
            status, answer = authkit.token_request(sim, "t", {
                "grant_type": "client_credentials", "client_id": "app",
                "client_secret": "pw", "scope": SCOPE})
            self.assertEqual(status, 200)
            exp = claims_of(answer["access_token"])["exp"]
            while time.time() < exp + 0.2:  # let the one-second token run out
                time.sleep(0.2)
            resp = sim.request("POST", "/EWS/Exchange.asmx",
                               h.envelope(FIND_INBOX, impersonate=ROOM),
                               {"Authorization": "Bearer " + answer["access_token"],
                                "X-AnchorMailbox": ROOM,
                                "Content-Type": "text/xml; charset=utf-8"})
            self.assertEqual(resp.status, 401)
            self.assertIn('error="invalid_token"', resp.header("WWW-Authenticate"))
            self.assertEqual(sim.stats()["auth_rejected"], {"expired": 1})


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
