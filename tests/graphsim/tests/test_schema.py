"""graphsim's CSDL checker on its own: property names, JSON types, enum members, BaseType
inheritance, derived types through @odata.type, action parameters, collections."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphharness as h  # noqa: E402

sys.path.insert(0, h.SIM_DIR)
import schema as schemamod  # noqa: E402


class Checker(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.skip_without_schema()
        cls.s = schemamod.Schema(os.path.join(h.schema_dir(), "v1.0-metadata.xml"))

    def bad(self, value, type_name, fragment):
        with self.assertRaises(schemamod.SchemaError) as ctx:
            self.s.check(value, type_name)
        self.assertIn(fragment, str(ctx.exception))

    def test_inheritance(self):
        # id (entity), changeKey (outlookItem), subject (message) and meetingMessageType
        # (eventMessage) all reach eventMessageRequest through the BaseType chain.
        self.s.check({"@odata.type": "#microsoft.graph.eventMessageRequest", "id": "x",
                      "changeKey": "c", "subject": "s", "meetingMessageType": "meetingRequest",
                      "meetingRequestType": "newMeetingRequest"}, "message")
        self.bad({"@odata.type": "#microsoft.graph.message", "meetingMessageType":
                  "meetingRequest"}, "message", "no property meetingMessageType")
        self.bad({"@odata.type": "#microsoft.graph.event"}, "message", "is not a message")

    def test_types_and_enums(self):
        self.s.check({"isCancelled": True, "showAs": "busy", "sensitivity": "private",
                      "attendees": [{"type": "resource", "emailAddress": {"address": "a"},
                                     "status": {"response": "tentativelyAccepted",
                                                "time": "2027-01-01T00:00:00Z"}}]}, "event")
        self.bad({"isCancelled": "true"}, "event", "Edm.Boolean")
        self.bad({"showAs": "away"}, "event", "freeBusyStatus")
        self.bad({"attendees": {"type": "required"}}, "event", "array")
        self.bad({"attendees": [{"type": "chair"}]}, "event", "attendeeType")
        self.bad({"start": {"dateTime": 5}}, "event", "Edm.String")
        self.bad({"createdDateTime": "yesterday"}, "event", "Edm.DateTimeOffset")
        self.bad({"recurrence": {"pattern": {"interval": "2"}}}, "event", "Edm.Int32")
        self.bad({"id": None}, "event", "non-nullable")
        self.bad({"colour": "red"}, "event", "no property colour")

    def test_open_types(self):
        # publicInnerError is open: Graph's request-id and date pass; event is open in the
        # CSDL too, but checked closed.
        self.s.check({"error": {"code": "x", "message": "m", "innerError": {
            "date": "2027-01-01T00:00:00", "request-id": "r"}}}, "publicErrorResponse")
        self.bad({"error": {"code": "x", "reason": "y"}}, "publicErrorResponse", "no property")
        self.assertIn("event", self.s.open_types)
        self.bad({"mood": "good"}, "event", "no property mood")

    def test_actions_and_collections(self):
        self.s.check_action({"comment": "x", "SendResponse": False}, "accept", "event")
        with self.assertRaises(schemamod.SchemaError):
            self.s.check_action({"proposedNewTime": None, "x": 1}, "decline", "event")
        with self.assertRaises(schemamod.SchemaError):
            self.s.check_action({"comment": 1}, "cancel", "event")
        self.s.check_collection({"value": [{"id": "a", "@removed": {"reason": "deleted"}}],
                                 "@odata.deltaLink": "x"}, "message")
        with self.assertRaises(schemamod.SchemaError):
            self.s.check_collection({"value": [], "next": "x"}, "message")
        with self.assertRaises(schemamod.SchemaError):
            self.s.check_collection({"value": [{"id": "a", "@removed": {}, "subject": "s"}]},
                                    "message")


if __name__ == "__main__":
    unittest.main()
