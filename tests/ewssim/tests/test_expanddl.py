"""ExpandDL: distribution groups declared with --group. One level per call (a nested group
comes back as PublicDL, unexpanded), mailboxes as Mailbox, outside addresses as OneOff;
an address that is no group is ErrorNameResolutionNoResults; a forward to a group reaches its
members, nested groups included, once each; every request and response is validated against
the schema (simharness runs the simulator with --validate)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"


def expand(address):
    return ("<m:ExpandDL><m:Mailbox><t:EmailAddress>%s</t:EmailAddress></m:Mailbox>"
            "</m:ExpandDL>" % address)


def members(msg):
    return [(x.findtext("t:EmailAddress", namespaces=h.NS),
             x.findtext("t:MailboxType", namespaces=h.NS),
             x.findtext("t:Name", namespaces=h.NS))
            for x in msg.findall("m:DLExpansion/t:Mailbox", h.NS)]


class ExpandDLTest(h.SimTestCase):
    MAILBOXES = (ALICE, BOB, CAROL)
    EXTRA_ARGS = ("--group", "Team <team@example.com>:alice@example.com,inner@example.com",
                  "--group", "inner@example.com:bob@example.com,ext@other.example,"
                             "team@example.com",
                  "--group", "empty@example.com:")

    def test_members_one_level(self):
        msg = self.ews[CAROL].ok(expand("team@example.com"))[0]
        self.assertEqual(members(msg), [(ALICE, "Mailbox", "Alice"),
                                        ("inner@example.com", "PublicDL", "Inner")])
        dl = msg.find("m:DLExpansion", h.NS)
        self.assertEqual(dl.get("TotalItemsInView"), "2")
        self.assertEqual(dl.get("IncludesLastItemInRange"), "true")

    def test_nested_group_with_a_cycle_and_an_outside_member(self):
        msg = self.ews[CAROL].ok(expand("INNER@example.com"))[0]
        self.assertEqual(members(msg), [(BOB, "Mailbox", "Bob"),
                                        ("ext@other.example", "OneOff", "ext@other.example"),
                                        ("team@example.com", "PublicDL", "Team")])

    def test_empty_group(self):
        msg = self.ews[CAROL].ok(expand("empty@example.com"))[0]
        self.assertEqual(members(msg), [])
        self.assertEqual(msg.find("m:DLExpansion", h.NS).get("TotalItemsInView"), "0")

    def test_a_forward_to_a_group_reaches_its_members(self):
        # A meeting request to carol, forwarded by carol to the team: the members of the team
        # and of the nested group get it once each (alice, bob; carol's own request stays).
        self.ews[ALICE].create_meeting("Planning", "2026-09-01T10:00:00Z",
                                       "2026-09-01T11:00:00Z", required=[CAROL])
        req = self.dump(CAROL, "inbox", "Planning")[0]
        self.ews[CAROL].ok(
            '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:ForwardItem>'
            "<t:ToRecipients><t:Mailbox><t:EmailAddress>team@example.com</t:EmailAddress>"
            '</t:Mailbox></t:ToRecipients><t:ReferenceItemId Id="%s"/></t:ForwardItem>'
            "</m:Items></m:CreateItem>" % req["id"])
        for user in (ALICE, BOB):
            got = self.dump(user, "inbox", "FW: Planning")
            self.assertEqual(len(got), 1, user)
            self.assertEqual(got[0]["kind"], "MeetingRequest")
        self.assertEqual(len(self.dump(CAROL, "inbox", "Planning")), 1)

    def test_no_group(self):
        for address in (BOB, "nobody@example.com"):
            msg = self.ews[CAROL].call(expand(address)).message()
            self.assertEqual(msg.get("ResponseClass"), "Error")
            self.assertEqual(h.code(msg), "ErrorNameResolutionNoResults")


class GroupArgumentTest(unittest.TestCase):
    def test_bad_group_arguments_are_refused(self):
        import subprocess
        for spec in ("team@example.com", "team:alice@example.com",
                     "team@example.com:alice"):
            p = subprocess.run([sys.executable, h.SIM_DIR, "--group", spec],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, spec)
            self.assertIn("--group", p.stderr)


if __name__ == "__main__":
    unittest.main()
