#include "ews_xtree.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "util.h"

/* ---- arena: the tree's memory, freed at once ---- */

#define ARENA_CHUNK 16384

struct chunk {
    struct chunk *prev;
    size_t used, size;
    max_align_t data[];
};

struct xtree {
    struct chunk *chunks;
    xmlDictPtr dict; /* the parser's names, which the nodes point into */
    struct xnode *root;
};

static void *arena_alloc(struct xtree *t, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct chunk *c = t->chunks;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = xmalloc(sizeof(*c) + size);
        c->prev = t->chunks;
        c->used = 0;
        c->size = size;
        t->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static char *arena_strndup(struct xtree *t, const char *s, size_t n)
{
    char *d = arena_alloc(t, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* A name the parser handed over: its dictionary's copy lives as long as the tree. */
static const char *kept_name(struct xtree *t, const xmlChar *s)
{
    if (s == NULL)
        return NULL;
    if (xmlDictOwns(t->dict, s) == 1)
        return (const char *)s;
    return arena_strndup(t, (const char *)s, strlen((const char *)s));
}

void xtree_free(struct xtree *t)
{
    if (t == NULL)
        return;
    for (struct chunk *c = t->chunks, *prev; c != NULL; c = prev) {
        prev = c->prev;
        free(c);
    }
    if (t->dict != NULL)
        xmlDictFree(t->dict);
    free(t);
}

/* ---- building, from the SAX2 callbacks ---- */

struct build {
    struct xtree *tree;
    struct xnode *current; /* the open element, NULL outside the root */
    bool saw_doctype;
    bool refused;        /* something the tree does not take (an entity reference) */
    char xml_error[200]; /* libxml2's first diagnostic */
};

static struct build *build_of(void *ctx)
{
    return ((xmlParserCtxtPtr)ctx)->_private;
}

/* An attribute value as the SAX2 parser hands it over: not NUL-terminated and, without entity
 * substitution, with every '&' written as "&#38;" (libxml2 leaves that for the tree builder
 * to decode, no other reference is left in the value). */
static const char *attr_value(struct xtree *t, const xmlChar *v, const xmlChar *end)
{
    size_t n = (size_t)(end - v);
    char *d = arena_alloc(t, n + 1), *o = d;
    for (const xmlChar *s = v; s < end;) {
        if (*s == '&' && end - s >= 5 && memcmp(s, "&#38;", 5) == 0) {
            *o++ = '&';
            s += 5;
        } else {
            *o++ = (char)*s++;
        }
    }
    *o = '\0';
    return d;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    (void)prefix;
    (void)nb_namespaces;
    (void)namespaces;
    (void)nb_defaulted; /* defaults come from a DTD, which is refused */
    struct build *b = build_of(ctx);
    struct xtree *t = b->tree;
    struct xnode *n = arena_alloc(t, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->name = kept_name(t, localname);
    n->ns = kept_name(t, uri);
    if (nb_attributes > 0) {
        struct xattr *a = arena_alloc(t, (size_t)nb_attributes * sizeof(*a));
        for (int i = 0; i < nb_attributes; i++) {
            const xmlChar **at = attributes + 5 * i; /* localname, prefix, URI, value, end */
            a[i].name = kept_name(t, at[0]);
            a[i].ns = kept_name(t, at[2]);
            a[i].value = attr_value(t, at[3], at[4]);
        }
        n->attrs = a;
        n->n_attrs = (size_t)nb_attributes;
    }
    struct xnode *parent = b->current;
    n->parent = parent;
    if (parent == NULL) {
        if (t->root == NULL)
            t->root = n;
    } else {
        if (parent->last_child == NULL)
            parent->children = n;
        else
            parent->last_child->next = n;
        parent->last_child = n;
        parent->text = parent->last_text = NULL; /* not a leaf: its text is never read */
    }
    b->current = n;
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    (void)localname;
    (void)prefix;
    (void)uri;
    struct build *b = build_of(ctx);
    if (b->current != NULL)
        b->current = b->current->parent;
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    struct build *b = build_of(ctx);
    struct xnode *n = b->current;
    if (n == NULL || n->children != NULL || len <= 0)
        return; /* outside the root, or in an element with element children */
    struct xtext *x = arena_alloc(b->tree, sizeof(*x));
    x->s = arena_strndup(b->tree, (const char *)ch, (size_t)len);
    x->len = (size_t)len;
    x->next = NULL;
    if (n->last_text == NULL)
        n->text = x;
    else
        n->last_text->next = x;
    n->last_text = x;
}

/* A reference to an entity that was declared: impossible without a DTD, refused anyway. */
static void on_reference(void *ctx, const xmlChar *name)
{
    (void)name;
    struct build *b = build_of(ctx);
    b->refused = true;
    xmlStopParser(ctx);
}

/* Called at "<!DOCTYPE name ..." before the internal subset is read: stopping there means
 * no entity is ever declared, let alone expanded. EWS never sends a DOCTYPE. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    build_of(ctx)->saw_doctype = true;
    xmlStopParser(ctx);
}

/* Collect libxml2's diagnostics instead of letting it print them. */
static void on_error(void *ctx, xmlErrorPtr e)
{
    struct build *b = ctx;
    if (b == NULL || e == NULL || b->xml_error[0] != '\0')
        return;
    const char *msg = e->message != NULL ? e->message : "unknown error";
    snprintf(b->xml_error, sizeof(b->xml_error), "line %d: %s", e->line, msg);
    size_t l = strlen(b->xml_error);
    while (l > 0 && (b->xml_error[l - 1] == '\n' || b->xml_error[l - 1] == '\r'))
        b->xml_error[--l] = '\0';
}

/* Our handlers on the context's own SAX block (no global handler changes): elements and text
 * into the tree, nothing for comments and processing instructions. */
static void use_handlers(xmlParserCtxtPtr c)
{
    xmlSAXHandlerPtr h = c->sax;
    h->startElementNs = on_start;
    h->endElementNs = on_end;
    h->characters = on_text;
    h->ignorableWhitespace = on_text;
    h->cdataBlock = on_text;
    h->reference = on_reference;
    h->internalSubset = on_doctype;
    h->comment = NULL;
    h->processingInstruction = NULL;
}

struct xtree *xtree_read(const char *body, size_t len, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    xmlInitParser();
    struct build b;
    memset(&b, 0, sizeof(b));
    b.tree = xcalloc(1, sizeof(*b.tree));
    /* libxml2 reports some errors (encoding conversion, for one) without a parser context,
     * through the global handler; swap ours in for the duration of the parse. */
    xmlStructuredErrorFunc old_handler = xmlStructuredError;
    void *old_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(&b, on_error);

    bool ok = false;
    xmlParserCtxtPtr c = len <= INT_MAX ? xmlNewParserCtxt() : NULL;
    if (c != NULL && c->sax != NULL && c->dict != NULL) {
        c->_private = &b;
        b.tree->dict = c->dict;
        xmlDictReference(c->dict);
        use_handlers(c);
        xmlDoc *doc = xmlCtxtReadMemory(c, body, (int)len, NULL, NULL,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        /* The document node itself (the SAX2 start of document makes one): nothing in it. */
        if (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))
            b.saw_doctype = true;
        ok = c->wellFormed && !b.saw_doctype && !b.refused && b.tree->root != NULL;
        xmlFreeDoc(doc);
    }
    if (c != NULL)
        xmlFreeParserCtxt(c);
    xmlSetStructuredErrorFunc(old_ctx, old_handler);

    if (ok)
        return b.tree;
    if (err != NULL && errlen > 0) {
        if (b.saw_doctype)
            snprintf(err, errlen, "document has a DOCTYPE; DTDs are refused");
        else if (b.refused)
            snprintf(err, errlen, "malformed XML: an entity reference");
        else
            snprintf(err, errlen, "malformed XML: %s",
                     b.xml_error[0] != '\0' ? b.xml_error : "no document");
    }
    xtree_free(b.tree);
    return NULL;
}

const struct xnode *xtree_root(const struct xtree *t)
{
    return t->root;
}

const char *xnode_attr(const struct xnode *n, const char *name)
{
    for (size_t i = 0; i < n->n_attrs; i++)
        if (n->attrs[i].ns == NULL && strcmp(n->attrs[i].name, name) == 0)
            return n->attrs[i].value;
    return NULL;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether the text pieces of A and B spell the same string. */
static bool same_text(const struct xtext *a, const struct xtext *b)
{
    size_t ia = 0, ib = 0;
    for (;;) {
        while (a != NULL && ia == a->len) {
            a = a->next;
            ia = 0;
        }
        while (b != NULL && ib == b->len) {
            b = b->next;
            ib = 0;
        }
        if (a == NULL || b == NULL)
            return a == b;
        if (a->s[ia++] != b->s[ib++])
            return false;
    }
}

bool xnode_same(const struct xnode *a, const struct xnode *b)
{
    if (!same_str(a->name, b->name) || !same_str(a->ns, b->ns) || a->n_attrs != b->n_attrs ||
        !same_text(a->text, b->text))
        return false;
    for (size_t i = 0; i < a->n_attrs; i++)
        if (!same_str(a->attrs[i].name, b->attrs[i].name) ||
            !same_str(a->attrs[i].ns, b->attrs[i].ns) ||
            !same_str(a->attrs[i].value, b->attrs[i].value))
            return false;
    const struct xnode *ca = a->children, *cb = b->children;
    for (; ca != NULL && cb != NULL; ca = ca->next, cb = cb->next)
        if (!xnode_same(ca, cb))
            return false;
    return ca == NULL && cb == NULL;
}
