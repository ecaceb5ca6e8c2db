"""Basic authentication, Exchange impersonation and cross-mailbox access."""

import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ALICE = "alice@example.com"
BOB = "bob@example.com"
SVC = "svc-meetingd@example.com"

FIND_INBOX = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly'
              '</t:BaseShape></m:ItemShape><m:ParentFolderIds>'
              '<t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')


class Auth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[ALICE + ":alice-pw", "Bob Builder <%s>" % BOB],
                        impersonators=[SVC + ":svc-pw"]).start()
        # Bob invites Alice, so her inbox holds one request.
        h.Ews(cls.sim, BOB).create_meeting("Hello", "2026-05-05T10:00:00Z",
                                           "2026-05-05T10:30:00Z", required=[ALICE])

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_wrong_or_missing_credentials_are_401(self):
        for user, password in ((ALICE, "wrong"), ("nobody@example.com", "password"),
                               (SVC, "password")):
            with self.subTest(user=user):
                resp = self.sim.post(h.envelope(FIND_INBOX), user, password)
                self.assertEqual(resp.status, 401)
                self.assertTrue(resp.header("WWW-Authenticate").startswith("Basic realm="))
        resp = self.sim.post(h.envelope(FIND_INBOX))
        self.assertEqual(resp.status, 401)
        resp = self.sim.post(h.envelope(FIND_INBOX),
                             headers={"Authorization": "Basic !!!not-base64"})
        self.assertEqual(resp.status, 401)
        self.assertGreaterEqual(self.sim.stats()["unauthorized"], 5)

    def test_mailbox_logs_in_as_itself(self):
        find_calendar = FIND_INBOX.replace('Id="inbox"', 'Id="calendar"')
        resp = self.sim.post(h.envelope(find_calendar), ALICE, "alice-pw")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.codes(), ["NoError"])
        self.assertEqual(len(h.items_of(resp.message())), 1)
        # The default password, and a display name given on the command line.
        self.assertEqual(h.Ews(self.sim, BOB).call(FIND_INBOX).codes(), ["NoError"])
        alice = h.Ews(self.sim, ALICE, "alice-pw")
        cal = alice.get([h.item_id(i) for i in alice.find("calendar")])[0]
        self.assertEqual(cal.findtext("t:Organizer/t:Mailbox/t:Name", namespaces=h.NS),
                         "Bob Builder")

    def test_impersonation_allowed(self):
        before = self.sim.stats()["mailboxes"].get(ALICE, 0)
        for tag in ("PrimarySmtpAddress", "SmtpAddress"):
            header = ("<t:ExchangeImpersonation><t:ConnectingSID><t:%s>%s</t:%s>"
                      "</t:ConnectingSID></t:ExchangeImpersonation>" % (tag, ALICE, tag))
            resp = self.sim.post(h.envelope(FIND_INBOX, header=header), SVC, "svc-pw")
            self.assertEqual(resp.status, 200, resp.body)
            self.assertEqual(resp.codes(), ["NoError"])
            self.assertEqual(len(h.items_of(resp.message())), 1)
        # The service account acts for Alice: it can answer her meeting request.
        svc = h.Ews(self.sim, SVC, "svc-pw", impersonate=ALICE)
        req = svc.find("inbox")[0]
        self.assertEqual(h.code(svc.respond("AcceptItem", h.item_id(req))[0]), "NoError")
        accepted = [i for i in h.Ews(self.sim, BOB).find("inbox")
                    if i.findtext("t:ItemClass", namespaces=h.NS)
                    == "IPM.Schedule.Meeting.Resp.Pos"]
        self.assertEqual(len(accepted), 1)
        self.assertEqual(accepted[0].findtext("t:From/t:Mailbox/t:EmailAddress",
                                              namespaces=h.NS), ALICE)
        # Requests are counted for the impersonated mailbox.
        self.assertGreaterEqual(self.sim.stats()["mailboxes"][ALICE], before + 4)

    def test_impersonating_a_nonexistent_mailbox(self):
        resp = self.sim.post(h.envelope(FIND_INBOX, impersonate="ghost@example.com"), SVC,
                             "svc-pw")
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.fault_code(), "ErrorNonExistentMailbox")
        self.assertEqual(resp.fault.findtext("faultcode"), "a:ErrorNonExistentMailbox")

    def test_plain_mailbox_may_not_impersonate(self):
        resp = self.sim.post(h.envelope(FIND_INBOX, impersonate=ALICE), BOB)
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.fault_code(), "ErrorImpersonateUserDenied")

    def test_service_account_without_impersonation_has_no_mailbox(self):
        resp = self.sim.post(h.envelope(FIND_INBOX), SVC, "svc-pw")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.codes(), ["ErrorNonExistentMailbox"])
        self.assertEqual(resp.message().get("ResponseClass"), "Error")

    def test_other_mailboxes_folders_and_items(self):
        bob = h.Ews(self.sim, BOB)
        # Naming Alice's calendar explicitly, without delegate rights.
        resp = bob.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar">'
            "<t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox>"
            "</t:DistinguishedFolderId><t:DistinguishedFolderId Id=\"calendar\"><t:Mailbox>"
            "<t:EmailAddress>ghost@example.com</t:EmailAddress></t:Mailbox>"
            "</t:DistinguishedFolderId><t:DistinguishedFolderId Id=\"calendar\"><t:Mailbox>"
            "<t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>"
            "</m:ParentFolderIds></m:FindItem>" % (ALICE, BOB))
        self.assertEqual(resp.codes(), ["ErrorAccessDenied", "ErrorNonExistentMailbox",
                                        "NoError"])
        # Alice's item and folder ids mean nothing to Bob.
        alice = h.Ews(self.sim, ALICE, "alice-pw")
        item = alice.find("calendar")[0]
        resp = bob.call("<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>"
                        '</m:ItemShape><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>'
                        % h.item_id(item)[0])
        self.assertEqual(resp.codes(), ["ErrorItemNotFound"])
        folder = alice.call(
            "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
            '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
        folder_id = folder.message().find("m:Folders/t:Folder/t:FolderId", h.NS).get("Id")
        resp = bob.call(
            "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
            '<m:FolderIds><t:FolderId Id="%s"/></m:FolderIds></m:GetFolder>' % folder_id)
        self.assertEqual(resp.codes(), ["ErrorFolderNotFound"])

    def test_inspection_needs_no_credentials(self):
        dump = self.sim.mailbox(ALICE)
        self.assertEqual(set(dump), {"inbox", "calendar", "sentitems", "deleteditems",
                                     "drafts"})
        with self.assertRaises(KeyError):
            self.sim.mailbox("ghost@example.com")

    def test_basic_header_is_case_sensitive_password(self):
        token = base64.b64encode(("%s:%s" % (ALICE.upper(), "alice-pw")).encode()).decode()
        resp = self.sim.post(h.envelope(FIND_INBOX), headers={"Authorization":
                                                              "Basic " + token})
        self.assertEqual(resp.status, 200)  # the address is case-insensitive ...
        token = base64.b64encode(("%s:%s" % (ALICE, "ALICE-PW")).encode()).decode()
        resp = self.sim.post(h.envelope(FIND_INBOX), headers={"Authorization":
                                                              "Basic " + token})
        self.assertEqual(resp.status, 401)  # ... the password is not


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
