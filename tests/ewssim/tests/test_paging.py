"""FindItem paging (IndexedPageItemView), shapes, restrictions and sorting."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

SENDER = "sender@example.com"
OWNER = "owner@example.com"
COUNT = 23


def page(ews, offset, limit, base="Beginning", shape="IdOnly", extra=""):
    resp = ews.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>%s</t:BaseShape>'
        '</m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="%d" Offset="%d" '
        'BasePoint="%s"/>%s<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
        "</m:ParentFolderIds></m:FindItem>" % (shape, limit, offset, base, extra))
    msg = resp.message()
    root = msg.find("m:RootFolder", h.NS)
    return h.code(msg), root, h.items_of(msg)


class Paging(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[SENDER, OWNER]).start()
        cls.sender = h.Ews(cls.sim, SENDER)
        cls.owner = h.Ews(cls.sim, OWNER)
        for i in range(COUNT):
            cls.sender.ok(
                '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message>'
                "<t:Subject>message %02d %s</t:Subject>"
                '<t:Body BodyType="Text">body %d</t:Body><t:ToRecipients><t:Mailbox>'
                "<t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:ToRecipients>"
                "</t:Message></m:Items></m:CreateItem>"
                % (i, "odd" if i % 2 else "even", i, OWNER))

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_pages_cover_the_folder_once(self):
        seen = []
        offset = 0
        expected = [(10, "10", "false"), (10, "20", "false"), (3, "23", "true")]
        for want_count, want_next, want_last in expected:
            code, root, items = page(self.owner, offset, 10)
            self.assertEqual(code, "NoError")
            self.assertEqual(len(items), want_count)
            self.assertEqual(root.get("TotalItemsInView"), str(COUNT))
            self.assertEqual(root.get("IndexedPagingOffset"), want_next)
            self.assertEqual(root.get("IncludesLastItemInRange"), want_last)
            for item in items:
                # IdOnly: nothing but the ItemId.
                self.assertEqual([h.local(c.tag) for c in item], ["ItemId"])
                seen.append(h.item_id(item)[0])
            offset = int(root.get("IndexedPagingOffset"))
        self.assertEqual(len(seen), COUNT)
        self.assertEqual(len(set(seen)), COUNT)

    def test_default_order_is_newest_first(self):
        _, _, items = page(self.owner, 0, 50, shape="Default")
        subjects = [i.findtext("t:Subject", namespaces=h.NS)[:10] for i in items]
        self.assertEqual(subjects, ["message %02d" % i for i in reversed(range(COUNT))])

    def test_offset_beyond_the_end(self):
        code, root, items = page(self.owner, 40, 10)
        self.assertEqual((code, items), ("NoError", []))
        self.assertEqual(root.get("IncludesLastItemInRange"), "true")
        self.assertEqual(root.get("TotalItemsInView"), str(COUNT))

    def test_base_point_end(self):
        _, root, items = page(self.owner, 0, 5, base="End", shape="Default")
        subjects = [i.findtext("t:Subject", namespaces=h.NS)[:10] for i in items]
        self.assertEqual(subjects, ["message %02d" % i for i in (4, 3, 2, 1, 0)])
        self.assertEqual(root.get("IncludesLastItemInRange"), "false")
        _, root, items = page(self.owner, 20, 5, base="End")
        self.assertEqual(len(items), 3)
        self.assertEqual(root.get("IncludesLastItemInRange"), "true")

    def test_restriction_with_paging_and_sort(self):
        restriction = ('<m:Restriction><t:Contains ContainmentMode="Substring" '
                       'ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/>'
                       '<t:Constant Value="ODD"/></t:Contains></m:Restriction>'
                       '<m:SortOrder><t:FieldOrder Order="Ascending">'
                       '<t:FieldURI FieldURI="item:Subject"/></t:FieldOrder></m:SortOrder>')
        code, root, items = page(self.owner, 0, 4, shape="Default", extra=restriction)
        self.assertEqual(code, "NoError")
        self.assertEqual(root.get("TotalItemsInView"), "11")
        self.assertEqual([i.findtext("t:Subject", namespaces=h.NS) for i in items],
                         ["message %02d odd" % n for n in (1, 3, 5, 7)])
        _, root, items = page(self.owner, 8, 4, shape="Default", extra=restriction)
        self.assertEqual([i.findtext("t:Subject", namespaces=h.NS) for i in items],
                         ["message %02d odd" % n for n in (17, 19, 21)])
        self.assertEqual(root.get("IncludesLastItemInRange"), "true")

    def test_boolean_restrictions(self):
        subject = '<t:FieldURI FieldURI="item:Subject"/>'
        cases = {
            # Not(odd) And Subject >= "message 10"  -> even numbers 10..22
            '<t:And><t:Not><t:Contains ContainmentMode="Substring" ContainmentComparison='
            '"Exact">%s<t:Constant Value="odd"/></t:Contains></t:Not><t:IsGreaterThanOrEqualTo>'
            '%s<t:FieldURIOrConstant><t:Constant Value="message 10"/></t:FieldURIOrConstant>'
            "</t:IsGreaterThanOrEqualTo></t:And>" % (subject, subject): 7,
            '<t:Or><t:Contains ContainmentMode="Prefixed" ContainmentComparison="IgnoreCase">'
            '%s<t:Constant Value="MESSAGE 0"/></t:Contains><t:IsLessThan>%s'
            '<t:FieldURIOrConstant><t:Constant Value="message 02"/></t:FieldURIOrConstant>'
            "</t:IsLessThan></t:Or>" % (subject, subject): 10,
            # "Exact" comparison is case-sensitive.
            '<t:Contains ContainmentMode="Substring" ContainmentComparison="Exact">%s'
            '<t:Constant Value="ODD"/></t:Contains>' % subject: 0,
            '<t:IsEqualTo><t:FieldURI FieldURI="item:ItemClass"/><t:FieldURIOrConstant>'
            '<t:Constant Value="IPM.Note"/></t:FieldURIOrConstant></t:IsEqualTo>': COUNT,
            '<t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/>'
            '<t:FieldURIOrConstant><t:Constant Value="2000-01-01T00:00:00Z"/>'
            "</t:FieldURIOrConstant></t:IsGreaterThan>": COUNT,
            '<t:IsLessThanOrEqualTo><t:FieldURI FieldURI="item:DateTimeReceived"/>'
            '<t:FieldURIOrConstant><t:Constant Value="2000-01-01T00:00:00-08:00"/>'
            "</t:FieldURIOrConstant></t:IsLessThanOrEqualTo>": 0,
        }
        for restriction, want in cases.items():
            with self.subTest(restriction=restriction[:60]):
                items = self.owner.find("inbox", shape="IdOnly", restriction=restriction)
                self.assertEqual(len(items), want)

    def test_shapes(self):
        _, _, items = page(self.owner, 0, 1, shape="AllProperties")
        tags = [h.local(c.tag) for c in items[0]]
        for name in ("ItemId", "ParentFolderId", "ItemClass", "Subject", "DateTimeReceived",
                     "From", "IsRead"):
            self.assertIn(name, tags)
        # FindItem never returns the body or recipient lists, even with AllProperties ...
        self.assertNotIn("Body", tags)
        self.assertNotIn("ToRecipients", tags)
        # ... and refuses them when asked for explicitly.
        resp = self.owner.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '<t:AdditionalProperties><t:FieldURI FieldURI="item:Body"/></t:AdditionalProperties>'
            '</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
            "</m:ParentFolderIds></m:FindItem>")
        self.assertEqual(resp.codes(), ["ErrorInvalidPropertyForOperation"])
        self.assertEqual(resp.message().find("m:MessageXml/t:FieldURI", h.NS).get("FieldURI"),
                         "item:Body")
        # IdOnly plus an additional property.
        items = self.owner.find("inbox", shape="IdOnly", extra_props=["item:Subject"])
        self.assertEqual([h.local(c.tag) for c in items[0]], ["ItemId", "Subject"])
        # GetItem has the body.
        full = self.owner.get([h.item_id(items[0])])[0]
        self.assertTrue(full.findtext("t:Body", namespaces=h.NS).startswith("body "))

    def test_several_parent_folders_answer_separately(self):
        resp = self.owner.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
            '<t:DistinguishedFolderId Id="sentitems"/><t:DistinguishedFolderId Id="notes"/>'
            "</m:ParentFolderIds></m:FindItem>")
        self.assertEqual(resp.codes(), ["NoError", "NoError", "ErrorFolderNotFound"])
        self.assertEqual(len(h.items_of(resp.message(0))), COUNT)
        self.assertEqual(len(h.items_of(resp.message(1))), 0)

    def test_get_folder_counts(self):
        resp = self.owner.call(
            "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>"
            '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/>'
            '<t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>')
        self.assertEqual(resp.codes(), ["NoError", "NoError"])
        inbox = resp.message(0).find("m:Folders/t:Folder", h.NS)
        self.assertEqual(inbox.findtext("t:DisplayName", namespaces=h.NS), "Inbox")
        self.assertEqual(inbox.findtext("t:TotalCount", namespaces=h.NS), str(COUNT))
        unread_before = int(inbox.findtext("t:UnreadCount", namespaces=h.NS))
        self.assertGreater(unread_before, 0)
        cal = resp.message(1).find("m:Folders/t:CalendarFolder", h.NS)
        self.assertEqual(cal.findtext("t:DisplayName", namespaces=h.NS), "Calendar")
        folder_id = inbox.find("t:FolderId", h.NS).get("Id")
        # The FolderId works as a ParentFolderId.
        resp = self.owner.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '</m:ItemShape><m:ParentFolderIds><t:FolderId Id="%s"/></m:ParentFolderIds>'
            "</m:FindItem>" % folder_id)
        self.assertEqual(len(h.items_of(resp.message())), COUNT)
        # Marking one message read lowers UnreadCount.
        first = self.owner.find("inbox", shape="IdOnly")[0]
        self.owner.ok(
            '<m:UpdateItem MessageDisposition="SaveOnly" ConflictResolution="AutoResolve">'
            '<m:ItemChanges><t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>true</t:IsRead>'
            "</t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges>"
            "</m:UpdateItem>" % h.item_id(first)[0])
        resp = self.owner.call(
            "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>"
            '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
        folder = resp.message().find("m:Folders/t:Folder", h.NS)
        self.assertEqual(int(folder.findtext("t:UnreadCount", namespaces=h.NS)),
                         unread_before - 1)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
