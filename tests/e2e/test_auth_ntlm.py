"""The walkthrough with meetingd and meetingctl logging in by NTLM (libcurl's), against the
simulator's NTLMv2 server and nothing else: once with every mailbox's own credentials (each
account keeps its own authenticated connections; the simulator binds a logon to its TCP
connection as IIS does, so a connection shared across accounts would act as the wrong
mailbox), once as the service account EXAMPLE\\svc impersonating the mailboxes."""

import secrets

import authe2e
import e2e


class NtlmOwnCredentials(authe2e.AuthWalkthrough):
    SIM_AUTH = "ntlm"

    def daemon_server(self):
        return {"auth": "ntlm"}

    def check_scheme(self):
        stats = self.w.sim.stats()
        # Handshakes happened (a Type 2 challenge each), none failed, and every mailbox
        # was served as itself.
        self.assertGreater(stats["auth_rejected"].get("challenge", 0), 0)
        self.assertEqual(stats["auth_failures"], 0)
        log = self.request_log()
        served = [x for x in log if x["status"] != 401]
        self.assertTrue(served)
        for x in served:
            self.assertEqual(x["user"], x["mailbox"], x)

    def test_wrong_password_fails(self):
        w = self.w
        w.write_secret("attendee0", "not-the-password-of-attendee0")
        res = w.once(self.daemon_conf, expect=None)
        self.assertEqual(res.returncode, 77)  # EX_NOPERM
        self.assertRegex(res.stderr, r"mailbox attendee0: giving up")
        self.assertGreaterEqual(w.sim.stats()["auth_failures"], 1)


class NtlmServiceAccount(authe2e.AuthWalkthrough):
    SIM_AUTH = "ntlm"

    def sim_args(self):
        self.svc_password = "pw-svc-" + secrets.token_hex(12)
        return ["--impersonator", "svc@example.com:" + self.svc_password]

    def own_credentials(self):
        return False

    def daemon_server(self):
        self.add_secret("svc", self.svc_password)
        path = self.w.write_secret("svc", self.svc_password)
        return {"auth": "ntlm", "username": "EXAMPLE\\svc", "password_file": path,
                "impersonation": "yes"}

    def check_scheme(self):
        stats = self.w.sim.stats()
        self.assertGreater(stats["auth_rejected"].get("challenge", 0), 0)
        self.assertEqual(stats["auth_failures"], 0)
        daemon = [x for x in self.request_log()
                  if x["status"] != 401 and x["user"] == "svc@example.com"]
        self.assertEqual({x["mailbox"] for x in daemon},
                         {e2e.addr(u) for u in ("attendee0", "attendee1", "attendee2",
                                                "attendee3", "room0")})


if __name__ == "__main__":
    e2e.main()
