/*
 * html plugin: text rules, attributes, tree edits, XPath, strip, junk
 * input, encodings (fixture pages tests/pages/enc-*.html).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "pipe/html.h"
#include "suites.h"

/* Run code that returns one string and compare it. */
static void expect_str(lua_State *L, const char *code, const char *want)
{
    int top = lua_gettop(L);
    const char *err = pipe_test_dostring(L, code);
    ck_assert_msg(err == NULL, "%s: %s", code, err);
    const char *got = lua_tostring(L, top + 1);
    ck_assert_msg(got != NULL && strcmp(got, want) == 0,
                  "%s:\ngot  '%s'\nwant '%s'", code, got ? got : "(nil)",
                  want);
    lua_settop(L, top);
}

static void expect_err(lua_State *L, const char *code, const char *needle)
{
    const char *err = pipe_test_dostring(L, code);
    ck_assert_msg(err != NULL, "%s: expected an error", code);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: error '%s' lacks '%s'",
                  code, err, needle);
}

static const struct {
    const char *html, *css, *text;
} text_cases[] = {
    /* inline markup keeps spaces right */
    {"<p>word <a href=#>link</a>, next</p>", "p", "word link, next"},
    /* a word runs on over other 0xC2 characters (\xc2\xa9, \xc2\xb0); a
     * no-break space ends it */
    {"<p>a\xc2\xa9" "b  c&nbsp;d\xc2\xb0\xc2\xa0 e \xc2\xa9</p>", "p",
     "a\xc2\xa9" "b c d\xc2\xb0 e \xc2\xa9"},
    {"<p>  lots \n\t of   <em>white</em>space  </p>", "p", "lots of whitespace"},
    /* entities decoded; nbsp is a plain space and collapses */
    {"<p>a&nbsp;&nbsp;b &amp; c&mdash;d&#8217;s</p>", "p", "a b & c\u2014d\u2019s"},
    /* blocks inside a div: blank line between them */
    {"<div><p>One</p><p>Two</p>tail</div>", "div", "One\n\nTwo\n\ntail"},
    {"<div><h2>Head</h2><ul><li>a</li><li>b</li></ul></div>", "div", "Head\n\na\n\nb"},
    /* <br> is a newline */
    {"<p>line one<br>line two<br/><br>three</p>", "p", "line one\nline two\nthree"},
    /* hidden elements never appear */
    {"<div>a<script>x()</script><style>p{}</style><noscript>ns</noscript>"
     "<template><p>t</p></template><svg><text>s</text></svg>b</div>", "div", "ab"},
    /* ... unless the walk starts there */
    {"<head><title>The &amp; title</title></head><p>x</p>", "title", "The & title"},
    {"<p>x</p><script type='application/ld+json'>{\"a\": 1}</script>",
     "script", "{\"a\": 1}"},
    /* table cells: spaces; rows: lines */
    {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
     "table", "a b\nc"},
    /* <pre> keeps its whitespace */
    {"<div><pre>  x = 1\n    y</pre></div>", "div", "  x = 1\n    y"},
    /* libxml2 2.9.14: <section> does not close <p>, it nests */
    {"<p>before<section>inside</section>after</p>", "p", "before\n\ninside\n\nafter"},
    /* libxml2 2.9.14: <source> is not void */
    {"<video><source src=a.mp4></video><p>after video</p>", "p", "after video"},
    {"<p>unclosed <b>bold <i>both</p><p>next", "p:nth-of-type(2)", "next"},
    /* words one space apart go out as one piece; any other white space
     * still collapses, also next to inline markup and a no-break space */
    {"<p>one two three  four\tfive\n six <b>seven</b> eight &nbsp;nine&nbsp; ten </p>",
     "p", "one two three four five six seven eight nine ten"},
};

START_TEST(html_text_rules)
{
    lua_State *L = pipe_test_lua();
    for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
        lua_pushstring(L, text_cases[i].html);
        lua_setglobal(L, "H");
        lua_pushstring(L, text_cases[i].css);
        lua_setglobal(L, "S");
        expect_str(L, "return html.parse(H):first(S):text()",
                   text_cases[i].text);
    }
    /* {nbsp = true}: a no-break space is text, also after a single space */
    expect_str(L, "return html.parse('<p>a b&nbsp;c &nbsp;d  e</p>'):first('p')"
                  ":text({nbsp = true})",
               "a b\u00A0c \u00A0d e");
    pipe_lua_close(L);
}
END_TEST

static const char doc_page[] =
    "<!DOCTYPE html><html><head><base href=\"/news/\"><title>T</title></head>"
    "<body><div id=\"main\" class=\"a b\" data-x=\"1 &amp; 2\">"
    "<p id=\"p1\">One <em>two</em> three</p>"
    "<div class=\"ad\">Buy!</div>"
    "<p id=\"p2\">Four <font color=red>five</font></p>"
    "</div></body></html>";

START_TEST(html_nodes)
{
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, doc_page);
    lua_setglobal(L, "H");
    const char *err = pipe_test_dostring(L,
        "D = html.parse(H, {url = 'https://example.com/a/b.html'})");
    ck_assert_msg(err == NULL, "%s", err);
    expect_str(L, "return D:first('#main').tag", "div");
    expect_str(L, "return D:first('#main'):attr('data-x')", "1 & 2");
    expect_str(L, "return tostring(D:first('#main'):attr('nope'))", "nil");
    expect_str(L,
        "local t = D:first('#main'):attrs()\n"
        "return t.id .. '|' .. t.class .. '|' .. t['data-x']",
        "main|a b|1 & 2");
    expect_str(L, "return D:first('#p1'):html()", "One <em>two</em> three");
    expect_str(L, "return D:first('#p1'):outer()",
               "<p id=\"p1\">One <em>two</em> three</p>");
    expect_str(L, "return D:first('em'):parent():attr('id')", "p1");
    expect_str(L, "return tostring(D:root():parent())", "nil");
    expect_str(L, "return D:root().tag", "html");
    expect_str(L,
        "local t = {} for _, c in ipairs(D:first('#main'):children()) do\n"
        "  t[#t+1] = c.tag end return table.concat(t, ',')",
        "p,div,p");
    expect_str(L, "return tostring(D:first('#main') == D:first('div.a'))",
               "true");
    expect_str(L, "return tostring(D:first('table'))", "nil");
    expect_str(L, "return D:first('#main'):first('em'):text()", "two");
    expect_str(L, "return tostring(#D:first('#p1'):select('p'))", "0");
    /* url: <base href> resolved against the parse url */
    expect_str(L, "return D:url()", "https://example.com/news/");
    expect_str(L, "return D:encoding()", "utf-8");
    /* edits */
    expect_str(L, "return tostring(D:remove('.ad, .nothing'))", "1");
    expect_str(L, "return D:first('#main'):text()",
               "One two three\n\nFour five");
    expect_str(L,
        "local f = D:first('font'); f:unwrap()\n"
        "return D:first('#p2'):html() .. '|' .. tostring(f:parent())",
        "Four five|nil");
    expect_str(L,
        "local e = D:first('em'); e:rename('strong'); e:set_attr('class', 'x')\n"
        "return D:first('#p1'):html()",
        "One <strong class=\"x\">two</strong> three");
    expect_str(L,
        "local e = D:first('strong'); e:set_attr('class', nil)\n"
        "return D:first('#p1'):html()", "One <strong>two</strong> three");
    /* a removed node stays usable; removing twice is harmless */
    expect_str(L,
        "local p = D:first('#p1'); p:remove(); p:remove()\n"
        "collectgarbage()\n"
        "return p:text() .. '|' .. #D:select('p') .. '|' .. tostring(p:parent())",
        "One two three|1|nil");
    expect_str(L,
        "local m = D:first('#main'); D:remove('#main')\n"
        "return m:first('p'):text()", "Four five");
    pipe_lua_close(L);
}
END_TEST

/* node:contains, node:wrap, node:append: the edits FiveFilters configs
 * need (strip scoping, wrap_in, move_into) */
START_TEST(html_wrap_append)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "D = html.parse('<div id=a><p id=p>One <b id=b>two</b></p></div>"
        "<div id=c>Three</div>')\n"
        "A, P, B, C = D:first('#a'), D:first('#p'), D:first('#b'), D:first('#c')");
    ck_assert_msg(err == NULL, "%s", err);
    expect_str(L,
        "return tostring(A:contains(B)) .. tostring(B:contains(A)) .."
        " tostring(A:contains(A)) .. tostring(C:contains(B))",
        "truefalsetruefalse");
    expect_str(L, "local w = B:wrap('h2') return w.tag .. '|' .. P:html()",
               "h2|One <h2><b id=\"b\">two</b></h2>");
    expect_str(L, "C:append(P) return A:html() .. '|' .. C:html()",
               "|Three<p id=\"p\">One <h2><b id=\"b\">two</b></h2></p>");
    /* misuse raises; removed nodes and the root are left alone */
    expect_str(L, "return select(2, pcall(P.append, P, C))",
               "bad argument #2 to '?' (cannot move a node into itself)");
    expect_str(L, "return select(2, pcall(B.wrap, B, 'a b'))",
               "bad argument #2 to '?' (bad tag name 'a b')");
    expect_str(L, "return tostring(D:root():wrap('div'))", "nil");
    expect_str(L, "A:remove() return tostring(A:wrap('div'))", "nil");
    expect_str(L, "C:append(A) return tostring(C:contains(A))", "false");
    expect_str(L,
        "local E = html.parse('<p>x</p>'):first('p')\n"
        "return select(2, pcall(C.append, C, E))",
        "bad argument #2 to '?' (node of another document)");
    pipe_lua_close(L);
}
END_TEST

START_TEST(html_xpath)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "D = html.parse('<ul><li a=\"1\">x</li><li a=\"2\">y</li></ul>')");
    ck_assert_msg(err == NULL, "%s", err);
    expect_str(L, "return math.type(D:xpath('count(//li)')) .. D:xpath('count(//li)')",
               "integer2");
    expect_str(L, "return D:xpath('string(//li[2])')", "y");
    expect_str(L, "return tostring(D:xpath('count(//li) > 1'))", "true");
    expect_str(L,
        "local t = D:xpath('//li/@a') return t[1] .. t[2]", "12");
    expect_str(L, "return D:xpath('//li/text()')[2]", "y");
    expect_str(L, "return D:xpath('//li')[1]:text()", "x");
    expect_str(L, "return D:first('ul'):xpath('string(li[1]/@a)')", "1");
    expect_err(L, "D:xpath('//li[')", "bad xpath '//li[': invalid expression");
    expect_err(L, "D:xpath('foo()')", "xpath 'foo()' failed: unregistered function");
    /* the op limit stops a runaway expression instead of hanging */
    err = pipe_test_dostring(L,
        "local d = html.parse(string.rep('<p>a</p>', 10000))\n"
        "return d:xpath('count(//p[count(following::p) >= "
        "count(preceding::p)])')");
    ck_assert_msg(err != NULL && strstr(err, "operation limit exceeded"),
                  "%s", err ? err : "no error");
    expect_err(L, "html.parse(42)", "bad argument #1 to 'parse'");
    expect_err(L, "html.parse('<p>', {encoding = 'no-such-enc'})",
               "unknown encoding 'no-such-enc'");
    expect_err(L, "D.first(42, 'p')", "pipe.Node or pipe.Document");
    pipe_lua_close(L);
}
END_TEST

START_TEST(html_absolute)
{
    lua_State *L = pipe_test_lua();
    expect_str(L, "return html.absolute('../x', 'http://e.com/a/b/c')",
               "http://e.com/a/x");
    expect_str(L, "return html.absolute('  /y?q=1 ', 'https://e.com/a/b')",
               "https://e.com/y?q=1");
    expect_str(L, "return html.absolute('//cdn.e.com/i.png', 'https://e.com/')",
               "https://cdn.e.com/i.png");
    expect_str(L, "return html.absolute('http://o.org/', 'https://e.com/')",
               "http://o.org/");
    expect_str(L, "return html.absolute('a b.html', 'https://e.com/d/')",
               "https://e.com/d/a%20b.html");
    /* the short ways (an absolute http(s) URL as it is, an absolute path
     * behind the base's scheme and host) and what they must leave to
     * libxml2: a character it escapes, a bad escape, two fragments, a
     * base it cannot parse, a user or port in the base */
    static const char *const cases[][3] = {
        {"https://E-x.org/a/b.html?q=1&r=(2)#f", "https://e.com/",
         "https://E-x.org/a/b.html?q=1&r=(2)#f"},
        {"https://o.org/a b", "https://e.com/", "https://o.org/a%20b"},
        {"https://o.org/%zz", "https://e.com/", "nil"},
        {"https://o.org/a#b#c", "https://e.com/", "nil"},
        {"/a/b;c=d.html", "https://e.com/x?y#z", "https://e.com/a/b;c=d.html"},
        {"/a/./b", "https://e.com/x", "https://e.com/a/./b"},
        {"/a:b", "https://e.com/", "https://e.com/a%3Ab"},
        {"/p", "https://u@e.com/x", "https://u@e.com/p"},
        {"/p", "https://e.com:81/x", "https://e.com:81/p"},
        {"/p", "https://e.com/a b", "/p"},
        {"/p", "https://e.com/%zz", "/p"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char code[256];
        snprintf(code, sizeof code, "return tostring(html.absolute('%s', '%s'))",
                 cases[i][0], cases[i][1]);
        expect_str(L, code, cases[i][2]);
    }
    pipe_lua_close(L);
}
END_TEST

static const struct {
    const char *html, *text;
} strip_cases[] = {
    {"<html><head><title>T</title><style>x{}</style></head><body>"
     "<h1>Title</h1><p>Para <b>one</b>.</p><p>Two<br>lines</p>"
     "<script>var s = '<p>no</p>';</script></body></html>",
     "Title\n\nPara one.\n\nTwo\nlines"},
    {"<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><p>after</p>",
     "- a\n- b\n  - c\n\nafter"},
    {"<table><tr><th>A</th><th>B</th><th>C</th></tr>"
     "<tr><td>1</td><td></td><td>3</td></tr></table>",
     "A\tB\tC\n1\t\t3"},
    {"<p>a&nbsp;b &lt;c&gt;</p><!-- comment --><noscript>x</noscript>",
     "a b <c>"},
    {"", ""},
};

START_TEST(html_strip_rules)
{
    lua_State *L = pipe_test_lua();
    for (size_t i = 0; i < sizeof strip_cases / sizeof strip_cases[0]; i++) {
        lua_pushstring(L, strip_cases[i].html);
        lua_setglobal(L, "H");
        expect_str(L, "return html.strip(H)", strip_cases[i].text);
    }
    expect_str(L,
        "return html.strip('<p>See <a href=\"http://a.org/\">A</a>, "
        "<a href=\"#top\">top</a> and <a href=\"/b\">B</a> "
        "(<a href=\"http://a.org/\">again</a>).</p>', {links = true})",
        "See A[1], top and B[2] (again[1]).\n\n[1] http://a.org/\n[2] /b");
    expect_str(L,
        "local d = html.parse('<div><p>x</p></div><p>y</p>')\n"
        "return html.strip(d:first('div')) .. '|' .. html.strip(d)",
        "x|x\n\ny");
    pipe_lua_close(L);
}
END_TEST

/* Junk never crashes and always gives a document. */
START_TEST(html_junk)
{
    lua_State *L = pipe_test_lua();
    expect_str(L,
        "local d = html.parse('')\n"
        "return d:root().tag .. '|' .. d:text() .. '|' .. #d:select('*')",
        "html||3");
    /* binary garbage, including NUL and C0 bytes */
    expect_str(L,
        "local t = {} for i = 0, 255 do t[#t+1] = string.char(i) end\n"
        "local s = string.rep(table.concat(t), 50)\n"
        "local d = html.parse(s)\n"
        "local x = html.strip(s)\n"
        "return d:encoding() .. '|' .. tostring(utf8.len(x) ~= nil)",
        "windows-1252|true");
    /* 1 MB of nested <div>s */
    expect_str(L,
        "local s = string.rep('<div>', 200000) .. 'deep'\n"
        "local d = html.parse(s)\n"
        "local n = #d:select('div')\n"
        "return tostring(n > 100) .. '|' .. type(d:text()) .. '|' .. "
        "type(d:root():outer())",
        "true|string|string");
    /* unclosed tags */
    expect_str(L,
        "local d = html.parse('<p>one<p>two<div><span>three<b>four')\n"
        "return html.strip(d)", "one\n\ntwo\n\nthreefour");
    /* invalid UTF-8 read as UTF-8 becomes U+FFFD (a page that only
     * declares UTF-8 would go to uchardet instead) */
    expect_str(L,
        "return html.parse('<p>a\\xff\\xfeb\\xe2\\x82</p>', "
        "{encoding = 'utf-8'}):first('p'):text()",
        "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD");
    expect_str(L,
        "local d = html.parse('<p>x</p>'); d:close(); d:close()\n"
        "return tostring(pcall(d.text, d))", "false");
    pipe_lua_close(L);
}
END_TEST

/* Regression: without XML_PARSE_HUGE, libxml2 stopped parsing at element
 * depth 256 (the rest of the page was silently lost) and cut text nodes
 * at 10,000,000 bytes. */
START_TEST(html_deep_and_long)
{
    lua_State *L = pipe_test_lua();
    expect_str(L,
        "local d = html.parse(string.rep('<b>x', 300) .. '<p>THE END</p>')\n"
        "return d:xpath('string(//p)') .. '|' .. #d:select('b')",
        "THE END|300");
    expect_str(L,
        "local d = html.parse(string.rep('<div>', 200000) .. '<p>deep</p>')\n"
        "return #d:select('div') .. '|' .. d:first('p'):text()",
        "200000|deep");
    expect_str(L,
        "local d = html.parse('<p>' .. string.rep('a', 10000001) .. '</p>')\n"
        "return tostring(#d:first('p'):text())", "10000001");
    /* regression (fuzz_html): a NUL in a meta charset label reached
     * iconv_open as "", the locale's charset; the encoding read "" */
    expect_str(L,
        "return html.parse('<meta charset= \\0 \\0><p>\\xc3\\xa9</p>'):encoding()",
        "utf-8");
    expect_str(L,
        "return html.parse('<meta charset=\"utf\\0-8\"><p>\\xe9</p>'):encoding()",
        "windows-1252");
    /* CSS matches skip <template> content; the document caches whether it
     * has one, and :rename keeps the cache right */
    expect_str(L,
        "local d = html.parse('<div><p>a</p></div><p>b</p>')\n"
        "local before = #d:select('p')\n"
        "d:first('div'):rename('template')\n"
        "return before .. '|' .. #d:select('p') .. '|' .. d:first('p'):text()",
        "2|1|b");
    pipe_lua_close(L);
}
END_TEST

static char *read_page(const char *name, size_t *len)
{
    const char *dir = getenv("PIPE_TEST_PAGES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/pages", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static const struct {
    const char *page, *encoding, *h1, *footer;
} enc_cases[] = {
    {"enc-windows-1251.html", "windows-1251",
     "Городской совет утвердил бюджет на следующий год",
     "© 2024 Городские новости. Все права защищены."},
    {"enc-koi8-r.html", "koi8-r",
     "Городской совет утвердил бюджет на следующий год",
     "(c) 2024 Городские новости. Все права защищены."},
    {"enc-iso-8859-1.html", "windows-1252",
     "Le budget municipal adopté à l’unanimité", "© 2024 Le Quotidien"},
    {"enc-utf-16le.html", "utf-16le", "Міська рада ухвалила бюджет",
     "© 2024 Міські новини"},
    {"enc-windows-1251-nometa.html", "windows-1251",
     "Городской совет утвердил бюджет на следующий год",
     "© 2024 Городские новости. Все права защищены."},
    {"enc-utf-8-lie.html", "windows-1251",
     "Городской совет утвердил бюджет на следующий год",
     "© 2024 Городские новости. Все права защищены."},
    /* longer than uchardet's sample: the whole page converted */
    {"enc-windows-1251-long.html", "windows-1251",
     "Городской совет утвердил бюджет на следующий год",
     "© 2024 Городские новости. Все права защищены."},
    {"enc-shift_jis-long.html", "cp932", "市議会、来年度予算案を可決",
     "(c) 2024 市民新聞。無断転載を禁じます。"},
    {"enc-utf-8-stray.html", "utf-8",
     "Stadtrat beschließt Haushalt für das nächste Jahr",
     "© 2024 Stadtnachrichten. Alle Rechte vorbehalten."},
};

/* Declared UTF-8 but not valid: UTF-8 with U+FFFD while the valid
 * multi-byte sequences outnumber the stray bytes, detection otherwise. */
static const struct {
    const char *src, *encoding, *text;
} stray_cases[] = {
    /* 3 valid sequences, 1 stray byte */
    {"<meta charset=utf-8><p>Gr\xc3\xbc\xc3\x9f\xc3\xa9 \x93x</p>", "utf-8",
     "Grüßé \xef\xbf\xbdx"},
    /* 1 valid, 1 stray: no majority, uchardet decides (not UTF-8) */
    {"<meta charset=utf-8><p>caf\xe9 cr\xc3\xa8me</p>", "windows-1252",
     "café crÃ¨me"},
    /* a cut-off sequence is one U+FFFD, as browsers decode it: E2 82
     * before "b", F0 9F 98 before " "; FF and FE are one each */
    {"<meta charset=utf-8><p>\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
     "\xc3\xa9\xc3\xa9\xc3\xa9 a\xe2\x82" "b \xf0\x9f\x98 c \xff\xfe" "d</p>", "utf-8",
     "éééééééé a\xef\xbf\xbd" "b \xef\xbf\xbd c \xef\xbf\xbd\xef\xbf\xbd" "d"},
    /* no valid sequence at all: a false declaration */
    {"<meta charset=utf-8><p>caf\xe9 cr\xe8me</p>", "windows-1252",
     "café crème"},
};

/* uchardet reads the page only up to its first 2,048 bytes >= 0x80: a
 * page that opens with 2,920 of windows-1251 Russian and goes on with
 * 28 KB of windows-1253 Greek is read as windows-1251 (uchardet on the
 * whole page says iso-8859-7), and the whole page is converted. */
START_TEST(html_detect_sample)
{
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, "\xc4\xe5\xef\xf3\xf2\xe0\xf2\xfb \xe3\xee\xf0\xee\xe4\xf1\xea\xee\xe3\xee \xf1\xee\xe2\xe5\xf2\xe0 \xe2\xee \xe2\xf2\xee\xf0\xed\xe8\xea \xf3\xf2\xe2\xe5\xf0\xe4\xe8\xeb\xe8 \xe1\xfe\xe4\xe6\xe5\xf2 \xed\xe0 \xf1\xeb\xe5\xe4\xf3\xfe\xf9\xe8\xe9 \xe3\xee\xe4. ");
    lua_setglobal(L, "RU");
    lua_pushstring(L, "\xd4\xef \xe4\xe7\xec\xef\xf4\xe9\xea\xfc \xf3\xf5\xec\xe2\xef\xfd\xeb\xe9\xef \xe5\xed\xdd\xea\xf1\xe9\xed\xe5 \xf4\xef\xed \xf0\xf1\xef\xfb\xf0\xef\xeb\xef\xe3\xe9\xf3\xec\xfc \xe3\xe9\xe1 \xf4\xef \xe5\xf0\xfc\xec\xe5\xed\xef \xdd\xf4\xef\xf2. ");
    lua_setglobal(L, "GR");
    expect_str(L,
        "local d = html.parse('<p>' .. RU:rep(40) .. '</p><p>' .. "
        "GR:rep(400) .. 'END</p>')\n"
        "local p = d:select('p')\n"
        "return d:encoding() .. '|' .. p[1]:text():sub(1, 16) .. '|' .. "
        "p[2]:text():sub(-3)",
        "windows-1251|\u0414\u0435\u043f\u0443\u0442\u0430\u0442\u044b|END");
    pipe_lua_close(L);
}
END_TEST

START_TEST(html_utf8_stray_bytes)
{
    lua_State *L = pipe_test_lua();
    for (size_t i = 0; i < sizeof stray_cases / sizeof stray_cases[0]; i++) {
        lua_pushstring(L, stray_cases[i].src);
        lua_setglobal(L, "RAW");
        char want[256];
        snprintf(want, sizeof want, "%s|%s", stray_cases[i].encoding,
                 stray_cases[i].text);
        expect_str(L,
            "local d = html.parse(RAW)\n"
            "return d:encoding() .. '|' .. d:first('p'):text()", want);
    }
    pipe_lua_close(L);
}
END_TEST

START_TEST(html_encodings)
{
    lua_State *L = pipe_test_lua();
    for (size_t i = 0; i < sizeof enc_cases / sizeof enc_cases[0]; i++) {
        size_t len;
        char *data = read_page(enc_cases[i].page, &len);
        lua_pushlstring(L, data, len);
        free(data);
        lua_setglobal(L, "RAW");
        char want[512];
        snprintf(want, sizeof want, "%s|%s|%s", enc_cases[i].encoding,
                 enc_cases[i].h1, enc_cases[i].footer);
        expect_str(L,
            "local d = html.parse(RAW)\n"
            "return d:encoding() .. '|' .. d:first('h1'):text() .. '|' .. "
            "d:first('footer'):text()", want);
    }
    /* a forced encoding wins over detection */
    size_t len;
    char *data = read_page("enc-windows-1251.html", &len);
    lua_pushlstring(L, data, len);
    free(data);
    lua_setglobal(L, "RAW");
    expect_str(L,
        "local d = html.parse(RAW, {encoding = 'koi8-r'})\n"
        "return d:encoding() .. '|' .. tostring(d:first('h1'):text() ~= "
        "'Городской совет утвердил бюджет на следующий год')",
        "koi8-r|true");
    /* the whole Cyrillic paragraph comes through intact */
    expect_str(L,
        "return html.parse(RAW):first('article p:nth-of-type(3)'):text()",
        "«Мы впервые за несколько лет увеличиваем расходы на образование», "
        "— сказал председатель бюджетной комиссии.");
    pipe_lua_close(L);
}
END_TEST

/* The C API the extract plugin uses. */
START_TEST(html_c_api)
{
    char *err = NULL;
    static const char src[] = "<div><p>a <i>b</i></p><p>c</p></div>";
    xmlDocPtr doc = pipe_html_parse(src, sizeof src - 1, NULL, &err);
    ck_assert_ptr_nonnull(doc);
    size_t len = 0;
    char *t = pipe_html_text_alloc(xmlDocGetRootElement(doc), "\n", &len);
    ck_assert_str_eq(t, "a b\nc");
    ck_assert_uint_eq(len, 5);
    free(t);
    t = pipe_html_strip((xmlNodePtr)doc, 0, &len);
    ck_assert_str_eq(t, "a b\n\nc");
    free(t);
    ck_assert_int_eq(pipe_html_is_block("p"), 1);
    ck_assert_int_eq(pipe_html_is_block("span"), 0);
    ck_assert_int_eq(pipe_html_is_hidden("script"), 1);
    xmlFreeDoc(doc);
    ck_assert_ptr_null(pipe_html_parse("<p>", 3, "bogus-enc", &err));
    ck_assert_str_eq(err, "unknown encoding 'bogus-enc'");
    free(err);
}
END_TEST

/* html.texts: each node's :text(), from one walk of the document; nodes
 * whose text is not their stretch of the document's text (in <head>, in
 * skipped content, inside <pre>) rendered alone. */
static const char texts_page[] =
    "<!DOCTYPE html><html><head><title>T &amp; t</title>"
    "<style>p{}</style></head><body>"
    "<div id=a> lead <p>One&nbsp;&nbsp;<b>two</b><br>three</p>"
    "<ul><li>x</li><li> y <i>z</i> </li></ul>"
    "<table><tr><td>c1</td><td>c2</td></tr><tr><th>h</th></tr></table>"
    "<pre>  keep\n   this <span> and\n\n that</span></pre>"
    "<noscript><div>hidden <p>inside</p></div></noscript>"
    "<div><div><div><p>deep</p></div></div> tail </div>"
    "<p></p><p>   </p><section><p>s<br></p></section>"
    "<template><p>tpl</p></template>after</div>"
    "<svg><text>svg</text></svg><p>last one</p></body></html>";

START_TEST(html_texts_like_text)
{
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, texts_page);
    lua_setglobal(L, "H");
    expect_str(L,
        "local doc = html.parse(H)\n"
        "local all = doc:xpath('//*')\n"
        "all[#all + 1] = all[3]  -- twice in the list\n"
        "local t = html.texts(all)\n"
        "if #t ~= #all then return 'count ' .. #t end\n"
        "for i, n in ipairs(all) do\n"
        "  if t[i] ~= n:text() then return n.tag .. ' ' .. i .. ': ' .. t[i] end\n"
        "end\n"
        "return 'same ' .. #all",
        "same 39");
    /* in reverse document order, each node twice (the spans are found by
     * node, whatever the list's order) */
    expect_str(L,
        "local doc = html.parse(H)\n"
        "local all, rev = doc:xpath('//*'), {}\n"
        "for i = #all, 1, -1 do rev[#rev + 1] = all[i]; rev[#rev + 1] = all[i] end\n"
        "local t = html.texts(rev)\n"
        "for i, n in ipairs(rev) do\n"
        "  if t[i] ~= n:text() then return n.tag .. ' ' .. i .. ': ' .. t[i] end\n"
        "end\n"
        "return 'same ' .. #rev",
        "same 76");
    expect_str(L, "return #html.texts({})", "0");
    expect_str(L,
        "local doc = html.parse(H)\n"
        "local t = html.texts(doc:select('#a > p, pre, title'))\n"
        "return table.concat(t, '|')",
        "T & t|One two\nthree|  keep\n   this  and\n\n that||");
    expect_err(L, "html.texts({html.parse(H):root(), 'x'})",
               "html.texts: item 2 is not a Node");
    expect_err(L, "html.texts({html.parse(H):root(), html.parse(H):root()})",
               "html.texts: the nodes are not all of one document");
    expect_err(L, "local d = html.parse(H); local r = d:root(); d:close(); "
                  "html.texts({r})",
               "html.texts: item 1: document is closed");
    expect_err(L, "html.texts('x')", "table expected");
    pipe_lua_close(L);
}
END_TEST

/* node:first_value(css, how, arg) gives what :first(css) and the
 * matching method give (whatever the selector, the context, the index,
 * <template> content); nil for no match, false for a missing attribute */
START_TEST(html_first_value)
{
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, texts_page);
    lua_setglobal(L, "H");
    expect_str(L,
        "local doc = html.parse(H .. '<template><p id=t>inert</p></template>'"
        "  .. '<p class=n>a&nbsp;b <a href=\"/x\" id=\"\">x</a></p>')\n"
        "local sels = {'p', '#a > p', 'pre', 'title', 'a', 'p.n', 'h6',\n"
        "  '#t', 'p:nth-of-type(2)', 'body *:last-child'}\n"
        "local n = 0\n"
        "for round = 1, 9 do -- (the document's index is made on the way)\n"
        "  for _, ctx in ipairs({doc, doc:root(), doc:first('body')}) do\n"
        "    for _, s in ipairs(sels) do\n"
        "      local m = ctx:first(s)\n"
        "      local want = {m and m:text(), m and m:text({nbsp = true}),\n"
        "        m and html.strip(m), m and html.strip(m, {nbsp = true}),\n"
        "        m and m:html(), m and (m:attr('href') or false),\n"
        "        m and (m:attr('id') or false)}\n"
        "      local got = {ctx:first_value(s, 'text'),\n"
        "        ctx:first_value(s, 'text', {nbsp = true}),\n"
        "        ctx:first_value(s, 'strip'),\n"
        "        ctx:first_value(s, 'strip', {nbsp = true}),\n"
        "        ctx:first_value(s, 'html'), ctx:first_value(s, 'attr', 'href'),\n"
        "        ctx:first_value(s, 'attr', 'id')}\n"
        "      for i = 1, 7 do\n"
        "        if got[i] ~= want[i] then\n"
        "          return s .. ' ' .. i .. ': ' .. tostring(got[i]) .. ' ~= ' .. tostring(want[i])\n"
        "        end\n"
        "      end\n"
        "      n = n + 1\n"
        "    end\n"
        "  end\n"
        "end\n"
        "return 'same ' .. n",
        "same 270");
    expect_str(L,
        "local doc = html.parse('<p class=n>a&nbsp;b <a href=\"/x\" id=\"\">x</a></p>')\n"
        "return table.concat({tostring(doc:first_value('h1', 'text')),\n"
        "  tostring(doc:first_value('a', 'attr', 'title')),\n"
        "  doc:first_value('a', 'attr', 'id'), doc:first_value('a', 'attr', 'href'),\n"
        "  doc:first_value('p', 'text'), doc:first_value('p', 'text', {nbsp = true})}, '|')",
        "nil|false||/x|a b x|a\xc2\xa0" "b x");
    /* the parse notes a <template> (no walk to look for one) */
    expect_str(L, "local d = html.parse('<p><TEMPLATE><i>t</i></TEMPLATE></p>"
                  "<i>o</i>') return d:first_value('i', 'text') .. #d:select('i')"
                  " .. #d:xpath('//i')",
               "o12");
    expect_err(L, "html.parse('<p>x</p>'):first_value('p', 'words')",
               "invalid option 'words'");
    expect_err(L, "html.parse('<p>x</p>'):first_value('p', 'attr')",
               "bad argument #3 to 'first_value' (string expected");
    expect_err(L, "html.parse('<p>x</p>'):first_value('p[', 'text')",
               "bad selector 'p['");
    expect_err(L, "local d = html.parse('<p>x</p>'); local r = d:root(); "
                  "d:close(); r:first_value('p', 'text')",
               "document is closed");
    pipe_lua_close(L);
}
END_TEST

/* doc:remove(css, regex) removes what the text removal of lib/rules did
 * in Lua before it (the reference below): each match whose :text() the
 * regex finds unless a match inside it has such a text, the texts read
 * before any removal.  Every context, selectors the native matcher runs
 * (with and without the document's index) and one it leaves to XPath,
 * patterns anchored at either end, with a lookbehind, matching nothing
 * and everything; matches in <head>, <pre>, hidden content. */
START_TEST(html_remove_text)
{
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, texts_page);
    lua_setglobal(L, "H");
    expect_str(L,
        "local function ref(ctx, css, rx)\n"
        "  local n, blocks = 0, ctx:select(css)\n"
        "  local texts = {}\n"
        "  for i, b in ipairs(blocks) do texts[i] = b:text() end\n"
        "  for i, node in ipairs(blocks) do\n"
        "    if rx:find(texts[i]) then\n"
        "      local smallest = true\n"
        "      for _, inner in ipairs(node:select(css)) do\n"
        "        if rx:find(inner:text()) then smallest = false; break end\n"
        "      end\n"
        "      if smallest then node:remove(); n = n + 1 end\n"
        "    end\n"
        "  end\n"
        "  return n\n"
        "end\n"
        "local page = H .. '<div><p>Read also: x</p><div>Read also: <p>Read also: y</p>'\n"
        "  .. '</div><blockquote>Read also: z<p>no</p></blockquote></div>'\n"
        "local sels = {'p, div, li, blockquote, section, pre, title, table',\n"
        "  'div', 'p:nth-of-type(2), div', 'li, ul'}\n"
        "local pats = {'^Read also:', 'e$', '(?<=n)e', 'x', '^$', '', 'nowhere'}\n"
        "local n, removed = 0, 0\n"
        "for _, index in ipairs({false, true}) do\n"
        "  for _, s in ipairs(sels) do\n"
        "    for _, p in ipairs(pats) do\n"
        "      for _, where in ipairs({'doc', 'root', 'div'}) do\n"
        "        local rx = re.compile(p)\n"
        "        local a, b = html.parse(page), html.parse(page)\n"
        "        if index then a:index(); b:index() end\n"
        "        local ca, cb = a, b\n"
        "        if where == 'root' then ca, cb = a:root(), b:root() end\n"
        "        if where == 'div' then ca, cb = a:first('#a'), b:first('#a') end\n"
        "        local want = ref(ca, s, rx)\n"
        "        local got = cb:remove(s, rx)\n"
        "        if got ~= want or a:root():outer() ~= b:root():outer() then\n"
        "          return s .. ' ' .. p .. ' ' .. where .. ': ' .. got .. ' ~= ' .. want\n"
        "        end\n"
        "        n, removed = n + 1, removed + got\n"
        "      end\n"
        "    end\n"
        "  end\n"
        "end\n"
        "return 'same ' .. n .. ' ' .. removed",
        "same 168 220");
    expect_str(L,
        "local doc = html.parse('<div><p>Read also: x</p><div><p>keep</p>'\n"
        "  .. '<div>Read also: <p>Read also: y</p></div></div>'\n"
        "  .. '<blockquote>Read also: z<p>no</p></blockquote></div>')\n"
        "local n = doc:remove('p, div, blockquote', re.compile('^Read also:'))\n"
        "return n .. ' ' .. doc:first('body'):html()",
        "3 <div><div><p>keep</p><div>Read also: </div></div></div>");
    expect_str(L, "return html.parse('<p>x</p>'):remove('div', re.compile('x'))",
               "0");
    expect_err(L, "html.parse('<p>x</p>'):remove('p', 'x')",
               "bad argument #2 to 'remove' (pipe.Regex expected, got string)");
    expect_err(L, "local d = html.parse('<p>x</p>'); d:readonly(true); "
                  "d:remove('p', re.compile('x'))",
               "the document is read-only");
    expect_err(L, "html.parse('<p>' .. string.rep('a', 5000) .. 'b</p>')"
                  ":remove('p', re.compile('(a+)+$'))",
               "hit the match limit");
    pipe_lua_close(L);
}
END_TEST

/* An unwrap keeps the document's element index (a removal of the
 * unwrapped element, the others in their order): after unwraps the
 * index answers as a walk of a fresh parse of the edited page does, in
 * every context, for selectors of every combinator; unwrapping a
 * <template> (whose content the index leaves out) drops it. */
START_TEST(html_unwrap_index)
{
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, texts_page);
    lua_setglobal(L, "H");
    expect_str(L,
        "local sels = {'p', 'li', 'div > p', 'div p', '#a p', 'i', 'b', 'ul li',\n"
        "  'p + p', 'section p', 'li ~ li', 'div', 'td, th', 'br', '#a > *'}\n"
        "local function outers(list)\n"
        "  local t = {}\n"
        "  for i, n in ipairs(list) do t[i] = n:outer() end\n"
        "  return table.concat(t, '|')\n"
        "end\n"
        "local function check(doc, what)\n"
        "  for _, s in ipairs(sels) do\n"
        "    for _, where in ipairs({'doc', 'root', 'a'}) do\n"
        "      local fresh = html.parse(doc:root():outer())\n"
        "      local a, b = doc, fresh\n"
        "      if where == 'root' then a, b = doc:root(), fresh:root() end\n"
        "      if where == 'a' then a, b = doc:first('#a'), fresh:first('#a') end\n"
        "      if outers(a:select(s)) ~= outers(b:select(s)) then\n"
        "        return what .. ': ' .. s .. ' from ' .. where\n"
        "      end\n"
        "    end\n"
        "  end\n"
        "end\n"
        "local doc = html.parse(H)\n"
        "doc:index()\n"
        "local before = #doc:select('p')\n"
        "for _, n in ipairs(doc:select('b, section, div div, ul, i')) do n:unwrap() end\n"
        "local bad = check(doc, 'unwrapped')\n"
        "if bad then return bad end\n"
        "doc:xpath('//template')[1]:unwrap()\n"
        "bad = check(doc, 'template unwrapped')\n"
        "if bad then return bad end\n"
        "return before .. ' ' .. #doc:select('p') .. ' ' .. #doc:select('li')\n"
        "  .. ' ' .. #doc:select('div')",
        "7 8 2 1");
    pipe_lua_close(L);
}
END_TEST

/* The renderer's element classes, name by name (strip.c finds them with
 * a switch, not a list search): every name of both lists, and names
 * that share a prefix or a first letter with one. */
START_TEST(html_tag_classes)
{
    static const char *const hidden[] = {
        "head", "iframe", "noscript", "script", "style", "svg", "template",
        "title", NULL,
    };
    static const char *const blocks[] = {
        "address", "article", "aside", "blockquote", "body", "caption",
        "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend",
        "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "tfoot", "thead", "tr", "ul", NULL,
    };
    static const char *const neither[] = {
        "", "a", "b", "br", "td", "th", "span", "h", "h0", "h7", "h10",
        "h1x", "hea", "heads", "headers", "d", "di", "divs", "dlx", "t",
        "tab", "tables", "tt", "u", "ulx", "o", "ol2", "pr", "pres", "ps",
        "sv", "svgs", "scrip", "i", "img", "input", "l", "lis", "m", "mark",
        "n", "nobr", "noscripts", "c", "code", "f", "font", "DIV", "P",
        "Script", "area", "abbr", "button", "em", "strong", "section2",
        "x-div", "select", "option", "textarea", "time", "tfooter", NULL,
    };
    for (int i = 0; hidden[i] != NULL; i++) {
        ck_assert_msg(pipe_html_is_hidden(hidden[i]) == 1, "%s", hidden[i]);
        ck_assert_msg(pipe_html_is_block(hidden[i]) == 0, "%s", hidden[i]);
    }
    for (int i = 0; blocks[i] != NULL; i++) {
        ck_assert_msg(pipe_html_is_block(blocks[i]) == 1, "%s", blocks[i]);
        ck_assert_msg(pipe_html_is_hidden(blocks[i]) == 0, "%s", blocks[i]);
    }
    for (int i = 0; neither[i] != NULL; i++) {
        ck_assert_msg(pipe_html_is_block(neither[i]) == 0, "%s", neither[i]);
        ck_assert_msg(pipe_html_is_hidden(neither[i]) == 0, "%s", neither[i]);
    }
}
END_TEST

Suite *html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("text");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, html_text_rules);
    tcase_add_test(tc, html_strip_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("tree");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, html_nodes);
    tcase_add_test(tc, html_wrap_append);
    tcase_add_test(tc, html_xpath);
    tcase_add_test(tc, html_absolute);
    tcase_add_test(tc, html_c_api);
    tcase_add_test(tc, html_tag_classes);
    tcase_add_test(tc, html_texts_like_text);
    tcase_add_test(tc, html_first_value);
    tcase_add_test(tc, html_remove_text);
    tcase_add_test(tc, html_unwrap_index);
    suite_add_tcase(s, tc);
    tc = tcase_create("input");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, html_junk);
    tcase_add_test(tc, html_deep_and_long);
    tcase_add_test(tc, html_encodings);
    tcase_add_test(tc, html_utf8_stray_bytes);
    tcase_add_test(tc, html_detect_sample);
    suite_add_tcase(s, tc);
    return s;
}
