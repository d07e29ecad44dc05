#!/bin/sh
# End-to-end: the page's own URL (lib/url.lua url.of_page, url.canonical)
# from <link rel=canonical> and og:url, found by a CSS walk with the
# attributes checked in Lua as the XPath queries `//link[@href][contains(
# concat(' ', translate(normalize-space(@rel), A-Z, a-z), ' '),
# ' canonical ')]/@href` and `//meta[translate(@property | @name, A-Z,
# a-z) = 'og:url'][normalize-space(@content) != '']/@content` had them:
# ASCII case folding, rel words split on white space (libxml2 reads a
# form feed in an attribute as a space), whole words only, blank content
# skipped, property before name.  Unlike the XPath, nothing inside a
# <template> counts (inert content, not part of the page).
. "$(dirname "$0")/lib.sh"

# page NAME HEAD BODY: a page in $TMP/NAME.html
page() {
  printf '<!DOCTYPE html><html><head><meta charset=utf-8>%s</head><body>%s<p>x</p></body></html>\n' \
    "$2" "$3" >"$TMP/$1.html"
}
# check NAME EXPECTED: the record (less source) of $TMP/NAME.html
check() {
  got=$("$PIPE" run --no-workers tests/rules/page_url.lua "$TMP/$1.html" | jq -c 'del(.source)') ||
    fail "$1: pipe run failed"
  expect_eq "$1" "$2" "$got"
}

page rel-words '<link rel="stylesheet" href="/s.css"><link rel="  Alternate	CANONICAL " href="https://a.example/one">' ''
check rel-words '{"canonical":"https://a.example/one","url":"https://a.example/one"}'

page rel-formfeed "$(printf '<link rel="canonical\fx" href="https://a.example/ff"><link rel="canonicalx" href="https://a.example/x">')" ''
check rel-formfeed '{"canonical":"https://a.example/ff","url":"https://a.example/ff"}'

page rel-partial '<link rel="canonicalx" href="https://a.example/x"><link rel="non-canonical" href="https://a.example/y">' ''
check rel-partial '{"why":"no --url, record url, canonical link or og:url"}'

page no-href '<link rel=canonical><link rel=canonical href="">' ''
check no-href '{"canonical":"","why":"no --url, record url, canonical link or og:url"}'

page relative-first '<link rel=canonical href="/rel/path"><link rel=canonical href="//b.example/abs">' ''
check relative-first '{"canonical":"/rel/path","url":"https://b.example/abs"}'

page relative-only '<link rel=canonical href=" /rel/path ">' ''
check relative-only "{\"canonical\":\" /rel/path \",\"why\":\"the page's own URL '/rel/path' is relative and there is no --url, record url or <base href> to resolve it against\"}"

page relative-base '<base href="https://c.example/dir/"><link rel=canonical href="page.html">' ''
check relative-base '{"canonical":"page.html","url":"https://c.example/dir/page.html"}'

page og-order '<meta name="og:url" content="https://d.example/by-name"><meta property="OG:URL" content="  "><meta property="og:Url" content="https://d.example/by-property">' ''
check og-order '{"url":"https://d.example/by-property"}'

page og-name '<meta property="og:url"><meta name="OG:url" content="https://d.example/by-name">' ''
check og-name '{"url":"https://d.example/by-name"}'

page template-link '<template><link rel=canonical href="https://e.example/in-template"></template>' ''
check template-link '{"why":"no --url, record url, canonical link or og:url"}'

page template-og '' '<template><meta property=og:url content="https://e.example/og-in-template"></template>'
check template-og '{"why":"no --url, record url, canonical link or og:url"}'

page template-og-name '<meta name=og:url content="https://e.example/by-name">' '<template><meta property=og:url content="https://e.example/og-in-template"></template>'
check template-og-name '{"url":"https://e.example/by-name"}'

page template-elsewhere '<link rel=canonical href="https://f.example/real">' '<template><p>t</p></template>'
check template-elsewhere '{"canonical":"https://f.example/real","url":"https://f.example/real"}'

# --url wins over what the page says
got=$("$PIPE" run --no-workers --url https://given.example/ tests/rules/page_url.lua "$TMP/rel-words.html" | jq -c 'del(.source)')
expect_eq "--url first" '{"canonical":"https://a.example/one","url":"https://given.example/"}' "$got"

# url.resolve trims the spaces Lua's %s knows (space, \t, \n, \v, \f, \r)
# at either end, and only there; all spaces is no URL
got=$("$PIPE" run --no-workers tests/rules/url_resolve.lua "$TMP/rel-words.html" | jq -r .r)
expect_eq "url.resolve trims" "https://base.example/dir/a/b|https://base.example/dir/a/b|https://base.example/dir/a/b|https://base.example/dir/a/b|https://base.example/dir/a/b|https://base.example/dir/a%20b|https://base.example/dir/a/b|https://base.example/dir/x%20y|nil|nil|https://h.example/p%20q" "$got"

# url.host: lowercase, userinfo (up to the last @), a :port and one
# trailing dot dropped; an [IPv6] literal kept whole; no host is nil
got=$("$PIPE" run --no-workers tests/rules/url_host.lua "$TMP/rel-words.html" | jq -r .h)
expect_eq "url.host" "example.com|c.d|[::1]|host|h.|nil|nil|x.y:abc|a.b|h|nil|nil|nil|[x]|Ä.de" "$got"
