"""meetingd's sd_notify protocol, as systemd (Type=notify, WatchdogSec=) sees it: the test binds
the datagram socket NOTIFY_SOCKET names and reads what the daemon sends: READY=1 and STATUS=
once running, RELOADING=1 (with MONOTONIC_USEC) then READY=1 again on SIGHUP, STOPPING=1 on
SIGTERM, WATCHDOG=1 pings when WATCHDOG_USEC is set (and none when WATCHDOG_PID names another
process)."""

import os
import re
import signal
import socket
import threading
import time

import e2e


class Listener:
    """A bound AF_UNIX datagram socket collecting notifications in a thread."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, text)
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic(), data.decode("utf-8", "replace")))

    def texts(self):
        with self.lock:
            return [text for _, text in self.messages]

    def wait_for(self, pattern, count=1, timeout=15):
        rx = re.compile(pattern, re.M)
        return e2e.wait_for(lambda: len([t for t in self.texts() if rx.search(t)]) >= count,
                            timeout, "notification %r (got %r)" % (pattern, self.texts()[-8:]))

    def index(self, pattern, start=0):
        """Index of the first message at or after START matching PATTERN."""
        rx = re.compile(pattern, re.M)
        for i, text in enumerate(self.texts()[start:], start):
            if rx.search(text):
                return i
        raise AssertionError("no %r after message %d in %r" % (pattern, start, self.texts()))

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()


class SdNotify(e2e.TestCase):

    def listener(self, w, name="notify"):
        lst = Listener(os.path.join(w.dir, name))
        self.addCleanup(lst.close)
        return lst

    def test_lifecycle(self):
        w = self.world(users=["organizer0", "attendee0"])
        conf = w.write_config({"attendee0": "accept-all"})
        lst = self.listener(w)
        d = w.start_daemon(conf, env={"NOTIFY_SOCKET": lst.path, "WATCHDOG_USEC": "1000000"})
        lst.wait_for(r"^READY=1$")
        mid = w.create_meeting(conf, "Notified", required=["attendee0"])
        e2e.wait_for(lambda: w.answers(mid), 15, "the answer")
        lst.wait_for(r"^STATUS=1 mailbox\(es\), 1 answered, 0 failing$")
        # The watchdog: pings at half of WATCHDOG_USEC; a few of them.
        lst.wait_for(r"^WATCHDOG=1$", count=3)

        mark = len(lst.texts())
        d.send(signal.SIGHUP)
        d.wait_log(r"configuration reloaded")
        lst.wait_for(r"^READY=1$", count=2)
        reloading = lst.index(r"^RELOADING=1$", mark)
        self.assertRegex(lst.texts()[reloading], r"^RELOADING=1\nMONOTONIC_USEC=\d+$")
        usec = int(lst.texts()[reloading].split("MONOTONIC_USEC=")[1])
        # CLOCK_MONOTONIC, which Python's time.monotonic() reads on Linux too.
        self.assertLess(abs(usec / 1e6 - time.monotonic()), 60)
        lst.index(r"^READY=1$", reloading + 1)

        # A failed reload also ends with READY=1: systemd must not think it still reloads.
        with open(conf) as f:
            good = f.read()
        w.write_file(conf, good + "\nnot a config line\n")
        mark = len(lst.texts())
        d.send(signal.SIGHUP)
        d.wait_log(r"reload failed")
        lst.wait_for(r"^READY=1$", count=3)
        lst.index(r"^READY=1$", lst.index(r"^RELOADING=1", mark) + 1)

        mark = len(lst.texts())
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        lst.wait_for(r"^STOPPING=1$")
        lst.index(r"^STOPPING=1$", mark)
        self.assertNotIn("READY=1", lst.texts()[lst.index(r"^STOPPING=1$", mark):])

    def test_bad_mailbox_in_status(self):
        w = self.world(users=["organizer0", "attendee0", "room0"])
        wrong = w.write_secret("room0.wrong", "not-the-password")
        conf = w.write_config({"attendee0": "accept-all",
                               "room0": {"policy": "accept-all", "password_file": wrong}})
        lst = self.listener(w)
        d = w.start_daemon(conf, env={"NOTIFY_SOCKET": lst.path})
        lst.wait_for(r"^STATUS=2 mailbox\(es\), 0 answered, 1 failing$")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        lst.wait_for(r"^STOPPING=1$")
        # No WATCHDOG_USEC: no pings.
        self.assertNotIn("WATCHDOG=1", lst.texts())

    def test_watchdog_for_another_process(self):
        # WATCHDOG_PID names the process the watchdog is meant for: not this one.
        w = self.world(users=["organizer0", "attendee0"])
        conf = w.write_config({"attendee0": "accept-all"})
        lst = self.listener(w)
        d = w.start_daemon(conf, env={"NOTIFY_SOCKET": lst.path,
                                      "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
        lst.wait_for(r"^READY=1$")
        ready = lst.messages[0][0]
        # A window for several 0.1 s pings (observed, not timed): 0.6 s after READY=1.
        e2e.wait_for(lambda: time.monotonic() - ready >= 0.6, 5, "the observation window")
        self.assertTrue(d.alive())
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        lst.wait_for(r"^STOPPING=1$")
        self.assertNotIn("WATCHDOG=1", lst.texts())


if __name__ == "__main__":
    e2e.main()
