"""ExpandDL: the members of a distribution group (--group ADDRESS:MEMBER,MEMBER...).

As Exchange documents the operation: one group per call, found by its SMTP address; the
members of that group only (a member that is itself a group comes back with MailboxType
PublicDL and is not expanded: "Recursive expansion is not supported"); an address that
names no group (a mailbox, or nothing at all) is ErrorNameResolutionNoResults. Private
distribution lists (an ItemId in Mailbox) do not exist here: the same error.
"""

import xml.etree.ElementTree as ET

from soap import EwsError, m, response_message, t


def parse_group(spec):
    """'group@x:a@x,b@x' or 'Name <group@x>:a@x,b@x' -> (address, name, [members])."""
    head, sep, members = spec.rpartition(":")
    if not sep or not head.strip():
        raise ValueError("group %r: expected ADDRESS:MEMBER,MEMBER..." % spec)
    head = head.strip()
    name = None
    if head.endswith(">") and "<" in head:
        name, _, address = head[:-1].partition("<")
        name, address = name.strip() or None, address.strip()
    else:
        address = head
    if "@" not in address:
        raise ValueError("group %r: %r is not an SMTP address" % (spec, address))
    listed = [x.strip() for x in members.split(",") if x.strip()]
    for member in listed:
        if "@" not in member:
            raise ValueError("group %r: member %r is not an SMTP address" % (spec, member))
    return address, name, listed


class Group:
    def __init__(self, address, name, members):
        self.address = address
        self.name = name
        self.members = members  # SMTP addresses, in the order given


def _member(ctx, parent, address):
    group = ctx.store.groups.get(address.lower())
    mbx = ctx.store.mailbox(address)
    if group is not None:
        name, kind, address = group.name, "PublicDL", group.address
    elif mbx is not None:
        name, kind, address = mbx.name, "Mailbox", mbx.address
    else:
        name, kind = address, "OneOff"
    elem = ET.SubElement(parent, t("Mailbox"))
    ET.SubElement(elem, t("Name")).text = name
    ET.SubElement(elem, t("EmailAddress")).text = address
    ET.SubElement(elem, t("RoutingType")).text = "SMTP"
    ET.SubElement(elem, t("MailboxType")).text = kind


def expand_dl(ctx, op):
    box = op.find(m("Mailbox"))
    address = (box.findtext(t("EmailAddress")) or "").strip() if box is not None else ""
    group = ctx.store.groups.get(address.lower()) if address else None
    if group is None:
        raise EwsError("ErrorNameResolutionNoResults")
    msg = response_message("ExpandDL")
    members = ET.SubElement(msg, m("DLExpansion"),
                            {"TotalItemsInView": str(len(group.members)),
                             "IncludesLastItemInRange": "true"})
    for member in group.members:
        _member(ctx, members, member)
    return [msg]
