"""CreateAttachment, DeleteAttachment and GetAttachment: file attachments of stored items.

Microsoft's reference (createattachment-operation, deleteattachment-operation,
getattachment-operation, "Delete attachments by using EWS"):
- CreateAttachment: m:ParentItemId and m:Attachments; one CreateAttachmentResponseMessage per
  attachment, each holding m:Attachments/t:FileAttachment/t:AttachmentId with Id, RootItemId
  and RootItemChangeKey (the item's ChangeKey changes with every attachment, so the last
  message carries the current one). A FileAttachment without Name is
  ErrorRequiredPropertyMissing; errors keep the (empty) m:Attachments the schema requires.
- DeleteAttachment: m:AttachmentIds (RequestAttachmentIdType: Id only); one
  DeleteAttachmentResponseMessage per id with m:RootItemId RootItemId / RootItemChangeKey
  (the item's new ChangeKey).
- GetAttachment: m:AttachmentIds; the attachment with its base64 t:Content.

Ids: an AttachmentId of another mailbox's item, or of an attachment already deleted, is
ErrorItemNotFound; an item, occurrence or folder id is ErrorInvalidAttachmentId; an id the
simulator could not have issued is ErrorInvalidIdMalformed.
"""

import xml.etree.ElementTree as ET

import parse
import render
from soap import EwsError, error_message, m, response_message


def _own_attachment(ctx, token):
    mbx = ctx.require_mailbox()
    item, att = ctx.store.lookup_attachment(token)
    if item.mailbox is not mbx:
        raise EwsError("ErrorItemNotFound")
    return item, att


def create_attachment(ctx, op):
    parent_elem = op.find(m("ParentItemId"))
    messages = []
    for elem in op.find(m("Attachments")):
        try:
            ctx.require_mailbox()
            parent = ctx.resolve_token(parent_elem.get("Id"))
            if parent.is_occurrence:
                raise EwsError("ErrorInvalidOperation",
                               "The simulator does not attach files to one occurrence.")
            att = parse.parse_attachments([elem])[0]
            ctx.store.add_attachment(parent, att)
        except EwsError as err:
            msg = error_message("CreateAttachment", err)
            ET.SubElement(msg, m("Attachments"))
            messages.append(msg)
            continue
        msg = response_message("CreateAttachment")
        render.render_attachment(ET.SubElement(msg, m("Attachments")), att, root=parent)
        messages.append(msg)
    return messages


def delete_attachment(ctx, op):
    messages = []
    for id_elem in op.find(m("AttachmentIds")):
        try:
            item, att = _own_attachment(ctx, id_elem.get("Id"))
            ctx.store.remove_attachment(item, att)
        except EwsError as err:
            messages.append(error_message("DeleteAttachment", err))
            continue
        msg = response_message("DeleteAttachment")
        ET.SubElement(msg, m("RootItemId"), {"RootItemId": item.token,
                                             "RootItemChangeKey": item.change_key})
        messages.append(msg)
    return messages


def get_attachment(ctx, op):
    messages = []
    for id_elem in op.find(m("AttachmentIds")):
        try:
            _, att = _own_attachment(ctx, id_elem.get("Id"))
        except EwsError as err:
            msg = error_message("GetAttachment", err)
            ET.SubElement(msg, m("Attachments"))
            messages.append(msg)
            continue
        msg = response_message("GetAttachment")
        render.render_attachment(ET.SubElement(msg, m("Attachments")), att, content=True)
        messages.append(msg)
    return messages
