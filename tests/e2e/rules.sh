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
expect_eq "explain: default" '"default"' "$(printf '%s' "$out" | jq -c .explain.missing)"
expect_eq "explain: none" '"none"' "$(printf '%s' "$out" | jq -c .explain.nothing)"
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
expect_status "a broken site rule stops site.lua" 2 "$PIPE" run $R/badsite/pick.lua "$page"
expect_contains "broken site rule: message" "pipe: sites/broken.lua: fields.title.re: bad pattern '([a-z' at offset" "$(head -n 1 "$TMP/err")"

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
