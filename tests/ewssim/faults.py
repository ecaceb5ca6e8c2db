"""Fault injection: which failure, if any, a request meets.

A fault spec is "KIND:RATE[:OPERATION]" (RATE a probability 0..1, OPERATION an EWS
operation name such as FindItem, or absent for every operation). Every SOAP request makes
exactly one draw from a random.Random seeded with --seed, so a run is reproducible for a
given request sequence. The draw walks the specs in order, each taking a slice of [0, 1) of
its RATE; at most one fault applies.

Kinds (see README for what a client sees):
  server-busy          soap:Fault ErrorServerBusy with BackOffMilliseconds, HTTP 500
  server-busy-message  HTTP 200, the operation's response with one ResponseMessage
                       ResponseClass="Error" ErrorServerBusy and BackOffMilliseconds
  http-500, http-503   an IIS-style error page, request not processed
  hang                 processed, then nothing sent for --hang-seconds, then the
                       connection is closed
  drop                 processed, then the connection is closed at once without a
                       single byte of response (what a client that re-sends on a
                       fresh connection turns into a duplicate)
  reset                processed, part of the response sent, then a TCP RST
  truncate             processed, Content-Length promises more than is sent, then close
  malformed            processed, HTTP 200 whose body is not well-formed XML
"""

import random
import threading

KINDS = ("server-busy", "server-busy-message", "http-500", "http-503", "hang", "drop",
         "reset", "truncate", "malformed")

# Kinds decided before the request is processed (nothing in the mailbox changes).
BEFORE = {"server-busy", "server-busy-message", "http-500", "http-503"}


class FaultSpec:
    __slots__ = ("kind", "rate", "operation")

    def __init__(self, kind, rate, operation=None):
        self.kind = kind
        self.rate = rate
        self.operation = operation

    def __str__(self):
        return "%s:%g%s" % (self.kind, self.rate,
                            ":" + self.operation if self.operation else "")

    def as_dict(self):
        return {"kind": self.kind, "rate": self.rate, "operation": self.operation}


def parse_spec(text):
    """'KIND:RATE[:OPERATION]' -> FaultSpec; ValueError with a readable reason."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise ValueError("fault %r: expected KIND:RATE[:OPERATION]" % text)
    kind = parts[0].strip()
    if kind not in KINDS:
        raise ValueError("fault %r: unknown kind %r (one of %s)" % (text, kind,
                                                                    ", ".join(KINDS)))
    try:
        rate = float(parts[1])
    except ValueError:
        raise ValueError("fault %r: rate %r is not a number" % (text, parts[1])) from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError("fault %r: rate must be between 0 and 1" % text)
    op = parts[2].strip() if len(parts) == 3 and parts[2].strip() else None
    return FaultSpec(kind, rate, op)


def parse_lines(text, parse=None):
    """A body of /sim/faults: one spec per line (read by PARSE, default parse_spec); blank
    lines and #comments ignored."""
    specs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            specs.append((parse or parse_spec)(line))
    return specs


class FaultPlan:
    """The current fault specs and the seeded generator; thread-safe."""

    def __init__(self, specs, seed):
        self._lock = threading.Lock()
        self._specs = list(specs)
        self._rng = random.Random(seed)

    def replace(self, specs):
        with self._lock:
            self._specs = list(specs)

    def specs(self):
        with self._lock:
            return list(self._specs)

    def draw(self, operation):
        """One draw for a request of `operation` (None if unknown): a kind or None."""
        with self._lock:
            r = self._rng.random()
            edge = 0.0
            for spec in self._specs:
                if spec.operation is not None and spec.operation != operation:
                    continue
                edge += spec.rate
                if r < edge:
                    return spec.kind
            return None

