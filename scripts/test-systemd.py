#!/usr/bin/env python3
"""meetingd.service under a real systemd (run by scripts/test-systemd, which builds the package
and the Debian 12 root this needs).

    test-systemd.py --root BASE --deb meetingd_*.deb --work DIR

The root BASE stays untouched: an overlay (upper layer in DIR) is mounted over it inside a new
mount namespace, and Debian's systemd boots as PID 1 in fresh pid/mount/uts/ipc/net/cgroup
namespaces with the overlay as their root (pivot_root and chroot). Every command runs inside through `nsenter -t PID -a -r -w`. The
network namespace has only its loopback: the EWS simulator runs in there, as a service of the
booted systemd.

What is checked, in order (one line per check; the first failure stops the run with the
journal of the booted system):
  the package installs without enabling or starting the unit, /etc/meetingd readable,
  meetingd.conf a conffile; the installed manual pages render without warnings;
  `systemd-analyze verify` and `security --offline=yes` (<= 1.5) on the installed unit;
  configured as the README says (meetingd.conf, /etc/meetingd/ews-password), `meetingd
  --check-config` run by hand reads the same password; `systemctl enable --now` makes it
  active; a meeting request gets a decision in `journalctl -u meetingd -p notice` and the
  organizer sees the room's answer; `systemctl reload` takes a changed policy (same main
  process); reinstalling the package keeps the administrator's configuration and restarts the
  enabled service; `systemctl stop` is clean; a dry run by hand as the service's user leaves
  the state directory as it was; a bad configuration fails once (exit 78) and is
  not restarted, nor is a missing credential (243); no secret in the service's journal; the
  simulator saw only schema-valid traffic.

Waiting is done by polling with deadlines; nothing asserts speed.
"""

import argparse
import datetime
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

# wait_for(predicate, timeout, what): polls until a true value, AssertionError at the deadline.
from e2e import wait_for  # noqa: E402
PATH_INSIDE = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
STAGE = "/opt/meetingd-test"          # inside: the package, the simulator, the schema kit
SIM_PORT = 8080
SERVICE_ACCOUNT = "svc-meetingd@example.com"
MAX_EXPOSURE = 1.5
CONF = "/etc/meetingd/meetingd.conf"


class Failed(Exception):
    pass


def check(cond, what, detail=""):
    if not cond:
        raise Failed("%s%s" % (what, ("\n" + detail) if detail else ""))
    print("ok - %s" % what, flush=True)


BOOT_SH = r"""
# PID 1 of the new pid namespace, in the new mount namespace: mount the overlay and a minimal
# /dev, then become systemd inside the tree.
set -eu
base=$1 upper=$2 ovlwork=$3 root=$4
mount -t overlay overlay -o "lowerdir=$base,upperdir=$upper,workdir=$ovlwork" "$root"
mount -t tmpfs -o mode=755,nosuid,size=4m dev "$root/dev"
for d in null zero full random urandom tty; do
    touch "$root/dev/$d"
    mount --bind "/dev/$d" "$root/dev/$d"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
ln -s pts/ptmx "$root/dev/ptmx"
mkdir "$root/dev/pts" "$root/dev/shm"
echo meetingd-test > "$root/etc/hostname"
# The tree becomes the root of the mount namespace (pivot_root, then chroot to follow it), not
# just this process's root: the kernel refuses new user namespaces to a chrooted process, and
# PrivateUsers=yes needs one. The machine's file systems are detached from the namespace.
# Like a container manager, make the tree's mounts shared (among themselves: they were private
# copies, nothing propagates to the machine): systemd only does that itself when booted by the
# kernel, and the credentials it mounts for a service (LoadCredential=) in a helper namespace
# reach the service's view only through propagation.
cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
exec chroot . sh -c 'mount -t proc proc /proc && umount -l /.oldroot && rmdir /.oldroot &&
                    mount --make-rshared / && exec /lib/systemd/systemd --system'
"""

# In a private mount namespace: a cgroup of our own below the current one (so that the booted
# systemd's cgroup namespace is rooted there and two runs never share a hierarchy), then the
# fresh namespaces.
ENTER_SH = r"""
set -eu
cgmount=$1 cgname=$2
shift 2
mkdir -p "$cgmount"
mount -t cgroup2 none "$cgmount"
current=$(sed -n 's/^0:://p' /proc/self/cgroup)
mkdir "$cgmount$current/$cgname"
echo $$ > "$cgmount$current/$cgname/cgroup.procs"
umount "$cgmount"
exec unshare --pid --fork --mount --uts --ipc --net --cgroup --mount-proc \
    --propagation private env -i container=other PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
"""

REMOVE_CGROUP_SH = r"""
set -eu
cgmount=$1 cgname=$2
mkdir -p "$cgmount"
mount -t cgroup2 none "$cgmount"
dir=$(find "$cgmount" -maxdepth 3 -type d -name "$cgname" | head -n 1)
[ -z "$dir" ] || find "$dir" -depth -type d -exec rmdir {} +
umount "$cgmount"
"""


class Container:
    """A Debian root booted with systemd as PID 1 in fresh namespaces."""

    def __init__(self, base, work):
        self.base = base
        self.work = work
        self.proc = None
        self.pid = None  # systemd, as this machine sees it
        self.cgname = "meetingd-systemd-test-%d" % os.getpid()

    def boot(self):
        refuse_if_mounted(self.work)
        shutil.rmtree(self.work, ignore_errors=True)
        for d in ("upper", "ovlwork", "root"):
            os.makedirs(os.path.join(self.work, d))
        for name, text in (("boot.sh", BOOT_SH), ("enter.sh", ENTER_SH),
                           ("rmcgroup.sh", REMOVE_CGROUP_SH)):
            with open(os.path.join(self.work, name), "w") as f:
                f.write(text)
        self.console = open(os.path.join(self.work, "console.log"), "wb")
        w = self.work
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", w + "/enter.sh",
             w + "/cgroup", self.cgname, "sh", w + "/boot.sh", self.base, w + "/upper",
             w + "/ovlwork", w + "/root"],
            stdin=subprocess.DEVNULL, stdout=self.console, stderr=subprocess.STDOUT)

        def systemd_pid():
            if self.proc.poll() is not None:
                raise Failed("the namespaces exited (%s):\n%s" % (self.proc.returncode,
                                                                 self.console_log()))
            try:
                with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                    kids = f.read().split()
                for kid in kids:
                    with open("/proc/%s/comm" % kid) as f:
                        if f.read().strip() == "systemd":
                            return int(kid)
            except OSError:
                pass
            return None
        self.pid = wait_for(systemd_pid, 60, "systemd to start as PID 1")

        def booted():
            r = self.run("systemctl", "is-system-running", check=False)
            return r.stdout.strip() in ("running", "degraded")
        wait_for(booted, 180, "the boot to finish")
        state = self.run("systemctl", "is-system-running", check=False).stdout.strip()
        failed = self.run("systemctl", "--failed", "--no-legend", check=False).stdout
        check(state == "running",
              "systemd booted as PID 1 in its own namespaces (system state %s)" % state,
              failed)

    def console_log(self):
        try:
            with open(os.path.join(self.work, "console.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def run(self, *argv, check=True, input=None, timeout=180):
        """Runs ARGV inside (all namespaces, the tree as root) with a clean environment."""
        cmd = ["nsenter", "-t", str(self.pid), "-a", "-r", "-w", "env", "-i",
               "PATH=" + PATH_INSIDE, "HOME=/root", "LANG=C.UTF-8", "SYSTEMD_PAGER=",
               "SYSTEMD_COLORS=0"] + list(argv)
        r = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise Failed("%s exited %d:\n%s%s" % (" ".join(argv), r.returncode, r.stdout[-3000:],
                                                 r.stderr[-3000:]))
        return r

    def sh(self, script, **kwargs):
        return self.run("sh", "-ec", script, **kwargs)

    def path(self, inside):
        """The host's path to INSIDE (through /proc/PID/root)."""
        return "/proc/%d/root%s" % (self.pid, inside)

    def show(self, unit, *props):
        out = self.run("systemctl", "show", unit, "-p", ",".join(props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, *args):
        return self.run("journalctl", "--no-pager", "-o", "cat", *args).stdout

    def shutdown(self):
        if self.proc is None:
            return
        if self.proc.poll() is None and self.pid:
            self.run("systemctl", "poweroff", check=False, timeout=30)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                # SIGKILL to PID 1 of a pid namespace ends every process in it.
                os.kill(self.pid, 9)
                self.proc.wait(timeout=30)
        self.console.close()
        subprocess.run(["unshare", "--mount", "--propagation", "private", "sh",
                        self.work + "/rmcgroup.sh", self.work + "/cgroup", self.cgname],
                       check=False)
        self.proc = None


def refuse_if_mounted(path):
    """Never remove a tree something is mounted in (the mounts live in namespaces that end
    with the container; a leftover would mean a bug, and rm -r would walk into it)."""
    with open("/proc/self/mounts") as f:
        for line in f:
            target = line.split()[1]
            if target == path or target.startswith(path.rstrip("/") + "/"):
                raise Failed("%s is mounted below %s; not removing it" % (target, path))


def slot(n):
    """Start and end (ISO, UTC) of the n-th one-hour slot from tomorrow 08:00 UTC on."""
    day = datetime.datetime.now(datetime.timezone.utc).replace(
        hour=8, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    start = day + datetime.timedelta(hours=n)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return start.strftime(fmt), (start + datetime.timedelta(hours=1)).strftime(fmt)


# README, "Trying a policy by hand" (the service stopped).
README_DRY_RUN = """\
systemd-run --pipe --wait -p DynamicUser=yes -p User=meetingd -p StateDirectory=meetingd \\
    -p StateDirectoryMode=0700 -p UMask=0077 \\
    -p LoadCredential=ews-password:/etc/meetingd/ews-password \\
    meetingd --once --dry-run
"""


def config_text(automate, poll="2s"):
    """The administrator's /etc/meetingd/meetingd.conf: one room, answered by the service
    account through impersonation; the password is the credential ews-password."""
    return """\
# /etc/meetingd/meetingd.conf, written by scripts/test-systemd.py as the README says
[server]
url = http://127.0.0.1:%d/EWS/Exchange.asmx
auth = basic
username = %s
password_file = ews-password
impersonation = yes

[daemon]
poll_interval = %s

[mailbox room0]
address = room0@example.com
policy = room

[policy room]
automate = %s
response_message = Answered by meetingd under systemd.
""" % (SIM_PORT, SERVICE_ACCOUNT, poll, automate)


class Scenario:
    def __init__(self, c, deb, schema_dir):
        self.c = c
        self.deb = deb
        self.schema_dir = schema_dir
        self.password = "svc-" + secrets.token_hex(16)

    def run(self):
        self.stage_files()
        self.install_package()
        self.check_installed_files()
        self.start_simulator()
        self.configure()
        self.start_service()
        self.first_decision()
        self.reload_takes_new_policy()
        self.reinstall_keeps_config()
        self.stop_clean()
        self.dry_run_as_the_service()
        self.bad_config_fails_once()
        self.missing_credential_fails_once()
        self.no_secret_in_journal()
        self.simulator_saw_valid_traffic()

    # --- steps ----------------------------------------------------------------------------

    def stage_files(self):
        dest = self.c.path(STAGE)
        os.makedirs(dest)
        shutil.copy(self.deb, os.path.join(dest, "meetingd.deb"))
        shutil.copytree(os.path.join(REPO, "tests", "ewssim"), os.path.join(dest, "ewssim"),
                        ignore=shutil.ignore_patterns("tests", "__pycache__"))
        shutil.copytree(self.schema_dir, os.path.join(dest, "ews-schema"))

    def install_package(self):
        r = self.c.run("dpkg", "-i", STAGE + "/meetingd.deb")
        check(r.returncode == 0, "the package installs under the running systemd")
        enabled = self.c.run("systemctl", "is-enabled", "meetingd.service", check=False)
        check(enabled.stdout.strip() == "disabled",
              "the unit is installed but not enabled (is-enabled: %s)" % enabled.stdout.strip())
        active = self.c.run("systemctl", "is-active", "meetingd.service", check=False)
        check(active.stdout.strip() == "inactive",
              "installing did not start it (is-active: %s)" % active.stdout.strip())

    def check_installed_files(self):
        c = self.c
        st = os.stat(c.path("/etc/meetingd"))
        check(st.st_mode & 0o7777 == 0o755 and st.st_uid == 0,
              "/etc/meetingd is root's, mode 0755 (%04o)" % (st.st_mode & 0o7777))
        conffiles = c.run("dpkg-query", "-W", "-f", "${Conffiles}", "meetingd").stdout
        check(CONF in conffiles, "%s is a conffile" % CONF, conffiles)
        for page in ("man1/meetingctl.1.gz", "man5/meetingd.conf.5.gz", "man8/meetingd.8.gz"):
            r = c.run("man", "--warnings", "-l", "/usr/share/man/" + page, check=False)
            check(r.returncode == 0 and r.stderr == "" and len(r.stdout) > 500,
                  "man --warnings -l %s renders without warnings" % page, r.stderr)
        keys = c.run("meetingd", "--keys").stdout
        names = set(re.findall(r"^\| `([a-z0-9_]+)` \|", keys, re.M))
        page = c.run("man", "-l", "/usr/share/man/man5/meetingd.conf.5.gz").stdout
        missing = sorted(k for k in names if not re.search(r"^\s+%s\b" % k, page, re.M))
        check(names and not missing, "meetingd.conf(5) describes all %d key names of --keys"
              % len(names), "missing: %s" % missing)
        unit = "/lib/systemd/system/meetingd.service"
        r = c.run("systemd-analyze", "verify", unit, check=False)
        check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
              "systemd-analyze verify %s is clean" % unit, r.stdout + r.stderr)
        r = c.run("systemd-analyze", "security", "--offline=yes", unit, check=False)
        m = re.search(r"Overall exposure level for meetingd\.service: ([0-9.]+)", r.stdout)
        check(m and float(m.group(1)) <= MAX_EXPOSURE,
              "systemd-analyze security --offline=yes: exposure %s <= %.1f"
              % (m.group(1) if m else "?", MAX_EXPOSURE), r.stdout[-2000:] + r.stderr)

    def start_simulator(self):
        c = self.c
        c.run("systemd-run", "--unit=ewssim", "--description=EWS simulator",
              "--property=Environment=PYTHONDONTWRITEBYTECODE=1",
              "python3", STAGE + "/ewssim", "--listen", "127.0.0.1:%d" % SIM_PORT,
              "--impersonator", "%s:%s" % (SERVICE_ACCOUNT, self.password),
              "--mailbox", "organizer0@example.com", "--mailbox", "room0@example.com",
              "--validate", STAGE + "/ews-schema")
        wait_for(lambda: "listening on http://127.0.0.1:%d" % SIM_PORT
                 in c.journal("-u", "ewssim"), 60, "the simulator to listen")
        print("ok - the EWS simulator runs inside, on the namespace's loopback", flush=True)

    def configure(self):
        """The README's steps: the configuration (an edit of the shipped file) and the
        password file, root's, mode 0600."""
        c = self.c
        with open(c.path(CONF), "w") as f:
            f.write(config_text("accept"))
        c.sh("install -m 600 /dev/null /etc/meetingd/ews-password\n"
             "printf '%s\\n' " + shlex.quote(self.password) + " > /etc/meetingd/ews-password")
        r = c.run("meetingd", "--check-config", "-q", check=False)
        check(r.returncode == 0, "meetingd --check-config run by hand as root reads "
              "/etc/meetingd/ews-password (exit %d)" % r.returncode, r.stdout + r.stderr)

    def start_service(self):
        c = self.c
        r = c.run("systemctl", "enable", "--now", "meetingd.service", check=False)
        check(r.returncode == 0, "systemctl enable --now meetingd", r.stderr)
        active = c.run("systemctl", "is-active", "meetingd.service", check=False)
        check(active.stdout.strip() == "active",
              "systemctl is-active meetingd: %s" % active.stdout.strip())
        self.main_pid = c.show("meetingd.service", "MainPID")["MainPID"]

    def create_meeting(self, subject, n):
        start, end = slot(n)
        r = self.c.run("meetingctl", "--as", "organizer0@example.com", "create", "--subject",
                       subject, "--start", start, "--end", end, "--required",
                       "room0@example.com")
        return r.stdout.strip()

    def wait_decision(self, subject, decision):
        rx = re.compile(r'(?:^|\s)decision mailbox=room0 organizer=organizer0@example\.com '
                        r'subject="%s" .*decision=%s .*outcome=sent'
                        % (re.escape(subject), decision), re.M)

        def seen():
            return rx.search(self.c.journal("-u", "meetingd", "-p", "notice"))
        try:
            line = wait_for(seen, 60, "a decision on %r at priority notice" % subject)
        except AssertionError:
            anywhere = rx.search(self.c.journal("-u", "meetingd"))
            if anywhere:
                raise Failed("the decision on %r is in the journal, but not at priority "
                             "notice or above: meetingd's journal lines carry no <N> "
                             "priority prefix:\n%s" % (subject, anywhere.string[
                                 anywhere.string.rfind("\n", 0, anywhere.start()) + 1:
                                 anywhere.end()]))
            raise
        return line.group(0).strip()

    def room_response(self, meeting_id):
        out = self.c.run("meetingctl", "--as", "organizer0@example.com", "status", meeting_id,
                         "--json").stdout
        for a in json.loads(out)["attendees"]:
            if a["address"].lower() == "room0@example.com":
                return a["response"]
        return None

    def first_decision(self):
        mid = self.create_meeting("Planning under systemd", 0)
        line = self.wait_decision("Planning under systemd", "accept")
        print("ok - journalctl -u meetingd -p notice shows the decision: %s" % line[:100],
              flush=True)
        response = wait_for(lambda: self.room_response(mid) == "Accept" and "Accept", 30,
                            "the organizer to see the room's answer")
        check(response == "Accept", "the organizer sees the room's answer (Accept)")

    def reload_takes_new_policy(self):
        c = self.c
        with open(c.path(CONF), "w") as f:
            f.write(config_text("decline"))
        c.run("systemctl", "reload", "meetingd.service")
        wait_for(lambda: "configuration reloaded" in c.journal("-u", "meetingd"), 60,
                 "meetingd to log the reload")
        self.create_meeting("Review after reload", 2)
        line = self.wait_decision("Review after reload", "decline")
        pid = c.show("meetingd.service", "MainPID")["MainPID"]
        check(pid == self.main_pid, "systemctl reload: the changed policy decides (%s), "
              "same main process %s" % (line[line.index("decision="):][:16], pid))

    def reinstall_keeps_config(self):
        c = self.c
        with open(c.path(CONF)) as f:
            before = f.read()
        c.run("dpkg", "-i", STAGE + "/meetingd.deb")
        with open(c.path(CONF)) as f:
            after = f.read()
        check(after == before, "reinstalling the package keeps the administrator's "
              "meetingd.conf (conffile)")
        active = c.run("systemctl", "is-active", "meetingd.service", check=False)
        pid = c.show("meetingd.service", "MainPID")["MainPID"]
        check(active.stdout.strip() == "active" and pid != self.main_pid,
              "the enabled service was restarted by the upgrade (main pid %s -> %s)"
              % (self.main_pid, pid))

    def stop_clean(self):
        c = self.c
        r = c.run("systemctl", "stop", "meetingd.service", check=False)
        s = c.show("meetingd.service", "ActiveState", "Result", "ExecMainStatus")
        check(r.returncode == 0 and s["ActiveState"] == "inactive"
              and s["Result"] == "success" and s["ExecMainStatus"] == "0",
              "systemctl stop: inactive, result success, exit status 0 (%s)" % s)
        check("meetingd stopped" in c.journal("-u", "meetingd"),
              "meetingd logged its orderly stop")

    def dry_run_as_the_service(self):
        """The README's way to try a policy by hand on the live state: as the service's
        dynamic user, with its credential; the state directory keeps its owner and mode."""
        c = self.c
        self.create_meeting("Tried by hand", 4)
        r = c.sh(README_DRY_RUN)
        check(re.search(r'decision mailbox=room0 .*subject="Tried by hand" .*dry_run=yes '
                        r'outcome=dry-run', r.stdout + r.stderr) is not None,
              "meetingd --once --dry-run through systemd-run as the service's user decides "
              "without answering", r.stdout + r.stderr)
        state = c.path("/var/lib/private/meetingd")
        owners = {os.stat(os.path.join(state, f)).st_uid for f in os.listdir(state)}
        st = os.stat(state)
        check(owners == {st.st_uid} and st.st_uid != 0 and st.st_mode & 0o777 == 0o700,
              "the state directory still belongs to the service's user alone (mode %04o)"
              % (st.st_mode & 0o777))

    def failed_once(self, what, status):
        """Starts the service, which must fail with exit STATUS and stay failed: a unit
        scheduled for a restart is in state activating/auto-restart, never failed."""
        c = self.c
        c.run("systemctl", "reset-failed", "meetingd.service", check=False)
        r = c.run("systemctl", "start", "meetingd.service", check=False)
        check(r.returncode != 0, "%s: systemctl start fails" % what)

        def settled():
            s = c.show("meetingd.service", "ActiveState", "SubState", "Result",
                       "ExecMainStatus", "NRestarts")
            return s if s["ActiveState"] in ("failed", "active") else None
        s = wait_for(settled, 60, "the unit to settle")
        check(s["ActiveState"] == "failed" and s["SubState"] == "failed"
              and s["ExecMainStatus"] == str(status) and s["NRestarts"] == "0",
              "%s: failed once with exit %d, no restart scheduled (%s)" % (what, status, s))

    def bad_config_fails_once(self):
        c = self.c
        text = config_text("accept").replace("poll_interval = 2s", "poll_interval = soon")
        line = text.splitlines().index("poll_interval = soon") + 1
        with open(c.path(CONF), "w") as f:
            f.write(text)
        cursor = c.run("journalctl", "-u", "meetingd", "-n", "0", "--show-cursor",
                       check=False).stdout
        m = re.search(r"-- cursor: (\S+)", cursor)
        self.failed_once("a bad configuration", 78)
        since = ["--after-cursor", m.group(1)] if m else []
        errors = re.findall(r"^%s:%d: .*$" % (re.escape(CONF), line),
                            c.journal("-u", "meetingd", *since), re.M)
        check(len(errors) == 1, "the journal says where: %s" % (errors[:1] or "nothing"))

    def missing_credential_fails_once(self):
        c = self.c
        with open(c.path(CONF), "w") as f:
            f.write(config_text("accept"))
        os.rename(c.path("/etc/meetingd/ews-password"), c.path("/etc/meetingd/ews-password.off"))
        try:
            self.failed_once("a missing credential file", 243)
        finally:
            os.rename(c.path("/etc/meetingd/ews-password.off"),
                      c.path("/etc/meetingd/ews-password"))

    def no_secret_in_journal(self):
        text = self.c.journal("-u", "meetingd")
        check(self.password not in text, "the password appears nowhere in the service's journal")

    def simulator_saw_valid_traffic(self):
        out = self.c.run("python3", "-c", "import urllib.request; print(urllib.request.urlopen("
                         "'http://127.0.0.1:%d/sim/stats').read().decode())" % SIM_PORT).stdout
        stats = json.loads(out)
        check(stats.get("invalid_responses") == 0 and stats.get("internal_errors") == 0,
              "the simulator validated every request and response, no internal error")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="the debootstrap'ed Debian 12 tree")
    ap.add_argument("--deb", required=True, help="meetingd_*.deb")
    ap.add_argument("--work", required=True, help="scratch directory (overlay, logs)")
    args = ap.parse_args()
    schema = os.environ.get("MEETINGD_SCHEMA_DIR") or os.path.normpath(
        os.path.join(REPO, "..", "shared", "ews-schema"))
    if not os.path.isfile(os.path.join(schema, "ews-envelope-strict.xsd")):
        print("test-systemd: EWS schema kit not found at %s" % schema, file=sys.stderr)
        return 1
    started = time.monotonic()
    c = Container(os.path.abspath(args.root), os.path.abspath(args.work))
    status = 0
    try:
        c.boot()
        Scenario(c, os.path.abspath(args.deb), schema).run()
    except (Failed, AssertionError, subprocess.TimeoutExpired) as exc:
        status = 1
        print("FAILED: %s" % exc, flush=True)
        if c.pid:
            print("--- systemctl status meetingd ewssim ---")
            print(c.run("systemctl", "status", "--no-pager", "-n", "0", "meetingd", "ewssim",
                        check=False).stdout)
            print("--- journal of the booted system (last 150 lines) ---")
            print(c.run("journalctl", "--no-pager", "-b", "-n", "150", check=False).stdout)
    finally:
        c.shutdown()
    print("test-systemd: %s (%.0f s in the booted system)"
          % ("all checks passed" if status == 0 else "FAILED", time.monotonic() - started))
    return status


if __name__ == "__main__":
    sys.exit(main())
