"""Fault injection: what a client sees for every fault kind, operation filters, seeds."""

import base64
import http.client
import os
import socket
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

USER = "user@example.com"
HANG_SECONDS = 1.5

FIND = h.envelope('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly'
                  '</t:BaseShape></m:ItemShape><m:ParentFolderIds>'
                  '<t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
GET_FOLDER = h.envelope("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape>"
                        '</m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="drafts"/>'
                        "</m:FolderIds></m:GetFolder>")


def draft(subject):
    return h.envelope('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                      "<t:Subject>%s</t:Subject></t:Message></m:Items></m:CreateItem>"
                      % subject)


def raw_request(body):
    auth = base64.b64encode(("%s:password" % USER).encode()).decode()
    return (b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: text/xml; charset=utf-8\r\nAuthorization: Basic "
            + auth.encode() + b"\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[USER], backoff_ms=1234, hang_seconds=HANG_SECONDS).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def tearDown(self):
        self.sim.set_faults([])

    def drafts(self):
        return [i["subject"] for i in self.sim.mailbox(USER)["drafts"]]

    def raw(self, body, timeout=5.0):
        """Send one request on a fresh socket; return (bytes received, how it ended)."""
        sock = socket.create_connection((self.sim.host, self.sim.port), timeout=timeout)
        try:
            sock.sendall(raw_request(body))
            data = b""
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    return data, "reset"
                except socket.timeout:
                    return data, "timeout"
                if not chunk:
                    return data, "eof"
                data += chunk
        finally:
            sock.close()

    def test_server_busy_is_a_soap_fault_with_backoff(self):
        self.sim.set_faults(["server-busy:1"])
        resp = self.sim.post(FIND, USER)
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.fault_code(), "ErrorServerBusy")
        self.assertEqual(resp.fault.findtext("faultcode"), "a:ErrorServerBusy")
        value = resp.fault.find("detail/t:MessageXml/t:Value", h.NS)
        self.assertEqual((value.get("Name"), value.text), ("BackOffMilliseconds", "1234"))

    def test_server_busy_message_is_a_response_class_error(self):
        self.sim.set_faults(["server-busy-message:1"])
        resp = self.sim.post(FIND, USER)
        self.assertEqual(resp.status, 200)
        msg = resp.message()
        self.assertEqual(msg.get("ResponseClass"), "Error")
        self.assertEqual(h.code(msg), "ErrorServerBusy")
        value = msg.find("m:MessageXml/t:Value", h.NS)
        self.assertEqual((value.get("Name"), value.text), ("BackOffMilliseconds", "1234"))
        # Nothing is processed under a busy server.
        self.sim.post(draft("busy draft"), USER)
        self.assertNotIn("busy draft", self.drafts())

    def test_http_errors(self):
        for kind, status in (("http-500", 500), ("http-503", 503)):
            with self.subTest(kind=kind):
                self.sim.set_faults(["%s:1" % kind])
                resp = self.sim.post(draft(kind), USER)
                self.assertEqual(resp.status, status)
                self.assertIsNone(resp.fault)
                self.assertTrue(resp.header("Content-Type").startswith("text/html"))
                self.assertNotIn(kind, self.drafts())

    def test_hang(self):
        self.sim.set_faults(["hang:1"])
        started = time.monotonic()
        data, how = self.raw(draft("hung"), timeout=0.5)
        self.assertEqual((data, how), (b"", "timeout"))
        # After --hang-seconds the simulator gives up and closes the connection.
        data, how = self.raw(draft("hung again"), timeout=HANG_SECONDS + 5)
        self.assertEqual((data, how), (b"", "eof"))
        self.assertGreaterEqual(time.monotonic() - started, HANG_SECONDS)
        # The request itself was carried out: only the answer was lost.
        self.assertIn("hung again", self.drafts())

    def test_drop(self):
        self.sim.set_faults(["drop:1:CreateItem"])
        data, how = self.raw(draft("dropped"))
        # Not one byte of a response, a clean close at once ...
        self.assertEqual((data, how), (b"", "eof"))
        # ... after the request was carried out.
        self.assertIn("dropped", self.drafts())
        self.assertEqual(self.sim.stats()["faults_injected"].get("drop"), 1)

    def test_reset(self):
        self.sim.set_faults(["reset:1"])
        data, how = self.raw(draft("reset"))
        self.assertEqual(how, "reset")
        if data:
            self.assertTrue(data.startswith(b"HTTP/1.1 200"))
        self.assertIn("reset", self.drafts())
        # http.client sees a broken exchange too.
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            self.sim.post(FIND, USER)

    def test_truncate(self):
        self.sim.set_faults(["truncate:1"])
        data, how = self.raw(FIND)
        self.assertEqual(how, "eof")
        head, _, body = data.partition(b"\r\n\r\n")
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")][0]
        self.assertLess(len(body), length)
        self.assertGreater(len(body), 0)
        conn = http.client.HTTPConnection(self.sim.host, self.sim.port, timeout=5)
        conn.request("POST", "/EWS/Exchange.asmx", FIND, {
            "Authorization": "Basic " + base64.b64encode(b"user@example.com:password").decode()})
        resp = conn.getresponse()
        with self.assertRaises(http.client.IncompleteRead):
            resp.read()
        conn.close()

    def test_malformed(self):
        self.sim.set_faults(["malformed:1"])
        resp = self.sim.post(draft("malformed"), USER)
        self.assertEqual(resp.status, 200)
        self.assertEqual(int(resp.header("Content-Length")), len(resp.body))
        with self.assertRaises(ET.ParseError):
            ET.fromstring(resp.body)
        self.assertIn("malformed", self.drafts())

    def test_operation_filter_and_runtime_changes(self):
        specs = self.sim.set_faults(["http-503:1:GetFolder", "# a comment", ""])
        self.assertEqual(specs, [{"kind": "http-503", "rate": 1.0, "operation": "GetFolder"}])
        self.assertEqual(self.sim.post(FIND, USER).status, 200)
        self.assertEqual(self.sim.post(GET_FOLDER, USER).status, 503)
        self.sim.set_faults([])
        self.assertEqual(self.sim.post(GET_FOLDER, USER).status, 200)
        with self.assertRaises(ValueError):
            self.sim.set_faults(["explode:1"])
        with self.assertRaises(ValueError):
            self.sim.set_faults(["http-500:2"])
        stats = self.sim.stats()
        self.assertGreaterEqual(stats["faults_injected"]["http-503"], 1)

    def test_rate_zero_never_fires(self):
        self.sim.set_faults(["http-500:0"])
        for _ in range(20):
            self.assertEqual(self.sim.post(FIND, USER).status, 200)


class FaultOptions(unittest.TestCase):
    """Faults given on the command line, and reproducibility with --seed."""

    def outcomes(self, seed):
        with h.Sim(mailboxes=[USER], faults=["http-503:0.5"], seed=seed) as sim:
            return [sim.post(FIND, USER).status for _ in range(24)]

    def test_same_seed_same_faults(self):
        first = self.outcomes(7)
        self.assertEqual(first, self.outcomes(7))
        self.assertEqual(set(first), {200, 503})
        self.assertNotEqual(first, self.outcomes(8))

    def test_command_line_fault_with_operation(self):
        with h.Sim(mailboxes=[USER], faults=["server-busy:1:FindItem"]) as sim:
            self.assertEqual(sim.post(FIND, USER).fault_code(), "ErrorServerBusy")
            self.assertEqual(sim.post(GET_FOLDER, USER).status, 200)
            busy = sim.post(FIND, USER).fault.find("detail/t:MessageXml/t:Value", h.NS)
            self.assertEqual(busy.text, "200")  # the default --backoff-ms


class StrayResponseAfterFault(unittest.TestCase):
    """--stray-response-after-fault: after a SOAP fault, the next request on the same
    connection first gets a stray copy of an earlier response to its operation."""

    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[USER], extra_args=["--stray-response-after-fault"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def exchange(self, sock, body):
        """Sends BODY on SOCK; returns the responses that arrived within half a second."""
        sock.sendall(raw_request(body))
        data = b""
        sock.settimeout(0.5)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        return [r for r in data.split(b"HTTP/1.1 ")[1:]]

    def test_stray_response_only_on_a_connection_reused_after_a_fault(self):
        self.assertEqual(self.sim.post(draft("first"), USER).status, 200)
        sock = socket.create_connection((self.sim.host, self.sim.port), timeout=5)
        try:
            self.assertEqual(len(self.exchange(sock, draft("ok"))), 1)
            self.sim.set_faults(["server-busy:1"])
            got = self.exchange(sock, draft("busy"))
            self.assertEqual(len(got), 1)
            self.assertTrue(got[0].startswith(b"500"))
            self.sim.set_faults([])
            # Reused after the fault: a stray CreateItem response arrives first, then its own.
            got = self.exchange(sock, draft("after the fault"))
            self.assertEqual(len(got), 2)
            self.assertTrue(all(r.startswith(b"200") for r in got))
            self.assertIn(b"CreateItemResponse", got[0])
            self.assertEqual(self.sim.stats()["stray_responses"], 1)
            # One stray per fault: the connection answers normally again afterwards.
            self.assertEqual(len(self.exchange(sock, FIND)), 1)
        finally:
            sock.close()
        # A client that closed the connection after the fault never meets the stray one.
        self.sim.set_faults(["server-busy:1"])
        self.assertEqual(self.sim.post(FIND, USER).status, 500)
        self.sim.set_faults([])
        self.sim._close_connections()
        self.assertEqual(self.sim.post(FIND, USER).status, 200)
        self.assertEqual(self.sim.stats()["stray_responses"], 1)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
