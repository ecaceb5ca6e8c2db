"""The mailbox side of resource booking, end to end with meetingd, meetingctl and the simulator,
every effect checked in the mailboxes themselves:

- ForwardRequestsToDelegates: a request held for approval reaches the room's delegates as a
  meeting request (after the tentative answer, or instead of one without
  TentativePendingApproval, when the pending request shows as free), and only once;
- DeleteAttachments: the booked room's calendar item loses its attachments, the organizer's
  and the other attendees' copies keep theirs;
- RemoveOldMeetingMessages: a request an update superseded leaves the room's Inbox for Deleted
  Items, and finished requests a server left in the Inbox (grommunio) follow;
- the booking window of a series ends at the policy's midnight, not N * 24 hours from now.
"""

import datetime
import os

import e2e
import simharness as h

A = e2e.addr
USERS = ["organizer0", "attendee0", "attendee1", "room0", "delegate0", "delegate1"]

APPROVAL = {"automate": "auto_accept", "all_book_in_policy": "no",
            "all_request_in_policy": "yes",
            "resource_delegates": "delegate0@example.com, delegate1@example.com",
            "forward_requests_to_delegates": "yes", "tentative_pending_approval": "yes"}
ROOM = {"automate": "auto_accept"}  # Exchange's defaults: DeleteAttachments, RemoveOld... yes


def policies(**extra):
    out = dict(e2e.POLICIES)
    out.update(extra)
    return out


class BookingFeatures(e2e.TestCase):

    def inbox(self, w, user, kind="MeetingRequest"):
        return [i for i in w.mailbox(user)["inbox"] if i["kind"] == kind]

    def folder(self, w, user, folder, subject):
        return [i for i in w.mailbox(user)[folder] if subject in (i["subject"] or "")]

    # --- ForwardRequestsToDelegates ----------------------------------------------------------

    def test_forward_to_delegates_after_tentative_answer(self):
        w = self.world(users=USERS)
        conf = w.write_config({"room0": "approval"}, policies=policies(approval=APPROVAL))
        mid = w.create_meeting(conf, "Board meeting", required=["attendee0"],
                               resources=["room0"])
        uid = w.uid_of(mid)
        w.once(conf)

        # The organizer hears that the room is pencilled in, and only that.
        self.assertEqual(w.answers(mid), {A("room0"): ["Tentative"]})
        room_cal = w.calendar("room0", uid)
        self.assertEqual([c["my_response_type"] for c in room_cal], ["Tentative"])
        self.assertEqual([c["legacy_free_busy_status"] for c in room_cal], ["Tentative"])
        # Each delegate has the request, forwarded by the room: a meeting request of the
        # organizer's meeting that they can answer, with the reason it waits for them.
        for user in ("delegate0", "delegate1"):
            fwd = self.inbox(w, user)
            self.assertEqual(len(fwd), 1, user)
            fwd = fwd[0]
            self.assertEqual(fwd["item_class"], "IPM.Schedule.Meeting.Request")
            self.assertEqual(fwd["uid"], uid)
            self.assertEqual(fwd["subject"], "FW: Board meeting")
            self.assertEqual(fwd["organizer"]["address"], A("organizer0"))
            self.assertEqual(fwd["from"]["address"], A("room0"))
            self.assertEqual(sorted(p["address"] for p in fwd["to"]),
                             [A("delegate0"), A("delegate1")])
            self.assertIn('The meeting request "Board meeting" from %s' % A("organizer0"),
                          fwd["body"])
            self.assertIn("needs the approval of a delegate", fwd["body"])
            self.assertIn("- the request awaits the approval of the room's delegates",
                          fwd["body"])
            self.assertIn("may request the room, subject to a delegate's approval",
                          fwd["body"])
            self.assertEqual([c["my_response_type"] for c in w.calendar(user, uid)],
                             ["NoResponseReceived"])
        # The room keeps the sent forward; its request was filed by the answer.
        sent = self.folder(w, "room0", "sentitems", "FW: Board meeting")
        self.assertEqual([s["kind"] for s in sent], ["MeetingRequest"])
        self.assertEqual(self.inbox(w, "room0"), [])
        # Nobody else got anything, and a second run forwards nothing again.
        self.assertEqual(self.folder(w, "attendee0", "inbox", "FW:"), [])
        w.once(conf)
        self.assertEqual(len(self.inbox(w, "delegate0")), 1)
        self.assertEqual(w.answers(mid), {A("room0"): ["Tentative"]})
        decisions = [d for d in w.decisions() if d.get("mailbox") == "room0"]
        self.assertEqual([(d["decision"], d["outcome"]) for d in decisions],
                         [("tentative", "sent")])

    def test_forward_instead_of_an_answer(self):
        w = self.world(users=USERS)
        quiet = dict(APPROVAL, tentative_pending_approval="no")
        conf = w.write_config({"room0": "approval"}, policies=policies(approval=quiet))
        mid = w.create_meeting(conf, "Quiet approval", resources=["room0"])
        uid = w.uid_of(mid)
        req_id = self.inbox(w, "room0")[0]["id"]
        w.once(conf)

        self.assertEqual(w.answers(mid), {}, "held without an answer")
        # The request stays where it was, untouched, for the delegates' decision.
        self.assertEqual([r["id"] for r in self.inbox(w, "room0")], [req_id])
        # TentativePendingApproval = false: the pending request shows as free on the room's
        # calendar, blocking nothing while the delegates decide. (grommunio Gromox puts
        # nothing on the calendar for a request: there is nothing to show.)
        placeholder = [] if w.flavor == "gromox" else [("NoResponseReceived", "Free")]
        self.assertEqual([(c["my_response_type"], c["legacy_free_busy_status"])
                          for c in w.calendar("room0", uid)], placeholder)
        for user in ("delegate0", "delegate1"):
            fwd = self.inbox(w, user)
            self.assertEqual([(f["uid"], f["subject"]) for f in fwd],
                             [(uid, "FW: Quiet approval")], user)
        self.assertEqual(len(self.folder(w, "room0", "sentitems", "FW: Quiet approval")), 1)
        self.assertEqual([l[2] for l in w.ledger("room0")], ["ignore", "ignore"])  # intent, done
        decisions = [d for d in w.decisions() if d.get("mailbox") == "room0"]
        self.assertEqual([(d["decision"], d["outcome"]) for d in decisions],
                         [("ignore", "forwarded to the delegates")])
        # The ledger holds it: no second forward, and the request is not swept away.
        w.once(conf)
        self.assertEqual(len(self.inbox(w, "delegate0")), 1)
        self.assertEqual([r["id"] for r in self.inbox(w, "room0")], [req_id])

    def test_no_forward_when_the_policy_says_no(self):
        w = self.world(users=USERS)
        off = dict(APPROVAL, forward_requests_to_delegates="no")
        conf = w.write_config({"room0": "approval"}, policies=policies(approval=off))
        mid = w.create_meeting(conf, "Not forwarded", resources=["room0"])
        w.once(conf)
        self.assertEqual(w.answers(mid), {A("room0"): ["Tentative"]})
        self.assertEqual(self.inbox(w, "delegate0"), [])
        self.assertEqual(self.folder(w, "room0", "sentitems", "FW:"), [])

    # --- DeleteAttachments -------------------------------------------------------------------

    def test_attachments_removed_from_the_booked_room_only(self):
        self.check_attachments_removed_from_the_booked_room_only(())

    def test_attachments_removed_without_a_link_to_the_calendar_item(self):
        # grommunio Gromox never sends AssociatedCalendarItemId: the room's calendar item is
        # found by the meeting's UID.
        self.check_attachments_removed_from_the_booked_room_only(
            ["--no-associated-calendar-item-id"])

    def check_attachments_removed_from_the_booked_room_only(self, sim_args):
        w = self.world(users=USERS, sim_args=sim_args)
        files = []
        for name, data in (("agenda.txt", b"1. budget\n2. rooms\n"),
                           ("plan.bin", bytes(range(256)) * 3)):
            path = os.path.join(w.dir, name)
            with open(path, "wb") as f:
                f.write(data)
            files += ["--attach", path]
        keep = {"automate": "accept", "delete_attachments": "no"}
        conf = w.write_config({"room0": "room", "attendee0": "keep"},
                              policies=policies(room=ROOM, keep=keep))
        mid = w.create_meeting(conf, "With papers", required=["attendee0"],
                               resources=["room0"], extra=files)
        uid = w.uid_of(mid)
        org = w.item("organizer0", mid)
        self.assertEqual([(a["name"], a["size"]) for a in org["attachments"]],
                         [("agenda.txt", 19), ("plan.bin", 768)])
        # The room's calendar item: the server's placeholder, or (grommunio Gromox, which
        # puts none there) the one the acceptance makes.
        room_before = w.calendar("room0", uid)
        self.assertEqual([len(c["attachments"]) for c in room_before],
                         [] if w.flavor == "gromox" else [2])
        w.once(conf)

        self.assertEqual(w.answers(mid), {A("room0"): ["Accept"], A("attendee0"): ["Accept"]})
        room_after = w.calendar("room0", uid)
        self.assertEqual(len(room_after), 1)
        if room_before:
            self.assertEqual(room_after[0]["id"], room_before[0]["id"])
        self.assertEqual(room_after[0]["my_response_type"], "Accept")
        self.assertEqual(room_after[0]["attachments"], [])
        # Over EWS too: the item says it has none.
        ews = h.Ews(w.sim, A("room0"), password=w.passwords["room0"])
        got = ews.get([room_after[0]["id"]])[0]
        self.assertEqual(got.findtext("t:HasAttachments", namespaces=h.NS), "false")
        self.assertIsNone(got.find("t:Attachments", h.NS))
        # Everybody else's copy keeps them: the organizer's, attendee0's (delete_attachments
        # = no), the request in the room's Deleted Items.
        self.assertEqual(len(w.item("organizer0", mid)["attachments"]), 2)
        self.assertEqual(len(w.calendar("attendee0", uid)[0]["attachments"]), 2)
        moved = [r for r in w.requests("room0", "deleteditems") if r["uid"] == uid]
        self.assertEqual([len(r["attachments"]) for r in moved], [2])
        self.assertEqual(w.sim.stats()["operations"].get("DeleteAttachment"), 1)

    def test_no_attachments_no_attachment_calls(self):
        w = self.world(users=USERS)
        conf = w.write_config({"room0": "room"}, policies=policies(room=ROOM))
        mid = w.create_meeting(conf, "Paperless", resources=["room0"])
        w.once(conf)
        self.assertEqual(w.answers(mid), {A("room0"): ["Accept"]})
        ops = w.sim.stats()["operations"]
        self.assertEqual(ops.get("DeleteAttachment", 0), 0, ops)
        self.assertEqual(w.calendar("room0", w.uid_of(mid))[0]["my_response_type"], "Accept")

    # --- RemoveOldMeetingMessages ------------------------------------------------------------

    def test_out_of_date_requests_move_to_deleted_items(self):
        w = self.world(users=USERS)
        keep_old = {"automate": "accept", "remove_old_meeting_messages": "no"}
        conf = w.write_config({"room0": "accept-all", "attendee0": "keep-old"},
                              policies=policies(**{"keep-old": keep_old}))
        mid = w.create_meeting(conf, "Moving target", required=["attendee0"],
                               resources=["room0"])
        uid = w.uid_of(mid)
        start, end = e2e.slot(5)
        w.ctl(conf, "update", mid, "--start", start, "--end", end)
        for user in ("room0", "attendee0"):
            reqs = [r for r in self.inbox(w, user) if r["uid"] == uid]
            self.assertEqual([r["is_out_of_date"] for r in reqs], [True, False], user)
        old_id = [r for r in self.inbox(w, "room0") if r["is_out_of_date"]][0]["id"]
        w.once(conf)

        # The room: the superseded request went to Deleted Items, the update was answered
        # (and filed by the server); nothing is left in the Inbox.
        self.assertEqual(self.inbox(w, "room0"), [])
        gone = [r for r in w.requests("room0", "deleteditems") if r["uid"] == uid]
        self.assertEqual(sorted(r["is_out_of_date"] for r in gone), [False, True])
        self.assertNotIn(old_id, [r["id"] for r in gone], "moving gives the item a new id")
        self.assertIn(("D", "superseded"),
                      [(l[0], l[2]) for l in w.ledger("room0") if l[3] == old_id])
        # attendee0 keeps old messages: the outdated request stays, marked out of date
        # (and on grommunio Gromox, which files nothing, the answered update too).
        left = [r for r in self.inbox(w, "attendee0") if r["uid"] == uid]
        self.assertEqual(sorted(r["is_out_of_date"] for r in left),
                         [False, True] if w.flavor == "gromox" else [True])
        # Both answered the update, once.
        self.assertEqual(w.answers(mid), {A("room0"): ["Accept"], A("attendee0"): ["Accept"]})

    def test_finished_requests_left_by_the_server_are_swept(self):
        w = self.world(users=USERS, keep_answered=True)
        keep_old = {"automate": "accept", "remove_old_meeting_messages": "no"}
        conf = w.write_config({"room0": "accept-all", "attendee0": "keep-old"},
                              policies=policies(**{"keep-old": keep_old}))
        mid = w.create_meeting(conf, "Left behind", required=["attendee0"],
                               resources=["room0"])
        uid = w.uid_of(mid)
        room_req = self.inbox(w, "room0")[0]["id"]
        res = w.once(conf)

        # Answered once each; the server left both requests in the Inbox.
        self.assertEqual(w.answers(mid), {A("room0"): ["Accept"], A("attendee0"): ["Accept"]})
        # meetingd's next pass moved the room's to Deleted Items (RemoveOldMeetingMessages)...
        self.assertEqual(self.inbox(w, "room0"), [])
        gone = [r for r in w.requests("room0", "deleteditems") if r["uid"] == uid]
        self.assertEqual(len(gone), 1)
        self.assertNotEqual(gone[0]["id"], room_req)
        self.assertRegex(res.stdout + res.stderr,
                         r"mailbox room0: moved 1 finished meeting message\(s\) the server "
                         r"left in the Inbox to Deleted Items")
        # ... and left attendee0's where it is (remove_old_meeting_messages = no).
        self.assertEqual([r["uid"] for r in self.inbox(w, "attendee0")], [uid])
        w.once(conf)
        self.assertEqual(w.answers(mid), {A("room0"): ["Accept"], A("attendee0"): ["Accept"]})
        self.assertEqual(len(self.inbox(w, "attendee0")), 1)

    # --- the booking window of a series ------------------------------------------------------

    def test_series_window_ends_at_the_policys_midnight(self):
        """Booking window 2 days, in UTC: it ends at midnight after the day after tomorrow.
        A daily series from tomorrow at a time of day later than now has its second
        occurrence after now + 48 h but inside the window; a booking there conflicts, so the
        series is declined. (Counting 48 h from now, meetingd missed that occurrence and
        accepted.)

        The second occurrence must fall before midnight: the daemon's clock is set to 06:00
        UTC today (MEETINGD_TEST_NOW, a test build's clock) instead of waiting for the real
        clock to pass midnight."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(hour=6, minute=0, second=0,
                                                                   microsecond=0)
        os.environ["MEETINGD_TEST_NOW"] = e2e.iso(now)
        self.addCleanup(os.environ.pop, "MEETINGD_TEST_NOW", None)
        second = (now + datetime.timedelta(days=2, minutes=2)).replace(second=0,
                                                                      microsecond=0)
        first = second - datetime.timedelta(days=1)
        w = self.world(users=USERS)
        window = {"automate": "auto_accept", "booking_window_days": "2", "time_zone": "UTC",
                  "enforce_scheduling_horizon": "no"}
        conf = w.write_config({"room0": "window"}, policies=policies(window=window))
        # The booking the second occurrence will meet.
        busy = w.ctl(conf, "create", "--subject", "Already booked",
                     "--start", e2e.iso(second), "--end",
                     e2e.iso(second + datetime.timedelta(minutes=30)),
                     "--resource", A("room0")).stdout.strip()
        w.once(conf)
        self.assertEqual(w.answers(busy), {A("room0"): ["Accept"]})

        org = h.Ews(w.sim, A("organizer0"), password=w.passwords["organizer0"])
        recurrence = ("<t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval>"
                      "</t:DailyRecurrence><t:NumberedRecurrence><t:StartDate>%s</t:StartDate>"
                      "<t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence>"
                      "</t:Recurrence>" % first.strftime("%Y-%m-%d"))
        series, _ = org.create_meeting("Daily stand-up", e2e.iso(first),
                                       e2e.iso(first + datetime.timedelta(minutes=15)),
                                       resources=[A("room0")], extra=recurrence)
        w.once(conf)
        self.assertEqual(w.answers(series), {A("room0"): ["Decline"]})
        reply = [i for i in w.mailbox("organizer0")["inbox"]
                 if i["kind"] == "MeetingResponse" and i["uid"] == w.uid_of(series)][0]
        self.assertIn("conflict", reply["body"])
        self.assertIn(second.strftime("%Y-%m-%d"), reply["body"])
        self.assertEqual(reply["subject"], "Declined: Daily stand-up")
        # The decisions were taken at the daemon's (set) time, not the real one.
        self.assertTrue(all(d["time"].startswith(now.strftime("%Y-%m-%dT06:"))
                            for d in w.decisions()), w.decisions())


if __name__ == "__main__":
    e2e.main()
