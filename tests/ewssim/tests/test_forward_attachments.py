"""ForwardItem and file attachments: a meeting created with t:Attachments carries them to every
attendee's request and calendar item, each copy with its own ids; GetItem lists them
(HasAttachments, t:Attachments/t:FileAttachment/t:AttachmentId); CreateAttachment,
GetAttachment and DeleteAttachment work on one item only; ForwardItem of a meeting request
(or of the meeting's calendar item) delivers a MeetingRequest, of a message a Message."""

import base64
import os
import sys
import unittest
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG = "org@example.com"
ROOM = "room@example.com"
DELEGATE = "delegate@example.com"
OTHER = "other@example.com"
MAILBOXES = [ORG, ROOM, DELEGATE, OTHER]

AGENDA = b"1. budget\n2. rooms\n"
SLIDES = bytes(range(256))


def text(elem, path):
    return elem.findtext(path, namespaces=h.NS)


def file_xml(name, content, content_type=None):
    xml = "<t:FileAttachment><t:Name>%s</t:Name>" % name
    if content_type:
        xml += "<t:ContentType>%s</t:ContentType>" % content_type
    return xml + "<t:Content>%s</t:Content></t:FileAttachment>" % (
        base64.b64encode(content).decode())


def meeting_xml(subject, start, end, attachments, resources=(ROOM,), body="See the agenda."):
    """CreateItem of a CalendarItem in schema order: Subject, Body, Attachments, Start..."""
    return ('<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:SavedItemFolderId>'
            '<t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items>'
            '<t:CalendarItem><t:Subject>%s</t:Subject><t:Body BodyType="Text">%s</t:Body>'
            "%s<t:Start>%s</t:Start><t:End>%s</t:End>%s</t:CalendarItem></m:Items>"
            "</m:CreateItem>" % (subject, body,
                                 "<t:Attachments>%s</t:Attachments>" % attachments
                                 if attachments else "", start, end,
                                 h.Ews.attendees_xml("Resources", resources)))


def forward_xml(ref, to=(DELEGATE,), note="Please approve.", disposition="SendAndSaveCopy",
                subject=None):
    rcpt = "".join("<t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox>" % a for a in to)
    return ('<m:CreateItem MessageDisposition="%s"><m:Items><t:ForwardItem>%s%s'
            '<t:ReferenceItemId Id="%s"/>%s</t:ForwardItem></m:Items></m:CreateItem>'
            % (disposition, "<t:Subject>%s</t:Subject>" % subject if subject else "",
               "<t:ToRecipients>%s</t:ToRecipients>" % rcpt if to else "", ref,
               '<t:NewBodyContent BodyType="Text">%s</t:NewBodyContent>' % escape(note)
               if note else ""))


class ForwardAndAttachments(h.SimTestCase):
    MAILBOXES = MAILBOXES

    def create(self, subject, day, attachments, **kw):
        msg = self.ews[ORG].ok(meeting_xml(subject, "2026-09-%02dT10:00:00Z" % day,
                                           "2026-09-%02dT11:00:00Z" % day, attachments, **kw))[0]
        return h.item_id(h.items_of(msg)[0])

    def attachments_of(self, user, item_id, shape="AllProperties"):
        got = self.ews[user].get([item_id], shape=shape)[0]
        return text(got, "t:HasAttachments"), got.findall("t:Attachments/t:FileAttachment", h.NS)

    def test_attachments_travel_with_the_meeting(self):
        mid = self.create("Travel", 1, file_xml("agenda.txt", AGENDA, "text/plain")
                          + file_xml("slides.bin", SLIDES))
        has, atts = self.attachments_of(ORG, mid)
        self.assertEqual(has, "true")
        self.assertEqual([text(a, "t:Name") for a in atts], ["agenda.txt", "slides.bin"])
        self.assertEqual(text(atts[0], "t:ContentType"), "text/plain")
        self.assertEqual([text(a, "t:Size") for a in atts], [str(len(AGENDA)), "256"])
        # GetItem lists attachments, it does not send their content.
        self.assertIsNone(atts[0].find("t:Content", h.NS))
        org_ids = [a.find("t:AttachmentId", h.NS).get("Id") for a in atts]

        req = self.dump(ROOM, "inbox", "Travel")[0]
        cal = self.dump(ROOM, "calendar", "Travel")[0]
        sent = self.dump(ORG, "sentitems", "Travel")[0]
        for item in (req, cal, sent):
            self.assertEqual([a["name"] for a in item["attachments"]],
                             ["agenda.txt", "slides.bin"])
        ids = [a["id"] for it in (req, cal, sent) for a in it["attachments"]] + org_ids
        self.assertEqual(len(set(ids)), len(ids), "every copy has ids of its own")
        has, atts = self.attachments_of(ROOM, cal["id"])
        self.assertEqual(has, "true")
        self.assertEqual([a.find("t:AttachmentId", h.NS).get("Id") for a in atts],
                         [a["id"] for a in cal["attachments"]])
        # The item:Attachments FieldURI on IdOnly (how Microsoft's samples ask for them).
        got = self.ews[ROOM].ok(
            '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
            '<t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties></m:ItemShape>'
            '<m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>' % cal["id"])
        item = h.items_of(got[0])[0]
        self.assertEqual(len(item.findall("t:Attachments/t:FileAttachment", h.NS)), 2)
        self.assertIsNone(item.find("t:Subject", h.NS))
        # Default shape: HasAttachments, no list. FindItem never lists them.
        has, atts = self.attachments_of(ROOM, cal["id"], shape="Default")
        self.assertEqual((has, atts), ("true", []))
        found = [i for i in self.ews[ROOM].find("calendar")
                 if h.item_id(i)[0] == cal["id"]][0]
        self.assertEqual(text(found, "t:HasAttachments"), "true")
        self.assertIsNone(found.find("t:Attachments", h.NS))
        resp = self.ews[ROOM].call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '<t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/>'
            "</t:AdditionalProperties></m:ItemShape><m:ParentFolderIds>"
            '<t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
        self.assertEqual(resp.codes(), ["ErrorInvalidPropertyForOperation"])

    def test_delete_attachment_touches_one_item_only(self):
        mid = self.create("Strip", 2, file_xml("a.txt", b"a") + file_xml("b.txt", b"b"))
        cal = self.dump(ROOM, "calendar", "Strip")[0]
        ids = [a["id"] for a in cal["attachments"]]
        resp = self.ews[ROOM].call(
            "<m:DeleteAttachment><m:AttachmentIds>%s</m:AttachmentIds></m:DeleteAttachment>"
            % "".join('<t:AttachmentId Id="%s"/>' % i for i in ids))
        self.assertEqual(resp.codes(), ["NoError", "NoError"])
        after = self.dump(ROOM, "calendar", "Strip")[0]
        self.assertEqual(after["attachments"], [])
        self.assertNotEqual(after["change_key"], cal["change_key"])
        roots = [msg.find("m:RootItemId", h.NS) for msg in resp.messages()]
        self.assertEqual({r.get("RootItemId") for r in roots}, {cal["id"]})
        self.assertEqual(roots[-1].get("RootItemChangeKey"), after["change_key"])
        has, atts = self.attachments_of(ROOM, cal["id"])
        self.assertEqual((has, atts), ("false", []))
        # Nobody else's copy changed.
        self.assertEqual(len(self.attachments_of(ORG, mid)[1]), 2)
        self.assertEqual(len(self.dump(ROOM, "inbox", "Strip")[0]["attachments"]), 2)
        # Deleted ids are unknown now; another mailbox's attachment is not found either.
        resp = self.ews[ROOM].call(
            '<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id="%s"/></m:AttachmentIds>'
            "</m:DeleteAttachment>" % ids[0])
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        org_att = self.dump(ORG, "calendar", "Strip")[0]["attachments"][0]["id"]
        resp = self.ews[ROOM].call(
            '<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id="%s"/></m:AttachmentIds>'
            "</m:DeleteAttachment>" % org_att)
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        # An item id is not an attachment id, and an attachment id is not an item id.
        resp = self.ews[ROOM].call(
            '<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id="%s"/></m:AttachmentIds>'
            "</m:DeleteAttachment>" % cal["id"])
        self.assertEqual(resp.codes(), ["ErrorInvalidAttachmentId"])
        resp = self.ews[ORG].call('<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
                                  '</m:ItemShape><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds>'
                                  "</m:GetItem>" % org_att)
        self.assertEqual(resp.codes(), ["ErrorInvalidIdMalformed"])

    def test_create_and_get_attachment(self):
        mid = self.create("Later", 3, "")
        self.assertEqual(self.attachments_of(ORG, mid), ("false", []))
        resp = self.ews[ORG].call(
            '<m:CreateAttachment><m:ParentItemId Id="%s"/><m:Attachments>%s%s</m:Attachments>'
            "</m:CreateAttachment>" % (mid[0], file_xml("notes.txt", b"n", "text/plain"),
                                       "<t:FileAttachment><t:Content>eA==</t:Content>"
                                       "</t:FileAttachment>"))
        self.assertEqual(resp.codes(), ["NoError", "ErrorRequiredPropertyMissing"])
        aid = resp.message(0).find("m:Attachments/t:FileAttachment/t:AttachmentId", h.NS)
        self.assertEqual(aid.get("RootItemId"), mid[0])
        item = self.dump(ORG, "calendar", "Later")[0]
        self.assertEqual(aid.get("RootItemChangeKey"), item["change_key"])
        self.assertIsNotNone(resp.message(1).find("m:Attachments", h.NS))
        got = self.ews[ORG].ok('<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="%s"/>'
                               "</m:AttachmentIds></m:GetAttachment>" % aid.get("Id"))[0]
        fa = got.find("m:Attachments/t:FileAttachment", h.NS)
        self.assertEqual(text(fa, "t:Name"), "notes.txt")
        self.assertEqual(base64.b64decode(text(fa, "t:Content")), b"n")
        # Attachments added later are the organizer's own until an update is sent.
        self.assertEqual(self.dump(ROOM, "calendar", "Later")[0]["attachments"], [])
        resp = self.ews[ROOM].call('<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="%s"/>'
                                   "</m:AttachmentIds></m:GetAttachment>" % aid.get("Id"))
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        self.assertIsNotNone(resp.message(0).find("m:Attachments", h.NS))

    def test_forward_meeting_request(self):
        self.create("Approve me", 4, file_xml("plan.txt", b"plan"))
        req = self.dump(ROOM, "inbox", "Approve me")[0]
        resp = self.ews[ROOM].call(forward_xml(req["id"]))
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual(h.items_of(resp.message(0)), [])  # sent: nothing to return
        fwd = self.dump(DELEGATE, "inbox", "Approve me")
        self.assertEqual(len(fwd), 1)
        fwd = fwd[0]
        self.assertEqual(fwd["kind"], "MeetingRequest")
        self.assertEqual(fwd["item_class"], "IPM.Schedule.Meeting.Request")
        self.assertEqual(fwd["subject"], "FW: Approve me")
        self.assertTrue(fwd["body"].startswith("Please approve."), fwd["body"])
        self.assertIn("See the agenda.", fwd["body"])
        self.assertEqual(fwd["uid"], req["uid"])
        self.assertEqual((fwd["start"], fwd["end"]), (req["start"], req["end"]))
        self.assertEqual(fwd["organizer"]["address"], ORG)  # still the organizer's meeting
        self.assertEqual(fwd["from"]["address"], ROOM)  # sent by the forwarder
        self.assertEqual([p["address"] for p in fwd["to"]], [DELEGATE])
        self.assertEqual([a["name"] for a in fwd["attachments"]], ["plan.txt"])
        self.assertEqual(fwd["is_out_of_date"], False)
        # The delegate's calendar took it in as any request: tentatively, not answered.
        cal = self.dump(DELEGATE, "calendar", "Approve me")
        self.assertEqual(len(cal), 1)
        self.assertEqual(cal[0]["subject"], "Approve me")
        self.assertEqual(cal[0]["my_response_type"], "NoResponseReceived")
        self.assertEqual(fwd["associated_calendar_item_id"], cal[0]["id"])
        got = self.ews[DELEGATE].get([fwd["id"]])[0]
        self.assertEqual(h.local(got.tag), "MeetingRequest")
        self.assertEqual(text(got, "t:ResponseObjects/t:AcceptItem"), "")
        # The forwarder keeps a copy in Sent Items; its own request is untouched.
        sent = self.dump(ROOM, "sentitems", "Approve me")
        self.assertEqual([(s["kind"], s["subject"]) for s in sent],
                         [("MeetingRequest", "FW: Approve me")])
        self.assertEqual([p["address"] for p in sent[0]["to"]], [DELEGATE])
        self.assertEqual(self.dump(ROOM, "inbox", "Approve me")[0]["id"], req["id"])
        # The organizer hears nothing and the attendee list does not change.
        self.assertEqual(self.dump(ORG, "inbox", "Approve me"), [])
        org_cal = self.dump(ORG, "calendar", "Approve me")[0]
        self.assertEqual([a["address"] for a in org_cal["attendees"]], [ROOM])

    def test_forward_calendar_item_and_dispositions(self):
        self.create("Via calendar", 5, "")
        cal = self.dump(ROOM, "calendar", "Via calendar")[0]
        self.ews[ROOM].ok(forward_xml(cal["id"], to=(DELEGATE, OTHER), note=None,
                                      disposition="SendOnly", subject="Room request"))
        for user in (DELEGATE, OTHER):
            got = [i for i in self.sim.mailbox(user)["inbox"] if i["subject"] == "Room request"]
            self.assertEqual([(i["kind"], i["meeting_request_type"]) for i in got],
                             [("MeetingRequest", "NewMeetingRequest")])
            self.assertEqual(got[0]["uid"], cal["uid"])
            self.assertEqual(got[0]["body"], "See the agenda.")
        self.assertEqual(self.dump(ROOM, "sentitems", "Room request"), [])  # SendOnly
        # SaveOnly: a draft, returned in m:Items; nothing delivered.
        msgs = self.ews[ROOM].ok(forward_xml(cal["id"], note="draft", disposition="SaveOnly",
                                             subject="Draft fwd"))
        self.assertEqual([h.local(e.tag) for e in h.items_of(msgs[0])], ["MeetingRequest"])
        self.assertEqual(len(self.dump(ROOM, "drafts", "Draft fwd")), 1)
        self.assertEqual(self.dump(DELEGATE, "inbox", "Draft fwd"), [])
        # Sending to nobody is refused.
        resp = self.ews[ROOM].call(forward_xml(cal["id"], to=()))
        self.assertEqual(resp.codes(), ["ErrorInvalidRecipients"])
        self.assertIsNotNone(resp.message(0).find("m:Items", h.NS))

    def test_forward_message(self):
        self.ews[ORG].ok('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>'
                         '<t:Message><t:Subject>Memo</t:Subject><t:Body BodyType="HTML">'
                         "&lt;b&gt;hi&lt;/b&gt;</t:Body><t:Attachments>%s</t:Attachments>"
                         "<t:ToRecipients><t:Mailbox><t:EmailAddress>%s</t:EmailAddress>"
                         "</t:Mailbox></t:ToRecipients></t:Message></m:Items></m:CreateItem>"
                         % (file_xml("memo.txt", b"m"), ROOM))
        memo = self.dump(ROOM, "inbox", "Memo")[0]
        self.assertEqual([a["name"] for a in memo["attachments"]], ["memo.txt"])
        self.ews[ROOM].ok(forward_xml(memo["id"], note="a < b"))
        fwd = self.dump(DELEGATE, "inbox", "FW: Memo")[0]
        self.assertEqual((fwd["kind"], fwd["item_class"]), ("Message", "IPM.Note"))
        self.assertEqual(fwd["body_type"], "HTML")
        self.assertTrue(fwd["body"].startswith("a &lt; b<hr>"), fwd["body"])
        self.assertEqual([a["name"] for a in fwd["attachments"]], ["memo.txt"])

    def test_zz_every_item_renders_valid_xml(self):
        h.render_everything(self.sim, MAILBOXES)
        self.assertEqual(self.sim.stats()["invalid_responses"], 0)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
