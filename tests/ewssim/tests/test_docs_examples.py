"""Every request of the schema kit's examples for an operation the simulator implements is
answered without a schema-validation error or a SOAP fault; responses validate too (the
harness fails the run otherwise).

examples/docs/ (Microsoft's documentation), examples/client/ (a real client's requests)
and examples/handwritten/. Their ids are made up, so ErrorInvalidIdMalformed and
ErrorItemNotFound are the right answers for them; nothing else but NoError is accepted.
The captured HTTP exchanges (client/*.http) are replayed byte for byte on one keep-alive
connection.
"""

import glob
import http.client
import io
import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

sys.path.insert(0, h.SIM_DIR)
import schema  # noqa: E402

IMPLEMENTED = {"FindItem", "GetItem", "GetFolder", "CreateItem", "UpdateItem", "DeleteItem"}
ACCEPTED = {"NoError", "ErrorInvalidIdMalformed", "ErrorItemNotFound"}

# Requests the documentation itself gets wrong (each is checked to fail validation below).
BROKEN_IN_DOCS = {
    "docs/how-to-delete-appointments-and-cancel-meetings-by-using-ews-in-exchange-3.xml":
        "its xmlns:m value ends with a line break, so m:FindItem is not in the EWS messages "
        "namespace (libxml2: 'is not a valid URI'); Exchange answers ErrorSchemaValidation",
}

# The captured client logs in as this account (Authorization header of client/*.http).
CLIENT_USER = "user@contoso.com:secret"


def read(path):
    with open(path, "rb") as f:
        return f.read()


def examples():
    base = os.path.join(h.schema_dir(), "examples")
    out = []
    for sub in ("docs", "client", "handwritten"):
        for path in sorted(glob.glob(os.path.join(base, sub, "*.xml"))):
            out.append((sub + "/" + os.path.basename(path), path))
    return out


def operation(data):
    """Name of the Body's first element, found without parsing (some examples are broken)."""
    match = re.search(rb"<(?:\w+:)?Body\b[^>]*>\s*<(?:\w+:)?(\w+)", data)
    return match.group(1).decode() if match else None


class DocsExamples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[CLIENT_USER]).start()
        cls.validator = schema.Validator(h.schema_dir())

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_requests_are_answered(self):
        posted = 0
        for name, path in examples():
            data = read(path)
            op = operation(data)
            if op not in IMPLEMENTED:
                continue  # responses, and operations the simulator does not offer
            posted += 1
            errors = self.validator.validate(data)
            with self.subTest(example=name):
                resp = self.sim.post(data, "user@contoso.com", "secret")
                if name in BROKEN_IN_DOCS:
                    self.assertTrue(errors, "%s is listed as broken but validates" % name)
                    self.assertEqual(resp.status, 500)
                    self.assertEqual(resp.fault_code(), "ErrorSchemaValidation")
                    violation = resp.fault.findtext("detail/t:MessageXml/t:Violation",
                                                    namespaces=h.NS)
                    self.assertTrue(violation)
                    continue
                self.assertEqual(errors, [], "%s does not validate" % name)
                self.assertEqual(resp.status, 200, resp.body[:1500])
                self.assertIsNone(resp.fault)
                codes = resp.codes()
                self.assertTrue(codes)
                self.assertLessEqual(set(codes), ACCEPTED, "%s: %s" % (name, codes))
        self.assertGreaterEqual(posted, 30)
        self.assertEqual(set(BROKEN_IN_DOCS) - {n for n, _ in examples()}, set())

    def test_captured_http_exchanges_replay(self):
        base = os.path.join(h.schema_dir(), "examples", "client")
        for path in sorted(glob.glob(os.path.join(base, "*.http"))):
            raw = read(path)
            expected = raw.count(b"POST /EWS/Exchange.asmx")
            with self.subTest(capture=os.path.basename(path)):
                sock = socket.create_connection((self.sim.host, self.sim.port), timeout=10)
                try:
                    sock.sendall(raw)  # all requests at once, as captured, CRLFs and all
                    reader = sock.makefile("rb")
                    for _ in range(expected):
                        resp = http.client.HTTPResponse(_Replay(reader))
                        resp.begin()
                        body = resp.read()
                        self.assertEqual(resp.status, 200, body[:500])
                        self.assertFalse(resp.will_close)
                        parsed = h.Response(resp.status, resp.getheaders(), body)
                        self.assertIsNone(parsed.fault)
                        self.assertLessEqual(set(parsed.codes()), ACCEPTED)
                        self.assertTrue(parsed.codes())
                finally:
                    sock.close()

    def test_requests_without_declaration_or_usual_prefixes(self):
        body = (b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
                b'<FindItem xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"'
                b' xmlns:x="http://schemas.microsoft.com/exchange/services/2006/types"'
                b' Traversal="Shallow"><ItemShape><x:BaseShape>Default</x:BaseShape></ItemShape>'
                b'<ParentFolderIds><x:DistinguishedFolderId Id="calendar">'
                b"</x:DistinguishedFolderId>"
                b"</ParentFolderIds></FindItem></S:Body></S:Envelope>")
        resp = self.sim.post(body, "user@contoso.com", "secret")
        self.assertEqual(resp.codes(), ["NoError"])


class _Replay:
    """What http.client.HTTPResponse needs of a socket: makefile()."""

    def __init__(self, reader):
        self.reader = reader

    def makefile(self, mode):
        return _NoClose(self.reader)


class _NoClose(io.RawIOBase):
    def __init__(self, reader):
        self.reader = reader

    def readable(self):
        return True

    def readinto(self, buf):
        data = self.reader.read1(len(buf))
        buf[:len(data)] = data
        return len(data)

    def readline(self, limit=-1):
        return self.reader.readline(limit)

    def read(self, n=-1):
        return self.reader.read(n)

    def close(self):
        pass


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
