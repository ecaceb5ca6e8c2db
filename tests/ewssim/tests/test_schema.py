"""Tests of schema.py: EWS envelope validation through libxml2 (ctypes).

Run from the repository root: python3 tests/ewssim/tests/test_schema.py
Exit 77 (skipped) only when the schema kit is absent ($MEETINGD_SCHEMA_DIR or
../shared/ews-schema).
"""

import contextlib
import glob
import os
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_DIR = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(os.path.dirname(SIM_DIR))
sys.path.insert(0, SIM_DIR)

import recurrence  # noqa: E402
import schema  # noqa: E402

SCHEMA_DIR = schema.default_schema_dir(REPO_ROOT)
EXAMPLES = os.path.join(SCHEMA_DIR, "examples")
NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_M = schema.NS_MESSAGES
NS_T = schema.NS_TYPES

VALIDATOR = None


def read(rel):
    with open(os.path.join(EXAMPLES, rel), "rb") as f:
        return f.read()


@contextlib.contextmanager
def captured_fd2():
    """Capture everything written to file descriptor 2 (where libxml2 would print)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        out = {"text": b""}
        try:
            yield out
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out["text"] = tmp.read()


def billion_laughs(levels=10):
    ents = ['<!ENTITY lol0 "lol">']
    for i in range(1, levels):
        ents.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
    return ('<?xml version="1.0"?>\n<!DOCTYPE soap:Envelope [\n%s\n]>\n'
            '<soap:Envelope xmlns:soap="%s"><soap:Body>'
            '<m:GetItem xmlns:m="%s">&lol%d;</m:GetItem></soap:Body></soap:Envelope>'
            % ("\n".join(ents), NS_SOAP, NS_M, levels - 1)).encode()


class ValidExamples(unittest.TestCase):
    def test_handwritten_examples_valid(self):
        files = sorted(glob.glob(os.path.join(EXAMPLES, "handwritten", "*.xml")))
        self.assertGreater(len(files), 5)
        for f in files:
            if os.path.basename(f).startswith("11-"):
                continue  # the streaming quirk, tested below
            with self.subTest(f=os.path.basename(f)):
                self.assertEqual(VALIDATOR.validate(read(os.path.relpath(f, EXAMPLES))), [])

    def test_client_captures_valid(self):
        # Captured from a real client: no XML declaration, open/close pairs.
        files = sorted(glob.glob(os.path.join(EXAMPLES, "client", "*.xml")))
        self.assertGreater(len(files), 3)
        for f in files:
            with self.subTest(f=os.path.basename(f)):
                self.assertEqual(VALIDATOR.validate(read(os.path.relpath(f, EXAMPLES))), [])

    def test_named_examples(self):
        self.assertEqual(VALIDATOR.validate(read("handwritten/02-createitem-acceptitem.xml")), [])
        self.assertEqual(VALIDATOR.validate(read("client/captured-ews-js-3-acceptitem.xml")), [])
        self.assertEqual(VALIDATOR.validate(
            read("docs/createitem-operation-meeting-request-1.xml")), [])

    def test_str_input_accepted(self):
        text = read("handwritten/02-createitem-acceptitem.xml").decode("utf-8")
        text = text.split("?>", 1)[1]  # a str cannot carry an encoding declaration
        self.assertEqual(VALIDATOR.validate(text), [])


class InvalidDocuments(unittest.TestCase):
    def assertInvalid(self, data, *needles):
        with captured_fd2() as err:
            errors = VALIDATOR.validate(data)
        self.assertEqual(err["text"], b"", "libxml2 printed to stderr")
        self.assertTrue(errors, "document unexpectedly valid")
        for e in errors:
            self.assertIsInstance(e, str)
        joined = "\n".join(errors)
        for n in needles:
            self.assertIn(n, joined)
        return errors

    def test_misspelled_operation(self):
        data = read("handwritten/02-createitem-acceptitem.xml")
        bad = data.replace(b"m:CreateItem", b"m:CreateItm")
        errors = self.assertInvalid(bad, "CreateItm", "line 9")
        self.assertTrue(errors[0].startswith("line 9:"), errors)

    def test_wrong_element_order(self):
        data = read("handwritten/02-createitem-acceptitem.xml")
        body = b'<t:Body BodyType="Text">Auto-accepted by the daemon.</t:Body>'
        ref = b'<t:ReferenceItemId Id="AAMkADEzOTExYjJkLTYz" ChangeKey="DwAAABYAAAA"/>'
        self.assertIn(body, data)
        self.assertIn(ref, data)
        swapped = data.replace(body, b"@@").replace(ref, body).replace(b"@@", ref)
        self.assertInvalid(swapped, "Body", "not expected")

    def test_wrong_enum_value(self):
        data = read("handwritten/02-createitem-acceptitem.xml")
        self.assertInvalid(data.replace(b"SendAndSaveCopy", b"SendAndKeep"), "SendAndKeep")

    def test_malformed_xml(self):
        data = read("handwritten/02-createitem-acceptitem.xml")
        errors = self.assertInvalid(data[:-40], "not well-formed")
        self.assertTrue(any("line " in e for e in errors), errors)
        self.assertInvalid(b"", "empty")
        self.assertInvalid(b"\xff\xfe\x00garbage", "not well-formed")
        self.assertInvalid(b"<a><b></a>", "not well-formed", "line 1")

    def test_wrong_root(self):
        self.assertInvalid(b'<Envelope xmlns="urn:other"><Body/></Envelope>', "Envelope")

    def test_billion_laughs_not_expanded(self):
        t0 = time.monotonic()
        errors = self.assertInvalid(billion_laughs())
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertLess(sum(len(e) for e in errors), 10000)
        self.assertFalse(any("lollollol" in e for e in errors), errors)

    def test_external_entity_not_loaded(self):
        doc = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               b'<soap:Envelope xmlns:soap="' + NS_SOAP.encode() + b'"><soap:Body>'
               b'<m:GetItem xmlns:m="' + NS_M.encode() + b'">&e;</m:GetItem>'
               b'</soap:Body></soap:Envelope>')
        errors = self.assertInvalid(doc, "document type declaration")
        self.assertFalse(any("root:" in e for e in errors), errors)

    def test_oversized_message_refused(self):
        big = b" " * (schema.MAX_MESSAGE_BYTES + 1)
        self.assertInvalid(big, "exceeds")

    def test_validator_still_works_after_errors(self):
        self.assertInvalid(b"<broken")
        self.assertEqual(VALIDATOR.validate(read("handwritten/02-createitem-acceptitem.xml")), [])

    def test_not_bytes_rejected(self):
        with self.assertRaises(TypeError):
            VALIDATOR.validate(12)


class StreamingQuirk(unittest.TestCase):
    FILE = "handwritten/11-getstreamingevents-response.xml"

    def test_m_notification_accepted_by_default(self):
        data = read(self.FILE)
        self.assertIn(b"<m:Notification>", data)
        self.assertEqual(VALIDATOR.validate(data), [])
        self.assertEqual(VALIDATOR.validate(data, allow_streaming_quirk=True), [])

    def test_strict_mode_reports_it(self):
        with captured_fd2() as err:
            errors = VALIDATOR.validate(read(self.FILE), allow_streaming_quirk=False)
        self.assertEqual(err["text"], b"")
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("Notification", errors[0])
        self.assertTrue(errors[0].startswith("line 13:"), errors)

    def test_schema_form_still_valid(self):
        data = read(self.FILE).replace(b"<m:Notification>", b"<t:Notification>").replace(
            b"</m:Notification>", b"</t:Notification>")
        self.assertEqual(VALIDATOR.validate(data, allow_streaming_quirk=False), [])
        self.assertEqual(VALIDATOR.validate(data), [])

    def test_content_of_m_notification_still_validated(self):
        data = read(self.FILE).replace(b"<t:NewMailEvent>", b"<t:NewMailEvnt>").replace(
            b"</t:NewMailEvent>", b"</t:NewMailEvnt>")
        errors = VALIDATOR.validate(data)
        self.assertTrue(errors)
        self.assertIn("NewMailEvnt", "\n".join(errors))

    def test_quirk_without_t_prefix_in_scope(self):
        # The types namespace is only declared below m:Notification (as a default namespace):
        # the validator must declare it itself to retag the element.
        doc = ('<s:Envelope xmlns:s="%s"><s:Body>'
               '<m:GetStreamingEventsResponse xmlns:m="%s"><m:ResponseMessages>'
               '<m:GetStreamingEventsResponseMessage ResponseClass="Success">'
               '<m:ResponseCode>NoError</m:ResponseCode><m:Notifications><m:Notification>'
               '<SubscriptionId xmlns="%s">abc</SubscriptionId>'
               '<StatusEvent xmlns="%s"><Watermark>AQ==</Watermark></StatusEvent>'
               '</m:Notification></m:Notifications></m:GetStreamingEventsResponseMessage>'
               '</m:ResponseMessages></m:GetStreamingEventsResponse></s:Body></s:Envelope>'
               % (NS_SOAP, NS_M, NS_T, NS_T)).encode()
        self.assertEqual(VALIDATOR.validate(doc), [])
        self.assertTrue(VALIDATOR.validate(doc, allow_streaming_quirk=False))

    def test_m_notification_elsewhere_not_forgiven(self):
        # Only GetStreamingEventsResponseMessage/Notifications/Notification is exempt.
        data = read(self.FILE).replace(b"GetStreamingEventsResponseMessage",
                                       b"GetEventsResponseMessage").replace(
            b"GetStreamingEventsResponse", b"GetEventsResponse")
        self.assertTrue(VALIDATOR.validate(data))


class Construction(unittest.TestCase):
    def test_missing_dir(self):
        with self.assertRaises(schema.SchemaUnavailable) as cm:
            schema.Validator(os.path.join(SCHEMA_DIR, "no-such-dir"))
        self.assertIn("does not exist", str(cm.exception))

    def test_dir_without_schema(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(schema.SchemaUnavailable) as cm:
                schema.Validator(d)
            self.assertIn(schema.SCHEMA_FILE, str(cm.exception))

    def test_schema_that_does_not_compile(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, schema.SCHEMA_FILE), "w") as f:
                f.write('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                        '<xs:element name="a" type="xs:nosuchtype"/></xs:schema>')
            with captured_fd2() as err:
                with self.assertRaises(schema.SchemaUnavailable) as cm:
                    schema.Validator(d)
            self.assertEqual(err["text"], b"")
            self.assertIn("does not compile", str(cm.exception))
            self.assertIn("nosuchtype", str(cm.exception))

    def test_default_schema_dir(self):
        saved = os.environ.get("MEETINGD_SCHEMA_DIR")
        try:
            os.environ["MEETINGD_SCHEMA_DIR"] = "/some/where"
            self.assertEqual(schema.default_schema_dir("/repo"), "/some/where")
            del os.environ["MEETINGD_SCHEMA_DIR"]
            self.assertEqual(schema.default_schema_dir("/work/main"), "/work/shared/ews-schema")
        finally:
            if saved is None:
                os.environ.pop("MEETINGD_SCHEMA_DIR", None)
            else:
                os.environ["MEETINGD_SCHEMA_DIR"] = saved

    def test_validation_is_fast_after_compile(self):
        data = read("handwritten/04-getitem-response-meetingrequest.xml")
        t0 = time.monotonic()
        for _ in range(200):
            self.assertEqual(VALIDATOR.validate(data), [])
        self.assertLess(time.monotonic() - t0, 5.0)


class ThreadSafety(unittest.TestCase):
    def test_concurrent_validation(self):
        good = read("handwritten/02-createitem-acceptitem.xml")
        docs = [good, good.replace(b"m:CreateItem", b"m:CreateItm"), b"<oops", good[:100],
                read("client/captured-ews-js-1-finditem.xml"),
                read(StreamingQuirk.FILE), billion_laughs(5)]
        expected = [VALIDATOR.validate(d) for d in docs]
        self.assertEqual(expected[0], [])
        self.assertTrue(all(expected[i] for i in (1, 2, 3, 6)))
        failures = []

        def worker(seed):
            for n in range(60):
                i = (seed + n) % len(docs)
                got = VALIDATOR.validate(docs[i])
                if got != expected[i]:
                    failures.append((i, got))

        with captured_fd2() as err:
            threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])
        self.assertEqual(err["text"], b"")


class RecurrenceWritesValidXml(unittest.TestCase):
    """write_recurrence() must produce what the schema accepts inside a CalendarItem."""

    CASES = [
        recurrence.Recurrence("Daily", date(2026, 5, 4), "NoEnd", interval=3),
        recurrence.Recurrence("Weekly", date(2026, 5, 4), "Numbered",
                              days_of_week=("Monday", "Thursday"), interval=2,
                              number_of_occurrences=10),
        recurrence.Recurrence("Weekly", date(2026, 5, 4), "EndDate", days_of_week=("Friday",),
                              first_day_of_week="Monday", end_date=date(2026, 9, 1),
                              start_date_zone="+02:00", end_date_zone="+02:00"),
        recurrence.Recurrence("AbsoluteMonthly", date(2026, 1, 31), "Numbered",
                              day_of_month=31, number_of_occurrences=12),
        recurrence.Recurrence("RelativeMonthly", date(2026, 1, 1), "NoEnd",
                              days_of_week=("Weekday",), day_of_week_index="Second",
                              start_date_zone="Z"),
        recurrence.Recurrence("AbsoluteYearly", date(2026, 2, 1), "NoEnd", day_of_month=29,
                              month="February"),
        recurrence.Recurrence("RelativeYearly", date(2026, 1, 1), "EndDate",
                              days_of_week=("Thursday",), day_of_week_index="Fourth",
                              month="November", end_date=date(2030, 12, 31)),
    ]

    def envelope(self, rec):
        ET.register_namespace("soap", NS_SOAP)
        ET.register_namespace("m", NS_M)
        ET.register_namespace("t", NS_T)
        env = ET.Element("{%s}Envelope" % NS_SOAP)
        hdr = ET.SubElement(env, "{%s}Header" % NS_SOAP)
        ET.SubElement(hdr, "{%s}RequestServerVersion" % NS_T, Version="Exchange2013_SP1")
        body = ET.SubElement(env, "{%s}Body" % NS_SOAP)
        ci = ET.SubElement(body, "{%s}CreateItem" % NS_M, SendMeetingInvitations="SendToNone")
        items = ET.SubElement(ci, "{%s}Items" % NS_M)
        cal = ET.SubElement(items, "{%s}CalendarItem" % NS_T)
        ET.SubElement(cal, "{%s}Subject" % NS_T).text = "series"
        ET.SubElement(cal, "{%s}Start" % NS_T).text = "2026-05-04T08:00:00Z"
        ET.SubElement(cal, "{%s}End" % NS_T).text = "2026-05-04T09:00:00Z"
        recurrence.write_recurrence(rec, cal, NS_T)
        return ET.tostring(env)

    def test_all_patterns_and_ranges_validate(self):
        for rec in self.CASES:
            with self.subTest(rec=rec.summary()):
                data = self.envelope(rec)
                self.assertEqual(VALIDATOR.validate(data, allow_streaming_quirk=False), [])

    def test_order_matters_to_the_schema(self):
        # Guard for the test above: the same envelope with pattern children reordered fails.
        data = self.envelope(self.CASES[1])
        i = data.index(b"<t:Interval>")
        j = data.index(b"</t:DaysOfWeek>") + len(b"</t:DaysOfWeek>")
        interval_end = data.index(b"</t:Interval>") + len(b"</t:Interval>")
        swapped = data[:i] + data[interval_end:j] + data[i:interval_end] + data[j:]
        self.assertTrue(VALIDATOR.validate(swapped))


def main():
    global VALIDATOR
    if not os.path.isdir(SCHEMA_DIR):
        print("SKIP: EWS schema kit not found at %s (set MEETINGD_SCHEMA_DIR); schema "
              "validation is unavailable" % SCHEMA_DIR)
        sys.exit(77)
    VALIDATOR = schema.Validator(SCHEMA_DIR)
    unittest.main(verbosity=1)


if __name__ == "__main__":
    main()
