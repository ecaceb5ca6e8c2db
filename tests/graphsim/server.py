"""HTTP framing: bearer check, throttling and faults, JSON validation, $batch, /sim endpoints."""

import collections
import datetime as dt
import http.server
import json
import math
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

import api
import faults as faultmod
import render
import routes
import entra
from schema import SchemaError
from store import GraphError

MAX_BATCH = 20
BUDGET_WINDOW = 600


def bearer_claims(issuer, authorization):
    """The claims of the bearer token Graph was sent, or entra.InvalidToken saying why not."""
    if not authorization or not authorization.startswith("Bearer "):
        raise entra.InvalidToken("Access token is empty.")
    try:
        return issuer.check_access_token(authorization[7:].strip(), entra.GRAPH_AUDIENCE)
    except entra.InvalidToken as exc:
        if exc.expired:
            raise entra.InvalidToken("Lifetime validation failed, the token is expired.", True)
        raise entra.InvalidToken("Access token validation failure: %s." % exc)


class GraphApp:
    def __init__(self, store, issuer, schema, faults, retry_after, concurrency, hang_seconds,
                 budget=10000):
        self.store, self.issuer, self.schema, self.faults = store, issuer, schema, faults
        self.retry_after, self.concurrency = retry_after, concurrency
        self.budget = budget                        # requests per app and mailbox per window
        self.recent = collections.defaultdict(collections.deque)   # key -> request times
        self.hang_seconds = hang_seconds
        self.scheme = "http"
        self.in_flight = collections.Counter()
        self.flight_lock = threading.Lock()
        self.stats = {"requests": 0, "operations": collections.Counter(),
                      "mailboxes": collections.Counter(), "http_status": collections.Counter(),
                      "faults_injected": collections.Counter(), "unauthorized": 0,
                      "throttled": 0, "invalid_requests": 0, "invalid_responses": 0,
                      "internal_errors": 0, "batches": 0}
        self.stats_lock = threading.Lock()

    def count(self, key, sub=None):
        with self.stats_lock:
            if sub is None:
                self.stats[key] += 1
            else:
                self.stats[key][sub] += 1

    # ---- one Graph request (direct or inside $batch)
    def dispatch(self, method, target, headers, raw_body, base_url, transport, app_id=""):
        """(status, headers, JSON-able body or None, transport fault kind or None)."""
        parsed = urllib.parse.urlsplit(target)
        path = parsed.path
        if path.startswith("/v1.0"):
            path = path[5:]
        segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/") if s]
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        self.count("requests")
        found = routes.match(method, segments)
        if found is None:
            return self.error(GraphError(400, "BadRequest", "Resource not found for the "
                                         "segment '%s'." % "/".join(segments))) + (None,)
        name, handler, check, user_key, ids = found
        self.count("operations", name)
        fault = self.faults.draw(name, transport)
        if fault in ("throttle", "http-503", "http-500"):
            self.count("faults_injected", fault)
            return self.fault_reply(fault) + (None,)
        wait = self.over_budget(app_id, user_key)
        if wait:
            self.count("throttled")
            return self.throttled("Application is over its MailboxRequests limit.",
                                  wait) + (None,)
        if not self.enter(user_key):
            self.count("throttled")
            return self.throttled("Application is over its MailboxConcurrency limit.") + (None,)
        try:
            reply = self.run(method, segments, query, headers, raw_body, base_url,
                             handler, check, user_key, ids)
        finally:
            self.leave(user_key)
        if fault:
            self.count("faults_injected", fault)
        return reply + (fault,)

    def run(self, method, segments, query, headers, raw_body, base_url, handler, check,
            user_key, ids):
        try:
            body = {}
            if method in ("POST", "PATCH") and raw_body.strip():
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    raise GraphError(400, "BadRequest", "Unable to read JSON request payload.")
            if method in ("POST", "PATCH") and not isinstance(body, dict):
                raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
            if check and self.schema is not None:
                self.check_request(body, check)
            req = api.Request(method, segments, query, headers, body, base_url)
            with self.store.lock:
                user = self.store.user(user_key)
                self.count("mailboxes", user.address)
                reply = handler(self.store, user, req, *ids)
        except GraphError as exc:
            return self.error(exc)
        except ValueError as exc:      # timeutil.TimeError and friends: the client's values
            return self.error(GraphError(400, "ErrorInvalidRequest", str(exc)))
        except Exception:
            self.count("internal_errors")
            traceback.print_exc(file=sys.stderr)
            return self.error(GraphError(500, "generalException", "internal error"))
        if reply.body is not None and self.schema is not None and reply.check:
            self.check_response(reply.body, reply.check)
        out = dict(reply.headers)
        if "immutableid" in headers.get("prefer", "").lower().replace('"', ""):
            out["Preference-Applied"] = 'IdType="ImmutableId"'
        return reply.status, out, reply.body

    def check_request(self, body, check):
        try:
            if "@" in check:
                action, binding = check.split("@")
                self.schema.check_action(body, action, binding)
            else:
                self.schema.check(body, check)
        except SchemaError as exc:
            self.count("invalid_requests")
            raise GraphError(400, "BadRequest", "Invalid request body: %s" % exc)

    def check_response(self, body, check):
        type_name, collection = check
        try:
            if collection:
                self.schema.check_collection(body, type_name)
            else:
                self.schema.check(body, type_name)
        except SchemaError as exc:
            self.count("invalid_responses")
            print("graphsim: invalid response: %s" % exc, file=sys.stderr, flush=True)

    # ---- throttling
    def enter(self, user_key):
        with self.flight_lock:
            key = (user_key or "").lower()
            if self.in_flight[key] >= self.concurrency:
                return False
            self.in_flight[key] += 1
            return True

    def over_budget(self, app_id, user_key):
        """Seconds to wait when this app used its budget on this mailbox in the last
        BUDGET_WINDOW seconds (Outlook's 10,000 requests per 10 minutes), else 0."""
        now = time.monotonic()
        with self.flight_lock:
            times = self.recent[(app_id, (user_key or "").lower())]
            while times and times[0] <= now - BUDGET_WINDOW:
                times.popleft()
            if len(times) >= self.budget:
                return max(1, math.ceil(times[0] + BUDGET_WINDOW - now))
            times.append(now)
            return 0

    def leave(self, user_key):
        with self.flight_lock:
            self.in_flight[(user_key or "").lower()] -= 1

    def throttled(self, message, wait=None):
        status, headers, body = self.error(GraphError(429, "ApplicationThrottled", message))
        headers["Retry-After"] = str(wait or self.retry_after)
        return status, headers, body

    def fault_reply(self, kind):
        if kind == "throttle":
            return self.throttled("Application is over its MailboxConcurrency limit.")
        if kind == "http-503":
            status, headers, body = self.error(GraphError(
                503, "ServiceUnavailable", "The service is temporarily unavailable."))
            headers["Retry-After"] = str(self.retry_after)
            return status, headers, body
        return self.error(GraphError(500, "generalException", "An internal server error "
                                     "occurred."))

    def error(self, exc):
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        request_id = str(uuid.uuid4())
        body = {"error": {"code": exc.code, "message": exc.message,
                          "innerError": {"date": now, "request-id": request_id,
                                         "client-request-id": request_id}}}
        if self.schema is not None:
            self.check_response(body, ("publicErrorResponse", False))
        return exc.status, {}, body

    # ---- $batch
    def batch(self, raw_body, headers, base_url, app_id=""):
        self.count("batches")
        try:
            body = json.loads(raw_body)
            requests = body["requests"]
            if not isinstance(requests, list):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return self.error(GraphError(400, "BadRequest", "Invalid batch payload."))
        if len(requests) > MAX_BATCH:
            return self.error(GraphError(400, "BadRequest", "The number of batch requests in "
                                         "the payload exceeds the limit of 20."))
        ids = [r.get("id") if isinstance(r, dict) else None for r in requests]
        if any(not isinstance(i, str) or not i for i in ids) or len(set(ids)) != len(ids):
            return self.error(GraphError(400, "BadRequest", "Every batch request needs a "
                                         "unique string id."))
        results, statuses = [], {}
        for item in requests:
            results.append(self.batch_item(item, headers, base_url, statuses, app_id))
        return 200, {}, {"responses": results}

    def batch_item(self, item, headers, base_url, statuses, app_id):
        rid, method, url = item["id"], item.get("method", ""), item.get("url", "")
        depends = item.get("dependsOn") or []
        if any(statuses.get(d, 424) >= 400 for d in depends):
            status, out, body = self.error(GraphError(424, "BadRequest",
                                                      "A request it depends on failed."))
        elif not isinstance(url, str) or url.startswith("http") or not method:
            status, out, body = self.error(GraphError(400, "BadRequest",
                                                      "A batch request needs method and a "
                                                      "relative url."))
        else:
            inner_headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
            inner_headers.setdefault("prefer", headers.get("prefer", ""))
            raw = json.dumps(item["body"]) if item.get("body") is not None else ""
            status, out, body, _ = self.dispatch(method.upper(), "/" + url.lstrip("/"),
                                                 inner_headers, raw, base_url, False, app_id)
        statuses[rid] = status
        result = {"id": rid, "status": status, "headers": out}
        if body is not None:
            result["body"] = body
            result["headers"] = dict(out, **{"Content-Type": "application/json"})
        return result

    # ---- /sim
    def sim(self, method, path, raw_body):
        if method == "GET" and path == "/sim/stats":
            with self.stats_lock:
                return 200, json.loads(json.dumps(self.stats))
        if path == "/sim/faults":
            if method == "POST":
                try:
                    specs = [faultmod.parse_spec(line) for line in raw_body.splitlines()
                             if line.strip() and not line.strip().startswith("#")]
                except faultmod.FaultSpecError as exc:
                    return 400, {"error": str(exc)}
                self.faults.replace(specs)
            return 200, {"faults": self.faults.describe()}
        if method == "GET" and path.startswith("/sim/mailboxes/"):
            return self.dump(urllib.parse.unquote(path[len("/sim/mailboxes/"):]))
        if method == "POST" and path == "/sim/delta/expire":
            try:
                body = json.loads(raw_body)
                code = body.get("code", "syncStateNotFound")
                if code not in ("syncStateNotFound", "resyncRequired"):
                    raise ValueError
                with self.store.lock:
                    user = self.store.user(body["mailbox"])
                    user.delta_generation += 1
                    user.delta_expired_code = code
            except (ValueError, KeyError, TypeError, AttributeError, GraphError):
                return 400, {"error": "want {\"mailbox\": ADDRESS, \"code\": "
                                      "syncStateNotFound|resyncRequired}"}
            return 200, {"mailbox": user.address, "generation": user.delta_generation}
        if method == "POST" and path == "/sim/tokens/revoke":
            self.issuer.revoke_all()
            return 200, {"revoked": True}
        return 404, {"error": "no such /sim endpoint"}

    def dump(self, address):
        with self.store.lock:
            try:
                user = self.store.user(address)
            except GraphError:
                return 404, {"error": "no mailbox %s" % address}
            out = {"id": user.id, "address": user.address,
                   "events": [render.event(e) for e in user.events.values()]}
            for folder in ("inbox", "sentitems", "deleteditems"):
                out[folder] = [render.message(user, m, True) for m in
                               sorted(user.messages.values(), key=lambda m: m["_seq"])
                               if m["_folder"] == folder]
            return 200, out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "graphsim"
    app = None   # set by make_server

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_PUT(self):
        self.handle_any("PUT")

    def handle_any(self, method):
        try:
            raw = self.read_body().decode("utf-8", "replace")
        except (ValueError, OSError):
            self.send(400, {}, {"error": "bad body framing"})
            return
        path = urllib.parse.urlsplit(self.path).path
        app = self.app
        if path.startswith("/sim/"):
            if self.client_address[0] not in ("127.0.0.1", "::1"):
                self.send(403, {}, {"error": "loopback only"})
                return
            status, body = app.sim(method, path, raw)
            self.send(status, {}, body)
            return
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            self.token(parts[0], raw)
            return
        if not path.startswith("/v1.0/"):
            self.send(404, {}, None)
            return
        try:
            claims = bearer_claims(app.issuer, self.headers.get("Authorization"))
        except entra.InvalidToken as exc:
            app.count("unauthorized")
            status, out, body = app.error(GraphError(401, "InvalidAuthenticationToken",
                                                     str(exc)))
            out["WWW-Authenticate"] = 'Bearer realm="", authorization_uri=' \
                '"https://login.microsoftonline.com/common/oauth2/authorize"'
            self.send(status, out, body)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        base_url = "%s://%s/v1.0" % (app.scheme, host)
        if method == "POST" and path.rstrip("/") == "/v1.0/$batch":
            status, out, body = app.batch(raw, headers, base_url, claims.get("appid", ""))
            fault = None
        else:
            status, out, body, fault = app.dispatch(method, self.path, headers, raw, base_url,
                                                    True, claims.get("appid", ""))
        app.count("http_status", str(status))
        self.send(status, out, body, fault)

    def token(self, tenant, raw):
        url = "%s://%s/%s/oauth2/v2.0/token" % (self.app.scheme, self.headers.get("Host", ""),
                                                tenant)
        try:
            _, body = self.app.issuer.issue(tenant, url, raw)
            self.send(200, {"Cache-Control": "no-store"}, body)
        except entra.TokenError as exc:
            self.send(exc.status, {}, exc.body())

    def send(self, status, headers, body, fault=None):
        data = b"" if body is None else json.dumps(body).encode()
        if fault == "malformed":
            data = b'{"value": [ {"id": "'
        if fault == "hang":
            time.sleep(self.app.hang_seconds)
            self.close_connection = True
            return
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; odata.metadata=minimal; "
                             "odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
        self.send_header("request-id", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "reset":
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(host, port, app):
    handler = type("BoundHandler", (Handler,), {"app": app})
    return Server((host, port), handler)
