"""No account lockout: a wrong service-account password behind 200 mailboxes costs at most
3 failed logins in the first 10 minutes, and the log names the account.

Active Directory locks an account after a few failed logins within minutes; without a
shared authentication state each of 200 mailboxes would fail once per poll. The clock is
compressed: [daemon] auth_retry (default 2m) is 2 s here, so that the daemon's first 10
minutes (600 s / 120 s * 2 s) pass in 10 s. The wrong password stays wrong throughout."""

import re
import secrets
import time

import e2e

ROOMS = ["room%d" % i for i in range(200)]
SCALE = 2.0 / 120.0  # auth_retry 2 s instead of 2 min
TEN_MINUTES = 600 * SCALE


class Lockout(e2e.TestCase):

    def test_wrong_service_password_200_mailboxes(self):
        good = "pw-svc-" + secrets.token_hex(12)
        w = self.world(users=["organizer0"] + ROOMS, request_log=True,
                       sim_args=["--impersonator", "svc@example.com:" + good])
        wrong = "not-svc-" + secrets.token_hex(12)
        w.passwords["svc (right)"] = good
        w.passwords["svc (wrong)"] = wrong
        conf = w.write_config(
            {r: {"policy": "accept-all", "username": None, "password_file": None}
             for r in ROOMS},
            server={"username": "svc@example.com",
                    "password_file": w.write_secret("svc", wrong), "impersonation": "yes"},
            daemon={"auth_retry": "2s", "poll_interval": "1s", "max_concurrent_requests": "16"})
        d = w.start_daemon(conf)
        started = time.monotonic()
        d.wait_log(r"refused the credentials")
        while time.monotonic() - started < TEN_MINUTES * e2e.SLOW:
            time.sleep(0.2)
            self.assertTrue(d.alive(), d.log()[-3000:])
        failures = w.sim.stats()["auth_failures"]
        self.assertEqual(d.stop(), 0)
        self.assertGreaterEqual(failures, 1)
        self.assertLessEqual(failures, 3, "failed logins in the first ten minutes")
        log = d.log()
        # One line names the account (and the scheme), never the password.
        said = re.findall(r"refused the credentials of (\S+) \((\w+)\)", log)
        self.assertEqual(said, [("svc@example.com", "basic")])
        self.assertNotIn(wrong, log)
        # No mailbox got an answer in; none was ever served.
        self.assertEqual(w.sim.stats()["requests"], 0)


if __name__ == "__main__":
    e2e.main()
