"""ewssim: an Exchange Web Services simulator for meetingd's tests (Python 3 stdlib only).

Run as `python3 tests/ewssim [options]`; see tests/ewssim/README.md.
"""

import argparse
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The Entra token service shared with graphsim.
sys.path.insert(1, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "simlib"))

import auth as auth_mod  # noqa: E402
import faults as faults_mod  # noqa: E402
import item_faults  # noqa: E402
import ops_expand  # noqa: E402
import ops_notify  # noqa: E402
import flavor as flavor_mod  # noqa: E402
from server import SimHTTPServer, Simulator  # noqa: E402
from store import Store  # noqa: E402

DEFAULT_PASSWORD = "password"


def display_name(address):
    """"attendee0@example.com" -> "Attendee 0", "mack.chaves@..." -> "Mack Chaves"."""
    local = address.split("@", 1)[0]
    local = re.sub(r"(?<=[A-Za-z])(?=\d)", " ", local)
    words = [w for w in re.split(r"[._\-\s]+", local) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or address


def parse_mailbox(spec):
    """'addr', 'addr:pw', 'Name <addr>' or 'Name <addr>:pw' -> (address, name, password)."""
    m = re.match(r"^\s*(?P<name>[^<]*?)\s*<(?P<addr>[^>]+)>\s*(?::(?P<pw>.*))?$", spec)
    if m:
        address, password = m.group("addr").strip(), m.group("pw")
        name = m.group("name") or display_name(address)
    else:
        address, sep, password = spec.partition(":")
        address = address.strip()
        password = password if sep else None
        name = display_name(address)
    if "@" not in address:
        raise argparse.ArgumentTypeError("mailbox %r: not an SMTP address" % spec)
    return address, name, DEFAULT_PASSWORD if password is None else password


def parse_impersonator(spec):
    user, sep, password = spec.partition(":")
    if not sep or not user.strip():
        raise argparse.ArgumentTypeError("impersonator %r: expected USER:PASSWORD" % spec)
    return user.strip(), password


def parse_pair(spec):
    key, sep, value = spec.partition(":")
    if not sep or not key.strip() or not value:
        raise argparse.ArgumentTypeError("%r: expected ID:VALUE" % spec)
    return key.strip(), value


def parse_listen(spec):
    host, sep, port = spec.rpartition(":")
    if not sep:
        raise argparse.ArgumentTypeError("listen %r: expected HOST:PORT" % spec)
    host = host.strip("[]") or "127.0.0.1"
    try:
        return host, int(port)
    except ValueError:
        raise argparse.ArgumentTypeError("listen %r: bad port" % spec) from None


def parse_item_fault(spec):
    try:
        return item_faults.parse_spec(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_group(spec):
    try:
        return ops_expand.parse_group(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_fault(spec):
    try:
        return faults_mod.parse_spec(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ewssim",
                                 description="Exchange Web Services simulator (SOAP 1.1).")
    ap.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 0),
                    metavar="HOST:PORT", help="address to listen on (default 127.0.0.1:0, "
                    "port 0 picks a free port)")
    ap.add_argument("--mailbox", type=parse_mailbox, action="append", default=[],
                    metavar="ADDRESS[:PASSWORD]", help="declare a mailbox that logs in as "
                    "itself (repeatable; password defaults to 'password'; "
                    "'Name <addr>:pw' sets the display name)")
    ap.add_argument("--group", type=parse_group, action="append", default=[],
                    metavar="ADDRESS:MEMBER,MEMBER...", help="declare a distribution group "
                    "that ExpandDL expands (repeatable; a member may be another group; "
                    "'Name <addr>:...' sets the display name)")
    ap.add_argument("--impersonator", type=parse_impersonator, action="append", default=[],
                    metavar="USER:PASSWORD", help="declare a service account that may "
                    "impersonate any mailbox (repeatable)")
    ap.add_argument("--validate", metavar="SCHEMA_DIR",
                    help="validate every request and response against "
                    "SCHEMA_DIR/ews-envelope-strict.xsd")
    ap.add_argument("--item-fault", type=parse_item_fault, action="append", default=[],
                    metavar="CODE[@OPERATION]:SUBJECT",
                    help="the item of a CreateItem / UpdateItem (or of OPERATION) whose subject "
                    "contains SUBJECT fails alone with ResponseCode CODE; CODE Client refuses "
                    "the whole request (repeatable; see item_faults.py)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the fault draws")
    ap.add_argument("--fault", type=parse_fault, action="append", default=[],
                    metavar="KIND:RATE[:OPERATION]",
                    help="inject a fault (repeatable); kinds: " + ", ".join(faults_mod.KINDS))
    ap.add_argument("--backoff-ms", type=int, default=200,
                    help="BackOffMilliseconds sent with ErrorServerBusy (default 200)")
    ap.add_argument("--hang-seconds", type=float, default=30.0,
                    help="how long a 'hang' fault holds the connection (default 30)")
    ap.add_argument("--keep-answered-requests", action="store_true",
                    help="leave answered meeting requests in the Inbox instead of moving "
                    "them to Deleted Items (as grommunio does)")
    ap.add_argument("--drop-answer-bodies", action="store_true",
                    help="deliver meeting responses to the organizer without the text the "
                    "attendee wrote (seen live on grommunio Gromox 3.10)")
    ap.add_argument("--resources-as-required", action="store_true",
                    help="list resource attendees among the required attendees, with no "
                    "t:Resources (seen live on grommunio Gromox 3.10)")
    ap.add_argument("--requests-without-zone", action="store_true",
                    help="send meeting requests without their series' t:StartTimeZone (seen "
                    "live on grommunio Gromox 3.10)")
    ap.add_argument("--flavor", choices=flavor_mod.NAMES, default="exchange",
                    help="which server to answer like (default exchange; gromox: "
                    "grommunio Gromox 3.10, see ../shared/gromox/README.md)")
    ap.add_argument("--auth", type=auth_mod.parse_schemes, default=["basic"],
                    metavar="LIST", help="authentication schemes accepted and advertised, "
                    "comma-separated: basic, ntlm, negotiate, bearer (default basic)")
    ap.add_argument("--keytab", metavar="FILE",
                    help="keytab with the HTTP/ service keys (--auth negotiate)")
    ap.add_argument("--oauth2-client", type=parse_pair, action="append", default=[],
                    metavar="ID:SECRET", help="an app that gets tokens with a client "
                    "secret (--auth bearer; repeatable)")
    ap.add_argument("--oauth2-client-cert", type=parse_pair, action="append", default=[],
                    metavar="ID:CERT.pem", help="an app that gets tokens with a JWT "
                    "assertion signed by this certificate's key (repeatable)")
    ap.add_argument("--oauth2-token-lifetime", type=int, default=3600, metavar="SECONDS",
                    help="lifetime of issued access tokens (default 3600)")
    ap.add_argument("--no-associated-calendar-item-id", action="store_true",
                    help="never send AssociatedCalendarItemId on meeting messages (as "
                    "grommunio Gromox does); clients must find the calendar item by UID")
    ap.add_argument("--stray-response-after-fault", action="store_true",
                    help="misbehave as grommunio Gromox does: after a SOAP fault, the next "
                    "request on that connection first gets a stray copy of an earlier "
                    "response to the same operation, then its own")
    ap.add_argument("--no-streaming", action="store_true",
                    help="answer streaming Subscribe and GetStreamingEvents as a server "
                    "without streaming notifications (a schema-validation fault)")
    ap.add_argument("--no-sync-folder-items", action="store_true",
                    help="answer SyncFolderItems as an operation the server lacks")
    ap.add_argument("--heartbeat-seconds", type=float, default=30.0,
                    help="seconds between ConnectionStatus OK heartbeats of a "
                    "GetStreamingEvents response without events (default 30)")
    ap.add_argument("--hanging-connection-limit", type=int, default=0, metavar="N",
                    help="open GetStreamingEvents responses per impersonated mailbox or "
                    "account before ErrorExceededConnectionCount (default 0: no limit)")
    ap.add_argument("--mailbox-servers", type=int, default=1, metavar="N",
                    help="Mailbox servers behind the EWS URL, each mailbox on one (round "
                    "robin): subscriptions live on one server and are found only by requests "
                    "routed there by the affinity headers and cookie (default 1)")
    ap.add_argument("--streaming-minute-seconds", type=float, default=60.0,
                    help="length of a ConnectionTimeout minute in seconds (default 60; "
                    "tests shorten it)")
    ap.add_argument("--log", metavar="FILE", help="append one JSON line per request")
    ap.add_argument("--log-bodies", action="store_true",
                    help="also write request and response bodies to the log")
    args = ap.parse_args(argv)

    validator = None
    if args.validate:
        import schema
        try:
            validator = schema.Validator(args.validate)
        except schema.SchemaUnavailable as exc:
            sys.stderr.write("ewssim: schema validation unavailable: %s\n" % exc)
            return 2

    store = Store()
    item_faults.of(store).replace(args.item_fault)
    store.flavor = flavor_mod.by_name(args.flavor)
    store.keep_answered_requests = args.keep_answered_requests or \
        store.flavor.keeps_answered_requests
    store.no_associated_calendar_item_id = args.no_associated_calendar_item_id
    store.drop_answer_bodies = args.drop_answer_bodies
    store.resources_as_required = args.resources_as_required
    store.requests_without_zone = args.requests_without_zone
    ops_notify.install(store, streaming=not args.no_streaming,
                       sync=not args.no_sync_folder_items,
                       heartbeat_seconds=args.heartbeat_seconds,
                       minute_seconds=args.streaming_minute_seconds,
                       connection_limit=args.hanging_connection_limit,
                       servers=args.mailbox_servers)
    for address, name, password in args.mailbox:
        if store.mailbox(address) is not None:
            ap.error("mailbox %s declared twice" % address)
        store.add_mailbox(address, name, password)
    for address, name, members in args.group:
        if store.mailbox(address) is not None or address.lower() in store.groups:
            ap.error("group %s declared twice, or also a mailbox" % address)
        store.groups[address.lower()] = ops_expand.Group(
            address, name or display_name(address), members)
    impersonators = {}
    for user, password in args.impersonator:
        if store.mailbox(user) is not None:
            ap.error("impersonator %s is also a mailbox" % user)
        impersonators[user.lower()] = password

    log_file = open(args.log, "a", encoding="utf-8") if args.log else None
    sim = Simulator(store, impersonators, faults_mod.FaultPlan(args.fault, args.seed),
                    validator=validator, backoff_ms=args.backoff_ms,
                    hang_seconds=args.hang_seconds, log_file=log_file,
                    log_bodies=args.log_bodies)
    token_service = None
    if "bearer" in args.auth:
        import entra
        token_service = entra.TokenService(args.oauth2_client, args.oauth2_client_cert,
                                           args.oauth2_token_lifetime)
    sim.auth = auth_mod.Authenticator(sim, args.auth, keytab=args.keytab,
                                      token_service=token_service)
    sim.stray_after_fault = args.stray_response_after_fault
    try:
        httpd = SimHTTPServer(args.listen, sim)
    except OSError as exc:
        sys.stderr.write("ewssim: cannot listen on %s:%d: %s\n" % (args.listen + (exc,)))
        return 1

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    host, port = httpd.server_address[:2]
    shown = "[%s]" % host if ":" in host else host
    sys.stdout.write("listening on http://%s:%d\n" % (shown, port))
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stopping.set()
        httpd.server_close()
        if log_file is not None:
            log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
