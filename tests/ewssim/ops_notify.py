"""Streaming notifications: Subscribe, GetStreamingEvents, Unsubscribe.

Subscribe with m:StreamingSubscriptionRequest (FolderIds or SubscribeToAllFolders,
EventTypes) creates a subscription of the acting mailbox and answers its SubscriptionId.
Pull and push subscriptions are not modelled (ErrorInvalidSubscriptionRequest).

GetStreamingEvents names up to any number of SubscriptionIds and a ConnectionTimeout in
minutes (1-30). The answer is one HTTP response with Transfer-Encoding: chunked that stays
open: every chunk is a complete SOAP envelope with one GetStreamingEventsResponseMessage:
  - events as they happen: m:Notifications, one m:Notification per subscription with its
    CreatedEvent / NewMailEvent / ModifiedEvent / DeletedEvent elements. The element is
    m:Notification, as Exchange and Microsoft's documentation write it, although the
    schema says t:Notification (the schema kit's one documented exception, which the
    validator allows);
  - a heartbeat every --heartbeat-seconds without events: m:ConnectionStatus OK;
  - when the timeout is reached: m:ConnectionStatus Closed, then the last chunk.
Ids the simulator does not know are answered first, in one Error message
ErrorSubscriptionNotFound listing them in m:ErrorSubscriptionIds; expired ones likewise
with ErrorExpiredSubscription, and those another account created with
ErrorSubscriptionAccessDenied (a subscription belongs to the account that authenticated,
also when it impersonated a mailbox); the others keep streaming (if none is left the response
ends there). Events that happen while no connection carries a subscription wait for the
next one; a subscription moves to the newest connection that names it.

Inspection (GET, loopback only): /sim/subscriptions lists the subscriptions held (id,
owner, mailbox, expired, streaming, server). Control (POST, loopback only): /sim/streaming/drop closes every open streaming
connection without its last chunk (a dropped connection: the events keep waiting);
/sim/subscriptions/expire (body: an address, or empty for all) expires subscriptions:
open connections report them in an ErrorExpiredSubscription message and close if nothing
is left; /sim/sync/expire makes every sync state issued so far too old.

--hanging-connection-limit N: at most N open GetStreamingEvents responses per budget (the
impersonated mailbox, else the account; Exchange 2013 allows 3, Exchange Online 10); one
more is answered ErrorExceededConnectionCount.

Affinity ("Maintain affinity between a group of subscriptions and the Mailbox server"):
--mailbox-servers N models a farm of N Mailbox servers behind one EWS URL, each mailbox on
one of them (round robin in the order they were declared). A subscription lives on the
server its Subscribe was routed to, and a GetStreamingEvents or Unsubscribe routed to
another server does not know it (ErrorSubscriptionNotFound, as the page says). A request is
routed, with X-PreferServerAffinity: true, to the server its X-BackEndOverrideCookie cookie
names; else to the X-AnchorMailbox's server; else to the acting mailbox's. A Subscribe with
X-AnchorMailbox and X-PreferServerAffinity: true and no cookie is answered with Set-Cookie:
X-BackEndOverrideCookie for the anchor's server (the anchor's own subscription request); one
that carries the cookie gets none. With one server (the default) every request reaches it.

--no-streaming answers Subscribe for streaming and GetStreamingEvents as a server whose
schema predates streaming notifications (Exchange 2007, Exchange 2010 RTM): a
schema-validation fault.
"""

import base64
import os
import socket
import struct
import threading
import time
import xml.etree.ElementTree as ET

import soap
import timeutil
from soap import EwsError, error_message, m, response_message, t

EVENT_TYPES = ("CopiedEvent", "CreatedEvent", "DeletedEvent", "ModifiedEvent", "MovedEvent",
               "NewMailEvent", "FreeBusyChangedEvent")


def owner_of(ctx):
    """The account a subscription belongs to: the one that authenticated (a service account
    impersonating a mailbox owns what it subscribes to, "Maintain affinity...")."""
    kind, who = getattr(ctx, "principal", ("service", None))
    return (who.address if kind == "mailbox" else who or "").lower()


def budget_of(ctx):
    """What a streaming connection is charged to: the impersonated mailbox, else the
    account (Microsoft's "What throttling values do I need to take into consideration")."""
    return ctx.mailbox.address.lower() if ctx.mailbox is not None else owner_of(ctx)


AFFINITY_COOKIE = "X-BackEndOverrideCookie"


class Routing:
    """The affinity headers of one request (see the top of the file)."""
    __slots__ = ("anchor", "prefer", "cookie")

    def __init__(self, anchor=None, prefer=False, cookie=None):
        self.anchor = anchor.strip() if anchor else None
        self.prefer = prefer
        self.cookie = cookie

    @classmethod
    def of_headers(cls, headers):
        cookie = None
        for line in headers.get_all("Cookie") or ():
            for part in line.split(";"):
                name, _, value = part.strip().partition("=")
                if name == AFFINITY_COOKIE and value:
                    cookie = value
        prefer = (headers.get("X-PreferServerAffinity") or "").strip().lower() == "true"
        return cls(headers.get("X-AnchorMailbox"), prefer, cookie)


class Subscription:
    __slots__ = ("sid", "owner", "mailbox", "folders", "event_types", "pending", "expired",
                 "stream", "server")

    def __init__(self, sid, owner, mailbox, folders, event_types, server=0):
        self.server = server  # the Mailbox server that holds it
        self.sid = sid
        self.owner = owner
        self.mailbox = mailbox
        self.folders = folders  # folder tokens, or None for every folder
        self.event_types = event_types
        self.pending = []  # (event name, item id, change key or None, parent folder, time)
        self.expired = False
        self.stream = None  # the Stream carrying it now, if any


class Hub:
    """Subscriptions and the connections streaming them; a store observer."""

    def __init__(self, store, streaming=True, heartbeat_seconds=30.0, minute_seconds=60.0,
                 connection_limit=0, servers=1):
        self.store = store
        self.servers = max(1, servers)
        self.streaming = streaming
        self.connection_limit = connection_limit  # open streams per budget; 0 = no limit
        self.open_streams = {}  # budget -> number of open GetStreamingEvents responses
        self.heartbeat_seconds = heartbeat_seconds
        self.minute_seconds = minute_seconds
        self.cond = threading.Condition()
        self.subscriptions = {}  # id -> Subscription
        self.drops = 0  # bumped by /sim/streaming/drop
        store.observers.append(self.observe)

    def observe(self, event, item):
        if not self.subscriptions:
            return  # the common case: nothing to tell anyone
        folder = item.folder
        stamp = timeutil.format_utc(timeutil.now())
        names = {"added": ["CreatedEvent"], "modified": ["ModifiedEvent"],
                 "removed": ["DeletedEvent"]}[event]
        if event == "added" and folder.name == "inbox" and item.kind != "CalendarItem":
            names.append("NewMailEvent")
        with self.cond:
            for sub in self.subscriptions.values():
                if sub.expired or sub.mailbox is not item.mailbox:
                    continue
                if sub.folders is not None and folder.token not in sub.folders:
                    continue
                for name in names:
                    if name in sub.event_types:
                        ck = None if event == "removed" else item.change_key
                        sub.pending.append((name, item.token, ck, folder, stamp))
            self.cond.notify_all()

    def add(self, owner, mailbox, folders, event_types, server=0):
        sid = base64.b64encode(b"\x1c\x00" + os.urandom(30)).decode("ascii")
        with self.cond:
            self.subscriptions[sid] = Subscription(sid, owner, mailbox, folders, event_types,
                                                   server)
        return sid

    # --- affinity ---------------------------------------------------------------------------

    def server_of(self, address):
        """The Mailbox server of a mailbox (round robin in declaration order), or None."""
        order = list(self.store.mailboxes)
        key = (address or "").strip().lower()
        return order.index(key) % self.servers if key in order else None

    def cookie_for(self, server):
        return "EWSSIM-MBX%02d.sim.invalid~%d" % (server, 1941996295 + server)

    def route(self, ctx):
        """The server a request reaches (see the top of the file)."""
        routing = getattr(ctx, "routing", None) or Routing()
        if routing.prefer and routing.cookie:
            for server in range(self.servers):
                if self.cookie_for(server) == routing.cookie:
                    return server
        if routing.anchor and self.server_of(routing.anchor) is not None:
            return self.server_of(routing.anchor)
        acting = ctx.mailbox.address if ctx.mailbox is not None else None
        server = self.server_of(acting)
        return server if server is not None else 0

    def open_stream(self, budget):
        """Count a new streaming connection against budget; False over the limit."""
        with self.cond:
            n = self.open_streams.get(budget, 0)
            if self.connection_limit and n >= self.connection_limit:
                return False
            self.open_streams[budget] = n + 1
            return True

    def close_stream(self, budget):
        with self.cond:
            self.open_streams[budget] -= 1

    def expire(self, address=None):
        with self.cond:
            n = 0
            for sub in self.subscriptions.values():
                if address is None or sub.mailbox.address.lower() == address.lower():
                    if not sub.expired:
                        sub.expired = True
                        sub.pending = []
                        n += 1
            self.cond.notify_all()
        return n

    def drop_connections(self):
        with self.cond:
            self.drops += 1
            self.cond.notify_all()


def hub_of(store, parent="Subscribe", child="StreamingSubscriptionRequest"):
    """The hub; with --no-streaming the fault a server without streaming sends."""
    hub = getattr(store, "streaming_hub", None)
    if hub is None or not hub.streaming:
        raise soap.schema_fault("The element '%s' has invalid child element '%s' in "
                                "namespace '%s'." % (parent, child, soap.M_NS))
    return hub


# --- Subscribe / Unsubscribe ------------------------------------------------------------------


def subscribe(ctx, op):
    request = op.find(m("StreamingSubscriptionRequest"))
    if request is None:
        err = EwsError("ErrorInvalidSubscriptionRequest",
                       "The simulator models streaming subscriptions only.")
        return [error_message("Subscribe", err)]
    hub = hub_of(ctx.store)
    try:
        mailbox = ctx.require_mailbox()
        folders = None
        if not soap.bool_of(request.get("SubscribeToAllFolders")):
            ids = request.find(t("FolderIds"))
            if ids is None or not len(ids):
                raise EwsError("ErrorInvalidSubscriptionRequest",
                               "FolderIds or SubscribeToAllFolders is required.")
            folders = {ctx.resolve_folder(e).token for e in ids}
        types = {(e.text or "").strip() for e in request.find(t("EventTypes"))}
    except EwsError as err:
        return [error_message("Subscribe", err)]
    server = hub.route(ctx)
    routing = getattr(ctx, "routing", None)
    if routing is not None and routing.prefer and routing.anchor and not routing.cookie:
        ctx.reply_headers.append(("Set-Cookie", "%s=%s; path=/; secure; HttpOnly"
                                  % (AFFINITY_COOKIE, hub.cookie_for(server))))
    msg = response_message("Subscribe")
    ET.SubElement(msg, m("SubscriptionId")).text = hub.add(owner_of(ctx), mailbox, folders,
                                                           types, server)
    return [msg]


def unsubscribe(ctx, op):
    hub = ctx.store.streaming_hub
    sid = (op.findtext(m("SubscriptionId")) or "").strip()
    with hub.cond:
        sub = hub.subscriptions.get(sid)
        if sub is None or sub.server != hub.route(ctx):
            return [error_message("Unsubscribe", EwsError("ErrorSubscriptionNotFound"))]
        if sub.owner != owner_of(ctx):
            return [error_message("Unsubscribe", EwsError("ErrorSubscriptionAccessDenied"))]
        del hub.subscriptions[sid]
        hub.cond.notify_all()
    return [response_message("Unsubscribe")]


# --- GetStreamingEvents -----------------------------------------------------------------------


def get_streaming_events(ctx, op):
    hub = hub_of(ctx.store, "Body", "GetStreamingEvents")
    ids = [(e.text or "").strip() for e in op.find(m("SubscriptionIds"))]
    try:
        minutes = int((op.findtext(m("ConnectionTimeout")) or "").strip())
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= 30:
        err = EwsError("ErrorInvalidRequest", "ConnectionTimeout must be 1 to 30 minutes.")
        return [error_message("GetStreamingEvents", err)]
    if not hub.open_stream(budget_of(ctx)):
        return [error_message("GetStreamingEvents", EwsError("ErrorExceededConnectionCount"))]
    return Stream(hub, ids, minutes, owner_of(ctx), budget_of(ctx), hub.route(ctx))


def _event_elem(parent, event):
    name, token, change_key, folder, stamp = event
    elem = ET.SubElement(parent, t(name))
    ET.SubElement(elem, t("TimeStamp")).text = stamp
    attrs = {"Id": token}
    if change_key:
        attrs["ChangeKey"] = change_key
    ET.SubElement(elem, t("ItemId"), attrs)
    ET.SubElement(elem, t("ParentFolderId"), {"Id": folder.token,
                                              "ChangeKey": folder.change_key})
    if name == "ModifiedEvent" and folder.name == "inbox":
        ET.SubElement(elem, t("UnreadCount")).text = str(folder.unread_count())


class Stream:
    """One open GetStreamingEvents response; served by the HTTP handler outside the store
    lock (server.py hands it the connection)."""

    def __init__(self, hub, ids, minutes, owner, budget, server=0):
        self.server = server  # the Mailbox server the request reached
        self.hub = hub
        self.ids = ids
        self.minutes = minutes
        self.owner = owner
        self.budget = budget
        self.chunks = 0

    # --- messages -------------------------------------------------------------------------

    def _envelope(self, msg):
        return soap.envelope(soap.operation_response("GetStreamingEvents", [msg]))

    def _status(self, status):
        msg = response_message("GetStreamingEvents")
        ET.SubElement(msg, m("ConnectionStatus")).text = status
        return self._envelope(msg)

    def _error(self, code, sids):
        msg = error_message("GetStreamingEvents", EwsError(code))
        bad = ET.SubElement(msg, m("ErrorSubscriptionIds"))
        for sid in sids:
            ET.SubElement(bad, t("SubscriptionId")).text = sid
        return self._envelope(msg)

    def _notifications(self, batches):
        msg = response_message("GetStreamingEvents")
        notes = ET.SubElement(msg, m("Notifications"))
        for sid, events in batches:
            note = ET.SubElement(notes, m("Notification"))
            ET.SubElement(note, t("SubscriptionId")).text = sid
            for event in events:
                _event_elem(note, event)
        return self._envelope(msg)

    # --- the connection -------------------------------------------------------------------

    def _claim(self):
        """Take the subscriptions this request names: (live ones, unknown ids, expired,
        other accounts' ids)."""
        live, unknown, expired, denied = [], [], [], []
        with self.hub.cond:
            for sid in self.ids:
                sub = self.hub.subscriptions.get(sid)
                if sub is None or sub.server != self.server:
                    unknown.append(sid)
                elif sub.owner != self.owner:
                    denied.append(sid)
                elif sub.expired:
                    expired.append(sid)
                elif sub not in live:
                    sub.stream = self
                    live.append(sub)
            self.hub.cond.notify_all()  # a connection that carried them lets go
        return live, unknown, expired, denied

    def _next(self, live, deadline, next_beat, drops):
        """Wait for something to send: ("events", batches) | ("expired", ids) | ("beat",)
        | ("closed",) | ("dropped",) | ("taken",)."""
        hub = self.hub
        with hub.cond:
            while True:
                if hub.drops != drops:
                    return ("dropped",)
                gone = [s for s in live if s.expired or s.stream is not self
                        or hub.subscriptions.get(s.sid) is not s]
                expired = [s.sid for s in gone if s.expired]
                for s in gone:
                    live.remove(s)
                if expired:
                    return ("expired", expired)
                if not live:
                    return ("taken",)
                batches = [(s.sid, s.pending) for s in live if s.pending]
                if batches:
                    for s in live:
                        s.pending = []
                    return ("events", batches)
                now = time.monotonic()
                if now >= deadline:
                    return ("closed",)
                if now >= next_beat:
                    return ("beat",)
                hub.cond.wait(min(deadline, next_beat) - now)

    def serve(self, handler, check):
        """Write the chunked response on handler's connection; check(bytes) validates each
        envelope. Returns when the connection ends."""
        hub = self.hub
        live, unknown, expired, denied = self._claim()
        drops = hub.drops
        try:
            handler.wfile.write(("HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                                 "Transfer-Encoding: chunked\r\nServer: %s\r\n\r\n"
                                 % handler.server_version).encode())
            if unknown:
                self._chunk(handler, check, self._error("ErrorSubscriptionNotFound", unknown))
            if expired:
                self._chunk(handler, check, self._error("ErrorExpiredSubscription", expired))
            if denied:
                self._chunk(handler, check, self._error("ErrorSubscriptionAccessDenied",
                                                        denied))
            deadline = time.monotonic() + self.minutes * hub.minute_seconds
            next_beat = time.monotonic() + hub.heartbeat_seconds
            opened = bool(live)
            while live:
                what = self._next(live, deadline, next_beat, drops)
                if what[0] == "dropped":
                    return self._drop(handler)
                if what[0] == "events":
                    self._chunk(handler, check, self._notifications(what[1]))
                elif what[0] == "expired":
                    self._chunk(handler, check, self._error("ErrorExpiredSubscription",
                                                            what[1]))
                elif what[0] == "beat":
                    self._chunk(handler, check, self._status("OK"))
                    next_beat = time.monotonic() + hub.heartbeat_seconds
                elif what[0] == "closed":
                    break
            if opened:  # nothing to stream: the error messages were the whole answer
                self._chunk(handler, check, self._status("Closed"))
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True
        finally:
            self._release()

    def _chunk(self, handler, check, data):
        check(data)
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()
        self.chunks += 1

    def _drop(self, handler):
        handler.close_connection = True
        try:
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          struct.pack("ii", 1, 0))
            handler.connection.close()
        except OSError:
            pass

    def _release(self):
        with self.hub.cond:
            for sub in self.hub.subscriptions.values():
                if sub.stream is self:
                    sub.stream = None
        self.hub.close_stream(self.budget)


# --- control endpoints (server.py routes POST /sim/... here) --------------------------------


def control(store, path, body):
    """(HTTP status, JSON object) for a /sim control path this module owns, or None."""
    hub = getattr(store, "streaming_hub", None)
    if path == "/sim/streaming/drop" and hub is not None:
        hub.drop_connections()
        return 200, {"dropped": True}
    if path == "/sim/subscriptions/expire" and hub is not None:
        address = body.decode("utf-8", "replace").strip() or None
        return 200, {"expired": hub.expire(address)}
    if path == "/sim/sync/expire" and getattr(store, "sync_journal", None) is not None:
        with store.lock:
            store.sync_journal.expire_states()
        return 200, {"floor": store.sync_journal.floor}
    return None


def inspect(store, path):
    """(HTTP status, JSON object) for a /sim inspection path this module owns, or None:
    GET /sim/subscriptions lists the subscriptions the server holds."""
    hub = getattr(store, "streaming_hub", None)
    if path != "/sim/subscriptions" or hub is None:
        return None
    with hub.cond:
        subs = [{"id": sub.sid, "owner": sub.owner, "mailbox": sub.mailbox.address,
                 "expired": sub.expired, "streaming": sub.stream is not None,
                 "server": sub.server}
                for sub in hub.subscriptions.values()]
    return 200, {"subscriptions": subs}


def install(store, streaming, sync, heartbeat_seconds, minute_seconds, connection_limit=0,
            servers=1):
    """Attach the sync journal and the subscription hub to a fresh store."""
    import ops_sync
    store.sync_journal = ops_sync.SyncJournal(store) if sync else None
    store.streaming_hub = Hub(store, streaming, heartbeat_seconds, minute_seconds,
                              connection_limit, servers)
    return store
