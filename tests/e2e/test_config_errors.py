"""Bad configurations are reported as FILE:LINE: message on stderr with exit 78, by
`meetingd --check-config`, by a plain `meetingd` start and by meetingctl; a good one passes
--check-config with its summary. No output ever contains a password (World.close checks every
output of every run against every password)."""

import os
import re

import e2e

MAILBOXES = {"attendee0": "accept-all", "room0": "decline-all"}


class ConfigErrors(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=["organizer0", "attendee0", "room0"])
        self.good = self.w.config_text(MAILBOXES)

    def write(self, name, text):
        return self.w.write_file(os.path.join(self.w.dir, name), text)

    def variant(self, name, find, replace):
        """The good configuration with the line that starts with FIND replaced by REPLACE
        (lines; [] deletes it). Returns (path, text)."""
        lines = self.good.split("\n")
        hits = [i for i, line in enumerate(lines) if line.startswith(find)]
        self.assertEqual(len(hits), 1, "%r is not one line of the configuration" % find)
        i = hits[0]
        lines[i:i + 1] = replace
        text = "\n".join(lines)
        return self.write(name, text), text

    @staticmethod
    def line_of(text, start, nth=1):
        """1-based number of the NTH line of TEXT that starts with START."""
        hits = [n for n, line in enumerate(text.split("\n"), 1) if line.startswith(start)]
        return hits[nth - 1]

    def assert_reported(self, path, line, message, what=None, where=None):
        """Every entry point refuses the configuration PATH with 'WHERE:LINE: MESSAGE' (WHERE:
        the file at fault, PATH itself unless an included one) and exit 78."""
        rx = re.compile(r"^%s:%d: %s$" % (re.escape(where or path), line, message), re.M)
        runs = [("check", self.w.meetingd(path, "--check-config")),
                ("start", self.w.meetingd(path)),
                ("once", self.w.meetingd(path, "--once")),
                ("ctl", self.w.ctl(path, "list", "inbox", expect=None))]
        for how, res in runs:
            with self.subTest(case=what, entry=how):
                self.assertEqual(res.returncode, 78, res)
                self.assertRegex(res.stderr, rx)
                self.assertEqual(res.stdout, "", "nothing on stdout: %r" % res)
        # Nothing started: no state, no request reached the server.
        self.assertFalse(os.path.exists(self.w.state_dir))

    def test_good_config(self):
        path = self.write("good.conf", self.good)
        res = self.w.meetingd(path, "--check-config")
        self.assertEqual(res.returncode, 0, res)
        self.assertTrue(res.stdout.endswith("configuration OK\n"), res)
        for section in ("[server]", "[daemon]", "[mailbox attendee0]", "[mailbox room0]",
                        "[policy accept-all]", "[policy decline-all]"):
            self.assertIn(section + "\n", res.stdout)
        self.assertIn("url = %s\n" % self.w.sim.url, res.stdout)
        self.assertRegex(res.stdout, r"# defined at %s:%d" % (
            re.escape(path), self.line_of(self.good, "[mailbox room0]")))
        self.assertIn("password_file = %s\n" % self.w.secret_path("room0"), res.stdout)
        # -q: warnings only, no summary.
        res = self.w.meetingd(path, "--check-config", "-q")
        self.assertEqual((res.returncode, res.stdout), (0, "configuration OK\n"), res)
        # Checking is all it does.
        self.assertFalse(os.path.exists(self.w.state_dir))
        self.assertEqual(self.w.sim.stats()["requests"], 0)

    def test_broken_configs(self):
        w = self.w
        cases = [
            ("unknown key", "log_level", ["log_level = info", "log_levle = debug"],
             "log_levle", r"unknown key 'log_levle' in \[daemon\]"),
            ("bad duration", "poll_interval", ["poll_interval = soon"], "poll_interval",
             r"poll_interval: bad duration 'soon' .*"),
            ("out of range", "max_concurrent_requests", ["max_concurrent_requests = 0"],
             "max_concurrent_requests", r"max_concurrent_requests: 0 is out of range .*"),
            ("syntax", "[policy decline-all]", ["[policy decline-all]", "just some words"],
             "just some words", r"syntax error: .*"),
            ("unknown policy", "policy = decline-all", ["policy = declineall"],
             "policy = declineall", r"policy: unknown policy 'declineall' .*"),
            ("missing required", "address = room0", [], "[mailbox room0]",
             r"missing required key 'address' in \[mailbox room0\]"),
            ("duplicate key", "auth", ["auth = basic", "auth = ntlm"], "auth = ntlm",
             r"duplicate key 'auth' \(first set at line \d+\)"),
            ("bad url", "url", ["url = ftp://mail.example.com/EWS/Exchange.asmx"], "url",
             r"url: 'ftp://.*' is not an http:// or https:// URL"),
            ("unclosed section", "[daemon]", ["[daemon"], "[daemon",
             r"section header without closing '\]'"),
            ("duplicate section", "[policy decline-all]",
             ["[policy accept-all]", "automate = decline", "", "[policy decline-all]"],
             "[policy accept-all]", r"duplicate section \[policy accept-all\] .*"),
            ("no such password file", "password_file = %s" % w.secret_path("room0"),
             ["password_file = %s" % os.path.join(w.dir, "nope")], "password_file = %s"
             % os.path.join(w.dir, "nope"), r"password_file: .*nope.*"),
            # A password where a password file belongs: refused without echoing it.
            ("inline password", "username = room0",
             ["username = room0@example.com", "password = %s" % w.passwords["room0"]],
             "password =", r"unknown key 'password' in \[mailbox room0\]"),
        ]
        for i, (what, find, replace, at, message) in enumerate(cases):
            path, text = self.variant("broken%d.conf" % i, find, replace)
            nth = 2 if what == "duplicate section" else 1
            self.assert_reported(path, self.line_of(text, at, nth), message, what)

    def test_password_file_mode(self):
        # A password file others can read is refused, at the password_file line; the error
        # names the mode and never the password (checked by World.close).
        os.chmod(self.w.secret_path("attendee0"), 0o644)
        path = self.write("mode.conf", self.good)
        line = self.line_of(self.good, "password_file = %s" % self.w.secret_path("attendee0"))
        self.assert_reported(path, line, r"password_file: .*mode 0644.*", "mode 0644")

    def test_included_file(self):
        # An error in a file of include_dir is reported with that file's name and line.
        inc = os.path.join(self.w.dir, "conf.d")
        os.mkdir(inc)
        self.write(os.path.join("conf.d", "10-good.conf"),
                   "[policy extra]\nautomate = accept\n")
        bad = self.write(os.path.join("conf.d", "20-bad.conf"),
                         "# a room\n[mailbox room1]\naddress = room1@example.com\n"
                         "policy = extra\npoll_interval = 0s\n")
        main, _ = self.variant("main.conf", "log_level",
                               ["log_level = info", "include_dir = %s" % inc])
        self.assert_reported(main, 5, r"poll_interval: 0s is out of range .*", "include_dir",
                             where=bad)

    def test_missing_file(self):
        path = os.path.join(self.w.dir, "absent.conf")
        res = self.w.meetingd(path, "--check-config")
        self.assertEqual(res.returncode, 78, res)
        self.assertRegex(res.stderr, r"^%s: cannot open: No such file or directory$"
                         % re.escape(path))


if __name__ == "__main__":
    e2e.main()
