"""HTTP/1.1 front end: routing, authentication (auth.py), impersonation, fault injection,
schema validation of requests and responses, statistics and the request log.

POST /EWS/Exchange.asmx  SOAP 1.1 (no SOAPAction needed), --auth schemes, keep-alive.
POST /TENANT/oauth2/v2.0/token  Entra-ID-shaped token endpoint (--auth bearer; entra.py)
GET  /sim/mailboxes/ADDR  inspection dump (JSON)            } loopback clients only,
GET  /sim/stats           request counts (JSON)             } no authentication
GET  /sim/subscriptions   streaming subscriptions held (JSON, ops_notify.py)
GET  /sim/faults, POST /sim/faults (body: fault specs, one per line; replaces the set)
GET  /sim/item-faults, POST /sim/item-faults (per-item faults CODE:SUBJECT, item_faults.py)
"""

import json
import re
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import auth as auth_mod
import dump
import faults as faults_mod
import item_faults
import flavor as flavor_mod
import ops_attach
import ops_create
import ops_delete
import ops_expand
import ops_find
import ops_get
import ops_notify
import ops_sync
import ops_update
import soap
import timeutil
from ops_common import OpContext
from soap import EwsError, SoapFault, m, t

EWS_PATH = "/ews/exchange.asmx"
MAX_BODY = 64 * 1024 * 1024

OPERATIONS = {
    "FindItem": ops_find.find_item,
    "GetItem": ops_get.get_item,
    "GetFolder": ops_get.get_folder,
    "CreateItem": ops_create.create_item,
    "UpdateItem": ops_update.update_item,
    "DeleteItem": ops_delete.delete_item,
    "CreateAttachment": ops_attach.create_attachment,
    "DeleteAttachment": ops_attach.delete_attachment,
    "GetAttachment": ops_attach.get_attachment,
    "SyncFolderItems": ops_sync.sync_folder_items,
    "Subscribe": ops_notify.subscribe,
    "Unsubscribe": ops_notify.unsubscribe,
    "GetStreamingEvents": ops_notify.get_streaming_events,
    "ExpandDL": ops_expand.expand_dl,
}

# Response message types whose schema requires m:Items (or m:Attachments) even on error.
ERROR_CONTAINER = {"CreateItem": "Items", "GetItem": "Items", "UpdateItem": "Items",
                   "CreateAttachment": "Attachments", "GetAttachment": "Attachments"}
NEEDS_ITEMS = {op for op, name in ERROR_CONTAINER.items() if name == "Items"}

ERROR_PAGE = {
    500: b"<html><head><title>500 - Internal server error.</title></head><body>"
         b"<h2>500 - Internal server error.</h2></body></html>",
    503: b"<html><head><title>Service Unavailable</title></head><body>"
         b"<h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is unavailable.</p>"
         b"</body></html>",
}


class Stats:
    """Counters for /sim/stats; benchmarks and tests read them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.operations = {}
        self.mailboxes = {}
        self.response_codes = {}
        self.faults = {}
        self.http_status = {}
        self.unauthorized = 0
        self.auth_failures = 0  # failed logons and expired tokens, not handshake steps
        self.auth_rejected = {}  # 401s by auth.py's reason
        self.invalid_requests = 0
        self.invalid_responses = 0
        self.internal_errors = 0
        self.stray_responses = 0

    @staticmethod
    def _bump(table, key, n=1):
        table[key] = table.get(key, 0) + n

    def as_dict(self):
        with self.lock:
            return {"requests": self.requests, "operations": dict(self.operations),
                    "mailboxes": dict(self.mailboxes),
                    "response_codes": dict(self.response_codes),
                    "faults_injected": dict(self.faults),
                    "http_status": dict(self.http_status),
                    "unauthorized": self.unauthorized,
                    "auth_failures": self.auth_failures,
                    "auth_rejected": dict(self.auth_rejected),
                    "invalid_requests": self.invalid_requests,
                    "invalid_responses": self.invalid_responses,
                    "internal_errors": self.internal_errors,
                    "stray_responses": self.stray_responses}


class Simulator:
    """Everything the handlers share: store, accounts, faults, validator, stats, log."""

    stray_after_fault = False  # --stray-response-after-fault (see StrayResponses)

    def __init__(self, store, impersonators, plan, validator=None, backoff_ms=200,
                 hang_seconds=30.0, log_file=None, log_bodies=False):
        self.store = store
        self.impersonators = impersonators  # lower-case user -> password
        self.plan = plan
        self.validator = validator
        self.backoff_ms = backoff_ms
        self.hang_seconds = hang_seconds
        self.stats = Stats()
        self.log_file = log_file
        self.log_bodies = log_bodies
        self.log_lock = threading.Lock()
        self.stopping = threading.Event()
        self.auth = auth_mod.Authenticator(self, ["basic"])  # __main__ sets --auth's

    # --- authentication -------------------------------------------------------------------

    def acting_mailbox(self, principal, request, anchor=None, affinity=False):
        """Resolve t:ExchangeImpersonation; SoapFault where Exchange refuses."""
        imp = request.header_child("ExchangeImpersonation")
        if imp is None and principal[0] == "app":
            raise SoapFault("ErrorInvalidExchangeImpersonationHeaderData",
                            auth_mod.app_anchor_problem(principal, anchor, None))
        if imp is None:
            return principal[1] if principal[0] == "mailbox" else None
        sid = imp.find(t("ConnectingSID"))
        target = None
        if sid is not None:
            for name in ("PrimarySmtpAddress", "SmtpAddress", "PrincipalName"):
                value = sid.findtext(t(name))
                if value:
                    target = value.strip()
                    break
        if target is None:
            raise SoapFault("ErrorInvalidExchangeImpersonationHeaderData",
                            "The impersonation header names no SMTP address or principal "
                            "name the simulator can resolve.")
        if principal[0] == "mailbox":
            if target.lower() != principal[1].address.lower():
                raise SoapFault("ErrorImpersonateUserDenied")
            return principal[1]
        mbx = self.store.mailbox(target)
        if mbx is None:
            raise SoapFault("ErrorNonExistentMailbox")
        problem = auth_mod.app_anchor_problem(principal, anchor, mbx.address, affinity)
        if problem:
            raise SoapFault("ErrorInvalidRequest", problem)
        return mbx

    # --- one SOAP request -----------------------------------------------------------------

    def handle_soap(self, principal, body, anchor=None, routing=None, reply_headers=None):
        """-> (HTTP status, response bytes, op name, acting address, response codes).
        ROUTING: the affinity headers (ops_notify.Routing); REPLY_HEADERS: a list the
        operation may add response headers to (Set-Cookie)."""
        op_name = soap.peek_operation(body)
        acting = principal[1].address if principal[0] == "mailbox" else principal[1]
        try:
            if self.validator is not None:
                errors = self.validator.validate(body)
                if errors:
                    with self.stats.lock:
                        self.stats.invalid_requests += 1
                    # A document that is not even well-formed: the parser knows the line
                    # and position, as Exchange reports them.
                    soap.parse_request(body)
                    raise _schema_fault(errors)
            request = soap.parse_request(body)
            op_name = request.op_name
            mailbox = self.acting_mailbox(principal, request, anchor,
                                          routing is not None and routing.prefer)
            if mailbox is not None:
                acting = mailbox.address
            header_zone, header_zone_id = _timezone_context(request)
            handler = OPERATIONS.get(op_name)
            if handler is None:
                raise SoapFault("ErrorInvalidRequest",
                                "The simulator does not implement the %s operation."
                                % op_name)
            ctx = OpContext(self.store, mailbox, header_zone, header_zone_id)
            ctx.op_name = op_name  # per-item faults (item_faults.py) name an operation
            ctx.principal = principal  # who authenticated (subscriptions are theirs)
            ctx.routing = routing
            ctx.reply_headers = reply_headers if reply_headers is not None else []
            with self.store.lock:
                try:
                    messages = handler(ctx, request.op)
                except EwsError as err:
                    msg = soap.error_message(op_name, err)
                    if op_name in ERROR_CONTAINER:
                        ET.SubElement(msg, m(ERROR_CONTAINER[op_name]))
                    messages = [msg]
            if isinstance(messages, ops_notify.Stream):  # served by Handler._ews
                return 200, messages, op_name, acting, ["NoError"]
            response = soap.operation_response(op_name, messages)
            codes = [e.text for e in response.iter(m("ResponseCode"))]
            return 200, soap.envelope(response), op_name, acting, codes
        except SoapFault as fault:
            return 500, soap.fault_bytes(fault), op_name, acting, [fault.code]
        except flavor_mod.RawFault as fault:
            return fault.status, fault.body, op_name, acting, [fault.code]
        except Exception:  # a simulator bug: report it as Exchange reports its own
            with self.stats.lock:
                self.stats.internal_errors += 1
            sys.stderr.write("ewssim: internal error in %s:\n%s" % (op_name,
                                                                  traceback.format_exc()))
            sys.stderr.flush()
            fault = SoapFault("ErrorInternalServerError")
            return 500, soap.fault_bytes(fault), op_name, acting, [fault.code]

    def busy_fault(self):
        return SoapFault("ErrorServerBusy",
                         message_xml=[("Value", str(self.backoff_ms),
                                       {"Name": "BackOffMilliseconds"})])

    def busy_message(self, op_name):
        err = EwsError("ErrorServerBusy", values=[("BackOffMilliseconds", self.backoff_ms)])
        msg = soap.error_message(op_name, err)
        if op_name in ERROR_CONTAINER:
            ET.SubElement(msg, m(ERROR_CONTAINER[op_name]))
        return soap.envelope(soap.operation_response(op_name, [msg]))

    def check_response(self, data, op_name):
        """Validate an outgoing envelope; an invalid one is a simulator bug, said loudly."""
        if self.validator is None:
            return
        errors = self.validator.validate(self.store.flavor.schema_view(data))
        if errors:
            with self.stats.lock:
                self.stats.invalid_responses += 1
            sys.stderr.write("ewssim: BUG: the %s response does not validate against "
                             "ews-envelope-strict.xsd:\n  %s\n--- response ---\n%s\n---\n"
                             % (op_name, "\n  ".join(errors[:10]),
                                data.decode("utf-8", "replace")))
            sys.stderr.flush()

    def log(self, **fields):
        if self.log_file is None:
            return
        bodies = {k: fields.pop(k) for k in ("request_body", "response_body") if k in fields}
        # "time" has the wire's whole seconds; "epoch" (Unix time, ms) times retries.
        fields["epoch"] = round(time.time(), 3)
        line = json.dumps(fields, sort_keys=True)
        with self.log_lock:
            self.log_file.write(line + "\n")
            if self.log_bodies:
                for k, v in bodies.items():
                    self.log_file.write("%s:\n%s\n" % (k, v.decode("utf-8", "replace")))
            self.log_file.flush()


def _schema_fault(errors):
    first = errors[0]
    match = re.match(r"(?:not well-formed XML: )?line (\d+): (.*)", first)
    line = int(match.group(1)) if match else 0
    violation = match.group(2).strip() if match else first
    return soap.schema_fault(violation, line, 0)


def _timezone_context(request):
    tzc = request.header_child("TimeZoneContext")
    if tzc is None:
        return None, None
    tzd = tzc.find(t("TimeZoneDefinition"))
    zone_id = tzd.get("Id") if tzd is not None else None
    if not zone_id:
        return None, None
    try:
        return timeutil.zone_for_windows_id(zone_id), zone_id
    except KeyError:
        raise SoapFault("ErrorTimeZone", "The time zone '%s' is not known." % zone_id)


def _is_loopback(address):
    return address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this

    @property
    def sim(self):
        return self.server.sim

    def log_message(self, fmt, *args):  # the request log is written by Simulator.log
        pass

    # --- plumbing ---------------------------------------------------------------------------

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def setup(self):
        super().setup()
        self.auth_conn = auth_mod.Connection()  # what this TCP connection has proven
        self.auth_reply = []  # headers auth.py adds to the next response
        # Responses go out in one write and without Nagle's delay: a keep-alive client that
        # waits for the rest of a response must not wait for a delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self):
        # RFC 9112 section 2.2: a server should ignore empty lines received before a
        # request line (clients and capture files leave CRLFs after a body).
        try:
            while self.rfile.peek(1)[:1] in (b"\r", b"\n"):
                self.rfile.read(1)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        super().handle_one_request()

    def _send(self, status, body, content_type="text/xml; charset=utf-8", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra.items() if isinstance(extra, dict) else extra or ()):
            self.send_header(k, v)
        for k, v in self.auth_reply:
            self.send_header(k, v)
        self.auth_reply = []
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def _json(self, status, obj):
        self._send(status, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode(),
                   "application/json")

    def _head_bytes(self, status, length, content_type="text/xml; charset=utf-8"):
        return ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                "Server: %s\r\n\r\n" % (status, self.responses.get(status, ("",))[0],
                                        content_type, length, self.server_version)).encode()

    # --- routes -----------------------------------------------------------------------------

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/sim/"):
            return self._sim_get(path)
        if path.lower() == EWS_PATH:
            return self._send(405, b"Method Not Allowed", "text/plain",
                              {"Allow": "POST"})
        self._send(404, b"Not Found", "text/plain")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            return self._send(413, b"Request Entity Too Large", "text/plain")
        if path.startswith("/sim/"):
            return self._sim_post(path, body)
        if self.sim.auth.tokens is not None and path.endswith("/oauth2/v2.0/token"):
            return self._token(path, body)
        if path.lower() != EWS_PATH:
            return self._send(404, b"Not Found", "text/plain")
        self._ews(body)

    def _local_only(self):
        if not _is_loopback(self.client_address[0]):
            self._send(403, b"Forbidden", "text/plain")
            return False
        return True

    def _sim_get(self, path):
        if not self._local_only():
            return
        sim = self.sim
        if path == "/sim/stats":
            return self._json(200, sim.stats.as_dict())
        answer = ops_notify.inspect(sim.store, path)
        if answer is not None:
            return self._json(*answer)
        if path == "/sim/faults":
            return self._json(200, [s.as_dict() for s in sim.plan.specs()])
        if path == "/sim/item-faults":
            return self._json(200, item_faults.of(sim.store).specs())
        if path.startswith("/sim/mailboxes/"):
            address = urllib.parse.unquote(path[len("/sim/mailboxes/"):])
            with sim.store.lock:
                mbx = sim.store.mailbox(address)
                if mbx is None:
                    return self._json(404, {"error": "no mailbox %s" % address})
                data = dump.mailbox_dict(sim.store, mbx)
            return self._json(200, data)
        self._send(404, b"Not Found", "text/plain")

    def _sim_post(self, path, body):
        if not self._local_only():
            return
        answer = ops_notify.control(self.sim.store, path, body)
        if answer is not None:
            return self._json(*answer)
        if path == "/sim/faults":
            try:
                specs = faults_mod.parse_lines(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                return self._json(400, {"error": str(exc)})
            self.sim.plan.replace(specs)
            return self._json(200, [s.as_dict() for s in specs])
        if path == "/sim/item-faults":
            try:
                specs = item_faults.parse_lines(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                return self._json(400, {"error": str(exc)})
            item_faults.of(self.sim.store).replace(specs)
            return self._json(200, item_faults.of(self.sim.store).specs())
        if path == "/sim/revoke-tokens" and self.sim.auth.tokens is not None:
            self.sim.auth.tokens.revoke_all()
            return self._json(200, {"revoked": True})
        self._send(404, b"Not Found", "text/plain")

    # --- EWS --------------------------------------------------------------------------------

    def _ews(self, body):
        sim = self.sim
        started = time.monotonic()
        outcome = sim.auth.check(self.auth_conn, self.headers.get("Authorization"))
        principal = outcome.principal
        if principal is None:
            return self._unauthorized(outcome, body)
        # Negotiate's mutual-authentication token goes out with the response, whatever it is.
        self.auth_reply = list(outcome.headers)
        op_guess = soap.peek_operation(body)
        fault = sim.plan.draw(op_guess)
        user = principal[1].address if principal[0] == "mailbox" else principal[1]

        if fault in faults_mod.BEFORE:
            if fault == "server-busy":
                status, data, codes = 500, soap.fault_bytes(sim.busy_fault()), \
                    ["ErrorServerBusy"]
                ctype = "text/xml; charset=utf-8"
            elif fault == "server-busy-message" and op_guess in OPERATIONS:
                status, data, codes = 200, sim.busy_message(op_guess), ["ErrorServerBusy"]
                ctype = "text/xml; charset=utf-8"
            elif fault == "server-busy-message":
                status, data, codes = 500, soap.fault_bytes(sim.busy_fault()), \
                    ["ErrorServerBusy"]
                ctype = "text/xml; charset=utf-8"
            else:
                status = 500 if fault == "http-500" else 503
                data, codes, ctype = ERROR_PAGE[status], [], "text/html"
            if ctype.startswith("text/xml"):
                sim.check_response(data, op_guess)
            self._stray.after(self, op_guess, status, data)
            self._account(op_guess, user, status, codes, fault)
            sim.log(time=timeutil.format_utc(timeutil.now()), status=status,
                    operation=op_guess, user=user, fault=fault,
                    ms=round((time.monotonic() - started) * 1000, 1),
                    request_body=body, response_body=data)
            return self._send(status, data, ctype)

        status, data, op_name, acting, codes = sim.handle_soap(
            principal, body, self.headers.get("X-AnchorMailbox"),
            ops_notify.Routing.of_headers(self.headers), self.auth_reply)
        if isinstance(data, ops_notify.Stream):
            self._account(op_name, acting, status, codes, None)
            # Logged when it opens (the response is the whole connection).
            sim.log(time=timeutil.format_utc(timeutil.now()), status=status,
                    operation=op_name, user=user, mailbox=acting, codes=codes, fault=None,
                    ms=round((time.monotonic() - started) * 1000, 1), request_body=body)
            return data.serve(self, lambda chunk: sim.check_response(chunk, op_name))
        sim.check_response(data, op_name)
        self._account(op_name, acting, status, codes, fault)
        sim.log(time=timeutil.format_utc(timeutil.now()), status=status, operation=op_name,
                user=user, mailbox=acting, codes=codes, fault=fault,
                ms=round((time.monotonic() - started) * 1000, 1),
                request_body=body, response_body=data)
        if fault is None:
            self._stray.after(self, op_name, status, data)
            self._send(status, data)
            return self._send_stray(sim.store.flavor.stray_response(status, data))
        self._deliver_badly(fault, status, data)

    def _send_stray(self, stray):
        """A flavor's unasked second response on the same connection (Gromox after a
        fault): a client that reuses the connection reads it as its next answer."""
        if stray is None:
            return
        with self.sim.stats.lock:
            Stats._bump(self.sim.stats.faults, "stray-response")
        try:
            self.wfile.write(stray)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _unauthorized(self, outcome, body):
        sim = self.sim
        with sim.stats.lock:
            sim.stats.unauthorized += 1
            Stats._bump(sim.stats.http_status, "401")
            Stats._bump(sim.stats.auth_rejected, outcome.reason)
            if outcome.reason in auth_mod.FAILURES:
                sim.stats.auth_failures += 1
        sim.log(time=timeutil.format_utc(timeutil.now()), status=401,
                operation=soap.peek_operation(body), user=outcome.claimed,
                auth=outcome.reason)
        self._send(401, b"401 - Unauthorized: Access is denied due to invalid "
                   b"credentials.", "text/html", outcome.headers)

    def _token(self, path, body):
        """The token endpoint (entra.py); logged as operation "token"."""
        import entra
        tenant = path.split("/")[1]
        url = "http://%s%s" % (self.headers.get("Host", ""), path)
        try:
            client_id, answer = self.sim.auth.tokens.issue(tenant, url, body)
            status = 200
        except entra.TokenError as err:
            client_id, status, answer = None, err.status, err.body()
        self.sim.log(time=timeutil.format_utc(timeutil.now()), status=status,
                     operation="token", user=client_id, tenant=tenant,
                     error=answer.get("error"))
        self._send(status, json.dumps(answer).encode(), "application/json; charset=utf-8",
                   {"Cache-Control": "no-store", "Pragma": "no-cache"})

    @property
    def _stray(self):
        if getattr(self, "_stray_state", None) is None:
            self._stray_state = StrayResponses()
        return self._stray_state

    def _account(self, op_name, acting, status, codes, fault):
        stats = self.sim.stats
        with stats.lock:
            stats.requests += 1
            Stats._bump(stats.operations, op_name or "(unknown)")
            Stats._bump(stats.mailboxes, (acting or "(none)").lower())
            Stats._bump(stats.http_status, str(status))
            for code in codes:
                Stats._bump(stats.response_codes, code)
            if fault:
                Stats._bump(stats.faults, fault)

    def _deliver_badly(self, fault, status, data):
        """The faults that strike after the request was processed."""
        self.close_connection = True
        if fault == "hang":
            self.sim.stopping.wait(self.sim.hang_seconds)
            return
        if fault == "drop":
            try:  # FIN, no byte of the response: the request was processed all the same
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault == "malformed":
            cut = data[:max(1, len(data) // 2)]
            broken = cut + b"<</not-xml"
            return self._send(200, broken)
        head = self._head_bytes(status, len(data))
        half = data[:len(data) // 2]
        try:
            self.wfile.write(head + half)
            self.wfile.flush()
            if fault == "reset":
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:  # truncate: a clean close before Content-Length bytes were sent
                self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class StrayResponses:
    """--stray-response-after-fault: grommunio Gromox, after a fault, writes a second HTTP
    response on the same connection. Modelled deterministically: the next request on a
    connection that carried a SOAP fault (HTTP 500) first gets a stray copy of the last
    successful response to the same operation (any mailbox's), then its own. A client that
    reuses such a connection takes the stray response as its reply, and every later reply
    on that connection as the reply to the request after it. stats.stray_responses counts
    the stray responses written."""

    last_ok = {}  # operation -> the last HTTP 200 body sent for it, shared by connections
    lock = threading.Lock()

    def __init__(self):
        self.poisoned = False

    def after(self, handler, op_name, status, data):
        """Called with each EWS response just before it is sent on HANDLER's connection."""
        sim = handler.sim
        if not sim.stray_after_fault:
            return
        with StrayResponses.lock:
            stray = StrayResponses.last_ok.get(op_name)
            if status == 200:
                StrayResponses.last_ok[op_name] = data
        if self.poisoned:
            self.poisoned = False
            body = stray if stray is not None else data
            try:
                handler.wfile.write(handler._head_bytes(200, len(body)) + body)
            except OSError:
                return
            with sim.stats.lock:
                sim.stats.stray_responses += 1
        if status == 500:
            self.poisoned = True


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connection attempts when a client opens
    # several at once (meetingd does, up to max_concurrent_requests); each drop costs the
    # client a one-second SYN retry.
    request_queue_size = 128

    def __init__(self, address, sim):
        self.sim = sim
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        # Clients vanishing mid-request (fault tests do it on purpose) are not errors.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)
