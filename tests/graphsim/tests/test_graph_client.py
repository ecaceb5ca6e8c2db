"""A third-party Graph client (the Microsoft Graph JavaScript client from npm) on graphsim,
with meetingd answering for the attendees.

The client creates a meeting with required, optional and resource attendees and reads the
eventMessageRequest in each attendee's Inbox; meetingd (protocol = graph, auth = oauth2, the
mailboxes with address and policy only) answers them; the client reads every attendee's
status.response on the organizer's event and cancels the meeting. The package is installed with
npm into the build tree from tests/graphsim/client/package.json; graphsim serves HTTPS with a
certificate made for the run (the client only sends its token to https hosts).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphharness as h  # noqa: E402

ORG, ATT0, ATT1, ROOM = h.SimTest.MAILBOXES
CLIENT_SRC = os.path.join(h.SIM_DIR, "client")
PACKAGE = "@microsoft/microsoft-graph-client"


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def install_client():
    """The client's directory under the build tree, npm-installed from the shipped package.json."""
    build = os.environ.get("MEETINGD_BUILD_DIR") or os.path.join(h.REPO_ROOT, "build")
    target = os.path.join(build, "graph-client")
    os.makedirs(target, exist_ok=True)
    for name in ("package.json", "meeting.mjs"):
        shutil.copyfile(os.path.join(CLIENT_SRC, name), os.path.join(target, name))
    wanted = read_json(os.path.join(CLIENT_SRC, "package.json"))["dependencies"][PACKAGE]
    installed = os.path.join(target, "node_modules", PACKAGE, "package.json")
    if not os.path.isfile(installed) or read_json(installed)["version"] != wanted:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=target, check=True, timeout=540)
    return target


def meetingd_bin():
    path = os.environ.get("MEETINGD_BIN")
    if not path:
        build = os.environ.get("MEETINGD_BUILD_DIR") or os.path.join(h.REPO_ROOT, "build")
        path = os.path.join(build, "meetingd")
    if not os.access(path, os.X_OK):
        raise RuntimeError("meetingd not found at %s: build it, or set MEETINGD_BIN" % path)
    return path


def meetingd_config(directory, sim, ca_file):
    """meetingd on Graph: the app registration, and each mailbox with address and policy."""
    secret = os.path.join(directory, "client-secret")
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(h.CLIENT_SECRET + "\n")
    text = """[server]
protocol = graph
graph_url = {base}
auth = oauth2
tenant = {tenant}
client_id = {client}
client_secret_file = {secret}
token_url = https://{host}:{port}/{tenant}/oauth2/v2.0/token
ca_file = {ca}

[daemon]
state_dir = {dir}/state

[policy accept]
automate = accept
[policy tentative]
automate = tentative
[policy decline]
automate = decline

[mailbox attendee0]
address = {att0}
policy = accept
[mailbox attendee1]
address = {att1}
policy = tentative
[mailbox room]
address = {room}
policy = decline
""".format(base=sim.base, tenant=h.TENANT, client=h.CLIENT_ID, secret=secret, host=sim.host,
           port=sim.port, ca=ca_file, dir=directory, att0=ATT0, att1=ATT1, room=ROOM)
    path = os.path.join(directory, "meetingd.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def make_certificate(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=120)
    return cert, key


class GraphClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.skip_without_schema()
        cls.client_dir = install_client()
        cls.tmp = tempfile.mkdtemp(prefix="graphclient-")
        cls.cert, key = make_certificate(cls.tmp)
        cls.sim = h.Sim([ORG, ATT0, ATT1, ROOM], tls=(cls.cert, key)).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def step(self, name, args):
        env = dict(os.environ, GRAPH_HOST="%s:%d" % (self.sim.host, self.sim.port),
                   GRAPH_TENANT=h.TENANT, GRAPH_CLIENT_ID=h.CLIENT_ID,
                   GRAPH_CLIENT_SECRET=h.CLIENT_SECRET, NODE_EXTRA_CA_CERTS=self.cert)
        run = subprocess.run(["node", "meeting.mjs", name], input=json.dumps(args).encode(),
                             cwd=self.client_dir, env=env, capture_output=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr.decode())
        return json.loads(run.stdout)

    def test_meeting_life(self):
        before = self.sim.stats()["operations"]
        event = self.step("create", {
            "organizer": ORG, "subject": "Client-made meeting",
            "start": "2027-05-03T09:00:00", "end": "2027-05-03T10:00:00",
            "attendees": [[ATT0, "required"], [ATT1, "optional"], [ROOM, "resource"]]})
        self.assertTrue(event["isOrganizer"])
        self.assertEqual([(a["emailAddress"]["address"], a["type"]) for a in event["attendees"]],
                         [(ATT0, "required"), (ATT1, "optional"), (ROOM, "resource")])

        for user in (ATT0, ATT1, ROOM):
            requests = self.step("inbox", {"user": user})
            self.assertEqual([m["subject"] for m in requests], ["Client-made meeting"])
            msg = requests[0]
            self.assertEqual(msg["meetingMessageType"], "meetingRequest")
            self.assertEqual(msg["event"]["iCalUId"], event["iCalUId"])
            self.assertEqual(msg["event"]["showAs"], "tentative")

        # meetingd answers: accept, tentative, decline by the mailboxes' policies.
        conf = meetingd_config(self.tmp, self.sim, self.cert)
        run = subprocess.run([meetingd_bin(), "-c", conf, "--once"], capture_output=True,
                             timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr.decode())
        self.assertNotIn(h.CLIENT_SECRET, (run.stdout + run.stderr).decode())
        ops = self.sim.stats()["operations"]
        self.assertEqual([ops.get(a, 0) - before.get(a, 0)
                          for a in ("accept", "tentativelyAccept", "decline")], [1, 1, 1])

        status = self.step("status", {"organizer": ORG, "id": event["id"]})
        self.assertEqual(sorted((s["address"], s["type"], s["response"]) for s in status),
                         sorted([(ATT0, "required", "accepted"),
                                 (ATT1, "optional", "tentativelyAccepted"),
                                 (ROOM, "resource", "declined")]))

        self.step("cancel", {"organizer": ORG, "id": event["id"], "comment": "called off"})
        for user in (ATT0, ATT1):
            box = self.sim.mailbox(user)
            mine = [e for e in box["events"] if e["iCalUId"] == event["iCalUId"]]
            self.assertEqual([e["isCancelled"] for e in mine], [True])
            self.assertEqual([m["meetingMessageType"] for m in box["inbox"]
                              if m["subject"] == "Canceled: Client-made meeting"],
                             ["meetingCancelled"])
        after = self.sim.stats()["operations"]
        self.assertEqual(after.get("cancel", 0) - before.get("cancel", 0), 1)
        self.assertEqual(self.sim.stats()["unauthorized"], 0)


if __name__ == "__main__":
    unittest.main()
