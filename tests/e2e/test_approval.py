"""Approval by the delegates, end to end with meetingd, meetingctl and the simulator.

A request held for approval is forwarded to the room's delegates. A forwarded request keeps
its organizer, so a delegate's answer to it goes to the organizer, with a copy in the
delegate's Sent Items; meetingd reads that copy (here through the [server] account's
impersonation) and the room then answers the organizer itself, naming the delegate:

- tentative_pending_approval = yes: the room pencils the meeting in, a delegate accepts the
  forwarded request in their own mailbox (meetingctl respond), the room accepts, once;
- tentative_pending_approval = no: the request waits unanswered, a delegate rejects it with
  `meetingctl reject`, the room declines, once;
- approval_timeout: nobody answers, the room declines after the time-out, saying why.
"""

import e2e

A = e2e.addr
USERS = ["organizer0", "room0", "delegate0", "delegate1"]
SERVICE = "svc@example.com"
APPROVAL = {"automate": "auto_accept", "all_book_in_policy": "no",
            "all_request_in_policy": "yes",
            "resource_delegates": "delegate0@example.com, delegate1@example.com",
            "forward_requests_to_delegates": "yes", "tentative_pending_approval": "yes"}


class Approval(e2e.TestCase):

    def setup_world(self, sim_args=(), **policy):
        w = self.world(users=USERS,
                       sim_args=["--impersonator", SERVICE + ":svc-secret"] + list(sim_args))
        w.write_secret("svc", "svc-secret")
        policies = dict(e2e.POLICIES)
        policies["approval"] = dict(APPROVAL, **policy)
        conf = w.write_config({"room0": "approval"}, policies=policies,
                              server={"username": SERVICE,
                                      "password_file": w.secret_path("svc"),
                                      "impersonation": "yes"})
        return w, conf

    def forwarded(self, w, user):
        fwd = [i for i in w.mailbox(user)["inbox"] if i["kind"] == "MeetingRequest"]
        self.assertEqual(len(fwd), 1, user)
        return fwd[0]

    def room_answers(self, w, mid):
        return [(i["response_type"], i["body"]) for i in w.mailbox("organizer0")["inbox"]
                if i["kind"] == "MeetingResponse" and i["uid"] == w.uid_of(mid)
                and i["from"]["address"] == A("room0")]

    def test_delegate_accepts_the_forwarded_request(self):
        self.accept_flow(self.setup_world())

    def test_delegate_accepts_on_gromox(self):
        # No AssociatedCalendarItemId (the room's item is found by UID), answered requests
        # stay in the Inbox.
        self.accept_flow(self.setup_world(sim_args=["--flavor", "gromox"]))

    def accept_flow(self, world):
        w, conf = world
        mid = w.create_meeting(conf, "Board meeting", resources=["room0"])
        w.once(conf)
        self.assertEqual([k for k, _ in self.room_answers(w, mid)], ["Tentative"])
        fwd = self.forwarded(w, "delegate0")
        self.assertEqual(fwd["subject"], "FW: Board meeting")

        # The delegate answers the forwarded request in their own mailbox.
        w.ctl(conf, "respond", fwd["id"], "accept", as_user="delegate0")
        w.once(conf)
        answers = self.room_answers(w, mid)
        self.assertEqual([k for k, _ in answers], ["Tentative", "Accept"])
        self.assertIn("Approved by Delegate 0 <delegate0@example.com>, a delegate of the room.",
                      answers[1][1])
        room_cal = w.calendar("room0", w.uid_of(mid))
        self.assertEqual([c["my_response_type"] for c in room_cal], ["Accept"])
        # The decision record has the room's answer after the approval, naming the delegate.
        approved = [d for d in w.decisions() if d["uid"] == w.uid_of(mid)
                    and d["decision"] == "accept"]
        self.assertEqual([d["outcome"] for d in approved][-1:], ["sent"])
        self.assertIn("Approved by Delegate 0", approved[-1]["response"])

        # Settled for good: another run (a restart) sends nothing more.
        w.once(conf)
        self.assertEqual(len(self.room_answers(w, mid)), 2)
        with open(w.state_dir + "/room0.approvals") as f:
            kinds = [line.split()[0] + ":" + line.split()[-1] for line in f]
        self.assertEqual(len(kinds), 2)
        self.assertTrue(kinds[0].startswith("held:"))
        self.assertEqual(kinds[1], "settled:approved")

    def test_delegate_rejects_with_meetingctl(self):
        w, conf = self.setup_world(tentative_pending_approval="no")
        mid = w.create_meeting(conf, "Offsite", resources=["room0"])
        w.once(conf)
        self.assertEqual(self.room_answers(w, mid), [])
        fwd = self.forwarded(w, "delegate1")
        res = w.ctl(conf, "reject", fwd["id"], "--message", "The room is being painted.",
                    as_user="delegate1")
        self.assertIn("rejection sent", res.stdout)
        w.once(conf)
        answers = self.room_answers(w, mid)
        self.assertEqual([k for k, _ in answers], ["Decline"])
        self.assertIn("Declined by Delegate 1 <delegate1@example.com>, a delegate of the room.",
                      answers[0][1])
        rejected = [d for d in w.decisions() if d["uid"] == w.uid_of(mid)
                    and d["decision"] == "decline"]
        self.assertEqual([d["outcome"] for d in rejected], ["sent"])
        self.assertIn("Declined by Delegate 1", rejected[0]["response"])
        w.once(conf)
        self.assertEqual(len(self.room_answers(w, mid)), 1)

    def test_a_group_of_delegates(self):
        # The delegates are a group: the forward reaches its members, and a member's answer
        # (read in the member's own mailbox) decides.
        w, conf = self.setup_world(
            sim_args=["--group", "Facilities <facilities@example.com>:delegate1@example.com"],
            resource_delegates="facilities@example.com")
        mid = w.create_meeting(conf, "Town hall", resources=["room0"])
        w.once(conf)
        fwd = self.forwarded(w, "delegate1")
        self.assertEqual([i for i in w.mailbox("delegate0")["inbox"]
                          if i["kind"] == "MeetingRequest"], [])
        w.ctl(conf, "approve", fwd["id"], as_user="delegate1")
        w.once(conf)
        answers = self.room_answers(w, mid)
        self.assertEqual([k for k, _ in answers], ["Tentative", "Accept"])
        self.assertIn("Approved by Delegate 1 <delegate1@example.com>", answers[1][1])

    def test_answer_whose_outcome_was_lost_is_not_sent_twice(self):
        w, conf = self.setup_world()
        mid = w.create_meeting(conf, "Lost answer", resources=["room0"])
        w.once(conf)
        w.ctl(conf, "respond", self.forwarded(w, "delegate0")["id"], "accept",
              as_user="delegate0")
        # The room's Accept reaches the server, its response never comes back.
        w.sim.set_faults(["drop:1:CreateItem"])
        log = w.once(conf, expect=None).stderr
        w.sim.set_faults([])
        self.assertEqual([k for k, _ in self.room_answers(w, mid)], ["Tentative", "Accept"])
        # The next runs find the answer on the room's calendar and send nothing more.
        log += w.once(conf).stderr
        self.assertIn("an earlier answer to the held request", log)
        w.once(conf)
        self.assertEqual([k for k, _ in self.room_answers(w, mid)], ["Tentative", "Accept"])
        with open(w.state_dir + "/room0.approvals") as f:
            self.assertEqual(f.read().split()[-1], "approved")

    def test_usage_errors(self):
        w, conf = self.setup_world()
        res = w.ctl(conf, "approve", as_user="delegate0", expect=64)
        self.assertIn("approve needs the id of the forwarded request", res.stderr)

    def declined_after_timeout(self, subject, **policy):
        """A request nobody decides, with approval_timeout = 2s: the room pencils it in,
        then declines it saying why. Returns the world."""
        w, conf = self.setup_world(approval_timeout="2s", **policy)
        mid = w.create_meeting(conf, subject, resources=["room0"])
        d = w.start_daemon(conf)
        w.sim.wait_until(lambda: len(self.room_answers(w, mid)) >= 2, timeout=60,
                         what="the room's decline after the time-out")
        d.stop()
        answers = self.room_answers(w, mid)
        self.assertEqual([k for k, _ in answers], ["Tentative", "Decline"])
        self.assertIn("Declined: no delegate of the room approved this request within 2 "
                      "seconds.", answers[1][1])
        return w

    def test_approval_timeout_declines(self):
        self.declined_after_timeout("Nobody decides")

    def test_approval_timeout_without_a_forward(self):
        """Pencilled in for delegates who are not sent the request (they decide on the
        room's own calendar): held all the same, so the time-out declines it."""
        w = self.declined_after_timeout("Nobody was asked", forward_requests_to_delegates="no")
        for user in ("delegate0", "delegate1"):
            self.assertEqual([i for i in w.mailbox(user)["inbox"]
                              if i["kind"] == "MeetingRequest"], [], "nothing forwarded")
        with open(w.state_dir + "/room0.approvals") as f:
            kinds = [line.split()[0] for line in f if line.strip()]
        self.assertEqual(kinds[0], "held")
        self.assertIn("settled", kinds)

if __name__ == "__main__":
    e2e.main()
