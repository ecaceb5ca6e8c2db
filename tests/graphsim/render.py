"""Store dicts -> the JSON Graph sends (internal "_" keys dropped, times rendered)."""

import copy

import timeutil as tu


def public(item):
    return {k: copy.deepcopy(v) for k, v in item.items() if not k.startswith("_")}


def event(ev, occ=None):
    out = public(ev)
    out["start"], out["end"] = tu.render_dttz(ev["_start"]), tu.render_dttz(ev["_end"])
    out["bodyPreview"] = (ev.get("body") or {}).get("content", "")[:255]
    out["seriesMasterId"] = None
    if occ is not None:
        key = occ.isoformat()
        override = ev["_overrides"].get(key, {})
        out.update(copy.deepcopy(override))
        out["id"] = ev["id"] + "_OCC" + occ.strftime("%Y%m%dT%H%M")
        out["type"] = "exception" if override else "occurrence"
        out["seriesMasterId"] = ev["id"]
        out["recurrence"] = None
        out["start"] = tu.render_dttz(occ)
        out["end"] = tu.render_dttz(occ + (ev["_end"] - ev["_start"]))
    return out


def message(user, msg, expand_event):
    out = public(msg)
    if expand_event and "eventMessage" in out["@odata.type"]:
        linked = user.events.get(msg.get("_event") or "")
        out["event"] = event(linked) if linked else None
    return out
