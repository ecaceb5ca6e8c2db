"""Tokens, $batch, throttling and transport faults."""

import http.client
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphharness as h  # noqa: E402

ORG, ATT0, ATT1, ROOM = h.SimTest.MAILBOXES
GOOD = {"grant_type": "client_credentials", "client_id": h.CLIENT_ID,
        "client_secret": h.CLIENT_SECRET, "scope": h.SCOPE}


class Tokens(h.SimTest):
    def test_client_credentials(self):
        r = self.sim.token_request(GOOD)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["token_type"], "Bearer")
        self.assertEqual(r.json["expires_in"], 3600)
        self.assertEqual(self.sim.call("GET", "/users/%s" % ORG,
                                       token=r.json["access_token"]).status, 200)

    def test_token_endpoint_refusals(self):
        cases = [(dict(GOOD, client_secret="wrong"), 401, "invalid_client"),
                 (dict(GOOD, client_id="other"), 400, "unauthorized_client"),
                 (dict(GOOD, scope="User.Read"), 400, "invalid_scope"),
                 (dict(GOOD, grant_type="password"), 400, "unsupported_grant_type")]
        for form, status, code in cases:
            r = self.sim.token_request(form)
            self.assertEqual((r.status, r.json["error"]), (status, code), form)
        r = self.sim.token_request(GOOD, tenant="other-tenant")
        self.assertEqual(r.status, 400)

    def test_graph_checks_the_bearer(self):
        good = self.sim.token()
        head, payload, sig = good.split(".")
        flipped = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")
        outlook = self.sim.token_request(
            dict(GOOD, scope="https://outlook.office365.com/.default")).json["access_token"]
        for bad in (head + "." + payload + "." + flipped, "not-a-jwt", outlook):
            r = self.sim.call("GET", "/users/%s/events" % ORG, token=bad)
            self.assertEqual(r.status, 401, bad)
            self.assertEqual(r.json["error"]["code"], "InvalidAuthenticationToken")
            self.assertIn("bearer", r.headers["www-authenticate"].lower())
        r = self.sim.raw("GET", "/v1.0/users/%s/events" % ORG)
        self.assertEqual(r.status, 401)

    def test_expired_token(self):
        short = h.Sim([ORG], extra_args=["--token-lifetime", "0"]).start()
        try:
            token = short.token()
            r = short.call("GET", "/users/%s" % ORG, token=token)
            self.assertEqual(r.status, 401)
            self.assertIn("expired", r.json["error"]["message"])
        finally:
            short.stop()

    def test_revoked_tokens(self):
        token = self.sim.token(fresh=True)
        self.assertEqual(self.sim.sim_post("/sim/tokens/revoke", "").status, 200)
        self.assertEqual(self.sim.call("GET", "/users/%s" % ORG, token=token).status, 401)
        self.assertEqual(self.sim.call("GET", "/users/%s" % ORG,
                                       token=self.sim.token(fresh=True)).status, 200)


class Batch(h.SimTest):
    def test_answers_in_one_batch(self):
        ids = []
        for i in range(3):
            body = h.meeting("Batch %d" % i, "2027-04-01T09:00:00", "2027-04-01T10:00:00",
                             [(ROOM, "resource")])
            ids.append(self.sim.ok("POST", "/users/%s/events" % ORG, body, status=201)["id"])
        inbox = self.sim.mailbox(ROOM)["inbox"]
        requests = []
        for n, msg in enumerate(m for m in inbox if m["subject"].startswith("Batch ")):
            requests.append({"id": str(n + 1), "method": "POST",
                             "url": "/users/%s/events/%s/accept" % (ROOM, msg["event"]["id"]),
                             "headers": {"Content-Type": "application/json"},
                             "body": {"comment": "ok", "sendResponse": True}})
        requests.append({"id": "4", "method": "PATCH", "dependsOn": ["1"],
                         "url": "/users/%s/events/%s" % (ROOM, inbox[0]["event"]["id"]),
                         "headers": {"Content-Type": "application/json"},
                         "body": {"subject": "Rewritten"}})
        requests.append({"id": "5", "method": "GET", "url": "/users/%s/events/nope" % ROOM})
        requests.append({"id": "6", "method": "GET", "dependsOn": ["5"],
                         "url": "/users/%s/events" % ROOM})
        out = self.sim.ok("POST", "/$batch", {"requests": requests})
        status = {r["id"]: r["status"] for r in out["responses"]}
        self.assertEqual(status, {"1": 202, "2": 202, "3": 202, "4": 200, "5": 404, "6": 424})
        got = next(r for r in out["responses"] if r["id"] == "4")
        self.assertEqual(got["body"]["subject"], "Rewritten")
        for eid in ids:
            org = self.sim.ok("GET", "/users/%s/events/%s" % (ORG, eid))
            self.assertEqual(org["attendees"][0]["status"]["response"], "accepted")

    def test_batch_limit(self):
        requests = [{"id": str(i), "method": "GET", "url": "/users/%s" % ORG}
                    for i in range(21)]
        r = self.sim.call("POST", "/$batch", {"requests": requests})
        self.assertEqual(r.status, 400)
        out = self.sim.ok("POST", "/$batch", {"requests": requests[:20]})
        self.assertEqual([x["status"] for x in out["responses"]], [200] * 20)


class Throttling(h.SimTest):
    MAILBOXES = [ORG, ROOM]
    FAULTS = ("throttle:1:accept",)

    def test_429_with_retry_after_processes_nothing(self):
        body = h.meeting("Throttled", "2027-04-02T09:00:00", "2027-04-02T10:00:00",
                         [(ROOM, "resource")])
        ev = self.sim.ok("POST", "/users/%s/events" % ORG, body, status=201)
        eid = self.sim.mailbox(ROOM)["inbox"][0]["event"]["id"]
        r = self.sim.call("POST", "/users/%s/events/%s/accept" % (ROOM, eid), {})
        self.assertEqual(r.status, 429)
        self.assertEqual(r.headers["retry-after"], "1")
        self.assertEqual(r.json["error"]["code"], "ApplicationThrottled")
        out = self.sim.ok("POST", "/$batch", {"requests": [
            {"id": "a", "method": "POST", "url": "/users/%s/events/%s/accept" % (ROOM, eid),
             "headers": {"Content-Type": "application/json"}, "body": {}}]})
        self.assertEqual(out["responses"][0]["status"], 429)
        self.assertEqual(out["responses"][0]["headers"]["Retry-After"], "1")
        org = self.sim.ok("GET", "/users/%s/events/%s" % (ORG, ev["id"]))
        self.assertEqual(org["attendees"][0]["status"]["response"], "none")
        self.assertEqual(self.sim.sim_post("/sim/faults", "").status, 200)
        self.sim.ok("POST", "/users/%s/events/%s/accept" % (ROOM, eid), {}, status=202)
        self.assertEqual(self.sim.stats()["faults_injected"]["throttle"], 2)

    def test_transport_faults(self):
        self.assertEqual(self.sim.sim_post("/sim/faults", "http-503:1:getUser\n").status, 200)
        r = self.sim.call("GET", "/users/%s" % ORG)
        self.assertEqual((r.status, r.headers.get("retry-after")), (503, "1"))
        self.sim.sim_post("/sim/faults", "malformed:1:getUser\n")
        r = self.sim.call("GET", "/users/%s" % ORG)
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.json)
        self.sim.sim_post("/sim/faults", "reset:1:getUser\n")
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.sim.call("GET", "/users/%s" % ORG)
        self.assertEqual(self.sim.sim_post("/sim/faults", "bogus:1\n").status, 400)
        self.sim.sim_post("/sim/faults", "")
        self.assertEqual(self.sim.call("GET", "/users/%s" % ORG).status, 200)


class Budget(h.SimTest):
    MAILBOXES = [ORG, ROOM]

    @classmethod
    def setUpClass(cls):
        h.skip_without_schema()
        cls.sim = h.Sim(cls.MAILBOXES, extra_args=["--mailbox-budget", "3"]).start()

    def test_requests_per_mailbox(self):
        for _ in range(3):
            self.sim.ok("GET", "/users/%s" % ROOM)
        r = self.sim.call("GET", "/users/%s/events" % ROOM)
        self.assertEqual(r.status, 429)
        self.assertTrue(1 <= int(r.headers["retry-after"]) <= 600, r.headers)
        self.assertIn("MailboxRequests", r.json["error"]["message"])
        # Another mailbox has its own budget.
        self.sim.ok("GET", "/users/%s" % ORG)


if __name__ == "__main__":
    unittest.main()
