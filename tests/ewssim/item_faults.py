"""Per-item faults: one item of a request fails alone, the others go through.

A spec is "CODE[@OPERATION]:SUBJECT". A response object of CreateItem (AcceptItem, DeclineItem,
RemoveItem, ...) whose referenced item, or an ItemChange of UpdateItem whose item, has a
subject containing SUBJECT is not processed: its ResponseMessage has ResponseClass="Error"
and ResponseCode CODE; the other items of the same request are processed as usual and get
their own messages, in order (what Exchange does for a batch). CODE must be a value of
m:ResponseCodeType in the schema kit's messages.xsd, so that the answer stays valid.

Without OPERATION a fault applies to CreateItem and UpdateItem. With it, it applies to that
operation only, and OPERATION may be any operation that addresses items by id (GetItem,
DeleteItem, ...: the item is failed where the operation resolves it). CODE "Client" refuses
the whole request instead, nothing done, with a bare SOAP Client fault in the flavor's form
(as grommunio Gromox refuses a request it cannot read).

Set at start with --item-fault CODE:SUBJECT (repeatable) or at run time with
POST /sim/item-faults (one spec per line, blank lines and #comments ignored; replaces the
set); GET /sim/item-faults lists them with how often each struck.
"""

import os
import threading
import xml.etree.ElementTree as ET

import faults
import flavor
import schema
from soap import EwsError

XS = "{http://www.w3.org/2001/XMLSchema}"
_codes = None


def response_codes():
    """The values of m:ResponseCodeType (messages.xsd of the schema kit)."""
    global _codes
    if _codes is None:
        top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = os.path.join(schema.default_schema_dir(top), "messages.xsd")
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as exc:
            raise ValueError("item faults need the schema kit's messages.xsd: %s" % exc) \
                from None
        found = set()
        for simple in root.iter(XS + "simpleType"):
            if simple.get("name") == "ResponseCodeType":
                found = {e.get("value") for e in simple.iter(XS + "enumeration")}
        _codes = found
    return _codes


DEFAULT_OPERATIONS = ("CreateItem", "UpdateItem")
OPERATIONS = DEFAULT_OPERATIONS + ("GetItem", "DeleteItem", "MoveItem", "CopyItem",
                                   "GetAttachment", "DeleteAttachment", "CreateAttachment")
CLIENT = "Client"  # not a ResponseCode: the whole request refused (see above)


class ItemFault:
    __slots__ = ("code", "operation", "subject", "hits")

    def __init__(self, code, operation, subject):
        self.code = code
        self.operation = operation
        self.subject = subject
        self.hits = 0

    def as_dict(self):
        return {"code": self.code, "operation": self.operation, "subject": self.subject,
                "hits": self.hits}


def parse_spec(text):
    """'CODE[@OPERATION]:SUBJECT' -> ItemFault; ValueError with a readable reason."""
    head, sep, subject = text.strip().partition(":")
    code, _, operation = head.partition("@")
    if not sep or not code or not subject:
        raise ValueError("item fault %r: expected CODE[@OPERATION]:SUBJECT" % text)
    if operation and operation not in OPERATIONS:
        raise ValueError("item fault %r: operation must be one of %s"
                         % (text, ", ".join(OPERATIONS)))
    if code != CLIENT and (code == "NoError" or code not in response_codes()):
        raise ValueError("item fault %r: %r is not an error of m:ResponseCodeType" % (text, code))
    return ItemFault(code, operation or None, subject)


def parse_lines(text):
    """A body of POST /sim/item-faults (as faults.parse_lines)."""
    return faults.parse_lines(text, parse_spec)


class ItemFaults:
    """The current per-item faults; thread-safe."""

    def __init__(self, specs=()):
        self._lock = threading.Lock()
        self._specs = list(specs)

    def replace(self, specs):
        with self._lock:
            self._specs = list(specs)

    def specs(self):
        with self._lock:
            return [s.as_dict() for s in self._specs]

    def code_for(self, operation, item, count=True):
        """The error code ITEM meets in OPERATION (CLIENT: the whole request), or None."""
        subject = getattr(item, "subject", None) or ""
        with self._lock:
            for spec in self._specs:
                if spec.operation is None and operation not in DEFAULT_OPERATIONS:
                    continue
                if spec.operation in (None, operation) and spec.subject in subject:
                    spec.hits += count
                    return spec.code
        return None


def fail(store, operation, item, count=True):
    """Raises what a per-item fault gives ITEM in OPERATION: EwsError for that item, or the
    flavor's SOAP Client fault for the whole request."""
    code = of(store).code_for(operation, item, count)
    if code == CLIENT:
        raise flavor.client_fault(store.flavor, "failed to process the item")
    if code is not None:
        raise EwsError(code)


def of(store):
    """The store's per-item faults (none until set)."""
    faults = getattr(store, "item_faults", None)
    if faults is None:
        faults = store.item_faults = ItemFaults()
    return faults
