#!/bin/bash
# doc:select/first/remove: the native CSS matcher (plugins/html/cssmatch.c)
# gives exactly what the XPath path gives, node for node, for every
# selector string in scripts/ and a list of tricky ones, on every page in
# tests/pages and on a fixture made for the corner cases; from the
# document and from element contexts, on the pages as parsed and after
# edits.  PIPE_CSS_XPATH=1 (a test knob, docs/design.md) forces the XPath
# path; PIPE_CSS_INDEX=0 makes the native matcher walk the tree for every
# query instead of using its per-document index.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/scripts"

# the selectors: every string literal in scripts/ (the test script drops
# those that do not compile, and rules.lua's ::text/::attr()/::html
# suffixes), then the hand list
{
  find scripts -name '*.lua' -print0 | sort -z | xargs -0 grep -ohE "\"[^\"]*\"|'[^']*'" |
    sed -e 's/^.//' -e 's/.$//'
  cat <<'LIST'
p, .x, p.x
p.x, .x, p
div div
div > div
div div div
div > div > p
div p
div > p
*
* > *
body > *
DIV
Div > P
P.Lead
.a.b
.tab
.nl
.b
#café
[id=café]
#naïve
[class]
[class=""]
[class~=""]
[class^=""]
[class$=""]
[class*=""]
[class|=""]
[data-x]
[data-x=""]
[data-x="" i]
[data-x|="" i]
[data-x~="" i]
[data-x^="" i]
[lang|=en]
[lang|=EN i]
[lang=en-us i]
[lang="EN-US" s]
[lang$=US]
[lang$=us i]
[title$="é"]
[title$=é]
[title^="Caf"]
[title*="fé c"]
[title~=crème]
[href^=http]
[href*="/news/"]
[href$=".html"]
a[href][title]
ul li, li
li + li
li ~ li
h1 + p, p + p
h1 ~ p
div ~ p
div + div > p
section div p, section > div
.lead, #story, article > p
template
template p
p:first-child
div:not(.x)
:is(h1, h2)
li:nth-child(2)
p:contains(Para)
div:has(> p)
LIST
} > "$TMP/selectors.txt"
{
  printf 'local SELECTORS = {\n'
  while IFS= read -r s; do printf '  [==[%s]==],\n' "$s"; done < "$TMP/selectors.txt"
  printf '}\n'
  cat tests/scripts/css_native.lua
} > "$TMP/scripts/css_native.lua"
S="$TMP/scripts/css_native.lua"

# corner cases: classes split by tabs and newlines, empty and valueless
# attributes, non-ASCII ids and values, nested same tags, siblings,
# <template> content
cat > "$TMP/corner.html" <<'HTML'
<!DOCTYPE html>
<html lang="EN-US"><head><meta charset="utf-8"><title>Corner cases</title></head>
<body>
<div class="a	b" id="café"><div class="
nl
"><div><p class="x">one</p></div><p>two</p></div></div>
<div data-x="" class=""><p class="x lead" title="Café crème">three</p></div>
<div data-x><p title="é">four</p><p lang="en">five</p><p lang="en-GB">six</p></div>
<section><div><div><p id="naïve">seven</p></div></div></section>
<h1>Title</h1><p>after h1</p><p>after that</p>
<ul><li><a href="/news/a.html" title="A">a</a></li><li><a href="http://x.example/">b</a></li><li>c</li></ul>
<template><div><p class="x">in template</p></div></template>
<article id="story"><p class="lead">lead</p><div><p>inner</p></div></article>
</body></html>
HTML
PAGES_ALL=("$TMP/corner.html" "$PAGES"/*.html)

# 1. in one run: native results against the compiled XPath, node identity
out=$("$PIPE" run -j 1 --set mode=compare "$S" "${PAGES_ALL[@]}" 2>&1)
n=$(printf '%s\n' "$out" | grep -c '"mismatches":\[\]')
expect_eq "native = XPath on ${#PAGES_ALL[@]} pages (no mismatches)" "${#PAGES_ALL[@]}" "$n"
sels=$(printf '%s\n' "$out" | head -1 | sed -E 's/.*"selectors":([0-9]+).*/\1/')
[ "$sels" -ge 100 ] || fail "only $sels selectors compiled (expected >= 100): $out"
pass "$sels selectors checked on each page"

# 1a. the same with the matcher's index off (PIPE_CSS_INDEX=0: every
#     query walks the tree)
out=$(PIPE_CSS_INDEX=0 "$PIPE" run -j 1 --set mode=compare "$S" "${PAGES_ALL[@]}" 2>&1)
n=$(printf '%s\n' "$out" | grep -c '"mismatches":\[\]')
expect_eq "native walk = XPath on ${#PAGES_ALL[@]} pages (PIPE_CSS_INDEX=0)" "${#PAGES_ALL[@]}" "$n"

# 1b. the same with random selectors of the native subset (fixed seed)
out=$("$PIPE" run -j 1 --set mode=random --set count=400 "$S" "$TMP/corner.html" \
  "$PAGES/paris-declaration.html" "$PAGES/wire-ecb-rates.html" "$PAGES/blog-apple-pruning.html" 2>&1)
n=$(printf '%s\n' "$out" | grep -c '"hits":true,"mismatches":\[\],"selectors":400')
expect_eq "native = XPath for 400 random selectors on 4 pages" "4" "$n"
out=$(PIPE_CSS_INDEX=0 "$PIPE" run -j 1 --set mode=random --set count=400 "$S" "$TMP/corner.html" \
  "$PAGES/paris-declaration.html" "$PAGES/wire-ecb-rates.html" "$PAGES/blog-apple-pruning.html" 2>&1)
n=$(printf '%s\n' "$out" | grep -c '"hits":true,"mismatches":\[\],"selectors":400')
expect_eq "native walk = XPath for 400 random selectors on 4 pages (PIPE_CSS_INDEX=0)" "4" "$n"

# 2. the same through the real switch: a run with PIPE_CSS_XPATH=1
"$PIPE" run -j 1 --set mode=digest "$S" "${PAGES_ALL[@]}" > "$TMP/native.txt" 2>&1
PIPE_CSS_XPATH=1 "$PIPE" run -j 1 --set mode=digest "$S" "${PAGES_ALL[@]}" > "$TMP/xpath.txt" 2>&1
[ "$(wc -l < "$TMP/native.txt")" -eq "${#PAGES_ALL[@]}" ] || fail "digest: $(head -c 2000 "$TMP/native.txt")"
if ! cmp -s "$TMP/native.txt" "$TMP/xpath.txt"; then
  diff <(tr -d '\r' < "$TMP/native.txt" | sed 's/\\n/\n/g') \
       <(sed 's/\\n/\n/g' "$TMP/xpath.txt") | head -20 >&2
  fail "select/first/remove differ between the native and the XPath path"
fi
pass "select, first, remove: native run = PIPE_CSS_XPATH=1 run"

# 3. exact matches on the corner-case page
cat > "$TMP/show.txt" <<'LIST'
div div
div > p
p, .x, p.x
.b
.nl
#café
[class=""]
[data-x="" i]
[data-x|="" i]
[lang|=EN i]
[title$=é]
h1 + p, li ~ li
section div p
template
html
LIST
{
  printf 'local SELECTORS = {\n'
  while IFS= read -r s; do printf '  [==[%s]==],\n' "$s"; done < "$TMP/show.txt"
  printf '}\n'
  cat tests/scripts/css_native.lua
} > "$TMP/scripts/css_show.lua"
got=$("$PIPE" run --set mode=show --format text --fields lines "$TMP/scripts/css_show.lua" "$TMP/corner.html")
# paths: tag[i], i the element's place among its parent's child elements
B='html[1]/body[2]'
expect_eq "corner cases, exact" "div div => $B/div[1]/div[1] $B/div[1]/div[1]/div[1] $B/section[4]/div[1]/div[1]
div > p => $B/div[1]/div[1]/div[1]/p[1] $B/div[1]/div[1]/p[2] $B/div[2]/p[1] $B/div[3]/p[1] $B/div[3]/p[2] $B/div[3]/p[3] $B/section[4]/div[1]/div[1]/p[1] $B/article[10]/div[2]/p[1]
p, .x, p.x => $B/div[1]/div[1]/div[1]/p[1] $B/div[1]/div[1]/p[2] $B/div[2]/p[1] $B/div[3]/p[1] $B/div[3]/p[2] $B/div[3]/p[3] $B/section[4]/div[1]/div[1]/p[1] $B/p[6] $B/p[7] $B/article[10]/p[1] $B/article[10]/div[2]/p[1]
.b => $B/div[1]
.nl => $B/div[1]/div[1]
#café => $B/div[1]
[class=\"\"] => $B/div[2]
[data-x=\"\" i] => $B/div[2] $B/div[3]
[data-x|=\"\" i] => $B/div[2] $B/div[3]
[lang|=EN i] => html[1] $B/div[3]/p[2] $B/div[3]/p[3]
[title\$=é] => $B/div[3]/p[1]
h1 + p, li ~ li => $B/p[6] $B/ul[8]/li[2] $B/ul[8]/li[3]
section div p => $B/section[4]/div[1]/div[1]/p[1]
template => $B/template[9]
html => html[1]" "$got"
got=$(PIPE_CSS_XPATH=1 "$PIPE" run --set mode=show --format text --fields lines "$TMP/scripts/css_show.lua" "$TMP/corner.html")
expect_eq "corner cases, the XPath path agrees" "$(printf '%s' "$got")" "$("$PIPE" run --set mode=show --format text --fields lines "$TMP/scripts/css_show.lua" "$TMP/corner.html")"

# 4. errors: the same messages on both paths
for sel in 'p[' 'div >' '.' '#a:nosuch' 'p,,a'; do
  printf 'return function(page) return {r = select(2, pcall(page.doc.select, page.doc, [==[%s]==]))} end\n' "$sel" > "$TMP/scripts/err.lua"
  a=$("$PIPE" run "$TMP/scripts/err.lua" "$TMP/corner.html" 2>&1)
  b=$(PIPE_CSS_XPATH=1 "$PIPE" run "$TMP/scripts/err.lua" "$TMP/corner.html" 2>&1)
  expect_contains "bad selector '$sel' raises" "bad selector" "$a"
  expect_eq "bad selector '$sel': same message on both paths" "$b" "$a"
done

# 5. deep nesting: an iterative walk (100k levels), descendant and child
#    combinators linear in the tree.  (The XPath path needs minutes for
#    "div div .deep" here, so this also shows the native path runs.)
awk 'BEGIN { printf "<html><body>"; for (i = 0; i < 100000; i++) printf "<div>"; printf "<p class=\"deep\">x</p></body></html>" }' > "$TMP/deep.html"
cat > "$TMP/scripts/deep.lua" <<'LUA'
return function(page)
  local d = page.doc
  return { divs = #d:select("div"), p = #d:select("div div .deep"),
           child = #d:select("div > p"), none = #d:select("p div"),
           first = d:first("body > div div") ~= nil }
end
LUA
expect_eq "100k-deep page" "{\"source\":\"$TMP/deep.html\",\"child\":1,\"divs\":100000,\"first\":true,\"none\":0,\"p\":1}" \
  "$("$PIPE" run --timeout 60 "$TMP/scripts/deep.lua" "$TMP/deep.html" 2>&1)"

# 6. the `pipe select` command runs the native matcher too: its output, in
#    every form, is the XPath path's, byte for byte, over every test page
while IFS= read -r sel; do
  for opts in "" "--html" "--attr href" "--first" "--json" "-0" "-H --first --json"; do
    # shellcheck disable=SC2086 # the options are words
    a=$("$PIPE" select $opts "$sel" "$TMP/corner.html" "$PAGES"/*.html | md5sum)
    # shellcheck disable=SC2086
    b=$(PIPE_CSS_XPATH=1 "$PIPE" select $opts "$sel" "$TMP/corner.html" "$PAGES"/*.html | md5sum)
    [ "$a" = "$b" ] || fail "pipe select $opts '$sel': native and XPath outputs differ"
  done
done <<'LIST'
p
div div
a[href]
h1 + p, li ~ li
.x, p.x, p
[data-x="" i]
article p, template p
LIST
pass "pipe select: native = XPath output (7 selectors x 7 option sets, every page)"
deep=$(timeout 60 "$PIPE" select --json 'div div .deep' "$TMP/deep.html")
expect_eq "pipe select on the 100k-deep page (native)" \
  "{\"source\":\"$TMP/deep.html\",\"text\":\"x\"}" "$deep"
