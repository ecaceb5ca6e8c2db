"""An Entra-ID-shaped token service, shared by ewssim (EWS) and graphsim (Microsoft Graph), and
the checks a resource makes on the access tokens it issues.

POST /TENANT/oauth2/v2.0/token (application/x-www-form-urlencoded, grant_type
client_credentials) with either client_secret or a client_assertion: an RS256 JWT signed with
a registered certificate's key, whose header names the certificate by x5t (base64url SHA-1
thumbprint) and whose claims are aud = the token endpoint's URL, iss = sub = the client id,
exp in the future and a jti not seen before. The scope picks the resource: its audience and
the application roles the token carries. Error answers use Entra's JSON shape and AADSTS
codes.

Access tokens are compact JWS signed HS256 under a key drawn at start (clients treat them as
opaque, as they should with Entra's); the resource verifies signature, key id, audience,
expiry and role. RSA and X.509 (client assertions only) come from python3-cryptography,
imported only when a certificate is registered, so graphsim stays standard library.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import time
import urllib.parse
import uuid

EWS_AUDIENCE = "https://outlook.office365.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
# scope -> (audience, application roles granted to the app registration)
EWS_SCOPES = {EWS_AUDIENCE + "/.default": (EWS_AUDIENCE, ["full_access_as_app"])}
GRAPH_SCOPES = {GRAPH_AUDIENCE + "/.default": (GRAPH_AUDIENCE,
                                               ["Calendars.ReadWrite", "Mail.ReadWrite"]),
                EWS_AUDIENCE + "/.default": (EWS_AUDIENCE, ["full_access_as_app"])}
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLOCK_SKEW = 300  # seconds Entra allows on an assertion's exp/nbf


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
    """A refusal of the token endpoint: HTTP status, OAuth2 error, AADSTS description."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self):
        code = re.match(r"AADSTS(\d+):", self.description)
        return {"error": self.error, "error_description": self.description,
                "error_codes": [int(code.group(1))] if code else [],
                "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}


class InvalidToken(Exception):
    """An access token the resource refuses; `expired` tells an expired one from the rest."""

    def __init__(self, why, expired=False):
        super().__init__(why)
        self.expired = expired


class TokenService:
    def __init__(self, secrets, cert_files=(), lifetime=3600, scopes=None, tenant=None):
        """secrets: (client id, secret) pairs; cert_files: (client id, PEM certificate file)
        pairs; scopes: EWS_SCOPES (default) or GRAPH_SCOPES; tenant: the only tenant known
        (None: any)."""
        self.secrets = dict(secrets)
        self.certs = {}  # client id -> (x5t, public key)
        for client_id, path in cert_files:
            self.certs[client_id] = self._load_certificate(path)
        self.lifetime = lifetime
        self.scopes = dict(scopes or EWS_SCOPES)
        self.tenant = tenant
        self.key = os.urandom(32)
        self.kid = b64url(hashlib.sha256(self.key).digest()[:12])
        self.seen_jti = {}
        self.lock = threading.Lock()

    @staticmethod
    def _load_certificate(path):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        with open(path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        return b64url(cert.fingerprint(hashes.SHA1())), cert.public_key()

    def revoke_all(self):
        """A new signing key: every token issued so far fails its signature check (as after
        a revocation, or a key rollover the client has not seen)."""
        self.key = os.urandom(32)
        self.kid = b64url(hashlib.sha256(self.key).digest()[:12])

    # --- JWT --------------------------------------------------------------------------------

    def _mac(self, signing_input):
        return b64url(hmac.new(self.key, signing_input.encode(), hashlib.sha256).digest())

    def _sign(self, claims):
        header = {"typ": "JWT", "alg": "HS256", "kid": self.kid}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        return signing_input + "." + self._mac(signing_input)

    @staticmethod
    def _parts(token):
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not a JWS compact serialization")
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("JWT parts are not JSON objects")
        return parts, header, claims

    # --- the token endpoint -----------------------------------------------------------------

    def issue(self, tenant, endpoint_url, body):
        """Form body -> (client id, response dict); TokenError when Entra would refuse."""
        if self.tenant is not None and tenant != self.tenant:
            raise TokenError(400, "invalid_tenant",
                             "AADSTS90002: Tenant '%s' not found." % tenant)
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
            form = urllib.parse.parse_qs(text, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise TokenError(400, "invalid_request",
                             "AADSTS900144: The request body must contain the following "
                             "parameter: 'grant_type'.")
        one = {k: v[0] for k, v in form.items() if len(v) == 1}
        if one.get("grant_type") != "client_credentials":
            raise TokenError(400, "unsupported_grant_type",
                             "AADSTS70003: The app requested an unsupported grant type.")
        resource = self.scopes.get(one.get("scope"))
        if resource is None:
            raise TokenError(400, "invalid_scope",
                             "AADSTS70011: The provided value for the input parameter "
                             "'scope' is not valid.")
        client_id = one.get("client_id")
        if "client_assertion" in one:
            client_id = self._check_assertion(one, client_id, endpoint_url)
        else:
            self._check_secret(one, client_id)
        now = int(time.time())
        audience, roles = resource
        claims = {"aud": audience, "iss": "https://sts.windows.net/%s/" % tenant,
                  "iat": now, "nbf": now, "exp": now + self.lifetime, "appid": client_id,
                  "roles": list(roles), "tid": tenant, "oid": str(uuid.uuid4()),
                  "sub": client_id, "ver": "1.0"}
        return client_id, {"token_type": "Bearer", "expires_in": self.lifetime,
                           "ext_expires_in": self.lifetime, "access_token": self._sign(claims)}

    def _check_secret(self, form, client_id):
        if client_id not in self.secrets and client_id not in self.certs:
            raise TokenError(400, "unauthorized_client",
                             "AADSTS700016: Application with identifier '%s' was not found "
                             "in the directory." % client_id)
        if "client_secret" not in form:
            raise TokenError(401, "invalid_client",
                             "AADSTS7000218: The request body must contain the following "
                             "parameter: 'client_assertion' or 'client_secret'.")
        secret = self.secrets.get(client_id)
        if secret is None or not hmac.compare_digest(form["client_secret"].encode(),
                                                     secret.encode()):
            raise TokenError(401, "invalid_client",
                             "AADSTS7000215: Invalid client secret provided.")

    def _check_assertion(self, form, client_id, endpoint_url):
        def refuse(why):
            raise TokenError(401, "invalid_client", "AADSTS700027: Client assertion failed "
                             "signature validation or its claims are invalid: " + why)

        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenError(400, "invalid_request", "AADSTS50027: Invalid JWT token: "
                             "unsupported client_assertion_type.")
        assertion = form["client_assertion"]
        try:
            header = self._parts(assertion)[1]
        except (ValueError, UnicodeDecodeError):
            header = {}
        registered = None
        for cid, (thumb, key) in self.certs.items():
            if header.get("x5t") == thumb and client_id in (None, cid):
                registered = (cid, key)
        if registered is None:
            refuse("no registered certificate has the thumbprint x5t=%r" % header.get("x5t"))
        cid, key = registered
        try:
            claims = self._rs256_claims(assertion, key)
        except (ValueError, UnicodeDecodeError) as exc:
            refuse(str(exc))
        self._check_assertion_claims(claims, cid, endpoint_url, refuse)
        return cid

    def _rs256_claims(self, token, public_key):
        """The claims of an RS256 JWT whose signature PUBLIC_KEY verifies."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        parts, header, claims = self._parts(token)
        if header.get("alg") != "RS256":
            raise ValueError("alg is not RS256")
        try:
            public_key.verify(b64url_decode(parts[2]), (parts[0] + "." + parts[1]).encode(),
                              padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise ValueError("bad signature")
        return claims

    def _check_assertion_claims(self, claims, cid, endpoint_url, refuse):
        now = time.time()
        if claims.get("aud") != endpoint_url:
            refuse("aud is %r, not %r" % (claims.get("aud"), endpoint_url))
        if claims.get("iss") != cid or claims.get("sub") != cid:
            refuse("iss and sub must be the client id")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp + CLOCK_SKEW < now:
            refuse("exp missing or in the past")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, (int, float)) or nbf - CLOCK_SKEW > now):
            refuse("nbf in the future")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            refuse("jti missing")
        with self.lock:
            self.seen_jti = {j: t for j, t in self.seen_jti.items() if t > now}
            if jti in self.seen_jti:
                refuse("jti %s was used before" % jti)
            self.seen_jti[jti] = exp + CLOCK_SKEW

    # --- the resource's side ----------------------------------------------------------------

    def check_access_token(self, token, audience=EWS_AUDIENCE, role=None):
        """The claims of an access token issued here for AUDIENCE (with ROLE when given);
        InvalidToken otherwise."""
        try:
            parts, header, claims = self._parts(token)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidToken(str(exc))
        if header.get("alg") != "HS256" or header.get("kid") != self.kid:
            raise InvalidToken("unknown signing key")
        if not hmac.compare_digest(self._mac(parts[0] + "." + parts[1]), parts[2]):
            raise InvalidToken("bad signature")
        if claims.get("aud") not in (audience, audience + "/"):
            raise InvalidToken("audience is not %s" % audience)
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)):
            raise InvalidToken("no exp claim")
        if exp <= time.time():
            raise InvalidToken("the token expired", expired=True)
        if role is not None and role not in (claims.get("roles") or []):
            raise InvalidToken("the token lacks the %s role" % role)
        return claims
