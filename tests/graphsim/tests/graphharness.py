"""Run graphsim as a subprocess and talk Graph (JSON over HTTP) to it, for unittest tests.

    import graphharness as h
    h.skip_without_schema()
    sim = h.Sim(mailboxes=["org@example.com", "att0@example.com"]).start()
    token = sim.token()                                   # client credentials
    r = sim.call("POST", "/users/org@example.com/events", body, token=token)
    r.status, r.headers, r.json
    sim.mailbox("att0@example.com")                       # /sim dump
    sim.stop()      # AssertionError if the simulator saw an invalid response or crashed

The simulator always runs with --validate ../shared/graph-schema.
"""

import http.client
import json
import os
import ssl
import subprocess
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_DIR = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(os.path.dirname(SIM_DIR))
sys.path.insert(1, os.path.join(os.path.dirname(SIM_DIR), "simlib"))

import schemakit  # noqa: E402

TENANT = "contoso-tenant"
CLIENT_ID = "meetingd-app"
CLIENT_SECRET = "app-secret-1"
SCOPE = "https://graph.microsoft.com/.default"


def schema_dir():
    return schemakit.kit_dir("MEETINGD_GRAPH_SCHEMA_DIR", "graph-schema")


def skip_without_schema():
    schemakit.skip_unless_file(os.path.join(schema_dir(), "v1.0-metadata.xml"),
                               "Graph metadata not found at %s" % schema_dir())


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None


class Sim:
    def __init__(self, mailboxes, faults=(), extra_args=(), tls=None):
        """tls: (certificate file, key file) to serve HTTPS; the certificate is trusted."""
        self.mailboxes, self.faults, self.extra_args = list(mailboxes), list(faults), extra_args
        self.tls = tls
        self.proc = None
        self.host = self.port = None
        self._token = None

    def start(self):
        cmd = [sys.executable, SIM_DIR, "--listen", "127.0.0.1:0", "--tenant", TENANT,
               "--client", "%s:%s" % (CLIENT_ID, CLIENT_SECRET),
               "--validate", schema_dir()]
        for m in self.mailboxes:
            cmd += ["--mailbox", m]
        for f in self.faults:
            cmd += ["--fault", f]
        cmd += list(self.extra_args)
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        if not line:
            raise AssertionError("graphsim did not start: %s" % self.proc.stderr.read().decode())
        self.host, port = line.rsplit(":", 1)
        self.port = int(port)
        return self

    @property
    def base(self):
        return "%s://%s:%d/v1.0" % ("https" if self.tls else "http", self.host, self.port)

    def raw(self, method, path, body=None, headers=None):
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls[0])
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=60,
                                               context=context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        hdrs = dict(headers or {})
        if data is not None and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                            resp.read())
        finally:
            conn.close()

    def token_request(self, form, tenant=TENANT):
        return self.raw("POST", "/%s/oauth2/v2.0/token" % tenant,
                        urllib.parse.urlencode(form),
                        {"Content-Type": "application/x-www-form-urlencoded"})

    def token(self, fresh=False):
        if self._token is None or fresh:
            r = self.token_request({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": CLIENT_SECRET, "scope": SCOPE})
            assert r.status == 200, r.body
            self._token = r.json["access_token"]
        return self._token

    def call(self, method, path, body=None, token=None, headers=None):
        """A Graph call; path is relative to /v1.0 or a full link the simulator handed out."""
        if path.startswith(("http://", "https://")):
            path = "/" + path.split("/", 3)[3]
        else:
            path = "/v1.0" + path
        hdrs = {"Authorization": "Bearer " + (token or self.token()),
                "Prefer": 'IdType="ImmutableId"'}
        hdrs.update(headers or {})
        return self.raw(method, path, body, hdrs)

    def ok(self, method, path, body=None, status=200, **kw):
        r = self.call(method, path, body, **kw)
        assert r.status == status, "%s %s: %d %s" % (method, path, r.status, r.body[:500])
        return r.json

    def sim_get(self, path):
        return self.raw("GET", path).json

    def sim_post(self, path, body):
        return self.raw("POST", path, body)

    def mailbox(self, address):
        return self.sim_get("/sim/mailboxes/" + urllib.parse.quote(address))

    def stats(self):
        return self.sim_get("/sim/stats")

    def stop(self):
        if self.proc is None:
            return
        stats = self.stats()
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=30)
        self.proc = None
        if stats["invalid_responses"] or stats["internal_errors"]:
            raise AssertionError("graphsim misbehaved: %s\n%s" % (stats, err.decode()))


class SimTest(unittest.TestCase):
    """One simulator per test class; subclasses set MAILBOXES (and FAULTS)."""
    MAILBOXES = ["organizer@example.com", "attendee0@example.com", "attendee1@example.com",
                 "room0@example.com"]
    FAULTS = ()

    @classmethod
    def setUpClass(cls):
        skip_without_schema()
        cls.sim = Sim(cls.MAILBOXES, cls.FAULTS).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()


def meeting(subject, start, end, attendees, **extra):
    """An event body: attendees as (address, type) pairs; start/end as ISO strings in UTC."""
    body = {"subject": subject,
            "body": {"contentType": "text", "content": "Agenda for " + subject},
            "start": {"dateTime": start, "timeZone": "UTC"},
            "end": {"dateTime": end, "timeZone": "UTC"},
            "attendees": [{"type": t, "emailAddress": {"address": a}} for a, t in attendees]}
    body.update(extra)
    return body


def drain_delta(sim, user, link=None, expand=True):
    """Follow a delta round to its deltaLink: (items in order, deltaLink)."""
    if link is None:
        link = "/users/%s/mailFolders/inbox/messages/delta" % user
        if expand:
            link += "?$expand=microsoft.graph.eventMessage/event"
    items = []
    while True:
        page = sim.ok("GET", link, headers={"Prefer": "odata.maxpagesize=2"})
        items += page["value"]
        if "@odata.deltaLink" in page:
            return items, page["@odata.deltaLink"]
        link = page["@odata.nextLink"]
