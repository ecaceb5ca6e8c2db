/*
 * ews_request_count: how many response messages one of our own request envelopes calls for
 * (ews_parse.h). Every EWS call asks it once, so it scans the envelope's tags instead of
 * parsing it into a tree: the envelope is ours (ews_build), well-formed, without comments
 * or CDATA, its '<' and '&' escaped in text and attributes. Element names are matched by
 * their local part: our envelopes give each namespace one prefix, and nothing else is read.
 */
#include "ews_parse.h"

#include <stdbool.h>
#include <string.h>

/* The containers whose children each get one response message, in request order. */
static const char *const request_lists[] = {"ItemIds",    "Items",           "ItemChanges",
                                            "FolderIds",  "ParentFolderIds", "AttachmentIds",
                                            "Attachments"};

struct tag {
    const char *name; /* the local name, not terminated */
    size_t name_len;
    bool closing; /* </name> */
    bool empty;   /* <name .../> */
};

/* The next element tag at or after S (declarations and comments are passed over); the
 * position after it, or NULL at the end or on a tag that does not end. */
static const char *next_tag(const char *s, const char *end, struct tag *t)
{
    for (;;) {
        s = memchr(s, '<', (size_t)(end - s));
        if (s == NULL || end - s < 2)
            return NULL;
        if (s[1] == '?' || s[1] == '!') {
            s = memchr(s, '>', (size_t)(end - s));
            if (s == NULL)
                return NULL;
            s++;
            continue;
        }
        t->closing = s[1] == '/';
        const char *name = s + 1 + t->closing, *p = name;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '/' &&
               *p != '>')
            p++;
        const char *colon = memchr(name, ':', (size_t)(p - name));
        t->name = colon != NULL ? colon + 1 : name;
        t->name_len = (size_t)(p - t->name);
        char quote = 0;
        for (; p < end; p++) {
            if (quote != 0) {
                if (*p == quote)
                    quote = 0;
            } else if (*p == '"' || *p == '\'') {
                quote = *p;
            } else if (*p == '>') {
                break;
            }
        }
        if (p >= end || t->name_len == 0)
            return NULL;
        t->empty = !t->closing && p[-1] == '/';
        return p + 1;
    }
}

static bool named(const struct tag *t, const char *name)
{
    return t->name_len == strlen(name) && memcmp(t->name, name, t->name_len) == 0;
}

static bool is_request_list(const struct tag *t)
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
    const char *s = envelope, *end = envelope + len;
    struct tag t;
    int depth = 0;
    bool in_body = false, in_operation = false, in_list = false;
    size_t count = 0;
    while ((s = next_tag(s, end, &t)) != NULL) {
        if (t.closing) {
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
