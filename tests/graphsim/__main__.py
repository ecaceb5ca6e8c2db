"""graphsim: a Microsoft Graph v1.0 simulator for meetingd's tests (see README.md)."""

import argparse
import os
import signal
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "simlib"))

import faults as faultmod  # noqa: E402
import entra  # noqa: E402
import server  # noqa: E402
from store import Store, display_name  # noqa: E402


def parse_mailbox(spec):
    spec = spec.strip()
    if "<" in spec and spec.endswith(">"):
        name, address = spec[:-1].split("<", 1)
        return address.strip(), name.strip()
    return spec, display_name(spec)


def main(argv):
    p = argparse.ArgumentParser(prog="graphsim")
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--mailbox", action="append", default=[])
    p.add_argument("--tenant", required=True)
    p.add_argument("--client", action="append", default=[], required=True,
                   help="ID:SECRET of an app registration (repeatable)")
    p.add_argument("--validate", metavar="SCHEMA_DIR")
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--mailbox-concurrency", type=int, default=4)
    p.add_argument("--mailbox-budget", type=int, default=10000,
                   help="requests per app and mailbox per 10 minutes before 429")
    p.add_argument("--token-lifetime", type=int, default=3600)
    p.add_argument("--hang-seconds", type=float, default=30)
    p.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate chain")
    p.add_argument("--tls-key", help="the certificate's PEM private key")
    args = p.parse_args(argv)
    try:
        specs = [faultmod.parse_spec(f) for f in args.fault]
    except faultmod.FaultSpecError as exc:
        p.error(str(exc))
    clients = []
    for c in args.client:
        if ":" not in c:
            p.error("--client wants ID:SECRET")
        clients.append(tuple(c.split(":", 1)))
    schema = None
    if args.validate:
        import schema as schemamod
        path = os.path.join(args.validate, "v1.0-metadata.xml")
        try:
            schema = schemamod.Schema(path)
        except (OSError, schemamod.SchemaError, Exception) as exc:
            print("graphsim: cannot load %s: %s" % (path, exc), file=sys.stderr)
            return 2
    host, _, port = args.listen.rpartition(":")
    store = Store([parse_mailbox(m) for m in args.mailbox])
    issuer = entra.TokenService(clients, (), args.token_lifetime, entra.GRAPH_SCOPES,
                                args.tenant)
    app = server.GraphApp(store, issuer, schema, faultmod.Faults(specs, args.seed),
                          args.retry_after, args.mailbox_concurrency, args.hang_seconds,
                          args.mailbox_budget)
    httpd = server.make_server(host or "127.0.0.1", int(port), app)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake runs in the connection's thread, not in the accepting one.
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True,
                                           do_handshake_on_connect=False)
        app.scheme = "https"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("%s:%d" % httpd.server_address[:2], flush=True)
    try:
        httpd.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
