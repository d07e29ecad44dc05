#!/bin/sh
# End-to-end: page metadata (scripts/lib/meta.lua) on purpose-made pages:
# JSON-LD @graph with @id references, arrays of blocks, a broken block
# (skipped), <title> site suffixes, meta tags, microformat fallbacks.
. "$(dirname "$0")/lib.sh"

P=tests/rules/pages
for name in graph plain bare; do
  "$PIPE" run tests/rules/meta_dump.lua "$P/meta-$name.html" >"$TMP/$name.json" ||
    fail "meta-$name.html: pipe run failed"
  if jq -e -n --slurpfile a "$TMP/$name.json" --slurpfile e "$P/meta-$name.expected.json" \
      '($a[0] | del(.source)) == $e[0]' >/dev/null; then
    pass "meta-$name.html metadata"
  else
    printf 'FAIL: meta-%s.html metadata\n' "$name" >&2
    jq -r -n --slurpfile a "$TMP/$name.json" --slurpfile e "$P/meta-$name.expected.json" '
      ($a[0] | del(.source)) as $a | $e[0] as $e | ($a + $e | keys[]) as $k
      | select($a[$k] != $e[$k])
      | "field \($k) differs\n--- expected\n\($e[$k] | tojson)\n--- actual\n\($a[$k] | tojson)"' >&2
    exit 1
  fi
done

out=$(cat "$TMP/graph.json")
expect_eq "authors: @id reference, string; the organization dropped beside people" '["Олена Коваль","Петро Бондар"]' "$(printf '%s' "$out" | jq -c .authors)"
expect_eq "site suffix dropped, inner dash kept" '"Мости через Дніпро — що відомо"' "$(printf '%s' "$out" | jq -c .title)"
expect_eq "Z normalised" '"2026-01-18T10:00:00+00:00"' "$(printf '%s' "$out" | jq -c .modified)"
expect_eq "metadata computed once per page" 'true' "$(printf '%s' "$out" | jq -c .cached)"

out=$("$PIPE" run tests/rules/meta_dump.lua --url https://blog.example.org/?p=7 "$P/meta-plain.html")
expect_eq "canonical resolved against --url" '"https://blog.example.org/2026/01/hello-world/"' "$(printf '%s' "$out" | jq -c .url)"
expect_eq "article:author URL ignored, JSON-LD author first" '["Nobody Else"]' "$(printf '%s' "$out" | jq -c .authors)"

# metadata fills what a rule leaves empty (rules.lua key `metadata`)
out=$("$PIPE" run --explain tests/rules/required.lua --url https://x.example/ "$P/meta-plain.html")
expect_eq "rule field from a meta source" '"Ivan Petrov"' "$(printf '%s' "$out" | jq -c .author)"
expect_eq "explain names the meta source" '"meta author"' "$(printf '%s' "$out" | jq -c .explain.author)"
# the rule's `author` stands for the standard `authors`: metadata does not
# add a second, disagreeing field, and --explain says why
expect_eq "metadata does not fill authors next to the rule's author" 'null' "$(printf '%s' "$out" | jq -c .authors)"
expect_eq "explain: why authors is absent" '"none (metadata has one, but the rule'"'"'s field '"'"'author'"'"' stands for authors)"' "$(printf '%s' "$out" | jq -c .explain.authors)"
expect_eq "explain: metadata" '"metadata"' "$(printf '%s' "$out" | jq -c .explain.site_name)"

# metadata is computed per field, when the record needs it; it still
# describes the page as served: the rule removes the byline and the
# dateline, its own authors and published find nothing, and metadata
# fills them from what was removed (a fresh parse of the page)
out=$("$PIPE" run --explain tests/rules/served.lua "$P/meta-served.html")
expect_eq "removed byline: metadata authors of the page as served" '["Margaret Ellison"]' "$(printf '%s' "$out" | jq -c .authors)"
expect_eq "removed dateline: metadata date of the page as served" '"2026-03-12"' "$(printf '%s' "$out" | jq -c .published)"
expect_eq "explain: authors from metadata" '"metadata"' "$(printf '%s' "$out" | jq -c .explain.authors)"
expect_eq "the rule's removals hold for its fields" 'false' "$(printf '%s' "$out" | jq -c '.body | contains("Subscribe")')"
# post edits the page, then reads metadata the record did not need
out=$("$PIPE" run tests/rules/served_post.lua "$P/meta-served.html")
expect_eq "metadata after post's edits: the page as served" '{"authors":["Margaret Ellison"],"published":"2026-03-12","title":"Harbour cranes return to the old quay"}' "$(printf '%s' "$out" | jq -c .meta)"
# the same rule over several pages in one worker: after a page where its
# own authors and published came out empty, the next pages compute them
# before the rule's edits (the work differs, the records do not)
out=$("$PIPE" run -j 1 tests/rules/served.lua "$P/meta-served.html" "$P/meta-served.html" "$P/meta-served.html" | jq -c '[.authors, .published]' | sort -u)
expect_eq "one worker, three pages: metadata as on the first" '[["Margaret Ellison"],"2026-03-12"]' "$out"
# a rule that removes the headline and the <meta>s: its {meta=} source and
# a function field's meta.facts still see the page as served (a rule
# without functions reads only the <meta> index and JSON-LD before its
# edits; one with functions gets all the facts then)
out=$("$PIPE" run tests/rules/served_facts.lua "$P/meta-served.html")
expect_eq "meta source and meta.facts after the rule's edits" '["Northport Courier",1,0]' "$(printf '%s' "$out" | jq -c '[.site, .headlines, .left]')"
# page.meta in function fields and post: computed when read, as served
out=$("$PIPE" run tests/rules/served_fn.lua "$P/meta-served.html")
expect_eq "page.meta in function fields and post" '["Harbour cranes return to the old quay",["Margaret Ellison"],"2026-03-12"]' "$(printf '%s' "$out" | jq -c '[.meta_title, .meta_authors, .meta_published]')"

# url.of_page: rel words in any case and spacing; a <link> inside a
# <template> does not count; og:url by property or name, blank ones skipped
cat >"$TMP/own_url.lua" <<'LUA'
local url = require("lib.url")
return function(page) return { u = url.of_page(page) or "none" } end
LUA
printf '%s' '<html><head><link rel="stylesheet" href="/s.css"><link rel=" alternate	CANONICAL " href="https://a.example/x"></head><body><template><link rel="canonical" href="https://t.example/tpl"></template><p>text</p></body></html>' >"$TMP/canon.html"
expect_eq "canonical: rel words in any case and spacing, none from <template>" '"https://a.example/x"' \
  "$("$PIPE" run "$TMP/own_url.lua" "$TMP/canon.html" | jq -c .u)"
printf '%s' '<html><head><meta name="OG:URL" content="  "><meta property="og:url" content="https://o.example/y"></head><body><template><link rel="canonical" href="https://t.example/tpl"></template><p>text</p></body></html>' >"$TMP/og.html"
expect_eq "og:url when the only canonical link is inside <template>; a blank og:url skipped" '"https://o.example/y"' \
  "$("$PIPE" run "$TMP/own_url.lua" "$TMP/og.html" | jq -c .u)"
