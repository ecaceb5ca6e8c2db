"""Path -> (operation name, handler, action binding for validation)."""

import api

# Patterns over the path segments after /v1.0; "U" is a user, "*" an id; fixed segments
# compare case-insensitively as Graph does. The body check names a graph type ("event") or a
# bound action ("accept@event").
ROUTES = [
    ("GET", ("users", "U"), "getUser", api.get_user, None),
    ("GET", ("users", "U", "events"), "listEvents", api.list_events, None),
    ("GET", ("users", "U", "calendar", "events"), "listEvents", api.list_events, None),
    ("POST", ("users", "U", "events"), "createEvent", api.create_event, "event"),
    ("POST", ("users", "U", "calendar", "events"), "createEvent", api.create_event, "event"),
    ("GET", ("users", "U", "events", "*"), "getEvent", api.get_event, None),
    ("PATCH", ("users", "U", "events", "*"), "updateEvent", api.patch_event, "event"),
    ("DELETE", ("users", "U", "events", "*"), "deleteEvent", api.delete_event, None),
    ("GET", ("users", "U", "events", "*", "instances"), "instances", api.instances, None),
    ("GET", ("users", "U", "calendarView"), "calendarView", api.calendar_view, None),
    ("GET", ("users", "U", "calendar", "calendarView"), "calendarView", api.calendar_view, None),
    ("POST", ("users", "U", "calendar", "getSchedule"), "getSchedule", api.get_schedule,
     "getSchedule@calendar"),
    ("GET", ("users", "U", "messages"), "listMessages", api.list_messages, None),
    ("GET", ("users", "U", "mailFolders", "*", "messages"), "listMessages", api.list_messages,
     None),
    ("GET", ("users", "U", "mailFolders", "inbox", "messages", "delta"), "delta",
     api.inbox_delta, None),
    ("GET", ("users", "U", "messages", "*"), "getMessage", api.get_message, None),
    ("PATCH", ("users", "U", "messages", "*"), "updateMessage", api.patch_message, "message"),
    ("DELETE", ("users", "U", "messages", "*"), "deleteMessage", api.delete_message, None),
    ("POST", ("users", "U", "messages", "*", "forward"), "forward", api.forward_message,
     "forward@message"),
]
for verb in ("accept", "tentativelyAccept", "decline", "cancel"):
    ROUTES.append(("POST", ("users", "U", "events", "*", verb), verb,
                   lambda s, u, r, eid, verb=verb: api.event_action(s, u, r, eid, verb),
                   verb + "@event"))


def match(method, segments):
    """(operation, handler, body check, user key, [ids]) or None."""
    best = None
    for verb, pattern, name, handler, check in ROUTES:
        if verb != method or len(pattern) != len(segments):
            continue
        user, ids, fixed = None, [], 0
        for want, got in zip(pattern, segments):
            if want == "U":
                user = got
            elif want == "*":
                ids.append(got)
            elif want.lower() == got.lower():
                fixed += 1
            else:
                break
        else:
            if best is None or fixed > best[0]:
                best = (fixed, (name, handler, check, user, ids))
    return best[1] if best else None
