"""Recurring series against a room's bookings, on both flavors of the simulator. On Exchange
the CalendarView lists every occurrence; on grommunio Gromox (--flavor gromox) it returns a
series' master, and only when the window holds the series' first occurrence, and a request's
occurrences are never put on the calendar: meetingd then expands the series from their
recurrence itself. Either way a weekly series that conflicts with one booking is declined,
with reasons that say which occurrences were checked and which booking is in the way, and a
single meeting on a later occurrence of a booked series is declined too."""

import datetime
import zoneinfo

import e2e
import simharness as h

A = e2e.addr
UTC = datetime.timezone.utc
ROOM_POLICY = {"room": {"automate": "auto_accept", "time_zone": "UTC"}}
WEEKLY = ("<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>%s"
          "</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>%s"
          "</t:StartDate><t:NumberOfOccurrences>%d</t:NumberOfOccurrences>"
          "</t:NumberedRecurrence></t:Recurrence><t:StartTimeZone Id=\"%s\"/>")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class SeriesConflicts:
    FLAVOR = None
    SIM_ARGS = ()

    def setUp(self):
        # Today, fixed once: a test that runs across midnight UTC must not see two todays.
        self.today = datetime.datetime.now(UTC).replace(hour=0, minute=0, second=0,
                                                        microsecond=0)
        self.w = self.world(users=["organizer0", "organizer1", "room0"],
                            sim_args=("--flavor", self.FLAVOR) + self.SIM_ARGS)
        self.conf = self.w.write_config({"room0": "room"}, policies=ROOM_POLICY)

    def at(self, days, hour, minute=0):
        """DAYS after today (UTC), at HOUR:MINUTE UTC."""
        return self.today + datetime.timedelta(days=days, hours=hour, minutes=minute)

    def book(self, organizer, subject, start, minutes=60, weekly=0, zone="UTC"):
        """START is aware; a series' StartDate is its local date in ZONE (a Windows id)."""
        ews = h.Ews(self.w.sim, A(organizer), password=self.w.passwords[organizer])
        extra = ""
        if weekly:
            local = start.astimezone(BERLIN) if zone != "UTC" else start
            extra = WEEKLY % (local.strftime("%A"), local.strftime("%Y-%m-%d"), weekly, zone)
        mid = ews.create_meeting(subject, iso(start.astimezone(UTC)),
                                 iso((start + datetime.timedelta(minutes=minutes)).astimezone(UTC)),
                                 resources=[A("room0")], extra=extra)[0]
        return self.w.uid_of(mid, organizer)

    def answers(self, uid, organizer):
        return self.w.answers(None, organizer=organizer, uid=uid)

    def last_answer_body(self, uid, organizer):
        bodies = [i["body"] or "" for i in self.w.mailbox(organizer)["inbox"]
                  if i["kind"] == "MeetingResponse" and i["uid"] == uid]
        return bodies[-1]

    def test_weekly_series_over_one_booking_is_declined(self):
        w = self.w
        booked = self.at(16, 10)  # the third Tuesday-or-whatever of the series below
        busy = self.book("organizer1", "Board meeting", booked)
        w.once(self.conf)
        self.assertEqual(self.answers(busy, "organizer1"), {A("room0"): ["Accept"]})
        series = self.book("organizer0", "Weekly planning", self.at(2, 10), weekly=4)
        w.once(self.conf)
        self.assertEqual(self.answers(series, "organizer0"), {A("room0"): ["Decline"]})
        body = self.last_answer_body(series, "organizer0")
        self.assertIn("1 of 4 occurrences conflict with existing bookings", body)
        self.assertIn("the room is already booked from 10:00 to 11:00 on %s"
                      % booked.strftime("%Y-%m-%d"), body)
        record = [d for d in w.decisions() if d["uid"] == series][-1]
        reasons = "\n".join(c["reason"] or "" for c in record["checks"])
        if self.FLAVOR == "gromox":
            # The server listed none of the occurrences: the reasons name those checked.
            dates = ", ".join(self.at(2 + 7 * k, 10).strftime("%Y-%m-%d") for k in range(4))
            self.assertIn("checked 4 occurrences of the series, taken from its recurrence "
                          "(the first from 10:00 to 11:00 on %s): %s"
                          % (self.at(2, 10).strftime("%Y-%m-%d"), dates), reasons)
        self.assertEqual([c["my_response_type"] for c in w.calendar("room0", busy)], ["Accept"])
        self.assertEqual(w.calendar("room0", series), [])

    def test_single_meeting_on_a_later_occurrence_of_a_booked_series_is_declined(self):
        w = self.w
        series = self.book("organizer1", "Weekly standup", self.at(2, 10), weekly=4)
        w.once(self.conf)
        self.assertEqual(self.answers(series, "organizer1"), {A("room0"): ["Accept"]})
        # The third occurrence: a view of that hour does not hold the series' first one.
        single = self.book("organizer0", "Customer visit", self.at(16, 10, 30))
        free = self.book("organizer0", "Between standups", self.at(17, 10))
        w.once(self.conf)
        self.assertEqual(self.answers(single, "organizer0"), {A("room0"): ["Decline"]})
        self.assertIn("the room is already booked from 10:00 to 11:00 on %s"
                      % self.at(16, 10).strftime("%Y-%m-%d"),
                      self.last_answer_body(single, "organizer0"))
        self.assertEqual(self.answers(free, "organizer0"), {A("room0"): ["Accept"]})

    def test_series_across_a_daylight_saving_change(self):
        """A weekly series in Berlin time keeps its wall-clock time after the next change of
        offset, on both flavors (on Gromox meetingd expands it itself: a booked series in its
        calendar item's zone, a requested one, which comes without its zone, in the
        policy's)."""
        w = self.w
        change = next_offset_change(BERLIN)
        conf = w.write_config({"room0": "room"}, policies={"room": {
            "automate": "auto_accept", "time_zone": "Europe/Berlin",
            "booking_window_days": "400"}})

        def local(weeks, hour):  # the series' weekday, WEEKS after two weeks before the change
            day = (change - datetime.timedelta(days=14 - 7 * weeks)).date()
            return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)

        zone = "W. Europe Standard Time"
        # A booked series, then single meetings on its third occurrence (after the change).
        series = self.book("organizer1", "Weekly review", local(0, 9), weekly=4, zone=zone)
        w.once(conf)
        self.assertEqual(self.answers(series, "organizer1"), {A("room0"): ["Accept"]})
        clash = self.book("organizer0", "Clash", local(2, 9))
        after = self.book("organizer0", "Right after", local(2, 10))
        w.once(conf)
        self.assertEqual(self.answers(clash, "organizer0"), {A("room0"): ["Decline"]})
        self.assertIn("the room is already booked from 09:00 to 10:00 on %s"
                      % local(2, 9).strftime("%Y-%m-%d"), self.last_answer_body(clash, "organizer0"))
        self.assertEqual(self.answers(after, "organizer0"), {A("room0"): ["Accept"]})
        # A series requested over a booking on its third occurrence.
        busy = self.book("organizer1", "Board", local(2, 14))
        w.once(conf)
        self.assertEqual(self.answers(busy, "organizer1"), {A("room0"): ["Accept"]})
        second = self.book("organizer0", "Weekly planning", local(0, 14), weekly=4, zone=zone)
        w.once(conf)
        self.assertEqual(self.answers(second, "organizer0"), {A("room0"): ["Decline"]})
        self.assertIn("1 of 4 occurrences conflict with existing bookings",
                      self.last_answer_body(second, "organizer0"))


def next_offset_change(zone):
    """The first local midnight after which ZONE's UTC offset differs from today's (within a
    year; every zone with daylight saving changes within one)."""
    day = datetime.datetime.now(zone).replace(hour=12, minute=0, second=0, microsecond=0)
    offset = day.utcoffset()
    for _ in range(366):
        day += datetime.timedelta(days=1)
        if day.utcoffset() != offset:
            return day.replace(hour=0)
    raise AssertionError("no change of offset in %s within a year" % zone)


class SeriesConflictsExchange(SeriesConflicts, e2e.TestCase):
    FLAVOR = "exchange"


class SeriesConflictsGromox(SeriesConflicts, e2e.TestCase):
    FLAVOR = "gromox"
    # As the live server: requests without their series' zone (meetingd falls back on the
    # policy's time_zone).
    SIM_ARGS = ("--requests-without-zone",)


if __name__ == "__main__":
    e2e.main()
