"""CalendarView over recurring series: time zones and DST, occurrence ids, exceptions,
deleted occurrences, monthly patterns, truncation and the documented errors."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402

ORG = "organizer@example.com"
ATT = "attendee@example.com"
SINGLE = "single@example.com"


def text(elem, path):
    return elem.findtext(path, namespaces=h.NS)


def weekly(days, start_date, count, first_day=None):
    first = "<t:FirstDayOfWeek>%s</t:FirstDayOfWeek>" % first_day if first_day else ""
    return ("<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval>"
            "<t:DaysOfWeek>%s</t:DaysOfWeek>%s</t:WeeklyRecurrence><t:NumberedRecurrence>"
            "<t:StartDate>%s</t:StartDate><t:NumberOfOccurrences>%d</t:NumberOfOccurrences>"
            "</t:NumberedRecurrence></t:Recurrence>" % (days, first, start_date, count))


def tz(windows_id):
    return '<t:StartTimeZone Id="%s"/>' % windows_id


def view(ews, start, end, limit=None, shape="IdOnly", props=("item:Subject", "calendar:Start",
                                                            "calendar:End",
                                                            "calendar:CalendarItemType",
                                                            "calendar:IsCancelled",
                                                            "calendar:MyResponseType")):
    extra = ' MaxEntriesReturned="%d"' % limit if limit else ""
    resp = ews.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>%s</t:BaseShape>'
        "<t:AdditionalProperties>%s</t:AdditionalProperties></m:ItemShape>"
        '<m:CalendarView%s StartDate="%s" EndDate="%s"/><m:ParentFolderIds>'
        '<t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>'
        % (shape, "".join('<t:FieldURI FieldURI="%s"/>' % p for p in props), extra, start,
           end))
    return resp


def occurrences(ews, start, end, subject=None, **kw):
    resp = view(ews, start, end, **kw)
    assert resp.codes() == ["NoError"], resp.body
    items = h.items_of(resp.message())
    if subject is not None:
        items = [i for i in items if subject in (text(i, "t:Subject") or "")]
    return items


class CalendarView(h.SimTestCase):
    MAILBOXES = (ORG, ATT, SINGLE)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org, cls.att = cls.ews[ORG], cls.ews[ATT]

    def series(self, subject, start, end, recurrence, zone, attendees=(ATT,), ews=None,
               timezone=None):
        ews = ews or self.org
        if timezone:
            ews = h.Ews(self.sim, ews.user, timezone=timezone)
        return ews.create_meeting(subject, start, end, required=attendees,
                                  extra=recurrence + tz(zone))

    def test_weekly_series_across_european_dst(self):
        # 10:00 local in Berlin every Monday; DST starts on Sunday 2026-03-29.
        master = self.series("Weekly sync", "2026-03-09T10:00:00", "2026-03-09T11:00:00",
                             weekly("Monday", "2026-03-09", 6, "Monday"),
                             "W. Europe Standard Time")
        want = ["2026-03-09T09:00:00Z", "2026-03-16T09:00:00Z", "2026-03-23T09:00:00Z",
                "2026-03-30T08:00:00Z", "2026-04-06T08:00:00Z", "2026-04-13T08:00:00Z"]
        for ews in (self.org, self.att):
            items = occurrences(ews, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z",
                                "Weekly sync")
            self.assertEqual([text(i, "t:Start") for i in items], want)
            self.assertEqual([text(i, "t:End")[11:13] for i in items],
                             ["10", "10", "10", "09", "09", "09"])
            self.assertEqual({text(i, "t:CalendarItemType") for i in items}, {"Occurrence"})
            self.assertEqual(len({h.item_id(i)[0] for i in items}), 6)

        got = self.org.get([master])[0]
        self.assertEqual(text(got, "t:CalendarItemType"), "RecurringMaster")
        self.assertEqual(text(got, "t:Recurrence/t:WeeklyRecurrence/t:DaysOfWeek"), "Monday")
        self.assertEqual(text(got, "t:Recurrence/t:NumberedRecurrence/t:NumberOfOccurrences"),
                         "6")
        self.assertEqual(text(got, "t:FirstOccurrence/t:Start"), want[0])
        self.assertEqual(text(got, "t:LastOccurrence/t:Start"), want[-1])
        self.assertEqual(got.find("t:StartTimeZone", h.NS).get("Id"),
                         "W. Europe Standard Time")
        # Without a CalendarView the calendar lists the master only.
        found = [i for i in self.org.find("calendar", shape="Default")
                 if text(i, "t:Subject") == "Weekly sync"]
        self.assertEqual([text(i, "t:CalendarItemType") for i in found], ["RecurringMaster"])
        # The attendee's request describes the series.
        req = [i for i in self.att.get([h.item_id(x) for x in self.att.find("inbox")])
               if text(i, "t:Subject") == "Weekly sync"][0]
        self.assertEqual(text(req, "t:CalendarItemType"), "RecurringMaster")
        self.assertIsNotNone(req.find("t:Recurrence/t:WeeklyRecurrence", h.NS))

    def test_pacific_daily_series_across_us_dst(self):
        # 09:00 Pacific every day from Friday 2026-03-06; DST starts Sunday 2026-03-08.
        self.series("Standup", "2026-03-06T09:00:00", "2026-03-06T09:15:00",
                    "<t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval>"
                    "</t:DailyRecurrence><t:EndDateRecurrence><t:StartDate>2026-03-06"
                    "</t:StartDate><t:EndDate>2026-03-10</t:EndDate></t:EndDateRecurrence>"
                    "</t:Recurrence>", "Pacific Standard Time", attendees=(),
                    timezone="Pacific Standard Time")
        items = occurrences(self.org, "2026-03-05T00:00:00-08:00", "2026-03-12T00:00:00-08:00",
                            "Standup")
        self.assertEqual([text(i, "t:Start") for i in items],
                         ["2026-03-06T17:00:00Z", "2026-03-07T17:00:00Z",
                          "2026-03-08T16:00:00Z", "2026-03-09T16:00:00Z",
                          "2026-03-10T16:00:00Z"])

    def test_monthly_patterns(self):
        self.series("Month end", "2026-01-31T10:00:00Z", "2026-01-31T11:00:00Z",
                    "<t:Recurrence><t:AbsoluteMonthlyRecurrence><t:Interval>1</t:Interval>"
                    "<t:DayOfMonth>31</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>"
                    "<t:NumberedRecurrence><t:StartDate>2026-01-31</t:StartDate>"
                    "<t:NumberOfOccurrences>4</t:NumberOfOccurrences></t:NumberedRecurrence>"
                    "</t:Recurrence>", "UTC", attendees=())
        items = occurrences(self.org, "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z",
                            "Month end")
        self.assertEqual([text(i, "t:Start")[:10] for i in items],
                         ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"])
        self.series("First Monday", "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z",
                    "<t:Recurrence><t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval>"
                    "<t:DaysOfWeek>Monday</t:DaysOfWeek><t:DayOfWeekIndex>First"
                    "</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence><t:EndDateRecurrence>"
                    "<t:StartDate>2026-01-01</t:StartDate><t:EndDate>2026-04-30</t:EndDate>"
                    "</t:EndDateRecurrence></t:Recurrence>", "UTC", attendees=())
        items = occurrences(self.org, "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z",
                            "First Monday")
        self.assertEqual([text(i, "t:Start")[:10] for i in items],
                         ["2026-01-05", "2026-02-02", "2026-03-02", "2026-04-06"])

    def test_more_than_max_entries(self):
        self.series("Endless", "2027-01-04T08:00:00Z", "2027-01-04T08:30:00Z",
                    "<t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval>"
                    "</t:DailyRecurrence><t:NoEndRecurrence><t:StartDate>2027-01-04"
                    "</t:StartDate></t:NoEndRecurrence></t:Recurrence>", "UTC", attendees=())
        resp = view(self.org, "2027-01-10T00:00:00Z", "2027-01-20T00:00:00Z", limit=3)
        self.assertEqual(resp.codes(), ["NoError"])
        root = resp.message().find("m:RootFolder", h.NS)
        items = h.items_of(resp.message())
        self.assertEqual([text(i, "t:Start") for i in items],
                         ["2027-01-10T08:00:00Z", "2027-01-11T08:00:00Z",
                          "2027-01-12T08:00:00Z"])
        self.assertEqual(root.get("TotalItemsInView"), "10")
        self.assertEqual(root.get("IncludesLastItemInRange"), "false")
        self.assertIsNone(root.get("IndexedPagingOffset"))
        resp = view(self.org, "2027-01-10T00:00:00Z", "2027-01-20T00:00:00Z", limit=10)
        self.assertEqual(resp.message().find("m:RootFolder", h.NS)
                         .get("IncludesLastItemInRange"), "true")

    def test_occurrence_ids(self):
        master = self.series("Ids", "2028-02-01T12:00:00Z", "2028-02-01T13:00:00Z",
                             weekly("Tuesday", "2028-02-01", 3), "UTC", attendees=())
        items = occurrences(self.org, "2028-01-01T00:00:00Z", "2028-03-01T00:00:00Z", "Ids")
        self.assertEqual(len(items), 3)
        second = h.item_id(items[1])[0]
        got = self.org.get([second])[0]
        self.assertEqual(text(got, "t:CalendarItemType"), "Occurrence")
        self.assertEqual(text(got, "t:Start"), "2028-02-08T12:00:00Z")
        self.assertEqual(text(got, "t:RecurrenceId"), "2028-02-08T12:00:00Z")
        resp = self.org.call(
            "<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds>"
            '<t:OccurrenceItemId RecurringMasterId="%s" InstanceIndex="2"/>'
            '<t:RecurringMasterItemId OccurrenceId="%s"/>'
            '<t:OccurrenceItemId RecurringMasterId="%s" InstanceIndex="4"/>'
            '<t:OccurrenceItemId RecurringMasterId="%s" InstanceIndex="1"/>'
            "</m:ItemIds></m:GetItem>" % (master[0], second, master[0], second))
        self.assertEqual(resp.codes(), ["NoError", "NoError",
                                        "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
                                        "ErrorCalendarCannotUseIdForOccurrenceId"])
        occ = h.items_of(resp.message(0))[0]
        self.assertEqual(h.item_id(occ)[0], second)
        back = h.items_of(resp.message(1))[0]
        self.assertEqual(h.item_id(back)[0], master[0])
        self.assertEqual(text(back, "t:CalendarItemType"), "RecurringMaster")
        single = h.Ews(self.sim, SINGLE).create_meeting("Single", "2028-02-01T12:00:00Z",
                                                        "2028-02-01T13:00:00Z")
        resp = h.Ews(self.sim, SINGLE).call(
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            '<t:RecurringMasterItemId OccurrenceId="%s"/></m:ItemIds></m:GetItem>' % single[0])
        self.assertEqual(resp.codes(), ["ErrorCalendarCannotUseIdForRecurringMasterId"])

    def test_exceptions_deleted_occurrences_and_instance_answers(self):
        master = self.series("Series", "2029-05-07T10:00:00Z", "2029-05-07T11:00:00Z",
                             weekly("Monday", "2029-05-07", 5), "UTC")
        window = ("2029-05-01T00:00:00Z", "2029-06-30T00:00:00Z")
        # Move occurrence 2 to Tuesday afternoon: an Exception, announced to the attendee.
        self.org.ok(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges>'
            '<t:ItemChange><t:OccurrenceItemId RecurringMasterId="%s" InstanceIndex="2"/>'
            '<t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem>'
            "<t:Start>2029-05-15T14:00:00Z</t:Start></t:CalendarItem></t:SetItemField>"
            '<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem>'
            "<t:End>2029-05-15T15:00:00Z</t:End></t:CalendarItem></t:SetItemField></t:Updates>"
            "</t:ItemChange></m:ItemChanges></m:UpdateItem>" % master[0])
        # Cancel occurrence 4.
        self.org.ok(
            '<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations='
            '"SendToAllAndSaveCopy"><m:ItemIds><t:OccurrenceItemId RecurringMasterId="%s" '
            'InstanceIndex="4"/></m:ItemIds></m:DeleteItem>' % master[0])
        items = occurrences(self.org, *window, subject="Series")
        self.assertEqual([(text(i, "t:Start"), text(i, "t:CalendarItemType")) for i in items],
                         [("2029-05-07T10:00:00Z", "Occurrence"),
                          ("2029-05-15T14:00:00Z", "Exception"),
                          ("2029-05-21T10:00:00Z", "Occurrence"),
                          ("2029-06-04T10:00:00Z", "Occurrence")])
        got = self.org.get([master])[0]
        self.assertEqual(text(got, "t:DeletedOccurrences/t:DeletedOccurrence/t:Start"),
                         "2029-05-28T10:00:00Z")
        self.assertEqual(text(got, "t:ModifiedOccurrences/t:Occurrence/t:OriginalStart"),
                         "2029-05-14T10:00:00Z")
        resp = self.org.call(
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            '<t:OccurrenceItemId RecurringMasterId="%s" InstanceIndex="4"/></m:ItemIds>'
            "</m:GetItem>" % master[0])
        self.assertEqual(resp.codes(), ["ErrorCalendarOccurrenceIsDeletedFromRecurrence"])

        # The attendee: the moved instance, the cancelled one, and instance messages.
        att_items = occurrences(self.att, *window, subject="Series")
        by_start = {text(i, "t:Start"): i for i in att_items}
        self.assertEqual(text(by_start["2029-05-15T14:00:00Z"], "t:CalendarItemType"),
                         "Exception")
        self.assertEqual(text(by_start["2029-05-28T10:00:00Z"], "t:IsCancelled"), "true")
        msgs = self.att.get([h.item_id(i) for i in self.att.find("inbox")])
        recurrence_ids = sorted((h.local(x.tag), text(x, "t:RecurrenceId") or "") for x in msgs
                                if "Series" in text(x, "t:Subject"))
        self.assertEqual(recurrence_ids, [("MeetingCancellation", "2029-05-28T10:00:00Z"),
                                          ("MeetingRequest", ""),
                                          ("MeetingRequest", "2029-05-14T10:00:00Z")])

        # The attendee accepts only the third occurrence, through its occurrence id.
        third = h.item_id(by_start["2029-05-21T10:00:00Z"])
        answer = self.att.respond("AcceptItem", third)
        self.assertEqual(h.code(answer[0]), "NoError")
        att_items = occurrences(self.att, *window, subject="Series")
        answers = {text(i, "t:Start"): text(i, "t:MyResponseType") for i in att_items}
        self.assertEqual(answers["2029-05-21T10:00:00Z"], "Accept")
        self.assertEqual(answers["2029-05-07T10:00:00Z"], "NoResponseReceived")
        org_third = [i for i in occurrences(self.org, *window, subject="Series")
                     if text(i, "t:Start") == "2029-05-21T10:00:00Z"][0]
        full = self.org.get([h.item_id(org_third)])[0]
        self.assertEqual(text(full, "t:RequiredAttendees/t:Attendee/t:ResponseType"), "Accept")
        master_full = self.org.get([master])[0]
        self.assertEqual(text(master_full, "t:RequiredAttendees/t:Attendee/t:ResponseType"),
                         "Unknown")
        response = [i for i in self.org.get([h.item_id(x) for x in self.org.find("inbox")])
                    if text(i, "t:Subject") == "Accepted: Series"][0]
        self.assertEqual(text(response, "t:RecurrenceId"), "2029-05-21T10:00:00Z")

    def test_single_items_and_window_edges(self):
        ews = h.Ews(self.sim, SINGLE)
        ews.create_meeting("Edge", "2030-01-10T10:00:00Z", "2030-01-10T11:00:00Z")
        self.assertEqual(len(occurrences(ews, "2030-01-10T11:00:00Z", "2030-01-10T12:00:00Z",
                                         "Edge")), 0)
        self.assertEqual(len(occurrences(ews, "2030-01-10T09:00:00Z", "2030-01-10T10:00:00Z",
                                         "Edge")), 0)
        found = occurrences(ews, "2030-01-10T10:30:00Z", "2030-01-10T10:31:00Z", "Edge")
        self.assertEqual([text(i, "t:CalendarItemType") for i in found], ["Single"])
        # Offsets are accepted: 02:30-08:00 is 10:30Z.
        self.assertEqual(len(occurrences(ews, "2030-01-10T02:30:00-08:00",
                                         "2030-01-10T02:31:00-08:00", "Edge")), 1)

    def test_view_errors(self):
        resp = view(self.org, "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z")
        self.assertEqual(resp.codes(), ["ErrorCalendarEndDateIsEarlierThanStartDate"])
        resp = view(self.org, "2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z")
        self.assertEqual(resp.codes(), ["ErrorCalendarViewRangeTooBig"])
        resp = self.org.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
            '</m:ItemShape><m:CalendarView StartDate="2026-01-01T00:00:00Z" '
            'EndDate="2026-01-02T00:00:00Z"/><m:ParentFolderIds>'
            '<t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
        self.assertEqual(resp.codes(), ["ErrorCalendarFolderIsInvalidForCalendarView"])

    def test_making_a_meeting_recurring_and_single_again(self):
        item = self.org.create_meeting("Becomes weekly", "2031-03-03T09:00:00Z",
                                       "2031-03-03T10:00:00Z", required=[ATT])
        window = ("2031-03-01T00:00:00Z", "2031-04-01T00:00:00Z")
        resp = self.org.call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges>'
            '<t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="calendar:Recurrence"/><t:CalendarItem>%s</t:CalendarItem>'
            "</t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
            % (item[0], weekly("Monday", "2031-03-03", 3)))
        self.assertEqual(resp.codes(), ["NoError"])
        for ews in (self.org, self.att):
            starts = [text(i, "t:Start") for i in occurrences(ews, *window, "Becomes weekly")]
            self.assertEqual(starts, ["2031-03-03T09:00:00Z", "2031-03-10T09:00:00Z",
                                      "2031-03-17T09:00:00Z"])
        reqs = [r for r in self.att.get([h.item_id(i) for i in self.att.find("inbox")])
                if text(r, "t:Subject") == "Becomes weekly"]
        self.assertEqual(sorted(text(r, "t:MeetingRequestType") for r in reqs),
                         ["FullUpdate", "NewMeetingRequest"])
        resp = self.org.call(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
            'SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges>'
            '<t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:DeleteItemField>'
            '<t:FieldURI FieldURI="calendar:Recurrence"/></t:DeleteItemField></t:Updates>'
            "</t:ItemChange></m:ItemChanges></m:UpdateItem>" % item[0])
        self.assertEqual(resp.codes(), ["NoError"])
        found = occurrences(self.org, *window, "Becomes weekly")
        self.assertEqual([text(i, "t:CalendarItemType") for i in found], ["Single"])
        # SendToNone: the attendee still has the series.
        self.assertEqual(len(occurrences(self.att, *window, "Becomes weekly")), 3)

    def test_invalid_recurrence_is_refused(self):
        resp = self.org.call(
            '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
            "<t:Subject>Bad</t:Subject><t:Start>2026-01-01T10:00:00Z</t:Start>"
            "<t:End>2026-01-01T11:00:00Z</t:End><t:Recurrence><t:DailyRecurrence>"
            "<t:Interval>0</t:Interval></t:DailyRecurrence><t:NoEndRecurrence><t:StartDate>"
            "2026-01-01</t:StartDate></t:NoEndRecurrence></t:Recurrence></t:CalendarItem>"
            "</m:Items></m:CreateItem>")
        self.assertEqual(resp.codes(), ["ErrorCalendarInvalidRecurrence"])

    def test_zz_every_item_and_occurrence_renders_valid_xml(self):
        for window in (("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
                       ("2028-01-01T00:00:00Z", "2029-12-31T00:00:00Z"),
                       ("2030-01-01T00:00:00Z", "2031-12-31T00:00:00Z")):
            h.render_everything(self.sim, [ORG, ATT, SINGLE], window)
        self.assertEqual(self.sim.stats()["invalid_responses"], 0)


if __name__ == "__main__":
    h.skip_without_schema()
    unittest.main()
