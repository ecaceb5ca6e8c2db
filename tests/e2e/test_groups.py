"""Distribution groups in booking lists, end to end with meetingd, meetingctl and the
simulator's groups (--group, answered through ExpandDL):

- book_in_policy names a group whose members book the room: a direct member, a member of a
  nested group (the two groups contain each other: a cycle) are accepted, anybody else is
  declined; each group is expanded once per run (the cache), not once per request;
- while a group cannot be expanded (the server fails ExpandDL), a request that depends on
  it is neither accepted nor declined nor recorded; once the server answers, it is decided;
- a group in resource_delegates makes its members delegates (they book outside the lists);
- expand_groups = no asks the server nothing: every entry is the address it says;
- a display name where an address belongs is a configuration error that says to use the
  group's address.
"""

import e2e

A = e2e.addr
USERS = ["organizer0", "organizer1", "organizer2", "room0", "facilities0"]
GROUPS = ["--group", "Room bookers <bookers@example.com>:organizer0@example.com,"
                     "team@example.com",
          "--group", "Team <team@example.com>:organizer1@example.com,bookers@example.com",
          "--group", "Facilities <facilities@example.com>:facilities0@example.com"]
BOOKERS = {"automate": "auto_accept", "all_book_in_policy": "no",
           "book_in_policy": "bookers@example.com", "enable_response_details": "yes"}


def policies(**extra):
    out = dict(e2e.POLICIES)
    out["bookers"] = dict(BOOKERS, **extra)
    return out


class Groups(e2e.TestCase):

    def test_group_members_book_and_others_are_declined(self):
        w = self.world(users=USERS, sim_args=GROUPS)
        conf = w.write_config({"room0": "bookers"}, policies=policies())
        direct = w.create_meeting(conf, "Direct member", resources=["room0"], n=0,
                                  organizer="organizer0")
        nested = w.create_meeting(conf, "Nested member", resources=["room0"], n=1,
                                  organizer="organizer1")
        other = w.create_meeting(conf, "Not a member", resources=["room0"], n=2,
                                 organizer="organizer2")
        w.once(conf)

        self.assertEqual(w.answers(direct, organizer="organizer0"), {A("room0"): ["Accept"]})
        self.assertEqual(w.answers(nested, organizer="organizer1"), {A("room0"): ["Accept"]})
        self.assertEqual(w.answers(other, organizer="organizer2"), {A("room0"): ["Decline"]})
        decline = [i for i in w.mailbox("organizer2")["inbox"]
                   if i["kind"] == "MeetingResponse"][0]
        self.assertIn("is not allowed to book this room", decline["body"])
        # Both groups of the cycle were expanded, each once for the three requests.
        self.assertEqual(w.sim.stats()["operations"].get("ExpandDL"), 2)
        self.assertEqual(sorted(d["decision"] for d in w.decisions()),
                         ["accept", "accept", "decline"])

    def test_unexpanded_group_leaves_the_request_alone(self):
        w = self.world(users=USERS, sim_args=GROUPS)
        conf = w.write_config({"room0": "bookers"}, policies=policies())
        mid = w.create_meeting(conf, "Waits for the group", resources=["room0"],
                               organizer="organizer1")
        w.sim.set_faults(["http-503:1:ExpandDL"])
        d = w.start_daemon(conf)
        d.wait_log(r'"Waits for the group" depends on a distribution group whose members are '
                   r'not known', timeout=60, count=2)
        self.assertEqual(w.answers(mid, organizer="organizer1"), {})
        self.assertEqual(w.decisions(), [])
        self.assertEqual(w.ledger("room0"), [])
        w.sim.set_faults([])
        w.sim.wait_until(lambda: w.answers(mid, organizer="organizer1"), timeout=60,
                         what="the room's answer after the group could be expanded")
        d.stop()
        self.assertEqual(w.answers(mid, organizer="organizer1"), {A("room0"): ["Accept"]})

    def test_group_of_delegates(self):
        w = self.world(users=USERS, sim_args=GROUPS)
        conf = w.write_config({"room0": "bookers"}, policies=policies(
            resource_delegates="facilities@example.com", forward_requests_to_delegates="no"))
        mid = w.create_meeting(conf, "By a delegate", resources=["room0"],
                               organizer="facilities0")
        other = w.create_meeting(conf, "By nobody listed", resources=["room0"], n=1,
                                 organizer="organizer2")
        w.once(conf)
        self.assertEqual(w.answers(mid, organizer="facilities0"), {A("room0"): ["Accept"]})
        self.assertEqual(w.answers(other, organizer="organizer2"), {A("room0"): ["Decline"]})

    def test_expand_groups_off(self):
        # Every entry is the address it says: a member is not on the list, nothing is asked.
        w = self.world(users=USERS, sim_args=GROUPS)
        conf = w.write_config({"room0": "bookers"}, policies=policies(),
                              daemon={"expand_groups": "no"})
        mid = w.create_meeting(conf, "Member, groups off", resources=["room0"])
        w.once(conf)
        self.assertEqual(w.answers(mid), {A("room0"): ["Decline"]})
        self.assertNotIn("ExpandDL", w.sim.stats()["operations"])

    def test_display_name_is_a_configuration_error(self):
        w = self.world(users=USERS)
        conf = w.write_config({"room0": "bookers"},
                              policies=policies(book_in_policy="Room bookers"))
        res = w.meetingd(conf, "--check-config")
        self.assertEqual(res.returncode, 78, res)
        self.assertRegex(res.stderr, r"meetingd\.conf:\d+: book_in_policy: 'Room' is not an "
                         r"address, @domain or glob; a distribution group is given by its "
                         r"SMTP address")


if __name__ == "__main__":
    e2e.main()
