"""Inbox delta queries: real deltaLinks, paging, removals, expired sync states."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphharness as h  # noqa: E402

ORG, ATT0, ATT1, ROOM = h.SimTest.MAILBOXES


class Delta(h.SimTest):
    def invite(self, subject, who=ROOM):
        body = h.meeting(subject, "2027-02-01T09:00:00", "2027-02-01T10:00:00",
                         [(who, "resource")])
        return self.sim.ok("POST", "/users/%s/events" % ORG, body, status=201)

    def test_rounds_report_only_changes(self):
        for i in range(5):
            self.invite("Round A%d" % i)
        items, link = h.drain_delta(self.sim, ROOM)
        subjects = [m["subject"] for m in items]
        self.assertEqual(subjects[-5:], ["Round A%d" % i for i in range(5)])
        self.assertEqual(len(subjects), len(set(m["id"] for m in items)))
        for m in items:
            self.assertEqual(m["@odata.type"], "#microsoft.graph.eventMessageRequest")
            self.assertEqual(m["event"]["responseStatus"]["response"], "notResponded")
        again, link = h.drain_delta(self.sim, ROOM, link)
        self.assertEqual(again, [])
        self.invite("Round B")
        new, link = h.drain_delta(self.sim, ROOM, link)
        self.assertEqual([m["subject"] for m in new], ["Round B"])
        self.assertIn("event", new[0], "the deltaLink keeps $expand")
        # Answering moves the request out of the Inbox: the next round reports its removal.
        self.sim.ok("POST", "/users/%s/events/%s/accept" % (ROOM, new[0]["event"]["id"]),
                    {"sendResponse": True}, status=202)
        gone, link = h.drain_delta(self.sim, ROOM, link)
        self.assertEqual(gone, [{"id": new[0]["id"], "@removed": {"reason": "deleted"}}])

    def test_change_during_paging_is_not_lost(self):
        _, link = h.drain_delta(self.sim, ATT0)
        for i in range(4):
            self.invite("Paged %d" % i, ATT0)
        page = self.sim.ok("GET", link, headers={"Prefer": "odata.maxpagesize=2"})
        self.assertIn("@odata.nextLink", page)
        seen = [m["subject"] for m in page["value"]]
        self.invite("Arrived mid-round", ATT0)
        rest, link = h.drain_delta(self.sim, ATT0, page["@odata.nextLink"])
        seen += [m["subject"] for m in rest]
        later, _ = h.drain_delta(self.sim, ATT0, link)
        seen += [m["subject"] for m in later]
        self.assertEqual(sorted(seen), sorted(["Paged %d" % i for i in range(4)] +
                                              ["Arrived mid-round"]))

    def test_expired_tokens(self):
        for code in ("syncStateNotFound", "resyncRequired"):
            self.invite("Before expiry " + code, ATT1)
            _, link = h.drain_delta(self.sim, ATT1)
            r = self.sim.sim_post("/sim/delta/expire", {"mailbox": ATT1, "code": code})
            self.assertEqual(r.status, 200, r.body)
            r = self.sim.call("GET", link)
            self.assertEqual(r.status, 410, r.body)
            self.assertEqual(r.json["error"]["code"], code)
            # A full resync returns the whole Inbox again, with a working deltaLink.
            items, link = h.drain_delta(self.sim, ATT1)
            self.assertIn("Before expiry " + code, [m["subject"] for m in items])
            self.assertEqual(h.drain_delta(self.sim, ATT1, link)[0], [])

    def test_malformed_token(self):
        r = self.sim.call("GET", "/users/%s/mailFolders/inbox/messages/delta?$deltatoken=%%21%%21"
                          % ROOM)
        self.assertEqual(r.status, 400)


if __name__ == "__main__":
    unittest.main()
