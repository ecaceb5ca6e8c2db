"""A real Prometheus (Debian's prometheus package) scrapes meetingd's metrics page, and PromQL
over Prometheus' HTTP API returns the decisions the run made.

meetingd answers invitations for two mailboxes from the simulator with metrics_listen on a free
loopback port; Prometheus runs with its own configuration and storage in the test's temporary
directory, its web interface on another free loopback port, scraping every second. The counts
it reports must equal the decision record's and the answers that reached the organizer."""

import json
import os
import shutil
import signal
import subprocess
import urllib.parse
import urllib.request

import e2e
from metricspage import free_port

A = e2e.addr
MEETINGS = 3


class Prometheus:
    """prometheus running in DIRECTORY, scraping TARGET every second."""

    def __init__(self, directory, target):
        binary = shutil.which("prometheus")
        if binary is None:
            raise AssertionError("prometheus is missing: install Debian's prometheus package "
                                 "(scripts/lib.sh lists it)")
        self.dir = os.path.join(directory, "prometheus")
        os.mkdir(self.dir)
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: meetingd\n"
                    "    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        self.address = "127.0.0.1:%d" % free_port()
        self.logpath = os.path.join(self.dir, "prometheus.log")
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=" + self.address, "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("prometheus exited (%s):\n%s" % (self.proc.returncode,
                                                                  self.output()))
        try:
            with urllib.request.urlopen("http://%s/-/ready" % self.address, timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def query(self, promql):
        """The instant vector of PROMQL as {labels as a sorted tuple: value}."""
        url = "http://%s/api/v1/query?%s" % (self.address,
                                             urllib.parse.urlencode({"query": promql}))
        with urllib.request.urlopen(url, timeout=10 * e2e.SLOW) as r:
            answer = json.load(r)
        if answer["status"] != "success" or answer["data"]["resultType"] != "vector":
            raise AssertionError("query %s: %r" % (promql, answer))
        return {tuple(sorted(s["metric"].items())): float(s["value"][1])
                for s in answer["data"]["result"]}

    def output(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30 * e2e.SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class ScrapedByPrometheus(e2e.TestCase):

    def test_prometheus_counts_the_decisions(self):
        w = self.world(users=["organizer0", "attendee0", "room0"])
        target = "127.0.0.1:%d" % free_port()
        conf = w.write_config({"attendee0": "accept-all", "room0": "decline-all"},
                              daemon={"metrics_listen": target})
        mids = [w.create_meeting(conf, "Scraped %d" % i, required=["attendee0"],
                                 resources=["room0"], n=i) for i in range(MEETINGS)]
        d = w.start_daemon(conf)
        e2e.wait_for(lambda: all(len(w.answers(mid)) == 2 for mid in mids), 30,
                     "both mailboxes to answer every meeting")
        # An answer reaches the organizer before meetingd has read the server's reply and
        # recorded the decision: wait for the record too.
        e2e.wait_for(lambda: len(w.decisions()) >= 2 * MEETINGS, 10, "the decision record")

        record = w.decisions()
        self.assertEqual(len(record), 2 * MEETINGS, record)
        by_kind = {}
        for r in record:
            by_kind[(r["mailbox"], r["decision"])] = by_kind.get(
                (r["mailbox"], r["decision"]), 0) + 1
        self.assertEqual(by_kind, {("attendee0", "accept"): MEETINGS,
                                   ("room0", "decline"): MEETINGS})

        prom = Prometheus(w.dir, target)
        self.addCleanup(prom.stop)
        e2e.wait_for(prom.ready, 60, "prometheus to be ready", interval=0.2)

        def scraped_total():
            total = prom.query('sum(meetingd_decisions_total{job="meetingd"})')
            return total and list(total.values())[0] == len(record)
        e2e.wait_for(scraped_total, 60, "prometheus to report %d decisions" % len(record),
                     interval=0.5)

        up = prom.query('up{job="meetingd"}')
        self.assertEqual(list(up.values()), [1.0])
        per_kind = prom.query("sum by (mailbox, decision) (meetingd_decisions_total) > 0")
        self.assertEqual({(dict(k)["mailbox"], dict(k)["decision"]): v
                          for k, v in per_kind.items()}, by_kind)
        sent = prom.query("sum(meetingd_answers_sent_total)")
        self.assertEqual(list(sent.values()), [float(w.count_responses())])
        self.assertEqual(w.count_responses(), 2 * MEETINGS)
        failing = prom.query("meetingd_mailboxes_failing")
        self.assertEqual(list(failing.values()), [0.0])
        # The meetings were all there at each mailbox's first poll: one batch of answers
        # (one CreateItem) per mailbox.
        requests = prom.query('sum(meetingd_ews_requests_total{operation="CreateItem",'
                              'outcome="ok"})')
        self.assertEqual(list(requests.values()), [2.0])
        polled = prom.query("time() - meetingd_last_successful_poll_timestamp_seconds >= 0")
        self.assertEqual(sorted(dict(k)["mailbox"] for k in polled), ["attendee0", "room0"])
        self.assertEqual(d.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    e2e.main()
