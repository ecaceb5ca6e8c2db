"""NTLM server side (MS-NLMP): Type 1/2/3 messages and NTLMv2 verification.

Only NTLMv2 responses are accepted, as on a domain with LmCompatibilityLevel 5 (the
default of current Windows servers); an NTLMv1 or LM-only Type 3 message fails.
hashlib has no MD4 once OpenSSL 3 moved it to the legacy provider, so it is written here
(RFC 1320); NTOWFv1 is MD4 of the UTF-16LE password.
"""

import hmac
import os
import struct
import time

SIGNATURE = b"NTLMSSP\x00"

NEGOTIATE_UNICODE = 0x00000001
NEGOTIATE_OEM = 0x00000002
REQUEST_TARGET = 0x00000004
NEGOTIATE_NTLM = 0x00000200
NEGOTIATE_ALWAYS_SIGN = 0x00008000
TARGET_TYPE_DOMAIN = 0x00010000
NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
NEGOTIATE_TARGET_INFO = 0x00800000
NEGOTIATE_VERSION = 0x02000000
NEGOTIATE_128 = 0x20000000
NEGOTIATE_56 = 0x80000000

# MS-NLMP 2.2.2.1 AV_PAIR ids.
AV_EOL, AV_NB_COMPUTER, AV_NB_DOMAIN, AV_DNS_COMPUTER, AV_DNS_DOMAIN, AV_TIMESTAMP = \
    0, 1, 2, 3, 4, 7


class NtlmError(ValueError):
    """A message that is not the NTLM message expected."""


# --- MD4 (RFC 1320) ------------------------------------------------------------------------

def _rotl(x, n):
    x &= 0xFFFFFFFF
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def md4(data):
    msg = bytearray(data)
    bit_len = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += struct.pack("<Q", bit_len)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", bytes(msg[off:off + 64]))
        aa, bb, cc, dd = a, b, c, d

        def f(x_, y, z):
            return (x_ & y) | (~x_ & z)

        def g(x_, y, z):
            return (x_ & y) | (x_ & z) | (y & z)

        def h(x_, y, z):
            return x_ ^ y ^ z

        for i in range(16):  # round 1
            k, s = i, (3, 7, 11, 19)[i % 4]
            a = _rotl(a + f(b, c, d) + x[k], s)
            a, b, c, d = d, a, b, c
        for i in range(16):  # round 2
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            a = _rotl(a + g(b, c, d) + x[k] + 0x5A827999, s)
            a, b, c, d = d, a, b, c
        order = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)
        for i in range(16):  # round 3
            k, s = order[i], (3, 9, 11, 15)[i % 4]
            a = _rotl(a + h(b, c, d) + x[k] + 0x6ED9EBA1, s)
            a, b, c, d = d, a, b, c
        a = (a + aa) & 0xFFFFFFFF
        b = (b + bb) & 0xFFFFFFFF
        c = (c + cc) & 0xFFFFFFFF
        d = (d + dd) & 0xFFFFFFFF
    return struct.pack("<4I", a, b, c, d)


def nt_hash(password):
    return md4(password.encode("utf-16-le"))


def ntowf_v2(password, user, domain):
    return hmac.new(nt_hash(password), (user.upper() + domain).encode("utf-16-le"),
                    "md5").digest()


# --- messages -------------------------------------------------------------------------------

def message_type(data):
    if len(data) < 12 or data[:8] != SIGNATURE:
        raise NtlmError("not an NTLMSSP message")
    return struct.unpack_from("<I", data, 8)[0]


def _field(data, offset):
    """The bytes a security buffer (len, maxlen, offset) at `offset` points to."""
    if len(data) < offset + 8:
        raise NtlmError("message too short")
    length, _, start = struct.unpack_from("<HHI", data, offset)
    if start + length > len(data):
        raise NtlmError("security buffer beyond the message")
    return data[start:start + length]


def _av_pairs(pairs):
    out = b""
    for av_id, value in pairs:
        out += struct.pack("<HH", av_id, len(value)) + value
    return out + struct.pack("<HH", AV_EOL, 0)


def _filetime_now():
    return int((time.time() + 11644473600) * 10_000_000)


class Challenge:
    """The server's side of one handshake: the Type 2 it sent, what Type 3 must prove."""

    def __init__(self, negotiate_flags, nb_domain, dns_domain, computer="EWSSIM"):
        self.server_challenge = os.urandom(8)
        self.unicode = bool(negotiate_flags & NEGOTIATE_UNICODE) or \
            not negotiate_flags & NEGOTIATE_OEM
        self.flags = (REQUEST_TARGET | NEGOTIATE_NTLM | NEGOTIATE_ALWAYS_SIGN
                      | TARGET_TYPE_DOMAIN | NEGOTIATE_TARGET_INFO | NEGOTIATE_VERSION
                      | (negotiate_flags & (NEGOTIATE_EXTENDED_SESSIONSECURITY
                                            | NEGOTIATE_128 | NEGOTIATE_56))
                      | (NEGOTIATE_UNICODE if self.unicode else NEGOTIATE_OEM))
        self.nb_domain = nb_domain
        self.dns_domain = dns_domain
        self.computer = computer

    def _text(self, s):
        return s.encode("utf-16-le") if self.unicode else s.encode("ascii", "replace")

    def type2(self):
        u16 = "utf-16-le"
        target = self._text(self.nb_domain)
        info = _av_pairs([
            (AV_NB_DOMAIN, self.nb_domain.encode(u16)),
            (AV_NB_COMPUTER, self.computer.encode(u16)),
            (AV_DNS_DOMAIN, self.dns_domain.encode(u16)),
            (AV_DNS_COMPUTER, ("%s.%s" % (self.computer.lower(), self.dns_domain)).encode(u16)),
            (AV_TIMESTAMP, struct.pack("<Q", _filetime_now())),
        ])
        head = 56  # fixed part including the Version field
        version = struct.pack("<BBHxxxB", 10, 0, 20348, 15)  # Windows Server 2022, NTLM 15
        return (SIGNATURE + struct.pack("<I", 2)
                + struct.pack("<HHI", len(target), len(target), head)
                + struct.pack("<I", self.flags) + self.server_challenge + b"\x00" * 8
                + struct.pack("<HHI", len(info), len(info), head + len(target))
                + version + target + info)


class Authenticate:
    """A parsed Type 3 message."""

    def __init__(self, data, unicode):
        if message_type(data) != 3:
            raise NtlmError("not a Type 3 message")
        self.lm_response = _field(data, 12)
        self.nt_response = _field(data, 20)
        enc = "utf-16-le" if unicode else "latin-1"
        try:
            self.domain = _field(data, 28).decode(enc)
            self.user = _field(data, 36).decode(enc)
            self.workstation = _field(data, 44).decode(enc)
        except UnicodeDecodeError as exc:
            raise NtlmError("undecodable name: %s" % exc)

    def verify_v2(self, password, server_challenge):
        """True when the NTLMv2 response proves knowledge of `password`."""
        if len(self.nt_response) <= 24:
            return False  # NTLMv1 or none: refused
        proof, blob = self.nt_response[:16], self.nt_response[16:]
        key = ntowf_v2(password, self.user, self.domain)
        expected = hmac.new(key, server_challenge + blob, "md5").digest()
        return hmac.compare_digest(proof, expected)
