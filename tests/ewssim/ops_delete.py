"""DeleteItem: HardDelete, SoftDelete, MoveToDeletedItems; meeting cancellations.

SendMeetingCancellations is required for calendar items
(ErrorSendMeetingCancellationsRequired). When the organizer deletes a meeting (or one
occurrence) with SendOnlyToAll / SendToAllAndSaveCopy, every attendee is sent a
MeetingCancellation; an attendee deleting its own copy sends nothing. SoftDelete takes the
item out of every folder (Exchange keeps it in Recoverable Items, which the simulator does
not model); MoveToDeletedItems on an item already in Deleted Items deletes it.
"""

import meeting
from soap import EwsError, error_message, m, response_message


def _delete_one(ctx, op, id_elem):
    mbx = ctx.require_mailbox()
    item = ctx.resolve_item(id_elem)
    mode = op.get("SendMeetingCancellations")
    delete_type = op.get("DeleteType", "MoveToDeletedItems")
    if item.kind == "CalendarItem" and mode is None:
        raise EwsError("ErrorSendMeetingCancellationsRequired")
    sending = mode in ("SendOnlyToAll", "SendToAllAndSaveCopy")
    save_copy = mode == "SendToAllAndSaveCopy"
    if item.is_occurrence:
        master = item.master
        if sending and meeting.is_organizer_item(master) and master.is_meeting:
            meeting.cancel_meeting(ctx.store, mbx, item, save_copy, instance=item.index)
        else:
            master.deleted_occurrences.add(item.index)
            master.exceptions.pop(item.index, None)
            ctx.store.touch(master)
        return
    if sending and meeting.is_organizer_item(item) and item.is_meeting:
        meeting.cancel_meeting(ctx.store, mbx, item, save_copy)
    if delete_type == "MoveToDeletedItems" and item.folder.name != "deleteditems":
        ctx.store.move(item, "deleteditems")
    else:
        ctx.store.delete(item)


def delete_item(ctx, op):
    messages = []
    for id_elem in op.find(m("ItemIds")):
        try:
            _delete_one(ctx, op, id_elem)
        except EwsError as err:
            messages.append(error_message("DeleteItem", err))
            continue
        messages.append(response_message("DeleteItem"))
    return messages
