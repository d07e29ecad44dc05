#!/bin/bash
# pipe select: CSS and XPath, --attr, --html, --first, -0, inputs, errors.
. "$(dirname "$0")/lib.sh"

cat > "$TMP/a.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Select &amp; test</title>
<meta property="og:title" content="OG title"></head>
<body>
<ul class="menu"><li><a href="/">Home</a></li><li class="on"><a href="/news/">News</a></li><li><a href="/about/">About us</a></li></ul>
<article id="story">
<h1>Story title</h1>
<p class="lead">Lead with a <a href="https://example.com/x">link</a>.</p>
<p>Two<br>lines</p>
<div class="body"><p>Para A</p><p>Para B</p></div>
<template><p>template paragraph</p></template>
</article>
</body></html>
HTML
A="$TMP/a.html"

expect_eq "type selector" "Lead with a link.
Two lines
Para A
Para B" "$("$PIPE" select p "$A")"
expect_eq "class and child" "News" "$("$PIPE" select 'ul.menu > li.on' "$A")"
expect_eq "nth-child" "Home
About us" "$("$PIPE" select 'li:nth-child(odd)' "$A")"
expect_eq "adjacent sibling" "Lead with a link." "$("$PIPE" select 'h1 + p' "$A")"
expect_eq "not()" "Two lines" "$("$PIPE" select 'article > p:not(.lead)' "$A")"
expect_eq "list keeps document order" "Story title
Para A" "$("$PIPE" select '.body p:first-child, h1' "$A")"
expect_eq "--attr" "/
/news/
/about/
https://example.com/x" "$("$PIPE" select --attr href 'a' "$A")"
expect_eq "--attr on meta" "OG title" "$("$PIPE" select --attr content 'meta[property="og:title"]' "$A")"
expect_eq "--attr skips matches without it" "" "$("$PIPE" select --attr href 'h1' "$A")"
expect_eq "--html" '<p class="lead">Lead with a <a href="https://example.com/x">link</a>.</p>' "$("$PIPE" select --html 'p.lead' "$A")"
expect_eq "--first" "Home" "$("$PIPE" select --first 'li' "$A")"
expect_eq "--first per input, each named" "$A:Home
$A:Home" "$("$PIPE" select --first 'li' "$A" "$A")"
expect_eq "--no-filename" "Home
Home" "$("$PIPE" select --no-filename --first 'li' "$A" "$A")"
expect_eq "-H with one input" "$A:Home" "$("$PIPE" select -H --first 'li' "$A")"
expect_eq "--json" '{"source":"'"$A"'","text":"Home"}' "$("$PIPE" select --json --first 'li' "$A")"
expect_eq "--json --attr" '{"source":"-","href":"/"}' "$("$PIPE" select --json --first --attr href 'a' < "$A")"
expect_eq "--json scalar xpath" '{"source":"'"$A"'","value":"'"$("$PIPE" select --xpath 'count(//li)' "$A")"'"}' "$("$PIPE" select --json --xpath 'count(//li)' "$A")"
expect_status "--json and -0" 2 "$PIPE" select --json -0 li "$A"
expect_eq "-0 keeps newlines, ends with NUL" "$(printf 'Two\nlines|Para A|')" \
  "$("$PIPE" select -0 'article > p:nth-of-type(2), .body p:first-child' "$A" | tr '\0' '|')"
expect_eq "--xpath nodes" "Story title" "$("$PIPE" select --xpath '//h1' "$A")"
expect_eq "--xpath attribute values" "/news/" "$("$PIPE" select --xpath '//li[@class="on"]/a/@href' "$A")"
expect_eq "--xpath scalar" "2" "$("$PIPE" select --xpath 'count(//div[@class="body"]/p)' "$A")"
expect_eq "--xpath sees template content (raw XPath)" "5" "$("$PIPE" select --xpath 'count(//article//p)' "$A")"
expect_eq "head title" "Select & test" "$("$PIPE" select title "$A")"
expect_eq "template content is not matched" "" "$("$PIPE" select 'template p' "$A")"
expect_eq "stdin" "Story title" "$("$PIPE" select h1 < "$A")"
gzip -c "$A" > "$TMP/a.html.gz"
expect_eq ".gz input" "Story title" "$("$PIPE" select h1 "$TMP/a.html.gz")"
printf '%s\n' "$A" > "$TMP/list"
expect_eq "--from names the inputs" "$A:Story title" "$("$PIPE" select --from "$TMP/list" h1 | head -1)"

# XPath's id(): pipe's parse keeps no ID table (libxml2's stops growing
# and turned a page with 400,000 ids quadratic), so xpath.c walks the
# tree: id attributes and <a name>, the first element per id, tokens split
# on whitespace (leading whitespace too, which libxml2 2.9.14's id()
# dropped the first token for), node-set arguments, markup after </html>
cat > "$TMP/ids.html" <<'HTML'
<html><head><title>ids</title></head><body>
<div id="main"><p id="p1">one</p><p id=" p2 ">two</p></div>
<p id="p1">duplicate</p><a name="top">anchor</a><span name="top">not an id</span>
<ul><li class="p1 main">refs</li></ul>
</body></html>
<p id="late">after the end</p>
HTML
I="$TMP/ids.html"
expect_eq "id(): one id" "one" "$("$PIPE" select --xpath "id('p1')" "$I")"
expect_eq "id(): spaces around the value" "two" "$("$PIPE" select --xpath "id('p2')" "$I")"
expect_eq "id(): several, document order, leading space" "one
two
anchor" "$("$PIPE" select --xpath "id(' top p2  p1 nope')" "$I")"
expect_eq "id(): a node-set's string values" "one two
one" "$("$PIPE" select --xpath "id(//li/@class)" "$I" | head -2)"
expect_eq "id(): after </html>" "after the end" "$("$PIPE" select --xpath "id('late')" "$I")"
expect_eq "id(): count" "3" "$("$PIPE" select --xpath "count(id('main p1 top'))" "$I")"
expect_eq "id(): in a path" "one" "$("$PIPE" select --xpath "id('main')/p[1]" "$I")"
cat > "$TMP/id.lua" <<'LUA'
return function(page)
  local n = page.doc:xpath("id('p1')")[1]
  page.doc:remove("#main") -- id() reads the tree as it is now
  return {id = n:attr("id"), text = n:text(),
          after = page.doc:xpath("id('p1')")[1]:text()}
end
LUA
expect_eq "id(): from Lua, after an edit" \
  '{"source":"'"$I"'","after":"duplicate","id":"p1","text":"one"}' \
  "$("$PIPE" run "$TMP/id.lua" "$I" 2>&1)"

expect_status "bad selector exits 2" 2 "$PIPE" select 'p[' "$A"
expect_eq "bad selector message" "pipe: bad selector 'p[' at offset 2: expected a name" "$(cat "$TMP/err")"
expect_status "bad xpath exits 2" 2 "$PIPE" select --xpath '//p[' "$A"
expect_eq "bad xpath message" "pipe: bad xpath '//p[': invalid expression" "$(cat "$TMP/err")"
expect_status "missing selector" 2 "$PIPE" select
expect_status "missing input" 1 "$PIPE" select h1 "$TMP/nope.html" "$A"
expect_eq "other inputs still processed" "$A:Story title" "$(cat "$TMP/out")"
expect_status "--attr without value" 2 "$PIPE" select --attr
expect_contains "help select" "usage: pipe select [OPTIONS] SELECTOR [INPUT...]" "$("$PIPE" help select)"

for i in $(seq 1 20000); do printf '<p>p%s</p>\n' "$i"; done > "$TMP/big.html"
"$PIPE" select p "$TMP/big.html" 2>"$TMP/err" | head -1 > "$TMP/first"
status=${PIPESTATUS[0]}
expect_eq "closed pipe: exit 0" "0" "$status"
expect_eq "closed pipe: first match" "p1" "$(cat "$TMP/first")"
expect_eq "closed pipe: quiet" "" "$(cat "$TMP/err")"

# a three-stage chain: cut out a block, render it, select from the text
expect_eq "chain" "Para A

Para B" "$("$PIPE" select --html '.body' "$A" | "$PIPE" select --html 'p' | "$PIPE" strip)"

# the man page's select example does what it says on the seed page
ex=$(sed -n "s/^pipe select --attr href '\(.*\)' page.html$/\1/p" docs/pipe.1.scd)
expect_eq "man page example: the selector" "link[rel=canonical]" "$ex"
expect_eq "man page example prints the canonical URL" \
  "https://newsukraine.rbc.ua/news/the-paris-declaration-and-the-road-to-the-eu-1768650300.html" \
  "$("$PIPE" select --attr href "$ex" tests/pages/paris-declaration.html)"
