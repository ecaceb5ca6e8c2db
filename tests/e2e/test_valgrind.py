"""The walkthrough with meetingd and meetingctl under valgrind (memcheck): every run must exit
cleanly, with no memory error and no definite or indirect leak (--error-exitcode=99). Covers
every meetingctl command, meetingd --once (answers, removal of cancelled meetings), and the
daemon through a failed and a good reload and a SIGTERM.

Only in the normal build: under ASan (MEETINGD_SANITIZE=1) valgrind cannot run the binaries,
and the sanitizer checks the same things there; this is the one reason to skip (exit 77),
which the normal CI build never meets."""

import json
import os
import shutil
import signal
import sys

import e2e

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--track-fds=no"]
A = e2e.addr


class Valgrind(e2e.TestCase):

    def check(self, res):
        """A clean exit status and valgrind's own word for it."""
        self.assertNotEqual(res.returncode, 99, "valgrind found errors: %r" % res)
        self.assertIn("ERROR SUMMARY: 0 errors from 0 contexts", res.stderr, res)
        self.assertNotRegex(res.stderr, r"(definitely|indirectly) lost: [1-9]")
        return res

    def ctl(self, w, conf, *args, **kwargs):
        res = w.ctl(conf, *args, prefix=VALGRIND, **kwargs)
        self.check(res)
        return res

    def once(self, w, conf):
        return self.check(w.once(conf, prefix=VALGRIND, timeout=120))

    def test_walkthrough(self):
        self.assertIsNotNone(shutil.which("valgrind"), "valgrind is not installed")
        w = self.world(users=["organizer0", "attendee0", "attendee1", "attendee2",
                              "attendee3", "room0"])
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "tentative-all",
                               "attendee2": "decline-all", "attendee3": "accept-all",
                               "room0": "accept-all"})
        mid = w.create_meeting(conf, "Meeting with attendee0, attendee1, attendee2",
                               required=["attendee0", "attendee1"], optional=["attendee2"],
                               resources=["room0"], prefix=VALGRIND)
        self.once(w, conf)
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"],
                                          A("attendee1"): ["Tentative"],
                                          A("attendee2"): ["Decline"], A("room0"): ["Accept"]})
        status = json.loads(self.ctl(w, conf, "--json", "status", mid).stdout)
        self.assertTrue(all(a["last_response_time"] for a in status["attendees"]))
        self.assertIn("Tentative", self.ctl(w, conf, "status", mid).stdout)

        self.ctl(w, conf, "update", mid, "--subject", "Meeting with attendee0, 2, 3",
                 "--set-required", A("attendee0"), "--add-optional", A("attendee3"))
        uid = w.uid_of(mid)
        self.once(w, conf)
        self.assertEqual(w.calendar("attendee1", uid), [])
        self.assertEqual(w.answers(mid)[A("attendee3")], ["Accept"])
        listed = json.loads(self.ctl(w, conf, "--json", "list", "deleteditems",
                                     as_user="attendee1").stdout)
        self.assertEqual(sorted(i["kind"] for i in listed), ["cancellation", "request"])
        self.ctl(w, conf, "list", "sentitems")

        self.ctl(w, conf, "cancel", mid, "--message", "Off.")
        self.once(w, conf)
        for user in ("attendee0", "attendee3", "room0"):
            self.assertEqual(w.calendar(user, uid), [], user)

        # respond, and the error paths of meetingctl (a refused answer, a bad id).
        mid2 = w.create_meeting(conf, "By hand", required=["attendee0"], n=2)
        req = w.requests("attendee0")[0]["id"]
        self.ctl(w, conf, "respond", req, "decline", "--message", "No.", as_user="attendee0")
        self.ctl(w, conf, "respond", req, "accept", as_user="attendee0", expect=1)
        self.ctl(w, conf, "status", "AAAAAAAAAAAAAAAAAAAA", expect=1)
        self.assertEqual(w.answers(mid2), {A("attendee0"): ["Decline"]})

    def test_daemon(self):
        w = self.world(users=["organizer0", "attendee0", "room0"])
        wrong = w.write_secret("room0.wrong", "not-the-password")
        conf = w.write_config({"attendee0": "accept-all",
                               "room0": {"policy": "accept-all", "password_file": wrong}})
        d = w.start_daemon(conf, prefix=VALGRIND)
        mid = w.create_meeting(conf, "Under valgrind", required=["attendee0"],
                               resources=["room0"])
        e2e.wait_for(lambda: w.answers(mid), 60, "the answer")
        d.wait_log(r"mailbox room0: FindItem failed", timeout=60)
        with open(conf) as f:
            good = f.read()
        w.write_file(conf, good + "[oops\n")
        d.send(signal.SIGHUP)
        d.wait_log(r"reload failed", timeout=60)
        w.write_file(conf, good.replace("[mailbox room0]", "[mailbox room0x]"))
        d.send(signal.SIGHUP)
        d.wait_log(r"configuration reloaded", timeout=60)
        self.assertNotEqual(d.stop(signal.SIGTERM, timeout=60), 99, d.log()[-5000:])
        self.assertEqual(d.returncode, 0, d.log()[-5000:])
        self.assertIn("ERROR SUMMARY: 0 errors from 0 contexts", d.log())


if __name__ == "__main__":
    if os.environ.get("MEETINGD_SANITIZE") == "1":
        print("SKIP: a sanitizer build; valgrind and ASan do not mix (the normal build runs "
              "this test)")
        sys.exit(77)
    e2e.main()
