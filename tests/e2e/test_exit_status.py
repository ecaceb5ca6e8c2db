"""Exit status systemd can act on, and no core dumps: a daemon whose mailboxes cannot open
their state exits 73 (EX_CANTCREAT) instead of 0 (Restart=on-failure never restarted it), and
neither program leaves a core file with the password in it."""

import os
import resource
import signal
import subprocess
import sys

import e2e


def allow_cores():
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


class ExitStatus(e2e.TestCase):

    def test_unusable_state_dir(self):
        w = self.world(users=["organizer0", "attendee0"])
        blocker = w.write_file(os.path.join(w.dir, "not-a-dir"), "a file\n")
        conf = w.write_config({"attendee0": "accept-all"},
                              daemon={"state_dir": os.path.join(blocker, "state")})
        for args in ((), ("--once",)):
            with self.subTest(args=args):
                res = w.meetingd(conf, *args)
                self.assertEqual(res.returncode, 73, res)
                self.assertIn("no mailbox could start", res.stderr)

    def test_no_core_dump(self):
        w = self.world(users=["organizer0", "attendee0"])
        conf = w.write_config({"attendee0": "accept-all"})
        # Control: on this machine a process that gets SIGQUIT does leave a core file here.
        control = os.path.join(w.dir, "control")
        os.mkdir(control)
        proc = subprocess.run([sys.executable, "-c",
                               "import os, signal; os.kill(os.getpid(), signal.SIGQUIT)"],
                              cwd=control, preexec_fn=allow_cores)
        self.assertEqual(proc.returncode, -signal.SIGQUIT)
        self.assertTrue(os.listdir(control), "no core file from the control process: core "
                        "dumps are off on this machine, the test cannot tell anything")
        # meetingd, running, gets SIGQUIT too: no core file.
        cwd = os.path.join(w.dir, "daemon")
        os.mkdir(cwd)
        log = open(os.path.join(w.dir, "core-test.log"), "w")
        proc = subprocess.Popen([e2e.meetingd_bin(), "-c", conf], cwd=cwd,
                                preexec_fn=allow_cores, stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL)
        try:
            e2e.wait_for(lambda: "started" in open(log.name).read(), 20, "meetingd started")
            proc.send_signal(signal.SIGQUIT)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
        self.assertEqual(proc.returncode, -signal.SIGQUIT)
        self.assertEqual(os.listdir(cwd), [])


if __name__ == "__main__":
    e2e.main()
