/*
 * xml_scan: one markup construct of a byte buffer (see xml_scan.h).
 */
#include "xml_scan.h"

#include <string.h>

static bool starts(const char *buf, size_t len, size_t p, const char *with)
{
    size_t n = strlen(with);
    return len - p >= n && memcmp(buf + p, with, n) == 0;
}

/* The index just past the first CLOSE at or after P, or 0 when it has not arrived. */
static size_t after(const char *buf, size_t len, size_t p, const char *close)
{
    size_t cl = strlen(close);
    for (size_t i = p; i + cl <= len; i++)
        if (memcmp(buf + i, close, cl) == 0)
            return i + cl;
    return 0;
}

/* The end of a start or end tag opened at P (quoted attribute values may hold '>'): the index
 * just past '>', or 0; *EMPTY tells whether it ends with "/>". */
static size_t after_tag(const char *buf, size_t len, size_t p, bool *empty)
{
    char quote = 0;
    for (size_t i = p + 1; i < len; i++) {
        char c = buf[i];
        if (quote != 0) {
            quote = c == quote ? 0 : quote;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            *empty = buf[i - 1] == '/';
            return i + 1;
        }
    }
    return 0;
}

/* The local name of the tag whose name starts at P. */
static void tag_name(const char *buf, size_t len, size_t p, struct xml_construct *c)
{
    size_t e = p;
    while (e < len && buf[e] != ' ' && buf[e] != '\t' && buf[e] != '\r' && buf[e] != '\n' &&
           buf[e] != '/' && buf[e] != '>')
        e++;
    const char *colon = memchr(buf + p, ':', e - p);
    c->name = colon != NULL ? colon + 1 : buf + p;
    c->name_len = (size_t)(buf + e - c->name);
}

int xml_scan_construct(const char *buf, size_t len, size_t p, struct xml_construct *c)
{
    memset(c, 0, sizeof(*c));
    if (len - p < 2)
        return 0;
    char second = buf[p + 1];
    if (second == '?') {
        c->kind = XML_DECLARATION;
        c->end = after(buf, len, p + 2, "?>");
    } else if (second == '!') {
        if (len - p < 4 || (buf[p + 2] == '[' && len - p < 9))
            return 0;
        if (starts(buf, len, p, "<!--")) {
            c->kind = XML_COMMENT;
            c->end = after(buf, len, p + 4, "-->");
        } else if (starts(buf, len, p, "<![CDATA[")) {
            c->kind = XML_CDATA;
            c->end = after(buf, len, p + 9, "]]>");
        } else {
            return -1; /* a DOCTYPE or declaration: never in EWS */
        }
    } else {
        c->kind = second == '/' ? XML_END : XML_START;
        c->end = after_tag(buf, len, p, &c->empty);
        c->empty = c->empty && c->kind == XML_START;
        tag_name(buf, len, p + 1 + (c->kind == XML_END), c);
    }
    return c->end != 0 ? 1 : 0;
}
