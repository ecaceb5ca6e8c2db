"""In-memory mailboxes, folders and items, and the opaque ids that name them.

Ids: an ItemId / FolderId is the base64 of a version byte, a kind byte, 20 random bytes and
a 4-byte keyed checksum. The random part means an id encodes nothing a client could rely
on; the checksum lets the simulator tell a malformed id (ErrorInvalidIdMalformed) from a
well-formed one it does not know, for example the id of a deleted or moved item
(ErrorItemNotFound). Moving an item gives it a new id, as Exchange does ("the item is copied
and deleted"). ChangeKeys are random base64 strings replaced on every modification.

Occurrences of a recurring series are not stored items: an occurrence id maps to
(master key, instance index) and is stable for the master's lifetime.

Concurrency: the store has one re-entrant lock; the server holds it for a whole operation.
"""

import base64
import binascii
import hashlib
import os
import threading

import flavor as flavor_mod
import timeutil
from soap import EwsError

# Distinguished folders every mailbox has: name -> (display name, folder class).
FOLDERS = {
    "inbox": ("Inbox", "IPF.Note"),
    "calendar": ("Calendar", "IPF.Appointment"),
    "sentitems": ("Sent Items", "IPF.Note"),
    "deleteditems": ("Deleted Items", "IPF.Note"),
    "drafts": ("Drafts", "IPF.Note"),
}

# The roots above them, answered by GetFolder only (exchangelib asks for "root" first):
# name -> (display name, folder class, number of child folders).
ROOT_FOLDERS = {
    "root": ("", None, 1),
    "msgfolderroot": ("Top of Information Store", "IPF.Note", len(FOLDERS)),
}

_ID_VERSION = 1
_KIND_ITEM = ord("I")
_KIND_OCCURRENCE = ord("O")
_KIND_FOLDER = ord("F")
_KIND_ATTACHMENT = ord("A")
_ID_LEN = 2 + 20 + 4


def new_change_key():
    """A fresh random ChangeKey (base64, like Exchange's)."""
    return base64.b64encode(b"\x10\x00\x00\x00" + os.urandom(11)).decode("ascii")


class Person:
    """A mailbox as written in t:Mailbox: display name and SMTP address."""

    __slots__ = ("name", "address")

    def __init__(self, name, address):
        self.name = name or address
        self.address = address

    def copy(self):
        return Person(self.name, self.address)


class Attendee:
    """An entry of RequiredAttendees / OptionalAttendees / Resources."""

    __slots__ = ("name", "address", "role", "response_type", "last_response_time",
                 "proposed_start", "proposed_end")

    def __init__(self, name, address, role, response_type="Unknown"):
        self.name = name or address
        self.address = address
        self.role = role  # "Required", "Optional" or "Resource"
        self.response_type = response_type
        self.last_response_time = None
        self.proposed_start = None
        self.proposed_end = None

    def copy(self):
        a = Attendee(self.name, self.address, self.role, self.response_type)
        a.last_response_time = self.last_response_time
        a.proposed_start = self.proposed_start
        a.proposed_end = self.proposed_end
        return a


class Attachment:
    """A file attached to an item (t:FileAttachment): its bytes and what describes them.

    token is the AttachmentId the store hands out (None until the item is stored); a copy
    carried onto another item (a meeting request, an attendee's calendar item) is another
    attachment with its own id, as in Exchange, where each item holds its own attachments.
    """

    __slots__ = ("token", "name", "content_type", "content_id", "content", "is_inline",
                 "last_modified")

    def __init__(self, name, content, content_type=None, content_id=None, is_inline=False):
        self.token = None
        self.name = name
        self.content = content
        self.content_type = content_type
        self.content_id = content_id
        self.is_inline = is_inline
        self.last_modified = timeutil.now()

    @property
    def size(self):
        return len(self.content)

    def copy(self):
        a = Attachment(self.name, self.content, self.content_type, self.content_id,
                       self.is_inline)
        a.last_modified = self.last_modified
        return a


class Item:
    """One stored item: a calendar item, a meeting message or a plain message.

    kind is the t: element name it is rendered as: CalendarItem, Message, MeetingRequest,
    MeetingResponse or MeetingCancellation. Fields not relevant to a kind stay None.
    """

    def __init__(self, kind, item_class):
        self.kind = kind
        self.item_class = item_class
        self.key = None
        self.token = None
        self.change_key = None
        self.mailbox = None
        self.folder = None
        self.seq = 0
        self.subject = ""
        self.body = ""
        self.body_type = "Text"
        self.sensitivity = "Normal"
        self.importance = "Normal"
        self.created = None
        self.received = None
        self.sent = None
        self.last_modified = None
        self.is_read = True
        self.is_draft = False
        self.is_from_me = False
        self.is_submitted = False
        self.reminder_is_set = None
        self.reminder_minutes = None
        self.sender = None
        self.from_ = None
        self.to = []
        # Calendar fields (calendar items and meeting messages).
        self.uid = None
        self.start = None
        self.end = None
        self.is_all_day = False
        self.legacy_free_busy = "Busy"
        self.intended_free_busy = None
        self.location = None
        self.organizer = None
        self.attendees = []
        self.is_meeting = False
        self.is_cancelled = False
        self.meeting_request_was_sent = False
        self.is_response_requested = None
        self.my_response_type = None
        self.sequence = 0
        self.reply_time = None
        self.recurrence = None
        self.tz_windows = None
        self.exceptions = {}  # instance index -> overrides (dict)
        self.deleted_occurrences = set()
        # Meeting-message fields.
        self.associated_key = None
        self.meeting_request_type = None
        self.response_type = None
        self.is_out_of_date = False
        self.has_been_processed = False
        self.recurrence_id = None  # original start of the instance a message is about
        self.instance_index = None
        self.proposed_start = None
        self.proposed_end = None
        self.date_time_stamp = None
        self.attachments = []  # [Attachment], in the order they were attached

    @property
    def calendar_item_type(self):
        """Single / RecurringMaster, or Exception for a message about one instance."""
        if self.recurrence is not None:
            return "RecurringMaster"
        if self.instance_index is not None:
            return "Exception"
        return "Single"

    @property
    def is_occurrence(self):
        return False

    @property
    def original_start(self):
        return None

    def attendee(self, address):
        """The Attendee with this address (case-insensitive), or None."""
        low = address.lower()
        for a in self.attendees:
            if a.address.lower() == low:
                return a
        return None


class OccurrenceView:
    """One instance of a recurring master, seen as an item (CalendarView, OccurrenceItemId).

    Reads fall through to the master unless the instance has an override (an Exception).
    """

    _OVERRIDABLE = ("start", "end", "subject", "location", "body", "body_type", "sensitivity",
                    "my_response_type", "is_cancelled", "legacy_free_busy", "change_key",
                    "reply_time")

    def __init__(self, store, master, index, original_start, original_end):
        self.store = store
        self.master = master
        self.index = index
        self.original_start = original_start
        self.original_end = original_end

    @property
    def is_occurrence(self):
        return True

    @property
    def overrides(self):
        return self.master.exceptions.get(self.index, {})

    @property
    def calendar_item_type(self):
        ov = self.overrides
        moved = ov.get("start") is not None or ov.get("end") is not None
        changed = any(k in ov for k in ("subject", "location", "body", "sensitivity",
                                        "is_cancelled"))
        return "Exception" if (moved or changed) else "Occurrence"

    @property
    def token(self):
        return self.store.occurrence_token(self.master, self.index)

    @property
    def recurrence(self):
        return None

    @property
    def recurrence_id(self):
        return self.original_start

    @property
    def attendees(self):
        # Per-instance responses recorded on the organizer's master override the series'.
        responses = self.overrides.get("responses", {})
        out = []
        for a in self.master.attendees:
            c = a.copy()
            if a.address.lower() in responses:
                c.response_type, c.last_response_time = responses[a.address.lower()]
            out.append(c)
        return out

    def attendee(self, address):
        low = address.lower()
        for a in self.attendees:
            if a.address.lower() == low:
                return a
        return None

    def __getattr__(self, name):
        if name in OccurrenceView._OVERRIDABLE:
            ov = self.master.exceptions.get(self.index, {})
            if name in ("start", "end"):
                if ov.get(name) is not None:
                    return ov[name]
                return self.original_start if name == "start" else self.original_end
            if name in ov:
                return ov[name]
        return getattr(self.master, name)


class Folder:
    __slots__ = ("name", "display_name", "folder_class", "token", "change_key", "items",
                 "mailbox")

    def __init__(self, mailbox, name, token):
        self.mailbox = mailbox
        self.name = name
        if name in ROOT_FOLDERS:
            self.display_name, self.folder_class, _ = ROOT_FOLDERS[name]
        else:
            self.display_name, self.folder_class = FOLDERS[name]
        self.token = token
        self.change_key = "AQAAAA=="
        self.items = {}  # key -> Item, in insertion order

    def unread_count(self):
        return sum(1 for i in self.items.values()
                   if i.kind != "CalendarItem" and not i.is_read)


class Mailbox:
    def __init__(self, address, name, password):
        self.address = address
        self.name = name
        self.password = password
        self.folders = {}
        self.roots = {}  # ROOT_FOLDERS: no items, not in the dump

    def person(self):
        return Person(self.name, self.address)


class Store:
    """All mailboxes and the id registry. Callers hold store.lock around every operation."""

    def __init__(self):
        self.lock = threading.RLock()
        self.mailboxes = {}  # lower-case address -> Mailbox
        self.groups = {}  # lower-case address -> ops_expand.Group (--group)
        self.items = {}  # key -> Item
        self._by_token = {}  # id -> ("item", key) | ("occ", key, index) | ("folder", Folder)
        self._occ_tokens = {}  # (master key, index) -> id
        self._next_key = 1
        self._secret = os.urandom(16)
        self.flavor = flavor_mod.Flavor()
        # Callables (event, item) with event "added" / "modified" / "removed", called with
        # the lock held after an item entered a folder or changed, before it leaves one
        # (the sync journal and streaming subscriptions listen; see ops_sync, ops_notify).
        self.observers = []

    def _observe(self, event, item):
        for observer in self.observers:
            observer(event, item)

    # --- ids --------------------------------------------------------------------------------

    def _new_token(self, kind):
        while True:
            payload = bytes([_ID_VERSION, kind]) + os.urandom(20)
            mac = hashlib.sha256(self._secret + payload).digest()[:4]
            token = base64.b64encode(payload + mac).decode("ascii")
            if token not in self._by_token:
                return token

    def check_token(self, token):
        """Raise ErrorInvalidIdMalformed unless token is an id this simulator could issue."""
        if token is None or token.strip() == "":
            raise EwsError("ErrorInvalidIdEmpty")
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise EwsError("ErrorInvalidIdMalformed")
        if len(raw) != _ID_LEN or raw[0] != _ID_VERSION:
            raise EwsError("ErrorInvalidIdMalformed")
        if hashlib.sha256(self._secret + raw[:-4]).digest()[:4] != raw[-4:]:
            raise EwsError("ErrorInvalidIdMalformed")
        return raw[1]

    def occurrence_token(self, master, index):
        key = (master.key, index)
        token = self._occ_tokens.get(key)
        if token is None:
            token = self._new_token(_KIND_OCCURRENCE)
            self._occ_tokens[key] = token
            self._by_token[token] = ("occ", master.key, index)
        return token

    def lookup(self, token):
        """What an id names: ("item", Item) | ("occ", master Item, index) | ("folder", Folder).

        Raises ErrorInvalidIdMalformed / ErrorItemNotFound.
        """
        self.check_token(token)
        entry = self._by_token.get(token)
        if entry is None:
            raise EwsError("ErrorItemNotFound")
        if entry[0] == "item":
            return ("item", self.items[entry[1]])
        if entry[0] == "occ":
            master = self.items.get(entry[1])
            if master is None:
                raise EwsError("ErrorItemNotFound")
            return ("occ", master, entry[2])
        if entry[0] == "att":
            raise EwsError("ErrorInvalidIdMalformed",
                           "An attachment id cannot be used as an item or folder id.")
        return entry

    def lookup_attachment(self, token):
        """(Item, Attachment) an AttachmentId names.

        ErrorInvalidIdMalformed for an id the simulator could not have issued,
        ErrorInvalidAttachmentId for the id of an item, occurrence or folder, and
        ErrorItemNotFound for an attachment that was deleted (or whose item was).
        """
        self.check_token(token)
        entry = self._by_token.get(token)
        if entry is None:
            raise EwsError("ErrorItemNotFound")
        if entry[0] != "att":
            raise EwsError("ErrorInvalidAttachmentId")
        item = self.items.get(entry[1])
        for att in item.attachments if item is not None else ():
            if att.token == token:
                return item, att
        raise EwsError("ErrorItemNotFound")

    def _register_attachments(self, item, renew=False):
        """Give item's attachments ids (new ones for all of them with renew)."""
        if item.key is None:
            return  # not stored yet: store.add() names them
        for att in item.attachments:
            if renew and att.token is not None:
                self._by_token.pop(att.token, None)
                att.token = None
            if att.token is None:
                att.token = self._new_token(_KIND_ATTACHMENT)
                self._by_token[att.token] = ("att", item.key)

    def add_attachment(self, item, att):
        """Attach att to a stored item (CreateAttachment): a new id, a new ChangeKey."""
        item.attachments.append(att)
        self.touch(item)
        return att

    def remove_attachment(self, item, att):
        """Delete one attachment of item (DeleteAttachment); its id becomes unknown."""
        item.attachments.remove(att)
        self._by_token.pop(att.token, None)
        self.touch(item)

    # --- mailboxes and folders --------------------------------------------------------------

    def add_mailbox(self, address, name, password):
        mbx = Mailbox(address, name, password)
        for fname in list(FOLDERS) + list(ROOT_FOLDERS):
            token = self._new_token(_KIND_FOLDER)
            folder = Folder(mbx, fname, token)
            self._by_token[token] = ("folder", folder)
            (mbx.roots if fname in ROOT_FOLDERS else mbx.folders)[fname] = folder
        self.mailboxes[address.lower()] = mbx
        return mbx

    def delivery_mailboxes(self, address):
        """The Mailboxes a message to ADDRESS reaches: the mailbox, or the members of a
        distribution group (--group) and of the groups in it, each once; [] for an address
        outside the simulator."""
        out, seen, todo = [], set(), [address]
        while todo:
            addr = todo.pop(0).strip().lower()
            if addr in seen:
                continue
            seen.add(addr)
            group = self.groups.get(addr)
            if group is not None:
                todo.extend(group.members)
            elif addr in self.mailboxes and self.mailboxes[addr] not in out:
                out.append(self.mailboxes[addr])
        return out

    def mailbox(self, address):
        """The Mailbox for an SMTP address (case-insensitive), or None."""
        if not address:
            return None
        return self.mailboxes.get(address.strip().lower())

    # --- items ------------------------------------------------------------------------------

    def add(self, mailbox, folder_name, item, received=None):
        """Store item in mailbox's folder: assign key, id, ChangeKey and timestamps."""
        now = timeutil.now()
        item.key = self._next_key
        self._next_key += 1
        item.seq = item.key
        item.mailbox = mailbox
        item.folder = mailbox.folders[folder_name]
        item.token = self._new_token(_KIND_ITEM)
        item.change_key = new_change_key()
        item.created = item.created or now
        item.received = received or item.received or now
        item.last_modified = now
        self.items[item.key] = item
        self._by_token[item.token] = ("item", item.key)
        item.folder.items[item.key] = item
        self._register_attachments(item)
        self._observe("added", item)
        return item

    def touch(self, item):
        """Record a modification: new ChangeKey, LastModifiedTime (and ids for attachments
        the modification brought)."""
        item.change_key = new_change_key()
        item.last_modified = timeutil.now()
        self._register_attachments(item)
        if item.key in self.items:
            self._observe("modified", item)

    def move(self, item, folder_name):
        """Move item to another folder of its mailbox; it gets a new id and ChangeKey."""
        if item.folder.name == folder_name:
            return item
        self._observe("removed", item)
        del item.folder.items[item.key]
        del self._by_token[item.token]
        item.token = self._new_token(_KIND_ITEM)
        self._by_token[item.token] = ("item", item.key)
        item.folder = item.mailbox.folders[folder_name]
        item.folder.items[item.key] = item
        # Exchange's attachment ids embed their item's id: they change with it.
        self._register_attachments(item, renew=True)
        self._observe("added", item)
        self.touch(item)
        return item

    def delete(self, item):
        """Remove item for good; its id (and its occurrences' ids) become unknown."""
        if item.key in self.items:
            self._observe("removed", item)
        item.folder.items.pop(item.key, None)
        self._by_token.pop(item.token, None)
        self.items.pop(item.key, None)
        for att in item.attachments:
            self._by_token.pop(att.token, None)
        for (mkey, index) in [k for k in self._occ_tokens if k[0] == item.key]:
            self._by_token.pop(self._occ_tokens.pop((mkey, index)), None)

    def calendar_item_by_uid(self, mailbox, uid):
        """The series or single calendar item with this UID in mailbox's calendar, or None."""
        if uid is None:
            return None
        for item in mailbox.folders["calendar"].items.values():
            if item.kind == "CalendarItem" and item.uid == uid:
                return item
        return None

    def messages_by_uid(self, mailbox, uid, kinds):
        """Meeting messages of the given kinds about uid, in every folder of mailbox."""
        out = []
        for folder in mailbox.folders.values():
            for item in folder.items.values():
                if item.kind in kinds and item.uid == uid:
                    out.append(item)
        return out
