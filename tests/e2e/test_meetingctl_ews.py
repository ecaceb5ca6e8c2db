"""meetingctl's EWS features, on both simulator flavors where the servers differ: times
without an offset are local to TZ (or --tz, IANA or Windows names), recurring meetings
(daily / weekly on days / monthly on a day; a count or an end date), every CreateItem with its
own t:UID, status with the attendee lists asked for by name (Gromox leaves them out of
AllProperties), update reading the meeting back (Gromox answers NoError to AppendToItemField
and changes nothing), a meeting without attendees cancelled by deleting it, and usage errors
that say what is wrong on one line before the usage."""

import json

import e2e

A = e2e.addr
USERS = ["organizer0", "attendee0", "attendee1", "attendee2", "room0"]
GROMOX = ("--flavor", "gromox")
BERLIN = ("env", "TZ=Europe/Berlin")


class MeetingctlEws(e2e.TestCase):

    def setUp(self):
        self.flavors = {}

    def world_for(self, flavor):
        w = self.world(users=USERS, sim_args=GROMOX if flavor == "gromox" else ())
        return w, w.write_config({})

    def created(self, w, conf, *args, prefix=()):
        res = w.ctl(conf, "--json", "create", *args, prefix=prefix)
        return json.loads(res.stdout)

    def org_item(self, w, mid):
        it = w.item("organizer0", mid)
        self.assertIsNotNone(it, mid)
        return it

    # --- local times ------------------------------------------------------------------------

    def test_local_times_honour_tz(self):
        w, conf = self.world_for("exchange")
        # Winter (CET, +01:00) and summer (CEST, +02:00) in TZ=Europe/Berlin.
        winter = self.created(w, conf, "--subject", "Winter", "--start", "2026-12-14T10:00",
                              "--end", "2026-12-14T11:30", prefix=BERLIN)
        summer = self.created(w, conf, "--subject", "Summer", "--start", "2027-07-01T10:00",
                              "--end", "2027-07-01T11:00", prefix=BERLIN)
        # --tz overrides TZ, with a Windows name as Exchange shows it.
        tz = self.created(w, conf, "--tz", "W. Europe Standard Time", "--subject", "Windows",
                          "--start", "2026-12-15T10:00", "--end", "2026-12-15T11:00",
                          prefix=("env", "TZ=America/New_York"))
        # An explicit offset or Z is that instant, whatever TZ says.
        utc = self.created(w, conf, "--subject", "UTC", "--start", "2026-12-16T10:00:00Z",
                           "--end", "2026-12-16T12:00:00+01:00", prefix=BERLIN)
        got = {self.org_item(w, m["id"])["subject"]: (self.org_item(w, m["id"])["start"],
                                                      self.org_item(w, m["id"])["end"])
               for m in (winter, summer, tz, utc)}
        self.assertEqual(got, {
            "Winter": ("2026-12-14T09:00:00Z", "2026-12-14T10:30:00Z"),
            "Summer": ("2027-07-01T08:00:00Z", "2027-07-01T09:00:00Z"),
            "Windows": ("2026-12-15T09:00:00Z", "2026-12-15T10:00:00Z"),
            "UTC": ("2026-12-16T10:00:00Z", "2026-12-16T11:00:00Z"),
        })

    def test_bad_time_zone_and_time_are_usage_errors(self):
        w, conf = self.world_for("exchange")
        res = w.ctl(conf, "--tz", "Mars/Olympus", "create", "--subject", "x", "--start",
                    "2026-12-14T10:00", "--end", "2026-12-14T11:00", expect=64)
        first, second = res.stderr.splitlines()[:2]
        self.assertIn("--tz: unknown time zone 'Mars/Olympus'", first)
        self.assertTrue(second.startswith("usage: meetingctl"), res.stderr)
        res = w.ctl(conf, "create", "--subject", "x", "--start", "tomorrow", "--end",
                    "2026-12-14T11:00", expect=64)
        self.assertTrue(res.stderr.startswith("meetingctl: --start: not an ISO 8601 time"))
        self.assertEqual(w.mailbox("organizer0")["calendar"], [])

    # --- UID and recurrence -----------------------------------------------------------------

    def check_uid_shared(self, flavor):
        w, conf = self.world_for(flavor)
        made = self.created(w, conf, "--subject", "With UID", "--start", "2026-12-14T10:00:00Z",
                            "--end", "2026-12-14T11:00:00Z", "--required", A("attendee0"))
        self.assertRegex(made["uid"], r"^[0-9A-F]{32}$")
        self.assertEqual(self.org_item(w, made["id"])["uid"], made["uid"])
        self.assertEqual([r["uid"] for r in w.requests("attendee0")], [made["uid"]], flavor)

    def test_uid_exchange(self):
        self.check_uid_shared("exchange")

    def test_uid_gromox(self):
        """Gromox gives the copies of a meeting created without t:UID different UIDs."""
        self.check_uid_shared("gromox")

    def test_recurrence(self):
        w, conf = self.world_for("exchange")
        weekly = self.created(w, conf, "--subject", "Weekly", "--start", "2026-12-14T10:00",
                              "--end", "2026-12-14T10:30", "--recurrence", "weekly", "--days",
                              "mon,wed", "--count", "6", "--required", A("attendee0"),
                              prefix=BERLIN)
        daily = self.created(w, conf, "--subject", "Daily", "--start", "2026-12-14T08:00:00Z",
                             "--end", "2026-12-14T08:15:00Z", "--recurrence", "daily",
                             "--interval", "2", "--until", "2026-12-31")
        monthly = self.created(w, conf, "--subject", "Monthly", "--start", "2026-12-14T10:00",
                               "--end", "2026-12-14T11:00", "--recurrence", "monthly",
                               "--day-of-month", "14", "--count", "3", prefix=BERLIN)
        it = self.org_item(w, weekly["id"])
        self.assertEqual(it["recurrence"]["pattern"], "Weekly")
        self.assertEqual(it["recurrence"]["interval"], 1)
        self.assertEqual(sorted(it["recurrence"]["days_of_week"]), ["Monday", "Wednesday"])
        self.assertEqual(it["recurrence"]["start_date"], "2026-12-14")
        self.assertEqual(it["recurrence"]["number_of_occurrences"], 6)
        self.assertEqual(it["time_zone"], "W. Europe Standard Time")
        self.assertEqual(it["start"], "2026-12-14T09:00:00Z")
        self.assertEqual([r["uid"] for r in w.requests("attendee0")], [weekly["uid"]])
        it = self.org_item(w, daily["id"])
        self.assertEqual((it["recurrence"]["pattern"], it["recurrence"]["interval"],
                          it["recurrence"]["end_date"]), ("Daily", 2, "2026-12-31"))
        it = self.org_item(w, monthly["id"])
        self.assertEqual((it["recurrence"]["pattern"], it["recurrence"]["day_of_month"],
                          it["recurrence"]["number_of_occurrences"]),
                         ("AbsoluteMonthly", 14, 3))

    def test_recurrence_usage_errors(self):
        w, conf = self.world_for("exchange")
        base = ["create", "--subject", "x", "--start", "2026-12-14T10:00:00Z", "--end",
                "2026-12-14T11:00:00Z"]
        for extra, want in [
                (["--recurrence", "weekly"], "--recurrence needs either --count N or --until"),
                (["--recurrence", "hourly", "--count", "2"], "hourly is not daily, weekly"),
                (["--recurrence", "weekly", "--days", "funday", "--count", "2"],
                 "--days: funday is not a list of days"),
                (["--recurrence", "daily", "--days", "mon", "--count", "2"],
                 "--days goes with --recurrence weekly"),
                (["--count", "3"], "go with --recurrence"),
                (["--recurrence", "daily", "--until", "2026-12-01"], "is before the first"),
        ]:
            res = w.ctl(conf, *(base + extra), expect=64)
            lines = res.stderr.splitlines()
            self.assertIn(want, lines[0], extra)
            self.assertTrue(lines[1].startswith("usage: meetingctl"), extra)
        self.assertEqual(w.mailbox("organizer0")["calendar"], [])

    # --- status, update, cancel -------------------------------------------------------------

    def check_status_shows_attendees(self, flavor):
        w, conf = self.world_for(flavor)
        mid = w.create_meeting(conf, "Status", required=["attendee0"], optional=["attendee1"],
                               resources=["room0"])
        st = json.loads(w.ctl(conf, "status", mid, "--json").stdout)
        self.assertEqual([(a["address"], a["role"]) for a in st["attendees"]],
                         [(A("attendee0"), "required"), (A("attendee1"), "optional"),
                          (A("room0"), "resource")], flavor)
        text = w.ctl(conf, "status", mid).stdout
        self.assertIn(A("attendee1"), text)

    def test_status_exchange(self):
        self.check_status_shows_attendees("exchange")

    def test_status_gromox(self):
        self.check_status_shows_attendees("gromox")

    def test_update_reports_an_ignored_change_gromox(self):
        w, conf = self.world_for("gromox")
        mid = w.create_meeting(conf, "Update", required=["attendee0"])
        res = w.ctl(conf, "update", mid, "--add-optional", A("attendee2"), "--subject",
                    "Update 2", expect=1)
        self.assertIn("update: the server did not make this change: optional attendee %s"
                      % A("attendee2"), res.stderr)
        self.assertIn("left 1 change undone", res.stderr)
        self.assertNotIn("subject", res.stderr)
        it = self.org_item(w, mid)
        self.assertEqual(it["subject"], "Update 2")
        self.assertNotIn(A("attendee2"), [a["address"] for a in it["attendees"]])

    def test_update_made_exchange(self):
        w, conf = self.world_for("exchange")
        mid = w.create_meeting(conf, "Update", required=["attendee0"])
        res = w.ctl(conf, "update", mid, "--add-optional", A("attendee2"))
        self.assertEqual(res.stderr, "")
        self.assertIn(A("attendee2"), [a["address"] for a in self.org_item(w, mid)["attendees"]])

    def check_cancel_without_attendees(self, flavor):
        w, conf = self.world_for(flavor)
        mid = w.create_meeting(conf, "Alone")
        res = w.ctl(conf, "cancel", mid)
        self.assertEqual(res.stdout.strip(), "deleted (no attendees to tell)")
        org = w.mailbox("organizer0")
        self.assertEqual(org["calendar"], [])
        self.assertEqual([it["subject"] for it in org["deleteditems"]], ["Alone"], flavor)
        # With attendees it is still a cancellation they hear of.
        mid = w.create_meeting(conf, "Together", required=["attendee0"])
        self.assertEqual(w.ctl(conf, "cancel", mid).stdout.strip(), "cancelled")
        kinds = [it["kind"] for it in w.mailbox("attendee0")["inbox"]]
        self.assertIn("MeetingCancellation", kinds, flavor)

    def test_cancel_without_attendees_exchange(self):
        self.check_cancel_without_attendees("exchange")

    def test_cancel_without_attendees_gromox(self):
        self.check_cancel_without_attendees("gromox")

    def test_usage_errors_say_what_is_wrong_first(self):
        w, conf = self.world_for("exchange")
        for args, want in [(["status"], "status needs exactly one meeting id"),
                           (["list"], "list needs exactly one folder"),
                           (["frobnicate"], "unknown command frobnicate"),
                           (["update", "x"], "update: nothing to change (give --subject, "
                            "--start, --end, --location or an attendee option)"),
                           (["cancel"], "cancel needs exactly one meeting id"),
                           (["respond", "x"],
                            "respond needs a request id and accept|tentative|decline")]:
            res = w.ctl(conf, *args, expect=64)
            lines = res.stderr.splitlines()
            self.assertEqual(lines[0], "meetingctl: " + want, args)
            self.assertTrue(lines[1].startswith("usage: meetingctl"), args)
        res = w.run([e2e.meetingctl_bin(), "-c", conf, "status", "x"])
        self.assertEqual(res.returncode, 64)
        self.assertEqual(res.stderr.splitlines()[0],
                         "meetingctl: status needs --as ADDRESS (the mailbox to act as)")


if __name__ == "__main__":
    e2e.main()
