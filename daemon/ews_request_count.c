/*
 * ews_request_count: how many response messages one of our own request envelopes calls for
 * (ews_parse.h). Every EWS call asks it once, so it scans the envelope's tags (xml_scan.h)
 * instead of parsing it into a tree: the envelope is ours (ews_build) and well-formed.
 * Element names are matched by their local part: our envelopes give each namespace one
 * prefix, and nothing else is read.
 */
#include "ews_parse.h"

#include <stdbool.h>
#include <string.h>

#include "xml_scan.h"

/* The containers whose children each get one response message, in request order. */
static const char *const request_lists[] = {"ItemIds",    "Items",           "ItemChanges",
                                            "FolderIds",  "ParentFolderIds", "AttachmentIds",
                                            "Attachments"};

static bool named(const struct xml_construct *t, const char *name)
{
    return t->name_len == strlen(name) && memcmp(t->name, name, t->name_len) == 0;
}

static bool is_request_list(const struct xml_construct *t)
{
    for (size_t i = 0; i < sizeof(request_lists) / sizeof(request_lists[0]); i++)
        if (named(t, request_lists[i]))
            return true;
    return false;
}

/* Depths: Envelope 0, Body 1, the operation 2, its lists 3, their entries 4. */
enum { BODY_DEPTH = 1, OPERATION_DEPTH = 2, LIST_DEPTH = 3, ENTRY_DEPTH = 4 };

size_t ews_request_message_count(const char *envelope, size_t len)
{
    if (envelope == NULL || len == 0)
        return 0;
    struct xml_construct t;
    int depth = 0;
    bool in_body = false, in_operation = false, in_list = false;
    size_t count = 0;
    for (const char *lt = memchr(envelope, '<', len); lt != NULL;
         lt = memchr(envelope + t.end, '<', len - t.end)) {
        if (xml_scan_construct(envelope, len, (size_t)(lt - envelope), &t) != 1)
            return 0;
        if (t.kind == XML_END) {
            depth--;
            if (depth == LIST_DEPTH)
                in_list = false;
            else if (depth == OPERATION_DEPTH && in_operation)
                return count > 0 ? count : 1; /* SyncFolderItems, GetUserAvailability...: one */
            else if (depth == BODY_DEPTH)
                in_body = false;
            if (depth < 0)
                return 0;
            continue;
        }
        if (t.kind != XML_START)
            continue; /* the declaration */
        if (depth == BODY_DEPTH && named(&t, "Body"))
            in_body = !t.empty;
        else if (depth == OPERATION_DEPTH && in_body)
            in_operation = true;
        else if (depth == LIST_DEPTH && in_operation && count == 0)
            in_list = !t.empty && is_request_list(&t);
        else if (depth == ENTRY_DEPTH && in_list)
            count++;
        if (depth == OPERATION_DEPTH && in_operation && t.empty)
            return 1;
        if (!t.empty)
            depth++;
    }
    return 0; /* not an envelope we can read to its operation's end */
}
