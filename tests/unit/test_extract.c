/*
 * extract plugin tests: the main-content scorer on small handmade pages in
 * tests/extract/ (article with nav, byline, caption, prompts, related links
 * and comments; a short article above a longer comment thread; a page that
 * is mostly a gallery; a page of links only), one page per failure class
 * of the generic path (an article split into containers, a short post
 * above a long comment thread, text in <br> runs, other posts nested in
 * the article, embedded tweets and quotes, product and callout boxes,
 * tag lines, notices and date lines, list items holding paragraphs),
 * plus parameter handling, the defaults against docs/lua-api.md, and the
 * page scanner.  Expected paragraphs are exact.
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
    /* an empty tag_lines entry matches before a non-alphanumeric only */
    expect_lua(L, "local d = html.parse('<div id=x><p>Some text that is a "
                  "paragraph of the story, with words, and more words.</p>"
                  "<p>- short line</p><p>short line two</p></div>') "
                  "local r = extract.content(d:first('#x'), {whole = true, "
                  "tag_lines = {''}}) return table.concat(r.paragraphs, ' | ')",
               "Some text that is a paragraph of the story, with words, and "
               "more words. | short line two");
    /* paragraphs = false: the same text, no list */
    expect_lua(L, "local a = extract.content(DOC) "
                  "local b = extract.content(DOC, {paragraphs = false}) "
                  "return tostring(b.paragraphs) .. ' ' .. tostring(a.text == b.text) "
                  ".. ' ' .. #b.text .. ' ' .. b.node:attr('id')",
               "nil true 733 story");
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

/* whole = true on a node a rule chose: a sentence stays whatever its
 * links, a line of links goes; clean_shape = false keeps a short block
 * the shape tests drop, and both drop a block dense with links. */
START_TEST(whole_node)
{
    lua_State *L = with_page("article.html");
    const char *setup =
        "local d = html.parse([[<div id='x'><div class='k'>Analysis</div>"
        "<p>The council spent the whole winter on a plan nobody in the queue asked for.</p>"
        "<p>The storms closed <a href='/a'>the island schools</a>, <a href='/b'>all three "
        "ferry routes</a> and <a href='/c'>the regional airport</a> twice.</p>"
        "<p><a href='/t/1'>Harbour</a> &middot; <a href='/t/2'>Ferries</a></p>"
        "<div><p><em>Write to </em><a href='/letters'><em>the letters desk</em></a>"
        "<em> or follow </em><a href='/f'><em>the desk online</em></a><em>.</em></p></div>"
        "</div>]]) local n = d:first('#x') ";
    char code[2048];
    snprintf(code, sizeof code, "%s return table.concat(extract.content(n, "
             "{whole = true}).paragraphs, ' | ')", setup);
    expect_lua(L, code,
               "The council spent the whole winter on a plan nobody in the queue asked for. | "
               "The storms closed the island schools, all three ferry routes and the "
               "regional airport twice.");
    snprintf(code, sizeof code, "%s return table.concat(extract.content(n, "
             "{whole = true, clean_shape = false}).paragraphs, ' | ')", setup);
    expect_lua(L, code,
               "Analysis | "
               "The council spent the whole winter on a plan nobody in the queue asked for. | "
               "The storms closed the island schools, all three ferry routes and the "
               "regional airport twice.");
    /* without the cleaning, the note's sentence stays too (the line
     * filter keeps sentences) */
    snprintf(code, sizeof code, "%s local r = extract.content(n, {whole = true, "
             "whole_clean = false}) return r.paragraphs[4]", setup);
    expect_lua(L, code, "Write to the letters desk or follow the desk online.");
    /* the generic search (not whole) drops the sentence of links */
    snprintf(code, sizeof code, "%s local r = extract.content(d) "
             "return table.concat(r.paragraphs, ' | ')", setup);
    expect_lua(L, code, "The council spent the whole winter on a plan nobody in the queue asked for.");
    pipe_lua_close(L);
}
END_TEST

/* Tag names are looked up by content (the parser copies each element's
 * name): names of 8 bytes or less through the call's tag index, longer
 * ones (custom elements, blockquote, figcaption) through the lists; both
 * kinds in drop_tags and tag_weights, and a name no list holds. */
START_TEST(tag_names)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "DOC = html.parse([[<html><body>"
        "<div class='side'><p>Home, News, Sport, Weather, and many other links, here, there.</p></div>"
        "<story-wrapper class='w'><p>First paragraph of the story, long enough to score, with commas, yes.</p>"
        "<x-credit>Photo by Someone Important at the Agency, 2024, all rights, reserved.</x-credit>"
        "<x-credits1>Credit text that is long enough to be a paragraph, surely, yes indeed.</x-credits1>"
        "<p>Second paragraph, also long enough, with more commas, and words, to score.</p>"
        "<blockquote><p>A quoted line, long enough to count as a paragraph, with a comma.</p></blockquote>"
        "<figcaption>A caption under a picture, long enough to be a paragraph, too.</figcaption>"
        "</story-wrapper></body></html>]]) "
        "function RUN(p) local r = extract.content(DOC, p) "
        "return r.node.tag .. ' ' .. string.format('%.2f', r.score) .. ' | ' "
        ".. table.concat(r.paragraphs, ' | ') end");
    ck_assert_msg(err == NULL, "%s", err);
    const char *story =
        "First paragraph of the story, long enough to score, with commas, yes.";
    const char *second =
        "Second paragraph, also long enough, with more commas, and words, to score.";
    const char *quote =
        "A quoted line, long enough to count as a paragraph, with a comma.";
    const char *caption =
        "A caption under a picture, long enough to be a paragraph, too.";
    char want[2048];
    /* an 8-byte name of no table */
    snprintf(want, sizeof want, "story-wrapper 13.50 | Home, News, Sport, "
             "Weather, and many other links, here, there. | %s | Credit text "
             "that is long enough to be a paragraph, surely, yes indeed. | %s | "
             "%s | %s", story, second, quote, caption);
    expect_lua(L, "return RUN({drop_tags = {'x-credit'}})", want);
    /* long names: the default figcaption, a custom element's */
    snprintf(want, sizeof want, "story-wrapper 13.50 | Home, News, Sport, "
             "Weather, and many other links, here, there. | %s | Photo by "
             "Someone Important at the Agency, 2024, all rights, reserved. | "
             "%s | %s", story, second, quote);
    expect_lua(L, "return RUN({drop_tags = {'x-credits1', 'figcaption'}})",
               want);
    /* tag weights of a long and a short name */
    snprintf(want, sizeof want, "story-wrapper 53.50 | %s | Photo by Someone "
             "Important at the Agency, 2024, all rights, reserved.Credit "
             "text that is long enough to be a paragraph, surely, yes "
             "indeed. | %s | %s", story, second, quote);
    expect_lua(L, "return RUN({tag_weights = {['story-wrapper'] = 40}})",
               want);
    expect_lua(L, "return RUN({tag_weights = {['story-wrapper'] = -40, "
                  "div = 50, ['x-credits1'] = 7, p = 3}})",
               "div 57.00 | Home, News, Sport, Weather, and many other "
               "links, here, there.");
    pipe_lua_close(L);
}
END_TEST

/* Non-Latin text: a character per code point, a white space run (U+00A0
 * too) as one, the commas ',' U+060C U+3001 U+FF0C counted (the div's
 * score: (1 + 5 commas + 1 for the second paragraph + 5 for div) times
 * 1 - 25/124 links), the text emitted as written.  (The scorer and the
 * emitter take runs of such bytes in loops of their own.) */
START_TEST(utf8_text)
{
    lua_State *L = pipe_test_lua();
    expect_lua(L,
        "local doc = html.parse('<html><body><div id=a><p>  Привет, "
        "мир\\u{60C}  καλημέρα\\u{3001} κόσμε\\u{FF0C}слово\\u{A0}слово "
        "«цитата» ok, 日本語のテキスト。 </p><p>Второй абзац: <a href=/x>"
        "ссылка на другую страницу</a> и ещё немного текста.</p>"
        "</div></body></html>') "
        "local r = assert(extract.content(doc, {candidates = 3})) "
        "local t = {table.concat(r.paragraphs, ' | ')} "
        "for _, c in ipairs(r.candidates) do t[#t + 1] = "
        "  string.format('%s %.4f %d %.4f', c.node.tag, c.score, c.chars, "
        "                c.link_density) end "
        "return table.concat(t, '; ')",
        "Привет, мир\u060C καλημέρα\u3001 κόσμε\uFF0Cслово слово «цитата» "
        "ok, 日本語のテキスト。 | Второй абзац: ссылка на другую страницу и "
        "ещё немного текста.; div 9.5806 124 0.2016; body 2.7944 124 0.2016; "
        "html 0.9315 124 0.2016");
    pipe_lua_close(L);
}
END_TEST

/* A sibling of the top candidate with the top's (non-empty) class joins
 * with a bonus of sibling_same_class times the top's score: a short note
 * scoring 7 joins a top of 53 (threshold 10.6) only so. */
START_TEST(sibling_same_class)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "function RUN(c1, c2) "
        "  local parts = {'<html><body><div ' .. c1 .. '>'} "
        "  for i = 1, 6 do parts[#parts + 1] = '<p>Paragraph ' .. i "
        "    .. ' of the story, with commas, many, of them, here, and '"
        "    .. 'there, to score well, yes.</p>' end "
        "  parts[#parts + 1] = '</div><div ' .. c2 .. '><p>A short closing '"
        "    .. 'note, of the story.</p></div></body></html>' "
        "  local r = extract.content(html.parse(table.concat(parts))) "
        "  return string.format('%d %.2f %s', #r.blocks, r.score, "
        "                       r.paragraphs[#r.paragraphs]:sub(1, 11)) "
        "end");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return RUN(\"class='c7'\", \"class='c7'\")",
               "2 53.00 A short clo");
    expect_lua(L, "return RUN(\"class='c7'\", \"class='note'\")",
               "1 53.00 Paragraph 6");
    expect_lua(L, "return RUN(\"class='c7'\", '')", "1 53.00 Paragraph 6");
    expect_lua(L, "return RUN(\"class=''\", \"class=''\")",
               "1 53.00 Paragraph 6");
    pipe_lua_close(L);
}
END_TEST

/* Class hints are kept per call by the value's content: a class seen
 * again (comments, story) means what it meant the first time, also
 * after the cache is full (500 distinct classes in between). */
START_TEST(class_hints_cached)
{
    lua_State *L = pipe_test_lua();
    expect_lua(L,
        "local parts = {'<html><body><div id=main>'} "
        "local function add(from, to) for i = from, to do "
        "  parts[#parts + 1] = \"<div class='comments'><p>A comment that is \" "
        "    .. 'long enough to be a paragraph of text, with commas, many of '"
        "    .. 'them, here.</p></div>' "
        "  parts[#parts + 1] = \"<div class='story'><p>Paragraph \" .. i .. "
        "    ' of the story, long enough to be scored, with a comma, and '"
        "    .. 'another one.</p></div>' end end "
        "add(1, 2) "
        "for i = 1, 500 do parts[#parts + 1] = "
        "  string.format(\"<span class='c%d'>x</span>\", i) end "
        "add(3, 4) "
        "parts[#parts + 1] = '</div></body></html>' "
        "local r = extract.content(html.parse(table.concat(parts))) "
        "local t = {} for _, p in ipairs(r.paragraphs) do "
        "  t[#t + 1] = p:match('^Paragraph %d') or p:match('^x+$') and 'x' or p end "
        "return table.concat(t, ' | ') .. ' @' .. r.node:attr('id')",
        "Paragraph 1 | Paragraph 2 | x | Paragraph 3 | Paragraph 4 @main");
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


/* One page per failure class: the exact paragraphs of the default
 * params (tests/extract/<page>), " | " between them. */
static const struct {
    const char *page, *want;
} class_cases[] = {
    /* the article in three containers of one kind, ad rails between */
    {"split.html",
     "The latest wave of financial startups has a new angle on banking: "
     "they assume that everyone is out of money, and then they try to make "
     "money from it. | So-called challenger banks have been popular in "
     "Europe for a few years, and now they are getting attention here too, "
     "with names that sound like toys. | Their pitch is convenience: "
     "checking accounts are free, paychecks arrive two days early, and "
     "overdrafts of fifty dollars cost nothing at all, for now. | Some are "
     "not banks at all, but apps in front of partner banks, which hold the "
     "money, while the apps hold the customers and, of course, their data. "
     "| The mess is real: most households live paycheck to paycheck, student "
     "loans keep growing, and the average credit card balance is higher "
     "every year."},
    /* a short post keeps its place above a long comment thread */
    {"short-post.html",
     "From Saturday the farmers' market opens at seven, an hour earlier, and "
     "closes at one. | The stalls stay where they are, but the car park by "
     "the church is closed until June."},
    /* text in <br><br> runs, no <p>, beats a footer of paragraphs */
    {"br-text.html",
     "Vereinsfest am Sonntag | Am kommenden Sonntag feiert der Verein sein "
     "fünfzigstes Jubiläum auf dem Sportplatz an der Mühlenstraße, mit "
     "Spielen, Musik und Essen für die ganze Familie. | Los geht es um elf "
     "Uhr mit einem Gottesdienst im Festzelt, danach spielen die "
     "Jugendmannschaften, und am Nachmittag tritt die alte "
     "Herrenmannschaft gegen den Bürgermeister und seine Auswahl an. | Für "
     "Kaffee, Kuchen und Würstchen sorgen die Eltern der Jugendabteilung, "
     "der Erlös kommt den neuen Trikots zugute, die im Herbst angeschafft "
     "werden sollen. | Parkplätze gibt es an der Schule, der Sportplatz "
     "selbst ist für Autos gesperrt."},
    /* other posts nested in the article, and their heading, go */
    {"nested.html",
     "Repairs to the old river bridge will start in May and last until the "
     "end of the year, the city said on Monday, after a survey found cracks "
     "in two of its arches. | Cars will be diverted over the ring road, "
     "while buses, bicycles and pedestrians can still cross on one lane, "
     "which will be open day and night. | The work will cost about four "
     "million, shared between the city and the region, which had set the "
     "money aside for exactly this after the last inspection."},
    /* an embedded tweet (in a "social-embed" wrapper) and a quote stay */
    {"embeds.html",
     "The state's new anti-drug campaign was meant to get people talking, "
     "and it did, though perhaps not in the way its authors had hoped when "
     "they unveiled it on Monday. | Within hours, the slogan was trending, "
     "and people on social media were quick to point out the obvious double "
     "meaning. | Yes, this is real, and yes, the state spent nearly half a "
     "million dollars on it. | \xe2\x80\x94 Dana Miller (@danamiller) "
     "November 18, 2019 | The governor defended the campaign on Tuesday, "
     "saying that it had already done its job, since everybody was now "
     "talking about the problem. | We wanted a campaign that people would "
     "remember, and they will remember this one, that much I can promise "
     "you. | The agency that made the campaign did not answer our questions "
     "about its price, its authors or its goals."},
    /* a product box and a callout inside the text stay (the shop link,
     * a link-only line, goes) */
    {"callout.html",
     "A good travel kettle should be light, quick and small enough for a "
     "backpack, and it should not fall apart after a week on the road, "
     "which many of them do. | We tested twelve of them over three months, "
     "on trains, in hotels and at campsites, and two stood out from the "
     "rest, for very different reasons. | Best overall: the Folding Kettle "
     "| It folds flat, boils half a litre in three minutes, and survived "
     "being dropped twice, once on a concrete floor, without a scratch. | "
     "The second, a steel kettle with a long spout, is heavier, but it "
     "pours better, and it will probably outlive its owner, as the old ones "
     "did. | How we test | Every kettle boils a litre of water ten times, "
     "and we time each boil, measure the noise and check the handle for "
     "heat, with gloves and without. | Whichever you choose, descale it now "
     "and then, and never boil it dry, however tempting that may be at two "
     "in the morning."},
    /* list items holding paragraphs: a <p> in an item ends the
     * paragraph (no bare "- " marker is left behind), <br><br> in an
     * item is one line break */
    {"list-paras.html",
     "Several rules change at the start of April, from bus fares to the "
     "opening hours of the recycling centre, and here is what they mean "
     "for you. | Bus fares rise by ten cents, the first rise in four "
     "years, though monthly passes keep their price until the summer. | - "
     "The recycling centre opens an hour later.\nIt closes an hour later "
     "too, at seven, on every day but Sunday. | Parking | Parking in the "
     "old town costs two euros an hour, and the first half hour stays free "
     "for everyone. | - Libraries lend e-books to everyone with a card. | "
     "The council said it would review the changes in the autumn, after "
     "the first six months, and publish what it found."},
    /* a date line, a related line, a tag line, a moderation notice go */
    {"boilerplate.html",
     "A man was stabbed to death at the central station on Tuesday evening, "
     "and the police arrested a suspect shortly afterwards, a few streets "
     "away from the station. | The victim, a man in his thirties, died at "
     "the scene despite the efforts of two passers-by, who tried to stop "
     "the bleeding until the ambulance came. | The police asked witnesses, "
     "and anyone with video from the platforms, to call the number on the "
     "station posters, or to write to the station office."},
};

START_TEST(failure_classes)
{
    for (size_t i = 0; i < sizeof class_cases / sizeof class_cases[0]; i++) {
        lua_State *L = with_page(class_cases[i].page);
        expect_lua(L, PARAS(""), class_cases[i].want);
        pipe_lua_close(L);
    }
}
END_TEST

/* Each class page needs its rule: with the rule's parameter off (or the
 * rule's lists emptied), the page comes out wrong. */
START_TEST(failure_classes_need_their_rule)
{
    lua_State *L = with_page("split.html");
    expect_lua(L, "return tostring(#extract.content(DOC, {twin_ratio = 1e9}).paragraphs)",
               "2");
    pipe_lua_close(L);
    L = with_page("short-post.html");
    expect_lua(L, "local t = table.concat(extract.content(DOC, {never = {}}).paragraphs, ' | ') "
                  "return tostring(t:find('Finally. I have been asking', 1, true) ~= nil)",
               "true");
    pipe_lua_close(L);
    L = with_page("nested.html");
    expect_lua(L, "return tostring(#extract.content(DOC, {other_post_ratio = 0}).paragraphs)",
               "6");
    pipe_lua_close(L);
    L = with_page("boilerplate.html");
    expect_lua(L, "return tostring(#extract.content(DOC, {tag_lines = {}, date_labels = {}}).paragraphs)",
               "7");
    pipe_lua_close(L);
}
END_TEST

/* The result names its blocks: the twins of split.html are three. */
START_TEST(result_blocks)
{
    lua_State *L = with_page("split.html");
    expect_lua(L, "local r = extract.content(DOC) local t = {} "
                  "for _, b in ipairs(r.blocks) do t[#t+1] = b.tag .. '.' .. "
                  "b:attr('class'):match('%S+$') end return table.concat(t, ' ')",
               "div.chunk-body div.chunk-body div.chunk-body");
    pipe_lua_close(L);
}
END_TEST

/* extract.defaults(): every parameter, the same result as no params, and
 * a fresh table each call. */
START_TEST(params_defaults)
{
    lua_State *L = with_page("article.html");
    expect_lua(L, "local d = extract.defaults() "
                  "return table.concat(extract.content(DOC, d).paragraphs, ' | ') "
                  "== table.concat(extract.content(DOC).paragraphs, ' | ') "
                  "and 'same' or 'different'",
               "same");
    expect_lua(L, "local a, b = extract.defaults(), extract.defaults() "
                  "a.positive[1] = 'x' a.min_paragraph = 1 "
                  "return b.positive[1] .. ' ' .. b.min_paragraph",
               "article 25.0");
    expect_lua(L, "local n = 0 for _ in pairs(extract.defaults()) do n = n + 1 end "
                  "return tostring(n)",
               "46");
    pipe_lua_close(L);
}
END_TEST

/* docs/lua-api.md lists every parameter with its default: the same names
 * as extract.defaults(), the same scalar values. */
START_TEST(params_documented)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../docs/lua-api.md", PIPE_SOURCE_SCRIPTS);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open '%s'", path);
    static char doc[1 << 18];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    lua_State *L = pipe_test_lua();
    lua_pushstring(L, doc);
    lua_setglobal(L, "DOC_MD");
    expect_lua(L,
        "local d, seen, bad = extract.defaults(), {}, {} "
        "local a = DOC_MD:find('### extract.defaults', 1, true) "
        "local b = DOC_MD:find('### extract.scanner', a, true) "
        "for name, def in DOC_MD:sub(a, b):gmatch('\\n| `([%w_]+)` | ([^|]-) |') do "
        "  seen[name] = true "
        "  local v = d[name] "
        "  if v == nil then bad[#bad+1] = 'unknown ' .. name "
        "  elseif type(v) ~= 'table' and tostring(v):gsub('%.0$', '') ~= def then "
        "    bad[#bad+1] = name .. ' ' .. def .. ' vs ' .. tostring(v) end "
        "end "
        "for name in pairs(d) do if not seen[name] then bad[#bad+1] = 'undocumented ' .. name end end "
        "table.sort(bad) return #bad == 0 and 'ok' or table.concat(bad, ', ')",
        "ok");
    pipe_lua_close(L);
}
END_TEST

START_TEST(params_checked)
{
    lua_State *L = with_page("article.html");
    expect_error(L, "extract.content(DOC, {min_paragraf = 10})",
                 "extract params: unknown key 'min_paragraf'");
    expect_error(L, "extract.content(DOC, {candidates = 101})",
                 "extract params: 'candidates' must be between 0 and 100, got 101");
    expect_error(L, "extract.content(DOC, {[1] = 'x'})",
                 "extract params: keys are parameter names");
    expect_lua(L, "return tostring(#extract.content(DOC, {skip_hidden = false}).paragraphs)",
               "5");
    pipe_lua_close(L);
}
END_TEST

/* The page scanner: every kind of list, positions, the meta index. */
START_TEST(scanner_facts)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "S = extract.scanner({ tags = {'h1', 'script', 'time'}, "
        "  attrs = {'itemprop'}, classes = {date = {'date'}, by = {'author'}}, "
        "  prefixes = {'By '}, digits = 12, script_types = {'ld+json'}, "
        "  meta_index = true }) "
        "DOC = html.parse([[<html><head><meta name='Author Twitter:creator' "
        "content='Ann'><meta property=og:title content=T>"
        "<script type='application/LD+JSON'>{}</script><script>var x</script>"
        "</head><body><p class=Post-Date>12.03.2020</p><h1 itemprop=headline>"
        "Title</h1><span class=author-name><span>By</span> Ann Reed</span>"
        "<p>By the river, <b>on 3 May</b></p><time datetime=2020>x</time>"
        "<script>document.write('<h1>no</h1>')</script></body></html>]]) "
        "F = S:scan(DOC)");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return #F.h1 .. ' ' .. #F.script .. ' ' .. #F.time .. ' ' "
                  ".. #F.itemprop .. ' ' .. F.date[1].tag .. ' ' .. #F.by",
               "1 1 1 1 p 1");
    expect_lua(L, "local t = {} for _, n in ipairs(F.prefixed) do t[#t+1] = "
                  "n.tag .. ':' .. n:text() end return table.concat(t, ' / ')",
               "span:By / p:By the river, on 3 May");
    expect_lua(L, "local t = {} for _, n in ipairs(F.digits) do t[#t+1] = "
                  "n:text() end return table.concat(t, ' / ')",
               "12.03.2020 / on 3 May");
    expect_lua(L, "return tostring(F.pos.date[1] < F.pos.h1[1]) .. ' ' .. "
                  "tostring(F.pos.h1[1] < F.pos.time[1])",
               "true true");
    expect_lua(L, "return table.concat(F.meta_index.author, ',') .. ' ' .. "
                  "table.concat(F.meta_index['twitter:creator'], ',') .. ' ' .. "
                  "F.meta_index['og:title'][1]",
               "Ann Ann T");
    expect_error(L, "extract.scanner({ tags = 'h1' })",
                 "extract.scanner: 'tags' must be a list");
    expect_error(L, "extract.scanner({ classes = { x = {1} } })",
                 "extract.scanner: 'x' entry 1 is not a string");
    expect_error(L, "extract.scanner({ digits = 1000 })",
                 "extract.scanner: 'digits' must be an integer 0..256");
    expect_error(L, "S.scan(S, 5)", "");
    pipe_lua_close(L);
}
END_TEST

/* spec.meta_tags: the lists meta_index has, made per key when read, the
 * same list on each read, copied (an edit after the scan changes
 * nothing); a <meta> without content, another attribute or a key word
 * that is not there give nothing. */
START_TEST(scanner_meta_tags)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "local spec = { meta_index = true } "
        "IX = extract.scanner(spec) spec.meta_index = nil spec.meta_tags = true "
        "MT = extract.scanner(spec) "
        "LONG = string.rep('k', 130) "
        "DOC = html.parse([[<html><head><meta name='Author  Twitter:creator' "
        "content='Ann'><meta property=og:title content=T itemprop='author'>"
        "<meta name=author><meta NAME=author content='B&amp;C' name=x>"
        "<meta http-equiv='Content-Language' content=uk>"
        "<meta name=description content='one' property='description "
        "og:description'><meta xml:lang=x name=y content=z>"
        "<meta data-name=q content=r><meta name=]] .. LONG .. [[ content=L>"
        "<meta name=empty content=''><meta name=dup content=1>"
        "<meta name=dup content=2></head><body><svg><meta name=svg content=s>"
        "</svg><template><meta name=tpl content=t></template>"
        "<p><meta name=inbody content=b></p></body></html>]]) "
        "F = IX:scan(DOC) G = MT:scan(DOC) "
        "function same() "
        "  local n = 0 "
        "  for k, list in pairs(F.meta_index) do "
        "    local l = G.meta_tags[k] "
        "    if l == nil or #l ~= #list then return 'differ at ' .. k end "
        "    for i, v in ipairs(list) do "
        "      if l[i] ~= v then return 'differ at ' .. k .. i end "
        "    end "
        "    n = n + 1 "
        "  end "
        "  return n "
        "end");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return tostring(same())", "11");
    expect_lua(L, "return table.concat(G.meta_tags.author, ',') .. ' ' .. "
                  "table.concat(G.meta_tags.dup, ',') .. ' ' .. "
                  "table.concat(G.meta_tags.description, ',') .. ' ' .. "
                  "G.meta_tags[LONG:sub(1, 127)][1] .. ' ' .. "
                  "#G.meta_tags.empty[1]",
               "Ann,T,B&C 1,2 one,one L 0");
    expect_lua(L, "return tostring(G.meta_tags[LONG]) .. ' ' .. "
                  "tostring(G.meta_tags.x) .. ' ' .. G.meta_tags.y[1] "
                  ".. ' ' .. tostring(G.meta_tags.Author) .. ' ' .. "
                  "tostring(G.meta_tags.svg) .. ' ' .. tostring(G.meta_tags[1]) "
                  ".. ' ' .. tostring(G.meta_tags['data-name'])",
               "nil nil z nil nil nil nil");
    expect_lua(L, "return tostring(G.meta_tags.author == G.meta_tags.author) "
                  ".. ' ' .. G.meta_tags.inbody[1] .. ' ' .. tostring(G.meta_tags.tpl)",
               "true b nil");
    /* edits after the scan: the object keeps what the page said */
    expect_lua(L, "local H = MT:scan(DOC) local ms = DOC:select('meta') "
                  "ms[1]:set_attr('content', 'New') ms[1]:rename('x') "
                  "ms[2]:remove() "
                  "return H.meta_tags['twitter:creator'][1] .. ' ' .. "
                  "H.meta_tags['og:title'][1] .. ' ' .. "
                  "tostring(MT:scan(DOC).meta_tags['og:title'])",
               "Ann T nil");
    expect_lua(L, "return tostring(getmetatable(G.meta_tags))", "false");
    /* more <meta>s than the scan's first array holds */
    expect_lua(L, "local h = {} for i = 1, 70 do h[i] = '<meta name=\"m' .. i % 50 "
                  ".. ' all\" content=' .. i .. '>' end "
                  "DOC = html.parse('<head>' .. table.concat(h) .. '</head>') "
                  "F = IX:scan(DOC) G = MT:scan(DOC) "
                  "return same() .. ' ' .. table.concat(G.meta_tags.m7, ',') .. ' ' "
                  ".. #G.meta_tags.all .. ' ' .. G.meta_tags.all[70]",
               "51 7,57 70 70");
    pipe_lua_close(L);
}
END_TEST

/* spec.index: with the document's element index, the same lists as the
 * walk (not inside script, svg, template, deeper than the walk goes, nor
 * removed elements) without positions; without one (no doc:index(),
 * PIPE_CSS_INDEX=0, a Node), the walk. */
START_TEST(scanner_from_index)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "local spec = { tags = {'script', 'html', 'b'}, script_types = {'ld+json'}, "
        "  meta_tags = true } "
        "W = extract.scanner(spec) spec.index = true X = extract.scanner(spec) "
        "local deep = string.rep('<div>', 600) .. '<b>deep</b><meta name=deep "
        "content=d>' .. string.rep('</div>', 600) "
        "function page() return html.parse([[<html><head>"
        "<meta name=a content=1><script type=application/ld+json>{\"n\":1}</script>"
        "<meta name=gone content=g><script>var x</script></head><body>"
        "<b>one</b><svg><b>svg</b><meta name=svg content=s>"
        "<script type=application/ld+json>{\"svg\":1}</script></svg>"
        "<template><b>tpl</b><meta name=tpl content=t></template>"
        "<noscript><meta name=a content=2></noscript>"
        "<div><b>two</b><script type='application/ld+json'>{\"n\":2}</script></div>"
        "]] .. deep .. [[</body></html>]]) end "
        "function show(f) "
        "  local t = {} "
        "  for _, k in ipairs({'script', 'html', 'b'}) do "
        "    local l = {} "
        "    for _, n in ipairs(f[k]) do l[#l + 1] = k == 'html' and n.tag or n:text() ~= '' and n:text() or n:html() end "
        "    t[#t + 1] = k .. '=' .. table.concat(l, '|') "
        "  end "
        "  for _, k in ipairs({'a', 'gone', 'svg', 'tpl', 'deep'}) do "
        "    t[#t + 1] = k .. '=' .. table.concat(f.meta_tags[k] or {}, ',') "
        "  end "
        "  return table.concat(t, ' ') .. (f.pos and ' pos' or '') "
        "end "
        "D = page() D:first('meta[name=gone]'):remove()");
    ck_assert_msg(err == NULL, "%s", err);
    const char *want = "script={\"n\":1}|{\"n\":2} html=html b=one|two "
                       "a=1,2 gone= svg= tpl= deep=";
    char buf[512];
    /* the tree holds what the walk leaves out */
    expect_lua(L, "return #D:select('svg b, svg meta') .. ' ' .. "
                  "tostring(D:first('template'):html():find('tpl', 1, true)) "
                  ".. ' ' .. #D:select('meta[name=deep]')",
               "2 4 1");
    snprintf(buf, sizeof buf, "%s pos", want);
    expect_lua(L, "return show(W:scan(D))", buf);
    /* no index asked for: the walk */
    expect_lua(L, "return show(X:scan(D))", buf);
    expect_lua(L, "D:index() return show(X:scan(D))", want);
    expect_lua(L, "return show(W:scan(D))", buf);
    /* a Node: the walk */
    expect_lua(L, "return tostring(X:scan(D:root()).pos ~= nil)", "true");
    /* the index kept through removals: the removed ones left out */
    expect_lua(L, "D:first('noscript'):remove() D:first('div'):remove() "
                  "return show(X:scan(D))",
               "script={\"n\":1} html=html b=one a=1 gone= svg= tpl= deep=");
    /* PIPE_CSS_INDEX=0: no index, the walk */
    setenv("PIPE_CSS_INDEX", "0", 1);
    expect_lua(L, "local d = page() d:index() d:first('meta[name=gone]'):remove() "
                  "return show(X:scan(d))", buf);
    unsetenv("PIPE_CSS_INDEX");
    /* an index made by queries, a page with a <template> */
    expect_lua(L, "local d = page() for i = 1, 9 do d:select('p') end "
                  "d:first('meta[name=gone]'):remove() return show(X:scan(d))",
               want);
    /* "only": nil instead of a walk */
    expect_lua(L, "local s = extract.scanner({ tags = {'script', 'html', 'b'}, "
                  "  script_types = {'ld+json'}, meta_tags = true, index = 'only' }) "
                  "local d = page() local none = s:scan(d) d:index() "
                  "d:first('meta[name=gone]'):remove() "
                  "return tostring(none) .. ' ' .. show(s:scan(d)) .. ' ' .. "
                  "tostring(s:scan(d:root()))",
               "nil script={\"n\":1}|{\"n\":2} html=html b=one|two "
               "a=1,2 gone= svg= tpl= deep= nil");
    expect_error(L, "extract.scanner({ index = 'always' })",
                 "extract.scanner: 'index' must be true or \"only\"");
    pipe_lua_close(L);
}
END_TEST

/* Own texts are read only as far as the longest prefix or the digit
 * window reaches; class words match anywhere, any case, one-letter words
 * too. */
START_TEST(scanner_own_text_and_words)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "S = extract.scanner({ prefixes = {'Written by ', 'X'}, digits = 5, "
        "  classes = {a = {'date'}, b = {'q'}} }) "
        "DOC = html.parse([[<html><body>"
        "<p id=d1>abcd1 and then a long sentence that goes on</p>"
        "<p id=d2>abcde1</p><p id=d3> \n ab <b>x</b> c9</p>"
        "<p id=p1>Written by</p><p id=p2>  Written \n  by   Ann</p>"
        "<p id=p3>Written byAnn</p><p id=p4>]] .. string.rep('X', 300) .. [[</p>"
        "<div class='UPDATED-at' id=c1></div><div id='Quux'></div>"
        "<div class='dat e' id=c3></div><div class='xDaTe2'></div>"
        "</body></html>]]) "
        "F = S:scan(DOC) "
        "function ids(l) local t = {} for _, n in ipairs(l) do "
        "  t[#t+1] = n:attr('id') or n:attr('class') end "
        "  return table.concat(t, ' ') end");
    ck_assert_msg(err == NULL, "%s", err);
    /* "ab c9": the boundary at <b> is a space, the 9 is byte 5 */
    expect_lua(L, "return ids(F.digits)", "d1 d3");
    expect_lua(L, "return ids(F.prefixed)", "p1 p2 p4");
    expect_lua(L, "return ids(F.a) .. ' / ' .. ids(F.b)",
               "c1 xDaTe2 / Quux");
    pipe_lua_close(L);
}
END_TEST

/* Prefixes are looked up by their first byte (a UTF-8 lead byte too):
 * case counts, a prefix ending in a space matches the whole text without
 * it, leading spaces and indentation text nodes are skipped; an empty
 * prefix matches every element with an own text. */
START_TEST(scanner_prefix_first_bytes)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "S = extract.scanner({ prefixes = {'Von ', 'By ', 'VON ', 'B', '\xc3\x9c" "ber ', 'Bei: '} }) "
        "E = extract.scanner({ prefixes = {'Zz', ''} }) "
        "DOC = html.parse([[<html><head><meta charset=utf-8></head><body>"
        "<p id=a>Von Ann</p><p id=b>VON BEA</p><p id=c>By</p><p id=d>Bx</p>"
        "<p id=e>\xc3\x9c" "ber Carl</p><p id=f>\xc3\x9c" "x</p><p id=g>von dora</p>"
        "<div id=h>\n   \n  <p id=i>  \n\t Von Eve</p>\n</div>"
        "<p id=j>Ab</p><p id=k>Bei: Fay</p><p id=l>Be</p>"
        "</body></html>]]) "
        "function ids(l) local t = {} for _, n in ipairs(l) do "
        "  t[#t+1] = n:attr('id') end return table.concat(t, ' ') end");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return ids(S:scan(DOC).prefixed)", "a b c d e i k l");
    expect_lua(L, "return ids(E:scan(DOC).prefixed)", "a b c d e f g i j k l");
    pipe_lua_close(L);
}
END_TEST

/* spec.words: of an attribute's elements, only those whose value has one
 * of the words. */
START_TEST(scanner_attr_words)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "S = extract.scanner({ attrs = {'rel', 'itemprop'}, "
        "  words = { rel = {'author', 'me'} } }) "
        "DOC = html.parse([[<html><head><link rel=stylesheet id=l1>"
        "<link rel='Author' id=l2></head><body><a rel='nofollow  AUTHOR' id=a1>x</a>"
        "<a rel=authors id=a2>y</a><a rel='x\tme' id=a3>z</a><a rel=coauthor id=a4>w</a>"
        "<span itemprop=name id=s1>n</span></body></html>]]) "
        "F = S:scan(DOC) "
        "function ids(l) local t = {} for _, n in ipairs(l) do "
        "  t[#t+1] = n:attr('id') end return table.concat(t, ' ') end");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return ids(F.rel) .. ' / ' .. ids(F.itemprop)",
               "l2 a1 a3 / s1");
    expect_error(L, "extract.scanner({ attrs = {'rel'}, words = { id = {'x'} } })",
                 "extract.scanner: 'words' key 'id' is not one of 'attrs'");
    expect_error(L, "extract.scanner({ attrs = {'rel'}, words = { rel = 'x' } })",
                 "extract.scanner: 'rel' must be a list");
    expect_error(L, "extract.scanner({ words = 5 })",
                 "extract.scanner: 'words' must be a table of lists");
    pipe_lua_close(L);
}
END_TEST

/* The working arrays outlive a call (kept in the registry): a small page
 * after a large one, and the large one again, come out as in a fresh
 * state, also when one runs from a finalizer between two others. */
START_TEST(arrays_kept_across_calls)
{
    lua_State *L = with_page("article.html");
    const char *err = pipe_test_dostring(L,
        "SMALL = html.parse([[<html><body><div id=s><p>One short paragraph "
        "of text, with a comma, long enough to be the content of this "
        "page.</p></div></body></html>]]) "
        "function paras(d) local r = assert(extract.content(d)) "
        "  return table.concat(r.paragraphs, ' | ') .. ' @' .. r.node:attr('id') end "
        "BIG1 = paras(DOC) SMALL1 = paras(SMALL) BIG2 = paras(DOC) "
        "NODROP = assert(extract.content(DOC, {drop = {}})).paragraphs[1] "
        "setmetatable({}, { __gc = function() INNER = paras(SMALL) end }) "
        "collectgarbage() BIG3 = paras(DOC)");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return SMALL1",
               "One short paragraph of text, with a comma, long enough to be "
               "the content of this page. @s");
    expect_lua(L, "return tostring(BIG1 == BIG2 and BIG2 == BIG3) .. ' ' .. "
                  "tostring(INNER == SMALL1)", "true true");
    expect_lua(L, "return BIG1:sub(-6)", "@story");
    /* the params are kept too: a call's lists are its own */
    expect_lua(L, "return NODROP", "By Ann Reed, harbour correspondent, 3 March");
    pipe_lua_close(L);
}
END_TEST

/* The kept params keep the default lists and their hint and tag indexes
 * from call to call: a call that gives a list (drop_tags, tag_weights, a
 * hint list, another list) uses it, and the next call without it has the
 * default again; so does the call after one whose params raised. */
START_TEST(params_kept_lists)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "DOC = html.parse([[<html><body><div id=main class=c1>"
        "<h1>The headline of the story</h1>"
        "<p>First paragraph of the story, with commas, many, of them, here, "
        "and there, to score.</p><p class=credit>Photo credit line, long "
        "enough to be a paragraph of its own, yes.</p><p>Second paragraph "
        "of the story, with commas, many, of them, here, and there.</p>"
        "<p>Share this</p></div><div id=other class=c2><p>Another block of "
        "text, long enough, with commas, a few, to score too.</p></div>"
        "</body></html>]]) "
        "function S(p) local r = assert(extract.content(DOC, p)) "
        "  local t = {r.node:attr('id')} "
        "  for _, x in ipairs(r.paragraphs) do t[#t + 1] = x:sub(1, 5) end "
        "  return table.concat(t, ' ') end "
        "D0 = S() "
        "function AFTER(p) local s = S(p) "
        "  return s .. (S({candidates = 0}) == D0 and S() == D0 and '' "
        "               or ' (then not the default)') end");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return D0", "main First Secon Anoth");
    expect_lua(L, "return AFTER({drop_tags = {}})",
               "main The h First Secon Anoth");
    expect_lua(L, "return AFTER({tag_weights = {p = 50}})", "main First Secon");
    expect_lua(L, "return AFTER({drop = {}})",
               "main First Photo Secon Anoth");
    expect_lua(L, "return AFTER({positive = {'c2'}})",
               "other First Secon Anoth");
    expect_lua(L, "return AFTER({prompts = {}})",
               "main First Secon Share Anoth");
    expect_lua(L, "return tostring(pcall(S, {drop_tags = {'h1', 1}})) "
                  ".. ' ' .. tostring(S() == D0)", "false true");
    pipe_lua_close(L);
}
END_TEST

/* The scanner's element array outlives a scan too: whether an element is
 * away is worked out again for every document. */
START_TEST(scanner_kept_array)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "S = extract.scanner({ classes = {date = {'date'}}, away = {'sidebar'} }) "
        "A = html.parse([[<html><body><div class=sidebar><p class=date>1 May</p>"
        "</div><h1>T</h1></body></html>]]) "
        "B = html.parse([[<html><body><div class=main><p class=date>2 May</p>"
        "</div><h1>T</h1></body></html>]]) "
        "function away(d) return tostring(S:scan(d).away.date[1]) end "
        "R = away(A) .. ' ' .. away(B) .. ' ' .. away(A) .. ' ' .. away(B)");
    ck_assert_msg(err == NULL, "%s", err);
    expect_lua(L, "return R", "true false true false");
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
    tcase_add_test(tc, tag_names);
    tcase_add_test(tc, class_hints_cached);
    tcase_add_test(tc, utf8_text);
    tcase_add_test(tc, sibling_same_class);
    tcase_add_test(tc, failure_classes);
    tcase_add_test(tc, failure_classes_need_their_rule);
    tcase_add_test(tc, result_blocks);
    tcase_add_test(tc, params_defaults);
    tcase_add_test(tc, whole_node);
    tcase_add_test(tc, params_documented);
    tcase_add_test(tc, params_checked);
    tcase_add_test(tc, scanner_facts);
    tcase_add_test(tc, scanner_meta_tags);
    tcase_add_test(tc, scanner_from_index);
    tcase_add_test(tc, scanner_own_text_and_words);
    tcase_add_test(tc, scanner_prefix_first_bytes);
    tcase_add_test(tc, scanner_attr_words);
    tcase_add_test(tc, arrays_kept_across_calls);
    tcase_add_test(tc, params_kept_lists);
    tcase_add_test(tc, scanner_kept_array);
    suite_add_tcase(s, tc);
    return s;
}
