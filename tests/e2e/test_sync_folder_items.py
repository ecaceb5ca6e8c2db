"""SyncFolderItems ([server] sync): a mailbox asks for its Inbox's changes since the sync state
of its last poll, saved in state_dir. A restart resumes from the saved state; a state the
server refuses (ErrorInvalidSyncStateData: POST /sim/sync/expire) or a damaged file start over
from scratch, and the ledger keeps every meeting answered exactly once; a server without the
operation (--no-sync-folder-items) is found out, logged once, and its mailboxes list their
Inbox with FindItem. Both simulator flavors."""

import os
import re
import signal

import e2e

A = e2e.addr
USERS = ["organizer0", "attendee0", "room0"]
MAILBOXES = {"attendee0": "accept-all", "room0": "tentative-all"}
EXPECTED = {A("attendee0"): ["Accept"], A("room0"): ["Tentative"]}
GROMOX = ("--flavor", "gromox")


def sync_state_sent(req):
    """The SyncState a SyncFolderItems request carried ("" for none)."""
    match = re.search(r"<m:SyncState>([^<]*)</m:SyncState>", req.get("request_body", ""))
    return match.group(1) if match else ""


class SyncFolderItems(e2e.TestCase):

    def setup_world(self, sim_args=(), sync="auto"):
        w = self.world(users=USERS, request_log=True,
                       sim_args=tuple(sim_args) + ("--log-bodies",))
        conf = w.write_config(MAILBOXES, server={"sync": sync})
        return w, conf

    def meeting(self, w, conf, n):
        return w.create_meeting(conf, "Sync %d" % n, required=["attendee0"],
                                resources=["room0"], n=n)

    def check_once(self, w, mids):
        for mid in mids:
            self.assertEqual(w.answers(mid), EXPECTED, mid)
        self.assertEqual(w.count_responses(), 2 * len(mids))

    def state_file(self, w, mailbox):
        with open(os.path.join(w.state_dir, mailbox + ".sync"), encoding="ascii") as f:
            return f.read().splitlines()

    def of(self, reqs, mailbox, operation=None):
        return [r for r in reqs if r.get("mailbox") == A(mailbox)
                and (operation is None or r["operation"] == operation)]

    def resume_after_restart(self, sim_args):
        w, conf = self.setup_world(sim_args)
        first = self.meeting(w, conf, 0)
        w.once(conf)
        self.check_once(w, [first])
        key, state = self.state_file(w, "attendee0")
        self.assertIn(A("attendee0"), key)
        # A new process resumes from the saved state: its first sync sends it.
        second = self.meeting(w, conf, 1)
        seen = len(w.logged_requests())
        w.once(conf)
        self.check_once(w, [first, second])
        syncs = self.of(w.logged_requests()[seen:], "attendee0", "SyncFolderItems")
        self.assertEqual(sync_state_sent(syncs[0]), state)
        # Idle: one SyncFolderItems per mailbox and poll, nothing else.
        seen = len(w.logged_requests())
        w.once(conf)
        idle = w.logged_requests()[seen:]
        for mailbox in MAILBOXES:
            self.assertEqual([r["operation"] for r in self.of(idle, mailbox)],
                             ["SyncFolderItems"], mailbox)
        self.check_once(w, [first, second])
        # A running daemon answers new meetings from its syncs too, each once.
        d = w.start_daemon(conf)
        third = self.meeting(w, conf, 2)
        e2e.wait_for(lambda: w.answers(third) == EXPECTED, 20, "the answers")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.check_once(w, [first, second, third])
        # The Inbox was never listed (FindItem went to the calendar only).
        self.assertEqual([r for r in self.of(w.logged_requests(), "room0", "FindItem")
                          if 'Id="inbox"' in r["request_body"]], [])

    def test_resume_after_restart(self):
        self.resume_after_restart(())

    def test_resume_after_restart_gromox(self):
        self.resume_after_restart(GROMOX)

    def test_answered_requests_leave_the_inbox_gromox(self):
        # Gromox keeps answered requests in the Inbox, and a sync reports them no more once
        # answered: the daemon's poll after the answers still moves them to Deleted Items,
        # batched answers included.
        w, conf = self.setup_world(GROMOX, sync="syncfolderitems")
        w.once(conf)  # the start's full listing is done: the daemon's polls below only sync
        d = w.start_daemon(conf)
        mids = [self.meeting(w, conf, n) for n in range(3)]
        e2e.wait_for(lambda: all(w.answers(mid) == EXPECTED for mid in mids), 20,
                     "the answers")

        def requests_left():
            return sum(1 for user in ("attendee0", "room0") for i in w.mailbox(user)["inbox"]
                       if i["kind"] == "MeetingRequest")
        e2e.wait_for(lambda: requests_left() == 0, 20, "the answered requests swept")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.check_once(w, mids)

    def test_invalid_state_starts_over(self):
        w, conf = self.setup_world()
        mids = [self.meeting(w, conf, 0)]
        w.once(conf)
        _, old = self.state_file(w, "attendee0")
        # Every state issued so far is too old now: the next poll starts over from scratch.
        w.sim.request("POST", "/sim/sync/expire", b"")
        mids.append(self.meeting(w, conf, 1))
        seen = len(w.logged_requests())
        res = w.once(conf)
        self.check_once(w, mids)
        self.assertIn("refused the saved sync state", res.stderr)
        syncs = self.of(w.logged_requests()[seen:], "attendee0", "SyncFolderItems")
        self.assertEqual(sync_state_sent(syncs[0]), old)
        self.assertIn("ErrorInvalidSyncStateData", syncs[0]["codes"])
        self.assertEqual(sync_state_sent(syncs[1]), "")
        _, fresh = self.state_file(w, "attendee0")
        self.assertNotEqual(fresh, old)
        # A damaged file: the same, told in the log.
        with open(os.path.join(w.state_dir, "room0.sync"), "w", encoding="ascii") as f:
            f.write("garbage\n")
        mids.append(self.meeting(w, conf, 2))
        res = w.once(conf)
        self.assertIn("room0.sync is unusable", res.stderr)
        self.check_once(w, mids)
        _, state = self.state_file(w, "room0")
        self.assertTrue(state)

    def fallback(self, sync):
        w, conf = self.setup_world(("--no-sync-folder-items",), sync=sync)
        mids = [self.meeting(w, conf, 0)]
        d = w.start_daemon(conf)
        e2e.wait_for(lambda: w.answers(mids[0]) == EXPECTED, 20, "the answers")
        mids.append(self.meeting(w, conf, 1))
        e2e.wait_for(lambda: w.answers(mids[1]) == EXPECTED, 20, "the answers")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.check_once(w, mids)
        # Found out once for the server; the mailboxes asked at most once each.
        self.assertEqual(d.log().count("does not offer SyncFolderItems"), 1)
        reqs = w.logged_requests()
        for mailbox in MAILBOXES:
            self.assertLessEqual(len(self.of(reqs, mailbox, "SyncFolderItems")), 1)
            self.assertTrue([r for r in self.of(reqs, mailbox, "FindItem")
                             if 'Id="inbox"' in r["request_body"]], mailbox)
        self.assertFalse(os.path.exists(os.path.join(w.state_dir, "attendee0.sync")))
        return d

    def test_fallback_without_sync_folder_items(self):
        self.fallback("auto")

    def test_asked_for_but_missing_falls_back_with_a_warning(self):
        d = self.fallback("syncfolderitems")
        self.assertRegex(d.log(), r"warning.*does not offer SyncFolderItems")

    def test_finditem_never_syncs(self):
        w, conf = self.setup_world(sync="finditem")
        mid = self.meeting(w, conf, 0)
        w.once(conf)
        self.check_once(w, [mid])
        self.assertNotIn("SyncFolderItems", {r["operation"] for r in w.logged_requests()})


if __name__ == "__main__":
    e2e.main()
