"""The Handling Meetings walkthrough (test_walkthrough.py) with meetingd logging in by another
scheme than Basic. A subclass says how the simulator authenticates (SIM_AUTH, sim_args) and
what [server] of meetingd's configuration says (daemon_server); meetingd runs with that
configuration, meetingctl (the organizer) with ctl_server's (by default the same).

    class Ntlm(authe2e.AuthWalkthrough):
        SIM_AUTH = "ntlm"
        def daemon_server(self): return {"auth": "ntlm"}

After the walkthrough, check_scheme() asserts from the simulator's side that the scheme was
really used, and no output of meetingd or meetingctl shows a secret (passwords, client
secrets, tokens).
"""

import importlib.util
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ewssim", "tests"))

import authkit  # noqa: E402,F401  (re-exported for the test files)
import e2e  # noqa: E402


def _load_walkthrough():
    # By path: the simulator's tests have a test_walkthrough module too.
    spec = importlib.util.spec_from_file_location(
        "e2e_test_walkthrough", os.path.join(HERE, "test_walkthrough.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


test_walkthrough = _load_walkthrough()

# A JWT (header, claims, signature) as the token endpoint issues them: never in an output.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.")


class AuthWalkthrough(test_walkthrough.Walkthrough):
    SIM_AUTH = "basic"
    # Only the walkthrough itself runs once per scheme; the other tests of the base class
    # are about meetingctl and need no second run.
    test_respond_by_hand_is_not_answered_again = None
    test_meetingctl_errors = None

    def sim_args(self):
        return []

    def daemon_server(self):
        raise NotImplementedError

    def ctl_server(self):
        return None  # meetingctl uses the daemon's configuration

    def own_credentials(self):
        """True: every [mailbox] logs in as itself; False: [server]'s account for all."""
        return True

    def setUp(self):
        self.w = self.world(users=test_walkthrough.USERS, request_log=True,
                            sim_args=["--auth", self.SIM_AUTH] + self.sim_args())
        mailboxes = dict(test_walkthrough.MAILBOXES)
        if not self.own_credentials():
            mailboxes = {name: {"policy": policy, "username": None, "password_file": None}
                         for name, policy in mailboxes.items()}
        self.daemon_conf = self.w.write_config(mailboxes, name="meetingd.conf",
                                               policies=test_walkthrough.POLICIES,
                                               server=self.daemon_server())
        ctl = self.ctl_server()
        self.conf = self.daemon_conf if ctl is None else self.w.write_config(
            test_walkthrough.MAILBOXES, name="meetingctl.conf",
            policies=test_walkthrough.POLICIES, server=ctl)
        # The walkthrough runs meetingd as w.once(conf): with the daemon's configuration.
        once = self.w.once
        self.w.once = lambda conf, *args, **kwargs: once(self.daemon_conf, *args, **kwargs)

    def add_secret(self, name, value):
        """A secret that no output of meetingd or meetingctl may show (checked at close)."""
        self.w.passwords[name] = value

    def request_log(self):
        """The simulator's request log (--log) as a list of dicts."""
        with open(self.w.request_log) as f:
            return [json.loads(line) for line in f if line.startswith("{")]

    def check_scheme(self):
        raise NotImplementedError

    def test_handling_meetings(self):
        super().test_handling_meetings()
        self.check_scheme()
        for what, text in self.w.outputs:
            self.assertIsNone(JWT.search(text), "%s printed a token" % what)
