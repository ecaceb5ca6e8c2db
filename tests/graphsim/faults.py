"""Fault injection: KIND:RATE[:OPERATION] specs sharing one seeded draw per request."""

import random
import threading

KINDS = ("throttle", "http-503", "http-500", "reset", "malformed", "hang")


class FaultSpecError(ValueError):
    pass


def parse_spec(text):
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or parts[0] not in KINDS:
        raise FaultSpecError("fault %r: want KIND:RATE[:OPERATION], KIND one of %s"
                             % (text, ", ".join(KINDS)))
    try:
        rate = float(parts[1])
    except ValueError:
        raise FaultSpecError("fault %r: RATE is not a number" % text)
    if not 0 <= rate <= 1:
        raise FaultSpecError("fault %r: RATE must be within 0..1" % text)
    return (parts[0], rate, parts[2] if len(parts) == 3 else None)


class Faults:
    def __init__(self, specs, seed):
        self.specs = list(specs)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def replace(self, specs):
        with self.lock:
            self.specs = list(specs)

    def describe(self):
        with self.lock:
            return ["%s:%g%s" % (k, r, ":" + op if op else "") for k, r, op in self.specs]

    def draw(self, operation, transport):
        """The fault kind for this request or None. transport=False (inside $batch) limits the
        kinds to those a batch response can carry (throttle, http-503, http-500)."""
        with self.lock:
            if not self.specs:
                return None
            point, low = self.rng.random(), 0.0
            for kind, rate, op in self.specs:
                hit = low <= point < low + rate
                low += rate
                if hit and (op is None or op == operation):
                    if transport or kind in ("throttle", "http-503", "http-500"):
                        return kind
            return None
