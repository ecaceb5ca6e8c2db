"""Shared helpers of the end-to-end tests: the real meetingd and meetingctl against ewssim.

    import e2e

    class T(e2e.TestCase):                  # a World per test, closed (and checked) after it
        def test_x(self):
            w = self.world(users=["organizer0", "attendee0"])   # simulator started
            conf = w.write_config({"attendee0": "accept-all"})  # [mailbox attendee0]
            mid = w.create_meeting(conf, "Plan", ["attendee0"])  # meetingctl create
            w.once(conf)                                         # meetingd --once, exit 0
            self.assertEqual(w.answers(mid), {"attendee0@example.com": ["Accept"]})
            d = w.start_daemon(conf)                             # meetingd in the background
            d.wait_log(r"decision mailbox=attendee0")            # poll its log (deadline)
            self.assertEqual(d.stop(signal.SIGTERM), 0)

    if __name__ == "__main__":
        e2e.main()                          # exit 77 only when the schema kit is absent

A World is one simulator (always validating against Microsoft's schema), a temporary
directory with the password files (0600), the state directory and configuration files, and
every process the test started. Closing it stops the daemons, stops the simulator (which fails
if the simulator sent an invalid response or hit an internal error) and checks that no secret
appeared in any output of meetingd or meetingctl.

Environment: MEETINGD_BIN, MEETINGCTL_BIN (set by ctest; default: $MEETINGD_BUILD_DIR or
build/ under the repository), MEETINGD_SCHEMA_DIR (default ../shared/ews-schema),
MEETINGD_SANITIZE=1 under ASan, which stretches every deadline (SLOW), and
MEETINGD_E2E_FLAVOR (exchange, the default, or gromox: the simulator's --flavor).
"""

import datetime
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "ewssim", "tests"))

import simharness as h  # noqa: E402

DOMAIN = "example.com"
SANITIZE = os.environ.get("MEETINGD_SANITIZE") == "1"
# The server the simulator answers like (tests/ewssim --flavor): ctest runs the walkthrough
# and the booking scenarios once per flavor (tests/CMakeLists.txt); a World whose test asks
# for a flavor itself (sim_args) keeps it.
FLAVOR = os.environ.get("MEETINGD_E2E_FLAVOR", "exchange")
SLOW = 3.0 if SANITIZE else 1.0  # deadlines stretch under ASan; nothing asserts speed

# The demo's policies: answer everything one way, remove cancelled meetings.
POLICIES = {
    "accept-all": {"automate": "accept", "response_message": "Booked by meetingd.",
                   "remove_canceled_meetings": "yes"},
    "tentative-all": {"automate": "tentative",
                      "response_message": "Pencilled in; I will confirm later.",
                      "remove_canceled_meetings": "yes"},
    "decline-all": {"automate": "decline", "response_message": "Sorry, I cannot make it.",
                    "remove_canceled_meetings": "yes"},
}

RESPONSE_OF = {"IPM.Schedule.Meeting.Resp.Pos": "Accept",
               "IPM.Schedule.Meeting.Resp.Tent": "Tentative",
               "IPM.Schedule.Meeting.Resp.Neg": "Decline"}


def require_schema():
    """Exit 77 (ctest: skipped) when Microsoft's schema kit is absent; nothing else skips."""
    h.skip_without_schema()


def _binary(env, name):
    path = os.environ.get(env)
    if not path:
        build = os.environ.get("MEETINGD_BUILD_DIR") or os.path.join(REPO, "build")
        path = os.path.join(build, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not found at %s: build it, or set %s" % (name, path, env))
    return path


def meetingd_bin():
    return _binary("MEETINGD_BIN", "meetingd")


def meetingctl_bin():
    return _binary("MEETINGCTL_BIN", "meetingctl")


def addr(user):
    """"attendee0" -> "attendee0@example.com" (addresses pass through)."""
    return user if "@" in user else "%s@%s" % (user, DOMAIN)


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# Today (UTC), read once: a test that runs across midnight must not see two todays (two
# calls of slot(n) for the same n would be a day apart).
TODAY = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0,
                                                             microsecond=0)


def slot(n=0, hours=1):
    """Start and end (ISO, UTC) of the n-th one-hour slot from tomorrow 08:00 UTC on,
    ten slots a day: distinct meetings never overlap."""
    day = TODAY + datetime.timedelta(days=1 + n // 10, hours=8)
    start = day + datetime.timedelta(hours=n % 10)
    return iso(start), iso(start + datetime.timedelta(hours=hours))


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls predicate() until it returns a true value (returned); AssertionError after
    timeout * SLOW seconds. A deadline, never a speed assertion."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s"
                                 % (timeout * SLOW, what))
        time.sleep(interval)


class Result:
    """A finished command: argv, returncode, stdout, stderr (text)."""

    def __init__(self, argv, returncode, stdout, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return ("<%s exit %s>\n--- stdout ---\n%s--- stderr ---\n%s"
                % (" ".join(self.argv), self.returncode, self.stdout[-4000:],
                   self.stderr[-4000:]))


class Daemon:
    """meetingd running in the background; its output (stdout and stderr) goes to a file."""

    def __init__(self, world, argv, env, logpath):
        self.world = world
        self.argv = argv
        self.logpath = logpath
        self._logfile = open(logpath, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._logfile, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def wait_log(self, pattern, timeout=10, count=1):
        """Waits until the log matches the regular expression PATTERN COUNT times; returns
        the last match. Fails early if the daemon exited."""
        rx = re.compile(pattern, re.M)

        def found():
            matches = list(rx.finditer(self.log()))
            if len(matches) >= count:
                return matches[count - 1]
            if not self.alive():
                raise AssertionError("meetingd exited (%s) before %r appeared:\n%s"
                                     % (self.proc.returncode, pattern, self.log()[-6000:]))
            return None
        return wait_for(found, timeout, "meetingd to log %r" % pattern)

    def wait(self, timeout=60):
        """Waits for the daemon to exit by itself (--once); returns the exit status."""
        try:
            self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            raise AssertionError("meetingd did not exit within %.0f s:\n%s"
                                 % (timeout * SLOW, self.log()[-6000:])) from None
        return self._finish()

    def send(self, signum):
        """Sends signal SIGNUM (SIGHUP, ...) to the daemon."""
        self.proc.send_signal(signum)

    def stop(self, signum=signal.SIGTERM, timeout=20):
        """Sends SIGNUM and waits for the exit; returns the exit status (-N: killed by N)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(timeout=timeout * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("meetingd did not stop within %.0f s of signal %d:\n%s"
                                     % (timeout * SLOW, signum, self.log()[-6000:]))
        return self._finish()

    def kill(self):
        """SIGKILL: the crash."""
        return self.stop(signal.SIGKILL)

    def _finish(self):
        self.returncode = self.proc.returncode
        if not self._logfile.closed:
            self._logfile.close()
            self.world.outputs.append(("meetingd daemon", self.log()))
        return self.returncode


class World:
    """One simulator, one temporary directory, the processes of one test (see module doc)."""

    def __init__(self, users=("organizer0", "attendee0", "attendee1", "attendee2", "room0"),
                 faults=(), seed=None, backoff_ms=None, hang_seconds=None,
                 keep_answered=False, request_log=False, sim_args=()):
        self.dir = tempfile.mkdtemp(prefix="meetingd-e2e-")
        self.state_dir = os.path.join(self.dir, "state")
        self.secret_dir = os.path.join(self.dir, "secrets")
        os.mkdir(self.secret_dir, 0o700)
        self.users = list(users)
        self.passwords = {}
        self.outputs = []  # (what, text) of every meetingd / meetingctl run: checked for secrets
        self.daemons = []
        specs = []
        for user in self.users:
            # Long random passwords: finding one in an output cannot be a coincidence.
            self.passwords[user] = "pw-%s-%s" % (user, secrets.token_hex(12))
            self.write_secret(user, self.passwords[user])
            specs.append("%s:%s" % (addr(user), self.passwords[user]))
        extra = list(sim_args)
        if "--flavor" not in extra:
            extra += ["--flavor", FLAVOR]
        self.flavor = extra[extra.index("--flavor") + 1]
        if keep_answered:
            extra.append("--keep-answered-requests")
        self.request_log = None
        if request_log:
            self.request_log = os.path.join(self.dir, "requests.jsonl")
            extra += ["--log", self.request_log]
        self.sim = h.Sim(mailboxes=specs, faults=faults, seed=seed, backoff_ms=backoff_ms,
                         hang_seconds=hang_seconds, extra_args=extra)
        try:
            self.sim.start()
        except Exception:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    # --- files --------------------------------------------------------------------------------

    def secret_path(self, user):
        return os.path.join(self.secret_dir, user)

    def write_secret(self, user, password):
        """(Re)writes the password file of USER, mode 0600; returns its path."""
        path = self.secret_path(user)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        os.chmod(path, 0o600)
        return path

    def config_text(self, mailboxes, policies=None, daemon=None, server=None, extra=""):
        """The text of a meetingd configuration.

        mailboxes: {name: policy name} or {name: {key: value}} (address, username,
        password_file default to the user NAME's own); policies: {name: {key: value}}
        (default: POLICIES); daemon / server: keys overriding the defaults."""
        # sync = finditem: the tests written for polling keep polling every poll_interval
        # (test_sync_folder_items and test_streaming_notifications cover the other modes).
        srv = {"url": self.sim.url, "auth": "basic", "timeout": "10s", "sync": "finditem"}
        srv.update(server or {})
        dmn = {"poll_interval": "1s", "max_concurrent_requests": "16",
               "state_dir": self.state_dir, "log_level": "info"}
        dmn.update(daemon or {})
        lines = ["# written by tests/e2e/e2e.py", "[server]"]
        lines += ["%s = %s" % kv for kv in srv.items() if kv[1] is not None]
        lines += ["", "[daemon]"]
        lines += ["%s = %s" % kv for kv in dmn.items() if kv[1] is not None]
        for name, keys in (POLICIES if policies is None else policies).items():
            lines += ["", "[policy %s]" % name]
            lines += ["%s = %s" % kv for kv in keys.items()]
        for name, spec in mailboxes.items():
            keys = {"policy": spec} if isinstance(spec, str) else dict(spec)
            user = name
            merged = {"address": addr(user), "policy": None, "username": addr(user),
                      "password_file": self.secret_path(user)}
            merged.update(keys)
            lines += ["", "[mailbox %s]" % name]
            lines += ["%s = %s" % kv for kv in merged.items() if kv[1] is not None]
        return "\n".join(lines) + "\n" + extra

    def write_config(self, mailboxes, name="meetingd.conf", **kwargs):
        """Writes config_text(...) to NAME in the temporary directory; returns the path."""
        path = os.path.join(self.dir, name)
        self.write_file(path, self.config_text(mailboxes, **kwargs))
        return path

    def write_file(self, path, text):
        """Writes TEXT to PATH atomically (a reload never sees half a file)."""
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, path)
        return path

    def ledger_path(self, mailbox):
        return os.path.join(self.state_dir, "%s.ledger" % mailbox)

    def ledger(self, mailbox):
        """The ledger lines of MAILBOX as (kind, time, action, id) tuples."""
        try:
            with open(self.ledger_path(mailbox)) as f:
                return [tuple(line.split()) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def decisions(self):
        """The decision record (decisions.jsonl) as a list of dicts."""
        try:
            with open(os.path.join(self.state_dir, "decisions.jsonl")) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def logged_requests(self):
        """Every request in the simulator's log (request_log=True): its JSON fields, plus
        request_body and response_body where the simulator logs bodies (--log-bodies)."""
        out = []
        body = None
        with open(self.request_log, encoding="utf-8") as f:
            for line in f:
                if line.startswith("{") and line.rstrip().endswith("}"):
                    out.append(json.loads(line))
                    body = None
                elif line in ("request_body:\n", "response_body:\n"):
                    body = line[:-2]
                    out[-1][body] = ""
                elif body is not None:
                    out[-1][body] += line
        return out

    # --- processes ----------------------------------------------------------------------------

    def _env(self, extra=None):
        env = dict(os.environ)
        for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY"):
            env.pop(key, None)
        env.update(extra or {})
        return env

    def run(self, argv, timeout=60, env=None, what=None):
        """Runs ARGV to completion; a Result (its output is checked for secrets later)."""
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=timeout * SLOW,
                                  env=self._env(env))
        except subprocess.TimeoutExpired as exc:
            raise AssertionError("%s did not finish within %.0f s:\n%s\n%s"
                                 % (" ".join(argv), timeout * SLOW,
                                    (exc.stdout or b"").decode("utf-8", "replace"),
                                    (exc.stderr or b"").decode("utf-8", "replace"))) from None
        res = Result(argv, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                     proc.stderr.decode("utf-8", "replace"))
        self.outputs.append((what or os.path.basename(argv[0]), res.stdout + res.stderr))
        return res

    def meetingd(self, conf, *args, timeout=60, env=None, prefix=()):
        """meetingd -c CONF ARGS...; a Result."""
        return self.run(list(prefix) + [meetingd_bin(), "-c", conf] + list(args),
                        timeout=timeout, env=env, what="meetingd")

    def once(self, conf, *args, expect=0, timeout=60, prefix=()):
        """meetingd --once; asserts the exit status EXPECT (None: any)."""
        res = self.meetingd(conf, "--once", *args, timeout=timeout, prefix=prefix)
        if expect is not None and res.returncode != expect:
            raise AssertionError("meetingd --once exited %d, expected %d: %r"
                                 % (res.returncode, expect, res))
        return res

    def start_daemon(self, conf, *args, env=None, name="meetingd", prefix=()):
        """Starts meetingd -c CONF ARGS... in the background; a Daemon (stopped at close)."""
        logpath = os.path.join(self.dir, "%s.%d.log" % (name, len(self.daemons)))
        d = Daemon(self, list(prefix) + [meetingd_bin(), "-c", conf] + list(args),
                   self._env(env), logpath)
        self.daemons.append(d)
        return d

    def ctl(self, conf, *args, as_user="organizer0", password_file=True, expect=0,
            timeout=60, prefix=()):
        """meetingctl -c CONF --as USER [--password-file ...] ARGS...; asserts exit EXPECT
        (None: any)."""
        argv = list(prefix) + [meetingctl_bin(), "-c", conf, "--as", addr(as_user)]
        if password_file:
            argv += ["--password-file", self.secret_path(as_user)]
        res = self.run(argv + list(args), timeout=timeout, what="meetingctl")
        if expect is not None and res.returncode != expect:
            raise AssertionError("meetingctl exited %d, expected %d: %r"
                                 % (res.returncode, expect, res))
        return res

    def create_meeting(self, conf, subject, required=(), optional=(), resources=(), n=0,
                       organizer="organizer0", extra=(), prefix=()):
        """meetingctl create; returns the organizer's calendar item id."""
        start, end = slot(n)
        args = ["create", "--subject", subject, "--start", start, "--end", end]
        if required:
            args += ["--required", ",".join(addr(u) for u in required)]
        if optional:
            args += ["--optional", ",".join(addr(u) for u in optional)]
        if resources:
            args += ["--resource", ",".join(addr(u) for u in resources)]
        res = self.ctl(conf, *(args + list(extra)), as_user=organizer, prefix=prefix)
        mid = res.stdout.strip()
        if not mid or "\n" in mid:
            raise AssertionError("meetingctl create printed no single id: %r" % res)
        return mid

    # --- mailboxes ----------------------------------------------------------------------------

    def mailbox(self, user):
        return self.sim.mailbox(addr(user))

    def dump_all(self):
        return {u: self.mailbox(u) for u in self.users}

    def item(self, user, item_id):
        """The item with ITEM_ID in USER's dump (any folder), or None."""
        for items in self.mailbox(user).values():
            for it in items:
                if it["id"] == item_id:
                    return it
        return None

    def uid_of(self, meeting_id, organizer="organizer0"):
        it = self.item(organizer, meeting_id)
        if it is None:
            raise AssertionError("no item %s in %s" % (meeting_id, organizer))
        return it["uid"]

    def responses(self, organizer="organizer0"):
        """The meeting responses in the organizer's Inbox: {(uid, attendee address):
        [response type, ...]} in arrival order."""
        out = {}
        for it in self.mailbox(organizer)["inbox"]:
            if it["kind"] != "MeetingResponse":
                continue
            who = (it["from"] or {}).get("address", "").lower()
            kind = it.get("response_type") or RESPONSE_OF.get(it["item_class"], "?")
            out.setdefault((it["uid"], who), []).append(kind)
        return out

    def answers(self, meeting_id, organizer="organizer0", uid=None):
        """The responses to one meeting (by the organizer's item id, or by UID): {attendee
        address: [response type, ...]}."""
        uid = uid or self.uid_of(meeting_id, organizer)
        return {who: kinds for (u, who), kinds in self.responses(organizer).items()
                if u == uid}

    def count_responses(self, organizer="organizer0"):
        return sum(len(v) for v in self.responses(organizer).values())

    def requests(self, user, folder="inbox"):
        return [it for it in self.mailbox(user)[folder] if it["kind"] == "MeetingRequest"]

    def calendar(self, user, uid=None):
        return [it for it in self.mailbox(user)["calendar"]
                if uid is None or it["uid"] == uid]

    # --- life cycle ---------------------------------------------------------------------------

    def close(self, check=True):
        """Stops the daemons and the simulator; with CHECK, fails on simulator trouble and on
        a secret in any output."""
        for d in self.daemons:
            if d.alive():
                try:
                    d.stop(signal.SIGKILL)
                except AssertionError:
                    pass
            else:
                d._finish()
        try:
            self.sim.stop(check=check)
        finally:
            if check:
                self.check_no_secrets()
            shutil.rmtree(self.dir, ignore_errors=True)

    def check_no_secrets(self):
        for what, text in self.outputs:
            for user, password in self.passwords.items():
                if password in text:
                    raise AssertionError("%s printed the password of %s:\n%s"
                                         % (what, user, text[-3000:]))


class TestCase(unittest.TestCase):
    """unittest.TestCase with self.world(...): a World closed and checked at the end."""

    def world(self, **kwargs):
        w = World(**kwargs)
        self.addCleanup(self._close_world, w)
        return w

    def _close_world(self, w):
        w.close()


def main():
    """Runs the calling test file: skip (77) without the schema kit, else unittest."""
    require_schema()
    unittest.main(verbosity=2)
