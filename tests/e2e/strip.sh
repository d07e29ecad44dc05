#!/bin/bash
# pipe strip: page to plain text, --links, inputs (.gz, --from, stdin),
# closed pipes, the seed page's paragraphs, help and usage errors.
. "$(dirname "$0")/lib.sh"

cat > "$TMP/a.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Head title</title><style>p { color: red }</style>
<script>var s = "<p>not text</p>";</script></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news/">News</a></li></ul></nav>
<article>
<h1>A&nbsp;title &mdash; with &#8220;quotes&#8221;</h1>
<p>First   paragraph with a <a href="https://example.com/x">link</a>, and
<em>emphasis</em>.</p>
<p>Line one<br>line two</p>
<ol><li>one</li><li>two<ul><li>nested</li></ul></li></ol>
<table><tr><th>Name</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>
<noscript>enable js</noscript><template><p>template</p></template>
<svg><text>icon</text></svg>
<!-- a comment -->
</article>
<footer><p>Footer &copy; 2026</p></footer>
</body></html>
HTML

want='- Home
- News

A title — with “quotes”

First paragraph with a link, and emphasis.

Line one
line two

- one
- two
  - nested

Name	Value
a	1

Footer © 2026'
expect_eq "strip renders blocks, lists, tables" "$want" "$("$PIPE" strip "$TMP/a.html")"

want_links='- Home[1]
- News[2]

A title — with “quotes”

First paragraph with a link[3], and emphasis.

Line one
line two

- one
- two
  - nested

Name	Value
a	1

Footer © 2026

[1] /
[2] /news/
[3] https://example.com/x'
expect_eq "strip --links numbers the targets" "$want_links" "$("$PIPE" strip --links "$TMP/a.html")"

expect_eq "stdin" "$want" "$("$PIPE" strip < "$TMP/a.html")"
expect_eq "stdin as -" "$want" "$("$PIPE" strip - < "$TMP/a.html")"
gzip -c "$TMP/a.html" > "$TMP/a.html.gz"
expect_eq ".gz input" "$want" "$("$PIPE" strip "$TMP/a.html.gz")"

printf '<p>second page</p>' > "$TMP/b.html"
printf '%s\n%s\n' "$TMP/b.html" "$TMP/b.html" > "$TMP/list"
expect_eq "--from reads paths" "second page
second page" "$("$PIPE" strip --from "$TMP/list")"
expect_eq "inputs in order" "second page
- Home" "$("$PIPE" strip "$TMP/b.html" "$TMP/a.html" | head -2)"

expect_status "missing input fails with 1" 1 "$PIPE" strip "$TMP/b.html" "$TMP/nope.html"
expect_eq "the other input still printed" "second page" "$(cat "$TMP/out")"
expect_contains "the failure names its input" "pipe: $TMP/nope.html:" "$(cat "$TMP/err")"
expect_status "unknown option" 2 "$PIPE" strip --bogus
expect_contains "unknown option message" "pipe: strip: unknown option '--bogus'" "$(cat "$TMP/err")"
expect_contains "help strip" "usage: pipe strip [--links] [--url URL] [--from FILE] [INPUT...]" "$("$PIPE" help strip)"

# --links: relative and protocol-relative targets made absolute against the
# page URL (--url, else <base href>, the canonical link, og:url)
cat > "$TMP/rel.html" <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Links</title>
<link rel="canonical" href="https://news.example.com/world/story.html"></head>
<body><p>See <a href="/world/other.html">other</a>, <a href="//cdn.example.net/x.pdf">the report</a>,
<a href="next.html">next</a>, <a href="https://abs.example/">elsewhere</a>, <a href="#top">top</a>
and <a href="/world/other.html">other again</a>.</p></body></html>
HTML
expect_eq "--links: resolved against the canonical link" "See other[1], the report[2], next[3], elsewhere[4], top and other again[1].

[1] https://news.example.com/world/other.html
[2] https://cdn.example.net/x.pdf
[3] https://news.example.com/world/next.html
[4] https://abs.example/" "$("$PIPE" strip --links "$TMP/rel.html")"
expect_eq "--links --url: resolved against it" "[1] https://mirror.example/world/other.html
[2] https://cdn.example.net/x.pdf
[3] https://mirror.example/a/next.html
[4] https://abs.example/" "$("$PIPE" strip --links --url https://mirror.example/a/b.html "$TMP/rel.html" | tail -4)"
sed 's|<link rel="canonical"[^>]*>|<base href="https://static.example.org/base/">|' "$TMP/rel.html" > "$TMP/base.html"
expect_eq "--links: <base href> wins, as in a browser" "[3] https://static.example.org/base/next.html" "$("$PIPE" strip --links --url https://mirror.example/a/b.html "$TMP/base.html" | tail -2 | head -1)"
sed 's|<link rel="canonical"[^>]*>||' "$TMP/rel.html" > "$TMP/nourl.html"
expect_eq "--links: no page URL, targets as written" "[1] /world/other.html" "$("$PIPE" strip --links "$TMP/nourl.html" | tail -4 | head -1)"

# a closed pipe ends quietly
for i in $(seq 1 20000); do printf '<p>paragraph %s</p>\n' "$i"; done > "$TMP/big.html"
"$PIPE" strip "$TMP/big.html" 2>"$TMP/err" | head -1 > "$TMP/first"
status=${PIPESTATUS[0]}
expect_eq "closed pipe: exit 0" "0" "$status"
expect_eq "closed pipe: first line" "paragraph 1" "$(cat "$TMP/first")"
expect_eq "closed pipe: no message" "" "$(cat "$TMP/err")"

# junk never crashes
head -c 100000 /dev/urandom > "$TMP/junk.html"
expect_status "binary junk" 0 "$PIPE" strip "$TMP/junk.html"
: > "$TMP/empty.html"
expect_eq "empty page" "" "$("$PIPE" strip "$TMP/empty.html")"

# the seed page: each of its 8 body paragraphs verbatim, as one block
seed="$PAGES/paris-declaration.html"
if [ -f "$seed" ] && [ -f "$PAGES/paris-declaration.expected.json" ]; then
  out=$("$PIPE" strip "$seed")
  n=0
  while IFS= read -r para; do
    n=$((n + 1))
    case "
$out
" in
      *"

$para

"*) ;;
      *) fail "seed paragraph $n is not a block of its own: $para" ;;
    esac
  done < <(jq -r '.body | split("\n\n")[]' "$PAGES/paris-declaration.expected.json")
  expect_eq "seed: 8 paragraphs found" "8" "$n"
  expect_not_contains "seed: no script text" "function(" "$out"
  expect_not_contains "seed: no head title" "<title>" "$out"
fi
