"""What every operation needs: the acting mailbox, and folder / item id resolution.

Access rules (as Exchange answers them, see README "Access"): an item or folder id of
another mailbox is ErrorItemNotFound / ErrorFolderNotFound (Exchange does not reveal that
it exists); naming another existing mailbox explicitly in DistinguishedFolderId/Mailbox
without delegate rights is ErrorAccessDenied; naming a mailbox that does not exist is
ErrorNonExistentMailbox.
"""

import item_faults
import meeting
import store as store_mod
from soap import EwsError, t
from store import OccurrenceView


class OpContext:
    """One request: the store, the mailbox it acts as (None: a service account acting as
    itself, which has no mailbox), and the TimeZoneContext zone (tzinfo or None)."""

    def __init__(self, store, mailbox, header_zone=None, header_zone_id=None):
        self.store = store
        self.mailbox = mailbox
        self.header_zone = header_zone
        self.header_zone_id = header_zone_id

    def require_mailbox(self):
        if self.mailbox is None:
            raise EwsError("ErrorNonExistentMailbox")
        return self.mailbox

    # --- folders ----------------------------------------------------------------------------

    def resolve_folder(self, elem):
        """t:DistinguishedFolderId / t:FolderId -> Folder of the acting mailbox."""
        if elem.tag == t("DistinguishedFolderId"):
            name = elem.get("Id")
            mbx_elem = elem.find(t("Mailbox"))
            if mbx_elem is not None:
                address = (mbx_elem.findtext(t("EmailAddress")) or "").strip()
                other = self.store.mailbox(address)
                if other is None:
                    raise EwsError("ErrorNonExistentMailbox")
                if other is not self.mailbox:
                    raise EwsError("ErrorAccessDenied")
            mailbox = self.require_mailbox()
            if name in store_mod.ROOT_FOLDERS:
                return mailbox.roots[name]
            if name not in store_mod.FOLDERS:
                raise EwsError("ErrorFolderNotFound",
                               "The simulator has no '%s' folder." % name)
            return mailbox.folders[name]
        if elem.tag == t("FolderId"):
            mailbox = self.require_mailbox()
            kind = self.store.lookup(elem.get("Id"))
            if kind[0] != "folder":
                raise EwsError("ErrorCannotUseItemIdForFolderId",
                               "An item id cannot be used as a folder id.")
            folder = kind[1]
            if folder.mailbox is not mailbox:
                raise EwsError("ErrorFolderNotFound")
            return folder
        raise EwsError("ErrorFolderNotFound", "Unsupported folder id %s." % elem.tag)

    def target_folder(self, parent, default):
        """m:SavedItemFolderId (or similar) -> Folder; default folder name if absent."""
        if parent is None or len(parent) == 0:
            return self.require_mailbox().folders[default]
        return self.resolve_folder(parent[0])

    # --- items ------------------------------------------------------------------------------

    def _own_item(self, item):
        if item.mailbox is not self.require_mailbox():
            raise EwsError("ErrorItemNotFound")
        return item

    def occurrence(self, master, index):
        """OccurrenceView of master's instance index, refusing deleted / out-of-range ones."""
        if master.kind != "CalendarItem" or master.recurrence is None:
            raise EwsError("ErrorCalendarCannotUseIdForOccurrenceId")
        if index in master.deleted_occurrences:
            raise EwsError("ErrorCalendarOccurrenceIsDeletedFromRecurrence")
        orig = meeting.instance_times(master, index)
        if orig is None:
            raise EwsError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange")
        return OccurrenceView(self.store, master, index, orig[0], orig[1])

    def resolve_token(self, token):
        """An ItemId's Id -> Item or OccurrenceView of the acting mailbox."""
        self.require_mailbox()
        kind = self.store.lookup(token)
        if kind[0] == "folder":
            raise EwsError("ErrorCannotUseFolderIdForItemId",
                           "A folder id cannot be used as an item id.")
        if kind[0] == "occ":
            return self.occurrence(self._own_item(kind[1]), kind[2])
        return self._own_item(kind[1])

    def resolve_item(self, elem):
        """t:ItemId / t:OccurrenceItemId / t:RecurringMasterItemId -> Item or OccurrenceView;
        a per-item fault of the test (item_faults.py) fails it instead; CreateItem and
        UpdateItem apply theirs where they process the item."""
        item = self._resolve_item(elem)
        operation = getattr(self, "op_name", None)
        if operation not in item_faults.DEFAULT_OPERATIONS:
            item_faults.fail(self.store, operation, item)
        return item

    def _resolve_item(self, elem):
        if elem.tag in (t("ItemId"), t("ReferenceItemId")):
            return self.resolve_token(elem.get("Id"))
        if elem.tag == t("OccurrenceItemId"):
            master = self.resolve_token(elem.get("RecurringMasterId"))
            if master.is_occurrence:
                raise EwsError("ErrorCalendarCannotUseIdForOccurrenceId")
            try:
                index = int(elem.get("InstanceIndex"))
            except (TypeError, ValueError):
                raise EwsError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange")
            if index < 1:
                raise EwsError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange")
            return self.occurrence(master, index)
        if elem.tag == t("RecurringMasterItemId"):
            occ = self.resolve_token(elem.get("OccurrenceId"))
            if not occ.is_occurrence:
                raise EwsError("ErrorCalendarCannotUseIdForRecurringMasterId")
            return occ.master
        raise EwsError("ErrorInvalidRequest", "Unsupported item id %s." % elem.tag)

    def check_change_key(self, item, elem, resolution):
        """ErrorIrresolvableConflict for a stale ChangeKey unless AlwaysOverwrite."""
        ck = elem.get("ChangeKey")
        if ck is None or resolution == "AlwaysOverwrite":
            return
        if ck != item.change_key:
            raise EwsError("ErrorIrresolvableConflict")
