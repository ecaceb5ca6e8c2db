"""SOAP 1.1 envelopes: reading requests, writing responses and faults the way Exchange does.

Requests are matched by namespace URI, never by prefix, so any prefixes, default namespaces,
an XML declaration or none, and open/close pairs for empty elements are all accepted.
A document type declaration is refused before parsing (SOAP 1.1 forbids it, and it is how
entity-expansion attacks arrive); Python's expat never loads external entities.

Responses are built with ElementTree (which escapes everything) under the prefixes Exchange
uses: s: for the envelope, m: for messages, t: for types. Faults are written from a fixed
template because their faultcode is a QName whose prefix must be declared on the element,
which ElementTree cannot express; every variable part is escaped.
"""

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
M_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
T_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
E_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"

ET.register_namespace("s", SOAP_NS)
ET.register_namespace("m", M_NS)
ET.register_namespace("t", T_NS)

# What the simulator claims to be in t:ServerVersionInfo: Exchange 2016 CU (schema V2016_07_13,
# the newest version in the kit's messages.xsd).
SERVER_VERSION = {"MajorVersion": "15", "MinorVersion": "1", "MajorBuildNumber": "2507",
                  "MinorBuildNumber": "6", "Version": "V2017_07_11"}

# Exchange's MessageText for the response codes the simulator produces.
MESSAGE_TEXT = {
    "ErrorAccessDenied": "Access is denied. Check credentials and try again.",
    "ErrorCalendarCannotUseIdForOccurrenceId":
        "The item id of a calendar item that is not a recurring master cannot be used as a "
        "recurring master id.",
    "ErrorCalendarCannotUseIdForRecurringMasterId":
        "Id must be the id of an occurrence or exception of a recurring series.",
    "ErrorCalendarEndDateIsEarlierThanStartDate": "EndDate is earlier than StartDate",
    "ErrorCalendarFolderIsInvalidForCalendarView":
        "CalendarView can only be used with a calendar folder.",
    "ErrorCalendarInvalidRecurrence": "The recurrence pattern is invalid.",
    "ErrorCalendarIsCancelledForAccept": "Cannot accept a meeting that has been canceled.",
    "ErrorCalendarIsCancelledForDecline": "Cannot decline a meeting that has been canceled.",
    "ErrorCalendarIsCancelledForTentative":
        "Cannot tentatively accept a meeting that has been canceled.",
    "ErrorCalendarIsNotOrganizer": "The user isn't the organizer of this meeting.",
    "ErrorCalendarIsOrganizerForAccept": "The organizer cannot accept the meeting.",
    "ErrorCalendarIsOrganizerForDecline": "The organizer cannot decline the meeting.",
    "ErrorCalendarIsOrganizerForRemove":
        "The organizer cannot remove the meeting from the calendar.",
    "ErrorCalendarIsOrganizerForTentative":
        "The organizer cannot tentatively accept the meeting.",
    "ErrorCalendarMeetingRequestIsOutOfDate":
        "The meeting request is out of date. The calendar couldn't be updated.",
    "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange":
        "Occurrence index is out of recurrence range.",
    "ErrorCalendarOccurrenceIsDeletedFromRecurrence":
        "Occurrence with this index was previously deleted from the recurrence.",
    "ErrorCalendarViewRangeTooBig":
        "The time range between StartDate and EndDate of the CalendarView is too big.",
    "ErrorCannotCreateCalendarItemInNonCalendarFolder":
        "Calendar items can only be created in a calendar folder.",
    "ErrorFolderNotFound": "The specified folder could not be found in the store.",
    "ErrorImpersonateUserDenied":
        "The account does not have permission to impersonate the requested user.",
    "ErrorInternalServerError": "An internal server error occurred. The operation failed.",
    "ErrorInvalidIdEmpty": "Id is empty.",
    "ErrorInvalidIdMalformed": "Id is malformed.",
    "ErrorInvalidAttachmentId": "The attachment id is not valid.",
    "ErrorInvalidRecipients": "At least one recipient isn't valid.",
    "ErrorRequiredPropertyMissing": "Required property is missing.",
    "ErrorInvalidItemForOperationRemoveItem":
        "The item for the RemoveItem operation must be a meeting cancellation.",
    "ErrorInvalidItemForOperationAcceptItem":
        "The item for the operation must be a meeting request or a calendar item.",
    "ErrorInvalidItemForOperationCancelItem":
        "The item for the CancelCalendarItem operation must be a calendar item.",
    "ErrorInvalidOperation": "The operation is not valid for this item.",
    "ErrorInvalidPropertyForOperation": "The property can't be used in FindItem requests.",
    "ErrorInvalidPropertySet": "The property cannot be set on this item.",
    "ErrorInvalidPropertyDelete": "This property cannot be deleted.",
    "ErrorInvalidPropertyAppend": "This property does not support append.",
    "ErrorInvalidRequest": "The request is invalid.",
    "ErrorInvalidValueForProperty": "The value is invalid for the property.",
    "ErrorIrresolvableConflict":
        "The send or update operation could not be performed because the change key passed "
        "in the request does not match the current change key for the item.",
    "ErrorItemNotFound": "The specified object was not found in the store.",
    "ErrorNonExistentMailbox": "The SMTP address has no mailbox associated with it.",
    "ErrorNameResolutionNoResults": "No results were found.",
    "ErrorSchemaValidation": "The request failed schema validation.",
    "ErrorSendMeetingCancellationsRequired":
        "The SendMeetingCancellations attribute is required for calendar items.",
    "ErrorSendMeetingInvitationsOrCancellationsRequired":
        "The SendMeetingInvitationsOrCancellations attribute is required for calendar items.",
    "ErrorSendMeetingInvitationsRequired":
        "The SendMeetingInvitations attribute is required for calendar items.",
    "ErrorServerBusy": "The server cannot service this request right now. Try again later.",
    "ErrorTimeZone": "The time zone isn't valid.",
    "ErrorUnsupportedPathForQuery": "The property path is not supported for restrictions.",
    "ErrorUnsupportedPathForSortGroup": "The property path is not supported for sorting.",
}


def m(name):
    """Clark name of a messages-namespace element."""
    return "{%s}%s" % (M_NS, name)


def t(name):
    """Clark name of a types-namespace element."""
    return "{%s}%s" % (T_NS, name)


class EwsError(Exception):
    """A per-message error: becomes ResponseClass="Error" with this ResponseCode.

    values: (name, text) pairs for m:MessageXml/t:Value; field_uri: a t:FieldURI for
    m:MessageXml (what Exchange sends with property errors).
    """

    def __init__(self, code, text=None, values=None, field_uri=None):
        super().__init__(code)
        self.code = code
        self.text = text or MESSAGE_TEXT.get(code, code)
        self.values = values or []
        self.field_uri = field_uri


class SoapFault(Exception):
    """A request-level error Exchange reports as a soap:Fault (HTTP 500)."""

    def __init__(self, code, faultstring=None, message=None, message_xml=None):
        super().__init__(code)
        self.code = code
        self.message = message or MESSAGE_TEXT.get(code, code)
        self.faultstring = faultstring or self.message
        self.message_xml = message_xml or []  # (local name in t:, text, attrs) triples


def schema_fault(violation, line=0, position=0):
    """The ErrorSchemaValidation fault Exchange sends for an invalid request."""
    return SoapFault("ErrorSchemaValidation",
                     faultstring="The request failed schema validation: %s" % violation,
                     message_xml=[("LineNumber", str(line), {}),
                                  ("LinePosition", str(position), {}),
                                  ("Violation", violation, {})])


class Request:
    """A parsed SOAP request: header (Element or None) and the operation element."""

    def __init__(self, header, op):
        self.header = header
        self.op = op

    @property
    def op_name(self):
        return local(self.op.tag)

    def header_child(self, name):
        """The t:<name> header element, or None."""
        if self.header is None:
            return None
        return self.header.find(t(name))


def local(tag):
    """Local part of a Clark name."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def peek_operation(data):
    """Best-effort name of the operation in a request body, for fault filters and stats.

    Looks for the first element inside soap:Body without a full parse; None if not found.
    """
    match = re.search(rb"<(?:[A-Za-z_][\w.-]*:)?Body\b[^>]*>\s*<(?:[A-Za-z_][\w.-]*:)?"
                      rb"([A-Za-z_][\w.-]*)", data)
    if not match:
        return None
    return match.group(1).decode("ascii", "replace")


def parse_request(data):
    """bytes -> Request; raises SoapFault (ErrorSchemaValidation) if it is not a SOAP request."""
    if _DOCTYPE.search(data):
        raise schema_fault("For security reasons DTD is prohibited in this XML document.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        raise schema_fault("%s. Line %d, position %d." % (str(exc).split(":")[0], line,
                                                           col + 1), line, col + 1)
    if root.tag != "{%s}Envelope" % SOAP_NS:
        raise schema_fault("The root element must be a SOAP 1.1 Envelope, not '%s'."
                           % root.tag)
    header = root.find("{%s}Header" % SOAP_NS)
    body = root.find("{%s}Body" % SOAP_NS)
    if body is None:
        raise schema_fault("The SOAP envelope has no Body.")
    children = list(body)
    if len(children) != 1:
        raise schema_fault("The SOAP Body must contain exactly one operation element.")
    op = children[0]
    if namespace(op.tag) != M_NS:
        raise schema_fault("The element '%s' is not an EWS operation." % op.tag)
    return Request(header, op)


def response_message(op_name, code="NoError", text=None, values=None, field_uri=None,
                     response_class=None):
    """An m:<Op>ResponseMessage with ResponseClass, MessageText, ResponseCode, MessageXml.

    Callers append the operation-specific children (m:Items, m:RootFolder...) after it.
    """
    klass = response_class or ("Success" if code == "NoError" else "Error")
    msg = ET.Element(m(op_name + "ResponseMessage"), {"ResponseClass": klass})
    if code != "NoError":
        ET.SubElement(msg, m("MessageText")).text = text or MESSAGE_TEXT.get(code, code)
    ET.SubElement(msg, m("ResponseCode")).text = code
    if code != "NoError":
        ET.SubElement(msg, m("DescriptiveLinkKey")).text = "0"
        if values or field_uri:
            mx = ET.SubElement(msg, m("MessageXml"))
            if field_uri:
                ET.SubElement(mx, t("FieldURI"), {"FieldURI": field_uri})
            for name, value in values or []:
                ET.SubElement(mx, t("Value"), {"Name": name}).text = str(value)
    return msg


def error_message(op_name, err):
    """Response message for an EwsError."""
    return response_message(op_name, err.code, err.text, err.values, err.field_uri)


def operation_response(op_name, messages):
    """m:<Op>Response/m:ResponseMessages wrapping the given response messages."""
    resp = ET.Element(m(op_name + "Response"))
    msgs = ET.SubElement(resp, m("ResponseMessages"))
    for msg in messages:
        msgs.append(msg)
    return resp


def envelope(body_child):
    """bytes of an s:Envelope with the t:ServerVersionInfo header around body_child."""
    env = ET.Element("{%s}Envelope" % SOAP_NS)
    header = ET.SubElement(env, "{%s}Header" % SOAP_NS)
    ET.SubElement(header, t("ServerVersionInfo"), SERVER_VERSION)
    body = ET.SubElement(env, "{%s}Body" % SOAP_NS)
    body.append(body_child)
    return (b'<?xml version="1.0" encoding="utf-8"?>\n'
            + ET.tostring(env, encoding="unicode").encode("utf-8"))


def fault_bytes(fault):
    """bytes of the soap:Fault envelope Exchange sends for a SoapFault."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<s:Envelope xmlns:s="%s"><s:Body><s:Fault>' % SOAP_NS,
        '<faultcode xmlns:a="%s">a:%s</faultcode>' % (T_NS, escape(fault.code)),
        '<faultstring xml:lang="en-US">%s</faultstring>' % escape(fault.faultstring),
        "<detail>",
        '<e:ResponseCode xmlns:e="%s">%s</e:ResponseCode>' % (E_NS, escape(fault.code)),
        '<e:Message xmlns:e="%s">%s</e:Message>' % (E_NS, escape(fault.message)),
    ]
    if fault.message_xml:
        parts.append('<t:MessageXml xmlns:t="%s">' % T_NS)
        for name, text, attrs in fault.message_xml:
            attr_text = "".join(" %s=%s" % (k, quoteattr(v)) for k, v in attrs.items())
            parts.append("<t:%s%s>%s</t:%s>" % (name, attr_text, escape(text), name))
        parts.append("</t:MessageXml>")
    parts.append("</detail></s:Fault></s:Body></s:Envelope>")
    return "".join(parts).encode("utf-8")


def text_of(elem, name, default=None):
    """Text of the t:<name> child of elem (stripped of nothing), or default."""
    if elem is None:
        return default
    child = elem.find(t(name))
    if child is None:
        return default
    return child.text if child.text is not None else ""


def bool_of(text):
    return text is not None and text.strip().lower() in ("true", "1")
