"""An Entra-ID-shaped token service and the checks EWS makes on its access tokens.

POST /TENANT/oauth2/v2.0/token (application/x-www-form-urlencoded, grant_type
client_credentials) with either client_secret or a client_assertion: an RS256 JWT signed
with a registered certificate's key, whose header names the certificate by x5t (base64url
SHA-1 thumbprint) and whose claims are aud = the token endpoint's URL, iss = sub = the
client id, exp in the future and a jti not seen before. The answer carries an RS256 access
token with aud https://outlook.office365.com and roles ["full_access_as_app"], signed by a
key made at start-up. Error answers use Entra's JSON shape and AADSTS codes.

RSA and X.509 come from python3-cryptography (Debian), imported only when bearer
authentication is enabled.
"""

import base64
import hashlib
import json
import re
import threading
import time
import urllib.parse
import uuid

AUDIENCE = "https://outlook.office365.com"
SCOPE = AUDIENCE + "/.default"
ROLE = "full_access_as_app"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLOCK_SKEW = 300  # seconds Entra allows on an assertion's exp/nbf
# Exchange Online's WWW-Authenticate for bearer tokens (the shape clients parse).
CHALLENGE = ('Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
             'trusted_issuers="00000001-0000-0000-c000-000000000000@*", '
             'token_types="app_asserted_user_v1 service_asserted_app_v1"')


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
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
    """An access token EWS refuses; `expired` selects the error= parameter."""

    def __init__(self, why, expired=False):
        super().__init__(why)
        self.expired = expired


class TokenService:
    def __init__(self, secrets, cert_files, lifetime):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        self._hashes, self._padding = hashes, padding
        self.secrets = dict(secrets)  # client id -> secret
        self.certs = {}  # client id -> (x5t, public key)
        for client_id, path in cert_files:
            with open(path, "rb") as f:
                cert = x509.load_pem_x509_certificate(f.read())
            thumb = b64url(cert.fingerprint(hashes.SHA1()))
            self.certs[client_id] = (thumb, cert.public_key())
        self.lifetime = lifetime
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = b64url(hashlib.sha1(der).digest())
        self.seen_jti = {}
        self.lock = threading.Lock()

    def revoke_all(self):
        """A new signing key: every token issued so far fails its signature check (as after
        a revocation, or a key rollover the client has not seen)."""
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    # --- JWT --------------------------------------------------------------------------------

    def _sign(self, header, claims):
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = self.key.sign(signing_input.encode(), self._padding.PKCS1v15(),
                            self._hashes.SHA256())
        return signing_input + "." + b64url(sig)

    def _verified(self, token, public_key):
        """(header, claims) of an RS256 JWT whose signature `public_key` verifies."""
        from cryptography.exceptions import InvalidSignature
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not a JWS compact serialization")
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("JWT parts are not JSON objects")
        if header.get("alg") != "RS256":
            raise ValueError("alg is not RS256")
        try:
            public_key.verify(b64url_decode(parts[2]), (parts[0] + "." + parts[1]).encode(),
                              self._padding.PKCS1v15(), self._hashes.SHA256())
        except InvalidSignature:
            raise ValueError("bad signature")
        return header, claims

    @staticmethod
    def _unverified_header(token):
        try:
            header = json.loads(b64url_decode(token.split(".")[0]))
        except (ValueError, IndexError):
            return {}
        return header if isinstance(header, dict) else {}

    # --- the token endpoint -----------------------------------------------------------------

    def issue(self, tenant, endpoint_url, body):
        """Form body -> (client id, response dict); TokenError when Entra would refuse."""
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise TokenError(400, "invalid_request",
                             "AADSTS900144: The request body must contain the following "
                             "parameter: 'grant_type'.")
        one = {k: v[0] for k, v in form.items() if len(v) == 1}
        if one.get("grant_type") != "client_credentials":
            raise TokenError(400, "unsupported_grant_type",
                             "AADSTS70003: The app requested an unsupported grant type.")
        if one.get("scope") != SCOPE:
            raise TokenError(400, "invalid_scope",
                             "AADSTS70011: The provided value for the input parameter "
                             "'scope' is not valid.")
        client_id = one.get("client_id")
        if "client_assertion" in one:
            client_id = self._check_assertion(one, client_id, endpoint_url)
        elif "client_secret" in one:
            if client_id not in self.secrets or self.secrets[client_id] != one["client_secret"]:
                raise TokenError(401, "invalid_client",
                                 "AADSTS7000215: Invalid client secret provided.")
        else:
            raise TokenError(401, "invalid_client",
                             "AADSTS7000218: The request body must contain the following "
                             "parameter: 'client_assertion' or 'client_secret'.")
        now = int(time.time())
        claims = {"aud": AUDIENCE, "iss": "https://sts.windows.net/%s/" % tenant,
                  "iat": now, "nbf": now, "exp": now + self.lifetime, "appid": client_id,
                  "roles": [ROLE], "tid": tenant, "oid": str(uuid.uuid4()),
                  "sub": client_id, "ver": "1.0"}
        token = self._sign({"typ": "JWT", "alg": "RS256", "kid": self.kid, "x5t": self.kid},
                           claims)
        return client_id, {"token_type": "Bearer", "expires_in": self.lifetime,
                           "ext_expires_in": self.lifetime, "access_token": token}

    def _check_assertion(self, form, client_id, endpoint_url):
        def refuse(why):
            raise TokenError(401, "invalid_client", "AADSTS700027: Client assertion failed "
                             "signature validation or its claims are invalid: " + why)

        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenError(400, "invalid_request", "AADSTS50027: Invalid JWT token: "
                             "unsupported client_assertion_type.")
        assertion = form["client_assertion"]
        header = self._unverified_header(assertion)
        registered = None
        for cid, (thumb, key) in self.certs.items():
            if header.get("x5t") == thumb and client_id in (None, cid):
                registered = (cid, key)
        if registered is None:
            refuse("no registered certificate has the thumbprint x5t=%r"
                   % header.get("x5t"))
        cid, key = registered
        try:
            _, claims = self._verified(assertion, key)
        except (ValueError, UnicodeDecodeError) as exc:
            refuse(str(exc))
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
        return cid

    # --- EWS's side -------------------------------------------------------------------------

    def check_access_token(self, token):
        """The client id an access token was issued to; InvalidToken otherwise."""
        try:
            header, claims = self._verified(token, self.key.public_key())
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidToken(str(exc))
        if header.get("kid") != self.kid:
            raise InvalidToken("unknown signing key")
        if claims.get("aud") not in (AUDIENCE, AUDIENCE + "/"):
            raise InvalidToken("audience is not %s" % AUDIENCE)
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)):
            raise InvalidToken("no exp claim")
        if exp <= time.time():
            raise InvalidToken("the token expired", expired=True)
        if ROLE not in (claims.get("roles") or []):
            raise InvalidToken("the token lacks the %s role" % ROLE)
        return claims.get("appid")
