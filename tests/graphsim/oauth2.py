"""An Entra-ID-shaped token endpoint (client credentials) and the bearer check Graph makes.

Tokens are compact JWS (HS256 under a key drawn at start): a client that treats them as opaque,
as it should, sees the same thing as with Entra ID; the simulator verifies signature, audience
and expiry on every Graph request.
"""

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.parse

AUDIENCE = "https://graph.microsoft.com"
SCOPE = "https://graph.microsoft.com/.default"
ROLES = ["Calendars.ReadWrite", "Mail.ReadWrite"]
# Scopes the endpoint issues tokens for (scope -> audience); Graph accepts only its own.
RESOURCES = {SCOPE: AUDIENCE,
             "https://outlook.office365.com/.default": "https://outlook.office365.com"}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
    """status, error (OAuth2 code), description (AADSTS-style text)."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class Issuer:
    def __init__(self, tenant, clients, lifetime=3600):
        self.tenant = tenant
        self.clients = dict(clients)          # client id -> secret
        self.lifetime = lifetime
        self.key = os.urandom(32)

    def revoke_all(self):
        """A new signing key: every token issued so far fails its signature check."""
        self.key = os.urandom(32)

    def sign(self, claims):
        header = b64url(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self.key, ("%s.%s" % (header, payload)).encode(), hashlib.sha256)
        return "%s.%s.%s" % (header, payload, b64url(mac.digest()))

    def token_response(self, tenant, form_body):
        """The JSON object for POST /TENANT/oauth2/v2.0/token, or raise TokenError."""
        if tenant != self.tenant:
            raise TokenError(400, "invalid_tenant",
                             "AADSTS90002: Tenant '%s' not found." % tenant)
        form = {k: v[0] for k, v in urllib.parse.parse_qs(form_body).items()}
        if form.get("grant_type") != "client_credentials":
            raise TokenError(400, "unsupported_grant_type",
                             "AADSTS70003: The app requested an unsupported grant type.")
        client = form.get("client_id", "")
        if client not in self.clients:
            raise TokenError(400, "unauthorized_client",
                             "AADSTS700016: Application '%s' was not found." % client)
        if not hmac.compare_digest(form.get("client_secret", ""), self.clients[client]):
            raise TokenError(401, "invalid_client",
                             "AADSTS7000215: Invalid client secret provided.")
        audience = RESOURCES.get(form.get("scope"))
        if audience is None:
            raise TokenError(400, "invalid_scope",
                             "AADSTS1002012: The provided value for scope is not valid.")
        now = int(time.time())
        claims = {"aud": audience, "iss": "https://sts.windows.net/%s/" % self.tenant,
                  "tid": self.tenant, "appid": client, "roles": ROLES, "iat": now, "nbf": now,
                  "exp": now + self.lifetime}
        return {"token_type": "Bearer", "expires_in": self.lifetime,
                "ext_expires_in": self.lifetime, "access_token": self.sign(claims)}

    def verify(self, authorization):
        """The token's claims, or raise TokenError(401) saying what is wrong."""
        if not authorization or not authorization.startswith("Bearer "):
            raise TokenError(401, "InvalidAuthenticationToken", "Access token is empty.")
        parts = authorization[7:].strip().split(".")
        if len(parts) != 3:
            raise TokenError(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
        mac = hmac.new(self.key, ("%s.%s" % (parts[0], parts[1])).encode(), hashlib.sha256)
        try:
            good = hmac.compare_digest(b64url(mac.digest()), parts[2])
            claims = json.loads(b64url_decode(parts[1]))
        except (ValueError, UnicodeDecodeError):
            good, claims = False, {}
        if not good or not isinstance(claims, dict):
            raise TokenError(401, "InvalidAuthenticationToken", "Invalid signature.")
        if claims.get("aud") != AUDIENCE:
            raise TokenError(401, "InvalidAuthenticationToken", "Invalid audience.")
        now = time.time()
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            raise TokenError(401, "InvalidAuthenticationToken", "Lifetime validation failed, "
                             "the token is expired.")
        return claims
