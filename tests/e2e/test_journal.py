"""Under systemd, stderr is a stream to the journal and $JOURNAL_STREAM names its device and
inode (systemd.exec(5)). meetingd then starts every line with its syslog priority "<N>"
(sd-daemon(3)) and leaves the timestamp to the journal: decisions at notice (5), a failing
mailbox at warning (4), giving up at error (3). With stderr anywhere else - even when
$JOURNAL_STREAM is set, as in `meetingd 2>file` inside a unit - lines are timestamped.

The test hands the real meetingd a stderr file and sets $JOURNAL_STREAM to that file's own
device:inode, exactly the check journald's stream makes meetingd take."""

import os
import re
import subprocess

import e2e

PREFIXED = re.compile(r"^<([0-7])>(.*)$")
STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z meetingd\[\d+\]: (\w+): ")


class Journal(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=["organizer0", "attendee0", "attendee1"])
        wrong = self.w.write_secret("attendee1.wrong", "not-the-password-of-attendee1")
        self.conf = self.w.write_config({
            "attendee0": "accept-all",
            "attendee1": {"policy": "accept-all", "password_file": wrong}})
        self.w.create_meeting(self.conf, "Journal", required=["attendee0", "attendee1"])

    def once_with_stderr(self, journal_stream_of):
        """meetingd --once with stderr in a file; $JOURNAL_STREAM is the device:inode of the
        file JOURNAL_STREAM_OF returns (given the stderr file's path). Returns the lines."""
        path = os.path.join(self.w.dir, "stderr")
        with open(path, "wb") as err:
            st = os.stat(journal_stream_of(path))
            env = self.w._env({"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)})
            proc = subprocess.run([e2e.meetingd_bin(), "-c", self.conf, "--once"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=err, env=env, timeout=60 * e2e.SLOW)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.w.outputs.append(("meetingd", text))
        self.assertEqual(proc.returncode, 77,  # EX_NOPERM: refused credentials
                         "attendee1 cannot log in: --once fails\n" + text)
        lines = text.splitlines()
        self.assertTrue(lines, "meetingd wrote nothing")
        return lines

    def test_priorities_when_stderr_is_the_journal(self):
        lines = self.once_with_stderr(lambda path: path)
        for line in lines:
            m = PREFIXED.match(line)
            self.assertIsNotNone(m, "a line without its <N> prefix: %r" % line)
            self.assertIsNone(STAMPED.match(m.group(2)), "the journal stamps lines itself")

        def priority_of(pattern):
            found = {int(m.group(1)) for m in map(PREFIXED.match, lines)
                     if re.search(pattern, m.group(2))}
            self.assertEqual(len(found), 1, "%r: %s\n%s" % (pattern, found, "\n".join(lines)))
            return found.pop()

        self.assertEqual(priority_of(r"^decision mailbox=attendee0 .*decision=accept"), 5)
        self.assertEqual(priority_of(r"^mailbox attendee1: FindItem failed"), 4)
        self.assertEqual(priority_of(r"^mailbox attendee1: giving up"), 3)
        self.assertEqual(priority_of(r"^meetingd .* started"), 5)

    def test_config_errors_at_priority_error(self):
        """--check-config (the unit's ExecStartPre) and a start with a broken file: every error
        line is FILE:LINE: message at priority 3."""
        bad = self.w.write_file(os.path.join(self.w.dir, "bad.conf"),
                                "[daemon]\npoll_interval = soon\nlog_level = loud\n")
        path = os.path.join(self.w.dir, "stderr")
        for args in (["--check-config"], []):
            with open(path, "wb") as err:
                st = os.fstat(err.fileno())
                env = self.w._env({"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)})
                proc = subprocess.run([e2e.meetingd_bin(), "-c", bad] + args,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=err, env=env, timeout=60 * e2e.SLOW)
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            self.assertEqual(proc.returncode, 78)
            self.assertIn("<3>%s:2: poll_interval: bad duration 'soon'" % bad, "\n".join(lines))
            self.assertIn("<3>%s:3: log_level: bad value 'loud'" % bad, "\n".join(lines))
            for line in lines:
                self.assertRegex(line, r"^<3>%s(:\d+)?: " % re.escape(bad))

    def test_timestamps_when_stderr_is_elsewhere(self):
        other = os.path.join(self.w.dir, "not-stderr")
        open(other, "w").close()
        lines = self.once_with_stderr(lambda path: other)
        for line in lines:
            self.assertIsNone(PREFIXED.match(line), line)
            self.assertIsNotNone(STAMPED.match(line), line)
        self.assertTrue(any(re.search(r": notice: decision mailbox=attendee0 ", line)
                            for line in lines), "\n".join(lines))


if __name__ == "__main__":
    e2e.main()
