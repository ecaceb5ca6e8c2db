"""Run the EWS simulator as a subprocess and talk SOAP to it (for unittest-based tests).

    import simharness as h
    h.skip_without_schema()                       # exit 77 if the schema kit is missing
    sim = h.Sim(mailboxes=["org@example.com", "att@example.com:secret"],
                impersonators=["svc@example.com:svcpw"]).start()
    resp = sim.post(h.envelope("<m:GetFolder>...</m:GetFolder>"), "org@example.com")
    resp.status, resp.root (parsed XML), h.response_messages(resp.root)
    sim.mailbox("att@example.com")                # inspection dump (JSON)
    sim.set_faults(["http-503:1:FindItem"])       # runtime fault set; [] clears
    sim.wait_until(lambda: sim.mailbox("att@example.com")["sentitems"])
    sim.stop()                                    # AssertionError if the simulator sent
                                                  # an invalid response or crashed

The simulator always runs with --validate unless validate=False; stop() fails when
/sim/stats reports invalid_responses or internal_errors, so a test cannot pass while the
simulator misbehaves. Connections are HTTP/1.1 keep-alive, one per (thread, user).
"""

import base64
import http.client
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
import unittest
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_DIR = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(os.path.dirname(SIM_DIR))
sys.path.insert(1, os.path.join(os.path.dirname(SIM_DIR), "simlib"))

import schemakit  # noqa: E402

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
M_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
T_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
E_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"
NS = {"s": SOAP_NS, "m": M_NS, "t": T_NS, "e": E_NS}
DEFAULT_PASSWORD = "password"


def schema_dir():
    """$MEETINGD_SCHEMA_DIR (set by ctest) or ../shared/ews-schema from the repo root."""
    return schemakit.kit_dir("MEETINGD_SCHEMA_DIR", "ews-schema")


def skip_without_schema():
    """Exit 77 (ctest: skipped) with a reason if the schema kit is absent."""
    schemakit.skip_unless_file(os.path.join(schema_dir(), "ews-envelope-strict.xsd"),
                               "EWS schema kit not found at %s (set MEETINGD_SCHEMA_DIR); "
                               "the simulator cannot validate without it" % schema_dir())


def m(name):
    return "{%s}%s" % (M_NS, name)


def t(name):
    return "{%s}%s" % (T_NS, name)


class Response:
    """An HTTP response; root is the parsed XML (None if the body is not XML)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.root = ET.fromstring(body) if body.lstrip().startswith(b"<") else None
        except ET.ParseError:
            self.root = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def fault(self):
        """The soap:Fault element, or None."""
        if self.root is None:
            return None
        return self.root.find("s:Body/s:Fault", NS)

    def fault_code(self):
        """e:ResponseCode of a fault (e.g. 'ErrorServerBusy'), or None."""
        f = self.fault
        return f.findtext("detail/e:ResponseCode", namespaces=NS) if f is not None else None

    def messages(self):
        return response_messages(self.root)

    def message(self, index=0):
        return self.messages()[index]

    def codes(self):
        return [code(msg) for msg in self.messages()]

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.body[:300])


def envelope(body, header=None, version="Exchange2013_SP1", impersonate=None,
             timezone=None):
    """A SOAP request with m:, t: prefixes; body/header are XML fragments (str)."""
    hdr = ['<t:RequestServerVersion Version="%s"/>' % version] if version else []
    if impersonate:
        hdr.append("<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>%s"
                   "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
                   % escape(impersonate))
    if timezone:
        hdr.append('<t:TimeZoneContext><t:TimeZoneDefinition Id="%s"/></t:TimeZoneContext>'
                   % escape(timezone))
    if header:
        hdr.append(header)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<soap:Envelope xmlns:soap="%s" xmlns:m="%s" xmlns:t="%s">'
            "<soap:Header>%s</soap:Header><soap:Body>%s</soap:Body></soap:Envelope>"
            % (SOAP_NS, M_NS, T_NS, "".join(hdr), body)).encode("utf-8")


def response_messages(root):
    """The m:*ResponseMessage elements of a response envelope."""
    if root is None:
        return []
    body = root.find("s:Body", NS)
    if body is None or not len(body):
        return []
    msgs = body[0].find("m:ResponseMessages", NS)
    return list(msgs) if msgs is not None else []


def code(msg):
    return msg.findtext("m:ResponseCode", namespaces=NS)


def items_of(msg):
    """Item elements of a GetItem/CreateItem/UpdateItem message or FindItem RootFolder."""
    container = msg.find("m:Items", NS)
    if container is None:
        container = msg.find("m:RootFolder/t:Items", NS)
    return list(container) if container is not None else []


def item_id(elem):
    """(Id, ChangeKey) of an item element's t:ItemId."""
    iid = elem.find("t:ItemId", NS)
    return iid.get("Id"), iid.get("ChangeKey")


def local(tag):
    return tag.rsplit("}", 1)[-1]


class Sim:
    """The simulator as a subprocess; see module docstring."""

    def __init__(self, mailboxes=(), impersonators=(), faults=(), seed=None, backoff_ms=None,
                 hang_seconds=None, validate=True, extra_args=(), log=None):
        self.args = [sys.executable, SIM_DIR, "--listen", "127.0.0.1:0"]
        self.passwords = {}
        for spec in mailboxes:
            self.args += ["--mailbox", spec]
            named = re.match(r"^\s*[^<]*<([^>]+)>\s*(?::(.*))?$", spec)
            if named:
                address, password = named.group(1), named.group(2)
            else:
                address, sep, password = spec.partition(":")
                password = password if sep else None
            self.passwords[address.strip().lower()] = \
                DEFAULT_PASSWORD if password is None else password
        for spec in impersonators:
            self.args += ["--impersonator", spec]
            user, _, password = spec.partition(":")
            self.passwords[user.lower()] = password
        for spec in faults:
            self.args += ["--fault", spec]
        if seed is not None:
            self.args += ["--seed", str(seed)]
        if backoff_ms is not None:
            self.args += ["--backoff-ms", str(backoff_ms)]
        if hang_seconds is not None:
            self.args += ["--hang-seconds", str(hang_seconds)]
        if validate:
            self.args += ["--validate", schema_dir()]
        if log:
            self.args += ["--log", log, "--log-bodies"]
        self.args += list(extra_args)
        self.proc = None
        self.host = None
        self.port = None
        self._local = threading.local()
        self._all_conns = []  # every connection of every thread, closed by stop()
        self._conns_lock = threading.Lock()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, timeout=20):
        """Start the subprocess and wait for its 'listening on http://HOST:PORT' line."""
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=None,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        if not line.startswith(b"listening on http://"):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("simulator did not start (%r, exit %s): %s"
                               % (line, self.proc.returncode, " ".join(self.args)))
        hostport = line.decode().strip()[len("listening on http://"):]
        host, _, port = hostport.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        return self

    @property
    def url(self):
        return "http://%s:%d/EWS/Exchange.asmx" % (self.host, self.port)

    def stop(self, check=True):
        """Stop the simulator; with check, fail if it sent an invalid response or crashed."""
        if self.proc is None:
            return
        stats = None
        if check and self.proc.poll() is None:
            stats = self.stats()
        self._close_connections()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc = None
        if stats is not None:
            if stats["invalid_responses"]:
                raise AssertionError("the simulator sent %d response(s) that do not validate "
                                     "(see its stderr)" % stats["invalid_responses"])
            if stats["internal_errors"]:
                raise AssertionError("the simulator hit %d internal error(s) (see its stderr)"
                                     % stats["internal_errors"])

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop(check=exc[0] is None)

    # --- HTTP -------------------------------------------------------------------------------

    def _conn(self, key):
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get(key)
        if conn is None:
            conn = conns[key] = http.client.HTTPConnection(self.host, self.port, timeout=60)
            with self._conns_lock:
                self._all_conns.append(conn)
        return conn

    def _drop(self, key, conn):
        conn.close()
        self._local.conns.pop(key, None)
        with self._conns_lock:
            if conn in self._all_conns:
                self._all_conns.remove(conn)

    def _close_connections(self):
        with self._conns_lock:
            for conn in self._all_conns:
                conn.close()
            self._all_conns = []
        self._local.conns = {}

    def request(self, method, path, body=None, headers=None, key="anon"):
        """One HTTP exchange on a keep-alive connection; reconnects once if it went stale."""
        for attempt in (0, 1):
            conn = self._conn(key)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self._drop(key, conn)
                return Response(resp.status, resp.getheaders(), data)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop(key, conn)
                if attempt:
                    raise

    def post(self, body, user=None, password=None, headers=None):
        """POST a SOAP body to /EWS/Exchange.asmx with Basic auth as user (no SOAPAction)."""
        hdrs = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"}
        if user is not None:
            if password is None:
                password = self.passwords.get(user.lower(), DEFAULT_PASSWORD)
            token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
            hdrs["Authorization"] = "Basic " + token
        hdrs.update(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.request("POST", "/EWS/Exchange.asmx", body, hdrs, key=user or "anon")

    def stats(self):
        return json.loads(self.request("GET", "/sim/stats").body)

    def mailbox(self, address):
        """Inspection dump of a mailbox: {folder: [item dict, ...]}."""
        resp = self.request("GET", "/sim/mailboxes/" + address)
        if resp.status != 200:
            raise KeyError("no mailbox %s (%d)" % (address, resp.status))
        return json.loads(resp.body)

    def wait_until(self, predicate, timeout=10.0, interval=0.05, what="condition"):
        """Poll predicate() (e.g. over self.mailbox(...)) until it returns a true value,
        which is returned; AssertionError after timeout seconds (e2e tests wait for the
        daemon this way)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
            time.sleep(interval)

    def set_faults(self, specs):
        """Replace the fault set (list of 'KIND:RATE[:OPERATION]'); [] clears it."""
        resp = self.request("POST", "/sim/faults", "\n".join(specs).encode())
        if resp.status != 200:
            raise ValueError(resp.body.decode())
        return json.loads(resp.body)


    def set_item_faults(self, faults):
        """Replace the per-item faults (list of (subject, operation, code)); [] clears them."""
        body = "\n".join("%s@%s:%s" % (c, o, s) for s, o, c in faults)
        resp = self.request("POST", "/sim/item-faults", body.encode())
        if resp.status != 200:
            raise ValueError(resp.body.decode())
        return json.loads(resp.body)


class SimTestCase(unittest.TestCase):
    """A test class sharing one simulator over all its tests: the class declares MAILBOXES
    (addresses), and self.ews[address] talks EWS as each. The simulator is stopped (and
    checked for invalid responses) after the last test."""

    MAILBOXES = ()
    EXTRA_ARGS = ()  # more simulator options, e.g. ("--flavor", "gromox")

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(mailboxes=list(cls.MAILBOXES), extra_args=cls.EXTRA_ARGS).start()
        cls.ews = {u: Ews(cls.sim, u) for u in cls.MAILBOXES}

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def dump(self, user, folder, subject=""):
        """The items of USER's FOLDER (inspection endpoint) whose subject contains SUBJECT."""
        return [i for i in self.sim.mailbox(user)[folder] if subject in (i["subject"] or "")]


class Ews:
    """Small EWS client helpers on top of Sim.post for one user (tests and e2e setup)."""

    def __init__(self, sim, user, password=None, impersonate=None, timezone=None):
        self.sim = sim
        self.user = user
        self.password = password
        self.impersonate = impersonate
        self.timezone = timezone

    def call(self, body, expect_status=200):
        resp = self.sim.post(envelope(body, impersonate=self.impersonate,
                                      timezone=self.timezone), self.user, self.password)
        if expect_status is not None and resp.status != expect_status:
            raise AssertionError("HTTP %d (expected %d): %s" % (resp.status, expect_status,
                                                                resp.body[:2000]))
        return resp

    def ok(self, body):
        """Call and require every response message to be NoError; return the messages."""
        resp = self.call(body)
        msgs = resp.messages()
        bad = [code(x) for x in msgs if code(x) != "NoError"]
        if bad or not msgs:
            raise AssertionError("EWS error %s: %s" % (bad, resp.body[:2000]))
        return msgs

    @staticmethod
    def attendees_xml(tag, addresses):
        if not addresses:
            return ""
        return "<t:%s>%s</t:%s>" % (tag, "".join(
            "<t:Attendee><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox>"
            "</t:Attendee>" % escape(a) for a in addresses), tag)

    def create_meeting(self, subject, start, end, required=(), optional=(), resources=(),
                       send="SendToAllAndSaveCopy", location=None, body=None, extra=""):
        """CreateItem of a CalendarItem; returns (Id, ChangeKey)."""
        xml = ("<m:CreateItem SendMeetingInvitations=\"%s\"><m:SavedItemFolderId>"
               "<t:DistinguishedFolderId Id=\"calendar\"/></m:SavedItemFolderId><m:Items>"
               "<t:CalendarItem><t:Subject>%s</t:Subject>" % (send, escape(subject)))
        if body is not None:
            xml += '<t:Body BodyType="Text">%s</t:Body>' % escape(body)
        xml += "<t:Start>%s</t:Start><t:End>%s</t:End>" % (start, end)
        if location is not None:
            xml += "<t:Location>%s</t:Location>" % escape(location)
        xml += self.attendees_xml("RequiredAttendees", required)
        xml += self.attendees_xml("OptionalAttendees", optional)
        xml += self.attendees_xml("Resources", resources)
        xml += extra + "</t:CalendarItem></m:Items></m:CreateItem>"
        msg = self.ok(xml)[0]
        return item_id(items_of(msg)[0])

    def find(self, folder, shape="AllProperties", restriction="", view="", extra_props=()):
        """FindItem in a distinguished folder; returns the item elements."""
        props = ""
        if extra_props:
            props = "<t:AdditionalProperties>%s</t:AdditionalProperties>" % "".join(
                '<t:FieldURI FieldURI="%s"/>' % p for p in extra_props)
        xml = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>%s</t:BaseShape>%s'
               "</m:ItemShape>%s%s<m:ParentFolderIds><t:DistinguishedFolderId Id=\"%s\"/>"
               "</m:ParentFolderIds></m:FindItem>" % (shape, props, view,
                                                      ("<m:Restriction>%s</m:Restriction>"
                                                       % restriction) if restriction else "",
                                                      folder))
        return items_of(self.ok(xml)[0])

    def get(self, ids, shape="AllProperties"):
        """GetItem of [(Id, ChangeKey) or Id]; returns the item elements (all must exist)."""
        if not ids:
            return []
        xml = "".join('<t:ItemId Id="%s"/>' % escape(i if isinstance(i, str) else i[0])
                      for i in ids)
        msgs = self.ok("<m:GetItem><m:ItemShape><t:BaseShape>%s</t:BaseShape></m:ItemShape>"
                       "<m:ItemIds>%s</m:ItemIds></m:GetItem>" % (shape, xml))
        return [items_of(x)[0] for x in msgs]

    def respond(self, kind, item, disposition="SendAndSaveCopy", body=None):
        """CreateItem with AcceptItem / TentativelyAcceptItem / DeclineItem; the messages."""
        iid = item if isinstance(item, str) else item[0]
        inner = ('<t:Body BodyType="Text">%s</t:Body>' % escape(body)) if body else ""
        return self.call('<m:CreateItem MessageDisposition="%s"><m:Items><t:%s>%s'
                         '<t:ReferenceItemId Id="%s"/></t:%s></m:Items></m:CreateItem>'
                         % (disposition, kind, inner, escape(iid), kind)).messages()


def render_everything(sim, users, window=None):
    """Fetch every item of every folder of users in every shape (FindItem and GetItem,
    AllProperties, Default, Text and HTML bodies) and, given window=(start, end), a
    CalendarView with AllProperties. Any response that does not validate makes the
    simulator count it, and Sim.stop() then fails: a sweep for rendering bugs."""
    for user in users:
        ews = Ews(sim, user)
        for folder in ("inbox", "calendar", "sentitems", "deleteditems", "drafts"):
            for shape in ("AllProperties", "Default"):
                found = ews.find(folder, shape=shape)
            ids = [item_id(i) for i in found]
            for body_type in ("Best", "Text", "HTML"):
                if ids:
                    ews.ok("<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>"
                           "<t:BodyType>%s</t:BodyType></m:ItemShape><m:ItemIds>%s"
                           "</m:ItemIds></m:GetItem>" % (body_type, "".join(
                               '<t:ItemId Id="%s"/>' % i for i, _ in ids)))
        if window:
            occurrences = items_of(ews.ok(
                '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties'
                '</t:BaseShape></m:ItemShape><m:CalendarView StartDate="%s" EndDate="%s"/>'
                '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/>'
                "</m:ParentFolderIds></m:FindItem>" % window)[0])
            if occurrences:
                ews.get([item_id(i) for i in occurrences])

