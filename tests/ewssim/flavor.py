"""Server flavors: which real EWS server the simulator answers like (--flavor).

exchange (the default) is Microsoft Exchange as the rest of the simulator models it.
gromox is grommunio Gromox 3.10, an open-source server with its own EWS implementation,
whose differences from Exchange are listed in ../shared/gromox/README.md ("Gromox
behaviours that differ from Exchange"). Each difference is one attribute of Flavor, read
by a small hook where the simulator does that thing; the exchange flavor has every
attribute at its Exchange value, so `--flavor exchange` answers exactly as before.

Validation (--validate): requests are checked against the schema as strictly as ever.
A response is checked after schema_view() has undone exactly the documented deviations
of the flavor (an empty t:Groups after t:Items; a Recurrence StartDate written as
midnight xs:dateTime with microseconds; xsi:type on a fault's faultcode and faultstring;
a series master's t:StartTimeZone written twice, as seen live)
and nothing else, so any other departure from the
schema is still reported as a simulator bug.

Not modelled, because they are no protocol difference a client sees: rooms must be plain
user accounts (the simulator has only plain accounts).
"""

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import soap
from soap import SOAP_NS, m, t

NAMES = ("exchange", "gromox")

# Gromox's fault for an element of CreateItem's m:Items it does not know (RemoveItem).
GROMOX_UNKNOWN_NODE = "E-3045: failed to find proper type for node '%s'"


class Flavor:
    """Exchange's behaviour; every attribute is one documented difference of a server."""

    name = "exchange"
    # FindItem: an empty t:Groups after t:Items in m:RootFolder.
    empty_groups_in_find = False
    # t:Recurrence/*/t:StartDate as "YYYY-MM-DDT00:00:00.000000Z" (xs:dateTime), not xs:date.
    recurrence_start_as_datetime = False
    # meeting:AssociatedCalendarItemId on meeting messages.
    sends_associated_calendar_item_id = True
    # calendar:MeetingRequestWasSent anywhere.
    sends_meeting_request_was_sent = True
    # AllProperties includes RequiredAttendees, OptionalAttendees and Resources.
    all_properties_has_attendees = True
    # CreateItem t:RemoveItem works (else a SOAP Client fault with HTTP 200, then a stray
    # second HTTP response on the same connection).
    has_remove_item = True
    # CalendarView returns occurrences (else the RecurringMaster, when its first
    # occurrence meets the window).
    calendar_view_expands = True
    # Answered meeting requests stay in the Inbox.
    keeps_answered_requests = False
    # DeclineItem deletes the attendee's calendar item (else marks it declined).
    decline_deletes_calendar_item = True
    # A delivered meeting request puts a tentative item into the attendee's calendar.
    tentative_on_delivery = True
    # Attendee responses update the organizer's calendar item.
    organizer_records_responses = True
    # UpdateItem AppendToItemField changes the item (else NoError and nothing changes).
    append_to_item_field = True
    # An organizer's update goes to every attendee, whatever the send mode says.
    updates_to_everyone = False
    # A meeting cancellation carries the meeting's calendar fields (Start, End, Organizer,
    # CalendarItemType...) and, like a request, its AssociatedCalendarItemId (else only UID and
    # DateTimeStamp of them, but the AssociatedCalendarItemId whenever the calendar item
    # exists, even on a server that never sends it with a request).
    cancellation_has_calendar_fields = True
    # t:StartTimeZone once (else twice, alike, on a series' master).
    start_zone_once = True
    # An answered request left in the Inbox shows the answer as its ResponseType and
    # MyResponseType (seen live on Gromox; Exchange moves it to Deleted Items).
    answer_marks_request = False
    # ... and that marking is a change SyncFolderItems reports (Gromox's sync, seen live, does
    # not: an answered request it keeps is found again only by a listing of the Inbox).
    answer_mark_syncs = True
    # CreateItem of a meeting without t:UID still gives every copy the same UID.
    uid_without_t_uid = True
    # t:Recurrence only where asked for (else also whenever calendar:CalendarItemType,
    # ModifiedOccurrences or DeletedOccurrences is: one store property holds them all).
    recurrence_only_when_asked = True
    # SetItemField on one attendee list changes that list only (else it replaces every
    # recipient: the other two lists are emptied).
    attendee_lists_apart = True
    # Attendees an update removes get a cancellation.
    cancels_removed_attendees = True
    # Answering a request that has no calendar item yet creates one, a decline too (else a
    # decline creates none).
    decline_creates_calendar_item = True

    def remove_item_fault(self):
        """(HTTP status, body, code) of the fault for RemoveItem, or None when it works."""
        return None

    def stray_response(self, status, body):
        """Bytes written unasked after a response (status, body), or None."""
        return None

    def schema_view(self, data):
        """The response as Exchange would have written it, for validation."""
        return data


class Gromox(Flavor):
    name = "gromox"
    empty_groups_in_find = True
    recurrence_start_as_datetime = True
    sends_associated_calendar_item_id = False
    sends_meeting_request_was_sent = False
    all_properties_has_attendees = False
    has_remove_item = False
    calendar_view_expands = False
    keeps_answered_requests = True
    decline_deletes_calendar_item = False
    tentative_on_delivery = False
    organizer_records_responses = False
    append_to_item_field = False
    updates_to_everyone = True
    uid_without_t_uid = False
    recurrence_only_when_asked = False
    attendee_lists_apart = False
    cancels_removed_attendees = False
    decline_creates_calendar_item = False
    cancellation_has_calendar_fields = False
    start_zone_once = False
    answer_marks_request = True
    answer_mark_syncs = False

    def remove_item_fault(self):
        return 200, fault_bytes("SOAP:Client", GROMOX_UNKNOWN_NODE % "RemoveItem"), "Client"

    def stray_response(self, status, body):
        # Gromox writes its fault and then, the request having "succeeded", the response
        # it had started to build: an empty m:CreateItemResponse.
        if status != 200 or b"<SOAP:Fault>" not in body:
            return None
        stray = empty_response("CreateItem")
        return (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                b"Content-Length: %d\r\n\r\n" % len(stray)) + stray

    def schema_view(self, data):
        data = _ZONE_TWICE.sub(rb"\1", data)
        data = _EMPTY_GROUPS.sub(rb"\1", data)
        data = _FAULT_XSI_TYPE.sub(rb"\1", data)
        return _START_DATETIME.sub(rb"\1\2", data)


# Exactly the deviations, as the simulator writes them (ElementTree's prefixes).
_EMPTY_GROUPS = re.compile(rb"(</t:Items>|<t:Items />)<t:Groups />(?=</m:RootFolder>)")
# Gromox types its fault's faultcode and faultstring with xsi:type="xsd:string", which the
# SOAP schema's element declarations block.
_FAULT_XSI_TYPE = re.compile(rb'(<fault(?:code|string)) xsi:type="xsd:string"')
_ZONE_TWICE = re.compile(rb'(<t:StartTimeZone Id="[^"]*" Name="[^"]*" />)\1')
_START_DATETIME = re.compile(
    rb"(<t:StartDate>\d{4}-\d\d-\d\d)T00:00:00\.000000Z(</t:StartDate>)")


def fault_bytes(code, text):
    """A SOAP fault in Gromox's form: SOAP: prefix, xsi:type on its two children, an empty
    header, no detail."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<SOAP:Envelope xmlns:SOAP="%s" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><SOAP:Header/><SOAP:Body>'
            '<SOAP:Fault><faultcode xsi:type="xsd:string">%s</faultcode>'
            '<faultstring xsi:type="xsd:string">%s</faultstring></SOAP:Fault>'
            '</SOAP:Body></SOAP:Envelope>' % (SOAP_NS, escape(code), escape(text))
            ).encode("utf-8")


def client_fault(flavor, text):
    """A bare SOAP Client fault (no EWS code): the request refused as unreadable. In the
    flavor's own form (Gromox's, or a plain SOAP 1.1 one)."""
    if flavor.name == "gromox":
        return RawFault(200, fault_bytes("SOAP:Client", text), "Client")
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<s:Envelope xmlns:s="%s"><s:Body>'
            '<s:Fault><faultcode>s:Client</faultcode><faultstring>%s</faultstring>'
            '</s:Fault></s:Body></s:Envelope>' % (SOAP_NS, escape(text))).encode("utf-8")
    return RawFault(500, body, "Client")


def empty_response(op_name):
    """An m:<op>Response with an empty m:ResponseMessages."""
    resp = ET.Element(m(op_name + "Response"))
    ET.SubElement(resp, m("ResponseMessages"))
    return soap.envelope(resp)


class RawFault(Exception):
    """A fault sent as given bytes (a flavor's own fault format)."""

    def __init__(self, status, body, code):
        super().__init__(code)
        self.status, self.body, self.code = status, body, code


def by_name(name):
    return {"exchange": Flavor, "gromox": Gromox}[name]()


def add_empty_groups(flavor, root_folder):
    if flavor.empty_groups_in_find:
        ET.SubElement(root_folder, t("Groups"))


def rewrite_start_date(flavor, recurrence_parent):
    """After t:Recurrence was written under recurrence_parent."""
    if not flavor.recurrence_start_as_datetime:
        return
    rec = recurrence_parent.find(t("Recurrence"))
    for elem in rec.iter(t("StartDate")) if rec is not None else ():
        elem.text = elem.text[:10] + "T00:00:00.000000Z"


# The attendee lists and the role each holds (as parse.ATTENDEE_ROLES).
ATTENDEE_LISTS = {"calendar:RequiredAttendees": "Required",
                  "calendar:OptionalAttendees": "Optional", "calendar:Resources": "Resource"}


# The FieldURIs Gromox reads from the one property that also holds the recurrence.
RECURRENCE_SHARERS = ("calendar:CalendarItemType", "calendar:ModifiedOccurrences",
                      "calendar:DeletedOccurrences", "calendar:Recurrence")


def added(flavor, uri, shape):
    """Whether the flavor writes uri although the shape does not include it."""
    if uri != "calendar:Recurrence" or flavor.recurrence_only_when_asked:
        return False
    return shape.base == "AllProperties" or any(u in shape.additional
                                                for u in RECURRENCE_SHARERS)


def after_set_attendees(flavor, item, uri):
    """SetItemField of one attendee list: Gromox keeps one recipient table and replaces it
    whole, so the other two lists are gone."""
    if flavor.attendee_lists_apart or uri not in ATTENDEE_LISTS:
        return
    role = ATTENDEE_LISTS[uri]
    item.attendees = [a for a in item.attendees if a.role == role]


# A series' zone, as a request may carry it.
START_ZONE = ("calendar:StartTimeZone", "calendar:StartTimeZoneId", "calendar:EndTimeZone",
              "calendar:EndTimeZoneId", "calendar:MeetingTimeZone")


def zone_withheld(store, uri, item):
    """--requests-without-zone (Gromox 3.10, seen live; not in the kit's list): a meeting
    request carries none of its series' zone fields, asked for or not."""
    return (getattr(store, "requests_without_zone", False) and item.kind == "MeetingRequest"
            and uri in START_ZONE)

# What a cancellation keeps of the calendar fields on a server without them (seen live on
# Gromox 3.10: UID and DateTimeStamp, nothing else of calendar:*).
CANCELLATION_KEEPS = ("calendar:UID", "calendar:DateTimeStamp")


def left_out(flavor, uri, shape, item=None):
    """Whether the flavor omits uri of item although the shape includes it."""
    bare_cancellation = (not flavor.cancellation_has_calendar_fields and item is not None
                         and item.kind == "MeetingCancellation")
    if bare_cancellation and uri.startswith("calendar:"):
        return uri not in CANCELLATION_KEEPS
    if uri == "calendar:MeetingRequestWasSent":
        return not flavor.sends_meeting_request_was_sent
    if uri == "meeting:AssociatedCalendarItemId":
        return not flavor.sends_associated_calendar_item_id and not bare_cancellation
    if uri in ATTENDEE_LISTS and shape.base == "AllProperties":
        return not flavor.all_properties_has_attendees and uri not in shape.additional
    return False



def start_zone_twice(flavor, item):
    """Whether t:StartTimeZone goes out twice: Gromox repeats it on a series' master."""
    return (not flavor.start_zone_once and item.kind == "CalendarItem"
            and item.recurrence is not None and not item.is_occurrence)


def master_in_view(master, start, end):
    """Gromox's CalendarView is a restriction on the item's own start and end (those of a
    series' first occurrence): end >= StartDate and start <= EndDate."""
    return master.end >= start and master.start <= end
