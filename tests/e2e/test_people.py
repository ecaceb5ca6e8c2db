"""People's mailboxes and the texts organizers read, with the real meetingd.

A person (kind = person, automate = accept_if_free) accepts a free slot and declines a
conflict in the first person, and their items stay exactly as the organizer wrote them -
whatever the policy's rewrite keys would do to a room. A policy's own texts with
placeholders reach the organizer. An ignored external request is logged at notice level
once per organizer per day. time_zone = W. Europe Standard Time (a Windows name, as Exchange
shows it) behaves exactly like Europe/Berlin across a daylight saving time change."""

import datetime
import os
import re

import e2e

A = e2e.addr
USERS = ["organizer0", "attendee0", "attendee1", "room0", "room1"]
GROMOX = ("--flavor", "gromox")
PERSON = {"automate": "accept_if_free", "remove_canceled_meetings": "yes"}


def answer_bodies(w, uid, who, organizer="organizer0"):
    """(response type, body) of every answer WHO sent to the meeting UID."""
    out = []
    for it in w.mailbox(organizer)["inbox"]:
        if it["kind"] == "MeetingResponse" and it["uid"] == uid and \
                (it["from"] or {}).get("address", "").lower() == who:
            kind = it.get("response_type") or e2e.RESPONSE_OF.get(it["item_class"], "?")
            out.append((kind, it["body"] or ""))
    return out


class People(e2e.TestCase):

    # --- a person's mailbox -----------------------------------------------------------------

    def check_person(self, flavor):
        w = self.world(users=USERS, sim_args=GROMOX if flavor == "gromox" else ())
        conf = w.write_config({"attendee0": {"policy": "personal", "kind": "person"}},
                              policies={"personal": PERSON})
        first = w.create_meeting(conf, "Sprint planning", required=["attendee0"],
                                 extra=["--body", "Agenda: backlog"])
        w.once(conf)
        uid1 = w.uid_of(first)
        self.assertEqual(w.answers(first), {A("attendee0"): ["Accept"]}, flavor)
        (kind, body), = answer_bodies(w, uid1, A("attendee0"))
        self.assertIn("Thanks, I'll be there.", body)
        for word in ("room", "booking window", "automate", "may book"):
            self.assertNotIn(word, body)
        cal = w.calendar("attendee0", uid1)
        self.assertEqual([(c["subject"], c["my_response_type"]) for c in cal],
                         [("Sprint planning", "Accept")], flavor)
        self.assertIn("Agenda: backlog", cal[0]["body"])
        kept = cal[0]

        # The same slot again, from someone else's meeting: a conflict, declined.
        second = w.create_meeting(conf, "Budget review", required=["attendee0"])
        w.once(conf)
        self.assertEqual(w.answers(second), {A("attendee0"): ["Decline"]}, flavor)
        (kind, body), = answer_bodies(w, w.uid_of(second), A("attendee0"))
        self.assertIn("Sorry, I have another meeting then.", body)
        self.assertRegex(body, r"I have another meeting from \d\d:\d\d to \d\d:\d\d on ")
        for word in ("room", "Organizer", "organizer0", "Sprint", "automate"):
            self.assertNotIn(word, body)
        # Nothing of the person's was changed: the accepted item is as it was.
        cal = w.calendar("attendee0", uid1)
        self.assertEqual(len(cal), 1)
        for key in ("subject", "body", "sensitivity", "start", "end", "my_response_type",
                    "legacy_free_busy_status", "attachments"):
            self.assertEqual(cal[0].get(key), kept.get(key), (flavor, key))
        self.assertEqual(w.answers(first), {A("attendee0"): ["Accept"]}, "never answered twice")

    def test_person_exchange(self):
        self.check_person("exchange")

    def test_person_gromox(self):
        self.check_person("gromox")

    def test_person_policy_with_rewrite_keys_is_refused(self):
        w = self.world(users=USERS)
        keys = dict(PERSON, add_organizer_to_subject="yes")
        conf = w.write_config({"attendee0": {"policy": "personal", "kind": "person"}},
                              policies={"personal": keys})
        res = w.meetingd(conf, "--check-config")
        self.assertEqual(res.returncode, 78, res)
        with open(conf) as f:
            line = [i + 1 for i, text in enumerate(f.read().splitlines())
                    if text.startswith("add_organizer_to_subject")][0]
        self.assertIn("%s:%d: add_organizer_to_subject: a person's items are never rewritten"
                      % (conf, line), res.stderr)

    # --- texts --------------------------------------------------------------------------------

    def test_templates_reach_the_organizer(self):
        w = self.world(users=USERS)
        policy = {"automate": "auto_accept", "time_zone": "UTC",
                  "accept_message": "{room} is yours, {organizer}: {start} to {end}",
                  "decline_message_conflict": "{room} is taken for \"{subject}\" "
                                              "({start}-{end})",
                  "organizer_info": "no"}
        conf = w.write_config({"room0": "room"}, policies={"room": policy})
        start, end = e2e.slot(3)
        booked = w.create_meeting(conf, "Kick-off", resources=["room0"], n=3)
        w.once(conf)
        again = w.create_meeting(conf, "Retro", resources=["room0"], n=3)
        w.once(conf)
        day, hm = start[:10], start[11:16]
        (kind, body), = answer_bodies(w, w.uid_of(booked), A("room0"))
        self.assertEqual(kind, "Accept")
        self.assertTrue(body.startswith("room0 is yours, %s: %s %s to %s"
                                        % ("Organizer 0", day, hm, end[11:16])), body)
        (kind, body), = answer_bodies(w, w.uid_of(again), A("room0"))
        self.assertEqual(kind, "Decline")
        self.assertTrue(body.startswith('room0 is taken for "Retro" (%s %s-%s)'
                                        % (day, hm, end[11:16])), body)
        # The reason follows, in words; the technical record keeps its own.
        self.assertIn("the room is already booked", body)

    # --- external requests --------------------------------------------------------------------

    def test_external_requests_noticed_once_per_organizer_per_day(self):
        w = self.world(users=USERS)
        policy = {"automate": "auto_accept", "internal_domains": "example.org"}
        conf = w.write_config({"room0": "room"}, policies={"room": policy})
        check = w.meetingd(conf, "--check-config")
        self.assertEqual(check.returncode, 0, check)
        self.assertIn("external requests (organizers outside internal_domains, by default "
                      "outside the mailbox's own domain) are ignored unless "
                      "process_external_meeting_messages = yes", check.stdout)
        d = w.start_daemon(conf)
        for n in range(2):
            w.create_meeting(conf, "External %d" % n, resources=["room0"], n=n)
        w.create_meeting(conf, "External 2", resources=["room0"], n=2, organizer="attendee1")
        d.wait_log(r"decision=ignore", count=3, timeout=30)
        notice = r"notice.*mailbox room0: requests from %s are left unanswered: the organizer " \
                 r"is outside the internal domains and process_external_meeting_messages = no"
        log = d.log()
        self.assertEqual(len(re.findall(notice % re.escape(A("organizer0")), log)), 1, log)
        self.assertEqual(len(re.findall(notice % re.escape(A("attendee1")), log)), 1, log)
        self.assertEqual(w.count_responses(), 0)

    # --- Windows time zone names --------------------------------------------------------------

    def test_windows_zone_works_like_iana_across_dst(self):
        """Work hours 09:00-17:00 on the day before and the day after Europe's change to
        summer time (2027-03-28): 07:30Z is 08:30 CET (outside) on Friday and 09:30 CEST
        (inside) on Monday; 15:30Z is 16:30 CET (inside) and 17:30 CEST (outside)."""
        os.environ["MEETINGD_TEST_NOW"] = "2027-03-20T06:00:00Z"
        self.addCleanup(os.environ.pop, "MEETINGD_TEST_NOW", None)
        w = self.world(users=USERS)
        hours = {"automate": "auto_accept", "schedule_only_during_work_hours": "yes",
                 "work_days": "Mon-Fri", "work_hours": "09:00-17:00"}
        policies = {"windows": dict(hours, time_zone="W. Europe Standard Time"),
                    "iana": dict(hours, time_zone="Europe/Berlin")}
        conf = w.write_config({"room0": "windows", "room1": "iana"}, policies=policies)
        check = w.meetingd(conf, "--check-config")
        self.assertEqual(check.returncode, 0, check)
        self.assertIn("time_zone = W. Europe Standard Time\n# Europe/Berlin", check.stdout)
        slots = {"fri-0730": "2027-03-26T07:30:00Z", "mon-0730": "2027-03-29T07:30:00Z",
                 "fri-1530": "2027-03-26T15:30:00Z", "mon-1530": "2027-03-29T15:30:00Z"}
        ids = {}
        for name, start in slots.items():
            end = start[:11] + start[11:13] + ":59:00Z"
            ids[name] = w.ctl(conf, "create", "--subject", name, "--start", start, "--end",
                              end, "--resource", "%s,%s" % (A("room0"), A("room1"))).stdout.strip()
        w.once(conf)
        got = {name: w.answers(mid) for name, mid in ids.items()}
        want = {"fri-0730": "Decline", "mon-0730": "Accept", "fri-1530": "Accept",
                "mon-1530": "Decline"}
        self.assertEqual(got, {name: {A("room0"): [k], A("room1"): [k]}
                               for name, k in want.items()})


if __name__ == "__main__":
    e2e.main()
