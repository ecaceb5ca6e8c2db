"""SyncFolderItems: what changed in a folder since the client's SyncState.

The simulator keeps a journal of every change to every folder (the store's observers), in
the order they happened, numbered by one store-wide sequence. A SyncState is opaque to
the client but encodes what the client has seen, as Exchange's ICS states do: the folder
it belongs to, the simulator run that issued it, and the sequence number of the last
change reported, under a keyed checksum. From it the simulator computes, per item:
  - Create: the item entered the folder after the state (new, delivered or moved in);
  - Update: an item the client has seen changed (a ChangeKey change);
  - ReadFlagChange: only its read flag changed;
  - Delete: an item the client has seen left the folder (deleted or moved away).
Several changes to one item collapse into one; an item that came and went after the state
is not reported. Changes come in the order of their last modification; with more than
MaxChangesReturned, the first ones are returned with IncludesLastItemInRange false and a
state that covers exactly them, so the next call continues where this one stopped. The
same state sent twice gets the same answer (a client may retry).

ErrorInvalidSyncStateData: a state that is not base64, fails its checksum, names another
folder, was issued by another run of the simulator (Exchange loses nothing on a restart,
but a client must survive it anyway), or is older than the journal's floor (POST
/sim/sync/expire moves the floor to now: every state issued before is too old).
"""

import base64
import bisect
import binascii
import hashlib
import hmac
import os
import struct
import xml.etree.ElementTree as ET

import render
from soap import EwsError, SoapFault, error_message, m, response_message, t

_STATE_MAGIC = b"SS1"
_STATE_FORMAT = ">8s8sQ"  # folder digest, run id, sequence number of the last change seen
_MAC_LEN = 8


class FolderLog:
    """The changes of one folder, keyed by item id (a move gives an item a new id)."""

    __slots__ = ("seqs", "tokens", "last", "born", "gone", "content", "read", "seen")

    def __init__(self):
        # Every change in order (sequence numbers ascending): a sync reads only the tail
        # after its state, so an idle sync costs the same whatever the folder holds.
        self.seqs = []
        self.tokens = []
        self.last = {}  # id -> sequence number of its last change in this folder
        self.born = {}  # id -> when it entered the folder
        self.gone = {}  # id -> when it left the folder
        self.content = {}  # id -> last change other than the read flag
        self.read = {}  # id -> last change of the read flag alone
        self.seen = {}  # id -> (fingerprint, is_read) at its last change


def _fingerprint(item):
    """What a change to item other than its read flag alters (coarse on purpose: a change
    this misses is still reported, as Update, since only the read flag decides
    ReadFlagChange)."""
    return (item.subject, item.body, item.start, item.end, item.location, item.is_cancelled,
            item.my_response_type, item.is_out_of_date, item.meeting_request_type,
            item.response_type, item.sequence, item.sensitivity, item.importance,
            item.has_been_processed, len(item.attachments), len(item.exceptions),
            len(item.deleted_occurrences),
            tuple((a.address, a.response_type) for a in item.attendees))


class SyncJournal:
    """Every folder change since the simulator started; a store observer."""

    def __init__(self, store):
        self.store = store
        self.seq = 0
        self.floor = 0  # states below this are too old
        self.run_id = os.urandom(8)
        self.secret = os.urandom(16)
        self.logs = {}  # folder token -> FolderLog
        store.observers.append(self.observe)

    def _log(self, folder):
        log = self.logs.get(folder.token)
        if log is None:
            log = self.logs[folder.token] = FolderLog()
        return log

    def observe(self, event, item):
        self.seq += 1
        log = self._log(item.folder)
        token = item.token
        log.last[token] = self.seq
        log.seqs.append(self.seq)
        log.tokens.append(token)
        if event == "removed":
            log.gone[token] = self.seq
            log.seen.pop(token, None)
            return
        now = (_fingerprint(item), item.is_read)
        before = log.seen.get(token)
        if event == "modified" and before is not None and before[0] == now[0] \
                and before[1] != now[1]:
            log.read[token] = self.seq
        else:
            log.content[token] = self.seq
        if event == "added":
            log.born[token] = self.seq
        log.seen[token] = now

    def expire_states(self):
        """Every state issued so far becomes too old (ErrorInvalidSyncStateData)."""
        self.floor = self.seq + 1

    # --- states -----------------------------------------------------------------------------

    def _folder_digest(self, folder):
        return hashlib.sha256(folder.token.encode("ascii")).digest()[:8]

    def encode_state(self, folder, seq):
        body = _STATE_MAGIC + struct.pack(_STATE_FORMAT, self._folder_digest(folder),
                                          self.run_id, seq)
        mac = hmac.new(self.secret, body, hashlib.sha256).digest()[:_MAC_LEN]
        return base64.b64encode(body + mac).decode("ascii")

    def decode_state(self, folder, text):
        """The sequence number a state covers; EwsError ErrorInvalidSyncStateData."""
        if text is None or not text.strip():
            return 0
        try:
            raw = base64.b64decode(text.strip().encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise EwsError("ErrorInvalidSyncStateData")
        size = len(_STATE_MAGIC) + struct.calcsize(_STATE_FORMAT)
        if len(raw) != size + _MAC_LEN or not raw.startswith(_STATE_MAGIC):
            raise EwsError("ErrorInvalidSyncStateData")
        body, mac = raw[:size], raw[size:]
        if not hmac.compare_digest(hmac.new(self.secret, body,
                                            hashlib.sha256).digest()[:_MAC_LEN], mac):
            raise EwsError("ErrorInvalidSyncStateData")
        digest, run_id, seq = struct.unpack(_STATE_FORMAT, body[len(_STATE_MAGIC):])
        if digest != self._folder_digest(folder) or run_id != self.run_id:
            raise EwsError("ErrorInvalidSyncStateData")
        if seq < self.floor or seq > self.seq:
            raise EwsError("ErrorInvalidSyncStateData")
        return seq

    # --- changes ----------------------------------------------------------------------------

    def changes(self, folder, since, ignore=()):
        """[(seq, kind, token)] after `since`, oldest first; kind Create / Update /
        ReadFlagChange / Delete."""
        log = self._log(folder)
        out = []
        for i in range(bisect.bisect_right(log.seqs, since), len(log.seqs)):
            token, last = log.tokens[i], log.seqs[i]
            if log.last[token] != last or token in ignore:
                continue  # reported at its last change
            existed = log.born.get(token, 0) <= since
            present = token not in log.gone
            if existed and not present:
                out.append((last, "Delete", token))
            elif not existed and present:
                out.append((last, "Create", token))
            elif existed and present:
                if log.content.get(token, 0) > since:
                    out.append((last, "Update", token))
                elif log.read.get(token, 0) > since:
                    out.append((last, "ReadFlagChange", token))
        return out


def journal_of(store):
    journal = getattr(store, "sync_journal", None)
    if journal is None:
        # --no-sync-folder-items: answered as every operation the simulator lacks.
        raise SoapFault("ErrorInvalidRequest",
                        "The simulator does not implement the SyncFolderItems operation.")
    return journal


def _max_changes(op):
    try:
        value = int((op.findtext(m("MaxChangesReturned")) or "").strip())
    except ValueError:
        raise EwsError("ErrorInvalidRequest", "MaxChangesReturned is not a number.")
    if not 1 <= value <= 512:
        raise EwsError("ErrorInvalidRequest", "MaxChangesReturned must be 1 to 512.")
    return value


def _render_change(ctx, changes, kind, token, shape):
    if kind == "Delete":
        elem = ET.SubElement(changes, t("Delete"))
        ET.SubElement(elem, t("ItemId"), {"Id": token})
        return
    item = ctx.store.lookup(token)[1]
    elem = ET.SubElement(changes, t(kind))
    if kind == "ReadFlagChange":
        ET.SubElement(elem, t("ItemId"), {"Id": item.token, "ChangeKey": item.change_key})
        ET.SubElement(elem, t("IsRead")).text = "true" if item.is_read else "false"
        return
    render.render_item(ctx.store, item, elem, shape)


def sync_folder_items(ctx, op):
    journal = journal_of(ctx.store)
    shape = render.parse_shape(op.find(m("ItemShape")), for_find=True)
    target = op.find(m("SyncFolderId"))
    try:
        if target is None or len(target) != 1:
            raise EwsError("ErrorInvalidRequest", "SyncFolderId names no folder.")
        folder = ctx.resolve_folder(target[0])
        since = journal.decode_state(folder, op.findtext(m("SyncState")))
        limit = _max_changes(op)
        ignore = set()
        ignore_elem = op.find(m("Ignore"))
        if ignore_elem is not None:
            ignore = {e.get("Id") for e in ignore_elem}
    except EwsError as err:
        return [error_message("SyncFolderItems", err)]
    pending = journal.changes(folder, since, ignore)
    page = pending[:limit]
    upto = page[-1][0] if len(pending) > limit else journal.seq
    msg = response_message("SyncFolderItems")
    ET.SubElement(msg, m("SyncState")).text = journal.encode_state(folder, upto)
    ET.SubElement(msg, m("IncludesLastItemInRange")).text = \
        "true" if len(pending) <= limit else "false"
    changes = ET.SubElement(msg, m("Changes"))
    for _, kind, token in page:
        _render_change(ctx, changes, kind, token, shape)
    return [msg]
