"""Helpers of the metrics tests: a free loopback port, one scrape of meetingd's page, its
samples as a dict."""

import re
import socket
import urllib.request

import e2e

SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (\S+)$")


def free_port():
    """A loopback port nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(address):
    """GET http://ADDRESS/metrics: the page, after checking status and content type."""
    with urllib.request.urlopen("http://%s/metrics" % address, timeout=10 * e2e.SLOW) as r:
        assert r.status == 200, r.status
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        return r.read().decode("utf-8")


def samples(page):
    """{(name, labels text): value} of every sample; labels text as written, '' when none."""
    out = {}
    for line in page.splitlines():
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out
