/*
 * extract plugin tests: the main-content scorer on small handmade pages in
 * tests/extract/ (article with nav, byline, caption, prompts, related links
 * and comments; a short article above a longer comment thread; a page that
 * is mostly a gallery; a page of links only), plus parameter handling.
 * Expected paragraphs are exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "suites.h"

#define PAGES_DIR PIPE_SOURCE_SCRIPTS "/../tests/extract/"

/* A sandboxed state with the page `name` parsed into global DOC. */
static lua_State *with_page(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s", PAGES_DIR, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open '%s'", path);
    char *buf = malloc(1 << 16);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    lua_State *L = pipe_test_lua();
    lua_pushlstring(L, buf, n);
    free(buf);
    lua_setglobal(L, "SRC");
    const char *err = pipe_test_dostring(L, "DOC = html.parse(SRC)");
    ck_assert_msg(err == NULL, "parse: %s", err);
    return L;
}

/* Run code that must return one string; compare it. */
static void expect_lua(lua_State *L, const char *code, const char *want)
{
    int top = lua_gettop(L);
    const char *err = pipe_test_dostring(L, code);
    ck_assert_msg(err == NULL, "%s: %s", code, err);
    ck_assert_int_eq(lua_gettop(L), top + 1);
    const char *got = lua_tostring(L, -1);
    ck_assert_msg(got && strcmp(got, want) == 0,
                  "%s:\n got '%s'\nwant '%s'", code,
                  got ? got : "(not a string)", want);
    lua_settop(L, top);
}

static void expect_error(lua_State *L, const char *code, const char *needle)
{
    const char *err = pipe_test_dostring(L, code);
    ck_assert_msg(err != NULL, "%s: expected an error", code);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: error '%s' lacks '%s'",
                  code, err, needle);
}

/* Paragraphs joined by " | ", for one-line comparisons. */
#define PARAS(params) \
    "local r = assert(extract.content(DOC" params ")) " \
    "return table.concat(r.paragraphs, ' | ')"

static const char article_paras[] =
    "The harbour reopened on Tuesday morning, three days after the storm "
    "tore through the breakwater, damaged the ferry pier and left dozens of "
    "fishing boats stranded at their moorings. | "
    "Engineers worked through the night to clear debris from the channel, "
    "and the first ferry left for the islands shortly after nine, carrying "
    "workers, supplies and a few relieved passengers. | "
    "Repairs will take months | "
    "The harbour master said repairs to the breakwater would take until the "
    "summer, and that larger vessels would have to wait for the tide before "
    "entering.\nSmaller boats are not affected. | "
    "Local businesses, which lost a week of trade, welcomed the news, "
    "though several said the council had been slow to act, and some asked "
    "for compensation.";

/* Nav, byline, figcaption, "Share"/"Read more" lines, the h1, related
 * links and comments all stay out; <br> is a line break; the subheading
 * stays. */
START_TEST(article_page)
{
    lua_State *L = with_page("article.html");
    expect_lua(L, PARAS(""), article_paras);
    expect_lua(L, "local r = extract.content(DOC) "
                  "return r.node.tag .. '#' .. r.node:attr('id')",
               "div#story");
    expect_lua(L, "local r = extract.content(DOC) "
                  "return table.concat(r.paragraphs, '\\n\\n') == r.text "
                  "and 'same' or r.text",
               "same");
    /* candidates: best first, the best is the chosen block */
    expect_lua(L, "local r = extract.content(DOC) local c = r.candidates "
                  "local ok = #c == 5 and c[1].score == r.score "
                  "for i = 2, #c do ok = ok and c[i].score <= c[i-1].score end "
                  "return tostring(ok) .. ' ' .. c[1].chars .. ' ' .. "
                  "math.type(c[1].chars)",
               "true 956 integer");
    pipe_lua_close(L);
}
END_TEST

/* A short article keeps its place above a longer comment thread; an
 * "ad-slot" block goes but "shadow-box" ("ad" is a whole token) stays;
 * "Sign up" prompt dropped. */
START_TEST(comments_page)
{
    lua_State *L = with_page("comments.html");
    expect_lua(L, PARAS(""),
               "The town council will decide next month whether the library "
               "should open on Sundays, after a petition, signed by more than "
               "two thousand people, asked for longer hours. | "
               "Opening on Sundays would cost about forty thousand a year, "
               "the council says, and would need two more librarians, a "
               "cleaner and a change to the heating contract. | "
               "The library, which moved to the old post office in 2009, is "
               "open six days a week, from nine in the morning, and until "
               "eight on Thursdays.");
    expect_lua(L, "local r = extract.content(DOC) "
                  "return r.node.tag .. '.' .. r.node:attr('class')",
               "article.post");
    pipe_lua_close(L);
}
END_TEST

/* Mostly a gallery: the two paragraphs, not the image captions. */
START_TEST(gallery_page)
{
    lua_State *L = with_page("gallery.html");
    expect_lua(L, PARAS(""),
               "The first warm weekend of the year brought crowds to the "
               "city park, where the cherry trees, the tulips and the "
               "daffodils all came out at once. | "
               "Our photographer spent Saturday among the picnics, the kites "
               "and the queues for ice cream, and came back with these "
               "pictures.");
    pipe_lua_close(L);
}
END_TEST

/* Nothing but links: no content. */
START_TEST(links_page)
{
    lua_State *L = with_page("links.html");
    expect_lua(L, "local r, msg = extract.content(DOC) "
                  "return tostring(r) .. ', ' .. msg",
               "nil, no content");
    pipe_lua_close(L);
}
END_TEST

/* Parameters from Lua change the result. */
START_TEST(params_tune)
{
    lua_State *L = with_page("article.html");
    /* no prompts: the "Subscribe" line stays ("Share this article" goes
     * by its class, "Read more: <link>" by its link density) */
    expect_lua(L, "local r = extract.content(DOC, {prompts = {}}) "
                  "return r.paragraphs[#r.paragraphs]",
               "Subscribe to Coast Daily for the latest harbour news");
    expect_lua(L, "local r = extract.content(DOC, {prompts = {}, "
                  "unlikely = {'comment'}, line_link = 1, line_link_long = 1}) "
                  "return r.paragraphs[3] .. ' / ' .. r.paragraphs[6]",
               "Share this article / Read more: Storm closes harbour, "
               "ferries cancelled");
    /* keep the h1 and the figcaption, drop subheadings */
    expect_lua(L, "local r = extract.content(DOC, "
                  "{drop_tags = {'h2'}}) return r.paragraphs[1] .. ' / ' "
                  ".. r.paragraphs[3] .. ' / ' .. #r.paragraphs",
               "Harbour reopens after storm / The damaged ferry pier, seen "
               "from the breakwater, on Sunday. / 6");
    /* with "byline" no longer dropped, the byline comes in */
    expect_lua(L, "local r = extract.content(DOC, {drop = {}}) "
                  "return r.paragraphs[1]",
               "By Ann Reed, harbour correspondent, 3 March");
    /* candidates = 0: an empty list */
    expect_lua(L, "local r = extract.content(DOC, {candidates = 0}) "
                  "return tostring(#r.candidates)",
               "0");
    /* a Node argument: extraction inside that subtree only; the node
     * itself is never excluded by its hints */
    expect_lua(L, "local n = DOC:first('#comments') "
                  "local r = extract.content(n, {negative = {}, "
                  "unlikely = {}, never = {}, retry_length = 0}) "
                  "return (table.concat(r.paragraphs, ' | '):gsub('(%a+)[^|]*', '%1'))",
               "About| My");
    expect_lua(L, "local r = extract.content(DOC:first('div.page')) "
                  "return table.concat(r.paragraphs, ' | ')",
               article_paras);
    pipe_lua_close(L);
}
END_TEST

START_TEST(params_errors)
{
    lua_State *L = with_page("article.html");
    expect_error(L, "extract.content(DOC, {min_paragraph = 'x'})",
                 "'min_paragraph' must be a number");
    expect_error(L, "extract.content(DOC, {positive = 'article'})",
                 "'positive' must be a list");
    expect_error(L, "extract.content(DOC, {negative = {1}})",
                 "'negative' entry 1 is not a string");
    expect_error(L, "extract.content(DOC, {tag_weights = {div = 'x'}})",
                 "'tag_weights' maps tag names to numbers");
    expect_error(L, "extract.content(DOC, 5)", "table expected");
    expect_error(L, "extract.content('<p>x</p>')", "");
    pipe_lua_close(L);
}
END_TEST

Suite *extract_suite(void)
{
    Suite *s = suite_create("extract");
    TCase *tc = tcase_create("scorer");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, article_page);
    tcase_add_test(tc, comments_page);
    tcase_add_test(tc, gallery_page);
    tcase_add_test(tc, links_page);
    tcase_add_test(tc, params_tune);
    tcase_add_test(tc, params_errors);
    suite_add_tcase(s, tc);
    return s;
}
