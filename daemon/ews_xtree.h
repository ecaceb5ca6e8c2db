/*
 * ews_xtree: an XML document read into a compact, read-only tree of its elements, for the
 * EWS response parser (ews_parse*.c) to walk.
 *
 * libxml2's own tree (xmlReadMemory) costs a malloc per element, per text run, per attribute
 * and per attribute value, a namespace search per element on the way in and as many frees
 * on the way out: the profile of an answered meeting showed more than half of meetingd's
 * instructions there. This tree is built by libxml2's SAX2 parser into one arena freed at
 * once, and keeps only what the walkers read: elements with their local name, namespace URI,
 * attributes and text. Comments and processing instructions are dropped; text is kept for
 * elements without element children only (the walkers read text of leaves only).
 *
 * The parser runs with the same safe options as before: no network, no DTD (the parse stops
 * at a DOCTYPE, so no entity is ever declared, let alone expanded; a reference to any entity
 * but the five predefined ones fails the document), libxml2's depth limit (256) and the
 * callers' size limit.
 */
#ifndef MEETINGD_EWS_XTREE_H
#define MEETINGD_EWS_XTREE_H

#include <stdbool.h>
#include <stddef.h>

struct xtext {
    const char *s; /* not NUL-terminated */
    size_t len;
    struct xtext *next;
};

struct xattr {
    const char *name; /* local name */
    const char *ns;   /* namespace URI, NULL when none */
    const char *value;
};

struct xnode {
    const char *name; /* local name */
    const char *ns;   /* namespace URI, NULL when none */
    struct xnode *parent, *children, *last_child, *next;
    struct xtext *text, *last_text; /* the character data, in pieces, of a leaf */
    const struct xattr *attrs;
    size_t n_attrs;
};

struct xtree;

/* Parses LEN bytes of BODY. NULL when it is not a well-formed document of one root element,
 * with the reason in ERR ("document has a DOCTYPE; DTDs are refused" or "malformed XML:
 * line N: ..."). */
struct xtree *xtree_read(const char *body, size_t len, char *err, size_t errlen);
void xtree_free(struct xtree *t);

const struct xnode *xtree_root(const struct xtree *t);

/* The value of attribute NAME without namespace, NULL when absent. */
const char *xnode_attr(const struct xnode *n, const char *name);

/* Whether A and B are alike: name, namespace, attributes (in order), text and children. */
bool xnode_same(const struct xnode *a, const struct xnode *b);

#endif
