/*
 * ews_parse: hardened parsing of EWS responses (see ews_parse.h); this file holds the
 * entry points, the tree helpers and the typed readers of single values that the item
 * (ews_parse_item.c) and response (ews_parse_response.c) walkers share.
 *
 * The document is read into a compact element tree (ews_xtree: libxml2's SAX2 parser with
 * the safe options only), then walked by hand: every element is matched by namespace URI and
 * local name, every typed value goes through a strict parser, and the first surprise aborts
 * the whole parse with a message that says where it happened. The response is built on the side and
 * only handed out when the walk finished cleanly.
 */
#include "ews_parse.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ews_parse_int.h"
#include "util.h"

/* ---- allocation (util.h's helpers abort on out-of-memory) ---- */

/* Make room for one more element in a growable array: *cap doubles as needed. */
void *ep_grow(void *arr, size_t n, size_t *cap, size_t elsize)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap == 0 ? 4 : *cap * 2;
    if (ncap < *cap || ncap > SIZE_MAX / elsize)
        abort();
    void *p = realloc(arr, ncap * elsize);
    if (p == NULL)
        abort();
    memset((char *)p + *cap * elsize, 0, (ncap - *cap) * elsize);
    *cap = ncap;
    return p;
}

/* ---- errors ---- */

__attribute__((format(printf, 2, 0))) static int ep_failv(struct pctx *p, const char *fmt,
                                                          va_list ap)
{
    if (!p->failed) {
        p->failed = true;
        if (p->err != NULL && p->errlen > 0) {
            size_t off = 0;
            if (p->where[0] != '\0') {
                int n = snprintf(p->err, p->errlen, "%s: ", p->where);
                off = n < 0 ? 0 : (size_t)n < p->errlen ? (size_t)n : p->errlen - 1;
            }
            vsnprintf(p->err + off, p->errlen - off, fmt, ap);
        }
    }
    return -1;
}

__attribute__((format(printf, 2, 3))) int ep_fail(struct pctx *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ep_failv(p, fmt, ap);
    va_end(ap);
    return -1;
}

/* A short printable rendering of an untrusted value for error messages. */
const char *ep_shown(const char *v, char buf[48])
{
    size_t i = 0;
    if (v == NULL)
        v = "(null)";
    for (; v[i] != '\0' && i < 40; i++)
        buf[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
    if (v[i] != '\0' && i >= 3) {
        buf[i - 3] = buf[i - 2] = buf[i - 1] = '.';
    }
    buf[i] = '\0';
    return buf;
}

/* ---- tree helpers ---- */

bool ns_is(const struct xnode *n, const char *ns)
{
    if (ns == NULL)
        return n->ns == NULL;
    return n->ns != NULL && strcmp(n->ns, ns) == 0;
}

bool is_el(const struct xnode *n, const char *ns, const char *name)
{
    return n != NULL && ns_is(n, ns) && strcmp(n->name, name) == 0;
}

const struct xnode *first_el(const struct xnode *parent)
{
    return parent->children;
}

const struct xnode *next_el(const struct xnode *n)
{
    return n->next;
}

const char *prefix_of(const struct xnode *n)
{
    if (n->ns == NULL)
        return "";
    const char *h = n->ns;
    if (strcmp(h, NS_T) == 0)
        return "t:";
    if (strcmp(h, NS_M) == 0)
        return "m:";
    if (strcmp(h, NS_SOAP) == 0)
        return "soap:";
    return "{other-ns}:";
}

/* The text content of a leaf element (its text and CDATA), newly allocated. An element child
 * makes it an error: a "leaf" with structure is not what the schema says. */
int leaf_text(struct pctx *p, const struct xnode *n, char **out)
{
    if (n->children != NULL)
        return ep_fail(p, "%s%s: unexpected child in a text element", prefix_of(n), n->name);
    size_t len = 0;
    for (const struct xtext *t = n->text; t != NULL; t = t->next)
        len += t->len;
    char *s = xmalloc(len + 1);
    size_t off = 0;
    for (const struct xtext *t = n->text; t != NULL; t = t->next) {
        memcpy(s + off, t->s, t->len);
        off += t->len;
    }
    s[off] = '\0';
    *out = s;
    return 0;
}

/* An attribute without namespace, newly allocated (free()), or NULL when absent. */
char *attr_dup(const struct xnode *n, const char *name)
{
    const char *v = xnode_attr(n, name);
    return v != NULL ? xstrdup(v) : NULL;
}

/* ---- strict scalar parsers ---- */

static bool xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trim XML whitespace in place (xs types other than string collapse it). */
char *ep_trim(char *s)
{
    while (xml_space(*s))
        s++;
    size_t l = strlen(s);
    while (l > 0 && xml_space(s[l - 1]))
        s[--l] = '\0';
    return s;
}

/* TEXT without its surrounding XML whitespace, copied into BUF; NULL when TEXT does not fit
 * (the callers refuse such a text). */
static const char *trimmed_copy(const char *text, char *buf, size_t size)
{
    size_t l = strlen(text);
    if (l >= size)
        return NULL;
    memcpy(buf, text, l + 1);
    return ep_trim(buf);
}

static int parse_int(const char *text, int *out)
{
    char buf[32];
    const char *s = trimmed_copy(text, buf, sizeof(buf));
    if (s == NULL)
        return -1;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s == '\0')
        return -1;
    long long v = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > (long long)INT_MAX + 1)
            return -1;
    }
    if (neg)
        v = -v;
    if (v < INT_MIN || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_bool(const char *text, bool *out)
{
    char buf[16];
    const char *s = trimmed_copy(text, buf, sizeof(buf));
    if (s == NULL)
        return -1;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* The xs:dateTime / xs:date codec is util's (one for the whole daemon). */
int ews_datetime_parse(const char *text, time_t *out)
{
    return out != NULL ? util_parse_xs_datetime(text, out) : -1;
}

int ews_date_parse(const char *text, char out[11])
{
    return util_parse_xs_date(text, out);
}

/* ---- typed element readers ---- */

int el_string(struct pctx *p, const struct xnode *n, char **out)
{
    char *s;
    if (leaf_text(p, n, &s) < 0)
        return -1;
    free(*out);
    *out = s;
    return 0;
}

static int datetime_from(char *s, void *out)
{
    return ews_datetime_parse(s, out);
}

/* An xs:date, or an xs:dateTime whose date part is taken: Gromox writes a Recurrence's
 * StartDate as "2026-12-09T00:00:00.000000Z". The whole dateTime must be valid. */
static int date_from(char *s, void *out)
{
    if (ews_date_parse(s, out) == 0)
        return 0;
    time_t ignored;
    const char *t = ep_trim(s);
    if (ews_datetime_parse(t, &ignored) < 0)
        return -1;
    memcpy(out, t, 10);
    ((char *)out)[10] = '\0';
    return 0;
}

int int_from(char *s, void *out)
{
    return parse_int(s, out);
}

int bool_from(char *s, void *out)
{
    return parse_bool(s, out);
}

/* Enumeration values are looked up without their surrounding whitespace. */
int response_from(char *s, void *out)
{
    return item_response_from_string(ep_trim(s), out);
}

int free_busy_from(char *s, void *out)
{
    return item_free_busy_from_string(ep_trim(s), out);
}

int caltype_from(char *s, void *out)
{
    return item_calendar_type_from_string(ep_trim(s), out);
}

/* The text of leaf N converted by PARSE into *OUT; a text PARSE refuses is reported as
 * "t:Name: WHAT "text"". */
static int el_value(struct pctx *p, const struct xnode *n, value_parser *parse, void *out,
                    const char *what)
{
    char *s, b[48];
    if (leaf_text(p, n, &s) < 0)
        return -1;
    int rc = parse(s, out);
    if (rc < 0)
        ep_fail(p, "%s%s: %s \"%s\"", prefix_of(n), n->name, what, ep_shown(s, b));
    free(s);
    return rc;
}

int el_time(struct pctx *p, const struct xnode *n, time_t *out)
{
    return el_value(p, n, datetime_from, out, "invalid xs:dateTime");
}

int el_int(struct pctx *p, const struct xnode *n, int *out)
{
    return el_value(p, n, int_from, out, "invalid xs:int");
}

int el_bool(struct pctx *p, const struct xnode *n, bool *out)
{
    return el_value(p, n, bool_from, out, "invalid xs:boolean");
}

/* An enumeration value mapped by FROM_STRING; unknown values are errors. */
int el_enum(struct pctx *p, const struct xnode *n, value_parser *from_string, void *out)
{
    return el_value(p, n, from_string, out, "unexpected value");
}

/* An xs:int that must lie within [LO, HI]; COMPLAINT says so otherwise. */
int el_int_within(struct pctx *p, const struct xnode *n, int *out, int lo, int hi,
                  const char *complaint)
{
    if (el_int(p, n, out) < 0)
        return -1;
    if (*out < lo || *out > hi)
        return ep_fail(p, "%s", complaint);
    return 0;
}

/* The required, non-empty Id attribute of N, newly allocated; NULL after failing the parse. */
char *id_attr(struct pctx *p, const struct xnode *n)
{
    char *id = attr_dup(n, "Id");
    if (id == NULL || id[0] == '\0') {
        free(id);
        ep_fail(p, "%s%s without Id", prefix_of(n), n->name);
        return NULL;
    }
    return id;
}

/* An ItemIdType / FolderIdType element: Id required, ChangeKey optional. */
int el_id(struct pctx *p, const struct xnode *n, struct item_id *out)
{
    char *id = id_attr(p, n);
    if (id == NULL)
        return -1;
    item_id_clear(out);
    out->id = id;
    out->change_key = attr_dup(n, "ChangeKey");
    return 0;
}

/* "t:Parent: unexpected element t:Child" */
int ep_unexpected(struct pctx *p, const struct xnode *parent, const struct xnode *c)
{
    return ep_fail(p, "%s%s: unexpected element %s%s", prefix_of(parent), parent->name,
                   prefix_of(c), c->name);
}

/* Marks the single-valued child C of t:PARENT as seen; a second one is an error. */
int once_in(struct pctx *p, bool *seen, const struct xnode *c, const char *parent)
{
    if (*seen)
        return ep_fail(p, "duplicate t:%s in t:%s", c->name, parent);
    *seen = true;
    return 0;
}

/* Whether C is the first t:NAME child (*GOT tracks it): where the schema allows one, a second
 * is as unexpected as any other element. */
bool first_t(const struct xnode *c, const char *name, bool *got)
{
    if (*got || !is_el(c, NS_T, name))
        return false;
    *got = true;
    return true;
}

int el_date(struct pctx *p, const struct xnode *n, char out[11])
{
    return el_value(p, n, date_from, out, "invalid xs:date");
}

/* ---- the document ---- */

static struct xtree *read_document(struct pctx *p, const char *body, size_t len)
{
    char why[240];
    struct xtree *doc = xtree_read(body, len, why, sizeof(why));
    if (doc == NULL)
        ep_fail(p, "%s", why);
    return doc;
}

static int parse_reply(const char *body, size_t len, size_t max_bytes, const char *operation,
                       size_t expect_messages, struct ews_response **out, char *err, size_t errlen)
{
    struct pctx p;
    memset(&p, 0, sizeof(p));
    p.err = err;
    p.errlen = errlen;
    p.expect_messages = expect_messages;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return ep_fail(&p, "no result pointer");
    *out = NULL;
    if (max_bytes == 0)
        max_bytes = EWS_PARSE_DEFAULT_MAX_BYTES;
    if (body == NULL || len == 0)
        return ep_fail(&p, "empty response body");
    if (len > max_bytes || len > INT_MAX)
        return ep_fail(&p, "response body of %zu bytes exceeds the %zu byte limit", len, max_bytes);

    struct xtree *doc = read_document(&p, body, len);
    if (doc == NULL)
        return -1;
    struct ews_response *r = xcalloc(1, sizeof(*r));
    int rc = parse_envelope(&p, doc, operation, r);
    xtree_free(doc);
    if (rc < 0 || p.failed) {
        ews_response_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

int ews_parse_response_capped(const char *body, size_t len, size_t max_bytes, const char *operation,
                              struct ews_response **out, char *err, size_t errlen)
{
    return parse_reply(body, len, max_bytes, operation, 0, out, err, errlen);
}

int ews_parse_reply(const char *body, size_t len, const char *operation, size_t expect_messages,
                    struct ews_response **out, char *err, size_t errlen)
{
    return parse_reply(body, len, 0, operation, expect_messages, out, err, errlen);
}

int ews_parse_response(const char *body, size_t len, const char *operation,
                       struct ews_response **out, char *err, size_t errlen)
{
    return ews_parse_response_capped(body, len, 0, operation, out, err, errlen);
}
