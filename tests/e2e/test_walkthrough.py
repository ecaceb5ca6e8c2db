"""Microsoft's "Handling Meetings" walkthrough with the real programs: meetingctl is the
organizer, meetingd answers for attendee0 (accept), attendee1 (tentative), attendee2 (decline),
attendee3 and room0 (accept). Every step is checked in the mailboxes themselves (the
simulator's dump), not in what the programs print about it."""

import json
import os

import e2e

MAILBOXES = {"attendee0": "accept-all", "attendee1": "tentative-all",
             "attendee2": "decline-all", "attendee3": "accept-keep", "room0": "accept-all"}
POLICIES = dict(e2e.POLICIES)
POLICIES["accept-keep"] = {"automate": "accept", "remove_canceled_meetings": "no"}
USERS = ["organizer0", "attendee0", "attendee1", "attendee2", "attendee3", "room0"]
A = e2e.addr


class Walkthrough(e2e.TestCase):

    def setUp(self):
        self.w = self.world(users=USERS)
        self.conf = self.w.write_config(MAILBOXES, policies=POLICIES)

    def status_json(self, mid):
        res = self.w.ctl(self.conf, "status", mid, "--json")
        return json.loads(res.stdout)

    def list_json(self, user, folder):
        res = self.w.ctl(self.conf, "--json", "list", folder, as_user=user)
        return json.loads(res.stdout)

    def test_handling_meetings(self):
        w, conf = self.w, self.conf
        subject = "Meeting with attendee0, attendee1, attendee2"

        # --- Creating a meeting: required, optional, a room. ---------------------------------
        mid = w.create_meeting(conf, subject, required=["attendee0", "attendee1"],
                               optional=["attendee2"], resources=["room0"])
        org = w.mailbox("organizer0")
        self.assertEqual([it["id"] for it in org["calendar"]], [mid])
        uid = org["calendar"][0]["uid"]
        self.assertEqual([(it["kind"], it["subject"]) for it in org["sentitems"]],
                         [("MeetingRequest", subject)], "SendToAllAndSaveCopy keeps a copy")
        for user in ("attendee0", "attendee1", "attendee2", "room0"):
            reqs = w.requests(user)
            self.assertEqual([(r["uid"], r["subject"]) for r in reqs], [(uid, subject)], user)
            self.assertEqual(len(w.calendar(user, uid)), 1, user)
        self.assertEqual(w.requests("attendee3"), [])
        before = self.status_json(mid)
        self.assertEqual(before["subject"], subject)
        self.assertEqual([(a["address"], a["role"], a["response"], a["last_response_time"])
                          for a in before["attendees"]],
                         [(A("attendee0"), "required", "Unknown", None),
                          (A("attendee1"), "required", "Unknown", None),
                          (A("attendee2"), "optional", "Unknown", None),
                          (A("room0"), "resource", "Unknown", None)])

        # --- Receiving and answering: meetingd. -----------------------------------------------
        self.assertFalse(os.path.exists(w.state_dir))
        w.once(conf)
        # The very first run creates the state directory and records its decisions.
        self.assertEqual(sorted((d["mailbox"], d["decision"], d["outcome"], d["dry_run"])
                                for d in w.decisions()),
                         [("attendee0", "accept", "sent", False),
                          ("attendee1", "tentative", "sent", False),
                          ("attendee2", "decline", "sent", False),
                          ("room0", "accept", "sent", False)])
        self.assertEqual(os.stat(w.state_dir).st_mode & 0o777, 0o700)
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"],
                                          A("attendee1"): ["Tentative"],
                                          A("attendee2"): ["Decline"],
                                          A("room0"): ["Accept"]})
        expect_calendar = {"attendee0": "Accept", "attendee1": "Tentative", "room0": "Accept"}
        for user in ("attendee0", "attendee1", "attendee2", "room0"):
            box = w.mailbox(user)
            self.assertEqual([it for it in box["inbox"] if it["kind"] == "MeetingRequest"], [],
                             "%s: the answered request left the Inbox" % user)
            self.assertEqual([(it["kind"], it["uid"]) for it in box["deleteditems"]],
                             [("MeetingRequest", uid)], user)
            sent = [(it["kind"], it["subject"]) for it in box["sentitems"]]
            prefix = {"attendee1": "Tentative: ", "attendee2": "Declined: "}.get(user,
                                                                                "Accepted: ")
            self.assertEqual(sent, [("MeetingResponse", prefix + subject)], user)
            cal = w.calendar(user, uid)
            if user in expect_calendar:
                self.assertEqual([c["my_response_type"] for c in cal], [expect_calendar[user]],
                                 user)
            else:
                self.assertEqual(cal, [], "a declined meeting leaves no calendar item")
        self.assertIn("Booked by meetingd.", w.mailbox("attendee0")["sentitems"][0]["body"])
        self.assertIn("Sorry, I cannot make it.",
                      w.mailbox("attendee2")["sentitems"][0]["body"])

        # --- Checking attendee responses: meetingctl status (JSON and table). ---------------
        status = self.status_json(mid)
        truth = {a["address"]: a for a in w.item("organizer0", mid)["attendees"]}
        got = {a["address"]: a for a in status["attendees"]}
        self.assertEqual({k: v["response"] for k, v in got.items()},
                         {A("attendee0"): "Accept", A("attendee1"): "Tentative",
                          A("attendee2"): "Decline", A("room0"): "Accept"})
        for address, a in got.items():
            self.assertIsNotNone(a["last_response_time"], address)
            self.assertEqual(a["last_response_time"], truth[address]["last_response_time"])
        table = w.ctl(conf, "status", mid).stdout
        self.assertIn("Subject:  " + subject, table)
        for address, a in got.items():
            row = [line for line in table.splitlines() if address in line]
            self.assertEqual(len(row), 1, table)
            self.assertEqual(row[0].split()[-2:], [a["response"], a["last_response_time"]])

        # A second run finds nothing to do.
        w.once(conf)
        self.assertEqual(w.count_responses(), 4)

        # --- Updating the meeting: attendee1 leaves, attendee3 joins. ------------------------
        subject2 = "Meeting with attendee0, attendee2, attendee3"
        w.ctl(conf, "update", mid, "--subject", subject2, "--set-required", A("attendee0"),
              "--add-optional", A("attendee3"))
        box1 = w.mailbox("attendee1")
        cancels = [it for it in box1["inbox"] if it["kind"] == "MeetingCancellation"]
        self.assertEqual([c["uid"] for c in cancels], [uid], "attendee1 gets a cancellation")
        self.assertTrue(w.calendar("attendee1", uid)[0]["is_cancelled"])
        self.assertEqual([r["subject"] for r in w.requests("attendee3")], [subject2])
        self.assertEqual([r["subject"] for r in w.requests("attendee0")
                          if not r["is_out_of_date"]], [subject2])

        w.once(conf)
        # attendee1: the cancelled meeting is gone from the calendar, the cancellation filed.
        box1 = w.mailbox("attendee1")
        self.assertEqual(w.calendar("attendee1", uid), [])
        self.assertEqual([it for it in box1["inbox"] if it["kind"] == "MeetingCancellation"],
                         [])
        self.assertIn(("MeetingCancellation", uid),
                      [(it["kind"], it["uid"]) for it in box1["deleteditems"]])
        self.assertEqual(w.answers(mid)[A("attendee1")], ["Tentative"],
                         "nothing is sent to the organizer for a cancellation")
        self.assertEqual(w.answers(mid)[A("attendee3")], ["Accept"])
        self.assertEqual([c["my_response_type"] for c in w.calendar("attendee3", uid)],
                         ["Accept"])
        status = self.status_json(mid)
        self.assertEqual(status["subject"], subject2)
        self.assertEqual(sorted((a["address"], a["response"]) for a in status["attendees"]),
                         [(A("attendee0"), "Accept"), (A("attendee2"), "Decline"),
                          (A("attendee3"), "Accept"), (A("room0"), "Accept")])
        self.assertTrue(all(a["last_response_time"] for a in status["attendees"]))

        # meetingctl list sees what the dump sees.
        deleted = self.list_json("attendee1", "deleteditems")
        self.assertEqual(sorted(it["kind"] for it in deleted), ["cancellation", "request"])
        self.assertEqual({it["id"] for it in deleted},
                         {it["id"] for it in w.mailbox("attendee1")["deleteditems"]})
        cal = self.list_json("organizer0", "calendar")
        self.assertEqual([(it["id"], it["kind"], it["subject"], it["my_response"])
                          for it in cal], [(mid, "calendar", subject2, "Organizer")])
        sent = w.ctl(conf, "list", "sentitems").stdout.splitlines()
        self.assertEqual(len(sent), len(w.mailbox("organizer0")["sentitems"]))
        self.assertTrue(any(subject2 in line for line in sent), sent)

        # --- Cancelling: every attendee is told; meetingd removes it where the policy says.
        res = w.ctl(conf, "cancel", mid, "--message", "The quarter plans itself.")
        self.assertEqual(res.stdout.strip(), "cancelled")
        org = w.mailbox("organizer0")
        self.assertEqual(org["calendar"], [])
        self.assertTrue([it for it in org["deleteditems"] if it["uid"] == uid][0]
                        ["is_cancelled"])
        for user in ("attendee0", "attendee2", "attendee3", "room0"):
            got = [it for it in w.mailbox(user)["inbox"]
                   if it["kind"] == "MeetingCancellation" and it["uid"] == uid]
            self.assertEqual(len(got), 1, "%s gets exactly one cancellation" % user)
            self.assertIn("The quarter plans itself.", got[0]["body"])
        self.assertEqual([it for it in w.mailbox("attendee1")["inbox"]
                          if it["kind"] == "MeetingCancellation"], [],
                         "attendee1 had left already")
        w.once(conf)
        for user in ("attendee0", "attendee2", "room0"):
            self.assertEqual(w.calendar(user, uid), [], user)
            self.assertEqual([it for it in w.mailbox(user)["inbox"]
                              if it["kind"] == "MeetingCancellation"], [], user)
        # attendee3's policy keeps cancelled meetings.
        kept = w.calendar("attendee3", uid)
        self.assertEqual(len(kept), 1)
        self.assertTrue(kept[0]["is_cancelled"])
        self.assertEqual(len([it for it in w.mailbox("attendee3")["inbox"]
                              if it["kind"] == "MeetingCancellation"]), 1)
        # Nobody answered a cancellation.
        self.assertEqual(sorted(w.answers(None, uid=uid).items()),
                         [(A("attendee0"), ["Accept", "Accept"]),
                          (A("attendee1"), ["Tentative"]),
                          (A("attendee2"), ["Decline", "Decline"]),
                          (A("attendee3"), ["Accept"]),
                          (A("room0"), ["Accept", "Accept"])])

    def test_respond_by_hand_is_not_answered_again(self):
        w, conf = self.w, self.conf
        mid = w.create_meeting(conf, "Answered by hand", required=["attendee0", "attendee1"],
                               resources=["room0"])
        req0 = [it for it in self.list_json("attendee0", "inbox") if it["kind"] == "request"]
        self.assertEqual(len(req0), 1)
        res = w.ctl(conf, "respond", req0[0]["id"], "decline", "--message", "On holiday.",
                    as_user="attendee0")
        self.assertEqual(res.stdout.strip(), "decline sent")
        # attendee1 through the [mailbox] credentials of the configuration.
        req1 = w.requests("attendee1")[0]["id"]
        w.ctl(conf, "respond", req1, "accept", as_user="attendee1", password_file=False)
        # Answering the same request twice: the server no longer has it in the Inbox.
        w.ctl(conf, "respond", req1, "accept", as_user="attendee1", password_file=False,
              expect=1)
        w.ctl(conf, "respond", req1, "maybe", as_user="attendee1", expect=64)
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Decline"],
                                          A("attendee1"): ["Accept"]})
        sent = w.mailbox("attendee0")["sentitems"]
        self.assertIn("On holiday.", sent[0]["body"])

        w.once(conf)
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Decline"],
                                          A("attendee1"): ["Accept"],
                                          A("room0"): ["Accept"]})
        self.assertEqual([c["my_response_type"] for c in w.calendar("attendee1")], ["Accept"])
        self.assertEqual(w.calendar("attendee0"), [])

    def test_meetingctl_errors(self):
        w, conf = self.w, self.conf
        start, end = e2e.slot(0)
        w.ctl(conf, "create", "--subject", "x", "--start", end, "--end", start, expect=1)
        w.ctl(conf, "create", "--subject", "x", "--start", "tomorrow", "--end", end, expect=64)
        w.ctl(conf, "create", "--start", start, "--end", end, expect=64)
        w.ctl(conf, "list", "outbox", expect=64)
        w.ctl(conf, "frobnicate", expect=64)
        res = w.ctl(conf, "status", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", expect=1)
        self.assertIn("GetItem failed", res.stderr)
        # A wrong password: the server's 401, reported, nothing printed as a result.
        w.write_secret("organizer0", "not-the-password")
        res = w.ctl(conf, "list", "inbox", expect=1)
        self.assertEqual(res.stdout, "")
        self.assertEqual(w.mailbox("organizer0")["calendar"], [])


if __name__ == "__main__":
    e2e.main()
