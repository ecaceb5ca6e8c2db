"""The metrics page (metrics_listen) and `meetingctl health` against the real meetingd.

Three mailboxes: attendee0 accepts, attendee1 declines, attendee2 cannot log in (its polls fail
and back off). What the page counts is compared with what really happened: the decision record
and the answers in the organizer's Inbox. `meetingctl health` summarises the same page and says
which mailbox fails; with the daemon gone it exits 69, and without metrics_listen it says so
(78). A bad metrics_listen is a configuration error; a port already taken is not fatal: the
daemon answers meetings without its page."""

import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request

import e2e
from metricspage import free_port, samples, scrape

A = e2e.addr


def version():
    out = subprocess.run([e2e.meetingd_bin(), "--version"], check=True, capture_output=True,
                         text=True).stdout
    return out.split()[1]


class Metrics(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=["organizer0", "attendee0", "attendee1", "attendee2"])
        wrong = self.w.write_secret("attendee2.wrong", "not-the-password-of-attendee2")
        self.address = "127.0.0.1:%d" % free_port()
        self.conf = self.w.write_config(
            {"attendee0": "accept-all", "attendee1": "decline-all",
             "attendee2": {"policy": "accept-all", "password_file": wrong}},
            daemon={"metrics_listen": self.address})
        self.mids = [self.w.create_meeting(self.conf, "Metrics %d" % i,
                                           required=["attendee0", "attendee1", "attendee2"], n=i)
                     for i in range(3)]

    def health(self, conf=None):
        return self.w.run([e2e.meetingctl_bin(), "-c", conf or self.conf, "health"],
                          what="meetingctl")

    def test_page_counts_what_happened(self):
        w = self.w
        d = w.start_daemon(self.conf)
        d.wait_log(r"metrics at http://%s/metrics" % re.escape(self.address))
        e2e.wait_for(lambda: all(len(w.answers(mid)) == 2 for mid in self.mids), 20,
                     "the answers of attendee0 and attendee1")
        d.wait_log(r"mailbox attendee2: FindItem failed")
        # A later poll of each good mailbox has ended, so its decisions are all counted.
        polls = samples(scrape(self.address))
        good = ("attendee0", "attendee1")
        e2e.wait_for(lambda: all(
            samples(scrape(self.address)).get(("meetingd_polls_total",
                                               '{mailbox="%s",outcome="ok"}' % mb), 0)
            > polls.get(("meetingd_polls_total", '{mailbox="%s",outcome="ok"}' % mb), 0)
            for mb in good), 20, "another poll of attendee0 and attendee1")
        s = samples(scrape(self.address))

        record = w.decisions()
        for mb, kind in (("attendee0", "accept"), ("attendee1", "decline")):
            in_record = sum(1 for r in record if r["mailbox"] == mb and r["decision"] == kind)
            self.assertEqual(in_record, 3)
            self.assertEqual(s[("meetingd_decisions_total",
                                '{mailbox="%s",decision="%s"}' % (mb, kind))], in_record)
            self.assertEqual(s[("meetingd_answers_sent_total",
                                '{mailbox="%s",response="%s"}' % (mb, kind))], 3)
            self.assertEqual(s[("meetingd_mailbox_failing", '{mailbox="%s"}' % mb)], 0)
            self.assertIn(("meetingd_last_decision_timestamp_seconds",
                           '{mailbox="%s",decision="%s"}' % (mb, kind)), s)
            self.assertIn(("meetingd_last_successful_poll_timestamp_seconds",
                           '{mailbox="%s"}' % mb), s)
        sent = sum(v for (name, _), v in s.items() if name == "meetingd_answers_sent_total")
        self.assertEqual(sent, w.count_responses())

        self.assertEqual(s[("meetingd_mailbox_failing", '{mailbox="attendee2"}')], 1)
        self.assertEqual(s[("meetingd_mailboxes_failing", "")], 1)
        self.assertEqual(s[("meetingd_mailboxes", "")], 3)
        self.assertGreaterEqual(s[("meetingd_backoffs_total",
                                   '{mailbox="attendee2",cause="auth"}')], 1)
        self.assertNotIn(("meetingd_last_successful_poll_timestamp_seconds",
                          '{mailbox="attendee2"}'), s)
        self.assertEqual(s[("meetingd_build_info", '{version="%s"}' % version())], 1)

        # EWS requests: the good FindItems, the failed one, the answers (each good mailbox's
        # three in one CreateItem: they were all there at its first poll); the histogram
        # agrees.
        self.assertGreaterEqual(s[("meetingd_ews_requests_total",
                                   '{operation="FindItem",outcome="ok"}')], 4)
        self.assertGreaterEqual(s[("meetingd_ews_requests_total",
                                   '{operation="FindItem",outcome="authentication-failed"}')], 1)
        self.assertEqual(s[("meetingd_ews_requests_total",
                            '{operation="CreateItem",outcome="ok"}')], 2)
        for op in ("FindItem", "CreateItem"):
            total = sum(v for (name, labels), v in s.items()
                        if name == "meetingd_ews_requests_total"
                        and labels.startswith('{operation="%s",' % op))
            self.assertEqual(s[("meetingd_ews_request_duration_seconds_count",
                                '{operation="%s"}' % op)], total)
            self.assertEqual(s[("meetingd_ews_request_duration_seconds_bucket",
                                '{operation="%s",le="+Inf"}' % op)], total)
        self.assertEqual(s[("meetingd_ews_requests_queued", "")], 0)

        # Bad requests get their status and the daemon goes on serving.
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen("http://%s/" % self.address, timeout=10 * e2e.SLOW)
        self.assertEqual(ctx.exception.code, 404)
        self.assertIn("meetingd_build_info", scrape(self.address))

        # health: the same data, one screen; attendee2 fails, so the exit status is 1.
        res = self.health()
        self.assertEqual(res.returncode, 1, res)
        out = res.stdout
        self.assertRegex(out, r"(?m)\Ameetingd %s, up .*: 3 mailbox\(es\), 1 failing$"
                         % re.escape(version()))
        self.assertRegex(out, r"(?m)^attendee2 .* never .* FAILING \(\d+ failed polls in a "
                         r"row\)$")
        self.assertRegex(out, r"(?m)^attendee0 +\d+s ago +\d+s ago +3 +3  accept \d+s ago +ok$")
        self.assertRegex(out, r"(?m)^attendee1 +\d+s ago +\d+s ago +3 +3  decline \d+s ago +ok$")
        lines = out.splitlines()
        self.assertTrue(lines[4].startswith("attendee2"), "failing mailboxes first:\n" + out)
        self.assertLessEqual(len(lines), 25)

        self.assertEqual(d.stop(signal.SIGTERM), 0)
        res = self.health()
        self.assertEqual(res.returncode, 69, res)
        self.assertRegex(res.stderr, r"meetingctl: meetingd is not answering at %s"
                         % re.escape(self.address))

    def test_reload_drops_a_removed_mailbox(self):
        w = self.w
        d = w.start_daemon(self.conf)
        d.wait_log(r"decision mailbox=attendee1 ")
        self.assertIn(("meetingd_mailbox_failing", '{mailbox="attendee1"}'),
                      samples(scrape(self.address)))
        w.write_config({"attendee0": "accept-all"}, daemon={
            "metrics_listen": "127.0.0.1:%d" % free_port()})
        d.send(signal.SIGHUP)
        d.wait_log(r"reload: metrics_listen takes effect at the next restart")
        d.wait_log(r"configuration reloaded: 1 mailbox")

        def only_attendee0():
            s = samples(scrape(self.address))  # still the address it started with
            names = {labels for (name, labels) in s if name == "meetingd_mailbox_failing"}
            return s[("meetingd_mailboxes", "")] == 1 and names == {'{mailbox="attendee0"}'}
        e2e.wait_for(only_attendee0, 20, "attendee1 and attendee2 to leave the page")
        self.assertEqual(d.stop(signal.SIGTERM), 0)

    def test_health_needs_metrics_listen(self):
        conf = self.w.write_config({"attendee0": "accept-all"}, name="plain.conf")
        res = self.health(conf)
        self.assertEqual(res.returncode, 78, res)
        self.assertRegex(res.stderr, r"^%s: \[daemon\] metrics_listen is not set"
                         % re.escape(conf))

    def test_bad_metrics_listen_is_a_config_error(self):
        for value, why in (("localhost:9873", "not an IPv4 address or a bracketed IPv6 address"),
                           ("127.0.0.1", "not HOST:PORT"),
                           ("127.0.0.1:99999", "not a port number")):
            conf = self.w.write_config({"attendee0": "accept-all"}, name="bad.conf",
                                       daemon={"metrics_listen": value})
            with open(conf) as f:
                line = next(n for n, text in enumerate(f, 1) if text.startswith("metrics_listen"))
            for args in (("--check-config",), ()):
                res = self.w.meetingd(conf, *args)
                self.assertEqual(res.returncode, 78, res)
                self.assertRegex(res.stderr, r"^%s:%d: metrics_listen: %s"
                                 % (re.escape(conf), line, re.escape(why)))

    def test_port_taken_daemon_still_answers(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            address = "127.0.0.1:%d" % taken.getsockname()[1]
            conf = self.w.write_config({"attendee0": "accept-all"}, name="taken.conf",
                                       daemon={"metrics_listen": address})
            d = self.w.start_daemon(conf)
            d.wait_log(r"metrics_listen %s: cannot listen: .*; running without metrics"
                       % re.escape(address))
            e2e.wait_for(lambda: A("attendee0") in self.w.answers(self.mids[0]), 20,
                         "attendee0's answer")
            self.assertEqual(d.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    e2e.main()
