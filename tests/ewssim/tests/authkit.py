"""Helpers of the authentication tests (simulator and end-to-end): a test KDC, Kerberos
tokens, NTLM clients, certificates and client assertions for the token endpoint.

    with authkit.Kdc() as kdc:              # tests/kdc/start in a temporary directory
        kdc.env                             # {"KRB5_CONFIG": ...}: both sides find the KDC
        token = kdc.negotiate_token("127.0.0.1")   # svc's SPNEGO token for HTTP/127.0.0.1

Everything here talks to real implementations: MIT Kerberos (krb5-kdc, python3-gssapi),
python3-requests-ntlm, python3-cryptography.
"""

import base64
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
KDC_DIR = os.path.join(REPO, "tests", "kdc")

# The request every authentication test sends: the Inbox's item ids.
FIND_INBOX = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly'
              '</t:BaseShape></m:ItemShape><m:ParentFolderIds>'
              '<t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')


class Kdc:
    """tests/kdc/start DIR ... tests/kdc/stop DIR around a block (or start()/stop())."""

    def __init__(self):
        self.dir = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="meetingd-kdc-")
        res = subprocess.run([os.path.join(KDC_DIR, "start"), self.dir],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if res.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError("tests/kdc/start failed:\n" + res.stdout)
        return self

    def stop(self):
        if self.dir:
            subprocess.run([os.path.join(KDC_DIR, "stop"), self.dir])
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def path(self, name):
        return os.path.join(self.dir, name)

    @property
    def env(self):
        return {"KRB5_CONFIG": self.path("krb5.conf")}

    def negotiate_token(self, host, client_keytab=None, principal="svc"):
        """A first SPNEGO token from PRINCIPAL (keys from its keytab) for HTTP@HOST, made by
        a child process so that this process's Kerberos environment stays untouched."""
        code = ("import base64, gssapi, sys\n"
                "name = gssapi.Name(sys.argv[1], gssapi.NameType.kerberos_principal)\n"
                "creds = gssapi.Credentials(name=name, usage='initiate')\n"
                "target = gssapi.Name('HTTP@' + sys.argv[2], "
                "gssapi.NameType.hostbased_service)\n"
                "spnego = gssapi.Mechanism.from_sasl_name('SPNEGO')\n"
                "ctx = gssapi.SecurityContext(name=target, creds=creds, mech=spnego, "
                "usage='initiate')\n"
                "print(base64.b64encode(ctx.step()).decode())\n")
        env = dict(os.environ, KRB5CCNAME="MEMORY:authkit",
                   KRB5_CLIENT_KTNAME=client_keytab or self.path("client.keytab"),
                   **self.env)
        res = subprocess.run(["/usr/bin/python3", "-c", code, principal, host], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if res.returncode != 0:
            raise RuntimeError("no Kerberos token: " + res.stderr)
        return res.stdout.strip()

    def add_principal(self, name, keytab):
        """A new principal with a random key, exported to KEYTAB."""
        env = dict(os.environ, KRB5_KDC_PROFILE=self.path("kdc.conf"), **self.env)
        script = "addprinc -randkey %s\nktadd -k %s %s\n" % (name, keytab, name)
        subprocess.run(["/usr/sbin/kadmin.local", "-r", "EXAMPLE.COM"], input=script,
                       env=env, text=True, check=True, stdout=subprocess.DEVNULL)


# --- NTLM ------------------------------------------------------------------------------------

OPENSSL_LEGACY_CONF = """openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
"""


def reexec_with_md4():
    """python3-ntlm-auth computes MD4 with hashlib, which OpenSSL 3 only offers from its
    legacy provider (Debian's libssl3 ships it): re-runs this test file with an OpenSSL
    configuration that loads it. Call first thing in a test file that uses ntlm_session."""
    if os.environ.get("AUTHKIT_MD4") == "1":
        return
    conf = os.path.join(tempfile.gettempdir(), "meetingd-openssl-legacy.cnf")
    with open(conf + ".tmp", "w") as f:
        f.write(OPENSSL_LEGACY_CONF)
    os.replace(conf + ".tmp", conf)
    env = dict(os.environ, OPENSSL_CONF=conf, AUTHKIT_MD4="1")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def ntlm_session(user, password):
    """A requests session logging in with NTLM (python3-requests-ntlm, a third-party
    implementation of the client side)."""
    import requests
    import requests_ntlm
    session = requests.Session()
    session.auth = requests_ntlm.HttpNtlmAuth(user, password)
    session.trust_env = False
    return session


# --- certificates and assertions -----------------------------------------------------------

def make_certificate(directory, name="meetingd-app"):
    """A self-signed RSA certificate and key (PEM files); returns (cert path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, name + ".crt.pem")
    key_path = os.path.join(directory, name + ".key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_assertion(cert_path, key_path, client_id, audience, lifetime=600, **override):
    """An RS256 client assertion as Entra expects it; OVERRIDE replaces header fields
    (x5t=...) or claims (aud=..., exp=..., jti=...)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "x5t": _b64url(cert.fingerprint(hashes.SHA1()))}
    claims = {"aud": audience, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
              "nbf": now, "exp": now + lifetime}
    for k, v in override.items():
        (header if k in ("x5t", "alg") else claims)[k] = v
    signing_input = (_b64url(json.dumps(header).encode()) + "."
                     + _b64url(json.dumps(claims).encode()))
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64url(sig)


def token_request(sim, tenant, form):
    """POST FORM to the simulator's token endpoint; (status, JSON answer)."""
    resp = sim.request("POST", "/%s/oauth2/v2.0/token" % tenant,
                       urllib.parse.urlencode(form).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    return resp.status, json.loads(resp.body)


def token_url(sim, tenant):
    return "http://%s:%d/%s/oauth2/v2.0/token" % (sim.host, sim.port, tenant)
