"""The configuration as text: it is UTF-8 (a Latin-1 response_message is refused at its line
with exit 78 before anything is sent, by every entry point), every error of a file is
reported in one run, and a huge line is refused without being read into memory."""

import os
import re
import resource

import e2e

MAILBOXES = {"attendee0": "accept-all", "room0": "decline-all"}


class ConfigText(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=["organizer0", "attendee0", "room0"])
        self.good = self.w.config_text(MAILBOXES)

    def write_bytes(self, name, data):
        path = os.path.join(self.w.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def line_of(self, text, start):
        return [n for n, line in enumerate(text.split("\n"), 1) if line.startswith(start)][0]

    def test_latin1_refused(self):
        # Before: --check-config passed and every answer then failed ("request could not be
        # built"). Now every entry point refuses it at its line.
        text = self.good.replace("response_message = Booked by meetingd.",
                                 "response_message = Grüße von meetingd.")
        line = self.line_of(text, "response_message")
        path = self.write_bytes("latin1.conf", text.encode("latin-1"))
        utf8 = self.write_bytes("utf8.conf", text.encode("utf-8"))
        meeting = self.w.create_meeting(utf8, "latin-1", required=["attendee0"])
        rx = re.compile(r"^%s:%d: not valid UTF-8$" % (re.escape(path), line), re.M)
        for how, res in [("check", self.w.meetingd(path, "--check-config")),
                         ("once", self.w.meetingd(path, "--once")),
                         ("ctl", self.w.ctl(path, "list", "inbox", expect=None))]:
            with self.subTest(entry=how):
                self.assertEqual(res.returncode, 78, res)
                self.assertRegex(res.stderr, rx)
        self.assertEqual(self.w.answers(meeting), {})
        # The same text in UTF-8 loads and is answered.
        self.assertEqual(self.w.meetingd(utf8, "--check-config").returncode, 0)
        self.w.once(utf8)
        self.assertEqual(self.w.answers(meeting), {"attendee0@example.com": ["Accept"]})

    def test_every_error_reported(self):
        text = self.good.replace("log_level = info", "log_level = loud\npoll_interval2 = 1s")
        text = text.replace("timeout = 10s", "timeout = soon")
        path = self.write_bytes("many.conf", text.encode())
        res = self.w.meetingd(path, "--check-config")
        self.assertEqual(res.returncode, 78, res)
        want = [(self.line_of(text, "timeout"), r"timeout: bad duration 'soon' .*"),
                (self.line_of(text, "log_level"), r"log_level: bad value 'loud' .*"),
                (self.line_of(text, "poll_interval2"),
                 r"unknown key 'poll_interval2' in \[daemon\]")]
        lines = res.stderr.strip().split("\n")
        self.assertEqual(len(lines), 3, res)
        for got, (line, message) in zip(lines, want):
            self.assertRegex(got, r"^%s:%d: %s$" % (re.escape(path), line, message))

    def test_huge_line_bounded(self):
        # A 300 MB line was read whole (303 MB RSS). Now it is refused at its line and the
        # process stays small; --check-config's peak RSS is measured through wait4.
        path = os.path.join(self.w.dir, "huge.conf")
        lines = self.good.split("\n")
        at = lines.index("[policy accept-all]") + 1
        with open(path, "w") as f:
            f.write("\n".join(lines[:at]) + "\nresponse_message = ")
            chunk = "x" * (1 << 20)
            for _ in range(300):
                f.write(chunk)
            f.write("\n" + "\n".join(lines[at:]))
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.execv(e2e.meetingd_bin(), [e2e.meetingd_bin(), "-c", path, "--check-config"])
        _, status, usage = os.wait4(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 78)
        self.assertLess(usage.ru_maxrss, 64 * 1024, "peak RSS %d KiB" % usage.ru_maxrss)
        res = self.w.meetingd(path, "--check-config")
        self.assertRegex(res.stderr, r"^%s:%d: line is too long" % (re.escape(path), at + 1))


if __name__ == "__main__":
    e2e.main()
