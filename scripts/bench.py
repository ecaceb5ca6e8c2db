#!/usr/bin/env python3
"""meetingd's benchmarks against the EWS simulator (tests/ewssim) on loopback.

Run through scripts/bench, which builds build-bench/ first. Python 3 standard library only.
Everything here prints figures; nothing asserts a speed. The only failures are functional
ones (the daemon did not answer every invitation, exited non-zero, ...), because a figure
measured on a broken run means nothing.

Phases (each with a fresh simulator and state directory):
  batching  CPU per meeting, wall and EWS requests per meeting by operation for the accept
           and room policies, 50 mailboxes x 20 invitations by default, against issue 12's
           targets (answers in batches, group commit).
  calls    EWS calls per answered invitation for `accept` policies (with and without the
           calendar item rewrite) and an `auto_accept` room policy (which reads a
           CalendarView), from /sim/stats deltas, split by the request bodies of the
           simulator's --log; CPU time and peak RSS of one `meetingd --once` run, from
           wait4() in a small launcher (see LAUNCHER).
  idle     CPU per poll and per mailbox and RSS of the daemon idle-polling 1..500 mailboxes,
           from /proc/PID/stat and /proc/PID/status.
  backlog  the same for one mailbox whose Inbox keeps many requests it left alone.
  sync-idle  idle cost of one mailbox whose Inbox keeps 5,000 answered requests, on the
           simulator directly: FindItem paging (what meetingd sends per poll today) vs one
           SyncFolderItems with the previous state (what sync = syncfolderitems will send).
  notify   invitation sent -> NewMailEvent read on an open GetStreamingEvents, on the
           simulator alone (its part of the streaming path).
  latency  arrival-to-answer delay in daemon mode with a short poll_interval: invitations
           created at random times, answers seen in the simulator's --log.
  sync-modes  per [server] sync mode (finditem, syncfolderitems, streaming) through the
           daemon: invitation-to-answer p50/p99, idle requests per mailbox per hour, and the
           idle poll of a mailbox whose Inbox keeps --inbox-items answered requests.
  scale    RSS and CPU per idle poll with 1,000 and 10,000 mailboxes, at the same poll rate.
  check-config  `meetingd --check-config` on a configuration of 20,000 mailboxes.
  reload   SIGHUP to a running daemon of 20,000 mailboxes: how long its event loop was held.
  callgrind  instructions of a fixed --once workload under valgrind --tool=callgrind.

The phases are the rows of PHASES (near main): a branch that adds a measurement adds its
functions and one row there, and names in FIGURES the summary figures it fills. The run ends
with a summary of every figure of issue 12 side by side with its target.

The simulator runs WITHOUT schema validation here, so that its validator's cost does not
slow down what is measured; the functional suites validate every request instead.
"""

import argparse
import base64
import collections
import datetime
import http.client
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM_DIR = os.path.join(TOP, "tests", "ewssim")
PASSWORD = "bench-secret"
DOMAIN = "example.com"
ORGANIZER = "organizer0@" + DOMAIN
CLK_TCK = os.sysconf("SC_CLK_TCK")
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
M_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
T_NS = "http://schemas.microsoft.com/exchange/services/2006/types"


def die(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.exit(1)


def clean_env():
    """The environment for children: no proxy may divert loopback traffic."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.pop("NOTIFY_SOCKET", None)
    return env


# ---- /proc ----------------------------------------------------------------------------------

def proc_cpu_seconds(pid):
    """utime + stime of PID (all its threads), in seconds; clock-tick resolution."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_memory_kib(pid):
    """{'VmRSS': kib, 'VmHWM': kib} of PID."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def wait_rusage(proc):
    """Waits for PROC; returns (exit code, user s, sys s, max RSS KiB). The max RSS counts
    this Python process's own peak too (see LAUNCHER): use it for CPU only."""
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, ru.ru_utime, ru.ru_stime, ru.ru_maxrss


# A child forked from this (large) Python process inherits its peak RSS in ru_maxrss: the
# kernel records the peak of the address space replaced by exec. So --once runs go through
# this small launcher (python3 -I -S, a few MiB), which forks, execs and reports the
# grandchild's own rusage and wall time as JSON to the file named first.
LAUNCHER = r"""
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
started = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - started
with open(out, "w") as f:
    json.dump({"rc": os.waitstatus_to_exitcode(status), "user": ru.ru_utime,
               "sys": ru.ru_stime, "maxrss_kib": ru.ru_maxrss, "wall": wall}, f)
"""


def listen_overflows():
    """The host's TcpExtListenOverflows counter (SYNs dropped on full accept queues)."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for head, values in zip(lines[::2], lines[1::2]):
        if head.startswith("TcpExt:"):
            fields = dict(zip(head.split()[1:], values.split()[1:]))
            if "ListenOverflows" in fields:
                return int(fields["ListenOverflows"])
    return None


# ---- the simulator --------------------------------------------------------------------------

# tests/ewssim as it is, except for the listen backlog: socketserver's default of 5 drops
# SYNs when meetingd opens its connections at once (max_concurrent_requests = 8), and each
# drop costs a 1 s SYN retransmission - a simulator artefact (IIS queues far more), so the
# bench raises it before the simulator's own start-up code runs.
SIM_BOOT = r"""
import runpy, sys
sim_dir = sys.argv[1]
sys.argv = [sim_dir] + sys.argv[2:]
sys.path.insert(0, sim_dir)
import server
server.SimHTTPServer.request_queue_size = 128
runpy.run_path(sim_dir, run_name="__main__")
"""


class Sim:
    """tests/ewssim as a subprocess, without schema validation."""

    def __init__(self, workdir, addresses, log=False, log_bodies=False, extra=()):
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "sim.log") if log else None
        cmd = [sys.executable, "-c", SIM_BOOT, SIM_DIR, "--listen", "127.0.0.1:0"]
        cmd += ["--mailbox=%s:%s" % (a, PASSWORD) for a in addresses]
        if self.log_path:
            cmd += ["--log", self.log_path]
            if log_bodies:
                cmd.append("--log-bodies")
        cmd += list(extra)
        self.cmdline_bytes = sum(len(c) + 1 for c in cmd)
        self.stderr = open(os.path.join(workdir, "sim.err"), "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=clean_env(), text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.stop()
            die("the simulator did not start: %s" % open(self.stderr.name).read()[-2000:])
        self.base = line.split()[-1]
        u = urllib.parse.urlsplit(self.base)
        self.host, self.port = u.hostname, u.port
        self.url = self.base + "/EWS/Exchange.asmx"

    def get_json(self, path):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                die("GET %s: HTTP %d" % (path, resp.status))
            return json.loads(data)
        finally:
            conn.close()

    def stats(self):
        return self.get_json("/sim/stats")

    def mailbox(self, address):
        return self.get_json("/sim/mailboxes/" + urllib.parse.quote(address))

    def cpu_seconds(self):
        return proc_cpu_seconds(self.proc.pid)

    def log_size(self):
        return os.path.getsize(self.log_path) if self.log_path else 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def stats_delta(after, before):
    """Per-operation, per-mailbox and total request counts of AFTER minus BEFORE."""
    def sub(a, b):
        return {k: a.get(k, 0) - b.get(k, 0) for k in a if a.get(k, 0) - b.get(k, 0)}
    return {"requests": after["requests"] - before["requests"],
            "operations": sub(after["operations"], before["operations"]),
            "mailboxes": sub(after["mailboxes"], before["mailboxes"]),
            "response_codes": sub(after["response_codes"], before["response_codes"]),
            "internal_errors": after["internal_errors"] - before["internal_errors"]}


def read_log_records(path, offset, end=None):
    """The simulator's --log from OFFSET (to END): [{json fields..., 'request_body': str}].

    With --log-bodies each JSON line is followed by "request_body:" and "response_body:"
    blocks; XML bodies never start a line with '{"'."""
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read() if end is None else f.read(end - offset)
    records, current, target = [], None, None
    for line in data.decode("utf-8", "replace").split("\n"):
        if line.startswith('{"'):
            try:
                current = json.loads(line)
            except ValueError:
                current = None
            if current is not None:
                current["request_body"] = ""
                records.append(current)
                target = None
                continue
        if line in ("request_body:", "response_body:"):
            target = line[:-1]
        elif current is not None and target == "request_body":
            current["request_body"] += line + "\n"
    return records


def classify(record):
    """The kind of EWS call a log record is, finer than the operation name."""
    op = record.get("operation") or "?"
    body = record.get("request_body", "")
    if op == "FindItem":
        if "CalendarView" in body:
            return "FindItem (CalendarView)"
        # The calendar listed whole: its recurring series, while the server's views are not
        # known to expand them (daemon/mailbox_series.c).
        return "FindItem (calendar series)" if 'Id="calendar"' in body else "FindItem (Inbox)"
    if op == "CreateItem":
        for kind in ("TentativelyAcceptItem", "AcceptItem", "DeclineItem", "RemoveItem"):
            if "<t:%s" % kind in body or ":%s " % kind in body or ":%s>" % kind in body:
                return "CreateItem (%s)" % kind
        return "CreateItem (other)"
    return op


# ---- the organizer --------------------------------------------------------------------------

class Organizer:
    """A minimal EWS client for the organizer: creates meetings (keep-alive connection)."""

    def __init__(self, sim, address=ORGANIZER):
        self.sim = sim
        token = base64.b64encode(("%s:%s" % (address, PASSWORD)).encode()).decode()
        self.headers = {"Content-Type": "text/xml; charset=utf-8",
                        "Authorization": "Basic " + token}
        self.conn = http.client.HTTPConnection(sim.host, sim.port, timeout=60)

    def create_meeting(self, subject, start, end, required=(), resources=()):
        def attendees(tag, addresses):
            if not addresses:
                return ""
            return "<t:%s>%s</t:%s>" % (tag, "".join(
                "<t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox>"
                "</t:Attendee>" % escape(a) for a in addresses), tag)
        body = ('<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy">'
                '<m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/>'
                "</m:SavedItemFolderId><m:Items><t:CalendarItem>"
                "<t:Subject>%s</t:Subject><t:Body BodyType=\"Text\">Benchmark meeting.</t:Body>"
                "<t:Start>%s</t:Start><t:End>%s</t:End><t:Location>Bench</t:Location>%s%s"
                "</t:CalendarItem></m:Items></m:CreateItem>"
                % (escape(subject), wire_time(start), wire_time(end),
                   attendees("RequiredAttendees", required), attendees("Resources", resources)))
        envelope = ('<soap:Envelope xmlns:soap="%s" xmlns:m="%s" xmlns:t="%s"><soap:Header>'
                    '<t:RequestServerVersion Version="Exchange2013_SP1"/></soap:Header>'
                    "<soap:Body>%s</soap:Body></soap:Envelope>" % (SOAP_NS, M_NS, T_NS, body))
        self.conn.request("POST", "/EWS/Exchange.asmx", envelope.encode(), self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200 or b'ResponseClass="Success"' not in data:
            die("creating a meeting failed: HTTP %d %s" % (resp.status, data[:500]))

    def close(self):
        self.conn.close()


def wire_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def first_slot():
    """Midnight UTC the day after tomorrow: every slot after it is in the future."""
    now = datetime.datetime.now(datetime.timezone.utc)
    day = (now + datetime.timedelta(days=2)).date()
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)


# ---- the daemon -----------------------------------------------------------------------------

POLICIES = """
[policy accept]
automate = accept
response_message = Booked by meetingd.
remove_canceled_meetings = yes

[policy accept-plain]
# The same without the calendar item rewrite that the booking keys' defaults ask for.
automate = accept
response_message = Booked by meetingd.
remove_canceled_meetings = yes
delete_subject = no
add_organizer_to_subject = no
delete_comments = no
remove_private_property = no

[policy room]
# A meeting room: decides by policy, so it reads the room's calendar (CalendarView) for
# conflicts, then rewrites the booked item (organizer in the subject, body removed).
automate = auto_accept
capacity = 10
enforce_capacity = yes
max_duration_minutes = 240
booking_window_days = 180
remove_canceled_meetings = yes
response_message = Room booked by meetingd.
"""


class Daemon:
    """A configuration of meetingd over a set of simulator mailboxes."""

    def __init__(self, binary, sim, workdir, mailboxes, poll_interval=60, log_level="info",
                 max_concurrent=8, metrics_listen=None, sync="finditem"):
        """MAILBOXES: [(section name, address, policy)]."""
        self.binary = binary
        self.workdir = workdir
        self.state = os.path.join(workdir, "state")
        os.makedirs(self.state, exist_ok=True)
        secret = os.path.join(workdir, "secret")
        with open(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(PASSWORD + "\n")
        lines = ["[server]", "url = " + sim.url, "auth = basic", "timeout = 30s",
                 "sync = " + sync, "",
                 "[daemon]", "poll_interval = %ds" % poll_interval,
                 "max_concurrent_requests = %d" % max_concurrent, "state_dir = " + self.state,
                 "log_level = " + log_level]
        if metrics_listen:
            lines.append("metrics_listen = " + metrics_listen)
        lines.append(POLICIES)
        for name, address, policy in mailboxes:
            lines += ["[mailbox %s]" % name, "address = " + address, "policy = " + policy,
                      "username = " + address, "password_file = " + secret, ""]
        self.conf = os.path.join(workdir, "meetingd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines))
        self.log = open(os.path.join(workdir, "meetingd.log"), "a")

    def argv(self, *extra):
        return [self.binary, "-c", self.conf] + list(extra)

    def run_once(self, wrapper=()):
        """meetingd --once through LAUNCHER; returns {'rc', 'user', 'sys', 'cpu',
        'maxrss_kib', 'wall', 'listen_overflows'}."""
        out = os.path.join(self.workdir, "rusage.json")
        before = listen_overflows()
        subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER, out] + list(wrapper)
                       + self.argv("--once"), stdout=self.log, stderr=self.log,
                       env=clean_env(), check=True)
        after = listen_overflows()
        with open(out) as f:
            r = json.load(f)
        if r["rc"] != 0:
            die("meetingd --once exited %d; see %s" % (r["rc"], self.log.name))
        r["cpu"] = r["user"] + r["sys"]
        r["listen_overflows"] = after - before if None not in (before, after) else None
        return r

    def start(self):
        self.proc = subprocess.Popen(self.argv(), stdout=self.log, stderr=self.log,
                                     env=clean_env(), preexec_fn=raise_open_files)
        return self.proc

    def stop(self):
        """SIGTERM, then wait; returns the rusage tuple of wait_rusage()."""
        if self.proc.poll() is not None:
            die("meetingd died early (exit %s); see %s" % (self.proc.returncode, self.log.name))
        self.proc.send_signal(signal.SIGTERM)
        return wait_rusage(self.proc)


def stop_all(daemon, sim):
    """The end of a phase however it ends: a daemon still running is killed, the simulator
    stopped."""
    if daemon is not None and getattr(daemon, "proc", None) is not None \
            and daemon.proc.returncode is None:
        daemon.proc.kill()
        daemon.proc.wait()
    sim.stop()


def raise_open_files(want=65536):
    """Each mailbox keeps its ledger open: 20,000 mailboxes need more descriptors than a
    shell's usual hard limit. The systemd unit sets LimitNOFILE=65536; the daemon started
    here gets the same where the limit may be raised (as root), else what there is."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
    except (ValueError, OSError):
        pass


def mailboxes_within_open_files(n, spare=512):
    """N, or fewer when the open file limit the daemon can get cannot hold N ledgers and its
    sockets (said on stderr): a daemon short of descriptors fails its polls, and measures
    nothing."""
    import resource
    raise_open_files()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or n + spare <= hard:
        return n
    sys.stderr.write("bench: the open file limit (%d) holds %d mailboxes, not %d\n"
                     % (hard, hard - spare, n))
    return hard - spare


def wait_until(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    die("timed out after %.0f s waiting for %s" % (timeout, what))


def count_responses(sim, kind="Resp.Pos", organizer=ORGANIZER):
    """Meeting responses of KIND in the organizer's Inbox."""
    inbox = sim.mailbox(organizer).get("inbox", [])
    return sum(1 for it in inbox if kind in (it.get("item_class") or ""))


# ---- phase: EWS calls, CPU and memory per meeting ------------------------------------------

CALL_ORDER = ["FindItem (Inbox)", "GetItem", "FindItem (CalendarView)",
              "CreateItem (AcceptItem)", "CreateItem (TentativelyAcceptItem)",
              "CreateItem (DeclineItem)", "CreateItem (RemoveItem)", "CreateItem (other)",
              "UpdateItem", "DeleteItem", "GetFolder"]


def phase_meetings(args, root, policy, n_meetings, n_mailboxes):
    """N_MEETINGS invitations to N_MAILBOXES mailboxes of POLICY, answered by one --once."""
    work = tempfile.mkdtemp(prefix="%s-" % policy, dir=root)
    prefix = "room" if policy == "room" else "attendee"
    addresses = ["%s%d@%s" % (prefix, i, DOMAIN) for i in range(n_mailboxes)]
    sim = Sim(work, [ORGANIZER] + addresses, log=True, log_bodies=True)
    try:
        daemon = Daemon(args.meetingd, sim, work,
                        [("%s%d" % (prefix, i), a, policy) for i, a in enumerate(addresses)])
        # The empty run: start-up, one FindItem per mailbox, shut-down.
        s0 = sim.stats()
        empty = daemon.run_once()
        s1 = sim.stats()
        empty_calls = stats_delta(s1, s0)

        organizer = Organizer(sim)
        base = first_slot()
        for i in range(n_meetings):
            # One hour apart: a room's calendar never conflicts, so every policy accepts
            # every request (within the room's 180-day booking window: up to ~4000).
            start = base + datetime.timedelta(hours=i)
            who = addresses[i % n_mailboxes]
            organizer.create_meeting("Bench %s %d" % (policy, i), start,
                                     start + datetime.timedelta(minutes=30),
                                     required=() if policy == "room" else (who,),
                                     resources=(who,) if policy == "room" else ())
        organizer.close()

        s2 = sim.stats()
        offset = sim.log_size()
        sim_cpu = sim.cpu_seconds()
        run = daemon.run_once()
        run["sim_cpu"] = sim.cpu_seconds() - sim_cpu
        s3 = sim.stats()
        calls = stats_delta(s3, s2)
        if ORGANIZER in calls["mailboxes"]:
            die("the organizer made calls during the measured run")
        answered = count_responses(sim, "Resp.Pos")
        if answered != n_meetings:
            die("%s: %d of %d invitations were accepted; see %s"
                % (policy, answered, n_meetings, daemon.log.name))
        if calls["internal_errors"]:
            die("the simulator hit internal errors; see %s" % sim.stderr.name)
        kinds = collections.Counter(classify(r) for r in read_log_records(sim.log_path, offset))
        if sum(kinds.values()) != calls["requests"]:
            die("the simulator's log (%d) and stats (%d) disagree"
                % (sum(kinds.values()), calls["requests"]))
        errors = {k: v for k, v in calls["response_codes"].items() if k != "NoError"}
        return {"policy": policy, "meetings": n_meetings, "mailboxes": n_mailboxes,
                "calls": calls, "kinds": dict(kinds), "empty_calls": empty_calls,
                "empty": empty, "run": run, "errors": errors}
    finally:
        sim.stop()


# ---- phase: batching (answers of a poll in few requests, group commit) ---------------------

# issue 12's targets for 1,000 meetings over 50 mailboxes (20 invitations each).
BATCH_TARGETS = {"accept": {"cpu_ms": 0.12, "requests": 0.2, "wall_s": 1.5},
                 "room": {"cpu_ms": 0.2, "requests": 0.4, "wall_s": 1.5}}


def phase_batching(args, root):
    """The accept and room policies, BATCH_MAILBOXES x BATCH_INVITATIONS meetings each,
    answered by one --once run: CPU per meeting, wall, EWS requests per meeting by
    operation (see phase_meetings)."""
    n_mb, per = args.batch_mailboxes, args.batch_invitations
    return [phase_meetings(args, root, policy, n_mb * per, n_mb) for policy in BATCH_TARGETS]


def report_batching(results):
    print()
    print("== Batching: answers, removals and rewrites of a poll in few requests, one calendar "
          "view per poll, ledger group commit (meetingd --once)")
    r0 = results[0]
    print("   %d meetings over %d mailboxes (%d invitations each), per policy; targets of "
          "issue 12 in brackets" % (r0["meetings"], r0["mailboxes"],
                                    r0["meetings"] // r0["mailboxes"]))
    headers = ["policy", "CPU ms/meeting", "wall s", "EWS requests/meeting", "simulator CPU s",
               "CPU ms/meeting met", "requests met", "wall met"]
    rows = []
    for r in results:
        t = BATCH_TARGETS[r["policy"]]
        cpu = (r["run"]["cpu"] - r["empty"]["cpu"]) / r["meetings"] * 1000
        req = r["calls"]["requests"] / r["meetings"]
        wall = r["run"]["wall"]
        rows.append([r["policy"], "%.3f (%.2f)" % (cpu, t["cpu_ms"]),
                     "%.2f (%.1f)" % (wall, t["wall_s"]), "%.3f (%.1f)" % (req, t["requests"]),
                     "%.2f" % r["run"].get("sim_cpu", 0.0),
                     "yes" if cpu <= t["cpu_ms"] else "NO",
                     "yes" if req <= t["requests"] else "NO",
                     "yes" if wall <= t["wall_s"] else "NO"])
    table(headers, rows)
    kinds = set()
    for r in results:
        kinds |= set(r["kinds"])
    order = [k for k in CALL_ORDER if k in kinds] + sorted(kinds - set(CALL_ORDER))
    headers = ["EWS requests per meeting"] + [r["policy"] for r in results]
    table(headers, [[k] + ["%.3f" % (r["kinds"].get(k, 0) / r["meetings"]) for r in results]
                    for k in order])
    print("   CPU = (run - empty run) user+sys of meetingd / meetings; wall = the --once run; "
          "the simulator (Python, sharing the cores) sets most of the wall time: its CPU "
          "during the run is shown.")


# ---- phase: idle polling ---------------------------------------------------------------------

def phase_idle(args, root, n, poll_interval=None, seconds=None, steady=False):
    """The daemon idle-polling N empty mailboxes for SECONDS (args.idle_seconds) at
    POLL_INTERVAL (args.idle_poll_interval). STEADY: the window starts shortly before the
    second round of polls is due, so it holds polls of a daemon in its steady state rather
    than the start-up round."""
    poll_interval = poll_interval or args.idle_poll_interval
    seconds = seconds or args.idle_seconds
    work = tempfile.mkdtemp(prefix="idle%d-" % n, dir=root)
    addresses = ["idle%d@%s" % (i, DOMAIN) for i in range(n)]
    sim = Sim(work, addresses)
    daemon = None
    try:
        daemon = Daemon(args.meetingd, sim, work,
                        [("idle%d" % i, a, "accept") for i, a in enumerate(addresses)],
                        poll_interval=poll_interval)
        started = time.monotonic()
        proc = daemon.start()
        # The first polls are spread over a few seconds; measure once every mailbox polled.
        wait_until(lambda: len(sim.stats()["mailboxes"]) >= n, 60 + n * 0.05,
                   "the first poll of every mailbox")
        settle = time.monotonic() - started
        if steady:
            # The second round: each mailbox polls again 0.9 to 1.1 poll_interval after its
            # first poll ended (all had by SETTLE); the window covers that span at least.
            time.sleep(max(0.0, started + poll_interval * 0.9 - time.monotonic()))
            seconds = max(seconds, settle + poll_interval * 0.2 + 1.0)
        mem_start = proc_memory_kib(proc.pid)
        st0, cpu0, sim_cpu0, t0 = sim.stats(), proc_cpu_seconds(proc.pid), sim.cpu_seconds(), \
            time.monotonic()
        time.sleep(seconds)
        st1, cpu1, sim_cpu1, t1 = sim.stats(), proc_cpu_seconds(proc.pid), sim.cpu_seconds(), \
            time.monotonic()
        mem = proc_memory_kib(proc.pid)
        rc, user, sys_, _ = daemon.stop()
        delta = stats_delta(st1, st0)
        polls = delta["operations"].get("FindItem", 0)
        window = t1 - t0
        cpu = cpu1 - cpu0
        return {"mailboxes": n, "poll_interval": poll_interval, "window": window,
                "settle": settle, "polls": polls, "requests": delta["requests"],
                "operations": delta["operations"], "cpu": cpu, "cpu_ticks": round(cpu * CLK_TCK),
                "sim_cpu": sim_cpu1 - sim_cpu0, "rss_start_kib": mem_start.get("VmRSS"),
                "rss_kib": mem.get("VmRSS"), "hwm_kib": mem.get("VmHWM"),
                "exit": rc, "total_cpu": user + sys_,
                "cmdline_bytes": sim.cmdline_bytes}
    finally:
        stop_all(daemon, sim)


# ---- phase: idle polling over a backlog of messages left in the Inbox ----------------------

def phase_backlog(args, root):
    """A room whose Inbox keeps args.backlog requests it left alone (external organizer,
    process_external_meeting_messages = no): what an idle poll costs then."""
    work = tempfile.mkdtemp(prefix="backlog-", dir=root)
    external, room = "ext0@partner.example.net", "room0@" + DOMAIN
    sim = Sim(work, [external, room], log=True, log_bodies=True)
    daemon = None
    try:
        # The shortest poll_interval, for as many polls as possible in the window.
        daemon = Daemon(args.meetingd, sim, work, [("room0", room, "room")], poll_interval=1)
        organizer = Organizer(sim, external)
        base = first_slot()
        for i in range(args.backlog):
            start = base + datetime.timedelta(hours=i)
            organizer.create_meeting("External %d" % i, start,
                                     start + datetime.timedelta(minutes=30), resources=(room,))
        organizer.close()
        ledger = os.path.join(daemon.state, "room0.ledger")

        def recorded():
            try:
                with open(ledger) as f:
                    return sum(1 for line in f if line.startswith("D "))
            except OSError:
                return 0
        proc = daemon.start()
        wait_until(lambda: recorded() >= args.backlog, 60 + args.backlog * 0.05,
                   "the first poll to decide the backlog")
        # Let that first poll end and the next one begin.
        time.sleep(1.5)
        offset, st0, cpu0, t0 = sim.log_size(), sim.stats(), proc_cpu_seconds(proc.pid), \
            time.monotonic()
        time.sleep(args.idle_seconds)
        end, st1, cpu1, t1 = sim.log_size(), sim.stats(), proc_cpu_seconds(proc.pid), \
            time.monotonic()
        mem = proc_memory_kib(proc.pid)
        daemon.stop()
        records = read_log_records(sim.log_path, offset, end)
        finds = [r for r in records if r.get("operation") == "FindItem"]
        polls = sum(1 for r in finds if 'Offset="0"' in r["request_body"])
        delta = stats_delta(st1, st0)
        if recorded() != args.backlog or count_responses(sim, ".Resp.", external) != 0:
            die("backlog: the requests were not all left alone")
        return {"backlog": args.backlog, "poll_interval": 1,
                "window": t1 - t0, "polls": polls, "requests": delta["requests"],
                "operations": delta["operations"], "cpu": cpu1 - cpu0,
                "cpu_ticks": round((cpu1 - cpu0) * CLK_TCK),
                "server_ms": sum(r.get("ms", 0) for r in records),
                "rss_kib": mem.get("VmRSS"), "hwm_kib": mem.get("VmHWM")}
    finally:
        stop_all(daemon, sim)


# ---- phase: idle cost of a large Inbox, FindItem paging vs SyncFolderItems ----------------

class EwsSession:
    """One mailbox's keep-alive EWS connection: call(operation XML) -> (bytes, seconds)."""

    def __init__(self, sim, address):
        auth = base64.b64encode(("%s:%s" % (address, PASSWORD)).encode()).decode()
        self.headers = {"Content-Type": "text/xml; charset=utf-8",
                        "Authorization": "Basic " + auth}
        self.conn = http.client.HTTPConnection(sim.host, sim.port, timeout=300)

    def call(self, operation_xml):
        doc = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="%s" '
               'xmlns:m="%s" xmlns:t="%s"><soap:Header><t:RequestServerVersion '
               'Version="Exchange2013_SP1"/></soap:Header><soap:Body>%s</soap:Body>'
               "</soap:Envelope>" % (SOAP_NS, M_NS, T_NS, operation_xml))
        t0 = time.monotonic()
        self.conn.request("POST", "/EWS/Exchange.asmx", doc.encode(), self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200 or b'ResponseClass="Error"' in data:
            die("%s failed: HTTP %d %s" % (operation_xml[:40], resp.status, data[:500]))
        return data, time.monotonic() - t0

    def close(self):
        self.conn.close()


# The FindItem page meetingd sends per poll (daemon/mailbox.c find_page(): IdOnly +
# ItemClass, meeting requests and cancellations, oldest first, 100 per page).
FIND_PAGE = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
             '<t:AdditionalProperties><t:FieldURI FieldURI="item:ItemClass"/>'
             '</t:AdditionalProperties></m:ItemShape><m:IndexedPageItemView '
             'MaxEntriesReturned="100" Offset="%d" BasePoint="Beginning"/><m:Restriction><t:Or>'
             + "".join('<t:Contains ContainmentMode="Prefixed" '
                       'ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:ItemClass"/>'
                       '<t:Constant Value="%s"/></t:Contains>'
                       % c for c in ("IPM.Schedule.Meeting.Request",
                                     "IPM.Schedule.Meeting.Canceled"))
             + '</t:Or></m:Restriction><m:SortOrder><t:FieldOrder Order="Ascending">'
             '<t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder></m:SortOrder>'
             '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds>'
             "</m:FindItem>")
SYNC_INBOX = ("<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
              '<m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId>%s'
              "<m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>")


def fill_answered_inbox(sim, room, n):
    """N meeting requests in ROOM's Inbox, all accepted and left there (the simulator runs
    with --keep-answered-requests, as grommunio behaves)."""
    org, mbx = EwsSession(sim, ORGANIZER), EwsSession(sim, room)
    base, batch = first_slot(), 100
    for first in range(0, n, batch):
        items = "".join(
            "<t:CalendarItem><t:Subject>Kept %d</t:Subject><t:Start>%s</t:Start><t:End>%s"
            "</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>%s"
            "</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees></t:CalendarItem>"
            % (i, wire_time(base + datetime.timedelta(hours=i)),
               wire_time(base + datetime.timedelta(hours=i, minutes=30)), room)
            for i in range(first, min(n, first + batch)))
        org.call('<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy">'
                 '<m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/>'
                 "</m:SavedItemFolderId><m:Items>%s</m:Items></m:CreateItem>" % items)
    inbox = [i["id"] for i in sim.mailbox(room)["inbox"]]
    for first in range(0, len(inbox), batch):
        mbx.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items>%s</m:Items>'
                 "</m:CreateItem>" % "".join('<t:AcceptItem><t:ReferenceItemId Id="%s"/>'
                                             "</t:AcceptItem>" % i
                                             for i in inbox[first:first + batch]))
    org.close()
    mbx.close()
    if len(sim.mailbox(room)["inbox"]) != n:
        die("sync-idle: the Inbox does not keep the %d answered requests" % n)


def measure_polls(sim, polls, one_poll):
    """Run one_poll() POLLS times: per poll requests, response bytes, client wall seconds,
    simulator ms (its --log) and simulator CPU seconds."""
    st0, cpu0, off = sim.stats(), sim.cpu_seconds(), sim.log_size()
    nbytes, wall = 0, 0.0
    for _ in range(polls):
        b, w = one_poll()
        nbytes += b
        wall += w
    st1, cpu1, end = sim.stats(), sim.cpu_seconds(), sim.log_size()
    records = read_log_records(sim.log_path, off, end)
    delta = stats_delta(st1, st0)
    return {"polls": polls, "requests": delta["requests"] / polls,
            "operations": delta["operations"], "bytes": nbytes / polls, "wall": wall / polls,
            "server_ms": sum(r.get("ms", 0) for r in records) / polls,
            "sim_cpu": (cpu1 - cpu0) / polls}


def phase_sync_idle(args, root):
    """What an idle poll of a mailbox whose Inbox keeps args.inbox_items answered requests
    costs, measured on the simulator directly: the FindItem paging meetingd does today, and
    one SyncFolderItems with the state of the previous sync (what sync = syncfolderitems
    will send)."""
    work = tempfile.mkdtemp(prefix="syncidle-", dir=root)
    room = "room0@" + DOMAIN
    sim = Sim(work, [ORGANIZER, room], log=True, extra=["--keep-answered-requests"])
    try:
        fill_answered_inbox(sim, room, args.inbox_items)
        mbx = EwsSession(sim, room)

        def find_poll():
            offset, nbytes, wall = 0, 0, 0.0
            while True:
                data, w = mbx.call(FIND_PAGE % offset)
                nbytes, wall = nbytes + len(data), wall + w
                if b'IncludesLastItemInRange="true"' in data:
                    return nbytes, wall
                offset = int(re.search(rb'IndexedPagingOffset="(\d+)"', data).group(1))

        state = [None]

        def sync_poll():
            nbytes, wall = 0, 0.0
            while True:
                element = "<m:SyncState>%s</m:SyncState>" % state[0] if state[0] else ""
                data, w = mbx.call(SYNC_INBOX % element)
                nbytes, wall = nbytes + len(data), wall + w
                state[0] = re.search(rb"<m:SyncState>([^<]+)</m:SyncState>", data).group(1) \
                    .decode()
                if b"<m:IncludesLastItemInRange>true<" in data:
                    return nbytes, wall

        result = {"inbox_items": args.inbox_items,
                  "finditem": measure_polls(sim, args.sync_idle_polls, find_poll),
                  "first_sync": measure_polls(sim, 1, sync_poll),
                  "syncfolderitems": measure_polls(sim, args.sync_idle_polls * 4, sync_poll)}
        mbx.close()
        return result
    finally:
        sim.stop()


def report_sync_idle(r):
    print()
    print("== Idle cost of one mailbox whose Inbox keeps %d answered requests (as grommunio "
          "leaves them), on the simulator directly, no daemon" % r["inbox_items"])
    rows = []
    for key, label in (("finditem", "FindItem paging (today)"),
                       ("first_sync", "SyncFolderItems, first sync"),
                       ("syncfolderitems", "SyncFolderItems, idle")):
        x = r[key]
        rows.append([label, x["polls"], "%.1f" % x["requests"],
                     ", ".join("%s %d" % kv for kv in sorted(x["operations"].items())),
                     "%.0f" % x["bytes"], "%.1f" % (x["wall"] * 1000), "%.1f" % x["server_ms"],
                     "%.1f" % (x["sim_cpu"] * 1000),
                     "%.0f" % (x["requests"] * 60) if key != "first_sync" else "-"])
    table(["mode", "polls", "requests/poll", "ops (all polls)", "bytes/poll", "wall ms/poll",
           "sim ms/poll", "sim CPU ms/poll", "requests/h at 60 s"], rows)
    print("   'requests/h at 60 s': one mailbox polled every 60 s. The daemon does not use "
          "SyncFolderItems or streaming yet: their invitation-to-answer latency and idle "
          "requests per hour need the daemon side.")


# ---- phase: notification delivery on the simulator -----------------------------------------

def phase_notify(args, root):
    """How long after an invitation is sent its NewMailEvent arrives on an open
    GetStreamingEvents response (the simulator's part of the streaming path; the daemon's
    invitation-to-answer latency needs the daemon side). Invitations are sent one at a
    time, each after the previous event arrived."""
    sys.path.insert(0, os.path.join(SIM_DIR, "tests"))
    import streamclient  # noqa: E402  (the simulator tests' streaming client)
    work = tempfile.mkdtemp(prefix="notify-", dir=root)
    room = "room0@" + DOMAIN
    sim = Sim(work, [ORGANIZER, room])
    try:
        mbx, org = EwsSession(sim, room), Organizer(sim)
        data, _ = mbx.call(streamclient.subscribe_xml())
        sid = re.search(rb"<m:SubscriptionId>([^<]+)<", data).group(1).decode()
        sim.passwords = {room: PASSWORD}  # where StreamingConnection looks for it
        conn = streamclient.StreamingConnection(sim, room, [sid], 30)
        base, delays = first_slot(), []
        for i in range(args.invites):
            start = base + datetime.timedelta(hours=i)
            t0 = time.monotonic()
            org.create_meeting("Notify %d" % i, start, start + datetime.timedelta(minutes=30),
                               resources=(room,))
            conn.until(lambda c: any(n == "NewMailEvent" for _, n, _ in c.events()))
            delays.append(time.monotonic() - t0)
        conn.close()
        mbx.close()
        org.close()
        delays.sort()
        return {"invites": len(delays), "p50": percentile(delays, 50),
                "p99": percentile(delays, 99), "max": delays[-1]}
    finally:
        sim.stop()


def report_notify(r):
    print()
    print("== Invitation sent -> NewMailEvent read on an open GetStreamingEvents (simulator "
          "only, %d invitations one at a time)" % r["invites"])
    table(["invitations", "p50 ms", "p99 ms", "max ms"],
          [[r["invites"], ms(r["p50"]), ms(r["p99"]), ms(r["max"])]])
    print("   Includes the organizer's CreateItem (the invitation's delivery); the daemon's "
          "SyncFolderItems and answer come on top once it streams.")


# ---- phase: arrival-to-answer latency -------------------------------------------------------

# A response object in a CreateItem's body: one answer (a batch carries several).
ANSWER_ELEMENT = re.compile(r"<(?:\w+:)?(?:Accept|TentativelyAccept|Decline)Item[\s>/]")


class LogTail(threading.Thread):
    """Follows the simulator's --log (with --log-bodies); notes when each answer of each
    mailbox shows: a CreateItem carries one answer per response object in its body."""

    def __init__(self, path, mailboxes):
        super().__init__(daemon=True)
        self.path = path
        self.mailboxes = set(mailboxes)
        self.offset = os.path.getsize(path)
        self.answers = collections.defaultdict(list)  # mailbox -> [monotonic time seen]
        self.count = 0
        self.stopping = threading.Event()

    def run(self):
        with open(self.path, encoding="utf-8") as f:
            f.seek(self.offset)
            pending = ""
            answering, in_request = None, False  # (mailbox, time) of the CreateItem logged
            while not self.stopping.is_set():
                chunk = f.readline()
                if not chunk:
                    time.sleep(0.002)
                    continue
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                seen = time.monotonic()
                line, pending = pending, ""
                if not line.startswith('{"'):
                    # A body line: the request of the CreateItem just logged, if it is one.
                    if answering is not None and in_request:
                        n = len(ANSWER_ELEMENT.findall(line))
                        self.answers[answering[0]] += [answering[1]] * n
                        self.count += n
                    in_request = line.startswith("request_body:") or (
                        in_request and not line.startswith("response_body:"))
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                mailbox = (rec.get("mailbox") or "").lower()
                answering, in_request = None, False
                if (rec.get("operation") == "CreateItem" and rec.get("status") == 200
                        and mailbox in self.mailboxes):
                    answering = (mailbox, seen)


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def start_polled(args, sim, work, prefix, addresses, policy, **kwargs):
    """A running daemon for ADDRESSES (mailboxes PREFIX0, PREFIX1, ... on POLICY) at
    args.poll_interval, returned once every mailbox made its first poll."""
    daemon = Daemon(args.meetingd, sim, work,
                    [("%s%d" % (prefix, i), a, policy) for i, a in enumerate(addresses)],
                    poll_interval=args.poll_interval, **kwargs)
    daemon.start()
    try:
        wait_until(lambda: all(a in sim.stats()["mailboxes"] for a in addresses), 30,
                   "the first poll of every mailbox")
    except BaseException:  # the caller has no daemon to stop: stop it here
        daemon.proc.kill()
        daemon.proc.wait()
        raise
    return daemon


def phase_latency(args, root):
    work = tempfile.mkdtemp(prefix="latency-", dir=root)
    n_mb = args.latency_mailboxes
    addresses = ["lat%d@%s" % (i, DOMAIN) for i in range(n_mb)]
    sim = Sim(work, [ORGANIZER] + addresses, log=True, log_bodies=True)
    daemon = None
    try:
        daemon = start_polled(args, sim, work, "lat", addresses, "accept")
        tail = LogTail(sim.log_path, addresses)
        tail.start()
        rng = random.Random(args.seed)
        organizer = Organizer(sim)
        created = collections.defaultdict(list)  # mailbox -> [monotonic time it was in]
        base = first_slot()
        mean_gap = args.latency_spread / max(1, args.invites)
        for i in range(args.invites):
            time.sleep(rng.expovariate(1.0 / mean_gap))
            who = rng.choice(addresses)
            start = base + datetime.timedelta(hours=i)
            organizer.create_meeting("Latency %d" % i, start,
                                     start + datetime.timedelta(minutes=30), required=(who,))
            # The invitation is in the Inbox once the organizer's CreateItem returned.
            created[who].append(time.monotonic())
        organizer.close()
        wait_until(lambda: tail.count >= args.invites, args.poll_interval * 3 + 30,
                   "every invitation to be answered")
        tail.stopping.set()
        tail.join()
        daemon.stop()
        latencies = []
        for who, times in created.items():
            seen = tail.answers.get(who, [])
            # Each mailbox answers its requests oldest first: pair them in order.
            latencies += [s - c for c, s in zip(sorted(times), sorted(seen))]
        latencies.sort()
        answered = count_responses(sim, "Resp.Pos")
        if answered != args.invites or len(latencies) != args.invites:
            die("latency: %d answers for %d invitations" % (answered, args.invites))
        return {"poll_interval": args.poll_interval, "invites": args.invites,
                "mailboxes": n_mb, "spread": args.latency_spread, "latencies": latencies,
                "min": latencies[0], "p50": percentile(latencies, 50),
                "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
                "max": latencies[-1],
                "mean": sum(latencies) / len(latencies)}
    finally:
        stop_all(daemon, sim)


# ---- phase: the sync modes through the daemon ----------------------------------------------

SYNC_MODES = ("finditem", "syncfolderitems", "streaming")
SAFETY_INTERVAL_S = 45 * 60  # [daemon] sync_safety_interval's default
STREAM_RENEWAL_S = 29 * 60   # a GetStreamingEvents connection is renewed this often


def inbox_reads(operations, mode):
    """The requests that read the Inbox in a poll of MODE (FindItem pages or sync pages)."""
    return operations.get("FindItem" if mode == "finditem" else "SyncFolderItems", 0)


def sync_mode_run(args, root, mode):
    """One mode: invitations sent one at a time to args.sync_mailboxes mailboxes, each after
    the previous was answered (invitation in the Inbox -> answer seen by the simulator), then
    an idle window counting every request."""
    work = tempfile.mkdtemp(prefix="sync-%s-" % mode, dir=root)
    n = args.sync_mailboxes
    addresses = ["sm%d@%s" % (i, DOMAIN) for i in range(n)]
    sim = Sim(work, [ORGANIZER] + addresses, log=True, log_bodies=True)
    daemon = None
    try:
        daemon = start_polled(args, sim, work, "sm", addresses, "accept-plain", sync=mode)
        if mode == "streaming":
            wait_until(lambda: sim.stats()["operations"].get("Subscribe", 0) >= n, 30,
                       "every mailbox's subscription")
            time.sleep(1.0)  # the connection carrying them all opens 0.2 s after the last
        tail = LogTail(sim.log_path, addresses)
        tail.start()
        organizer = Organizer(sim)
        base, delays = first_slot(), []
        for i in range(args.sync_invites):
            who = addresses[i % n]
            before = len(tail.answers.get(who, []))
            start = base + datetime.timedelta(hours=i)
            organizer.create_meeting("Sync %s %d" % (mode, i), start,
                                     start + datetime.timedelta(minutes=30), required=(who,))
            created = time.monotonic()  # the invitation is in the Inbox
            wait_until(lambda: len(tail.answers.get(who, [])) > before,
                       args.poll_interval * 3 + 30, "the answer to invitation %d" % i)
            delays.append(tail.answers[who][-1] - created)
        organizer.close()
        tail.stopping.set()
        tail.join()
        time.sleep(args.poll_interval * 1.2)  # what the last answers set off is over
        st0, t0 = sim.stats(), time.monotonic()
        time.sleep(args.sync_idle_seconds)
        st1, t1 = sim.stats(), time.monotonic()
        daemon.stop()
        if count_responses(sim, "Resp.Pos") != args.sync_invites:
            die("sync modes (%s): not every invitation was answered once" % mode)
        delta = stats_delta(st1, st0)
        window = t1 - t0
        reads = inbox_reads(delta["operations"], mode)
        per_poll = delta["requests"] / reads if reads else 0.0
        if mode == "streaming":
            # Measured: what an idle window costs (nothing is polled while notifications
            # flow); scheduled: the safety sync and the connection's renewal.
            measured_h = delta["requests"] / n / window * 3600
            per_hour = measured_h + 3600.0 / SAFETY_INTERVAL_S + 3600.0 / STREAM_RENEWAL_S / n
        else:
            per_hour = per_poll * 3600 / 60  # at the default poll_interval = 60 s
        delays.sort()
        return {"mode": mode, "mailboxes": n, "invites": len(delays),
                "p50": percentile(delays, 50), "p99": percentile(delays, 99),
                "max": delays[-1], "window": window, "idle_requests": delta["requests"],
                "idle_operations": delta["operations"], "requests_per_poll": per_poll,
                "idle_per_mailbox_hour": per_hour}
    finally:
        stop_all(daemon, sim)


def sync_big_inbox(args, root):
    """A room whose Inbox keeps args.inbox_items answered requests (grommunio leaves them),
    polled by the daemon every second in each polling mode, once the daemon knows them all:
    requests and simulator time per idle poll."""
    work = tempfile.mkdtemp(prefix="sync-big-", dir=root)
    room = "room0@" + DOMAIN
    sim = Sim(work, [ORGANIZER, room], log=True, extra=["--keep-answered-requests"])
    out = {"inbox_items": args.inbox_items}
    try:
        fill_answered_inbox(sim, room, args.inbox_items)
        for mode in ("finditem", "syncfolderitems"):
            daemon = Daemon(args.meetingd, sim, work, [("room0", room, "accept-plain")],
                            poll_interval=1, sync=mode)
            daemon.run_once()  # learns the Inbox (a person answered it all: nothing is sent)
            started = sim.stats()
            pages = math.ceil(args.inbox_items / 100.0)
            daemon.start()
            # Past the first poll, which lists the whole Inbox for the ledger's daily
            # compaction (FindItem in every mode), and two ordinary polls.
            wait_until(lambda: inbox_reads(stats_delta(sim.stats(), started)["operations"],
                                           mode) >= (3 * pages if mode == "finditem" else 2),
                       120, "the first polls")
            st0, off = sim.stats(), sim.log_size()
            time.sleep(args.sync_idle_seconds)
            st1, end = sim.stats(), sim.log_size()
            daemon.stop()
            delta = stats_delta(st1, st0)
            polls = inbox_reads(delta["operations"], mode)
            if mode == "finditem":
                pages = math.ceil(args.inbox_items / 100.0)
                polls = polls / pages if pages else polls
            records = read_log_records(sim.log_path, off, end)
            out[mode] = {"polls": polls,
                         "requests_per_poll": delta["requests"] / polls if polls else 0.0,
                         "server_ms_per_poll": sum(r.get("ms", 0) for r in records) / polls
                         if polls else 0.0}
        return out
    finally:
        sim.stop()


def phase_sync_modes(args, root):
    return {"modes": [sync_mode_run(args, root, mode) for mode in SYNC_MODES],
            "big_inbox": sync_big_inbox(args, root), "poll_interval": args.poll_interval}


def sync_modes_summary(r):
    out = {}
    for x in r["modes"]:
        out["latency_" + x["mode"]] = "%s ms / %s ms (%d invitations, one at a time)" % (
            ms(x["p50"]), ms(x["p99"]), x["invites"])
    return out


def report_sync_modes(r):
    print()
    first = r["modes"][0]
    print("== Sync modes through the daemon ([server] sync; %d mailboxes, %d invitations one at "
          "a time, poll_interval = %d s for the polling modes)"
          % (first["mailboxes"], first["invites"], r["poll_interval"]))
    rows = []
    for x in r["modes"]:
        rows.append([x["mode"], x["invites"], ms(x["p50"]), ms(x["p99"]), ms(x["max"]),
                     "%.1f" % x["window"], x["idle_requests"],
                     "%.2f" % x["requests_per_poll"] if x["mode"] != "streaming" else "-",
                     "%.2f" % x["idle_per_mailbox_hour"]])
    table(["mode", "invitations", "p50 ms", "p99 ms", "max ms", "idle window s",
           "idle requests", "requests/idle poll", "idle requests/mailbox/h"], rows)
    print("   Targets: streaming p99 <= 300 ms on loopback; idle <= 2 requests/mailbox/h.")
    print("   idle requests/mailbox/h: polling modes at poll_interval = 60 s (requests per idle "
          "poll x 60); streaming: the requests measured in the idle window, plus the scheduled "
          "safety sync (sync_safety_interval = 45 min) and connection renewal (every 29 min, "
          "one per 200 mailboxes; here shared by %d)." % first["mailboxes"])
    b = r["big_inbox"]
    print()
    print("== Idle poll of a mailbox whose Inbox keeps %d answered requests, through the daemon"
          % b["inbox_items"])
    table(["mode", "polls", "requests/poll", "sim ms/poll"],
          [[mode, "%.0f" % b[mode]["polls"], "%.2f" % b[mode]["requests_per_poll"],
            "%.1f" % b[mode]["server_ms_per_poll"]] for mode in ("finditem", "syncfolderitems")])
    print("   Streaming sends the same SyncFolderItems, only when notified (and every 45 min).")


# ---- phase: callgrind ------------------------------------------------------------------------

def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    return None


def callgrind_top(path, n, inclusive=False, only_object=None):
    """The N costliest functions (self or inclusive cost) from callgrind_annotate, optionally
    only those of the object file ONLY_OBJECT: [(Ir, percent, name)]."""
    tool = shutil.which("callgrind_annotate")
    if tool is None:
        return []
    cmd = [tool, "--threshold=100"] + (["--inclusive=yes"] if inclusive else []) + [path]
    out = subprocess.run(cmd, capture_output=True, text=True, env=clean_env()).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*?)(?: \[(.*)\])?$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        if only_object and (m.group(4) or "") != only_object:
            continue
        if "'" in m.group(3):
            continue  # callgrind's name for a recursion level (fn'2): inclusive cost is moot
        rows.append((int(m.group(1).replace(",", "")), float(m.group(2)), m.group(3)))
        if len(rows) >= n:
            break
    return rows


def phase_callgrind(args, root):
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {"skipped": "valgrind is not installed"}
    work = tempfile.mkdtemp(prefix="callgrind-", dir=root)
    n_mb, n_meetings = 10, args.callgrind_meetings
    addresses = ["attendee%d@%s" % (i, DOMAIN) for i in range(n_mb)]
    sim = Sim(work, [ORGANIZER] + addresses)
    try:
        daemon = Daemon(args.meetingd, sim, work,
                        [("attendee%d" % i, a, "accept") for i, a in enumerate(addresses)],
                        log_level="warning")

        def run(tag):
            out = os.path.join(work, "callgrind.%s.out" % tag)
            r = daemon.run_once(wrapper=[valgrind, "--tool=callgrind", "-q",
                                         "--callgrind-out-file=" + out])
            r["out"] = out
            r["ir"] = callgrind_total(out)
            return r

        empty = run("empty")
        organizer = Organizer(sim)
        base = first_slot()
        for i in range(n_meetings):
            start = base + datetime.timedelta(hours=i)
            organizer.create_meeting("Callgrind %d" % i, start,
                                     start + datetime.timedelta(minutes=30),
                                     required=(addresses[i % n_mb],))
        organizer.close()
        full = run("meetings")
        if count_responses(sim, "Resp.Pos") != n_meetings:
            die("callgrind: not every invitation was answered")
        return {"mailboxes": n_mb, "meetings": n_meetings, "ir_empty": empty["ir"],
                "ir_meetings": full["ir"], "out_src": full["out"],
                "top_self": callgrind_top(full["out"], 8),
                "top_inclusive": callgrind_top(full["out"], 14, inclusive=True,
                                               only_object=os.path.abspath(args.meetingd))}
    finally:
        sim.stop()



# ---- phase: scale (memory and CPU per idle poll at 1,000 and 10,000 mailboxes) -------------

def phase_scale(args, root):
    """RSS and CPU per idle poll at each of args.scale_counts mailboxes. The poll_interval
    grows with the count (count / args.scale_rate seconds), so every size sees the same poll
    rate and CPU per poll compares like with like."""
    out = []
    for n in args.scale_counts:
        interval = max(1, round(n / args.scale_rate))
        out.append(phase_idle(args, root, n, poll_interval=interval, seconds=args.scale_seconds,
                              steady=True))
    return out


def report_scale(results):
    print()
    print("== Scale: mailboxes configured and idle (daemon mode, /proc/PID; poll_interval "
          "grows with the mailboxes: about %.0f polls/s at every size)"
          % (results[-1]["mailboxes"] / results[-1]["poll_interval"]))
    rows = []
    for r in results:
        n, polls = r["mailboxes"], r["polls"]
        rows.append([n, r["poll_interval"], "%.1f" % r["settle"], "%.1f" % r["window"], polls,
                     cpu_per(r["cpu"], r["cpu_ticks"], polls),
                     "%.1f" % (r["requests"] / n / r["window"] * 3600),
                     "%.1f" % (r["rss_kib"] / 1024.0), "%.1f" % (r["hwm_kib"] / 1024.0),
                     "%.2f" % (r["rss_kib"] / n)])
    table(["mailboxes", "poll_interval s", "first polls s", "window s", "polls", "CPU ms/poll",
           "requests/mbx/h", "VmRSS MiB", "VmHWM MiB", "KiB/mailbox"], rows)
    print("   'first polls s': from start until every mailbox had polled once. VmHWM is the "
          "peak; KiB/mailbox = VmRSS / mailboxes (the process's fixed part included).")


def scale_summary(results):
    """The smallest size fills the 1,000 rows, the largest the 10,000 ones (each says its
    count: --quick and --scale-mailboxes measure others)."""
    out = {}
    ordered = sorted(results, key=lambda r: r["mailboxes"])
    for slot, r in (("1000", ordered[0]), ("10000", ordered[-1])):
        n = r["mailboxes"]
        out["rss_" + slot] = "%.1f MiB (%d mailboxes, %.2f KiB each)" % (
            r["rss_kib"] / 1024.0, n, r["rss_kib"] / n)
        out["cpu_idle_poll_" + slot] = "%s ms (%d mailboxes, %d polls)" % (
            cpu_per(r["cpu"], r["cpu_ticks"], r["polls"]), n, r["polls"])
    big = ordered[-1]
    if big["polls"]:
        per_poll = big["requests"] / big["polls"]
        out["idle_requests_mbx_h"] = "%.0f at poll_interval = 60 s (%.2f requests a poll)" % (
            per_poll * 60, per_poll)
    return out


# ---- phase: loading a large configuration (--check-config) ------------------------------

def large_config(args, root, n, sim_url="http://127.0.0.1:9/EWS/Exchange.asmx"):
    """A meetingd.conf of N mailboxes (own credentials each, one password file), as the idle
    phases write it; returns the Daemon (nothing started)."""
    work = tempfile.mkdtemp(prefix="conf%d-" % n, dir=root)
    fake = collections.namedtuple("FakeSim", "url")(sim_url)
    return Daemon(args.meetingd, fake, work,
                  [("mb%d" % i, "mb%d@%s" % (i, DOMAIN), "accept") for i in range(n)])


def phase_check_config(args, root):
    """`meetingd --check-config -q` on args.config_mailboxes mailboxes, best of
    args.config_runs: wall and CPU (wait4 through LAUNCHER)."""
    daemon = large_config(args, root, args.config_mailboxes)
    out = os.path.join(daemon.workdir, "rusage.json")
    runs = []
    for _ in range(args.config_runs):
        subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER, out]
                       + daemon.argv("--check-config", "-q"), stdout=subprocess.DEVNULL,
                       stderr=daemon.log, env=clean_env(), check=True)
        with open(out) as f:
            r = json.load(f)
        if r["rc"] != 0:
            die("--check-config exited %d; see %s" % (r["rc"], daemon.log.name))
        runs.append(r)
    best = min(runs, key=lambda r: r["wall"])
    return {"mailboxes": args.config_mailboxes, "runs": len(runs), "wall": best["wall"],
            "cpu": best["user"] + best["sys"], "maxrss_kib": best["maxrss_kib"],
            "walls": [r["wall"] for r in runs]}


def report_check_config(r):
    print()
    print("== Loading a configuration of %d mailboxes (meetingd --check-config -q, best of %d)"
          % (r["mailboxes"], r["runs"]))
    table(["mailboxes", "wall s", "user+sys s", "all runs wall s"],
          [[r["mailboxes"], "%.3f" % r["wall"], "%.3f" % r["cpu"],
            " ".join("%.3f" % w for w in r["walls"])]])
    print("   Wall includes waiting for a core on a shared machine; user+sys is the work.")


def check_config_summary(r):
    return {"check_config": "%.3f s wall, %.3f s CPU (%d mailboxes)"
            % (r["wall"], r["cpu"], r["mailboxes"])}


# ---- phase: reload of a large configuration -------------------------------------------------

class LoopProbe(threading.Thread):
    """Asks the daemon's metrics listener for a page that does not exist (a 404 it answers
    on its event loop without rendering anything) every few milliseconds; the slowest answer
    is how long the loop was held."""

    def __init__(self, address):
        super().__init__(daemon=True)
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.worst = 0.0
        self.count = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            t0 = time.monotonic()
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                conn.request("GET", "/loop-probe")
                conn.getresponse().read()
            except OSError:
                pass
            finally:
                conn.close()
            self.worst = max(self.worst, time.monotonic() - t0)
            self.count += 1
            time.sleep(0.005)


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RELOADED = re.compile(r"configuration reloaded: (\d+) mailbox\(es\) \(read in (\d+) ms off the "
                      r"loop, applied in (\d+) ms\)")


def phase_reload(args, root):
    """SIGHUP to a daemon of args.reload_mailboxes mailboxes (all polled once), args.reloads
    times: the daemon's own account of reading (off the loop) and applying (on it), and the
    slowest answer of its event loop to a probe during each reload."""
    n = mailboxes_within_open_files(args.reload_mailboxes)
    work = tempfile.mkdtemp(prefix="reload%d-" % n, dir=root)
    addresses = ["mb%d@%s" % (i, DOMAIN) for i in range(n)]
    sim = Sim(work, addresses)
    daemon = None
    listen = "127.0.0.1:%d" % free_port()
    try:
        daemon = Daemon(args.meetingd, sim, work,
                        [("mb%d" % i, a, "accept") for i, a in enumerate(addresses)],
                        poll_interval=3600, metrics_listen=listen)
        proc = daemon.start()
        wait_until(lambda: len(sim.stats()["mailboxes"]) >= n, 120 + n * 0.05,
                   "the first poll of every mailbox")
        time.sleep(1.0)
        log_path = daemon.log.name
        reloads = []
        for i in range(args.reloads):
            probe = LoopProbe(listen)
            probe.start()
            time.sleep(0.3)  # the probe's own baseline first
            before = probe.worst
            probe.worst = 0.0
            proc.send_signal(signal.SIGHUP)

            def reloaded():
                with open(log_path, errors="replace") as f:
                    return RELOADED.findall(f.read())
            wait_until(lambda: len(reloaded()) > i, 60, "reload %d" % (i + 1))
            time.sleep(0.3)
            probe.stopping.set()
            probe.join()
            count, read_ms, applied_ms = reloaded()[i]
            if int(count) != n:
                die("reload: %s mailboxes after the reload, not %d" % (count, n))
            reloads.append({"read_ms": int(read_ms), "applied_ms": int(applied_ms),
                            "probe_worst": probe.worst, "probe_baseline": before,
                            "probes": probe.count})
        mem = proc_memory_kib(proc.pid)
        daemon.stop()
        return {"mailboxes": n, "reloads": reloads, "rss_kib": mem.get("VmRSS")}
    finally:
        stop_all(daemon, sim)


def report_reload(r):
    print()
    print("== Reload (SIGHUP) of %d mailboxes, all running; the event loop probed every 5 ms "
          "through the metrics listener" % r["mailboxes"])
    rows = [[i + 1, x["read_ms"], x["applied_ms"], "%.0f" % (x["probe_worst"] * 1000),
             "%.0f" % (x["probe_baseline"] * 1000), x["probes"]]
            for i, x in enumerate(r["reloads"])]
    table(["reload", "read ms (off the loop)", "applied ms (loop held)", "slowest probe ms",
           "slowest probe before ms", "probes"], rows)
    print("   'read' and 'applied' as the daemon logs them; a probe's time includes the Python "
          "client and sharing the cores with the daemon's reading thread. VmRSS after: %.1f MiB"
          % (r["rss_kib"] / 1024.0))


def reload_summary(r):
    worst = max(r["reloads"], key=lambda x: x["applied_ms"])
    probe = max(x["probe_worst"] for x in r["reloads"])
    return {"reload_block": "%d ms applied on the loop (read off it in %d ms); slowest loop "
                            "probe %.0f ms (%d mailboxes)"
                            % (worst["applied_ms"], worst["read_ms"], probe * 1000,
                               r["mailboxes"])}


# ---- summary: every figure of issue 12 side by side -----------------------------------------

# (key, figure, target). A phase's summary function returns {key: text}; a figure no phase
# of this run measured says which phase gives it.
FIGURES = [
    ("cpu_meeting_accept", "CPU per answered meeting, accept", "<= 0.12 ms"),
    ("cpu_meeting_room", "CPU per answered meeting, room policy", "<= 0.2 ms"),
    ("wall_accept", "wall of the --once run, accept", "<= 1.5 s"),
    ("requests_meeting_accept", "EWS requests per meeting, accept (by operation)", "<= 0.2"),
    ("requests_meeting_room", "EWS requests per meeting, room (by operation)", "<= 0.4"),
    ("idle_requests_mbx_h", "idle requests per mailbox per hour", "<= 2 (streaming)"),
    ("rss_1000", "RSS, 1,000 mailboxes idle", ""),
    ("rss_10000", "RSS, 10,000 mailboxes idle", "<= 32 MiB"),
    ("latency_finditem", "invitation -> answer p50 / p99, sync = finditem", ""),
    ("latency_syncfolderitems", "invitation -> answer p50 / p99, sync = syncfolderitems", ""),
    ("latency_streaming", "invitation -> answer p50 / p99, sync = streaming", "p99 <= 300 ms"),
    ("idle_inbox_5000", "idle poll, 5,000 answered requests in the Inbox", "1 request a poll"),
    ("check_config", "--check-config, 20,000 mailboxes", "<= 0.2 s"),
    ("cpu_idle_poll_1000", "CPU per idle poll, 1,000 mailboxes", ""),
    ("cpu_idle_poll_10000", "CPU per idle poll, 10,000 mailboxes", "<= the 1,000 figure"),
    ("reload_block", "reload of 20,000 mailboxes, loop blocked", "<= 100 ms"),
]


def meetings_summary(results):
    out = {}
    for r in results:
        if r["policy"] not in ("accept", "room"):
            continue
        per = (r["run"]["cpu"] - r["empty"]["cpu"]) / r["meetings"]
        what = "%d meetings, %d mailboxes" % (r["meetings"], r["mailboxes"])
        out["cpu_meeting_" + r["policy"]] = "%s ms (%s)" % (ms(per), what)
        kinds = ", ".join("%s %.2f" % (k, r["kinds"][k] / r["meetings"])
                          for k in CALL_ORDER if r["kinds"].get(k))
        out["requests_meeting_" + r["policy"]] = "%.2f (%s)" % (
            r["calls"]["requests"] / r["meetings"], kinds)
        if r["policy"] == "accept":
            out["wall_accept"] = "%.2f s (%s)" % (r["run"]["wall"], what)
    return out


def latency_summary(r):
    return {"latency_finditem": "%.3f s / %.3f s (poll_interval = %d s)"
            % (r["p50"], r["p99"], r["poll_interval"])}


def sync_idle_summary(r):
    f, s = r["finditem"], r["syncfolderitems"]
    return {"idle_inbox_5000": "FindItem %.0f requests, %.0f sim ms; SyncFolderItems %.0f "
                               "request, %.1f sim ms (simulator only, %d items)"
                               % (f["requests"], f["server_ms"], s["requests"], s["server_ms"],
                                  r["inbox_items"])}


def report_summary(summaries, ran):
    print()
    print("== Summary: the figures of issue 12, this run (phases: %s)" % ", ".join(ran))
    values = {}
    for part in summaries:
        values.update(part)
    providers = {}
    for phase in PHASES:
        for key in phase.figures:
            providers.setdefault(key, phase.name)
    rows = []
    for key, figure, target in FIGURES:
        value = values.get(key)
        if value is None:
            value = "- (phase %s)" % providers[key] if key in providers else "- (not measured yet)"
        rows.append([figure, value, target])
    table(["figure", "measured", "target"], rows, aligns=["<", "<", "<"])


def run_meetings(args, root):
    return [phase_meetings(args, root, policy, args.meetings, args.meeting_mailboxes)
            for policy in ("accept", "accept-plain", "room")]


def run_idle(args, root):
    return [phase_idle(args, root, n) for n in args.mailbox_counts]


def run_callgrind(args, root):
    r = phase_callgrind(args, root)
    if "out_src" in r:
        # Kept outside the work directory, which is removed.
        keep = os.path.join(tempfile.gettempdir(), "meetingd-bench.callgrind.out")
        shutil.copyfile(r["out_src"], keep)
        r["out"] = keep
    return r




# ---- output ----------------------------------------------------------------------------------

def table(headers, rows, aligns=None):
    cols = len(headers)
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    aligns = aligns or ["<"] + [">"] * (cols - 1)
    def fmt(row):
        return "  ".join("%s" % format(str(v), a + str(w))
                         for v, a, w in zip(row, aligns, widths)).rstrip()
    print(fmt(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))


def ms(seconds):
    return "%.3f" % (seconds * 1000.0)


def cpu_per(cpu, ticks, n):
    """CPU milliseconds per N events; few clock ticks are shown with their count, since
    /proc's utime+stime has one tick (10 ms) resolution."""
    if n <= 0:
        return "n/a"
    value = "%.4f" % (cpu / n * 1000.0)
    return value if ticks >= 20 else "~%s (%d ticks)" % (value, ticks)


def report_meetings(results):
    print()
    print("== 1. EWS calls per answered invitation (meetingd --once; /sim/stats deltas)")
    r0 = results[0]
    print("   per policy: %d meetings, each inviting one of %d mailboxes; one --once run "
          "answers them all, then makes a second pass per mailbox that finds nothing"
          % (r0["meetings"], r0["mailboxes"]))
    print("   accept = automate = accept with the default booking keys (they rewrite the "
          "accepted calendar item: UpdateItem); accept-plain = the same with delete_subject, "
          "add_organizer_to_subject, delete_comments, remove_private_property = no; "
          "room = automate = auto_accept (decides with the calendar; every policy reads one "
          "CalendarView per poll)")
    headers = ["call"]
    for r in results:
        headers += ["%s total" % r["policy"], "%s per mtg" % r["policy"]]
    kinds = set()
    for r in results:
        kinds |= set(r["kinds"])
    order = [k for k in CALL_ORDER if k in kinds] + sorted(kinds - set(CALL_ORDER))
    rows = []
    for k in order:
        row = [k]
        for r in results:
            v = r["kinds"].get(k, 0)
            row += [v, "%.2f" % (v / r["meetings"])]
        rows.append(row)
    row = ["all calls"]
    for r in results:
        row += [r["calls"]["requests"], "%.2f" % (r["calls"]["requests"] / r["meetings"])]
    rows.append(row)
    row = ["  of which fixed (2 inbox polls/mailbox)"]
    for r in results:
        fixed = 2 * r["mailboxes"]
        row += [fixed, "%.2f" % (fixed / r["meetings"])]
    rows.append(row)
    table(headers, rows)
    for r in results:
        if r["errors"]:
            print("   %s: response codes other than NoError: %s" % (r["policy"], r["errors"]))
        e = r["empty_calls"]
        print("   %s, empty --once run: %d calls for %d mailboxes (%s)"
              % (r["policy"], e["requests"], r["mailboxes"],
                 ", ".join("%s %d" % kv for kv in sorted(e["operations"].items()))))

    print()
    print("== 2. CPU time and memory per processed meeting (meetingd --once, os.wait4)")
    headers = ["policy", "meetings", "run user+sys s", "empty run user+sys s", "CPU ms/meeting",
               "maxRSS KiB", "empty maxRSS KiB", "wall s", "meetings/s wall"]
    rows = []
    for r in results:
        run, empty = r["run"], r["empty"]
        per = (run["cpu"] - empty["cpu"]) / r["meetings"]
        rows.append([r["policy"], r["meetings"], "%.3f" % run["cpu"], "%.3f" % empty["cpu"],
                     ms(per), run["maxrss_kib"], empty["maxrss_kib"], "%.2f" % run["wall"],
                     "%.0f" % (r["meetings"] / run["wall"])])
    table(headers, rows)
    print("   CPU ms/meeting = (run - empty run) user+sys / meetings; maxRSS = peak RSS "
          "(ru_maxrss of meetingd alone). Wall time is set by the Python simulator and the "
          "ledger's fdatasync calls (one per batch of intents, one per batch of outcomes), "
          "not by meetingd's CPU.")
    drops = [r["run"]["listen_overflows"] for r in results] + \
        [r["empty"]["listen_overflows"] for r in results]
    if any(drops):
        print("   WARNING: %d SYNs dropped by full listen queues during these runs: wall "
              "times include 1 s retransmissions" % sum(d for d in drops if d))


def report_idle(results):
    print()
    print("== 3. Idle polling: CPU and memory per mailbox (daemon mode, /proc/PID)")
    headers = ["mailboxes", "poll_interval s", "window s", "polls", "polls/mbx/min",
               "calls/poll", "CPU s", "CPU ms/poll", "CPU %", "VmRSS KiB", "VmHWM KiB",
               "sim CPU %"]
    rows = []
    for r in results:
        n, polls = r["mailboxes"], r["polls"]
        res = cpu_per(r["cpu"], r["cpu_ticks"], polls)
        rows.append([n, r["poll_interval"], "%.1f" % r["window"], polls,
                     "%.1f" % (polls / n / r["window"] * 60),
                     "%.2f" % (r["requests"] / polls if polls else float("nan")),
                     "%.2f" % r["cpu"], res, "%.1f" % (r["cpu"] / r["window"] * 100),
                     r["rss_kib"], r["hwm_kib"],
                     "%.0f" % (r["sim_cpu"] / r["window"] * 100)])
    table(headers, rows)
    if len(results) >= 2:
        a, b = results[0], results[-1]
        slope = (b["rss_kib"] - a["rss_kib"]) / (b["mailboxes"] - a["mailboxes"])
        print("   memory per mailbox: %.1f KiB (VmRSS, %d -> %d mailboxes)"
              % (slope, a["mailboxes"], b["mailboxes"]))
    big = max(results, key=lambda r: r["mailboxes"])
    print("   the simulator's command line for %d mailboxes (one --mailbox each): %d bytes"
          % (big["mailboxes"], big["cmdline_bytes"]))
    print("   A poll is one FindItem on the Inbox; calls/poll = all requests / FindItems. CPU "
          "from /proc/PID/stat has %d ms resolution: under 20 ticks the count is shown."
          % (1000 // CLK_TCK))
    print("   polls/mbx/min below 60/poll_interval means the simulator (sim CPU %, one core "
          "at 100) could not keep up, not meetingd.")


def report_backlog(r):
    print()
    print("== 4. Idle polling with %d requests left alone in the Inbox (1 room mailbox, "
          "external organizer, process_external_meeting_messages = no, poll_interval = %d s)"
          % (r["backlog"], r["poll_interval"]))
    polls = r["polls"]
    table(["left in Inbox", "window s", "polls", "calls/poll", "ops", "CPU ms/poll",
           "sim ms/poll", "VmRSS KiB"],
          [[r["backlog"], "%.1f" % r["window"], polls,
            "%.1f" % (r["requests"] / polls if polls else float("nan")),
            ", ".join("%s %d" % kv for kv in sorted(r["operations"].items())),
            cpu_per(r["cpu"], r["cpu_ticks"], polls),
            "%.1f" % (r["server_ms"] / polls if polls else float("nan")), r["rss_kib"]]])
    print("   Every poll pages through all meeting messages in the Inbox (FindItem, 100 per "
          "page) and skips those the ledger knows: an idle poll costs ceil(%d / 100) calls "
          "instead of 1." % r["backlog"])


def report_latency(r):
    print()
    print("== 5. Arrival-to-answer latency (daemon mode, poll_interval = %d s)"
          % r["poll_interval"])
    print("   %d invitations at random times (Poisson, over ~%.0f s) to %d mailboxes; "
          "arrival = the organizer's CreateItem returned, answer = the attendee's "
          "CreateItem(AcceptItem) in the simulator's --log"
          % (r["invites"], r["spread"], r["mailboxes"]))
    table(["min s", "p50 s", "p95 s", "p99 s", "max s", "mean s",
           "bound s (1.1 x poll_interval)"],
          [["%.3f" % r["min"], "%.3f" % r["p50"], "%.3f" % r["p95"], "%.3f" % r["p99"],
            "%.3f" % r["max"],
            "%.3f" % r["mean"], "%.1f + one poll" % (1.1 * r["poll_interval"])]])
    print("   meetingd only learns of an invitation when it polls (streaming/push "
          "notifications are not implemented yet): the wait is uniform over the poll "
          "interval (p50 ~ interval/2), bounded by interval x 1.1 (jitter) plus the poll "
          "itself.")


def report_callgrind(r):
    print()
    print("== 6. Instructions (valgrind --tool=callgrind, meetingd --once)")
    if "skipped" in r:
        print("   skipped: %s" % r["skipped"])
        return
    per = (r["ir_meetings"] - r["ir_empty"]) / r["meetings"]
    table(["workload", "instructions (Ir)"],
          [["empty run, %d mailboxes" % r["mailboxes"], "{:,}".format(r["ir_empty"])],
           ["%d invitations, %d mailboxes" % (r["meetings"], r["mailboxes"]),
            "{:,}".format(r["ir_meetings"])],
           ["per invitation (difference / %d)" % r["meetings"], "{:,.0f}".format(per)]])
    for key, what in (("top_self", "functions by self cost, any object"),
                      ("top_inclusive", "meetingd's functions by inclusive cost")):
        if r.get(key):
            print("   %s (%d-invitation run):" % (what, r["meetings"]))
            for ir, pct, name in r[key]:
                print("   %14s %5.1f%%  %s" % ("{:,}".format(ir), pct, name))
    print("   full profile: %s (callgrind_annotate / kcachegrind)" % r["out"])


def environment(args):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    version = subprocess.run([args.meetingd, "--version"], capture_output=True,
                             text=True).stdout.strip()
    print("meetingd benchmark  %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    print("  %s (%s, RelWithDebInfo build-bench/), %s, %d CPU(s), %s, Python %s"
          % (version, args.meetingd, cpu, os.cpu_count(), platform.release(),
             platform.python_version()))
    print("  EWS simulator tests/ewssim on 127.0.0.1, WITHOUT schema validation (so its "
          "validator is not measured); simulator and daemon share the machine's cores")


# ---- the phases ----------------------------------------------------------------------------

# The phases in the order they run. A phase is a row: its name (for --phases), the function
# that measures (args, root) -> result, the one that prints it, the one that turns it into
# summary figures (or None), the FIGURES keys it provides, and whether it runs by default.
# A branch adding a measurement adds its functions and one row here.
Phase = collections.namedtuple("Phase", "name run report summary figures default")
PHASES = [
    Phase("calls", run_meetings, report_meetings, meetings_summary,
          ("cpu_meeting_accept", "cpu_meeting_room", "wall_accept", "requests_meeting_accept",
           "requests_meeting_room"), True),
    # The workload of issue 12's targets (50 mailboxes x 20 invitations): its figures, later
    # in the summary, take the place of the calls phase's.
    Phase("batching", phase_batching, report_batching, meetings_summary,
          ("cpu_meeting_accept", "cpu_meeting_room", "wall_accept", "requests_meeting_accept",
           "requests_meeting_room"), True),
    Phase("idle", run_idle, report_idle, None, (), True),
    Phase("backlog", phase_backlog, report_backlog, None, (), True),
    Phase("sync-idle", phase_sync_idle, report_sync_idle, sync_idle_summary,
          ("idle_inbox_5000",), True),
    Phase("notify", phase_notify, report_notify, None, (), True),
    Phase("latency", phase_latency, report_latency, latency_summary, ("latency_finditem",),
          True),
    Phase("sync-modes", phase_sync_modes, report_sync_modes, sync_modes_summary,
          ("latency_syncfolderitems", "latency_streaming"), True),
    Phase("scale", phase_scale, report_scale, scale_summary,
          ("rss_1000", "rss_10000", "cpu_idle_poll_1000", "cpu_idle_poll_10000",
           "idle_requests_mbx_h"), True),
    Phase("check-config", phase_check_config, report_check_config, check_config_summary,
          ("check_config",), True),
    Phase("reload", phase_reload, report_reload, reload_summary, ("reload_block",), True),
    Phase("callgrind", run_callgrind, report_callgrind, None, (), True),
]


# ---- main ------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="scripts/bench",
        description="meetingd benchmarks against the EWS simulator (prints figures).")
    ap.add_argument("--meetingd", metavar="PATH",
                    default=os.path.join(TOP, "build-bench", "meetingd"),
                    help="the meetingd binary (scripts/bench passes build-bench/meetingd)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes and short windows (~30 s), for a smoke run")
    names = [p.name for p in PHASES]
    ap.add_argument("--phases", metavar="LIST",
                    default=",".join(p.name for p in PHASES if p.default),
                    help="comma-separated subset of %s (default: all)" % ",".join(names))
    ap.add_argument("--meetings", metavar="N", type=int,
                    help="calls: invitations answered per policy in one --once run "
                    "(default 200; quick 50)")
    ap.add_argument("--meeting-mailboxes", metavar="N", type=int, default=10,
                    help="calls: mailboxes the invitations are spread over (default 10)")
    ap.add_argument("--mailboxes", metavar="LIST",
                    help="idle: comma-separated mailbox counts (default 1,100,500; "
                    "quick 1,100)")
    ap.add_argument("--idle-poll-interval", metavar="S", type=int, default=2,
                    help="idle: poll_interval, seconds (default 2)")
    ap.add_argument("--idle-seconds", metavar="S", type=float,
                    help="idle, backlog: measurement window (default 10; quick 4)")
    ap.add_argument("--backlog", metavar="N", type=int,
                    help="backlog: requests left alone in a room's Inbox (default 1000; "
                    "quick 300; 0 skips it)")
    ap.add_argument("--poll-interval", metavar="S", type=int, default=2,
                    help="latency: poll_interval, seconds (default 2)")
    ap.add_argument("--invites", metavar="N", type=int,
                    help="latency: invitations (default 40; quick 12)")
    ap.add_argument("--latency-spread", metavar="S", type=float,
                    help="latency: seconds over which they arrive (default 16; quick 6)")
    ap.add_argument("--latency-mailboxes", metavar="N", type=int, default=20,
                    help="latency: mailboxes invited (default 20)")
    ap.add_argument("--seed", metavar="N", type=int, default=1,
                    help="latency: seed of the arrival times (default 1)")
    ap.add_argument("--callgrind", dest="callgrind", action="store_true", default=None,
                    help="run the callgrind phase (default: yes, unless --quick)")
    ap.add_argument("--no-callgrind", dest="callgrind", action="store_false",
                    help="skip the callgrind phase")
    ap.add_argument("--callgrind-meetings", metavar="N", type=int, default=50,
                    help="callgrind: invitations of the workload (default 50)")
    ap.add_argument("--inbox-items", metavar="N", type=int,
                    help="sync-idle phase: answered requests kept in the Inbox (default 5000, "
                    "--quick 1000)")
    ap.add_argument("--sync-idle-polls", metavar="N", type=int, default=5,
                    help="sync-idle phase: FindItem polls measured (SyncFolderItems: 4x as many)")
    ap.add_argument("--sync-mailboxes", metavar="N", type=int, default=10,
                    help="sync-modes: mailboxes invited (default 10)")
    ap.add_argument("--sync-invites", metavar="N", type=int,
                    help="sync-modes: invitations per mode (default 100; quick 20)")
    ap.add_argument("--sync-idle-seconds", metavar="S", type=float,
                    help="sync-modes: idle window per mode (default 20; quick 5)")
    ap.add_argument("--scale-mailboxes", metavar="LIST",
                    help="scale: comma-separated mailbox counts (default 1000,10000; quick "
                    "300,3000)")
    ap.add_argument("--scale-rate", metavar="N", type=float, default=150.0,
                    help="scale: polls per second at every size (poll_interval = mailboxes / N; "
                    "default 150)")
    ap.add_argument("--scale-seconds", metavar="S", type=float,
                    help="scale: measurement window (default 20; quick 6)")
    ap.add_argument("--config-mailboxes", metavar="N", type=int,
                    help="check-config: mailboxes in the configuration (default 20000; quick "
                    "5000)")
    ap.add_argument("--config-runs", metavar="N", type=int, default=3,
                    help="check-config: runs, the best one counts (default 3)")
    ap.add_argument("--reload-mailboxes", metavar="N", type=int,
                    help="reload: mailboxes of the running daemon (default 20000; quick 3000)")
    ap.add_argument("--reloads", metavar="N", type=int, default=3,
                    help="reload: SIGHUPs measured (default 3)")
    ap.add_argument("--batch-mailboxes", metavar="N", type=int, default=50,
                    help="batching: mailboxes (default 50)")
    ap.add_argument("--batch-invitations", metavar="N", type=int, default=20,
                    help="batching: invitations per mailbox (default 20)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw results as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args(argv)
    q = args.quick
    if args.mailboxes is None:
        args.mailboxes = "1,100" if q else "1,100,500"
    try:
        args.mailbox_counts = [int(x) for x in args.mailboxes.split(",") if x.strip()]
    except ValueError:
        ap.error("--mailboxes: expected numbers such as 1,100,500")
    if any(n < 1 for n in args.mailbox_counts):
        ap.error("--mailboxes: counts must be positive")
    args.meetings = args.meetings if args.meetings is not None else (50 if q else 200)
    args.idle_seconds = args.idle_seconds if args.idle_seconds is not None else \
        (4.0 if q else 10.0)
    args.invites = args.invites if args.invites is not None else (12 if q else 40)
    args.backlog = args.backlog if args.backlog is not None else (300 if q else 1000)
    args.inbox_items = args.inbox_items if args.inbox_items is not None else \
        (1000 if q else 5000)
    args.latency_spread = args.latency_spread if args.latency_spread is not None else \
        (6.0 if q else 16.0)
    if args.sync_invites is None:
        args.sync_invites = 20 if q else 100
    if args.sync_idle_seconds is None:
        args.sync_idle_seconds = 5.0 if q else 20.0
    if args.callgrind is None:
        args.callgrind = not q
    args.scale_counts = [int(x) for x in (args.scale_mailboxes or
                                          ("300,3000" if q else "1000,10000")).split(",")
                         if x.strip()]
    args.scale_seconds = args.scale_seconds or (6.0 if q else 20.0)
    args.config_mailboxes = args.config_mailboxes or (5000 if q else 20000)
    args.reload_mailboxes = args.reload_mailboxes or (3000 if q else 20000)
    args.phase_set = set(p.strip() for p in args.phases.split(",") if p.strip())
    unknown = args.phase_set - set(names)
    if unknown:
        ap.error("--phases: unknown %s" % ", ".join(sorted(unknown)))
    if not args.callgrind:
        args.phase_set.discard("callgrind")
    for name in ("meetings", "invites", "meeting_mailboxes", "latency_mailboxes",
                 "callgrind_meetings", "inbox_items", "sync_idle_polls", "config_runs",
                 "reloads", "batch_mailboxes", "batch_invitations"):
        if getattr(args, name) < 1:
            ap.error("--%s must be at least 1" % name.replace("_", "-"))
    for name in ("idle_poll_interval", "poll_interval"):
        if getattr(args, name) < 1:
            ap.error("--%s: poll_interval is at least 1 s" % name.replace("_", "-"))
    return args


def main(argv=None):
    args = parse_args(argv)
    if not os.access(args.meetingd, os.X_OK):
        die("%s is not an executable; run scripts/bench (it builds it)" % args.meetingd)
    root = tempfile.mkdtemp(prefix="meetingd-bench.")
    started = time.monotonic()
    results = {}
    try:
        environment(args)
        summaries, ran = [], []
        for phase in PHASES:
            if phase.name not in args.phase_set:
                continue
            if phase.name == "backlog" and args.backlog <= 0:
                continue
            result = phase.run(args, root)
            results[phase.name] = result
            phase.report(result)
            ran.append(phase.name)
            if phase.summary is not None and "skipped" not in result:
                summaries.append(phase.summary(result))
        report_summary(summaries, ran)
        print()
        print("bench finished in %.0f s" % (time.monotonic() - started))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, sort_keys=True, default=str)
    finally:
        if args.keep:
            print("work directory kept: %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
