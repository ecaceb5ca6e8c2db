"""FindItem: shallow traversal of a folder, restrictions, sorting, paging, CalendarView.

One FindItemResponseMessage per parent folder, as Exchange sends.
- No view: every item. IndexedPageItemView: Offset from the Beginning or the End,
  MaxEntriesReturned; RootFolder carries IndexedPagingOffset (where the next page starts),
  TotalItemsInView and IncludesLastItemInRange.
- CalendarView: single items and the occurrences/exceptions of recurring series
  overlapping [StartDate, EndDate), by start time. More matches than MaxEntriesReturned:
  the first MaxEntriesReturned, TotalItemsInView = all matches, IncludesLastItemInRange
  false (what Microsoft's "Get appointments" example shows). EndDate before StartDate is
  ErrorCalendarEndDateIsEarlierThanStartDate; a range over two years is
  ErrorCalendarViewRangeTooBig (ResponseCode reference).
- Without SortOrder items come newest first (DateTimeReceived descending).
String comparisons in restrictions ignore case, as the Exchange store does.
"""

import xml.etree.ElementTree as ET
from datetime import timedelta

import flavor as flavor_mod
import render
import timeutil
from soap import EwsError, T_NS, error_message, local, m, namespace, response_message, t
from store import OccurrenceView

MAX_CALENDAR_VIEW_RANGE = timedelta(days=2 * 366)


def _ci(value):
    return value.casefold() if isinstance(value, str) else value


# FieldURI -> (value getter, constant parser) for restrictions and sorting.
def _text(v):
    return v or ""


FIELDS = {
    "item:ItemClass": (lambda i: i.item_class, str),
    "item:Subject": (lambda i: i.subject or "", str),
    "item:DateTimeReceived": (lambda i: i.received, timeutil.parse_datetime),
    "item:DateTimeCreated": (lambda i: i.created, timeutil.parse_datetime),
    "item:DateTimeSent": (lambda i: i.sent, timeutil.parse_datetime),
    "item:LastModifiedTime": (lambda i: i.last_modified, timeutil.parse_datetime),
    "item:Importance": (lambda i: i.importance, str),
    "item:Sensitivity": (lambda i: i.sensitivity, str),
    "item:IsDraft": (lambda i: i.is_draft, lambda c: c.strip().lower() == "true"),
    "item:Body": (lambda i: i.body or "", str),
    "message:IsRead": (lambda i: i.is_read, lambda c: c.strip().lower() == "true"),
    "meeting:IsOutOfDate": (lambda i: i.is_out_of_date, lambda c: c.strip().lower() == "true"),
    "meeting:ResponseType": (lambda i: i.response_type, str),
    "meetingRequest:MeetingRequestType": (lambda i: i.meeting_request_type, str),
    "calendar:UID": (lambda i: i.uid, str),
    "calendar:Start": (lambda i: i.start, timeutil.parse_datetime),
    "calendar:End": (lambda i: i.end, timeutil.parse_datetime),
    "calendar:Location": (lambda i: i.location, str),
    "calendar:IsCancelled": (lambda i: i.is_cancelled, lambda c: c.strip().lower() == "true"),
    "calendar:IsMeeting": (lambda i: i.is_meeting, lambda c: c.strip().lower() == "true"),
    "calendar:CalendarItemType": (lambda i: i.calendar_item_type, str),
    "calendar:MyResponseType": (lambda i: i.my_response_type, str),
}

_COMPARE = {
    "IsEqualTo": lambda a, b: a == b,
    "IsNotEqualTo": lambda a, b: a != b,
    "IsGreaterThan": lambda a, b: a > b,
    "IsGreaterThanOrEqualTo": lambda a, b: a >= b,
    "IsLessThan": lambda a, b: a < b,
    "IsLessThanOrEqualTo": lambda a, b: a <= b,
}


def _field(elem, error_code="ErrorUnsupportedPathForQuery"):
    """(getter, parser, uri) of a t:FieldURI element."""
    if elem is None or elem.tag != t("FieldURI"):
        tag = local(elem.tag) if elem is not None else "nothing"
        raise EwsError(error_code, "Only FieldURI paths are supported here, not %s." % tag)
    uri = elem.get("FieldURI")
    if uri not in FIELDS:
        raise EwsError(error_code, field_uri=uri)
    getter, parser = FIELDS[uri]
    return getter, parser, uri


def _constant(parser, text):
    try:
        return parser(text)
    except ValueError:
        raise EwsError("ErrorInvalidValueForProperty",
                       "The value '%s' is not valid for the property." % text)


def compile_restriction(expr):
    """A search expression element -> predicate(item)."""
    name = local(expr.tag)
    kids = [c for c in expr if namespace(c.tag) == T_NS]
    if name in ("And", "Or"):
        preds = [compile_restriction(k) for k in kids]
        if name == "And":
            return lambda i: all(p(i) for p in preds)
        return lambda i: any(p(i) for p in preds)
    if name == "Not":
        pred = compile_restriction(kids[0])
        return lambda i: not pred(i)
    if name == "Exists":
        getter, _, _ = _field(kids[0])
        return lambda i: getter(i) is not None
    if name in _COMPARE:
        getter, parser, _ = _field(kids[0])
        operand = kids[1]  # t:FieldURIOrConstant
        inner = [c for c in operand if namespace(c.tag) == T_NS]
        cmp = _COMPARE[name]
        if inner and inner[0].tag == t("Constant"):
            value = _ci(_constant(parser, inner[0].get("Value", "")))

            def pred(i):
                v = _ci(getter(i))
                if v is None:
                    return False
                try:
                    return cmp(v, value)
                except TypeError:
                    return False
            return pred
        other, _, _ = _field(inner[0] if inner else None)
        return lambda i: (getter(i) is not None and other(i) is not None
                          and cmp(_ci(getter(i)), _ci(other(i))))
    if name == "Contains":
        getter, _, uri = _field(kids[0])
        const = expr.find(t("Constant"))
        needle = const.get("Value", "") if const is not None else ""
        mode = expr.get("ContainmentMode", "FullString")
        comparison = expr.get("ContainmentComparison", "Exact")
        fold = comparison != "Exact"
        if fold:
            needle = needle.casefold()

        def contains(i):
            v = getter(i)
            if not isinstance(v, str):
                return False
            if fold:
                v = v.casefold()
            if mode == "FullString":
                return v == needle
            if mode == "Prefixed":
                return v.startswith(needle)
            if mode == "PrefixOnWords":
                return any(w.startswith(needle) for w in v.split())
            return needle in v  # Substring, ExactPhrase
        return contains
    raise EwsError("ErrorUnsupportedQueryFilter",
                   "The restriction %s is not supported by the simulator." % name)


def _sort_key_funcs(op):
    """[(getter, descending)] from m:SortOrder; default newest first."""
    order = op.find(m("SortOrder"))
    if order is None:
        return [(lambda i: i.received, True), (lambda i: i.seq, True)]
    keys = []
    for fo in order.findall(t("FieldOrder")):
        getter, _, _ = _field(next(iter(fo), None), "ErrorUnsupportedPathForSortGroup")
        keys.append((getter, fo.get("Order", "Ascending") == "Descending"))
    keys.append((lambda i: i.seq, False))
    return keys


def _sort(items, keys):
    for getter, desc in reversed(keys):
        present = [i for i in items if getter(i) is not None]
        missing = [i for i in items if getter(i) is None]
        present.sort(key=lambda i: _ci(getter(i)), reverse=desc)
        items = present + missing
    return items


def expand_series(store, master, window_start, window_end):
    """OccurrenceViews of master overlapping [window_start, window_end), by start."""
    duration = master.end - master.start
    tz = timeutil.zone_for_windows_id(master.tz_windows or "UTC").key
    views = []
    moved = {i for i, ov in master.exceptions.items() if "start" in ov or "end" in ov}
    try:
        occs = master.recurrence.occurrences(master.start, duration, tz, window_start,
                                             window_end)
    except ValueError as exc:
        raise EwsError("ErrorCalendarViewRangeTooBig", str(exc))
    for index, start, end in occs:
        if index in master.deleted_occurrences or index in moved:
            continue
        views.append(OccurrenceView(store, master, index, start, end))
    for index in sorted(moved - master.deleted_occurrences):
        orig = master.recurrence.occurrence(master.start, duration, tz, index)
        if orig is None:
            continue
        view = OccurrenceView(store, master, index, orig[0], orig[1])
        if view.start < window_end and view.end > window_start:
            views.append(view)
    return views


def _calendar_view(ctx, folder, view):
    try:
        start = timeutil.parse_datetime(view.get("StartDate"), ctx.header_zone)
        end = timeutil.parse_datetime(view.get("EndDate"), ctx.header_zone)
    except ValueError as exc:
        raise EwsError("ErrorInvalidValueForProperty", str(exc))
    if folder.name != "calendar":
        raise EwsError("ErrorCalendarFolderIsInvalidForCalendarView")
    if end < start:
        raise EwsError("ErrorCalendarEndDateIsEarlierThanStartDate")
    if end - start > MAX_CALENDAR_VIEW_RANGE:
        raise EwsError("ErrorCalendarViewRangeTooBig")
    found = []
    for item in folder.items.values():
        if item.kind != "CalendarItem" or item.start is None:
            continue
        if item.recurrence is not None and not ctx.store.flavor.calendar_view_expands:
            if flavor_mod.master_in_view(item, start, end):
                found.append(item)
        elif item.recurrence is not None:
            found.extend(expand_series(ctx.store, item, start, end))
        elif item.start < end and item.end > start:
            found.append(item)
    return found


def _max_entries(view):
    raw = view.get("MaxEntriesReturned")
    if raw is None:
        return None
    value = int(raw)
    if value < 1:
        raise EwsError("ErrorInvalidPagingMaxRows",
                       "MaxEntriesReturned must be greater than zero.")
    return value


def find_in_folder(ctx, op, folder, shape):
    msg = response_message("FindItem")
    restriction = op.find(m("Restriction"))
    predicate = None
    if restriction is not None and len(restriction):
        predicate = compile_restriction(restriction[0])
    cal_view = op.find(m("CalendarView"))
    paged = op.find(m("IndexedPageItemView"))
    if op.find(m("FractionalPageItemView")) is not None or \
            op.find(m("SeekToConditionPageItemView")) is not None or \
            op.find(m("ContactsView")) is not None:
        raise EwsError("ErrorInvalidRequest", "The simulator supports IndexedPageItemView and "
                       "CalendarView only.")
    if op.find(m("GroupBy")) is not None or op.find(m("DistinguishedGroupBy")) is not None:
        raise EwsError("ErrorInvalidRequest", "The simulator does not group FindItem results.")
    traversal = op.get("Traversal", "Shallow")
    if cal_view is not None:
        items = _calendar_view(ctx, folder, cal_view)
        if predicate:
            items = [i for i in items if predicate(i)]
        items.sort(key=lambda i: (i.start, i.end, i.seq))
    elif traversal == "SoftDeleted":
        items = []  # nothing is kept in the recoverable-items store
    else:
        items = list(folder.items.values())
        if predicate:
            items = [i for i in items if predicate(i)]
        items = _sort(items, _sort_key_funcs(op))
    total = len(items)
    attrs = {}
    if cal_view is not None:
        limit = _max_entries(cal_view)
        page = items if limit is None else items[:limit]
        attrs["TotalItemsInView"] = str(total)
        attrs["IncludesLastItemInRange"] = "true" if len(page) == total else "false"
    elif paged is not None:
        limit = _max_entries(paged)
        offset = int(paged.get("Offset", "0"))
        if offset < 0:
            raise EwsError("ErrorInvalidIndexedPagingParameters",
                           "Offset must not be negative.")
        if paged.get("BasePoint", "Beginning") == "End":
            stop = max(0, total - offset)
            first = 0 if limit is None else max(0, stop - limit)
            page = items[first:stop]
            done = first == 0
        else:
            stop = total if limit is None else min(total, offset + limit)
            page = items[offset:stop]
            done = stop >= total
        attrs["IndexedPagingOffset"] = str(offset + len(page))
        attrs["TotalItemsInView"] = str(total)
        attrs["IncludesLastItemInRange"] = "true" if done else "false"
    else:
        page = items
        attrs["TotalItemsInView"] = str(total)
        attrs["IncludesLastItemInRange"] = "true"
    root = ET.SubElement(msg, m("RootFolder"), attrs)
    container = ET.SubElement(root, t("Items"))
    for item in page:
        render.render_item(ctx.store, item, container, shape)
    flavor_mod.add_empty_groups(ctx.store.flavor, root)
    return msg


def find_item(ctx, op):
    messages = []
    shape_error = None
    try:
        shape = render.parse_shape(op.find(m("ItemShape")), for_find=True)
    except EwsError as err:
        shape_error = err
    for folder_elem in op.find(m("ParentFolderIds")):
        try:
            if shape_error is not None:
                raise shape_error
            folder = ctx.resolve_folder(folder_elem)
            messages.append(find_in_folder(ctx, op, folder, shape))
        except EwsError as err:
            messages.append(error_message("FindItem", err))
    return messages
