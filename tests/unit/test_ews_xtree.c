/*
 * Unit tests of ews_xtree: the element tree the EWS response parser walks, read from real
 * documents by libxml2's SAX2 parser: names, namespaces, attributes and text as the XML
 * means them (entities, character references, CDATA, prefixes as Gromox and Exchange write
 * them), and hostile input refused whole (DTDs, entities, depth, bad encodings, garbage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ews_xtree.h"
#include "util.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_T "http://schemas.microsoft.com/exchange/services/2006/types"

static struct xtree *read_ok(const char *doc)
{
    char err[240];
    struct xtree *t = xtree_read(doc, strlen(doc), err, sizeof(err));
    if (t == NULL)
        fail_msg("not read: %s", err);
    return t;
}

static void read_fails(const char *doc, size_t len, const char *why)
{
    char err[240];
    struct xtree *t = xtree_read(doc, len, err, sizeof(err));
    assert_null(t);
    if (strstr(err, why) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", err, why);
}

/* The text of leaf N, joined from its pieces (caller frees). */
static char *text_of(const struct xnode *n)
{
    struct strbuf b = {0};
    for (const struct xtext *x = n->text; x != NULL; x = x->next)
        strbuf_put(&b, x->s, x->len);
    return strbuf_take(&b);
}

static void assert_text(const struct xnode *n, const char *want)
{
    char *got = text_of(n);
    assert_string_equal(got, want);
    free(got);
}

static size_t count_children(const struct xnode *n)
{
    size_t k = 0;
    for (const struct xnode *c = n->children; c != NULL; c = c->next)
        k++;
    return k;
}

static void test_names_namespaces_attributes(void **state)
{
    (void)state;
    /* Gromox writes SOAP-ENV: and a default namespace where Exchange writes s: and t:. */
    struct xtree *t =
        read_ok("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP "\" xmlns:x=\"urn:x\">\n"
                "  <!-- a comment --><?pi data?>\n"
                "  <SOAP-ENV:Body>\n"
                "    <Items xmlns=\"" NS_T "\"><ItemId Id=\"a&amp;b&lt;&#38;&#x26;&quot;c\" "
                "ChangeKey=\"k\" x:Id=\"other\"/><plain xmlns=\"\" Id=\"\"/></Items>\n"
                "  </SOAP-ENV:Body>\n"
                "</SOAP-ENV:Envelope>\n");
    const struct xnode *env = xtree_root(t);
    assert_string_equal(env->name, "Envelope");
    assert_string_equal(env->ns, NS_SOAP);
    assert_int_equal(count_children(env), 1); /* comments, PIs and blanks are not elements */
    const struct xnode *body = env->children;
    assert_string_equal(body->name, "Body");
    const struct xnode *items = body->children;
    assert_string_equal(items->ns, NS_T);
    assert_int_equal(count_children(items), 2);
    const struct xnode *id = items->children;
    assert_string_equal(id->name, "ItemId");
    assert_string_equal(id->ns, NS_T);
    /* Every escape of '&' comes out as '&'; a namespaced attribute is not the plain one. */
    assert_string_equal(xnode_attr(id, "Id"), "a&b<&&\"c");
    assert_string_equal(xnode_attr(id, "ChangeKey"), "k");
    assert_null(xnode_attr(id, "Missing"));
    assert_int_equal(id->n_attrs, 3);
    assert_string_equal(id->attrs[2].ns, "urn:x");
    const struct xnode *plain = id->next;
    assert_null(plain->ns);
    assert_string_equal(xnode_attr(plain, "Id"), "");
    assert_null(plain->next);
    xtree_free(t);
}

static void test_text(void **state)
{
    (void)state;
    struct xtree *t =
        read_ok("<r><a>x &amp; y <![CDATA[<raw> &amp;]]> &#233;&#x1F600;&lt;</a><b/><c> </c>"
                "<d>before<e>in</e>after</d></r>");
    const struct xnode *a = xtree_root(t)->children;
    assert_text(a, "x & y <raw> &amp; \xc3\xa9\xf0\x9f\x98\x80<");
    const struct xnode *b = a->next;
    assert_null(b->text);
    assert_text(b->next, " ");
    /* Text of an element with element children is not kept: walkers read leaves only. */
    const struct xnode *d = b->next->next;
    assert_null(d->text);
    assert_text(d->children, "in");
    xtree_free(t);
}

/* A text longer than an arena chunk, and many elements: the arena grows. */
static void test_large_document(void **state)
{
    (void)state;
    struct strbuf b = {0};
    strbuf_puts(&b, "<r><big>");
    for (int i = 0; i < 100000; i++)
        strbuf_putc(&b, (char)('a' + i % 26));
    strbuf_puts(&b, "</big>");
    for (int i = 0; i < 20000; i++)
        strbuf_printf(&b, "<i n=\"%d\">%d</i>", i, i);
    strbuf_puts(&b, "</r>");
    char *doc = strbuf_take(&b);
    struct xtree *t = read_ok(doc);
    const struct xnode *big = xtree_root(t)->children;
    char *text = text_of(big);
    assert_int_equal(strlen(text), 100000);
    assert_int_equal(text[99999], 'a' + 99999 % 26);
    free(text);
    assert_int_equal(count_children(xtree_root(t)), 20001);
    const struct xnode *last = big;
    while (last->next != NULL)
        last = last->next;
    assert_string_equal(xnode_attr(last, "n"), "19999");
    assert_text(last, "19999");
    xtree_free(t);
    free(doc);
}

static void test_hostile(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *why;
    } refused[] = {
        {"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">"
         "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><r>&b;</r>",
         "DOCTYPE"},
        {"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>", "DOCTYPE"},
        {"<r>&x;</r>", "malformed XML"},       /* an undeclared entity */
        {"<r a=\"&x;\"/>", "malformed XML"},   /* the same in an attribute */
        {"<r>a\xff\xfe</r>", "malformed XML"}, /* not UTF-8 */
        {"<r/><s/>", "malformed XML"},         /* two roots */
        {"<r><a></r>", "malformed XML"},       /* unbalanced */
        {"", "malformed XML"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        read_fails(refused[i].doc, strlen(refused[i].doc), refused[i].why);
    const char *nul = "<r>a\0b</r>";
    read_fails(nul, 10, "malformed XML");
    const char *external = "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
                           "<xi:include href=\"http://127.0.0.1:1/x\"/></r>";
    struct xtree *t = read_ok(external); /* an element like any other: nothing is fetched */
    assert_string_equal(xtree_root(t)->children->name, "include");
    xtree_free(t);

    /* libxml2's depth limit (256) holds: deeper is refused, as deep as allowed is read. */
    struct strbuf b = {0};
    for (int i = 0; i < 300; i++)
        strbuf_puts(&b, "<d>");
    for (int i = 0; i < 300; i++)
        strbuf_puts(&b, "</d>");
    char *deep = strbuf_take(&b);
    read_fails(deep, strlen(deep), "malformed XML");
    free(deep);
    for (int i = 0; i < 200; i++)
        strbuf_puts(&b, "<d>");
    for (int i = 0; i < 200; i++)
        strbuf_puts(&b, "</d>");
    deep = strbuf_take(&b);
    t = read_ok(deep);
    size_t depth = 0;
    for (const struct xnode *n = xtree_root(t); n != NULL; n = n->children)
        depth++;
    assert_int_equal(depth, 200);
    xtree_free(t);
    free(deep);
}

static void test_same(void **state)
{
    (void)state;
    struct xtree *t = read_ok("<r xmlns:t=\"" NS_T "\" xmlns:u=\"" NS_T "\">"
                              "<t:Z Id=\"UTC\" Name=\"U\"><t:P>a&amp;b</t:P></t:Z>"
                              "<u:Z Id=\"UTC\" Name=\"U\"><u:P>a<![CDATA[&]]>b</u:P></u:Z>"
                              "<t:Z Id=\"UTC\" Name=\"V\"><t:P>a&amp;b</t:P></t:Z>"
                              "<t:Z Id=\"UTC\" Name=\"U\"><t:P>a&amp;c</t:P></t:Z>"
                              "<t:Z Id=\"UTC\" Name=\"U\"><t:P>a&amp;b</t:P><t:P/></t:Z>"
                              "<Z Id=\"UTC\" Name=\"U\"><P>a&amp;b</P></Z></r>");
    const struct xnode *z[6], *n = xtree_root(t)->children;
    for (int i = 0; i < 6; i++, n = n->next)
        z[i] = n;
    assert_true(xnode_same(z[0], z[1])); /* other prefix, text in other pieces: alike */
    for (int i = 2; i < 6; i++) {
        assert_false(xnode_same(z[0], z[i]));
        assert_false(xnode_same(z[i], z[0]));
    }
    xtree_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_namespaces_attributes),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_large_document),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
