/*
 * xml_scan: one markup construct of a byte buffer, found without a parser: where it ends,
 * what kind it is and, for a tag, its local name. For bytes whose structure is all that is
 * wanted and whose content is ours or is parsed properly later: the streaming splitter
 * (ews_stream_split.c) finds where an envelope ends, the request count
 * (ews_request_count.c) counts a request's entries.
 */
#ifndef MEETINGD_XML_SCAN_H
#define MEETINGD_XML_SCAN_H

#include <stdbool.h>
#include <stddef.h>

enum xml_construct_kind {
    XML_DECLARATION, /* <? ... ?> */
    XML_COMMENT,     /* <!-- ... --> */
    XML_CDATA,       /* <![CDATA[ ... ]]> */
    XML_START,       /* <name ...> or <name .../> */
    XML_END,         /* </name> */
};

struct xml_construct {
    enum xml_construct_kind kind;
    size_t end;       /* the index just past the construct */
    bool empty;       /* XML_START ending in "/>" */
    const char *name; /* XML_START, XML_END: the local name (after any prefix), not terminated */
    size_t name_len;
};

/* The construct that BUF[P] ('<') opens, within BUF[0, LEN). 1 with *C filled; 0 when its end
 * is not in the buffer yet; -1 when it cannot be in an EWS document (a DOCTYPE or another
 * declaration). A quoted attribute value may hold '>'. */
int xml_scan_construct(const char *buf, size_t len, size_t p, struct xml_construct *c);

#endif
