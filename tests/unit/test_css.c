/*
 * CSS selector compiler: each selector form -> its XPath, and -> the nodes
 * it matches on a small page; syntax errors name the offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include <libxml/HTMLparser.h>

#include "css.h"
#include "cssmatch.h"
#include "suites.h"

static const struct {
    const char *css, *xpath;
} xpath_cases[] = {
    {"div", "descendant::div"},
    {"*", "descendant::*"},
    {"DIV", "descendant::div"},
    {".a", "descendant::*[(contains(@class, 'a') and contains(concat(' ', normalize-space(@class), ' '), ' a '))]"},
    {"#x", "descendant::*[@id = 'x']"},
    /* regression (fuzz_css): a form feed inside a literal is not an XML
     * character; it reads as a space (as it does in pages) */
    {"a[title^=\"\f'\"]\fp",
     "descendant::a[starts-with(@title, \" '\")]/descendant::p"},
    /* non-ASCII is fine in id and class values */
    {"#\xd4\x9e", "descendant::*[@id = '\xd4\x9e']"},
    {"a[href]", "descendant::a[@href]"},
    {"a[href=\"x\"]", "descendant::a[@href = 'x']"},
    {"a[href=x]", "descendant::a[@href = 'x']"},
    {"[a~=b]", "descendant::*[(contains(@a, 'b') and contains(concat(' ', normalize-space(@a), ' '), ' b '))]"},
    {"[a^='b']", "descendant::*[starts-with(@a, 'b')]"},
    {"[a$=bc]", "descendant::*[substring(@a, string-length(@a) - 1) = 'bc']"},
    {"[a$=é]", "descendant::*[substring(@a, string-length(@a) - 0) = 'é']"},
    {"[a*=x]", "descendant::*[contains(@a, 'x')]"},
    {"[lang|=en]", "descendant::*[@lang = 'en' or starts-with(@lang, 'en-')]"},
    {"[a^='']", "descendant::*[false()]"},
    {"div p", "descendant::div/descendant::p"},
    {"div > p", "descendant::div/p"},
    {"h1 + p", "descendant::h1/following-sibling::*[1][self::p]"},
    {"h1 ~ p", "descendant::h1/following-sibling::p"},
    {"a, b", "descendant::a | descendant::b"},
    {" div  >  p  ,  a ", "descendant::div/p | descendant::a"},
    {"li:first-child", "descendant::li[not(preceding-sibling::*)]"},
    {"li:last-child", "descendant::li[not(following-sibling::*)]"},
    {"li:nth-child(3)", "descendant::li[count(preceding-sibling::*) = 2]"},
    {"li:nth-child(2n+1)", "descendant::li[count(preceding-sibling::*) >= 0 and (count(preceding-sibling::*) - 0) mod 2 = 0]"},
    {"li:nth-child(-n+3)", "descendant::li[count(preceding-sibling::*) <= 2 and (2 - count(preceding-sibling::*)) mod 1 = 0]"},
    {"p:not(.x)", "descendant::p[not(((contains(@class, 'x') and contains(concat(' ', normalize-space(@class), ' '), ' x '))))]"},
    {"p:not(div)", "descendant::p[not(self::div)]"},
    {"p:first-of-type", "descendant::p[not(preceding-sibling::p)]"},
    {"p:contains(\"a'b\")", "descendant::p[contains(., \"a'b\")]"},
    {"a[x=\"it's \\\"q\\\"\"]", "descendant::a[@x = concat('', 'it', \"'\", 's \"q\"')]"},
    {":empty", "descendant::*[not(*) and not(text())]"},
};

START_TEST(css_to_xpath)
{
    for (size_t i = 0; i < sizeof xpath_cases / sizeof xpath_cases[0]; i++) {
        size_t off = 0;
        const char *reason = NULL;
        char *xp = pipe_css_to_xpath(xpath_cases[i].css, &off, &reason);
        ck_assert_msg(xp != NULL, "'%s': %s at %zu", xpath_cases[i].css,
                      reason, off);
        ck_assert_msg(strcmp(xp, xpath_cases[i].xpath) == 0,
                      "'%s': got %s, want %s", xpath_cases[i].css, xp,
                      xpath_cases[i].xpath);
        free(xp);
    }
}
END_TEST

static const struct {
    const char *css;
    size_t off;
    const char *reason;
} error_cases[] = {
    {"", 0, "empty selector"},
    {"   ", 3, "empty selector"},
    {"div,", 4, "expected a selector"},
    {"a[", 2, "expected a name"},
    {"a[href", 6, "expected an attribute operator or ']'"},
    {"a[href=\"x]", 7, "unterminated string"},
    {"p::text", 1, "pseudo-elements are not supported"},
    {"p:foo", 1, "unknown pseudo-class"},
    {"p:nth-child(x)", 12, "expected an+b, odd or even"},
    {":first-of-type", 0, "*-of-type pseudo-classes need an element type"},
    {"div!", 3, "unexpected character"},
    {"p:is(a", 6, "expected ')'"},
    {"p:has()", 6, "expected a selector"},
    {"p:has(> )", 8, "expected a selector"},
    {"[lang=en x]", 9, "expected ']'"},
    {"[lang=en i x]", 11, "expected ']' (the only flags are i and s)"},
    {"a > ", 4, "expected a selector"},
    /* regression (fuzz_css): invalid UTF-8 compiled, then libxml2 failed
     * with a bare "encoding error" */
    {"p\xff\xffp + em", 1, "invalid UTF-8"},
    {"a[title='\xc3']", 9, "invalid UTF-8"},
    {"\xed\xa0\x80", 0, "invalid UTF-8"},
    /* regression (fuzz_css): U+051E compiled to an XPath name libxml2
     * rejects ("invalid expression") */
    {"p \xd4\x9e\xdf\x9e", 2, "non-ASCII names are not supported"},
    {"a[d\xc3\xa9]", 3, "non-ASCII names are not supported"},
    /* regression (fuzz_css): a C0 control in a literal made libxml2 fail
     * with "unfinished literal" */
    {"p:contains(0one\x02)", 15, "control character"},
    {"a[title='\x01']", 9, "control character"},
};

START_TEST(css_errors)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        size_t off = 99;
        const char *reason = NULL;
        char *xp = pipe_css_to_xpath(error_cases[i].css, &off, &reason);
        ck_assert_msg(xp == NULL, "'%s' compiled to %s", error_cases[i].css,
                      xp);
        ck_assert_msg(off == error_cases[i].off && reason &&
                          strcmp(reason, error_cases[i].reason) == 0,
                      "'%s': got %zu %s, want %zu %s", error_cases[i].css,
                      off, reason, error_cases[i].off, error_cases[i].reason);
    }
}
END_TEST

static const char page[] =
    "<html><body>\n"
    "<div id=\"d1\" class=\"box main\">\n"
    "  <h1 id=\"h\">Title</h1>\n"
    "  <p id=\"p1\" class=\"lead first\" lang=\"en-US\" data-x=\"alpha beta\">One</p>\n"
    "  <p id=\"p2\" lang=\"en\" data-x=\"gamma\">Two <a id=\"a1\" href=\"http://x.org/a.pdf\">link</a></p>\n"
    "  <span id=\"s1\"></span>\n"
    "  <p id=\"p3\" title=\"it's\">Three</p>\n"
    "</div>\n"
    "<ul id=\"u\"><li id=\"l1\">a</li><li id=\"l2\">b</li><li id=\"l3\">c</li>"
    "<li id=\"l4\">d</li><li id=\"l5\">e</li></ul>\n"
    "<template><p id=\"t1\">in template</p></template>\n"
    "</body></html>\n";

static const struct {
    const char *css, *ids;
} match_cases[] = {
    {"p", "p1,p2,p3"},
    {"#u > *", "l1,l2,l3,l4,l5"},
    {".lead", "p1"},
    {".box.main", "d1"},
    {".box.other", ""},
    {"#p2", "p2"},
    {"[lang]", "p1,p2"},
    {"[lang=en]", "p2"},
    {"[data-x~=beta]", "p1"},
    {"[data-x~=alp]", ""},
    {"[href^='http://']", "a1"},
    {"[href$=.pdf]", "a1"},
    {"[data-x*=amm]", "p2"},
    {"[lang|=en]", "p1,p2"},
    {"[title=\"it's\"]", "p3"},
    {"div p", "p1,p2,p3"},
    {"div > a", ""},
    {"p > a", "a1"},
    {"h1 + p", "p1"},
    {"p + span", "s1"},
    {"h1 + span", ""},
    {"h1 ~ p", "p1,p2,p3"},
    {"span, h1", "h,s1"},
    {"li:first-child", "l1"},
    {"li:last-child", "l5"},
    {"li:nth-child(2n+1)", "l1,l3,l5"},
    {"li:nth-child(odd)", "l1,l3,l5"},
    {"li:nth-child(even)", "l2,l4"},
    {"li:nth-child(-n+2)", "l1,l2"},
    {"li:nth-child(3)", "l3"},
    {"li:nth-child(n+4)", "l4,l5"},
    {"li:nth-last-child(1)", "l5"},
    {"li:nth-of-type(2)", "l2"},
    {"p:not(.lead)", "p2,p3"},
    {"p:not([lang])", "p3"},
    {"p:first-of-type", "p1"},
    {"p:last-of-type", "p3"},
    {"span:empty", "s1"},
    {"p:contains('Two')", "p2"},
    {"li:only-child", ""},
    {"a:only-child", "a1"},
    {"DIV#d1 > P.lead", "p1"},
    {"ul:root", ""},
    {"html:root", "html"},
    /* :is, :where, a :not of a list or a complex selector */
    {":is(h1, span)", "h,s1"},
    {"div :is(h1, .lead)", "h,p1"},
    {":is(div p, ul li:first-child)", "p1,p2,p3,l1"},
    {"p:is(h1 + p)", "p1"},
    {"p:is(h1 ~ p)", "p1,p2,p3"},
    {"a:is(div > p > a)", "a1"},
    {"a:is(div > a)", ""},
    {":where(#p1, #l2)", "p1,l2"},
    {"p:not(.lead, [title])", "p2"},
    {"p:not(div > p)", ""},
    {"li:not(li + li)", "l1"},
    /* :has: a descendant, or > child, + next, ~ later sibling */
    {"p:has(a)", "p2"},
    {"p:has(> a[href$=pdf])", "p2"},
    {"div:has(> a)", ""},
    {"h1:has(+ p.lead)", "h"},
    {"h1:has(+ span)", ""},
    {"span:has(~ p)", "s1"},
    {"div:has(p a, h2)", "d1"},
    {"li:has(+ li:has(+ li))", "l1,l2,l3"},
    {"*:has(> li:nth-child(5))", "u"},
    {"p:not(:has(a))", "p1,p3"},
    /* [attr=v i]: ASCII case-insensitive values */
    {"[lang=EN i]", "p2"},
    {"[lang=EN]", ""},
    {"[lang=EN s]", ""},
    {"[lang|=EN i]", "p1,p2"},
    {"[data-x~=BETA i]", "p1"},
    {"[href$='.PDF' i]", "a1"},
    {"[href^=HTTP: i]", "a1"},
    {"[data-x*=AMM i]", "p2"},
};

static const char *matches(lua_State *L, const char *css)
{
    static char buf[512];
    lua_getglobal(L, "IDS");
    lua_pushstring(L, css);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        snprintf(buf, sizeof buf, "error: %s", lua_tostring(L, -1));
    } else {
        snprintf(buf, sizeof buf, "%s", lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    return buf;
}

START_TEST(css_matches)
{
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, page);
    lua_setglobal(L, "PAGE");
    const char *err = pipe_test_dostring(L,
        "local D = html.parse(PAGE)\n"
        "function IDS(css)\n"
        "  local t = {}\n"
        "  for _, n in ipairs(D:select(css)) do t[#t+1] = n:attr('id') or n.tag end\n"
        "  return table.concat(t, ',')\n"
        "end\n");
    ck_assert_msg(err == NULL, "%s", err);
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const char *got = matches(L, match_cases[i].css);
        ck_assert_msg(strcmp(got, match_cases[i].ids) == 0,
                      "'%s': got '%s', want '%s'", match_cases[i].css, got,
                      match_cases[i].ids);
    }
    pipe_lua_close(L);
}
END_TEST

START_TEST(css_lua_errors)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L, "html.parse('<p>'):select('p[')");
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "bad selector 'p[' at offset 2: expected a name"),
                  "%s", err);
    err = pipe_test_dostring(L, "html.xpath_of('a >> b')");
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "bad selector 'a >> b' at offset 3: "
                              "unexpected character"), "%s", err);
    err = pipe_test_dostring(L, "return html.xpath_of('ul > li.x')");
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_str_eq(lua_tostring(L, -1),
                     "descendant::ul/li[(contains(@class, 'x') and "
                     "contains(concat(' ', normalize-space(@class), ' '), "
                     "' x '))]");
    /* the same selector twice comes from the cache, same result */
    err = pipe_test_dostring(L,
        "local d = html.parse('<p class=a>1</p><p>2</p>')\n"
        "assert(#d:select('p.a') == 1 and #d:select('p.a') == 1)\n");
    ck_assert_msg(err == NULL, "%s", err);
    pipe_lua_close(L);
}
END_TEST

/* The native matcher's index (pipe_cssm_query) against its walk
 * (pipe_cssm_walk): the same nodes in the same order, from the document
 * and from element contexts, before and after removals; and the queries
 * the index leaves to the walk (-2). */
static const char index_page[] =
    "<html><body><div id=a class='x  y x'><p class=x>1</p><p>2</p>"
    "<ul><li class=x>a</li><li><a href=#>b</a></li><li class=y>c</li></ul>"
    "</div><p class=x id=b>3</p><div><div><p>4</p><span class=x>5</span>"
    "</div></div><template><p class=x>t</p></template>"
    "<section><p class=z>6</p><a class=q>7</a></section></body></html>";

typedef struct hits {
    xmlNodePtr n[64];
    int k;
} hits;

static int collect(void *ud, xmlNodePtr node)
{
    hits *h = ud;
    if (h->k < 64)
        h->n[h->k++] = node;
    return 0;
}

static int stop_first(void *ud, xmlNodePtr node)
{
    collect(ud, node);
    return 1;
}

static xmlNodePtr elem_by_id(xmlNodePtr n, const char *id)
{
    for (; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *v = xmlGetProp(n, (const xmlChar *)"id");
        int same = v != NULL && strcmp((const char *)v, id) == 0;
        xmlFree(v);
        if (same)
            return n;
        xmlNodePtr in = elem_by_id(n->children, id);
        if (in != NULL)
            return in;
    }
    return NULL;
}

/* query vs walk for css from ctx; returns the query's result code */
static int same_as_walk(const char *css, xmlNodePtr ctx,
                        const pipe_cssm_index *ix, int detached)
{
    size_t off = 0;
    const char *reason = NULL;
    pipe_cssm *m = NULL;
    char *xp = pipe_css_compile(css, &off, &reason, &m);
    ck_assert_msg(xp != NULL && m != NULL, "%s: no native matcher", css);
    free(xp);
    pipe_cssm_stack *st = pipe_cssm_stack_new();
    hits w = {{0}, 0}, q = {{0}, 0}, wf = {{0}, 0}, qf = {{0}, 0};
    ck_assert_int_ge(pipe_cssm_walk(m, ctx, 1, st, collect, &w), 0);
    ck_assert_int_ge(pipe_cssm_walk(m, ctx, 1, st, stop_first, &wf), 0);
    int r = pipe_cssm_query(m, ix, ctx, 1, detached, collect, &q);
    if (r != -2) {
        ck_assert_msg(q.k == w.k, "%s: %d nodes, walk %d", css, q.k, w.k);
        for (int i = 0; i < w.k; i++)
            ck_assert_msg(q.n[i] == w.n[i], "%s: node %d differs", css, i);
        int rf = pipe_cssm_query(m, ix, ctx, 1, detached, stop_first, &qf);
        ck_assert_int_eq(rf, w.k > 0 ? 1 : 0);
        ck_assert(qf.k == wf.k && (qf.k == 0 || qf.n[0] == wf.n[0]));
    }
    pipe_cssm_stack_free(st);
    pipe_cssm_free(m);
    return r;
}

static const char *const index_sels[] = {
    "p", ".x", "#a", "#b", "p.x", "div p", "div > p", "div div p", "ul a",
    "li + li", "li ~ li.y", "div .x", ".x .x", "#a .x, section p",
    "p, .x, span", "body > p", "div > div > span.x", "li.x + li a",
    "section > a.q", "template", "template p", ".nope", "div.nope p",
};

START_TEST(css_index)
{
    htmlDocPtr doc = htmlReadMemory(index_page, (int)strlen(index_page), NULL,
                                    "UTF-8",
                                    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    ck_assert_ptr_nonnull(doc);
    pipe_cssm_index *ix = pipe_cssm_index_build(doc, 1);
    ck_assert_ptr_nonnull(ix);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr a = elem_by_id(root, "a");
    xmlNodePtr ctxs[] = {(xmlNodePtr)doc, root, a};
    for (size_t c = 0; c < 3; c++)
        for (size_t i = 0; i < sizeof index_sels / sizeof *index_sels; i++)
            ck_assert_msg(same_as_walk(index_sels[i], ctxs[c], ix, 0) != -2,
                          "'%s' (context %zu) left to the walk",
                          index_sels[i], c);
    /* subjects without a tag, class or id: the walk's */
    ck_assert_int_eq(same_as_walk("[href]", (xmlNodePtr)doc, ix, 0), -2);
    ck_assert_int_eq(same_as_walk("div *", (xmlNodePtr)doc, ix, 0), -2);
    /* an index built with <template> content answers only walks that
     * skip it the same way */
    pipe_cssm_index *all = pipe_cssm_index_build(doc, 0);
    size_t off = 0;
    const char *reason = NULL;
    pipe_cssm *m = NULL;
    free(pipe_css_compile("p", &off, &reason, &m));
    hits h = {{0}, 0};
    ck_assert_int_eq(pipe_cssm_query(m, all, (xmlNodePtr)doc, 1, 0, collect,
                                     &h), -2);
    ck_assert_int_eq(pipe_cssm_query(m, all, (xmlNodePtr)doc, 0, 0, collect,
                                     &h), 0);
    ck_assert_int_eq(h.k, 6); /* the template's <p> too */
    pipe_cssm_free(m);
    pipe_cssm_index_free(all);
    /* removals: the index skips what left the document; a removed
     * subtree as the context goes to the walk */
    xmlUnlinkNode(a);
    for (size_t i = 0; i < sizeof index_sels / sizeof *index_sels; i++)
        same_as_walk(index_sels[i], (xmlNodePtr)doc, ix, 1);
    ck_assert_int_eq(same_as_walk(".x", a, ix, 1), -2);
    xmlFreeNode(a);
    pipe_cssm_index_free(ix);
    xmlFreeDoc(doc);
}
END_TEST

Suite *css_suite(void)
{
    Suite *s = suite_create("css");
    TCase *tc = tcase_create("compile");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, css_to_xpath);
    tcase_add_test(tc, css_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("match");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, css_matches);
    tcase_add_test(tc, css_lua_errors);
    tcase_add_test(tc, css_index);
    suite_add_tcase(s, tc);
    return s;
}
