"""`cmake --install` of the build: what lands where (GNUInstallDirs, the unit in pkg-config's
systemdsystemunitdir, the examples under share/doc/meetingd/examples, the configuration only
where none exists), and the manual pages: each renders with `man --warnings -l` silently, and
meetingd.conf(5), generated from `meetingd --keys`, describes every key the binary accepts.
The package built from the same rules under a real systemd is scripts/test-systemd's job."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import e2e

BUILD = os.environ.get("MEETINGD_BUILD_DIR") or os.path.join(e2e.REPO, "build")
PAGES = ["share/man/man1/meetingctl.1", "share/man/man5/meetingd.conf.5",
         "share/man/man8/meetingd.8"]


def unit_dir():
    out = subprocess.run(["pkg-config", "--variable=systemdsystemunitdir", "systemd"],
                         stdout=subprocess.PIPE, text=True)
    return out.stdout.strip() or "/usr/lib/systemd/system"


class Install(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dest = tempfile.mkdtemp(prefix="meetingd-install-")
        cls.prefix = "/usr"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dest, ignore_errors=True)

    def install(self, prefix="/usr"):
        env = dict(os.environ, DESTDIR=self.dest)
        proc = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        return proc.stdout

    def at(self, path):
        return os.path.join(self.dest, path.lstrip("/"))

    def test_files_and_modes(self):
        self.install()
        for path, mode in [("/usr/bin/meetingd", 0o755), ("/usr/bin/meetingctl", 0o755),
                           ("/etc/meetingd/meetingd.conf", 0o644),
                           ("/usr/share/doc/meetingd/examples/meetingd.conf.example", 0o644),
                           ("/usr/share/doc/meetingd/examples/room.conf.example", 0o644),
                           (unit_dir() + "/meetingd.service", 0o644)] + \
                [("/usr/" + p, 0o644) for p in PAGES]:
            st = os.stat(self.at(path))
            self.assertEqual(st.st_mode & 0o777, mode, path)
        with open(self.at(unit_dir() + "/meetingd.service")) as f:
            self.assertIn("\nExecStart=/usr/bin/meetingd -c /etc/meetingd/meetingd.conf\n",
                          f.read())

    def test_unit_follows_bindir_and_config_is_kept(self):
        """Under another prefix ExecStart= names the installed binary; a configuration
        already in place is never overwritten."""
        self.install("/usr/local")
        with open(self.at(unit_dir() + "/meetingd.service")) as f:
            self.assertIn("\nExecStart=/usr/local/bin/meetingd -c /etc/meetingd/meetingd.conf\n",
                          f.read())
        conf = self.at("/etc/meetingd/meetingd.conf")
        with open(conf, "w") as f:
            f.write("# the administrator's\n")
        out = self.install("/usr/local")
        self.assertIn("Keeping: ", out)
        with open(conf) as f:
            self.assertEqual(f.read(), "# the administrator's\n")

    def test_man_pages_render_without_warnings(self):
        self.install()
        for page in PAGES:
            proc = subprocess.run(["man", "--warnings", "-l", self.at("/usr/" + page)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, MANWIDTH="80"), timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stderr, "", page)
            self.assertGreater(len(proc.stdout), 1000, page)

    def test_conf_page_lists_every_key(self):
        """Every key of every section of `meetingd --keys`, with its default, in the
        section's part of meetingd.conf(5)."""
        self.install()
        keys = subprocess.run([e2e.meetingd_bin(), "--keys"], stdout=subprocess.PIPE,
                              text=True, check=True).stdout
        page = subprocess.run(["man", "-l", self.at("/usr/share/man/man5/meetingd.conf.5")],
                              stdout=subprocess.PIPE, text=True, check=True,
                              env=dict(os.environ, MANWIDTH="200")).stdout
        sections = re.split(r"^### ", keys, flags=re.M)[1:]
        self.assertGreaterEqual(len(sections), 5)
        rendered = re.split(r"^   (?=\[)", page, flags=re.M)
        total = 0
        for block in sections:
            heading = block.splitlines()[0]
            part = next((r for r in rendered if r.startswith(heading + "\n")), None)
            self.assertIsNotNone(part, "no subsection %s in meetingd.conf(5)" % heading)
            for row in block.splitlines():
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
                if len(cells) != 4 or not re.fullmatch(r"`[a-z0-9_]+`", cells[0]):
                    continue
                name, default = cells[0].strip("`"), cells[2]
                total += 1
                # The entry's last line, "Type: ….  Default: ….", within the entry (no blank line).
                m = re.search(r"^ {7}%s\b(?:(?!\n\n).)*?Type: (?:(?!\n\n).)*?Default: ([^\n]*)\.$"
                              % name, part, re.M | re.S)
                self.assertIsNotNone(m, "%s %s is not in meetingd.conf(5)" % (heading, name))
                self.assertEqual(m.group(1), default.strip(), "%s %s" % (heading, name))
        self.assertGreater(total, 60)


if __name__ == "__main__":
    unittest.main(verbosity=2)
