"""The end-to-end helpers on Microsoft Graph: the real meetingd against graphsim --validate.

    import graphe2e as g

    class T(g.TestCase):
        def test_x(self):
            w = self.world()                                   # graphsim started
            conf = w.write_config({"room0": "accept-all"})     # protocol = graph, oauth2
            ev = w.create_meeting("Plan", required=["attendee0"], resources=["room0"])
            w.once(conf)                                       # meetingd --once, exit 0
            self.assertEqual(w.statuses(ev)["room0@example.com"], ("resource", "accepted"))

A GraphWorld is an e2e.World whose simulator is graphsim (always validating against the
Graph CSDL): meetingd's [server] is protocol = graph with auth = oauth2, tenant, client_id,
client_secret_file and token_url; mailboxes have address and policy only. The organizer's
side (creating, updating, cancelling meetings) talks Graph to graphsim directly. Closing the
world stops everything, fails on an invalid response or internal error of graphsim, and on
the client secret in any output of meetingd.
"""

import os
import secrets
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "graphsim", "tests"))

import e2e  # noqa: E402
import graphharness as gh  # noqa: E402

DOMAIN = e2e.DOMAIN
POLICIES = e2e.POLICIES
APP_ID = "meetingd-e2e"
USERS = ("organizer0", "attendee0", "attendee1", "attendee2", "room0")
RESPONSE = {"accept": "accepted", "tentative": "tentativelyAccepted", "decline": "declined"}


def addr(user):
    return e2e.addr(user)


class GraphWorld(e2e.World):
    """One graphsim, one temporary directory, the processes of one test."""

    def __init__(self, users=USERS, faults=(), sim_args=(), tls=None):
        self.dir = tempfile.mkdtemp(prefix="meetingd-graph-e2e-")
        self.state_dir = os.path.join(self.dir, "state")
        self.secret_dir = os.path.join(self.dir, "secrets")
        os.mkdir(self.secret_dir, 0o700)
        self.users = list(users)
        self.outputs, self.daemons = [], []
        # A long random secret: finding it in an output cannot be a coincidence.
        self.passwords = {"app": "graph-%s" % secrets.token_hex(16)}
        self.write_secret("app", self.passwords["app"])
        extra = ["--client", "%s:%s" % (APP_ID, self.passwords["app"])] + list(sim_args)
        self.sim = gh.Sim([addr(u) for u in self.users], faults=faults, extra_args=extra,
                          tls=tls)
        self.sim.url = None  # no EWS here: e2e.World's config_text leaves url out
        self.sim.stop = self._sim_stopper(self.sim.stop)
        try:
            self.sim.start()
        except Exception:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.request_log = None

    def _sim_stopper(self, stop):
        """graphsim's stop as e2e.World.close calls it: checked, or just ended."""
        def stop_sim(check=True):
            if check:
                stop()
            elif self.sim.proc is not None:
                self.sim.proc.kill()
                self.sim.proc.wait()
                self.sim.proc = None
        return stop_sim

    # --- configuration ------------------------------------------------------------------------

    def config_text(self, mailboxes, policies=None, daemon=None, server=None, extra=""):
        """e2e.World's configuration with [server] on Graph and the mailboxes with address and
        policy only. mailboxes: {name: policy} or {name: {key: value}}."""
        scheme = "https" if self.sim.tls else "http"
        srv = {"url": None, "protocol": "graph", "graph_url": self.sim.base, "auth": "oauth2",
               "tenant": gh.TENANT, "client_id": APP_ID,
               "client_secret_file": self.secret_path("app"),
               "token_url": "%s://%s:%d/%s/oauth2/v2.0/token"
                            % (scheme, self.sim.host, self.sim.port, gh.TENANT)}
        srv.update(server or {})
        boxes = {}
        for name, spec in mailboxes.items():
            keys = {"policy": spec} if isinstance(spec, str) else dict(spec)
            boxes[name] = dict({"username": None, "password_file": None}, **keys)
        return super().config_text(boxes, policies, daemon, srv, extra)

    def ctl(self, conf, *args, as_user="organizer0", expect=0, timeout=60):
        """meetingctl -c CONF --as USER ARGS... (the app of [server], acting as USER)."""
        res = self.run([e2e.meetingctl_bin(), "-c", conf, "--as", addr(as_user)] + list(args),
                       timeout=timeout, what="meetingctl")
        if expect is not None and res.returncode != expect:
            raise AssertionError("meetingctl exited %d, expected %d: %r"
                                 % (res.returncode, expect, res))
        return res

    def delta_state(self, mailbox):
        return os.path.join(self.state_dir, "%s.graph-delta" % mailbox)

    # --- the organizer's side, in Graph -------------------------------------------------------

    def create_meeting(self, subject, required=(), optional=(), resources=(), n=0, hours=1,
                       organizer="organizer0", **extra):
        """A meeting in slot N (e2e.slot); returns the organizer's event."""
        start, end = e2e.slot(n, hours)
        attendees = ([(addr(u), "required") for u in required] +
                     [(addr(u), "optional") for u in optional] +
                     [(addr(u), "resource") for u in resources])
        body = gh.meeting(subject, start.rstrip("Z"), end.rstrip("Z"), attendees, **extra)
        return self.sim.ok("POST", "/users/%s/events" % addr(organizer), body, status=201)

    def event(self, event, organizer="organizer0"):
        return self.sim.ok("GET", "/users/%s/events/%s" % (addr(organizer), event["id"]))

    def statuses(self, event, organizer="organizer0"):
        """{attendee address: (type, status.response)} on the organizer's event."""
        ev = self.event(event, organizer)
        return {a["emailAddress"]["address"]: (a["type"], a["status"]["response"])
                for a in ev["attendees"]}

    def cancel(self, event, organizer="organizer0", comment="Called off."):
        self.sim.ok("POST", "/users/%s/events/%s/cancel" % (addr(organizer), event["id"]),
                    {"comment": comment}, status=202)

    def mailbox(self, user):
        return self.sim.mailbox(addr(user))

    def events_of(self, user, uid=None):
        return [e for e in self.mailbox(user)["events"] if uid is None or e["iCalUId"] == uid]

    def responses(self, organizer="organizer0"):
        """(from address, meetingMessageType) of every response in the organizer's Inbox."""
        return [(m["from"]["emailAddress"]["address"], m["meetingMessageType"])
                for m in self.mailbox(organizer)["inbox"]
                if m.get("@odata.type") == "#microsoft.graph.eventMessageResponse"]

    def answers(self, organizer="organizer0"):
        """{(from address, subject): count} of the responses in the organizer's Inbox: one
        per answer graphsim carried out (its subject names the meeting)."""
        out = {}
        for m in self.mailbox(organizer)["inbox"]:
            if m.get("@odata.type") == "#microsoft.graph.eventMessageResponse":
                key = (m["from"]["emailAddress"]["address"], m["subject"])
                out[key] = out.get(key, 0) + 1
        return out

    def answer_calls(self):
        """How many accept / tentativelyAccept / decline requests graphsim received (faulted
        ones included)."""
        ops = self.sim.stats()["operations"]
        return {k: v for k, v in ops.items() if k in ("accept", "tentativelyAccept", "decline")}

class TestCase(unittest.TestCase):
    def world(self, **kwargs):
        w = GraphWorld(**kwargs)
        self.addCleanup(w.close)
        return w


def main():
    """Runs the calling test file: skip (77) only without the Graph CSDL, else unittest."""
    gh.skip_without_schema()
    unittest.main(verbosity=2)
