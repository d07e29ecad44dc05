#!/bin/sh
# End-to-end: the rule engine (scripts/lib/rules.lua) and the entry script
# (scripts/site.lua) on purpose-made pages in tests/rules/pages/: every rule
# key and field option, fallbacks, provenance (--explain), extends, host
# picking, strict load errors (exit 2) and required fields (exit 1).
. "$(dirname "$0")/lib.sh"

R=tests/rules
page=$R/pages/article.html

# expect_json NAME ACTUAL_FILE EXPECTED_FILE: semantic JSON equality; on a
# mismatch names each differing field
expect_json() {
  if jq -e -n --slurpfile a "$2" --slurpfile e "$3" '$a == $e' >/dev/null; then
    pass "$1"; return
  fi
  printf 'FAIL: %s\n' "$1" >&2
  jq -r -n --slurpfile a "$2" --slurpfile e "$3" '
    $a[0] as $a | $e[0] as $e | ($a + $e | keys[]) as $k
    | select($a[$k] != $e[$k])
    | "field \($k) differs\n--- expected\n\($e[$k] | tojson)\n--- actual\n\($a[$k] | tojson)"' >&2
  exit 1
}

# every option and source kind, compared with a golden record
"$PIPE" run $R/fields.lua "$page" | jq -S 'del(.source)' >"$TMP/fields.json" ||
  fail "fields.lua did not run"
jq -S 'del(.source)' $R/fields.expected.json >"$TMP/fields.expected.json"
expect_json "fields.lua record" "$TMP/fields.json" "$TMP/fields.expected.json"

out=$("$PIPE" run $R/fields.lua "$page")
expect_not_contains "remove by selector" "ADVERTISEMENT" "$out"
expect_not_contains "remove by text" "Read also" "$out"
expect_not_contains "replace before parsing" "SHARE NEWS" "$out"
expect_not_contains "unwrap leaves no tag" "<font" "$out"
expect_eq "no explain without --explain" "null" "$(printf '%s' "$out" | jq -c .explain)"

# provenance
out=$("$PIPE" run --explain $R/fields.lua "$page")
expect_eq "explain: selector fallback" '"rule: h1.story__title"' "$(printf '%s' "$out" | jq -c .explain.title)"
expect_eq "explain: meta" '"meta OG:Title"' "$(printf '%s' "$out" | jq -c .explain.og_title)"
expect_eq "explain: jsonld" '"jsonld headline"' "$(printf '%s' "$out" | jq -c .explain.headline)"
expect_eq "explain: default, and why" '"default (.nothing-here: nothing matched)"' "$(printf '%s' "$out" | jq -c .explain.missing)"
expect_eq "explain: none, and why" '"none (.nothing-at-all: nothing matched)"' "$(printf '%s' "$out" | jq -c .explain.nothing)"
expect_eq "explain: metadata" '"metadata"' "$(printf '%s' "$out" | jq -c .explain.tags)"
expect_eq "explain: function" '"function"' "$(printf '%s' "$out" | jq -c .explain.words)"
expect_eq "explain: field absent from record" "null" "$(printf '%s' "$out" | jq -c .nothing)"

# site.lua: host picking (exact beats wildcard), extends, no match
out=$("$PIPE" run $R/site_pick.lua "$page")
expect_eq "exact host rule picked" '"sites/example_www.lua"' "$(printf '%s' "$out" | jq -c .rule)"
expect_eq "url from the canonical link" '"https://www.example.com/news/night-trains-alps.html"' "$(printf '%s' "$out" | jq -c .url)"
expect_eq "extends: parent field kept" '"Night trains return to the Alps"' "$(printf '%s' "$out" | jq -c .title)"
expect_eq "extends: child field added" '"Anna Weber"' "$(printf '%s' "$out" | jq -c .byline)"
expect_eq "extends: field deleted with false" "null" "$(printf '%s' "$out" | jq -c .section)"
expect_eq "extends: remove lists concatenated" \
  '"Three operators will restore sleeper services between Zurich and Vienna.\n\nTickets go on sale in March.\n\nThe first train leaves on 4 May — a Monday."' \
  "$(printf '%s' "$out" | jq -c .body)"
expect_eq "metadata = false adds nothing" '["body","byline","rule","source","title","url"]' "$(printf '%s' "$out" | jq -c 'keys')"
out=$("$PIPE" run $R/site_pick.lua --url https://news.example.com/a.html "$page")
expect_eq "wildcard host rule picked" '"sites/example_wild.lua"' "$(printf '%s' "$out" | jq -c .rule)"
expect_eq "constant field (default only)" '"wildcard"' "$(printf '%s' "$out" | jq -c .kind)"
expect_eq "--url wins over canonical" '"https://news.example.com/a.html"' "$(printf '%s' "$out" | jq -c .url)"
out=$("$PIPE" run $R/site_pick.lua --url https://Example.COM:8080/a.html "$page")
expect_eq "wildcard matches the bare domain" '"sites/example_wild.lua"' "$(printf '%s' "$out" | jq -c .rule)"
expect_status "no rule for the host" 1 "$PIPE" run $R/site_pick.lua --url https://example.org/a "$page"
expect_eq "no rule: message" "pipe: $page: no site rule for host 'example.org'" "$(head -n 1 "$TMP/err")"
# a relative canonical link: resolved against <base href>, else the page's
# other signals (og:url, JSON-LD url) pick the rule, else no page URL
# and the message says why (with the generic fallback, --explain does)
sed -e 's|href="https://www.example.com/news/night-trains-alps.html"|href="/news/night-trains-alps.html"|' \
    -e '/<base /d' "$page" >"$TMP/relcanon.html"
expect_status "relative canonical alone: no page URL" 1 "$PIPE" run $R/site_pick.lua "$TMP/relcanon.html"
expect_eq "relative canonical: why" "pipe: $TMP/relcanon.html: no page URL: the page's own URL '/news/night-trains-alps.html' is relative and there is no --url, record url or <base href> to resolve it against" "$(head -n 1 "$TMP/err")"
out=$("$PIPE" run $R/site_pick.lua --url https://www.example.com/x "$TMP/relcanon.html")
expect_eq "relative canonical, --url given: the rule of --url" '["sites/example_www.lua","https://www.example.com/x"]' "$(printf '%s' "$out" | jq -c '[.rule, .url]')"
sed 's|<head>|<head><base href="https://www.example.com/a/">|' "$TMP/relcanon.html" >"$TMP/relbase.html"
out=$("$PIPE" run $R/site_pick.lua "$TMP/relbase.html")
expect_eq "relative canonical against <base href>" '["sites/example_www.lua","https://www.example.com/news/night-trains-alps.html"]' "$(printf '%s' "$out" | jq -c '[.rule, .url]')"
sed 's|<head>|<head><meta property="og:url" content="https://news.example.com/n.html">|' "$TMP/relcanon.html" >"$TMP/relog.html"
out=$("$PIPE" run $R/site_pick.lua "$TMP/relog.html")
expect_eq "relative canonical, og:url picks the rule" '["sites/example_wild.lua","https://news.example.com/n.html"]' "$(printf '%s' "$out" | jq -c '[.rule, .url]')"
out=$(jq -c -n --rawfile h "$TMP/relcanon.html" '{url: "https://news.example.com/r", html: $h}' | "$PIPE" run --records $R/site_pick.lua -)
expect_eq "relative canonical, the record's url" '["sites/example_wild.lua","https://news.example.com/r"]' "$(printf '%s' "$out" | jq -c '[.rule, .url]')"
# one worker, several hosts, each picked again: the remembered pick of a
# host is that host's (exact, wildcard, none, exact again)
out=$(for u in https://www.example.com/1 https://news.example.com/2 https://example.org/3 https://www.example.com/4 https://news.example.com/5; do
  jq -c -n --rawfile h "$TMP/relcanon.html" --arg u "$u" '{url: $u, html: $h}'; done |
  "$PIPE" run --records -j 1 $R/site_pick.lua - 2>"$TMP/err")
expect_eq "picks per host in one worker" '["sites/example_www.lua","https://www.example.com/1"] ["sites/example_wild.lua","https://news.example.com/2"] ["sites/example_www.lua","https://www.example.com/4"] ["sites/example_wild.lua","https://news.example.com/5"]' "$(printf '%s' "$out" | jq -c '[.rule, .url]' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "picks per host in one worker: no rule" "pipe: -:3: no site rule for host 'example.org'" "$(grep -o "pipe: .*" "$TMP/err" | head -n 1)"
out=$("$PIPE" run --explain scripts/site.lua "$TMP/relcanon.html")
expect_eq "relative canonical, generic fallback: --explain says why" "[\"generic.lua\",\"no page URL: the page's own URL '/news/night-trains-alps.html' is relative and there is no --url, record url or <base href> to resolve it against\"]" "$(printf '%s' "$out" | jq -c '[.rule, .explain.rule]')"

# rules load when a page needs them: a broken one fails the pages it
# serves (each, with the same message), and only those
expect_status "a broken site rule fails its pages" 1 "$PIPE" run $R/badsite/pick.lua "$page" "$page"
expect_contains "broken site rule: message" "pipe: $page: sites/broken.lua: fields.title.re: bad pattern '([a-z' at offset" "$(head -n 1 "$TMP/err")"
expect_eq "broken site rule: every page it serves fails" 2 "$(grep -c 'sites/broken.lua' "$TMP/err")"
expect_status "a broken site rule leaves other hosts alone" 0 "$PIPE" run $R/badsite/pick.lua --url https://example.org/a "$page"

# required
expect_status "required field missing fails the page" 1 "$PIPE" run $R/required.lua "$page"
expect_eq "required: message" "pipe: $page: required field 'author' is missing (tried: .author-name, meta author)" "$(head -n 1 "$TMP/err")"

# strict load: exit 2, message naming the file and the key
check_bad() {
  expect_status "bad rule $1 does not load" 2 "$PIPE" run "$R/bad/$1.lua" "$page"
  expect_eq "bad rule $1: message" "$2" "$(head -n 1 "$TMP/err")"
  [ ! -s "$TMP/out" ] || fail "bad rule $1 printed a record"
}
check_bad unknown_key "pipe: $R/bad/unknown_key.lua: unknown key 'hots'"
check_bad unknown_option "pipe: $R/bad/unknown_option.lua: fields.title: unknown option 'requried'"
check_bad selector "pipe: $R/bad/selector.lua: fields.title: bad selector 'h1[' at offset 3: expected a name"
check_bad regex "pipe: $R/bad/regex.lua: remove[2]: bad pattern '(unclosed' at offset 9: missing closing parenthesis"
check_bad tz "pipe: $R/bad/tz.lua: fields.when.tz: bad tz 'Europe/Atlantis' (want an IANA zone like Europe/Kyiv, an offset like +02:00, or an abbreviation like UTC, EET)"
expect_status "bad rule extends does not load" 2 "$PIPE" run "$R/bad/extends.lua" "$page"
expect_contains "bad rule extends: message" "pipe: $R/bad/extends.lua: extends: cannot load 'sites.nope': module 'sites.nope' not found in $R/bad" "$(head -n 1 "$TMP/err")"
expect_status "bad rule xpath does not load" 2 "$PIPE" run "$R/bad/xpath.lua" "$page"
expect_contains "bad rule xpath: message" "pipe: $R/bad/xpath.lua: fields.t: bad xpath '//h1['" "$(head -n 1 "$TMP/err")"
check_bad nested "pipe: $R/bad/nested.lua: fields.related.fields.url: bad selector 'a::attr(href' at offset 1: pseudo-elements are not supported"

# field independence: `clean` drops nodes inside one field's match only; a
# date inside the body's signature is still read (`remove` would lose it,
# and metadata would give the date without its time)
sig=$R/pages/signature.html
out=$("$PIPE" run --explain $R/clean.lua "$sig") || fail "clean.lua did not run"
f() { printf '%s' "$out" | jq -c "$1"; }
expect_eq "clean: the date inside the cleaned block is still read" '"2019-05-07T13:59:00+02:00"' "$(f .published)"
expect_eq "clean: explain names the rule" '"rule: .article__signature time"' "$(f .explain.published)"
expect_eq "clean: author from the same block" '"Claire Dubois"' "$(f .author)"
expect_not_contains "clean: the body has no signature" "Publié le" "$(f .body)"
expect_contains "clean: the body keeps the text" "vigilance orange" "$(f .body)"
expect_eq "clean: a second field cleans its own copy" '["Les habitants de Jargeau","Claire Dubois"]' "$(f '[.short_body|split("\n\n")[]|split(",")[0]]')"
expect_eq "clean: by text and selector in one field" 2 "$(f '.short_body|split("\n\n")|length')"
expect_not_contains "clean: remove still applies to the page" "Publicité" "$out"
cat >"$TMP/removed.lua" <<'LUA'
return {
  remove = { ".article__ad", ".article__signature" },
  fields = {
    body = { ".article__content", paragraphs = true },
    published = { ".article__signature time", date = true, tz = "Europe/Paris" },
  },
}
LUA
out=$("$PIPE" run --explain "$TMP/removed.lua" "$sig")
expect_eq "remove instead: the date is gone, metadata gives it without the time" '["2019-05-07","metadata"]' "$(f '[.published, .explain.published]')"

# the document is read-only while fields are read; a function field sees
# the declarative fields, not other function fields
cat >"$TMP/mutate.lua" <<'LUA'
return {
  fields = {
    title = "h1",
    a_fn = function(page, node, r) r.title = "changed"; r.extra = 1; return r.title end,
    b_fn = function(page, node, r) return tostring(r.extra) .. "/" .. r.title end,
  },
}
LUA
out=$("$PIPE" run "$TMP/mutate.lua" "$sig")
expect_eq "function fields: each sees the declarative fields only" '["changed","nil/La Loire en crue : trois communes évacuées dans le Loiret","La Loire en crue : trois communes évacuées dans le Loiret"]' "$(f '[.a_fn, .b_fn, .title]')"
cat >"$TMP/edit.lua" <<'LUA'
return {
  fields = {
    body = { ".article__content", paragraphs = true },
    zap = function(page) page.doc:remove(".article__content p"); return "x" end,
  },
}
LUA
"$PIPE" run "$TMP/edit.lua" "$sig" >"$TMP/out" 2>"$TMP/err"
expect_eq "a field function that edits the page fails the page" 1 "$?"
expect_contains "and says why" "the document is read-only while a rule reads its fields (drop nodes with remove or clean; edit in post)" "$(cat "$TMP/err")"
cat >"$TMP/post_edit.lua" <<'LUA'
return {
  fields = { title = "h1" },
  post = function(r, page) r.n = page.doc:remove("p"); return r end,
}
LUA
out=$("$PIPE" run "$TMP/post_edit.lua" "$sig") || fail "post may edit the page"
expect_eq "post may edit the page" 6 "$(f .n)"

# no silent failures: a date the filter rejected is told apart from
# nothing matched; a fallback after a rejection says so
cat >"$TMP/why.lua" <<'LUA'
return {
  metadata = { "published" },
  fields = {
    title = "h1",
    when = { ".article__title", date = true },
    gone = { ".no-such-thing", date = true },
    published = { ".article__kicker", { meta = "article:published_time" }, date = true },
    credit = { "figcaption", re = "Foto: (.+)" },
  },
}
LUA
out=$("$PIPE" run --explain "$TMP/why.lua" "$sig")
expect_eq "explain: the date filter rejected the match" "\"none (.article__title: matched, but the date filter rejected it: no date in 'La Loire en crue : trois communes évacuées dans le Loiret')\"" "$(f .explain.when)"
expect_eq "explain: nothing matched" '"none (.no-such-thing: nothing matched)"' "$(f .explain.gone)"
expect_eq "explain: a fallback after a rejection" "\"meta article:published_time (after .article__kicker: matched, but the date filter rejected it: no date in 'Régions')\"" "$(f .explain.published)"
expect_eq "explain: re did not match" "\"none (figcaption: matched, but re did not match 'La Loire à Orléans, mardi matin. Photo : Jean Morel')\"" "$(f .explain.credit)"

# a field takes the first match with a value: the first match alone is
# tried first, the others when it is empty or rejected, with the same
# reasons as when all of them are read
cat >"$TMP/firsts.html" <<'HTML'
<!DOCTYPE html><html><head><title>t</title></head><body>
<p class=x> </p><p class=x>second <b>one</b></p>
<span class=d>no date</span><span class=d>2019-05-07</span>
<i class=e></i><i class=e> </i><u class=f> </u>
</body></html>
HTML
cat >"$TMP/firsts.lua" <<'LUA'
return {
  metadata = false,
  fields = {
    x = ".x",
    d = { ".d", date = true },
    year = { ".d", re = "^(\\d{4})" },
    nope = { ".d", re = "^(zzz)" },
    e = ".e",
    f = ".f",
    missing = ".g",
    first = { ".x, .d" },
  },
}
LUA
out=$("$PIPE" run --explain "$TMP/firsts.lua" "$TMP/firsts.html")
expect_eq "first match empty: the next one" '["second one","rule: .x"]' "$(f '[.x, .explain.x]')"
expect_eq "first match rejected by date: the next one" '["2019-05-07","rule: .d"]' "$(f '[.d, .explain.d]')"
expect_eq "first match rejected by re: the next one" '"2019"' "$(f .year)"
expect_eq "all rejected: the first reason" "\"none (.d: matched, but re did not match 'no date')\"" "$(f .explain.nope)"
expect_eq "all empty: the first reason" '"none (.e: matched, but empty)"' "$(f .explain.e)"
expect_eq "one, empty" '"none (.f: matched, but empty)"' "$(f .explain.f)"
expect_eq "none" '"none (.g: nothing matched)"' "$(f .explain.missing)"
expect_eq "a selector list: document order" '"second one"' "$(f .first)"

# a required field that fails: exit 1; with --explain what was found too
cat >"$TMP/req.lua" <<'LUA'
return {
  fields = {
    title = "h1",
    published = { ".article__kicker", date = true, required = true },
    body = { ".article-body", required = true },
  },
}
LUA
"$PIPE" run "$TMP/req.lua" "$sig" >"$TMP/out" 2>"$TMP/err"
expect_eq "required: exit 1" 1 "$?"
expect_eq "required: no record" "" "$(cat "$TMP/out")"
expect_eq "required: each failure and why" "pipe: $sig: required field 'body' is missing (tried: .article-body)
required field 'published' is missing (tried: .article__kicker: matched, but the date filter rejected it: no date in 'Régions')" "$(cat "$TMP/err")"
"$PIPE" run --explain "$TMP/req.lua" "$sig" >"$TMP/out" 2>"$TMP/err"
expect_eq "required with --explain: exit 1" 1 "$?"
found=$(sed -n 's/^  found: //p' "$TMP/err")
expect_eq "required with --explain: what was found" '["La Loire en crue : trois communes évacuées dans le Loiret","rule: h1","none (.article-body: nothing matched)"]' "$(printf '%s' "$found" | jq -c '[.title, .explain.title, .explain.body]')"

# a rule that yields none of its fields fails the page
cat >"$TMP/empty.lua" <<'LUA'
return { metadata = false, fields = { title = ".headline", body = { ".story-body", ".post-content" } } }
LUA
"$PIPE" run "$TMP/empty.lua" "$sig" >"$TMP/out" 2>"$TMP/err"
expect_eq "no fields: exit 1" 1 "$?"
expect_eq "no fields: no empty record" "" "$(cat "$TMP/out")"
expect_eq "no fields: the message" "pipe: $sig: none of the rule's fields matched: body (.story-body: nothing matched; .post-content: nothing matched), title (.headline: nothing matched)" "$(cat "$TMP/err")"
