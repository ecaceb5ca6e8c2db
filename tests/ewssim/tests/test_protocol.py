"""HTTP and SOAP handling: faults for invalid requests, routing, keep-alive, chunked and
100-continue bodies, concurrency, the envelope of responses."""

import base64
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

USER = "user@example.com"
FIND = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
        '</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
        "</m:ParentFolderIds></m:FindItem>")
AUTH = "Basic " + base64.b64encode(b"user@example.com:password").decode()


class Protocol(h.SimTestCase):
    MAILBOXES = (USER,)

    def test_response_envelope(self):
        resp = self.sim.post(h.envelope(FIND), USER)
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Content-Type").startswith("text/xml"))
        info = resp.root.find("s:Header/t:ServerVersionInfo", h.NS)
        self.assertIsNotNone(info)
        self.assertTrue(info.get("MajorVersion"))
        body_child = resp.root.find("s:Body", h.NS)[0]
        self.assertEqual(body_child.tag, h.m("FindItemResponse"))
        msg = resp.message()
        self.assertEqual(msg.tag, h.m("FindItemResponseMessage"))
        self.assertEqual(msg.get("ResponseClass"), "Success")

    def test_schema_violation_is_a_fault_with_line(self):
        bad = h.envelope("<m:GetItem>\n<m:ItemShape><t:BaseShape>Everything</t:BaseShape>"
                         "</m:ItemShape><m:ItemIds/></m:GetItem>")
        resp = self.sim.post(bad, USER)
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.fault_code(), "ErrorSchemaValidation")
        self.assertEqual(resp.fault.findtext("faultcode"), "a:ErrorSchemaValidation")
        self.assertTrue(resp.fault.findtext("faultstring").startswith(
            "The request failed schema validation: "))
        mx = resp.fault.find("detail/t:MessageXml", h.NS)
        self.assertEqual(mx.findtext("t:LineNumber", namespaces=h.NS), "3")
        self.assertIn("BaseShape", mx.findtext("t:Violation", namespaces=h.NS))
        self.assertGreaterEqual(self.sim.stats()["invalid_requests"], 1)

    def test_misspelled_operation_and_foreign_elements(self):
        for body in ("<m:FindItems/>", "<Foo xmlns='urn:x'/>"):
            with self.subTest(body=body):
                resp = self.sim.post(h.envelope(body), USER)
                self.assertEqual(resp.status, 500)
                self.assertEqual(resp.fault_code(), "ErrorSchemaValidation")

    def test_valid_but_unimplemented_operation(self):
        resp = self.sim.post(h.envelope(
            "<m:GetEvents><m:SubscriptionId>abc</m:SubscriptionId>"
            "<m:Watermark>AQAAAA==</m:Watermark></m:GetEvents>"), USER)
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.fault_code(), "ErrorInvalidRequest")
        self.assertIn("GetEvents", resp.fault.findtext("faultstring"))

    def test_not_xml_and_doctype(self):
        for body in (b"<soap:Envelope", b"hello",
                     b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + h.envelope(FIND)):
            with self.subTest(body=body[:30]):
                resp = self.sim.post(body, USER)
                self.assertEqual(resp.status, 500)
                self.assertEqual(resp.fault_code(), "ErrorSchemaValidation")
        resp = self.sim.post(b"<x>\n  <y></x>", USER)
        mx = resp.fault.find("detail/t:MessageXml", h.NS)
        self.assertEqual(mx.findtext("t:LineNumber", namespaces=h.NS), "2")
        self.assertNotEqual(mx.findtext("t:LinePosition", namespaces=h.NS), "0")

    def test_routes(self):
        self.assertEqual(self.sim.request("GET", "/EWS/Exchange.asmx").status, 405)
        self.assertEqual(self.sim.request("GET", "/nothing").status, 404)
        self.assertEqual(self.sim.request("POST", "/sim/nothing", b"").status, 404)
        # The EWS path is case-insensitive, as on IIS.
        resp = self.sim.request("POST", "/ews/exchange.asmx", h.envelope(FIND),
                                {"Authorization": AUTH, "Content-Type": "text/xml"})
        self.assertEqual(resp.status, 200)

    def raw_exchange(self, payload, responses):
        sock = socket.create_connection((self.sim.host, self.sim.port), timeout=10)
        try:
            sock.sendall(payload)
            reader = sock.makefile("rb")
            out = []
            while len(out) < responses:
                status = reader.readline()
                headers = {}
                while True:
                    line = reader.readline().strip()
                    if not line:
                        break
                    k, _, v = line.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                if status.startswith(b"HTTP/1.1 100"):
                    continue
                body = reader.read(int(headers["content-length"]))
                out.append((status, headers, body))
            return out
        finally:
            sock.close()

    def test_keep_alive_chunked_and_expect_continue(self):
        env = h.envelope(FIND)
        plain = (b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH.encode()
                 + b"\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(env) + env)
        half = len(env) // 2
        chunked = (b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: "
                   + AUTH.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + b"%x\r\n" % half + env[:half] + b"\r\n"
                   + b"%x\r\n" % (len(env) - half) + env[half:] + b"\r\n0\r\n\r\n")
        continued = (b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: "
                     + AUTH.encode() + b"\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n"
                     % len(env) + env)
        results = self.raw_exchange(plain + chunked + continued + plain, 4)
        self.assertEqual(len(results), 4)
        for status, headers, body in results:
            self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
            self.assertEqual(int(headers["content-length"]), len(body))
            self.assertIn(b"NoError", body)

    def test_concurrent_clients(self):
        before = self.sim.stats()["operations"].get("FindItem", 0)
        errors = []

        def worker():
            try:
                for _ in range(15):
                    resp = self.sim.post(h.envelope(FIND), USER)
                    if resp.status != 200 or resp.codes() != ["NoError"]:
                        errors.append(resp)
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.sim.stats()["operations"]["FindItem"], before + 8 * 15)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
