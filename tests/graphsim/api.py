"""Graph v1.0 routes: one function per operation, each (store, user, request) -> Reply.

Everything runs under Store.lock; the caller (server.py) handles auth, faults, validation and
the HTTP framing, so $batch reuses exactly these functions.
"""

import base64
import json
import re

import render
import timeutil as tu
from store import GraphError, not_found

DEFAULT_PAGE = 10
MAX_PAGE = 1000


class Reply:
    """status, body (JSON-able or None), check = (graph type, is collection) for --validate."""

    def __init__(self, status, body=None, check=None, headers=None):
        self.status, self.body, self.check = status, body, check
        self.headers = headers or {}


class Request:
    def __init__(self, method, segments, query, headers, body, base_url):
        self.method, self.segments, self.query = method, segments, query
        self.headers, self.body, self.base_url = headers, body, base_url

    def page_size(self):
        match = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", self.headers.get("prefer", ""))
        size = int(match.group(1)) if match else DEFAULT_PAGE
        if "$top" in self.query:
            try:
                size = int(self.query["$top"])
            except ValueError:
                raise GraphError(400, "BadRequest", "Invalid $top value.")
        return max(1, min(size, MAX_PAGE))

    def link(self, **params):
        path = "/".join(self.segments)
        query = "&".join("%s=%s" % (k, v) for k, v in params.items() if v is not None)
        return "%s/%s%s" % (self.base_url, path, "?" + query if query else "")

    def expand_event(self):
        return "event" in self.query.get("$expand", "")


def encode_token(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()


def decode_token(text):
    try:
        obj = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        obj = None
    if not isinstance(obj, dict):
        raise GraphError(400, "BadRequest", "The delta or skip token is malformed.")
    return obj


def paged(req, items, check):
    """One page of a plain collection, @odata.nextLink when more follow."""
    try:
        skip = int(req.query.get("$skip", "0"))
    except ValueError:
        raise GraphError(400, "BadRequest", "Invalid $skip value.")
    size = req.page_size()
    body = {"@odata.context": req.base_url + "/$metadata#Collection", "value": items[skip:skip + size]}
    if skip + size < len(items):
        keep = {k: v for k, v in req.query.items() if k != "$skip"}
        body["@odata.nextLink"] = req.link(**keep, **{"$skip": skip + size})
    return Reply(200, body, (check, True))


# ---- events

def list_events(store, user, req):
    items = [render.event(e) for e in sorted(user.events.values(), key=lambda e: e["_start"])]
    return paged(req, items, "event")


def create_event(store, user, req):
    return Reply(201, render.event(store.create_event(user, req.body)), ("event", False))


def get_event(store, user, req, event_id):
    event, occ = store.event(user, event_id)
    return Reply(200, render.event(event, occ), ("event", False))


def patch_event(store, user, req, event_id):
    extra = set(req.body) - {"subject", "body", "sensitivity", "attendees", "start", "end",
                             "location"}
    if extra:
        raise GraphError(400, "ErrorInvalidRequest", "PATCH of %s is not modelled (subject, "
                         "body, sensitivity and, by the organizer, attendees, start, end and "
                         "location are)" % ", ".join(sorted(extra)))
    return Reply(200, render.event(store.update_event(user, event_id, req.body)),
                 ("event", False))


def delete_event(store, user, req, event_id):
    store.delete_event(user, event_id)
    return Reply(204)


def event_action(store, user, req, event_id, action):
    if action in ("accept", "tentativelyAccept", "decline"):
        store.answer(user, event_id, action, req.body)
    elif action == "cancel":
        store.cancel(user, event_id, req.body.get("comment", req.body.get("Comment")))
    return Reply(202)


def window(req):
    if "startDateTime" not in req.query or "endDateTime" not in req.query:
        raise GraphError(400, "ErrorInvalidParameter", "This request requires a time window "
                         "specified by the query string parameters StartDateTime and "
                         "EndDateTime.")
    start = tu.parse_query_time(req.query["startDateTime"])
    end = tu.parse_query_time(req.query["endDateTime"])
    if end <= start:
        raise GraphError(400, "ErrorInvalidParameter", "EndDateTime must be after StartDateTime.")
    return start, end


def expand(store, events, start, end):
    """Rendered events and occurrences overlapping start..end, by start."""
    found = []
    for ev in events:
        if not ev.get("recurrence"):
            if ev["_start"] < end and ev["_end"] > start:
                found.append((ev["_start"], render.event(ev)))
            continue
        for s, e in store.series(ev, end):
            if s < end and e > start:
                found.append((s, render.event(ev, s)))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def calendar_view(store, user, req):
    start, end = window(req)
    return paged(req, expand(store, user.events.values(), start, end), "event")


def instances(store, user, req, event_id):
    event, occ = store.event(user, event_id)
    if occ is not None or not event.get("recurrence"):
        raise GraphError(400, "ErrorInvalidRequest", "The event is not a series master.")
    start, end = window(req)
    return paged(req, expand(store, [event], start, end), "event")


def get_schedule(store, user, req):
    body = req.body
    schedules = body.get("schedules") or body.get("Schedules") or []
    start = tu.parse_dttz(body.get("startTime") or body.get("StartTime"))
    end = tu.parse_dttz(body.get("endTime") or body.get("EndTime"))
    interval = body.get("availabilityViewInterval") or body.get("AvailabilityViewInterval") or 30
    if not schedules or len(schedules) > 20:
        raise GraphError(400, "ErrorInvalidParameter", "schedules needs 1 to 20 addresses.")
    if end <= start or (end - start).days >= 62:
        raise GraphError(400, "ErrorInvalidParameter",
                         "The time window must be positive and shorter than 62 days.")
    if not isinstance(interval, int) or not 5 <= interval <= 1440:
        raise GraphError(400, "ErrorInvalidParameter",
                         "availabilityViewInterval must be 5 to 1440 minutes.")
    return Reply(200, {"value": [schedule_of(store, address, start, end, interval)
                                 for address in schedules]},
                 ("scheduleInformation", True))


STATUS_DIGIT = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}


def schedule_of(store, address, start, end, interval):
    target = store.users.get(str(address).lower())
    if target is None:
        return {"scheduleId": address, "error": {
            "message": "The requested mailbox was not found.",
            "responseCode": "ErrorMailRecipientNotFound"}}
    items = [ev for ev in expand(store, target.events.values(), start, end)
             if not ev["isCancelled"] and ev["showAs"] != "free"]
    view, slot = [], start
    step = tu.dt.timedelta(minutes=interval)
    while slot < end:
        digits = [STATUS_DIGIT.get(ev["showAs"], "2") for ev in items
                  if tu.parse_dttz(ev["start"]) < slot + step and tu.parse_dttz(ev["end"]) > slot]
        view.append(max(digits, key=lambda d: {"0": 0, "1": 1, "4": 2, "2": 3, "3": 4}[d])
                    if digits else "0")
        slot += step
    return {"scheduleId": target.address, "availabilityView": "".join(view),
            "scheduleItems": [{"isPrivate": ev["sensitivity"] == "private",
                               "status": ev["showAs"], "subject": ev["subject"],
                               "location": (ev.get("location") or {}).get("displayName", ""),
                               "start": ev["start"], "end": ev["end"]} for ev in items]}


# ---- messages

FOLDER_ALIASES = {"inbox": "inbox", "sentitems": "sentitems", "deleteditems": "deleteditems"}


def list_messages(store, user, req, folder=None):
    if folder is not None and folder.lower() not in FOLDER_ALIASES:
        raise not_found()
    msgs = [m for m in user.messages.values()
            if folder is None or m["_folder"] == folder.lower()]
    msgs.sort(key=lambda m: m["_seq"], reverse=True)
    return paged(req, [render.message(user, m, req.expand_event()) for m in msgs], "message")


def get_message(store, user, req, message_id):
    msg = store.message(user, message_id)
    return Reply(200, render.message(user, msg, req.expand_event()), ("message", False))


def patch_message(store, user, req, message_id):
    msg = store.message(user, message_id)
    extra = set(req.body) - {"isRead", "categories"}
    if extra:
        raise GraphError(400, "ErrorInvalidRequest", "PATCH of %s on a message is not modelled"
                         % ", ".join(sorted(extra)))
    msg.update(req.body)
    store.touch_message(user, msg)
    return Reply(200, render.message(user, msg, False), ("message", False))


def delete_message(store, user, req, message_id):
    msg = store.message(user, message_id)
    if msg["_folder"] == "deleteditems":
        store.delete_message(user, msg)
    else:
        store.move_message(user, msg, "deleteditems")
    return Reply(204)


def forward_message(store, user, req, message_id):
    store.forward(user, message_id, req.body)
    return Reply(202)


def inbox_delta(store, user, req):
    """Messages in the Inbox changed since a delta token, @removed for those that left it."""
    if "$deltatoken" in req.query:
        token = decode_token(req.query["$deltatoken"])
        state = {"since": token.get("s"), "upto": user.seq, "cur": token.get("s"),
                 "g": token.get("g"), "x": token.get("x")}
    elif "$skiptoken" in req.query:
        state = decode_token(req.query["$skiptoken"])
    else:
        state = {"since": 0, "upto": user.seq, "cur": 0, "g": user.delta_generation,
                 "x": req.expand_event()}
    if not all(isinstance(state.get(k), int) and not isinstance(state.get(k), bool)
               for k in ("since", "upto", "cur", "g")):
        raise GraphError(400, "BadRequest", "The delta or skip token is malformed.")
    if state["g"] != user.delta_generation:
        raise GraphError(410, user.delta_expired_code, "The sync state generation is not "
                         "found. The delta token is expired and data must be synchronized again.")
    since, upto, cur = state["since"], state["upto"], state["cur"]
    changes = [(m["_seq"], render.message(user, m, bool(state["x"]) or req.expand_event()))
               for m in user.messages.values()
               if m["_folder"] == "inbox" and cur < m["_seq"] <= upto]
    if since > 0:
        changes += [(seq, {"id": mid, "@removed": {"reason": "deleted"}})
                    for seq, mid in user.tombstones if cur < seq <= upto]
    changes.sort(key=lambda pair: pair[0])
    page = changes[:req.page_size()]
    body = {"@odata.context": req.base_url + "/$metadata#Collection(message)",
            "value": [item for _, item in page]}
    if len(changes) > len(page):
        state["cur"] = page[-1][0]
        body["@odata.nextLink"] = req.link(**{"$skiptoken": encode_token(state)})
    else:
        body["@odata.deltaLink"] = req.link(**{"$deltatoken": encode_token(
            {"s": upto, "g": state["g"], "x": state["x"]})})
    return Reply(200, body, ("message", True))


def get_user(store, user, req):
    return Reply(200, {"id": user.id, "displayName": user.name, "mail": user.address,
                       "userPrincipalName": user.address}, ("user", False))
