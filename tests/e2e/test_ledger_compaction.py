"""The ledger forgets only what it may: once it is large, a poll compacts it, dropping old
entries of messages that have left the Inbox while keeping those still there (a server that
keeps answered requests would otherwise get them answered again) and recent ones."""

import time

import e2e

A = e2e.addr


class LedgerCompaction(e2e.TestCase):

    def test_old_entries_go_kept_requests_stay_answered_once(self):
        w = self.world(users=["organizer0", "attendee0"], keep_answered=True)
        policies = {"accept-all": {"automate": "accept",
                                   "remove_old_meeting_messages": "no"}}
        conf = w.write_config({"attendee0": "accept-all"}, policies=policies)
        mid = w.create_meeting(conf, "Kept in the Inbox", required=["attendee0"])
        w.once(conf)
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"]})
        kept_id = w.requests("attendee0")[0]["id"]

        # Make the kept request's entry old, and add many old entries of messages that are
        # gone, so that the ledger is worth compacting.
        old = int(time.time()) - 90 * 86400
        lines = ["D %d accept %s" % (old, kept_id)]
        lines += ["D %d accept GoneMessage%04d" % (old, i) for i in range(400)]
        lines += ["D %d decline RecentGone%d" % (int(time.time()), i) for i in range(3)]
        w.write_file(w.ledger_path("attendee0"), "\n".join(lines) + "\n")

        mid2 = w.create_meeting(conf, "After compaction", required=["attendee0"], n=1)
        w.once(conf)

        entries = {line[3]: line for line in w.ledger("attendee0")}
        self.assertIn(kept_id, entries, "a message still in the Inbox is never forgotten")
        self.assertFalse([i for i in entries if i.startswith("GoneMessage")],
                         "old entries of messages gone from the Inbox are dropped")
        self.assertEqual(len([i for i in entries if i.startswith("RecentGone")]), 3,
                         "recent entries are kept")
        # The kept request was not answered again; the new one was answered once.
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"]})
        self.assertEqual(w.answers(mid2), {A("attendee0"): ["Accept"]})
        # And a further run still leaves the kept request alone.
        w.once(conf)
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"]})


if __name__ == "__main__":
    e2e.main()
