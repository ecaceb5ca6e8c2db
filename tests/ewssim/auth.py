"""HTTP authentication as IIS does it in front of EWS: Basic, NTLM, Negotiate, Bearer.

`--auth LIST` enables a set of schemes; a 401 carries one WWW-Authenticate header per
enabled scheme, in the order given. As IIS does (Windows authentication with its default
authPersistNonNTLM = true), a successful NTLM or Negotiate handshake authenticates the TCP
connection: later requests on it need no Authorization header, and a new connection must
authenticate again. Basic and Bearer are checked on every request.

Principals: ("mailbox", Mailbox), ("service", name) for an --impersonator, and
("app", client id) for an app-only access token, which may only act by impersonation
and with an X-AnchorMailbox header.

Every refusal has a reason, logged and counted in /sim/stats "auth_rejected":
  no-credentials  no Authorization header, or a scheme that is not enabled (IIS 401.2)
  challenge       an NTLM Type 2 or unfinished Negotiate step (part of a handshake)
  failed          a logon that failed: wrong password, bad ticket, bad token (IIS 401.1)
  expired         an access token past its exp (error="invalid_token")
Only "failed" and "expired" count as failed authentications (stats "auth_failures").
"""

import base64
import binascii

import ntlm

SCHEMES = ("basic", "ntlm", "negotiate", "bearer")
FAILURES = ("failed", "expired")

# Exchange Online's WWW-Authenticate for bearer tokens (the shape clients parse).
BEARER_CHALLENGE = ('Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
                    'trusted_issuers="00000001-0000-0000-c000-000000000000@*", '
                    'token_types="app_asserted_user_v1 service_asserted_app_v1"')


class Connection:
    """What one TCP connection has proven, and an NTLM handshake in progress on it."""

    def __init__(self):
        self.principal = None
        self.ntlm_challenge = None
        self.gss_context = None


class Outcome:
    def __init__(self, principal=None, reason=None, claimed=None, headers=()):
        self.principal = principal
        self.reason = reason      # None on success
        self.claimed = claimed    # the user name a failed logon claimed, for the log
        self.headers = list(headers)  # extra response headers (a challenge, a mutual token)


def parse_schemes(text):
    schemes = [s.strip().lower() for s in text.split(",") if s.strip()]
    bad = [s for s in schemes if s not in SCHEMES]
    if bad or not schemes:
        raise ValueError("unknown authentication scheme(s) %s; known: %s"
                         % (", ".join(bad) or "(none)", ", ".join(SCHEMES)))
    return list(dict.fromkeys(schemes))


class Authenticator:
    def __init__(self, sim, schemes, keytab=None, token_service=None):
        self.sim = sim
        self.schemes = schemes
        self.tokens = token_service
        self.acceptor = None
        if "negotiate" in schemes:
            import gssapi  # python3-gssapi (Debian): MIT Kerberos' GSS-API
            self._gssapi = gssapi
            store = {"keytab": keytab} if keytab else None
            self.acceptor = gssapi.Credentials(usage="accept", store=store)

    def challenges(self, bearer_error=None):
        out = []
        for scheme in self.schemes:
            if scheme == "basic":
                out.append(("WWW-Authenticate", 'Basic realm="ewssim"'))
            elif scheme == "ntlm":
                out.append(("WWW-Authenticate", "NTLM"))
            elif scheme == "negotiate":
                out.append(("WWW-Authenticate", "Negotiate"))
            else:
                value = self.tokens_challenge()
                if bearer_error:
                    value += ', error="%s"' % bearer_error
                out.append(("WWW-Authenticate", value))
        return out

    @staticmethod
    def tokens_challenge():
        return BEARER_CHALLENGE

    # --- accounts -----------------------------------------------------------------------------

    def account(self, name):
        """A principal for an account name (address, or a DOMAIN\\user's user part)."""
        key = name.strip().lower()
        if key in self.sim.impersonators:
            return ("service", key), self.sim.impersonators[key]
        mbx = self.sim.store.mailbox(key)
        if mbx is not None:
            return ("mailbox", mbx), mbx.password
        return None, None

    def windows_account(self, user, domain):
        """NTLM names: user@domain, or user with a NetBIOS domain (EXAMPLE for example.com)."""
        if "@" in user:
            return self.account(user)
        domain = domain.lower()
        names = list(self.sim.impersonators) + list(self.sim.store.mailboxes)
        for address in names:
            local, _, mail_domain = address.partition("@")
            if local == user.lower() and domain in ("", mail_domain,
                                                    mail_domain.split(".")[0]):
                return self.account(address)
        return None, None

    # --- one request ------------------------------------------------------------------------

    def check(self, conn, header):
        """Authorization header (or None) on connection `conn` -> Outcome."""
        if not header:
            if conn.principal is not None:
                return Outcome(conn.principal)
            return Outcome(reason="no-credentials", headers=self.challenges())
        scheme, _, token = header.strip().partition(" ")
        scheme = scheme.lower()
        if scheme not in self.schemes:
            return Outcome(reason="no-credentials", headers=self.challenges())
        # A new Authorization header starts over: the connection proves it again.
        conn.principal = None
        if scheme == "basic":
            return self._basic(token)
        if scheme == "ntlm":
            return self._ntlm(conn, token)
        if scheme == "negotiate":
            return self._negotiate(conn, token)
        return self._bearer(token)

    def _failed(self, claimed=None, reason="failed", bearer_error=None):
        return Outcome(reason=reason, claimed=claimed,
                       headers=self.challenges(bearer_error=bearer_error))

    def _basic(self, token):
        try:
            raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return self._failed()
        user, sep, password = raw.partition(":")
        if not sep:
            return self._failed()
        principal, expected = self.account(user)
        if principal is None or expected != password:
            return self._failed(user)
        return Outcome(principal)

    def _ntlm(self, conn, token):
        try:
            data = base64.b64decode(token.strip(), validate=True)
            kind = ntlm.message_type(data)
            if kind == 1:
                flags = int.from_bytes(data[12:16], "little") if len(data) >= 16 else 0
                conn.ntlm_challenge = ntlm.Challenge(flags, "EXAMPLE", "example.com")
                type2 = base64.b64encode(conn.ntlm_challenge.type2()).decode()
                return Outcome(reason="challenge", headers=[("WWW-Authenticate",
                                                             "NTLM " + type2)])
            challenge, conn.ntlm_challenge = conn.ntlm_challenge, None
            if kind != 3 or challenge is None:
                return self._failed()
            msg = ntlm.Authenticate(data, challenge.unicode)
        except (binascii.Error, ValueError):
            return self._failed()
        claimed = "%s\\%s" % (msg.domain, msg.user) if msg.domain else msg.user
        principal, password = self.windows_account(msg.user, msg.domain)
        if principal is None or not msg.verify_v2(password, challenge.server_challenge):
            return self._failed(claimed)
        conn.principal = principal
        return Outcome(principal)

    def _negotiate(self, conn, token):
        gssapi = self._gssapi
        # A multi-leg exchange continues the context this connection started.
        ctx, conn.gss_context = conn.gss_context, None
        try:
            if ctx is None:
                ctx = gssapi.SecurityContext(creds=self.acceptor, usage="accept")
            out = ctx.step(base64.b64decode(token.strip(), validate=True))
            complete = ctx.complete
            name = str(ctx.initiator_name) if complete else None
        except (binascii.Error, ValueError, gssapi.exceptions.GSSError):
            return self._failed()
        reply = [("WWW-Authenticate", "Negotiate " + base64.b64encode(out).decode())] \
            if out else []
        if not complete:
            conn.gss_context = ctx
            return Outcome(reason="challenge", headers=reply)
        user, _, realm = name.partition("@")
        principal, _ = self.account("%s@%s" % (user, realm.lower()))
        if principal is None:
            return self._failed(name)
        conn.principal = principal
        return Outcome(principal, headers=reply)

    def _bearer(self, token):
        import entra
        try:
            claims = self.tokens.check_access_token(token.strip(), entra.EWS_AUDIENCE,
                                                    "full_access_as_app")
        except entra.InvalidToken as exc:
            return self._failed(reason="expired" if exc.expired else "failed",
                                bearer_error="invalid_token")
        return Outcome(("app", claims.get("appid")))


def app_anchor_problem(principal, anchor, impersonated, affinity=False):
    """Why an app-only request cannot go on (None: it can): Exchange Online routes app-only
    EWS by X-AnchorMailbox and acts only through ExchangeImpersonation. AFFINITY
    (X-PreferServerAffinity: true): the anchor is the first mailbox of a group of
    subscriptions, which may be another than the impersonated one ("Maintain affinity
    between a group of subscriptions and the Mailbox server")."""
    if principal[0] != "app":
        return None
    if not impersonated:
        return "ExchangeImpersonation SOAP header must be present for this type of OAuth token."
    if not anchor:
        return "App-only requests need the X-AnchorMailbox header."
    if anchor.strip().lower() != impersonated.lower() and not affinity:
        return "X-AnchorMailbox names %s, not the impersonated mailbox." % anchor.strip()
    return None
