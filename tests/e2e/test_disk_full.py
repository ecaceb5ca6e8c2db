"""A full disk: no torn ledger line, no answer without its record, everything answered once
space returns.

The state directory is a small tmpfs, mounted in a mount namespace of this test's own
(the file re-runs itself under `unshare -m`; it needs root, as CI has). A filler file takes
every free page, meetingd (the daemon) goes on polling: answers whose intent cannot be
written are not sent. Then the filler goes and the daemon answers the rest, each once.

Checked while the disk is full and after: every ledger line is a whole record ("K TIME
ACTION ID [LINK]", nothing torn or glued), every answer the organizer got has its attendee's ledger
record, and in the end every request is answered exactly once and recorded done. The server
keeps answered requests in the Inbox (and meetingd is told not to move them), so the request
ids in the ledgers stay the ids the server shows."""

import os
import re
import signal
import subprocess
import sys

if os.environ.get("MEETINGD_E2E_OWN_MOUNTS") != "1":
    env = dict(os.environ, MEETINGD_E2E_OWN_MOUNTS="1")
    argv = ["unshare", "--mount", "--propagation", "private", sys.executable] + sys.argv
    try:
        sys.exit(subprocess.call(argv, env=env))
    except OSError as exc:
        sys.exit("test_disk_full: cannot run unshare (%s); this test needs root" % exc)

import e2e  # noqa: E402

ATTENDEES = ["attendee0", "attendee1", "attendee2"]
EXPECTED = {"attendee0": "Accept", "attendee1": "Tentative", "attendee2": "Decline"}
LINE = re.compile(r"^(I \d+ \S+ \S+( \S+)?|D \d+ \S+ \S+)$")  # an intent may carry a link
BEFORE, DURING = 5, 40  # meetings answered before the disk fills, and created while full


def policies():
    out = {}
    for name, keys in e2e.POLICIES.items():
        keys = dict(keys)
        keys["remove_old_meeting_messages"] = "no"
        out[name] = keys
    return out


class DiskFull(e2e.TestCase):

    def mount_tmpfs(self, path, size):
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs",
                        path], check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", path])

    def fill(self, path):
        """Writes a filler file until the file system refuses a byte more."""
        filler = os.path.join(path, "filler")
        with open(filler, "wb", buffering=0) as f:
            for chunk in (65536, 4096, 1):
                try:
                    while True:
                        f.write(b"\0" * chunk)
                except OSError:
                    pass
        return filler

    def check_ledgers(self, w, complete):
        """Every line whole; every answer recorded; COMPLETE: all answered once, all done."""
        responses = w.responses()
        for user in ATTENDEES:
            with open(w.ledger_path(user), "rb") as f:
                raw = f.read().decode("ascii")
            self.assertTrue(raw == "" or raw.endswith("\n"), "%s: torn last line" % user)
            for line in raw.splitlines():
                self.assertRegex(line, LINE, "%s: torn or glued ledger line" % user)
            last = {}
            for kind, _, _, rid in (line.split()[:4] for line in raw.splitlines()):
                last[rid] = kind
            for req in w.requests(user):
                got = responses.get((req["uid"], e2e.addr(user)), [])
                self.assertLessEqual(len(got), 1, "%s answered twice" % user)
                if got:
                    self.assertIn(req["id"], last, "%s: an answer without a record" % user)
                if complete:
                    self.assertEqual(got, [EXPECTED[user]], user)
                    self.assertEqual(last.get(req["id"]), "D", user)

    def test_full_disk(self):
        w = self.world(users=["organizer0"] + ATTENDEES, keep_answered=True)
        self.mount_tmpfs(w.state_dir, "512k")
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "tentative-all",
                               "attendee2": "decline-all"}, policies=policies())
        for n in range(BEFORE):
            w.create_meeting(conf, "Before %d" % n, required=ATTENDEES, n=n)
        w.once(conf)
        self.check_ledgers(w, complete=True)

        filler = self.fill(w.state_dir)
        d = w.start_daemon(conf)
        for n in range(BEFORE, BEFORE + DURING):
            w.create_meeting(conf, "During %d" % n, required=ATTENDEES, n=n)
        # Whichever file the disk refuses first, the ledger or the decision record, pauses
        # the mailbox.
        d.wait_log(r"cannot write the (ledger|decision record)", timeout=60 * e2e.SLOW)
        polls = w.sim.stats()["requests"]
        e2e.wait_for(lambda: w.sim.stats()["requests"] > polls + 30, 60 * e2e.SLOW,
                     "more polls with the disk full")
        self.check_ledgers(w, complete=False)
        answered_while_full = w.count_responses()
        self.assertLess(answered_while_full, (BEFORE + DURING) * len(ATTENDEES),
                        "the disk never got in the way")

        os.unlink(filler)
        want = (BEFORE + DURING) * len(ATTENDEES)
        e2e.wait_for(lambda: w.count_responses() >= want, 120 * e2e.SLOW,
                     "every request answered once space returned")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.check_ledgers(w, complete=True)
        self.assertEqual(w.count_responses(), want)
        print("disk full: %d of %d answers sent while full, all recorded; %d answered once "
              "after space returned" % (answered_while_full - BEFORE * len(ATTENDEES),
                                        DURING * len(ATTENDEES), want), file=sys.stderr)


if __name__ == "__main__":
    e2e.main()
