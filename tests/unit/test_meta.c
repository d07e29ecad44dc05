/*
 * lib/meta tests: title, authors and dates of small handmade pages, one
 * case per rule (table-driven), and the byline cleaner on its own.  Each
 * case is a Lua expression evaluated in one sandboxed state with the
 * helpers of PRELUDE; the expected strings are exact.
 *
 *   field(html, name [, url])  "value <source>" of meta.extract's field
 *                              (lists joined by "; ")
 *   names(s [, site])          authors.names(s) joined by "; ", for a
 *                              page at https://example.org/ whose site
 *                              name is `site`
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "suites.h"

static const char PRELUDE[] =
    "meta = require('lib.meta')\n"
    "authors = require('lib.meta.authors')\n"
    "words = require('lib.meta.words')\n"
    "function field(body, name, url)\n"
    "  local p = { doc = html.parse(body), url = url }\n"
    "  local v = meta.extract(p)[name]\n"
    "  if type(v) == 'table' then v = table.concat(v, '; ') end\n"
    "  return tostring(v) .. ' <' .. tostring(meta.sources(p)[name]) .. '>'\n"
    "end\n"
    "function names(s, site)\n"
    "  local p = { doc = html.parse('<p>x</p>'), url = 'https://example.org/' }\n"
    "  return table.concat(authors.names(s, words.site(p, { site })), '; ')\n"
    "end\n";

typedef struct mcase {
    const char *code, *want;
} mcase;

static void run_cases(const mcase *cases, size_t n)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L, PRELUDE);
    ck_assert_msg(err == NULL, "prelude: %s", err);
    for (size_t i = 0; i < n; i++) {
        char code[8192];
        snprintf(code, sizeof code, "return %s", cases[i].code);
        int top = lua_gettop(L);
        err = pipe_test_dostring(L, code);
        ck_assert_msg(err == NULL, "%s: raised %s", cases[i].code, err);
        const char *got = lua_tostring(L, -1);
        ck_assert_msg(got && strcmp(got, cases[i].want) == 0,
                      "%s\n  want: %s\n  got:  %s", cases[i].code,
                      cases[i].want, got ? got : "(not a string)");
        lua_settop(L, top);
    }
    pipe_lua_close(L);
}

#define HEAD(x) "[[<!DOCTYPE html><html lang=en><head><meta charset=utf-8>" x
#define N(a) (sizeof a / sizeof a[0])

static const mcase title_cases[] = {
    /* "Title | Site" with og:site_name */
    {"field(" HEAD("<title>Bridge repairs start in May | City Post</title>"
                   "<meta property=og:site_name content='City Post'></head>"
                   "<body><p>x</p></body></html>]], 'title')"),
     "Bridge repairs start in May <title (site name dropped)>"},
    /* "Site » Blog Archive » Title": the h1 agrees with the title */
    {"field(" HEAD("<title>Disfunctions » Blog Archive » Podcasts in Plex "
                   "einbinden</title></head><body><h1><a href='https://"
                   "disfunctions.example/'>Disfunctions</a></h1><h2>Podcasts "
                   "in Plex einbinden</h2></body></html>]], 'title', "
                   "'https://disfunctions.example/a')"),
     "Podcasts in Plex einbinden <h2 (agrees with title)>"},
    /* "Title - Section - Site", no headline */
    {"field(" HEAD("<title>Neue Radwege für die Innenstadt - Verkehr - "
                   "Stadtanzeiger</title><meta property=og:site_name "
                   "content=Stadtanzeiger></head><body><p>x</p></body></html>]]"
                   ", 'title')"),
     "Neue Radwege für die Innenstadt <title (site name dropped)>"},
    /* the headline's own typography wins (– in the h1, - in <title>) */
    {"field(" HEAD("<title>Ferries resume - slowly | Coast Daily</title>"
                   "</head><body><h1>Ferries resume – slowly</h1></body>"
                   "</html>]], 'title')"),
     "Ferries resume – slowly <h1 (agrees with title)>"},
    /* an og:title cut short by an unescaped quote loses to <title> */
    {"field(" HEAD("<meta property=og:title content=\"Minister says \"No\" "
                   "to tolls\"><title>Minister says \"No\" to tolls</title>"
                   "</head><body><p>x</p></body></html>]], 'title')"),
     "Minister says \"No\" to tolls <title>"},
    /* a kicker in the h1 before the headline is dropped */
    {"field(" HEAD("<meta property=og:title content='St. Paul zoo welcomes "
                   "a baby giraffe'></head><body><h1><span>Animals |</span> "
                   "St. Paul zoo welcomes a baby giraffe</h1></body></html>]]"
                   ", 'title')"),
     "St. Paul zoo welcomes a baby giraffe <h1 (the part that is meta "
     "og:title)>"},
    /* a logo h1 linking home is not the headline; "Home" is a label */
    {"field(" HEAD("<meta property=og:title content=Home><title>Winter "
                   "opening hours - Swim Club</title></head><body><h1><a "
                   "href='/'>Swim Club</a></h1></body></html>]], 'title')"),
     "Winter opening hours <title (site name dropped)>"},
    /* the site named only by the host name */
    {"field(" HEAD("<title>So viel Regen gab es lange nicht : "
                   "Krimiblog-Archiv</title></head><body><p>x</p></body>"
                   "</html>]], 'title', 'http://archiv.krimiblog.example/?p=1')"),
     "So viel Regen gab es lange nicht <title (site name dropped)>"},
};

static const mcase author_cases[] = {
    {"names('By Jane Doe')", "Jane Doe"},
    {"names('Von Roland Brockmann und Sebastian Drescher')",
     "Roland Brockmann; Sebastian Drescher"},
    {"names('par Marie Dupont et Paul Martin')", "Marie Dupont; Paul Martin"},
    {"names('Text: Karl Valentin')", "Karl Valentin"},
    {"names('Veröffentlicht vonChris Jung')", "Chris Jung"},
    {"names('View all posts by Petra Ruland')", "Petra Ruland"},
    {"names('Jane Doe, CNN', 'CNN')", "Jane Doe"},
    {"names('Tomas Spahn\\n\\nFr, 18. Oktober 2019')", "Tomas Spahn"},
    {"names('Grant Tinsley, PhD')", "Grant Tinsley"},
    {"names('Anna Berg (anna@berg.example) https://berg.example/')",
     "Anna Berg"},
    {"names('Posted by Heiko Sauer on 9 Apr 2020')", "Heiko Sauer"},
    {"names('Johanna Kropfitsch Alle Artikel')", "Johanna Kropfitsch"},
    {"names('Foto: Ingo Schneider')", ""},
    {"names('wordpressadmin')", ""},
    {"names('Das Magazin für Lesben')", ""},
    {"names('Hanns-Seidel-Stiftung e.V.')", ""},
    /* JSON-LD: people first, the organisation dropped */
    {"field(" HEAD("<script type=application/ld+json>{\"@type\":"
                   "\"NewsArticle\",\"author\":[{\"@type\":\"Person\","
                   "\"name\":\"Olena Koval\"},{\"@type\":\"Organization\","
                   "\"name\":\"Newsroom\"}]}</script></head><body><p>x</p>"
                   "</body></html>]], 'authors')"),
     "Olena Koval <jsonld NewsArticle.author>"},
    /* the site's own name as <meta name=author> is no author: the byline */
    {"field(" HEAD("<meta name=author content='City Post'><meta "
                   "property=og:site_name content='City Post'></head><body>"
                   "<h1>Bridge repairs</h1><p class=byline>By Mark Hill</p>"
                   "<p>Text.</p></body></html>]], 'authors')"),
     "Mark Hill <byline p.byline>"},
    /* a visible byline; a comment's author is never one */
    {"field(" HEAD("</head><body><h1>Market hours</h1><p>Von Eva Schmidt</p>"
                   "<p>Text of the post.</p><div id=comments><p "
                   "class=comment-author>By Troll</p></div></body></html>]], "
                   "'authors')"),
     "Eva Schmidt <text \"Von Eva Schmidt\">"},
    {"field(" HEAD("</head><body><h1>Market hours</h1><p>Text.</p><div "
                   "class=comments><span class=author>Troll Two</span></div>"
                   "</body></html>]], 'authors')"),
     "nil <nil>"},
    /* visible text: a byline starts with a name */
    {"table.concat((authors.names('By entering this store you agree to "
     "the Terms and End User Agreement.', nil, true)), '; ')", ""},
    {"names('Vielen Dank!')", ""},
    {"names('8. November')", ""},
    {"names('Sara Zinnecker Stand')", "Sara Zinnecker"},
    /* month and weekday names after a name (calendar of the language) */
    {"table.concat(authors.names('CBS News February', nil, false, "
     "authors.calendar('en')), '; ')", "CBS News"},
    {"table.concat(authors.names('Jana Novak, Freitag', nil, false, "
     "authors.calendar('de')), '; ')", "Jana Novak"},
    /* the newsroom's signature (the site's name, initials) gives way to
     * a person named later */
    {"field(" HEAD("<script type=application/ld+json>{\"@type\":"
                   "\"NewsArticle\",\"author\":{\"@type\":"
                   "\"Organization\",\"name\":\"City Post\"}}</script>"
                   "<meta property=og:site_name content='City Post'></head>"
                   "<body><h1>Bridge repairs</h1><p>Von Eva Schmidt</p>"
                   "<p>Text.</p></body></html>]], 'authors')"),
     "Eva Schmidt <text \"Von Eva Schmidt\">"},
    {"field(" HEAD("<meta name=author content=JF></head><body><h1>Week in "
                   "review</h1><p class=byline>Boris T. Kaiser</p><p>Text."
                   "</p></body></html>]], 'authors')"),
     "Boris T. Kaiser <byline p.byline>"},
    /* ... and stands when nobody else is named */
    {"field(" HEAD("<meta name=author content=JF></head><body><h1>Week in "
                   "review</h1><p>Text.</p></body></html>]], 'authors')"),
     "JF <meta author>"},
    /* Yoast's reading card */
    {"field(" HEAD("<meta name=twitter:label1 content='Verfasst von'><meta "
                   "name=twitter:data1 content='Karoline Herr'><meta "
                   "name=twitter:label2 content='Geschätzte Lesezeit'><meta "
                   "name=twitter:data2 content='3 Minuten'></head><body><h1>"
                   "Lost</h1><p>Text.</p></body></html>]], 'authors')"),
     "Karoline Herr <meta twitter:data1>"},
    /* a label element, the names beside it */
    {"field(" HEAD("</head><body><h1>Quarantäne</h1><div><h4>Autor</h4><p>"
                   "<a href=/p/nh>Nikolai Huke</a></p></div><p>Text.</p>"
                   "</body></html>]], 'authors')"),
     "Nikolai Huke <text \"Autor Nikolai Huke\">"},
    /* a quote's author is not the article's */
    {"field(" HEAD("</head><body><h1>Doku</h1><blockquote><p>Words.</p>"
                   "<span class=zitat-author>Jan Fleischhauer</span>"
                   "</blockquote><p>Text.</p></body></html>]], 'authors')"),
     "nil <nil>"},
};

static const mcase date_cases[] = {
    /* the URL path */
    {"field(" HEAD("</head><body><h1>x</h1></body></html>]], 'published', "
                   "'https://blog.example/2019/05/07/a-post/')"),
     "2019-05-07 <url path>"},
    /* a Wayback Machine URL: the archived page's path, never the crawl
     * time */
    {"field(" HEAD("</head><body><h1>x</h1></body></html>]], 'published', "
                   "'https://web.archive.org/web/20130307194448/the-pain.example"
                   "/2008/05/26/silkroad.html')"),
     "2008-05-26 <url path>"},
    {"field(" HEAD("</head><body><h1>x</h1></body></html>]], 'published', "
                   "'https://web.archive.org/web/20130307194448/http://"
                   "the-pain.example/silkroad.html')"),
     "nil <nil>"},
    /* JSON-LD nested under mainEntity, with a raw newline in a string */
    {"field(" HEAD("<script type=application/ld+json>{\"@type\":\"WebPage\","
                   "\"mainEntity\":{\"@type\":\"Article\",\"headline\":\"a\n"
                   "b\",\"datePublished\":\"2021-03-04T10:00:00+01:00\"}}"
                   "</script></head><body><p>x</p></body></html>]], "
                   "'published')"),
     "2021-03-04T10:00:00+01:00 <jsonld Article.datePublished>"},
    /* a candidate that does not parse is skipped */
    {"field(" HEAD("<meta property=article:published_time content=soon>"
                   "<meta name=dc.date content=2020-02-20></head><body><p>x"
                   "</p></body></html>]], 'published')"),
     "2020-02-20 <meta dc.date>"},
    /* abbr.published[title] */
    {"field(" HEAD("</head><body><h1>x</h1><abbr class=published "
                   "title=2006-12-04>December 4, 2006</abbr></body></html>]]"
                   ", 'published')"),
     "2006-12-04 <abbr.published>"},
    /* a date stored as local midnight and written in UTC */
    {"field(" HEAD("<meta property=article:published_time content="
                   "2022-11-06T23:00:00.000Z></head><body><p>x</p></body>"
                   "</html>]], 'published')"),
     "2022-11-07 <meta article:published_time (local midnight)>"},
    /* a UTC time gives way to the same instant in the page's offset */
    {"field(" HEAD("<meta property=article:published_time content="
                   "2022-05-04T03:37:37+00:00></head><body><h1>x</h1><time "
                   "datetime=2022-05-03T23:37:37-04:00>3 May</time></body>"
                   "</html>]], 'published')"),
     "2022-05-03T23:37:37-04:00 <time[datetime] (local time of meta "
     "article:published_time)>"},
    /* modification dates are never publication dates */
    {"field(" HEAD("<meta property=og:updated_time content=2022-01-28T11:05:"
                   "37+01:00></head><body><p>x</p></body></html>]], "
                   "'published')"),
     "nil <nil>"},
    {"field(" HEAD("<meta property=og:updated_time content=2022-01-28T11:05:"
                   "37+01:00></head><body><p>x</p></body></html>]], "
                   "'modified')"),
     "2022-01-28T11:05:37+01:00 <meta og:updated_time>"},
    /* a visible date near the headline, not after "Updated" */
    {"field(" HEAD("</head><body><h1>Items</h1><div class=page-meta>Posted "
                   "on September 21, 2020 by Adi</div></body></html>]], "
                   "'published')"),
     "2020-09-21 <text div.page-meta>"},
    {"field(" HEAD("</head><body><h1>Wohngeld</h1><p>06.08.2009</p><p>Text."
                   "</p></body></html>]], 'published')"),
     "2009-08-06 <text near h1 p>"},
    {"field(" HEAD("</head><body><h1>Report</h1><span class=date>"
                   "Aktualisiert: 11.04.2020</span><span class=date>"
                   "03.04.2020</span></body></html>]], 'published')"),
     "2020-04-03 <text span.date>"},
};

START_TEST(meta_title)
{
    run_cases(title_cases, N(title_cases));
}
END_TEST

START_TEST(meta_authors)
{
    run_cases(author_cases, N(author_cases));
}
END_TEST

START_TEST(meta_dates)
{
    run_cases(date_cases, N(date_cases));
}
END_TEST

Suite *meta_suite(void)
{
    Suite *s = suite_create("meta");
    TCase *tc = tcase_create("meta");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, meta_title);
    tcase_add_test(tc, meta_authors);
    tcase_add_test(tc, meta_dates);
    suite_add_tcase(s, tc);
    return s;
}
