"""systemd/meetingd.service: `systemd-analyze security --offline=yes` rates its overall exposure
at 1.5 or better (lower is better), and the unit keeps what meetingd relies on (Type=notify for
its READY=1, the watchdog it pings, the reload by SIGHUP, exit 78 = bad configuration not
restarted, checked by the main process so that the restart prevention sees it) and what the
README promises (the credential the example configuration names, no core dumps).
systemd-analyze comes with Debian's systemd package (scripts/lib.sh installs it). The unit
running under a real systemd is scripts/test-systemd's job."""

import os
import re
import shutil
import subprocess
import unittest

import e2e

UNIT = os.path.join(e2e.REPO, "systemd", "meetingd.service")
MAX_EXPOSURE = 1.5
EXAMPLE = os.path.join(e2e.REPO, "conf", "meetingd.conf.example")


def unit_settings():
    """{key: [values]} of the [Service] section."""
    out = {}
    section = None
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                key, _, value = line.partition("=")
                out.setdefault(key.strip(), []).append(value.strip())
    return out


class SystemdUnit(unittest.TestCase):

    def test_security_exposure(self):
        tool = shutil.which("systemd-analyze")
        self.assertIsNotNone(tool, "systemd-analyze is missing (Debian package systemd)")
        proc = subprocess.run([tool, "security", "--offline=yes", "--no-pager", UNIT],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        m = re.search(r"Overall exposure level for meetingd\.service: ([0-9]+(?:\.[0-9]+)?)",
                      proc.stdout)
        self.assertIsNotNone(m, "no exposure level in:\n%s\n%s" % (proc.stdout[-3000:],
                                                                 proc.stderr[-3000:]))
        exposure = float(m.group(1))
        self.assertLessEqual(exposure, MAX_EXPOSURE,
                             "exposure %.1f > %.1f:\n%s" % (exposure, MAX_EXPOSURE,
                                                            proc.stdout))

    def test_what_meetingd_relies_on(self):
        s = unit_settings()
        self.assertEqual(s.get("Type"), ["notify"])
        self.assertEqual(s.get("NotifyAccess"), ["main"])
        self.assertIn("HUP", s.get("ExecReload", [""])[0])
        self.assertTrue(s.get("WatchdogSec"), "meetingd pings the watchdog")
        self.assertIn("78", s.get("RestartPreventExitStatus", [""])[0].split())
        # RestartPreventExitStatus= only sees the main process: a --check-config in
        # ExecStartPre= failing with 78 would be restarted forever.
        self.assertNotIn("ExecStartPre", s)
        self.assertEqual(s.get("StateDirectory"), ["meetingd"])
        self.assertEqual(s.get("LimitCORE"), ["0"])
        # The dynamic user reads /etc/meetingd; systemd creates it if missing.
        self.assertEqual(s.get("ConfigurationDirectory"), ["meetingd"])
        # meetingd talks to the EWS server over TCP and to systemd over AF_UNIX.
        families = s.get("RestrictAddressFamilies", [""])[0].split()
        for family in ("AF_INET", "AF_INET6", "AF_UNIX"):
            self.assertIn(family, families)

    def test_credential_matches_example_config(self):
        """The credential the unit loads is the relative password_file name the example
        configuration uses, read from the file next to meetingd.conf."""
        creds = dict(v.split(":", 1) for v in unit_settings().get("LoadCredential", []))
        with open(EXAMPLE) as f:
            names = re.findall(r"^password_file\s*=\s*(\S+)", f.read(), re.M)
        self.assertEqual(names, ["ews-password"])
        self.assertEqual(creds, {"ews-password": "/etc/meetingd/ews-password"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
