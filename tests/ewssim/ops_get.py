"""GetItem and GetFolder: one response message per requested id."""

import xml.etree.ElementTree as ET

import render
from soap import EwsError, error_message, m, response_message


def get_item(ctx, op):
    shape = render.parse_shape(op.find(m("ItemShape")), for_find=False)
    messages = []
    for id_elem in op.find(m("ItemIds")):
        try:
            item = ctx.resolve_item(id_elem)
        except EwsError as err:
            msg = error_message("GetItem", err)
            ET.SubElement(msg, m("Items"))
            messages.append(msg)
            continue
        msg = response_message("GetItem")
        render.render_item(ctx.store, item, ET.SubElement(msg, m("Items")), shape)
        messages.append(msg)
    return messages


def get_folder(ctx, op):
    shape = render.parse_shape(op.find(m("FolderShape")), for_find=False)
    messages = []
    for folder_elem in op.find(m("FolderIds")):
        try:
            folder = ctx.resolve_folder(folder_elem)
        except EwsError as err:
            messages.append(error_message("GetFolder", err))
            continue
        msg = response_message("GetFolder")
        render.render_folder(folder, ET.SubElement(msg, m("Folders")), shape)
        messages.append(msg)
    return messages
